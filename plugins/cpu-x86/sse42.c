/*
 * SSE4.2: the packed string compares PCMPESTRI/PCMPESTRM/PCMPISTRI/
 * PCMPISTRM and CRC32, written from the Intel SDM's description
 * (vol. 2, "4.1 Imm8 Control Byte Operation for PCMPESTRI ...").
 *
 * Naming follows the SDM: "reg" is the first operand (xmm1: the set,
 * the ranges or the needle), "mem" the second (xmm2/m128: the data).
 * IntRes1 bit i refers to element i of the data.
 */
#include "x86-cpu.h"
#include <Zydis/Zydis.h>
#include <stdlib.h>

#define M(x) ZYDIS_MNEMONIC_##x

/* imm8 fields */
#define IMM_WORDS(imm)    ((imm) & 1)
#define IMM_SIGNED(imm)   (((imm) >> 1) & 1)
#define IMM_AGG(imm)      (((imm) >> 2) & 3)
#define IMM_POLARITY(imm) (((imm) >> 4) & 3)
#define IMM_MSB(imm)      (((imm) >> 6) & 1)

enum { AGG_EQUAL_ANY, AGG_RANGES, AGG_EQUAL_EACH, AGG_EQUAL_ORDERED };

static int element(const X86Xmm *x, unsigned i, unsigned imm)
{
    if (IMM_WORDS(imm)) {
        return IMM_SIGNED(imm) ? x->sw[i] : x->w[i];
    }
    return IMM_SIGNED(imm) ? x->sb[i] : x->b[i];
}

/* Implicit length: elements before the first zero one. */
static unsigned implicit_len(const X86Xmm *x, unsigned imm, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (element(x, i, imm) == 0) {
            return i;
        }
    }
    return n;
}

/* Explicit length: |value| saturated to the element count.  The flags
 * compare the unsaturated absolute value (ZF/SF: "< n"). */
static unsigned explicit_len(int64_t v, unsigned n)
{
    uint64_t a = v < 0 ? -(uint64_t)v : (uint64_t)v;
    return a < n ? (unsigned)a : n;
}

/* BoolRes[j][i] with the overrides for invalid elements. */
static bool bool_res(const X86Xmm *reg, const X86Xmm *mem, unsigned j,
                     unsigned i, unsigned len_reg, unsigned len_mem,
                     unsigned imm)
{
    bool reg_ok = j < len_reg, mem_ok = i < len_mem;
    int a = element(reg, j, imm), b = element(mem, i, imm);
    switch (IMM_AGG(imm)) {
    case AGG_EQUAL_ANY:
        return reg_ok && mem_ok && a == b;
    case AGG_RANGES:
        return reg_ok && mem_ok && ((j & 1) ? b <= a : b >= a);
    case AGG_EQUAL_EACH:
        return reg_ok && mem_ok ? a == b : !reg_ok && !mem_ok;
    default: /* equal ordered */
        if (!reg_ok) {
            return true;
        }
        return mem_ok && a == b;
    }
}

static unsigned aggregate(const X86Xmm *reg, const X86Xmm *mem,
                          unsigned len_reg, unsigned len_mem, unsigned imm,
                          unsigned n)
{
    unsigned res = 0;
    for (unsigned i = 0; i < n; i++) {
        bool bit = false;
        switch (IMM_AGG(imm)) {
        case AGG_EQUAL_ANY:
            for (unsigned j = 0; j < n; j++) {
                bit |= bool_res(reg, mem, j, i, len_reg, len_mem, imm);
            }
            break;
        case AGG_RANGES:
            for (unsigned j = 0; j + 1 < n; j += 2) {
                bit |= bool_res(reg, mem, j, i, len_reg, len_mem, imm) &&
                       bool_res(reg, mem, j + 1, i, len_reg, len_mem, imm);
            }
            break;
        case AGG_EQUAL_EACH:
            bit = bool_res(reg, mem, i, i, len_reg, len_mem, imm);
            break;
        default:    /* the needle starting at data element i */
            bit = true;
            for (unsigned k = 0; i + k < n; k++) {
                bit &= bool_res(reg, mem, k, i + k, len_reg, len_mem, imm);
            }
            break;
        }
        res |= (unsigned)bit << i;
    }
    return res;
}

static unsigned polarity(unsigned res, unsigned len_mem, unsigned imm,
                         unsigned n)
{
    unsigned all = (1u << n) - 1;
    switch (IMM_POLARITY(imm)) {
    case 1: return ~res & all;
    case 3: return res ^ ((1u << len_mem) - 1);  /* valid elements only */
    default: return res;
    }
}

static void set_eflags_arith(X86CpuState *env, uint32_t f)
{
    env->cc_op = CC_OP(CC_EFLAGS, 0);
    env->cc_src = f;
}

/* a = mnemonic, b = xmm1 offset, c = xmm2/m128 offset, d = imm8 | REX.W << 8 */
EMU_JIT_HELPER(x86_helper_pcmpstr)
{
    X86CpuState *e = env;
    unsigned m = (unsigned)a, imm = (unsigned)d & 0xff;
    bool wide = (d >> 8) & 1;
    const X86Xmm reg = *(X86Xmm *)((char *)env + b);
    const X86Xmm mem = *(X86Xmm *)((char *)env + c);
    unsigned n = IMM_WORDS(imm) ? 8 : 16;
    bool explicit_ = m == M(PCMPESTRI) || m == M(PCMPESTRM);
    unsigned len_reg, len_mem;
    if (explicit_) {
        int64_t ax = wide ? (int64_t)e->regs[R_EAX] : (int32_t)e->regs[R_EAX];
        int64_t dx = wide ? (int64_t)e->regs[R_EDX] : (int32_t)e->regs[R_EDX];
        len_reg = explicit_len(ax, n);
        len_mem = explicit_len(dx, n);
    } else {
        len_reg = implicit_len(&reg, imm, n);
        len_mem = implicit_len(&mem, imm, n);
    }
    unsigned res = polarity(aggregate(&reg, &mem, len_reg, len_mem, imm, n),
                            len_mem, imm, n);
    if (m == M(PCMPESTRI) || m == M(PCMPISTRI)) {
        unsigned idx = n;
        if (res) {
            idx = IMM_MSB(imm) ? 31 - (unsigned)__builtin_clz(res)
                               : (unsigned)__builtin_ctz(res);
        }
        e->regs[R_ECX] = idx;
    } else {
        X86Xmm out = { 0 };
        for (unsigned i = 0; i < n && IMM_MSB(imm); i++) {
            if (res & (1u << i)) {
                if (n == 8) {
                    out.w[i] = 0xffff;
                } else {
                    out.b[i] = 0xff;
                }
            }
        }
        if (!IMM_MSB(imm)) {
            out.w[0] = (uint16_t)res;
        }
        e->xmm[0] = out;
    }
    set_eflags_arith(e, (res ? X86_CF : 0) | (len_mem < n ? X86_ZF : 0) |
                        (len_reg < n ? X86_SF : 0) | ((res & 1) ? X86_OF : 0));
    return 0;
}

/* CRC32 (Castagnoli polynomial, bit-reflected as the instruction uses it).
 * a = crc so far, b = data, c = data bytes; returns the new crc. */
EMU_JIT_HELPER(x86_helper_crc32)
{
    uint32_t crc = (uint32_t)a;
    for (unsigned k = 0; k < c; k++) {
        crc ^= (uint8_t)(b >> (8 * k));
        for (int bit = 0; bit < 8; bit++) {
            crc = (crc >> 1) ^ ((crc & 1) ? 0x82f63b78u : 0);
        }
    }
    (void)d;
    (void)env;
    return crc;
}
