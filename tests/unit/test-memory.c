/*
 * Unit tests for the memory bus (core/memory.c): flat views (overlap,
 * priority, aliases, nesting, enable/move), access splitting and merging,
 * unassigned space, ROM, dirty tracking, RAM pointers, large RAM and the
 * machine address spaces.
 */
#include "emu-internal.h"
#include "memory-internal.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

/* ---- Helpers ----------------------------------------------------------- */

/* An address space over a fresh container of the given size. */
static EmuAddressSpace *space_new(uint64_t size)
{
    EmuMemoryRegion *root = emu_mr_new_container(NULL, "root", size);
    EmuAddressSpace *as = emu_as_new("test", root);

    emu_mr_unref(root);
    return as;
}

static EmuMemoryRegion *ram_new(const char *name, uint64_t size, uint8_t fill)
{
    GError *err = NULL;
    EmuMemoryRegion *mr = emu_mr_new_ram(NULL, name, size, &err);

    assert_null(err);
    assert_non_null(mr);
    memset(emu_mr_ram_ptr(mr), fill, size);
    return mr;
}

/* Maps mr into parent and hands the reference to the container. */
static EmuMemoryRegion *map(EmuMemoryRegion *parent, uint64_t offset,
                            EmuMemoryRegion *mr, int priority)
{
    emu_mr_add_subregion(parent, offset, mr, priority);
    emu_mr_unref(mr);
    return mr;
}

static uint64_t rd(EmuAddressSpace *as, uint64_t addr, unsigned size)
{
    uint64_t val = 0x5a5a5a5a;

    assert_int_equal(emu_as_read(as, addr, &val, size), EMU_MEM_OK);
    return val;
}

static void wr(EmuAddressSpace *as, uint64_t addr, uint64_t val,
               unsigned size)
{
    assert_int_equal(emu_as_write(as, addr, val, size), EMU_MEM_OK);
}

static void assert_unassigned(EmuAddressSpace *as, uint64_t addr)
{
    uint64_t val = 0;

    assert_int_equal(emu_as_read(as, addr, &val, 1), EMU_MEM_UNASSIGNED);
    assert_int_equal(val, 0xff);
}

/* A device recording every callback; its registers are the bytes of
 * regs, in the device's byte order. */
typedef struct Access {
    bool write;
    uint64_t addr;
    unsigned size;
    uint64_t val;
} Access;

typedef struct Mock {
    uint8_t regs[32];
    bool big_endian;
    unsigned count;
    Access log[32];
} Mock;

static void mock_record(Mock *m, bool write, uint64_t addr, unsigned size,
                        uint64_t val)
{
    assert_true(m->count < G_N_ELEMENTS(m->log));
    assert_true(addr + size <= sizeof(m->regs));
    m->log[m->count++] = (Access){ write, addr, size, val };
}

static uint64_t mock_read(void *opaque, uint64_t addr, unsigned size)
{
    Mock *m = opaque;
    uint64_t val = 0;

    for (unsigned i = 0; i < size; i++) {
        unsigned idx = m->big_endian ? i : size - 1 - i;
        val = (val << 8) | m->regs[addr + idx];
    }
    mock_record(m, false, addr, size, val);
    return val;
}

static void mock_write(void *opaque, uint64_t addr, uint64_t val,
                       unsigned size)
{
    Mock *m = opaque;

    mock_record(m, true, addr, size, val);
    for (unsigned i = 0; i < size; i++) {
        unsigned idx = m->big_endian ? size - 1 - i : i;
        m->regs[addr + idx] = val >> (8 * i);
    }
}

static void mock_init(Mock *m, bool big_endian)
{
    memset(m, 0, sizeof(*m));
    m->big_endian = big_endian;
    for (unsigned i = 0; i < sizeof(m->regs); i++) {
        m->regs[i] = 0x10 + i;
    }
}

static void assert_access(const Mock *m, unsigned n, bool write,
                          uint64_t addr, unsigned size, uint64_t val)
{
    assert_true(n < m->count);
    assert_int_equal(m->log[n].write, write);
    assert_int_equal(m->log[n].addr, addr);
    assert_int_equal(m->log[n].size, size);
    assert_int_equal(m->log[n].val, val);
}

#define MOCK_OPS(min, max, big) { \
    EMU_MEMORY_OPS_HEADER, .read = mock_read, .write = mock_write, \
    .min_access = (min), .max_access = (max), .big_endian = (big) }

static const EmuMemoryOps ops_le_1 = MOCK_OPS(1, 1, false);
static const EmuMemoryOps ops_be_1 = MOCK_OPS(1, 1, true);
static const EmuMemoryOps ops_be_2 = MOCK_OPS(1, 2, true);
static const EmuMemoryOps ops_le_4only = MOCK_OPS(4, 4, false);
static const EmuMemoryOps ops_be_4only = MOCK_OPS(4, 4, true);
static const EmuMemoryOps ops_default = MOCK_OPS(0, 0, false);

static EmuMemoryRegion *mock_region(Mock *m, const EmuMemoryOps *ops)
{
    mock_init(m, ops->big_endian);
    EmuMemoryRegion *mr = emu_mr_new_io(NULL, "mock", sizeof(m->regs), ops, m);
    assert_non_null(mr);
    return mr;
}

/* ---- Flat views -------------------------------------------------------- */

static void test_priority_overlap(void **state)
{
    EmuAddressSpace *as = space_new(0x10000);
    EmuMemoryRegion *root = emu_as_root(as);

    EmuMemoryRegion *low = map(root, 0, ram_new("low", 0x1000, 0xaa), 0);
    EmuMemoryRegion *high = ram_new("high", 0x100, 0xbb);
    emu_mr_add_subregion(root, 0x800, high, 1);
    /* Lower priority, added later: still loses. */
    map(root, 0x800, ram_new("lower", 0x100, 0xcc), -1);
    assert_int_equal(rd(as, 0x7ff, 1), 0xaa);
    assert_int_equal(rd(as, 0x800, 1), 0xbb);
    assert_int_equal(rd(as, 0x8ff, 1), 0xbb);
    assert_int_equal(rd(as, 0x900, 1), 0xaa);

    /* Equal priority: the one added later wins. */
    map(root, 0x880, ram_new("same", 0x10, 0xdd), 1);
    assert_int_equal(rd(as, 0x87f, 1), 0xbb);
    assert_int_equal(rd(as, 0x880, 1), 0xdd);
    assert_int_equal(rd(as, 0x890, 1), 0xbb);

    /* Removing the winner reveals the next one down, and hiding that one
     * the bottom layer. */
    emu_mr_del_subregion(root, high);
    assert_int_equal(rd(as, 0x800, 1), 0xaa);
    assert_int_equal(rd(as, 0x880, 1), 0xdd);
    emu_mr_set_enabled(low, false);
    assert_int_equal(rd(as, 0x800, 1), 0xcc);
    assert_unassigned(as, 0x900);
    emu_mr_set_enabled(low, true);
    /* Re-added with its old priority, it wins again. */
    emu_mr_add_subregion(root, 0x800, high, 1);
    assert_int_equal(rd(as, 0x800, 1), 0xbb);
    assert_int_equal(rd(as, 0x880, 1), 0xbb);
    emu_mr_unref(high);
    emu_as_free(as);
}

static void test_alias(void **state)
{
    EmuAddressSpace *as = space_new(0x10000);
    EmuMemoryRegion *root = emu_as_root(as);
    EmuMemoryRegion *ram = map(root, 0, ram_new("ram", 0x1000, 0), 0);
    uint8_t *host = emu_mr_ram_ptr(ram);

    for (unsigned i = 0; i < 0x1000; i++) {
        host[i] = i ^ (i >> 8);
    }
    /* A window into the middle of the RAM. */
    EmuMemoryRegion *mid = map(root, 0x8000,
                               emu_mr_new_alias(NULL, "mid", ram, 0x100, 0x200),
                               0);
    assert_int_equal(rd(as, 0x8000, 1), host[0x100]);
    assert_int_equal(rd(as, 0x81ff, 1), host[0x2ff]);
    assert_unassigned(as, 0x8200);
    wr(as, 0x8010, 0x77, 1);
    assert_int_equal(host[0x110], 0x77);
    assert_int_equal(rd(as, 0x110, 1), 0x77);

    /* An alias of the alias. */
    map(root, 0x9000, emu_mr_new_alias(NULL, "mid2", mid, 0x10, 0x20), 0);
    assert_int_equal(rd(as, 0x9000, 1), 0x77);
    assert_int_equal(rd(as, 0x901f, 1), host[0x12f]);
    assert_unassigned(as, 0x9020);

    /* A window running past the end of its target is cut there. */
    map(root, 0xa000, emu_mr_new_alias(NULL, "tail", ram, 0xf00, 0x200), 0);
    assert_int_equal(rd(as, 0xa0ff, 1), host[0xfff]);
    assert_unassigned(as, 0xa100);

    /* RAM pointers resolve through aliases. */
    uint64_t len = 0;
    assert_ptr_equal(emu_as_ram_ptr(as, 0x8000, &len, false), host + 0x100);
    assert_int_equal(len, 0x200);
    emu_as_free(as);
}

static void test_nested_containers(void **state)
{
    EmuAddressSpace *as = space_new(0x100000);
    EmuMemoryRegion *root = emu_as_root(as);
    EmuMemoryRegion *outer = map(root, 0x10000,
                                 emu_mr_new_container(NULL, "outer", 0x10000),
                                 0);
    EmuMemoryRegion *inner = map(outer, 0x4000,
                                 emu_mr_new_container(NULL, "inner", 0x1000),
                                 0);
    /* 0x2000 bytes at 0x800 of a 0x1000-byte container: half is cut. */
    EmuMemoryRegion *ram = map(inner, 0x800, ram_new("ram", 0x2000, 0), 0);
    uint8_t *host = emu_mr_ram_ptr(ram);
    uint64_t len = 0;

    wr(as, 0x14900, 0x1234, 2);
    assert_int_equal(host[0x100], 0x34);
    assert_int_equal(host[0x101], 0x12);
    assert_ptr_equal(emu_as_ram_ptr(as, 0x14800, &len, false), host);
    assert_int_equal(len, 0x800);
    assert_unassigned(as, 0x147ff);
    assert_unassigned(as, 0x15000);

    /* Moving a container moves what it holds. */
    emu_mr_set_address(outer, 0x20000);
    assert_unassigned(as, 0x14900);
    assert_int_equal(rd(as, 0x24900, 2), 0x1234);

    /* Disabling a container hides its subtree. */
    emu_mr_set_enabled(outer, false);
    assert_unassigned(as, 0x24900);
    emu_mr_set_enabled(outer, true);
    assert_int_equal(rd(as, 0x24900, 2), 0x1234);
    emu_as_free(as);
}

static void test_container_gaps_transparent(void **state)
{
    EmuAddressSpace *as = space_new(0x10000);
    EmuMemoryRegion *root = emu_as_root(as);

    map(root, 0, ram_new("below", 0x4000, 0x11), 0);
    EmuMemoryRegion *box = map(root, 0x1000,
                               emu_mr_new_container(NULL, "box", 0x2000), 5);
    map(box, 0x800, ram_new("in-box", 0x100, 0x22), 0);
    assert_int_equal(rd(as, 0x1000, 1), 0x11);
    assert_int_equal(rd(as, 0x1800, 1), 0x22);
    assert_int_equal(rd(as, 0x1900, 1), 0x11);
    emu_as_free(as);
}

static void test_enable_and_move(void **state)
{
    EmuAddressSpace *as = space_new(0x10000);
    EmuMemoryRegion *root = emu_as_root(as);
    EmuMemoryRegion *ram = map(root, 0x1000, ram_new("ram", 0x100, 0x5e), 0);

    assert_int_equal(rd(as, 0x1000, 1), 0x5e);
    emu_mr_set_enabled(ram, false);
    assert_unassigned(as, 0x1000);
    emu_mr_set_enabled(ram, true);
    assert_int_equal(rd(as, 0x10ff, 1), 0x5e);

    emu_mr_set_address(ram, 0x3000);
    assert_unassigned(as, 0x1000);
    assert_int_equal(rd(as, 0x3000, 1), 0x5e);
    assert_int_equal(rd(as, 0x30ff, 1), 0x5e);
    assert_unassigned(as, 0x3100);
    emu_as_free(as);
}

/* ---- Access sizes ------------------------------------------------------ */

static void test_split_wide_to_bytes(void **state)
{
    EmuAddressSpace *as = space_new(0x10000);
    Mock m;

    map(emu_as_root(as), 0x1000, mock_region(&m, &ops_le_1), 0);
    assert_int_equal(rd(as, 0x1008, 8), 0x1f1e1d1c1b1a1918ull);
    assert_int_equal(m.count, 8);
    for (unsigned i = 0; i < 8; i++) {
        assert_access(&m, i, false, 8 + i, 1, 0x18 + i);
    }

    m.count = 0;
    wr(as, 0x1000, 0x0807060504030201ull, 8);
    assert_int_equal(m.count, 8);
    assert_access(&m, 0, true, 0, 1, 0x01);
    assert_access(&m, 7, true, 7, 1, 0x08);
    assert_int_equal(rd(as, 0x1000, 4), 0x04030201);
    emu_as_free(as);
}

static void test_split_big_endian(void **state)
{
    EmuAddressSpace *as = space_new(0x10000);
    Mock b1, b2;

    map(emu_as_root(as), 0x1000, mock_region(&b1, &ops_be_1), 0);
    map(emu_as_root(as), 0x2000, mock_region(&b2, &ops_be_2), 0);

    /* Lower addresses are the more significant pieces. */
    assert_int_equal(rd(as, 0x1000, 8), 0x1011121314151617ull);
    assert_int_equal(b1.count, 8);
    assert_access(&b1, 0, false, 0, 1, 0x10);

    assert_int_equal(rd(as, 0x2004, 4), 0x14151617);
    assert_int_equal(b2.count, 2);
    assert_access(&b2, 0, false, 4, 2, 0x1415);
    assert_access(&b2, 1, false, 6, 2, 0x1617);

    b2.count = 0;
    wr(as, 0x2000, 0xaabbccdd, 4);
    assert_int_equal(b2.count, 2);
    assert_access(&b2, 0, true, 0, 2, 0xaabb);
    assert_access(&b2, 1, true, 2, 2, 0xccdd);
    emu_as_free(as);
}

static void test_widen_narrow_access(void **state)
{
    EmuAddressSpace *as = space_new(0x10000);
    Mock le, be;

    map(emu_as_root(as), 0x1000, mock_region(&le, &ops_le_4only), 0);
    map(emu_as_root(as), 0x2000, mock_region(&be, &ops_be_4only), 0);

    assert_int_equal(rd(as, 0x1005, 1), 0x15);
    assert_int_equal(le.count, 1);
    assert_access(&le, 0, false, 4, 4, 0x17161514);
    assert_int_equal(rd(as, 0x1006, 2), 0x1716);

    /* A narrow write reads the word back and writes it whole. */
    le.count = 0;
    wr(as, 0x1006, 0xee, 1);
    assert_int_equal(le.count, 2);
    assert_access(&le, 0, false, 4, 4, 0x17161514);
    assert_access(&le, 1, true, 4, 4, 0x17ee1514);
    assert_int_equal(le.regs[5], 0x15);
    assert_int_equal(le.regs[6], 0xee);
    assert_int_equal(le.regs[7], 0x17);

    /* Big-endian: the byte at the lowest address is the top one. */
    assert_int_equal(rd(as, 0x2004, 1), 0x14);
    assert_int_equal(rd(as, 0x2006, 2), 0x1617);
    be.count = 0;
    wr(as, 0x2004, 0xee, 1);
    assert_access(&be, 1, true, 4, 4, 0xee151617);
    emu_as_free(as);
}

static void test_sizes_passed_through(void **state)
{
    EmuAddressSpace *as = space_new(0x10000);
    Mock m;

    map(emu_as_root(as), 0x1000, mock_region(&m, &ops_default), 0);
    wr(as, 0x1004, 0xcafef00d, 4);
    assert_int_equal(m.count, 1);
    assert_access(&m, 0, true, 4, 4, 0xcafef00d);
    wr(as, 0x1002, 0xbeef, 2);
    assert_access(&m, 1, true, 2, 2, 0xbeef);

    /* Default max is 4: an 8-byte access becomes two. */
    m.count = 0;
    assert_int_equal(rd(as, 0x1000, 8), 0xcafef00dbeef1110ull);
    assert_int_equal(m.count, 2);
    assert_access(&m, 0, false, 0, 4, 0xbeef1110);
    assert_access(&m, 1, false, 4, 4, 0xcafef00d);

    /* A misaligned access is cut into aligned pieces. */
    m.count = 0;
    assert_int_equal(rd(as, 0x1002, 4), 0xf00dbeef);
    assert_int_equal(m.count, 2);
    assert_access(&m, 0, false, 2, 2, 0xbeef);
    assert_access(&m, 1, false, 4, 2, 0xf00d);
    emu_as_free(as);
}

static void test_straddling_access(void **state)
{
    EmuAddressSpace *as = space_new(0x10000);
    EmuMemoryRegion *root = emu_as_root(as);
    EmuMemoryRegion *ram = map(root, 0, ram_new("ram", 0x1000, 0), 0);
    uint8_t *host = emu_mr_ram_ptr(ram);
    Mock m;
    uint64_t val = 0;

    map(root, 0x1000, mock_region(&m, &ops_le_1), 0);
    host[0xffe] = 0xa1;
    host[0xfff] = 0xa2;
    assert_int_equal(rd(as, 0xffe, 4), 0x1110a2a1);
    assert_int_equal(m.count, 2);

    wr(as, 0xffe, 0x44332211, 4);
    assert_int_equal(host[0xffe], 0x11);
    assert_int_equal(host[0xfff], 0x22);
    assert_int_equal(m.regs[0], 0x33);
    assert_int_equal(m.regs[1], 0x44);

    /* RAM followed by nothing: the missing bytes read as 0xff. */
    map(root, 0x3000, ram_new("ram2", 0x1000, 0x66), 0);
    assert_int_equal(emu_as_read(as, 0x3ffe, &val, 4), EMU_MEM_UNASSIGNED);
    assert_int_equal(val, 0xffff6666);
    assert_int_equal(emu_as_write(as, 0x3ffe, 0x12345678, 4),
                     EMU_MEM_UNASSIGNED);
    assert_int_equal(rd(as, 0x3ffe, 2), 0x5678);
    /* And nothing followed by RAM. */
    assert_int_equal(emu_as_read(as, 0x2ffe, &val, 4), EMU_MEM_UNASSIGNED);
    assert_int_equal(val, 0x6666ffff);
    emu_as_free(as);
}

/* ---- Unassigned space and ROM ------------------------------------------ */

static char *read_log(const char *path)
{
    char *text = NULL;

    assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return text;
}

static void test_unassigned(void **state)
{
    EmuAddressSpace *as = space_new(0x10000);
    static const uint64_t ones[] = { 0, 0xff, 0xffff, 0, 0xffffffff,
                                     0, 0, 0, UINT64_MAX };
    uint8_t buf[16];
    uint64_t val;

    for (unsigned size = 1; size <= 8; size *= 2) {
        val = 0;
        assert_int_equal(emu_as_read(as, 0x100, &val, size),
                         EMU_MEM_UNASSIGNED);
        assert_int_equal(val, ones[size]);
        assert_int_equal(emu_as_write(as, 0x100, 0, size),
                         EMU_MEM_UNASSIGNED);
    }
    memset(buf, 0, sizeof(buf));
    assert_int_equal(emu_as_read_buf(as, 0x200, buf, sizeof(buf)),
                     EMU_MEM_UNASSIGNED);
    for (unsigned i = 0; i < sizeof(buf); i++) {
        assert_int_equal(buf[i], 0xff);
    }

    /* Half RAM, half hole: the RAM half is still read. */
    map(emu_as_root(as), 0x1000, ram_new("ram", 8, 0x42), 0);
    assert_int_equal(emu_as_read_buf(as, 0x1000, buf, sizeof(buf)),
                     EMU_MEM_UNASSIGNED);
    assert_int_equal(buf[7], 0x42);
    assert_int_equal(buf[8], 0xff);
    assert_int_equal(emu_as_read_buf(as, 0x1000, buf, 8), EMU_MEM_OK);

    /* Logged under -d unimp only. */
    g_autofree char *path = g_build_filename(g_get_tmp_dir(),
                                             "emu-test-memory.log", NULL);
    assert_true(emu_log_set_file(path, NULL));
    assert_true(emu_log_set_items("guest_errors", NULL));
    emu_as_read(as, 0x5000, &val, 4);
    g_autofree char *quiet = read_log(path);
    assert_string_equal(quiet, "");
    assert_true(emu_log_set_items("unimp", NULL));
    emu_as_write(as, 0x5000, 1, 4);
    g_autofree char *logged = read_log(path);
    assert_non_null(strstr(logged, "unassigned write"));
    assert_non_null(strstr(logged, "0x5000"));
    assert_true(emu_log_set_items("", NULL));
    unlink(path);
    emu_as_free(as);
}

static void test_rom_and_readonly(void **state)
{
    EmuAddressSpace *as = space_new(0x100000);
    EmuMemoryRegion *root = emu_as_root(as);
    GError *err = NULL;
    EmuMemoryRegion *rom = emu_mr_new_rom(NULL, "bios", 0x1000, &err);
    static const uint8_t image[] = { 0xea, 0x5b, 0xe0, 0x00, 0xf0 };
    uint64_t len;

    assert_null(err);
    map(root, 0xff000, rom, 0);
    assert_int_equal(emu_as_load_rom(as, 0xffff0, image, sizeof(image)),
                     EMU_MEM_OK);
    assert_int_equal(rd(as, 0xffff0, 4), 0x00e05bea);
    /* The guest cannot change it. */
    wr(as, 0xffff0, 0, 4);
    assert_int_equal(emu_as_write_buf(as, 0xffff0, "\0\0", 2), EMU_MEM_OK);
    assert_int_equal(rd(as, 0xffff0, 4), 0x00e05bea);
    assert_null(emu_as_ram_ptr(as, 0xff000, &len, true));
    assert_ptr_equal(emu_as_ram_ptr(as, 0xff000, &len, false),
                     emu_mr_ram_ptr(rom));
    assert_int_equal(len, 0x1000);

    /* Read-only RAM behaves the same until made writable again. */
    EmuMemoryRegion *ram = map(root, 0, ram_new("ram", 0x1000, 0x33), 0);
    emu_mr_set_readonly(ram, true);
    wr(as, 0x10, 0x99, 1);
    assert_int_equal(rd(as, 0x10, 1), 0x33);
    assert_int_equal(emu_as_load_rom(as, 0x10, image, 1), EMU_MEM_OK);
    assert_int_equal(rd(as, 0x10, 1), 0xea);
    emu_mr_set_readonly(ram, false);
    wr(as, 0x10, 0x99, 1);
    assert_int_equal(rd(as, 0x10, 1), 0x99);

    /* A read-only alias protects only what is seen through it. */
    EmuMemoryRegion *ro = emu_mr_new_alias(NULL, "ro", ram, 0, 0x1000);
    emu_mr_set_readonly(ro, true);
    map(root, 0x8000, ro, 0);
    wr(as, 0x8010, 0x55, 1);
    assert_int_equal(rd(as, 0x10, 1), 0x99);
    wr(as, 0x10, 0x55, 1);
    assert_int_equal(rd(as, 0x8010, 1), 0x55);
    emu_as_free(as);
}

/* ---- Dirty tracking ---------------------------------------------------- */

static void test_dirty_tracking(void **state)
{
    EmuAddressSpace *as = space_new(0x100000);
    EmuMemoryRegion *root = emu_as_root(as);
    EmuMemoryRegion *ram = map(root, 0x10000,
                               ram_new("vram", 4 * EMU_PAGE_SIZE, 0), 0);
    const uint64_t page = EMU_PAGE_SIZE;

    emu_mr_dirty_enable(ram, EMU_DIRTY_DISPLAY, true);
    emu_mr_dirty_enable(ram, EMU_DIRTY_CODE, true);
    assert_false(emu_mr_test_and_clear_dirty(ram, 0, 4 * page,
                                             EMU_DIRTY_DISPLAY));

    wr(as, 0x10000 + page + 8, 1, 4);
    assert_false(emu_mr_test_and_clear_dirty(ram, 0, page, EMU_DIRTY_DISPLAY));
    assert_true(emu_mr_test_and_clear_dirty(ram, page, 1, EMU_DIRTY_DISPLAY));
    assert_false(emu_mr_test_and_clear_dirty(ram, page, 1, EMU_DIRTY_DISPLAY));
    /* Each client has its own bits; a disabled client sees nothing. */
    assert_true(emu_mr_test_and_clear_dirty(ram, 0, 4 * page,
                                            EMU_DIRTY_CODE));
    assert_false(emu_mr_test_and_clear_dirty(ram, 0, 4 * page,
                                             EMU_DIRTY_MIGRATION));

    /* A write across a page boundary dirties both pages. */
    wr(as, 0x10000 + 3 * page - 2, 0xffffffff, 4);
    assert_false(emu_mr_test_and_clear_dirty(ram, page, 1, EMU_DIRTY_DISPLAY));
    assert_true(emu_mr_test_and_clear_dirty(ram, 2 * page, 1,
                                            EMU_DIRTY_DISPLAY));
    assert_true(emu_mr_test_and_clear_dirty(ram, 3 * page, 1,
                                            EMU_DIRTY_DISPLAY));
    emu_mr_test_and_clear_dirty(ram, 0, 4 * page, EMU_DIRTY_CODE);

    /* Buffer writes and direct writers. */
    uint8_t buf[2 * EMU_PAGE_SIZE] = { 0 };
    assert_int_equal(emu_as_write_buf(as, 0x10000, buf, sizeof(buf)),
                     EMU_MEM_OK);
    assert_true(emu_mr_test_and_clear_dirty(ram, page, 1, EMU_DIRTY_CODE));
    emu_mr_set_dirty(ram, 3 * page + 5, 1);
    assert_true(emu_mr_test_and_clear_dirty(ram, 3 * page, page,
                                            EMU_DIRTY_DISPLAY));

    /* Disabling drops the bits; re-enabling starts clean. */
    wr(as, 0x10000, 1, 1);
    emu_mr_dirty_enable(ram, EMU_DIRTY_DISPLAY, false);
    assert_false(emu_mr_test_and_clear_dirty(ram, 0, page, EMU_DIRTY_DISPLAY));
    emu_mr_dirty_enable(ram, EMU_DIRTY_DISPLAY, true);
    assert_false(emu_mr_test_and_clear_dirty(ram, 0, page, EMU_DIRTY_DISPLAY));

    /* Writes through an alias dirty the target's pages. */
    emu_mr_test_and_clear_dirty(ram, 0, 4 * page, EMU_DIRTY_CODE);
    map(root, 0x40000, emu_mr_new_alias(NULL, "win", ram, 2 * page, page), 0);
    wr(as, 0x40000, 7, 1);
    assert_false(emu_mr_test_and_clear_dirty(ram, 0, 2 * page,
                                             EMU_DIRTY_DISPLAY));
    assert_true(emu_mr_test_and_clear_dirty(ram, 2 * page, page,
                                            EMU_DIRTY_DISPLAY));
    emu_as_free(as);
}

static void test_dirty_rom_load(void **state)
{
    EmuAddressSpace *as = space_new(0x10000);
    GError *err = NULL;
    EmuMemoryRegion *rom = emu_mr_new_rom(NULL, "rom", 0x2000, &err);

    assert_null(err);
    map(emu_as_root(as), 0, rom, 0);
    emu_mr_dirty_enable(rom, EMU_DIRTY_CODE, true);
    wr(as, 0x1000, 1, 1);
    assert_false(emu_mr_test_and_clear_dirty(rom, 0, 0x2000, EMU_DIRTY_CODE));
    assert_int_equal(emu_as_load_rom(as, 0x1000, "x", 1), EMU_MEM_OK);
    assert_true(emu_mr_test_and_clear_dirty(rom, 0x1000, 1, EMU_DIRTY_CODE));
    emu_as_free(as);
}

/* ---- RAM pointers ------------------------------------------------------ */

static void test_ram_ptr(void **state)
{
    EmuAddressSpace *as = space_new(0x100000);
    EmuMemoryRegion *root = emu_as_root(as);
    EmuMemoryRegion *a = map(root, 0x1000, ram_new("a", 0x2000, 0), 0);
    EmuMemoryRegion *b = map(root, 0x3000, ram_new("b", 0x1000, 0), 0);
    Mock m;
    uint64_t len = 0;

    /* The run stops where another region's host memory begins. */
    assert_ptr_equal(emu_as_ram_ptr(as, 0x1800, &len, true),
                     emu_mr_ram_ptr(a) + 0x800);
    assert_int_equal(len, 0x1800);
    assert_ptr_equal(emu_as_ram_ptr(as, 0x3000, &len, false),
                     emu_mr_ram_ptr(b));
    assert_int_equal(len, 0x1000);

    /* I/O and holes have no host pointer. */
    map(root, 0x2000, mock_region(&m, &ops_default), 1);
    assert_null(emu_as_ram_ptr(as, 0x2000, &len, false));
    assert_int_equal(len, 0);
    assert_null(emu_as_ram_ptr(as, 0x8000, &len, false));
    /* ... and cut RAM runs short. */
    assert_ptr_equal(emu_as_ram_ptr(as, 0x1000, &len, false),
                     emu_mr_ram_ptr(a));
    assert_int_equal(len, 0x1000);
    assert_ptr_equal(emu_as_ram_ptr(as, 0x2020, &len, false),
                     emu_mr_ram_ptr(a) + 0x1020);
    assert_int_equal(len, 0xfe0);

    /* An alias showing the same bytes at the same place does not cut the
     * run. */
    map(root, 0x1800, emu_mr_new_alias(NULL, "same", a, 0x800, 0x100), 2);
    assert_ptr_equal(emu_as_ram_ptr(as, 0x1000, &len, false),
                     emu_mr_ram_ptr(a));
    assert_int_equal(len, 0x1000);

    /* With dirty tracking on, direct writes are only allowed where the
     * page is already dirty, so no update is lost. */
    emu_mr_dirty_enable(b, EMU_DIRTY_DISPLAY, true);
    assert_null(emu_as_ram_ptr(as, 0x3000, &len, true));
    assert_non_null(emu_as_ram_ptr(as, 0x3000, &len, false));
    uint64_t gen = emu_memory_dirty_generation();
    wr(as, 0x3004, 1, 1);
    assert_ptr_equal(emu_as_ram_ptr(as, 0x3000, &len, true),
                     emu_mr_ram_ptr(b));
    assert_int_equal(len, 0x1000);
    assert_true(emu_mr_test_and_clear_dirty(b, 0, 1, EMU_DIRTY_DISPLAY));
    assert_true(emu_memory_dirty_generation() != gen);
    assert_null(emu_as_ram_ptr(as, 0x3000, &len, true));
    emu_as_free(as);
}

static void test_map_generation(void **state)
{
    EmuAddressSpace *as = space_new(0x10000);
    EmuMemoryRegion *ram = map(emu_as_root(as), 0, ram_new("r", 0x100, 0), 0);
    uint64_t gen = emu_memory_map_generation();

    rd(as, 0, 1);
    assert_true(emu_memory_map_generation() == gen);
    emu_mr_set_address(ram, 0x100);
    assert_true(emu_memory_map_generation() != gen);
    g_autofree char *text = emu_as_flatview_text(as);
    assert_string_equal(text,
                        "0000000000000100-00000000000001ff ram   'r' +0x0\n");
    emu_as_free(as);
}

/* ---- Large RAM and the machine address spaces -------------------------- */

static uint64_t resident_bytes(void)
{
    unsigned long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");

    assert_non_null(f);
    assert_int_equal(fscanf(f, "%lu %lu", &size, &resident), 2);
    fclose(f);
    return (uint64_t)resident * sysconf(_SC_PAGESIZE);
}

static void test_large_ram(void **state)
{
    const uint64_t size = UINT64_C(4) << 30;
    EmuAddressSpace *as = space_new(UINT64_C(1) << 40);
    uint64_t before = resident_bytes();
    GError *err = NULL;
    EmuMemoryRegion *ram = emu_mr_new_ram(NULL, "big", size, &err);
    uint64_t len = 0;

    assert_null(err);
    assert_non_null(ram);
    assert_int_equal(emu_mr_size(ram), size);
    map(emu_as_root(as), size, ram, 0);
    wr(as, size, 0x11, 1);
    wr(as, 2 * size - 8, 0x8877665544332211ull, 8);
    assert_int_equal(rd(as, 2 * size - 8, 8), 0x8877665544332211ull);
    assert_int_equal(rd(as, size + size / 2, 4), 0);
    assert_ptr_equal(emu_as_ram_ptr(as, size, &len, true),
                     emu_mr_ram_ptr(ram));
    assert_int_equal(len, size);
    /* Touching a few pages commits only those. */
    assert_true(resident_bytes() < before + (UINT64_C(64) << 20));
    emu_as_free(as);
}

static void test_ram_alloc_failure(void **state)
{
    GError *err = NULL;
    EmuMemoryRegion *mr = emu_mr_new_ram(NULL, "absurd", UINT64_C(1) << 62,
                                         &err);

    assert_null(mr);
    assert_non_null(err);
    assert_non_null(strstr(err->message, "'absurd'"));
    g_error_free(err);
}

static void test_system_memory(void **state)
{
    EmuAddressSpace *as = emu_system_memory();
    const uint64_t top = UINT64_C(0xfffffffffffff000);
    uint64_t len = 0, val = 0;

    assert_ptr_equal(emu_system_memory(), as);
    assert_int_equal(emu_mr_size(emu_as_root(as)), UINT64_MAX);
    EmuMemoryRegion *ram = map(emu_as_root(as), top,
                               ram_new("top", 0x1000, 0), 0);
    wr(as, UINT64_MAX - 7, 0x0102030405060708ull, 8);
    assert_int_equal(rd(as, UINT64_MAX - 7, 8), 0x0102030405060708ull);
    assert_int_equal(rd(as, UINT64_MAX, 1), 0x01);
    assert_ptr_equal(emu_as_ram_ptr(as, top, &len, false), emu_mr_ram_ptr(ram));
    assert_int_equal(len, 0x1000);
    assert_unassigned(as, 0);
    assert_unassigned(as, top - 1);
    /* Running off the top wraps to address 0, which is unassigned here. */
    assert_int_equal(emu_as_read(as, UINT64_MAX - 1, &val, 4),
                     EMU_MEM_UNASSIGNED);
    assert_int_equal(val, 0xffff0102);

    EmuAddressSpace *io = emu_system_io();
    Mock m;
    assert_int_equal(emu_mr_size(emu_as_root(io)), 0x10000);
    map(emu_as_root(io), 0xfff0, mock_region(&m, &ops_le_1), 0);
    wr(io, 0xfff1, 0x41, 1);
    assert_int_equal(m.regs[1], 0x41);
    assert_int_equal(rd(io, 0xffff, 1), 0x1f);
    /* The 64 KiB port space cuts the device's tail off. */
    assert_unassigned(io, 0x10000);

    /* Teardown drops everything; the next call starts afresh. */
    emu_memory_teardown();
    as = emu_system_memory();
    assert_unassigned(as, UINT64_MAX);
    emu_memory_teardown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_priority_overlap),
        cmocka_unit_test(test_alias),
        cmocka_unit_test(test_nested_containers),
        cmocka_unit_test(test_container_gaps_transparent),
        cmocka_unit_test(test_enable_and_move),
        cmocka_unit_test(test_split_wide_to_bytes),
        cmocka_unit_test(test_split_big_endian),
        cmocka_unit_test(test_widen_narrow_access),
        cmocka_unit_test(test_sizes_passed_through),
        cmocka_unit_test(test_straddling_access),
        cmocka_unit_test(test_unassigned),
        cmocka_unit_test(test_rom_and_readonly),
        cmocka_unit_test(test_dirty_tracking),
        cmocka_unit_test(test_dirty_rom_load),
        cmocka_unit_test(test_ram_ptr),
        cmocka_unit_test(test_map_generation),
        cmocka_unit_test(test_large_ram),
        cmocka_unit_test(test_ram_alloc_failure),
        cmocka_unit_test(test_system_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
