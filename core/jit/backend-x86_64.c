/*
 * x86-64 host backend: IR to native code, one function per block.
 *
 * Register conventions inside generated code (all callee-saved, so helper
 * calls keep them): rbx = env, r12 = the temporaries array, r13 = guest
 * base, r14 = &cpu->insn_pc, r15 = &cpu->exit_request.  Temporaries live
 * in the array ([r12 + 8 * t]); each op loads its inputs into rax/rcx/rdx
 * and stores its output, which needs no register allocation and is still
 * far faster than interpreting.  Ops without a fast encoding call
 * emu_jit_eval(), so every op of the table works.
 *
 * Blocks chain directly: GOTO_TB emits a 4-byte-aligned "jmp rel32" that
 * first points at the block's own exit and is patched (one atomic store)
 * to the successor's body; every body starts by testing exit_request so a
 * kick still stops a loop of chained blocks.  EXIT_TB returns
 * (block address | slot + 1) so the caller knows which jump to patch.
 * Unsupported IR (big-endian memory ops, too many temporaries) makes
 * compilation fail and the block runs in the interpreter instead.
 */
#include "config.h"
#include "jit-internal.h"
#include <string.h>
#include <sys/mman.h>

#ifdef __x86_64__

#define CODE_BUFFER_SIZE (64u << 20)
#define MAX_NATIVE_TEMPS 65536

static uint8_t *code_buf;
static size_t code_used;

typedef struct Emitter {
    uint8_t *start, *p, *end;
    uint32_t *label_off;        /* label -> code offset (UINT32_MAX unset) */
    GArray *fixups;             /* Fixup */
    bool overflow;
} Emitter;

typedef struct Fixup {
    uint32_t at;                /* offset of the rel32 */
    uint32_t label;
} Fixup;

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13,
       R14, R15 };

static void b1(Emitter *e, uint8_t v)
{
    if (e->p < e->end) {
        *e->p++ = v;
    } else {
        e->overflow = true;
    }
}

static void bytes(Emitter *e, const uint8_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        b1(e, v[i]);
    }
}
#define EMIT(e, ...) do { static const uint8_t b_[] = { __VA_ARGS__ }; \
                          bytes(e, b_, sizeof(b_)); } while (0)

static void b4(Emitter *e, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        b1(e, (uint8_t)(v >> (8 * i)));
    }
}

static void b8(Emitter *e, uint64_t v)
{
    b4(e, (uint32_t)v);
    b4(e, (uint32_t)(v >> 32));
}

/* op reg, [base + disp32] with REX.W when w; base is rbx or r12. */
static void modrm_mem(Emitter *e, bool w, const uint8_t *op, size_t n_op,
                      int reg, int base, int32_t disp, bool prefix66)
{
    if (prefix66) {
        b1(e, 0x66);
    }
    uint8_t rex = 0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((base & 8) ? 1 : 0);
    if (rex != 0x40 || (!w && n_op == 1 && op[0] == 0x88 && reg >= 4)) {
        b1(e, rex);
    }
    bytes(e, op, n_op);
    b1(e, (uint8_t)(0x80 | ((reg & 7) << 3) | (base & 7)));
    if ((base & 7) == RSP) {
        b1(e, 0x24);            /* SIB: base only */
    }
    b4(e, (uint32_t)disp);
}

static void load_temp(Emitter *e, int reg, uint32_t t)
{
    static const uint8_t op[] = { 0x8b };
    modrm_mem(e, true, op, 1, reg, R12, (int32_t)(8 * t), false);
}

static void store_temp(Emitter *e, int reg, uint32_t t)
{
    static const uint8_t op[] = { 0x89 };
    modrm_mem(e, true, op, 1, reg, R12, (int32_t)(8 * t), false);
}

static void mov_imm64(Emitter *e, int reg, uint64_t v)
{
    b1(e, 0x48 | ((reg & 8) ? 1 : 0));
    b1(e, (uint8_t)(0xb8 + (reg & 7)));
    b8(e, v);
}

/* Loads from [rbx + off] (env) or [rcx] (guest) into rax, per memop. */
static void load_sized(Emitter *e, unsigned mo, int base, int32_t disp)
{
    static const uint8_t mov[] = { 0x8b }, movsxd[] = { 0x63 };
    static const uint8_t movzx8[] = { 0x0f, 0xb6 }, movsx8[] = { 0x0f, 0xbe };
    static const uint8_t movzx16[] = { 0x0f, 0xb7 }, movsx16[] = { 0x0f, 0xbf };
    switch (mo & (EMU_MO_SIZE | EMU_MO_SIGN)) {
    case EMU_MO_8: modrm_mem(e, false, movzx8, 2, RAX, base, disp, false); break;
    case EMU_MO_8S: modrm_mem(e, true, movsx8, 2, RAX, base, disp, false); break;
    case EMU_MO_16: modrm_mem(e, false, movzx16, 2, RAX, base, disp, false); break;
    case EMU_MO_16S: modrm_mem(e, true, movsx16, 2, RAX, base, disp, false); break;
    case EMU_MO_32: modrm_mem(e, false, mov, 1, RAX, base, disp, false); break;
    case EMU_MO_32S: modrm_mem(e, true, movsxd, 1, RAX, base, disp, false); break;
    default: modrm_mem(e, true, mov, 1, RAX, base, disp, false); break;
    }
}

static void store_sized(Emitter *e, unsigned mo, int base, int32_t disp)
{
    static const uint8_t mov8[] = { 0x88 }, mov[] = { 0x89 };
    switch (mo & EMU_MO_SIZE) {
    case EMU_MO_8: modrm_mem(e, false, mov8, 1, RAX, base, disp, false); break;
    case EMU_MO_16: modrm_mem(e, false, mov, 1, RAX, base, disp, true); break;
    case EMU_MO_32: modrm_mem(e, false, mov, 1, RAX, base, disp, false); break;
    default: modrm_mem(e, true, mov, 1, RAX, base, disp, false); break;
    }
}

static void epilogue(Emitter *e)
{
    /* add rsp, 8; pop r15; pop r14; pop r13; pop r12; pop rbp; pop rbx; ret */
    EMIT(e, 0x48, 0x83, 0xc4, 0x08, 0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41,
         0x5c, 0x5d, 0x5b, 0xc3);
}

static void exit_with(Emitter *e, uint64_t value)
{
    mov_imm64(e, RAX, value);
    epilogue(e);
}

static uint8_t host_cc(unsigned cond)
{
    switch (cond) {
    case EMU_JIT_EQ: case EMU_JIT_TSTEQ: return 0x4;
    case EMU_JIT_NE: case EMU_JIT_TSTNE: return 0x5;
    case EMU_JIT_LT: return 0xc;
    case EMU_JIT_GE: return 0xd;
    case EMU_JIT_LE: return 0xe;
    case EMU_JIT_GT: return 0xf;
    case EMU_JIT_LTU: return 0x2;
    case EMU_JIT_GEU: return 0x3;
    case EMU_JIT_LEU: return 0x6;
    default: return 0x7;        /* GTU */
    }
}

/* Sets host flags for cond on rax, rcx; false for NEVER/ALWAYS. */
static bool compare(Emitter *e, unsigned cond)
{
    if (cond == EMU_JIT_NEVER || cond == EMU_JIT_ALWAYS) {
        return false;
    }
    if (cond == EMU_JIT_TSTEQ || cond == EMU_JIT_TSTNE) {
        EMIT(e, 0x48, 0x85, 0xc8);      /* test rax, rcx */
    } else {
        EMIT(e, 0x48, 0x39, 0xc8);      /* cmp rax, rcx */
    }
    return true;
}

static void jump_label(Emitter *e, int cc, uint32_t label)
{
    if (cc < 0) {
        b1(e, 0xe9);
    } else {
        b1(e, 0x0f);
        b1(e, (uint8_t)(0x80 + cc));
    }
    Fixup f = { (uint32_t)(e->p - e->start), label };
    g_array_append_val(e->fixups, f);
    b4(e, 0);
}

static uint64_t eval_trampoline(uint64_t op_aux, uint64_t a, uint64_t b,
                                uint64_t c, uint64_t d)
{
    return emu_jit_eval((unsigned)(op_aux & 0xffff), (unsigned)(op_aux >> 16),
                        a, b, c, d);
}

/* Generic path: rax = emu_jit_eval(op, aux, inputs...). */
static void gen_eval_call(Emitter *e, const EmuJitInsn *i, unsigned n_in)
{
    static const int arg_regs[] = { RSI, RDX, RCX, R8 };
    mov_imm64(e, RDI, i->op | ((uint64_t)i->aux << 16));
    for (unsigned k = 0; k < n_in && k < 4; k++) {
        load_temp(e, arg_regs[k], i->args[1 + k]);
    }
    mov_imm64(e, RAX, (uint64_t)(uintptr_t)eval_trampoline);
    EMIT(e, 0xff, 0xd0);                /* call rax */
    store_temp(e, RAX, i->args[0]);
}

static void gen_call(Emitter *e, const EmuJitInsn *i)
{
    static const int arg_regs[] = { RSI, RDX, RCX, R8 };
    unsigned n = i->aux & EMU_JIT_CALL_NARGS_MASK;
    for (unsigned k = 0; k < n && k < 4; k++) {
        load_temp(e, arg_regs[k], i->args[1 + k]);
    }
    for (unsigned k = n; k < 4; k++) {
        mov_imm64(e, arg_regs[k], 0);
    }
    EMIT(e, 0x48, 0x89, 0xdf);          /* mov rdi, rbx */
    mov_imm64(e, RAX, (uint64_t)i->imm);
    EMIT(e, 0xff, 0xd0);                /* call rax */
    store_temp(e, RAX, i->args[0]);
}

/* Two-input ops with a direct encoding: rax = rax op rcx. */
static bool gen_binary(Emitter *e, const EmuJitInsn *i)
{
    const uint32_t *a = i->args;
    load_temp(e, RAX, a[1]);
    load_temp(e, RCX, a[2]);
    switch (i->op) {
    case EMU_JIT_ADD: EMIT(e, 0x48, 0x01, 0xc8); break;
    case EMU_JIT_SUB: EMIT(e, 0x48, 0x29, 0xc8); break;
    case EMU_JIT_AND: EMIT(e, 0x48, 0x21, 0xc8); break;
    case EMU_JIT_OR: EMIT(e, 0x48, 0x09, 0xc8); break;
    case EMU_JIT_XOR: EMIT(e, 0x48, 0x31, 0xc8); break;
    case EMU_JIT_MUL: EMIT(e, 0x48, 0x0f, 0xaf, 0xc1); break;
    case EMU_JIT_SHL: EMIT(e, 0x48, 0xd3, 0xe0); break;
    case EMU_JIT_SHR: EMIT(e, 0x48, 0xd3, 0xe8); break;
    case EMU_JIT_SAR: EMIT(e, 0x48, 0xd3, 0xf8); break;
    case EMU_JIT_ROTL: EMIT(e, 0x48, 0xd3, 0xc0); break;
    case EMU_JIT_ROTR: EMIT(e, 0x48, 0xd3, 0xc8); break;
    case EMU_JIT_MULUH:
        EMIT(e, 0x48, 0xf7, 0xe1, 0x48, 0x89, 0xd0);    /* mul rcx; mov rax, rdx */
        break;
    case EMU_JIT_MULSH:
        EMIT(e, 0x48, 0xf7, 0xe9, 0x48, 0x89, 0xd0);    /* imul rcx; mov rax, rdx */
        break;
    case EMU_JIT_SETCOND:
        if (compare(e, i->aux)) {
            b1(e, 0x0f);                            /* setcc al */
            b1(e, (uint8_t)(0x90 + host_cc(i->aux)));
            b1(e, 0xc0);
            EMIT(e, 0x0f, 0xb6, 0xc0);              /* movzx eax, al */
        } else {
            mov_imm64(e, RAX, i->aux == EMU_JIT_ALWAYS);
        }
        break;
    default:
        return false;
    }
    store_temp(e, RAX, a[0]);
    return true;
}

static bool gen_unary(Emitter *e, const EmuJitInsn *i)
{
    load_temp(e, RAX, i->args[1]);
    switch (i->op) {
    case EMU_JIT_MOV: break;
    case EMU_JIT_NEG: EMIT(e, 0x48, 0xf7, 0xd8); break;
    case EMU_JIT_NOT: EMIT(e, 0x48, 0xf7, 0xd0); break;
    case EMU_JIT_EXT8S: EMIT(e, 0x48, 0x0f, 0xbe, 0xc0); break;
    case EMU_JIT_EXT8U: EMIT(e, 0x0f, 0xb6, 0xc0); break;
    case EMU_JIT_EXT16S: EMIT(e, 0x48, 0x0f, 0xbf, 0xc0); break;
    case EMU_JIT_EXT16U: EMIT(e, 0x0f, 0xb7, 0xc0); break;
    case EMU_JIT_EXT32S: EMIT(e, 0x48, 0x63, 0xc0); break;
    case EMU_JIT_EXT32U: EMIT(e, 0x89, 0xc0); break;
    case EMU_JIT_BSWAP32: EMIT(e, 0x0f, 0xc8); break;
    case EMU_JIT_BSWAP64: EMIT(e, 0x48, 0x0f, 0xc8); break;
    default: return false;
    }
    store_temp(e, RAX, i->args[0]);
    return true;
}

static bool gen_insn(Emitter *e, EmuJitTb *tb, const EmuJitInsn *i)
{
    const uint32_t *a = i->args;
    const EmuJitOpDef *def = emu_jit_op_def(i->op);
    switch (i->op) {
    case EMU_JIT_NOP:
        return true;
    case EMU_JIT_INSN_START:
        mov_imm64(e, RAX, (uint64_t)i->imm);
        EMIT(e, 0x49, 0x89, 0x06);      /* mov [r14], rax */
        return true;
    case EMU_JIT_MOVI:
        mov_imm64(e, RAX, (uint64_t)i->imm);
        store_temp(e, RAX, a[0]);
        return true;
    case EMU_JIT_LD_ENV:
        if (i->aux & EMU_MO_BE) {
            return false;
        }
        load_sized(e, i->aux, RBX, (int32_t)i->imm);
        store_temp(e, RAX, a[0]);
        return true;
    case EMU_JIT_ST_ENV:
        if (i->aux & EMU_MO_BE) {
            return false;
        }
        load_temp(e, RAX, a[0]);
        store_sized(e, i->aux, RBX, (int32_t)i->imm);
        return true;
    case EMU_JIT_LD: case EMU_JIT_ST:
        if (i->aux & EMU_MO_BE) {
            return false;
        }
        load_temp(e, RCX, a[1]);
        if (emu_jit_opts.guest_base) {
            EMIT(e, 0x4c, 0x01, 0xe9);  /* add rcx, r13 */
        }
        if (i->op == EMU_JIT_LD) {
            load_sized(e, i->aux, RCX, 0);
            store_temp(e, RAX, a[0]);
        } else {
            load_temp(e, RAX, a[0]);
            store_sized(e, i->aux, RCX, 0);
        }
        return true;
    case EMU_JIT_CALL:
        gen_call(e, i);
        return true;
    case EMU_JIT_LABEL:
        e->label_off[i->imm] = (uint32_t)(e->p - e->start);
        return true;
    case EMU_JIT_BR:
        jump_label(e, -1, (uint32_t)i->imm);
        return true;
    case EMU_JIT_BRCOND:
        load_temp(e, RAX, a[0]);
        load_temp(e, RCX, a[1]);
        if (compare(e, i->aux)) {
            jump_label(e, host_cc(i->aux), (uint32_t)i->imm);
        } else if (i->aux == EMU_JIT_ALWAYS) {
            jump_label(e, -1, (uint32_t)i->imm);
        }
        return true;
    case EMU_JIT_MOVCOND:
        load_temp(e, RAX, a[1]);
        load_temp(e, RCX, a[2]);
        load_temp(e, RDX, a[3]);
        if (compare(e, i->aux)) {
            load_temp(e, RAX, a[4]);                    /* mov keeps flags */
            EMIT(e, 0x48, 0x0f);                    /* cmovcc rax, rdx */
            b1(e, (uint8_t)(0x40 + host_cc(i->aux)));
            b1(e, 0xc2);
        } else {
            load_temp(e, RAX, i->aux == EMU_JIT_ALWAYS ? a[3] : a[4]);
        }
        store_temp(e, RAX, a[0]);
        return true;
    case EMU_JIT_GOTO_TB: {
        unsigned slot = (unsigned)i->imm & 1;
        while (((e->p - e->start) + 1) % 4) {
            b1(e, 0x90);
        }
        b1(e, 0xe9);
        tb->jmp_site[slot] = (uint32_t)(e->p - e->start);
        b4(e, 0);               /* falls through to the exit that follows */
        tb->jmp_reset[slot] = (uint32_t)(e->p - e->start);
        return true;
    }
    case EMU_JIT_EXIT_TB:
        if (i->imm > 0 && i->imm <= 2) {
            exit_with(e, (uint64_t)(uintptr_t)tb | (uint64_t)i->imm);
        } else {
            exit_with(e, (uint64_t)i->imm);
        }
        return true;
    default:
        break;
    }
    if (def->n_in == 2 && gen_binary(e, i)) {
        return true;
    }
    if (def->n_in == 1 && gen_unary(e, i)) {
        return true;
    }
    if (def->flags & EMU_JIT_F_FOLD) {
        gen_eval_call(e, i, def->n_in);
        return true;
    }
    if (i->op == EMU_JIT_DIVU || i->op == EMU_JIT_DIVS || i->op == EMU_JIT_REMU ||
        i->op == EMU_JIT_REMS) {
        gen_eval_call(e, i, 2);
        return true;
    }
    return false;
}

/* Only helpers and guest memory accesses can raise an exception, so an
 * instruction without them needs no INSN_START (the pc it records). */
static bool may_fault(const EmuJitTb *tb, unsigned start)
{
    for (unsigned k = start + 1; k < tb->n_insns; k++) {
        switch (tb->insns[k].op) {
        case EMU_JIT_INSN_START:
            return false;
        case EMU_JIT_LD: case EMU_JIT_ST: case EMU_JIT_CALL:
            return true;
        default:
            break;
        }
    }
    return false;
}

static void prologue(Emitter *e, uint64_t guest_base)
{
    /* push rbx, rbp, r12, r13, r14, r15; sub rsp, 8 */
    EMIT(e, 0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57,
         0x48, 0x83, 0xec, 0x08);
    EMIT(e, 0x48, 0x89, 0xfb,           /* mov rbx, rdi (env) */
         0x49, 0x89, 0xf4,              /* mov r12, rsi (temps) */
         0x49, 0x89, 0xd6,              /* mov r14, rdx (&insn_pc) */
         0x49, 0x89, 0xcf);             /* mov r15, rcx (&exit_request) */
    mov_imm64(e, R13, guest_base);
}

static bool code_buffer_init(void)
{
    if (!code_buf) {
        void *p = mmap(NULL, CODE_BUFFER_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            return false;
        }
        code_buf = p;
    }
    return true;
}

/* Called with the TB lock held.  On failure the block stays interpreted. */
bool emu_jit_x86_64_compile(EmuJitTb *tb)
{
    if (tb->n_temps > MAX_NATIVE_TEMPS || !code_buffer_init()) {
        return false;
    }
    size_t room = CODE_BUFFER_SIZE - code_used;
    Emitter e = {
        .start = code_buf + code_used, .p = code_buf + code_used,
        .end = code_buf + CODE_BUFFER_SIZE,
        .label_off = g_new(uint32_t, tb->n_labels ? tb->n_labels : 1),
        .fixups = g_array_new(FALSE, FALSE, sizeof(Fixup)),
    };
    memset(e.label_off, 0xff, sizeof(uint32_t) * (tb->n_labels ? tb->n_labels : 1));
    bool ok = room > 256;
    if (ok) {
        prologue(&e, emu_jit_opts.guest_base);
        tb->body_off = (uint32_t)(e.p - e.start);
        EMIT(&e, 0x41, 0x83, 0x3f, 0x00,   /* cmp dword [r15], 0 */
             0x74, 0x19);                  /* je +25: past the exit */
        exit_with(&e, 0);                  /* 10 + 15 bytes */
    }
    for (unsigned k = 0; ok && k < tb->n_insns; k++) {
        if (tb->insns[k].op == EMU_JIT_INSN_START && !may_fault(tb, k)) {
            continue;
        }
        ok = gen_insn(&e, tb, &tb->insns[k]);
    }
    for (guint k = 0; ok && k < e.fixups->len; k++) {
        Fixup *f = &g_array_index(e.fixups, Fixup, k);
        uint32_t target = e.label_off[f->label];
        if (target == UINT32_MAX) {
            ok = false;
            break;
        }
        int32_t rel = (int32_t)(target - (f->at + 4));
        memcpy(e.start + f->at, &rel, 4);
    }
    ok = ok && !e.overflow;
    if (ok) {
        for (int s = 0; s < 2; s++) {
            if (tb->jmp_site[s]) {
                int32_t rel = (int32_t)(tb->jmp_reset[s] - (tb->jmp_site[s] + 4));
                memcpy(e.start + tb->jmp_site[s], &rel, 4);
            }
        }
        tb->host_code = e.start;
        tb->host_size = (uint32_t)(e.p - e.start);
        code_used += (size_t)(e.p - e.start);
        code_used = (code_used + 15) & ~(size_t)15;
    }
    g_free(e.label_off);
    g_array_free(e.fixups, TRUE);
    return ok;
}

/* Points from's jump for slot at to's body (atomic 4-byte store). */
void emu_jit_x86_64_link(EmuJitTb *from, unsigned slot, EmuJitTb *to)
{
    uint8_t *site = from->host_code + from->jmp_site[slot];
    uint8_t *target = to->host_code + to->body_off;
    int32_t rel = (int32_t)(target - (site + 4));
    __atomic_store_n((int32_t *)(void *)site, rel, __ATOMIC_SEQ_CST);
}

void emu_jit_x86_64_unlink(EmuJitTb *from, unsigned slot)
{
    uint8_t *site = from->host_code + from->jmp_site[slot];
    int32_t rel = (int32_t)(from->jmp_reset[slot] - (from->jmp_site[slot] + 4));
    __atomic_store_n((int32_t *)(void *)site, rel, __ATOMIC_SEQ_CST);
}

int64_t emu_jit_x86_64_run(EmuJitTb *tb, void *env, uint64_t *temps,
                           volatile uint64_t *insn_pc,
                           volatile sig_atomic_t *exit_request)
{
    typedef int64_t (*BlockFn)(void *, uint64_t *, volatile uint64_t *,
                               volatile sig_atomic_t *);
    BlockFn fn = (BlockFn)(void *)tb->host_code;
    return fn(env, temps, insn_pc, exit_request);
}

uint64_t *emu_jit_x86_64_temps(void)
{
    static __thread uint64_t *temps;
    if (!temps) {
        temps = g_new0(uint64_t, MAX_NATIVE_TEMPS);
    }
    return temps;
}

#endif /* __x86_64__ */
