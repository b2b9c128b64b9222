/*
 * The main loop, seen from inside the core (the public side is
 * plugin-api/emu/timer.h).
 *
 * emu runs on GLib's default main context: emu_main_context() returns
 * g_main_context_default(), so sources attached with plain g_idle_add(),
 * g_timeout_add() or g_unix_fd_add() land on the emu loop too.
 * emu_loop_run() iterates it on the calling thread (the main thread) until
 * some thread calls emu_request_quit().
 */
#ifndef EMU_CORE_LOOP_H
#define EMU_CORE_LOOP_H

#include <emu/timer.h>

/* Runs the main loop until a quit is requested; returns at once if one
 * already was.  The request stays set: call emu_loop_reset_quit() before
 * running again (tests). */
void emu_loop_run(void);
/* Thread-safe: asks emu_loop_run() to return, with this exit status, and
 * wakes the loop.  The first request's status wins. */
void emu_request_quit(int status);
bool emu_quit_requested(void);
int emu_loop_exit_status(void);
void emu_loop_reset_quit(void);

/* The big lock, once the scheduler has one: emu_loop_run() then holds it
 * while dispatching and drops it while waiting in poll(), so vCPU threads
 * and main-loop callbacks (chardev input, timers) never run device code
 * at the same time.  Call before emu_loop_run(); NULLs turn it off.
 * emu_loop_iterate() leaves locking to its caller. */
void emu_loop_set_big_lock(void (*lock)(void), void (*unlock)(void));

#endif
