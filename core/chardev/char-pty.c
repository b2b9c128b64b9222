/*
 * chardev-pty: a new pseudo-terminal; a terminal program (screen, minicom)
 * opens its slave side, whose name is printed at start-up and readable as
 * the "path" property.
 *
 * The master reports a hang-up while no one holds the slave open, so the
 * backend polls for a peer every PTY_POLL_MS, sends OPENED when one
 * appears and CLOSED when it leaves.  Output with no peer is dropped.
 */
#include "char-internal.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#define PTY_POLL_MS 20

typedef struct ChrPty {
    EmuChardev chr;
    char *path;             /* the slave's name, set when opened */
    GSource *poll_timer;
} ChrPty;

static bool pty_peer_present(ChrPty *p)
{
    struct pollfd pfd = { .fd = p->chr.in_fd, .events = POLLIN };

    return poll(&pfd, 1, 0) >= 0 && !(pfd.revents & (POLLHUP | POLLERR));
}

static void pty_start_polling(ChrPty *p);

static gboolean pty_poll_tick(gpointer opaque)
{
    ChrPty *p = opaque;

    if (!pty_peer_present(p)) {
        return G_SOURCE_CONTINUE;
    }
    g_source_unref(p->poll_timer);
    p->poll_timer = NULL;
    chr_be_set_open(&p->chr, true);
    chr_start_reading(&p->chr);
    return G_SOURCE_REMOVE;
}

static void pty_start_polling(ChrPty *p)
{
    if (p->poll_timer) {
        return;
    }
    p->poll_timer = g_timeout_source_new(PTY_POLL_MS);
    g_source_set_callback(p->poll_timer, pty_poll_tick, p, NULL);
    g_source_attach(p->poll_timer, emu_main_context());
}

static void pty_input_closed(EmuChardev *chr)
{
    ChrPty *p = (ChrPty *)chr;

    chr_be_set_open(chr, false);
    pty_start_polling(p);
}

static void pty_accept_input(EmuChardev *chr)
{
    if (chr->open) {
        chr_start_reading(chr);
    }
}

static ssize_t pty_write(EmuChardev *chr, const uint8_t *buf, size_t len)
{
    if (!chr->open || chr->out_fd < 0) {
        return -1;
    }
    return chr_write_fd(chr->out_fd, buf, len, CHR_WRITE_TIMEOUT_MS);
}

/* Raw mode on the slave side, so bytes pass unchanged both ways. */
static bool pty_make_raw(const char *slave, GError **errp)
{
    struct termios tty;
    int fd = open(slave, O_RDWR | O_NOCTTY | O_CLOEXEC);

    if (fd < 0) {
        g_set_error(errp, EMU_ERROR, 0, "chardev pty: cannot open %s: %s",
                    slave, g_strerror(errno));
        return false;
    }
    if (tcgetattr(fd, &tty) == 0) {
        cfmakeraw(&tty);
        tcsetattr(fd, TCSAFLUSH, &tty);
    }
    close(fd);      /* the master now sees a hang-up until a peer opens */
    return true;
}

static bool pty_realize(EmuObject *obj, GError **errp)
{
    ChrPty *p = (ChrPty *)obj;
    int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    char name[64];

    if (fd < 0 || grantpt(fd) < 0 || unlockpt(fd) < 0 ||
        ptsname_r(fd, name, sizeof(name)) != 0) {
        g_set_error(errp, EMU_ERROR, 0, "chardev pty: cannot create a "
                    "pseudo-terminal: %s", g_strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return false;
    }
    p->chr.in_fd = p->chr.out_fd = fd;
    if (!chr_set_nonblock(fd, errp) || !pty_make_raw(name, errp)) {
        return false;
    }
    g_free(p->path);
    p->path = g_strdup(name);
    fprintf(stderr, "char device redirected to %s (label %s)\n", name,
            emu_object_id(obj));
    pty_start_polling(p);
    return true;
}

static void pty_init(EmuObject *obj)
{
    chr_base_init(CHR(obj));
}

static void pty_finalize(EmuObject *obj)
{
    ChrPty *p = (ChrPty *)obj;

    if (p->poll_timer) {
        g_source_destroy(p->poll_timer);
        g_source_unref(p->poll_timer);
        p->poll_timer = NULL;
    }
    chr_base_finalize(&p->chr);
}

static const ChrClass pty_class = {
    .magic = CHR_CLASS_MAGIC,
    .write = pty_write,
    .accept_input = pty_accept_input,
    .input_closed = pty_input_closed,
};

static const EmuProperty pty_props[] = {
    EMU_PROP_STRING("path", ChrPty, path, NULL,
                    "the slave device (set by emu when opened)"),
    EMU_PROP_END
};

static const EmuTypeInfo pty_type = {
    EMU_TYPE_HEADER,
    .name = "chardev-pty",
    .parent = "chardev",
    .description = "a new pseudo-terminal",
    .instance_size = sizeof(ChrPty),
    .props = pty_props,
    .init = pty_init,
    .realize = pty_realize,
    .finalize = pty_finalize,
    .class_data = &pty_class,
};

bool chr_pty_register(GError **errp)
{
    return emu_type_register(&pty_type, errp);
}
