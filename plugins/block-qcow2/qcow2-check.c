/*
 * qcow2 consistency check and repair: recomputes every cluster's reference
 * count from the metadata (header, refcount structures, snapshot table,
 * L1/L2 tables of the active image and every snapshot), compares it with
 * the stored refcounts, checks the COPIED flags, and repairs: leaks by
 * lowering refcounts, other errors by rebuilding the refcount structures.
 * Work is bounded by the file size so hostile images cannot hang it.
 */
#include <string.h>
#include "qcow2.h"

#define LEAK_SLACK 65536    /* clusters past EOF scanned for leaks */
#define MAX_CHECK_CLUSTERS (1ull << 26)   /* 256 MiB of counters */

typedef struct Check {
    Qcow2State *s;
    uint64_t file_clusters;
    uint64_t nb;                /* size of refs[] */
    uint32_t *refs;
    uint64_t max_ref;           /* highest referenced cluster + 1 */
    EmuBlockCheckResult *res;
    uint64_t prev_host;
} Check;

static void corrupt(Check *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void corrupt(Check *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_printerr("ERROR %s\n", msg);
    g_free(msg);
    c->res->corruptions++;
}

static void add_ref(Check *c, uint64_t off, uint64_t len, const char *what)
{
    uint64_t cs = c->s->cluster_size;
    if (!len) {
        return;
    }
    uint64_t first = off / cs, last = (off + len - 1) / cs;
    if (last >= c->file_clusters || last < first) {
        corrupt(c, "%s at offset 0x%" G_GINT64_MODIFIER "x is beyond the end "
                "of the image file", what, off);
        return;
    }
    for (uint64_t i = first; i <= last; i++) {
        if (c->refs[i] < UINT32_MAX) {
            c->refs[i]++;
        }
    }
    c->max_ref = MAX(c->max_ref, last + 1);
}

static void check_l2_entry(Check *c, uint64_t e, bool active)
{
    Qcow2State *s = c->s;
    Qcow2ClusterType t = qcow2_entry_type(s, e);
    if (t == QCOW2_COMPRESSED) {
        uint64_t off, len;
        qcow2_compressed_range(s, e, &off, &len);
        add_ref(c, off, len, "compressed cluster");
        if (active) {
            c->res->compressed_clusters++;
            c->res->allocated_clusters++;
        }
        if (e & QCOW2_OFLAG_COPIED) {
            corrupt(c, "compressed cluster 0x%" G_GINT64_MODIFIER "x has "
                    "the COPIED flag", e);
        }
        return;
    }
    if (t != QCOW2_NORMAL && t != QCOW2_ZERO_ALLOC) {
        return;
    }
    uint64_t host = e & QCOW2_OFFSET_MASK;
    if (host % s->cluster_size) {
        corrupt(c, "offset=%" G_GINT64_MODIFIER "x: Cluster is not properly "
                "aligned; L2 entry corrupted.", host);
        return;
    }
    add_ref(c, host, s->cluster_size, "data cluster");
    if (active && t == QCOW2_NORMAL) {
        c->res->allocated_clusters++;
        if (c->prev_host && host != c->prev_host + s->cluster_size) {
            c->res->fragmented_clusters++;
        }
        c->prev_host = host;
    }
}

static bool walk_l2(Check *c, uint64_t l2_off, bool active, GError **errp)
{
    Qcow2State *s = c->s;
    uint64_t *table = g_malloc(s->cluster_size);
    if (!qcow2_file_read(s, l2_off, s->cluster_size, table, errp)) {
        g_free(table);
        return false;
    }
    for (uint64_t i = 0; i < qcow2_l2_entries(s); i++) {
        check_l2_entry(c, emu_be64(&table[i]), active);
    }
    g_free(table);
    return true;
}

static bool walk_l1(Check *c, const uint64_t *l1, uint32_t size, bool active,
                    GError **errp)
{
    Qcow2State *s = c->s;
    uint64_t walked = 0;
    for (uint32_t i = 0; i < size; i++) {
        uint64_t l2_off = l1[i] & QCOW2_OFFSET_MASK;
        if (!l2_off) {
            continue;
        }
        if (l2_off % s->cluster_size ||
            l2_off / s->cluster_size >= c->file_clusters) {
            corrupt(c, "L2 table offset 0x%" G_GINT64_MODIFIER "x is invalid"
                    " (L1 index %u)", l2_off, i);
            continue;
        }
        if (++walked > c->file_clusters) {
            corrupt(c, "L1 table references more L2 tables than the file "
                    "holds");
            return true;
        }
        add_ref(c, l2_off, s->cluster_size, "L2 table");
        if (!walk_l2(c, l2_off, active, errp)) {
            return false;
        }
    }
    return true;
}

static void count_refcount_structures(Check *c)
{
    Qcow2State *s = c->s;
    uint64_t blocks = 0;
    add_ref(c, 0, s->cluster_size, "header");
    add_ref(c, s->reftable_offset,
            (uint64_t)s->reftable_clusters * s->cluster_size,
            "refcount table");
    for (uint64_t i = 0; i < s->reftable_entries; i++) {
        uint64_t off = s->reftable[i];
        if (!off) {
            continue;
        }
        if (off % s->cluster_size) {
            corrupt(c, "refcount block %" G_GUINT64_FORMAT " is not cluster "
                    "aligned; refcount table entry corrupted", i);
            continue;
        }
        if (++blocks > c->file_clusters) {
            corrupt(c, "refcount table has more blocks than the file");
            return;
        }
        add_ref(c, off, s->cluster_size, "refcount block");
    }
}

static bool count_snapshots(Check *c, GError **errp)
{
    Qcow2State *s = c->s;
    uint64_t table = 0;
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        table = qcow2_align_up(table + 40 + sn->extra_size + strlen(sn->id) +
                               strlen(sn->name), 8);
    }
    add_ref(c, s->snapshots_offset, table, "snapshot table");
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        uint64_t bytes = (uint64_t)sn->l1_size * 8;
        if (sn->l1_offset / s->cluster_size + bytes / s->cluster_size >=
            c->file_clusters + 1) {
            corrupt(c, "snapshot %s L1 table is beyond the end of the file",
                    sn->id);
            continue;
        }
        add_ref(c, sn->l1_offset, bytes, "snapshot L1 table");
        uint64_t *l1;
        if (!qcow2_read_l1_table(s, sn->l1_offset, sn->l1_size, &l1, errp)) {
            return false;
        }
        bool ok = walk_l1(c, l1, sn->l1_size, false, errp);
        g_free(l1);
        if (!ok) {
            return false;
        }
    }
    return true;
}

static uint64_t stored_refcount(Qcow2State *s, uint64_t cluster)
{
    uint64_t v = 0;
    GError *err = NULL;
    if (!qcow2_get_refcount(s, cluster, &v, &err)) {
        g_error_free(err);
        return 0;
    }
    return v;
}

static uint64_t compare_refcounts(Check *c, bool fix_leaks, GError **errp)
{
    Qcow2State *s = c->s;
    uint64_t end = 0;
    for (uint64_t i = 0; i < c->nb; i++) {
        uint64_t on = stored_refcount(s, i), want = c->refs[i];
        if (on || want) {
            end = i + 1;
        }
        if (on == want) {
            continue;
        }
        if (want > s->refcount_max) {
            corrupt(c, "cluster %" G_GUINT64_FORMAT " is referenced %"
                    G_GUINT64_FORMAT " times, more than refcount_bits allow",
                    i, want);
        } else if (on < want) {
            corrupt(c, "cluster %" G_GUINT64_FORMAT " refcount=%"
                    G_GUINT64_FORMAT " reference=%" G_GUINT64_FORMAT,
                    i, on, want);
        } else {
            g_printerr("%s cluster %" G_GUINT64_FORMAT " refcount=%"
                       G_GUINT64_FORMAT " reference=%" G_GUINT64_FORMAT "\n",
                       fix_leaks ? "Repairing" : "Leaked", i, on, want);
            c->res->leaks++;
        }
    }
    return end;
}

static void check_copied(Check *c, bool fix, GError **errp)
{
    Qcow2State *s = c->s;
    for (uint32_t i = 0; i < s->l1_size; i++) {
        uint64_t l2_off = s->l1[i] & QCOW2_OFFSET_MASK;
        if (!l2_off || l2_off % s->cluster_size ||
            l2_off / s->cluster_size >= c->file_clusters) {
            continue;
        }
        uint64_t rc = stored_refcount(s, l2_off / s->cluster_size);
        if ((rc == 1) != !!(s->l1[i] & QCOW2_OFLAG_COPIED)) {
            if (!fix) {
                corrupt(c, "OFLAG_COPIED L2 cluster: l1_index=%u "
                        "l1_entry=%" G_GINT64_MODIFIER "x refcount=%"
                        G_GUINT64_FORMAT, i, s->l1[i], rc);
            }
        }
        uint64_t *table = g_malloc(s->cluster_size);
        if (qcow2_file_read(s, l2_off, s->cluster_size, table, NULL)) {
            for (uint64_t j = 0; j < qcow2_l2_entries(s); j++) {
                uint64_t e = emu_be64(&table[j]);
                Qcow2ClusterType t = qcow2_entry_type(s, e);
                if (t != QCOW2_NORMAL && t != QCOW2_ZERO_ALLOC) {
                    continue;
                }
                uint64_t host = e & QCOW2_OFFSET_MASK;
                rc = stored_refcount(s, host / s->cluster_size);
                if ((rc == 1) != !!(e & QCOW2_OFLAG_COPIED) && !fix) {
                    corrupt(c, "OFLAG_COPIED data cluster: l2_entry=%"
                            G_GINT64_MODIFIER "x refcount=%" G_GUINT64_FORMAT,
                            e, rc);
                }
            }
        }
        g_free(table);
    }
}

static bool run_check(Check *c, bool fix_leaks, GError **errp)
{
    Qcow2State *s = c->s;
    uint64_t cs = s->cluster_size;
    c->file_clusters = (emu_block_length(s->file) + cs - 1) / cs;
    c->nb = c->file_clusters + LEAK_SLACK;
    if (c->nb > MAX_CHECK_CLUSTERS) {
        g_set_error(errp, EMU_ERROR, 0, "qcow2 check: the image file has too "
                    "many clusters (%" G_GUINT64_FORMAT ") to check",
                    c->file_clusters);
        return false;
    }
    c->refs = g_try_new0(uint32_t, c->nb);
    if (!c->refs) {
        g_set_error(errp, EMU_ERROR, 0, "qcow2 check: out of memory");
        return false;
    }
    c->res->total_clusters = (int64_t)((s->size + cs - 1) / cs);
    c->res->has_cluster_info = true;
    count_refcount_structures(c);
    add_ref(c, s->l1_offset, (uint64_t)s->l1_size * 8, "L1 table");
    if (!walk_l1(c, s->l1, s->l1_size, true, errp) ||
        !count_snapshots(c, errp)) {
        return false;
    }
    uint64_t end = compare_refcounts(c, fix_leaks, errp);
    c->res->image_end_offset = end * cs;
    check_copied(c, false, errp);
    return true;
}

static bool fix_leaked(Check *c, GError **errp)
{
    Qcow2State *s = c->s;
    for (uint64_t i = 0; i < c->nb; i++) {
        uint64_t on = stored_refcount(s, i);
        if (on > c->refs[i] &&
            !qcow2_update_refcount(s, i * s->cluster_size, 1,
                                   -(int64_t)(on - c->refs[i]), errp)) {
            return false;
        }
    }
    return emu_block_flush(s->file, errp);
}

static bool repair(Check *c, unsigned fix, GError **errp)
{
    Qcow2State *s = c->s;
    EmuBlockCheckResult *r = c->res;
    bool errors = r->corruptions && (fix & EMU_CHECK_FIX_ERRORS);
    bool leaks = r->leaks && (fix & EMU_CHECK_FIX_LEAKS);
    if (!errors && !leaks) {
        return true;
    }
    if (!s->writable) {
        g_set_error(errp, EMU_ERROR, 0, "Cannot repair a read-only image");
        return false;
    }
    if (errors) {
        uint64_t nb = MAX(c->max_ref, c->file_clusters);
        if (!qcow2_rebuild_refcounts(s, c->refs, MIN(nb, c->nb), errp) ||
            !qcow2_fix_copied_flags(s, errp) ||
            !qcow2_set_incompat(s, QCOW2_INCOMPAT_CORRUPT, false, errp)) {
            return false;
        }
        r->corruptions_fixed = r->corruptions;
        r->leaks_fixed = r->leaks;
        return true;
    }
    if (!fix_leaked(c, errp)) {
        return false;
    }
    r->leaks_fixed = r->leaks;
    return true;
}

bool qcow2_check_locked(Qcow2State *s, EmuBlockCheckResult *res,
                        unsigned fix, GError **errp)
{
    Check c = { .s = s, .res = res };
    bool ok = run_check(&c, false, errp) && repair(&c, fix, errp);
    g_free(c.refs);
    if (!ok || (!res->corruptions_fixed && !res->leaks_fixed)) {
        return ok;
    }
    /* Report the state after the repair, as qemu-img does. */
    int64_t cf = res->corruptions_fixed, lf = res->leaks_fixed;
    *res = (EmuBlockCheckResult){ .size = sizeof(*res) };
    Check again = { .s = s, .res = res };
    ok = run_check(&again, false, errp);
    g_free(again.refs);
    res->corruptions_fixed = cf;
    res->leaks_fixed = lf;
    return ok;
}

bool qcow2_check(EmuBlockNode *node, EmuBlockCheckResult *res, unsigned fix,
                 GError **errp)
{
    Qcow2State *s = qcow2_state(node);
    g_mutex_lock(&s->lock);
    bool ok = qcow2_check_locked(s, res, fix, errp);
    g_mutex_unlock(&s->lock);
    return ok;
}
