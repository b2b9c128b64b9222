/*
 * Machine description files: a machine is composed from components listed
 * in a key file (GLib key-file syntax: [group], key=value, # comments).
 *
 *   [machine]   name, description, format, default-ram, max-cpus,
 *               firmware, include (a list: name;name;)
 *   [cpu]       type, count, then CPU properties
 *   [device ID] type, then the type's properties
 *
 * Includes are read first, in order; the including file then overrides
 * them group by group and key by key ("later wins").  Values may use
 * ${var} (ram, smp, kernel, initrd, append, bios, ...); a property whose
 * value expands to nothing keeps its default.  Every key is checked
 * against the component type's property table.
 *
 * The parser is our own rather than GKeyFile's so that every error can
 * name file:line.
 */
#include "machine.h"
#include "memory-internal.h"
#include "object-internal.h"
#include <string.h>

typedef struct Entry {
    char *key, *value;
    const char *file;           /* interned */
    int line;
} Entry;

typedef struct Group {
    char *name;                 /* "machine", "cpu", "device pit" */
    const char *file;
    int line;
    GPtrArray *entries;         /* Entry * */
} Group;

struct MachineDesc {
    char *path;
    GPtrArray *groups;          /* Group *, first-appearance order */
    unsigned cpus;
};

static const char *const machine_keys[] = {
    "name", "description", "format", "default-ram", "max-cpus", "firmware",
    "include", NULL,
};

static void entry_free(Entry *e)
{
    g_free(e->key);
    g_free(e->value);
    g_free(e);
}

static void group_free(Group *g)
{
    g_free(g->name);
    g_ptr_array_unref(g->entries);
    g_free(g);
}

void machine_free(MachineDesc *m)
{
    if (m) {
        g_free(m->path);
        g_ptr_array_unref(m->groups);
        g_free(m);
    }
}

static Group *find_group(MachineDesc *m, const char *name)
{
    for (guint i = 0; i < m->groups->len; i++) {
        Group *g = m->groups->pdata[i];
        if (!strcmp(g->name, name)) {
            return g;
        }
    }
    return NULL;
}

static Entry *find_entry(const Group *g, const char *key)
{
    for (guint i = 0; g && i < g->entries->len; i++) {
        Entry *e = g->entries->pdata[i];
        if (!strcmp(e->key, key)) {
            return e;
        }
    }
    return NULL;
}

static Group *group_get(MachineDesc *m, const char *name, const char *file,
                        int line)
{
    Group *g = find_group(m, name);
    if (!g) {
        g = g_new0(Group, 1);
        g->name = g_strdup(name);
        g->file = file;
        g->line = line;
        g->entries = g_ptr_array_new_with_free_func((GDestroyNotify)entry_free);
        g_ptr_array_add(m->groups, g);
    }
    return g;
}

/* Later wins: a key set again replaces the value and its location. */
static void group_set(Group *g, const char *key, const char *value,
                      const char *file, int line)
{
    Entry *e = find_entry(g, key);
    if (!e) {
        e = g_new0(Entry, 1);
        e->key = g_strdup(key);
        g_ptr_array_add(g->entries, e);
    }
    g_free(e->value);
    e->value = g_strdup(value);
    e->file = file;
    e->line = line;
}

/* Key-file value escapes: \s \n \t \r \\ */
static char *unescape(const char *v)
{
    GString *s = g_string_new(NULL);
    for (; *v; v++) {
        if (*v != '\\' || !v[1]) {
            g_string_append_c(s, *v);
            continue;
        }
        switch (*++v) {
        case 's': g_string_append_c(s, ' '); break;
        case 'n': g_string_append_c(s, '\n'); break;
        case 't': g_string_append_c(s, '\t'); break;
        case 'r': g_string_append_c(s, '\r'); break;
        default: g_string_append_c(s, *v); break;
        }
    }
    return g_string_free(s, false);
}

static bool machine_read(MachineDesc *m, const char *path, int depth,
                         GError **errp);

static char *include_path(const char *from, const char *name)
{
    g_autofree char *dir = g_path_get_dirname(from);
    char *p = g_build_filename(dir, name, NULL);
    if (g_path_is_absolute(name) || g_file_test(p, G_FILE_TEST_EXISTS)) {
        if (g_path_is_absolute(name)) {
            g_free(p);
            p = g_strdup(name);
        }
        return p;
    }
    g_free(p);
    return machine_find(name);
}

/* Includes are taken from the file's [machine] include= before anything
 * else of that file, so the file's own keys override them. */
static bool read_includes(MachineDesc *m, const char *path, char **lines,
                          int depth, GError **errp)
{
    bool in_machine = false;

    for (int n = 0; lines[n]; n++) {
        g_autofree char *l = g_strstrip(g_strdup(lines[n]));
        if (l[0] == '[') {
            in_machine = !strcmp(l, "[machine]");
            continue;
        }
        if (!in_machine || !g_str_has_prefix(l, "include")) {
            continue;
        }
        char *eq = strchr(l, '=');
        g_autofree char *key = eq ? g_strstrip(g_strndup(l, eq - l)) : NULL;
        if (!key || strcmp(key, "include")) {
            continue;
        }
        g_auto(GStrv) names = g_strsplit(eq + 1, ";", -1);
        for (char **i = names; *i; i++) {
            g_strstrip(*i);
            if (!**i) continue;
            g_autofree char *ip = include_path(path, *i);
            if (!ip) {
                g_set_error(errp, EMU_ERROR, 0, "%s:%d: [machine] include: "
                            "cannot find '%s'", path, n + 1, *i);
                return false;
            }
            if (!machine_read(m, ip, depth + 1, errp)) {
                return false;
            }
        }
    }
    return true;
}

static bool parse_lines(MachineDesc *m, const char *file, char **lines,
                        GError **errp)
{
    Group *g = NULL;

    for (int n = 0; lines[n]; n++) {
        g_autofree char *l = g_strstrip(g_strdup(lines[n]));
        if (!*l || *l == '#' || *l == ';') {
            continue;
        }
        if (*l == '[') {
            size_t len = strlen(l);
            if (l[len - 1] != ']' || len < 3) {
                g_set_error(errp, EMU_ERROR, 0, "%s:%d: bad group header "
                            "'%s': expected [NAME]", file, n + 1, l);
                return false;
            }
            l[len - 1] = '\0';
            g = group_get(m, g_strstrip(l + 1), file, n + 1);
            continue;
        }
        char *eq = strchr(l, '=');
        if (!eq || eq == l) {
            g_set_error(errp, EMU_ERROR, 0, "%s:%d: expected KEY=VALUE, "
                        "got '%s'", file, n + 1, l);
            return false;
        }
        if (!g) {
            g_set_error(errp, EMU_ERROR, 0, "%s:%d: key outside any group",
                        file, n + 1);
            return false;
        }
        *eq = '\0';
        g_autofree char *value = unescape(g_strstrip(eq + 1));
        const char *key = g_strstrip(l);
        if (!strcmp(g->name, "machine") && !strcmp(key, "include")) {
            continue;           /* already followed */
        }
        group_set(g, key, value, file, n + 1);
    }
    return true;
}

static bool machine_read(MachineDesc *m, const char *path, int depth,
                         GError **errp)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    const char *file = g_intern_string(path);

    if (depth > 8) {
        g_set_error(errp, EMU_ERROR, 0, "%s: includes nested more than 8 "
                    "deep (an include loop?)", path);
        return false;
    }
    if (!g_file_get_contents(path, &text, NULL, errp)) {
        return false;
    }
    lines = g_strsplit(text, "\n", -1);
    return read_includes(m, path, lines, depth, errp) &&
           parse_lines(m, file, lines, errp);
}

static bool check_format(MachineDesc *m, GError **errp)
{
    Entry *e = find_entry(find_group(m, "machine"), "format");
    char *end;
    long v;

    if (!e) {
        return true;
    }
    v = strtol(e->value, &end, 10);
    if (*end || v < 1) {
        g_set_error(errp, EMU_ERROR, 0, "%s:%d: [machine] format: expected "
                    "a positive integer, got '%s'", e->file, e->line, e->value);
        return false;
    }
    if (v > MACHINE_FORMAT) {
        g_set_error(errp, EMU_ERROR, 0, "%s:%d: [machine] format: the file "
                    "is format %ld, this emu reads format %d: upgrade emu",
                    e->file, e->line, v, MACHINE_FORMAT);
        return false;
    }
    return true;
}

static bool check_machine_group(MachineDesc *m, GError **errp)
{
    Group *g = find_group(m, "machine");

    if (!g) {
        g_set_error(errp, EMU_ERROR, 0, "%s: no [machine] group", m->path);
        return false;
    }
    for (guint i = 0; i < g->entries->len; i++) {
        Entry *e = g->entries->pdata[i];
        if (!g_strv_contains(machine_keys, e->key)) {
            g_autofree char *known = g_strjoinv(", ", (char **)machine_keys);
            g_set_error(errp, EMU_ERROR, 0, "%s:%d: [machine] unknown key "
                        "'%s' (expected one of: %s)", e->file, e->line,
                        e->key, known);
            return false;
        }
    }
    return check_format(m, errp);
}

MachineDesc *machine_load(const char *path, GError **errp)
{
    MachineDesc *m = g_new0(MachineDesc, 1);

    m->path = g_strdup(path);
    m->groups = g_ptr_array_new_with_free_func((GDestroyNotify)group_free);
    if (!machine_read(m, path, 0, errp) || !check_machine_group(m, errp)) {
        machine_free(m);
        return NULL;
    }
    return m;
}

const char *machine_get(const MachineDesc *m, const char *key)
{
    Entry *e = find_entry(find_group((MachineDesc *)m, "machine"), key);
    return e ? e->value : NULL;
}

const char *machine_name(const MachineDesc *m)
{
    const char *n = machine_get(m, "name");
    return n ? n : m->path;
}

unsigned machine_cpu_count(const MachineDesc *m)
{
    return m->cpus;
}

/* ---- ${var} expansion ------------------------------------------------- */

static char *expand(const Entry *e, const char *group, GHashTable *vars,
                    GError **errp)
{
    GString *s = g_string_new(NULL);
    const char *v = e->value;

    while (*v) {
        const char *start = strstr(v, "${");
        if (!start) {
            g_string_append(s, v);
            break;
        }
        g_string_append_len(s, v, start - v);
        const char *close = strchr(start, '}');
        if (!close) {
            g_set_error(errp, EMU_ERROR, 0, "%s:%d: [%s] %s: unterminated "
                        "'${'", e->file, e->line, group, e->key);
            return g_string_free(s, true), NULL;
        }
        g_autofree char *name = g_strndup(start + 2, close - start - 2);
        const char *val = g_hash_table_lookup(vars, name);
        if (!val) {
            g_set_error(errp, EMU_ERROR, 0, "%s:%d: [%s] %s: unknown "
                        "variable '${%s}'", e->file, e->line, group, e->key,
                        name);
            return g_string_free(s, true), NULL;
        }
        g_string_append(s, val);
        v = close + 1;
    }
    return g_string_free(s, false);
}

/* ---- building --------------------------------------------------------- */

typedef struct Component {
    Group *group;
    EmuObject *obj;
    const char *skip_key;       /* group key that is not a property */
} Component;

static EmuObject *machine_container(GError **errp)
{
    EmuObject *c = emu_object_find("/machine");
    if (!c) {
        c = emu_object_new("container", "machine", errp);
        if (!c || !emu_object_add_child(emu_object_root(), c, errp)) {
            return NULL;
        }
    }
    return c;
}

static bool new_component(GPtrArray *comps, Group *g, const char *id,
                          GHashTable *vars, EmuObject *parent, GError **errp)
{
    Entry *type = find_entry(g, "type");
    g_autofree char *tname = NULL;
    Component *c;

    if (!type) {
        g_set_error(errp, EMU_ERROR, 0, "%s:%d: [%s] needs a 'type' key",
                    g->file, g->line, g->name);
        return false;
    }
    tname = expand(type, g->name, vars, errp);
    if (!tname) {
        return false;
    }
    c = g_new0(Component, 1);
    c->group = g;
    c->obj = emu_object_new(tname, id, errp);
    g_ptr_array_add(comps, c);
    if (!c->obj || !emu_object_add_child(parent, c->obj, errp)) {
        if (c->obj) {
            emu_object_unref(c->obj);
            c->obj = NULL;
        }
        g_prefix_error(errp, "%s:%d: [%s] type: ", type->file, type->line,
                       g->name);
        return false;
    }
    return true;
}

static bool create_cpus(MachineDesc *m, Group *g, GPtrArray *comps,
                        GHashTable *vars, EmuObject *parent, GError **errp)
{
    Entry *count = find_entry(g, "count");
    g_autofree char *n = count ? expand(count, g->name, vars, errp)
                               : g_strdup("1");
    uint64_t cpus;

    if (!n) {
        return false;
    }
    if (!emu_parse_size(n, &cpus) || cpus < 1 || cpus > 1024) {
        g_set_error(errp, EMU_ERROR, 0, "%s:%d: [cpu] count: expected 1 to "
                    "1024, got '%s'", count->file, count->line, n);
        return false;
    }
    for (unsigned i = 0; i < cpus; i++) {
        g_autofree char *id = g_strdup_printf("cpu%u", i);
        if (!new_component(comps, g, id, vars, parent, errp)) {
            return false;
        }
        ((Component *)comps->pdata[comps->len - 1])->skip_key = "count";
    }
    m->cpus = cpus;
    return true;
}

static bool create_components(MachineDesc *m, GPtrArray *comps,
                              GHashTable *vars, GError **errp)
{
    EmuObject *parent = machine_container(errp);

    if (!parent) {
        return false;
    }
    for (guint i = 0; i < m->groups->len; i++) {
        Group *g = m->groups->pdata[i];
        bool ok = true;
        if (!strcmp(g->name, "machine")) {
            continue;
        } else if (!strcmp(g->name, "cpu")) {
            ok = create_cpus(m, g, comps, vars, parent, errp);
        } else if (g_str_has_prefix(g->name, "device ")) {
            const char *id = g->name + strlen("device ");
            if (!emu_object_id_valid(id)) {
                g_set_error(errp, EMU_ERROR, 0, "%s:%d: [%s]: '%s' is not a "
                            "valid id", g->file, g->line, g->name, id);
                return false;
            }
            ok = new_component(comps, g, id, vars, parent, errp);
        } else {
            g_set_error(errp, EMU_ERROR, 0, "%s:%d: unknown group [%s] "
                        "(expected [machine], [cpu] or [device ID])",
                        g->file, g->line, g->name);
            return false;
        }
        if (!ok) {
            return false;
        }
    }
    return true;
}

static bool set_component_props(Component *c, GHashTable *vars, GError **errp)
{
    Group *g = c->group;

    for (guint i = 0; i < g->entries->len; i++) {
        Entry *e = g->entries->pdata[i];
        g_autofree char *v = NULL;
        if (!strcmp(e->key, "type") || !g_strcmp0(e->key, c->skip_key)) {
            continue;
        }
        if (!emu_object_has_prop(c->obj, e->key)) {
            g_set_error(errp, EMU_ERROR, 0, "%s:%d: [%s] unknown key '%s': "
                        "type %s has no such property (see -device %s,help)",
                        e->file, e->line, g->name, e->key,
                        emu_object_type_name(c->obj),
                        emu_object_type_name(c->obj));
            return false;
        }
        v = expand(e, g->name, vars, errp);
        if (!v) {
            return false;
        }
        if (*v && !emu_object_set_prop(c->obj, e->key, v, errp)) {
            g_prefix_error(errp, "%s:%d: [%s] ", e->file, e->line, g->name);
            return false;
        }
    }
    return true;
}

static void component_free(Component *c)
{
    g_free(c);
}

/* Main RAM at guest-physical 0; a board device may alias parts of it
 * elsewhere (the PC's memory above 4 GiB, say). */
static bool create_ram(GHashTable *vars, GError **errp)
{
    const char *ram = g_hash_table_lookup(vars, "ram");
    uint64_t bytes;
    EmuMemoryRegion *mr;

    if (!ram || !emu_parse_size(ram, &bytes)) {
        g_set_error(errp, EMU_ERROR, 0, "-m: '%s' is not a size",
                    ram ? ram : "");
        return false;
    }
    mr = emu_mr_new_ram(NULL, "ram", bytes, errp);
    if (!mr) {
        g_prefix_error(errp, "-m: ");
        return false;
    }
    emu_mr_add_subregion(emu_as_root(emu_system_memory()), 0, mr, 0);
    emu_machine_set_ram(mr);
    emu_mr_unref(mr);           /* the address space holds it */
    return true;
}

bool machine_build(MachineDesc *m, GHashTable *vars, GError **errp)
{
    g_autoptr(GPtrArray) comps =
        g_ptr_array_new_with_free_func((GDestroyNotify)component_free);

    if (!create_ram(vars, errp) || !create_components(m, comps, vars, errp)) {
        return false;
    }
    /* All components exist before any property is set, so links and IRQ
     * lines may name a component defined further down the file. */
    for (guint i = 0; i < comps->len; i++) {
        if (!set_component_props(comps->pdata[i], vars, errp)) {
            return false;
        }
    }
    for (guint i = 0; i < comps->len; i++) {
        Component *c = comps->pdata[i];
        if (!emu_object_realize(c->obj, errp)) {
            g_prefix_error(errp, "%s:%d: [%s]: ", c->group->file,
                           c->group->line, c->group->name);
            return false;
        }
    }
    return true;
}

/* ---- finding machines ------------------------------------------------- */

static GPtrArray *machine_dirs(void)
{
    GPtrArray *dirs = g_ptr_array_new_with_free_func(g_free);
    const char *env = g_getenv("EMU_MACHINE_PATH");

    if (env && *env) {
        g_auto(GStrv) parts = g_strsplit(env, ":", -1);
        for (char **p = parts; *p; p++) {
            if (**p) g_ptr_array_add(dirs, g_strdup(*p));
        }
    }
    if (emu_runtime_uninstalled()) {
        g_ptr_array_add(dirs, g_strdup(EMU_SOURCE_DIR "/machines"));
    }
    g_ptr_array_add(dirs, g_strdup(EMU_MACHINE_DIR));
    return dirs;
}

char *machine_find(const char *name)
{
    g_autoptr(GPtrArray) dirs = machine_dirs();
    g_autofree char *file = g_str_has_suffix(name, ".machine") ||
                            g_str_has_suffix(name, ".inc")
                            ? g_strdup(name) : g_strconcat(name, ".machine", NULL);

    for (guint i = 0; i < dirs->len; i++) {
        char *p = g_build_filename(dirs->pdata[i], file, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_REGULAR)) {
            return p;
        }
        g_free(p);
    }
    return NULL;
}

static gint compare_strp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void machine_print_list(FILE *out)
{
    g_autoptr(GPtrArray) dirs = machine_dirs();
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash,
                                                       g_str_equal, g_free, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; i < dirs->len; i++) {
        g_autoptr(GDir) d = g_dir_open(dirs->pdata[i], 0, NULL);
        const char *n;
        while (d && (n = g_dir_read_name(d))) {
            if (g_str_has_suffix(n, ".machine") &&
                !g_hash_table_contains(seen, n)) {
                g_hash_table_add(seen, g_strdup(n));
                g_ptr_array_add(names, g_strndup(n, strlen(n) - 8));
            }
        }
    }
    g_ptr_array_sort(names, compare_strp);
    fprintf(out, "Supported machines are:\n");
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *path = machine_find(names->pdata[i]);
        GError *err = NULL;
        MachineDesc *m = machine_load(path, &err);
        const char *desc = m ? machine_get(m, "description") : NULL;
        fprintf(out, "%-20s %s\n", (char *)names->pdata[i],
                m ? (desc ? desc : "") : err->message);
        g_clear_error(&err);
        machine_free(m);
    }
}
