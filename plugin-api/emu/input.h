/*
 * Keyboard and mouse input, from frontends (GTK, VNC, the monitor's
 * sendkey) to the emulated devices that take it (PS/2, USB HID).
 *
 * Keys are named by Linux input event codes (KEY_A = 30, ...: see
 * <linux/input-event-codes.h>), a neutral set every frontend can map to
 * and every device can map from.  Events go to the most recently
 * registered handler that takes that kind of event, as a PC with a USB
 * tablet plugged in stops feeding the PS/2 mouse.  Main thread only.
 */
#ifndef EMU_INPUT_H
#define EMU_INPUT_H

#include <emu/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    EMU_INPUT_BUTTON_LEFT = 1u << 0,
    EMU_INPUT_BUTTON_RIGHT = 1u << 1,
    EMU_INPUT_BUTTON_MIDDLE = 1u << 2,
};

typedef struct EmuInputHandler {
    uint32_t size;              /* sizeof(EmuInputHandler) as built */
    const char *name;
    /* Either hook may be NULL: the handler does not take that kind. */
    void (*key)(void *opaque, unsigned keycode, bool down);
    /* Relative motion (dz: wheel, positive away from the user) and the
     * buttons now held. */
    void (*mouse)(void *opaque, int dx, int dy, int dz, unsigned buttons);
} EmuInputHandler;

/* Returns a tag for emu_input_unregister(). */
EMU_API int emu_input_register(const EmuInputHandler *h, void *opaque);
EMU_API void emu_input_unregister(int tag);

/* From frontends: false when no device takes the event. */
EMU_API bool emu_input_key(unsigned keycode, bool down);
EMU_API bool emu_input_mouse(int dx, int dy, int dz, unsigned buttons);

#ifdef __cplusplus
}
#endif
#endif
