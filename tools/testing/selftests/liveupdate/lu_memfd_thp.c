// SPDX-License-Identifier: GPL-2.0
/*
 * lu_memfd_thp: a memfd backed by 2 MiB folios crosses a live update with
 * its folios still huge.
 *
 * Stage 1, with shmem_enabled=always, fills a 4 MiB memfd through a 2 MiB-
 * aligned MAP_SHARED mapping, which must be PMD-mapped (the precondition
 * for the stage-2 check), and preserves it in session "memfd-thp".
 * Stage 2: every page matches through a 2 MiB-aligned mapping, and the
 * retrieved memfd is PMD-mapped again.
 */
#define _GNU_SOURCE
#include "lu_memfd.h"

#define CARRY_READY		"lu_memfd_thp.ready"
#define CARRY_THP_KB		"lu_memfd.thp_kb"
#define S_THP			"memfd-thp"
#define TOK_THP			0x30ULL
#define SEED_THP		0x5eed0030ULL
#define THP_SIZE		(4 * MiB)

static int session;

static void stage1_thp(void)
{
	char *map = MAP_FAILED;
	__u64 blk;
	long kb;
	int fd, ret;
	bool ok;

	ok = set_shmem_thp("always");
	luo_check(ok, "thp: %s set to always (was '%s')", SHMEM_ENABLED, shmem_orig);

	fd = new_memfd("lu_memfd-thp", 0);
	ret = fd < 0 ? fd : sys_ret(ftruncate(fd, THP_SIZE));
	if (!ret) {
		map = map_aligned(fd, THP_SIZE);
		ret = map == MAP_FAILED ? -errno : 0;
	}
	if (!ret)
		for (blk = 0; blk < THP_SIZE / PAGE_SZ; blk++)
			fill_page(map + blk * PAGE_SZ, SEED_THP, blk);

	kb = ret ? -1 : pmd_mapped_kb(map);
	luo_check(kb > 0,
		  "thp: precondition: the 4 MiB memfd is PMD-mapped in stage 1 (FilePmdMapped+ShmemPmdMapped %ld kB of %lu)",
		  kb, THP_SIZE / KiB);
	lu_carry_set(CARRY_THP_KB, "%ld", kb);

	ret = ret ? ret : luo_preserve_fd(session, fd, TOK_THP);
	luo_require(!ret,
		    "thp: 4 MiB memfd filled through a 2 MiB-aligned MAP_SHARED mapping, preserved as token %#llx (%s)",
		    TOK_THP, luo_strerror(ret));
	munmap(map, THP_SIZE);
	close(fd);
	/* Only this memfd is meant to get huge folios: small files would take 2 MiB each. */
	set_shmem_thp("never");
}

static void stage1(void)
{
	int luo;

	ksft_set_plan(6);
	lu_memfd_begin();
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	session = lu_memfd_new_session(luo, S_THP);
	stage1_thp();
	lu_memfd_stage1_hold(luo, CARRY_READY);
	ksft_finished();
}

static void stage2_thp(const char *thp_kb1)
{
	long long size = -1;
	char *map = MAP_FAILED;
	long kb = -1, bad = -1;
	bool ok, cloexec = false;
	__u64 blk;
	int fd;

	ok = set_shmem_thp("always");
	luo_check(ok, "thp: %s set to always (was '%s')", SHMEM_ENABLED, shmem_orig);

	fd = luo_retrieve_fd(session, TOK_THP);
	if (fd >= 0) {
		size = file_size(fd);
		cloexec = fd_is_cloexec(fd);
	}
	luo_check(fd >= 0 && size == (long long)THP_SIZE && cloexec,
		  "thp: retrieve token %#llx (%s): size %lld (want %lu), O_CLOEXEC %s", TOK_THP,
		  luo_strerror(fd), size, THP_SIZE, cloexec ? "yes" : "no");

	if (fd >= 0 && size == (long long)THP_SIZE)
		map = map_aligned(fd, THP_SIZE);
	if (map != MAP_FAILED) {
		/* Reading every page faults the whole mapping in. */
		for (blk = 0, bad = 0; blk < THP_SIZE / PAGE_SZ; blk++) {
			fill_page(want, SEED_THP, blk);
			if (memcmp(map + blk * PAGE_SZ, want, PAGE_SZ) && bad++ < MAX_REPORTS)
				ksft_print_msg("thp: page %llu differs\n", (unsigned long long)blk);
		}
		kb = pmd_mapped_kb(map);
	}
	luo_check(bad == 0,
		  "thp: all %lu pages match through a 2 MiB-aligned MAP_SHARED mapping (%ld differ)",
		  THP_SIZE / PAGE_SZ, bad);
	luo_check(kb > 0,
		  "thp: 2 MiB folios kept: the retrieved memfd is PMD-mapped (FilePmdMapped+ShmemPmdMapped %ld kB of %lu; stage 1: %s kB)",
		  kb, THP_SIZE / KiB, thp_kb1);
	if (map != MAP_FAILED)
		munmap(map, THP_SIZE);
	if (fd >= 0)
		close(fd);
	restore_shmem_thp();
}

static void stage2(void)
{
	char thp_kb1[32] = "?";
	int luo, ret;

	ksft_set_plan(8);
	lu_memfd_begin();
	luo = lu_memfd_stage2_open(CARRY_READY);
	session = lu_memfd_get_session(luo, S_THP);
	lu_carry_get(CARRY_THP_KB, thp_kb1, sizeof(thp_kb1));
	stage2_thp(thp_kb1);
	ret = luo_finish(session);
	luo_check(!ret, "finish '%s' (%s)", S_THP, luo_strerror(ret));
	close(session);
	close(luo);
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2);
