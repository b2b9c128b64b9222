/*
 * block-file: the protocol driver for regular files and host block devices.
 * Cache modes map to O_DIRECT (with an aligned bounce buffer for unaligned
 * requests) and fdatasync; holes are reported with SEEK_DATA/SEEK_HOLE and
 * made with fallocate.  Reads past the end of a file return zeroes, writes
 * past it extend the file (format drivers append clusters this way).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include <emu/block.h>

#define DIRECT_ALIGN 4096

typedef struct FileState {
    int fd;
    bool direct;
    bool is_blockdev;
    GMutex rmw_lock;            /* O_DIRECT read-modify-write cycles */
} FileState;

static FileState *file_state(EmuBlockNode *node)
{
    return emu_block_node_state(node);
}

static bool io_error(const char *what, EmuBlockNode *node, int err,
                     GError **errp)
{
    g_set_error(errp, EMU_ERROR, 0, "%s '%s' failed: %s", what,
                emu_block_node_filename(node), g_strerror(err));
    return false;
}

static bool file_open(EmuBlockNode *node, const char *filename,
                      unsigned flags, GError **errp)
{
    FileState *s = file_state(node);
    int oflags = (flags & EMU_BLOCK_RDWR) ? O_RDWR : O_RDONLY;
    oflags |= O_CLOEXEC;
    if (flags & EMU_BLOCK_NOCACHE) {
        oflags |= O_DIRECT;
    }
    s->fd = open(filename, oflags);
    if (s->fd < 0) {
        g_set_error(errp, EMU_ERROR, 0, "Could not open '%s': %s", filename,
                    g_strerror(errno));
        return false;
    }
    struct stat st;
    if (fstat(s->fd, &st) < 0 || S_ISDIR(st.st_mode)) {
        g_set_error(errp, EMU_ERROR, 0, "'%s' is not a file or block device",
                    filename);
        close(s->fd);
        return false;
    }
    s->is_blockdev = S_ISBLK(st.st_mode);
    s->direct = (flags & EMU_BLOCK_NOCACHE) != 0;
    g_mutex_init(&s->rmw_lock);
    return true;
}

static void file_close(EmuBlockNode *node)
{
    close(file_state(node)->fd);
    g_mutex_clear(&file_state(node)->rmw_lock);
}

static uint64_t file_length(EmuBlockNode *node)
{
    FileState *s = file_state(node);
    if (s->is_blockdev) {
        uint64_t size = 0;
        if (ioctl(s->fd, BLKGETSIZE64, &size) == 0) {
            return size;
        }
        off_t end = lseek(s->fd, 0, SEEK_END);
        return end < 0 ? 0 : (uint64_t)end;
    }
    struct stat st;
    return fstat(s->fd, &st) < 0 ? 0 : (uint64_t)st.st_size;
}

static int64_t file_allocated_size(EmuBlockNode *node)
{
    struct stat st;
    if (fstat(file_state(node)->fd, &st) < 0) {
        return -1;
    }
    return (int64_t)st.st_blocks * 512;
}

/* Plain positioned I/O; reads stop at end of file and fill zeroes. */
static bool raw_read(EmuBlockNode *node, uint64_t off, size_t len, void *buf,
                     GError **errp)
{
    int fd = file_state(node)->fd;
    uint8_t *p = buf;
    while (len) {
        ssize_t n = pread(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return io_error("Read from", node, errno, errp);
        }
        if (n == 0) {
            memset(p, 0, len);
            return true;
        }
        p += n; off += (uint64_t)n; len -= (size_t)n;
    }
    return true;
}

static bool raw_write(EmuBlockNode *node, uint64_t off, size_t len,
                      const void *buf, GError **errp)
{
    int fd = file_state(node)->fd;
    const uint8_t *p = buf;
    while (len) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return io_error("Write to", node, n < 0 ? errno : ENOSPC, errp);
        }
        p += n; off += (uint64_t)n; len -= (size_t)n;
    }
    return true;
}

static bool is_aligned(uint64_t off, size_t len, const void *buf)
{
    return off % DIRECT_ALIGN == 0 && len % DIRECT_ALIGN == 0 &&
           (uintptr_t)buf % DIRECT_ALIGN == 0;
}

/* O_DIRECT: widen to aligned bounds through a bounce buffer. */
static void *bounce_alloc(uint64_t off, size_t len, uint64_t *start,
                          uint64_t *end)
{
    *start = off & ~(uint64_t)(DIRECT_ALIGN - 1);
    *end = (off + len + DIRECT_ALIGN - 1) & ~(uint64_t)(DIRECT_ALIGN - 1);
    void *bounce = NULL;
    return posix_memalign(&bounce, DIRECT_ALIGN, *end - *start) ? NULL
                                                                : bounce;
}

static bool bounce_read(EmuBlockNode *node, uint64_t off, size_t len,
                        void *buf, GError **errp)
{
    uint64_t start, end;
    uint8_t *bounce = bounce_alloc(off, len, &start, &end);
    if (!bounce) {
        return io_error("Allocating a buffer for", node, ENOMEM, errp);
    }
    bool ok = raw_read(node, start, end - start, bounce, errp);
    if (ok) {
        memcpy(buf, bounce + (off - start), len);
    }
    free(bounce);
    return ok;
}

/* Read-modify-write of the aligned blocks around the request, one cycle
 * at a time: concurrent cycles may share a block. */
static bool bounce_write(EmuBlockNode *node, uint64_t off, size_t len,
                         const void *buf, GError **errp)
{
    FileState *s = file_state(node);
    uint64_t start, end;
    uint8_t *bounce = bounce_alloc(off, len, &start, &end);
    if (!bounce) {
        return io_error("Allocating a buffer for", node, ENOMEM, errp);
    }
    g_mutex_lock(&s->rmw_lock);
    uint64_t flen = file_length(node);
    bool ok = raw_read(node, start, end - start, bounce, errp);
    if (ok) {
        memcpy(bounce + (off - start), buf, len);
        ok = raw_write(node, start, end - start, bounce, errp);
    }
    /* Keep the file size exact when the bounce went past the end. */
    if (ok && end > flen && !s->is_blockdev &&
        ftruncate(s->fd, (off_t)MAX(flen, off + len)) < 0) {
        ok = io_error("Truncating", node, errno, errp);
    }
    g_mutex_unlock(&s->rmw_lock);
    free(bounce);
    return ok;
}

static bool file_pread(EmuBlockNode *node, uint64_t off, size_t len,
                       void *buf, GError **errp)
{
    if (file_state(node)->direct && !is_aligned(off, len, buf)) {
        return bounce_read(node, off, len, buf, errp);
    }
    return raw_read(node, off, len, buf, errp);
}

static bool file_pwrite(EmuBlockNode *node, uint64_t off, size_t len,
                        const void *buf, unsigned flags, GError **errp)
{
    if (file_state(node)->direct && !is_aligned(off, len, buf)) {
        return bounce_write(node, off, len, buf, errp);
    }
    return raw_write(node, off, len, buf, errp);
}

static bool write_zero_loop(EmuBlockNode *node, uint64_t off, uint64_t len,
                            GError **errp)
{
    size_t chunk = 1 << 20;
    void *zero = NULL;
    if (posix_memalign(&zero, DIRECT_ALIGN, chunk)) {
        return io_error("Allocating a buffer for", node, ENOMEM, errp);
    }
    memset(zero, 0, chunk);
    bool ok = true;
    while (ok && len) {
        size_t n = len < chunk ? (size_t)len : chunk;
        ok = file_pwrite(node, off, n, zero, 0, errp);
        off += n; len -= n;
    }
    free(zero);
    return ok;
}

static bool file_pwrite_zeroes(EmuBlockNode *node, uint64_t off,
                               uint64_t len, unsigned flags, GError **errp)
{
    FileState *s = file_state(node);
    uint64_t flen = file_length(node);
    if (!s->is_blockdev && off >= flen) {
        if (ftruncate(s->fd, (off_t)(off + len)) < 0) {
            return io_error("Extending", node, errno, errp);
        }
        return true;
    }
    int mode = (flags & EMU_BLOCK_WRITE_MAY_UNMAP)
               ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
               : FALLOC_FL_ZERO_RANGE;
    if (fallocate(s->fd, mode, (off_t)off, (off_t)len) == 0) {
        return true;
    }
    return write_zero_loop(node, off, len, errp);
}

static bool file_discard(EmuBlockNode *node, uint64_t off, uint64_t len,
                         GError **errp)
{
    /* Advisory: a file system that cannot punch holes keeps the data. */
    (void)fallocate(file_state(node)->fd,
                    FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
                    (off_t)len);
    return true;
}

static bool file_flush(EmuBlockNode *node, GError **errp)
{
    if (fdatasync(file_state(node)->fd) < 0) {
        return io_error("Flushing", node, errno, errp);
    }
    return true;
}

static bool preallocate(EmuBlockNode *node, uint64_t from, uint64_t to,
                        EmuBlockPrealloc prealloc, GError **errp)
{
    FileState *s = file_state(node);
    if (to <= from || prealloc == EMU_PREALLOC_OFF ||
        prealloc == EMU_PREALLOC_METADATA) {
        return true;
    }
    if (prealloc == EMU_PREALLOC_FALLOC) {
        int err = posix_fallocate(s->fd, (off_t)from, (off_t)(to - from));
        return err ? io_error("Preallocating", node, err, errp) : true;
    }
    return write_zero_loop(node, from, to - from, errp);
}

static bool file_truncate(EmuBlockNode *node, uint64_t size, bool shrink,
                          EmuBlockPrealloc prealloc, GError **errp)
{
    FileState *s = file_state(node);
    uint64_t old = file_length(node);
    if (s->is_blockdev) {
        if (size > old) {
            g_set_error(errp, EMU_ERROR, 0,
                        "Cannot grow device '%s'", emu_block_node_filename(node));
            return false;
        }
        return true;
    }
    if (size < old && !shrink) {
        g_set_error(errp, EMU_ERROR, 0, "Cannot shrink '%s' without --shrink",
                    emu_block_node_filename(node));
        return false;
    }
    if (ftruncate(s->fd, (off_t)size) < 0) {
        return io_error("Resizing", node, errno, errp);
    }
    return preallocate(node, old, size, prealloc, errp);
}

static bool file_block_status(EmuBlockNode *node, uint64_t off, uint64_t len,
                              uint64_t *pnum, unsigned *status, uint64_t *map,
                              GError **errp)
{
    FileState *s = file_state(node);
    uint64_t flen = file_length(node);
    *map = off;
    if (off >= flen) {
        *pnum = len;
        *status = EMU_BLOCK_STATUS_ZERO;
        return true;
    }
    off_t data = lseek(s->fd, (off_t)off, SEEK_DATA);
    if (data < 0 && errno != ENXIO) {
        /* No SEEK_DATA support: everything is data. */
        *pnum = MIN(len, flen - off);
        *status = EMU_BLOCK_STATUS_DATA | EMU_BLOCK_STATUS_ALLOCATED |
                  EMU_BLOCK_STATUS_OFFSET_VALID;
        return true;
    }
    if (data < 0 || (uint64_t)data > off) {
        uint64_t hole_end = data < 0 ? flen : (uint64_t)data;
        *pnum = MIN(len, hole_end - off);
        *status = EMU_BLOCK_STATUS_ZERO | EMU_BLOCK_STATUS_ALLOCATED |
                  EMU_BLOCK_STATUS_OFFSET_VALID;
        return true;
    }
    off_t hole = lseek(s->fd, (off_t)off, SEEK_HOLE);
    uint64_t data_end = hole < 0 ? flen : (uint64_t)hole;
    *pnum = MIN(len, data_end - off);
    *status = EMU_BLOCK_STATUS_DATA | EMU_BLOCK_STATUS_ALLOCATED |
              EMU_BLOCK_STATUS_OFFSET_VALID;
    return true;
}

static bool file_create(const char *filename, uint64_t size, GHashTable *opts,
                        GError **errp)
{
    int fd = open(filename, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        g_set_error(errp, EMU_ERROR, 0, "Could not create '%s': %s",
                    filename, g_strerror(errno));
        return false;
    }
    struct stat st;
    bool ok = true;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        ftruncate(fd, (off_t)size) < 0) {
        g_set_error(errp, EMU_ERROR, 0, "Could not resize '%s': %s",
                    filename, g_strerror(errno));
        ok = false;
    }
    close(fd);
    return ok;
}

static const EmuBlockDriver file_driver = {
    EMU_BLOCK_DRIVER_HEADER,
    .format_name = "file",
    .is_protocol = true,
    .state_size = sizeof(FileState),
    .create_file = file_create,
    .open = file_open,
    .close = file_close,
    .pread = file_pread,
    .pwrite = file_pwrite,
    .pwrite_zeroes = file_pwrite_zeroes,
    .discard = file_discard,
    .flush = file_flush,
    .truncate = file_truncate,
    .length = file_length,
    .allocated_size = file_allocated_size,
    .block_status = file_block_status,
};

static const EmuTypeInfo file_type = {
    EMU_TYPE_HEADER,
    .name = "file",
    .parent = "block",
    .description = "Regular files and host block devices",
    .class_data = &file_driver,
};

static bool file_plugin_init(EmuPlugin *self, GError **errp)
{
    return emu_type_register(&file_type, errp);
}

EMU_PLUGIN_EXPORT const EmuPluginInfo emu_plugin_info = {
    EMU_PLUGIN_HEADER,
    .name = "block-file",
    .version = "1.0",
    .license = "GPL-2.0-or-later",
    .description = "File and host block device protocol",
    .provides = (const char *const[]){ "block:file", NULL },
    .init = file_plugin_init,
};
