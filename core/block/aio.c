/*
 * Asynchronous block requests: each request runs the synchronous call on a
 * shared GThreadPool worker, and its completion is delivered in the default
 * GMainContext (the event loop), never on the worker thread.
 */
#include "config.h"
#include <emu/block.h>

#define AIO_THREADS 16

typedef struct AioRequest {
    EmuBlockNode *node;
    uint64_t off;
    size_t len;
    void *rbuf;
    const void *wbuf;
    unsigned flags;
    bool write;
    bool ok;
    GError *err;
    EmuBlockCompletion cb;
    void *opaque;
} AioRequest;

static gboolean aio_complete(gpointer data)
{
    AioRequest *req = data;
    req->cb(req->opaque, req->ok, req->err);
    if (req->err) {
        g_error_free(req->err);
    }
    g_free(req);
    return G_SOURCE_REMOVE;
}

static void aio_worker(gpointer data, gpointer user_data)
{
    AioRequest *req = data;
    if (req->write) {
        req->ok = emu_block_pwrite(req->node, req->off, req->len, req->wbuf,
                                   req->flags, &req->err);
    } else {
        req->ok = emu_block_pread(req->node, req->off, req->len, req->rbuf,
                                  &req->err);
    }
    g_main_context_invoke(NULL, aio_complete, req);
}

static GThreadPool *aio_pool(void)
{
    static gsize once;
    static GThreadPool *pool;
    if (g_once_init_enter(&once)) {
        pool = g_thread_pool_new(aio_worker, NULL, AIO_THREADS, FALSE, NULL);
        g_once_init_leave(&once, 1);
    }
    return pool;
}

static void aio_submit(AioRequest *req)
{
    g_thread_pool_push(aio_pool(), req, NULL);
}

void emu_block_aio_pread(EmuBlockNode *node, uint64_t off, size_t len,
                         void *buf, EmuBlockCompletion cb, void *opaque)
{
    AioRequest *req = g_new0(AioRequest, 1);
    *req = (AioRequest){ .node = node, .off = off, .len = len, .rbuf = buf,
                         .cb = cb, .opaque = opaque };
    aio_submit(req);
}

void emu_block_aio_pwrite(EmuBlockNode *node, uint64_t off, size_t len,
                          const void *buf, unsigned flags,
                          EmuBlockCompletion cb, void *opaque)
{
    AioRequest *req = g_new0(AioRequest, 1);
    *req = (AioRequest){ .node = node, .off = off, .len = len, .wbuf = buf,
                         .flags = flags, .write = true, .cb = cb,
                         .opaque = opaque };
    aio_submit(req);
}
