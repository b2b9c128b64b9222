/*
 * Differential test of the x86-64 emulation with the host CPU as oracle.
 *
 * Every case runs one instruction snippet on random registers, flags,
 * SSE registers and a memory buffer, then prints the resulting state.
 * The test script runs this program natively and under emu-x86_64 and
 * requires identical output.  Flags an instruction leaves undefined are
 * masked per snippet; snippets needing a CPUID feature run only when the
 * CPU (real or emulated) advertises it, and the feature set is printed
 * first so a difference there shows up as a mismatch too.
 *
 * usage: x86-diff [iterations-per-snippet] [seed]
 */
#include <cpuid.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xorshift.h"

typedef struct Regs {
    uint64_t r[10];         /* rax rbx rcx rdx rsi rdi r8 r9 r10 r11 */
    uint64_t flags;
    uint64_t xmm[8];        /* xmm0..xmm3, two quads each */
    uint64_t mxcsr;         /* in: exceptions masked, random RC/DAZ/FTZ/flags */
} Regs;

enum { RAX, RBX, RCX, RDX, RSI, RDI, R8, R9, R10, R11 };

uint8_t diff_mem[256] __attribute__((aligned(64)));  /* hashed after each case */
void diff_run(Regs *regs, const void *code);

asm(".text\n"
    ".globl diff_run\n"
    "diff_run:\n"
    "  push %rbx\n  push %rbp\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
    "  mov %rdi, %r15\n  mov %rsi, %r14\n  lea diff_mem(%rip), %r12\n"
    "  movdqu 88(%r15), %xmm0\n  movdqu 104(%r15), %xmm1\n"
    "  movdqu 120(%r15), %xmm2\n  movdqu 136(%r15), %xmm3\n"
    "  mov 0(%r15), %rax\n  mov 8(%r15), %rbx\n  mov 16(%r15), %rcx\n"
    "  mov 24(%r15), %rdx\n  mov 32(%r15), %rsi\n  mov 40(%r15), %rdi\n"
    "  mov 48(%r15), %r8\n  mov 56(%r15), %r9\n  mov 64(%r15), %r10\n"
    "  mov 72(%r15), %r11\n"
    "  ldmxcsr 152(%r15)\n"
    "  pushq 80(%r15)\n  popfq\n"
    "  call *%r14\n"
    "  pushfq\n  popq 80(%r15)\n"
    "  stmxcsr 152(%r15)\n  pushq $0x1f80\n  ldmxcsr (%rsp)\n  pop %r13\n"
    "  mov %rax, 0(%r15)\n  mov %rbx, 8(%r15)\n  mov %rcx, 16(%r15)\n"
    "  mov %rdx, 24(%r15)\n  mov %rsi, 32(%r15)\n  mov %rdi, 40(%r15)\n"
    "  mov %r8, 48(%r15)\n  mov %r9, 56(%r15)\n  mov %r10, 64(%r15)\n"
    "  mov %r11, 72(%r15)\n"
    "  movdqu %xmm0, 88(%r15)\n  movdqu %xmm1, 104(%r15)\n"
    "  movdqu %xmm2, 120(%r15)\n  movdqu %xmm3, 136(%r15)\n"
    "  cld\n"
    "  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbp\n  pop %rbx\n"
    "  ret\n");

#define CF 0x001u
#define PF 0x004u
#define AF 0x010u
#define ZF 0x040u
#define SF 0x080u
#define OF 0x800u
#define ALL (CF | PF | AF | ZF | SF | OF)
#define LOGIC (CF | PF | ZF | SF | OF)      /* AF undefined */
#define SHIFT (CF | PF | ZF | SF)           /* OF undefined for count > 1 */
#define MULF (CF | OF)
#define NONE 0u

/* input shapes */
enum {
    G_ANY,          /* random everything */
    G_CNT,          /* rcx: shift count 0..31 */
    G_CNT8,         /* rcx: 0..8 (8-bit shifts: CF undefined above) */
    G_CNT16,        /* rcx: 0..16 */
    G_DIV8, G_DIV16, G_DIV32, G_DIV64,      /* unsigned, no #DE */
    G_IDIV8, G_IDIV16, G_IDIV32, G_IDIV64,  /* signed, no #DE */
    G_STR,          /* rsi/rdi into diff_mem, small rcx */
    G_BTMEM,        /* rcx: bit offset inside diff_mem */
    G_NZ,           /* rbx non-zero (bsf/bsr) */
    G_FSPECIAL,     /* doubles at mem+8, mem+16: often NaN, inf, 0, denormal */
    G_FNEAR,        /* doubles at mem+8 and mem+16 with exponents within 70 */
    G_STR42,        /* xmm/memory: strings over a small alphabet with some
                       zeros; rax/rdx: explicit lengths around 0..16 */
};

/* features */
enum { F_NONE, F_BMI1, F_BMI2, F_LZCNT, F_POPCNT, F_MOVBE, F_SSSE3,
       F_SSE41, F_CX16, F_SSE3, F_SSE42 };

/* X(name, flag mask, input shape, feature, "instructions") */
#define SIZES4(X, n, mask, g, f, op) \
    X(n##8, mask, g, f, op " al, bl") \
    X(n##16, mask, g, f, op " ax, bx") \
    X(n##32, mask, g, f, op " eax, ebx") \
    X(n##64, mask, g, f, op " rax, rbx") \
    X(n##_hi, mask, g, f, op " ah, bh") \
    X(n##_imm8, mask, g, f, op " al, 0x5a") \
    X(n##_imm32, mask, g, f, op " eax, -7") \
    X(n##_imm64, mask, g, f, op " rax, 0x7ffffff0") \
    X(n##_mem, mask, g, f, op " qword ptr [r12+8], rcx") \
    X(n##_rmem, mask, g, f, op " ecx, dword ptr [r12+20]") \
    X(n##_bmem, mask, g, f, op " byte ptr [r12+3], 0x81")

#define UNARY4(X, n, mask, op) \
    X(n##8, mask, G_ANY, F_NONE, op " bl") \
    X(n##16, mask, G_ANY, F_NONE, op " bx") \
    X(n##32, mask, G_ANY, F_NONE, op " ebx") \
    X(n##64, mask, G_ANY, F_NONE, op " rbx") \
    X(n##_mem, mask, G_ANY, F_NONE, op " dword ptr [r12+16]")

#define SHIFTS(X, n, op, cmask) \
    X(n##8_cl, cmask, G_CNT8, F_NONE, op " bl, cl") \
    X(n##16_cl, cmask, G_CNT16, F_NONE, op " bx, cl") \
    X(n##32_cl, cmask, G_CNT, F_NONE, op " ebx, cl") \
    X(n##64_cl, cmask, G_ANY, F_NONE, op " rbx, cl") \
    X(n##32_1, cmask | OF, G_ANY, F_NONE, op " ebx, 1") \
    X(n##8_1, cmask | OF, G_ANY, F_NONE, op " bl, 1") \
    X(n##64_5, cmask, G_ANY, F_NONE, op " rbx, 5") \
    X(n##16_3, cmask, G_ANY, F_NONE, op " word ptr [r12+6], 3")

#define CONDS(X, n, fmt) \
    X(n##o, ALL, G_ANY, F_NONE, fmt("o")) X(n##no, ALL, G_ANY, F_NONE, fmt("no")) \
    X(n##b, ALL, G_ANY, F_NONE, fmt("b")) X(n##ae, ALL, G_ANY, F_NONE, fmt("ae")) \
    X(n##e, ALL, G_ANY, F_NONE, fmt("e")) X(n##ne, ALL, G_ANY, F_NONE, fmt("ne")) \
    X(n##be, ALL, G_ANY, F_NONE, fmt("be")) X(n##a, ALL, G_ANY, F_NONE, fmt("a")) \
    X(n##s, ALL, G_ANY, F_NONE, fmt("s")) X(n##ns, ALL, G_ANY, F_NONE, fmt("ns")) \
    X(n##p, ALL, G_ANY, F_NONE, fmt("p")) X(n##np, ALL, G_ANY, F_NONE, fmt("np")) \
    X(n##l, ALL, G_ANY, F_NONE, fmt("l")) X(n##ge, ALL, G_ANY, F_NONE, fmt("ge")) \
    X(n##le, ALL, G_ANY, F_NONE, fmt("le")) X(n##g, ALL, G_ANY, F_NONE, fmt("g"))

#define SETCC(c) "set" c " bl; set" c " byte ptr [r12+1]"
#define CMOVCC(c) "cmov" c " eax, ebx; cmov" c " rcx, qword ptr [r12+8]"
#define JCC(c) "j" c " 1f; mov eax, 1; ret; 1: mov eax, 2"
#define CMP_JCC(c) "cmp rax, rbx; j" c " 1f; mov edx, 1; ret; 1: mov edx, 2"
#define CMP8_SETCC(c) "cmp al, bl; set" c " dl"
#define TEST_SETCC(c) "test ecx, edx; set" c " dl; sub rsi, rdi; set" c " dh"

#define SSE2OP(X, n, op) \
    X(n, NONE, G_ANY, F_NONE, op " xmm0, xmm1") \
    X(n##_mem, NONE, G_ANY, F_NONE, op " xmm2, [r12+32]")

#define TESTS(X) \
    SIZES4(X, add, ALL, G_ANY, F_NONE, "add") \
    SIZES4(X, adc, ALL, G_ANY, F_NONE, "adc") \
    SIZES4(X, sub, ALL, G_ANY, F_NONE, "sub") \
    SIZES4(X, sbb, ALL, G_ANY, F_NONE, "sbb") \
    SIZES4(X, and, LOGIC, G_ANY, F_NONE, "and") \
    SIZES4(X, or, LOGIC, G_ANY, F_NONE, "or") \
    SIZES4(X, xor, LOGIC, G_ANY, F_NONE, "xor") \
    SIZES4(X, cmp, ALL, G_ANY, F_NONE, "cmp") \
    SIZES4(X, test, LOGIC, G_ANY, F_NONE, "test") \
    SIZES4(X, mov, ALL, G_ANY, F_NONE, "mov") \
    UNARY4(X, inc, ALL, "inc") \
    UNARY4(X, dec, ALL, "dec") \
    UNARY4(X, neg, ALL, "neg") \
    UNARY4(X, not, ALL, "not") \
    /* CF from a producer earlier in the block: carry chains, Jcc/SETcc/CMOVcc */ \
    X(carry_chain, ALL, G_ANY, F_NONE, "add rax, rbx; adc rcx, rdx; adc sil, dil; setc r8b; " \
      "sbb rdx, rsi; sbb ecx, ecx; setb r9b; inc rax; adc rbx, rax; dec rcx; sbb rsi, rcx; " \
      "cmovb rdi, rax; jae 1f; not rax; 1: add al, bl; jb 2f; not rbx; 2: adc r10w, r11w") \
    X(carry_equal, ALL, G_ANY, F_NONE, "cmp rax, rbx; mov rcx, rdx; sbb rcx, rdx; setc r8b; " \
      "mov rsi, -1; stc; adc rdi, rsi; setc r9b; adc eax, -1; setnc r10b; sbb bl, bl") \
    /* the basic FP operations in the default MXCSR mode (only its flags random) */ \
    X(fp_default, NONE, G_ANY, F_NONE, "stmxcsr [r12+200]; and dword ptr [r12+200], 0x3f; " \
      "or dword ptr [r12+200], 0x1f80; ldmxcsr [r12+200]; mulpd xmm0, xmm1; addsd xmm2, xmm3; " \
      "divps xmm1, xmm2; subss xmm3, xmm0; addps xmm0, [r12+32]; divsd xmm2, xmm1; subpd xmm3, xmm2") \
    /* the same with special values and memory operands across blocks: flags \
     * raised in one block read (STMXCSR) or replaced (LDMXCSR) in later ones */ \
    X(fp_default_blocks, NONE, G_FSPECIAL, F_NONE, "stmxcsr [r12+200]; " \
      "and dword ptr [r12+200], 0x3f; or dword ptr [r12+200], 0x1f80; ldmxcsr [r12+200]; " \
      "movsd xmm0, [r12+8]; divsd xmm0, [r12+16]; mulss xmm1, [r12+8]; jmp 1f; " \
      "1: stmxcsr [r12+204]; addpd xmm2, [r12+16]; subsd xmm3, xmm0; " \
      "mov dword ptr [r12+208], 0x1f80; ldmxcsr [r12+208]; divss xmm1, [r12+12]; " \
      "mulpd xmm3, xmm2; jmp 2f; 2: addsd xmm0, [r12+16]; subss xmm1, xmm0") \
    X(fp_default_cvt, ALL, G_FSPECIAL, F_NONE, "stmxcsr [r12+200]; " \
      "and dword ptr [r12+200], 0x3f; or dword ptr [r12+200], 0x1f80; ldmxcsr [r12+200]; " \
      "movsd xmm0, [r12+8]; ucomisd xmm0, [r12+16]; setb al; sete ah; setp bl; " \
      "comisd xmm0, [r12+16]; seta bh; cvttsd2si ecx, [r12+16]; cvttsd2si rdx, xmm0; " \
      "cvtsi2sd xmm1, rsi; cvtsi2sd xmm2, edi; jmp 1f; 1: comisd xmm1, xmm2") \
    /* equal lanes, rare with random inputs: zero bytes and words next to nonzero */ \
    X(sse_eq, NONE, G_ANY, F_NONE, "pxor xmm1, xmm1; punpcklbw xmm0, xmm1; pxor xmm2, xmm2; " \
      "pcmpeqb xmm2, xmm0; pmovmskb eax, xmm2; pxor xmm3, xmm3; pcmpeqw xmm3, xmm0; " \
      "pmovmskb ebx, xmm3; movdqa xmm1, xmm0; pcmpeqd xmm1, xmm0; psubb xmm1, xmm3; " \
      "pandn xmm3, xmm0; paddw xmm2, [r12+48]") \
    X(lock_add, ALL, G_ANY, F_NONE, "lock add qword ptr [r12+8], rbx") \
    X(lock_sub, ALL, G_ANY, F_NONE, "lock sub dword ptr [r12+8], ebx") \
    X(lock_or, LOGIC, G_ANY, F_NONE, "lock or byte ptr [r12+9], bl") \
    X(lock_inc, ALL, G_ANY, F_NONE, "lock inc qword ptr [r12]") \
    X(lock_dec, ALL, G_ANY, F_NONE, "lock dec word ptr [r12+2]") \
    X(xadd_reg, ALL, G_ANY, F_NONE, "xadd eax, ebx") \
    X(xadd_mem, ALL, G_ANY, F_NONE, "lock xadd qword ptr [r12+16], rbx") \
    X(xchg_reg, ALL, G_ANY, F_NONE, "xchg ax, bx; xchg ecx, edx; xchg r8, r9") \
    X(xchg_mem, ALL, G_ANY, F_NONE, "xchg qword ptr [r12+24], rbx; xchg byte ptr [r12], cl") \
    X(cmpxchg_reg, ALL, G_ANY, F_NONE, "mov rcx, rax; test bl, 1; cmovz rbx, rcx; cmpxchg ebx, edx") \
    X(cmpxchg_mem, ALL, G_ANY, F_NONE, "mov rcx, [r12+8]; test bl, 1; cmovz rax, rcx; lock cmpxchg qword ptr [r12+8], rdx") \
    X(cmpxchg8, ALL, G_ANY, F_NONE, "cmpxchg byte ptr [r12+5], dl") \
    X(cmpxchg8b, ZF, G_ANY, F_NONE, "test bl, 1; jz 1f; mov eax, [r12]; mov edx, [r12+4]; 1: cmpxchg8b qword ptr [r12]") \
    X(cmpxchg16b, ZF, G_ANY, F_CX16, "test bl, 1; jz 1f; mov rax, [r12+64]; mov rdx, [r12+72]; 1: lock cmpxchg16b xmmword ptr [r12+64]") \
    SHIFTS(X, shl, "shl", SHIFT) \
    SHIFTS(X, shr, "shr", SHIFT) \
    SHIFTS(X, sar, "sar", SHIFT) \
    SHIFTS(X, rol, "rol", CF) \
    SHIFTS(X, ror, "ror", CF) \
    SHIFTS(X, rcl, "rcl", CF) \
    SHIFTS(X, rcr, "rcr", CF) \
    X(shld32_cl, SHIFT, G_CNT, F_NONE, "shld eax, ebx, cl") \
    X(shrd32_cl, SHIFT, G_CNT, F_NONE, "shrd eax, ebx, cl") \
    X(shld64_cl, SHIFT, G_ANY, F_NONE, "shld rax, rbx, cl") \
    X(shrd64_cl, SHIFT, G_ANY, F_NONE, "shrd rax, rbx, cl") \
    X(shld16_cl, SHIFT, G_CNT16, F_NONE, "shld ax, bx, cl") \
    X(shrd16_imm, SHIFT, G_ANY, F_NONE, "shrd ax, bx, 7") \
    X(shld64_imm, SHIFT, G_ANY, F_NONE, "shld qword ptr [r12+8], rbx, 13") \
    X(shiftd_imm, SHIFT, G_ANY, F_NONE, "shld eax, ebx, 31; setc r8b; shrd rcx, rdx, 63; setc r9b; " \
      "shrd esi, edi, 5; cmovz r10, rsi; shld r11, rax, 1; setc dl; shrd dword ptr [r12+4], ecx, 9") \
    X(shiftd_one, ALL & ~AF, G_ANY, F_NONE, "shld eax, ebx, 1; seto r8b; shrd rcx, rdx, 1; seto r9b") \
    X(mul8, MULF, G_ANY, F_NONE, "mul bl") \
    X(mul16, MULF, G_ANY, F_NONE, "mul bx") \
    X(mul32, MULF, G_ANY, F_NONE, "mul ebx") \
    X(mul64, MULF, G_ANY, F_NONE, "mul rbx") \
    X(imul8, MULF, G_ANY, F_NONE, "imul bl") \
    X(imul16, MULF, G_ANY, F_NONE, "imul bx") \
    X(imul32, MULF, G_ANY, F_NONE, "imul ebx") \
    X(imul64, MULF, G_ANY, F_NONE, "imul qword ptr [r12+8]") \
    X(imul2_16, MULF, G_ANY, F_NONE, "imul ax, bx") \
    X(imul2_32, MULF, G_ANY, F_NONE, "imul eax, ebx") \
    X(imul2_64, MULF, G_ANY, F_NONE, "imul rax, rbx") \
    X(imul3_32, MULF, G_ANY, F_NONE, "imul eax, ebx, -77") \
    X(imul3_64, MULF, G_ANY, F_NONE, "imul rax, qword ptr [r12], 0x12345") \
    X(div8, NONE, G_DIV8, F_NONE, "div bl") \
    X(div16, NONE, G_DIV16, F_NONE, "div bx") \
    X(div32, NONE, G_DIV32, F_NONE, "div ebx") \
    X(div64, NONE, G_DIV64, F_NONE, "div rbx") \
    X(idiv8, NONE, G_IDIV8, F_NONE, "idiv bl") \
    X(idiv16, NONE, G_IDIV16, F_NONE, "idiv bx") \
    X(idiv32, NONE, G_IDIV32, F_NONE, "idiv ebx") \
    X(idiv64, NONE, G_IDIV64, F_NONE, "idiv rbx") \
    X(bt_reg, CF, G_ANY, F_NONE, "bt rax, rbx") \
    X(bts_reg, CF, G_ANY, F_NONE, "bts eax, ebx") \
    X(btr_reg, CF, G_ANY, F_NONE, "btr ax, bx") \
    X(btc_imm, CF, G_ANY, F_NONE, "btc rax, 45") \
    X(bt_mem, CF, G_BTMEM, F_NONE, "bt dword ptr [r12+64], ecx") \
    X(bts_mem, CF, G_BTMEM, F_NONE, "lock bts qword ptr [r12+64], rcx") \
    X(btr_mem16, CF, G_BTMEM, F_NONE, "btr word ptr [r12+64], cx") \
    X(bsf32, ZF, G_NZ, F_NONE, "bsf eax, ebx") \
    X(bsr64, ZF, G_NZ, F_NONE, "bsr rax, rbx") \
    X(bsf16, ZF, G_NZ, F_NONE, "bsf ax, bx") \
    X(tzcnt32, CF | ZF, G_ANY, F_BMI1, "tzcnt eax, ebx") \
    X(tzcnt64, CF | ZF, G_ANY, F_BMI1, "tzcnt rax, rbx") \
    X(lzcnt32, CF | ZF, G_ANY, F_LZCNT, "lzcnt eax, ebx") \
    X(lzcnt16, CF | ZF, G_ANY, F_LZCNT, "lzcnt ax, bx") \
    X(popcnt64, ALL, G_ANY, F_POPCNT, "popcnt rax, rbx") \
    X(popcnt16, ALL, G_ANY, F_POPCNT, "popcnt ax, word ptr [r12]") \
    X(andn, ZF | SF | CF | OF, G_ANY, F_BMI1, "andn rax, rbx, rcx") \
    X(bextr, ZF | CF | OF, G_ANY, F_BMI1, "bextr eax, ebx, ecx") \
    X(blsi, ZF | SF | CF | OF, G_ANY, F_BMI1, "blsi rax, rbx") \
    X(blsmsk, ZF | SF | CF | OF, G_ANY, F_BMI1, "blsmsk eax, ebx") \
    X(blsr, ZF | SF | CF | OF, G_ANY, F_BMI1, "blsr rax, rbx") \
    X(bzhi, ZF | SF | CF | OF, G_ANY, F_BMI2, "bzhi rax, rbx, rcx") \
    X(pdep, ALL, G_ANY, F_BMI2, "pdep rax, rbx, rcx") \
    X(pext, ALL, G_ANY, F_BMI2, "pext eax, ebx, ecx") \
    X(rorx, ALL, G_ANY, F_BMI2, "rorx rax, rbx, 17; rorx ecx, edx, 3") \
    X(shlx, ALL, G_ANY, F_BMI2, "shlx rax, rbx, rcx; sarx edx, esi, edi") \
    X(shrx, ALL, G_ANY, F_BMI2, "shrx eax, ebx, ecx; sarx rdx, rsi, rdi") \
    X(mulx, ALL, G_ANY, F_BMI2, "mulx rax, rbx, rcx; mulx r8d, r9d, esi") \
    CONDS(X, set, SETCC) \
    CONDS(X, cmov, CMOVCC) \
    CONDS(X, j, JCC) \
    CONDS(X, cmpj, CMP_JCC) \
    CONDS(X, cmp8set, CMP8_SETCC) \
    CONDS(X, testset, TEST_SETCC) \
    X(movzx, ALL, G_ANY, F_NONE, "movzx eax, bl; movzx rcx, word ptr [r12+2]; movzx dx, ah") \
    X(movsx, ALL, G_ANY, F_NONE, "movsx eax, bl; movsx rcx, word ptr [r12+2]; movsxd rdx, esi") \
    X(movbe, ALL, G_ANY, F_MOVBE, "movbe eax, dword ptr [r12]; movbe word ptr [r12+8], bx") \
    X(bswap, ALL, G_ANY, F_NONE, "bswap eax; bswap rbx") \
    X(lea, ALL, G_ANY, F_NONE, "lea rax, [rbx+rcx*4+0x123]; lea edx, [rsi+rdi*8-9]; lea r8w, [r9+r10]") \
    X(xlat, ALL, G_ANY, F_NONE, "mov rbx, r12; xlatb; mov cl, al; and al, 0x7f; lea rbx, [r12+100]; xlatb") \
    X(cbw, ALL, G_ANY, F_NONE, "cbw; cwd") \
    X(cwde, ALL, G_ANY, F_NONE, "cwde; cdq") \
    X(cdqe, ALL, G_ANY, F_NONE, "cdqe; cqo") \
    X(lahf, ALL, G_ANY, F_NONE, "lahf; xor bl, ah; mov ah, bl; sahf") \
    X(flagops, ALL, G_ANY, F_NONE, "cmc; setc al; stc; setc bl; clc; adc cl, 0") \
    X(pushpop, ALL, G_ANY, F_NONE, "push rax; push word ptr [r12]; pop bx; pop rcx; pushfq; pop rdx") \
    /* ENTER with nesting copies frame pointers from the old frame: rbp is  \
     * pointed into the buffer; results are kept relative to rsp. */       \
    X(enter, ALL, G_ANY, F_NONE, "mov r8, rbp; mov r9, rsp; lea rbp, [r12+64]; enter 24, 3; " \
      "mov rax, rbp; sub rax, r9; mov rbx, rsp; sub rbx, r9; mov rcx, [rsp+32]; " \
      "mov rdx, [rsp+40]; mov rsi, [rsp+24]; sub rsi, r9; mov rsp, r9; mov rbp, r8; " \
      "xor r8d, r8d; xor r9d, r9d") \
    X(popf, ALL, G_ANY, F_NONE, "push rbx; and qword ptr [rsp], 0x8d5; popfq") \
    X(incdec_lazy, ALL, G_ANY, F_NONE, "cmp rax, rbx; jmp 1f; 1: inc ecx; jmp 2f; 2: dec dl; " \
      "setc bl; shl rsi, 3; jmp 3f; 3: inc rdi; adc rax, rcx; jmp 4f; 4: inc eax; jmp 5f; 5: dec bx") \
    X(cond_next_block, ALL, G_ANY, F_NONE, "cmp rax, rbx; jmp 1f; 1: setb cl; jmp 2f; 2: setle ch; " \
      "cmp dx, bx; jmp 3f; 3: setg dl; cmovs rsi, rdi; sub r8d, eax; jmp 4f; 4: cmovbe eax, ebx; seto bl") \
    X(rep_movsb, ALL, G_STR, F_NONE, "rep movsb") \
    X(rep_movsq, ALL, G_STR, F_NONE, "rep movsq") \
    X(rep_stosd, ALL, G_STR, F_NONE, "rep stosd") \
    X(repe_cmpsb, ALL, G_STR, F_NONE, "repe cmpsb") \
    X(repne_scasb, ALL, G_STR, F_NONE, "repne scasb") \
    X(lodsw, ALL, G_STR, F_NONE, "lodsw; std; lodsb; cld") \
    X(std_movs, ALL, G_STR, F_NONE, "std; movsd; movsb; cld") \
    X(loop, ALL, G_STR, F_NONE, "xor eax, eax; and ecx, 7; inc ecx; 1: inc eax; loop 1b") \
    X(jrcxz, ALL, G_ANY, F_NONE, "test bl, 1; jz 2f; xor ecx, ecx; 2: jrcxz 1f; mov eax, 1; 1: nop") \
    SSE2OP(X, pxor, "pxor") SSE2OP(X, por, "por") SSE2OP(X, pand, "pand") \
    SSE2OP(X, pandn, "pandn") SSE2OP(X, paddb, "paddb") SSE2OP(X, paddw, "paddw") \
    SSE2OP(X, paddd, "paddd") SSE2OP(X, paddq, "paddq") SSE2OP(X, psubb, "psubb") \
    SSE2OP(X, psubw, "psubw") SSE2OP(X, psubd, "psubd") SSE2OP(X, psubq, "psubq") \
    SSE2OP(X, paddusb, "paddusb") SSE2OP(X, psubusw, "psubusw") \
    SSE2OP(X, paddsw, "paddsw") SSE2OP(X, psubsb, "psubsb") \
    SSE2OP(X, pcmpeqb, "pcmpeqb") SSE2OP(X, pcmpeqw, "pcmpeqw") \
    SSE2OP(X, pcmpeqd, "pcmpeqd") SSE2OP(X, pcmpgtb, "pcmpgtb") \
    SSE2OP(X, pcmpgtd, "pcmpgtd") SSE2OP(X, pminub, "pminub") \
    SSE2OP(X, pmaxub, "pmaxub") SSE2OP(X, pminsw, "pminsw") SSE2OP(X, pmaxsw, "pmaxsw") \
    SSE2OP(X, pavgb, "pavgb") SSE2OP(X, pmullw, "pmullw") SSE2OP(X, pmulhw, "pmulhw") \
    SSE2OP(X, pmulhuw, "pmulhuw") SSE2OP(X, pmuludq, "pmuludq") \
    SSE2OP(X, pmaddwd, "pmaddwd") SSE2OP(X, psadbw, "psadbw") \
    SSE2OP(X, punpcklbw, "punpcklbw") SSE2OP(X, punpckhbw, "punpckhbw") \
    SSE2OP(X, punpcklwd, "punpcklwd") SSE2OP(X, punpckhdq, "punpckhdq") \
    SSE2OP(X, punpcklqdq, "punpcklqdq") SSE2OP(X, punpckhqdq, "punpckhqdq") \
    SSE2OP(X, packuswb, "packuswb") SSE2OP(X, packsswb, "packsswb") \
    SSE2OP(X, packssdw, "packssdw") \
    SSE2OP(X, psllw, "psllw") SSE2OP(X, psrld, "psrld") SSE2OP(X, psraw, "psraw") \
    SSE2OP(X, psrlq, "psrlq") \
    SSE2OP(X, xorps, "xorps") SSE2OP(X, andps, "andps") SSE2OP(X, andnpd, "andnpd") \
    SSE2OP(X, addsd, "addsd") SSE2OP(X, subsd, "subsd") SSE2OP(X, mulsd, "mulsd") \
    SSE2OP(X, divsd, "divsd") SSE2OP(X, minsd, "minsd") SSE2OP(X, maxsd, "maxsd") \
    SSE2OP(X, sqrtsd, "sqrtsd") SSE2OP(X, addss, "addss") SSE2OP(X, mulss, "mulss") \
    SSE2OP(X, divss, "divss") SSE2OP(X, addpd, "addpd") SSE2OP(X, mulps, "mulps") \
    SSE2OP(X, subps, "subps") SSE2OP(X, maxps, "maxps") \
    SSE2OP(X, cvtsd2ss, "cvtsd2ss") SSE2OP(X, cvtss2sd, "cvtss2sd") \
    SSE2OP(X, cvtdq2pd, "cvtdq2pd") SSE2OP(X, cvttpd2dq, "cvttpd2dq") \
    SSE2OP(X, cvtdq2ps, "cvtdq2ps") SSE2OP(X, cvttps2dq, "cvttps2dq") \
    SSE2OP(X, cvtpd2dq, "cvtpd2dq") SSE2OP(X, cvtps2dq, "cvtps2dq") \
    SSE2OP(X, cvtps2pd, "cvtps2pd") SSE2OP(X, cvtpd2ps, "cvtpd2ps") \
    SSE2OP(X, sqrtps, "sqrtps") SSE2OP(X, minss, "minss") SSE2OP(X, cmpss, "cmpltss") \
    X(comisd, ALL, G_ANY, F_NONE, "comisd xmm0, xmm1; setc al; ucomiss xmm2, xmm3; setp bl; comiss xmm1, [r12+32]") \
    X(cmpps_all, NONE, G_ANY, F_NONE, "cmpps xmm0, xmm1, 0; cmpps xmm1, xmm2, 1; cmpps xmm2, xmm3, 2; " \
      "cmpps xmm3, xmm0, 3; cmppd xmm0, xmm1, 4; cmppd xmm1, xmm2, 5; cmppd xmm2, xmm3, 6; cmpsd xmm3, xmm1, 7") \
    X(rcp, NONE, G_ANY, F_NONE, RCP_CHECK("rcpps", "", "0x3a000000")) \
    X(rsqrt, NONE, G_ANY, F_NONE, RCP_CHECK("rsqrtps", "mulps xmm0, xmm2; ", "0x3a800000")) \
    X(rcp_special, NONE, G_ANY, F_NONE, RCP_SPECIAL("rcpps", "0x7e800000")) \
    X(rsqrt_special, NONE, G_ANY, F_NONE, RCP_SPECIAL("rsqrtps", "0x7f7fffff")) \
    X(rcpss, NONE, G_ANY, F_NONE, "rcpss xmm0, xmm1; rsqrtss xmm2, xmm3; psrlq xmm0, 32; psrlq xmm2, 32") \
    SSE2OP(X, unpcklps, "unpcklps") SSE2OP(X, unpckhpd, "unpckhpd") \
    X(pshufb, NONE, G_ANY, F_SSSE3, "pshufb xmm0, xmm1") \
    X(addsubpd, NONE, G_ANY, F_SSE3, "addsubpd xmm0, xmm1; addsubps xmm2, [r12+32]; haddpd xmm1, xmm3") \
    X(haddps, NONE, G_ANY, F_SSE3, "haddps xmm0, xmm1; hsubps xmm2, xmm3; hsubpd xmm1, [r12+32]") \
    X(movddup, NONE, G_ANY, F_SSE3, "movddup xmm0, xmm1; movshdup xmm2, xmm3; movsldup xmm1, [r12+32]; movddup xmm3, [r12+8]; lddqu xmm2, [r12+17]") \
    X(fisttp, NONE, G_ANY, F_SSE3, "fninit; fld qword ptr [r12+8]; fisttp dword ptr [r12+40]; fninit") \
    X(phaddw, NONE, G_ANY, F_SSSE3, "phaddw xmm0, xmm1; phsubd xmm2, xmm3; phaddsw xmm1, [r12+32]") \
    X(phsubsw, NONE, G_ANY, F_SSSE3, "phsubsw xmm0, xmm1; phaddd xmm2, xmm3; phsubw xmm3, xmm0") \
    X(pmaddubsw, NONE, G_ANY, F_SSSE3, "pmaddubsw xmm0, xmm1; pmulhrsw xmm2, xmm3; psignb xmm1, xmm2") \
    X(psignw, NONE, G_ANY, F_SSSE3, "psignw xmm0, xmm1; psignd xmm2, xmm3; pabsb xmm1, xmm0; pabsw xmm3, xmm2; pabsd xmm0, [r12+32]") \
    X(mmx_ssse3, ALL, G_ANY, F_SSSE3, "movq mm0, qword ptr [r12+8]; movq mm1, qword ptr [r12+16]; " \
      "phaddw mm0, mm1; phsubd mm1, [r12+24]; pshufb mm0, mm1; palignr mm1, mm0, 3; pmulhrsw mm0, mm1; " \
      "psignb mm1, mm0; pabsw mm0, mm0; phaddsw mm1, mm0; " \
      "movq qword ptr [r12+40], mm0; movq qword ptr [r12+48], mm1; emms") \
    X(palignr, NONE, G_ANY, F_SSSE3, "palignr xmm0, xmm1, 5") \
    X(pminud, NONE, G_ANY, F_SSE41, "pminud xmm0, xmm1; pmaxsb xmm2, xmm3") \
    X(pcmpeqq, NONE, G_ANY, F_SSE41, "pcmpeqq xmm0, xmm1; pmulld xmm2, xmm3") \
    X(ptest, ALL, G_ANY, F_SSE41, "ptest xmm0, xmm1") \
    X(pmovsx, NONE, G_ANY, F_SSE41, "pmovsxbw xmm0, xmm1; pmovsxbd xmm2, [r12+8]; pmovsxwq xmm1, xmm3; pmovsxdq xmm3, xmm2") \
    X(pmovzx, NONE, G_ANY, F_SSE41, "pmovzxbw xmm0, xmm1; pmovzxbq xmm2, [r12+8]; pmovzxwd xmm1, xmm3; pmovzxdq xmm3, xmm2") \
    X(blend, NONE, G_ANY, F_SSE41, "blendps xmm1, xmm2, 5; blendpd xmm3, [r12+32], 2; pblendvb xmm2, xmm3; blendvps xmm1, xmm3; blendvpd xmm3, xmm2") \
    X(round, NONE, G_ANY, F_SSE41, "roundsd xmm0, xmm1, 1; roundss xmm2, xmm3, 2; roundpd xmm1, xmm0, 3; roundps xmm3, [r12+32], 0") \
    X(insertps, NONE, G_ANY, F_SSE41, "insertps xmm0, xmm1, 0x9a; insertps xmm2, [r12+8], 0x31") \
    X(dpps, NONE, G_ANY, F_SSE41, "dpps xmm0, xmm1, 0xf3; dppd xmm2, xmm3, 0x31; dpps xmm1, xmm3, 0x5c") \
    X(mpsadbw, NONE, G_ANY, F_SSE41, "mpsadbw xmm0, xmm1, 5; phminposuw xmm2, xmm3; mpsadbw xmm1, [r12+32], 2") \
    X(pextrd, NONE, G_ANY, F_SSE41, "pextrd eax, xmm1, 2; pinsrq xmm0, rbx, 1; pextrb ecx, xmm2, 9") \
    PCMPSTR_ALL(X) \
    X(pcmpestri_w, ALL, G_STR42, F_SSE42, PCMPESTRI_REXW("0x0c") "; mov r8, rcx; " \
      PCMPESTRI_REXW("0x45") "; mov r9, rcx; pushfq; pop r10; " PCMPESTRM_REXW("0x7a")) \
    X(pcmpgtq, NONE, G_ANY, F_SSE42, "pcmpgtq xmm0, xmm1; pcmpgtq xmm2, [r12+32]") \
    X(crc32_8, ALL, G_ANY, F_SSE42, "crc32 eax, bl; crc32 ecx, byte ptr [r12+3]; crc32 rdx, sil") \
    X(crc32_16, ALL, G_ANY, F_SSE42, "crc32 eax, bx; crc32 ecx, word ptr [r12+6]") \
    X(crc32_32, ALL, G_ANY, F_SSE42, "crc32 eax, ebx; crc32 ecx, dword ptr [r12+4]") \
    X(crc32_64, ALL, G_ANY, F_SSE42, "crc32 rax, rbx; crc32 rcx, qword ptr [r12+8]") \
    X(pshufd, NONE, G_ANY, F_NONE, "pshufd xmm0, xmm1, 0x1b; pshufd xmm2, [r12+32], 0xe4") \
    X(pshuflw, NONE, G_ANY, F_NONE, "pshuflw xmm0, xmm1, 0x93; pshufhw xmm2, xmm3, 0x27") \
    X(shufps, NONE, G_ANY, F_NONE, "shufps xmm0, xmm1, 0x4e; shufpd xmm2, xmm3, 1") \
    X(pslldq, NONE, G_ANY, F_NONE, "pslldq xmm0, 3; psrldq xmm1, 7; psllq xmm2, 9; psrad xmm3, 4") \
    X(pmovmskb, ALL, G_ANY, F_NONE, "pmovmskb eax, xmm0; movmskps ebx, xmm1; movmskpd ecx, xmm2") \
    X(pextrw, ALL, G_ANY, F_NONE, "pextrw eax, xmm1, 5; pinsrw xmm0, ebx, 3") \
    X(movd, ALL, G_ANY, F_NONE, "movd eax, xmm0; movq rbx, xmm1; movd xmm2, ecx; movq xmm3, rdx") \
    X(movq_mem, ALL, G_ANY, F_NONE, "movq xmm0, qword ptr [r12+8]; movq qword ptr [r12+40], xmm1; movd dword ptr [r12+4], xmm2") \
    X(movdqa, ALL, G_ANY, F_NONE, "movdqa xmm0, [r12+32]; movdqu [r12+80], xmm1; movups xmm2, [r12+17]; movaps xmm3, xmm1") \
    X(movsd, ALL, G_ANY, F_NONE, "movsd xmm0, xmm1; movsd xmm2, qword ptr [r12+8]; movsd qword ptr [r12+48], xmm3") \
    X(movss, ALL, G_ANY, F_NONE, "movss xmm0, xmm1; movss xmm2, dword ptr [r12+8]; movss dword ptr [r12+48], xmm3") \
    X(movhps, ALL, G_ANY, F_NONE, "movhps xmm0, qword ptr [r12+8]; movlps xmm1, qword ptr [r12+16]; movhpd qword ptr [r12+56], xmm2; movhlps xmm3, xmm0") \
    X(cvtsi2sd, ALL, G_ANY, F_NONE, "cvtsi2sd xmm0, rax; cvtsi2sd xmm1, ebx; cvtsi2ss xmm2, rcx") \
    X(cvttsd2si, ALL, G_ANY, F_NONE, "cvttsd2si rax, xmm0; cvttsd2si ebx, xmm1; cvttss2si rcx, xmm2; cvtsd2si rdx, xmm3") \
    X(ucomisd, ALL, G_ANY, F_NONE, "ucomisd xmm0, xmm1") \
    X(comiss, ALL, G_ANY, F_NONE, "comiss xmm0, xmm1") \
    X(cmpsd, NONE, G_ANY, F_NONE, "cmpsd xmm0, xmm1, 1; cmpps xmm2, xmm3, 4; cmppd xmm1, xmm0, 7") \
    MMX2(X, paddb, psubw, paddd) MMX2(X, paddq, psubq, psubd) \
    MMX2(X, paddusb, psubusw, paddsw) MMX2(X, psubsb, pcmpeqb, pcmpgtw) \
    MMX2(X, pcmpeqd, pcmpgtb, pmullw) MMX2(X, pmulhw, pmaddwd, pmulhuw) \
    MMX2(X, pand, pandn, por) MMX2(X, pxor, pavgb, pminub) \
    MMX2(X, pmaxsw, psadbw, pmuludq) \
    MMX2(X, punpcklbw, punpckhwd, punpckldq) MMX2(X, punpckhbw, punpcklwd, punpckhdq) \
    MMX2(X, packsswb, packuswb, packssdw) MMX2(X, psllw, psrld, psraw) \
    MMX(X, shifti, "psllq mm0, 13; psrlw mm1, 3; psrad mm2, 7") \
    MMX(X, pshufw, "pshufw mm0, mm1, 0x1b; pshufw mm2, qword ptr [r12+24], 0x93") \
    MMX(X, movd, "movd ecx, mm0; movd mm1, ebx; movq rsi, mm2; pmovmskb edi, mm0") \
    MMX(X, cvt, "cvtpi2ps xmm0, mm1; cvtpi2pd xmm1, mm0; cvtps2pi mm2, xmm2; cvttpd2pi mm0, xmm3; " \
        "cvtpd2pi mm1, [r12+32]; cvttps2pi mm2, qword ptr [r12+48]; cvtpi2ps xmm3, qword ptr [r12+8]; " \
        "cvtpi2pd xmm2, qword ptr [r12+16]") \
    MMX(X, movq2dq, "movq2dq xmm0, mm1; movdq2q mm2, xmm1; movntq [r12+56], mm0; movdq2q mm1, xmm3") \
    MMX(X, maskmov, "lea rdi, [r12+64]; maskmovq mm0, mm1; add rdi, 5; maskmovdqu xmm0, xmm1") \
    MMX(X, pextrw, "pextrw ecx, mm0, 2; pinsrw mm1, ebx, 3") \
    X87(X, add, "fadd qword ptr [r12+16]; fstp tbyte ptr [r12+32]") \
    X87(X, sub, "fld tbyte ptr [r12+16]; fsubp st(1), st; fstp qword ptr [r12+32]") \
    X87(X, subr, "fsubr dword ptr [r12+16]; fstp tbyte ptr [r12+32]") \
    X87(X, mul, "fld tbyte ptr [r12+16]; fmul st, st(1); fstp tbyte ptr [r12+32]; fstp tbyte ptr [r12+48]") \
    X87(X, div, "fdiv qword ptr [r12+16]; fstp tbyte ptr [r12+32]") \
    X87(X, divr, "fld qword ptr [r12+16]; fdivrp st(1), st; fstp qword ptr [r12+32]") \
    X87(X, sqrt, "fsqrt; fstp tbyte ptr [r12+32]") \
    X87(X, int, "fild qword ptr [r12+16]; fimul dword ptr [r12+24]; fistp qword ptr [r12+32]; fistp dword ptr [r12+48]") \
    X87(X, fisttp, "fisttp qword ptr [r12+32]") \
    X87(X, round_up, "mov word ptr [r12+64], 0x0b7f; fldcw word ptr [r12+64]; frndint; fist dword ptr [r12+40]; fstp tbyte ptr [r12+48]") \
    X87(X, prec24, "mov word ptr [r12+64], 0x007f; fldcw word ptr [r12+64]; fmul qword ptr [r12+16]; fstp tbyte ptr [r12+48]") \
    X87(X, const, "fldpi; fldl2e; fmulp; fld1; fchs; fabs; faddp; fmulp; fstp tbyte ptr [r12+48]") \
    X87(X, xch, "fld qword ptr [r12+16]; fxch; fsubp; fst qword ptr [r12+40]; fstp dword ptr [r12+48]") \
    X87(X, com, "fcom qword ptr [r12+16]; fnstsw ax; mov ebx, eax; fld qword ptr [r12+24]; fucomp st(1); fnstsw ax; fstp st(0)") \
    X87(X, comi, "fld qword ptr [r12+16]; fcomip st, st(1); setc cl; setz dl; setp sil; fucomi st, st(0); fstp st(0)") \
    X87(X, fxam, "fxam; fnstsw ax; mov ebx, eax; fabs; fchs; fxam; fnstsw ax; mov ecx, eax; fstp st(0); fxam; fnstsw ax") \
    X87(X, cmov, "fld qword ptr [r12+16]; cmp rbx, rcx; fcmovb st, st(1); fcmovnbe st, st(1); fstp tbyte ptr [r12+40]") \
    X87(X, m80, "fld tbyte ptr [r12+16]; fadd st, st(1); fstp tbyte ptr [r12+32]") \
    X87(X, scale, "fld qword ptr [r12+16]; fscale; fstp tbyte ptr [r12+32]; fxtract; fstp tbyte ptr [r12+48]") \
    X87G(X, prem, G_FNEAR, "fld qword ptr [r12+16]; fprem; fstp tbyte ptr [r12+32]; fnstsw ax") \
    X87G(X, prem1, G_FNEAR, "fld qword ptr [r12+16]; fprem1; fstp tbyte ptr [r12+32]; fnstsw ax") \
    X87G(X, prem_near, G_FNEAR, "fld qword ptr [r12+8]; fmul qword ptr [r12+16]; fld st(1); fprem; fnstsw ax; " \
        "mov ebx, eax; fprem1; fstp tbyte ptr [r12+32]; fnstsw ax; fstp st(0)") \
    X87G(X, underflow, G_FSPECIAL, "fadd st, st(1); fstp tbyte ptr [r12+32]; fld qword ptr [r12+16]; fscale; " \
        "fstp tbyte ptr [r12+48]; fld qword ptr [r12+8]; fprem1; fstp qword ptr [r12+64]") \
    X87G(X, special, G_FSPECIAL, "fld qword ptr [r12+16]; fprem; fld st(0); fstp tbyte ptr [r12+32]; fld qword ptr [r12+8]; " \
        "fdivr st, st(1); fstp tbyte ptr [r12+48]; fsqrt; fstp tbyte ptr [r12+64]") \
    X87G(X, prem_empty, G_FSPECIAL, "fprem; fld st(0); fprem1; fstp tbyte ptr [r12+32]; fnstsw ax") \
    X87(X, stenv, "fld qword ptr [r12+16]; fadd st, st(1); fnstenv [r12+64]; fldenv [r12+64]; " \
                  "fstp qword ptr [r12+32]; fnclex; fnstenv [r12+96]; fninit; fnstenv [r12+128]") \
    X87(X, fsave, "fld qword ptr [r12+16]; fdiv st, st(1); fnsave [r12+140]; fld1; frstor [r12+140]; " \
                  "fnop; fnstenv [r12+32]") \
    /* the fast paths' cases: every form on special values, C1 after each */ \
    X87G(X, arith_special, G_FSPECIAL, "fld qword ptr [r12+16]; fadd st, st(1); fnstsw ax; mov ebx, eax; " \
        "fmul st(1), st; fsub qword ptr [r12+16]; fnstsw ax; mov ecx, eax; fdivr st(1), st; " \
        "fsubrp st(1), st; fnstsw ax; mov edx, eax; fld st(0); fdivp st(1), st; fstp tbyte ptr [r12+32]") \
    X87G(X, mem_special, G_FSPECIAL, "fld dword ptr [r12+16]; fmul dword ptr [r12+8]; fadd qword ptr [r12+8]; " \
        "fst dword ptr [r12+32]; fnstsw ax; mov ebx, eax; fdiv dword ptr [r12+20]; fsubr dword ptr [r12+12]; " \
        "fstp qword ptr [r12+40]; fnstsw ax; mov ecx, eax; fst qword ptr [r12+48]; fsubr qword ptr [r12+16]; " \
        "fdivr qword ptr [r12+16]; fxch; fchs; fabs; fmulp; fstp tbyte ptr [r12+56]") \
    /* flags the host x87 may still hold after FNCLEX, FLDENV, a changed FCW */ \
    X87G(X, flags_cleared, G_FSPECIAL, "fmul qword ptr [r12+16]; fnclex; fmul qword ptr [r12+16]; " \
        "fnstsw ax; mov ebx, eax; fnstenv [r12+80]; and word ptr [r12+84], 0xff00; fldenv [r12+80]; " \
        "fadd qword ptr [r12+16]; fnstsw ax; mov ecx, eax; mov word ptr [r12+64], 0x0a7f; " \
        "fldcw word ptr [r12+64]; fmul st, st(0); fst qword ptr [r12+32]; fnstsw ax; mov edx, eax; " \
        "mov word ptr [r12+64], 0x037f; fldcw word ptr [r12+64]; fnclex; fdiv qword ptr [r12+16]; " \
        "fstp tbyte ptr [r12+40]") \
    /* unmasked overflow/underflow: the exponent-adjusted result in ST0 */ \
    X87(X, unmasked_mul, "fmul st, st(0); fmul st, st(0); fmul st, st(0); fmul st, st(0); " \
        "mov word ptr [r12+64], 0x0367; fldcw word ptr [r12+64]; fmul st, st(0); fnsave [r12+140]") \
    X87(X, unmasked_div, "fmul st, st(0); fmul st, st(0); fmul st, st(0); fmul st, st(0); " \
        "mov word ptr [r12+64], 0x0b67; fldcw word ptr [r12+64]; fdivr qword ptr [r12+16]; fnsave [r12+140]") \
    X87(X, flags_sticky, "fld qword ptr [r12+16]; fmul st, st(1); fnclex; fld1; fld1; faddp; fnstsw ax; " \
        "mov ebx, eax; fmul st, st(1); fmul st, st(2); fnstsw ax; mov ecx, eax; fldz; fadd st, st(1); " \
        "fstp qword ptr [r12+32]; fstp dword ptr [r12+40]; fstp tbyte ptr [r12+48]")

/* SSE4.2 string compares: every imm8 (bit 7 is ignored) through all four
 * instructions, register and memory sources; flags saved after each. */
#define PCMPSTR(X, imm) \
    X(pcmpstr_##imm, ALL, G_STR42, F_SSE42, \
      "pcmpistri xmm1, xmm2, " #imm "; mov r8, rcx; pushfq; pop r9; " \
      "pcmpestrm xmm1, [r12+32], " #imm "; movdqu [r12+96], xmm0; pushfq; pop r10; " \
      "pcmpestri xmm2, xmm3, " #imm "; mov r11, rcx; pushfq; pop rsi; " \
      "pcmpistrm xmm3, [r12+16], " #imm)
#define PCMPSTR16(X, h) \
    PCMPSTR(X, 0x##h##0) PCMPSTR(X, 0x##h##1) PCMPSTR(X, 0x##h##2) PCMPSTR(X, 0x##h##3) \
    PCMPSTR(X, 0x##h##4) PCMPSTR(X, 0x##h##5) PCMPSTR(X, 0x##h##6) PCMPSTR(X, 0x##h##7) \
    PCMPSTR(X, 0x##h##8) PCMPSTR(X, 0x##h##9) PCMPSTR(X, 0x##h##a) PCMPSTR(X, 0x##h##b) \
    PCMPSTR(X, 0x##h##c) PCMPSTR(X, 0x##h##d) PCMPSTR(X, 0x##h##e) PCMPSTR(X, 0x##h##f)
#define PCMPSTR_ALL(X) \
    PCMPSTR16(X, 0) PCMPSTR16(X, 1) PCMPSTR16(X, 2) PCMPSTR16(X, 3) \
    PCMPSTR16(X, 4) PCMPSTR16(X, 5) PCMPSTR16(X, 6) PCMPSTR16(X, 7)
/* REX.W forms (64-bit explicit lengths in rax/rdx) the assembler has no
 * syntax for: pcmpestri xmm1, xmm2 / pcmpestrm xmm2, xmm3 */
#define PCMPESTRI_REXW(imm) ".byte 0x66, 0x48, 0x0f, 0x3a, 0x61, 0xca, " imm
#define PCMPESTRM_REXW(imm) ".byte 0x66, 0x48, 0x0f, 0x3a, 0x60, 0xd3, " imm

/* RCPPS/RSQRTPS approximations are vendor-specific: RCP_CHECK leaves a
 * mask of the lanes where x * rcp(x) (or x * rsqrt(x)^2) is within tol of
 * 1; RCP_SPECIAL the exact results for zero, denormal, infinite and NaN
 * inputs (and for RCPPS, huge ones with denormal results), zero elsewhere. */
#define SPLAT(reg, bits) "mov eax, " bits "; movd " reg ", eax; pshufd " reg ", " reg ", 0; "
#define RCP_CHECK(op, square, tol) \
    "sub rsp, 8; stmxcsr [rsp]; " \
    "movaps xmm0, xmm1; " op " xmm2, xmm1; mulps xmm0, xmm2; " square \
    SPLAT("xmm3", "0x3f800000") "subps xmm0, xmm3; " \
    SPLAT("xmm3", "0x7fffffff") "andps xmm0, xmm3; " \
    SPLAT("xmm3", tol) "cmpltps xmm0, xmm3; xorps xmm2, xmm2; " \
    "ldmxcsr [rsp]; add rsp, 8"     /* flags of the check itself differ */
#define RCP_SPECIAL(op, huge) \
    SPLAT("xmm3", "0x7fffffff") "andps xmm3, xmm1; movaps xmm2, xmm3; " \
    SPLAT("xmm0", "0x00800000") "cmpltps xmm2, xmm0; " \
    SPLAT("xmm0", huge) "cmpnleps xmm3, xmm0; orps xmm2, xmm3; " \
    op " xmm0, xmm1; andps xmm0, xmm2"

/* MMX: mm0, mm1 from memory, mm2 from rax; results back to memory. */
#define MMX(X, name, text) \
    X(mmx_##name, ALL, G_ANY, F_NONE, \
      "movq mm0, qword ptr [r12+8]; movq mm1, qword ptr [r12+16]; movq mm2, rax; " \
      text "; movq qword ptr [r12+40], mm0; movq qword ptr [r12+48], mm1; " \
      "movq rdx, mm2; emms")
#define MMX2(X, n1, n2, n3) \
    MMX(X, n1, #n1 " mm0, mm1; " #n2 " mm1, [r12+24]; " #n3 " mm2, mm0")

/* x87: from a clean state, ST0 = the double at [r12+8]; ends with the
 * stack emptied and the status word at [r12+72]. */
#define X87(X, name, text) X87G(X, name, G_ANY, text)
#define X87G(X, name, g, text) \
    X(x87_##name, ALL, g, F_NONE, \
      "fninit; fld qword ptr [r12+8]; " text "; fnstsw word ptr [r12+72]; fninit")

#define DECLARE(name, mask, g, f, text) \
    extern const char code_##name[]; \
    asm(".text\n.intel_syntax noprefix\ncode_" #name ":\n" text \
        "\nret\n.att_syntax prefix\n");
TESTS(DECLARE)

typedef struct Test {
    const char *name;
    const void *code;
    uint32_t mask;
    int gen, feature;
} Test;

static const Test tests[] = {
#define ENTRY(name, mask, g, f, text) { #name, code_##name, mask, g, f },
    TESTS(ENTRY)
};

static uint64_t interesting(void)
{
    static const uint64_t v[] = {
        0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
        0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
        0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull, ~0ull - 1,
        0x3ff0000000000000ull, 0x7ff8000000000000ull, 0xfff0000000000000ull,
    };
    switch (rnd() % 8) {
    case 0: case 1: return v[rnd() % (sizeof(v) / sizeof(v[0]))];
    case 2: return rnd() % 64;
    case 3: return (uint64_t)-(int64_t)(rnd() % 64);
    case 4: return rnd() & 0xffffffff;
    default: return rnd();
    }
}

static void shape_div(Regs *r, unsigned bits, bool sign)
{
    uint64_t m = bits == 64 ? ~0ull : (1ull << bits) - 1;
    uint64_t d = interesting() & m;
    if (d == 0) {
        d = 3;
    }
    if (!sign) {
        uint64_t hi = bits == 8 ? 0 : interesting() % d;
        if (bits == 8) {
            r->r[RAX] = (r->r[RAX] & ~0xffffull) | ((rnd() % (d << 8)) & 0xffff);
        } else {
            r->r[RDX] = (r->r[RDX] & ~m) | hi;
        }
        r->r[RBX] = (r->r[RBX] & ~m) | d;
        return;
    }
    /* signed: a quotient that fits: dividend = q * d + rem */
    int64_t sd = (int64_t)(d << (64 - bits)) >> (64 - bits);
    if (sd == -1 || sd == 0) {
        sd = 7;
    }
    int64_t qmax = bits == 64 ? INT32_MAX : (1ll << (bits - 1)) - 1;
    int64_t q = (int64_t)(rnd() % (uint64_t)qmax) * ((rnd() & 1) ? 1 : -1);
    __int128 num = (__int128)q * sd + (sd > 0 ? (int64_t)(rnd() % (uint64_t)sd) : 0);
    uint64_t lo = (uint64_t)num, hi = (uint64_t)(num >> 64);
    r->r[RBX] = (r->r[RBX] & ~m) | ((uint64_t)sd & m);
    if (bits == 8) {
        r->r[RAX] = (r->r[RAX] & ~0xffffull) | (lo & 0xffff);
    } else if (bits == 64) {
        r->r[RAX] = lo;
        r->r[RDX] = hi;
    } else {
        r->r[RAX] = (r->r[RAX] & ~m) | (lo & m);
        r->r[RDX] = (r->r[RDX] & ~m) | ((lo >> bits) & m);
    }
}

static void shape_fspecial(void)
{
    static const uint64_t v[] = {
        0x7ff0000000000001ull, 0xfff8000000000000ull, 0x7ff8000000012345ull,
        0x7ff0000000000000ull, 0xfff0000000000000ull, 0, 1ull << 63, 1,
        0x800fffffffffffffull, 0x3ff0000000000000ull,
    };
    for (int k = 8; k <= 16; k += 8) {
        if (rnd() & 1) {
            memcpy(diff_mem + k, &v[rnd() % (sizeof(v) / sizeof(v[0]))], 8);
        }
    }
}

static void shape_fnear(void)
{
    uint64_t x, y;
    memcpy(&x, diff_mem + 8, 8);
    memcpy(&y, diff_mem + 16, 8);
    uint64_t ex = 0x3ff + rnd() % 400 - 200, ey = ex + rnd() % 141 - 70;
    x = (x & ~(0x7ffull << 52)) | ex << 52;
    y = (y & ~(0x7ffull << 52)) | ey << 52;
    if (rnd() % 8 == 0) {
        y = x + rnd() % 5 - 2;          /* quotient near 1 */
    }
    memcpy(diff_mem + 8, &x, 8);
    memcpy(diff_mem + 16, &y, 8);
}

static int64_t str_len(void)
{
    return rnd() % 8 ? (int64_t)(rnd() % 41) - 20 : (int64_t)interesting();
}

static void shape_str42(Regs *r)
{
    static const uint8_t alphabet[] = { 'a', 'b', 'c', 0x81, 0xfe, 'a', 'b', 0 };
    uint8_t *x = (uint8_t *)r->xmm;
    for (unsigned i = 0; i < sizeof(r->xmm); i++) {
        x[i] = alphabet[rnd() % (rnd() % 4 ? 7 : 8)];
    }
    for (unsigned i = 0; i < 64; i++) {
        diff_mem[i] = alphabet[rnd() % (rnd() % 4 ? 7 : 8)];
    }
    r->r[RAX] = (uint64_t)str_len();
    r->r[RDX] = (uint64_t)str_len();
}

static void make_inputs(Regs *r, int gen)
{
    for (int i = 0; i < 10; i++) {
        r->r[i] = interesting();
    }
    for (int i = 0; i < 8; i++) {
        r->xmm[i] = interesting();
    }
    r->flags = (rnd() & (CF | PF | AF | ZF | SF | OF)) | 0x202;
    r->mxcsr = 0x1f80;
    if (rnd() & 1) {        /* rounding, DAZ (0x40), FTZ (0x8000), sticky flags */
        r->mxcsr |= (rnd() & 0x6000) | (rnd() & 0x8040) | (rnd() % 4 ? 0 : rnd() & 0x3f);
    }
    for (unsigned i = 0; i < sizeof(diff_mem); i++) {
        diff_mem[i] = (uint8_t)rnd();
    }
    uint64_t base = (uint64_t)(uintptr_t)diff_mem;
    switch (gen) {
    case G_CNT: r->r[RCX] = rnd() % 32; break;
    case G_CNT8: r->r[RCX] = rnd() % 9; break;
    case G_CNT16: r->r[RCX] = rnd() % 17; break;
    case G_DIV8: shape_div(r, 8, false); break;
    case G_DIV16: shape_div(r, 16, false); break;
    case G_DIV32: shape_div(r, 32, false); break;
    case G_DIV64: shape_div(r, 64, false); break;
    case G_IDIV8: shape_div(r, 8, true); break;
    case G_IDIV16: shape_div(r, 16, true); break;
    case G_IDIV32: shape_div(r, 32, true); break;
    case G_IDIV64: shape_div(r, 64, true); break;
    case G_STR:
        r->r[RSI] = base + 64 + rnd() % 48;
        r->r[RDI] = base + 64 + rnd() % 48;
        r->r[RCX] = rnd() % 9;
        if (rnd() % 4 == 0) {   /* make cmps/scas find equal bytes */
            memset(diff_mem + 64, (int)(r->r[RAX] & 0xff), 128);
        }
        break;
    case G_BTMEM: r->r[RCX] = (uint64_t)((int64_t)(rnd() % 1024) - 512); break;
    case G_STR42: shape_str42(r); break;
    case G_FNEAR: shape_fnear(); break;
    case G_FSPECIAL: shape_fspecial(); break;
    case G_NZ: if ((r->r[RBX] & 0xffff) == 0) r->r[RBX] |= 1ull << (rnd() % 16); break;
    default: break;
    }
}

static uint64_t mem_hash(void)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned i = 0; i < sizeof(diff_mem); i++) {
        h = (h ^ diff_mem[i]) * 0x100000001b3ull;
    }
    return h;
}

static bool has_feature(int f)
{
    unsigned a, b, c, d;
    switch (f) {
    case F_NONE: return true;
    case F_BMI1: case F_BMI2:
        if (__get_cpuid_max(0, NULL) < 7) {
            return false;
        }
        __cpuid_count(7, 0, a, b, c, d);
        return b & (f == F_BMI1 ? (1u << 3) : (1u << 8));
    case F_LZCNT:
        __cpuid(0x80000001u, a, b, c, d);
        return c & (1u << 5);
    default:
        __cpuid(1, a, b, c, d);
        switch (f) {
        case F_POPCNT: return c & (1u << 23);
        case F_MOVBE: return c & (1u << 22);
        case F_SSSE3: return c & (1u << 9);
        case F_SSE41: return c & (1u << 19);
        case F_SSE3: return c & 1u;
        case F_SSE42: return c & (1u << 20);
        default: return c & (1u << 13);     /* CX16 */
        }
    }
}

int main(int argc, char **argv)
{
    unsigned iters = argc > 1 ? (unsigned)atoi(argv[1]) : 100;
    if (argc > 2) {
        rng_state = strtoull(argv[2], NULL, 0) | 1;
    }
    unsigned ran = 0;
    uint64_t seed = rng_state;
    for (size_t t = 0; t < sizeof(tests) / sizeof(tests[0]); t++) {
        const Test *tc = &tests[t];
        /* each snippet has its own stream: skipping one shifts nothing */
        rng_state = (seed ^ (t * 0x9e3779b97f4a7c15ull)) | 1;
        if (!has_feature(tc->feature)) {
            printf("%s skipped (feature %d absent)\n", tc->name, tc->feature);
            continue;
        }
        for (unsigned i = 0; i < iters; i++) {
            Regs r;
            make_inputs(&r, tc->gen);
            Regs in = r;
            diff_run(&r, tc->code);
            printf("%s %u in %016llx %016llx %016llx %016llx flags %03llx out",
                   tc->name, i, (unsigned long long)in.r[RAX],
                   (unsigned long long)in.r[RBX], (unsigned long long)in.r[RCX],
                   (unsigned long long)in.r[RDX], (unsigned long long)(in.flags & ALL));
            for (int k = 0; k < 10; k++) {
                printf(" %llx", (unsigned long long)r.r[k]);
            }
            printf(" f %03llx x", (unsigned long long)(r.flags & tc->mask));
            for (int k = 0; k < 8; k++) {
                printf(" %llx", (unsigned long long)r.xmm[k]);
            }
            printf(" m %016llx mx %04llx/%04llx\n", (unsigned long long)mem_hash(),
                   (unsigned long long)in.mxcsr, (unsigned long long)r.mxcsr);
            ran++;
        }
    }
    printf("cases %u\n", ran);
    return 0;
}
