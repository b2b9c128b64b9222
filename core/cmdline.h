/*
 * The emu command line (internal).
 */
#ifndef EMU_CMDLINE_H
#define EMU_CMDLINE_H

#include "emu-internal.h"

typedef struct EmuOptions {
    char *machine;              /* -M NAME or --machine FILE */
    GHashTable *vars;           /* ${var} values for machine files */
    GPtrArray *devices;         /* -device specs */
    GPtrArray *chardevs;        /* -chardev specs */
    GPtrArray *serials;         /* -serial specs */
    bool nographic;
    bool start_paused;          /* -S */
    bool dump_tree;
    bool ram_given;
} EmuOptions;

typedef enum CmdlineAction {
    CMDLINE_RUN,                /* options parsed: build and run */
    CMDLINE_EXIT_OK,            /* help, version, lists: done */
    CMDLINE_EXIT_ERROR,         /* error reported: exit 1 */
} CmdlineAction;

CmdlineAction cmdline_parse(int argc, char **argv, EmuOptions *opts);
void cmdline_options_free(EmuOptions *opts);

#endif
