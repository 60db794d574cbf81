#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side self-tests of the build machinery: the patch series is applied
# idempotently and incrementally, a patch that does not apply is named, the
# overlay never overwrites pristine files, lost config options fail the
# build, and missing packages or tools give the documented errors. TAP output.

set -uo pipefail
MK=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$MK")
BUILD=${BUILD:-$ROOT/build}
VMTEST=$ROOT/tools/testing/selftests/liveupdate/vmtest.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"

n=0 bad=0
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; bad=$((bad + 1)); fi
}
# expect NAME RC PATTERN OUTPUT: exit status RC and PATTERN in OUTPUT
expect() {
	local rc=0
	[ "$2" = "$3" ] && grep -qF -- "$4" <<< "$5" || rc=1
	[ $rc = 0 ] || printf '%s\n' "# expected exit $3 and '$4'; got exit $2:" "$5" | sed '2,$s/^/#   /'
	ok $rc "$1"
}

echo "TAP version 13"
echo "1..12"

# A fake kernel tree and repository for the patch and overlay machinery.
fake_setup() {
	rm -rf "$tmp/b" "$tmp/r"
	mkdir -p "$tmp/b/src/linux/kernel" "$tmp/b/src/state" "$tmp/r/patches" "$tmp/r/kernel"
	printf 'one\ntwo\nthree\n' > "$tmp/b/src/linux/a.txt"
	echo "obj-y += fork.o" > "$tmp/b/src/linux/kernel/Makefile"
	printf 'a.txt\nkernel/Makefile\n' > "$tmp/b/src/state/pristine"
	echo "fake 1.0" > "$tmp/b/src/state/source"
}
mkpatch() { # mkpatch FILE OLD NEW: a patch turning line OLD of a.txt into NEW
	printf -- '--- a/a.txt\n+++ b/a.txt\n@@ -1,3 +1,3 @@\n' > "$1"
	for w in one two three; do
		if [ "$w" = "$2" ]; then printf -- '-%s\n+%s\n' "$2" "$3"; else printf ' %s\n' "$w"; fi
	done >> "$1"
}
tree() { LU_ROOT=$tmp/r BUILD=$tmp/b "$MK/kernel-tree.sh" "$@" 2>&1; }

fake_setup
mkpatch "$tmp/r/patches/0001-two.patch" two TWO
out=$(tree patch); rc=$?
expect "patch_series_applies" $rc 0 "1 applied now" "$out"
out=$(tree patch); rc=$?
expect "patch_series_is_idempotent" $rc 0 "0 applied now, 1 already applied" "$out"
mkpatch "$tmp/r/patches/0002-bad.patch" four FOUR
out=$(tree patch); rc=$?
expect "patch_that_does_not_apply_is_named" $rc 1 "patch patches/0002-bad.patch does not apply" "$out"
rm "$tmp/r/patches/0002-bad.patch"
mkpatch "$tmp/r/patches/0001-two.patch" three THREE
out=$(tree patch); rc=$?
[ "$(tr '\n' ' ' < "$tmp/b/src/linux/a.txt")" = "one two THREE " ] || rc=9
expect "changed_patch_is_unapplied_and_reapplied" $rc 0 "unapply 0001-two.patch" "$out"

echo "int x;" > "$tmp/r/kernel/new.c"
out=$(tree overlay); rc=$?
cmp -s "$tmp/r/kernel/new.c" "$tmp/b/src/linux/kernel/new.c" || rc=9
expect "overlay_adds_new_files" $rc 0 "1 files from the repository, 1 updated" "$out"
rm "$tmp/r/kernel/new.c"
out=$(tree overlay); rc=$?
[ ! -e "$tmp/b/src/linux/kernel/new.c" ] || rc=9
expect "overlay_removes_files_gone_from_the_repository" $rc 0 "remove kernel/new.c" "$out"
echo "obj-y += other.o" > "$tmp/r/kernel/Makefile"
out=$(tree overlay); rc=$?
expect "overlay_refuses_to_replace_a_pristine_file" $rc 1 \
	"kernel/Makefile exists in the pristine tree: change it with a patch" "$out"

out=$(SRC_TARBALL=/nonexistent/linux.tar.xz LU_ROOT=$tmp/r BUILD=$tmp/b2 "$MK/kernel-tree.sh" extract 2>&1); rc=$?
expect "missing_source_tarball_says_make_deps" $rc 1 "run 'make deps'" "$out"

# A requested option whose dependencies are not met must fail the build.
if [ -f "$BUILD/src/linux/Makefile" ]; then
	mkdir -p "$tmp/configs"
	cp "$ROOT"/configs/*.config "$tmp/configs/"
	echo "CONFIG_KVM_INTEL=y" > "$tmp/configs/99-lost.config"
	out=$(CONFIGS_DIR=$tmp/configs SRC=$BUILD/src/linux BUILD=$tmp/cfg "$MK/kconfig.sh" 2>&1); rc=$?
	expect "lost_config_option_fails_the_build" $rc 1 "CONFIG_KVM_INTEL=y requested, got not set" "$out"
else
	ok 1 "lost_config_option_fails_the_build # no extracted tree (make kernel first)"
fi

# Missing packages without root: the exact apt-get line.
if command -v setpriv > /dev/null && [ "$(id -u)" = 0 ]; then
	out=$(cd / && setpriv --reuid=65534 --regid=65534 --clear-groups \
		env LU_EXTRA_PACKAGES=lu-selftest-no-such-package bash "$MK/deps.sh" 2>&1); rc=$?
	expect "deps_without_root_prints_the_apt_line" $rc 1 \
		"run as root:  apt-get install -y --no-install-recommends lu-selftest-no-such-package" "$out"
else
	out=$(LU_EXTRA_PACKAGES=lu-selftest-no-such-package bash "$MK/deps.sh" 2>&1); rc=$?
	expect "deps_without_root_prints_the_apt_line" $rc 1 \
		"run as root:  apt-get install -y --no-install-recommends lu-selftest-no-such-package" "$out"
fi

out=$(QEMU=lu-no-such-qemu "$VMTEST" -k /dev/null -i /dev/null -t x 2>&1); rc=$?
expect "missing_qemu_is_a_clear_error" $rc 2 "lu-no-such-qemu not found: install qemu-system-x86" "$out"
out=$("$VMTEST" -k /nonexistent/bzImage -i /dev/null -t x 2>&1); rc=$?
expect "missing_kernel_image_is_a_clear_error" $rc 2 "kernel image '/nonexistent/bzImage' not found" "$out"

echo "# $((n - bad)) of $n host self-tests passed"
[ $bad = 0 ]
