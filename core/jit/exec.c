/*
 * Running guest code: the TB cache (a global table keyed by pc and mode
 * flags, behind a per-vCPU jump cache), block chaining through goto_tb
 * slots, per-page invalidation for self-modifying code, the vCPU loop and
 * guest exceptions (helpers and host faults leave a block with
 * siglongjmp; the pc is restored from the last INSN_START).
 *
 * Blocks are never freed while vCPU threads may still run them: an
 * invalidated block is only marked and unhooked.  Translation and table
 * updates run under one lock; lookups in the jump cache are lock-free.
 *
 * When the native code buffer is full, the whole cache is flushed at a
 * safe point: every vCPU counts itself in n_running from the top of its
 * loop until its block returns, the flusher kicks them all and waits
 * until none runs (threads in system calls are not running), then frees
 * every block, invalidated ones included, and empties the code buffer.
 */
#include "config.h"
#include "jit-internal.h"
#include <emu/log.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

EmuJitOptions emu_jit_opts = {
    .size = sizeof(EmuJitOptions),
    .backend = EMU_JIT_BACKEND_INTERP,
    .optimize = true,
};

static GMutex tb_lock;
static GHashTable *tb_table;      /* key (pc, flags) -> EmuJitTb */
static GHashTable *page_table;    /* guest page -> GPtrArray of EmuJitTb */
static GPtrArray *all_cpus;
static void (*code_page_hook)(uint64_t page);
static struct {
    uint64_t blocks_translated, blocks_invalidated, flushes;
    uint64_t ir_ops_before_opt, ir_ops_after_opt, native_failures;
} stats;
static GArray *chained;           /* ChainSite: patched native jumps */
static GHashTable *breakpoints;   /* debugger breakpoint pcs (tb_lock) */
static volatile unsigned n_breakpoints;
static GPtrArray *all_tbs;        /* every block not yet freed */
static int n_running;             /* vCPUs in their loop (atomic) */
static int flush_pending;         /* the code buffer is full (atomic) */
static unsigned flush_gen;        /* flushes so far */
static GMutex flush_lock;

typedef struct ChainSite {
    EmuJitTb *from;
    unsigned slot;
} ChainSite;
static __thread EmuJitCpu *current_cpu;

#define PAGE_MASK_ (~(uint64_t)4095)

typedef struct TbKey {
    uint64_t pc;
    uint32_t flags;
} TbKey;

static guint tb_key_hash(gconstpointer p)
{
    const TbKey *k = p;
    return (guint)(k->pc ^ (k->pc >> 32) ^ ((uint64_t)k->flags << 7));
}

static gboolean tb_key_equal(gconstpointer a, gconstpointer b)
{
    const TbKey *x = a, *y = b;
    return x->pc == y->pc && x->flags == y->flags;
}

/* In a forked child only the forking thread, outside its loop, exists. */
static void forget_other_threads(void)
{
    n_running = 0;
}

static void tables_init(void)
{
    if (!tb_table) {
        tb_table = g_hash_table_new_full(tb_key_hash, tb_key_equal, g_free,
                                         NULL);
        page_table = g_hash_table_new_full(g_int64_hash, g_int64_equal,
                                           g_free,
                                           (GDestroyNotify)g_ptr_array_unref);
        all_cpus = g_ptr_array_new();
        chained = g_array_new(FALSE, FALSE, sizeof(ChainSite));
        breakpoints = g_hash_table_new_full(g_int64_hash, g_int64_equal,
                                            g_free, NULL);
        all_tbs = g_ptr_array_new();
        pthread_atfork(NULL, NULL, forget_other_threads);
    }
}

EMU_API bool emu_jit_backend_from_name(const char *name, EmuJitBackend *out)
{
    if (!g_strcmp0(name, "interp") || !g_strcmp0(name, "tci")) {
        *out = EMU_JIT_BACKEND_INTERP;
        return true;
    }
    if (!g_strcmp0(name, "x86_64") || !g_strcmp0(name, "native")) {
        *out = EMU_JIT_BACKEND_X86_64;
        return true;
    }
    return false;
}

EMU_API bool emu_jit_configure(const EmuJitOptions *opts, GError **errp)
{
    if (opts->size < offsetof(EmuJitOptions, single_step)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "JIT options struct too small (%u bytes)", opts->size);
        return false;
    }
#ifndef __x86_64__
    if (opts->backend == EMU_JIT_BACKEND_X86_64) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NOSYS,
                    "the x86_64 backend needs an x86_64 host; "
                    "use the interpreter");
        return false;
    }
#endif
    memcpy(&emu_jit_opts, opts, MIN((size_t)opts->size, sizeof(EmuJitOptions)));
    emu_jit_opts.size = sizeof(EmuJitOptions);
    return true;
}

EMU_API void emu_jit_set_code_page_hook(void (*hook)(uint64_t page))
{
    code_page_hook = hook;
}

EMU_API void emu_jit_get_stats(EmuJitStats *out)
{
    EmuJitStats s = {
        .size = sizeof(s), .blocks_translated = stats.blocks_translated,
        .blocks_invalidated = stats.blocks_invalidated,
        .flushes = stats.flushes, .ir_ops_before_opt = stats.ir_ops_before_opt,
        .ir_ops_after_opt = stats.ir_ops_after_opt,
    };
    g_mutex_lock(&tb_lock);
    memcpy(out, &s, MIN(out->size, (uint32_t)sizeof(s)));
    g_mutex_unlock(&tb_lock);
}

/* ---- vCPUs ---- */

static void free_step_block(EmuJitCpu *cpu);

EMU_API EmuJitCpu *emu_jit_cpu_new(const EmuCpuClass *cls, const char *model,
                                   GError **errp)
{
    if (cls->size < offsetof(EmuCpuClass, copy_state)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "CPU class for %s is too old (size %u)", cls->arch,
                    cls->size);
        return NULL;
    }
    EmuJitCpu *cpu = g_malloc0(sizeof(EmuJitCpu) + cls->state_size);
    cpu->cls = cls;
    cpu->env = cpu->env_storage;
    cpu->model = g_strdup(model);
    if (!cls->reset(cpu->env, model, errp)) {
        emu_jit_cpu_free(cpu);
        return NULL;
    }
    g_mutex_lock(&tb_lock);
    tables_init();
    g_ptr_array_add(all_cpus, cpu);
    g_mutex_unlock(&tb_lock);
    return cpu;
}

EMU_API void emu_jit_cpu_free(EmuJitCpu *cpu)
{
    if (!cpu) {
        return;
    }
    g_mutex_lock(&tb_lock);
    if (all_cpus) {
        g_ptr_array_remove(all_cpus, cpu);
    }
    g_mutex_unlock(&tb_lock);
    free_step_block(cpu);
    g_free(cpu->model);
    g_free(cpu);
}

EMU_API void *emu_jit_cpu_env(EmuJitCpu *cpu)
{
    return cpu->env;
}

EMU_API const EmuCpuClass *emu_jit_cpu_class(EmuJitCpu *cpu)
{
    return cpu->cls;
}

EMU_API EmuJitCpu *emu_jit_cpu_current(void)
{
    return current_cpu;
}

EMU_API void emu_jit_cpu_kick(EmuJitCpu *cpu)
{
    cpu->exit_request = 1;
}

/* ---- translation ---- */

static void page_add_tb(uint64_t page, EmuJitTb *tb)
{
    GPtrArray *list = g_hash_table_lookup(page_table, &page);
    if (!list) {
        uint64_t *key = g_new(uint64_t, 1);
        *key = page;
        list = g_ptr_array_new();
        g_hash_table_insert(page_table, key, list);
        if (code_page_hook) {
            code_page_hook(page);
        }
    }
    g_ptr_array_add(list, tb);
}

/* Kicks every vCPU so that the flush can happen (see enter_loop). */
static void request_flush_locked(void)
{
    __atomic_store_n(&flush_pending, 1, __ATOMIC_SEQ_CST);
    for (guint i = 0; i < all_cpus->len; i++) {
        emu_jit_cpu_kick(g_ptr_array_index(all_cpus, i));
    }
}

static void tb_free(EmuJitTb *tb)
{
    g_free(tb->insns);
    g_free(tb->label_pos);
    g_free(tb);
}

/* No vCPU runs: forget and free every block, empty the code buffer. */
static void flush_all_locked(void)
{
    g_hash_table_remove_all(tb_table);
    g_hash_table_remove_all(page_table);
    g_array_set_size(chained, 0);
    for (guint i = 0; i < all_cpus->len; i++) {
        EmuJitCpu *cpu = g_ptr_array_index(all_cpus, i);
        memset(cpu->jmp_cache, 0, sizeof(cpu->jmp_cache));
    }
    for (guint i = 0; i < all_tbs->len; i++) {
        tb_free(g_ptr_array_index(all_tbs, i));
    }
    g_ptr_array_set_size(all_tbs, 0);
#ifdef __x86_64__
    emu_jit_x86_64_reset();
#endif
    stats.flushes++;
    flush_gen++;
}

/* A flush was requested: wait until no vCPU runs, then one thread does it. */
static void flush_when_idle(void)
{
    g_mutex_lock(&flush_lock);
    if (__atomic_load_n(&flush_pending, __ATOMIC_SEQ_CST)) {
        while (__atomic_load_n(&n_running, __ATOMIC_SEQ_CST) > 0) {
            g_usleep(100);
        }
        g_mutex_lock(&tb_lock);
        flush_all_locked();
        g_mutex_unlock(&tb_lock);
        __atomic_store_n(&flush_pending, 0, __ATOMIC_SEQ_CST);
    }
    g_mutex_unlock(&flush_lock);
}

/* Counts this vCPU as running (after taking part in a pending flush);
 * false when a flush happened since its last block, which is gone. */
static bool enter_loop(EmuJitCpu *cpu)
{
    __atomic_add_fetch(&n_running, 1, __ATOMIC_SEQ_CST);
    if (!__atomic_load_n(&flush_pending, __ATOMIC_SEQ_CST)) {
        /* no flush can start before leave_loop() now */
        unsigned gen = __atomic_load_n(&flush_gen, __ATOMIC_SEQ_CST);
        bool same = cpu->flush_gen == gen;
        cpu->flush_gen = gen;
        return same;
    }
    __atomic_sub_fetch(&n_running, 1, __ATOMIC_SEQ_CST);
    flush_when_idle();
    enter_loop(cpu);
    return false;
}

static void leave_loop(void)
{
    __atomic_sub_fetch(&n_running, 1, __ATOMIC_SEQ_CST);
}

static void log_ir(const char *title, EmuJitCtx *ctx)
{
    char *text = emu_jit_dump(ctx->insns, ctx->n_insns);
    emu_log("%s\n%s\n", title, text);
    g_free(text);
}

static bool breakpoint_at_locked(uint64_t pc)
{
    return n_breakpoints && g_hash_table_contains(breakpoints, &pc);
}

#ifdef __x86_64__
/* -perfmap: one "START SIZE name" line (hex) per block in the map file
 * perf reads for JIT code, /tmp/perf-PID.map; reopened after fork. */
static void perfmap_add(const EmuJitTb *tb)
{
    static int fd = -1;
    static pid_t fd_pid;
    pid_t pid = getpid();
    if (fd_pid != pid) {
        char path[64];
        g_snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)pid);
        if (fd >= 0) {
            close(fd);
        }
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        fd_pid = pid;
    }
    char line[96];
    int n = g_snprintf(line, sizeof(line), "%" G_GINT64_MODIFIER "x %x guest-0x%"
                       G_GINT64_MODIFIER "x\n", (guint64)(uintptr_t)tb->host_code,
                       tb->host_size, tb->pc);
    if (fd >= 0 && write(fd, line, (size_t)n) != n) {
        close(fd);      /* a full /tmp: stop writing, do not stop the guest */
        fd = -1;
    }
}
#endif

/* A block must end in front of a breakpoint so the vCPU loop sees its pc:
 * the number of instructions before the first breakpoint after the
 * block's start, 0 when none is inside. */
static unsigned insns_before_breakpoint(const EmuJitCtx *ctx)
{
    unsigned k = 0;
    for (unsigned i = 0; n_breakpoints && i < ctx->n_insns; i++) {
        if (ctx->insns[i].op != EMU_JIT_INSN_START) {
            continue;
        }
        if (k && breakpoint_at_locked((uint64_t)ctx->insns[i].imm)) {
            return k;
        }
        k++;
    }
    return 0;
}

static EmuJitTb *translate_block(EmuJitCpu *cpu, uint64_t pc, uint32_t flags)
{
    const EmuCpuClass *cls = cpu->cls;
    EmuJitCtx *ctx = emu_jit_ctx_new();
    unsigned max = emu_jit_opts.single_step ? 1 :
                   emu_jit_opts.max_insns ? emu_jit_opts.max_insns :
                   cls->max_insns;
    size_t size = cls->translate(ctx, pc, flags, emu_jit_opts.guest_base, max);
    unsigned before_bp = insns_before_breakpoint(ctx);
    if (before_bp) {
        emu_jit_ctx_free(ctx);
        ctx = emu_jit_ctx_new();
        size = cls->translate(ctx, pc, flags, emu_jit_opts.guest_base,
                              before_bp);
    }
    if (emu_log_enabled(EMU_LOG_IN_ASM)) {
        emu_jit_log_guest_code(cls, pc,
                               (const uint8_t *)(uintptr_t)(emu_jit_opts.guest_base + pc),
                               size, flags);
    }
    if (emu_log_enabled(EMU_LOG_OP)) {
        log_ir("OP:", ctx);
    }
    stats.ir_ops_before_opt += ctx->n_insns;
    if (emu_jit_opts.optimize) {
        emu_jit_optimize(ctx);
        if (emu_log_enabled(EMU_LOG_OP)) {
            log_ir("OP after optimization:", ctx);
        }
    }
    stats.ir_ops_after_opt += ctx->n_insns;
    if (emu_log_enabled(EMU_LOG_OUT_ASM) &&
        emu_jit_opts.backend == EMU_JIT_BACKEND_INTERP) {
        emu_log("OUT: [interpreter backend: %u IR ops, no host code]\n\n",
                ctx->n_insns);
    }
    EmuJitTb *tb = g_new0(EmuJitTb, 1);
    tb->pc = pc;
    tb->flags = flags;
    tb->guest_size = (uint32_t)MAX(size, 1);
    tb->insns = g_memdup2(ctx->insns, ctx->n_insns * sizeof(EmuJitInsn));
    tb->n_insns = ctx->n_insns;
    tb->n_temps = ctx->n_temps;
    tb->label_pos = emu_jit_label_positions(ctx->insns, ctx->n_insns,
                                            ctx->n_labels);
    tb->n_labels = ctx->n_labels;
    emu_jit_ctx_free(ctx);
    /* Never run while the breakpoint exists, and without host code it
     * can never be the target of a native chain. */
    tb->breakpoint = breakpoint_at_locked(pc);
#ifdef __x86_64__
    if (emu_jit_opts.backend == EMU_JIT_BACKEND_X86_64 && !tb->breakpoint &&
        !emu_jit_x86_64_compile(tb)) {
        stats.native_failures++;
        if (emu_jit_x86_64_full()) {
            request_flush_locked();     /* this block is interpreted */
        }
    }
    if (emu_log_enabled(EMU_LOG_OUT_ASM) && tb->host_code) {
        emu_jit_log_host_code(tb->host_code, tb->host_size);
    }
    if (emu_jit_opts.perfmap && tb->host_code) {
        perfmap_add(tb);
    }
#endif
    stats.blocks_translated++;
    g_ptr_array_add(all_tbs, tb);
    return tb;
}

static EmuJitTb *lookup_or_translate(EmuJitCpu *cpu, uint64_t pc,
                                     uint32_t flags)
{
    unsigned slot = emu_jit_jmp_cache_slot(pc);
    EmuJitTb *tb = cpu->jmp_cache[slot];
    if (tb && tb->pc == pc && tb->flags == flags && !tb->invalid) {
        return tb;
    }
    g_mutex_lock(&tb_lock);
    TbKey key = { pc, flags };
    tb = g_hash_table_lookup(tb_table, &key);
    if (!tb) {
        tb = translate_block(cpu, pc, flags);
        g_hash_table_insert(tb_table, g_memdup2(&key, sizeof(key)), tb);
        uint64_t first = pc & PAGE_MASK_;
        uint64_t last = (pc + tb->guest_size - 1) & PAGE_MASK_;
        page_add_tb(first, tb);
        if (last != first) {
            page_add_tb(last, tb);
        }
    }
    g_mutex_unlock(&tb_lock);
    cpu->jmp_cache[slot] = tb;
    return tb;
}

/* ---- invalidation ---- */

/* Native chains may lead into an invalidated block: undo them all (rare:
 * self-modifying code, munmap).  Blocks re-chain on their next exit. */
static void unchain_all_locked(void)
{
#ifdef __x86_64__
    for (guint i = 0; i < chained->len; i++) {
        ChainSite *c = &g_array_index(chained, ChainSite, i);
        emu_jit_x86_64_unlink(c->from, c->slot);
        c->from->link[c->slot] = NULL;
    }
#endif
    g_array_set_size(chained, 0);
}

static void invalidate_tb_locked(EmuJitTb *tb)
{
    if (tb->invalid) {
        return;
    }
    tb->invalid = 1;
    if (chained->len) {
        unchain_all_locked();
    }
    TbKey key = { tb->pc, tb->flags };
    if (g_hash_table_lookup(tb_table, &key) == tb) {
        g_hash_table_remove(tb_table, &key);
    }
    stats.blocks_invalidated++;
}

static void invalidate_page_locked(uint64_t page, uint64_t start, uint64_t end)
{
    GPtrArray *list = g_hash_table_lookup(page_table, &page);
    if (!list) {
        return;
    }
    for (guint i = 0; i < list->len;) {
        EmuJitTb *tb = g_ptr_array_index(list, i);
        if (tb->pc < end && start < tb->pc + tb->guest_size) {
            invalidate_tb_locked(tb);
        }
        if (tb->invalid) {
            g_ptr_array_remove_index_fast(list, i);
        } else {
            i++;
        }
    }
    if (list->len == 0) {
        g_hash_table_remove(page_table, &page);
    }
}

EMU_API void emu_jit_invalidate(uint64_t start, uint64_t len)
{
    if (!len) {
        return;
    }
    g_mutex_lock(&tb_lock);
    tables_init();
    uint64_t end = start + len;
    for (uint64_t page = start & PAGE_MASK_; page < end; page += 4096) {
        invalidate_page_locked(page, start, end);
        if (page + 4096 < page) {
            break;
        }
    }
    g_mutex_unlock(&tb_lock);
}

EMU_API bool emu_jit_page_has_code(uint64_t page)
{
    g_mutex_lock(&tb_lock);
    tables_init();
    page &= PAGE_MASK_;
    bool has = g_hash_table_contains(page_table, &page);
    g_mutex_unlock(&tb_lock);
    return has;
}

EMU_API void emu_jit_flush(void)
{
    g_mutex_lock(&tb_lock);
    tables_init();
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, tb_table);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        ((EmuJitTb *)value)->invalid = 1;
        g_hash_table_iter_remove(&it);
    }
    g_hash_table_remove_all(page_table);
    unchain_all_locked();
    stats.flushes++;
    g_mutex_unlock(&tb_lock);
}

/* ---- debugger support ---- */

/* The block at a breakpoint is marked and has no host code, so nothing
 * chains into it; invalidating the blocks over pc retranslates them (and
 * undoes the chains made before). */
EMU_API void emu_jit_breakpoint_insert(uint64_t pc)
{
    g_mutex_lock(&tb_lock);
    tables_init();
    if (!g_hash_table_contains(breakpoints, &pc)) {
        g_hash_table_add(breakpoints, g_memdup2(&pc, sizeof(pc)));
        n_breakpoints++;
    }
    g_mutex_unlock(&tb_lock);
    emu_jit_invalidate(pc, 1);
}

EMU_API void emu_jit_breakpoint_remove(uint64_t pc)
{
    g_mutex_lock(&tb_lock);
    tables_init();
    if (g_hash_table_remove(breakpoints, &pc)) {
        n_breakpoints--;
    }
    g_mutex_unlock(&tb_lock);
    emu_jit_invalidate(pc, 1);
}

EMU_API void emu_jit_breakpoint_remove_all(void)
{
    g_mutex_lock(&tb_lock);
    tables_init();
    g_hash_table_remove_all(breakpoints);
    n_breakpoints = 0;
    g_mutex_unlock(&tb_lock);
    emu_jit_flush();    /* blocks cut short grow back */
}

EMU_API void emu_jit_cpu_set_single_step(EmuJitCpu *cpu, bool on)
{
    cpu->single_step = on;
}

/* The host FP status (x86-64: MXCSR) collects the flags of the
 * EMU_JIT_F_FP ops of translated code; the loop's own C code between
 * blocks (translation, GLib) may raise flags of its own, which must not
 * reach the guest. */
static uint32_t host_fp_save(void)
{
#ifdef __x86_64__
    return __builtin_ia32_stmxcsr();
#else
    return 0;
#endif
}

static void host_fp_restore(uint32_t saved)
{
#ifdef __x86_64__
    if (__builtin_ia32_stmxcsr() != saved) {
        __builtin_ia32_ldmxcsr(saved);
    }
#else
    (void)saved;
#endif
}

static void free_step_block(EmuJitCpu *cpu)
{
    emu_jit_ctx_free(cpu->step_ctx);
    g_free(cpu->step_labels);
    cpu->step_ctx = NULL;
    cpu->step_labels = NULL;
}

/* One instruction, translated for this step only (never cached, so the
 * shared blocks stay as they are) and interpreted.  A guest exception
 * leaves through emu_jit_raise as usual; the block is freed next time. */
static void run_one_insn(EmuJitCpu *cpu)
{
    const EmuCpuClass *cls = cpu->cls;
    uint64_t pc = cls->get_pc(cpu->env);
    uint32_t fp = host_fp_save();    /* translation's own C code */
    free_step_block(cpu);
    cpu->step_ctx = emu_jit_ctx_new();
    cls->translate(cpu->step_ctx, pc, cls->get_flags(cpu->env),
                   emu_jit_opts.guest_base, 1);
    cpu->step_labels = emu_jit_label_positions(cpu->step_ctx->insns,
                                               cpu->step_ctx->n_insns,
                                               cpu->step_ctx->n_labels);
    host_fp_restore(fp);
    cpu->insn_pc = pc;
    cpu->in_tb = 1;
    emu_jit_interp(cpu->step_ctx->insns, cpu->step_labels,
                   cpu->step_ctx->n_temps, cpu->env, emu_jit_opts.guest_base,
                   &cpu->insn_pc);
    cpu->in_tb = 0;
    free_step_block(cpu);
}

/* The debugger's step: a breakpoint at pc stops before the instruction. */
static int step_one(EmuJitCpu *cpu, uint64_t *aux)
{
    bool at_breakpoint = false;
    if (n_breakpoints) {
        g_mutex_lock(&tb_lock);
        at_breakpoint = breakpoint_at_locked(cpu->cls->get_pc(cpu->env));
        g_mutex_unlock(&tb_lock);
    }
    if (aux) {
        *aux = at_breakpoint ? EMU_JIT_DEBUG_BREAKPOINT : EMU_JIT_DEBUG_STEP;
    }
    if (!at_breakpoint) {
        run_one_insn(cpu);
    }
    return EMU_EXCP_DEBUG;
}

EMU_API int64_t emu_jit_ctx_run_native(EmuJitCtx *ctx, void *env,
                                       size_t env_size)
{
    int64_t ret = -1;
#ifdef __x86_64__
    EmuJitTb tb = {
        .insns = ctx->insns, .n_insns = ctx->n_insns, .n_temps = ctx->n_temps,
        .n_labels = ctx->n_labels,
    };
    g_mutex_lock(&tb_lock);
    bool ok = emu_jit_x86_64_compile(&tb);
    g_mutex_unlock(&tb_lock);
    if (ok) {
        /* generated code finds insn_pc and exit_request before env */
        EmuJitCpu *cpu = g_malloc0(sizeof(EmuJitCpu) + env_size);
        memcpy(cpu->env_storage, env, env_size);
        ret = emu_jit_x86_64_run(&tb, cpu->env_storage, emu_jit_x86_64_temps());
        memcpy(env, cpu->env_storage, env_size);
        g_free(cpu);
        ret = ret > 2 ? ret & 3 : ret;
    }
#else
    (void)ctx; (void)env; (void)env_size;
#endif
    return ret;
}

/* ---- the loop ---- */

EMU_API void emu_jit_raise(int excp, uint64_t aux, bool restore_pc)
{
    EmuJitCpu *cpu = current_cpu;
    g_assert(cpu && cpu->in_tb);
    if (restore_pc) {
        cpu->cls->set_pc(cpu->env, cpu->insn_pc);
    }
    cpu->excp = excp;
    cpu->excp_aux = aux;
    cpu->in_tb = 0;
    siglongjmp(cpu->jmp, 1);
}

EMU_API bool emu_jit_restart_after_code_write(uint64_t guest_addr)
{
    EmuJitCpu *cpu = current_cpu;
    if (!cpu || !cpu->in_tb) {
        return false;
    }
    uint64_t page = guest_addr & PAGE_MASK_, here = cpu->insn_pc & PAGE_MASK_;
    if (page != here && page != here + 4096) {
        return false;   /* the rest of this block cannot be in that page */
    }
    cpu->step_once = true;
    emu_jit_raise(EMU_EXCP_NONE, 0, true);
}

EMU_API bool emu_jit_host_fault(uint64_t guest_addr, bool is_write)
{
    EmuJitCpu *cpu = current_cpu;
    if (!cpu || !cpu->in_tb) {
        return false;
    }
    emu_jit_raise(EMU_EXCP_SEGV, guest_addr, true);
}

static void chain_native(EmuJitTb *from, unsigned slot, EmuJitTb *to)
{
#ifdef __x86_64__
    g_mutex_lock(&tb_lock);
    if (!from->invalid && !to->invalid && from->link[slot] != to) {
        emu_jit_x86_64_link(from, slot, to);
        ChainSite c = { from, slot };
        g_array_append_val(chained, c);
    }
    from->link[slot] = to;
    g_mutex_unlock(&tb_lock);
#endif
}

/* exit_val: 0, or slot + 1 (interpreted prev), or native block | slot + 1 */
static EmuJitTb *next_block(EmuJitCpu *cpu, EmuJitTb *prev, int64_t exit_val)
{
    const EmuCpuClass *cls = cpu->cls;
    uint64_t pc = cls->get_pc(cpu->env);
    uint32_t flags = cls->get_flags(cpu->env);
    unsigned slot = (unsigned)(exit_val & 3);
    if (exit_val > 2) {
        prev = (EmuJitTb *)(uintptr_t)(exit_val & ~(int64_t)3);
    }
    if (!prev || slot == 0 || slot > 2 || prev->invalid) {
        return lookup_or_translate(cpu, pc, flags);
    }
    EmuJitTb *linked = prev->link[slot - 1];
    if (linked && !linked->invalid && linked->pc == pc && linked->flags == flags) {
        return linked;
    }
    EmuJitTb *tb = lookup_or_translate(cpu, pc, flags);
    if (prev->host_code && tb->host_code && !emu_jit_opts.single_step &&
        !emu_log_enabled(EMU_LOG_EXEC | EMU_LOG_CPU)) {
        chain_native(prev, slot - 1, tb);
    } else {
        prev->link[slot - 1] = tb;
    }
    return tb;
}

static int exec_loop(EmuJitCpu *cpu, uint64_t *aux)
{
    if (sigsetjmp(cpu->jmp, 1)) {
        leave_loop();
        if (!cpu->step_once) {
            if (aux) {
                *aux = cpu->excp_aux;
            }
            return cpu->excp;
        }
    }
    EmuJitTb *tb = NULL;
    int64_t exit_val = 0;
    for (;;) {
        uint32_t fp = host_fp_save();
        if (!enter_loop(cpu)) {
            tb = NULL;              /* flushed */
            exit_val = 0;
        }
        if (cpu->exit_request) {
            leave_loop();
            cpu->exit_request = 0;
            if (aux) {
                *aux = 0;
            }
            return EMU_EXCP_INTERRUPT;
        }
        if (cpu->single_step) {
            cpu->step_once = false;
            int excp = step_one(cpu, aux);
            leave_loop();
            return excp;
        }
        if (cpu->step_once) {       /* see emu_jit_restart_after_code_write */
            cpu->step_once = false;
            run_one_insn(cpu);
            leave_loop();
            tb = NULL;
            exit_val = 0;
            continue;
        }
        tb = next_block(cpu, tb, exit_val);
        host_fp_restore(fp);
        if (tb->breakpoint) {
            leave_loop();
            if (aux) {
                *aux = EMU_JIT_DEBUG_BREAKPOINT;
            }
            return EMU_EXCP_DEBUG;
        }
        if (emu_log_enabled(EMU_LOG_EXEC)) {
            emu_log("Trace: [%p] %016" G_GINT64_MODIFIER "x [%08x]\n",
                    (void *)tb, tb->pc, tb->flags);
        }
        if (emu_log_enabled(EMU_LOG_CPU) && cpu->cls->dump_state) {
            char *text = cpu->cls->dump_state(cpu->env);
            emu_log("%s\n", text);
            g_free(text);
        }
        cpu->insn_pc = tb->pc;
        cpu->in_tb = 1;
#ifdef __x86_64__
        if (tb->host_code) {
            exit_val = emu_jit_x86_64_run(tb, cpu->env, emu_jit_x86_64_temps());
        } else
#endif
        {
            exit_val = emu_jit_interp(tb->insns, tb->label_pos, tb->n_temps,
                                      cpu->env, emu_jit_opts.guest_base,
                                      &cpu->insn_pc);
        }
        cpu->in_tb = 0;
        leave_loop();
    }
}

/* The class hooks around the loop, when the class has them. */
static bool has_exec_hooks(const EmuCpuClass *cls)
{
    return cls->size >= offsetof(EmuCpuClass, exec_leave) + sizeof(void *) &&
           cls->exec_enter && cls->exec_leave;
}

EMU_API int emu_jit_cpu_exec(EmuJitCpu *cpu, uint64_t *aux)
{
    bool hooks = has_exec_hooks(cpu->cls);
    current_cpu = cpu;
    if (hooks) {
        cpu->cls->exec_enter(cpu->env);
    }
    int excp = exec_loop(cpu, aux);
    if (hooks) {
        cpu->cls->exec_leave(cpu->env);
    }
    return excp;
}
