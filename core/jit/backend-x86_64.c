/*
 * x86-64 host backend: IR to native code, one function per block.
 *
 * Fixed registers inside generated code (callee-saved, so helper calls
 * keep them): rbx = env, r12 = the spill array of temporaries, r13 =
 * guest base.  The vCPU's insn_pc and exit_request sit at a fixed offset
 * from env.  rax, rcx and rdx are scratch; the other nine registers hold
 * temporaries (regalloc below).
 *
 * Register allocation is local to each basic block of the IR (a label,
 * branch or exit ends one).  A temporary whose uses all follow its
 * definition in one basic block ("local") lives in a host register from
 * its definition to its last use and is spilled only when registers run
 * out or a helper call clobbers it; a constant is not materialized until
 * an instruction needs it (most fold into an imm32 operand).  Every other
 * temporary ("global": it crosses a label or branch) is written through to
 * its slot in the spill array at each definition, so basic block ends need
 * no code and a label simply forgets what registers hold.
 *
 * A guest address computed by an ADD (or SUB of a constant) right before
 * its load or store folds into the access as [base + index + disp32].
 *
 * Blocks chain directly: GOTO_TB emits a 4-byte-aligned "jmp rel32" that
 * first points at the block's own exit and is patched (one atomic store)
 * to the successor's body; every body starts by testing exit_request so a
 * kick still stops a loop of chained blocks.  EXIT_TB returns
 * (block address | slot + 1) so the caller knows which jump to patch.
 * Unsupported IR (big-endian memory ops, too many temporaries) makes
 * compilation fail and the block runs in the interpreter instead.
 */
#include "config.h"
#include "jit-internal.h"
#include <emu/log.h>
#include <string.h>
#include <limits.h>
#include <sys/mman.h>

#ifdef __x86_64__

#define CODE_BUFFER_SIZE (64u << 20)
#define MAX_NATIVE_TEMPS 65536

static uint8_t *code_buf;
static size_t code_size;        /* EMU_JIT_CODE_BUFFER_KB (tests) or 64 MiB */
static size_t code_used;
static bool code_full;

typedef struct Emitter {
    uint8_t *start, *p, *end;
    uint32_t *label_off;        /* label -> code offset (UINT32_MAX unset) */
    GArray *fixups;             /* Fixup */
    bool overflow;
    bool addr32;                /* memory operands: 32-bit address size */
} Emitter;

typedef struct Fixup {
    uint32_t at;                /* offset of the rel32 */
    uint32_t label;
} Fixup;

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13,
       R14, R15, NO_REG = -1 };

#define REG_ENV RBX
#define REG_SPILL R12
#define REG_GUEST_BASE R13

/* Allocation order: caller-saved first (cheap to drop at a call). */
static const int alloc_order[] = { RSI, RDI, R8, R9, R10, R11, RBP, R14, R15 };
#define CALLER_SAVED ((1u << RSI) | (1u << RDI) | (1u << R8) | (1u << R9) | \
                      (1u << R10) | (1u << R11))

static void b1(Emitter *e, uint8_t v)
{
    if (e->p < e->end) {
        *e->p++ = v;
    } else {
        e->overflow = true;
    }
}

static void bytes(Emitter *e, const uint8_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        b1(e, v[i]);
    }
}
#define EMIT(e, ...) do { static const uint8_t b_[] = { __VA_ARGS__ }; \
                          bytes(e, b_, sizeof(b_)); } while (0)

static void b4(Emitter *e, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        b1(e, (uint8_t)(v >> (8 * i)));
    }
}

static void b8(Emitter *e, uint64_t v)
{
    b4(e, (uint32_t)v);
    b4(e, (uint32_t)(v >> 32));
}

static bool fits_s32(int64_t v)
{
    return v == (int32_t)v;
}

/* ---- instruction encoding ---- */

/* Operand size / extra prefix of an encoded instruction. */
enum { W32 = 0, W64 = 1, W16 = 2, W8 = 3 };

static void prefix_rex(Emitter *e, int w, int reg, int index, int base,
                       bool byte_regs)
{
    if (w == W16) {
        b1(e, 0x66);
    }
    uint8_t rex = 0x40 | (w == W64 ? 8 : 0) | ((reg & 8) ? 4 : 0) |
                  ((index >= 0 && (index & 8)) ? 2 : 0) | ((base & 8) ? 1 : 0);
    /* spl/bpl/sil/dil need a REX prefix to exist */
    if (rex != 0x40 || (byte_regs && reg >= 4)) {
        b1(e, rex);
    }
}

/* op reg, r/m with r/m a register. */
static void op_rr(Emitter *e, int w, const uint8_t *op, size_t n_op, int reg,
                  int rm)
{
    prefix_rex(e, w, reg, -1, rm, w == W8);
    bytes(e, op, n_op);
    b1(e, (uint8_t)(0xc0 | ((reg & 7) << 3) | (rm & 7)));
}

/* op reg, [base + index + disp] (index NO_REG: none). */
static void op_mem(Emitter *e, int w, const uint8_t *op, size_t n_op, int reg,
                   int base, int index, int32_t disp)
{
    if (e->addr32) {
        b1(e, 0x67);
    }
    prefix_rex(e, w, reg, index, base, w == W8);
    bytes(e, op, n_op);
    int mod = (disp == 0 && (base & 7) != RBP) ? 0 : disp == (int8_t)disp ? 1 : 2;
    bool sib = index != NO_REG || (base & 7) == RSP;
    b1(e, (uint8_t)((mod << 6) | ((reg & 7) << 3) | (sib ? 4 : (base & 7))));
    if (sib) {
        b1(e, (uint8_t)((index == NO_REG ? 4 : (index & 7)) << 3 | (base & 7)));
    }
    if (mod == 1) {
        b1(e, (uint8_t)disp);
    } else if (mod == 2) {
        b4(e, (uint32_t)disp);
    }
}

#define OP(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

static void mov_rr(Emitter *e, int dst, int src)
{
    if (dst != src) {
        op_rr(e, W64, OP(0x89), src, dst);
    }
}

static void mov_ri(Emitter *e, int reg, uint64_t v)
{
    if (v <= UINT32_MAX) {               /* mov r32, imm32 zero-extends */
        prefix_rex(e, W32, 0, -1, reg, false);
        b1(e, (uint8_t)(0xb8 + (reg & 7)));
        b4(e, (uint32_t)v);
    } else if (fits_s32((int64_t)v)) {   /* mov r/m64, imm32 sign-extends */
        op_rr(e, W64, OP(0xc7), 0, reg);
        b4(e, (uint32_t)v);
    } else {
        prefix_rex(e, W64, 0, -1, reg, false);
        b1(e, (uint8_t)(0xb8 + (reg & 7)));
        b8(e, v);
    }
}

static void load_spill(Emitter *e, int reg, uint32_t t)
{
    op_mem(e, W64, OP(0x8b), reg, REG_SPILL, NO_REG, (int32_t)(8 * t));
}

static void store_spill(Emitter *e, int reg, uint32_t t)
{
    op_mem(e, W64, OP(0x89), reg, REG_SPILL, NO_REG, (int32_t)(8 * t));
}

/* reg = [base + index + disp], extended per memop. */
static void load_sized(Emitter *e, unsigned mo, int reg, int base, int index,
                       int32_t disp)
{
    switch (mo & (EMU_MO_SIZE | EMU_MO_SIGN)) {
    case EMU_MO_8: op_mem(e, W32, OP(0x0f, 0xb6), reg, base, index, disp); break;
    case EMU_MO_8S: op_mem(e, W64, OP(0x0f, 0xbe), reg, base, index, disp); break;
    case EMU_MO_16: op_mem(e, W32, OP(0x0f, 0xb7), reg, base, index, disp); break;
    case EMU_MO_16S: op_mem(e, W64, OP(0x0f, 0xbf), reg, base, index, disp); break;
    case EMU_MO_32: op_mem(e, W32, OP(0x8b), reg, base, index, disp); break;
    case EMU_MO_32S: op_mem(e, W64, OP(0x63), reg, base, index, disp); break;
    default: op_mem(e, W64, OP(0x8b), reg, base, index, disp); break;
    }
}

static const int store_width[] = { W8, W16, W32, W64 };

static void store_sized_reg(Emitter *e, unsigned mo, int reg, int base,
                            int index, int32_t disp)
{
    int w = store_width[mo & EMU_MO_SIZE];
    uint8_t op = w == W8 ? 0x88 : 0x89;
    op_mem(e, w, &op, 1, reg, base, index, disp);
}

/* Stores an immediate; false when it does not fit the encoding. */
static bool store_sized_imm(Emitter *e, unsigned mo, int64_t v, int base,
                            int index, int32_t disp)
{
    int w = store_width[mo & EMU_MO_SIZE];
    if (w == W64 && !fits_s32(v)) {
        return false;
    }
    uint8_t op = w == W8 ? 0xc6 : 0xc7;
    op_mem(e, w, &op, 1, 0, base, index, disp);
    if (w == W8) {
        b1(e, (uint8_t)v);
    } else if (w == W16) {
        b1(e, (uint8_t)v);
        b1(e, (uint8_t)(v >> 8));
    } else {
        b4(e, (uint32_t)v);
    }
    return true;
}

static void epilogue(Emitter *e)
{
    /* add rsp, 8; pop r15; pop r14; pop r13; pop r12; pop rbp; pop rbx; ret */
    EMIT(e, 0x48, 0x83, 0xc4, 0x08, 0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41,
         0x5c, 0x5d, 0x5b, 0xc3);
}

static void exit_with(Emitter *e, uint64_t value)
{
    mov_ri(e, RAX, value);
    epilogue(e);
}

static uint8_t host_cc(unsigned cond)
{
    switch (cond) {
    case EMU_JIT_EQ: case EMU_JIT_TSTEQ: return 0x4;
    case EMU_JIT_NE: case EMU_JIT_TSTNE: return 0x5;
    case EMU_JIT_LT: return 0xc;
    case EMU_JIT_GE: return 0xd;
    case EMU_JIT_LE: return 0xe;
    case EMU_JIT_GT: return 0xf;
    case EMU_JIT_LTU: return 0x2;
    case EMU_JIT_GEU: return 0x3;
    case EMU_JIT_LEU: return 0x6;
    default: return 0x7;        /* GTU */
    }
}

/* The condition with its operands swapped (a cond b == b swapped a). */
static unsigned swap_cond(unsigned cond)
{
    switch (cond) {
    case EMU_JIT_LT: return EMU_JIT_GT;
    case EMU_JIT_GT: return EMU_JIT_LT;
    case EMU_JIT_LE: return EMU_JIT_GE;
    case EMU_JIT_GE: return EMU_JIT_LE;
    case EMU_JIT_LTU: return EMU_JIT_GTU;
    case EMU_JIT_GTU: return EMU_JIT_LTU;
    case EMU_JIT_LEU: return EMU_JIT_GEU;
    case EMU_JIT_GEU: return EMU_JIT_LEU;
    default: return cond;       /* EQ NE TSTEQ TSTNE */
    }
}

static void jump_label(Emitter *e, int cc, uint32_t label)
{
    if (cc < 0) {
        b1(e, 0xe9);
    } else {
        b1(e, 0x0f);
        b1(e, (uint8_t)(0x80 + cc));
    }
    Fixup f = { (uint32_t)(e->p - e->start), label };
    g_array_append_val(e->fixups, f);
    b4(e, 0);
}

/* ---- register allocation ---- */

typedef struct TempState {
    int8_t reg;         /* host register holding the value, or NO_REG */
    bool is_const;      /* local constant: val, materialized on demand */
    bool in_mem;        /* the spill slot holds the value */
    bool global;        /* crosses a basic block: written through */
    uint64_t val;
} TempState;

/* An input operand: a register or an immediate. */
typedef struct Opnd {
    bool is_imm;
    int reg;
    int64_t imm;
} Opnd;

typedef struct Gen {
    Emitter e;
    EmuJitTb *tb;
    TempState *t;
    uint8_t *dies;      /* per insn: bit k set when args[k] is not read later */
    int32_t owner[16];  /* host register -> temp, -1 when free */
    uint32_t locked;    /* registers the current instruction reads */
    unsigned folded;    /* an access whose address ADD was not emitted
                         * (UINT_MAX: none) */
    unsigned fold_first;    /* the first instruction folded into it */
    unsigned fold_add;      /* the ADD/SUB among them (UINT_MAX: none) */
    bool fold_addr32;       /* an EXT32U too: 32-bit address size */
} Gen;

static unsigned n_out_of(const EmuJitInsn *i)
{
    return emu_jit_op_def(i->op)->n_out;
}

static bool ends_bb_after(unsigned op)
{
    return op == EMU_JIT_BR || op == EMU_JIT_BRCOND || op == EMU_JIT_EXIT_TB;
}

/* Which temps cross basic blocks, and where each local value dies. */
static void analyze(Gen *g)
{
    const EmuJitTb *tb = g->tb;
    int32_t *first_bb = g_new(int32_t, tb->n_temps);
    memset(first_bb, 0xff, sizeof(int32_t) * tb->n_temps);
    int32_t bb = 0;
    for (unsigned k = 0; k < tb->n_insns; k++) {
        const EmuJitInsn *i = &tb->insns[k];
        unsigned n_out = n_out_of(i), n = n_out + emu_jit_insn_n_in(i);
        bb += i->op == EMU_JIT_LABEL;
        for (unsigned a = n_out; a < n; a++) {          /* reads first */
            uint32_t t = i->args[a];
            if (first_bb[t] != bb) {
                g->t[t].global = true;  /* read before any write here */
            }
        }
        for (unsigned a = 0; a < n_out; a++) {
            uint32_t t = i->args[a];
            if (first_bb[t] < 0) {
                first_bb[t] = bb;
            } else if (first_bb[t] != bb) {
                g->t[t].global = true;
            }
        }
        bb += ends_bb_after(i->op);
    }
    g_free(first_bb);
    g->t[EMU_JIT_ENV].global = false;

    bool *live = g_new0(bool, tb->n_temps);
    for (unsigned k = tb->n_insns; k-- > 0;) {
        const EmuJitInsn *i = &tb->insns[k];
        unsigned n_out = n_out_of(i), n = n_out + emu_jit_insn_n_in(i);
        uint8_t d = 0;
        for (unsigned a = 0; a < n_out; a++) {
            uint32_t t = i->args[a];
            if (!g->t[t].global && !live[t]) {
                d |= 1u << a;
            }
            live[t] = false;
        }
        for (unsigned a = n_out; a < n; a++) {
            uint32_t t = i->args[a];
            if (!g->t[t].global && !live[t] && t != EMU_JIT_ENV) {
                d |= 1u << a;
            }
        }
        for (unsigned a = n_out; a < n; a++) {
            live[i->args[a]] = true;
        }
        g->dies[k] = d;
    }
    g_free(live);
}

static void reg_free(Gen *g, int r)
{
    int32_t t = g->owner[r];
    if (t >= 0) {
        g->t[t].reg = NO_REG;
        g->owner[r] = -1;
    }
}

/* Empties register r, saving a value that exists nowhere else. */
static void reg_evict(Gen *g, int r)
{
    int32_t t = g->owner[r];
    if (t >= 0 && !g->t[t].in_mem && !g->t[t].is_const) {
        store_spill(&g->e, r, (uint32_t)t);
        g->t[t].in_mem = true;
    }
    reg_free(g, r);
}

/* A register for a new value: a free one, else one whose value is also
 * elsewhere, else a spilled one. */
static int reg_alloc(Gen *g)
{
    int clean = NO_REG, any = NO_REG;
    for (size_t k = 0; k < G_N_ELEMENTS(alloc_order); k++) {
        int r = alloc_order[k];
        if (g->locked & (1u << r)) {
            continue;
        }
        int32_t t = g->owner[r];
        if (t < 0) {
            return r;
        }
        if (clean == NO_REG && (g->t[t].in_mem || g->t[t].is_const)) {
            clean = r;
        }
        if (any == NO_REG) {
            any = r;
        }
    }
    int r = clean != NO_REG ? clean : any;
    g_assert(r != NO_REG);
    reg_evict(g, r);
    return r;
}

static void reg_bind(Gen *g, int r, uint32_t t)
{
    g->owner[r] = (int32_t)t;
    g->t[t].reg = (int8_t)r;
    g->locked |= 1u << r;
}

/* The value of t in a register (locked for this instruction). */
static int use_reg(Gen *g, uint32_t t)
{
    TempState *s = &g->t[t];
    if (t == EMU_JIT_ENV) {
        return REG_ENV;
    }
    if (s->reg != NO_REG) {
        g->locked |= 1u << s->reg;
        return s->reg;
    }
    int r = reg_alloc(g);
    if (s->is_const) {
        mov_ri(&g->e, r, s->val);
    } else {
        load_spill(&g->e, r, t);
        s->in_mem = true;
    }
    reg_bind(g, r, t);
    return r;
}

/* The value of t as an operand; constants that fit imm32 stay immediate. */
static Opnd use(Gen *g, uint32_t t)
{
    TempState *s = &g->t[t];
    if (s->is_const && fits_s32((int64_t)s->val) && t != EMU_JIT_ENV) {
        return (Opnd){ .is_imm = true, .reg = NO_REG, .imm = (int64_t)s->val };
    }
    return (Opnd){ .reg = use_reg(g, t) };
}

static bool dies(const Gen *g, unsigned k, unsigned arg)
{
    return g->dies[k] & (1u << arg);
}

/* A register for output t; reuse is a register of a dying input that may
 * become the output (NO_REG: none). */
static int def_reg(Gen *g, uint32_t t, int reuse)
{
    TempState *s = &g->t[t];
    if (s->reg != NO_REG && s->reg != reuse) {
        g->owner[s->reg] = -1;      /* the old value is overwritten (its */
        s->reg = NO_REG;            /* register stays locked: an input) */
    }
    int r = reuse;
    if (r != NO_REG) {
        reg_free(g, r);
    } else {
        r = reg_alloc(g);
    }
    s->is_const = false;
    s->in_mem = false;
    reg_bind(g, r, t);
    return r;
}

/* After an instruction wrote t: write through when global. */
static void def_done(Gen *g, uint32_t t)
{
    TempState *s = &g->t[t];
    if (s->global) {
        store_spill(&g->e, s->reg, t);
        s->in_mem = true;
    }
}

/* Releases the registers of inputs read for the last time by insn k. */
static void release_dead(Gen *g, unsigned k, const EmuJitInsn *i)
{
    unsigned n_out = n_out_of(i), n = n_out + emu_jit_insn_n_in(i);
    for (unsigned a = 0; a < n; a++) {
        uint32_t t = i->args[a];
        bool rewritten = a >= n_out && n_out && t == i->args[0];
        if (dies(g, k, a) && !rewritten && t != EMU_JIT_ENV &&
            g->t[t].reg != NO_REG) {
            reg_free(g, g->t[t].reg);
            if (a >= n_out) {
                g->t[t].is_const = false;
            }
        }
    }
    g->locked = 0;
}

/* Forgets every register (at a label: only spill slots are valid). */
static void forget_regs(Gen *g)
{
    for (int r = 0; r < 16; r++) {
        reg_free(g, r);
    }
}

/* ---- code for each op ---- */

/* ALU ops with the "op r/m64, r64" (opcode) and "op r/m64, imm" (/digit)
 * forms. */
static bool alu_code(unsigned op, uint8_t *opcode, uint8_t *digit)
{
    switch (op) {
    case EMU_JIT_ADD: *opcode = 0x01; *digit = 0; return true;
    case EMU_JIT_OR: *opcode = 0x09; *digit = 1; return true;
    case EMU_JIT_AND: *opcode = 0x21; *digit = 4; return true;
    case EMU_JIT_SUB: *opcode = 0x29; *digit = 5; return true;
    case EMU_JIT_XOR: *opcode = 0x31; *digit = 6; return true;
    default: return false;
    }
}

static void alu_ri(Emitter *e, uint8_t digit, int reg, int64_t imm)
{
    if (imm == (int8_t)imm) {
        op_rr(e, W64, OP(0x83), digit, reg);
        b1(e, (uint8_t)imm);
    } else {
        op_rr(e, W64, OP(0x81), digit, reg);
        b4(e, (uint32_t)imm);
    }
}

static void alu_opnd(Emitter *e, uint8_t opcode, uint8_t digit, int reg,
                     Opnd b)
{
    if (b.is_imm) {
        alu_ri(e, digit, reg, b.imm);
    } else {
        op_rr(e, W64, &opcode, 1, b.reg, reg);
    }
}

static void mov_opnd(Emitter *e, int reg, Opnd a)
{
    if (a.is_imm) {
        mov_ri(e, reg, (uint64_t)a.imm);
    } else {
        mov_rr(e, reg, a.reg);
    }
}

static bool commutative(unsigned op)
{
    return op == EMU_JIT_ADD || op == EMU_JIT_AND || op == EMU_JIT_OR ||
           op == EMU_JIT_XOR || op == EMU_JIT_MUL;
}

/* The output register of d = a op b: a's register when a dies there. */
static int def_over(Gen *g, unsigned k, const EmuJitInsn *i, unsigned arg,
                    Opnd a)
{
    bool holds = !a.is_imm && g->owner[a.reg] == (int32_t)i->args[arg];
    int reuse = holds && dies(g, k, arg) ? a.reg : NO_REG;
    return def_reg(g, i->args[0], reuse);
}

static void gen_shift(Emitter *e, unsigned op, int r, Opnd b)
{
    static const uint8_t digit[] = {
        [EMU_JIT_SHL] = 4, [EMU_JIT_SHR] = 5, [EMU_JIT_SAR] = 7,
        [EMU_JIT_ROTL] = 0, [EMU_JIT_ROTR] = 1,
    };
    if (b.is_imm) {
        op_rr(e, W64, OP(0xc1), digit[op], r);
        b1(e, (uint8_t)(b.imm & 63));
    } else {
        mov_rr(e, RCX, b.reg);
        op_rr(e, W64, OP(0xd3), digit[op], r);
    }
}

static void gen_binary(Gen *g, unsigned k, const EmuJitInsn *i)
{
    unsigned op = i->op, ia = 1;
    Opnd a = use(g, i->args[1]), b = use(g, i->args[2]);
    if (commutative(op) &&
        (a.is_imm || (!b.is_imm && dies(g, k, 2) && !dies(g, k, 1)))) {
        Opnd t = a; a = b; b = t;
        ia = 2;
    }
    /* r is a's register or a fresh one, so b.reg == r only when a and b
     * are the same temp: "op r, r" is then right. */
    int r = def_over(g, k, i, ia, a);
    uint8_t opcode, digit;
    if (op == EMU_JIT_MUL && b.is_imm) {
        int src = a.is_imm ? (mov_ri(&g->e, r, (uint64_t)a.imm), r) : a.reg;
        op_rr(&g->e, W64, OP(0x69), r, src);         /* imul r, src, imm32 */
        b4(&g->e, (uint32_t)b.imm);
    } else {
        mov_opnd(&g->e, r, a);
        if (alu_code(op, &opcode, &digit)) {
            alu_opnd(&g->e, opcode, digit, r, b);
        } else if (op == EMU_JIT_MUL) {
            op_rr(&g->e, W64, OP(0x0f, 0xaf), r, b.reg);
        } else {
            gen_shift(&g->e, op, r, b);
        }
    }
    def_done(g, i->args[0]);
}

static void gen_mulh(Gen *g, const EmuJitInsn *i)
{
    Opnd a = use(g, i->args[1]), b = use(g, i->args[2]);
    mov_opnd(&g->e, RAX, a);
    if (b.is_imm) {
        mov_ri(&g->e, RCX, (uint64_t)b.imm);
        b.reg = RCX;
    }
    op_rr(&g->e, W64, OP(0xf7), i->op == EMU_JIT_MULUH ? 4 : 5, b.reg);
    int r = def_reg(g, i->args[0], NO_REG);
    mov_rr(&g->e, r, RDX);
    def_done(g, i->args[0]);
}

static bool gen_unary(Gen *g, unsigned k, const EmuJitInsn *i)
{
    Opnd a = use(g, i->args[1]);
    if (a.is_imm) {
        mov_ri(&g->e, RAX, (uint64_t)a.imm);
        a = (Opnd){ .reg = RAX };
    }
    int r = def_over(g, k, i, 1, a);
    Emitter *e = &g->e;
    switch (i->op) {
    case EMU_JIT_MOV: mov_rr(e, r, a.reg); break;
    case EMU_JIT_NEG: mov_rr(e, r, a.reg); op_rr(e, W64, OP(0xf7), 3, r); break;
    case EMU_JIT_NOT: mov_rr(e, r, a.reg); op_rr(e, W64, OP(0xf7), 2, r); break;
    case EMU_JIT_EXT8S: op_rr(e, W64, OP(0x0f, 0xbe), r, a.reg); break;
    case EMU_JIT_EXT8U:                             /* movzx r32, a8 */
        b1(e, (uint8_t)(0x40 | ((r & 8) ? 4 : 0) | ((a.reg & 8) ? 1 : 0)));
        EMIT(e, 0x0f, 0xb6);
        b1(e, (uint8_t)(0xc0 | ((r & 7) << 3) | (a.reg & 7)));
        break;
    case EMU_JIT_EXT16S: op_rr(e, W64, OP(0x0f, 0xbf), r, a.reg); break;
    case EMU_JIT_EXT16U: op_rr(e, W32, OP(0x0f, 0xb7), r, a.reg); break;
    case EMU_JIT_EXT32S: op_rr(e, W64, OP(0x63), r, a.reg); break;
    case EMU_JIT_EXT32U: op_rr(e, W32, OP(0x89), a.reg, r); break;
    case EMU_JIT_BSWAP32:
        op_rr(e, W32, OP(0x89), a.reg, r);
        prefix_rex(e, W32, 0, -1, r, false);
        b1(e, 0x0f);
        b1(e, (uint8_t)(0xc8 + (r & 7)));
        break;
    case EMU_JIT_BSWAP64:
        mov_rr(e, r, a.reg);
        prefix_rex(e, W64, 0, -1, r, false);
        b1(e, 0x0f);
        b1(e, (uint8_t)(0xc8 + (r & 7)));
        break;
    default:
        g_assert_not_reached();
    }
    def_done(g, i->args[0]);
    return true;
}

/* Sets host flags for (a cond b); returns the condition to test, which
 * is swapped when a was an immediate. */
static unsigned gen_compare(Gen *g, unsigned cond, uint32_t ta, uint32_t tb)
{
    Opnd a = use(g, ta), b = use(g, tb);
    if (a.is_imm && !b.is_imm) {
        Opnd t = a; a = b; b = t;
        cond = swap_cond(cond);
    } else if (a.is_imm) {
        mov_ri(&g->e, RCX, (uint64_t)a.imm);
        a = (Opnd){ .reg = RCX };
    }
    bool test = cond == EMU_JIT_TSTEQ || cond == EMU_JIT_TSTNE;
    if (!b.is_imm) {
        uint8_t op = test ? 0x85 : 0x39;
        op_rr(&g->e, W64, &op, 1, b.reg, a.reg);
    } else if (test) {
        op_rr(&g->e, W64, OP(0xf7), 0, a.reg);
        b4(&g->e, (uint32_t)b.imm);
    } else {
        alu_ri(&g->e, 7, a.reg, b.imm);
    }
    return cond;
}

static void gen_setcond(Gen *g, const EmuJitInsn *i)
{
    unsigned cond = i->aux;
    if (cond == EMU_JIT_NEVER || cond == EMU_JIT_ALWAYS) {
        int r = def_reg(g, i->args[0], NO_REG);
        mov_ri(&g->e, r, cond == EMU_JIT_ALWAYS);
    } else {
        cond = gen_compare(g, cond, i->args[1], i->args[2]);
        b1(&g->e, 0x0f);                            /* setcc al */
        b1(&g->e, (uint8_t)(0x90 + host_cc(cond)));
        b1(&g->e, 0xc0);
        int r = def_reg(g, i->args[0], NO_REG);
        op_rr(&g->e, W32, OP(0x0f, 0xb6), r, RAX);  /* movzx r32, al */
    }
    def_done(g, i->args[0]);
}

static void gen_movcond(Gen *g, const EmuJitInsn *i)
{
    unsigned cond = i->aux;
    const uint32_t *a = i->args;
    if (cond == EMU_JIT_NEVER || cond == EMU_JIT_ALWAYS) {
        mov_opnd(&g->e, RAX, use(g, cond == EMU_JIT_ALWAYS ? a[3] : a[4]));
    } else {
        Opnd v1 = use(g, a[3]), v2 = use(g, a[4]);
        if (v1.is_imm) {
            mov_ri(&g->e, RDX, (uint64_t)v1.imm);
            v1.reg = RDX;
        }
        mov_opnd(&g->e, RAX, v2);                   /* mov keeps flags */
        cond = gen_compare(g, cond, a[1], a[2]);
        op_rr(&g->e, W64, (const uint8_t[]){ 0x0f, (uint8_t)(0x40 + host_cc(cond)) },
              2, RAX, v1.reg);                      /* cmovcc rax, v1 */
    }
    int r = def_reg(g, a[0], NO_REG);
    mov_rr(&g->e, r, RAX);
    def_done(g, a[0]);
}

static uint64_t eval_trampoline(uint64_t op_aux, uint64_t a, uint64_t b,
                                uint64_t c, uint64_t d)
{
    return emu_jit_eval((unsigned)(op_aux & 0xffff), (unsigned)(op_aux >> 16),
                        a, b, c, d);
}

/* d = fn(first, inputs...): a C call.  Caller-saved registers are emptied
 * (their live values saved), so nothing is live in them across it. */
static void gen_c_call(Gen *g, unsigned k, const EmuJitInsn *i, uint64_t fn,
                       bool first_is_env, uint64_t first, unsigned n_in)
{
    static const int arg_regs[] = { RSI, RDX, RCX, R8 };
    reg_evict(g, RSI);          /* argument registers that hold temps */
    reg_evict(g, R8);
    g->locked |= (1u << RSI) | (1u << R8);
    for (unsigned a = 0; a < 4; a++) {
        if (a < n_in) {
            mov_opnd(&g->e, arg_regs[a], use(g, i->args[1 + a]));
        }
    }
    for (int r = 0; r < 16; r++) {
        if (CALLER_SAVED & (1u << r)) {
            int32_t t = g->owner[r];
            bool dead_here = false;
            for (unsigned a = 1; t >= 0 && a <= n_in; a++) {
                dead_here |= i->args[a] == (uint32_t)t && dies(g, k, a);
            }
            if (dead_here) {
                reg_free(g, r);
            } else {
                reg_evict(g, r);
            }
        }
    }
    if (first_is_env) {
        mov_rr(&g->e, RDI, REG_ENV);
    } else {
        mov_ri(&g->e, RDI, first);
    }
    mov_ri(&g->e, RAX, fn);
    EMIT(&g->e, 0xff, 0xd0);                        /* call rax */
    g->locked = 0;
    if (!dies(g, k, 0)) {
        int r = def_reg(g, i->args[0], NO_REG);
        mov_rr(&g->e, r, RAX);
        def_done(g, i->args[0]);
    } else {
        TempState *s = &g->t[i->args[0]];
        if (s->reg != NO_REG) {
            reg_free(g, s->reg);
        }
        s->is_const = false;
        s->in_mem = false;
    }
}

/* A guest address computed by "ADD t, x, y" (or "SUB t, x, imm") right
 * before the access at k + 1, when t is read there only, folds into the
 * access's memory operand [x + y + disp] (guest base 0 only: no register is
 * left for it).  The ADD is then not emitted: its inputs still hold what
 * it would read, since nothing runs in between. */
static bool folds_into_access_at(const Gen *g, unsigned k, unsigned at);

static bool folds_into_access(const Gen *g, unsigned k)
{
    return folds_into_access_at(g, k, k);
}

/* The same for an ADD at k whose result the instruction at `at` reads
 * (k itself: the access that follows; else an EXT32U, see zext_fold). */
static bool folds_into_access_at(const Gen *g, unsigned k, unsigned at)
{
    const EmuJitTb *tb = g->tb;
    if (at + 1 >= tb->n_insns || emu_jit_opts.guest_base ||
        (tb->insns[k].op != EMU_JIT_ADD && tb->insns[k].op != EMU_JIT_SUB)) {
        return false;
    }
    const EmuJitInsn *add = &tb->insns[k], *acc = &tb->insns[at + 1];
    uint32_t t = add->args[0];
    const TempState *x = &g->t[add->args[1]], *y = &g->t[add->args[2]];
    if ((at == k && ((acc->op != EMU_JIT_LD && acc->op != EMU_JIT_ST) ||
                     (acc->aux & EMU_MO_BE) || acc->args[1] != t ||
                     (acc->op == EMU_JIT_ST && acc->args[0] == t) ||
                     g->t[t].global || !dies(g, k + 1, 1))) ||
        add->args[1] == EMU_JIT_ENV || add->args[2] == EMU_JIT_ENV) {
        return false;
    }
    if (add->op == EMU_JIT_SUB) {
        return y->is_const && fits_s32(-(int64_t)y->val) && !x->is_const;
    }
    return add->op == EMU_JIT_ADD && !(x->is_const && y->is_const);
}

/* Whether the access at k reads temp t as its address, and nothing else
 * reads t after it. */
static bool is_address_of(const Gen *g, unsigned k, uint32_t t)
{
    const EmuJitInsn *acc = &g->tb->insns[k];
    return (acc->op == EMU_JIT_LD || acc->op == EMU_JIT_ST) &&
           !(acc->aux & EMU_MO_BE) && acc->args[1] == t &&
           !(acc->op == EMU_JIT_ST && acc->args[0] == t) && !g->t[t].global &&
           dies(g, k, 1);
}

/* A 32-bit guest address "EXT32U t2, t" of "ADD t, x, y" (the ADD may be
 * missing) right before its access: with the address-size prefix the
 * host computes [x + y + disp] modulo 2^32 itself.  Returns the index of
 * the access (0: no such pattern); *add gets the ADD's (UINT_MAX: none). */
static unsigned zext_fold(const Gen *g, unsigned k, unsigned *add)
{
    const EmuJitTb *tb = g->tb;
    unsigned ext = k;
    *add = UINT_MAX;
    if (emu_jit_opts.guest_base || k + 2 >= tb->n_insns) {
        return 0;
    }
    if (tb->insns[k].op == EMU_JIT_ADD || tb->insns[k].op == EMU_JIT_SUB) {
        uint32_t t = tb->insns[k].args[0];
        ext = k + 1;
        if (tb->insns[ext].op != EMU_JIT_EXT32U || tb->insns[ext].args[1] != t ||
            g->t[t].global || !dies(g, ext, 1) ||
            !folds_into_access_at(g, k, ext)) {
            return 0;
        }
        *add = k;
    } else {
        uint32_t a = tb->insns[k].args[1];
        if (tb->insns[k].op != EMU_JIT_EXT32U || a == EMU_JIT_ENV ||
            g->t[a].is_const) {
            return 0;
        }
    }
    return is_address_of(g, ext + 1, tb->insns[ext].args[0]) ? ext + 1 : 0;
}

/* Base, index and displacement of the folded address of insn k. */
static void folded_addr(Gen *g, unsigned k, int *base, int *index,
                        int32_t *disp)
{
    const EmuJitInsn *add = &g->tb->insns[k];
    uint32_t t = add->args[0];
    if (g->t[t].reg != NO_REG && t != add->args[1] && t != add->args[2]) {
        reg_free(g, g->t[t].reg);       /* an older value of t */
    }
    Opnd a = use(g, add->args[1]), b = use(g, add->args[2]);
    if (add->op == EMU_JIT_SUB) {
        b.imm = -b.imm;
    }
    if (a.is_imm) {
        Opnd s = a; a = b; b = s;
    }
    *base = a.reg;
    *index = b.is_imm ? NO_REG : b.reg;
    *disp = b.is_imm ? (int32_t)b.imm : 0;
}

/* The host address of guest address temp t: base and index registers. */
static void guest_addr(Gen *g, uint32_t t, int *base, int *index)
{
    Opnd a = use(g, t);
    if (a.is_imm) {
        mov_ri(&g->e, RAX, (uint64_t)a.imm);
        a.reg = RAX;
    }
    *base = a.reg;
    *index = NO_REG;
    if (emu_jit_opts.guest_base) {
        *base = REG_GUEST_BASE;
        *index = a.reg;
    }
}

/* The memory operand of the access at k (see folds_into_access). */
static void access_addr(Gen *g, unsigned k, int *base, int *index,
                        int32_t *disp)
{
    *disp = 0;
    if (g->folded == k && g->fold_add != UINT_MAX) {
        folded_addr(g, g->fold_add, base, index, disp);
    } else if (g->folded == k) {
        *base = use_reg(g, g->tb->insns[g->fold_first].args[1]);
        *index = NO_REG;
    } else {
        guest_addr(g, g->tb->insns[k].args[1], base, index);
    }
}

static void gen_ld(Gen *g, unsigned k, const EmuJitInsn *i)
{
    int base, index;
    int32_t disp;
    access_addr(g, k, &base, &index, &disp);
    int r = def_reg(g, i->args[0], NO_REG);
    g->e.addr32 = g->folded == k && g->fold_addr32;
    load_sized(&g->e, i->aux, r, base, index, disp);
    g->e.addr32 = false;
    def_done(g, i->args[0]);
}

static void gen_st(Gen *g, unsigned k, const EmuJitInsn *i)
{
    int base, index;
    int32_t disp;
    Opnd v = use(g, i->args[0]);
    access_addr(g, k, &base, &index, &disp);
    if (v.is_imm && (i->aux & EMU_MO_SIZE) == EMU_MO_64 && !fits_s32(v.imm)) {
        mov_ri(&g->e, RDX, (uint64_t)v.imm);
        v = (Opnd){ .reg = RDX };
    }
    g->e.addr32 = g->folded == k && g->fold_addr32;
    if (!v.is_imm) {
        store_sized_reg(&g->e, i->aux, v.reg, base, index, disp);
    } else {
        store_sized_imm(&g->e, i->aux, v.imm, base, index, disp);
    }
    g->e.addr32 = false;
}

static void gen_st_env(Gen *g, const EmuJitInsn *i)
{
    Opnd v = use(g, i->args[0]);
    int32_t off = (int32_t)i->imm;
    if (!v.is_imm) {
        store_sized_reg(&g->e, i->aux, v.reg, REG_ENV, NO_REG, off);
    } else if (!store_sized_imm(&g->e, i->aux, v.imm, REG_ENV, NO_REG, off)) {
        mov_ri(&g->e, RAX, (uint64_t)v.imm);
        store_sized_reg(&g->e, i->aux, RAX, REG_ENV, NO_REG, off);
    }
}

static void gen_movi(Gen *g, const EmuJitInsn *i)
{
    uint32_t t = i->args[0];
    TempState *s = &g->t[t];
    if (s->reg != NO_REG) {
        reg_free(g, s->reg);
    }
    if (s->global) {
        if (!store_sized_imm(&g->e, EMU_MO_64, i->imm, REG_SPILL, NO_REG,
                             (int32_t)(8 * t))) {
            mov_ri(&g->e, RAX, (uint64_t)i->imm);
            store_spill(&g->e, RAX, t);
        }
        s->in_mem = true;
        s->is_const = false;
    } else {
        s->is_const = true;
        s->in_mem = false;
        s->val = (uint64_t)i->imm;
    }
}

static void gen_goto_tb(Gen *g, const EmuJitInsn *i)
{
    Emitter *e = &g->e;
    unsigned slot = (unsigned)i->imm & 1;
    while (((e->p - e->start) + 1) % 4 && !e->overflow) {
        b1(e, 0x90);
    }
    b1(e, 0xe9);
    g->tb->jmp_site[slot] = (uint32_t)(e->p - e->start);
    b4(e, 0);               /* falls through to the exit that follows */
    g->tb->jmp_reset[slot] = (uint32_t)(e->p - e->start);
}

/* LOOKUP_TB: probes the vCPU's jump cache in line and, on a hit, jumps to
 * the block's body (blocks share one frame layout; the body tests
 * exit_request).  Logging and single-stepping want every block to go
 * through the loop, so they get nothing here. */
static void gen_lookup_tb(Gen *g, const EmuJitInsn *i)
{
    Emitter *e = &g->e;
    uint8_t *miss[4];
    if (emu_jit_opts.single_step || emu_log_enabled(EMU_LOG_EXEC | EMU_LOG_CPU)) {
        return;
    }
    int pc = use_reg(g, i->args[0]);
    mov_rr(e, RAX, pc);                             /* slot, as in exec.c */
    op_rr(e, W64, OP(0xc1), 5, RAX);                /* shr rax, 2 */
    b1(e, 2);
    mov_rr(e, RDX, pc);
    op_rr(e, W64, OP(0xc1), 5, RDX);                /* shr rdx, 14 */
    b1(e, 14);
    op_rr(e, W64, OP(0x31), RDX, RAX);              /* xor rax, rdx */
    op_rr(e, W32, OP(0x81), 4, RAX);                /* and eax, 4095 */
    b4(e, 4095);
    op_rr(e, W32, OP(0xc1), 4, RAX);                /* shl eax, 3 */
    b1(e, 3);
    op_mem(e, W64, OP(0x8b), RAX, REG_ENV, RAX, EMU_JIT_CPU_OFF(jmp_cache));
    EMIT(e, 0x48, 0x85, 0xc0, 0x74, 0);             /* test rax, rax; jz */
    miss[0] = e->p - 1;
    op_mem(e, W64, OP(0x39), pc, RAX, NO_REG, offsetof(EmuJitTb, pc));
    EMIT(e, 0x75, 0);                               /* jne */
    miss[1] = e->p - 1;
    op_mem(e, W32, OP(0x81), 7, RAX, NO_REG, offsetof(EmuJitTb, flags));
    b4(e, g->tb->flags);
    EMIT(e, 0x75, 0);
    miss[2] = e->p - 1;
    op_mem(e, W32, OP(0x83), 7, RAX, NO_REG, offsetof(EmuJitTb, invalid));
    b1(e, 0);
    EMIT(e, 0x75, 0);
    miss[3] = e->p - 1;
    op_mem(e, W64, OP(0x8b), RDX, RAX, NO_REG, offsetof(EmuJitTb, host_code));
    op_mem(e, W32, OP(0x8b), RAX, RAX, NO_REG, offsetof(EmuJitTb, body_off));
    EMIT(e, 0x48, 0x01, 0xd0,                       /* add rax, rdx */
         0x48, 0x85, 0xd2,                          /* test rdx, rdx */
         0x74, 0x02,                                /* jz: a miss */
         0xff, 0xe0);                               /* jmp rax */
    for (size_t k = 0; k < G_N_ELEMENTS(miss) && !e->overflow; k++) {
        *miss[k] = (uint8_t)(e->p - (miss[k] + 1));
    }
}

/* ---- host floating point (EMU_JIT_F_FP ops) ---- */

/* prefix [REX] 0f op with register operands (xmm or general). */
static void sse_rr(Emitter *e, uint8_t prefix, bool w64, uint8_t op, int reg,
                   int rm)
{
    b1(e, prefix);
    uint8_t rex = (uint8_t)(0x40 | (w64 ? 8 : 0) | ((reg & 8) ? 4 : 0) |
                            ((rm & 8) ? 1 : 0));
    if (rex != 0x40) {
        b1(e, rex);
    }
    b1(e, 0x0f);
    b1(e, op);
    b1(e, (uint8_t)(0xc0 | ((reg & 7) << 3) | (rm & 7)));
}

/* How each EMU_JIT_F_FP op is encoded: "prefix 0f opcode" on xmm0 (and
 * xmm1), inputs moved in with movq/movd and results out the same way.
 * xmm0 and xmm1 are scratch: no other generated code uses vector
 * registers and helpers may clobber them anyway. */
enum { FP_BINARY, FP_FROM_INT, FP_TO_INT, FP_COMPARE };

typedef struct FpEnc {
    uint8_t kind, prefix, opcode;
    bool f64;           /* binary64 operands (else binary32) */
    bool w64;           /* FP_TO_INT: 64-bit integer result */
} FpEnc;

static const FpEnc *fp_enc(unsigned op)
{
    static const FpEnc enc[] = {
        [EMU_JIT_FADD64] = { FP_BINARY, 0xf2, 0x58, true, false },
        [EMU_JIT_FSUB64] = { FP_BINARY, 0xf2, 0x5c, true, false },
        [EMU_JIT_FMUL64] = { FP_BINARY, 0xf2, 0x59, true, false },
        [EMU_JIT_FDIV64] = { FP_BINARY, 0xf2, 0x5e, true, false },
        [EMU_JIT_FADD32] = { FP_BINARY, 0xf3, 0x58, false, false },
        [EMU_JIT_FSUB32] = { FP_BINARY, 0xf3, 0x5c, false, false },
        [EMU_JIT_FMUL32] = { FP_BINARY, 0xf3, 0x59, false, false },
        [EMU_JIT_FDIV32] = { FP_BINARY, 0xf3, 0x5e, false, false },
        [EMU_JIT_I64TOF64] = { FP_FROM_INT, 0xf2, 0x2a, true, true },
        [EMU_JIT_F64TOI64T] = { FP_TO_INT, 0xf2, 0x2c, true, true },
        [EMU_JIT_F64TOI32T] = { FP_TO_INT, 0xf2, 0x2c, true, false },
        [EMU_JIT_FCMP64] = { FP_COMPARE, 0x66, 0x2e, true, false },   /* ucomisd */
        [EMU_JIT_FCMPS64] = { FP_COMPARE, 0x66, 0x2f, true, false },  /* comisd */
    };
    return &enc[op];
}

/* The register holding input a of i (an immediate goes to rax). */
static int fp_input(Gen *g, const EmuJitInsn *i, unsigned a)
{
    Opnd o = use(g, i->args[1 + a]);
    if (o.is_imm) {
        mov_ri(&g->e, RAX, (uint64_t)o.imm);
        return RAX;
    }
    return o.reg;
}

/* r = 2 * ZF + CF of the comparison just made: 0 greater, 1 less, 2
 * equal, 3 unordered (mov imm32 leaves the flags alone). */
static void fp_compare_result(Emitter *e, int r)
{
    EMIT(e, 0xb8, 0, 0, 0, 0);                  /* mov eax, 0 */
    EMIT(e, 0xb9, 0, 0, 0, 0);                  /* mov ecx, 0 */
    EMIT(e, 0x0f, 0x94, 0xc0);                  /* sete al */
    EMIT(e, 0x0f, 0x92, 0xc1);                  /* setb cl */
    b1(e, (uint8_t)(0x48 | ((r & 8) ? 4 : 0))); /* lea r, [rcx + rax*2] */
    b1(e, 0x8d);
    b1(e, (uint8_t)(0x04 | ((r & 7) << 3)));
    b1(e, 0x41);
}

static void gen_fp(Gen *g, const EmuJitInsn *i)
{
    const FpEnc *f = fp_enc(i->op);
    Emitter *e = &g->e;
    unsigned n_in = emu_jit_op_def(i->op)->n_in;
    for (unsigned a = 0; a < n_in; a++) {
        int src = fp_input(g, i, a);
        if (f->kind == FP_FROM_INT) {
            sse_rr(e, f->prefix, true, f->opcode, 0, src);  /* cvtsi2sd */
        } else {
            sse_rr(e, 0x66, f->f64, 0x6e, (int)a, src);     /* movq xmmA, r */
        }
    }
    int r = def_reg(g, i->args[0], NO_REG);
    switch (f->kind) {
    case FP_BINARY:
        sse_rr(e, f->prefix, false, f->opcode, 0, 1);
        /* fall through */
    case FP_FROM_INT:
        sse_rr(e, 0x66, f->f64, 0x7e, 0, r);                /* movq r, xmm0 */
        break;
    case FP_TO_INT:
        sse_rr(e, f->prefix, f->w64, f->opcode, r, 0);      /* cvttsd2si */
        break;
    default:
        sse_rr(e, f->prefix, false, f->opcode, 0, 1);
        fp_compare_result(e, r);
        break;
    }
    def_done(g, i->args[0]);
}

static bool is_div(unsigned op)
{
    return op == EMU_JIT_DIVU || op == EMU_JIT_DIVS || op == EMU_JIT_REMU ||
           op == EMU_JIT_REMS;
}

static bool gen_insn(Gen *g, unsigned k, const EmuJitInsn *i)
{
    const EmuJitOpDef *def = emu_jit_op_def(i->op);
    Emitter *e = &g->e;
    if ((i->op == EMU_JIT_LD || i->op == EMU_JIT_ST || i->op == EMU_JIT_LD_ENV ||
         i->op == EMU_JIT_ST_ENV) && (i->aux & EMU_MO_BE)) {
        return false;
    }
    switch (i->op) {
    case EMU_JIT_NOP:
        break;
    case EMU_JIT_INSN_START:
        if (!store_sized_imm(e, EMU_MO_64, i->imm, REG_ENV, NO_REG,
                             EMU_JIT_CPU_OFF(insn_pc))) {
            mov_ri(e, RAX, (uint64_t)i->imm);
            store_sized_reg(e, EMU_MO_64, RAX, REG_ENV, NO_REG,
                            EMU_JIT_CPU_OFF(insn_pc));
        }
        break;
    case EMU_JIT_MOVI:
        gen_movi(g, i);
        break;
    case EMU_JIT_MOV: case EMU_JIT_NEG: case EMU_JIT_NOT:
    case EMU_JIT_EXT8S: case EMU_JIT_EXT8U: case EMU_JIT_EXT16S:
    case EMU_JIT_EXT16U: case EMU_JIT_EXT32S: case EMU_JIT_EXT32U:
    case EMU_JIT_BSWAP32: case EMU_JIT_BSWAP64:
        gen_unary(g, k, i);
        break;
    case EMU_JIT_ADD: case EMU_JIT_SUB: case EMU_JIT_AND: case EMU_JIT_OR:
    case EMU_JIT_XOR: case EMU_JIT_MUL: case EMU_JIT_SHL: case EMU_JIT_SHR:
    case EMU_JIT_SAR: case EMU_JIT_ROTL: case EMU_JIT_ROTR:
        gen_binary(g, k, i);
        break;
    case EMU_JIT_MULUH: case EMU_JIT_MULSH:
        gen_mulh(g, i);
        break;
    case EMU_JIT_SETCOND:
        gen_setcond(g, i);
        break;
    case EMU_JIT_MOVCOND:
        gen_movcond(g, i);
        break;
    case EMU_JIT_LD_ENV: {
        int r = def_reg(g, i->args[0], NO_REG);
        load_sized(e, i->aux, r, REG_ENV, NO_REG, (int32_t)i->imm);
        def_done(g, i->args[0]);
        break;
    }
    case EMU_JIT_ST_ENV:
        gen_st_env(g, i);
        break;
    case EMU_JIT_LD:
        gen_ld(g, k, i);
        break;
    case EMU_JIT_ST:
        gen_st(g, k, i);
        break;
    case EMU_JIT_CALL:
        gen_c_call(g, k, i, (uint64_t)i->imm, true, 0,
                   i->aux & EMU_JIT_CALL_NARGS_MASK);
        break;
    case EMU_JIT_LABEL:
        forget_regs(g);
        e->label_off[i->imm] = (uint32_t)(e->p - e->start);
        break;
    case EMU_JIT_BR:
        jump_label(e, -1, (uint32_t)i->imm);
        break;
    case EMU_JIT_BRCOND:
        if (i->aux == EMU_JIT_ALWAYS) {
            jump_label(e, -1, (uint32_t)i->imm);
        } else if (i->aux != EMU_JIT_NEVER) {
            unsigned cond = gen_compare(g, i->aux, i->args[0], i->args[1]);
            jump_label(e, host_cc(cond), (uint32_t)i->imm);
        }
        break;
    case EMU_JIT_GOTO_TB:
        gen_goto_tb(g, i);
        break;
    case EMU_JIT_LOOKUP_TB:
        gen_lookup_tb(g, i);
        break;
    case EMU_JIT_FADD64: case EMU_JIT_FSUB64: case EMU_JIT_FMUL64:
    case EMU_JIT_FDIV64: case EMU_JIT_FADD32: case EMU_JIT_FSUB32:
    case EMU_JIT_FMUL32: case EMU_JIT_FDIV32: case EMU_JIT_I64TOF64:
    case EMU_JIT_F64TOI64T: case EMU_JIT_F64TOI32T: case EMU_JIT_FCMP64:
    case EMU_JIT_FCMPS64:
        gen_fp(g, i);
        break;
    case EMU_JIT_EXIT_TB:
        if (i->imm > 0 && i->imm <= 2) {
            exit_with(e, (uint64_t)(uintptr_t)g->tb | (uint64_t)i->imm);
        } else {
            exit_with(e, (uint64_t)i->imm);
        }
        break;
    default:
        if (!(def->flags & EMU_JIT_F_FOLD) && !is_div(i->op)) {
            return false;
        }
        /* no fast encoding: emu_jit_eval() does it */
        gen_c_call(g, k, i, (uint64_t)(uintptr_t)eval_trampoline, false,
                   i->op | ((uint64_t)i->aux << 16), def->n_in);
        break;
    }
    for (unsigned j = g->folded == k ? g->fold_first : k; j < k; j++) {
        release_dead(g, j, &g->tb->insns[j]);
    }
    release_dead(g, k, i);
    return true;
}

/* Only helpers and guest memory accesses can raise an exception, so an
 * instruction without them needs no INSN_START (the pc it records). */
static bool may_fault(const EmuJitTb *tb, unsigned start)
{
    for (unsigned k = start + 1; k < tb->n_insns; k++) {
        switch (tb->insns[k].op) {
        case EMU_JIT_INSN_START:
            return false;
        case EMU_JIT_LD: case EMU_JIT_ST: case EMU_JIT_CALL:
            return true;
        default:
            break;
        }
    }
    return false;
}

static void prologue(Emitter *e, uint64_t guest_base)
{
    /* push rbx, rbp, r12, r13, r14, r15; sub rsp, 8 */
    EMIT(e, 0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57,
         0x48, 0x83, 0xec, 0x08);
    EMIT(e, 0x48, 0x89, 0xfb,           /* mov rbx, rdi (env) */
         0x49, 0x89, 0xf4);             /* mov r12, rsi (spill array) */
    mov_ri(e, REG_GUEST_BASE, guest_base);
}

static bool code_buffer_init(void)
{
    if (!code_buf) {
        const char *kb = g_getenv("EMU_JIT_CODE_BUFFER_KB");
        code_size = CODE_BUFFER_SIZE;
        if (kb && g_ascii_strtoull(kb, NULL, 10) >= 64 &&
            g_ascii_strtoull(kb, NULL, 10) < CODE_BUFFER_SIZE / 1024) {
            code_size = (size_t)g_ascii_strtoull(kb, NULL, 10) * 1024;
        }
        void *p = mmap(NULL, code_size, PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            return false;
        }
        code_buf = p;
    }
    return true;
}

static bool resolve_fixups(Emitter *e)
{
    for (guint k = 0; k < e->fixups->len; k++) {
        Fixup *f = &g_array_index(e->fixups, Fixup, k);
        uint32_t target = e->label_off[f->label];
        if (target == UINT32_MAX) {
            return false;
        }
        int32_t rel = (int32_t)(target - (f->at + 4));
        memcpy(e->start + f->at, &rel, 4);
    }
    return true;
}

static bool gen_body(Gen *g)
{
    EmuJitTb *tb = g->tb;
    analyze(g);
    for (unsigned k = 0; k < tb->n_insns; k++) {
        if (tb->insns[k].op == EMU_JIT_INSN_START && !may_fault(tb, k)) {
            continue;
        }
        unsigned add, access = zext_fold(g, k, &add);
        if (access) {
            g->folded = access;
            g->fold_first = k;
            g->fold_add = add;
            g->fold_addr32 = true;
            k = access - 1;
            continue;
        }
        if (folds_into_access(g, k)) {
            g->folded = k + 1;
            g->fold_first = k;
            g->fold_add = k;
            g->fold_addr32 = false;
            continue;
        }
        if (!gen_insn(g, k, &tb->insns[k])) {
            return false;
        }
    }
    return true;
}

/* Called with the TB lock held.  On failure the block stays interpreted. */
bool emu_jit_x86_64_compile(EmuJitTb *tb)
{
    if (tb->n_temps > MAX_NATIVE_TEMPS || !code_buffer_init()) {
        return false;
    }
    unsigned n_labels = tb->n_labels ? tb->n_labels : 1;
    Gen g = {
        .e = {
            .start = code_buf + code_used, .p = code_buf + code_used,
            .end = code_buf + code_size,
            .label_off = g_new(uint32_t, n_labels),
            .fixups = g_array_new(FALSE, FALSE, sizeof(Fixup)),
        },
        .tb = tb,
        .t = g_new0(TempState, tb->n_temps ? tb->n_temps : 1),
        .dies = g_new0(uint8_t, tb->n_insns ? tb->n_insns : 1),
        .folded = UINT_MAX,
    };
    Emitter *e = &g.e;
    memset(e->label_off, 0xff, sizeof(uint32_t) * n_labels);
    memset(g.owner, 0xff, sizeof(g.owner));
    for (unsigned t = 0; t < tb->n_temps; t++) {
        g.t[t].reg = NO_REG;
    }
    bool ok = code_size - code_used > 256;
    if (ok) {
        prologue(e, emu_jit_opts.guest_base);
        tb->body_off = (uint32_t)(e->p - e->start);
        op_mem(e, W32, OP(0x83), 7, REG_ENV, NO_REG,
               EMU_JIT_CPU_OFF(exit_request));      /* cmp dword [..], 0 */
        b1(e, 0);
        uint8_t *skip = e->p + 1;
        EMIT(e, 0x74, 0x00);                        /* je: past the exit */
        uint8_t *exit_start = e->p;
        exit_with(e, 0);
        if (!e->overflow) {
            *skip = (uint8_t)(e->p - exit_start);
        }
        ok = gen_body(&g) && !e->overflow && resolve_fixups(e);
    }
    code_full = !ok && (e->overflow || code_size - code_used <= 256);
    if (ok) {
        for (int s = 0; s < 2; s++) {
            if (tb->jmp_site[s]) {
                int32_t rel = (int32_t)(tb->jmp_reset[s] - (tb->jmp_site[s] + 4));
                memcpy(e->start + tb->jmp_site[s], &rel, 4);
            }
        }
        tb->host_code = e->start;
        tb->host_size = (uint32_t)(e->p - e->start);
        code_used += (size_t)(e->p - e->start);
        code_used = (code_used + 15) & ~(size_t)15;
    }
    g_free(e->label_off);
    g_array_free(e->fixups, TRUE);
    g_free(g.t);
    g_free(g.dies);
    return ok;
}

/* Points from's jump for slot at to's body (atomic 4-byte store). */
void emu_jit_x86_64_link(EmuJitTb *from, unsigned slot, EmuJitTb *to)
{
    uint8_t *site = from->host_code + from->jmp_site[slot];
    uint8_t *target = to->host_code + to->body_off;
    int32_t rel = (int32_t)(target - (site + 4));
    __atomic_store_n((int32_t *)(void *)site, rel, __ATOMIC_SEQ_CST);
}

void emu_jit_x86_64_unlink(EmuJitTb *from, unsigned slot)
{
    uint8_t *site = from->host_code + from->jmp_site[slot];
    int32_t rel = (int32_t)(from->jmp_reset[slot] - (from->jmp_site[slot] + 4));
    __atomic_store_n((int32_t *)(void *)site, rel, __ATOMIC_SEQ_CST);
}

int64_t emu_jit_x86_64_run(EmuJitTb *tb, void *env, uint64_t *temps)
{
    typedef int64_t (*BlockFn)(void *, uint64_t *);
    BlockFn fn = (BlockFn)(void *)tb->host_code;
    return fn(env, temps);
}

bool emu_jit_x86_64_full(void)
{
    return code_full;
}

void emu_jit_x86_64_reset(void)
{
    code_used = 0;
    code_full = false;
}

uint64_t *emu_jit_x86_64_temps(void)
{
    static __thread uint64_t *temps;
    if (!temps) {
        temps = g_new0(uint64_t, MAX_NATIVE_TEMPS);
    }
    return temps;
}

#endif /* __x86_64__ */
