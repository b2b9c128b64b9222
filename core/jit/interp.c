/*
 * The IR interpreter: runs a block's IR directly on any host.  It is the
 * portable backend and the reference the native backend is tested against.
 * Guest memory is host memory at guest_base + address (user mode).
 */
#include "config.h"
#include "jit-internal.h"
#include <string.h>

static uint64_t load_guest(uint64_t host, unsigned mo)
{
    switch (mo & (EMU_MO_SIZE | EMU_MO_SIGN)) {
    case EMU_MO_8: return *(uint8_t *)host;
    case EMU_MO_8S: return (uint64_t)(int64_t)*(int8_t *)host;
    case EMU_MO_16: { uint16_t v; memcpy(&v, (void *)host, 2); return v; }
    case EMU_MO_16S: { int16_t v; memcpy(&v, (void *)host, 2); return (uint64_t)(int64_t)v; }
    case EMU_MO_32: { uint32_t v; memcpy(&v, (void *)host, 4); return v; }
    case EMU_MO_32S: { int32_t v; memcpy(&v, (void *)host, 4); return (uint64_t)(int64_t)v; }
    default: { uint64_t v; memcpy(&v, (void *)host, 8); return v; }
    }
}

static void store_guest(uint64_t host, unsigned mo, uint64_t v)
{
    switch (mo & EMU_MO_SIZE) {
    case EMU_MO_8: *(uint8_t *)host = (uint8_t)v; break;
    case EMU_MO_16: { uint16_t x = (uint16_t)v; memcpy((void *)host, &x, 2); break; }
    case EMU_MO_32: { uint32_t x = (uint32_t)v; memcpy((void *)host, &x, 4); break; }
    default: memcpy((void *)host, &v, 8); break;
    }
}

static uint64_t swap_memop(uint64_t v, unsigned mo)
{
    switch (mo & EMU_MO_SIZE) {
    case EMU_MO_16: v = __builtin_bswap16((uint16_t)v);
        return (mo & EMU_MO_SIGN) ? (uint64_t)(int64_t)(int16_t)v : v;
    case EMU_MO_32: v = __builtin_bswap32((uint32_t)v);
        return (mo & EMU_MO_SIGN) ? (uint64_t)(int64_t)(int32_t)v : v;
    case EMU_MO_64: return __builtin_bswap64(v);
    default: return v;
    }
}

int64_t emu_jit_interp(const EmuJitInsn *insns, const uint32_t *label_pos,
                       unsigned n_temps, void *env, uint64_t guest_base,
                       volatile uint64_t *insn_pc)
{
    static __thread uint64_t *temps;
    static __thread unsigned temps_cap;
    if (n_temps > temps_cap) {
        temps_cap = MAX(n_temps, 1024u);
        temps = g_renew(uint64_t, temps, temps_cap);
    }
    uint64_t *t = temps;
    t[0] = (uint64_t)(uintptr_t)env;

    for (const EmuJitInsn *i = insns;; i++) {
        const uint32_t *a = i->args;
        switch (i->op) {
        case EMU_JIT_NOP:
        case EMU_JIT_LABEL:
        case EMU_JIT_GOTO_TB:
        case EMU_JIT_LOOKUP_TB:
            break;
        case EMU_JIT_INSN_START:
            if (insn_pc) {
                *insn_pc = (uint64_t)i->imm;
            }
            break;
        case EMU_JIT_MOVI:
            t[a[0]] = (uint64_t)i->imm;
            break;
        case EMU_JIT_MOV: t[a[0]] = t[a[1]]; break;
        case EMU_JIT_ADD: t[a[0]] = t[a[1]] + t[a[2]]; break;
        case EMU_JIT_SUB: t[a[0]] = t[a[1]] - t[a[2]]; break;
        case EMU_JIT_AND: t[a[0]] = t[a[1]] & t[a[2]]; break;
        case EMU_JIT_OR: t[a[0]] = t[a[1]] | t[a[2]]; break;
        case EMU_JIT_XOR: t[a[0]] = t[a[1]] ^ t[a[2]]; break;
        case EMU_JIT_EXT32U: t[a[0]] = (uint32_t)t[a[1]]; break;
        case EMU_JIT_LD_ENV:
            t[a[0]] = load_guest((uint64_t)(uintptr_t)env + (uint64_t)i->imm,
                                 i->aux);
            break;
        case EMU_JIT_ST_ENV:
            store_guest((uint64_t)(uintptr_t)env + (uint64_t)i->imm, i->aux,
                        t[a[0]]);
            break;
        case EMU_JIT_LD: {
            uint64_t v = load_guest(guest_base + t[a[1]], i->aux);
            t[a[0]] = (i->aux & EMU_MO_BE) ? swap_memop(v, i->aux) : v;
            break;
        }
        case EMU_JIT_ST: {
            uint64_t v = t[a[0]];
            if (i->aux & EMU_MO_BE) {
                v = swap_memop(v, i->aux & ~EMU_MO_SIGN);
            }
            store_guest(guest_base + t[a[1]], i->aux, v);
            break;
        }
        case EMU_JIT_CALL: {
            unsigned n = i->aux & EMU_JIT_CALL_NARGS_MASK;
            uint64_t x[EMU_JIT_HELPER_ARGS] = { 0 };
            for (unsigned k = 0; k < n; k++) {
                x[k] = t[a[k + 1]];
            }
            EmuJitHelper fn = (EmuJitHelper)(intptr_t)i->imm;
            t[a[0]] = fn(env, x[0], x[1], x[2], x[3]);
            break;
        }
        case EMU_JIT_BR:
            i = &insns[label_pos[i->imm]];
            break;
        case EMU_JIT_BRCOND:
            if (emu_jit_cond_true(i->aux, t[a[0]], t[a[1]])) {
                i = &insns[label_pos[i->imm]];
            }
            break;
        case EMU_JIT_EXIT_TB:
            return i->imm;
        case EMU_JIT_FADD64: case EMU_JIT_FSUB64: case EMU_JIT_FMUL64:
        case EMU_JIT_FDIV64: case EMU_JIT_FADD32: case EMU_JIT_FSUB32:
        case EMU_JIT_FMUL32: case EMU_JIT_FDIV32: case EMU_JIT_FCMP64:
        case EMU_JIT_FCMPS64:
            t[a[0]] = emu_jit_eval_fp(i->op, t[a[1]], t[a[2]]);
            break;
        case EMU_JIT_I64TOF64: case EMU_JIT_F64TOI64T: case EMU_JIT_F64TOI32T:
            t[a[0]] = emu_jit_eval_fp(i->op, t[a[1]], 0);
            break;
        default: {
            const EmuJitOpDef *def = emu_jit_op_def(i->op);
            uint64_t x[4] = { 0 };
            for (unsigned k = 0; k < def->n_in; k++) {
                x[k] = t[a[k + 1]];
            }
            t[a[0]] = emu_jit_eval(i->op, i->aux, x[0], x[1], x[2], x[3]);
            break;
        }
        }
    }
}
