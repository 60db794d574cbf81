#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Kernel-style gates for this tree's kernel code: checkpatch --strict on
# every new kernel file and every patch, kernel-doc -Wall on every new
# kernel file, then sparse (C=2) and W=1 builds
# of kernel/liveupdate/ and mm/memfd_luo.o. Any finding fails.

. "$(dirname "$0")/lib.sh"

CHECKPATCH=$SRC/scripts/checkpatch.pl
[ -f "$CHECKPATCH" ] || die "no kernel tree (make kernel)"
bad=0

dirs=$(cd "$LU_ROOT" && for d in kernel mm include lib arch drivers; do if [ -d "$d" ]; then echo "$d"; fi; done)
files=$(cd "$LU_ROOT" && find $dirs -name '*.[ch]' | sort)
for f in $files; do
	# TRACE_EVENT() has its own layout, the same in every kernel trace
	# header (include/trace/events/kmem.h draws the same two checks).
	ign=
	case $f in include/trace/events/*) ign="--ignore PARENTHESIS_ALIGNMENT,OPEN_ENDED_LINE" ;; esac
	# From the kernel tree: in a git checkout checkpatch leaves a cache file.
	out=$(cd "$SRC" && perl "$CHECKPATCH" --strict --no-tree -q $ign -f "$LU_ROOT/$f" 2>&1) ||
		{ printf '%s\n' "$out" | sed "s|$LU_ROOT/||"; bad=1; }
done
np=0
for p in "$LU_ROOT"/patches/*.patch; do
	[ -e "$p" ] || continue
	np=$((np + 1))
	# Hooks must use the labels of the code they patch (6.12's "Unlock").
	out=$(cd "$SRC" && perl "$CHECKPATCH" --strict --no-tree -q --ignore CAMELCASE "$p" 2>&1) ||
		{ printf '%s: %s\n' "$(basename "$p")" "$out"; bad=1; }
	# Every hunk adds up (patch(1) silently skips what follows a short one),
	# and the check itself catches a hunk with a line taken out.
	awk -f "$LU_ROOT/mk/patch-form.awk" "$p" || bad=1
	if awk '!d && /^[-+ ]/ && h { d = 1; next } /^@@ / { h = 1 } { print }' "$p" |
	   awk -f "$LU_ROOT/mk/patch-form.awk" > /dev/null 2>&1; then
		echo "mk/patch-form.awk accepts $(basename "$p") with a hunk line taken out"
		bad=1
	fi
done
msg LINT "checkpatch --strict: $(wc -w <<< "$files") files, $np patches; every hunk as long as its header says"

# kernel-doc: every comment that claims to be kernel-doc is well formed and
# describes every parameter, member and return value.
out=$(cd "$LU_ROOT" && for f in $files; do perl "$SRC/scripts/kernel-doc" -Wall -none "$f"; done 2>&1)
[ -z "$out" ] || { printf '%s\n' "$out"; bad=1; }
msg LINT "kernel-doc -Wall: $(wc -w <<< "$files") files"

for extra in C=2 W=1; do
	log=$LOGS/lint-${extra%%=*}.log
	if ! kmake "$extra" kernel/liveupdate/ mm/memfd_luo.o mm/memfd_luo_check.o mm/memfd_luo_test.o > "$log" 2>&1; then
		tail -n 20 "$log"
		die "$extra build of kernel/liveupdate failed (log: $log)"
	fi
	# sparse reports as "file:line:col: warning|error:"; gcc the same.
	if grep -E '(warning|error):' "$log" | grep -E 'liveupdate|kexec_handover|kho|memfd_luo' ; then
		bad=1
	fi
	msg LINT "$extra kernel/liveupdate mm/memfd_luo{,_check,_test}.o: $(grep -cE '(warning|error):' "$log") findings"
done
[ $bad = 0 ] || die "lint findings above"
