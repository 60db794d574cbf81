#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Capture a real handover in the guest and split it into seeds for the fuzz
# targets (corpus/<target>/real-*).
#
#   capture.sh BUILD_DIR [CORPUS_DIR]
#
# Boots the guest (1 GiB, the machine fake_mem.c models) with an ext2 disk,
# runs lu_fuzz_capture through one kexec (the handover dumped by debugfs
# liveupdate/handover in the serialized window, KHO's debugfs on both sides,
# the blackout file, a lu-trace recording), reads the disk back and runs
# split.py. The VM run takes the shared VM lock (/tmp/lu-vm.lock).

set -uo pipefail

[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [CORPUS_DIR]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd) || exit 2
corpus=${2:-$here/corpus}
root=$(cd "$here/../../.." && pwd)
work=$build/fuzz-capture
img=$work/capture.img

mkdir -p "$work" || exit 2
rm -rf "$img" "$work/out"
mke2fs -q -t ext2 -F "$img" 64M || { echo "capture: mke2fs failed" >&2; exit 2; }
flock /tmp/lu-vm.lock "$root/tools/testing/selftests/liveupdate/vmtest.sh" \
	-k "$build/kernel/arch/x86/boot/bzImage" -i "$build/guest/initramfs.cpio" \
	-o "$build/logs" -n lu_fuzz_capture -t lu_fuzz_capture -c 1 -m 1G -F "$img" || exit 1
mkdir -p "$work/out"
debugfs -R "rdump / $work/out" "$img" > /dev/null 2>&1 ||
	{ echo "capture: cannot read the guest's disk image" >&2; exit 1; }
# The receiving kernel must lie where fake_mem.c says (fm_kernel_start).
grep -E 'Kernel (code|bss)' "$work/out/iomem-2.txt" | sed 's/^/  KERNEL    /'
rm -f "$corpus"/*/real-*
python3 "$here/split.py" "$work/out" "$corpus"
