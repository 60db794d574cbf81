#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# guest-files.sh WORKDIR: the extra initramfs files for the lu-keep tests, as
# mkinitramfs.sh "-f DEST=SRC" arguments, one per line: Debian's memcached,
# every shared library the dynamic loader resolves for it (ldd), its ELF
# interpreter (readelf), and the /etc/passwd and /etc/group it needs for
# "-u root". Nothing is hard-coded but the binary's name.

set -euo pipefail

work=${1:?usage: $0 WORKDIR}
MEMCACHED=${MEMCACHED:-/usr/bin/memcached}
[ -x "$MEMCACHED" ] || { echo "error: $MEMCACHED not found: install memcached (make deps)" >&2; exit 1; }
interp=$(readelf -l "$MEMCACHED" | sed -n 's/.*\[Requesting program interpreter: \(.*\)\]/\1/p')
[ -n "$interp" ] || { echo "error: $MEMCACHED has no ELF interpreter (not dynamic?)" >&2; exit 1; }
echo "-f"
echo "/usr/bin/memcached=$MEMCACHED"
echo "-f"
echo "$interp=$(readlink -f "$interp")"
# "libfoo.so.N => /path/libfoo.so.N (0x...)": the loader's own resolution.
libs=$(ldd "$MEMCACHED" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')
[ -n "$libs" ] || { echo "error: ldd found no libraries for $MEMCACHED" >&2; exit 1; }
if ldd "$MEMCACHED" | grep -q 'not found'; then
	echo "error: $MEMCACHED: $(ldd "$MEMCACHED" | grep 'not found' | head -1)" >&2
	exit 1
fi
for lib in $libs; do
	echo "-f"
	echo "$lib=$(readlink -f "$lib")"
done
mkdir -p "$work"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
	> "$work/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$work/group"
echo "-f"
echo "/etc/passwd=$work/passwd"
echo "-f"
echo "/etc/group=$work/group"
