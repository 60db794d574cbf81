#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: benchmarks, separate from the tests. Every comparison is
# measured side by side in one guest run. Results: a table on the terminal
# and JSON under $BUILD/bench/.

. "$(dirname "$0")/lib.sh"

SELFTESTS=$LU_ROOT/tools/testing/selftests/liveupdate
OUT=$BUILD/bench
mkdir -p "$OUT"

# KHO: 1 GiB as 4 KiB and as 2 MiB folios, next to a bare kexec.
"$SELFTESTS/vmtest.sh" -k "$KBUILD/arch/x86/boot/bzImage" -i "$BUILD/guest/initramfs.cpio" \
	-o "$BUILD/logs" -n bench-kho -t lu_kho_bench -c 3 -m 3G -T 900 \
	-a "kho_test.mb=1024 kho_test.order=0" || die "the KHO benchmark run failed"
res=$BUILD/logs/bench-kho.results
grep -a '^    BENCH-TABLE ' "$res" | sed 's/^    BENCH-TABLE /  /'
grep -a '^    BENCH-JSON ' "$res" | sed 's/^    BENCH-JSON //' > "$OUT/kho.json"
[ -s "$OUT/kho.json" ] || die "no benchmark results in $res"
echo "  JSON: $OUT/kho.json"
