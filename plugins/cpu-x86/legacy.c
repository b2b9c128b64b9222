/*
 * Legacy integer instructions that compiled code rarely uses, as helpers
 * written from the Intel SDM's pseudo-code: the BCD adjustments (AAA AAS
 * DAA DAS AAM AAD, 16/32-bit modes only), SALC, XLAT, PUSHA/POPA,
 * BOUND and INTO.  Flags the SDM leaves undefined are computed
 * from the result like the defined ones.
 */
#include "x86-cpu.h"
#include <Zydis/Zydis.h>
#include <string.h>

#define M(x) ZYDIS_MNEMONIC_##x

static uint8_t *gmem(uint64_t a)
{
    return (uint8_t *)(uintptr_t)(x86_guest_base + a);
}

static uint32_t szp_flags(uint8_t v)
{
    return (v == 0 ? X86_ZF : 0) | (v & 0x80 ? X86_SF : 0) |
           (__builtin_parity(v) ? 0 : X86_PF);
}

static void set_al_ah(X86CpuState *e, uint8_t al, uint8_t ah)
{
    e->regs[R_EAX] = (e->regs[R_EAX] & ~0xffffull) | al | ((uint64_t)ah << 8);
}

static void set_arith_flags(X86CpuState *e, uint32_t f)
{
    x86_set_eflags(e, f, X86_ARITH_FLAGS);
}

static void bcd_adjust(X86CpuState *e, unsigned m)
{
    uint32_t fl = (uint32_t)x86_get_eflags(e);
    bool af = fl & X86_AF, cf = fl & X86_CF;
    uint8_t al = (uint8_t)e->regs[R_EAX], ah = (uint8_t)(e->regs[R_EAX] >> 8);
    uint32_t f = 0;
    switch (m) {
    case M(AAA): case M(AAS): {
        if ((al & 0xf) > 9 || af) {
            uint16_t ax = (uint16_t)(al | ah << 8);
            ax = m == M(AAA) ? (uint16_t)(ax + 0x106) : (uint16_t)(ax - 6 - 0x100);
            al = (uint8_t)ax;
            ah = (uint8_t)(ax >> 8);
            f = X86_AF | X86_CF;
        }
        al &= 0xf;
        f |= szp_flags(al);
        break;
    }
    case M(DAA): case M(DAS): {
        uint8_t old = al;
        bool sub = m == M(DAS);
        cf = false;
        if ((al & 0xf) > 9 || af) {
            bool carry = sub ? al < 6 : al > 0xf9;
            al = (uint8_t)(sub ? al - 6 : al + 6);
            cf = (fl & X86_CF) || carry;
            f |= X86_AF;
        }
        if (old > 0x99 || (fl & X86_CF)) {
            al = (uint8_t)(sub ? al - 0x60 : al + 0x60);
            cf = true;
        } else if (!sub) {
            cf = false;
        }
        f |= (cf ? X86_CF : 0) | szp_flags(al);
        break;
    }
    default: /* SALC */
        set_al_ah(e, cf ? 0xff : 0, ah);
        return;
    }
    set_al_ah(e, al, ah);
    set_arith_flags(e, f);
}

/* a = mnemonic, b = immediate or address, c = operand bytes, d = stack
 * address bytes (2, 4, 8) */
EMU_JIT_HELPER(x86_helper_legacy)
{
    X86CpuState *e = env;
    unsigned m = (unsigned)a, bytes = (unsigned)c;
    uint64_t sp_mask = d == 8 ? ~0ull : d == 4 ? 0xffffffffull : 0xffffull;
    switch (m) {
    case M(AAM): {
        uint8_t al = (uint8_t)e->regs[R_EAX];
        if ((uint8_t)b == 0) {
            emu_jit_raise(EMU_EXCP_DIVIDE, 0, true);
        }
        set_al_ah(e, al % (uint8_t)b, al / (uint8_t)b);
        set_arith_flags(e, szp_flags(al % (uint8_t)b));
        return 0;
    }
    case M(AAD): {
        uint8_t al = (uint8_t)e->regs[R_EAX], ah = (uint8_t)(e->regs[R_EAX] >> 8);
        al = (uint8_t)(al + ah * (uint8_t)b);
        set_al_ah(e, al, 0);
        set_arith_flags(e, szp_flags(al));
        return 0;
    }
    case M(XLAT): {
        uint8_t v = *gmem(b);
        e->regs[R_EAX] = (e->regs[R_EAX] & ~0xffull) | v;
        return 0;
    }
    case M(PUSHA): case M(PUSHAD): {
        uint64_t sp = e->regs[R_ESP], orig = sp;
        for (unsigned r = 0; r < 8; r++) {
            uint64_t v = r == R_ESP ? orig : e->regs[r];
            sp = (sp - bytes) & sp_mask;
            memcpy(gmem(e->seg_base[SEG_SS] + sp), &v, bytes);
        }
        e->regs[R_ESP] = (e->regs[R_ESP] & ~sp_mask) | sp;
        return 0;
    }
    case M(POPA): case M(POPAD): {
        uint64_t sp = e->regs[R_ESP];
        for (int r = 7; r >= 0; r--) {
            uint64_t v = 0;
            memcpy(&v, gmem(e->seg_base[SEG_SS] + sp), bytes);
            sp = (sp + bytes) & sp_mask;
            if (r == R_ESP) {
                continue;
            }
            if (bytes == 2) {
                e->regs[r] = (e->regs[r] & ~0xffffull) | v;
            } else {
                e->regs[r] = v;     /* 32-bit mode: the upper half is 0 */
            }
        }
        e->regs[R_ESP] = (e->regs[R_ESP] & ~sp_mask) | sp;
        return 0;
    }
    case M(INTO):
        if (x86_get_eflags(e) & X86_OF) {
            emu_jit_raise(EMU_EXCP_GPF, 0, false);  /* #OF: SIGSEGV in Linux */
        }
        return 0;
    default:
        bcd_adjust(e, m);
        return 0;
    }
}

/* BOUND: a = index, b = address of the bounds, c = operand bytes */
EMU_JIT_HELPER(x86_helper_bound)
{
    int64_t lo, hi;
    if (c == 2) {
        int16_t l, h;
        memcpy(&l, gmem(b), 2);
        memcpy(&h, gmem(b + 2), 2);
        lo = l;
        hi = h;
    } else {
        int32_t l, h;
        memcpy(&l, gmem(b), 4);
        memcpy(&h, gmem(b + 4), 4);
        lo = l;
        hi = h;
    }
    int64_t idx = c == 2 ? (int16_t)a : (int32_t)a;
    if (idx < lo || idx > hi) {
        emu_jit_raise(EMU_EXCP_GPF, 0, true);       /* #BR: SIGSEGV in Linux */
    }
    (void)env;
    (void)d;
    return 0;
}
