/*
 * block-qcow2 internals shared by the driver's files: on-disk constants,
 * the per-node state, and the metadata helpers (header, refcounts, L1/L2
 * mapping, snapshots, check).  All metadata access happens under
 * Qcow2State.lock; metadata is written through (no write-back cache) in an
 * order that keeps the image consistent after a crash: refcounts rise
 * before a reference appears, references disappear before refcounts fall.
 */
#ifndef QCOW2_H
#define QCOW2_H

#include <emu/block.h>

#define QCOW2_MAGIC 0x514649fbu
#define QCOW2_V2_HEADER_LEN 72
#define QCOW2_V3_HEADER_LEN 104
#define QCOW2_MIN_CLUSTER_BITS 9
#define QCOW2_MAX_CLUSTER_BITS 21
#define QCOW2_MAX_L1_BYTES (32u << 20)
#define QCOW2_MAX_REFTABLE_BYTES (8u << 20)
#define QCOW2_MAX_SNAPSHOTS 65536
#define QCOW2_MAX_BACKING_NAME 1023

#define QCOW2_INCOMPAT_DIRTY      (1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT    (1ull << 1)
#define QCOW2_INCOMPAT_DATA_FILE  (1ull << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ull << 3)
#define QCOW2_INCOMPAT_EXTL2      (1ull << 4)
#define QCOW2_INCOMPAT_KNOWN (QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT)
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ull << 0)

#define QCOW2_EXT_END          0x00000000u
#define QCOW2_EXT_BACKING_FMT  0xe2792acau
#define QCOW2_EXT_FEATURE_TABLE 0x6803f857u

#define QCOW2_OFLAG_COPIED     (1ull << 63)
#define QCOW2_OFLAG_COMPRESSED (1ull << 62)
#define QCOW2_OFLAG_ZERO       1ull
#define QCOW2_OFFSET_MASK      0x00fffffffffffe00ull
#define QCOW2_L1_RESERVED      0x7f000000000001ffull
#define QCOW2_L2_RESERVED      0x3f000000000001feull

typedef enum Qcow2ClusterType {
    QCOW2_UNALLOCATED, QCOW2_ZERO_PLAIN, QCOW2_ZERO_ALLOC, QCOW2_NORMAL,
    QCOW2_COMPRESSED,
} Qcow2ClusterType;

typedef struct Qcow2Snapshot {
    uint64_t l1_offset;
    uint32_t l1_size;
    char *id, *name;
    uint32_t date_sec, date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t vm_state_size;
    uint64_t disk_size;
    uint64_t icount;
    bool has_icount;
    uint32_t extra_size;        /* as read; we write 24 */
} Qcow2Snapshot;

typedef struct Qcow2Ext {
    uint32_t type;
    GBytes *data;
} Qcow2Ext;

#define QCOW2_L2_CACHE 32

typedef struct Qcow2L2Cache {
    uint64_t offset;            /* 0: empty slot */
    uint64_t *table;            /* big-endian entries as on disk */
    uint64_t used;
} Qcow2L2Cache;

typedef struct Qcow2State {
    GMutex lock;
    /* In-place data writes run with lock dropped; anything that may free
     * a cluster or share it (snapshots) first waits for them to drain, so
     * a cluster is never reused while such a write still targets it. */
    GCond writes_drained;
    uint32_t inflight_writes;
    uint32_t drain_waiters;     /* new writes stay locked meanwhile */
    EmuBlockNode *node, *file;
    bool writable;

    uint32_t version;
    uint32_t cluster_bits;
    uint64_t cluster_size;
    uint32_t l2_bits;           /* entries per L2 table = 1 << l2_bits */
    uint64_t size;
    uint32_t header_length;
    uint64_t incompat, compat, autoclear;

    uint64_t *l1;               /* host-endian entries */
    uint32_t l1_size;
    uint64_t l1_offset;

    uint32_t refcount_order;
    uint32_t refcount_bits;
    uint64_t refcount_max;
    uint32_t refblock_bits;     /* log2 entries per refcount block */
    uint64_t *reftable;         /* host-endian */
    uint64_t reftable_entries;
    uint64_t reftable_offset;
    uint32_t reftable_clusters;
    uint8_t *refblock_cache;    /* one cached refcount block */
    uint64_t refblock_cache_off;

    Qcow2Snapshot *snapshots;
    uint32_t nb_snapshots;
    uint64_t snapshots_offset;

    char *backing_file;
    char *backing_fmt;
    GArray *unknown_exts;       /* Qcow2Ext, kept on header rewrite */

    Qcow2L2Cache l2_cache[QCOW2_L2_CACHE];
    uint64_t l2_cache_clock;

    uint64_t free_hint;         /* lowest cluster index maybe free */
    uint64_t compressed_free;   /* next free byte for compressed data */
    bool dirty_set;             /* lazy refcounts: dirty bit written */
} Qcow2State;

static inline Qcow2State *qcow2_state(EmuBlockNode *node)
{
    return emu_block_node_state(node);
}
static inline uint64_t qcow2_l2_entries(Qcow2State *s)
{
    return 1ull << s->l2_bits;
}
static inline uint64_t qcow2_align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) / a * a;
}
static inline bool qcow2_lazy(Qcow2State *s)
{
    return (s->compat & QCOW2_COMPAT_LAZY_REFCOUNTS) != 0;
}

/* qcow2-header.c */
bool qcow2_read_header(Qcow2State *s, bool check_mode, GError **errp);
bool qcow2_write_header(Qcow2State *s, GError **errp);
bool qcow2_set_incompat(Qcow2State *s, uint64_t bits, bool on, GError **errp);
void qcow2_mark_corrupt(Qcow2State *s, const char *why);
void qcow2_free_state(Qcow2State *s);
bool qcow2_create_image(EmuBlockNode *file, uint64_t size, GHashTable *opts,
                        GError **errp);
uint64_t qcow2_l1_needed(uint64_t size, uint32_t cluster_bits);

/* qcow2-refcount.c */
void qcow2_drain_writes(Qcow2State *s);
bool qcow2_load_reftable(Qcow2State *s, GError **errp);
bool qcow2_get_refcount(Qcow2State *s, uint64_t cluster, uint64_t *out,
                        GError **errp);
bool qcow2_update_refcount(Qcow2State *s, uint64_t offset, uint64_t len,
                           int64_t delta, GError **errp);
/* Allocates n contiguous clusters with refcount 1; returns byte offset. */
bool qcow2_alloc_clusters(Qcow2State *s, uint64_t n, uint64_t *offset,
                          GError **errp);
bool qcow2_alloc_bytes(Qcow2State *s, uint64_t len, uint64_t *offset,
                       GError **errp);
bool qcow2_ordered_flush(Qcow2State *s, GError **errp);
bool qcow2_rebuild_refcounts(Qcow2State *s, uint32_t *computed,
                             uint64_t nb, GError **errp);
bool qcow2_file_read(Qcow2State *s, uint64_t off, size_t len, void *buf,
                     GError **errp);
bool qcow2_file_write(Qcow2State *s, uint64_t off, size_t len,
                      const void *buf, GError **errp);

/* qcow2-cluster.c */
Qcow2ClusterType qcow2_entry_type(Qcow2State *s, uint64_t entry);
void qcow2_compressed_range(Qcow2State *s, uint64_t entry, uint64_t *off,
                            uint64_t *len);
bool qcow2_get_l2_entry(Qcow2State *s, uint64_t guest_off, uint64_t *entry,
                        GError **errp);
bool qcow2_read_l2(Qcow2State *s, uint64_t l2_off, uint64_t **table,
                   GError **errp);
bool qcow2_set_l2_entries(Qcow2State *s, uint64_t guest_off,
                          const uint64_t *entries, uint64_t n, GError **errp);
bool qcow2_release_entry(Qcow2State *s, uint64_t entry, GError **errp);
bool qcow2_read_cluster(Qcow2State *s, uint64_t guest_off, uint64_t entry,
                        uint8_t *buf, GError **errp);
void qcow2_l2_cache_drop(Qcow2State *s);
bool qcow2_write_l1_entry(Qcow2State *s, uint32_t idx, GError **errp);
bool qcow2_grow_l1(Qcow2State *s, uint32_t min_size, GError **errp);

/* qcow2-snapshot.c */
bool qcow2_read_snapshots(Qcow2State *s, GError **errp);
void qcow2_free_snapshots(Qcow2State *s);
bool qcow2_update_l1_refcounts(Qcow2State *s, const uint64_t *l1,
                               uint32_t l1_size, int delta, GError **errp);
bool qcow2_fix_copied_flags(Qcow2State *s, GError **errp);
bool qcow2_snapshot_create(EmuBlockNode *node, const char *name,
                           GError **errp);
bool qcow2_snapshot_apply(EmuBlockNode *node, const char *name,
                          GError **errp);
bool qcow2_snapshot_delete(EmuBlockNode *node, const char *name,
                           GError **errp);
GPtrArray *qcow2_snapshot_list(EmuBlockNode *node, GError **errp);
bool qcow2_read_l1_table(Qcow2State *s, uint64_t off, uint32_t size,
                         uint64_t **out, GError **errp);

/* qcow2-check.c */
bool qcow2_check(EmuBlockNode *node, EmuBlockCheckResult *res, unsigned fix,
                 GError **errp);
bool qcow2_check_locked(Qcow2State *s, EmuBlockCheckResult *res,
                        unsigned fix, GError **errp);

#endif
