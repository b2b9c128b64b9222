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
int user_mem_prot(uint64_t addr);           /* -1: unmapped */
int64_t user_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd,
                  int64_t off);
int64_t user_munmap(uint64_t addr, uint64_t len);
int64_t user_mprotect(uint64_t addr, uint64_t len, int prot);
int64_t user_mremap(uint64_t old, uint64_t old_len, uint64_t new_len,
                    int flags, uint64_t new_addr);
int64_t user_brk(uint64_t addr);
void user_brk_init(uint64_t start);
bool user_smc_fault(uint64_t addr);
char *user_maps_text(void);

/* syscall.c */
int64_t user_syscall(EmuJitCpu *cpu, int64_t nr, uint64_t a1, uint64_t a2,
                     uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6);
const char *user_syscall_name(int64_t nr);

/* signal.c */
void user_signal_init(void);
void user_signal_deliver(EmuJitCpu *cpu);
int64_t user_rt_sigaction(int sig, uint64_t act, uint64_t oact, uint64_t size);
int64_t user_rt_sigprocmask(int how, uint64_t set, uint64_t oset, uint64_t size);
int64_t user_sigaltstack(EmuJitCpu *cpu, uint64_t ss, uint64_t oss);
int64_t user_rt_sigreturn(EmuJitCpu *cpu);
void user_queue_signal(int sig, int code, uint64_t addr);
bool user_signal_pending(void);
void user_force_signal(EmuJitCpu *cpu, int sig, int code, uint64_t addr);

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
