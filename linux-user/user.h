/*
 * linux-user internals: one guest process emulated on the host kernel.
 * Guest address a is host address guest_base + a (guest_base is 0 for
 * x86_64 guests on x86_64 hosts).  Each guest thread runs on its own
 * host thread with its own EmuJitCpu.
 */
#ifndef LINUX_USER_H
#define LINUX_USER_H

#include <emu/cpu.h>
#include <emu/jit.h>
#include <emu/log.h>
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <signal.h>

#define GUEST_PAGE 4096ull
#define GUEST_PAGE_ALIGN(x) (((x) + GUEST_PAGE - 1) & ~(GUEST_PAGE - 1))
/* i386 guests: mappings the emulator places go below GUEST_LOW_TOP and
 * above GUEST_LOW_MIN (the first 64 KiB stay unmapped, like mmap_min_addr) */
#define GUEST_LOW_TOP 0xffffe000ull
#define GUEST_LOW_MIN 0x10000ull
/* x86_64 guests: the largest -R (the 47-bit user address space) */
#define GUEST_SPACE_MAX (1ull << 47)

typedef struct UserImage {
    uint64_t entry;             /* of the program itself */
    uint64_t interp_entry;      /* of the dynamic loader, 0 for static */
    uint64_t interp_base;
    uint64_t load_bias;
    uint64_t phdr, phent, phnum;
    uint64_t start_brk;
    uint64_t stack_top, sp;     /* initial stack pointer */
} UserImage;

typedef struct UserConfig {
    const EmuCpuClass *cls;
    const char *cpu_model;
    bool is64;
    char *ld_prefix;            /* -L */
    uint64_t stack_size;        /* -s */
    char *exe_path;             /* absolute guest program path */
    char *argv0;                /* -0 */
    char *emu_path;             /* this emulator, for execve */
    char **emu_args;            /* options to pass to children on execve */
    bool strace;
    uint64_t reserved_va;       /* -R: guest address space size, 0: all */
} UserConfig;

extern UserConfig user_cfg;
extern uint64_t guest_base;

static inline void *g2h(uint64_t a) { return (void *)(uintptr_t)(guest_base + a); }
static inline uint64_t h2g(const void *p) { return (uint64_t)(uintptr_t)p - guest_base; }

/* elfload.c */
bool user_load_elf(const char *path, char **argv, char **envp,
                   UserImage *img, GError **errp);
char *user_path(const char *guest_path);    /* -L prefix applied */

/* mmap.c */
void user_mem_init(void);
void user_mem_set(uint64_t start, uint64_t len, int prot);
void user_mem_clear(uint64_t start, uint64_t len);
void user_mem_name(uint64_t start, uint64_t len, const char *name);
int user_mem_prot(uint64_t addr);           /* -1: unmapped */
uint64_t user_mem_area_end(uint64_t addr);  /* 0: unmapped */
int64_t user_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd,
                  int64_t off);
int64_t user_munmap(uint64_t addr, uint64_t len);
int64_t user_mprotect(uint64_t addr, uint64_t len, int prot);
int64_t user_mremap(uint64_t old, uint64_t old_len, uint64_t new_len,
                    int flags, uint64_t new_addr);
int64_t user_brk(uint64_t addr);
void user_brk_init(uint64_t start);
bool user_smc_fault(uint64_t addr);
bool user_smc_unprotect_all(void);
uint64_t user_low_top(void);
int64_t user_shmat(int id, uint64_t addr, int flags);
int64_t user_shmdt(uint64_t addr);
char *user_maps_text(void);

/* syscall.c */
int64_t user_syscall(EmuJitCpu *cpu, int64_t nr, uint64_t a1, uint64_t a2,
                     uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6);
const char *user_syscall_name(int64_t nr);

/* signal.c: guest sigaction and sigaltstack in host-side form */
typedef struct GuestSigaction {
    uint64_t handler, flags, restorer, mask;
} GuestSigaction;
typedef struct GuestStack {
    uint64_t sp;
    int32_t flags, pad;
    uint64_t size;
} GuestStack;
int64_t user_sigaction(int sig, const GuestSigaction *act, GuestSigaction *oact);
int64_t user_sigaltstack_do(EmuJitCpu *cpu, const GuestStack *ss, GuestStack *oss);
uint64_t user_sigmask_get(void);
void user_sigmask_set(uint64_t mask);
void user_signal_init(void);
void user_signal_deliver(EmuJitCpu *cpu);
int64_t user_rt_sigaction(int sig, uint64_t act, uint64_t oact, uint64_t size);
int64_t user_rt_sigprocmask(int how, uint64_t set, uint64_t oset, uint64_t size);
int64_t user_sigaltstack(EmuJitCpu *cpu, uint64_t ss, uint64_t oss);
int64_t user_rt_sigreturn(EmuJitCpu *cpu);
void user_queue_signal(int sig, int code, uint64_t addr);
bool user_signal_pending(void);
void user_force_signal(EmuJitCpu *cpu, int sig, int code, uint64_t addr);

/* While the emulator handles a system call it may read and write guest
 * memory itself: a fault on a bad guest pointer then jumps here, and the
 * call returns EFAULT, as the kernel's would. */
#include <setjmp.h>
extern __thread sigjmp_buf *user_syscall_fault;

/* syscall.c, shared with the i386 layer */
int64_t user_syscall_number(const char *name);     /* x86_64, -1: none */
int64_t user_clone(EmuJitCpu *cpu, uint64_t flags, uint64_t newsp,
                   uint64_t ptid, uint64_t ctid, uint64_t tls);

/* syscall-i386.c: int $0x80 from an i386 guest */
void user_syscall_i386(EmuJitCpu *cpu);
void user_i386_set_tls(EmuJitCpu *cpu, uint64_t user_desc);

/* signal-i386.c: i386 signal frames */
void user_i386_build_frame(EmuJitCpu *cpu, int sig, const siginfo_t *info,
                           const GuestSigaction *ga, uint64_t sp, uint64_t mask,
                           const GuestStack *st);
int64_t user_i386_sigreturn(EmuJitCpu *cpu, bool rt);
void user_i386_siginfo(void *dst, const siginfo_t *info);
void user_i386_sigevent(uint32_t gev, struct sigevent *ev);

/* ipc-i386.c: SysV IPC (ipc(2) and the direct calls) and mq_*; false
 * when the call is none of them */
bool user_i386_ipc(const char *name, const uint32_t a[6], int64_t *r);

/* compat-i386.c: the old i386 calls (getdents, 16-bit uids, robust
 * futex lists walked at thread exit, ...); false when not one of them */
bool user_i386_compat(EmuJitCpu *cpu, const char *name, const uint32_t a[6],
                      int64_t *r);
void user_i386_robust_exit(void);
void user_i386_robust_forget(void);

/* gdbstub.c: -g; every hook does nothing without it */
bool user_gdb_listen(const char *spec, GError **errp);
/* Waits for gdb to connect; cpu is the main thread, stopped at entry. */
bool user_gdb_attach(EmuJitCpu *cpu, const UserImage *img, GError **errp);
/* Around emu_jit_cpu_exec in the vCPU loop: enter parks while gdb holds
 * the thread; exit reports breakpoints and steps, and returns the
 * exception left to handle (EMU_EXCP_NONE when gdb took it). */
void user_gdb_cpu_enter(EmuJitCpu *cpu);
int user_gdb_cpu_exit(EmuJitCpu *cpu, int excp, uint64_t aux);
/* A synchronous signal for the guest: returns the one gdb lets through
 * (0: none). */
int user_gdb_signal(EmuJitCpu *cpu, int sig);
void user_gdb_exit(int status);
void user_gdb_killed(int sig);

/* main.c */
int user_cpu_loop(EmuJitCpu *cpu);
EmuJitCpu *user_cpu_clone(EmuJitCpu *parent);

#endif
