/*
 * x80-fast.h - the common case of x87 add, subtract, multiply, FLD m32/m64
 * and FST m32/m64 without the general machinery of the library: normal
 * or zero operands and a normal or zero result, round to nearest, 64-bit
 * precision (FCW.RC = 0, FCW.PC = 3).  Each function returns false, having changed
 * nothing, when its operands are not that case; the caller then uses the
 * general functions, which compute the same thing (tests/unit/x87 checks
 * that they agree).  Flags are OR-ed into st->flags (PE only: a normal
 * result neither overflows nor underflows) and st->c1 is set.
 */
#ifndef X80_FAST_H
#define X80_FAST_H

#include "softfloat-x80.h"

#if defined(__SIZEOF_INT128__)
#define X80_HAVE_FAST 1

typedef unsigned __int128 X80U128;

static inline bool x80_fast_normal(FloatX80 a)
{
    unsigned e = a.sign_exp & 0x7fffu;
    return e - 1u < 0x7ffeu && (a.mant >> 63);
}

static inline unsigned x80_fast_clz128(X80U128 s)
{
    uint64_t hi = (uint64_t)(s >> 64);
    return hi ? (unsigned)__builtin_clzll(hi) : 64u + (unsigned)__builtin_clzll((uint64_t)s);
}

/* sign * s * 2^(e - 16383 - 127), s with bit 127 set, rounded to nearest
 * even at 64 bits; false if the result is not a normal number. */
static inline bool x80_fast_round(unsigned sign, int32_t e, X80U128 s, FloatX80 *r,
                                  X80Status *st)
{
    uint64_t hi = (uint64_t)(s >> 64), lo = (uint64_t)s;
    bool up = (lo >> 63) && ((lo << 1) || (hi & 1));
    if (e < 1) {
        return false;
    }
    hi += up;
    if (hi == 0) {                      /* rounded up to the next binade */
        hi = UINT64_C(1) << 63;
        e++;
    }
    if (e > 0x7ffe) {
        return false;
    }
    r->mant = hi;
    r->sign_exp = (uint16_t)((sign << 15) | (unsigned)e);
    if (lo) {
        st->flags |= X80_FLAG_PE;
    }
    st->c1 = up;
    return true;
}

static inline bool x80_fast_zero(FloatX80 a)
{
    return (a.sign_exp & 0x7fff) == 0 && a.mant == 0;
}

/* An exact result (no flags, C1 = 0). */
static inline bool x80_fast_exact(FloatX80 v, FloatX80 *r, X80Status *st)
{
    *r = v;
    st->c1 = false;
    return true;
}

/* a + b (negate_b: a - b). */
static inline bool x80_fast_add(FloatX80 a, FloatX80 b, bool negate_b, FloatX80 *r,
                                X80Status *st)
{
    b.sign_exp ^= (uint16_t)(negate_b << 15);
    if (!x80_fast_normal(a) || !x80_fast_normal(b)) {
        bool za = x80_fast_zero(a), zb = x80_fast_zero(b);
        if (za && zb) {                 /* -0 only for -0 + -0 */
            a.sign_exp &= b.sign_exp;
            return x80_fast_exact(a, r, st);
        }
        if (zb && x80_fast_normal(a)) {
            return x80_fast_exact(a, r, st);
        }
        if (za && x80_fast_normal(b)) {
            return x80_fast_exact(b, r, st);
        }
        return false;
    }
    int32_t ea = a.sign_exp & 0x7fff, eb = b.sign_exp & 0x7fff;
    unsigned sa = a.sign_exp >> 15, sb = b.sign_exp >> 15;
    uint64_t ma = a.mant, mb = b.mant;
    if (ea < eb || (ea == eb && ma < mb)) {     /* |a| >= |b| from here */
        int32_t te = ea; ea = eb; eb = te;
        unsigned ts = sa; sa = sb; sb = ts;
        uint64_t tm = ma; ma = mb; mb = tm;
    }
    int32_t d = ea - eb;
    if (d > 63) {
        return false;
    }
    /* both exact in 127 bits: ma at bits 126..63, mb shifted by d */
    X80U128 big = (X80U128)ma << 63, small = ((X80U128)mb << 63) >> d;
    X80U128 s = sa == sb ? big + small : big - small;
    if (s == 0) {                       /* x - x: +0 when rounding to nearest */
        r->mant = 0;
        r->sign_exp = 0;
        st->c1 = false;
        return true;
    }
    unsigned n = x80_fast_clz128(s);
    return x80_fast_round(sa, ea + 1 - (int32_t)n, s << n, r, st);
}

static inline bool x80_fast_mul(FloatX80 a, FloatX80 b, FloatX80 *r, X80Status *st)
{
    if (!x80_fast_normal(a) || !x80_fast_normal(b)) {
        if ((x80_fast_zero(a) || x80_fast_normal(a)) &&
            (x80_fast_zero(b) || x80_fast_normal(b))) {     /* a zero */
            FloatX80 z = { 0, (uint16_t)((a.sign_exp ^ b.sign_exp) & 0x8000) };
            return x80_fast_exact(z, r, st);
        }
        return false;
    }
    X80U128 p = (X80U128)a.mant * b.mant;         /* bit 127 or 126 set */
    int32_t e = (a.sign_exp & 0x7fff) + (b.sign_exp & 0x7fff) - 16383 + 1;
    unsigned sign = (unsigned)((a.sign_exp ^ b.sign_exp) >> 15);
    if (!(p >> 127)) {
        p <<= 1;
        e--;
    }
    return x80_fast_round(sign, e, p, r, st);
}

/* FLD m32/m64 of a normal number or zero: exact, no flags, C1 = 0. */
static inline bool x80_fast_from_f64(uint64_t f, FloatX80 *r, X80Status *st)
{
    unsigned e = (unsigned)(f >> 52) & 0x7ff;
    uint16_t sign = (uint16_t)((f >> 48) & 0x8000);
    if (e - 1u < 0x7feu) {
        r->mant = (UINT64_C(1) << 63) | ((f << 12) >> 1);
        r->sign_exp = (uint16_t)(sign | (e - 1023 + 16383));
    } else if ((f << 1) == 0) {
        r->mant = 0;
        r->sign_exp = sign;
    } else {
        return false;
    }
    st->c1 = false;
    return true;
}

static inline bool x80_fast_from_f32(uint32_t f, FloatX80 *r, X80Status *st)
{
    unsigned e = (f >> 23) & 0xff;
    uint16_t sign = (uint16_t)((f >> 16) & 0x8000);
    if (e - 1u < 0xfeu) {
        r->mant = (UINT64_C(1) << 63) | ((uint64_t)(f << 9) << 31);
        r->sign_exp = (uint16_t)(sign | (e - 127 + 16383));
    } else if ((f << 1) == 0) {
        r->mant = 0;
        r->sign_exp = sign;
    } else {
        return false;
    }
    st->c1 = false;
    return true;
}

/* FST m32/m64 (frac_bits 23 or 52, bias 127 or 1023) of zero or a normal
 * number whose rounded value is normal in the destination format. */
static inline bool x80_fast_to_ieee(FloatX80 a, unsigned frac_bits, int32_t bias,
                                    uint64_t *out, X80Status *st)
{
    unsigned total = frac_bits + 1 + (frac_bits == 52 ? 11 : 8);
    uint64_t sign = (uint64_t)(a.sign_exp >> 15) << (total - 1);
    if ((a.sign_exp & 0x7fff) == 0 && a.mant == 0) {
        *out = sign;
        st->c1 = false;
        return true;
    }
    int32_t e = (a.sign_exp & 0x7fff) - 16383 + bias;
    int32_t emax = 2 * bias;            /* largest biased exponent of a finite */
    if (!x80_fast_normal(a) || e < 1) {
        return false;
    }
    unsigned drop = 63 - frac_bits;     /* 11 or 40 bits rounded off */
    uint64_t hi = a.mant >> drop, rest = a.mant & ((UINT64_C(1) << drop) - 1);
    uint64_t half = UINT64_C(1) << (drop - 1);
    bool up = rest > half || (rest == half && (hi & 1));
    hi += up;
    if (hi >> (frac_bits + 1)) {
        hi >>= 1;
        e++;
    }
    if (e > emax) {
        return false;
    }
    *out = sign | ((uint64_t)e << frac_bits) | (hi & ((UINT64_C(1) << frac_bits) - 1));
    if (rest) {
        st->flags |= X80_FLAG_PE;
    }
    st->c1 = up;
    return true;
}
#endif

#endif
