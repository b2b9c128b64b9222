/*
 * emu-img subcommands that describe images: create, info, check, map,
 * measure and snapshot, with qemu-img's human and JSON output.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "emu-img.h"

enum { OPT_OUTPUT = 256, OPT_BACKING_CHAIN, OPT_START, OPT_MAXLEN,
       OPT_SIZE, OPT_OBJECT, OPT_IMAGE_OPTS };

/* --- create ---------------------------------------------------------- */

static void print_create_help(const EmuBlockDriver *drv)
{
    printf("Supported options:\n");
    for (const EmuBlockOptDesc *o = drv->create_opts; o && o->name; o++) {
        static const char *const types[] = { "str", "size", "bool (on/off)",
                                             "num" };
        char *left = g_strdup_printf("%s=<%s>", o->name, types[o->type]);
        printf("  %-22s - %s\n", left, o->help);
        g_free(left);
    }
}

static bool check_create_opts(const EmuBlockDriver *drv, GHashTable *opts,
                              GError **errp)
{
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, opts);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        bool known = false;
        for (const EmuBlockOptDesc *o = drv->create_opts; o && o->name; o++) {
            known |= !strcmp(o->name, key);
        }
        if (!known) {
            g_set_error(errp, EMU_ERROR, 0, "Invalid parameter '%s'",
                        (char *)key);
            return false;
        }
    }
    return true;
}

static bool backing_size(const char *image, const char *backing,
                         const char *fmt, uint64_t *size, GError **errp)
{
    char *path = emu_block_resolve_backing(image, backing);
    EmuBlockNode *b = emu_block_open(path, fmt, 0, errp);
    g_free(path);
    if (!b) {
        return false;
    }
    *size = emu_block_length(b);
    emu_block_close(b);
    return true;
}

/* "Formatting 'FILE', fmt=FMT name=value ...": options given, and the
 * defaults the driver marks, in the driver's order (as qemu-img does). */
static void print_formatting(const EmuBlockDriver *drv, const char *file,
                             const char *fmt, uint64_t size, GHashTable *opts)
{
    printf("Formatting '%s', fmt=%s", file, fmt);
    for (const EmuBlockOptDesc *o = drv->create_opts; o && o->name; o++) {
        const char *v = g_hash_table_lookup(opts, o->name);
        if (!strcmp(o->name, "size")) {
            printf(" size=%" G_GUINT64_FORMAT, size);
        } else if (v || (o->show_default && o->defval)) {
            uint64_t bytes;
            v = v ? v : o->defval;
            if (o->type == EMU_BLOCK_OPT_SIZE &&
                emu_block_parse_size(v, &bytes, NULL)) {
                printf(" %s=%" G_GUINT64_FORMAT, o->name, bytes);
            } else {
                printf(" %s=%s", o->name, v);
            }
        }
    }
    printf("\n");
}

int img_create(int argc, char **argv)
{
    const char *fmt = "raw", *backing = NULL, *backing_fmt = NULL;
    bool quiet = false, unsafe = false;
    GHashTable *opts = img_opts_new();
    GError *err = NULL;
    int c;
    static const struct option lopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "object", required_argument, NULL, OPT_OBJECT }, { 0 } };
    while ((c = getopt_long(argc, argv, "+F:b:f:ho:qu", lopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'b': backing = optarg; break;
        case 'F': backing_fmt = optarg; break;
        case 'q': quiet = true; break;
        case 'u': unsafe = true; break;
        case 'o':
            if (!img_parse_opts(opts, optarg, &err)) {
                return img_report(err);
            }
            break;
        default: return 1;
        }
    }
    const EmuBlockDriver *drv = emu_block_driver_find(fmt, &err);
    if (!drv) {
        g_hash_table_destroy(opts);
        g_clear_error(&err);
        img_error("Unknown file format '%s'", fmt);
        return 1;
    }
    if (g_hash_table_contains(opts, "help")) {
        print_create_help(drv);
        return 0;
    }
    if (optind >= argc) {
        img_error("Expecting image file name");
        return 1;
    }
    const char *file = argv[optind];
    if (backing) {
        g_hash_table_replace(opts, g_strdup("backing_file"),
                             g_strdup(backing));
    }
    if (backing_fmt) {
        g_hash_table_replace(opts, g_strdup("backing_fmt"),
                             g_strdup(backing_fmt));
    }
    backing = g_hash_table_lookup(opts, "backing_file");
    backing_fmt = g_hash_table_lookup(opts, "backing_fmt");
    uint64_t size = 0;
    bool have_size = false;
    const char *sz = optind + 1 < argc ? argv[optind + 1]
                     : g_hash_table_lookup(opts, "size");
    if (optind + 2 < argc) {
        img_error("Unexpected argument: %s", argv[optind + 2]);
        return 1;
    }
    if (sz) {
        if (!emu_block_parse_size(sz, &size, &err)) {
            g_clear_error(&err);
            img_error("Invalid image size specified. You may use k, M, G, T, "
                      "P or E suffixes for kilobytes, megabytes, gigabytes, "
                      "terabytes, petabytes and exabytes.");
            return 1;
        }
        if (size > INT64_MAX) {
            img_error("Image size must be less than 8 EiB!");
            return 1;
        }
        have_size = true;
        g_hash_table_remove(opts, "size");
    }
    if (!check_create_opts(drv, opts, &err)) {
        return img_report(err);
    }
    if (backing && !have_size) {
        if (!backing_size(file, backing, backing_fmt, &size, &err)) {
            return img_report(err);
        }
        have_size = true;
    } else if (backing && !unsafe) {
        uint64_t dummy;
        if (!backing_size(file, backing, backing_fmt, &dummy, &err)) {
            return img_report(err);
        }
    }
    if (!have_size) {
        img_error("Image creation needs a size parameter");
        return 1;
    }
    if (!quiet) {
        print_formatting(drv, file, fmt, size, opts);
    }
    bool ok = emu_block_create(file, fmt, size, opts, &err);
    g_hash_table_destroy(opts);
    return ok ? 0 : img_report(err);
}

/* --- info ------------------------------------------------------------ */

static void format_vm_clock(uint64_t ns, char *buf, size_t len)
{
    uint64_t ms = ns / 1000000, secs = ms / 1000;
    g_snprintf(buf, len, "%02u:%02u:%02u.%03u", (unsigned)(secs / 3600),
               (unsigned)(secs / 60 % 60), (unsigned)(secs % 60),
               (unsigned)(ms % 1000));
}

static void print_snapshot_table(GPtrArray *list)
{
    printf("%-10s%-17s%8s%20s%13s%11s\n", "ID", "TAG", "VM SIZE", "DATE",
           "VM CLOCK", "ICOUNT");
    for (guint i = 0; i < list->len; i++) {
        EmuBlockSnapshot *sn = g_ptr_array_index(list, i);
        char date[32], clock[32], icount[32] = "";
        time_t t = sn->date_sec;
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
        format_vm_clock(sn->vm_clock_nsec, clock, sizeof(clock));
        if (sn->icount != UINT64_MAX) {
            g_snprintf(icount, sizeof(icount), "%" G_GUINT64_FORMAT,
                       sn->icount);
        }
        char *vm = img_size_str(sn->vm_state_size);
        printf("%-9s %-16s %8s%20s%13s%11s\n", sn->id, sn->name, vm, date,
               clock, icount);
        g_free(vm);
    }
}

static GPtrArray *node_snapshots(EmuBlockNode *node)
{
    const EmuBlockDriver *drv = emu_block_node_driver(node);
    if (!drv->snapshot_list) {
        return NULL;
    }
    return drv->snapshot_list(node, NULL);
}

static void info_human(EmuBlockNode *node, const char *filename)
{
    const EmuBlockDriver *drv = emu_block_node_driver(node);
    EmuBlockFormatInfo fi = { .size = sizeof(fi) };
    if (drv->get_info) {
        drv->get_info(node, &fi);
    }
    uint64_t size = emu_block_length(node);
    int64_t disk = emu_block_allocated_size(node);
    char *vs = img_size_str(size);
    char *ds = disk >= 0 ? img_size_str((uint64_t)disk) : g_strdup("unavailable");
    printf("image: %s\nfile format: %s\nvirtual size: %s (%" G_GUINT64_FORMAT
           " bytes)\ndisk size: %s\n", filename, drv->format_name, vs, size, ds);
    g_free(vs);
    g_free(ds);
    if (fi.cluster_size) {
        printf("cluster_size: %" G_GUINT64_FORMAT "\n", fi.cluster_size);
    }
    const char *bref = emu_block_node_backing_ref(node);
    if (bref) {
        char *full = emu_block_resolve_backing(filename, bref);
        if (strcmp(full, bref)) {
            printf("backing file: %s (actual path: %s)\n", bref, full);
        } else {
            printf("backing file: %s\n", bref);
        }
        g_free(full);
        if (emu_block_node_backing_fmt(node)) {
            printf("backing file format: %s\n",
                   emu_block_node_backing_fmt(node));
        }
    }
    GPtrArray *snaps = node_snapshots(node);
    if (snaps && snaps->len) {
        printf("Snapshot list:\n");
        print_snapshot_table(snaps);
    }
    emu_block_snapshot_list_free(snaps);
    if (fi.has_format_specific) {
        printf("Format specific information:\n    compat: %s\n", fi.compat);
        if (!strcmp(fi.compat, "1.1")) {
            printf("    compression type: %s\n", fi.compression_type);
        }
        printf("    lazy refcounts: %s\n    refcount bits: %u\n"
               "    corrupt: %s\n    extended l2: %s\n",
               fi.lazy_refcounts ? "true" : "false", fi.refcount_bits,
               fi.corrupt ? "true" : "false",
               fi.extended_l2 ? "true" : "false");
    }
}

static void json_snapshots(GString *o, GPtrArray *snaps, const char *ind)
{
    g_string_append_printf(o, "%s\"snapshots\": [\n", ind);
    for (guint i = 0; i < snaps->len; i++) {
        EmuBlockSnapshot *sn = g_ptr_array_index(snaps, i);
        char *name = img_json_string(sn->name), *id = img_json_string(sn->id);
        g_string_append_printf(o, "%s    {\n", ind);
        if (sn->icount != UINT64_MAX) {
            g_string_append_printf(o, "%s        \"icount\": %" G_GUINT64_FORMAT
                                   ",\n", ind, sn->icount);
        }
        g_string_append_printf(o,
            "%s        \"vm-clock-nsec\": %u,\n"
            "%s        \"name\": %s,\n"
            "%s        \"date-sec\": %u,\n"
            "%s        \"date-nsec\": %u,\n"
            "%s        \"vm-clock-sec\": %u,\n"
            "%s        \"id\": %s,\n"
            "%s        \"vm-state-size\": %" G_GUINT64_FORMAT "\n"
            "%s    }%s\n",
            ind, (unsigned)(sn->vm_clock_nsec % 1000000000), ind, name,
            ind, sn->date_sec, ind, sn->date_nsec,
            ind, (unsigned)(sn->vm_clock_nsec / 1000000000), ind, id,
            ind, sn->vm_state_size, ind, i + 1 < snaps->len ? "," : "");
        g_free(name);
        g_free(id);
    }
    g_string_append_printf(o, "%s],\n", ind);
}

static void info_json(GString *o, EmuBlockNode *node, const char *filename,
                      const char *ind)
{
    const EmuBlockDriver *drv = emu_block_node_driver(node);
    EmuBlockFormatInfo fi = { .size = sizeof(fi) };
    if (drv->get_info) {
        drv->get_info(node, &fi);
    }
    char *fname = img_json_string(filename);
    g_string_append_printf(o, "%s{\n", ind);
    char *in = g_strdup_printf("%s    ", ind);
    GPtrArray *snaps = node_snapshots(node);
    if (snaps && snaps->len) {
        json_snapshots(o, snaps, in);
    }
    emu_block_snapshot_list_free(snaps);
    const char *bref = emu_block_node_backing_ref(node);
    if (bref && emu_block_node_backing_fmt(node)) {
        g_string_append_printf(o, "%s\"backing-filename-format\": \"%s\",\n",
                               in, emu_block_node_backing_fmt(node));
    }
    g_string_append_printf(o, "%s\"virtual-size\": %" G_GUINT64_FORMAT ",\n"
                           "%s\"filename\": %s,\n", in,
                           emu_block_length(node), in, fname);
    if (fi.cluster_size) {
        g_string_append_printf(o, "%s\"cluster-size\": %" G_GUINT64_FORMAT
                               ",\n", in, fi.cluster_size);
    }
    g_string_append_printf(o, "%s\"format\": \"%s\",\n", in,
                           drv->format_name);
    int64_t disk = emu_block_allocated_size(node);
    if (disk >= 0) {
        g_string_append_printf(o, "%s\"actual-size\": %" G_GINT64_FORMAT
                               ",\n", in, disk);
    }
    if (fi.has_format_specific) {
        g_string_append_printf(o,
            "%s\"format-specific\": {\n%s    \"type\": \"%s\",\n"
            "%s    \"data\": {\n%s        \"compat\": \"%s\",\n",
            in, in, drv->format_name, in, in, fi.compat);
        if (!strcmp(fi.compat, "1.1")) {
            g_string_append_printf(o, "%s        \"compression-type\": "
                                   "\"%s\",\n", in, fi.compression_type);
        }
        g_string_append_printf(o,
            "%s        \"lazy-refcounts\": %s,\n"
            "%s        \"refcount-bits\": %u,\n"
            "%s        \"corrupt\": %s,\n"
            "%s        \"extended-l2\": %s\n%s    }\n%s},\n",
            in, fi.lazy_refcounts ? "true" : "false", in, fi.refcount_bits,
            in, fi.corrupt ? "true" : "false", in,
            fi.extended_l2 ? "true" : "false", in, in);
    }
    if (bref) {
        char *full = emu_block_resolve_backing(filename, bref);
        char *jf = img_json_string(full), *jb = img_json_string(bref);
        g_string_append_printf(o, "%s\"full-backing-filename\": %s,\n"
                               "%s\"backing-filename\": %s,\n", in, jf, in,
                               jb);
        g_free(full);
        g_free(jf);
        g_free(jb);
    }
    g_string_append_printf(o, "%s\"dirty-flag\": %s\n%s}", in,
                           fi.dirty ? "true" : "false", ind);
    g_free(in);
    g_free(fname);
}

int img_info(int argc, char **argv)
{
    const char *fmt = NULL;
    bool json = false, chain = false;
    GError *err = NULL;
    int c;
    static const struct option lopts[] = {
        { "output", required_argument, NULL, OPT_OUTPUT },
        { "backing-chain", no_argument, NULL, OPT_BACKING_CHAIN },
        { "force-share", no_argument, NULL, 'U' }, { 0 } };
    while ((c = getopt_long(argc, argv, "+f:hU", lopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'U': break;
        case OPT_OUTPUT:
            if (!img_parse_output(optarg, &json)) {
                return 1;
            }
            break;
        case OPT_BACKING_CHAIN: chain = true; break;
        default: return 1;
        }
    }
    if (!img_one_file_arg(argc)) {
        return 1;
    }
    const char *file = argv[optind];
    EmuBlockNode *node = emu_block_open(file, fmt,
                                        chain ? 0 : EMU_BLOCK_NO_BACKING, &err);
    if (!node) {
        return img_report(err);
    }
    GString *o = g_string_new(NULL);
    if (json && chain) {
        g_string_append(o, "[\n");
    }
    char *name = g_strdup(file);
    for (EmuBlockNode *n = node; n; n = chain ? emu_block_node_backing(n)
                                              : NULL) {
        if (json) {
            info_json(o, n, name, chain ? "    " : "");
            g_string_append(o, chain && emu_block_node_backing(n) ? ",\n"
                                                                 : "\n");
        } else {
            fputs(o->str, stdout);
            g_string_truncate(o, 0);
            if (n != node) {
                printf("\n");
            }
            info_human(n, name);
        }
        if (emu_block_node_backing(n)) {
            char *next = emu_block_resolve_backing(
                name, emu_block_node_backing_ref(n));
            g_free(name);
            name = next;
        }
    }
    if (json && chain) {
        g_string_append(o, "]\n");
    }
    fputs(o->str, stdout);
    g_string_free(o, TRUE);
    g_free(name);
    emu_block_close(node);
    return 0;
}

/* --- check ----------------------------------------------------------- */

static void check_human(const EmuBlockCheckResult *r)
{
    if (r->corruptions_fixed || r->leaks_fixed) {
        printf("The following inconsistencies were found and repaired:\n\n"
               "    %" G_GINT64_FORMAT " leaked clusters\n"
               "    %" G_GINT64_FORMAT " corruptions\n\n"
               "Double checking the fixed image now...\n",
               r->leaks_fixed, r->corruptions_fixed);
    }
    if (!r->corruptions && !r->leaks && !r->check_errors) {
        printf("No errors were found on the image.\n");
    }
    if (r->corruptions) {
        printf("\n%" G_GINT64_FORMAT " errors were found on the image.\n"
               "Data may be corrupted, or further writes to the image may "
               "corrupt it.\n", r->corruptions);
    }
    if (r->leaks) {
        printf("\n%" G_GINT64_FORMAT " leaked clusters were found on the "
               "image.\nThis means waste of disk space, but no harm to "
               "data.\n", r->leaks);
    }
    if (r->check_errors) {
        printf("\n%" G_GINT64_FORMAT " internal errors have occurred during "
               "the check.\n", r->check_errors);
    }
    if (r->total_clusters && r->allocated_clusters) {
        printf("%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT " = %0.2f%% allocated,"
               " %0.2f%% fragmented, %0.2f%% compressed clusters\n",
               r->allocated_clusters, r->total_clusters,
               r->allocated_clusters * 100.0 / r->total_clusters,
               r->fragmented_clusters * 100.0 / r->allocated_clusters,
               r->compressed_clusters * 100.0 / r->allocated_clusters);
    }
    if (r->image_end_offset) {
        printf("Image end offset: %" G_GUINT64_FORMAT "\n",
               r->image_end_offset);
    }
}

static void check_json(const EmuBlockCheckResult *r, const char *file,
                       const char *fmt)
{
    char *jf = img_json_string(file);
    printf("{\n");
    if (r->image_end_offset) {
        printf("    \"image-end-offset\": %" G_GUINT64_FORMAT ",\n",
               r->image_end_offset);
    }
#define OPT_FIELD(name, v) \
    if (v) { printf("    \"" name "\": %" G_GINT64_FORMAT ",\n", (v)); }
    OPT_FIELD("corruptions", r->corruptions);
    OPT_FIELD("leaks", r->leaks);
    OPT_FIELD("corruptions-fixed", r->corruptions_fixed);
    OPT_FIELD("leaks-fixed", r->leaks_fixed);
    printf("    \"total-clusters\": %" G_GINT64_FORMAT ",\n"
           "    \"check-errors\": %" G_GINT64_FORMAT ",\n",
           r->total_clusters, r->check_errors);
    OPT_FIELD("allocated-clusters", r->allocated_clusters);
    printf("    \"filename\": %s,\n    \"format\": \"%s\"", jf, fmt);
    if (r->fragmented_clusters) {
        printf(",\n    \"fragmented-clusters\": %" G_GINT64_FORMAT,
               r->fragmented_clusters);
    }
    if (r->compressed_clusters) {
        printf(",\n    \"compressed-clusters\": %" G_GINT64_FORMAT,
               r->compressed_clusters);
    }
    printf("\n}\n");
#undef OPT_FIELD
    g_free(jf);
}

int img_check(int argc, char **argv)
{
    const char *fmt = NULL;
    bool json = false, quiet = false;
    unsigned fix = 0;
    GError *err = NULL;
    int c;
    static const struct option lopts[] = {
        { "output", required_argument, NULL, OPT_OUTPUT },
        { "repair", required_argument, NULL, 'r' },
        { "force-share", no_argument, NULL, 'U' }, { 0 } };
    while ((c = getopt_long(argc, argv, "+f:hr:T:qU", lopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'q': quiet = true; break;
        case 'U': case 'T': break;
        case 'r':
            if (!strcmp(optarg, "leaks")) {
                fix = EMU_CHECK_FIX_LEAKS;
            } else if (!strcmp(optarg, "all")) {
                fix = EMU_CHECK_FIX_LEAKS | EMU_CHECK_FIX_ERRORS;
            } else {
                img_error("Unknown option value for -r (expecting 'leaks' or "
                          "'all'): %s", optarg);
                return 1;
            }
            break;
        case OPT_OUTPUT:
            if (!img_parse_output(optarg, &json)) {
                return 1;
            }
            break;
        default: return 1;
        }
    }
    if (!img_one_file_arg(argc)) {
        return 1;
    }
    const char *file = argv[optind];
    unsigned flags = EMU_BLOCK_CHECK | EMU_BLOCK_NO_BACKING |
                     (fix ? EMU_BLOCK_RDWR : 0);
    EmuBlockNode *node = emu_block_open(file, fmt, flags, &err);
    if (!node) {
        img_report(err);
        return 1;
    }
    const EmuBlockDriver *drv = emu_block_node_driver(node);
    if (!drv->check) {
        emu_block_close(node);
        img_error("This image format does not support checks");
        return 63;
    }
    EmuBlockCheckResult r = { .size = sizeof(r) };
    if (!drv->check(node, &r, fix, &err)) {
        emu_block_close(node);
        img_error("Check failed: %s", err->message);
        g_error_free(err);
        return 1;
    }
    if (json) {
        check_json(&r, file, drv->format_name);
    } else if (!quiet) {
        check_human(&r);
    }
    emu_block_close(node);
    if (r.check_errors) {
        return 1;
    }
    return r.corruptions ? 2 : r.leaks ? 3 : 0;
}

/* --- map ------------------------------------------------------------- */

typedef struct MapEntry {
    uint64_t start, length, offset;
    int depth;
    bool present, zero, data, has_offset;
    const char *file;
} MapEntry;

static bool map_mergeable(const MapEntry *a, const MapEntry *b)
{
    return a->depth == b->depth && a->present == b->present &&
           a->zero == b->zero && a->data == b->data &&
           a->has_offset == b->has_offset &&
           (!a->has_offset || a->offset + a->length == b->offset) &&
           a->file == b->file;
}

static void map_print(const MapEntry *e, bool json, bool first)
{
    if (json) {
        printf("%s{ \"start\": %" G_GUINT64_FORMAT ", \"length\": %"
               G_GUINT64_FORMAT ", \"depth\": %d, \"present\": %s, "
               "\"zero\": %s, \"data\": %s", first ? "" : ",\n", e->start,
               e->length, e->depth, e->present ? "true" : "false",
               e->zero ? "true" : "false", e->data ? "true" : "false");
        if (e->has_offset) {
            printf(", \"offset\": %" G_GUINT64_FORMAT, e->offset);
        }
        printf("}");
    } else if (e->data && e->has_offset) {
        printf("%#-15" G_GINT64_MODIFIER "x %#-15" G_GINT64_MODIFIER "x %#-15"
               G_GINT64_MODIFIER "x %s\n", e->start, e->length, e->offset,
               e->file);
    }
}

static EmuBlockNode *layer(EmuBlockNode *n, int depth)
{
    for (int i = 0; i < depth && n; i++) {
        n = emu_block_node_backing(n);
    }
    return n;
}

static bool map_entry(EmuBlockNode *node, uint64_t off, uint64_t len,
                      const char *const *names, MapEntry *e, GError **errp)
{
    uint64_t pnum, map;
    unsigned st;
    int depth;
    if (!emu_block_status_above(node, off, len, &pnum, &st, &map, &depth,
                                errp)) {
        return false;
    }
    *e = (MapEntry){ .start = off, .length = pnum, .depth = depth,
                     .present = (st & EMU_BLOCK_STATUS_ALLOCATED) != 0,
                     .zero = (st & EMU_BLOCK_STATUS_ZERO) != 0,
                     .data = (st & EMU_BLOCK_STATUS_DATA) != 0,
                     .has_offset = (st & EMU_BLOCK_STATUS_OFFSET_VALID) != 0,
                     .offset = map };
    EmuBlockNode *l = layer(node, depth);
    e->file = l ? names[depth] : NULL;
    if (!e->present) {
        e->zero = true;
    }
    return true;
}

int img_map(int argc, char **argv)
{
    const char *fmt = NULL;
    bool json = false;
    uint64_t start = 0, max_len = UINT64_MAX;
    GError *err = NULL;
    int c;
    static const struct option lopts[] = {
        { "output", required_argument, NULL, OPT_OUTPUT },
        { "start-offset", required_argument, NULL, OPT_START },
        { "max-length", required_argument, NULL, OPT_MAXLEN },
        { "force-share", no_argument, NULL, 'U' }, { 0 } };
    while ((c = getopt_long(argc, argv, "+f:hU", lopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'U': break;
        case OPT_OUTPUT:
            if (!img_parse_output(optarg, &json)) {
                return 1;
            }
            break;
        case OPT_START:
        case OPT_MAXLEN:
            if (!emu_block_parse_size(optarg, c == OPT_START ? &start
                                                             : &max_len,
                                      &err)) {
                return img_report(err);
            }
            break;
        default: return 1;
        }
    }
    if (!img_one_file_arg(argc)) {
        return 1;
    }
    EmuBlockNode *node = emu_block_open(argv[optind], fmt, 0, &err);
    if (!node) {
        return img_report(err);
    }
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(names, g_strdup(argv[optind]));
    for (EmuBlockNode *n = node; emu_block_node_backing(n);
         n = emu_block_node_backing(n)) {
        g_ptr_array_add(names, emu_block_resolve_backing(
            g_ptr_array_index(names, names->len - 1),
            emu_block_node_backing_ref(n)));
    }
    uint64_t size = emu_block_length(node);
    uint64_t end = max_len < size - MIN(start, size) ? start + max_len : size;
    if (json) {
        printf("[");
    } else {
        printf("%-16s%-16s%-16s%s\n", "Offset", "Length", "Mapped to", "File");
    }
    MapEntry cur = { 0 };
    bool have = false, first = true;
    int rc = 0;
    for (uint64_t off = start; off < end;) {
        MapEntry e;
        if (!map_entry(node, off, end - off,
                       (const char *const *)names->pdata, &e, &err)) {
            rc = img_report(err);
            break;
        }
        if (!json && e.data && !e.has_offset) {
            if (have) {
                map_print(&cur, json, first);
            }
            img_error("File contains external, encrypted or compressed "
                      "clusters.");
            rc = 1;
            break;
        }
        if (have && map_mergeable(&cur, &e)) {
            cur.length += e.length;
        } else {
            if (have) {
                map_print(&cur, json, first);
                first = false;
            }
            cur = e;
            have = true;
        }
        off += e.length;
    }
    if (have && !rc) {
        map_print(&cur, json, first);
    }
    if (json) {
        printf("]\n");
    }
    g_ptr_array_free(names, TRUE);
    emu_block_close(node);
    return rc;
}

/* --- measure --------------------------------------------------------- */

int img_measure(int argc, char **argv)
{
    const char *fmt = NULL, *out_fmt = "raw";
    bool json = false, have_size = false;
    uint64_t size = 0;
    GHashTable *opts = img_opts_new();
    GError *err = NULL;
    int c;
    static const struct option lopts[] = {
        { "output", required_argument, NULL, OPT_OUTPUT },
        { "size", required_argument, NULL, OPT_SIZE },
        { "force-share", no_argument, NULL, 'U' }, { 0 } };
    while ((c = getopt_long(argc, argv, "+f:hO:o:qU", lopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'O': out_fmt = optarg; break;
        case 'q': case 'U': break;
        case 'o':
            if (!img_parse_opts(opts, optarg, &err)) {
                return img_report(err);
            }
            break;
        case OPT_SIZE:
            if (!emu_block_parse_size(optarg, &size, &err)) {
                return img_report(err);
            }
            have_size = true;
            break;
        case OPT_OUTPUT:
            if (!img_parse_output(optarg, &json)) {
                return 1;
            }
            break;
        default: return 1;
        }
    }
    if (have_size == (optind < argc)) {
        img_error("Either --size N or one filename must be specified.");
        return 1;
    }
    const EmuBlockDriver *drv = emu_block_driver_find(out_fmt, &err);
    if (!drv) {
        return img_report(err);
    }
    if (!drv->measure) {
        img_error("Format driver '%s' does not support measure", out_fmt);
        return 1;
    }
    EmuBlockNode *src = NULL;
    if (!have_size) {
        src = emu_block_open(argv[optind], fmt, 0, &err);
        if (!src) {
            return img_report(err);
        }
        size = emu_block_length(src);
    }
    EmuBlockMeasure m = { 0 };
    bool ok = drv->measure(opts, size, src, &m, &err);
    emu_block_close(src);
    g_hash_table_destroy(opts);
    if (!ok) {
        return img_report(err);
    }
    if (json) {
        printf("{\n    \"required\": %" G_GUINT64_FORMAT ",\n"
               "    \"fully-allocated\": %" G_GUINT64_FORMAT "\n}\n",
               m.required, m.fully_allocated);
    } else {
        printf("required size: %" G_GUINT64_FORMAT "\nfully allocated size: %"
               G_GUINT64_FORMAT "\n", m.required, m.fully_allocated);
    }
    return 0;
}

/* --- snapshot -------------------------------------------------------- */

int img_snapshot(int argc, char **argv)
{
    const char *fmt = NULL, *name = NULL;
    char action = 0;
    bool quiet = false;
    GError *err = NULL;
    int c;
    while ((c = getopt(argc, argv, "+la:c:d:f:hqU")) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'q': quiet = true; break;
        case 'U': break;
        case 'l': case 'a': case 'c': case 'd':
            if (action) {
                img_error("Cannot mix '-l', '-a', '-c', '-d'");
                return 1;
            }
            action = (char)c;
            name = optarg;
            break;
        default: return 1;
        }
    }
    if (!img_one_file_arg(argc)) {
        return 1;
    }
    if (!action) {
        action = 'l';
    }
    unsigned flags = EMU_BLOCK_NO_BACKING |
                     (action == 'l' ? 0 : EMU_BLOCK_RDWR);
    EmuBlockNode *node = emu_block_open(argv[optind], fmt, flags, &err);
    if (!node) {
        return img_report(err);
    }
    const EmuBlockDriver *drv = emu_block_node_driver(node);
    bool ok = true;
    if (!drv->snapshot_list) {
        emu_block_close(node);
        img_error("This image format does not support snapshots");
        return 1;
    }
    if (action == 'l') {
        GPtrArray *list = drv->snapshot_list(node, &err);
        ok = list != NULL;
        if (ok && !quiet) {
            printf("Snapshot list:\n");
            print_snapshot_table(list);
        }
        emu_block_snapshot_list_free(list);
    } else if (action == 'c') {
        ok = drv->snapshot_create(node, name, &err);
    } else if (action == 'a') {
        ok = drv->snapshot_apply(node, name, &err);
    } else {
        ok = drv->snapshot_delete(node, name, &err);
    }
    if (!ok) {
        const char *what = action == 'c' ? "create" : action == 'a' ? "apply"
                           : action == 'd' ? "delete" : "list";
        img_error("Could not %s snapshot '%s': %s", what, name ? name : "",
                  err->message);
        g_error_free(err);
    }
    emu_block_close(node);
    return ok ? 0 : 1;
}
