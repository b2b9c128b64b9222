# The applet script of busybox.sh and busybox-i386.sh (run by busybox sh):
# every applet through $BB (the busybox to test, possibly behind an
# emulator command), in the directory $WORK.
set -e
: "${BB:?}" "${WORK:?}"
cd "$WORK"
printf 'pear\napple\nfig\nbanana\napple\n' > fruit.txt
$BB seq 1 200 > numbers.txt
echo "== sh"; for i in 1 2 3; do echo "loop $i $((i * i))"; done
x=abc; echo "${x}def ${#x} $(echo sub)"
echo "== awk"; $BB awk '{ n[$1]++ } END { for (k in n) print k, n[k] | "sort" }' fruit.txt
$BB awk 'BEGIN { s = 0; for (i = 1; i <= 100; i++) s += i; print s, s / 7 }'
echo "== sed"; $BB sed -e 's/a/A/g' -e '/fig/d' fruit.txt
echo "== sort"; $BB sort fruit.txt; $BB sort -u -r fruit.txt; $BB sort -n -r numbers.txt | $BB head -3
echo "== grep"; $BB grep -n an fruit.txt; $BB grep -c 1 numbers.txt; $BB grep -v -e a fruit.txt
echo "== wc"; $BB wc fruit.txt numbers.txt
echo "== tar"; mkdir -p d/sub; cp fruit.txt d/; cp numbers.txt d/sub/
$BB tar cf t.tar d; $BB tar tf t.tar | $BB sort
mkdir x; cd x; $BB tar xf ../t.tar; cd ..; $BB cmp d/sub/numbers.txt x/d/sub/numbers.txt && echo same
echo "== gzip"; $BB gzip -c numbers.txt > n.gz; $BB gunzip -c n.gz | $BB md5sum
$BB gzip -9 -c t.tar | $BB gunzip | $BB wc -c
echo "== bzip2"; $BB bzip2 -c numbers.txt > n.bz2; $BB bzip2 -dc n.bz2 | $BB sha256sum
echo "== sums"; $BB md5sum fruit.txt numbers.txt; $BB sha256sum fruit.txt
$BB sha1sum numbers.txt; $BB sha512sum fruit.txt
echo "== od"; $BB od -x fruit.txt; $BB od -b numbers.txt | $BB head -4
echo "== dd"; $BB dd if=numbers.txt bs=7 count=3 skip=2 2>/dev/null; echo
$BB dd if=numbers.txt of=dd.out bs=64 conv=sync 2>/dev/null; $BB md5sum dd.out
echo "== find"; $BB find d -type f | $BB sort; $BB find . -name '*.txt' -newer t.tar | $BB wc -l
echo "== xargs"; $BB seq 1 10 | $BB xargs -n 3 echo; $BB find d -type f | $BB sort | $BB xargs $BB wc -l
echo "== misc"; $BB expr 6 \* 7; $BB basename /a/b/c.txt .txt; $BB printf '%05d|%-4s|%x\n' 42 ab 255
$BB cut -d' ' -f2 <<EOT
a b c
d e f
EOT
$BB tr a-z A-Z < fruit.txt | $BB uniq -c
$BB head -c 100 numbers.txt | $BB tail -n 2
echo done
