// SPDX-License-Identifier: GPL-2.0
/*
 * lu_demo: the live update that `make demo` shows. A small key-value
 * service keeps its state in memfds across three sessions; lu-trace watches
 * it being preserved (top), records both sides of the kexec, and the new
 * kernel shows the restored data verified, the blackout and the report.
 * Everything a person should read is printed as "# " lines; make demo
 * prints them.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"
#include "lu_trace_util.h"

#define REC	MNT "/demo.lut"

static const struct {
	const char *session;
	const char *what;
	__u64 token;
	unsigned long size;
} files[] = {
	{ "kv-store", "values", 1, 16UL << 20 },
	{ "kv-store", "write-ahead log", 2, 4UL << 20 },
	{ "kv-index", "hash index", 1, 2UL << 20 },
	{ "kv-config", "config", 1, 4UL << 10 },
};

static const char * const sessions[] = { "kv-store", "kv-index", "kv-config" };

#define NR_FILES	(int)(sizeof(files) / sizeof(files[0]))
#define NR_SESSIONS	(int)(sizeof(sessions) / sizeof(sessions[0]))
#define CARRY_SUM	"lu_demo.sum"

/* FNV-1a over the 64-bit words of the mapping. */
static __u64 checksum(const __u64 *p, unsigned long size)
{
	__u64 h = 0xcbf29ce484222325ULL;

	for (unsigned long i = 0; i < size / 8; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static void banner(const char *what, const char *release)
{
	ksft_print_msg("\n");
	ksft_print_msg("==== %s (Linux %s) ====\n", what, release);
}

static int session_of(int file)
{
	for (int i = 0; i < NR_SESSIONS; i++)
		if (!strcmp(sessions[i], files[file].session))
			return i;
	return 0;
}

static void stage1(void)
{
	int luo, s[NR_SESSIONS], ok = 0;
	__u64 sum[NR_FILES];
	char carry[256] = "";
	struct utsname u;
	pid_t rec, top;

	uname(&u);
	ksft_set_plan(8);
	banner("Stage 1, cold boot: the service runs and preserves its state", u.release);
	luo_require(mount_disk(), "disk for the recordings mounted");
	unlink(REC);
	rec = record_start(REC);
	luo_require(rec > 0, "lu-trace record -o " REC " started");
	ksft_print_msg("lu-trace record -o %s is recording; lu-trace top watches:\n", REC);

	/* top refreshes while the service preserves, one file at a time. */
	top = fork();
	if (!top)
		_exit(run((char *[]){ LU_TRACE, "top", "-i", "0.4", "-n", "4", "--no-clear", NULL },
			  "/tmp/top.txt", NULL));
	luo = luo_open_device();
	luo_require(luo >= 0, "open /dev/liveupdate (%s)", luo_strerror(luo));
	for (int i = 0; i < NR_SESSIONS; i++)
		s[i] = luo_create_session(luo, sessions[i]);
	for (int i = 0; i < NR_FILES; i++) {
		int fd = memfd_create(files[i].what, 0);
		__u64 *p;

		if (fd < 0 || ftruncate(fd, files[i].size))
			continue;
		p = mmap(NULL, files[i].size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			continue;
		for (unsigned long w = 0; w < files[i].size / 8; w++)
			p[w] = (w * 0x9e3779b97f4a7c15ULL) ^ files[i].token ^ (__u64)i << 56;
		sum[i] = checksum(p, files[i].size);
		munmap(p, files[i].size);
		usleep(300000);
		ok += !luo_preserve_fd(s[session_of(i)], fd, files[i].token);
		snprintf(carry + strlen(carry), sizeof(carry) - strlen(carry), "%s%016llx",
			 i ? "," : "", (unsigned long long)sum[i]);
	}
	luo_require(ok == NR_FILES, "%d memfds preserved in %d sessions", NR_FILES, NR_SESSIONS);
	luo_check(waitpid(top, NULL, 0) == top, "lu-trace top ran");
	print_file("/tmp/top.txt");
	luo_check(record_stop(rec) == 0, "recorder stopped, recording on disk");
	luo_check(lu_carry_set(CARRY_SUM, "%s", carry), "checksums noted for stage 2");
	ksft_print_msg("\n");
	ksft_print_msg("What KHO will hand over (lu-trace kho --out):\n");
	run((char *[]){ LU_TRACE, "kho", "--out", NULL }, "/tmp/kho.txt", NULL);
	print_file("/tmp/kho.txt");
	sync();
	umount(MNT);
	ksft_print_msg("\n");
	ksft_print_msg("kexec into the new kernel now...\n");
	luo_check(daemonize_and_hold() > 0, "sessions held until the kexec");
	ksft_finished();
}

static void stage2(void)
{
	char carry[256], line[160];
	int luo, verified = 0, fin = 0;
	struct utsname u;
	pid_t rec;

	uname(&u);
	ksft_set_plan(10);
	banner("Stage 2, after the kexec: the service restores its state", u.release);
	luo_require(mount_disk(), "disk for the recordings mounted");
	rec = record_start(REC);
	luo_require(rec > 0, "lu-trace record -o " REC " started (appends)");
	luo_require(lu_carry_get(CARRY_SUM, carry, sizeof(carry)), "checksums from stage 1");
	luo = luo_open_device();
	luo_require(luo >= 0, "open /dev/liveupdate (%s)", luo_strerror(luo));
	for (int j = 0; j < NR_SESSIONS; j++) {
		int s = luo_retrieve_session(luo, sessions[j]), n = 0, good = 0;
		unsigned long bytes = 0;

		for (int i = 0; s >= 0 && i < NR_FILES; i++) {
			__u64 want = strtoull(carry + 17 * i, NULL, 16);
			int fd;
			__u64 *m;

			if (strcmp(files[i].session, sessions[j]))
				continue;
			n++;
			fd = luo_retrieve_fd(s, files[i].token);
			m = fd < 0 ? MAP_FAILED :
			    mmap(NULL, files[i].size, PROT_READ, MAP_SHARED, fd, 0);
			if (m == MAP_FAILED)
				continue;
			good += checksum(m, files[i].size) == want;
			bytes += files[i].size;
			munmap(m, files[i].size);
			close(fd);
		}
		fin += s >= 0 && !luo_finish(s);
		verified += good;
		ksft_print_msg("restored %-10s %d/%d files, %5lu KiB, checksums %s\n", sessions[j],
			       good, n, bytes >> 10, good == n ? "match" : "DIFFER");
		if (s >= 0)
			close(s);
	}
	luo_check(verified == NR_FILES, "%d files restored with their data verified", NR_FILES);
	luo_check(fin == NR_SESSIONS, "%d sessions finished", NR_SESSIONS);
	luo_check(record_stop(rec) == 0, "recorder stopped");

	ksft_print_msg("\n");
	ksft_print_msg("The blackout (lu-trace blackout):\n");
	luo_check(!run((char *[]){ LU_TRACE, "blackout", NULL }, "/tmp/b.txt", NULL),
		  "lu-trace blackout");
	print_file("/tmp/b.txt");
	ksft_print_msg("\n");
	ksft_print_msg("Both sides of the update (lu-trace report " REC "):\n");
	luo_check(!run((char *[]){ LU_TRACE, "report", REC, NULL }, "/tmp/r.txt", NULL),
		  "lu-trace report");
	print_file("/tmp/r.txt");
	snprintf(line, sizeof(line), "%s", MNT "/demo-timeline.json");
	luo_check(!run((char *[]){ LU_TRACE, "timeline", "-o", line, REC, NULL }, NULL,
		       "/tmp/t.err"), "lu-trace timeline");
	sync();
	umount(MNT);
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2)
