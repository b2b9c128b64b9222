/*
 * x86_64 guest system calls on an x86_64 host.  Guest and host share the
 * syscall ABI and (guest_base == 0) the address space, so most calls pass
 * straight through; this file intercepts those touching emulator state:
 * memory map, brk, signals, threads (clone: one host thread per guest
 * thread), exec (re-enters the emulator), exit, arch_prctl and the
 * /proc/self files that must describe the guest.
 * Constraint: library code never exits except on the guest's own exit.
 */
#include "config.h"
#include "user.h"
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

static const char *const syscall_names[] = {
#include "syscall-names-x86_64.h"
};

const char *user_syscall_name(int64_t nr)
{
    if (nr >= 0 && (uint64_t)nr < G_N_ELEMENTS(syscall_names) &&
        syscall_names[nr]) {
        return syscall_names[nr];
    }
    return "unknown";
}

int64_t user_syscall_number(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(syscall_names); i++) {
        if (syscall_names[i] && !strcmp(syscall_names[i], name)) {
            return (int64_t)i;
        }
    }
    return -1;
}

__thread sigjmp_buf *user_syscall_fault;
static __thread uint64_t clear_child_tid;
static int live_threads = 1;

/* ---- /proc/self ---- */

static bool is_proc_self(const char *path, const char *what)
{
    char buf[64];
    if (!strncmp(path, "/proc/self/", 11)) {
        return !strcmp(path + 11, what);
    }
    g_snprintf(buf, sizeof(buf), "/proc/%d/", getpid());
    return !strncmp(path, buf, strlen(buf)) && !strcmp(path + strlen(buf), what);
}

static int open_memfd_with(const char *text)
{
    int fd = memfd_create("emu-proc", MFD_CLOEXEC);
    if (fd < 0) {
        return -errno;
    }
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t)len) {
        close(fd);
        return -EIO;
    }
    lseek(fd, 0, SEEK_SET);
    return fd;
}

static int64_t sys_openat(int dirfd, uint64_t gpath, int flags, int mode)
{
    const char *path = g2h(gpath);
    if (is_proc_self(path, "exe")) {
        path = user_cfg.exe_path;
        dirfd = AT_FDCWD;
    }
    if (is_proc_self(path, "maps")) {
        char *text = user_maps_text();
        int fd = open_memfd_with(text);
        g_free(text);
        return fd;
    }
    long r = syscall(SYS_openat, dirfd, path, flags, mode);
    return r < 0 ? -errno : r;
}

static int64_t sys_readlinkat(int dirfd, uint64_t gpath, uint64_t buf,
                              uint64_t size)
{
    const char *path = g2h(gpath);
    if (is_proc_self(path, "exe")) {
        size_t n = MIN(strlen(user_cfg.exe_path), size);
        memcpy(g2h(buf), user_cfg.exe_path, n);
        return (int64_t)n;
    }
    long r = syscall(SYS_readlinkat, dirfd, path, g2h(buf), size);
    return r < 0 ? -errno : r;
}

/* ---- exec: run the new program under this emulator too ---- */

static bool read_shebang(const char *path, char **interp, char **arg)
{
    char buf[256];
    FILE *f = fopen(path, "re");
    if (!f) {
        return false;
    }
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    if (n < 3 || buf[0] != '#' || buf[1] != '!') {
        return false;
    }
    char *line = buf + 2, *nl = strchr(line, '\n');
    if (nl) {
        *nl = 0;
    }
    g_strstrip(line);
    char *sp = strpbrk(line, " \t");
    if (sp) {
        *sp = 0;
        *arg = g_strdup(g_strstrip(sp + 1));
    } else {
        *arg = NULL;
    }
    *interp = g_strdup(line);
    return **interp != 0;
}

/* A guest's NULL-terminated array of string pointers (4-byte pointers
 * for i386 guests). */
static char **guest_strv(uint64_t gv)
{
    GPtrArray *a = g_ptr_array_new();
    unsigned word = user_cfg.is64 ? 8 : 4;
    for (uint64_t at = gv; gv; at += word) {
        uint64_t p = 0;
        memcpy(&p, g2h(at), word);
        if (!p) {
            break;
        }
        g_ptr_array_add(a, g_strdup(g2h(p)));
    }
    g_ptr_array_add(a, NULL);
    return (char **)g_ptr_array_free(a, FALSE);
}

static bool elf_is_32bit(const char *path)
{
    unsigned char id[EI_NIDENT] = { 0 };
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return !user_cfg.is64;
    }
    bool ok = read(fd, id, sizeof(id)) == (ssize_t)sizeof(id) &&
              !memcmp(id, ELFMAG, SELFMAG);
    close(fd);
    return ok ? id[EI_CLASS] == ELFCLASS32 : !user_cfg.is64;
}

static int64_t exec_path(const char *path, uint64_t gargv, uint64_t genvp)
{
    char *real = is_proc_self(path, "exe") ? g_strdup(user_cfg.exe_path)
                                           : user_path(path);
    if (access(real, X_OK) != 0) {
        int e = errno;
        g_free(real);
        return -e;
    }
    char **argv = guest_strv(gargv), **envp = guest_strv(genvp);
    GPtrArray *args = g_ptr_array_new();
    g_ptr_array_add(args, NULL);        /* argv[0]: the emulator's name */
    for (char **o = user_cfg.emu_args; o && *o; o++) {
        g_ptr_array_add(args, *o);
    }
    char *interp = NULL, *iarg = NULL;
    bool shebang = read_shebang(real, &interp, &iarg);
    char *target = shebang ? user_path(interp) : g_strdup(real);
    /* the emulator picks the guest architecture from its argv[0], and
     * the program's ELF class picks the emulator, as the kernel would */
    args->pdata[0] = elf_is_32bit(target) ? "emu-i386" : "emu-x86_64";
    g_free(target);
    if (shebang) {
        g_ptr_array_add(args, interp);
        if (iarg) {
            g_ptr_array_add(args, iarg);
        }
        g_ptr_array_add(args, (char *)path);
    } else {
        g_ptr_array_add(args, "-0");
        g_ptr_array_add(args, argv[0] ? argv[0] : (char *)path);
        g_ptr_array_add(args, real);
    }
    for (unsigned i = 1; argv[0] && argv[i]; i++) {
        g_ptr_array_add(args, argv[i]);
    }
    g_ptr_array_add(args, NULL);
    fflush(NULL);
    execve(user_cfg.emu_path, (char **)args->pdata, envp);
    int e = errno;
    g_ptr_array_free(args, TRUE);
    g_strfreev(argv);
    g_strfreev(envp);
    g_free(real);
    return -e;
}

/* execveat: the path relative to dirfd (or dirfd's file itself with
 * AT_EMPTY_PATH) becomes a path for exec_path. */
static int64_t sys_execveat(int dirfd, uint64_t gpath, uint64_t gargv,
                            uint64_t genvp, int flags)
{
    const char *path = g2h(gpath);
    if (path[0] == '/' || (dirfd == AT_FDCWD && path[0])) {
        return exec_path(path, gargv, genvp);
    }
    if (!path[0] && !(flags & AT_EMPTY_PATH)) {
        return -ENOENT;
    }
    char link[64];
    g_snprintf(link, sizeof(link), dirfd == AT_FDCWD ? "/proc/self/cwd"
               : "/proc/self/fd/%d", dirfd);
    char *dir = g_file_read_link(link, NULL);
    if (!dir) {
        return -EBADF;
    }
    char *full = path[0] ? g_build_filename(dir, path, NULL) : g_strdup(dir);
    int64_t r = exec_path(full, gargv, genvp);
    g_free(full);
    g_free(dir);
    return r;
}

/* ---- threads ---- */

/* CLONE_SETTLS: x86_64 passes the %fs base, i386 a struct user_desc. */
static void set_tls(EmuJitCpu *cpu, uint64_t tls)
{
    if (user_cfg.is64) {
        emu_jit_cpu_class(cpu)->set_reg(emu_jit_cpu_env(cpu), EMU_X86_FS_BASE, tls);
    } else {
        user_i386_set_tls(cpu, tls);
    }
}

typedef struct CloneStart {
    EmuJitCpu *cpu;
    uint64_t flags, ptid, ctid;
    sigset_t mask;
    GMutex lock;
    GCond cond;
    pid_t tid;
    bool started;
} CloneStart;

static void *thread_main(void *opaque)
{
    CloneStart *cs = opaque;
    EmuJitCpu *cpu = cs->cpu;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    if (cs->flags & CLONE_PARENT_SETTID) {
        *(int32_t *)g2h(cs->ptid) = tid;
    }
    if (cs->flags & CLONE_CHILD_SETTID) {
        *(int32_t *)g2h(cs->ctid) = tid;
    }
    if (cs->flags & CLONE_CHILD_CLEARTID) {
        clear_child_tid = cs->ctid;
    }
    pthread_sigmask(SIG_SETMASK, &cs->mask, NULL);
    g_mutex_lock(&cs->lock);
    cs->tid = tid;
    cs->started = true;
    g_cond_signal(&cs->cond);
    g_mutex_unlock(&cs->lock);
    user_cpu_loop(cpu);
    return NULL;
}

static int64_t clone_thread(EmuJitCpu *parent, uint64_t flags, uint64_t newsp,
                            uint64_t ptid, uint64_t ctid, uint64_t tls)
{
    const EmuCpuClass *cls = emu_jit_cpu_class(parent);
    EmuJitCpu *cpu = user_cpu_clone(parent);
    if (!cpu) {
        return -ENOMEM;
    }
    void *env = emu_jit_cpu_env(cpu);
    cls->set_reg(env, EMU_X86_RAX, 0);
    if (newsp) {
        cls->set_reg(env, EMU_X86_RSP, newsp);
    }
    if (flags & CLONE_SETTLS) {
        set_tls(cpu, tls);
    }
    CloneStart cs = { .cpu = cpu, .flags = flags, .ptid = ptid, .ctid = ctid };
    g_mutex_init(&cs.lock);
    g_cond_init(&cs.cond);
    pthread_sigmask(SIG_SETMASK, NULL, &cs.mask);
    sigset_t all;
    sigfillset(&all);
    sigset_t old;
    pthread_sigmask(SIG_SETMASK, &all, &old);
    __atomic_add_fetch(&live_threads, 1, __ATOMIC_SEQ_CST);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 1 << 20);
    pthread_t th;
    int err = pthread_create(&th, &attr, thread_main, &cs);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err) {
        __atomic_sub_fetch(&live_threads, 1, __ATOMIC_SEQ_CST);
        emu_jit_cpu_free(cpu);
        return -err;
    }
    g_mutex_lock(&cs.lock);
    while (!cs.started) {
        g_cond_wait(&cs.cond, &cs.lock);
    }
    g_mutex_unlock(&cs.lock);
    g_mutex_clear(&cs.lock);
    g_cond_clear(&cs.cond);
    return cs.tid;
}

/* vfork runs as fork (the child gets a copy of the memory, not the
 * parent's), but the parent waits, as it would, until the child execs or
 * exits: it reads a close-on-exec pipe whose writing end only the child
 * keeps, up among the high descriptors the guest is unlikely to use.
 *
 * What a vfork child writes into the parent's live stack (from the
 * parent's stack pointer to the top of its stack area) reaches the
 * parent: posix_spawn's child reports a failed exec there.  A child that
 * exits without exec asks the parent over that pipe, and waits for the
 * answer on a second one; the parent reads the range from the child
 * (process_vm_readv: a parent may read its child) and takes every byte
 * that differs from its snapshot of the range at vfork time, so writes
 * by the parent's other threads in the meantime are kept.  A sharing
 * vfork is not done: the child would run the emulator on the parent
 * thread's host TLS (the JIT's and the syscall layer's per-thread state,
 * glibc's own), which the suspended parent still owns. */
typedef struct VforkPipes {
    int done[2];                /* child -> parent; EOF: exec or exit */
    int ack[2];                 /* parent -> child: stack taken */
} VforkPipes;

static struct {
    bool active;                /* in a vfork child, before its exec */
    int done_fd, ack_fd;
} vfork_child;

static int high_cloexec_fd(int fd)
{
    int h = fcntl(fd, F_DUPFD_CLOEXEC, 900);
    close(fd);
    return h;
}

static void vfork_pipe(VforkPipes *v)
{
    int p[2], a[2];
    v->done[0] = v->done[1] = v->ack[0] = v->ack[1] = -1;
    if (pipe2(p, O_CLOEXEC) == 0 && pipe2(a, O_CLOEXEC) == 0) {
        v->done[0] = high_cloexec_fd(p[0]);
        v->done[1] = high_cloexec_fd(p[1]);
        v->ack[0] = high_cloexec_fd(a[0]);
        v->ack[1] = high_cloexec_fd(a[1]);
    }
}

static void vfork_close(VforkPipes *v)
{
    for (int i = 0; i < 2; i++) {
        close(v->done[i]);
        close(v->ack[i]);
    }
}

/* The child's bytes of [start, start + len) that differ from snap */
static void take_child_stack(pid_t child, uint64_t start, const uint8_t *snap,
                             size_t len)
{
    uint8_t *mine = g2h(start), *theirs = g_try_malloc(len);
    struct iovec local = { theirs, len }, remote = { g2h(start), len };
    if (theirs && process_vm_readv(child, &local, 1, &remote, 1, 0) ==
                  (ssize_t)len) {
        for (size_t i = 0; i < len; i++) {
            if (theirs[i] != snap[i]) {
                mine[i] = theirs[i];
            }
        }
    }
    g_free(theirs);
}

static void vfork_wait(VforkPipes *v, pid_t child, uint64_t sp,
                       const uint8_t *snap, size_t len)
{
    char c;
    close(v->done[1]);
    close(v->ack[0]);
    ssize_t n;
    while (v->done[0] >= 0 && ((n = read(v->done[0], &c, 1)) > 0 ||
                               (n < 0 && errno == EINTR))) {
        if (n > 0 && snap) {
            take_child_stack(child, sp, snap, len);
        }
        if (n > 0 && write(v->ack[1], &c, 1) < 0) {
            break;
        }
    }
    close(v->done[0]);
    close(v->ack[1]);
}

/* In a vfork child about to exit: the parent takes its stack first. */
static void vfork_child_exit(void)
{
    char c = 'x';
    if (!vfork_child.active) {
        return;
    }
    vfork_child.active = false;
    if (write(vfork_child.done_fd, &c, 1) == 1) {
        while (read(vfork_child.ack_fd, &c, 1) < 0 && errno == EINTR) {
        }
    }
}

/* The parent's live stack: its stack pointer to the end of that area */
static uint8_t *snapshot_stack(EmuJitCpu *cpu, uint64_t *sp, size_t *len)
{
    *sp = emu_jit_cpu_class(cpu)->get_reg(emu_jit_cpu_env(cpu), EMU_X86_RSP);
    uint64_t end = user_mem_area_end(*sp);
    *len = end > *sp ? (size_t)(end - *sp) : 0;
    return *len && *len <= (64u << 20) ? g_memdup2(g2h(*sp), *len) : NULL;
}

static int64_t clone_process(EmuJitCpu *cpu, uint64_t flags, uint64_t newsp,
                             uint64_t ptid, uint64_t ctid, uint64_t tls)
{
    const EmuCpuClass *cls = emu_jit_cpu_class(cpu);
    void *env = emu_jit_cpu_env(cpu);
    VforkPipes vp = { { -1, -1 }, { -1, -1 } };
    uint64_t sp = 0;
    size_t len = 0;
    uint8_t *snap = NULL;
    if (flags & CLONE_VFORK) {
        vfork_pipe(&vp);
        snap = snapshot_stack(cpu, &sp, &len);
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        vfork_close(&vp);
        g_free(snap);
        return -e;
    }
    if (pid == 0) {
        close(vp.done[0]);
        close(vp.ack[1]);
        vfork_child.active = (flags & CLONE_VFORK) && vp.done[1] >= 0;
        vfork_child.done_fd = vp.done[1];
        vfork_child.ack_fd = vp.ack[0];
        g_free(snap);
        if (!user_cfg.is64) {
            user_i386_robust_forget();
        }
        if (newsp) {
            cls->set_reg(env, EMU_X86_RSP, newsp);
        }
        if (flags & CLONE_SETTLS) {
            set_tls(cpu, tls);
        }
        if (flags & CLONE_CHILD_SETTID) {
            *(int32_t *)g2h(ctid) = getpid();
        }
        if (flags & CLONE_CHILD_CLEARTID) {
            clear_child_tid = ctid;
        }
        live_threads = 1;
        return 0;
    }
    if (flags & CLONE_PARENT_SETTID) {
        *(int32_t *)g2h(ptid) = pid;
    }
    if (flags & CLONE_VFORK) {
        vfork_wait(&vp, pid, sp, snap, len);
    }
    g_free(snap);
    return pid;
}

int64_t user_clone(EmuJitCpu *cpu, uint64_t flags, uint64_t newsp,
                   uint64_t ptid, uint64_t ctid, uint64_t tls)
{
    if ((flags & CLONE_VM) && !(flags & CLONE_VFORK)) {
        if (!(flags & CLONE_THREAD)) {
            return -EINVAL;     /* shared VM without threads: unsupported */
        }
        return clone_thread(cpu, flags, newsp, ptid, ctid, tls);
    }
    return clone_process(cpu, flags, newsp, ptid, ctid, tls);
}

static G_GNUC_NORETURN void thread_exit(int status)
{
    if (!user_cfg.is64) {
        user_i386_robust_exit();    /* x86_64 lists: the host kernel's */
    }
    if (clear_child_tid) {
        __atomic_store_n((int32_t *)g2h(clear_child_tid), 0, __ATOMIC_SEQ_CST);
        syscall(SYS_futex, g2h(clear_child_tid), FUTEX_WAKE, INT32_MAX, NULL,
                NULL, 0);
    }
    if (__atomic_sub_fetch(&live_threads, 1, __ATOMIC_SEQ_CST) == 0) {
        user_gdb_exit(status);      /* the last thread: the process ends */
        vfork_child_exit();
        fflush(NULL);
        _exit(status);
    }
    pthread_exit(NULL);     /* its EmuJitCpu stays: nothing frees vCPUs */
}

static int64_t sys_arch_prctl(EmuJitCpu *cpu, int code, uint64_t addr)
{
    const EmuCpuClass *cls = emu_jit_cpu_class(cpu);
    void *env = emu_jit_cpu_env(cpu);
    switch (code) {
    case ARCH_SET_FS: cls->set_reg(env, EMU_X86_FS_BASE, addr); return 0;
    case ARCH_SET_GS: cls->set_reg(env, EMU_X86_GS_BASE, addr); return 0;
    case ARCH_GET_FS:
        *(uint64_t *)g2h(addr) = cls->get_reg(env, EMU_X86_FS_BASE);
        return 0;
    case ARCH_GET_GS:
        *(uint64_t *)g2h(addr) = cls->get_reg(env, EMU_X86_GS_BASE);
        return 0;
    default:
        return -EINVAL;
    }
}

static int64_t passthrough(int64_t nr, uint64_t a1, uint64_t a2, uint64_t a3,
                           uint64_t a4, uint64_t a5, uint64_t a6)
{
    long r = syscall(nr, a1, a2, a3, a4, a5, a6);
    if (r == -1 && errno == EFAULT && user_smc_unprotect_all()) {
        r = syscall(nr, a1, a2, a3, a4, a5, a6);
    }
    return r == -1 ? -errno : r;
}

static int64_t syscall_switch(EmuJitCpu *cpu, int64_t nr, uint64_t a1,
                              uint64_t a2, uint64_t a3, uint64_t a4,
                              uint64_t a5, uint64_t a6)
{
    switch (nr) {
    case SYS_brk: return user_brk(a1);
    case SYS_mmap: return user_mmap(a1, a2, (int)a3, (int)a4, (int)a5, (int64_t)a6);
    case SYS_munmap: return user_munmap(a1, a2);
    case SYS_mprotect: return user_mprotect(a1, a2, (int)a3);
    case SYS_mremap: return user_mremap(a1, a2, a3, (int)a4, a5);
    case SYS_exit: thread_exit((int)a1);
    case SYS_exit_group:
        if (!user_cfg.is64) {
            user_i386_robust_exit();
        }
        user_gdb_exit((int)a1);         /* gdb hears of it first */
        vfork_child_exit();
        fflush(NULL);
        _exit((int)a1);
    case SYS_arch_prctl: return sys_arch_prctl(cpu, (int)a1, a2);
    case SYS_set_tid_address:
        clear_child_tid = a1;
        return syscall(SYS_gettid);
    case SYS_rt_sigaction: return user_rt_sigaction((int)a1, a2, a3, a4);
    case SYS_rt_sigprocmask: return user_rt_sigprocmask((int)a1, a2, a3, a4);
    case SYS_sigaltstack: return user_sigaltstack(cpu, a1, a2);
    case SYS_rt_sigreturn: return user_rt_sigreturn(cpu);
    case SYS_clone: return user_clone(cpu, a1, a2, a3, a4, a5);
    case SYS_fork: return clone_process(cpu, SIGCHLD, 0, 0, 0, 0);
    case SYS_vfork: return clone_process(cpu, CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
    case SYS_clone3: case SYS_rseq: return -ENOSYS;
    case SYS_execve: return exec_path(g2h(a1), a2, a3);
    case SYS_execveat: return sys_execveat((int)a1, a2, a3, a4, (int)a5);
    case SYS_open: return sys_openat(AT_FDCWD, a1, (int)a2, (int)a3);
    case SYS_openat: return sys_openat((int)a1, a2, (int)a3, (int)a4);
    case SYS_readlink: return sys_readlinkat(AT_FDCWD, a1, a2, a3);
    case SYS_readlinkat: return sys_readlinkat((int)a1, a2, a3, a4);
    case SYS_ptrace: return -EPERM;
    case SYS_shmat: return user_shmat((int)a1, a2, (int)a3);
    case SYS_shmdt: return user_shmdt(a1);
    case SYS_modify_ldt: return -ENOSYS;
    default:
        return passthrough(nr, a1, a2, a3, a4, a5, a6);
    }
}

int64_t user_syscall(EmuJitCpu *cpu, int64_t nr, uint64_t a1, uint64_t a2,
                     uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6)
{
    sigjmp_buf fault, *outer = user_syscall_fault;
    if (sigsetjmp(fault, 0)) {
        user_syscall_fault = outer;
        return -EFAULT;
    }
    user_syscall_fault = &fault;
    int64_t r = syscall_switch(cpu, nr, a1, a2, a3, a4, a5, a6);
    user_syscall_fault = outer;
    return r;
}
