/*
 * emu-img subcommands that change images in place: commit, rebase (safe
 * and unsafe), resize and amend.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "emu-img.h"

#define UNIT (64u << 10)

enum { OPT_SHRINK = 256, OPT_PREALLOC, OPT_OBJECT };

/* --- commit ---------------------------------------------------------- */

static int chain_depth_of(EmuBlockNode *top, const char *top_name,
                          const char *base)
{
    char *want = realpath(base, NULL);
    char *name = g_strdup(top_name);
    int depth = 0, found = -1;
    for (EmuBlockNode *n = top; n && want; n = emu_block_node_backing(n)) {
        char *real = realpath(name, NULL);
        if (real && !strcmp(real, want)) {
            found = depth;
        }
        free(real);
        if (found >= 0 || !emu_block_node_backing(n)) {
            break;
        }
        char *next = emu_block_resolve_backing(name,
                                               emu_block_node_backing_ref(n));
        g_free(name);
        name = next;
        depth++;
    }
    free(want);
    g_free(name);
    return found;
}

static bool commit_copy(EmuBlockNode *top, EmuBlockNode *base, int base_depth,
                        bool progress, GError **errp)
{
    uint64_t size = emu_block_length(top);
    uint8_t *buf = g_malloc(2u << 20);
    bool ok = true;
    for (uint64_t off = 0; ok && off < size;) {
        uint64_t pnum, map;
        unsigned st;
        int depth;
        ok = emu_block_status_above(top, off, MIN(size - off, 2u << 20),
                                    &pnum, &st, &map, &depth, errp);
        if (ok && (st & EMU_BLOCK_STATUS_ALLOCATED) && depth < base_depth) {
            ok = (st & EMU_BLOCK_STATUS_ZERO)
                 ? emu_block_pwrite_zeroes(base, off, pnum, 0, errp)
                 : emu_block_pread(top, off, pnum, buf, errp) &&
                   emu_block_pwrite(base, off, pnum, buf, 0, errp);
        }
        off += ok ? pnum : 0;
        img_progress(progress, size ? off * 100.0 / size : 100);
    }
    g_free(buf);
    return ok && emu_block_flush(base, errp);
}

int img_commit(int argc, char **argv)
{
    const char *fmt = NULL, *cache = NULL, *base_name = NULL;
    bool drop = false, progress = false, quiet = false;
    GError *err = NULL;
    int c;
    while ((c = getopt(argc, argv, "+f:ht:b:dpqr:")) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 't': cache = optarg; break;
        case 'b': base_name = optarg; break;
        case 'd': drop = true; break;
        case 'p': progress = true; break;
        case 'q': quiet = true; break;
        case 'r': break;
        default: return 1;
        }
    }
    if (!img_one_file_arg(argc)) {
        return 1;
    }
    const char *file = argv[optind];
    EmuBlockNode *top = img_open(file, fmt, EMU_BLOCK_RDWR, cache, &err);
    if (!top) {
        return img_report(err);
    }
    if (!emu_block_node_backing(top)) {
        emu_block_close(top);
        img_error("Image does not have a backing file");
        return 1;
    }
    int depth = 1;
    char *base_path = emu_block_resolve_backing(
        file, emu_block_node_backing_ref(top));
    if (base_name) {
        depth = chain_depth_of(top, file, base_name);
        if (depth <= 0) {
            emu_block_close(top);
            g_free(base_path);
            img_error("Base '%s' not found in the backing chain of '%s'",
                      base_name, file);
            return 1;
        }
        g_free(base_path);
        base_path = g_strdup(base_name);
    }
    EmuBlockNode *bnode = top;
    for (int i = 0; i < depth; i++) {
        bnode = emu_block_node_backing(bnode);
    }
    EmuBlockNode *base = img_open(base_path, emu_block_format_name(bnode),
                                  EMU_BLOCK_RDWR | EMU_BLOCK_NO_BACKING,
                                  cache, &err);
    g_free(base_path);
    bool ok = base != NULL;
    if (ok && emu_block_length(base) < emu_block_length(top)) {
        ok = emu_block_truncate(base, emu_block_length(top), false,
                                EMU_PREALLOC_OFF, &err);
    }
    ok = ok && commit_copy(top, base, depth, progress && !quiet, &err);
    const EmuBlockDriver *drv = emu_block_node_driver(top);
    if (ok && !drop && drv->make_empty) {
        ok = drv->make_empty(top, &err) && emu_block_flush(top, &err);
    }
    emu_block_close(base);
    emu_block_close(top);
    if (!ok) {
        return img_report(err);
    }
    if (progress && !quiet) {
        printf("\n");
    }
    if (!quiet) {
        printf("Image committed.\n");
    }
    return 0;
}

/* --- rebase ---------------------------------------------------------- */

static bool rebase_copy(EmuBlockNode *top, EmuBlockNode *new_base,
                        bool progress, GError **errp)
{
    uint64_t size = emu_block_length(top);
    uint64_t nsize = new_base ? emu_block_length(new_base) : 0;
    uint8_t *old = g_malloc(UNIT), *nw = g_malloc(UNIT);
    bool ok = true;
    for (uint64_t off = 0; ok && off < size;) {
        uint64_t pnum, map;
        unsigned st;
        ok = emu_block_status(top, off, MIN(UNIT, size - off), &pnum, &st,
                              &map, errp);
        if (ok && !(st & EMU_BLOCK_STATUS_ALLOCATED)) {
            memset(nw, 0, pnum);
            uint64_t avail = off < nsize ? MIN(pnum, nsize - off) : 0;
            ok = emu_block_pread(top, off, pnum, old, errp) &&
                 (!avail || emu_block_pread(new_base, off, avail, nw, errp));
            if (ok && memcmp(old, nw, pnum)) {
                ok = emu_block_pwrite(top, off, pnum, old, 0, errp);
            }
        }
        off += ok ? pnum : 0;
        img_progress(progress, size ? off * 100.0 / size : 100);
    }
    g_free(old);
    g_free(nw);
    return ok;
}

int img_rebase(int argc, char **argv)
{
    const char *fmt = NULL, *cache = NULL, *src_cache = NULL;
    const char *backing = NULL, *backing_fmt = NULL;
    bool unsafe = false, progress = false, quiet = false;
    GError *err = NULL;
    int c;
    while ((c = getopt(argc, argv, "+hf:F:b:upt:T:qU")) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'F': backing_fmt = optarg; break;
        case 'b': backing = optarg; break;
        case 'u': unsafe = true; break;
        case 'p': progress = true; break;
        case 'q': quiet = true; break;
        case 't': cache = optarg; break;
        case 'T': src_cache = optarg; break;
        case 'U': break;
        default: return 1;
        }
    }
    (void)src_cache;
    if (!img_one_file_arg(argc)) {
        return 1;
    }
    if (!backing) {
        img_error("Must specify backing file (-b) or use unsafe mode (-u)");
        return 1;
    }
    const char *file = argv[optind];
    unsigned flags = EMU_BLOCK_RDWR | (unsafe ? EMU_BLOCK_NO_BACKING : 0);
    EmuBlockNode *top = img_open(file, fmt, flags, cache, &err);
    if (!top) {
        return img_report(err);
    }
    const EmuBlockDriver *drv = emu_block_node_driver(top);
    if (!drv->set_backing) {
        emu_block_close(top);
        img_error("Format '%s' does not support backing files",
                  drv->format_name);
        return 1;
    }
    bool ok = true;
    if (!unsafe) {
        EmuBlockNode *nb = NULL;
        if (*backing) {
            char *path = emu_block_resolve_backing(file, backing);
            nb = emu_block_open(path, backing_fmt, 0, &err);
            g_free(path);
            ok = nb != NULL;
        }
        ok = ok && rebase_copy(top, nb, progress && !quiet, &err);
        emu_block_close(nb);
        if (progress && !quiet) {
            printf("\n");
        }
    }
    ok = ok && drv->set_backing(top, backing, backing_fmt, &err);
    emu_block_close(top);
    return ok ? 0 : img_report(err);
}

/* --- resize ---------------------------------------------------------- */

int img_resize(int argc, char **argv)
{
    const char *fmt = NULL;
    bool shrink = false, quiet = false;
    EmuBlockPrealloc prealloc = EMU_PREALLOC_OFF;
    GError *err = NULL;
    if (argc < 3) {
        img_error("Expecting image file name and size");
        return 1;
    }
    /* The size may look like an option ("-1G"): take it first. */
    const char *size_arg = argv[argc - 1];
    argc--;
    if (argc > 2 && !strcmp(argv[argc - 1], "--")) {
        argc--;
    }
    int c;
    static const struct option lopts[] = {
        { "shrink", no_argument, NULL, OPT_SHRINK },
        { "preallocation", required_argument, NULL, OPT_PREALLOC },
        { "object", required_argument, NULL, OPT_OBJECT }, { 0 } };
    while ((c = getopt_long(argc, argv, "+f:hq", lopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'q': quiet = true; break;
        case OPT_OBJECT: break;
        case OPT_SHRINK: shrink = true; break;
        case OPT_PREALLOC:
            if (!emu_block_parse_prealloc(optarg, &prealloc, &err)) {
                return img_report(err);
            }
            break;
        default: return 1;
        }
    }
    if (!img_one_file_arg(argc)) {
        return 1;
    }
    int sign = size_arg[0] == '+' ? 1 : size_arg[0] == '-' ? -1 : 0;
    uint64_t amount;
    if (!emu_block_parse_size(size_arg + (sign != 0), &amount, &err)) {
        g_clear_error(&err);
        img_error("Invalid image size specified. You may use k, M, G, T, P "
                  "or E suffixes for kilobytes, megabytes, gigabytes, "
                  "terabytes, petabytes and exabytes.");
        return 1;
    }
    EmuBlockNode *node = emu_block_open(argv[optind], fmt,
                                        EMU_BLOCK_RDWR | EMU_BLOCK_NO_BACKING,
                                        &err);
    if (!node) {
        return img_report(err);
    }
    uint64_t cur = emu_block_length(node), size = amount;
    if (sign > 0) {
        size = cur + amount;
    } else if (sign < 0) {
        if (amount > cur) {
            emu_block_close(node);
            img_error("New image size must be positive");
            return 1;
        }
        size = cur - amount;
    }
    bool ok = true;
    if (size < cur && !shrink) {
        g_set_error(&err, EMU_ERROR, 0, "Use the --shrink option to perform "
                    "a shrink operation.");
        ok = false;
    }
    ok = ok && emu_block_truncate(node, size, shrink, prealloc, &err) &&
         emu_block_flush(node, &err);
    emu_block_close(node);
    if (!ok) {
        return img_report(err);
    }
    if (!quiet) {
        printf("Image resized.\n");
    }
    return 0;
}

/* --- amend ----------------------------------------------------------- */

int img_amend(int argc, char **argv)
{
    const char *fmt = NULL;
    GHashTable *opts = img_opts_new();
    bool have_opts = false;
    GError *err = NULL;
    int c;
    while ((c = getopt(argc, argv, "+hf:o:pqt:U")) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'p': case 'q': case 't': case 'U': break;
        case 'o':
            have_opts = true;
            if (!img_parse_opts(opts, optarg, &err)) {
                return img_report(err);
            }
            break;
        default: return 1;
        }
    }
    if (!have_opts) {
        img_error("Must specify options (-o)");
        return 1;
    }
    if (g_hash_table_contains(opts, "help") && fmt) {
        char *av[] = { "create", "-f", (char *)fmt, "-o", "help", NULL };
        optind = 1;
        return img_create(5, av);
    }
    if (!img_one_file_arg(argc)) {
        return 1;
    }
    EmuBlockNode *node = emu_block_open(argv[optind], fmt,
                                        EMU_BLOCK_RDWR | EMU_BLOCK_NO_BACKING,
                                        &err);
    if (!node) {
        return img_report(err);
    }
    const EmuBlockDriver *drv = emu_block_node_driver(node);
    bool ok;
    if (!drv->amend) {
        g_set_error(&err, EMU_ERROR, 0, "Format driver '%s' does not support "
                    "option amendment", drv->format_name);
        ok = false;
    } else {
        ok = drv->amend(node, opts, &err);
    }
    emu_block_close(node);
    g_hash_table_destroy(opts);
    return ok ? 0 : img_report(err);
}
