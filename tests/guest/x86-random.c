/*
 * RDRAND, RDSEED and RDTSCP as a program sees them: for each instruction
 * CPUID advertises, prints "NAME ok" when it behaves as the SDM says
 * (RDRAND/RDSEED: CF=1 with bits that differ between calls; RDTSCP: a
 * counter that does not go back and ECX = node << 12 | cpu, as Linux
 * sets IA32_TSC_AUX), "NAME bad: why" when not, "NAME absent" when CPUID
 * does not advertise it.  Random bits cannot be compared with an oracle;
 * these are the properties a program relies on.
 */
#include <cpuid.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

static bool cpuid_bit(unsigned leaf, unsigned reg, unsigned bit)
{
    unsigned r[4] = { 0 };
    if (__get_cpuid_max(leaf & 0x80000000u, NULL) < leaf) {
        return false;
    }
    __cpuid_count(leaf, 0, r[0], r[1], r[2], r[3]);
    return (r[reg] >> bit) & 1;
}

/* retries "not ready" (CF=0) a few times, as the SDM recommends */
static bool random64(bool seed, uint64_t *v)
{
    for (int i = 0; i < 100; i++) {
        unsigned char cf;
        if (seed) {
            __asm__ volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(cf) :: "cc");
        } else {
            __asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(cf) :: "cc");
        }
        if (cf) {
            return true;
        }
    }
    return false;
}

static void check_random(const char *name, bool seed)
{
    uint64_t a, b, c;
    if (!random64(seed, &a) || !random64(seed, &b) || !random64(seed, &c)) {
        printf("%s bad: CF stays 0\n", name);
    } else if (a == b && b == c) {
        printf("%s bad: the same value three times\n", name);
    } else {
        printf("%s ok\n", name);
    }
}

static uint64_t rdtscp(unsigned *aux)
{
    unsigned lo, hi;
    __asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(*aux));
    return (uint64_t)hi << 32 | lo;
}

static void check_rdtscp(void)
{
    unsigned aux1, aux2;
    uint64_t t1 = rdtscp(&aux1), t2 = rdtscp(&aux2);
    long cpus = sysconf(_SC_NPROCESSORS_CONF);
    if (t2 < t1) {
        printf("rdtscp bad: went back\n");
    } else if ((long)(aux1 & 0xfff) >= cpus || (long)(aux2 & 0xfff) >= cpus) {
        printf("rdtscp bad: ECX %#x names no cpu\n", aux1);
    } else {
        printf("rdtscp ok\n");
    }
}

int main(void)
{
    if (cpuid_bit(1, 2, 30)) {
        check_random("rdrand", false);
    } else {
        printf("rdrand absent\n");
    }
    if (cpuid_bit(7, 1, 18)) {
        check_random("rdseed", true);
    } else {
        printf("rdseed absent\n");
    }
    if (cpuid_bit(0x80000001u, 3, 27)) {
        check_rdtscp();
    } else {
        printf("rdtscp absent\n");
    }
    return 0;
}
