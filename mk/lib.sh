# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the build scripts under mk/. Sourced, never executed.

set -euo pipefail

LU_ROOT=${LU_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${BUILD:-$LU_ROOT/build}
case $BUILD in /*) ;; *) BUILD=$LU_ROOT/$BUILD ;; esac

SRC=${SRC:-$BUILD/src/linux}	# extracted 6.12 tree (overlaid and patched)
# LU_VARIANT=debug (make DEBUG=1): the debug kernel, with configs/debug/*.config
# merged after configs/*.config, and its own kernel, guest, lu-trace, logs and
# timings, next to the normal ones (suffix -debug); the source tree is shared.
LU_VARIANT=${LU_VARIANT:-}
VSFX=${LU_VARIANT:+-$LU_VARIANT}
KBUILD=${LU_KBUILD:-$BUILD/kernel$VSFX}	# O= output directory (LU_KBUILD: another one)
GUEST=$BUILD/guest$VSFX			# guest programs and the initramfs
LOGS=$BUILD/logs$VSFX			# VM consoles, build and lint logs
TIMINGS=${LU_TIMINGS:-$BUILD/timings$VSFX.log}	# one "phase seconds" line per timed phase

# The Debian package that provides the kernel source, and its tarball.
SRC_PKG=${SRC_PKG:-linux-source-6.12}
SRC_TARBALL=${SRC_TARBALL:-/usr/src/$SRC_PKG.tar.xz}

msg()  { printf '  %-9s %s\n' "$1" "$2"; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }

# phase_time NAME START_EPOCH_NS: record and print how long a phase took.
phase_time() {
	local name=$1 start=$2 end secs
	end=$(date +%s%N)
	secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
	mkdir -p "$BUILD"
	printf '%s %s\n' "$name" "$secs" >> "$TIMINGS"
	msg TIME "$name took ${secs}s"
}

now_ns() { date +%s%N; }

# kmake ARGS...: make in the kernel tree, out of tree, with ccache and fixed
# build metadata so that rebuilds are incremental and reproducible. The same
# command line everywhere: kbuild rebuilds objects whose command line changed.
KBUILD_BUILD_TIMESTAMP=${KBUILD_BUILD_TIMESTAMP:-"2026-01-01 00:00:00 UTC"}
export KBUILD_BUILD_TIMESTAMP KBUILD_BUILD_USER=liveupdate KBUILD_BUILD_HOST=build
export CCACHE_BASEDIR=$SRC CCACHE_COMPILERCHECK=content CCACHE_NOHASHDIR=1
JOBS=${JOBS:-$(nproc)}
kmake() {
	local cc=gcc
	command -v ccache > /dev/null && [ "${USE_CCACHE:-1}" = 1 ] && cc="ccache gcc"
	make -C "$SRC" O="$KBUILD" ARCH=x86_64 CC="$cc" HOSTCC="$cc" LOCALVERSION= \
		-j"$JOBS" "$@"
}
