// SPDX-License-Identifier: GPL-2.0
/*
 * lu_memfd: memfds cross a live update ("memfd-v3") with their contents,
 * holes, size, file position, seals and large folios, and preserved
 * memory is given back when it is not kept.
 *
 * Every page's contents are generated from a per-file seed and the page
 * index (xorshift64), so stage 2 regenerates what stage 1 wrote instead of
 * carrying it; only a few numbers go on the command line.
 *
 * Stage 1 (cold boot) preserves:
 *   "memfd-data"     a 1 page, a 1 MiB and a 256 MiB memfd of seeded data
 *                    (written 1 MiB per write(2)), and a 64 KiB
 *                    MFD_ALLOW_SEALING memfd sealed F_SEAL_SHRINK |
 *                    F_SEAL_GROW. After PRESERVE_FD the 1 MiB memfd gets one
 *                    page rewritten by write(2) (at 512 KiB), one by pwrite(2)
 *                    (at 0) and one through a MAP_SHARED mapping (the last),
 *                    each from its own seed, and its position set to 12345;
 *                    meanwhile its size is frozen: ftruncate(), fallocate()
 *                    past EOF, pwrite() at EOF and write() at EOF are EBUSY
 *                    and the size stays 1 MiB;
 *   "memfd-sparse"   a 1 GiB memfd with a page written at every 100th page
 *                    index, plus two pages written into holes after
 *                    PRESERVE_FD (pwrite and mmap); its st_blocks is carried;
 *   "memfd-thp"      with shmem_enabled=always, a 4 MiB memfd filled through
 *                    a 2 MiB-aligned MAP_SHARED mapping, which must be
 *                    PMD-mapped (the precondition for the stage-2 check);
 *   "memfd-many-0..3" 1000 memfds of 4..64 KiB, each closed once preserved;
 *   "memfd-discard"  a 128 MiB memfd, left for stage 2 not to retrieve.
 * It also proves that non-memfd files (a tmpfs file, /dev/null, a hugetlb
 * memfd) are refused with ENOENT, and that closing a session unpreserves a
 * 64 MiB memfd: its size thaws (ftruncate works again) and, once the memfd
 * is closed, Shmem and MemFree come back to what they were before it.
 * Then a daemon holds the session fds across the kexec.
 *
 * Stage 2 (after the kexec) proves that every memfd comes back (O_CLOEXEC)
 * with its size, position, seals and every page, including the ones
 * written after PRESERVE_FD; that the sparse memfd allocates only the pages
 * that were present (st_blocks) and its holes read as zeros; that the THP
 * memfd is still backed by 2 MiB folios (PMD-mapped again); that all 1000
 * small memfds are intact; that FINISH of "memfd-discard", whose memfd was
 * never retrieved, frees its 128 MiB (MemFree); that every session
 * finishes, that the sessions closed in stage 1 did not cross, and that
 * the seals still hold afterwards.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"

#define PAGE_SZ			4096UL
#define KiB			1024UL
#define MiB			(1024UL * KiB)
#define PMD_SZ			(2 * MiB)
#define CHUNK			MiB		/* one write(2) / pread(2) */
#define MAX_REPORTS		5		/* diagnostics per check */

#define SHMEM_ENABLED		"/sys/kernel/mm/transparent_hugepage/shmem_enabled"
#define STAT_REFRESH		"/proc/sys/vm/stat_refresh"
#define TMPFS_FILE		"/tmp/lu_memfd.regular"
#define TMPFS_MAGIC_NR		0x01021994

#define CARRY_READY		"lu_memfd.ready"
#define CARRY_SPARSE_BLOCKS	"lu_memfd.sparse_blocks"
#define CARRY_THP_KB		"lu_memfd.thp_kb"

/* Sessions: every one but "memfd-temp" and "memfd-reject" crosses the kexec. */
#define S_DATA			"memfd-data"
#define S_SPARSE		"memfd-sparse"
#define S_THP			"memfd-thp"
#define S_DISCARD		"memfd-discard"
#define S_MANY_FMT		"memfd-many-%d"
#define S_TEMP			"memfd-temp"
#define S_REJECT		"memfd-reject"
#define NR_MANY_SESSIONS	4
enum {
	SI_DATA, SI_SPARSE, SI_THP, SI_DISCARD, SI_MANY0,
	NR_SESSIONS = SI_MANY0 + NR_MANY_SESSIONS
};

/* Tokens. */
#define TOK_PAGE		0x10ULL
#define TOK_1M			0x11ULL
#define TOK_256M		0x12ULL
#define TOK_SEALED		0x13ULL
#define TOK_SPARSE		0x20ULL
#define TOK_THP			0x30ULL
#define TOK_TEMP		0x40ULL
#define TOK_DISCARD		0x50ULL
#define TOK_REJECT		0x60ULL
#define TOK_MANY(i)		(0x1000ULL + (i))

/* Seeds. */
#define SEED_PAGE		0x5eed0001ULL
#define SEED_1M			0x5eed0002ULL
#define SEED_256M		0x5eed0003ULL
#define SEED_SEALED		0x5eed0004ULL
#define SEED_1M_WRITE		0x5eed0011ULL	/* write(2) after PRESERVE_FD */
#define SEED_1M_PWRITE		0x5eed0012ULL	/* pwrite(2) after PRESERVE_FD */
#define SEED_1M_MMAP		0x5eed0013ULL	/* mmap store after PRESERVE_FD */
#define SEED_SPARSE		0x5eed0020ULL
#define SEED_SPARSE_PWRITE	0x5eed0021ULL
#define SEED_SPARSE_MMAP	0x5eed0022ULL
#define SEED_THP		0x5eed0030ULL
#define SEED_FILLER		0x5eed0040ULL	/* "memfd-temp", "memfd-discard" */
#define SEED_MANY(i)		(0x5eed1000ULL + (i))

/* The 1 MiB memfd's pages rewritten after PRESERVE_FD. */
#define M1_SIZE			MiB
#define M1_WRITE_OFF		(512 * KiB)
#define M1_PWRITE_OFF		0UL
#define M1_MMAP_OFF		(M1_SIZE - PAGE_SZ)
#define M1_POS			12345

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

#define THP_SIZE		(4 * MiB)
#define TEMP_SIZE		(64 * MiB)
#define DISCARD_SIZE		(128 * MiB)
#define NR_MANY			1000
#define MANY_SIZE(i)		(PAGE_SZ * (1 + (i) % 16))

#define SHMEM_SLACK_KB		2048L	/* Shmem back after unpreserve */
#define MEMFREE_SLACK_KB	(16 * 1024L)	/* MemFree back after unpreserve */
#define DISCARD_SLACK_KB	(8 * 1024L)	/* MemFree gained by the discard */
#define SETTLE_MS		5000	/* wait this long for memory to come back */

struct data_file {
	const char *name;
	__u64 token;
	size_t size;
	__u64 seed;
	unsigned int mfd_flags;
	long long pos;		/* file position at the kexec */
	int seals;		/* F_GET_SEALS at the kexec */
};

static const struct data_file data_files[] = {
	{ "1-page",  TOK_PAGE,   PAGE_SZ,   SEED_PAGE,   0, PAGE_SZ,   F_SEAL_SEAL },
	{ "1MiB",    TOK_1M,     M1_SIZE,   SEED_1M,     0, M1_POS,    F_SEAL_SEAL },
	{ "256MiB",  TOK_256M,   256 * MiB, SEED_256M,   0, 256 * MiB, F_SEAL_SEAL },
	{ "sealed",  TOK_SEALED, 64 * KiB,  SEED_SEALED, MFD_ALLOW_SEALING, 64 * KiB,
	  F_SEAL_SHRINK | F_SEAL_GROW },
};

#define NR_DATA		((int)ARRAY_SIZE(data_files))
enum { DF_PAGE, DF_1M, DF_256M, DF_SEALED };

static int sessions[NR_SESSIONS];
static char *buf, *want;	/* CHUNK bytes each */
static char zero_page[PAGE_SZ];
static char shmem_orig[32];	/* shmem_enabled when the stage began */

static const char *session_name(int i)
{
	static char name[LUO_NAME_LEN];

	switch (i) {
	case SI_DATA:
		return S_DATA;
	case SI_SPARSE:
		return S_SPARSE;
	case SI_THP:
		return S_THP;
	case SI_DISCARD:
		return S_DISCARD;
	}
	snprintf(name, sizeof(name), S_MANY_FMT, i - SI_MANY0);
	return name;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static __u64 splitmix64(__u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Page @blk of a file filled from @seed: 512 words of xorshift64. */
static void fill_page(void *dst, __u64 seed, __u64 blk)
{
	__u64 *p = dst, x = splitmix64(seed ^ splitmix64(blk));
	unsigned int i;

	if (!x)
		x = 1;
	for (i = 0; i < PAGE_SZ / sizeof(*p); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = x;
	}
}

/* @len bytes (whole pages) of @seed's data for the pages from @blk on. */
static void fill_pages(char *dst, __u64 seed, __u64 blk, size_t len)
{
	size_t off;

	for (off = 0; off < len; off += PAGE_SZ)
		fill_page(dst + off, seed, blk + off / PAGE_SZ);
}

/* The seed of page @blk of @df at the kexec (the 1 MiB memfd has patches). */
static __u64 page_seed(const struct data_file *df, __u64 blk)
{
	if (df->token == TOK_1M) {
		if (blk == M1_WRITE_OFF / PAGE_SZ)
			return SEED_1M_WRITE;
		if (blk == M1_PWRITE_OFF / PAGE_SZ)
			return SEED_1M_PWRITE;
		if (blk == M1_MMAP_OFF / PAGE_SZ)
			return SEED_1M_MMAP;
	}
	return df->seed;
}

/* The seed of page @blk of the sparse memfd, 0 for a hole. */
static __u64 sparse_seed(__u64 blk)
{
	if (blk == SPARSE_PWRITE_PAGE)
		return SEED_SPARSE_PWRITE;
	if (blk == SPARSE_MMAP_PAGE)
		return SEED_SPARSE_MMAP;
	return blk % SPARSE_STRIDE ? 0 : SEED_SPARSE;
}

static int write_full(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0)
			return -errno;
		if (!n)
			return -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

static int pwrite_full(int fd, const char *p, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0)
			return -errno;
		if (!n)
			return -EIO;
		p += n;
		len -= n;
		off += n;
	}
	return 0;
}

/* pread(2) all of @len (the file position does not move); -ENODATA at EOF. */
static int pread_full(int fd, char *p, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pread(fd, p, len, off);

		if (n < 0)
			return -errno;
		if (!n)
			return -ENODATA;
		p += n;
		len -= n;
		off += n;
	}
	return 0;
}

/* Write @df's pages at the file position, CHUNK bytes per write(2). */
static int write_data(int fd, const struct data_file *df)
{
	size_t off, n;
	int ret;

	for (off = 0; off < df->size; off += n) {
		n = df->size - off < CHUNK ? df->size - off : CHUNK;
		fill_pages(buf, df->seed, off / PAGE_SZ, n);
		ret = write_full(fd, buf, n);
		if (ret)
			return ret;
	}
	return 0;
}

/* Fill @len bytes with the same seeded CHUNK over and over: content does not matter. */
static int write_filler(int fd, size_t len)
{
	size_t off;
	int ret;

	fill_pages(buf, SEED_FILLER, 0, CHUNK);
	for (off = 0; off < len; off += CHUNK) {
		ret = write_full(fd, buf, CHUNK);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Pages of @fd that are not @df's at the kexec, read with pread(2) (the
 * file position stays); -errno when reading fails.
 */
static long count_bad_pages(int fd, const struct data_file *df)
{
	size_t off, n, k;
	long bad = 0;
	int ret;

	for (off = 0; off < df->size; off += n) {
		n = df->size - off < CHUNK ? df->size - off : CHUNK;
		ret = pread_full(fd, buf, n, off);
		if (ret) {
			ksft_print_msg("%s: pread %zu bytes at %zu: %s\n", df->name, n, off,
				       luo_strerror(ret));
			return ret;
		}
		for (k = 0; k < n; k += PAGE_SZ) {
			__u64 blk = (off + k) / PAGE_SZ;

			fill_page(want, page_seed(df, blk), blk);
			if (!memcmp(buf + k, want, PAGE_SZ))
				continue;
			if (bad++ < MAX_REPORTS)
				ksft_print_msg("%s: page %llu (offset %#llx) differs\n", df->name,
					       (unsigned long long)blk,
					       (unsigned long long)blk * PAGE_SZ);
		}
	}
	return bad;
}

static int new_memfd(const char *name, unsigned int flags)
{
	int fd = memfd_create(name, MFD_CLOEXEC | flags);

	return fd < 0 ? -errno : fd;
}

/* 0 when the call succeeded, else -errno. */
static int sys_ret(long ret)
{
	return ret < 0 ? -errno : 0;
}

static long long file_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? -errno : (long long)st.st_size;
}

static long long file_blocks(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? -errno : (long long)st.st_blocks;
}

static long meminfo_kb(const char *key)
{
	int fd = open(STAT_REFRESH, O_WRONLY | O_CLOEXEC);

	/*
	 * Fold the per-cpu counter deltas in first, so small slacks hold; this
	 * also trims the per-cpu free page lists, which MemFree leaves out.
	 */
	if (fd >= 0) {
		ssize_t n = write(fd, "1", 1);

		(void)n;
		close(fd);
	}
	return lu_stat_value("/proc/meminfo", key);
}

/* The selected word of @path ("always [never] ...") into @out, or "". */
static void read_selected(const char *path, char *out, size_t len)
{
	char line[256], *l, *r;
	FILE *f = fopen(path, "re");

	out[0] = '\0';
	if (!f)
		return;
	if (fgets(line, sizeof(line), f)) {
		l = strchr(line, '[');
		r = l ? strchr(l, ']') : NULL;
		if (l && r)
			snprintf(out, len, "%.*s", (int)(r - l - 1), l + 1);
	}
	fclose(f);
}

static bool set_shmem_thp(const char *mode)
{
	return lu_write_file(SHMEM_ENABLED, mode);
}

/* Put shmem_enabled back to what it was when the stage began. */
static void restore_shmem_thp(void)
{
	if (shmem_orig[0] && !set_shmem_thp(shmem_orig))
		ksft_print_msg("cannot restore %s to '%s': %s\n", SHMEM_ENABLED, shmem_orig,
			       strerror(errno));
}

/* Map @size bytes of @fd MAP_SHARED at a 2 MiB-aligned address. */
static char *map_aligned(int fd, size_t size)
{
	size_t span = size + PMD_SZ;
	char *res, *p;
	int err;

	res = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		return MAP_FAILED;
	p = (char *)(((unsigned long)res + PMD_SZ - 1) & ~(PMD_SZ - 1));
	if (mmap(p, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED) {
		err = errno;
		munmap(res, span);
		errno = err;
		return MAP_FAILED;
	}
	if (p > res)
		munmap(res, p - res);
	if (p + size < res + span)
		munmap(p + size, res + span - (p + size));
	return p;
}

/*
 * kB of the mapping at @addr mapped by PMDs, from /proc/self/smaps: 6.12
 * counts shmem in ShmemPmdMapped, other kernels in FilePmdMapped; take
 * either. -1 when the mapping is not found.
 */
static long pmd_mapped_kb(const void *addr)
{
	unsigned long start, end;
	char line[512], perms[8];
	bool in = false;
	long kb = -1, v;
	FILE *f = fopen("/proc/self/smaps", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) == 3) {
			in = start == (unsigned long)addr;
			if (in)
				kb = 0;
			continue;
		}
		if (in && (sscanf(line, "FilePmdMapped: %ld", &v) == 1 ||
			   sscanf(line, "ShmemPmdMapped: %ld", &v) == 1))
			kb += v;
	}
	fclose(f);
	return kb;
}

/* Preserve a file that is not an anonymous shmem memfd: want -ENOENT. */
static int preserve_other(int session, int fd)
{
	if (session < 0)
		return session;
	if (fd < 0)
		return fd;
	return luo_preserve_fd(session, fd, TOK_REJECT);
}

/* The 1 MiB memfd after PRESERVE_FD: rewrites, frozen size, mmap, position. */
static void stage1_after_preserve(int fd)
{
	long long size;
	char *map;
	int ret, ret2;

	/* write(2) into a present page, at the file position. */
	fill_page(buf, SEED_1M_WRITE, M1_WRITE_OFF / PAGE_SZ);
	ret = sys_ret(lseek(fd, M1_WRITE_OFF, SEEK_SET));
	ret = ret ? ret : write_full(fd, buf, PAGE_SZ);
	luo_check(!ret, "1MiB: write(2) of 4 KiB at %lu KiB after PRESERVE_FD (%s)",
		  M1_WRITE_OFF / KiB, luo_strerror(ret));

	/* The size is frozen. */
	ret = sys_ret(ftruncate(fd, 2 * M1_SIZE));
	luo_check(ret == -EBUSY, "1MiB: ftruncate to %lu while preserved is EBUSY (%s)",
		  2 * M1_SIZE, luo_strerror(ret));
	ret = sys_ret(fallocate(fd, 0, M1_SIZE, PAGE_SZ));
	luo_check(ret == -EBUSY,
		  "1MiB: fallocate(0, %lu, %lu) past EOF while preserved is EBUSY (%s)",
		  M1_SIZE, PAGE_SZ, luo_strerror(ret));
	fill_page(buf, SEED_1M_PWRITE, 0);
	ret = sys_ret(pwrite(fd, buf, PAGE_SZ, M1_SIZE));
	luo_check(ret == -EBUSY, "1MiB: pwrite of 4 KiB at EOF (%lu) while preserved is EBUSY (%s)",
		  M1_SIZE, luo_strerror(ret));
	ret = sys_ret(lseek(fd, M1_SIZE, SEEK_SET));
	ret = ret ? ret : sys_ret(write(fd, buf, PAGE_SZ));
	luo_check(ret == -EBUSY, "1MiB: write of 4 KiB at EOF while preserved is EBUSY (%s)",
		  luo_strerror(ret));
	size = file_size(fd);
	luo_check(size == (long long)M1_SIZE, "1MiB: size stays %lu (%lld)", M1_SIZE, size);

	/* Inside the size, writes and mmap work. */
	ret = pwrite_full(fd, buf, PAGE_SZ, M1_PWRITE_OFF);
	luo_check(!ret, "1MiB: pwrite of 4 KiB at %lu inside the size works (%s)", M1_PWRITE_OFF,
		  luo_strerror(ret));
	map = mmap(NULL, M1_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ret = map == MAP_FAILED ? -errno : 0;
	if (!ret) {
		/* The mapping sees the pwrite, and a store through it lands in the file. */
		ret2 = memcmp(map + M1_PWRITE_OFF, buf, PAGE_SZ) ? -EIO : 0;
		fill_page(map + M1_MMAP_OFF, SEED_1M_MMAP, M1_MMAP_OFF / PAGE_SZ);
		fill_page(want, SEED_1M_MMAP, M1_MMAP_OFF / PAGE_SZ);
		ret = ret2 ? ret2 : pread_full(fd, buf, PAGE_SZ, M1_MMAP_OFF);
		if (!ret && memcmp(buf, want, PAGE_SZ))
			ret = -EIO;
		munmap(map, M1_SIZE);
	}
	luo_check(!ret,
		  "1MiB: MAP_SHARED mmap while preserved: sees the pwrite, store at %lu KiB reads back (%s)",
		  M1_MMAP_OFF / KiB, luo_strerror(ret));

	size = lseek(fd, M1_POS, SEEK_SET);
	luo_check(size == M1_POS, "1MiB: lseek to %d (%lld)", M1_POS, size);
}

/* Non-memfd files are refused; a session of their own, closed right away. */
static void stage1_reject(int luo)
{
	struct statfs sfs;
	int s, fd, ret;

	s = luo_create_session(luo, S_REJECT);
	if (s < 0)
		ksft_print_msg("create_session '%s': %s\n", S_REJECT, luo_strerror(s));

	fd = open(TMPFS_FILE, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0 && write_full(fd, zero_page, PAGE_SZ))
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

	fd = new_memfd("lu_memfd-hugetlb", MFD_HUGETLB);
	if (fd < 0) {
		ksft_test_result_skip("reject: MFD_HUGETLB memfd: cannot create one (%s)\n",
				      luo_strerror(fd));
	} else {
		ret = preserve_other(s, fd);
		luo_check(ret == -ENOENT, "reject: MFD_HUGETLB memfd is ENOENT (%s)",
			  luo_strerror(ret));
		close(fd);
	}
	/* Closing the session unpreserves anything it took by mistake. */
	if (s >= 0)
		close(s);
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
		ret = pwrite_full(fd, buf, PAGE_SZ, blk * PAGE_SZ);
	}
	ret = ret ? ret : luo_preserve_fd(sessions[SI_SPARSE], fd, TOK_SPARSE);
	luo_require(!ret,
		    "sparse: %lu MiB memfd, %lu pages written (every %dth), preserved as token %#llx (%s)",
		    SPARSE_SIZE / MiB, SPARSE_NR_STRIDE, SPARSE_STRIDE, TOK_SPARSE,
		    luo_strerror(ret));

	/* Into holes after PRESERVE_FD: by pwrite(2) and through a mapping. */
	fill_page(buf, SEED_SPARSE_PWRITE, SPARSE_PWRITE_PAGE);
	ret = pwrite_full(fd, buf, PAGE_SZ, SPARSE_PWRITE_PAGE * PAGE_SZ);
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

	ret = ret ? ret : luo_preserve_fd(sessions[SI_THP], fd, TOK_THP);
	luo_require(!ret,
		    "thp: 4 MiB memfd filled through a 2 MiB-aligned MAP_SHARED mapping, preserved as token %#llx (%s)",
		    TOK_THP, luo_strerror(ret));
	munmap(map, THP_SIZE);
	close(fd);
	/* Only this memfd is meant to get huge folios: small files would take 2 MiB each. */
	set_shmem_thp("never");
}

/* Closing a session unpreserves: the size thaws and the memory comes back. */
static void stage1_unpreserve(int luo)
{
	long shmem0, shmem1, shmem2 = -1, free0, free2 = -1, t0;
	long long size;
	int s, fd, ret;

	shmem0 = meminfo_kb("Shmem");
	free0 = lu_mem_free_kb();
	s = luo_create_session(luo, S_TEMP);
	fd = new_memfd("lu_memfd-temp", 0);
	ret = s < 0 ? s : fd;
	ret = ret < 0 ? ret : write_filler(fd, TEMP_SIZE);
	ret = ret ? ret : luo_preserve_fd(s, fd, TOK_TEMP);
	luo_require(!ret, "unpreserve: %lu MiB memfd preserved in session '%s' (%s)",
		    TEMP_SIZE / MiB, S_TEMP, luo_strerror(ret));
	shmem1 = meminfo_kb("Shmem");

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
	t0 = now_ms();
	do {
		if (shmem2 >= 0)
			sleep_ms(100);
		shmem2 = meminfo_kb("Shmem");
		free2 = lu_mem_free_kb();
	} while ((labs(shmem2 - shmem0) > SHMEM_SLACK_KB || free2 < free0 - MEMFREE_SLACK_KB) &&
		 now_ms() - t0 < SETTLE_MS);
	luo_check(shmem0 >= 0 && shmem1 - shmem0 >= (long)(TEMP_SIZE / KiB) - SHMEM_SLACK_KB &&
		  labs(shmem2 - shmem0) <= SHMEM_SLACK_KB,
		  "unpreserve: Shmem %ld kB before, %ld kB with the memfd, %ld kB after (slack %ld kB)",
		  shmem0, shmem1, shmem2, SHMEM_SLACK_KB);
	luo_check(free0 >= 0 && free2 >= free0 - MEMFREE_SLACK_KB,
		  "unpreserve: free memory %ld kB before, %ld kB after (slack %ld kB)", free0, free2,
		  MEMFREE_SLACK_KB);
}

static void stage1_many(void)
{
	size_t bytes = 0;
	int i, fd, ret = 0, preserved = 0;

	for (i = 0; i < NR_MANY; i++) {
		struct data_file df = {
			.name = "many", .token = TOK_MANY(i), .size = MANY_SIZE(i),
			.seed = SEED_MANY(i),
		};
		int s = sessions[SI_MANY0 + i % NR_MANY_SESSIONS];

		fd = new_memfd("lu_memfd-many", 0);
		ret = fd < 0 ? fd : write_data(fd, &df);
		ret = ret ? ret : luo_preserve_fd(s, fd, df.token);
		/* LUO keeps the file: our fd goes. */
		if (fd >= 0)
			close(fd);
		if (ret) {
			ksft_print_msg("many: memfd %d (%zu bytes, token %#llx): %s\n", i, df.size,
				       df.token, luo_strerror(ret));
			break;
		}
		bytes += df.size;
		preserved++;
	}
	luo_require(preserved == NR_MANY,
		    "many: %d of %d memfds (4..64 KiB, %zu KiB in all) preserved across %d sessions",
		    preserved, NR_MANY, bytes / KiB, NR_MANY_SESSIONS);
}

static void stage1(void)
{
	int luo, fd, i, ret, created = 0, fds[NR_DATA];
	long t0;
	pid_t pid;

	ksft_set_plan(32);
	buf = aligned_alloc(PAGE_SZ, CHUNK);
	want = aligned_alloc(PAGE_SZ, CHUNK);
	if (!buf || !want)
		ksft_exit_fail_msg("out of memory\n");

	/*
	 * Huge folios for the THP memfd only: with shmem_enabled=always every
	 * small or sparse memfd would be backed by 2 MiB folios.
	 */
	read_selected(SHMEM_ENABLED, shmem_orig, sizeof(shmem_orig));
	if (shmem_orig[0] && strcmp(shmem_orig, "never") && !set_shmem_thp("never"))
		ksft_print_msg("cannot set %s to never: %s\n", SHMEM_ENABLED, strerror(errno));

	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	for (i = 0; i < NR_SESSIONS; i++) {
		sessions[i] = luo_create_session(luo, session_name(i));
		if (sessions[i] < 0)
			ksft_print_msg("create_session '%s': %s\n", session_name(i),
				       luo_strerror(sessions[i]));
		else
			created++;
	}
	luo_require(created == NR_SESSIONS, "created %d of %d sessions", created, NR_SESSIONS);

	/* Contents and seals, in "memfd-data". */
	for (i = 0; i < NR_DATA; i++) {
		const struct data_file *df = &data_files[i];
		char name[32];

		t0 = now_ms();
		snprintf(name, sizeof(name), "lu_memfd-%s", df->name);
		fd = new_memfd(name, df->mfd_flags);
		ret = fd < 0 ? fd : write_data(fd, df);
		if (!ret && df->token == TOK_SEALED) {
			ret = sys_ret(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW));
			if (!ret && fcntl(fd, F_GET_SEALS) != df->seals)
				ret = -EPROTO;
		}
		ret = ret ? ret : luo_preserve_fd(sessions[SI_DATA], fd, df->token);
		luo_require(!ret,
			    "data %s: %zu bytes written, seals %#x, preserved as token %#llx in %ld ms (%s)",
			    df->name, df->size, df->seals, df->token, now_ms() - t0,
			    luo_strerror(ret));
		fds[i] = fd;
	}
	stage1_after_preserve(fds[DF_1M]);
	for (i = 0; i < NR_DATA; i++)
		close(fds[i]);	/* LUO keeps the files, and their positions */

	stage1_reject(luo);
	stage1_sparse();
	stage1_thp();
	stage1_unpreserve(luo);
	stage1_many();

	fd = new_memfd("lu_memfd-discard", 0);
	ret = fd < 0 ? fd : write_filler(fd, DISCARD_SIZE);
	ret = ret ? ret : luo_preserve_fd(sessions[SI_DISCARD], fd, TOK_DISCARD);
	luo_require(!ret, "discard: %lu MiB memfd preserved as token %#llx in '%s' (%s)",
		    DISCARD_SIZE / MiB, TOK_DISCARD, S_DISCARD, luo_strerror(ret));
	close(fd);

	restore_shmem_thp();
	close(luo);
	if (!lu_carry_set(CARRY_READY, "1"))
		ksft_exit_fail_msg("cannot carry %s to stage 2: %s\n", CARRY_READY,
				   strerror(errno));
	pid = daemonize_and_hold();
	luo_require(pid > 0, "daemon holds the %d sessions (%s)", NR_SESSIONS, luo_strerror(pid));
	ksft_finished();
}

/* A retrieved data memfd: properties, then every page. Its fd, or -errno. */
static int stage2_data(const struct data_file *df)
{
	long long size = -1, pos = -1;
	int fd, seals = -1;
	bool cloexec = false;
	long bad = -1, t0;

	fd = luo_retrieve_fd(sessions[SI_DATA], df->token);
	luo_check(fd >= 0, "data %s: retrieve token %#llx (%s)", df->name, df->token,
		  luo_strerror(fd));
	if (fd >= 0) {
		size = file_size(fd);
		pos = lseek(fd, 0, SEEK_CUR);
		seals = fcntl(fd, F_GET_SEALS);
		cloexec = fd_is_cloexec(fd);
	}
	luo_check(size == (long long)df->size && pos == df->pos && seals == df->seals && cloexec,
		  "data %s: size %lld (want %zu), position %lld (want %lld), seals %#x (want %#x), O_CLOEXEC %s",
		  df->name, size, df->size, pos, df->pos, seals, df->seals, cloexec ? "yes" : "no");

	t0 = now_ms();
	if (fd >= 0 && size == (long long)df->size)
		bad = count_bad_pages(fd, df);
	luo_check(bad == 0, "data %s: all %zu pages match%s (%ld differ, %ld ms)", df->name,
		  df->size / PAGE_SZ,
		  df->token == TOK_1M ? ", incl. the 3 written after PRESERVE_FD" : "", bad,
		  now_ms() - t0);
	return fd;
}

static void stage2_sparse(long long blocks1)
{
	long long size = -1, blocks = -1;
	int fd, ret, bad = 0, zeros = 0, holes = 0, good = 0;
	bool cloexec = false;
	__u64 blk, seed;

	fd = luo_retrieve_fd(sessions[SI_SPARSE], TOK_SPARSE);
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
		ret = pread_full(fd, buf, PAGE_SZ, blk * PAGE_SZ);
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

static void stage2_many(void)
{
	int i, fd, retrieved = 0, cloexec = 0, matched = 0, reported = 0;
	long t0 = now_ms();
	char name[32];

	for (i = 0; i < NR_MANY; i++) {
		struct data_file df = {
			.name = name, .token = TOK_MANY(i), .size = MANY_SIZE(i),
			.seed = SEED_MANY(i),
		};
		long long size = -1;
		long bad = -1;

		snprintf(name, sizeof(name), "many %d", i);
		fd = luo_retrieve_fd(sessions[SI_MANY0 + i % NR_MANY_SESSIONS], df.token);
		if (fd >= 0) {
			retrieved++;
			cloexec += fd_is_cloexec(fd);
			size = file_size(fd);
			if (size == (long long)df.size)
				bad = count_bad_pages(fd, &df);
			close(fd);
		}
		if (bad == 0)
			matched++;
		else if (reported++ < MAX_REPORTS)
			ksft_print_msg("%s: token %#llx: %s, size %lld (want %zu), %ld pages bad\n",
				       name, df.token, luo_strerror(fd), size, df.size, bad);
	}
	luo_check(retrieved == NR_MANY && cloexec == NR_MANY,
		  "many: retrieved %d of %d memfds from %d sessions, %d O_CLOEXEC", retrieved,
		  NR_MANY, NR_MANY_SESSIONS, cloexec);
	luo_check(matched == NR_MANY, "many: %d of %d memfds have their size and contents (%ld ms)",
		  matched, NR_MANY, now_ms() - t0);
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

	fd = luo_retrieve_fd(sessions[SI_THP], TOK_THP);
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

/* FINISH of "memfd-discard", its memfd never retrieved, frees the memory. */
static void stage2_discard(void)
{
	long free0, free1 = -1, t0;
	int ret;

	free0 = lu_mem_free_kb();
	ret = luo_finish(sessions[SI_DISCARD]);
	luo_check(!ret, "discard: FINISH '%s' with token %#llx never retrieved (%s)", S_DISCARD,
		  TOK_DISCARD, luo_strerror(ret));
	t0 = now_ms();
	do {
		if (free1 >= 0)
			sleep_ms(100);
		free1 = lu_mem_free_kb();
	} while (free1 < free0 + (long)(DISCARD_SIZE / KiB) - DISCARD_SLACK_KB &&
		 now_ms() - t0 < SETTLE_MS);
	luo_check(free0 >= 0 && free1 >= free0 + (long)(DISCARD_SIZE / KiB) - DISCARD_SLACK_KB,
		  "discard: free memory %ld kB before FINISH, %ld kB after (%+ld kB, want >= +%ld kB)",
		  free0, free1, free1 - free0, (long)(DISCARD_SIZE / KiB) - DISCARD_SLACK_KB);
}

static void stage2(void)
{
	char buf_ready[16], buf_blocks[32], thp_kb1[32] = "?";
	long long blocks1 = -1;
	int luo, i, ret, ret2, fds[NR_DATA], ok = 0, eperm_shrink, eperm_grow;

	ksft_set_plan(31);
	luo_require(lu_carry_get(CARRY_READY, buf_ready, sizeof(buf_ready)),
		    "stage 1 completed (lu.carry.%s)", CARRY_READY);
	if (lu_carry_get(CARRY_SPARSE_BLOCKS, buf_blocks, sizeof(buf_blocks)))
		blocks1 = atoll(buf_blocks);
	lu_carry_get(CARRY_THP_KB, thp_kb1, sizeof(thp_kb1));
	buf = aligned_alloc(PAGE_SZ, CHUNK);
	want = aligned_alloc(PAGE_SZ, CHUNK);
	if (!buf || !want)
		ksft_exit_fail_msg("out of memory\n");
	read_selected(SHMEM_ENABLED, shmem_orig, sizeof(shmem_orig));

	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	for (i = 0; i < NR_SESSIONS; i++) {
		sessions[i] = luo_retrieve_session(luo, session_name(i));
		if (sessions[i] < 0)
			ksft_print_msg("retrieve_session '%s': %s\n", session_name(i),
				       luo_strerror(sessions[i]));
		else
			ok++;
	}
	luo_require(ok == NR_SESSIONS, "retrieved %d of %d sessions", ok, NR_SESSIONS);

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

	for (i = 0; i < NR_DATA; i++)
		fds[i] = stage2_data(&data_files[i]);
	stage2_sparse(blocks1);
	stage2_many();
	stage2_thp(thp_kb1);
	stage2_discard();

	for (i = 0, ok = 0; i < NR_SESSIONS; i++) {
		if (i == SI_DISCARD)
			continue;
		ret = luo_finish(sessions[i]);
		if (!ret)
			ok++;
		else
			ksft_print_msg("finish '%s': %s\n", session_name(i), luo_strerror(ret));
	}
	luo_check(ok == NR_SESSIONS - 1, "finished %d of %d sessions", ok, NR_SESSIONS - 1);

	/* The seals are the memfd's own, not LUO's: they still hold. */
	i = fds[DF_SEALED];
	eperm_shrink = i < 0 ? i : sys_ret(ftruncate(i, data_files[DF_SEALED].size / 2));
	eperm_grow = i < 0 ? i : sys_ret(ftruncate(i, data_files[DF_SEALED].size * 2));
	luo_check(eperm_shrink == -EPERM && eperm_grow == -EPERM,
		  "sealed: after FINISH, ftruncate shrink (%s) and grow (%s) are EPERM",
		  luo_strerror(eperm_shrink), luo_strerror(eperm_grow));

	for (i = 0; i < NR_DATA; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	for (i = 0; i < NR_SESSIONS; i++)
		close(sessions[i]);
	close(luo);
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2);
