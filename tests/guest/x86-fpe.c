/*
 * Floating-point exceptions with the host CPU as oracle: SSE and x87
 * instructions run on special operands with one exception unmasked at a
 * time in MXCSR or the x87 control word (and all of them, and none).
 * Prints, for every case, either the SIGFPE's si_code and faulting
 * offset or the result and MXCSR or x87 status word after.
 * The test script compares the native output with emu-x86_64's.
 *
 * usage: x86-fpe
 */
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* case(mxcsr *, operands: a[2], b[2] doubles) -> result in a[0..1] */
typedef void CaseFn(uint32_t *mxcsr, uint64_t *ops);

#define OPS(X) \
    X(addsd, "addsd xmm0, xmm1") X(subpd, "subpd xmm0, xmm1") \
    X(mulsd, "mulsd xmm0, xmm1") X(divsd, "divsd xmm0, xmm1") \
    X(divpd, "divpd xmm0, xmm1") X(sqrtsd, "sqrtsd xmm0, xmm1") \
    X(minsd, "minsd xmm0, xmm1") X(cmpltsd, "cmpltsd xmm0, xmm1") \
    X(cmpeqpd, "cmpeqpd xmm0, xmm1") X(comisd, "comisd xmm0, xmm1") \
    X(ucomisd, "ucomisd xmm0, xmm1") X(cvtsd2ss, "cvtsd2ss xmm0, xmm1") \
    X(cvtsd2si, "cvtsd2si eax, xmm1; movd xmm0, eax") \
    X(cvttsd2si, "cvttsd2si rax, xmm1; movq xmm0, rax") \
    X(cvtsi2ss, "movq rax, xmm1; cvtsi2ss xmm0, rax") \
    X(roundsd, "roundsd xmm0, xmm1, 4") X(addss, "addss xmm0, xmm1") \
    X(mulps, "mulps xmm0, xmm1") X(cvtpd2ps, "cvtpd2ps xmm0, xmm1")

#define DECLARE(name, text) \
    extern CaseFn case_##name; \
    asm(".text\n.intel_syntax noprefix\ncase_" #name ":\n" \
        "  ldmxcsr [rdi]\n  movdqu xmm0, [rsi]\n  movdqu xmm1, [rsi+16]\n  " text "\n" \
        "  movdqu [rsi], xmm0\n  stmxcsr [rdi]\n  ret\n.att_syntax prefix\n");
OPS(DECLARE)

/* x87: ST0 = a[0], ST1 = b[0]; an unmasked exception traps at the next
 * waiting instruction (the fstp, or an explicit fwait).  Results: ST0 and
 * ST1 as doubles, the status word at mxcsr[1] when nothing trapped. */
#define X87OPS(X) \
    X(fadd, "fadd st, st(1)") X(fdiv, "fdiv st, st(1)") X(fdivr_wait, "fdivr st, st(1); fwait") \
    X(fmul, "fmul st, st(1)") X(fsqrt, "fsqrt") X(fcom, "fcom st(1)") \
    X(fucomi, "fucomi st, st(1)") X(fprem, "fprem") X(fscale, "fscale") \
    X(fist, "fist dword ptr [rsi+24]") X(fst32, "fst dword ptr [rsi+28]") \
    X(fxtract, "fxtract; fstp st(0)") X(frndint, "frndint") \
    X(fld_empty, "fstp st(0); fadd st, st(1)") \
    X(fnstsw_es, "fdiv st, st(1); fnstsw word ptr [rdi+8]; fnclex") \
    X(fldcw_unmask, "fdiv st, st(1); fldcw word ptr [rdi+12]; fwait") \
    X(mmx, "fdiv st, st(1); movq mm0, mm1; emms; fld1; fld1") \
    X(emms, "fdiv st, st(1); emms; fld1; fld1") \
    X(fldenv_flags, "sub rsp, 32; fnstenv [rsp]; or word ptr [rsp+4], 0x3f; fldenv [rsp]; " \
        "add rsp, 32; fwait") \
    X(frstor_flags, "sub rsp, 112; fnsave [rsp]; or word ptr [rsp+4], 0x3f; frstor [rsp]; " \
        "add rsp, 112; fwait")
#define X87DECLARE(name, text) \
    extern CaseFn case_x87_##name; \
    asm(".text\n.intel_syntax noprefix\ncase_x87_" #name ":\n" \
        "  fninit\n  fldcw [rdi]\n  fld qword ptr [rsi+16]\n  fld qword ptr [rsi]\n  " text "\n" \
        "  fstp qword ptr [rsi]\n  fstp qword ptr [rsi+8]\n  fnstsw [rdi+4]\n  fninit\n  ret\n" \
        ".att_syntax prefix\n");
X87OPS(X87DECLARE)

static const struct { const char *name; CaseFn *fn; bool x87; } ops[] = {
#define ENTRY(name, text) { #name, case_##name, false },
#define X87ENTRY(name, text) { "x87_" #name, case_x87_##name, true },
    OPS(ENTRY)
    X87OPS(X87ENTRY)
};

static const uint64_t values[] = {
    0x3ff0000000000000ull,      /* 1 */
    0x4008000000000000ull,      /* 3 */
    0,                          /* +0 */
    0x8000000000000000ull,      /* -0 */
    0x7fefffffffffffffull,      /* DBL_MAX */
    0x0010000000000001ull,      /* tiny normal */
    0x0000000000000001ull,      /* denormal */
    0x7ff0000000000000ull,      /* inf */
    0x7ff8000000000000ull,      /* QNaN */
    0x7ff4000000000000ull,      /* SNaN */
    0xc000000000000000ull,      /* -2 */
    0x47efffffe0000000ull,      /* FLT_MAX-ish, overflows single on rounding up */
};
#define NV (sizeof(values) / sizeof(values[0]))

static sigjmp_buf env;
static volatile int got_code;
static volatile uintptr_t got_addr;

static void on_fpe(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    got_code = si->si_code;
    got_addr = (uintptr_t)si->si_addr;
    siglongjmp(env, 1);
}

static void set_default_mxcsr(void)
{
    uint32_t m = 0x1f80;
    asm volatile("ldmxcsr %0" : : "m"(m));
}

static void run_case(size_t o, uint32_t mx, size_t i, size_t j)
{
    uint64_t opnd[4] = { values[i], 0x3ff0000000000000ull, values[j],
                         values[(i + j) % NV] };
    /* x87: control word, status word out, status from fnstsw_es, and
     * the control word fldcw_unmask loads (all unmasked) */
    uint32_t mx_out[4] = { mx, 0, 0, 0x0340 };
    if (sigsetjmp(env, 1)) {
        set_default_mxcsr();
        asm volatile("fninit");
        printf("%s %04x %zu %zu: SIGFPE code %d at +%ld\n", ops[o].name, mx, i, j,
               got_code, (long)(got_addr - (uintptr_t)ops[o].fn));
        return;
    }
    ops[o].fn(mx_out, opnd);
    set_default_mxcsr();
    printf("%s %04x %zu %zu: %016llx %016llx %s %04x %04x\n", ops[o].name, mx, i, j,
           (unsigned long long)opnd[0], (unsigned long long)opnd[1],
           ops[o].x87 ? "fsw" : "mxcsr", ops[o].x87 ? mx_out[1] : mx_out[0], mx_out[2]);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_fpe;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGFPE, &sa, NULL);
    /* exceptions unmasked: none, each one, all; DAZ+FTZ on a fifth */
    static const uint32_t unmask[] = { 0, 0x80, 0x100, 0x200, 0x400, 0x800, 0x1000, 0x1f80 };
    for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
        for (size_t u = 0; u < sizeof(unmask) / sizeof(unmask[0]); u++) {
            for (size_t i = 0; i < NV; i++) {
                for (size_t j = 0; j < NV; j++) {
                    uint32_t ctl = ops[o].x87 ? 0x37f & ~(unmask[u] >> 7) :
                        (0x1f80 & ~unmask[u]) | ((i + j) % 5 == 0 ? 0x8040 : 0);
                    run_case(o, ctl, i, j);
                }
            }
        }
    }
    return 0;
}
