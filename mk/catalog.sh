#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mk/catalog.sh VMLINUX: the format catalog of a kernel build as JSON, on
# stdout (kbuild.sh writes it next to the bzImage as liveupdate-catalog.json).
# The catalog is the "Liveupdate" ELF notes of vmlinux (layout in
# include/linux/kho/abi/format.h), read with readelf; `lu-trace compat -j
# -c IMAGE` reads the same notes from a bzImage, and mk/formats.sh checks
# that both agree.

set -euo pipefail
[ $# = 1 ] && [ -r "$1" ] || { echo "usage: $0 VMLINUX" >&2; exit 2; }
release=$(strings -n 8 "$1" | grep -m1 -oE '^Linux version [^ ]+' | cut -d' ' -f3 || true)
readelf --notes --wide "$1" | awk -v image="$1" -v release="$release" '
	BEGIN { for (i = 0; i < 256; i++) hex[sprintf("%02x", i)] = i }
	# Little-endian integer of bytes [off, off + n) of the description.
	function le(off, n,    v, i) {
		v = 0
		for (i = n - 1; i >= 0; i--) v = v * 256 + hex[b[off + i + 1]]
		return v
	}
	function versions(off,    s, v, lo, hi) {
		s = ""; lo = le(off, 4); hi = le(off + 4, 4)
		for (v = 1; v <= 63; v++)
			if ((v < 32 ? int(lo / 2 ^ v) : int(hi / 2 ^ (v - 32))) % 2)
				s = s (s == "" ? "" : ",") v
		return "[" s "]"
	}
	# readelf --wide puts the description on the note'"'"'s line, else on the next.
	$1 == "Liveupdate" { want = ($2 == "0x00000038"); if (!/description data:/) next }
	want && /description data:/ {
		want = 0
		sub(/.*description data: */, "")
		n = split($0, b, " ")
		if (n != 56) { print "catalog.sh: damaged note" > "/dev/stderr"; exit 1 }
		name = ""
		for (i = 1; i <= 32 && b[i] != "00"; i++) name = name sprintf("%c", hex[b[i]])
		fl = le(52, 4)
		out[++nf] = sprintf("{\"name\":\"%s\",\"read\":%s,\"write\":%s,\"default\":%d,\"optional\":%s,\"file\":%s}",
			name, versions(32), versions(40), le(48, 4),
			fl % 2 ? "true" : "false", int(fl / 2) % 2 ? "true" : "false")
	}
	END {
		printf "{\"catalog\":\"liveupdate-catalog-v1\",\"image\":\"%s\",\"release\":\"%s\",\"formats\":[", image, release
		for (i = 1; i <= nf; i++) printf "%s%s", (i > 1 ? "," : ""), out[i]
		print "]}"
	}'
