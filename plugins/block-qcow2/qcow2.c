/*
 * block-qcow2: the qcow2 format driver (versions 2 and 3).  This file has
 * the driver table and the guest-facing operations: open/close, reads,
 * allocating writes with copy-on-write, compressed writes, zero writes,
 * discard, block status, resize, info and backing file changes.
 * Metadata helpers live in qcow2-*.c; see qcow2.h for the ordering rules.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "qcow2.h"

static bool fail(GError **errp, const char *msg)
{
    g_set_error_literal(errp, EMU_ERROR, 0, msg);
    return false;
}

static int qcow2_probe(const uint8_t *buf, size_t len, const char *filename)
{
    if (len >= 8 && emu_be32(buf) == QCOW2_MAGIC &&
        (emu_be32(buf + 4) == 2 || emu_be32(buf + 4) == 3)) {
        return 100;
    }
    return 0;
}

static bool repair_dirty(Qcow2State *s, GError **errp)
{
    EmuBlockCheckResult res = { .size = sizeof(res) };
    if (!qcow2_check_locked(s, &res, EMU_CHECK_FIX_LEAKS |
                            EMU_CHECK_FIX_ERRORS, errp)) {
        return false;
    }
    return qcow2_set_incompat(s, QCOW2_INCOMPAT_DIRTY, false, errp);
}

/* Autoclear features (bitmaps, ...) are not maintained by this driver:
 * clearing them tells other software their data is stale. */
static bool clear_autoclear(Qcow2State *s, GError **errp)
{
    uint8_t zero[8] = { 0 };
    if (!qcow2_file_write(s, 88, 8, zero, errp) ||
        !emu_block_flush(s->file, errp)) {
        return false;
    }
    s->autoclear = 0;
    return true;
}

static bool qcow2_open(EmuBlockNode *node, const char *filename,
                       unsigned flags, GError **errp)
{
    Qcow2State *s = qcow2_state(node);
    g_mutex_init(&s->lock);
    g_cond_init(&s->writes_drained);
    s->node = node;
    s->file = emu_block_node_file(node);
    s->writable = (flags & EMU_BLOCK_RDWR) != 0;
    s->free_hint = 1;
    bool check_mode = (flags & EMU_BLOCK_CHECK) != 0;
    if (!qcow2_read_header(s, check_mode, errp)) {
        qcow2_free_state(s);
        g_cond_clear(&s->writes_drained);
        g_mutex_clear(&s->lock);
        return false;
    }
    if ((s->incompat & QCOW2_INCOMPAT_DIRTY) && s->writable && !check_mode &&
        !repair_dirty(s, errp)) {
        qcow2_free_state(s);
        g_cond_clear(&s->writes_drained);
        g_mutex_clear(&s->lock);
        return false;
    }
    if (s->writable && s->autoclear && !clear_autoclear(s, errp)) {
        qcow2_free_state(s);
        g_cond_clear(&s->writes_drained);
        g_mutex_clear(&s->lock);
        return false;
    }
    emu_block_node_set_backing_ref(node, s->backing_file, s->backing_fmt);
    return true;
}

static void qcow2_close(EmuBlockNode *node)
{
    Qcow2State *s = qcow2_state(node);
    if (s->writable && s->dirty_set) {
        if (emu_block_flush(s->file, NULL)) {
            (void)qcow2_set_incompat(s, QCOW2_INCOMPAT_DIRTY, false, NULL);
        }
    }
    qcow2_free_state(s);
    g_cond_clear(&s->writes_drained);
    g_mutex_clear(&s->lock);
}

static uint64_t qcow2_length(EmuBlockNode *node)
{
    return qcow2_state(node)->size;
}

/* --- reads ----------------------------------------------------------- */

static bool read_run(Qcow2State *s, uint64_t off, size_t len, uint8_t *buf,
                     GError **errp)
{
    uint64_t cs = s->cluster_size;
    while (len) {
        uint64_t in = off & (cs - 1);
        size_t n = (size_t)MIN(len, cs - in);
        uint64_t entry;
        if (!qcow2_get_l2_entry(s, off, &entry, errp)) {
            return false;
        }
        Qcow2ClusterType t = qcow2_entry_type(s, entry);
        if (t == QCOW2_NORMAL) {
            uint64_t host = (entry & QCOW2_OFFSET_MASK) + in;
            /* Extend over clusters that follow on the host too. */
            while (n < len) {
                uint64_t next;
                if (!qcow2_get_l2_entry(s, off + n, &next, errp)) {
                    return false;
                }
                if (qcow2_entry_type(s, next) != QCOW2_NORMAL ||
                    (next & QCOW2_OFFSET_MASK) != host + n) {
                    break;
                }
                n += (size_t)MIN(len - n, cs);
            }
            /* Data reads run unlocked so that requests overlap. */
            g_mutex_unlock(&s->lock);
            bool ok = qcow2_file_read(s, host, n, buf, errp);
            g_mutex_lock(&s->lock);
            if (!ok) {
                return false;
            }
        } else if (t == QCOW2_ZERO_PLAIN || t == QCOW2_ZERO_ALLOC) {
            memset(buf, 0, n);
        } else if (t == QCOW2_UNALLOCATED) {
            if (!emu_block_read_backing(s->node, off, n, buf, errp)) {
                return false;
            }
        } else {
            uint8_t *c = g_malloc(cs);
            bool ok = qcow2_read_cluster(s, off - in, entry, c, errp);
            if (ok) {
                memcpy(buf, c + in, n);
            }
            g_free(c);
            if (!ok) {
                return false;
            }
        }
        off += n; buf += n; len -= n;
    }
    return true;
}

static bool qcow2_pread(EmuBlockNode *node, uint64_t off, size_t len,
                        void *buf, GError **errp)
{
    Qcow2State *s = qcow2_state(node);
    g_mutex_lock(&s->lock);
    bool ok = read_run(s, off, len, buf, errp);
    g_mutex_unlock(&s->lock);
    return ok;
}

/* --- writes ---------------------------------------------------------- */

static bool begin_write(Qcow2State *s, GError **errp)
{
    if (!s->writable) {
        return fail(errp, "qcow2: image is read-only or marked corrupt");
    }
    if (qcow2_lazy(s) && !s->dirty_set) {
        if (!qcow2_set_incompat(s, QCOW2_INCOMPAT_DIRTY, true, errp)) {
            return false;
        }
        s->dirty_set = true;
    }
    return true;
}

static bool in_place(Qcow2State *s, uint64_t entry)
{
    return qcow2_entry_type(s, entry) == QCOW2_NORMAL &&
           (entry & QCOW2_OFLAG_COPIED);
}

/* Clusters [first, first+n) need new host clusters: build their content
 * (old data around the request), write it, then map and release. */
static bool write_allocating(Qcow2State *s, uint64_t first, uint64_t n,
                             const uint64_t *old, uint64_t off, size_t len,
                             const uint8_t *buf, GError **errp)
{
    uint64_t cs = s->cluster_size;
    uint64_t start = first * cs, end = start + n * cs;
    bool whole = off == start && off + len == end;
    uint8_t *data = whole ? NULL : g_malloc(n * cs);
    bool ok = true;
    if (off > start) {
        ok = qcow2_read_cluster(s, start, old[0], data, errp);
    }
    if (ok && off + len < end) {
        ok = qcow2_read_cluster(s, end - cs, old[n - 1],
                                data + (n - 1) * cs, errp);
    }
    if (data) {
        memcpy(data + (off - start), buf, len);
    }
    uint64_t host = 0;
    ok = ok && qcow2_alloc_clusters(s, n, &host, errp) &&
         qcow2_file_write(s, host, n * cs, whole ? buf : data, errp) &&
         qcow2_ordered_flush(s, errp);
    g_free(data);
    if (!ok) {
        return false;
    }
    uint64_t *entries = g_new(uint64_t, n);
    bool any_old = false;
    for (uint64_t i = 0; i < n; i++) {
        entries[i] = (host + i * cs) | QCOW2_OFLAG_COPIED;
        any_old |= qcow2_entry_type(s, old[i]) != QCOW2_UNALLOCATED &&
                   qcow2_entry_type(s, old[i]) != QCOW2_ZERO_PLAIN;
    }
    ok = qcow2_set_l2_entries(s, start, entries, n, errp);
    g_free(entries);
    if (ok && any_old) {
        ok = qcow2_ordered_flush(s, errp);
        for (uint64_t i = 0; ok && i < n; i++) {
            ok = qcow2_release_entry(s, old[i], errp);
        }
    }
    return ok;
}

/* A data write into clusters this image owns (COPIED) changes no
 * metadata: it runs unlocked so that requests overlap, counted so that no
 * cluster is freed meanwhile (see qcow2_drain_writes). */
static bool write_in_place_unlocked(Qcow2State *s, uint64_t host,
                                    size_t len, const uint8_t *buf,
                                    GError **errp)
{
    /* Near the header qcow2_file_write's guard must see it; while a
     * drain waits, staying locked keeps the writes from starving it. */
    if (host < s->cluster_size || s->drain_waiters) {
        return qcow2_file_write(s, host, len, buf, errp);
    }
    s->inflight_writes++;
    g_mutex_unlock(&s->lock);
    bool ok = emu_block_pwrite(s->file, host, len, buf, 0, errp);
    g_mutex_lock(&s->lock);
    if (--s->inflight_writes == 0) {
        g_cond_broadcast(&s->writes_drained);
    }
    return ok;
}

/* One piece of a request inside a single L2 table. */
static bool write_in_l2(Qcow2State *s, uint64_t off, size_t len,
                        const uint8_t *buf, GError **errp)
{
    uint64_t cs = s->cluster_size;
    uint64_t first = off / cs, last = (off + len - 1) / cs;
    uint64_t n = last - first + 1;
    uint64_t *old = g_new(uint64_t, n);
    bool ok = true;
    for (uint64_t i = 0; ok && i < n; i++) {
        ok = qcow2_get_l2_entry(s, (first + i) * cs, &old[i], errp);
    }
    for (uint64_t i = 0; ok && i < n;) {
        uint64_t c_start = MAX(off, (first + i) * cs);
        uint64_t j = i + 1;
        bool place = in_place(s, old[i]);
        while (j < n && in_place(s, old[j]) == place &&
               (!place || (old[j] & QCOW2_OFFSET_MASK) ==
                          (old[j - 1] & QCOW2_OFFSET_MASK) + cs)) {
            j++;
        }
        uint64_t c_end = MIN(off + len, (first + j) * cs);
        const uint8_t *p = buf + (c_start - off);
        if (place) {
            uint64_t host = (old[i] & QCOW2_OFFSET_MASK) +
                            (c_start - (first + i) * cs);
            /* Only a piece that is one run: once the lock drops, old[]
             * may go stale for the runs after it. */
            ok = i == 0 && j == n
                 ? write_in_place_unlocked(s, host, c_end - c_start, p, errp)
                 : qcow2_file_write(s, host, c_end - c_start, p, errp);
        } else {
            ok = write_allocating(s, first + i, j - i, old + i, c_start,
                                  c_end - c_start, p, errp);
        }
        i = j;
    }
    g_free(old);
    return ok;
}

static uint64_t l2_span(Qcow2State *s)
{
    return s->cluster_size << s->l2_bits;
}

static bool write_locked(Qcow2State *s, uint64_t off, size_t len,
                         const uint8_t *buf, GError **errp)
{
    if (!begin_write(s, errp)) {
        return false;
    }
    while (len) {
        uint64_t span = l2_span(s);
        size_t n = (size_t)MIN(len, span - (off & (span - 1)));
        n = MIN(n, (size_t)64 << 20);
        if (!write_in_l2(s, off, n, buf, errp)) {
            return false;
        }
        off += n; buf += n; len -= n;
    }
    return true;
}

/* Per-thread compression state, reused across clusters: a fresh
 * deflateInit2() and output buffer per cluster meant allocating, faulting
 * in and returning ~400 KiB of memory for every 64 KiB compressed. */
typedef struct Deflater {
    z_stream z;
    uint8_t *out, *pad;         /* compressed output; padded last cluster */
    uint64_t cap;
} Deflater;

static void deflater_free(gpointer p)
{
    Deflater *d = p;
    deflateEnd(&d->z);
    g_free(d->out);
    g_free(d->pad);
    g_free(d);
}

static GPrivate deflater_key = G_PRIVATE_INIT(deflater_free);

static Deflater *thread_deflater(uint64_t cs)
{
    Deflater *d = g_private_get(&deflater_key);
    if (!d) {
        d = g_new0(Deflater, 1);
        if (deflateInit2(&d->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9,
                         Z_DEFAULT_STRATEGY) != Z_OK) {
            g_free(d);
            return NULL;
        }
        g_private_set(&deflater_key, d);
    }
    if (d->cap < cs) {
        g_free(d->out);
        g_free(d->pad);
        d->out = g_malloc(cs);
        d->pad = g_malloc(cs);
        d->cap = cs;
    }
    return d;
}

/* Compresses one cluster into d->out; false when it does not shrink. */
static bool compress_cluster(Qcow2State *s, Deflater *d, const uint8_t *in,
                             size_t *out_len)
{
    z_stream *z = &d->z;
    if (deflateReset(z) != Z_OK) {
        return false;
    }
    z->next_in = (Bytef *)in;
    z->avail_in = (uInt)s->cluster_size;
    z->next_out = d->out;
    z->avail_out = (uInt)(s->cluster_size - 1);
    int ret = deflate(z, Z_FINISH);
    *out_len = (size_t)(s->cluster_size - 1 - z->avail_out);
    return ret == Z_STREAM_END;
}

static bool write_compressed_locked(Qcow2State *s, uint64_t off,
                                    const uint8_t *zbuf, size_t zlen,
                                    GError **errp)
{
    uint64_t old, host;
    if (!begin_write(s, errp) || !qcow2_get_l2_entry(s, off, &old, errp) ||
        !qcow2_alloc_bytes(s, zlen, &host, errp) ||
        !qcow2_file_write(s, host, zlen, zbuf, errp) ||
        !qcow2_ordered_flush(s, errp)) {
        return false;
    }
    uint32_t x = 62 - (s->cluster_bits - 8);
    uint64_t sectors = ((host + zlen - 1) >> 9) - (host >> 9);
    uint64_t entry = QCOW2_OFLAG_COMPRESSED | (sectors << x) | host;
    if (!qcow2_set_l2_entries(s, off, &entry, 1, errp)) {
        return false;
    }
    if (qcow2_entry_type(s, old) == QCOW2_UNALLOCATED ||
        qcow2_entry_type(s, old) == QCOW2_ZERO_PLAIN) {
        return true;
    }
    return qcow2_ordered_flush(s, errp) && qcow2_release_entry(s, old, errp);
}

static bool write_compressed(Qcow2State *s, uint64_t off, size_t len,
                             const uint8_t *buf, GError **errp)
{
    uint64_t cs = s->cluster_size;
    Deflater *d = thread_deflater(cs);
    if (!d) {
        return fail(errp, "qcow2: cannot initialise compression");
    }
    bool ok = true;
    for (uint64_t pos = off; ok && pos < off + len; pos += cs) {
        size_t n = (size_t)MIN(cs, off + len - pos);
        const uint8_t *src = buf + (pos - off);
        if (n < cs) {       /* the image's last, partial cluster */
            memset(d->pad, 0, cs);
            memcpy(d->pad, src, n);
            src = d->pad;
        }
        size_t zlen;
        bool small = compress_cluster(s, d, src, &zlen);
        g_mutex_lock(&s->lock);
        ok = small ? write_compressed_locked(s, pos, d->out, zlen, errp)
                   : write_locked(s, pos, n, src, errp);
        g_mutex_unlock(&s->lock);
    }
    return ok;
}

static bool qcow2_pwrite(EmuBlockNode *node, uint64_t off, size_t len,
                         const void *buf, unsigned flags, GError **errp)
{
    Qcow2State *s = qcow2_state(node);
    if (flags & EMU_BLOCK_WRITE_COMPRESSED) {
        if (off % s->cluster_size ||
            (len % s->cluster_size && off + len != s->size)) {
            return fail(errp, "qcow2: compressed writes must cover whole "
                        "clusters");
        }
        return write_compressed(s, off, len, buf, errp);
    }
    g_mutex_lock(&s->lock);
    bool ok = write_locked(s, off, len, buf, errp);
    g_mutex_unlock(&s->lock);
    return ok;
}

/* Sets whole clusters [off, off+len) to entry_value and releases what they
 * mapped; skip_unallocated leaves unallocated entries alone. */
static bool remap_clusters(Qcow2State *s, uint64_t off, uint64_t len,
                           uint64_t value, bool skip_unallocated,
                           GError **errp)
{
    uint64_t cs = s->cluster_size;
    for (uint64_t pos = off; pos < off + len; pos += cs) {
        uint64_t old;
        if (!qcow2_get_l2_entry(s, pos, &old, errp)) {
            return false;
        }
        Qcow2ClusterType t = qcow2_entry_type(s, old);
        if ((t == QCOW2_UNALLOCATED && skip_unallocated) || old == value) {
            continue;
        }
        if (!qcow2_set_l2_entries(s, pos, &value, 1, errp)) {
            return false;
        }
        if (t != QCOW2_UNALLOCATED && t != QCOW2_ZERO_PLAIN &&
            (!qcow2_ordered_flush(s, errp) ||
             !qcow2_release_entry(s, old, errp))) {
            return false;
        }
    }
    return true;
}

static bool zero_partial(Qcow2State *s, uint64_t off, uint64_t len,
                         GError **errp)
{
    if (!len) {
        return true;
    }
    uint8_t *z = g_malloc0(len);
    bool ok = write_locked(s, off, len, z, errp);
    g_free(z);
    return ok;
}

static bool zeroes_locked(Qcow2State *s, uint64_t off, uint64_t len,
                          GError **errp)
{
    uint64_t cs = s->cluster_size;
    uint64_t a = qcow2_align_up(off, cs);
    uint64_t b = (off + len) / cs * cs;
    if (off + len == s->size) {
        b = qcow2_align_up(s->size, cs);
    }
    if (a >= b) {
        return zero_partial(s, off, len, errp);
    }
    bool backing = emu_block_node_backing(s->node) != NULL;
    uint64_t end = off + len;
    bool ok = begin_write(s, errp) && zero_partial(s, off, a - off, errp) &&
              (b >= end || zero_partial(s, b, end - b, errp));
    if (!ok) {
        return false;
    }
    if (s->version >= 3) {
        return remap_clusters(s, a, b - a, QCOW2_OFLAG_ZERO, !backing, errp);
    }
    if (!backing) {
        return remap_clusters(s, a, b - a, 0, true, errp);
    }
    return zero_partial(s, a, b - a, errp);
}

static bool qcow2_pwrite_zeroes(EmuBlockNode *node, uint64_t off,
                                uint64_t len, unsigned flags, GError **errp)
{
    Qcow2State *s = qcow2_state(node);
    g_mutex_lock(&s->lock);
    bool ok = zeroes_locked(s, off, len, errp);
    g_mutex_unlock(&s->lock);
    return ok;
}

static bool qcow2_discard(EmuBlockNode *node, uint64_t off, uint64_t len,
                          GError **errp)
{
    Qcow2State *s = qcow2_state(node);
    uint64_t cs = s->cluster_size;
    uint64_t a = qcow2_align_up(off, cs), b = (off + len) / cs * cs;
    if (off + len == s->size) {
        b = qcow2_align_up(s->size, cs);
    }
    if (a >= b) {
        return true;
    }
    g_mutex_lock(&s->lock);
    bool backing = emu_block_node_backing(s->node) != NULL ||
                   s->backing_file != NULL;
    uint64_t value = (s->version >= 3 && backing) ? QCOW2_OFLAG_ZERO : 0;
    bool ok = begin_write(s, errp) &&
              remap_clusters(s, a, b - a, value, value == 0, errp);
    g_mutex_unlock(&s->lock);
    return ok;
}

static bool qcow2_flush(EmuBlockNode *node, GError **errp)
{
    return emu_block_flush(qcow2_state(node)->file, errp);
}

/* --- status ---------------------------------------------------------- */

static unsigned status_of(Qcow2ClusterType t)
{
    switch (t) {
    case QCOW2_UNALLOCATED: return 0;
    case QCOW2_ZERO_PLAIN:
    case QCOW2_ZERO_ALLOC:
        return EMU_BLOCK_STATUS_ZERO | EMU_BLOCK_STATUS_ALLOCATED;
    case QCOW2_COMPRESSED:
        return EMU_BLOCK_STATUS_DATA | EMU_BLOCK_STATUS_ALLOCATED |
               EMU_BLOCK_STATUS_COMPRESSED;
    default:
        return EMU_BLOCK_STATUS_DATA | EMU_BLOCK_STATUS_ALLOCATED |
               EMU_BLOCK_STATUS_OFFSET_VALID;
    }
}

static bool status_locked(Qcow2State *s, uint64_t off, uint64_t len,
                          uint64_t *pnum, unsigned *status, uint64_t *map,
                          GError **errp)
{
    uint64_t cs = s->cluster_size, entry;
    if (!qcow2_get_l2_entry(s, off, &entry, errp)) {
        return false;
    }
    Qcow2ClusterType t = qcow2_entry_type(s, entry);
    uint64_t host = (entry & QCOW2_OFFSET_MASK) + (off & (cs - 1));
    *status = status_of(t);
    *map = (*status & EMU_BLOCK_STATUS_OFFSET_VALID) ? host : 0;
    uint64_t pos = off / cs * cs + cs;
    uint64_t limit = MIN(off + len, s->size);
    while (pos < limit) {
        uint64_t e;
        if (!qcow2_get_l2_entry(s, pos, &e, errp)) {
            return false;
        }
        if (status_of(qcow2_entry_type(s, e)) != *status ||
            (t == QCOW2_NORMAL &&
             (e & QCOW2_OFFSET_MASK) != host + (pos - off))) {
            break;
        }
        pos += cs;
    }
    *pnum = MIN(pos, limit) - off;
    return true;
}

static bool qcow2_block_status(EmuBlockNode *node, uint64_t off,
                               uint64_t len, uint64_t *pnum,
                               unsigned *status, uint64_t *map,
                               GError **errp)
{
    Qcow2State *s = qcow2_state(node);
    g_mutex_lock(&s->lock);
    bool ok = status_locked(s, off, len, pnum, status, map, errp);
    g_mutex_unlock(&s->lock);
    return ok;
}

/* --- resize ---------------------------------------------------------- */

static bool write_size(Qcow2State *s, uint64_t size, GError **errp)
{
    uint8_t be[8];
    emu_st_be64(be, size);
    if (!qcow2_file_write(s, 24, 8, be, errp)) {
        return false;
    }
    s->size = size;
    return emu_block_flush(s->file, errp);
}

static bool truncate_locked(Qcow2State *s, uint64_t size, bool shrink,
                            EmuBlockPrealloc prealloc, GError **errp)
{
    if (!s->writable) {
        return fail(errp, "qcow2: image is read-only");
    }
    if (prealloc != EMU_PREALLOC_OFF) {
        return fail(errp, "qcow2: preallocation when resizing is not "
                    "supported");
    }
    if (size < s->size) {
        if (!shrink) {
            return fail(errp, "Use the --shrink option to perform a shrink "
                        "operation.");
        }
        if (s->nb_snapshots) {
            return fail(errp, "Can't shrink an image which has snapshots");
        }
        uint64_t a = qcow2_align_up(size, s->cluster_size);
        uint64_t end = qcow2_align_up(s->size, s->cluster_size);
        if (a < end && !remap_clusters(s, a, end - a, 0, true, errp)) {
            return false;
        }
        if (size % s->cluster_size) {
            /* The tail of the new last cluster must read as zeroes if the
             * image grows again. */
            uint64_t old = s->size;
            s->size = a;
            bool ok = zero_partial(s, size, a - size, errp);
            s->size = old;
            if (!ok) {
                return false;
            }
        }
        return write_size(s, size, errp);
    }
    uint64_t need = qcow2_l1_needed(size, s->cluster_bits);
    if (need > QCOW2_MAX_L1_BYTES / 8) {
        return fail(errp, "qcow2: image size too large");
    }
    return qcow2_grow_l1(s, (uint32_t)need, errp) &&
           write_size(s, size, errp);
}

static bool qcow2_truncate(EmuBlockNode *node, uint64_t size, bool shrink,
                           EmuBlockPrealloc prealloc, GError **errp)
{
    Qcow2State *s = qcow2_state(node);
    g_mutex_lock(&s->lock);
    bool ok = truncate_locked(s, size, shrink, prealloc, errp);
    g_mutex_unlock(&s->lock);
    return ok;
}

/* --- info, backing, amend -------------------------------------------- */

static bool qcow2_get_info(EmuBlockNode *node, EmuBlockFormatInfo *info)
{
    Qcow2State *s = qcow2_state(node);
    info->cluster_size = s->cluster_size;
    info->has_format_specific = true;
    info->compat = s->version == 2 ? "0.10" : "1.1";
    info->compression_type = "zlib";
    info->lazy_refcounts = qcow2_lazy(s);
    info->corrupt = (s->incompat & QCOW2_INCOMPAT_CORRUPT) != 0;
    info->dirty = (s->incompat & QCOW2_INCOMPAT_DIRTY) != 0;
    info->refcount_bits = s->refcount_bits;
    return true;
}

static bool qcow2_set_backing(EmuBlockNode *node, const char *backing,
                              const char *fmt, GError **errp)
{
    Qcow2State *s = qcow2_state(node);
    g_mutex_lock(&s->lock);
    g_free(s->backing_file);
    g_free(s->backing_fmt);
    s->backing_file = backing && *backing ? g_strdup(backing) : NULL;
    s->backing_fmt = s->backing_file && fmt && *fmt ? g_strdup(fmt) : NULL;
    bool ok = qcow2_write_header(s, errp) && emu_block_flush(s->file, errp);
    g_mutex_unlock(&s->lock);
    if (ok) {
        emu_block_node_set_backing_ref(node, s->backing_file, s->backing_fmt);
    }
    return ok;
}

static bool qcow2_make_empty(EmuBlockNode *node, GError **errp)
{
    Qcow2State *s = qcow2_state(node);
    g_mutex_lock(&s->lock);
    uint64_t end = qcow2_align_up(s->size, s->cluster_size);
    bool ok = begin_write(s, errp) &&
              remap_clusters(s, 0, end, 0, true, errp);
    g_mutex_unlock(&s->lock);
    return ok;
}

static bool fail_if_zero_clusters(Qcow2State *s, GError **errp)
{
    uint64_t cs = s->cluster_size;
    for (uint64_t pos = 0; pos < s->size; pos += cs) {
        uint64_t e;
        if (!qcow2_get_l2_entry(s, pos, &e, errp)) {
            return false;
        }
        Qcow2ClusterType t = qcow2_entry_type(s, e);
        if (t == QCOW2_ZERO_PLAIN || t == QCOW2_ZERO_ALLOC) {
            return fail(errp, "Cannot downgrade: the image has zero "
                        "clusters");
        }
    }
    if (s->nb_snapshots) {
        return fail(errp, "Cannot downgrade an image with snapshots");
    }
    return true;
}

static bool amend_lazy(Qcow2State *s, const char *val, GError **errp)
{
    bool on = !strcmp(val, "on") || !strcmp(val, "true");
    if (on && s->version < 3) {
        return fail(errp, "Lazy refcounts only supported with compatibility "
                    "level 1.1 and above (use compat=1.1 or greater)");
    }
    if (!on && qcow2_lazy(s)) {
        if (!emu_block_flush(s->file, errp) ||
            !qcow2_set_incompat(s, QCOW2_INCOMPAT_DIRTY, false, errp)) {
            return false;
        }
        s->dirty_set = false;
    }
    s->compat = on ? s->compat | QCOW2_COMPAT_LAZY_REFCOUNTS
                   : s->compat & ~QCOW2_COMPAT_LAZY_REFCOUNTS;
    return true;
}

static bool amend_compat(Qcow2State *s, const char *val, GError **errp)
{
    uint32_t ver = !strcmp(val, "0.10") || !strcmp(val, "v2") ? 2
                 : !strcmp(val, "1.1") || !strcmp(val, "v3") ? 3 : 0;
    if (!ver) {
        return fail(errp, "Invalid compatibility level");
    }
    if (ver == 2 && s->version == 3) {
        if (s->refcount_bits != 16 || qcow2_lazy(s) ||
            (s->incompat & ~QCOW2_INCOMPAT_DIRTY)) {
            return fail(errp, "Cannot downgrade: the image uses features "
                        "of compat=1.1");
        }
        if (!fail_if_zero_clusters(s, errp)) {
            return false;
        }
        s->incompat = s->compat = s->autoclear = 0;
    }
    s->version = ver;
    return true;
}

/* Options apply in a fixed order: lazy_refcounts before compat, so that
 * "lazy_refcounts=off,compat=0.10" can downgrade. */
static bool amend_locked(Qcow2State *s, GHashTable *opts, GError **errp)
{
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, opts);
    while (g_hash_table_iter_next(&it, &k, NULL)) {
        if (strcmp(k, "lazy_refcounts") && strcmp(k, "compat") &&
            strcmp(k, "size")) {
            g_set_error(errp, EMU_ERROR, 0, "Changing the option '%s' is "
                        "not supported", (const char *)k);
            return false;
        }
    }
    const char *v;
    if ((v = g_hash_table_lookup(opts, "lazy_refcounts")) &&
        !amend_lazy(s, v, errp)) {
        return false;
    }
    if ((v = g_hash_table_lookup(opts, "compat")) &&
        !amend_compat(s, v, errp)) {
        return false;
    }
    return qcow2_write_header(s, errp) && emu_block_flush(s->file, errp);
}

static bool qcow2_amend(EmuBlockNode *node, GHashTable *opts, GError **errp)
{
    Qcow2State *s = qcow2_state(node);
    g_mutex_lock(&s->lock);
    bool ok = amend_locked(s, opts, errp);
    g_mutex_unlock(&s->lock);
    return ok;
}

/* --- measure --------------------------------------------------------- */

static uint64_t metadata_clusters(uint64_t cs, uint32_t rbits,
                                  uint64_t virtual_size, uint64_t l2_tables,
                                  uint64_t data)
{
    uint64_t l1 = qcow2_l1_needed(virtual_size,
                                  (uint32_t)g_bit_nth_lsf(cs, -1));
    uint64_t l1c = qcow2_align_up(l1 * 8, cs) / cs;
    uint64_t used = 1 + l1c + l2_tables + data;
    uint64_t per_block = cs * 8 / rbits, b = 0, t = 0;
    for (int i = 0; i < 64; i++) {
        uint64_t nb = (used + b + t + per_block - 1) / per_block;
        uint64_t nt = (nb * 8 + cs - 1) / cs;
        if (nb == b && nt == t) {
            break;
        }
        b = nb;
        t = nt;
    }
    return used + b + t;
}

static bool count_allocated(EmuBlockNode *src, uint64_t cs, uint64_t per_l2,
                            uint64_t *data, uint64_t *tables, GError **errp)
{
    uint64_t size = emu_block_length(src), off = 0, last_table = UINT64_MAX;
    *data = *tables = 0;
    while (off < size) {
        uint64_t pnum, map;
        unsigned st;
        int depth;
        if (!emu_block_status_above(src, off, size - off, &pnum, &st, &map,
                                    &depth, errp)) {
            return false;
        }
        if (st & EMU_BLOCK_STATUS_DATA) {
            uint64_t c0 = off / cs, c1 = (off + pnum + cs - 1) / cs;
            *data += c1 - c0;
            for (uint64_t t = c0 / per_l2; t <= (c1 - 1) / per_l2; t++) {
                if (t != last_table) {
                    (*tables)++;
                    last_table = t;
                }
            }
        }
        off += pnum;
    }
    return true;
}

static bool qcow2_measure(GHashTable *opts, uint64_t size,
                          EmuBlockNode *src, EmuBlockMeasure *out,
                          GError **errp)
{
    uint64_t cs = 65536;
    uint32_t rbits = 16;
    const char *v;
    if (opts && (v = g_hash_table_lookup(opts, "cluster_size")) &&
        (!emu_block_parse_size(v, &cs, errp) || cs < 512 ||
         cs > (2u << 20) || (cs & (cs - 1)))) {
        return errp && *errp ? false
               : fail(errp, "Cluster size must be a power of two between "
                      "512 and 2048k");
    }
    if (opts && (v = g_hash_table_lookup(opts, "refcount_bits"))) {
        rbits = (uint32_t)strtoul(v, NULL, 10);
        if (!rbits || rbits > 64 || (rbits & (rbits - 1))) {
            return fail(errp, "Invalid refcount_bits");
        }
    }
    uint64_t per_l2 = cs / 8;
    uint64_t clusters = (size + cs - 1) / cs;
    uint64_t all_tables = (clusters + per_l2 - 1) / per_l2;
    out->fully_allocated = metadata_clusters(cs, rbits, size, all_tables,
                                             clusters) * cs;
    uint64_t data = 0, tables = 0;
    if (src && !count_allocated(src, cs, per_l2, &data, &tables, errp)) {
        return false;
    }
    /* Like qemu-img: metadata sized for the whole disk, plus the data. */
    out->required = out->fully_allocated - clusters * cs + data * cs;
    out->bitmaps = 0;
    return true;
}

/* --- creation and the driver table ----------------------------------- */

static bool qcow2_create(EmuBlockNode *file, uint64_t size, GHashTable *opts,
                         GError **errp)
{
    return qcow2_create_image(file, size, opts, errp);
}

static int64_t qcow2_allocated_size(EmuBlockNode *node)
{
    return emu_block_allocated_size(qcow2_state(node)->file);
}

static const EmuBlockOptDesc qcow2_opts[] = {
    { "cluster_size", EMU_BLOCK_OPT_SIZE, "qcow2 cluster size", "65536",
      true },
    { "extended_l2", EMU_BLOCK_OPT_BOOL,
      "Extended L2 tables (not supported)", "off", true },
    { "preallocation", EMU_BLOCK_OPT_STRING,
      "Preallocation mode (allowed values: off, metadata, falloc, full)",
      "off", false },
    { "compression_type", EMU_BLOCK_OPT_STRING,
      "Compression method used for image cluster compression", "zlib",
      true },
    { "size", EMU_BLOCK_OPT_SIZE, "Virtual disk size", NULL, true },
    { "compat", EMU_BLOCK_OPT_STRING,
      "Compatibility level (v2 [0.10] or v3 [1.1])", "1.1", false },
    { "backing_file", EMU_BLOCK_OPT_STRING,
      "File name of a base image", NULL, false },
    { "backing_fmt", EMU_BLOCK_OPT_STRING, "Image format of the base image",
      NULL, false },
    { "encryption", EMU_BLOCK_OPT_BOOL,
      "Encrypt the image (not supported)", "off", false },
    { "lazy_refcounts", EMU_BLOCK_OPT_BOOL,
      "Postpone refcount updates", "off", true },
    { "refcount_bits", EMU_BLOCK_OPT_NUMBER,
      "Width of a reference count entry in bits", "16", true },
    { NULL, 0, NULL, NULL, false },
};

static const EmuBlockDriver qcow2_driver = {
    EMU_BLOCK_DRIVER_HEADER,
    .format_name = "qcow2",
    .state_size = sizeof(Qcow2State),
    .create_opts = qcow2_opts,
    .probe = qcow2_probe,
    .create = qcow2_create,
    .open = qcow2_open,
    .close = qcow2_close,
    .pread = qcow2_pread,
    .pwrite = qcow2_pwrite,
    .pwrite_zeroes = qcow2_pwrite_zeroes,
    .discard = qcow2_discard,
    .flush = qcow2_flush,
    .truncate = qcow2_truncate,
    .length = qcow2_length,
    .allocated_size = qcow2_allocated_size,
    .block_status = qcow2_block_status,
    .check = qcow2_check,
    .get_info = qcow2_get_info,
    .snapshot_create = qcow2_snapshot_create,
    .snapshot_apply = qcow2_snapshot_apply,
    .snapshot_delete = qcow2_snapshot_delete,
    .snapshot_list = qcow2_snapshot_list,
    .set_backing = qcow2_set_backing,
    .make_empty = qcow2_make_empty,
    .amend = qcow2_amend,
    .measure = qcow2_measure,
};

static const EmuTypeInfo qcow2_type = {
    EMU_TYPE_HEADER,
    .name = "qcow2",
    .parent = "block",
    .description = "QEMU copy-on-write image format, version 2 and 3",
    .class_data = &qcow2_driver,
};

static bool qcow2_plugin_init(EmuPlugin *self, GError **errp)
{
    return emu_type_register(&qcow2_type, errp);
}

EMU_PLUGIN_EXPORT const EmuPluginInfo emu_plugin_info = {
    EMU_PLUGIN_HEADER,
    .name = "block-qcow2",
    .version = "1.0",
    .license = "GPL-2.0-or-later",
    .description = "qcow2 image format",
    .provides = (const char *const[]){ "block:qcow2", NULL },
    .requires = (const char *const[]){ "block:file", NULL },
    .init = qcow2_plugin_init,
};
