#!/bin/sh
# Acceptance 3: a writer killed with SIGKILL at random points during
# allocating writes (64 parallel requests) leaves an image that qemu-img
# check and emu-img check find free of corruption (leaks allowed, then
# repaired by check -r leaks), with the data written and flushed before
# intact.  With lazy_refcounts the dirty image is repaired by -r all.
. "$top_srcdir/tests/functional/block/common.sh"

half=33554432
head -c 8388608 /dev/urandom > "$T/a.raw"
truncate -s $half "$T/a.raw"

one_round() {   # OPTS ROUND
    img="$T/c.qcow2"
    rm -f "$img"
    emu create -q -f qcow2 -o "$1" "$img" 512M
    # Acknowledged and flushed: the first half.
    emu convert -n -t writeback -O qcow2 "$T/a.raw" "$img" 2>/dev/null ||
        fail "$1 round $2: flushed write failed"
    "$EMU_IMG" bench -q -w -t writeback --pattern=90 -c 100000 -d 64 \
        -s 65536 -S 131072 -o $half "$img" &
    pid=$!
    # Start-up takes about 0.2 s; allocating writes go on for a second.
    sleep "0.$(( ($(od -An -N2 -tu2 /dev/urandom) % 70) + 25 ))"
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    case $1 in
    *lazy_refcounts=on*)
        expect_rc "$1 round $2: emu check -r all" 0 emu check -r all "$img" ;;
    esac
    qemu-img check "$img" >"$T/qc" 2>&1
    rc=$?
    qemu-img map --output=json "$img" | awk -F'[:,]' -v h=$half \
        '/"data": true/ { if ($2 + 0 >= h) f = 1 } END { exit !f }' &&
        allocs=$((allocs + 1))
    if [ $rc -eq 0 ] || [ $rc -eq 3 ]; then ok; else
        fail "$1 round $2: qemu-img check exit $rc: $(head -5 "$T/qc")"; fi
    emu check "$img" >/dev/null 2>&1
    rc=$?
    if [ $rc -eq 0 ] || [ $rc -eq 3 ]; then ok; else
        fail "$1 round $2: emu-img check exit $rc"; fi
    expect_rc "$1 round $2: check -r leaks" 0 emu check -r leaks "$img"
    expect "$1 round $2: qemu-img check after repair" qemu-img check -q "$img"
    qemu-img convert -O raw "$img" "$T/out.raw"
    expect "$1 round $2: flushed data intact" \
        cmp -n $half "$T/a.raw" "$T/out.raw"
}

allocs=0
for r in 1 2 3 4 5 6; do
    one_round compat=1.1 $r
done
for r in 1 2; do
    one_round compat=0.10,cluster_size=4k $r
    one_round refcount_bits=64,cluster_size=512 $r
    one_round lazy_refcounts=on $r
done

# The writer must really have been killed mid-way at least sometimes.
[ $allocs -gt 0 ] && ok || fail "no round left allocated clusters behind"
finish
