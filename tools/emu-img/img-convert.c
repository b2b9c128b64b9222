/*
 * emu-img subcommands that move data: convert (parallel workers, sparse
 * output, compression, progress), compare, dd and bench (asynchronous
 * requests through the block layer's thread pool and the event loop).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "emu-img.h"

#define CHUNK (2u << 20)

static bool is_zero(const uint8_t *p, size_t len)
{
    for (; len && ((uintptr_t)p & 7); p++, len--) {
        if (*p) {
            return false;
        }
    }
    const uint64_t *q = (const uint64_t *)p;
    for (; len >= 8; q++, len -= 8) {
        if (*q) {
            return false;
        }
    }
    for (p = (const uint8_t *)q; len; p++, len--) {
        if (*p) {
            return false;
        }
    }
    return true;
}

/* --- convert --------------------------------------------------------- */

typedef struct Convert {
    EmuBlockNode **src;
    uint64_t *src_start;        /* offset of each source in the output */
    int nsrc;
    uint64_t total;
    EmuBlockNode *dst;
    bool compress, fresh, skip_backing, progress;
    uint64_t sparse;
    uint64_t cluster;
    GMutex lock;
    uint64_t done;
    GError *err;
    bool ordered;               /* writes in job order (see wait_turn) */
    GCond turn;
    uint64_t next_seq;          /* the job whose writes may go next */
} Convert;

typedef struct ConvertJob {
    int src;
    uint64_t off, len;          /* within the source */
    uint64_t seq;               /* position in submission order */
} ConvertJob;

static bool write_sparse(Convert *cv, uint64_t dst_off, const uint8_t *buf,
                         uint64_t len, GError **errp)
{
    uint64_t unit = cv->sparse ? cv->sparse : len;
    if (cv->compress) {
        unit = cv->cluster;
    }
    for (uint64_t pos = 0; pos < len;) {
        uint64_t n = MIN(unit - (dst_off + pos) % unit, len - pos);
        bool zero = (cv->sparse || cv->compress) && is_zero(buf + pos, n);
        uint64_t run = n;
        while (pos + run < len) {
            uint64_t m = MIN(unit, len - pos - run);
            if (((cv->sparse || cv->compress) &&
                 is_zero(buf + pos + run, m)) != zero || cv->compress) {
                break;
            }
            run += m;
        }
        bool ok = true;
        if (zero && !cv->fresh) {
            ok = emu_block_pwrite_zeroes(cv->dst, dst_off + pos, run,
                                         EMU_BLOCK_WRITE_MAY_UNMAP, errp);
        } else if (!zero) {
            unsigned flags = 0;
            if (cv->compress && (dst_off + pos) % cv->cluster == 0 &&
                (run == cv->cluster ||
                 dst_off + pos + run == emu_block_length(cv->dst))) {
                flags = EMU_BLOCK_WRITE_COMPRESSED;
            }
            ok = emu_block_pwrite(cv->dst, dst_off + pos, run, buf + pos,
                                  flags, errp);
        }
        if (!ok) {
            return false;
        }
        pos += run;
    }
    return true;
}

/* What one extent of a job needs written. */
enum { EXTENT_SKIP, EXTENT_ZERO, EXTENT_DATA };
typedef struct Extent {
    uint64_t off, len;          /* within the source */
    int kind;
} Extent;

/* First half of a job, run in parallel: block status, and the data read
 * into buf at its offset within the job. */
static bool convert_read(Convert *cv, ConvertJob *job, uint8_t *buf,
                         GArray *extents, GError **errp)
{
    EmuBlockNode *src = cv->src[job->src];
    for (uint64_t off = job->off; off < job->off + job->len;) {
        uint64_t pnum, map;
        unsigned st;
        int depth;
        if (!emu_block_status_above(src, off, job->off + job->len - off,
                                    &pnum, &st, &map, &depth, errp)) {
            return false;
        }
        bool allocated_here = (st & EMU_BLOCK_STATUS_ALLOCATED) && depth == 0;
        bool zero = (st & EMU_BLOCK_STATUS_ZERO) ||
                    !(st & EMU_BLOCK_STATUS_ALLOCATED);
        Extent e = { off, pnum, zero ? EXTENT_ZERO : EXTENT_DATA };
        if (cv->skip_backing && !allocated_here) {
            e.kind = EXTENT_SKIP;   /* the new backing file provides it */
        } else if (!zero &&
                   !emu_block_pread(src, off, pnum, buf + (off - job->off),
                                    errp)) {
            return false;
        }
        g_array_append_val(extents, e);
        off += pnum;
    }
    return true;
}

/* Second half: the writes of what convert_read found. */
static bool convert_write(Convert *cv, ConvertJob *job, uint8_t *buf,
                          GArray *extents, GError **errp)
{
    uint64_t base = cv->src_start[job->src];
    bool ok = true;
    for (guint i = 0; ok && i < extents->len; i++) {
        Extent *e = &g_array_index(extents, Extent, i);
        uint8_t *p = buf + (e->off - job->off);
        if (e->kind == EXTENT_ZERO && !cv->compress) {
            ok = cv->fresh || emu_block_pwrite_zeroes(
                     cv->dst, base + e->off, e->len,
                     EMU_BLOCK_WRITE_MAY_UNMAP, errp);
        } else if (e->kind == EXTENT_ZERO) {
            memset(p, 0, e->len);
            ok = write_sparse(cv, base + e->off, p, e->len, errp);
        } else if (e->kind == EXTENT_DATA) {
            ok = write_sparse(cv, base + e->off, p, e->len, errp);
        }
    }
    return ok;
}

/* Uncompressed writes go out in job order while reads run ahead in
 * parallel: a file written front to back is cheaper for the host file
 * system than eight interleaved streams with holes between them.
 * Compressed writes stay unordered: the driver compresses inside the
 * write, and ordering would serialise the compression. */
static void wait_turn(Convert *cv, ConvertJob *job)
{
    g_mutex_lock(&cv->lock);
    while (cv->ordered && cv->next_seq != job->seq) {
        g_cond_wait(&cv->turn, &cv->lock);
    }
    g_mutex_unlock(&cv->lock);
}

static void end_turn(Convert *cv)
{
    g_mutex_lock(&cv->lock);
    cv->next_seq++;
    g_cond_broadcast(&cv->turn);
    g_mutex_unlock(&cv->lock);
}

static bool convert_range(Convert *cv, ConvertJob *job, uint8_t *buf,
                          GError **errp)
{
    GArray *extents = g_array_new(FALSE, FALSE, sizeof(Extent));
    bool ok = convert_read(cv, job, buf, extents, errp);
    wait_turn(cv, job);
    ok = ok && convert_write(cv, job, buf, extents, errp);
    end_turn(cv);
    g_array_free(extents, TRUE);
    return ok;
}

static void convert_worker(gpointer data, gpointer user)
{
    Convert *cv = user;
    ConvertJob *job = data;
    GError *err = NULL;
    g_mutex_lock(&cv->lock);
    bool failed = cv->err != NULL;
    g_mutex_unlock(&cv->lock);
    if (failed) {
        wait_turn(cv, job);     /* later jobs wait for this one's turn */
        end_turn(cv);
    } else {
        /* One buffer per worker thread, reused across jobs. */
        static GPrivate buffer = G_PRIVATE_INIT(g_free);
        uint8_t *buf = g_private_get(&buffer);
        if (!buf) {
            buf = g_malloc(MAX(CHUNK, cv->cluster));
            g_private_set(&buffer, buf);
        }
        bool ok = convert_range(cv, job, buf, &err);
        g_mutex_lock(&cv->lock);
        if (!ok && !cv->err) {
            cv->err = err;
        } else if (!ok) {
            g_error_free(err);
        }
        cv->done += job->len;
        img_progress(cv->progress, cv->total ? cv->done * 100.0 / cv->total
                                             : 100.0);
        g_mutex_unlock(&cv->lock);
    }
    g_free(job);
}

static bool convert_run(Convert *cv, int workers, GError **errp)
{
    GThreadPool *pool = g_thread_pool_new(convert_worker, cv, workers, TRUE,
                                          errp);
    if (!pool) {
        return false;
    }
    uint64_t chunk = MAX(CHUNK, cv->cluster);
    chunk -= chunk % cv->cluster;
    img_progress(cv->progress, 0);
    cv->ordered = !cv->compress;
    uint64_t seq = 0;
    for (int i = 0; i < cv->nsrc; i++) {
        uint64_t size = emu_block_length(cv->src[i]);
        for (uint64_t off = 0; off < size; off += chunk) {
            ConvertJob *job = g_new0(ConvertJob, 1);
            *job = (ConvertJob){ i, off, MIN(chunk, size - off), seq++ };
            g_thread_pool_push(pool, job, NULL);
        }
    }
    g_thread_pool_free(pool, FALSE, TRUE);
    if (cv->err) {
        g_propagate_error(errp, cv->err);
        cv->err = NULL;
        return false;
    }
    img_progress(cv->progress, 100);
    if (cv->progress) {
        printf("\n");
    }
    return emu_block_flush(cv->dst, errp);
}

static uint64_t target_cluster(EmuBlockNode *dst)
{
    const EmuBlockDriver *drv = emu_block_node_driver(dst);
    EmuBlockFormatInfo fi = { .size = sizeof(fi) };
    if (drv->get_info && drv->get_info(dst, &fi) && fi.cluster_size) {
        return fi.cluster_size;
    }
    return 65536;
}

typedef struct ConvertArgs {
    const char *fmt, *out_fmt, *backing, *backing_fmt, *cache, *src_cache;
    bool compress, progress, no_create, quiet;
    uint64_t sparse;
    int workers;
    GHashTable *opts;
} ConvertArgs;

static int convert_parse(int argc, char **argv, ConvertArgs *a)
{
    GError *err = NULL;
    int c;
    static const struct option lopts[] = {
        { "force-share", no_argument, NULL, 'U' }, { 0 } };
    while ((c = getopt_long(argc, argv, "+hf:O:o:cpnS:t:T:m:B:F:qWUC",
                            lopts, NULL)) != -1) {
        switch (c) {
        case 'f': a->fmt = optarg; break;
        case 'O': a->out_fmt = optarg; break;
        case 'c': a->compress = true; break;
        case 'p': a->progress = true; break;
        case 'n': a->no_create = true; break;
        case 'q': a->quiet = true; break;
        case 't': a->cache = optarg; break;
        case 'T': a->src_cache = optarg; break;
        case 'B': a->backing = optarg; break;
        case 'F': a->backing_fmt = optarg; break;
        case 'W': case 'U': case 'C': break;
        case 'o':
            if (!img_parse_opts(a->opts, optarg, &err)) {
                return img_report(err);
            }
            break;
        case 'S':
            if (!emu_block_parse_size(optarg, &a->sparse, &err) ||
                a->sparse % 512) {
                g_clear_error(&err);
                img_error("Invalid buffer size for sparse output specified. "
                          "Valid sizes are multiples of 512.");
                return 1;
            }
            break;
        case 'm': {
            char *end;
            long m = strtol(optarg, &end, 10);
            if (*end || m < 1 || m > 16) {
                img_error("Invalid number of coroutines. Allowed number of "
                          "coroutines is between 1 and 16");
                return 1;
            }
            a->workers = (int)m;
            break;
        }
        default: return 1;
        }
    }
    if (a->quiet) {
        a->progress = false;
    }
    if (argc - optind < 2) {
        img_error("Expecting image file name");
        return 1;
    }
    if (a->no_create && a->backing) {
        img_error("-B makes no sense when -n is given");
        return 1;
    }
    return 0;
}

static bool convert_open_sources(Convert *cv, ConvertArgs *a, char **files,
                                 int n, GError **errp)
{
    cv->nsrc = n;
    cv->src = g_new0(EmuBlockNode *, n);
    cv->src_start = g_new0(uint64_t, n);
    for (int i = 0; i < n; i++) {
        cv->src[i] = img_open(files[i], a->fmt, 0, a->src_cache, errp);
        if (!cv->src[i]) {
            return false;
        }
        cv->src_start[i] = cv->total;
        cv->total += emu_block_length(cv->src[i]);
    }
    return true;
}

static bool convert_open_target(Convert *cv, ConvertArgs *a, const char *out,
                                GError **errp)
{
    if (!a->no_create) {
        if (a->backing) {
            g_hash_table_replace(a->opts, g_strdup("backing_file"),
                                 g_strdup(a->backing));
            if (a->backing_fmt) {
                g_hash_table_replace(a->opts, g_strdup("backing_fmt"),
                                     g_strdup(a->backing_fmt));
            }
        }
        if (!emu_block_create(out, a->out_fmt, cv->total, a->opts, errp)) {
            return false;
        }
    }
    /* With the backing chain: partial clusters copy the rest from it. */
    cv->dst = img_open(out, a->out_fmt, EMU_BLOCK_RDWR,
                       a->cache ? a->cache : "unsafe", errp);
    if (!cv->dst) {
        return false;
    }
    if (emu_block_length(cv->dst) < cv->total) {
        g_set_error(errp, EMU_ERROR, 0, "Target image '%s' is smaller than "
                    "the source", out);
        return false;
    }
    const EmuBlockDriver *drv = emu_block_node_driver(cv->dst);
    if (a->compress && (!drv->get_info || !drv->check)) {
        g_set_error(errp, EMU_ERROR, 0, "Compression not supported for this "
                    "file format");
        return false;
    }
    cv->fresh = !a->no_create && !a->backing;
    cv->skip_backing = a->backing != NULL;
    cv->cluster = a->compress ? target_cluster(cv->dst) : 512;
    return true;
}

int img_convert(int argc, char **argv)
{
    ConvertArgs a = { .out_fmt = "raw", .sparse = 4096, .workers = 8,
                      .opts = img_opts_new() };
    int rc = convert_parse(argc, argv, &a);
    if (rc) {
        return rc;
    }
    if (g_hash_table_contains(a.opts, "help")) {
        char *av[] = { "create", "-f", (char *)a.out_fmt, "-o", "help",
                       NULL };
        optind = 1;
        return img_create(5, av);
    }
    Convert cv = { .compress = a.compress, .progress = a.progress,
                   .sparse = a.sparse };
    g_mutex_init(&cv.lock);
    g_cond_init(&cv.turn);
    GError *err = NULL;
    bool ok = convert_open_sources(&cv, &a, argv + optind,
                                   argc - optind - 1, &err) &&
              convert_open_target(&cv, &a, argv[argc - 1], &err) &&
              convert_run(&cv, a.workers, &err);
    for (int i = 0; i < cv.nsrc; i++) {
        emu_block_close(cv.src[i]);
    }
    emu_block_close(cv.dst);
    g_free(cv.src);
    g_free(cv.src_start);
    g_hash_table_destroy(a.opts);
    g_mutex_clear(&cv.lock);
    g_cond_clear(&cv.turn);
    return ok ? 0 : img_report(err);
}

/* --- compare --------------------------------------------------------- */

static bool region_is_zero(EmuBlockNode *n, uint64_t off, uint64_t len,
                           uint64_t *mismatch, GError **errp)
{
    uint8_t *buf = g_malloc(CHUNK);
    bool ok = true;
    *mismatch = UINT64_MAX;
    while (ok && len && *mismatch == UINT64_MAX) {
        uint64_t pnum, map;
        unsigned st;
        int depth;
        ok = emu_block_status_above(n, off, len, &pnum, &st, &map, &depth,
                                    errp);
        if (!ok) {
            break;
        }
        pnum = MIN(pnum, CHUNK);
        if (!(st & EMU_BLOCK_STATUS_ZERO) &&
            (st & EMU_BLOCK_STATUS_ALLOCATED)) {
            ok = emu_block_pread(n, off, pnum, buf, errp);
            for (uint64_t i = 0; ok && i < pnum; i++) {
                if (buf[i]) {
                    *mismatch = (off + i) / 512 * 512;
                    break;
                }
            }
        }
        off += pnum;
        len -= pnum;
    }
    g_free(buf);
    return ok;
}

static bool first_difference(EmuBlockNode *a, EmuBlockNode *b, uint64_t off,
                             uint64_t len, uint8_t *ba, uint8_t *bb,
                             uint64_t *mismatch, GError **errp)
{
    if (!emu_block_pread(a, off, len, ba, errp) ||
        !emu_block_pread(b, off, len, bb, errp)) {
        return false;
    }
    if (memcmp(ba, bb, len)) {
        uint64_t i = 0;
        while (ba[i] == bb[i]) {
            i++;
        }
        *mismatch = (off + i) / 512 * 512;
    }
    return true;
}

static int compare_common(EmuBlockNode *a, EmuBlockNode *b, uint64_t size,
                          bool strict, bool progress, uint64_t *mismatch,
                          GError **errp)
{
    uint8_t *ba = g_malloc(CHUNK), *bb = g_malloc(CHUNK);
    int rc = 0;
    for (uint64_t off = 0; off < size && *mismatch == UINT64_MAX;) {
        uint64_t pa, pb, map;
        unsigned sa, sb;
        int d;
        if (!emu_block_status_above(a, off, size - off, &pa, &sa, &map, &d,
                                    errp) ||
            !emu_block_status_above(b, off, size - off, &pb, &sb, &map, &d,
                                    errp)) {
            rc = 2;
            break;
        }
        uint64_t n = MIN(MIN(pa, pb), CHUNK);
        bool za = (sa & EMU_BLOCK_STATUS_ZERO) ||
                  !(sa & EMU_BLOCK_STATUS_ALLOCATED);
        bool zb = (sb & EMU_BLOCK_STATUS_ZERO) ||
                  !(sb & EMU_BLOCK_STATUS_ALLOCATED);
        if (strict && ((sa ^ sb) & EMU_BLOCK_STATUS_ALLOCATED)) {
            printf("Strict mode: Offset %" G_GUINT64_FORMAT
                   " block status mismatch!\n", off);
            rc = 1;
            break;
        }
        if (!(za && zb) &&
            !first_difference(a, b, off, n, ba, bb, mismatch, errp)) {
            rc = 2;
            break;
        }
        off += n;
        img_progress(progress, off * 100.0 / size);
    }
    g_free(ba);
    g_free(bb);
    return rc;
}

int img_compare(int argc, char **argv)
{
    const char *fmt1 = NULL, *fmt2 = NULL, *cache = NULL;
    bool strict = false, quiet = false, progress = false;
    GError *err = NULL;
    int c;
    static const struct option lopts[] = {
        { "force-share", no_argument, NULL, 'U' }, { 0 } };
    while ((c = getopt_long(argc, argv, "+hf:F:T:pqsU", lopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt1 = optarg; break;
        case 'F': fmt2 = optarg; break;
        case 'T': cache = optarg; break;
        case 'p': progress = true; break;
        case 'q': quiet = true; break;
        case 's': strict = true; break;
        case 'U': break;
        default: return 2;
        }
    }
    if (quiet) {
        progress = false;
    }
    if (argc - optind != 2) {
        img_error("Expecting two image file names");
        return 2;
    }
    if (!fmt2) {
        fmt2 = fmt1;
    }
    EmuBlockNode *a = img_open(argv[optind], fmt1, 0, cache, &err);
    EmuBlockNode *b = a ? img_open(argv[optind + 1], fmt2, 0, cache, &err)
                        : NULL;
    if (!a || !b) {
        emu_block_close(a);
        img_report(err);
        return 2;
    }
    uint64_t sa = emu_block_length(a), sb = emu_block_length(b);
    uint64_t mismatch = UINT64_MAX;
    int rc = 0;
    if (sa != sb && strict) {
        if (!quiet) {
            printf("Strict mode: Image size mismatch!\n");
        }
        rc = 1;
    } else {
        rc = compare_common(a, b, MIN(sa, sb), strict, progress, &mismatch,
                            &err);
        if (!rc && mismatch == UINT64_MAX && sa != sb) {
            if (!quiet) {
                printf("Warning: Image size mismatch!\n");
            }
            EmuBlockNode *big = sa > sb ? a : b;
            if (!region_is_zero(big, MIN(sa, sb), MAX(sa, sb) - MIN(sa, sb),
                                &mismatch, &err)) {
                rc = 2;
            }
        }
    }
    if (progress) {
        printf("\n");
    }
    if (rc == 2) {
        img_report(err);
    } else if (!rc && mismatch != UINT64_MAX) {
        if (!quiet) {
            printf("Content mismatch at offset %" G_GUINT64_FORMAT "!\n",
                   mismatch);
        }
        rc = 1;
    } else if (!rc && !quiet) {
        printf("Images are identical.\n");
    }
    emu_block_close(a);
    emu_block_close(b);
    return rc;
}

/* --- dd -------------------------------------------------------------- */

typedef struct DdArgs {
    uint64_t bs, count, skip;
    bool has_count;
    const char *in, *out;
} DdArgs;

static bool dd_arg(DdArgs *d, const char *arg, GError **errp)
{
    const char *eq = strchr(arg, '=');
    if (!eq) {
        g_set_error(errp, EMU_ERROR, 0, "unrecognized operand %s", arg);
        return false;
    }
    char *key = g_strndup(arg, eq - arg);
    const char *val = eq + 1;
    bool ok = true;
    if (!strcmp(key, "if")) {
        d->in = val;
    } else if (!strcmp(key, "of")) {
        d->out = val;
    } else if (!strcmp(key, "bs")) {
        ok = emu_block_parse_size(val, &d->bs, errp);
        if (ok && !d->bs) {
            g_set_error(errp, EMU_ERROR, 0, "invalid number: '%s'", val);
            ok = false;
        }
    } else if (!strcmp(key, "count")) {
        ok = emu_block_parse_size(val, &d->count, errp);
        d->has_count = true;
    } else if (!strcmp(key, "skip")) {
        ok = emu_block_parse_size(val, &d->skip, errp);
    } else {
        g_set_error(errp, EMU_ERROR, 0, "unrecognized operand %s", arg);
        ok = false;
    }
    g_free(key);
    return ok;
}

static bool dd_copy(EmuBlockNode *in, EmuBlockNode *out, DdArgs *d,
                    uint64_t size, GError **errp)
{
    uint8_t *buf = g_malloc(d->bs);
    bool ok = true;
    for (uint64_t done = 0; ok && done < size; done += d->bs) {
        uint64_t n = MIN(d->bs, size - done);
        ok = emu_block_pread(in, d->skip * d->bs + done, n, buf, errp) &&
             emu_block_pwrite(out, done, n, buf, 0, errp);
    }
    g_free(buf);
    return ok && emu_block_flush(out, errp);
}

int img_dd(int argc, char **argv)
{
    const char *fmt = NULL, *out_fmt = "raw";
    DdArgs d = { .bs = 512 };
    GError *err = NULL;
    int c;
    while ((c = getopt(argc, argv, "+hf:O:U")) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'O': out_fmt = optarg; break;
        case 'U': break;
        default: return 1;
        }
    }
    for (int i = optind; i < argc; i++) {
        if (!dd_arg(&d, argv[i], &err)) {
            return img_report(err);
        }
    }
    if (!d.in || !d.out) {
        img_error("Must specify both input and output files");
        return 1;
    }
    EmuBlockNode *in = emu_block_open(d.in, fmt, 0, &err);
    if (!in) {
        return img_report(err);
    }
    uint64_t isize = emu_block_length(in);
    if (d.skip > isize / d.bs) {
        d.skip = isize / d.bs;
    }
    uint64_t size = isize - d.skip * d.bs;
    if (d.has_count && d.count <= size / d.bs) {
        size = d.count * d.bs;
    }
    EmuBlockNode *out = NULL;
    bool ok = emu_block_create(d.out, out_fmt, size, NULL, &err) &&
              (out = emu_block_open(d.out, out_fmt, EMU_BLOCK_RDWR, &err)) &&
              dd_copy(in, out, &d, size, &err);
    emu_block_close(in);
    emu_block_close(out);
    return ok ? 0 : img_report(err);
}

/* --- bench ----------------------------------------------------------- */

typedef struct Bench {
    EmuBlockNode *node;
    GMainLoop *loop;
    uint64_t count, issued, completed;
    uint64_t offset, start, size, step, image_size;
    bool write;
    GError *err;
} Bench;

static void bench_issue(Bench *b, uint8_t *buf);

static void bench_done(void *opaque, bool ok, GError *err)
{
    uint8_t *buf = opaque;
    Bench *b = *(Bench **)buf;
    b->completed++;
    if (!ok && !b->err) {
        b->err = g_error_copy(err);
    }
    if (b->issued < b->count && !b->err) {
        bench_issue(b, buf);
    } else if (b->completed == b->issued) {
        g_main_loop_quit(b->loop);
    }
}

static void bench_issue(Bench *b, uint8_t *buf)
{
    if (b->offset + b->size > b->image_size) {
        b->offset = b->start;
    }
    uint64_t off = b->offset;
    b->offset += b->step;
    b->issued++;
    uint8_t *data = buf + 64;
    if (b->write) {
        emu_block_aio_pwrite(b->node, off, b->size, data, 0, bench_done, buf);
    } else {
        emu_block_aio_pread(b->node, off, b->size, data, bench_done, buf);
    }
}

int img_bench(int argc, char **argv)
{
    const char *fmt = NULL, *cache = "writeback";
    uint64_t count = 75000, depth = 64, offset = 0, size = 4096, step = 0;
    bool write = false, quiet = false;
    int pattern = 0;
    GError *err = NULL;
    int c;
    static const struct option lopts[] = {
        { "pattern", required_argument, NULL, 'P' },
        { "flush-interval", required_argument, NULL, 'I' },
        { "no-drain", no_argument, NULL, 'D' },
        { "force-share", no_argument, NULL, 'U' }, { 0 } };
    while ((c = getopt_long(argc, argv, "+hc:d:f:ni:o:qs:S:t:wU", lopts,
                            NULL)) != -1) {
        uint64_t *target = NULL;
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'n': cache = "none"; break;
        case 't': cache = optarg; break;
        case 'w': write = true; break;
        case 'q': quiet = true; break;
        case 'P': pattern = atoi(optarg); break;
        case 'i': case 'I': case 'D': case 'U': break;
        case 'c': target = &count; break;
        case 'd': target = &depth; break;
        case 'o': target = &offset; break;
        case 's': target = &size; break;
        case 'S': target = &step; break;
        default: return 1;
        }
        if (target && (!emu_block_parse_size(optarg, target, &err) ||
                       (target != &offset && !*target))) {
            g_clear_error(&err);
            img_error("Invalid value for -%c: '%s'", c, optarg);
            return 1;
        }
    }
    if (!img_one_file_arg(argc)) {
        return 1;
    }
    if (!step) {
        step = size;
    }
    Bench b = { .count = count, .offset = offset, .start = offset,
                .size = size, .step = step, .write = write };
    b.node = img_open(argv[optind], fmt, write ? EMU_BLOCK_RDWR : 0, cache,
                      &err);
    if (!b.node) {
        return img_report(err);
    }
    b.image_size = emu_block_length(b.node);
    if (offset + size > b.image_size) {
        emu_block_close(b.node);
        img_error("Offset and buffer size exceed the image size");
        return 1;
    }
    if (!quiet) {
        printf("Sending %" G_GUINT64_FORMAT " %s requests, %" G_GUINT64_FORMAT
               " bytes each, %" G_GUINT64_FORMAT " in parallel (starting at "
               "offset %" G_GUINT64_FORMAT ", step size %" G_GUINT64_FORMAT
               ")\n", count, write ? "write" : "read", size, depth, offset,
               step);
    }
    b.loop = g_main_loop_new(NULL, FALSE);
    GPtrArray *bufs = g_ptr_array_new_with_free_func(g_free);
    gint64 t0 = g_get_monotonic_time();
    for (uint64_t i = 0; i < depth && b.issued < count; i++) {
        uint8_t *buf = g_malloc(64 + size);
        memset(buf + 64, pattern, size);
        *(Bench **)buf = &b;
        g_ptr_array_add(bufs, buf);
        bench_issue(&b, buf);
    }
    g_main_loop_run(b.loop);
    bool ok = !b.err && emu_block_flush(b.node, &b.err);
    double secs = (g_get_monotonic_time() - t0) / 1e6;
    g_main_loop_unref(b.loop);
    g_ptr_array_free(bufs, TRUE);
    emu_block_close(b.node);
    if (!ok) {
        return img_report(b.err);
    }
    if (!quiet) {
        printf("Run completed in %3.3f seconds.\n", secs);
    }
    return 0;
}
