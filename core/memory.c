/*
 * The memory bus: regions, address spaces, flat views and dispatch.
 *
 * What it is for
 *   Devices describe what they decode as regions (RAM, ROM, MMIO/I/O-port
 *   callbacks, aliases, containers); machines compose them into address
 *   spaces; CPUs and DMA engines access an address space by address.
 *   The contract is plugin-api/emu/memory.h.
 *
 * How it works
 *   Regions form a tree of containers.  Every change to any tree bumps a
 *   global map generation; an address space whose flat view was built at
 *   an older generation rebuilds it on its next access.  A flat view is a
 *   sorted array of disjoint ranges {first, last, terminal region, offset
 *   in that region} found by binary search.  It is built by visiting
 *   subregions winners first (higher priority, then later added) and
 *   letting each one fill only the bytes nobody has claimed yet, so a
 *   container is transparent where it has no subregion: lower-priority
 *   siblings show through its gaps.  Aliases are resolved while building,
 *   so the view only names RAM, ROM and I/O regions.  Addresses are kept
 *   as inclusive [first, last] pairs so that the 2^64-byte system memory
 *   container needs no 65-bit arithmetic.
 *
 * Dispatch
 *   RAM and ROM are memcpy'd.  An I/O access of a size the region's ops
 *   do not accept is split (into halves, recursively, down to max_access
 *   pieces, combined per ops->big_endian) or widened (to an aligned
 *   min_access access, the wanted bytes extracted; a narrow write reads
 *   the wide word back, merges and writes it: read-modify-write).
 *   Misaligned I/O accesses are split the same way into aligned pieces.
 *   Sized accesses use little-endian values; an access straddling
 *   several flat ranges goes byte-range by byte-range, where I/O values
 *   map to bytes in the device's own byte order.  Unassigned bytes read
 *   as 0xff and drop writes (EMU_MEM_UNASSIGNED, logged under -d unimp);
 *   writes to ROM or read-only ranges are dropped (-d guest_errors),
 *   except through emu_as_load_rom().
 *
 * Ownership
 *   Regions are reference counted: new gives the caller one reference,
 *   a parent container holds one per subregion, an alias one on its
 *   target and an address space one on its root.  So the usual pattern
 *   is create, add_subregion, unref: the container then owns it, and
 *   del_subregion frees it.  emu_mr_size() reports the 2^64 system
 *   container as UINT64_MAX.
 *
 * Threads
 *   No locking inside: all calls (vCPU accesses, device callbacks, map
 *   changes) are made under the big emu lock.  Callbacks may change the
 *   map (the view is rebuilt lazily and dispatch copies what it needs),
 *   but must not free a region while it is being accessed.
 */
#include "emu-internal.h"
#include "memory-internal.h"
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

/* RAM at least this large is mmap'ed with MAP_NORESERVE: untouched pages
 * commit no memory. */
#define RAM_MMAP_THRESHOLD (1u << 20)
/* Deeper nesting than this can only be an alias loop. */
#define MAX_RENDER_DEPTH 64
/* With dirty tracking on, a write run handed out by emu_as_ram_ptr()
 * covers at most this many already-dirty pages. */
#define MAX_DIRTY_WRITE_RUN_PAGES 256
#define BITS_PER_WORD (sizeof(unsigned long) * 8)

typedef enum MrKind {
    MR_RAM, MR_ROM, MR_IO, MR_ALIAS, MR_CONTAINER,
} MrKind;

struct EmuMemoryRegion {
    MrKind kind;
    char *name;
    EmuObject *owner;
    unsigned refs;
    uint64_t size;
    bool whole_space;           /* 2^64 bytes; size unused */
    bool enabled;
    bool readonly;

    /* Placement in the parent container. */
    EmuMemoryRegion *parent;
    uint64_t offset;
    int priority;
    uint64_t seq;               /* when added: ties go to the later one */

    GPtrArray *children;        /* MR_CONTAINER: winners first */
    EmuMemoryRegion *target;    /* MR_ALIAS */
    uint64_t target_offset;
    EmuMemoryOps ops;           /* MR_IO, sizes normalized */
    void *opaque;
    uint8_t *host;              /* MR_RAM, MR_ROM backing store */
    bool host_mapped;           /* host came from mmap */
    unsigned dirty_clients;     /* bit per enabled dirty client */
    unsigned long *dirty[EMU_DIRTY_CLIENTS];
};

typedef struct FlatRange {
    uint64_t first, last;       /* absolute, inclusive */
    EmuMemoryRegion *mr;        /* MR_RAM, MR_ROM or MR_IO */
    uint64_t offset;            /* offset in mr of first */
    bool readonly;
} FlatRange;

struct EmuAddressSpace {
    char *name;
    EmuMemoryRegion *root;
    GArray *view;               /* of FlatRange, sorted */
    uint64_t view_generation;   /* 0: never built */
};

typedef enum AccessKind {
    ACCESS_READ,
    ACCESS_WRITE,
    ACCESS_LOAD,                /* a write that may change ROM */
} AccessKind;

static uint64_t map_generation = 1;
static uint64_t dirty_generation = 1;
static uint64_t add_sequence;
static EmuAddressSpace *system_memory;
static EmuAddressSpace *system_io;

static void map_changed(void)
{
    map_generation++;
}

uint64_t emu_memory_map_generation(void)
{
    return map_generation;
}

uint64_t emu_memory_dirty_generation(void)
{
    return dirty_generation;
}

/* ---- Little helpers ---------------------------------------------------- */

static bool valid_access_size(unsigned size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (UINT64_C(1) << (size * 8)) - 1;
}

static uint64_t load_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;

    memcpy(&v, p, size);
    return GUINT64_FROM_LE(v);
}

static void store_le(uint8_t *p, uint64_t val, unsigned size)
{
    uint64_t v = GUINT64_TO_LE(val);

    memcpy(p, &v, size);
}

/* An I/O value's bytes in the device's byte order. */
static uint64_t load_device(const uint8_t *p, unsigned size, bool big)
{
    uint64_t v = 0;

    if (!big) {
        return load_le(p, size);
    }
    for (unsigned i = 0; i < size; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

static void store_device(uint8_t *p, uint64_t val, unsigned size, bool big)
{
    if (!big) {
        store_le(p, val, size);
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        p[size - 1 - i] = val >> (8 * i);
    }
}

static bool is_ram_backed(const EmuMemoryRegion *mr)
{
    return mr->kind == MR_RAM || mr->kind == MR_ROM;
}

/* The region's last offset; false for an empty region. */
static bool mr_last(const EmuMemoryRegion *mr, uint64_t *last)
{
    if (mr->whole_space) {
        *last = UINT64_MAX;
        return true;
    }
    if (mr->size == 0) {
        return false;
    }
    *last = mr->size - 1;
    return true;
}

static const char *kind_name(MrKind kind)
{
    static const char *const names[] = {
        [MR_RAM] = "ram", [MR_ROM] = "rom", [MR_IO] = "io",
        [MR_ALIAS] = "alias", [MR_CONTAINER] = "container",
    };
    return names[kind];
}

/* ---- Regions ----------------------------------------------------------- */

static EmuMemoryRegion *mr_new(MrKind kind, EmuObject *owner,
                               const char *name, uint64_t size)
{
    EmuMemoryRegion *mr = g_new0(EmuMemoryRegion, 1);

    mr->kind = kind;
    mr->owner = owner;
    mr->name = g_strdup(name ? name : "(anonymous)");
    mr->size = size;
    mr->refs = 1;
    mr->enabled = true;
    return mr;
}

static bool ram_alloc(EmuMemoryRegion *mr, GError **errp)
{
    uint64_t size = mr->size;

    if (size == 0) {
        return true;
    }
    if (size > SIZE_MAX) {
        g_set_error(errp, EMU_ERROR, 0,
                    "memory region '%s': %" PRIu64 " bytes do not fit in "
                    "the host address space", mr->name, size);
        return false;
    }
    if (size >= RAM_MMAP_THRESHOLD) {
        void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) {
            g_set_error(errp, EMU_ERROR, 0,
                        "memory region '%s': cannot allocate %" PRIu64
                        " bytes: %s", mr->name, size, g_strerror(errno));
            return false;
        }
        mr->host = p;
        mr->host_mapped = true;
        return true;
    }
    mr->host = g_try_malloc0(size);
    if (!mr->host) {
        g_set_error(errp, EMU_ERROR, 0,
                    "memory region '%s': cannot allocate %" PRIu64 " bytes",
                    mr->name, size);
        return false;
    }
    return true;
}

static void ram_free(EmuMemoryRegion *mr)
{
    if (mr->host_mapped) {
        munmap(mr->host, mr->size);
    } else {
        g_free(mr->host);
    }
    mr->host = NULL;
    for (unsigned c = 0; c < EMU_DIRTY_CLIENTS; c++) {
        g_free(mr->dirty[c]);
        mr->dirty[c] = NULL;
    }
}

static EmuMemoryRegion *new_ram_backed(MrKind kind, EmuObject *owner,
                                       const char *name, uint64_t size,
                                       GError **errp)
{
    EmuMemoryRegion *mr = mr_new(kind, owner, name, size);

    if (!ram_alloc(mr, errp)) {
        g_free(mr->name);
        g_free(mr);
        return NULL;
    }
    return mr;
}

EmuMemoryRegion *emu_mr_new_ram(EmuObject *owner, const char *name,
                                uint64_t size, GError **errp)
{
    return new_ram_backed(MR_RAM, owner, name, size, errp);
}

EmuMemoryRegion *emu_mr_new_rom(EmuObject *owner, const char *name,
                                uint64_t size, GError **errp)
{
    return new_ram_backed(MR_ROM, owner, name, size, errp);
}

/* Copies ops as the caller built them (older, shorter structs leave the
 * newer fields zero) and fills in the default access sizes. */
static bool copy_ops(EmuMemoryOps *dst, const EmuMemoryOps *src)
{
    size_t n = MIN((size_t)src->size, sizeof(*dst));

    memset(dst, 0, sizeof(*dst));
    memcpy(dst, src, n);
    dst->size = sizeof(*dst);
    if (!dst->min_access) {
        dst->min_access = 1;
    }
    if (!dst->max_access) {
        dst->max_access = MAX(4u, dst->min_access);
    }
    return valid_access_size(dst->min_access) &&
           valid_access_size(dst->max_access) &&
           dst->min_access <= dst->max_access;
}

EmuMemoryRegion *emu_mr_new_io(EmuObject *owner, const char *name,
                               uint64_t size, const EmuMemoryOps *ops,
                               void *opaque)
{
    EmuMemoryOps copy;

    g_return_val_if_fail(ops != NULL, NULL);
    g_return_val_if_fail(ops->size >= offsetof(EmuMemoryOps, min_access),
                         NULL);
    if (!copy_ops(&copy, ops)) {
        g_critical("memory region '%s': bad access sizes %u..%u",
                   name ? name : "(anonymous)", ops->min_access,
                   ops->max_access);
        return NULL;
    }
    EmuMemoryRegion *mr = mr_new(MR_IO, owner, name, size);
    mr->ops = copy;
    mr->opaque = opaque;
    return mr;
}

EmuMemoryRegion *emu_mr_new_alias(EmuObject *owner, const char *name,
                                  EmuMemoryRegion *target, uint64_t offset,
                                  uint64_t size)
{
    g_return_val_if_fail(target != NULL, NULL);

    EmuMemoryRegion *mr = mr_new(MR_ALIAS, owner, name, size);
    mr->target = target;
    mr->target_offset = offset;
    target->refs++;
    return mr;
}

EmuMemoryRegion *emu_mr_new_container(EmuObject *owner, const char *name,
                                      uint64_t size)
{
    EmuMemoryRegion *mr = mr_new(MR_CONTAINER, owner, name, size);

    mr->children = g_ptr_array_new();
    return mr;
}

static void mr_free(EmuMemoryRegion *mr)
{
    if (mr->children) {
        for (guint i = 0; i < mr->children->len; i++) {
            EmuMemoryRegion *child = g_ptr_array_index(mr->children, i);
            child->parent = NULL;
            emu_mr_unref(child);
        }
        g_ptr_array_free(mr->children, true);
    }
    if (mr->target) {
        emu_mr_unref(mr->target);
    }
    if (is_ram_backed(mr)) {
        ram_free(mr);
    }
    g_free(mr->name);
    g_free(mr);
    map_changed();
}

void emu_mr_unref(EmuMemoryRegion *mr)
{
    if (!mr) {
        return;
    }
    g_return_if_fail(mr->refs > 0);
    if (--mr->refs == 0) {
        if (mr->parent) {
            g_critical("memory region '%s' freed while mapped", mr->name);
        }
        mr_free(mr);
    }
}

/* True if a should be rendered before b (it wins where they overlap). */
static bool wins_over(const EmuMemoryRegion *a, const EmuMemoryRegion *b)
{
    if (a->priority != b->priority) {
        return a->priority > b->priority;
    }
    return a->seq > b->seq;
}

void emu_mr_add_subregion(EmuMemoryRegion *parent, uint64_t offset,
                          EmuMemoryRegion *child, int priority)
{
    guint pos = 0;

    g_return_if_fail(parent && child && parent != child);
    g_return_if_fail(parent->kind == MR_CONTAINER);
    g_return_if_fail(child->parent == NULL);

    child->parent = parent;
    child->offset = offset;
    child->priority = priority;
    child->seq = ++add_sequence;
    child->refs++;
    while (pos < parent->children->len &&
           wins_over(g_ptr_array_index(parent->children, pos), child)) {
        pos++;
    }
    g_ptr_array_insert(parent->children, pos, child);
    map_changed();
}

void emu_mr_del_subregion(EmuMemoryRegion *parent, EmuMemoryRegion *child)
{
    g_return_if_fail(parent && child && child->parent == parent);

    g_ptr_array_remove(parent->children, child);
    child->parent = NULL;
    map_changed();
    emu_mr_unref(child);
}

void emu_mr_set_enabled(EmuMemoryRegion *mr, bool enabled)
{
    g_return_if_fail(mr != NULL);
    if (mr->enabled != enabled) {
        mr->enabled = enabled;
        map_changed();
    }
}

void emu_mr_set_address(EmuMemoryRegion *mr, uint64_t offset)
{
    g_return_if_fail(mr != NULL);
    if (mr->offset != offset) {
        mr->offset = offset;
        map_changed();
    }
}

void emu_mr_set_readonly(EmuMemoryRegion *mr, bool readonly)
{
    g_return_if_fail(mr != NULL);
    if (mr->readonly != readonly) {
        mr->readonly = readonly;
        map_changed();
    }
}

uint64_t emu_mr_size(const EmuMemoryRegion *mr)
{
    g_return_val_if_fail(mr != NULL, 0);
    return mr->whole_space ? UINT64_MAX : mr->size;
}

const char *emu_mr_name(const EmuMemoryRegion *mr)
{
    g_return_val_if_fail(mr != NULL, NULL);
    return mr->name;
}

uint8_t *emu_mr_ram_ptr(EmuMemoryRegion *mr)
{
    g_return_val_if_fail(mr != NULL, NULL);
    return is_ram_backed(mr) ? mr->host : NULL;
}

/* ---- Dirty bitmaps ----------------------------------------------------- */

static uint64_t page_count(const EmuMemoryRegion *mr)
{
    return (mr->size + EMU_PAGE_SIZE - 1) >> EMU_PAGE_BITS;
}

static bool test_bit(const unsigned long *map, uint64_t bit)
{
    return (map[bit / BITS_PER_WORD] >> (bit % BITS_PER_WORD)) & 1;
}

static void set_bit(unsigned long *map, uint64_t bit)
{
    map[bit / BITS_PER_WORD] |= 1ul << (bit % BITS_PER_WORD);
}

static void clear_bit(unsigned long *map, uint64_t bit)
{
    map[bit / BITS_PER_WORD] &= ~(1ul << (bit % BITS_PER_WORD));
}

/* Clips [*addr, *addr + *len) to the region; false if nothing is left. */
static bool clip_to_region(const EmuMemoryRegion *mr, uint64_t *addr,
                           uint64_t *len)
{
    if (*len == 0 || *addr >= mr->size) {
        return false;
    }
    *len = MIN(*len, mr->size - *addr);
    return true;
}

void emu_mr_dirty_enable(EmuMemoryRegion *mr, unsigned client, bool enable)
{
    g_return_if_fail(mr && is_ram_backed(mr));
    g_return_if_fail(client < EMU_DIRTY_CLIENTS);

    if (enable && !mr->dirty[client]) {
        uint64_t words = (page_count(mr) + BITS_PER_WORD - 1) / BITS_PER_WORD;
        mr->dirty[client] = g_new0(unsigned long, MAX(words, 1));
        mr->dirty_clients |= 1u << client;
    } else if (!enable && mr->dirty[client]) {
        g_free(mr->dirty[client]);
        mr->dirty[client] = NULL;
        mr->dirty_clients &= ~(1u << client);
    }
}

/* Marks the pages of [addr, addr + len) (already clipped) for every
 * enabled client. */
static void dirty_mark(EmuMemoryRegion *mr, uint64_t addr, uint64_t len)
{
    if (!mr->dirty_clients || len == 0) {
        return;
    }
    uint64_t first = addr >> EMU_PAGE_BITS;
    uint64_t last = (addr + len - 1) >> EMU_PAGE_BITS;
    for (unsigned c = 0; c < EMU_DIRTY_CLIENTS; c++) {
        if (!mr->dirty[c]) {
            continue;
        }
        for (uint64_t page = first; page <= last; page++) {
            set_bit(mr->dirty[c], page);
        }
    }
}

void emu_mr_set_dirty(EmuMemoryRegion *mr, uint64_t addr, uint64_t len)
{
    g_return_if_fail(mr && is_ram_backed(mr));
    if (clip_to_region(mr, &addr, &len)) {
        dirty_mark(mr, addr, len);
    }
}

bool emu_mr_test_and_clear_dirty(EmuMemoryRegion *mr, uint64_t addr,
                                 uint64_t len, unsigned client)
{
    bool dirty = false;

    g_return_val_if_fail(mr && is_ram_backed(mr), false);
    g_return_val_if_fail(client < EMU_DIRTY_CLIENTS, false);
    if (!mr->dirty[client] || !clip_to_region(mr, &addr, &len)) {
        return false;
    }
    uint64_t last = (addr + len - 1) >> EMU_PAGE_BITS;
    for (uint64_t page = addr >> EMU_PAGE_BITS; page <= last; page++) {
        if (test_bit(mr->dirty[client], page)) {
            clear_bit(mr->dirty[client], page);
            dirty = true;
        }
    }
    if (dirty) {
        dirty_generation++;
    }
    return dirty;
}

/* True if the page is dirty for every enabled client. */
static bool page_dirty_for_all(const EmuMemoryRegion *mr, uint64_t page)
{
    for (unsigned c = 0; c < EMU_DIRTY_CLIENTS; c++) {
        if (mr->dirty[c] && !test_bit(mr->dirty[c], page)) {
            return false;
        }
    }
    return true;
}

/* How many bytes from offset off may be written directly without losing
 * dirty information (at most len). */
static uint64_t writable_run(const EmuMemoryRegion *mr, uint64_t off,
                             uint64_t len)
{
    if (!mr->dirty_clients) {
        return len;
    }
    uint64_t page = off >> EMU_PAGE_BITS;
    uint64_t run = 0;
    for (unsigned n = 0; n < MAX_DIRTY_WRITE_RUN_PAGES && run < len; n++) {
        if (!page_dirty_for_all(mr, page + n)) {
            break;
        }
        run = ((page + n + 1) << EMU_PAGE_BITS) - off;
    }
    return MIN(run, len);
}

/* ---- Flat views -------------------------------------------------------- */

/* Index of the first range whose last address is >= addr. */
static guint view_lower_bound(GArray *view, uint64_t addr)
{
    guint lo = 0, hi = view->len;

    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (g_array_index(view, FlatRange, mid).last < addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* Gives the bytes of [first, last] that no range covers yet to mr,
 * whose offset moff lies at first. */
static void view_fill_gaps(GArray *view, uint64_t first, uint64_t last,
                           EmuMemoryRegion *mr, uint64_t moff, bool ro)
{
    guint i = view_lower_bound(view, first);
    uint64_t pos = first;

    for (;;) {
        const FlatRange *next = i < view->len ?
            &g_array_index(view, FlatRange, i) : NULL;
        if (next && next->first <= pos) {
            if (next->last >= last) {
                return;
            }
            pos = next->last + 1;
            i++;
            continue;
        }
        uint64_t gap_last = (next && next->first <= last) ?
            next->first - 1 : last;
        FlatRange fr = {
            .first = pos, .last = gap_last, .mr = mr,
            .offset = moff + (pos - first), .readonly = ro,
        };
        g_array_insert_val(view, i, fr);
        i++;
        if (gap_last == last) {
            return;
        }
        pos = gap_last + 1;
    }
}

static void render(GArray *view, EmuMemoryRegion *mr, uint64_t lo,
                   uint64_t hi, uint64_t addr, bool ro, int depth);

static void render_alias(GArray *view, EmuMemoryRegion *mr, uint64_t lo,
                         uint64_t hi, uint64_t addr, bool ro, int depth)
{
    uint64_t t = mr->target_offset;

    if (lo > UINT64_MAX - t) {
        return;
    }
    hi = MIN(hi, UINT64_MAX - t);
    render(view, mr->target, lo + t, hi + t, addr, ro, depth + 1);
}

static void render_container(GArray *view, EmuMemoryRegion *mr, uint64_t lo,
                             uint64_t hi, uint64_t addr, bool ro, int depth)
{
    for (guint i = 0; i < mr->children->len; i++) {
        EmuMemoryRegion *child = g_ptr_array_index(mr->children, i);
        uint64_t child_last;
        if (!mr_last(child, &child_last)) {
            continue;
        }
        uint64_t cfirst = child->offset;
        uint64_t clast = child_last > UINT64_MAX - cfirst ?
            UINT64_MAX : cfirst + child_last;
        uint64_t a = MAX(lo, cfirst), b = MIN(hi, clast);
        if (a <= b) {
            render(view, child, a - cfirst, b - cfirst, addr + (a - lo), ro,
                   depth + 1);
        }
    }
}

/* Renders offsets [lo, hi] of mr, offset lo landing at address addr. */
static void render(GArray *view, EmuMemoryRegion *mr, uint64_t lo,
                   uint64_t hi, uint64_t addr, bool ro, int depth)
{
    uint64_t last;

    if (depth > MAX_RENDER_DEPTH) {
        g_critical("memory region '%s': nesting too deep (alias loop?)",
                   mr->name);
        return;
    }
    if (!mr->enabled || !mr_last(mr, &last) || lo > last) {
        return;
    }
    hi = MIN(hi, last);
    ro = ro || mr->readonly;
    switch (mr->kind) {
    case MR_ALIAS:
        render_alias(view, mr, lo, hi, addr, ro, depth);
        break;
    case MR_CONTAINER:
        render_container(view, mr, lo, hi, addr, ro, depth);
        break;
    default:
        view_fill_gaps(view, addr, addr + (hi - lo), mr, lo, ro);
        break;
    }
}

static bool ranges_join(const FlatRange *a, const FlatRange *b)
{
    return a->mr == b->mr && a->readonly == b->readonly &&
           a->last + 1 == b->first &&
           a->offset + (a->last - a->first) + 1 == b->offset;
}

/* Joins neighbours that continue the same region (an alias next to its
 * target, say), so RAM runs are as long as they really are. */
static void view_merge(GArray *view)
{
    guint out = 0;

    for (guint i = 0; i < view->len; i++) {
        FlatRange *cur = &g_array_index(view, FlatRange, i);
        FlatRange *prev = out ? &g_array_index(view, FlatRange, out - 1) : NULL;
        if (prev && ranges_join(prev, cur)) {
            prev->last = cur->last;
        } else {
            g_array_index(view, FlatRange, out++) = *cur;
        }
    }
    g_array_set_size(view, out);
}

static void view_update(EmuAddressSpace *as)
{
    if (as->view_generation == map_generation) {
        return;
    }
    g_array_set_size(as->view, 0);
    render(as->view, as->root, 0, UINT64_MAX, 0, false, 0);
    view_merge(as->view);
    as->view_generation = map_generation;
}

/* Copies the range holding addr into *fr, or returns false and sets
 * *gap_last to the last address of the unassigned gap at addr. */
static bool view_lookup(EmuAddressSpace *as, uint64_t addr, FlatRange *fr,
                        uint64_t *gap_last)
{
    view_update(as);
    guint i = view_lower_bound(as->view, addr);
    if (i < as->view->len) {
        const FlatRange *r = &g_array_index(as->view, FlatRange, i);
        if (r->first <= addr) {
            *fr = *r;
            return true;
        }
        *gap_last = r->first - 1;
        return false;
    }
    *gap_last = UINT64_MAX;
    return false;
}

/* ---- I/O dispatch ------------------------------------------------------ */

static uint64_t io_read(EmuMemoryRegion *mr, uint64_t off, unsigned size);
static void io_write(EmuMemoryRegion *mr, uint64_t off, uint64_t val,
                     unsigned size);

static uint64_t io_call_read(EmuMemoryRegion *mr, uint64_t off, unsigned size)
{
    if (!mr->ops.read) {
        emu_log_mask_printf(EMU_LOG_GUEST_ERRORS,
                            "%s: read of write-only register 0x%" PRIx64
                            "\n", mr->name, off);
        return size_mask(size);
    }
    return mr->ops.read(mr->opaque, off, size) & size_mask(size);
}

static void io_call_write(EmuMemoryRegion *mr, uint64_t off, uint64_t val,
                          unsigned size)
{
    if (!mr->ops.write) {
        emu_log_mask_printf(EMU_LOG_GUEST_ERRORS,
                            "%s: write to read-only register 0x%" PRIx64
                            "\n", mr->name, off);
        return;
    }
    mr->ops.write(mr->opaque, off, val & size_mask(size), size);
}

static bool io_needs_split(const EmuMemoryRegion *mr, uint64_t off,
                           unsigned size)
{
    return size > mr->ops.max_access || (off & (size - 1)) != 0;
}

/* Where a narrow access of size bytes at off sits inside the aligned
 * wide word at base, as a bit shift. */
static unsigned narrow_shift(const EmuMemoryRegion *mr, uint64_t off,
                             uint64_t base, unsigned size, unsigned wide)
{
    unsigned pos = off - base;

    return 8 * (mr->ops.big_endian ? wide - size - pos : pos);
}

static uint64_t io_read_split(EmuMemoryRegion *mr, uint64_t off,
                              unsigned size)
{
    unsigned half = size / 2;
    uint64_t first = io_read(mr, off, half);
    uint64_t second = io_read(mr, off + half, half);

    if (mr->ops.big_endian) {
        return (first << (8 * half)) | second;
    }
    return first | (second << (8 * half));
}

static uint64_t io_read(EmuMemoryRegion *mr, uint64_t off, unsigned size)
{
    if (io_needs_split(mr, off, size)) {
        return io_read_split(mr, off, size);
    }
    if (size < mr->ops.min_access) {
        unsigned wide = mr->ops.min_access;
        uint64_t base = off & ~(uint64_t)(wide - 1);
        uint64_t v = io_call_read(mr, base, wide);
        return (v >> narrow_shift(mr, off, base, size, wide)) &
               size_mask(size);
    }
    return io_call_read(mr, off, size);
}

static void io_write_split(EmuMemoryRegion *mr, uint64_t off, uint64_t val,
                           unsigned size)
{
    unsigned half = size / 2;
    uint64_t low = val & size_mask(half);
    uint64_t high = val >> (8 * half);

    io_write(mr, off, mr->ops.big_endian ? high : low, half);
    io_write(mr, off + half, mr->ops.big_endian ? low : high, half);
}

/* A write narrower than min_access: read the wide word back, merge,
 * write it. */
static void io_write_widened(EmuMemoryRegion *mr, uint64_t off, uint64_t val,
                             unsigned size)
{
    unsigned wide = mr->ops.min_access;
    uint64_t base = off & ~(uint64_t)(wide - 1);
    unsigned shift = narrow_shift(mr, off, base, size, wide);
    uint64_t mask = size_mask(size) << shift;
    uint64_t old = mr->ops.read ? io_call_read(mr, base, wide) : 0;

    io_call_write(mr, base, (old & ~mask) | ((val << shift) & mask), wide);
}

static void io_write(EmuMemoryRegion *mr, uint64_t off, uint64_t val,
                     unsigned size)
{
    if (io_needs_split(mr, off, size)) {
        io_write_split(mr, off, val, size);
    } else if (size < mr->ops.min_access) {
        io_write_widened(mr, off, val, size);
    } else {
        io_call_write(mr, off, val, size);
    }
}

/* The largest naturally aligned power-of-two piece at off, up to len
 * bytes and the region's max_access. */
static unsigned io_piece_size(const EmuMemoryRegion *mr, uint64_t off,
                              size_t len)
{
    unsigned size = mr->ops.max_access;

    while (size > 1 && (size > len || (off & (size - 1)))) {
        size /= 2;
    }
    return size;
}

/* Bytes to or from an I/O region, in the device's byte order. */
static void io_access_buf(EmuMemoryRegion *mr, uint64_t off, uint8_t *buf,
                          size_t len, AccessKind kind)
{
    bool big = mr->ops.big_endian;

    while (len) {
        unsigned size = io_piece_size(mr, off, len);
        if (kind == ACCESS_READ) {
            store_device(buf, io_read(mr, off, size), size, big);
        } else {
            io_write(mr, off, load_device(buf, size, big), size);
        }
        off += size;
        buf += size;
        len -= size;
    }
}

/* ---- Address space accesses -------------------------------------------- */

static void log_dropped_write(const FlatRange *fr, uint64_t addr, size_t len)
{
    emu_log_mask_printf(EMU_LOG_GUEST_ERRORS,
                        "%s: write of %zu bytes at 0x%" PRIx64
                        " to read-only memory dropped\n",
                        fr->mr->name, len, addr);
}

/* n bytes at addr, all inside fr. */
static void range_access(const FlatRange *fr, uint64_t addr, uint8_t *buf,
                         size_t n, AccessKind kind)
{
    EmuMemoryRegion *mr = fr->mr;
    uint64_t off = fr->offset + (addr - fr->first);
    bool protected = mr->kind == MR_ROM || fr->readonly;

    if (kind == ACCESS_WRITE && protected) {
        log_dropped_write(fr, addr, n);
    } else if (mr->kind == MR_IO) {
        io_access_buf(mr, off, buf, n, kind);
    } else if (kind == ACCESS_READ) {
        memcpy(buf, mr->host + off, n);
    } else {
        memcpy(mr->host + off, buf, n);
        dirty_mark(mr, off, n);
    }
}

static void unassigned_access(EmuAddressSpace *as, uint64_t addr,
                              uint8_t *buf, size_t n, AccessKind kind)
{
    emu_log_mask_printf(EMU_LOG_UNIMP,
                        "%s: unassigned %s of %zu bytes at 0x%" PRIx64 "\n",
                        as->name, kind == ACCESS_READ ? "read" : "write",
                        n, addr);
    if (kind == ACCESS_READ) {
        memset(buf, 0xff, n);
    }
}

/* Any length, split at flat-range boundaries.  buf is only written for
 * ACCESS_READ. */
static EmuMemResult as_access_buf(EmuAddressSpace *as, uint64_t addr,
                                  uint8_t *buf, size_t len, AccessKind kind)
{
    EmuMemResult result = EMU_MEM_OK;

    while (len) {
        FlatRange fr;
        uint64_t last;
        bool hit = view_lookup(as, addr, &fr, &last);
        if (hit) {
            last = fr.last;
        }
        uint64_t avail = last - addr;          /* bytes left, minus one */
        size_t n = avail >= len - 1 ? len : (size_t)avail + 1;
        if (hit) {
            range_access(&fr, addr, buf, n, kind);
        } else {
            unassigned_access(as, addr, buf, n, kind);
            result = EMU_MEM_UNASSIGNED;
        }
        addr += n;
        buf += n;
        len -= n;
    }
    return result;
}

/* The range holding all of [addr, addr + size), if one does. */
static bool lookup_whole(EmuAddressSpace *as, uint64_t addr, unsigned size,
                         FlatRange *fr)
{
    uint64_t gap_last;

    return view_lookup(as, addr, fr, &gap_last) &&
           fr->last - addr >= size - 1;
}

EmuMemResult emu_as_read(EmuAddressSpace *as, uint64_t addr, uint64_t *val,
                         unsigned size)
{
    FlatRange fr;
    uint8_t tmp[8];

    g_return_val_if_fail(as && val && valid_access_size(size),
                         EMU_MEM_UNASSIGNED);
    if (lookup_whole(as, addr, size, &fr)) {
        uint64_t off = fr.offset + (addr - fr.first);
        *val = fr.mr->kind == MR_IO ? io_read(fr.mr, off, size)
                                    : load_le(fr.mr->host + off, size);
        return EMU_MEM_OK;
    }
    EmuMemResult result = as_access_buf(as, addr, tmp, size, ACCESS_READ);
    *val = load_le(tmp, size);
    return result;
}

EmuMemResult emu_as_write(EmuAddressSpace *as, uint64_t addr, uint64_t val,
                          unsigned size)
{
    FlatRange fr;
    uint8_t tmp[8];

    g_return_val_if_fail(as && valid_access_size(size), EMU_MEM_UNASSIGNED);
    if (lookup_whole(as, addr, size, &fr) && !fr.readonly &&
        fr.mr->kind != MR_ROM) {
        uint64_t off = fr.offset + (addr - fr.first);
        if (fr.mr->kind == MR_IO) {
            io_write(fr.mr, off, val & size_mask(size), size);
        } else {
            store_le(fr.mr->host + off, val, size);
            dirty_mark(fr.mr, off, size);
        }
        return EMU_MEM_OK;
    }
    /* Straddling, unassigned or write-protected: byte ranges. */
    store_le(tmp, val, size);
    return as_access_buf(as, addr, tmp, size, ACCESS_WRITE);
}

EmuMemResult emu_as_read_buf(EmuAddressSpace *as, uint64_t addr, void *buf,
                             size_t len)
{
    g_return_val_if_fail(as && (buf || !len), EMU_MEM_UNASSIGNED);
    return as_access_buf(as, addr, buf, len, ACCESS_READ);
}

EmuMemResult emu_as_write_buf(EmuAddressSpace *as, uint64_t addr,
                              const void *buf, size_t len)
{
    g_return_val_if_fail(as && (buf || !len), EMU_MEM_UNASSIGNED);
    /* Not written through: only ACCESS_READ stores into buf. */
    return as_access_buf(as, addr, (uint8_t *)buf, len, ACCESS_WRITE);
}

EmuMemResult emu_as_load_rom(EmuAddressSpace *as, uint64_t addr,
                             const void *buf, size_t len)
{
    g_return_val_if_fail(as && (buf || !len), EMU_MEM_UNASSIGNED);
    return as_access_buf(as, addr, (uint8_t *)buf, len, ACCESS_LOAD);
}

uint8_t *emu_as_ram_ptr(EmuAddressSpace *as, uint64_t addr, uint64_t *len,
                        bool for_write)
{
    FlatRange fr;
    uint64_t gap_last;

    g_return_val_if_fail(as != NULL, NULL);
    if (len) {
        *len = 0;
    }
    if (!view_lookup(as, addr, &fr, &gap_last) || !is_ram_backed(fr.mr)) {
        return NULL;
    }
    uint64_t off = fr.offset + (addr - fr.first);
    uint64_t run = fr.last - addr + 1;  /* RAM < 2^64 bytes: no overflow */
    if (for_write) {
        if (fr.mr->kind == MR_ROM || fr.readonly) {
            return NULL;
        }
        run = writable_run(fr.mr, off, run);
        if (run == 0) {
            return NULL;
        }
    }
    if (len) {
        *len = run;
    }
    return fr.mr->host + off;
}

/* ---- Address spaces ---------------------------------------------------- */

EmuAddressSpace *emu_as_new(const char *name, EmuMemoryRegion *root)
{
    g_return_val_if_fail(root != NULL, NULL);

    EmuAddressSpace *as = g_new0(EmuAddressSpace, 1);
    as->name = g_strdup(name ? name : "(anonymous)");
    as->root = root;
    root->refs++;
    as->view = g_array_new(false, false, sizeof(FlatRange));
    return as;
}

void emu_as_free(EmuAddressSpace *as)
{
    if (!as) {
        return;
    }
    emu_mr_unref(as->root);
    g_array_free(as->view, true);
    g_free(as->name);
    g_free(as);
}

EmuMemoryRegion *emu_as_root(EmuAddressSpace *as)
{
    g_return_val_if_fail(as != NULL, NULL);
    return as->root;
}

char *emu_as_flatview_text(EmuAddressSpace *as)
{
    g_return_val_if_fail(as != NULL, NULL);

    GString *s = g_string_new(NULL);
    view_update(as);
    for (guint i = 0; i < as->view->len; i++) {
        const FlatRange *r = &g_array_index(as->view, FlatRange, i);
        g_string_append_printf(s, "%016" PRIx64 "-%016" PRIx64
                               " %-5s '%s' +0x%" PRIx64 "%s\n",
                               r->first, r->last, kind_name(r->mr->kind),
                               r->mr->name, r->offset,
                               r->readonly ? " ro" : "");
    }
    return g_string_free(s, false);
}

static EmuAddressSpace *machine_space(const char *name, uint64_t size,
                                      bool whole_space)
{
    EmuMemoryRegion *root = emu_mr_new_container(NULL, name, size);

    root->whole_space = whole_space;
    EmuAddressSpace *as = emu_as_new(name, root);
    emu_mr_unref(root);
    return as;
}

EmuAddressSpace *emu_system_memory(void)
{
    if (!system_memory) {
        system_memory = machine_space("memory", 0, true);
    }
    return system_memory;
}

EmuAddressSpace *emu_system_io(void)
{
    if (!system_io) {
        system_io = machine_space("io", 0x10000, false);
    }
    return system_io;
}

/* The machine's main RAM, for boards that alias or shadow parts of it. */
static EmuMemoryRegion *machine_ram;

void emu_machine_set_ram(EmuMemoryRegion *mr)
{
    machine_ram = mr;
}

EmuMemoryRegion *emu_machine_ram(void)
{
    return machine_ram;
}

void emu_mr_remove(EmuMemoryRegion *parent, EmuMemoryRegion **mr)
{
    if (*mr) {
        emu_mr_del_subregion(parent, *mr);
        emu_mr_unref(*mr);
        *mr = NULL;
    }
}

void emu_memory_teardown(void)
{
    machine_ram = NULL;
    emu_as_free(system_memory);
    system_memory = NULL;
    emu_as_free(system_io);
    system_io = NULL;
}
