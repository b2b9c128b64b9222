/*
 * Lazy arithmetic flags: materializes CF PF AF ZF SF OF from the last
 * flag-setting operation recorded in cc_op/cc_dst/cc_src/cc_src2/cc_carry,
 * evaluates Jcc/SETcc/CMOVcc conditions, and reads/writes EFLAGS.
 * Operand conventions (set by translate.c):
 *   ADD/ADC/SUB/SBB: dst = result, src = second operand, src2 = first,
 *                    carry = carry/borrow in (ADC/SBB); ADD and SUB
 *                    leave dst unset (it is src2 + src or src2 - src)
 *   INC/DEC: dst = result, src2 = first, carry = CF before
 *   LOGIC: dst = result.  MUL: dst = low result, src = overflow (CF=OF)
 *   EFLAGS: src = the flags themselves
 *   INC_LAZY/DEC_LAZY: see x86-cpu.h
 */
#include "x86-cpu.h"

static uint64_t size_mask(unsigned szlog)
{
    return szlog == 3 ? UINT64_MAX : (1ull << (8u << szlog)) - 1;
}

static uint32_t parity(uint64_t v)
{
    return (__builtin_popcount((unsigned)(v & 0xff)) & 1) ? 0 : X86_PF;
}

static uint32_t zsp(uint64_t res, unsigned szlog)
{
    uint64_t m = size_mask(szlog);
    uint64_t sign = (m >> 1) + 1;
    res &= m;
    return (res == 0 ? X86_ZF : 0) | ((res & sign) ? X86_SF : 0) | parity(res);
}

static uint32_t flags_add(uint64_t a, uint64_t b, uint64_t r, bool carry_in,
                          unsigned sz)
{
    uint64_t m = size_mask(sz), sign = (m >> 1) + 1;
    a &= m; b &= m; r &= m;
    bool cf = carry_in ? r <= a : r < a;
    uint32_t f = zsp(r, sz) | (cf ? X86_CF : 0);
    f |= ((a ^ b ^ r) & 0x10) ? X86_AF : 0;
    f |= ((a ^ r) & (b ^ r) & sign) ? X86_OF : 0;
    return f;
}

static uint32_t flags_sub(uint64_t a, uint64_t b, uint64_t r, bool borrow,
                          unsigned sz)
{
    uint64_t m = size_mask(sz), sign = (m >> 1) + 1;
    a &= m; b &= m; r &= m;
    bool cf = borrow ? a <= b : a < b;
    uint32_t f = zsp(r, sz) | (cf ? X86_CF : 0);
    f |= ((a ^ b ^ r) & 0x10) ? X86_AF : 0;
    f |= ((a ^ b) & (a ^ r) & sign) ? X86_OF : 0;
    return f;
}

static uint32_t flags_of(const X86CpuState *env, uint32_t cc_op);

/* INC/DEC of CC_INC_LAZY/CC_DEC_LAZY: CF from the operation before. */
static uint32_t flags_incdec_lazy(const X86CpuState *env, bool inc, unsigned sz)
{
    uint64_t m = size_mask(sz), sign = (m >> 1) + 1;
    uint64_t r = env->cc_lazy_res, before = inc ? r - 1 : r + 1;
    uint32_t f = zsp(r, sz) | (flags_of(env, env->cc_op_prev) & X86_CF);
    f |= ((before ^ 1 ^ r) & 0x10) ? X86_AF : 0;
    f |= ((r & m) == (inc ? sign : sign - 1)) ? X86_OF : 0;
    return f;
}

uint32_t x86_compute_flags(const X86CpuState *env)
{
    return flags_of(env, env->cc_op);
}

static uint32_t flags_of(const X86CpuState *env, uint32_t cc_op)
{
    unsigned kind = cc_op / 4, sz = cc_op % 4;
    uint64_t d = env->cc_dst, s = env->cc_src, s2 = env->cc_src2;
    uint64_t m = size_mask(sz), sign = (m >> 1) + 1;
    switch (kind) {
    case CC_EFLAGS:
        return (uint32_t)s & X86_ARITH_FLAGS;
    case CC_ADD: return flags_add(s2, s, s2 + s, false, sz);
    case CC_ADC: return flags_add(s2, s, d, env->cc_carry & 1, sz);
    case CC_SUB: return flags_sub(s2, s, s2 - s, false, sz);
    case CC_SBB: return flags_sub(s2, s, d, env->cc_carry & 1, sz);
    case CC_LOGIC: return zsp(d, sz);
    case CC_INC: {
        uint32_t f = zsp(d, sz) | (env->cc_carry & 1 ? X86_CF : 0);
        f |= ((s2 ^ 1 ^ d) & 0x10) ? X86_AF : 0;
        f |= ((d & m) == sign) ? X86_OF : 0;
        return f;
    }
    case CC_DEC: {
        uint32_t f = zsp(d, sz) | (env->cc_carry & 1 ? X86_CF : 0);
        f |= ((s2 ^ 1 ^ d) & 0x10) ? X86_AF : 0;
        f |= ((d & m) == sign - 1) ? X86_OF : 0;
        return f;
    }
    case CC_MUL:
        return zsp(d, sz) | (s ? X86_CF | X86_OF : 0);
    case CC_SHL: {
        bool cf = (s & sign) != 0;
        return zsp(d, sz) | (cf ? X86_CF : 0) |
               ((cf != ((d & sign) != 0)) ? X86_OF : 0);
    }
    case CC_SHR:
        return zsp(d, sz) | ((s & 1) ? X86_CF : 0) |
               ((s2 & sign) ? X86_OF : 0);
    case CC_SAR:
        return zsp(d, sz) | ((s & 1) ? X86_CF : 0);
    case CC_INC_LAZY: case CC_DEC_LAZY:
        return flags_incdec_lazy(env, kind == CC_INC_LAZY, sz);
    }
    return 0;
}

/* The condition after a compare (CC_SUB) straight from its operands,
 * without the other flags; -1 for the conditions it leaves to the
 * general path (overflow and parity). */
static int cond_after_sub(const X86CpuState *env, unsigned cc)
{
    unsigned sz = env->cc_op % 4, shift = 64 - (8u << sz);
    uint64_t a = env->cc_src2 << shift, b = env->cc_src << shift;
    bool r;
    switch (cc >> 1) {
    case 1: r = a < b; break;
    case 2: r = a == b; break;
    case 3: r = a <= b; break;
    case 4: r = (int64_t)(a - b) < 0; break;
    case 6: r = (int64_t)a < (int64_t)b; break;
    case 7: r = (int64_t)a <= (int64_t)b; break;
    default: return -1;
    }
    return (cc & 1) ? !r : r;
}

bool x86_cond(const X86CpuState *env, unsigned cc)
{
    if (env->cc_op / 4 == CC_SUB) {
        int r = cond_after_sub(env, cc);
        if (r >= 0) {
            return r;
        }
    }
    uint32_t f = x86_compute_flags(env);
    bool r;
    switch (cc >> 1) {
    case 0: r = f & X86_OF; break;
    case 1: r = f & X86_CF; break;
    case 2: r = f & X86_ZF; break;
    case 3: r = f & (X86_CF | X86_ZF); break;
    case 4: r = f & X86_SF; break;
    case 5: r = f & X86_PF; break;
    case 6: r = !(f & X86_SF) != !(f & X86_OF); break;
    default: r = (f & X86_ZF) || (!(f & X86_SF) != !(f & X86_OF)); break;
    }
    return (cc & 1) ? !r : r;
}

uint64_t x86_get_eflags(const X86CpuState *env)
{
    return x86_compute_flags(env) | env->eflags_rest | 0x2 |
           (env->df < 0 ? X86_DF : 0);
}

void x86_set_eflags(X86CpuState *env, uint64_t value, uint64_t mask)
{
    uint64_t old = x86_get_eflags(env);
    value = (value & mask) | (old & ~mask);
    env->cc_op = CC_OP(CC_EFLAGS, 0);
    env->cc_src = value & X86_ARITH_FLAGS;
    env->df = (value & X86_DF) ? -1 : 1;
    env->eflags_rest = value & ~(uint64_t)(X86_ARITH_FLAGS | X86_DF | 0x2) &
                       (X86_TF | X86_IF | X86_AC | X86_ID | 0x3000 | 0x4000);
}

EMU_JIT_HELPER(x86_helper_cond)
{
    return x86_cond(env, (unsigned)a);
}

EMU_JIT_HELPER(x86_helper_get_eflags)
{
    return x86_get_eflags(env);
}

/* a = value, b = mask of bits the instruction may change */
EMU_JIT_HELPER(x86_helper_set_eflags)
{
    x86_set_eflags(env, a, b);
    return 0;
}

EMU_JIT_HELPER(x86_helper_get_cf)
{
    return x86_compute_flags(env) & X86_CF;
}

/* a = new CF (0/1): BT and friends change CF only. */
EMU_JIT_HELPER(x86_helper_set_cf)
{
    X86CpuState *e = env;
    uint32_t f = x86_compute_flags(e);
    e->cc_src = (f & ~X86_CF) | (a ? X86_CF : 0);
    e->cc_op = CC_OP(CC_EFLAGS, 0);
    return 0;
}
