/*
 * Block layer core: driver lookup through the object model, the node graph
 * (format over protocol, backing chains), format probing, the synchronous
 * request API with bounds checks, and chain-wide block status.
 *
 * Drivers are plugins registering a type with parent "block" whose
 * class_data is an EmuBlockDriver.  Nodes are plain structs owned by
 * whoever opened them; closing a format node closes its protocol node and
 * backing chain.
 */
#include "config.h"
#include <string.h>
#include <stdlib.h>
#include <limits.h>
#include <emu/block.h>
#include <emu/runtime.h>

#define PROBE_BYTES 2048
#define MAX_CHAIN_DEPTH 1024

struct EmuBlockNode {
    const EmuBlockDriver *drv;
    char *filename;
    unsigned flags;
    void *state;
    EmuBlockNode *file;         /* protocol under a format */
    EmuBlockNode *backing;
    char *backing_ref;
    char *backing_fmt;
    bool probed_raw;            /* raw by probing, not by -f */
};

const EmuBlockDriver *emu_block_driver_find(const char *name, GError **errp)
{
    GError *err = NULL;
    const EmuType *type = emu_type_find(name, &err);
    if (!type || !emu_type_is_a(type, "block")) {
        g_clear_error(&err);
        g_set_error(errp, EMU_ERROR, 0, "Unknown driver '%s'", name);
        return NULL;
    }
    const EmuBlockDriver *drv = emu_type_class_data(type);
    if (!drv || drv->size < offsetof(EmuBlockDriver, measure)) {
        g_set_error(errp, EMU_ERROR, 0,
                    "Block driver '%s' has no usable operations table", name);
        return NULL;
    }
    return drv;
}

char **emu_block_driver_names(GError **errp)
{
    if (!emu_plugins_load_kind("block", errp)) {
        return NULL;
    }
    GPtrArray *types = emu_type_list("block");
    GPtrArray *names = g_ptr_array_new();
    for (guint i = 0; types && i < types->len; i++) {
        const EmuType *t = g_ptr_array_index(types, i);
        g_ptr_array_add(names, g_strdup(emu_type_name(t)));
    }
    if (types) {
        g_ptr_array_unref(types);
    }
    g_ptr_array_add(names, NULL);
    return (char **)g_ptr_array_free(names, FALSE);
}

/* --- node accessors ---------------------------------------------------- */

void *emu_block_node_state(EmuBlockNode *node) { return node->state; }
EmuBlockNode *emu_block_node_file(EmuBlockNode *node) { return node->file; }
EmuBlockNode *emu_block_node_backing(EmuBlockNode *node)
{
    return node->backing;
}
const char *emu_block_node_filename(EmuBlockNode *node)
{
    return node->filename;
}
const EmuBlockDriver *emu_block_node_driver(EmuBlockNode *node)
{
    return node->drv;
}
unsigned emu_block_node_flags(EmuBlockNode *node) { return node->flags; }
const char *emu_block_node_backing_ref(EmuBlockNode *node)
{
    return node->backing_ref;
}
const char *emu_block_node_backing_fmt(EmuBlockNode *node)
{
    return node->backing_fmt;
}
const char *emu_block_format_name(EmuBlockNode *node)
{
    return node->drv->format_name;
}

void emu_block_node_set_backing_ref(EmuBlockNode *node, const char *backing,
                                    const char *backing_fmt)
{
    g_free(node->backing_ref);
    g_free(node->backing_fmt);
    node->backing_ref = backing && *backing ? g_strdup(backing) : NULL;
    node->backing_fmt = backing_fmt && *backing_fmt ? g_strdup(backing_fmt)
                                                     : NULL;
}

/* --- opening ----------------------------------------------------------- */

static EmuBlockNode *node_new(const EmuBlockDriver *drv, const char *filename,
                              unsigned flags)
{
    EmuBlockNode *node = g_new0(EmuBlockNode, 1);
    node->drv = drv;
    node->filename = g_strdup(filename);
    node->flags = flags;
    node->state = drv->state_size ? g_malloc0(drv->state_size) : NULL;
    return node;
}

static void node_free(EmuBlockNode *node)
{
    g_free(node->filename);
    g_free(node->state);
    g_free(node->backing_ref);
    g_free(node->backing_fmt);
    g_free(node);
}

static EmuBlockNode *open_protocol(const char *filename, unsigned flags,
                                   GError **errp)
{
    const EmuBlockDriver *drv = emu_block_driver_find("file", errp);
    if (!drv) {
        return NULL;
    }
    EmuBlockNode *node = node_new(drv, filename, flags);
    if (!drv->open(node, filename, flags, errp)) {
        node_free(node);
        return NULL;
    }
    return node;
}

static const char *probe_format(EmuBlockNode *file, GError **errp)
{
    uint8_t buf[PROBE_BYTES] = {0};
    uint64_t len = emu_block_length(file);
    size_t n = len < PROBE_BYTES ? (size_t)len : PROBE_BYTES;
    if (n && !emu_block_pread(file, 0, n, buf, errp)) {
        return NULL;
    }
    char **names = emu_block_driver_names(errp);
    if (!names) {
        return NULL;
    }
    const char *best = "raw";
    int best_score = 0;
    static char chosen[64];
    for (char **p = names; *p; p++) {
        const EmuBlockDriver *drv = emu_block_driver_find(*p, NULL);
        if (!drv || drv->is_protocol || !drv->probe) {
            continue;
        }
        int score = drv->probe(buf, n, file->filename);
        if (score > best_score) {
            best_score = score;
            g_strlcpy(chosen, drv->format_name, sizeof(chosen));
            best = chosen;
        }
    }
    g_strfreev(names);
    return best;
}

/* A relative backing name is relative to the image's directory, keeping
 * the image path's own spelling ("dir/img" + "b" = "dir/b"). */
static char *resolve_backing(const char *image, const char *ref)
{
    const char *slash = strrchr(image, '/');
    if (g_path_is_absolute(ref) || strstr(ref, "://") || !slash) {
        return g_strdup(ref);
    }
    return g_strdup_printf("%.*s%s", (int)(slash - image + 1), image, ref);
}

char *emu_block_resolve_backing(const char *image, const char *ref)
{
    return resolve_backing(image, ref);
}

static EmuBlockNode *open_chain(const char *filename, const char *fmt,
                                unsigned flags, const char *backing_override,
                                const char *backing_fmt_override,
                                GHashTable *seen, int depth, GError **errp);

static bool open_backing(EmuBlockNode *node, unsigned flags, GHashTable *seen,
                         int depth, GError **errp)
{
    if (!node->backing_ref || (flags & EMU_BLOCK_NO_BACKING)) {
        return true;
    }
    if (depth >= MAX_CHAIN_DEPTH) {
        g_set_error(errp, EMU_ERROR, 0,
                    "Backing chain of '%s' is deeper than %d images",
                    node->filename, MAX_CHAIN_DEPTH);
        return false;
    }
    char *path = resolve_backing(node->filename, node->backing_ref);
    GError *err = NULL;
    unsigned bflags = flags & ~(unsigned)(EMU_BLOCK_RDWR | EMU_BLOCK_CHECK);
    node->backing = open_chain(path, node->backing_fmt, bflags, NULL, NULL,
                               seen, depth + 1, &err);
    if (!node->backing) {
        g_set_error(errp, EMU_ERROR, 0,
                    "Could not open backing file '%s' of '%s': %s", path,
                    node->filename, err->message);
        g_error_free(err);
        g_free(path);
        return false;
    }
    g_free(path);
    return true;
}

static bool mark_seen(GHashTable *seen, const char *filename, GError **errp)
{
    char *real = realpath(filename, NULL);
    char *key = real ? g_strdup(real) : g_strdup(filename);
    free(real);
    if (g_hash_table_contains(seen, key)) {
        g_set_error(errp, EMU_ERROR, 0,
                    "Backing chain loops: '%s' is its own ancestor", filename);
        g_free(key);
        return false;
    }
    g_hash_table_add(seen, key);
    return true;
}

static EmuBlockNode *open_chain(const char *filename, const char *fmt,
                                unsigned flags, const char *backing_override,
                                const char *backing_fmt_override,
                                GHashTable *seen, int depth, GError **errp)
{
    if (!mark_seen(seen, filename, errp)) {
        return NULL;
    }
    EmuBlockNode *file = open_protocol(filename, flags, errp);
    if (!file) {
        return NULL;
    }
    if (fmt && !strcmp(fmt, "file")) {
        return file;
    }
    bool probed = false;
    if (!fmt) {
        fmt = probe_format(file, errp);
        if (!fmt) {
            emu_block_close(file);
            return NULL;
        }
        probed = true;
    }
    const EmuBlockDriver *drv = emu_block_driver_find(fmt, errp);
    if (!drv) {
        emu_block_close(file);
        return NULL;
    }
    if (drv->is_protocol) {
        emu_block_close(file);
        g_set_error(errp, EMU_ERROR, 0, "'%s' is not an image format", fmt);
        return NULL;
    }
    EmuBlockNode *node = node_new(drv, filename, flags);
    node->file = file;
    node->probed_raw = probed && !strcmp(fmt, "raw");
    if (!drv->open(node, filename, flags, errp)) {
        g_prefix_error(errp, "Could not open '%s': ", filename);
        emu_block_close(file);
        node_free(node);
        return NULL;
    }
    if (backing_override) {
        emu_block_node_set_backing_ref(node, backing_override,
                                       backing_fmt_override);
    }
    if (!open_backing(node, flags, seen, depth, errp)) {
        emu_block_close(node);
        return NULL;
    }
    return node;
}

EmuBlockNode *emu_block_open_with_backing(const char *filename,
        const char *fmt, unsigned flags, const char *backing,
        const char *backing_fmt, GError **errp)
{
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                             NULL);
    EmuBlockNode *node = open_chain(filename, fmt, flags, backing,
                                    backing_fmt, seen, 0, errp);
    g_hash_table_destroy(seen);
    return node;
}

EmuBlockNode *emu_block_open(const char *filename, const char *fmt,
                             unsigned flags, GError **errp)
{
    return emu_block_open_with_backing(filename, fmt, flags, NULL, NULL,
                                       errp);
}

void emu_block_close(EmuBlockNode *node)
{
    if (!node) {
        return;
    }
    if (node->drv->close) {
        node->drv->close(node);
    }
    emu_block_close(node->backing);
    emu_block_close(node->file);
    node_free(node);
}

bool emu_block_parse_cache(const char *mode, unsigned *flags, GError **errp)
{
    *flags &= ~(unsigned)(EMU_BLOCK_NOCACHE | EMU_BLOCK_WRITETHROUGH |
                          EMU_BLOCK_NO_FLUSH);
    if (!strcmp(mode, "none") || !strcmp(mode, "off")) {
        *flags |= EMU_BLOCK_NOCACHE;
    } else if (!strcmp(mode, "directsync")) {
        *flags |= EMU_BLOCK_NOCACHE | EMU_BLOCK_WRITETHROUGH;
    } else if (!strcmp(mode, "writethrough")) {
        *flags |= EMU_BLOCK_WRITETHROUGH;
    } else if (!strcmp(mode, "unsafe")) {
        *flags |= EMU_BLOCK_NO_FLUSH;
    } else if (strcmp(mode, "writeback")) {
        g_set_error(errp, EMU_ERROR, 0, "Invalid cache option: %s", mode);
        return false;
    }
    return true;
}

/* --- creation ---------------------------------------------------------- */

bool emu_block_create(const char *filename, const char *fmt, uint64_t size,
                      GHashTable *opts, GError **errp)
{
    const EmuBlockDriver *drv = emu_block_driver_find(fmt, errp);
    const EmuBlockDriver *proto = emu_block_driver_find("file", errp);
    if (!drv || !proto) {
        return false;
    }
    if (drv->is_protocol) {
        return drv->create_file(filename, size, opts, errp);
    }
    if (!drv->create) {
        g_set_error(errp, EMU_ERROR, 0,
                    "Format '%s' does not support image creation", fmt);
        return false;
    }
    if (!proto->create_file(filename, 0, NULL, errp)) {
        return false;
    }
    EmuBlockNode *file = open_protocol(filename, EMU_BLOCK_RDWR, errp);
    if (!file) {
        return false;
    }
    bool ok = drv->create(file, size, opts, errp);
    if (ok) {
        ok = emu_block_flush(file, errp);
    }
    emu_block_close(file);
    return ok;
}

/* --- requests ---------------------------------------------------------- */

uint64_t emu_block_length(EmuBlockNode *node)
{
    return node->drv->length(node);
}

static bool check_request(EmuBlockNode *node, uint64_t off, uint64_t len,
                          bool write, GError **errp)
{
    if (write && !(node->flags & EMU_BLOCK_RDWR)) {
        g_set_error(errp, EMU_ERROR, 0, "'%s' is opened read-only",
                    node->filename);
        return false;
    }
    if (!node->drv->is_protocol) {
        uint64_t size = emu_block_length(node);
        if (off > size || len > size - off) {
            g_set_error(errp, EMU_ERROR, 0,
                        "Request at %" G_GUINT64_FORMAT " of %"
                        G_GUINT64_FORMAT " bytes is beyond the end of '%s'",
                        off, len, node->filename);
            return false;
        }
    }
    return true;
}

bool emu_block_pread(EmuBlockNode *node, uint64_t off, size_t len, void *buf,
                     GError **errp)
{
    if (!len) {
        return true;
    }
    return check_request(node, off, len, false, errp) &&
           node->drv->pread(node, off, len, buf, errp);
}

/* A raw image whose format was guessed must not start to look like
 * another format: the next probe would then trust guest-written metadata. */
static bool writes_format_header(EmuBlockNode *node, uint64_t off,
                                 size_t len, const void *buf)
{
    if (!node->probed_raw || off != 0) {
        return false;
    }
    char **names = emu_block_driver_names(NULL);
    bool found = false;
    for (char **p = names; p && *p && !found; p++) {
        const EmuBlockDriver *drv = emu_block_driver_find(*p, NULL);
        found = drv && !drv->is_protocol && drv->probe &&
                strcmp(drv->format_name, "raw") &&
                drv->probe(buf, MIN(len, PROBE_BYTES), node->filename) > 1;
    }
    g_strfreev(names);
    return found;
}

bool emu_block_pwrite(EmuBlockNode *node, uint64_t off, size_t len,
                      const void *buf, unsigned flags, GError **errp)
{
    if (!len) {
        return true;
    }
    if (writes_format_header(node, off, len, buf)) {
        g_set_error(errp, EMU_ERROR, 0, "Refusing to write an image format "
                    "header into '%s', whose format was probed as raw (use "
                    "-f raw)", node->filename);
        return false;
    }
    if (!check_request(node, off, len, true, errp) ||
        !node->drv->pwrite(node, off, len, buf, flags, errp)) {
        return false;
    }
    if (node->flags & EMU_BLOCK_WRITETHROUGH) {
        return emu_block_flush(node, errp);
    }
    return true;
}

static bool write_zero_buffer(EmuBlockNode *node, uint64_t off, uint64_t len,
                              GError **errp)
{
    size_t chunk = 1 << 20;
    void *zero = g_malloc0(chunk);
    bool ok = true;
    while (ok && len) {
        size_t n = len < chunk ? (size_t)len : chunk;
        ok = node->drv->pwrite(node, off, n, zero, 0, errp);
        off += n;
        len -= n;
    }
    g_free(zero);
    return ok;
}

bool emu_block_pwrite_zeroes(EmuBlockNode *node, uint64_t off, uint64_t len,
                             unsigned flags, GError **errp)
{
    if (!len) {
        return true;
    }
    if (!check_request(node, off, len, true, errp)) {
        return false;
    }
    if (node->drv->pwrite_zeroes) {
        return node->drv->pwrite_zeroes(node, off, len, flags, errp);
    }
    return write_zero_buffer(node, off, len, errp);
}

bool emu_block_discard(EmuBlockNode *node, uint64_t off, uint64_t len,
                       GError **errp)
{
    if (!check_request(node, off, len, true, errp)) {
        return false;
    }
    return !node->drv->discard || node->drv->discard(node, off, len, errp);
}

bool emu_block_flush(EmuBlockNode *node, GError **errp)
{
    if (node->flags & EMU_BLOCK_NO_FLUSH) {
        return true;
    }
    return !node->drv->flush || node->drv->flush(node, errp);
}

bool emu_block_truncate(EmuBlockNode *node, uint64_t size, bool shrink,
                        EmuBlockPrealloc prealloc, GError **errp)
{
    if (!(node->flags & EMU_BLOCK_RDWR)) {
        g_set_error(errp, EMU_ERROR, 0, "'%s' is opened read-only",
                    node->filename);
        return false;
    }
    if (!node->drv->truncate) {
        g_set_error(errp, EMU_ERROR, 0,
                    "Image format '%s' does not support resizing",
                    node->drv->format_name);
        return false;
    }
    return node->drv->truncate(node, size, shrink, prealloc, errp);
}

int64_t emu_block_allocated_size(EmuBlockNode *node)
{
    if (node->drv->allocated_size) {
        return node->drv->allocated_size(node);
    }
    return node->file ? emu_block_allocated_size(node->file) : -1;
}

bool emu_block_read_backing(EmuBlockNode *node, uint64_t off, size_t len,
                            void *buf, GError **errp)
{
    EmuBlockNode *b = node->backing;
    uint64_t blen = b ? emu_block_length(b) : 0;
    size_t avail = 0;
    if (off < blen) {
        avail = blen - off < len ? (size_t)(blen - off) : len;
    }
    if (avail && !emu_block_pread(b, off, avail, buf, errp)) {
        return false;
    }
    memset((uint8_t *)buf + avail, 0, len - avail);
    return true;
}

bool emu_block_status(EmuBlockNode *node, uint64_t off, uint64_t len,
                      uint64_t *pnum, unsigned *status, uint64_t *map,
                      GError **errp)
{
    *map = 0;
    if (!node->drv->block_status) {
        *pnum = len;
        *status = EMU_BLOCK_STATUS_DATA | EMU_BLOCK_STATUS_ALLOCATED;
        return true;
    }
    if (!node->drv->block_status(node, off, len, pnum, status, map, errp)) {
        return false;
    }
    if (*pnum == 0 || *pnum > len) {
        *pnum = len;
    }
    return true;
}

bool emu_block_status_above(EmuBlockNode *node, uint64_t off, uint64_t len,
                            uint64_t *pnum, unsigned *status, uint64_t *map,
                            int *depth, GError **errp)
{
    int d = 0;
    for (EmuBlockNode *n = node; n; n = n->backing, d++) {
        uint64_t nlen = emu_block_length(n);
        if (off >= nlen) {
            /* Past the end of this layer: zeroes, defined by it. */
            *pnum = len;
            *status = EMU_BLOCK_STATUS_ZERO | EMU_BLOCK_STATUS_ALLOCATED;
            *map = 0;
            *depth = d;
            return true;
        }
        uint64_t l = MIN(len, nlen - off);
        if (!emu_block_status(n, off, l, pnum, status, map, errp)) {
            return false;
        }
        if (*status & EMU_BLOCK_STATUS_ALLOCATED) {
            *depth = d;
            return true;
        }
        len = *pnum;    /* the next layer may only refine this range */
    }
    *status = EMU_BLOCK_STATUS_ZERO;
    *depth = d - 1;     /* qemu-img reports the bottom layer */
    return true;
}

void emu_block_snapshot_list_free(GPtrArray *list)
{
    for (guint i = 0; list && i < list->len; i++) {
        EmuBlockSnapshot *s = g_ptr_array_index(list, i);
        g_free(s->id);
        g_free(s->name);
        g_free(s);
    }
    if (list) {
        g_ptr_array_free(list, TRUE);
    }
}

/* --- parsing helpers --------------------------------------------------- */

bool emu_block_parse_prealloc(const char *text, EmuBlockPrealloc *out,
                              GError **errp)
{
    static const char *const names[] = { "off", "metadata", "falloc",
                                         "full" };
    for (unsigned i = 0; i < G_N_ELEMENTS(names); i++) {
        if (!strcmp(text, names[i])) {
            *out = (EmuBlockPrealloc)i;
            return true;
        }
    }
    g_set_error(errp, EMU_ERROR, 0,
                "Invalid preallocation mode: '%s' (off, metadata, falloc, "
                "full)", text);
    return false;
}

static int suffix_shift(char c)
{
    switch (c) {
    case 'b': case 'B': return 0;
    case 'k': case 'K': return 10;
    case 'm': case 'M': return 20;
    case 'g': case 'G': return 30;
    case 't': case 'T': return 40;
    case 'p': case 'P': return 50;
    case 'e': case 'E': return 60;
    default: return -1;
    }
}

bool emu_block_parse_size(const char *text, uint64_t *out, GError **errp)
{
    char *end = NULL;
    if (!text || !*text || *text == '-' || g_ascii_isspace(*text)) {
        goto bad;
    }
    double v = g_ascii_strtod(text, &end);
    if (end == text || v < 0) {
        goto bad;
    }
    int shift = 0;
    if (*end) {
        shift = suffix_shift(*end);
        if (shift < 0 || end[1]) {
            goto bad;
        }
    }
    double bytes = v * (double)(1ull << shift);
    if (bytes >= 18446744073709551615.0) {
        g_set_error(errp, EMU_ERROR, 0, "Size '%s' is too large", text);
        return false;
    }
    *out = (uint64_t)bytes;
    return true;
bad:
    g_set_error(errp, EMU_ERROR, 0,
                "Invalid size '%s': expected a number with an optional "
                "k, M, G, T, P or E suffix", text ? text : "");
    return false;
}
