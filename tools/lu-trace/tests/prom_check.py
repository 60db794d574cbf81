#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# After lu_export ran a live update while a real Prometheus scraped
# `lu-trace export` in the guest: check the series through Prometheus's HTTP
# API, and evaluate every dashboard panel query.
#
#   prom_check.py PROMETHEUS_URL START END DASHBOARDS_DIR
#
# Prints TAP; exits 1 if any check fails.

import json
import subprocess
import sys
import urllib.parse
import urllib.request

PHASES = ["freeze", "serialize", "shutdown", "jump", "kho", "boot", "userspace", "restore"]
results = []


def check(ok, what):
    results.append(bool(ok))
    print(("ok" if ok else "not ok") + " %d - %s" % (len(results), what))
    return ok


def api(url, path, **params):
    q = urllib.parse.urlencode(params)
    with urllib.request.urlopen("%s/api/v1/%s?%s" % (url, path, q), timeout=30) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise RuntimeError("%s: %s" % (path, body))
    return body["data"]["result"]


def main():
    url, start, end, dashboards = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]

    def rng(expr):
        return api(url, "query_range", query=expr, start=start, end=end, step="1s")

    def values(expr):
        return [float(v) for s in rng(expr) for _, v in s["values"]]

    up = values('up{job="liveupdate"}')
    check(up.count(1.0) >= 4 and 0.0 in up,
          "the exporter was scraped (up=1 %d times) and was down across the kexec" %
          up.count(1.0))
    # The last instant the exporter answered: where panels are evaluated.
    ups = rng('up{job="liveupdate"} == 1')
    last = max(float(t) for s in ups for t, _ in s["values"]) if ups else end

    done = values("liveupdate_updates_completed_total")
    check(done and min(done) == 0 and max(done) == 1,
          "updates completed went from 0 to 1 (seen %s)" % sorted(set(done)))
    failed = values("liveupdate_updates_failed_total")
    check(failed and set(failed) == {0.0}, "no failed updates (seen %s)" % sorted(set(failed)))

    before = rng("liveupdate_preserved_bytes")
    sessions = {s["metric"].get("session"): max(float(v) for _, v in s["values"]) for s in before}
    check(sessions.get("web") == 3 << 20 and sessions.get("db") == 4 << 20,
          "before the kexec: preserved bytes per session %s" % sessions)
    after = rng("liveupdate_restored_bytes")
    restored = {s["metric"].get("session"): max(float(v) for _, v in s["values"]) for s in after}
    check(restored.get("web") == 3 << 20 and restored.get("db") == 4 << 20,
          "after the kexec: restored bytes per session %s" % restored)
    files = values('liveupdate_restored_files{session="web"}')
    check(files and max(files) == 2, "after the kexec: 2 files restored in web")

    phases = api(url, "query", query="liveupdate_last_blackout_phase_seconds", time=last)
    by = {s["metric"]["phase"]: float(s["value"][1]) for s in phases}
    check(sorted(by) == sorted(PHASES), "the blackout's 8 phases (%s)" % sorted(by))
    total = api(url, "query", query="liveupdate_last_blackout_seconds", time=last)
    total = float(total[0]["value"][1]) if total else -1
    check(total > 0 and abs(sum(by.values()) - total) <= 1e-6 * max(total, 1),
          "phases add up to the blackout (%.6f s = %.6f s)" % (sum(by.values()), total))
    hist = api(url, "query", query='liveupdate_operation_duration_seconds_count{op="retrieve"}',
               time=last)
    check(hist and float(hist[0]["value"][1]) == 3, "retrieve latency histogram counted 3 files")

    out = subprocess.run([sys.executable, dashboards + "/queries.py"], capture_output=True,
                         text=True, check=True).stdout.splitlines()
    empty = []
    for line in out:
        uid, title, expr = line.split("\t", 2)
        try:
            res = api(url, "query", query=expr, time=last)
        except Exception as e:  # noqa: BLE001 (report any failure)
            res = None
            title += " (%s)" % e
        if not res:
            empty.append("%s / %s: %s" % (uid, title, expr))
    for e in empty:
        print("# no data: " + e)
    check(out and not empty, "all %d dashboard panel queries return data (%d empty)" %
          (len(out), len(empty)))
    rules = api(url, "query", query='ALERTS{alertname=~"LiveUpdate.*",alertstate="firing"}',
                time=last)
    print("# alerts firing at the end: %s" % [r["metric"]["alertname"] for r in rules])
    print("# %d checks, %d failed" % (len(results), results.count(False)))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
