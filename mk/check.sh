#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every test of the project, in order, with a verdict per step,
# the time each phase took, and a closing "N passed, N failed" line.
# Exits non-zero when anything failed.

. "$(dirname "$0")/lib.sh"
set +e

SELFTESTS=$LU_ROOT/tools/testing/selftests/liveupdate
export LU_TIMINGS=$TIMINGS
BZIMAGE=$KBUILD/arch/x86/boot/bzImage
INITRD=$BUILD/guest/initramfs.cpio
VMTEST=("$SELFTESTS/vmtest.sh" -k "$BZIMAGE" -i "$INITRD" -o "$BUILD/logs")
KUNIT=(-K "$SELFTESTS/kunit.suites")
CYCLES=${CYCLES:-3}

passed=0 failed=0 failures=()
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

step host-selftests "$LU_ROOT/mk/selftest.sh"
step lint "$LU_ROOT/mk/lint.sh"
step runner-selftest "$SELFTESTS/selftest-runner.sh" -k "$BZIMAGE" -i "$INITRD" -o "$BUILD/logs"
# The positive run: every stage proves it is a new kernel reached by kexec
# and restores what the previous one preserved through KHO.
step "kexec-kho-${CYCLES}-cycles" "${VMTEST[@]}" "${KUNIT[@]}" -n kexec-kho \
	-t lu_kexec_boot_id,lu_kho -c "$CYCLES"
# Negative KHO runs: the next kernel ignores or rejects the handover and
# boots cold, losing no memory.
step kho-next-kernel-kho-off "${VMTEST[@]}" -n kho-off -t lu_kho -c 1 -a "lu.kho=off"
for what in compatible fdt tracker node overlap scratch; do
	step "kho-corrupt-$what" "${VMTEST[@]}" -n "kho-corrupt-$what" -t lu_kho -c 1 \
		-a "lu.kho=corrupt=$what"
done

# LUO: the single-boot API suite, then two-stage kexec tests, each in its
# own guest so that one test's sessions cannot mask another's.
step luo-api "${VMTEST[@]}" -n luo-api -t liveupdate -c 0
for t in luo_kexec_simple luo_multi_session luo_empty_session luo_freeze_fail \
	 luo_stress_sessions luo_stress_files; do
	step "$t" "${VMTEST[@]}" -n "$t" -t "$t" -c 1
done
# memfd preservation: contents, position, seals, sparse files, THP, frozen
# size, accounting, 1,000 memfds.
step lu_memfd "${VMTEST[@]}" -n lu_memfd -t lu_memfd -c 1 -m 3G
# Retrieved memory is charged to the retrieving task's cgroup; damaged folio
# records fail that memfd's retrieve and free its memory.
for m in memcg corrupt=index corrupt=order corrupt=pfn; do
	step "memfd-${m/=/-}" "${VMTEST[@]}" -n "memfd-${m/=/-}" -t lu_memfd_misc -c 1 -a "lu.memfd=$m"
done
# The liveupdate trace events fire at every step, on both sides of a kexec.
step lu_trace_events "${VMTEST[@]}" -n lu_trace_events -t lu_trace_events -c 1
# The blackout of an update, measured across the kexec: a failed attempt,
# an update with sessions to restore, and one with none.
step lu_blackout "${VMTEST[@]}" -n lu_blackout -t lu_blackout -c 2
# lu-trace records a known workload on both sides of a kexec; the host checks
# the report, timeline, blackout and kho outputs it left on the guest's disk.
step lu-trace "$LU_ROOT/tools/lu-trace/tests/vm_test.sh" "$BUILD/lu-trace-test" "${VMTEST[@]}"
# lu-trace's errors on this host's kernel (no liveupdate events), unprivileged,
# and on bad recordings; the kho decoder's and the exporter's tests.
step lu-trace-host "$LU_ROOT/tools/lu-trace/tests/host_test.sh" "$BUILD/lu-trace/lu-trace" \
	"$BUILD/lu-trace-test/lu-trace.out/update.lut"
# lu-trace export through a live update, scraped by a real Prometheus on the
# host's loopback: series before and after, the blackout, every panel query.
step lu-trace-export-prometheus "$LU_ROOT/tools/lu-trace/tests/prom_test.sh" \
	"$BUILD/prom-test" "${VMTEST[@]}"
# lu-keep: Debian's memcached, unmodified, keeps its cache across kexecs:
# 100,000 keys checked byte for byte and lu-trace's report of lu-keep's
# session (host-checked), two chained kexecs, and the failures that must
# start memcached cold with lu-keep's documented error.
step lu-keep-host "$LU_ROOT/tools/lu-keep/tests/host_test.sh" "$BUILD/lu-keep/lu-keep"
step lu-keep-memcached "$LU_ROOT/tools/lu-keep/tests/vm_test.sh" "$BUILD/lu-keep-test" \
	"${VMTEST[@]}" -T 900
step lu-keep-memcached-2-kexecs "${VMTEST[@]}" -n lu-keep-2-kexecs -t lu_keep_memcached -c 2 \
	-T 1200
for m in size nometa nostop; do
	step "lu-keep-$m" "${VMTEST[@]}" -n "lu-keep-$m" -t lu_keep_memcached -c 1 -T 600 \
		-a "lu.keep=$m"
done
# Prometheus rules (promtool check and unit tests) and the Grafana dashboards.
step dashboards "$LU_ROOT/dashboards/check.sh"
# Incoming LUO state is untrusted: damaged state is logged and LUO starts empty.
for what in compatible chain session; do
	step "luo-corrupt-$what" "${VMTEST[@]}" -n "luo-corrupt-$what" -t luo_corrupt -c 1 \
		-a "lu.luo=$what"
done

printf '\n=== time per phase (seconds; boot and tests are guest-clock sums over all VM runs)\n'
awk '{ sub(/\(.*\)/, "", $1); t[$1] += $2; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
     END { for (i = 1; i <= n; i++) printf "  %-32s %8.1f\n", order[i], t[order[i]] }' "$TIMINGS"
[ $failed = 0 ] || printf '\nfailed: %s\n' "${failures[*]}"
printf '\n%d passed, %d failed\n' "$passed" "$failed"
[ $failed = 0 ]
