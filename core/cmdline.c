/*
 * The emu program: QEMU-style options (single or double dash), then the
 * machine is built from its description file and run.
 *
 * Every option of the command line is known here.  One whose backend has
 * not been written yet fails with "emu: -OPT: not supported yet" and exit
 * status 1: never silently ignored.
 */
#include "cmdline.h"
#include "chardev/chardev.h"
#include "loop.h"
#include "machine.h"
#include "object-internal.h"
#include "plugin.h"
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

typedef enum OptId {
    OPT_HELP, OPT_VERSION, OPT_MACHINE, OPT_RAM, OPT_SMP, OPT_CPU,
    OPT_DEVICE, OPT_CHARDEV, OPT_SERIAL, OPT_ECHR, OPT_D, OPT_DFILE,
    OPT_KERNEL, OPT_INITRD, OPT_APPEND, OPT_BIOS, OPT_L, OPT_NAME,
    OPT_NOGRAPHIC, OPT_DISPLAY, OPT_S, OPT_NO_REBOOT, OPT_LIST_PLUGINS,
    OPT_DESCRIBE_PLUGIN, OPT_DUMP_TREE, OPT_LATER,
} OptId;

typedef struct OptDesc {
    const char *name;
    OptId id;
    bool has_arg;
    const char *help;           /* NULL: not listed in -h */
} OptDesc;

static const OptDesc options[] = {
    { "h", OPT_HELP, false, "show this help" },
    { "help", OPT_HELP, false, NULL },
    { "version", OPT_VERSION, false, "show the version" },
    { "M", OPT_MACHINE, true, "-M NAME|FILE    machine to run (-M help lists them)" },
    { "machine", OPT_MACHINE, true, NULL },
    { "m", OPT_RAM, true, "-m SIZE         guest RAM (e.g. 512M, 2G)" },
    { "smp", OPT_SMP, true, "-smp N          number of CPUs" },
    { "cpu", OPT_CPU, true, "-cpu MODEL      CPU model (-cpu help lists them)" },
    { "device", OPT_DEVICE, true, "-device TYPE[,PROP=VALUE...]  add a device (help, TYPE,help)" },
    { "chardev", OPT_CHARDEV, true, "-chardev BACKEND,id=ID[,...]  character device" },
    { "serial", OPT_SERIAL, true, "-serial SPEC    serial port backend (stdio, pty, tcp:..., file:...)" },
    { "echr", OPT_ECHR, true, "-echr CHAR      escape character of the mux (default Ctrl-a)" },
    { "d", OPT_D, true, "-d ITEM,...     debug log items (-d help)" },
    { "D", OPT_DFILE, true, "-D FILE         debug log file" },
    { "kernel", OPT_KERNEL, true, "-kernel FILE    Linux kernel to boot" },
    { "initrd", OPT_INITRD, true, "-initrd FILE    initial ram disk" },
    { "append", OPT_APPEND, true, "-append CMDLINE kernel command line" },
    { "bios", OPT_BIOS, true, "-bios FILE      firmware image" },
    { "L", OPT_L, true, "-L DIR          firmware directory" },
    { "name", OPT_NAME, true, "-name NAME      name of the guest" },
    { "nographic", OPT_NOGRAPHIC, false, "-nographic      no display; serial on stdio" },
    { "display", OPT_DISPLAY, true, "-display none   display type" },
    { "S", OPT_S, false, "-S              start with the CPUs stopped" },
    { "no-reboot", OPT_NO_REBOOT, false, "-no-reboot      exit instead of rebooting" },
    { "list-plugins", OPT_LIST_PLUGINS, false, "--list-plugins  list the plugins found" },
    { "describe-plugin", OPT_DESCRIBE_PLUGIN, true, NULL },
    { "dump-tree", OPT_DUMP_TREE, false, "--dump-tree     build the machine, print its object tree, exit" },
    /* Known options whose backends come later. */
    { "hda", OPT_LATER, true, NULL }, { "hdb", OPT_LATER, true, NULL },
    { "hdc", OPT_LATER, true, NULL }, { "hdd", OPT_LATER, true, NULL },
    { "cdrom", OPT_LATER, true, NULL }, { "fda", OPT_LATER, true, NULL },
    { "fdb", OPT_LATER, true, NULL }, { "drive", OPT_LATER, true, NULL },
    { "netdev", OPT_LATER, true, NULL }, { "net", OPT_LATER, true, NULL },
    { "boot", OPT_LATER, true, NULL }, { "vnc", OPT_LATER, true, NULL },
    { "monitor", OPT_LATER, true, NULL }, { "qmp", OPT_LATER, true, NULL },
    { "s", OPT_LATER, false, NULL }, { "gdb", OPT_LATER, true, NULL },
    { "snapshot", OPT_LATER, false, NULL }, { "accel", OPT_LATER, true, NULL },
    { "enable-kvm", OPT_LATER, false, NULL },
    { "readconfig", OPT_LATER, true, NULL }, { "rtc", OPT_LATER, true, NULL },
};

static const OptDesc *find_option(const char *arg)
{
    if (arg[0] != '-' || !arg[1]) {
        return NULL;
    }
    arg += arg[1] == '-' ? 2 : 1;
    for (size_t i = 0; i < G_N_ELEMENTS(options); i++) {
        if (!strcmp(options[i].name, arg)) {
            return &options[i];
        }
    }
    return NULL;
}

static void print_help(void)
{
    printf("usage: emu [options]\n\n"
           "Runs a machine described by a machine file.\n\nOptions:\n");
    for (size_t i = 0; i < G_N_ELEMENTS(options); i++) {
        const OptDesc *o = &options[i];
        if (!o->help) continue;
        if (o->help[0] == '-') {
            printf("  %s\n", o->help);
        } else {
            printf("  -%-14s %s\n", o->name, o->help);
        }
    }
    printf("\nAlso known, not supported yet: -hda..-hdd -cdrom -fda -drive "
           "-netdev -net -boot\n  -vnc -monitor -qmp -s -gdb -snapshot "
           "-accel -enable-kvm -readconfig -rtc\n");
}

static void list_types(const char *kind, const char *what)
{
    GError *err = NULL;
    if (!emu_plugins_load_kind(kind, &err)) {
        emu_report_error(err);
        g_clear_error(&err);
    }
    g_autoptr(GPtrArray) list = emu_type_list(kind);
    printf("Available %s:\n", what);
    for (guint i = 0; i < list->len; i++) {
        const EmuType *t = list->pdata[i];
        printf("  %-20s %s\n", emu_type_name(t), emu_type_description(t));
    }
    if (!list->len) {
        printf("  (none: no plugin provides one yet)\n");
    }
}

/* -device TYPE,help */
static bool describe_type(const char *name)
{
    GError *err = NULL;
    const EmuType *t = emu_type_find(name, &err);

    if (!t) {
        emu_report_error(err);
        g_error_free(err);
        return false;
    }
    g_autofree char *props = emu_type_describe_props(t);
    printf("%s options:\n%s", name, *props ? props : "  (no properties)\n");
    return true;
}

static bool set_var(EmuOptions *o, const char *name, const char *value)
{
    g_hash_table_insert(o->vars, g_strdup(name), g_strdup(value));
    return true;
}

static bool parse_ram(EmuOptions *o, const char *arg)
{
    uint64_t bytes;
    const char *v = g_str_has_prefix(arg, "size=") ? arg + 5 : arg;
    g_autofree char *withunit = g_ascii_isdigit(v[strlen(v) - 1])
                                ? g_strconcat(v, "M", NULL) : g_strdup(v);

    /* Like QEMU, a bare number is in MiB. */
    if (!*v || !emu_parse_size(withunit, &bytes) || bytes == 0) {
        emu_error_line("-m: '%s' is not a valid size (e.g. 512M, 2G)", arg);
        return false;
    }
    o->ram_given = true;
    g_autofree char *s = g_strdup_printf("%" G_GUINT64_FORMAT, bytes);
    return set_var(o, "ram", s);
}

static bool parse_smp(EmuOptions *o, const char *arg)
{
    const char *v = g_str_has_prefix(arg, "cpus=") ? arg + 5 : arg;
    char *end;
    unsigned long n = strtoul(v, &end, 10);

    if (!*v || *end || n < 1 || n > 1024) {
        emu_error_line("-smp: '%s' is not a CPU count from 1 to 1024", arg);
        return false;
    }
    g_autofree char *s = g_strdup_printf("%lu", n);
    return set_var(o, "smp", s);
}

static bool parse_echr(const char *arg)
{
    char *end;
    long c = strtol(arg, &end, 0);

    if (*arg && !*end && c >= 0 && c < 256) {
        chardev_set_escape_char((int)c);
        return true;
    }
    if (strlen(arg) == 1) {
        chardev_set_escape_char((unsigned char)arg[0]);
        return true;
    }
    emu_error_line("-echr: '%s' is not a character or character code", arg);
    return false;
}

static CmdlineAction handle_info_option(const OptDesc *o, const char *arg)
{
    GError *err = NULL;

    switch (o->id) {
    case OPT_HELP:
        print_help();
        return CMDLINE_EXIT_OK;
    case OPT_VERSION:
        printf("emu version %s (plugin ABI %d.%d)\n", PACKAGE_VERSION,
               EMU_ABI_MAJOR, EMU_ABI_MINOR);
        return CMDLINE_EXIT_OK;
    case OPT_LIST_PLUGINS:
        plugin_print_list(stdout);
        return CMDLINE_EXIT_OK;
    case OPT_DESCRIBE_PLUGIN:
        if (!plugin_describe_file(arg, stdout, &err)) {
            emu_report_error(err);
            g_error_free(err);
            return CMDLINE_EXIT_ERROR;
        }
        return CMDLINE_EXIT_OK;
    default:
        return CMDLINE_RUN;
    }
}

/* Options answered with a list when given "help". */
static CmdlineAction handle_help_arg(const OptDesc *o, const char *arg)
{
    size_t n = strlen(arg);

    if (o->id == OPT_MACHINE && !strcmp(arg, "help")) {
        machine_print_list(stdout);
        return CMDLINE_EXIT_OK;
    }
    if (o->id == OPT_CPU && !strcmp(arg, "help")) {
        list_types("cpu", "CPU types");
        return CMDLINE_EXIT_OK;
    }
    if (o->id == OPT_DEVICE && !strcmp(arg, "help")) {
        list_types("device", "devices");
        return CMDLINE_EXIT_OK;
    }
    if (o->id == OPT_DEVICE && n > 5 && !strcmp(arg + n - 5, ",help")) {
        g_autofree char *name = g_strndup(arg, n - 5);
        return describe_type(name) ? CMDLINE_EXIT_OK : CMDLINE_EXIT_ERROR;
    }
    if (o->id == OPT_D && !strcmp(arg, "help")) {
        g_autofree char *h = emu_log_items_help();
        fputs(h, stdout);
        return CMDLINE_EXIT_OK;
    }
    return CMDLINE_RUN;
}

static bool handle_run_option(EmuOptions *opts, const OptDesc *o,
                              const char *name, const char *arg)
{
    GError *err = NULL;

    switch (o->id) {
    case OPT_MACHINE:
        if (g_str_has_prefix(arg, "type=")) arg += 5;
        if (strchr(arg, ',')) {
            emu_error_line("-machine: options after the name are not "
                           "supported yet ('%s')", arg);
            return false;
        }
        g_free(opts->machine);
        opts->machine = g_strdup(arg);
        return true;
    case OPT_RAM: return parse_ram(opts, arg);
    case OPT_SMP: return parse_smp(opts, arg);
    case OPT_CPU: return set_var(opts, "cpu", arg);
    case OPT_DEVICE: g_ptr_array_add(opts->devices, g_strdup(arg)); return true;
    case OPT_CHARDEV: g_ptr_array_add(opts->chardevs, g_strdup(arg)); return true;
    case OPT_SERIAL: g_ptr_array_add(opts->serials, g_strdup(arg)); return true;
    case OPT_ECHR: return parse_echr(arg);
    case OPT_D:
        if (emu_log_set_items(arg, &err)) return true;
        break;
    case OPT_DFILE:
        if (emu_log_set_file(arg, &err)) return true;
        break;
    case OPT_KERNEL: return set_var(opts, "kernel", arg);
    case OPT_INITRD: return set_var(opts, "initrd", arg);
    case OPT_APPEND: return set_var(opts, "append", arg);
    case OPT_BIOS: return set_var(opts, "bios", arg);
    case OPT_L: return set_var(opts, "firmware-dir", arg);
    case OPT_NAME: return set_var(opts, "name", arg);
    case OPT_NOGRAPHIC: opts->nographic = true; return true;
    case OPT_DISPLAY:
        if (!strcmp(arg, "none")) return true;
        emu_error_line("-display %s: not supported yet (only 'none')", arg);
        return false;
    case OPT_S: opts->start_paused = true; return true;
    case OPT_NO_REBOOT: return set_var(opts, "no-reboot", "on");
    case OPT_DUMP_TREE: opts->dump_tree = true; return true;
    case OPT_LATER:
        emu_error_line("%s: not supported yet", name);
        return false;
    default:
        return true;
    }
    emu_report_error(err);
    g_error_free(err);
    return false;
}

static void set_default_vars(EmuOptions *o)
{
    static const char *const defaults[][2] = {
        { "smp", "1" }, { "kernel", "" }, { "initrd", "" }, { "append", "" },
        { "bios", "" }, { "cpu", "" }, { "name", "" }, { "no-reboot", "off" },
        { "firmware-dir", "/usr/share/seabios" },
    };
    o->vars = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (size_t i = 0; i < G_N_ELEMENTS(defaults); i++) {
        set_var(o, defaults[i][0], defaults[i][1]);
    }
    o->devices = g_ptr_array_new_with_free_func(g_free);
    o->chardevs = g_ptr_array_new_with_free_func(g_free);
    o->serials = g_ptr_array_new_with_free_func(g_free);
}

CmdlineAction cmdline_parse(int argc, char **argv, EmuOptions *opts)
{
    set_default_vars(opts);
    for (int i = 1; i < argc; i++) {
        const OptDesc *o = find_option(argv[i]);
        const char *arg = NULL;
        CmdlineAction act;

        if (!o) {
            emu_error_line("%s: %s", argv[i], argv[i][0] == '-'
                           ? "unknown option (see emu -h)"
                           : "unexpected argument (see emu -h)");
            return CMDLINE_EXIT_ERROR;
        }
        if (o->has_arg) {
            if (i + 1 >= argc) {
                emu_error_line("%s: requires an argument", argv[i]);
                return CMDLINE_EXIT_ERROR;
            }
            arg = argv[++i];
            if ((act = handle_help_arg(o, arg)) != CMDLINE_RUN) {
                return act;
            }
        }
        if ((act = handle_info_option(o, arg)) != CMDLINE_RUN) {
            return act;
        }
        if (!handle_run_option(opts, o, argv[i - o->has_arg], arg)) {
            return CMDLINE_EXIT_ERROR;
        }
    }
    return CMDLINE_RUN;
}

void cmdline_options_free(EmuOptions *opts)
{
    g_free(opts->machine);
    if (opts->vars) g_hash_table_unref(opts->vars);
    if (opts->devices) g_ptr_array_unref(opts->devices);
    if (opts->chardevs) g_ptr_array_unref(opts->chardevs);
    if (opts->serials) g_ptr_array_unref(opts->serials);
}

/* ---- building and running --------------------------------------------- */

/* "-M pc" searches the machine path; anything with a '/' or ending in
 * .machine is a file. */
static char *machine_path(const char *arg, GError **errp)
{
    char *path;

    if (strchr(arg, '/') || g_str_has_suffix(arg, ".machine")) {
        if (g_file_test(arg, G_FILE_TEST_IS_REGULAR)) {
            return g_strdup(arg);
        }
        if (!strchr(arg, '/') && (path = machine_find(arg))) {
            return path;
        }
        g_set_error(errp, EMU_ERROR, 0, "--machine: no such file '%s'", arg);
        return NULL;
    }
    path = machine_find(arg);
    if (!path) {
        g_set_error(errp, EMU_ERROR, 0, "-M: unknown machine '%s' (-M help "
                    "lists them)", arg);
    }
    return path;
}

static bool create_chardevs(EmuOptions *o, GError **errp)
{
    for (guint i = 0; i < o->chardevs->len; i++) {
        if (!chardev_new_from_opts(o->chardevs->pdata[i], errp)) {
            g_prefix_error(errp, "-chardev: ");
            return false;
        }
    }
    if (!o->serials->len) {
        /* With no display yet, the first serial port is the console. */
        g_ptr_array_add(o->serials, g_strdup(o->nographic ? "mon:stdio"
                                                          : "stdio"));
    }
    for (guint i = 0; i < o->serials->len; i++) {
        g_autofree char *id = g_strdup_printf("serial%u", i);
        if (!strcmp(o->serials->pdata[i], "none")) continue;
        if (!chardev_new_from_spec(id, o->serials->pdata[i], errp)) {
            g_prefix_error(errp, "-serial: ");
            return false;
        }
    }
    return true;
}

/* -device TYPE[,id=ID][,PROP=VALUE...] */
static bool add_device(const char *spec, GError **errp)
{
    g_auto(GStrv) parts = g_strsplit(spec, ",", -1);
    const char *id = NULL;
    g_autofree char *auto_id = NULL;
    static unsigned anon;
    EmuObject *dev;

    for (char **p = parts + 1; *p; p++) {
        if (g_str_has_prefix(*p, "id=")) id = *p + 3;
    }
    if (!id) {
        id = auto_id = g_strdup_printf("%s.%u", parts[0], anon++);
    }
    dev = emu_object_new(parts[0], id, errp);
    if (!dev) {
        return false;
    }
    if (!emu_object_is_a(dev, "device")) {
        g_set_error(errp, EMU_ERROR, 0, "'%s' is a %s, not a device",
                    parts[0], emu_type_kind(dev->type));
        emu_object_unref(dev);
        return false;
    }
    if (!emu_object_add_child(emu_object_find("/machine"), dev, errp)) {
        emu_object_unref(dev);
        return false;
    }
    for (char **p = parts + 1; *p; p++) {
        char *eq = strchr(*p, '=');
        if (g_str_has_prefix(*p, "id=")) continue;
        if (!eq) {
            g_set_error(errp, EMU_ERROR, 0, "'%s': expected PROP=VALUE", *p);
            return false;
        }
        *eq = '\0';
        if (!emu_object_set_prop(dev, *p, eq + 1, errp)) return false;
    }
    return emu_object_realize(dev, errp);
}

static void print_node(EmuObject *obj, int depth, void *opaque)
{
    printf("%*s%s (%s)\n", depth * 2, "", depth ? emu_object_id(obj) : "/",
           emu_object_type_name(obj));
    object_print_props(obj, depth * 2 + 4, stdout);
}

/* Without -bios, ${bios} is the machine's firmware= in the firmware
 * directory (-L). */
static void set_default_bios(EmuOptions *o, MachineDesc *m)
{
    const char *fw = machine_get(m, "firmware");
    const char *bios = g_hash_table_lookup(o->vars, "bios");

    if (fw && *fw && (!bios || !*bios)) {
        g_hash_table_insert(o->vars, g_strdup("bios"), g_path_is_absolute(fw)
            ? g_strdup(fw)
            : g_build_filename(g_hash_table_lookup(o->vars, "firmware-dir"),
                               fw, NULL));
    }
}

static bool setup_machine(EmuOptions *o, MachineDesc **out, GError **errp)
{
    g_autofree char *path = machine_path(o->machine ? o->machine : "pc", errp);
    MachineDesc *m;

    if (!path || !(m = machine_load(path, errp))) {
        return false;
    }
    *out = m;
    if (!o->ram_given) {
        const char *def = machine_get(m, "default-ram");
        uint64_t bytes = 128 << 20;
        if (def && !emu_parse_size(def, &bytes)) {
            g_set_error(errp, EMU_ERROR, 0, "%s: [machine] default-ram: "
                        "'%s' is not a size", path, def);
            return false;
        }
        g_hash_table_insert(o->vars, g_strdup("ram"),
                            g_strdup_printf("%" G_GUINT64_FORMAT, bytes));
    }
    set_default_bios(o, m);
    if (!create_chardevs(o, errp) || !machine_build(m, o->vars, errp)) {
        return false;
    }
    for (guint i = 0; i < o->devices->len; i++) {
        if (!add_device(o->devices->pdata[i], errp)) {
            g_prefix_error(errp, "-device %s: ", (char *)o->devices->pdata[i]);
            return false;
        }
    }
    return true;
}

static gboolean on_quit_signal(gpointer data)
{
    emu_request_quit(0);
    return G_SOURCE_CONTINUE;
}

static int run_machine(MachineDesc *m, EmuOptions *o)
{
    if (machine_cpu_count(m)) {
        emu_error_line("machine '%s' has %u CPU(s) but no accelerator plugin "
                       "exists yet to run them", machine_name(m),
                       machine_cpu_count(m));
        return 1;
    }
    g_unix_signal_add(SIGINT, on_quit_signal, NULL);
    g_unix_signal_add(SIGTERM, on_quit_signal, NULL);
    g_unix_signal_add(SIGHUP, on_quit_signal, NULL);
    emu_loop_run();
    return emu_loop_exit_status();
}

int emu_system_main(int argc, char **argv)
{
    EmuOptions opts = { 0 };
    MachineDesc *m = NULL;
    GError *err = NULL;
    int status = 1;

    /* A closed stdout or FIFO peer is an error to report, not a death. */
    signal(SIGPIPE, SIG_IGN);
    if (!emu_runtime_init(argv[0], &err)) {
        goto out;
    }
    switch (cmdline_parse(argc, argv, &opts)) {
    case CMDLINE_EXIT_OK: status = 0; goto out;
    case CMDLINE_EXIT_ERROR: goto out;
    case CMDLINE_RUN: break;
    }
    if (!setup_machine(&opts, &m, &err)) {
        goto out;
    }
    if (opts.dump_tree) {
        emu_object_walk(emu_object_root(), print_node, NULL);
        status = 0;
        goto out;
    }
    status = run_machine(m, &opts);
out:
    if (err) {
        emu_report_error(err);
        g_error_free(err);
    }
    machine_free(m);
    cmdline_options_free(&opts);
    object_tree_destroy();
    return status;
}
