#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages the project needs, saying which. Without root,
# fail with the exact apt-get line to run instead.

set -euo pipefail

PACKAGES=(
	linux-source-6.12		# the kernel source this tree applies to
	build-essential make gcc libc6-dev patch flex bison bc cpio xz-utils
	libelf-dev libssl-dev		# objtool, kexec_file signing helpers
	dwarves				# pahole: DEBUG_INFO_BTF
	clang llvm libbpf-dev bpftool libfdt-dev	# BPF programs, lu-trace
	qemu-system-x86 busybox-static ccache
	sparse				# make check: sparse on the new kernel code
	e2fsprogs python3		# lu-trace tests: the guest's ext2 disk, checks
	prometheus curl			# dashboards/ rules, lu-trace export against Prometheus
	memcached			# lu-keep: a real service kept across a live update
)
PACKAGES+=(${LU_EXTRA_PACKAGES:-})
pkgs=$(printf '%s\n' "${PACKAGES[@]}" | sed 's/#.*//' | tr ' \t' '\n\n' | sed '/^$/d')

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
if ! apt-get install -y -q --no-install-recommends "${missing[@]}"; then
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
