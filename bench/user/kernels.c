/*
 * CPU-bound kernels for bench/user/run.sh: each is a small, deterministic
 * program that prints a checksum (so a wrong emulation is noticed).
 * usage: kernels NAME [scale]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t sieve(unsigned scale)
{
    unsigned n = 2000000;
    uint8_t *composite = malloc(n);
    uint64_t count = 0;
    for (unsigned r = 0; r < 80 * scale; r++) {
        memset(composite, 0, n);
        for (unsigned i = 2; i < n; i++) {
            if (!composite[i]) {
                count++;
                for (uint64_t j = (uint64_t)i * i; j < n; j += i) {
                    composite[j] = 1;
                }
            }
        }
    }
    free(composite);
    return count;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t sort(unsigned scale)
{
    unsigned n = 2000000 * scale;
    uint32_t *v = malloc(n * sizeof(*v));
    uint32_t x = 12345;
    for (unsigned i = 0; i < n; i++) {
        x = x * 1103515245 + 12345;
        v[i] = x;
    }
    qsort(v, n, sizeof(*v), cmp_u32);
    uint64_t h = 0;
    for (unsigned i = 0; i < n; i += 997) {
        h = h * 31 + v[i];
    }
    free(v);
    return h;
}

static uint64_t hash(unsigned scale)
{
    /* FNV-1a and a rotate-xor mix over a buffer, many rounds */
    static uint8_t buf[65536];
    for (unsigned i = 0; i < sizeof(buf); i++) {
        buf[i] = (uint8_t)(i * 7 + 3);
    }
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned r = 0; r < 2800 * scale; r++) {
        for (unsigned i = 0; i < sizeof(buf); i++) {
            h = (h ^ buf[i]) * 0x100000001b3ull;
            h ^= (h << 13) | (h >> 51);
        }
    }
    return h;
}

static uint64_t matmul(unsigned scale)
{
    unsigned n = 200;
    double *a = malloc(n * n * sizeof(double)), *b = malloc(n * n * sizeof(double));
    double *c = calloc(n * n, sizeof(double));
    for (unsigned i = 0; i < n * n; i++) {
        a[i] = (i % 17) * 0.5;
        b[i] = (i % 13) * 0.25;
    }
    for (unsigned r = 0; r < scale * 120; r++) {
        for (unsigned i = 0; i < n; i++) {
            for (unsigned k = 0; k < n; k++) {
                double aik = a[i * n + k];
                for (unsigned j = 0; j < n; j++) {
                    c[i * n + j] += aik * b[k * n + j];
                }
            }
        }
    }
    double s = 0;
    for (unsigned i = 0; i < n * n; i++) {
        s += c[i];
    }
    free(a); free(b); free(c);
    return (uint64_t)s;
}

static uint64_t strings(unsigned scale)
{
    char buf[256];
    uint64_t total = 0;
    for (unsigned i = 0; i < 4000000 * scale; i++) {
        snprintf(buf, sizeof(buf), "item-%u-%x-%s", i, i * 2654435761u, "abc");
        total += strlen(buf) + (strchr(buf, 'c') - buf);
        if (strcmp(buf, "item-5") == 0) {
            total++;
        }
    }
    return total;
}

/* LZ77: a control byte below 128 is a run of that many literals; 128 + k
 * is a match of k + 4 bytes at a 16-bit distance that follows. */
static size_t lz_literals(const uint8_t *in, size_t from, size_t to,
                          uint8_t *out, size_t o)
{
    while (from < to) {
        size_t n = to - from < 127 ? to - from : 127;
        out[o++] = (uint8_t)n;
        memcpy(out + o, in + from, n);
        o += n;
        from += n;
    }
    return o;
}

static size_t lz_compress(const uint8_t *in, size_t n, uint8_t *out)
{
    static uint32_t table[1 << 14];     /* hash of 4 bytes -> position + 1 */
    memset(table, 0, sizeof(table));
    size_t i = 0, o = 0, lit = 0;
    while (i + 4 <= n) {
        uint32_t key = in[i] | in[i + 1] << 8 | in[i + 2] << 16 |
                       (uint32_t)in[i + 3] << 24;
        uint32_t h = (key * 2654435761u) >> 18;
        size_t cand = table[h], len = 0;
        table[h] = (uint32_t)i + 1;
        if (cand && i - (cand - 1) <= 65535) {
            while (i + len < n && len < 131 && in[cand - 1 + len] == in[i + len]) {
                len++;
            }
        }
        if (len < 4) {
            i++;
            continue;
        }
        size_t dist = i - (cand - 1);
        o = lz_literals(in, lit, i, out, o);
        out[o++] = (uint8_t)(128 + len - 4);
        out[o++] = (uint8_t)dist;
        out[o++] = (uint8_t)(dist >> 8);
        i += len;
        lit = i;
    }
    return lz_literals(in, lit, n, out, o);
}

static size_t lz_decompress(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t p = 0, o = 0;
    while (p < n) {
        unsigned c = in[p++];
        if (c < 128) {
            memcpy(out + o, in + p, c);
            p += c;
            o += c;
        } else {
            size_t len = c - 128 + 4, dist = in[p] | in[p + 1] << 8;
            p += 2;
            for (size_t k = 0; k < len; k++, o++) {
                out[o] = out[o - dist];
            }
        }
    }
    return o;
}

static uint64_t compress(unsigned scale)
{
    /* text-like input: words from a small vocabulary, some noise */
    static const char *words[] = { "the ", "quick ", "brown ", "fox ",
        "jumps ", "over ", "lazy ", "dog ", "emulator ", "block ", "cache ",
        "register ", "\n" };
    size_t n = 1 << 20;
    uint8_t *in = malloc(n), *z = malloc(n + n / 64 + 16), *back = malloc(n);
    uint32_t x = 7;
    for (size_t i = 0; i < n;) {
        x = x * 1103515245 + 12345;
        const char *w = words[(x >> 16) % 13];
        for (; *w && i < n; w++) {
            in[i++] = (x >> 28) == 0 ? (uint8_t)(x >> 8) : (uint8_t)*w;
        }
    }
    uint64_t sum = 0;
    for (unsigned r = 0; r < 70 * scale; r++) {
        size_t zn = lz_compress(in, n, z);
        size_t bn = lz_decompress(z, zn, back);
        if (bn != n || memcmp(in, back, n)) {
            return 0;           /* a wrong round trip */
        }
        for (size_t i = 0; i < zn; i++) {
            sum = sum * 31 + z[i];
        }
        sum += zn;
    }
    free(in); free(z); free(back);
    return sum;
}

/* A register bytecode machine running Collatz step counts. */
enum { LI, ADDI, MULI, ANDI, SHRI, ADD, JEQ, JNE, JMP, HALT };
typedef struct { uint8_t op, a, b; int32_t c; } Bc;

static uint64_t run_bytecode(const Bc *code, uint64_t *r)
{
    for (const Bc *pc = code;; pc++) {
        switch (pc->op) {
        case LI: r[pc->a] = (uint64_t)pc->c; break;
        case ADDI: r[pc->a] = r[pc->b] + (uint64_t)pc->c; break;
        case MULI: r[pc->a] = r[pc->b] * (uint64_t)pc->c; break;
        case ANDI: r[pc->a] = r[pc->b] & (uint64_t)pc->c; break;
        case SHRI: r[pc->a] = r[pc->b] >> pc->c; break;
        case ADD: r[pc->a] += r[pc->b]; break;
        case JEQ: if (r[pc->a] == r[pc->b]) pc = code + pc->c - 1; break;
        case JNE: if (r[pc->a] != r[pc->b]) pc = code + pc->c - 1; break;
        case JMP: pc = code + pc->c - 1; break;
        default: return r[2];
        }
    }
}

static uint64_t interp(unsigned scale)
{
    const Bc code[] = {
        { LI, 0, 0, 1 },        /* 0: i = 1 */
        { LI, 1, 0, 0 },        /* 1: n, patched below */
        { LI, 2, 0, 0 },        /* 2: total steps */
        { LI, 6, 0, 1 },        /* 3: one */
        { LI, 7, 0, 0 },        /* 4: zero */
        { ADDI, 3, 0, 0 },      /* 5: x = i */
        { JEQ, 3, 6, 15 },      /* 6: while x != 1 */
        { ANDI, 4, 3, 1 },      /* 7 */
        { JEQ, 4, 7, 12 },      /* 8: even? */
        { MULI, 3, 3, 3 },      /* 9: x = 3x + 1 */
        { ADDI, 3, 3, 1 },      /* 10 */
        { JMP, 0, 0, 13 },      /* 11 */
        { SHRI, 3, 3, 1 },      /* 12: x /= 2 */
        { ADD, 2, 6, 0 },       /* 13: total++ */
        { JMP, 0, 0, 6 },       /* 14 */
        { ADDI, 0, 0, 1 },      /* 15: i++ */
        { JNE, 0, 1, 5 },       /* 16 */
        { HALT, 0, 0, 0 },
    };
    Bc prog[sizeof(code) / sizeof(code[0])];
    memcpy(prog, code, sizeof(code));
    prog[1].c = (int32_t)(200000 * scale);
    uint64_t r[8] = { 0 };
    return run_bytecode(prog, r);
}

__attribute__((noinline)) static uint32_t fib(uint32_t n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

__attribute__((noinline)) static unsigned queens(unsigned n, unsigned row, uint32_t cols, uint32_t d1,
                       uint32_t d2)
{
    if (row == n) {
        return 1;
    }
    unsigned count = 0;
    for (unsigned c = 0; c < n; c++) {
        uint32_t a = 1u << c, b = 1u << (row + c), e = 1u << (row + n - c);
        if (!(cols & a) && !(d1 & b) && !(d2 & e)) {
            count += queens(n, row + 1, cols | a, d1 | b, d2 | e);
        }
    }
    return count;
}

static uint64_t recursion(unsigned scale)
{
    uint64_t sum = 0;
    for (unsigned r = 0; r < scale; r++) {
        sum += fib(40) + queens(12, 0, 0, 0, 0);
    }
    return sum;
}

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "";
    unsigned scale = argc > 2 ? (unsigned)atoi(argv[2]) : 1;
    static const struct { const char *name; uint64_t (*fn)(unsigned); } k[] = {
        { "sieve", sieve }, { "sort", sort }, { "hash", hash },
        { "matmul", matmul }, { "strings", strings },
        { "compress", compress }, { "interp", interp },
        { "recursion", recursion },
    };
    for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
        if (!strcmp(name, k[i].name)) {
            printf("%s %llu\n", name, (unsigned long long)k[i].fn(scale));
            return 0;
        }
    }
    fprintf(stderr, "usage: kernels sieve|sort|hash|matmul|strings|"
                    "compress|interp|recursion [scale]\n");
    return 2;
}
