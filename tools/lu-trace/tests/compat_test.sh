#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Tests of "lu-trace compat" against made-up kernels.
#
# Builds compat.c and catalog.c with a tiny main (tests/compat/main.c) and a
# generator of catalogs (tests/compat/mkcat.c: raw notes, minimal ELF64
# vmlinuxes, fake bzImages around a payload compressed here with gzip, xz
# and zstd) into a temporary directory, then checks the output, the JSON
# and the exit code of each case: pairs of kernels, the running kernel's
# switches (a fake sysfs), --apply, every kind of damage, the command line,
# and the catalogs of build/kernel's vmlinux and bzImage when they have one.
#
#   tools/lu-trace/tests/compat_test.sh [LU_TRACE]
#   COMPAT_C=/path/to/other/compat.c tools/lu-trace/tests/compat_test.sh
#
# LU_TRACE: the built tool, to check that it runs the same command.
# Needs gcc, gzip, xz, zstd and python3; ASan and UBSan (gcc's) for the
# damaged-bytes cases when they link. Prints "ok N - desc" or
# "not ok N - desc" per case; exits 1 if any failed.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
repo=$(cd "$src/../.." && pwd)
LU=${1:-}
[[ -z $LU || $LU == /* ]] || LU=$PWD/$LU
COMPAT_C=${COMPAT_C:-$src/compat.c}
CATALOG_C=${CATALOG_C:-$src/catalog.c}
CC=${CC:-gcc}
CFLAGS=(-g -O2 -Wall -Wextra -Wno-unused-parameter -Wmissing-field-initializers -Werror
	-Werror=undef)
INCLUDES=(-I"$repo/bpf" -I"$src")
LIBS=(-lz -llzma -lzstd)
KBUILD=${KBUILD:-$repo/build/kernel}

tmp=$(mktemp -d /tmp/compat_test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

. "$here/../../../mk/tap.sh"
ok() { tap_ok "$1"; }
not_ok() { tap_not_ok "$@"; }

# Build ------------------------------------------------------------------

srcs=("$COMPAT_C" "$CATALOG_C" "$src/util.c" "$here/compat/main.c")
if out=$("$CC" "${CFLAGS[@]}" -static "${INCLUDES[@]}" "${srcs[@]}" -o "$tmp/compat-test" \
	"${LIBS[@]}" 2>&1); then
	ok "compat.c and catalog.c build with -Wall -Wextra -Werror"
else
	not_ok "compat.c and catalog.c build with -Wall -Wextra -Werror" "$out"
	tap_end || true
	exit 1
fi
"$CC" "${CFLAGS[@]}" "$here/compat/mkcat.c" -o "$tmp/mkcat"
# flip: every byte of an image damaged in turn, read in one process.
asan=" (ASan+UBSan)"
if ! "$CC" "${CFLAGS[@]}" -fsanitize=address,undefined -fno-sanitize-recover=all \
	"${INCLUDES[@]}" "$CATALOG_C" "$here/compat/flip.c" -o "$tmp/flip" "${LIBS[@]}" \
	2>/dev/null; then
	asan=
	"$CC" "${CFLAGS[@]}" "${INCLUDES[@]}" "$CATALOG_C" "$here/compat/flip.c" -o "$tmp/flip" \
		"${LIBS[@]}"
fi

# catalog.h mirrors the kernel's ABI header: abi.c builds only if they agree.
if out=$("$CC" "${CFLAGS[@]}" -I"$repo/include" -I"$src" "$here/compat/abi.c" \
	-o "$tmp/abi" 2>&1) && "$tmp/abi"; then
	ok "catalog.h agrees with include/linux/kho/abi/format.h"
else
	not_ok "catalog.h agrees with include/linux/kho/abi/format.h" "$out"
fi

# run ARGS...: run "lu-trace compat ARGS", keep $rc, $tmp/stdout and $tmp/stderr
run() { tap_run "$tmp" "${bin:-$tmp/compat-test}" compat "$@"; }
# expect DESC RC STDOUT STDERR: the last run printed exactly that
expect() { tap_expect "$tmp" "$@"; }

# refused DESC RC PREFIX: the last run exited with RC, printed nothing on
# stdout and one line on stderr that begins with PREFIX
refused()
{
	local desc=$1 want_rc=$2 want=$3

	if [[ $rc == "$want_rc" && ! -s $tmp/stdout && $(wc -l <"$tmp/stderr") == 1 ]] &&
		[[ $(cat "$tmp/stderr") == "$want"* ]]; then
		ok "$desc"
	else
		not_ok "$desc" "exit code $rc (expected $want_rc), expected one line: $want..." \
			"$(head -3 "$tmp/stderr")"
	fi
}

# expect_json DESC RC PYTHON-EXPRESSION: the last run exited with RC, printed
# valid JSON, and the expression over it (as j; f: its formats by name) is true
expect_json()
{
	tap_expect_json "$tmp" "$1" "$2" "f = {x['name']: x for x in j['formats']}" "$3"
}

# damaged DESC FILE MESSAGE: exit 65, nothing on stdout, exactly one line
# on stderr: "lu-trace compat: FILE: MESSAGE"
damaged()
{
	local desc=$1 file=$2 msg=$3

	run -c "$file"
	expect "damaged: $desc" 65 "" "lu-trace compat: $file: $msg"
}

# Fixtures -----------------------------------------------------------------

# The formats of kernel A; B reads and writes only memfd-v3; C has no memfd
# and no blackout record; D no blackout record (optional); E no catalog.
A=(kho:1:1:1 kho-block:1:1:1 luo:1:1:1 luo-blackout:1:1:1:optional memfd:3,4:3,4:4:file)
B=(kho:1:1:1 kho-block:1:1:1 luo:1:1:1 luo-blackout:1:1:1:optional memfd:3:3:3:file)
C=(kho:1:1:1 kho-block:1:1:1 luo:1:1:1)
D=(kho:1:1:1 kho-block:1:1:1 luo:1:1:1 memfd:3,4:3,4:4:file)

M=$tmp/mkcat
cd "$tmp"

# bz OUT PAYLOAD-ELF COMPRESSION [MKCAT-OPTIONS...]: a bzImage, its payload
# compressed as the kernel's build does (xz and zstd with the size appended)
bz()
{
	local out=$1 elf=$2 how=$3 size

	shift 3
	size=$(stat -c %s "$elf")
	case $how in
	gzip) gzip -9 -n -c "$elf" >"$out.payload" ;;
	xz) xz --check=crc32 --x86 --lzma2=dict=1MiB -c "$elf" >"$out.payload" ;;
	zstd) zstd -q -19 -c "$elf" >"$out.payload" ;;
	none) cp "$elf" "$out.payload" ;;
	esac
	if [[ $how == xz || $how == zstd ]]; then
		printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((size & 255)) \
			$((size >> 8 & 255)) $((size >> 16 & 255)) $((size >> 24 & 255)))" \
			>>"$out.payload"
	fi
	"$M" bzimage "$@" "$out" "$out.payload"
}

for k in A B C D; do
	declare -n specs=$k
	"$M" notes "$k.notes" "${specs[@]}"
	"$M" elf "$k.elf" "${specs[@]}"
	bz "$k.bz" "$k.elf" gzip
done
"$M" elf -S A.sections.elf "${A[@]}"
"$M" elf E.elf
bz E.bz E.elf gzip
bz A.xz.bz A.elf xz
bz A.zstd.bz A.elf zstd
bz A.none.bz A.elf none -r 6.12.10-lu

# One catalog ------------------------------------------------------------

A_TABLE='FORMAT        READS  WRITES  DEFAULT  FLAGS
kho           1      1       1        -
kho-block     1      1       1        -
luo           1      1       1        -
luo-blackout  1      1       1        optional
memfd         3,4    3,4     4        file'

run -c A.notes
expect "catalog of raw notes: text" 0 "IMAGE A.notes (notes): 5 formats
$A_TABLE" ""

run --catalog A.bz
expect "catalog of a gzip bzImage: text, with its release" 0 \
	"IMAGE A.bz (gzip bzImage, release 6.12.9-lu): 5 formats
$A_TABLE" ""

run -j -c A.bz
expect_json "catalog as JSON: self-describing" 0 \
	'j["catalog"] == "liveupdate-catalog-v1" and j["image"] == "A.bz"
	 and j["release"] == "6.12.9-lu" and j["kind"] == "bzImage" and j["compression"] == "gzip"
	 and [x["name"] for x in j["formats"]] == ["kho", "kho-block", "luo", "luo-blackout", "memfd"]
	 and f["memfd"] == {"name": "memfd", "read": [3, 4], "write": [3, 4], "default": 4,
			    "optional": False, "file": True, "flags": 2}
	 and f["luo-blackout"]["optional"] and not f["luo-blackout"]["file"]
	 and "switch" not in f["kho"]'

# The same catalog from every kind of image.
run -j -c A.notes
python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))["formats"]))' \
	"$tmp/stdout" >want.json
for img in A.elf A.sections.elf A.bz A.xz.bz A.zstd.bz A.none.bz; do
	run -j -c "$img"
	if [[ $rc == 0 ]] && python3 -c 'import json, sys
sys.exit(json.load(open(sys.argv[1]))["formats"] != json.load(open(sys.argv[2])))' \
		"$tmp/stdout" want.json; then
		ok "same catalog from $img as from the raw notes"
	else
		not_ok "same catalog from $img as from the raw notes" "rc $rc" \
			"$(cat "$tmp/stderr" "$tmp/stdout")"
	fi
done

run -c E.bz
expect "an image without notes: an empty catalog, not an error" 0 \
	"IMAGE E.bz (gzip bzImage, release 6.12.9-lu): no liveupdate format catalog" ""
run -j -c E.elf
expect_json "an image without notes: JSON" 0 'j["formats"] == [] and j["release"] is None'

# Pairs ------------------------------------------------------------------

pair_table()	# FROM-READS..USED of memfd, and the USED of luo-blackout
{
	printf '%s\n' 'FORMAT        FROM-READS  FROM-WRITES  TO-READS  TO-WRITES  USED' \
		'kho           1           1            1         1          1' \
		'kho-block     1           1            1         1          1' \
		'luo           1           1            1         1          1'
	printf 'luo-blackout  1           1            %-8s  %-9s  %s\n' "$2" "$3" "$4"
	printf 'memfd         %s\n' "$1"
}

run A.bz A.bz
expect "A to A: memfd-v4, compatible" 0 \
	"FROM  A.bz (gzip bzImage, release 6.12.9-lu): 5 formats
TO    A.bz (gzip bzImage, release 6.12.9-lu): 5 formats
$(pair_table '3,4         3,4          3,4       3,4        4' 1 1 1)
compatible" ""

run A.bz B.bz
expect "A to B: memfd-v3, the newest both know" 0 \
	"FROM  A.bz (gzip bzImage, release 6.12.9-lu): 5 formats
TO    B.bz (gzip bzImage, release 6.12.9-lu): 5 formats
$(pair_table '3,4         3,4          3         3          3' 1 1 1)
compatible" ""

run B.notes A.elf
expect "B to A: memfd-v3" 0 \
	"FROM  B.notes (notes): 5 formats
TO    A.elf (vmlinux): 5 formats
$(pair_table '3           3            3,4       3,4        3' 1 1 1)
compatible" ""

run A.bz C.bz
expect "A to C (no memfd): incompatible, memfd named" 1 \
	"FROM  A.bz (gzip bzImage, release 6.12.9-lu): 5 formats
TO    C.bz (gzip bzImage, release 6.12.9-lu): 3 formats
$(pair_table '3,4         3,4          -         -          -' - - '- (optional, not written)')
incompatible: memfd (FROM writes 3,4, TO reads none)" ""

run A.bz D.bz
expect "A to D (no blackout record): optional, still compatible" 0 \
	"FROM  A.bz (gzip bzImage, release 6.12.9-lu): 5 formats
TO    D.bz (gzip bzImage, release 6.12.9-lu): 4 formats
$(pair_table '3,4         3,4          3,4       3,4        4' - - '- (optional, not written)')
compatible" ""

run C.bz A.bz
desc="C to A: what C lacks is not written"
if [[ $rc == 0 ]] && grep -Fxq 'memfd         -           -            3,4       3,4        -' \
	"$tmp/stdout" && [[ $(tail -n 1 "$tmp/stdout") == compatible ]]; then
	ok "$desc"
else
	not_ok "$desc" "rc $rc" "$(cat "$tmp/stdout" "$tmp/stderr")"
fi

run A.notes E.bz
expect "A to a kernel without a catalog: every format a conflict" 1 \
	"FROM  A.notes (notes): 5 formats
TO    E.bz (gzip bzImage, release 6.12.9-lu): no liveupdate format catalog
FORMAT        FROM-READS  FROM-WRITES  TO-READS  TO-WRITES  USED
kho           1           1            -         -          -
kho-block     1           1            -         -          -
luo           1           1            -         -          -
luo-blackout  1           1            -         -          - (optional, not written)
memfd         3,4         3,4          -         -          -
incompatible: kho (FROM writes 1, TO reads none), kho-block (FROM writes 1, TO reads none), $(
)luo (FROM writes 1, TO reads none), memfd (FROM writes 3,4, TO reads none)" ""

run E.elf E.bz
expect "two kernels without a catalog: compatible" 0 \
	"FROM  E.elf (vmlinux): no liveupdate format catalog
TO    E.bz (gzip bzImage, release 6.12.9-lu): no liveupdate format catalog
compatible" ""

run -j A.bz B.bz
expect_json "A to B: JSON" 0 \
	'j["from"] == "A.bz" and j["to"] == "B.bz" and j["compatible"] is True
	 and j["from_release"] == "6.12.9-lu" and len(j["formats"]) == 5
	 and f["memfd"] == {"name": "memfd", "from_read": [3, 4], "from_write": [3, 4],
			    "to_read": [3], "to_write": [3], "used": 3, "conflict": False,
			    "optional": False, "live": True, "switch": "auto"}'

run --json A.bz C.bz
expect_json "A to C: JSON names the conflict" 1 \
	'j["compatible"] is False and f["memfd"]["conflict"] and f["memfd"]["used"] is None
	 and f["memfd"]["to_read"] == [] and f["luo-blackout"]["optional"]
	 and not f["luo-blackout"]["conflict"] and f["luo-blackout"]["used"] is None
	 and [x["name"] for x in j["formats"] if x["conflict"]] == ["memfd"]'

run -j C.bz A.bz
expect_json "C to A: JSON, the formats of TO only" 0 \
	'f["memfd"]["from_read"] == [] and f["memfd"]["live"] is None
	 and f["memfd"]["switch"] is None and not f["memfd"]["conflict"]'

# The running kernel (a fake sysfs) -------------------------------------------

# sysfs DIR [NAME FILE VALUE]...: DIR/kernel/notes of A and the given switches
sysfs()
{
	local d=$1

	shift
	rm -rf "$d"
	mkdir -p "$d/kernel/liveupdate/formats"
	cp A.notes "$d/kernel/notes"
	while (($#)); do
		mkdir -p "$d/kernel/liveupdate/formats/$1"
		echo "$3" >"$d/kernel/liveupdate/formats/$1/$2"
		shift 3
	done
}

S=$tmp/sys
sysfs "$S" memfd write 4 memfd live 1 kho write auto kho live 0
run -s "$S" -c
expect "running: the switches and live flags" 0 \
	"IMAGE running (running kernel): 5 formats
FORMAT        READS  WRITES  DEFAULT  FLAGS     SWITCH  LIVE
kho           1      1       1        -         auto    no
kho-block     1      1       1        -         auto    -
luo           1      1       1        -         auto    -
luo-blackout  1      1       1        optional  auto    -
memfd         3,4    3,4     4        file      4       yes" ""

run -s "$S" -j -c running
expect_json "running: JSON with the switches" 0 \
	'j["kind"] == "running" and f["memfd"]["switch"] == "4" and f["memfd"]["live"] is True
	 and f["kho"]["live"] is False and f["luo"]["live"] is None'

run -s "$S" B.bz
expect "running, memfd forced to 4, to B: incompatible" 1 \
	"FROM  running (running kernel): 5 formats
TO    B.bz (gzip bzImage, release 6.12.9-lu): 5 formats
$(pair_table '3,4         3,4          3         3          -' 1 1 1)
incompatible: memfd (FROM writes 4, TO reads 3)" ""

run -s "$S" running A.bz
if [[ $rc == 0 ]] && grep -Eq '^memfd .* 4$' "$tmp/stdout"; then
	ok "running, memfd forced to 4, to A: memfd-v4"
else
	not_ok "running, memfd forced to 4, to A: memfd-v4" "rc $rc" "$(cat "$tmp/stdout")"
fi

sysfs "$S" memfd write off memfd live 1
run -s "$S" A.bz
if [[ $rc == 1 ]] && grep -Eq '^memfd .* - \(write off\)$' "$tmp/stdout" &&
	[[ $(tail -n 1 "$tmp/stdout") == "incompatible: memfd (FROM writes off, TO reads 3,4)" ]]; then
	ok "running, memfd off with live data: a conflict (the kernel refuses the kexec)"
else
	not_ok "running, memfd off with live data: a conflict" "rc $rc" "$(cat "$tmp/stdout")"
fi

sysfs "$S" memfd write off memfd live 0
run -s "$S" A.bz
if [[ $rc == 0 ]] && grep -Eq '^memfd .* - \(no data, not written\)$' "$tmp/stdout"; then
	ok "running, memfd off without data: compatible"
else
	not_ok "running, memfd off without data: compatible" "rc $rc" "$(cat "$tmp/stdout")"
fi

sysfs "$S" memfd live 0
run -s "$S" C.bz
expect "running, no memfd data, to C (no memfd): compatible" 0 \
	"FROM  running (running kernel): 5 formats
TO    C.bz (gzip bzImage, release 6.12.9-lu): 3 formats
$(pair_table '3,4         3,4          -         -          - (no data, not written)' \
	- - '- (optional, not written)')
compatible" ""

sysfs "$S"
run -s "$S" C.bz
desc="running without live files: data assumed, C incompatible"
if [[ $rc == 1 ]] && [[ $(tail -n 1 "$tmp/stdout") == \
	"incompatible: memfd (FROM writes 3,4, TO reads none)" ]]; then
	ok "$desc"
else
	not_ok "$desc" "rc $rc" "$(cat "$tmp/stdout")"
fi

sysfs "$S" memfd write 5
run -s "$S" -c
expect "running: a switch of a version it does not write" 65 "" \
	"lu-trace compat: running: $S/kernel/liveupdate/formats/memfd/write: \"5\": $(
	)expected auto, off or a version it writes (3,4)"

sysfs "$S" kho live yes
run -s "$S" A.bz
expect "running: a live file that is not 0 or 1" 65 "" \
	"lu-trace compat: running: $S/kernel/liveupdate/formats/kho/live: \"yes\": expected 0 or 1"

rm -rf "$S"
run -s "$S" A.bz
expect "running: no notes file" 66 "" \
	"lu-trace compat: running: $S/kernel/notes: No such file or directory"

# This machine's kernel, whatever it has.
if [[ -r /sys/kernel/notes ]]; then
	run -j -c
	expect_json "this machine's running kernel: a catalog (maybe empty)" 0 \
		'j["kind"] == "running" and j["image"] == "running" and j["release"]'
	run -c running
	if [[ $rc == 0 && $(head -n 1 "$tmp/stdout") == "IMAGE running (running kernel, release $(uname -r))"* ]]; then
		ok "this machine's running kernel: text, with uname's release"
	else
		not_ok "this machine's running kernel: text" "rc $rc" "$(cat "$tmp/stdout" "$tmp/stderr")"
	fi
else
	tap_skip "this machine's running kernel" "/sys/kernel/notes is not readable"
fi

# --apply ----------------------------------------------------------------

N=$S/kernel/liveupdate/next_formats
sysfs "$S"
: >"$N"
run -s "$S" -a B.bz
if [[ $rc == 0 && ! -s $tmp/stdout && ! -s $tmp/stderr ]] &&
	[[ $(cat "$N") == $'kho 1\nkho-block 1\nluo 1\nluo-blackout 1\nmemfd 3' ]]; then
	ok "--apply B: what B reads, one line per format"
else
	not_ok "--apply B: what B reads" "rc $rc" "$(cat "$tmp/stderr" "$N")"
fi

run -s "$S" --apply A.xz.bz
if [[ $rc == 0 ]] && [[ $(tail -n 1 "$N") == "memfd 3,4" ]]; then
	ok "--apply A: replaces what was there"
else
	not_ok "--apply A: replaces what was there" "rc $rc" "$(cat "$tmp/stderr" "$N")"
fi

run -s "$S" -a E.bz
if [[ $rc == 0 ]] && [[ $(cat "$N") == $'kho\nkho-block\nluo\nluo-blackout\nmemfd' ]]; then
	ok "--apply of an image without a catalog: every format named, no version"
else
	not_ok "--apply of an image without a catalog" "rc $rc" "$(cat "$tmp/stderr" "$N")"
fi

rm -f "$N"
run -s "$S" -a B.bz
expect "--apply: no next_formats" 1 "" \
	"lu-trace compat: $N: No such file or directory: $(
	)this kernel does not negotiate handover formats"

mkdir "$N"
run -s "$S" -a B.bz
expect "--apply: next_formats cannot be written" 1 "" "lu-trace compat: $N: Is a directory"

run -s "$S" -a "$tmp/none"
expect "--apply: missing image" 66 "" "lu-trace compat: $tmp/none: No such file or directory"

# Damaged images -----------------------------------------------------------

"$M" notes -x truncate t.notes "${A[@]}"
damaged "raw notes cut in a note" t.notes \
	"note at 0x164: description of 56 bytes runs past the end (0x18c)"
"$M" notes -x desc55 d55.notes "${A[@]}"
damaged "a Liveupdate note of 55 bytes" d55.notes \
	"note at 0x24: \"Liveupdate\" note of 55 bytes, expected 56"
"$M" notes -x unterminated u.notes "${A[@]}"
damaged "a name without its NUL" u.notes \
	"note at 0x24: format name \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" is not NUL-terminated"
"$M" notes -x namesz nsz.notes "${A[@]}"
damaged "a note name size that overflows" nsz.notes \
	"note at 0x24: name of 4294967295 bytes runs past the end (0x1ec)"
"$M" notes w.notes kho:1:1:1 memfd:3:3,4:4
damaged "write not a subset of read" w.notes "format memfd: writes 4, which it does not read (reads 3)"
"$M" notes r0.notes memfd:0,3:3:3
damaged "bit 0 in read" r0.notes "format memfd: its read versions have bit 0 set (versions are 1 to 63)"
"$M" notes def.notes memfd:3,4:3:4
damaged "default not in write" def.notes "format memfd: default version 4 is not one it writes (3)"
"$M" notes def0.notes memfd:3:3:0
damaged "default version 0" def0.notes "format memfd: default version 0 is not one it writes (3)"
"$M" notes dup.notes kho:1:1:1 memfd:3:3:3 kho:1,2:1:1
damaged "a name twice" dup.notes "format kho: declared twice (notes at 0x24 and 0xc4)"
"$M" notes sp.notes 'mem fd:3:3:3'
damaged "a name with a space" sp.notes \
	"note at 0x24: format name \"mem fd\": only letters, digits, '.', '_' and '-' are allowed"
"$M" notes empty-name.notes ':3:3:3'
damaged "an empty name" empty-name.notes "note at 0x24: empty format name"
head -c 120 A.notes >g.notes
printf '\x01\x02\x03' >>g.notes
damaged "garbage after the notes" g.notes "note at 0x74: 7 bytes left, less than a note header"

"$M" elf -x class32 c32.elf "${A[@]}"
damaged "a 32-bit ELF" c32.elf "ELF: 32-bit (ELFCLASS32): not supported"
"$M" elf -x phoff ph.elf "${A[@]}"
damaged "program headers past the end" ph.elf \
	"ELF: 1 program headers at 0x7fffffff run past the end of the file (612 bytes)"
"$M" elf -x noteoff no.elf "${A[@]}"
damaged "PT_NOTE past the end" no.elf \
	"ELF: PT_NOTE at 0x10000000, 492 bytes, runs past the end of the file (612 bytes)"
head -c 100 A.elf >tr.elf
damaged "a truncated ELF" tr.elf \
	"ELF: 1 program headers at 0x40 run past the end of the file (100 bytes)"
"$M" elf -x truncate tn.elf "${A[@]}"
damaged "an ELF whose notes are cut" tn.elf \
	"note at 0x1dc: description of 56 bytes runs past the end (0x204)"
"$M" elf -x desc55 d55.elf "${A[@]}"
bz d55.bz d55.elf zstd
damaged "a bzImage whose ELF has a 55-byte note" d55.bz \
	"bzImage: zstd payload: note at 0x9c: \"Liveupdate\" note of 55 bytes, expected 56"

size=$(stat -c %s A.bz)
head -c $((size - 100)) A.bz >tr.bz
damaged "a truncated bzImage" tr.bz "bzImage: payload at 0x1040, $((size - 0x1040)) bytes, $(
	)runs past the end of the file ($((size - 100)) bytes)"
bz off.bz A.elf gzip -o 0x100000
damaged "payload_offset past the end" off.bz "bzImage: payload at 0x101000, $((size - 0x1040)) $(
	)bytes, runs past the end of the file ($size bytes)"
bz len.bz A.elf gzip -l 0xffffffff
damaged "payload_length past the end" len.bz "bzImage: payload at 0x1040, 4294967295 bytes, $(
	)runs past the end of the file ($size bytes)"
bz v206.bz A.elf gzip -v 0x206
damaged "boot protocol 2.06" v206.bz \
	"bzImage: boot protocol 2.06 has no payload fields (2.08 or later needed)"
printf 'MZ%.0s' {1..50} >magic.elf
bz magic.bz magic.elf none
damaged "a payload of unknown compression" magic.bz \
	"bzImage: payload of unknown compression (begins 4d 5a 4d 5a)"
printf '\x02\x21\x4c\x18 lz4 legacy frame' >lz4.elf
bz lz4.bz lz4.elf none
damaged "an lz4 payload" lz4.bz "bzImage: lz4 payload: not supported"
printf 'BZh91AY&SY' >bz2.elf
bz bz2.bz bz2.elf none
damaged "a bzip2 payload" bz2.bz "bzImage: bzip2 payload: not supported"
printf '\x89LZO\x00' >lzo.elf
bz lzo.bz lzo.elf none
damaged "an lzo payload" lzo.bz "bzImage: lzo payload: not supported"
echo "not an ELF at all" >text.elf
bz text.bz text.elf gzip
damaged "a payload that is not an ELF" text.bz "bzImage: gzip payload: not an ELF file"
cp A.bz corrupt.bz
printf '\x00\x11\x22\x33\x44\x55\x66\x77' | dd of=corrupt.bz bs=1 seek=$((0x1040 + 40)) \
	conv=notrunc status=none
run -c corrupt.bz
refused "damaged: a corrupt gzip payload" 65 \
	"lu-trace compat: corrupt.bz: bzImage: gzip payload: corrupt ("
for how in xz zstd; do
	cp "A.$how.bz" "corrupt.$how.bz"
	printf '\x00\x11\x22\x33\x44\x55\x66\x77' | dd of="corrupt.$how.bz" bs=1 \
		seek=$((0x1040 + 60)) conv=notrunc status=none
	run -c "corrupt.$how.bz"
	refused "damaged: a corrupt $how payload" 65 \
		"lu-trace compat: corrupt.$how.bz: bzImage: $how payload: corrupt"
done
# Each compressed stream cut in half (payload_length says so: no overrun).
gzip -9 -n -c A.elf >A.gz
xz --check=crc32 -c A.elf >A.xz
zstd -q -19 -c A.elf >A.zst
for how in gz xz zst; do
	head -c $(($(stat -c %s "A.$how") / 2)) "A.$how" >"half.$how"
	"$M" bzimage "half.$how.bz" "half.$how"
	run -c "half.$how.bz"
	name=${how/gz/gzip}
	refused "damaged: a $how payload cut in half" 65 \
		"lu-trace compat: half.$how.bz: bzImage: ${name/zst/zstd} payload: truncated (ends after "
done
# More than 1 GiB of output: a bomb, refused once the cap is reached.
head -c $((1100 << 20)) /dev/zero | zstd -q -1 -c >bomb.zst
"$M" bzimage bomb.bz bomb.zst
damaged "a payload of more than 1 GiB" bomb.bz \
	"bzImage: zstd payload: decompresses to more than 1024 MiB"
rm -f bomb.zst bomb.bz

printf 'hello\n' >hello.txt
damaged "a text file" hello.txt "not a bzImage, an ELF file or a notes file"
: >empty
damaged "an empty file" empty "empty file"

run -c "$tmp/none"
expect "a missing file" 66 "" "lu-trace compat: $tmp/none: No such file or directory"
run A.bz "$tmp"
expect "a directory" 66 "" "lu-trace compat: $tmp: Is a directory"
run "$tmp/none" A.bz
expect "a missing FROM" 66 "" "lu-trace compat: $tmp/none: No such file or directory"

# Robustness: every byte of valid images damaged in turn ---------------------

# flip DESC FILE FROM TO: every byte in [FROM, TO) damaged three ways
flip()
{
	local out

	if out=$("$tmp/flip" "$2" "$3" "$4" 2>&1); then
		ok "damaged bytes of $1: a valid catalog or one line and 65, never a crash$asan ($out)"
	else
		not_ok "damaged bytes of $1: never a crash$asan" "$out"
	fi
}
flip "raw notes" A.notes 0 "$(stat -c %s A.notes)"
flip "an ELF" A.elf 0 "$(stat -c %s A.elf)"
flip "an ELF with sections" A.sections.elf 0 "$(stat -c %s A.sections.elf)"
for b in A.bz A.xz.bz A.zstd.bz; do
	flip "a bzImage's header and payload ($b)" "$b" $((0x1f0)) "$(stat -c %s "$b")"
done

# Command line ------------------------------------------------------------

USAGE="Try \`lu-trace compat --help' or \`lu-trace compat --usage' for more
information."
run
expect "no image" 64 "" "lu-trace compat: no image given (lu-trace compat [FROM] TO)
$USAGE"
run A.bz B.bz C.bz
expect "three images" 64 "" "lu-trace compat: unexpected argument 'C.bz'
$USAGE"
run -c A.bz B.bz
expect "--catalog of two images" 64 "" "lu-trace compat: --catalog takes one IMAGE
$USAGE"
run -a
expect "--apply without an image" 64 "" "lu-trace compat: --apply takes one IMAGE
$USAGE"
run -a -c A.bz
expect "--apply and --catalog" 64 "" "lu-trace compat: --catalog and --apply exclude each other
$USAGE"
run -a -j A.bz
expect "--apply and --json" 64 "" "lu-trace compat: --apply prints nothing, --json is not for it
$USAGE"
run ''
expect "an empty image name" 64 "" "lu-trace compat: invalid image ''
$USAGE"
run -s '' A.bz
expect "an empty sysfs" 64 "" "lu-trace compat: invalid sysfs directory ''
$USAGE"
run --bogus A.bz
expect "an unknown option" 64 "" "lu-trace compat: unrecognized option '--bogus'
$USAGE"

run --help
if [[ $rc == 0 ]] && grep -q '^Usage: lu-trace compat \[OPTION...\] \[FROM\] TO' "$tmp/stdout" &&
	grep -q '^EXAMPLES:' "$tmp/stdout" && grep -q -- '--sysfs=DIR' "$tmp/stdout" &&
	awk 'length($0) >= 80 { exit 1 }' "$tmp/stdout"; then
	ok "--help: usage, examples, under 80 columns"
else
	not_ok "--help: usage, examples, under 80 columns" "exit code $rc" "$(head -5 "$tmp/stdout")"
fi

# The built tool runs the same command.
if [[ -n $LU ]]; then
	bin=$LU run -c A.bz
	if [[ $rc == 0 ]] && [[ $(cat "$tmp/stdout") == "IMAGE A.bz (gzip bzImage, release 6.12.9-lu): 5 formats
$A_TABLE" ]] && "$LU" --help | grep -q '^  compat '; then
		ok "lu-trace compat: the built tool has the command"
	else
		not_ok "lu-trace compat: the built tool has the command" "rc $rc" \
			"$(cat "$tmp/stdout" "$tmp/stderr")"
	fi
else
	tap_skip "lu-trace compat: the built tool has the command" "no LU_TRACE given"
fi

# The kernel of this tree -------------------------------------------------

vmlinux=$KBUILD/vmlinux
bzimage=$KBUILD/arch/x86/boot/bzImage
if [[ -r $vmlinux && -r $bzimage ]]; then
	run -j -c "$vmlinux"
	cp "$tmp/stdout" vmlinux.json
	vrc=$rc
	run -j -c "$bzimage"
	cp "$tmp/stdout" bzimage.json
	if [[ $vrc == 0 && $rc == 0 ]]; then
		ok "build/kernel: the catalogs of vmlinux and bzImage load"
	else
		not_ok "build/kernel: the catalogs of vmlinux and bzImage load" \
			"vmlinux: exit $vrc, bzImage: exit $rc" "$(cat "$tmp/stderr")"
	fi
	if ! readelf -n "$vmlinux" 2>/dev/null | grep -q '^ *Liveupdate '; then
		tap_skip "build/kernel: vmlinux and bzImage have the same catalog" \
			"no Liveupdate notes in $vmlinux yet (the kernel side is being written)"
	elif python3 -c 'import json, subprocess, sys
v, b = (json.load(open(f)) for f in sys.argv[1:3])
notes = subprocess.run(["readelf", "-n", sys.argv[3]], capture_output=True, text=True).stdout
n = sum(1 for l in notes.splitlines() if l.split()[:1] == ["Liveupdate"] and "0x00000038" in l)
sys.exit(not (v["formats"] == b["formats"] and len(v["formats"]) == n > 0))' \
		vmlinux.json bzimage.json "$vmlinux"; then
		ok "build/kernel: vmlinux and bzImage have the same catalog, every note in it"
	else
		not_ok "build/kernel: vmlinux and bzImage have the same catalog" \
			"$(head -c 400 vmlinux.json)" "$(head -c 400 bzimage.json)"
	fi
else
	tap_skip "build/kernel: the catalogs of vmlinux and bzImage load" "no $vmlinux or $bzimage"
	tap_skip "build/kernel: vmlinux and bzImage have the same catalog" "no kernel built"
fi

tap_end
