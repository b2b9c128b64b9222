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

/* REP MOVS/STOS that run into a PROT_NONE page: the registers in the
 * handler count the elements copied before the fault. */
static sigjmp_buf rep_jmp;
static volatile uintptr_t rep_cx, rep_si, rep_di;

static void on_rep_fault(int sig, siginfo_t *si, void *ucp)
{
    ucontext_t *uc = ucp;
    got = sig;
    fault_addr = (uintptr_t)si->si_addr;
    fault_rip = (uintptr_t)uc->uc_mcontext.gregs[REG_PC];
#ifdef __x86_64__
    rep_cx = uc->uc_mcontext.gregs[REG_RCX];
    rep_si = uc->uc_mcontext.gregs[REG_RSI];
    rep_di = uc->uc_mcontext.gregs[REG_RDI];
#else
    rep_cx = uc->uc_mcontext.gregs[REG_ECX];
    rep_si = uc->uc_mcontext.gregs[REG_ESI];
    rep_di = uc->uc_mcontext.gregs[REG_EDI];
#endif
    siglongjmp(rep_jmp, 1);
}

/* kind 0: movsb into the bad page, 1: movsl out of it, 2: stosw into it */
static void rep_fault(int kind, char *page, size_t n)
{
    static char src[16384];
    memset(src, 0x33, sizeof(src));
    char *from = kind == 1 ? page + 4096 - 200 : src;
    char *to = kind == 1 ? src : page + 4096 - 300;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_rep_fault;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    got = 0;
    if (!sigsetjmp(rep_jmp, 1)) {
        uintptr_t c = n, si = (uintptr_t)from, di = (uintptr_t)to;
        if (kind == 0) {
            asm volatile("cld; rep movsb" : "+c"(c), "+S"(si), "+D"(di) : : "memory");
        } else if (kind == 1) {
            asm volatile("cld; rep movsl" : "+c"(c), "+S"(si), "+D"(di) : : "memory");
        } else {
            asm volatile("cld; rep stosw" : "+c"(c), "+D"(di) : "a"(0x5a5a) : "memory");
        }
    }
    printf("rep %d: SIGSEGV %d addr %+ld cx %ld si %+ld di %+ld last %x\n", kind,
           got == SIGSEGV, (long)(fault_addr - (uintptr_t)(page + 4096)),
           (long)rep_cx, kind == 2 ? 0L : (long)(rep_si - (uintptr_t)from),
           (long)(rep_di - (uintptr_t)to),
           kind == 1 ? src[199] : page[4095]);
}

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

    char *pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(pages + 4096, 4096, PROT_NONE);
    rep_fault(0, pages, 5000);
    rep_fault(2, pages, 3000);
    rep_fault(1, pages, 1000);

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
