#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bigmem: KHO and LUO on large hosts. Guests of BIGMEM_SIZES (default
# 64G 128G 256G) boot with their RAM mapped unreserved (vmtest.sh -R, so the
# host needs only the RAM the guest touches, its memory map above all, and
# no disk), preserve memfds of every shape and
# carry them through a kexec. Scratch is sized from the memory map, so KHO
# must stay on at every size.

. "$(dirname "$0")/lib.sh"
set +e

SELFTESTS=$LU_ROOT/tools/testing/selftests/liveupdate
export LU_TIMINGS=$TIMINGS
failed=0
for size in ${BIGMEM_SIZES:-64G 128G 256G}; do
	"$SELFTESTS/vmtest.sh" -k "$KBUILD/arch/x86/boot/bzImage" -i "$BUILD/guest/initramfs.cpio" \
		-o "$BUILD/logs" -n "large-host-$size" -t lu_memfd_shapes -c 1 -m "$size" \
		-R -T 2400 -K "$SELFTESTS/kunit.suites" || failed=$((failed + 1))
	grep -a "KHO: scratch area" "$BUILD/logs/large-host-$size.console" | head -n 2 | sed 's/^/  /'
done
[ $failed = 0 ]
