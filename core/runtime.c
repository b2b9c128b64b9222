/*
 * Start-up shared by every program built on libemu.
 */
#include "emu-internal.h"
#include "object-internal.h"
#include "chardev/chardev.h"
#include <string.h>

bool emu_runtime_init(const char *argv0, GError **errp)
{
    g_autofree char *base = g_path_get_basename(argv0 ? argv0 : "emu");

    /* libtool runs uninstalled programs as .libs/lt-NAME */
    g_set_prgname(g_str_has_prefix(base, "lt-") ? base + 3 : base);
    object_register_core_types();
    return chardev_register_types(errp) && pci_register_types(errp);
}
