#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side self-tests of the build machinery: the patch series is applied
# idempotently and incrementally, a patch that does not apply is named, the
# overlay never overwrites pristine files, lost config options fail the
# build, missing packages or tools give the documented errors, the deps audit
# names what make deps lacks, and the VM runner fails every kind of kernel
# splat. TAP output.

set -uo pipefail
MK=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$MK")
BUILD=${BUILD:-$ROOT/build}
VMTEST=$ROOT/tools/testing/selftests/liveupdate/vmtest.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"

. "$MK/tap.sh"
ok() { tap_result "$@"; }
# expect NAME RC PATTERN OUTPUT: exit status RC and PATTERN in OUTPUT
expect() {
	local rc=0
	[ "$2" = "$3" ] && grep -qF -- "$4" <<< "$5" || rc=1
	[ $rc = 0 ] || printf '%s\n' "# expected exit $3 and '$4'; got exit $2:" "$5" | sed '2,$s/^/#   /'
	ok $rc "$1"
}

tap_header 28

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
# A hunk that counts fewer lines than it has: patch(1) applies it, takes
# the rest for garbage and skips the next hunk, and exits 0. The series must
# refuse the patch and change nothing.
printf -- '--- a/a.txt\n+++ b/a.txt\n@@ -1,1 +1,1 @@\n-one\n+ONE\n two\n@@ -3,1 +3,1 @@\n-three\n+3\n' \
	> "$tmp/r/patches/0002-short.patch"
out=$(tree patch); rc=$?
[ "$(tr '\n' ' ' < "$tmp/b/src/linux/a.txt")" = "one TWO three " ] || rc=9
expect "patch_with_a_short_hunk_is_refused" $rc 1 "patches/0002-short.patch is malformed" "$out"
rm "$tmp/r/patches/0002-short.patch"
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
	out=$(LU_VARIANT= CONFIGS_DIR=$tmp/configs SRC=$BUILD/src/linux BUILD=$tmp/cfg "$MK/kconfig.sh" 2>&1); rc=$?
	expect "lost_config_option_fails_the_build" $rc 1 "CONFIG_KVM_INTEL=y requested, got not set" "$out"
	# The debug kernel's fragments are verified the same way.
	rm "$tmp/configs/99-lost.config"
	mkdir -p "$tmp/configs/debug"
	echo "CONFIG_KVM_AMD=y" > "$tmp/configs/debug/99-lost.config"
	out=$(LU_VARIANT=debug LU_KBUILD=$tmp/cfg/kernel CONFIGS_DIR=$tmp/configs SRC=$BUILD/src/linux \
		BUILD=$tmp/cfg "$MK/kconfig.sh" 2>&1); rc=$?
	expect "lost_debug_config_option_fails_the_build" $rc 1 \
		"debug/99-lost.config: CONFIG_KVM_AMD=y requested, got not set" "$out"
else
	ok 1 "lost_config_option_fails_the_build # no extracted tree (make kernel first)"
	ok 1 "lost_debug_config_option_fails_the_build # no extracted tree (make kernel first)"
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

# The deps audit (mk/deps-audit.sh) on synthetic execve logs in strace's
# format. A child's lines may come before its parent's clone line, and its
# relative paths resolve against the directory it changed to.
mklog() { # mklog NAME ROOT_CWD: the log from stdin
	cat > "$tmp/$1.log"
	printf '%s\n' "$2" > "$tmp/$1.log.cwd"
}
audit() { BUILD=$tmp/ab "$MK/deps-audit.sh" "$@" 2>&1; }
mkdir -p "$tmp/ab"
mklog rsync / <<'LOG'
100 execve("/usr/bin/bash", ["bash", "-c", "..."], 0x7ffd /* 30 vars */) = 0
101 chdir("/usr/lib") = 0
101 execve("../bin/rsync", ["rsync", "-a"], 0x55d0 /* 30 vars */) = 0
100 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 101
101 +++ exited with 0 +++
100 execve("/bin/sh", ["sh"], 0x55d0 /* 30 vars */) = 0
100 +++ exited with 0 +++
LOG
out=$(LU_DEPS_WITHOUT=rsync audit "$tmp/rsync.log"); rc=$?
expect "deps_audit_names_a_program_from_a_package_make_deps_lacks" $rc 1 \
	"/usr/bin/rsync: from package rsync, which make deps does not install: add rsync to PACKAGES in mk/deps.sh" "$out"
out=$(audit "$tmp/rsync.log"); rc=$?
grep -qE '^/usr/bin/rsync +rsync +listed in mk/deps.sh' <<< "$out" || rc=9
grep -qE '^/bin/sh -> /usr/bin/dash +dash +Essential: yes' <<< "$out" || rc=9
expect "deps_audit_passes_packaged_programs_with_the_reason" $rc 0 \
	"every program outside the tree comes from a package" "$out"
# A program no package owns, and a script (here inside $BUILD) whose
# interpreter no package owns.
printf '#!/bin/sh\n' > "$tmp/ab/handmade"
printf '#!%s\n' "$tmp/ab/../handmade" > "$tmp/ab/script"
cp "$tmp/ab/handmade" "$tmp/handmade"
chmod +x "$tmp/ab/handmade" "$tmp/ab/script" "$tmp/handmade"
mklog unpackaged / <<LOG
100 execve("/usr/bin/make", ["make"], 0x7ffd /* 30 vars */) = 0
100 execve("$tmp/ab/script", ["script"], 0x7ffd /* 30 vars */) = 0
100 +++ exited with 0 +++
LOG
out=$(audit "$tmp/unpackaged.log"); rc=$?
expect "deps_audit_fails_an_unpackaged_interpreter_of_a_tree_script" $rc 1 \
	"$tmp/handmade (interpreter of $tmp/ab/script): no Debian package owns it" "$out"
out=$(BUILD=$tmp/ab "$MK/deps-audit.sh" "$tmp/none.log" 2>&1); rc=$?
expect "deps_audit_without_a_log_fails" $rc 1 "no execve log $tmp/none.log" "$out"

# The VM runner's splat rules, on the logs of a run that passed otherwise
# (vmtest.sh -P judges logs without a VM): the first line of each checker's
# report fails the run; the checkers' boot banners do not.
judge() { # judge NAME KERNEL_LINE
	printf '[    0.000000] Linux version 6.12.0\n[    0.500000] %s\n' "$2" > "$tmp/$1.console"
	printf '%s\n' "LU-STAGE-BEGIN stage=1/1 uptime_ms=900" "ok 1 lu:t:stage1" \
		"LU-STAGE-END stage=1/1 tests_ms=1 failed=0" "LU-DONE stages=1" > "$tmp/$1.results"
	"$VMTEST" -P -o "$tmp" -n "$1" -t t 2>&1
}
out=$(judge banners "kmemleak: Kernel memory leak detector initialized (mem pool available: 15814)"
      printf '[    0.600000] %s\n' "kasan: KernelAddressSanitizer initialized (generic)" \
	"Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar" \
	"kmemleak: Automatic memory scanning thread started" >> "$tmp/banners.console"
      "$VMTEST" -P -o "$tmp" -n banners -t t 2>&1); rc=$?
expect "runner_passes_the_debug_checkers_banners" $rc 0 "RESULT    PASS banners" "$out"
while IFS='|' read -r name line; do
	out=$(judge "$name" "$line"); rc=$?
	expect "runner_fails_$name" $rc 1 "FAIL      kernel splat in boot 1: $line" "$out"
done <<'SPLATS'
lockdep_circular|WARNING: possible circular locking dependency detected
lockdep_recursive|WARNING: possible recursive locking detected
lockdep_inconsistent|WARNING: inconsistent lock state
rcu_suspicious|WARNING: suspicious RCU usage
sleep_in_atomic|BUG: sleeping function called from invalid context at mm/slub.c:4199
kasan|BUG: KASAN: slab-use-after-free in kho_restore_folio+0x2c/0x90
ubsan|UBSAN: shift-out-of-bounds in kernel/liveupdate/kexec_handover.c:120:9
kmemleak|kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)
warn_on|WARNING: CPU: 1 PID: 1 at kernel/liveupdate/luo_core.c:80 luo_init+0x1/0x2
SPLATS

tap_end
