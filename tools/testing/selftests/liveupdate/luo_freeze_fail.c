// SPDX-License-Identifier: GPL-2.0
/*
 * luo_freeze_fail: a file that fails to freeze stops the kexec, and LUO
 * comes out of it with everything still preserved and usable.
 *
 * Stage 1 preserves files A (token 1, value 7) and B (token 2, value 8)
 * in session "freeze", tells B to fail its freeze, and calls
 * reboot(LINUX_REBOOT_CMD_KEXEC) itself (lu-init has the next kernel
 * loaded already). It proves that:
 *   - reboot() returns -1 with errno EAGAIN (B's error) and the kexec
 *     does not happen;
 *   - everything is unfrozen and still preserved: GET_NAME works, A and
 *     B still read their values, A cannot be preserved again (-EBUSY), a
 *     new file C (token 3, value 9) can be preserved, and token 1 is
 *     still taken (-EEXIST).
 * It then tells B "ok", so the real kexec by lu-init goes through, and
 * leaves a daemon holding the session.
 *
 * Stage 2 proves that A, B and C all came across with values 7, 8 and 9,
 * and that FINISH succeeds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"

#define SESSION_NAME	"freeze"
#define CARRY_READY	"luo_freeze_fail.ready"

enum { FILE_A, FILE_B, FILE_C, NR_FILES };

static const struct {
	const char *name;
	__u64 token;
	__u64 value;
} files[NR_FILES] = {
	[FILE_A] = { "A", 1, 7 },
	[FILE_B] = { "B", 2, 8 },
	[FILE_C] = { "C", 3, 9 },
};

/* Create file @i and preserve it in @s under its token: 0 or -errno. */
static int preserve_file(int s, int i, int *fd)
{
	int ret;

	*fd = test_file_create(files[i].value);
	if (*fd < 0)
		return *fd;
	ret = luo_preserve_fd(s, *fd, files[i].token);
	if (ret) {
		close(*fd);
		*fd = -1;
	}
	return ret;
}

static bool has_value(int fd, __u64 want)
{
	__u64 value;

	return fd >= 0 && !test_file_value(fd, &value) && value == want;
}

static void stage1(void)
{
	int luo, s, fd[NR_FILES], d, i, ret;
	long rb;
	pid_t pid;

	ksft_set_plan(13);
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	s = luo_create_session(luo, SESSION_NAME);
	luo_require(s >= 0, "create_session '%s' (%s)", SESSION_NAME, luo_strerror(s));
	for (i = FILE_A; i <= FILE_B; i++) {
		ret = preserve_file(s, i, &fd[i]);
		luo_require(!ret, "preserve %s token %llu value %llu (%s)", files[i].name,
			    (unsigned long long)files[i].token,
			    (unsigned long long)files[i].value, luo_strerror(ret));
	}
	ret = test_file_cmd(fd[FILE_B], "fail-freeze");
	luo_require(!ret, "B_told_to_fail_its_freeze (%s)", luo_strerror(ret));

	if (lu_kexec_load_next())
		ksft_exit_fail_msg("loading the next kernel (lu-kexec --load) failed\n");
	ksft_print_msg("calling reboot(LINUX_REBOOT_CMD_KEXEC); if nothing follows, it kexeced\n");
	fflush(stdout);
	sync();
	rb = syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
		     LINUX_REBOOT_CMD_KEXEC, NULL);
	ret = rb < 0 ? -errno : 0;
	/* Loaded above, in every stage but the last. */
	if (ret == -EINVAL)
		ksft_print_msg("EINVAL: no kernel loaded for kexec? (lu.stages=%d)\n", lu_stages());
	luo_require(ret == -EAGAIN, "failed_freeze_fails_the_kexec_with_eagain (%s)",
		    luo_strerror(ret));

	/* Unfrozen, and still preserved. */
	luo_check(luo_name_is(s, SESSION_NAME), "session_still_usable_get_name");
	luo_check(has_value(fd[FILE_A], files[FILE_A].value) &&
		  has_value(fd[FILE_B], files[FILE_B].value), "A_and_B_still_read_their_values");
	ret = luo_preserve_fd(s, fd[FILE_A], 0x100);
	luo_check(ret == -EBUSY, "A_still_preserved_ebusy (%s)", luo_strerror(ret));
	ret = preserve_file(s, FILE_C, &fd[FILE_C]);
	luo_require(!ret, "preserve C token 3 value 9 after the failed kexec (%s)",
		    luo_strerror(ret));
	d = test_file_create(0);
	ret = d < 0 ? d : luo_preserve_fd(s, d, files[FILE_A].token);
	luo_check(ret == -EEXIST, "token_1_still_taken_eexist (%s)", luo_strerror(ret));
	if (d >= 0)
		close(d);

	/* Let the real kexec succeed. */
	ret = test_file_cmd(fd[FILE_B], "ok");
	luo_require(!ret, "B_told_to_freeze_normally (%s)", luo_strerror(ret));

	for (i = 0; i < NR_FILES; i++)
		close(fd[i]);
	close(luo);
	if (!lu_carry_set(CARRY_READY, "1"))
		ksft_exit_fail_msg("cannot carry %s to stage 2: %s\n", CARRY_READY,
				   strerror(errno));
	pid = daemonize_and_hold();
	luo_require(pid > 0, "daemon_holds_session (%s)", luo_strerror(pid));
	ksft_finished();
}

static void stage2(void)
{
	char buf[16];
	__u64 value;
	int luo, s, f, i, ret;

	ksft_set_plan(4 + NR_FILES);
	luo = luo_open_device();
	if (!lu_carry_get(CARRY_READY, buf, sizeof(buf))) {
		s = luo < 0 ? luo : luo_retrieve_session(luo, SESSION_NAME);
		/* Stage 1 held the session itself only up to its reboot() call. */
		if (s >= 0)
			ksft_print_msg("'%s' came across, stage 1 unfinished: reboot() kexeced\n",
				       SESSION_NAME);
		ksft_exit_fail_msg("stage 1 did not complete (no lu.carry.%s): see its output\n",
				   CARRY_READY);
	}
	ksft_test_result_pass("stage1_completed (lu.carry.%s)\n", CARRY_READY);
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	s = luo_retrieve_session(luo, SESSION_NAME);
	luo_require(s >= 0, "retrieve_session '%s' (%s)", SESSION_NAME, luo_strerror(s));
	for (i = 0; i < NR_FILES; i++) {
		value = 0;
		f = luo_retrieve_fd(s, files[i].token);
		ret = f < 0 ? f : test_file_value(f, &value);
		luo_check(!ret && value == files[i].value,
			  "%s token %llu has value %llu (got %llu: %s)", files[i].name,
			  (unsigned long long)files[i].token, (unsigned long long)files[i].value,
			  (unsigned long long)value, luo_strerror(ret));
		if (f >= 0)
			close(f);
	}
	ret = luo_finish(s);
	luo_check(!ret, "finish (%s)", luo_strerror(ret));
	close(s);
	close(luo);
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2);
