/*
 * Object model: types, instances, declarative properties, IRQ lines, state
 * descriptions and the one object tree (/machine/...).
 *
 * A type is described by a const EmuTypeInfo and registered from a plugin's
 * init().  Every type descends from one of the core's root types, whose name
 * is the "kind" used in plugin descriptors: "device", "block", "cpu",
 * "accel", "ui", "netdev", "chardev", "machine", "object".  So a plugin that
 * registers type "i8254" with parent "isa-device" provides "device:i8254".
 *
 * Properties are rows {name, type, offset, default}; the core parses them
 * from text (machine files, -device, the monitor), checks and defaults them
 * for every type at once.  Instance state lives in the instance: a device
 * struct starts with an EmuObject (or a struct that does) and nothing else.
 */
#ifndef EMU_OBJECT_H
#define EMU_OBJECT_H

#include <emu/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct EmuObject EmuObject;
typedef struct EmuType EmuType;
typedef struct EmuIrq EmuIrq;

typedef enum EmuPropType {
    EMU_PROP_BOOL,      /* bool:      on/off, true/false, yes/no */
    EMU_PROP_U8,        /* uint8_t    */
    EMU_PROP_U16,       /* uint16_t   */
    EMU_PROP_U32,       /* uint32_t   */
    EMU_PROP_U64,       /* uint64_t   */
    EMU_PROP_I64,       /* int64_t    */
    EMU_PROP_SIZE,      /* uint64_t with k/M/G/T suffixes (powers of 1024) */
    EMU_PROP_STRING,    /* char *, owned by the object */
    EMU_PROP_ENUM,      /* int: index into enum_values */
    EMU_PROP_LINK,      /* EmuObject *: an object by id, of type link_type */
    EMU_PROP_IRQ,       /* EmuIrq *: "dev.N" or "dev.line.N", an input line */
} EmuPropType;

typedef struct EmuProperty {
    const char *name;
    EmuPropType type;
    size_t offset;              /* of the field in the instance struct */
    const char *defval;         /* default as text, NULL for none/zero */
    const char *description;
    const char *const *enum_values; /* EMU_PROP_ENUM: NULL-terminated */
    const char *link_type;      /* EMU_PROP_LINK: required (ancestor) type */
} EmuProperty;

#define EMU_PROP_(n, t, st, f, def, desc) \
    { .name = (n), .type = (t), .offset = offsetof(st, f), .defval = (def), \
      .description = (desc) }
#define EMU_PROP_BOOL(n, st, f, def, desc)   EMU_PROP_(n, EMU_PROP_BOOL, st, f, def, desc)
#define EMU_PROP_U8(n, st, f, def, desc)     EMU_PROP_(n, EMU_PROP_U8, st, f, def, desc)
#define EMU_PROP_U16(n, st, f, def, desc)    EMU_PROP_(n, EMU_PROP_U16, st, f, def, desc)
#define EMU_PROP_U32(n, st, f, def, desc)    EMU_PROP_(n, EMU_PROP_U32, st, f, def, desc)
#define EMU_PROP_U64(n, st, f, def, desc)    EMU_PROP_(n, EMU_PROP_U64, st, f, def, desc)
#define EMU_PROP_I64(n, st, f, def, desc)    EMU_PROP_(n, EMU_PROP_I64, st, f, def, desc)
#define EMU_PROP_SIZE(n, st, f, def, desc)   EMU_PROP_(n, EMU_PROP_SIZE, st, f, def, desc)
#define EMU_PROP_STRING(n, st, f, def, desc) EMU_PROP_(n, EMU_PROP_STRING, st, f, def, desc)
#define EMU_PROP_IRQ(n, st, f, desc)         EMU_PROP_(n, EMU_PROP_IRQ, st, f, NULL, desc)
#define EMU_PROP_ENUM(n, st, f, def, vals, desc) \
    { .name = (n), .type = EMU_PROP_ENUM, .offset = offsetof(st, f), \
      .defval = (def), .description = (desc), .enum_values = (vals) }
#define EMU_PROP_LINK(n, st, f, ltype, desc) \
    { .name = (n), .type = EMU_PROP_LINK, .offset = offsetof(st, f), \
      .description = (desc), .link_type = (ltype) }
#define EMU_PROP_END { .name = NULL }

/* State description, used by snapshots and migration. */
typedef enum EmuStateFieldType {
    EMU_STATE_U8, EMU_STATE_U16, EMU_STATE_U32, EMU_STATE_U64,
    EMU_STATE_BOOL, EMU_STATE_BUFFER,
} EmuStateFieldType;

typedef struct EmuStateField {
    const char *name;
    EmuStateFieldType type;
    size_t offset;
    size_t size;                /* EMU_STATE_BUFFER: bytes */
    uint32_t version_added;     /* absent from streams older than this */
} EmuStateField;

typedef struct EmuStateDesc {
    const char *name;
    uint32_t version;
    const EmuStateField *fields;    /* terminated by { .name = NULL } */
} EmuStateDesc;

#define EMU_STATE_(n, t, st, f, sz, v) \
    { .name = (n), .type = (t), .offset = offsetof(st, f), .size = (sz), \
      .version_added = (v) }
#define EMU_STATE_U8(st, f)  EMU_STATE_(#f, EMU_STATE_U8, st, f, 1, 0)
#define EMU_STATE_U16(st, f) EMU_STATE_(#f, EMU_STATE_U16, st, f, 2, 0)
#define EMU_STATE_U32(st, f) EMU_STATE_(#f, EMU_STATE_U32, st, f, 4, 0)
#define EMU_STATE_U64(st, f) EMU_STATE_(#f, EMU_STATE_U64, st, f, 8, 0)
#define EMU_STATE_BOOL(st, f) EMU_STATE_(#f, EMU_STATE_BOOL, st, f, sizeof(bool), 0)
#define EMU_STATE_BUFFER(st, f) \
    EMU_STATE_(#f, EMU_STATE_BUFFER, st, f, sizeof(((st *)0)->f), 0)
#define EMU_STATE_END { .name = NULL }

typedef struct EmuTypeInfo {
    uint32_t size;              /* sizeof(EmuTypeInfo) as built */
    const char *name;
    const char *parent;         /* NULL only for the core's root types */
    const char *description;
    size_t instance_size;       /* 0: same as parent */
    bool abstract;
    const EmuProperty *props;   /* own properties; parents' are inherited */
    /* Hooks; a NULL hook inherits the parent's.  init runs after defaults
     * are set, realize after all properties are, reset on machine reset. */
    void (*init)(EmuObject *obj);
    bool (*realize)(EmuObject *obj, GError **errp);
    void (*unrealize)(EmuObject *obj);
    void (*reset)(EmuObject *obj);
    void (*finalize)(EmuObject *obj);
    const EmuStateDesc *state;
    const void *class_data;     /* kind-specific operations table */
    /* After a state load: re-derive what is not saved (output lines,
     * timers, memory mappings). */
    void (*post_load)(EmuObject *obj);
} EmuTypeInfo;

#define EMU_TYPE_HEADER .size = sizeof(EmuTypeInfo)

/* The head of every instance.  Opaque: use the accessors. */
struct EmuObject {
    const EmuType *type;
    struct EmuObjectPriv *priv;
};

/* Registration (from a plugin's init).  Fails on a duplicate name or an
 * unknown parent. */
EMU_API bool emu_type_register(const EmuTypeInfo *info, GError **errp);

/* Finds a type, loading the plugin that provides it when needed. */
EMU_API const EmuType *emu_type_find(const char *name, GError **errp);
EMU_API const char *emu_type_name(const EmuType *type);
EMU_API const char *emu_type_description(const EmuType *type);
EMU_API const void *emu_type_class_data(const EmuType *type);
EMU_API bool emu_type_is_a(const EmuType *type, const char *ancestor);
EMU_API const char *emu_type_kind(const EmuType *type);
/* Every registered, non-abstract type descending from ancestor, sorted. */
EMU_API GPtrArray *emu_type_list(const char *ancestor);
/* "name  type  default  description" lines for a type's properties. */
EMU_API char *emu_type_describe_props(const EmuType *type);

/* Instances.  new creates and defaults; set_prop parses text; realize
 * checks and brings the object to life; unref destroys. */
EMU_API EmuObject *emu_object_new(const char *type, const char *id,
                                  GError **errp);
EMU_API bool emu_object_set_prop(EmuObject *obj, const char *name,
                                 const char *value, GError **errp);
EMU_API char *emu_object_get_prop(EmuObject *obj, const char *name,
                                  GError **errp);
EMU_API bool emu_object_has_prop(EmuObject *obj, const char *name);
EMU_API bool emu_object_realize(EmuObject *obj, GError **errp);
EMU_API bool emu_object_is_realized(EmuObject *obj);
EMU_API void emu_object_reset(EmuObject *obj);
EMU_API void emu_object_unref(EmuObject *obj);
EMU_API const char *emu_object_id(EmuObject *obj);
/* Letters, digits, '-', '_', '.', starting with a letter. */
EMU_API bool emu_object_id_valid(const char *id);
/* Parses "64M", "1G", "512k", "4096": powers of 1024. */
EMU_API bool emu_parse_size(const char *text, uint64_t *out);
EMU_API const char *emu_object_type_name(EmuObject *obj);
EMU_API bool emu_object_is_a(EmuObject *obj, const char *ancestor);

/* The tree.  add places obj under parent's path as id (the tree holds a
 * reference); find resolves an id or an absolute path. */
EMU_API EmuObject *emu_object_root(void);
EMU_API bool emu_object_add_child(EmuObject *parent, EmuObject *child,
                                  GError **errp);
EMU_API EmuObject *emu_object_find(const char *id_or_path);
EMU_API char *emu_object_path(EmuObject *obj);
/* Calls fn on every object below (depth first, in insertion order). */
EMU_API void emu_object_walk(EmuObject *root,
                             void (*fn)(EmuObject *obj, int depth, void *opaque),
                             void *opaque);

/* Casts with a type check that aborts on programming errors. */
EMU_API void *emu_object_check(EmuObject *obj, const char *type,
                               const char *file, int line);
#define EMU_CAST(T, obj, type) \
    ((T *)emu_object_check((EmuObject *)(obj), (type), __FILE__, __LINE__))

/* IRQ lines.  A device declares inputs with a handler; an EMU_PROP_IRQ
 * property (or emu_irq_find) yields an EmuIrq * to raise or lower. */
typedef void (*EmuIrqHandler)(void *opaque, int n, int level);
EMU_API void emu_irq_init_in(EmuObject *dev, const char *name, int count,
                             EmuIrqHandler handler, void *opaque);
EMU_API EmuIrq *emu_irq_find(const char *spec, GError **errp);
EMU_API EmuIrq *emu_irq_get(EmuObject *dev, const char *name, int n);
EMU_API void emu_irq_set(EmuIrq *irq, int level);
static inline void emu_irq_raise(EmuIrq *irq) { emu_irq_set(irq, 1); }
static inline void emu_irq_lower(EmuIrq *irq) { emu_irq_set(irq, 0); }

/* Device state, through the type's EmuStateDesc (and its parents'). */
EMU_API bool emu_object_save_state(EmuObject *obj, GByteArray *out,
                                   GError **errp);
EMU_API bool emu_object_load_state(EmuObject *obj, const uint8_t *data,
                                   size_t len, GError **errp);

#define EMU_ERROR emu_error_quark()
EMU_API GQuark emu_error_quark(void);

#ifdef __cplusplus
}
#endif
#endif
