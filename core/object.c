/*
 * The object model: type registry, instances, properties, the object tree,
 * IRQ lines and state descriptions.
 *
 * Hooks along a type chain: init runs for every level from the root down
 * (each type initialises its own part), finalize from the leaf up; realize,
 * unrealize and reset use the nearest type that defines one, which may
 * call its parent's explicitly.  All of this runs under the big lock (or
 * before vCPUs start); nothing here is thread-safe on its own.
 */
#include "object-internal.h"
#include "plugin.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

typedef struct IrqInput {
    char *name;
    int count;
    EmuIrq *lines;
} IrqInput;

struct EmuIrq {
    EmuIrqHandler handler;
    void *opaque;
    int n;
};

struct EmuObjectPriv {
    char *id;
    EmuObject *parent;
    GPtrArray *children;        /* EmuObject *, insertion order, owned */
    int refcount;
    bool realized;
    GPtrArray *irq_inputs;      /* IrqInput * */
};

static GHashTable *types;       /* name -> EmuType * */
static GHashTable *ids;         /* id -> EmuObject * (not owned) */
static EmuObject *root;

/* ---- types ---------------------------------------------------------- */

static const char *const root_kinds[] = {
    "object", "device", "block", "cpu", "accel", "ui", "netdev", "chardev",
    "machine", NULL,
};

void object_register_core_types(void)
{
    static const EmuTypeInfo container = {
        EMU_TYPE_HEADER, .name = "container", .parent = "object",
        .description = "a node of the object tree that groups others",
        .instance_size = sizeof(EmuObject),
    };
    /* Devices that hand vectors to CPUs: class_data is an EmuIntcClass. */
    static const EmuTypeInfo intc = {
        EMU_TYPE_HEADER, .name = "interrupt-controller", .parent = "device",
        .abstract = true, .instance_size = sizeof(EmuObject),
        .description = "interrupt controllers (see emu/intc.h)",
    };

    if (types) {
        return;
    }
    types = g_hash_table_new(g_str_hash, g_str_equal);
    ids = g_hash_table_new(g_str_hash, g_str_equal);
    for (const char *const *k = root_kinds; *k; k++) {
        /* The registry copies the descriptor: a local one will do. */
        EmuTypeInfo info = {
            EMU_TYPE_HEADER, .name = *k, .abstract = true,
            .instance_size = sizeof(EmuObject),
            .description = "root type of its kind",
        };
        emu_type_register(&info, NULL);
    }
    emu_type_register(&container, NULL);
    emu_type_register(&intc, NULL);
}

const EmuType *type_lookup(const char *name)
{
    object_register_core_types();
    return g_hash_table_lookup(types, name);
}

bool emu_type_register(const EmuTypeInfo *info, GError **errp)
{
    EmuType *t;
    const EmuType *parent = NULL;

    object_register_core_types();
    if (!info->name || info->size < offsetof(EmuTypeInfo, class_data)) {
        g_set_error(errp, EMU_ERROR, 0, "plugin %s: type descriptor without "
                    "a name or size", emu_plugin_name(plugin_current()));
        return false;
    }
    if (g_hash_table_contains(types, info->name)) {
        const EmuType *old = g_hash_table_lookup(types, info->name);
        g_set_error(errp, EMU_ERROR, 0, "plugin %s: type '%s' is already "
                    "registered by %s", emu_plugin_name(plugin_current()),
                    info->name, emu_plugin_name(old->plugin));
        return false;
    }
    if (info->parent && !(parent = type_lookup(info->parent))) {
        g_set_error(errp, EMU_ERROR, 0, "plugin %s: type '%s' has unknown "
                    "parent '%s'", emu_plugin_name(plugin_current()),
                    info->name, info->parent);
        return false;
    }
    t = g_new0(EmuType, 1);
    memcpy(&t->info, info, MIN(info->size, sizeof(t->info)));
    t->info.size = sizeof(t->info);
    t->parent = parent;
    t->kind = parent ? parent->kind : info->name;
    t->instance_size = info->instance_size ? info->instance_size
                       : parent ? parent->instance_size : sizeof(EmuObject);
    t->plugin = plugin_current();
    g_hash_table_insert(types, (char *)t->info.name, t);
    return true;
}

const EmuType *emu_type_find(const char *name, GError **errp)
{
    const EmuType *t = type_lookup(name);
    bool found;
    GError *err = NULL;

    if (t) {
        return t;
    }
    if (!plugin_load_for_type(name, &found, &err)) {
        if (!found && !err) {
            g_autofree char *refused = plugin_refusals();
            g_set_error(errp, EMU_ERROR, 0, "unknown type '%s'%s%s", name,
                        refused ? "; refused plugins: " : "",
                        refused ? refused : "");
        } else {
            g_propagate_error(errp, err);
        }
        return NULL;
    }
    return type_lookup(name);
}

const char *emu_type_name(const EmuType *type) { return type->info.name; }
const char *emu_type_kind(const EmuType *type) { return type->kind; }
const void *emu_type_class_data(const EmuType *type) { return type->info.class_data; }
EmuPlugin *type_plugin(const EmuType *type) { return type->plugin; }

const char *emu_type_description(const EmuType *type)
{
    return type->info.description ? type->info.description : "";
}

bool emu_type_is_a(const EmuType *type, const char *ancestor)
{
    for (; type; type = type->parent) {
        if (!strcmp(type->info.name, ancestor)) {
            return true;
        }
    }
    return false;
}

static gint compare_type_names(gconstpointer a, gconstpointer b)
{
    return strcmp((*(EmuType *const *)a)->info.name,
                  (*(EmuType *const *)b)->info.name);
}

GPtrArray *emu_type_list(const char *ancestor)
{
    GPtrArray *list = g_ptr_array_new();
    GHashTableIter it;
    gpointer value;

    object_register_core_types();
    g_hash_table_iter_init(&it, types);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        const EmuType *t = value;
        if (!t->info.abstract && emu_type_is_a(t, ancestor)) {
            g_ptr_array_add(list, value);
        }
    }
    g_ptr_array_sort(list, compare_type_names);
    return list;
}

const EmuProperty *type_find_prop(const EmuType *type, const char *name)
{
    for (; type; type = type->parent) {
        for (const EmuProperty *p = type->info.props; p && p->name; p++) {
            if (!strcmp(p->name, name)) {
                return p;
            }
        }
    }
    return NULL;
}

static const char *prop_type_name(const EmuProperty *p)
{
    static const char *const names[] = {
        [EMU_PROP_BOOL] = "bool", [EMU_PROP_U8] = "uint8",
        [EMU_PROP_U16] = "uint16", [EMU_PROP_U32] = "uint32",
        [EMU_PROP_U64] = "uint64", [EMU_PROP_I64] = "int64",
        [EMU_PROP_SIZE] = "size", [EMU_PROP_STRING] = "str",
        [EMU_PROP_ENUM] = "enum", [EMU_PROP_LINK] = "link",
        [EMU_PROP_IRQ] = "irq",
    };
    return p->type < G_N_ELEMENTS(names) ? names[p->type] : "?";
}

char *emu_type_describe_props(const EmuType *type)
{
    GString *s = g_string_new(NULL);

    for (const EmuType *t = type; t; t = t->parent) {
        for (const EmuProperty *p = t->info.props; p && p->name; p++) {
            g_autofree char *kind = NULL;
            if (p->type == EMU_PROP_ENUM) {
                g_autofree char *vals = g_strjoinv("|", (char **)p->enum_values);
                kind = g_strdup_printf("enum(%s)", vals);
            } else if (p->type == EMU_PROP_LINK) {
                kind = g_strdup_printf("link<%s>", p->link_type ? p->link_type : "object");
            } else {
                kind = g_strdup(prop_type_name(p));
            }
            g_string_append_printf(s, "  %s=<%s>", p->name, kind);
            if (p->defval) {
                g_string_append_printf(s, " (default: %s)", p->defval);
            }
            if (p->description) {
                g_string_append_printf(s, " - %s", p->description);
            }
            g_string_append_c(s, '\n');
        }
    }
    return g_string_free(s, false);
}

/* ---- property values -------------------------------------------------- */

static bool parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = { "on", "true", "yes", "1", NULL };
    static const char *const no[] = { "off", "false", "no", "0", NULL };
    if (g_strv_contains(yes, v)) { *out = true; return true; }
    if (g_strv_contains(no, v)) { *out = false; return true; }
    return false;
}

static bool parse_u64(const char *v, uint64_t *out)
{
    char *end;
    if (!*v || *v == '-') {
        return false;
    }
    errno = 0;
    *out = g_ascii_strtoull(v, &end, 0);
    return !errno && !*end;
}

bool emu_parse_size(const char *v, uint64_t *out)
{
    char *end;
    uint64_t n;
    unsigned shift = 0;

    if (!*v || *v == '-' || !g_ascii_isdigit(*v)) {
        return false;
    }
    errno = 0;
    n = g_ascii_strtoull(v, &end, 10);
    if (errno) {
        return false;
    }
    switch (g_ascii_tolower(*end)) {
    case '\0': break;
    case 'b': shift = 0; end++; break;
    case 'k': shift = 10; end++; break;
    case 'm': shift = 20; end++; break;
    case 'g': shift = 30; end++; break;
    case 't': shift = 40; end++; break;
    case 'p': shift = 50; end++; break;
    case 'e': shift = 60; end++; break;
    default: return false;
    }
    if (*end == 'B' && shift) {
        end++;                  /* "64MB" as well as "64M" */
    }
    if (*end || (shift && n > (UINT64_MAX >> shift))) {
        return false;
    }
    *out = n << shift;
    return true;
}

static void *field(EmuObject *obj, const EmuProperty *p)
{
    return (char *)obj + p->offset;
}

static bool set_uint(EmuObject *obj, const EmuProperty *p, const char *v,
                     uint64_t max)
{
    uint64_t n;
    if (!parse_u64(v, &n) || n > max) {
        return false;
    }
    switch (p->type) {
    case EMU_PROP_U8: *(uint8_t *)field(obj, p) = n; break;
    case EMU_PROP_U16: *(uint16_t *)field(obj, p) = n; break;
    case EMU_PROP_U32: *(uint32_t *)field(obj, p) = n; break;
    default: *(uint64_t *)field(obj, p) = n; break;
    }
    return true;
}

static bool set_link(EmuObject *obj, const EmuProperty *p, const char *v,
                     GError **errp)
{
    EmuObject *target = emu_object_find(v);
    const char *want = p->link_type ? p->link_type : "object";

    if (!target) {
        g_set_error(errp, EMU_ERROR, 0, "no object with id '%s'", v);
        return false;
    }
    if (!emu_object_is_a(target, want)) {
        g_set_error(errp, EMU_ERROR, 0, "'%s' is a %s, not a %s", v,
                    emu_object_type_name(target), want);
        return false;
    }
    *(EmuObject **)field(obj, p) = target;
    return true;
}

static bool set_enum(EmuObject *obj, const EmuProperty *p, const char *v)
{
    for (int i = 0; p->enum_values && p->enum_values[i]; i++) {
        if (!strcmp(p->enum_values[i], v)) {
            *(int *)field(obj, p) = i;
            return true;
        }
    }
    return false;
}

static bool prop_parse(EmuObject *obj, const EmuProperty *p, const char *v,
                       GError **errp)
{
    bool ok = true;
    switch (p->type) {
    case EMU_PROP_BOOL: ok = parse_bool(v, (bool *)field(obj, p)); break;
    case EMU_PROP_U8: ok = set_uint(obj, p, v, UINT8_MAX); break;
    case EMU_PROP_U16: ok = set_uint(obj, p, v, UINT16_MAX); break;
    case EMU_PROP_U32: ok = set_uint(obj, p, v, UINT32_MAX); break;
    case EMU_PROP_U64: ok = set_uint(obj, p, v, UINT64_MAX); break;
    case EMU_PROP_I64: {
        char *end;
        errno = 0;
        int64_t n = g_ascii_strtoll(v, &end, 0);
        ok = *v && !*end && !errno;
        if (ok) *(int64_t *)field(obj, p) = n;
        break;
    }
    case EMU_PROP_SIZE: ok = emu_parse_size(v, (uint64_t *)field(obj, p)); break;
    case EMU_PROP_STRING:
        g_free(*(char **)field(obj, p));
        *(char **)field(obj, p) = g_strdup(v);
        break;
    case EMU_PROP_ENUM: ok = set_enum(obj, p, v); break;
    case EMU_PROP_LINK: return set_link(obj, p, v, errp);
    case EMU_PROP_IRQ: {
        EmuIrq *irq = emu_irq_find(v, errp);
        if (!irq) return false;
        *(EmuIrq **)field(obj, p) = irq;
        break;
    }
    }
    if (!ok) {
        g_autofree char *vals = p->type == EMU_PROP_ENUM && p->enum_values
            ? g_strjoinv(", ", (char **)p->enum_values) : NULL;
        g_set_error(errp, EMU_ERROR, 0, "'%s' is not a valid %s%s%s", v,
                    prop_type_name(p), vals ? ": expected one of " : "",
                    vals ? vals : "");
    }
    return ok;
}

bool emu_object_set_prop(EmuObject *obj, const char *name, const char *value,
                         GError **errp)
{
    const EmuProperty *p = type_find_prop(obj->type, name);

    if (!p) {
        g_set_error(errp, EMU_ERROR, 0, "%s has no property '%s'",
                    emu_object_type_name(obj), name);
        return false;
    }
    if (obj->priv->realized) {
        g_set_error(errp, EMU_ERROR, 0, "%s: property '%s' cannot change "
                    "after realize", emu_object_type_name(obj), name);
        return false;
    }
    if (!prop_parse(obj, p, value, errp)) {
        g_prefix_error(errp, "property '%s' of %s: ", name,
                       emu_object_type_name(obj));
        return false;
    }
    return true;
}

void object_print_props(EmuObject *obj, int indent, FILE *out)
{
    for (const EmuType *t = obj->type; t; t = t->parent) {
        for (const EmuProperty *p = t->info.props; p && p->name; p++) {
            g_autofree char *v = emu_object_get_prop(obj, p->name, NULL);
            fprintf(out, "%*s%s = %s\n", indent, "", p->name, v);
        }
    }
}

bool emu_object_has_prop(EmuObject *obj, const char *name)
{
    return type_find_prop(obj->type, name) != NULL;
}

char *emu_object_get_prop(EmuObject *obj, const char *name, GError **errp)
{
    const EmuProperty *p = type_find_prop(obj->type, name);
    void *f;

    if (!p) {
        g_set_error(errp, EMU_ERROR, 0, "%s has no property '%s'",
                    emu_object_type_name(obj), name);
        return NULL;
    }
    f = field(obj, p);
    switch (p->type) {
    case EMU_PROP_BOOL: return g_strdup(*(bool *)f ? "on" : "off");
    case EMU_PROP_U8: return g_strdup_printf("%u", *(uint8_t *)f);
    case EMU_PROP_U16: return g_strdup_printf("%u", *(uint16_t *)f);
    case EMU_PROP_U32: return g_strdup_printf("%u", *(uint32_t *)f);
    case EMU_PROP_U64:
    case EMU_PROP_SIZE:
        return g_strdup_printf("%" G_GUINT64_FORMAT, *(uint64_t *)f);
    case EMU_PROP_I64: return g_strdup_printf("%" G_GINT64_FORMAT, *(int64_t *)f);
    case EMU_PROP_STRING: return g_strdup(*(char **)f ? *(char **)f : "");
    case EMU_PROP_ENUM: return g_strdup(p->enum_values[*(int *)f]);
    case EMU_PROP_LINK: {
        EmuObject *t = *(EmuObject **)f;
        return g_strdup(t ? emu_object_id(t) : "");
    }
    case EMU_PROP_IRQ: return g_strdup(*(EmuIrq **)f ? "connected" : "");
    }
    return NULL;
}

/* ---- instances -------------------------------------------------------- */

static bool set_defaults(EmuObject *obj, GError **errp)
{
    for (const EmuType *t = obj->type; t; t = t->parent) {
        for (const EmuProperty *p = t->info.props; p && p->name; p++) {
            if (p->defval && !prop_parse(obj, p, p->defval, errp)) {
                g_prefix_error(errp, "type %s: bad default for '%s': ",
                               t->info.name, p->name);
                return false;
            }
        }
    }
    return true;
}

static void run_inits(EmuObject *obj, const EmuType *t)
{
    if (!t) {
        return;
    }
    run_inits(obj, t->parent);
    if (t->info.init) {
        t->info.init(obj);
    }
}

EmuObject *emu_object_new(const char *type, const char *id, GError **errp)
{
    const EmuType *t = emu_type_find(type, errp);
    EmuObject *obj;

    if (!t) {
        return NULL;
    }
    if (t->info.abstract) {
        g_set_error(errp, EMU_ERROR, 0, "type '%s' is abstract", type);
        return NULL;
    }
    if (id && !emu_object_id_valid(id)) {
        g_set_error(errp, EMU_ERROR, 0, "'%s' is not a valid id (letters, "
                    "digits, '-', '_', '.'; starting with a letter)", id);
        return NULL;
    }
    obj = g_malloc0(MAX(t->instance_size, sizeof(EmuObject)));
    obj->type = t;
    obj->priv = g_new0(struct EmuObjectPriv, 1);
    obj->priv->id = g_strdup(id);
    obj->priv->refcount = 1;
    obj->priv->children = g_ptr_array_new();
    obj->priv->irq_inputs = g_ptr_array_new();
    if (!set_defaults(obj, errp)) {
        emu_object_unref(obj);
        return NULL;
    }
    run_inits(obj, t);
    return obj;
}

bool emu_object_id_valid(const char *id)
{
    if (!g_ascii_isalpha(*id)) {
        return false;
    }
    for (const char *c = id; *c; c++) {
        if (!g_ascii_isalnum(*c) && !strchr("-_.", *c)) {
            return false;
        }
    }
    return true;
}

#define NEAREST_HOOK(obj, hook) ({ \
    const EmuType *t_ = (obj)->type; \
    while (t_ && !t_->info.hook) t_ = t_->parent; \
    t_ ? t_->info.hook : NULL; })

bool emu_object_realize(EmuObject *obj, GError **errp)
{
    bool (*realize)(EmuObject *, GError **) = NEAREST_HOOK(obj, realize);

    if (obj->priv->realized) {
        return true;
    }
    if (realize && !realize(obj, errp)) {
        return false;
    }
    obj->priv->realized = true;
    return true;
}

bool emu_object_is_realized(EmuObject *obj)
{
    return obj->priv->realized;
}

static void reset_one(EmuObject *obj, int depth, void *opaque)
{
    void (*reset)(EmuObject *) = NEAREST_HOOK(obj, reset);
    if (reset && obj->priv->realized) {
        reset(obj);
    }
}

void emu_object_reset(EmuObject *obj)
{
    emu_object_walk(obj, reset_one, NULL);
}

static void free_props(EmuObject *obj)
{
    for (const EmuType *t = obj->type; t; t = t->parent) {
        for (const EmuProperty *p = t->info.props; p && p->name; p++) {
            if (p->type == EMU_PROP_STRING) {
                g_free(*(char **)field(obj, p));
            }
        }
    }
}

static void object_finalize(EmuObject *obj)
{
    void (*unrealize)(EmuObject *) = NEAREST_HOOK(obj, unrealize);

    for (guint i = obj->priv->children->len; i > 0; i--) {
        EmuObject *child = obj->priv->children->pdata[i - 1];
        child->priv->parent = NULL;
        emu_object_unref(child);
    }
    if (obj->priv->realized && unrealize) {
        unrealize(obj);
    }
    for (const EmuType *t = obj->type; t; t = t->parent) {
        if (t->info.finalize) {
            t->info.finalize(obj);
        }
    }
    if (obj->priv->id && ids && g_hash_table_lookup(ids, obj->priv->id) == obj) {
        g_hash_table_remove(ids, obj->priv->id);
    }
    for (guint i = 0; i < obj->priv->irq_inputs->len; i++) {
        IrqInput *in = obj->priv->irq_inputs->pdata[i];
        g_free(in->name);
        g_free(in->lines);
        g_free(in);
    }
    free_props(obj);
    g_ptr_array_free(obj->priv->irq_inputs, true);
    g_ptr_array_free(obj->priv->children, true);
    g_free(obj->priv->id);
    g_free(obj->priv);
    g_free(obj);
}

void emu_object_unref(EmuObject *obj)
{
    if (obj && --obj->priv->refcount == 0) {
        object_finalize(obj);
    }
}

const char *emu_object_id(EmuObject *obj) { return obj->priv->id; }
const char *emu_object_type_name(EmuObject *obj) { return obj->type->info.name; }

bool emu_object_is_a(EmuObject *obj, const char *ancestor)
{
    return emu_type_is_a(obj->type, ancestor);
}

void *emu_object_check(EmuObject *obj, const char *type, const char *file,
                       int line)
{
    if (obj && !emu_object_is_a(obj, type)) {
        g_error("%s:%d: object of type %s used as %s", file, line,
                emu_object_type_name(obj), type);
    }
    return obj;
}

/* ---- the tree --------------------------------------------------------- */

EmuObject *emu_object_root(void)
{
    if (!root) {
        root = emu_object_new("container", NULL, NULL);
        root->priv->realized = true;
    }
    return root;
}

bool emu_object_add_child(EmuObject *parent, EmuObject *child, GError **errp)
{
    const char *id = child->priv->id;

    if (!id) {
        g_set_error(errp, EMU_ERROR, 0, "a %s needs an id to join the "
                    "object tree", emu_object_type_name(child));
        return false;
    }
    if (g_hash_table_contains(ids, id)) {
        g_set_error(errp, EMU_ERROR, 0, "duplicate id '%s'", id);
        return false;
    }
    g_hash_table_insert(ids, child->priv->id, child);
    child->priv->parent = parent;
    g_ptr_array_add(parent->priv->children, child);
    return true;
}

static EmuObject *child_named(EmuObject *parent, const char *id)
{
    for (guint i = 0; i < parent->priv->children->len; i++) {
        EmuObject *c = parent->priv->children->pdata[i];
        if (!g_strcmp0(c->priv->id, id)) {
            return c;
        }
    }
    return NULL;
}

EmuObject *emu_object_find(const char *id_or_path)
{
    EmuObject *o = emu_object_root();

    if (id_or_path[0] != '/') {
        return g_hash_table_lookup(ids, id_or_path);
    }
    g_auto(GStrv) parts = g_strsplit(id_or_path + 1, "/", -1);
    for (char **p = parts; *p && o; p++) {
        if (**p) {
            o = child_named(o, *p);
        }
    }
    return o;
}

char *emu_object_path(EmuObject *obj)
{
    GString *s = g_string_new(NULL);
    for (; obj && obj->priv->parent; obj = obj->priv->parent) {
        g_string_prepend(s, obj->priv->id);
        g_string_prepend_c(s, '/');
    }
    if (!s->len) {
        g_string_append_c(s, '/');
    }
    return g_string_free(s, false);
}

static void walk(EmuObject *o, int depth,
                 void (*fn)(EmuObject *, int, void *), void *opaque)
{
    fn(o, depth, opaque);
    for (guint i = 0; i < o->priv->children->len; i++) {
        walk(o->priv->children->pdata[i], depth + 1, fn, opaque);
    }
}

void emu_object_walk(EmuObject *start, void (*fn)(EmuObject *, int, void *),
                     void *opaque)
{
    walk(start, 0, fn, opaque);
}

void object_tree_destroy(void)
{
    if (root) {
        emu_object_unref(root);
        root = NULL;
    }
}

/* ---- IRQ lines -------------------------------------------------------- */

void emu_irq_init_in(EmuObject *dev, const char *name, int count,
                     EmuIrqHandler handler, void *opaque)
{
    IrqInput *in = g_new0(IrqInput, 1);

    in->name = g_strdup(name ? name : "in");
    in->count = count;
    in->lines = g_new0(EmuIrq, count);
    for (int i = 0; i < count; i++) {
        in->lines[i] = (EmuIrq){ .handler = handler, .opaque = opaque, .n = i };
    }
    g_ptr_array_add(dev->priv->irq_inputs, in);
}

EmuIrq *emu_irq_get(EmuObject *dev, const char *name, int n)
{
    for (guint i = 0; i < dev->priv->irq_inputs->len; i++) {
        IrqInput *in = dev->priv->irq_inputs->pdata[i];
        if ((!name || !strcmp(in->name, name)) && n >= 0 && n < in->count) {
            return &in->lines[n];
        }
    }
    return NULL;
}

/* "dev.N" (the device's first input group) or "dev.group.N". */
EmuIrq *emu_irq_find(const char *spec, GError **errp)
{
    const char *dot = strrchr(spec, '.');
    g_autofree char *head = NULL;
    const char *group = NULL;
    EmuObject *dev;
    uint64_t n;
    EmuIrq *irq;

    if (!dot || !parse_u64(dot + 1, &n)) {
        g_set_error(errp, EMU_ERROR, 0, "'%s' is not an IRQ line: expected "
                    "DEVICE.N or DEVICE.INPUT.N", spec);
        return NULL;
    }
    head = g_strndup(spec, dot - spec);
    dev = emu_object_find(head);
    if (!dev) {
        char *gdot = strrchr(head, '.');
        if (gdot) {
            *gdot = '\0';
            group = gdot + 1;
            dev = emu_object_find(head);
        }
    }
    if (!dev) {
        g_set_error(errp, EMU_ERROR, 0, "IRQ line '%s': no device '%s'",
                    spec, head);
        return NULL;
    }
    irq = n <= INT_MAX ? emu_irq_get(dev, group, (int)n) : NULL;
    if (!irq) {
        g_set_error(errp, EMU_ERROR, 0, "IRQ line '%s': %s has no such input",
                    spec, head);
    }
    return irq;
}

void emu_irq_set(EmuIrq *irq, int level)
{
    if (irq && irq->handler) {
        irq->handler(irq->opaque, irq->n, level);
    }
}

/* ---- state ------------------------------------------------------------ */

static void put_le(GByteArray *out, uint64_t v, unsigned size)
{
    uint8_t b[8];
    for (unsigned i = 0; i < size; i++) {
        b[i] = v >> (8 * i);
    }
    g_byte_array_append(out, b, size);
}

static uint64_t get_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static unsigned scalar_size(const EmuStateField *f)
{
    switch (f->type) {
    case EMU_STATE_U8: case EMU_STATE_BOOL: return 1;
    case EMU_STATE_U16: return 2;
    case EMU_STATE_U32: return 4;
    case EMU_STATE_U64: return 8;
    default: return 0;
    }
}

static uint64_t read_field(const void *p, const EmuStateField *f)
{
    switch (f->type) {
    case EMU_STATE_U8: return *(const uint8_t *)p;
    case EMU_STATE_BOOL: return *(const bool *)p;
    case EMU_STATE_U16: return *(const uint16_t *)p;
    case EMU_STATE_U32: return *(const uint32_t *)p;
    default: return *(const uint64_t *)p;
    }
}

static void write_field(void *p, const EmuStateField *f, uint64_t v)
{
    switch (f->type) {
    case EMU_STATE_U8: *(uint8_t *)p = v; break;
    case EMU_STATE_BOOL: *(bool *)p = v != 0; break;
    case EMU_STATE_U16: *(uint16_t *)p = v; break;
    case EMU_STATE_U32: *(uint32_t *)p = v; break;
    default: *(uint64_t *)p = v; break;
    }
}

/* Stream: for each type from the root down that has a description, its
 * version (u32 LE) and then its fields in order, little-endian. */
bool emu_object_save_state(EmuObject *obj, GByteArray *out, GError **errp)
{
    g_autoptr(GPtrArray) chain = g_ptr_array_new();

    for (const EmuType *t = obj->type; t; t = t->parent) {
        g_ptr_array_insert(chain, 0, (void *)t);
    }
    for (guint i = 0; i < chain->len; i++) {
        const EmuStateDesc *d = ((const EmuType *)chain->pdata[i])->info.state;
        if (!d) continue;
        put_le(out, d->version, 4);
        for (const EmuStateField *f = d->fields; f->name; f++) {
            const uint8_t *p = (const uint8_t *)obj + f->offset;
            if (f->type == EMU_STATE_BUFFER) {
                g_byte_array_append(out, p, f->size);
            } else {
                put_le(out, read_field(p, f), scalar_size(f));
            }
        }
    }
    return true;
}

static bool load_desc(EmuObject *obj, const EmuStateDesc *d,
                      const uint8_t **pos, const uint8_t *end, GError **errp)
{
    uint32_t version;

    if (end - *pos < 4) goto short_stream;
    version = get_le(*pos, 4);
    *pos += 4;
    if (version > d->version) {
        g_set_error(errp, EMU_ERROR, 0, "state of %s: stream version %u is "
                    "newer than this emu's %u", d->name, version, d->version);
        return false;
    }
    for (const EmuStateField *f = d->fields; f->name; f++) {
        uint8_t *p = (uint8_t *)obj + f->offset;
        size_t n = f->type == EMU_STATE_BUFFER ? f->size : scalar_size(f);
        if (f->version_added > version) continue;
        if ((size_t)(end - *pos) < n) goto short_stream;
        if (f->type == EMU_STATE_BUFFER) {
            memcpy(p, *pos, n);
        } else {
            write_field(p, f, get_le(*pos, n));
        }
        *pos += n;
    }
    return true;

short_stream:
    g_set_error(errp, EMU_ERROR, 0, "state of %s: stream too short", d->name);
    return false;
}

bool emu_object_load_state(EmuObject *obj, const uint8_t *data, size_t len,
                           GError **errp)
{
    g_autoptr(GPtrArray) chain = g_ptr_array_new();
    const uint8_t *pos = data, *end = data + len;

    for (const EmuType *t = obj->type; t; t = t->parent) {
        g_ptr_array_insert(chain, 0, (void *)t);
    }
    for (guint i = 0; i < chain->len; i++) {
        const EmuStateDesc *d = ((const EmuType *)chain->pdata[i])->info.state;
        if (d && !load_desc(obj, d, &pos, end, errp)) {
            return false;
        }
    }
    if (pos != end) {
        g_set_error(errp, EMU_ERROR, 0, "state of %s: %zu bytes left over",
                    emu_object_type_name(obj), (size_t)(end - pos));
        return false;
    }
    for (guint i = 0; i < chain->len; i++) {
        const EmuTypeInfo *info = &((const EmuType *)chain->pdata[i])->info;
        if (info->post_load) {
            info->post_load(obj);
        }
    }
    return true;
}
