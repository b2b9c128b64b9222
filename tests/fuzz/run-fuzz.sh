#!/bin/sh
# Builds the qcow2 libFuzzer target with clang (-fsanitize=fuzzer,address,
# undefined) and runs it over the seed corpus for FUZZ_SECONDS (default 60).
# Skips (exit 77) when no clang with libFuzzer is installed.
# Usage: run-fuzz.sh [seconds]   (make check runs it with top_srcdir set)
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
secs=${1:-${FUZZ_SECONDS:-60}}
CC=${FUZZ_CC:-}
for c in clang-14 clang; do
    [ -z "$CC" ] && command -v $c >/dev/null 2>&1 && CC=$c
done
[ -z "$CC" ] && { echo "SKIP: clang not installed"; exit 77; }
out="$top_builddir/tests/fuzz"
mkdir -p "$out"
bin="$out/fuzz-qcow2"
s="$top_srcdir"
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
    -I$s/plugin-api -I$out $(pkg-config --cflags glib-2.0 zlib)"
: > "$out/config.h"
# Plugins each define emu_plugin_info: build them as separate objects.
objs=""
for p in raw qcow2; do
    for f in "$s"/plugins/block-$p/*.c; do
        o="$out/$(basename "$f" .c)-$p.o"
        # shellcheck disable=SC2086
        $CC $flags -c -Demu_plugin_info=emu_plugin_info_$p -o "$o" "$f" ||
            { echo "FAIL: fuzzer build of $f"; exit 1; }
        objs="$objs $o"
    done
done
# shellcheck disable=SC2086
$CC $flags -o "$bin" "$s/tests/fuzz/fuzz-qcow2.c" "$s/core/block/block.c" \
    "$s/core/block/aio.c" \
    -Demu_plugin_info=emu_plugin_info_file "$s/plugins/block-file/file.c" \
    $objs $(pkg-config --libs glib-2.0 zlib) ||
    { echo "FAIL: fuzzer link"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$s"/tests/fuzz/corpus/qcow2/* "$work/"
"$bin" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 \
    -timeout=10 -print_final_stats=1 "$work" >"$out/fuzz.log" 2>&1
rc=$?
tail -20 "$out/fuzz.log"
[ $rc -eq 0 ] || { echo "FAIL: the fuzzer found a problem (see above)"; exit 1; }
echo "PASS: fuzzed ${secs}s without findings"
