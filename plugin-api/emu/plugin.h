/*
 * emu plugin ABI: the one descriptor every plugin exports.
 *
 * A plugin is a shared object exporting the data symbol
 *     EMU_PLUGIN_EXPORT const EmuPluginInfo emu_plugin_info = { ... };
 * The core reads magic and ABI version before trusting anything else and
 * before running any plugin code; only then does it call init(), which
 * registers the plugin's types with emu_type_register().
 *
 * Compatibility rule: same major, and plugin minor <= core minor.
 * Every struct crossing this boundary starts with (or carries) its size so
 * that a later minor can append fields.
 *
 * ABI changelog
 *   1.0  first version (unreleased: still growing until the first
 *        release): descriptor, object model, properties, IRQ lines, state
 *        descriptions with post_load, memory regions and address spaces,
 *        clocks and timers, chardevs, logging, block drivers, CPUs and
 *        the JIT, interrupt controllers, PCI, input.
 */
#ifndef EMU_PLUGIN_H
#define EMU_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A plugin loads when its major equals the core's and its minor is not
 * newer.  Minor versions only add: 1.1 added EmuCpuClass exec_enter and
 * exec_leave, the IR's host floating-point ops (EMU_JIT_F_FP) and
 * EmuJitOptions.perfmap. */
#define EMU_ABI_MAJOR 1
#define EMU_ABI_MINOR 1

/* "EMUP" little-endian: tells an emu plugin from any other shared object. */
#define EMU_PLUGIN_MAGIC 0x50554d45u

/* Symbols libemu exports; everything else in libemu is hidden. */
#if defined(EMU_BUILDING_LIBEMU)
# define EMU_API __attribute__((visibility("default")))
#else
# define EMU_API
#endif
#define EMU_PLUGIN_EXPORT __attribute__((visibility("default")))

typedef struct EmuPlugin EmuPlugin;

typedef struct EmuPluginInfo {
    /* These three fields never move: the loader reads them first. */
    uint32_t magic;             /* EMU_PLUGIN_MAGIC */
    uint16_t abi_major;         /* EMU_ABI_MAJOR the plugin was built with */
    uint16_t abi_minor;         /* EMU_ABI_MINOR the plugin was built with */
    uint32_t size;              /* sizeof(EmuPluginInfo) as built */

    const char *name;           /* "dev-serial" */
    const char *version;        /* the plugin's own version, "1.0" */
    const char *license;        /* SPDX identifier */
    const char *description;    /* one line */
    const char *const *provides; /* NULL-terminated "kind:type" names */
    const char *const *requires; /* NULL-terminated "kind:type" names */
    /* Registers the plugin's types. Returns false and sets *errp on error. */
    bool (*init)(EmuPlugin *self, GError **errp);
} EmuPluginInfo;

_Static_assert(offsetof(EmuPluginInfo, magic) == 0, "ABI: magic first");
_Static_assert(offsetof(EmuPluginInfo, abi_major) == 4, "ABI: major at 4");
_Static_assert(offsetof(EmuPluginInfo, abi_minor) == 6, "ABI: minor at 6");
_Static_assert(offsetof(EmuPluginInfo, size) == 8, "ABI: size at 8");

/* Fills the fixed header of a descriptor. */
#define EMU_PLUGIN_HEADER \
    .magic = EMU_PLUGIN_MAGIC, .abi_major = EMU_ABI_MAJOR, \
    .abi_minor = EMU_ABI_MINOR, .size = sizeof(EmuPluginInfo)

/* The name of the plugin being initialised (for messages). */
EMU_API const char *emu_plugin_name(const EmuPlugin *plugin);

#ifdef __cplusplus
}
#endif
#endif
