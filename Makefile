# SPDX-License-Identifier: GPL-2.0
#
# Live Update for Linux 6.12: build the kernel from Debian's linux-source-6.12
# with this tree applied, boot it in QEMU, and test it across real kexecs.
#
#   make demo     memcached keeps its cache across a kernel live update (lu-keep)
#   make check    every test (host self-tests, VM runner self-test, kexec tests)
#
# Everything is written under $(BUILD) (default build/).

BUILD ?= build
override BUILD := $(abspath $(BUILD))
export BUILD

# Only the directories a fresh Debian install has programs in: a tool this
# machine has elsewhere (in /usr/local, ~/.pyenv, ...) must not stand in for
# a package that make deps installs. LU_PATH=... to change it.
LU_PATH ?= /usr/sbin:/usr/bin:/sbin:/bin
export PATH := $(LU_PATH)

# DEBUG=1: the debug kernel (configs/debug/ on top of configs/: KASAN,
# lockdep, DEBUG_VM, DEBUG_LIST, UBSAN, kmemleak) in $(BUILD)/kernel-debug,
# with its own initramfs and logs ($(BUILD)/guest-debug, $(BUILD)/logs-debug),
# for every target below.
ifeq ($(DEBUG),1)
export LU_VARIANT := debug
VSFX := -debug
LU_TIMEOUT_SCALE ?= 5
LU_APPEND ?= $(shell sed 's/\#.*//' configs/debug/cmdline | xargs)
export LU_TIMEOUT_SCALE LU_APPEND
endif

SELFTESTS := tools/testing/selftests/liveupdate
BZIMAGE := $(BUILD)/kernel$(VSFX)/arch/x86/boot/bzImage
INITRD := $(BUILD)/guest$(VSFX)/initramfs.cpio

# One VM test run: make vmtest T=lu_kexec_boot_id CYCLES=1 APPEND="..."
T ?= lu_kexec_boot_id
CYCLES ?= 1
APPEND ?=
MEM ?= 2G
VMTEST = $(SELFTESTS)/vmtest.sh -k $(BZIMAGE) -i $(INITRD) -o $(BUILD)/logs$(VSFX)

# Each check or demo run reports the time of its own phases only.
ifneq ($(filter check demo demo-kv,$(MAKECMDGOALS)),)
$(shell rm -f $(BUILD)/timings$(VSFX).log)
endif

# lu_workload (random memfd workloads through chained kexecs, see README):
#   make workload SEED=N [CYCLES=N] [WL_MIB=N] [WL_APPEND="lu.wl.avoid=1"]   one seed (replay)
#   make stress [STRESS_SEEDS=N|A-B|A,B] [CYCLES=N]   many seeds, a table, never stops;
#               then the damage campaign, 1,008 mutations (DAMAGE_SEEDS=42, 8 kexecs, 3 each)
#   make soak [SOAK_CYCLES=N] [SEED=N] [WL_MIB=N] [LEAK=MiB]   long chain, memory accounting
# CYCLES defaults to 2 for these (it is 1 for make vmtest).
WL_CYCLES = $(if $(filter command line environment,$(origin CYCLES)),$(CYCLES),2)
WL_VARS = SEED="$(SEED)" CYCLES="$(WL_CYCLES)" WL_MIB="$(WL_MIB)" WL_APPEND="$(WL_APPEND)" \
	STRESS_SEEDS="$(STRESS_SEEDS)" SOAK_CYCLES="$(SOAK_CYCLES)" LEAK="$(LEAK)"

.PHONY: all help deps kernel initramfs check check-run demo demo-run bench bench-run bigmem damage formats \
	vm vmtest clean workload stress soak demo-kv demo-kv-run fuzz fuzz-seeds

all: initramfs

help:
	@sed -n 's/^#   make /  make /p' Makefile
	@echo "  make deps       install missing Debian packages (root)"
	@echo "  make kernel     extract 6.12, overlay, patch, configure, build bzImage"
	@echo "  make initramfs  guest programs + initramfs"
	@echo "  make vmtest T=TEST[,TEST] CYCLES=N [APPEND=params]   one VM run"
	@echo "  make demo-kv    the first demo: a key-value service in memfds, lu-trace"
	@echo "  make bench      benchmarks (table + JSON in $(BUILD)/bench)"
	@echo "  make bigmem     KHO/LUO on 64, 128 and 256 GiB guests (BIGMEM_SIZES=)"
	@echo "  make damage     handovers damaged at random (DAMAGE_SEEDS= DAMAGE_CYCLES= DAMAGE_COUNT=)"
	@echo "  make formats    kernels that read different format versions: compat and kexecs"
	@echo "  make fuzz       host fuzz targets of every handover reader (FUZZ_S=seconds per target, FUZZ_T=targets)"
	@echo "  make fuzz-seeds capture a real handover in the guest as the fuzz seed corpus"
	@echo "  make vm         guest shell on this terminal (Ctrl-A X quits)"
	@echo "  make clean      remove $(BUILD)"

deps:
	@mk/deps.sh

kernel:
	@mk/kernel-tree.sh extract
	@mk/kernel-tree.sh overlay
	@mk/kernel-tree.sh patch
	@mk/kconfig.sh
	@mk/kbuild.sh

initramfs: kernel
	@mk/guest.sh

# check, demo and bench run under strace (mk/traced.sh): every program they
# start is recorded, and mk/deps-audit.sh checks that make deps installs it.
check:
	@mk/traced.sh check$(VSFX) $(MAKE) --no-print-directory check-run

check-run: initramfs
	@mk/check.sh

demo:
	@mk/traced.sh --audit demo $(MAKE) --no-print-directory demo-run

demo-run: initramfs
	@mk/demo.sh

# The first demo: a small key-value service in memfds, three sessions.
demo-kv:
	@mk/traced.sh --audit demo $(MAKE) --no-print-directory demo-kv-run

demo-kv-run: initramfs
	@mk/demo.sh kv

bench:
	@mk/traced.sh --audit bench $(MAKE) --no-print-directory bench-run

bench-run: initramfs
	@mk/bench.sh

bigmem: initramfs
	@mk/bigmem.sh

damage: initramfs
	@mk/damage.sh

formats: initramfs
	@mk/formats.sh

# Host fuzzing (tools/testing/liveupdate-fuzz): needs only the extracted tree.
FUZZ := tools/testing/liveupdate-fuzz
FUZZ_S ?= 60
FUZZ_T ?=
FUZZ_NICE ?= 0
FUZZ_SEED ?= 0
fuzz:
	@mk/kernel-tree.sh extract
	@$(FUZZ)/run.sh -k $(BUILD)/src/linux -o $(BUILD)/fuzz -s $(FUZZ_S) -n $(FUZZ_NICE) -r $(FUZZ_SEED) \
		$(if $(FUZZ_T),-t $(FUZZ_T))

fuzz-seeds: initramfs
	@$(FUZZ)/capture.sh $(BUILD)

vmtest: initramfs
	@$(VMTEST) -t $(T) -c $(CYCLES) -m $(MEM) -a "$(APPEND)" -K $(SELFTESTS)/kunit.suites

vm: initramfs
	@$(VMTEST) -s -m $(MEM) -a "$(APPEND)"

workload: initramfs
	@env $(WL_VARS) mk/workload.sh one

stress: initramfs
	@rc=0; env $(WL_VARS) mk/workload.sh stress || rc=1; \
	DAMAGE_SEEDS=$${DAMAGE_SEEDS:-42} DAMAGE_CYCLES=$${DAMAGE_CYCLES:-8} \
		DAMAGE_COUNT=$${DAMAGE_COUNT:-3} mk/damage.sh || rc=1; exit $$rc

soak: initramfs
	@env $(WL_VARS) mk/workload.sh soak

clean:
	rm -rf $(BUILD)
