/*
 * A device plugin for the loader and object-model tests, built several
 * times with different -D flags: a good one, one of another ABI major, one
 * of a newer minor, one whose init fails, one that claims a type it never
 * registers, and a second provider of the same type.
 *
 * "test-dev" has one property of each kind and four IRQ inputs; raising an
 * input adds to irq_count, so tests can see wiring work.
 */
#include <emu/emu.h>

#ifdef TEST_ABI_MAJOR
# undef EMU_ABI_MAJOR
# define EMU_ABI_MAJOR TEST_ABI_MAJOR
#endif
#ifdef TEST_ABI_MINOR
# undef EMU_ABI_MINOR
# define EMU_ABI_MINOR TEST_ABI_MINOR
#endif
#ifndef TEST_PLUGIN_NAME
# define TEST_PLUGIN_NAME "test-good"
#endif

typedef struct TestDev {
    EmuObject parent;
    bool flag;
    uint8_t u8;
    uint32_t u32;
    uint64_t size;
    int64_t i64;
    char *label;
    int mode;
    EmuObject *peer;
    EmuIrq *irq;
    uint32_t irq_count;
    bool realized_once;
} TestDev;

static void testdev_irq(void *opaque, int n, int level)
{
    TestDev *s = opaque;
    if (level) {
        s->irq_count += 1u << (8 * n);
    }
}

static void testdev_init(EmuObject *obj)
{
    emu_irq_init_in(obj, "in", 4, testdev_irq, obj);
}

static bool testdev_realize(EmuObject *obj, GError **errp)
{
    TestDev *s = EMU_CAST(TestDev, obj, "test-dev");
    if (s->u8 == 13) {
        g_set_error(errp, EMU_ERROR, 0, "test-dev: u8=13 is unlucky");
        return false;
    }
    s->realized_once = true;
    emu_irq_raise(s->irq);
    return true;
}

static const char *const testdev_modes[] = { "fast", "slow", "off", NULL };

static const EmuProperty testdev_props[] = {
    EMU_PROP_BOOL("flag", TestDev, flag, "on", "a bool"),
    EMU_PROP_U8("u8", TestDev, u8, "7", "a byte"),
    EMU_PROP_U32("u32", TestDev, u32, "0x100", "a word"),
    EMU_PROP_SIZE("size", TestDev, size, "1M", "a size"),
    EMU_PROP_I64("i64", TestDev, i64, "-5", "a signed number"),
    EMU_PROP_STRING("label", TestDev, label, "none", "a string"),
    EMU_PROP_ENUM("mode", TestDev, mode, "slow", testdev_modes, "an enum"),
    EMU_PROP_LINK("peer", TestDev, peer, "test-dev", "another test-dev"),
    EMU_PROP_IRQ("irq", TestDev, irq, "raised once at realize"),
    EMU_PROP_END
};

static const EmuStateField testdev_fields[] = {
    EMU_STATE_U8(TestDev, u8),
    EMU_STATE_U32(TestDev, u32),
    EMU_STATE_U64(TestDev, size),
    EMU_STATE_U32(TestDev, irq_count),
    EMU_STATE_BOOL(TestDev, flag),
    EMU_STATE_END
};

static const EmuStateDesc testdev_state = {
    .name = "test-dev", .version = 1, .fields = testdev_fields,
};

static const EmuTypeInfo testdev_type = {
    EMU_TYPE_HEADER,
    .name = "test-dev",
    .parent = "device",
    .description = "device for emu's own tests",
    .instance_size = sizeof(TestDev),
    .props = testdev_props,
    .init = testdev_init,
    .realize = testdev_realize,
    .state = &testdev_state,
};

static bool test_plugin_init(EmuPlugin *self, GError **errp)
{
#ifdef TEST_INIT_FAIL
    (void)testdev_type;
    g_set_error(errp, EMU_ERROR, 0, "deliberate failure");
    return false;
#elif defined(TEST_NO_REGISTER)
    (void)testdev_type;
    return true;
#else
    return emu_type_register(&testdev_type, errp);
#endif
}

EMU_PLUGIN_EXPORT const EmuPluginInfo emu_plugin_info = {
    EMU_PLUGIN_HEADER,
    .name = TEST_PLUGIN_NAME,
    .version = "0.1",
    .license = "GPL-2.0-or-later",
    .description = "emu test device",
    .provides = (const char *const[]){ "device:test-dev", NULL },
    .requires = (const char *const[]){ NULL },
    .init = test_plugin_init,
};
