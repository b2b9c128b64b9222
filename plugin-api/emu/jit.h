/*
 * The JIT IR and its builder, as seen by CPU plugins and by the programs
 * that run vCPUs (linux-user, accel-jit).
 *
 * The IR is a flat list of instructions over 64-bit temporaries.  Temporary
 * 0 always holds the address of the CPU state ("env").  Every op is one row
 * of EMU_JIT_OPS below: the builder, the optimizer, the IR interpreter, the
 * host backends and the "-d op" dump all read that one table.
 *
 * Values are 64-bit; narrower guest operations are expressed with explicit
 * extensions (EXT32U after a 32-bit add, ...).  Shift and rotate counts are
 * taken modulo 64.  DIVU/DIVS/REMU/REMS must not see a zero divisor or the
 * INT64_MIN / -1 overflow: the translator checks first (x86 raises #DE).
 *
 * Helpers are plain C functions of the EmuJitHelper type: env first, then
 * up to EMU_JIT_HELPER_ARGS 64-bit arguments, returning 64 bits.  A helper
 * may raise a guest exception with emu_jit_raise(); it then never returns.
 *
 * ABI: every struct crossing it carries its size; the layout of
 * EmuJitInsn is pinned by _Static_assert.
 */
#ifndef EMU_JIT_H
#define EMU_JIT_H

#include <emu/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * X(NAME, outputs, inputs, flags)
 *   outputs: 0 or 1 (args[0] when 1)
 *   inputs:  temps following the output in args[]; CALL takes aux bits.
 *   flags:   EMU_JIT_F_* below.
 * imm and aux meaning per op:
 *   MOVI       imm = value
 *   SETCOND    aux = EmuJitCond               d = (a cond b)
 *   MOVCOND    aux = EmuJitCond               d = (a cond b) ? c : e
 *   CLZ/CTZ    d = count, or b when a == 0
 *   LD_ENV     imm = offset in env, aux = EmuJitMemOp   (no guest base)
 *   ST_ENV     imm = offset in env, aux = EmuJitMemOp   args: value
 *   LD         aux = EmuJitMemOp             args: d, guest address
 *   ST         aux = EmuJitMemOp             args: value, guest address
 *   CALL       imm = EmuJitHelper, aux = number of inputs | EMU_JIT_CALL_*
 *   INSN_START imm = guest pc of the instruction that follows
 *   LABEL/BR   imm = label
 *   BRCOND     aux = EmuJitCond, imm = label  args: a, b
 *   GOTO_TB    imm = chaining slot (0 or 1); the pc must already be in env
 *   EXIT_TB    imm = 0 (look the next block up) or slot + 1 (chain)
 *   LOOKUP_TB  args: the next pc, already in env.  An indirect jump: may
 *              go straight to the translated block for that pc (and this
 *              block's flags); else does nothing, and EXIT_TB 0 follows.
 *   FADD64..FDIV64  d = a op b on IEEE binary64 values (the bits of a, b)
 *   FADD32..FDIV32  the same on binary32 values in the low 32 bits of a
 *              and b; d is zero-extended.
 *   I64TOF64   d = the signed integer a as binary64
 *   F64TOI64T, F64TOI32T  d = binary64 a truncated to a signed 64- or
 *              32-bit integer (zero-extended); out of range or NaN: the
 *              host's "integer indefinite" (x86: the lowest integer)
 *   FCMP64, FCMPS64  compare binary64 a with b: d = 0 greater, 1 less,
 *              2 equal, 3 unordered; FCMPS64 signals invalid on quiet
 *              NaNs too (x86 COMISD), FCMP64 only on signalling ones
 *              All of them: round to nearest, exceptions masked, no flush to
 *              zero; NaN results and exception flags are what the host's
 *              FP unit gives, and the flags accumulate in the host's FP
 *              status (e.g. MXCSR) of the thread, where the CPU plugin
 *              picks them up.  So a front end uses them only when that is
 *              the guest's behaviour too (x86 guests on x86 hosts).  Never
 *              folded or removed (the flags are their side effect).
 */
#define EMU_JIT_OPS(X) \
    X(NOP,        0, 0, 0) \
    X(INSN_START, 0, 0, EMU_JIT_F_SIDE) \
    X(MOVI,       1, 0, 0) \
    X(MOV,        1, 1, 0) \
    X(ADD,        1, 2, EMU_JIT_F_FOLD) \
    X(SUB,        1, 2, EMU_JIT_F_FOLD) \
    X(MUL,        1, 2, EMU_JIT_F_FOLD) \
    X(MULUH,      1, 2, EMU_JIT_F_FOLD) \
    X(MULSH,      1, 2, EMU_JIT_F_FOLD) \
    X(DIVU,       1, 2, 0) \
    X(DIVS,       1, 2, 0) \
    X(REMU,       1, 2, 0) \
    X(REMS,       1, 2, 0) \
    X(AND,        1, 2, EMU_JIT_F_FOLD) \
    X(OR,         1, 2, EMU_JIT_F_FOLD) \
    X(XOR,        1, 2, EMU_JIT_F_FOLD) \
    X(SHL,        1, 2, EMU_JIT_F_FOLD) \
    X(SHR,        1, 2, EMU_JIT_F_FOLD) \
    X(SAR,        1, 2, EMU_JIT_F_FOLD) \
    X(ROTL,       1, 2, EMU_JIT_F_FOLD) \
    X(ROTR,       1, 2, EMU_JIT_F_FOLD) \
    X(NEG,        1, 1, EMU_JIT_F_FOLD) \
    X(NOT,        1, 1, EMU_JIT_F_FOLD) \
    X(EXT8S,      1, 1, EMU_JIT_F_FOLD) \
    X(EXT8U,      1, 1, EMU_JIT_F_FOLD) \
    X(EXT16S,     1, 1, EMU_JIT_F_FOLD) \
    X(EXT16U,     1, 1, EMU_JIT_F_FOLD) \
    X(EXT32S,     1, 1, EMU_JIT_F_FOLD) \
    X(EXT32U,     1, 1, EMU_JIT_F_FOLD) \
    X(BSWAP16,    1, 1, EMU_JIT_F_FOLD) \
    X(BSWAP32,    1, 1, EMU_JIT_F_FOLD) \
    X(BSWAP64,    1, 1, EMU_JIT_F_FOLD) \
    X(CLZ,        1, 2, EMU_JIT_F_FOLD) \
    X(CTZ,        1, 2, EMU_JIT_F_FOLD) \
    X(POPCNT,     1, 1, EMU_JIT_F_FOLD) \
    X(SETCOND,    1, 2, EMU_JIT_F_FOLD) \
    X(MOVCOND,    1, 4, EMU_JIT_F_FOLD) \
    X(LD_ENV,     1, 0, EMU_JIT_F_READS_ENV) \
    X(ST_ENV,     0, 1, EMU_JIT_F_SIDE) \
    X(LD,         1, 1, EMU_JIT_F_SIDE) \
    X(ST,         0, 2, EMU_JIT_F_SIDE) \
    X(CALL,       1, 0, EMU_JIT_F_SIDE | EMU_JIT_F_VARARGS) \
    X(LABEL,      0, 0, EMU_JIT_F_SIDE | EMU_JIT_F_BB_END) \
    X(BR,         0, 0, EMU_JIT_F_SIDE | EMU_JIT_F_BB_END) \
    X(BRCOND,     0, 2, EMU_JIT_F_SIDE | EMU_JIT_F_BB_END) \
    X(GOTO_TB,    0, 0, EMU_JIT_F_SIDE) \
    X(EXIT_TB,    0, 0, EMU_JIT_F_SIDE | EMU_JIT_F_BB_END) \
    X(LOOKUP_TB,  0, 1, EMU_JIT_F_SIDE) \
    X(FADD64,     1, 2, EMU_JIT_F_SIDE | EMU_JIT_F_FP) \
    X(FSUB64,     1, 2, EMU_JIT_F_SIDE | EMU_JIT_F_FP) \
    X(FMUL64,     1, 2, EMU_JIT_F_SIDE | EMU_JIT_F_FP) \
    X(FDIV64,     1, 2, EMU_JIT_F_SIDE | EMU_JIT_F_FP) \
    X(FADD32,     1, 2, EMU_JIT_F_SIDE | EMU_JIT_F_FP) \
    X(FSUB32,     1, 2, EMU_JIT_F_SIDE | EMU_JIT_F_FP) \
    X(FMUL32,     1, 2, EMU_JIT_F_SIDE | EMU_JIT_F_FP) \
    X(FDIV32,     1, 2, EMU_JIT_F_SIDE | EMU_JIT_F_FP) \
    X(I64TOF64,   1, 1, EMU_JIT_F_SIDE | EMU_JIT_F_FP) \
    X(F64TOI64T,  1, 1, EMU_JIT_F_SIDE | EMU_JIT_F_FP) \
    X(F64TOI32T,  1, 1, EMU_JIT_F_SIDE | EMU_JIT_F_FP) \
    X(FCMP64,     1, 2, EMU_JIT_F_SIDE | EMU_JIT_F_FP) \
    X(FCMPS64,    1, 2, EMU_JIT_F_SIDE | EMU_JIT_F_FP)

enum {
    EMU_JIT_F_FOLD = 1u << 0,      /* pure: constant inputs fold */
    EMU_JIT_F_SIDE = 1u << 1,      /* never removed as dead */
    EMU_JIT_F_VARARGS = 1u << 2,   /* input count in aux (CALL) */
    EMU_JIT_F_BB_END = 1u << 3,    /* ends a basic block for the optimizer */
    EMU_JIT_F_READS_ENV = 1u << 4,
    EMU_JIT_F_FP = 1u << 5,        /* host floating point (FADD64...) */
};

typedef enum EmuJitOp {
#define EMU_JIT_OP_ENUM(name, o, i, f) EMU_JIT_##name,
    EMU_JIT_OPS(EMU_JIT_OP_ENUM)
#undef EMU_JIT_OP_ENUM
    EMU_JIT_OP_COUNT
} EmuJitOp;

typedef enum EmuJitCond {
    EMU_JIT_NEVER, EMU_JIT_ALWAYS,
    EMU_JIT_EQ, EMU_JIT_NE,
    EMU_JIT_LT, EMU_JIT_GE, EMU_JIT_LE, EMU_JIT_GT,       /* signed */
    EMU_JIT_LTU, EMU_JIT_GEU, EMU_JIT_LEU, EMU_JIT_GTU,   /* unsigned */
    EMU_JIT_TSTEQ, EMU_JIT_TSTNE,                          /* (a & b) ==/!= 0 */
} EmuJitCond;

/* Memory operation: log2 size in bits 0-1, sign extension, endianness. */
typedef enum EmuJitMemOp {
    EMU_MO_8 = 0, EMU_MO_16 = 1, EMU_MO_32 = 2, EMU_MO_64 = 3,
    EMU_MO_SIZE = 3,
    EMU_MO_SIGN = 4,
    EMU_MO_BE = 8,
    EMU_MO_8S = EMU_MO_8 | EMU_MO_SIGN,
    EMU_MO_16S = EMU_MO_16 | EMU_MO_SIGN,
    EMU_MO_32S = EMU_MO_32 | EMU_MO_SIGN,
} EmuJitMemOp;

/* CALL aux bits above the input count. */
#define EMU_JIT_CALL_NARGS_MASK 0xffu
#define EMU_JIT_CALL_PURE  0x100u  /* no side effects, reads no env: may be
                                      removed when unused, folded */
#define EMU_JIT_CALL_NO_ENV_WRITE 0x200u /* reads env at most */

#define EMU_JIT_MAX_ARGS 6
#define EMU_JIT_HELPER_ARGS 4

typedef uint32_t EmuJitTemp;
typedef uint32_t EmuJitLabel;
#define EMU_JIT_ENV ((EmuJitTemp)0)

typedef struct EmuJitInsn {
    uint16_t op;                    /* EmuJitOp */
    uint16_t aux;
    uint32_t args[EMU_JIT_MAX_ARGS];  /* output first, then inputs */
    int64_t imm;
} EmuJitInsn;

_Static_assert(sizeof(EmuJitInsn) == 36 || sizeof(EmuJitInsn) == 40,
               "ABI: EmuJitInsn layout");
_Static_assert(offsetof(EmuJitInsn, args) == 4, "ABI: args at 4");

typedef uint64_t (*EmuJitHelper)(void *env, uint64_t a, uint64_t b,
                                 uint64_t c, uint64_t d);
/* Defines a helper with the one signature the JIT calls. */
#define EMU_JIT_HELPER(name) \
    uint64_t name(void *env, uint64_t a, uint64_t b, uint64_t c, uint64_t d)

/* Static description of each op, indexed by EmuJitOp. */
typedef struct EmuJitOpDef {
    const char *name;
    uint8_t n_out, n_in;
    uint16_t flags;
} EmuJitOpDef;
EMU_API extern const EmuJitOpDef emu_jit_op_defs[EMU_JIT_OP_COUNT];

/* ---- Builder, used by a CPU plugin's translate hook ---- */

typedef struct EmuJitCtx EmuJitCtx;

EMU_API EmuJitTemp emu_jit_temp_new(EmuJitCtx *ctx);
EMU_API EmuJitLabel emu_jit_label_new(EmuJitCtx *ctx);
/* Appends one instruction; args holds outputs then inputs (n entries). */
EMU_API void emu_jit_emit(EmuJitCtx *ctx, EmuJitOp op, unsigned aux,
                          int64_t imm, unsigned n, const EmuJitTemp *args);
/* Number of instructions so far (a translator may cap block size). */
EMU_API unsigned emu_jit_insn_count(const EmuJitCtx *ctx);

static inline void emu_jit_op0(EmuJitCtx *c, EmuJitOp op, unsigned aux,
                               int64_t imm)
{
    emu_jit_emit(c, op, aux, imm, 0, NULL);
}
static inline void emu_jit_op1(EmuJitCtx *c, EmuJitOp op, EmuJitTemp d,
                               EmuJitTemp a)
{
    EmuJitTemp t[2] = { d, a };
    emu_jit_emit(c, op, 0, 0, 2, t);
}
static inline void emu_jit_op2(EmuJitCtx *c, EmuJitOp op, EmuJitTemp d,
                               EmuJitTemp a, EmuJitTemp b)
{
    EmuJitTemp t[3] = { d, a, b };
    emu_jit_emit(c, op, 0, 0, 3, t);
}
static inline void emu_jit_movi(EmuJitCtx *c, EmuJitTemp d, int64_t v)
{
    emu_jit_emit(c, EMU_JIT_MOVI, 0, v, 1, &d);
}
static inline EmuJitTemp emu_jit_const(EmuJitCtx *c, int64_t v)
{
    EmuJitTemp t = emu_jit_temp_new(c);
    emu_jit_movi(c, t, v);
    return t;
}
static inline void emu_jit_mov(EmuJitCtx *c, EmuJitTemp d, EmuJitTemp a)
{
    emu_jit_op1(c, EMU_JIT_MOV, d, a);
}
static inline void emu_jit_setcond(EmuJitCtx *c, EmuJitCond cond,
                                   EmuJitTemp d, EmuJitTemp a, EmuJitTemp b)
{
    EmuJitTemp t[3] = { d, a, b };
    emu_jit_emit(c, EMU_JIT_SETCOND, cond, 0, 3, t);
}
static inline void emu_jit_movcond(EmuJitCtx *c, EmuJitCond cond,
                                   EmuJitTemp d, EmuJitTemp a, EmuJitTemp b,
                                   EmuJitTemp v1, EmuJitTemp v2)
{
    EmuJitTemp t[5] = { d, a, b, v1, v2 };
    emu_jit_emit(c, EMU_JIT_MOVCOND, cond, 0, 5, t);
}
static inline void emu_jit_ld_env(EmuJitCtx *c, EmuJitTemp d, size_t off,
                                  EmuJitMemOp mo)
{
    emu_jit_emit(c, EMU_JIT_LD_ENV, mo, (int64_t)off, 1, &d);
}
static inline void emu_jit_st_env(EmuJitCtx *c, EmuJitTemp v, size_t off,
                                  EmuJitMemOp mo)
{
    emu_jit_emit(c, EMU_JIT_ST_ENV, mo, (int64_t)off, 1, &v);
}
static inline void emu_jit_ld(EmuJitCtx *c, EmuJitTemp d, EmuJitTemp addr,
                              EmuJitMemOp mo)
{
    EmuJitTemp t[2] = { d, addr };
    emu_jit_emit(c, EMU_JIT_LD, mo, 0, 2, t);
}
static inline void emu_jit_st(EmuJitCtx *c, EmuJitTemp v, EmuJitTemp addr,
                              EmuJitMemOp mo)
{
    EmuJitTemp t[2] = { v, addr };
    emu_jit_emit(c, EMU_JIT_ST, mo, 0, 2, t);
}
/* d = fn(env, args...); d may be a fresh temp that is never read. */
static inline void emu_jit_call(EmuJitCtx *c, EmuJitHelper fn, unsigned flags,
                                EmuJitTemp d, unsigned n,
                                const EmuJitTemp *args)
{
    EmuJitTemp t[EMU_JIT_MAX_ARGS] = { d };
    for (unsigned i = 0; i < n && i < EMU_JIT_HELPER_ARGS; i++) {
        t[i + 1] = args[i];
    }
    emu_jit_emit(c, EMU_JIT_CALL, (n & EMU_JIT_CALL_NARGS_MASK) | flags,
                 (int64_t)(intptr_t)fn, n + 1, t);
}
static inline void emu_jit_label(EmuJitCtx *c, EmuJitLabel l)
{
    emu_jit_emit(c, EMU_JIT_LABEL, 0, l, 0, NULL);
}
static inline void emu_jit_br(EmuJitCtx *c, EmuJitLabel l)
{
    emu_jit_emit(c, EMU_JIT_BR, 0, l, 0, NULL);
}
static inline void emu_jit_brcond(EmuJitCtx *c, EmuJitCond cond,
                                  EmuJitTemp a, EmuJitTemp b, EmuJitLabel l)
{
    EmuJitTemp t[2] = { a, b };
    emu_jit_emit(c, EMU_JIT_BRCOND, cond, l, 2, t);
}
static inline void emu_jit_insn_start(EmuJitCtx *c, uint64_t pc)
{
    emu_jit_emit(c, EMU_JIT_INSN_START, 0, (int64_t)pc, 0, NULL);
}
static inline void emu_jit_goto_tb(EmuJitCtx *c, unsigned slot)
{
    emu_jit_emit(c, EMU_JIT_GOTO_TB, 0, slot, 0, NULL);
}
static inline void emu_jit_exit_tb(EmuJitCtx *c, int64_t v)
{
    emu_jit_emit(c, EMU_JIT_EXIT_TB, 0, v, 0, NULL);
}
static inline void emu_jit_lookup_tb(EmuJitCtx *c, EmuJitTemp pc)
{
    emu_jit_emit(c, EMU_JIT_LOOKUP_TB, 0, 0, 1, &pc);
}

/* ---- Running vCPUs (linux-user, accel-jit) ---- */

typedef struct EmuCpuClass EmuCpuClass;
typedef struct EmuJitCpu EmuJitCpu;

typedef enum EmuJitBackend {
    EMU_JIT_BACKEND_INTERP,   /* the IR interpreter: every host */
    EMU_JIT_BACKEND_X86_64,   /* native code, x86-64 hosts */
} EmuJitBackend;

/* Options shared by every vCPU; size first. */
typedef struct EmuJitOptions {
    uint32_t size;            /* sizeof(EmuJitOptions) */
    EmuJitBackend backend;
    bool optimize;            /* run the IR optimizer (default true) */
    uint64_t guest_base;      /* user mode: host address of guest 0 */
    unsigned max_insns;       /* per block, 0: the CPU's default */
    bool single_step;         /* -singlestep: one instruction per block */
    bool perfmap;             /* -perfmap: name host code for perf (ABI 1.1) */
} EmuJitOptions;

/* Global JIT configuration; call before creating vCPUs. */
EMU_API bool emu_jit_configure(const EmuJitOptions *opts, GError **errp);
/* "interp" or "x86_64" -> backend; false for an unknown name. */
EMU_API bool emu_jit_backend_from_name(const char *name, EmuJitBackend *out);

/* A vCPU: state allocated by the JIT with the class's state_size. */
EMU_API EmuJitCpu *emu_jit_cpu_new(const EmuCpuClass *cls, const char *model,
                                   GError **errp);
EMU_API void emu_jit_cpu_free(EmuJitCpu *cpu);
EMU_API void *emu_jit_cpu_env(EmuJitCpu *cpu);
EMU_API const EmuCpuClass *emu_jit_cpu_class(EmuJitCpu *cpu);
/* Runs guest code until an exception (EMU_EXCP_*); *aux gets its detail
 * (fault address, syscall kind, ...). */
EMU_API int emu_jit_cpu_exec(EmuJitCpu *cpu, uint64_t *aux);
/* Makes emu_jit_cpu_exec return EMU_EXCP_INTERRUPT soon (any thread,
 * async-signal-safe). */
EMU_API void emu_jit_cpu_kick(EmuJitCpu *cpu);
/* The vCPU running on this thread, or NULL. */
EMU_API EmuJitCpu *emu_jit_cpu_current(void);

/* Debugger support (the gdb stub).  A breakpoint makes emu_jit_cpu_exec
 * return EMU_EXCP_DEBUG with aux EMU_JIT_DEBUG_BREAKPOINT before the
 * instruction at pc runs (blocks end in front of it); breakpoints apply to
 * every vCPU. */
#define EMU_JIT_DEBUG_STEP 0
#define EMU_JIT_DEBUG_BREAKPOINT 1
EMU_API void emu_jit_breakpoint_insert(uint64_t pc);
EMU_API void emu_jit_breakpoint_remove(uint64_t pc);
EMU_API void emu_jit_breakpoint_remove_all(void);
/* While on, emu_jit_cpu_exec runs one instruction of this vCPU and
 * returns EMU_EXCP_DEBUG with aux EMU_JIT_DEBUG_STEP (or the exception the
 * instruction raised; or a breakpoint at pc before running it). */
EMU_API void emu_jit_cpu_set_single_step(EmuJitCpu *cpu, bool on);

/* From a helper: leave the block with exception excp.  When restore_pc,
 * the guest pc is reset to the start of the current instruction. */
EMU_API G_GNUC_NORETURN void emu_jit_raise(int excp, uint64_t aux,
                                           bool restore_pc);
/* From a host SIGSEGV/SIGBUS handler: when this thread runs guest code,
 * leaves with EMU_EXCP_SEGV at the faulting instruction (does not return);
 * otherwise returns false. */
EMU_API bool emu_jit_host_fault(uint64_t guest_addr, bool is_write);
/* From a host fault handler, after a write to a page holding translated
 * code invalidated its blocks: when that page may hold the rest of the
 * running block, leaves the block at the writing instruction, which then
 * runs alone, so that the instructions after it are translated from the
 * new bytes (x86 self-modifying code is precise; does not return).
 * Otherwise returns false and the write may simply be retried. */
EMU_API bool emu_jit_restart_after_code_write(uint64_t guest_addr);

/* Translated code: invalidate every block overlapping [start, start+len)
 * of guest memory (self-modifying code, munmap, mprotect). */
EMU_API void emu_jit_invalidate(uint64_t start, uint64_t len);
EMU_API void emu_jit_flush(void);
/* User mode: called with the guest page address of each page that gets
 * translated code for the first time, so the caller can write-protect it;
 * emu_jit_page_written() then tells the JIT the page was written. */
EMU_API void emu_jit_set_code_page_hook(void (*hook)(uint64_t page));
EMU_API bool emu_jit_page_has_code(uint64_t page);

/* Statistics for -d and tests. */
typedef struct EmuJitStats {
    uint32_t size;
    uint64_t blocks_translated;
    uint64_t blocks_invalidated;
    uint64_t flushes;
    uint64_t ir_ops_before_opt;
    uint64_t ir_ops_after_opt;
} EmuJitStats;
EMU_API void emu_jit_get_stats(EmuJitStats *out);

/* ---- IR utilities (tests, tools) ---- */
/* A standalone IR buffer: build, optimize, interpret without a CPU. */
EMU_API EmuJitCtx *emu_jit_ctx_new(void);
EMU_API void emu_jit_ctx_free(EmuJitCtx *ctx);
EMU_API void emu_jit_ctx_optimize(EmuJitCtx *ctx);
/* Interprets the IR with env; returns the EXIT_TB value. */
EMU_API int64_t emu_jit_ctx_interpret(EmuJitCtx *ctx, void *env);
/* Compiles the IR with the native backend and runs it on a copy of env
 * (env_size bytes, written back); returns the EXIT_TB value, or -1 when
 * this host has no native backend or the IR does not compile. */
EMU_API int64_t emu_jit_ctx_run_native(EmuJitCtx *ctx, void *env,
                                       size_t env_size);
/* Returns the "-d op" text of the IR (g_free it). */
EMU_API char *emu_jit_ctx_dump(const EmuJitCtx *ctx);

#ifdef __cplusplus
}
#endif
#endif
