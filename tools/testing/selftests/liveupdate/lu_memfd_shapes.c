// SPDX-License-Identifier: GPL-2.0
/*
 * lu_memfd_shapes: memfds of every shape cross a live update byte-exact,
 * with their size, position, seals and mode.
 *
 * Stage 1 preserves, in session "shapes":
 *   sizes 0, 1, 11 (a short string), 4095, 4096, 4097, 5000, 1 MiB + 1, and
 *   4 MiB + 123 with holes: a size that is not a page multiple puts the
 *   last folio past EOF (PRESERVE_FD used to fail with EINVAL there);
 *   a 2 MiB + 4097 byte file written with shmem THP "always", whose second
 *   2 MiB folio reaches far past EOF;
 *   an MFD_NOEXEC_SEAL memfd (mode 0666, F_SEAL_EXEC: it used to come back
 *   0777, executable and sealed against fixing it), an MFD_EXEC memfd
 *   chmod 0640, a sealed memfd (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
 *   positioned at 777;
 *   a 64 KiB memfd fallocate()d whole with one page written: the rest must
 *   read as zeros, as before (unwritten fallocated folios hold whatever the
 *   allocator left in them).
 * Stage 2 retrieves each and checks size, position, mode, seals, st_blocks
 * of the sparse file, every byte up to the size, and that reading at EOF
 * returns nothing; fchmod() of the F_SEAL_EXEC memfd's exec bits is still
 * refused (EPERM). After the finish, KHO holds no page nobody restored:
 * every block of every record set was in its chain and was claimed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"

#define SESSION		"shapes"
#define CARRY_READY	"lu_memfd_shapes.ready"
#define PAGE_SZ		4096L
#define THP_SZ		(2L << 20)
#define THP_KNOB	"/sys/kernel/mm/transparent_hugepage/shmem_enabled"
#define KHO_IN_STATUS	"/sys/kernel/debug/kho/in/status"

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL	0x0008U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC	0x0010U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC	0x0020
#endif

enum shape_kind { PLAIN, SPARSE, THP, NOEXEC, EXEC_0640, SEALED, FALLOC };

struct shape {
	const char *name;
	enum shape_kind kind;
	long size;
	mode_t mode;		/* expected mode bits */
	unsigned int seals;	/* expected F_GET_SEALS */
	long pos;
};

#define PLAIN_SEALS	F_SEAL_SEAL	/* memfd_create() without MFD_ALLOW_SEALING */

static const struct shape shapes[] = {
	{ "size-0",		PLAIN,	0,			0777, PLAIN_SEALS, 0 },
	{ "size-1",		PLAIN,	1,			0777, PLAIN_SEALS, 1 },
	{ "string",		PLAIN,	11,			0777, PLAIN_SEALS, 5 },
	{ "size-4095",		PLAIN,	4095,			0777, PLAIN_SEALS, 0 },
	{ "size-4096",		PLAIN,	4096,			0777, PLAIN_SEALS, 4096 },
	{ "size-4097",		PLAIN,	4097,			0777, PLAIN_SEALS, 4097 },
	{ "size-5000",		PLAIN,	5000,			0777, PLAIN_SEALS, 4999 },
	{ "size-1M+1",		PLAIN,	(1L << 20) + 1,		0777, PLAIN_SEALS, 3 },
	{ "sparse-4M+123",	SPARSE,	(4L << 20) + 123,	0777, PLAIN_SEALS, 0 },
	{ "thp-past-eof",	THP,	THP_SZ + 4097,		0777, PLAIN_SEALS, 0 },
	{ "noexec-seal",	NOEXEC,	8192,			0666, F_SEAL_EXEC, 0 },
	{ "exec-0640",		EXEC_0640, 12288,		0640, PLAIN_SEALS, 0 },
	{ "sealed",		SEALED,	20000,			0777,
	  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE, 777 },
	{ "fallocated",		FALLOC,	65536,			0777, PLAIN_SEALS, 0 },
};

#define NR_SHAPES	((int)(sizeof(shapes) / sizeof(shapes[0])))

/* The sparse file has data at every 7th page and in its last partial page. */
static bool sparse_has(long page, long size)
{
	return page % 7 == 0 || page == (size - 1) / PAGE_SZ;
}

/* The fallocated file has one page written, at 16 KiB. */
#define FALLOC_DATA_PAGE	4

static unsigned long long splitmix64(unsigned long long x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The byte at @off of shape @i, if it holds data there (else 0). */
static unsigned char data_byte(int i, long off)
{
	const struct shape *sh = &shapes[i];
	long page = off / PAGE_SZ;

	if (sh->kind == SPARSE && !sparse_has(page, sh->size))
		return 0;
	if (sh->kind == FALLOC && page != FALLOC_DATA_PAGE)
		return 0;
	if (!strcmp(sh->name, "string"))
		return "hello world"[off];
	return splitmix64(((unsigned long long)i << 48) ^ (off / 8)) >> ((off % 8) * 8);
}

static void fill(int i, char *buf, long off, long len)
{
	for (long k = 0; k < len; k++)
		buf[k] = data_byte(i, off + k);
}

/* Create shape @i, write its data, set its seals and position; its fd or -errno. */
static int make_shape(int i, char *buf)
{
	const struct shape *sh = &shapes[i];
	unsigned int flags = 0;
	long off, len;
	int fd, ret;

	if (sh->kind == NOEXEC)
		flags = MFD_NOEXEC_SEAL;
	else if (sh->kind == EXEC_0640)
		flags = MFD_EXEC;
	else if (sh->kind == SEALED)
		flags = MFD_ALLOW_SEALING;
	fd = memfd_create(sh->name, flags);
	if (fd < 0)
		return -errno;
	if (sh->kind == EXEC_0640 && fchmod(fd, 0640))
		goto err;
	if (ftruncate(fd, sh->size))
		goto err;
	if (sh->kind == FALLOC && fallocate(fd, 0, 0, sh->size))
		goto err;
	for (off = 0; off < sh->size; off += len) {
		long page = off / PAGE_SZ;

		len = sh->size - off < PAGE_SZ ? sh->size - off : PAGE_SZ;
		if ((sh->kind == SPARSE && !sparse_has(page, sh->size)) ||
		    (sh->kind == FALLOC && page != FALLOC_DATA_PAGE))
			continue;
		fill(i, buf, off, len);
		ret = lu_pwrite_full(fd, buf, len, off);
		if (ret) {
			errno = -ret;
			goto err;
		}
	}
	if (sh->kind == SEALED &&
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE))
		goto err;
	if (lseek(fd, sh->pos, SEEK_SET) != sh->pos)
		goto err;
	return fd;
err:
	ret = -errno;
	close(fd);
	return ret;
}

/* Every byte of @fd against shape @i; the offset of the first bad one, or -1. */
static long first_bad_byte(int fd, int i, char *buf, char *want)
{
	const struct shape *sh = &shapes[i];
	long off, len, k;

	for (off = 0; off < sh->size; off += len) {
		len = sh->size - off < (1L << 20) ? sh->size - off : (1L << 20);
		if (pread(fd, buf, len, off) != len)
			return off;
		fill(i, want, off, len);
		if (memcmp(buf, want, len)) {
			for (k = 0; buf[k] == want[k]; k++)
				;
			return off + k;
		}
	}
	/* Nothing past the end, however the last folio reaches beyond it. */
	return pread(fd, buf, PAGE_SZ, sh->size) == 0 ? -1 : sh->size;
}

static void stage1(void)
{
	char *buf = malloc(PAGE_SZ);
	char thp_orig[64] = "";
	long thp0, thp1;
	int luo, s, fd, ret, i;
	FILE *f;
	pid_t pid;

	ksft_set_plan(NR_SHAPES * 3 + 7);
	luo_require(buf, "buffer");
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	s = luo_create_session(luo, SESSION);
	luo_require(s >= 0, "create_session %s (%s)", SESSION, luo_strerror(s));

	f = fopen(THP_KNOB, "re");
	if (f) {
		if (!fgets(thp_orig, sizeof(thp_orig), f))
			thp_orig[0] = '\0';
		fclose(f);
	}
	for (i = 0; i < NR_SHAPES; i++) {
		const struct shape *sh = &shapes[i];
		struct stat st;

		if (sh->kind == THP) {
			luo_require(lu_write_file(THP_KNOB, "always"), "shmem THP set to always");
			thp0 = lu_meminfo_kb("ShmemHugePages");
		}
		fd = make_shape(i, buf);
		if (sh->kind == THP) {
			thp1 = lu_meminfo_kb("ShmemHugePages");
			lu_write_file(THP_KNOB, "never");
			/* Two 2 MiB folios: the second one holds 4097 bytes of data. */
			luo_check(fd >= 0 && thp1 - thp0 == 2 * (THP_SZ >> 10),
				  "thp_file_has_a_folio_past_eof (ShmemHugePages +%ld kB)",
				  thp1 - thp0);
		}
		luo_require(fd >= 0, "%s: created (%s)", sh->name, luo_strerror(fd));
		ret = fstat(fd, &st) ? -errno : 0;
		luo_check(!ret && (st.st_mode & 07777) == sh->mode &&
			  fcntl(fd, F_GET_SEALS) == (int)sh->seals,
			  "%s: mode %#o seals %#x before the kexec (want %#o %#x)", sh->name,
			  st.st_mode & 07777, fcntl(fd, F_GET_SEALS), sh->mode, sh->seals);
		ret = luo_preserve_fd(s, fd, i + 1);
		luo_check(!ret, "%s: preserve_fd of %ld bytes (%s)", sh->name, sh->size,
			  luo_strerror(ret));
		close(fd);
	}
	if (thp_orig[0]) {
		/* "always [never] ..." -> the selected word. */
		char *l = strchr(thp_orig, '['), *r = l ? strchr(l, ']') : NULL;

		if (l && r) {
			*r = '\0';
			lu_write_file(THP_KNOB, l + 1);
		}
	}
	close(luo);
	luo_require(lu_carry_set(CARRY_READY, "1"), "carry to stage 2");
	pid = daemonize_and_hold();
	luo_require(pid > 0, "daemon holds the session (%s)", luo_strerror(pid));
	free(buf);
	ksft_finished();
}

static void stage2(void)
{
	char *buf = malloc(1L << 20), *want = malloc(1L << 20), carry[8];
	long long unrestored;
	int luo, s, fd, ret, i;

	ksft_set_plan(NR_SHAPES * 2 + 10);
	luo_require(buf && want, "buffers");
	luo_require(lu_carry_get(CARRY_READY, carry, sizeof(carry)), "stage 1 completed");
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	s = luo_retrieve_session(luo, SESSION);
	luo_require(s >= 0, "retrieve_session %s (%s)", SESSION, luo_strerror(s));
	for (i = 0; i < NR_SHAPES; i++) {
		const struct shape *sh = &shapes[i];
		struct stat st;
		long bad;

		fd = luo_retrieve_fd(s, i + 1);
		luo_check(fd >= 0 && !fstat(fd, &st) && st.st_size == sh->size &&
			  (st.st_mode & 07777) == sh->mode &&
			  fcntl(fd, F_GET_SEALS) == (int)sh->seals &&
			  lseek(fd, 0, SEEK_CUR) == sh->pos,
			  "%s: size %lld mode %#o seals %#x pos %lld (want %ld %#o %#x %ld)",
			  sh->name, fd >= 0 ? (long long)st.st_size : -1LL,
			  fd >= 0 ? st.st_mode & 07777 : 0, fd >= 0 ? fcntl(fd, F_GET_SEALS) : 0,
			  fd >= 0 ? (long long)lseek(fd, 0, SEEK_CUR) : -1LL, sh->size, sh->mode,
			  sh->seals, sh->pos);
		if (fd < 0) {
			ksft_test_result_fail("%s: not retrieved (%s)\n", sh->name,
					      luo_strerror(fd));
			continue;
		}
		bad = first_bad_byte(fd, i, buf, want);
		luo_check(bad < 0, "%s: every byte of %ld intact (first bad at %ld)", sh->name,
			  sh->size, bad);
		if (sh->kind == SPARSE) {
			long present = 0;

			for (long p = 0; p * PAGE_SZ < sh->size; p++)
				present += sparse_has(p, sh->size);
			luo_check(!fstat(fd, &st) && st.st_blocks * 512 == present * PAGE_SZ,
				  "sparse: %lld bytes allocated for %ld pages of data",
				  (long long)st.st_blocks * 512, present);
		}
		if (sh->kind == NOEXEC) {
			ret = fchmod(fd, 0777) ? -errno : 0;
			luo_check(ret == -EPERM, "noexec: fchmod +x still refused (%s)",
				  luo_strerror(ret));
		}
		if (sh->kind == SEALED) {
			ret = pwrite(fd, "x", 1, 0) < 0 ? -errno : 0;
			luo_check(ret == -EPERM, "sealed: write still refused (%s)",
				  luo_strerror(ret));
		}
		if (sh->kind == THP) {
			ret = pwrite(fd, "x", 1, sh->size - 1) == 1 ? 0 : -errno;
			luo_check(!ret, "thp: the folio past EOF is writable (%s)",
				  luo_strerror(ret));
		}
		close(fd);
	}
	ret = luo_finish(s);
	luo_check(!ret, "finish (%s)", luo_strerror(ret));
	close(s);
	close(luo);
	unrestored = lu_stat_value(KHO_IN_STATUS, "unrestored_pages");
	luo_check(unrestored == 0, "no preserved page left unrestored after the finish (%lld)",
		  unrestored);
	free(buf);
	free(want);
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2)
