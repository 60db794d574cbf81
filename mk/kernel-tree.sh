#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare the kernel source tree under $BUILD/src/linux:
#
#   extract   unpack Debian's linux-source-6.12 tarball (only when the package
#             version changed), and record which files are pristine;
#   overlay   copy this repository's kernel-path files into the tree (only the
#             files whose content changed get a new mtime, so kbuild stays
#             incremental); files that left the repository leave the tree;
#   patch     bring the applied patch series in line with patches/*.patch:
#             unapply what changed (newest first) and apply the rest in order.
#
# Every step is idempotent: running it twice changes nothing the second time.

. "$(dirname "$0")/lib.sh"

# Repository directories that mirror kernel paths and are copied into the tree.
# The selftests go there too: a kselftest target needs the kernel's lib.mk.
OVERLAY_DIRS=${OVERLAY_DIRS:-"arch drivers include kernel lib mm Documentation tools/testing/selftests/liveupdate"}

STATE=$BUILD/src/state		# bookkeeping, outside the kernel tree
mkdir -p "$STATE"

src_version_id() {
	local v
	v=$(dpkg-query -W -f='${Version}' "$SRC_PKG" 2>/dev/null) || v=unknown
	printf '%s %s %s\n' "$SRC_PKG" "$v" "$(stat -c '%s %Y' "$SRC_TARBALL")"
}

do_extract() {
	[ -r "$SRC_TARBALL" ] ||
		die "$SRC_TARBALL not found: run 'make deps' (it installs $SRC_PKG)"
	local want have=""
	want=$(src_version_id)
	[ -f "$STATE/source" ] && have=$(cat "$STATE/source")
	if [ "$want" = "$have" ] && [ -f "$SRC/Makefile" ]; then
		msg EXTRACT "up to date ($want)"
		return
	fi
	msg EXTRACT "$SRC_TARBALL -> $SRC"
	rm -rf "$SRC" "$BUILD/src/tmp" "$STATE"
	mkdir -p "$BUILD/src/tmp" "$STATE"
	tar -xf "$SRC_TARBALL" -C "$BUILD/src/tmp"
	local top
	top=$(find "$BUILD/src/tmp" -mindepth 1 -maxdepth 1 -type d | head -n 1)
	[ -f "$top/Makefile" ] || die "$SRC_TARBALL does not contain a kernel tree"
	mv "$top" "$SRC"
	rmdir "$BUILD/src/tmp"
	(cd "$SRC" && find . -type f | sed 's|^\./||' | LC_ALL=C sort) > "$STATE/pristine"
	printf '%s\n' "$want" > "$STATE/source"
}

do_overlay() {
	[ -f "$STATE/pristine" ] || die "source tree not extracted (run mk/kernel-tree.sh extract)"
	local new=$STATE/overlay.new old=$STATE/overlay dir f changed=0
	: > "$new"
	for dir in $OVERLAY_DIRS; do
		[ -d "$LU_ROOT/$dir" ] || continue
		(cd "$LU_ROOT" && find "$dir" -type f ! -name '*~' ! -name '.*.swp') >> "$new"
	done
	LC_ALL=C sort -o "$new" "$new"
	# Overlay files add to the kernel; changes to existing files are patches.
	f=$(LC_ALL=C comm -12 "$new" "$STATE/pristine" | head -n 1)
	[ -z "$f" ] || die "$f exists in the pristine tree: change it with a patch in patches/, not an overlay file"
	# Remove files that were overlaid before and are gone from the repository.
	if [ -f "$old" ]; then
		LC_ALL=C comm -23 "$old" "$new" | while read -r f; do
			msg OVERLAY "remove $f"
			rm -f "$SRC/$f"
		done
	fi
	while read -r f; do
		if ! cmp -s "$LU_ROOT/$f" "$SRC/$f"; then
			install -D -m "$(stat -c %a "$LU_ROOT/$f")" "$LU_ROOT/$f" "$SRC/$f"
			changed=$((changed + 1))
		fi
	done < "$new"
	mv "$new" "$old"
	msg OVERLAY "$(wc -l < "$old") files from the repository, $changed updated"
}

do_patch() {
	local applied=$STATE/applied series=() done_list=() i j n p
	mkdir -p "$applied"
	touch "$applied/series"
	for p in "$LU_ROOT"/patches/*.patch; do
		[ -e "$p" ] && series+=("$(basename "$p")")
	done
	mapfile -t done_list < "$applied/series"
	# Length of the common prefix: same name, same content.
	i=0
	while [ $i -lt ${#done_list[@]} ] && [ $i -lt ${#series[@]} ] &&
	      [ "${done_list[$i]}" = "${series[$i]}" ] &&
	      cmp -s "$applied/${done_list[$i]}" "$LU_ROOT/patches/${series[$i]}"; do
		i=$((i + 1))
	done
	# Unapply, newest first, everything after the common prefix.
	for ((j = ${#done_list[@]} - 1; j >= i; j--)); do
		p=${done_list[$j]}
		msg PATCH "unapply $p (changed or removed)"
		patch -d "$SRC" -p1 -R -s --no-backup-if-mismatch -r - < "$applied/$p" ||
			die "cannot unapply $p; run 'make clean-src' to start from a pristine tree"
		rm -f "$applied/$p"
		printf '%s\n' "${done_list[@]:0:$j}" | sed '/^$/d' > "$applied/series"
	done
	n=0
	for ((j = i; j < ${#series[@]}; j++)); do
		p=${series[$j]}
		awk -f "$(dirname "$0")/patch-form.awk" "$LU_ROOT/patches/$p" ||
			die "patches/$p is malformed: fix its hunks (git diff -u, not by hand)"
		if ! out=$(patch -d "$SRC" -p1 -N --dry-run --no-backup-if-mismatch -r - < "$LU_ROOT/patches/$p" 2>&1); then
			printf '%s\n' "$out" >&2
			die "patch patches/$p does not apply to $(head -c 60 "$STATE/source")"
		fi
		patch -d "$SRC" -p1 -N -s --no-backup-if-mismatch -r - < "$LU_ROOT/patches/$p"
		printf '%s\n' "$out" | grep -E 'offset|fuzz' | sed "s|^|  PATCH     $p: |" || true
		cp "$LU_ROOT/patches/$p" "$applied/$p"
		printf '%s\n' "$p" >> "$applied/series"
		n=$((n + 1))
	done
	msg PATCH "${#series[@]} patches in series, $n applied now, $i already applied"
}

case ${1:-} in
extract|overlay|patch)
	start=$(now_ns)
	"do_$1"
	phase_time "$1" "$start"
	;;
version)
	make -s -C "$SRC" kernelversion
	;;
*)
	die "usage: $0 extract|overlay|patch|version"
	;;
esac
