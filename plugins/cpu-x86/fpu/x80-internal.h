/*
 * x80-internal.h - shared internals of the x87 soft-float library:
 * a portable 128-bit unsigned type, the unpacked operand form, rounding
 * and NaN propagation.  Integer arithmetic only.  unsigned __int128 is used
 * for 64x64 multiply and 128/64 divide when the compiler has it; otherwise
 * portable fallbacks (build with -DX80_NO_INT128 to force them) are used.
 */
#ifndef X80_INTERNAL_H
#define X80_INTERNAL_H

#include "softfloat-x80.h"

#define X80_BIAS 16383
#define X80_EXP_MAX 0x7FFF
#define X80_INT_BIT (UINT64_C(1) << 63)
#define X80_QUIET_BIT (UINT64_C(1) << 62)

typedef struct {
    uint64_t hi, lo;
} U128;

static inline U128 u128_make(uint64_t hi, uint64_t lo)
{
    U128 r = { hi, lo };
    return r;
}

static inline bool u128_is_zero(U128 a)
{
    return (a.hi | a.lo) == 0;
}

static inline int u128_cmp(U128 a, U128 b)
{
    if (a.hi != b.hi) {
        return a.hi < b.hi ? -1 : 1;
    }
    return a.lo < b.lo ? -1 : a.lo > b.lo;
}

static inline U128 u128_add(U128 a, U128 b)
{
    U128 r = { a.hi + b.hi, a.lo + b.lo };
    r.hi += r.lo < a.lo;
    return r;
}

static inline U128 u128_sub(U128 a, U128 b)
{
    U128 r = { a.hi - b.hi, a.lo - b.lo };
    r.hi -= a.lo < b.lo;
    return r;
}

static inline U128 u128_shl(U128 a, int n)
{
    if (n == 0) {
        return a;
    } else if (n >= 128) {
        return u128_make(0, 0);
    } else if (n >= 64) {
        return u128_make(a.lo << (n - 64), 0);
    }
    return u128_make((a.hi << n) | (a.lo >> (64 - n)), a.lo << n);
}

static inline U128 u128_shr(U128 a, int n)
{
    if (n == 0) {
        return a;
    } else if (n >= 128) {
        return u128_make(0, 0);
    } else if (n >= 64) {
        return u128_make(0, a.hi >> (n - 64));
    }
    return u128_make(a.hi >> n, (a.lo >> n) | (a.hi << (64 - n)));
}

/* Shift right; any 1 bits shifted out are OR-ed into bit 0 ("jamming"). */
static inline U128 u128_shr_jam(U128 a, int32_t n)
{
    U128 r;
    if (n <= 0) {
        return a;
    }
    if (n >= 128) {
        return u128_make(0, !u128_is_zero(a));
    }
    r = u128_shr(a, n);
    if (!u128_is_zero(u128_sub(a, u128_shl(r, n)))) {
        r.lo |= 1;
    }
    return r;
}

static inline int clz64(uint64_t v)
{
#if defined(__GNUC__)
    return v ? __builtin_clzll(v) : 64;
#else
    int n = 0;
    if (v == 0) {
        return 64;
    }
    while (!(v >> 63)) {
        v <<= 1;
        n++;
    }
    return n;
#endif
}

static inline int u128_clz(U128 a)
{
    return a.hi ? clz64(a.hi) : 64 + clz64(a.lo);
}

U128 u128_mul64(uint64_t a, uint64_t b);
/* (hi:lo) / d with hi < d: returns the quotient, *rem the remainder. */
uint64_t u128_div64(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *rem);

/* Operand classes after unpacking. */
typedef enum {
    X80K_ZERO,
    X80K_FINITE,        /* normal, denormal or pseudo-denormal */
    X80K_INF,
    X80K_QNAN,
    X80K_SNAN,
    X80K_INVALID,       /* unnormal, pseudo-NaN, pseudo-infinity */
} X80Kind;

/* value = sig * 2^(exp - 63); sig normalized (bit 63 set) when finite. */
typedef struct {
    X80Kind kind;
    bool sign;
    bool denormal;      /* denormal or pseudo-denormal operand (DE) */
    int32_t exp;        /* unbiased */
    uint64_t sig;
} X80Unpacked;

X80Unpacked x80_unpack(FloatX80 a);

static inline bool x80_kind_is_nan(X80Kind k)
{
    return k == X80K_QNAN || k == X80K_SNAN;
}

static inline FloatX80 x80_make(bool sign, uint16_t exp, uint64_t mant)
{
    FloatX80 r = { mant, (uint16_t)((sign ? 0x8000 : 0) | exp) };
    return r;
}

static inline FloatX80 x80_zero(bool sign)
{
    return x80_make(sign, 0, 0);
}

static inline FloatX80 x80_inf(bool sign)
{
    return x80_make(sign, X80_EXP_MAX, X80_INT_BIT);
}

static inline FloatX80 x80_quiet(FloatX80 a)
{
    a.mant |= X80_QUIET_BIT;
    return a;
}

/*
 * Result of a NaN/invalid check on the operands of an arithmetic op:
 * returns true (and sets *res and flags) when an operand is a NaN or an
 * unsupported encoding, following the x87 propagation rules.
 */
bool x80_pick_nan2(FloatX80 a, X80Unpacked ua, FloatX80 b, X80Unpacked ub,
                   X80Status *st, FloatX80 *res);
bool x80_pick_nan1(FloatX80 a, X80Unpacked ua, X80Status *st, FloatX80 *res);

/* An operand plus "came from a denormal float32/float64 in memory". */
typedef struct {
    FloatX80 v;
    bool denormal;
} X80Operand;

FloatX80 x80_binop_operands(X80BinOp op, X80Operand a, X80Operand b,
                            X80Status *st);
X80Relation x80_compare_operands(X80Operand a, X80Operand b, bool signaling,
                                 X80Status *st);

/* Destination format for rounding. */
typedef struct {
    int prec;           /* significand bits incl. the integer bit */
    int32_t emin;       /* smallest normal unbiased exponent */
    int32_t emax;       /* largest finite unbiased exponent */
} X80Format;

/* A rounded finite result: sig bit 63 set unless denormal (exp == emin). */
typedef struct {
    bool sign;
    bool overflow_inf;  /* overflowed to infinity */
    int32_t exp;
    uint64_t sig;
} X80Rounded;

/*
 * Round sign * sig * 2^(exp - 127) (sig nonzero, any position) to fmt
 * under st->rounding; sets PE/UE/OE and st->c1.  The x87 detects
 * tininess after rounding.
 */
X80Rounded x80_round(bool sign, int32_t exp, U128 sig, const X80Format *fmt,
                     X80Status *st);
FloatX80 x80_pack_rounded(X80Rounded r);
/* Round to the x80 format at the given precision and pack. */
FloatX80 x80_round_pack(bool sign, int32_t exp, U128 sig, int prec,
                        X80Status *st);

/*
 * Round |value| = sig * 2^(exp - 63) to an integer per rc and sign.
 * Requires exp <= 63 (and the caller handles larger exponents).
 * Returns the magnitude (may be 2^64); *inexact, *up are set.
 */
U128 x80_round_to_integer(bool sign, int32_t exp, uint64_t sig, int rc,
                          bool *inexact, bool *up);

#endif
