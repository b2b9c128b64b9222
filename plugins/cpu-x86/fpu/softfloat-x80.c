/*
 * softfloat-x80.c - core of the portable x87 extended-precision library:
 * 128-bit helpers, operand unpacking and classification, NaN propagation,
 * rounding to a destination precision with the x87 masked responses for
 * overflow/underflow, and small public helpers.  Integer arithmetic only.
 */
#include "x80-internal.h"

const FloatX80 x80_default_nan = { UINT64_C(0xC000000000000000), 0xFFFF };

U128 u128_mul64(uint64_t a, uint64_t b)
{
#if defined(__SIZEOF_INT128__) && !defined(X80_NO_INT128)
    unsigned __int128 p = (unsigned __int128)a * b;
    return u128_make((uint64_t)(p >> 64), (uint64_t)p);
#else
    uint64_t al = (uint32_t)a, ah = a >> 32, bl = (uint32_t)b, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;
    uint64_t lo = (mid << 32) | (uint32_t)ll;
    uint64_t hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
    return u128_make(hi, lo);
#endif
}

uint64_t u128_div64(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *rem)
{
#if defined(__SIZEOF_INT128__) && !defined(X80_NO_INT128)
    unsigned __int128 n = ((unsigned __int128)hi << 64) | lo;
    *rem = (uint64_t)(n % d);
    return (uint64_t)(n / d);
#else
    uint64_t q = 0;
    for (int i = 0; i < 64; i++) {
        bool top = hi >> 63;
        hi = (hi << 1) | (lo >> 63);
        lo <<= 1;
        q <<= 1;
        if (top || hi >= d) {
            hi -= d;
            q |= 1;
        }
    }
    *rem = hi;
    return q;
#endif
}

X80Unpacked x80_unpack(FloatX80 a)
{
    X80Unpacked u = { X80K_FINITE, (a.sign_exp >> 15) != 0, false, 0, a.mant };
    int32_t e = a.sign_exp & X80_EXP_MAX;
    bool int_bit = (a.mant & X80_INT_BIT) != 0;

    if (e == X80_EXP_MAX) {
        if (!int_bit) {
            u.kind = X80K_INVALID;
        } else if ((a.mant << 1) == 0) {
            u.kind = X80K_INF;
        } else {
            u.kind = (a.mant & X80_QUIET_BIT) ? X80K_QNAN : X80K_SNAN;
        }
    } else if (e == 0) {
        if (a.mant == 0) {
            u.kind = X80K_ZERO;
        } else {
            int s = clz64(a.mant);
            u.denormal = true;
            u.sig = a.mant << s;
            u.exp = 1 - X80_BIAS - s;
        }
    } else if (!int_bit) {
        u.kind = X80K_INVALID;
    } else {
        u.exp = e - X80_BIAS;
    }
    return u;
}

static FloatX80 invalid_result(X80Status *st)
{
    st->flags |= X80_FLAG_IE;
    return x80_default_nan;
}

bool x80_pick_nan1(FloatX80 a, X80Unpacked ua, X80Status *st, FloatX80 *res)
{
    if (ua.kind == X80K_INVALID) {
        *res = invalid_result(st);
        return true;
    }
    if (!x80_kind_is_nan(ua.kind)) {
        return false;
    }
    if (ua.kind == X80K_SNAN) {
        st->flags |= X80_FLAG_IE;
    }
    *res = x80_quiet(a);
    return true;
}

/* Both NaN: SNaN+QNaN gives the QNaN, else the larger significand. */
static FloatX80 pick_of_two_nans(FloatX80 a, X80Unpacked ua,
                                 FloatX80 b, X80Unpacked ub)
{
    if (ua.kind != ub.kind) {
        return ua.kind == X80K_QNAN ? a : x80_quiet(b);
    }
    if (a.mant > b.mant) {
        return x80_quiet(a);
    }
    if (b.mant > a.mant) {
        return x80_quiet(b);
    }
    return x80_quiet((a.sign_exp < b.sign_exp) ? a : b);
}

bool x80_pick_nan2(FloatX80 a, X80Unpacked ua, FloatX80 b, X80Unpacked ub,
                   X80Status *st, FloatX80 *res)
{
    bool an = x80_kind_is_nan(ua.kind), bn = x80_kind_is_nan(ub.kind);

    if (ua.kind == X80K_INVALID || ub.kind == X80K_INVALID) {
        *res = invalid_result(st);
        return true;
    }
    if (!an && !bn) {
        return false;
    }
    if (ua.kind == X80K_SNAN || ub.kind == X80K_SNAN) {
        st->flags |= X80_FLAG_IE;
    }
    if (an && bn) {
        *res = pick_of_two_nans(a, ua, b, ub);
    } else {
        *res = x80_quiet(an ? a : b);
    }
    return true;
}

static bool round_increments(int rc, bool sign, bool round, bool sticky,
                             bool lsb)
{
    switch (rc) {
    case X80_RC_NEAREST:
        return round && (sticky || lsb);
    case X80_RC_DOWN:
        return sign && (round || sticky);
    case X80_RC_UP:
        return !sign && (round || sticky);
    default:
        return false;
    }
}

/* Masked overflow response: infinity or the largest finite number. */
static X80Rounded overflow_result(bool sign, const X80Format *fmt,
                                  X80Status *st)
{
    X80Rounded r = { sign, false, fmt->emax, 0 };
    int rc = st->rounding;
    bool to_inf = rc == X80_RC_NEAREST || (rc == X80_RC_UP && !sign) ||
                  (rc == X80_RC_DOWN && sign);

    st->flags |= X80_FLAG_OE | X80_FLAG_PE;
    st->c1 = to_inf;
    if (to_inf) {
        r.overflow_inf = true;
    } else {
        r.sig = ~UINT64_C(0) << (64 - fmt->prec);
    }
    return r;
}

/*
 * Round sig to its top (64 - d) bits: *hi gets them (low d bits clear),
 * *inexact whether anything was dropped, *up whether we rounded up;
 * returns true when rounding up carried out of bit 63 (*hi is then 0).
 */
static bool round_bits(U128 sig, int d, bool sign, int rc, uint64_t *hi,
                       bool *inexact, bool *up)
{
    uint64_t unit = UINT64_C(1) << d;
    bool round, sticky, lsb;

    if (d == 0) {
        round = sig.lo >> 63;
        sticky = (sig.lo << 1) != 0;
    } else {
        round = (sig.hi >> (d - 1)) & 1;
        sticky = (sig.hi & ((UINT64_C(1) << (d - 1)) - 1)) != 0 ||
                 sig.lo != 0;
    }
    lsb = (sig.hi >> d) & 1;
    *inexact = round || sticky;
    *up = round_increments(rc, sign, round, sticky, lsb);
    *hi = sig.hi & ~(unit - 1);
    if (*up) {
        *hi += unit;
        return *hi == 0;
    }
    return false;
}

/* Unmasked overflow/underflow response: the exponent wraps by this. */
#define X80_BIAS_ADJUST 24576

X80Rounded x80_round(bool sign, int32_t exp, U128 sig, const X80Format *fmt,
                     X80Status *st)
{
    X80Rounded r = { sign, false, 0, 0 };
    int shift = u128_clz(sig);
    int d = 64 - fmt->prec;
    bool tiny = false, inexact, up;
    bool extended = fmt->emax == X80_BIAS;
    int32_t adjust = 0;
    uint64_t hi;

    sig = u128_shl(sig, shift);
    exp -= shift;
    if (exp < fmt->emin) {
        /* The x87 detects tininess after rounding (unbounded exponent). */
        bool carry = round_bits(sig, d, sign, st->rounding, &hi, &inexact,
                                &up);
        tiny = !(carry && exp == fmt->emin - 1);
        if (tiny && extended && (st->unmasked & X80_FLAG_UE) &&
            exp + X80_BIAS_ADJUST >= fmt->emin) {
            st->flags |= X80_FLAG_UE;
            adjust = X80_BIAS_ADJUST;
            tiny = false;
        } else {
            sig = u128_shr_jam(sig, fmt->emin - exp);
            exp = fmt->emin;
        }
    }
    if (round_bits(sig, d, sign, st->rounding, &hi, &inexact, &up)) {
        hi = X80_INT_BIT;
        exp++;
    }
    if (exp > fmt->emax) {
        if (!extended || !(st->unmasked & X80_FLAG_OE) ||
            exp - X80_BIAS_ADJUST > fmt->emax) {    /* too big even so */
            return overflow_result(sign, fmt, st);
        }
        st->flags |= X80_FLAG_OE;
        adjust = -X80_BIAS_ADJUST;
    }
    exp += adjust;
    if (inexact) {
        st->flags |= X80_FLAG_PE;
        if (tiny) {
            st->flags |= X80_FLAG_UE;
        }
    }
    st->c1 = up;
    r.exp = exp;
    r.sig = hi;
    return r;
}

FloatX80 x80_pack_rounded(X80Rounded r)
{
    if (r.overflow_inf) {
        return x80_inf(r.sign);
    }
    if (!(r.sig & X80_INT_BIT)) {
        return x80_make(r.sign, 0, r.sig);
    }
    return x80_make(r.sign, (uint16_t)(r.exp + X80_BIAS), r.sig);
}

FloatX80 x80_round_pack(bool sign, int32_t exp, U128 sig, int prec,
                        X80Status *st)
{
    X80Format fmt = { prec, 1 - X80_BIAS, X80_BIAS };
    return x80_pack_rounded(x80_round(sign, exp, sig, &fmt, st));
}

U128 x80_round_to_integer(bool sign, int32_t exp, uint64_t sig, int rc,
                          bool *inexact, bool *up)
{
    /* Fixed point: integer part in hi, fraction in lo. */
    U128 v = u128_make(0, sig);
    bool round, sticky, lsb;
    int32_t shift = exp + 1;     /* bits of the integer part */

    if (shift > 0) {
        v = u128_shl(v, shift);
    } else {
        v = u128_shr_jam(v, -shift);
    }
    round = v.lo >> 63;
    sticky = (v.lo << 1) != 0;
    lsb = v.hi & 1;
    *inexact = round || sticky;
    *up = round_increments(rc, sign, round, sticky, lsb);
    v.lo = v.hi + *up;
    v.hi = *up && v.lo == 0;     /* carry into 2^64 */
    return v;
}

void x80_status_from_cw(X80Status *st, uint16_t fcw)
{
    static const uint8_t prec[4] = { 24, 64, 53, 64 };
    st->rounding = (fcw >> 10) & 3;
    st->precision = prec[(fcw >> 8) & 3];
    st->unmasked = ~fcw & (X80_FLAG_OE | X80_FLAG_UE);
}

bool x80_is_nan(FloatX80 a)
{
    return x80_kind_is_nan(x80_unpack(a).kind);
}

bool x80_is_signaling_nan(FloatX80 a)
{
    return x80_unpack(a).kind == X80K_SNAN;
}

bool x80_is_unsupported(FloatX80 a)
{
    return x80_unpack(a).kind == X80K_INVALID;
}
