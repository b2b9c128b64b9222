/*
 * The GDB Remote Serial Protocol: packet framing ($data#cs, +/- acks,
 * QStartNoAckMode, '}' escapes, 0x03 interrupts) and the commands emu
 * supports, written from the "Remote Protocol" appendix of the GDB manual.
 * All-stop mode only: gdb sees every thread stopped whenever one is.
 */
#include "config.h"
#include "gdbstub.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PACKET_SIZE 0x4000      /* advertised; replies are split below it */
#define MAX_THREADS 4096

typedef enum ParseState { WAIT_START, IN_DATA, IN_ESCAPE, CSUM1, CSUM2 }
    ParseState;

struct EmuGdbStub {
    GRecMutex lock;
    EmuGdbTarget target;
    EmuGdbWrite write;
    void *write_opaque;
    char *xml;
    unsigned num_regs;

    ParseState state;
    GString *packet;            /* unescaped data of the packet being read */
    uint8_t sum, their_sum;
    bool no_ack;
    GString *last_sent;         /* for a '-' retransmit */

    bool attached;              /* connected and not detached */
    bool running;               /* resumed and not yet reported stopped */
    int64_t g_thread;           /* Hg: registers and memory */
    int64_t c_thread;           /* Hc: legacy c/s */
    GString *stop_reply;        /* the last one, for '?' */
    GString *thread_list;       /* qfThreadInfo snapshot */
};

/* ---- signals ---- */

/* GDB's signal numbers for the Linux ones 1..31 (gdb/signals.def). */
static const uint8_t linux_to_gdb[32] = {
    0, 1, 2, 3, 4, 5, 6, 10, 8, 9, 30, 11, 31, 13, 14, 15,
    0, 20, 19, 17, 18, 21, 22, 16, 24, 25, 26, 27, 28, 23, 32, 12,
};

EMU_API int emu_gdb_signal_to_gdb(int sig)
{
    if (sig > 0 && sig < 32) {
        return linux_to_gdb[sig] ? linux_to_gdb[sig] : 143;  /* unknown */
    }
    if (sig == 32) {
        return 77;
    }
    if (sig >= 33 && sig <= 63) {
        return 45 + (sig - 33);
    }
    return sig == 64 ? 78 : 143;
}

EMU_API int emu_gdb_signal_from_gdb(int gsig)
{
    for (int s = 1; s <= 64; s++) {
        if (gsig && emu_gdb_signal_to_gdb(s) == gsig) {
            return s;
        }
    }
    return 0;
}

/* ---- output ---- */

static const char hexdigits[] = "0123456789abcdef";

static void send_raw(EmuGdbStub *s, const void *buf, size_t len)
{
    if (s->write) {
        s->write(s->write_opaque, buf, len);
    }
}

/* Sends data (binary safe) as one packet. */
static void send_packet_len(EmuGdbStub *s, const char *data, size_t len)
{
    GString *p = s->last_sent;
    g_string_assign(p, "$");
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (c == '$' || c == '#' || c == '}' || c == '*') {
            g_string_append_c(p, '}');
            sum += '}';
            c ^= 0x20;
        }
        g_string_append_c(p, c);
        sum += (uint8_t)c;
    }
    g_string_append_printf(p, "#%c%c", hexdigits[sum >> 4], hexdigits[sum & 15]);
    send_raw(s, p->str, p->len);
}

static void send_packet(EmuGdbStub *s, const char *data)
{
    send_packet_len(s, data, strlen(data));
}

static void append_hex(GString *out, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        g_string_append_c(out, hexdigits[buf[i] >> 4]);
        g_string_append_c(out, hexdigits[buf[i] & 15]);
    }
}

/* ---- parsing helpers ---- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = (char)g_ascii_tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Parses hex digits at *p (advancing it); false when there are none. */
static bool parse_hex(const char **p, uint64_t *out)
{
    const char *q = *p;
    uint64_t v = 0;
    while (hexval(*q) >= 0) {
        v = (v << 4) | (uint64_t)hexval(*q++);
    }
    if (q == *p) {
        return false;
    }
    *out = v;
    *p = q;
    return true;
}

static bool expect_char(const char **p, char c)
{
    if (**p != c) {
        return false;
    }
    (*p)++;
    return true;
}

/* hex bytes -> buf; false on odd length or a non-hex digit */
static bool decode_hex(const char *hex, size_t len, uint8_t *buf)
{
    for (size_t i = 0; i < len; i++) {
        int hi = hexval(hex[2 * i]), lo = hi < 0 ? -1 : hexval(hex[2 * i + 1]);
        if (lo < 0) {
            return false;
        }
        buf[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

/* A thread id: hex, "-1" (all) or "0" (any). */
static bool parse_thread_id(const char **p, int64_t *tid)
{
    if ((*p)[0] == '-' && (*p)[1] == '1') {
        *p += 2;
        *tid = -1;
        return true;
    }
    uint64_t v;
    if (!parse_hex(p, &v)) {
        return false;
    }
    *tid = (int64_t)v;
    return true;
}

/* ---- threads ---- */

static size_t list_threads(EmuGdbStub *s, int64_t *tids, size_t max)
{
    return s->target.list_threads(s->target.opaque, tids, max);
}

static int64_t first_thread(EmuGdbStub *s)
{
    int64_t tid = 0;
    return list_threads(s, &tid, 1) ? tid : 0;
}

/* The thread "0 = any" and "-1 = all" resolve to, for register access. */
static int64_t resolve_thread(EmuGdbStub *s, int64_t tid)
{
    return tid > 0 ? tid : first_thread(s);
}

static void *thread_env(EmuGdbStub *s, int64_t tid)
{
    return s->target.thread_env(s->target.opaque, resolve_thread(s, tid));
}

/* ---- registers ---- */

static const EmuCpuClass *cls_of(EmuGdbStub *s)
{
    return s->target.cls;
}

static uint8_t *fp_image(EmuGdbStub *s, const void *env)
{
    uint8_t *fp = g_malloc0(MAX(cls_of(s)->fp_state_size, 512));
    if (cls_of(s)->fp_save) {
        cls_of(s)->fp_save(env, fp);
    }
    return fp;
}

static void cmd_read_registers(EmuGdbStub *s)
{
    void *env = thread_env(s, s->g_thread);
    if (!env) {
        send_packet(s, "E01");
        return;
    }
    uint8_t *fp = fp_image(s, env);
    GString *out = g_string_new(NULL);
    for (unsigned n = 0; n < s->num_regs; n++) {
        uint8_t buf[16];
        unsigned size = emu_gdb_reg_size(cls_of(s), n);
        emu_gdb_read_reg(cls_of(s), env, fp, n, buf);
        append_hex(out, buf, size);
    }
    send_packet(s, out->str);
    g_string_free(out, TRUE);
    g_free(fp);
}

static void write_back_fp(EmuGdbStub *s, void *env, uint8_t *fp, bool dirty)
{
    if (dirty && cls_of(s)->fp_restore) {
        cls_of(s)->fp_restore(env, fp);
    }
    g_free(fp);
}

static void cmd_write_registers(EmuGdbStub *s, const char *hex)
{
    void *env = thread_env(s, s->g_thread);
    if (!env) {
        send_packet(s, "E01");
        return;
    }
    uint8_t *fp = fp_image(s, env);
    bool dirty = false;
    size_t avail = strlen(hex) / 2;
    for (unsigned n = 0; n < s->num_regs; n++) {
        uint8_t buf[16];
        unsigned size = emu_gdb_reg_size(cls_of(s), n);
        if (size > avail || !decode_hex(hex, size, buf)) {
            break;      /* a shorter G leaves the rest alone */
        }
        emu_gdb_write_reg(cls_of(s), env, fp, &dirty, n, buf);
        hex += 2 * size;
        avail -= size;
    }
    write_back_fp(s, env, fp, dirty);
    send_packet(s, "OK");
}

static void cmd_read_register(EmuGdbStub *s, const char *p)
{
    uint64_t n;
    void *env = thread_env(s, s->g_thread);
    if (!parse_hex(&p, &n) || n >= s->num_regs || !env) {
        send_packet(s, "E01");
        return;
    }
    uint8_t *fp = fp_image(s, env), buf[16];
    emu_gdb_read_reg(cls_of(s), env, fp, (unsigned)n, buf);
    GString *out = g_string_new(NULL);
    append_hex(out, buf, emu_gdb_reg_size(cls_of(s), (unsigned)n));
    send_packet(s, out->str);
    g_string_free(out, TRUE);
    g_free(fp);
}

static void cmd_write_register(EmuGdbStub *s, const char *p)
{
    uint64_t n;
    void *env = thread_env(s, s->g_thread);
    uint8_t buf[16];
    if (!parse_hex(&p, &n) || n >= s->num_regs || !env ||
        !expect_char(&p, '=') ||
        strlen(p) != 2 * emu_gdb_reg_size(cls_of(s), (unsigned)n) ||
        !decode_hex(p, strlen(p) / 2, buf)) {
        send_packet(s, "E01");
        return;
    }
    uint8_t *fp = fp_image(s, env);
    bool dirty = false;
    emu_gdb_write_reg(cls_of(s), env, fp, &dirty, (unsigned)n, buf);
    write_back_fp(s, env, fp, dirty);
    send_packet(s, "OK");
}

/* ---- memory ---- */

/* "addr,len" then sep; false when malformed or too long. */
static bool parse_addr_len(const char **p, uint64_t *addr, uint64_t *len)
{
    return parse_hex(p, addr) && expect_char(p, ',') && parse_hex(p, len) &&
           *len <= PACKET_SIZE;
}

static void cmd_read_memory(EmuGdbStub *s, const char *p)
{
    uint64_t addr, len;
    if (!parse_addr_len(&p, &addr, &len) || *p) {
        send_packet(s, "E01");
        return;
    }
    uint8_t *buf = g_malloc(len ? len : 1);
    /* A partial read is allowed: gdb asks again from where it stopped. */
    size_t got = 0;
    while (got < len && s->target.read_mem(s->target.opaque, addr + got,
                                           buf + got, 1)) {
        size_t chunk = MIN(len - got, 4096 - ((addr + got) & 4095));
        if (chunk > 1 && !s->target.read_mem(s->target.opaque, addr + got,
                                             buf + got, chunk)) {
            chunk = 1;
        }
        got += chunk;
    }
    if (len && !got) {
        send_packet(s, "E14");      /* EFAULT */
    } else {
        GString *out = g_string_new(NULL);
        append_hex(out, buf, got);
        send_packet(s, out->str);
        g_string_free(out, TRUE);
    }
    g_free(buf);
}

/* M (hex) and X (binary, already unescaped) writes. */
static void cmd_write_memory(EmuGdbStub *s, const char *p, size_t total,
                             bool binary)
{
    const char *start = p;
    uint64_t addr, len;
    if (!parse_addr_len(&p, &addr, &len) || !expect_char(&p, ':')) {
        send_packet(s, "E01");
        return;
    }
    size_t data_len = total - (size_t)(p - start);
    uint8_t *buf = g_malloc(len ? len : 1);
    bool ok = binary ? data_len == len : data_len == 2 * len &&
                                         decode_hex(p, len, buf);
    if (ok && binary) {
        memcpy(buf, p, len);
    }
    if (ok && len) {
        ok = s->target.write_mem(s->target.opaque, addr, buf, len);
        if (ok) {
            emu_jit_invalidate(addr, len);  /* gdb may patch code */
        }
        send_packet(s, ok ? "OK" : "E14");
    } else {
        send_packet(s, ok ? "OK" : "E01");
    }
    g_free(buf);
}

/* ---- breakpoints ---- */

static void cmd_breakpoint(EmuGdbStub *s, const char *p, bool insert)
{
    uint64_t type, addr, kind;
    if (!parse_hex(&p, &type) || !expect_char(&p, ',') ||
        !parse_hex(&p, &addr) || !expect_char(&p, ',') ||
        !parse_hex(&p, &kind)) {
        send_packet(s, "E01");
        return;
    }
    if (type == 2 && s->target.watch) {
        send_packet(s, s->target.watch(s->target.opaque, addr, kind, insert)
                       ? "OK" : "E01");
        return;
    }
    if (type > 1) {
        send_packet(s, "");     /* read and access watchpoints: no */
        return;
    }
    /* Software and "hardware" breakpoints are the same thing to the JIT. */
    if (insert) {
        emu_jit_breakpoint_insert(addr);
    } else {
        emu_jit_breakpoint_remove(addr);
    }
    send_packet(s, "OK");
}

/* ---- resuming ---- */

static void resume(EmuGdbStub *s, const EmuGdbResume *actions, size_t n)
{
    s->running = true;
    s->target.resume(s->target.opaque, actions, n);
}

/* c, s, C sig, S sig: [;]addr is optional */
static void cmd_legacy_resume(EmuGdbStub *s, const char *p, bool step,
                              bool with_sig)
{
    uint64_t gsig = 0, addr;
    if (with_sig && !parse_hex(&p, &gsig)) {
        send_packet(s, "E01");
        return;
    }
    if (with_sig) {
        expect_char(&p, ';');
    }
    if (parse_hex(&p, &addr)) {
        void *env = thread_env(s, s->c_thread);
        if (env) {
            cls_of(s)->set_pc(env, addr);
        }
    }
    /* The Hc thread (for a step with Hc 0 or -1: the one that stopped)
     * does what it is told; on 'c' the others continue, on 's' they
     * stay stopped. */
    int64_t tid = s->c_thread > 0 ? s->c_thread :
                  step ? resolve_thread(s, s->g_thread) : -1;
    EmuGdbResume a[2] = {
        { .tid = tid, .step = step, .sig = emu_gdb_signal_from_gdb((int)gsig) },
        { .tid = -1 },
    };
    resume(s, a, step || tid == -1 ? 1 : 2);
}

/* vCont;action[:tid];...  with actions c, C sig, s, S sig. */
static void cmd_vcont(EmuGdbStub *s, const char *p)
{
    GArray *acts = g_array_new(FALSE, TRUE, sizeof(EmuGdbResume));
    bool ok = true;
    while (ok && expect_char(&p, ';')) {
        EmuGdbResume a = { .tid = -1 };
        char c = *p++;
        uint64_t gsig = 0;
        if (c == 'C' || c == 'S') {
            ok = parse_hex(&p, &gsig);
            a.sig = emu_gdb_signal_from_gdb((int)gsig);
        } else if (c != 'c' && c != 's') {
            ok = false;     /* t, r: not supported (not in vCont?) */
        }
        a.step = c == 's' || c == 'S';
        if (ok && expect_char(&p, ':')) {
            ok = parse_thread_id(&p, &a.tid);
        }
        g_array_append_val(acts, a);
    }
    if (!ok || *p || !acts->len) {
        send_packet(s, "E01");
    } else {
        resume(s, (EmuGdbResume *)(void *)acts->data, acts->len);
    }
    g_array_free(acts, TRUE);
}

static void stop_target_debugging(EmuGdbStub *s)
{
    emu_jit_breakpoint_remove_all();
    s->attached = false;
    s->running = true;
    s->target.detach(s->target.opaque);
}

/* ---- queries ---- */

/* qXfer:object:read:annex:offset,length over a whole document. */
static void send_xfer_slice(EmuGdbStub *s, const char *doc, size_t doc_len,
                            const char *p)
{
    uint64_t off, len;
    if (!parse_hex(&p, &off) || !expect_char(&p, ',') || !parse_hex(&p, &len)) {
        send_packet(s, "E01");
        return;
    }
    len = MIN(len, (uint64_t)PACKET_SIZE - 16);
    if (off >= doc_len) {
        send_packet(s, "l");
        return;
    }
    size_t n = (size_t)MIN(len, doc_len - off);
    GString *out = g_string_new(off + n < doc_len ? "m" : "l");
    g_string_append_len(out, doc + off, (gssize)n);
    send_packet_len(s, out->str, out->len);
    g_string_free(out, TRUE);
}

static void cmd_xfer(EmuGdbStub *s, const char *p)
{
    if (g_str_has_prefix(p, "features:read:target.xml:") && s->xml) {
        send_xfer_slice(s, s->xml, strlen(s->xml),
                        p + strlen("features:read:target.xml:"));
    } else if (g_str_has_prefix(p, "auxv:read::") && s->target.auxv) {
        gsize n;
        const char *data = g_bytes_get_data(s->target.auxv, &n);
        send_xfer_slice(s, data, n, p + strlen("auxv:read::"));
    } else if (g_str_has_prefix(p, "exec-file:read:") && s->target.exec_file) {
        const char *q = strchr(p + strlen("exec-file:read:"), ':');
        if (!q) {
            send_packet(s, "E01");
            return;
        }
        send_xfer_slice(s, s->target.exec_file, strlen(s->target.exec_file),
                        q + 1);
    } else {
        send_packet(s, "");
    }
}

static void cmd_supported(EmuGdbStub *s)
{
    GString *r = g_string_new(NULL);
    g_string_printf(r, "PacketSize=%x;QStartNoAckMode+;vContSupported+;"
                    "swbreak+;hwbreak+;qXfer:features:read+", PACKET_SIZE);
    if (s->target.auxv) {
        g_string_append(r, ";qXfer:auxv:read+");
    }
    if (s->target.exec_file) {
        g_string_append(r, ";qXfer:exec-file:read+");
    }
    send_packet(s, r->str);
    g_string_free(r, TRUE);
}

static void cmd_thread_info(EmuGdbStub *s, bool first)
{
    if (first) {
        int64_t *tids = g_new(int64_t, MAX_THREADS);
        size_t n = list_threads(s, tids, MAX_THREADS);
        g_string_assign(s->thread_list, "m");
        for (size_t i = 0; i < n; i++) {
            g_string_append_printf(s->thread_list, "%s%" G_GINT64_MODIFIER "x",
                                   i ? "," : "", tids[i]);
        }
        g_free(tids);
        /* one reply is enough: the next qsThreadInfo ends the list */
        send_packet(s, n ? s->thread_list->str : "l");
    } else {
        send_packet(s, "l");
    }
}

static bool thread_alive(EmuGdbStub *s, int64_t tid)
{
    return tid > 0 && s->target.thread_env(s->target.opaque, tid) != NULL;
}

static void cmd_query(EmuGdbStub *s, const char *p)
{
    if (g_str_has_prefix(p, "qSupported")) {
        cmd_supported(s);
    } else if (g_str_has_prefix(p, "qXfer:")) {
        cmd_xfer(s, p + strlen("qXfer:"));
    } else if (!strcmp(p, "qfThreadInfo") || !strcmp(p, "qsThreadInfo")) {
        cmd_thread_info(s, p[1] == 'f');
    } else if (!strcmp(p, "qC")) {
        char buf[40];
        snprintf(buf, sizeof(buf), "QC%" G_GINT64_MODIFIER "x",
                 resolve_thread(s, s->g_thread));
        send_packet(s, buf);
    } else if (g_str_has_prefix(p, "qAttached")) {
        send_packet(s, "0");    /* we started it: quitting gdb kills it */
    } else if (!strcmp(p, "QStartNoAckMode")) {
        send_packet(s, "OK");
        s->no_ack = true;
    } else {
        send_packet(s, "");
    }
}

static void cmd_set_thread(EmuGdbStub *s, const char *p)
{
    char which = *p++;
    int64_t tid;
    if ((which != 'g' && which != 'c') || !parse_thread_id(&p, &tid) ||
        (tid > 0 && !thread_alive(s, tid))) {
        send_packet(s, "E01");
        return;
    }
    *(which == 'g' ? &s->g_thread : &s->c_thread) = tid;
    send_packet(s, "OK");
}

static void cmd_v(EmuGdbStub *s, const char *p)
{
    if (!strcmp(p, "vCont?")) {
        send_packet(s, "vCont;c;C;s;S");
    } else if (g_str_has_prefix(p, "vCont;")) {
        cmd_vcont(s, p + strlen("vCont"));
    } else if (g_str_has_prefix(p, "vKill")) {
        send_packet(s, "OK");
        s->target.kill(s->target.opaque);
    } else {
        send_packet(s, "");     /* vMustReplyEmpty and the rest */
    }
}

/* ---- dispatch ---- */

static void handle_packet(EmuGdbStub *s, const char *p, size_t len)
{
    int64_t tid;
    switch (p[0]) {
    case '?':
        send_packet(s, s->stop_reply->str);
        break;
    case 'g': cmd_read_registers(s); break;
    case 'G': cmd_write_registers(s, p + 1); break;
    case 'p': cmd_read_register(s, p + 1); break;
    case 'P': cmd_write_register(s, p + 1); break;
    case 'm': cmd_read_memory(s, p + 1); break;
    case 'M': cmd_write_memory(s, p + 1, len - 1, false); break;
    case 'X': cmd_write_memory(s, p + 1, len - 1, true); break;
    case 'Z': cmd_breakpoint(s, p + 1, true); break;
    case 'z': cmd_breakpoint(s, p + 1, false); break;
    case 'c': case 's': case 'C': case 'S':
        cmd_legacy_resume(s, p + 1, p[0] == 's' || p[0] == 'S',
                          p[0] == 'C' || p[0] == 'S');
        break;
    case 'H': cmd_set_thread(s, p + 1); break;
    case 'T':
        p++;
        send_packet(s, parse_thread_id(&p, &tid) && thread_alive(s, tid) ?
                       "OK" : "E01");
        break;
    case 'q': case 'Q': cmd_query(s, p); break;
    case 'v': cmd_v(s, p); break;
    case 'D':
        send_packet(s, "OK");
        stop_target_debugging(s);
        break;
    case 'k':
        s->target.kill(s->target.opaque);
        break;
    default:
        send_packet(s, "");
        break;
    }
}

static void packet_complete(EmuGdbStub *s)
{
    bool good = s->sum == s->their_sum;
    if (!s->no_ack) {
        send_raw(s, good ? "+" : "-", 1);
    }
    if (good) {
        handle_packet(s, s->packet->str, s->packet->len);
    }
}

static void input_byte(EmuGdbStub *s, uint8_t c)
{
    switch (s->state) {
    case WAIT_START:
        if (c == '$') {
            g_string_truncate(s->packet, 0);
            s->sum = 0;
            s->state = IN_DATA;
        } else if (c == 0x03 && s->attached) {
            s->target.interrupt(s->target.opaque);
        } else if (c == '-' && !s->no_ack && s->last_sent->len) {
            send_raw(s, s->last_sent->str, s->last_sent->len);
        }
        break;      /* '+' and noise */
    case IN_DATA:
        if (c == '#') {
            s->state = CSUM1;
            break;
        }
        s->sum += c;
        if (c == '}') {
            s->state = IN_ESCAPE;
        } else {
            g_string_append_c(s->packet, (char)c);
        }
        break;
    case IN_ESCAPE:
        s->sum += c;
        g_string_append_c(s->packet, (char)(c ^ 0x20));
        s->state = IN_DATA;
        break;
    case CSUM1:
        s->their_sum = (uint8_t)(MAX(hexval((char)c), 0) << 4);
        s->state = CSUM2;
        break;
    case CSUM2:
        s->their_sum |= (uint8_t)MAX(hexval((char)c), 0);
        s->state = WAIT_START;
        packet_complete(s);
        break;
    }
}

/* ---- entry points ---- */

EMU_API EmuGdbStub *emu_gdb_new(const EmuGdbTarget *target)
{
    EmuGdbStub *s = g_new0(EmuGdbStub, 1);
    g_rec_mutex_init(&s->lock);
    memcpy(&s->target, target, MIN((size_t)target->size, sizeof(s->target)));
    s->xml = emu_gdb_target_xml(target->cls, target->linux_user);
    s->num_regs = emu_gdb_num_regs(target->cls, target->linux_user);
    s->packet = g_string_new(NULL);
    s->last_sent = g_string_new(NULL);
    s->stop_reply = g_string_new("S05");
    s->thread_list = g_string_new(NULL);
    s->attached = true;
    return s;
}

EMU_API void emu_gdb_free(EmuGdbStub *s)
{
    if (!s) {
        return;
    }
    g_free(s->xml);
    g_string_free(s->packet, TRUE);
    g_string_free(s->last_sent, TRUE);
    g_string_free(s->stop_reply, TRUE);
    g_string_free(s->thread_list, TRUE);
    g_rec_mutex_clear(&s->lock);
    g_free(s);
}

EMU_API void emu_gdb_set_writer(EmuGdbStub *s, EmuGdbWrite write,
                                void *opaque)
{
    g_rec_mutex_lock(&s->lock);
    s->write = write;
    s->write_opaque = opaque;
    g_rec_mutex_unlock(&s->lock);
}

EMU_API void emu_gdb_input(EmuGdbStub *s, const void *buf, size_t len)
{
    g_rec_mutex_lock(&s->lock);
    for (size_t i = 0; i < len; i++) {
        input_byte(s, ((const uint8_t *)buf)[i]);
    }
    g_rec_mutex_unlock(&s->lock);
}

EMU_API void emu_gdb_disconnected(EmuGdbStub *s)
{
    g_rec_mutex_lock(&s->lock);
    s->write = NULL;
    if (s->attached) {
        stop_target_debugging(s);
    }
    g_rec_mutex_unlock(&s->lock);
}

EMU_API bool emu_gdb_attached(EmuGdbStub *s)
{
    g_rec_mutex_lock(&s->lock);
    bool a = s->attached;
    g_rec_mutex_unlock(&s->lock);
    return a;
}

static void stopped(EmuGdbStub *s, int64_t tid, int sig, const char *why)
{
    g_rec_mutex_lock(&s->lock);
    g_string_printf(s->stop_reply, "T%02xthread:%" G_GINT64_MODIFIER "x;%s",
                    emu_gdb_signal_to_gdb(sig), tid, why);
    s->g_thread = s->c_thread = tid;
    /* The initial stop is only asked for with '?'. */
    if (s->running) {
        s->running = false;
        send_packet(s, s->stop_reply->str);
    }
    g_rec_mutex_unlock(&s->lock);
}

EMU_API void emu_gdb_report_stop(EmuGdbStub *s, int64_t tid, int sig,
                                 EmuGdbStopReason reason)
{
    stopped(s, tid, sig, reason == EMU_GDB_STOP_SWBREAK ? "swbreak:;" : "");
}

EMU_API void emu_gdb_report_watch(EmuGdbStub *s, int64_t tid, uint64_t addr)
{
    char why[40];
    snprintf(why, sizeof(why), "watch:%" G_GINT64_MODIFIER "x;", addr);
    stopped(s, tid, SIGTRAP, why);
}

static void report_end(EmuGdbStub *s, char kind, int value)
{
    g_rec_mutex_lock(&s->lock);
    if (s->attached) {
        char buf[8];
        snprintf(buf, sizeof(buf), "%c%02x", kind, value & 0xff);
        send_packet(s, buf);
        s->attached = false;
    }
    g_rec_mutex_unlock(&s->lock);
}

EMU_API void emu_gdb_report_exit(EmuGdbStub *s, int status)
{
    report_end(s, 'W', status);
}

EMU_API void emu_gdb_report_killed(EmuGdbStub *s, int sig)
{
    report_end(s, 'X', emu_gdb_signal_to_gdb(sig));
}
