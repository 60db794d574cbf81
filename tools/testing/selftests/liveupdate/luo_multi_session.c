// SPDX-License-Identifier: GPL-2.0
/*
 * luo_multi_session: several sessions, with and without files, cross a
 * live update side by side without mixing.
 *
 * Stage 1 preserves
 *   "multi-a"        token 0x1001 value 1
 *   "multi-b"        token 0x2002 value 2, token 0x3003 value 3
 *   "multi-empty-1"  nothing
 *   "multi-empty-2"  nothing
 * and leaves a daemon holding the four session fds.
 *
 * Stage 2 proves that:
 *   - every session comes back under its own name;
 *   - every retrieved file has its value, and tokens belong to their
 *     session (0x2002 is not found in "multi-a"; empty sessions have no
 *     files);
 *   - FINISH asks every file first: while a file of "multi-a" refuses to
 *     finish ("busy"), FINISH is -EBUSY and nothing changes; once it
 *     agrees, FINISH succeeds;
 *   - FINISH of "multi-b" succeeds with 0x3003 never retrieved (the
 *     file is discarded), and empty sessions finish too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"

#define CARRY_READY	"luo_multi_session.ready"
#define MAX_FILES	2

struct multi_file {
	__u64 token;
	__u64 value;
};

static const struct multi_session {
	const char *name;
	int nr_files;
	struct multi_file files[MAX_FILES];
} sessions[] = {
	{ "multi-a", 1, { { 0x1001, 1 } } },
	{ "multi-b", 2, { { 0x2002, 2 }, { 0x3003, 3 } } },
	{ "multi-empty-1", 0, {} },
	{ "multi-empty-2", 0, {} },
};

#define NR_SESSIONS	((int)ARRAY_SIZE(sessions))
enum { MULTI_A, MULTI_B, MULTI_EMPTY_1, MULTI_EMPTY_2 };

static void stage1(void)
{
	int luo, s, f, i, j, ret, nr_files = 0;
	pid_t pid;

	for (i = 0; i < NR_SESSIONS; i++)
		nr_files += sessions[i].nr_files;
	ksft_set_plan(2 + NR_SESSIONS + nr_files);

	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	for (i = 0; i < NR_SESSIONS; i++) {
		const struct multi_session *ms = &sessions[i];

		s = luo_create_session(luo, ms->name);
		luo_require(s >= 0, "create_session '%s' (%s)", ms->name, luo_strerror(s));
		for (j = 0; j < ms->nr_files; j++) {
			const struct multi_file *mf = &ms->files[j];

			f = test_file_create(mf->value);
			ret = f < 0 ? f : luo_preserve_fd(s, f, mf->token);
			luo_require(!ret, "preserve '%s' token %#llx value %llu (%s)", ms->name,
				    (unsigned long long)mf->token,
				    (unsigned long long)mf->value, luo_strerror(ret));
			close(f);
		}
		/* The session fd stays open: the daemon inherits it. */
	}
	close(luo);
	if (!lu_carry_set(CARRY_READY, "1"))
		ksft_exit_fail_msg("cannot carry %s to stage 2: %s\n", CARRY_READY,
				   strerror(errno));
	pid = daemonize_and_hold();
	luo_require(pid > 0, "daemon_holds_sessions (%s)", luo_strerror(pid));
	ksft_finished();
}

/* Retrieve file @j of session @i and check its value; its fd or -1. */
static int retrieve_and_check(int *fds, int i, int j)
{
	const struct multi_file *mf = &sessions[i].files[j];
	__u64 value = 0;
	int f, ret;

	f = luo_retrieve_fd(fds[i], mf->token);
	ret = f < 0 ? f : test_file_value(f, &value);
	luo_check(!ret && value == mf->value, "'%s' token %#llx has value %llu (got %llu: %s)",
		  sessions[i].name, (unsigned long long)mf->token,
		  (unsigned long long)mf->value, (unsigned long long)value, luo_strerror(ret));
	return f < 0 ? -1 : f;
}

static void stage2(void)
{
	int fds[NR_SESSIONS], luo, a, b, i, ret, ret2;
	char buf[16];
	__u64 value = 0;

	ksft_set_plan(2 + 2 * NR_SESSIONS + 10);
	luo_require(lu_carry_get(CARRY_READY, buf, sizeof(buf)),
		    "stage1_completed (lu.carry.%s)", CARRY_READY);
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));

	for (i = 0; i < NR_SESSIONS; i++) {
		fds[i] = luo_retrieve_session(luo, sessions[i].name);
		luo_require(fds[i] >= 0, "retrieve_session '%s' (%s)", sessions[i].name,
			    luo_strerror(fds[i]));
		luo_check(luo_name_is(fds[i], sessions[i].name), "'%s' has its name",
			  sessions[i].name);
	}

	/* "multi-a": its file, and only its own tokens. */
	a = retrieve_and_check(fds, MULTI_A, 0);
	ret = luo_retrieve_fd(fds[MULTI_A], sessions[MULTI_B].files[0].token);
	luo_check(ret == -ENOENT, "tokens_are_per_session (%s)", luo_strerror(ret));

	/* A file that cannot finish holds up the whole session. */
	ret = a < 0 ? a : test_file_cmd(a, "busy");
	ret = ret ? ret : luo_finish(fds[MULTI_A]);
	luo_check(ret == -EBUSY, "finish_with_busy_file_is_ebusy (%s)", luo_strerror(ret));
	ret = a < 0 ? a : test_file_value(a, &value);
	luo_check(!ret && value == sessions[MULTI_A].files[0].value &&
		  luo_name_is(fds[MULTI_A], sessions[MULTI_A].name),
		  "failed_finish_changes_nothing (%s)", luo_strerror(ret));
	ret = a < 0 ? a : test_file_cmd(a, "ok");
	ret = ret ? ret : luo_finish(fds[MULTI_A]);
	luo_check(!ret, "finish '%s' once the file agrees (%s)", sessions[MULTI_A].name,
		  luo_strerror(ret));

	/* "multi-b": one file retrieved, 0x3003 left for FINISH to discard. */
	b = retrieve_and_check(fds, MULTI_B, 0);
	ret = luo_finish(fds[MULTI_B]);
	luo_check(!ret, "finish '%s' discards the unretrieved token %#llx (%s)",
		  sessions[MULTI_B].name, (unsigned long long)sessions[MULTI_B].files[1].token,
		  luo_strerror(ret));

	/* The empty sessions. */
	ret = luo_retrieve_fd(fds[MULTI_EMPTY_1], sessions[MULTI_A].files[0].token);
	ret2 = luo_retrieve_fd(fds[MULTI_EMPTY_2], sessions[MULTI_B].files[1].token);
	luo_check(ret == -ENOENT && ret2 == -ENOENT, "empty_sessions_have_no_files (%s, %s)",
		  luo_strerror(ret), luo_strerror(ret2));
	ret = luo_finish(fds[MULTI_EMPTY_1]);
	luo_check(!ret, "finish '%s' (%s)", sessions[MULTI_EMPTY_1].name, luo_strerror(ret));
	ret = luo_finish(fds[MULTI_EMPTY_2]);
	luo_check(!ret, "finish '%s' (%s)", sessions[MULTI_EMPTY_2].name, luo_strerror(ret));

	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	for (i = 0; i < NR_SESSIONS; i++)
		close(fds[i]);
	close(luo);
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2);
