// SPDX-License-Identifier: GPL-2.0
/*
 * lu_memfd_sparse: a sparse memfd crosses a live update without its holes
 * being allocated.
 *
 * Stage 1 preserves, in session "memfd-sparse", a 1 GiB memfd with a page
 * written at every 100th page index, plus two pages written into holes
 * after PRESERVE_FD (pwrite and mmap); its st_blocks is carried.
 * Stage 2: the memfd comes back (O_CLOEXEC) with its size, allocating only
 * the pages that were present (st_blocks), every written page intact and
 * a sample of holes reading as zeros.
 */
#define _GNU_SOURCE
#include "lu_memfd.h"

#define CARRY_READY		"lu_memfd_sparse.ready"
#define CARRY_SPARSE_BLOCKS	"lu_memfd.sparse_blocks"
#define S_SPARSE		"memfd-sparse"
#define TOK_SPARSE		0x20ULL
#define SEED_SPARSE		0x5eed0020ULL
#define SEED_SPARSE_PWRITE	0x5eed0021ULL
#define SEED_SPARSE_MMAP	0x5eed0022ULL

/* The sparse memfd: a page every SPARSE_STRIDE, two more after PRESERVE_FD. */
#define SPARSE_SIZE		(1024 * MiB)
#define SPARSE_PAGES		(SPARSE_SIZE / PAGE_SZ)
#define SPARSE_STRIDE		100
#define SPARSE_NR_STRIDE	((SPARSE_PAGES + SPARSE_STRIDE - 1) / SPARSE_STRIDE)
#define SPARSE_PWRITE_PAGE	150UL
#define SPARSE_MMAP_PAGE	50UL
#define SPARSE_NR_WRITTEN	(SPARSE_NR_STRIDE + 2)
#define SPARSE_HOLE_PHASE	37	/* sampled holes: i * STRIDE + 37 */
#define SPARSE_SLACK_BLOCKS	2048	/* 1 MiB of 512-byte blocks */

static int session;
static char zero_page[PAGE_SZ];

/* The seed of page @blk of the sparse memfd, 0 for a hole. */
static __u64 sparse_seed(__u64 blk)
{
	if (blk == SPARSE_PWRITE_PAGE)
		return SEED_SPARSE_PWRITE;
	if (blk == SPARSE_MMAP_PAGE)
		return SEED_SPARSE_MMAP;
	return blk % SPARSE_STRIDE ? 0 : SEED_SPARSE;
}

static void stage1_sparse(void)
{
	long long blocks;
	__u64 blk;
	char *map;
	int fd, ret;

	fd = new_memfd("lu_memfd-sparse", 0);
	ret = fd < 0 ? fd : sys_ret(ftruncate(fd, SPARSE_SIZE));
	for (blk = 0; !ret && blk < SPARSE_PAGES; blk += SPARSE_STRIDE) {
		fill_page(buf, SEED_SPARSE, blk);
		ret = lu_pwrite_full(fd, buf, PAGE_SZ, blk * PAGE_SZ);
	}
	ret = ret ? ret : luo_preserve_fd(session, fd, TOK_SPARSE);
	luo_require(!ret,
		    "sparse: %lu MiB memfd, %lu pages written (every %dth), preserved as token %#llx (%s)",
		    SPARSE_SIZE / MiB, SPARSE_NR_STRIDE, SPARSE_STRIDE, TOK_SPARSE,
		    luo_strerror(ret));

	/* Into holes after PRESERVE_FD: by pwrite(2) and through a mapping. */
	fill_page(buf, SEED_SPARSE_PWRITE, SPARSE_PWRITE_PAGE);
	ret = lu_pwrite_full(fd, buf, PAGE_SZ, SPARSE_PWRITE_PAGE * PAGE_SZ);
	if (!ret) {
		map = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			   SPARSE_MMAP_PAGE * PAGE_SZ);
		if (map == MAP_FAILED) {
			ret = -errno;
		} else {
			fill_page(map, SEED_SPARSE_MMAP, SPARSE_MMAP_PAGE);
			munmap(map, PAGE_SZ);
		}
	}
	luo_check(!ret,
		  "sparse: hole pages %lu (pwrite) and %lu (mmap) written after PRESERVE_FD (%s)",
		  SPARSE_PWRITE_PAGE, SPARSE_MMAP_PAGE, luo_strerror(ret));

	/* With shmem THP off each written page is one 4 KiB page: 8 blocks. */
	blocks = file_blocks(fd);
	luo_check(blocks >= (long long)SPARSE_NR_WRITTEN * 8 &&
		  blocks <= (long long)SPARSE_NR_WRITTEN * 8 + SPARSE_SLACK_BLOCKS,
		  "sparse: stage-1 st_blocks %lld for %lu written pages (want %lu..%lu)", blocks,
		  SPARSE_NR_WRITTEN, SPARSE_NR_WRITTEN * 8,
		  SPARSE_NR_WRITTEN * 8 + SPARSE_SLACK_BLOCKS);
	if (!lu_carry_set(CARRY_SPARSE_BLOCKS, "%lld", blocks))
		ksft_exit_fail_msg("cannot carry %s: %s\n", CARRY_SPARSE_BLOCKS, strerror(errno));
	close(fd);
}

static void stage1(void)
{
	int luo;

	ksft_set_plan(6);
	lu_memfd_begin();
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	session = lu_memfd_new_session(luo, S_SPARSE);
	stage1_sparse();
	lu_memfd_stage1_hold(luo, CARRY_READY);
	ksft_finished();
}

static void stage2_sparse(long long blocks1)
{
	long long size = -1, blocks = -1;
	int fd, ret, bad = 0, zeros = 0, holes = 0, good = 0;
	bool cloexec = false;
	__u64 blk, seed;

	fd = luo_retrieve_fd(session, TOK_SPARSE);
	if (fd >= 0) {
		size = file_size(fd);
		blocks = file_blocks(fd);
		cloexec = fd_is_cloexec(fd);
	}
	luo_check(fd >= 0 && size == (long long)SPARSE_SIZE && cloexec,
		  "sparse: retrieve token %#llx (%s): size %lld (want %lu), O_CLOEXEC %s",
		  TOK_SPARSE, luo_strerror(fd), size, SPARSE_SIZE, cloexec ? "yes" : "no");
	luo_check(blocks1 >= 0 && blocks >= 0 && blocks <= blocks1 + SPARSE_SLACK_BLOCKS &&
		  blocks < (long long)(SPARSE_SIZE / 512 / 16),
		  "sparse: holes stay holes: st_blocks %lld (stage 1 %lld, slack %d; 1 GiB is %lu)",
		  blocks, blocks1, SPARSE_SLACK_BLOCKS, SPARSE_SIZE / 512);
	luo_check(blocks >= (long long)SPARSE_NR_WRITTEN * 8,
		  "sparse: st_blocks %lld accounts the %lu present pages (want >= %lu)", blocks,
		  SPARSE_NR_WRITTEN, SPARSE_NR_WRITTEN * 8);

	/* Every written page, and a sample of holes (one per stride, and the last page). */
	for (blk = 0; fd >= 0 && blk < SPARSE_PAGES; blk++) {
		seed = sparse_seed(blk);
		if (!seed && blk % SPARSE_STRIDE != SPARSE_HOLE_PHASE && blk != SPARSE_PAGES - 1)
			continue;
		ret = lu_pread_full(fd, buf, PAGE_SZ, blk * PAGE_SZ);
		if (seed) {
			fill_page(want, seed, blk);
			if (!ret && !memcmp(buf, want, PAGE_SZ))
				good++;
			else if (bad++ < MAX_REPORTS)
				ksft_print_msg("sparse: written page %llu differs (%s)\n",
					       (unsigned long long)blk, luo_strerror(ret));
		} else {
			holes++;
			if (!ret && !memcmp(buf, zero_page, PAGE_SZ))
				zeros++;
			else if (holes - zeros <= MAX_REPORTS)
				ksft_print_msg("sparse: hole page %llu is not zeros (%s)\n",
					       (unsigned long long)blk, luo_strerror(ret));
		}
	}
	luo_check(good == (int)SPARSE_NR_WRITTEN,
		  "sparse: %d of %lu written pages match, incl. the 2 written into holes after PRESERVE_FD",
		  good, SPARSE_NR_WRITTEN);
	luo_check(holes > 0 && zeros == holes, "sparse: %d of %d sampled hole pages read as zeros",
		  zeros, holes);
	if (fd >= 0)
		close(fd);
}

static void stage2(void)
{
	char blocks[32];
	int luo, ret;

	ksft_set_plan(9);
	lu_memfd_begin();
	luo = lu_memfd_stage2_open(CARRY_READY);
	session = lu_memfd_get_session(luo, S_SPARSE);
	stage2_sparse(lu_carry_get(CARRY_SPARSE_BLOCKS, blocks, sizeof(blocks)) ? atoll(blocks) : -1);
	ret = luo_finish(session);
	luo_check(!ret, "finish '%s' (%s)", S_SPARSE, luo_strerror(ret));
	close(session);
	close(luo);
	restore_shmem_thp();
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2);
