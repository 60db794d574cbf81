// SPDX-License-Identifier: GPL-2.0
/*
 * lu_memfd_unpreserve: what is not kept does not cross, and costs nothing.
 *
 * Stage 1: files that are not anonymous shmem memfds (a tmpfs file,
 * /dev/null, a hugetlb memfd with a 2 MiB page written: hugetlb memfds
 * are not preserved yet, and keep nothing pinned) are refused with ENOENT, in session
 * "memfd-reject", closed right away; closing session "memfd-temp"
 * unpreserves its 64 MiB memfd: its size thaws (ftruncate works again)
 * and, once the memfd is closed, Shmem and MemFree come back to what they
 * were before it. Stage 2: neither session crossed the kexec.
 */
#define _GNU_SOURCE
#include <sys/statfs.h>

#include "lu_memfd.h"

#define CARRY_READY		"lu_memfd_unpreserve.ready"
#define TMPFS_FILE		"/tmp/lu_memfd.regular"
#define TMPFS_MAGIC_NR		0x01021994
#define S_TEMP			"memfd-temp"
#define S_REJECT		"memfd-reject"
#define TOK_TEMP		0x40ULL
#define TOK_REJECT		0x60ULL
#define TEMP_SIZE		(64 * MiB)
#define SHMEM_SLACK_KB		2048L	/* Shmem back after unpreserve */
#define MEMFREE_SLACK_KB	(16 * 1024L)	/* MemFree back after unpreserve */
#define HUGE_NR			"/proc/sys/vm/nr_hugepages"
#define HUGE_SZ			(2 * MiB)

static char zero_page[PAGE_SZ];

/* Preserve a file that is not an anonymous shmem memfd: want -ENOENT. */
static int preserve_other(int session, int fd)
{
	if (session < 0)
		return session;
	if (fd < 0)
		return fd;
	return luo_preserve_fd(session, fd, TOK_REJECT);
}

/* Non-memfd files are refused; a session of their own, closed right away. */
static void stage1_reject(int luo)
{
	struct statfs sfs;
	int s, fd, ret;
	char *map;

	s = luo_create_session(luo, S_REJECT);
	if (s < 0)
		ksft_print_msg("create_session '%s': %s\n", S_REJECT, luo_strerror(s));

	fd = open(TMPFS_FILE, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0 && lu_write_full(fd, zero_page, PAGE_SZ))
		ksft_print_msg("writing %s: %s\n", TMPFS_FILE, strerror(errno));
	ret = preserve_other(s, fd < 0 ? -errno : fd);
	luo_check(ret == -ENOENT, "reject: regular file %s (%s) is ENOENT (%s)", TMPFS_FILE,
		  fd >= 0 && !fstatfs(fd, &sfs) && sfs.f_type == TMPFS_MAGIC_NR ?
		  "tmpfs" : "not tmpfs",
		  luo_strerror(ret));
	if (fd >= 0)
		close(fd);
	unlink(TMPFS_FILE);

	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ret = preserve_other(s, fd < 0 ? -errno : fd);
	luo_check(ret == -ENOENT, "reject: /dev/null is ENOENT (%s)", luo_strerror(ret));
	if (fd >= 0)
		close(fd);

	/*
	 * The guest has hugetlbfs (configs/40-memfd.config) and two 2 MiB
	 * pages in its pool: a hugetlb memfd with one of them written is
	 * refused, and nothing of it is kept (the pool gets its page back).
	 */
	ret = lu_write_file(HUGE_NR, "2") ? 0 : -errno;
	fd = ret ? ret : new_memfd("lu_memfd-hugetlb", MFD_HUGETLB);
	if (fd >= 0 && ftruncate(fd, HUGE_SZ))
		fd = -errno;
	map = fd >= 0 ? mmap(NULL, HUGE_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
	if (map != MAP_FAILED) {
		memset(map, 0x5a, HUGE_SZ);
		munmap(map, HUGE_SZ);
	}
	ret = map == MAP_FAILED ? (fd < 0 ? fd : -errno) : preserve_other(s, fd);
	luo_check(ret == -ENOENT && lu_meminfo_kb("HugePages_Free") == 1,
		  "reject: MFD_HUGETLB memfd with a 2 MiB page written is ENOENT (%s; free huge pages %lld of 2)",
		  luo_strerror(ret), lu_meminfo_kb("HugePages_Free"));
	if (fd >= 0)
		close(fd);
	luo_check(lu_meminfo_kb("HugePages_Free") == 2 && lu_write_file(HUGE_NR, "0") &&
		  lu_meminfo_kb("HugePages_Total") == 0,
		  "its page back in the pool once closed, and the pool emptied");
	/* Closing the session unpreserves anything it took by mistake. */
	if (s >= 0)
		close(s);
}

/* Closing a session unpreserves: the size thaws and the memory comes back. */
static void stage1_unpreserve(int luo)
{
	long shmem0, shmem1, shmem2 = -1, free0, free2 = -1, t0;
	long long size;
	int s, fd, ret;

	shmem0 = lu_meminfo_kb("Shmem");
	free0 = lu_mem_free_kb();
	s = luo_create_session(luo, S_TEMP);
	fd = new_memfd("lu_memfd-temp", 0);
	ret = s < 0 ? s : fd;
	ret = ret < 0 ? ret : write_filler(fd, TEMP_SIZE);
	ret = ret ? ret : luo_preserve_fd(s, fd, TOK_TEMP);
	luo_require(!ret, "unpreserve: %lu MiB memfd preserved in session '%s' (%s)",
		    TEMP_SIZE / MiB, S_TEMP, luo_strerror(ret));
	shmem1 = lu_meminfo_kb("Shmem");

	ret = sys_ret(ftruncate(fd, 2 * TEMP_SIZE));
	luo_check(ret == -EBUSY, "unpreserve: ftruncate to %lu while preserved is EBUSY (%s)",
		  2 * TEMP_SIZE, luo_strerror(ret));

	close(s);
	ret = sys_ret(ftruncate(fd, 2 * TEMP_SIZE));
	size = file_size(fd);
	luo_check(!ret && size == (long long)(2 * TEMP_SIZE),
		  "unpreserve: after closing '%s', ftruncate to %lu works (%s, size %lld)", S_TEMP,
		  2 * TEMP_SIZE, luo_strerror(ret), size);
	close(fd);

	/* The last references may go a little later than close(2): wait a bit. */
	t0 = lu_now_ms();
	do {
		if (shmem2 >= 0)
			sleep_ms(100);
		shmem2 = lu_meminfo_kb("Shmem");
		free2 = lu_mem_free_kb();
	} while ((labs(shmem2 - shmem0) > SHMEM_SLACK_KB || free2 < free0 - MEMFREE_SLACK_KB) &&
		 lu_now_ms() - t0 < SETTLE_MS);
	luo_check(shmem0 >= 0 && shmem1 - shmem0 >= (long)(TEMP_SIZE / KiB) - SHMEM_SLACK_KB &&
		  labs(shmem2 - shmem0) <= SHMEM_SLACK_KB,
		  "unpreserve: Shmem %ld kB before, %ld kB with the memfd, %ld kB after (slack %ld kB)",
		  shmem0, shmem1, shmem2, SHMEM_SLACK_KB);
	luo_check(free0 >= 0 && free2 >= free0 - MEMFREE_SLACK_KB,
		  "unpreserve: free memory %ld kB before, %ld kB after (slack %ld kB)", free0, free2,
		  MEMFREE_SLACK_KB);
}

static void stage1(void)
{
	int luo;

	ksft_set_plan(10);
	lu_memfd_begin();
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	stage1_reject(luo);
	stage1_unpreserve(luo);
	restore_shmem_thp();
	close(luo);
	if (!lu_carry_set(CARRY_READY, "1"))
		ksft_exit_fail_msg("cannot carry %s to stage 2: %s\n", CARRY_READY,
				   strerror(errno));
	ksft_finished();
}

static void stage2(void)
{
	int luo, ret, ret2;

	ksft_set_plan(3);
	luo = lu_memfd_stage2_open(CARRY_READY);
	/* Sessions closed before the kexec took their memfds with them. */
	ret = luo_retrieve_session(luo, S_TEMP);
	ret2 = luo_retrieve_session(luo, S_REJECT);
	luo_check(ret == -ENOENT && ret2 == -ENOENT,
		  "sessions closed in stage 1 did not cross: '%s' %s, '%s' %s (want ENOENT)",
		  S_TEMP, luo_strerror(ret), S_REJECT, luo_strerror(ret2));
	if (ret >= 0)
		close(ret);
	if (ret2 >= 0)
		close(ret2);
	close(luo);
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2);
