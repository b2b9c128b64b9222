/*
 * Object model: type registration, properties parsed from text, the tree,
 * hooks, IRQ lines and state save/load.
 */
#include "object-internal.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

typedef struct Widget {
    EmuObject parent;
    bool flag;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t size;
    int64_t i64;
    char *name;
    int color;
    EmuObject *peer;
    EmuIrq *out;
    int levels[3];
    int init_calls;
    int reset_calls;
    uint8_t blob[4];
} Widget;

typedef struct Gadget {
    Widget parent;
    uint32_t extra;
} Gadget;

static const char *const colors[] = { "red", "green", "blue", NULL };

static const EmuProperty widget_props[] = {
    EMU_PROP_BOOL("flag", Widget, flag, "off", NULL),
    EMU_PROP_U8("u8", Widget, u8, "1", NULL),
    EMU_PROP_U16("u16", Widget, u16, NULL, NULL),
    EMU_PROP_U32("u32", Widget, u32, "0x10", NULL),
    EMU_PROP_SIZE("size", Widget, size, "2k", NULL),
    EMU_PROP_I64("i64", Widget, i64, "-1", NULL),
    EMU_PROP_STRING("name", Widget, name, "anon", NULL),
    EMU_PROP_ENUM("color", Widget, color, "green", colors, NULL),
    EMU_PROP_LINK("peer", Widget, peer, "widget", NULL),
    EMU_PROP_IRQ("out", Widget, out, NULL),
    EMU_PROP_END
};

static void widget_irq(void *opaque, int n, int level)
{
    ((Widget *)opaque)->levels[n] = level;
}

static void widget_init(EmuObject *obj)
{
    Widget *w = (Widget *)obj;
    w->init_calls++;
    emu_irq_init_in(obj, "in", 3, widget_irq, w);
}

static bool widget_realize(EmuObject *obj, GError **errp)
{
    Widget *w = (Widget *)obj;
    if (w->u8 == 0) {
        g_set_error(errp, EMU_ERROR, 0, "u8 must not be 0");
        return false;
    }
    emu_irq_raise(w->out);
    return true;
}

static void widget_reset(EmuObject *obj)
{
    ((Widget *)obj)->reset_calls++;
}

static const EmuStateField widget_fields[] = {
    EMU_STATE_U8(Widget, u8),
    EMU_STATE_U16(Widget, u16),
    EMU_STATE_U32(Widget, u32),
    EMU_STATE_U64(Widget, size),
    EMU_STATE_BOOL(Widget, flag),
    EMU_STATE_BUFFER(Widget, blob),
    EMU_STATE_END
};
static const EmuStateDesc widget_state = { "widget", 1, widget_fields };

static const EmuStateField gadget_fields_v2[] = {
    { .name = "extra", .type = EMU_STATE_U32,
      .offset = offsetof(Gadget, extra), .size = 4, .version_added = 2 },
    EMU_STATE_END
};
static const EmuStateDesc gadget_state = { "gadget", 2, gadget_fields_v2 };

static const EmuProperty gadget_props[] = {
    EMU_PROP_U32("extra", Gadget, extra, "9", NULL),
    EMU_PROP_END
};

static const EmuTypeInfo widget_type = {
    EMU_TYPE_HEADER, .name = "widget", .parent = "device",
    .instance_size = sizeof(Widget), .props = widget_props,
    .init = widget_init, .realize = widget_realize, .reset = widget_reset,
    .state = &widget_state,
};

static const EmuTypeInfo gadget_type = {
    EMU_TYPE_HEADER, .name = "gadget", .parent = "widget",
    .instance_size = sizeof(Gadget), .props = gadget_props,
    .state = &gadget_state,
};

static int setup(void **state)
{
    object_register_core_types();
    if (!type_lookup("widget")) {
        assert_true(emu_type_register(&widget_type, NULL));
        assert_true(emu_type_register(&gadget_type, NULL));
    }
    return 0;
}

static int teardown(void **state)
{
    object_tree_destroy();
    return 0;
}

static EmuObject *add_new(const char *type, const char *id)
{
    GError *err = NULL;
    EmuObject *o = emu_object_new(type, id, &err);
    assert_null(err);
    assert_non_null(o);
    assert_true(emu_object_add_child(emu_object_root(), o, &err));
    return o;
}

static void expect_set_fails(EmuObject *o, const char *prop, const char *val,
                             const char *fragment)
{
    GError *err = NULL;
    assert_false(emu_object_set_prop(o, prop, val, &err));
    assert_non_null(err);
    if (!strstr(err->message, fragment)) {
        fail_msg("error '%s' lacks '%s'", err->message, fragment);
    }
    g_error_free(err);
}

static void expect_prop(EmuObject *o, const char *prop, const char *want)
{
    g_autofree char *v = emu_object_get_prop(o, prop, NULL);
    assert_string_equal(v, want);
}

static void test_register_rules(void **state)
{
    GError *err = NULL;
    EmuTypeInfo orphan = { EMU_TYPE_HEADER, .name = "orphan",
                           .parent = "no-such-parent" };

    assert_false(emu_type_register(&widget_type, &err));
    assert_non_null(strstr(err->message, "already registered"));
    g_clear_error(&err);
    assert_false(emu_type_register(&orphan, &err));
    assert_non_null(strstr(err->message, "unknown parent 'no-such-parent'"));
    g_clear_error(&err);
    assert_string_equal(emu_type_kind(type_lookup("gadget")), "device");
    assert_true(emu_type_is_a(type_lookup("gadget"), "widget"));
    assert_false(emu_type_is_a(type_lookup("widget"), "gadget"));
}

static void test_defaults_and_parsing(void **state)
{
    EmuObject *o = add_new("widget", "w1");
    Widget *w = (Widget *)o;

    assert_false(w->flag);
    assert_int_equal(w->u32, 16);
    assert_int_equal(w->size, 2048);
    assert_int_equal(w->i64, -1);
    assert_string_equal(w->name, "anon");
    assert_int_equal(w->color, 1);

    assert_true(emu_object_set_prop(o, "flag", "on", NULL));
    assert_true(emu_object_set_prop(o, "u8", "255", NULL));
    assert_true(emu_object_set_prop(o, "u16", "0xffff", NULL));
    assert_true(emu_object_set_prop(o, "size", "3G", NULL));
    assert_true(emu_object_set_prop(o, "i64", "-42", NULL));
    assert_true(emu_object_set_prop(o, "name", "bob", NULL));
    assert_true(emu_object_set_prop(o, "color", "blue", NULL));
    assert_true(w->flag);
    assert_int_equal(w->u8, 255);
    assert_int_equal(w->u16, 0xffff);
    assert_int_equal(w->size, 3ull << 30);
    assert_int_equal(w->i64, -42);
    expect_prop(o, "name", "bob");
    expect_prop(o, "color", "blue");
    expect_prop(o, "size", "3221225472");

    expect_set_fails(o, "u8", "256", "not a valid uint8");
    expect_set_fails(o, "u16", "-1", "not a valid uint16");
    expect_set_fails(o, "flag", "maybe", "not a valid bool");
    expect_set_fails(o, "size", "12Q", "not a valid size");
    expect_set_fails(o, "size", "20000000T", "not a valid size");
    expect_set_fails(o, "color", "pink", "red, green, blue");
    expect_set_fails(o, "nope", "1", "has no property 'nope'");
    expect_set_fails(o, "peer", "ghost", "no object with id 'ghost'");
    assert_int_equal(w->u8, 255);       /* failed sets change nothing */
}

static void test_inheritance_and_links(void **state)
{
    EmuObject *g = add_new("gadget", "g1");
    EmuObject *w = add_new("widget", "w2");
    EmuObject *c = add_new("container", "box");

    assert_int_equal(((Widget *)g)->init_calls, 1);
    assert_int_equal(((Gadget *)g)->extra, 9);
    assert_true(emu_object_has_prop(g, "color"));  /* inherited */
    assert_true(emu_object_set_prop(g, "peer", "w2", NULL));
    assert_ptr_equal(((Widget *)g)->peer, w);
    assert_true(emu_object_set_prop(w, "peer", "g1", NULL)); /* gadget is-a widget */
    expect_set_fails(w, "peer", "box", "is a container, not a widget");
    (void)c;
}

static void test_tree(void **state)
{
    GError *err = NULL;
    EmuObject *box = add_new("container", "machine");
    EmuObject *w = emu_object_new("widget", "w3", NULL);
    EmuObject *dup = emu_object_new("widget", "w3", NULL);
    EmuObject *anon = emu_object_new("widget", NULL, NULL);

    assert_true(emu_object_add_child(box, w, NULL));
    assert_false(emu_object_add_child(box, dup, &err));
    assert_non_null(strstr(err->message, "duplicate id 'w3'"));
    g_clear_error(&err);
    assert_false(emu_object_add_child(box, anon, &err));
    g_clear_error(&err);
    assert_ptr_equal(emu_object_find("w3"), w);
    assert_ptr_equal(emu_object_find("/machine/w3"), w);
    assert_null(emu_object_find("/machine/nothing"));
    g_autofree char *path = emu_object_path(w);
    assert_string_equal(path, "/machine/w3");
    assert_null(emu_object_new("widget", "9bad", &err));
    assert_non_null(strstr(err->message, "not a valid id"));
    g_clear_error(&err);
    assert_null(emu_object_new("device", "abstract", &err));
    assert_non_null(strstr(err->message, "abstract"));
    g_clear_error(&err);
    emu_object_unref(dup);
    emu_object_unref(anon);
}

static void test_realize_irq_reset(void **state)
{
    GError *err = NULL;
    EmuObject *sink = add_new("widget", "sink");
    EmuObject *src = add_new("widget", "src");
    Widget *s = (Widget *)sink;

    assert_true(emu_object_set_prop(src, "out", "sink.in.2", NULL));
    assert_true(emu_object_realize(src, NULL));
    assert_int_equal(s->levels[2], 1);
    assert_int_equal(s->levels[0], 0);
    expect_set_fails(src, "u8", "3", "after realize");

    assert_true(emu_object_set_prop(sink, "out", "src.1", NULL));
    assert_true(emu_object_set_prop(sink, "u8", "0", NULL));
    assert_false(emu_object_realize(sink, &err));
    assert_string_equal(err->message, "u8 must not be 0");
    g_clear_error(&err);
    assert_false(emu_object_is_realized(sink));

    expect_set_fails(sink, "out", "sink.in.3", "has no such input");
    expect_set_fails(sink, "out", "nowhere.1", "no device 'nowhere'");
    expect_set_fails(sink, "out", "sink", "expected DEVICE.N");

    emu_object_reset(emu_object_root());
    assert_int_equal(((Widget *)src)->reset_calls, 1);
    assert_int_equal(s->reset_calls, 0);        /* not realized */
}

static void test_state_roundtrip(void **state)
{
    GError *err = NULL;
    EmuObject *a = add_new("gadget", "ga");
    EmuObject *b = add_new("gadget", "gb");
    g_autoptr(GByteArray) buf = g_byte_array_new();
    Gadget *ga = (Gadget *)a, *gb = (Gadget *)b;

    ga->parent.u8 = 0x5a;
    ga->parent.u16 = 0x1234;
    ga->parent.u32 = 0xdeadbeef;
    ga->parent.size = 0x0123456789abcdefull;
    ga->parent.flag = true;
    memcpy(ga->parent.blob, "abcd", 4);
    ga->extra = 77;
    assert_true(emu_object_save_state(a, buf, NULL));
    /* widget: version + 1+2+4+8+1+4 bytes; gadget: version + 4 bytes */
    assert_int_equal(buf->len, 4 + 20 + 4 + 4);
    assert_true(emu_object_load_state(b, buf->data, buf->len, NULL));
    assert_int_equal(gb->parent.u8, 0x5a);
    assert_int_equal(gb->parent.u16, 0x1234);
    assert_int_equal(gb->parent.u32, 0xdeadbeef);
    assert_int_equal(gb->parent.size, 0x0123456789abcdefull);
    assert_true(gb->parent.flag);
    assert_memory_equal(gb->parent.blob, "abcd", 4);
    assert_int_equal(gb->extra, 77);

    /* A version-1 gadget stream has no 'extra': it keeps its value. */
    buf->data[24] = 1;
    g_byte_array_set_size(buf, buf->len - 4);
    gb->extra = 5;
    assert_true(emu_object_load_state(b, buf->data, buf->len, NULL));
    assert_int_equal(gb->extra, 5);

    /* Newer than we know, truncated, or with bytes left over: refused. */
    buf->data[24] = 3;
    assert_false(emu_object_load_state(b, buf->data, buf->len, &err));
    assert_non_null(strstr(err->message, "newer"));
    g_clear_error(&err);
    assert_false(emu_object_load_state(b, buf->data, 10, &err));
    assert_non_null(strstr(err->message, "too short"));
    g_clear_error(&err);
}

static void test_size_parser(void **state)
{
    uint64_t v;
    assert_true(emu_parse_size("512", &v));
    assert_int_equal(v, 512);
    assert_true(emu_parse_size("64M", &v));
    assert_int_equal(v, 64ull << 20);
    assert_true(emu_parse_size("64MB", &v));
    assert_int_equal(v, 64ull << 20);
    assert_true(emu_parse_size("1t", &v));
    assert_int_equal(v, 1ull << 40);
    assert_true(emu_parse_size("16E", &v) == false);
    assert_false(emu_parse_size("", &v));
    assert_false(emu_parse_size("-1", &v));
    assert_false(emu_parse_size("1.5G", &v));
    assert_false(emu_parse_size("G", &v));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_register_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_defaults_and_parsing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inheritance_and_links, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_realize_irq_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_roundtrip, setup, teardown),
        cmocka_unit_test(test_size_parser),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
