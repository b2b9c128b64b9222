/*
 * SSE/SSE2 (and the SSE3/SSSE3/SSE4 pieces glibc's string functions use)
 * as C helpers on the xmm registers in env.  Written lane by lane in
 * portable C; floating point uses the host's IEEE double/float under the
 * guest's rounding mode (the host's MXCSR on x86-64, C99 fenv elsewhere),
 * with the exception flags collected from the host's environment plus
 * what the helpers detect themselves (DE, the NaN rules, conversions);
 * DAZ and FTZ are applied in software.
 * x86_sse_supported() lists the mnemonics x86_helper_sse() implements, so
 * the translator raises #UD for the rest.
 */
#include "x86-cpu.h"
#include <Zydis/Zydis.h>
#include <fenv.h>
#include <math.h>
#include <signal.h>
#include <string.h>

#define M(x) ZYDIS_MNEMONIC_##x

static X86Xmm *xmm_at(void *env, uint64_t off)
{
    return (X86Xmm *)((char *)env + off);
}

static uint8_t sat_u8(int v) { return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v; }
static int8_t sat_s8(int v) { return v < -128 ? -128 : v > 127 ? 127 : (int8_t)v; }
static uint16_t sat_u16(int v) { return v < 0 ? 0 : v > 65535 ? 65535 : (uint16_t)v; }
static int16_t sat_s16(int v)
{
    return v < -32768 ? -32768 : v > 32767 ? 32767 : (int16_t)v;
}

/* Integer lane operations: r = op(a, b) on a copy, then stored. */
static bool sse_int(unsigned m, X86Xmm *r, const X86Xmm *a, const X86Xmm *b)
{
    int i;
    switch (m) {
    case M(PXOR): case M(XORPS): case M(XORPD):
        r->q[0] = a->q[0] ^ b->q[0]; r->q[1] = a->q[1] ^ b->q[1]; break;
    case M(POR): case M(ORPS): case M(ORPD):
        r->q[0] = a->q[0] | b->q[0]; r->q[1] = a->q[1] | b->q[1]; break;
    case M(PAND): case M(ANDPS): case M(ANDPD):
        r->q[0] = a->q[0] & b->q[0]; r->q[1] = a->q[1] & b->q[1]; break;
    case M(PANDN): case M(ANDNPS): case M(ANDNPD):
        r->q[0] = ~a->q[0] & b->q[0]; r->q[1] = ~a->q[1] & b->q[1]; break;
    case M(PADDB): for (i = 0; i < 16; i++) r->b[i] = a->b[i] + b->b[i]; break;
    case M(PADDW): for (i = 0; i < 8; i++) r->w[i] = a->w[i] + b->w[i]; break;
    case M(PADDD): for (i = 0; i < 4; i++) r->l[i] = a->l[i] + b->l[i]; break;
    case M(PADDQ): for (i = 0; i < 2; i++) r->q[i] = a->q[i] + b->q[i]; break;
    case M(PSUBB): for (i = 0; i < 16; i++) r->b[i] = a->b[i] - b->b[i]; break;
    case M(PSUBW): for (i = 0; i < 8; i++) r->w[i] = a->w[i] - b->w[i]; break;
    case M(PSUBD): for (i = 0; i < 4; i++) r->l[i] = a->l[i] - b->l[i]; break;
    case M(PSUBQ): for (i = 0; i < 2; i++) r->q[i] = a->q[i] - b->q[i]; break;
    case M(PADDUSB): for (i = 0; i < 16; i++) r->b[i] = sat_u8(a->b[i] + b->b[i]); break;
    case M(PADDUSW): for (i = 0; i < 8; i++) r->w[i] = sat_u16(a->w[i] + b->w[i]); break;
    case M(PADDSB): for (i = 0; i < 16; i++) r->sb[i] = sat_s8(a->sb[i] + b->sb[i]); break;
    case M(PADDSW): for (i = 0; i < 8; i++) r->sw[i] = sat_s16(a->sw[i] + b->sw[i]); break;
    case M(PSUBUSB): for (i = 0; i < 16; i++) r->b[i] = sat_u8(a->b[i] - b->b[i]); break;
    case M(PSUBUSW): for (i = 0; i < 8; i++) r->w[i] = sat_u16(a->w[i] - b->w[i]); break;
    case M(PSUBSB): for (i = 0; i < 16; i++) r->sb[i] = sat_s8(a->sb[i] - b->sb[i]); break;
    case M(PSUBSW): for (i = 0; i < 8; i++) r->sw[i] = sat_s16(a->sw[i] - b->sw[i]); break;
    case M(PCMPEQB): for (i = 0; i < 16; i++) r->b[i] = a->b[i] == b->b[i] ? 0xff : 0; break;
    case M(PCMPEQW): for (i = 0; i < 8; i++) r->w[i] = a->w[i] == b->w[i] ? 0xffff : 0; break;
    case M(PCMPEQD): for (i = 0; i < 4; i++) r->l[i] = a->l[i] == b->l[i] ? ~0u : 0; break;
    case M(PCMPEQQ): for (i = 0; i < 2; i++) r->q[i] = a->q[i] == b->q[i] ? ~0ull : 0; break;
    case M(PCMPGTB): for (i = 0; i < 16; i++) r->b[i] = a->sb[i] > b->sb[i] ? 0xff : 0; break;
    case M(PCMPGTW): for (i = 0; i < 8; i++) r->w[i] = a->sw[i] > b->sw[i] ? 0xffff : 0; break;
    case M(PCMPGTD): for (i = 0; i < 4; i++) r->l[i] = a->sl[i] > b->sl[i] ? ~0u : 0; break;
    case M(PCMPGTQ): for (i = 0; i < 2; i++) r->q[i] = a->sq[i] > b->sq[i] ? ~0ull : 0; break;
    case M(PMINUB): for (i = 0; i < 16; i++) r->b[i] = MIN(a->b[i], b->b[i]); break;
    case M(PMAXUB): for (i = 0; i < 16; i++) r->b[i] = MAX(a->b[i], b->b[i]); break;
    case M(PMINSW): for (i = 0; i < 8; i++) r->sw[i] = MIN(a->sw[i], b->sw[i]); break;
    case M(PMAXSW): for (i = 0; i < 8; i++) r->sw[i] = MAX(a->sw[i], b->sw[i]); break;
    case M(PMINSB): for (i = 0; i < 16; i++) r->sb[i] = MIN(a->sb[i], b->sb[i]); break;
    case M(PMAXSB): for (i = 0; i < 16; i++) r->sb[i] = MAX(a->sb[i], b->sb[i]); break;
    case M(PMINUW): for (i = 0; i < 8; i++) r->w[i] = MIN(a->w[i], b->w[i]); break;
    case M(PMAXUW): for (i = 0; i < 8; i++) r->w[i] = MAX(a->w[i], b->w[i]); break;
    case M(PMINUD): for (i = 0; i < 4; i++) r->l[i] = MIN(a->l[i], b->l[i]); break;
    case M(PMAXUD): for (i = 0; i < 4; i++) r->l[i] = MAX(a->l[i], b->l[i]); break;
    case M(PMINSD): for (i = 0; i < 4; i++) r->sl[i] = MIN(a->sl[i], b->sl[i]); break;
    case M(PMAXSD): for (i = 0; i < 4; i++) r->sl[i] = MAX(a->sl[i], b->sl[i]); break;
    case M(PAVGB): for (i = 0; i < 16; i++) r->b[i] = (uint8_t)((a->b[i] + b->b[i] + 1) >> 1); break;
    case M(PAVGW): for (i = 0; i < 8; i++) r->w[i] = (uint16_t)((a->w[i] + b->w[i] + 1) >> 1); break;
    case M(PMULLW): for (i = 0; i < 8; i++) r->w[i] = (uint16_t)(a->sw[i] * b->sw[i]); break;
    case M(PMULHW): for (i = 0; i < 8; i++) r->w[i] = (uint16_t)((a->sw[i] * b->sw[i]) >> 16); break;
    case M(PMULHUW): for (i = 0; i < 8; i++) r->w[i] = (uint16_t)(((uint32_t)a->w[i] * b->w[i]) >> 16); break;
    case M(PMULLD): for (i = 0; i < 4; i++) r->l[i] = a->l[i] * b->l[i]; break;
    case M(PMULUDQ): for (i = 0; i < 2; i++) r->q[i] = (uint64_t)a->l[2 * i] * b->l[2 * i]; break;
    case M(PMULDQ): for (i = 0; i < 2; i++) r->sq[i] = (int64_t)a->sl[2 * i] * b->sl[2 * i]; break;
    case M(PMADDWD):
        for (i = 0; i < 4; i++) {
            r->sl[i] = a->sw[2 * i] * b->sw[2 * i] + a->sw[2 * i + 1] * b->sw[2 * i + 1];
        }
        break;
    case M(PSADBW):
        for (i = 0; i < 2; i++) {
            unsigned s = 0;
            for (int k = 0; k < 8; k++) {
                s += (unsigned)abs(a->b[8 * i + k] - b->b[8 * i + k]);
            }
            r->q[i] = s;
        }
        break;
    case M(PUNPCKLBW): for (i = 0; i < 8; i++) { r->b[2 * i] = a->b[i]; r->b[2 * i + 1] = b->b[i]; } break;
    case M(PUNPCKHBW): for (i = 0; i < 8; i++) { r->b[2 * i] = a->b[8 + i]; r->b[2 * i + 1] = b->b[8 + i]; } break;
    case M(PUNPCKLWD): for (i = 0; i < 4; i++) { r->w[2 * i] = a->w[i]; r->w[2 * i + 1] = b->w[i]; } break;
    case M(PUNPCKHWD): for (i = 0; i < 4; i++) { r->w[2 * i] = a->w[4 + i]; r->w[2 * i + 1] = b->w[4 + i]; } break;
    case M(PUNPCKLDQ): case M(UNPCKLPS):
        for (i = 0; i < 2; i++) { r->l[2 * i] = a->l[i]; r->l[2 * i + 1] = b->l[i]; } break;
    case M(PUNPCKHDQ): case M(UNPCKHPS):
        for (i = 0; i < 2; i++) { r->l[2 * i] = a->l[2 + i]; r->l[2 * i + 1] = b->l[2 + i]; } break;
    case M(PUNPCKLQDQ): case M(UNPCKLPD): case M(MOVLHPS):
        r->q[0] = a->q[0]; r->q[1] = b->q[0]; break;
    case M(PUNPCKHQDQ): case M(UNPCKHPD):
        r->q[0] = a->q[1]; r->q[1] = b->q[1]; break;
    case M(MOVHLPS): r->q[0] = b->q[1]; r->q[1] = a->q[1]; break;
    case M(PACKUSWB):
        for (i = 0; i < 8; i++) { r->b[i] = sat_u8(a->sw[i]); r->b[8 + i] = sat_u8(b->sw[i]); } break;
    case M(PACKSSWB):
        for (i = 0; i < 8; i++) { r->sb[i] = sat_s8(a->sw[i]); r->sb[8 + i] = sat_s8(b->sw[i]); } break;
    case M(PACKSSDW):
        for (i = 0; i < 4; i++) { r->sw[i] = sat_s16(a->sl[i] < -32768 ? -32768 : a->sl[i] > 32767 ? 32767 : a->sl[i]);
                                  r->sw[4 + i] = sat_s16(b->sl[i] < -32768 ? -32768 : b->sl[i] > 32767 ? 32767 : b->sl[i]); }
        break;
    case M(PACKUSDW):
        for (i = 0; i < 4; i++) {
            r->w[i] = a->sl[i] < 0 ? 0 : a->sl[i] > 65535 ? 65535 : (uint16_t)a->sl[i];
            r->w[4 + i] = b->sl[i] < 0 ? 0 : b->sl[i] > 65535 ? 65535 : (uint16_t)b->sl[i];
        }
        break;
    case M(PSHUFB):
        for (i = 0; i < 16; i++) {
            r->b[i] = (b->b[i] & 0x80) ? 0 : a->b[b->b[i] & 15];
        }
        break;
    case M(PABSB): for (i = 0; i < 16; i++) r->b[i] = (uint8_t)abs(b->sb[i]); break;
    case M(PABSW): for (i = 0; i < 8; i++) r->w[i] = (uint16_t)abs(b->sw[i]); break;
    case M(PABSD): for (i = 0; i < 4; i++) r->l[i] = (uint32_t)(b->sl[i] < 0 ? -(int64_t)b->sl[i] : b->sl[i]); break;
    case M(PHADDW): case M(PHSUBW): case M(PHADDSW): case M(PHSUBSW): {
        int16_t v[8];
        for (i = 0; i < 4; i++) {
            int x = a->sw[2 * i], y = a->sw[2 * i + 1];
            int p = b->sw[2 * i], q = b->sw[2 * i + 1];
            bool sub = m == M(PHSUBW) || m == M(PHSUBSW);
            bool sat = m == M(PHADDSW) || m == M(PHSUBSW);
            int r1 = sub ? x - y : x + y, r2 = sub ? p - q : p + q;
            v[i] = sat ? sat_s16(r1) : (int16_t)r1;
            v[4 + i] = sat ? sat_s16(r2) : (int16_t)r2;
        }
        memcpy(r->w, v, 16);
        break;
    }
    case M(PHADDD): case M(PHSUBD): {
        uint32_t v[4];
        for (i = 0; i < 2; i++) {
            bool sub = m == M(PHSUBD);
            v[i] = sub ? a->l[2 * i] - a->l[2 * i + 1] : a->l[2 * i] + a->l[2 * i + 1];
            v[2 + i] = sub ? b->l[2 * i] - b->l[2 * i + 1] : b->l[2 * i] + b->l[2 * i + 1];
        }
        memcpy(r->l, v, 16);
        break;
    }
    case M(PMADDUBSW):
        for (i = 0; i < 8; i++) {
            r->sw[i] = sat_s16(a->b[2 * i] * b->sb[2 * i] +
                               a->b[2 * i + 1] * b->sb[2 * i + 1]);
        }
        break;
    case M(PMULHRSW):
        for (i = 0; i < 8; i++) {
            r->sw[i] = (int16_t)((((a->sw[i] * b->sw[i]) >> 14) + 1) >> 1);
        }
        break;
    case M(PSIGNB):
        for (i = 0; i < 16; i++) r->sb[i] = b->sb[i] < 0 ? (int8_t)-a->sb[i] : b->sb[i] ? a->sb[i] : 0;
        break;
    case M(PSIGNW):
        for (i = 0; i < 8; i++) r->sw[i] = b->sw[i] < 0 ? (int16_t)-a->sw[i] : b->sw[i] ? a->sw[i] : 0;
        break;
    case M(PSIGND):
        for (i = 0; i < 4; i++) r->l[i] = b->sl[i] < 0 ? -a->l[i] : b->sl[i] ? a->l[i] : 0;
        break;
    default:
        return false;
    }
    return true;
}

static void shift_bytes(X86Xmm *r, const X86Xmm *a, int n)
{
    /* n > 0: left (towards higher bytes) */
    X86Xmm t = { 0 };
    for (int i = 0; i < 16; i++) {
        int s = i - n;
        t.b[i] = (s >= 0 && s < 16) ? a->b[s] : 0;
    }
    *r = t;
}

static bool sse_shift(unsigned m, X86Xmm *r, const X86Xmm *a, uint64_t cnt)
{
    int i;
    switch (m) {
    case M(PSLLW): for (i = 0; i < 8; i++) r->w[i] = cnt > 15 ? 0 : (uint16_t)(a->w[i] << cnt); break;
    case M(PSLLD): for (i = 0; i < 4; i++) r->l[i] = cnt > 31 ? 0 : a->l[i] << cnt; break;
    case M(PSLLQ): for (i = 0; i < 2; i++) r->q[i] = cnt > 63 ? 0 : a->q[i] << cnt; break;
    case M(PSRLW): for (i = 0; i < 8; i++) r->w[i] = cnt > 15 ? 0 : a->w[i] >> cnt; break;
    case M(PSRLD): for (i = 0; i < 4; i++) r->l[i] = cnt > 31 ? 0 : a->l[i] >> cnt; break;
    case M(PSRLQ): for (i = 0; i < 2; i++) r->q[i] = cnt > 63 ? 0 : a->q[i] >> cnt; break;
    case M(PSRAW): for (i = 0; i < 8; i++) r->sw[i] = (int16_t)(a->sw[i] >> (cnt > 15 ? 15 : cnt)); break;
    case M(PSRAD): for (i = 0; i < 4; i++) r->sl[i] = a->sl[i] >> (cnt > 31 ? 31 : cnt); break;
    case M(PSLLDQ): shift_bytes(r, a, cnt > 16 ? 16 : (int)cnt); break;
    case M(PSRLDQ): shift_bytes(r, a, -(cnt > 16 ? 16 : (int)cnt)); break;
    default: return false;
    }
    return true;
}

static bool sse_shuffle(unsigned m, X86Xmm *r, const X86Xmm *a, const X86Xmm *b,
                        unsigned imm)
{
    int i;
    X86Xmm t = *r;
    switch (m) {
    case M(PSHUFD): for (i = 0; i < 4; i++) t.l[i] = b->l[(imm >> (2 * i)) & 3]; break;
    case M(PSHUFLW):
        t = *b;
        for (i = 0; i < 4; i++) t.w[i] = b->w[(imm >> (2 * i)) & 3];
        break;
    case M(PSHUFHW):
        t = *b;
        for (i = 0; i < 4; i++) t.w[4 + i] = b->w[4 + ((imm >> (2 * i)) & 3)];
        break;
    case M(SHUFPS):
        t.l[0] = a->l[imm & 3]; t.l[1] = a->l[(imm >> 2) & 3];
        t.l[2] = b->l[(imm >> 4) & 3]; t.l[3] = b->l[(imm >> 6) & 3];
        break;
    case M(SHUFPD): t.q[0] = a->q[imm & 1]; t.q[1] = b->q[(imm >> 1) & 1]; break;
    case M(PALIGNR): {
        uint8_t cat[32];
        memcpy(cat, b->b, 16);
        memcpy(cat + 16, a->b, 16);
        for (i = 0; i < 16; i++) t.b[i] = (imm + i) < 32 ? cat[imm + i] : 0;
        break;
    }
    case M(PBLENDW): t = *a; for (i = 0; i < 8; i++) if (imm & (1u << i)) t.w[i] = b->w[i]; break;
    default: return false;
    }
    *r = t;
    return true;
}

/* ---- MXCSR: rounding control, DAZ/FTZ, exception flags ---- */

#define MX_IE 0x01u
#define MX_DE 0x02u
#define MX_ZE 0x04u
#define MX_OE 0x08u
#define MX_UE 0x10u
#define MX_PE 0x20u
#define MX_DAZ 0x40u
#define MX_FTZ 0x8000u

/*
 * The host's floating-point environment.  host_save()/host_restore()
 * keep and put back its rounding mode and flags; host_enter(rc) selects a
 * rounding mode (MXCSR.RC encoding, also ROUNDxx's) with every exception
 * masked and no flag set; host_round(rc) changes only the mode;
 * host_flags() returns the flags raised since as MXCSR bits (IE ZE OE UE
 * PE; DE is computed in software).  On x86-64 hosts this is MXCSR
 * itself: glibc's fenv functions also save and restore the x87
 * environment, which costs several times the arithmetic.
 */
#define MX_HOST_FLAGS (MX_IE | MX_ZE | MX_OE | MX_UE | MX_PE)
#if defined(__x86_64__)
typedef unsigned HostFp;
static HostFp host_save(void) { return __builtin_ia32_stmxcsr(); }
static void host_restore(HostFp saved) { __builtin_ia32_ldmxcsr(saved); }
static void host_enter(unsigned rc) { __builtin_ia32_ldmxcsr(0x1f80u | (rc & 3) << 13); }

static void host_round(unsigned rc)
{
    __builtin_ia32_ldmxcsr((__builtin_ia32_stmxcsr() & ~0x6000u) | (rc & 3) << 13);
}

static uint32_t host_flags(void)
{
    return __builtin_ia32_stmxcsr() & MX_HOST_FLAGS;
}
#else
static const int host_modes[4] = {
    FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO,
};

typedef struct HostFp {
    int round;
    fexcept_t flags;
} HostFp;

static HostFp host_save(void)
{
    HostFp saved;
    saved.round = fegetround();
    fegetexceptflag(&saved.flags, FE_ALL_EXCEPT);
    return saved;
}

static void host_restore(HostFp saved)
{
    fesetround(saved.round);
    fesetexceptflag(&saved.flags, FE_ALL_EXCEPT);
}

static void host_round(unsigned rc)
{
    fesetround(host_modes[rc & 3]);
}

static void host_enter(unsigned rc)
{
    host_round(rc);
    feclearexcept(FE_ALL_EXCEPT);
}

static uint32_t host_flags(void)
{
    int h = fetestexcept(FE_ALL_EXCEPT);
    return (h & FE_INVALID ? MX_IE : 0) | (h & FE_DIVBYZERO ? MX_ZE : 0) |
           (h & FE_OVERFLOW ? MX_OE : 0) | (h & FE_UNDERFLOW ? MX_UE : 0) |
           (h & FE_INEXACT ? MX_PE : 0);
}
#endif

/* The guest MXCSR of the instruction being executed and the flags it
 * raised that the host's environment does not report. */
typedef struct SseFp {
    uint32_t mxcsr, flags;
    HostFp host;
} SseFp;
static _Thread_local SseFp fpst;

/*
 * Inline arithmetic (the EMU_JIT_FADD64... ops of blocks translated with
 * X86_TB_SSE_DEFAULT, and x86_helper_sse_arith's fast path) leaves the
 * flags it raises in the host's MXCSR: while a vCPU runs, the guest's
 * MXCSR is e->mxcsr with the host's flags ORed in.  x86_exec_enter()
 * starts that with the host's MXCSR at its default (so the emulator's
 * own flags never reach the guest) and x86_exec_leave() folds the flags
 * back, so outside emu_jit_cpu_exec() e->mxcsr alone is the guest's.
 * Helpers that read or write e->mxcsr call x86_mxcsr_sync() first.
 */
void x86_mxcsr_sync(X86CpuState *e)
{
#if defined(__x86_64__)
    uint32_t host = __builtin_ia32_stmxcsr();
    if (host & 0x3fu) {
        e->mxcsr |= host & 0x3fu;
        __builtin_ia32_ldmxcsr(host & ~0x3fu);
    }
#else
    (void)e;
#endif
}

void x86_exec_enter(void *env)
{
    (void)env;
#if defined(__x86_64__)
    __builtin_ia32_ldmxcsr(0x1f80u);
#endif
}

void x86_exec_leave(void *env)
{
    x86_mxcsr_sync(env);
}

/* STMXCSR (a = 0: returns MXCSR) and LDMXCSR (a = 1, b = the value;
 * the flags pending in the host's MXCSR are replaced too). */
EMU_JIT_HELPER(x86_helper_mxcsr)
{
    X86CpuState *e = env;
    x86_mxcsr_sync(e);
    if (a) {
        e->mxcsr = (uint32_t)b;
    }
    return e->mxcsr;
}

static void fp_begin(X86CpuState *e)
{
    x86_mxcsr_sync(e);
    fpst.mxcsr = e->mxcsr;
    fpst.flags = 0;
    fpst.host = host_save();
    host_enter((e->mxcsr >> 13) & 3);
}

/* Linux's si_code for #XM: the lowest unmasked flag set in MXCSR. */
static int fpe_code(uint32_t mxcsr)
{
    uint32_t err = mxcsr & ~(mxcsr >> 7) & 0x3f;
    return err & MX_IE ? FPE_FLTINV : err & MX_ZE ? FPE_FLTDIV :
           err & MX_OE ? FPE_FLTOVF : err & (MX_UE | MX_DE) ? FPE_FLTUND :
           FPE_FLTRES;
}

/* Ends the instruction's arithmetic: merges the flags into MXCSR and
 * raises #XM (the destination not yet written) for an unmasked one. */
static void fp_end(X86CpuState *e)
{
    uint32_t f = fpst.flags | host_flags();
    host_restore(fpst.host);
    uint32_t unmasked = f & ~(e->mxcsr >> 7) & 0x3f;
    if (unmasked & (MX_IE | MX_DE | MX_ZE)) {
        /* a pre-computation exception: no result, no later flags */
        f &= MX_IE | MX_DE | MX_ZE;
    }
    e->mxcsr |= f;
    if (unmasked) {
        emu_jit_raise(EMU_EXCP_FPE, (uint64_t)fpe_code(e->mxcsr), true);
    }
}

/* Compiler barriers: host arithmetic on guest values must happen between
 * fp_begin() and fp_end(), which GCC does not guarantee even with
 * -frounding-math (it moves operations across fesetround() or LDMXCSR). */
#define FP_BARRIER(v) __asm__ volatile("" : "+m"(v))

static bool snan_d(double x)
{
    uint64_t b;
    memcpy(&b, &x, 8);
    return isnan(x) && !(b & (1ull << 51));
}

static bool snan_f(float x)
{
    uint32_t b;
    memcpy(&b, &x, 4);
    return isnan(x) && !(b & (1u << 22));
}

/* A source operand: denormals become zero under DAZ, else raise DE
 * (when de: conversions to integer and rounding do not report it). */
static double in_d(double x, bool de)
{
    FP_BARRIER(x);
    if (fpclassify(x) == FP_SUBNORMAL) {
        if (fpst.mxcsr & MX_DAZ) {
            return copysign(0.0, x);
        }
        fpst.flags |= de ? MX_DE : 0;
    }
    return x;
}

static float in_f(float x, bool de)
{
    FP_BARRIER(x);
    if (fpclassify(x) == FP_SUBNORMAL) {
        if (fpst.mxcsr & MX_DAZ) {
            return copysignf(0.0f, x);
        }
        fpst.flags |= de ? MX_DE : 0;
    }
    return x;
}

/* A result: FTZ (with underflow masked) flushes tiny results to zero. */
static bool ftz_on(void)
{
    return (fpst.mxcsr & MX_FTZ) && (fpst.mxcsr & (MX_UE << 7));
}

static double out_d(double r)
{
    FP_BARRIER(r);
    if (fpclassify(r) == FP_SUBNORMAL) {
        if (ftz_on()) {
            fpst.flags |= MX_UE | MX_PE;
            return copysign(0.0, r);
        }
        if (!(fpst.mxcsr & (MX_UE << 7))) {
            fpst.flags |= MX_UE;    /* unmasked: tininess alone signals */
        }
    }
    return r;
}

static float out_f(float r)
{
    FP_BARRIER(r);
    if (fpclassify(r) == FP_SUBNORMAL) {
        if (ftz_on()) {
            fpst.flags |= MX_UE | MX_PE;
            return copysignf(0.0f, r);
        }
        if (!(fpst.mxcsr & (MX_UE << 7))) {
            fpst.flags |= MX_UE;    /* unmasked: tininess alone signals */
        }
    }
    return r;
}

/* CMPPS predicates 1, 2, 5, 6 (LT, LE, NLT, NLE) signal on QNaNs too. */
static bool cmp_result(unsigned pred, bool unord, bool lt, bool eq)
{
    switch (pred & 7) {
    case 0: return !unord && eq;
    case 1: return !unord && lt;
    case 2: return !unord && (lt || eq);
    case 3: return unord;
    case 4: return unord || !eq;
    case 5: return unord || !lt;
    case 6: return unord || !(lt || eq);
    default: return !unord;
    }
}

static bool cmp_d(unsigned pred, double x, double y)
{
    if (isnan(x) || isnan(y)) {
        bool signaling = (pred & 3) == 1 || (pred & 3) == 2;
        fpst.flags |= signaling || snan_d(x) || snan_d(y) ? MX_IE : 0;
        return cmp_result(pred, true, false, false);
    }
    x = in_d(x, true);
    y = in_d(y, true);
    return cmp_result(pred, false, x < y, x == y);
}

static bool cmp_f(unsigned pred, float x, float y)
{
    if (isnan(x) || isnan(y)) {
        bool signaling = (pred & 3) == 1 || (pred & 3) == 2;
        fpst.flags |= signaling || snan_f(x) || snan_f(y) ? MX_IE : 0;
        return cmp_result(pred, true, false, false);
    }
    x = in_f(x, true);
    y = in_f(y, true);
    return cmp_result(pred, false, x < y, x == y);
}

/* x86 NaN rules: a NaN operand is returned quieted, the first one when
 * both are NaNs (C arithmetic leaves the choice to the compiler). */
static double quiet_d(double x)
{
    uint64_t b;
    memcpy(&b, &x, 8);
    b |= 1ull << 51;
    memcpy(&x, &b, 8);
    return x;
}

static float quiet_f(float x)
{
    uint32_t b;
    memcpy(&b, &x, 4);
    b |= 1u << 22;
    memcpy(&x, &b, 4);
    return x;
}

enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MIN, OP_MAX, OP_SQRT };

static double fop(unsigned k, double x, double y)
{
    if (k == OP_SQRT) {
        if (isnan(y)) {
            fpst.flags |= snan_d(y) ? MX_IE : 0;
            return quiet_d(y);
        }
        /* a negative operand is invalid before it is a denormal */
        return out_d(sqrt(in_d(y, !(y < 0))));
    }
    if (isnan(x) || isnan(y)) {
        if (k == OP_MIN || k == OP_MAX) {   /* the second operand, IE */
            fpst.flags |= MX_IE;
            return isnan(y) ? y : in_d(y, false);
        }
        fpst.flags |= snan_d(x) || snan_d(y) ? MX_IE : 0;
        return isnan(x) ? quiet_d(x) : quiet_d(y);
    }
    /* division by zero takes precedence over a denormal dividend */
    x = in_d(x, !(k == OP_DIV && y == 0));
    y = in_d(y, true);
    switch (k) {
    case OP_ADD: return out_d(x + y);
    case OP_SUB: return out_d(x - y);
    case OP_MUL: return out_d(x * y);
    case OP_DIV: return out_d(x / y);
    case OP_MIN: return (x < y) ? x : y;    /* x86: the second if equal */
    default: return (x > y) ? x : y;
    }
}

static float fopf(unsigned k, float x, float y)
{
    if (k == OP_SQRT) {
        if (isnan(y)) {
            fpst.flags |= snan_f(y) ? MX_IE : 0;
            return quiet_f(y);
        }
        /* a negative operand is invalid before it is a denormal */
        return out_f(sqrtf(in_f(y, !(y < 0))));
    }
    if (isnan(x) || isnan(y)) {
        if (k == OP_MIN || k == OP_MAX) {
            fpst.flags |= MX_IE;
            return isnan(y) ? y : in_f(y, false);
        }
        fpst.flags |= snan_f(x) || snan_f(y) ? MX_IE : 0;
        return isnan(x) ? quiet_f(x) : quiet_f(y);
    }
    /* division by zero takes precedence over a denormal dividend */
    x = in_f(x, !(k == OP_DIV && y == 0));
    y = in_f(y, true);
    switch (k) {
    case OP_ADD: return out_f(x + y);
    case OP_SUB: return out_f(x - y);
    case OP_MUL: return out_f(x * y);
    case OP_DIV: return out_f(x / y);
    case OP_MIN: return (x < y) ? x : y;
    default: return (x > y) ? x : y;
    }
}

static double fadd_x86(double x, double y, bool sub)
{
    return fop(sub ? OP_SUB : OP_ADD, x, y);
}

static float faddf_x86(float x, float y, bool sub)
{
    return fopf(sub ? OP_SUB : OP_ADD, x, y);
}

/* Float to integer (already through in_d/in_f): the integer indefinite
 * and IE when NaN or out of range, PE when inexact. */
/* trunc()/nearbyint() without host flags (inline expansions of trunc
 * may raise inexact): callers set IE/PE themselves. */
static double round_quietly(double x, bool truncate)
{
    HostFp saved = host_save();
    FP_BARRIER(x);
    double v = truncate ? trunc(x) : nearbyint(x);
    FP_BARRIER(v);
    host_restore(saved);
    return v;
}

static int64_t to_int(double x, unsigned szlog, bool truncate)
{
    double v = round_quietly(x, truncate);
    double lim = szlog == 3 ? 9223372036854775808.0 : 2147483648.0;
    if (!(v >= -lim && v < lim)) {
        fpst.flags |= MX_IE;
        return szlog == 3 ? INT64_MIN : INT32_MIN;
    }
    fpst.flags |= v != x ? MX_PE : 0;
    return szlog == 3 ? (int64_t)v : (int32_t)v;
}

static int32_t d2i32(double x, bool truncate)
{
    return (int32_t)to_int(in_d(x, false), 2, truncate);
}

static int32_t f2i32(float x, bool truncate)
{
    return (int32_t)to_int(in_f(x, false), 2, truncate);
}

static double i2d(int64_t v)
{
    FP_BARRIER(v);
    double r = (double)v;
    FP_BARRIER(r);
    return r;
}

static float i2f(int64_t v)
{
    FP_BARRIER(v);
    float r = (float)v;
    FP_BARRIER(r);
    return r;
}

static double cvt_f2d(float x)
{
    if (isnan(x)) {
        fpst.flags |= snan_f(x) ? MX_IE : 0;
    }
    return in_f(x, true);       /* exact, the NaN quieted by the host */
}

static float cvt_d2f(double x)
{
    if (isnan(x)) {
        fpst.flags |= snan_d(x) ? MX_IE : 0;
        return (float)x;
    }
    return out_f((float)in_d(x, true));
}

/* RCPPS/RSQRTPS: hardware returns a vendor-specific approximation within
 * 1.5 * 2^-12 relative error; this returns the correctly rounded value,
 * which is within the bound.  Denormal inputs count as zero, denormal
 * results flush to zero, no flags are raised. */
static float approx_value(float x, bool rsqrt)
{
    if (isnan(x)) {
        return quiet_f(x);
    }
    if (fpclassify(x) == FP_SUBNORMAL || x == 0) {
        return copysignf(INFINITY, x);
    }
    if (rsqrt && x < 0) {
        return quiet_f(-NAN);       /* the default NaN */
    }
    float r = (float)(rsqrt ? 1.0 / sqrt((double)x) : 1.0 / (double)x);
    return fpclassify(r) == FP_SUBNORMAL ? copysignf(0.0f, r) : r;
}

static float approx_recip(float x, bool rsqrt)
{
    HostFp saved = host_save();
    FP_BARRIER(x);
    float r = approx_value(x, rsqrt);
    FP_BARRIER(r);
    host_restore(saved);
    return r;
}

/* kind of float op and its shape: sd, ss, pd, ps */
static bool float_kind(unsigned m, unsigned *k, unsigned *shape)
{
    static const struct { unsigned m, k, shape; } table[] = {
        { M(ADDSD), 0, 0 }, { M(SUBSD), 1, 0 }, { M(MULSD), 2, 0 },
        { M(DIVSD), 3, 0 }, { M(MINSD), 4, 0 }, { M(MAXSD), 5, 0 },
        { M(SQRTSD), 6, 0 },
        { M(ADDSS), 0, 1 }, { M(SUBSS), 1, 1 }, { M(MULSS), 2, 1 },
        { M(DIVSS), 3, 1 }, { M(MINSS), 4, 1 }, { M(MAXSS), 5, 1 },
        { M(SQRTSS), 6, 1 },
        { M(ADDPD), 0, 2 }, { M(SUBPD), 1, 2 }, { M(MULPD), 2, 2 },
        { M(DIVPD), 3, 2 }, { M(MINPD), 4, 2 }, { M(MAXPD), 5, 2 },
        { M(SQRTPD), 6, 2 },
        { M(ADDPS), 0, 3 }, { M(SUBPS), 1, 3 }, { M(MULPS), 2, 3 },
        { M(DIVPS), 3, 3 }, { M(MINPS), 4, 3 }, { M(MAXPS), 5, 3 },
        { M(SQRTPS), 6, 3 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(table); i++) {
        if (table[i].m == m) {
            *k = table[i].k;
            *shape = table[i].shape;
            return true;
        }
    }
    return false;
}

static bool sse_float(unsigned m, X86Xmm *r, const X86Xmm *a, const X86Xmm *b,
                      unsigned imm)
{
    unsigned k, shape;
    int i;
    if (float_kind(m, &k, &shape)) {
        switch (shape) {
        case 0: r->d[0] = fop(k, a->d[0], b->d[0]); break;
        case 1: r->f[0] = fopf(k, a->f[0], b->f[0]); break;
        case 2: for (i = 0; i < 2; i++) r->d[i] = fop(k, a->d[i], b->d[i]); break;
        default: for (i = 0; i < 4; i++) r->f[i] = fopf(k, a->f[i], b->f[i]); break;
        }
        return true;
    }
    switch (m) {
    case M(CMPSD): r->q[0] = cmp_d(imm, a->d[0], b->d[0]) ? ~0ull : 0; break;
    case M(CMPSS): r->l[0] = cmp_f(imm, a->f[0], b->f[0]) ? ~0u : 0; break;
    case M(CMPPD): for (i = 0; i < 2; i++) r->q[i] = cmp_d(imm, a->d[i], b->d[i]) ? ~0ull : 0; break;
    case M(CMPPS): for (i = 0; i < 4; i++) r->l[i] = cmp_f(imm, a->f[i], b->f[i]) ? ~0u : 0; break;
    case M(ADDSUBPD):
        r->d[0] = fadd_x86(a->d[0], b->d[0], true);
        r->d[1] = fadd_x86(a->d[1], b->d[1], false);
        break;
    case M(ADDSUBPS):
        for (i = 0; i < 4; i++) r->f[i] = faddf_x86(a->f[i], b->f[i], !(i & 1));
        break;
    case M(HADDPD): case M(HSUBPD): {
        bool sub = m == M(HSUBPD);
        double x = fadd_x86(a->d[0], a->d[1], sub), y = fadd_x86(b->d[0], b->d[1], sub);
        r->d[0] = x;
        r->d[1] = y;
        break;
    }
    case M(HADDPS): case M(HSUBPS): {
        bool sub = m == M(HSUBPS);
        float v[4] = {
            faddf_x86(a->f[0], a->f[1], sub), faddf_x86(a->f[2], a->f[3], sub),
            faddf_x86(b->f[0], b->f[1], sub), faddf_x86(b->f[2], b->f[3], sub),
        };
        memcpy(r->f, v, 16);
        break;
    }
    case M(MOVDDUP): r->q[0] = b->q[0]; r->q[1] = b->q[0]; break;
    case M(MOVSHDUP): { uint32_t x = b->l[1], y = b->l[3]; r->l[0] = r->l[1] = x; r->l[2] = r->l[3] = y; break; }
    case M(MOVSLDUP): { uint32_t x = b->l[0], y = b->l[2]; r->l[0] = r->l[1] = x; r->l[2] = r->l[3] = y; break; }
    case M(RCPSS): case M(RSQRTSS): r->f[0] = approx_recip(b->f[0], m == M(RSQRTSS)); break;
    case M(RCPPS): case M(RSQRTPS):
        for (i = 0; i < 4; i++) r->f[i] = approx_recip(b->f[i], m == M(RSQRTPS));
        break;
    case M(CVTSD2SS): r->f[0] = cvt_d2f(b->d[0]); break;
    case M(CVTSS2SD): r->d[0] = cvt_f2d(b->f[0]); break;
    case M(CVTPS2PD): { float x = b->f[0], y = b->f[1]; r->d[0] = cvt_f2d(x); r->d[1] = cvt_f2d(y); break; }
    case M(CVTPD2PS): r->f[0] = cvt_d2f(b->d[0]); r->f[1] = cvt_d2f(b->d[1]); r->q[1] = 0; break;
    case M(CVTDQ2PD): { int32_t x = b->sl[0], y = b->sl[1]; r->d[0] = x; r->d[1] = y; break; }
    case M(CVTDQ2PS): for (i = 0; i < 4; i++) r->f[i] = i2f(b->sl[i]); break;
    case M(CVTPI2PS): { int32_t x = b->sl[0], y = b->sl[1]; r->f[0] = i2f(x); r->f[1] = i2f(y); break; }
    case M(CVTPI2PD): { int32_t x = b->sl[0], y = b->sl[1]; r->d[0] = x; r->d[1] = y; break; }
    case M(CVTTPD2DQ): case M(CVTPD2DQ): case M(CVTTPD2PI): case M(CVTPD2PI): {
        bool t = m == M(CVTTPD2DQ) || m == M(CVTTPD2PI);
        int32_t x = d2i32(b->d[0], t), y = d2i32(b->d[1], t);
        r->sl[0] = x;
        r->sl[1] = y;
        r->q[1] = 0;
        break;
    }
    case M(CVTTPS2DQ): case M(CVTPS2DQ):
        for (i = 0; i < 4; i++) r->sl[i] = f2i32(b->f[i], m == M(CVTTPS2DQ));
        break;
    case M(CVTTPS2PI): case M(CVTPS2PI): {
        int32_t x = f2i32(b->f[0], m == M(CVTTPS2PI)), y = f2i32(b->f[1], m == M(CVTTPS2PI));
        r->sl[0] = x;
        r->sl[1] = y;
        r->q[1] = 0;
        break;
    }
    default: return false;
    }
    return true;
}

static const unsigned other_ops[] = {
    M(PSHUFD), M(PSHUFLW), M(PSHUFHW), M(SHUFPS), M(SHUFPD), M(PALIGNR),
    M(PBLENDW), M(PSLLW), M(PSLLD), M(PSLLQ), M(PSRLW), M(PSRLD), M(PSRLQ),
    M(PSRAW), M(PSRAD), M(PSLLDQ), M(PSRLDQ), M(UCOMISD), M(COMISD),
    M(UCOMISS), M(COMISS), M(PTEST), M(MOVHLPS), M(MOVLHPS),
};

static bool is_sse41_op(unsigned m);

bool x86_sse_supported(unsigned m)
{
    X86Xmm r = { 0 }, a = { 0 }, b = { 0 };
    unsigned k, shape;
    if (is_sse41_op(m)) {
        return true;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(other_ops); i++) {
        if (other_ops[i] == m) {
            return true;
        }
    }
    return sse_int(m, &r, &a, &b) || float_kind(m, &k, &shape) ||
           sse_float(m, &r, &a, &b, 0);
}

static void set_flags(X86CpuState *env, uint32_t f)
{
    env->cc_op = CC_OP(CC_EFLAGS, 0);
    env->cc_src = f;
}

/* (U)COMISD/SS: COMIS signals IE on QNaNs too */
static void compare_flags(X86CpuState *env, bool unord, bool lt, bool eq)
{
    set_flags(env, unord ? X86_ZF | X86_PF | X86_CF :
                   lt ? X86_CF : eq ? X86_ZF : 0);
}

static void comis_d(X86CpuState *env, double x, double y, bool signaling)
{
    if (isnan(x) || isnan(y)) {
        fpst.flags |= signaling || snan_d(x) || snan_d(y) ? MX_IE : 0;
        compare_flags(env, true, false, false);
        return;
    }
    x = in_d(x, true);
    y = in_d(y, true);
    compare_flags(env, false, x < y, x == y);
}

static void comis_f(X86CpuState *env, float x, float y, bool signaling)
{
    if (isnan(x) || isnan(y)) {
        fpst.flags |= signaling || snan_f(x) || snan_f(y) ? MX_IE : 0;
        compare_flags(env, true, false, false);
        return;
    }
    x = in_f(x, true);
    y = in_f(y, true);
    compare_flags(env, false, x < y, x == y);
}

/* ROUNDxx: imm bit 2 selects MXCSR.RC, bit 3 suppresses PE. */
static double round_mode(double x, unsigned imm)
{
    if (isnan(x)) {
        fpst.flags |= snan_d(x) ? MX_IE : 0;
        return quiet_d(x);
    }
    x = in_d(x, false);
    HostFp saved = host_save();
    if (!(imm & 4)) {
        host_round(imm & 3);
    }
    double v = nearbyint(x);
    host_restore(saved);
    fpst.flags |= v != x && !(imm & 8) ? MX_PE : 0;
    return v;
}

static float round_modef(float x, unsigned imm)
{
    if (isnan(x)) {
        fpst.flags |= snan_f(x) ? MX_IE : 0;
        return quiet_f(x);
    }
    x = in_f(x, false);
    HostFp saved = host_save();
    if (!(imm & 4)) {
        host_round(imm & 3);
    }
    float v = nearbyintf(x);
    host_restore(saved);
    fpst.flags |= v != x && !(imm & 8) ? MX_PE : 0;
    return v;
}

/* SSE4.1 pieces that need xmm0 or several lanes at once. */
static bool sse41(X86CpuState *e, unsigned m, X86Xmm *r, const X86Xmm *a,
                  const X86Xmm *b, unsigned imm)
{
    int i;
    const X86Xmm *mask = &e->xmm[0];
    switch (m) {
    case M(PMOVSXBW): for (i = 0; i < 8; i++) r->sw[i] = b->sb[i]; break;
    case M(PMOVSXBD): for (i = 0; i < 4; i++) r->sl[i] = b->sb[i]; break;
    case M(PMOVSXBQ): for (i = 0; i < 2; i++) r->sq[i] = b->sb[i]; break;
    case M(PMOVSXWD): for (i = 0; i < 4; i++) r->sl[i] = b->sw[i]; break;
    case M(PMOVSXWQ): for (i = 0; i < 2; i++) r->sq[i] = b->sw[i]; break;
    case M(PMOVSXDQ): { int64_t x = b->sl[0], y = b->sl[1]; r->sq[0] = x; r->sq[1] = y; break; }
    case M(PMOVZXBW): for (i = 7; i >= 0; i--) r->w[i] = b->b[i]; break;
    case M(PMOVZXBD): for (i = 0; i < 4; i++) r->l[i] = b->b[i]; break;
    case M(PMOVZXBQ): for (i = 0; i < 2; i++) r->q[i] = b->b[i]; break;
    case M(PMOVZXWD): for (i = 3; i >= 0; i--) r->l[i] = b->w[i]; break;
    case M(PMOVZXWQ): for (i = 0; i < 2; i++) r->q[i] = b->w[i]; break;
    case M(PMOVZXDQ): { uint64_t x = b->l[0], y = b->l[1]; r->q[0] = x; r->q[1] = y; break; }
    case M(BLENDPS): for (i = 0; i < 4; i++) r->l[i] = (imm >> i) & 1 ? b->l[i] : a->l[i]; break;
    case M(BLENDPD): for (i = 0; i < 2; i++) r->q[i] = (imm >> i) & 1 ? b->q[i] : a->q[i]; break;
    case M(PBLENDVB): for (i = 0; i < 16; i++) r->b[i] = (mask->b[i] & 0x80) ? b->b[i] : a->b[i]; break;
    case M(BLENDVPS): for (i = 0; i < 4; i++) r->l[i] = (mask->l[i] >> 31) ? b->l[i] : a->l[i]; break;
    case M(BLENDVPD): for (i = 0; i < 2; i++) r->q[i] = (mask->q[i] >> 63) ? b->q[i] : a->q[i]; break;
    case M(ROUNDSD): r->q[1] = a->q[1]; r->d[0] = round_mode(b->d[0], imm); break;
    case M(ROUNDSS): *r = *a; r->f[0] = round_modef(b->f[0], imm); break;
    case M(ROUNDPD): for (i = 0; i < 2; i++) r->d[i] = round_mode(b->d[i], imm); break;
    case M(ROUNDPS): for (i = 0; i < 4; i++) r->f[i] = round_modef(b->f[i], imm); break;
    case M(INSERTPS): {
        uint32_t v = b->l[(imm >> 6) & 3];
        *r = *a;
        r->l[(imm >> 4) & 3] = v;
        for (i = 0; i < 4; i++) {
            if (imm & (1u << i)) {
                r->l[i] = 0;
            }
        }
        break;
    }
    case M(DPPS): {
        float p[4];
        for (i = 0; i < 4; i++) p[i] = (imm >> (4 + i)) & 1 ? fopf(OP_MUL, a->f[i], b->f[i]) : 0.0f;
        float sum = fopf(OP_ADD, fopf(OP_ADD, p[0], p[1]), fopf(OP_ADD, p[2], p[3]));
        for (i = 0; i < 4; i++) r->f[i] = (imm >> i) & 1 ? sum : 0.0f;
        break;
    }
    case M(DPPD): {
        double p0 = (imm & 0x10) ? fop(OP_MUL, a->d[0], b->d[0]) : 0.0;
        double p1 = (imm & 0x20) ? fop(OP_MUL, a->d[1], b->d[1]) : 0.0;
        double sum = fop(OP_ADD, p0, p1);
        r->d[0] = (imm & 1) ? sum : 0.0;
        r->d[1] = (imm & 2) ? sum : 0.0;
        break;
    }
    case M(MPSADBW): {
        unsigned ao = ((imm >> 2) & 1) * 4, bo = (imm & 3) * 4;
        uint16_t out[8];
        for (i = 0; i < 8; i++) {
            unsigned sum = 0;
            for (int k = 0; k < 4; k++) {
                sum += (unsigned)abs(a->b[ao + i + k] - b->b[bo + k]);
            }
            out[i] = (uint16_t)sum;
        }
        memcpy(r->w, out, 16);
        break;
    }
    case M(PHMINPOSUW): {
        unsigned best = 0;
        for (i = 1; i < 8; i++) {
            if (b->w[i] < b->w[best]) {
                best = (unsigned)i;
            }
        }
        uint16_t v = b->w[best];
        memset(r, 0, sizeof(*r));
        r->w[0] = v;
        r->w[1] = (uint16_t)best;
        break;
    }
    default:
        return false;
    }
    return true;
}

static const unsigned sse41_ops[] = {
    M(PMOVSXBW), M(PMOVSXBD), M(PMOVSXBQ), M(PMOVSXWD), M(PMOVSXWQ), M(PMOVSXDQ),
    M(PMOVZXBW), M(PMOVZXBD), M(PMOVZXBQ), M(PMOVZXWD), M(PMOVZXWQ), M(PMOVZXDQ),
    M(BLENDPS), M(BLENDPD), M(PBLENDVB), M(BLENDVPS), M(BLENDVPD), M(ROUNDSD),
    M(ROUNDSS), M(ROUNDPD), M(ROUNDPS), M(INSERTPS), M(DPPS), M(DPPD),
    M(MPSADBW), M(PHMINPOSUW),
};

static bool is_sse41_op(unsigned m)
{
    for (size_t i = 0; i < G_N_ELEMENTS(sse41_ops); i++) {
        if (sse41_ops[i] == m) {
            return true;
        }
    }
    return false;
}

/* a = mnemonic, b = dst offset, c = src offset, d = imm8 */
EMU_JIT_HELPER(x86_helper_sse)
{
    X86CpuState *e = env;
    X86Xmm *dst = xmm_at(env, b);
    X86Xmm src = *xmm_at(env, c);
    X86Xmm r = *dst, orig = *dst;
    unsigned m = (unsigned)a;
    switch (m) {
    case M(UCOMISD): case M(COMISD):
        fp_begin(e);
        comis_d(e, orig.d[0], src.d[0], m == M(COMISD));
        fp_end(e);
        return 0;
    case M(UCOMISS): case M(COMISS):
        fp_begin(e);
        comis_f(e, orig.f[0], src.f[0], m == M(COMISS));
        fp_end(e);
        return 0;
    case M(PTEST): {
        bool zf = !((orig.q[0] & src.q[0]) | (orig.q[1] & src.q[1]));
        bool cf = !((~orig.q[0] & src.q[0]) | (~orig.q[1] & src.q[1]));
        set_flags(e, (zf ? X86_ZF : 0) | (cf ? X86_CF : 0));
        return 0;
    }
    default:
        break;
    }
    if (sse_int(m, &r, &orig, &src) || sse_shuffle(m, &r, &orig, &src, (unsigned)d)) {
        *dst = r;
        return 0;
    }
    fp_begin(e);
    if (sse_float(m, &r, &orig, &src, (unsigned)d) ||
        sse41(e, m, &r, &orig, &src, (unsigned)d)) {
        fp_end(e);
        *dst = r;
        return 0;
    }
    fp_end(e);
    /* shifts: count from an immediate (c == 0) or the source's low quad */
    uint64_t cnt = c ? src.q[0] : d;
    if (sse_shift(m, &r, &orig, cnt)) {
        *dst = r;
        return 0;
    }
    emu_jit_raise(EMU_EXCP_ILLEGAL, 0, true);
}

/* To a GPR: a = mnemonic, b = src offset, c = imm, d = dest size log2.
 * From a GPR: a = mnemonic, b = value, c = dst offset | imm << 32,
 * d = source size log2. */
EMU_JIT_HELPER(x86_helper_sse_cvt)
{
    unsigned m = (unsigned)a;
    switch (m) {
    case M(CVTSI2SD): case M(CVTSI2SS): case M(PINSRW): case M(PINSRB):
    case M(PINSRD): case M(PINSRQ): {
        X86Xmm *dst = xmm_at(env, c & 0xffffffffu);
        unsigned imm = (unsigned)(c >> 32);
        int64_t v = d == 3 ? (int64_t)b : (int32_t)b;
        switch (m) {
        case M(CVTSI2SD): case M(CVTSI2SS): {
            fp_begin(env);
            if (m == M(CVTSI2SD)) {
                double rd = i2d(v);
                fp_end(env);
                dst->d[0] = rd;
            } else {
                float rf = i2f(v);
                fp_end(env);
                dst->f[0] = rf;
            }
            break;
        }
        case M(PINSRW): dst->w[imm & 7] = (uint16_t)b; break;
        case M(PINSRB): dst->b[imm & 15] = (uint8_t)b; break;
        case M(PINSRD): dst->l[imm & 3] = (uint32_t)b; break;
        default: dst->q[imm & 1] = b; break;
        }
        return 0;
    }
    default:
        break;
    }
    const X86Xmm *s = xmm_at(env, b);
    unsigned sz = (unsigned)d, imm = (unsigned)c;
    uint64_t r = 0;
    switch (m) {
    case M(PMOVMSKB):
        for (int i = 0; i < 16; i++) r |= (uint64_t)(s->b[i] >> 7) << i;
        return r;
    case M(MOVMSKPS):
        for (int i = 0; i < 4; i++) r |= (uint64_t)(s->l[i] >> 31) << i;
        return r;
    case M(MOVMSKPD):
        return (s->q[0] >> 63) | ((s->q[1] >> 63) << 1);
    case M(CVTTSD2SI): case M(CVTSD2SI): case M(CVTTSS2SI): case M(CVTSS2SI): {
        bool t = m == M(CVTTSD2SI) || m == M(CVTTSS2SI);
        bool dbl = m == M(CVTTSD2SI) || m == M(CVTSD2SI);
        fp_begin(env);
        int64_t v = to_int(dbl ? in_d(s->d[0], false) : in_f(s->f[0], false), sz, t);
        fp_end(env);
        return sz == 3 ? (uint64_t)v : (uint32_t)v;
    }
    case M(PEXTRW): return s->w[imm & 7];
    case M(PEXTRB): return s->b[imm & 15];
    case M(PEXTRD): case M(EXTRACTPS): return s->l[imm & 3];
    case M(PEXTRQ): return s->q[imm & 1];
    default:
        emu_jit_raise(EMU_EXCP_ILLEGAL, 0, true);
    }
}

/* ---- MMX: the same lane operations on 64-bit registers ---- */

static uint64_t *mm_reg(X86CpuState *e, unsigned i)
{
    e->st[i & 7].sexp = 0xffff;     /* as hardware: exponent all ones */
    return &e->st[i & 7].mant;
}

/* a = mnemonic, b = destination mm index, c = source value, d = imm8 */
EMU_JIT_HELPER(x86_helper_mmx)
{
    X86CpuState *e = env;
    unsigned m = (unsigned)a;
    uint64_t *dst = mm_reg(e, (unsigned)b);
    X86Xmm x = { .q = { *dst, 0 } }, y = { .q = { c, 0 } }, r = x;
    e->fptop = 0;
    e->fptag = 0xff;
    switch (m) {
    case M(PUNPCKHBW): case M(PUNPCKHWD): case M(PUNPCKHDQ): {
        unsigned low = m == M(PUNPCKHBW) ? M(PUNPCKLBW)
                     : m == M(PUNPCKHWD) ? M(PUNPCKLWD) : M(PUNPCKLDQ);
        x.q[0] >>= 32;
        y.q[0] >>= 32;
        sse_int(low, &r, &x, &y);
        *dst = r.q[0];
        return 0;
    }
    case M(PACKSSWB): case M(PACKUSWB): case M(PACKSSDW):
    case M(PHADDW): case M(PHADDSW): case M(PHADDD): case M(PHSUBW):
    case M(PHSUBSW): case M(PHSUBD):
        /* results of the source half land in the upper 64 bits */
        sse_int(m, &r, &x, &y);
        *dst = r.l[0] | ((uint64_t)r.l[2] << 32);
        return 0;
    case M(PSHUFB):
        for (int i = 0; i < 8; i++) {
            y.b[i] &= 0x87;
        }
        sse_int(m, &r, &x, &y);
        *dst = r.q[0];
        return 0;
    case M(PALIGNR): {
        uint8_t cat[16];
        memcpy(cat, &c, 8);
        memcpy(cat + 8, dst, 8);
        uint64_t out = 0;
        for (unsigned i = 0; i < 8; i++) {
            unsigned k = (unsigned)d + i;
            out |= (uint64_t)(k < 16 ? cat[k] : 0) << (8 * i);
        }
        *dst = out;
        return 0;
    }
    case M(PSHUFW):
        sse_shuffle(M(PSHUFLW), &r, &x, &y, (unsigned)d);
        *dst = r.q[0];
        return 0;
    case M(PSLLW): case M(PSLLD): case M(PSLLQ): case M(PSRLW): case M(PSRLD):
    case M(PSRLQ): case M(PSRAW): case M(PSRAD):
        sse_shift(m, &r, &x, c);
        *dst = r.q[0];
        return 0;
    default:
        if (sse_int(m, &r, &x, &y)) {
            *dst = r.q[0];
            return 0;
        }
        emu_jit_raise(EMU_EXCP_ILLEGAL, 0, true);
    }
}

/* a = address, b = data offset in env, c = mask offset, d = bytes */
EMU_JIT_HELPER(x86_helper_maskmov)
{
    const uint8_t *data = (const uint8_t *)env + b;
    const uint8_t *mask = (const uint8_t *)env + c;
    uint8_t *mem = (uint8_t *)(uintptr_t)(x86_guest_base + a);
    for (unsigned i = 0; i < d; i++) {
        if (mask[i] & 0x80) {
            mem[i] = data[i];
        }
    }
    return 0;
}

EMU_JIT_HELPER(x86_helper_emms)
{
    X86CpuState *e = env;
    e->fptag = 0;
    e->fptop = 0;
    return 0;
}

bool x86_mmx_supported(unsigned m)
{
    X86Xmm r = { 0 }, a = { 0 }, b = { 0 };
    switch (m) {
    case M(PUNPCKHBW): case M(PUNPCKHWD): case M(PUNPCKHDQ): case M(PACKSSWB):
    case M(PACKUSWB): case M(PACKSSDW): case M(PSHUFB): case M(PALIGNR):
    case M(PHADDW): case M(PHADDSW): case M(PHADDD): case M(PHSUBW):
    case M(PHSUBSW): case M(PHSUBD):
    case M(PSHUFW): case M(PSLLW): case M(PSLLD): case M(PSLLQ): case M(PSRLW):
    case M(PSRLD): case M(PSRLQ): case M(PSRAW): case M(PSRAD):
        return true;
    case M(PUNPCKLQDQ): case M(PUNPCKHQDQ): case M(PCMPEQQ): case M(PCMPGTQ):
        return false;
    default:
        return sse_int(m, &r, &a, &b);
    }
}

#if defined(__x86_64__)
/* a OP b lane by lane; shape 0 sd, 1 ss, 2 pd, 3 ps (scalars keep the
 * destination's other lanes). */
static void arith_lanes(unsigned op, unsigned shape, X86Xmm *r, const X86Xmm *b)
{
    unsigned n = shape == 0 ? 1 : shape == 1 ? 1 : shape == 2 ? 2 : 4;
    if (shape == 0 || shape == 2) {
        for (unsigned i = 0; i < n; i++) {
            double x = r->d[i], y = b->d[i];
            FP_BARRIER(x);
            FP_BARRIER(y);
            double z = op == 0 ? x + y : op == 1 ? x - y : op == 2 ? x * y : x / y;
            FP_BARRIER(z);
            r->d[i] = z;
        }
    } else {
        for (unsigned i = 0; i < n; i++) {
            float x = r->f[i], y = b->f[i];
            FP_BARRIER(x);
            FP_BARRIER(y);
            float z = op == 0 ? x + y : op == 1 ? x - y : op == 2 ? x * y : x / y;
            FP_BARRIER(z);
            r->f[i] = z;
        }
    }
}
#endif

/* ADD/SUB/MUL/DIV SD/SS/PD/PS: a = op << 2 | shape (see arith_lanes),
 * b = destination offset, c = source offset, d = mnemonic.  With the
 * guest's MXCSR in the default mode (round to nearest, every exception
 * masked, no DAZ/FTZ), as the host's is while a vCPU runs, the host's own
 * instruction computes the guest's result and flags exactly (the host is
 * x86 too): no switch of the host's mode, no software denormal checks.
 * Anything else goes to x86_helper_sse(). */
EMU_JIT_HELPER(x86_helper_sse_arith)
{
#if defined(__x86_64__)
    X86CpuState *e = env;
    if ((e->mxcsr & ~0x3fu) == 0x1f80u) {
        /* the flags stay in the host's MXCSR (see x86_mxcsr_sync) */
        X86Xmm *dst = xmm_at(env, b);
        X86Xmm src = *xmm_at(env, c), r = *dst;
        arith_lanes((unsigned)a >> 2, (unsigned)a & 3, &r, &src);
        *dst = r;
        return 0;
    }
#endif
    return x86_helper_sse(env, d, b, c, 0);
}

