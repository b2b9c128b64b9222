#!/bin/sh
# Benchmark of emu's linux-user emulators against native execution and
# Debian's qemu-user on CPU-bound programs (a benchmark, not a test: it
# prints numbers and fails only when a program gives a wrong answer).
#
# usage: bench/user/run.sh [build-dir] [scale]
# Two tables: x86_64 (kernels built -static: native, emu-x86_64,
# qemu-x86_64) and i386 (built -m32 -static: native, emu-i386, qemu-i386).
# Per kernel: CPU seconds (user + sys, so other load on the machine
# matters less) of each, emu and qemu slowdowns and the emu/qemu ratio,
# then geometric means.  "n/a" marks what cannot run here: a missing
# qemu, an emu-i386 that does not exist or does not work yet, a host that
# cannot run 32-bit programs.  Every kernel prints the same checksum on
# both architectures, so the x86_64 native output is the expected answer
# everywhere.  EMU_JIT_BACKEND selects the emu backend (interp or x86_64);
# KERNELS="a b ..." runs only some kernels.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-${top_builddir:-$(pwd)}}
scale=${2:-1}
CC=${CC:-cc}
KERNELS=${KERNELS:-sieve sort hash matmul strings compress interp recursion}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The program itself rather than libtool's wrapper script, whose startup
# (a shell and sed) would be timed too; prints nothing when absent.
emu_cmd() {
    if [ -x "$build/.libs/$1" ]; then
        echo "env LD_LIBRARY_PATH=$build/.libs $build/.libs/$1"
    elif [ -x "$build/$1" ]; then
        echo "$build/$1"
    fi
}

# run CMD...: sets t (CPU seconds), rc and out (what it printed).  The
# shell's `times` (user and sys of its children so far; it must run in
# this shell, not in a $(...) subshell) brackets the command.
run() {
    times > "$tmp/t0"
    "$@" > "$tmp/out" 2>&1
    rc=$?
    times > "$tmp/t1"
    t=$(awk 'FNR == 2 { for (i = 1; i <= 2; i++) { split($i, p, "m")
                                                   c[FILENAME] += p[1] * 60 + p[2] } }
             END { printf "%.3f", c[ARGV[2]] - c[ARGV[1]] }' "$tmp/t0" "$tmp/t1")
    out=$(cat "$tmp/out")
}

ratio() {       # ratio A B: A / B, or n/a
    echo "$1 $2" | awk '$1 == "n/a" || $2 == "n/a" { print "n/a"; exit }
        { b = ($2 > 0.001) ? $2 : 0.001; printf "%.2f", $1 / b }'
}

# table ARCH PROGRAM NATIVE(yes/no) EMU-CMD QEMU-CMD
table() {
    arch=$1 prog=$2 native=$3 emu=$4 qemu=$5
    echo "$arch"
    printf '%-10s %8s %8s %8s %8s %8s %8s\n' kernel native emu qemu \
        emu/nat qemu/nat emu/qemu
    : > "$tmp/rows"
    for k in $KERNELS; do
        want=$(cat "$tmp/want.$k")
        tn=n/a te=n/a tq=n/a
        if [ "$native" = yes ]; then
            run "$prog" $k $scale
            if [ "$out" != "$want" ]; then
                echo "$arch $k: native printed '$out', expected '$want'" >&2
                status=1
            fi
            tn=$t
        fi
        if [ -n "$emu" ]; then
            run $emu "$prog" $k $scale
            if [ $rc -ne 0 ] && [ "$arch" = i386 ]; then
                echo "$arch $k: emu exited with $rc (counted as n/a)" >&2
            elif [ "$out" != "$want" ]; then
                echo "$arch $k: emu printed '$out', expected '$want'" >&2
                status=1
            else
                te=$t
            fi
        fi
        if [ -n "$qemu" ]; then
            run $qemu "$prog" $k $scale
            [ "$out" = "$want" ] && tq=$t
        fi
        row="$tn $te $tq $(ratio $te $tn) $(ratio $tq $tn) $(ratio $te $tq)"
        echo "$row" >> "$tmp/rows"
        # shellcheck disable=SC2086
        printf '%-10s %8s %8s %8s %8s %8s %8s\n' $k $row
    done
    awk '{ for (c = 4; c <= 6; c++) if ($c != "n/a") { s[c] += log($c); n[c]++ } }
         END { printf "%-10s %8s %8s %8s", "geomean", "", "", ""
               for (c = 4; c <= 6; c++)
                   if (n[c]) printf " %8.2f", exp(s[c] / n[c]); else printf " %8s", "n/a"
               printf "\n" }' "$tmp/rows"
    echo
}

status=0
$CC -O2 -static -o "$tmp/k64" "$here/kernels.c" || exit 1
for k in $KERNELS; do
    "$tmp/k64" $k $scale > "$tmp/want.$k" || exit 1
done
table x86_64 "$tmp/k64" yes "$(emu_cmd emu-x86_64)" "$(command -v qemu-x86_64)"

if $CC -m32 -O2 -static -o "$tmp/k32" "$here/kernels.c" 2> "$tmp/cc32"; then
    native32=yes
    "$tmp/k32" sieve 0 > /dev/null 2>&1 || native32=no
    [ $native32 = no ] && echo "i386: this host cannot run 32-bit programs (native n/a)"
    table i386 "$tmp/k32" $native32 "$(emu_cmd emu-i386)" "$(command -v qemu-i386)"
else
    echo "i386: cannot build with $CC -m32 (gcc-multilib missing?): skipped"
fi
exit $status
