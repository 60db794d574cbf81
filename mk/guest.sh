#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the guest programs (against the kernel's installed uapi
# headers) and assemble the initramfs: $GUEST/initramfs.cpio ($BUILD/guest,
# or $BUILD/guest-debug for the debug kernel, whose bzImage it embeds).

. "$(dirname "$0")/lib.sh"

SELFTESTS=$LU_ROOT/tools/testing/selftests/liveupdate
start=$(now_ns)
mkdir -p "$GUEST"
[ -f "$BUILD/headers/include/linux/kexec.h" ] || die "no installed kernel headers (make kernel)"

# gen_init_cpio from the kernel tree: builds a cpio without root.
if [ "$SRC/usr/gen_init_cpio.c" -nt "$GUEST/gen_init_cpio" ]; then
	gcc -O2 -o "$GUEST/gen_init_cpio" "$SRC/usr/gen_init_cpio.c"
fi
# The selftests build where mk/kernel-tree.sh put them, beside the kernel's lib.mk.
make -s -C "$SRC/tools/testing/selftests/liveupdate" OUTPUT="$GUEST/bin" \
	KHDR_INCLUDES="-isystem $BUILD/headers/include" ||
	die "building the guest programs failed"
# lu-trace, its BPF programs built against this kernel's BTF.
make -s -C "$LU_ROOT/tools/lu-trace" OUTPUT="$BUILD/lu-trace$VSFX" VMLINUX_BTF="$KBUILD/vmlinux" ||
	die "building lu-trace failed"
# lu-keep (static), and Debian's memcached with the libraries its loader resolves.
make -s -C "$LU_ROOT/tools/lu-keep" OUTPUT="$BUILD/lu-keep" STATIC=1 EXTRA_LDFLAGS=-s ||
	die "building lu-keep failed"
keep_files=$("$LU_ROOT/tools/lu-keep/guest-files.sh" "$GUEST/etc") || die "memcached for the guest"
mapfile -t keep_files <<< "$keep_files"
"$SELFTESTS/mkinitramfs.sh" -k "$KBUILD/arch/x86/boot/bzImage" -b "$GUEST/bin" \
	-g "$GUEST/gen_init_cpio" -o "$GUEST/initramfs.cpio" \
	-f "/lu/bin/lu-trace=$BUILD/lu-trace$VSFX/lu-trace" \
	-f "/lu/bin/lu-keep=$BUILD/lu-keep/lu-keep" "${keep_files[@]}"
msg INITRD "$GUEST/initramfs.cpio ($(stat -c %s "$GUEST/initramfs.cpio") bytes, $(ls "$GUEST/bin" | wc -l) programs)"
phase_time "initramfs$VSFX" "$start"
