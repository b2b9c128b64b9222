/*
 * The GDB stub: GDB's Remote Serial Protocol (the "Remote Protocol"
 * appendix of the GDB manual) on top of an architecture-neutral target.
 *
 * The stub is a byte-in, byte-out state machine: a transport (TCP here, a
 * chardev later) feeds what the debugger sent with emu_gdb_input() and the
 * stub answers through the write callback.  The program running the
 * vCPUs (linux-user, later the system emulator) supplies an EmuGdbTarget
 * to stop, resume and inspect its threads, and reports stops and exits
 * with emu_gdb_report_*().  Registers are read through the vCPU's
 * EmuCpuClass in the numbering of the stub's target description XML.
 *
 * Threads: every entry point takes the stub's (recursive) lock, so a
 * vCPU thread may report a stop while the transport thread feeds input.
 * Target callbacks run under that lock and must not block on a vCPU.
 *
 * Core-internal: exported from libemu (emu_ names) for linux-user, not
 * installed for plugins.
 */
#ifndef EMU_GDBSTUB_H
#define EMU_GDBSTUB_H

#include <emu/cpu.h>
#include <glib.h>

/* What a resume request asks of one thread (or of all, tid -1). */
typedef struct EmuGdbResume {
    int64_t tid;        /* -1: every thread not named otherwise */
    bool step;          /* single-step, else continue */
    int sig;            /* host signal number to deliver, 0: none */
} EmuGdbResume;

typedef struct EmuGdbTarget {
    uint32_t size;                  /* sizeof(EmuGdbTarget) */
    const EmuCpuClass *cls;         /* picks the register description */
    bool linux_user;                /* adds orig_rax, GNU/Linux osabi, auxv */
    void *opaque;
    /* Fills tids (at most max) with the live threads, returns how many. */
    size_t (*list_threads)(void *opaque, int64_t *tids, size_t max);
    /* CPU state of a stopped thread, NULL when there is no such thread. */
    void *(*thread_env)(void *opaque, int64_t tid);
    bool (*read_mem)(void *opaque, uint64_t addr, void *buf, size_t len);
    bool (*write_mem)(void *opaque, uint64_t addr, const void *buf,
                      size_t len);
    /* Resumes threads: actions[] in the order gdb gave them (the first
     * that matches a thread applies); unnamed threads stay stopped. */
    void (*resume)(void *opaque, const EmuGdbResume *actions, size_t n);
    /* Ctrl-C: stop every thread soon and report it (SIGINT). */
    void (*interrupt)(void *opaque);
    void (*kill)(void *opaque);
    /* Debugger gone (D, or connection closed): run freely from now on. */
    void (*detach)(void *opaque);
    /* Optional: write watchpoints (Z2); false when it cannot. */
    bool (*watch)(void *opaque, uint64_t addr, uint64_t len, bool insert);
    /* Optional: the program's auxiliary vector and path. */
    GBytes *auxv;
    const char *exec_file;
} EmuGdbTarget;

typedef struct EmuGdbStub EmuGdbStub;
typedef void (*EmuGdbWrite)(void *opaque, const void *buf, size_t len);

/* Why a thread stopped. */
typedef enum EmuGdbStopReason {
    EMU_GDB_STOP_SIGNAL,        /* a signal (SIGTRAP for step, SIGINT) */
    EMU_GDB_STOP_SWBREAK,       /* a breakpoint set with Z0/Z1 */
    EMU_GDB_STOP_WATCH,         /* a write watchpoint: emu_gdb_report_watch */
} EmuGdbStopReason;

EMU_API EmuGdbStub *emu_gdb_new(const EmuGdbTarget *target);
/* Where replies go (the transport, once a debugger is connected). */
EMU_API void emu_gdb_set_writer(EmuGdbStub *stub, EmuGdbWrite write,
                                void *opaque);
EMU_API void emu_gdb_free(EmuGdbStub *stub);
/* Bytes from the debugger. */
EMU_API void emu_gdb_input(EmuGdbStub *stub, const void *buf, size_t len);
/* The connection is gone: detaches the target. */
EMU_API void emu_gdb_disconnected(EmuGdbStub *stub);
/* A thread stopped; sig is a host signal number. */
EMU_API void emu_gdb_report_stop(EmuGdbStub *stub, int64_t tid, int sig,
                                 EmuGdbStopReason reason);
/* A thread stopped after changing memory a write watchpoint covers. */
EMU_API void emu_gdb_report_watch(EmuGdbStub *stub, int64_t tid,
                                  uint64_t addr);
/* The program exited with status, or was killed by signal sig. */
EMU_API void emu_gdb_report_exit(EmuGdbStub *stub, int status);
EMU_API void emu_gdb_report_killed(EmuGdbStub *stub, int sig);
/* Whether a debugger is connected and has not detached. */
EMU_API bool emu_gdb_attached(EmuGdbStub *stub);

/* Host signal number <-> GDB's signal numbering (protocol). */
EMU_API int emu_gdb_signal_to_gdb(int host_sig);
EMU_API int emu_gdb_signal_from_gdb(int gdb_sig);

/* ---- TCP transport ---- */

/* Listens on "port" or "host:port"; returns the socket, -1 with *errp. */
EMU_API int emu_gdb_tcp_listen(const char *spec, GError **errp);
/* Waits for one connection on listen_fd (then closes it), and feeds the
 * stub from a thread of its own until the connection ends. */
EMU_API bool emu_gdb_tcp_serve(EmuGdbStub *stub, int listen_fd,
                               GError **errp);

/* ---- registers (gdbstub/x86.c) ---- */

/* Target description XML for the class, NULL for an unknown arch. */
char *emu_gdb_target_xml(const EmuCpuClass *cls, bool linux_user);
/* Number of registers and the size in bytes of register n (0: none). */
unsigned emu_gdb_num_regs(const EmuCpuClass *cls, bool linux_user);
unsigned emu_gdb_reg_size(const EmuCpuClass *cls, unsigned n);
/* Reads/writes register n as target-endian bytes; fp is the class's
 * fp_save image of env (read once per packet, written back by the caller
 * when *fp_dirty). */
void emu_gdb_read_reg(const EmuCpuClass *cls, const void *env,
                      const uint8_t *fp, unsigned n, uint8_t *out);
void emu_gdb_write_reg(const EmuCpuClass *cls, void *env, uint8_t *fp,
                       bool *fp_dirty, unsigned n, const uint8_t *in);

#endif
