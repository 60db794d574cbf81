#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# lu-trace through a live update: run the guest test lu_trace_tool with an
# ext2 disk that keeps the recordings across the kexec, then check what it
# wrote there on the host (check_recording.py).
#
#   vm_test.sh WORKDIR VMTEST_COMMAND...
#
# Exit status: 0 when the guest test and every host check passed.

set -uo pipefail

[ $# -ge 2 ] || { echo "usage: $0 WORKDIR VMTEST_COMMAND..." >&2; exit 2; }
work=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
img=$work/lu-trace.img
out=$work/lu-trace.out

mkdir -p "$work" || exit 2
rm -rf "$img" "$out"
mke2fs -q -t ext2 -F "$img" 64M || { echo "vm_test: mke2fs failed" >&2; exit 2; }
"$@" -n lu_trace_tool -t lu_trace_tool -c 1 -F "$img" || exit 1
mkdir -p "$out"
debugfs -R "rdump / $out" "$img" > /dev/null 2>&1 ||
	{ echo "vm_test: cannot read the guest's disk image" >&2; exit 1; }
echo "  HOST      checking lu-trace's outputs in $out"
python3 "$here/check_recording.py" "$out"
