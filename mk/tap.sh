# SPDX-License-Identifier: GPL-2.0
# TAP output for the project's shell tests. Sourced, never executed:
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
