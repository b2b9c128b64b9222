/*
 * i386 signal frames, laid out as the Linux kernel builds them for a
 * 32-bit process (arch/x86 ia32 frames, from the uapi headers'
 * sigcontext_32, _fpstate_32 and ucontext):
 *
 *   sigframe (handler without SA_SIGINFO):
 *     pretcode, sig, sigcontext (88), _fpstate_32 (unused, 624),
 *     extramask (mask bits 32..63), retcode[8]
 *   rt_sigframe:
 *     pretcode, sig, &info, &uc, siginfo (128), ucontext
 *     (flags, link, stack_t (12), sigcontext (88), sigmask (8)), retcode[8]
 *
 * The FPU state follows, at a 64-byte boundary minus the 112-byte legacy
 * header, so that its FXSAVE image is aligned; sigcontext.fpstate points
 * at it.  sigreturn and rt_sigreturn read the frame back.
 */
#include "config.h"
#include "user.h"
#include <string.h>

/* sigcontext_32 words (glibc's REG_* order for i386) */
enum {
    SC_GS, SC_FS, SC_ES, SC_DS, SC_EDI, SC_ESI, SC_EBP, SC_ESP, SC_EBX,
    SC_EDX, SC_ECX, SC_EAX, SC_TRAPNO, SC_ERR, SC_EIP, SC_CS, SC_EFL,
    SC_UESP, SC_SS, SC_FPSTATE, SC_OLDMASK, SC_CR2, SC_WORDS
};

static const int sc_reg[SC_WORDS] = {
    [SC_GS] = EMU_X86_GS, [SC_FS] = EMU_X86_FS, [SC_ES] = EMU_X86_ES,
    [SC_DS] = EMU_X86_DS, [SC_EDI] = EMU_X86_RDI, [SC_ESI] = EMU_X86_RSI,
    [SC_EBP] = EMU_X86_RBP, [SC_ESP] = EMU_X86_RSP, [SC_EBX] = EMU_X86_RBX,
    [SC_EDX] = EMU_X86_RDX, [SC_ECX] = EMU_X86_RCX, [SC_EAX] = EMU_X86_RAX,
    [SC_TRAPNO] = -1, [SC_ERR] = -1, [SC_EIP] = EMU_X86_RIP,
    [SC_CS] = EMU_X86_CS, [SC_EFL] = EMU_X86_EFLAGS, [SC_UESP] = EMU_X86_RSP,
    [SC_SS] = EMU_X86_SS, [SC_FPSTATE] = -1, [SC_OLDMASK] = -1, [SC_CR2] = -1,
};

enum {
    SC_SIZE = SC_WORDS * 4,             /* 88 */
    FP_LEGACY = 112,                    /* _fpstate_32 before the FXSAVE image */
    FP_SIZE = FP_LEGACY + 512,
    /* sigframe */
    F_SC = 8,
    F_EXTRAMASK = F_SC + SC_SIZE + FP_SIZE,
    F_RETCODE = F_EXTRAMASK + 4,
    F_SIZE = F_RETCODE + 8,
    /* rt_sigframe */
    RT_INFO = 16,
    RT_UC = RT_INFO + 128,
    UC_STACK = 8,
    UC_MCONTEXT = 20,
    UC_SIGMASK = UC_MCONTEXT + SC_SIZE,
    RT_RETCODE = RT_UC + UC_SIGMASK + 8,
    RT_SIZE = RT_RETCODE + 8,
};

#define SA_RESTORER_ 0x04000000u
#define USER_CS 0x23
#define USER_DS 0x2b
#define NR_SIGRETURN 119
#define NR_RT_SIGRETURN 173

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* compat_siginfo: the union starts at 12 instead of 16, and the clock_t
 * and pointer fields are 4 bytes. */
void user_i386_siginfo(void *dst, const siginfo_t *info)
{
    uint8_t *d = dst;
    const uint8_t *s = (const uint8_t *)info;
    memset(d, 0, 128);
    memcpy(d, s, 12);                   /* signo, errno, code */
    switch (info->si_signo) {
    case SIGSEGV: case SIGBUS: case SIGILL: case SIGFPE: case SIGTRAP:
        if (info->si_code > 0) {
            put32(d + 12, (uint32_t)(uintptr_t)info->si_addr);
            return;
        }
        break;
    case SIGCHLD:
        if (info->si_code > 0) {
            put32(d + 12, (uint32_t)info->si_pid);
            put32(d + 16, info->si_uid);
            put32(d + 20, (uint32_t)info->si_status);
            put32(d + 24, (uint32_t)info->si_utime);
            put32(d + 28, (uint32_t)info->si_stime);
            return;
        }
        break;
    default:
        break;
    }
    /* kill, sigqueue, timers: two ints then a sigval kept as its low half */
    memcpy(d + 12, s + 16, 8);
    put32(d + 20, get32(s + 24));
}

/* The full x87 tag word from FXSAVE's abridged one: per physical
 * register 0 valid, 1 zero, 2 special (NaN, infinity, denormal,
 * unnormal), 3 empty; the registers in the image are in stack order. */
static uint32_t full_tag_word(const uint8_t *fx)
{
    unsigned top = (fx[3] >> 3) & 7;     /* FSW bits 11..13 */
    uint32_t tag = 0xffff0000u;
    for (unsigned phys = 0; phys < 8; phys++) {
        unsigned t = 3;
        if ((fx[4] >> phys) & 1) {
            const uint8_t *st = fx + 32 + 16 * ((phys - top) & 7);
            uint64_t mant;
            uint16_t exp;
            memcpy(&mant, st, 8);
            memcpy(&exp, st + 8, 2);
            exp &= 0x7fff;
            t = exp == 0x7fff ? 2 : exp == 0 ? (mant ? 2 : 1)
                                             : (mant >> 63) ? 0 : 2;
        }
        tag |= t << (2 * phys);
    }
    return tag;
}

/* The legacy (FSAVE-format) header of _fpstate_32 from the FXSAVE image
 * at fx, as a 64-bit kernel fills it for a 32-bit process: control,
 * status and full tag words, instruction and operand pointers (with the
 * process's CS and DS, which the 64-bit image does not hold), the eight
 * registers, the status word again, and magic 0: FXSR data follows. */
static void put_fsave_header(const EmuCpuClass *cls, void *env, uint8_t *f,
                             const uint8_t *fx)
{
    uint16_t cw, sw;
    memcpy(&cw, fx, 2);
    memcpy(&sw, fx + 2, 2);
    put32(f, 0xffff0000u | cw);
    put32(f + 4, 0xffff0000u | sw);
    put32(f + 8, full_tag_word(fx));
    put32(f + 12, get32(fx + 8));                   /* ipoff */
    put32(f + 16, (uint32_t)cls->get_reg(env, EMU_X86_CS));
    put32(f + 20, get32(fx + 16));                  /* dataoff */
    put32(f + 24, 0xffff0000u | (uint32_t)cls->get_reg(env, EMU_X86_DS));
    for (unsigned i = 0; i < 8; i++) {   /* _st[i]: 10 bytes each */
        memcpy(f + 28 + 10 * i, fx + 32 + 16 * i, 10);
    }
    memcpy(f + 108, &sw, 2);                        /* status */
    memset(f + 110, 0, 2);                          /* magic: FXSR */
}

/* Saves the FPU state at fp (a guest address): the legacy header and
 * the FXSAVE image. */
static void save_fpstate(const EmuCpuClass *cls, void *env, uint64_t fp)
{
    uint8_t *f = g2h(fp);
    memset(f, 0, FP_SIZE);
    if (!cls->fp_save) {
        return;
    }
    uint8_t *fx = f + FP_LEGACY;
    cls->fp_save(env, fx);
    put_fsave_header(cls, env, f, fx);
}

static void save_sigcontext(const EmuCpuClass *cls, void *env, uint8_t *sc,
                            int sig, const siginfo_t *info, uint64_t fp,
                            uint64_t mask)
{
    for (int i = 0; i < SC_WORDS; i++) {
        if (sc_reg[i] >= 0) {
            put32(sc + 4 * i, (uint32_t)cls->get_reg(env, sc_reg[i]));
        }
    }
    bool fault = sig == SIGSEGV || sig == SIGBUS;
    put32(sc + 4 * SC_TRAPNO, fault ? 14 : 0);
    put32(sc + 4 * SC_FPSTATE, (uint32_t)fp);
    put32(sc + 4 * SC_OLDMASK, (uint32_t)mask);
    put32(sc + 4 * SC_CR2, fault ? (uint32_t)(uintptr_t)info->si_addr : 0);
}

/* retcode: popl %eax (sigframe only); movl $nr, %eax; int $0x80 */
static void put_retcode(uint8_t *p, bool rt)
{
    static const uint8_t plain[8] = { 0x58, 0xb8, NR_SIGRETURN, 0, 0, 0, 0xcd, 0x80 };
    static const uint8_t rtc[8] = { 0xb8, NR_RT_SIGRETURN, 0, 0, 0, 0xcd, 0x80, 0 };
    memcpy(p, rt ? rtc : plain, 8);
}

/* The handler runs with the flat user data segment in DS and ES, and
 * the user code and stack segments, whatever the interrupted code had;
 * FS and GS stay.  (Only the selectors: the CPU interface cannot set the
 * hidden DS/ES bases, so a based DS stays based in the handler.) */
static void enter_handler_segments(const EmuCpuClass *cls, void *env)
{
    cls->set_reg(env, EMU_X86_DS, USER_DS);
    cls->set_reg(env, EMU_X86_ES, USER_DS);
    cls->set_reg(env, EMU_X86_CS, USER_CS);
    cls->set_reg(env, EMU_X86_SS, USER_DS);
}

void user_i386_build_frame(EmuJitCpu *cpu, int sig, const siginfo_t *info,
                           const GuestSigaction *ga, uint64_t sp, uint64_t mask,
                           const GuestStack *st)
{
    const EmuCpuClass *cls = emu_jit_cpu_class(cpu);
    void *env = emu_jit_cpu_env(cpu);
    bool rt = ga->flags & SA_SIGINFO;
    uint64_t size = rt ? RT_SIZE : F_SIZE;
    sp = (uint32_t)sp;
    uint64_t fp = ((sp - 512) & ~63ull) - FP_LEGACY;   /* FXSAVE image aligned */
    uint64_t frame = (((fp - size) + 4) & ~15ull) - 4; /* (sp + 4) % 16 == 0 */
    save_fpstate(cls, env, fp);
    uint8_t *f = g2h(frame);
    memset(f, 0, size);
    uint32_t retaddr = (ga->flags & SA_RESTORER_) ? (uint32_t)ga->restorer
                       : (uint32_t)frame + (rt ? RT_RETCODE : F_RETCODE);
    put32(f, retaddr);
    put32(f + 4, (uint32_t)sig);
    if (rt) {
        put32(f + 8, (uint32_t)frame + RT_INFO);
        put32(f + 12, (uint32_t)frame + RT_UC);
        user_i386_siginfo(f + RT_INFO, info);
        ((int32_t *)(f + RT_INFO))[0] = sig;
        uint8_t *uc = f + RT_UC;
        put32(uc + UC_STACK, (uint32_t)st->sp);
        put32(uc + UC_STACK + 4, (uint32_t)st->flags);
        put32(uc + UC_STACK + 8, (uint32_t)st->size);
        save_sigcontext(cls, env, uc + UC_MCONTEXT, sig, info, fp, mask);
        memcpy(uc + UC_SIGMASK, &mask, 8);
        put_retcode(f + RT_RETCODE, true);
    } else {
        save_sigcontext(cls, env, f + F_SC, sig, info, fp, mask);
        put32(f + F_EXTRAMASK, (uint32_t)(mask >> 32));
        put_retcode(f + F_RETCODE, false);
    }
    cls->set_reg(env, EMU_X86_RSP, frame);
    cls->set_reg(env, EMU_X86_RIP, (uint32_t)ga->handler);
    enter_handler_segments(cls, env);
    cls->set_reg(env, EMU_X86_RAX, (uint64_t)sig);  /* regparm(3) handlers */
    cls->set_reg(env, EMU_X86_RDX, rt ? frame + RT_INFO : 0);
    cls->set_reg(env, EMU_X86_RCX, rt ? frame + RT_UC : 0);
    uint64_t fl = cls->get_reg(env, EMU_X86_EFLAGS);
    cls->set_reg(env, EMU_X86_EFLAGS, fl & ~(uint64_t)0x500);  /* DF, TF */
}

/* sigreturn reloads the segment registers from the frame with the user
 * privilege level forced, as the kernel does; FS and GS take their base
 * from the descriptor (a TLS slot of set_thread_area, or 0).  DS/ES:
 * selectors only, as above. */
static void restore_segments(const EmuCpuClass *cls, void *env,
                             const uint8_t *sc)
{
    static const struct { int word, reg, base; } segs[] = {
        { SC_GS, EMU_X86_GS, EMU_X86_GS_BASE }, { SC_FS, EMU_X86_FS, EMU_X86_FS_BASE },
        { SC_ES, EMU_X86_ES, -1 }, { SC_DS, EMU_X86_DS, -1 },
        { SC_CS, EMU_X86_CS, -1 }, { SC_SS, EMU_X86_SS, -1 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(segs); i++) {
        uint16_t sel = (uint16_t)(get32(sc + 4 * segs[i].word) | 3);
        cls->set_reg(env, segs[i].reg, sel);
        if (segs[i].base >= 0) {
            unsigned idx = sel >> 3;
            bool gdt = !(sel & 4) && idx < 16;
            cls->set_reg(env, segs[i].base,
                         gdt ? cls->get_reg(env, EMU_X86_DESC_BASE + (int)idx) : 0);
        }
    }
}

/* Only the arithmetic flags, DF, TF, AC and RF come back from the frame. */
static void restore_eflags(const EmuCpuClass *cls, void *env, uint32_t fl)
{
    const uint32_t fix = 0x40000 | 0x10000 | 0x800 | 0x400 | 0x100 | 0xd5;
    uint64_t cur = cls->get_reg(env, EMU_X86_EFLAGS);
    cls->set_reg(env, EMU_X86_EFLAGS, (cur & ~(uint64_t)fix) | (fl & fix));
}

static void restore_sigcontext(const EmuCpuClass *cls, void *env,
                               const uint8_t *sc)
{
    for (int i = SC_EDI; i <= SC_EAX; i++) {
        cls->set_reg(env, sc_reg[i], get32(sc + 4 * i));
    }
    cls->set_reg(env, EMU_X86_RIP, get32(sc + 4 * SC_EIP));
    restore_eflags(cls, env, get32(sc + 4 * SC_EFL));
    restore_segments(cls, env, sc);
    uint32_t fp = get32(sc + 4 * SC_FPSTATE);
    if (fp && cls->fp_restore) {
        uint16_t magic;
        memcpy(&magic, (uint8_t *)g2h(fp) + 110, 2);
        if (magic == 0) {
            cls->fp_restore(env, (uint8_t *)g2h(fp) + FP_LEGACY);
        }
    }
}

/* Returns eax as restored (the syscall's result must not clobber it). */
int64_t user_i386_sigreturn(EmuJitCpu *cpu, bool rt)
{
    const EmuCpuClass *cls = emu_jit_cpu_class(cpu);
    void *env = emu_jit_cpu_env(cpu);
    uint64_t sp = (uint32_t)cls->get_reg(env, EMU_X86_RSP);
    uint64_t mask;
    if (rt) {
        uint8_t *f = g2h(sp - 4);       /* the handler's ret popped pretcode */
        restore_sigcontext(cls, env, f + RT_UC + UC_MCONTEXT);
        memcpy(&mask, f + RT_UC + UC_SIGMASK, 8);
    } else {
        uint8_t *f = g2h(sp - 8);       /* ret, then the retcode's popl */
        restore_sigcontext(cls, env, f + F_SC);
        mask = get32(f + F_SC + 4 * SC_OLDMASK) |
               ((uint64_t)get32(f + F_EXTRAMASK) << 32);
    }
    user_sigmask_set(mask);
    return (int64_t)(uint32_t)cls->get_reg(env, EMU_X86_RAX);
}
