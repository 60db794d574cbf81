// SPDX-License-Identifier: GPL-2.0
/*
 * lu_memfd: memfds cross a live update ("memfd-v3") with their contents,
 * size, file position and seals.
 *
 * Stage 1 (cold boot) preserves, in session "memfd-data", a 1 page, a
 * 1 MiB and a 256 MiB memfd of seeded data (written 1 MiB per write(2)),
 * and a 64 KiB MFD_ALLOW_SEALING memfd sealed F_SEAL_SHRINK | F_SEAL_GROW.
 * After PRESERVE_FD the 1 MiB memfd gets one page rewritten by write(2)
 * (at 512 KiB), one by pwrite(2) (at 0) and one through a MAP_SHARED
 * mapping (the last), each from its own seed, and its position set to
 * 12345; meanwhile its size is frozen: ftruncate(), fallocate() past EOF,
 * pwrite() at EOF and write() at EOF are EBUSY and the size stays 1 MiB.
 * A daemon holds the session across the kexec.
 *
 * Stage 2 proves that every memfd comes back (O_CLOEXEC) with its size,
 * position, seals and every page, including the ones written after
 * PRESERVE_FD; that the session finishes; and that the seals still hold
 * afterwards.
 *
 * The other lu_memfd_* tests cover sparse files (lu_memfd_sparse), large
 * folios (lu_memfd_thp), 1,000 memfds (lu_memfd_many), memory given back
 * by FINISH (lu_memfd_discard) and by unpreserve, and the files that are
 * not memfds (lu_memfd_unpreserve); lu_memfd.h holds what they share.
 */
#define _GNU_SOURCE
#include "lu_memfd.h"

#define CARRY_READY		"lu_memfd.ready"
#define S_DATA			"memfd-data"

#define TOK_PAGE		0x10ULL
#define TOK_1M			0x11ULL
#define TOK_256M		0x12ULL
#define TOK_SEALED		0x13ULL

#define SEED_PAGE		0x5eed0001ULL
#define SEED_1M			0x5eed0002ULL
#define SEED_256M		0x5eed0003ULL
#define SEED_SEALED		0x5eed0004ULL
#define SEED_1M_WRITE		0x5eed0011ULL	/* write(2) after PRESERVE_FD */
#define SEED_1M_PWRITE		0x5eed0012ULL	/* pwrite(2) after PRESERVE_FD */
#define SEED_1M_MMAP		0x5eed0013ULL	/* mmap store after PRESERVE_FD */

/* The 1 MiB memfd's pages rewritten after PRESERVE_FD. */
#define M1_SIZE			MiB
#define M1_WRITE_OFF		(512 * KiB)
#define M1_PWRITE_OFF		0UL
#define M1_MMAP_OFF		(M1_SIZE - PAGE_SZ)
#define M1_POS			12345

/* The seed of page @blk of the 1 MiB memfd at the kexec: three were rewritten. */
static __u64 m1_seed(const struct data_file *df, __u64 blk)
{
	if (blk == M1_WRITE_OFF / PAGE_SZ)
		return SEED_1M_WRITE;
	if (blk == M1_PWRITE_OFF / PAGE_SZ)
		return SEED_1M_PWRITE;
	if (blk == M1_MMAP_OFF / PAGE_SZ)
		return SEED_1M_MMAP;
	return df->seed;
}

static const struct data_file data_files[] = {
	{ "1-page",  TOK_PAGE,   PAGE_SZ,   SEED_PAGE,   0, PAGE_SZ,   F_SEAL_SEAL, NULL },
	{ "1MiB",    TOK_1M,     M1_SIZE,   SEED_1M,     0, M1_POS,    F_SEAL_SEAL, m1_seed },
	{ "256MiB",  TOK_256M,   256 * MiB, SEED_256M,   0, 256 * MiB, F_SEAL_SEAL, NULL },
	{ "sealed",  TOK_SEALED, 64 * KiB,  SEED_SEALED, MFD_ALLOW_SEALING, 64 * KiB,
	  F_SEAL_SHRINK | F_SEAL_GROW, NULL },
};

#define NR_DATA		((int)ARRAY_SIZE(data_files))
enum { DF_PAGE, DF_1M, DF_256M, DF_SEALED };

static int session;

/* The 1 MiB memfd after PRESERVE_FD: rewrites, frozen size, mmap, position. */
static void stage1_after_preserve(int fd)
{
	long long size;
	char *map;
	int ret, ret2;

	/* write(2) into a present page, at the file position. */
	fill_page(buf, SEED_1M_WRITE, M1_WRITE_OFF / PAGE_SZ);
	ret = sys_ret(lseek(fd, M1_WRITE_OFF, SEEK_SET));
	ret = ret ? ret : lu_write_full(fd, buf, PAGE_SZ);
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
	ret = lu_pwrite_full(fd, buf, PAGE_SZ, M1_PWRITE_OFF);
	luo_check(!ret, "1MiB: pwrite of 4 KiB at %lu inside the size works (%s)", M1_PWRITE_OFF,
		  luo_strerror(ret));
	map = mmap(NULL, M1_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ret = map == MAP_FAILED ? -errno : 0;
	if (!ret) {
		/* The mapping sees the pwrite, and a store through it lands in the file. */
		ret2 = memcmp(map + M1_PWRITE_OFF, buf, PAGE_SZ) ? -EIO : 0;
		fill_page(map + M1_MMAP_OFF, SEED_1M_MMAP, M1_MMAP_OFF / PAGE_SZ);
		fill_page(want, SEED_1M_MMAP, M1_MMAP_OFF / PAGE_SZ);
		ret = ret2 ? ret2 : lu_pread_full(fd, buf, PAGE_SZ, M1_MMAP_OFF);
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

static void stage1(void)
{
	int luo, fd, i, ret, fds[NR_DATA];
	long t0;

	ksft_set_plan(16);
	lu_memfd_begin();
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	session = lu_memfd_new_session(luo, S_DATA);

	for (i = 0; i < NR_DATA; i++) {
		const struct data_file *df = &data_files[i];
		char name[32];

		t0 = lu_now_ms();
		snprintf(name, sizeof(name), "lu_memfd-%s", df->name);
		fd = new_memfd(name, df->mfd_flags);
		ret = fd < 0 ? fd : write_data(fd, df);
		if (!ret && df->token == TOK_SEALED) {
			ret = sys_ret(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW));
			if (!ret && fcntl(fd, F_GET_SEALS) != df->seals)
				ret = -EPROTO;
		}
		ret = ret ? ret : luo_preserve_fd(session, fd, df->token);
		luo_require(!ret,
			    "data %s: %zu bytes written, seals %#x, preserved as token %#llx in %ld ms (%s)",
			    df->name, df->size, df->seals, df->token, lu_now_ms() - t0,
			    luo_strerror(ret));
		fds[i] = fd;
	}
	stage1_after_preserve(fds[DF_1M]);
	for (i = 0; i < NR_DATA; i++)
		close(fds[i]);	/* LUO keeps the files, and their positions */
	lu_memfd_stage1_hold(luo, CARRY_READY);
	ksft_finished();
}

/* A retrieved data memfd: properties, then every page. Its fd, or -errno. */
static int stage2_data(const struct data_file *df)
{
	long long size = -1, pos = -1;
	int fd, seals = -1;
	bool cloexec = false;
	long bad = -1, t0;

	fd = luo_retrieve_fd(session, df->token);
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

	t0 = lu_now_ms();
	if (fd >= 0 && size == (long long)df->size)
		bad = count_bad_pages(fd, df);
	luo_check(bad == 0, "data %s: all %zu pages match%s (%ld differ, %ld ms)", df->name,
		  df->size / PAGE_SZ,
		  df->token == TOK_1M ? ", incl. the 3 written after PRESERVE_FD" : "", bad,
		  lu_now_ms() - t0);
	return fd;
}

static void stage2(void)
{
	int luo, i, ret, fds[NR_DATA], eperm_shrink, eperm_grow;

	ksft_set_plan(17);
	lu_memfd_begin();
	luo = lu_memfd_stage2_open(CARRY_READY);
	session = lu_memfd_get_session(luo, S_DATA);
	for (i = 0; i < NR_DATA; i++)
		fds[i] = stage2_data(&data_files[i]);
	ret = luo_finish(session);
	luo_check(!ret, "finish '%s' (%s)", S_DATA, luo_strerror(ret));

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
	close(session);
	close(luo);
	restore_shmem_thp();
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2);
