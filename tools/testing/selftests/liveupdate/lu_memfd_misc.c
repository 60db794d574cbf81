// SPDX-License-Identifier: GPL-2.0
/*
 * lu_memfd_misc: two memfd rules that need a setup of their own, picked by
 * lu.memfd=MODE on the kernel command line.
 *
 *   memcg          a retrieved memfd is charged to the memory cgroup of the
 *                  task that retrieves it: memory.current of a fresh cgroup
 *                  grows by the memfd's size; a retrieve that hits the
 *                  cgroup's memory.max fails with ENOMEM, charges nothing
 *                  and destroys nothing: the same retrieve succeeds once
 *                  the limit is raised
 *   corrupt=WHAT   a memfd whose folio records were damaged at freeze (a
 *                  LIVEUPDATE_TEST hook: "index", "index-wrap", "order",
 *                  "order-huge" or "pfn") fails to
 *                  retrieve with EINVAL and its memory is freed, while the
 *                  other memfd of the session comes back intact
 *   A+B+...        a chain of those in one guest (lu.stages = 1 + the
 *                  number of modes): stage N retrieves what stage N-1
 *                  preserved under mode N-1, then preserves under mode N
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"

#define SESSION		"memfd-misc-%d"	/* the stage that preserved it */
#define BIG		(128UL << 20)
#define SMALL		(1UL << 20)
#define CG		"/sys/fs/cgroup"

#define MAX_MODES	8

static char modes[256], *chain[MAX_MODES], *mode;
static int nr_modes;
static char session[LUO_NAME_LEN];

static uint64_t word(unsigned long i, uint64_t seed)
{
	return (i * 0x9e3779b97f4a7c15ULL) ^ seed;
}

static int make_memfd(unsigned long size, uint64_t seed)
{
	int fd = memfd_create("misc", 0);
	uint64_t *map;

	if (fd < 0 || ftruncate(fd, size))
		return -errno;
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	for (unsigned long i = 0; i < size / 8; i++)
		map[i] = word(i, seed);
	munmap(map, size);
	return fd;
}

static bool memfd_ok(int fd, unsigned long size, uint64_t seed)
{
	struct stat st;
	uint64_t *map;
	bool ok = true;

	if (fstat(fd, &st) || (unsigned long)st.st_size != size)
		return false;
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return false;
	for (unsigned long i = 0; i < size / 8 && ok; i++)
		ok = map[i] == word(i, seed);
	munmap(map, size);
	return ok;
}

static long long read_number(const char *path)
{
	long long val = -1;
	FILE *f = fopen(path, "re");

	if (f) {
		if (fscanf(f, "%lld", &val) != 1)
			val = -1;
		fclose(f);
	}
	return val;
}

static int preserve_plan(void)
{
	return strncmp(mode, "corrupt=", 8) ? 5 : 6;
}

/* Preserve a session of two memfds under @mode for the next stage. */
static void preserve(int stage)
{
	bool corrupt = !strncmp(mode, "corrupt=", 8);
	int luo, s, big, small;

	ksft_print_msg("stage %d preserves under mode %s\n", stage, mode);
	luo = luo_open_device();
	luo_require(luo >= 0, "open /dev/liveupdate (%s)", strerror(-luo));
	snprintf(session, sizeof(session), SESSION, stage);
	s = luo_create_session(luo, session);
	luo_require(s >= 0, "create session %s", session);
	big = make_memfd(BIG, 1);
	small = make_memfd(SMALL, 2);
	luo_require(big >= 0 && small >= 0, "two memfds filled (128 MiB, 1 MiB)");
	/* The damage hits the first memfd frozen: the big one, preserved first. */
	luo_require(!luo_preserve_fd(s, big, 1) && !luo_preserve_fd(s, small, 2),
		    "both preserved (tokens 1 and 2)");
	if (corrupt)
		luo_require(lu_write_file("/sys/kernel/debug/memfd_luo/corrupt", mode + 8),
			    "asked to damage a record (%s)", mode + 8);
	close(big);
	close(small);
	close(luo);
	luo_require(daemonize_and_hold() >= 0, "daemon holds the session");
}

static void stage2_memcg(int s)
{
	long long before, after;
	char pid[16];
	int fd;

	mkdir(CG, 0755);
	luo_require(!mount("cgroup2", CG, "cgroup2", 0, NULL) || errno == EBUSY,
		    "cgroup2 mounted (%s)", strerror(errno));
	luo_require(lu_write_file(CG "/cgroup.subtree_control", "+memory"),
		    "memory controller enabled (%s)", strerror(errno));
	mkdir(CG "/lu-retrieve", 0755);
	snprintf(pid, sizeof(pid), "%d", getpid());
	luo_require(lu_write_file(CG "/lu-retrieve/cgroup.procs", pid), "moved into lu-retrieve");
	before = read_number(CG "/lu-retrieve/memory.current");
	luo_require(lu_write_file(CG "/lu-retrieve/memory.max", "33554432"),
		    "memory.max 32 MiB, below the 128 MiB memfd");
	fd = luo_retrieve_fd(s, 1);
	after = read_number(CG "/lu-retrieve/memory.current");
	luo_check(fd == -ENOMEM, "retrieve over the limit fails with ENOMEM (%s)",
		  luo_strerror(fd));
	luo_check(after - before < (1 << 20),
		  "and leaves nothing charged: memory.current %lld -> %lld bytes", before, after);
	if (fd >= 0)
		close(fd);
	lu_write_file(CG "/lu-retrieve/memory.max", "max");
	before = read_number(CG "/lu-retrieve/memory.current");
	fd = luo_retrieve_fd(s, 1);
	after = read_number(CG "/lu-retrieve/memory.current");
	luo_check(fd >= 0 && memfd_ok(fd, BIG, 1),
		  "with the limit raised, the same retrieve succeeds: 128 MiB intact");
	luo_check(after - before >= (long long)BIG - (1 << 20),
		  "charged to the retrieving task's cgroup: memory.current %lld -> %lld bytes",
		  before, after);
	fd = luo_retrieve_fd(s, 2);
	luo_check(fd >= 0 && memfd_ok(fd, SMALL, 2), "1 MiB memfd retrieved intact");
}

#define KHO_IN_STATUS	"/sys/kernel/debug/kho/in/status"

static void stage2_corrupt(int s)
{
	long long before, after, kho_before, kho_after;
	char *klog;
	int fd;

	before = lu_mem_free_kb();
	kho_before = lu_stat_value(KHO_IN_STATUS, "unrestored_pages");
	fd = luo_retrieve_fd(s, 1);
	kho_after = lu_stat_value(KHO_IN_STATUS, "unrestored_pages");
	after = lu_mem_free_kb();
	luo_check(fd == -EINVAL, "damaged memfd (%s) fails to retrieve with EINVAL (%s)",
		  mode + 8, strerror(-fd));
	klog = lu_klog();
	luo_check(klog && strstr(klog, "malformed folio records"), "the kernel says why");
	free(klog);
	/*
	 * Exact: every folio left the reserved state (but the one with a bad
	 * pfn, which is not preserved memory); and free memory grew by the
	 * memfd's size, within a small slack.
	 */
	luo_check(kho_before - kho_after >= (long long)(BIG / 4096) - 1,
		  "its folios were claimed: unrestored pages %lld -> %lld", kho_before, kho_after);
	luo_check(after - before >= (long long)(BIG >> 10) - 4096,
		  "its memory was freed: free %lld -> %lld kB", before, after);
	fd = luo_retrieve_fd(s, 2);
	luo_check(fd >= 0 && memfd_ok(fd, SMALL, 2), "the other memfd comes back intact");
	luo_check(luo_retrieve_fd(s, 1) == -EINVAL, "a failed retrieve stays failed");
}

static int retrieve_plan(void)
{
	return strcmp(mode, "memcg") ? 9 : 12;
}

/*
 * Retrieve what the previous stage preserved under @mode, check it, finish.
 * Closing /dev/liveupdate lets this stage preserve in turn.
 */
static void retrieve(int stage)
{
	int luo, s;

	ksft_print_msg("stage %d retrieves what mode %s preserved\n", stage, mode);
	luo = luo_open_device();
	luo_require(luo >= 0, "open /dev/liveupdate (%s)", strerror(-luo));
	snprintf(session, sizeof(session), SESSION, stage - 1);
	s = luo_retrieve_session(luo, session);
	luo_require(s >= 0, "retrieve session %s (%s)", session, strerror(-s));
	if (!strcmp(mode, "memcg"))
		stage2_memcg(s);
	else
		stage2_corrupt(s);
	luo_check(!luo_finish(s), "finish");
	close(s);
	close(luo);
}

int main(int argc, char **argv)
{
	int stage = lu_stage(argc, argv), plan = 0;

	ksft_print_header();
	lu_cmdline_param("lu.memfd", modes, sizeof(modes));
	nr_modes = lu_chain_split(modes, chain, MAX_MODES);
	for (int i = 0; i < nr_modes; i++)
		if (strcmp(chain[i], "memcg") && strncmp(chain[i], "corrupt=", 8))
			nr_modes = 0;
	if (!nr_modes)
		ksft_exit_fail_msg("lu.memfd=MODE[+MODE...] is required, each memcg or corrupt=index|index-wrap|order|order-huge|pfn\n");
	if (stage > nr_modes + 1)
		luo_no_more_stages(stage);
	/* Stage N: mode N-1's retrieve, then mode N's preserve. */
	if (stage > 1) {
		mode = chain[stage - 2];
		plan += retrieve_plan();
	}
	if (stage <= nr_modes) {
		mode = chain[stage - 1];
		plan += preserve_plan();
	}
	ksft_set_plan(plan);
	if (stage > 1) {
		mode = chain[stage - 2];
		retrieve(stage);
	}
	if (stage <= nr_modes) {
		mode = chain[stage - 1];
		preserve(stage);
	}
	ksft_finished();
	return 0;
}
