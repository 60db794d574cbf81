#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# lu-trace's errors, on this host: its kernel has no liveupdate events (a
# kernel without the feature), an unprivileged user, files that are not
# recordings or are damaged; then the kho decoder's, the exporter's and the
# format catalog's (compat) tests.
#
#   host_test.sh LU_TRACE [RECORDING]
#
# RECORDING: a good recording (from the VM test) to damage; optional.

set -uo pipefail

LU=${1:?usage: $0 LU_TRACE [RECORDING]}
REC=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$here/../../../mk/tap.sh"

# expect NAME STATUS MESSAGE COMMAND...: exit status and a line of stderr.
expect() {
	local name=$1 status=$2 msg=$3 rc
	shift 3
	"$@" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	if [ "$rc" = "$status" ] && grep -qF -- "$msg" "$tmp/err"; then
		tap_ok "$name"
	else
		tap_not_ok "$name (exit $rc, want $status; stderr: $(head -c 300 "$tmp/err"))"
	fi
}

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

if [ -r /sys/kernel/btf/vmlinux ] && ! grep -q liveupdate_luo_file /proc/kallsyms 2> /dev/null; then
	expect "no liveupdate events: top" 1 \
		"lu-trace top: this kernel has no liveupdate trace events" "$LU" top -n 1
	expect "no liveupdate events: record" 1 \
		"lu-trace record: this kernel has no liveupdate trace events" \
		"$LU" record -o "$tmp/x.lut"
elif [ ! -r /sys/kernel/btf/vmlinux ]; then
	expect "no BTF: top" 1 "this kernel has no BTF" "$LU" top -n 1
fi
expect "unprivileged record" 1 \
	"lu-trace record: Operation not permitted: loading BPF programs needs root" \
	as_nobody "$LU" record -o "$tmp/y.lut"
expect "unprivileged top" 1 "loading BPF programs needs root" as_nobody "$LU" top -n 1
if [ ! -e /sys/kernel/liveupdate/blackout ]; then
	expect "no blackout accounting" 1 \
		"lu-trace blackout: /sys/kernel/liveupdate/blackout: No such file or directory (this kernel has no live update blackout accounting" \
		"$LU" blackout
fi
expect "report of a file that is no recording" 1 \
	"lu-trace report: /etc/hostname: not a lu-trace recording" "$LU" report /etc/hostname
expect "report of a missing file" 1 "lu-trace report: $tmp/none: No such file or directory" \
	"$LU" report "$tmp/none"
expect "report without a file" 64 "no recording given" "$LU" report
expect "record without -o" 64 "no output file" "$LU" record
expect "unknown command" 1 "lu-trace: unknown command 'frobnicate'" "$LU" frobnicate
# The shared option parsers (util.c): status 64, the option and why.
expect "top -i 0" 64 "lu-trace top: invalid interval '0'" "$LU" top -i 0
expect "top -n 0" 64 "lu-trace top: invalid count '0' (1 to 1000000)" "$LU" top -n 0
expect "top -s ''" 64 "lu-trace top: invalid session name ''" "$LU" top -s ""
expect "top -s of 64 characters" 64 "invalid session name" "$LU" top -s "$(printf 'x%.0s' {1..64})"
expect "record -d -1" 64 "lu-trace record: invalid duration '-1'" "$LU" record -o "$tmp/z" -d -1
expect "record -b 3" 64 "invalid buffer size '3' (a power of 2)" "$LU" record -o "$tmp/z" -b 3
expect "record -m past the limit" 64 "invalid session count '2000000' (1 to 1048576)" \
	"$LU" record -o "$tmp/z" -m 2000000
expect "record -m +5" 64 "invalid session count '+5'" "$LU" record -o "$tmp/z" -m +5
expect "export -i out of range" 64 "invalid interval '0.01' (0.1 to 86400 seconds)" \
	"$LU" export -t "$tmp/m.prom" -i 0.01
expect "export --max-sessions 0" 64 "invalid session count '0' (1 to 100000)" \
	"$LU" export --once --max-sessions 0

if [ -n "$REC" ] && [ -r "$REC" ]; then
	size=$(stat -c %s "$REC")
	head -c $((size - 100)) "$REC" > "$tmp/trunc.lut"
	expect "truncated recording" 1 "truncated or corrupt record" "$LU" report "$tmp/trunc.lut"
	cp "$REC" "$tmp/ver.lut"
	printf '\x63' | dd of="$tmp/ver.lut" bs=1 seek=8 conv=notrunc status=none
	expect "recording of an unknown version" 1 "recording format version not supported" \
		"$LU" report "$tmp/ver.lut"
	expect "timeline to an unwritable path" 1 "lu-trace timeline: /nonexistent/t.json" \
		"$LU" timeline -o /nonexistent/t.json "$REC"
fi

# The man page: renders without warnings, has OPTIONS and EXAMPLES, and
# its OPTIONS section names every long option of every command.
LC_ALL=C MANWIDTH=80 man --warnings -l "$here/../lu-trace.8" > "$tmp/man.txt" 2> "$tmp/man.err"
[ $? = 0 ] && [ ! -s "$tmp/man.err" ] && grep -q '^OPTIONS' "$tmp/man.txt" &&
	grep -q '^EXAMPLES' "$tmp/man.txt"
tap_result $? "lu-trace.8 renders without warnings, with OPTIONS and EXAMPLES" \
	"$(head -c 300 "$tmp/man.err")"
sed -n '/^OPTIONS/,/^[A-Z]/p' "$tmp/man.txt" > "$tmp/man.opts"
missing=
for cmd in top record report timeline blackout kho export compat; do
	for opt in $("$LU" "$cmd" --help 2> /dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		grep -qF -- "$opt" "$tmp/man.opts" || missing+=" $cmd $opt"
	done
done
[ -z "$missing" ]
tap_result $? "lu-trace.8 OPTIONS documents every option of every command (missing:${missing:- none})"

tap_end
rc=$?
"$here/kho_test.sh" || rc=1
"$here/export_test.sh" || rc=1
"$here/compat_test.sh" "$LU" || rc=1
exit $rc
