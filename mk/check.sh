#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every test of the project, in order, with a verdict per step,
# the time each phase took, and a closing "N passed, N failed" line.
# Exits non-zero when anything failed.
#
# The suite runs on the normal kernel; beside it, in a second lane, the
# debug kernel (KASAN, lockdep, DEBUG_VM, DEBUG_LIST, UBSAN, kmemleak:
# configs/debug/) is built, the steps named in LANE_STEPS run on the
# normal kernel and those in DEBUG_SUBSET on the debug one ("debug:"
# steps), printed after the main lane; last, the deps audit checks every
# program the run started (mk/deps-audit.sh).
# make check DEBUG=1 (LU_VARIANT=debug) runs the whole suite on the debug
# kernel instead. DEBUG_SUBSET="" leaves the debug kernel out.

. "$(dirname "$0")/lib.sh"
set +e

SELFTESTS=$LU_ROOT/tools/testing/selftests/liveupdate
export LU_TIMINGS=$TIMINGS
KUNIT=(-K "$SELFTESTS/kunit.suites")
CYCLES=${CYCLES:-3}
# The named subset of the suite that make check runs on the debug kernel.
# The API suite, memfd preservation end to end, a damaged KHO tree and
# every allocation failure of the fault sweep: KASAN, kmemleak and lockdep
# watch the paths most likely to leak or race.
DEBUG_SUBSET=${DEBUG_SUBSET-"luo-api lu_memfd kho-corrupt-fdt lu_fault_sweep luo_flb luo_kernel_api"}

passed=0 failed=0 failures=()
unset ONLY
step() {
	local name=$1 start rc
	shift
	printf '\n=== %s\n' "$name"
	start=$(now_ns)
	"$@"
	rc=$?
	phase_time "check:$name" "$start" > /dev/null
	if [ $rc = 0 ]; then
		passed=$((passed + 1))
		printf '=== PASS %s\n' "$name"
	else
		failed=$((failed + 1))
		failures+=("$name")
		printf '=== FAIL %s (exit %d)\n' "$name" "$rc"
	fi
}

# use_variant ""|debug: which kernel, initramfs and log directory the VM
# steps below use.
use_variant() {
	local sfx=${1:+-$1}
	VARIANT=$1
	KIMG=$BUILD/kernel$sfx/arch/x86/boot/bzImage
	INITRD=$BUILD/guest$sfx/initramfs.cpio
	VLOGS=$BUILD/logs$sfx
	VS=$sfx
	VMTEST=("$SELFTESTS/vmtest.sh" -k "$KIMG" -i "$INITRD" -o "$VLOGS")
	PREFIX=${1:+$1:}
	# Under KASAN, lockdep and kmemleak a TCG guest is 4-5 times slower; the
	# variant's kernel parameters go to every run.
	if [ -n "$1" ]; then
		export LU_TIMEOUT_SCALE=${LU_TIMEOUT_SCALE:-5}
		export LU_APPEND=${LU_APPEND-$(sed 's/#.*//' "$LU_ROOT/configs/$1/cmdline" | xargs)}
	fi
}

# vstep NAME COMMAND...: a step of the suite. With ONLY set, only the steps
# it names run; the steps EXCEPT names do not; on the normal kernel,
# CHECK_ONLY (a quick rerun while developing) narrows it further. ALONE=1
# marks a step that repeats part of a chained one in a guest of its own:
# it runs only when named (ONLY, CHECK_ONLY, a debug subset).
vstep() {
	local name=$1
	shift
	if { [ -n "${ALONE:-}" ] && [ -z "${ONLY+set}" ] && [ -z "${CHECK_ONLY:-}" ]; } ||
	   { [ -n "${ONLY+set}" ] && [[ " $ONLY " != *" $name "* ]]; } ||
	   [[ " ${EXCEPT:-} " == *" $name "* ]] ||
	   { [ -z "$VARIANT" ] && [ -n "${CHECK_ONLY:-}" ] && [[ " $CHECK_ONLY " != *" $name "* ]]; }; then
		return
	fi
	step "$PREFIX$name" "$@"
}

# chain A B C: "A+B+C", the form a chained test takes its kinds in.
chain() {
	local IFS=+

	echo "$*"
}

suite() {
	vstep host-selftests "$LU_ROOT/mk/selftest.sh"
	# The selftests as a kselftest target of the kernel tree: built and
	# installed by kselftest's own Makefile, with only the one-boot uAPI
	# test in its list, and a config the kernel built here satisfies.
	[ -z "$VARIANT" ] && vstep kselftest-target kselftest_step
	vstep lint "$LU_ROOT/mk/lint.sh"
	vstep runner-selftest "$SELFTESTS/selftest-runner.sh" -k "$KIMG" -i "$INITRD" -o "$VLOGS"
	# The positive run: every stage proves it is a new kernel reached by kexec
	# and restores what the previous one preserved through KHO.
	vstep "kexec-kho-${CYCLES}-cycles" "${VMTEST[@]}" "${KUNIT[@]}" -n kexec-kho \
		-t lu_kexec_boot_id,lu_kho -c "$CYCLES"
	# Negative KHO runs: the next kernel ignores or rejects the handover and
	# boots cold, losing no memory.
	vstep kho-next-kernel-kho-off "${VMTEST[@]}" -n kho-off -t lu_kho -c 1 -a "lu.kho=off"
	# The next kernel's reservation: 64 MiB of which no two pages touch, in
	# one batch, twice (with kho_reserve= given a value it does not know,
	# which it must report and ignore); random orders block by block (the
	# fallback).
	vstep kho-scattered "${VMTEST[@]}" -n kho-scattered -t lu_kho -c 2 \
		-a "test_kho.scatter=1 kho_reserve=bogus"
	vstep kho-reserve-blocks "${VMTEST[@]}" -n kho-reserve-blocks -t lu_kho -c 1 \
		-a "kho_reserve=blocks"
	# Every kind of damage in turn, one kexec each, chained in one guest:
	# each kernel checks the previous kind was rejected, then damages its
	# own handover with the next (kho-corrupt-KIND runs one alone).
	local kinds="compatible fdt tracker node overlap scratch small-scratch"
	vstep kho-corrupt-chain "${VMTEST[@]}" -n kho-corrupt-chain -t lu_kho -c 7 \
		-a "lu.kho=corrupt=$(chain $kinds)"
	for what in $kinds; do
		ALONE=1 vstep "kho-corrupt-$what" "${VMTEST[@]}" -n "kho-corrupt-$what" -t lu_kho -c 1 \
			-a "lu.kho=corrupt=$what"
	done

	# LUO: the single-boot API suite, then the two-stage kexec tests, all in
	# one guest (each with its own sessions, as users share a machine; its
	# own guest: the step named after it). luo_close_after_serialize goes
	# last: its daemon keeps /dev/liveupdate open through the kexec.
	vstep luo-api "${VMTEST[@]}" -n luo-api -t liveupdate,lu_debugfs_knobs -c 0
	local luo_tests="luo_kexec_simple luo_multi_session luo_empty_session luo_freeze_fail
		luo_stress_sessions luo_stress_files luo_retrieve_race luo_kexec_load
		luo_kernel_api luo_flb luo_close_after_serialize"
	vstep luo-kexec-tests "${VMTEST[@]}" -n luo-kexec-tests -t "$(echo $luo_tests | tr ' ' ,)" -c 1
	for t in $luo_tests; do
		ALONE=1 vstep "$t" "${VMTEST[@]}" -n "$t" -t "$t" -c 1
	done
	# FLB state damaged at serialization: the next kernel boots without it.
	vstep luo-flb-damaged "${VMTEST[@]}" -n luo-flb-damaged -t luo_flb -c 1 -a "lu.flb=damaged"
	# Every allocation of create, preserve, the freeze, the first open,
	# retrieve and finish failed in turn (fail-nth): each failure returns an
	# errno and leaves nothing behind, then the operation succeeds.
	vstep lu_fault_sweep "${VMTEST[@]}" -n lu_fault_sweep -t lu_fault_sweep -c 1
	# memfd preservation: contents, position, seals, frozen size (lu_memfd);
	# sparse files, THP, 1,000 memfds, memory back after FINISH and
	# unpreserve, files that are not memfds: one guest.
	vstep lu_memfd "${VMTEST[@]}" -n lu_memfd -c 1 -m 3G \
		-t lu_memfd,lu_memfd_sparse,lu_memfd_thp,lu_memfd_many,lu_memfd_discard,lu_memfd_unpreserve
	# Every size (0, 1, odd, past EOF with THP), mode and exec seal; pages
	# that were swapped out (a swap disk); writers running through
	# reboot(KEXEC).
	vstep lu_memfd_shapes "${VMTEST[@]}" -n lu_memfd_shapes -t lu_memfd_shapes -c 1
	vstep lu_memfd_swap "${VMTEST[@]}" -n lu_memfd_swap -t lu_memfd_swap -c 1 -D 1G
	vstep lu_memfd_writers "${VMTEST[@]}" -n lu_memfd_writers -t lu_memfd_writers -c 1
	# Folios written into a preserved memfd are allocated outside KHO
	# scratch (movable-only memory), so the freeze pins them without a
	# migration its writers could make fail.
	vstep lu_memfd_placement "${VMTEST[@]}" -n lu_memfd_placement -t lu_memfd_placement -c 1
	# A large host: scratch sized for a 160 GiB memory map keeps KHO on
	# (its RAM is mapped unreserved; make bigmem runs 64, 128 and 256 GiB).
	vstep large-host-160G "${VMTEST[@]}" -n large-host-160G -t lu_memfd_shapes -c 1 \
		-m 160G -R -T 900
	# Retrieved memory is charged to the retrieving task's cgroup (and a
	# retrieve at its limit changes nothing); records damaged consistently
	# fail that memfd's retrieve and free its memory.
	# Chained in one guest, a kexec each (memfd-MODE runs one alone).
	local modes="memcg corrupt=index corrupt=index-wrap corrupt=order corrupt=order-huge
		corrupt=pfn"
	vstep memfd-misc-chain "${VMTEST[@]}" -n memfd-misc-chain -t lu_memfd_misc -c 6 \
		-a "lu.memfd=$(chain $modes)"
	for m in $modes; do
		ALONE=1 vstep "memfd-${m/=/-}" "${VMTEST[@]}" -n "memfd-${m/=/-}" -t lu_memfd_misc -c 1 \
			-a "lu.memfd=$m"
	done
	# The liveupdate trace events fire at every step, on both sides of a kexec.
	vstep lu_trace_events "${VMTEST[@]}" -n lu_trace_events -t lu_trace_events -c 1
	# The blackout of an update, measured across the kexec: a failed attempt,
	# an update with sessions to restore, and one with none.
	vstep lu_blackout "${VMTEST[@]}" -n lu_blackout -t lu_blackout -c 2
	# lu_workload (mk/workload.sh): seeded random memfd workloads through
	# chained kexecs (seeds 1 and 2), every byte checked; a 5-cycle soak of
	# 256 MiB per cycle with the memory accounting checked; and that check
	# catching a deliberate leak. make stress and make soak run them long.
	vstep workload-seeds env WL_CHECK_SEEDS="1 2" "$LU_ROOT/mk/workload.sh" seeds
	vstep workload-soak-5-cycles env SOAK_CYCLES=5 "$LU_ROOT/mk/workload.sh" soak
	vstep workload-soak-catches-leak env SOAK_CYCLES=2 "$LU_ROOT/mk/workload.sh" leak
	# lu-trace records a known workload on both sides of a kexec; the host
	# checks the report, timeline, blackout and kho outputs it left on the
	# guest's disk.
	vstep lu-trace "$LU_ROOT/tools/lu-trace/tests/vm_test.sh" "$BUILD/lu-trace-test$VS" "${VMTEST[@]}"
	# lu-trace's errors on this host's kernel (no liveupdate events),
	# unprivileged, and on bad recordings; the kho decoder's and the
	# exporter's tests. Outside the deps audit's strace: their ASan builds
	# check for leaks, and LeakSanitizer cannot run under ptrace.
	vstep lu-trace-host "$LU_ROOT/mk/untraced.sh" "$LU_ROOT/tools/lu-trace/tests/host_test.sh" \
		"$BUILD/lu-trace$VS/lu-trace" "$BUILD/lu-trace-test$VS/lu-trace.out/update.lut"
	# lu-trace export through a live update, scraped by a real Prometheus on
	# the host's loopback: series before and after, the blackout, every panel
	# query.
	vstep lu-trace-export-prometheus "$LU_ROOT/tools/lu-trace/tests/prom_test.sh" \
		"$BUILD/prom-test$VS" "${VMTEST[@]}"
	# lu-keep: Debian's memcached, unmodified, keeps its cache across kexecs:
	# 100,000 keys checked byte for byte and lu-trace's report of lu-keep's
	# session (host-checked), two chained kexecs, and the failures that must
	# start memcached cold with lu-keep's documented error.
	vstep lu-keep-host "$LU_ROOT/tools/lu-keep/tests/host_test.sh" "$BUILD/lu-keep/lu-keep"
	vstep lu-keep-memcached "$LU_ROOT/tools/lu-keep/tests/vm_test.sh" "$BUILD/lu-keep-test$VS" \
		"${VMTEST[@]}" -T 900
	vstep lu-keep-memcached-2-kexecs "${VMTEST[@]}" -n lu-keep-2-kexecs -t lu_keep_memcached \
		-c 2 -T 1200
	for m in size nometa nostop; do
		vstep "lu-keep-$m" "${VMTEST[@]}" -n "lu-keep-$m" -t lu_keep_memcached -c 1 -T 600 \
			-a "lu.keep=$m"
	done
	# Prometheus rules (promtool check and unit tests) and the Grafana
	# dashboards.
	vstep dashboards "$LU_ROOT/dashboards/check.sh"
	# Every reader of incoming handover data, fuzzed on the host (libFuzzer,
	# ASan, UBSan) for 20 s a target from the committed corpus, libFuzzer's
	# seed fixed (FUZZ_SEED, default 1): no crash.
	vstep fuzz fuzz_step
	# memblock_reserve_sorted() (patches/0008), which reserves what KHO
	# preserved, on the host in the kernel's memblock simulator (ASan,
	# UBSan): every errno, and 2,000 seeded random batches against a model.
	vstep memblock-reserve-sorted memblock_step
	# Handovers damaged at random before the jump (seed 1, 6 kexecs, 2
	# mutations each): every one rejected cleanly, nothing lost or wrong.
	vstep damage-campaign env DAMAGE_SEEDS=1 DAMAGE_CYCLES=6 DAMAGE_COUNT=2 \
		"$LU_ROOT/mk/damage.sh"
	# Kernels that read different format versions (kernel B: memfd v3
	# only, built here): catalogs, lu-trace compat verdicts, and one guest
	# through A, A, A, B, A with every byte checked (mk/formats.sh).
	[ -z "$VARIANT" ] && vstep formats "$LU_ROOT/mk/formats.sh"
	# Incoming LUO state is untrusted: damaged state is logged and LUO starts
	# empty (or, released before it is read, is gone cleanly). Chained in
	# one guest (luo-corrupt-KIND runs one alone).
	local luo_kinds="compatible chain session released"
	vstep luo-corrupt-chain "${VMTEST[@]}" -n luo-corrupt-chain -t luo_corrupt -c 4 \
		-a "lu.luo=$(chain $luo_kinds)"
	for what in $luo_kinds; do
		ALONE=1 vstep "luo-corrupt-$what" "${VMTEST[@]}" -n "luo-corrupt-$what" -t luo_corrupt \
			-c 1 -a "lu.luo=$what"
	done
}

# The fuzz targets are built here, in the deps audit's trace (clang and its
# runtimes are audited), and run outside it: LeakSanitizer stops the world
# with ptrace, which fails in a traced process.
fuzz_step() {
	local dir=$LU_ROOT/tools/testing/liveupdate-fuzz out=$BUILD/fuzz$VS

	make -s -C "$dir" KSRC="$SRC" OUTPUT="$out" all &&
	"$LU_ROOT/mk/untraced.sh" "$dir/run.sh" -k "$SRC" -o "$out" -s "${FUZZ_S:-20}" \
		-r "${FUZZ_SEED:-1}"
}

kselftest_step() {
	local out=$BUILD/kselftest inst=$BUILD/kselftest-install opt missing=0

	rm -rf "$out" "$inst"
	make -s -C "$SRC/tools/testing/selftests" TARGETS=liveupdate O="$out" \
		KHDR_INCLUDES="-isystem $BUILD/headers/include" install INSTALL_PATH="$inst" \
		> "$LOGS/kselftest-target.log" 2>&1 ||
		{ tail -20 "$LOGS/kselftest-target.log"; return 1; }
	[ "$(cat "$inst/kselftest-list.txt")" = liveupdate:liveupdate ] ||
		{ echo "kselftest-list.txt: $(cat "$inst/kselftest-list.txt")"; return 1; }
	[ -x "$inst/run_kselftest.sh" ] && [ -x "$inst/liveupdate/liveupdate" ] &&
		[ -x "$inst/liveupdate/lu-init" ] || { echo "install incomplete"; return 1; }
	while read -r opt; do
		[ -n "$opt" ] || continue
		grep -qxF -- "$opt" "$KBUILD/.config" ||
			{ echo "config: $opt is not set in $KBUILD/.config"; missing=1; }
	done < "$SELFTESTS/config"
	[ $missing = 0 ] && echo "kselftest: liveupdate built and installed; $(grep -c . "$SELFTESTS/config") config options all set"
}

memblock_step() {
	local out=$BUILD/memblock-test$VS

	# Outside strace: LeakSanitizer stops the world with ptrace.
	make -s -C "$LU_ROOT/tools/testing/liveupdate-memblock" KSRC="$SRC" OUTPUT="$out" &&
	"$LU_ROOT/mk/untraced.sh" "$out/reserve_sorted" 1 2000
}

# The debug kernel and its initramfs, as a step of the normal run.
build_debug() {
	LU_VARIANT=debug "$LU_ROOT/mk/kconfig.sh" &&
	LU_VARIANT=debug "$LU_ROOT/mk/kbuild.sh" &&
	LU_VARIANT=debug "$LU_ROOT/mk/guest.sh"
}

# The second lane (mk/check.sh --lane): the debug kernel's build, the steps
# of the suite named in LANE_STEPS on the normal kernel, then DEBUG_SUBSET
# on the debug kernel, in a process of its own beside the rest of the
# suite. A TCG guest keeps about one of two cores busy; the lane takes the
# other, at a lower priority so that the main lane's steps keep theirs.
# Its verdicts go to a state file the main run adds to its own.
LANE_STEPS=${LANE_STEPS-"large-host-160G luo-corrupt-chain lu-keep-host lu-keep-memcached lu-keep-memcached-2-kexecs lu-keep-size lu-keep-nometa lu-keep-nostop damage-campaign"}
LANE_OUT=$LOGS/check-lane.out
LANE_STATE=$LOGS/check-lane.state
if [ "${1:-}" = --lane ]; then
	step debug-kernel build_debug
	use_variant ""
	ONLY=$LANE_STEPS suite
	use_variant debug
	ONLY=$DEBUG_SUBSET suite
	printf '%s\n' "$passed" "$failed" "${failures[@]}" > "$LANE_STATE.tmp" &&
		mv "$LANE_STATE.tmp" "$LANE_STATE"
	exit 0
fi

t_start=$(now_ns)
lane=
if [ -z "$LU_VARIANT" ] && [ -n "$DEBUG_SUBSET" ]; then
	mkdir -p "$LOGS"
	rm -f "$LANE_STATE"
	nice -n "${LU_LANE_NICE:-5}" "$LU_ROOT/mk/check.sh" --lane > "$LANE_OUT" 2>&1 &
	lane=$!
	trap 'kill "$lane" 2> /dev/null' INT TERM
	printf '\n=== the second lane runs beside these steps (pid %d, output in %s): the debug kernel, %s\n' \
		"$lane" "${LANE_OUT#"$LU_ROOT"/}" "$LANE_STEPS"
	EXCEPT=$LANE_STEPS
fi
use_variant "$LU_VARIANT"
suite
if [ -n "$lane" ]; then
	wait "$lane"
	rc=$?
	printf '\n=== the second lane (%s; on the debug kernel: %s)\n' "$LANE_STEPS" "$DEBUG_SUBSET"
	cat "$LANE_OUT"
	if [ $rc = 0 ] && [ -r "$LANE_STATE" ]; then
		mapfile -t st < "$LANE_STATE"
		passed=$((passed + st[0]))
		failed=$((failed + st[1]))
		failures+=("${st[@]:2}")
	else
		failed=$((failed + 1))
		failures+=("lane(exit $rc)")
		printf '=== FAIL the second lane ended without its verdicts (exit %d)\n' "$rc"
	fi
fi
# Last: every program this run started (recorded by mk/traced.sh) comes from
# a package that make deps installs.
step deps-audit "$LU_ROOT/mk/deps-audit.sh"

printf '\n=== time per phase (seconds; boot and tests are guest-clock sums over all VM runs)\n'
awk '{ sub(/\(.*\)/, "", $1); t[$1] += $2; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
     END { for (i = 1; i <= n; i++) printf "  %-32s %8.1f\n", order[i], t[order[i]] }' "$TIMINGS"
printf '  %-32s %8.1f\n' "wall time of make check" \
	"$(awk -v a="$t_start" -v b="$(now_ns)" 'BEGIN { print (b - a) / 1e9 }')"
[ $failed = 0 ] || printf '\nfailed: %s\n' "${failures[*]}"
printf '\n%d passed, %d failed\n' "$passed" "$failed"
[ $failed = 0 ]
