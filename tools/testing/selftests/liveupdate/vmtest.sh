#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# vmtest.sh: boot the test guest in QEMU, let lu-init run the tests through
# STAGES (cold boot + kexec cycles), and decide the verdict from the serial
# console. QEMU's exit status is never the verdict: every expected marker
# must be on the console.
#
# Verdict rules (each failure is printed with its reason):
#   - every stage prints LU-STAGE-BEGIN stage=N/M; a missing one is FAIL;
#   - every test prints "ok K lu:<test>:stage<N>" in every stage: "not ok"
#     is FAIL, a missing line is FAIL (never a skip);
#   - the last stage prints LU-DONE;
#   - KUnit: in every boot, the KTAP plan must be met, no suite may fail,
#     and every suite named in the -K file must report;
#   - a kernel splat on the console is FAIL: an oops, panic, BUG or
#     WARNING, and every report of the debug kernel's checkers: KASAN,
#     UBSAN, lockdep ("possible circular locking dependency", "inconsistent
#     lock state", "suspicious RCU usage"), sleeping in atomic context,
#     kmemleak ("N new suspected memory leaks"), hung tasks, RCU stalls;
#   - a guest still running after the timeout is killed: FAIL.
# On FAIL the failed subtests (each with up to four lines the test printed
# before it) and the last 50 console lines are printed.
#
# Exit status: 0 PASS, 1 FAIL, 2 usage or setup error.

set -uo pipefail

usage() {
	cat <<EOF
usage: $0 -k BZIMAGE -i INITRD [options]
  -t TESTS     comma-separated tests under /lu/tests to run in every stage
  -c CYCLES    kexec cycles (stages = CYCLES + 1; default 0)
  -a PARAMS    extra kernel command line parameters
  -m MEM       guest memory (default 2G)
  -R           map guest RAM without reserving it (memory-backend-ram, reserve=off:
               MAP_NORESERVE), so that guests far larger than the host's RAM boot; only
               what the guest touches is allocated, in host RAM, never on disk
  -p CPUS      guest CPUs (default 2)
  -T SECONDS   overall timeout (default: 120 + 90 per stage under TCG)
  -o DIR       where the console log goes (default .)
  -n NAME      name of this run (default: the tests)
  -K FILE      KUnit suites that must report in every boot (one per line)
  -D SIZE      attach a new, empty raw virtio disk of SIZE (e.g. 4G) as /dev/vda
  -F IMAGE     attach an existing raw disk image as /dev/vda (it keeps what the guest wrote)
  -N PORT      virtio-net with QEMU user networking; host 127.0.0.1:PORT forwards to the
               guest's port 9464 (the guest is 10.0.2.15/24)
  -x           expect failure: print the verdict but exit 0 only if it FAILED
  -s           interactive shell on this terminal instead of tests
  -P           no VM: judge the logs a run left in DIR (-o) under NAME (-n),
               NAME.console and NAME.results (-k and -i are not needed)
Environment: ACCEL=auto|kvm|tcg (default auto: KVM only if it really works),
             QEMU (default qemu-system-x86_64), LU_TIMEOUT_SCALE=N (multiply
             the default timeout: the debug kernel is slower), LU_APPEND
             (kernel parameters for every run, before -a's)
EOF
	exit 2
}

KERNEL= INITRD= TESTS= CYCLES=0 APPEND= MEM=2G CPUS=2 TIMEOUT= OUTDIR=. NAME= KUNIT_FILE=
EXPECT_FAIL=0 SHELL_MODE=0 DISK= IMAGE= NETPORT= NORESERVE=0 PARSE_ONLY=0
while getopts "k:i:t:c:a:m:p:T:o:n:K:D:F:N:RxsPh" opt; do
	case $opt in
	k) KERNEL=$OPTARG ;;
	i) INITRD=$OPTARG ;;
	t) TESTS=$OPTARG ;;
	c) CYCLES=$OPTARG ;;
	a) APPEND=$OPTARG ;;
	m) MEM=$OPTARG ;;
	p) CPUS=$OPTARG ;;
	T) TIMEOUT=$OPTARG ;;
	o) OUTDIR=$OPTARG ;;
	n) NAME=$OPTARG ;;
	K) KUNIT_FILE=$OPTARG ;;
	D) DISK=$OPTARG ;;
	F) IMAGE=$OPTARG ;;
	N) NETPORT=$OPTARG ;;
	R) NORESERVE=1 ;;
	x) EXPECT_FAIL=1 ;;
	s) SHELL_MODE=1 ;;
	P) PARSE_ONLY=1 ;;
	*) usage ;;
	esac
done

QEMU=${QEMU:-qemu-system-x86_64}
ACCEL=${ACCEL:-auto}
err() { printf 'vmtest: error: %s\n' "$*" >&2; exit 2; }

if [ $PARSE_ONLY = 0 ]; then
	command -v "$QEMU" > /dev/null ||
		err "$QEMU not found: install qemu-system-x86 (make deps)"
	[ -r "$KERNEL" ] || err "kernel image '$KERNEL' not found (make kernel)"
	[ -r "$INITRD" ] || err "initramfs '$INITRD' not found (make initramfs)"
fi
[[ $CYCLES =~ ^[0-9]+$ ]] || err "-c takes a number of kexec cycles"
[ $SHELL_MODE = 1 ] || [ -n "$TESTS" ] || err "no tests given (-t) and no shell (-s)"
[ -z "$KUNIT_FILE" ] || [ -r "$KUNIT_FILE" ] || err "KUnit suite list '$KUNIT_FILE' not found"
STAGES=$((CYCLES + 1))
NAME=${NAME:-${TESTS//,/+}}
mkdir -p "$OUTDIR"
LOG=$OUTDIR/$NAME.console		# everything: kernel and userspace
RESULTS=$OUTDIR/$NAME.results		# lu-init's output only (ttyS1)
QERR=$OUTDIR/$NAME.qemu-stderr

# KVM only if the CPU has it, /dev/kvm is usable and a probe guest boots.
kvm_works() {
	grep -qwE 'vmx|svm' /proc/cpuinfo || return 1
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	local plog
	plog=$(mktemp)
	timeout -k 5 60 "$QEMU" -accel kvm -cpu host -m 512M -nodefaults -nographic -no-reboot \
		-serial "file:$plog" -kernel "$KERNEL" -initrd "$INITRD" \
		-append "console=ttyS0 panic=-1 lu.probe" > /dev/null 2>&1
	grep -q LU-PROBE-OK "$plog"
	local ok=$?
	rm -f "$plog"
	return $ok
}

[ $PARSE_ONLY = 1 ] && ACCEL=tcg
case $ACCEL in
auto) if kvm_works; then ACCEL=kvm; else ACCEL=tcg; fi ;;
kvm|tcg) ;;
*) err "ACCEL must be auto, kvm or tcg" ;;
esac
if [ "$ACCEL" = kvm ]; then
	ACCEL_ARGS=(-accel kvm -cpu host)
	TIMEOUT=${TIMEOUT:-$(((60 + 30 * STAGES) * ${LU_TIMEOUT_SCALE:-1}))}
else
	ACCEL_ARGS=(-accel tcg,thread=multi -cpu max)
	TIMEOUT=${TIMEOUT:-$(((120 + 90 * STAGES) * ${LU_TIMEOUT_SCALE:-1}))}
fi

CMDLINE="console=ttyS0 panic=-1 oops=panic retain_initrd lu.stages=$STAGES lu.results=ttyS1"
[ -n "$TESTS" ] && CMDLINE+=" lu.tests=$TESTS"
[ -n "${LU_APPEND:-}" ] && CMDLINE+=" $LU_APPEND"
[ $SHELL_MODE = 1 ] && CMDLINE+=" lu.shell"
[ -n "$APPEND" ] && CMDLINE+=" $APPEND"

# The fw_cfg nonce names this QEMU process: the guest proves with it that
# every stage ran in the same virtual machine.
QEMU_ARGS=("${ACCEL_ARGS[@]}" -m "$MEM" -smp "$CPUS" -nodefaults -nographic -no-reboot
	   -kernel "$KERNEL" -initrd "$INITRD" -append "$CMDLINE")
if [ $NORESERVE = 1 ]; then
	# Not a file: a shared file backing puts every page the guest touches
	# (its memory map: 2.5 GiB at 160 GiB) on the host's disk, and a guest
	# dies of SIGBUS when that disk fills.
	QEMU_ARGS+=(-object "memory-backend-ram,id=lu-mem,size=$MEM,reserve=off"
		    -machine memory-backend=lu-mem)
fi
if [ -n "$DISK" ]; then
	# Uncached on the host, so that writing to it costs what a disk costs.
	rm -f "$OUTDIR/$NAME.disk"
	truncate -s "$DISK" "$OUTDIR/$NAME.disk" || err "cannot create a $DISK disk image"
	QEMU_ARGS+=(-drive "file=$OUTDIR/$NAME.disk,if=virtio,format=raw,cache=none,aio=threads")
elif [ -n "$IMAGE" ]; then
	[ -w "$IMAGE" ] || err "disk image $IMAGE not found or not writable"
	QEMU_ARGS+=(-drive "file=$IMAGE,if=virtio,format=raw")
fi
if [ -n "$NETPORT" ]; then
	QEMU_ARGS+=(-nic "user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:$NETPORT-:9464")
fi

if [ $SHELL_MODE = 1 ]; then
	echo "vmtest: guest shell ($ACCEL); 'lu-kexec' kexecs, 'poweroff -f' or Ctrl-A X quits"
	exec "$QEMU" "${QEMU_ARGS[@]}" -serial mon:stdio -fw_cfg "name=opt/lu/qemu,string=qemu-shell"
fi

t0=$(date +%s%N)
elapsed() { awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
seen=0 timed_out=0
if [ $PARSE_ONLY = 1 ]; then
	[ -r "$LOG" ] && [ -r "$RESULTS" ] || err "no $LOG or $RESULTS to judge"
	QEMU_ID= qrc=none
else
printf '  %-9s %s: %d stage(s), %s, %s RAM, %s CPUs, timeout %ss\n' VM "$NAME" \
	"$STAGES" "$ACCEL" "$MEM" "$CPUS" "$TIMEOUT"
: > "$LOG"
: > "$RESULTS"
nonce="$RANDOM$RANDOM"
# shellcheck disable=SC2016 # $$ expands in the child: it is QEMU's pid after exec.
bash -c 'exec "$0" "$@" -serial "file:'"$LOG"'" -serial "file:'"$RESULTS"'" -fw_cfg "name=opt/lu/qemu,string=qemu-$$-'"$nonce"'"' \
	"$QEMU" "${QEMU_ARGS[@]}" 2> "$QERR" &
qpid=$!
QEMU_ID="qemu-$qpid-$nonce"

# Watch the console: report stage progress as it happens, enforce the timeout.
while kill -0 "$qpid" 2> /dev/null; do
	sleep 0.5
	n=$(grep -c -aE '^(LU-STAGE-BEGIN|LU-STAGE-END|LU-KEXEC|LU-DONE)' "$RESULTS" 2> /dev/null)
	if [ "${n:-0}" -gt "$seen" ]; then
		grep -aE '^(LU-STAGE-BEGIN|LU-STAGE-END|LU-KEXEC|LU-DONE)' "$RESULTS" | tr -d '\r' |
			tail -n +$((seen + 1)) | head -n $((n - seen)) |
			while read -r line; do printf '  %-9s %6ss %s\n' "" "$(elapsed)" "$line"; done
		seen=$n
	fi
	if [ "$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { print int((b - a) / 1e9) }')" -ge "$TIMEOUT" ]; then
		timed_out=1
		kill -TERM "$qpid" 2> /dev/null
		sleep 2
		kill -KILL "$qpid" 2> /dev/null
		break
	fi
done
wait "$qpid" 2> /dev/null
qrc=$?
fi
wall=$(elapsed)

# Kernel splats: the first line of every report that fails a run. The debug
# kernel's checkers print theirs as "BUG: KASAN: ...", "UBSAN: ...",
# "WARNING: possible circular locking dependency detected" (lockdep),
# "BUG: sleeping function called from invalid context", "kmemleak: N new
# suspected memory leaks"; the lockdep and RCU names stand on their own too,
# should a kernel print them without the WARNING prefix.
SPLAT='\[ *[0-9]+\.[0-9]+\] (Kernel panic|BUG: |Oops|WARNING: |general protection fault|kernel BUG at|UBSAN: |KASAN: |kmemleak: [0-9]+ new suspected memory leak|INFO: task .* blocked for more than|rcu: INFO: .*detected stall|.*(possible circular locking dependency|possible recursive locking|inconsistent lock state|suspicious RCU usage|sleeping function called from invalid context))'

# Parse the console. Kernel lines carry a printk timestamp; userspace lines
# (lu-init and the tests) do not.
# Kernel lines (KUnit, splats) come from the console, where they carry a
# printk timestamp; lu-init's lines come from the results channel. Firmware
# clears the screen with escape sequences: drop them with the CRs.
report=$( export LU_SPLAT="$SPLAT"; { tr -d '\r' < "$LOG" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1b[c()][0-9A-Za-z]\?//g' |
	    sed 's/\(\[ *[0-9]*\.[0-9]*\] \)/\n\1/g' | grep -a '^\[ *[0-9]*\.[0-9]*\] '; echo "LU-RESULTS-FOLLOW"; tr -d '\r' < "$RESULTS"; } | awk -v stages="$STAGES" -v tests="$TESTS" \
	-v kunit_file="$KUNIT_FILE" -v qemu_id="$QEMU_ID" '
function fail(msg) { fails[++nfail] = msg }
BEGIN {
	splat = ENVIRON["LU_SPLAT"]
	ntests = split(tests, tlist, ",")
	if (kunit_file != "")
		while ((getline s < kunit_file) > 0) {
			sub(/#.*/, "", s); gsub(/[ \t]/, "", s)
			if (s != "") want_suite[++nwant] = s
		}
}
/^LU-RESULTS-FOLLOW$/ { in_results = 1; next }
{
	kern = !in_results && match($0, /^\[ *[0-9]+\.[0-9]+\] /)
	line = kern ? substr($0, RLENGTH + 1) : $0
}
!in_results && $0 ~ splat {
	if (!splat++) { sp = $0; sub(/^.*\[ *[0-9]+\.[0-9]+\] /, "", sp); fail("kernel splat in boot " boot ": " sp) }
	next
}
kern && line ~ /^Linux version / { boot++; next }
kern && line ~ /^KTAP version/ { ktap[boot] = 1; next }
kern && ktap[boot] && line ~ /^1\.\.[0-9]+$/ { kplan[boot] = substr(line, 4) + 0; next }
kern && ktap[boot] && line ~ /^(not )?ok [0-9]+ / {
	ok = line !~ /^not/
	name = line; sub(/^(not )?ok [0-9]+ /, "", name); sub(/ #.*/, "", name)
	ksuites[boot]++; ksuite_seen[boot, name] = 1
	if (!ok) fail("KUnit suite " name " failed in boot " boot)
	next
}
kern && ktap[boot] && line ~ /^    (not )?ok [0-9]+ / {
	if (line ~ /^    not ok/) kcase_fail[boot]++
	else if (line ~ /# SKIP/) kcase_skip[boot]++
	else kcase_pass[boot]++
	next
}
!in_results { next }
/^LU-PROBE-OK/ { next }
/^LU-STAGE-BEGIN / {
	split($2, a, "[=/]"); cur = a[2] + 0; began[cur] = 1
	sub(/.*uptime_ms=/, "", line); boot_ms[cur] = line + 0
	next
}
/^LU-STAGE-END / {
	split($2, a, "[=/]"); s = a[2] + 0; ended[s] = 1
	t = $0; sub(/.*tests_ms=/, "", t); sub(/ .*/, "", t); tests_ms[s] = t + 0
	next
}
/^LU-DONE/ { done = 1; next }
/^(not )?ok [0-9]+ lu:/ {
	ok = $0 !~ /^not/
	id = $0; sub(/^(not )?ok [0-9]+ lu:/, "", id)
	why = ""; if (id ~ / # /) { why = id; sub(/.* # /, "", why); sub(/ # .*/, "", id) }
	res[id] = ok ? "ok" : "not ok"; reason[id] = why
	next
}
/^    (not )?ok [0-9]+ / {
	if ($0 ~ /^    not ok/) {
		sub_fail[cur]++
		# the failed check and what the test printed just before it
		for (i = 1; i <= nctx; i++) subfail[++nsubfail] = "stage " cur ":   " ctx[i]
		subfail[++nsubfail] = "stage " cur ": " substr($0, 5)
	} else {
		sub_pass[cur]++
	}
	nctx = 0
	next
}
/^    # .*\[account\]/ { acc = $0; sub(/^    # /, "", acc); account[++nacc] = acc; next }
/^    # / {
	if (nctx == 4) { for (i = 1; i < 4; i++) ctx[i] = ctx[i + 1]; nctx = 3 }
	ctx[++nctx] = substr($0, 5)
}
/qemu-[0-9]+-[0-9]+/ {
	if (match($0, /qemu-[0-9]+-[0-9]+/)) {
		q = substr($0, RSTART, RLENGTH)
		if (qemu_id != "" && q != qemu_id && !badq++)
			fail("guest reported QEMU id " q ", runner started " qemu_id)
	}
}
END {
	for (s = 1; s <= stages; s++) {
		if (!began[s]) { fail("stage " s ": marker LU-STAGE-BEGIN stage=" s "/" stages " never appeared"); continue }
		for (i = 1; i <= ntests; i++) {
			id = tlist[i] ":stage" s
			if (!(id in res)) fail("lu:" id ": marker never appeared")
			else if (res[id] != "ok") fail("lu:" id ": not ok (" reason[id] ")")
			else print "PASS lu:" id
		}
		if (!ended[s]) fail("stage " s ": LU-STAGE-END never appeared")
		if (ktap[s] && kplan[s] != ksuites[s])
			fail("KUnit boot " s ": plan 1.." kplan[s] " but " ksuites[s] + 0 " suites reported")
		for (i = 1; i <= nwant; i++)
			if (!ksuite_seen[s, want_suite[i]])
				fail("KUnit boot " s ": suite " want_suite[i] " never reported")
		printf "STAGE %d booted_ms=%d tests_ms=%d subtests_ok=%d subtests_fail=%d kunit_suites=%d kunit_cases=%d/%d/%d\n", \
			s, boot_ms[s], tests_ms[s], sub_pass[s], sub_fail[s], ksuites[s], \
			kcase_pass[s], kcase_fail[s], kcase_skip[s]
	}
	if (!done) fail("LU-DONE never appeared (the last stage did not finish)")
	for (i = 1; i <= nacc; i++) print "ACCOUNT " account[i]
	for (i = 1; i <= nsubfail && i <= 40; i++) print "SUBFAIL " subfail[i]
	for (i = 1; i <= nfail; i++) print "FAIL " fails[i]
}')

printf '%s\n' "$report" | awk '
/^PASS / { printf "  %-9s %s\n", "PASS", substr($0, 6) }
/^STAGE / { printf "  %-9s stage %s: booted in %.2fs (guest clock), tests %.2fs, %s subtests ok, %s failed; KUnit %s suites, cases pass/fail/skip %s\n", "", $2, substr($3, 11) / 1000, substr($4, 10) / 1000, substr($5, 13), substr($6, 15), substr($7, 14), substr($8, 13) }'
if [ -n "${LU_TIMINGS:-}" ]; then
	printf '%s\n' "$report" | awk -v n="$NAME" '/^STAGE / {
		b += substr($3, 11) / 1000; t += substr($4, 10) / 1000 }
		END { printf "boot(%s) %.1f\ntests(%s) %.1f\n", n, b, n, t }' >> "$LU_TIMINGS"
fi
verdict=PASS
if [ $timed_out = 1 ]; then
	report+=$'\n'"FAIL guest still running after ${TIMEOUT}s: killed (hung guest)"
fi
if grep -q '^FAIL ' <<< "$report"; then
	verdict=FAIL
	grep '^FAIL ' <<< "$report" | sed 's/^FAIL /  FAIL      /'
	grep '^SUBFAIL ' <<< "$report" | sed 's/^SUBFAIL /  not ok    /'
	[ -s "$QERR" ] && sed 's/^/  qemu:     /' "$QERR" | head -n 20
	echo "  --- last 50 console lines ($LOG) ---"
	tail -n 50 "$LOG" | tr -d '\r' | sed 's/^/  | /'
	echo "  ---"
fi
printf '  %-9s %s %s in %ss (QEMU exit %s%s)\n' RESULT "$verdict" "$NAME" "$wall" "$qrc" \
	"$([ $timed_out = 1 ] && echo ', killed')"

if [ $EXPECT_FAIL = 1 ]; then
	[ $verdict = FAIL ] && exit 0
	exit 1
fi
[ $verdict = PASS ]
