/*
 * Guest signals for linux-user (x86_64 frame layout).
 *
 * The host signal mask mirrors the guest's (except the synchronous
 * signals the emulator needs), so blocking syscalls such as sigsuspend
 * can run on the host.  Host handlers only record the signal and kick the
 * vCPU; the vCPU loop then builds the guest's rt_sigframe (siginfo,
 * ucontext with the general registers, FXSAVE image) on the guest stack
 * or the sigaltstack and enters the guest handler.  rt_sigreturn undoes
 * it.  SIGSEGV/SIGBUS from guest memory accesses come back through the
 * JIT as EMU_EXCP_SEGV at the faulting instruction.
 */
#include "config.h"
#include "user.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NSIG_GUEST 65
#define SA_RESTORER_ 0x04000000u
#define SS_ONSTACK_ 1
#define SS_DISABLE_ 2

typedef struct PendingSignal {
    bool pending;
    siginfo_t info;
} PendingSignal;

static GuestSigaction actions[NSIG_GUEST];
static GMutex sig_lock;
static PendingSignal pending[NSIG_GUEST];   /* process-wide */

typedef struct ThreadSig {
    uint64_t mask;
    uint64_t alt_sp, alt_size;
    uint32_t alt_flags;
} ThreadSig;
static __thread ThreadSig tsig = { .alt_flags = SS_DISABLE_ };

static bool is_sync_signal(int sig)
{
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
           sig == SIGTRAP;
}

static void apply_host_mask(void)
{
    sigset_t set;
    sigemptyset(&set);
    for (int s = 1; s < NSIG_GUEST && s < 64; s++) {
        if ((tsig.mask & (1ull << (s - 1))) && !is_sync_signal(s) &&
            s != SIGKILL && s != SIGSTOP) {
            sigaddset(&set, s);
        }
    }
    pthread_sigmask(SIG_SETMASK, &set, NULL);
}

static void host_async_handler(int sig, siginfo_t *info, void *uc)
{
    if (sig <= 0 || sig >= NSIG_GUEST) {
        return;
    }
    pending[sig].info = *info;
    __atomic_store_n(&pending[sig].pending, true, __ATOMIC_SEQ_CST);
    EmuJitCpu *cpu = emu_jit_cpu_current();
    if (cpu) {
        emu_jit_cpu_kick(cpu);
    }
}

static void die_from_host_fault(int sig)
{
    signal(sig, SIG_DFL);
    raise(sig);
}

/* The handler runs with a fresh MXCSR; guest code that leaves from here
 * keeps the interrupted one (pending guest SSE flags, see EMU_JIT_FADD64).
 * Called last before leaving, so the handler's own C code cannot add
 * flags to it. */
static void restore_interrupted_mxcsr(const ucontext_t *uc)
{
#if defined(__x86_64__)
    if (uc->uc_mcontext.fpregs) {
        __builtin_ia32_ldmxcsr(uc->uc_mcontext.fpregs->mxcsr);
    }
#else
    (void)uc;
#endif
}

static void host_fault_handler(int sig, siginfo_t *info, void *ucp)
{
    uint64_t addr = h2g(info->si_addr);
    ucontext_t *uc = ucp;
    bool is_write = (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0;
    if (sig == SIGSEGV && is_write && user_smc_fault(addr)) {
        restore_interrupted_mxcsr(uc);
        emu_jit_restart_after_code_write(addr);
        return;         /* not the running block's code: write again */
    }
    restore_interrupted_mxcsr(uc);
    emu_jit_host_fault(addr, is_write);   /* leaves when in guest code */
    if (user_syscall_fault) {
        siglongjmp(*user_syscall_fault, 1);
    }
    die_from_host_fault(sig);
}

void user_signal_init(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = host_fault_handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    for (int s = 1; s < NSIG_GUEST; s++) {
        actions[s].handler = (uint64_t)(uintptr_t)SIG_DFL;
    }
    sigset_t cur;
    pthread_sigmask(SIG_SETMASK, NULL, &cur);
    for (int s = 1; s < 64; s++) {
        if (sigismember(&cur, s) == 1) {
            tsig.mask |= 1ull << (s - 1);
        }
        struct sigaction old;
        if (sigaction(s, NULL, &old) == 0 && old.sa_handler == SIG_IGN) {
            actions[s].handler = (uint64_t)(uintptr_t)SIG_IGN;
        }
    }
}

static void install_host_action(int sig, const GuestSigaction *ga)
{
    if (is_sync_signal(sig) || sig == SIGKILL || sig == SIGSTOP) {
        return;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    if (ga->handler == (uint64_t)(uintptr_t)SIG_IGN) {
        sa.sa_handler = SIG_IGN;
    } else if (ga->handler == (uint64_t)(uintptr_t)SIG_DFL) {
        sa.sa_handler = SIG_DFL;
    } else {
        sa.sa_sigaction = host_async_handler;
        sa.sa_flags = SA_SIGINFO | (ga->flags & SA_RESTART);
    }
    sigfillset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

int64_t user_sigaction(int sig, const GuestSigaction *act, GuestSigaction *oact)
{
    if (sig <= 0 || sig >= NSIG_GUEST) {
        return -EINVAL;
    }
    g_mutex_lock(&sig_lock);
    GuestSigaction old = actions[sig];
    if (act) {
        if (sig == SIGKILL || sig == SIGSTOP) {
            g_mutex_unlock(&sig_lock);
            return -EINVAL;
        }
        actions[sig] = *act;
        install_host_action(sig, &actions[sig]);
    }
    g_mutex_unlock(&sig_lock);
    if (oact) {
        *oact = old;
    }
    return 0;
}

int64_t user_rt_sigaction(int sig, uint64_t act, uint64_t oact, uint64_t size)
{
    GuestSigaction n, o;
    if (size != 8) {
        return -EINVAL;
    }
    if (act) {
        memcpy(&n, g2h(act), sizeof(n));
    }
    int64_t r = user_sigaction(sig, act ? &n : NULL, &o);
    if (r == 0 && oact) {
        memcpy(g2h(oact), &o, sizeof(o));
    }
    return r;
}

uint64_t user_sigmask_get(void)
{
    return tsig.mask;
}

void user_sigmask_set(uint64_t mask)
{
    tsig.mask = mask & ~((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)));
    apply_host_mask();
}

int64_t user_rt_sigprocmask(int how, uint64_t set, uint64_t oset, uint64_t size)
{
    uint64_t old = tsig.mask;
    if (size != 8) {
        return -EINVAL;
    }
    if (set) {
        uint64_t s;
        memcpy(&s, g2h(set), 8);
        s &= ~((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)));
        switch (how) {
        case SIG_BLOCK: tsig.mask |= s; break;
        case SIG_UNBLOCK: tsig.mask &= ~s; break;
        case SIG_SETMASK: tsig.mask = s; break;
        default: return -EINVAL;
        }
        apply_host_mask();
    }
    if (oset) {
        memcpy(g2h(oset), &old, 8);
    }
    return 0;
}

static bool on_altstack(uint64_t sp)
{
    return !(tsig.alt_flags & SS_DISABLE_) && sp > tsig.alt_sp &&
           sp <= tsig.alt_sp + tsig.alt_size;
}

int64_t user_sigaltstack_do(EmuJitCpu *cpu, const GuestStack *ss,
                            GuestStack *oss)
{
    const EmuCpuClass *cls = emu_jit_cpu_class(cpu);
    uint64_t sp = cls->get_reg(emu_jit_cpu_env(cpu), EMU_X86_RSP);
    if (oss) {
        *oss = (GuestStack){ tsig.alt_sp,
            (int32_t)(on_altstack(sp) ? SS_ONSTACK_ : tsig.alt_flags), 0,
            tsig.alt_size };
    }
    if (ss) {
        GuestStack n = *ss;
        if (on_altstack(sp)) {
            return -EPERM;
        }
        if (n.flags & SS_DISABLE_) {
            tsig.alt_flags = SS_DISABLE_;
            tsig.alt_sp = tsig.alt_size = 0;
        } else {
            if (n.size < 2048) {
                return -ENOMEM;
            }
            tsig.alt_flags = 0;
            tsig.alt_sp = n.sp;
            tsig.alt_size = n.size;
        }
    }
    return 0;
}

int64_t user_sigaltstack(EmuJitCpu *cpu, uint64_t ss, uint64_t oss)
{
    GuestStack n, o;
    if (ss) {
        memcpy(&n, g2h(ss), sizeof(n));
    }
    int64_t r = user_sigaltstack_do(cpu, ss ? &n : NULL, &o);
    if (oss) {
        memcpy(g2h(oss), &o, sizeof(o));
    }
    return r;
}

/* ---- frames ---- */

/* mcontext gregs order (glibc REG_*) to emu register numbers */
static const int greg_map[18] = {
    EMU_X86_R8, EMU_X86_R9, EMU_X86_R10, EMU_X86_R11, EMU_X86_R12, EMU_X86_R13,
    EMU_X86_R14, EMU_X86_R15, EMU_X86_RDI, EMU_X86_RSI, EMU_X86_RBP,
    EMU_X86_RBX, EMU_X86_RDX, EMU_X86_RAX, EMU_X86_RCX, EMU_X86_RSP,
    EMU_X86_RIP, EMU_X86_EFLAGS,
};

enum {
    FRAME_UC = 8,                   /* after pretcode */
    UC_MCONTEXT = 40,
    UC_SIGMASK = 40 + 256,
    UC_SIZE = 40 + 256 + 128,
    FRAME_INFO = FRAME_UC + UC_SIZE,
    FRAME_FP = ((FRAME_INFO + 128 + 63) / 64) * 64,
    FRAME_SIZE = FRAME_FP + 512 + 64,
};

static void build_frame(EmuJitCpu *cpu, int sig, const siginfo_t *info,
                        const GuestSigaction *ga)
{
    const EmuCpuClass *cls = emu_jit_cpu_class(cpu);
    void *env = emu_jit_cpu_env(cpu);
    uint64_t sp = cls->get_reg(env, EMU_X86_RSP);
    bool was_on_alt = on_altstack(sp);
    if ((ga->flags & SA_ONSTACK) && !(tsig.alt_flags & SS_DISABLE_) && !was_on_alt) {
        sp = tsig.alt_sp + tsig.alt_size;
    }
    if (!user_cfg.is64) {
        GuestStack st = { tsig.alt_sp,
                          (int32_t)(was_on_alt ? SS_ONSTACK_ : tsig.alt_flags), 0,
                          tsig.alt_size };
        user_i386_build_frame(cpu, sig, info, ga, sp, tsig.mask, &st);
        return;
    }
    sp -= 128;                          /* red zone */
    sp = ((sp - FRAME_SIZE) & ~63ull) - 8;  /* (sp + 8) % 16 == 0 at entry */
    uint8_t *f = g2h(sp);
    memset(f, 0, FRAME_SIZE);
    memcpy(f, &ga->restorer, 8);
    uint8_t *uc = f + FRAME_UC;
    uint64_t stack[3] = { tsig.alt_sp, (uint64_t)(was_on_alt ? SS_ONSTACK_ : tsig.alt_flags),
                          tsig.alt_size };
    memcpy(uc + 16, stack, sizeof(stack));
    uint64_t *gregs = (uint64_t *)(uc + UC_MCONTEXT);
    for (int i = 0; i < 18; i++) {
        gregs[i] = cls->get_reg(env, greg_map[i]);
    }
    gregs[18] = 0x33;                   /* cs */
    gregs[20] = sig == SIGSEGV ? 14 : 0;
    gregs[22] = sig == SIGSEGV ? (uint64_t)(uintptr_t)info->si_addr : 0;
    if (cls->fp_save && cls->fp_state_size <= 512) {
        cls->fp_save(env, f + FRAME_FP);
        gregs[23] = sp + FRAME_FP;
    }
    memcpy(uc + UC_SIGMASK, &tsig.mask, 8);
    memcpy(f + FRAME_INFO, info, 128);
    ((siginfo_t *)(f + FRAME_INFO))->si_signo = sig;

    cls->set_reg(env, EMU_X86_RSP, sp);
    cls->set_reg(env, EMU_X86_RDI, (uint64_t)sig);
    cls->set_reg(env, EMU_X86_RSI, sp + FRAME_INFO);
    cls->set_reg(env, EMU_X86_RDX, sp + FRAME_UC);
    cls->set_reg(env, EMU_X86_RAX, 0);
    cls->set_reg(env, EMU_X86_RIP, ga->handler);
    uint64_t fl = cls->get_reg(env, EMU_X86_EFLAGS);
    cls->set_reg(env, EMU_X86_EFLAGS, fl & ~(uint64_t)0x400);  /* DF=0 */
}

int64_t user_rt_sigreturn(EmuJitCpu *cpu)
{
    const EmuCpuClass *cls = emu_jit_cpu_class(cpu);
    void *env = emu_jit_cpu_env(cpu);
    uint64_t frame = cls->get_reg(env, EMU_X86_RSP) - 8;
    uint8_t *uc = g2h(frame + FRAME_UC);
    uint64_t *gregs = (uint64_t *)(uc + UC_MCONTEXT);
    for (int i = 0; i < 18; i++) {
        cls->set_reg(env, greg_map[i], gregs[i]);
    }
    if (gregs[23] && cls->fp_restore) {
        cls->fp_restore(env, g2h(gregs[23]));
    }
    memcpy(&tsig.mask, uc + UC_SIGMASK, 8);
    tsig.mask &= ~((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)));
    apply_host_mask();
    return (int64_t)gregs[13];          /* rax as restored */
}

static bool default_ignored(int sig)
{
    return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

static void die_by_signal(int sig)
{
    user_gdb_killed(sig);
    fflush(NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sigaction(sig, &sa, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    /* no core dumps of the emulator for guest faults */
    kill(getpid(), sig);
    _exit(128 + sig);
}

static void deliver(EmuJitCpu *cpu, int sig, const siginfo_t *info)
{
    GuestSigaction ga;
    g_mutex_lock(&sig_lock);
    ga = actions[sig];
    if (ga.flags & SA_RESETHAND) {
        actions[sig].handler = (uint64_t)(uintptr_t)SIG_DFL;
    }
    g_mutex_unlock(&sig_lock);
    emu_log_mask_printf(EMU_LOG_STRACE, "--- SIG%s {si_signo=%d} ---\n",
                        sigabbrev_np(sig) ? sigabbrev_np(sig) : "?", sig);
    if (ga.handler == (uint64_t)(uintptr_t)SIG_IGN) {
        return;
    }
    if (ga.handler == (uint64_t)(uintptr_t)SIG_DFL) {
        if (default_ignored(sig)) {
            return;
        }
        if (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU || sig == SIGSTOP) {
            kill(getpid(), SIGSTOP);
            return;
        }
        die_by_signal(sig);
    }
    build_frame(cpu, sig, info, &ga);
    tsig.mask |= ga.mask;
    if (!(ga.flags & SA_NODEFER)) {
        tsig.mask |= 1ull << (sig - 1);
    }
    apply_host_mask();
}

bool user_signal_pending(void)
{
    for (int s = 1; s < NSIG_GUEST; s++) {
        if (pending[s].pending && !(tsig.mask & (1ull << (s - 1)))) {
            return true;
        }
    }
    return false;
}

void user_signal_deliver(EmuJitCpu *cpu)
{
    for (int s = 1; s < NSIG_GUEST; s++) {
        if (!__atomic_load_n(&pending[s].pending, __ATOMIC_SEQ_CST) ||
            (tsig.mask & (1ull << (s - 1)))) {
            continue;
        }
        siginfo_t info = pending[s].info;
        __atomic_store_n(&pending[s].pending, false, __ATOMIC_SEQ_CST);
        if (user_gdb_signal(cpu, s)) {  /* a debugger may drop it */
            deliver(cpu, s, &info);
        }
        return;                 /* one per return to the loop */
    }
}

/* Synchronous signals caused by the instruction at the current pc. */
void user_force_signal(EmuJitCpu *cpu, int sig, int code, uint64_t addr)
{
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    info.si_signo = sig;
    info.si_code = code;
    info.si_addr = (void *)(uintptr_t)addr;
    if (tsig.mask & (1ull << (sig - 1))) {
        die_by_signal(sig);
    }
    GuestSigaction ga = actions[sig];
    if (ga.handler == (uint64_t)(uintptr_t)SIG_IGN) {
        die_by_signal(sig);
    }
    deliver(cpu, sig, &info);
}

void user_queue_signal(int sig, int code, uint64_t addr)
{
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    info.si_signo = sig;
    info.si_code = code;
    info.si_addr = (void *)(uintptr_t)addr;
    pending[sig].info = info;
    pending[sig].pending = true;
}
