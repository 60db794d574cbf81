#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Copyright (C) 2026 The Live Update for Linux 6.12 authors
#
# Checks of "lu-trace export" output for export_test.sh. Each command prints
# what is wrong and exits 1, or exits 0.
#
# OpenMetrics structure is checked by prometheus_client's OpenMetrics parser
# (Debian's python3-prometheus-client, the reference Python client), then
# by the rules this exporter adds (below). The values and label values are
# compared as the exporter wrote them (le="4e-09", an exact decimal _sum),
# which a parser that turns them into floats cannot do: that is what the
# small tokenizer here, parse(), is for.
#
#   check.py om FILE              OpenMetrics 1.0 structure
#   check.py text FILE            Prometheus text format 0.0.4 structure
#   check.py names FILE om|text VERSION DASHBOARDS_DIR
#                                 the metric names and labels of scenario "full"
#   check.py full FILE om|text    the values of scenario "full"
#   check.py hist FILE om|text    the histogram of scenario "hist"
#   check.py sessions FILE om|text MAX
#                                 the per-session series of scenario "sessions20"
#   check.py blackout FILE om|text SCENARIO [render]
#                                 the blackout series of cold, full, restoring...
#   check.py http PORT BODY [--half-close] [--chunks] < REQUEST
#                                 send REQUEST, print the status code and the
#                                 headers ("name: value", name in lower case),
#                                 write the body to BODY; exits 1 if
#                                 Content-Length is wrong
#   check.py idle PORT            an idle client holds nobody up, gets a 408
#   check.py watch FILE SECONDS   the textfile is always whole, and rewritten
#   check.py targets PROMPORT TIMEOUT
#                                 a Prometheus scrapes its target without error
#   check.py prom PROMPORT QUERY VALUE TIMEOUT
#                                 the query gives VALUE there

import glob
import json
import os
import re
import socket
import sys
import time
import urllib.parse
import urllib.request
from decimal import Decimal

try:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
except ImportError:
    sys.exit('check.py: needs python3-prometheus-client (make deps installs it)')

NAME_RE = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*')
LABEL_RE = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*')
NUMBER_RE = re.compile(r'[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|Inf)|NaN')

# What scenario "full" must give, and scenario constants (see main.c).
EXPECTED_LABELS = {
    'liveupdate_updates_completed_total': set(),
    'liveupdate_updates_failed_total': set(),
    'liveupdate_last_blackout_seconds': set(),
    'liveupdate_last_blackout_phase_seconds': {'phase'},
    'liveupdate_last_update_timestamp_seconds': set(),
    'liveupdate_update_in_progress': set(),
    'liveupdate_operation_duration_seconds_bucket': {'op', 'le'},
    'liveupdate_operation_duration_seconds_sum': {'op'},
    'liveupdate_operation_duration_seconds_count': {'op'},
    'liveupdate_preserved_bytes': {'session'},
    'liveupdate_preserved_pages': {'session'},
    'liveupdate_preserved_files': {'session'},
    'liveupdate_restored_bytes': {'session'},
    'liveupdate_restored_pages': {'session'},
    'liveupdate_restored_files': {'session'},
    'liveupdate_sessions': {'direction'},
    'liveupdate_errors_total': {'step', 'errno'},
    'liveupdate_kho_preserved_bytes': set(),
    'liveupdate_kho_scratch_bytes': set(),
    'liveupdate_kernel_info': {'release'},
    'liveupdate_format_info': {'format', 'version', 'direction'},
    'lu_trace_build_info': {'version'},
    'lu_trace_lost_events_total': set(),
}
PHASES = ['freeze', 'serialize', 'shutdown', 'jump', 'kho', 'boot', 'userspace', 'restore']
PHASE_NS = [12345678, 23456789, 345678901, 4567890, 56789012, 678901234, 78901234, 890123456]
MONO_NS = -3456789
RENDER_REALTIME_NS = 1700000000123456789
RENDER_MONOTONIC_NS = 5000000000
OPS = ['preserve', 'freeze', 'retrieve', 'finish']
MAX_SLOTS = 40
HIST_DURATIONS = ([1, 2, 3, 4] +
                  [(1 << n) + k for n in (5, 10, 20, 30, 38) for k in (-1, 0, 1)] +
                  [1 << 39, (1 << 39) + 1, 1 << 45])


class Bad(Exception):
    pass


def parse_labels(line, i, om):
    """Labels from line[i] == '{'; returns ([(name, value)], index after '}')."""
    labels = []
    i += 1
    if line[i] == '}':
        return labels, i + 1
    while True:
        m = LABEL_RE.match(line, i)
        if not m:
            raise Bad('bad label name')
        name, i = m.group(), m.end()
        if line[i:i + 2] != '="':
            raise Bad('expected =" after label ' + name)
        i += 2
        val = []
        while True:
            if i >= len(line):
                raise Bad('unterminated label value')
            c = line[i]
            if c == '\\':
                esc = {'\\': '\\', '"': '"', 'n': '\n'}.get(line[i + 1:i + 2])
                if esc is None:
                    raise Bad('bad escape in label value')
                val.append(esc)
                i += 2
            elif c == '"':
                i += 1
                break
            else:
                val.append(c)
                i += 1
        labels.append((name, ''.join(val)))
        if line[i] == ',':
            i += 1
            if line[i] == '}':
                if om:
                    raise Bad('trailing comma in labels')
                return labels, i + 1
        elif line[i] == '}':
            return labels, i + 1
        else:
            raise Bad('expected , or } in labels')


def parse(text, om):
    """Entries: ('TYPE'|'UNIT'|'HELP', name, arg), ('sample', name, labels, value), ('EOF',)."""
    if not text.endswith('\n'):
        raise Bad('no newline at the end')
    out = []
    for n, line in enumerate(text[:-1].split('\n'), 1):
        try:
            if line.startswith('#'):
                if line == '# EOF':
                    out.append(('EOF',))
                    continue
                m = re.fullmatch(r'# (TYPE|UNIT|HELP) (\S+)(?: (.*))?', line)
                if not m:
                    if om:
                        raise Bad('not a TYPE, UNIT or HELP line')
                    continue
                if not NAME_RE.fullmatch(m[2]):
                    raise Bad('bad metric name')
                # HELP: OpenMetrics escapes \\, \n and \" (a bare " is
                # invalid); 0.0.4 only \\ and \n.
                esc = r'\\[\\n"]' if om else r'\\[\\n]'
                if m[1] == 'HELP' and not re.fullmatch(
                        rf'(?:[^\\"]|{esc})*' if om else rf'(?:[^\\]|{esc})*', m[3] or ''):
                    raise Bad('bad escape or bare " in HELP')
                out.append((m[1], m[2], m[3] or ''))
                continue
            m = NAME_RE.match(line)
            if not m:
                raise Bad('bad metric name' if line else 'empty line')
            name, i, labels = m.group(), m.end(), []
            if line[i:i + 1] == '{':
                labels, i = parse_labels(line, i, om)
            if line[i:i + 1] != ' ':
                raise Bad('expected a space before the value')
            value = line[i + 1:]
            if not NUMBER_RE.fullmatch(value):
                raise Bad('bad value (or a timestamp)')
            out.append(('sample', name, labels, value))
        except (Bad, IndexError) as e:
            raise Bad(f'line {n}: {e or "truncated"}: {line!r}') from None
    return out


def fnum(s):
    return float(s.replace('Inf', 'inf'))


def check_samples(fams, problems, om):
    """Checks common to both formats, on {family: dict(type, samples)}."""
    seen = set()
    for fam, f in fams.items():
        hists = {}
        for _, name, labels, value in f['samples']:
            names = [k for k, _ in labels]
            if len(set(names)) != len(names):
                problems.append(f'{name}: a label appears twice')
            if any(k.startswith('__') for k in names):
                problems.append(f'{name}: reserved label name')
            key = (name, frozenset(labels))
            if key in seen:
                problems.append(f'duplicate series {name}{dict(labels)}')
            seen.add(key)
            v = fnum(value)
            if f['type'] == 'counter' and not (v >= 0 and v != float('inf')):
                problems.append(f'{name}: counter value {value}')
            if f['type'] == 'info' and value != '1':
                problems.append(f'{name}: info value {value}')
            if f['type'] != 'histogram' and 'le' in names:
                problems.append(f'{name}: "le" outside a histogram')
            if f['type'] == 'histogram':
                rest = frozenset((k, x) for k, x in labels if k != 'le')
                h = hists.setdefault(rest, {'buckets': [], 'sum': None, 'count': None})
                if name == fam + '_bucket':
                    le = dict(labels).get('le')
                    if le is None or not NUMBER_RE.fullmatch(le):
                        problems.append(f'{name}: bucket without a valid le')
                        continue
                    h['buckets'].append((le, v))
                elif name == fam + '_sum':
                    h['sum'] = v
                elif name == fam + '_count':
                    h['count'] = v
        for rest, h in hists.items():
            where = f'{fam}{dict(rest)}'
            les = [fnum(le) for le, _ in h['buckets']]
            if les != sorted(les) or len(set(les)) != len(les):
                problems.append(f'{where}: buckets not in increasing le order')
            if not h['buckets'] or h['buckets'][-1][0] != '+Inf':
                problems.append(f'{where}: no le="+Inf" bucket last')
                continue
            counts = [v for _, v in h['buckets']]
            if counts != sorted(counts):
                problems.append(f'{where}: buckets not cumulative')
            if h['count'] != counts[-1]:
                problems.append(f'{where}: _count {h["count"]} != +Inf bucket {counts[-1]}')
            if h['sum'] is None:
                problems.append(f'{where}: no _sum')


SUFFIXES = {
    'counter': ('_total', '_created'),
    'gauge': ('',),
    'histogram': ('_bucket', '_sum', '_count', '_created'),
    'gaugehistogram': ('_bucket', '_gsum', '_gcount'),
    'summary': ('', '_sum', '_count', '_created'),
    'info': ('_info',),
    'stateset': ('',),
    'unknown': ('',),
}


def check_om(text):
    """The OpenMetrics parser of prometheus_client, then this exporter's own rules."""
    try:
        for _ in text_string_to_metric_families(text):
            pass
    except Exception as e:    # it raises ValueError, and others on odd input
        return [f'prometheus_client: {e}']
    problems = []
    fams, cur = {}, None
    for e in parse(text, True):
        if e[0] == 'EOF':
            continue
        if e[0] in ('TYPE', 'UNIT', 'HELP'):
            kind, name, arg = e
            if cur is None or cur['name'] != name:
                cur = fams[name] = {'name': name, 'type': 'unknown', 'meta': [], 'samples': []}
            cur['meta'].append(kind)
            if kind == 'TYPE':
                cur['type'] = arg
            continue
        _, name, labels, value = e
        # The parser takes a sample without metadata as a family of its own.
        if cur is None or not any(name == cur['name'] + s for s in SUFFIXES[cur['type']]):
            problems.append(f'sample {name} outside its family')
            continue
        cur['samples'].append(e)
    for name, f in fams.items():
        if f['meta'] not in (['TYPE', 'HELP'], ['TYPE', 'UNIT', 'HELP']):
            problems.append(f'{name}: metadata {f["meta"]}, expected TYPE, [UNIT,] HELP')
        if not f['samples']:
            problems.append(f'{name}: no samples')
    check_samples(fams, problems, True)
    return problems


def check_text(text):
    problems = []
    entries = parse(text, False)
    fams, cur = {}, None
    for e in entries:
        if e[0] in ('EOF', 'UNIT'):
            problems.append(f'{e[0]} in the 0.0.4 format')
            continue
        if e[0] in ('TYPE', 'HELP'):
            kind, name, arg = e
            if cur is None or cur['name'] != name:
                if name in fams:
                    problems.append(f'family {name} is not in one piece')
                cur = fams[name] = {'name': name, 'type': 'untyped', 'meta': [], 'samples': []}
            if cur['samples']:
                problems.append(f'{kind} of {name} after its samples')
            if kind in cur['meta']:
                problems.append(f'two {kind} lines for {name}')
            cur['meta'].append(kind)
            if kind == 'TYPE':
                if arg not in ('counter', 'gauge', 'histogram', 'summary', 'untyped'):
                    problems.append(f'{name}: unknown type {arg}')
                cur['type'] = arg
            continue
        _, name, labels, value = e
        suffixes = ('_bucket', '_sum', '_count') if cur and cur['type'] == 'histogram' else ('',)
        if cur is None or not any(name == cur['name'] + s for s in suffixes):
            problems.append(f'sample {name} outside its family')
            continue
        cur['samples'].append(e)
    for name, f in fams.items():
        if sorted(f['meta']) != ['HELP', 'TYPE']:
            problems.append(f'{name}: metadata {f["meta"]}, expected HELP and TYPE')
        if f['type'] == 'counter' and not name.endswith('_total'):
            problems.append(f'{name}: counter without _total')
    check_samples(fams, problems, False)
    return problems


def series(text, om):
    """{(name, frozenset(labels)): value string}"""
    return {(e[1], frozenset(e[2])): e[3] for e in parse(text, om) if e[0] == 'sample'}


def get(s, name, **labels):
    return s.get((name, frozenset(labels.items())))


def names_of(s):
    return {name for name, _ in s}


def check_names(text, om, version, dashboards):
    problems = []
    s = series(text, om)
    got = names_of(s)
    if got != set(EXPECTED_LABELS):
        problems.append(f'missing: {sorted(set(EXPECTED_LABELS) - got)}, '
                        f'unexpected: {sorted(got - set(EXPECTED_LABELS))}')
    for (name, labels) in s:
        want = EXPECTED_LABELS.get(name)
        have = {k for k, _ in labels}
        if want is not None and have != want:
            problems.append(f'{name}: labels {sorted(have)}, expected {sorted(want)}')
    # Every metric of the dashboards and rules (recording rule names aside).
    families = got | {e[1] for e in parse(text, om) if e[0] == 'TYPE'}
    used = set()
    for path in (glob.glob(os.path.join(dashboards, '*.json')) +
                 glob.glob(os.path.join(dashboards, 'rules', '*.yml'))):
        with open(path, encoding='utf-8') as f:
            used |= set(re.findall(r'(?<![:\w])((?:liveupdate|lu_trace)_[a-z_]+)', f.read()))
    if not used:
        problems.append(f'no metric names found in {dashboards}')
    for name in sorted(used - families):
        problems.append(f'the dashboards use {name}, which is not exported')
    phases = sorted(dict(l)['phase'] for n, l in s if n == 'liveupdate_last_blackout_phase_seconds')
    if phases != sorted(PHASES):
        problems.append(f'phases {phases}')
    ops = sorted({dict(l)['op'] for n, l in s
                  if n == 'liveupdate_operation_duration_seconds_count'})
    if ops != sorted(OPS):
        problems.append(f'ops {ops}')
    if get(s, 'lu_trace_build_info', version=version) != '1':
        problems.append(f'no lu_trace_build_info{{version="{version}"}} 1')
    return problems


def expect(problems, s, want, name, **labels):
    got = get(s, name, **labels)
    if got != want:
        problems.append(f'{name}{labels}: {got}, expected {want}')


def check_full(text, om):
    problems = []
    s = series(text, om)
    for step, err, n in [('preserve', 'EBUSY', '2'), ('retrieve', 'ENOMEM', '1'),
                         ('session_create', 'E999', '1'), ('unknown', 'EINVAL', '1')]:
        expect(problems, s, n, 'liveupdate_errors_total', step=step, errno=err)
    if len([1 for n, _ in s if n == 'liveupdate_errors_total']) != 4:
        problems.append('expected exactly 4 error series')
    expect(problems, s, '7', 'lu_trace_lost_events_total')
    expect(problems, s, '1', 'liveupdate_update_in_progress')
    expect(problems, s, '2', 'liveupdate_sessions', direction='outgoing')
    expect(problems, s, '3', 'liveupdate_sessions', direction='incoming')
    expect(problems, s, '40960', 'liveupdate_preserved_bytes', session='next')
    expect(problems, s, '2', 'liveupdate_preserved_files', session='next')
    expect(problems, s, '100', 'liveupdate_preserved_bytes', session='_other')
    expect(problems, s, '1073741824', 'liveupdate_restored_bytes', session='db')
    expect(problems, s, '3', 'liveupdate_restored_files', session='db')
    expect(problems, s, '8192', 'liveupdate_restored_bytes', session='00000000000000e4')
    for name in ('liveupdate_preserved_bytes', 'liveupdate_preserved_files'):
        sess = sorted(dict(l)['session'] for n, l in s if n == name)
        if sess != ['_other', 'next']:
            problems.append(f'{name}: sessions {sess}, expected _other and next (gone is closed)')
    expect(problems, s, '4', 'liveupdate_operation_duration_seconds_count', op='retrieve')
    expect(problems, s, '0.000974', 'liveupdate_operation_duration_seconds_sum', op='retrieve')
    expect(problems, s, '3', 'liveupdate_operation_duration_seconds_bucket', op='retrieve',
           le='0.000131072')
    expect(problems, s, '6332416', 'liveupdate_kho_preserved_bytes')
    expect(problems, s, '201326592', 'liveupdate_kho_scratch_bytes')
    expect(problems, s, '1', 'liveupdate_kernel_info', release='6.12.58-lu')
    expect(problems, s, '3', 'liveupdate_updates_completed_total')
    expect(problems, s, '1', 'liveupdate_updates_failed_total')
    return problems


def slot(d):
    return min(MAX_SLOTS - 1, (d - 1).bit_length() if d > 1 else 0)


def check_op_hist(problems, s, op, durations):
    name = 'liveupdate_operation_duration_seconds'
    buckets = {dict(l)['le']: v for n, l in s
               if n == name + '_bucket' and dict(l)['op'] == op for v in [s[(n, l)]]}
    high = max((slot(d) for d in durations), default=-1)
    want_les = [repr((1 << i) / 1e9) for i in range(min(high, MAX_SLOTS - 2) + 1)] + ['+Inf']
    if sorted(buckets, key=fnum) != want_les:
        problems.append(f'{op}: le values {sorted(buckets, key=fnum)}, expected {want_les}')
    for i, le in enumerate(want_les[:-1]):
        if Decimal(le) * 10**9 != 1 << i:
            problems.append(f'{op}: le="{le}" is not 2^{i} ns')
        want = sum(1 for d in durations if d <= 1 << i)
        if buckets.get(le) != str(want):
            problems.append(f'{op}: le="{le}" (2^{i} ns): {buckets.get(le)}, expected {want}')
    n = str(len(durations))
    if buckets.get('+Inf') != n:
        problems.append(f'{op}: +Inf {buckets.get("+Inf")}, expected {n}')
    expect(problems, s, n, name + '_count', op=op)
    total = get(s, name + '_sum', op=op)
    if total is None or Decimal(total) != Decimal(sum(durations)) / 10**9:
        problems.append(f'{op}: _sum {total}, expected {Decimal(sum(durations)) / 10**9}')


def check_hist(text, om):
    problems = []
    s = series(text, om)
    check_op_hist(problems, s, 'preserve', HIST_DURATIONS)
    check_op_hist(problems, s, 'freeze', [1])
    check_op_hist(problems, s, 'retrieve', [])
    check_op_hist(problems, s, 'finish', [1 << 40])
    return problems


def bounded(rows, max_sessions):
    """{label: (bytes, pages, files)}: the max_sessions biggest, the rest as _other."""
    rows = sorted(rows, key=lambda r: (-r[1], r[0]))
    want = {r[0]: r[1:] for r in rows[:max_sessions]}
    if len(rows) > max_sessions:
        want['_other'] = tuple(sum(r[k] for r in rows[max_sessions:]) for k in (1, 2, 3))
    return want


def check_sessions(text, om, max_sessions):
    problems = []
    s = series(text, om)
    out = []
    for i in range(20):
        name = {10: '', 11: None, 18: 'nl\nx', 19: 'a"b\\c'}.get(i, f's{i:02d}')
        label = name if name else f'{0x5e55000000000000 + i:016x}'
        out.append((label, (i + 1) * 1000003, (i + 1) * 7, i + 1))
    inc = [(f'in{i}', (i + 1) * 4096, i + 1, 1) for i in range(3)]
    for direction, rows in (('preserved', out), ('restored', inc)):
        want = bounded(rows, max_sessions)
        for k, what in enumerate(('bytes', 'pages', 'files')):
            name = f'liveupdate_{direction}_{what}'
            got = {dict(l)['session']: v for n, l in s if n == name for v in [s[(n, l)]]}
            exp = {label: str(v[k]) for label, v in want.items()}
            if got != exp:
                problems.append(f'{name}: {got}\n  expected {exp}')
    expect(problems, s, '20', 'liveupdate_sessions', direction='outgoing')
    expect(problems, s, '3', 'liveupdate_sessions', direction='incoming')
    if max_sessions >= 2:
        for raw in ('session="a\\"b\\\\c"', 'session="nl\\nx"'):
            if raw not in text:
                problems.append(f'no {raw} in the text')
    return problems


def check_blackout(text, om, scenario, render):
    problems = []
    s = series(text, om)
    last = [n for n, _ in s if n.startswith('liveupdate_last_')]
    metas = [e[1] for e in parse(text, om) if e[0] != 'sample' and e[0] != 'EOF'
             and e[1].startswith('liveupdate_last_')]
    progress = get(s, 'liveupdate_update_in_progress')
    if scenario == 'full':
        total = get(s, 'liveupdate_last_blackout_seconds')
        phases = {dict(l)['phase']: Decimal(v) for (n, l), v in s.items()
                  if n == 'liveupdate_last_blackout_phase_seconds'}
        if sorted(phases) != sorted(PHASES):
            problems.append(f'phases {sorted(phases)}')
        if total is None or sum(phases.values()) != Decimal(total):
            problems.append(f'phases add up to {sum(phases.values())}, total {total}')
        if Decimal(total or 0) != Decimal(sum(PHASE_NS)) / 10**9:
            problems.append(f'total {total}, expected {Decimal(sum(PHASE_NS)) / 10**9}')
        for p, ns in zip(PHASES, PHASE_NS):
            if phases.get(p) != Decimal(ns) / 10**9:
                problems.append(f'phase {p}: {phases.get(p)}')
        ts = get(s, 'liveupdate_last_update_timestamp_seconds')
        if render:
            exp = RENDER_REALTIME_NS - (RENDER_MONOTONIC_NS - (MONO_NS + sum(PHASE_NS)))
            exp = Decimal(exp - exp % 1000000) / 10**9
            if ts is None or Decimal(ts) != exp:
                problems.append(f'timestamp {ts}, expected {exp}')
        elif ts is None:
            problems.append('no timestamp')
    elif last or metas:
        problems.append(f'{scenario}: unexpected {sorted(set(last + metas))}')
    want = {'full': ('3', '1', '1'), 'cold': ('0', '2', '0'), 'restoring': ('3', '1', '1'),
            'dropped': ('3', '1', '0'), 'noblackout': (None, None, '0')}[scenario]
    expect(problems, s, want[0], 'liveupdate_updates_completed_total')
    expect(problems, s, want[1], 'liveupdate_updates_failed_total')
    if progress != want[2]:
        problems.append(f'in progress {progress}, expected {want[2]}')
    return problems


def read_response(sock):
    data = b''
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            raise Bad('connection reset') from None
        if not chunk:
            return data
        data += chunk


def http(port, body_path, opts):
    request = sys.stdin.buffer.read()
    with socket.create_connection(('127.0.0.1', port), timeout=15) as sock:
        if '--chunks' in opts:
            # Three pieces, 0.3 s apart: the server must wait for the rest.
            third = max(1, len(request) // 3)
            for i in range(0, len(request), third):
                sock.sendall(request[i:i + third])
                time.sleep(0.3)
        else:
            sock.sendall(request)
        if '--half-close' in opts:
            sock.shutdown(socket.SHUT_WR)
        try:
            data = read_response(sock)
        except Bad as e:
            print(e, file=sys.stderr)
            return 1
    head, sep, body = data.partition(b'\r\n\r\n')
    if not sep:
        print(f'no complete response: {data[:200]!r}', file=sys.stderr)
        return 1
    lines = head.decode('latin-1').split('\r\n')
    m = re.fullmatch(r'HTTP/1\.[01] (\d{3}) .*', lines[0])
    if not m:
        print(f'bad status line {lines[0]!r}', file=sys.stderr)
        return 1
    print(m[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(':')
        headers[k.strip().lower()] = v.strip()
        print(f'{k.strip().lower()}: {v.strip()}')
    with open(body_path, 'wb') as f:
        f.write(body)
    if headers.get('content-length') != str(len(body)):
        print(f'Content-Length {headers.get("content-length")}, body {len(body)} bytes',
              file=sys.stderr)
        return 1
    return 0


def idle(port):
    """An idle client must not hold others up, and gets a 408 itself."""
    t0 = time.monotonic()
    slow = socket.create_connection(('127.0.0.1', port), timeout=15)
    slow.sendall(b'GET /metrics HTTP/1.1\r\n')
    with socket.create_connection(('127.0.0.1', port), timeout=15) as fast:
        fast.sendall(b'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n')
        data = read_response(fast)
    took = time.monotonic() - t0
    if not data.startswith(b'HTTP/1.1 200 ') or took > 2:
        print(f'a request behind an idle client: {data[:40]!r} after {took:.1f} s')
        return 1
    data = read_response(slow)
    took = time.monotonic() - t0
    slow.close()
    if not data.startswith(b'HTTP/1.1 408 ') or not 4 <= took <= 8:
        print(f'the idle client got {data[:40]!r} after {took:.1f} s, expected 408 after 5 s')
        return 1
    return 0


def watch(path, seconds):
    """Read the textfile again and again: always complete, and rewritten."""
    end, reads, values, problems = time.monotonic() + seconds, 0, set(), []
    while time.monotonic() < end:
        try:
            with open(path, encoding='utf-8') as f:
                text = f.read()
        except FileNotFoundError:
            problems.append('the textfile vanished')
            break
        reads += 1
        try:
            p = check_text(text)
            v = get(series(text, False), 'lu_trace_lost_events_total')
        except Bad as e:
            p, v = [str(e)], None
        if p or v is None:
            problems.append(f'read {reads}: incomplete or broken: {(p or ["no lost events"])[0]}')
            break
        values.add(int(v))
    if len(values) < 3:
        problems.append(f'{reads} reads saw {len(values)} versions, '
                        'expected a rewrite per interval')
    for p in problems:
        print(p)
    return 1 if problems else 0


def prom(port, query, want, timeout):
    """Poll a Prometheus server until QUERY gives one sample of value WANT."""
    url = (f'http://127.0.0.1:{port}/api/v1/query?' +
           urllib.parse.urlencode({'query': query}))
    end, got = time.monotonic() + timeout, None
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                res = json.load(r)['data']['result']
            got = [x['value'][1] for x in res]
            if got == [want]:
                return 0
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.5)
    print(f'{query}: {got}, expected [{want!r}]')
    return 1


def targets(port, timeout):
    """Wait until the one scrape target is up; print its last error otherwise."""
    url = f'http://127.0.0.1:{port}/api/v1/targets'
    end, last = time.monotonic() + timeout, 'no answer'
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                t = json.load(r)['data']['activeTargets']
            if t and t[0]['health'] == 'up' and not t[0]['lastError']:
                return 0
            if t:
                last = f'{t[0]["health"]}: {t[0]["lastError"]!r}'
        except (OSError, ValueError, KeyError) as e:
            last = str(e)
        time.sleep(0.5)
    print(f'target not up: {last}')
    return 1


def main(argv):
    cmd = argv[1]
    if cmd == 'http':
        return http(int(argv[2]), argv[3], argv[4:])
    if cmd == 'idle':
        return idle(int(argv[2]))
    if cmd == 'watch':
        return watch(argv[2], float(argv[3]))
    if cmd == 'prom':
        return prom(int(argv[2]), argv[3], argv[4], float(argv[5]))
    if cmd == 'targets':
        return targets(int(argv[2]), float(argv[3]))
    with open(argv[2], encoding='utf-8') as f:
        text = f.read()
    try:
        if cmd == 'om':
            problems = check_om(text)
        elif cmd == 'text':
            problems = check_text(text)
        else:
            om = argv[3] == 'om'
            problems = (check_om if om else check_text)(text)
            if cmd == 'names':
                problems += check_names(text, om, argv[4], argv[5])
            elif cmd == 'full':
                problems += check_full(text, om)
            elif cmd == 'hist':
                problems += check_hist(text, om)
            elif cmd == 'sessions':
                problems += check_sessions(text, om, int(argv[4]))
            elif cmd == 'blackout':
                problems += check_blackout(text, om, argv[4], argv[5:] == ['render'])
            else:
                raise SystemExit(f'check.py: unknown command {cmd}')
    except Bad as e:
        problems = [str(e)]
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
