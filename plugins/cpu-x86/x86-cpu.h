/*
 * x86 CPU state and the pieces the translator and helpers share.
 *
 * Designed for 16/32/64-bit modes: general registers are always 64-bit
 * (regs[] in encoding order: rax rcx rdx rbx rsp rbp rsi rdi r8..r15),
 * segment bases are explicit, and "mode" (16/32/64) is part of the block
 * lookup flags.  Arithmetic flags are lazy: the last flag-setting operation
 * leaves its kind and size in cc_op and its operands in cc_dst/cc_src/
 * cc_src2/cc_carry; x86_compute_flags() materializes CF..OF on demand.
 * System state (CR*, descriptor tables, privilege) comes later.
 */
#ifndef X86_CPU_H
#define X86_CPU_H

#include <emu/cpu.h>
#include <emu/jit.h>

enum { R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI };
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS };

/* EFLAGS bits */
#define X86_CF 0x0001u
#define X86_PF 0x0004u
#define X86_AF 0x0010u
#define X86_ZF 0x0040u
#define X86_SF 0x0080u
#define X86_TF 0x0100u
#define X86_IF 0x0200u
#define X86_DF 0x0400u
#define X86_OF 0x0800u
#define X86_AC 0x40000u
#define X86_ID 0x200000u
#define X86_ARITH_FLAGS (X86_CF | X86_PF | X86_AF | X86_ZF | X86_SF | X86_OF)

/* cc_op = kind * 4 + log2(operand bytes) */
enum {
    CC_EFLAGS = 0,      /* cc_src holds the arithmetic flags */
    CC_ADD, CC_ADC, CC_SUB, CC_SBB, CC_LOGIC, CC_INC, CC_DEC,
    CC_MUL,             /* cc_src != 0: CF = OF = 1 */
    CC_SHL, CC_SHR, CC_SAR, /* dst = result, src = value shifted by n-1,
                               src2 = original value */
    /* INC/DEC translated without knowing the operation before: the result
     * is in cc_lazy_res and CF is that of cc_op_prev, the operation
     * before, whose operands stay in cc_dst..cc_carry.  Keep these two
     * last (a cc_op at or above CC_OP(CC_INC_LAZY, 0) is one of them). */
    CC_INC_LAZY, CC_DEC_LAZY,
    CC_KINDS
};
#define CC_OP(kind, szlog) ((kind) * 4 + (szlog))

typedef union X86Xmm {
    uint8_t b[16];
    uint16_t w[8];
    uint32_t l[4];
    uint64_t q[2];
    int8_t sb[16];
    int16_t sw[8];
    int32_t sl[4];
    int64_t sq[2];
    float f[4];
    double d[2];
} X86Xmm;

/* An 80-bit extended float kept portably: sign+exponent and mantissa. */
typedef struct X86Float80 {
    uint64_t mant;
    uint16_t sexp;
} X86Float80;

typedef struct X86CpuState {
    uint64_t regs[16];
    uint64_t rip;
    uint64_t cc_dst, cc_src, cc_src2, cc_carry;
    uint32_t cc_op;
    uint32_t cc_op_prev;        /* CC_INC_LAZY/CC_DEC_LAZY: see above */
    uint64_t cc_lazy_res;
    uint32_t mode;              /* 16, 32 or 64 */
    int64_t df;                 /* +1 or -1 */
    uint64_t eflags_rest;       /* non-arithmetic bits except DF */
    uint64_t seg_base[6];
    uint16_t seg_sel[6];
    uint64_t desc_base[16];     /* GDT entry bases (user mode: TLS slots) */
    uint32_t mxcsr;
    X86Xmm xmm[16] __attribute__((aligned(16)));
    X86Xmm xmm_tmp;             /* memory source operand of a SIMD op */
    /* x87 */
    X86Float80 st[8];
    uint16_t fpuc, fpus;
    uint16_t fptag;             /* bit i: physical register i in use */
    unsigned fptop;
    /* the last non-control x87 instruction: address, opcode (11 bits),
     * memory operand's address (kept by register-only instructions) */
    uint64_t fpu_ip, fpu_dp;
    uint16_t fpu_op, fpu_cs;      /* FCS: CS of that instruction, 0 after FNINIT */
    /* model */
    uint32_t cpuid_level, cpuid_xlevel;
    uint32_t cpuid_1_ecx, cpuid_1_edx, cpuid_7_ebx, cpuid_7_ecx;
    uint32_t cpuid_81_ecx, cpuid_81_edx;
    uint32_t family, model_id, stepping;
    char vendor[13];
    char model_name[49];
    uint64_t tsc_base;
} X86CpuState;

_Static_assert(offsetof(X86CpuState, regs) == 0, "JIT: regs at 0");
_Static_assert(offsetof(X86CpuState, xmm) % 16 == 0, "JIT: xmm aligned");

/* Block lookup flags: the mode (16/32/64) and, outside 64-bit mode,
 * whether CS DS ES SS all have base 0 (always so in user mode; then the
 * translator adds no base for them). */
#define X86_TB_MODE_MASK 0x70u
#define X86_TB_FLAT_SEGS 0x100u
/* x86-64 hosts: the MXCSR control bits are the default 0x1f80 (round to
 * nearest, all exceptions masked, no DAZ/FTZ), so SSE arithmetic may run
 * as the host's own instructions (EMU_JIT_FADD64...). */
#define X86_TB_SSE_DEFAULT 0x200u
uint32_t x86_tb_flags(const X86CpuState *env);

#define ENV_OFF(field) offsetof(X86CpuState, field)
#define REG_OFF(i) (offsetof(X86CpuState, regs) + 8 * (i))
#define XMM_OFF(i) (offsetof(X86CpuState, xmm) + 16 * (i))
#define MM_OFF(i) (offsetof(X86CpuState, st) + sizeof(X86Float80) * (i))

/* flags.c */
uint32_t x86_compute_flags(const X86CpuState *env);
bool x86_cond(const X86CpuState *env, unsigned cc);
uint64_t x86_get_eflags(const X86CpuState *env);
void x86_set_eflags(X86CpuState *env, uint64_t value, uint64_t mask);
EMU_JIT_HELPER(x86_helper_cond);
/* sse.c: the guest MXCSR while a vCPU runs (see there) */
void x86_mxcsr_sync(X86CpuState *e);
void x86_exec_enter(void *env);
void x86_exec_leave(void *env);
EMU_JIT_HELPER(x86_helper_mxcsr);
EMU_JIT_HELPER(x86_helper_get_eflags);
EMU_JIT_HELPER(x86_helper_set_eflags);
EMU_JIT_HELPER(x86_helper_get_cf);
EMU_JIT_HELPER(x86_helper_set_cf);
EMU_JIT_HELPER(x86_helper_atomic);
extern uint64_t x86_guest_base;

/* helpers.c: complex integer instructions */
EMU_JIT_HELPER(x86_helper_raise);
EMU_JIT_HELPER(x86_helper_syscall);
EMU_JIT_HELPER(x86_helper_cpuid);
EMU_JIT_HELPER(x86_helper_rdtsc);
EMU_JIT_HELPER(x86_helper_rdrand);
EMU_JIT_HELPER(x86_helper_shift);
EMU_JIT_HELPER(x86_helper_shiftd);
EMU_JIT_HELPER(x86_helper_div);
EMU_JIT_HELPER(x86_helper_bitop);
EMU_JIT_HELPER(x86_helper_string);
EMU_JIT_HELPER(x86_helper_cmpxchg16b);
EMU_JIT_HELPER(x86_helper_bmi);
EMU_JIT_HELPER(x86_helper_fpu_env);
EMU_JIT_HELPER(x86_helper_load_seg);

/* x87.c */
EMU_JIT_HELPER(x86_helper_x87);
EMU_JIT_HELPER(x86_helper_x87_arith);
EMU_JIT_HELPER(x86_helper_x87_load);
EMU_JIT_HELPER(x86_helper_x87_store);
EMU_JIT_HELPER(x86_helper_x87_simple);
/* The helper for an x87 instruction (a Zydis mnemonic and tr_x87's operand
 * description) and the description to pass it as its second argument. */
EmuJitHelper x86_x87_helper(unsigned mnemonic, uint32_t operands, uint64_t *desc);
uint16_t x86_x87_status(const X86CpuState *env);
void x86_x87_store_env(X86CpuState *env, void *buf);     /* 28 bytes */
void x86_x87_load_env(X86CpuState *env, const void *buf);
void x86_fxsave(const X86CpuState *env, void *buf);
void x86_fxrstor(X86CpuState *env, const void *buf);

/* sse.c */
EMU_JIT_HELPER(x86_helper_sse);
EMU_JIT_HELPER(x86_helper_sse_arith);
EMU_JIT_HELPER(x86_helper_sse_cvt);
bool x86_sse_supported(unsigned mnemonic);
EMU_JIT_HELPER(x86_helper_mmx);
EMU_JIT_HELPER(x86_helper_emms);
EMU_JIT_HELPER(x86_helper_maskmov);
bool x86_mmx_supported(unsigned mnemonic);

/* legacy.c */
EMU_JIT_HELPER(x86_helper_legacy);
EMU_JIT_HELPER(x86_helper_bound);

/* sse42.c */
EMU_JIT_HELPER(x86_helper_pcmpstr);
EMU_JIT_HELPER(x86_helper_crc32);

/* cpu.c */
extern const EmuCpuClass x86_64_cpu_class, i386_cpu_class;

/* translate.c */
size_t x86_translate(EmuJitCtx *ctx, uint64_t pc, uint32_t flags,
                     uint64_t guest_base, unsigned max_insns);

#endif
