/*
 * emu-x86_64 / emu-i386: run one Linux program of another (or the same)
 * architecture on this host.  The program name picks the guest
 * architecture; options follow QEMU's user-mode emulators, and each can
 * also come from an EMU_* environment variable (EMU_STRACE, EMU_LD_PREFIX,
 * EMU_CPU, EMU_STACK_SIZE, EMU_LOG, EMU_LOG_FILENAME, EMU_JIT_BACKEND, ...)
 * or, for those QEMU documents, its QEMU_* name (EMU_* wins).
 *
 * The CPU comes from the cpu-x86 plugin through the object model
 * (emu_type_find("x86_64-cpu")).
 */
#include "config.h"
#include "user.h"
#include <emu/object.h>
#include <emu/runtime.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

UserConfig user_cfg;
uint64_t guest_base;

static int usage(FILE *out, const char *prog)
{
    fprintf(out,
            "usage: %s [options] program [arguments...]\n"
            "Linux CPU emulator (user mode) for %s guests\n\n"
            "Options and their environment variables:\n"
            "-h                         print this help\n"
            "-L path       EMU_LD_PREFIX  directory of the guest's ELF loader and libraries\n"
            "-s size       EMU_STACK_SIZE guest stack size in bytes (k/M suffixes)\n"
            "-cpu model    EMU_CPU        CPU model (-cpu help for a list)\n"
            "-E var=value  EMU_SET_ENV    set a variable in the guest environment\n"
            "-U var        EMU_UNSET_ENV  remove a variable from the guest environment\n"
            "-0 argv0      EMU_ARGV0      argv[0] for the program\n"
            "-B address    EMU_GUEST_BASE guest base address (only 0)\n"
            "-R size       EMU_RESERVED_VA guest address space size (16M..4G for i386,\n"
            "                             ..128T for x86_64): guest mappings stay below\n"
            "-d item[,...] EMU_LOG        log items (-d help for a list)\n"
            "-D logfile    EMU_LOG_FILENAME write logs to logfile (default stderr)\n"
            "-p pagesize   EMU_PAGESIZE   guest page size (only 4096)\n"
            "-g port       EMU_GDB        wait for gdb on a TCP port ([host:]port)\n"
            "-singlestep   EMU_SINGLESTEP one instruction per translated block\n"
            "-perfmap      EMU_PERFMAP    write /tmp/perf-PID.map for perf (host code of each block)\n"
            "-jit backend  EMU_JIT_BACKEND x86_64 (default on x86_64 hosts) or interp\n"
            "-strace       EMU_STRACE     log system calls\n"
            "              EMU_JIT_OPTIMIZE=0 turns the IR optimizer off\n"
            "-version      EMU_VERSION    print the version\n"
            "The QEMU_* names of these variables work too (not EMU_JIT_BACKEND).\n"
            "-E and -U take several variables separated by commas.\n",
            prog, user_cfg.cls ? user_cfg.cls->arch : "x86");
    return out == stderr ? 1 : 0;
}

static bool parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    uint64_t v = g_ascii_strtoull(s, &end, 0);
    if (errno || end == s) {
        return false;
    }
    switch (*end) {
    case 'k': case 'K': v <<= 10; end++; break;
    case 'm': case 'M': v <<= 20; end++; break;
    case 'g': case 'G': v <<= 30; end++; break;
    case 't': case 'T': v <<= 40; end++; break;
    default: break;
    }
    *out = v;
    return *end == 0;
}

typedef struct Options {
    const char *cpu_model;
    const char *log_items, *log_file, *backend;
    const char *argv0;
    const char *gdb;
    GPtrArray *set_env, *unset_env;
    bool singlestep, perfmap;
} Options;

static void list_cpus(void)
{
    printf("Available CPUs:\n");
    for (const EmuCpuModel *m = user_cfg.cls->models; m->name; m++) {
        printf("  %-10s %s\n", m->name, m->description);
    }
}

/* Applies one option; returns how many argv entries it used, 0 on error,
 * -1 to exit successfully. */
static int apply_option(Options *o, const char *name, const char *arg,
                        const char *prog)
{
#define NEEDS_ARG() do { if (!arg) { \
        fprintf(stderr, "%s: option -%s needs an argument\n", prog, name); \
        return 0; } } while (0)
    if (!strcmp(name, "h") || !strcmp(name, "help")) {
        usage(stdout, prog);
        return -1;
    }
    if (!strcmp(name, "version")) {
        printf("%s version %s\n", prog, PACKAGE_VERSION);
        return -1;
    }
    if (!strcmp(name, "strace")) {
        user_cfg.strace = true;
        return 1;
    }
    if (!strcmp(name, "singlestep")) {
        o->singlestep = true;
        return 1;
    }
    if (!strcmp(name, "perfmap")) {
        o->perfmap = true;
        return 1;
    }
    NEEDS_ARG();
    if (!strcmp(name, "L")) {
        user_cfg.ld_prefix = g_strdup(arg);
    } else if (!strcmp(name, "s")) {
        if (!parse_size(arg, &user_cfg.stack_size) || user_cfg.stack_size < 65536) {
            fprintf(stderr, "%s: invalid stack size '%s'\n", prog, arg);
            return 0;
        }
    } else if (!strcmp(name, "cpu")) {
        if (!strcmp(arg, "help") || !strcmp(arg, "?")) {
            list_cpus();
            return -1;
        }
        o->cpu_model = arg;
    } else if (!strcmp(name, "E") || !strcmp(name, "U")) {
        char **vars = g_strsplit(arg, ",", -1);     /* as QEMU's -E a=1,b=2 */
        for (char **v = vars; *v; v++) {
            g_ptr_array_add(name[0] == 'E' ? o->set_env : o->unset_env, *v);
        }
        g_free(vars);
    } else if (!strcmp(name, "0")) {
        o->argv0 = arg;
    } else if (!strcmp(name, "B")) {
        uint64_t b;
        if (!parse_size(arg, &b) || b) {
            fprintf(stderr, "%s: -B: guests run with guest base 0\n", prog);
            return 0;
        }
    } else if (!strcmp(name, "R")) {
        uint64_t r;
        if (!parse_size(arg, &r)) {
            fprintf(stderr, "%s: -R: invalid size '%s'\n", prog, arg);
            return 0;
        }
        uint64_t max = user_cfg.is64 ? GUEST_SPACE_MAX : 4ull << 30;
        if (r < (16u << 20) || r > max) {
            fprintf(stderr, "%s: -R: size must be between 16M and %s\n", prog,
                    user_cfg.is64 ? "128T" : "4G");
            return 0;
        }
        user_cfg.reserved_va = MIN(r, user_cfg.is64 ? r : GUEST_LOW_TOP) &
                               ~(GUEST_PAGE - 1);
    } else if (!strcmp(name, "d")) {
        if (!strcmp(arg, "help") || !strcmp(arg, "?")) {
            char *h = emu_log_items_help();
            printf("%s", h);
            g_free(h);
            return -1;
        }
        o->log_items = arg;
    } else if (!strcmp(name, "D")) {
        o->log_file = arg;
    } else if (!strcmp(name, "p")) {
        if (strcmp(arg, "4096") != 0) {
            fprintf(stderr, "%s: only 4096-byte pages are supported\n", prog);
            return 0;
        }
    } else if (!strcmp(name, "g")) {
        o->gdb = arg;
    } else if (!strcmp(name, "jit")) {
        o->backend = arg;
    } else {
        fprintf(stderr, "%s: unknown option '-%s' (try -h)\n", prog, name);
        return 0;
    }
    return 2;
#undef NEEDS_ARG
}

/* Options from the environment: EMU_NAME, or QEMU_NAME where QEMU's
 * user-mode emulators document that variable.  A flag option is on when
 * its variable is set at all. */
static const struct {
    const char *name, *opt;
    bool qemu, flag;
} env_options[] = {
    { "LD_PREFIX", "L", true, false }, { "STACK_SIZE", "s", true, false },
    { "CPU", "cpu", true, false }, { "SET_ENV", "E", true, false },
    { "UNSET_ENV", "U", true, false }, { "ARGV0", "0", true, false },
    { "GUEST_BASE", "B", true, false }, { "RESERVED_VA", "R", true, false },
    { "LOG", "d", true, false }, { "LOG_FILENAME", "D", true, false },
    { "PAGESIZE", "p", true, false }, { "GDB", "g", true, false },
    { "STRACE", "strace", true, true }, { "SINGLESTEP", "singlestep", true, true },
    { "VERSION", "version", true, true }, { "PERFMAP", "perfmap", true, true },
    { "JIT_BACKEND", "jit", false, false },
};

static const char *env_option(size_t i)
{
    char var[64];
    g_snprintf(var, sizeof(var), "EMU_%s", env_options[i].name);
    const char *v = getenv(var);
    if (!v && env_options[i].qemu) {
        g_snprintf(var, sizeof(var), "QEMU_%s", env_options[i].name);
        v = getenv(var);
    }
    return v;
}

/* false: stop, with *status the exit status */
static bool apply_env_options(Options *o, const char *prog, int *status)
{
    for (size_t i = 0; i < G_N_ELEMENTS(env_options); i++) {
        const char *v = env_option(i);
        if (!v) {
            continue;
        }
        int used = apply_option(o, env_options[i].opt,
                                env_options[i].flag ? NULL : v, prog);
        if (used <= 0) {
            *status = used < 0 ? 0 : 1;
            return false;
        }
    }
    /* programs the guest runs must not wait for gdb */
    g_unsetenv("EMU_GDB");
    g_unsetenv("QEMU_GDB");
    return true;
}

/* Returns the index of the program in argv, 0 on error, -1 to exit 0. */
static int parse_args(int argc, char **argv, Options *o, GPtrArray *child_args)
{
    const char *prog = g_path_get_basename(argv[0]);
    int i = 1;
    while (i < argc && argv[i][0] == '-' && argv[i][1]) {
        const char *name = argv[i] + 1;
        if (*name == '-') {
            name++;
            if (!*name) {
                i++;
                break;
            }
        }
        int used = apply_option(o, name, i + 1 < argc ? argv[i + 1] : NULL, prog);
        if (used <= 0) {
            return used;
        }
        /* pass the options that must survive exec */
        if (strcmp(name, "0") && strcmp(name, "E") && strcmp(name, "U") &&
            strcmp(name, "g")) {
            for (int k = 0; k < used; k++) {
                g_ptr_array_add(child_args, argv[i + k]);
            }
        }
        i += used;
    }
    if (i >= argc) {
        usage(stderr, prog);
        return 0;
    }
    return i;
}

static char **guest_environment(Options *o)
{
    char **env = g_get_environ();
    for (guint i = 0; i < o->set_env->len; i++) {
        char *kv = g_ptr_array_index(o->set_env, i), *eq = strchr(kv, '=');
        if (eq) {
            char *k = g_strndup(kv, (gsize)(eq - kv));
            env = g_environ_setenv(env, k, eq + 1, TRUE);
            g_free(k);
        }
    }
    for (guint i = 0; i < o->unset_env->len; i++) {
        env = g_environ_unsetenv(env, g_ptr_array_index(o->unset_env, i));
    }
    return env;
}

static const EmuCpuClass *find_cpu_class(bool is64, GError **errp)
{
    const EmuType *t = emu_type_find(is64 ? "x86_64-cpu" : "i386-cpu", errp);
    if (!t) {
        return NULL;
    }
    const EmuCpuClass *cls = emu_type_class_data(t);
    if (!cls || cls->size < offsetof(EmuCpuClass, copy_state)) {
        g_set_error(errp, EMU_ERROR, 0, "%s: not a usable CPU class",
                    emu_type_name(t));
        return NULL;
    }
    return cls;
}

EmuJitCpu *user_cpu_clone(EmuJitCpu *parent)
{
    GError *err = NULL;
    EmuJitCpu *cpu = emu_jit_cpu_new(user_cfg.cls, user_cfg.cpu_model, &err);
    if (!cpu) {
        g_error_free(err);
        return NULL;
    }
    user_cfg.cls->copy_state(emu_jit_cpu_env(cpu), emu_jit_cpu_env(parent));
    return cpu;
}

static void do_syscall(EmuJitCpu *cpu, uint64_t kind)
{
    const EmuCpuClass *cls = user_cfg.cls;
    void *env = emu_jit_cpu_env(cpu);
    int64_t nr = (int64_t)cls->get_reg(env, EMU_X86_RAX);
    uint64_t a[6] = {
        cls->get_reg(env, EMU_X86_RDI), cls->get_reg(env, EMU_X86_RSI),
        cls->get_reg(env, EMU_X86_RDX), cls->get_reg(env, EMU_X86_R10),
        cls->get_reg(env, EMU_X86_R8), cls->get_reg(env, EMU_X86_R9),
    };
    (void)kind;
    if (!user_cfg.is64) {
        user_syscall_i386(cpu);
        return;
    }
    if (user_cfg.strace) {
        emu_log("%d %s(0x%" G_GINT64_MODIFIER "x,0x%" G_GINT64_MODIFIER
                "x,0x%" G_GINT64_MODIFIER "x,0x%" G_GINT64_MODIFIER "x,0x%"
                G_GINT64_MODIFIER "x,0x%" G_GINT64_MODIFIER "x)",
                getpid(), user_syscall_name(nr), a[0], a[1], a[2], a[3], a[4], a[5]);
    }
    uint64_t next = cls->get_reg(env, EMU_X86_RIP);
    int64_t r = user_syscall(cpu, nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    if (user_cfg.strace) {
        if (r < 0 && r > -4096) {
            emu_log(" = -1 errno=%d (%s)\n", (int)-r, g_strerror((int)-r));
        } else {
            emu_log(" = %" G_GINT64_FORMAT "\n", r);
        }
    }
    if (nr == 15) {     /* rt_sigreturn restored every register itself */
        return;
    }
    cls->set_reg(env, EMU_X86_RAX, (uint64_t)r);
    cls->set_reg(env, EMU_X86_RCX, next);
    cls->set_reg(env, EMU_X86_R11, cls->get_reg(env, EMU_X86_EFLAGS));
}

/* A fault of the guest's own: a debugger sees it first and may cancel it
 * or pass another signal. */
static void guest_fault(EmuJitCpu *cpu, int sig, int code, uint64_t addr)
{
    sig = user_gdb_signal(cpu, sig);
    if (sig) {
        user_force_signal(cpu, sig, code, addr);
    }
}

int user_cpu_loop(EmuJitCpu *cpu)
{
    for (;;) {
        uint64_t aux = 0;
        user_gdb_cpu_enter(cpu);
        int excp = emu_jit_cpu_exec(cpu, &aux);
        excp = user_gdb_cpu_exit(cpu, excp, aux);
        switch (excp) {
        case EMU_EXCP_SYSCALL:
            do_syscall(cpu, aux);
            break;
        case EMU_EXCP_SEGV:
            guest_fault(cpu, SIGSEGV,
                        user_mem_prot(aux) < 0 ? SEGV_MAPERR : SEGV_ACCERR, aux);
            break;
        case EMU_EXCP_ILLEGAL:
            guest_fault(cpu, SIGILL, ILL_ILLOPN,
                        user_cfg.cls->get_reg(emu_jit_cpu_env(cpu), EMU_X86_RIP));
            break;
        case EMU_EXCP_DIVIDE:
            guest_fault(cpu, SIGFPE, FPE_INTDIV,
                        user_cfg.cls->get_reg(emu_jit_cpu_env(cpu), EMU_X86_RIP));
            break;
        case EMU_EXCP_FPE:      /* aux: the si_code the CPU computed */
            guest_fault(cpu, SIGFPE, aux ? (int)aux : FPE_FLTINV,
                        user_cfg.cls->get_reg(emu_jit_cpu_env(cpu),
                                              EMU_X86_RIP));
            break;
        case EMU_EXCP_TRAP:
            guest_fault(cpu, SIGTRAP, SI_KERNEL, 0);
            break;
        case EMU_EXCP_GPF:
            guest_fault(cpu, SIGSEGV, SI_KERNEL, 0);
            break;
        default:
            break;
        }
        user_signal_deliver(cpu);
    }
}

static char *absolute_path(const char *p)
{
    if (g_path_is_absolute(p)) {
        return g_strdup(p);
    }
    char *cwd = g_get_current_dir();
    char *r = g_build_filename(cwd, p, NULL);
    g_free(cwd);
    return r;
}

/* A program named like a command is looked up in PATH, as a shell would. */
static char *find_program(const char *name)
{
    if (strchr(name, '/')) {
        return absolute_path(name);
    }
    char *found = g_find_program_in_path(name);
    return found ? found : g_strdup(name);
}

static bool setup_jit(Options *o, GError **errp)
{
    EmuJitOptions jo = {
        .size = sizeof(jo),
#ifdef __x86_64__
        .backend = EMU_JIT_BACKEND_X86_64,
#else
        .backend = EMU_JIT_BACKEND_INTERP,
#endif
        .optimize = !g_strcmp0(g_getenv("EMU_JIT_OPTIMIZE"), "0") ? false : true,
        .guest_base = guest_base,
        .single_step = o->singlestep,
        .perfmap = o->perfmap,
    };
    if (o->backend && !emu_jit_backend_from_name(o->backend, &jo.backend)) {
        g_set_error(errp, EMU_ERROR, 0, "unknown JIT backend '%s' "
                    "(interp, x86_64)", o->backend);
        return false;
    }
    return emu_jit_configure(&jo, errp);
}

static bool setup_logging(Options *o, GError **errp)
{
    if (o->log_file && !emu_log_set_file(o->log_file, errp)) {
        return false;
    }
    if (o->log_items && !emu_log_set_items(o->log_items, errp)) {
        return false;
    }
    if (user_cfg.strace && !emu_log_set_items(o->log_items ?
            g_strconcat(o->log_items, ",strace", NULL) : "strace", errp)) {
        return false;
    }
    user_cfg.strace |= emu_log_enabled(EMU_LOG_STRACE);    /* -d strace */
    return true;
}

static EmuJitCpu *start_cpu(const UserImage *img, GError **errp)
{
    EmuJitCpu *cpu = emu_jit_cpu_new(user_cfg.cls, user_cfg.cpu_model, errp);
    if (!cpu) {
        return NULL;
    }
    void *env = emu_jit_cpu_env(cpu);
    const EmuCpuClass *cls = user_cfg.cls;
    cls->set_reg(env, EMU_X86_RSP, img->sp);
    cls->set_reg(env, EMU_X86_RIP, img->interp_entry ? img->interp_entry
                                                     : img->entry);
    cls->set_reg(env, EMU_X86_CS, user_cfg.is64 ? 0x33 : 0x23);
    cls->set_reg(env, EMU_X86_SS, 0x2b);
    cls->set_reg(env, EMU_X86_DS, user_cfg.is64 ? 0 : 0x2b);
    cls->set_reg(env, EMU_X86_ES, user_cfg.is64 ? 0 : 0x2b);
    return cpu;
}

int main(int argc, char **argv)
{
    GError *err = NULL;
    char *base = g_path_get_basename(argv[0]);
    user_cfg.is64 = strstr(base, "i386") == NULL && strstr(base, "i686") == NULL;
    user_cfg.stack_size = 8u << 20;
    Options o = { .set_env = g_ptr_array_new(), .unset_env = g_ptr_array_new() };
    GPtrArray *child_args = g_ptr_array_new();

    if (!emu_runtime_init(argv[0], &err) ||
        !(user_cfg.cls = find_cpu_class(user_cfg.is64, &err))) {
        fprintf(stderr, "%s: %s\n", base, err->message);
        return 1;
    }
    int status;
    if (!apply_env_options(&o, base, &status)) {
        return status;
    }
    int prog = parse_args(argc, argv, &o, child_args);
    if (prog <= 0) {
        return prog < 0 ? 0 : 1;
    }
    g_ptr_array_add(child_args, NULL);
    user_cfg.emu_args = (char **)child_args->pdata;
    user_cfg.cpu_model = o.cpu_model;
    user_cfg.emu_path = g_file_read_link("/proc/self/exe", NULL);
    user_cfg.exe_path = find_program(argv[prog]);
    if (!setup_logging(&o, &err) || !setup_jit(&o, &err)) {
        fprintf(stderr, "%s: %s\n", base, err->message);
        return 1;
    }
    if (o.gdb && !user_gdb_listen(o.gdb, &err)) {
        fprintf(stderr, "%s: -g: %s\n", base, err->message);
        return 1;
    }
    user_mem_init();
    user_signal_init();

    char **guest_argv = g_new0(char *, argc - prog + 1);
    for (int i = prog; i < argc; i++) {
        guest_argv[i - prog] = argv[i];
    }
    if (o.argv0) {
        guest_argv[0] = (char *)o.argv0;
    }
    char **envp = guest_environment(&o);
    UserImage img = { 0 };
    if (!user_load_elf(user_cfg.exe_path, guest_argv, envp, &img, &err)) {
        fprintf(stderr, "%s: %s\n", base, err->message);
        return 1;
    }
    user_brk_init(img.start_brk);
    EmuJitCpu *cpu = start_cpu(&img, &err);
    if (!cpu || !user_gdb_attach(cpu, &img, &err)) {
        fprintf(stderr, "%s: %s\n", base, err->message);
        return 1;
    }
    user_cpu_loop(cpu);
    return 0;
}
