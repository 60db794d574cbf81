// SPDX-License-Identifier: GPL-2.0
/*
 * luo_empty_session: a session with no files crosses a live update, and a
 * session closed before the kexec does not.
 *
 * Stage 1 creates "empty" and keeps it open in a daemon. It also creates
 * "closed-before", preserves a test file in it and closes it again: an
 * outgoing session whose fd is closed is gone, files and all.
 *
 * Stage 2 proves that:
 *   - "empty" comes back, GET_NAME says "empty", it has no files, and
 *     FINISH succeeds;
 *   - "closed-before" does not exist (-ENOENT).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"

#define EMPTY_NAME	"empty"
#define CLOSED_NAME	"closed-before"
#define CLOSED_TOKEN	1
#define CLOSED_VALUE	11
#define CARRY_READY	"luo_empty_session.ready"

static void stage1(void)
{
	int luo, s, closed, f, ret;
	pid_t pid;

	ksft_set_plan(5);
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	s = luo_create_session(luo, EMPTY_NAME);
	luo_require(s >= 0, "create_session '%s' (%s)", EMPTY_NAME, luo_strerror(s));
	luo_check(luo_name_is(s, EMPTY_NAME), "'%s' has its name", EMPTY_NAME);

	closed = luo_create_session(luo, CLOSED_NAME);
	f = closed < 0 ? closed : test_file_create(CLOSED_VALUE);
	ret = f < 0 ? f : luo_preserve_fd(closed, f, CLOSED_TOKEN);
	luo_require(!ret, "preserve_into '%s' (%s)", CLOSED_NAME, luo_strerror(ret));
	close(closed);
	close(f);

	close(luo);
	if (!lu_carry_set(CARRY_READY, "1"))
		ksft_exit_fail_msg("cannot carry %s to stage 2: %s\n", CARRY_READY,
				   strerror(errno));
	pid = daemonize_and_hold();
	luo_require(pid > 0, "daemon_holds '%s' only (%s)", EMPTY_NAME, luo_strerror(pid));
	ksft_finished();
}

static void stage2(void)
{
	char buf[16], name[LUO_NAME_LEN] = "";
	int luo, s, ret;

	ksft_set_plan(7);
	luo_require(lu_carry_get(CARRY_READY, buf, sizeof(buf)),
		    "stage1_completed (lu.carry.%s)", CARRY_READY);
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));

	s = luo_retrieve_session(luo, EMPTY_NAME);
	luo_require(s >= 0, "retrieve_session '%s' (%s)", EMPTY_NAME, luo_strerror(s));
	ret = luo_get_name(s, name);
	luo_check(!ret && !strcmp(name, EMPTY_NAME), "get_name is '%s' ('%s': %s)", EMPTY_NAME,
		  name, luo_strerror(ret));
	ret = luo_retrieve_fd(s, CLOSED_TOKEN);
	luo_check(ret == -ENOENT, "empty_session_has_no_files (%s)", luo_strerror(ret));
	if (ret >= 0)
		close(ret);
	ret = luo_finish(s);
	luo_check(!ret, "finish '%s' (%s)", EMPTY_NAME, luo_strerror(ret));

	ret = luo_retrieve_session(luo, CLOSED_NAME);
	luo_check(ret == -ENOENT, "session_closed_before_kexec_is_gone (%s)", luo_strerror(ret));
	if (ret >= 0)
		close(ret);

	close(s);
	close(luo);
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2);
