# SPDX-License-Identifier: GPL-2.0
# TAP output for the project's shell tests (bash). Sourced, never executed:
#
#   . mk/tap.sh
#   tap_header [N]              "TAP version 13", and the plan if N is known
#   tap_ok DESC                 "ok K - DESC"
#   tap_not_ok DESC [DETAIL...] "not ok K - DESC", each DETAIL as "#   " lines
#   tap_skip DESC WHY           "ok K - DESC # SKIP WHY"
#   tap_result RC DESC [DETAIL...]  tap_ok if RC is 0, else tap_not_ok
#   tap_end                     the plan if tap_header had none, a "# N of M"
#                               line; returns non-zero if any test failed
#
# For tests of a command's output (DIR: a scratch directory):
#   tap_run DIR CMD...          run CMD: exit code in $rc, output in
#                               DIR/stdout and DIR/stderr
#   tap_expect DIR DESC RC STDOUT STDERR
#                               the last tap_run exited with RC and printed
#                               exactly STDOUT and STDERR
#   tap_expect_json DIR DESC RC PRELUDE EXPR
#                               it exited with RC and printed valid JSON
#                               for which the python3 EXPR is true (j: the
#                               JSON; PRELUDE: python3 run before, or "")
#
# tap_n and tap_failed count the tests printed and the ones that failed.

tap_n=0
tap_failed=0
tap_planned=

tap_header() {
	echo "TAP version 13"
	tap_planned=${1:-}
	[ -z "$tap_planned" ] || echo "1..$tap_planned"
}

tap_ok() {
	tap_n=$((tap_n + 1))
	printf 'ok %d - %s\n' "$tap_n" "$1"
}

tap_not_ok() {
	local line

	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	printf 'not ok %d - %s\n' "$tap_n" "$1"
	shift
	for line in "$@"; do
		printf '%s\n' "$line" | head -n 20 | sed 's/^/#   /'
	done
}

tap_skip() {
	tap_n=$((tap_n + 1))
	printf 'ok %d - %s # SKIP %s\n' "$tap_n" "$1" "$2"
}

tap_result() {
	local rc=$1

	shift
	if [ "$rc" = 0 ]; then
		tap_ok "$1"
	else
		tap_not_ok "$@"
	fi
}

tap_run() {
	local dir=$1

	shift
	rc=0
	"$@" > "$dir/stdout" 2> "$dir/stderr" || rc=$?
}

tap_expect() {
	local dir=$1 desc=$2 want_rc=$3 want_out=$4 want_err=$5

	if [[ $rc != "$want_rc" ]]; then
		tap_not_ok "$desc" "exit code $rc, expected $want_rc" "stderr: $(head -3 "$dir/stderr")"
	elif [[ $(cat "$dir/stdout") != "$want_out" ]]; then
		tap_not_ok "$desc" "stdout differs:" "$(diff <(echo "$want_out") "$dir/stdout" || true)"
	elif [[ $(cat "$dir/stderr") != "$want_err" ]]; then
		tap_not_ok "$desc" "stderr differs:" "$(diff <(echo "$want_err") "$dir/stderr" || true)"
	else
		tap_ok "$desc"
	fi
}

tap_expect_json() {
	local dir=$1 desc=$2 want_rc=$3 prelude=$4 cond=$5

	if [[ $rc != "$want_rc" ]]; then
		tap_not_ok "$desc" "exit code $rc, expected $want_rc" "stderr: $(head -3 "$dir/stderr")"
	elif ! python3 -m json.tool "$dir/stdout" > /dev/null 2> "$dir/json.err"; then
		tap_not_ok "$desc" "invalid JSON: $(cat "$dir/json.err")"
	elif ! python3 -c "import json, sys; j = json.load(open(sys.argv[1]))
$prelude
sys.exit(0 if ($cond) else 1)" "$dir/stdout"; then
		tap_not_ok "$desc" "JSON check failed: $cond" "$(head -c 600 "$dir/stdout")"
	else
		tap_ok "$desc"
	fi
}

tap_end() {
	local short=0

	[ -n "$tap_planned" ] || echo "1..$tap_n"
	if [ -n "$tap_planned" ] && [ "$tap_planned" != "$tap_n" ]; then
		echo "# planned $tap_planned tests, ran $tap_n"
		short=1
	fi
	echo "# $((tap_n - tap_failed)) of $tap_n passed"
	[ "$tap_failed" = 0 ] && [ "$short" = 0 ]
}
