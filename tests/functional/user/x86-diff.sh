#!/bin/sh
# Differential test of the x86-64 emulation: tests/guest/x86-diff runs
# every instruction snippet on random inputs natively and under
# emu-x86_64 (each JIT backend, each CPU model); outputs must be equal.
# Snippets the emulated CPU does not advertise are dropped from the native
# output; any other difference (including a snippet the emulated CPU runs
# but the host cannot) is a failure.
. "$top_srcdir/tests/functional/lib.sh"
EMU_USER="$top_builddir/emu-x86_64"
PROG="$top_builddir/tests/guest/x86-diff"
ITERS=${X86_DIFF_ITERS:-50}

"$PROG" "$ITERS" > "$TMP/native" || fail "native run failed"
for backend in interp x86_64; do
    for model in emu64 max; do
        tag="$backend/$model"
        if ! "$EMU_USER" -jit "$backend" -cpu "$model" "$PROG" "$ITERS" \
                > "$TMP/emu" 2> "$TMP/emu.err"; then
            fail "$tag: emu-x86_64 failed: $(head -c 500 "$TMP/emu.err")"
            continue
        fi
        # (the first line keeps the file non-empty for awk's NR == FNR)
        { echo "-"; sed -n 's/^\([a-z0-9_]*\) skipped .*/\1/p' "$TMP/emu"; } \
            > "$TMP/skip"
        awk 'NR == FNR { skip[$1] = 1; next }
             !($1 in skip) && $2 != "skipped" && $1 != "cases"' \
            "$TMP/skip" "$TMP/native" > "$TMP/want"
        grep -v -e '^cases ' -e '^[a-z0-9_]* skipped ' "$TMP/emu" > "$TMP/got"
        expect_same "$tag" "$TMP/want" "$TMP/got"
    done
done
finish
