/*
 * Input routing (plugin-api/emu/input.h): a stack of handlers; each event
 * goes to the newest one that takes its kind.  Main thread only.
 */
#include "config.h"
#include "emu-internal.h"
#include <emu/input.h>

typedef struct InputEntry {
    int tag;
    const EmuInputHandler *h;
    void *opaque;
} InputEntry;

static GList *handlers;         /* newest first */
static int next_tag = 1;

int emu_input_register(const EmuInputHandler *h, void *opaque)
{
    InputEntry *e = g_new(InputEntry, 1);

    e->tag = next_tag++;
    e->h = h;
    e->opaque = opaque;
    handlers = g_list_prepend(handlers, e);
    return e->tag;
}

void emu_input_unregister(int tag)
{
    for (GList *l = handlers; l; l = l->next) {
        InputEntry *e = l->data;
        if (e->tag == tag) {
            handlers = g_list_delete_link(handlers, l);
            g_free(e);
            return;
        }
    }
}

bool emu_input_key(unsigned keycode, bool down)
{
    for (GList *l = handlers; l; l = l->next) {
        InputEntry *e = l->data;
        if (e->h->key) {
            e->h->key(e->opaque, keycode, down);
            return true;
        }
    }
    return false;
}

bool emu_input_mouse(int dx, int dy, int dz, unsigned buttons)
{
    for (GList *l = handlers; l; l = l->next) {
        InputEntry *e = l->data;
        if (e->h->mouse) {
            e->h->mouse(e->opaque, dx, dy, dz, buttons);
            return true;
        }
    }
    return false;
}
