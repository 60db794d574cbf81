#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh: assemble the test guest's initramfs with gen_init_cpio
# (no root needed). Contents:
#   /init                 lu-init (static)
#   /lu/bin/lu-kexec      -> /init (kexec into /kernel from a shell)
#   /lu/tests/*           every program in -b DIR except lu-init
#   their libraries       the ELF interpreter and every shared library it
#                         resolves for a dynamic program (tests, -f files)
#   /bin/busybox, /bin/sh static busybox (applets installed at boot)
#   /kernel               the same bzImage, for kexec_file_load
#   extra files           -f DEST=SRC (repeatable)

set -euo pipefail

usage() { echo "usage: $0 -k BZIMAGE -b BINDIR -g GEN_INIT_CPIO -o OUT [-f DEST=SRC]..." >&2; exit 2; }
KERNEL= BINDIR= GEN= OUT= EXTRA=()
while getopts "k:b:g:o:f:" opt; do
	case $opt in
	k) KERNEL=$OPTARG ;;
	b) BINDIR=$OPTARG ;;
	g) GEN=$OPTARG ;;
	o) OUT=$OPTARG ;;
	f) EXTRA+=("$OPTARG") ;;
	*) usage ;;
	esac
done
[ -n "$KERNEL" ] && [ -n "$BINDIR" ] && [ -n "$GEN" ] && [ -n "$OUT" ] || usage
BUSYBOX=${BUSYBOX:-/bin/busybox}
[ -r "$KERNEL" ] || { echo "error: $KERNEL not found" >&2; exit 1; }
[ -x "$BINDIR/lu-init" ] || { echo "error: $BINDIR/lu-init not built" >&2; exit 1; }
# Static: no program interpreter (readelf, not ldd, which runs every loader
# this machine happens to have, e.g. the i386 one, to ask it).
if ! [ -x "$BUSYBOX" ] || readelf -l "$BUSYBOX" 2> /dev/null | grep -q 'program interpreter'; then
	echo "error: $BUSYBOX is missing or not static: install busybox-static (make deps)" >&2
	exit 1
fi

# elf_deps FILE: "DEST=SRC" for FILE's ELF interpreter and each library
# the loader resolves for it (ldd), nothing for a static program or a file
# that is not ELF. The guest's paths are this host's.
elf_deps() {
	local interp libs
	interp=$(readelf -l "$1" 2> /dev/null |
		 sed -n 's/.*\[Requesting program interpreter: \(.*\)\]/\1/p')
	[ -n "$interp" ] || return 0
	if ldd "$1" | grep -q 'not found'; then
		echo "error: $1: $(ldd "$1" | grep 'not found' | head -1)" >&2
		return 1
	fi
	echo "$interp=$(readlink -f "$interp")"
	libs=$(ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')
	for lib in $libs; do
		echo "$lib=$(readlink -f "$lib")"
	done
}

# Every library once (a dynamic -f file may bring its own as -f too).
declare -A have=()
for e in "${EXTRA[@]}"; do
	have[${e%%=*}]=1
done
progs=("$BINDIR"/*)
for e in "${EXTRA[@]}"; do
	progs+=("${e#*=}")
done
for f in "${progs[@]}"; do
	[ -f "$f" ] && [ -x "$f" ] || continue
	deps=$(elf_deps "$f") || exit 1
	for d in $deps; do
		[ -n "${have[${d%%=*}]:-}" ] && continue
		have[${d%%=*}]=1
		EXTRA+=("$d")
	done
done

list=$OUT.list
{
	for d in /dev /proc /sys /run /tmp /bin /sbin /root /lu /lu/bin /lu/tests; do
		echo "dir $d 0755 0 0"
	done
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "file /init $BINDIR/lu-init 0755 0 0"
	echo "slink /lu/bin/lu-kexec /init 0777 0 0"
	echo "file /bin/busybox $BUSYBOX 0755 0 0"
	echo "slink /bin/sh /bin/busybox 0777 0 0"
	echo "file /kernel $KERNEL 0644 0 0"
	for f in "$BINDIR"/*; do
		b=$(basename "$f")
		[ "$b" = lu-init ] || [ ! -x "$f" ] || echo "file /lu/tests/$b $f 0755 0 0"
	done
	for e in "${EXTRA[@]}"; do
		dest=${e%%=*} src=${e#*=}
		# every directory above it, outermost first (the unpacker makes no parents)
		d=$(dirname "$dest") dirs=()
		while [ "$d" != / ]; do dirs=("$d" "${dirs[@]}"); d=$(dirname "$d"); done
		for d in "${dirs[@]}"; do echo "dir $d 0755 0 0"; done
		echo "file $dest $src $( [ -x "$src" ] && echo 0755 || echo 0644) 0 0"
	done
} | awk '!seen[$0]++' > "$list"
"$GEN" -t "${SOURCE_DATE_EPOCH:-1767225600}" "$list" > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
