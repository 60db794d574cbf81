#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the fuzz targets and run each for a while on its corpus; print
# execs, coverage and crashes per target and write them as JSON.
#
#   run.sh -k KSRC -o OUTDIR [-s SECONDS] [-t TARGET[,TARGET]] [-n NICE] [-r SEED]
#
# -r SEED fixes libFuzzer's random seed (0, the default: a new one each
# run): a run then explores the same sequence of inputs every time, as far
# as its time allows, so what it finds is found again (make check uses 1).
#
# KSRC is the extracted 6.12 tree (lib/xxhash.c, libfdt). Each target starts
# from the committed corpus (corpus/<target>: real seeds, hand-made ones and
# the regression inputs of every crash found) plus what earlier runs in
# OUTDIR/corpus/<target> found; a crash leaves its input in
# OUTDIR/artifacts/<target>/ and its log in OUTDIR/logs/<target>.log.
# Writes OUTDIR/fuzz.json. Exit status: 0 when no target crashed.

set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
ksrc='' out='' secs=60 only='' nice_n=0 seed=0
while getopts k:o:s:t:n:r: opt; do
	case $opt in
	k) ksrc=$OPTARG ;;
	o) out=$OPTARG ;;
	s) secs=$OPTARG ;;
	t) only=${OPTARG//,/ } ;;
	n) nice_n=$OPTARG ;;
	r) seed=$OPTARG ;;
	*) echo "usage: $0 -k KSRC -o OUTDIR [-s SECONDS] [-t TARGETS] [-n NICE] [-r SEED]" >&2; exit 2 ;;
	esac
done
[ -n "$ksrc" ] && [ -n "$out" ] || { echo "usage: $0 -k KSRC -o OUTDIR [-s SECONDS]" >&2; exit 2; }
[ -f "$ksrc/lib/xxhash.c" ] || { echo "error: $ksrc is not an extracted kernel tree" >&2; exit 2; }
[[ $secs =~ ^[0-9]+$ ]] && [ "$secs" -gt 0 ] || { echo "error: bad seconds: $secs" >&2; exit 2; }
[[ $seed =~ ^[0-9]+$ ]] || { echo "error: bad seed: $seed" >&2; exit 2; }
mkdir -p "$out" || exit 2
out=$(cd "$out" && pwd)

printf '  %-9s %s\n' FUZZ "building the targets in $out"
make -s -C "$here" KSRC="$ksrc" OUTPUT="$out" all || { echo "error: building the fuzz targets failed" >&2; exit 1; }
targets=$(make -s -C "$here" print-targets)
if [ -n "$only" ]; then
	for t in $only; do
		[[ " $targets " == *" $t "* ]] || { echo "error: no fuzz target $t (targets: $targets)" >&2; exit 2; }
	done
	targets=$only
fi

# One line of the final report: value of "stat::NAME:", or of "cov:"/"ft:" in the last status line.
stat_of() { sed -n "s/^stat::$2: *//p" "$1" | tail -n 1; }
status_of() { grep -E '^#[0-9]+' "$1" | tail -n 1 | sed -n "s/.* $2: \([0-9]*\).*/\1/p"; }

json=$out/fuzz.json.tmp
printf '{\n  "seconds_per_target": %d,\n  "targets": [\n' "$secs" > "$json"
printf '\n  %-16s %12s %10s %8s %8s %8s %7s  %s\n' target execs exec/s edges features corpus crashes artifact
total_execs=0 total_crashes=0 first=1 start=$(date +%s)
for t in $targets; do
	work=$out/corpus/$t art=$out/artifacts/$t log=$out/logs/$t.log
	mkdir -p "$work" "$art" "$out/logs"
	before=$(ls "$art" | wc -l)
	# A crash input is a regression for as long as it is in corpus/$t.
	t0=$(date +%s)
	nice -n "$nice_n" "$out/fuzz_$t" -max_total_time="$secs" -timeout=30 -rss_limit_mb=2048 \
		$( [ "$seed" = 0 ] || echo "-seed=$seed" ) \
		-print_final_stats=1 -artifact_prefix="$art/" "$work" "$here/corpus/$t" > "$log" 2>&1
	rc=$?
	elapsed=$(( $(date +%s) - t0 ))
	execs=$(stat_of "$log" number_of_executed_units) rate=$(stat_of "$log" average_exec_per_sec)
	edges=$(status_of "$log" cov) ft=$(status_of "$log" ft) corp=$(ls "$work" | wc -l)
	crashes=$(( $(ls "$art" | wc -l) - before ))
	[ $rc = 0 ] || [ "$crashes" -gt 0 ] || crashes=1	# died without leaving an input
	artifact=$( [ "$crashes" -gt 0 ] && ls -t "$art" | head -n 1 | sed "s|^|$art/|")
	printf '  %-16s %12s %10s %8s %8s %8s %7s  %s\n' "$t" "${execs:-?}" "${rate:-?}" \
		"${edges:-?}" "${ft:-?}" "$corp" "$crashes" "${artifact:--}"
	[ "$first" = 1 ] || printf ',\n' >> "$json"
	first=0
	printf '    {"target": "%s", "execs": %s, "exec_per_sec": %s, "edges": %s, "features": %s, "corpus": %s, "crashes": %s, "seconds": %s, "artifact": "%s", "log": "%s"}' \
		"$t" "${execs:-0}" "${rate:-0}" "${edges:-0}" "${ft:-0}" "$corp" "$crashes" "$elapsed" \
		"${artifact:-}" "$log" >> "$json"
	total_execs=$((total_execs + ${execs:-0}))
	total_crashes=$((total_crashes + crashes))
	if [ "$crashes" -gt 0 ]; then
		grep -E -m 3 'FUZZ BUG|ERROR: (Address|libFuzzer|Undefined)|runtime error' "$log" | sed 's/^/      /'
	fi
done
elapsed=$(( $(date +%s) - start ))
printf '\n  ],\n  "total_execs": %d,\n  "total_crashes": %d,\n  "seconds": %d\n}\n' \
	"$total_execs" "$total_crashes" "$elapsed" >> "$json"
mv "$json" "$out/fuzz.json"
printf '  %-16s %12s %50s\n' total "$total_execs" "$total_crashes crashes in ${elapsed}s"
printf '  %-9s %s\n' JSON "$out/fuzz.json"
[ "$total_crashes" = 0 ]
