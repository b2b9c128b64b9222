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
#include <unistd.h>

typedef struct Mapping {
    uint64_t start, end;
    int prot;
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
            Mapping tail = { end, m->end, m->prot };
            m->end = start;
            g_array_insert_val(maps, i + 1, tail);
            return;
        }
        if (m->start < start) {
            m->end = start;
            i++;
        } else if (m->end > end) {
            m->start = end;
            i++;
        } else {
            g_array_remove_index(maps, i);
        }
    }
}

void user_mem_set(uint64_t start, uint64_t len, int prot)
{
    uint64_t end = GUEST_PAGE_ALIGN(start + len);
    start &= ~(GUEST_PAGE - 1);
    g_mutex_lock(&mem_lock);
    remove_range_locked(start, end);
    guint i = 0;
    while (i < maps->len && g_array_index(maps, Mapping, i).start < start) {
        i++;
    }
    Mapping m = { start, end, prot };
    g_array_insert_val(maps, i, m);
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
    EmuJitCpu *cpu = emu_jit_cpu_current();
    if (cpu) {
        emu_jit_cpu_kick(cpu);  /* leave a block that may have changed */
    }
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

/* i386 guests: every guest address must stay below 4 GiB.  With
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
    user_mem_set(at, len, prot);
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
    /* Guest and emulator share the address space: a fixed mapping into
     * space the guest does not own must not replace the emulator's. */
    if ((flags & MAP_FIXED) && range_unowned(addr, len)) {
        flags = (flags & ~MAP_FIXED) | MAP_FIXED_NOREPLACE;
        void *p = mmap(g2h(addr), len, prot, flags, fd, off);
        if (p == MAP_FAILED) {
            return errno == EEXIST ? -ENOMEM : -errno;
        }
        user_mem_set(h2g(p), len, prot);
        return (int64_t)h2g(p);
    }
    if (!user_cfg.is64 && !(flags & MAP_FIXED)) {
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
    user_mem_set(g, len, prot);
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
    user_mem_set(addr, len, prot);
    return 0;
}

int64_t user_mremap(uint64_t old, uint64_t old_len, uint64_t new_len,
                    int flags, uint64_t new_addr)
{
    if (!user_cfg.is64 && (flags & MREMAP_MAYMOVE) && !(flags & MREMAP_FIXED)) {
        /* grow in place if possible, else move into low space we pick */
        void *p = mremap(g2h(old), old_len, new_len, 0);
        if (p == MAP_FAILED) {
            int64_t at = mmap_low(0, new_len, PROT_NONE,
                                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (at < 0) {
                return at;
            }
            flags |= MREMAP_FIXED;
            new_addr = (uint64_t)at;
        }
    }
    void *p = mremap(g2h(old), old_len, new_len, flags, g2h(new_addr));
    if (p == MAP_FAILED) {
        return -errno;
    }
    int prot = user_mem_prot(old);
    forget_code(old, old_len);
    user_mem_clear(old, old_len);
    user_mem_set(h2g(p), new_len, prot < 0 ? PROT_READ | PROT_WRITE : prot);
    return (int64_t)h2g(p);
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

char *user_maps_text(void)
{
    GString *s = g_string_new(NULL);
    g_mutex_lock(&mem_lock);
    for (guint i = 0; i < maps->len; i++) {
        Mapping *m = &g_array_index(maps, Mapping, i);
        const char *name = "";
        if (m->start >= brk_start && m->end <= brk_mapped && brk_mapped > brk_start) {
            name = "[heap]";
        }
        g_string_append_printf(s, "%08" G_GINT64_MODIFIER "x-%08" G_GINT64_MODIFIER
                               "x %c%c%cp 00000000 00:00 0 %s\n",
                               m->start, m->end,
                               (m->prot & PROT_READ) ? 'r' : '-',
                               (m->prot & PROT_WRITE) ? 'w' : '-',
                               (m->prot & PROT_EXEC) ? 'x' : '-', name);
    }
    g_mutex_unlock(&mem_lock);
    return g_string_free(s, FALSE);
}
