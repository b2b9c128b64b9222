/*
 * TCP transport for the GDB stub: listen, accept one debugger, then a
 * thread reads the socket and feeds the stub (so a Ctrl-C reaches it while
 * the guest runs).  Replies are written from whichever thread the stub
 * answers on.
 */
#include "config.h"
#include "gdbstub.h"
#include <emu/object.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct TcpConn {
    EmuGdbStub *stub;
    int fd;
} TcpConn;

/* "port" or "host:port" (host may be empty: every address). */
static bool split_spec(const char *spec, char **host, char **port)
{
    const char *colon = strrchr(spec, ':');
    const char *p = colon ? colon + 1 : spec;
    char *end;
    long n = strtol(p, &end, 10);
    if (!*p || *end || n <= 0 || n > 65535) {
        return false;
    }
    *host = colon && colon != spec ? g_strndup(spec, (gsize)(colon - spec))
                                   : NULL;
    *port = g_strdup(p);
    return true;
}

EMU_API int emu_gdb_tcp_listen(const char *spec, GError **errp)
{
    char *host, *port;
    if (!split_spec(spec, &host, &port)) {
        g_set_error(errp, EMU_ERROR, 0,
                    "'%s' is not a TCP port (1-65535)", spec);
        return -1;
    }
    struct addrinfo hints = { .ai_family = AF_UNSPEC,
                              .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE };
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, port, &hints, &res);
    int fd = -1, err = 0;
    for (struct addrinfo *ai = rc ? NULL : res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
        int one = 1;
        if (fd >= 0 &&
            (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
             bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 1))) {
            err = errno;
            close(fd);
            fd = -1;
        }
    }
    if (fd < 0) {
        g_set_error(errp, EMU_ERROR, 0,
                    "cannot listen on port %s: %s", spec,
                    rc ? gai_strerror(rc) : g_strerror(err));
    }
    if (res) {
        freeaddrinfo(res);
    }
    g_free(host);
    g_free(port);
    return fd;
}

static void tcp_write(void *opaque, const void *buf, size_t len)
{
    TcpConn *c = opaque;
    const char *p = buf;
    while (len) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return;     /* the reader thread notices the closed socket */
        }
        p += n;
        len -= (size_t)n;
    }
}

static void *reader_thread(void *opaque)
{
    TcpConn *c = opaque;
    char buf[4096];
    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        emu_gdb_input(c->stub, buf, (size_t)n);
    }
    emu_gdb_disconnected(c->stub);
    return NULL;
}

EMU_API bool emu_gdb_tcp_serve(EmuGdbStub *stub, int listen_fd, GError **errp)
{
    int fd;
    do {
        fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    int err = errno;
    close(listen_fd);
    if (fd < 0) {
        g_set_error(errp, EMU_ERROR, 0,
                    "gdb connection: %s", g_strerror(err));
        return false;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    TcpConn *c = g_new0(TcpConn, 1);
    c->stub = stub;
    c->fd = fd;
    /* The connection lives as long as the process: the stub keeps
     * writing through it from vCPU threads. */
    emu_gdb_set_writer(stub, tcp_write, c);
    /* Guest signals must reach vCPU threads, never this one. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t th;
    int rc = pthread_create(&th, NULL, reader_thread, c);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        g_set_error(errp, EMU_ERROR, 0,
                    "gdb connection thread: %s", g_strerror(rc));
        return false;
    }
    pthread_detach(th);
    return true;
}
