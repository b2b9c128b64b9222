/*
 * Differential test of 32-bit (i386) code: x86-diff's method for
 * protected-mode encodings the 64-bit test cannot reach: the one-byte
 * INC/DEC, BCD arithmetic, PUSHA/POPA, BOUND, 16-bit operand and address
 * size prefixes (0x66/0x67: LEA, LOOP/JCXZ), 32-bit stack operations,
 * plus x87/SSE/MMX in 32-bit mode.  Each snippet runs on random
 * registers, flags, xmm0-3, MXCSR modes and a memory buffer (at ebp);
 * the program prints the state after each case.  Built with -m32; the
 * oracle is the host when it runs 32-bit programs, else a peer emulator
 * (so the x87 environment's pointer fields, which x86-diff checks against
 * the host, are zeroed here).
 *
 * usage: x86-diff32 [iterations-per-snippet] [seed]
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xorshift.h"

typedef struct Regs {
    uint32_t r[6];          /* eax ebx ecx edx esi edi */
    uint32_t flags;
    uint32_t mxcsr;
    uint64_t xmm[8];        /* xmm0..xmm3 */
} Regs;

enum { EAX, EBX, ECX, EDX, ESI, EDI };

uint8_t diff_mem[256] __attribute__((aligned(64)));
Regs diff_regs __attribute__((aligned(16)));
uint32_t diff_code, diff_esp;
void diff_run(void);

asm(".text\n.intel_syntax noprefix\n"
    ".globl diff_run\n"
    "diff_run:\n"
    "  push ebp\n  push ebx\n  push esi\n  push edi\n  mov diff_esp, esp\n"
    "  movdqu xmm0, diff_regs+32\n  movdqu xmm1, diff_regs+48\n"
    "  movdqu xmm2, diff_regs+64\n  movdqu xmm3, diff_regs+80\n"
    "  ldmxcsr diff_regs+28\n"
    "  mov eax, diff_regs\n  mov ebx, diff_regs+4\n  mov ecx, diff_regs+8\n"
    "  mov edx, diff_regs+12\n  mov esi, diff_regs+16\n  mov edi, diff_regs+20\n"
    "  lea ebp, diff_mem\n"
    "  push dword ptr diff_regs+24\n  popfd\n"
    "  call dword ptr diff_code\n"
    "  pushfd\n  pop dword ptr diff_regs+24\n"
    "  mov diff_regs, eax\n  mov diff_regs+4, ebx\n  mov diff_regs+8, ecx\n"
    "  mov diff_regs+12, edx\n  mov diff_regs+16, esi\n  mov diff_regs+20, edi\n"
    "  movdqu diff_regs+32, xmm0\n  movdqu diff_regs+48, xmm1\n"
    "  movdqu diff_regs+64, xmm2\n  movdqu diff_regs+80, xmm3\n"
    "  stmxcsr diff_regs+28\n  push 0x1f80\n  ldmxcsr [esp]\n  pop eax\n"
    "  cld\n  mov esp, diff_esp\n"
    "  pop edi\n  pop esi\n  pop ebx\n  pop ebp\n  ret\n"
    ".att_syntax prefix\n");

#define CF 0x001u
#define PF 0x004u
#define AF 0x010u
#define ZF 0x040u
#define SF 0x080u
#define OF 0x800u
#define ALL (CF | PF | AF | ZF | SF | OF)
#define LOGIC (CF | PF | ZF | SF | OF)
#define NONE 0u

/* X(name, flag mask, "instructions"); ebp points to the memory buffer */
#define TESTS(X) \
    X(add, ALL, "add eax, ebx; add cx, dx; add byte ptr [ebp+3], bl; adc esi, [ebp+8]") \
    X(sub, ALL, "sub eax, ebx; sbb cx, dx; sub word ptr [ebp+6], 0x1234; cmp esi, edi") \
    X(logic, LOGIC, "and eax, ebx; or cx, dx; xor byte ptr [ebp+1], 0x5a; test esi, edi") \
    X(carry_chain, ALL, "add eax, ebx; adc ecx, edx; adc al, bl; setc dl; sbb esi, edi; " \
      "sbb ecx, ecx; setb bl; inc eax; adc ebx, eax; dec ecx; sbb esi, ecx; cmovb edi, eax; " \
      "jae 1f; not eax; 1: add al, bl; jb 2f; not ebx; 2: mov ecx, edx; stc; sbb ecx, edx; setc dh") \
    X(fp_default, NONE, "stmxcsr [ebp+200]; and dword ptr [ebp+200], 0x3f; " \
      "or dword ptr [ebp+200], 0x1f80; ldmxcsr [ebp+200]; mulpd xmm0, xmm1; addsd xmm2, xmm3; " \
      "divps xmm1, xmm2; subss xmm3, xmm0; addps xmm0, [ebp+32]; divsd xmm2, xmm1; subpd xmm3, xmm2") \
    X(shiftd, CF | ZF | SF | PF, "shld esi, edx, 13; setc al; shrd edi, eax, 1; seto ah; shld ebx, ecx, 1; " \
      "shrd dword ptr [ebp+8], ecx, 31") \
    X(incdec, ALL, "inc eax; dec ebx; inc cx; dec dx; inc esi; dec edi") \
    X(incdec16, ALL, "inc ax; dec si; inc di; dec word ptr [ebp+4]") \
    X(cond_next_block, ALL, "cmp eax, ebx; jmp 1f; 1: setb cl; jmp 2f; 2: setle ch; cmp dl, bl; " \
      "jmp 3f; 3: setg dl; cmovs esi, edi; sub si, ax; jmp 4f; 4: cmovbe eax, ebx; setnp bl") \
    X(incdec_lazy, ALL, "cmp eax, ebx; jmp 1f; 1: inc ecx; jmp 2f; 2: dec dl; setc bl; shr esi, 3; " \
      "jmp 3f; 3: inc edi; adc eax, ecx; jmp 4f; 4: inc eax; jmp 5f; 5: dec bx; sbb esi, edi") \
    X(aaa, CF | AF, "aaa; mov ebx, eax; aas") \
    X(daa, CF | AF | SF | ZF | PF, "daa; mov ebx, eax; das") \
    X(aam, SF | ZF | PF, "aam; mov ebx, eax; aam 7; mov ecx, eax; aad; mov edx, eax; aad 9") \
    X(pusha, ALL, "pushad; add dword ptr [esp+4], 1; popad; pusha; popa") \
    X(push16, ALL, "push ax; push 0x1234; pushw 0x56; pop bx; pop ecx; pop dx; pushfd; pop esi") \
    X(stack32, ALL, "push eax; push dword ptr [ebp+8]; pop ebx; pop ecx; enter 8, 0; mov [ebp-4], edx; " \
      "mov esi, [ebp-4]; leave; push 7; pop edi") \
    X(lea16, ALL, "lea eax, [bx+si+0x12]; lea cx, [bp+di-3]; lea edx, [bx]; lea si, [di+0x7fff]") \
    X(mul16, CF | OF, "mul bx; mov esi, eax; imul cx, dx, -5; imul di, bx") \
    X(div32, NONE, "xor edx, edx; or ebx, 1; div ebx; mov ecx, edx; cwd; or si, 1; and eax, 0x7fff; xor dx, dx; idiv si") \
    X(shift16, CF | ZF | SF | PF, "and ecx, 15; shl ax, cl; sar bx, 3; shld dx, si, cl; shrd di, ax, 5") \
    X(bt16, CF, "bt ax, bx; bts cx, 3; btr word ptr [ebp+2], 9; btc edx, esi") \
    X(cbw, ALL, "cbw; cwde; cdq; movsx ecx, bl; movzx edx, si; movsx si, byte ptr [ebp+5]") \
    X(xchg, ALL, "xchg ax, bx; xchg ecx, edx; mov ebx, ebp; xlatb; bswap esi; cmpxchg edi, ebx") \
    X(cmpxchg8b, ZF, "test bl, 1; jz 1f; mov eax, [ebp]; mov edx, [ebp+4]; 1: cmpxchg8b qword ptr [ebp]") \
    X(loop16, ALL, "and ecx, 0x10007; addr16 loop 1f; 1: jcxz 2f; mov eax, 1; 2: nop") \
    X(loopz, ALL, "and ecx, 7; inc ecx; 1: inc eax; cmp eax, ebx; loopnz 1b; jecxz 2f; inc edx; 2: nop") \
    X(string, ALL, "lea esi, [ebp+64]; lea edi, [ebp+100]; and ecx, 15; rep movsb; " \
      "and ebx, 7; mov ecx, ebx; rep stosw; lea esi, [ebp+8]; lodsd; std; lodsw; cld") \
    X(cmps, ALL, "lea esi, [ebp+64]; lea edi, [ebp+96]; and ecx, 31; repe cmpsb; mov ebx, ecx; " \
      "and ecx, 3; repne scasd") \
    X(bound, ALL, "mov dword ptr [ebp], -100; mov dword ptr [ebp+4], 100; and eax, 63; bound eax, [ebp]") \
    X(setcc, ALL, "cmp eax, ebx; setl cl; setbe ch; seto dl; cmovg esi, edi; cmovp ax, bx") \
    X(flags, ALL, "lahf; xor ah, bl; sahf; cmc; setc dl; .byte 0xd6") \
    /* qemu-i386, the oracle on hosts that cannot run i386 code, differs  \
     * from hardware in what the SDM leaves undefined or reserved: C0, C2 \
     * and C3 after FSTP, C1 (round-up), the upper halves of the FNSTENV \
     * dwords, the pointers (x86-diff checks them against the host).    */ \
    X(x87, ALL, "fninit; fld qword ptr [ebp+8]; fadd qword ptr [ebp+16]; fsqrt; fistp dword ptr [ebp+32]; " \
      "fld tbyte ptr [ebp+40]; fld1; fdivp; fstp qword ptr [ebp+48]; fnstsw ax; fnstenv [ebp+64]; " \
      "mov dword ptr [ebp+76], 0; mov dword ptr [ebp+80], 0; mov dword ptr [ebp+84], 0; " \
      "mov dword ptr [ebp+88], 0; mov word ptr [ebp+66], 0; mov word ptr [ebp+70], 0; " \
      "mov word ptr [ebp+74], 0; and ax, 0xb8ff; and word ptr [ebp+68], 0xb8ff; fninit") \
    X(sse, NONE, "addsd xmm0, xmm1; mulps xmm2, [ebp+32]; cvtsd2si eax, xmm3; cvtsi2ss xmm1, ebx; " \
      "pshufd xmm3, xmm0, 0x1b; pmovmskb ecx, xmm2; movd edx, xmm3") \
    X(mmx, ALL, "movq mm0, [ebp+8]; movd mm1, ebx; paddw mm0, mm1; pmullw mm1, [ebp+16]; " \
      "movq [ebp+40], mm0; movd eax, mm1; emms")

#define DECLARE(name, mask, text) \
    extern const char code_##name[]; \
    asm(".text\n.intel_syntax noprefix\ncode_" #name ":\n" text \
        "\nret\n.att_syntax prefix\n");
TESTS(DECLARE)

static const struct { const char *name; const void *code; uint32_t mask; } tests[] = {
#define ENTRY(name, mask, text) { #name, code_##name, mask },
    TESTS(ENTRY)
};

static uint32_t interesting(void)
{
    static const uint32_t v[] = {
        0, 1, 2, 9, 0x0f, 0x7f, 0x80, 0x99, 0xff, 0x100, 0x7fff, 0x8000,
        0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff,
    };
    switch (rnd() % 4) {
    case 0: return v[rnd() % (sizeof(v) / sizeof(v[0]))];
    case 1: return (uint32_t)(rnd() % 64);
    default: return (uint32_t)rnd();
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

int main(int argc, char **argv)
{
    unsigned iters = argc > 1 ? (unsigned)atoi(argv[1]) : 100;
    setvbuf(stdout, NULL, _IOLBF, 0);    /* a crash shows its snippet */
    if (argc > 2) {
        rng_state = strtoull(argv[2], NULL, 0) | 1;
    }
    uint64_t seed = rng_state;
    unsigned ran = 0;
    for (size_t t = 0; t < sizeof(tests) / sizeof(tests[0]); t++) {
        rng_state = (seed ^ (t * 0x9e3779b97f4a7c15ull)) | 1;
        for (unsigned i = 0; i < iters; i++) {
            Regs *r = &diff_regs;
            for (int k = 0; k < 6; k++) {
                r->r[k] = interesting();
            }
            for (int k = 0; k < 8; k++) {
                r->xmm[k] = (uint64_t)interesting() << (rnd() % 2 ? 32 : 0) | interesting();
            }
            r->flags = (uint32_t)(rnd() & ALL) | 0x202;
            r->mxcsr = 0x1f80 | (rnd() & 1 ? (uint32_t)(rnd() & 0xe040) : 0);
            for (unsigned k = 0; k < sizeof(diff_mem); k++) {
                diff_mem[k] = (uint8_t)rnd();
            }
            Regs in = *r;
            diff_code = (uint32_t)(uintptr_t)tests[t].code;
            diff_run();
            printf("%s %u in %08x %08x %08x %08x %03x out", tests[t].name, i,
                   in.r[EAX], in.r[EBX], in.r[ECX], in.r[EDX], in.flags & ALL);
            for (int k = 0; k < 6; k++) {
                printf(" %x", r->r[k]);
            }
            printf(" f %03x x", r->flags & tests[t].mask);
            for (int k = 0; k < 8; k++) {
                printf(" %llx", (unsigned long long)r->xmm[k]);
            }
            printf(" m %016llx mx %04x\n", (unsigned long long)mem_hash(), r->mxcsr);
            ran++;
        }
    }
    printf("cases %u\n", ran);
    return 0;
}
