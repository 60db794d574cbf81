// SPDX-License-Identifier: GPL-2.0
/*
 * luo_kexec_simple: one file crosses a live update in one session.
 *
 * Stage 1 preserves a test file holding 0x1234ABCD under token 0x1A in
 * session "test-session", lets go of the file itself (LUO keeps it) and
 * leaves a daemon holding the session fd, so the session is still open
 * when lu-init kexecs.
 *
 * Stage 2 (the new kernel) proves that:
 *   - the session comes back under its name, as an O_CLOEXEC fd, and a
 *     second RETRIEVE_SESSION of it is -EINVAL;
 *   - the file comes back under its token with its value, as an
 *     O_CLOEXEC fd, and only once (-ENOENT the second time);
 *   - on an incoming session, malformed calls are refused and change
 *     nothing: a nonzero tail (-E2BIG) on RETRIEVE_SESSION, RETRIEVE_FD
 *     and FINISH, a short struct (-EINVAL) on RETRIEVE_FD and FINISH,
 *     and FINISH with reserved != 0 (-EINVAL) all leave the session and
 *     its file to retrieve and finish afterwards (liveupdate.c checks
 *     the same rules on outgoing sessions, where RETRIEVE_FD and FINISH
 *     have nothing to act on);
 *   - FINISH succeeds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"

#define SESSION_NAME	"test-session"
#define FILE_TOKEN	0x1AULL
#define FILE_VALUE	0x1234ABCDULL
#define CARRY_READY	"luo_kexec_simple.ready"

static void stage1(void)
{
	int luo, s, f, ret;
	pid_t pid;

	ksft_set_plan(5);
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	s = luo_create_session(luo, SESSION_NAME);
	luo_require(s >= 0, "create_session '%s' (%s)", SESSION_NAME, luo_strerror(s));
	f = test_file_create(FILE_VALUE);
	luo_require(f >= 0, "create_test_file value %#llx (%s)", FILE_VALUE, luo_strerror(f));
	ret = luo_preserve_fd(s, f, FILE_TOKEN);
	luo_require(!ret, "preserve_fd token %#llx (%s)", FILE_TOKEN, luo_strerror(ret));

	/* LUO holds the file now; only the session fd must stay open. */
	close(f);
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
	LUO_OVERSIZED(struct liveupdate_ioctl_retrieve_session) big_rs = {};
	LUO_OVERSIZED(struct liveupdate_session_retrieve_fd) big_rf = {};
	LUO_OVERSIZED(struct liveupdate_session_finish) big_fin = {};
	struct liveupdate_session_retrieve_fd small_rf = {};
	struct liveupdate_session_finish fin = {};
	char buf[16];
	__u64 value = 0;
	int luo, s, f, ret;

	ksft_set_plan(17);
	luo_require(lu_carry_get(CARRY_READY, buf, sizeof(buf)),
		    "stage1_completed (lu.carry.%s)", CARRY_READY);
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));

	/* A rejected RETRIEVE_SESSION does not use up the session. */
	big_rs.s.size = sizeof(big_rs);
	luo_set_name(big_rs.s.name, SESSION_NAME);
	big_rs.tail[LUO_TAIL_LEN - 1] = 1;
	ret = luo_ioctl(luo, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &big_rs);
	luo_check(ret == -E2BIG, "retrieve_session_nonzero_tail_is_e2big (%s)",
		  luo_strerror(ret));

	s = luo_retrieve_session(luo, SESSION_NAME);
	luo_require(s >= 0, "retrieve_session '%s' (%s)", SESSION_NAME, luo_strerror(s));
	luo_check(fd_is_cloexec(s), "retrieved_session_fd_is_cloexec");
	luo_check(luo_name_is(s, SESSION_NAME), "retrieved_session_has_its_name");
	ret = luo_retrieve_session(luo, SESSION_NAME);
	luo_check(ret == -EINVAL, "retrieve_session_twice_is_einval (%s)", luo_strerror(ret));
	if (ret >= 0)
		close(ret);

	/* Rejected RETRIEVE_FDs do not use up the token. */
	small_rf.size = sizeof(small_rf) - 1;
	small_rf.token = FILE_TOKEN;
	ret = luo_ioctl(s, LIVEUPDATE_SESSION_RETRIEVE_FD, &small_rf);
	luo_check(ret == -EINVAL, "retrieve_fd_size_too_small_is_einval (%s)", luo_strerror(ret));
	big_rf.s.size = sizeof(big_rf);
	big_rf.s.token = FILE_TOKEN;
	big_rf.tail[LUO_TAIL_LEN - 1] = 1;
	ret = luo_ioctl(s, LIVEUPDATE_SESSION_RETRIEVE_FD, &big_rf);
	luo_check(ret == -E2BIG, "retrieve_fd_nonzero_tail_is_e2big (%s)", luo_strerror(ret));

	f = luo_retrieve_fd(s, FILE_TOKEN);
	luo_require(f >= 0, "retrieve_fd token %#llx (%s)", FILE_TOKEN, luo_strerror(f));
	luo_check(fd_is_cloexec(f), "retrieved_file_fd_is_cloexec");
	ret = test_file_value(f, &value);
	luo_check(!ret && value == FILE_VALUE, "value_survived (%#llx, want %#llx: %s)",
		  (unsigned long long)value, FILE_VALUE, luo_strerror(ret));
	ret = luo_retrieve_fd(s, FILE_TOKEN);
	luo_check(ret == -ENOENT, "retrieve_fd_twice_is_enoent (%s)", luo_strerror(ret));
	if (ret >= 0)
		close(ret);

	/* Rejected FINISHes leave the session to finish. */
	fin.size = sizeof(fin);
	fin.reserved = 1;
	ret = luo_ioctl(s, LIVEUPDATE_SESSION_FINISH, &fin);
	luo_check(ret == -EINVAL, "finish_reserved_nonzero_is_einval (%s)", luo_strerror(ret));
	fin.size = sizeof(fin) - 1;
	fin.reserved = 0;
	ret = luo_ioctl(s, LIVEUPDATE_SESSION_FINISH, &fin);
	luo_check(ret == -EINVAL, "finish_size_too_small_is_einval (%s)", luo_strerror(ret));
	big_fin.s.size = sizeof(big_fin);
	big_fin.tail[LUO_TAIL_LEN - 1] = 1;
	ret = luo_ioctl(s, LIVEUPDATE_SESSION_FINISH, &big_fin);
	luo_check(ret == -E2BIG, "finish_nonzero_tail_is_e2big (%s)", luo_strerror(ret));

	ret = luo_finish(s);
	luo_check(!ret, "finish (%s)", luo_strerror(ret));
	close(f);
	close(s);
	close(luo);
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2);
