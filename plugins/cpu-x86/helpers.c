/*
 * Helpers for x86 instructions too involved for inline IR: rotates and
 * variable shifts with their flag rules, SHLD/SHRD, division, string
 * instructions with REP, locked read-modify-write, CMPXCHG8B/16B, BMI
 * bit fields, CPUID, RDTSC and the exits for syscalls and exceptions.
 * Guest memory is host memory at x86_guest_base + address (user mode).
 */
#define _GNU_SOURCE 1     /* getcpu() */
#include "x86-cpu.h"
#include <Zydis/Zydis.h>
#include <sched.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static uint64_t mask_of(unsigned sz)
{
    return sz == 3 ? UINT64_MAX : (1ull << (8u << sz)) - 1;
}

static void *guest_ptr(uint64_t addr)
{
    return (void *)(uintptr_t)(x86_guest_base + addr);
}

static uint64_t load_sz(uint64_t addr, unsigned sz)
{
    uint64_t v = 0;
    memcpy(&v, guest_ptr(addr), 1u << sz);
    return v;
}

static void store_sz(uint64_t addr, unsigned sz, uint64_t v)
{
    memcpy(guest_ptr(addr), &v, 1u << sz);
}

static void set_flags(X86CpuState *env, uint32_t f)
{
    env->cc_op = CC_OP(CC_EFLAGS, 0);
    env->cc_src = f;
}

static uint32_t szp(uint64_t r, unsigned sz)
{
    uint64_t m = mask_of(sz);
    r &= m;
    return (r == 0 ? X86_ZF : 0) | ((r & ((m >> 1) + 1)) ? X86_SF : 0) |
           ((__builtin_popcount((unsigned)(r & 0xff)) & 1) ? 0 : X86_PF);
}

EMU_JIT_HELPER(x86_helper_raise)
{
    emu_jit_raise((int)a, b, true);
}

/* a: EMU_SYSCALL_* kind, or 0x100 | exception with pc already advanced */
EMU_JIT_HELPER(x86_helper_syscall)
{
    if (a & 0x100) {
        emu_jit_raise((int)(a & 0xff), 0, false);
    }
    emu_jit_raise(EMU_EXCP_SYSCALL, a, false);
}

/* a = segment, b = selector: the base comes from the GDT slot (LDT
 * selectors and slots past the table get base 0). */
EMU_JIT_HELPER(x86_helper_load_seg)
{
    X86CpuState *e = env;
    uint16_t sel = (uint16_t)b;
    unsigned idx = sel >> 3;
    e->seg_sel[a] = sel;
    e->seg_base[a] = !(sel & 4) && idx < G_N_ELEMENTS(e->desc_base) ?
                     e->desc_base[idx] : 0;
    return 0;
}

/* a = value, b = count, c = op << 2 | size.
 * op: 0 rol, 1 ror, 2 rcl, 3 rcr, 4 shl, 5 shr, 6 sal, 7 sar */
EMU_JIT_HELPER(x86_helper_shift)
{
    X86CpuState *e = env;
    unsigned sz = c & 3, op = (unsigned)(c >> 2) & 7;
    unsigned bits = 8u << sz;
    uint64_t m = mask_of(sz), sign = (m >> 1) + 1;
    unsigned cnt = (unsigned)b & (sz == 3 ? 63 : 31);
    uint64_t v = a & m, r;
    uint32_t f = x86_compute_flags(e);
    bool cf = f & X86_CF, of;

    if (cnt == 0) {
        return v;
    }
    switch (op) {
    case 0: case 1: {
        unsigned n = cnt % bits;
        if (op == 0) {
            r = n ? ((v << n) | (v >> (bits - n))) & m : v;
            cf = r & 1;
            of = cf != ((r & sign) != 0);
        } else {
            r = n ? ((v >> n) | (v << (bits - n))) & m : v;
            cf = (r & sign) != 0;
            of = ((r ^ (r << 1)) & sign) != 0;
        }
        f = (f & ~(X86_CF | X86_OF)) | (cf ? X86_CF : 0) | (of ? X86_OF : 0);
        set_flags(e, f);
        return r;
    }
    case 2: case 3: {
        unsigned n = cnt % (bits + 1);
        r = v;
        for (unsigned i = 0; i < n; i++) {
            bool out;
            if (op == 2) {
                out = (r & sign) != 0;
                r = ((r << 1) | cf) & m;
            } else {
                out = r & 1;
                r = (r >> 1) | (cf ? sign : 0);
            }
            cf = out;
        }
        of = op == 2 ? (cf != ((r & sign) != 0))
                     : (((r ^ (r << 1)) & sign) != 0);
        f = (f & ~(X86_CF | X86_OF)) | (cf ? X86_CF : 0) | (of ? X86_OF : 0);
        set_flags(e, f);
        return r;
    }
    case 4: case 6:
        r = cnt >= 64 ? 0 : (v << cnt) & m;
        cf = cnt <= bits ? ((v >> (bits - cnt)) & 1) : 0;
        of = cf != ((r & sign) != 0);
        break;
    case 5:
        r = v >> cnt;
        cf = (v >> (cnt - 1)) & 1;
        of = (v & sign) != 0;
        break;
    default: {
        int64_t sv = (int64_t)(v << (64 - bits)) >> (64 - bits);
        r = (uint64_t)(sv >> cnt) & m;
        cf = (sv >> (cnt - 1)) & 1;
        of = false;
        break;
    }
    }
    set_flags(e, szp(r, sz) | (cf ? X86_CF : 0) | (of ? X86_OF : 0));
    return r;
}

/* a = dst, b = src, c = count << 8 | left << 2 | size */
EMU_JIT_HELPER(x86_helper_shiftd)
{
    X86CpuState *e = env;
    unsigned sz = c & 3, bits = 8u << sz;
    bool left = c & 4;
    unsigned cnt = (unsigned)(c >> 8) & (sz == 3 ? 63 : 31);
    uint64_t m = mask_of(sz), sign = (m >> 1) + 1;
    uint64_t v = a & m, s = b & m, r;
    bool cf;
    if (cnt == 0) {
        return v;
    }
    if (bits == 16 && cnt > 16) {
        /* undefined result; emulate a 32-bit funnel like common CPUs */
        uint64_t wide = left ? (v << 16 | s) : (s << 16 | v);
        uint64_t big = left ? (wide << 32 | v) : (v << 32 | wide);
        r = left ? (big >> (48 - cnt)) & m : (big >> cnt) & m;
        cf = left ? (big >> (48 - cnt + 16)) & 1 : (big >> (cnt - 1)) & 1;
    } else if (left) {
        r = ((v << cnt) | (cnt ? s >> (bits - cnt) : 0)) & m;
        cf = (v >> (bits - cnt)) & 1;
    } else {
        r = ((v >> cnt) | (s << (bits - cnt))) & m;
        cf = (v >> (cnt - 1)) & 1;
    }
    bool of = ((r ^ v) & sign) != 0;
    set_flags(e, szp(r, sz) | (cf ? X86_CF : 0) | (of ? X86_OF : 0));
    return r;
}

/* a = divisor, b = signed << 2 | size; rdx:rax / divisor */
EMU_JIT_HELPER(x86_helper_div)
{
    X86CpuState *e = env;
    unsigned sz = b & 3;
    bool sign = b & 4;
    unsigned bits = 8u << sz;
    uint64_t m = mask_of(sz);
    uint64_t dv = a & m;
    if (dv == 0) {
        emu_jit_raise(EMU_EXCP_DIVIDE, 0, true);
    }
    unsigned __int128 num;
    if (sz == 0) {
        num = e->regs[R_EAX] & 0xffff;
    } else {
        num = ((unsigned __int128)(e->regs[R_EDX] & m) << bits) |
              (e->regs[R_EAX] & m);
    }
    uint64_t q, r;
    if (!sign) {
        unsigned __int128 qq = num / dv;
        if (qq > m) {
            emu_jit_raise(EMU_EXCP_DIVIDE, 0, true);
        }
        q = (uint64_t)qq;
        r = (uint64_t)(num % dv);
    } else {
        unsigned total = 2 * bits;
        __int128 sn = (__int128)(num << (128 - total)) >> (128 - total);
        __int128 sd = (int64_t)(dv << (64 - bits)) >> (64 - bits);
        if (sd == -1 && sn == -((__int128)1 << (total - 1))) {
            emu_jit_raise(EMU_EXCP_DIVIDE, 0, true);
        }
        __int128 qq = sn / sd, rr = sn % sd;
        __int128 lim = (__int128)1 << (bits - 1);
        if (qq >= lim || qq < -lim) {
            emu_jit_raise(EMU_EXCP_DIVIDE, 0, true);
        }
        q = (uint64_t)qq & m;
        r = (uint64_t)rr & m;
    }
    if (sz == 0) {
        e->regs[R_EAX] = (e->regs[R_EAX] & ~0xffffull) | q | (r << 8);
    } else if (sz == 1) {
        e->regs[R_EAX] = (e->regs[R_EAX] & ~0xffffull) | q;
        e->regs[R_EDX] = (e->regs[R_EDX] & ~0xffffull) | r;
    } else {
        e->regs[R_EAX] = q;
        e->regs[R_EDX] = r;
    }
    return 0;
}

static uint64_t reg_get(X86CpuState *e, int i, unsigned asz)
{
    return e->regs[i] & mask_of(asz);
}

static void reg_set(X86CpuState *e, int i, unsigned asz, uint64_t v)
{
    if (asz >= 2) {
        e->regs[i] = v & mask_of(asz);
    } else {
        e->regs[i] = (e->regs[i] & ~0xffffull) | (v & 0xffff);
    }
}

static void sub_flags(X86CpuState *e, uint64_t a, uint64_t b, unsigned sz)
{
    e->cc_src2 = a;
    e->cc_src = b;
    e->cc_dst = a - b;
    e->cc_op = CC_OP(CC_SUB, sz);
}

/* Elements of 2^sz bytes from addr to the end of its page. */
static uint64_t elems_in_page(uint64_t addr, unsigned sz)
{
    return (4096 - (addr & 4095)) >> sz;
}

/* REP MOVS/STOS going up (DF clear), in bulk: a chunk never crosses a
 * page of the source or the destination, so a fault in it comes before
 * any byte of it is written, and the registers count every chunk done
 * before it (exactly what the one-element loop would leave).  Stops
 * early, leaving the rest to that loop, at an element that straddles a
 * page and at an overlap where copying up differs from memmove. */
static void string_bulk_up(X86CpuState *e, unsigned kind, unsigned sz,
                           unsigned asz, uint64_t src_base, uint64_t dst_base)
{
    while (reg_get(e, R_ECX, asz)) {
        uint64_t si = reg_get(e, R_ESI, asz), di = reg_get(e, R_EDI, asz);
        uint64_t n = MIN(reg_get(e, R_ECX, asz), elems_in_page(dst_base + di, sz));
        if (kind == 0) {
            n = MIN(n, elems_in_page(src_base + si, sz));
        }
        uint64_t bytes = n << sz;
        uint8_t *dst = guest_ptr(dst_base + di);
        const uint8_t *src = guest_ptr(src_base + si);
        if (n == 0 || (kind == 0 && (uint64_t)(dst - src) - 1 < bytes - 1)) {
            return;
        }
        if (kind == 0) {
            memmove(dst, src, bytes);
        } else if (sz == 0) {
            memset(dst, (int)(e->regs[R_EAX] & 0xff), bytes);
        } else {
            for (uint64_t k = 0; k < bytes; k += 1u << sz) {
                memcpy(dst + k, &e->regs[R_EAX], 1u << sz);
            }
        }
        if (kind == 0) {
            reg_set(e, R_ESI, asz, si + bytes);
        }
        reg_set(e, R_EDI, asz, di + bytes);
        reg_set(e, R_ECX, asz, reg_get(e, R_ECX, asz) - n);
    }
}

/* a = kind | rep << 4 | size << 8 | addr size << 12, b = source base.
 * kind: 0 movs, 1 stos, 2 lods, 3 cmps, 4 scas. */
EMU_JIT_HELPER(x86_helper_string)
{
    X86CpuState *e = env;
    unsigned kind = a & 15, rep = (a >> 4) & 3, sz = (a >> 8) & 3;
    unsigned asz = (a >> 12) & 3;
    int64_t step = e->df * (int64_t)(1u << sz);
    uint64_t dst_base = e->mode == 64 ? 0 : e->seg_base[SEG_ES];
    if (rep && kind <= 1 && e->df > 0 && asz >= 2) {
        string_bulk_up(e, kind, sz, asz, b, dst_base);
    }
    for (;;) {
        if (rep && reg_get(e, R_ECX, asz) == 0) {
            break;
        }
        uint64_t si = reg_get(e, R_ESI, asz), di = reg_get(e, R_EDI, asz);
        uint64_t val;
        bool stop = false;
        switch (kind) {
        case 0:
            store_sz(dst_base + di, sz, load_sz(b + si, sz));
            break;
        case 1:
            store_sz(dst_base + di, sz, e->regs[R_EAX]);
            break;
        case 2:
            val = load_sz(b + si, sz);
            if (sz >= 2) {
                e->regs[R_EAX] = sz == 3 ? val : (uint32_t)val;
            } else {
                e->regs[R_EAX] = (e->regs[R_EAX] & ~mask_of(sz)) | val;
            }
            break;
        case 3: {
            uint64_t x = load_sz(b + si, sz), y = load_sz(dst_base + di, sz);
            sub_flags(e, x, y, sz);
            stop = rep == 1 ? x != y : x == y;
            break;
        }
        default: {
            uint64_t x = e->regs[R_EAX] & mask_of(sz);
            uint64_t y = load_sz(dst_base + di, sz);
            sub_flags(e, x, y, sz);
            stop = rep == 1 ? x != y : x == y;
            break;
        }
        }
        if (kind == 0 || kind == 2 || kind == 3) {
            reg_set(e, R_ESI, asz, si + (uint64_t)step);
        }
        if (kind != 2) {
            reg_set(e, R_EDI, asz, di + (uint64_t)step);
        }
        if (!rep) {
            break;
        }
        reg_set(e, R_ECX, asz, reg_get(e, R_ECX, asz) - 1);
        if (kind >= 3 && stop) {
            break;
        }
    }
    return 0;
}

/* a = address, b = operand, c = op << 4 | size, d = expected (cmpxchg) */
EMU_JIT_HELPER(x86_helper_atomic)
{
    unsigned sz = c & 3, op = (unsigned)(c >> 4);
    void *p = guest_ptr(a);
#define ATOMIC_CASE(type) { \
        type *q = p, v = (type)b; \
        switch (op) { \
        case 0: return __atomic_exchange_n(q, v, __ATOMIC_SEQ_CST); \
        case 1: return __atomic_fetch_add(q, v, __ATOMIC_SEQ_CST); \
        case 2: return __atomic_fetch_and(q, v, __ATOMIC_SEQ_CST); \
        case 3: return __atomic_fetch_or(q, v, __ATOMIC_SEQ_CST); \
        case 4: return __atomic_fetch_xor(q, v, __ATOMIC_SEQ_CST); \
        default: { type exp = (type)d; \
            __atomic_compare_exchange_n(q, &exp, v, false, __ATOMIC_SEQ_CST, \
                                        __ATOMIC_SEQ_CST); \
            return exp; } \
        } }
    switch (sz) {
    case 0: ATOMIC_CASE(uint8_t)
    case 1: ATOMIC_CASE(uint16_t)
    case 2: ATOMIC_CASE(uint32_t)
    default: ATOMIC_CASE(uint64_t)
    }
#undef ATOMIC_CASE
}

/* a = address, b = 2 (cmpxchg8b) or 3 (cmpxchg16b) */
EMU_JIT_HELPER(x86_helper_cmpxchg16b)
{
    X86CpuState *e = env;
    uint32_t f = x86_compute_flags(e) & ~X86_ZF;
    if (b == 3) {
        if (a & 15) {
            emu_jit_raise(EMU_EXCP_GPF, 0, true);
        }
        unsigned __int128 *p = guest_ptr(a);
        unsigned __int128 exp = ((unsigned __int128)e->regs[R_EDX] << 64) |
                                e->regs[R_EAX];
        unsigned __int128 nv = ((unsigned __int128)e->regs[R_ECX] << 64) |
                               e->regs[R_EBX];
        if (__atomic_compare_exchange_n(p, &exp, nv, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST)) {
            f |= X86_ZF;
        } else {
            e->regs[R_EAX] = (uint64_t)exp;
            e->regs[R_EDX] = (uint64_t)(exp >> 64);
        }
    } else {
        uint64_t *p = guest_ptr(a);
        uint64_t exp = ((e->regs[R_EDX] & 0xffffffffu) << 32) |
                       (e->regs[R_EAX] & 0xffffffffu);
        uint64_t nv = ((e->regs[R_ECX] & 0xffffffffu) << 32) |
                      (e->regs[R_EBX] & 0xffffffffu);
        if (__atomic_compare_exchange_n(p, &exp, nv, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST)) {
            f |= X86_ZF;
        } else {
            e->regs[R_EAX] = (uint32_t)exp;
            e->regs[R_EDX] = exp >> 32;
        }
    }
    set_flags(e, f);
    return 0;
}

/* a, b = operands, c = mnemonic << 2 | size.  Sets flags. */
EMU_JIT_HELPER(x86_helper_bmi)
{
    X86CpuState *e = env;
    unsigned sz = c & 3, bits = 8u << sz;
    uint64_t m = mask_of(sz);
    unsigned mn = (unsigned)(c >> 2);
    uint64_t x = a & m, y = b & m, r = 0;
    bool cf = false;
    switch (mn) {
    case ZYDIS_MNEMONIC_BLSI: r = x & -x; cf = x != 0; break;
    case ZYDIS_MNEMONIC_BLSMSK: r = (x ^ (x - 1)) & m; cf = x == 0; break;
    case ZYDIS_MNEMONIC_BLSR: r = x & (x - 1); cf = x == 0; break;
    case ZYDIS_MNEMONIC_BZHI: {
        unsigned n = y & 0xff;
        r = n < bits ? x & ((1ull << n) - 1) : x;
        cf = n > bits - 1;
        break;
    }
    case ZYDIS_MNEMONIC_BEXTR: {
        unsigned start = y & 0xff, len = (y >> 8) & 0xff;
        r = start < bits ? x >> start : 0;
        if (len < 64) {
            r &= (1ull << len) - 1;
        }
        break;
    }
    case ZYDIS_MNEMONIC_PDEP:
        for (uint64_t mask = y, k = 1; mask; mask &= mask - 1, k <<= 1) {
            if (x & k) {
                r |= mask & -mask;
            }
        }
        set_flags(e, x86_compute_flags(e));
        return r;
    case ZYDIS_MNEMONIC_PEXT:
        for (uint64_t mask = y, k = 1; mask; mask &= mask - 1) {
            if (x & mask & -mask) {
                r |= k;
            }
            k <<= 1;
        }
        set_flags(e, x86_compute_flags(e));
        return r;
    default:
        emu_jit_raise(EMU_EXCP_ILLEGAL, 0, true);
    }
    r &= m;
    uint32_t f = (r == 0 ? X86_ZF : 0) | ((r >> (bits - 1)) & 1 ? X86_SF : 0) |
                 (cf ? X86_CF : 0);
    set_flags(e, f);
    return r;
}

static void cpuid_leaf(X86CpuState *e, uint32_t leaf, uint32_t sub,
                       uint32_t out[4])
{
    memset(out, 0, 4 * sizeof(uint32_t));
    if (leaf >= 0x80000000u ? leaf > e->cpuid_xlevel : leaf > e->cpuid_level) {
        return;
    }
    switch (leaf) {
    case 0:
        out[0] = e->cpuid_level;
        memcpy(&out[1], e->vendor, 4);
        memcpy(&out[3], e->vendor + 4, 4);
        memcpy(&out[2], e->vendor + 8, 4);
        break;
    case 1:
        out[0] = (e->stepping & 15) | ((e->model_id & 15) << 4) |
                 ((e->family & 15) << 8) | (((e->model_id >> 4) & 15) << 16);
        out[1] = 0x00010800;     /* one logical cpu, clflush 64 bytes */
        out[2] = e->cpuid_1_ecx;
        out[3] = e->cpuid_1_edx;
        break;
    case 7:
        if (sub == 0) {
            out[1] = e->cpuid_7_ebx;
            out[2] = e->cpuid_7_ecx;
        }
        break;
    case 0x80000000u:
        out[0] = e->cpuid_xlevel;
        memcpy(&out[1], e->vendor, 4);
        memcpy(&out[3], e->vendor + 4, 4);
        memcpy(&out[2], e->vendor + 8, 4);
        break;
    case 0x80000001u:
        out[2] = e->cpuid_81_ecx;
        out[3] = e->cpuid_81_edx;
        break;
    case 0x80000002u: case 0x80000003u: case 0x80000004u:
        memcpy(out, e->model_name + 16 * (leaf - 0x80000002u), 16);
        break;
    default:
        break;
    }
}

EMU_JIT_HELPER(x86_helper_cpuid)
{
    X86CpuState *e = env;
    uint32_t out[4];
    cpuid_leaf(e, (uint32_t)e->regs[R_EAX], (uint32_t)e->regs[R_ECX], out);
    e->regs[R_EAX] = out[0];
    e->regs[R_EBX] = out[1];
    e->regs[R_ECX] = out[2];
    e->regs[R_EDX] = out[3];
    return 0;
}

/* RDTSC, and RDTSCP when a is set: ECX gets IA32_TSC_AUX, which Linux
 * sets to node << 12 | cpu (the calling thread's, read from the host). */
EMU_JIT_HELPER(x86_helper_rdtsc)
{
    X86CpuState *e = env;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t t = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    e->regs[R_EAX] = (uint32_t)t;
    e->regs[R_EDX] = t >> 32;
    if (a) {
        unsigned cpu = 0, node = 0;
        if (getcpu(&cpu, &node) != 0) {
            cpu = node = 0;
        }
        e->regs[R_ECX] = (node & 0xfffu) << 12 | (cpu & 0xfffu);
    }
    return 0;
}

/* RDRAND/RDSEED: returns random bits from the host kernel's generator
 * with CF=1, or 0 with CF=0 ("none ready, retry") when it has none now;
 * the other arithmetic flags are cleared. */
EMU_JIT_HELPER(x86_helper_rdrand)
{
    X86CpuState *e = env;
    uint64_t v = 0;
    bool ok = getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v);
    e->cc_op = CC_OP(CC_EFLAGS, 0);
    e->cc_src = ok ? X86_CF : 0;
    e->cc_dst = 0;
    return ok ? v : 0;
}

/* a = mnemonic (0: just return the status word), b = memory operand */
EMU_JIT_HELPER(x86_helper_fpu_env)
{
    X86CpuState *e = env;
    uint8_t *p = a ? guest_ptr(b) : NULL;
    switch (a) {
    case 0:
        return x86_x87_status(e);
    case ZYDIS_MNEMONIC_FNSTENV:
        x86_x87_store_env(e, p);
        e->fpuc |= 0x3f;        /* fnstenv masks all exceptions */
        return 0;
    case ZYDIS_MNEMONIC_FLDENV:
        x86_x87_load_env(e, p);
        return 0;
    case ZYDIS_MNEMONIC_FXSAVE: case ZYDIS_MNEMONIC_FXSAVE64:
        x86_mxcsr_sync(e);
        x86_fxsave(e, p);
        return 0;
    case ZYDIS_MNEMONIC_FXRSTOR: case ZYDIS_MNEMONIC_FXRSTOR64:
        x86_mxcsr_sync(e);      /* pending flags are replaced too */
        x86_fxrstor(e, p);
        return 0;
    case ZYDIS_MNEMONIC_FNINIT:
        e->fpuc = 0x37f;
        e->fpus = 0;
        e->fptop = 0;
        e->fptag = 0;
        e->fpu_ip = e->fpu_dp = e->fpu_op = e->fpu_cs = 0;
        return 0;
    default: /* FNCLEX */
        e->fpus &= 0x7f00;
        return 0;
    }
}
