#!/bin/sh
# Registers (or removes) binfmt_misc handlers so the kernel runs foreign
# ELF programs through emu: x86_64 programs via emu-x86_64 (useful on
# non-x86_64 hosts) and i386 programs via emu-i386.
#
# usage: emu-binfmt.sh [--bindir DIR] [--remove] [--persistent] [--all]
# --all also registers architectures the host runs natively (testing).
# Needs root and a mounted /proc/sys/fs/binfmt_misc.  --persistent adds
# the F flag (the interpreter is opened at registration time, so it works
# inside chroots and containers).
set -eu
bindir=$(cd "$(dirname "$0")" && pwd)
remove=no
all=no
flags=P
while [ $# -gt 0 ]; do
    case $1 in
    --bindir) bindir=$2; shift ;;
    --remove) remove=yes ;;
    --persistent) flags=PF ;;
    --all) all=yes ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "emu-binfmt.sh: unknown option $1" >&2; exit 1 ;;
    esac
    shift
done
dir=/proc/sys/fs/binfmt_misc
if [ ! -w "$dir/register" ]; then
    echo "emu-binfmt.sh: $dir is not mounted or not writable (need root)" >&2
    exit 1
fi
host=$(uname -m)

# name, ELF header magic, mask (class, data, version, type, machine)
register() {
    name=$1 magic=$2 mask=$3 prog=$4
    if [ -e "$dir/$name" ]; then
        echo -1 > "$dir/$name"
    fi
    [ "$remove" = yes ] && return 0
    if [ ! -x "$prog" ]; then
        echo "emu-binfmt.sh: $prog not found" >&2
        return 1
    fi
    echo ":$name:M::$magic:$mask:$prog:$flags" > "$dir/register"
    echo "registered $name -> $prog"
}

if [ "$host" != x86_64 ] || [ "$all" = yes ]; then
    register emu-x86_64 \
        '\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00' \
        '\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff' \
        "$bindir/emu-x86_64"
fi
case $host-$all in
x86_64-no|i?86-no) ;;     # the host runs i386 code itself
*)
    register emu-i386 \
        '\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00' \
        '\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff' \
        "$bindir/emu-i386"
    ;;
esac
