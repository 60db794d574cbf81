#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# check_report.py DIR: what lu_keep_memcached left on its disk. lu-trace's
# report of the run must name lu-keep's session "memcached" with the files
# and bytes lu-keep said it preserved (keep-expected.txt), on both sides of
# the kexec. Prints TAP; exits 1 if any check fails.

import json
import os
import sys

results = []


def check(ok, what):
    results.append(bool(ok))
    print(("ok" if ok else "not ok") + " %d - %s" % (len(results), what))


def main():
    d = sys.argv[1]
    expect = []
    try:
        with open(os.path.join(d, "keep-expected.txt")) as f:
            for line in f:
                w = line.split()
                expect.append({"files": int(w[3]), "bytes": int(w[5])})
    except (OSError, ValueError, IndexError) as e:
        check(False, "keep-expected.txt readable (%s)" % e)
        return 1
    check(len(expect) == 1 and expect[0]["bytes"] > 256 << 20,
          "lu-keep preserved once, %s" % expect)
    try:
        with open(os.path.join(d, "keep-report.json")) as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        check(False, "keep-report.json parses as JSON (%s)" % e)
        return 1
    check(len(report["segments"]) == 2 and all(s["complete"] for s in report["segments"]),
          "the report joins 2 complete segments (before and after the kexec)")
    sessions = {s["name"]: s for s in report["sessions"]}
    check(list(sessions) == ["memcached"],
          "the report has lu-keep's session memcached and no other (%s)" % list(sessions))
    s = sessions.get("memcached")
    if not s or not expect:
        return 1
    e = expect[0]
    for side in ("preserved", "restored"):
        got = s[side]
        check(got["files"] == e["files"] and got["bytes"] == e["bytes"] and got["pages"] > 0,
              "memcached %s %d files, %d bytes, as lu-keep said (report: %d files, %d bytes, "
              "%d pages)" % (side, e["files"], e["bytes"], got["files"], got["bytes"],
                             got["pages"]))
    check(s["created"] and s["retrieved"] and s["finished"] and s["errors"] == 0,
          "memcached created, retrieved, finished, no errors")
    ev = s["events"]
    check(ev.get("file_preserve") == e["files"] and ev.get("file_retrieve") == e["files"],
          "%d file preserve and retrieve events (%s)" % (e["files"], ev))
    check(report["drops"] == 0, "no events lost")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
