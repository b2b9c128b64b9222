/*
 * -d in_asm: guest code disassembly with capstone when configure found it,
 * a hex dump otherwise.
 */
#include "config.h"
#include "jit-internal.h"
#include <emu/log.h>
#ifdef HAVE_CAPSTONE
#include <capstone/capstone.h>
#endif

static void log_hex(uint64_t pc, const uint8_t *code, size_t size)
{
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < size; i++) {
        g_string_append_printf(s, "%02x ", code[i]);
    }
    emu_log("IN: %016" G_GINT64_MODIFIER "x: %s\n\n", pc, s->str);
    g_string_free(s, TRUE);
}

#ifdef HAVE_CAPSTONE
/* Logs code at addr, one instruction a line, and closes the handle. */
static void log_insns(csh handle, const char *title, const uint8_t *code,
                      size_t size, uint64_t addr)
{
    cs_insn *insn;
    size_t count = cs_disasm(handle, code, size, addr, 0, &insn);
    GString *s = g_string_new(title);

    g_string_append_c(s, '\n');
    for (size_t i = 0; i < count; i++) {
        g_string_append_printf(s, "0x%016" G_GINT64_MODIFIER "x:  %s %s\n",
                               insn[i].address, insn[i].mnemonic,
                               insn[i].op_str);
    }
    emu_log("%s\n", s->str);
    g_string_free(s, TRUE);
    if (count) {
        cs_free(insn, count);
    }
    cs_close(&handle);
}
#endif

void emu_jit_log_guest_code(const EmuCpuClass *cls, uint64_t pc,
                            const uint8_t *code, size_t size, uint32_t flags)
{
#ifdef HAVE_CAPSTONE
    csh handle;
    cs_mode mode = (flags & 64) ? CS_MODE_64 : (flags & 16) ? CS_MODE_16
                                                            : CS_MODE_32;
    if (g_strcmp0(cls->capstone_arch, "x86") != 0 ||
        cs_open(CS_ARCH_X86, mode, &handle) != CS_ERR_OK) {
        log_hex(pc, code, size);
        return;
    }
    log_insns(handle, "IN:", code, size, pc);
#else
    (void)cls;
    (void)flags;
    log_hex(pc, code, size);
#endif
}

/* -d out_asm for the x86_64 backend. */
void emu_jit_log_host_code(const uint8_t *code, size_t size)
{
#ifdef HAVE_CAPSTONE
    csh handle;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) {
        return;
    }
    log_insns(handle, "OUT:", code, size, (uint64_t)(uintptr_t)code);
#else
    log_hex((uint64_t)(uintptr_t)code, code, size);
#endif
}
