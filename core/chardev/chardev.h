/*
 * Character backends, seen from the rest of the core: type registration,
 * creation from -chardev / -serial / -monitor text, the mux escape
 * character (-echr) and the hook behind the mux's Ctrl-a s.
 *
 * The backends themselves are object types with parent "chardev":
 * chardev-null, chardev-stdio, chardev-file, chardev-pipe, chardev-pty,
 * chardev-socket and chardev-mux.  Devices reach them through
 * plugin-api/emu/chardev.h.
 */
#ifndef EMU_CORE_CHARDEV_H
#define EMU_CORE_CHARDEV_H

#include <emu/chardev.h>

/* Registers the chardev-* types; called once at start-up, after the core's
 * root types exist. */
bool chardev_register_types(GError **errp);

/* -chardev BACKEND,id=ID[,key=val...][,mux=on]: creates, configures and
 * opens the backend and adds it to the object tree as ID.  A bare flag
 * means on ("server"), a "no" prefix off ("nowait").  With mux=on the
 * backend becomes ID-base and a chardev-mux named ID is put over it. */
EmuObject *chardev_new_from_opts(const char *opts, GError **errp);

/* The -serial / -monitor shorthand: stdio, null, pty, file:PATH,
 * pipe:PATH, tcp:[HOST]:PORT[,opts], unix:PATH[,opts], mon:SPEC (a mux
 * over SPEC).  "none" returns NULL without setting *errp. */
EmuObject *chardev_new_from_spec(const char *id, const char *spec,
                                 GError **errp);

/* -echr: the mux escape character (default Ctrl-a, 0x01). */
void chardev_set_escape_char(int c);
int chardev_get_escape_char(void);

/* Ctrl-a s on a mux: flush and commit the disks.  The hook may append a
 * line of text for the user to msg.  With no hook the mux says there is
 * nothing to save. */
typedef void (*ChardevSaveHook)(void *opaque, GString *msg);
void chardev_set_save_hook(ChardevSaveHook hook, void *opaque);

/* The bound TCP port of a socket chardev (useful with port=0), or -1. */
int chardev_socket_port(EmuChardev *chr);

#endif
