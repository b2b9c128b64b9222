/*
 * x80-trans.c - x87 transcendentals F2XM1, FYL2X and FYL2XP1, computed
 * with a ~126-bit software float (128-bit significand, integer C only)
 * and rounded once to 64 bits, so results are within 1 ulp (almost
 * always correctly rounded).  Precision control does not apply, as on
 * hardware.  Out-of-range operands (|x| > 1 for F2XM1, |x| >= 1-sqrt(2)/2
 * for FYL2XP1, which the manuals leave undefined) get the mathematically
 * correct value.  Also FPATAN, FSIN, FCOS, FSINCOS and FPTAN (argument
 * reduction with 320 bits of 2/pi).
 */
#include "x80-internal.h"

/* Wide float: value = sig * 2^(exp - 127); sig normalized or zero. */
typedef struct {
    bool sign;
    int32_t exp;
    U128 sig;
} Wide;

static Wide w_make(bool sign, int32_t exp, U128 sig)
{
    Wide w = { sign, exp, sig };
    int s;

    if (!u128_is_zero(sig)) {
        s = u128_clz(sig);
        w.sig = u128_shl(sig, s);
        w.exp -= s;
    }
    return w;
}

static Wide w_int(int64_t v)
{
    uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
    return w_make(v < 0, 127, u128_make(0, mag));
}

static Wide w_const(uint64_t hi, uint64_t lo, int32_t exp)
{
    return w_make(false, exp, u128_make(hi, lo));
}

static Wide w_from_x80(X80Unpacked u)
{
    return w_make(u.sign, u.exp, u128_make(u.sig, 0));
}

/* Top 128 bits of the 256-bit product (truncated). */
static U128 mul_hi128(U128 a, U128 b)
{
    U128 ll = u128_mul64(a.lo, b.lo), lh = u128_mul64(a.lo, b.hi);
    U128 hl = u128_mul64(a.hi, b.lo), hh = u128_mul64(a.hi, b.hi);
    U128 mid = u128_add(u128_make(0, ll.hi), u128_make(0, lh.lo));

    mid = u128_add(mid, u128_make(0, hl.lo));
    hh = u128_add(hh, u128_make(0, lh.hi));
    hh = u128_add(hh, u128_make(0, hl.hi));
    return u128_add(hh, u128_make(0, mid.hi));
}

static Wide w_mul(Wide a, Wide b)
{
    if (u128_is_zero(a.sig) || u128_is_zero(b.sig)) {
        return w_make(a.sign ^ b.sign, 0, u128_make(0, 0));
    }
    return w_make(a.sign ^ b.sign, a.exp + b.exp + 1,
                  mul_hi128(a.sig, b.sig));
}

static Wide w_add(Wide a, Wide b)
{
    U128 big, small;

    if (u128_is_zero(b.sig)) {
        return a;
    }
    if (u128_is_zero(a.sig)) {
        return b;
    }
    if (a.exp < b.exp || (a.exp == b.exp && u128_cmp(a.sig, b.sig) < 0)) {
        Wide t = a;
        a = b;
        b = t;
    }
    if (a.sign == b.sign) {
        big = u128_shr(a.sig, 1);
        small = a.exp - b.exp + 1 >= 128 ? u128_make(0, 0)
                                         : u128_shr(b.sig, a.exp - b.exp + 1);
        return w_make(a.sign, a.exp + 1, u128_add(big, small));
    }
    small = a.exp - b.exp >= 128 ? u128_make(0, 0)
                                 : u128_shr(b.sig, a.exp - b.exp);
    return w_make(a.sign, a.exp, u128_sub(a.sig, small));
}

static Wide w_neg(Wide a)
{
    a.sign = !a.sign;
    return a;
}

static Wide w_div_small(Wide a, uint32_t d)
{
    uint64_t r, qh = u128_div64(0, a.sig.hi, d, &r);
    uint64_t ql = u128_div64(r, a.sig.lo, d, &r);
    return w_make(a.sign, a.exp, u128_make(qh, ql));
}

/* 1/b by two Newton steps from a 62-bit estimate. */
static Wide w_recip(Wide b)
{
    uint64_t r, q = u128_div64(UINT64_C(1) << 62, 0, b.sig.hi, &r);
    Wide m = b, x = w_make(false, 127 - 63, u128_make(0, q));
    Wide two = w_int(2);

    m.sign = false;
    m.exp = 0;
    for (int i = 0; i < 2; i++) {
        x = w_mul(x, w_add(two, w_neg(w_mul(m, x))));
    }
    x.exp -= b.exp;
    x.sign = b.sign;
    return x;
}

static Wide w_div(Wide a, Wide b)
{
    return w_mul(a, w_recip(b));
}

static FloatX80 w_round(Wide w, X80Status *st)
{
    if (u128_is_zero(w.sig)) {
        st->c1 = false;
        return x80_zero(w.sign);
    }
    /* Truncated low bits: mark the value inexact below our precision. */
    w.sig.lo |= 1;
    return x80_round_pack(w.sign, w.exp, w.sig, 64, st);
}

/* ln(m) for m in [sqrt(2)/2, sqrt(2)]: 2t(1 + t^2/3 + t^4/5 + ...). */
static Wide w_ln_reduced(Wide m)
{
    Wide one = w_int(1);
    Wide t = w_div(w_add(m, w_neg(one)), w_add(m, one));
    Wide t2 = w_mul(t, t), s = w_div_small(one, 61);

    for (int k = 59; k >= 1; k -= 2) {
        s = w_add(w_div_small(one, (uint32_t)k), w_mul(t2, s));
    }
    s = w_mul(t, s);
    s.exp += 1;
    return s;
}

static Wide w_log2(Wide v)
{
    static const U128 sqrt2 = { UINT64_C(0xb504f333f9de6484),
                                UINT64_C(0x597d89b3754abe9f) };
    Wide l2e = w_const(UINT64_C(0xb8aa3b295c17f0bb),
                       UINT64_C(0xbe87fed0691d3e88), 0);
    int32_t e = v.exp;
    Wide m = v;

    m.exp = 0;
    if (u128_cmp(m.sig, sqrt2) > 0) {
        m.exp = -1;
        e += 1;
    }
    return w_add(w_int(e), w_mul(w_ln_reduced(m), l2e));
}

/* 2^x - 1 for |x| < 1 via expm1(x ln 2). */
static Wide w_exp2m1_small(Wide x)
{
    Wide ln2 = w_const(UINT64_C(0xb17217f7d1cf79ab),
                       UINT64_C(0xc9e3b39803f2f6af), -1);
    Wide y = w_mul(x, ln2), one = w_int(1), p = one;

    for (uint32_t k = 40; k >= 2; k--) {
        p = w_add(one, w_div_small(w_mul(y, p), k));
    }
    return w_mul(y, p);
}

/* Just below 2^e in magnitude, far beyond 64-bit precision. */
static Wide w_just_below_pow2(bool sign, int32_t e)
{
    return w_make(sign, e - 1, u128_make(~UINT64_C(0), ~UINT64_C(0)));
}

/* 2^x - 1 for |x| >= 1 (beyond the documented domain when |x| > 1). */
static FloatX80 exp2m1_large(X80Unpacked ua, X80Status *st)
{
    int32_t n = ua.exp > 20 ? 1 << 20 : (int32_t)(ua.sig >> (63 - ua.exp));
    Wide one = w_int(1), f, r;

    n = ua.sign ? -n : n;
    if (n < -140) {                          /* -1 + tiny */
        return w_round(w_just_below_pow2(true, 0), st);
    }
    f = ua.exp > 20 ? w_int(0) : w_add(w_from_x80(ua), w_neg(w_int(n)));
    if (u128_is_zero(f.sig)) {               /* 2^n - 1 */
        if (n > 64) {
            return w_round(w_just_below_pow2(false, n), st);
        }
        r = w_add(w_make(false, n + 127, u128_make(0, 1)), w_neg(one));
        return x80_round_pack(r.sign, r.exp, r.sig, 64, st);
    }
    /* x = n + f: 2^n * (expm1(f ln 2) + 1) - 1 */
    r = w_add(w_exp2m1_small(f), one);
    r.exp += n;
    return w_round(w_add(r, w_neg(one)), st);
}

FloatX80 x80_f2xm1(FloatX80 a, X80Status *st)
{
    X80Unpacked ua = x80_unpack(a);
    FloatX80 res;

    st->c1 = false;
    if (x80_pick_nan1(a, ua, st, &res)) {
        return res;
    }
    if (ua.kind == X80K_ZERO) {
        return a;
    }
    if (ua.kind == X80K_INF) {
        return ua.sign ? x80_make(true, X80_BIAS, X80_INT_BIT) : a;
    }
    if (ua.denormal) {
        st->flags |= X80_FLAG_DE;
    }
    if (ua.exp < 0) {
        return w_round(w_exp2m1_small(w_from_x80(ua)), st);
    }
    return exp2m1_large(ua, st);
}

/* Result of y * L where L = log2(...) is +0 / -0 / +-inf per the tables. */
static FloatX80 signed_product_special(bool y_sign, bool l_sign, bool inf)
{
    return inf ? x80_inf(y_sign ^ l_sign) : x80_zero(y_sign ^ l_sign);
}

FloatX80 x80_fyl2x(FloatX80 x, FloatX80 y, X80Status *st)
{
    X80Unpacked ux = x80_unpack(x), uy = x80_unpack(y);
    FloatX80 res;
    Wide l;

    st->c1 = false;
    if (x80_pick_nan2(x, ux, y, uy, st, &res)) {
        return res;
    }
    if (ux.sign && ux.kind != X80K_ZERO) {
        st->flags |= X80_FLAG_IE;
        return x80_default_nan;
    }
    if (ux.kind == X80K_ZERO) {            /* log2 = -inf */
        if (uy.kind == X80K_ZERO) {
            st->flags |= X80_FLAG_IE;
            return x80_default_nan;
        }
        if (uy.kind != X80K_INF) {
            st->flags |= X80_FLAG_ZE;      /* no DE for a denormal y */
        }
        return signed_product_special(uy.sign, true, true);
    }
    if (ux.kind == X80K_INF) {             /* log2 = +inf */
        if (uy.kind == X80K_ZERO) {
            st->flags |= X80_FLAG_IE;
            return x80_default_nan;
        }
        if (uy.denormal) {
            st->flags |= X80_FLAG_DE;
        }
        return signed_product_special(uy.sign, false, true);
    }
    if (ux.denormal || uy.denormal) {
        st->flags |= X80_FLAG_DE;
    }
    l = w_log2(w_from_x80(ux));
    if (ux.sig == X80_INT_BIT) {           /* x = 2^k: log2 exact */
        l = w_int(ux.exp);
        if (uy.kind == X80K_INF && ux.exp == 0) {
            st->flags |= X80_FLAG_IE;
            return x80_default_nan;
        }
        if (uy.kind == X80K_INF || uy.kind == X80K_ZERO || ux.exp == 0) {
            return signed_product_special(uy.sign, ux.exp < 0,
                                          uy.kind == X80K_INF);
        }
        /* exact, but the hardware reports PE for every FYL2X result */
        res = x80_round_pack(uy.sign ^ l.sign, uy.exp + l.exp + 1,
                             mul_hi128(u128_make(uy.sig, 0), l.sig), 64, st);
        st->flags |= X80_FLAG_PE;
        if ((res.sign_exp & X80_EXP_MAX) == 0 && res.mant != 0) {
            st->flags |= X80_FLAG_UE;          /* ... and UE when tiny */
        }
        return res;
    }
    if (uy.kind == X80K_INF || uy.kind == X80K_ZERO) {
        return signed_product_special(uy.sign, l.sign, uy.kind == X80K_INF);
    }
    return w_round(w_mul(w_from_x80(uy), l), st);
}

FloatX80 x80_fyl2xp1(FloatX80 x, FloatX80 y, X80Status *st)
{
    X80Unpacked ux = x80_unpack(x), uy = x80_unpack(y);
    FloatX80 res;
    Wide wx, l;

    st->c1 = false;
    if (x80_pick_nan2(x, ux, y, uy, st, &res)) {
        return res;
    }
    if (ux.kind == X80K_INF || (ux.sign && ux.kind == X80K_FINITE &&
                                ux.exp >= 0)) {
        /* log2(1 + x) undefined for x <= -1; +inf: treat as invalid */
        if (!(ux.kind == X80K_INF && !ux.sign && uy.kind != X80K_ZERO)) {
            st->flags |= X80_FLAG_IE;
            return x80_default_nan;
        }
        if (uy.denormal) {
            st->flags |= X80_FLAG_DE;
        }
        return signed_product_special(uy.sign, false, true);
    }
    if (ux.kind == X80K_ZERO) {
        if (uy.kind == X80K_INF) {
            st->flags |= X80_FLAG_IE;
            return x80_default_nan;
        }
        if (uy.denormal) {
            st->flags |= X80_FLAG_DE;
        }
        return x80_zero(ux.sign ^ uy.sign);
    }
    if (ux.denormal || uy.denormal) {
        st->flags |= X80_FLAG_DE;
    }
    wx = w_from_x80(ux);
    if (ux.exp < -2) {                     /* |x| < 1/4: 2 atanh(x/(2+x)) */
        Wide l2e = w_const(UINT64_C(0xb8aa3b295c17f0bb),
                           UINT64_C(0xbe87fed0691d3e88), 0);
        Wide one = w_int(1);
        /* t computed from x itself keeps the relative accuracy */
        {
            Wide t = w_div(wx, w_add(w_int(2), wx));
            Wide t2 = w_mul(t, t), s = w_div_small(one, 61);
            for (int k = 59; k >= 1; k -= 2) {
                s = w_add(w_div_small(one, (uint32_t)k), w_mul(t2, s));
            }
            l = w_mul(w_mul(t, s), l2e);
            l.exp += 1;
        }
    } else {
        l = w_log2(w_add(w_int(1), wx));
    }
    if (uy.kind == X80K_INF || uy.kind == X80K_ZERO) {
        return signed_product_special(uy.sign, l.sign, uy.kind == X80K_INF);
    }
    return w_round(w_mul(w_from_x80(uy), l), st);
}

static Wide w_pi(int32_t exp_adjust)
{
    Wide pi = w_const(UINT64_C(0xc90fdaa22168c234),
                      UINT64_C(0xc4c6628b80dc1cd1), 1);
    pi.exp += exp_adjust;
    return pi;
}

/* atan(t) for |t| <= 1/16: t (1 - t^2/3 + t^4/5 - ...), Horner form. */
static Wide w_atan_small(Wide t)
{
    Wide u = w_neg(w_mul(t, t)), one = w_int(1), s = w_div_small(one, 41);

    for (int k = 19; k >= 0; k--) {
        s = w_add(w_div_small(one, (uint32_t)(2 * k + 1)), w_mul(u, s));
    }
    return w_mul(t, s);
}

/* atan(z) for 0 <= z <= 1: atan(j/8) + atan((z - j/8) / (1 + z j/8)). */
static Wide w_atan_unit(Wide z)
{
    static const struct {
        uint64_t hi, lo;
        int32_t exp;
    } atan_j8[8] = {
        { UINT64_C(0xfeadd4d5617b6e32), UINT64_C(0xc897989f3e888ef7), -4 },
        { UINT64_C(0xfadbafc96406eb15), UINT64_C(0x6dc79ef5f7a217e5), -3 },
        { UINT64_C(0xb7b0ca0f26f78473), UINT64_C(0x8aa32122dcfe4483), -2 },
        { UINT64_C(0xed63382b0dda7b45), UINT64_C(0x6fe445ecbc3a8d03), -2 },
        { UINT64_C(0x8f005d5ef7f59f9b), UINT64_C(0x5c835e1665c43747), -1 },
        { UINT64_C(0xa4bc7d1934f70924), UINT64_C(0x19a87f2a457dac9e), -1 },
        { UINT64_C(0xb8053e2bc2319e73), UINT64_C(0xcb2da55210a4443d), -1 },
        { UINT64_C(0xc90fdaa22168c234), UINT64_C(0xc4c6628b80dc1cd1), -1 },
    };
    /* j = round(8z) from the top bits of z */
    int32_t shift = 127 - (z.exp + 3);
    uint64_t eight_z = shift >= 128 ? 0 : u128_shr(z.sig, shift - 1).lo;
    int j = (int)((eight_z + 1) >> 1);
    Wide c, t;

    if (j == 0 && z.exp < -70) {
        /* atan(z) = z - z^3/3 + ...: just below z, beyond our precision */
        z.sig = u128_sub(z.sig, u128_make(0, 1));
        return z;
    }
    if (j == 0) {
        return w_atan_small(z);
    }
    c = w_div_small(w_int(j), 8);
    t = w_div(w_add(z, w_neg(c)), w_add(w_int(1), w_mul(z, c)));
    return w_add(w_const(atan_j8[j - 1].hi, atan_j8[j - 1].lo,
                         atan_j8[j - 1].exp), w_atan_small(t));
}

/* FPATAN special results: a multiple of pi/4, or a signed zero. */
static FloatX80 atan_special(bool neg, int quarter_turns_x4, X80Status *st)
{
    Wide r;

    if (quarter_turns_x4 == 0) {
        st->c1 = false;
        return x80_zero(neg);
    }
    r = w_pi(-2);                               /* pi/4 */
    r = w_mul(r, w_int(quarter_turns_x4));
    r.sign = neg;
    return w_round(r, st);
}

FloatX80 x80_fpatan(FloatX80 x, FloatX80 y, X80Status *st)
{
    X80Unpacked ux = x80_unpack(x), uy = x80_unpack(y);
    FloatX80 res;
    Wide ax, ay, a;
    bool swap;

    st->c1 = false;
    if (x80_pick_nan2(x, ux, y, uy, st, &res)) {
        return res;
    }
    if (ux.denormal || uy.denormal) {
        st->flags |= X80_FLAG_DE;
    }
    if (uy.kind == X80K_INF) {
        return atan_special(uy.sign, ux.kind != X80K_INF ? 2
                                     : ux.sign ? 3 : 1, st);
    }
    if (uy.kind == X80K_ZERO || ux.kind == X80K_INF) {
        bool x_neg = ux.sign;
        if (uy.kind != X80K_ZERO && ux.kind == X80K_INF) {
            return atan_special(uy.sign, x_neg ? 4 : 0, st);
        }
        return atan_special(uy.sign, x_neg ? 4 : 0, st);
    }
    if (ux.kind == X80K_ZERO) {
        return atan_special(uy.sign, 2, st);
    }
    ax = w_from_x80(ux);
    ay = w_from_x80(uy);
    ax.sign = ay.sign = false;
    swap = ay.exp > ax.exp || (ay.exp == ax.exp &&
                               u128_cmp(ay.sig, ax.sig) > 0);
    a = swap ? w_atan_unit(w_div(ax, ay)) : w_atan_unit(w_div(ay, ax));
    if (swap) {
        a = w_add(w_pi(-1), w_neg(a));          /* pi/2 - atan(x/y) */
    }
    if (ux.sign) {
        a = w_add(w_pi(0), w_neg(a));           /* pi - a */
    }
    a.sign = uy.sign;
    return w_round(a, st);
}

/* ---- FSIN, FCOS, FSINCOS, FPTAN ------------------------------------ */

#define RED_WORDS 6     /* 384-bit product of a significand and 2/pi */

/* 2/pi to 320 bits: value = sum twoopi[i] * 2^(-64 (i + 1)) */
static const uint64_t twoopi[5] = {
    UINT64_C(0xa2f9836e4e441529), UINT64_C(0xfc2757d1f534ddc0),
    UINT64_C(0xdb6295993c439041), UINT64_C(0xfe5163abdebbc561),
    UINT64_C(0xb7246e3a424dd2e0),
};

/* Bit i (from the least significant) of a big-endian word array. */
static unsigned big_bit(const uint64_t *p, int i)
{
    return (unsigned)(p[RED_WORDS - 1 - i / 64] >> (i % 64)) & 1;
}

/* 128 bits of p whose top bit is bit `top`. */
static U128 big_bits128(const uint64_t *p, int top)
{
    U128 r = { 0, 0 };

    for (int i = top; i > top - 128; i--) {
        r = u128_shl(r, 1);
        r.lo |= i >= 0 ? big_bit(p, i) : 0;
    }
    return r;
}

/* 2^n - p for p < 2^n, in place. */
static void big_neg_mod(uint64_t *p, int n)
{
    bool borrow = false;

    for (int i = RED_WORDS - 1; i >= 0; i--) {
        uint64_t v = p[i];
        p[i] = 0 - v - borrow;
        borrow = borrow || v != 0;
    }
    for (int i = n; i < RED_WORDS * 64; i++) {
        p[RED_WORDS - 1 - i / 64] &= ~(UINT64_C(1) << (i % 64));
    }
}

/*
 * |x| = k pi/2 + r with |r| <= pi/4 (Payne-Hanek style with 320 bits of
 * 2/pi); returns r and k mod 4.  Needs u.exp <= 62.
 */
static Wide reduce_pio2(X80Unpacked u, int *quadrant)
{
    Wide pio2 = w_pi(-1), f;
    uint64_t p[RED_WORDS] = { 0 };
    int point = 383 - u.exp, top;
    uint64_t k;
    bool neg = false;

    if (u.exp < -1) {
        *quadrant = 0;
        f = w_from_x80(u);
        f.sign = false;
        return f;
    }
    for (int i = 4; i >= 0; i--) {         /* p = sig * twoopi */
        U128 t = u128_mul64(u.sig, twoopi[i]);
        U128 acc = u128_add(u128_make(0, p[i + 1]), u128_make(0, t.lo));
        p[i + 1] = acc.lo;
        p[i] = t.hi + acc.hi;
    }
    k = 0;
    for (int i = RED_WORDS * 64 - 1; i >= point; i--) {
        k = (k << 1) | big_bit(p, i);
    }
    for (int i = RED_WORDS * 64 - 1; i >= point; i--) {
        p[RED_WORDS - 1 - i / 64] &= ~(UINT64_C(1) << (i % 64));
    }
    if (big_bit(p, point - 1)) {            /* fraction >= 1/2 */
        k++;
        big_neg_mod(p, point);
        neg = true;
    }
    *quadrant = (int)(k & 3);
    for (top = point - 1; top >= 0 && !big_bit(p, top); top--) {
    }
    if (top < 0) {
        return w_make(false, 0, u128_make(0, 0));
    }
    /* value = bits * 2^(exp - 383) with bit `top` leading */
    f = w_make(neg, top + u.exp - 383, big_bits128(p, top));
    return w_mul(f, pio2);
}

/* sin(r) for |r| <= pi/4. */
static Wide w_sin_reduced(Wide r)
{
    Wide u = w_neg(w_mul(r, r)), one = w_int(1), p = one;

    if (r.exp < -70) {                      /* r - r^3/6: just below r */
        r.sig = u128_sub(r.sig, u128_make(0, 1));
        return r;
    }
    for (uint32_t k = 20; k >= 1; k--) {
        p = w_add(one, w_div_small(w_mul(u, p), (2 * k) * (2 * k + 1)));
    }
    return w_mul(r, p);
}

/* cos(r) for |r| <= pi/4. */
static Wide w_cos_reduced(Wide r)
{
    Wide u = w_neg(w_mul(r, r)), one = w_int(1), p = one;

    if (r.exp < -70 || u128_is_zero(r.sig)) {   /* 1 - r^2/2: just below 1 */
        return w_make(false, -1, u128_make(~UINT64_C(0), ~UINT64_C(0)));
    }
    for (uint32_t k = 20; k >= 1; k--) {
        p = w_add(one, w_div_small(w_mul(u, p), (2 * k - 1) * (2 * k)));
    }
    return p;
}

typedef enum { TRIG_SIN, TRIG_COS, TRIG_TAN } TrigKind;

/* Common special cases; returns true when *res is final. */
static bool trig_special(FloatX80 a, X80Unpacked ua, X80Status *st,
                         uint16_t *cc, FloatX80 *res)
{
    *cc = 0;
    st->c1 = false;
    if (x80_pick_nan1(a, ua, st, res)) {
        return true;
    }
    if (ua.kind == X80K_INF) {
        st->flags |= X80_FLAG_IE;
        *res = x80_default_nan;
        return true;
    }
    if (ua.kind == X80K_FINITE && ua.exp >= 63) {
        *cc = X80_C2;                       /* out of range: unchanged */
        *res = a;
        return true;
    }
    if (ua.denormal) {
        st->flags |= X80_FLAG_DE;
    }
    return false;
}

static Wide trig_value(TrigKind kind, Wide r, int q)
{
    Wide s, c;

    if (kind == TRIG_TAN) {
        s = w_sin_reduced(r);
        c = w_cos_reduced(r);
        return (q & 1) ? w_neg(w_div(c, s)) : w_div(s, c);
    }
    if (kind == TRIG_COS) {
        q++;
    }
    s = (q & 1) ? w_cos_reduced(r) : w_sin_reduced(r);
    return (q & 2) ? w_neg(s) : s;
}

static FloatX80 trig(TrigKind kind, FloatX80 a, X80Status *st, uint16_t *cc)
{
    X80Unpacked ua = x80_unpack(a);
    FloatX80 res;
    Wide r, v;
    int q;

    if (trig_special(a, ua, st, cc, &res)) {
        return res;
    }
    if (ua.kind == X80K_ZERO) {
        return kind == TRIG_COS ? x80_make(false, X80_BIAS, X80_INT_BIT) : a;
    }
    r = reduce_pio2(ua, &q);
    v = trig_value(kind, r, q);
    if (kind != TRIG_COS && ua.sign) {
        v = w_neg(v);
    }
    return w_round(v, st);
}

FloatX80 x80_fsin(FloatX80 a, X80Status *st, uint16_t *cc)
{
    return trig(TRIG_SIN, a, st, cc);
}

FloatX80 x80_fcos(FloatX80 a, X80Status *st, uint16_t *cc)
{
    return trig(TRIG_COS, a, st, cc);
}

FloatX80 x80_fptan(FloatX80 a, X80Status *st, uint16_t *cc)
{
    return trig(TRIG_TAN, a, st, cc);
}

void x80_fsincos(FloatX80 a, X80Status *st, uint16_t *cc, FloatX80 *sin,
                 FloatX80 *cos)
{
    bool c1;

    *sin = trig(TRIG_SIN, a, st, cc);
    c1 = st->c1;
    *cos = trig(TRIG_COS, a, st, cc);
    st->c1 = st->c1 || c1;
}
