#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build bzImage out of tree, and install the uapi headers the selftests and
# tools compile against ($BUILD/headers/include).

. "$(dirname "$0")/lib.sh"

[ -f "$KBUILD/.config" ] || die "no $KBUILD/.config (run mk/kconfig.sh)"
start=$(now_ns)
msg BUILD "Linux $(kmake -s kernelversion 2>/dev/null) ($(cat "$BUILD/src/state/source" 2>/dev/null || echo '?'))"
log=$LOGS/kbuild.log
mkdir -p "$LOGS"
if ! kmake bzImage > "$log" 2>&1; then
	grep -E 'error|Error|warning:' "$log" | head -n 40 >&2 || true
	tail -n 20 "$log" >&2
	die "kernel build failed (full log: $log)"
fi
grep -E 'warning:' "$log" | sed 's/^/  /' | head -n 20 || true
# LU_NO_HEADERS=1: a second kernel of the same tree (mk/formats.sh) leaves
# the headers other steps may be compiling against alone.
[ -n "${LU_NO_HEADERS:-}" ] ||
	kmake -s headers_install INSTALL_HDR_PATH="$BUILD/headers" >> "$log" 2>&1 ||
	die "headers_install failed (log: $log)"
msg BUILD "$KBUILD/arch/x86/boot/bzImage ($(stat -c %s "$KBUILD/arch/x86/boot/bzImage") bytes)"
# The image's format catalog, machine-readable, next to it.
"$LU_ROOT/mk/catalog.sh" "$KBUILD/vmlinux" > "$KBUILD/arch/x86/boot/liveupdate-catalog.json" ||
	die "cannot write the format catalog"
msg CATALOG "$KBUILD/arch/x86/boot/liveupdate-catalog.json ($(grep -o '"name"' \
	"$KBUILD/arch/x86/boot/liveupdate-catalog.json" | wc -l) formats)"
phase_time "build$VSFX" "$start"
