/*
 * test-x80-fast.c - the fast paths of fpu/x80-fast.h against the general
 * soft-float library: wherever a fast function handles its operands, its
 * result bits, flags and C1 must be those of the library (itself checked
 * against a real x87 by test-x87).  Portable: no host x87 involved.
 * Operands are biased towards what breaks a shortcut: exponents at the
 * ends of the normal range, near each other (cancellation), mantissas
 * with long runs of ones (carries out of rounding) and exact ties.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "softfloat-x80.h"
#include "x80-fast.h"

#ifdef X80_HAVE_FAST

#define CASES 200000

#include "../../guest/xorshift.h"

static uint64_t gen_mant(void)
{
    switch (rnd() % 6) {
    case 0: return ~0ull << (rnd() % 64);               /* ones, then zeros */
    case 1: return (1ull << 63) | (rnd() % 4);          /* near a power of 2 */
    case 2: return ~0ull >> (rnd() % 3);                /* all ones */
    case 3: return (1ull << 63) | (rnd() << (rnd() % 64));
    default: return rnd() | (rnd() % 16 ? 1ull << 63 : 0);
    }
}

static unsigned gen_exp(unsigned near)
{
    switch (rnd() % 8) {
    case 0: return (unsigned)(rnd() % 80);                      /* tiny */
    case 1: return 0x7fff - (unsigned)(rnd() % 80);             /* huge */
    case 2: return (unsigned)(rnd() % 0x8000);
    case 3: return 0x3fff - 200 + (unsigned)(rnd() % 400);     /* float/double range ends */
    case 4: return rnd() % 2 ? 1 + (unsigned)(rnd() % 3) : 0x7ffe - (unsigned)(rnd() % 3);
    default: return (near + (unsigned)(rnd() % 140) - 70) & 0x7fff;
    }
}

static FloatX80 gen_x80(unsigned near)
{
    FloatX80 f;
    f.mant = rnd() % 20 ? gen_mant() : 0;
    f.sign_exp = (uint16_t)((rnd() % 2 ? 0x8000 : 0) |
                            (f.mant ? gen_exp(near) : (rnd() % 8 ? 0 : gen_exp(near))));
    return f;
}

/* An IEEE bit pattern whose rounded value often lands at the ends of
 * the destination's normal range. */
static FloatX80 gen_for_store(int32_t bias)
{
    FloatX80 f = gen_x80(0x3fff);
    if (rnd() % 2) {
        int32_t lim = rnd() % 2 ? bias : 1 - bias;      /* max or min exponent */
        f.sign_exp = (uint16_t)((f.sign_exp & 0x8000) |
                                ((0x3fff + lim + (int32_t)(rnd() % 5) - 2) & 0x7fff));
    }
    return f;
}

static X80Status nearest64(void)
{
    X80Status st;
    x80_status_from_cw(&st, 0x37f);
    st.flags = 0;
    st.c1 = false;
    return st;
}

static void check_same(const char *what, FloatX80 a, FloatX80 b, FloatX80 fast,
                       const X80Status *fs, FloatX80 lib, const X80Status *ls)
{
    if (fast.mant != lib.mant || fast.sign_exp != lib.sign_exp ||
        fs->flags != ls->flags || fs->c1 != ls->c1) {
        fail_msg("%s %04x:%016llx, %04x:%016llx: fast %04x:%016llx flags %02x c1 %d,"
                 " library %04x:%016llx flags %02x c1 %d", what,
                 a.sign_exp, (unsigned long long)a.mant, b.sign_exp,
                 (unsigned long long)b.mant, fast.sign_exp, (unsigned long long)fast.mant,
                 fs->flags, fs->c1, lib.sign_exp, (unsigned long long)lib.mant,
                 ls->flags, ls->c1);
    }
}

static void test_binops(void **state)
{
    (void)state;
    unsigned handled = 0;
    for (unsigned i = 0; i < CASES; i++) {
        FloatX80 a = gen_x80(0x3fff);
        FloatX80 b = gen_x80(a.sign_exp & 0x7fff);
        for (int op = 0; op < 3; op++) {
            X80Status fs = nearest64(), ls = nearest64();
            FloatX80 fast, lib;
            bool ok = op == 2 ? x80_fast_mul(a, b, &fast, &fs)
                              : x80_fast_add(a, b, op == 1, &fast, &fs);
            if (!ok) {
                assert_int_equal(fs.flags, 0);
                continue;
            }
            handled++;
            lib = op == 2 ? x80_mul(a, b, &ls) : op == 1 ? x80_sub(a, b, &ls)
                                                         : x80_add(a, b, &ls);
            check_same(op == 2 ? "mul" : op == 1 ? "sub" : "add", a, b, fast, &fs, lib, &ls);
        }
    }
    print_message("binops: %u of %u handled by the fast path\n", handled, 3 * CASES);
    assert_true(handled > CASES);
}

static void test_loads(void **state)
{
    (void)state;
    unsigned handled = 0;
    for (unsigned i = 0; i < CASES; i++) {
        uint64_t d = rnd();
        if (rnd() % 4 == 0) {
            d &= 0x800fffffffffffffull;                  /* zero or denormal */
            d |= rnd() % 2 ? 0x7ff0000000000000ull : 0;  /* or inf/NaN */
        }
        uint32_t f = (uint32_t)d;
        FloatX80 fast, lib;
        X80Status fs = nearest64(), ls = nearest64();
        if (x80_fast_from_f64(d, &fast, &fs)) {
            handled++;
            lib = x80_from_f64(d, &ls);
            check_same("fld m64", lib, lib, fast, &fs, lib, &ls);
        }
        fs = nearest64();
        ls = nearest64();
        if (x80_fast_from_f32(f, &fast, &fs)) {
            handled++;
            lib = x80_from_f32(f, &ls);
            check_same("fld m32", lib, lib, fast, &fs, lib, &ls);
        }
    }
    assert_true(handled > CASES);
}

static void test_stores(void **state)
{
    (void)state;
    unsigned handled = 0;
    for (unsigned i = 0; i < CASES; i++) {
        for (int dbl = 0; dbl < 2; dbl++) {
            FloatX80 a = gen_for_store(dbl ? 1023 : 127);
            X80Status fs = nearest64(), ls = nearest64();
            uint64_t fast, lib;
            bool ok = dbl ? x80_fast_to_ieee(a, 52, 1023, &fast, &fs)
                          : x80_fast_to_ieee(a, 23, 127, &fast, &fs);
            if (!ok) {
                continue;
            }
            handled++;
            lib = dbl ? x80_to_f64(a, &ls) : x80_to_f32(a, &ls);
            if (fast != lib || fs.flags != ls.flags || fs.c1 != ls.c1) {
                fail_msg("fst m%d %04x:%016llx: fast %llx flags %02x c1 %d,"
                         " library %llx flags %02x c1 %d", dbl ? 64 : 32, a.sign_exp,
                         (unsigned long long)a.mant, (unsigned long long)fast, fs.flags,
                         fs.c1, (unsigned long long)lib, ls.flags, ls.c1);
            }
        }
    }
    assert_true(handled > CASES / 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binops),
        cmocka_unit_test(test_loads),
        cmocka_unit_test(test_stores),
    };
    return cmocka_run_group_tests_name("x80-fast", tests, NULL, NULL);
}

#else

int main(void)
{
    return 77;      /* no 128-bit integers: no fast paths to check */
}

#endif
