#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Format versions between kernels that read different ones, for real:
# kernel A (this build: memfd v3 and v4, v4 by default) and kernel B
# (LU_VARIANT=v3only, configs/v3only/: memfd v3 only), built side by side.
#
#  1. Each image's catalog (liveupdate-catalog.json, written by the build
#     from vmlinux's notes) is what `lu-trace compat -c` reads from the
#     bzImage itself.
#  2. `lu-trace compat` gives the verdict on every pair: A->A uses memfd
#     v4, A->B and B->A v3, all compatible; and a damaged bzImage is
#     refused (exit 65).
#  3. One guest runs lu_formats through A, A, A, B, A (lu.kernels=): v4,
#     v3 forced, v3 negotiated for B, B's v3 read by A, kexecs refused with
#     EPROTONOSUPPORT and nothing lost, an unknown version rejected alone.

. "$(dirname "$0")/lib.sh"
set +e

SELFTESTS=$LU_ROOT/tools/testing/selftests/liveupdate
B=$BUILD/kernel-v3only
A_IMG=$KBUILD/arch/x86/boot/bzImage
B_IMG=$B/arch/x86/boot/bzImage
LUTRACE=$BUILD/lu-trace/lu-trace
OUT=$BUILD/formats
mkdir -p "$OUT"
rc=0
fail() { echo "  FAIL: $*"; rc=1; }

LU_VARIANT=v3only "$LU_ROOT/mk/kconfig.sh" &&
	LU_VARIANT=v3only LU_NO_HEADERS=1 "$LU_ROOT/mk/kbuild.sh" ||
	die "building kernel B (v3only) failed"

# 1. The catalog the build wrote is the one in the bzImage.
for img in "$A_IMG" "$B_IMG"; do
	json=$(dirname "$img")/liveupdate-catalog.json
	"$LUTRACE" compat -j -c "$img" > "$OUT/catalog.tool.json" ||
		{ fail "lu-trace compat -c $img"; continue; }
	if python3 - "$json" "$OUT/catalog.tool.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
norm = lambda c: sorted((f["name"], f["read"], f["write"], f["default"], f["optional"], f["file"])
                        for f in c["formats"])
sys.exit(0 if norm(a) == norm(b) and len(a["formats"]) >= 6 else 1)
PY
	then
		msg FORMATS "$(basename "$(dirname "$(dirname "$(dirname "$(dirname "$img")")")")"): the build's catalog is the bzImage's ($(grep -o '"name"' "$json" | wc -l) formats)"
	else
		fail "$json differs from what lu-trace reads in $img"
	fi
done

# 2. Verdicts on every pair.
verdict() {	# FROM TO WANT_RC WANT_MEMFD_VERSION
	local out r
	out=$("$LUTRACE" compat "$1" "$2" 2>&1)
	r=$?
	if [ $r = "$3" ] && grep -qE "^memfd +.* $4\$" <<< "$out"; then
		msg FORMATS "compat $(basename "$(dirname "$(dirname "$(dirname "$(dirname "$1")")")")") -> $(basename "$(dirname "$(dirname "$(dirname "$(dirname "$2")")")")"): exit $r, memfd v$4"
	else
		fail "compat $1 $2: exit $r (want $3, memfd $4):"; sed 's/^/    /' <<< "$out"
	fi
}
verdict "$A_IMG" "$A_IMG" 0 4
verdict "$A_IMG" "$B_IMG" 0 3
verdict "$B_IMG" "$A_IMG" 0 3
verdict "$B_IMG" "$B_IMG" 0 3
# A damaged image: its header's magic gone.
cp "$A_IMG" "$OUT/damaged-bzImage"
printf 'XXXX' | dd of="$OUT/damaged-bzImage" bs=1 seek=$((0x202)) conv=notrunc status=none
"$LUTRACE" compat "$OUT/damaged-bzImage" "$A_IMG" > "$OUT/damaged.out" 2>&1
r=$?
[ $r = 65 ] && msg FORMATS "a damaged bzImage: exit 65 ($(head -n 1 "$OUT/damaged.out"))" ||
	fail "damaged bzImage: exit $r, want 65: $(cat "$OUT/damaged.out")"

# 3. The kexecs: A boots, B is /kernel-b.
"$SELFTESTS/mkinitramfs.sh" -k "$A_IMG" -b "$GUEST/bin" -g "$GUEST/gen_init_cpio" \
	-o "$OUT/initramfs.cpio" -f "/kernel-a=$A_IMG" -f "/kernel-b=$B_IMG" \
	-f "/lu/bin/lu-trace=$LUTRACE" > /dev/null || die "the formats initramfs"
"$SELFTESTS/vmtest.sh" -k "$A_IMG" -i "$OUT/initramfs.cpio" -o "$OUT" -n lu-formats \
	-t lu_formats -c 4 -a "lu.kernels=a,a,a,b,a" || rc=1
exit $rc
