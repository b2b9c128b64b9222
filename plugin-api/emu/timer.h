/*
 * Event loop, clocks and timers.
 *
 * The main thread runs one GLib main context (emu_main_context()); plugins
 * attach their GSources to it.  Two clocks: EMU_CLOCK_VIRTUAL stops while
 * the VM is paused, EMU_CLOCK_HOST follows the host's monotonic time.
 * Timers fire from the event loop, in deadline order.
 */
#ifndef EMU_TIMER_H
#define EMU_TIMER_H

#include <emu/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum EmuClockType {
    EMU_CLOCK_VIRTUAL = 0,
    EMU_CLOCK_HOST = 1,
} EmuClockType;

typedef struct EmuTimer EmuTimer;
typedef void (*EmuTimerCb)(void *opaque);

EMU_API GMainContext *emu_main_context(void);
/* Nanoseconds. */
EMU_API int64_t emu_clock_get_ns(EmuClockType clock);
EMU_API void emu_clock_pause(bool paused);  /* stops/starts the virtual clock */
/* While paused: advances the virtual clock by ns, firing the virtual timers
 * due on the way, each at its deadline (deterministic device tests). */
EMU_API void emu_clock_step(int64_t ns);

EMU_API EmuTimer *emu_timer_new(EmuClockType clock, EmuTimerCb cb,
                                void *opaque);
EMU_API void emu_timer_mod(EmuTimer *t, int64_t expire_ns);  /* absolute */
EMU_API void emu_timer_del(EmuTimer *t);
EMU_API bool emu_timer_pending(const EmuTimer *t);
EMU_API void emu_timer_free(EmuTimer *t);

/* Runs one iteration of the main loop (blocking if may_block). */
EMU_API bool emu_loop_iterate(bool may_block);

#ifdef __cplusplus
}
#endif
#endif
