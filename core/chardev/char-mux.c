/*
 * chardev-mux: several frontends (say a serial port and the monitor) on
 * one backend (chardev=ID).  Output from every frontend goes out; input
 * goes to the frontend holding the focus, which the user moves with the
 * escape key (Ctrl-a by default, -echr changes it):
 *
 *   Ctrl-a h  help          Ctrl-a x  quit emu      Ctrl-a s  save disks
 *   Ctrl-a t  timestamps    Ctrl-a b  send a break  Ctrl-a c  next frontend
 *   Ctrl-a Ctrl-a  one Ctrl-a to the focused frontend
 *
 * The first frontend attached gets the focus.  Each frontend has a small
 * buffer, so input read before a focus switch is not lost; the mux asks
 * the backend for no more than fits.  Everything runs on the main loop
 * except write, which holds the mux's write lock and then the backend's.
 */
#include "char-internal.h"
#include "loop.h"
#include <string.h>

#define MUX_MAX_FRONTENDS 4
#define MUX_BUF_SIZE 64

typedef struct MuxFrontend {
    bool used;
    EmuCharHandlers h;
    void *opaque;
    uint8_t buf[MUX_BUF_SIZE];
    unsigned head, len;         /* ring buffer of pending input */
} MuxFrontend;

typedef struct ChrMux {
    EmuChardev chr;
    EmuObject *backend_obj;     /* property "chardev" */
    EmuChardev *be;
    int be_tag;
    MuxFrontend fe[MUX_MAX_FRONTENDS];
    int focus;                  /* -1: no frontend */
    bool got_escape;
    bool timestamps;            /* guarded by chr.write_lock */
    bool line_start;
    gint64 ts_start_us;
} ChrMux;

#define MUX(chr) ((ChrMux *)(chr))

static struct {
    GMutex lock;
    int escape_char;
    ChardevSaveHook save_hook;
    void *save_opaque;
} mux_globals = { .escape_char = 0x01 };

void chardev_set_escape_char(int c)
{
    g_atomic_int_set(&mux_globals.escape_char, c);
}

int chardev_get_escape_char(void)
{
    return g_atomic_int_get(&mux_globals.escape_char);
}

void chardev_set_save_hook(ChardevSaveHook hook, void *opaque)
{
    g_mutex_lock(&mux_globals.lock);
    mux_globals.save_hook = hook;
    mux_globals.save_opaque = opaque;
    g_mutex_unlock(&mux_globals.lock);
}

/* ---- output ---- */

/* Text from the mux itself (help, notices): straight to the backend. */
static void mux_print(ChrMux *m, const char *text)
{
    emu_chr_write(m->be, text, strlen(text));
}

static void mux_write_timestamp(ChrMux *m)
{
    gint64 ms = (g_get_monotonic_time() - m->ts_start_us) / 1000;
    char stamp[40];
    int n = g_snprintf(stamp, sizeof(stamp), "[%02d:%02d:%02d.%03d] ",
                       (int)(ms / 3600000), (int)(ms / 60000 % 60),
                       (int)(ms / 1000 % 60), (int)(ms % 1000));

    emu_chr_write(m->be, stamp, n);
}

static ssize_t mux_write(EmuChardev *chr, const uint8_t *buf, size_t len)
{
    ChrMux *m = MUX(chr);
    size_t done = 0;

    if (!m->be) {
        return -1;
    }
    if (!m->timestamps) {
        return emu_chr_write(m->be, buf, len);
    }
    while (done < len) {
        const uint8_t *nl = memchr(buf + done, '\n', len - done);
        size_t chunk = nl ? (size_t)(nl - (buf + done)) + 1 : len - done;
        if (m->line_start) {
            mux_write_timestamp(m);
        }
        if (emu_chr_write(m->be, buf + done, chunk) < 0) {
            return done ? (ssize_t)done : -1;
        }
        m->line_start = nl != NULL;
        done += chunk;
    }
    return done;
}

/* ---- input to the frontends ---- */

static void mux_flush(ChrMux *m, int i)
{
    MuxFrontend *f;

    if (i < 0 || !m->fe[i].used) {
        return;
    }
    f = &m->fe[i];
    while (f->len && f->used) {
        int room = f->h.can_read ? f->h.can_read(f->opaque) : (int)f->len;
        size_t n = MIN((size_t)MAX(room, 0),
                       MIN(f->len, MUX_BUF_SIZE - f->head));
        uint8_t chunk[MUX_BUF_SIZE];
        if (n == 0 || !f->h.read) {
            return;
        }
        memcpy(chunk, f->buf + f->head, n);
        f->head = (f->head + n) % MUX_BUF_SIZE;
        f->len -= n;
        f->h.read(f->opaque, chunk, n);
    }
}

static void mux_queue(ChrMux *m, uint8_t c)
{
    MuxFrontend *f;

    if (m->focus < 0) {
        return;
    }
    f = &m->fe[m->focus];
    if (f->len < MUX_BUF_SIZE) {
        f->buf[(f->head + f->len) % MUX_BUF_SIZE] = c;
        f->len++;
    }
}

static void mux_send_event(ChrMux *m, int i, EmuCharEvent ev)
{
    if (i >= 0 && m->fe[i].used && m->fe[i].h.event) {
        m->fe[i].h.event(m->fe[i].opaque, ev);
    }
}

static void mux_set_focus(ChrMux *m, int i)
{
    m->focus = i;
    mux_send_event(m, i, EMU_CHR_EVENT_FOCUS);
    mux_flush(m, i);
}

static void mux_focus_next(ChrMux *m)
{
    for (int k = 1; k <= MUX_MAX_FRONTENDS; k++) {
        int i = (m->focus + k + MUX_MAX_FRONTENDS) % MUX_MAX_FRONTENDS;
        if (m->fe[i].used) {
            mux_set_focus(m, i);
            return;
        }
    }
}

/* ---- escape commands ---- */

static void mux_key_name(int c, char *out, size_t size)
{
    if (c > 0 && c < 32) {
        g_snprintf(out, size, "C-%c", c + 'a' - 1);
    } else {
        g_snprintf(out, size, "%c", c);
    }
}

static void mux_print_help(ChrMux *m)
{
    char k[8];
    g_autofree char *text = NULL;

    mux_key_name(chardev_get_escape_char(), k, sizeof(k));
    text = g_strdup_printf(
        "\r\nemu console keys (escape %s):\r\n"
        "  %s h     show these keys\r\n"
        "  %s x     quit emu\r\n"
        "  %s s     flush and commit the disks (with -snapshot)\r\n"
        "  %s t     turn timestamps on output on or off\r\n"
        "  %s b     send a break to the device\r\n"
        "  %s c     move input to the next device (console/monitor)\r\n"
        "  %s %s   send %s itself\r\n",
        k, k, k, k, k, k, k, k, k, k);
    mux_print(m, text);
}

static void mux_save(ChrMux *m)
{
    g_autoptr(GString) msg = g_string_new(NULL);
    ChardevSaveHook hook;
    void *opaque;

    g_mutex_lock(&mux_globals.lock);
    hook = mux_globals.save_hook;
    opaque = mux_globals.save_opaque;
    g_mutex_unlock(&mux_globals.lock);
    if (!hook) {
        mux_print(m, "\r\nemu: nothing to save (no disks to commit)\r\n");
        return;
    }
    hook(opaque, msg);
    g_string_prepend(msg, "\r\nemu: disks saved. ");
    g_string_append(msg, "\r\n");
    mux_print(m, msg->str);
}

static void mux_toggle_timestamps(ChrMux *m)
{
    g_mutex_lock(&m->chr.write_lock);
    m->timestamps = !m->timestamps;
    m->line_start = true;
    m->ts_start_us = g_get_monotonic_time();
    g_mutex_unlock(&m->chr.write_lock);
}

static void mux_command(ChrMux *m, uint8_t c)
{
    switch (c) {
    case 'h':
    case '?':
        mux_print_help(m);
        break;
    case 'x':
        mux_print(m, "\r\nemu: quitting at the user's request\r\n");
        emu_request_quit(0);
        break;
    case 's':
        mux_save(m);
        break;
    case 't':
        mux_toggle_timestamps(m);
        break;
    case 'b':
        mux_send_event(m, m->focus, EMU_CHR_EVENT_BREAK);
        break;
    case 'c':
        mux_focus_next(m);
        break;
    default:
        break;                  /* unknown: dropped with the escape */
    }
}

/* Returns true when c is input for the focused frontend. */
static bool mux_filter(ChrMux *m, uint8_t c)
{
    int esc = chardev_get_escape_char();

    if (m->got_escape) {
        m->got_escape = false;
        if (c == esc) {
            return true;
        }
        mux_command(m, c);
        return false;
    }
    if (c == esc) {
        m->got_escape = true;
        return false;
    }
    return true;
}

/* ---- the mux as the backend's frontend ---- */

static int mux_be_can_read(void *opaque)
{
    ChrMux *m = opaque;

    if (m->focus < 0) {
        return 1;               /* still watch for escapes */
    }
    return MUX_BUF_SIZE - m->fe[m->focus].len;
}

static void mux_be_read(void *opaque, const uint8_t *buf, size_t len)
{
    ChrMux *m = opaque;

    for (size_t i = 0; i < len; i++) {
        if (mux_filter(m, buf[i])) {
            mux_queue(m, buf[i]);
        }
    }
    mux_flush(m, m->focus);
}

static void mux_be_event(void *opaque, EmuCharEvent ev)
{
    ChrMux *m = opaque;

    if (ev == EMU_CHR_EVENT_OPENED || ev == EMU_CHR_EVENT_CLOSED) {
        m->chr.open = ev == EMU_CHR_EVENT_OPENED;
    }
    for (int i = 0; i < MUX_MAX_FRONTENDS; i++) {
        mux_send_event(m, i, ev);
    }
}

static const EmuCharHandlers mux_be_handlers = {
    .size = sizeof(EmuCharHandlers),
    .can_read = mux_be_can_read,
    .read = mux_be_read,
    .event = mux_be_event,
};

/* ---- frontends ---- */

static int mux_attach(EmuChardev *chr, const EmuCharHandlers *h,
                      void *opaque, GError **errp)
{
    ChrMux *m = MUX(chr);

    for (int i = 0; i < MUX_MAX_FRONTENDS; i++) {
        MuxFrontend *f = &m->fe[i];
        if (f->used) {
            continue;
        }
        memset(f, 0, sizeof(*f));
        memcpy(&f->h, h, MIN((size_t)h->size, sizeof(f->h)));
        f->opaque = opaque;
        f->used = true;
        if (m->chr.open) {
            mux_send_event(m, i, EMU_CHR_EVENT_OPENED);
        }
        if (m->focus < 0) {
            mux_set_focus(m, i);
        }
        return i;
    }
    g_set_error(errp, EMU_ERROR, 0, "chardev mux '%s' is full (%d "
                "frontends)", emu_object_id(&chr->obj), MUX_MAX_FRONTENDS);
    return -1;
}

static void mux_detach(EmuChardev *chr, int tag)
{
    ChrMux *m = MUX(chr);

    if (tag < 0 || tag >= MUX_MAX_FRONTENDS || !m->fe[tag].used) {
        return;
    }
    m->fe[tag].used = false;
    if (m->focus == tag) {
        mux_focus_next(m);
        if (m->focus == tag) {
            m->focus = -1;
        }
    }
}

static void mux_accept_input(EmuChardev *chr)
{
    ChrMux *m = MUX(chr);

    mux_flush(m, m->focus);
    if (m->be) {
        emu_chr_accept_input(m->be);
    }
}

/* ---- the type ---- */

static bool mux_realize(EmuObject *obj, GError **errp)
{
    ChrMux *m = MUX(obj);
    EmuChardev *be = emu_chr_from_object(m->backend_obj);

    if (!be) {
        g_set_error(errp, EMU_ERROR, 0, "chardev mux: chardev= must name "
                    "a chardev backend");
        return false;
    }
    m->be_tag = emu_chr_attach(be, &mux_be_handlers, m, errp);
    if (m->be_tag < 0) {
        return false;
    }
    m->be = be;
    return true;
}

static void mux_init(EmuObject *obj)
{
    ChrMux *m = MUX(obj);

    chr_base_init(&m->chr);
    m->focus = -1;
    m->be_tag = -1;
}

static void mux_finalize(EmuObject *obj)
{
    ChrMux *m = MUX(obj);

    if (m->be) {
        emu_chr_detach(m->be, m->be_tag);
        m->be = NULL;
    }
    chr_base_finalize(&m->chr);
}

static const ChrClass mux_class = {
    .magic = CHR_CLASS_MAGIC,
    .write = mux_write,
    .accept_input = mux_accept_input,
    .attach = mux_attach,
    .detach = mux_detach,
};

static const EmuProperty mux_props[] = {
    EMU_PROP_LINK("chardev", ChrMux, backend_obj, "chardev",
                  "the backend shared by the frontends"),
    EMU_PROP_END
};

static const EmuTypeInfo mux_type = {
    EMU_TYPE_HEADER,
    .name = "chardev-mux",
    .parent = "chardev",
    .description = "several frontends on one backend, Ctrl-a escapes",
    .instance_size = sizeof(ChrMux),
    .props = mux_props,
    .init = mux_init,
    .realize = mux_realize,
    .finalize = mux_finalize,
    .class_data = &mux_class,
};

bool chr_mux_register(GError **errp)
{
    return emu_type_register(&mux_type, errp);
}
