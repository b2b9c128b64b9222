/*
 * Block layer API: the contract between the block core (core/block/), the
 * block driver plugins (block-file, block-raw, block-qcow2, ...) and the
 * programs that use disk images (emu-img, devices, emu-nbd).
 *
 * A node is one open image layer: a protocol node (a file or host device)
 * or a format node (raw, qcow2) over a protocol node, optionally with a
 * backing node (chains of any depth).  Drivers register an EmuTypeInfo with
 * parent "block" and class_data pointing to a const EmuBlockDriver.
 *
 * Byte offsets and lengths everywhere.  The synchronous calls may be used
 * from any thread (drivers lock their own metadata); the asynchronous ones
 * run the synchronous call on a worker thread and deliver the completion in
 * the default GMainContext.
 *
 * Changelog: 1.0 first version.
 */
#ifndef EMU_BLOCK_H
#define EMU_BLOCK_H

#include <emu/plugin.h>
#include <emu/object.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct EmuBlockNode EmuBlockNode;

/* Open flags. */
enum {
    EMU_BLOCK_RDWR        = 1u << 0,
    EMU_BLOCK_NO_BACKING  = 1u << 1,  /* do not open the backing chain */
    EMU_BLOCK_NOCACHE     = 1u << 2,  /* O_DIRECT on the protocol */
    EMU_BLOCK_WRITETHROUGH = 1u << 3, /* flush after every write */
    EMU_BLOCK_NO_FLUSH    = 1u << 4,  /* cache=unsafe: ignore flushes */
    EMU_BLOCK_CHECK       = 1u << 5,  /* open for check: tolerate corrupt bit,
                                         do not repair on open */
};

/* Write flags. */
enum {
    EMU_BLOCK_WRITE_COMPRESSED = 1u << 0, /* whole cluster, compress it */
    EMU_BLOCK_WRITE_MAY_UNMAP  = 1u << 1, /* zeroes may deallocate */
};

/* Block status bits. */
enum {
    EMU_BLOCK_STATUS_DATA      = 1u << 0, /* reads come from a host offset */
    EMU_BLOCK_STATUS_ZERO      = 1u << 1, /* reads return zeroes */
    EMU_BLOCK_STATUS_ALLOCATED = 1u << 2, /* this layer defines the content */
    EMU_BLOCK_STATUS_OFFSET_VALID = 1u << 3, /* *map is the host offset */
    EMU_BLOCK_STATUS_COMPRESSED = 1u << 4,
};

typedef enum EmuBlockOptType {
    EMU_BLOCK_OPT_STRING, EMU_BLOCK_OPT_SIZE, EMU_BLOCK_OPT_BOOL,
    EMU_BLOCK_OPT_NUMBER,
} EmuBlockOptType;

/* One creation (-o) option of a driver, in the order emu-img create
 * prints them. */
typedef struct EmuBlockOptDesc {
    const char *name;
    EmuBlockOptType type;
    const char *help;
    const char *defval;         /* as text, NULL when none */
    bool show_default;          /* "Formatting ..." line shows the default */
} EmuBlockOptDesc;

typedef enum EmuBlockPrealloc {
    EMU_PREALLOC_OFF, EMU_PREALLOC_METADATA, EMU_PREALLOC_FALLOC,
    EMU_PREALLOC_FULL,
} EmuBlockPrealloc;

/* Result of a consistency check; fix is a mask of these. */
enum { EMU_CHECK_FIX_LEAKS = 1, EMU_CHECK_FIX_ERRORS = 2 };
typedef struct EmuBlockCheckResult {
    uint32_t size;
    int64_t corruptions, leaks, check_errors;
    int64_t corruptions_fixed, leaks_fixed;
    int64_t total_clusters, allocated_clusters;
    int64_t fragmented_clusters, compressed_clusters;
    uint64_t image_end_offset;
    bool has_cluster_info;
} EmuBlockCheckResult;

typedef struct EmuBlockSnapshot {
    char *id;
    char *name;
    uint64_t vm_state_size;
    uint32_t date_sec, date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t icount;            /* UINT64_MAX when absent */
} EmuBlockSnapshot;

/* Format-specific facts for `info`. */
typedef struct EmuBlockFormatInfo {
    uint32_t size;
    uint64_t cluster_size;      /* 0: not applicable */
    const char *compat;         /* "0.10", "1.1", NULL */
    const char *compression_type;
    bool lazy_refcounts, corrupt, extended_l2, dirty;
    uint32_t refcount_bits;
    bool has_format_specific;
} EmuBlockFormatInfo;

/* Size estimate (emu-img measure). */
typedef struct EmuBlockMeasure {
    uint64_t required, fully_allocated, bitmaps;
} EmuBlockMeasure;

typedef struct EmuBlockDriver {
    uint32_t size;              /* sizeof(EmuBlockDriver) as built */
    const char *format_name;    /* "qcow2", "raw", "file" */
    bool is_protocol;
    size_t state_size;          /* per-node private state, zeroed */
    const EmuBlockOptDesc *create_opts; /* terminated by { .name = NULL } */

    /* 0 = not this format, up to 100 = certain. */
    int (*probe)(const uint8_t *buf, size_t len, const char *filename);
    /* Formats create over an already created protocol file; opts holds
     * the -o options as text (name -> value), including "size". */
    bool (*create)(EmuBlockNode *file, uint64_t size, GHashTable *opts,
                   GError **errp);
    /* Protocols create the named file. */
    bool (*create_file)(const char *filename, uint64_t size,
                        GHashTable *opts, GError **errp);
    /* Protocols get filename; formats get the protocol node via
     * emu_block_node_file(). */
    bool (*open)(EmuBlockNode *node, const char *filename, unsigned flags,
                 GError **errp);
    void (*close)(EmuBlockNode *node);

    bool (*pread)(EmuBlockNode *node, uint64_t off, size_t len, void *buf,
                  GError **errp);
    bool (*pwrite)(EmuBlockNode *node, uint64_t off, size_t len,
                   const void *buf, unsigned flags, GError **errp);
    bool (*pwrite_zeroes)(EmuBlockNode *node, uint64_t off, uint64_t len,
                          unsigned flags, GError **errp);
    bool (*discard)(EmuBlockNode *node, uint64_t off, uint64_t len,
                    GError **errp);
    bool (*flush)(EmuBlockNode *node, GError **errp);
    bool (*truncate)(EmuBlockNode *node, uint64_t size, bool shrink,
                     EmuBlockPrealloc prealloc, GError **errp);
    uint64_t (*length)(EmuBlockNode *node);
    /* Host bytes used (info "disk size"); -1 unknown. */
    int64_t (*allocated_size)(EmuBlockNode *node);
    /* Status of [off, off+len): sets *pnum (> 0) bytes sharing *status;
     * *map the host offset when OFFSET_VALID. */
    bool (*block_status)(EmuBlockNode *node, uint64_t off, uint64_t len,
                         uint64_t *pnum, unsigned *status, uint64_t *map,
                         GError **errp);
    bool (*check)(EmuBlockNode *node, EmuBlockCheckResult *res, unsigned fix,
                  GError **errp);
    bool (*get_info)(EmuBlockNode *node, EmuBlockFormatInfo *info);

    bool (*snapshot_create)(EmuBlockNode *node, const char *name,
                            GError **errp);
    bool (*snapshot_apply)(EmuBlockNode *node, const char *name_or_id,
                           GError **errp);
    bool (*snapshot_delete)(EmuBlockNode *node, const char *name_or_id,
                            GError **errp);
    /* Returns a GPtrArray of EmuBlockSnapshot * (free with
     * emu_block_snapshot_list_free), NULL on error. */
    GPtrArray *(*snapshot_list)(EmuBlockNode *node, GError **errp);

    /* Rewrites the backing file reference (NULL: none). */
    bool (*set_backing)(EmuBlockNode *node, const char *backing,
                        const char *backing_fmt, GError **errp);
    /* Drops all allocations (commit without -d). */
    bool (*make_empty)(EmuBlockNode *node, GError **errp);
    bool (*amend)(EmuBlockNode *node, GHashTable *opts, GError **errp);
    /* src may be NULL (size only). */
    bool (*measure)(GHashTable *opts, uint64_t size, EmuBlockNode *src,
                    EmuBlockMeasure *out, GError **errp);
} EmuBlockDriver;

#define EMU_BLOCK_DRIVER_HEADER .size = sizeof(EmuBlockDriver)

/* --- Drivers ---------------------------------------------------------- */

/* Finds a driver by format name, loading its plugin.  NULL + error when
 * unknown. */
EMU_API const EmuBlockDriver *emu_block_driver_find(const char *name,
                                                    GError **errp);
/* Loads every block plugin; returns sorted format names (g_strfreev). */
EMU_API char **emu_block_driver_names(GError **errp);

/* --- Nodes: what drivers use ------------------------------------------ */

EMU_API void *emu_block_node_state(EmuBlockNode *node);
EMU_API EmuBlockNode *emu_block_node_file(EmuBlockNode *node);
EMU_API EmuBlockNode *emu_block_node_backing(EmuBlockNode *node);
EMU_API const char *emu_block_node_filename(EmuBlockNode *node);
EMU_API const EmuBlockDriver *emu_block_node_driver(EmuBlockNode *node);
EMU_API unsigned emu_block_node_flags(EmuBlockNode *node);
/* Drivers report the backing reference found in their metadata. */
EMU_API void emu_block_node_set_backing_ref(EmuBlockNode *node,
                                            const char *backing,
                                            const char *backing_fmt);
EMU_API const char *emu_block_node_backing_ref(EmuBlockNode *node);
EMU_API const char *emu_block_node_backing_fmt(EmuBlockNode *node);
/* The path a backing reference names, relative to the image (g_free). */
EMU_API char *emu_block_resolve_backing(const char *image, const char *ref);
/* Reads the backing chain (zeroes past its end or without backing). */
EMU_API bool emu_block_read_backing(EmuBlockNode *node, uint64_t off,
                                    size_t len, void *buf, GError **errp);

/* --- Nodes: what tools use -------------------------------------------- */

/* Opens filename; fmt NULL probes (raw unless a format recognises it). */
EMU_API EmuBlockNode *emu_block_open(const char *filename, const char *fmt,
                                     unsigned flags, GError **errp);
/* Opens with an explicit backing file instead of the image's own. */
EMU_API EmuBlockNode *emu_block_open_with_backing(const char *filename,
        const char *fmt, unsigned flags, const char *backing,
        const char *backing_fmt, GError **errp);
EMU_API void emu_block_close(EmuBlockNode *node);
/* Parses a cache mode (none, writeback, writethrough, directsync, unsafe)
 * into flags. */
EMU_API bool emu_block_parse_cache(const char *mode, unsigned *flags,
                                   GError **errp);

EMU_API bool emu_block_create(const char *filename, const char *fmt,
                              uint64_t size, GHashTable *opts, GError **errp);

EMU_API uint64_t emu_block_length(EmuBlockNode *node);
EMU_API const char *emu_block_format_name(EmuBlockNode *node);
EMU_API bool emu_block_pread(EmuBlockNode *node, uint64_t off, size_t len,
                             void *buf, GError **errp);
EMU_API bool emu_block_pwrite(EmuBlockNode *node, uint64_t off, size_t len,
                              const void *buf, unsigned flags, GError **errp);
EMU_API bool emu_block_pwrite_zeroes(EmuBlockNode *node, uint64_t off,
                                     uint64_t len, unsigned flags,
                                     GError **errp);
EMU_API bool emu_block_discard(EmuBlockNode *node, uint64_t off,
                               uint64_t len, GError **errp);
EMU_API bool emu_block_flush(EmuBlockNode *node, GError **errp);
EMU_API bool emu_block_truncate(EmuBlockNode *node, uint64_t size,
                                bool shrink, EmuBlockPrealloc prealloc,
                                GError **errp);
EMU_API int64_t emu_block_allocated_size(EmuBlockNode *node);
/* Status of one layer; a driver without block_status reports DATA. */
EMU_API bool emu_block_status(EmuBlockNode *node, uint64_t off, uint64_t len,
                              uint64_t *pnum, unsigned *status,
                              uint64_t *map, GError **errp);
/* Status through the chain: ALLOCATED set when any layer allocates;
 * *depth the layer that did (0 = top). */
EMU_API bool emu_block_status_above(EmuBlockNode *node, uint64_t off,
                                    uint64_t len, uint64_t *pnum,
                                    unsigned *status, uint64_t *map,
                                    int *depth, GError **errp);
EMU_API void emu_block_snapshot_list_free(GPtrArray *list);
EMU_API bool emu_block_parse_prealloc(const char *text,
                                      EmuBlockPrealloc *out, GError **errp);
/* Parses "10G", "512", "1.5M" into bytes. */
EMU_API bool emu_block_parse_size(const char *text, uint64_t *out,
                                  GError **errp);

/* Asynchronous requests: run on the block thread pool, cb runs in the
 * default GMainContext with the result (error owned by the callee). */
typedef void (*EmuBlockCompletion)(void *opaque, bool ok, GError *err);
EMU_API void emu_block_aio_pread(EmuBlockNode *node, uint64_t off,
                                 size_t len, void *buf,
                                 EmuBlockCompletion cb, void *opaque);
EMU_API void emu_block_aio_pwrite(EmuBlockNode *node, uint64_t off,
                                  size_t len, const void *buf,
                                  unsigned flags, EmuBlockCompletion cb,
                                  void *opaque);

/* Big-endian helpers for format drivers. */
static inline uint16_t emu_be16(const void *p)
{
    const uint8_t *b = p;
    return (uint16_t)(b[0] << 8 | b[1]);
}
static inline uint32_t emu_be32(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
           (uint32_t)b[2] << 8 | b[3];
}
static inline uint64_t emu_be64(const void *p)
{
    const uint8_t *b = p;
    return (uint64_t)emu_be32(b) << 32 | emu_be32(b + 4);
}
static inline void emu_st_be16(void *p, uint16_t v)
{
    uint8_t *b = p;
    b[0] = v >> 8; b[1] = (uint8_t)v;
}
static inline void emu_st_be32(void *p, uint32_t v)
{
    uint8_t *b = p;
    b[0] = v >> 24; b[1] = (uint8_t)(v >> 16); b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}
static inline void emu_st_be64(void *p, uint64_t v)
{
    emu_st_be32(p, (uint32_t)(v >> 32));
    emu_st_be32((uint8_t *)p + 4, (uint32_t)v);
}

#ifdef __cplusplus
}
#endif
#endif
