#!/bin/sh
# Acceptance 4: hostile and broken images (truncated files, corrupted
# header fields, out-of-range and overlapping tables, refcount tables
# pointing at themselves, looping backing chains, absurd sizes) give one
# clear error line and a non-zero exit, never a crash, a hang or a huge
# allocation (run under a time and address-space limit).
. "$top_srcdir/tests/functional/block/common.sh"

# poke FILE OFFSET HEXBYTE...: overwrite bytes in place
poke() {
    f=$1; off=$2; shift 2
    for b in "$@"; do printf "\\$(printf %o 0x$b)"; done |
        dd of="$f" bs=1 seek="$off" conv=notrunc 2>/dev/null
}

# limited CMD...: runs CMD with 20 s and 1 GiB of address space
limited() {
    [ "$1" = emu ] && { shift; set -- "$EMU_IMG" "$@"; }
    (ulimit -v 1048576; timeout 20 "$@")
}

# refuse DESC CMD...: non-zero exit below 124 (no crash, no hang) and a
# single stderr line naming the problem
refuse() {
    desc=$1; shift
    limited "$@" >"$T/out" 2>"$T/err"
    rc=$?
    lines=$(grep -c . "$T/err")
    if [ $rc -eq 0 ] || [ $rc -ge 124 ]; then
        fail "$desc: exit $rc ($(head -c 300 "$T/err"))"
    elif [ "$lines" -ne 1 ]; then
        fail "$desc: expected one error line, got $lines: $(head -c 300 "$T/err")"
    else
        ok
    fi
}

# survive DESC CMD...: any exit below 124 (check may report corruption)
survive() {
    desc=$1; shift
    limited "$@" >"$T/out" 2>"$T/err"
    rc=$?
    if [ $rc -ge 124 ]; then fail "$desc: exit $rc (crash or hang)"; else ok; fi
}

fresh() {
    rm -f "$T/x.qcow2"
    qemu-img create -q -f qcow2 -o cluster_size=4k "$T/x.qcow2" 16M
    qemu-io -c 'write -P 7 0 64k' -c 'write -c -P 8 1M 4k' "$T/x.qcow2" \
        >/dev/null
}

img="$T/x.qcow2"
try_all() {   # DESC: info, convert must refuse; check must not crash
    refuse "$1: info" emu info -f qcow2 "$img"
    refuse "$1: convert" emu convert -f qcow2 -O raw "$img" "$T/o.raw"
    survive "$1: check" emu check -f qcow2 "$img"
    survive "$1: map" emu map -f qcow2 "$img"
}

fresh; head -c 50 "$img" > "$T/t" && mv "$T/t" "$img"
try_all "truncated to 50 bytes"
fresh; poke "$img" 0 00; try_all "bad magic"
fresh; poke "$img" 7 07; try_all "version 7"
fresh; poke "$img" 23 28; try_all "cluster_bits 40"
fresh; poke "$img" 23 08; try_all "cluster_bits 8"
fresh; poke "$img" 24 7f ff ff ff ff ff ff ff; try_all "size 2^63"
fresh; poke "$img" 35 01; try_all "encrypted"
fresh; poke "$img" 36 ff ff ff ff; try_all "l1_size 4G"
fresh; poke "$img" 36 00 00 00 00; try_all "l1_size too small"
fresh; poke "$img" 47 10; try_all "l1 offset unaligned"
fresh; poke "$img" 40 00 00 01 00; try_all "l1 offset beyond EOF"
fresh; poke "$img" 48 00 00 10 00; try_all "refcount table beyond EOF"
fresh; poke "$img" 56 ff ff ff ff; try_all "refcount table 4G clusters"
fresh; poke "$img" 60 7f ff ff ff; try_all "2^31 snapshots"
fresh; poke "$img" 60 00 00 00 05; poke "$img" 64 00 00 00 10 00 00 00 00
try_all "snapshot table beyond EOF"
fresh; poke "$img" 79 20; try_all "unknown incompatible feature"
fresh; poke "$img" 99 09; try_all "refcount_order 9"
fresh; poke "$img" 100 00 10 00 00; try_all "header_length 1M"
fresh; poke "$img" 8 00 00 00 00 00 00 02 00; poke "$img" 16 00 00 13 88
try_all "backing name 5000 bytes"
fresh; poke "$img" 72 00 00 00 00 00 00 00 02
refuse "corrupt bit: read-write open" emu snapshot -c s "$img"
expect "corrupt bit: read-only info works" emu info "$img"

# Tables that are in range but wrong: check reports corruption (exit 2),
# reads fail cleanly or return data, nothing crashes.
corrupt_table() {   # DESC
    survive "$1: info" emu info "$img"
    survive "$1: convert" emu convert -O raw "$img" "$T/o.raw"
    survive "$1: map" emu map "$img"
    expect_rc "$1: check finds corruption" 2 emu check "$img"
}
fresh; poke "$img" 12288 00 00 00 00 7f 00 00 00   # L1[0] beyond EOF
corrupt_table "L2 table beyond EOF"
fresh; poke "$img" 12288 00 00 00 00 00 00 30 01   # L1[0] unaligned
corrupt_table "L2 table unaligned"
fresh; poke "$img" 12288 80 00 00 00 00 00 10 00   # L1[0] = refcount table
corrupt_table "L2 table overlaps refcount table"
fresh; poke "$img" 4096 00 00 00 00 00 00 10 00    # refblock = reftable
corrupt_table "refcount table points at itself"
fresh; poke "$img" 40 00 00 00 00 00 00 10 00      # L1 = refcount table
corrupt_table "L1 overlaps refcount table"
fresh; dd if=/dev/urandom of="$img" bs=4096 seek=5 count=1 conv=notrunc \
    2>/dev/null
survive "random L2 table: convert" emu convert -O raw "$img" "$T/o.raw"
survive "random L2 table: check" emu check "$img"

# Looping backing chains.
qemu-img create -q -f qcow2 "$T/a.qcow2" 1M
qemu-img create -q -f qcow2 -F qcow2 -b "$T/a.qcow2" "$T/b.qcow2"
qemu-img rebase -u -F qcow2 -b "$T/b.qcow2" "$T/a.qcow2"
refuse "backing loop" emu info --backing-chain "$T/b.qcow2"
refuse "backing loop: convert" emu convert -O raw "$T/b.qcow2" "$T/o.raw"
qemu-img rebase -u -F qcow2 -b "$T/a.qcow2" "$T/a.qcow2"
refuse "backing is itself" emu compare "$T/a.qcow2" "$T/a.qcow2"
qemu-img rebase -u -F qcow2 -b "$T/missing.qcow2" "$T/a.qcow2"
refuse "missing backing file" emu convert -O raw "$T/a.qcow2" "$T/o.raw"

# Absurd sizes and options.
refuse "size 9E" emu create -f qcow2 "$T/n.qcow2" 9E
refuse "size 2^62 qcow2 512B clusters" \
    emu create -f qcow2 -o cluster_size=512 "$T/n.qcow2" 4E
refuse "size garbage" emu create -f qcow2 "$T/n.qcow2" 12Q
refuse "negative size" emu create -f qcow2 "$T/n.qcow2" -- -5
refuse "cluster_size 3000" emu create -f qcow2 -o cluster_size=3000 "$T/n.qcow2" 1M
refuse "refcount_bits 3" emu create -f qcow2 -o refcount_bits=3 "$T/n.qcow2" 1M
refuse "unknown option" emu create -f qcow2 -o nosuch=1 "$T/n.qcow2" 1M
refuse "unknown format" emu create -f nosuch "$T/n.qcow2" 1M
refuse "missing file" emu info "$T/does-not-exist"
refuse "directory" emu info "$T"

finish
