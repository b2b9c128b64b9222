/* Everything a device plugin may use, in one include. */
#ifndef EMU_EMU_H
#define EMU_EMU_H
#include <emu/plugin.h>
#include <emu/object.h>
#include <emu/memory.h>
#include <emu/timer.h>
#include <emu/chardev.h>
#include <emu/log.h>
#endif
