#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Check what lu_trace_tool (the guest test) left on its disk: lu-trace's
# report, timeline, blackout and kho outputs against the known workload.
#
#   check_recording.py DIR
#
# Prints TAP; exits 1 if any check fails.

import json
import os
import sys

PAGE = 4096
PHASES = ["freeze", "serialize", "shutdown", "jump", "kho", "boot", "userspace", "restore"]
OPS = ["preserve", "freeze", "retrieve", "finish"]

results = []


def check(ok, what):
    results.append((bool(ok), what))
    print(("ok" if ok else "not ok") + " %d - %s" % (len(results), what))
    return ok


def b_freeze_ok(b, nfiles):
    return b.get("freeze", {}).get("count") == nfiles


def load_json(d, name):
    path = os.path.join(d, name)
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        check(False, "%s parses as JSON (%s)" % (name, e))
        return None
    check(True, "%s parses as JSON" % name)
    return data


def main():
    d = sys.argv[1]
    expect = {}
    with open(os.path.join(d, "workload.txt")) as f:
        for line in f:
            session, _token, size = line.split()
            e = expect.setdefault(session, {"files": 0, "pages": 0, "bytes": 0})
            e["files"] += 1
            e["pages"] += int(size) // PAGE
            e["bytes"] += int(size)
    nfiles = sum(e["files"] for e in expect.values())

    report = load_json(d, "report.json")
    blackout = load_json(d, "blackout.json")
    timeline = load_json(d, "timeline.json")
    cold = load_json(d, "blackout-cold.json")
    kho_out = load_json(d, "kho-out.json")
    kho_in = load_json(d, "kho-in.json")
    if None in (report, blackout, timeline, cold, kho_out, kho_in):
        return finish()

    # The report: sessions, files, pages and bytes, exactly.
    check(len(report["segments"]) == 2 and all(s["complete"] for s in report["segments"]),
          "report joins 2 complete segments (before and after the kexec)")
    check(report["segments"][0]["boot_id"] != report["segments"][1]["boot_id"],
          "the two segments come from different boots")
    check(report["drops"] == 0, "no events lost")
    # app-flb: a session closed before the kexec, for the FLB events.
    sessions = {s["name"]: s for s in report["sessions"] if s["name"] != "app-flb"}
    check(sorted(sessions) == sorted(expect),
          "report has exactly the sessions %s (%s)" % (sorted(expect), sorted(sessions)))
    for name, e in sorted(expect.items()):
        s = sessions.get(name)
        if not s:
            continue
        for side in ("preserved", "restored"):
            check(s[side] == e, "%s %s %s (%s)" % (name, side, e, s[side]))
        check(s["created"] and s["retrieved"] and s["finished"] and s["errors"] == 0,
              "%s created, retrieved, finished, no errors" % name)
        for op, ev in (("preserve", "file_preserve"), ("retrieve", "file_retrieve"),
                       ("finish", "file_finish")):
            h = s["latency"][op]
            check(h["count"] == sum(h["slots"]) == s["events"].get(ev, 0) == e["files"],
                  "%s %s histogram total %d = slots %d = %s events %d = %d files" %
                  (name, op, h["count"], sum(h["slots"]), ev, s["events"].get(ev, 0),
                   e["files"]))
            check(h["count"] == 0 or h["p50_ns"] <= h["p99_ns"] <= max(h["max_ns"], 1),
                  "%s %s p50 <= p99 <= max" % (name, op))
    ev = report["events"]
    n = len(expect)
    check(ev.get("session_create") == n + 1 and ev.get("session_retrieve") == n and
          ev.get("session_finish") == n,
          "%d sessions created (and app-flb), %d retrieved, finished" % (n, n))
    check(ev.get("flb_preserve") == 1 and ev.get("flb_unpreserve") == 1 and
          not ev.get("flb_retrieve") and not ev.get("flb_finish"),
          "the test FLB preserved and unpreserved once (%s)" %
          {k: v for k, v in ev.items() if k.startswith("flb_")})
    check(ev.get("file_preserve") == nfiles + 1 and ev.get("memfd_preserve") == nfiles and
          ev.get("file_retrieve") == nfiles and ev.get("memfd_retrieve") == nfiles,
          "%d file (and the FLB file) and memfd preserve and retrieve events" % nfiles)
    fz = report["latency"]["freeze"]
    check(report["freeze_source"] == "kernel" and fz["count"] == nfiles == sum(fz["slots"]) and
          fz["max_ns"] <= fz["sum_ns"] and b_freeze_ok(blackout, nfiles),
          "freeze latency of the %d files, measured by the old kernel and carried over" % nfiles)
    for op in OPS:
        h = report["latency"][op]
        check(h["count"] == sum(h["slots"]),
              "overall %s histogram total %d = its slots" % (op, h["count"]))
    check(report["consistency"]["checked"] > 0 and report["consistency"]["mismatches"] == 0,
          "every map histogram equals the streamed events (%s)" % report["consistency"])
    check(report["errors"] == [], "no errors by step")

    # The blackout: present, ordered, adding up.
    b = blackout
    check(cold["state"] == "none" and cold["updates"] == 0, "cold boot shows no update")
    check(b["state"] == "complete" and b["updates"] == 1 and b["sessions"] == n and
          b["files"] == nfiles, "blackout: update 1 complete, %d sessions, %d files" %
          (n, nfiles))
    names = [p["name"] for p in b["phases"]]
    check(names == PHASES, "all 8 phases in order (%s)" % names)
    contiguous = all(b["phases"][i]["start_ns"] + b["phases"][i]["duration_ns"] ==
                     b["phases"][i + 1]["start_ns"] for i in range(len(b["phases"]) - 1))
    check(contiguous and all(p["duration_ns"] >= 0 for p in b["phases"]),
          "phases are contiguous and not negative")
    total = sum(p["duration_ns"] for p in b["phases"])
    check(total == b["total_ns"] > 0, "phases add up to the total (%d = %d)" %
          (total, b["total_ns"]))
    check(report["blackout"] == b, "the report carries the same blackout")

    # The timeline: one track per session, both kernels on one clock.
    evs = timeline["traceEvents"]
    tracks = {e["tid"]: e["args"]["name"] for e in evs
              if e.get("ph") == "M" and e["name"] == "thread_name"}
    check(sorted(v for v in tracks.values() if v.startswith("session ")) ==
          sorted("session " + s for s in list(expect) + ["app-flb"]),
          "a timeline track per session")
    check([e["args"]["name"] for e in evs if e.get("name") == "flb_preserve"] ==
          ["luo-test-flb-v1"] and
          all(e["tid"] == 2 for e in evs if e.get("name", "").startswith("flb_")),
          "the timeline shows the FLB's preserve, on the LUO / KHO track")
    spans = [e for e in evs if e.get("ph") == "X"]
    check(all(e["ts"] >= 0 and e["dur"] >= 0 for e in spans) and
          all(e.get("ts", 0) >= 0 for e in evs), "timestamps are not negative")
    pres = [e for e in spans if e["name"] == "file_preserve"]
    retr = [e for e in spans if e["name"] == "file_retrieve"]
    phases = {e["name"]: e for e in spans if e.get("cat") == "blackout"}
    check(len(pres) == nfiles + 1 and len(retr) == nfiles and len(phases) == 8,
          "%d preserve (the FLB file's too) and %d retrieve spans, 8 blackout phases" %
          (len(pres), len(retr)))
    if len(phases) == 8 and pres and retr:
        reboot = phases["freeze"]["ts"]
        check(max(e["ts"] + e["dur"] for e in pres) <= reboot + 1 and
              min(e["ts"] for e in retr) + 1 >= phases["userspace"]["ts"],
              "preserves end before the reboot, retrieves start after LUO is ready")

    # KHO: the handover tree before, and what arrived after.
    out = kho_out["out"]
    subtrees = [s["name"] for s in out["subtrees"]]
    check("LUO" in subtrees and "LUO-blackout" in subtrees,
          "kho: LUO and LUO-blackout subtrees before the kexec (%s)" % subtrees)
    pages = sum(e["pages"] for e in expect.values())
    check(out["pages"] >= pages, "kho: at least the %d memfd pages preserved (%d)" %
          (pages, out["pages"]))
    check(kho_in.get("in") is not None, "kho: the handover arrived in the new kernel")
    return finish()


def finish():
    failed = [w for ok, w in results if not ok]
    print("# %d checks, %d failed" % (len(results), len(failed)))
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
