/*
 * debug-out: an example third-party device plugin.
 *
 * One I/O port (0xe9 by default, as Bochs' "port e9 hack"): every byte the
 * guest writes there goes to a character backend; reading it returns 0xe9
 * so a guest can detect the device.  It is built out of tree against the
 * installed emu headers (see Makefile) and loaded from $EMU_PLUGIN_PATH.
 *
 *   emu ... -chardev file,id=dbg,path=debug.log -device debug-out,chardev=dbg
 */
#include <emu/emu.h>

typedef struct DebugOut {
    EmuObject parent;
    uint32_t iobase;
    EmuObject *chardev;
    EmuMemoryRegion *io;
    uint64_t bytes_written;
} DebugOut;

static uint64_t debugout_read(void *opaque, uint64_t addr, unsigned size)
{
    return 0xe9;
}

static void debugout_write(void *opaque, uint64_t addr, uint64_t val,
                           unsigned size)
{
    DebugOut *s = opaque;
    uint8_t byte = val;

    if (s->chardev) {
        emu_chr_write(emu_chr_from_object(s->chardev), &byte, 1);
    }
    s->bytes_written++;
}

static const EmuMemoryOps debugout_ops = {
    EMU_MEMORY_OPS_HEADER,
    .read = debugout_read,
    .write = debugout_write,
    .min_access = 1,
    .max_access = 1,
};

static bool debugout_realize(EmuObject *obj, GError **errp)
{
    DebugOut *s = EMU_CAST(DebugOut, obj, "debug-out");

    if (s->iobase > 0xffff) {
        g_set_error(errp, EMU_ERROR, 0, "debug-out: iobase 0x%x is not an "
                    "I/O port", s->iobase);
        return false;
    }
    s->io = emu_mr_new_io(obj, "debug-out", 1, &debugout_ops, s);
    emu_mr_add_subregion(emu_as_root(emu_system_io()), s->iobase, s->io, 0);
    return true;
}

static void debugout_unrealize(EmuObject *obj)
{
    DebugOut *s = EMU_CAST(DebugOut, obj, "debug-out");

    emu_mr_del_subregion(emu_as_root(emu_system_io()), s->io);
    emu_mr_unref(s->io);
}

static const EmuProperty debugout_props[] = {
    EMU_PROP_U32("iobase", DebugOut, iobase, "0xe9", "I/O port"),
    EMU_PROP_LINK("chardev", DebugOut, chardev, "chardev",
                  "where the bytes go"),
    EMU_PROP_END
};

static const EmuStateField debugout_state_fields[] = {
    EMU_STATE_U64(DebugOut, bytes_written),
    EMU_STATE_END
};

static const EmuStateDesc debugout_state = {
    .name = "debug-out", .version = 1, .fields = debugout_state_fields,
};

static const EmuTypeInfo debugout_type = {
    EMU_TYPE_HEADER,
    .name = "debug-out",
    .parent = "device",
    .description = "writes bytes from an I/O port to a character backend",
    .instance_size = sizeof(DebugOut),
    .props = debugout_props,
    .realize = debugout_realize,
    .unrealize = debugout_unrealize,
    .state = &debugout_state,
};

static bool debugout_plugin_init(EmuPlugin *self, GError **errp)
{
    return emu_type_register(&debugout_type, errp);
}

EMU_PLUGIN_EXPORT const EmuPluginInfo emu_plugin_info = {
    EMU_PLUGIN_HEADER,
    .name = "dev-debugout",
    .version = "1.0",
    .license = "MIT",
    .description = "example out-of-tree device: I/O port to chardev",
    .provides = (const char *const[]){ "device:debug-out", NULL },
    .requires = (const char *const[]){ NULL },
    .init = debugout_plugin_init,
};
