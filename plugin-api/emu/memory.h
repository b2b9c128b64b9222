/*
 * Memory bus: regions composed into address spaces.
 *
 * Regions are RAM, ROM, MMIO/IO (callbacks), aliases (a window onto another
 * region) and containers (hold subregions at offsets, with priorities: the
 * higher priority wins where two overlap; equal priorities: the one added
 * later wins).  An address space has a root region; every change to the
 * tree below it recomputes its flat view, a sorted table of
 * non-overlapping ranges searched on each slow-path access.
 *
 * Accesses of 1, 2, 4 or 8 bytes are dispatched to callbacks split or
 * merged to what the region's ops accept (min_access..max_access).
 * Unassigned space reads as all-ones and drops writes (logged under
 * "-d unimp").  RAM regions keep per-page dirty bitmaps for each client
 * (display, code, migration) once tracking is enabled.
 */
#ifndef EMU_MEMORY_H
#define EMU_MEMORY_H

#include <emu/object.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct EmuMemoryRegion EmuMemoryRegion;
typedef struct EmuAddressSpace EmuAddressSpace;

typedef struct EmuMemoryOps {
    uint32_t size;              /* sizeof(EmuMemoryOps) as built */
    uint64_t (*read)(void *opaque, uint64_t addr, unsigned size);
    void (*write)(void *opaque, uint64_t addr, uint64_t val, unsigned size);
    unsigned min_access;        /* 0 means 1 */
    unsigned max_access;        /* 0 means 4 */
    bool big_endian;            /* how split/merged pieces are combined */
} EmuMemoryOps;

#define EMU_MEMORY_OPS_HEADER .size = sizeof(EmuMemoryOps)

enum {
    EMU_DIRTY_DISPLAY = 0,
    EMU_DIRTY_CODE = 1,
    EMU_DIRTY_MIGRATION = 2,
    EMU_DIRTY_CLIENTS = 3,
};

#define EMU_PAGE_BITS 12
#define EMU_PAGE_SIZE (1u << EMU_PAGE_BITS)

EMU_API EmuMemoryRegion *emu_mr_new_ram(EmuObject *owner, const char *name,
                                        uint64_t size, GError **errp);
EMU_API EmuMemoryRegion *emu_mr_new_rom(EmuObject *owner, const char *name,
                                        uint64_t size, GError **errp);
EMU_API EmuMemoryRegion *emu_mr_new_io(EmuObject *owner, const char *name,
                                       uint64_t size, const EmuMemoryOps *ops,
                                       void *opaque);
EMU_API EmuMemoryRegion *emu_mr_new_alias(EmuObject *owner, const char *name,
                                          EmuMemoryRegion *target,
                                          uint64_t offset, uint64_t size);
EMU_API EmuMemoryRegion *emu_mr_new_container(EmuObject *owner,
                                              const char *name, uint64_t size);
EMU_API void emu_mr_unref(EmuMemoryRegion *mr);

EMU_API void emu_mr_add_subregion(EmuMemoryRegion *parent, uint64_t offset,
                                  EmuMemoryRegion *child, int priority);
EMU_API void emu_mr_del_subregion(EmuMemoryRegion *parent,
                                  EmuMemoryRegion *child);
/* Undoes new + add_subregion for a region its device kept a reference to:
 * takes *mr out of parent, drops that reference, clears *mr.  A NULL *mr
 * (never mapped) is fine. */
EMU_API void emu_mr_remove(EmuMemoryRegion *parent, EmuMemoryRegion **mr);
EMU_API void emu_mr_set_enabled(EmuMemoryRegion *mr, bool enabled);
EMU_API void emu_mr_set_address(EmuMemoryRegion *mr, uint64_t offset);
EMU_API void emu_mr_set_readonly(EmuMemoryRegion *mr, bool readonly);
EMU_API uint64_t emu_mr_size(const EmuMemoryRegion *mr);
EMU_API const char *emu_mr_name(const EmuMemoryRegion *mr);
/* Host pointer to a RAM or ROM region's backing store. */
EMU_API uint8_t *emu_mr_ram_ptr(EmuMemoryRegion *mr);

/* Dirty tracking for RAM regions. */
EMU_API void emu_mr_dirty_enable(EmuMemoryRegion *mr, unsigned client,
                                 bool enable);
EMU_API void emu_mr_set_dirty(EmuMemoryRegion *mr, uint64_t addr,
                              uint64_t len);
/* True if any page of [addr, addr+len) is dirty for client; clears them. */
EMU_API bool emu_mr_test_and_clear_dirty(EmuMemoryRegion *mr, uint64_t addr,
                                         uint64_t len, unsigned client);

EMU_API EmuAddressSpace *emu_as_new(const char *name, EmuMemoryRegion *root);
EMU_API void emu_as_free(EmuAddressSpace *as);
EMU_API EmuMemoryRegion *emu_as_root(EmuAddressSpace *as);

typedef enum EmuMemResult {
    EMU_MEM_OK = 0,
    EMU_MEM_UNASSIGNED = 1,     /* some byte hit no region */
} EmuMemResult;

/* Sized accesses (size 1, 2, 4 or 8), little-endian values. */
EMU_API EmuMemResult emu_as_read(EmuAddressSpace *as, uint64_t addr,
                                 uint64_t *val, unsigned size);
EMU_API EmuMemResult emu_as_write(EmuAddressSpace *as, uint64_t addr,
                                  uint64_t val, unsigned size);
/* Buffer accesses of any length (DMA, loaders). */
EMU_API EmuMemResult emu_as_read_buf(EmuAddressSpace *as, uint64_t addr,
                                     void *buf, size_t len);
EMU_API EmuMemResult emu_as_write_buf(EmuAddressSpace *as, uint64_t addr,
                                      const void *buf, size_t len);
/* Writes ROM too (firmware loading). */
EMU_API EmuMemResult emu_as_load_rom(EmuAddressSpace *as, uint64_t addr,
                                     const void *buf, size_t len);

/* Translation for fast paths: the RAM host pointer at addr and how many
 * bytes stay inside that RAM range, or NULL for MMIO/unassigned. */
EMU_API uint8_t *emu_as_ram_ptr(EmuAddressSpace *as, uint64_t addr,
                                uint64_t *len, bool for_write);

/* The machine's address spaces (created by the core with the machine). */
EMU_API EmuAddressSpace *emu_system_memory(void);
EMU_API EmuAddressSpace *emu_system_io(void);
/* The machine's main RAM region (mapped at 0 by the core; boards alias
 * parts of it elsewhere: the PC's BIOS shadow and memory above 4 GiB).
 * The setter is for the core and for tests that build RAM themselves. */
EMU_API EmuMemoryRegion *emu_machine_ram(void);
EMU_API void emu_machine_set_ram(EmuMemoryRegion *mr);

#ifdef __cplusplus
}
#endif
#endif
