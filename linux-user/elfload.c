/*
 * ELF loading for linux-user: the program (ET_EXEC or PIE), its PT_INTERP
 * dynamic loader (looked up under -L), and the initial stack with argv,
 * envp and the auxiliary vector the way the Linux kernel lays it out.
 * Handles ELFCLASS64 (x86_64) and ELFCLASS32 (i386) images.
 */
#include "config.h"
#include "user.h"
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct Phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, filesz, memsz, align;
} Phdr;

typedef struct ElfInfo {
    bool is64;
    uint16_t type, machine;
    uint64_t entry, phoff;
    uint16_t phentsize, phnum;
    Phdr *ph;
} ElfInfo;

char *user_path(const char *guest_path)
{
    if (user_cfg.ld_prefix && guest_path[0] == '/') {
        char *p = g_build_filename(user_cfg.ld_prefix, guest_path, NULL);
        if (access(p, F_OK) == 0) {
            return p;
        }
        g_free(p);
    }
    return g_strdup(guest_path);
}

static bool read_exact(int fd, void *buf, size_t len, uint64_t off)
{
    return pread(fd, buf, len, (off_t)off) == (ssize_t)len;
}

static bool parse_elf(int fd, const char *path, ElfInfo *ei, GError **errp)
{
    unsigned char ident[EI_NIDENT];
    if (!read_exact(fd, ident, sizeof(ident), 0) ||
        memcmp(ident, ELFMAG, SELFMAG) != 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: not an ELF file", path);
        return false;
    }
    ei->is64 = ident[EI_CLASS] == ELFCLASS64;
    if (ei->is64) {
        Elf64_Ehdr eh;
        if (!read_exact(fd, &eh, sizeof(eh), 0)) {
            goto short_file;
        }
        ei->type = eh.e_type; ei->machine = eh.e_machine; ei->entry = eh.e_entry;
        ei->phoff = eh.e_phoff; ei->phentsize = eh.e_phentsize;
        ei->phnum = eh.e_phnum;
    } else {
        Elf32_Ehdr eh;
        if (!read_exact(fd, &eh, sizeof(eh), 0)) {
            goto short_file;
        }
        ei->type = eh.e_type; ei->machine = eh.e_machine; ei->entry = eh.e_entry;
        ei->phoff = eh.e_phoff; ei->phentsize = eh.e_phentsize;
        ei->phnum = eh.e_phnum;
    }
    uint16_t want = user_cfg.is64 ? EM_X86_64 : EM_386;
    if (ei->machine != want || ei->is64 != user_cfg.is64) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: ELF machine %u, class %d: not for %s", path,
                    ei->machine, ei->is64 ? 64 : 32, user_cfg.cls->arch);
        return false;
    }
    if (ei->type != ET_EXEC && ei->type != ET_DYN) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: not an executable", path);
        return false;
    }
    ei->ph = g_new0(Phdr, ei->phnum);
    for (unsigned i = 0; i < ei->phnum; i++) {
        uint64_t off = ei->phoff + (uint64_t)i * ei->phentsize;
        Phdr *p = &ei->ph[i];
        if (ei->is64) {
            Elf64_Phdr ph;
            if (!read_exact(fd, &ph, sizeof(ph), off)) {
                goto short_file;
            }
            *p = (Phdr){ ph.p_type, ph.p_flags, ph.p_offset, ph.p_vaddr,
                         ph.p_filesz, ph.p_memsz, ph.p_align };
        } else {
            Elf32_Phdr ph;
            if (!read_exact(fd, &ph, sizeof(ph), off)) {
                goto short_file;
            }
            *p = (Phdr){ ph.p_type, ph.p_flags, ph.p_offset, ph.p_vaddr,
                         ph.p_filesz, ph.p_memsz, ph.p_align };
        }
    }
    return true;
short_file:
    g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                "%s: truncated ELF file", path);
    return false;
}

static int elf_prot(uint32_t flags)
{
    return ((flags & PF_R) ? PROT_READ : 0) | ((flags & PF_W) ? PROT_WRITE : 0) |
           ((flags & PF_X) ? PROT_EXEC : 0);
}

/* Maps every PT_LOAD; returns the load bias, or false. */
static bool map_segments(int fd, const char *path, ElfInfo *ei, bool is_interp,
                         uint64_t *bias_out, uint64_t *brk_out, GError **errp)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    for (unsigned i = 0; i < ei->phnum; i++) {
        if (ei->ph[i].type == PT_LOAD) {
            lo = MIN(lo, ei->ph[i].vaddr & ~(GUEST_PAGE - 1));
            hi = MAX(hi, ei->ph[i].vaddr + ei->ph[i].memsz);
        }
    }
    if (lo == UINT64_MAX) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: no loadable segments", path);
        return false;
    }
    uint64_t span = GUEST_PAGE_ALIGN(hi) - lo;
    uint64_t bias = 0;
    if (ei->type == ET_DYN) {
        uint64_t hint = is_interp ? 0 : (user_cfg.is64 ? 0x555555554000ull
                                                       : 0x56555000ull);
        int64_t r = user_mmap(hint, span, PROT_NONE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (r < 0) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NOMEM,
                        "%s: cannot reserve %" G_GUINT64_FORMAT " bytes",
                        path, span);
            return false;
        }
        bias = (uint64_t)r - lo;
    }
    uint64_t brk = 0;
    for (unsigned i = 0; i < ei->phnum; i++) {
        Phdr *p = &ei->ph[i];
        if (p->type != PT_LOAD || p->memsz == 0) {
            continue;
        }
        int prot = elf_prot(p->flags);
        uint64_t vaddr = bias + p->vaddr;
        uint64_t page = vaddr & ~(GUEST_PAGE - 1);
        uint64_t delta = vaddr - page;
        uint64_t file_end = vaddr + p->filesz;
        uint64_t mem_end = vaddr + p->memsz;
        if (p->filesz) {
            int64_t r = user_mmap(page, p->filesz + delta, prot | PROT_WRITE,
                                  MAP_PRIVATE | MAP_FIXED, fd,
                                  (int64_t)(p->offset - delta));
            if (r < 0) {
                g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NOMEM,
                            "%s: cannot map segment at 0x%" G_GINT64_MODIFIER
                            "x: %s", path, page, g_strerror((int)-r));
                return false;
            }
        }
        uint64_t zero_page_end = GUEST_PAGE_ALIGN(file_end);
        if (p->memsz > p->filesz) {
            /* like the kernel: the rest of the last file page reads as
             * zeros (ld.so's early malloc relies on it) */
            if (p->filesz) {
                memset(g2h(file_end), 0, zero_page_end - file_end);
            }
            uint64_t anon_start = p->filesz ? zero_page_end : page;
            if (mem_end > anon_start) {
                user_mmap(anon_start, GUEST_PAGE_ALIGN(mem_end) - anon_start,
                          prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
            }
        }
        if (p->filesz) {
            user_mprotect(page, GUEST_PAGE_ALIGN(file_end) - page, prot);
        }
        brk = MAX(brk, mem_end);
    }
    *bias_out = bias;
    *brk_out = brk;
    return true;
}

static bool load_one(const char *guest_path, bool is_interp, ElfInfo *ei,
                     uint64_t *bias, uint64_t *brk, char **interp,
                     GError **errp)
{
    char *host_path = user_path(guest_path);
    int fd = open(host_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "%s: %s", host_path, g_strerror(errno));
        g_free(host_path);
        return false;
    }
    bool ok = parse_elf(fd, host_path, ei, errp) &&
              map_segments(fd, host_path, ei, is_interp, bias, brk, errp);
    if (ok && interp) {
        *interp = NULL;
        for (unsigned i = 0; i < ei->phnum; i++) {
            if (ei->ph[i].type == PT_INTERP) {
                char *s = g_malloc0(ei->ph[i].filesz + 1);
                if (read_exact(fd, s, ei->ph[i].filesz, ei->ph[i].offset)) {
                    *interp = s;
                } else {
                    g_free(s);
                }
            }
        }
    }
    close(fd);
    g_free(host_path);
    return ok;
}

/* ---- the initial stack ---- */

typedef struct StackBuilder {
    uint64_t sp;
    unsigned word;              /* 8 or 4 */
} StackBuilder;

static uint64_t push_bytes(StackBuilder *sb, const void *data, size_t len)
{
    sb->sp -= len;
    memcpy(g2h(sb->sp), data, len);
    return sb->sp;
}

static uint64_t push_string(StackBuilder *sb, const char *s)
{
    return push_bytes(sb, s, strlen(s) + 1);
}

static void put_word(StackBuilder *sb, uint64_t *at, uint64_t v)
{
    if (sb->word == 8) {
        memcpy(g2h(*at), &v, 8);
    } else {
        uint32_t w = (uint32_t)v;
        memcpy(g2h(*at), &w, 4);
    }
    *at += sb->word;
}

static uint64_t hwcap(void)
{
    return 0x07808111u;         /* CPUID.1:EDX: FPU TSC CX8 CMOV MMX FXSR SSE SSE2 */
}

static void build_stack(UserImage *img, char **argv, char **envp,
                        uint64_t entry, uint64_t interp_base)
{
    StackBuilder sb = { .sp = img->stack_top, .word = user_cfg.is64 ? 8 : 4 };
    unsigned argc = g_strv_length(argv), envc = g_strv_length(envp);
    uint64_t *argp = g_new(uint64_t, argc + 1), *envpp = g_new(uint64_t, envc + 1);

    uint64_t execfn = push_string(&sb, user_cfg.exe_path);
    for (unsigned i = envc; i-- > 0;) {
        envpp[i] = push_string(&sb, envp[i]);
    }
    for (unsigned i = argc; i-- > 0;) {
        argp[i] = push_string(&sb, argv[i]);
    }
    uint64_t platform = push_string(&sb, user_cfg.is64 ? "x86_64" : "i686");
    uint8_t rnd[16];
    for (int i = 0; i < 16; i++) {
        rnd[i] = (uint8_t)g_random_int();
    }
    sb.sp &= ~15ull;
    uint64_t random = push_bytes(&sb, rnd, 16);

    uint64_t auxv[][2] = {
        { AT_PHDR, img->phdr }, { AT_PHENT, img->phent },
        { AT_PHNUM, img->phnum }, { AT_PAGESZ, GUEST_PAGE },
        { AT_BASE, interp_base }, { AT_FLAGS, 0 }, { AT_ENTRY, entry },
        { AT_UID, getuid() }, { AT_EUID, geteuid() }, { AT_GID, getgid() },
        { AT_EGID, getegid() }, { AT_HWCAP, hwcap() }, { AT_HWCAP2, 0 },
        { AT_CLKTCK, (uint64_t)sysconf(_SC_CLK_TCK) }, { AT_SECURE, 0 },
        { AT_RANDOM, random }, { AT_EXECFN, execfn },
        { AT_PLATFORM, platform }, { AT_NULL, 0 },
    };
    unsigned n_aux = G_N_ELEMENTS(auxv);
    unsigned words = 1 + argc + 1 + envc + 1 + 2 * n_aux;
    sb.sp -= (uint64_t)words * sb.word;
    sb.sp &= ~15ull;
    uint64_t at = sb.sp;
    put_word(&sb, &at, argc);
    for (unsigned i = 0; i < argc; i++) {
        put_word(&sb, &at, argp[i]);
    }
    put_word(&sb, &at, 0);
    for (unsigned i = 0; i < envc; i++) {
        put_word(&sb, &at, envpp[i]);
    }
    put_word(&sb, &at, 0);
    for (unsigned i = 0; i < n_aux; i++) {
        put_word(&sb, &at, auxv[i][0]);
        put_word(&sb, &at, auxv[i][1]);
    }
    img->sp = sb.sp;
    g_free(argp);
    g_free(envpp);
}

bool user_load_elf(const char *path, char **argv, char **envp,
                   UserImage *img, GError **errp)
{
    ElfInfo ei = { 0 }, ii = { 0 };
    uint64_t bias, brk;
    char *interp = NULL;
    bool ok = false;

    if (!load_one(path, false, &ei, &bias, &brk, &interp, errp)) {
        goto out;
    }
    img->entry = bias + ei.entry;
    img->load_bias = bias;
    img->phent = ei.phentsize;
    img->phnum = ei.phnum;
    img->phdr = 0;
    for (unsigned i = 0; i < ei.phnum; i++) {
        if (ei.ph[i].type == PT_PHDR) {
            img->phdr = bias + ei.ph[i].vaddr;
        }
    }
    if (!img->phdr) {
        for (unsigned i = 0; i < ei.phnum; i++) {
            Phdr *p = &ei.ph[i];
            if (p->type == PT_LOAD && p->offset <= ei.phoff &&
                ei.phoff < p->offset + p->filesz) {
                img->phdr = bias + p->vaddr + (ei.phoff - p->offset);
            }
        }
    }
    img->start_brk = GUEST_PAGE_ALIGN(brk);
    if (interp) {
        uint64_t ibias, ibrk;
        if (!load_one(interp, true, &ii, &ibias, &ibrk, NULL, errp)) {
            goto out;
        }
        img->interp_base = ibias;
        img->interp_entry = ibias + ii.entry;
    }
    /* the stack */
    uint64_t size = user_cfg.stack_size;
    int64_t r = user_mmap(0, size + GUEST_PAGE, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NOMEM,
                    "cannot allocate the guest stack");
        goto out;
    }
    user_mprotect((uint64_t)r, GUEST_PAGE, PROT_NONE);
    user_mem_name((uint64_t)r + GUEST_PAGE, size, "[stack]");
    img->stack_top = (uint64_t)r + size + GUEST_PAGE;
    build_stack(img, argv, envp, img->entry, img->interp_base);
    ok = true;
out:
    g_free(ei.ph);
    g_free(ii.ph);
    g_free(interp);
    return ok;
}
