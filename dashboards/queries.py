#!/usr/bin/env python3
r"""Print every panel target expression of the live update dashboards.

Usage: queries.py [--job JOB] [--instance REGEX] [--rate-interval DUR]
                  [--interval DUR] [--range DUR] [--as-rules] [DASHBOARD.json ...]

One line per target, in dashboard file / panel / target order:

    <dashboard uid> TAB <panel title> TAB <expr>

with the Grafana variables replaced so that the expression can be sent as
is to a Prometheus (/api/v1/query):

    ${datasource}         removed (it only names the Grafana data source)
    $job                  liveupdate          (--job)
    $instance             .*                  (--instance; the dashboards use
                                               instance=~"$instance")
    other query variables their "All" value (allValue, else .*), e.g. $op
    $__rate_interval      1m                  (--rate-interval)
    $__interval           1m                  (--interval), $__interval_ms in ms
    $__range              1h                  (--range), $__range_s / _ms

Values of dashboard variables (not the $__ built-ins) are quoted for the
PromQL "..." string they stand in: --instance '10\.0\.0\.1:9464' gives
instance=~"10\\.0\\.0\\.1:9464", i.e. the regex 10\.0\.0\.1:9464.
The forms $var, ${var}, ${var:format} and [[var]] are all replaced; an
unknown variable is an error (exit status 1). Newlines inside an expr
become spaces, so each target stays on one line. Panel titles are printed
as written (a repeated panel keeps its "$op" title).

--as-rules prints, instead, a Prometheus rule file (JSON, which is YAML)
with one recording rule per expression, so that `promtool check rules`
can syntax-check every dashboard query without a server (check.sh does).
"""

import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lint  # noqa: E402  (same directory; shares the JSON loader and panel walk)

VAR_RE = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)")
DURATION_RE = re.compile(r"^(\d+)(ms|s|m|h|d|w|y)$")
UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def seconds(duration):
    m = DURATION_RE.match(duration)
    if not m:
        raise SystemExit("queries.py: %r is not a simple Prometheus duration like 1m" % duration)
    return int(m.group(1)) * UNIT_SECONDS[m.group(2)]


def values_for(dash, args):
    """Map every variable name of the dashboard to its concrete value."""
    values = {
        "datasource": "",
        "job": args.job,
        "instance": args.instance,
        "__rate_interval": args.rate_interval,
        "__interval": args.interval,
        "__interval_ms": "%d" % (seconds(args.interval) * 1000),
        "__range": args.range,
        "__range_s": "%d" % seconds(args.range),
        "__range_ms": "%d" % (seconds(args.range) * 1000),
    }
    for var in (dash.get("templating") or {}).get("list") or []:
        name = var.get("name")
        if not name or name in values:
            continue
        if var.get("includeAll"):
            values[name] = var.get("allValue") or ".*"
        else:
            current = (var.get("current") or {}).get("value")
            if isinstance(current, list):
                current = current[0] if len(current) == 1 else "|".join(current)
            values[name] = current if isinstance(current, str) and current else ".*"
    return values


def substitute(expr, values, where):
    def repl(m):
        name = m.group(1) or m.group(2) or m.group(3)
        if name not in values:
            raise SystemExit("queries.py: %s: unknown variable $%s in %r" % (where, name, expr))
        value = values[name]
        if not name.startswith("__"):
            # Dashboard variables stand inside PromQL "..." strings (matchers):
            # quote a regex such as 10\.0\.0\.1:9464 for that string.
            value = value.replace("\\", "\\\\").replace('"', '\\"')
        return value
    return " ".join(VAR_RE.sub(repl, expr).split())


def queries(files, args):
    """Yield (uid, panel title, concrete expr) for every panel target."""
    for path in files:
        try:
            _, dash = lint.load(path)
        except (OSError, ValueError) as e:
            raise SystemExit("queries.py: %s: %s" % (path, e))
        values = values_for(dash, args)
        uid = dash.get("uid", os.path.basename(path))
        for panel in lint.iter_panels(dash.get("panels")):
            for target in panel.get("targets") or []:
                expr = target.get("expr")
                if not isinstance(expr, str) or not expr.strip():
                    continue
                where = '%s panel "%s" target %s' % (uid, panel.get("title"), target.get("refId"))
                title = " ".join(str(panel.get("title", "")).split())
                yield uid, title, substitute(expr, values, where)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--job", default="liveupdate")
    p.add_argument("--instance", default=".*")
    p.add_argument("--rate-interval", default="1m")
    p.add_argument("--interval", default="1m")
    p.add_argument("--range", default="1h")
    p.add_argument("--as-rules", action="store_true")
    p.add_argument("dashboards", nargs="*")
    args = p.parse_args(argv)
    files = args.dashboards or sorted(
        os.path.join(HERE, f) for f in os.listdir(HERE) if f.endswith(".json"))
    rows = list(queries(files, args))
    if not rows:
        print("queries.py: no panel targets found", file=sys.stderr)
        return 1
    if args.as_rules:
        rules = [{"record": "dashboard_query:%s:q%03d" % (re.sub(r"\W", "_", uid), i), "expr": expr}
                 for i, (uid, _, expr) in enumerate(rows, 1)]
        print(json.dumps({"groups": [{"name": "dashboard-queries", "rules": rules}]}, indent=2))
        return 0
    for uid, title, expr in rows:
        print("%s\t%s\t%s" % (uid, title, expr))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
