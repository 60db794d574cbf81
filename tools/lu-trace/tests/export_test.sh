#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Tests of "lu-trace export" without a live update kernel.
#
# Builds the exporter (export.c, metrics.c, http.c, kho.c's reader and
# util.c's name tables, as they are) with a test main (tests/export/main.c)
# and stand-ins for the BPF and blackout readers (tests/export/stubs.c)
# serving made-up kernels. Then checks the rendering (histogram buckets,
# session bounding, escaping, blackout series, the OpenMetrics structure,
# promtool on the 0.0.4 text), the command (errors, --once, the atomic
# textfile), the HTTP server, a few deliberately broken variants of metrics.c
# (the checks must catch them) and, if the prometheus binary is there, a
# real Prometheus scraping the server with the rules of dashboards/.
#
#   tools/lu-trace/tests/export_test.sh
#   METRICS_C=/path/to/other/metrics.c tools/lu-trace/tests/export_test.sh
#
# Needs gcc, python3 and promtool; curl for the IPv6 case. Run as root for
# the permission case (it is skipped otherwise). Prints "ok N - desc" or
# "not ok N - desc" per case; exits 1 if any failed.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
repo=$(cd "$src/../.." && pwd)
METRICS_C=${METRICS_C:-$src/metrics.c}
CC=${CC:-gcc}
CFLAGS=(-g -O2 -Wall -Wextra -Wno-unused-parameter -Wmissing-field-initializers -Werror
	-Werror=undef)
INCLUDES=(-I"$repo/bpf" -I"$src" -I"$here/export")
check=$here/export/check.py
blackout=/sys/kernel/liveupdate/blackout

tmp=$(mktemp -d /tmp/export_test.XXXXXX)
chmod 755 "$tmp"	# nobody runs the tool from here
pids=()

cleanup()
{
	local pid

	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

. "$here/../../../mk/tap.sh"
ok() { tap_ok "$1"; }
not_ok() { tap_not_ok "$@"; }
skip() { tap_skip "$1" "not available here"; }

# pycheck DESC ARGS...: "check.py ARGS" passes
pycheck()
{
	local desc=$1 out

	shift
	if out=$(python3 "$check" "$@" 2>&1); then
		ok "$desc"
	else
		not_ok "$desc" "$out"
	fi
}

# fails DESC ARGS...: "check.py ARGS" finds something wrong (checks of the checks)
fails()
{
	local desc=$1

	shift
	if python3 "$check" "$@" >/dev/null 2>&1; then
		not_ok "$desc" "check.py $* passed"
	else
		ok "$desc"
	fi
}

# run ARGS...: "export-test run ARGS", keeping $rc, $tmp/stdout and $tmp/stderr
run()
{
	rc=0
	"$bin" run "$@" >"$tmp/stdout" 2>"$tmp/stderr" || rc=$?
}

# expect_err DESC RC STDERR: the last run exited with RC and printed exactly STDERR
expect_err()
{
	if [[ $rc != "$2" ]]; then
		not_ok "$1" "exit code $rc, expected $2" "stderr: $(cat "$tmp/stderr")"
	elif [[ $(cat "$tmp/stderr") != "$3" ]]; then
		not_ok "$1" "stderr: $(cat "$tmp/stderr")" "expected: $3"
	else
		ok "$1"
	fi
}

free_port()
{
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# wait_port PORT: until something listens there (5 s)
wait_port()
{
	for _ in $(seq 50); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# stop PID: SIGTERM, then its exit code in $rc within 3 s (124 if it hangs)
stop()
{
	forget "$1"
	kill -TERM "$1" 2>/dev/null || true
	for _ in $(seq 30); do
		if ! kill -0 "$1" 2>/dev/null; then
			rc=0
			wait "$1" || rc=$?
			return
		fi
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	rc=124
}

# forget PID: reaped by stop(), so that cleanup() never signals a reused PID
forget()
{
	local p keep=()

	for p in "${pids[@]}"; do
		if [[ $p != "$1" ]]; then
			keep+=("$p")
		fi
	done
	pids=("${keep[@]}")
}

# Build ------------------------------------------------------------------

version=$(sed -n 's/^#define LU_TRACE_VERSION[[:space:]]*"\(.*\)"$/\1/p' "$src/lu-trace.h")

# build OUT METRICS_C [CFLAGS...]
build()
{
	"$CC" "${CFLAGS[@]}" "${@:3}" "${INCLUDES[@]}" "$2" "$src/export.c" "$src/http.c" \
		"$src/kho.c" "$here/export/stubs.c" "$here/export/main.c" "$src/util.c" -lfdt -o "$1"
}

if out=$(build "$tmp/export-test" "$METRICS_C" 2>&1); then
	ok "the exporter builds with -Wall -Wextra -Werror"
else
	not_ok "the exporter builds with -Wall -Wextra -Werror" "$out"
	tap_end
	exit 1
fi
bin=$tmp/export-test
if build "$tmp/export-asan" "$METRICS_C" -fsanitize=address,undefined \
	-fno-sanitize-recover=all >/dev/null 2>&1 &&
   ASAN_OPTIONS=detect_leaks=1 "$tmp/export-asan" render full om 16 >/dev/null 2>&1; then
	bin=$tmp/export-asan	# every case below then also runs under ASan and UBSan
	export ASAN_OPTIONS=detect_leaks=1
	ok "ASan/UBSan build (used for the cases below)"
else
	skip "ASan/UBSan build"
fi

# Rendering --------------------------------------------------------------

for fmt in om text; do
	"$bin" render full "$fmt" 16 >"$tmp/full.$fmt"
	pycheck "$fmt: the metric names and labels, every metric of dashboards/ exported" \
		names "$tmp/full.$fmt" "$fmt" "$version" "$repo/dashboards"
	pycheck "$fmt: errors by step/errno merged, sessions, KHO, lost events, info" \
		full "$tmp/full.$fmt" "$fmt"
	if grep -qx 'liveupdate_format_info{format="memfd",version="4",direction="write"} 1' "$tmp/full.$fmt" &&
	   grep -qx 'liveupdate_format_info{format="memfd",version="3",direction="incoming"} 1' "$tmp/full.$fmt" &&
	   ! grep -q 'format="luo-blackout"' "$tmp/full.$fmt"; then
		ok "$fmt: liveupdate_format_info per format and direction, none for a version of none"
	else
		grep liveupdate_format "$tmp/full.$fmt" | sed 's/^/# /'
		not_ok "$fmt: liveupdate_format_info per format and direction, none for a version of none"
	fi
	"$bin" render hist "$fmt" 16 >"$tmp/hist.$fmt"
	pycheck "$fmt: 1, 2, 3, 4, 2^n-1, 2^n, 2^n+1 ns in the right le buckets, _count, _sum" \
		hist "$tmp/hist.$fmt" "$fmt"
	for max in 16 3 1; do
		"$bin" render sessions20 "$fmt" "$max" >"$tmp/sessions.$fmt"
		pycheck "$fmt: 20 sessions, max $max: biggest $max by name, rest _other; escaping" \
			sessions "$tmp/sessions.$fmt" "$fmt" "$max"
	done
	for sc in cold full restoring dropped noblackout; do
		case $sc in
		cold)		what="cold boot: counters, no last_blackout series";;
		full)		what="complete: 8 phases adding up to the total, timestamp";;
		restoring)	what="restoring: in progress, no last_blackout series";;
		dropped)	what="dropped: no last_blackout series, not in progress";;
		noblackout)	what="no blackout file: no update counters";;
		esac
		"$bin" render "$sc" "$fmt" 16 >"$tmp/$sc.$fmt"
		pycheck "$fmt: $what" blackout "$tmp/$sc.$fmt" "$fmt" "$sc" render
	done
done

# Freezing runs inside reboot(): op="freeze" comes from the blackout record
# when nothing froze under the exporter, and never replaces what did.
"$bin" render freezecarry om 16 >"$tmp/fc.om"
"$bin" render full om 16 >"$tmp/fc-full.om"
if grep -qx 'liveupdate_operation_duration_seconds_count{op="freeze"} 3' "$tmp/fc.om" &&
   grep -qx 'liveupdate_operation_duration_seconds_bucket{op="freeze",le="+Inf"} 3' "$tmp/fc.om" &&
   grep -qx 'liveupdate_operation_duration_seconds_sum{op="freeze"} 0.0000751' "$tmp/fc.om" &&
   grep -qx 'liveupdate_operation_duration_seconds_count{op="freeze"} 1' "$tmp/fc-full.om"; then
	ok "op=freeze: the previous kernel's freeze histogram when none was seen here"
else
	not_ok "op=freeze: the previous kernel's freeze histogram when none was seen here" \
		"$(grep -e 'freeze"}' -e 'freeze",le="+Inf' "$tmp/fc.om" "$tmp/fc-full.om")"
fi

out=
for sc in full hist sessions20 cold restoring dropped noblackout freezecarry; do
	"$bin" render "$sc" text 16 >"$tmp/promtool.prom"
	if ! o=$(promtool check metrics <"$tmp/promtool.prom" 2>&1); then
		out+="$sc: $o"$'\n'
	fi
done
if [[ -z $out ]]; then
	ok "promtool check metrics accepts the 0.0.4 text of every scenario"
else
	not_ok "promtool check metrics accepts the 0.0.4 text of every scenario" "$out"
fi
if [[ $(tail -n 1 "$tmp/full.om") == "# EOF" && $(grep -c '^# EOF$' "$tmp/full.om") == 1 ]] &&
   ! grep -q -e '^# EOF$' -e '^# UNIT' "$tmp/full.text"; then
	ok "OpenMetrics ends with '# EOF'; the 0.0.4 text has no EOF and no UNIT"
else
	not_ok "OpenMetrics ends with '# EOF'; the 0.0.4 text has no EOF and no UNIT"
fi

# The checks can fail: broken variants of correct output.
mutate()
{
	sed "$1" "$tmp/full.om" >"$tmp/mutant.om"
	if cmp -s "$tmp/full.om" "$tmp/mutant.om"; then
		not_ok "$2" "the sed expression '$1' changed nothing"
	else
		fails "$2" om "$tmp/mutant.om"
	fi
}
mutate '/^# EOF$/d' "the OpenMetrics check fails: no '# EOF'"
mutate '/^lu_trace_build_info/p' "the OpenMetrics check fails: a duplicate series"
mutate 's/^# TYPE liveupdate_errors counter/# TYPE liveupdate_errors_total counter/' \
	"the OpenMetrics check fails: a counter family named ..._total"
mutate 's/^\(liveupdate_operation_duration_seconds_count{op="retrieve"}\) 4/\1 5/' \
	"the OpenMetrics check fails: _count is not the +Inf bucket"
mutate '/^# HELP liveupdate_sessions /{h;d};/^liveupdate_sessions{direction="incoming"}/G' \
	"the OpenMetrics check fails: HELP after the samples"
mutate 's/^# UNIT liveupdate_preserved_bytes bytes/# UNIT liveupdate_preserved_bytes seconds/' \
	"the OpenMetrics check fails: a unit that is not the suffix"
sed 's/^\(liveupdate_operation_duration_seconds_bucket{op="preserve",le="4e-09"}\) 4$/\1 3/' \
	"$tmp/hist.om" >"$tmp/mutant.om"
if cmp -s "$tmp/hist.om" "$tmp/mutant.om"; then
	not_ok "the histogram check fails: a sample in the wrong bucket" "the sed changed nothing"
else
	fails "the histogram check fails: a sample in the wrong bucket" hist "$tmp/mutant.om" om
fi

# Broken variants of metrics.c: the checks above must catch each.
# mutant DESC SED-EXPR SCENARIO CHECK [ARGS...]: metrics.c edited by SED-EXPR
# renders SCENARIO (OpenMetrics), and "check.py CHECK FILE om ARGS" must fail.
mutant()
{
	local desc=$1 expr=$2 scenario=$3 cmd=$4 out

	shift 4
	sed "$expr" "$METRICS_C" >"$tmp/mutant.c"
	if cmp -s "$METRICS_C" "$tmp/mutant.c"; then
		not_ok "$desc" "the sed expression '$expr' changed nothing"
	elif ! out=$(build "$tmp/mutant" "$tmp/mutant.c" 2>&1); then
		not_ok "$desc" "the mutant does not build: $out"
	elif ! "$tmp/mutant" render "$scenario" om 16 >"$tmp/mutant.om" 2>/dev/null; then
		ok "$desc (it fails to render)"
	elif python3 "$check" "$cmd" "$tmp/mutant.om" om "$@" >/dev/null 2>&1; then
		not_ok "$desc" "check.py $cmd passed"
	else
		ok "$desc"
	fi
}
mutant "caught: le one slot off" 's/fmt_le(le, sizeof(le), k)/fmt_le(le, sizeof(le), k + 1)/' \
	hist hist
mutant "caught: the last (overflow) slot given a finite le" \
	's/high < LU_MAX_SLOTS - 2 ? high : LU_MAX_SLOTS - 2/high/' hist hist
mutant "caught: _count from hist.count instead of the slots" \
	's/h.count += h.slots\[k\];/h.count += h.slots[k] + (k == 0);/' hist hist
mutant "caught: one session fewer than --max-sessions" \
	's/in->max_sessions ? n : in->max_sessions;/in->max_sessions ? n : in->max_sessions - 1;/' \
	sessions20 sessions 16
mutant "caught: keeping the smallest sessions" \
	's/return x->v\[0\] > y->v\[0\] ? -1 : 1;/return x->v[0] > y->v[0] ? 1 : -1;/' \
	sessions20 sessions 16
mutant "caught: label values not escaped" "s/if (\\*s == '\\\\\\\\' || \\*s == '\"')/if (0)/" \
	sessions20 sessions 16
mutant "caught: last_blackout after a cold boot" \
	's/bool complete = \(.*\);$/bool complete = true || (\1);/' \
	cold blackout cold render
mutant "caught: closed outgoing sessions counted" \
	's/return !session_incoming(s) \&\& !(s->flags \& LU_S_RELEASED);/return 1;/' \
	full full
mutant "caught: no '# EOF'" 's/fputs("# EOF\\n", f);/fputs("", f);/' full om

# KHO debugfs -------------------------------------------------------------

mkdir -p "$tmp/kho/out" "$tmp/kho/bad"
printf '%s\n' 'order 0 blocks 10' 'order 9 blocks 3' 'pages 1546' 'bytes 6332416' \
	'tracker_bytes 12288' >"$tmp/kho/out/preserved"
printf '%s\n' '0 0x1000000 0x8000000' '1 0x100000000 0x4000000' '2 0 0' >"$tmp/kho/out/scratch"
printf '%s\n' 'pages 3' 'tracker_bytes 4096' >"$tmp/kho/bad/preserved"
printf '%s\n' '0 0x1000000 0x8000000' '1 0x100000000' >"$tmp/kho/bad/scratch"
for c in "out|preserved=1:6332416 scratch=1:201326592 rc=0" \
	 "bad|preserved=0:0 scratch=0:0 rc=-22" \
	 "none|preserved=0:0 scratch=0:0 rc=-2"; do
	got=$("$bin" kho "$tmp/kho/${c%%|*}")
	if [[ $got == "${c#*|}" ]]; then
		ok "KHO debugfs '${c%%|*}': $got"
	else
		not_ok "KHO debugfs '${c%%|*}'" "got $got" "expected ${c#*|}"
	fi
done

# The command -------------------------------------------------------------

run full --once
if [[ $rc == 0 ]] && out=$(python3 "$check" blackout "$tmp/stdout" om full 2>&1); then
	ok "--once prints the OpenMetrics text"
else
	not_ok "--once prints the OpenMetrics text" "exit $rc: $(cat "$tmp/stderr")" "${out:-}"
fi
run sessions20 --once --max-sessions 3
pycheck "--max-sessions 3 reaches the rendering" sessions "$tmp/stdout" om 3

mkdir "$tmp/tf"
run full --once -t "$tmp/tf/liveupdate.prom"
if [[ $rc == 0 && $(ls -A "$tmp/tf") == liveupdate.prom &&
      $(stat -c %a "$tmp/tf/liveupdate.prom") == 644 ]] &&
   promtool check metrics <"$tmp/tf/liveupdate.prom" >/dev/null 2>&1 &&
   python3 "$check" blackout "$tmp/tf/liveupdate.prom" text full >/dev/null; then
	ok "--once -t: a complete 0.0.4 textfile, mode 644, no temporary file left"
else
	not_ok "--once -t: a complete 0.0.4 textfile, mode 644, no temporary file left" \
		"exit $rc: $(cat "$tmp/stderr")" "files: $(ls -lA "$tmp/tf")"
fi

mkdir "$tmp/loop"
LU_EXPORT_TEST_TICK=1 "$bin" run full -t "$tmp/loop/liveupdate.prom" -i 0.1 \
	>"$tmp/loop.out" 2>"$tmp/loop.err" &
loop=$!
pids+=("$loop")
for _ in $(seq 50); do
	[[ -e $tmp/loop/liveupdate.prom ]] && break
	sleep 0.1
done
pycheck "textfile every 0.1 s: rewritten, and whole at every one of many reads" \
	watch "$tmp/loop/liveupdate.prom" 2
stop "$loop"
if [[ $rc == 0 && $(ls -A "$tmp/loop") == liveupdate.prom && ! -s $tmp/loop.err ]]; then
	ok "textfile loop: SIGTERM stops it (exit 0), no temporary file left"
else
	not_ok "textfile loop: SIGTERM stops it (exit 0), no temporary file left" \
		"exit $rc" "stderr: $(cat "$tmp/loop.err")" "files: $(ls -A "$tmp/loop")"
fi

run full --once -t "$tmp/missing/dir/liveupdate.prom"
expect_err "textfile in a missing directory" 1 \
	"lu-trace export: cannot write the textfile in $tmp/missing/dir: No such file or directory"
run full --once -t "$tmp/tf"
expect_err "textfile that is a directory" 1 "lu-trace export: $tmp/tf: Is a directory"
if [[ $(id -u) == 0 ]] && command -v setpriv >/dev/null; then
	mkdir -m 755 "$tmp/ro"
	rc=0
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$bin" run full --once \
		-t "$tmp/ro/liveupdate.prom" >"$tmp/stdout" 2>"$tmp/stderr" || rc=$?
	expect_err "textfile in a directory we cannot write (as nobody)" 1 \
		"lu-trace export: cannot write the textfile in $tmp/ro: Permission denied"
else
	skip "textfile in a directory we cannot write (needs root and setpriv)"
fi

msg="this kernel has no liveupdate trace events"
msg+=" (it needs CONFIG_LIVEUPDATE=y from the live update tree)"
rc=0
LU_EXPORT_TEST_BPF_FAIL=$msg "$bin" run full --once >"$tmp/stdout" 2>"$tmp/stderr" || rc=$?
expect_err "lu_bpf_start() failing: its message, exit 1" 1 "lu-trace export: $msg"
run noblackout --once
expect_err "no blackout file" 1 \
	"lu-trace export: this kernel has no live update blackout accounting (no $blackout)"
run badblackout --once
expect_err "unreadable blackout file" 1 "lu-trace export: $blackout: unexpected format"
rc=0
LU_EXPORT_TEST_SNAP_FAIL=1 "$bin" run full --once >"$tmp/stdout" 2>"$tmp/stderr" || rc=$?
expect_err "maps not readable" 1 "lu-trace export: reading the BPF maps: Input/output error"
run full -a 999.1.1.1
expect_err "bad address" 1 \
	"lu-trace export: invalid address '999.1.1.1': not an IPv4 or IPv6 address"

for args in "-t x.prom -p 9464" "-i 5" "-p 0" "-p 70000" "-p 12ab" "--max-sessions 0" \
	    "-i 0" "--once -a 127.0.0.1" "extra"; do
	# shellcheck disable=SC2086
	run full $args
	if [[ $rc == 64 && $(head -1 "$tmp/stderr") == "lu-trace export: "* ]]; then
		ok "usage error: $args"
	else
		not_ok "usage error: $args" "exit $rc: $(cat "$tmp/stderr")"
	fi
done
run full --help
if [[ $rc == 0 ]] && grep -q '^EXAMPLES:' "$tmp/stdout" &&
   grep -q -- '--max-sessions' "$tmp/stdout" && grep -q 'after export started' "$tmp/stdout"; then
	ok "--help: options, examples, what BPF cannot see"
else
	not_ok "--help: options, examples, what BPF cannot see" "$(cat "$tmp/stdout")"
fi

# HTTP ----------------------------------------------------------------------

port=$(free_port)
"$bin" run full -p "$port" >"$tmp/http.out" 2>"$tmp/http.err" &
srv=$!
pids+=("$srv")
if ! wait_port "$port"; then
	not_ok "HTTP server starts" "$(cat "$tmp/http.err")"
	tap_end
	exit 1
fi
if [[ $(cat "$tmp/http.out") == "lu-trace export: serving http://127.0.0.1:$port/metrics" ]]; then
	ok "HTTP server starts and says where"
else
	not_ok "HTTP server starts and says where" "$(cat "$tmp/http.out")"
fi

# http DESC REQUEST [check.py http options]: $status, $tmp/headers, $tmp/body
http()
{
	local out

	status=
	if out=$(printf '%b' "$2" | python3 "$check" http "$port" "$tmp/body" "${@:3}" \
		2>"$tmp/http.stderr"); then
		status=$(head -1 <<<"$out")
		tail -n +2 <<<"$out" >"$tmp/headers"
	else
		status="error: $(cat "$tmp/http.stderr")"
	fi
}
header()
{
	sed -n "s/^$1: //p" "$tmp/headers"
}

om_type="application/openmetrics-text; version=1.0.0; charset=utf-8"
http "" 'GET /metrics HTTP/1.1\r\nHost: localhost\r\nUser-Agent: test\r\n\r\n'
if [[ $status == 200 && $(header content-type) == "$om_type" &&
      $(tail -c 6 "$tmp/body" | xxd -p) == $(printf '# EOF\n' | xxd -p) ]] &&
   out=$(python3 "$check" blackout "$tmp/body" om full 2>&1); then
	ok "GET /metrics: 200, $om_type, Content-Length, ends with '# EOF\\n', valid"
else
	not_ok "GET /metrics: 200, OpenMetrics, Content-Length, ends with '# EOF\\n', valid" \
		"status $status" "$(cat "$tmp/headers" 2>/dev/null)" "${out:-}"
fi
prom_accept='application/openmetrics-text;version=1.0.0,'
prom_accept+='application/openmetrics-text;version=0.0.1;q=0.75,'
prom_accept+='text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
http "" "GET /metrics HTTP/1.1\\r\\nHost: x\\r\\nAccept: $prom_accept\\r\\n\\r\\n"
if [[ $status == 200 && $(header content-type) == "$om_type" ]]; then
	ok "GET /metrics with Prometheus' Accept: OpenMetrics"
else
	not_ok "GET /metrics with Prometheus' Accept: OpenMetrics" "status $status"
fi
http "" 'GET /metrics HTTP/1.1\r\nHost: x\r\naccept: text/plain;version=0.0.4\r\n\r\n'
if [[ $status == 200 && $(header content-type) == "text/plain; version=0.0.4; charset=utf-8" ]] &&
   promtool check metrics <"$tmp/body" >/dev/null 2>&1; then
	ok "GET /metrics accepting only text/plain: the 0.0.4 text, promtool-clean"
else
	not_ok "GET /metrics accepting only text/plain: the 0.0.4 text, promtool-clean" \
		"status $status" "$(cat "$tmp/headers" 2>/dev/null)"
fi
# expect_status DESC REQUEST CODE [check.py http options]
expect_status()
{
	http "" "$2" "${@:4}"
	if [[ $status == "$3" ]]; then
		ok "$1: $3"
	else
		not_ok "$1: $3" "status $status"
	fi
}
expect_status "GET /metrics?x=1, HTTP/1.0, bare LF" 'GET /metrics?x=1 HTTP/1.0\n\n' 200
expect_status "request in three pieces" 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n' 200 --chunks
expect_status "request line then EOF" 'GET /metrics HTTP/1.0\r\n' 200 --half-close
http "" 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'
if [[ $status == 200 && $(header content-type) == "text/html; charset=utf-8" ]] &&
   grep -q 'href="/metrics"' "$tmp/body"; then
	ok "GET /: 200, HTML pointing to /metrics"
else
	not_ok "GET /: 200, HTML pointing to /metrics" "status $status"
fi
expect_status "GET /nope" 'GET /nope HTTP/1.1\r\nHost: x\r\n\r\n' 404
expect_status "GET /metrics/" 'GET /metrics/ HTTP/1.1\r\n\r\n' 404
expect_status "POST /metrics with a body" \
	'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello' 405
if [[ $(header allow) == GET ]]; then
	ok "405 says Allow: GET"
else
	not_ok "405 says Allow: GET" "$(cat "$tmp/headers")"
fi
expect_status "HEAD /metrics" 'HEAD /metrics HTTP/1.1\r\n\r\n' 405
expect_status "garbage" 'HELLO WORLD\r\n\r\n' 400
expect_status "HTTP/9.9" 'GET /metrics HTTP/9.9\r\n\r\n' 400
expect_status "no leading slash" 'GET metrics HTTP/1.1\r\n\r\n' 400
expect_status "two spaces" 'GET  /metrics HTTP/1.1\r\n\r\n' 400
expect_status "NUL in the request line" 'GET /metrics\0 HTTP/1.1\r\n\r\n' 400
expect_status "8 KiB without a line end" "$(head -c 9000 /dev/zero | tr '\0' A)" 400
expect_status "headers over 8 KiB" \
	"GET /metrics HTTP/1.1\\r\\nX-Big: $(head -c 9000 /dev/zero | tr '\0' a)\\r\\n\\r\\n" 431
pycheck "an idle client holds no one up, and gets 408 after 5 s" idle "$port"
expect_status "still serving after all that" 'GET /metrics HTTP/1.1\r\n\r\n' 200

rc=0
"$bin" run full -p "$port" >"$tmp/stdout" 2>"$tmp/stderr" || rc=$?
expect_err "port in use" 1 \
	"lu-trace export: cannot listen on 127.0.0.1:$port: Address already in use"

port2=$(free_port)
LU_EXPORT_TEST_SNAP_FAIL=1 "$bin" run full -p "$port2" >/dev/null 2>"$tmp/http500.err" &
srv500=$!
pids+=("$srv500")
wait_port "$port2" || true
saved=$port
port=$port2
expect_status "GET /metrics when the maps cannot be read" 'GET /metrics HTTP/1.1\r\n\r\n' 500
port=$saved
stop "$srv500"

if port6=$(free_port) && command -v curl >/dev/null &&
   python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	"$bin" run full -a ::1 -p "$port6" >"$tmp/v6.out" 2>"$tmp/v6.err" &
	v6=$!
	pids+=("$v6")
	code=
	for _ in $(seq 50); do
		code=$(curl -g -s -o /dev/null -w '%{http_code}' "http://[::1]:$port6/metrics") &&
			break
		sleep 0.1
	done
	if [[ $code == 200 && $(cat "$tmp/v6.out") == *"http://[::1]:$port6/metrics" ]]; then
		ok "-a ::1: IPv6"
	else
		not_ok "-a ::1: IPv6" "code $code" "$(cat "$tmp/v6.out" "$tmp/v6.err")"
	fi
	stop "$v6"
else
	skip "-a ::1 (no IPv6 loopback or no curl)"
fi

# A real Prometheus scraping the server, with the rules of dashboards/.
if command -v prometheus >/dev/null; then
	pport=$(free_port)
	cat >"$tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $repo/dashboards/rules/liveupdate.rules.yml
scrape_configs:
  - job_name: liveupdate
    static_configs:
      - targets: ['127.0.0.1:$port']
EOF
	prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/prom" \
		--web.listen-address="127.0.0.1:$pport" >"$tmp/prom.log" 2>&1 &
	prom=$!
	pids+=("$prom")
	pycheck "Prometheus scrapes /metrics (OpenMetrics) without error" targets "$pport" 30
	pycheck "Prometheus: liveupdate_last_blackout_seconds" \
		prom "$pport" 'liveupdate_last_blackout_seconds{job="liveupdate"}' 2.090764194 10
	pycheck "Prometheus: a bucket by its le" \
		prom "$pport" \
		'liveupdate_operation_duration_seconds_bucket{op="retrieve",le="0.000131072"}' 3 10
	pycheck "Prometheus: the recording rule job:liveupdate_last_blackout_seconds:max" \
		prom "$pport" 'job:liveupdate_last_blackout_seconds:max' 2.090764194 15
	pycheck "Prometheus: the phases add up" prom "$pport" \
		'abs(sum(liveupdate_last_blackout_phase_seconds)
		     - on() liveupdate_last_blackout_seconds) < bool 1e-9' 1 10
	pycheck "Prometheus: build and kernel info" \
		prom "$pport" \
		'count(lu_trace_build_info * on(instance) group_left(release)
		       liveupdate_kernel_info)' \
		1 10
	stop "$prom"
else
	skip "a real Prometheus scraping the server (no prometheus binary)"
fi

stop "$srv"
if [[ $rc == 0 && ! -s $tmp/http.err ]]; then
	ok "HTTP server: SIGTERM stops it (exit 0), nothing on stderr"
else
	not_ok "HTTP server: SIGTERM stops it (exit 0), nothing on stderr" "exit $rc" \
		"$(cat "$tmp/http.err")"
fi

tap_end
