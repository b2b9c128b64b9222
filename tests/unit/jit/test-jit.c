/*
 * Unit tests of the JIT IR (core/jit): the op table, the builder, the
 * interpreter's arithmetic, and the optimizer checked two ways: on chosen
 * programs (it must fold, forward and delete what it should) and on
 * thousands of random programs (optimized and unoptimized IR must leave
 * identical state).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sys/mman.h>
#include <emu/jit.h>

typedef struct Env {
    uint64_t slot[16];
} Env;

#define SLOT(i) offsetof(Env, slot[i])

static void test_op_table(void **state)
{
    (void)state;
    for (unsigned op = 0; op < EMU_JIT_OP_COUNT; op++) {
        const EmuJitOpDef *def = &emu_jit_op_defs[op];
        assert_non_null(def->name);
        assert_true(def->n_out <= 1);
        assert_true(def->n_out + def->n_in <= EMU_JIT_MAX_ARGS);
    }
    assert_string_equal(emu_jit_op_defs[EMU_JIT_ADD].name, "ADD");
}

static uint64_t run(EmuJitCtx *ctx, Env *env, bool optimize)
{
    if (optimize) {
        emu_jit_ctx_optimize(ctx);
    }
    return (uint64_t)emu_jit_ctx_interpret(ctx, env);
}

static void test_arith(void **state)
{
    (void)state;
    EmuJitCtx *c = emu_jit_ctx_new();
    EmuJitTemp a = emu_jit_temp_new(c), b = emu_jit_temp_new(c);
    EmuJitTemp r = emu_jit_temp_new(c);
    emu_jit_ld_env(c, a, SLOT(0), EMU_MO_64);
    emu_jit_ld_env(c, b, SLOT(1), EMU_MO_64);
    emu_jit_op2(c, EMU_JIT_MULUH, r, a, b);
    emu_jit_st_env(c, r, SLOT(2), EMU_MO_64);
    emu_jit_op2(c, EMU_JIT_ROTL, r, a, b);
    emu_jit_st_env(c, r, SLOT(3), EMU_MO_64);
    emu_jit_op1(c, EMU_JIT_EXT8S, r, a);
    emu_jit_st_env(c, r, SLOT(4), EMU_MO_32);
    emu_jit_setcond(c, EMU_JIT_LT, r, a, b);
    emu_jit_st_env(c, r, SLOT(5), EMU_MO_64);
    emu_jit_exit_tb(c, 7);
    Env env = { .slot = { 0xfedcba9876543281ull, 4 } };
    assert_int_equal(run(c, &env, false), 7);
    assert_true(env.slot[2] == 3);
    assert_true(env.slot[3] == 0xedcba9876543281full);
    assert_true(env.slot[4] == 0xffffff81ull);
    assert_true(env.slot[5] == 1);
    emu_jit_ctx_free(c);
}

static void test_folding(void **state)
{
    (void)state;
    EmuJitCtx *c = emu_jit_ctx_new();
    EmuJitTemp x = emu_jit_const(c, 6), y = emu_jit_const(c, 7);
    EmuJitTemp r = emu_jit_temp_new(c), unused = emu_jit_temp_new(c);
    emu_jit_op2(c, EMU_JIT_MUL, r, x, y);
    emu_jit_op2(c, EMU_JIT_ADD, unused, r, x);
    emu_jit_st_env(c, r, SLOT(0), EMU_MO_64);
    emu_jit_exit_tb(c, 0);
    emu_jit_ctx_optimize(c);
    char *text = emu_jit_ctx_dump(c);
    assert_non_null(strstr(text, "$0x2a"));
    assert_null(strstr(text, "MUL"));
    assert_null(strstr(text, "ADD"));
    g_free(text);
    Env env = { 0 };
    run(c, &env, false);
    assert_true(env.slot[0] == 42);
    emu_jit_ctx_free(c);
}

static void test_env_forwarding(void **state)
{
    (void)state;
    EmuJitCtx *c = emu_jit_ctx_new();
    EmuJitTemp v = emu_jit_temp_new(c), w = emu_jit_temp_new(c);
    emu_jit_ld_env(c, v, SLOT(0), EMU_MO_64);
    emu_jit_st_env(c, v, SLOT(1), EMU_MO_64);
    emu_jit_ld_env(c, w, SLOT(1), EMU_MO_64);      /* forwarded from v */
    emu_jit_op2(c, EMU_JIT_ADD, w, w, v);
    emu_jit_st_env(c, w, SLOT(2), EMU_MO_64);
    emu_jit_exit_tb(c, 0);
    emu_jit_ctx_optimize(c);
    char *text = emu_jit_ctx_dump(c);
    const char *first = strstr(text, "LD_ENV");
    assert_non_null(first);
    assert_null(strstr(first + 1, "LD_ENV"));
    g_free(text);
    Env env = { .slot = { 21 } };
    run(c, &env, false);
    assert_true(env.slot[1] == 21 && env.slot[2] == 42);
    emu_jit_ctx_free(c);
}

static EMU_JIT_HELPER(helper_add_slots)
{
    Env *e = env;
    e->slot[7] = e->slot[0] + a;
    return b * 2;
}

static void test_helper_call(void **state)
{
    (void)state;
    EmuJitCtx *c = emu_jit_ctx_new();
    EmuJitTemp v = emu_jit_temp_new(c), r = emu_jit_temp_new(c);
    EmuJitTemp args[2] = { emu_jit_const(c, 5), emu_jit_const(c, 50) };
    emu_jit_ld_env(c, v, SLOT(7), EMU_MO_64);
    emu_jit_st_env(c, v, SLOT(8), EMU_MO_64);
    emu_jit_call(c, helper_add_slots, 0, r, 2, args);
    emu_jit_ld_env(c, v, SLOT(7), EMU_MO_64);       /* must not be forwarded */
    emu_jit_st_env(c, v, SLOT(9), EMU_MO_64);
    emu_jit_st_env(c, r, SLOT(10), EMU_MO_64);
    emu_jit_exit_tb(c, 0);
    Env env = { .slot = { 100, [7] = 1 } };
    run(c, &env, true);
    assert_true(env.slot[8] == 1 && env.slot[9] == 105 && env.slot[10] == 100);
    emu_jit_ctx_free(c);
}

/* ---- random programs: optimized == unoptimized ---- */

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const EmuJitOp pure_ops[] = {
    EMU_JIT_ADD, EMU_JIT_SUB, EMU_JIT_MUL, EMU_JIT_MULUH, EMU_JIT_MULSH,
    EMU_JIT_AND, EMU_JIT_OR, EMU_JIT_XOR, EMU_JIT_SHL, EMU_JIT_SHR,
    EMU_JIT_SAR, EMU_JIT_ROTL, EMU_JIT_ROTR, EMU_JIT_CLZ, EMU_JIT_CTZ,
    EMU_JIT_SETCOND,
    /* host floating point: the same bits and host flags on every backend */
    EMU_JIT_FADD64, EMU_JIT_FSUB64, EMU_JIT_FMUL64, EMU_JIT_FDIV64,
    EMU_JIT_FADD32, EMU_JIT_FSUB32, EMU_JIT_FMUL32, EMU_JIT_FDIV32,
    EMU_JIT_FCMP64, EMU_JIT_FCMPS64,
};
static const EmuJitOp unary_ops[] = {
    EMU_JIT_NEG, EMU_JIT_NOT, EMU_JIT_EXT8S, EMU_JIT_EXT8U, EMU_JIT_EXT16S,
    EMU_JIT_EXT16U, EMU_JIT_EXT32S, EMU_JIT_EXT32U, EMU_JIT_BSWAP16,
    EMU_JIT_BSWAP32, EMU_JIT_BSWAP64, EMU_JIT_POPCNT, EMU_JIT_MOV,
    EMU_JIT_I64TOF64, EMU_JIT_F64TOI64T, EMU_JIT_F64TOI32T,
};

/* Guest memory of the random programs (guest base 0: host addresses),
 * one buffer per run so that both runs start from the same bytes; the
 * addresses stay in [mem + 1, mem + 255 + 8].  Below 4 GiB when the host
 * allows (MAP_32BIT), so that 32-bit addresses (EXT32U) reach it too. */
#define GUEST_MEM_SIZE (256 + 16)
static uint8_t *guest_mem[2];
static bool guest_mem_low;

/* d = [mem + 8 + (a & 0xf8) +/- k] or the store of d there: the address
 * arithmetic right before the access is what the backend folds into one
 * memory operand. */
static void random_access(EmuJitCtx *c, uint8_t *mem, EmuJitTemp d,
                          EmuJitTemp a)
{
    EmuJitTemp base = emu_jit_temp_new(c), off = emu_jit_temp_new(c);
    EmuJitTemp addr = emu_jit_temp_new(c), k = emu_jit_temp_new(c);
    emu_jit_movi(c, base, (int64_t)(uintptr_t)(mem + 8));
    emu_jit_movi(c, k, 0xf8);
    emu_jit_op2(c, EMU_JIT_AND, off, a, k);
    emu_jit_op2(c, EMU_JIT_ADD, addr, base, off);
    bool addr32 = guest_mem_low && next_rand() % 2;
    if (addr32) {               /* garbage above bit 31, dropped below */
        emu_jit_movi(c, k, (int64_t)(next_rand() << 32));
        emu_jit_op2(c, EMU_JIT_ADD, addr, addr, k);
    }
    if (next_rand() % 2) {
        emu_jit_movi(c, k, (int64_t)(next_rand() % 8));
        emu_jit_op2(c, next_rand() % 2 ? EMU_JIT_ADD : EMU_JIT_SUB, addr,
                    addr, k);
    }
    if (addr32) {
        emu_jit_op1(c, EMU_JIT_EXT32U, addr, addr);
        if (next_rand() % 2) {
            emu_jit_op1(c, EMU_JIT_EXT32U, addr, addr);
        }
    }
    EmuJitMemOp mo = (EmuJitMemOp)(next_rand() % 8);
    if (next_rand() % 2) {
        emu_jit_ld(c, d, addr, mo);
    } else {
        emu_jit_st(c, d, addr, (EmuJitMemOp)(mo & EMU_MO_SIZE));
    }
}

static void build_random_mem(EmuJitCtx *c, unsigned n, uint8_t *mem)
{
    EmuJitTemp t[8];
    for (int i = 0; i < 8; i++) {
        t[i] = emu_jit_temp_new(c);
        if (i < 4) {
            emu_jit_ld_env(c, t[i], SLOT(i), EMU_MO_64);
        } else {
            emu_jit_movi(c, t[i], (int64_t)(next_rand() % 5 ? next_rand() % 70
                                                           : next_rand()));
        }
    }
    EmuJitLabel skip = emu_jit_label_new(c);
    for (unsigned k = 0; k < n; k++) {
        EmuJitTemp d = t[next_rand() % 8], a = t[next_rand() % 8];
        EmuJitTemp b = t[next_rand() % 8];
        switch (next_rand() % (mem ? 7 : 6)) {
        case 6:
            random_access(c, mem, d, a);
            break;
        case 0: case 1: case 2: {
            EmuJitOp op = pure_ops[next_rand() % G_N_ELEMENTS(pure_ops)];
            if (op == EMU_JIT_SETCOND) {
                emu_jit_setcond(c, (EmuJitCond)(2 + next_rand() % 12), d, a, b);
            } else {
                emu_jit_op2(c, op, d, a, b);
            }
            break;
        }
        case 3:
            emu_jit_op1(c, unary_ops[next_rand() % G_N_ELEMENTS(unary_ops)], d, a);
            break;
        case 4:
            emu_jit_st_env(c, a, SLOT(4 + next_rand() % 4),
                           (EmuJitMemOp)(next_rand() % 4));
            break;
        default:
            emu_jit_ld_env(c, d, SLOT(4 + next_rand() % 4),
                           (EmuJitMemOp)(next_rand() % 8));
            break;
        }
        if (k == n / 2) {
            emu_jit_brcond(c, (EmuJitCond)(2 + next_rand() % 12), a, b, skip);
        }
    }
    emu_jit_label(c, skip);
    for (int i = 0; i < 8; i++) {
        emu_jit_st_env(c, t[i], SLOT(8 + i), EMU_MO_64);
    }
    emu_jit_exit_tb(c, 0);
}

static void build_random(EmuJitCtx *c, unsigned n)
{
    build_random_mem(c, n, NULL);
}

static void test_random_programs(void **state)
{
    (void)state;
    for (int prog = 0; prog < 3000; prog++) {
        uint64_t seed = rng;
        EmuJitCtx *plain = emu_jit_ctx_new();
        build_random(plain, 5 + prog % 40);
        rng = seed;
        EmuJitCtx *opt = emu_jit_ctx_new();
        build_random(opt, 5 + prog % 40);
        Env e1, e2;
        for (int i = 0; i < 16; i++) {
            e1.slot[i] = next_rand();
        }
        e2 = e1;
        run(plain, &e1, false);
        run(opt, &e2, true);
        if (memcmp(&e1, &e2, sizeof(e1)) != 0) {
            char *text = emu_jit_ctx_dump(plain);
            print_error("program %d differs after optimization:\n%s", prog, text);
            g_free(text);
            fail();
        }
        emu_jit_ctx_free(plain);
        emu_jit_ctx_free(opt);
    }
}

/* The x86-64 backend (register allocation, immediates, fused branches)
 * must compute what the interpreter computes, optimized or not. */
/* Returns the host's FP exception flags (x86-64: MXCSR's) and clears
 * them: the EMU_JIT_F_FP ops raise the same ones on every backend. */
static unsigned fp_flags_clear(void)
{
#if defined(__x86_64__)
    unsigned m = __builtin_ia32_stmxcsr();
    __builtin_ia32_ldmxcsr(m & ~0x3fu);
    return m & 0x3f;
#else
    return 0;
#endif
}

/* x86 keeps the first operand's payload when both are NaNs; the
 * interpreter must not let the compiler swap a commutative "+". */
static void test_fp_nan_order(void **state)
{
    (void)state;
    const uint64_t nan1 = 0x7ff8000000000001ull, nan2 = 0x7ff8000000000002ull;
    for (int native = 0; native < 2; native++) {
        EmuJitCtx *c = emu_jit_ctx_new();
        EmuJitTemp a = emu_jit_temp_new(c), b = emu_jit_temp_new(c);
        EmuJitTemp r = emu_jit_temp_new(c);
        emu_jit_ld_env(c, a, SLOT(0), EMU_MO_64);
        emu_jit_ld_env(c, b, SLOT(1), EMU_MO_64);
        emu_jit_op2(c, EMU_JIT_FADD64, r, a, b);
        emu_jit_st_env(c, r, SLOT(2), EMU_MO_64);
        emu_jit_op2(c, EMU_JIT_FMUL64, r, b, a);
        emu_jit_st_env(c, r, SLOT(3), EMU_MO_64);
        emu_jit_exit_tb(c, 0);
        Env e = { .slot = { nan1, nan2 } };
        int64_t ret = native ? emu_jit_ctx_run_native(c, &e, sizeof(e))
                             : (int64_t)run(c, &e, false);
        emu_jit_ctx_free(c);
        if (ret == -1) {
            continue;           /* no native backend on this host */
        }
        assert_int_equal(e.slot[2], nan1);
        assert_int_equal(e.slot[3], nan2);
    }
}

static void test_random_native(void **state)
{
    (void)state;
    for (int prog = 0; prog < 3000; prog++) {
        uint64_t seed = rng;
        EmuJitCtx *ref = emu_jit_ctx_new();
        build_random_mem(ref, 5 + prog % 60, guest_mem[0]);
        rng = seed;
        EmuJitCtx *nat = emu_jit_ctx_new();
        build_random_mem(nat, 5 + prog % 60, guest_mem[1]);
        for (size_t i = 0; i < GUEST_MEM_SIZE; i++) {
            guest_mem[0][i] = guest_mem[1][i] = (uint8_t)next_rand();
        }
        if (prog % 2) {
            emu_jit_ctx_optimize(nat);
        }
        Env e1, e2;
        for (int i = 0; i < 16; i++) {
            e1.slot[i] = next_rand();
        }
        e2 = e1;
        fp_flags_clear();
        int64_t r1 = run(ref, &e1, false);
        unsigned f1 = fp_flags_clear();
        int64_t r2 = emu_jit_ctx_run_native(nat, &e2, sizeof(e2));
        unsigned f2 = fp_flags_clear();
        if (r2 == -1) {
            skip();             /* no native backend on this host */
        }
        if (r1 != r2 || f1 != f2 || memcmp(&e1, &e2, sizeof(e1)) != 0 ||
            memcmp(guest_mem[0], guest_mem[1], GUEST_MEM_SIZE) != 0) {
            char *text = emu_jit_ctx_dump(nat);
            print_error("program %d differs in native code:\n%s", prog, text);
            g_free(text);
            fail();
        }
        emu_jit_ctx_free(ref);
        emu_jit_ctx_free(nat);
    }
}

int main(void)
{
    void *low = MAP_FAILED;
#ifdef MAP_32BIT
    low = mmap(NULL, 2 * GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
#endif
    guest_mem_low = low != MAP_FAILED;
    guest_mem[0] = guest_mem_low ? low : g_malloc(2 * GUEST_MEM_SIZE);
    guest_mem[1] = guest_mem[0] + GUEST_MEM_SIZE;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_op_table),
        cmocka_unit_test(test_arith),
        cmocka_unit_test(test_folding),
        cmocka_unit_test(test_env_forwarding),
        cmocka_unit_test(test_helper_call),
        cmocka_unit_test(test_random_programs),
        cmocka_unit_test(test_random_native),
        cmocka_unit_test(test_fp_nan_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
