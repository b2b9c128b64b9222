/*
 * qcow2 cluster mapping: L2 entry types, the L2 table cache, looking up
 * and rewriting L2 entries (allocating or copying-on-write L2 tables),
 * releasing clusters, reading a whole guest cluster whatever its type
 * (including zlib-compressed ones), and growing the L1 table.
 */
#include <string.h>
#include <zlib.h>
#include "qcow2.h"

Qcow2ClusterType qcow2_entry_type(Qcow2State *s, uint64_t entry)
{
    if (entry & QCOW2_OFLAG_COMPRESSED) {
        return QCOW2_COMPRESSED;
    }
    if (s->version >= 3 && (entry & QCOW2_OFLAG_ZERO)) {
        return (entry & QCOW2_OFFSET_MASK) ? QCOW2_ZERO_ALLOC
                                           : QCOW2_ZERO_PLAIN;
    }
    return (entry & QCOW2_OFFSET_MASK) ? QCOW2_NORMAL : QCOW2_UNALLOCATED;
}

void qcow2_compressed_range(Qcow2State *s, uint64_t entry, uint64_t *off,
                            uint64_t *len)
{
    uint32_t x = 62 - (s->cluster_bits - 8);
    uint64_t sectors_mask = (1ull << (s->cluster_bits - 8)) - 1;
    *off = entry & ((1ull << x) - 1);
    uint64_t sectors = ((entry >> x) & sectors_mask) + 1;
    *len = sectors * 512 - (*off & 511);
}

void qcow2_l2_cache_drop(Qcow2State *s)
{
    for (int i = 0; i < QCOW2_L2_CACHE; i++) {
        g_free(s->l2_cache[i].table);
        s->l2_cache[i].table = NULL;
        s->l2_cache[i].offset = 0;
    }
}

static Qcow2L2Cache *cache_slot(Qcow2State *s, uint64_t l2_off)
{
    Qcow2L2Cache *victim = &s->l2_cache[0];
    for (int i = 0; i < QCOW2_L2_CACHE; i++) {
        Qcow2L2Cache *c = &s->l2_cache[i];
        if (c->offset == l2_off) {
            c->used = ++s->l2_cache_clock;
            return c;
        }
        if (c->used < victim->used) {
            victim = c;
        }
    }
    return victim;
}

bool qcow2_read_l2(Qcow2State *s, uint64_t l2_off, uint64_t **table,
                   GError **errp)
{
    if (l2_off % s->cluster_size || l2_off < s->cluster_size) {
        qcow2_mark_corrupt(s, "L2 table offset is invalid");
        g_set_error(errp, EMU_ERROR, 0, "qcow2: L2 table offset 0x%"
                    G_GINT64_MODIFIER "x is invalid", l2_off);
        return false;
    }
    Qcow2L2Cache *c = cache_slot(s, l2_off);
    if (c->offset != l2_off) {
        if (!c->table) {
            c->table = g_malloc(s->cluster_size);
        }
        c->offset = 0;
        if (!qcow2_file_read(s, l2_off, s->cluster_size, c->table, errp)) {
            return false;
        }
        c->offset = l2_off;
        c->used = ++s->l2_cache_clock;
    }
    *table = c->table;
    return true;
}

static void cache_forget(Qcow2State *s, uint64_t l2_off)
{
    for (int i = 0; i < QCOW2_L2_CACHE; i++) {
        if (s->l2_cache[i].offset == l2_off) {
            s->l2_cache[i].offset = 0;
        }
    }
}

bool qcow2_get_l2_entry(Qcow2State *s, uint64_t guest_off, uint64_t *entry,
                        GError **errp)
{
    uint64_t l1_idx = guest_off >> (s->cluster_bits + s->l2_bits);
    uint64_t l2_idx = (guest_off >> s->cluster_bits) &
                      (qcow2_l2_entries(s) - 1);
    *entry = 0;
    if (l1_idx >= s->l1_size) {
        return true;
    }
    uint64_t l2_off = s->l1[l1_idx] & QCOW2_OFFSET_MASK;
    if (!l2_off) {
        return true;
    }
    uint64_t *table;
    if (!qcow2_read_l2(s, l2_off, &table, errp)) {
        return false;
    }
    *entry = emu_be64(&table[l2_idx]);
    return true;
}

bool qcow2_write_l1_entry(Qcow2State *s, uint32_t idx, GError **errp)
{
    uint8_t be[8];
    emu_st_be64(be, s->l1[idx]);
    return qcow2_file_write(s, s->l1_offset + (uint64_t)idx * 8, 8, be, errp);
}

/* A new L2 table (copy of old_off's, or zeroes) holding the new entries;
 * written and flushed before L1 points at it. */
static bool replace_l2_table(Qcow2State *s, uint32_t l1_idx,
                             uint64_t l2_idx, const uint64_t *entries,
                             uint64_t n, GError **errp)
{
    uint64_t old = s->l1[l1_idx] & QCOW2_OFFSET_MASK;
    uint64_t *table = g_malloc0(s->cluster_size);
    uint64_t *src;
    if (old && !qcow2_read_l2(s, old, &src, errp)) {
        g_free(table);
        return false;
    }
    if (old) {
        memcpy(table, src, s->cluster_size);
    }
    for (uint64_t i = 0; i < n; i++) {
        emu_st_be64(&table[l2_idx + i], entries[i]);
    }
    uint64_t new_off;
    bool ok = qcow2_alloc_clusters(s, 1, &new_off, errp) &&
              qcow2_file_write(s, new_off, s->cluster_size, table, errp) &&
              qcow2_ordered_flush(s, errp);
    g_free(table);
    if (!ok) {
        return false;
    }
    s->l1[l1_idx] = new_off | QCOW2_OFLAG_COPIED;
    if (!qcow2_write_l1_entry(s, l1_idx, errp)) {
        return false;
    }
    if (old) {
        cache_forget(s, old);
        return qcow2_ordered_flush(s, errp) &&
               qcow2_update_refcount(s, old, 1, -1, errp);
    }
    return true;
}

bool qcow2_set_l2_entries(Qcow2State *s, uint64_t guest_off,
                          const uint64_t *entries, uint64_t n, GError **errp)
{
    uint64_t l1_idx = guest_off >> (s->cluster_bits + s->l2_bits);
    uint64_t l2_idx = (guest_off >> s->cluster_bits) &
                      (qcow2_l2_entries(s) - 1);
    if (l1_idx >= s->l1_size || l2_idx + n > qcow2_l2_entries(s)) {
        g_set_error(errp, EMU_ERROR, 0, "qcow2: offset %" G_GUINT64_FORMAT
                    " is outside the L1 table", guest_off);
        return false;
    }
    uint64_t l1e = s->l1[l1_idx];
    if (!(l1e & QCOW2_OFFSET_MASK) || !(l1e & QCOW2_OFLAG_COPIED)) {
        return replace_l2_table(s, (uint32_t)l1_idx, l2_idx, entries, n,
                                errp);
    }
    uint64_t l2_off = l1e & QCOW2_OFFSET_MASK;
    uint64_t *table;
    if (!qcow2_read_l2(s, l2_off, &table, errp)) {
        return false;
    }
    for (uint64_t i = 0; i < n; i++) {
        emu_st_be64(&table[l2_idx + i], entries[i]);
    }
    if (!qcow2_file_write(s, l2_off + l2_idx * 8, n * 8, &table[l2_idx],
                          errp)) {
        cache_forget(s, l2_off);
        return false;
    }
    return true;
}

bool qcow2_release_entry(Qcow2State *s, uint64_t entry, GError **errp)
{
    switch (qcow2_entry_type(s, entry)) {
    case QCOW2_NORMAL:
    case QCOW2_ZERO_ALLOC:
        return qcow2_update_refcount(s, entry & QCOW2_OFFSET_MASK, 1, -1,
                                     errp);
    case QCOW2_COMPRESSED: {
        uint64_t off, len;
        qcow2_compressed_range(s, entry, &off, &len);
        return qcow2_update_refcount(s, off, len, -1, errp);
    }
    default:
        return true;
    }
}

static bool decompress(Qcow2State *s, const uint8_t *in, size_t in_len,
                       uint8_t *out)
{
    z_stream z = { 0 };
    if (inflateInit2(&z, -12) != Z_OK) {
        return false;
    }
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)in_len;
    z.next_out = out;
    z.avail_out = (uInt)s->cluster_size;
    int ret = inflate(&z, Z_FINISH);
    bool ok = (ret == Z_STREAM_END || ret == Z_BUF_ERROR ||
               ret == Z_OK) && z.avail_out == 0;
    inflateEnd(&z);
    return ok;
}

static bool read_compressed(Qcow2State *s, uint64_t guest_off,
                            uint64_t entry, uint8_t *buf, GError **errp)
{
    uint64_t off, len;
    qcow2_compressed_range(s, entry, &off, &len);
    uint8_t *in = g_malloc(len);
    bool ok = qcow2_file_read(s, off, len, in, errp);
    if (ok && !decompress(s, in, len, buf)) {
        g_set_error(errp, EMU_ERROR, 0, "qcow2: compressed cluster at guest "
                    "offset %" G_GUINT64_FORMAT " is corrupt", guest_off);
        ok = false;
    }
    g_free(in);
    return ok;
}

bool qcow2_read_cluster(Qcow2State *s, uint64_t guest_off, uint64_t entry,
                        uint8_t *buf, GError **errp)
{
    switch (qcow2_entry_type(s, entry)) {
    case QCOW2_UNALLOCATED:
        return emu_block_read_backing(s->node, guest_off, s->cluster_size,
                                      buf, errp);
    case QCOW2_ZERO_PLAIN:
    case QCOW2_ZERO_ALLOC:
        memset(buf, 0, s->cluster_size);
        return true;
    case QCOW2_COMPRESSED:
        return read_compressed(s, guest_off, entry, buf, errp);
    default:
        return qcow2_file_read(s, entry & QCOW2_OFFSET_MASK, s->cluster_size,
                               buf, errp);
    }
}

bool qcow2_grow_l1(Qcow2State *s, uint32_t min_size, GError **errp)
{
    if (min_size <= s->l1_size) {
        return true;
    }
    if ((uint64_t)min_size * 8 > QCOW2_MAX_L1_BYTES) {
        g_set_error(errp, EMU_ERROR, 0, "qcow2: L1 table would be too large");
        return false;
    }
    uint64_t cs = s->cluster_size;
    uint64_t bytes = qcow2_align_up((uint64_t)min_size * 8, cs);
    uint8_t *disk = g_malloc0(bytes);
    for (uint32_t i = 0; i < s->l1_size; i++) {
        emu_st_be64(disk + i * 8ull, s->l1[i]);
    }
    uint64_t off;
    bool ok = qcow2_alloc_clusters(s, bytes / cs, &off, errp) &&
              qcow2_file_write(s, off, bytes, disk, errp) &&
              emu_block_flush(s->file, errp);
    g_free(disk);
    if (!ok) {
        return false;
    }
    uint8_t hdr[12];
    emu_st_be32(hdr, min_size);
    emu_st_be64(hdr + 4, off);
    if (!qcow2_file_write(s, 36, 12, hdr, errp) ||
        !emu_block_flush(s->file, errp)) {
        return false;
    }
    uint64_t old_off = s->l1_offset, old_bytes = (uint64_t)s->l1_size * 8;
    s->l1 = g_realloc(s->l1, (size_t)min_size * 8);
    memset(s->l1 + s->l1_size, 0, (size_t)(min_size - s->l1_size) * 8);
    s->l1_size = min_size;
    s->l1_offset = off;
    return !old_bytes ||
           qcow2_update_refcount(s, old_off, old_bytes, -1, errp);
}
