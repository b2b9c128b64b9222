/*
 * Guest signal delivery: SIGSEGV, SIGFPE and SIGILL reported at the
 * faulting instruction (the handler checks si_addr / the saved rip and
 * skips the instruction through the ucontext), a handler on a
 * sigaltstack, SIGALRM from a timer, sigprocmask blocking, and registers
 * (including SSE) intact after sigreturn.  Prints one line per check.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static volatile uintptr_t fault_addr, fault_rip;
static volatile int on_alt;
static char altstack[65536];

extern char segv_insn[], fpe_insn[], ill_insn[];

/* Built for x86_64 and (gcc -m32) i386: the faulting mov and div are
 * 3 bytes long with a REX prefix, 2 without; ud2 is 2. */
#ifdef __x86_64__
#define REG_PC REG_RIP
#define INSN_LEN 3
#define SEGV_ASM "mov %1, %%rax\n.globl segv_insn\nsegv_insn: mov (%%rax), %%rbx\n"
#define FPE_ASM "xor %%ecx, %%ecx\n.globl fpe_insn\nfpe_insn: div %%rcx\n"
#define AX "rax"
#define CX "rcx"
#else
#define REG_PC REG_EIP
#define INSN_LEN 2
#define SEGV_ASM "mov %1, %%eax\n.globl segv_insn\nsegv_insn: mov (%%eax), %%ebx\n"
#define FPE_ASM "xor %%ecx, %%ecx\n.globl fpe_insn\nfpe_insn: div %%ecx\n"
#define AX "eax"
#define CX "ecx"
#endif

static void on_fault(int sig, siginfo_t *si, void *ucp)
{
    ucontext_t *uc = ucp;
    got = sig;
    fault_addr = (uintptr_t)si->si_addr;
    fault_rip = (uintptr_t)uc->uc_mcontext.gregs[REG_PC];
    stack_t ss;
    sigaltstack(NULL, &ss);
    on_alt = (ss.ss_flags & SS_ONSTACK) != 0;
    /* skip the faulting instruction */
    uc->uc_mcontext.gregs[REG_PC] += sig == SIGILL ? 2 : INSN_LEN;
}

#ifdef __x86_64__
static volatile unsigned fault_mxcsr;

/* SSE flags raised just before a fault in the same block: in the
 * handler's saved FP state, and still set after it returns. */
static void on_fault_fp(int sig, siginfo_t *si, void *ucp)
{
    ucontext_t *uc = ucp;
    fault_mxcsr = uc->uc_mcontext.fpregs->mxcsr;
    on_fault(sig, si, ucp);
}

static void check_fp_flags_at_fault(void *bad)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_fault_fp;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    unsigned clean = 0x1f80, after;
    double a = 1.0, b = 3.0;
    uintptr_t rbx = 7;
    asm volatile("ldmxcsr %3\n divsd %2, %1\n mov %5, %%rax\n mov (%%rax), %%rbx\n"
                 "stmxcsr %0\n"
                 : "=m"(after), "+x"(a), "+x"(b), "+m"(clean), "+b"(rbx)
                 : "r"(bad) : "rax", "memory");
    printf("SSE flags at fault: handler mxcsr %04x, after return %04x\n",
           fault_mxcsr, after);
}
#endif

static void on_alarm(int sig)
{
    got = sig;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
    sigaltstack(&ss, NULL);

    void *bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uintptr_t rbx = 7;
    asm volatile(SEGV_ASM : "+b"(rbx) : "r"(bad) : AX, "memory");
    printf("SIGSEGV %d at insn %d addr %d altstack %d rbx %ld\n", got == SIGSEGV,
           fault_rip == (uintptr_t)segv_insn, fault_addr == (uintptr_t)bad,
           on_alt, (long)rbx);

#ifdef __x86_64__
    check_fp_flags_at_fault(bad);
#endif

    got = 0;
    uintptr_t rax = 100, rdx = 0;
    double keep = 1.5;
    asm volatile(FPE_ASM "addsd %2, %2\n"
                 : "+a"(rax), "+d"(rdx), "+x"(keep) : : CX);
    printf("SIGFPE %d at insn %d rax %ld xmm %g\n", got == SIGFPE,
           fault_rip == (uintptr_t)fpe_insn, (long)rax, keep);

    got = 0;
    asm volatile(".globl ill_insn\nill_insn: ud2\n");
    printf("SIGILL %d at insn %d\n", got == SIGILL, fault_rip == (uintptr_t)ill_insn);

    got = 0;
    signal(SIGALRM, on_alarm);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGALRM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    alarm(1);
    sleep(2);
    printf("blocked alarm not delivered %d\n", got == 0);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("alarm delivered on unblock %d\n", got == SIGALRM);
    return 0;
}
