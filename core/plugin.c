/*
 * Plugin discovery and loading.
 *
 * Search order: each directory of $EMU_PLUGIN_PATH, then the build tree's
 * plugins/ folders when this program runs uninstalled, then the install
 * directory.  Each plugin NAME.so may have an index file NAME.module
 * beside it (written at build time by `emu --describe-plugin`); with one,
 * discovery opens nothing.  A .so without one is opened (local binding)
 * just to read its descriptor: no plugin code runs before the ABI check,
 * since the descriptor is a data symbol.
 *
 * A type is provided by the first directory that offers it; two plugins in
 * the same directory level offering one type are refused when that type is
 * asked for.  Plugins load on first use of one of their types, after the
 * plugins providing what they require.
 */
#include "plugin.h"
#include "object-internal.h"
#include <ltdl.h>
#include <stdio.h>
#include <string.h>

struct EmuPlugin {
    char *path;                 /* the .so */
    char *name, *version, *license, *description;
    unsigned abi_major, abi_minor;
    char **provides;            /* "kind:type" */
    char **requires;
    int level;                  /* search-path position: lower wins */
    char *refusal;              /* why it cannot be loaded, or NULL */
    bool loaded;
    lt_dlhandle handle;
};

typedef struct PluginIndex {
    GPtrArray *plugins;         /* EmuPlugin *, discovery order */
    GHashTable *by_type;        /* bare type name -> EmuPlugin * */
    GHashTable *conflicts;      /* bare type name -> message */
    GPtrArray *dirs;            /* char * */
} PluginIndex;

static PluginIndex index_;
static EmuPlugin *loading;
static GRecMutex load_lock;

const char *emu_plugin_name(const EmuPlugin *plugin)
{
    return plugin ? plugin->name : "core";
}

const char *plugin_path(const EmuPlugin *p)
{
    return p ? p->path : "(built in)";
}

EmuPlugin *plugin_current(void)
{
    return loading;
}

const GPtrArray *plugin_search_dirs(void)
{
    return index_.dirs;
}

static void plugin_free(EmuPlugin *p)
{
    g_free(p->path);
    g_free(p->name);
    g_free(p->version);
    g_free(p->license);
    g_free(p->description);
    g_strfreev(p->provides);
    g_strfreev(p->requires);
    g_free(p->refusal);
    g_free(p);
}

static const char *bare_type(const char *provided)
{
    const char *colon = strchr(provided, ':');
    return colon ? colon + 1 : provided;
}

/* The ABI rule, with a message saying which side to upgrade. */
static char *abi_refusal(const char *path, unsigned major, unsigned minor)
{
    if (major == EMU_ABI_MAJOR && minor <= EMU_ABI_MINOR) {
        return NULL;
    }
    const char *advice = major > EMU_ABI_MAJOR ||
        (major == EMU_ABI_MAJOR && minor > EMU_ABI_MINOR)
        ? "upgrade emu or use a plugin built for it"
        : "rebuild or upgrade the plugin";
    return g_strdup_printf("%s: emu plugin of ABI %u.%u, but this emu "
                           "provides ABI %u.%u: %s", path, major, minor,
                           EMU_ABI_MAJOR, EMU_ABI_MINOR, advice);
}

static char **strv_from_nullterm(const char *const *list)
{
    GStrvBuilder *b = g_strv_builder_new();
    for (; list && *list; list++) {
        g_strv_builder_add(b, *list);
    }
    char **v = g_strv_builder_end(b);
    g_strv_builder_unref(b);
    return v;
}

/* Opens a .so with local binding and finds its descriptor, checking magic
 * and ABI before reading any other field. */
static const EmuPluginInfo *open_descriptor(const char *path,
                                            lt_dlhandle *handle,
                                            GError **errp)
{
    lt_dladvise advise;
    lt_dladvise_init(&advise);
    lt_dladvise_local(&advise);
    *handle = lt_dlopenadvise(path, advise);
    lt_dladvise_destroy(&advise);
    if (!*handle) {
        g_set_error(errp, EMU_ERROR, 0, "%s: cannot open plugin: %s", path,
                    lt_dlerror());
        return NULL;
    }
    const EmuPluginInfo *info = lt_dlsym(*handle, "emu_plugin_info");
    if (!info || info->magic != EMU_PLUGIN_MAGIC) {
        g_set_error(errp, EMU_ERROR, 0,
                    "%s: not an emu plugin (no emu_plugin_info descriptor)",
                    path);
        lt_dlclose(*handle);
        *handle = NULL;
        return NULL;
    }
    char *refusal = abi_refusal(path, info->abi_major, info->abi_minor);
    if (!refusal && info->size < offsetof(EmuPluginInfo, init) +
                                 sizeof(info->init)) {
        refusal = g_strdup_printf("%s: emu plugin descriptor is truncated "
                                  "(%u bytes)", path, info->size);
    }
    if (refusal) {
        g_set_error_literal(errp, EMU_ERROR, 0, refusal);
        g_free(refusal);
        lt_dlclose(*handle);
        *handle = NULL;
        return NULL;
    }
    return info;
}

static void fill_from_descriptor(EmuPlugin *p, const EmuPluginInfo *info)
{
    p->name = g_strdup(info->name ? info->name : "(unnamed)");
    p->version = g_strdup(info->version ? info->version : "");
    p->license = g_strdup(info->license ? info->license : "");
    p->description = g_strdup(info->description ? info->description : "");
    p->abi_major = info->abi_major;
    p->abi_minor = info->abi_minor;
    p->provides = strv_from_nullterm(info->provides);
    p->requires = strv_from_nullterm(info->requires);
}

/* A .so with no index file: read the descriptor now. */
static EmuPlugin *plugin_from_so(const char *path)
{
    EmuPlugin *p = g_new0(EmuPlugin, 1);
    GError *err = NULL;
    lt_dlhandle h;
    const EmuPluginInfo *info;

    p->path = g_strdup(path);
    /* Reading the ABI numbers of a refused plugin again, for the listing,
     * would mean trusting its layout; the message already has them. */
    info = open_descriptor(path, &h, &err);
    if (!info) {
        p->name = g_path_get_basename(path);
        p->refusal = g_strdup(err->message);
        p->provides = g_new0(char *, 1);
        p->requires = g_new0(char *, 1);
        p->version = g_strdup("");
        p->license = g_strdup("");
        p->description = g_strdup("");
        g_error_free(err);
        return p;
    }
    fill_from_descriptor(p, info);
    lt_dlclose(h);
    return p;
}

static char *so_beside_module(const char *dir, const char *base)
{
    char *so = g_strdup_printf("%s/%s.so", dir, base);
    if (!g_file_test(so, G_FILE_TEST_EXISTS)) {
        g_free(so);
        so = g_strdup_printf("%s/.libs/%s.so", dir, base);
    }
    return so;
}

static EmuPlugin *plugin_from_module(const char *dir, const char *file,
                                     GError **errp)
{
    g_autofree char *mpath = g_build_filename(dir, file, NULL);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autofree char *base = g_strndup(file, strlen(file) - strlen(".module"));
    g_autofree char *abi = NULL;

    if (!g_key_file_load_from_file(kf, mpath, G_KEY_FILE_NONE, errp)) {
        g_prefix_error(errp, "%s: ", mpath);
        return NULL;
    }
    EmuPlugin *p = g_new0(EmuPlugin, 1);
    p->path = so_beside_module(dir, base);
    p->name = g_key_file_get_string(kf, "plugin", "name", NULL);
    p->version = g_key_file_get_string(kf, "plugin", "version", NULL);
    p->license = g_key_file_get_string(kf, "plugin", "license", NULL);
    p->description = g_key_file_get_string(kf, "plugin", "description", NULL);
    p->provides = g_key_file_get_string_list(kf, "plugin", "provides", NULL, NULL);
    p->requires = g_key_file_get_string_list(kf, "plugin", "requires", NULL, NULL);
    abi = g_key_file_get_string(kf, "plugin", "abi", NULL);
    if (!p->name || !p->version || !abi || !p->provides ||
        sscanf(abi, "%u.%u", &p->abi_major, &p->abi_minor) != 2) {
        g_set_error(errp, EMU_ERROR, 0, "%s: group [plugin] needs name, "
                    "version, abi (MAJOR.MINOR) and provides", mpath);
        plugin_free(p);
        return NULL;
    }
    if (!p->license) p->license = g_strdup("");
    if (!p->description) p->description = g_strdup("");
    if (!p->requires) p->requires = g_new0(char *, 1);
    p->refusal = abi_refusal(p->path, p->abi_major, p->abi_minor);
    return p;
}

static void index_add(EmuPlugin *p, int level)
{
    p->level = level;
    g_ptr_array_add(index_.plugins, p);
    if (p->refusal) {
        emu_log_mask_printf(EMU_LOG_PLUGIN, "plugin: refused %s\n", p->refusal);
    }
    for (char **t = p->provides; *t; t++) {
        const char *name = bare_type(*t);
        EmuPlugin *old = g_hash_table_lookup(index_.by_type, name);
        if (!old) {
            g_hash_table_insert(index_.by_type, g_strdup(name), p);
        } else if (old->level == level && !g_hash_table_contains(index_.conflicts, name)) {
            g_hash_table_insert(index_.conflicts, g_strdup(name),
                g_strdup_printf("type '%s' is provided by two plugins: %s "
                                "and %s", name, old->path, p->path));
        }
    }
}

/* g_ptr_array_sort hands over pointers to the elements. */
static gint compare_strp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Indexes one directory: NAME.module files, then .so files without one. */
static void index_dir(const char *dir, int level)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_autoptr(GHashTable) indexed = g_hash_table_new_full(g_str_hash,
                                                          g_str_equal, g_free, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *n;

    if (!d) {
        return;
    }
    while ((n = g_dir_read_name(d))) {
        g_ptr_array_add(names, g_strdup(n));
    }
    g_ptr_array_sort(names, compare_strp);
    for (guint i = 0; i < names->len; i++) {
        const char *file = names->pdata[i];
        if (!g_str_has_suffix(file, ".module")) {
            continue;
        }
        GError *err = NULL;
        EmuPlugin *p = plugin_from_module(dir, file, &err);
        if (!p) {
            emu_report_error(err);
            g_error_free(err);
            continue;
        }
        g_hash_table_add(indexed, g_strdup(p->path));
        index_add(p, level);
    }
    g_autofree char *libs = g_build_filename(dir, ".libs", NULL);
    for (int pass = 0; pass < 2; pass++) {
        const char *where = pass ? libs : dir;
        g_autoptr(GDir) sd = g_dir_open(where, 0, NULL);
        g_autoptr(GPtrArray) sos = g_ptr_array_new_with_free_func(g_free);
        while (sd && (n = g_dir_read_name(sd))) {
            if (g_str_has_suffix(n, ".so")) {
                g_ptr_array_add(sos, g_build_filename(where, n, NULL));
            }
        }
        for (guint i = 0; i < sos->len; i++) {
            if (!g_hash_table_contains(indexed, sos->pdata[i])) {
                index_add(plugin_from_so(sos->pdata[i]), level);
            }
        }
    }
}

static bool path_is_under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return !strncmp(path, dir, n) && path[n] == '/';
}

bool emu_runtime_uninstalled(void)
{
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    return exe && path_is_under(exe, EMU_BUILD_DIR);
}

static void add_dir(const char *dir)
{
    g_ptr_array_add(index_.dirs, g_strdup(dir));
}

static void collect_dirs(void)
{
    const char *env = g_getenv("EMU_PLUGIN_PATH");

    if (env && *env) {
        g_auto(GStrv) parts = g_strsplit(env, ":", -1);
        for (char **p = parts; *p; p++) {
            if (**p) add_dir(*p);
        }
    }
    if (emu_runtime_uninstalled()) {
        add_dir(EMU_BUILD_DIR "/plugins");
    }
    add_dir(EMU_PLUGIN_DIR);
}

/* The build tree keeps one folder per plugin: all of them form one level. */
static void index_search_dir(const char *dir, int level)
{
    if (!strcmp(dir, EMU_BUILD_DIR "/plugins")) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *n;
        g_autoptr(GPtrArray) subs = g_ptr_array_new_with_free_func(g_free);
        while (d && (n = g_dir_read_name(d))) {
            g_ptr_array_add(subs, g_build_filename(dir, n, NULL));
        }
        g_ptr_array_sort(subs, compare_strp);
        for (guint i = 0; i < subs->len; i++) {
            if (g_file_test(subs->pdata[i], G_FILE_TEST_IS_DIR)) {
                index_dir(subs->pdata[i], level);
            }
        }
        return;
    }
    index_dir(dir, level);
}

bool plugin_index_build(GError **errp)
{
    if (index_.plugins) {
        return true;
    }
    if (lt_dlinit() != 0) {
        g_set_error(errp, EMU_ERROR, 0, "libltdl: %s", lt_dlerror());
        return false;
    }
    index_.plugins = g_ptr_array_new_with_free_func((GDestroyNotify)plugin_free);
    index_.by_type = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    index_.conflicts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    index_.dirs = g_ptr_array_new_with_free_func(g_free);
    collect_dirs();
    for (guint i = 0; i < index_.dirs->len; i++) {
        emu_log_mask_printf(EMU_LOG_PLUGIN, "plugin: searching %s\n",
                            (char *)index_.dirs->pdata[i]);
        index_search_dir(index_.dirs->pdata[i], i);
    }
    return true;
}

void plugin_index_reset(void)
{
    if (!index_.plugins) {
        return;
    }
    g_ptr_array_unref(index_.plugins);
    g_hash_table_unref(index_.by_type);
    g_hash_table_unref(index_.conflicts);
    g_ptr_array_unref(index_.dirs);
    memset(&index_, 0, sizeof(index_));
}

static bool plugin_load(EmuPlugin *p, GError **errp);

static bool load_requirements(EmuPlugin *p, GError **errp)
{
    for (char **r = p->requires; *r; r++) {
        if (!emu_type_find(bare_type(*r), errp)) {
            g_prefix_error(errp, "plugin %s requires %s: ", p->name, *r);
            return false;
        }
    }
    return true;
}

/* After init: every type the plugin claims must now exist. */
static bool check_provided(EmuPlugin *p, GError **errp)
{
    for (char **t = p->provides; *t; t++) {
        const EmuType *type = type_lookup(bare_type(*t));
        g_autofree char *kind = g_strndup(*t, bare_type(*t) - *t - 1);
        if (!type) {
            g_set_error(errp, EMU_ERROR, 0, "plugin %s (%s) declares %s but "
                        "did not register it", p->name, p->path, *t);
            return false;
        }
        if (bare_type(*t) != *t && strcmp(kind, emu_type_kind(type))) {
            g_set_error(errp, EMU_ERROR, 0, "plugin %s (%s) declares %s but "
                        "registered it as kind '%s'", p->name, p->path, *t,
                        emu_type_kind(type));
            return false;
        }
    }
    return true;
}

static bool plugin_load(EmuPlugin *p, GError **errp)
{
    const EmuPluginInfo *info;
    EmuPlugin *outer = loading;
    bool ok;

    if (p->loaded) {
        return true;
    }
    if (p->refusal) {
        g_set_error_literal(errp, EMU_ERROR, 0, p->refusal);
        return false;
    }
    info = open_descriptor(p->path, &p->handle, errp);
    if (!info) {
        return false;
    }
    /* Whatever the index said, the descriptor is the truth. */
    p->loaded = true;
    if (!load_requirements(p, errp)) {
        return false;
    }
    emu_log_mask_printf(EMU_LOG_PLUGIN, "plugin: loading %s from %s\n",
                        p->name, p->path);
    loading = p;
    ok = info->init(p, errp);
    loading = outer;
    if (!ok) {
        g_prefix_error(errp, "plugin %s (%s): init failed: ", p->name, p->path);
        return false;
    }
    return check_provided(p, errp);
}

char *plugin_refusals(void)
{
    g_autoptr(GPtrArray) msgs = g_ptr_array_new();

    for (guint i = 0; index_.plugins && i < index_.plugins->len; i++) {
        EmuPlugin *p = index_.plugins->pdata[i];
        if (p->refusal) {
            g_ptr_array_add(msgs, p->refusal);
        }
    }
    g_ptr_array_add(msgs, NULL);
    return msgs->len > 1 ? g_strjoinv("; ", (char **)msgs->pdata) : NULL;
}

bool plugin_load_for_type(const char *type, bool *found, GError **errp)
{
    const char *conflict;
    EmuPlugin *p;
    bool ok;

    *found = false;
    if (!plugin_index_build(errp)) {
        return false;
    }
    conflict = g_hash_table_lookup(index_.conflicts, type);
    p = g_hash_table_lookup(index_.by_type, type);
    if (!p) {
        return false;
    }
    *found = true;
    if (conflict) {
        g_set_error_literal(errp, EMU_ERROR, 0, conflict);
        return false;
    }
    g_rec_mutex_lock(&load_lock);
    ok = plugin_load(p, errp);
    g_rec_mutex_unlock(&load_lock);
    return ok;
}

bool emu_plugins_load_kind(const char *kind, GError **errp)
{
    g_autofree char *prefix = g_strconcat(kind, ":", NULL);

    if (!plugin_index_build(errp)) {
        return false;
    }
    for (guint i = 0; i < index_.plugins->len; i++) {
        EmuPlugin *p = index_.plugins->pdata[i];
        for (char **t = p->provides; *t; t++) {
            if (!g_str_has_prefix(*t, prefix) ||
                g_hash_table_lookup(index_.by_type, bare_type(*t)) != p) {
                continue;
            }
            if (!emu_type_find(bare_type(*t), errp)) {
                return false;
            }
        }
    }
    return true;
}

void plugin_print_list(FILE *out)
{
    if (!plugin_index_build(NULL)) {
        return;
    }
    fprintf(out, "%-16s %-8s %-5s %-40s %s\n", "NAME", "VERSION", "ABI",
            "PROVIDES", "PATH");
    for (guint i = 0; i < index_.plugins->len; i++) {
        EmuPlugin *p = index_.plugins->pdata[i];
        if (p->refusal) {
            fprintf(stderr, "emu: refused plugin %s\n", p->refusal);
            continue;
        }
        g_autofree char *abi = g_strdup_printf("%u.%u", p->abi_major,
                                               p->abi_minor);
        g_autofree char *prov = g_strjoinv(",", p->provides);
        fprintf(out, "%-16s %-8s %-5s %-40s %s\n", p->name, p->version, abi,
                prov, p->path);
    }
    GHashTableIter it;
    gpointer key, msg;
    g_hash_table_iter_init(&it, index_.conflicts);
    while (g_hash_table_iter_next(&it, &key, &msg)) {
        fprintf(stderr, "emu: %s\n", (char *)msg);
    }
}

bool plugin_describe_file(const char *path, FILE *out, GError **errp)
{
    lt_dlhandle h;
    const EmuPluginInfo *info;
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autofree char *abi = NULL, *data = NULL;
    EmuPlugin p = { 0 };

    if (lt_dlinit() != 0) {
        g_set_error(errp, EMU_ERROR, 0, "libltdl: %s", lt_dlerror());
        return false;
    }
    info = open_descriptor(path, &h, errp);
    if (!info) {
        return false;
    }
    fill_from_descriptor(&p, info);
    abi = g_strdup_printf("%u.%u", p.abi_major, p.abi_minor);
    g_key_file_set_string(kf, "plugin", "name", p.name);
    g_key_file_set_string(kf, "plugin", "version", p.version);
    g_key_file_set_string(kf, "plugin", "abi", abi);
    g_key_file_set_string(kf, "plugin", "license", p.license);
    g_key_file_set_string(kf, "plugin", "description", p.description);
    g_key_file_set_string_list(kf, "plugin", "provides",
                               (const char *const *)p.provides,
                               g_strv_length(p.provides));
    g_key_file_set_string_list(kf, "plugin", "requires",
                               (const char *const *)p.requires,
                               g_strv_length(p.requires));
    data = g_key_file_to_data(kf, NULL, NULL);
    fputs(data, out);
    g_free(p.name);
    g_free(p.version);
    g_free(p.license);
    g_free(p.description);
    g_strfreev(p.provides);
    g_strfreev(p.requires);
    lt_dlclose(h);
    return true;
}
