/*
 * qcow2 header: parsing and validating the header and its extensions,
 * rewriting it, feature bits (dirty, corrupt), and creating new images.
 * Every field read from the file is range-checked before it sizes an
 * allocation or a table, so a hostile image gives one clear error.
 */
#include <string.h>
#include <time.h>
#include "qcow2.h"

#define HEADER_PROBE 4096

static bool fail(GError **errp, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static bool fail(GError **errp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(errp, EMU_ERROR, 0, msg);
    g_free(msg);
    return false;
}

uint64_t qcow2_l1_needed(uint64_t size, uint32_t cluster_bits)
{
    uint32_t l2_bits = cluster_bits - 3;
    uint64_t per_l1 = 1ull << (cluster_bits + l2_bits);
    return size / per_l1 + (size % per_l1 != 0);
}

static const char *feature_name(uint8_t type, uint8_t bit)
{
    static const struct { uint8_t type, bit; const char *name; } names[] = {
        { 0, 0, "dirty bit" }, { 0, 1, "corrupt bit" },
        { 0, 2, "external data file" }, { 0, 3, "compression type" },
        { 0, 4, "extended L2 entries" }, { 1, 0, "lazy refcounts" },
        { 2, 0, "bitmaps" }, { 2, 1, "raw external data" },
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(names); i++) {
        if (names[i].type == type && names[i].bit == bit) {
            return names[i].name;
        }
    }
    return NULL;
}

static bool parse_extensions(Qcow2State *s, const uint8_t *hdr,
                             uint64_t end, GError **errp)
{
    uint64_t off = s->header_length;
    while (off + 8 <= end) {
        uint32_t type = emu_be32(hdr + off);
        uint32_t len = emu_be32(hdr + off + 4);
        off += 8;
        if (type == QCOW2_EXT_END) {
            return true;
        }
        if (len > end - off) {
            return fail(errp, "qcow2 header extension 0x%x of %u bytes runs "
                        "past the header cluster", type, len);
        }
        if (type == QCOW2_EXT_BACKING_FMT) {
            g_free(s->backing_fmt);
            s->backing_fmt = g_strndup((const char *)hdr + off, len);
        } else if (type != QCOW2_EXT_FEATURE_TABLE) {
            Qcow2Ext ext = { type, g_bytes_new(hdr + off, len) };
            g_array_append_val(s->unknown_exts, ext);
        }
        off += qcow2_align_up(len, 8);
    }
    return true;
}

static bool check_incompat(Qcow2State *s, GError **errp)
{
    uint64_t unknown = s->incompat & ~QCOW2_INCOMPAT_KNOWN;
    if (!unknown) {
        return true;
    }
    GString *msg = g_string_new("Unsupported qcow2 feature(s):");
    for (int bit = 0; bit < 64; bit++) {
        if (unknown & (1ull << bit)) {
            const char *n = feature_name(0, (uint8_t)bit);
            if (n) {
                g_string_append_printf(msg, " %s", n);
            } else {
                g_string_append_printf(msg, " Unknown incompatible feature: "
                                       "%d", bit);
            }
        }
    }
    g_set_error_literal(errp, EMU_ERROR, 0, msg->str);
    g_string_free(msg, TRUE);
    return false;
}

static bool parse_fixed_header(Qcow2State *s, const uint8_t *h,
                               uint64_t file_len, GError **errp)
{
    if (file_len < QCOW2_V2_HEADER_LEN || emu_be32(h) != QCOW2_MAGIC) {
        return fail(errp, "Image is not in qcow2 format");
    }
    s->version = emu_be32(h + 4);
    if (s->version != 2 && s->version != 3) {
        return fail(errp, "Unsupported qcow2 version %u", s->version);
    }
    s->cluster_bits = emu_be32(h + 20);
    if (s->cluster_bits < QCOW2_MIN_CLUSTER_BITS ||
        s->cluster_bits > QCOW2_MAX_CLUSTER_BITS) {
        return fail(errp, "Unsupported cluster size: 2^%u", s->cluster_bits);
    }
    s->cluster_size = 1ull << s->cluster_bits;
    s->l2_bits = s->cluster_bits - 3;
    s->size = emu_be64(h + 24);
    if (emu_be32(h + 32) != 0) {
        return fail(errp, "Encrypted qcow2 images are not supported");
    }
    s->l1_size = emu_be32(h + 36);
    s->l1_offset = emu_be64(h + 40);
    s->reftable_offset = emu_be64(h + 48);
    s->reftable_clusters = emu_be32(h + 56);
    s->nb_snapshots = emu_be32(h + 60);
    s->snapshots_offset = emu_be64(h + 64);
    if (s->version == 2) {
        s->header_length = QCOW2_V2_HEADER_LEN;
        s->refcount_order = 4;
        return true;
    }
    if (file_len < QCOW2_V3_HEADER_LEN) {
        return fail(errp, "qcow2 header is truncated");
    }
    s->incompat = emu_be64(h + 72);
    s->compat = emu_be64(h + 80);
    s->autoclear = emu_be64(h + 88);
    s->refcount_order = emu_be32(h + 96);
    s->header_length = emu_be32(h + 100);
    if (s->header_length < QCOW2_V3_HEADER_LEN ||
        s->header_length > s->cluster_size) {
        return fail(errp, "qcow2 header_length %u is invalid",
                    s->header_length);
    }
    if (s->header_length > QCOW2_V3_HEADER_LEN && h[104] != 0) {
        return fail(errp, "Unsupported qcow2 compression type %u", h[104]);
    }
    return true;
}

static bool check_table(Qcow2State *s, const char *what, uint64_t off,
                        uint64_t bytes, uint64_t max, GError **errp)
{
    if (bytes > max) {
        return fail(errp, "qcow2 %s is too large (%" G_GUINT64_FORMAT
                    " bytes)", what, bytes);
    }
    if (off % s->cluster_size) {
        return fail(errp, "qcow2 %s offset 0x%" G_GINT64_MODIFIER "x is not "
                    "cluster aligned", what, off);
    }
    if (off > (1ull << 56) || (bytes && off == 0)) {
        return fail(errp, "qcow2 %s offset 0x%" G_GINT64_MODIFIER "x is "
                    "invalid", what, off);
    }
    uint64_t flen = emu_block_length(s->file);
    if (bytes && off + bytes > qcow2_align_up(flen, s->cluster_size)) {
        return fail(errp, "qcow2 %s lies beyond the end of the file", what);
    }
    return true;
}

static bool validate_layout(Qcow2State *s, GError **errp)
{
    if (s->refcount_order > 6) {
        return fail(errp, "qcow2 refcount_order %u is invalid (max 6)",
                    s->refcount_order);
    }
    s->refcount_bits = 1u << s->refcount_order;
    s->refcount_max = s->refcount_bits == 64 ? UINT64_MAX
                      : (1ull << s->refcount_bits) - 1;
    s->refblock_bits = s->cluster_bits + 3 - s->refcount_order;
    if (s->size > (1ull << 62)) {
        return fail(errp, "qcow2 virtual size %" G_GUINT64_FORMAT
                    " is too large", s->size);
    }
    if (s->l1_size < qcow2_l1_needed(s->size, s->cluster_bits)) {
        return fail(errp, "qcow2 L1 table (%u entries) is too small for "
                    "the image size", s->l1_size);
    }
    if (!check_table(s, "L1 table", s->l1_offset, (uint64_t)s->l1_size * 8,
                     QCOW2_MAX_L1_BYTES, errp) ||
        !check_table(s, "refcount table", s->reftable_offset,
                     (uint64_t)s->reftable_clusters * s->cluster_size,
                     QCOW2_MAX_REFTABLE_BYTES, errp)) {
        return false;
    }
    if (s->reftable_clusters == 0) {
        return fail(errp, "qcow2 image has no refcount table");
    }
    if (s->nb_snapshots > QCOW2_MAX_SNAPSHOTS) {
        return fail(errp, "qcow2 image has too many snapshots (%u)",
                    s->nb_snapshots);
    }
    return true;
}

static bool read_backing_name(Qcow2State *s, const uint8_t *hdr,
                              GError **errp)
{
    uint64_t off = 0;
    uint32_t len = 0;
    off = emu_be64(hdr + 8);
    len = emu_be32(hdr + 16);
    if (!off) {
        return true;
    }
    if (len > QCOW2_MAX_BACKING_NAME || off > s->cluster_size ||
        len > s->cluster_size - off) {
        return fail(errp, "qcow2 backing file name is out of range");
    }
    s->backing_file = g_strndup((const char *)hdr + off, len);
    return true;
}

static bool read_tables(Qcow2State *s, GError **errp)
{
    s->l1 = g_new0(uint64_t, MAX(s->l1_size, 1));
    if (s->l1_size) {
        if (!qcow2_file_read(s, s->l1_offset, (size_t)s->l1_size * 8, s->l1,
                             errp)) {
            return false;
        }
        for (uint32_t i = 0; i < s->l1_size; i++) {
            s->l1[i] = emu_be64(&s->l1[i]);
        }
    }
    return qcow2_load_reftable(s, errp) && qcow2_read_snapshots(s, errp);
}

bool qcow2_read_header(Qcow2State *s, bool check_mode, GError **errp)
{
    uint8_t probe[HEADER_PROBE];
    uint64_t flen = emu_block_length(s->file);
    if (!qcow2_file_read(s, 0, sizeof(probe), probe, errp) ||
        !parse_fixed_header(s, probe, flen, errp)) {
        return false;
    }
    uint8_t *hdr = g_malloc0(s->cluster_size);
    s->unknown_exts = g_array_new(FALSE, TRUE, sizeof(Qcow2Ext));
    bool ok = qcow2_file_read(s, 0, s->cluster_size, hdr, errp);
    uint64_t ext_end = s->cluster_size;
    uint64_t boff = emu_be64(hdr + 8);
    if (boff && boff < ext_end) {
        ext_end = boff;
    }
    ok = ok && check_incompat(s, errp) && validate_layout(s, errp) &&
         read_backing_name(s, hdr, errp) &&
         (s->version == 2 || parse_extensions(s, hdr, ext_end, errp));
    g_free(hdr);
    if (ok && (s->incompat & QCOW2_INCOMPAT_CORRUPT) && s->writable &&
        !check_mode) {
        return fail(errp, "qcow2: Image is corrupt; cannot be opened "
                    "read/write");
    }
    return ok && read_tables(s, errp);
}

/* --- writing the header ---------------------------------------------- */

static void put_ext(GByteArray *b, uint32_t type, const void *data,
                    uint32_t len)
{
    uint8_t h[8];
    emu_st_be32(h, type);
    emu_st_be32(h + 4, len);
    g_byte_array_append(b, h, 8);
    g_byte_array_append(b, data, len);
    static const uint8_t pad[8];
    g_byte_array_append(b, pad, (guint)(qcow2_align_up(len, 8) - len));
}

static void put_feature_table(GByteArray *b)
{
    static const uint8_t entries[][2] = {
        {0, 0}, {0, 1}, {0, 2}, {0, 3}, {0, 4}, {1, 0}, {2, 0}, {2, 1},
    };
    uint8_t table[G_N_ELEMENTS(entries) * 48] = {0};
    for (unsigned i = 0; i < G_N_ELEMENTS(entries); i++) {
        table[i * 48] = entries[i][0];
        table[i * 48 + 1] = entries[i][1];
        g_strlcpy((char *)table + i * 48 + 2,
                  feature_name(entries[i][0], entries[i][1]), 46);
    }
    put_ext(b, QCOW2_EXT_FEATURE_TABLE, table, sizeof(table));
}

static GByteArray *build_header(Qcow2State *s, bool with_features)
{
    uint32_t hlen = s->version == 2 ? QCOW2_V2_HEADER_LEN
                    : MAX(s->header_length, QCOW2_V3_HEADER_LEN + 8);
    uint8_t *h = g_malloc0(hlen);
    emu_st_be32(h, QCOW2_MAGIC);
    emu_st_be32(h + 4, s->version);
    emu_st_be32(h + 20, s->cluster_bits);
    emu_st_be64(h + 24, s->size);
    emu_st_be32(h + 36, s->l1_size);
    emu_st_be64(h + 40, s->l1_offset);
    emu_st_be64(h + 48, s->reftable_offset);
    emu_st_be32(h + 56, s->reftable_clusters);
    emu_st_be32(h + 60, s->nb_snapshots);
    emu_st_be64(h + 64, s->snapshots_offset);
    if (s->version == 3) {
        emu_st_be64(h + 72, s->incompat);
        emu_st_be64(h + 80, s->compat);
        emu_st_be64(h + 88, s->autoclear);
        emu_st_be32(h + 96, s->refcount_order);
        emu_st_be32(h + 100, hlen);
    }
    GByteArray *b = g_byte_array_new_take(h, hlen);
    if (s->version == 3) {
        if (s->backing_fmt) {
            put_ext(b, QCOW2_EXT_BACKING_FMT, s->backing_fmt,
                    (uint32_t)strlen(s->backing_fmt));
        }
        if (with_features) {
            put_feature_table(b);
        }
        for (guint i = 0; s->unknown_exts && i < s->unknown_exts->len; i++) {
            Qcow2Ext *e = &g_array_index(s->unknown_exts, Qcow2Ext, i);
            gsize len;
            const void *d = g_bytes_get_data(e->data, &len);
            put_ext(b, e->type, d, (uint32_t)len);
        }
        put_ext(b, QCOW2_EXT_END, NULL, 0);
    }
    if (s->backing_file) {
        uint32_t len = (uint32_t)strlen(s->backing_file);
        emu_st_be64(b->data + 8, b->len);
        emu_st_be32(b->data + 16, len);
        g_byte_array_append(b, (const uint8_t *)s->backing_file, len);
    }
    return b;
}

bool qcow2_write_header(Qcow2State *s, GError **errp)
{
    GByteArray *b = build_header(s, true);
    if (b->len > s->cluster_size) {
        g_byte_array_unref(b);
        b = build_header(s, false);
    }
    if (b->len > s->cluster_size) {
        g_byte_array_unref(b);
        return fail(errp, "qcow2 header does not fit in one cluster "
                    "(backing file name too long?)");
    }
    /* Pad to the whole cluster so stale extensions cannot survive. */
    uint8_t *cluster = g_malloc0(s->cluster_size);
    memcpy(cluster, b->data, b->len);
    g_byte_array_unref(b);
    bool ok = qcow2_file_write(s, 0, s->cluster_size, cluster, errp);
    g_free(cluster);
    return ok;
}

bool qcow2_set_incompat(Qcow2State *s, uint64_t bits, bool on, GError **errp)
{
    if (s->version < 3) {
        return true;
    }
    uint64_t v = on ? s->incompat | bits : s->incompat & ~bits;
    if (v == s->incompat) {
        return true;
    }
    uint8_t field[8];
    emu_st_be64(field, v);
    if (!emu_block_flush(s->file, errp) ||
        !qcow2_file_write(s, 72, 8, field, errp) ||
        !emu_block_flush(s->file, errp)) {
        return false;
    }
    s->incompat = v;
    return true;
}

void qcow2_mark_corrupt(Qcow2State *s, const char *why)
{
    if (s->writable) {
        g_printerr("qcow2: Marking image as corrupt: %s; further corruption "
                   "events will be suppressed\n", why);
        (void)qcow2_set_incompat(s, QCOW2_INCOMPAT_CORRUPT, true, NULL);
    }
    s->writable = false;
}

void qcow2_free_state(Qcow2State *s)
{
    g_free(s->l1);
    g_free(s->reftable);
    g_free(s->refblock_cache);
    qcow2_free_snapshots(s);
    g_free(s->backing_file);
    g_free(s->backing_fmt);
    for (guint i = 0; s->unknown_exts && i < s->unknown_exts->len; i++) {
        g_bytes_unref(g_array_index(s->unknown_exts, Qcow2Ext, i).data);
    }
    if (s->unknown_exts) {
        g_array_free(s->unknown_exts, TRUE);
    }
    qcow2_l2_cache_drop(s);
}

/* --- creation -------------------------------------------------------- */

typedef struct CreateOpts {
    uint32_t version;
    uint64_t cluster_size;
    uint32_t refcount_bits;
    bool lazy;
    EmuBlockPrealloc prealloc;
    const char *backing, *backing_fmt;
} CreateOpts;

static bool opt_bool(const char *v, bool *out, const char *name,
                     GError **errp)
{
    if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes")) {
        *out = true;
    } else if (!strcmp(v, "off") || !strcmp(v, "false") ||
               !strcmp(v, "no")) {
        *out = false;
    } else {
        return fail(errp, "Parameter '%s' expects 'on' or 'off'", name);
    }
    return true;
}

static bool parse_compat(const char *v, uint32_t *version, GError **errp)
{
    if (!strcmp(v, "0.10") || !strcmp(v, "v2")) {
        *version = 2;
    } else if (!strcmp(v, "1.1") || !strcmp(v, "v3")) {
        *version = 3;
    } else {
        return fail(errp, "Invalid compatibility level: '%s'", v);
    }
    return true;
}

static bool parse_cluster_opts(GHashTable *o, CreateOpts *c, GError **errp)
{
    const char *v;
    if ((v = g_hash_table_lookup(o, "cluster_size"))) {
        if (!emu_block_parse_size(v, &c->cluster_size, errp)) {
            return false;
        }
        if (c->cluster_size < 512 || c->cluster_size > (2u << 20) ||
            (c->cluster_size & (c->cluster_size - 1))) {
            return fail(errp, "Cluster size must be a power of two between "
                        "512 and 2048k");
        }
    }
    if ((v = g_hash_table_lookup(o, "refcount_bits"))) {
        char *end;
        unsigned long bits = strtoul(v, &end, 10);
        if (*end || !bits || bits > 64 || (bits & (bits - 1))) {
            return fail(errp, "Refcount width must be a power of two and may "
                        "not exceed 64 bits");
        }
        c->refcount_bits = (uint32_t)bits;
    }
    return true;
}

static bool parse_create_opts(GHashTable *o, CreateOpts *c, GError **errp)
{
    *c = (CreateOpts){ .version = 3, .cluster_size = 65536,
                       .refcount_bits = 16 };
    if (!o) {
        return true;
    }
    const char *v;
    if ((v = g_hash_table_lookup(o, "compat")) &&
        !parse_compat(v, &c->version, errp)) {
        return false;
    }
    if (!parse_cluster_opts(o, c, errp)) {
        return false;
    }
    if ((v = g_hash_table_lookup(o, "lazy_refcounts")) &&
        !opt_bool(v, &c->lazy, "lazy_refcounts", errp)) {
        return false;
    }
    if ((v = g_hash_table_lookup(o, "preallocation")) &&
        !emu_block_parse_prealloc(v, &c->prealloc, errp)) {
        return false;
    }
    bool flag = false;
    if ((v = g_hash_table_lookup(o, "encryption")) &&
        (!opt_bool(v, &flag, "encryption", errp) || flag)) {
        return flag ? fail(errp, "Encryption is not supported") : false;
    }
    if ((v = g_hash_table_lookup(o, "extended_l2")) &&
        (!opt_bool(v, &flag, "extended_l2", errp) || flag)) {
        return flag ? fail(errp, "extended_l2 is not supported") : false;
    }
    if ((v = g_hash_table_lookup(o, "compression_type")) &&
        strcmp(v, "zlib")) {
        return fail(errp, "Unsupported compression type '%s'", v);
    }
    if (g_hash_table_lookup(o, "data_file")) {
        return fail(errp, "External data files are not supported");
    }
    c->backing = g_hash_table_lookup(o, "backing_file");
    c->backing_fmt = g_hash_table_lookup(o, "backing_fmt");
    if (c->version == 2 && c->refcount_bits != 16) {
        return fail(errp, "Different refcount widths than 16 bits require "
                    "compatibility level 1.1 or above (use compat=1.1 or "
                    "greater)");
    }
    if (c->version == 2 && c->lazy) {
        return fail(errp, "Lazy refcounts only supported with compatibility "
                    "level 1.1 and above (use compat=1.1 or greater)");
    }
    if (c->backing && c->prealloc != EMU_PREALLOC_OFF) {
        return fail(errp, "Backing file and preallocation can only be used "
                    "at the same time if extended_l2 is on");
    }
    return true;
}

/* Clusters for header + reftable + refblocks + L1, reftable and refblocks
 * sized to describe all of them. */
static void initial_layout(uint64_t cs, uint32_t rbits, uint64_t l1_clusters,
                           uint64_t *nb_ref, uint64_t *nb_rt)
{
    uint64_t per_block = cs * 8 / rbits;
    uint64_t b = 1, t = 1;
    for (int i = 0; i < 64; i++) {
        uint64_t total = 1 + t + b + l1_clusters;
        uint64_t nb = (total + per_block - 1) / per_block;
        uint64_t nt = (nb * 8 + cs - 1) / cs;
        if (nb == b && nt == t) {
            break;
        }
        b = nb;
        t = nt;
    }
    *nb_ref = b;
    *nb_rt = t;
}

static void set_refcount_in_block(uint8_t *block, uint64_t idx,
                                  uint32_t bits, uint64_t v)
{
    if (bits >= 8) {
        uint32_t bytes = bits / 8;
        uint8_t *p = block + idx * bytes;
        for (uint32_t i = 0; i < bytes; i++) {
            p[bytes - 1 - i] = (uint8_t)(v >> (8 * i));
        }
        return;
    }
    uint64_t bit = idx * bits;
    uint8_t mask = (uint8_t)(((1u << bits) - 1) << (bit % 8));
    block[bit / 8] = (uint8_t)((block[bit / 8] & ~mask) |
                               ((v << (bit % 8)) & mask));
}

static bool write_initial_metadata(EmuBlockNode *file, Qcow2State *s,
                                   uint64_t nb_ref, uint64_t nb_rt,
                                   uint64_t l1_clusters, GError **errp)
{
    uint64_t cs = s->cluster_size;
    uint64_t used = 1 + nb_rt + nb_ref + l1_clusters;
    uint64_t per_block = cs * 8 / s->refcount_bits;
    uint8_t *rt = g_malloc0(nb_rt * cs);
    uint8_t *rb = g_malloc0(cs);
    bool ok = true;
    for (uint64_t b = 0; ok && b < nb_ref; b++) {
        memset(rb, 0, cs);
        for (uint64_t i = 0; i < per_block; i++) {
            if (b * per_block + i < used) {
                set_refcount_in_block(rb, i, s->refcount_bits, 1);
            }
        }
        uint64_t off = (1 + nb_rt + b) * cs;
        emu_st_be64(rt + b * 8, off);
        ok = emu_block_pwrite(file, off, cs, rb, 0, errp);
    }
    ok = ok && emu_block_pwrite(file, cs, nb_rt * cs, rt, 0, errp);
    if (ok && l1_clusters) {
        uint8_t *z = g_malloc0(l1_clusters * cs);
        ok = emu_block_pwrite(file, s->l1_offset, l1_clusters * cs, z, 0,
                              errp);
        g_free(z);
    }
    g_free(rt);
    g_free(rb);
    return ok;
}

static bool preallocate_image(Qcow2State *s, EmuBlockPrealloc mode,
                              GError **errp);

bool qcow2_create_image(EmuBlockNode *file, uint64_t size, GHashTable *opts,
                        GError **errp)
{
    CreateOpts c;
    if (!parse_create_opts(opts, &c, errp)) {
        return false;
    }
    Qcow2State s = { 0 };
    s.file = file;
    s.writable = true;
    s.version = c.version;
    s.cluster_bits = (uint32_t)g_bit_nth_lsf(c.cluster_size, -1);
    s.cluster_size = c.cluster_size;
    s.l2_bits = s.cluster_bits - 3;
    s.size = size;
    s.refcount_order = (uint32_t)g_bit_nth_lsf(c.refcount_bits, -1);
    s.refcount_bits = c.refcount_bits;
    s.header_length = c.version == 3 ? QCOW2_V3_HEADER_LEN + 8
                                     : QCOW2_V2_HEADER_LEN;
    s.compat = c.lazy ? QCOW2_COMPAT_LAZY_REFCOUNTS : 0;
    if (size > (1ull << 62) ||
        qcow2_l1_needed(size, s.cluster_bits) * 8 > QCOW2_MAX_L1_BYTES) {
        return fail(errp, "Image size %" G_GUINT64_FORMAT " is too large for "
                    "cluster size %" G_GUINT64_FORMAT, size, c.cluster_size);
    }
    s.l1_size = (uint32_t)qcow2_l1_needed(size, s.cluster_bits);
    uint64_t l1_clusters = qcow2_align_up((uint64_t)s.l1_size * 8,
                                          c.cluster_size) / c.cluster_size;
    uint64_t nb_ref, nb_rt;
    initial_layout(c.cluster_size, c.refcount_bits, l1_clusters, &nb_ref,
                   &nb_rt);
    if (nb_rt * c.cluster_size > QCOW2_MAX_REFTABLE_BYTES) {
        return fail(errp, "Image metadata would be too large");
    }
    s.reftable_offset = c.cluster_size;
    s.reftable_clusters = (uint32_t)nb_rt;
    s.l1_offset = l1_clusters ? (1 + nb_rt + nb_ref) * c.cluster_size : 0;
    if (!l1_clusters) {
        s.l1_offset = (1 + nb_rt + nb_ref) * c.cluster_size;
    }
    s.backing_file = g_strdup(c.backing);
    s.backing_fmt = g_strdup(c.backing_fmt);
    bool ok = write_initial_metadata(file, &s, nb_ref, nb_rt, l1_clusters,
                                     errp) &&
              qcow2_write_header(&s, errp);
    g_free(s.backing_file);
    g_free(s.backing_fmt);
    if (!ok || c.prealloc == EMU_PREALLOC_OFF) {
        return ok;
    }
    Qcow2State *o = g_new0(Qcow2State, 1);
    o->file = file;
    o->writable = true;
    g_mutex_init(&o->lock);
    ok = qcow2_read_header(o, false, errp) &&
         preallocate_image(o, c.prealloc, errp);
    qcow2_free_state(o);
    g_mutex_clear(&o->lock);
    g_free(o);
    return ok;
}

/* Maps every guest cluster to a host cluster, fills the data clusters as
 * the mode asks (falloc: allocated extents, full: written zeroes), and
 * makes the file cover them all. */
static bool fill_data(Qcow2State *s, uint64_t host, uint64_t len,
                      EmuBlockPrealloc mode, GError **errp)
{
    if (mode == EMU_PREALLOC_FALLOC) {
        return emu_block_pwrite_zeroes(s->file, host, len, 0, errp);
    }
    if (mode != EMU_PREALLOC_FULL) {
        return true;
    }
    size_t chunk = 1 << 20;
    uint8_t *zero = g_malloc0(chunk);
    bool ok = true;
    for (uint64_t done = 0; ok && done < len; done += chunk) {
        ok = emu_block_pwrite(s->file, host + done,
                              (size_t)MIN(chunk, len - done), zero, 0, errp);
    }
    g_free(zero);
    return ok;
}

static bool preallocate_image(Qcow2State *s, EmuBlockPrealloc mode,
                              GError **errp)
{
    uint64_t cs = s->cluster_size;
    uint64_t nb_clusters = (s->size + cs - 1) / cs;
    uint64_t per_l2 = qcow2_l2_entries(s);
    uint64_t end = 0;
    for (uint64_t c = 0; c < nb_clusters; c += per_l2) {
        uint64_t n = MIN(per_l2, nb_clusters - c);
        uint64_t host;
        if (!qcow2_alloc_clusters(s, n, &host, errp) ||
            !fill_data(s, host, n * cs, mode, errp)) {
            return false;
        }
        end = MAX(end, host + n * cs);
        uint64_t *entries = g_new(uint64_t, n);
        for (uint64_t i = 0; i < n; i++) {
            entries[i] = (host + i * cs) | QCOW2_OFLAG_COPIED;
        }
        bool ok = qcow2_set_l2_entries(s, c * cs, entries, n, errp);
        g_free(entries);
        if (!ok) {
            return false;
        }
    }
    if (end <= emu_block_length(s->file)) {
        return true;
    }
    return emu_block_truncate(s->file, end, false, EMU_PREALLOC_OFF, errp);
}
