// SPDX-License-Identifier: GPL-2.0
/*
 * lu_memfd_placement: a preserved memfd allocates its new folios outside
 * movable-only memory, so the freeze pins them where they are.
 *
 * KHO scratch is movable-only memory (MIGRATE_CMA pageblocks): preserved
 * memory must never lie there, so pinning a folio found there migrates it
 * first. A folio written into a hole after PRESERVE_FD is pinned at the
 * freeze; had it been allocated in scratch, the freeze would have to
 * migrate it while the workload's writers hold it, and a failed migration
 * is -ENOMEM: the kexec is cancelled (seen in a 5-cycle soak).
 *
 * Stage 1 fills memory with anonymous pages until the page allocator
 * serves them from scratch (CmaFree falls by 16 MiB), then:
 * - an unpreserved memfd gets some of its pages in scratch (the setup
 *   works: without this the other checks could not fail);
 * - a memfd preserved with a page in four written gets its holes written:
 *   none of the pages, old or new, lies in scratch;
 * - a memfd preserved and unpreserved (its session closed) gets pages in
 *   scratch again: unpreserve gives the file its allocation mask back.
 * A daemon rewrites the preserved memfd's pages written after the
 * preserve (the same bytes, so that every one is still known) through the
 * kexec, holding them while the freeze pins them.
 * Stage 2 checks every byte of the preserved memfd.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"

#define SESSION		"placement"
#define SESSION_GONE	"placement-unpreserved"
#define CARRY_READY	"lu_memfd_placement.ready"
#define SCRATCH_FILE	"/sys/kernel/debug/kho/out/scratch"
#define PAGE_SZ		4096L
#define FILE_SZ		(16L << 20)
#define NR_PAGES	(FILE_SZ / PAGE_SZ)
#define STRIDE		4		/* a page in four written before PRESERVE_FD */
#define CTL_SZ		(8L << 20)
#define FILL_CHUNK	(4L << 20)
#define FILL_FLOOR_KB	(96LL << 10)	/* never fill below this much free memory */
#define CMA_TAKEN_KB	(16LL << 10)	/* scratch the fill took: the allocator uses it */
#define CMA_LEFT_KB	(64LL << 10)	/* scratch left for the memfds */
#define WRITERS		2
#define TOKEN		1

#define MAX_SCRATCH	64
static struct { uint64_t start, end; } scratch[MAX_SCRATCH];
static int nr_scratch;
static int data_fd;

static unsigned long long splitmix64(unsigned long long x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void fill_page(unsigned long long *w, long page)
{
	for (int i = 0; i < (int)(PAGE_SZ / 8); i++)
		w[i] = splitmix64(((unsigned long long)page << 12) ^ i ^ 0x91acedULL);
}

static bool read_scratch(void)
{
	unsigned long long start, size;
	unsigned int idx;
	FILE *f = fopen(SCRATCH_FILE, "re");

	while (f && nr_scratch < MAX_SCRATCH &&
	       fscanf(f, "%u %llx %llx", &idx, &start, &size) == 3) {
		scratch[nr_scratch].start = start;
		scratch[nr_scratch].end = start + size;
		nr_scratch++;
	}
	if (f)
		fclose(f);
	return nr_scratch > 0;
}

/*
 * How many of the pages [first, first + n) of the mapping at @map lie in
 * scratch (their page frame from /proc/self/pagemap); -1 if one is not
 * present or its frame is hidden.
 */
static long in_scratch(char *map, long first, long n)
{
	int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	long count = 0;

	if (pm < 0)
		return -1;
	for (long p = first; p < first + n; p++) {
		uint64_t e, pa;

		(void)*(volatile char *)(map + p * PAGE_SZ);
		if (pread(pm, &e, sizeof(e), ((uintptr_t)map / PAGE_SZ + p) * sizeof(e)) !=
		    sizeof(e) || !(e >> 63) || !(e & ((1ULL << 55) - 1))) {
			count = -1;
			break;
		}
		pa = (e & ((1ULL << 55) - 1)) * PAGE_SZ;
		for (int i = 0; i < nr_scratch; i++)
			if (pa >= scratch[i].start && pa < scratch[i].end) {
				count++;
				break;
			}
	}
	close(pm);
	return count;
}

/* Write [first, first + n) of @fd with their pattern, every @step-th page. */
static bool write_pages(int fd, long first, long n, long step)
{
	unsigned long long page[PAGE_SZ / 8];

	for (long p = first; p < first + n; p += step) {
		fill_page(page, p);
		if (pwrite(fd, page, PAGE_SZ, p * PAGE_SZ) != PAGE_SZ)
			return false;
	}
	return true;
}

/* The daemon's writers: the holes' new contents again and again. */
static void *writer(void *arg)
{
	unsigned long long page[PAGE_SZ / 8];
	long t = (long)arg;

	for (;;)
		for (long p = t; p < NR_PAGES; p += WRITERS) {
			if (p % STRIDE == 0)
				continue;
			fill_page(page, p);
			if (pwrite(data_fd, page, PAGE_SZ, p * PAGE_SZ) != PAGE_SZ)
				usleep(1000);
		}
	return NULL;
}

static void stage1(void)
{
	long long cma0, cma, free_kb;
	long ctl_in, old_in, new_in, gone_in, filled = 0;
	int luo, s, gone_s, ctl, gone, ret;
	char *map, *ctl_map, *gone_map;
	pthread_t t[WRITERS];
	pid_t pid;

	ksft_set_plan(16);
	luo_require(read_scratch(), "scratch areas in %s", SCRATCH_FILE);
	cma0 = lu_meminfo_kb("CmaFree");
	luo_require(cma0 > CMA_TAKEN_KB + CMA_LEFT_KB,
		    "scratch is movable-only memory (CmaFree %lld kB)", cma0);
	/* Fill until the allocator takes movable allocations from scratch. */
	for (;;) {
		cma = lu_meminfo_kb("CmaFree");
		free_kb = lu_meminfo_kb("MemFree");
		if (cma0 - cma >= CMA_TAKEN_KB || free_kb - FILL_CHUNK / 1024 < FILL_FLOOR_KB)
			break;
		if (mmap(NULL, FILL_CHUNK, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0) == MAP_FAILED)
			break;
		filled += FILL_CHUNK >> 20;
	}
	luo_require(cma0 - cma >= CMA_TAKEN_KB && cma >= CMA_LEFT_KB,
		    "memory filled until allocations come from scratch (%ld MiB filled, MemFree %lld kB, CmaFree %lld -> %lld kB)",
		    filled, free_kb, cma0, cma);

	ctl = memfd_create("control", 0);
	luo_require(ctl >= 0 && !ftruncate(ctl, CTL_SZ) && write_pages(ctl, 0, CTL_SZ / PAGE_SZ, 1),
		    "unpreserved memfd of %ld MiB written", CTL_SZ >> 20);
	ctl_map = mmap(NULL, CTL_SZ, PROT_READ, MAP_SHARED, ctl, 0);
	ctl_in = ctl_map == MAP_FAILED ? -1 : in_scratch(ctl_map, 0, CTL_SZ / PAGE_SZ);
	luo_require(ctl_in > 0, "%ld of %ld pages of an unpreserved memfd are in scratch",
		    ctl_in, CTL_SZ / PAGE_SZ);

	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	s = luo_create_session(luo, SESSION);
	luo_require(s >= 0, "create_session (%s)", luo_strerror(s));
	data_fd = memfd_create("sparse", 0);
	luo_require(data_fd >= 0 && !ftruncate(data_fd, FILE_SZ) &&
		    write_pages(data_fd, 0, NR_PAGES, STRIDE),
		    "memfd of %ld MiB, a page in %d written", FILE_SZ >> 20, STRIDE);
	ret = luo_preserve_fd(s, data_fd, TOKEN);
	luo_require(!ret, "preserve_fd (%s)", luo_strerror(ret));
	for (long p = 0; p < NR_PAGES; p += STRIDE)
		if (!write_pages(data_fd, p + 1, STRIDE - 1, 1))
			break;
	map = mmap(NULL, FILE_SZ, PROT_READ, MAP_SHARED, data_fd, 0);
	luo_require(map != MAP_FAILED, "preserved memfd mapped");
	old_in = 0;
	new_in = 0;
	for (long p = 0; p < NR_PAGES && old_in >= 0 && new_in >= 0; p += STRIDE) {
		long o = in_scratch(map, p, 1), n = in_scratch(map, p + 1, STRIDE - 1);

		old_in = o < 0 ? -1 : old_in + o;
		new_in = n < 0 ? -1 : new_in + n;
	}
	luo_check(old_in == 0, "no page written before PRESERVE_FD is in scratch (%ld)", old_in);
	luo_check(new_in == 0,
		  "no page written into a hole after PRESERVE_FD is in scratch (%ld of %ld)",
		  new_in, NR_PAGES - NR_PAGES / STRIDE);
	munmap(map, FILE_SZ);

	gone_s = luo_create_session(luo, SESSION_GONE);
	gone = memfd_create("unpreserved", 0);
	ret = gone_s < 0 ? gone_s : gone < 0 || ftruncate(gone, CTL_SZ) ? -errno :
	      luo_preserve_fd(gone_s, gone, TOKEN);
	luo_require(!ret, "a second memfd preserved in session '%s' (%s)", SESSION_GONE,
		    luo_strerror(ret));
	close(gone_s);
	gone_map = mmap(NULL, CTL_SZ, PROT_READ, MAP_SHARED, gone, 0);
	gone_in = !write_pages(gone, 0, CTL_SZ / PAGE_SZ, 1) || gone_map == MAP_FAILED ? -1 :
		  in_scratch(gone_map, 0, CTL_SZ / PAGE_SZ);
	luo_check(gone_in > 0,
		  "unpreserved (session closed), it allocates in scratch again: %ld of %ld pages",
		  gone_in, CTL_SZ / PAGE_SZ);
	munmap(gone_map, CTL_SZ);
	munmap(ctl_map, CTL_SZ);
	close(gone);
	close(ctl);

	close(luo);
	luo_require(lu_carry_set(CARRY_READY, "1"), "carry to stage 2");
	pid = daemonize();
	if (pid == 0) {
		for (long i = 0; i < WRITERS; i++)
			pthread_create(&t[i], NULL, writer, (void *)i);
		for (;;)
			pause();
	}
	luo_check(pid > 0, "daemon rewrites the new pages through the kexec (%s)",
		  luo_strerror(pid));
	ksft_finished();
}

static void stage2(void)
{
	unsigned long long got[PAGE_SZ / 8], want[PAGE_SZ / 8];
	long bad = 0, first_bad = -1;
	char carry[8];
	struct stat st;
	int luo, s, fd, ret;

	ksft_set_plan(6);
	luo_require(lu_carry_get(CARRY_READY, carry, sizeof(carry)), "stage 1 completed");
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	s = luo_retrieve_session(luo, SESSION);
	luo_require(s >= 0, "retrieve_session (%s)", luo_strerror(s));
	fd = luo_retrieve_fd(s, TOKEN);
	luo_require(fd >= 0, "retrieve_fd (%s)", luo_strerror(fd));
	for (long p = 0; p < NR_PAGES; p++) {
		fill_page(want, p);
		if (pread(fd, got, PAGE_SZ, p * PAGE_SZ) != PAGE_SZ || memcmp(got, want, PAGE_SZ)) {
			if (first_bad < 0)
				first_bad = p;
			bad++;
		}
	}
	luo_check(!bad && !fstat(fd, &st) && st.st_size == FILE_SZ &&
		  st.st_blocks * 512 == FILE_SZ,
		  "every byte of %ld pages intact, all allocated (%ld bad, first %ld)",
		  NR_PAGES, bad, first_bad);
	close(fd);
	ret = luo_finish(s);
	luo_check(!ret, "finish (%s)", luo_strerror(ret));
	close(s);
	close(luo);
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2)
