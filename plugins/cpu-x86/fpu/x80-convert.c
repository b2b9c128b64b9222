/*
 * x80-convert.c - x87 conversions: integers (FILD, FIST/FISTP, FISTTP),
 * IEEE single/double bit patterns (FLD m32/m64, FST m32/m64) and 18-digit
 * packed BCD (FBLD, FBSTP).  Masked responses only; integer C only.
 */
#include "x80-internal.h"

static FloatX80 from_magnitude(bool sign, uint64_t mag)
{
    int s;

    if (mag == 0) {
        return x80_zero(false);
    }
    s = clz64(mag);
    return x80_make(sign, (uint16_t)(X80_BIAS + 63 - s), mag << s);
}

FloatX80 x80_from_int16(int16_t v)
{
    return x80_from_int64(v);
}

FloatX80 x80_from_int32(int32_t v)
{
    return x80_from_int64(v);
}

FloatX80 x80_from_int64(int64_t v)
{
    uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
    return from_magnitude(v < 0, mag);
}

/*
 * Round a to an integer (rc, or toward zero when trunc) and check it fits
 * in a signed integer of the given width; IE + indefinite otherwise.
 */
static int64_t to_int(FloatX80 a, X80Status *st, int bits, bool trunc)
{
    X80Unpacked ua = x80_unpack(a);
    int64_t indefinite = -(int64_t)(UINT64_C(1) << (bits - 2)) * 2;
    uint64_t limit;
    bool inexact, up;
    U128 m;

    st->c1 = false;
    if (ua.kind == X80K_INVALID || ua.kind == X80K_INF ||
        x80_kind_is_nan(ua.kind)) {
        st->flags |= X80_FLAG_IE;
        return indefinite;
    }
    if (ua.kind == X80K_ZERO) {
        return 0;
    }
    /* No DE here: the host x87 does not report it for FIST/FISTTP. */
    if (ua.exp >= 64) {
        st->flags |= X80_FLAG_IE;
        return indefinite;
    }
    m = x80_round_to_integer(ua.sign, ua.exp, ua.sig,
                             trunc ? X80_RC_ZERO : st->rounding,
                             &inexact, &up);
    limit = (UINT64_C(1) << (bits - 1)) - !ua.sign;
    if (m.hi != 0 || m.lo > limit) {
        st->flags |= X80_FLAG_IE;
        return indefinite;
    }
    if (inexact) {
        st->flags |= X80_FLAG_PE;
    }
    st->c1 = up;
    if (!ua.sign || m.lo == 0) {
        return (int64_t)m.lo;
    }
    return -(int64_t)(m.lo - 1) - 1;     /* no overflow for -2^63 */
}

int16_t x80_to_int16(FloatX80 a, X80Status *st)
{
    return (int16_t)to_int(a, st, 16, false);
}

int32_t x80_to_int32(FloatX80 a, X80Status *st)
{
    return (int32_t)to_int(a, st, 32, false);
}

int64_t x80_to_int64(FloatX80 a, X80Status *st)
{
    return to_int(a, st, 64, false);
}

int16_t x80_to_int16_trunc(FloatX80 a, X80Status *st)
{
    return (int16_t)to_int(a, st, 16, true);
}

int32_t x80_to_int32_trunc(FloatX80 a, X80Status *st)
{
    return (int32_t)to_int(a, st, 32, true);
}

int64_t x80_to_int64_trunc(FloatX80 a, X80Status *st)
{
    return to_int(a, st, 64, true);
}

/* An IEEE binary format with frac_bits fraction bits and exp_bits. */
typedef struct {
    int frac_bits;
    int exp_bits;
} IeeeFormat;

static const IeeeFormat ieee32 = { 23, 8 };
static const IeeeFormat ieee64 = { 52, 11 };

static FloatX80 from_ieee(uint64_t f, const IeeeFormat *fmt, bool quiet_snan,
                          X80Status *st)
{
    int32_t bias = (1 << (fmt->exp_bits - 1)) - 1;
    int32_t max_exp = (1 << fmt->exp_bits) - 1;
    bool sign = (f >> (fmt->frac_bits + fmt->exp_bits)) & 1;
    int32_t e = (int32_t)((f >> fmt->frac_bits) & (uint64_t)max_exp);
    uint64_t frac = f & ((UINT64_C(1) << fmt->frac_bits) - 1);
    X80Status exact = *st;

    st->c1 = false;
    if (e == max_exp) {
        uint64_t mant = X80_INT_BIT | (frac << (63 - fmt->frac_bits));
        if (frac == 0) {
            return x80_inf(sign);
        }
        if (!quiet_snan) {
            return x80_make(sign, X80_EXP_MAX, mant);
        }
        if (!(mant & X80_QUIET_BIT)) {
            st->flags |= X80_FLAG_IE;
        }
        return x80_make(sign, X80_EXP_MAX, mant | X80_QUIET_BIT);
    }
    if (e == 0) {
        if (frac == 0) {
            return x80_zero(sign);
        }
        st->flags |= X80_FLAG_DE;
        e = 1;
    } else {
        frac |= UINT64_C(1) << fmt->frac_bits;
    }
    return x80_round_pack(sign, e - bias - fmt->frac_bits + 63,
                          u128_make(frac, 0), 64, &exact);
}

static uint64_t pack_ieee(bool sign, uint64_t exp_field, uint64_t frac,
                          const IeeeFormat *fmt)
{
    return ((uint64_t)sign << (fmt->frac_bits + fmt->exp_bits)) |
           (exp_field << fmt->frac_bits) | frac;
}

static uint64_t to_ieee(FloatX80 a, const IeeeFormat *fmt, X80Status *st)
{
    X80Unpacked ua = x80_unpack(a);
    int32_t bias = (1 << (fmt->exp_bits - 1)) - 1;
    uint64_t max_exp = (UINT64_C(1) << fmt->exp_bits) - 1;
    uint64_t frac_mask = (UINT64_C(1) << fmt->frac_bits) - 1;
    uint64_t quiet = UINT64_C(1) << (fmt->frac_bits - 1);
    X80Format rf = { fmt->frac_bits + 1, 1 - bias, bias };
    X80Rounded r;

    st->c1 = false;
    switch (ua.kind) {
    case X80K_INVALID:
        st->flags |= X80_FLAG_IE;
        return pack_ieee(true, max_exp, quiet, fmt);
    case X80K_SNAN:
        st->flags |= X80_FLAG_IE;
        /* fall through */
    case X80K_QNAN:
        return pack_ieee(ua.sign, max_exp,
                         ((a.mant >> (63 - fmt->frac_bits)) & frac_mask) |
                         quiet, fmt);
    case X80K_INF:
        return pack_ieee(ua.sign, max_exp, 0, fmt);
    case X80K_ZERO:
        return pack_ieee(ua.sign, 0, 0, fmt);
    default:
        break;
    }
    /* No DE here: the host x87 does not report it for FST m32/m64. */
    r = x80_round(ua.sign, ua.exp, u128_make(ua.sig, 0), &rf, st);
    if (r.overflow_inf) {
        return pack_ieee(r.sign, max_exp, 0, fmt);
    }
    if (!(r.sig & X80_INT_BIT)) {
        return pack_ieee(r.sign, 0, r.sig >> (63 - fmt->frac_bits), fmt);
    }
    return pack_ieee(r.sign, (uint64_t)(r.exp + bias),
                     (r.sig >> (63 - fmt->frac_bits)) & frac_mask, fmt);
}

FloatX80 x80_from_f32(uint32_t f, X80Status *st)
{
    return from_ieee(f, &ieee32, true, st);
}

/* Widen a memory operand: exact, SNaN kept, denormal noted not raised. */
static X80Operand mem_operand(uint64_t f, const IeeeFormat *fmt)
{
    X80Status scratch = { 0, 64, 0, false };
    X80Operand o;

    o.v = from_ieee(f, fmt, false, &scratch);
    o.denormal = (scratch.flags & X80_FLAG_DE) != 0;
    return o;
}

static X80Operand reg_operand(FloatX80 a)
{
    X80Operand o = { a, false };
    return o;
}

FloatX80 x80_binop_f32(X80BinOp op, FloatX80 a, uint32_t m, X80Status *st)
{
    return x80_binop_operands(op, reg_operand(a), mem_operand(m, &ieee32),
                              st);
}

FloatX80 x80_binop_f64(X80BinOp op, FloatX80 a, uint64_t m, X80Status *st)
{
    return x80_binop_operands(op, reg_operand(a), mem_operand(m, &ieee64),
                              st);
}

X80Relation x80_compare_f32(FloatX80 a, uint32_t m, bool signaling,
                            X80Status *st)
{
    return x80_compare_operands(reg_operand(a), mem_operand(m, &ieee32),
                                signaling, st);
}

X80Relation x80_compare_f64(FloatX80 a, uint64_t m, bool signaling,
                            X80Status *st)
{
    return x80_compare_operands(reg_operand(a), mem_operand(m, &ieee64),
                                signaling, st);
}

FloatX80 x80_from_f64(uint64_t f, X80Status *st)
{
    return from_ieee(f, &ieee64, true, st);
}

uint32_t x80_to_f32(FloatX80 a, X80Status *st)
{
    return (uint32_t)to_ieee(a, &ieee32, st);
}

uint64_t x80_to_f64(FloatX80 a, X80Status *st)
{
    return to_ieee(a, &ieee64, st);
}

FloatX80 x80_from_bcd(const uint8_t bcd[10])
{
    uint64_t v = 0;
    bool sign = (bcd[9] & 0x80) != 0;

    for (int i = 8; i >= 0; i--) {
        v = v * 100 + (uint64_t)(bcd[i] >> 4) * 10 + (bcd[i] & 0xF);
    }
    if (v == 0) {
        return x80_zero(sign);
    }
    return from_magnitude(sign, v);
}

static void bcd_indefinite(uint8_t bcd[10], X80Status *st)
{
    static const uint8_t indef[10] = { 0, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF, 0xFF };

    st->flags |= X80_FLAG_IE;
    for (int i = 0; i < 10; i++) {
        bcd[i] = indef[i];
    }
}

void x80_to_bcd(FloatX80 a, X80Status *st, uint8_t bcd[10])
{
    static const uint64_t max_bcd = UINT64_C(999999999999999999);
    X80Unpacked ua = x80_unpack(a);
    bool inexact = false, up = false;
    uint64_t v = 0;

    st->c1 = false;
    if (ua.kind == X80K_INVALID || ua.kind == X80K_INF ||
        x80_kind_is_nan(ua.kind) ||
        (ua.kind == X80K_FINITE && ua.exp >= 64)) {
        bcd_indefinite(bcd, st);
        return;
    }
    if (ua.kind == X80K_FINITE) {
        U128 m;
        /* No DE here: the host x87 does not report it for FBSTP. */
        m = x80_round_to_integer(ua.sign, ua.exp, ua.sig, st->rounding,
                                 &inexact, &up);
        if (m.hi != 0 || m.lo > max_bcd) {
            bcd_indefinite(bcd, st);
            return;
        }
        v = m.lo;
    }
    for (int i = 0; i < 9; i++) {
        uint8_t lo = (uint8_t)(v % 10), hi = (uint8_t)(v / 10 % 10);
        bcd[i] = (uint8_t)(hi << 4 | lo);
        v /= 100;
    }
    bcd[9] = ua.sign ? 0x80 : 0;
    if (inexact) {
        st->flags |= X80_FLAG_PE;
    }
    st->c1 = up;
}
