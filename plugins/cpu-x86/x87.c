/*
 * x87 FPU instructions as helpers over the portable 80-bit soft-float
 * library in fpu/ (no host floating point involved).
 *
 * The translator passes the Zydis mnemonic, the memory operand's address
 * and a description of the visible operands (see X87_OPERANDS below);
 * x86_helper_x87() does the register-stack bookkeeping (TOP, tags, stack
 * overflow/underflow) and the arithmetic.  Exception flags accumulate in
 * the status word; ES and B are derived from it (a flag set whose mask
 * bit is clear) and such a pending exception raises #MF (SIGFPE) at the
 * next waiting x87 instruction or FWAIT.  An unmasked invalid-operation,
 * denormal or zero-divide exception leaves the register stack as it was;
 * unmasked overflow/underflow store the exponent-adjusted result in a
 * register (the library does it) and nothing in memory.  Tags are kept in
 * the FXSAVE abridged form: bit i set = physical register i is in use.
 */
#include "x86-cpu.h"
#include "fpu/softfloat-x80.h"
#include "fpu/x80-fast.h"
#include <Zydis/Zydis.h>
#include <signal.h>
#include <string.h>

#define M(x) ZYDIS_MNEMONIC_##x

/* c argument: operand kinds and st indexes, memory operand bytes */
enum { K_NONE, K_ST, K_MEM };
#define OPND_KIND(c, n) ((unsigned)((c) >> (4 + 8 * (n))) & 0xf)
#define OPND_IDX(c, n) ((unsigned)((c) >> (8 + 8 * (n))) & 0xf)
#define OPND_BYTES(c) ((unsigned)((c) >> 24) & 0xff)

static void *gptr(uint64_t a)
{
    return (void *)(uintptr_t)(x86_guest_base + a);
}

static FloatX80 get_phys(const X86CpuState *e, unsigned phys)
{
    FloatX80 f = { e->st[phys].mant, e->st[phys].sexp };
    return f;
}

static unsigned phys_of(const X86CpuState *e, unsigned i)
{
    return (e->fptop + i) & 7;
}

static bool st_valid(const X86CpuState *e, unsigned i)
{
    return e->fptag & (1u << phys_of(e, i));
}

/* Set by a stack underflow in the current instruction: the masked
 * response then stores the indefinite QNaN whatever the other operand. */
static _Thread_local bool stack_underflow;

static FloatX80 unless_underflow(FloatX80 r)
{
    return stack_underflow ? x80_default_nan : r;
}

/* The register stack at the start of the instruction, put back when it
 * raises an unmasked pre-computation exception. */
typedef struct X87Stack {
    X86Float80 st[8];
    uint16_t tag;
    unsigned top;
    bool faulted;               /* a stack fault (IE) happened */
} X87Stack;
static _Thread_local X87Stack saved_stack;

static void stack_fault(X86CpuState *e, bool overflow)
{
    stack_underflow |= !overflow;
    saved_stack.faulted = true;
    e->fpus |= X80_FLAG_IE | 0x40;          /* IE + SF */
    e->fpus = (uint16_t)((e->fpus & ~X80_C1) | (overflow ? X80_C1 : 0));
}

static FloatX80 st_get(X86CpuState *e, unsigned i)
{
    if (!st_valid(e, i)) {
        stack_fault(e, false);
        return x80_default_nan;
    }
    return get_phys(e, phys_of(e, i));
}

static void st_set(X86CpuState *e, unsigned i, FloatX80 v)
{
    unsigned p = phys_of(e, i);
    e->st[p].mant = v.mant;
    e->st[p].sexp = v.sign_exp;
    e->fptag |= (uint16_t)(1u << p);
}

static void push(X86CpuState *e, FloatX80 v)
{
    e->fptop = (e->fptop - 1) & 7;
    if (e->fptag & (1u << e->fptop)) {
        stack_fault(e, true);
        v = x80_default_nan;
    }
    st_set(e, 0, v);
}

static void pop(X86CpuState *e)
{
    e->fptag &= (uint16_t)~(1u << e->fptop);
    e->fptop = (e->fptop + 1) & 7;
}

static void begin(X86CpuState *e, X80Status *st)
{
    x80_status_from_cw(st, e->fpuc);
    stack_underflow = false;
    memcpy(saved_stack.st, e->st, sizeof(e->st));
    saved_stack.tag = e->fptag;
    saved_stack.top = e->fptop;
    saved_stack.faulted = false;
    st->flags = 0;
    st->c1 = false;
}

static void finish(X86CpuState *e, const X80Status *st)
{
    e->fpus = (uint16_t)((e->fpus | st->flags) & ~X80_C1) | (st->c1 ? X80_C1 : 0);
    unsigned raised = st->flags | (saved_stack.faulted ? X80_FLAG_IE : 0u);
    if (raised & ~e->fpuc & (X80_FLAG_IE | X80_FLAG_DE | X80_FLAG_ZE)) {
        memcpy(e->st, saved_stack.st, sizeof(e->st));
        e->fptag = saved_stack.tag;
        e->fptop = saved_stack.top;
    }
}

/* An unmasked exception flag is set: ES and B read as 1. */
static bool x87_pending(const X86CpuState *e)
{
    return e->fpus & ~e->fpuc & 0x3f;
}

/* Linux's si_code for #MF, from the unmasked flags. */
static int x87_fpe_code(const X86CpuState *e)
{
    unsigned err = e->fpus & ~e->fpuc & 0x3f;
    return err & X80_FLAG_IE ? FPE_FLTINV : err & X80_FLAG_ZE ? FPE_FLTDIV :
           err & X80_FLAG_OE ? FPE_FLTOVF :
           err & (X80_FLAG_UE | X80_FLAG_DE) ? FPE_FLTUND : FPE_FLTRES;
}

static FloatX80 load_mem_float(uint64_t addr, unsigned bytes, X80Status *st)
{
    if (bytes == 4) {
        uint32_t v;
        memcpy(&v, gptr(addr), 4);
        return x80_from_f32(v, st);
    }
    if (bytes == 8) {
        uint64_t v;
        memcpy(&v, gptr(addr), 8);
        return x80_from_f64(v, st);
    }
    FloatX80 f;
    memcpy(&f.mant, gptr(addr), 8);
    memcpy(&f.sign_exp, (uint8_t *)gptr(addr) + 8, 2);
    return f;
}

/* A store to memory with an unmasked exception (other than precision)
 * writes nothing and does not pop. */
static bool store_blocked(const X86CpuState *e, const X80Status *st)
{
    unsigned raised = st->flags | (saved_stack.faulted ? X80_FLAG_IE : 0u);
    return raised & ~e->fpuc & 0x1f;
}

/* With underflow unmasked, a tiny result signals it even when exact. */
static void tiny_store(const X86CpuState *e, bool tiny, X80Status *st)
{
    if (tiny && !(e->fpuc & X80_FLAG_UE)) {
        st->flags |= X80_FLAG_UE;
    }
}

static bool store_mem_float(const X86CpuState *e, uint64_t addr, unsigned bytes,
                            FloatX80 v, X80Status *st)
{
    if (bytes == 4) {
        uint32_t f = x80_to_f32(v, st);
        tiny_store(e, (f & 0x7f800000u) == 0 && (f & 0x7fffffu), st);
        if (!store_blocked(e, st)) {
            memcpy(gptr(addr), &f, 4);
        }
    } else if (bytes == 8) {
        uint64_t f = x80_to_f64(v, st);
        tiny_store(e, (f & 0x7ff0000000000000ull) == 0 && (f << 12), st);
        if (!store_blocked(e, st)) {
            memcpy(gptr(addr), &f, 8);
        }
    } else if (!store_blocked(e, st)) {
        memcpy(gptr(addr), &v.mant, 8);
        memcpy((uint8_t *)gptr(addr) + 8, &v.sign_exp, 2);
    }
    return !store_blocked(e, st);
}

static FloatX80 load_mem_int(uint64_t addr, unsigned bytes)
{
    if (bytes == 2) {
        int16_t v;
        memcpy(&v, gptr(addr), 2);
        return x80_from_int16(v);
    }
    if (bytes == 4) {
        int32_t v;
        memcpy(&v, gptr(addr), 4);
        return x80_from_int32(v);
    }
    int64_t v;
    memcpy(&v, gptr(addr), 8);
    return x80_from_int64(v);
}

static bool store_mem_int(const X86CpuState *e, uint64_t addr, unsigned bytes,
                          FloatX80 v, bool trunc, X80Status *st)
{
    int64_t r;
    if (bytes == 2) {
        r = trunc ? x80_to_int16_trunc(v, st) : x80_to_int16(v, st);
    } else if (bytes == 4) {
        r = trunc ? x80_to_int32_trunc(v, st) : x80_to_int32(v, st);
    } else {
        r = trunc ? x80_to_int64_trunc(v, st) : x80_to_int64(v, st);
    }
    if (store_blocked(e, st)) {
        return false;
    }
    memcpy(gptr(addr), &r, bytes);      /* little-endian host */
    return true;
}

static bool binop_of(unsigned m, X80BinOp *op, bool *pops, bool *is_int)
{
    static const struct { unsigned m; X80BinOp op; bool pop, integer; } t[] = {
        { M(FADD), X80_OP_ADD, false, false }, { M(FADDP), X80_OP_ADD, true, false },
        { M(FIADD), X80_OP_ADD, false, true },
        { M(FSUB), X80_OP_SUB, false, false }, { M(FSUBP), X80_OP_SUB, true, false },
        { M(FISUB), X80_OP_SUB, false, true },
        { M(FSUBR), X80_OP_SUBR, false, false }, { M(FSUBRP), X80_OP_SUBR, true, false },
        { M(FISUBR), X80_OP_SUBR, false, true },
        { M(FMUL), X80_OP_MUL, false, false }, { M(FMULP), X80_OP_MUL, true, false },
        { M(FIMUL), X80_OP_MUL, false, true },
        { M(FDIV), X80_OP_DIV, false, false }, { M(FDIVP), X80_OP_DIV, true, false },
        { M(FIDIV), X80_OP_DIV, false, true },
        { M(FDIVR), X80_OP_DIVR, false, false }, { M(FDIVRP), X80_OP_DIVR, true, false },
        { M(FIDIVR), X80_OP_DIVR, false, true },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
        if (t[i].m == m) {
            *op = t[i].op;
            *pops = t[i].pop;
            *is_int = t[i].integer;
            return true;
        }
    }
    return false;
}

/* FADD and friends: st0 op mem, st0 op st(i), st(i) op st0 [and pop]. */
static void do_arith(X86CpuState *e, X80BinOp op, bool pops, bool is_int,
                     uint64_t addr, uint64_t c, X80Status *st)
{
    if (OPND_KIND(c, 0) == K_MEM) {
        FloatX80 b = is_int ? load_mem_int(addr, OPND_BYTES(c))
                            : load_mem_float(addr, OPND_BYTES(c), st);
        st_set(e, 0, unless_underflow(x80_binop(op, st_get(e, 0), b, st)));
        return;
    }
    unsigned dst = OPND_IDX(c, 0);
    unsigned src = OPND_KIND(c, 1) == K_ST ? OPND_IDX(c, 1) : 1;
    if (OPND_KIND(c, 0) == K_NONE) {        /* faddp with no operands */
        dst = 1;
        src = 0;
    }
    /* operands in the order of the instruction: dst = dst op src */
    st_set(e, dst, unless_underflow(x80_binop(op, st_get(e, dst), st_get(e, src), st)));
    if (pops) {
        pop(e);
    }
}

/* Sets C0..C3; C1 goes through st because finish() writes it. */
static void set_cc(X86CpuState *e, X80Status *st, uint16_t cc)
{
    e->fpus = (uint16_t)((e->fpus & ~(X80_C0 | X80_C2 | X80_C3)) |
                         (cc & (X80_C0 | X80_C2 | X80_C3)));
    st->c1 = (cc & X80_C1) != 0;
}

static void do_compare(X86CpuState *e, unsigned m, uint64_t addr, uint64_t c,
                       X80Status *st)
{
    bool unordered_ok = m == M(FUCOM) || m == M(FUCOMP) || m == M(FUCOMPP) ||
                        m == M(FUCOMI) || m == M(FUCOMIP);
    FloatX80 b;
    unsigned other = OPND_KIND(c, 1) == K_ST ? OPND_IDX(c, 1)
                   : OPND_KIND(c, 0) == K_ST ? OPND_IDX(c, 0) : 1;
    if (OPND_KIND(c, 0) == K_MEM) {
        b = (m == M(FICOM) || m == M(FICOMP)) ? load_mem_int(addr, OPND_BYTES(c))
                                               : load_mem_float(addr, OPND_BYTES(c), st);
    } else if (m == M(FTST)) {
        b = x80_constant(X80_CONST_ZERO, st);
    } else {
        b = st_get(e, other);
    }
    X80Relation r = x80_compare(st_get(e, 0), b, !unordered_ok, st);
    if (m == M(FCOMI) || m == M(FCOMIP) || m == M(FUCOMI) || m == M(FUCOMIP)) {
        e->cc_src = x80_relation_to_eflags(r);
        e->cc_op = CC_OP(CC_EFLAGS, 0);
        set_cc(e, st, 0);
    } else {
        set_cc(e, st, x80_relation_to_cc(r));
    }
    if (m == M(FCOMP) || m == M(FUCOMP) || m == M(FICOMP) || m == M(FCOMIP) ||
        m == M(FUCOMIP)) {
        pop(e);
    } else if (m == M(FCOMPP) || m == M(FUCOMPP)) {
        pop(e);
        pop(e);
    }
}

static bool fcmov_taken(X86CpuState *e, unsigned m)
{
    switch (m) {
    case M(FCMOVB): return x86_cond(e, 2);
    case M(FCMOVNB): return x86_cond(e, 3);
    case M(FCMOVE): return x86_cond(e, 4);
    case M(FCMOVNE): return x86_cond(e, 5);
    case M(FCMOVBE): return x86_cond(e, 6);
    case M(FCMOVNBE): return x86_cond(e, 7);
    case M(FCMOVU): return x86_cond(e, 10);
    default: return x86_cond(e, 11);        /* FCMOVNU */
    }
}

static bool do_constant_or_unary(X86CpuState *e, unsigned m, X80Status *st)
{
    static const struct { unsigned m; X80Constant c; } consts[] = {
        { M(FLD1), X80_CONST_ONE }, { M(FLDL2T), X80_CONST_L2T },
        { M(FLDL2E), X80_CONST_L2E }, { M(FLDPI), X80_CONST_PI },
        { M(FLDLG2), X80_CONST_LG2 }, { M(FLDLN2), X80_CONST_LN2 },
        { M(FLDZ), X80_CONST_ZERO },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(consts); i++) {
        if (consts[i].m == m) {
            push(e, x80_constant(consts[i].c, st));
            return true;
        }
    }
    switch (m) {
    case M(FCHS): st_set(e, 0, x80_chs(st_get(e, 0), st)); return true;
    case M(FABS): st_set(e, 0, x80_abs(st_get(e, 0), st)); return true;
    case M(FSQRT): st_set(e, 0, x80_sqrt(st_get(e, 0), st)); return true;
    case M(FRNDINT): st_set(e, 0, x80_round_to_int(st_get(e, 0), st)); return true;
    case M(F2XM1): st_set(e, 0, x80_f2xm1(st_get(e, 0), st)); return true;
    case M(FSCALE):
        st_set(e, 0, unless_underflow(x80_scale(st_get(e, 0), st_get(e, 1), st)));
        return true;
    case M(FYL2X):
        st_set(e, 1, unless_underflow(x80_fyl2x(st_get(e, 0), st_get(e, 1), st)));
        pop(e);
        return true;
    case M(FYL2XP1):
        st_set(e, 1, unless_underflow(x80_fyl2xp1(st_get(e, 0), st_get(e, 1), st)));
        pop(e);
        return true;
    case M(FPATAN):
        st_set(e, 1, unless_underflow(x80_fpatan(st_get(e, 0), st_get(e, 1), st)));
        pop(e);
        return true;
    case M(FPREM): case M(FPREM1): {
        uint16_t cc = 0;
        FloatX80 r = m == M(FPREM) ? x80_prem(st_get(e, 0), st_get(e, 1), st, &cc)
                                   : x80_prem1(st_get(e, 0), st_get(e, 1), st, &cc);
        st_set(e, 0, unless_underflow(r));
        set_cc(e, st, cc);
        return true;
    }
    case M(FSIN): case M(FCOS): case M(FPTAN): case M(FSINCOS): {
        uint16_t cc = 0;
        FloatX80 a = st_get(e, 0);
        if (m == M(FSINCOS)) {
            FloatX80 sn, cs;
            x80_fsincos(a, st, &cc, &sn, &cs);
            if (!cc) {
                st_set(e, 0, sn);
                push(e, cs);
            }
        } else {
            FloatX80 r = m == M(FSIN) ? x80_fsin(a, st, &cc)
                       : m == M(FCOS) ? x80_fcos(a, st, &cc)
                                      : x80_fptan(a, st, &cc);
            st_set(e, 0, r);
            if (m == M(FPTAN) && !cc) {
                push(e, x80_constant(X80_CONST_ONE, st));
            }
        }
        /* C2 set: argument out of range, the stack is left as it was */
        e->fpus = (uint16_t)((e->fpus & ~X80_C2) | (cc & X80_C2));
        return true;
    }
    case M(FXTRACT): {
        FloatX80 sig, ex;
        x80_extract(st_get(e, 0), st, &sig, &ex);
        st_set(e, 0, ex);
        push(e, sig);
        return true;
    }
    case M(FXAM): {
        uint16_t cc = st_valid(e, 0) ? x80_examine(get_phys(e, phys_of(e, 0)))
                                     : (X80_C3 | X80_C0);
        if (get_phys(e, phys_of(e, 0)).sign_exp & 0x8000) {
            cc |= X80_C1;
        }
        set_cc(e, st, cc);
        return true;
    }
    default:
        return false;
    }
}

static void save_env_words(X86CpuState *e, uint32_t w[7]);

/* FNSAVE/FRSTOR: the 108-byte image (32-bit protected-mode layout). */
static void do_save_restore(X86CpuState *e, unsigned m, uint64_t addr)
{
    uint8_t *p = gptr(addr);
    if (m == M(FNSAVE)) {
        uint32_t w[7];
        save_env_words(e, w);
        memcpy(p, w, sizeof(w));
        for (unsigned i = 0; i < 8; i++) {
            unsigned ph = phys_of(e, i);
            memcpy(p + 28 + 10 * i, &e->st[ph].mant, 8);
            memcpy(p + 36 + 10 * i, &e->st[ph].sexp, 2);
        }
        e->fpuc = 0x37f;
        e->fpus = 0;
        e->fptop = 0;
        e->fptag = 0;
        e->fpu_ip = e->fpu_dp = e->fpu_op = e->fpu_cs = 0;
        return;
    }
    x86_x87_load_env(e, p);     /* FRSTOR: the FLDENV image, then ST(i) */
    for (unsigned i = 0; i < 8; i++) {
        unsigned ph = phys_of(e, i);
        memcpy(&e->st[ph].mant, p + 28 + 10 * i, 8);
        memcpy(&e->st[ph].sexp, p + 36 + 10 * i, 2);
    }
}

/* The full tag word from the abridged one (00 valid, 01 zero, 10 special,
 * 11 empty). */
static uint16_t full_tags(const X86CpuState *e)
{
    uint16_t t = 0;
    for (unsigned ph = 0; ph < 8; ph++) {
        unsigned tag = 3;
        if (e->fptag & (1u << ph)) {
            FloatX80 f = get_phys(e, ph);
            unsigned ex = f.sign_exp & 0x7fff;
            if (ex == 0 && f.mant == 0) {
                tag = 1;
            } else if (ex == 0x7fff || ex == 0 || !(f.mant >> 63)) {
                tag = 2;
            } else {
                tag = 0;
            }
        }
        t |= (uint16_t)(tag << (2 * ph));
    }
    return t;
}

static void save_env_words(X86CpuState *e, uint32_t w[7])
{
    uint16_t sw = x86_x87_status(e);
    w[0] = e->fpuc | 0xffff0000u;
    w[1] = sw | 0xffff0000u;
    w[2] = full_tags(e) | 0xffff0000u;
    w[3] = (uint32_t)e->fpu_ip;
    w[4] = e->fpu_cs | ((uint32_t)e->fpu_op << 16);
    w[5] = (uint32_t)e->fpu_dp;
    w[6] = e->seg_sel[SEG_DS] | 0xffff0000u;
}

uint16_t x86_x87_status(const X86CpuState *e)
{
    return (uint16_t)((e->fpus & ~0xb880u) | ((e->fptop & 7) << 11) |
                      (x87_pending(e) ? 0x8080u : 0));
}

void x86_x87_store_env(X86CpuState *e, void *buf)
{
    uint32_t w[7];
    save_env_words(e, w);
    memcpy(buf, w, sizeof(w));
}

void x86_x87_load_env(X86CpuState *e, const void *buf)
{
    uint32_t w[7];
    memcpy(w, buf, sizeof(w));
    e->fpu_ip = w[3];
    e->fpu_op = (uint16_t)((w[4] >> 16) & 0x7ff);
    e->fpu_cs = (uint16_t)w[4];
    e->fpu_dp = w[5];
    e->fpuc = (uint16_t)w[0];
    e->fpus = (uint16_t)(w[1] & ~0x3800u);
    e->fptop = (w[1] >> 11) & 7;
    e->fptag = 0;
    for (unsigned ph = 0; ph < 8; ph++) {
        if (((w[2] >> (2 * ph)) & 3) != 3) {
            e->fptag |= (uint16_t)(1u << ph);
        }
    }
}

/* Every x87 helper takes a = the memory operand's address, b = the
 * instruction's description (DESC_* below), c = its address << 11 | FOP. */
#define DESC_MNEMONIC(b) ((unsigned)((b) >> 32) & 0xffff)
#define DESC_BINOP(b) ((X80BinOp)(((b) >> 48) & 7))
#define DESC_POPS (1ull << 51)

static void note_instruction(X86CpuState *e, uint64_t addr, uint64_t desc,
                             uint64_t ipfop)
{
    e->fpu_ip = ipfop >> 11;
    e->fpu_op = (uint16_t)(ipfop & 0x7ff);
    e->fpu_cs = e->seg_sel[SEG_CS];
    if (OPND_KIND(desc, 0) == K_MEM || OPND_KIND(desc, 1) == K_MEM) {
        e->fpu_dp = addr;
    }
}

/* A waiting instruction first raises a pending unmasked exception. */
static void wait_pending(const X86CpuState *e)
{
    if (x87_pending(e)) {
        emu_jit_raise(EMU_EXCP_FPE, (uint64_t)x87_fpe_code(e), true);
    }
}

/* Any x87 instruction, decoded at run time: b = the memory operand's
 * address, c = the description, d = address << 11 | FOP. */
static uint64_t x87_generic(X86CpuState *e, uint64_t b, uint64_t c, uint64_t d)
{
    unsigned m = DESC_MNEMONIC(c);
    X80Status st;
    X80BinOp op;
    bool pops, is_int;
    if (m != M(FNSAVE)) {
        wait_pending(e);
    }
    if (m == M(FWAIT)) {
        return 0;
    }
    if (m != M(FNSAVE) && m != M(FRSTOR)) {
        note_instruction(e, b, c, d);
    }
    begin(e, &st);
    if (binop_of(m, &op, &pops, &is_int)) {
        do_arith(e, op, pops, is_int, b, c, &st);
        finish(e, &st);
        return 0;
    }
    if (do_constant_or_unary(e, m, &st)) {
        finish(e, &st);
        return 0;
    }
    unsigned bytes = OPND_BYTES(c);
    unsigned idx = OPND_KIND(c, 0) == K_ST ? OPND_IDX(c, 0) : 1;
    switch (m) {
    case M(FLD):
        if (OPND_KIND(c, 0) == K_MEM) {
            push(e, load_mem_float(b, bytes, &st));
        } else {
            push(e, st_get(e, idx));
        }
        break;
    case M(FILD):
        push(e, load_mem_int(b, bytes));
        break;
    case M(FBLD): {
        uint8_t bcd[10];
        memcpy(bcd, gptr(b), 10);
        push(e, x80_from_bcd(bcd));
        break;
    }
    case M(FST): case M(FSTP):
        if (OPND_KIND(c, 0) == K_MEM) {
            if (!store_mem_float(e, b, bytes, st_get(e, 0), &st)) {
                break;
            }
        } else {
            st_set(e, idx, st_get(e, 0));
        }
        if (m == M(FSTP)) {
            pop(e);
        }
        break;
    case M(FIST): case M(FISTP): case M(FISTTP):
        if (store_mem_int(e, b, bytes, st_get(e, 0), m == M(FISTTP), &st) &&
            m != M(FIST)) {
            pop(e);
        }
        break;
    case M(FBSTP): {
        uint8_t bcd[10];
        x80_to_bcd(st_get(e, 0), &st, bcd);
        memcpy(gptr(b), bcd, 10);
        pop(e);
        break;
    }
    case M(FXCH): {
        FloatX80 x = st_get(e, 0), y = st_get(e, idx);
        st_set(e, 0, y);
        st_set(e, idx, x);
        break;
    }
    case M(FCOM): case M(FCOMP): case M(FCOMPP): case M(FUCOM): case M(FUCOMP):
    case M(FUCOMPP): case M(FICOM): case M(FICOMP): case M(FCOMI): case M(FCOMIP):
    case M(FUCOMI): case M(FUCOMIP): case M(FTST):
        do_compare(e, m, b, c, &st);
        break;
    case M(FCMOVB): case M(FCMOVNB): case M(FCMOVE): case M(FCMOVNE):
    case M(FCMOVBE): case M(FCMOVNBE): case M(FCMOVU): case M(FCMOVNU): {
        unsigned src = OPND_KIND(c, 1) == K_ST ? OPND_IDX(c, 1) : idx;
        if (fcmov_taken(e, m)) {
            st_set(e, 0, st_get(e, src));
        }
        break;
    }
    case M(FFREE):
        e->fptag &= (uint16_t)~(1u << phys_of(e, idx));
        break;
    case M(FFREEP):
        e->fptag &= (uint16_t)~(1u << phys_of(e, idx));
        pop(e);
        break;
    case M(FINCSTP):
        e->fptop = (e->fptop + 1) & 7;
        break;
    case M(FDECSTP):
        e->fptop = (e->fptop - 1) & 7;
        break;
    case M(FNOP):           /* condition codes unchanged (as AMD does) */
        st.c1 = (e->fpus & X80_C1) != 0;
        break;
    case M(FNSAVE): case M(FRSTOR):
        do_save_restore(e, m, b);
        return 0;
    default:
        emu_jit_raise(EMU_EXCP_ILLEGAL, 0, true);
    }
    finish(e, &st);
    return 0;
}

EMU_JIT_HELPER(x86_helper_x87)
{
    (void)d;
    return x87_generic(env, a, b, c);
}

/* ---- Fast paths ----
 * The common instructions get their own helpers (chosen at translation
 * time) that handle the usual case directly: every exception masked, so
 * the masked response is the result and nothing has to be undone, and no
 * stack overflow or underflow.  Anything else goes to x87_generic(). */

static bool all_masked(const X86CpuState *e)
{
    return (e->fpuc & 0x3f) == 0x3f;
}

static FloatX80 phys_get(const X86CpuState *e, unsigned i)
{
    return get_phys(e, phys_of(e, i));
}

/* The flags and C1 of one operation into the status word. */
static void commit(X86CpuState *e, const X80Status *st)
{
    e->fpus = (uint16_t)(((e->fpus | st->flags) & ~X80_C1) | (st->c1 ? X80_C1 : 0));
}

/* No flags yet; rounding and precision are set by soft() when needed. */
static void status_for(const X86CpuState *e, X80Status *st)
{
    (void)e;
    st->flags = 0;
    st->c1 = false;
}

/* st for the soft-float library. */
static X80Status *soft(const X86CpuState *e, X80Status *st)
{
    x80_status_from_cw(st, e->fpuc);
    return st;
}

#if defined(__x86_64__)
/*
 * On an x86-64 host the host's own x87 computes exactly what the guest's
 * would when both run under the same control word: results, exception
 * flags and C1 (denormals, NaN propagation and unsupported encodings
 * included, since the guest's x87 is the same kind of unit).  It is used
 * when the guest's control word is the host's default 0x37f (all
 * exceptions masked, 64-bit precision, round to nearest), which is also
 * the guest's power-on and Linux default; the host's is checked too, in
 * case a library changed it.
 *
 * Host exception flags are sticky and never cleared in the common case
 * (FNCLEX is slow): the status word after an operation holds its flags
 * plus older ones.  When it holds only flags the guest already has,
 * OR-ing it into the guest's is exact.  When it has one the guest does
 * not (raised now, or stale: the guest cleared its flags, other host code
 * set it), the host flags are cleared and the operation, a pure function
 * of its inputs, is run again.  The host's stack is empty between C
 * statements (x86-64 ABI) and each sequence below leaves it empty.
 */
#define HOST_X87 1

static bool host_usable(const X86CpuState *e)
{
    uint16_t cw;
    if (e->fpuc != 0x37f) {
        return false;
    }
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    return cw == 0x37f;
}

/* Runs body (which sets sw) and, if it shows a flag the guest does not
 * have, again on cleared host flags; then the flags and C1 into st. */
#define HOST_RUN(e, st, sw, body) do { \
        body; \
        if ((sw) & 0x3f & ~(e)->fpus) { \
            __asm__ volatile("fnclex"); \
            body; \
        } \
        (st)->flags = (sw) & 0x3f; \
        (st)->c1 = ((sw) & X80_C1) != 0; \
    } while (0)

/* r = ST0 op m32/m64 with the instruction of that form. */
#define HOST_MEM_OP(insn, r, a, m, sw) \
    __asm__ volatile("fldt %2\n\t" insn " %3\n\tfnstsw %0\n\tfstpt %1" \
                     : "=a"(sw), "=m"(r) : "m"(a), "m"(m) : "st")

static uint16_t host_binop_mem_once(X80BinOp op, FloatX80 a, float f, double g,
                                    bool is_double, FloatX80 *res)
{
    uint16_t sw = 0;
    FloatX80 r;
    switch (op * 2 + is_double) {
    case X80_OP_ADD * 2: HOST_MEM_OP("fadds", r, a, f, sw); break;
    case X80_OP_ADD * 2 + 1: HOST_MEM_OP("faddl", r, a, g, sw); break;
    case X80_OP_SUB * 2: HOST_MEM_OP("fsubs", r, a, f, sw); break;
    case X80_OP_SUB * 2 + 1: HOST_MEM_OP("fsubl", r, a, g, sw); break;
    case X80_OP_SUBR * 2: HOST_MEM_OP("fsubrs", r, a, f, sw); break;
    case X80_OP_SUBR * 2 + 1: HOST_MEM_OP("fsubrl", r, a, g, sw); break;
    case X80_OP_MUL * 2: HOST_MEM_OP("fmuls", r, a, f, sw); break;
    case X80_OP_MUL * 2 + 1: HOST_MEM_OP("fmull", r, a, g, sw); break;
    case X80_OP_DIV * 2: HOST_MEM_OP("fdivs", r, a, f, sw); break;
    case X80_OP_DIV * 2 + 1: HOST_MEM_OP("fdivl", r, a, g, sw); break;
    case X80_OP_DIVR * 2: HOST_MEM_OP("fdivrs", r, a, f, sw); break;
    default: HOST_MEM_OP("fdivrl", r, a, g, sw); break;
    }
    *res = r;
    return sw;
}

static FloatX80 host_binop_mem(const X86CpuState *e, X80BinOp op, FloatX80 a,
                               uint64_t bits, unsigned bytes, X80Status *st)
{
    FloatX80 r;
    uint16_t sw;
    float f;
    double g;
    memcpy(&f, &bits, 4);       /* little-endian host */
    memcpy(&g, &bits, 8);
    HOST_RUN(e, st, sw, sw = host_binop_mem_once(op, a, f, g, bytes == 8, &r));
    return r;
}

/* r = x op y on registers, run as the guest's instruction form: x is ST0
 * (D8 /r: host ST0 = x, ST1 = y) or ST(i) with y = ST0 (DC /r: host
 * ST1 = x, ST0 = y).  The opcode bytes are spelled out because AT&T
 * syntax swaps FSUB/FSUBR and FDIV/FDIVR in some register forms. */
#define HOST_D8(modrm, r, x, y, sw) \
    __asm__ volatile("fldt %3\n\tfldt %2\n\t.byte 0xd8, " modrm "\n\t" \
                     "fnstsw %0\n\tfstpt %1\n\tfstp %%st(0)" \
                     : "=a"(sw), "=m"(r) : "m"(x), "m"(y) : "st", "st(1)")
#define HOST_DC(modrm, r, x, y, sw) \
    __asm__ volatile("fldt %2\n\tfldt %3\n\t.byte 0xdc, " modrm "\n\t" \
                     "fnstsw %0\n\tfstp %%st(0)\n\tfstpt %1" \
                     : "=a"(sw), "=m"(r) : "m"(x), "m"(y) : "st", "st(1)")

static uint16_t host_binop_reg_once(X80BinOp op, bool x_is_st0, FloatX80 x,
                                    FloatX80 y, FloatX80 *res)
{
    uint16_t sw = 0;
    FloatX80 r;
    switch (op * 2 + x_is_st0) {
    case X80_OP_ADD * 2 + 1: HOST_D8("0xc1", r, x, y, sw); break;
    case X80_OP_MUL * 2 + 1: HOST_D8("0xc9", r, x, y, sw); break;
    case X80_OP_SUB * 2 + 1: HOST_D8("0xe1", r, x, y, sw); break;
    case X80_OP_SUBR * 2 + 1: HOST_D8("0xe9", r, x, y, sw); break;
    case X80_OP_DIV * 2 + 1: HOST_D8("0xf1", r, x, y, sw); break;
    case X80_OP_DIVR * 2 + 1: HOST_D8("0xf9", r, x, y, sw); break;
    case X80_OP_ADD * 2: HOST_DC("0xc1", r, x, y, sw); break;
    case X80_OP_MUL * 2: HOST_DC("0xc9", r, x, y, sw); break;
    case X80_OP_SUB * 2: HOST_DC("0xe9", r, x, y, sw); break;
    case X80_OP_SUBR * 2: HOST_DC("0xe1", r, x, y, sw); break;
    case X80_OP_DIV * 2: HOST_DC("0xf9", r, x, y, sw); break;
    default: HOST_DC("0xf1", r, x, y, sw); break;
    }
    *res = r;
    return sw;
}

static FloatX80 host_binop_reg(const X86CpuState *e, X80BinOp op, bool x_is_st0,
                               FloatX80 x, FloatX80 y, X80Status *st)
{
    FloatX80 r;
    uint16_t sw;
    HOST_RUN(e, st, sw, sw = host_binop_reg_once(op, x_is_st0, x, y, &r));
    return r;
}

static FloatX80 host_load_float(const X86CpuState *e, uint64_t bits,
                                unsigned bytes, X80Status *st)
{
    FloatX80 r;
    uint16_t sw;
    float f;
    double g;
    memcpy(&f, &bits, 4);
    memcpy(&g, &bits, 8);
    if (bytes == 4) {
        HOST_RUN(e, st, sw, __asm__ volatile("flds %2\n\tfnstsw %0\n\tfstpt %1"
                                             : "=a"(sw), "=m"(r) : "m"(f) : "st"));
    } else {
        HOST_RUN(e, st, sw, __asm__ volatile("fldl %2\n\tfnstsw %0\n\tfstpt %1"
                                             : "=a"(sw), "=m"(r) : "m"(g) : "st"));
    }
    return r;
}

static uint64_t host_store_float(const X86CpuState *e, FloatX80 a,
                                 unsigned bytes, X80Status *st)
{
    uint16_t sw;
    uint64_t bits = 0;
    if (bytes == 4) {
        float f;
        HOST_RUN(e, st, sw, __asm__ volatile("fldt %2\n\tfstps %1\n\tfnstsw %0"
                                             : "=a"(sw), "=m"(f) : "m"(a) : "st"));
        memcpy(&bits, &f, 4);
    } else {
        double g;
        HOST_RUN(e, st, sw, __asm__ volatile("fldt %2\n\tfstpl %1\n\tfnstsw %0"
                                             : "=a"(sw), "=m"(g) : "m"(a) : "st"));
        memcpy(&bits, &g, 8);
    }
    return bits;
}
#endif

/* The operations behind the fast paths: normal numbers under the default
 * rounding in plain C (fpu/x80-fast.h), else on the host x87 when it can,
 * else in the soft-float library. */
static bool nearest64(const X86CpuState *e)
{
    return (e->fpuc & 0xf00) == 0x300;
}

static bool plain_binop(X80BinOp op, FloatX80 a, FloatX80 b, FloatX80 *r,
                        X80Status *st)
{
#ifdef X80_HAVE_FAST
    switch (op) {
    case X80_OP_ADD: return x80_fast_add(a, b, false, r, st);
    case X80_OP_SUB: return x80_fast_add(a, b, true, r, st);
    case X80_OP_SUBR: return x80_fast_add(b, a, true, r, st);
    case X80_OP_MUL: return x80_fast_mul(a, b, r, st);
    default: return false;
    }
#else
    (void)op, (void)a, (void)b, (void)r, (void)st;
    return false;
#endif
}

static bool plain_from_float(uint64_t bits, unsigned bytes, FloatX80 *r,
                             X80Status *st)
{
#ifdef X80_HAVE_FAST
    return bytes == 4 ? x80_fast_from_f32((uint32_t)bits, r, st)
                      : x80_fast_from_f64(bits, r, st);
#else
    (void)bits, (void)bytes, (void)r, (void)st;
    return false;
#endif
}

static FloatX80 fast_binop_mem(const X86CpuState *e, X80BinOp op, FloatX80 a,
                               uint64_t bits, unsigned bytes, X80Status *st)
{
    FloatX80 b, r;
    if (nearest64(e) && plain_from_float(bits, bytes, &b, st) &&
        plain_binop(op, a, b, &r, st)) {
        return r;
    }
#ifdef HOST_X87
    if (host_usable(e)) {
        return host_binop_mem(e, op, a, bits, bytes, st);
    }
#endif
    soft(e, st);
    b = bytes == 4 ? x80_from_f32((uint32_t)bits, st) : x80_from_f64(bits, st);
    return x80_binop(op, a, b, st);
}

static FloatX80 fast_binop_reg(const X86CpuState *e, X80BinOp op, bool x_is_st0,
                               FloatX80 x, FloatX80 y, X80Status *st)
{
    FloatX80 r;
    if (nearest64(e) && plain_binop(op, x, y, &r, st)) {
        return r;
    }
#ifdef HOST_X87
    if (host_usable(e)) {
        return host_binop_reg(e, op, x_is_st0, x, y, st);
    }
#endif
    (void)x_is_st0;
    return x80_binop(op, x, y, soft(e, st));
}

static FloatX80 fast_load_float(const X86CpuState *e, uint64_t bits,
                                unsigned bytes, X80Status *st)
{
    FloatX80 r;
    if (plain_from_float(bits, bytes, &r, st)) {
        return r;
    }
#ifdef HOST_X87
    if (host_usable(e)) {
        return host_load_float(e, bits, bytes, st);
    }
#endif
    soft(e, st);
    return bytes == 4 ? x80_from_f32((uint32_t)bits, st) : x80_from_f64(bits, st);
}

static uint64_t fast_store_float(const X86CpuState *e, FloatX80 a,
                                 unsigned bytes, X80Status *st)
{
#ifdef X80_HAVE_FAST
    uint64_t bits;
    if (nearest64(e) && (bytes == 4 ? x80_fast_to_ieee(a, 23, 127, &bits, st)
                                    : x80_fast_to_ieee(a, 52, 1023, &bits, st))) {
        return bits;
    }
#endif
#ifdef HOST_X87
    if (host_usable(e)) {
        return host_store_float(e, a, bytes, st);
    }
#endif
    soft(e, st);
    return bytes == 4 ? x80_to_f32(a, st) : x80_to_f64(a, st);
}

/* m32/m64 (little-endian host; fixed-size copies become plain moves) */
static uint64_t load_bits(uint64_t addr, unsigned bytes)
{
    if (bytes == 4) {
        uint32_t v;
        memcpy(&v, gptr(addr), 4);
        return v;
    }
    uint64_t v;
    memcpy(&v, gptr(addr), 8);
    return v;
}

static void store_bits(uint64_t addr, unsigned bytes, uint64_t v)
{
    if (bytes == 4) {
        uint32_t w = (uint32_t)v;
        memcpy(gptr(addr), &w, 4);
    } else {
        memcpy(gptr(addr), &v, 8);
    }
}

/* The fast-path helpers are flattened: the compiler otherwise keeps the
 * small steps as calls, which cost ~10% of an x87-bound program. */

/* FADD FSUB FSUBR FMUL FDIV FDIVR with m32/m64 or registers, P forms. */
__attribute__((flatten)) EMU_JIT_HELPER(x86_helper_x87_arith)
{
    X86CpuState *e = env;
    X80Status st;
    (void)d;
    wait_pending(e);
    note_instruction(e, a, b, c);
    if (!all_masked(e) || !st_valid(e, 0)) {
        return x87_generic(e, a, b, c);
    }
    status_for(e, &st);
    if (OPND_KIND(b, 0) == K_MEM) {
        unsigned bytes = OPND_BYTES(b);
        uint64_t m = load_bits(a, bytes);
        st_set(e, 0, fast_binop_mem(e, DESC_BINOP(b), phys_get(e, 0), m, bytes, &st));
        commit(e, &st);
        return 0;
    }
    unsigned dst = OPND_IDX(b, 0);
    unsigned src = OPND_KIND(b, 1) == K_ST ? OPND_IDX(b, 1) : 1;
    if (OPND_KIND(b, 0) == K_NONE) {        /* faddp with no operands */
        dst = 1;
        src = 0;
    }
    if (!st_valid(e, dst) || !st_valid(e, src)) {
        return x87_generic(e, a, b, c);
    }
    st_set(e, dst, fast_binop_reg(e, DESC_BINOP(b), dst == 0, phys_get(e, dst),
                                  phys_get(e, src), &st));
    commit(e, &st);
    if (b & DESC_POPS) {
        pop(e);
    }
    return 0;
}

/* FLD m32/m64/m80/ST(i), FLDZ, FLD1, FILD. */
__attribute__((flatten)) EMU_JIT_HELPER(x86_helper_x87_load)
{
    X86CpuState *e = env;
    X80Status st;
    FloatX80 v;
    (void)d;
    wait_pending(e);
    note_instruction(e, a, b, c);
    unsigned m = DESC_MNEMONIC(b), bytes = OPND_BYTES(b);
    if (!all_masked(e) || (e->fptag & (1u << ((e->fptop - 1) & 7)))) {
        return x87_generic(e, a, b, c);
    }
    status_for(e, &st);
    if (m == M(FLDZ) || m == M(FLD1)) {
        v.mant = m == M(FLD1) ? 1ull << 63 : 0;
        v.sign_exp = m == M(FLD1) ? 0x3fff : 0;
    } else if (m == M(FILD)) {
        v = load_mem_int(a, bytes);
    } else if (OPND_KIND(b, 0) != K_MEM) {
        unsigned i = OPND_IDX(b, 0);
        if (!st_valid(e, i)) {
            return x87_generic(e, a, b, c);
        }
        v = phys_get(e, i);
    } else if (bytes == 10) {
        v = load_mem_float(a, 10, &st);
    } else {
        v = fast_load_float(e, load_bits(a, bytes), bytes, &st);
    }
    push(e, v);
    commit(e, &st);
    return 0;
}

/* FST and FSTP to m32/m64/m80/ST(i). */
__attribute__((flatten)) EMU_JIT_HELPER(x86_helper_x87_store)
{
    X86CpuState *e = env;
    X80Status st;
    (void)d;
    wait_pending(e);
    note_instruction(e, a, b, c);
    if (!all_masked(e) || !st_valid(e, 0)) {
        return x87_generic(e, a, b, c);
    }
    status_for(e, &st);
    FloatX80 v = phys_get(e, 0);
    unsigned bytes = OPND_BYTES(b);
    if (OPND_KIND(b, 0) != K_MEM) {
        st_set(e, OPND_IDX(b, 0), v);
    } else if (bytes == 10) {
        memcpy(gptr(a), &v.mant, 8);
        memcpy((uint8_t *)gptr(a) + 8, &v.sign_exp, 2);
    } else {
        store_bits(a, bytes, fast_store_float(e, v, bytes, &st));
    }
    commit(e, &st);
    if (DESC_MNEMONIC(b) == M(FSTP)) {
        pop(e);
    }
    return 0;
}

/* FXCH, FCHS, FABS: no arithmetic, C1 cleared. */
EMU_JIT_HELPER(x86_helper_x87_simple)
{
    X86CpuState *e = env;
    (void)d;
    wait_pending(e);
    note_instruction(e, a, b, c);
    unsigned m = DESC_MNEMONIC(b);
    unsigned i = m == M(FXCH) && OPND_KIND(b, 0) == K_ST ? OPND_IDX(b, 0) : 1;
    if (!st_valid(e, 0) || (m == M(FXCH) && !st_valid(e, i))) {
        return x87_generic(e, a, b, c);
    }
    FloatX80 x = phys_get(e, 0);
    if (m == M(FXCH)) {
        st_set(e, 0, phys_get(e, i));
        st_set(e, i, x);
    } else {
        x.sign_exp = m == M(FCHS) ? x.sign_exp ^ 0x8000 : x.sign_exp & 0x7fff;
        st_set(e, 0, x);
    }
    e->fpus &= (uint16_t)~X80_C1;
    return 0;
}

/* The helper for an x87 instruction and the description it takes. */
EmuJitHelper x86_x87_helper(unsigned m, uint32_t operands, uint64_t *desc)
{
    X80BinOp op;
    bool pops, is_int;
    *desc = operands | ((uint64_t)m << 32);
    if (binop_of(m, &op, &pops, &is_int)) {
        if (is_int || (OPND_KIND(operands, 0) == K_MEM && OPND_BYTES(operands) > 8)) {
            return x86_helper_x87;
        }
        *desc |= ((uint64_t)op << 48) | (pops ? DESC_POPS : 0);
        return x86_helper_x87_arith;
    }
    switch (m) {
    case M(FLD): case M(FLDZ): case M(FLD1): case M(FILD):
        return x86_helper_x87_load;
    case M(FST): case M(FSTP):
        return x86_helper_x87_store;
    case M(FXCH): case M(FCHS): case M(FABS):
        return x86_helper_x87_simple;
    default:
        return x86_helper_x87;
    }
}
