/*
 * emu-img: the disk image tool, command-compatible with qemu-img.
 * This file has main(), the subcommand table, --help (which lists the
 * formats the loaded block plugins provide) and the shared helpers.
 */
#include "config.h"
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <emu/runtime.h>
#include "emu-img.h"

typedef struct Command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *synopsis;
} Command;

static const Command commands[] = {
    { "amend", img_amend, "amend [-f fmt] -o options filename" },
    { "bench", img_bench, "bench [-c count] [-d depth] [-f fmt] [-n] "
      "[-o offset] [-s buffer_size] [-S step_size] [-t cache] [-w] filename" },
    { "check", img_check, "check [-f fmt] [--output=ofmt] [-r [leaks | all]] "
      "filename" },
    { "commit", img_commit, "commit [-f fmt] [-t cache] [-b base] [-d] [-p] "
      "[-q] filename" },
    { "compare", img_compare, "compare [-f fmt] [-F fmt] [-T src_cache] [-p] "
      "[-q] [-s] filename1 filename2" },
    { "convert", img_convert, "convert [-c] [-p] [-q] [-n] [-f fmt] "
      "[-t cache] [-T src_cache] [-O output_fmt] [-B backing_file "
      "[-F backing_fmt]] [-o options] [-S sparse_size] [-m num_coroutines] "
      "[-W] filename [filename2 [...]] output_filename" },
    { "create", img_create, "create [-q] [-f fmt] [-b backing_file "
      "[-F backing_fmt]] [-u] [-o options] filename [size]" },
    { "dd", img_dd, "dd [-f fmt] [-O output_fmt] [bs=block_size] "
      "[count=blocks] [skip=blocks] if=input of=output" },
    { "info", img_info, "info [-f fmt] [--output=ofmt] [--backing-chain] "
      "[-U] filename" },
    { "map", img_map, "map [-f fmt] [--output=ofmt] [--start-offset=offset] "
      "[--max-length=len] filename" },
    { "measure", img_measure, "measure [--output=ofmt] [-O output_fmt] "
      "[-o options] [--size N | [-f fmt] filename]" },
    { "snapshot", img_snapshot, "snapshot [-q] [-l | -a snapshot | "
      "-c snapshot | -d snapshot] filename" },
    { "rebase", img_rebase, "rebase [-f fmt] [-t cache] [-T src_cache] [-p] "
      "[-q] [-u] -b backing_file [-F backing_fmt] filename" },
    { "resize", img_resize, "resize [-f fmt] [--shrink] [-q] filename "
      "[+ | -]size" },
};

void img_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "emu-img: %s\n", msg);
    g_free(msg);
}

/* Subcommands taking exactly one image: true when argv holds just that. */
bool img_one_file_arg(int argc)
{
    if (optind != argc - 1) {
        img_error("Expecting one image file name");
        return false;
    }
    return true;
}

int img_report(GError *err)
{
    img_error("%s", err ? err->message : "unknown error");
    if (err) {
        g_error_free(err);
    }
    return 1;
}

GHashTable *img_opts_new(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

bool img_parse_opts(GHashTable *opts, const char *text, GError **errp)
{
    GString *cur = g_string_new(NULL);
    GPtrArray *items = g_ptr_array_new_with_free_func(g_free);
    for (const char *p = text;; p++) {
        if (*p == ',' && p[1] == ',') {
            g_string_append_c(cur, ',');
            p++;
        } else if (*p == ',' || !*p) {
            g_ptr_array_add(items, g_string_free(cur, FALSE));
            cur = g_string_new(NULL);
            if (!*p) {
                break;
            }
        } else {
            g_string_append_c(cur, *p);
        }
    }
    g_string_free(cur, TRUE);
    bool ok = true;
    for (guint i = 0; ok && i < items->len; i++) {
        const char *item = g_ptr_array_index(items, i);
        const char *eq = strchr(item, '=');
        if (!*item) {
            continue;
        }
        if (!eq) {
            if (strcmp(item, "help") && strcmp(item, "?")) {
                g_set_error(errp, EMU_ERROR, 0, "Invalid option '%s': "
                            "expected name=value", item);
                ok = false;
            } else {
                g_hash_table_replace(opts, g_strdup("help"), g_strdup("on"));
            }
            continue;
        }
        g_hash_table_replace(opts, g_strndup(item, eq - item),
                             g_strdup(eq + 1));
    }
    g_ptr_array_free(items, TRUE);
    return ok;
}

char *img_size_str(uint64_t size)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB",
                                         "PiB", "EiB" };
    int i = 0;
    double v = (double)size;
    while (v >= 1024 * 0.9995 && i < 6 && size >= 1024) {
        v /= 1024;
        i++;
    }
    return g_strdup_printf("%0.3g %s", v, units[i]);
}

bool img_parse_output(const char *text, bool *json)
{
    if (!strcmp(text, "json")) {
        *json = true;
    } else if (!strcmp(text, "human")) {
        *json = false;
    } else {
        img_error("--output must be used with human or json as argument.");
        return false;
    }
    return true;
}

EmuBlockNode *img_open(const char *filename, const char *fmt, unsigned flags,
                       const char *cache, GError **errp)
{
    if (cache && !emu_block_parse_cache(cache, &flags, errp)) {
        return NULL;
    }
    return emu_block_open(filename, fmt, flags, errp);
}

void img_progress(bool enabled, double percent)
{
    if (enabled) {
        printf("    (%3.2f/100%%)\r", percent);
        fflush(stdout);
    }
}

char *img_json_string(const char *s)
{
    GString *out = g_string_new("\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            g_string_append_printf(out, "\\%c", *p);
        } else if (*p < 0x20) {
            g_string_append_printf(out, "\\u%04x", *p);
        } else {
            g_string_append_c(out, (char)*p);
        }
    }
    g_string_append_c(out, '"');
    return g_string_free(out, FALSE);
}

static void print_help(void)
{
    printf("emu-img version " PACKAGE_VERSION "\n"
           "usage: emu-img [standard options] command [command options]\n"
           "Disk image manipulation tool, compatible with qemu-img.\n\n"
           "    '-h', '--help'       display this help and exit\n"
           "    '-V', '--version'    output version information and exit\n\n"
           "Command syntax:\n");
    for (unsigned i = 0; i < G_N_ELEMENTS(commands); i++) {
        printf("  %s\n", commands[i].synopsis);
    }
    printf("\nSupported formats:");
    GError *err = NULL;
    char **names = emu_block_driver_names(&err);
    for (char **p = names; p && *p; p++) {
        printf(" %s", *p);
    }
    printf("\n");
    if (err) {
        img_error("%s", err->message);
        g_error_free(err);
    }
    g_strfreev(names);
}

int main(int argc, char **argv)
{
    GError *err = NULL;
    if (!emu_runtime_init(argv[0], &err)) {
        return img_report(err);
    }
    if (argc < 2) {
        img_error("Not enough arguments");
        fprintf(stderr, "Try 'emu-img --help' for more information\n");
        return 1;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        print_help();
        return 0;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("emu-img version " PACKAGE_VERSION "\n");
        return 0;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (!strcmp(cmd, commands[i].name)) {
            return commands[i].fn(argc - 1, argv + 1);
        }
    }
    img_error("Command not found: %s", cmd);
    return 1;
}
