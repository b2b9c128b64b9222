/*
 * Character devices, seen from a device (the frontend).
 *
 * A backend (null, stdio, file, pipe, pty, socket, mux) is an object of kind
 * "chardev" created from -chardev/-serial/-monitor; a device reaches it
 * through an EMU_PROP_LINK property with link_type "chardev" and attaches
 * its handlers.  Input arrives on the main loop: the backend asks
 * can_read() how much the device takes now and passes no more than that.
 * A mux backend serves several frontends and switches between them with
 * its escape key (Ctrl-a c by default).
 */
#ifndef EMU_CHARDEV_H
#define EMU_CHARDEV_H

#include <emu/object.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct EmuChardev EmuChardev;

typedef enum EmuCharEvent {
    EMU_CHR_EVENT_OPENED,       /* a peer connected */
    EMU_CHR_EVENT_CLOSED,       /* the peer went away */
    EMU_CHR_EVENT_BREAK,        /* Ctrl-a b on a mux: send a break */
    EMU_CHR_EVENT_FOCUS,        /* this frontend got the mux focus */
} EmuCharEvent;

typedef struct EmuCharHandlers {
    uint32_t size;              /* sizeof(EmuCharHandlers) as built */
    int (*can_read)(void *opaque);
    void (*read)(void *opaque, const uint8_t *buf, size_t len);
    void (*event)(void *opaque, EmuCharEvent event);
} EmuCharHandlers;

EMU_API EmuChardev *emu_chr_from_object(EmuObject *obj);
EMU_API EmuChardev *emu_chr_find(const char *id);
/* Attaches a frontend; returns its tag (for detach), or -1 with *errp set
 * when the backend already has one (and is not a mux) or a mux is full. */
EMU_API int emu_chr_attach(EmuChardev *chr, const EmuCharHandlers *h,
                           void *opaque, GError **errp);
EMU_API void emu_chr_detach(EmuChardev *chr, int tag);
/* Writes everything (blocking briefly if the peer is slow); returns the
 * bytes written or -1 if the backend is closed. */
EMU_API ssize_t emu_chr_write(EmuChardev *chr, const void *buf, size_t len);
/* Tells the backend the frontend can take input again. */
EMU_API void emu_chr_accept_input(EmuChardev *chr);

#ifdef __cplusplus
}
#endif
#endif
