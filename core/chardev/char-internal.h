/*
 * What the chardev backends share: the instance head every backend starts
 * with, the per-backend operations (the type's class_data) and helpers for
 * file-descriptor input and output.
 *
 * Threads: frontends attach, detach and receive input and events on the
 * main loop thread only.  emu_chr_write() may come from any thread
 * (vCPUs): it takes the backend's write lock, and so must every change to
 * out_fd.  emu_chr_accept_input() may come from any thread too: it only
 * schedules the backend's accept_input on the main loop.
 */
#ifndef EMU_CORE_CHAR_INTERNAL_H
#define EMU_CORE_CHAR_INTERNAL_H

#include <config.h>
#include <emu/chardev.h>
#include <emu/timer.h>
#include "chardev.h"

#define CHR_CLASS_MAGIC 0x43485243u   /* "CRHC" */

typedef struct ChrClass {
    uint32_t magic;                   /* CHR_CLASS_MAGIC */
    /* Writes with chr->write_lock held.  NULL: write to out_fd. */
    ssize_t (*write)(EmuChardev *chr, const uint8_t *buf, size_t len);
    /* Main thread: the frontend can take input again.  NULL: resume
     * reading in_fd. */
    void (*accept_input)(EmuChardev *chr);
    /* Main thread: in_fd hit end of file or an error. */
    void (*input_closed)(EmuChardev *chr);
    /* Overrides for several frontends (mux).  NULL: one frontend. */
    int (*attach)(EmuChardev *chr, const EmuCharHandlers *h, void *opaque,
                  GError **errp);
    void (*detach)(EmuChardev *chr, int tag);
} ChrClass;

struct EmuChardev {
    EmuObject obj;
    GMutex write_lock;          /* serialises writes; guards out_fd */
    GMutex idle_lock;           /* guards accept_idle */
    GSource *accept_idle;

    bool fe_attached;
    EmuCharHandlers fe;
    void *fe_opaque;
    bool open;                  /* a peer is there: OPENED was sent */

    int in_fd;                  /* -1: no input */
    int out_fd;                 /* -1: closed */
    bool out_blocking;          /* out_fd is blocking (stdout, files) */
    GSource *in_watch;
};

/* Hooks every backend type calls from its own init/finalize. */
void chr_base_init(EmuChardev *chr);
void chr_base_finalize(EmuChardev *chr);
#define CHR(obj) ((EmuChardev *)(obj))

/* Backend side: deliver to the frontend (main thread, no lock held). */
int chr_be_can_read(EmuChardev *chr);
void chr_be_read(EmuChardev *chr, const uint8_t *buf, size_t len);
void chr_be_event(EmuChardev *chr, EmuCharEvent event);
/* Marks the peer present/absent and sends OPENED/CLOSED on a change. */
void chr_be_set_open(EmuChardev *chr, bool open);

/* fd plumbing (main thread).  start_reading watches in_fd until the
 * frontend says it can take no more, EOF or an error. */
void chr_start_reading(EmuChardev *chr);
void chr_stop_reading(EmuChardev *chr);
/* Closes in_fd and out_fd (under the write lock); they may be equal. */
void chr_close_fds(EmuChardev *chr);
/* Writes all of buf to fd, waiting up to timeout_ms in total for a slow
 * peer.  Returns the bytes written, or -1 on an error such as EPIPE. */
ssize_t chr_write_fd(int fd, const uint8_t *buf, size_t len, int timeout_ms);
bool chr_set_nonblock(int fd, GError **errp);

/* Type registration, one per backend file. */
bool chr_null_register(GError **errp);
bool chr_fd_backends_register(GError **errp);   /* file, pipe */
bool chr_stdio_register(GError **errp);
bool chr_pty_register(GError **errp);
bool chr_socket_register(GError **errp);
bool chr_mux_register(GError **errp);

/* How long a writer waits for a slow peer before dropping output. */
#define CHR_WRITE_TIMEOUT_MS 1000

#endif
