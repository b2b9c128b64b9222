/*
 * Plugin discovery and loading (internal).
 */
#ifndef EMU_CORE_PLUGIN_H
#define EMU_CORE_PLUGIN_H

#include "emu-internal.h"
#include <stdio.h>

/* Scans the search path and builds the index; no plugin code runs. */
bool plugin_index_build(GError **errp);
/* Drops the index and unloads nothing (for tests that rebuild it). */
void plugin_index_reset(void);
/* Loads the plugin providing type name (bare name, no kind prefix).
 * Returns false with *errp set if none does or it cannot be loaded;
 * *found tells "no provider" from "provider failed". */
bool plugin_load_for_type(const char *type, bool *found, GError **errp);
/* Why plugins were refused ("; "-separated), or NULL: a type that is
 * unknown may live in one of them. */
char *plugin_refusals(void);
/* The plugin whose init() is running, or NULL (core types). */
EmuPlugin *plugin_current(void);
const char *plugin_path(const EmuPlugin *p);
/* --list-plugins and --describe-plugin. */
void plugin_print_list(FILE *out);
bool plugin_describe_file(const char *path, FILE *out, GError **errp);
/* Directories searched, in order, for messages and tests. */
const GPtrArray *plugin_search_dirs(void);

#endif
