#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Split what lu_fuzz_capture brought back from the guest into seeds for
# every fuzz target (see fuzz.h for the input format).
#
#   split.py CAPTURE_DIR CORPUS_DIR
#
# CAPTURE_DIR holds handover.bin (debugfs liveupdate/handover in the
# serialized window), kho-out/ and kho-in/ (debugfs kho), blackout.txt,
# blackout-cold.txt and update.lut (a lu-trace recording of both boots).
# Seeds are written as CORPUS_DIR/<target>/real-<what>.

import os
import struct
import sys

HDR = struct.Struct('<4sI24sQ')
PAGE = 4096
REGION, CHAIN, PAGES = 0, 1, 2


def rec(kind, fmt, data):
    return HDR.pack(b'LUDM', kind, fmt.encode(), len(data)) + data


def ctl(flags, value=0):
    return rec(REGION, 'fuzz-ctl', struct.pack('<QQ', flags, value))


def records(dump):
    off = 0
    while off + HDR.size <= len(dump):
        magic, kind, fmt, n = HDR.unpack_from(dump, off)
        if magic != b'LUDM':
            raise SystemExit('handover.bin: bad record at %d' % off)
        off += HDR.size
        yield kind, fmt.rstrip(b'\0').decode(), dump[off:off + n]
        off += n


def pages(data):
    """The [phys][page] list of a chain or page record."""
    return [(struct.unpack_from('<Q', data, o)[0], data[o + 8:o + 8 + PAGE])
            for o in range(0, len(data) - 8, 8 + PAGE)]


def set_ser(b):
    """struct kho_block_set_ser: (head, count, entry_size)."""
    head, count, esize = struct.unpack_from('<QQI', b, 16)
    return head, count, esize


class Corpus:
    def __init__(self, root):
        self.root = root
        self.n = 0

    def put(self, target, name, data):
        d = os.path.join(self.root, target)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, 'real-' + name), 'wb') as f:
            f.write(data)
        self.n += 1


def split_handover(dump, c):
    recs = list(records(dump))
    chains = {}                          # head phys -> (format, record bytes)
    for kind, fmt, data in recs:
        if kind == CHAIN and data:
            chains[pages(data)[0][0]] = (fmt, rec(CHAIN, fmt, data))
    by = lambda f: [d for k, fm, d in recs if fm == f]

    fdt, scratch, tracker = by('kho-fdt'), by('kho-scratch'), by('kho-tracker')
    if fdt and scratch:
        kho = rec(REGION, 'kho-fdt', fdt[0]) + rec(REGION, 'kho-scratch', scratch[0])
        kho += rec(PAGES, 'kho-tracker', tracker[0]) if tracker else b''
        c.put('kho', 'handover', kho)
        # As received: the tree's hashes, taken at the jump, are not those of the dump.
        c.put('kho', 'handover-raw-no-tracker', ctl(1) + kho[:kho.find(b'LUDM', HDR.size +
                                                                          len(fdt[0]) + 1)])

    state = by('luo-state')
    if state:
        st = state[0]
        head = set_ser(st[16:])[0]
        sessions = chains.get(head)
        if sessions:
            c.put('kho_block', 'sessions', rec(REGION, 'block-set', st[16:64]) + sessions[1])
            files = []
            for phys, blk in pages(sessions[1][HDR.size:]):
                cnt = struct.unpack_from('<Q', blk, 8)[0]
                for i in range(min(cnt, (PAGE - 16) // 112)):
                    e = blk[16 + i * 112:16 + (i + 1) * 112]
                    fh = set_ser(e[64:])[0]
                    if fh in chains:
                        files.append((e[:64].rstrip(b'\0').decode(), e[64:], chains[fh][1]))
            for name, desc, chain in files:
                if name.startswith('fuzz-s-') and name != 'fuzz-s-00':
                    continue
                c.put('kho_block', 'files-' + name, rec(REGION, 'block-set', desc) + chain)
            luo = rec(REGION, 'luo-state', st) + sessions[1]
            c.put('luo', 'all-sessions', luo + b''.join(f[2] for f in files))
            c.put('luo', 'four-sessions', luo + b''.join(f[2] for f in files[:4]))
            c.put('luo', 'four-sessions-raw', ctl(1) + luo + b''.join(f[2] for f in files[:4]))

    for i, desc in enumerate(by('memfd-desc')):
        head, count, esize = set_ser(desc[40:])
        seed = rec(REGION, 'memfd-desc', desc)
        if head in chains:
            seed += chains[head][1]
            c.put('kho_block', 'memfd-records-%d' % i, rec(REGION, 'block-set', desc[40:88]) +
                  chains[head][1])
        size = struct.unpack_from('<Q', desc, 8)[0]
        c.put('memfd', '%d-%dB-%dfolios' % (i, size, count), seed)

    for b in by('blackout'):
        # Dumped before the jump: the jump is stamped (and the hash taken) later.
        stamps = list(struct.unpack_from('<4Q', b, 72))
        if not stamps[3]:
            stamps[3] = stamps[2] + 1000000
        b = b[:72] + struct.pack('<4Q', *stamps) + b[104:]
        c.put('blackout', 'serialized', rec(REGION, 'blackout', b))
        c.put('blackout', 'serialized-entry', ctl(0, stamps[3] + 5000000) +
              rec(REGION, 'blackout', b))


def read(path):
    try:
        with open(path, 'rb') as f:
            return f.read()
    except OSError:
        return None


def split_files(cap, c):
    kho = b''
    for side, d in (('out', 'kho-out'), ('in', 'kho-in')):
        for name in ('fdt', 'scratch', 'subtrees', 'preserved', 'status'):
            data = read(os.path.join(cap, d, name))
            if data is not None:
                kho += rec(REGION, side + '/' + name, data)
    if kho:
        c.put('lutrace_kho', 'debugfs', kho)
        # lu-trace's decoder reads "kho-v1" trees: the same tree, as it would accept it.
        c.put('lutrace_kho', 'debugfs-v1', kho.replace(b'kho-v2\0', b'kho-v1\0'))
    lut = read(os.path.join(cap, 'update.lut'))
    if lut:
        c.put('lutrace_record', 'two-boots', lut)
    exp = b''
    for name in ('preserved', 'scratch'):
        data = read(os.path.join(cap, 'kho-out', name))
        if data is not None:
            exp += rec(REGION, name, data)
    for name, tag in (('blackout.txt', 'complete'), ('blackout-cold.txt', 'cold')):
        data = read(os.path.join(cap, name))
        if data is not None:
            c.put('lutrace_export', 'blackout-' + tag, exp + rec(REGION, 'blackout', data) +
                  rec(REGION, 'http', b'GET /metrics HTTP/1.1\r\nHost: guest\r\n'
                      b'Accept: text/plain;version=0.0.4\r\n\r\n'))
    if lut:
        sess = session_chunks(lut)
        if sess:
            c.put('lutrace_export', 'sessions', exp + rec(REGION, 'sessions', b''.join(sess[:8])) +
                  rec(REGION, 'http', b'GET /metrics HTTP/1.0\r\n\r\n'))


def session_chunks(lut):
    """The struct lu_session chunks of a recording (LU_REC_SESSION)."""
    hdr_size = struct.unpack_from('<I', lut, 12)[0]
    out, off = [], 0
    while off + 8 <= len(lut):
        if lut[off:off + 8] == b'LUTRACE\0':
            off += hdr_size
            continue
        typ, n = struct.unpack_from('<II', lut, off)
        if typ == 2:
            out.append(lut[off + 8:off + 8 + n])
        off += 8 + n
    return out


def main():
    if len(sys.argv) != 3:
        raise SystemExit('usage: split.py CAPTURE_DIR CORPUS_DIR')
    cap, corpus = sys.argv[1:]
    c = Corpus(corpus)
    dump = read(os.path.join(cap, 'handover.bin'))
    if not dump:
        raise SystemExit('%s: no handover.bin' % cap)
    split_handover(dump, c)
    split_files(cap, c)
    print('  SEEDS     %d real seeds in %s' % (c.n, corpus))


if __name__ == '__main__':
    main()
