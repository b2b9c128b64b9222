# Shared helpers for the functional tests (sourced).
# make check exports top_srcdir and top_builddir.
set -u
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$top_builddir}"
EMU="$top_builddir/emu"
# the plugin ABI this tree provides, as MAJOR.MINOR
abi_part() { sed -n "s/^#define EMU_ABI_$1 //p" "$top_srcdir/plugin-api/emu/plugin.h"; }
EMU_ABI_MINOR=$(abi_part MINOR)
EMU_ABI="$(abi_part MAJOR).$EMU_ABI_MINOR"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
checks=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { checks=$((checks + 1)); }

# run CMD...: runs it, keeping stdout in $out, stderr in $err, status in $rc
run() {
    "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
    rc=$?
    out=$(cat "$TMP/out")
    err=$(cat "$TMP/err")
}

# expect_ok DESC: the last run exited 0
expect_ok() {
    if [ "$rc" -ne 0 ]; then fail "$1: exit $rc, stderr: $err"; else pass; fi
}

# expect_error DESC FRAGMENT: the last run exited 1 with exactly one stderr
# line containing FRAGMENT
expect_error() {
    lines=$(printf '%s\n' "$err" | grep -c .)
    if [ "$rc" -ne 1 ]; then
        fail "$1: expected exit 1, got $rc (stderr: $err)"
    elif [ "$lines" -ne 1 ]; then
        fail "$1: expected one error line, got $lines: $err"
    elif ! printf '%s' "$err" | grep -qF -- "$2"; then
        fail "$1: stderr lacks '$2': $err"
    else
        pass
    fi
}

# expect_out DESC FRAGMENT: stdout of the last run contains FRAGMENT
expect_out() {
    if printf '%s' "$out" | grep -qF -- "$2"; then pass; else
        fail "$1: stdout lacks '$2': $out"; fi
}

# expect_err_has DESC FRAGMENT
expect_err_has() {
    if printf '%s' "$err" | grep -qF -- "$2"; then pass; else
        fail "$1: stderr lacks '$2': $err"; fi
}

# expect_same DESC WANT GOT: the two files are identical (else the first
# differing lines)
expect_same() {
    if cmp -s "$2" "$3"; then
        echo "$1: $(wc -l < "$3") lines identical"
        pass
    else
        fail "$1: mismatches:"
        diff "$2" "$3" | head -20
    fi
}

finish() {
    echo "$checks passed, $failures failed"
    [ "$failures" -eq 0 ]
}

PLUGINS="$top_builddir/tests/plugins"
