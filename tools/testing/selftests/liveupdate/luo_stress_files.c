// SPDX-License-Identifier: GPL-2.0
/*
 * luo_stress_files: 100000 files in 10 sessions cross a live update.
 *
 * Stage 1 creates sessions "files-0" .. "files-9" and preserves 10000
 * test files in each, under token (session << 32) | i with value
 * token ^ 0x5a5a. Each test file's fd is closed right after it is
 * preserved: LUO keeps the file, and our fd count stays low. A daemon
 * holds the ten session fds.
 *
 * Stage 2 proves that every one of the 100000 files comes back under its
 * token with its value (each fd closed after reading it), only once, that
 * no session has a token past its last, and that every session can be
 * finished. One TAP line per phase, with counts; the first few failures
 * of a phase are printed as diagnostics.
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

#define NR_SESSIONS		10
#define FILES_PER_SESSION	10000
#define NR_FILES		(NR_SESSIONS * FILES_PER_SESSION)
#define NAME_FMT		"files-%d"
#define VALUE_MASK		0x5a5aULL
#define CARRY_COUNT		"luo_stress_files.count"
#define MAX_REPORTS		5

static int fds[NR_SESSIONS];

static __u64 file_token(int s, int i)
{
	return ((__u64)s << 32) | (__u64)i;
}

static __u64 file_value(int s, int i)
{
	return file_token(s, i) ^ VALUE_MASK;
}

static void session_name(char buf[LUO_NAME_LEN], int s)
{
	snprintf(buf, LUO_NAME_LEN, NAME_FMT, s);
}

static void stage1(void)
{
	char name[LUO_NAME_LEN];
	int luo, s, i, f, ret, preserved = 0;
	long t0;
	pid_t pid;

	ksft_set_plan(6);
	ret = luo_raise_nofile(FILES_PER_SESSION + 64);
	luo_require(!ret, "raise_rlimit_nofile to %d (%s)", FILES_PER_SESSION + 64,
		    luo_strerror(ret));
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	for (s = 0; s < NR_SESSIONS; s++) {
		session_name(name, s);
		fds[s] = luo_create_session(luo, name);
		if (fds[s] < 0) {
			ksft_print_msg("create '%s': %s\n", name, luo_strerror(fds[s]));
			break;
		}
	}
	luo_require(s == NR_SESSIONS, "created %d of %d sessions", s, NR_SESSIONS);

	t0 = lu_now_ms();
	for (s = 0; s < NR_SESSIONS && !ret; s++) {
		for (i = 0; i < FILES_PER_SESSION; i++) {
			f = test_file_create(file_value(s, i));
			ret = f < 0 ? f : luo_preserve_fd(fds[s], f, file_token(s, i));
			if (f >= 0)
				close(f);
			if (ret) {
				ksft_print_msg("file %d of session " NAME_FMT ", token %#llx: %s\n",
					       i, s, (unsigned long long)file_token(s, i),
					       luo_strerror(ret));
				break;
			}
			preserved++;
		}
	}
	luo_require(preserved == NR_FILES, "preserved %d of %d files in %ld ms", preserved,
		    NR_FILES, lu_now_ms() - t0);

	f = test_file_create(0);
	ret = f < 0 ? f : luo_preserve_fd(fds[0], f, file_token(0, 0));
	luo_check(ret == -EEXIST, "tokens_still_unique_eexist (%s)", luo_strerror(ret));
	if (f >= 0)
		close(f);

	close(luo);
	if (!lu_carry_set(CARRY_COUNT, "%d", preserved))
		ksft_exit_fail_msg("cannot carry %s to stage 2: %s\n", CARRY_COUNT,
				   strerror(errno));
	pid = daemonize_and_hold();
	luo_require(pid > 0, "daemon_holds_%d_sessions (%s)", NR_SESSIONS, luo_strerror(pid));
	ksft_finished();
}

static void stage2(void)
{
	char buf[16], name[LUO_NAME_LEN];
	int luo, s, i, f, ret, ok, retrieved = 0, matched = 0, reported = 0;
	int again = 0, beyond = 0;
	__u64 value;
	long t0;

	ksft_set_plan(10);
	luo_require(lu_carry_get(CARRY_COUNT, buf, sizeof(buf)) && atoi(buf) == NR_FILES,
		    "stage1_preserved_%d_files (lu.carry.%s)", NR_FILES, CARRY_COUNT);
	ret = luo_raise_nofile(FILES_PER_SESSION + 64);
	luo_require(!ret, "raise_rlimit_nofile to %d (%s)", FILES_PER_SESSION + 64,
		    luo_strerror(ret));
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));

	for (s = 0, ok = 0; s < NR_SESSIONS; s++) {
		session_name(name, s);
		fds[s] = luo_retrieve_session(luo, name);
		if (fds[s] >= 0)
			ok++;
		else
			ksft_print_msg("retrieve '%s': %s\n", name, luo_strerror(fds[s]));
	}
	luo_require(ok == NR_SESSIONS, "retrieved %d of %d sessions", ok, NR_SESSIONS);
	for (s = 0, ok = 0; s < NR_SESSIONS; s++) {
		session_name(name, s);
		ok += luo_name_is(fds[s], name);
	}
	luo_check(ok == NR_SESSIONS, "session_names_match (%d of %d)", ok, NR_SESSIONS);

	/* Every file, by token; each fd closed once its value is read. */
	t0 = lu_now_ms();
	for (s = 0; s < NR_SESSIONS; s++) {
		for (i = 0; i < FILES_PER_SESSION; i++) {
			value = 0;
			f = luo_retrieve_fd(fds[s], file_token(s, i));
			ret = f < 0 ? f : test_file_value(f, &value);
			if (f >= 0) {
				retrieved++;
				close(f);
			}
			if (!ret && value == file_value(s, i))
				matched++;
			else if (reported++ < MAX_REPORTS)
				ksft_print_msg("token %#llx of " NAME_FMT
					       ": value %#llx, want %#llx (%s)\n",
					       (unsigned long long)file_token(s, i), s,
					       (unsigned long long)value,
					       (unsigned long long)file_value(s, i),
					       luo_strerror(ret));
		}
	}
	luo_check(retrieved == NR_FILES, "retrieved %d of %d files in %ld ms", retrieved, NR_FILES,
		  lu_now_ms() - t0);
	luo_check(matched == NR_FILES, "values_match (%d of %d)", matched, NR_FILES);

	/* Single-shot, and nothing past the last token of a session. */
	for (s = 0; s < NR_SESSIONS; s++) {
		ret = luo_retrieve_fd(fds[s], file_token(s, FILES_PER_SESSION / 2));
		again += ret == -ENOENT;
		if (ret >= 0)
			close(ret);
		ret = luo_retrieve_fd(fds[s], file_token(s, FILES_PER_SESSION));
		beyond += ret == -ENOENT;
		if (ret >= 0)
			close(ret);
	}
	luo_check(again == NR_SESSIONS, "second_retrieve_is_enoent (%d of %d sessions)", again,
		  NR_SESSIONS);
	luo_check(beyond == NR_SESSIONS, "no_token_beyond_the_last (%d of %d sessions)", beyond,
		  NR_SESSIONS);

	t0 = lu_now_ms();
	for (s = 0, ok = 0; s < NR_SESSIONS; s++) {
		ret = luo_finish(fds[s]);
		if (!ret)
			ok++;
		else
			ksft_print_msg("finish " NAME_FMT ": %s\n", s, luo_strerror(ret));
		close(fds[s]);
	}
	luo_check(ok == NR_SESSIONS, "finished %d of %d sessions in %ld ms", ok, NR_SESSIONS,
		  lu_now_ms() - t0);
	close(luo);
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2);
