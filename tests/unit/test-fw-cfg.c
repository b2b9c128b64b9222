/*
 * The fw-cfg plugin read the way SeaBIOS reads it: the signature and
 * feature bits through the data port, the file directory, files found by
 * name and copied by DMA descriptors placed in guest RAM.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "device-test.h"

#define RAM_SIZE (1 << 20)
#define DESC 0x1000                 /* where the tests put descriptors */
#define BUF 0x2000

static EmuObject *dev;
static uint8_t *ram;
static char extra_path[64];

/* ---- helpers ---- */

static void read_item(uint16_t key, void *buf, size_t len)
{
    uint8_t *p = buf;

    io_write(0x510, key, 2);
    for (size_t i = 0; i < len; i++) {
        p[i] = inb(0x511);
    }
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* The key of a file, from the directory; -1 when absent. */
static int find_file(const char *name, uint32_t *size)
{
    uint8_t count[4], entry[64];

    read_item(0x19, count, 4);
    for (uint32_t i = 0; i < be32(count); i++) {
        for (int b = 0; b < 64; b++) {
            entry[b] = inb(0x511);
        }
        if (!strcmp((char *)entry + 8, name)) {
            *size = be32(entry);
            return entry[4] << 8 | entry[5];
        }
    }
    return -1;
}

/* Runs one DMA descriptor at DESC as 32-bit firmware does (one write to
 * the low half of the big-endian address register); returns control. */
static uint32_t dma(uint32_t control, uint32_t len, uint64_t addr)
{
    uint8_t d[16];

    for (int i = 0; i < 4; i++) {
        d[i] = control >> (24 - 8 * i);
        d[4 + i] = len >> (24 - 8 * i);
    }
    for (int i = 0; i < 8; i++) {
        d[8 + i] = addr >> (56 - 8 * i);
    }
    memcpy(ram + DESC, d, sizeof(d));
    io_write(0x518, GUINT32_SWAP_LE_BE(DESC), 4);
    return be32(ram + DESC);
}

/* ---- fixture ---- */

static int build(void **state)
{
    GError *err = NULL;
    EmuMemoryRegion *mr = emu_mr_new_ram(NULL, "ram", RAM_SIZE, &err);
    g_autofree char *files = NULL;
    int fd;

    if (!mr) {
        fail_msg("%s", err->message);
    }
    emu_mr_add_subregion(emu_as_root(emu_system_memory()), 0, mr, 0);
    ram = emu_mr_ram_ptr(mr);
    strcpy(extra_path, "/tmp/test-fw-cfg-XXXXXX");
    fd = mkstemp(extra_path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "hello firmware", 14), 14);
    close(fd);
    files = g_strdup_printf("opt/org.emu/greeting=%s", extra_path);

    dev = emu_object_new("fw-cfg", "fwcfg", &err);
    const char *props[][2] = {
        { "ram-size", "6G" }, { "cpus", "2" }, { "max-cpus", "4" },
        { "bootorder", "/pci@i0cf8/ide@1,1/drive@0/disk@0\n" },
        { "files", files },
    };
    for (size_t i = 0; dev && i < G_N_ELEMENTS(props); i++) {
        if (!emu_object_set_prop(dev, props[i][0], props[i][1], &err)) {
            fail_msg("%s: %s", props[i][0], err->message);
        }
    }
    if (!dev || !emu_object_realize(dev, &err)) {
        fail_msg("%s", err->message);
    }
    return 0;
}

static int cleanup(void **state)
{
    unlink(extra_path);
    return 0;
}

/* ---- tests ---- */

static void test_signature_and_features(void **state)
{
    char sig[5] = { 0 };
    uint8_t id[4];

    read_item(0x00, sig, 4);
    assert_string_equal(sig, "QEMU");
    read_item(0x01, id, 4);
    assert_int_equal(id[0], 0x03);              /* traditional + DMA */
    assert_int_equal(io_read(0x514, 4), GUINT32_SWAP_LE_BE(0x51454d55)); /* "QEMU" */
}

static void test_numbered_items(void **state)
{
    uint8_t v[8];

    read_item(0x05, v, 2);
    assert_int_equal(v[0] | v[1] << 8, 2);
    read_item(0x0f, v, 2);
    assert_int_equal(v[0] | v[1] << 8, 4);
    read_item(0x03, v, 8);
    uint64_t ram_size = 0;
    for (int i = 7; i >= 0; i--) {
        ram_size = ram_size << 8 | v[i];
    }
    assert_int_equal(ram_size, 6ull << 30);
    read_item(0x7ff, v, 4);                     /* no such item: zeros */
    assert_int_equal(v[0] | v[1] | v[2] | v[3], 0);
}

static void test_e820_splits_at_pci_hole(void **state)
{
    uint32_t size;
    int key = find_file("etc/e820", &size);
    uint8_t rec[40];
    uint64_t a, l;

    assert_true(key >= 0x20);
    assert_int_equal(size, 40);
    read_item(key, rec, sizeof(rec));
    memcpy(&a, rec, 8);
    memcpy(&l, rec + 8, 8);
    assert_int_equal(a, 0);
    assert_int_equal(l, 0xe0000000ull);
    assert_int_equal(rec[16], 1);
    memcpy(&a, rec + 20, 8);
    memcpy(&l, rec + 28, 8);
    assert_int_equal(a, 1ull << 32);
    assert_int_equal(l, (6ull << 30) - 0xe0000000ull);
}

static void test_dma_reads_files(void **state)
{
    uint32_t size;
    int key = find_file("opt/org.emu/greeting", &size);

    assert_int_equal(size, 14);
    memset(ram + BUF, 0xee, 32);
    assert_int_equal(dma(key << 16 | 0x08 | 0x02, 5, BUF), 0);
    assert_memory_equal(ram + BUF, "hello", 5);
    assert_int_equal(ram[BUF + 5], 0xee);       /* only len bytes */
    assert_int_equal(dma(0x04, 1, 0), 0);       /* skip the space */
    assert_int_equal(dma(0x02, 12, BUF), 0);    /* past the end: zeros */
    assert_memory_equal(ram + BUF, "firmware\0\0\0\0", 12);

    key = find_file("bootorder", &size);
    assert_int_equal(dma(key << 16 | 0x0a, size, BUF), 0);
    assert_string_equal((char *)ram + BUF,
                        "/pci@i0cf8/ide@1,1/drive@0/disk@0\n");
}

static void test_dma_write_is_refused(void **state)
{
    assert_int_equal(dma(0x01 << 16 | 0x08 | 0x10, 4, BUF), 0x01);
}

static void test_bad_files_property(void **state)
{
    GError *err = NULL;
    EmuObject *bad = emu_object_new("fw-cfg", NULL, &err);

    assert_true(emu_object_set_prop(bad, "io", "0x600", &err));
    assert_true(emu_object_set_prop(bad, "files", "opt/x=/nonexistent/file",
                                    &err));
    assert_false(emu_object_realize(bad, &err));
    assert_non_null(strstr(err->message, "/nonexistent/file"));
    g_clear_error(&err);
    emu_object_unref(bad);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature_and_features),
        cmocka_unit_test(test_numbered_items),
        cmocka_unit_test(test_e820_splits_at_pci_hole),
        cmocka_unit_test(test_dma_reads_files),
        cmocka_unit_test(test_dma_write_is_refused),
        cmocka_unit_test(test_bad_files_property),
    };

    if (!test_runtime_init(argv[0], TEST_PLUGIN_DIR)) {
        return 1;
    }
    return cmocka_run_group_tests(tests, build, cleanup);
}
