#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# lu-keep on this host (whose kernel has no /dev/liveupdate): its usage and
# runtime errors, the man page (renders without warnings, documents every
# option, its EXAMPLES are the command lines the guest tests run), and
# make install.
#
#   host_test.sh LU_KEEP
#
# Prints TAP; exit status 1 if anything failed.

set -uo pipefail

LK=${1:?usage: $0 LU_KEEP}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
util=$here/../../testing/selftests/liveupdate/lu_keep_util.h
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$here/../../../mk/tap.sh"

ok() { tap_result "$@"; }

# expect NAME STATUS MESSAGE COMMAND...: exit status and a line of stderr.
expect() {
	local name=$1 status=$2 msg=$3 rc
	shift 3
	"$@" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	if [ "$rc" = "$status" ] && grep -qF -- "$msg" "$tmp/err"; then
		ok 0 "$name"
	else
		ok 1 "$name (exit $rc, want $status; stderr: $(head -c 300 "$tmp/err"))"
	fi
}

expect "no command" 2 "lu-keep: no command given" "$LK"
expect "unknown command" 2 "lu-keep: unknown command: start" "$LK" start
expect "run without a session" 2 "lu-keep run: no session given (-s NAME)" \
	"$LK" run -f /run/x -- true
expect "session name too long" 2 "session name '$(printf 'x%.0s' {1..64})': 1 to 63 bytes" \
	"$LK" run -s "$(printf 'x%.0s' {1..64})" -f /run/x -- true
expect "run without files" 2 "lu-keep run: no file given" "$LK" run -s a -- true
expect "run without a command" 2 "lu-keep run: no command given" "$LK" run -s a -f /run/x
expect "relative path" 2 "--file run/x: the path must be absolute" "$LK" run -s a -f run/x -- true
expect "bad size" 2 "--file /run/x:12Q: bad size '12Q'" "$LK" run -s a -f /run/x:12Q -- true
expect "file twice" 2 "--file /run/x given twice" "$LK" run -s a -f /run/x -f /run/x:1M -- true
expect "bad signal" 2 "--stop-signal FOO: unknown signal" "$LK" run -s a -f /run/x -S FOO -- true
expect "bad ready address" 2 "--ready-tcp example.com:80: want [ADDRESS:]PORT" \
	"$LK" run -s a -f /run/x -r example.com:80 -- true
expect "stop takes no files" 2 "usage:" "$LK" stop -s a -f /run/x
if [ ! -e /dev/liveupdate ]; then
	expect "no /dev/liveupdate" 1 \
		"lu-keep: a: error: /dev/liveupdate: No such file or directory (this kernel has no live update support: CONFIG_LIVEUPDATE, liveupdate=on)" \
		"$LK" run -s a -d "$tmp/run" -f "$tmp/x:1M" -- true
	[ ! -e "$tmp/x" ] && [ ! -e "$tmp/run/a.sock" ]
	ok $? "nothing left behind without /dev/liveupdate"
else
	ok 0 "this host has /dev/liveupdate: the guest tests cover it # (host check not applicable)"
	ok 0 "nothing left behind (not applicable)"
fi
expect "stop without a supervisor" 1 \
	"lu-keep stop: $tmp/run/b.sock: No such file or directory (is lu-keep run -s b running?)" \
	"$LK" stop -s b -d "$tmp/run"
expect "status without a supervisor" 1 "(is lu-keep run -s b running?)" \
	"$LK" status -s b -d "$tmp/run"

# The man page: renders cleanly, documents every long option of --help.
LC_ALL=C MANWIDTH=80 man --warnings -l "$src/lu-keep.8" > "$tmp/man.txt" 2> "$tmp/man.err"
[ $? = 0 ] && [ ! -s "$tmp/man.err" ] && grep -q '^EXAMPLES' "$tmp/man.txt"
ok $? "lu-keep.8 renders without warnings ($(head -c 200 "$tmp/man.err"))"
missing=
for opt in $("$LK" --help | grep -o -- '--[a-z-]*' | sort -u); do
	grep -qF -- "$opt" "$tmp/man.txt" || missing+=" $opt"
done
[ -z "$missing" ]
ok $? "lu-keep.8 documents every option (missing:${missing:- none})"
# EXAMPLES: exactly the command lines the guest tests run (lu_keep_util.h).
for macro in KEEP_RUN_EXAMPLE KEEP_STOP_EXAMPLE; do
	line=$(awk -v m="$macro" '$0 ~ "#define " m { on = 1; sub(/.*#define [A-Z_]+[ \t]*/, "") }
		on { l = $0; sub(/^[ \t]*\\$/, "", l); gsub(/^[ \t]*"|"[ \t]*\\?[ \t]*$/, "", l); s = s l; if ($0 !~ /\\$/) { print s; exit } }' "$util")
	[ -n "$line" ] && grep -qxF -- "$line" <(sed -n '/^\.SH EXAMPLES/,/^\.SH /p' "$src/lu-keep.8")
	ok $? "the man page's example is what the guest test runs: $line"
done

# make install puts the binary and the man page under DESTDIR/PREFIX.
make -s -C "$src" OUTPUT="$tmp/build" install DESTDIR="$tmp/root" PREFIX=/usr > "$tmp/inst" 2>&1 &&
	[ -x "$tmp/root/usr/sbin/lu-keep" ] && [ -f "$tmp/root/usr/share/man/man8/lu-keep.8" ] &&
	"$tmp/root/usr/sbin/lu-keep" --help | grep -q '^usage: lu-keep run'
ok $? "make install: /usr/sbin/lu-keep and man8/lu-keep.8 ($(head -c 200 "$tmp/inst"))"

tap_end
