#!/bin/sh
# Benchmark (not a test): emu-img against qemu-img on the same 1 GiB image:
# convert raw->qcow2, qcow2->raw, compressed raw->qcow2, and bench
# read/write (4 KiB requests, 64 in parallel).  Prints MB/s for each tool
# and the emu/qemu ratio.  Usage: emu-vs-qemu.sh [BUILD_DIR] [SIZE_MIB]
set -u
build=${1:-$(pwd)}
mib=${2:-1024}
emu="$build/tools/emu-img/emu-img"
[ -x "$emu" ] || { echo "no emu-img in $build (pass the build dir)"; exit 1; }
command -v qemu-img >/dev/null || { echo "qemu-img not installed"; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/var/tmp}/emu-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT

# A realistic image: half random data, a quarter text, a quarter holes.
src="$dir/src.raw"
truncate -s ${mib}M "$src"
head -c $((mib / 2))M /dev/urandom | dd of="$src" conv=notrunc 2>/dev/null
yes 'The quick brown fox jumps over the lazy dog 0123456789' |
    head -c $((mib / 4))M |
    dd of="$src" bs=1M seek=$((mib / 2)) conv=notrunc 2>/dev/null
bytes=$((mib * 1048576))

now() { date +%s.%N; }
rate() { echo "$1 $2" | awk '{ printf "%.1f", ($2 / 1048576) / ($1 > 0 ? $1 : 1e-9) }'; }

# run TOOL ARGS...: seconds taken (caches dropped where allowed)
run() {
    sync
    t0=$(now)
    "$@" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; echo 0; return; }
    t1=$(now)
    echo "$t1 $t0" | awk '{ printf "%.3f", $1 - $2 }'
}

row() {   # NAME EMU_SECS QEMU_SECS
    e=$(rate "$2" $bytes); q=$(rate "$3" $bytes)
    printf "%-28s %10s MB/s %10s MB/s %8s\n" "$1" "$e" "$q" \
        "$(echo "$e $q" | awk '{ printf "%.2f", ($2 > 0 ? $1 / $2 : 0) }')"
}

printf "%-28s %15s %15s %8s\n" "operation (${mib} MiB)" emu-img qemu-img ratio
e=$(run "$emu" convert -O qcow2 "$src" "$dir/e.qcow2")
q=$(run qemu-img convert -O qcow2 "$src" "$dir/q.qcow2")
row "convert raw->qcow2" "$e" "$q"
e=$(run "$emu" convert -O raw "$dir/q.qcow2" "$dir/e.raw")
q=$(run qemu-img convert -O raw "$dir/q.qcow2" "$dir/q.raw")
row "convert qcow2->raw" "$e" "$q"
rm -f "$dir/e.raw" "$dir/q.raw"
e=$(run "$emu" convert -c -O qcow2 "$src" "$dir/ec.qcow2")
q=$(run qemu-img convert -c -O qcow2 "$src" "$dir/qc.qcow2")
row "convert -c raw->qcow2" "$e" "$q"
rm -f "$dir/ec.qcow2" "$dir/qc.qcow2"

count=100000
req=$((count * 4096))
e=$(run "$emu" bench -c $count -d 64 -s 4096 "$dir/q.qcow2")
q=$(run qemu-img bench -c $count -d 64 -s 4096 "$dir/q.qcow2")
bytes=$req; row "bench read 4k qcow2" "$e" "$q"
cp "$dir/q.qcow2" "$dir/w.qcow2"
e=$(run "$emu" bench -w -c $count -d 64 -s 4096 "$dir/w.qcow2")
cp "$dir/q.qcow2" "$dir/w.qcow2"
q=$(run qemu-img bench -w -c $count -d 64 -s 4096 "$dir/w.qcow2")
bytes=$req; row "bench write 4k qcow2" "$e" "$q"
