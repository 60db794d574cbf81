#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# lu-trace's errors, on this host: its kernel has no liveupdate events (a
# kernel without the feature), an unprivileged user, files that are not
# recordings or are damaged; then the kho decoder's and the exporter's tests.
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
n=0 failed=0

# expect NAME STATUS MESSAGE COMMAND...: exit status and a line of stderr.
expect() {
	local name=$1 status=$2 msg=$3 rc
	shift 3
	"$@" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	n=$((n + 1))
	if [ "$rc" = "$status" ] && grep -qF -- "$msg" "$tmp/err"; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name (exit $rc, want $status; stderr: $(head -c 300 "$tmp/err"))"
		failed=$((failed + 1))
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

echo "# lu-trace host checks: $n, failed $failed"
"$here/kho_test.sh" || failed=$((failed + 1))
"$here/export_test.sh" || failed=$((failed + 1))
[ "$failed" = 0 ]
