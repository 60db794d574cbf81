#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# lu_workload runs in the test guest (tools/testing/selftests/liveupdate/
# lu_workload.c): seeded random memfd workloads through chained kexecs,
# every byte checked against a model.
#
#   mk/workload.sh one      one seed:  SEED=N CYCLES=N [WL_MIB=N] [WL_APPEND=params]
#   mk/workload.sh seeds    make check: WL_CHECK_SEEDS (default "1 2 3"), WL_CYCLES (2) each
#   mk/workload.sh stress   STRESS_SEEDS=N (seeds 1..N) | A-B | A,B,C; CYCLES (2); a table
#                           of seed, cycles, verdict; a replay line per failure; never
#                           stops at the first failure
#   mk/workload.sh soak     SOAK_CYCLES=N kexecs (100) of WL_MIB (256) MiB each, memory
#                           accounting checked every cycle and its trend at the end
#   mk/workload.sh leak     the soak checks against a deliberate leak (LEAK MiB a cycle,
#                           default 32, SOAK_CYCLES default 2, the known bugs steered
#                           around): must fail, and for the leak
#
# Every guest gets a fresh raw disk (-D) that lu_workload turns into swap.
# Other variables: WL_MEM (guest memory, 2G), WL_DISK (swap disk, 1G),
# WL_STAGE_S (timeout seconds per stage; default from WL_MIB), LU_VM_LOCK
# (a lock file: every QEMU run holds it, for machines where VMs must not
# run side by side; do not set it when the caller already holds it).
# Exit status: 0 when every run got its expected verdict.

. "$(dirname "$0")/lib.sh"
set +e

SELFTESTS=$LU_ROOT/tools/testing/selftests/liveupdate
BZIMAGE=$KBUILD/arch/x86/boot/bzImage
INITRD=$GUEST/initramfs.cpio
WL_MEM=${WL_MEM:-2G}
WL_DISK=${WL_DISK:-1G}

# run NAME SEED CYCLES MIB "extra params" [-x]: one guest; prints the
# verdict, the bugs found and the replay line; returns vmtest.sh's status.
run() {
	local name=$1 seed=$2 cycles=$3 mib=$4 extra=$5 expect=${6:-} stage_s timeout rc lock=()
	stage_s=${WL_STAGE_S:-$((90 + mib * 2 / 3))}
	timeout=$((180 + (cycles + 1) * stage_s))
	[ -n "${LU_VM_LOCK:-}" ] && lock=(flock "$LU_VM_LOCK")
	"${lock[@]}" "$SELFTESTS/vmtest.sh" -k "$BZIMAGE" -i "$INITRD" -o "$LOGS" -n "$name" \
		-t lu_workload -c "$cycles" -m "$WL_MEM" -D "$WL_DISK" -T "$timeout" \
		-a "lu.seed=$seed lu.wl.mib=$mib${extra:+ $extra}" $expect > "$LOGS/$name.verdict" 2>&1
	rc=$?
	grep -E '^  (VM|RESULT|PASS|FAIL) ' "$LOGS/$name.verdict" | grep -v '^  PASS ' | head -n 30
	# What the guest said about it: the bugs, the summary, the replay command.
	tr -d '\r' < "$LOGS/$name.results" 2>/dev/null |
		grep -E '# (WL-BUG|WL-FAIL|WL-FOUND|WL-REPLAY|  \([0-9]\)|  other)' |
		sed 's/^ *# /  guest: /' | awk '!seen[$0]++' | head -n 40
	kernel_findings "$name" | sed 's/^/  kernel: /'
	rm -f "$LOGS/$name.disk"
	return $rc
}

# What only the guest kernel's log shows: a freeze that failed in reboot()
# (the kexec was cancelled, so no later stage could report it).
kernel_findings() {
	tr -d '\r' < "$LOGS/$1.console" 2>/dev/null |
		sed -n 's/.*liveupdate: session \(.*\): file \(0x[0-9a-f]*\) (\(memfd-v[0-9]*\)) cannot freeze: \(-EINVAL\|-22\); kexec cancelled.*/WL-BUG 1 at reboot(): freezing the memfd with token \2 of session \1 failed with EINVAL (an odd-size memfd or THP folio past EOF that got a folio after PRESERVE_FD); the kexec was cancelled/p; t; s/.*liveupdate: session \(.*\): file \(0x[0-9a-f]*\) (\([^)]*\)) cannot freeze: \([-A-Za-z0-9]*\); kexec cancelled.*/WL-FAIL at reboot(): freezing token \2 (\3) of session \1 failed with \4; the kexec was cancelled/p' |
		head -n 3
}

summaries() {
	tr -d '\r' < "$LOGS/$1.results" 2>/dev/null | grep -E '# WL-SUMMARY' | sed 's/^ *# WL-SUMMARY /    /'
}

mkdir -p "$LOGS"
[ -r "$BZIMAGE" ] && [ -r "$INITRD" ] || die "no kernel or initramfs (make initramfs)"

case ${1:-} in
one)
	seed=${SEED:-1} cycles=${CYCLES:-2} mib=${WL_MIB:-64}
	start=$(now_ns)
	run "wl-seed-$seed" "$seed" "$cycles" "$mib" "${WL_APPEND:-}"
	rc=$?
	summaries "wl-seed-$seed"
	phase_time "workload(seed $seed)" "$start" > /dev/null
	exit $rc
	;;
seeds)
	failed=0
	for seed in ${WL_CHECK_SEEDS:-1 2 3}; do
		run "wl-seed-$seed" "$seed" "${WL_CYCLES:-2}" "${WL_MIB:-64}" "" || failed=$((failed + 1))
		summaries "wl-seed-$seed"
	done
	[ $failed = 0 ]
	;;
stress)
	spec=${STRESS_SEEDS:-200} cycles=${CYCLES:-2} mib=${WL_MIB:-64}
	case $spec in
	*-*) seeds=$(seq "${spec%-*}" "${spec#*-}") ;;
	*,*) seeds=${spec//,/ } ;;
	*) seeds=$(seq 1 "$spec") ;;
	esac
	out=$BUILD/stress
	mkdir -p "$out"
	table=$out/stress.txt
	printf '%6s %6s %-7s %8s  %s\n' seed cycles verdict time found > "$table"
	n=0 nfail=0 t_all=$(now_ns)
	for seed in $seeds; do
		t0=$(now_ns)
		run "wl-stress-$seed" "$seed" "$cycles" "$mib" "${WL_APPEND:-}" > "$out/seed-$seed.txt"
		rc=$?
		secs=$(awk -v a="$t0" -v b="$(now_ns)" 'BEGIN { printf "%.0f", (b - a) / 1e9 }')
		found=$(tr -d '\r' < "$LOGS/wl-stress-$seed.results" 2>/dev/null |
			sed -n 's/.*# WL-FOUND seed=[0-9]* stage=\([0-9]*\): \(.*\)/stage \1: \2/p' |
			paste -sd";" - | sed "s/;/; /g")
		kf=$(kernel_findings "wl-stress-$seed" | grep -q 'WL-BUG 1 at reboot' && echo "(1) at reboot()")
		[ -n "$kf" ] && found="${found:+$found; }$kf"
		verdict=PASS
		if [ $rc != 0 ]; then
			verdict=FAIL nfail=$((nfail + 1))
			[ -n "$found" ] || found=$(grep -m1 -E '^  FAIL ' "$out/seed-$seed.txt" | sed 's/^  FAIL *//')
		fi
		n=$((n + 1))
		printf '%6s %6s %-7s %7ss  %s\n' "$seed" "$cycles" "$verdict" "$secs" "$found" | tee -a "$table"
		cp "$LOGS/wl-stress-$seed.results" "$out/seed-$seed.results" 2>/dev/null
	done
	printf '\n%d seeds, %d passed, %d failed, %s s\n' "$n" $((n - nfail)) "$nfail" \
		"$(awk -v a="$t_all" -v b="$(now_ns)" 'BEGIN { printf "%.0f", (b - a) / 1e9 }')" | tee -a "$table"
	if [ $nfail != 0 ]; then
		printf '\nreplay:\n' | tee -a "$table"
		awk '$3 == "FAIL" { print $1 }' "$table" | while read -r seed; do
			line=$(tr -d '\r' < "$out/seed-$seed.results" 2>/dev/null |
			       sed -n 's/.*# WL-REPLAY //p' | head -n 1)
			echo "  ${line:-make workload SEED=$seed CYCLES=$cycles WL_MIB=$mib}"
		done | tee -a "$table"
	fi
	echo "table: $table"
	[ $nfail = 0 ]
	;;
soak|leak)
	if [ "$1" = soak ]; then
		cycles=${SOAK_CYCLES:-100} seed=${SEED:-1} leak=${LEAK:-0} name=wl-soak
	else
		# The accounting check against a leak, not the bugs: steer around them.
		cycles=${SOAK_CYCLES:-2} seed=${SEED:-1} leak=${LEAK:-32} name=wl-soak-leak
		WL_APPEND="lu.wl.avoid=1,2,3,4,5${WL_APPEND:+ $WL_APPEND}"
	fi
	mib=${WL_MIB:-256}
	extra="lu.wl.soak=1"
	[ "$leak" = 0 ] || extra+=" lu.wl.leak=$leak"
	extra+="${WL_APPEND:+ $WL_APPEND}"
	start=$(now_ns)
	run "$name" "$seed" "$cycles" "$mib" "$extra"
	rc=$?
	res=$LOGS/$name.results
	# The trend over all measured cycles (least squares), which the
	# per-cycle check against the first measured cycle cannot see.
	tr -d '\r' < "$res" | sed -n 's/.*# WL-SOAK //p' | awk -v want_leak="$leak" '
	{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	  n++; x[n] = v["stage"]; f[n] = v["free_kb"]; s[n] = v["shmem_kb"]
	  u[n] = v["kho_in_unrestored"]; o[n] = v["kho_out_pages"] }
	function slope(y,   i, mx, my, sxy, sxx) {
		for (i = 1; i <= n; i++) { mx += x[i]; my += y[i] }
		mx /= n; my /= n
		for (i = 1; i <= n; i++) { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) ^ 2 }
		return sxx ? sxy / sxx : 0
	}
	function range(y, name, unit, tol,   i, lo, hi, sl, bad) {
		lo = hi = y[1]
		for (i = 2; i <= n; i++) { if (y[i] < lo) lo = y[i]; if (y[i] > hi) hi = y[i] }
		sl = slope(y)
		bad = n >= 10 && (tol < 0 ? sl < tol : sl > tol)
		printf "  %-20s first %10d last %10d min %10d max %10d slope %+9.1f %s/cycle%s\n", \
			name, y[1], y[n], lo, hi, sl, unit, bad ? "  GROWS (tolerance " tol ")" : ""
		return bad
	}
	END {
		if (!n) { print "  soak: no WL-SOAK lines"; exit 1 }
		printf "  soak accounting over %d measured cycles (stages %d..%d):\n", n, x[1], x[n]
		bad += range(f, "free memory", "kB", -64)
		bad += range(s, "Shmem", "kB", 64)
		bad += range(u, "KHO in unrestored", "pages", 0.5)
		bad += range(o, "KHO out preserved", "pages", 0.5)
		if (n < 10) print "  (trend checked from 10 measured cycles on; per-cycle tolerances checked in the guest)"
		exit bad ? 1 : 0
	}'
	trend=$?
	summaries "$name" | tail -n 6
	phase_time "$name($cycles cycles)" "$start" > /dev/null
	if [ "$1" = leak ]; then
		# The run must fail, and because the soak check saw the leak.
		if [ $rc != 0 ] && grep -q 'soak: Shmem .* grew by' "$res"; then
			echo "  soak check caught the deliberate leak of $leak MiB per cycle: PASS"
			exit 0
		fi
		echo "  soak check did not catch the deliberate leak of $leak MiB per cycle: FAIL"
		exit 1
	fi
	[ $rc = 0 ] && [ $trend = 0 ]
	;;
*)
	sed -n 's/^#   mk\/workload.sh /  mk\/workload.sh /p; s/^#                           /                           /p' "$0"
	exit 2
	;;
esac
