/*
 * CPU plugins: the class operations a CPU type publishes as its
 * EmuTypeInfo.class_data (type parent "cpu").
 *
 * A CPU plugin registers e.g. "x86_64-cpu" with .class_data pointing at a
 * const EmuCpuClass.  The JIT allocates state_size bytes of CPU state
 * ("env"), calls reset() with the chosen model, and translate() on every
 * block it has not seen.  Programs such as linux-user reach registers by
 * number (get_reg/set_reg) so they need not know the state layout.
 *
 * Constraints: translate() must only build IR (no side effects on env);
 * helpers run with the env the JIT passes; every guest exception leaves
 * through emu_jit_raise().
 */
#ifndef EMU_CPU_H
#define EMU_CPU_H

#include <emu/plugin.h>
#include <emu/jit.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Exceptions a CPU reports to the program running it. */
enum {
    EMU_EXCP_NONE = 0,
    EMU_EXCP_INTERRUPT,     /* kicked: emu_jit_cpu_kick() */
    EMU_EXCP_SYSCALL,       /* aux: EMU_SYSCALL_* kind; pc after the insn */
    EMU_EXCP_SEGV,          /* aux: faulting guest address */
    EMU_EXCP_ILLEGAL,       /* undefined or unimplemented opcode */
    EMU_EXCP_DIVIDE,        /* integer divide error */
    EMU_EXCP_FPE,           /* SIMD/x87 floating-point exception */
    EMU_EXCP_TRAP,          /* breakpoint (int3), single step */
    EMU_EXCP_GPF,           /* privileged or malformed: SIGSEGV, addr 0 */
    EMU_EXCP_HALT,          /* hlt */
    EMU_EXCP_DEBUG,         /* gdbstub breakpoint */
};

enum {
    EMU_SYSCALL_NATIVE = 0, /* syscall / sysenter */
    EMU_SYSCALL_INT80 = 1,  /* int $0x80 */
};

typedef struct EmuCpuModel {
    const char *name;
    const char *description;
} EmuCpuModel;

typedef struct EmuCpuClass {
    uint32_t size;              /* sizeof(EmuCpuClass) as built */
    const char *arch;           /* "x86_64", "i386" */
    size_t state_size;          /* bytes of CPU state */
    const EmuCpuModel *models;  /* NULL-name terminated; [0] is default */
    const char *capstone_arch;  /* for -d in_asm: "x86" */
    unsigned capstone_mode;     /* bits: 16, 32, 64 */
    unsigned max_insns;         /* default instructions per block */

    /* Sets state for a model name (NULL: default); false on bad model. */
    bool (*reset)(void *env, const char *model, GError **errp);
    /* Block lookup key: pc and mode flags of the current state. */
    uint64_t (*get_pc)(const void *env);
    void (*set_pc)(void *env, uint64_t pc);
    uint32_t (*get_flags)(const void *env);
    /* Builds IR for the block at pc (mode flags as get_flags returned);
     * returns the guest bytes covered, 0 with *errp set on failure. */
    size_t (*translate)(EmuJitCtx *ctx, uint64_t pc, uint32_t flags,
                        uint64_t guest_base, unsigned max_insns);
    /* Registers by number (GDB numbering for the architecture). */
    uint64_t (*get_reg)(const void *env, int reg);
    void (*set_reg)(void *env, int reg, uint64_t value);
    /* One-line-per-register text for -d cpu and "info registers". */
    char *(*dump_state)(const void *env);
    /* Copies full state from src to dst (new threads in user mode). */
    void (*copy_state)(void *dst, const void *src);
    /* Floating-point/SIMD state in the architecture's signal-frame format
     * (x86: the 512-byte FXSAVE image); fp_state_size bytes. */
    size_t fp_state_size;
    void (*fp_save)(const void *env, void *buf);
    void (*fp_restore)(void *env, const void *buf);
    /* Optional: called by emu_jit_cpu_exec() when it starts and before it
     * returns, on the vCPU's thread (x86: guest MXCSR flags are kept in
     * the host's MXCSR in between). */
    void (*exec_enter)(void *env);
    void (*exec_leave)(void *env);
} EmuCpuClass;

_Static_assert(offsetof(EmuCpuClass, size) == 0, "ABI: size first");

/* x86 register numbers for get_reg/set_reg (GDB's amd64 order, then
 * segment bases).  i386 uses the same numbers with 32-bit values. */
enum {
    EMU_X86_RAX, EMU_X86_RBX, EMU_X86_RCX, EMU_X86_RDX,
    EMU_X86_RSI, EMU_X86_RDI, EMU_X86_RBP, EMU_X86_RSP,
    EMU_X86_R8, EMU_X86_R9, EMU_X86_R10, EMU_X86_R11,
    EMU_X86_R12, EMU_X86_R13, EMU_X86_R14, EMU_X86_R15,
    EMU_X86_RIP, EMU_X86_EFLAGS,
    EMU_X86_CS, EMU_X86_SS, EMU_X86_DS, EMU_X86_ES, EMU_X86_FS, EMU_X86_GS,
    EMU_X86_FS_BASE = 40, EMU_X86_GS_BASE = 41,
    /* mode flags: 64 (long mode), 32, 16; set for user-mode start. */
    EMU_X86_MODE = 100,
    /* base of GDT entry n (0..15): EMU_X86_DESC_BASE + n; loading a
     * selector into a data segment register outside 64-bit mode takes
     * its base from here (user-mode TLS). */
    EMU_X86_DESC_BASE = 120,
};

#ifdef __cplusplus
}
#endif
#endif
