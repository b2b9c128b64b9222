/*
 * Asynchronous block requests: each request runs the synchronous call on a
 * shared GThreadPool worker, and its completion is delivered in the default
 * GMainContext (the event loop), never on the worker thread.
 *
 * Completions go through one long-lived GSource fed by a locked list rather
 * than one idle source per request: creating and attaching a source per
 * request, and waking the loop for each, dominated small requests.  A worker
 * wakes the loop only when the list goes from empty to non-empty, and one
 * dispatch runs every completion queued so far.
 */
#include "config.h"
#include <emu/block.h>

/* Workers per CPU, and the bounds.  Requests served from the page cache
 * gain nothing from more threads than CPUs and lose much to contention
 * (16 threads on 2 CPUs halved 4 KiB request rates); a few extra per CPU
 * keep requests that block on the device overlapping. */
#define AIO_THREADS_PER_CPU 2
#define AIO_THREADS_MIN 4
#define AIO_THREADS_MAX 16

typedef struct AioRequest AioRequest;
struct AioRequest {
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
    AioRequest *next;           /* completion list link */
};

typedef struct AioState {
    GThreadPool *pool;
    GSource *source;
    GMainContext *ctx;
    GMutex lock;                /* protects done_head/done_tail */
    AioRequest *done_head, *done_tail;
} AioState;

static AioState aio;

static gboolean aio_prepare(GSource *src, gint *timeout)
{
    *timeout = -1;
    return g_atomic_pointer_get(&aio.done_head) != NULL;
}

static gboolean aio_check(GSource *src)
{
    return g_atomic_pointer_get(&aio.done_head) != NULL;
}

/* Runs every queued completion; callbacks may submit new requests. */
static gboolean aio_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    g_mutex_lock(&aio.lock);
    AioRequest *req = aio.done_head;
    g_atomic_pointer_set(&aio.done_head, NULL);
    aio.done_tail = NULL;
    g_mutex_unlock(&aio.lock);
    while (req) {
        AioRequest *next = req->next;
        req->cb(req->opaque, req->ok, req->err);
        if (req->err) {
            g_error_free(req->err);
        }
        g_free(req);
        req = next;
    }
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs aio_source_funcs = {
    .prepare = aio_prepare,
    .check = aio_check,
    .dispatch = aio_dispatch,
};

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
    req->next = NULL;
    g_mutex_lock(&aio.lock);
    bool was_empty = aio.done_head == NULL;
    if (was_empty) {
        g_atomic_pointer_set(&aio.done_head, req);
    } else {
        aio.done_tail->next = req;
    }
    aio.done_tail = req;
    g_mutex_unlock(&aio.lock);
    /* The loop already has a wakeup pending for a non-empty list. */
    if (was_empty) {
        g_main_context_wakeup(aio.ctx);
    }
}

static int aio_threads(void)
{
    return CLAMP((int)g_get_num_processors() * AIO_THREADS_PER_CPU,
                 AIO_THREADS_MIN, AIO_THREADS_MAX);
}

static void aio_init(void)
{
    static gsize once;
    if (g_once_init_enter(&once)) {
        g_mutex_init(&aio.lock);
        aio.ctx = g_main_context_default();
        aio.source = g_source_new(&aio_source_funcs, sizeof(GSource));
        g_source_set_name(aio.source, "emu-block-aio");
        g_source_attach(aio.source, aio.ctx);
        aio.pool = g_thread_pool_new(aio_worker, NULL, aio_threads(), FALSE,
                                     NULL);
        g_once_init_leave(&once, 1);
    }
}

static AioRequest *aio_new(void)
{
    aio_init();
    return g_new(AioRequest, 1);
}

void emu_block_aio_pread(EmuBlockNode *node, uint64_t off, size_t len,
                         void *buf, EmuBlockCompletion cb, void *opaque)
{
    AioRequest *req = aio_new();
    *req = (AioRequest){ .node = node, .off = off, .len = len, .rbuf = buf,
                         .cb = cb, .opaque = opaque };
    g_thread_pool_push(aio.pool, req, NULL);
}

void emu_block_aio_pwrite(EmuBlockNode *node, uint64_t off, size_t len,
                          const void *buf, unsigned flags,
                          EmuBlockCompletion cb, void *opaque)
{
    AioRequest *req = aio_new();
    *req = (AioRequest){ .node = node, .off = off, .len = len, .wbuf = buf,
                         .flags = flags, .write = true, .cb = cb,
                         .opaque = opaque };
    g_thread_pool_push(aio.pool, req, NULL);
}
