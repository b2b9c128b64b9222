/*
 * softfloat-x80.h - portable x87 80-bit extended-precision arithmetic.
 *
 * The arithmetic core behind the x86 CPU's x87 FPU: every operation is
 * computed with integer C only (uint64_t plus a 128-bit helper type), never
 * with host floating point, so results do not depend on the host having an
 * x87.  Results, exception flags and condition codes follow what a real
 * x87 (Intel SDM vol. 1 ch. 8, checked against host hardware by
 * tests/unit/x87) produces with ALL EXCEPTIONS MASKED: the functions
 * return the masked response, except for overflow and underflow of
 * extended-precision results (X80Status.unmasked).  When the guest has an
 * exception unmasked the caller decides what to do with the flags (e.g.
 * not writing the destination for an unmasked IE/ZE).
 *
 * Conventions:
 *  - X80Status.flags accumulates (ORs) X80_FLAG_* bits; clear it yourself.
 *  - X80Status.c1 is written by every rounding operation: true when the
 *    result's magnitude was rounded up (FSW.C1), false otherwise.
 *  - Condition codes are returned in FSW bit positions (X80_C0..X80_C3).
 *  - Precision control (X80Status.precision = 24, 53 or 64) only affects
 *    x80_add/sub/mul/div/sqrt, as on hardware; everything else rounds to
 *    64 bits.
 */
#ifndef SOFTFLOAT_X80_H
#define SOFTFLOAT_X80_H

#include <stdbool.h>
#include <stdint.h>

/* Same layout as the 10-byte memory format on a little-endian host. */
typedef struct {
    uint64_t mant;      /* explicit integer bit at bit 63 */
    uint16_t sign_exp;  /* bit 15 sign, bits 14..0 biased exponent (16383) */
} FloatX80;

enum {                       /* x87 RC encoding */
    X80_RC_NEAREST = 0,
    X80_RC_DOWN = 1,
    X80_RC_UP = 2,
    X80_RC_ZERO = 3,
};

enum {                       /* x87 status word exception bits */
    X80_FLAG_IE = 1 << 0,
    X80_FLAG_DE = 1 << 1,
    X80_FLAG_ZE = 1 << 2,
    X80_FLAG_OE = 1 << 3,
    X80_FLAG_UE = 1 << 4,
    X80_FLAG_PE = 1 << 5,
};

enum {                       /* condition codes, in FSW bit positions */
    X80_C0 = 1 << 8,
    X80_C1 = 1 << 9,
    X80_C2 = 1 << 10,
    X80_C3 = 1 << 14,
};

typedef struct {
    uint8_t rounding;   /* X80_RC_* */
    uint8_t precision;  /* significand bits: 24, 53 or 64 */
    uint8_t flags;      /* X80_FLAG_*, sticky */
    bool c1;            /* round-up indicator of the last operation */
    /* X80_FLAG_OE / X80_FLAG_UE unmasked: a result rounded to the extended
     * format that overflows or is tiny gets the unmasked response, its
     * exponent adjusted by -/+ 24576 (UE then also for an exact result). */
    uint8_t unmasked;
} X80Status;

typedef enum {
    X80_LESS = 0,
    X80_EQUAL = 1,
    X80_GREATER = 2,
    X80_UNORDERED = 3,
} X80Relation;

typedef enum {               /* x87 FLDxx constants */
    X80_CONST_ONE,           /* FLD1 */
    X80_CONST_L2T,           /* FLDL2T log2(10) */
    X80_CONST_L2E,           /* FLDL2E log2(e) */
    X80_CONST_PI,            /* FLDPI */
    X80_CONST_LG2,           /* FLDLG2 log10(2) */
    X80_CONST_LN2,           /* FLDLN2 ln(2) */
    X80_CONST_ZERO,          /* FLDZ */
} X80Constant;

/* Real indefinite, the default QNaN: sign 1, exp 0x7FFF, C000000000000000 */
extern const FloatX80 x80_default_nan;

/* Status from the x87 control word (RC bits 11:10, PC bits 9:8, masks). */
void x80_status_from_cw(X80Status *st, uint16_t fcw);

typedef enum {               /* two-operand arithmetic, a = ST0 side */
    X80_OP_ADD,              /* a + b */
    X80_OP_SUB,              /* a - b */
    X80_OP_SUBR,             /* b - a */
    X80_OP_MUL,              /* a * b */
    X80_OP_DIV,              /* a / b */
    X80_OP_DIVR,             /* b / a */
} X80BinOp;

/* Arithmetic (FADD, FSUB, FMUL, FDIV, FSQRT): rounded to st->precision. */
FloatX80 x80_binop(X80BinOp op, FloatX80 a, FloatX80 b, X80Status *st);
FloatX80 x80_add(FloatX80 a, FloatX80 b, X80Status *st);
FloatX80 x80_sub(FloatX80 a, FloatX80 b, X80Status *st);      /* a - b */
FloatX80 x80_mul(FloatX80 a, FloatX80 b, X80Status *st);
FloatX80 x80_div(FloatX80 a, FloatX80 b, X80Status *st);      /* a / b */
FloatX80 x80_sqrt(FloatX80 a, X80Status *st);

/*
 * FPREM (x80_prem, quotient truncated) and FPREM1 (x80_prem1, IEEE
 * remainder): a = ST0, b = ST1.  *cc receives C0/C1/C2/C3 as FSW bits:
 * C2 set when the reduction is incomplete (call again), otherwise
 * C0 = Q2, C3 = Q1, C1 = Q0 of the quotient.
 */
FloatX80 x80_prem(FloatX80 a, FloatX80 b, X80Status *st, uint16_t *cc);
FloatX80 x80_prem1(FloatX80 a, FloatX80 b, X80Status *st, uint16_t *cc);

FloatX80 x80_round_to_int(FloatX80 a, X80Status *st);         /* FRNDINT */
FloatX80 x80_scale(FloatX80 a, FloatX80 b, X80Status *st);    /* FSCALE a*2^trunc(b) */
/* FXTRACT: *sig gets the new ST0, *exp the value pushed below it (ST1). */
void x80_extract(FloatX80 a, X80Status *st, FloatX80 *sig, FloatX80 *exp);

/* FCOM (signaling=true: IE for any NaN) / FUCOM (IE for SNaN only). */
X80Relation x80_compare(FloatX80 a, FloatX80 b, bool signaling, X80Status *st);
uint16_t x80_relation_to_cc(X80Relation r);     /* C3 C2 C0 as FSW bits */
/* FCOMI/FUCOMI: ZF (bit 6), PF (bit 2), CF (bit 0) as in EFLAGS. */
uint32_t x80_relation_to_eflags(X80Relation r);

/* FABS / FCHS: no exceptions, C1 cleared. */
FloatX80 x80_abs(FloatX80 a, X80Status *st);
FloatX80 x80_chs(FloatX80 a, X80Status *st);
#define x80_neg x80_chs

/* FXAM: C3 C2 C0 class bits plus C1 = sign (register assumed non-empty). */
uint16_t x80_examine(FloatX80 a);

/* FLD1, FLDL2T, ...: rounded per st->rounding; no flags. */
FloatX80 x80_constant(X80Constant c, X80Status *st);

/* FILD (exact). */
FloatX80 x80_from_int16(int16_t v);
FloatX80 x80_from_int32(int32_t v);
FloatX80 x80_from_int64(int64_t v);
/* FIST/FISTP: rounded per st->rounding; IE + integer indefinite on NaN,
 * infinity, unsupported encodings or overflow. */
int16_t x80_to_int16(FloatX80 a, X80Status *st);
int32_t x80_to_int32(FloatX80 a, X80Status *st);
int64_t x80_to_int64(FloatX80 a, X80Status *st);
/* FISTTP: truncation toward zero regardless of RC. */
int16_t x80_to_int16_trunc(FloatX80 a, X80Status *st);
int32_t x80_to_int32_trunc(FloatX80 a, X80Status *st);
int64_t x80_to_int64_trunc(FloatX80 a, X80Status *st);

/* FLD m32fp / m64fp (bit patterns): exact; IE for SNaN, DE for denormal. */
FloatX80 x80_from_f32(uint32_t f, X80Status *st);
FloatX80 x80_from_f64(uint64_t f, X80Status *st);
/*
 * FADD/FSUB/FSUBR/FMUL/FDIV/FDIVR and FCOM/FUCOM with an m32fp/m64fp
 * memory operand m (a = ST0): the operand is widened exactly, an SNaN in
 * memory follows the x87 NaN rules and DE for a denormal m is raised only
 * where the hardware raises it (not when ST0 is a NaN, for instance).
 * For FIADD etc. use x80_binop with x80_from_int32/int16 (exact).
 */
FloatX80 x80_binop_f32(X80BinOp op, FloatX80 a, uint32_t m, X80Status *st);
FloatX80 x80_binop_f64(X80BinOp op, FloatX80 a, uint64_t m, X80Status *st);
X80Relation x80_compare_f32(FloatX80 a, uint32_t m, bool signaling,
                            X80Status *st);
X80Relation x80_compare_f64(FloatX80 a, uint64_t m, bool signaling,
                            X80Status *st);
/* FST m32fp / m64fp: rounded per st->rounding (precision control unused). */
uint32_t x80_to_f32(FloatX80 a, X80Status *st);
uint64_t x80_to_f64(FloatX80 a, X80Status *st);

/* FBLD / FBSTP: 10-byte packed BCD, byte 0 = least significant digits,
 * byte 9 bit 7 = sign.  Out of range / NaN / infinity: IE and the BCD
 * indefinite (FF FF C0 00 .. 00, byte 9 first). */
FloatX80 x80_from_bcd(const uint8_t bcd[10]);
void x80_to_bcd(FloatX80 a, X80Status *st, uint8_t bcd[10]);

/*
 * Transcendentals (x80-trans.c), within 1 ulp, 64-bit precision:
 * F2XM1 2^a - 1; FYL2X y*log2(x) and FYL2XP1 y*log2(x+1) with x = ST0,
 * y = ST1 (the caller stores into ST1 and pops).
 */
FloatX80 x80_f2xm1(FloatX80 a, X80Status *st);
FloatX80 x80_fyl2x(FloatX80 x, FloatX80 y, X80Status *st);
FloatX80 x80_fyl2xp1(FloatX80 x, FloatX80 y, X80Status *st);
/* FPATAN: atan(y/x) with the quadrant of (x, y); x = ST0, y = ST1. */
FloatX80 x80_fpatan(FloatX80 x, FloatX80 y, X80Status *st);
/*
 * FSIN/FCOS/FPTAN/FSINCOS: *cc = X80_C2 when |a| >= 2^63 (a is returned
 * unchanged, the caller must leave the stack as is), else 0.  FPTAN: the
 * caller then pushes 1.0; FSINCOS: ST0 = *cos, below it *sin.  Argument
 * reduction uses 320 bits of 2/pi, so large arguments stay accurate
 * (unlike the hardware's 66-bit pi).
 */
FloatX80 x80_fsin(FloatX80 a, X80Status *st, uint16_t *cc);
FloatX80 x80_fcos(FloatX80 a, X80Status *st, uint16_t *cc);
FloatX80 x80_fptan(FloatX80 a, X80Status *st, uint16_t *cc);
void x80_fsincos(FloatX80 a, X80Status *st, uint16_t *cc, FloatX80 *sin,
                 FloatX80 *cos);

/* Helpers for the CPU: class tests. */
bool x80_is_nan(FloatX80 a);
bool x80_is_signaling_nan(FloatX80 a);
bool x80_is_unsupported(FloatX80 a);   /* unnormal, pseudo-NaN/infinity */

#endif
