/*
 * qcow2 refcounts: reading and updating refcount entries of any width
 * (1 to 64 bits), allocating clusters (creating refcount blocks and growing
 * the refcount table as needed) and the full rebuild used by repair.
 * Order on disk: a new refcount block is written before the table points to
 * it, a new table before the header points to it.
 */
#include <string.h>
#include "qcow2.h"

bool qcow2_file_read(Qcow2State *s, uint64_t off, size_t len, void *buf,
                     GError **errp)
{
    return emu_block_pread(s->file, off, len, buf, errp);
}

bool qcow2_file_write(Qcow2State *s, uint64_t off, size_t len,
                      const void *buf, GError **errp)
{
    if (off < s->cluster_size && s->l1_offset) {
        /* Only header rewrites may touch cluster 0. */
        if (off != 0 && off != 72 && off != 48 && off != 36 && off != 24 &&
            off != 60 && off != 88) {
            qcow2_mark_corrupt(s, "metadata write to the header cluster");
            g_set_error(errp, EMU_ERROR, 0,
                        "qcow2: refusing to overwrite the image header");
            return false;
        }
    }
    return emu_block_pwrite(s->file, off, len, buf, 0, errp);
}

bool qcow2_ordered_flush(Qcow2State *s, GError **errp)
{
    if (qcow2_lazy(s)) {
        return true;
    }
    return emu_block_flush(s->file, errp);
}

/* Called with s->lock held. */
void qcow2_drain_writes(Qcow2State *s)
{
    s->drain_waiters++;
    while (s->inflight_writes) {
        g_cond_wait(&s->writes_drained, &s->lock);
    }
    s->drain_waiters--;
}

bool qcow2_load_reftable(Qcow2State *s, GError **errp)
{
    uint64_t bytes = (uint64_t)s->reftable_clusters * s->cluster_size;
    s->reftable_entries = bytes / 8;
    s->reftable = g_malloc0(bytes);
    if (!qcow2_file_read(s, s->reftable_offset, bytes, s->reftable, errp)) {
        return false;
    }
    for (uint64_t i = 0; i < s->reftable_entries; i++) {
        s->reftable[i] = emu_be64(&s->reftable[i]);
    }
    s->refblock_cache = g_malloc(s->cluster_size);
    s->refblock_cache_off = 0;
    return true;
}

static bool load_refblock(Qcow2State *s, uint64_t off, GError **errp)
{
    if (s->refblock_cache_off == off) {
        return true;
    }
    if (off % s->cluster_size || off < s->cluster_size) {
        g_set_error(errp, EMU_ERROR, 0, "qcow2: refcount block offset 0x%"
                    G_GINT64_MODIFIER "x is invalid", off);
        return false;
    }
    s->refblock_cache_off = 0;
    if (!qcow2_file_read(s, off, s->cluster_size, s->refblock_cache, errp)) {
        return false;
    }
    s->refblock_cache_off = off;
    return true;
}

static uint64_t block_get(Qcow2State *s, const uint8_t *b, uint64_t idx)
{
    uint32_t bits = s->refcount_bits;
    if (bits < 8) {
        uint64_t bit = idx * bits;
        return (b[bit / 8] >> (bit % 8)) & ((1u << bits) - 1);
    }
    uint64_t v = 0;
    const uint8_t *p = b + idx * (bits / 8);
    for (uint32_t i = 0; i < bits / 8; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

static void block_set(Qcow2State *s, uint8_t *b, uint64_t idx, uint64_t v)
{
    uint32_t bits = s->refcount_bits;
    if (bits < 8) {
        uint64_t bit = idx * bits;
        uint8_t mask = (uint8_t)(((1u << bits) - 1) << (bit % 8));
        b[bit / 8] = (uint8_t)((b[bit / 8] & ~mask) |
                               ((v << (bit % 8)) & mask));
        return;
    }
    uint8_t *p = b + idx * (bits / 8);
    for (uint32_t i = 0; i < bits / 8; i++) {
        p[bits / 8 - 1 - i] = (uint8_t)(v >> (8 * i));
    }
}

bool qcow2_get_refcount(Qcow2State *s, uint64_t cluster, uint64_t *out,
                        GError **errp)
{
    uint64_t idx = cluster >> s->refblock_bits;
    *out = 0;
    if (idx >= s->reftable_entries || !s->reftable[idx]) {
        return true;
    }
    if (!load_refblock(s, s->reftable[idx] & QCOW2_OFFSET_MASK, errp)) {
        return false;
    }
    *out = block_get(s, s->refblock_cache,
                     cluster & ((1ull << s->refblock_bits) - 1));
    return true;
}

static bool write_reftable_entry(Qcow2State *s, uint64_t idx, GError **errp)
{
    uint8_t be[8];
    emu_st_be64(be, s->reftable[idx]);
    return qcow2_file_write(s, s->reftable_offset + idx * 8, 8, be, errp);
}

/* A new, larger refcount table placed past everything the old one
 * describes, together with the refcount blocks describing itself. */
static bool grow_reftable(Qcow2State *s, uint64_t min_entries, GError **errp)
{
    uint64_t cs = s->cluster_size, per_block = 1ull << s->refblock_bits;
    uint64_t area = s->reftable_entries << s->refblock_bits;
    uint64_t entries = MAX(min_entries, s->reftable_entries * 2);
    uint64_t b = 1, t = 1;
    for (int i = 0; i < 64; i++) {
        t = (entries * 8 + cs - 1) / cs;
        b = (b + t + per_block - 1) / per_block;
        entries = MAX(entries, (area + b + t) / per_block + 1);
        if (t == (entries * 8 + cs - 1) / cs &&
            b == (b + t + per_block - 1) / per_block) {
            break;
        }
    }
    if (t * cs > QCOW2_MAX_REFTABLE_BYTES) {
        g_set_error(errp, EMU_ERROR, 0,
                    "qcow2: refcount table would exceed its maximum size");
        return false;
    }
    entries = t * cs / 8;
    uint64_t *table = g_new0(uint64_t, entries);
    uint8_t *block = g_malloc0(cs);
    memcpy(table, s->reftable, s->reftable_entries * 8);
    bool ok = true;
    for (uint64_t i = 0; ok && i < b; i++) {
        memset(block, 0, cs);
        for (uint64_t c = 0; c < per_block; c++) {
            uint64_t cl = area + i * per_block + c;
            if (cl < area + b + t) {
                block_set(s, block, c, 1);
            }
        }
        uint64_t off = (area + i) * cs;
        table[(area >> s->refblock_bits) + i] = off;
        ok = emu_block_pwrite(s->file, off, cs, block, 0, errp);
    }
    uint64_t new_off = (area + b) * cs;
    uint8_t *disk = g_malloc0(t * cs);
    for (uint64_t i = 0; i < entries; i++) {
        emu_st_be64(disk + i * 8, table[i]);
    }
    ok = ok && emu_block_pwrite(s->file, new_off, t * cs, disk, 0, errp) &&
         emu_block_flush(s->file, errp);
    g_free(disk);
    g_free(block);
    uint8_t hdr[12];
    emu_st_be64(hdr, new_off);
    emu_st_be32(hdr + 8, (uint32_t)t);
    ok = ok && qcow2_file_write(s, 48, 12, hdr, errp) &&
         emu_block_flush(s->file, errp);
    if (!ok) {
        g_free(table);
        return false;
    }
    uint64_t old_off = s->reftable_offset, old_clusters = s->reftable_clusters;
    g_free(s->reftable);
    s->reftable = table;
    s->reftable_entries = entries;
    s->reftable_offset = new_off;
    s->reftable_clusters = (uint32_t)t;
    return qcow2_update_refcount(s, old_off, old_clusters * cs, -1, errp);
}

static bool overlaps_metadata(Qcow2State *s, uint64_t off)
{
    uint64_t cs = s->cluster_size;
    uint64_t rt_end = s->reftable_offset + (uint64_t)s->reftable_clusters * cs;
    uint64_t l1_end = s->l1_offset + qcow2_align_up(s->l1_size * 8ull, cs);
    return off < cs || (off >= s->reftable_offset && off < rt_end) ||
           (off >= s->l1_offset && off < l1_end);
}

static bool block_exists(Qcow2State *s, uint64_t cluster)
{
    uint64_t idx = cluster >> s->refblock_bits;
    return idx < s->reftable_entries && s->reftable[idx];
}

static bool write_new_block(Qcow2State *s, uint64_t off, uint64_t self_idx,
                            bool self, GError **errp)
{
    uint8_t *block = g_malloc0(s->cluster_size);
    if (self) {
        block_set(s, block, self_idx, 1);
    }
    bool ok = emu_block_pwrite(s->file, off, s->cluster_size, block, 0,
                               errp) &&
              qcow2_ordered_flush(s, errp);
    g_free(block);
    return ok;
}

static bool create_refblock(Qcow2State *s, uint64_t idx, uint64_t avoid_start,
                            uint64_t avoid_end, int depth, GError **errp);

/* A free cluster at or after from whose refcount block exists, outside
 * the range being allocated. */
static bool find_covered_free(Qcow2State *s, uint64_t from, uint64_t avoid_s,
                              uint64_t avoid_e, int depth, uint64_t *out,
                              GError **errp)
{
    for (uint64_t c = from;; c++) {
        if (c >= avoid_s && c < avoid_e) {
            continue;
        }
        if (!block_exists(s, c) &&
            !create_refblock(s, c >> s->refblock_bits, avoid_s, avoid_e,
                             depth + 1, errp)) {
            return false;
        }
        uint64_t v;
        if (!qcow2_get_refcount(s, c, &v, errp)) {
            return false;
        }
        if (!v) {
            *out = c;
            return true;
        }
    }
}

/* A refcount block for block index idx.  It goes into a cluster of its own
 * range when one lies outside [avoid_start, avoid_end) (the clusters being
 * allocated; all clusters of a range without a block are free), else into
 * a free cluster described by another block. */
static bool create_refblock(Qcow2State *s, uint64_t idx, uint64_t avoid_start,
                            uint64_t avoid_end, int depth, GError **errp)
{
    if (depth > 8) {
        g_set_error(errp, EMU_ERROR, 0, "qcow2: cannot place a refcount block");
        return false;
    }
    if (idx >= s->reftable_entries && !grow_reftable(s, idx + 1, errp)) {
        return false;
    }
    if (s->reftable[idx]) {
        return true;
    }
    uint64_t first = idx << s->refblock_bits;
    uint64_t last = first + (1ull << s->refblock_bits);
    uint64_t p = first;
    if (p >= avoid_start && p < avoid_end) {
        p = avoid_end;
    }
    bool self = p < last;
    if (!self && !find_covered_free(s, p, avoid_start, avoid_end, depth, &p,
                                    errp)) {
        return false;
    }
    uint64_t off = p * s->cluster_size;
    if (overlaps_metadata(s, off)) {
        qcow2_mark_corrupt(s, "refcount block would overlap metadata");
        g_set_error(errp, EMU_ERROR, 0,
                    "qcow2: refcount structures are corrupt");
        return false;
    }
    if (!write_new_block(s, off, p - first, self, errp)) {
        return false;
    }
    if (!self && !qcow2_update_refcount(s, off, 1, 1, errp)) {
        return false;
    }
    s->reftable[idx] = off;
    return write_reftable_entry(s, idx, errp);
}

bool qcow2_update_refcount(Qcow2State *s, uint64_t offset, uint64_t len,
                           int64_t delta, GError **errp)
{
    uint64_t cs = s->cluster_size;
    uint64_t first = offset / cs;
    uint64_t last = (offset + len - 1) / cs;
    uint64_t mask = (1ull << s->refblock_bits) - 1;
    if (delta < 0) {
        qcow2_drain_writes(s);
    }
    for (uint64_t c = first; len && c <= last;) {
        if (!block_exists(s, c) &&
            (delta < 0 || !create_refblock(s, c >> s->refblock_bits, c, c + 1,
                                            0, errp))) {
            if (delta < 0) {
                g_set_error(errp, EMU_ERROR, 0, "qcow2: freeing cluster %"
                            G_GUINT64_FORMAT " that has no refcount", c);
            }
            return false;
        }
        uint64_t boff = s->reftable[c >> s->refblock_bits] & QCOW2_OFFSET_MASK;
        if (!load_refblock(s, boff, errp)) {
            return false;
        }
        uint64_t i0 = c & mask, i = i0;
        for (; c <= last && i <= mask; c++, i++) {
            uint64_t v = block_get(s, s->refblock_cache, i);
            if ((delta < 0 && v < (uint64_t)-delta) ||
                (delta > 0 && s->refcount_max - v < (uint64_t)delta)) {
                qcow2_mark_corrupt(s, "refcount out of range");
                g_set_error(errp, EMU_ERROR, 0, "qcow2: refcount of cluster %"
                            G_GUINT64_FORMAT " would leave its range", c);
                return false;
            }
            v += (uint64_t)delta;
            block_set(s, s->refblock_cache, i, v);
            if (v == 0) {
                s->free_hint = MIN(s->free_hint, c);
                if (s->compressed_free / cs == c) {
                    s->compressed_free = 0;
                }
            }
        }
        uint64_t b0 = i0 * s->refcount_bits / 8;
        uint64_t b1 = ((i - 1) * s->refcount_bits + s->refcount_bits + 7) / 8;
        if (!qcow2_file_write(s, boff + b0, b1 - b0, s->refblock_cache + b0,
                              errp)) {
            s->refblock_cache_off = 0;
            return false;
        }
    }
    return true;
}

static bool find_free_run(Qcow2State *s, uint64_t n, uint64_t *start,
                          GError **errp)
{
    uint64_t c = s->free_hint, run = c;
    uint64_t limit = (1ull << 56) / s->cluster_size;
    bool seen_free = false;
    while (c - run < n) {
        if (c >= limit) {
            g_set_error(errp, EMU_ERROR, 0, "qcow2: image file is full");
            return false;
        }
        uint64_t v;
        if (!qcow2_get_refcount(s, c, &v, errp)) {
            return false;
        }
        if (!v && !seen_free) {
            seen_free = true;
            s->free_hint = c;
        }
        c++;
        if (v) {
            run = c;
        }
    }
    *start = run;
    return true;
}

bool qcow2_alloc_clusters(Qcow2State *s, uint64_t n, uint64_t *offset,
                          GError **errp)
{
    if (!s->free_hint) {
        s->free_hint = 1;
    }
    for (;;) {
        uint64_t start;
        if (!find_free_run(s, n, &start, errp)) {
            return false;
        }
        bool created = false;
        for (uint64_t c = start; c < start + n; c++) {
            if (!block_exists(s, c)) {
                if (!create_refblock(s, c >> s->refblock_bits, start,
                                     start + n, 0, errp)) {
                    return false;
                }
                created = true;
                break;
            }
        }
        if (created) {
            continue;
        }
        if (!qcow2_update_refcount(s, start * s->cluster_size,
                                   n * s->cluster_size, 1, errp)) {
            return false;
        }
        if (start == s->free_hint) {
            s->free_hint = start + n;
        }
        *offset = start * s->cluster_size;
        return true;
    }
}

bool qcow2_alloc_bytes(Qcow2State *s, uint64_t len, uint64_t *offset,
                       GError **errp)
{
    uint64_t cs = s->cluster_size, f = s->compressed_free, rc = UINT64_MAX;
    if (f % cs && !qcow2_get_refcount(s, f / cs, &rc, errp)) {
        return false;
    }
    /* Share the partly used cluster while its refcount has room. */
    if (f % cs && f + len <= qcow2_align_up(f, cs) && rc < s->refcount_max) {
        if (!qcow2_update_refcount(s, f, 1, 1, errp)) {
            return false;
        }
        *offset = f;
    } else {
        uint64_t n = (len + cs - 1) / cs;
        if (!qcow2_alloc_clusters(s, n, offset, errp)) {
            return false;
        }
    }
    s->compressed_free = *offset + len;
    return true;
}

/* --- rebuild (repair) ------------------------------------------------ */

/* Writes fresh refcount structures from computed[] (nb clusters) past all
 * referenced clusters, then points the header at them. */
bool qcow2_rebuild_refcounts(Qcow2State *s, uint32_t *computed, uint64_t nb,
                             GError **errp)
{
    uint64_t cs = s->cluster_size, per_block = 1ull << s->refblock_bits;
    uint64_t start = nb, b = 1, t = 1;
    for (int i = 0; i < 64; i++) {
        uint64_t total = start + b + t;
        uint64_t nb2 = (total + per_block - 1) / per_block;
        uint64_t nt = (nb2 * 8 + cs - 1) / cs;
        if (nb2 == b && nt == t) {
            break;
        }
        b = nb2;
        t = nt;
    }
    if (t * cs > QCOW2_MAX_REFTABLE_BYTES) {
        g_set_error(errp, EMU_ERROR, 0, "qcow2: refcount table too large");
        return false;
    }
    uint64_t total = start + b + t;
    uint8_t *block = g_malloc0(cs);
    uint8_t *table = g_malloc0(t * cs);
    bool ok = true;
    for (uint64_t i = 0; ok && i < b; i++) {
        memset(block, 0, cs);
        for (uint64_t c = 0; c < per_block; c++) {
            uint64_t cl = i * per_block + c;
            uint64_t v = cl < nb ? computed[cl] : (cl < total ? 1 : 0);
            block_set(s, block, c, MIN(v, s->refcount_max));
        }
        emu_st_be64(table + i * 8, (start + i) * cs);
        ok = emu_block_pwrite(s->file, (start + i) * cs, cs, block, 0, errp);
    }
    ok = ok && emu_block_pwrite(s->file, (start + b) * cs, t * cs, table, 0,
                                errp) &&
         emu_block_flush(s->file, errp);
    g_free(block);
    g_free(table);
    if (!ok) {
        return false;
    }
    uint8_t hdr[12];
    emu_st_be64(hdr, (start + b) * cs);
    emu_st_be32(hdr + 8, (uint32_t)t);
    if (!qcow2_file_write(s, 48, 12, hdr, errp) ||
        !emu_block_flush(s->file, errp)) {
        return false;
    }
    g_free(s->reftable);
    g_free(s->refblock_cache);
    s->reftable_offset = (start + b) * cs;
    s->reftable_clusters = (uint32_t)t;
    s->free_hint = 1;
    s->compressed_free = 0;
    return qcow2_load_reftable(s, errp);
}
