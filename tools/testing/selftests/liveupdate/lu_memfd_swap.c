// SPDX-License-Identifier: GPL-2.0
/*
 * lu_memfd_swap: pages of a memfd that were swapped out before
 * PRESERVE_FD cross the live update like the others (they used to come
 * back as zeros: the preserve scan did not see swap entries).
 *
 * Needs real swap: the runner attaches an empty virtio disk (vmtest.sh
 * -D), stage 1 runs busybox mkswap and swapon on it. Stage 1 fills an
 * 8 MiB memfd and a 16 MiB sparse one (a page in four), pushes them out
 * with MADV_PAGEOUT and checks that they really went to swap (SwapFree
 * fell by at least 90 % of their size, and smaps counts every data page
 * of both mappings as swapped), then preserves both; preserving brings
 * them back in (smaps: nothing swapped). Stage 1 runs on one CPU: a new
 * page waits in the per-CPU batch of the CPU that added it until it is
 * drained onto the LRU, MADV_PAGEOUT drains only its own CPU's batch and
 * skips a page that is not on the LRU, so pages written on another CPU
 * would stay in memory.
 * Stage 2 checks every byte, and that the holes are still holes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"

#define SESSION		"swapped"
#define CARRY_READY	"lu_memfd_swap.ready"
#define SWAP_DEV	"/dev/vda"
#define PAGE_SZ		4096L
#define DENSE_SZ	(8L << 20)
#define SPARSE_SZ	(16L << 20)
#define SPARSE_STRIDE	4	/* a page in four holds data */

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif

static unsigned long long splitmix64(unsigned long long x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static bool has_data(int file, long page)
{
	return file == 0 || page % SPARSE_STRIDE == 0;
}

static void fill_page(int file, long page, unsigned long long *w)
{
	for (int i = 0; i < (int)(PAGE_SZ / 8); i++)
		w[i] = has_data(file, page) ?
		       splitmix64(((unsigned long long)file << 40) ^ (page << 9) ^ i) : 0;
}

static int run(const char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * kB of the mapping at @addr that are out on swap (smaps "Swap:", which
 * for shmem is the file's swapped pages in the range): not in the page
 * cache any more, only in swap (or the swap cache).
 */
static long swapped_kb(void *addr)
{
	unsigned long start, end, want = (unsigned long)addr;
	char line[256];
	bool in = false;
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps", "re");

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = start == want;
		else if (in && sscanf(line, "Swap: %ld kB", &kb) == 1)
			break;
	}
	if (f)
		fclose(f);
	return kb;
}

static const long sizes[] = { DENSE_SZ, SPARSE_SZ };
static const char *const names[] = { "dense", "sparse" };

static void stage1(void)
{
	static const char *const mkswap[] = { "/bin/busybox", "mkswap", SWAP_DEV, NULL };
	static const char *const swapon[] = { "/bin/busybox", "swapon", SWAP_DEV, NULL };
	unsigned long long page[PAGE_SZ / 8];
	long swap0, swap1, data_kb = 0;
	int luo, s, fd[2], ret;
	char *map[2];
	cpu_set_t one;
	pid_t pid;

	ksft_set_plan(17);
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	luo_require(!sched_setaffinity(0, sizeof(one), &one), "stage 1 runs on one CPU");
	luo_require(!access(SWAP_DEV, F_OK), "a disk for swap at %s (vmtest.sh -D)", SWAP_DEV);
	luo_require(run(mkswap) == 0 && run(swapon) == 0, "mkswap and swapon %s", SWAP_DEV);
	for (int f = 0; f < 2; f++) {
		fd[f] = memfd_create(names[f], 0);
		luo_require(fd[f] >= 0 && !ftruncate(fd[f], sizes[f]), "%s memfd of %ld MiB",
			    names[f], sizes[f] >> 20);
		for (long p = 0; p < sizes[f] / PAGE_SZ; p++) {
			if (!has_data(f, p))
				continue;
			fill_page(f, p, page);
			if (pwrite(fd[f], page, PAGE_SZ, p * PAGE_SZ) != PAGE_SZ)
				ksft_exit_fail_msg("pwrite: %s\n", strerror(errno));
			data_kb += PAGE_SZ >> 10;
		}
		map[f] = mmap(NULL, sizes[f], PROT_READ, MAP_SHARED, fd[f], 0);
		luo_require(map[f] != MAP_FAILED, "%s mapped", names[f]);
		/* Fault the data pages in, so that MADV_PAGEOUT finds them mapped. */
		for (long p = 0; p < sizes[f] / PAGE_SZ; p++)
			if (has_data(f, p))
				(void)*(volatile char *)(map[f] + p * PAGE_SZ);
	}
	swap0 = lu_meminfo_kb("SwapFree");
	ret = 0;
	for (int f = 0; f < 2 && !ret; f++)
		ret = madvise(map[f], sizes[f], MADV_PAGEOUT) ? -errno : 0;
	swap1 = lu_meminfo_kb("SwapFree");
	luo_check(!ret, "MADV_PAGEOUT (%s)", luo_strerror(ret));
	luo_require(swap0 - swap1 >= data_kb * 9 / 10,
		    "%ld of %ld kB of data went to swap (SwapFree %ld -> %ld kB)",
		    swap0 - swap1, data_kb, swap0, swap1);
	luo_check(swapped_kb(map[0]) == (sizes[0] >> 10) &&
		  swapped_kb(map[1]) == (sizes[1] / SPARSE_STRIDE >> 10),
		  "every data page is out on swap (smaps Swap: dense %ld kB, sparse %ld kB)",
		  swapped_kb(map[0]), swapped_kb(map[1]));

	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	s = luo_create_session(luo, SESSION);
	luo_require(s >= 0, "create_session (%s)", luo_strerror(s));
	for (int f = 0; f < 2; f++) {
		ret = luo_preserve_fd(s, fd[f], f + 1);
		luo_check(!ret, "preserve_fd %s, swapped out (%s)", names[f], luo_strerror(ret));
	}
	luo_check(swapped_kb(map[0]) == 0 && swapped_kb(map[1]) == 0,
		  "preserving read every page back from swap (smaps Swap: %ld kB, %ld kB)",
		  swapped_kb(map[0]), swapped_kb(map[1]));
	for (int f = 0; f < 2; f++) {
		munmap(map[f], sizes[f]);
		close(fd[f]);
	}
	close(luo);
	luo_require(lu_carry_set(CARRY_READY, "1"), "carry to stage 2");
	pid = daemonize_and_hold();
	luo_require(pid > 0, "daemon holds the session (%s)", luo_strerror(pid));
	ksft_finished();
}

static void stage2(void)
{
	unsigned long long page[PAGE_SZ / 8], want[PAGE_SZ / 8];
	char carry[8];
	int luo, s, fd, ret;

	ksft_set_plan(10);
	luo_require(lu_carry_get(CARRY_READY, carry, sizeof(carry)), "stage 1 completed");
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	s = luo_retrieve_session(luo, SESSION);
	luo_require(s >= 0, "retrieve_session (%s)", luo_strerror(s));
	for (int f = 0; f < 2; f++) {
		long bad = -1, zeros = 0, pages = sizes[f] / PAGE_SZ, data = 0;
		struct stat st;

		fd = luo_retrieve_fd(s, f + 1);
		luo_require(fd >= 0, "retrieve_fd %s (%s)", names[f], luo_strerror(fd));
		for (long p = 0; p < pages; p++) {
			fill_page(f, p, want);
			data += has_data(f, p);
			if (pread(fd, page, PAGE_SZ, p * PAGE_SZ) != PAGE_SZ ||
			    memcmp(page, want, PAGE_SZ)) {
				if (bad < 0)
					bad = p;
				for (int i = 0; i < (int)(PAGE_SZ / 8) && has_data(f, p); i++)
					if (page[i])
						goto next;
				zeros++;
			}
next:;
		}
		luo_check(bad < 0, "%s: every page intact (first bad page %ld, %ld data pages read as zeros)",
			  names[f], bad, zeros);
		luo_check(!fstat(fd, &st) && st.st_blocks * 512 == data * PAGE_SZ,
			  "%s: %lld bytes allocated for %ld data pages", names[f],
			  (long long)st.st_blocks * 512, data);
		close(fd);
	}
	ret = luo_finish(s);
	luo_check(!ret, "finish (%s)", luo_strerror(ret));
	close(s);
	close(luo);
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2)
