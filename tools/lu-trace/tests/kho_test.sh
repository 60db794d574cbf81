#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Tests of "lu-trace kho" against fake KHO debugfs directories.
#
# Builds kho.c with a tiny main (tests/kho/main.c) and a generator of root
# trees (tests/kho/mkfdt.c) into a temporary directory, then checks the exact
# output, the JSON and the exit code of each case. Run as root: the
# permission case runs the tool as nobody (it is skipped otherwise).
#
#   tools/lu-trace/tests/kho_test.sh
#   KHO_C=/path/to/other/kho.c tools/lu-trace/tests/kho_test.sh
#
# Prints "ok N - desc" or "not ok N - desc" per case; exits 1 if any failed.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
KHO_C=${KHO_C:-$src/kho.c}
CC=${CC:-gcc}
CFLAGS=(-O2 -g -Wall -Wextra -Werror)

if [[ $(getconf PAGESIZE) != 4096 ]]; then
	echo "1..0 # SKIP the expected output assumes 4 KiB pages"
	exit 0
fi

tmp=$(mktemp -d /tmp/kho_test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"	# nobody runs the tool from here

"$CC" "${CFLAGS[@]}" -static -I"$src" "$KHO_C" "$here/kho/main.c" -o "$tmp/kho-test" -lfdt
"$CC" "${CFLAGS[@]}" -static "$here/kho/mkfdt.c" -o "$tmp/mkfdt" -lfdt
asan=
if "$CC" "${CFLAGS[@]}" -fsanitize=address,undefined -fno-sanitize-recover=all \
	-I"$src" "$KHO_C" "$here/kho/main.c" -o "$tmp/kho-asan" -lfdt 2>/dev/null; then
	asan=$tmp/kho-asan
fi

. "$here/../../../mk/tap.sh"
ok() { tap_ok "$1"; }
not_ok() { tap_not_ok "$@"; }

# run ARGS...: run "lu-trace kho ARGS", keep $rc, $tmp/stdout and $tmp/stderr
run() { tap_run "$tmp" "$tmp/kho-test" kho "$@"; }
# expect DESC RC STDOUT STDERR: the last run printed exactly that
expect() { tap_expect "$tmp" "$@"; }
# expect_json DESC RC PYTHON-EXPRESSION: the last run exited with RC, printed
# valid JSON, and the expression over it (as j) is true
expect_json() { tap_expect_json "$tmp" "$1" "$2" "" "$3"; }

# Fake debugfs trees ------------------------------------------------------

# mk_out DIR: a valid outgoing side in DIR/out
mk_out()
{
	local d=$1/out

	mkdir -p "$d"
	"$tmp/mkfdt" -p 4096 -r 0x10a3f000 "$d/fdt" luo:0x10a3e000:4096 memfd:0x10a3e1000:512
	printf '%s\n' '0 0x1000000 0x8000000' '1 0x100000000 0x4000000' >"$d/scratch"
	printf '%s\n' 'luo 0x10a3e000 4096' 'memfd 0x10a3e1000 512' >"$d/subtrees"
	printf '%s\n' 'order 0 blocks 10' 'order 9 blocks 3' 'pages 1546' 'bytes 6332416' \
		'tracker_bytes 12288' >"$d/preserved"
}

# mk_in DIR: a valid incoming side in DIR/in
mk_in()
{
	local d=$1/in

	mkdir -p "$d"
	"$tmp/mkfdt" -r 0x20000000 "$d/fdt" luo:0x10a3e000:4096
	printf '%s\n' '0 0x1000000 0x8000000' >"$d/scratch"
	printf '%s\n' 'luo 0x10a3e000 4096' >"$d/subtrees"
	printf '%s\n' 'order 0 blocks 10' 'order 9 blocks 3' 'pages 1546' 'restored_pages 1000' \
		'released_pages 0' 'unrestored_pages 546' >"$d/status"
}

# mk NAME: a new empty case directory, its path in $D
mk()
{
	D=$tmp/$1/kho
	mkdir -p "$D"
}

# pieces of long expected messages
U64="expected 8 (a u64)"
ENOENT="No such file or directory"
CONFIG=CONFIG_KEXEC_HANDOVER_DEBUGFS=y

OUT_REPORT='  root tree     kho-v2, 285 bytes
  tracker root  0x10a3f000
  subtrees      2
                name                         blob size  address
                luo                               4096  0x10a3e000
                memfd                              512  0x10a3e1000
  scratch       2 areas, 192 MiB
  preserved     order  block size        blocks               bytes
                    0       4 KiB            10               40960
                    9       2 MiB             3             6291456
  total         1546 pages, 6332416 bytes (6.0 MiB)
  tracker       12288 bytes (12 KiB) of metadata'

IN_REPORT='  root tree     kho-v2, 229 bytes
  tracker root  0x20000000
  subtrees      1
                name                         blob size  address
                luo                               4096  0x10a3e000
  scratch       1 area, 128 MiB
  preserved     order  block size        blocks               bytes
                    0       4 KiB            10               40960
                    9       2 MiB             3             6291456
  total         1546 pages, 6332416 bytes (6.0 MiB)
  restored      1000 pages
  released      0 pages
  unrestored    546 pages'

# Valid trees -------------------------------------------------------------

mk out-only
mk_out "$D"
run -d "$D"
expect "OUT only: human report" 0 "KHO out: $D/out (for the next kernel)
$OUT_REPORT
KHO in: none (not a KHO boot)" ""

run -d "$D" --json
expect_json "OUT only: JSON" 0 \
	'j["in"] is None and j["out"]["pages"] == 1546 and j["out"]["tracker_root"] == 0x10a3f000
	 and [s["name"] for s in j["out"]["subtrees"]] == ["luo", "memfd"]
	 and j["out"]["subtrees"][1] == {"name": "memfd", "size": 512, "address": 0x10a3e1000}
	 and j["out"]["scratch"]["count"] == 2 and j["out"]["scratch"]["bytes"] == 192 << 20
	 and j["out"]["preserved"][1] == {"order": 9, "block_size": 2 << 20, "blocks": 3,
					 "bytes": 6291456}
	 and j["out"]["tracker_bytes"] == 12288 and j["out"]["mismatches"] == []'

run -d "$D" --in
expect "OUT only: --in is an error" 1 "" \
	"lu-trace kho: $D/in: No such file or directory: not a KHO boot, nothing was handed over"

mk out-in
mk_out "$D"
mk_in "$D"
run -d "$D"
expect "OUT+IN: human report" 0 "KHO out: $D/out (for the next kernel)
$OUT_REPORT
KHO in: $D/in (from the previous kernel)
$IN_REPORT" ""

run -d "$D" -j
expect_json "OUT+IN: JSON" 0 \
	'j["in"]["pages"] == 1546 and j["in"]["restored_pages"] == 1000
	 and j["in"]["released_pages"] == 0 and j["in"]["unrestored_pages"] == 546
	 and j["in"]["bytes"] == 6332416 and "tracker_bytes" not in j["in"]
	 and j["in"]["fdt"] == {"compatible": "kho-v2", "size": 229}
	 and j["out"]["fdt"]["size"] == 285'

run -d "$D" --out
expect "OUT+IN: --out" 0 "KHO out: $D/out (for the next kernel)
$OUT_REPORT" ""

run --dir="$D" --in
expect "OUT+IN: --in" 0 "KHO in: $D/in (from the previous kernel)
$IN_REPORT" ""

run -d "$D" --in -j
expect_json "OUT+IN: --in --json has no out" 0 'list(j) == ["in"]'

mk empty
mkdir -p "$D/out"
"$tmp/mkfdt" -p 4096 "$D/out/fdt"
printf '0 0x1000000 0x4000000\n' >"$D/out/scratch"
: >"$D/out/subtrees"
printf '%s\n' 'pages 0' 'bytes 0' 'tracker_bytes 0' >"$D/out/preserved"
run -d "$D"
expect "nothing preserved" 0 "KHO out: $D/out (for the next kernel)
  root tree     kho-v2, 152 bytes
  tracker root  0x0
  subtrees      0
  scratch       1 area, 64 MiB
  preserved     none
  total         0 pages, 0 bytes
  tracker       0 bytes of metadata
KHO in: none (not a KHO boot)" ""

mk v1
mkdir -p "$D/out"
"$tmp/mkfdt" -p 4096 -c kho-v1 "$D/out/fdt"
printf '0 0x1000000 0x4000000\n' >"$D/out/scratch"
: >"$D/out/subtrees"
printf '%s\n' 'pages 0' 'bytes 0' 'tracker_bytes 0' >"$D/out/preserved"
run -d "$D"
expect "an older kernel's kho-v1 tree reads the same" 0 "KHO out: $D/out (for the next kernel)
  root tree     kho-v1, 152 bytes
  tracker root  0x0
  subtrees      0
  scratch       1 area, 64 MiB
  preserved     none
  total         0 pages, 0 bytes
  tracker       0 bytes of metadata
KHO in: none (not a KHO boot)" ""

mk escape
mk_out "$D"
name=$'q"b\\s\x01\xc3\xa9'
"$tmp/mkfdt" -p 4096 -r 0x10a3f000 "$D/out/fdt" "$name:0x2000:16"
printf '%s 0x2000 16\n' "$name" >"$D/out/subtrees"
run -d "$D" --out
if [[ $rc == 0 ]] && grep -Fxq '                q"b\x5cs\x01\xc3\xa9                16  0x2000' \
	"$tmp/stdout"; then
	ok "odd subtree name: shown escaped"
else
	not_ok "odd subtree name: shown escaped" "rc $rc" "$(cat "$tmp/stdout" "$tmp/stderr")"
fi
run -d "$D" -j
expect_json "odd subtree name: JSON escaped" 0 \
	'j["out"]["subtrees"][0]["name"] == "q\"b\\s\x01\xc3\xa9"'

# Damaged trees -----------------------------------------------------------

mk bad-magic
mk_out "$D"
"$tmp/mkfdt" -p 4096 -x magic "$D/out/fdt" luo:0x10a3e000:4096
run -d "$D"
expect "corrupt FDT: bad magic" 1 "" \
	"lu-trace kho: $D/out/fdt: corrupt FDT: bad header: FDT_ERR_BADMAGIC"

mk truncated
mk_out "$D"
"$tmp/mkfdt" -x truncate "$D/out/fdt" luo:0x10a3e000:4096 memfd:0x10a3e1000:512
run -d "$D"
expect "corrupt FDT: file shorter than totalsize" 1 "" \
	"lu-trace kho: $D/out/fdt: corrupt FDT: totalsize 285 is larger than the file (142 bytes)"

mk empty-fdt
mk_out "$D"
: >"$D/out/fdt"
run -d "$D"
expect "corrupt FDT: empty file" 1 "" \
	"lu-trace kho: $D/out/fdt: corrupt FDT: 0 bytes, less than an FDT header"

mk bad-struct
mk_out "$D"
# an unknown tag where the root node begins (the structure block is at 64)
printf '\x00\x00\x00\x0a' | dd of="$D/out/fdt" bs=1 seek=64 conv=notrunc status=none
run -d "$D"
expect "corrupt FDT: bad structure block" 1 "" \
	"lu-trace kho: $D/out/fdt: corrupt FDT: FDT_ERR_BADSTRUCTURE"

mk compat
mk_out "$D"
"$tmp/mkfdt" -p 4096 -c kho-v3 "$D/out/fdt" luo:0x10a3e000:4096 memfd:0x10a3e1000:512
run -d "$D"
expect "unknown compatible" 1 "" \
	"lu-trace kho: $D/out/fdt: unknown compatible \"kho-v3\" (expected \"kho-v2\" or \"kho-v1\")"

mk short-prop
mk_out "$D"
"$tmp/mkfdt" -p 4096 -w blob-size "$D/out/fdt" luo:0x10a3e000:4096 memfd:0x10a3e1000:512
run -d "$D"
expect "truncated property in a subtree" 1 "" \
	"lu-trace kho: $D/out/fdt: node /luo: property \"blob-size\" is 4 bytes, $U64"

mk long-prop
mk_out "$D"
"$tmp/mkfdt" -p 4096 -w preserved-data:12 "$D/out/fdt" luo:0x10a3e000:4096
run -d "$D"
expect "overlong property in a subtree" 1 "" \
	"lu-trace kho: $D/out/fdt: node /luo: property \"preserved-data\" is 12 bytes, $U64"

mk no-prop
mk_out "$D"
"$tmp/mkfdt" -p 4096 -w blob-size:0 "$D/out/fdt" luo:0x10a3e000:4096
run -d "$D"
expect "empty property in a subtree" 1 "" \
	"lu-trace kho: $D/out/fdt: node /luo: property \"blob-size\" is 0 bytes, $U64"

mk short-root
mk_out "$D"
mk_in "$D"
"$tmp/mkfdt" -w preserved-memory-map "$D/in/fdt" luo:0x10a3e000:4096
run -d "$D"
expect "truncated property in the root (IN)" 1 "" \
	"lu-trace kho: $D/in/fdt: node /: property \"preserved-memory-map\" is 4 bytes, $U64"

mk mismatch
mk_out "$D"
printf '%s\n' 'luo 0x10a3e000 8192' 'ghost 0x1000 4096' >"$D/out/subtrees"
run -d "$D"
expect "subtrees file disagrees with the FDT" 1 "KHO out: $D/out (for the next kernel)
$OUT_REPORT
KHO in: none (not a KHO boot)" \
"lu-trace kho: $D/out: subtree \"luo\": fdt has 0x10a3e000, 4096 bytes; $(
)subtrees has 0x10a3e000, 8192 bytes
lu-trace kho: $D/out: subtree \"memfd\" is in fdt but not in subtrees
lu-trace kho: $D/out: subtree \"ghost\" is in subtrees but not in fdt"

run -d "$D" -j
expect_json "subtree mismatch: in the JSON too" 1 \
	'len(j["out"]["mismatches"]) == 3 and "ghost" in j["out"]["mismatches"][2]'

mk bad-scratch
mk_out "$D"
printf '%s\n' '0 0x1000000 0x8000000' '1 0x100000000' >"$D/out/scratch"
run -d "$D"
expect "malformed scratch line" 1 "" \
	"lu-trace kho: $D/out/scratch: line 2: \"1 0x100000000\": $(
	)expected \"<index> <start> <size>\""

mk bad-preserved
mk_out "$D"
printf '%s\n' 'order 0 blocks 10' 'order 9 blocks 3' 'pages 1545' 'bytes 6328320' \
	'tracker_bytes 12288' >"$D/out/preserved"
run -d "$D"
expect "preserved totals do not add up" 1 "" \
	"lu-trace kho: $D/out/preserved: pages 1545, but the order lines add up to 1546"

mk bad-order
mk_out "$D"
printf '%s\n' 'order 21 blocks 1' 'pages 2097152' 'bytes 8589934592' 'tracker_bytes 0' \
	>"$D/out/preserved"
run -d "$D"
expect "order out of range" 1 "" \
	"lu-trace kho: $D/out/preserved: line 1: order 21, the largest is 20"

mk bad-status
mk_out "$D"
mk_in "$D"
printf '%s\n' 'order 0 blocks 10' 'order 9 blocks 3' 'pages 1546' 'restored_pages 1000' \
	'released_pages 0' 'unrestored_pages 0' >"$D/in/status"
run -d "$D"
expect "IN status does not add up" 1 "" \
	"lu-trace kho: $D/in/status: pages 1546, restored 1000, released 0 and unrestored 0 $(
	)do not add up"

mk no-preserved
mk_out "$D"
rm "$D/out/preserved"
run -d "$D"
expect "missing file" 1 "" "lu-trace kho: $D/out/preserved: No such file or directory"

# Environment -------------------------------------------------------------

run -d "$tmp/nodebugfs/kho"
expect "directory missing" 1 "" \
	"lu-trace kho: $tmp/nodebugfs/kho: $ENOENT: is debugfs mounted? $(
	)(mount -t debugfs none $tmp/nodebugfs) and is the kernel built with $CONFIG?"

mkdir -p "$tmp/debugfs/tracing"
run -d "$tmp/debugfs/kho"
expect "KHO disabled: no kho directory in debugfs" 1 "" \
	"lu-trace kho: $tmp/debugfs/kho: $ENOENT: KHO is disabled (boot with kho=on), $(
	)or the kernel is built without $CONFIG"

mk no-out
run -d "$D"
expect "KHO disabled: no out directory" 1 "" \
	"lu-trace kho: $D/out: No such file or directory: KHO is disabled (boot with kho=on)"

if [[ $(id -u) == 0 ]]; then
	mk perm
	mk_out "$D"
	chmod 700 "$D"
	rc=0
	setpriv --reuid=65534 --regid=65534 --clear-groups "$tmp/kho-test" kho -d "$D" \
		>"$tmp/stdout" 2>"$tmp/stderr" || rc=$?
	expect "permission denied: not root" 1 "" \
		"lu-trace kho: $D/out: Permission denied: must be run as root"
else
	tap_skip "permission denied: not root" "needs root"
fi

# Command line ------------------------------------------------------------

run -h
if [[ $rc == 0 ]] && grep -q '^Usage: lu-trace kho \[OPTION...\]' "$tmp/stdout" &&
	grep -q '^EXAMPLES:' "$tmp/stdout" && grep -q -- '-d, --dir=DIR' "$tmp/stdout" &&
	awk 'length($0) >= 80 { exit 1 }' "$tmp/stdout"; then
	ok "-h: help, under 80 columns"
else
	not_ok "-h: help, under 80 columns" "exit code $rc" "$(head -5 "$tmp/stdout")"
fi

run --bogus
expect "unknown option" 1 "" "lu-trace kho: unrecognized option '--bogus'
Try \`lu-trace kho --help' or \`lu-trace kho --usage' for more information."

run extra
expect "unexpected argument" 1 "" "lu-trace kho: unexpected argument 'extra'
Try \`lu-trace kho --help' or \`lu-trace kho --usage' for more information."

# Robustness: every byte of a valid tree damaged in turn --------------------

mk fuzz
mk_out "$D"
bin=${asan:-$tmp/kho-test}
cp "$D/out/fdt" "$tmp/fdt.good"
bad=
for ((off = 0; off < 285; off++)); do	# the 285 bytes of the tree, not the padding
	cp "$tmp/fdt.good" "$D/out/fdt"
	printf '\xff' | dd of="$D/out/fdt" bs=1 seek="$off" conv=notrunc status=none
	rc=0
	"$bin" kho -d "$D" -j >"$tmp/stdout" 2>"$tmp/stderr" || rc=$?
	if [[ $rc == 0 ]]; then
		python3 -m json.tool "$tmp/stdout" >/dev/null || bad="offset $off: invalid JSON"
	elif [[ $rc != 1 ]] || ! grep -q '^lu-trace kho: ' "$tmp/stderr"; then
		bad="offset $off: exit code $rc: $(head -3 "$tmp/stderr")"
	fi
	[[ -z $bad ]] || break
done
if [[ -z $bad ]]; then
	ok "damaged FDT bytes: a report or an error, never a crash${asan:+ (ASan+UBSan)}"
else
	not_ok "damaged FDT bytes: a report or an error, never a crash" "$bad"
fi

tap_end
