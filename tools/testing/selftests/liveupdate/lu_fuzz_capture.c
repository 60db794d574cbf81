// SPDX-License-Identifier: GPL-2.0
/*
 * lu_fuzz_capture: capture a real handover for the host fuzz targets'
 * seed corpus (tools/testing/liveupdate-fuzz). Not a test: run by
 * tools/testing/liveupdate-fuzz/capture.sh with an ext2 disk (/dev/vda)
 * that brings the captures back to the host.
 *
 * Stage 1 sets up sessions of every shape the readers meet: memfds (empty,
 * one page, sparse, large folios when shmem THP is on, 200 folios: two
 * blocks of records) and test files (70 in one session: two blocks of file
 * entries), an empty session and 40 small ones (two blocks of session
 * entries), records it with lu-trace, and saves kho/out. It holds the
 * kexec after serialization (debugfs liveupdate/serialized_delay_ms) and
 * leaves a daemon that waits for that window (CREATE_SESSION of an
 * existing name returns EBUSY once serialized), then dumps debugfs
 * liveupdate/handover, the serialized state as the next kernel will read
 * it, to the disk.
 * Stage 2 saves kho/in, /proc/iomem (where the receiving kernel lies),
 * retrieves and finishes everything, records that, and saves the blackout
 * file and the recording's report.
 */
#define _GNU_SOURCE
#include <dirent.h>
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
#include "lu_trace_util.h"

#define REC		MNT "/update.lut"
#define DELAY_FILE	"/sys/kernel/debug/liveupdate/serialized_delay_ms"
#define HANDOVER	"/sys/kernel/debug/liveupdate/handover"
#define KHO_DIR		"/sys/kernel/debug/kho"
#define THP_SHMEM	"/sys/kernel/mm/transparent_hugepage/shmem_enabled"
#define CARRY_READY	"lu_fuzz_capture.ready"
#define LU_BLACKOUT_PATH	"/sys/kernel/liveupdate/blackout"
#define PAGE_SZ		4096L
#define NR_SMALL	40
#define NR_MANY		70

/* Copy @src to @dst; returns the bytes copied or -1. */
static long copy_file(const char *src, const char *dst)
{
	char buf[65536];
	int in = open(src, O_RDONLY), out;
	long total = 0;
	ssize_t n;

	if (in < 0)
		return -1;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(out, buf, n) != n) {
			total = -1;
			break;
		}
		total += n;
	}
	if (n < 0)
		total = -1;
	fsync(out);
	close(out);
	close(in);
	return total;
}

/* Copy every file of directory @src into @dst (created). */
static int copy_dir(const char *src, const char *dst)
{
	char s[512], d[512];
	struct dirent *de;
	int n = 0;
	DIR *dir;

	mkdir(dst, 0755);
	dir = opendir(src);
	if (!dir)
		return -1;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "corrupt") ||
		    !strcmp(de->d_name, "release"))
			continue;
		snprintf(s, sizeof(s), "%s/%s", src, de->d_name);
		snprintf(d, sizeof(d), "%s/%s", dst, de->d_name);
		n += copy_file(s, d) >= 0;
	}
	closedir(dir);
	return n;
}

/* A memfd of @size with the pages @fill says written; its fd. */
static int make_memfd(const char *name, long size, bool (*fill)(long page))
{
	char page[PAGE_SZ];
	int fd = memfd_create(name, 0);

	if (fd < 0 || ftruncate(fd, size))
		return -1;
	for (long p = 0; p * PAGE_SZ < size; p++) {
		if (fill && !fill(p))
			continue;
		memset(page, (int)(p * 7 + 1), sizeof(page));
		if (pwrite(fd, page, PAGE_SZ, p * PAGE_SZ) != PAGE_SZ)
			return -1;
	}
	return fd;
}

static bool every_page(long p) { return true; }
static bool sparse_pages(long p) { return p % 5 == 0 || p == 63; }
static bool every_other(long p) { return p % 2 == 0; }

/* A THP-backed memfd: written through a mapping, in 2 MiB folios if shmem THP is on. */
static int make_thp_memfd(long size)
{
	int fd = memfd_create("thp", 0);
	char *p;

	if (fd < 0 || ftruncate(fd, size))
		return -1;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -1;
	madvise(p, size, MADV_HUGEPAGE);
	for (long off = 0; off < size; off += PAGE_SZ)
		p[off] = (char)(off >> 12);
	munmap(p, size);
	return fd;
}

/* The daemon: once reboot() serialized LUO, dump the handover to the disk. */
static void dump_when_serialized(int luo)
{
	for (int i = 0; i < 600000 && luo_create_session(luo, "fuzz-mixed") != -EBUSY; i++)
		usleep(100);
	copy_file(HANDOVER, MNT "/handover.bin");
	copy_dir(KHO_DIR "/out", MNT "/kho-out-serialized");
	sync();
	umount(MNT);
	for (;;)
		pause();
}

static void stage1(void)
{
	int luo, mixed, many, bigrec, empty, small[NR_SMALL], fd, ret, ok = 0;
	long memfds = 0;
	pid_t rec, pid;
	char name[64];

	ksft_set_plan(13);
	luo_require(mount_disk(), "ext2 disk mounted");
	rec = record_start(REC);
	luo_require(rec > 0, "lu-trace record started");
	/* Small folios first (records of order 0), large ones for the THP memfd. */
	lu_write_file(THP_SHMEM, "never");
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	mixed = luo_create_session(luo, "fuzz-mixed");
	many = luo_create_session(luo, "fuzz-many-files");
	bigrec = luo_create_session(luo, "fuzz-memfd-records");
	empty = luo_create_session(luo, "fuzz-empty");
	luo_require(mixed >= 0 && many >= 0 && bigrec >= 0 && empty >= 0, "four sessions");

	/* Memfds: empty, one page, sparse, 1 MiB, THP-backed 4 MiB; a test file. */
	fd = make_memfd("empty", 0, NULL);
	ret = fd < 0 ? -1 : luo_preserve_fd(mixed, fd, 1);
	memfds += !ret;
	fd = make_memfd("one", PAGE_SZ, every_page);
	ret = fd < 0 ? -1 : luo_preserve_fd(mixed, fd, 2);
	memfds += !ret;
	fd = make_memfd("sparse", 64 * PAGE_SZ + 100, sparse_pages);
	ret = fd < 0 ? -1 : luo_preserve_fd(mixed, fd, 3);
	memfds += !ret;
	fd = make_memfd("full", 256 * PAGE_SZ, every_page);
	ret = fd < 0 ? -1 : luo_preserve_fd(mixed, fd, 4);
	memfds += !ret;
	/* 200 folios: two blocks of records. */
	fd = make_memfd("records", 400 * PAGE_SZ, every_other);
	ret = fd < 0 ? -1 : luo_preserve_fd(bigrec, fd, 7);
	memfds += !ret;
	lu_write_file(THP_SHMEM, "always");
	fd = make_thp_memfd(4L << 20);
	ret = fd < 0 ? -1 : luo_preserve_fd(mixed, fd, 5);
	memfds += !ret;
	fd = test_file_create(0x5eed);
	ok += fd >= 0 && !luo_preserve_fd(mixed, fd, 6);
	luo_check(memfds == 6 && ok == 1, "6 memfds and a test file preserved (%ld, %d)", memfds,
		  ok);

	ok = 0;
	for (int i = 0; i < NR_MANY; i++) {
		fd = test_file_create(0x1000 + i);
		ok += fd >= 0 && !luo_preserve_fd(many, fd, 100 + i);
	}
	luo_check(ok == NR_MANY, "%d test files in one session (%d)", NR_MANY, ok);
	ok = 0;
	for (int i = 0; i < NR_SMALL; i++) {
		snprintf(name, sizeof(name), "fuzz-s-%02d", i);
		small[i] = luo_create_session(luo, name);
		fd = small[i] >= 0 ? test_file_create(i) : -1;
		ok += fd >= 0 && !luo_preserve_fd(small[i], fd, i + 1);
	}
	luo_check(ok == NR_SMALL, "%d small sessions (%d)", NR_SMALL, ok);

	luo_check(record_stop(rec) == 0, "recorder stopped");
	luo_check(copy_dir(KHO_DIR "/out", MNT "/kho-out") >= 4, "kho/out saved");
	copy_file(LU_BLACKOUT_PATH, MNT "/blackout-cold.txt");
	copy_file("/proc/iomem", MNT "/iomem-1.txt");
	luo_require(lu_write_file(DELAY_FILE, "3000"), "hold the kexec 3 s after serialization");
	luo_require(lu_carry_set(CARRY_READY, "1"), "carry to stage 2");
	pid = daemonize();
	if (pid == 0)
		dump_when_serialized(luo);
	luo_check(pid > 0, "daemon dumps the handover once serialized (%s)", luo_strerror(pid));
	luo_check(true, "stage 1 done");
	ksft_finished();
}

static void stage2(void)
{
	static const char *const sessions[] = { "fuzz-mixed", "fuzz-many-files",
						"fuzz-memfd-records", "fuzz-empty" };
	int luo, s, got = 0, fin = 0;
	char carry[8], name[64];
	pid_t rec;

	ksft_set_plan(10);
	luo_require(lu_carry_get(CARRY_READY, carry, sizeof(carry)), "stage 1 completed");
	luo_require(mount_disk(), "ext2 disk mounted");
	luo_check(file_size(MNT "/handover.bin") > 0, "stage 1 dumped the handover (%ld bytes)",
		  file_size(MNT "/handover.bin"));
	copy_file("/proc/iomem", MNT "/iomem-2.txt");
	luo_check(copy_dir(KHO_DIR "/in", MNT "/kho-in") >= 4, "kho/in saved");
	rec = record_start(REC);
	luo_require(rec > 0, "lu-trace record started (appending)");
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	for (int i = 0; i < 4 + NR_SMALL; i++) {
		if (i >= 4)
			snprintf(name, sizeof(name), "fuzz-s-%02d", i - 4);
		s = luo_retrieve_session(luo, i < 4 ? sessions[i] : name);
		if (s < 0)
			continue;
		got++;
		for (__u64 t = 1; t < 200; t++) {
			int fd = luo_retrieve_fd(s, t);

			if (fd >= 0)
				close(fd);
		}
		fin += !luo_finish(s);
		close(s);
	}
	luo_check(got == 4 + NR_SMALL && fin == got, "%d sessions retrieved and finished (%d, %d)",
		  4 + NR_SMALL, got, fin);
	luo_check(record_stop(rec) == 0, "recorder stopped");
	copy_file(LU_BLACKOUT_PATH, MNT "/blackout.txt");
	copy_dir(KHO_DIR "/in", MNT "/kho-in-finished");
	luo_check(run((char *[]){ LU_TRACE, "report", "--json", REC, NULL }, MNT "/report.json",
		      MNT "/report.err") == 0, "lu-trace report of the recording");
	sync();
	umount(MNT);
	luo_check(true, "stage 2 done");
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2)
