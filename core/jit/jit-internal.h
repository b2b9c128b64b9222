/*
 * JIT internals shared by the builder, optimizer, interpreter, TB cache and
 * logging.  Not part of the plugin ABI.
 */
#ifndef EMU_JIT_INTERNAL_H
#define EMU_JIT_INTERNAL_H

#include <emu/jit.h>
#include <emu/cpu.h>
#include <setjmp.h>
#include <signal.h>

struct EmuJitCtx {
    EmuJitInsn *insns;
    unsigned n_insns, cap;
    unsigned n_temps;
    unsigned n_labels;
};

/* A translated block.  Blocks are never freed while vCPUs may run them;
 * invalidation only marks them and unhooks them from the lookup tables. */
typedef struct EmuJitTb {
    uint64_t pc;
    uint32_t flags;
    uint32_t guest_size;        /* bytes of guest code covered */
    EmuJitInsn *insns;
    unsigned n_insns;
    unsigned n_temps;
    uint32_t *label_pos;        /* label -> instruction index */
    struct EmuJitTb *link[2];   /* chained successors (goto_tb slots) */
    volatile int invalid;
    bool breakpoint;            /* a debugger breakpoint is at pc */
    unsigned n_labels;
    /* native code (x86_64 backend), NULL when interpreted */
    uint8_t *host_code;
    uint32_t body_off;          /* chained jumps land here */
    uint32_t host_size;
    uint32_t jmp_site[2];       /* offset of each goto_tb rel32, 0: none */
    uint32_t jmp_reset[2];      /* its unchained target (the block's exit) */
} EmuJitTb;

struct EmuJitCpu {
    const EmuCpuClass *cls;
    void *env;                  /* = env_storage */
    char *model;
    sigjmp_buf jmp;
    int excp;
    uint64_t excp_aux;
    volatile int single_step;   /* debugger: one instruction per exec */
    bool step_once;             /* run the next instruction alone */
    EmuJitCtx *step_ctx;        /* the block of that one instruction */
    uint32_t *step_labels;
    unsigned flush_gen;         /* cache flushes this vCPU has seen */
    EmuJitTb *jmp_cache[4096];
    /* Native code reaches these at a fixed offset from env (see
     * EMU_JIT_CPU_OFF), so they sit right before it. */
    volatile sig_atomic_t in_tb;
    volatile sig_atomic_t exit_request;
    volatile uint64_t insn_pc;  /* guest pc of the instruction running */
    uint8_t env_storage[] __attribute__((aligned(16)));
};

/* The jump cache entry for pc (native code computes it too). */
static inline unsigned emu_jit_jmp_cache_slot(uint64_t pc)
{
    return (unsigned)((pc >> 2) ^ (pc >> 14)) & 4095;
}

/* Offset of a field of EmuJitCpu from its env (negative). */
#define EMU_JIT_CPU_OFF(field) \
    ((int32_t)offsetof(EmuJitCpu, field) - \
     (int32_t)offsetof(EmuJitCpu, env_storage))


/* The one table, as data. */
const EmuJitOpDef *emu_jit_op_def(unsigned op);
/* Evaluates a pure (EMU_JIT_F_FOLD) op; shared by folding and the
 * interpreter so both agree bit for bit. */
uint64_t emu_jit_eval(unsigned op, unsigned aux, uint64_t a, uint64_t b,
                      uint64_t c, uint64_t d);
bool emu_jit_cond_true(unsigned cond, uint64_t a, uint64_t b);
/* Evaluates an EMU_JIT_F_FP op with the host's FP unit (its flags go to
 * the host's FP status, as the native backend's instructions do). */
uint64_t emu_jit_eval_fp(unsigned op, uint64_t a, uint64_t b);
/* Number of inputs of an instruction (CALL: from aux). */
unsigned emu_jit_insn_n_in(const EmuJitInsn *insn);

void emu_jit_optimize(EmuJitCtx *ctx);
char *emu_jit_dump(const EmuJitInsn *insns, unsigned n);
uint32_t *emu_jit_label_positions(const EmuJitInsn *insns, unsigned n,
                                  unsigned n_labels);
/* Runs a block; returns the EXIT_TB value.  insn_pc, when non-NULL, gets
 * each INSN_START. */
int64_t emu_jit_interp(const EmuJitInsn *insns, const uint32_t *label_pos,
                       unsigned n_temps, void *env, uint64_t guest_base,
                       volatile uint64_t *insn_pc);
/* -d in_asm: guest disassembly of a block. */
void emu_jit_log_host_code(const uint8_t *code, size_t size);
void emu_jit_log_guest_code(const EmuCpuClass *cls, uint64_t pc,
                            const uint8_t *code, size_t size, uint32_t flags);

extern EmuJitOptions emu_jit_opts;

/* backend-x86_64.c (x86_64 hosts) */
bool emu_jit_x86_64_compile(EmuJitTb *tb);
void emu_jit_x86_64_link(EmuJitTb *from, unsigned slot, EmuJitTb *to);
void emu_jit_x86_64_unlink(EmuJitTb *from, unsigned slot);
int64_t emu_jit_x86_64_run(EmuJitTb *tb, void *env, uint64_t *temps);
uint64_t *emu_jit_x86_64_temps(void);
/* Whether the last compile failed for want of room; emptying the code
 * buffer (no vCPU may run native code then). */
bool emu_jit_x86_64_full(void);
void emu_jit_x86_64_reset(void);


#endif
