/*
 * The IR: op table as data, the builder CPU plugins call, pure-op
 * evaluation (shared by constant folding and the interpreter) and the
 * "-d op" dump.  Everything here is driven by EMU_JIT_OPS in emu/jit.h.
 */
#include "config.h"
#include "jit-internal.h"
#include <string.h>

EMU_API const EmuJitOpDef emu_jit_op_defs[EMU_JIT_OP_COUNT] = {
#define EMU_JIT_OP_DEF(nm, o, i, f) \
    [EMU_JIT_##nm] = { .name = #nm, .n_out = (o), .n_in = (i), .flags = (f) },
    EMU_JIT_OPS(EMU_JIT_OP_DEF)
#undef EMU_JIT_OP_DEF
};

const EmuJitOpDef *emu_jit_op_def(unsigned op)
{
    g_assert(op < EMU_JIT_OP_COUNT);
    return &emu_jit_op_defs[op];
}

unsigned emu_jit_insn_n_in(const EmuJitInsn *insn)
{
    const EmuJitOpDef *def = emu_jit_op_def(insn->op);
    if (def->flags & EMU_JIT_F_VARARGS) {
        return insn->aux & EMU_JIT_CALL_NARGS_MASK;
    }
    return def->n_in;
}

EMU_API EmuJitCtx *emu_jit_ctx_new(void)
{
    EmuJitCtx *ctx = g_new0(EmuJitCtx, 1);
    ctx->n_temps = 1;           /* temp 0 is env */
    return ctx;
}

EMU_API void emu_jit_ctx_free(EmuJitCtx *ctx)
{
    if (ctx) {
        g_free(ctx->insns);
        g_free(ctx);
    }
}

EMU_API EmuJitTemp emu_jit_temp_new(EmuJitCtx *ctx)
{
    return ctx->n_temps++;
}

EMU_API EmuJitLabel emu_jit_label_new(EmuJitCtx *ctx)
{
    return ctx->n_labels++;
}

EMU_API unsigned emu_jit_insn_count(const EmuJitCtx *ctx)
{
    return ctx->n_insns;
}

EMU_API void emu_jit_emit(EmuJitCtx *ctx, EmuJitOp op, unsigned aux,
                          int64_t imm, unsigned n, const EmuJitTemp *args)
{
    g_assert((unsigned)op < EMU_JIT_OP_COUNT && n <= EMU_JIT_MAX_ARGS);
    if (ctx->n_insns == ctx->cap) {
        ctx->cap = ctx->cap ? ctx->cap * 2 : 256;
        ctx->insns = g_renew(EmuJitInsn, ctx->insns, ctx->cap);
    }
    EmuJitInsn *insn = &ctx->insns[ctx->n_insns++];
    memset(insn, 0, sizeof(*insn));
    insn->op = op;
    insn->aux = aux;
    insn->imm = imm;
    for (unsigned i = 0; i < n; i++) {
        g_assert(args[i] < ctx->n_temps);
        insn->args[i] = args[i];
    }
}

bool emu_jit_cond_true(unsigned cond, uint64_t a, uint64_t b)
{
    switch (cond) {
    case EMU_JIT_NEVER: return false;
    case EMU_JIT_ALWAYS: return true;
    case EMU_JIT_EQ: return a == b;
    case EMU_JIT_NE: return a != b;
    case EMU_JIT_LT: return (int64_t)a < (int64_t)b;
    case EMU_JIT_GE: return (int64_t)a >= (int64_t)b;
    case EMU_JIT_LE: return (int64_t)a <= (int64_t)b;
    case EMU_JIT_GT: return (int64_t)a > (int64_t)b;
    case EMU_JIT_LTU: return a < b;
    case EMU_JIT_GEU: return a >= b;
    case EMU_JIT_LEU: return a <= b;
    case EMU_JIT_GTU: return a > b;
    case EMU_JIT_TSTEQ: return (a & b) == 0;
    case EMU_JIT_TSTNE: return (a & b) != 0;
    }
    g_assert_not_reached();
}

static uint64_t rotl64(uint64_t v, unsigned n)
{
    n &= 63;
    return n ? (v << n) | (v >> (64 - n)) : v;
}

static double f64_of(uint64_t v)
{
    double d;
    memcpy(&d, &v, 8);
    return d;
}

static float f32_of(uint64_t v)
{
    uint32_t w = (uint32_t)v;
    float f;
    memcpy(&f, &w, 4);
    return f;
}

static uint64_t bits_of_f64(double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    return v;
}

static uint64_t bits_of_f32(float f)
{
    uint32_t w;
    memcpy(&w, &f, 4);
    return w;
}

/* x86-64: the host's instructions themselves, first operand first (the
 * compiler could swap the operands of a commutative C "+", and the first
 * of two NaN operands is the one the result keeps). */
#if defined(__x86_64__)
#define FP_OP(insn, x, y) __asm__ volatile(insn " %1, %0" : "+x"(x) : "x"(y))
#else
#define FP_OP(insn, x, y) \
    ((x) = insn[0] == 'a' ? (x) + (y) : insn[0] == 's' ? (x) - (y) : \
           insn[0] == 'm' ? (x) * (y) : (x) / (y))
#endif

/* Conversions and comparisons, on x86-64 with the instructions an x86
 * guest uses (the C casts of out-of-range values are undefined). */
static uint64_t eval_fp_convert(unsigned op, uint64_t a, uint64_t b)
{
    double x = f64_of(a), y = f64_of(b);
#if defined(__x86_64__)
    uint8_t lt = 0, eq = 0;
    uint32_t w = 0;
    switch (op) {
    case EMU_JIT_I64TOF64:
        __asm__ volatile("cvtsi2sdq %1, %0" : "=x"(x) : "r"(a));
        return bits_of_f64(x);
    case EMU_JIT_F64TOI64T:
        __asm__ volatile("cvttsd2siq %1, %0" : "=r"(a) : "x"(x));
        return a;
    case EMU_JIT_F64TOI32T:
        __asm__ volatile("cvttsd2si %1, %0" : "=r"(w) : "x"(x));
        return w;
    case EMU_JIT_FCMP64:
        __asm__ volatile("ucomisd %3, %2; setb %0; sete %1"
                         : "=q"(lt), "=q"(eq) : "x"(x), "x"(y) : "cc");
        return (uint64_t)(eq * 2 + lt);
    case EMU_JIT_FCMPS64:
        __asm__ volatile("comisd %3, %2; setb %0; sete %1"
                         : "=q"(lt), "=q"(eq) : "x"(x), "x"(y) : "cc");
        return (uint64_t)(eq * 2 + lt);
    }
#else
    switch (op) {
    case EMU_JIT_I64TOF64: return bits_of_f64((double)(int64_t)a);
    case EMU_JIT_F64TOI64T:
        return x >= -0x1p63 && x < 0x1p63 ? (uint64_t)(int64_t)x : 1ull << 63;
    case EMU_JIT_F64TOI32T:
        return x > -0x1p31 - 1 && x < 0x1p31 ? (uint32_t)(int32_t)x : 1u << 31;
    case EMU_JIT_FCMP64: case EMU_JIT_FCMPS64:
        return x > y ? 0 : x < y ? 1 : x == y ? 2 : 3;
    }
#endif
    g_assert_not_reached();
}

uint64_t emu_jit_eval_fp(unsigned op, uint64_t a, uint64_t b)
{
    double x = f64_of(a), y = f64_of(b);
    float p = f32_of(a), q = f32_of(b);
    switch (op) {
    case EMU_JIT_FADD64: FP_OP("addsd", x, y); return bits_of_f64(x);
    case EMU_JIT_FSUB64: FP_OP("subsd", x, y); return bits_of_f64(x);
    case EMU_JIT_FMUL64: FP_OP("mulsd", x, y); return bits_of_f64(x);
    case EMU_JIT_FDIV64: FP_OP("divsd", x, y); return bits_of_f64(x);
    case EMU_JIT_FADD32: FP_OP("addss", p, q); return bits_of_f32(p);
    case EMU_JIT_FSUB32: FP_OP("subss", p, q); return bits_of_f32(p);
    case EMU_JIT_FMUL32: FP_OP("mulss", p, q); return bits_of_f32(p);
    case EMU_JIT_FDIV32: FP_OP("divss", p, q); return bits_of_f32(p);
    default: return eval_fp_convert(op, a, b);
    }
}

uint64_t emu_jit_eval(unsigned op, unsigned aux, uint64_t a, uint64_t b,
                      uint64_t c, uint64_t d)
{
    switch (op) {
    case EMU_JIT_MOV: return a;
    case EMU_JIT_ADD: return a + b;
    case EMU_JIT_SUB: return a - b;
    case EMU_JIT_MUL: return a * b;
    case EMU_JIT_MULUH:
        return (uint64_t)(((unsigned __int128)a * b) >> 64);
    case EMU_JIT_MULSH:
        return (uint64_t)(((__int128)(int64_t)a * (int64_t)b) >> 64);
    case EMU_JIT_DIVU: return a / b;
    case EMU_JIT_REMU: return a % b;
    case EMU_JIT_DIVS: return (uint64_t)((int64_t)a / (int64_t)b);
    case EMU_JIT_REMS: return (uint64_t)((int64_t)a % (int64_t)b);
    case EMU_JIT_AND: return a & b;
    case EMU_JIT_OR: return a | b;
    case EMU_JIT_XOR: return a ^ b;
    case EMU_JIT_SHL: return a << (b & 63);
    case EMU_JIT_SHR: return a >> (b & 63);
    case EMU_JIT_SAR: return (uint64_t)((int64_t)a >> (b & 63));
    case EMU_JIT_ROTL: return rotl64(a, b & 63);
    case EMU_JIT_ROTR: return rotl64(a, (64 - (b & 63)) & 63);
    case EMU_JIT_NEG: return -a;
    case EMU_JIT_NOT: return ~a;
    case EMU_JIT_EXT8S: return (uint64_t)(int64_t)(int8_t)a;
    case EMU_JIT_EXT8U: return (uint8_t)a;
    case EMU_JIT_EXT16S: return (uint64_t)(int64_t)(int16_t)a;
    case EMU_JIT_EXT16U: return (uint16_t)a;
    case EMU_JIT_EXT32S: return (uint64_t)(int64_t)(int32_t)a;
    case EMU_JIT_EXT32U: return (uint32_t)a;
    case EMU_JIT_BSWAP16: return __builtin_bswap16((uint16_t)a);
    case EMU_JIT_BSWAP32: return __builtin_bswap32((uint32_t)a);
    case EMU_JIT_BSWAP64: return __builtin_bswap64(a);
    case EMU_JIT_CLZ: return a ? (uint64_t)__builtin_clzll(a) : b;
    case EMU_JIT_CTZ: return a ? (uint64_t)__builtin_ctzll(a) : b;
    case EMU_JIT_POPCNT: return (uint64_t)__builtin_popcountll(a);
    case EMU_JIT_SETCOND: return emu_jit_cond_true(aux, a, b);
    case EMU_JIT_MOVCOND: return emu_jit_cond_true(aux, a, b) ? c : d;
    }
    g_assert_not_reached();
}

uint32_t *emu_jit_label_positions(const EmuJitInsn *insns, unsigned n,
                                  unsigned n_labels)
{
    uint32_t *pos = g_new0(uint32_t, n_labels ? n_labels : 1);
    for (unsigned i = 0; i < n; i++) {
        if (insns[i].op == EMU_JIT_LABEL) {
            pos[insns[i].imm] = i;
        }
    }
    return pos;
}

static const char *const cond_names[] = {
    "never", "always", "eq", "ne", "lt", "ge", "le", "gt",
    "ltu", "geu", "leu", "gtu", "tsteq", "tstne",
};

static void dump_temp(GString *s, uint32_t t)
{
    if (t == EMU_JIT_ENV) {
        g_string_append(s, "env");
    } else {
        g_string_append_printf(s, "t%u", t);
    }
}

static void dump_memop(GString *s, unsigned mo)
{
    g_string_append_printf(s, ",%s%u%s", (mo & EMU_MO_SIGN) ? "s" : "u",
                           8u << (mo & EMU_MO_SIZE),
                           (mo & EMU_MO_BE) ? "be" : "");
}

static void dump_insn(GString *s, const EmuJitInsn *insn)
{
    const EmuJitOpDef *def = emu_jit_op_def(insn->op);
    unsigned n = def->n_out + emu_jit_insn_n_in(insn);

    if (insn->op == EMU_JIT_INSN_START) {
        g_string_append_printf(s, " ---- %016" G_GINT64_MODIFIER "x\n",
                               (uint64_t)insn->imm);
        return;
    }
    if (insn->op == EMU_JIT_LABEL) {
        g_string_append_printf(s, " L%" G_GINT64_FORMAT ":\n", insn->imm);
        return;
    }
    g_string_append_printf(s, " %-10s", def->name);
    for (unsigned i = 0; i < n; i++) {
        g_string_append(s, i ? "," : "");
        dump_temp(s, insn->args[i]);
    }
    switch (insn->op) {
    case EMU_JIT_MOVI:
        g_string_append_printf(s, ",$0x%" G_GINT64_MODIFIER "x",
                               (uint64_t)insn->imm);
        break;
    case EMU_JIT_SETCOND:
    case EMU_JIT_MOVCOND:
        g_string_append_printf(s, ",%s", cond_names[insn->aux]);
        break;
    case EMU_JIT_BRCOND:
        g_string_append_printf(s, ",%s,L%" G_GINT64_FORMAT,
                               cond_names[insn->aux], insn->imm);
        break;
    case EMU_JIT_BR:
        g_string_append_printf(s, "L%" G_GINT64_FORMAT, insn->imm);
        break;
    case EMU_JIT_LD_ENV:
    case EMU_JIT_ST_ENV:
        g_string_append_printf(s, ",$%" G_GINT64_FORMAT, insn->imm);
        dump_memop(s, insn->aux);
        break;
    case EMU_JIT_LD:
    case EMU_JIT_ST:
        dump_memop(s, insn->aux);
        break;
    case EMU_JIT_CALL:
        g_string_append_printf(s, ",$%p", (void *)(intptr_t)insn->imm);
        break;
    case EMU_JIT_GOTO_TB:
    case EMU_JIT_EXIT_TB:
        g_string_append_printf(s, "$%" G_GINT64_FORMAT, insn->imm);
        break;
    default:
        break;
    }
    g_string_append_c(s, '\n');
}

char *emu_jit_dump(const EmuJitInsn *insns, unsigned n)
{
    GString *s = g_string_new(NULL);
    for (unsigned i = 0; i < n; i++) {
        if (insns[i].op != EMU_JIT_NOP) {
            dump_insn(s, &insns[i]);
        }
    }
    return g_string_free(s, FALSE);
}

EMU_API char *emu_jit_ctx_dump(const EmuJitCtx *ctx)
{
    return emu_jit_dump(ctx->insns, ctx->n_insns);
}

EMU_API void emu_jit_ctx_optimize(EmuJitCtx *ctx)
{
    emu_jit_optimize(ctx);
}

EMU_API int64_t emu_jit_ctx_interpret(EmuJitCtx *ctx, void *env)
{
    uint32_t *pos = emu_jit_label_positions(ctx->insns, ctx->n_insns,
                                            ctx->n_labels);
    int64_t ret = emu_jit_interp(ctx->insns, pos, ctx->n_temps, env,
                                 emu_jit_opts.guest_base, NULL);
    g_free(pos);
    return ret;
}
