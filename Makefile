# SPDX-License-Identifier: GPL-2.0
#
# Live Update for Linux 6.12: build the kernel from Debian's linux-source-6.12
# with this tree applied, boot it in QEMU, and test it across real kexecs.
#
#   make demo     build, boot, kexec, and tell what happened
#   make check    every test (host self-tests, VM runner self-test, kexec tests)
#
# Everything is written under $(BUILD) (default build/).

BUILD ?= build
override BUILD := $(abspath $(BUILD))
export BUILD

SELFTESTS := tools/testing/selftests/liveupdate
BZIMAGE := $(BUILD)/kernel/arch/x86/boot/bzImage
INITRD := $(BUILD)/guest/initramfs.cpio

# One VM test run: make vmtest T=lu_kexec_boot_id CYCLES=1 APPEND="..."
T ?= lu_kexec_boot_id
CYCLES ?= 1
APPEND ?=
MEM ?= 2G
VMTEST = $(SELFTESTS)/vmtest.sh -k $(BZIMAGE) -i $(INITRD) -o $(BUILD)/logs

# Each check or demo run reports the time of its own phases only.
ifneq ($(filter check demo,$(MAKECMDGOALS)),)
$(shell rm -f $(BUILD)/timings.log)
endif

.PHONY: all help deps kernel initramfs check demo bench bigmem damage vm vmtest clean

all: initramfs

help:
	@sed -n 's/^#   make /  make /p' Makefile
	@echo "  make deps       install missing Debian packages (root)"
	@echo "  make kernel     extract 6.12, overlay, patch, configure, build bzImage"
	@echo "  make initramfs  guest programs + initramfs"
	@echo "  make vmtest T=TEST[,TEST] CYCLES=N [APPEND=params]   one VM run"
	@echo "  make bench      benchmarks (table + JSON in $(BUILD)/bench)"
	@echo "  make bigmem     KHO/LUO on 64, 128 and 256 GiB guests (BIGMEM_SIZES=)"
	@echo "  make damage     handovers damaged at random (DAMAGE_SEEDS= DAMAGE_CYCLES= DAMAGE_COUNT=)"
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

check: initramfs
	@mk/check.sh

demo: initramfs
	@mk/demo.sh

bench: initramfs
	@mk/bench.sh

bigmem: initramfs
	@mk/bigmem.sh

damage: initramfs
	@mk/damage.sh

vmtest: initramfs
	@$(VMTEST) -t $(T) -c $(CYCLES) -m $(MEM) -a "$(APPEND)" -K $(SELFTESTS)/kunit.suites

vm: initramfs
	@$(VMTEST) -s -m $(MEM) -a "$(APPEND)"

clean:
	rm -rf $(BUILD)
