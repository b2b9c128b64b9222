#!/bin/sh
# Acceptance 1: every image emu-img creates (over compat, cluster sizes,
# refcount widths, preallocation, lazy refcounts, compression, backing
# files and internal snapshots) passes `qemu-img check` clean and
# `qemu-img compare` finds it identical to its source.
. "$top_srcdir/tests/functional/block/common.sh"

src="$T/src.raw"
random_raw "$src" 67108864

check_pair() {   # DESC IMAGE REFERENCE
    expect "$1: qemu-img check" qemu-img check -q "$2"
    expect "$1: qemu-img compare" qemu-img compare -q "$3" "$2"
}

for o in compat=0.10 compat=1.1 cluster_size=512 cluster_size=4k \
         cluster_size=2M refcount_bits=1 refcount_bits=2 refcount_bits=8 \
         refcount_bits=64 refcount_bits=64,cluster_size=512 \
         lazy_refcounts=on compat=0.10,cluster_size=1k \
         refcount_bits=4,cluster_size=8k; do
    img="$T/c.qcow2"
    rm -f "$img"
    expect "convert -o $o" emu convert -O qcow2 -o "$o" "$src" "$img"
    check_pair "convert -o $o" "$img" "$src"
    rm -f "$img"
    expect "convert -c -o $o" emu convert -c -O qcow2 -o "$o" "$src" "$img"
    check_pair "convert -c -o $o" "$img" "$src"
done

# The compressed image really holds compressed clusters.
emu convert -c -O qcow2 "$src" "$T/z.qcow2"
qemu-img check "$T/z.qcow2" | grep -q ' 0.00% compressed' &&
    fail "convert -c wrote no compressed clusters" || ok

# emu-img create with each preallocation mode, size suffixes.
for p in off metadata falloc full; do
    for v in 0.10 1.1; do
        img="$T/p-$p-$v.qcow2"
        expect "create preallocation=$p compat=$v" \
            emu create -q -f qcow2 -o preallocation=$p,compat=$v "$img" 5M
        expect "qemu-img check preallocation=$p" qemu-img check -q "$img"
        expect "virtual size 5M" sh -c \
            "qemu-img info --output=json '$img' | grep -q '\"virtual-size\": 5242880'"
    done
done
for s in 1k 3M 2G 1T; do
    expect "create size $s" emu create -q -f qcow2 "$T/s.qcow2" $s
    expect "qemu-img check size $s" qemu-img check -q "$T/s.qcow2"
done
expect "raw create" emu create -q -f raw "$T/r.raw" 10M
expect "raw size" test "$(stat -c %s "$T/r.raw")" -eq 10485760

# Backing file, written through emu-img convert -n and emu-img snapshot.
emu create -q -f qcow2 -b "$src" -F raw "$T/top.qcow2"
expect "top over raw" qemu-img check -q "$T/top.qcow2"
expect "top equals base" qemu-img compare -q "$T/top.qcow2" "$src"
head -c 2097152 /dev/urandom > "$T/patch"
cp "$src" "$T/expect.raw"
dd if="$T/patch" of="$T/expect.raw" bs=65536 seek=100 conv=notrunc 2>/dev/null
expect "convert -n into overlay" emu convert -n -O qcow2 "$T/expect.raw" \
    "$T/top.qcow2"
check_pair "overlay after convert -n" "$T/top.qcow2" "$T/expect.raw"

# Internal snapshots made by emu-img, listed and applied by qemu-img.
img="$T/snap.qcow2"
emu convert -O qcow2 "$src" "$img"
expect "snapshot -c" emu snapshot -c first "$img"
emu convert -n -O qcow2 "$T/expect.raw" "$img"
expect "snapshot -c second" emu snapshot -c second "$img"
check_pair "after snapshots" "$img" "$T/expect.raw"
expect "qemu-img lists snapshot" sh -c \
    "qemu-img snapshot -l '$img' | grep -q first"
qemu-img convert -l first -O raw "$img" "$T/first.raw"
expect "snapshot content" cmp "$T/first.raw" "$src"
expect "snapshot -d" emu snapshot -d first "$img"
expect "check after delete" qemu-img check -q "$img"
expect "snapshot -a" emu snapshot -a second "$img"
check_pair "after apply" "$img" "$T/expect.raw"

finish
