#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# selftest-runner.sh: test vmtest.sh's verdicts with stages broken on
# purpose (lu_runner_selftest, lu.selftest=MODE). The control run must
# PASS; every broken run must FAIL with the right reason on the output.
# TAP output; exit status 0 only if every case behaved.

set -uo pipefail

usage() { echo "usage: $0 -k BZIMAGE -i INITRD [-o LOGDIR]" >&2; exit 2; }
KERNEL= INITRD= OUTDIR=.
while getopts "k:i:o:" opt; do
	case $opt in
	k) KERNEL=$OPTARG ;;
	i) INITRD=$OPTARG ;;
	o) OUTDIR=$OPTARG ;;
	*) usage ;;
	esac
done
[ -n "$KERNEL" ] && [ -n "$INITRD" ] || usage
VMTEST=$(dirname "$0")/vmtest.sh
T=lu_runner_selftest

# case NAME EXPECT(PASS|FAIL) PATTERN [vmtest args...]
. "$(dirname "$0")/../../../../mk/tap.sh"
tap_header 6
run_case() {
	local mode=$1 expect=$2 pattern=$3 out rc verdict
	shift 3
	out=$("$VMTEST" -k "$KERNEL" -i "$INITRD" -o "$OUTDIR" -n "runner-$mode" -t $T -c 1 \
		-a "lu.selftest=$mode" "$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/# /'
	verdict=PASS
	[ $rc = 0 ] || verdict=FAIL
	if [ $verdict != "$expect" ]; then
		tap_not_ok "runner_$mode: expected $expect, runner said $verdict (exit $rc)"
	elif ! grep -qF -- "$pattern" <<< "$out"; then
		tap_not_ok "runner_$mode: $verdict as expected, but without: $pattern"
	else
		tap_ok "runner_$mode: $verdict: $pattern"
	fi
}

run_case ok PASS "RESULT    PASS runner-ok"
run_case fail FAIL "FAIL      lu:$T:stage2: not ok (exit=1)"
run_case silent FAIL "FAIL      lu:$T:stage2: marker never appeared"
run_case nokexec FAIL "FAIL      stage 2: marker LU-STAGE-BEGIN stage=2/2 never appeared"
# The guest's own per-test limit is set beyond the runner's, so only the
# runner's overall timeout can end this one.
run_case hang FAIL "killed (hung guest)" -T "${HANG_TIMEOUT:-30}" -a "lu.selftest=hang lu.timeout=100000"
# Every test passes, but the kernel log has a lockdep report.
run_case splat FAIL "kernel splat in boot 2: WARNING: possible circular locking dependency detected"
tap_end
