#!/bin/sh
# emu-img subcommands against qemu-img: compare exit codes, check -r with
# leaks, commit, rebase (safe and -u), resize (absolute, +, - with
# --shrink), amend, measure, dd, snapshot errors, --help format list.
. "$top_srcdir/tests/functional/block/common.sh"

qio() { qemu-io "$@" >/dev/null 2>&1; }
src="$T/src.raw"
random_raw "$src" 33554432

# compare: 0 identical, 1 different, 2 error; -s strict sizes.
emu convert -O qcow2 "$src" "$T/a.qcow2"
expect_rc "compare identical" 0 emu compare "$src" "$T/a.qcow2"
cp "$src" "$T/b.raw"
printf 'X' | dd of="$T/b.raw" bs=1 seek=1000000 conv=notrunc 2>/dev/null
expect_rc "compare different" 1 emu compare "$src" "$T/b.raw"
expect "mismatch offset" grep -q 'Content mismatch at offset 999936!' "$T/last"
expect_rc "compare missing file" 2 emu compare "$src" "$T/nope"
cp "$src" "$T/c.raw"; truncate -s 40M "$T/c.raw"
expect_rc "compare bigger zero tail" 0 emu compare "$src" "$T/c.raw"
expect_rc "compare -s size mismatch" 1 emu compare -s "$src" "$T/c.raw"

# check: leaks found (exit 3), repaired by -r leaks, json field names.
qemu-img create -q -f qcow2 "$T/l.qcow2" 16M
qio -c 'write -P 1 0 1M' "$T/l.qcow2"
# Leak clusters: raise the refcount of a free cluster behind qemu's back
# by truncating the image's tail allocation (qemu-img check -r is the
# reference for the repaired result).
emu convert -O qcow2 "$src" "$T/l.qcow2"
"$EMU_IMG" bench -q -w -c 200 -d 8 -s 65536 -S 131072 "$T/l.qcow2" &
pid=$!; sleep 0.4; kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
qemu-img check "$T/l.qcow2" >/dev/null 2>&1
qrc=$?
emu check "$T/l.qcow2" >/dev/null 2>&1
expect_rc "check exit agrees with qemu-img ($qrc)" $qrc emu check "$T/l.qcow2"
expect_rc "check -r leaks" 0 emu check -r leaks "$T/l.qcow2"
expect "clean after repair" qemu-img check -q "$T/l.qcow2"
qemu-img check --output=json "$T/a.qcow2" | grep -v fragmented > "$T/j.q"
emu check --output=json "$T/a.qcow2" | grep -v fragmented > "$T/j.e"
expect "check json" cmp "$T/j.q" "$T/j.e"
expect_rc "check raw unsupported" 63 emu check -f raw "$src"

# commit: top data lands in the base, top emptied.
qemu-img create -q -f qcow2 "$T/base.qcow2" 32M
qio -c 'write -P 0x10 0 4M' "$T/base.qcow2"
qemu-img create -q -f qcow2 -b "$T/base.qcow2" -F qcow2 "$T/top.qcow2"
qio -c 'write -P 0x20 1M 2M' -c 'write -z 3M 64k' "$T/top.qcow2"
qemu-img convert -O raw "$T/top.qcow2" "$T/want.raw"
expect "commit" emu commit "$T/top.qcow2"
expect "commit message" grep -q 'Image committed.' "$T/last"
expect "base after commit" qemu-img compare -q "$T/base.qcow2" "$T/want.raw"
expect "base check" qemu-img check -q "$T/base.qcow2"
expect "top still equal" qemu-img compare -q "$T/top.qcow2" "$T/want.raw"
expect "top emptied" sh -c "qemu-img map --output=json '$T/top.qcow2' |
    grep -q '\"depth\": 0' && exit 1 || exit 0"

# rebase: safe keeps the content, -u only rewrites the reference.
qemu-img create -q -f qcow2 "$T/old.qcow2" 32M
qio -c 'write -P 0x31 0 8M' "$T/old.qcow2"
qemu-img create -q -f qcow2 "$T/new.qcow2" 32M
qio -c 'write -P 0x32 4M 8M' "$T/new.qcow2"
qemu-img create -q -f qcow2 -b "$T/old.qcow2" -F qcow2 "$T/ov.qcow2"
qio -c 'write -P 0x33 6M 1M' "$T/ov.qcow2"
qemu-img convert -O raw "$T/ov.qcow2" "$T/want.raw"
expect "rebase safe" emu rebase -b "$T/new.qcow2" -F qcow2 "$T/ov.qcow2"
expect "content after rebase" qemu-img compare -q "$T/ov.qcow2" \
    "$T/want.raw"
expect "new backing recorded" sh -c \
    "qemu-img info '$T/ov.qcow2' | grep -q 'backing file: $T/new.qcow2'"
expect "check after rebase" qemu-img check -q "$T/ov.qcow2"
expect "rebase -b '' (flatten)" emu rebase -b '' "$T/ov.qcow2"
expect "content after flatten" qemu-img compare -q "$T/ov.qcow2" \
    "$T/want.raw"
expect "rebase -u" emu rebase -u -b "$T/old.qcow2" -F qcow2 "$T/ov.qcow2"
expect "-u reference" sh -c \
    "qemu-img info '$T/ov.qcow2' | grep -q 'backing file: $T/old.qcow2'"

# resize: absolute, +, - with --shrink.
emu create -q -f qcow2 "$T/r.qcow2" 10M
qio -c 'write -P 5 0 10M' "$T/r.qcow2"
expect "resize +10M" emu resize "$T/r.qcow2" +10M
expect "size 20M" sh -c "qemu-img info --output=json '$T/r.qcow2' |
    grep -q '\"virtual-size\": 20971520'"
expect "resize 1G" emu resize "$T/r.qcow2" 1G
expect "check after grow" qemu-img check -q "$T/r.qcow2"
expect_rc "shrink without --shrink" 1 emu resize "$T/r.qcow2" 5M
expect "resize --shrink -1020M" emu resize --shrink "$T/r.qcow2" -- -1020M
expect "size 4M" sh -c "qemu-img info --output=json '$T/r.qcow2' |
    grep -q '\"virtual-size\": 4194304'"
expect "check after shrink" qemu-img check -q "$T/r.qcow2"
qemu-img create -q -f raw "$T/want.raw" 4M
qio -f raw -c 'write -P 5 0 4M' "$T/want.raw"
expect "content after shrink" qemu-img compare -q "$T/r.qcow2" "$T/want.raw"
emu create -q -f raw "$T/r.raw" 1M
expect "raw resize" emu resize -f raw "$T/r.raw" 3M
expect "raw size" test "$(stat -c %s "$T/r.raw")" -eq 3145728

# amend: lazy refcounts on and off, downgrade to 0.10.
emu create -q -f qcow2 "$T/m.qcow2" 8M
expect "amend lazy on" emu amend -o lazy_refcounts=on "$T/m.qcow2"
expect "lazy on" sh -c "qemu-img info '$T/m.qcow2' | grep -q 'lazy refcounts: true'"
expect "amend compat=0.10" emu amend -o lazy_refcounts=off,compat=0.10 \
    "$T/m.qcow2"
expect "compat 0.10" sh -c "qemu-img info '$T/m.qcow2' | grep -q 'compat: 0.10'"
expect "check after amend" qemu-img check -q "$T/m.qcow2"

# measure: same figures as qemu-img for an empty image of any size.
for s in 1G 100G; do
    qemu-img measure -O qcow2 --size $s > "$T/m.q"
    emu measure -O qcow2 --size $s > "$T/m.e"
    expect "measure --size $s" cmp "$T/m.q" "$T/m.e"
done
expect "measure file" emu measure -O qcow2 "$T/a.qcow2"
expect "measure raw" emu measure --output=json -O raw --size 1G

# dd: skip and count, like qemu-img dd.
expect "dd" emu dd -O raw bs=64k skip=2 count=10 if="$src" of="$T/dd.raw"
dd if="$src" of="$T/dd.want" bs=64k skip=2 count=10 2>/dev/null
expect "dd content" cmp "$T/dd.raw" "$T/dd.want"

# snapshot errors, convert -B, --help lists formats.
expect_rc "apply unknown snapshot" 1 emu snapshot -a nosuch "$T/a.qcow2"
expect "help lists qcow2 and raw" sh -c \
    "'$EMU_IMG' --help | grep -q 'Supported formats:.*qcow2.*raw'"
expect "create -o help" sh -c \
    "'$EMU_IMG' create -f qcow2 -o help | grep -q refcount_bits"
qemu-img create -q -f qcow2 "$T/bb.qcow2" 32M
qio -c 'write -P 0x41 0 2M' "$T/bb.qcow2"
qemu-img create -q -f qcow2 -b "$T/bb.qcow2" -F qcow2 "$T/bt.qcow2"
qio -c 'write -P 0x42 1M 2M' "$T/bt.qcow2"
expect "convert -B" emu convert -O qcow2 -B "$T/bb.qcow2" -F qcow2 \
    "$T/bt.qcow2" "$T/bo.qcow2"
expect "convert -B content" qemu-img compare -q "$T/bt.qcow2" "$T/bo.qcow2"
expect "convert -B check" qemu-img check -q "$T/bo.qcow2"
expect "convert -p" emu convert -p -O qcow2 "$src" "$T/p.qcow2"
expect "progress shown" grep -q '100.00/100%' "$T/last"

# Cache modes: O_DIRECT (with unaligned requests through bounce buffers,
# 16 in parallel through the block layer's asynchronous requests).
for t in none directsync writethrough writeback unsafe; do
    rm -f "$T/d.qcow2"
    expect "convert -t $t" emu convert -t $t -T none -O qcow2 "$src" \
        "$T/d.qcow2"
    expect "convert -t $t: check" qemu-img check -q "$T/d.qcow2"
    expect "convert -t $t: compare" qemu-img compare -q "$src" "$T/d.qcow2"
done
cp "$src" "$T/rr.raw"
expect "bench -w unaligned O_DIRECT" emu bench -f raw -w --pattern=7 \
    -c 300 -d 16 -s 1000 -S 1000 -t none "$T/rr.raw"
cp "$src" "$T/rw.raw"
qemu-io -f raw -c 'write -P 7 0 300000' "$T/rw.raw" >/dev/null
expect "bench -w content" cmp "$T/rr.raw" "$T/rw.raw"
expect "bench -w qcow2 O_DIRECT" emu bench -w -c 2000 -d 16 -s 1000 \
    -S 3000 -t none "$T/d.qcow2"
expect "check after bench" qemu-img check -q "$T/d.qcow2"
expect_rc "bad cache mode" 1 emu convert -t bogus -O qcow2 "$src" "$T/e.qcow2"

# create prints the same "Formatting ..." line as qemu-img.
for args in "-f qcow2 -o lazy_refcounts=on,cluster_size=4k" \
            "-f qcow2 -o compat=0.10,preallocation=metadata" "-f raw" \
            "-f raw -o preallocation=falloc"; do
    # shellcheck disable=SC2086
    qemu-img create $args "$T/f.img" 3M > "$T/f.q"
    # shellcheck disable=SC2086
    emu create $args "$T/f.img" 3M > "$T/f.e"
    expect "create output ($args)" cmp "$T/f.q" "$T/f.e"
done

finish
