/*
 * Memory bus internals shared by core files and unit tests (never
 * installed).  The public contract is plugin-api/emu/memory.h.
 */
#ifndef EMU_MEMORY_INTERNAL_H
#define EMU_MEMORY_INTERNAL_H

#include <emu/memory.h>

/* Frees the machine address spaces (emu_system_memory(), emu_system_io())
 * and every region only they still hold; the next call to either getter
 * creates a fresh, empty one.  For machine teardown and unit tests. */
void emu_memory_teardown(void);

/* Bumped by every change to any region tree (add/del subregion, enable,
 * set_address, readonly, a region freed).  A cache of translations
 * (a vCPU TLB) built at generation G is stale once this differs from G. */
uint64_t emu_memory_map_generation(void);

/* Bumped whenever emu_mr_test_and_clear_dirty() clears a bit.  Write
 * pointers obtained from emu_as_ram_ptr(..., for_write=true) are only
 * handed out for pages already dirty for every enabled client; once this
 * changes, such cached pointers must be dropped so that the next write
 * goes through emu_as_write() and sets the bits again. */
uint64_t emu_memory_dirty_generation(void);

/* The flat view of an address space as text, one range per line:
 * "FIRST-LAST kind 'name' +offset [ro]" (for the monitor and debugging).
 * Free with g_free(). */
char *emu_as_flatview_text(EmuAddressSpace *as);

#endif
