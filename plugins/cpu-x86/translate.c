/*
 * x86 translator: guest instructions (decoded by Zydis) to JIT IR.
 *
 * One block ends at a control transfer, a syscall, an instruction that
 * changes the mode, a page boundary or max_insns.  Registers live in env
 * and are loaded/stored per instruction (the optimizer forwards env
 * stores to later loads).  For precise exceptions an instruction performs
 * its guest memory writes before it updates registers and flags.
 * Flags are lazy (see flags.c); when the producer of the flags is in the
 * same block, conditions are computed inline from its operands.
 * Works for 16/32/64-bit code (mode from the block flags).
 */
#include "x86-cpu.h"
#include <emu/log.h>
#include <Zydis/Zydis.h>
#include <string.h>

typedef EmuJitTemp T;

uint64_t x86_guest_base;

typedef struct Dis {
    EmuJitCtx *ctx;
    ZydisDecoder dec;
    ZydisDecodedInstruction in;
    ZydisDecodedOperand op[ZYDIS_MAX_OPERAND_COUNT];
    uint64_t pc, next_pc;
    unsigned mode;
    bool flat_segs;             /* CS DS ES SS bases are 0 (X86_TB_FLAT_SEGS) */
    bool sse_inline;            /* X86_TB_SSE_DEFAULT: host FP ops allowed */
    bool ended;
    bool ea_valid[4];
    T ea[4];
    /* the last flag producer in this block, for inline conditions */
    int cc_kind;
    unsigned cc_sz;
    T cc_dst, cc_src, cc_src2;
    T cc_carry;                 /* carry in of ADC/SBB, CF kept by INC/DEC */
} Dis;

/* ---- small IR helpers ---- */

static T tmp(Dis *d) { return emu_jit_temp_new(d->ctx); }
static T cst(Dis *d, uint64_t v) { return emu_jit_const(d->ctx, (int64_t)v); }

static T op2(Dis *d, EmuJitOp op, T a, T b)
{
    T r = tmp(d);
    emu_jit_op2(d->ctx, op, r, a, b);
    return r;
}

static T op1(Dis *d, EmuJitOp op, T a)
{
    T r = tmp(d);
    emu_jit_op1(d->ctx, op, r, a);
    return r;
}

static T opi(Dis *d, EmuJitOp op, T a, uint64_t imm)
{
    return op2(d, op, a, cst(d, imm));
}

static unsigned szlog_of_bits(unsigned bits)
{
    return bits <= 8 ? 0 : bits <= 16 ? 1 : bits <= 32 ? 2 : 3;
}

static uint64_t mask_of(unsigned szlog)
{
    return szlog == 3 ? UINT64_MAX : (1ull << (8u << szlog)) - 1;
}

static T zext(Dis *d, T v, unsigned sz)
{
    static const EmuJitOp ops[] = { EMU_JIT_EXT8U, EMU_JIT_EXT16U,
                                    EMU_JIT_EXT32U, EMU_JIT_MOV };
    return op1(d, ops[sz], v);
}

static T sext(Dis *d, T v, unsigned sz)
{
    static const EmuJitOp ops[] = { EMU_JIT_EXT8S, EMU_JIT_EXT16S,
                                    EMU_JIT_EXT32S, EMU_JIT_MOV };
    return op1(d, ops[sz], v);
}

static T setcond(Dis *d, EmuJitCond c, T a, T b)
{
    T r = tmp(d);
    emu_jit_setcond(d->ctx, c, r, a, b);
    return r;
}

static T movcond(Dis *d, EmuJitCond c, T a, T b, T v1, T v2)
{
    T r = tmp(d);
    emu_jit_movcond(d->ctx, c, r, a, b, v1, v2);
    return r;
}

static T ld_env(Dis *d, size_t off, EmuJitMemOp mo)
{
    T r = tmp(d);
    emu_jit_ld_env(d->ctx, r, off, mo);
    return r;
}

static void st_env(Dis *d, T v, size_t off, EmuJitMemOp mo)
{
    emu_jit_st_env(d->ctx, v, off, mo);
}

static T ld_mem(Dis *d, T addr, unsigned mo)
{
    T r = tmp(d);
    emu_jit_ld(d->ctx, r, addr, mo);
    return r;
}

static void st_mem(Dis *d, T v, T addr, unsigned mo)
{
    emu_jit_st(d->ctx, v, addr, mo);
}

static T call(Dis *d, EmuJitHelper fn, unsigned flags, unsigned n,
              T a0, T a1, T a2, T a3)
{
    T args[4] = { a0, a1, a2, a3 };
    T r = tmp(d);
    emu_jit_call(d->ctx, fn, flags, r, n, args);
    return r;
}

static T calli(Dis *d, EmuJitHelper fn, unsigned n, uint64_t a0, uint64_t a1,
               uint64_t a2, uint64_t a3)
{
    T c0 = n > 0 ? cst(d, a0) : 0, c1 = n > 1 ? cst(d, a1) : 0;
    T c2 = n > 2 ? cst(d, a2) : 0, c3 = n > 3 ? cst(d, a3) : 0;
    return call(d, fn, 0, n, c0, c1, c2, c3);
}

/* ---- registers ---- */

/* Outside 64-bit mode a register never has bits above 31 set (every
 * write is 32 bits or narrower), so 32-bit loads tell the optimizer the
 * value is zero-extended already. */
static T ld_reg(Dis *d, unsigned idx)
{
    return ld_env(d, REG_OFF(idx), d->mode == 64 ? EMU_MO_64 : EMU_MO_32);
}

static void st_reg(Dis *d, unsigned idx, T v)
{
    st_env(d, v, REG_OFF(idx), EMU_MO_64);
}

/* Register index and byte offset (1 for AH..BH) of a Zydis GPR. */
static bool gpr_index(ZydisRegister r, unsigned *idx, unsigned *shift,
                      unsigned *sz)
{
    ZydisRegisterClass cls = ZydisRegisterGetClass(r);
    unsigned id = (unsigned)ZydisRegisterGetId(r);
    *shift = 0;
    switch (cls) {
    case ZYDIS_REGCLASS_GPR64: *sz = 3; *idx = id; return true;
    case ZYDIS_REGCLASS_GPR32: *sz = 2; *idx = id; return true;
    case ZYDIS_REGCLASS_GPR16: *sz = 1; *idx = id; return true;
    case ZYDIS_REGCLASS_GPR8:
        *sz = 0;
        if (id >= 4 && id < 8) {
            *idx = id - 4;
            *shift = 8;
        } else {
            *idx = id < 4 ? id : id - 4;
        }
        return true;
    default:
        return false;
    }
}

static T read_gpr(Dis *d, ZydisRegister r)
{
    unsigned idx, shift, sz;
    if (r == ZYDIS_REGISTER_RIP || r == ZYDIS_REGISTER_EIP ||
        r == ZYDIS_REGISTER_IP) {
        return cst(d, d->next_pc);
    }
    if (!gpr_index(r, &idx, &shift, &sz)) {
        return cst(d, 0);
    }
    T v = ld_reg(d, idx);
    if (shift) {
        v = opi(d, EMU_JIT_SHR, v, shift);
    }
    return zext(d, v, sz);
}

/* Writes with x86 rules: 32-bit writes zero the top half, 8/16 merge. */
static void write_gpr(Dis *d, ZydisRegister r, T v)
{
    unsigned idx, shift, sz;
    if (!gpr_index(r, &idx, &shift, &sz)) {
        return;
    }
    if (sz == 3) {
        st_reg(d, idx, v);
    } else if (sz == 2) {
        st_reg(d, idx, zext(d, v, 2));
    } else {
        uint64_t m = mask_of(sz) << shift;
        T old = opi(d, EMU_JIT_AND, ld_reg(d, idx), ~m);
        T part = zext(d, v, sz);
        if (shift) {
            part = opi(d, EMU_JIT_SHL, part, shift);
        }
        st_reg(d, idx, op2(d, EMU_JIT_OR, old, part));
    }
}

/* Register with the current operand size; idx in encoding order. */
static T read_reg_sz(Dis *d, unsigned idx, unsigned sz)
{
    return zext(d, ld_reg(d, idx), sz);
}

static void write_reg_sz(Dis *d, unsigned idx, unsigned sz, T v)
{
    static const ZydisRegister base[] = { ZYDIS_REGISTER_AL, ZYDIS_REGISTER_AX,
                                          ZYDIS_REGISTER_EAX, ZYDIS_REGISTER_RAX };
    if (sz == 0 && idx >= 4) {
        /* byte registers 4..7 are spl..dil here, never ah..bh */
        write_gpr(d, (ZydisRegister)(ZYDIS_REGISTER_SPL + idx - 4), v);
        return;
    }
    write_gpr(d, (ZydisRegister)(base[sz] + idx), v);
}

/* ---- memory operands ---- */

static unsigned addr_sz(Dis *d)
{
    return szlog_of_bits(d->in.address_width);
}

static T seg_base_add(Dis *d, T a, ZydisRegister seg)
{
    int s = -1;
    switch (seg) {
    case ZYDIS_REGISTER_FS: s = SEG_FS; break;
    case ZYDIS_REGISTER_GS: s = SEG_GS; break;
    case ZYDIS_REGISTER_ES: s = d->flat_segs ? -1 : SEG_ES; break;
    case ZYDIS_REGISTER_CS: s = d->flat_segs ? -1 : SEG_CS; break;
    case ZYDIS_REGISTER_SS: s = d->flat_segs ? -1 : SEG_SS; break;
    case ZYDIS_REGISTER_DS: s = d->flat_segs ? -1 : SEG_DS; break;
    default: break;
    }
    if (s < 0) {
        return a;
    }
    T r = op2(d, EMU_JIT_ADD, a, ld_env(d, ENV_OFF(seg_base) + 8 * s, EMU_MO_64));
    return d->mode == 64 ? r : zext(d, r, 2);
}

/* Effective address without segment (LEA). */
static T gen_lea(Dis *d, const ZydisDecodedOperand *o)
{
    const ZydisDecodedOperandMem *m = &o->mem;
    T a;
    if (m->base == ZYDIS_REGISTER_RIP || m->base == ZYDIS_REGISTER_EIP) {
        a = cst(d, d->next_pc + (uint64_t)m->disp.value);
    } else {
        a = cst(d, (uint64_t)m->disp.value);
        if (m->base != ZYDIS_REGISTER_NONE) {
            a = op2(d, EMU_JIT_ADD, a, read_gpr(d, m->base));
        }
    }
    if (m->index != ZYDIS_REGISTER_NONE) {
        T i = read_gpr(d, m->index);
        if (m->scale > 1) {
            i = opi(d, EMU_JIT_SHL, i, (uint64_t)__builtin_ctz(m->scale));
        }
        a = op2(d, EMU_JIT_ADD, a, i);
    }
    unsigned as = addr_sz(d);
    return as < 3 ? zext(d, a, as) : a;
}

static T gen_ea(Dis *d, int k)
{
    if (k < 4 && d->ea_valid[k]) {
        return d->ea[k];
    }
    T a = seg_base_add(d, gen_lea(d, &d->op[k]), d->op[k].mem.segment);
    if (k < 4) {
        d->ea[k] = a;
        d->ea_valid[k] = true;
    }
    return a;
}

static unsigned op_sz(Dis *d, int k)
{
    return szlog_of_bits(d->op[k].size);
}

static T load_op_sz(Dis *d, int k, unsigned sz)
{
    const ZydisDecodedOperand *o = &d->op[k];
    switch (o->type) {
    case ZYDIS_OPERAND_TYPE_REGISTER:
        return read_gpr(d, o->reg.value);
    case ZYDIS_OPERAND_TYPE_MEMORY:
        return ld_mem(d, gen_ea(d, k), sz);
    case ZYDIS_OPERAND_TYPE_IMMEDIATE:
        return cst(d, o->imm.value.u & mask_of(sz));
    default:
        return cst(d, 0);
    }
}

static T load_op(Dis *d, int k)
{
    return load_op_sz(d, k, op_sz(d, k));
}

static void store_op(Dis *d, int k, T v)
{
    const ZydisDecodedOperand *o = &d->op[k];
    if (o->type == ZYDIS_OPERAND_TYPE_REGISTER) {
        write_gpr(d, o->reg.value, v);
    } else if (o->type == ZYDIS_OPERAND_TYPE_MEMORY) {
        st_mem(d, v, gen_ea(d, k), op_sz(d, k));
    }
}

static bool is_mem(Dis *d, int k)
{
    return d->op[k].type == ZYDIS_OPERAND_TYPE_MEMORY;
}

/* ---- flags ---- */

/* Whether the instruction after this one, a register-only arithmetic
 * instruction, sets every arithmetic flag without reading any: the flags
 * this one would set are then dead (and no fault can come in between). */
static bool next_insn_sets_all_flags(Dis *d)
{
    const uint8_t *p = (const uint8_t *)(uintptr_t)(x86_guest_base + d->next_pc);
    size_t room = 4096 - (d->next_pc & 4095);
    ZydisDecodedInstruction in;
    ZydisDecodedOperand op[ZYDIS_MAX_OPERAND_COUNT];
    if ((d->next_pc ^ d->pc) & ~4095ull ||
        !ZYAN_SUCCESS(ZydisDecoderDecodeFull(&d->dec, p, MIN(room, 15), &in,
                                             op))) {
        return false;
    }
    switch (in.mnemonic) {
    case ZYDIS_MNEMONIC_ADD: case ZYDIS_MNEMONIC_SUB: case ZYDIS_MNEMONIC_AND:
    case ZYDIS_MNEMONIC_OR: case ZYDIS_MNEMONIC_XOR: case ZYDIS_MNEMONIC_CMP:
    case ZYDIS_MNEMONIC_TEST: case ZYDIS_MNEMONIC_NEG:
        break;
    default:
        return false;
    }
    for (unsigned k = 0; k < in.operand_count; k++) {
        if (op[k].type == ZYDIS_OPERAND_TYPE_MEMORY) {
            return false;
        }
    }
    return true;
}

static void set_cc(Dis *d, unsigned kind, unsigned sz, T dst, T src, T src2)
{
    /* the result of ADD/SUB follows from the operands (see flags.c): a
     * CMP then needs neither the subtraction nor its store */
    if (kind != CC_ADD && kind != CC_SUB) {
        st_env(d, dst, ENV_OFF(cc_dst), EMU_MO_64);
    }
    if (src) {
        st_env(d, src, ENV_OFF(cc_src), EMU_MO_64);
    }
    if (src2) {
        st_env(d, src2, ENV_OFF(cc_src2), EMU_MO_64);
    }
    st_env(d, cst(d, CC_OP(kind, sz)), ENV_OFF(cc_op), EMU_MO_32);
    d->cc_kind = (int)kind;
    d->cc_sz = sz;
    d->cc_dst = dst;
    d->cc_src = src;
    d->cc_src2 = src2;
}

/* Flags changed by a helper: nothing known statically any more. */
static void cc_unknown(Dis *d)
{
    d->cc_kind = -1;
}

/* carry: 0 or 1; call before set_cc() */
static void set_cc_carry(Dis *d, T carry)
{
    st_env(d, carry, ENV_OFF(cc_carry), EMU_MO_64);
    d->cc_carry = carry;
}

/* CF of a known producer as 0/1, or 0 (no temp) when not handled */
static T cf_inline(Dis *d)
{
    unsigned sz = d->cc_sz;
    switch (d->cc_kind) {
    case CC_SUB:
        return setcond(d, EMU_JIT_LTU, zext(d, d->cc_src2, sz),
                       zext(d, d->cc_src, sz));
    case CC_LOGIC:
        return cst(d, 0);
    case CC_ADD:        /* the sum wrapped below the first operand */
        return setcond(d, EMU_JIT_LTU, zext(d, d->cc_dst, sz),
                       zext(d, d->cc_src2, sz));
    case CC_ADC: case CC_SBB: {
        /* with a carry in, equality also carries (borrows) out */
        T x = zext(d, d->cc_kind == CC_ADC ? d->cc_dst : d->cc_src2, sz);
        T y = zext(d, d->cc_kind == CC_ADC ? d->cc_src2 : d->cc_src, sz);
        T eq = op2(d, EMU_JIT_AND, setcond(d, EMU_JIT_EQ, x, y), d->cc_carry);
        return op2(d, EMU_JIT_OR, setcond(d, EMU_JIT_LTU, x, y), eq);
    }
    case CC_INC: case CC_DEC:
        return d->cc_carry;
    case CC_SHR: case CC_SAR:   /* the last bit shifted out */
        return opi(d, EMU_JIT_AND, d->cc_src, 1);
    case CC_SHL:
        return setcond(d, EMU_JIT_TSTNE, d->cc_src, cst(d, (mask_of(sz) >> 1) + 1));
    default:
        return 0;
    }
}

static T get_cf(Dis *d)
{
    T cf = d->cc_kind >= 0 ? cf_inline(d) : 0;
    if (cf) {
        return cf;
    }
    return call(d, x86_helper_get_cf, EMU_JIT_CALL_NO_ENV_WRITE, 0, 0, 0, 0, 0);
}

/* Inline condition from a known producer, or 0 when not handled. */
static T cond_inline(Dis *d, unsigned cc)
{
    unsigned sz = d->cc_sz, base = cc & ~1u;
    uint64_t sign = (mask_of(sz) >> 1) + 1;
    EmuJitCond c = EMU_JIT_NEVER;
    T a = 0, b = 0;
    switch (d->cc_kind) {
    case CC_SUB:
        if (base == 4) {        /* src2 - src == 0: compare them directly */
            a = zext(d, d->cc_src2, sz); b = zext(d, d->cc_src, sz);
            c = EMU_JIT_EQ;
        } else if (base == 2 || base == 6) {
            a = zext(d, d->cc_src2, sz); b = zext(d, d->cc_src, sz);
            c = base == 2 ? EMU_JIT_LTU : EMU_JIT_LEU;
        } else if (base == 12 || base == 14) {
            a = sext(d, d->cc_src2, sz); b = sext(d, d->cc_src, sz);
            c = base == 12 ? EMU_JIT_LT : EMU_JIT_LE;
        } else if (base == 8) {
            a = d->cc_dst; b = cst(d, sign); c = EMU_JIT_TSTNE;
        }
        break;
    case CC_LOGIC:
        if (base == 4) {
            a = d->cc_dst; b = cst(d, mask_of(sz)); c = EMU_JIT_TSTEQ;
        } else if (base == 8 || base == 12) {
            a = d->cc_dst; b = cst(d, sign); c = EMU_JIT_TSTNE;
        } else if (base == 14 || base == 6) {
            a = sext(d, d->cc_dst, sz); b = cst(d, 0);
            c = base == 14 ? EMU_JIT_LE : EMU_JIT_EQ;
        } else if (base == 0 || base == 2) {
            return cst(d, cc & 1);
        }
        break;
    case CC_ADD: case CC_INC: case CC_DEC: case CC_ADC: case CC_SBB:
    case CC_SHL: case CC_SHR: case CC_SAR: case CC_MUL:
    case CC_INC_LAZY: case CC_DEC_LAZY:
        if (base == 4) {
            a = d->cc_dst; b = cst(d, mask_of(sz)); c = EMU_JIT_TSTEQ;
        } else if (base == 8) {
            a = d->cc_dst; b = cst(d, sign); c = EMU_JIT_TSTNE;
        } else if (base == 2 && (a = cf_inline(d))) {
            b = cst(d, 0); c = EMU_JIT_NE;
        }
        break;
    default:
        break;
    }
    if (c == EMU_JIT_NEVER) {
        return 0;
    }
    if (cc & 1) {
        static const EmuJitCond inv[] = {
            [EMU_JIT_EQ] = EMU_JIT_NE, [EMU_JIT_NE] = EMU_JIT_EQ,
            [EMU_JIT_LTU] = EMU_JIT_GEU,
            [EMU_JIT_LEU] = EMU_JIT_GTU, [EMU_JIT_LT] = EMU_JIT_GE,
            [EMU_JIT_LE] = EMU_JIT_GT, [EMU_JIT_TSTNE] = EMU_JIT_TSTEQ,
            [EMU_JIT_TSTEQ] = EMU_JIT_TSTNE,
        };
        c = inv[c];
    }
    return setcond(d, c, a, b);
}

/* 0/1 for condition code cc (Jcc encoding 0..15). */
static T gen_cond(Dis *d, unsigned cc)
{
    T r = d->cc_kind >= 0 ? cond_inline(d, cc) : 0;
    if (r) {
        return r;
    }
    return call(d, x86_helper_cond, EMU_JIT_CALL_NO_ENV_WRITE, 1,
                cst(d, cc), 0, 0, 0);
}

/* ---- control flow ---- */

static uint64_t mask_pc(Dis *d, uint64_t pc)
{
    if (d->in.operand_width == 16 && d->mode != 64) {
        return pc & 0xffff;
    }
    return d->mode == 64 ? pc : (pc & 0xffffffffu);
}

static void gen_jump_const(Dis *d, uint64_t target, unsigned slot)
{
    st_env(d, cst(d, target), ENV_OFF(rip), EMU_MO_64);
    emu_jit_goto_tb(d->ctx, slot);
    emu_jit_exit_tb(d->ctx, slot + 1);
}

static void gen_jump_reg(Dis *d, T target)
{
    st_env(d, target, ENV_OFF(rip), EMU_MO_64);
    emu_jit_lookup_tb(d->ctx, target);
    emu_jit_exit_tb(d->ctx, 0);
    d->ended = true;
}

/* After an instruction that may change the MXCSR control bits (block
 * flag X86_TB_SSE_DEFAULT): the next block is looked up afresh. */
static void end_block_mxcsr(Dis *d)
{
    st_env(d, cst(d, d->next_pc), ENV_OFF(rip), EMU_MO_64);
    emu_jit_exit_tb(d->ctx, 0);
    d->ended = true;
}

static void gen_branch(Dis *d, T taken_if_nonzero, uint64_t target)
{
    EmuJitLabel l = emu_jit_label_new(d->ctx);
    emu_jit_brcond(d->ctx, EMU_JIT_NE, taken_if_nonzero, cst(d, 0), l);
    gen_jump_const(d, d->next_pc, 0);
    emu_jit_label(d->ctx, l);
    gen_jump_const(d, target, 1);
    d->ended = true;
}

static uint64_t rel_target(Dis *d, int k)
{
    return mask_pc(d, d->next_pc + d->op[k].imm.value.u);
}

static void gen_raise(Dis *d, int excp, uint64_t aux)
{
    calli(d, x86_helper_raise, 2, (uint64_t)excp, aux, 0, 0);
    emu_jit_exit_tb(d->ctx, 0);
    d->ended = true;
}

/* ---- stack ---- */

static unsigned stack_sz(Dis *d)
{
    if (d->mode == 64) {
        return d->in.operand_width == 16 ? 1 : 3;
    }
    return d->in.operand_width == 16 ? 1 : 2;
}

static T sp_addr(Dis *d, T sp)
{
    if (d->mode == 64) {
        return sp;
    }
    return seg_base_add(d, zext(d, sp, 2), ZYDIS_REGISTER_SS);
}

static void write_sp(Dis *d, T v)
{
    if (d->mode == 64) {
        st_reg(d, R_ESP, v);
    } else {
        write_gpr(d, ZYDIS_REGISTER_ESP, v);
    }
}

static void gen_push(Dis *d, T v, unsigned sz)
{
    T sp = opi(d, EMU_JIT_SUB, ld_reg(d, R_ESP), 1u << sz);
    st_mem(d, v, sp_addr(d, sp), sz);
    write_sp(d, sp);
}

static T gen_pop(Dis *d, unsigned sz)
{
    T sp = ld_reg(d, R_ESP);
    T v = ld_mem(d, sp_addr(d, sp), sz);
    write_sp(d, opi(d, EMU_JIT_ADD, sp, 1u << sz));
    return v;
}

#include "translate-int.inc"
#include "translate-sse.inc"
#include "translate-legacy.inc"

/* ---- the block loop ---- */

static bool decode(Dis *d, uint64_t guest_base)
{
    const uint8_t *p = (const uint8_t *)(uintptr_t)(guest_base + d->pc);
    size_t room = 4096 - (d->pc & 4095);
    ZyanStatus st = ZydisDecoderDecodeFull(&d->dec, p, MIN(room, 15), &d->in,
                                           d->op);
    if (st == ZYDIS_STATUS_NO_MORE_DATA && room < 15) {
        st = ZydisDecoderDecodeFull(&d->dec, p, 15, &d->in, d->op);
    }
    return ZYAN_SUCCESS(st);
}

static void decoder_init(Dis *d)
{
    if (d->mode == 64) {
        ZydisDecoderInit(&d->dec, ZYDIS_MACHINE_MODE_LONG_64,
                         ZYDIS_STACK_WIDTH_64);
    } else if (d->mode == 32) {
        ZydisDecoderInit(&d->dec, ZYDIS_MACHINE_MODE_LONG_COMPAT_32,
                         ZYDIS_STACK_WIDTH_32);
    } else {
        ZydisDecoderInit(&d->dec, ZYDIS_MACHINE_MODE_LONG_COMPAT_16,
                         ZYDIS_STACK_WIDTH_16);
    }
}

size_t x86_translate(EmuJitCtx *ctx, uint64_t pc, uint32_t flags,
                     uint64_t guest_base, unsigned max_insns)
{
    Dis d = { .ctx = ctx, .pc = pc, .mode = flags & X86_TB_MODE_MASK,
              .cc_kind = -1 };
    /* 64-bit mode ignores these bases whatever they hold */
    d.flat_segs = d.mode == 64 || (flags & X86_TB_FLAT_SEGS);
    d.sse_inline = flags & X86_TB_SSE_DEFAULT;
    uint64_t start = pc;
    x86_guest_base = guest_base;
    decoder_init(&d);
    for (unsigned n = 0; !d.ended; n++) {
        if (n >= max_insns || (n > 0 && ((d.pc ^ start) & ~4095ull))) {
            gen_jump_const(&d, d.pc, 0);
            break;
        }
        emu_jit_insn_start(ctx, d.pc);
        memset(d.ea_valid, 0, sizeof(d.ea_valid));
        if (!decode(&d, guest_base)) {
            d.next_pc = d.pc + 1;
            gen_raise(&d, EMU_EXCP_ILLEGAL, 0);
            break;
        }
        d.next_pc = d.pc + d.in.length;
        if (!translate_int(&d) && !translate_sse(&d) && !translate_legacy(&d)) {
            emu_log_mask_printf(EMU_LOG_UNIMP,
                                "x86: unimplemented %s at 0x%" G_GINT64_MODIFIER "x\n",
                                ZydisMnemonicGetString(d.in.mnemonic), d.pc);
            gen_raise(&d, EMU_EXCP_ILLEGAL, 0);
        }
        d.pc = d.next_pc;
    }
    return (size_t)(d.pc - start);
}
