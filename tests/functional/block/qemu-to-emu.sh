#!/bin/sh
# Acceptance 2: every image qemu-img creates (compressed clusters, zero
# clusters, discards, internal snapshots, backing chains 3 deep, v2 and
# v3, small and large clusters) is read identically by emu-img: compare,
# convert to raw, map (byte for byte the same JSON and human output),
# check, and snapshots listed and applied.
. "$top_srcdir/tests/functional/block/common.sh"

qio() { qemu-io "$@" >/dev/null 2>&1; }

# 1-bit refcounts cannot count snapshot references: no snapshots there.
snap() {
    case $o in *refcount_bits=1*) return ;; esac
    qemu-img snapshot -c "$1" "$T/b.qcow2"
}

build_chain() {   # OPTS: base (with snapshots), mid, top
    o=$1
    qemu-img create -q -f qcow2 -o "$o" "$T/b.qcow2" 64M
    qio -c 'write -P 0x11 0 1M' -c 'write -P 0x22 5M 300k' \
        -c 'write -z 10M 1M' "$T/b.qcow2"
    snap s1
    qio -c 'write -P 0x33 512k 1M' -c 'discard 5M 64k' "$T/b.qcow2"
    snap s2
    qio -c 'write -P 0x44 0 64k' "$T/b.qcow2"
    qemu-img create -q -f qcow2 -o "$o" -b "$T/b.qcow2" -F qcow2 "$T/m.qcow2"
    qio -c 'write -P 0x55 2M 1M' -c 'write -z 0 32k' "$T/m.qcow2"
    qemu-img create -q -f qcow2 -o "$o" -b "$T/m.qcow2" -F qcow2 "$T/t.qcow2"
    qio -c 'write -P 0x66 20M 100k' -c 'write -P 0x67 63M 1M' "$T/t.qcow2"
}

same_reading() {   # DESC IMAGE
    qemu-img convert -O raw "$2" "$T/ref.raw"
    rm -f "$T/emu.raw"
    expect "$1: emu-img convert" emu convert -O raw "$2" "$T/emu.raw"
    expect "$1: same raw" cmp "$T/ref.raw" "$T/emu.raw"
    expect "$1: emu-img compare" emu compare "$2" "$T/ref.raw"
    qemu-img map --output=json "$2" > "$T/map.q"
    emu map --output=json "$2" > "$T/map.e"
    expect "$1: same json map" cmp "$T/map.q" "$T/map.e"
    qemu-img map "$2" > "$T/map.q"
    emu map "$2" > "$T/map.e"
    expect "$1: same human map" cmp "$T/map.q" "$T/map.e"
}

for o in compat=1.1 compat=0.10 cluster_size=4k cluster_size=512 \
         cluster_size=2M refcount_bits=1,compat=1.1 refcount_bits=64; do
    build_chain "$o"
    for f in b m t; do
        same_reading "$o $f" "$T/$f.qcow2"
        expect_rc "$o $f: emu-img check" 0 emu check "$T/$f.qcow2"
    done
    case $o in *refcount_bits=1*) continue ;; esac
    for s in s1 s2; do
        qemu-img convert -l $s -O raw "$T/b.qcow2" "$T/snap.raw"
        cp "$T/b.qcow2" "$T/a.qcow2"
        expect "$o: emu-img snapshot -a $s" emu snapshot -a $s "$T/a.qcow2"
        expect "$o: check after apply" qemu-img check -q "$T/a.qcow2"
        expect "$o: content after apply" qemu-img compare -q "$T/a.qcow2" \
            "$T/snap.raw"
    done
    expect "$o: snapshot list" sh -c \
        "'$EMU_IMG' snapshot -l '$T/b.qcow2' | grep -q 's2'"
done

# Compressed clusters written by qemu-img.
head -c 4194304 /dev/urandom > "$T/rnd.raw"
yes compress-me | head -c 4194304 >> "$T/rnd.raw"
truncate -s 32M "$T/rnd.raw"
for cs in 512 64k 2M; do
    qemu-img convert -c -O qcow2 -o cluster_size=$cs "$T/rnd.raw" "$T/c.qcow2"
    same_reading "compressed cluster_size=$cs" "$T/c.qcow2"
    expect "compressed $cs: emu check" emu check "$T/c.qcow2"
done

# info agrees with qemu-img on the fields tools rely on.
qemu-img info --output=json "$T/t.qcow2" | grep -v actual-size > "$T/i.q"
emu info --output=json "$T/t.qcow2" | grep -v actual-size > "$T/i.e"
expect "info json" cmp "$T/i.q" "$T/i.e"
qemu-img info --output=json "$T/b.qcow2" |
    grep -v -e actual-size -e date- > "$T/i.q"
emu info --output=json "$T/b.qcow2" | grep -v -e actual-size -e date- \
    > "$T/i.e"
expect "info json with snapshots" cmp "$T/i.q" "$T/i.e"
qemu-img info "$T/t.qcow2" | grep -v 'disk size' > "$T/i.q"
emu info "$T/t.qcow2" | grep -v 'disk size' > "$T/i.e"
expect "info human" cmp "$T/i.q" "$T/i.e"

finish
