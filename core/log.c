/*
 * The -d / -D debug log.  The mask is a plain global so hot paths test it
 * with one load; the output stream is guarded by a mutex because vCPU
 * threads log concurrently.
 */
#include "emu-internal.h"
#include <stdio.h>
#include <string.h>

unsigned emu_log_mask;
static FILE *log_file;
static GMutex log_lock;

static const struct {
    const char *name;
    unsigned bit;
    const char *help;
} log_items[] = {
    { "in_asm", EMU_LOG_IN_ASM, "show guest code as it is translated" },
    { "op", EMU_LOG_OP, "show the IR of each translated block" },
    { "out_asm", EMU_LOG_OUT_ASM, "show the generated host code" },
    { "exec", EMU_LOG_EXEC, "show each translated block as it runs" },
    { "int", EMU_LOG_INT, "show interrupts and exceptions" },
    { "cpu", EMU_LOG_CPU, "show CPU state before each block" },
    { "unimp", EMU_LOG_UNIMP, "log unimplemented features and unassigned I/O" },
    { "guest_errors", EMU_LOG_GUEST_ERRORS, "log guest misuse of devices" },
    { "plugin", EMU_LOG_PLUGIN, "log plugin discovery and loading" },
    { "strace", EMU_LOG_STRACE, "user mode: log system calls" },
};

char *emu_log_items_help(void)
{
    GString *s = g_string_new("Log items (comma separated):\n");
    for (size_t i = 0; i < G_N_ELEMENTS(log_items); i++) {
        g_string_append_printf(s, "%-13s %s\n", log_items[i].name,
                               log_items[i].help);
    }
    g_string_append(s, "all           all of the above\n");
    return g_string_free(s, false);
}

bool emu_log_set_items(const char *items, GError **errp)
{
    g_auto(GStrv) names = g_strsplit(items, ",", -1);
    unsigned mask = 0;

    for (char **n = names; *n; n++) {
        bool found = false;
        if (!strcmp(*n, "all")) {
            mask = ~0u;
            continue;
        }
        for (size_t i = 0; i < G_N_ELEMENTS(log_items); i++) {
            if (!strcmp(*n, log_items[i].name)) {
                mask |= log_items[i].bit;
                found = true;
            }
        }
        if (!found) {
            g_set_error(errp, EMU_ERROR, 0,
                        "-d: unknown log item '%s' (try -d help)", *n);
            return false;
        }
    }
    emu_log_mask = mask;
    return true;
}

bool emu_log_set_file(const char *path, GError **errp)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        g_set_error(errp, EMU_ERROR, 0, "-D: cannot open '%s': %s", path,
                    g_strerror(errno));
        return false;
    }
    setvbuf(f, NULL, _IOLBF, 0);
    g_mutex_lock(&log_lock);
    if (log_file) {
        fclose(log_file);
    }
    log_file = f;
    g_mutex_unlock(&log_lock);
    return true;
}

void emu_log(const char *fmt, ...)
{
    va_list ap;

    g_mutex_lock(&log_lock);
    va_start(ap, fmt);
    vfprintf(log_file ? log_file : stderr, fmt, ap);
    va_end(ap);
    g_mutex_unlock(&log_lock);
}
