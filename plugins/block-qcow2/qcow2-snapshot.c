/*
 * qcow2 internal snapshots: the snapshot table (read, validated, rewritten
 * whole into new clusters), refcount adjustment over an L1 table, the
 * COPIED flags of the active tables, and create / apply / delete / list.
 * Refcounts always rise before a new reference is written and fall only
 * after the old reference is gone, so a crash can only leak clusters.
 */
#include <string.h>
#include "qcow2.h"

#define SNAPSHOT_TABLE_MAX (64u << 20)
#define SNAPSHOT_EXTRA_MAX 1024

void qcow2_free_snapshots(Qcow2State *s)
{
    for (uint32_t i = 0; s->snapshots && i < s->nb_snapshots; i++) {
        g_free(s->snapshots[i].id);
        g_free(s->snapshots[i].name);
    }
    g_free(s->snapshots);
    s->snapshots = NULL;
}

static bool bad_table(GError **errp, const char *why)
{
    g_set_error(errp, EMU_ERROR, 0, "qcow2 snapshot table is invalid: %s",
                why);
    return false;
}

static bool parse_snapshot(Qcow2State *s, const uint8_t *h,
                           const uint8_t *extra, Qcow2Snapshot *sn,
                           GError **errp)
{
    sn->l1_offset = emu_be64(h);
    sn->l1_size = emu_be32(h + 8);
    sn->date_sec = emu_be32(h + 16);
    sn->date_nsec = emu_be32(h + 20);
    sn->vm_clock_nsec = emu_be64(h + 24);
    sn->vm_state_size = emu_be32(h + 32);
    sn->extra_size = emu_be32(h + 36);
    sn->disk_size = s->size;
    if (sn->extra_size >= 8) {
        sn->vm_state_size = emu_be64(extra);
    }
    if (sn->extra_size >= 16) {
        sn->disk_size = emu_be64(extra + 8);
    }
    if (sn->extra_size >= 24) {
        sn->icount = emu_be64(extra + 16);
        sn->has_icount = true;
    }
    if (sn->l1_offset % s->cluster_size ||
        (uint64_t)sn->l1_size * 8 > QCOW2_MAX_L1_BYTES) {
        return bad_table(errp, "snapshot L1 table is out of range");
    }
    if (sn->disk_size > (1ull << 62)) {
        return bad_table(errp, "snapshot disk size is too large");
    }
    return true;
}

bool qcow2_read_snapshots(Qcow2State *s, GError **errp)
{
    if (!s->nb_snapshots) {
        return true;
    }
    if (s->snapshots_offset % s->cluster_size || !s->snapshots_offset ||
        s->snapshots_offset >= emu_block_length(s->file)) {
        return bad_table(errp, "table offset is out of range");
    }
    s->snapshots = g_new0(Qcow2Snapshot, s->nb_snapshots);
    uint64_t pos = s->snapshots_offset;
    uint32_t loaded = 0;
    bool ok = true;
    for (uint32_t i = 0; ok && i < s->nb_snapshots; i++) {
        uint8_t h[40], extra[SNAPSHOT_EXTRA_MAX];
        Qcow2Snapshot *sn = &s->snapshots[i];
        if (pos - s->snapshots_offset > SNAPSHOT_TABLE_MAX) {
            ok = bad_table(errp, "table is too large");
            break;
        }
        if (pos + sizeof(h) > emu_block_length(s->file)) {
            ok = bad_table(errp, "table runs past the end of the file");
            break;
        }
        ok = qcow2_file_read(s, pos, sizeof(h), h, errp);
        uint32_t extra_size = ok ? emu_be32(h + 36) : 0;
        uint16_t id_len = ok ? emu_be16(h + 12) : 0;
        uint16_t name_len = ok ? emu_be16(h + 14) : 0;
        if (ok && extra_size > SNAPSHOT_EXTRA_MAX) {
            ok = bad_table(errp, "extra data is too large");
        }
        ok = ok && qcow2_file_read(s, pos + 40, extra_size, extra, errp) &&
             parse_snapshot(s, h, extra, sn, errp);
        if (!ok) {
            break;
        }
        pos += 40 + extra_size;
        char *strs = g_malloc0((size_t)id_len + name_len + 2);
        ok = qcow2_file_read(s, pos, (size_t)id_len + name_len, strs, errp);
        sn->id = g_strndup(strs, id_len);
        sn->name = g_strndup(strs + id_len, name_len);
        g_free(strs);
        loaded++;
        pos = qcow2_align_up(pos + id_len + name_len, 8);
    }
    if (!ok) {
        s->nb_snapshots = loaded;
        qcow2_free_snapshots(s);
        s->nb_snapshots = 0;
    }
    return ok;
}

static GByteArray *build_table(Qcow2State *s)
{
    GByteArray *b = g_byte_array_new();
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        uint8_t h[40 + 24] = { 0 };
        uint16_t id_len = (uint16_t)strlen(sn->id);
        uint16_t name_len = (uint16_t)strlen(sn->name);
        emu_st_be64(h, sn->l1_offset);
        emu_st_be32(h + 8, sn->l1_size);
        emu_st_be16(h + 12, id_len);
        emu_st_be16(h + 14, name_len);
        emu_st_be32(h + 16, sn->date_sec);
        emu_st_be32(h + 20, sn->date_nsec);
        emu_st_be64(h + 24, sn->vm_clock_nsec);
        emu_st_be32(h + 32, sn->vm_state_size > UINT32_MAX ? 0
                                : (uint32_t)sn->vm_state_size);
        emu_st_be32(h + 36, 24);
        emu_st_be64(h + 40, sn->vm_state_size);
        emu_st_be64(h + 48, sn->disk_size);
        emu_st_be64(h + 56, sn->has_icount ? sn->icount : UINT64_MAX);
        g_byte_array_append(b, h, sizeof(h));
        g_byte_array_append(b, (const uint8_t *)sn->id, id_len);
        g_byte_array_append(b, (const uint8_t *)sn->name, name_len);
        static const uint8_t pad[8];
        g_byte_array_append(b, pad,
                            (guint)(qcow2_align_up(b->len, 8) - b->len));
    }
    return b;
}

/* Writes the in-memory table to new clusters, points the header at it and
 * frees the old clusters. */
static bool write_snapshot_table(Qcow2State *s, uint64_t old_off,
                                 uint64_t old_len, GError **errp)
{
    GByteArray *b = build_table(s);
    uint64_t off = 0, cs = s->cluster_size;
    bool ok = true;
    if (b->len) {
        uint64_t n = qcow2_align_up(b->len, cs) / cs;
        ok = qcow2_alloc_clusters(s, n, &off, errp) &&
             qcow2_file_write(s, off, b->len, b->data, errp) &&
             emu_block_flush(s->file, errp);
    }
    g_byte_array_unref(b);
    uint8_t hdr[12];
    emu_st_be32(hdr, s->nb_snapshots);
    emu_st_be64(hdr + 4, off);
    if (!ok || !qcow2_file_write(s, 60, 12, hdr, errp) ||
        !emu_block_flush(s->file, errp)) {
        return false;
    }
    s->snapshots_offset = off;
    return !old_len || qcow2_update_refcount(s, old_off, old_len, -1, errp);
}

static uint64_t table_bytes(Qcow2State *s)
{
    GByteArray *b = build_table(s);
    uint64_t len = b->len;
    g_byte_array_unref(b);
    return len;
}

bool qcow2_read_l1_table(Qcow2State *s, uint64_t off, uint32_t size,
                         uint64_t **out, GError **errp)
{
    uint64_t *l1 = g_new0(uint64_t, MAX(size, 1));
    if (size && !qcow2_file_read(s, off, (size_t)size * 8, l1, errp)) {
        g_free(l1);
        return false;
    }
    for (uint32_t i = 0; i < size; i++) {
        l1[i] = emu_be64(&l1[i]);
    }
    *out = l1;
    return true;
}

static bool adjust_l2_refcounts(Qcow2State *s, uint64_t l2_off, int delta,
                                GError **errp)
{
    uint64_t *cached;
    if (!qcow2_read_l2(s, l2_off, &cached, errp)) {
        return false;
    }
    uint64_t n = qcow2_l2_entries(s);
    uint64_t *table = g_memdup2(cached, s->cluster_size);
    bool ok = true;
    for (uint64_t i = 0; ok && i < n; i++) {
        uint64_t e = emu_be64(&table[i]);
        Qcow2ClusterType t = qcow2_entry_type(s, e);
        if (t == QCOW2_NORMAL || t == QCOW2_ZERO_ALLOC) {
            ok = qcow2_update_refcount(s, e & QCOW2_OFFSET_MASK, 1, delta,
                                       errp);
        } else if (t == QCOW2_COMPRESSED) {
            uint64_t off, len;
            qcow2_compressed_range(s, e, &off, &len);
            ok = qcow2_update_refcount(s, off, len, delta, errp);
        }
    }
    g_free(table);
    return ok && qcow2_update_refcount(s, l2_off, 1, delta, errp);
}

bool qcow2_update_l1_refcounts(Qcow2State *s, const uint64_t *l1,
                               uint32_t l1_size, int delta, GError **errp)
{
    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t l2_off = l1[i] & QCOW2_OFFSET_MASK;
        if (l2_off && !adjust_l2_refcounts(s, l2_off, delta, errp)) {
            return false;
        }
    }
    return true;
}

static bool fix_l2_flags(Qcow2State *s, uint64_t l2_off, GError **errp)
{
    uint64_t *table;
    if (!qcow2_read_l2(s, l2_off, &table, errp)) {
        return false;
    }
    bool changed = false;
    for (uint64_t i = 0; i < qcow2_l2_entries(s); i++) {
        uint64_t e = emu_be64(&table[i]), rc = 0;
        Qcow2ClusterType t = qcow2_entry_type(s, e);
        if (t != QCOW2_NORMAL && t != QCOW2_ZERO_ALLOC) {
            continue;
        }
        if (!qcow2_get_refcount(s, (e & QCOW2_OFFSET_MASK) / s->cluster_size,
                                &rc, errp)) {
            return false;
        }
        uint64_t want = rc == 1 ? e | QCOW2_OFLAG_COPIED
                                : e & ~QCOW2_OFLAG_COPIED;
        if (want != e) {
            emu_st_be64(&table[i], want);
            changed = true;
        }
    }
    return !changed ||
           qcow2_file_write(s, l2_off, s->cluster_size, table, errp);
}

bool qcow2_fix_copied_flags(Qcow2State *s, GError **errp)
{
    for (uint32_t i = 0; i < s->l1_size; i++) {
        uint64_t l2_off = s->l1[i] & QCOW2_OFFSET_MASK, rc;
        if (!l2_off) {
            continue;
        }
        if (!qcow2_get_refcount(s, l2_off / s->cluster_size, &rc, errp) ||
            !fix_l2_flags(s, l2_off, errp)) {
            return false;
        }
        uint64_t want = rc == 1 ? s->l1[i] | QCOW2_OFLAG_COPIED
                                : s->l1[i] & ~QCOW2_OFLAG_COPIED;
        if (want != s->l1[i]) {
            s->l1[i] = want;
            if (!qcow2_write_l1_entry(s, i, errp)) {
                return false;
            }
        }
    }
    return true;
}

static int find_snapshot(Qcow2State *s, const char *name_or_id)
{
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        if (!strcmp(s->snapshots[i].id, name_or_id)) {
            return (int)i;
        }
    }
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        if (!strcmp(s->snapshots[i].name, name_or_id)) {
            return (int)i;
        }
    }
    return -1;
}

static char *next_id(Qcow2State *s)
{
    unsigned long max = 0;
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        max = MAX(max, strtoul(s->snapshots[i].id, NULL, 10));
    }
    return g_strdup_printf("%lu", max + 1);
}

static bool write_l1_copy(Qcow2State *s, const uint64_t *l1, uint32_t size,
                          uint64_t off, bool clear_copied, GError **errp)
{
    uint64_t bytes = qcow2_align_up((uint64_t)MAX(size, 1) * 8,
                                    s->cluster_size);
    uint8_t *disk = g_malloc0(bytes);
    for (uint32_t i = 0; i < size; i++) {
        emu_st_be64(disk + i * 8ull,
                    clear_copied ? l1[i] & ~QCOW2_OFLAG_COPIED : l1[i]);
    }
    bool ok = qcow2_file_write(s, off, bytes, disk, errp);
    g_free(disk);
    return ok;
}

static bool create_locked(Qcow2State *s, const char *name, GError **errp)
{
    if (!s->writable) {
        return bad_table(errp, "image is read-only");
    }
    if (find_snapshot(s, name) >= 0 || s->nb_snapshots >= QCOW2_MAX_SNAPSHOTS) {
        g_set_error(errp, EMU_ERROR, 0, "Snapshot '%s' already exists", name);
        return false;
    }
    if (s->refcount_max < 2) {
        g_set_error(errp, EMU_ERROR, 0,
                    "Snapshots need refcount_bits of at least 2");
        return false;
    }
    uint64_t cs = s->cluster_size, l1_off;
    uint64_t l1_clusters = qcow2_align_up((uint64_t)MAX(s->l1_size, 1) * 8,
                                          cs) / cs;
    if (!qcow2_alloc_clusters(s, l1_clusters, &l1_off, errp) ||
        !write_l1_copy(s, s->l1, s->l1_size, l1_off, true, errp) ||
        !qcow2_update_l1_refcounts(s, s->l1, s->l1_size, 1, errp) ||
        !emu_block_flush(s->file, errp) ||
        !qcow2_fix_copied_flags(s, errp)) {
        return false;
    }
    gint64 now = g_get_real_time();
    uint64_t old_off = s->snapshots_offset, old_len = table_bytes(s);
    s->snapshots = g_renew(Qcow2Snapshot, s->snapshots, s->nb_snapshots + 1);
    s->snapshots[s->nb_snapshots] = (Qcow2Snapshot){
        .l1_offset = l1_off, .l1_size = s->l1_size, .id = next_id(s),
        .name = g_strdup(name), .date_sec = (uint32_t)(now / G_USEC_PER_SEC),
        .date_nsec = (uint32_t)(now % G_USEC_PER_SEC) * 1000,
        .disk_size = s->size, .icount = 0, .has_icount = true,
    };
    s->nb_snapshots++;
    return write_snapshot_table(s, old_off, old_len, errp);
}

static bool apply_locked(Qcow2State *s, const char *name, GError **errp)
{
    int i = find_snapshot(s, name);
    if (i < 0) {
        g_set_error(errp, EMU_ERROR, 0, "Can't find snapshot '%s'", name);
        return false;
    }
    if (!s->writable) {
        return bad_table(errp, "image is read-only");
    }
    Qcow2Snapshot *sn = &s->snapshots[i];
    uint64_t *snap_l1, *old_l1 = NULL;
    uint32_t old_size = s->l1_size;
    if (!qcow2_read_l1_table(s, sn->l1_offset, sn->l1_size, &snap_l1, errp)) {
        return false;
    }
    bool ok = qcow2_grow_l1(s, sn->l1_size, errp) &&
              qcow2_update_l1_refcounts(s, snap_l1, sn->l1_size, 1, errp) &&
              emu_block_flush(s->file, errp);
    if (ok) {
        old_l1 = g_memdup2(s->l1, (gsize)s->l1_size * 8);
        old_size = s->l1_size;
        memset(s->l1, 0, (size_t)s->l1_size * 8);
        memcpy(s->l1, snap_l1, (size_t)sn->l1_size * 8);
        qcow2_l2_cache_drop(s);
        ok = write_l1_copy(s, s->l1, s->l1_size, s->l1_offset, true, errp) &&
             emu_block_flush(s->file, errp);
        for (uint32_t k = 0; k < s->l1_size; k++) {
            s->l1[k] &= ~QCOW2_OFLAG_COPIED;
        }
    }
    ok = ok && qcow2_update_l1_refcounts(s, old_l1, old_size, -1, errp) &&
         qcow2_fix_copied_flags(s, errp);
    if (ok && sn->disk_size != s->size) {
        uint8_t be[8];
        emu_st_be64(be, sn->disk_size);
        ok = qcow2_file_write(s, 24, 8, be, errp);
        s->size = sn->disk_size;
    }
    g_free(snap_l1);
    g_free(old_l1);
    return ok && emu_block_flush(s->file, errp);
}

static bool delete_locked(Qcow2State *s, const char *name, GError **errp)
{
    int i = find_snapshot(s, name);
    if (i < 0) {
        g_set_error(errp, EMU_ERROR, 0, "Can't find snapshot '%s'", name);
        return false;
    }
    if (!s->writable) {
        return bad_table(errp, "image is read-only");
    }
    Qcow2Snapshot sn = s->snapshots[i];
    uint64_t *l1;
    if (!qcow2_read_l1_table(s, sn.l1_offset, sn.l1_size, &l1, errp)) {
        return false;
    }
    uint64_t old_off = s->snapshots_offset, old_len = table_bytes(s);
    memmove(&s->snapshots[i], &s->snapshots[i + 1],
            (s->nb_snapshots - i - 1) * sizeof(Qcow2Snapshot));
    s->nb_snapshots--;
    uint64_t l1_bytes = qcow2_align_up((uint64_t)MAX(sn.l1_size, 1) * 8,
                                       s->cluster_size);
    bool ok = write_snapshot_table(s, old_off, old_len, errp) &&
              qcow2_update_l1_refcounts(s, l1, sn.l1_size, -1, errp) &&
              qcow2_update_refcount(s, sn.l1_offset, l1_bytes, -1, errp) &&
              qcow2_fix_copied_flags(s, errp) &&
              emu_block_flush(s->file, errp);
    g_free(sn.id);
    g_free(sn.name);
    g_free(l1);
    return ok;
}

#define LOCKED(call) \
    Qcow2State *s = qcow2_state(node); \
    g_mutex_lock(&s->lock); \
    qcow2_drain_writes(s); \
    bool ok = (call); \
    g_mutex_unlock(&s->lock); \
    return ok

bool qcow2_snapshot_create(EmuBlockNode *node, const char *name,
                           GError **errp)
{
    LOCKED(create_locked(s, name, errp));
}

bool qcow2_snapshot_apply(EmuBlockNode *node, const char *name,
                          GError **errp)
{
    LOCKED(apply_locked(s, name, errp));
}

bool qcow2_snapshot_delete(EmuBlockNode *node, const char *name,
                           GError **errp)
{
    LOCKED(delete_locked(s, name, errp));
}

GPtrArray *qcow2_snapshot_list(EmuBlockNode *node, GError **errp)
{
    Qcow2State *s = qcow2_state(node);
    GPtrArray *list = g_ptr_array_new();
    g_mutex_lock(&s->lock);
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        EmuBlockSnapshot *o = g_new0(EmuBlockSnapshot, 1);
        o->id = g_strdup(sn->id);
        o->name = g_strdup(sn->name);
        o->vm_state_size = sn->vm_state_size;
        o->date_sec = sn->date_sec;
        o->date_nsec = sn->date_nsec;
        o->vm_clock_nsec = sn->vm_clock_nsec;
        o->icount = sn->has_icount ? sn->icount : UINT64_MAX;
        g_ptr_array_add(list, o);
    }
    g_mutex_unlock(&s->lock);
    return list;
}
