// SPDX-License-Identifier: GPL-2.0
/*
 * lu_memfd_discard: FINISH gives back what nobody retrieved. Stage 1
 * preserves a 128 MiB memfd in session "memfd-discard"; stage 2 finishes
 * the session without retrieving it, and free memory grows by its size.
 */
#define _GNU_SOURCE
#include "lu_memfd.h"

#define CARRY_READY		"lu_memfd_discard.ready"
#define S_DISCARD		"memfd-discard"
#define TOK_DISCARD		0x50ULL
#define DISCARD_SIZE		(128 * MiB)
#define DISCARD_SLACK_KB	(8 * 1024L)	/* MemFree gained by the discard */

static int session;

static void stage1(void)
{
	int luo, fd, ret;

	ksft_set_plan(4);
	lu_memfd_begin();
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	session = lu_memfd_new_session(luo, S_DISCARD);
	fd = new_memfd("lu_memfd-discard", 0);
	ret = fd < 0 ? fd : write_filler(fd, DISCARD_SIZE);
	ret = ret ? ret : luo_preserve_fd(session, fd, TOK_DISCARD);
	luo_require(!ret, "discard: %lu MiB memfd preserved as token %#llx in '%s' (%s)",
		    DISCARD_SIZE / MiB, TOK_DISCARD, S_DISCARD, luo_strerror(ret));
	close(fd);
	lu_memfd_stage1_hold(luo, CARRY_READY);
	ksft_finished();
}

/* FINISH of "memfd-discard", its memfd never retrieved, frees the memory. */
static void stage2_discard(void)
{
	long free0, free1 = -1, t0;
	int ret;

	free0 = lu_mem_free_kb();
	ret = luo_finish(session);
	luo_check(!ret, "discard: FINISH '%s' with token %#llx never retrieved (%s)", S_DISCARD,
		  TOK_DISCARD, luo_strerror(ret));
	t0 = lu_now_ms();
	do {
		if (free1 >= 0)
			sleep_ms(100);
		free1 = lu_mem_free_kb();
	} while (free1 < free0 + (long)(DISCARD_SIZE / KiB) - DISCARD_SLACK_KB &&
		 lu_now_ms() - t0 < SETTLE_MS);
	luo_check(free0 >= 0 && free1 >= free0 + (long)(DISCARD_SIZE / KiB) - DISCARD_SLACK_KB,
		  "discard: free memory %ld kB before FINISH, %ld kB after (%+ld kB, want >= +%ld kB)",
		  free0, free1, free1 - free0, (long)(DISCARD_SIZE / KiB) - DISCARD_SLACK_KB);
}

static void stage2(void)
{
	int luo;

	ksft_set_plan(5);
	lu_memfd_begin();
	luo = lu_memfd_stage2_open(CARRY_READY);
	session = lu_memfd_get_session(luo, S_DISCARD);
	stage2_discard();
	close(session);
	close(luo);
	restore_shmem_thp();
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2);
