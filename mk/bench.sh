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

# LUO: freeze+serialize (old kernel, reboot path) and deserialize (new
# kernel, first open) for 1, 100 and 10,000 sessions and 100 to 100,000
# files; per-item costs must stay flat as the counts grow.
"$SELFTESTS/vmtest.sh" -k "$KBUILD/arch/x86/boot/bzImage" -i "$BUILD/guest/initramfs.cpio" \
	-o "$BUILD/logs" -n bench-luo -t lu_luo_bench -c 4 -m 2G -T 900 ||
	die "the LUO benchmark run failed"
console=$BUILD/logs/bench-luo.console
tr -d '\r' < "$console" | awk -v json="$OUT/luo.json" '
/liveupdate: serialized [0-9]+ sessions/ {
	for (i = 1; i <= NF; i++) {
		if ($i == "serialized") s_sess[++ns] = $(i + 1)
		if ($i == "files") s_files[ns] = $(i - 1)
		if ($i == "us;") s_us[ns] = $(i - 1)
		if ($i == "metadata") s_bytes[ns] = $(i + 1)
	}
}
/liveupdate: retrieved live update data: [0-9]+ sessions/ {
	for (i = 1; i <= NF; i++) {
		if ($i == "data:") d_sess[++nd] = $(i + 1)
		if ($i == "files") d_files[nd] = $(i - 1)
		if ($i == "us") d_us[nd] = $(i - 1)
	}
}
END {
	printf "  LUO, one configuration per kexec in one guest run\n"
	printf "  %8s %8s %12s %9s %12s %9s %11s %7s\n", "sessions", "files", "serialize us",
	       "ns/item", "deserial. us", "ns/item", "metadata B", "B/file"
	printf "[" > json
	for (k = 1; k <= ns; k++) {
		items = s_sess[k] + s_files[k]
		if (d_sess[k] != s_sess[k] || d_files[k] != s_files[k]) bad = 1
		printf "  %8d %8d %12d %9d %12d %9d %11d %7d\n", s_sess[k], s_files[k], s_us[k],
		       s_us[k] * 1000 / items, d_us[k], d_us[k] * 1000 / items, s_bytes[k],
		       s_bytes[k] / (s_files[k] ? s_files[k] : 1)
		printf "%s{\"sessions\":%d,\"files\":%d,\"serialize_us\":%d,\"deserialize_us\":%d,\"metadata_bytes\":%d}", \
		       (k > 1 ? "," : ""), s_sess[k], s_files[k], s_us[k], d_us[k], s_bytes[k] > json
	}
	printf "]\n" > json
	if (!ns || ns != nd || bad) { print "  error: serialize and deserialize lines do not pair up" > "/dev/stderr"; exit 1 }
}' || die "no LUO benchmark results in $console"
echo "  JSON: $OUT/luo.json"
