#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: Debian's memcached, unmodified, keeps its cache across a kernel
# live update under lu-keep: a client fills it with 100,000 keys and keeps
# reading while lu-keep stops it and preserves its memory (lu-trace top
# watching, lu-trace record recording), the kernel kexecs into itself,
# lu-keep brings memcached back and the client finds every key; the
# client-seen downtime next to the kernel's blackout phases, then a cold
# restart of memcached for comparison.
#
# mk/demo.sh kv (make demo-kv): the first demo, a small key-value service
# that keeps its state in memfds across three LUO sessions, lu-trace
# watching it preserve, both sides recorded, the data verified.
#
# The recording and a Perfetto timeline are copied to build/demo/.

. "$(dirname "$0")/lib.sh"

SELFTESTS=$LU_ROOT/tools/testing/selftests/liveupdate
case ${1:-memcached} in
memcached) test=lu_keep_demo what="memcached under lu-keep" ;;
kv) test=lu_demo what="a live update" ;;
*) die "unknown demo '$1' (memcached or kv)" ;;
esac
out=$BUILD/demo
mkdir -p "$BUILD/logs" "$out"
rm -f "$out"/*
img=$out/disk.img
mke2fs -q -t ext2 -F "$img" 64M || die "mke2fs failed (e2fsprogs)"
echo
echo "Booting Linux $(kmake -s kernelversion 2>/dev/null) in QEMU: $what, a live update into the same bzImage..."
"$SELFTESTS/vmtest.sh" -k "$KBUILD/arch/x86/boot/bzImage" -i "$BUILD/guest/initramfs.cpio" \
	-o "$BUILD/logs" -n demo -t "$test" -c 1 -F "$img" > "$BUILD/logs/demo.out" && rc=0 || rc=$?
# What the guest printed for people: its "# " lines, without the TAP noise.
tr -d '\r' < "$BUILD/logs/demo.results" |
	sed -n 's/^    # \{0,1\}//p' |
	grep -v -e '^Totals:' -e '^Planned tests' -e '^\[account\]'
echo
debugfs -R "dump /demo.lut $out/demo.lut" "$img" > /dev/null 2>&1
debugfs -R "dump /demo-timeline.json $out/demo-timeline.json" "$img" > /dev/null 2>&1
rm -f "$img"
grep -E '^  (PASS|FAIL|RESULT)' "$BUILD/logs/demo.out"
if [ -s "$out/demo-timeline.json" ]; then
	echo
	echo "Recording: $out/demo.lut (build/lu-trace/lu-trace report $out/demo.lut)"
	echo "Timeline:  $out/demo-timeline.json (open it in https://ui.perfetto.dev)"
fi
echo "Console:   $BUILD/logs/demo.console"
if [ "$rc" = 0 ]; then echo "Demo PASSED."; else echo "Demo FAILED (see above)."; fi
exit "$rc"
