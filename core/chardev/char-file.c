/*
 * The simplest backends: chardev-null (swallows output, no input),
 * chardev-file (output to path=, optional input from in=, append=on keeps
 * what the file held) and chardev-pipe (path=P uses the FIFOs P.in and
 * P.out when both exist, else P itself both ways).
 */
#include "char-internal.h"
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

/* ---- null ---- */

static ssize_t null_write(EmuChardev *chr, const uint8_t *buf, size_t len)
{
    return len;
}

static void null_init(EmuObject *obj)
{
    chr_base_init(CHR(obj));
}

static bool null_realize(EmuObject *obj, GError **errp)
{
    CHR(obj)->open = true;
    return true;
}

static void null_finalize(EmuObject *obj)
{
    chr_base_finalize(CHR(obj));
}

static const ChrClass null_class = {
    .magic = CHR_CLASS_MAGIC,
    .write = null_write,
};

static const EmuTypeInfo null_type = {
    EMU_TYPE_HEADER,
    .name = "chardev-null",
    .parent = "chardev",
    .description = "discards output, never has input",
    .instance_size = sizeof(EmuChardev),
    .init = null_init,
    .realize = null_realize,
    .finalize = null_finalize,
    .class_data = &null_class,
};

bool chr_null_register(GError **errp)
{
    return emu_type_register(&null_type, errp);
}

/* ---- file ---- */

typedef struct ChrFile {
    EmuChardev chr;
    char *path;
    char *in_path;
    bool append;
} ChrFile;

static int open_or_error(const char *path, int flags, const char *key,
                         GError **errp)
{
    int fd = open(path, flags | O_CLOEXEC, 0666);

    if (fd < 0) {
        g_set_error(errp, EMU_ERROR, 0, "%s=%s: cannot open: %s", key, path,
                    g_strerror(errno));
    }
    return fd;
}

static bool file_realize(EmuObject *obj, GError **errp)
{
    ChrFile *f = (ChrFile *)obj;
    int flags = O_WRONLY | O_CREAT | (f->append ? O_APPEND : O_TRUNC);

    if (!f->path) {
        g_set_error(errp, EMU_ERROR, 0, "chardev file: path= is required");
        return false;
    }
    f->chr.out_fd = open_or_error(f->path, flags, "path", errp);
    if (f->chr.out_fd < 0) {
        return false;
    }
    f->chr.out_blocking = true;
    if (f->in_path) {
        f->chr.in_fd = open_or_error(f->in_path, O_RDONLY, "in", errp);
        if (f->chr.in_fd < 0) {
            return false;
        }
    }
    f->chr.open = true;
    return true;
}

static void fd_backend_init(EmuObject *obj)
{
    chr_base_init(CHR(obj));
}

static void fd_backend_finalize(EmuObject *obj)
{
    chr_base_finalize(CHR(obj));
}

static const ChrClass file_class = {
    .magic = CHR_CLASS_MAGIC,
};

static const EmuProperty file_props[] = {
    EMU_PROP_STRING("path", ChrFile, path, NULL, "file to write output to"),
    EMU_PROP_STRING("in", ChrFile, in_path, NULL,
                    "file to read input from (optional)"),
    EMU_PROP_BOOL("append", ChrFile, append, "off",
                  "append to path instead of truncating it"),
    EMU_PROP_END
};

static const EmuTypeInfo file_type = {
    EMU_TYPE_HEADER,
    .name = "chardev-file",
    .parent = "chardev",
    .description = "output to a file, input from an optional file",
    .instance_size = sizeof(ChrFile),
    .props = file_props,
    .init = fd_backend_init,
    .realize = file_realize,
    .finalize = fd_backend_finalize,
    .class_data = &file_class,
};

/* ---- pipe ---- */

typedef struct ChrPipe {
    EmuChardev chr;
    char *path;
} ChrPipe;

/* O_RDWR on a FIFO never blocks in open() and never reads EOF when the
 * peer goes away and comes back. */
static bool pipe_open_pair(ChrPipe *p, GError **errp)
{
    g_autofree char *in = g_strdup_printf("%s.in", p->path);
    g_autofree char *out = g_strdup_printf("%s.out", p->path);

    if (access(in, F_OK) == 0 && access(out, F_OK) == 0) {
        p->chr.in_fd = open_or_error(in, O_RDWR | O_NONBLOCK, "path", errp);
        if (p->chr.in_fd < 0) {
            return false;
        }
        p->chr.out_fd = open_or_error(out, O_RDWR | O_NONBLOCK, "path",
                                      errp);
        return p->chr.out_fd >= 0;
    }
    p->chr.in_fd = open_or_error(p->path, O_RDWR | O_NONBLOCK, "path", errp);
    p->chr.out_fd = p->chr.in_fd;
    return p->chr.in_fd >= 0;
}

static bool pipe_realize(EmuObject *obj, GError **errp)
{
    ChrPipe *p = (ChrPipe *)obj;

    if (!p->path) {
        g_set_error(errp, EMU_ERROR, 0, "chardev pipe: path= is required");
        return false;
    }
    if (!pipe_open_pair(p, errp)) {
        return false;
    }
    p->chr.open = true;
    return true;
}

static const ChrClass pipe_class = {
    .magic = CHR_CLASS_MAGIC,
};

static const EmuProperty pipe_props[] = {
    EMU_PROP_STRING("path", ChrPipe, path, NULL,
                    "FIFO path (PATH.in and PATH.out when both exist)"),
    EMU_PROP_END
};

static const EmuTypeInfo pipe_type = {
    EMU_TYPE_HEADER,
    .name = "chardev-pipe",
    .parent = "chardev",
    .description = "named pipes (FIFOs)",
    .instance_size = sizeof(ChrPipe),
    .props = pipe_props,
    .init = fd_backend_init,
    .realize = pipe_realize,
    .finalize = fd_backend_finalize,
    .class_data = &pipe_class,
};

bool chr_fd_backends_register(GError **errp)
{
    return emu_type_register(&file_type, errp) &&
           emu_type_register(&pipe_type, errp);
}
