/*
 * What an i386 signal handler finds in, and changes through, its
 * ucontext: the FPU state the kernel lays out (_fpstate_32: the legacy
 * header, magic 0 for FXSR data, then the FXSAVE image with MXCSR and
 * the XMM registers), and the segment registers, which sigreturn
 * reloads (a selector the handler puts in FS takes that descriptor's
 * base).  The program checks the values it put there itself
 * (qemu-i386 7.2 crashes on it); built by i386.sh with gcc -m32 -msse2.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

/* offsets in struct _fpstate_32 (asm/sigcontext.h) */
enum { FP_CW = 0, FP_SW = 4, FP_STATUS = 108, FP_MAGIC = 110,
       FP_MXCSR = 136, FP_XMM = 272 };

static uint32_t seen_xmm0[4], seen_mxcsr, seen_fs;
static uint16_t seen_magic, seen_cw;
static unsigned new_fs;
static int failures;

static void check(int ok, const char *what, unsigned long got)
{
    printf("%s %s", ok ? "ok" : "FAILED", what);
    if (!ok) {
        printf(" (got %#lx)", got);
        failures++;
    }
    printf("\n");
}

static void handler(int sig, siginfo_t *si, void *ucp)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ucp;
    uint8_t *fp = (uint8_t *)uc->uc_mcontext.fpregs;
    memcpy(&seen_magic, fp + FP_MAGIC, 2);
    memcpy(&seen_cw, fp + FP_CW, 2);
    memcpy(seen_xmm0, fp + FP_XMM, 16);
    memcpy(&seen_mxcsr, fp + FP_MXCSR, 4);
    seen_fs = (uint32_t)uc->uc_mcontext.gregs[REG_FS];
    /* xmm1 := 4 x 0x55667788; the rounding mode: toward zero */
    uint32_t v[4] = { 0x55667788, 0x55667788, 0x55667788, 0x55667788 };
    memcpy(fp + FP_XMM + 16, v, 16);
    uint32_t mxcsr = seen_mxcsr | 0x6000;
    memcpy(fp + FP_MXCSR, &mxcsr, 4);
    uc->uc_mcontext.gregs[REG_FS] = (greg_t)new_fs;
}

int main(void)
{
    struct sigaction sa = { .sa_sigaction = handler, .sa_flags = SA_SIGINFO };
    sigaction(SIGUSR1, &sa, NULL);
    unsigned gs;
    __asm__ volatile("mov %%gs, %0" : "=r"(gs));
    new_fs = gs;                /* the TLS descriptor glibc set up */
    uint32_t x0[4] = { 0x11223344, 0xaabbccdd, 0x01020304, 0xf0e0d0c0 };
    uint32_t x1[4] = { 0, 0, 0, 0 }, after0[4], after1[4];
    uint32_t mxcsr_after, fs_after, pid = (uint32_t)getpid(), fs_self, gs_self;
    /* the registers are live across the kill that delivers the signal */
    __asm__ volatile(
        "movdqu %[x0], %%xmm0\n\t"
        "movdqu %[x1], %%xmm1\n\t"
        "xor %%eax, %%eax\n\t"
        "mov %%eax, %%fs\n\t"
        "push %%ebx\n\t"
        "mov %[pid], %%ebx\n\t"
        "mov $10, %%ecx\n\t"        /* SIGUSR1 */
        "mov $37, %%eax\n\t"        /* kill */
        "int $0x80\n\t"
        "pop %%ebx\n\t"
        "movdqu %%xmm0, %[a0]\n\t"
        "movdqu %%xmm1, %[a1]\n\t"
        "stmxcsr %[m]\n\t"
        "mov %%fs, %[fs]\n\t"
        : [a0] "=m"(after0), [a1] "=m"(after1), [m] "=m"(mxcsr_after),
          [fs] "=r"(fs_after)
        : [x0] "m"(x0), [x1] "m"(x1), [pid] "r"(pid)
        : "eax", "ecx", "edx", "xmm0", "xmm1", "memory");
    __asm__ volatile("mov %%fs:0, %0" : "=r"(fs_self));
    __asm__ volatile("mov %%gs:0, %0" : "=r"(gs_self));
    uint32_t mx = 0x1f80;
    __asm__ volatile("ldmxcsr %0" : : "m"(mx));
    check(seen_magic == 0, "magic 0: FXSR data follows", seen_magic);
    check(seen_cw == 0x37f, "the x87 control word in the legacy header", seen_cw);
    check(seen_mxcsr == 0x1f80, "MXCSR in the FXSAVE image", seen_mxcsr);
    check(seen_fs == 0, "FS as the interrupted code had it", seen_fs);
    check(!memcmp(seen_xmm0, x0, 16), "xmm0 in the FXSAVE image", seen_xmm0[0]);
    check(!memcmp(after0, x0, 16), "xmm0 kept across the handler", after0[0]);
    check(after1[0] == 0x55667788 && after1[3] == 0x55667788,
          "xmm1 as the handler set it in the frame", after1[0]);
    check(mxcsr_after == 0x7f80, "MXCSR as the handler set it", mxcsr_after);
    check(fs_after == new_fs, "FS selector as the handler set it", fs_after);
    check(fs_self == gs_self, "FS base from the TLS descriptor", fs_self);
    return failures != 0;
}
