#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# lu-trace export through a live update, scraped by a real Prometheus: start
# Prometheus on the host's loopback (with dashboards/rules), run the guest
# test lu_export with a QEMU user-network port forward from 127.0.0.1 to the
# guest's exporter, then check the series through the HTTP API
# (prom_check.py), every dashboard panel query, and `promtool check metrics`
# on the expositions the guest saved.
#
#   prom_test.sh WORKDIR VMTEST_COMMAND...

set -uo pipefail

[ $# -ge 2 ] || { echo "usage: $0 WORKDIR VMTEST_COMMAND..." >&2; exit 2; }
work=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
dash=$(cd "$here/../../../dashboards" && pwd)
prom_pid=

cleanup() { [ -n "$prom_pid" ] && kill "$prom_pid" 2> /dev/null && wait "$prom_pid" 2> /dev/null; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

rm -rf "$work"
mkdir -p "$work/out" || exit 2
exp_port=$(free_port)
prom_port=$(free_port)
cat > "$work/prometheus.yml" <<EOT
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $dash/rules/liveupdate.rules.yml
scrape_configs:
  - job_name: liveupdate
    scrape_timeout: 900ms
    static_configs:
      - targets: ['127.0.0.1:$exp_port']
EOT
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
	--web.listen-address="127.0.0.1:$prom_port" > "$work/prometheus.log" 2>&1 &
prom_pid=$!
for _ in $(seq 100); do
	curl -sf "http://127.0.0.1:$prom_port/-/ready" > /dev/null && break
	sleep 0.2
done
curl -sf "http://127.0.0.1:$prom_port/-/ready" > /dev/null ||
	{ echo "prom_test: Prometheus did not start:"; tail -5 "$work/prometheus.log"; exit 1; }
echo "  PROM      Prometheus on 127.0.0.1:$prom_port scrapes 127.0.0.1:$exp_port (the guest's 9464)"

mke2fs -q -t ext2 -F "$work/disk.img" 64M || exit 2
start=$(date +%s)
"$@" -n lu_export -t lu_export -c 1 -F "$work/disk.img" -N "$exp_port" || exit 1
end=$(date +%s)
sleep 2	# the last rule evaluations
python3 "$here/prom_check.py" "http://127.0.0.1:$prom_port" "$start" "$end" "$dash" || exit 1
debugfs -R "rdump / $work/out" "$work/disk.img" > /dev/null 2>&1
rc=0
for f in before after; do
	if promtool check metrics < "$work/out/$f.prom"; then
		echo "ok - promtool check metrics: the exposition $f the kexec"
	else
		echo "not ok - promtool check metrics: the exposition $f the kexec"
		rc=1
	fi
done
exit $rc
