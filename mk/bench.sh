#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: benchmarks, separate from the tests. Every comparison is
# measured side by side in one guest run. Results: a table on the terminal
# and JSON under $BUILD/bench/. BENCH picks the sections, in order (all by
# default): make bench BENCH=memfd.

. "$(dirname "$0")/lib.sh"

SELFTESTS=$LU_ROOT/tools/testing/selftests/liveupdate
OUT=$BUILD/bench
BENCH=${BENCH:-kho luo memfd lu-trace tracepoints}
mkdir -p "$OUT"

# KHO: 1 GiB as 4 KiB and as 2 MiB folios, next to a bare kexec; the
# next boot's reservation in one batch and block by block, contiguous and
# scattered (lu_kho_bench.c has the stages).
bench_kho()
{
"$SELFTESTS/vmtest.sh" -k "$KBUILD/arch/x86/boot/bzImage" -i "$BUILD/guest/initramfs.cpio" \
	-o "$BUILD/logs" -n bench-kho -t lu_kho_bench -c 7 -m 4G -T 2400 \
	-a "test_kho.mb=1024 test_kho.order=0" || die "the KHO benchmark run failed"
res=$BUILD/logs/bench-kho.results
grep -a '^    BENCH-TABLE ' "$res" | sed 's/^    BENCH-TABLE /  /'
grep -a '^    BENCH-JSON ' "$res" | sed 's/^    BENCH-JSON //' > "$OUT/kho.json"
[ -s "$OUT/kho.json" ] || die "no benchmark results in $res"
echo "  JSON: $OUT/kho.json"
}

# LUO: freeze+serialize (old kernel, reboot path) and deserialize (new
# kernel, first open) for 1, 100 and 10,000 sessions and 100 to 100,000
# files; per-item costs must stay flat as the counts grow.
bench_luo()
{
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
}

# memfd: preserve, freeze, the next kernel's extra boot work and retrieve,
# next to writing the same bytes to a virtio disk and reading them back;
# then each kexec's blackout (the kernel's record) over a bare kexec's,
# the run's last.
bench_memfd()
{
"$SELFTESTS/vmtest.sh" -k "$KBUILD/arch/x86/boot/bzImage" -i "$BUILD/guest/initramfs.cpio" \
	-o "$BUILD/logs" -n bench-memfd -t lu_memfd_bench -c 16 -m 4G -D 1200M -T 3600 \
	-a "test_kho.mb=0" ||
	die "the memfd benchmark run failed"
{ tr -d '\r' < "$BUILD/logs/bench-memfd.console" | grep -a 'liveupdate: serialized';
  grep -a '^    MEMFD-BENCH ' "$BUILD/logs/bench-memfd.results"; } |
	awk -v json="$OUT/memfd.json" -v json3="$OUT/memfd-versions.json" '
/liveupdate: serialized/ { for (i = 1; i <= NF; i++) if ($i == "us;") freeze[++nf] = $(i - 1); next }
{
	for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	k = ("bare" in v) ? 0 : v["cfg"]; if (k > n) n = k
	if ("blackout_ns" in v) { bo[k] = v["blackout_ns"]; bo_fr[k] = v["bo_freeze"]
				  bo_se[k] = v["bo_serialize"]; bo_kho[k] = v["bo_kho"]
				  bo_us[k] = v["bo_userspace"]; bo_re[k] = v["bo_restore"] }
	if ("name" in v) { name[k] = v["name"]; bytes[k] = v["bytes"]; pre[k] = v["preserve_us"]
			   dw[k] = v["disk_write_us"]; meta[k] = v["metadata_bytes"]
			   wver[k] = v["write_version"] }
	if ("retrieve_us" in v) { ret[k] = v["retrieve_us"]; dr[k] = v["disk_read_us"]
				  boot[k] = v["boot_work_us"]; ok[k] = v["ok"]
				  iver[k] = v["incoming_version"]; hmeta[k] = v["handover_metadata_bytes"] }
	delete v
}
END {
	printf "  memfd preservation vs a virtio disk, one guest run (times in ms)\n"
	printf "  %-17s %8s %8s %6s %8s %9s %8s %8s %9s %8s %10s\n", "", "preserve", "freeze",
	       "boot", "retrieve", "LUO total", "disk wr", "disk rd", "disk tot", "disk/LUO", "metadata B"
	bare = bo[0]
	printf "[" > json
	for (k = 1; k <= n; k++) {
		added = bo_fr[k] - bo_fr[0] + bo_se[k] - bo_se[0] + bo_kho[k] - bo_kho[0] + bo_re[k]
		luo = pre[k] + freeze[k] + boot[k] + ret[k]; disk = dw[k] + dr[k]
		if (!ok[k] || !(k in freeze) || !(k in bo) || iver[k] != wver[k]) bad = 1
		printf "  %-17s %8.1f %8.1f %6.1f %8.1f %9.1f %8.1f %8.1f %9.1f %8.1f %10d\n", name[k],
		       pre[k] / 1000, freeze[k] / 1000, boot[k] / 1000, ret[k] / 1000, luo / 1000,
		       dw[k] / 1000, dr[k] / 1000, disk / 1000, luo ? disk / luo : 0, meta[k]
		printf "%s{\"config\":\"%s\",\"bytes\":%.0f,\"preserve_us\":%d,\"freeze_us\":%d,\"boot_work_us\":%d,\"retrieve_us\":%d,\"metadata_bytes\":%d,\"memfd_version\":%d,\"handover_metadata_bytes\":%d,\"disk_write_us\":%d,\"disk_read_us\":%d,\"disk_over_luo\":%.2f,\"blackout_ns\":%.0f,\"blackout_userspace_ns\":%.0f,\"bare_blackout_ns\":%.0f,\"blackout_over_bare\":%.3f,\"blackout_over_bare_without_userspace\":%.3f,\"blackout_added_ns\":%.0f,\"blackout_over_bare_by_added\":%.3f}", \
		       (k > 1 ? "," : ""), name[k], bytes[k], pre[k], freeze[k], boot[k], ret[k], meta[k], \
		       iver[k], hmeta[k], dw[k], dr[k], (luo ? disk / luo : 0), bo[k], bo_us[k], bare, \
		       (bare ? bo[k] / bare : 0), (bare ? (bo[k] - bo_us[k]) / bare : 0), added, \
		       (bare ? (bare + added) / bare : 0) > json
	}
	printf "]\n" > json
	if (!n || bad || !bare) { print "  error: incomplete or unverified memfd benchmark results" > "/dev/stderr"; exit 1 }
	# added: what live update adds to a bare kexec (freeze, serialize and
	# KHO beyond those of the bare kexec, and restore), which the jump and
	# boot phases, the noisy ones under TCG, do not blur.
	printf "\n  blackout, the kernel record (reboot() to finish), over a bare kexec in the same run (ms)\n"
	printf "  %-17s %8s %7s %7s %9s %8s %8s %8s %9s %8s\n", "", "total", "freeze", "kho",
	       "userspace", "restore", "added", "vs bare", "w/o user", "by added"
	name[0] = "bare kexec"
	for (k = 0; k <= n; k++) {
		added = bo_fr[k] - bo_fr[0] + bo_se[k] - bo_se[0] + bo_kho[k] - bo_kho[0] + bo_re[k]
		printf "  %-17s %8.1f %7.1f %7.1f %9.1f %8.1f %8.1f %8.3f %9.3f %8.3f\n", name[k],
		       bo[k] / 1e6, bo_fr[k] / 1e6, bo_kho[k] / 1e6, bo_us[k] / 1e6, bo_re[k] / 1e6,
		       added / 1e6, bo[k] / bare, (bo[k] - bo_us[k]) / bare, (bare + added) / bare
	}
	printf "  (vs bare: total over the bare total; w/o user: without the time init took to the\n"
	printf "  first retrieve; by added: bare plus the added phases over bare. Goal for 1GiB-4KiB: <= 1.10)\n"
	# memfd-v3 (a record a folio) next to memfd-v4 (a record a run) on
	# the same configuration in the same run: the "X-v3" runs against the
	# "X" runs, per GiB, each the mean of its runs (min and max too for
	# the restore, the noisy one).
	for (k = 1; k <= n; k++) {
		g = bytes[k] / 2^30; c = name[k]
		if (!g || iver[k] != (c ~ /-v3$/ ? 3 : 4)) bad3 = 1
		cn[c]++; cm[c] += hmeta[k] / g; cb[c] += boot[k] / 1000 / g; r = ret[k] / 1000 / g
		cr[c] += r; if (!(c in rmin) || r < rmin[c]) rmin[c] = r; if (r > rmax[c]) rmax[c] = r
	}
	printf "\n  memfd-v3 vs memfd-v4, the same memfd, alternating in the same run (per GiB of data, means)\n"
	printf "  %-10s %5s %12s %12s %6s %24s %24s %6s %8s %8s %6s\n", "", "runs", "v3 handover", "v4 handover",
	       "v3/v4", "v3 restore (min-max)", "v4 restore (min-max)", "v3/v4", "v3 boot", "v4 boot", "v3/v4"
	printf "[" > json3
	for (c in cn) {
		if (c !~ /-v3$/) continue
		b = substr(c, 1, length(c) - 3)
		if (!(b in cn)) { bad3 = 1; continue }
		m3 = cm[c] / cn[c]; m4 = cm[b] / cn[b]; r3 = cr[c] / cn[c]; r4 = cr[b] / cn[b]
		b3 = cb[c] / cn[c]; b4 = cb[b] / cn[b]
		printf "  %-10s %2d+%-2d %10.0f B %10.0f B %6.2f %7.1f (%6.1f-%6.1f) ms %7.1f (%6.1f-%6.1f) ms %6.2f %6.1fms %6.1fms %6.2f\n",
		       b, cn[c], cn[b], m3, m4, (m4 ? m3 / m4 : 0), r3, rmin[c], rmax[c], r4, rmin[b], rmax[b],
		       (r4 ? r3 / r4 : 0), b3, b4, (b4 ? b3 / b4 : 0)
		printf "%s{\"config\":\"%s\",\"v3_runs\":%d,\"v4_runs\":%d,\"v3_handover_metadata_bytes_per_gib\":%.0f,\"v4_handover_metadata_bytes_per_gib\":%.0f,\"v3_restore_ms_per_gib\":%.2f,\"v4_restore_ms_per_gib\":%.2f,\"v3_boot_work_ms_per_gib\":%.2f,\"v4_boot_work_ms_per_gib\":%.2f}", \
		       (np++ ? "," : ""), b, cn[c], cn[b], m3, m4, r3, r4, b3, b4 > json3
	}
	printf "]\n" > json3
	printf "  (handover: the KHO pages the next kernel received beyond the data pages, x 4096,\n"
	printf "  LUO'\''s own state included; restore: the retrieve; boot: KHO'\''s extra boot work)\n"
	if (bad3) { print "  error: a -v3 configuration without its v4 pair, or a version that did not come in" > "/dev/stderr"; exit 1 }
}' || die "no memfd benchmark results"
echo "  JSON: $OUT/memfd.json, $OUT/memfd-versions.json"
}

# lu-trace: preserve, freeze and retrieve of 1 GiB (4 KiB folios) with
# `lu-trace record` attached (stages 2-3, 6-7, 10-11) and without (the
# others), side by side in one guest run; pairs of stages, because retrieves
# in even stages are slower than in odd ones with no tracing at all. Stage 1
# (the cold boot's first preserve, much slower than the rest) is a warm-up
# and is not counted. Each mode's min/median/max is printed; where the modes
# overlap and vary more than they differ, the line says so.
bench_lu_trace()
{
"$SELFTESTS/vmtest.sh" -k "$KBUILD/arch/x86/boot/bzImage" -i "$BUILD/guest/initramfs.cpio" \
	-o "$BUILD/logs" -n bench-lu-trace -t lu_trace_bench -c 11 -m 4G -T 2400 ||
	die "the lu-trace benchmark run failed"
grep -a '^    TRACE-BENCH ' "$BUILD/logs/bench-lu-trace.results" | tr -d '\r' |
	awk -v json="$OUT/lu-trace.json" '
{
	for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	if (v["stage"] == 1)
		next
	m = v["traced"]; o = v["op"]
	sum[m, o] += v["ns"]; x[m, o, ++cnt[m, o]] = v["ns"] + 0
}
# min, median and max of the samples of mode m, op o (sorted in place)
function spread(m, o,   i, j, t, n) {
	n = cnt[m, o]
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && x[m, o, j - 1] > x[m, o, j]; j--) {
			t = x[m, o, j]; x[m, o, j] = x[m, o, j - 1]; x[m, o, j - 1] = t
		}
	lo = x[m, o, 1]; hi = x[m, o, n]
	med = n % 2 ? x[m, o, (n + 1) / 2] : (x[m, o, n / 2] + x[m, o, n / 2 + 1]) / 2
}
END {
	split("preserve freeze retrieve", ops, " ")
	printf "  lu-trace overhead, 1 GiB memfd (4 KiB folios), min/median/max of each mode (ms)\n"
	printf "  %-9s %26s %26s %8s %8s %8s %s\n", "", "untraced", "traced", "ratio", "spread",
	       "samples", ""
	printf "{" > json
	for (i = 1; i <= 3; i++) {
		o = ops[i]
		if (!cnt[0, o] || !cnt[1, o]) { bad = 1; continue }
		u = sum[0, o] / cnt[0, o]; t = sum[1, o] / cnt[1, o]; tu += u; tt += t
		spread(0, o); ulo = lo; umed = med; uhi = hi
		spread(1, o); tlo = lo; tmed = med; thi = hi
		# the ratio of medians; the spread: the wider mode, max - min over its median
		r = tmed / umed; sp = (uhi - ulo) / umed
		if ((thi - tlo) / tmed > sp) sp = (thi - tlo) / tmed
		# the effect is clear only when the two modes do not overlap
		note = tlo <= uhi && ulo <= thi && sp > (r > 1 ? r - 1 : 1 - r) ? "spread > effect" : ""
		if (note != "") noisy++
		printf "  %-9s %8.1f/%8.1f/%8.1f %8.1f/%8.1f/%8.1f %8.3f %8.3f %5d+%d %s\n", o,
		       ulo / 1e6, umed / 1e6, uhi / 1e6, tlo / 1e6, tmed / 1e6, thi / 1e6, r, sp,
		       cnt[0, o], cnt[1, o], note
		printf "\"%s\":{\"untraced_ns\":%.0f,\"traced_ns\":%.0f,\"untraced_min_ns\":%.0f,\"untraced_median_ns\":%.0f,\"untraced_max_ns\":%.0f,\"traced_min_ns\":%.0f,\"traced_median_ns\":%.0f,\"traced_max_ns\":%.0f,\"samples\":%d,\"ratio\":%.4f,\"median_ratio\":%.4f,\"spread\":%.4f,\"spread_exceeds_effect\":%s},", \
		       o, u, t, ulo, umed, uhi, tlo, tmed, thi, cnt[0, o] + cnt[1, o], t / u, r, sp, \
		       (note != "" ? "true" : "false") > json
	}
	if (bad || !tu) { print "  error: incomplete lu-trace benchmark results" > "/dev/stderr"; exit 1 }
	printf "  %-9s %26.1f %26.1f %8.3f  (means; goal <= 1.030)\n", "total", tu / 1e6, tt / 1e6, tt / tu
	if (noisy)
		printf "  %d of 3 operations: the modes overlap and vary more than they differ, so the ratio is within the noise\n", noisy
	printf "\"total\":{\"untraced_ns\":%.0f,\"traced_ns\":%.0f,\"ratio\":%.4f}}\n", tu, tt, tt / tu > json
}' || die "no lu-trace benchmark results"
echo "  JSON: $OUT/lu-trace.json"
}

# Tracepoints built in but disabled (the kernel above) versus built out
# (CONFIG_LIVEUPDATE_TRACE=n, a second kernel in build/kernel-notrace): the
# same untraced 1 GiB cycle on each, alternating A B A B in this run.
bench_tracepoints()
{
notrace=$BUILD/kernel-notrace
frags=$BUILD/configs-notrace
rm -rf "$frags" && mkdir -p "$frags" && cp "$LU_ROOT"/configs/*.config "$frags"/
echo '# CONFIG_LIVEUPDATE_TRACE is not set' > "$frags/99-notrace.config"
msg BENCH "building the kernel with the liveupdate events built out ($notrace)"
LU_KBUILD=$notrace CONFIGS_DIR=$frags "$LU_ROOT/mk/kconfig.sh" || die "notrace config failed"
LU_KBUILD=$notrace "$LU_ROOT/mk/kbuild.sh" || die "notrace kernel build failed"
"$LU_ROOT/mk/kbuild.sh" > /dev/null || die "restoring the headers failed"
: > "$BUILD/logs/bench-builtout.lines"
for round in 1 2; do
	for k in builtin builtout; do
		img=$KBUILD/arch/x86/boot/bzImage
		[ $k = builtout ] && img=$notrace/arch/x86/boot/bzImage
		"$SELFTESTS/vmtest.sh" -k "$img" -i "$BUILD/guest/initramfs.cpio" \
			-o "$BUILD/logs" -n "bench-$k-$round" -t lu_trace_bench -c 4 -m 4G -T 1200 \
			-a "lu.bench_trace=0" > /dev/null || die "the $k benchmark run failed"
		grep -a '^    TRACE-BENCH ' "$BUILD/logs/bench-$k-$round.results" | tr -d '\r' |
			sed "s/^/$k /" >> "$BUILD/logs/bench-builtout.lines"
	done
done
awk -v json="$OUT/tracepoints.json" '
{
	for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	if (v["stage"] == 1)
		next	# the warm-up
	sum[$1, v["op"]] += v["ns"]; cnt[$1, v["op"]]++
}
END {
	split("preserve freeze retrieve", ops, " ")
	printf "  liveupdate tracepoints disabled vs built out, 1 GiB memfd, mean (ms)\n"
	printf "  %-9s %10s %10s %8s\n", "", "built out", "disabled", "ratio"
	printf "{" > json
	for (i = 1; i <= 3; i++) {
		o = ops[i]
		if (!cnt["builtin", o] || !cnt["builtout", o]) { bad = 1; continue }
		b = sum["builtout", o] / cnt["builtout", o]; d = sum["builtin", o] / cnt["builtin", o]
		tb += b; td += d
		printf "  %-9s %10.1f %10.1f %8.3f\n", o, b / 1e6, d / 1e6, d / b
		printf "\"%s\":{\"builtout_ns\":%.0f,\"disabled_ns\":%.0f,\"ratio\":%.4f},", o, b, d, d / b > json
	}
	if (bad || !tb) { print "  error: incomplete tracepoint benchmark results" > "/dev/stderr"; exit 1 }
	printf "  %-9s %10.1f %10.1f %8.3f  (goal <= 1.005)\n", "total", tb / 1e6, td / 1e6, td / tb
	printf "\"total\":{\"builtout_ns\":%.0f,\"disabled_ns\":%.0f,\"ratio\":%.4f}}\n", tb, td, td / tb > json
}' "$BUILD/logs/bench-builtout.lines" || die "no tracepoint benchmark results"
echo "  JSON: $OUT/tracepoints.json"
}

for section in $BENCH; do
	case $section in
	kho|luo|memfd|lu-trace|tracepoints) "bench_${section//-/_}" ;;
	*) die "BENCH: unknown section '$section' (kho luo memfd lu-trace tracepoints)" ;;
	esac
done
