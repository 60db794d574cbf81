// SPDX-License-Identifier: GPL-2.0
/*
 * luo_stress_sessions: 10000 empty sessions cross a live update.
 *
 * Stage 1 creates "stress-00000" .. "stress-09999" (no fixed session
 * limit; every session needs an open fd, so RLIMIT_NOFILE is raised),
 * checks their names, and leaves a daemon holding all of them.
 *
 * Stage 2 proves that every one of them comes back by name, all at once,
 * with its own name, that there is no extra one ("stress-10000"), and
 * that each can be finished. One TAP line per phase, with counts; the
 * first few failures of a phase are printed as diagnostics.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"

#define NR_SESSIONS	10000
#define NAME_FMT	"stress-%05d"
#define CARRY_COUNT	"luo_stress_sessions.count"
/* Diagnostics printed per phase before going quiet. */
#define MAX_REPORTS	5

static int fds[NR_SESSIONS];

static void session_name(char buf[LUO_NAME_LEN], int i)
{
	snprintf(buf, LUO_NAME_LEN, NAME_FMT, i);
}

/* Print one failure of a phase, unless MAX_REPORTS were printed already. */
static void report(int *reported, const char *what, int i, int ret)
{
	if ((*reported)++ < MAX_REPORTS)
		ksft_print_msg("%s " NAME_FMT ": %s\n", what, i, luo_strerror(ret));
}

/* Check GET_NAME of every session in fds[]; the number that match. */
static int check_names(void)
{
	char want[LUO_NAME_LEN], got[LUO_NAME_LEN];
	int i, ret, ok = 0, reported = 0;

	for (i = 0; i < NR_SESSIONS; i++) {
		session_name(want, i);
		ret = luo_get_name(fds[i], got);
		if (!ret && !strcmp(got, want))
			ok++;
		else if (ret)
			report(&reported, "get_name of", i, ret);
		else if (reported++ < MAX_REPORTS)
			ksft_print_msg("get_name of %s: '%s'\n", want, got);
	}
	return ok;
}

static void stage1(void)
{
	char name[LUO_NAME_LEN];
	int luo, i, ret, created = 0;
	long t0;
	pid_t pid;

	ksft_set_plan(6);
	ret = luo_raise_nofile(NR_SESSIONS + 64);
	luo_require(!ret, "raise_rlimit_nofile to %d (%s)", NR_SESSIONS + 64, luo_strerror(ret));
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));

	t0 = lu_now_ms();
	for (i = 0; i < NR_SESSIONS; i++) {
		session_name(name, i);
		fds[i] = luo_create_session(luo, name);
		if (fds[i] < 0)
			break;
		created++;
	}
	luo_require(created == NR_SESSIONS, "created %d of %d sessions in %ld ms (%s)", created,
		    NR_SESSIONS, lu_now_ms() - t0, created < NR_SESSIONS ?
		    luo_strerror(fds[created]) : "all");

	ret = check_names();
	luo_check(ret == NR_SESSIONS, "outgoing_names_match (%d of %d)", ret, NR_SESSIONS);
	session_name(name, 0);
	ret = luo_create_session(luo, name);
	luo_check(ret == -EEXIST, "duplicate_name_still_eexist (%s)", luo_strerror(ret));
	if (ret >= 0)
		close(ret);

	close(luo);
	if (!lu_carry_set(CARRY_COUNT, "%d", created))
		ksft_exit_fail_msg("cannot carry %s to stage 2: %s\n", CARRY_COUNT,
				   strerror(errno));
	pid = daemonize_and_hold();
	luo_require(pid > 0, "daemon_holds_%d_sessions (%s)", NR_SESSIONS, luo_strerror(pid));
	ksft_finished();
}

static void stage2(void)
{
	char buf[16], name[LUO_NAME_LEN];
	int luo, i, ret, ok, reported;
	long t0;

	ksft_set_plan(8);
	luo_require(lu_carry_get(CARRY_COUNT, buf, sizeof(buf)) && atoi(buf) == NR_SESSIONS,
		    "stage1_preserved_%d_sessions (lu.carry.%s)", NR_SESSIONS, CARRY_COUNT);
	ret = luo_raise_nofile(NR_SESSIONS + 64);
	luo_require(!ret, "raise_rlimit_nofile to %d (%s)", NR_SESSIONS + 64, luo_strerror(ret));
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));

	/* Phase 1: retrieve every session, keeping them all open. */
	t0 = lu_now_ms();
	for (i = 0, ok = 0, reported = 0; i < NR_SESSIONS; i++) {
		session_name(name, i);
		fds[i] = luo_retrieve_session(luo, name);
		if (fds[i] >= 0)
			ok++;
		else
			report(&reported, "retrieve", i, fds[i]);
	}
	luo_require(ok == NR_SESSIONS, "retrieved %d of %d sessions in %ld ms", ok, NR_SESSIONS,
		    lu_now_ms() - t0);

	/* Phase 2: names. */
	ok = check_names();
	luo_check(ok == NR_SESSIONS, "incoming_names_match (%d of %d)", ok, NR_SESSIONS);

	/* Nothing extra came across, and each came across once. */
	session_name(name, NR_SESSIONS);
	ret = luo_retrieve_session(luo, name);
	luo_check(ret == -ENOENT, "no_session_beyond_the_last (%s)", luo_strerror(ret));
	if (ret >= 0)
		close(ret);
	session_name(name, NR_SESSIONS / 2);
	ret = luo_retrieve_session(luo, name);
	luo_check(ret == -EINVAL, "second_retrieve_is_einval (%s)", luo_strerror(ret));
	if (ret >= 0)
		close(ret);

	/* Phase 3: finish every session, then let go of it. */
	t0 = lu_now_ms();
	for (i = 0, ok = 0, reported = 0; i < NR_SESSIONS; i++) {
		ret = luo_finish(fds[i]);
		if (!ret)
			ok++;
		else
			report(&reported, "finish", i, ret);
		close(fds[i]);
	}
	luo_check(ok == NR_SESSIONS, "finished %d of %d sessions in %ld ms", ok, NR_SESSIONS,
		  lu_now_ms() - t0);
	close(luo);
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2);
