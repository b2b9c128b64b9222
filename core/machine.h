/*
 * Machine description files (internal).
 */
#ifndef EMU_MACHINE_H
#define EMU_MACHINE_H

#include "emu-internal.h"
#include <stdio.h>

/* The machine file format this emu reads. */
#define MACHINE_FORMAT 1

typedef struct MachineDesc MachineDesc;

/* Path of machine NAME (NAME.machine in the search path), or NULL. */
char *machine_find(const char *name);
void machine_print_list(FILE *out);

/* Reads a file and its includes; ${var} are filled from vars (string ->
 * string) when the machine is built. */
MachineDesc *machine_load(const char *path, GError **errp);
void machine_free(MachineDesc *m);
const char *machine_name(const MachineDesc *m);
/* A [machine] key (after includes), or NULL. */
const char *machine_get(const MachineDesc *m, const char *key);
/* Creates, wires and realizes every component under /machine. */
bool machine_build(MachineDesc *m, GHashTable *vars, GError **errp);
/* Number of CPU objects the build created. */
unsigned machine_cpu_count(const MachineDesc *m);

#endif
