#!/usr/bin/env python3
"""Lint the live update Grafana dashboards (python3 standard library only).

Usage: lint.py [--fix] [DASHBOARD.json ...]

Without arguments every *.json file next to this script is checked. The
rules (see README.md):

  * the file is valid JSON without duplicate keys, and normalised: keys
    sorted, 2-space indent, one trailing newline (--fix rewrites it so);
  * "uid" is fixed: a string of 1..40 characters [A-Za-z0-9_-], unique over
    all the dashboards checked; "id" is null; "version" is 1; the dashboard
    has a title and a description;
  * the templating has a `datasource` variable (type datasource, query
    prometheus) and `job` and `instance` query variables; every query
    variable uses the ${datasource} variable;
  * every panel has a title, a description, fieldConfig.defaults.unit and
    datasource {"type": "prometheus", "uid": "${datasource}"}; every target
    (and every Prometheus annotation) has that datasource too;
  * every target has an expr and a unique refId; every rate(), irate() and
    increase() takes its range as [$__rate_interval], and no range selector
    is hard-coded; every expr filters on $job; label matchers on a variable
    use =~ or !~ (so multi-value and "All" = .* work); every variable used
    exists.

Problems are printed as `FILE: panel ID "TITLE": message`; the exit status
is 1 if there is any, 0 otherwise.
"""

import json
import os
import re
import sys

DS_REF = {"type": "prometheus", "uid": "${datasource}"}
UID_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
RATE_FUNCS = ("rate", "irate", "increase")
# Grafana's built-in variables that may appear in an expr.
BUILTIN_VARS = {
    "__rate_interval", "__interval", "__interval_ms", "__range",
    "__range_s", "__range_ms", "__from", "__to",
}
ALLOWED_RANGES = {"$__rate_interval", "${__rate_interval}"}
VAR_RE = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)")
MATCHER_RE = re.compile(r'([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')


def normalised(obj):
    """The canonical text of a dashboard: sorted keys, 2-space indent."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _no_duplicates(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError("duplicate key %r" % key)
        obj[key] = value
    return obj


def load(path):
    """Return (text, dashboard); raises ValueError with a readable message."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        return text, json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as e:
        raise ValueError("invalid JSON: %s (line %d, column %d)" % (e.msg, e.lineno, e.colno))


def iter_panels(panels):
    """Yield every panel, descending into rows (collapsed or not)."""
    for panel in panels or []:
        yield panel
        if isinstance(panel, dict) and panel.get("type") == "row":
            yield from iter_panels(panel.get("panels"))


def variables_used(expr):
    for m in VAR_RE.finditer(expr):
        yield m.group(1) or m.group(2) or m.group(3)


def blank_strings(expr):
    """Replace the inside of string literals by spaces (keeps offsets)."""
    out = []
    i = 0
    while i < len(expr):
        c = expr[i]
        if c in "\"'`":
            j = i + 1
            while j < len(expr) and expr[j] != c:
                j += 2 if expr[j] == "\\" and c != "`" else 1
            out.append(c + " " * (min(j, len(expr)) - i - 1) + (c if j < len(expr) else ""))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def range_selectors(code):
    """Yield (start, text) of every [...] in code (strings already blanked)."""
    for m in re.finditer(r"\[([^\[\]]*)\]", code):
        yield m.start(), m.group(1)


def check_expr(expr, variables, problems):
    """Append the problems of one PromQL expression to `problems`."""
    code = blank_strings(expr)
    if code.count("(") != code.count(")"):
        problems.append("unbalanced parentheses in expr %r" % expr)
        return
    # Ranges: only [$__rate_interval]; say which function if it is a rate.
    rate_ranges = set()
    for m in re.finditer(r"\b(%s)\s*\(" % "|".join(RATE_FUNCS), code):
        depth = 0
        start = m.end() - 1
        end = None
        for k in range(start, len(code)):
            if code[k] == "(":
                depth += 1
            elif code[k] == ")":
                depth -= 1
                if depth == 0:
                    end = k
                    break
        if end is None:
            problems.append("%s( is never closed" % m.group(1))
            continue
        # The range selector of the call is the [...] at the argument's top level.
        arg = code[start + 1:end]
        level = 0
        found = []
        for k, c in enumerate(arg):
            if c == "(":
                level += 1
            elif c == ")":
                level -= 1
            elif c == "[" and level == 0:
                close = arg.find("]", k)
                found.append((start + 1 + k, arg[k + 1:close]))
        if not found:
            problems.append("%s() without a range selector: %r" % (m.group(1), expr))
        for pos, text in found:
            rate_ranges.add(pos)
            if text.strip() not in ALLOWED_RANGES:
                problems.append("%s() range [%s] must be [$__rate_interval]" % (m.group(1), text))
    for pos, text in range_selectors(code):
        if pos in rate_ranges:
            continue
        if text.strip() not in ALLOWED_RANGES:
            problems.append("hard-coded range [%s]: use [$__rate_interval]" % text)
    # Variables.
    used = set(variables_used(expr))
    for name in sorted(used):
        if name not in variables and name not in BUILTIN_VARS:
            problems.append("unknown variable $%s" % name)
    if "job" not in used:
        problems.append('expr does not filter on $job (add job=~"$job")')
    for m in MATCHER_RE.finditer(expr):
        label, op, value = m.groups()
        if "$" in value and op in ("=", "!="):
            problems.append('matcher %s%s"%s" on a variable must use %s' % (
                label, op, value, "=~" if op == "=" else "!~"))


def lint_dashboard(name, dash, problems):
    """Check one parsed dashboard; append "name: ..." strings to problems."""
    def bad(msg, where=""):
        problems.append("%s: %s%s" % (name, where, msg))

    if not isinstance(dash, dict):
        bad("top level is not a JSON object")
        return
    uid = dash.get("uid")
    if not isinstance(uid, str) or not UID_RE.match(uid):
        bad("uid %r must be a fixed string of 1..40 characters [A-Za-z0-9_-]" % (uid,))
    if "id" not in dash or dash["id"] is not None:
        bad('"id" must be null (Grafana assigns it on import)')
    if dash.get("version") != 1:
        bad('"version" must be 1, not %r' % (dash.get("version"),))
    for key in ("title", "description"):
        if not isinstance(dash.get(key), str) or not dash[key].strip():
            bad("dashboard has no %s" % key)

    # Templating.
    tlist = (dash.get("templating") or {}).get("list")
    if not isinstance(tlist, list):
        bad("no templating.list")
        tlist = []
    variables = {}
    for var in tlist:
        vname = var.get("name") if isinstance(var, dict) else None
        if not vname:
            bad("template variable without a name")
            continue
        if vname in variables:
            bad("template variable $%s defined twice" % vname)
        variables[vname] = var
    ds = variables.get("datasource")
    if ds is None:
        bad("no template variable named datasource")
    elif ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        bad('variable $datasource must have "type": "datasource" and "query": "prometheus"')
    for vname in ("job", "instance"):
        if vname not in variables:
            bad("no template variable named %s" % vname)
        elif variables[vname].get("type") != "query":
            bad("variable $%s must be a query variable" % vname)
    for vname, var in variables.items():
        if var.get("type") == "query":
            if var.get("datasource") != DS_REF:
                bad("query variable $%s must use datasource %s" % (vname, json.dumps(DS_REF)))
            query = var.get("query")
            if isinstance(query, dict):
                query = query.get("query")
            if not isinstance(query, str) or not query.strip():
                bad("query variable $%s has no query" % vname)
            else:
                for used in variables_used(query):
                    if used not in variables and used not in BUILTIN_VARS:
                        bad("query variable $%s uses unknown variable $%s" % (vname, used))

    # Annotations backed by Prometheus.
    for ann in (dash.get("annotations") or {}).get("list") or []:
        if ann.get("builtIn"):
            continue
        where = 'annotation "%s": ' % ann.get("name")
        if ann.get("datasource") != DS_REF:
            bad("datasource must be %s" % json.dumps(DS_REF), where)
        if isinstance(ann.get("expr"), str):
            found = []
            check_expr(ann["expr"], variables, found)
            for msg in found:
                bad(msg, where)

    # Panels.
    panels = dash.get("panels")
    if not isinstance(panels, list) or not panels:
        bad("dashboard has no panels")
        panels = []
    ids = set()
    for panel in iter_panels(panels):
        if not isinstance(panel, dict):
            bad("panel is not an object")
            continue
        where = 'panel %s "%s": ' % (panel.get("id"), panel.get("title", ""))
        pid = panel.get("id")
        if not isinstance(pid, int):
            bad("panel id must be an integer", where)
        elif pid in ids:
            bad("panel id %d is used twice" % pid, where)
        ids.add(pid)
        for key in ("title", "description"):
            if not isinstance(panel.get(key), str) or not panel[key].strip():
                bad("panel has no %s" % key, where)
        grid = panel.get("gridPos") or {}
        if not all(isinstance(grid.get(k), int) for k in ("h", "w", "x", "y")):
            bad("gridPos needs integer h, w, x, y", where)
        elif grid["x"] + grid["w"] > 24:
            bad("gridPos x + w > 24", where)
        if panel.get("repeat") and panel["repeat"] not in variables:
            bad("repeats over unknown variable $%s" % panel["repeat"], where)
        if panel.get("type") == "row":
            continue
        if panel.get("datasource") != DS_REF:
            bad("datasource must be %s, not %s" % (json.dumps(DS_REF), json.dumps(panel.get("datasource"))), where)
        unit = ((panel.get("fieldConfig") or {}).get("defaults") or {}).get("unit")
        if not isinstance(unit, str) or not unit.strip():
            bad("no unit (fieldConfig.defaults.unit)", where)
        targets = panel.get("targets")
        if not isinstance(targets, list) or not targets:
            bad("panel has no targets", where)
            continue
        refids = set()
        for target in targets:
            ref = target.get("refId")
            twhere = '%starget %s: ' % (where, ref)
            if not isinstance(ref, str) or not ref:
                bad("target has no refId", twhere)
            elif ref in refids:
                bad("refId used twice", twhere)
            refids.add(ref)
            if target.get("datasource") != DS_REF:
                bad("datasource must be %s, not %s" % (json.dumps(DS_REF), json.dumps(target.get("datasource"))), twhere)
            expr = target.get("expr")
            if not isinstance(expr, str) or not expr.strip():
                bad("target has no expr", twhere)
                continue
            found = []
            check_expr(expr, variables, found)
            for msg in found:
                bad(msg, twhere)
    return uid


def main(argv):
    fix = "--fix" in argv
    files = [a for a in argv if a != "--fix"]
    if any(a.startswith("-") for a in files):
        sys.stderr.write(__doc__)
        return 2
    if not files:
        here = os.path.dirname(os.path.abspath(__file__))
        files = sorted(os.path.join(here, f) for f in os.listdir(here) if f.endswith(".json"))
    if not files:
        print("lint: no dashboards found")
        return 1
    problems = []
    uids = {}
    npanels = 0
    for path in files:
        name = os.path.basename(path)
        try:
            text, dash = load(path)
        except (OSError, ValueError) as e:
            problems.append("%s: %s" % (name, e))
            continue
        canonical = normalised(dash)
        if text != canonical:
            if fix:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(canonical)
                print("lint: normalised %s" % name)
            else:
                problems.append("%s: not normalised (sorted keys, 2-space indent, trailing newline); run lint.py --fix" % name)
        uid = lint_dashboard(name, dash, problems)
        if isinstance(uid, str):
            if uid in uids:
                problems.append("%s: uid %r is already used by %s" % (name, uid, uids[uid]))
            uids.setdefault(uid, name)
        if isinstance(dash, dict):
            npanels += sum(1 for _ in iter_panels(dash.get("panels")))
    for p in problems:
        print("lint: " + p)
    if problems:
        print("lint: FAILED, %d problem(s) in %d dashboard(s)" % (len(problems), len(files)))
        return 1
    print("lint: OK, %d dashboard(s), %d panel(s)" % (len(files), npanels))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
