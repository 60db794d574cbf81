#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# The hand-made seeds of the fuzz targets (corpus/<target>/hand-*): shapes
# the captured handover does not have. Hashes are left to the harness's
# fixups (fuzz-ctl FZ_RAW seeds keep theirs, wrong on purpose).
#
#   hand_seeds.py CORPUS_DIR

import os
import struct
import sys

HDR = struct.Struct('<4sI24sQ')
RAW, FIX_COUNT = 1, 2


def rec(kind, fmt, data):
    return HDR.pack(b'LUDM', kind, fmt.encode(), len(data)) + data


def ctl(flags, value=0):
    return rec(0, 'fuzz-ctl', struct.pack('<QQ', flags, value))


def page(phys, data):
    return struct.pack('<Q', phys) + data.ljust(4096, b'\0')


def set_ser(head, count, esize, compatible=b'kho-block-v2'):
    return compatible.ljust(16, b'\0') + struct.pack('<QQIIQ', head, count, esize, 4096, 0)


def block(nxt, entries):
    return struct.pack('<QQ', nxt, len(entries)) + b''.join(entries)


A, B, C = 0x10000000, 0x10001000, 0x10002000


def seeds():
    two = rec(1, 'luo-files', page(A, block(B, [bytes([i]) * 64 for i in range(63)])) +
              page(B, block(0, [b'\x11' * 64] * 10)))
    yield 'kho_block', 'two-blocks-64B', rec(0, 'block-set', set_ser(A, 73, 64)) + two
    yield 'kho_block', 'two-blocks-count-fixed', ctl(FIX_COUNT) + \
        rec(0, 'block-set', set_ser(A, 1, 64)) + two
    yield 'kho_block', 'empty', rec(0, 'block-set', set_ser(0, 0, 24))
    yield 'kho_block', 'self-loop-raw', ctl(RAW) + rec(0, 'block-set', set_ser(A, 2, 24)) + \
        rec(1, 'memfd-records', page(A, block(A, [b'\x22' * 24])))
    yield 'kho_block', 'entry-size-4080', ctl(0, 4079) + \
        rec(0, 'block-set', set_ser(A, 1, 4080)) + rec(1, 'x', page(A, block(0, [b'e' * 4080])))

    sess = lambda name, head, count: name.ljust(64, b'\0') + set_ser(head, count, 64)
    files = page(B, block(0, [b'memfd-v3'.ljust(48, b'\0') + struct.pack('<QQ', C, 1),
                              b'liveupdate-test-v1'.ljust(48, b'\0') + struct.pack('<QQ', 7, 2)]))
    state = b'luo-v2'.ljust(16, b'\0') + set_ser(A, 3, 112) + bytes(8)
    yield 'luo', 'three-sessions', rec(0, 'luo-state', state) + rec(1, 'luo-sessions', page(
        A, block(0, [sess(b'a', B, 2), sess(b'b', 0, 0), sess(b'a', 0, 0)]))) + \
        rec(1, 'luo-files', files)
    yield 'luo', 'no-sessions', rec(0, 'luo-state', b'luo-v2'.ljust(16, b'\0') +
                                    set_ser(0, 0, 112) + bytes(8))

    desc = lambda size, nr, head: struct.pack('<QQIIIIQ', 0, size, 0, 0, 0o600, 0, nr) + \
        set_ser(head, nr, 24) + bytes(8)
    recs = [struct.pack('<QQII', 0x20000 + 16 * i, 16 * i, 4, 3) for i in range(3)]
    yield 'memfd', 'three-order-4-folios', rec(0, 'memfd-desc', desc(48 * 4096, 3, A)) + \
        rec(1, 'memfd-records', page(A, block(0, recs)))
    yield 'memfd', 'two-memfds-one-chain', rec(0, 'memfd-desc', desc(48 * 4096, 3, A)) + \
        rec(0, 'memfd-desc', desc(48 * 4096, 3, A)) + rec(1, 'memfd-records', page(A, block(0, recs)))

    for name, req in (('get-root', b'GET / HTTP/1.1\r\n\r\n'),
                      ('post', b'POST /metrics HTTP/1.1\r\n\r\n'),
                      ('openmetrics', b'GET /metrics?x=1 HTTP/1.0\r\n'
                       b'Accept: application/openmetrics-text; version=1.0.0\r\n\r\n'),
                      ('no-end', b'GET /metrics HTTP/1.1\r\nAccept: text/plain'),
                      ('bad-line', b'GET  /metrics HTTP/2\n\n')):
        yield 'lutrace_export', 'http-' + name, rec(0, 'http', req)
    yield 'lutrace_export', 'kho-files', rec(0, 'preserved', b'order 0 blocks 2\npages 2\nbytes 8192\n') + \
        rec(0, 'scratch', b'0 0x1000000 0x4000000\n1 0x40000000 0x8000000\n')

    yield 'lutrace_kho', 'text-only', rec(0, 'out/scratch', b'0 0x1000 0x2000\n') + \
        rec(0, 'out/subtrees', b'LUO 0x1000 72\n') + \
        rec(0, 'out/preserved', b'order 0 blocks 1\npages 1\nbytes 4096\ntracker_bytes 4096\n') + \
        rec(0, 'in/status', b'pages 0\nrestored_pages 0\nreleased_pages 0\nunrestored_pages 0\n')


def main():
    if len(sys.argv) != 2:
        raise SystemExit('usage: hand_seeds.py CORPUS_DIR')
    n = 0
    for target, name, data in seeds():
        d = os.path.join(sys.argv[1], target)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, 'hand-' + name), 'wb') as f:
            f.write(data)
        n += 1
    print('  SEEDS     %d hand-made seeds in %s' % (n, sys.argv[1]))


if __name__ == '__main__':
    main()
