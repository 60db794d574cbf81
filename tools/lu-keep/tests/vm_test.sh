#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# memcached under lu-keep through a kexec with lu-trace recording both
# sides: the guest test lu_keep_memcached with an ext2 disk that keeps the
# recording, then check_report.py on the host.
#
#   vm_test.sh WORKDIR VMTEST_COMMAND...

set -uo pipefail

[ $# -ge 2 ] || { echo "usage: $0 WORKDIR VMTEST_COMMAND..." >&2; exit 2; }
work=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
img=$work/lu-keep.img
out=$work/lu-keep.out

mkdir -p "$work" || exit 2
rm -rf "$img" "$out"
mke2fs -q -t ext2 -F "$img" 64M || { echo "vm_test: mke2fs failed" >&2; exit 2; }
"$@" -n lu-keep-memcached -t lu_keep_memcached -c 1 -F "$img" || exit 1
mkdir -p "$out"
debugfs -R "rdump / $out" "$img" > /dev/null 2>&1 ||
	{ echo "vm_test: cannot read the guest's disk image" >&2; exit 1; }
echo "  HOST      checking lu-trace's report of lu-keep's session in $out"
python3 "$here/check_report.py" "$out"
