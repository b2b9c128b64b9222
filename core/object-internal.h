/*
 * Object model internals shared by core files.
 */
#ifndef EMU_OBJECT_INTERNAL_H
#define EMU_OBJECT_INTERNAL_H

#include "emu-internal.h"
#include <stdio.h>

struct EmuType {
    EmuTypeInfo info;           /* copied, zero-extended to our size */
    const EmuType *parent;
    const char *kind;           /* name of the root ancestor */
    size_t instance_size;       /* resolved through parents */
    EmuPlugin *plugin;          /* NULL for core types */
};

/* Registered type by name, without loading anything. */
const EmuType *type_lookup(const char *name);
/* Registers the core's root types; idempotent. */
void object_register_core_types(void);
/* Finds a property along the type chain. */
const EmuProperty *type_find_prop(const EmuType *type, const char *name);
/* Drops the whole tree (tests, exit). */
void object_tree_destroy(void);
EmuPlugin *type_plugin(const EmuType *type);
/* "name = value" lines, for --dump-tree and the monitor. */
void object_print_props(EmuObject *obj, int indent, FILE *out);

#endif
