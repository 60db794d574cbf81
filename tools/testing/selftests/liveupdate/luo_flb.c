// SPDX-License-Identifier: GPL-2.0
/*
 * luo_flb: File-Lifecycle-Bound state (FLB) across a kexec, through the
 * test FLB "luo-test-flb-v1" and its files (test files given "flb";
 * kernel/liveupdate/luo_test_handler.c). Its operations are counted in
 * /sys/kernel/debug/liveupdate_test_flb.
 *
 * Stage 1:
 *   - one FLB file in a session of its own: the FLB is preserved with it
 *     and unpreserved when the session closes; KHO holds what it held;
 *   - with the FLB's preserve set to fail, preserving a file fails with
 *     its error (-EIO), KHO holds what it held, and the same file
 *     preserves afterwards;
 *   - three files in two sessions: the FLB is preserved once.
 * Stage 2 (lu.flb unset):
 *   - the FLB came over; retrieving two files of the first session
 *     retrieves it once, with the value it had; finishing that session
 *     does not finish the FLB (a file of the second session still depends
 *     on it); finishing the second session, its file never retrieved,
 *     does, once.
 * Stage 2 with lu.flb=damaged (stage 1 damaged the FLB state's chain):
 *   - the kernel says "corrupt FLB state" and boots without it; every
 *     FLB file's retrieve fails with -ENOENT, every time; the FLB is
 *     neither retrieved nor finished; both sessions finish.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"

#define MAIN		"flb-main"
#define SECOND		"flb-second"
#define ALONE		"flb-alone"
#define CARRY_READY	"luo_flb.ready"
#define FLB_STATS	"/sys/kernel/debug/liveupdate_test_flb"
#define KHO_PRESERVED	"/sys/kernel/debug/kho/out/preserved"
#define CORRUPT		"/sys/kernel/debug/liveupdate/corrupt"
#define FLB_VALUE	4242ULL

struct flb_stats {
	long long preserve, unpreserve, retrieve, finish, value;
};

static bool flb_stats(struct flb_stats *st)
{
	FILE *f = fopen(FLB_STATS, "re");
	int n = f ? fscanf(f, "preserve %lld unpreserve %lld retrieve %lld finish %lld value %lld",
			   &st->preserve, &st->unpreserve, &st->retrieve, &st->finish,
			   &st->value) : 0;

	if (f)
		fclose(f);
	return n == 5;
}

/* A test file that depends on the test FLB: its fd, or -errno. */
static int flb_file(unsigned long long value)
{
	int fd = test_file_create(value), ret;

	if (fd < 0)
		return fd;
	ret = test_file_cmd(fd, "flb");
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

static void stage1(void)
{
	long long pages0, pages;
	int luo, s, s2, alone, f0, f1, f2, ret;
	struct flb_stats st;
	char mode[32] = "";
	pid_t pid;

	ksft_set_plan(14);
	lu_cmdline_param("lu.flb", mode, sizeof(mode));
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	pages0 = lu_stat_value(KHO_PRESERVED, "pages");
	luo_require(flb_stats(&st) && !st.preserve && pages0 >= 0,
		    "FLB counters and KHO pages (%lld) readable, nothing preserved yet", pages0);

	alone = luo_create_session(luo, ALONE);
	f0 = flb_file(1);
	ret = alone < 0 ? alone : f0 < 0 ? f0 : luo_preserve_fd(alone, f0, 1);
	luo_check(!ret && flb_stats(&st) && st.preserve == 1 &&
		  lu_stat_value(KHO_PRESERVED, "pages") > pages0,
		  "a file alone in a session: the FLB is preserved with it (%s, preserve %lld)",
		  luo_strerror(ret), st.preserve);
	close(alone);
	pages = lu_stat_value(KHO_PRESERVED, "pages");
	luo_check(flb_stats(&st) && st.unpreserve == 1 && pages == pages0,
		  "the session closed: FLB unpreserved (%lld), KHO pages %lld -> %lld",
		  st.unpreserve, pages0, pages);

	s = luo_create_session(luo, MAIN);
	s2 = luo_create_session(luo, SECOND);
	luo_require(s >= 0 && s2 >= 0, "create_session %s and %s", MAIN, SECOND);
	/* The sessions' own entries took pages: count from here. */
	pages0 = lu_stat_value(KHO_PRESERVED, "pages");
	f0 = flb_file(10);
	ret = f0 < 0 ? f0 : test_file_cmd(f0, "flb-value 4242");
	ret = ret ? ret : test_file_cmd(f0, "flb-fail");
	luo_require(!ret, "FLB value %llu, its next preserve set to fail (%s)", FLB_VALUE,
		    luo_strerror(ret));
	ret = luo_preserve_fd(s, f0, 10);
	pages = lu_stat_value(KHO_PRESERVED, "pages");
	luo_check(ret == -EIO && flb_stats(&st) && st.preserve == 1 && pages == pages0,
		  "the FLB's preserve fails: the file's fails with it (%s), KHO pages %lld -> %lld",
		  luo_strerror(ret), pages0, pages);
	ret = luo_preserve_fd(s, f0, 10);
	luo_check(!ret && flb_stats(&st) && st.preserve == 2,
		  "the same file preserves afterwards, with the FLB (%s, preserve %lld)",
		  luo_strerror(ret), st.preserve);
	f1 = flb_file(11);
	ret = f1 < 0 ? f1 : luo_preserve_fd(s, f1, 11);
	f2 = flb_file(12);
	ret = ret ? ret : f2 < 0 ? f2 : luo_preserve_fd(s2, f2, 12);
	luo_check(!ret && flb_stats(&st) && st.preserve == 2,
		  "two more files in two sessions: the FLB is preserved once (%s, preserve %lld)",
		  luo_strerror(ret), st.preserve);
	ret = test_file_set_value(f1, 111);
	luo_check(!ret, "a file's value changed after its preserve (%s)", luo_strerror(ret));

	if (!strcmp(mode, "damaged"))
		luo_check(lu_write_file(CORRUPT, "flb"), "damage the FLB state at serialization");
	else
		luo_check(true, "FLB state left intact");
	close(f0);
	close(f1);
	close(f2);
	close(luo);
	luo_require(lu_carry_set(CARRY_READY, "1"), "carry to stage 2");
	pid = daemonize_and_hold();
	luo_check(pid > 0, "daemon holds the sessions (%s)", luo_strerror(pid));
	ksft_test_result_pass("stage 1 done\n");
	ksft_finished();
}

static void stage2_intact(int luo)
{
	unsigned long long v0 = 0, v1 = 0;
	struct flb_stats st;
	int s, s2, fd0, fd1, ret;
	char *log = lu_klog();

	luo_check(log && strstr(log, "liveupdate: retrieved 1 FLBs"),
		  "the kernel retrieved 1 FLB");
	free(log);
	luo_require(flb_stats(&st) && !st.retrieve && !st.finish,
		  "nothing retrieved before the first open (retrieve %lld)", st.retrieve);
	s = luo_retrieve_session(luo, MAIN);
	luo_require(s >= 0, "retrieve_session %s (%s)", MAIN, luo_strerror(s));
	fd0 = luo_retrieve_fd(s, 10);
	ret = fd0 < 0 ? fd0 : test_file_value(fd0, &v0);
	luo_check(!ret && v0 == 10 && flb_stats(&st) && st.retrieve == 1 &&
		  st.value == FLB_VALUE,
		  "first file retrieved (value %llu): the FLB retrieved with it, value %lld (%s)",
		  v0, st.value, luo_strerror(ret));
	fd1 = luo_retrieve_fd(s, 11);
	ret = fd1 < 0 ? fd1 : test_file_value(fd1, &v1);
	luo_check(!ret && v1 == 111 && flb_stats(&st) && st.retrieve == 1,
		  "second file (value %llu): the FLB is not retrieved again (retrieve %lld)",
		  v1, st.retrieve);
	ret = luo_finish(s);
	luo_check(!ret && flb_stats(&st) && !st.finish,
		  "%s finished: the FLB is not, a file of %s depends on it (%s, finish %lld)",
		  MAIN, SECOND, luo_strerror(ret), st.finish);
	s2 = luo_retrieve_session(luo, SECOND);
	ret = s2 < 0 ? s2 : luo_finish(s2);
	luo_check(!ret && flb_stats(&st) && st.finish == 1 && st.retrieve == 1,
		  "%s finished, its file never retrieved: the FLB finished once (%s, finish %lld)",
		  SECOND, luo_strerror(ret), st.finish);
}

static void stage2_damaged(int luo)
{
	int s, s2, ret, again, ret2;
	struct flb_stats st;
	char *log = lu_klog();

	luo_check(log && strstr(log, "corrupt FLB state (its chain of entries); starting without it"),
		  "the kernel reported the damaged FLB state");
	free(log);
	s = luo_retrieve_session(luo, MAIN);
	s2 = luo_retrieve_session(luo, SECOND);
	luo_require(s >= 0 && s2 >= 0, "both sessions came over (%s, %s)", luo_strerror(s),
		    luo_strerror(s2));
	ret = luo_retrieve_fd(s, 10);
	again = luo_retrieve_fd(s, 10);
	ret2 = luo_retrieve_fd(s2, 12);
	luo_check(ret == -ENOENT && again == -ENOENT && ret2 == -ENOENT,
		  "FLB files cannot be retrieved: %s, again %s, the other %s", luo_strerror(ret),
		  luo_strerror(again), luo_strerror(ret2));
	ret = luo_finish(s);
	ret2 = luo_finish(s2);
	luo_check(!ret && !ret2, "both sessions finish (%s, %s)", luo_strerror(ret),
		  luo_strerror(ret2));
	luo_check(flb_stats(&st) && !st.retrieve && !st.finish,
		  "the FLB was neither retrieved nor finished (retrieve %lld finish %lld)",
		  st.retrieve, st.finish);
}

static void stage2(void)
{
	char carry[8], mode[32] = "";
	int luo;

	lu_cmdline_param("lu.flb", mode, sizeof(mode));
	ksft_set_plan(strcmp(mode, "damaged") ? 9 : 8);
	luo_require(lu_carry_get(CARRY_READY, carry, sizeof(carry)), "stage 1 completed");
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	if (!strcmp(mode, "damaged")) {
		stage2_damaged(luo);
		ksft_test_result_pass("damaged FLB state handled\n");
	} else {
		stage2_intact(luo);
	}
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2)
