#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages the project needs, saying which. Without root,
# fail with the exact apt-get line to run instead. `deps.sh --list` prints
# the list. Every command that make check runs must come from these packages,
# their dependencies or a minimal Debian install: mk/deps-audit.sh checks it.

set -euo pipefail

PACKAGES=(
	linux-source-6.12		# the kernel source this tree applies to
	build-essential make gcc libc6-dev patch flex bison bc cpio xz-utils
	rsync				# headers_install
	libelf-dev libssl-dev pkgconf	# objtool (pkg-config finds libelf), kexec_file signing helpers
	dwarves				# pahole: DEBUG_INFO_BTF
	clang llvm libbpf-dev bpftool libfdt-dev	# BPF programs, lu-trace
	liblzma-dev libzstd-dev zstd	# lu-trace compat: xz and zstd bzImages (zstd: its tests)
	libclang-rt-14-dev		# make fuzz: clang-14's libFuzzer, ASan and UBSan runtimes
	qemu-system-x86 busybox-static ccache
	sparse				# make check: sparse on the new kernel code
	e2fsprogs python3		# lu-trace tests: the guest's ext2 disk, checks
	python3-prometheus-client	# lu-trace export tests: its OpenMetrics parser
	prometheus curl xxd		# dashboards/ rules, lu-trace export against Prometheus (xxd: its tests)
	strace				# make check records every execve for the deps audit
	memcached			# lu-keep: a real service kept across a live update
	man-db				# lu-keep host test: its man page rendered (man, groff, col)
)
PACKAGES+=(${LU_EXTRA_PACKAGES:-})
pkgs=$(printf '%s\n' "${PACKAGES[@]}" | sed 's/#.*//' | tr ' \t' '\n\n' | sed '/^$/d')
# The self-test of the deps audit takes packages out (LU_DEPS_WITHOUT).
for p in ${LU_DEPS_WITHOUT:-}; do
	pkgs=$(grep -vxF -- "$p" <<< "$pkgs")
done

# --list: the package names, one a line (mk/deps-audit.sh reads them).
if [ "${1:-}" = --list ]; then
	printf '%s\n' "$pkgs"
	exit 0
fi

missing=()
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "  DEPS      all $(wc -w <<< "$pkgs") packages present"
	exit 0
fi
cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
	echo "error: missing packages: ${missing[*]}" >&2
	echo "run as root:  $cmd" >&2
	exit 1
fi
echo "  DEPS      installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists (every package has no candidate), and
# old lists name versions the mirror no longer has (the install fails to
# fetch them): update first in the first case, and retry after updating in
# the second.
known=$(apt-cache policy "${missing[@]}" 2> /dev/null | grep -c '^  Candidate: [^(]') || true
unknown=$((${#missing[@]} - ${known:-0}))
if [ "$unknown" -gt 0 ]; then
	echo "  DEPS      $unknown of them unknown to apt: apt-get update"
	apt-get update -q
fi
if ! apt-get install -y -q --no-install-recommends "${missing[@]}"; then
	echo "  DEPS      install failed: apt-get update and retry"
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
