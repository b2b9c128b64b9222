/*
 * Creating chardevs from command-line text.  Error messages name the
 * backend and the key but not the option: the caller prefixes "-chardev: "
 * or "-serial: ".
 *
 * -chardev BACKEND,id=ID,key=val,...  follows QEMU's option syntax: ",,"
 * is a literal comma inside a value, a bare key means key=on and "noKEY"
 * means KEY=off (so the legacy "server,nowait" works).  Keys are the
 * backend type's properties; anything else is an error naming the key.
 * The -serial/-monitor shorthand (tcp:HOST:PORT, mon:stdio, ...) is
 * rewritten into -chardev syntax and goes the same way.
 */
#include "char-internal.h"
#include <string.h>

typedef struct ChrOpt {
    char *key;
    char *value;            /* NULL for a bare flag */
} ChrOpt;

static void chr_opt_free(gpointer p)
{
    ChrOpt *o = p;

    g_free(o->key);
    g_free(o->value);
    g_free(o);
}

/* Splits "a,b=c,,d" into items, un-doubling ",,". */
static GPtrArray *split_items(const char *s)
{
    GPtrArray *items = g_ptr_array_new_with_free_func(g_free);
    GString *cur = g_string_new(NULL);

    for (; *s; s++) {
        if (*s == ',' && s[1] == ',') {
            g_string_append_c(cur, ',');
            s++;
        } else if (*s == ',') {
            g_ptr_array_add(items, g_string_free(cur, FALSE));
            cur = g_string_new(NULL);
        } else {
            g_string_append_c(cur, *s);
        }
    }
    g_ptr_array_add(items, g_string_free(cur, FALSE));
    return items;
}

static ChrOpt *parse_item(const char *item)
{
    ChrOpt *o = g_new0(ChrOpt, 1);
    const char *eq = strchr(item, '=');

    if (eq) {
        o->key = g_strndup(item, eq - item);
        o->value = g_strdup(eq + 1);
    } else {
        o->key = g_strdup(item);
    }
    return o;
}

/* Sets one option; a bare "KEY" is KEY=on, a bare "noKEY" KEY=off. */
static bool set_opt(EmuObject *obj, const char *backend, const ChrOpt *o,
                    GError **errp)
{
    const char *key = o->key;
    const char *value = o->value;

    if (!value && !emu_object_has_prop(obj, key) &&
        g_str_has_prefix(key, "no") && emu_object_has_prop(obj, key + 2)) {
        key += 2;
        value = "off";
    } else if (!value) {
        value = "on";
    }
    if (!emu_object_has_prop(obj, key)) {
        g_set_error(errp, EMU_ERROR, 0, "backend '%s' has no option '%s'",
                    backend, o->key);
        return false;
    }
    if (!emu_object_set_prop(obj, key, value, errp)) {
        g_prefix_error(errp, "backend '%s', option '%s': ", backend, key);
        return false;
    }
    return true;
}

static bool realize_and_add(EmuObject *obj, GError **errp)
{
    return emu_object_realize(obj, errp) &&
           emu_object_add_child(emu_object_root(), obj, errp);
}

static EmuObject *new_backend(const char *backend, const char *id,
                              GPtrArray *opts, GError **errp)
{
    g_autofree char *type = g_strdup_printf("chardev-%s", backend);
    GError *err = NULL;
    EmuObject *obj;

    if (emu_object_find(id)) {
        g_set_error(errp, EMU_ERROR, 0, "duplicate id '%s'", id);
        return NULL;
    }
    if (!emu_type_find(type, &err)) {
        g_error_free(err);
        g_set_error(errp, EMU_ERROR, 0, "unknown backend '%s'", backend);
        return NULL;
    }
    obj = emu_object_new(type, id, errp);
    if (!obj) {
        return NULL;
    }
    for (guint i = 0; i < opts->len; i++) {
        if (!set_opt(obj, backend, opts->pdata[i], errp)) {
            emu_object_unref(obj);
            return NULL;
        }
    }
    if (!realize_and_add(obj, errp)) {
        emu_object_unref(obj);
        return NULL;
    }
    return obj;
}

static EmuObject *new_mux(const char *id, const char *base_id,
                          GError **errp)
{
    EmuObject *mux = emu_object_new("chardev-mux", id, errp);

    if (!mux) {
        return NULL;
    }
    if (!emu_object_set_prop(mux, "chardev", base_id, errp) ||
        !realize_and_add(mux, errp)) {
        emu_object_unref(mux);
        return NULL;
    }
    return mux;
}

/* Pulls id= and mux= out of opts. */
static bool take_common(GPtrArray *opts, const char *backend, char **id,
                        bool *mux, GError **errp)
{
    for (guint i = 0; i < opts->len;) {
        ChrOpt *o = opts->pdata[i];
        if (!strcmp(o->key, "id") && o->value) {
            g_free(*id);
            *id = g_strdup(o->value);
        } else if (!strcmp(o->key, "mux")) {
            *mux = !o->value || !strcmp(o->value, "on") ||
                   !strcmp(o->value, "yes") || !strcmp(o->value, "true");
        } else {
            i++;
            continue;
        }
        g_ptr_array_remove_index(opts, i);
    }
    if (!*id || !**id) {
        g_set_error(errp, EMU_ERROR, 0, "backend '%s' needs an id=",
                    backend);
        return false;
    }
    return true;
}

EmuObject *chardev_new_from_opts(const char *text, GError **errp)
{
    g_autoptr(GPtrArray) items = split_items(text);
    g_autoptr(GPtrArray) opts = g_ptr_array_new_with_free_func(chr_opt_free);
    const char *backend = items->pdata[0];
    g_autofree char *id = NULL;
    g_autofree char *base_id = NULL;
    bool mux = false;

    if (!*backend || strchr(backend, '=')) {
        g_set_error(errp, EMU_ERROR, 0, "'%s': the backend name (socket, "
                    "stdio, pty, ...) must come first", text);
        return NULL;
    }
    for (guint i = 1; i < items->len; i++) {
        g_ptr_array_add(opts, parse_item(items->pdata[i]));
    }
    if (!take_common(opts, backend, &id, &mux, errp)) {
        return NULL;
    }
    if (!mux) {
        return new_backend(backend, id, opts, errp);
    }
    base_id = g_strdup_printf("%s-base", id);
    if (!new_backend(backend, base_id, opts, errp)) {
        return NULL;
    }
    return new_mux(id, base_id, errp);
}

/* ---- -serial / -monitor shorthand ---- */

static char *escape_commas(const char *s)
{
    g_auto(GStrv) parts = g_strsplit(s, ",", -1);

    return g_strjoinv(",,", parts);
}

/* "HOST:PORT[,opts]" -> "host=HOST,port=PORT[,opts]" */
static char *tcp_to_opts(const char *rest, GError **errp)
{
    const char *comma = strchr(rest, ',');
    g_autofree char *addr = comma ? g_strndup(rest, comma - rest)
                                  : g_strdup(rest);
    char *colon = strrchr(addr, ':');
    g_autofree char *host = NULL;

    if (!colon || !colon[1]) {
        g_set_error(errp, EMU_ERROR, 0, "tcp:%s: expected tcp:HOST:PORT",
                    rest);
        return NULL;
    }
    *colon = '\0';
    host = g_strdup(addr);
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        memmove(host, host + 1, strlen(host) - 2);
        host[strlen(host) - 2] = '\0';
    }
    return g_strdup_printf("%s%s%sport=%s%s", *host ? "host=" : "", host,
                           *host ? "," : "", colon + 1, comma ? comma : "");
}

/* "PATH[,opts]" -> "path=PATH[,opts]" */
static char *unix_to_opts(const char *rest)
{
    const char *comma = strchr(rest, ',');
    g_autofree char *path = comma ? g_strndup(rest, comma - rest)
                                  : g_strdup(rest);
    g_autofree char *esc = escape_commas(path);

    return g_strdup_printf("path=%s%s", esc, comma ? comma : "");
}

/* The -chardev options (after BACKEND,id=ID) for a shorthand spec. */
static char *spec_to_opts(const char *spec, GError **errp)
{
    static const char *const plain[] = { "stdio", "null", "pty", NULL };
    g_autofree char *tail = NULL;

    if (g_strv_contains(plain, spec)) {
        return g_strdup(spec);
    }
    if (g_str_has_prefix(spec, "file:") || g_str_has_prefix(spec, "pipe:")) {
        g_autofree char *esc = escape_commas(strchr(spec, ':') + 1);
        return g_strdup_printf("%.4s,path=%s", spec, esc);
    }
    if (g_str_has_prefix(spec, "tcp:")) {
        tail = tcp_to_opts(spec + 4, errp);
        return tail ? g_strdup_printf("socket,%s", tail) : NULL;
    }
    if (g_str_has_prefix(spec, "unix:")) {
        tail = unix_to_opts(spec + 5);
        return g_strdup_printf("socket,%s", tail);
    }
    g_set_error(errp, EMU_ERROR, 0, "unknown character device '%s' (try "
                "stdio, null, pty, file:, pipe:, tcp:, unix:, mon:, none)",
                spec);
    return NULL;
}

/* Puts ",id=ID" after the backend name of a -chardev string. */
static char *insert_id(const char *opts, const char *id)
{
    const char *comma = strchr(opts, ',');
    int blen = comma ? (int)(comma - opts) : (int)strlen(opts);

    return g_strdup_printf("%.*s,id=%s%s", blen, opts, id,
                           comma ? comma : "");
}

EmuObject *chardev_new_from_spec(const char *id, const char *spec,
                                 GError **errp)
{
    bool mux = g_str_has_prefix(spec, "mon:");
    g_autofree char *opts = NULL;
    g_autofree char *full = NULL;

    if (!strcmp(spec, "none")) {
        return NULL;
    }
    opts = spec_to_opts(mux ? spec + 4 : spec, errp);
    if (!opts) {
        return NULL;
    }
    full = insert_id(opts, id);
    if (mux) {
        char *with_mux = g_strconcat(full, ",mux=on", NULL);
        g_free(full);
        full = with_mux;
    }
    return chardev_new_from_opts(full, errp);
}
