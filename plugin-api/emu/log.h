/*
 * Debug logging selected with -d item,... and sent to -D file (default
 * stderr).  Items are bits; emu_log_enabled() is cheap enough for hot paths.
 */
#ifndef EMU_LOG_H
#define EMU_LOG_H

#include <emu/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    EMU_LOG_IN_ASM  = 1u << 0,  /* guest code translated */
    EMU_LOG_OP      = 1u << 1,  /* IR ops */
    EMU_LOG_OUT_ASM = 1u << 2,  /* host code generated */
    EMU_LOG_EXEC    = 1u << 3,  /* each translated block executed */
    EMU_LOG_INT     = 1u << 4,  /* interrupts and exceptions */
    EMU_LOG_CPU     = 1u << 5,  /* CPU state before each block */
    EMU_LOG_UNIMP   = 1u << 6,  /* unimplemented features, unassigned I/O */
    EMU_LOG_GUEST_ERRORS = 1u << 7, /* guest misuse of devices */
    EMU_LOG_PLUGIN  = 1u << 8,  /* plugin discovery and loading */
    EMU_LOG_STRACE  = 1u << 9,  /* user mode: system calls */
};

EMU_API extern unsigned emu_log_mask;
static inline bool emu_log_enabled(unsigned item) { return emu_log_mask & item; }
EMU_API void emu_log(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
#define emu_log_mask_printf(item, ...) \
    do { if (emu_log_enabled(item)) emu_log(__VA_ARGS__); } while (0)

#ifdef __cplusplus
}
#endif
#endif
