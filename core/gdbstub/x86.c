/*
 * x86 registers for the GDB stub: the target description XML (written
 * from the GDB manual's "Standard Target Features": org.gnu.gdb.i386.core,
 * .sse, .segments and .linux) and the mapping from its register numbers
 * to the CPU class's get_reg/set_reg numbers and FXSAVE image.
 */
#include "config.h"
#include "gdbstub.h"
#include <string.h>

typedef enum RegKind {
    REG_CPU,        /* get_reg/set_reg number in .index */
    REG_ST,         /* x87 ST(index), 80 bits at 32 + 16 * index */
    REG_FPCTL,      /* x87 control/status field number .index */
    REG_XMM,        /* xmm index, 128 bits at 160 + 16 * index */
    REG_MXCSR,
    REG_ORIG,       /* orig_rax: no syscall to restart */
} RegKind;

typedef struct RegDef {
    const char *name;
    uint8_t kind, index;
    uint8_t bits;
    const char *type, *group;
    uint8_t feature;
} RegDef;

enum { F_CORE, F_SSE, F_SEGMENTS, F_LINUX, F_COUNT };
static const char *const feature_names[F_COUNT] = {
    "org.gnu.gdb.i386.core", "org.gnu.gdb.i386.sse",
    "org.gnu.gdb.i386.segments", "org.gnu.gdb.i386.linux",
};

#define GPR(n, id, t) { n, REG_CPU, id, 64, t, NULL, F_CORE }
#define GPR32(n, id, t) { n, REG_CPU, id, 32, t, NULL, F_CORE }
#define SEG(n, id) { n, REG_CPU, id, 32, "int32", NULL, F_CORE }
#define ST(i) { "st" #i, REG_ST, i, 80, "i387_ext", NULL, F_CORE }
#define FPCTL(n, i) { n, REG_FPCTL, i, 32, "int", "float", F_CORE }
#define XMM(i) { "xmm" #i, REG_XMM, i, 128, "vec128", NULL, F_SSE }
#define X87_AND_CONTROL \
    ST(0), ST(1), ST(2), ST(3), ST(4), ST(5), ST(6), ST(7), \
    FPCTL("fctrl", 0), FPCTL("fstat", 1), FPCTL("ftag", 2), \
    FPCTL("fiseg", 3), FPCTL("fioff", 4), FPCTL("foseg", 5), \
    FPCTL("fooff", 6), FPCTL("fop", 7)
#define MXCSR { "mxcsr", REG_MXCSR, 0, 32, "i386_mxcsr", "vector", F_SSE }

static const RegDef regs64[] = {
    GPR("rax", EMU_X86_RAX, "int64"), GPR("rbx", EMU_X86_RBX, "int64"),
    GPR("rcx", EMU_X86_RCX, "int64"), GPR("rdx", EMU_X86_RDX, "int64"),
    GPR("rsi", EMU_X86_RSI, "int64"), GPR("rdi", EMU_X86_RDI, "int64"),
    GPR("rbp", EMU_X86_RBP, "data_ptr"), GPR("rsp", EMU_X86_RSP, "data_ptr"),
    GPR("r8", EMU_X86_R8, "int64"), GPR("r9", EMU_X86_R9, "int64"),
    GPR("r10", EMU_X86_R10, "int64"), GPR("r11", EMU_X86_R11, "int64"),
    GPR("r12", EMU_X86_R12, "int64"), GPR("r13", EMU_X86_R13, "int64"),
    GPR("r14", EMU_X86_R14, "int64"), GPR("r15", EMU_X86_R15, "int64"),
    GPR("rip", EMU_X86_RIP, "code_ptr"),
    GPR32("eflags", EMU_X86_EFLAGS, "i386_eflags"),
    SEG("cs", EMU_X86_CS), SEG("ss", EMU_X86_SS), SEG("ds", EMU_X86_DS),
    SEG("es", EMU_X86_ES), SEG("fs", EMU_X86_FS), SEG("gs", EMU_X86_GS),
    X87_AND_CONTROL,
    XMM(0), XMM(1), XMM(2), XMM(3), XMM(4), XMM(5), XMM(6), XMM(7),
    XMM(8), XMM(9), XMM(10), XMM(11), XMM(12), XMM(13), XMM(14), XMM(15),
    MXCSR,
    { "fs_base", REG_CPU, EMU_X86_FS_BASE, 64, "int", NULL, F_SEGMENTS },
    { "gs_base", REG_CPU, EMU_X86_GS_BASE, 64, "int", NULL, F_SEGMENTS },
    { "orig_rax", REG_ORIG, 0, 64, "int", NULL, F_LINUX },
};

static const RegDef regs32[] = {
    GPR32("eax", EMU_X86_RAX, "int32"), GPR32("ecx", EMU_X86_RCX, "int32"),
    GPR32("edx", EMU_X86_RDX, "int32"), GPR32("ebx", EMU_X86_RBX, "int32"),
    GPR32("esp", EMU_X86_RSP, "data_ptr"), GPR32("ebp", EMU_X86_RBP, "data_ptr"),
    GPR32("esi", EMU_X86_RSI, "int32"), GPR32("edi", EMU_X86_RDI, "int32"),
    GPR32("eip", EMU_X86_RIP, "code_ptr"),
    GPR32("eflags", EMU_X86_EFLAGS, "i386_eflags"),
    SEG("cs", EMU_X86_CS), SEG("ss", EMU_X86_SS), SEG("ds", EMU_X86_DS),
    SEG("es", EMU_X86_ES), SEG("fs", EMU_X86_FS), SEG("gs", EMU_X86_GS),
    X87_AND_CONTROL,
    XMM(0), XMM(1), XMM(2), XMM(3), XMM(4), XMM(5), XMM(6), XMM(7),
    MXCSR,
    { "orig_eax", REG_ORIG, 0, 32, "int", NULL, F_LINUX },
};

static bool is64(const EmuCpuClass *cls)
{
    return !strcmp(cls->arch, "x86_64");
}

static const RegDef *reg_table(const EmuCpuClass *cls, size_t *n)
{
    if (is64(cls)) {
        *n = G_N_ELEMENTS(regs64);
        return regs64;
    }
    if (!strcmp(cls->arch, "i386")) {
        *n = G_N_ELEMENTS(regs32);
        return regs32;
    }
    *n = 0;
    return NULL;
}

unsigned emu_gdb_num_regs(const EmuCpuClass *cls, bool linux_user)
{
    size_t n;
    const RegDef *t = reg_table(cls, &n);
    /* orig_rax comes last: without it the numbering stays the same */
    return (unsigned)(t && !linux_user ? n - 1 : n);
}

unsigned emu_gdb_reg_size(const EmuCpuClass *cls, unsigned i)
{
    size_t n;
    const RegDef *t = reg_table(cls, &n);
    return i < n ? t[i].bits / 8 : 0;
}

/* The type definitions the registers above use (GDB's predefined types
 * cover the rest). */
static const char core_types[] =
    "<flags id=\"i386_eflags\" size=\"4\">"
    "<field name=\"CF\" start=\"0\" end=\"0\"/>"
    "<field name=\"\" start=\"1\" end=\"1\"/>"
    "<field name=\"PF\" start=\"2\" end=\"2\"/>"
    "<field name=\"AF\" start=\"4\" end=\"4\"/>"
    "<field name=\"ZF\" start=\"6\" end=\"6\"/>"
    "<field name=\"SF\" start=\"7\" end=\"7\"/>"
    "<field name=\"TF\" start=\"8\" end=\"8\"/>"
    "<field name=\"IF\" start=\"9\" end=\"9\"/>"
    "<field name=\"DF\" start=\"10\" end=\"10\"/>"
    "<field name=\"OF\" start=\"11\" end=\"11\"/>"
    "<field name=\"NT\" start=\"14\" end=\"14\"/>"
    "<field name=\"RF\" start=\"16\" end=\"16\"/>"
    "<field name=\"VM\" start=\"17\" end=\"17\"/>"
    "<field name=\"AC\" start=\"18\" end=\"18\"/>"
    "<field name=\"VIF\" start=\"19\" end=\"19\"/>"
    "<field name=\"VIP\" start=\"20\" end=\"20\"/>"
    "<field name=\"ID\" start=\"21\" end=\"21\"/>"
    "</flags>";

static const char sse_types[] =
    "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
    "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
    "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"
    "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
    "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"
    "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
    "<union id=\"vec128\">"
    "<field name=\"v4_float\" type=\"v4f\"/>"
    "<field name=\"v2_double\" type=\"v2d\"/>"
    "<field name=\"v16_int8\" type=\"v16i8\"/>"
    "<field name=\"v8_int16\" type=\"v8i16\"/>"
    "<field name=\"v4_int32\" type=\"v4i32\"/>"
    "<field name=\"v2_int64\" type=\"v2i64\"/>"
    "<field name=\"uint128\" type=\"uint128\"/>"
    "</union>"
    "<flags id=\"i386_mxcsr\" size=\"4\">"
    "<field name=\"IE\" start=\"0\" end=\"0\"/>"
    "<field name=\"DE\" start=\"1\" end=\"1\"/>"
    "<field name=\"ZE\" start=\"2\" end=\"2\"/>"
    "<field name=\"OE\" start=\"3\" end=\"3\"/>"
    "<field name=\"UE\" start=\"4\" end=\"4\"/>"
    "<field name=\"PE\" start=\"5\" end=\"5\"/>"
    "<field name=\"DAZ\" start=\"6\" end=\"6\"/>"
    "<field name=\"IM\" start=\"7\" end=\"7\"/>"
    "<field name=\"DM\" start=\"8\" end=\"8\"/>"
    "<field name=\"ZM\" start=\"9\" end=\"9\"/>"
    "<field name=\"OM\" start=\"10\" end=\"10\"/>"
    "<field name=\"UM\" start=\"11\" end=\"11\"/>"
    "<field name=\"PM\" start=\"12\" end=\"12\"/>"
    "<field name=\"FZ\" start=\"15\" end=\"15\"/>"
    "</flags>";

char *emu_gdb_target_xml(const EmuCpuClass *cls, bool linux_user)
{
    size_t n;
    const RegDef *t = reg_table(cls, &n);
    if (!t) {
        return NULL;
    }
    GString *x = g_string_new("<?xml version=\"1.0\"?>"
                              "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
                              "<target version=\"1.0\">");
    g_string_append_printf(x, "<architecture>%s</architecture>",
                           is64(cls) ? "i386:x86-64" : "i386");
    if (linux_user) {
        g_string_append(x, "<osabi>GNU/Linux</osabi>");
    }
    for (unsigned f = 0; f < F_COUNT; f++) {
        if ((f == F_LINUX && !linux_user) || (f == F_SEGMENTS && !is64(cls))) {
            continue;
        }
        g_string_append_printf(x, "<feature name=\"%s\">", feature_names[f]);
        g_string_append(x, f == F_CORE ? core_types :
                           f == F_SSE ? sse_types : "");
        for (size_t i = 0; i < n; i++) {
            if (t[i].feature != f) {
                continue;
            }
            g_string_append_printf(x, "<reg name=\"%s\" bitsize=\"%u\" "
                                   "type=\"%s\" regnum=\"%zu\"", t[i].name,
                                   t[i].bits, t[i].type, i);
            if (t[i].group) {
                g_string_append_printf(x, " group=\"%s\"", t[i].group);
            }
            g_string_append(x, "/>");
        }
        g_string_append(x, "</feature>");
    }
    g_string_append(x, "</target>");
    return g_string_free(x, FALSE);
}

/* ---- the FXSAVE image ---- */

/* FXSAVE keeps one "valid" bit per physical register; GDB wants the full
 * x87 tag word (00 valid, 01 zero, 10 special, 11 empty). */
static unsigned x87_tag(const uint8_t *st)
{
    uint64_t mant;
    uint16_t sexp;
    memcpy(&mant, st, 8);
    memcpy(&sexp, st + 8, 2);
    unsigned exp = sexp & 0x7fff;
    if (exp == 0x7fff) {
        return 2;
    }
    if (exp == 0) {
        return mant ? 2 : 1;
    }
    return (mant >> 63) ? 0 : 2;
}

static uint32_t full_tag_word(const uint8_t *fp)
{
    unsigned top = (fp[3] >> 3) & 7;
    uint32_t word = 0;
    for (unsigned phys = 0; phys < 8; phys++) {
        unsigned st = (phys - top) & 7;
        unsigned tag = (fp[4] >> phys) & 1 ? x87_tag(fp + 32 + 16 * st) : 3;
        word |= tag << (2 * phys);
    }
    return word;
}

static uint8_t abridged_tag(uint32_t full)
{
    uint8_t t = 0;
    for (unsigned phys = 0; phys < 8; phys++) {
        if (((full >> (2 * phys)) & 3) != 3) {
            t |= (uint8_t)(1u << phys);
        }
    }
    return t;
}

/* Offset and size in the FXSAVE image of x87 control field i (after the
 * tag word, which is converted). */
static const struct { uint8_t off, size; } fpctl_fields[8] = {
    { 0, 2 },   /* fctrl */
    { 2, 2 },   /* fstat */
    { 4, 1 },   /* ftag: converted */
    { 12, 2 },  /* fiseg: FCS */
    { 8, 4 },   /* fioff: FIP */
    { 20, 2 },  /* foseg: FDS */
    { 16, 4 },  /* fooff: FDP */
    { 6, 2 },   /* fop: 11 bits */
};

static void put_le(uint8_t *out, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++) {
        out[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t get_le(const uint8_t *in, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++) {
        v |= (uint64_t)in[i] << (8 * i);
    }
    return v;
}

static uint32_t read_fpctl(const uint8_t *fp, unsigned i)
{
    if (i == 2) {
        return full_tag_word(fp);
    }
    uint32_t v = (uint32_t)get_le(fp + fpctl_fields[i].off, fpctl_fields[i].size);
    return i == 7 ? v & 0x7ff : v;
}

static void write_fpctl(uint8_t *fp, unsigned i, uint32_t v)
{
    if (i == 2) {
        fp[4] = abridged_tag(v);
        return;
    }
    put_le(fp + fpctl_fields[i].off, v, fpctl_fields[i].size);
}

void emu_gdb_read_reg(const EmuCpuClass *cls, const void *env,
                      const uint8_t *fp, unsigned n, uint8_t *out)
{
    size_t count;
    const RegDef *r = &reg_table(cls, &count)[n];
    unsigned bytes = r->bits / 8;
    switch (r->kind) {
    case REG_CPU:
        put_le(out, cls->get_reg(env, r->index), bytes);
        break;
    case REG_ST:
        memcpy(out, fp + 32 + 16 * r->index, 10);
        break;
    case REG_FPCTL:
        put_le(out, read_fpctl(fp, r->index), 4);
        break;
    case REG_XMM:
        memcpy(out, fp + 160 + 16 * r->index, 16);
        break;
    case REG_MXCSR:
        memcpy(out, fp + 24, 4);
        break;
    default:
        put_le(out, UINT64_MAX, bytes);     /* -1: not in a system call */
        break;
    }
}

void emu_gdb_write_reg(const EmuCpuClass *cls, void *env, uint8_t *fp,
                       bool *fp_dirty, unsigned n, const uint8_t *in)
{
    size_t count;
    const RegDef *r = &reg_table(cls, &count)[n];
    unsigned bytes = r->bits / 8;
    bool fp_reg = true;
    switch (r->kind) {
    case REG_CPU:
        cls->set_reg(env, r->index, get_le(in, bytes));
        fp_reg = false;
        break;
    case REG_ST:
        memcpy(fp + 32 + 16 * r->index, in, 10);
        break;
    case REG_FPCTL:
        write_fpctl(fp, r->index, (uint32_t)get_le(in, 4));
        break;
    case REG_XMM:
        memcpy(fp + 160 + 16 * r->index, in, 16);
        break;
    case REG_MXCSR:
        memcpy(fp + 24, in, 4);
        break;
    default:
        fp_reg = false;     /* orig_rax: nothing to restart */
        break;
    }
    *fp_dirty |= fp_reg;
}
