/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lu_memfd.h: what the lu_memfd* tests share. Every page's contents are
 * generated from a per-file seed and the page index (xorshift64), so stage
 * 2 regenerates what stage 1 wrote instead of carrying it; helpers to
 * write and check such files, read and write them whole, map them
 * 2 MiB-aligned, and switch shmem THP.
 */
#ifndef LU_MEMFD_H
#define LU_MEMFD_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
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
#define SETTLE_MS		5000	/* wait this long for memory to come back */
#define SEED_FILLER		0x5eed0040ULL	/* write_filler() */

#define SHMEM_ENABLED		"/sys/kernel/mm/transparent_hugepage/shmem_enabled"

/*
 * A file of seeded data. @seed_of, if set, gives the seed of a page that
 * was rewritten from another seed (NULL: every page is @seed's).
 */
struct data_file {
	const char *name;
	__u64 token;
	size_t size;
	__u64 seed;
	unsigned int mfd_flags;
	long long pos;		/* file position at the kexec */
	int seals;		/* F_GET_SEALS at the kexec */
	__u64 (*seed_of)(const struct data_file *df, __u64 blk);
};

static char *buf, *want;	/* CHUNK bytes each */
static char shmem_orig[32];	/* shmem_enabled when the stage began */

static inline void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static inline __u64 splitmix64(__u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Page @blk of a file filled from @seed: 512 words of xorshift64. */
static inline void fill_page(void *dst, __u64 seed, __u64 blk)
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
static inline void fill_pages(char *dst, __u64 seed, __u64 blk, size_t len)
{
	size_t off;

	for (off = 0; off < len; off += PAGE_SZ)
		fill_page(dst + off, seed, blk + off / PAGE_SZ);
}

/* Write @df's pages at the file position, CHUNK bytes per write(2). */
static inline int write_data(int fd, const struct data_file *df)
{
	size_t off, n;
	int ret;

	for (off = 0; off < df->size; off += n) {
		n = df->size - off < CHUNK ? df->size - off : CHUNK;
		fill_pages(buf, df->seed, off / PAGE_SZ, n);
		ret = lu_write_full(fd, buf, n);
		if (ret)
			return ret;
	}
	return 0;
}

/* Fill @len bytes with the same seeded CHUNK over and over: content does not matter. */
static inline int write_filler(int fd, size_t len)
{
	size_t off;
	int ret;

	fill_pages(buf, SEED_FILLER, 0, CHUNK);
	for (off = 0; off < len; off += CHUNK) {
		ret = lu_write_full(fd, buf, CHUNK);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Pages of @fd that are not @df's at the kexec, read with pread(2) (the
 * file position stays); -errno when reading fails.
 */
static inline long count_bad_pages(int fd, const struct data_file *df)
{
	size_t off, n, k;
	long bad = 0;
	int ret;

	for (off = 0; off < df->size; off += n) {
		n = df->size - off < CHUNK ? df->size - off : CHUNK;
		ret = lu_pread_full(fd, buf, n, off);
		if (ret) {
			ksft_print_msg("%s: pread %zu bytes at %zu: %s\n", df->name, n, off,
				       luo_strerror(ret));
			return ret;
		}
		for (k = 0; k < n; k += PAGE_SZ) {
			__u64 blk = (off + k) / PAGE_SZ;

			fill_page(want, df->seed_of ? df->seed_of(df, blk) : df->seed, blk);
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

static inline int new_memfd(const char *name, unsigned int flags)
{
	int fd = memfd_create(name, MFD_CLOEXEC | flags);

	return fd < 0 ? -errno : fd;
}

/* 0 when the call succeeded, else -errno. */
static inline int sys_ret(long ret)
{
	return ret < 0 ? -errno : 0;
}

static inline long long file_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? -errno : (long long)st.st_size;
}

static inline long long file_blocks(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? -errno : (long long)st.st_blocks;
}

/* The selected word of @path ("always [never] ...") into @out, or "". */
static inline void read_selected(const char *path, char *out, size_t len)
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

static inline bool set_shmem_thp(const char *mode)
{
	return lu_write_file(SHMEM_ENABLED, mode);
}

/* Put shmem_enabled back to what it was when the stage began. */
static inline void restore_shmem_thp(void)
{
	if (shmem_orig[0] && !set_shmem_thp(shmem_orig))
		ksft_print_msg("cannot restore %s to '%s': %s\n", SHMEM_ENABLED, shmem_orig,
			       strerror(errno));
}

/* Map @size bytes of @fd MAP_SHARED at a 2 MiB-aligned address. */
static inline char *map_aligned(int fd, size_t size)
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
static inline long pmd_mapped_kb(const void *addr)
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

/*
 * Every lu_memfd* stage begins here: the buffers, and shmem THP off (only
 * lu_memfd_thp wants huge folios: with shmem_enabled=always every small or
 * sparse memfd would be backed by 2 MiB folios), remembering the setting.
 */
static inline void lu_memfd_begin(void)
{
	buf = aligned_alloc(PAGE_SZ, CHUNK);
	want = aligned_alloc(PAGE_SZ, CHUNK);
	if (!buf || !want)
		ksft_exit_fail_msg("out of memory\n");
	read_selected(SHMEM_ENABLED, shmem_orig, sizeof(shmem_orig));
	if (shmem_orig[0] && strcmp(shmem_orig, "never") && !set_shmem_thp("never"))
		ksft_print_msg("cannot set %s to never: %s\n", SHMEM_ENABLED, strerror(errno));
}

/* Stage 1: a new session @name (the test cannot go on without it). */
static inline int lu_memfd_new_session(int luo, const char *name)
{
	int s = luo_create_session(luo, name);

	luo_require(s >= 0, "create session '%s' (%s)", name, luo_strerror(s));
	return s;
}

/* Stage 2: the session @name stage 1 preserved. */
static inline int lu_memfd_get_session(int luo, const char *name)
{
	int s = luo_retrieve_session(luo, name);

	luo_require(s >= 0, "retrieve session '%s' (%s)", name, luo_strerror(s));
	return s;
}

/* Stage 2 begins: stage 1 must have completed, then the device opens. */
static inline int lu_memfd_stage2_open(const char *carry)
{
	char ready[16];
	int luo;

	luo_require(lu_carry_get(carry, ready, sizeof(ready)), "stage 1 completed (lu.carry.%s)",
		    carry);
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	return luo;
}

/* Stage 1 ends: carry @carry, then a daemon holds the sessions through the kexec. */
static inline void lu_memfd_stage1_hold(int luo, const char *carry)
{
	pid_t pid;

	restore_shmem_thp();
	close(luo);
	if (!lu_carry_set(carry, "1"))
		ksft_exit_fail_msg("cannot carry %s to stage 2: %s\n", carry, strerror(errno));
	pid = daemonize_and_hold();
	luo_require(pid > 0, "daemon holds the sessions (%s)", luo_strerror(pid));
}

#endif /* LU_MEMFD_H */
