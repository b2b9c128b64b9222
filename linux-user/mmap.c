/*
 * Guest memory map for linux-user: mmap/munmap/mprotect/mremap/brk on the
 * host, a sorted list of guest mappings with their guest protections
 * (for /proc/self/maps and for self-modifying code), and the
 * write-protection of pages holding translated code: a guest write to
 * such a page faults, the JIT drops the page's blocks, the page becomes
 * writable again and the write is retried.
 */
#include "config.h"
#include "user.h"
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

typedef struct Mapping {
    uint64_t start, end;
    int prot;
    bool shared;
    uint64_t offset, dev, ino;  /* of the mapped file, offset at start */
    const char *name;           /* interned; NULL: anonymous */
} Mapping;

static GMutex mem_lock;
static GArray *maps;            /* Mapping, sorted, non-overlapping */
static GHashTable *code_pages;  /* write-protected guest pages */
static uint64_t brk_start, brk_cur, brk_mapped;

static void remove_range_locked(uint64_t start, uint64_t end)
{
    for (guint i = 0; i < maps->len;) {
        Mapping *m = &g_array_index(maps, Mapping, i);
        if (m->end <= start || m->start >= end) {
            i++;
            continue;
        }
        if (m->start < start && m->end > end) {
            Mapping tail = *m;
            tail.start = end;
            tail.offset += end - m->start;
            m->end = start;
            g_array_insert_val(maps, i + 1, tail);
            return;
        }
        if (m->start < start) {
            m->end = start;
            i++;
        } else if (m->end > end) {
            m->offset += end - m->start;
            m->start = end;
            i++;
        } else {
            g_array_remove_index(maps, i);
        }
    }
}

static void insert_locked(const Mapping *m)
{
    remove_range_locked(m->start, m->end);
    guint i = 0;
    while (i < maps->len && g_array_index(maps, Mapping, i).start < m->start) {
        i++;
    }
    g_array_insert_val(maps, i, *m);
}

/* A new mapping: anonymous, or of fd at off (for /proc/self/maps). */
static void mem_map(uint64_t start, uint64_t len, int prot, int flags, int fd,
                    int64_t off)
{
    Mapping m = { start & ~(GUEST_PAGE - 1), GUEST_PAGE_ALIGN(start + len),
                  prot, (flags & MAP_SHARED) != 0, 0, 0, 0, NULL };
    struct stat st;
    if (!(flags & MAP_ANONYMOUS) && fd >= 0 && fstat(fd, &st) == 0) {
        char link[64];
        g_snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        char *target = g_file_read_link(link, NULL);
        m.name = target ? g_intern_string(target) : NULL;
        g_free(target);
        m.offset = (uint64_t)off;
        m.dev = st.st_dev;
        m.ino = st.st_ino;
    }
    g_mutex_lock(&mem_lock);
    insert_locked(&m);
    g_mutex_unlock(&mem_lock);
}

void user_mem_set(uint64_t start, uint64_t len, int prot)
{
    mem_map(start, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* mprotect: the pieces of existing mappings in the range keep their file
 * and get the new protection. */
static void mem_protect(uint64_t start, uint64_t len, int prot)
{
    uint64_t end = GUEST_PAGE_ALIGN(start + len);
    start &= ~(GUEST_PAGE - 1);
    GArray *pieces = g_array_new(FALSE, FALSE, sizeof(Mapping));
    g_mutex_lock(&mem_lock);
    for (guint i = 0; i < maps->len; i++) {
        Mapping m = g_array_index(maps, Mapping, i);
        if (m.end <= start || m.start >= end) {
            continue;
        }
        if (m.start < start) {
            m.offset += start - m.start;
            m.start = start;
        }
        m.end = MIN(m.end, end);
        m.prot = prot;
        g_array_append_val(pieces, m);
    }
    for (guint i = 0; i < pieces->len; i++) {
        insert_locked(&g_array_index(pieces, Mapping, i));
    }
    g_mutex_unlock(&mem_lock);
    g_array_free(pieces, TRUE);
}

void user_mem_name(uint64_t start, uint64_t len, const char *name)
{
    g_mutex_lock(&mem_lock);
    for (guint i = 0; i < maps->len; i++) {
        Mapping *m = &g_array_index(maps, Mapping, i);
        if (m->start >= start && m->end <= start + len) {
            m->name = g_intern_string(name);
        }
    }
    g_mutex_unlock(&mem_lock);
}

void user_mem_clear(uint64_t start, uint64_t len)
{
    g_mutex_lock(&mem_lock);
    remove_range_locked(start & ~(GUEST_PAGE - 1), GUEST_PAGE_ALIGN(start + len));
    g_mutex_unlock(&mem_lock);
}

static int prot_locked(uint64_t addr)
{
    for (guint i = 0; i < maps->len; i++) {
        Mapping *m = &g_array_index(maps, Mapping, i);
        if (addr >= m->start && addr < m->end) {
            return m->prot;
        }
    }
    return -1;
}

uint64_t user_mem_area_end(uint64_t addr)
{
    uint64_t end = 0;
    g_mutex_lock(&mem_lock);
    for (guint i = 0; i < maps->len; i++) {
        Mapping *m = &g_array_index(maps, Mapping, i);
        if (addr >= m->start && addr < m->end) {
            end = m->end;
            break;
        }
    }
    g_mutex_unlock(&mem_lock);
    return end;
}

int user_mem_prot(uint64_t addr)
{
    g_mutex_lock(&mem_lock);
    int p = prot_locked(addr);
    g_mutex_unlock(&mem_lock);
    return p;
}

/* JIT hook: a page got its first translated block. */
static void protect_code_page(uint64_t page)
{
    g_mutex_lock(&mem_lock);
    int prot = prot_locked(page);
    if (prot >= 0 && (prot & PROT_WRITE)) {
        mprotect(g2h(page), GUEST_PAGE, prot & ~PROT_WRITE);
        g_hash_table_add(code_pages, GSIZE_TO_POINTER(page));
    }
    g_mutex_unlock(&mem_lock);
}

/* From the SIGSEGV handler: true when the fault was a write to a page we
 * protected; the page is writable again on return. */
bool user_smc_fault(uint64_t addr)
{
    uint64_t page = addr & ~(GUEST_PAGE - 1);
    if (!code_pages || !g_hash_table_contains(code_pages, GSIZE_TO_POINTER(page))) {
        return false;
    }
    emu_jit_invalidate(page, GUEST_PAGE);
    g_hash_table_remove(code_pages, GSIZE_TO_POINTER(page));
    int prot = prot_locked(page);
    mprotect(g2h(page), GUEST_PAGE, prot < 0 ? PROT_READ | PROT_WRITE : prot);
    return true;
}

/* A system call failed with EFAULT: maybe the kernel wrote into a page
 * we protected for its translated code.  Every such page is made
 * writable again (its blocks dropped); true when there was one, so the
 * caller retries. */
bool user_smc_unprotect_all(void)
{
    g_mutex_lock(&mem_lock);
    GList *pages = g_hash_table_get_keys(code_pages);
    g_mutex_unlock(&mem_lock);
    for (GList *l = pages; l; l = l->next) {
        user_smc_fault(GPOINTER_TO_SIZE(l->data));
    }
    bool any = pages != NULL;
    g_list_free(pages);
    return any;
}

/* Call without mem_lock held (the JIT's lock is taken first). */
static void forget_code(uint64_t start, uint64_t len)
{
    emu_jit_invalidate(start, len);
    g_mutex_lock(&mem_lock);
    for (uint64_t p = start & ~(GUEST_PAGE - 1); p < start + len; p += GUEST_PAGE) {
        g_hash_table_remove(code_pages, GSIZE_TO_POINTER(p));
    }
    g_mutex_unlock(&mem_lock);
}

void user_mem_init(void)
{
    maps = g_array_new(FALSE, FALSE, sizeof(Mapping));
    code_pages = g_hash_table_new(g_direct_hash, g_direct_equal);
    emu_jit_set_code_page_hook(protect_code_page);
}

/* True when no part of [start, start+len) belongs to the guest. */
static bool range_unowned(uint64_t start, uint64_t len)
{
    bool unowned = true;
    g_mutex_lock(&mem_lock);
    for (guint i = 0; i < maps->len; i++) {
        Mapping *m = &g_array_index(maps, Mapping, i);
        if (m->start < start + len && start < m->end) {
            unowned = false;
            break;
        }
    }
    g_mutex_unlock(&mem_lock);
    return unowned;
}

/* True when the guest's mappings cover all of [start, start+len). */
static bool range_owned(uint64_t start, uint64_t len)
{
    uint64_t at = start;
    g_mutex_lock(&mem_lock);
    for (guint i = 0; i < maps->len && at < start + len; i++) {
        Mapping *m = &g_array_index(maps, Mapping, i);
        if (m->start <= at && at < m->end) {
            at = m->end;
        }
    }
    g_mutex_unlock(&mem_lock);
    return at >= start + len;
}

/* i386 guests (and x86_64 ones under -R): every guest address must stay
 * below 4 GiB (the -R limit).  With
 * guest_base 0 the kernel would place mappings anywhere, so free space is
 * chosen here, top-down from below 4 GiB (as a 32-bit process's layout
 * under a 64-bit kernel), among the gaps of the guest's own map; a gap
 * the emulator itself occupies fails with EEXIST and the search moves
 * below it.  -R size lowers the top. */
static uint64_t find_gap_below(uint64_t top, uint64_t len)
{
    uint64_t cand = top;
    g_mutex_lock(&mem_lock);
    for (guint i = maps->len; i-- > 0;) {
        Mapping *m = &g_array_index(maps, Mapping, i);
        if (m->start >= cand) {
            continue;
        }
        if (m->end <= cand - len) {
            break;              /* the gap under cand is big enough */
        }
        cand = m->start;
        if (cand < len) {
            break;
        }
    }
    g_mutex_unlock(&mem_lock);
    return cand >= len + GUEST_LOW_MIN ? cand - len : 0;
}

uint64_t user_low_top(void)
{
    return user_cfg.reserved_va ? user_cfg.reserved_va : GUEST_LOW_TOP;
}

/* The emulator places the guest's mappings itself, below user_low_top():
 * i386 guests, and x86_64 guests given -R (without it the kernel picks,
 * anywhere in the 47-bit space, as for a native process). */
static bool space_limited(void)
{
    return !user_cfg.is64 || user_cfg.reserved_va;
}

/* The range lies below 4 GiB for i386 guests, or the -R limit. */
static bool beneath_top(uint64_t addr, uint64_t len)
{
    return !space_limited() ||
           (addr + len >= addr && addr + len <= user_low_top());
}

static int64_t map_noreplace(uint64_t at, uint64_t len, int prot, int flags,
                             int fd, int64_t off)
{
    void *p = mmap(g2h(at), len, prot, flags | MAP_FIXED_NOREPLACE, fd, off);
    if (p == MAP_FAILED) {
        return -errno;
    }
    if (h2g(p) != at) {         /* kernels before 4.17 treat it as a hint */
        munmap(p, len);
        return -EEXIST;
    }
    mem_map(at, len, prot, flags, fd, off);
    return (int64_t)at;
}

static int64_t mmap_low(uint64_t hint, uint64_t len, int prot, int flags,
                        int fd, int64_t off)
{
    len = GUEST_PAGE_ALIGN(len);
    uint64_t top = user_low_top();
    if (hint && hint + len <= top && range_unowned(hint, len)) {
        int64_t r = map_noreplace(hint, len, prot, flags, fd, off);
        if (r != -EEXIST) {
            return r;
        }
    }
    for (;;) {
        uint64_t at = find_gap_below(top, len);
        if (!at) {
            return -ENOMEM;
        }
        int64_t r = map_noreplace(at, len, prot, flags, fd, off);
        if (r != -EEXIST) {
            return r;
        }
        top = at;
    }
}

int64_t user_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd,
                  int64_t off)
{
    if (len == 0) {
        return -EINVAL;
    }
    if (!beneath_top(addr, len) && (flags & MAP_FIXED)) {
        return -ENOMEM;
    }
    /* Guest and emulator share the address space: a fixed mapping into
     * space the guest does not own must not replace the emulator's. */
    if ((flags & MAP_FIXED) && range_unowned(addr, len)) {
        flags = (flags & ~MAP_FIXED) | MAP_FIXED_NOREPLACE;
        void *p = mmap(g2h(addr), len, prot, flags, fd, off);
        if (p == MAP_FAILED) {
            return errno == EEXIST ? -ENOMEM : -errno;
        }
        mem_map(h2g(p), len, prot, flags, fd, off);
        return (int64_t)h2g(p);
    }
    if (space_limited() && !(flags & MAP_FIXED)) {
        return mmap_low(addr, len, prot, flags, fd, off);
    }
    void *p = mmap(addr || (flags & MAP_FIXED) ? g2h(addr) : NULL, len, prot,
                   flags, fd, off);
    if (p == MAP_FAILED) {
        return -errno;
    }
    uint64_t g = h2g(p);
    if (flags & MAP_FIXED) {
        forget_code(g, len);
    }
    mem_map(g, len, prot, flags, fd, off);
    return (int64_t)g;
}

int64_t user_munmap(uint64_t addr, uint64_t len)
{
    if (munmap(g2h(addr), len) < 0) {
        return -errno;
    }
    forget_code(addr, len);
    user_mem_clear(addr, len);
    return 0;
}

int64_t user_mprotect(uint64_t addr, uint64_t len, int prot)
{
    if (mprotect(g2h(addr), len, prot) < 0) {
        return -errno;
    }
    forget_code(addr, len);
    mem_protect(addr, len, prot);
    return 0;
}

int64_t user_mremap(uint64_t old, uint64_t old_len, uint64_t new_len,
                    int flags, uint64_t new_addr)
{
    void *p = MAP_FAILED;
    if ((flags & MREMAP_FIXED) && !beneath_top(new_addr, new_len)) {
        return -ENOMEM;
    }
    if (space_limited() && (flags & MREMAP_MAYMOVE) && !(flags & MREMAP_FIXED)) {
        /* grow in place if possible, else move into low space we pick */
        if (beneath_top(old, new_len)) {
            p = mremap(g2h(old), old_len, new_len, 0);
        }
        if (p == MAP_FAILED) {
            int64_t at = mmap_low(0, new_len, PROT_NONE,
                                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (at < 0) {
                return at;
            }
            p = mremap(g2h(old), old_len, new_len, flags | MREMAP_FIXED,
                       g2h((uint64_t)at));
            if (p == MAP_FAILED) {
                int e = errno;
                user_munmap((uint64_t)at, new_len);
                return -e;
            }
        }
    } else {
        p = mremap(g2h(old), old_len, new_len, flags, g2h(new_addr));
    }
    if (p == MAP_FAILED) {
        return -errno;
    }
    Mapping moved = { 0, 0, PROT_READ | PROT_WRITE, false, 0, 0, 0, NULL };
    g_mutex_lock(&mem_lock);
    for (guint i = 0; i < maps->len; i++) {
        Mapping *m = &g_array_index(maps, Mapping, i);
        if (old >= m->start && old < m->end) {
            moved = *m;
            moved.offset += old - m->start;
        }
    }
    g_mutex_unlock(&mem_lock);
    forget_code(old, old_len);
    user_mem_clear(old, old_len);
    moved.start = h2g(p);
    moved.end = moved.start + GUEST_PAGE_ALIGN(new_len);
    g_mutex_lock(&mem_lock);
    insert_locked(&moved);
    g_mutex_unlock(&mem_lock);
    return (int64_t)h2g(p);
}

/* ---- SysV shared memory: attached segments are guest mappings too ---- */

static GHashTable *shm_sizes;   /* guest address -> attached length */

/* Where an i386 guest's segment goes when it names no address: low space
 * picked as for mmap, reserved, then replaced by the segment. */
static int64_t shm_reserve_low(uint64_t len)
{
    return mmap_low(0, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

int64_t user_shmat(int id, uint64_t addr, int flags)
{
    struct shmid_ds ds;
    if (shmctl(id, IPC_STAT, &ds) < 0) {
        return -errno;
    }
    uint64_t len = GUEST_PAGE_ALIGN(ds.shm_segsz);
    if (addr && (flags & SHM_RND)) {
        addr &= ~(GUEST_PAGE - 1);
    }
    if (addr && !beneath_top(addr, len)) {
        return -EINVAL;
    }
    if (addr && (flags & SHM_REMAP) && range_owned(addr, len)) {
        forget_code(addr, len);
    } else if (addr) {
        flags &= ~SHM_REMAP;    /* never over the emulator's own memory */
    }
    int64_t reserved = -1;
    if (!addr && space_limited()) {
        reserved = shm_reserve_low(len);
        if (reserved < 0) {
            return reserved;
        }
        addr = (uint64_t)reserved;
        flags |= SHM_REMAP;
    }
    void *p = shmat(id, addr ? g2h(addr) : NULL, flags);
    if (p == (void *)-1) {
        int e = errno;
        if (reserved >= 0) {
            user_munmap((uint64_t)reserved, len);
        }
        return -e;
    }
    int prot = (flags & SHM_RDONLY) ? PROT_READ : PROT_READ | PROT_WRITE;
    prot |= (flags & SHM_EXEC) ? PROT_EXEC : 0;
    mem_map(h2g(p), len, prot, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    g_mutex_lock(&mem_lock);
    if (!shm_sizes) {
        shm_sizes = g_hash_table_new(g_direct_hash, g_direct_equal);
    }
    g_hash_table_insert(shm_sizes, GSIZE_TO_POINTER(h2g(p)),
                        GSIZE_TO_POINTER(len));
    g_mutex_unlock(&mem_lock);
    return (int64_t)h2g(p);
}

int64_t user_shmdt(uint64_t addr)
{
    if (shmdt(g2h(addr)) < 0) {
        return -errno;
    }
    g_mutex_lock(&mem_lock);
    uint64_t len = shm_sizes ? GPOINTER_TO_SIZE(g_hash_table_lookup(
                                   shm_sizes, GSIZE_TO_POINTER(addr))) : 0;
    if (len) {
        g_hash_table_remove(shm_sizes, GSIZE_TO_POINTER(addr));
    }
    g_mutex_unlock(&mem_lock);
    if (len) {
        forget_code(addr, len);
        user_mem_clear(addr, len);
    }
    return 0;
}

void user_brk_init(uint64_t start)
{
    brk_start = brk_cur = brk_mapped = GUEST_PAGE_ALIGN(start);
}

int64_t user_brk(uint64_t addr)
{
    if (addr < brk_start) {
        return (int64_t)brk_cur;
    }
    if (addr > brk_mapped) {
        uint64_t len = GUEST_PAGE_ALIGN(addr) - brk_mapped;
        if (!beneath_top(brk_mapped, len)) {
            return (int64_t)brk_cur;
        }
        void *p = mmap(g2h(brk_mapped), len, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (p == MAP_FAILED) {
            return (int64_t)brk_cur;
        }
        user_mem_set(brk_mapped, len, PROT_READ | PROT_WRITE);
        brk_mapped += len;
    } else if (addr < brk_cur) {
        memset(g2h(addr), 0, brk_cur - addr);
    }
    brk_cur = addr;
    return (int64_t)brk_cur;
}

static bool mergeable(const Mapping *a, const Mapping *b)
{
    bool heap_a = a->start >= brk_start && a->end <= brk_mapped;
    bool heap_b = b->start >= brk_start && b->end <= brk_mapped;
    return a->end == b->start && a->prot == b->prot && a->shared == b->shared &&
           a->name == b->name && a->dev == b->dev && a->ino == b->ino &&
           heap_a == heap_b && !a->ino;
}

/* The kernel's format: the name, if any, starts at column 73. */
char *user_maps_text(void)
{
    GString *s = g_string_new(NULL);
    g_mutex_lock(&mem_lock);
    for (guint i = 0; i < maps->len; i++) {
        Mapping merged = g_array_index(maps, Mapping, i), *m = &merged;
        /* adjacent anonymous pieces print as one, like the kernel's
         * merged areas (brk grows in pieces) */
        while (i + 1 < maps->len &&
               mergeable(m, &g_array_index(maps, Mapping, i + 1))) {
            m->end = g_array_index(maps, Mapping, ++i).end;
        }
        const char *name = m->name;
        if (!name && m->start >= brk_start && m->end <= brk_mapped &&
            brk_mapped > brk_start) {
            name = "[heap]";
        }
        gsize line = s->len;
        g_string_append_printf(s, "%08" G_GINT64_MODIFIER "x-%08" G_GINT64_MODIFIER
                               "x %c%c%c%c %08" G_GINT64_MODIFIER "x %02x:%02x %"
                               G_GUINT64_FORMAT " ", m->start, m->end,
                               (m->prot & PROT_READ) ? 'r' : '-',
                               (m->prot & PROT_WRITE) ? 'w' : '-',
                               (m->prot & PROT_EXEC) ? 'x' : '-',
                               m->shared ? 's' : 'p', m->ino ? m->offset : 0,
                               major(m->dev), minor(m->dev), m->ino);
        if (name) {
            while (s->len - line < 73) {
                g_string_append_c(s, ' ');
            }
            g_string_append(s, name);
        }
        g_string_append_c(s, '\n');
    }
    g_mutex_unlock(&mem_lock);
    return g_string_free(s, FALSE);
}
