# Helpers for the block layer functional tests (sourced).
# make check exports top_srcdir and top_builddir; qemu-img is the peer.
set -u
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$top_builddir}"
EMU_IMG="$top_builddir/tools/emu-img/emu-img"
export EMU_PLUGIN_PATH="${EMU_PLUGIN_PATH:-}"
if ! command -v qemu-img >/dev/null 2>&1; then
    echo "SKIP: qemu-img (qemu-utils) is not installed"
    exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
failures=0
checks=0

# The stdout of the last expect/expect_rc command is kept in $T/last.
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { checks=$((checks + 1)); }

# emu ARGS...: runs emu-img with a time limit
emu() { timeout 120 "$EMU_IMG" "$@"; }

# expect DESC CMD...: CMD must exit 0
expect() {
    desc=$1; shift
    if "$@" >"$T/out" 2>"$T/err"; then ok; else
        fail "$desc: exit $? ($(head -c 400 "$T/err"))"; fi
    cp "$T/out" "$T/last"
}

# expect_rc DESC RC CMD...: CMD must exit with RC
expect_rc() {
    desc=$1; want=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    cp "$T/out" "$T/last"
    if [ "$got" -eq "$want" ]; then ok; else
        fail "$desc: expected exit $want, got $got ($(head -c 400 "$T/err"))"
    fi
}

# random_raw FILE SIZE: a sparse raw image with data, zero runs and holes
random_raw() {
    truncate -s "$2" "$1"
    head -c 3145728 /dev/urandom | dd of="$1" conv=notrunc 2>/dev/null
    # compressible data, an all-zero written run, data near the end
    yes emu-block-test | head -c 1048576 |
        dd of="$1" bs=1024 seek=8192 conv=notrunc 2>/dev/null
    head -c 1048576 /dev/zero | dd of="$1" bs=1024 seek=12288 conv=notrunc \
        2>/dev/null
    head -c 200000 /dev/urandom | dd of="$1" bs=1 seek=$(( $2 - 300000 )) \
        conv=notrunc 2>/dev/null
}

finish() {
    echo "$checks checks passed, $failures failed"
    [ "$failures" -eq 0 ]
}
