/*
 * Errors: the emu GError domain and the one-line report users see.
 */
#include "emu-internal.h"
#include <stdio.h>

GQuark emu_error_quark(void)
{
    return g_quark_from_static_string("emu-error");
}

void emu_report_error(const GError *err)
{
    fprintf(stderr, "%s: %s\n", g_get_prgname() ? g_get_prgname() : "emu",
            err ? err->message : "unknown error");
}

void emu_error_line(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: %s\n", g_get_prgname() ? g_get_prgname() : "emu", msg);
}
