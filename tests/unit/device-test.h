/*
 * Shared by the device plugin tests (cmocka, public API only): port and
 * memory access as a guest makes it, objects built in the tree, and a
 * stand-in device whose input lines record their level and rising edges
 * (one plain device, one that passes as an interrupt controller).
 * Include after cmocka.h.
 */
#ifndef DEVICE_TEST_H
#define DEVICE_TEST_H

#include <emu/emu.h>
#include <emu/runtime.h>

#define SINK_LINES 16

typedef struct TestSink {
    EmuObject parent;
    int level[SINK_LINES];
    int rises[SINK_LINES];
} TestSink;

static void test_sink_set(void *opaque, int n, int level)
{
    TestSink *t = opaque;

    t->rises[n] += level && !t->level[n];
    t->level[n] = level;
}

static void test_sink_init(EmuObject *obj)
{
    emu_irq_init_in(obj, NULL, SINK_LINES, test_sink_set, obj);
}

static const EmuTypeInfo test_sink_type = {
    EMU_TYPE_HEADER,
    .name = "test-sink",
    .parent = "device",
    .instance_size = sizeof(TestSink),
    .init = test_sink_init,
};

static const EmuTypeInfo test_sink_intc_type = {
    EMU_TYPE_HEADER,
    .name = "test-sink-intc",
    .parent = "interrupt-controller",
    .instance_size = sizeof(TestSink),
    .init = test_sink_init,
};

static inline void test_sink_clear(TestSink *t)
{
    for (int i = 0; i < SINK_LINES; i++) {
        t->rises[i] = 0;
    }
}

/* ---- guest-side access ---- */

static inline uint64_t io_read(unsigned port, unsigned size)
{
    uint64_t v = 0;

    assert_int_equal(emu_as_read(emu_system_io(), port, &v, size),
                     EMU_MEM_OK);
    return v;
}

static inline void io_write(unsigned port, uint64_t v, unsigned size)
{
    assert_int_equal(emu_as_write(emu_system_io(), port, v, size),
                     EMU_MEM_OK);
}

static inline uint8_t inb(unsigned port) { return io_read(port, 1); }
static inline void outb(unsigned port, uint8_t v) { io_write(port, v, 1); }

/* A byte of system memory (0xff where nothing decodes). */
static inline uint8_t mem_byte(uint64_t addr)
{
    uint64_t v = 0;

    emu_as_read(emu_system_memory(), addr, &v, 1);
    return v;
}

/* ---- objects ---- */

static inline void must(bool ok, GError *err)
{
    if (!ok) {
        fail_msg("%s", err ? err->message : "failed");
    }
}

/* Creates type as id in the tree and sets props (NAME, VALUE pairs ending
 * in NULL); realizes it unless realize is false. */
static inline EmuObject *test_add(const char *type, const char *id,
                                  const char *const *props, bool realize)
{
    GError *err = NULL;
    EmuObject *obj = emu_object_new(type, id, &err);

    must(obj && emu_object_add_child(emu_object_root(), obj, &err), err);
    for (; props && *props; props += 2) {
        must(emu_object_set_prop(obj, props[0], props[1], &err), err);
    }
    if (realize) {
        must(emu_object_realize(obj, &err), err);
    }
    return obj;
}

/* The start of every test program: plugins from dirs, stand-ins known. */
static inline bool test_runtime_init(const char *argv0, const char *dirs)
{
    GError *err = NULL;

    g_setenv("EMU_PLUGIN_PATH", dirs, true);
    if (!emu_runtime_init(argv0, &err) ||
        !emu_type_register(&test_sink_type, &err) ||
        !emu_type_register(&test_sink_intc_type, &err)) {
        fprintf(stderr, "%s\n", err->message);
        return false;
    }
    return true;
}

#endif
