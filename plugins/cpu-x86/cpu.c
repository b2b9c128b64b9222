/*
 * The cpu-x86 plugin: CPU models, reset, register access and the plugin
 * descriptor registering "x86_64-cpu" and "i386-cpu" (parent "cpu") with
 * their EmuCpuClass as class_data.
 *
 * Models advertise in CPUID exactly the features the translator
 * implements; add a bit here only together with its instructions.
 */
#include "x86-cpu.h"
#include <emu/object.h>
#include <string.h>

/* CPUID feature bits.  FPU, MMX and FXSR belong to the x86-64 baseline
 * that glibc's ISA-level check requires, so every model sets them. */
#define F1D_FPU   (1u << 0)
#define F1D_MMX   (1u << 23)
#define F1D_FXSR  (1u << 24)
#define F1D_BASE  (F1D_FPU | F1D_MMX | F1D_FXSR)
#define F1D_TSC   (1u << 4)
#define F1D_CX8   (1u << 8)
#define F1D_CMOV  (1u << 15)
#define F1D_SSE   (1u << 25)
#define F1D_SSE2  (1u << 26)
#define F1C_SSE3  (1u << 0)
#define F1C_SSSE3 (1u << 9)
#define F1C_CX16  (1u << 13)
#define F1C_SSE41 (1u << 19)
#define F1C_SSE42 (1u << 20)
#define F1C_MOVBE (1u << 22)
#define F1C_POPCNT (1u << 23)
#define F1C_RDRAND (1u << 30)
#define F7B_BMI1  (1u << 3)
#define F7B_BMI2  (1u << 8)
#define F7B_RDSEED (1u << 18)
#define F81D_SYSCALL (1u << 11)
#define F81D_NX   (1u << 20)
#define F81D_RDTSCP (1u << 27)
#define F81D_LM   (1u << 29)
#define F81C_LAHF (1u << 0)
#define F81C_ABM  (1u << 5)

typedef struct X86Model {
    const char *name, *description, *vendor, *brand;
    uint32_t family, model, stepping, level, xlevel;
    uint32_t f1_ecx, f1_edx, f7_ebx, f81_ecx, f81_edx;
} X86Model;

static const char desc_emu64[] = "baseline x86-64 (SSE2, CX16, POPCNT)";
static const char desc_max[] = "everything emu implements (adds SSE3, SSSE3, "
    "SSE4.1, SSE4.2, BMI1, BMI2, LZCNT, MOVBE, RDTSCP, RDRAND, RDSEED)";
static const char desc_emu32[] = "i686 with SSE2";

static const X86Model x86_models[] = {
    {
        "emu64", desc_emu64, "GenuineIntel",
        "emu x86-64 baseline CPU", 6, 6, 3, 7, 0x80000004u,
        F1C_CX16 | F1C_POPCNT,
        F1D_BASE | F1D_TSC | F1D_CX8 | F1D_CMOV | F1D_SSE | F1D_SSE2,
        0, F81C_LAHF, F81D_SYSCALL | F81D_NX | F81D_LM,
    },
    {
        "max", desc_max,
        "GenuineIntel", "emu x86-64 max CPU", 6, 6, 3, 7, 0x80000004u,
        F1C_SSE3 | F1C_SSSE3 | F1C_SSE41 | F1C_SSE42 | F1C_CX16 | F1C_POPCNT |
            F1C_MOVBE | F1C_RDRAND,
        F1D_BASE | F1D_TSC | F1D_CX8 | F1D_CMOV | F1D_SSE | F1D_SSE2,
        F7B_BMI1 | F7B_BMI2 | F7B_RDSEED, F81C_LAHF | F81C_ABM,
        F81D_SYSCALL | F81D_NX | F81D_RDTSCP | F81D_LM,
    },
    {
        "emu32", desc_emu32, "GenuineIntel", "emu i686 CPU", 6, 6, 3,
        7, 0x80000004u, F1C_POPCNT,
        F1D_BASE | F1D_TSC | F1D_CX8 | F1D_CMOV | F1D_SSE | F1D_SSE2, 0, 0,
        F81D_NX,
    },
};

/* -cpu help's lists: each starts with its mode's default */
static const EmuCpuModel model_list_64[] = {
    { "emu64", desc_emu64 }, { "max", desc_max }, { "emu32", desc_emu32 },
    { NULL, NULL },
};

static const EmuCpuModel model_list_32[] = {
    { "emu32", desc_emu32 }, { "max", desc_max }, { "emu64", desc_emu64 },
    { NULL, NULL },
};

static const X86Model *find_model(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(x86_models); i++) {
        if (!g_strcmp0(x86_models[i].name, name)) {
            return &x86_models[i];
        }
    }
    return NULL;
}

static void apply_model(X86CpuState *e, const X86Model *m)
{
    e->cpuid_level = m->level;
    e->cpuid_xlevel = m->xlevel;
    e->cpuid_1_ecx = m->f1_ecx;
    e->cpuid_1_edx = m->f1_edx;
    e->cpuid_7_ebx = m->f7_ebx;
    e->cpuid_81_ecx = m->f81_ecx;
    e->cpuid_81_edx = m->f81_edx;
    e->family = m->family;
    e->model_id = m->model;
    e->stepping = m->stepping;
    g_strlcpy(e->vendor, m->vendor, sizeof(e->vendor));
    memset(e->model_name, 0, sizeof(e->model_name));
    g_strlcpy(e->model_name, m->brand, sizeof(e->model_name));
}

static bool reset_common(void *env, const char *model, const char *dflt,
                         unsigned mode, GError **errp)
{
    X86CpuState *e = env;
    const X86Model *m = find_model(model ? model : dflt);
    if (!m) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "unknown CPU model '%s' (try -cpu help)", model);
        return false;
    }
    memset(e, 0, sizeof(*e));
    apply_model(e, m);
    e->mode = mode;
    e->df = 1;
    e->cc_op = CC_OP(CC_EFLAGS, 0);
    e->mxcsr = 0x1f80;
    e->fpuc = 0x37f;
    e->eflags_rest = X86_IF;
    return true;
}

static bool reset_64(void *env, const char *model, GError **errp)
{
    return reset_common(env, model, "emu64", 64, errp);
}

static bool reset_32(void *env, const char *model, GError **errp)
{
    return reset_common(env, model, "emu32", 32, errp);
}

static uint64_t get_pc(const void *env)
{
    return ((const X86CpuState *)env)->rip;
}

static void set_pc(void *env, uint64_t pc)
{
    ((X86CpuState *)env)->rip = pc;
}

uint32_t x86_tb_flags(const X86CpuState *env)
{
    const uint64_t *b = env->seg_base;
    bool flat = !(b[SEG_CS] | b[SEG_DS] | b[SEG_ES] | b[SEG_SS]);
    uint32_t f = env->mode | (env->mode != 64 && flat ? X86_TB_FLAT_SEGS : 0);
#if defined(__x86_64__)
    if ((env->mxcsr & ~0x3fu) == 0x1f80u) {
        f |= X86_TB_SSE_DEFAULT;
    }
#endif
    return f;
}

static uint32_t get_flags(const void *env)
{
    return x86_tb_flags(env);
}

/* GDB order (rax rbx rcx rdx rsi rdi rbp rsp) to encoding order */
static const int gdb_to_enc[8] = { 0, 3, 1, 2, 6, 7, 5, 4 };

static uint64_t get_reg(const void *env, int reg)
{
    const X86CpuState *e = env;
    if (reg >= EMU_X86_RAX && reg <= EMU_X86_R15) {
        return e->regs[reg < 8 ? gdb_to_enc[reg] : reg];
    }
    switch (reg) {
    case EMU_X86_RIP: return e->rip;
    case EMU_X86_EFLAGS: return x86_get_eflags(e);
    case EMU_X86_FS_BASE: return e->seg_base[SEG_FS];
    case EMU_X86_GS_BASE: return e->seg_base[SEG_GS];
    case EMU_X86_CS: return e->seg_sel[SEG_CS];
    case EMU_X86_SS: return e->seg_sel[SEG_SS];
    case EMU_X86_DS: return e->seg_sel[SEG_DS];
    case EMU_X86_ES: return e->seg_sel[SEG_ES];
    case EMU_X86_FS: return e->seg_sel[SEG_FS];
    case EMU_X86_GS: return e->seg_sel[SEG_GS];
    case EMU_X86_MODE: return e->mode;
    default:
        if (reg >= EMU_X86_DESC_BASE && reg < EMU_X86_DESC_BASE + 16) {
            return e->desc_base[reg - EMU_X86_DESC_BASE];
        }
        return 0;
    }
}

static void set_reg(void *env, int reg, uint64_t v)
{
    X86CpuState *e = env;
    if (reg >= EMU_X86_RAX && reg <= EMU_X86_R15) {
        /* outside 64-bit mode the translator reads 32 bits of each */
        e->regs[reg < 8 ? gdb_to_enc[reg] : reg] = e->mode == 64 ? v : (uint32_t)v;
        return;
    }
    switch (reg) {
    case EMU_X86_RIP: e->rip = v; break;
    case EMU_X86_EFLAGS:
        x86_set_eflags(e, v, X86_ARITH_FLAGS | X86_DF | X86_TF | X86_AC | X86_ID);
        break;
    case EMU_X86_FS_BASE: e->seg_base[SEG_FS] = v; break;
    case EMU_X86_GS_BASE: e->seg_base[SEG_GS] = v; break;
    case EMU_X86_CS: e->seg_sel[SEG_CS] = (uint16_t)v; break;
    case EMU_X86_SS: e->seg_sel[SEG_SS] = (uint16_t)v; break;
    case EMU_X86_DS: e->seg_sel[SEG_DS] = (uint16_t)v; break;
    case EMU_X86_ES: e->seg_sel[SEG_ES] = (uint16_t)v; break;
    case EMU_X86_FS: e->seg_sel[SEG_FS] = (uint16_t)v; break;
    case EMU_X86_GS: e->seg_sel[SEG_GS] = (uint16_t)v; break;
    case EMU_X86_MODE: e->mode = (uint32_t)v; break;
    default:
        if (reg >= EMU_X86_DESC_BASE && reg < EMU_X86_DESC_BASE + 16) {
            e->desc_base[reg - EMU_X86_DESC_BASE] = v;
        }
        break;
    }
}

static char *dump_state(const void *env)
{
    const X86CpuState *e = env;
    static const char *const names[16] = {
        "RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
        "R8 ", "R9 ", "R10", "R11", "R12", "R13", "R14", "R15",
    };
    GString *s = g_string_new(NULL);
    for (int i = 0; i < 16; i++) {
        g_string_append_printf(s, "%s=%016" G_GINT64_MODIFIER "x%s", names[i],
                               e->regs[i], (i % 4 == 3) ? "\n" : " ");
    }
    g_string_append_printf(s, "RIP=%016" G_GINT64_MODIFIER "x RFL=%08"
                           G_GINT64_MODIFIER "x FS=%016" G_GINT64_MODIFIER
                           "x GS=%016" G_GINT64_MODIFIER "x",
                           e->rip, x86_get_eflags(e), e->seg_base[SEG_FS],
                           e->seg_base[SEG_GS]);
    return g_string_free(s, FALSE);
}

static void copy_state(void *dst, const void *src)
{
    memcpy(dst, src, sizeof(X86CpuState));
}

/* FXSAVE image (the 64-bit FXSAVE64 layout): FCW at 0, FSW at 2, FOP at
 * 6, FIP at 8, FDP at 16, MXCSR at 24, ST0-7 at 32 (16 bytes each),
 * XMM0-15 at 160.  FOP/FIP/FDP are always saved, as Intel CPUs do (the
 * models are GenuineIntel); AMD CPUs save them only while an exception
 * is pending (ES set) and write zeros otherwise. */
void x86_fxsave(const X86CpuState *e, void *buf)
{
    uint8_t *b = buf;
    uint16_t sw = x86_x87_status(e);
    memset(b, 0, 512);
    memcpy(b, &e->fpuc, 2);
    memcpy(b + 2, &sw, 2);
    b[4] = (uint8_t)e->fptag;               /* abridged tags, physical order */
    memcpy(b + 6, &e->fpu_op, 2);
    memcpy(b + 8, &e->fpu_ip, 8);
    memcpy(b + 16, &e->fpu_dp, 8);
    memcpy(b + 24, &e->mxcsr, 4);
    uint32_t mxcsr_mask = 0xffff;
    memcpy(b + 28, &mxcsr_mask, 4);
    for (unsigned i = 0; i < 8; i++) {      /* ST(i), i.e. logical order */
        unsigned ph = (e->fptop + i) & 7;
        memcpy(b + 32 + 16 * i, &e->st[ph].mant, 8);
        memcpy(b + 40 + 16 * i, &e->st[ph].sexp, 2);
    }
    memcpy(b + 160, e->xmm, 256);
}

void x86_fxrstor(X86CpuState *e, const void *buf)
{
    const uint8_t *b = buf;
    uint16_t sw;
    memcpy(&e->fpuc, b, 2);
    memcpy(&sw, b + 2, 2);
    e->fpus = sw & ~0x3800u;
    e->fptop = (sw >> 11) & 7;
    e->fptag = b[4];
    memcpy(&e->fpu_op, b + 6, 2);
    e->fpu_op &= 0x7ff;
    memcpy(&e->fpu_ip, b + 8, 8);
    memcpy(&e->fpu_dp, b + 16, 8);
    memcpy(&e->mxcsr, b + 24, 4);
    for (unsigned i = 0; i < 8; i++) {
        unsigned ph = (e->fptop + i) & 7;
        memcpy(&e->st[ph].mant, b + 32 + 16 * i, 8);
        memcpy(&e->st[ph].sexp, b + 40 + 16 * i, 2);
    }
    memcpy(e->xmm, b + 160, 256);
}

static void fp_save(const void *env, void *buf)
{
    x86_fxsave(env, buf);
}

static void fp_restore(void *env, const void *buf)
{
    x86_fxrstor(env, buf);
}

/* Both classes run the same state and translator; they differ in mode. */
#define X86_CPU_CLASS(arch_name, bits, model_list, reset_fn)            \
    {                                                                   \
        .size = sizeof(EmuCpuClass),                                    \
        .arch = arch_name,                                              \
        .state_size = sizeof(X86CpuState),                              \
        .models = model_list,                                           \
        .capstone_arch = "x86",                                         \
        .capstone_mode = bits,                                          \
        .max_insns = 64,                                                \
        .reset = reset_fn,                                              \
        .get_pc = get_pc,                                               \
        .set_pc = set_pc,                                               \
        .get_flags = get_flags,                                         \
        .translate = x86_translate,                                     \
        .get_reg = get_reg,                                             \
        .set_reg = set_reg,                                             \
        .dump_state = dump_state,                                       \
        .copy_state = copy_state,                                       \
        .fp_state_size = 512,                                           \
        .fp_save = fp_save,                                             \
        .fp_restore = fp_restore,                                       \
        .exec_enter = x86_exec_enter,                                   \
        .exec_leave = x86_exec_leave,                                   \
    }

const EmuCpuClass x86_64_cpu_class =
    X86_CPU_CLASS("x86_64", 64, model_list_64, reset_64);
const EmuCpuClass i386_cpu_class =
    X86_CPU_CLASS("i386", 32, model_list_32, reset_32);

static const EmuTypeInfo x86_64_type = {
    EMU_TYPE_HEADER,
    .name = "x86_64-cpu",
    .parent = "cpu",
    .description = "x86-64 CPU (user-level instruction set)",
    .instance_size = 0,
    .class_data = &x86_64_cpu_class,
};

static const EmuTypeInfo i386_type = {
    EMU_TYPE_HEADER,
    .name = "i386-cpu",
    .parent = "cpu",
    .description = "i386 CPU (user-level instruction set)",
    .instance_size = 0,
    .class_data = &i386_cpu_class,
};

static bool x86_plugin_init(EmuPlugin *self, GError **errp)
{
    return emu_type_register(&x86_64_type, errp) &&
           emu_type_register(&i386_type, errp);
}

static const char *const x86_provides[] = {
    "cpu:x86_64-cpu", "cpu:i386-cpu", NULL,
};

EMU_PLUGIN_EXPORT const EmuPluginInfo emu_plugin_info = {
    EMU_PLUGIN_HEADER,
    .name = "cpu-x86",
    .version = "0.1",
    .license = "GPL-2.0-or-later",
    .description = "x86 CPUs (i386, x86-64) for the JIT",
    .provides = x86_provides,
    .requires = NULL,
    .init = x86_plugin_init,
};
