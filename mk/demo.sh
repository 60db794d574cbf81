#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: boot the guest, kexec once, and tell what happened.

. "$(dirname "$0")/lib.sh"

SELFTESTS=$LU_ROOT/tools/testing/selftests/liveupdate
log=$BUILD/logs/demo.out
mkdir -p "$BUILD/logs"
echo
echo "Booting Linux $(kmake -s kernelversion 2>/dev/null) in QEMU, then kexec into the same bzImage..."
"$SELFTESTS/vmtest.sh" -k "$KBUILD/arch/x86/boot/bzImage" -i "$BUILD/guest/initramfs.cpio" \
	-o "$BUILD/logs" -n demo -t lu_kexec_boot_id -c 1 | tee "$log"
rc=${PIPESTATUS[0]}
console=$BUILD/logs/demo.results
echo
echo "What happened:"
grep -a '\[account\]' "$console" | tr -d '\r' | sed 's/^ *# \[account\] /  - /'
awk '/^  +stage [0-9]+:/ { sub(/^ +/, "  - "); print }' "$log"
printf '  - the kexec: "%s"; the new kernel took %s of guest time to reach userspace\n' \
	"$(grep -a -m1 '^LU-KEXEC' "$console" | tr -d '\r')" \
	"$(grep -a 'LU-STAGE-BEGIN stage=2' "$console" | tr -d '\r' | sed 's/.*uptime_ms=\([0-9]*\).*/\1 ms/')"
echo "  Full console log: $BUILD/logs/demo.console"
if [ "$rc" = 0 ]; then echo "Demo PASSED."; else echo "Demo FAILED (see above)."; fi
exit "$rc"
