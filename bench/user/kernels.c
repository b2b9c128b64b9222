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
    unsigned n = 2000000 * scale;
    uint8_t *composite = calloc(n, 1);
    uint64_t count = 0;
    for (unsigned i = 2; i < n; i++) {
        if (!composite[i]) {
            count++;
            for (uint64_t j = (uint64_t)i * i; j < n; j += i) {
                composite[j] = 1;
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
    unsigned n = 300000 * scale;
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
    for (unsigned r = 0; r < 60 * scale; r++) {
        for (unsigned i = 0; i < sizeof(buf); i++) {
            h = (h ^ buf[i]) * 0x100000001b3ull;
            h ^= (h << 13) | (h >> 51);
        }
    }
    return h;
}

static uint64_t matmul(unsigned scale)
{
    unsigned n = 120;
    double *a = malloc(n * n * sizeof(double)), *b = malloc(n * n * sizeof(double));
    double *c = calloc(n * n, sizeof(double));
    for (unsigned i = 0; i < n * n; i++) {
        a[i] = (i % 17) * 0.5;
        b[i] = (i % 13) * 0.25;
    }
    for (unsigned r = 0; r < scale * 3; r++) {
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
    for (unsigned i = 0; i < 200000 * scale; i++) {
        snprintf(buf, sizeof(buf), "item-%u-%x-%s", i, i * 2654435761u, "abc");
        total += strlen(buf) + (strchr(buf, 'c') - buf);
        if (strcmp(buf, "item-5") == 0) {
            total++;
        }
    }
    return total;
}

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "";
    unsigned scale = argc > 2 ? (unsigned)atoi(argv[2]) : 1;
    static const struct { const char *name; uint64_t (*fn)(unsigned); } k[] = {
        { "sieve", sieve }, { "sort", sort }, { "hash", hash },
        { "matmul", matmul }, { "strings", strings },
    };
    for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
        if (!strcmp(name, k[i].name)) {
            printf("%s %llu\n", name, (unsigned long long)k[i].fn(scale));
            return 0;
        }
    }
    fprintf(stderr, "usage: kernels sieve|sort|hash|matmul|strings [scale]\n");
    return 2;
}
