#!/bin/sh
# Benchmark of emu-x86_64 against native execution and Debian's
# qemu-x86_64 on CPU-bound programs (a benchmark, not a test: it prints
# numbers and fails only when a program gives a wrong answer).
#
# usage: bench/user/run.sh [build-dir] [scale]
# Prints, per kernel, native/emu/qemu seconds, emu and qemu slowdowns and
# the emu/qemu ratio, then geometric means.  EMU_JIT_BACKEND selects the
# emu backend (interp or x86_64).
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-${top_builddir:-$(pwd)}}
scale=${2:-1}
EMU="$build/emu-x86_64"
QEMU=$(command -v qemu-x86_64 || true)
CC=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

$CC -O2 -static -o "$tmp/kernels" "$here/kernels.c" || exit 1

seconds() {     # seconds CMD...: wall time, output kept in $tmp/out
    start=$(date +%s.%N)
    "$@" > "$tmp/out" 2>&1 || echo "FAILED: $*" >&2
    end=$(date +%s.%N)
    echo "$start $end" | awk '{ printf "%.3f", $2 - $1 }'
}

printf '%-9s %9s %9s %9s %9s %9s %9s\n' kernel native emu qemu emu/nat qemu/nat emu/qemu
status=0
results=""
for k in sieve sort hash matmul strings; do
    tn=$(seconds "$tmp/kernels" $k $scale); want=$(cat "$tmp/out")
    te=$(seconds "$EMU" "$tmp/kernels" $k $scale); got=$(cat "$tmp/out")
    if [ "$got" != "$want" ]; then
        echo "$k: emu printed '$got', native '$want'" >&2; status=1
    fi
    tq=0
    if [ -n "$QEMU" ]; then
        tq=$(seconds "$QEMU" "$tmp/kernels" $k $scale)
    fi
    line=$(echo "$tn $te $tq" | awk '{
        n = ($1 > 0.001) ? $1 : 0.001
        q = ($3 > 0.001) ? $3 : 0.001
        printf "%9.3f %9.3f %9.3f %9.1f %9.1f %9.2f", $1, $2, $3, $2 / n, $3 / n, $2 / q }')
    printf '%-9s %s\n' "$k" "$line"
    results="$results$line
"
done
printf '%s' "$results" | awk '
    NF { n++; a += log($4); b += log($5); c += log($6) }
    END { if (n) printf "%-9s %29s %9.1f %9.1f %9.2f\n", "geomean", "",
                           exp(a / n), exp(b / n), exp(c / n) }'
exit $status
