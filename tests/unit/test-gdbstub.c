/*
 * Unit tests of the GDB stub's protocol layer (core/gdbstub/): the test
 * plays gdb, byte for byte as the GDB manual's "Remote Protocol" appendix
 * describes it, against a fake target (one x86_64 vCPU whose registers
 * and 256 bytes of memory at 0x1000 live in this file).  What real gdb
 * makes of it is tests/functional/user/gdb.sh.
 */
#include <config.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "gdbstub/gdbstub.h"

#define MEM_BASE 0x1000u
#define TID 0x2a

/* ---- the fake target ---- */

static struct {
    uint64_t regs[128];
    uint8_t fp[512];
    uint8_t mem[256];
    EmuGdbResume resumed[4];
    size_t n_resumed;
    int interrupts, kills, detaches;
    uint64_t watch_addr, watch_len;
    GString *sent;              /* everything the stub wrote */
} fake;

static uint64_t fake_get_reg(const void *env, int reg)
{
    return fake.regs[reg];
}

static void fake_set_reg(void *env, int reg, uint64_t v)
{
    fake.regs[reg] = v;
}

static uint64_t fake_get_pc(const void *env)
{
    return fake.regs[EMU_X86_RIP];
}

static void fake_set_pc(void *env, uint64_t pc)
{
    fake.regs[EMU_X86_RIP] = pc;
}

static void fake_fp_save(const void *env, void *buf)
{
    memcpy(buf, fake.fp, 512);
}

static void fake_fp_restore(void *env, const void *buf)
{
    memcpy(fake.fp, buf, 512);
}

static const EmuCpuClass fake_class = {
    .size = sizeof(EmuCpuClass),
    .arch = "x86_64",
    .get_pc = fake_get_pc,
    .set_pc = fake_set_pc,
    .get_reg = fake_get_reg,
    .set_reg = fake_set_reg,
    .fp_state_size = 512,
    .fp_save = fake_fp_save,
    .fp_restore = fake_fp_restore,
};

static size_t fake_list_threads(void *o, int64_t *tids, size_t max)
{
    tids[0] = TID;
    return 1;
}

static void *fake_thread_env(void *o, int64_t tid)
{
    return tid == TID ? &fake : NULL;
}

static bool in_mem(uint64_t addr, size_t len)
{
    return addr >= MEM_BASE && addr + len <= MEM_BASE + sizeof(fake.mem);
}

static bool fake_read_mem(void *o, uint64_t addr, void *buf, size_t len)
{
    if (!in_mem(addr, len)) {
        return false;
    }
    memcpy(buf, fake.mem + (addr - MEM_BASE), len);
    return true;
}

static bool fake_write_mem(void *o, uint64_t addr, const void *buf, size_t len)
{
    if (!in_mem(addr, len)) {
        return false;
    }
    memcpy(fake.mem + (addr - MEM_BASE), buf, len);
    return true;
}

static void fake_resume(void *o, const EmuGdbResume *a, size_t n)
{
    fake.n_resumed = MIN(n, G_N_ELEMENTS(fake.resumed));
    memcpy(fake.resumed, a, fake.n_resumed * sizeof(*a));
}

static void fake_interrupt(void *o) { fake.interrupts++; }
static void fake_kill(void *o) { fake.kills++; }
static void fake_detach(void *o) { fake.detaches++; }

static bool fake_watch(void *o, uint64_t addr, uint64_t len, bool insert)
{
    fake.watch_addr = insert ? addr : 0;
    fake.watch_len = insert ? len : 0;
    return true;
}

static void fake_write(void *o, const void *buf, size_t len)
{
    g_string_append_len(fake.sent, buf, (gssize)len);
}

static EmuGdbStub *new_stub(void)
{
    memset(&fake, 0, sizeof(fake));
    fake.sent = g_string_new(NULL);
    for (int i = 0; i < 24; i++) {
        fake.regs[i] = 0x1111111111111111ull * (uint64_t)(i % 15 + 1);
    }
    EmuGdbTarget t = {
        .size = sizeof(t), .cls = &fake_class, .linux_user = true,
        .list_threads = fake_list_threads, .thread_env = fake_thread_env,
        .read_mem = fake_read_mem, .write_mem = fake_write_mem,
        .resume = fake_resume, .interrupt = fake_interrupt,
        .kill = fake_kill, .detach = fake_detach, .watch = fake_watch,
        .exec_file = "/bin/prog",
    };
    EmuGdbStub *s = emu_gdb_new(&t);
    emu_gdb_set_writer(s, fake_write, NULL);
    emu_gdb_report_stop(s, TID, SIGTRAP, EMU_GDB_STOP_SIGNAL);
    return s;
}

static void free_stub(EmuGdbStub *s)
{
    emu_gdb_free(s);
    g_string_free(fake.sent, TRUE);
}

/* ---- the gdb side ---- */

static void send_bytes(EmuGdbStub *s, const char *bytes, size_t len)
{
    g_string_truncate(fake.sent, 0);
    emu_gdb_input(s, bytes, len);
}

/* Sends data (already escaped where needed) framed as $data#cs. */
static void send_cmd_len(EmuGdbStub *s, const char *data, size_t len)
{
    unsigned sum = 0;
    for (size_t i = 0; i < len; i++) {
        sum += (uint8_t)data[i];
    }
    GString *p = g_string_new("$");
    g_string_append_len(p, data, (gssize)len);
    g_string_append_printf(p, "#%02x", sum & 0xff);
    send_bytes(s, p->str, p->len);
    g_string_free(p, TRUE);
}

static void send_cmd(EmuGdbStub *s, const char *data)
{
    send_cmd_len(s, data, strlen(data));
}

/* The one reply packet in what the stub sent (after an optional '+'),
 * checksum verified and escapes undone.  Caller frees. */
static char *reply(void)
{
    const char *p = fake.sent->str;
    if (*p == '+') {
        p++;
    }
    assert_int_equal(*p, '$');
    const char *end = strrchr(p, '#');
    assert_non_null(end);
    assert_int_equal(strlen(end), 3);
    unsigned sum = 0, theirs;
    GString *data = g_string_new(NULL);
    for (const char *q = p + 1; q < end; q++) {
        sum += (uint8_t)*q;
        if (*q == '}') {
            sum += (uint8_t)q[1];
            g_string_append_c(data, (char)(*++q ^ 0x20));
        } else {
            g_string_append_c(data, *q);
        }
    }
    assert_int_equal(sscanf(end + 1, "%2x", &theirs), 1);
    assert_int_equal(sum & 0xff, theirs);
    return g_string_free(data, FALSE);
}

static void expect_reply(EmuGdbStub *s, const char *cmd, const char *want)
{
    send_cmd(s, cmd);
    char *r = reply();
    assert_string_equal(r, want);
    g_free(r);
}

/* ---- tests ---- */

static void test_framing_and_acks(void **state)
{
    EmuGdbStub *s = new_stub();
    send_cmd(s, "?");
    assert_int_equal(fake.sent->str[0], '+');
    char *r = reply();
    assert_string_equal(r, "T05thread:2a;");
    g_free(r);

    /* a bad checksum is refused and not acted on */
    send_bytes(s, "$?#00", 5);
    assert_string_equal(fake.sent->str, "-");
    /* '-' from gdb: the last reply again */
    send_bytes(s, "-", 1);
    r = reply();
    assert_string_equal(r, "T05thread:2a;");
    g_free(r);

    /* packets split across reads, noise and '+' between them */
    send_bytes(s, "+x$", 3);
    assert_int_equal(fake.sent->len, 0);
    send_bytes(s, "?#3f", 4);
    r = reply();
    assert_string_equal(r, "T05thread:2a;");
    g_free(r);

    expect_reply(s, "QStartNoAckMode", "OK");
    send_cmd(s, "?");
    assert_int_equal(fake.sent->str[0], '$');   /* no '+' any more */
    free_stub(s);
}

static void test_supported_and_queries(void **state)
{
    EmuGdbStub *s = new_stub();
    send_cmd(s, "qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
    char *r = reply();
    assert_non_null(strstr(r, "PacketSize="));
    assert_non_null(strstr(r, "qXfer:features:read+"));
    assert_non_null(strstr(r, "qXfer:exec-file:read+"));
    assert_non_null(strstr(r, "swbreak+"));
    assert_non_null(strstr(r, "vContSupported+"));
    assert_null(strstr(r, "qXfer:auxv:read+"));    /* the fake has none */
    g_free(r);
    expect_reply(s, "vMustReplyEmpty", "");
    expect_reply(s, "qC", "QC2a");
    expect_reply(s, "qfThreadInfo", "m2a");
    expect_reply(s, "qsThreadInfo", "l");
    expect_reply(s, "T2a", "OK");
    expect_reply(s, "T2b", "E01");
    expect_reply(s, "Hg2b", "E01");
    expect_reply(s, "Hg0", "OK");
    expect_reply(s, "qAttached", "0");
    expect_reply(s, "vCont?", "vCont;c;C;s;S");
    expect_reply(s, "qXfer:exec-file:read::0,100", "l/bin/prog");
    expect_reply(s, "qXfer:exec-file:read::5,3", "mpro");
    expect_reply(s, "qNoSuchThing", "");
    free_stub(s);
}

static void test_target_xml(void **state)
{
    EmuGdbStub *s = new_stub();
    GString *xml = g_string_new(NULL);
    for (;;) {      /* in small pieces, as gdb may ask */
        char cmd[64];
        snprintf(cmd, sizeof(cmd), "qXfer:features:read:target.xml:%zx,200",
                 xml->len);
        send_cmd(s, cmd);
        char *r = reply();
        assert_true(r[0] == 'm' || r[0] == 'l');
        g_string_append(xml, r + 1);
        bool last = r[0] == 'l';
        g_free(r);
        if (last) {
            break;
        }
    }
    assert_true(g_str_has_prefix(xml->str, "<?xml"));
    assert_true(g_str_has_suffix(xml->str, "</target>"));
    assert_non_null(strstr(xml->str, "<architecture>i386:x86-64</architecture>"));
    assert_non_null(strstr(xml->str, "org.gnu.gdb.i386.core"));
    assert_non_null(strstr(xml->str, "org.gnu.gdb.i386.sse"));
    assert_non_null(strstr(xml->str, "org.gnu.gdb.i386.linux"));
    assert_non_null(strstr(xml->str, "name=\"st7\" bitsize=\"80\""));
    assert_non_null(strstr(xml->str, "name=\"xmm15\" bitsize=\"128\""));
    g_string_free(xml, TRUE);
    free_stub(s);
}

/* Hex of a little-endian value of n bytes. */
static char *le_hex(uint64_t v, unsigned n)
{
    GString *h = g_string_new(NULL);
    for (unsigned i = 0; i < n; i++) {
        g_string_append_printf(h, "%02x", (unsigned)(v >> (8 * i)) & 0xff);
    }
    return g_string_free(h, FALSE);
}

static void test_registers(void **state)
{
    EmuGdbStub *s = new_stub();
    /* rax..r15 (16 x 8), rip 8, eflags 4, 6 segments x 4, st0-7 (8 x 10),
     * 8 x87 control x 4, xmm0-15 (16 x 16), mxcsr 4, fs/gs_base 2 x 8,
     * orig_rax 8 */
    size_t size = 128 + 8 + 4 + 24 + 80 + 32 + 256 + 4 + 16 + 8;
    send_cmd(s, "g");
    char *r = reply();
    assert_int_equal(strlen(r), 2 * size);
    char *rbx = le_hex(fake.regs[EMU_X86_RBX], 8);
    assert_memory_equal(r + 16, rbx, 16);
    g_free(rbx);
    g_free(r);

    /* rip is register 16; orig_rax reads -1 */
    char *rip = le_hex(fake.regs[EMU_X86_RIP], 8);
    expect_reply(s, "p10", rip);
    g_free(rip);
    expect_reply(s, "p3b", "ffffffffffffffff");
    expect_reply(s, "P10=efcdab8967452301", "OK");
    assert_int_equal(fake.regs[EMU_X86_RIP], 0x0123456789abcdefull);
    expect_reply(s, "p10", "efcdab8967452301");
    expect_reply(s, "P10=1234", "E01");     /* wrong size */
    expect_reply(s, "p99", "E01");

    /* xmm1 (register 41) and mxcsr (56) live in the FXSAVE image */
    expect_reply(s, "P29=000102030405060708090a0b0c0d0e0f", "OK");
    for (int i = 0; i < 16; i++) {
        assert_int_equal(fake.fp[160 + 16 + i], i);
    }
    expect_reply(s, "P38=801f0000", "OK");
    assert_int_equal(fake.fp[24] | fake.fp[25] << 8, 0x1f80);
    /* ftag (34): all empty in an empty image; full word <-> abridged */
    expect_reply(s, "p22", "ffff0000");
    expect_reply(s, "P22=fcff0000", "OK");  /* physical reg 0 valid */
    assert_int_equal(fake.fp[4], 1);
    free_stub(s);
}

static void test_memory(void **state)
{
    EmuGdbStub *s = new_stub();
    for (int i = 0; i < 256; i++) {
        fake.mem[i] = (uint8_t)i;
    }
    expect_reply(s, "m1010,4", "10111213");
    expect_reply(s, "m10fe,4", "feff");         /* stops at the end */
    expect_reply(s, "m2000,4", "E14");
    expect_reply(s, "M1000,3:aabbcc", "OK");
    assert_int_equal(fake.mem[2], 0xcc);
    expect_reply(s, "M1000,3:aabb", "E01");
    expect_reply(s, "M2000,1:00", "E14");
    /* X: binary, with '#', '$', '}' and '*' escaped */
    const char x[] = "X1020,5:}\x03}\x04}]}\x0a" "A";
    send_cmd_len(s, x, sizeof(x) - 1);
    char *r = reply();
    assert_string_equal(r, "OK");
    g_free(r);
    assert_memory_equal(fake.mem + 0x20, "#$}*A", 5);
    expect_reply(s, "X1000,0:", "OK");
    free_stub(s);
}

static void test_resume_and_stop(void **state)
{
    EmuGdbStub *s = new_stub();
    expect_reply(s, "Z0,401000,1", "OK");
    expect_reply(s, "z0,401000,1", "OK");
    expect_reply(s, "Z2,1010,4", "OK");         /* write watchpoint */
    assert_int_equal(fake.watch_addr, 0x1010);
    assert_int_equal(fake.watch_len, 4);
    expect_reply(s, "z2,1010,4", "OK");
    assert_int_equal(fake.watch_len, 0);
    expect_reply(s, "Z3,1000,4", "");           /* read: not supported */
    expect_reply(s, "Z4,1000,4", "");

    send_cmd(s, "vCont;s:2a;c");
    assert_string_equal(fake.sent->str, "+");   /* no reply until a stop */
    assert_int_equal(fake.n_resumed, 2);
    assert_int_equal(fake.resumed[0].tid, TID);
    assert_true(fake.resumed[0].step);
    assert_int_equal(fake.resumed[1].tid, -1);
    assert_false(fake.resumed[1].step);

    /* Ctrl-C while running, then the stop the target reports */
    send_bytes(s, "\x03", 1);
    assert_int_equal(fake.interrupts, 1);
    g_string_truncate(fake.sent, 0);
    emu_gdb_report_stop(s, TID, SIGINT, EMU_GDB_STOP_SIGNAL);
    char *r = reply();
    assert_string_equal(r, "T02thread:2a;");
    g_free(r);

    /* C with gdb's SIGUSR1 (30) resumes with the host's */
    send_cmd(s, "C1e");
    assert_int_equal(fake.resumed[0].sig, SIGUSR1);
    g_string_truncate(fake.sent, 0);
    emu_gdb_report_stop(s, TID, SIGTRAP, EMU_GDB_STOP_SWBREAK);
    r = reply();
    assert_string_equal(r, "T05thread:2a;swbreak:;");
    g_free(r);

    /* legacy s: only the thread that stopped steps */
    send_cmd(s, "s");
    assert_int_equal(fake.n_resumed, 1);
    assert_int_equal(fake.resumed[0].tid, TID);
    assert_true(fake.resumed[0].step);
    g_string_truncate(fake.sent, 0);
    emu_gdb_report_watch(s, TID, 0x1010);
    r = reply();
    assert_string_equal(r, "T05thread:2a;watch:1010;");
    g_free(r);

    send_cmd(s, "c");
    g_string_truncate(fake.sent, 0);
    emu_gdb_report_exit(s, 3);
    r = reply();
    assert_string_equal(r, "W03");
    g_free(r);
    assert_false(emu_gdb_attached(s));
    free_stub(s);
}

static void test_detach_and_kill(void **state)
{
    EmuGdbStub *s = new_stub();
    expect_reply(s, "D", "OK");
    assert_int_equal(fake.detaches, 1);
    assert_false(emu_gdb_attached(s));
    free_stub(s);

    s = new_stub();
    send_cmd(s, "k");
    assert_int_equal(fake.kills, 1);
    emu_gdb_disconnected(s);
    assert_int_equal(fake.detaches, 1);
    free_stub(s);
}

static void test_signal_numbers(void **state)
{
    assert_int_equal(emu_gdb_signal_to_gdb(SIGSEGV), 11);
    assert_int_equal(emu_gdb_signal_to_gdb(SIGUSR1), 30);
    assert_int_equal(emu_gdb_signal_to_gdb(SIGCHLD), 20);
    assert_int_equal(emu_gdb_signal_to_gdb(SIGBUS), 10);
    assert_int_equal(emu_gdb_signal_from_gdb(10), SIGBUS);
    for (int sig = 1; sig < 65; sig++) {
        assert_int_equal(emu_gdb_signal_from_gdb(emu_gdb_signal_to_gdb(sig)),
                         sig);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_framing_and_acks),
        cmocka_unit_test(test_supported_and_queries),
        cmocka_unit_test(test_target_xml),
        cmocka_unit_test(test_registers),
        cmocka_unit_test(test_memory),
        cmocka_unit_test(test_resume_and_stop),
        cmocka_unit_test(test_detach_and_kill),
        cmocka_unit_test(test_signal_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
