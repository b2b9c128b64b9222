/*
 * Entry points for the programs built on libemu (emu, emu-img, emu-nbd,
 * emu-x86_64): start-up, logging options and plugin discovery.
 */
#ifndef EMU_RUNTIME_H
#define EMU_RUNTIME_H

#include <emu/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Finds the plugin index (EMU_PLUGIN_PATH, the build tree when run
 * uninstalled, the install directory).  Plugins load on first use. */
EMU_API bool emu_runtime_init(const char *argv0, GError **errp);
/* -d items (comma-separated; "help" lists them) and -D file. */
EMU_API bool emu_log_set_items(const char *items, GError **errp);
EMU_API bool emu_log_set_file(const char *path, GError **errp);
EMU_API char *emu_log_items_help(void);
/* Loads every plugin providing a type of this kind ("block", "cpu", ...),
 * so that lists such as emu-img's format list are complete. */
EMU_API bool emu_plugins_load_kind(const char *kind, GError **errp);
/* True when this program runs from the build tree. */
EMU_API bool emu_runtime_uninstalled(void);

/* The emu program. */
EMU_API int emu_system_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif
