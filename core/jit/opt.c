/*
 * The IR optimizer: constant folding, copy propagation, forwarding of env
 * stores to later env loads, and dead code removal.  Works on one block in
 * place; knowledge is dropped at labels (the only join points) and env
 * knowledge at helper calls that may write env.
 *
 * Temporaries may be assigned more than once, so facts are versioned: a
 * copy "t = s" holds only while s keeps the version it had.
 *
 * An env store overwritten by a later store of the same slot is removed
 * only when nothing in between can read env or leave the block: no
 * helper call, guest memory access (it may fault, and a fault must see
 * the state at its instruction), branch, label or exit.
 */
#include "config.h"
#include "jit-internal.h"
#include <string.h>

typedef struct EnvFact {
    int64_t off;
    uint32_t temp, version;
    bool low32;                 /* only the low 32 bits are known (u32 load) */
} EnvFact;

#define ENV_FACTS 32

/* SETCOND that defined a temp, for fusing it into a BRCOND that tests it. */
typedef struct CondDef {
    uint32_t insn;              /* index + 1, 0: none */
    uint32_t ver_a, ver_b;      /* versions of its inputs then */
} CondDef;

typedef struct OptState {
    bool *is_const;
    uint64_t *val;
    uint32_t *copy_of, *copy_ver, *version;
    CondDef *cond_def;
    uint8_t *zbits;             /* the value is below 2^zbits (64: unknown) */
    EnvFact env[ENV_FACTS];
    unsigned n_env;
} OptState;

static void forget_all(OptState *st, unsigned n_temps)
{
    memset(st->is_const, 0, n_temps * sizeof(bool));
    memset(st->cond_def, 0, n_temps * sizeof(CondDef));
    memset(st->zbits, 64, n_temps);
    for (unsigned i = 0; i < n_temps; i++) {
        st->copy_of[i] = i;
    }
    st->n_env = 0;
}

/* The temp that currently holds the same value as t. */
static uint32_t resolve(OptState *st, uint32_t t)
{
    uint32_t s = st->copy_of[t];
    if (s != t && st->version[s] == st->copy_ver[t]) {
        return s;
    }
    return t;
}

static void written(OptState *st, uint32_t t)
{
    st->version[t]++;
    st->is_const[t] = false;
    st->cond_def[t].insn = 0;
    st->zbits[t] = 64;
    st->copy_of[t] = t;
}

static void env_forget_overlap(OptState *st, int64_t off, unsigned size)
{
    for (unsigned i = 0; i < st->n_env;) {
        if (st->env[i].off < off + (int64_t)size && off < st->env[i].off + 8) {
            st->env[i] = st->env[--st->n_env];
        } else {
            i++;
        }
    }
}

static void env_remember(OptState *st, int64_t off, uint32_t temp, bool low32)
{
    env_forget_overlap(st, off, 8);
    if (st->n_env == ENV_FACTS) {
        memmove(st->env, st->env + 1, (ENV_FACTS - 1) * sizeof(EnvFact));
        st->n_env--;
    }
    st->env[st->n_env++] = (EnvFact){ off, temp, st->version[temp], low32 };
}

static bool env_lookup(OptState *st, int64_t off, uint32_t *temp, bool *low32)
{
    for (unsigned i = 0; i < st->n_env; i++) {
        EnvFact *f = &st->env[i];
        if (f->off == off && st->version[f->temp] == f->version) {
            *temp = f->temp;
            *low32 = f->low32;
            return true;
        }
    }
    return false;
}


static void make_movi(EmuJitInsn *insn, uint64_t v)
{
    uint32_t d = insn->args[0];
    memset(insn, 0, sizeof(*insn));
    insn->op = EMU_JIT_MOVI;
    insn->args[0] = d;
    insn->imm = (int64_t)v;
}

static void make_mov(EmuJitInsn *insn, uint32_t src)
{
    uint32_t d = insn->args[0];
    memset(insn, 0, sizeof(*insn));
    insn->op = EMU_JIT_MOV;
    insn->args[0] = d;
    insn->args[1] = src;
}

/* An unsigned 32-bit env load of a slot whose value (or low half) a temp
 * holds: that temp, zero-extended unless it is already. */
static void forward_ld_env32(OptState *st, EmuJitInsn *insn, uint32_t src,
                             bool low32)
{
    if (low32 || st->zbits[src] <= 32) {
        make_mov(insn, src);
        return;
    }
    uint32_t d = insn->args[0];
    memset(insn, 0, sizeof(*insn));
    insn->op = EMU_JIT_EXT32U;
    insn->args[0] = d;
    insn->args[1] = src;
}

static bool is_commutative(unsigned op)
{
    return op == EMU_JIT_ADD || op == EMU_JIT_AND || op == EMU_JIT_OR ||
           op == EMU_JIT_XOR || op == EMU_JIT_MUL;
}

/* Algebraic identities with one constant operand. */
static bool simplify(OptState *st, EmuJitInsn *insn)
{
    if (is_commutative(insn->op) && st->is_const[insn->args[1]]) {
        uint32_t t = insn->args[1];     /* constant second, as hosts like */
        insn->args[1] = insn->args[2];
        insn->args[2] = t;
    }
    uint32_t a = insn->args[1], b = insn->args[2];
    bool bc = st->is_const[b];
    uint64_t bv = st->val[b];
    switch (insn->op) {
    case EMU_JIT_EXT8U: case EMU_JIT_EXT16U: case EMU_JIT_EXT32U:
        /* zero-extending what is already zero-extended */
        if (st->zbits[a] <= (8u << (insn->op - EMU_JIT_EXT8U) / 2)) {
            make_mov(insn, a);
            return true;
        }
        break;
    case EMU_JIT_ADD: case EMU_JIT_SUB: case EMU_JIT_OR: case EMU_JIT_XOR:
    case EMU_JIT_SHL: case EMU_JIT_SHR: case EMU_JIT_SAR:
        if (bc && bv == 0) {
            make_mov(insn, a);
            return true;
        }
        break;
    case EMU_JIT_AND:
        if (bc && bv == 0) {
            make_movi(insn, 0);
            return true;
        }
        if (bc && bv == UINT64_MAX) {
            make_mov(insn, a);
            return true;
        }
        break;
    case EMU_JIT_MUL:
        if (bc && bv == 1) {
            make_mov(insn, a);
            return true;
        }
        break;
    default:
        break;
    }
    if ((insn->op == EMU_JIT_XOR || insn->op == EMU_JIT_SUB) && a == b) {
        make_movi(insn, 0);
        return true;
    }
    return false;
}

static unsigned invert_cond(unsigned c)
{
    static const uint8_t inv[] = {
        [EMU_JIT_NEVER] = EMU_JIT_ALWAYS, [EMU_JIT_ALWAYS] = EMU_JIT_NEVER,
        [EMU_JIT_EQ] = EMU_JIT_NE, [EMU_JIT_NE] = EMU_JIT_EQ,
        [EMU_JIT_LT] = EMU_JIT_GE, [EMU_JIT_GE] = EMU_JIT_LT,
        [EMU_JIT_LE] = EMU_JIT_GT, [EMU_JIT_GT] = EMU_JIT_LE,
        [EMU_JIT_LTU] = EMU_JIT_GEU, [EMU_JIT_GEU] = EMU_JIT_LTU,
        [EMU_JIT_LEU] = EMU_JIT_GTU, [EMU_JIT_GTU] = EMU_JIT_LEU,
        [EMU_JIT_TSTEQ] = EMU_JIT_TSTNE, [EMU_JIT_TSTNE] = EMU_JIT_TSTEQ,
    };
    return inv[c];
}

/* BRCOND (t = a cond b) ==/!= 0 becomes BRCOND a cond b (or its
 * inverse) when a and b still hold what the SETCOND read. */
static void fuse_brcond(OptState *st, EmuJitCtx *ctx, EmuJitInsn *insn)
{
    uint32_t t = insn->args[0];
    const CondDef *cd = &st->cond_def[t];
    if ((insn->aux != EMU_JIT_NE && insn->aux != EMU_JIT_EQ) || !cd->insn ||
        !st->is_const[insn->args[1]] || st->val[insn->args[1]] != 0) {
        return;
    }
    const EmuJitInsn *sc = &ctx->insns[cd->insn - 1];
    uint32_t a = sc->args[1], b = sc->args[2];
    if (st->version[a] != cd->ver_a || st->version[b] != cd->ver_b) {
        return;
    }
    insn->aux = (uint16_t)(insn->aux == EMU_JIT_NE ? sc->aux
                                                   : invert_cond(sc->aux));
    insn->args[0] = a;
    insn->args[1] = b;
}

static void fold_insn(OptState *st, EmuJitInsn *insn)
{
    const EmuJitOpDef *def = emu_jit_op_def(insn->op);
    unsigned n_in = emu_jit_insn_n_in(insn);
    bool all_const = true;
    uint64_t x[4] = { 0 };

    for (unsigned k = 0; k < n_in; k++) {
        uint32_t *arg = &insn->args[def->n_out + k];
        *arg = resolve(st, *arg);
        if (k < 4) {
            all_const &= st->is_const[*arg];
            x[k] = st->val[*arg];
        }
    }
    if (insn->op == EMU_JIT_BRCOND && all_const) {
        bool taken = emu_jit_cond_true(insn->aux, x[0], x[1]);
        int64_t label = insn->imm;
        memset(insn, 0, sizeof(*insn));
        insn->op = taken ? EMU_JIT_BR : EMU_JIT_NOP;
        insn->imm = taken ? label : 0;
        return;
    }
    if ((def->flags & EMU_JIT_F_FOLD) && all_const) {
        make_movi(insn, emu_jit_eval(insn->op, insn->aux, x[0], x[1], x[2],
                                     x[3]));
    } else if (def->flags & EMU_JIT_F_FOLD) {
        simplify(st, insn);
    }
}

static unsigned bits_of(uint64_t v)
{
    return v ? 64 - (unsigned)__builtin_clzll(v) : 0;
}

/* How many low bits the result of insn can have set (64: any). */
static uint8_t result_bits(const OptState *st, const EmuJitInsn *insn)
{
    const uint32_t *a = insn->args;
    switch (insn->op) {
    case EMU_JIT_MOVI: return (uint8_t)bits_of((uint64_t)insn->imm);
    case EMU_JIT_MOV: return st->zbits[a[1]];
    case EMU_JIT_EXT8U: return 8;
    case EMU_JIT_EXT16U: return 16;
    case EMU_JIT_EXT32U: return 32;
    case EMU_JIT_SETCOND: return 1;
    case EMU_JIT_LD: case EMU_JIT_LD_ENV:
        return (insn->aux & (EMU_MO_SIGN | EMU_MO_BE)) ? 64
               : (uint8_t)(8u << (insn->aux & EMU_MO_SIZE));
    case EMU_JIT_AND:
        return (uint8_t)MIN(st->zbits[a[1]], st->zbits[a[2]]);
    default: return 64;
    }
}

static void record_outputs(OptState *st, EmuJitInsn *insn)
{
    const EmuJitOpDef *def = emu_jit_op_def(insn->op);
    if (!def->n_out) {
        return;
    }
    uint32_t d = insn->args[0];
    uint8_t zbits = result_bits(st, insn);
    written(st, d);
    st->zbits[d] = zbits;
    if (insn->op == EMU_JIT_MOVI) {
        st->is_const[d] = true;
        st->val[d] = (uint64_t)insn->imm;
    } else if (insn->op == EMU_JIT_MOV) {
        uint32_t s = insn->args[1];
        if (st->is_const[s]) {
            make_movi(insn, st->val[s]);
            st->is_const[d] = true;
            st->val[d] = st->val[s];
        } else if (s != d) {
            st->copy_of[d] = s;
            st->copy_ver[d] = st->version[s];
        }
    }
}

static void env_effects(OptState *st, EmuJitInsn *insn)
{
    switch (insn->op) {
    case EMU_JIT_LD_ENV: {
        uint32_t src;
        bool low32;
        if (!env_lookup(st, insn->imm, &src, &low32)) {
            break;
        }
        if ((insn->aux & 7) == EMU_MO_64 && !low32) {
            make_mov(insn, src);
        } else if ((insn->aux & 7) == EMU_MO_32) {
            forward_ld_env32(st, insn, src, low32);
        }
        break;
    }
    case EMU_JIT_ST_ENV:
        env_forget_overlap(st, insn->imm, 1u << (insn->aux & EMU_MO_SIZE));
        if ((insn->aux & EMU_MO_SIZE) == EMU_MO_64) {
            env_remember(st, insn->imm, insn->args[0], false);
        }
        break;
    case EMU_JIT_CALL:
        if (!(insn->aux & (EMU_JIT_CALL_PURE | EMU_JIT_CALL_NO_ENV_WRITE))) {
            st->n_env = 0;
        }
        break;
    default:
        break;
    }
}

static void forward_pass(EmuJitCtx *ctx)
{
    unsigned n = ctx->n_temps;
    OptState st = {
        .is_const = g_new0(bool, n), .val = g_new0(uint64_t, n),
        .copy_of = g_new(uint32_t, n), .copy_ver = g_new0(uint32_t, n),
        .version = g_new0(uint32_t, n), .cond_def = g_new0(CondDef, n),
        .zbits = g_new(uint8_t, n),
    };
    forget_all(&st, n);
    for (unsigned i = 0; i < ctx->n_insns; i++) {
        EmuJitInsn *insn = &ctx->insns[i];
        if (insn->op == EMU_JIT_LABEL) {
            forget_all(&st, n);
            continue;
        }
        fold_insn(&st, insn);
        if (insn->op == EMU_JIT_BRCOND) {
            fuse_brcond(&st, ctx, insn);
        }
        env_effects(&st, insn);
        /* a load after ld_env forwarding became a MOV: resolve it again */
        if (insn->op == EMU_JIT_MOV) {
            insn->args[1] = resolve(&st, insn->args[1]);
        }
        record_outputs(&st, insn);
        if (insn->op == EMU_JIT_SETCOND && insn->args[0] != insn->args[1] &&
            insn->args[0] != insn->args[2]) {
            st.cond_def[insn->args[0]] = (CondDef){
                i + 1, st.version[insn->args[1]], st.version[insn->args[2]] };
        }
        if (insn->op == EMU_JIT_LD_ENV && ((insn->aux & 7) == EMU_MO_64 ||
                                           (insn->aux & 7) == EMU_MO_32)) {
            env_remember(&st, insn->imm, insn->args[0],
                         (insn->aux & 7) == EMU_MO_32);
        }
    }
    g_free(st.is_const); g_free(st.val); g_free(st.copy_of);
    g_free(st.copy_ver); g_free(st.version); g_free(st.cond_def);
    g_free(st.zbits);
}

static bool removable(const EmuJitInsn *insn)
{
    const EmuJitOpDef *def = emu_jit_op_def(insn->op);
    if (insn->op == EMU_JIT_CALL) {
        return insn->aux & EMU_JIT_CALL_PURE;
    }
    return def->n_out && !(def->flags & EMU_JIT_F_SIDE);
}

/* Backward liveness; branches make every temp read anywhere live, so an
 * instruction only read by one removed here stays until the next round.
 * Returns whether it removed anything. */
static bool dead_code_round(EmuJitCtx *ctx)
{
    bool removed = false;
    unsigned n = ctx->n_temps;
    bool *used_anywhere = g_new0(bool, n);
    bool *live = g_new0(bool, n);

    for (unsigned i = 0; i < ctx->n_insns; i++) {
        const EmuJitInsn *insn = &ctx->insns[i];
        unsigned out = emu_jit_op_def(insn->op)->n_out;
        unsigned n_in = emu_jit_insn_n_in(insn);
        for (unsigned k = 0; k < n_in; k++) {
            used_anywhere[insn->args[out + k]] = true;
        }
    }
    for (unsigned i = ctx->n_insns; i-- > 0;) {
        EmuJitInsn *insn = &ctx->insns[i];
        const EmuJitOpDef *def = emu_jit_op_def(insn->op);
        if (insn->op == EMU_JIT_EXIT_TB) {
            memset(live, 0, n * sizeof(bool));
        } else if (insn->op == EMU_JIT_BR || insn->op == EMU_JIT_BRCOND) {
            for (unsigned t = 0; t < n; t++) {
                live[t] |= used_anywhere[t];
            }
        }
        if (def->n_out && removable(insn) && !live[insn->args[0]]) {
            memset(insn, 0, sizeof(*insn));
            removed = true;
            continue;
        }
        if (def->n_out) {
            live[insn->args[0]] = false;
        }
        unsigned n_in = emu_jit_insn_n_in(insn);
        for (unsigned k = 0; k < n_in; k++) {
            live[insn->args[def->n_out + k]] = true;
        }
    }
    g_free(used_anywhere);
    g_free(live);
    return removed;
}

static void dead_code_pass(EmuJitCtx *ctx)
{
    for (unsigned round = 0; round < 8 && dead_code_round(ctx); round++) {
    }
}

typedef struct PendingStore {
    int64_t off;
    unsigned size;
} PendingStore;

#define PENDING_MAX 64

static bool is_env_barrier(const EmuJitInsn *insn)
{
    switch (insn->op) {
    case EMU_JIT_CALL: case EMU_JIT_LD: case EMU_JIT_ST: case EMU_JIT_BR:
    case EMU_JIT_BRCOND: case EMU_JIT_LABEL: case EMU_JIT_EXIT_TB:
    case EMU_JIT_GOTO_TB: case EMU_JIT_LOOKUP_TB:
        return true;
    default:
        return false;
    }
}

static void dead_store_pass(EmuJitCtx *ctx)
{
    PendingStore pend[PENDING_MAX];
    unsigned n = 0;
    for (unsigned i = ctx->n_insns; i-- > 0;) {
        EmuJitInsn *insn = &ctx->insns[i];
        if (is_env_barrier(insn)) {
            n = 0;
        } else if (insn->op == EMU_JIT_LD_ENV) {
            unsigned size = 1u << (insn->aux & EMU_MO_SIZE);
            for (unsigned k = 0; k < n;) {
                if (pend[k].off < insn->imm + (int64_t)size &&
                    insn->imm < pend[k].off + (int64_t)pend[k].size) {
                    pend[k] = pend[--n];
                } else {
                    k++;
                }
            }
        } else if (insn->op == EMU_JIT_ST_ENV) {
            unsigned size = 1u << (insn->aux & EMU_MO_SIZE);
            bool dead = false;
            for (unsigned k = 0; k < n; k++) {
                if (pend[k].off == insn->imm && pend[k].size >= size) {
                    dead = true;
                }
            }
            if (dead) {
                memset(insn, 0, sizeof(*insn));
            } else if (n < PENDING_MAX) {
                pend[n++] = (PendingStore){ insn->imm, size };
            }
        }
    }
}

static void compact(EmuJitCtx *ctx)
{
    unsigned j = 0;
    for (unsigned i = 0; i < ctx->n_insns; i++) {
        if (ctx->insns[i].op != EMU_JIT_NOP) {
            ctx->insns[j++] = ctx->insns[i];
        }
    }
    ctx->n_insns = j;
}

void emu_jit_optimize(EmuJitCtx *ctx)
{
    forward_pass(ctx);
    dead_store_pass(ctx);
    dead_code_pass(ctx);
    compact(ctx);
}
