#!/usr/bin/env bash
# Check the live update dashboards and Prometheus rules.
#
#   ./check.sh            (from any directory)
#
# 1. promtool check rules   rules/liveupdate.rules.yml
# 2. promtool test rules    rules/liveupdate.rules.test.yml
# 3. python3 lint.py        the dashboard linter (uid, id, datasource,
#                           $__rate_interval, units, titles, descriptions ...)
# 4. queries.py             every panel query, with the variables substituted,
#                           parsed by promtool (as recording rules) and checked
#                           for leftover variables.
# Exits non-zero on the first failure. Needs promtool (Debian: apt-get install
# prometheus) and python3.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

for tool in promtool python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "check.sh: $tool not found (Debian: apt-get install --no-install-recommends prometheus python3)" >&2
		exit 1
	fi
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

step() { printf '\n== %s\n' "$*"; }

step "promtool check rules rules/liveupdate.rules.yml"
promtool check rules rules/liveupdate.rules.yml

step "promtool test rules rules/liveupdate.rules.test.yml"
(cd rules && promtool test rules liveupdate.rules.test.yml)

step "dashboard lint (lint.py)"
python3 lint.py

step "dashboard queries (queries.py)"
python3 queries.py >"$tmp/queries.tsv"
n="$(wc -l <"$tmp/queries.tsv")"
if [ "$n" -eq 0 ]; then
	echo "check.sh: queries.py printed no query" >&2
	exit 1
fi
# Three tab-separated fields and no Grafana variable left in the expr.
if ! awk -F'\t' 'NF != 3 || $3 ~ /\$/ { printf "check.sh: bad queries.py line %d: %s\n", NR, $0; bad = 1 } END { exit bad }' "$tmp/queries.tsv" >&2; then
	exit 1
fi
python3 queries.py --as-rules >"$tmp/queries.rules.yml"
promtool check rules "$tmp/queries.rules.yml" >"$tmp/promtool.out" 2>&1 || {
	cat "$tmp/promtool.out" >&2
	# Rule dashboard_query:<uid>:qNNN is line NNN of the queries.py output.
	grep -o ':q[0-9]*"' "$tmp/promtool.out" | tr -dc '0-9\n' | sort -un | while read -r line; do
		line=$((10#$line))
		printf 'check.sh: query %s does not parse: %s\n' "$line" "$(sed -n "${line}p" "$tmp/queries.tsv")" >&2
	done
	exit 1
}
echo "queries: $n panel queries parse with promtool"

printf '\ncheck.sh: all checks passed\n'
