// SPDX-License-Identifier: GPL-2.0
/*
 * luo_kexec_load: an image loaded with kexec_load(2) carries no handover;
 * with sessions preserved, reboot(LINUX_REBOOT_CMD_KEXEC) into it fails
 * with ENOEXEC and everything stays preserved (it used to jump and lose
 * every session silently).
 *
 * Stage 1 preserves a session, loads a one-page image with kexec_load()
 * (never meant to run: the kernel must refuse to start it), and calls
 * reboot(KEXEC): ENOEXEC, and LUO is still live (a file can still be
 * preserved). lu-init then loads the real next kernel with
 * kexec_file_load() as usual. Stage 2 finds the session with both files.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/kexec.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"

#define SESSION		"kexec-load"
#define CARRY_READY	"luo_kexec_load.ready"
#define LOAD_ADDR	(16UL << 20)

static void stage1(void)
{
	static char image[4096] __attribute__((aligned(4096)));
	struct kexec_segment seg = {
		.buf = image, .bufsz = sizeof(image), .mem = (void *)LOAD_ADDR,
		.memsz = sizeof(image),
	};
	int luo, s, t1, t2, ret;
	pid_t pid;

	ksft_set_plan(7);
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	s = luo_create_session(luo, SESSION);
	t1 = test_file_create(0xabc);
	ret = s >= 0 && t1 >= 0 ? luo_preserve_fd(s, t1, 1) : -EINVAL;
	luo_require(!ret, "a session with a test file (%s)", luo_strerror(ret));
	memset(image, 0xf4, sizeof(image));	/* hlt */
	ret = syscall(SYS_kexec_load, LOAD_ADDR, 1UL, &seg, (unsigned long)KEXEC_ARCH_DEFAULT);
	luo_require(!ret, "kexec_load of a one-page image (%s)", strerror(errno));
	sync();
	ret = reboot(LINUX_REBOOT_CMD_KEXEC) ? -errno : 0;
	luo_check(ret == -ENOEXEC, "reboot(KEXEC) into it is ENOEXEC (%s)", luo_strerror(ret));
	t2 = test_file_create(0xdef);
	ret = t2 >= 0 ? luo_preserve_fd(s, t2, 2) : t2;
	luo_check(!ret, "LUO is still live: another file preserves (%s)", luo_strerror(ret));
	close(t1);
	close(t2);
	close(luo);
	luo_require(lu_carry_set(CARRY_READY, "1"), "carry to stage 2");
	pid = daemonize_and_hold();
	luo_require(pid > 0, "daemon holds the session (%s)", luo_strerror(pid));
	ksft_finished();
}

static void stage2(void)
{
	__u64 v1 = 0, v2 = 0;
	int luo, s, t1, t2, ret;
	char carry[8];

	ksft_set_plan(5);
	luo_require(lu_carry_get(CARRY_READY, carry, sizeof(carry)), "stage 1 completed");
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	s = luo_retrieve_session(luo, SESSION);
	luo_require(s >= 0, "the session crossed (%s)", luo_strerror(s));
	t1 = luo_retrieve_fd(s, 1);
	t2 = luo_retrieve_fd(s, 2);
	luo_check(t1 >= 0 && t2 >= 0 && !test_file_value(t1, &v1) && !test_file_value(t2, &v2) &&
		  v1 == 0xabc && v2 == 0xdef, "both files, values %#llx %#llx",
		  (unsigned long long)v1, (unsigned long long)v2);
	ret = luo_finish(s);
	luo_check(!ret, "finish (%s)", luo_strerror(ret));
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2)
