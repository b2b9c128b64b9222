/*
 * chardev-stdio: the emulator's own standard input and output.
 *
 * When stdin is a terminal it is put in raw mode while the backend exists
 * (keystrokes go to the guest one by one, unechoed) and restored when the
 * backend goes away or the program exits.  signal=on (the default) keeps
 * Ctrl-C and friends as signals to emu; signal=off passes them through.
 * Only one stdio backend may exist at a time.
 */
#include "char-internal.h"
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

typedef struct ChrStdio {
    EmuChardev chr;
    bool signal;
} ChrStdio;

static struct {
    GMutex lock;
    bool in_use;
    bool saved;             /* saved_tty holds the terminal's settings */
    bool atexit_done;
    struct termios saved_tty;
} stdio_state;

static void stdio_restore_tty(void)
{
    g_mutex_lock(&stdio_state.lock);
    if (stdio_state.saved) {
        tcsetattr(STDIN_FILENO, TCSANOW, &stdio_state.saved_tty);
        stdio_state.saved = false;
    }
    g_mutex_unlock(&stdio_state.lock);
}

static void stdio_set_raw(bool keep_signals)
{
    struct termios tty;

    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &tty) < 0) {
        return;
    }
    stdio_state.saved_tty = tty;
    stdio_state.saved = true;
    tty.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR |
                     ICRNL | IXON);
    tty.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN | ISIG);
    if (keep_signals) {
        tty.c_lflag |= ISIG;
    }
    tty.c_cflag &= ~(CSIZE | PARENB);
    tty.c_cflag |= CS8;
    tty.c_cc[VMIN] = 1;
    tty.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &tty);
    if (!stdio_state.atexit_done) {
        atexit(stdio_restore_tty);
        stdio_state.atexit_done = true;
    }
}

static bool stdio_realize(EmuObject *obj, GError **errp)
{
    ChrStdio *s = (ChrStdio *)obj;

    g_mutex_lock(&stdio_state.lock);
    if (stdio_state.in_use) {
        g_mutex_unlock(&stdio_state.lock);
        g_set_error(errp, EMU_ERROR, 0,
                    "chardev stdio: stdio is already in use by another "
                    "chardev (use mux=on or mon:stdio to share it)");
        return false;
    }
    stdio_state.in_use = true;
    stdio_set_raw(s->signal);
    g_mutex_unlock(&stdio_state.lock);
    s->chr.in_fd = STDIN_FILENO;
    s->chr.out_fd = STDOUT_FILENO;
    s->chr.out_blocking = true;
    s->chr.open = true;
    return true;
}

static void stdio_init(EmuObject *obj)
{
    chr_base_init(CHR(obj));
}

static void stdio_finalize(EmuObject *obj)
{
    ChrStdio *s = (ChrStdio *)obj;
    bool was_open = s->chr.in_fd >= 0;

    chr_base_finalize(&s->chr);
    if (was_open) {
        stdio_restore_tty();
        g_mutex_lock(&stdio_state.lock);
        stdio_state.in_use = false;
        g_mutex_unlock(&stdio_state.lock);
    }
}

static const ChrClass stdio_class = {
    .magic = CHR_CLASS_MAGIC,
};

static const EmuProperty stdio_props[] = {
    EMU_PROP_BOOL("signal", ChrStdio, signal, "on",
                  "Ctrl-C etc. signal emu (off: they go to the guest)"),
    EMU_PROP_END
};

static const EmuTypeInfo stdio_type = {
    EMU_TYPE_HEADER,
    .name = "chardev-stdio",
    .parent = "chardev",
    .description = "standard input and output (raw terminal)",
    .instance_size = sizeof(ChrStdio),
    .props = stdio_props,
    .init = stdio_init,
    .realize = stdio_realize,
    .finalize = stdio_finalize,
    .class_data = &stdio_class,
};

bool chr_stdio_register(GError **errp)
{
    return emu_type_register(&stdio_type, errp);
}
