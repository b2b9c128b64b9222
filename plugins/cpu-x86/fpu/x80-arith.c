/*
 * x80-arith.c - x87 arithmetic on FloatX80: add, sub, mul, div, sqrt,
 * FPREM/FPREM1, FRNDINT, FSCALE, FXTRACT, compares, FABS/FCHS, FXAM and
 * the load-constant instructions.  Masked responses only; integer C only.
 */
#include "x80-internal.h"

static U128 sig_hi(uint64_t sig)
{
    return u128_make(sig, 0);
}

static void note_denormals(X80Unpacked a, X80Unpacked b, X80Status *st)
{
    if (a.denormal || b.denormal) {
        st->flags |= X80_FLAG_DE;
    }
}

static FloatX80 raise_invalid(X80Status *st)
{
    st->flags |= X80_FLAG_IE;
    st->c1 = false;
    return x80_default_nan;
}

/* |a| >= |b| for finite nonzero unpacked values. */
static bool mag_ge(X80Unpacked a, X80Unpacked b)
{
    return a.exp != b.exp ? a.exp > b.exp : a.sig >= b.sig;
}

static FloatX80 add_finite(X80Unpacked a, X80Unpacked b, X80Status *st)
{
    U128 big, small, r;
    int32_t exp;
    bool sign;

    if (!mag_ge(a, b)) {
        X80Unpacked t = a;
        a = b;
        b = t;
    }
    sign = a.sign;
    if (a.sign == b.sign) {
        big = u128_shr(sig_hi(a.sig), 1);
        small = u128_shr_jam(sig_hi(b.sig), a.exp - b.exp + 1);
        r = u128_add(big, small);
        exp = a.exp + 1;
    } else {
        small = u128_shr_jam(sig_hi(b.sig), a.exp - b.exp);
        r = u128_sub(sig_hi(a.sig), small);
        exp = a.exp;
        if (u128_is_zero(r)) {
            st->c1 = false;
            return x80_zero(st->rounding == X80_RC_DOWN);
        }
    }
    return x80_round_pack(sign, exp, r, st->precision, st);
}

static X80Unpacked unpack_operand(X80Operand a)
{
    X80Unpacked u = x80_unpack(a.v);
    u.denormal |= a.denormal;
    return u;
}

static X80Operand reg(FloatX80 v)
{
    X80Operand o = { v, false };
    return o;
}

static FloatX80 addsub(X80Operand a, X80Operand b, bool negate_b,
                       X80Status *st)
{
    X80Unpacked ua = unpack_operand(a), ub = unpack_operand(b);
    FloatX80 res;

    st->c1 = false;
    if (x80_pick_nan2(a.v, ua, b.v, ub, st, &res)) {
        return res;
    }
    ub.sign ^= negate_b;
    if (ua.kind == X80K_INF && ub.kind == X80K_INF && ua.sign != ub.sign) {
        return raise_invalid(st);
    }
    note_denormals(ua, ub, st);
    if (ua.kind == X80K_INF || ub.kind == X80K_INF) {
        return x80_inf(ua.kind == X80K_INF ? ua.sign : ub.sign);
    }
    if (ua.kind == X80K_ZERO && ub.kind == X80K_ZERO) {
        bool neg = ua.sign == ub.sign ? ua.sign
                                      : st->rounding == X80_RC_DOWN;
        return x80_zero(neg);
    }
    if (ua.kind == X80K_ZERO || ub.kind == X80K_ZERO) {
        X80Unpacked u = ua.kind == X80K_ZERO ? ub : ua;
        return x80_round_pack(u.sign, u.exp, sig_hi(u.sig), st->precision,
                              st);
    }
    return add_finite(ua, ub, st);
}

FloatX80 x80_add(FloatX80 a, FloatX80 b, X80Status *st)
{
    return addsub(reg(a), reg(b), false, st);
}

FloatX80 x80_sub(FloatX80 a, FloatX80 b, X80Status *st)
{
    return addsub(reg(a), reg(b), true, st);
}

static FloatX80 mul_op(X80Operand a, X80Operand b, X80Status *st)
{
    X80Unpacked ua = unpack_operand(a), ub = unpack_operand(b);
    bool sign = ua.sign ^ ub.sign;
    FloatX80 res;

    st->c1 = false;
    if (x80_pick_nan2(a.v, ua, b.v, ub, st, &res)) {
        return res;
    }
    if ((ua.kind == X80K_INF && ub.kind == X80K_ZERO) ||
        (ua.kind == X80K_ZERO && ub.kind == X80K_INF)) {
        return raise_invalid(st);
    }
    note_denormals(ua, ub, st);
    if (ua.kind == X80K_INF || ub.kind == X80K_INF) {
        return x80_inf(sign);
    }
    if (ua.kind == X80K_ZERO || ub.kind == X80K_ZERO) {
        return x80_zero(sign);
    }
    return x80_round_pack(sign, ua.exp + ub.exp + 1,
                          u128_mul64(ua.sig, ub.sig), st->precision, st);
}

/* 128-bit quotient of two normalized significands, sticky in bit 0. */
static U128 divide_sigs(uint64_t a, uint64_t b, int32_t *exp_adj)
{
    uint64_t q1, q2, r;

    if (a >= b) {
        q1 = u128_div64(a >> 1, a << 63, b, &r);
        *exp_adj = 0;
    } else {
        q1 = u128_div64(a, 0, b, &r);
        *exp_adj = -1;
    }
    q2 = u128_div64(r, 0, b, &r);
    return u128_make(q1, q2 | (r != 0));
}

FloatX80 x80_mul(FloatX80 a, FloatX80 b, X80Status *st)
{
    return mul_op(reg(a), reg(b), st);
}

static FloatX80 div_op(X80Operand a, X80Operand b, X80Status *st)
{
    X80Unpacked ua = unpack_operand(a), ub = unpack_operand(b);
    bool sign = ua.sign ^ ub.sign;
    FloatX80 res;
    int32_t adj;
    U128 q;

    st->c1 = false;
    if (x80_pick_nan2(a.v, ua, b.v, ub, st, &res)) {
        return res;
    }
    if ((ua.kind == X80K_INF && ub.kind == X80K_INF) ||
        (ua.kind == X80K_ZERO && ub.kind == X80K_ZERO)) {
        return raise_invalid(st);
    }
    if (ub.kind == X80K_ZERO && ua.kind != X80K_INF) {
        st->flags |= X80_FLAG_ZE;
        return x80_inf(sign);
    }
    note_denormals(ua, ub, st);
    if (ua.kind == X80K_INF) {
        return x80_inf(sign);
    }
    if (ua.kind == X80K_ZERO || ub.kind == X80K_INF) {
        return x80_zero(sign);
    }
    q = divide_sigs(ua.sig, ub.sig, &adj);
    return x80_round_pack(sign, ua.exp - ub.exp + adj, q, st->precision, st);
}

FloatX80 x80_div(FloatX80 a, FloatX80 b, X80Status *st)
{
    return div_op(reg(a), reg(b), st);
}

FloatX80 x80_binop_operands(X80BinOp op, X80Operand a, X80Operand b,
                            X80Status *st)
{
    switch (op) {
    case X80_OP_ADD:
        return addsub(a, b, false, st);
    case X80_OP_SUB:
        return addsub(a, b, true, st);
    case X80_OP_SUBR:
        return addsub(b, a, true, st);
    case X80_OP_MUL:
        return mul_op(a, b, st);
    case X80_OP_DIV:
        return div_op(a, b, st);
    default:
        return div_op(b, a, st);
    }
}

FloatX80 x80_binop(X80BinOp op, FloatX80 a, FloatX80 b, X80Status *st)
{
    return x80_binop_operands(op, reg(a), reg(b), st);
}

/* Bit pair number i (bits 2i+1, 2i) of m * 2^shift. */
static unsigned radicand_pair(U128 m, int shift, int i)
{
    int pos = 2 * i - shift;
    if (pos < 0) {
        return 0;
    }
    return (unsigned)(u128_shr(m, pos).lo & 3);
}

/* Digit-by-digit square root of m * 2^68 (m < 2^66): ~67-bit root. */
static U128 sqrt_sig(U128 m, bool *inexact)
{
    U128 rem = u128_make(0, 0), root = u128_make(0, 0);

    for (int i = 66; i >= 0; i--) {
        U128 trial;
        rem = u128_shl(rem, 2);
        rem.lo |= radicand_pair(m, 68, i);
        trial = u128_shl(root, 2);
        trial.lo |= 1;
        root = u128_shl(root, 1);
        if (u128_cmp(rem, trial) >= 0) {
            rem = u128_sub(rem, trial);
            root.lo |= 1;
        }
    }
    *inexact = !u128_is_zero(rem);
    return root;
}

FloatX80 x80_sqrt(FloatX80 a, X80Status *st)
{
    X80Unpacked ua = x80_unpack(a);
    FloatX80 res;
    int32_t e;
    U128 m, root;
    bool sticky;

    st->c1 = false;
    if (x80_pick_nan1(a, ua, st, &res)) {
        return res;
    }
    if (ua.kind == X80K_ZERO) {
        return a;
    }
    if (ua.sign) {
        return raise_invalid(st);
    }
    note_denormals(ua, ua, st);
    if (ua.kind == X80K_INF) {
        return a;
    }
    e = ua.exp - 63;
    m = u128_make(0, ua.sig);
    if (e & 1) {
        m = u128_shl(m, 1);
        e -= 1;
    }
    root = sqrt_sig(m, &sticky);
    root.lo |= sticky;
    /* sqrt = root * 2^(e/2 - 34) = root * 2^(exp - 127) */
    return x80_round_pack(false, e / 2 - 34 + 127, root, st->precision, st);
}

/* Quotient bits Q2 Q1 Q0 into C0 C3 C1. */
static uint16_t quotient_cc(uint64_t q)
{
    return (uint16_t)(((q & 4) ? X80_C0 : 0) | ((q & 2) ? X80_C3 : 0) |
                      ((q & 1) ? X80_C1 : 0));
}

/* Exact remainder sig * 2^(exp - 63) repacked at 64-bit precision. */
static FloatX80 pack_exact(bool sign, int32_t exp, uint64_t sig,
                           X80Status *st)
{
    if (sig == 0) {
        return x80_zero(sign);
    }
    return x80_round_pack(sign, exp, sig_hi(sig), 64, st);
}

static FloatX80 prem_common(FloatX80 a, FloatX80 b, bool nearest,
                            X80Status *st, uint16_t *cc)
{
    X80Unpacked ua = x80_unpack(a), ub = x80_unpack(b);
    FloatX80 res;
    int32_t d;
    uint64_t q, r;
    bool sign = ua.sign;

    *cc = 0;
    st->c1 = false;
    if (x80_pick_nan2(a, ua, b, ub, st, &res)) {
        return res;
    }
    if (ua.kind == X80K_INF || ub.kind == X80K_ZERO) {
        return raise_invalid(st);
    }
    note_denormals(ua, ub, st);
    if (ua.kind == X80K_ZERO) {
        return a;
    }
    if (ub.kind == X80K_INF) {
        return pack_exact(sign, ua.exp, ua.sig, st);
    }
    d = ua.exp - ub.exp;
    if (d >= 64) {
        int n = 32 + (d - 64) % 32;       /* TODO: match hardware */
        q = u128_div64(ua.sig >> (64 - n), ua.sig << n, ub.sig, &r);
        *cc = X80_C2;
        return pack_exact(sign, ub.exp + d - n, r, st);
    }
    if (d < 0) {
        if (!nearest || d < -1 || ua.sig <= ub.sig) {
            *cc = 0;
            return x80_round_pack(sign, ua.exp, sig_hi(ua.sig), 64, st);
        }
        /* d == -1 and 2|a| > |b|: a - b has magnitude |b| - |a| */
        {
            U128 diff = u128_sub(u128_make(ub.sig, 0),
                                 u128_shr(u128_make(ua.sig, 0), 1));
            *cc = quotient_cc(1);
            return x80_round_pack(!sign, ub.exp, diff, 64, st);
        }
    }
    if (d == 0) {
        q = ua.sig >= ub.sig;
        r = ua.sig - (q ? ub.sig : 0);
    } else {
        q = u128_div64(ua.sig >> (64 - d), ua.sig << d, ub.sig, &r);
    }
    if (nearest && (r > ub.sig - r || (r == ub.sig - r && (q & 1)))) {
        q++;
        r = ub.sig - r;
        sign = !sign;
    }
    *cc = quotient_cc(q);
    return pack_exact(r ? sign : ua.sign, ub.exp, r, st);
}

FloatX80 x80_prem(FloatX80 a, FloatX80 b, X80Status *st, uint16_t *cc)
{
    return prem_common(a, b, false, st, cc);
}

FloatX80 x80_prem1(FloatX80 a, FloatX80 b, X80Status *st, uint16_t *cc)
{
    return prem_common(a, b, true, st, cc);
}

FloatX80 x80_round_to_int(FloatX80 a, X80Status *st)
{
    X80Unpacked ua = x80_unpack(a);
    FloatX80 res;
    bool inexact, up;
    U128 m;

    st->c1 = false;
    if (x80_pick_nan1(a, ua, st, &res)) {
        return res;
    }
    note_denormals(ua, ua, st);
    if (ua.kind != X80K_FINITE || ua.exp >= 63) {
        return ua.kind == X80K_FINITE
               ? x80_round_pack(ua.sign, ua.exp, sig_hi(ua.sig), 64, st) : a;
    }
    m = x80_round_to_integer(ua.sign, ua.exp, ua.sig, st->rounding,
                             &inexact, &up);
    res = u128_is_zero(m) ? x80_zero(ua.sign)
                          : x80_round_pack(ua.sign, 127, m, 64, st);
    if (inexact) {
        st->flags |= X80_FLAG_PE;
    }
    st->c1 = up;
    return res;
}

/* trunc(b) clamped to a range wide enough to over/underflow anything. */
static int32_t scale_amount(X80Unpacked b)
{
    int32_t t;

    if (b.kind == X80K_ZERO || b.exp < 0) {
        return 0;
    }
    t = b.exp >= 20 ? 1 << 20 : (int32_t)(b.sig >> (63 - b.exp));
    return b.sign ? -t : t;
}

FloatX80 x80_scale(FloatX80 a, FloatX80 b, X80Status *st)
{
    X80Unpacked ua = x80_unpack(a), ub = x80_unpack(b);
    FloatX80 res;

    st->c1 = false;
    if (x80_pick_nan2(a, ua, b, ub, st, &res)) {
        return res;
    }
    if (ub.kind == X80K_INF) {
        bool to_big = !ub.sign;
        if ((ua.kind == X80K_ZERO && to_big) ||
            (ua.kind == X80K_INF && !to_big)) {
            return raise_invalid(st);
        }
        note_denormals(ua, ub, st);
        if (ua.kind == X80K_ZERO || ua.kind == X80K_INF) {
            return a;
        }
        return to_big ? x80_inf(ua.sign) : x80_zero(ua.sign);
    }
    note_denormals(ua, ub, st);
    if (ua.kind != X80K_FINITE) {
        return a;
    }
    return x80_round_pack(ua.sign, ua.exp + scale_amount(ub),
                          sig_hi(ua.sig), 64, st);
}

void x80_extract(FloatX80 a, X80Status *st, FloatX80 *sig, FloatX80 *exp)
{
    X80Unpacked ua = x80_unpack(a);
    FloatX80 res;

    st->c1 = false;
    if (x80_pick_nan1(a, ua, st, &res)) {
        *sig = *exp = res;
        return;
    }
    note_denormals(ua, ua, st);
    switch (ua.kind) {
    case X80K_ZERO:
        st->flags |= X80_FLAG_ZE;
        *sig = a;
        *exp = x80_inf(true);
        return;
    case X80K_INF:
        *sig = a;
        *exp = x80_inf(false);
        return;
    default:
        *sig = x80_make(ua.sign, X80_BIAS, ua.sig);
        *exp = x80_from_int32(ua.exp);
        return;
    }
}

static int compare_finite(X80Unpacked a, X80Unpacked b)
{
    int mag;

    if (a.kind == X80K_ZERO && b.kind == X80K_ZERO) {
        return 0;
    }
    if (a.sign != b.sign) {
        return a.sign ? -1 : 1;
    }
    if (a.kind == b.kind && a.kind != X80K_FINITE) {
        return 0;                      /* same-signed infinities */
    }
    if (a.kind == X80K_INF || b.kind == X80K_ZERO) {
        mag = 1;
    } else if (b.kind == X80K_INF || a.kind == X80K_ZERO) {
        mag = -1;
    } else if (a.exp != b.exp) {
        mag = a.exp > b.exp ? 1 : -1;
    } else {
        mag = a.sig > b.sig ? 1 : a.sig < b.sig ? -1 : 0;
    }
    return a.sign ? -mag : mag;
}

X80Relation x80_compare_operands(X80Operand a, X80Operand b, bool signaling,
                                 X80Status *st)
{
    X80Unpacked ua = unpack_operand(a), ub = unpack_operand(b);
    bool an = x80_kind_is_nan(ua.kind), bn = x80_kind_is_nan(ub.kind);
    int c;

    st->c1 = false;
    if (ua.kind == X80K_INVALID || ub.kind == X80K_INVALID) {
        st->flags |= X80_FLAG_IE;
        return X80_UNORDERED;
    }
    if (an || bn) {
        if (signaling || ua.kind == X80K_SNAN || ub.kind == X80K_SNAN) {
            st->flags |= X80_FLAG_IE;
        }
        return X80_UNORDERED;
    }
    note_denormals(ua, ub, st);
    c = compare_finite(ua, ub);
    return c < 0 ? X80_LESS : c > 0 ? X80_GREATER : X80_EQUAL;
}

X80Relation x80_compare(FloatX80 a, FloatX80 b, bool signaling, X80Status *st)
{
    return x80_compare_operands(reg(a), reg(b), signaling, st);
}

uint16_t x80_relation_to_cc(X80Relation r)
{
    switch (r) {
    case X80_LESS:
        return X80_C0;
    case X80_EQUAL:
        return X80_C3;
    case X80_GREATER:
        return 0;
    default:
        return X80_C0 | X80_C2 | X80_C3;
    }
}

uint32_t x80_relation_to_eflags(X80Relation r)
{
    enum { CF = 1 << 0, PF = 1 << 2, ZF = 1 << 6 };

    switch (r) {
    case X80_LESS:
        return CF;
    case X80_EQUAL:
        return ZF;
    case X80_GREATER:
        return 0;
    default:
        return ZF | PF | CF;
    }
}

FloatX80 x80_abs(FloatX80 a, X80Status *st)
{
    st->c1 = false;
    a.sign_exp &= 0x7FFF;
    return a;
}

FloatX80 x80_chs(FloatX80 a, X80Status *st)
{
    st->c1 = false;
    a.sign_exp ^= 0x8000;
    return a;
}

uint16_t x80_examine(FloatX80 a)
{
    uint16_t sign = (a.sign_exp & 0x8000) ? X80_C1 : 0;
    uint16_t e = a.sign_exp & X80_EXP_MAX;
    bool int_bit = (a.mant & X80_INT_BIT) != 0;

    if (e == X80_EXP_MAX) {
        if (!int_bit) {
            return sign;                           /* unsupported */
        }
        return sign | ((a.mant << 1) ? X80_C0 : (X80_C2 | X80_C0));
    }
    if (e == 0) {
        return sign | (a.mant ? (X80_C3 | X80_C2) : X80_C3);
    }
    return sign | (int_bit ? X80_C2 : 0);
}

/* 128-bit significands of the constants; value = sig * 2^(exp - 127). */
static const struct {
    uint64_t hi, lo;
    int32_t exp;
} x80_constants[] = {
    [X80_CONST_ONE] = { UINT64_C(0x8000000000000000), 0, 0 },
    [X80_CONST_L2T] = { UINT64_C(0xd49a784bcd1b8afe),
                        UINT64_C(0x492bf6ff4dafdb4c), 1 },
    [X80_CONST_L2E] = { UINT64_C(0xb8aa3b295c17f0bb),
                        UINT64_C(0xbe87fed0691d3e88), 0 },
    [X80_CONST_PI] = { UINT64_C(0xc90fdaa22168c234),
                       UINT64_C(0xc4c6628b80dc1cd1), 1 },
    [X80_CONST_LG2] = { UINT64_C(0x9a209a84fbcff798),
                        UINT64_C(0x8f8959ac0b7c9178), -2 },
    [X80_CONST_LN2] = { UINT64_C(0xb17217f7d1cf79ab),
                        UINT64_C(0xc9e3b39803f2f6af), -1 },
};

FloatX80 x80_constant(X80Constant c, X80Status *st)
{
    X80Status tmp = *st;

    st->c1 = false;
    if (c == X80_CONST_ZERO) {
        return x80_zero(false);
    }
    return x80_round_pack(false, x80_constants[c].exp,
                          u128_make(x80_constants[c].hi, x80_constants[c].lo),
                          64, &tmp);
}
