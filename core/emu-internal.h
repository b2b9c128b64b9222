/*
 * Declarations shared by core files only (never installed).
 */
#ifndef EMU_INTERNAL_H
#define EMU_INTERNAL_H

#include "config.h"
#include <emu/emu.h>
#include <emu/runtime.h>

/* Prints "emu: MESSAGE" to stderr: the one line a user sees for an error. */
void emu_report_error(const GError *err);
void emu_error_line(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* core/pci.c: registers the abstract "pci-device" type. */
bool pci_register_types(GError **errp);

#endif
