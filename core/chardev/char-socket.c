/*
 * chardev-socket: a TCP (host=, port=) or Unix (path=) stream socket, as a
 * server (server=on) or a client.
 *
 * A server listens for one peer at a time; with wait=on (the default)
 * realize blocks until the first peer connects, so the guest loses no
 * output.  port=0 binds an ephemeral port; the "port" property then reads
 * back the bound one.  When the peer leaves the frontend gets CLOSED; a
 * server listens again, a client with reconnect=N retries every N
 * seconds.  Writes with no peer return -1.
 */
#include "char-internal.h"
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <glib-unix.h>

typedef struct ChrSocket {
    EmuChardev chr;
    char *host;
    char *port;
    char *path;
    bool server;
    bool wait;
    bool nodelay;
    uint32_t reconnect;

    int listen_fd;
    int bound_port;
    GSource *listen_watch;
    GSource *reconnect_timer;
} ChrSocket;

#define SOCK(chr) ((ChrSocket *)(chr))

static char *sock_describe(ChrSocket *s)
{
    if (s->path) {
        return g_strdup_printf("unix:%s%s", s->path,
                               s->server ? ",server=on" : "");
    }
    return g_strdup_printf("tcp:%s:%s%s", s->host ? s->host : "",
                           s->port, s->server ? ",server=on" : "");
}

/* ---- connection state ---- */

static void sock_start_listening(ChrSocket *s);
static void sock_schedule_reconnect(ChrSocket *s);

static void sock_set_connected(ChrSocket *s, int fd)
{
    int one = 1;

    chr_set_nonblock(fd, NULL);
    if (!s->path) {
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    g_mutex_lock(&s->chr.write_lock);
    s->chr.in_fd = s->chr.out_fd = fd;
    g_mutex_unlock(&s->chr.write_lock);
    chr_be_set_open(&s->chr, true);
    chr_start_reading(&s->chr);
}

static void sock_input_closed(EmuChardev *chr)
{
    ChrSocket *s = SOCK(chr);

    chr_close_fds(chr);
    chr_be_set_open(chr, false);
    if (s->server) {
        sock_start_listening(s);
    } else if (s->reconnect) {
        sock_schedule_reconnect(s);
    }
}

static void sock_accept_input(EmuChardev *chr)
{
    chr_start_reading(chr);
}

static ssize_t sock_write(EmuChardev *chr, const uint8_t *buf, size_t len)
{
    if (chr->out_fd < 0) {
        return -1;
    }
    return chr_write_fd(chr->out_fd, buf, len, CHR_WRITE_TIMEOUT_MS);
}

/* ---- addresses ---- */

static bool sock_unix_addr(ChrSocket *s, struct sockaddr_un *sun,
                           GError **errp)
{
    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    if (strlen(s->path) >= sizeof(sun->sun_path)) {
        g_set_error(errp, EMU_ERROR, 0, "chardev socket: path=%s is too "
                    "long for a Unix socket", s->path);
        return false;
    }
    strcpy(sun->sun_path, s->path);
    return true;
}

static struct addrinfo *sock_resolve(ChrSocket *s, GError **errp)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
        .ai_flags = s->server ? AI_PASSIVE : 0,
    };
    struct addrinfo *res = NULL;
    const char *host = s->host && *s->host ? s->host :
                       (s->server ? NULL : "localhost");
    int rc = getaddrinfo(host, s->port, &hints, &res);

    if (rc != 0) {
        g_set_error(errp, EMU_ERROR, 0, "chardev socket: host=%s port=%s: "
                    "%s", host ? host : "", s->port, gai_strerror(rc));
        return NULL;
    }
    return res;
}

/*
 * Opens a TCP socket on the first address that works: listening when
 * server, else connected.  One routine so both sides report errors alike.
 */
static int sock_open_tcp(ChrSocket *s, bool server, GError **errp)
{
    struct addrinfo *res = sock_resolve(s, errp);
    int fd = -1, err = 0, one = 1;

    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            err = errno;
            continue;
        }
        bool ok;
        if (server) {
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
            ok = bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
                 listen(fd, 1) == 0;
        } else {
            ok = connect(fd, ai->ai_addr, ai->ai_addrlen) == 0;
        }
        if (!ok) {
            err = errno;
            close(fd);
            fd = -1;
        }
    }
    if (res) {
        freeaddrinfo(res);
        if (fd < 0) {
            g_set_error(errp, EMU_ERROR, 0,
                        "chardev socket: cannot %s %s:%s: %s",
                        server ? "listen on" : "connect to",
                        s->host ? s->host : server ? "" : "localhost",
                        s->port, g_strerror(err));
        }
    }
    return fd;
}

/* ---- server ---- */

static int sock_listen_unix(ChrSocket *s, GError **errp)
{
    struct sockaddr_un sun;
    struct stat st;
    int fd;

    if (!sock_unix_addr(s, &sun, errp)) {
        return -1;
    }
    if (stat(s->path, &st) == 0 && S_ISSOCK(st.st_mode)) {
        unlink(s->path);        /* a stale socket from an earlier run */
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
        listen(fd, 1) < 0) {
        g_set_error(errp, EMU_ERROR, 0, "chardev socket: cannot listen on "
                    "%s: %s", s->path, g_strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    return fd;
}

static void sock_note_bound_port(ChrSocket *s)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(s->listen_fd, (struct sockaddr *)&ss, &len) < 0) {
        return;
    }
    if (ss.ss_family == AF_INET) {
        s->bound_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        s->bound_port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    g_free(s->port);
    s->port = g_strdup_printf("%d", s->bound_port);
}

static bool sock_accept_one(ChrSocket *s)
{
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);

    if (fd < 0) {
        return false;
    }
    sock_set_connected(s, fd);
    return true;
}

static gboolean sock_listen_ready(gint fd, GIOCondition cond, gpointer opaque)
{
    ChrSocket *s = opaque;

    if (!sock_accept_one(s)) {
        return G_SOURCE_CONTINUE;
    }
    g_source_unref(s->listen_watch);
    s->listen_watch = NULL;         /* one peer at a time */
    return G_SOURCE_REMOVE;
}

static void sock_start_listening(ChrSocket *s)
{
    if (s->listen_watch || s->listen_fd < 0) {
        return;
    }
    s->listen_watch = g_unix_fd_source_new(s->listen_fd, G_IO_IN);
    g_source_set_callback(s->listen_watch, G_SOURCE_FUNC(sock_listen_ready),
                          s, NULL);
    g_source_attach(s->listen_watch, emu_main_context());
}

static void sock_wait_for_peer(ChrSocket *s)
{
    g_autofree char *desc = sock_describe(s);

    fprintf(stderr, "emu: info: waiting for connection on: %s\n", desc);
    fflush(stderr);
    for (;;) {
        struct pollfd pfd = { .fd = s->listen_fd, .events = POLLIN };
        if (poll(&pfd, 1, -1) > 0 && sock_accept_one(s)) {
            return;
        }
    }
}

static bool sock_open_server(ChrSocket *s, GError **errp)
{
    s->listen_fd = s->path ? sock_listen_unix(s, errp)
                           : sock_open_tcp(s, true, errp);
    if (s->listen_fd < 0) {
        return false;
    }
    if (!s->path) {
        sock_note_bound_port(s);
    }
    if (s->wait) {
        sock_wait_for_peer(s);
    } else {
        sock_start_listening(s);
    }
    return true;
}

/* ---- client ---- */

static int sock_connect_unix(ChrSocket *s, GError **errp)
{
    struct sockaddr_un sun;
    int fd;

    if (!sock_unix_addr(s, &sun, errp)) {
        return -1;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        g_set_error(errp, EMU_ERROR, 0, "chardev socket: cannot connect to "
                    "%s: %s", s->path, g_strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    return fd;
}

static bool sock_try_connect(ChrSocket *s, GError **errp)
{
    int fd = s->path ? sock_connect_unix(s, errp)
                     : sock_open_tcp(s, false, errp);

    if (fd < 0) {
        return false;
    }
    sock_set_connected(s, fd);
    return true;
}

static gboolean sock_reconnect_tick(gpointer opaque)
{
    ChrSocket *s = opaque;

    if (!sock_try_connect(s, NULL)) {
        return G_SOURCE_CONTINUE;
    }
    g_source_unref(s->reconnect_timer);
    s->reconnect_timer = NULL;
    return G_SOURCE_REMOVE;
}

static void sock_schedule_reconnect(ChrSocket *s)
{
    if (s->reconnect_timer) {
        return;
    }
    s->reconnect_timer = g_timeout_source_new_seconds(s->reconnect);
    g_source_set_callback(s->reconnect_timer, sock_reconnect_tick, s, NULL);
    g_source_attach(s->reconnect_timer, emu_main_context());
}

static bool sock_open_client(ChrSocket *s, GError **errp)
{
    GError *err = NULL;

    if (sock_try_connect(s, &err)) {
        return true;
    }
    if (!s->reconnect) {
        g_propagate_error(errp, err);
        return false;
    }
    g_error_free(err);
    sock_schedule_reconnect(s);
    return true;
}

/* ---- the type ---- */

static bool sock_check_address(ChrSocket *s, GError **errp)
{
    if (s->path && (s->host || s->port)) {
        g_set_error(errp, EMU_ERROR, 0, "chardev socket: path= (unix) "
                    "cannot be combined with host=/port= (tcp)");
        return false;
    }
    if (!s->path && !s->port) {
        g_set_error(errp, EMU_ERROR, 0, "chardev socket: give port= (and "
                    "host=) for tcp, or path= for unix");
        return false;
    }
    return true;
}

static bool sock_realize(EmuObject *obj, GError **errp)
{
    ChrSocket *s = SOCK(obj);

    if (!sock_check_address(s, errp)) {
        return false;
    }
    return s->server ? sock_open_server(s, errp) : sock_open_client(s, errp);
}

static void sock_init(EmuObject *obj)
{
    ChrSocket *s = SOCK(obj);

    chr_base_init(&s->chr);
    s->listen_fd = -1;
    s->bound_port = -1;
}

static void sock_destroy_source(GSource **src)
{
    if (*src) {
        g_source_destroy(*src);
        g_source_unref(*src);
        *src = NULL;
    }
}

static void sock_finalize(EmuObject *obj)
{
    ChrSocket *s = SOCK(obj);

    sock_destroy_source(&s->listen_watch);
    sock_destroy_source(&s->reconnect_timer);
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
        if (s->path) {
            unlink(s->path);
        }
    }
    chr_base_finalize(&s->chr);
}

static const ChrClass sock_class = {
    .magic = CHR_CLASS_MAGIC,
    .write = sock_write,
    .accept_input = sock_accept_input,
    .input_closed = sock_input_closed,
};

static const EmuProperty sock_props[] = {
    EMU_PROP_STRING("host", ChrSocket, host, NULL,
                    "tcp: address to listen on or connect to"),
    EMU_PROP_STRING("port", ChrSocket, port, NULL,
                    "tcp: port (0: any free port, read back when bound)"),
    EMU_PROP_STRING("path", ChrSocket, path, NULL, "unix: socket path"),
    EMU_PROP_BOOL("server", ChrSocket, server, "off",
                  "listen instead of connecting"),
    EMU_PROP_BOOL("wait", ChrSocket, wait, "on",
                  "server: wait for a peer before starting"),
    EMU_PROP_BOOL("nodelay", ChrSocket, nodelay, "off",
                  "tcp: accepted for compatibility (always set)"),
    EMU_PROP_U32("reconnect", ChrSocket, reconnect, "0",
                 "client: retry every N seconds when not connected"),
    EMU_PROP_END
};

static const EmuTypeInfo sock_type = {
    EMU_TYPE_HEADER,
    .name = "chardev-socket",
    .parent = "chardev",
    .description = "TCP or Unix stream socket, server or client",
    .instance_size = sizeof(ChrSocket),
    .props = sock_props,
    .init = sock_init,
    .realize = sock_realize,
    .finalize = sock_finalize,
    .class_data = &sock_class,
};

bool chr_socket_register(GError **errp)
{
    return emu_type_register(&sock_type, errp);
}

int chardev_socket_port(EmuChardev *chr)
{
    if (!chr || !emu_object_is_a(&chr->obj, "chardev-socket")) {
        return -1;
    }
    return SOCK(chr)->bound_port;
}
