/*
 * Self-modifying code: the program rewrites instructions it has already
 * executed and checks that the new ones run.  Covers code in an RWX
 * mapping written through a data pointer, code rewritten in a loop, a
 * page made writable with mprotect, and writes to the block currently
 * executing (the next call must see them), a write to an instruction
 * further on in the running block (it must run as written, as the SDM
 * promises for self-modifying code), and read(2) by the kernel into
 * executed code.  Prints "smc ok" and exits 0
 * on success; any stale translation shows up as a wrong value.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef uint64_t (*fn_t)(void);

static int failures;

static void check(const char *what, uint64_t got, uint64_t want)
{
    if (got != want) {
        printf("FAIL %s: got %llu, want %llu\n", what, (unsigned long long)got,
               (unsigned long long)want);
        failures++;
    }
}

/* mov eax, imm32; ret */
static void emit_return(uint8_t *p, uint32_t v)
{
    p[0] = 0xb8;
    memcpy(p + 1, &v, 4);
    p[5] = 0xc3;
}

static void test_rwx(void)
{
    uint8_t *code = mmap(NULL, 8192, PROT_READ | PROT_WRITE | PROT_EXEC,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        printf("FAIL mmap\n");
        failures++;
        return;
    }
    for (uint32_t i = 0; i < 200; i++) {
        emit_return(code, i * 3 + 1);
        check("rwx rewrite", ((fn_t)code)(), i * 3 + 1);
    }
    /* patch only the immediate byte */
    emit_return(code, 7);
    check("rwx before patch", ((fn_t)code)(), 7);
    code[1] = 9;
    check("rwx byte patch", ((fn_t)code)(), 9);
    /* code and data on one page: write data next to hot code */
    emit_return(code + 4096, 5);
    for (int i = 0; i < 50; i++) {
        code[4096 + 100 + i] = (uint8_t)i;
        check("rwx shared page", ((fn_t)(code + 4096))(), 5);
    }
    munmap(code, 8192);
}

static void test_mprotect(void)
{
    uint8_t *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    emit_return(code, 11);
    mprotect(code, 4096, PROT_READ | PROT_EXEC);
    check("mprotect exec", ((fn_t)code)(), 11);
    mprotect(code, 4096, PROT_READ | PROT_WRITE);
    emit_return(code, 12);
    mprotect(code, 4096, PROT_READ | PROT_EXEC);
    check("mprotect rewrite", ((fn_t)code)(), 12);
    munmap(code, 4096);
    /* a new mapping at the same address must not run the old code */
    uint8_t *again = mmap(code, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    emit_return(again, 13);
    check("remap", ((fn_t)again)(), 13);
    munmap(again, 4096);
}

/*
 * A function that rewrites its own immediate: each call returns the value
 * stored by the previous call.  The store and the patched instruction are
 * in the same translated block.
 */
static void test_self_patch(void)
{
    /*  0: mov eax, imm32        (b8 xx xx xx xx)
     *  5: mov dword [rip - 10], edi  (89 3d f6 ff ff ff)  -> patches imm
     * 11: ret */
    uint8_t *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    static const uint8_t body[] = {
        0xb8, 0, 0, 0, 0,
        0x89, 0x3d, 0xf6, 0xff, 0xff, 0xff,
        0xc3,
    };
    memcpy(code, body, sizeof(body));
    uint64_t (*f)(uint64_t) = (uint64_t (*)(uint64_t))(void *)code;
    check("self patch 0", f(100), 0);
    for (uint64_t i = 1; i < 100; i++) {
        check("self patch", f(100 + i), 100 + i - 1);
    }
    munmap(code, 4096);
}

/* A store that patches the very next instruction: x86 runs the new bytes
 * (the store is detected against instructions already fetched). */
static void test_patch_ahead(void)
{
    /*  0: xor eax, eax                 (31 c0)
     *  2: mov byte [rip + 1], dil      (40 88 3d 01 00 00 00) -> byte 10
     *  9: mov al, imm8                 (b0 xx)
     * 11: ret */
    uint8_t *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    static const uint8_t body[] = {
        0x31, 0xc0,
        0x40, 0x88, 0x3d, 0x01, 0x00, 0x00, 0x00,
        0xb0, 0x00,
        0xc3,
    };
    memcpy(code, body, sizeof(body));
    uint64_t (*f)(uint64_t) = (uint64_t (*)(uint64_t))(void *)code;
    for (uint64_t i = 1; i < 100; i++) {
        check("patch ahead", f(i), i);
    }
    munmap(code, 4096);
}

/* The kernel writes new code over executed code: read(2) into the page
 * must succeed (not EFAULT) and the new code run. */
static void test_read_into_code(void)
{
    uint8_t *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint8_t next[6];
    int fds[2];
    if (code == MAP_FAILED || pipe(fds) != 0) {
        check("read setup", 0, 1);
        return;
    }
    emit_return(code, 11);
    check("before read", ((fn_t)code)(), 11);
    emit_return(next, 12);
    check("pipe write", (uint64_t)write(fds[1], next, sizeof(next)), sizeof(next));
    check("read into code", (uint64_t)read(fds[0], code, sizeof(next)), sizeof(next));
    check("after read", ((fn_t)code)(), 12);
    close(fds[0]);
    close(fds[1]);
    munmap(code, 4096);
}

int main(void)
{
    test_rwx();
    test_read_into_code();
    test_mprotect();
    test_self_patch();
    test_patch_ahead();
    if (failures) {
        printf("%d failures\n", failures);
        return 1;
    }
    printf("smc ok\n");
    return 0;
}
