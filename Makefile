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
ifneq ($(filter check demo demo-kv,$(MAKECMDGOALS)),)
$(shell rm -f $(BUILD)/timings.log)
endif

.PHONY: all help deps kernel initramfs check demo bench vm vmtest clean demo-kv

all: initramfs

help:
	@sed -n 's/^#   make /  make /p' Makefile
	@echo "  make deps       install missing Debian packages (root)"
	@echo "  make kernel     extract 6.12, overlay, patch, configure, build bzImage"
	@echo "  make initramfs  guest programs + initramfs"
	@echo "  make vmtest T=TEST[,TEST] CYCLES=N [APPEND=params]   one VM run"
	@echo "  make demo-kv    the first demo: a key-value service in memfds, lu-trace"
	@echo "  make bench      benchmarks (table + JSON in $(BUILD)/bench)"
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

# The first demo: a small key-value service in memfds, three sessions.
demo-kv: initramfs
	@mk/demo.sh kv

bench: initramfs
	@mk/bench.sh

vmtest: initramfs
	@$(VMTEST) -t $(T) -c $(CYCLES) -m $(MEM) -a "$(APPEND)" -K $(SELFTESTS)/kunit.suites

vm: initramfs
	@$(VMTEST) -s -m $(MEM) -a "$(APPEND)"

clean:
	rm -rf $(BUILD)
