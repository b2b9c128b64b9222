#!/bin/sh
# The serial console through the real program: -nographic puts a mux on
# stdio; its escape keys answer (Ctrl-a h) and quit emu (Ctrl-a x), and
# -echr changes the escape key.
. "$top_srcdir/tests/functional/lib.sh"
cat > "$TMP/uart.machine" <<'EOT'
[machine]
name=uart
description=one serial port, no CPU
[device com1]
type=uart-16550
chardev=serial0
EOT

printf '\001h\001x' > "$TMP/keys"
timeout 20 "$EMU" --machine "$TMP/uart.machine" -nographic \
    < "$TMP/keys" > "$TMP/out" 2> "$TMP/err"
rc=$?
out=$(cat "$TMP/out"); err=$(cat "$TMP/err")
expect_ok "Ctrl-a x quits with status 0"
expect_out "Ctrl-a h lists the keys" "C-a x"
expect_out "Ctrl-a h lists the break key" "C-a b"

printf '\024x' > "$TMP/keys"
timeout 20 "$EMU" --machine "$TMP/uart.machine" -nographic -echr 0x14 \
    < "$TMP/keys" > "$TMP/out" 2> "$TMP/err"
rc=$?
err=$(cat "$TMP/err")
expect_ok "-echr 0x14: Ctrl-t x quits"
finish
