/*
 * Interrupt controllers that hand a vector to the CPU.
 *
 * A controller type has the core's abstract type "interrupt-controller" as
 * an ancestor and publishes a const EmuIntcClass as its
 * EmuTypeInfo.class_data.  Its output line (an IRQ property) tells the CPU
 * that an interrupt is pending; when the CPU takes it, it calls
 * acknowledge() exactly once, as the bus's interrupt-acknowledge cycle
 * would, and gets the vector.  Cascaded controllers (the PC's two 8259As)
 * forward the call down the cascade themselves.
 */
#ifndef EMU_INTC_H
#define EMU_INTC_H

#include <emu/object.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EMU_TYPE_INTC "interrupt-controller"

typedef struct EmuIntcClass {
    uint32_t size;              /* sizeof(EmuIntcClass) as built */
    /* The vector of the interrupt taken now, updating in-service state;
     * a controller with nothing pending returns its spurious vector. */
    uint8_t (*acknowledge)(EmuObject *intc);
} EmuIntcClass;

_Static_assert(offsetof(EmuIntcClass, size) == 0, "ABI: size first");

/* The EmuIntcClass of obj's type, or NULL when it is not a controller. */
static inline const EmuIntcClass *emu_intc_class(EmuObject *obj)
{
    const EmuType *type = emu_type_find(emu_object_type_name(obj), NULL);
    const EmuIntcClass *cls = NULL;

    if (type && emu_type_is_a(type, EMU_TYPE_INTC)) {
        cls = emu_type_class_data(type);
    }
    return cls && cls->size >= sizeof(EmuIntcClass) ? cls : NULL;
}

#ifdef __cplusplus
}
#endif
#endif
