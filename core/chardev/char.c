/*
 * The chardev frontend API (plugin-api/emu/chardev.h) and the plumbing the
 * backends share: one frontend per backend, input through a main-loop fd
 * watch gated by the frontend's can_read(), writes under a per-backend
 * lock so vCPU threads may write while the main loop reads.
 */
#include "char-internal.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib-unix.h>

static const ChrClass *chr_class(EmuChardev *chr)
{
    return emu_type_class_data(chr->obj.type);
}

void chr_base_init(EmuChardev *chr)
{
    g_mutex_init(&chr->write_lock);
    g_mutex_init(&chr->idle_lock);
    chr->in_fd = -1;
    chr->out_fd = -1;
}

void chr_base_finalize(EmuChardev *chr)
{
    g_mutex_lock(&chr->idle_lock);
    if (chr->accept_idle) {
        g_source_destroy(chr->accept_idle);
        g_source_unref(chr->accept_idle);
        chr->accept_idle = NULL;
    }
    g_mutex_unlock(&chr->idle_lock);
    chr_close_fds(chr);
    g_mutex_clear(&chr->idle_lock);
    g_mutex_clear(&chr->write_lock);
}

/* ---- frontend side (plugin-api) ---- */

EmuChardev *emu_chr_from_object(EmuObject *obj)
{
    const ChrClass *cls;

    if (!obj || !emu_object_is_a(obj, "chardev")) {
        return NULL;
    }
    cls = emu_type_class_data(obj->type);
    if (!cls || cls->magic != CHR_CLASS_MAGIC) {
        return NULL;
    }
    return CHR(obj);
}

EmuChardev *emu_chr_find(const char *id)
{
    return emu_chr_from_object(emu_object_find(id));
}

static int chr_attach_single(EmuChardev *chr, const EmuCharHandlers *h,
                             void *opaque, GError **errp)
{
    if (chr->fe_attached) {
        g_set_error(errp, EMU_ERROR, 0,
                    "chardev '%s' is already in use by another device "
                    "(use a mux: mux=on or mon:)", emu_object_id(&chr->obj));
        return -1;
    }
    memset(&chr->fe, 0, sizeof(chr->fe));
    memcpy(&chr->fe, h, MIN((size_t)h->size, sizeof(chr->fe)));
    chr->fe.size = sizeof(chr->fe);
    chr->fe_opaque = opaque;
    chr->fe_attached = true;
    if (chr->open && chr->fe.event) {
        chr->fe.event(opaque, EMU_CHR_EVENT_OPENED);
    }
    chr_start_reading(chr);
    return 0;
}

int emu_chr_attach(EmuChardev *chr, const EmuCharHandlers *h, void *opaque,
                   GError **errp)
{
    const ChrClass *cls = chr_class(chr);

    g_return_val_if_fail(h && h->size >= sizeof(uint32_t), -1);
    if (cls->attach) {
        return cls->attach(chr, h, opaque, errp);
    }
    return chr_attach_single(chr, h, opaque, errp);
}

void emu_chr_detach(EmuChardev *chr, int tag)
{
    const ChrClass *cls = chr_class(chr);

    if (cls->detach) {
        cls->detach(chr, tag);
        return;
    }
    chr->fe_attached = false;
    chr->fe_opaque = NULL;
    memset(&chr->fe, 0, sizeof(chr->fe));
    chr_stop_reading(chr);
}

static ssize_t chr_write_out_fd(EmuChardev *chr, const uint8_t *buf,
                                size_t len)
{
    if (chr->out_fd < 0) {
        return -1;
    }
    return chr_write_fd(chr->out_fd, buf, len,
                        chr->out_blocking ? -1 : CHR_WRITE_TIMEOUT_MS);
}

ssize_t emu_chr_write(EmuChardev *chr, const void *buf, size_t len)
{
    const ChrClass *cls = chr_class(chr);
    ssize_t ret;

    g_mutex_lock(&chr->write_lock);
    if (cls->write) {
        ret = cls->write(chr, buf, len);
    } else {
        ret = chr_write_out_fd(chr, buf, len);
    }
    g_mutex_unlock(&chr->write_lock);
    return ret;
}

static gboolean chr_accept_input_idle(gpointer opaque)
{
    EmuChardev *chr = opaque;
    const ChrClass *cls = chr_class(chr);

    g_mutex_lock(&chr->idle_lock);
    g_source_unref(chr->accept_idle);
    chr->accept_idle = NULL;
    g_mutex_unlock(&chr->idle_lock);
    if (cls->accept_input) {
        cls->accept_input(chr);
    } else {
        chr_start_reading(chr);
    }
    return G_SOURCE_REMOVE;
}

void emu_chr_accept_input(EmuChardev *chr)
{
    g_mutex_lock(&chr->idle_lock);
    if (!chr->accept_idle) {
        chr->accept_idle = g_idle_source_new();
        g_source_set_priority(chr->accept_idle, G_PRIORITY_DEFAULT);
        g_source_set_callback(chr->accept_idle, chr_accept_input_idle, chr,
                              NULL);
        g_source_attach(chr->accept_idle, emu_main_context());
    }
    g_mutex_unlock(&chr->idle_lock);
}

/* ---- backend side ---- */

int chr_be_can_read(EmuChardev *chr)
{
    if (!chr->fe_attached || !chr->fe.read) {
        return 0;
    }
    if (!chr->fe.can_read) {
        return 4096;
    }
    return chr->fe.can_read(chr->fe_opaque);
}

void chr_be_read(EmuChardev *chr, const uint8_t *buf, size_t len)
{
    if (chr->fe_attached && chr->fe.read && len) {
        chr->fe.read(chr->fe_opaque, buf, len);
    }
}

void chr_be_event(EmuChardev *chr, EmuCharEvent event)
{
    if (chr->fe_attached && chr->fe.event) {
        chr->fe.event(chr->fe_opaque, event);
    }
}

void chr_be_set_open(EmuChardev *chr, bool open)
{
    if (chr->open == open) {
        return;
    }
    chr->open = open;
    chr_be_event(chr, open ? EMU_CHR_EVENT_OPENED : EMU_CHR_EVENT_CLOSED);
}

/* ---- fd plumbing ---- */

static void chr_input_closed(EmuChardev *chr)
{
    const ChrClass *cls = chr_class(chr);

    if (cls->input_closed) {
        cls->input_closed(chr);
    }
}

/* Reads no more than the frontend takes; stops watching when it takes
 * nothing (emu_chr_accept_input() restarts), at EOF or on an error. */
static gboolean chr_in_ready(gint fd, GIOCondition cond, gpointer opaque)
{
    EmuChardev *chr = opaque;
    uint8_t buf[4096];
    int room = chr_be_can_read(chr);
    ssize_t n;

    if (room <= 0) {
        g_source_unref(chr->in_watch);
        chr->in_watch = NULL;
        return G_SOURCE_REMOVE;
    }
    do {
        n = read(fd, buf, MIN((size_t)room, sizeof(buf)));
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        chr_be_read(chr, buf, n);
        return G_SOURCE_CONTINUE;
    }
    if (n < 0 && errno == EAGAIN) {
        return G_SOURCE_CONTINUE;
    }
    g_source_unref(chr->in_watch);
    chr->in_watch = NULL;
    chr_input_closed(chr);
    return G_SOURCE_REMOVE;
}

void chr_start_reading(EmuChardev *chr)
{
    if (chr->in_fd < 0 || chr->in_watch || !chr->fe_attached) {
        return;
    }
    chr->in_watch = g_unix_fd_source_new(chr->in_fd,
                                         G_IO_IN | G_IO_HUP | G_IO_ERR);
    g_source_set_callback(chr->in_watch, G_SOURCE_FUNC(chr_in_ready), chr,
                          NULL);
    g_source_attach(chr->in_watch, emu_main_context());
}

void chr_stop_reading(EmuChardev *chr)
{
    if (chr->in_watch) {
        g_source_destroy(chr->in_watch);
        g_source_unref(chr->in_watch);
        chr->in_watch = NULL;
    }
}

void chr_close_fds(EmuChardev *chr)
{
    chr_stop_reading(chr);
    g_mutex_lock(&chr->write_lock);
    if (chr->out_fd >= 0 && chr->out_fd != chr->in_fd && chr->out_fd > 2) {
        close(chr->out_fd);
    }
    if (chr->in_fd > 2) {
        close(chr->in_fd);
    }
    chr->in_fd = -1;
    chr->out_fd = -1;
    g_mutex_unlock(&chr->write_lock);
}

static bool chr_wait_writable(int fd, gint64 deadline_us)
{
    struct pollfd pfd = { .fd = fd, .events = POLLOUT };
    int timeout_ms;

    if (deadline_us < 0) {
        timeout_ms = -1;
    } else {
        gint64 left = deadline_us - g_get_monotonic_time();
        if (left <= 0) {
            return false;
        }
        timeout_ms = (int)((left + 999) / 1000);
    }
    return poll(&pfd, 1, timeout_ms) > 0 && !(pfd.revents & POLLNVAL);
}

ssize_t chr_write_fd(int fd, const uint8_t *buf, size_t len, int timeout_ms)
{
    gint64 deadline = timeout_ms < 0 ? -1 :
                      g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    size_t done = 0;

    while (done < len) {
        ssize_t n = send(fd, buf + done, len - done, MSG_NOSIGNAL);
        if (n < 0 && errno == ENOTSOCK) {
            n = write(fd, buf + done, len - done);
        }
        if (n > 0) {
            done += n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            if (!chr_wait_writable(fd, deadline)) {
                break;          /* slow peer: drop the rest */
            }
        } else {
            return done ? (ssize_t)done : -1;
        }
    }
    return done;
}

bool chr_set_nonblock(int fd, GError **errp)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        g_set_error(errp, EMU_ERROR, 0, "cannot make fd %d non-blocking: %s",
                    fd, g_strerror(errno));
        return false;
    }
    return true;
}

/* ---- registration ---- */

bool chardev_register_types(GError **errp)
{
    return chr_null_register(errp) &&
           chr_fd_backends_register(errp) &&
           chr_stdio_register(errp) &&
           chr_pty_register(errp) &&
           chr_socket_register(errp) &&
           chr_mux_register(errp);
}
