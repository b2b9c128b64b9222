/*
 * PCI as a BIOS sees it: the i440fx host bridge's configuration ports
 * (0xcf8/0xcfc), enumeration, BAR sizing and programming, decoding that
 * follows the command register, INTx ORed onto the PIRQ lines, and the
 * PIIX3 routing PIRQs to ISA IRQs.  The functions on the bus are the
 * i440fx, the PIIX3 and a device defined here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <emu/pci.h>
#include "device-test.h"

/* ---- a PCI device: an I/O BAR, a 32-bit and a 64-bit memory BAR ---- */

typedef struct TestDev {
    EmuPciDevice parent;
    EmuMemoryRegion *bar[3];
    uint8_t scratch[4];
    int config_writes;
} TestDev;

static uint64_t bar_read(void *opaque, uint64_t addr, unsigned size)
{
    TestDev *d = opaque;

    return addr < 4 ? d->scratch[addr] : 0x5a;
}

static void bar_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    TestDev *d = opaque;

    if (addr < 4) {
        d->scratch[addr] = val;
    }
}

static const EmuMemoryOps bar_ops = {
    EMU_MEMORY_OPS_HEADER,
    .read = bar_read,
    .write = bar_write,
    .max_access = 1,
};

static bool testdev_realize(EmuPciDevice *pci, GError **errp)
{
    TestDev *d = (TestDev *)pci;
    static const uint64_t sizes[3] = { 32, 4096, 65536 };
    static const unsigned kinds[3] = {
        EMU_PCI_BAR_IO, EMU_PCI_BAR_MEM32,
        EMU_PCI_BAR_MEM64 | EMU_PCI_BAR_PREFETCH,
    };
    static const int slots[3] = { 0, 1, 2 };

    for (int i = 0; i < 3; i++) {
        d->bar[i] = emu_mr_new_io(&pci->parent, "testdev-bar", sizes[i],
                                  &bar_ops, d);
        emu_pci_register_bar(pci, slots[i], kinds[i], d->bar[i]);
    }
    pci->wmask[0x40] = 0xff;            /* a device register */
    return true;
}

static void testdev_written(EmuPciDevice *pci, unsigned off, unsigned size)
{
    if (off == 0x40) {
        ((TestDev *)pci)->config_writes++;
    }
}

static const EmuPciDeviceClass testdev_class = {
    .size = sizeof(EmuPciDeviceClass),
    .vendor_id = 0x1234, .device_id = 0x5678,
    .class_code = 0xff0000,
    .interrupt_pin = 1,
    .realize = testdev_realize,
    .config_written = testdev_written,
};

static const EmuTypeInfo testdev_type = {
    EMU_TYPE_HEADER,
    .name = "test-pcidev",
    .parent = EMU_TYPE_PCI_DEVICE,
    .instance_size = sizeof(TestDev),
    .class_data = &testdev_class,
};

/* Stand-ins: the PIRQ lines' receiver and the 8259 pair behind PIIX3. */
static TestSink *pic;
static TestSink *isa[2];
static TestDev *dev1, *dev5;
static EmuObject *piix3;

/* ---- helpers ---- */

static uint64_t in(unsigned port, unsigned size)
{
    uint64_t v = 0;

    emu_as_read(emu_system_io(), port, &v, size);
    return v;
}

static void out(unsigned port, uint64_t v, unsigned size)
{
    emu_as_write(emu_system_io(), port, v, size);
}

static uint32_t cfg_read(unsigned devfn, unsigned off, unsigned size)
{
    out(0xcf8, 0x80000000u | devfn << 8 | (off & 0xfc), 4);
    return in(0xcfc + (off & 3), size);
}

static void cfg_write(unsigned devfn, unsigned off, uint32_t v, unsigned size)
{
    out(0xcf8, 0x80000000u | devfn << 8 | (off & 0xfc), 4);
    out(0xcfc + (off & 3), v, size);
}

#define BIOS_SIZE (128 << 10)
static char bios_path[64];

/* A 128 KiB firmware image whose byte i is (i * 7) & 0xff, and 1 MiB of
 * main RAM for the shadow areas. */
static void make_bios_and_ram(void)
{
    g_autofree uint8_t *img = g_malloc(BIOS_SIZE);
    GError *err = NULL;
    EmuMemoryRegion *ram = emu_mr_new_ram(NULL, "ram", 1 << 20, &err);

    for (int i = 0; i < BIOS_SIZE; i++) {
        img[i] = (i * 7) & 0xff;
    }
    strcpy(bios_path, "/tmp/test-pci-bios-XXXXXX");
    int fd = mkstemp(bios_path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, img, BIOS_SIZE), BIOS_SIZE);
    close(fd);
    assert_non_null(ram);
    emu_mr_add_subregion(emu_as_root(emu_system_memory()), 0, ram, 0);
    emu_machine_set_ram(ram);
    emu_mr_unref(ram);
}

static int build(void **state)
{
    static const char *host[] = { "pirqa", "pic.0", "pirqb", "pic.1",
                                  "pirqc", "pic.2", "pirqd", "pic.3",
                                  "bios", bios_path, NULL };
    static const char *at0[] = { "bus", "host", "addr", "0", NULL };
    static const char *at1[] = { "bus", "host", "addr", "1", NULL };
    static const char *at5[] = { "addr", "5.0", NULL };  /* the only bus */

    make_bios_and_ram();
    pic = (TestSink *)test_add("test-sink", "pic", NULL, true);
    test_add("i440fx-host", "host", host, true);
    test_add("i440fx", "pmc", at0, true);
    dev1 = (TestDev *)test_add("test-pcidev", "dev1", at1, true);
    dev5 = (TestDev *)test_add("test-pcidev", "dev5", at5, true);
    isa[0] = (TestSink *)test_add("test-sink-intc", "isa0", NULL, true);
    isa[1] = (TestSink *)test_add("test-sink-intc", "isa1", NULL, true);
    static const char *router[] = { "addr", "2", "pic", "isa0",
                                    "pic2", "isa1", NULL };
    piix3 = test_add("piix3", "piix3", router, true);
    return 0;
}

static int setup(void **state)
{
    emu_object_reset(&dev1->parent.parent);
    emu_object_reset(&dev5->parent.parent);
    return 0;
}

/* ---- tests ---- */

static void test_enumeration(void **state)
{
    assert_int_equal(cfg_read(0x00, 0x00, 4), 0x12378086);
    assert_int_equal(cfg_read(0x00, 0x08, 4) >> 8, 0x060000);
    assert_int_equal(cfg_read(0x08, 0x00, 2), 0x1234);
    assert_int_equal(cfg_read(0x08, 0x02, 2), 0x5678);
    assert_int_equal(cfg_read(0x08, 0x3d, 1), 1);        /* INTA# */
    assert_int_equal(cfg_read(0x18, 0x00, 4), 0xffffffff); /* slot 3 */
    assert_int_equal(cfg_read(0x09, 0x00, 2), 0xffff);   /* 1.1 */
    out(0xcf8, 0x00000800, 4);                            /* not enabled */
    assert_int_equal(in(0xcfc, 4), 0xffffffff);
    out(0xcf8, 0x80010800, 4);                            /* bus 1 */
    assert_int_equal(in(0xcfc, 4), 0xffffffff);
}

static void test_ids_are_read_only(void **state)
{
    cfg_write(0x08, 0x00, 0xffffffff, 4);
    assert_int_equal(cfg_read(0x08, 0x00, 4), 0x56781234);
    cfg_write(0x08, 0x40, 0xa5a5, 2);
    assert_int_equal(cfg_read(0x08, 0x40, 2), 0x00a5);   /* 0x41: r/o */
    assert_int_equal(dev1->config_writes, 1);
}

static void test_bar_sizing(void **state)
{
    for (unsigned bar = 0x10; bar <= 0x1c; bar += 4) {
        cfg_write(0x08, bar, 0xffffffff, 4);
    }
    assert_int_equal(cfg_read(0x08, 0x10, 4), 0xffffffe1); /* 32 B I/O */
    assert_int_equal(cfg_read(0x08, 0x14, 4), 0xfffff000); /* 4 KiB */
    assert_int_equal(cfg_read(0x08, 0x18, 4), 0xffff000c); /* 64K, 64-bit */
    assert_int_equal(cfg_read(0x08, 0x1c, 4), 0xffffffff);
    cfg_write(0x08, 0x04, 0x0003, 2);                      /* decode on */
    assert_int_equal(emu_pci_bar_address(&dev1->parent, 0), UINT64_MAX);
    assert_int_equal(emu_pci_bar_address(&dev1->parent, 1), UINT64_MAX);
}

static void test_bar_decoding_follows_command(void **state)
{
    cfg_write(0x08, 0x10, 0xc001, 4);
    cfg_write(0x08, 0x14, 0xfebf0000, 4);
    cfg_write(0x08, 0x18, 0x0000000c, 4);
    cfg_write(0x08, 0x1c, 0x00000080, 4);                  /* 512 GiB */
    assert_int_equal(in(0xc000, 1), 0xff);                 /* not yet */
    cfg_write(0x08, 0x04, 0x0003, 2);
    out(0xc000, 0x42, 1);
    assert_int_equal(dev1->scratch[0], 0x42);
    assert_int_equal(in(0xc000, 1), 0x42);
    assert_int_equal(mem_byte(0xfebf0010), 0x5a);
    assert_int_equal(mem_byte(0x8000000010ull), 0x5a);
    assert_int_equal(emu_pci_bar_address(&dev1->parent, 2), 0x8000000000ull);

    cfg_write(0x08, 0x10, 0xd001, 4);                      /* move it */
    assert_int_equal(in(0xc000, 1), 0xff);
    assert_int_equal(in(0xd000, 1), 0x42);
    cfg_write(0x08, 0x04, 0x0002, 2);                      /* I/O off */
    assert_int_equal(in(0xd000, 1), 0xff);
    assert_int_equal(mem_byte(0xfebf0010), 0x5a);
    emu_object_reset(&dev1->parent.parent);
    assert_int_equal(mem_byte(0xfebf0010), 0xff);
    assert_int_equal(cfg_read(0x08, 0x18, 4), 0x0000000c); /* kind kept */
}

static void test_intx_routing(void **state)
{
    emu_pci_set_irq(&dev1->parent, 1);                     /* slot 1 INTA */
    assert_int_equal(pic->level[1], 1);                    /* PIRQB */
    assert_true(cfg_read(0x08, 0x06, 2) & 0x0008);         /* status */
    cfg_write(0x08, 0x04, 0x0400, 2);                      /* INTx off */
    assert_int_equal(pic->level[1], 0);
    cfg_write(0x08, 0x04, 0x0000, 2);
    assert_int_equal(pic->level[1], 1);

    emu_pci_set_irq(&dev5->parent, 1);                     /* slot 5: B */
    emu_pci_set_irq(&dev1->parent, 0);
    assert_int_equal(pic->level[1], 1);                    /* shared */
    emu_pci_set_irq(&dev5->parent, 0);
    assert_int_equal(pic->level[1], 0);
    assert_false(cfg_read(0x08, 0x06, 2) & 0x0008);
    assert_int_equal(pic->level[0] | pic->level[2] | pic->level[3], 0);
}

static void mem_write(uint64_t addr, uint8_t v)
{
    emu_as_write(emu_system_memory(), addr, v, 1);
}

static void test_bios_and_pam_shadowing(void **state)
{
    uint8_t want = (0x1fff0 * 7) & 0xff;        /* the reset vector byte */

    assert_int_equal(mem_byte(0xfffffff0), want);
    assert_int_equal(mem_byte(0xffff0), want);   /* PAM 0: the BIOS */
    mem_write(0xffff0, want ^ 0xff);
    assert_int_equal(mem_byte(0xffff0), want);   /* ROM */
    assert_int_equal(mem_byte(0xe0001), 7);      /* 128K: from 0xe0000 */

    cfg_write(0x00, 0x59, 0x30, 1);              /* F segment: RAM r/w */
    mem_write(0xffff0, 0x5a);
    assert_int_equal(mem_byte(0xffff0), 0x5a);
    assert_int_equal(mem_byte(0xfffffff0), want); /* ROM unchanged */
    cfg_write(0x00, 0x59, 0x00, 1);
    assert_int_equal(mem_byte(0xffff0), want);   /* BIOS again */
    cfg_write(0x00, 0x59, 0x10, 1);              /* read-enable only */
    assert_int_equal(mem_byte(0xffff0), 0x5a);   /* the shadow copy */

    cfg_write(0x00, 0x5e, 0x03, 1);              /* 0xe0000-0xe3fff RAM */
    assert_int_equal(mem_byte(0xe0001), 0);
    assert_int_equal(mem_byte(0xe4001), (0x4001 * 7) & 0xff);
    emu_object_reset(emu_object_find("pmc"));
    assert_int_equal(mem_byte(0xe0001), 7);
    assert_int_equal(mem_byte(0xffff0), want);
}

static void pirq(int n, int level)
{
    emu_irq_set(emu_irq_get(piix3, "pirq", n), level);
}

static void test_piix3_routes_pirqs(void **state)
{
    assert_int_equal(cfg_read(0x10, 0x00, 4), 0x70008086);
    assert_int_equal(cfg_read(0x10, 0x0e, 1), 0x80);     /* multi-function */
    assert_int_equal(cfg_read(0x10, 0x60, 4), 0x80808080); /* all off */
    pirq(0, 1);
    assert_int_equal(isa[1]->level[3], 0);
    cfg_write(0x10, 0x60, 0x0b, 1);                       /* A -> IRQ11 */
    assert_int_equal(isa[1]->level[3], 1);
    cfg_write(0x10, 0x61, 0x0b, 1);                       /* B -> IRQ11 */
    pirq(1, 1);
    pirq(0, 0);
    assert_int_equal(isa[1]->level[3], 1);                /* B holds it */
    pirq(1, 0);
    assert_int_equal(isa[1]->level[3], 0);
    pirq(0, 1);
    cfg_write(0x10, 0x60, 0x05, 1);                       /* A -> IRQ5 */
    assert_int_equal(isa[1]->level[3], 0);
    assert_int_equal(isa[0]->level[5], 1);
    cfg_write(0x10, 0x60, 0x85, 1);                       /* disabled */
    assert_int_equal(isa[0]->level[5], 0);
    cfg_write(0x10, 0x60, 0x02, 1);                       /* IRQ2: cascade */
    assert_int_equal(isa[0]->level[2], 0);
    pirq(0, 0);
}

static void test_bad_addresses(void **state)
{
    GError *err = NULL;
    const char *cases[][2] = {
        { "1", "taken by dev1" }, { "20", "not SLOT[.FN]" },
        { "3.8", "not SLOT[.FN]" }, { "x", "not SLOT[.FN]" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        EmuObject *obj = emu_object_new("test-pcidev", NULL, &err);
        assert_true(emu_object_set_prop(obj, "addr", cases[i][0], &err));
        assert_false(emu_object_realize(obj, &err));
        if (!strstr(err->message, cases[i][1])) {
            fail_msg("addr=%s: %s", cases[i][0], err->message);
        }
        g_clear_error(&err);
        emu_object_unref(obj);
    }
    EmuObject *obj = emu_object_new("test-pcidev", NULL, &err);
    assert_true(emu_object_set_prop(obj, "bus", "pic", &err));
    assert_false(emu_object_realize(obj, &err));
    assert_non_null(strstr(err->message, "bus='pic' is not a PCI host"));
    g_clear_error(&err);
    emu_object_unref(obj);
}

int main(int argc, char **argv)
{
    GError *err = NULL;
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup(fn, setup)
        T(test_enumeration), T(test_ids_are_read_only), T(test_bar_sizing),
        T(test_bar_decoding_follows_command), T(test_intx_routing),
        T(test_piix3_routes_pirqs), T(test_bios_and_pam_shadowing),
        T(test_bad_addresses),
#undef T
    };

    if (!test_runtime_init(argv[0], TEST_PLUGIN_DIR) ||
        !emu_type_register(&testdev_type, &err)) {
        fprintf(stderr, "%s\n", err ? err->message : "init failed");
        return 1;
    }
    int failed = cmocka_run_group_tests(tests, build, NULL);
    unlink(bios_path);
    return failed;
}
