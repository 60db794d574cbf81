// SPDX-License-Identifier: GPL-2.0
/*
 * lu_trace_tool: lu-trace records a known workload on both sides of a
 * kexec, and its reports are written to an ext2 disk (/dev/vda) that the
 * host checks afterwards (tools/lu-trace/tests/check_recording.py):
 * session, file, page and byte counts exact, histograms equal to the
 * event counts, blackout phases ordered and adding up, JSON and timeline
 * parseable.
 *
 * Stage 1 starts `lu-trace record`, preserves 7 fully written memfds of
 * known sizes in 3 sessions, preserves a file of the test FLB in a fourth
 * session ("app-flb") and closes it (the FLB is preserved and unpreserved
 * with it), stops the recorder, saves `lu-trace kho`, and leaves the
 * sessions for the kexec. It also checks that an unprivileged
 * user gets the documented error.
 *
 * Stage 2 records again (appending), retrieves every memfd, checks its
 * contents and finishes the sessions, then writes report, timeline,
 * blackout and kho outputs to the disk.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"
#include "lu_trace_util.h"

#define REC		MNT "/update.lut"

static const struct {
	const char *session;
	__u64 token;
	unsigned long size;
} files[] = {
	{ "app-db", 1, 4UL << 20 },
	{ "app-db", 2, 1UL << 20 },
	{ "app-db", 3, 64UL << 10 },
	{ "app-cache", 1, 2UL << 20 },
	{ "app-cache", 2, 12UL << 10 },
	{ "app-conf", 1, 4UL << 10 },
	{ "app-conf", 2, 8UL << 10 },
};

static const char * const sessions[] = { "app-db", "app-cache", "app-conf" };

#define NR_FILES	(int)(sizeof(files) / sizeof(files[0]))
#define NR_SESSIONS	(int)(sizeof(sessions) / sizeof(sessions[0]))

static unsigned char pattern(int file, unsigned long off)
{
	return (unsigned char)(file * 37 + off / 4096 * 11 + off % 251);
}

/* Run lu-trace as nobody: it must refuse with the documented message. */
static void check_unprivileged(void)
{
	int status;
	pid_t pid = fork();

	if (!pid) {
		int fd = open("/tmp/unpriv.err", O_WRONLY | O_CREAT | O_TRUNC, 0666);

		if (fd < 0 || dup2(fd, 2) < 0 || setgid(65534) || setuid(65534))
			_exit(126);
		execl(LU_TRACE, LU_TRACE, "record", "-o", "/tmp/unpriv.lut", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	luo_check(WIFEXITED(status) && WEXITSTATUS(status) == 1 &&
		  file_contains("/tmp/unpriv.err",
				"lu-trace record: Operation not permitted: loading BPF programs needs root"),
		  "unprivileged record fails with the documented message");
}

static void write_workload(void)
{
	FILE *f = fopen(MNT "/workload.txt", "w");

	luo_require(f, "workload.txt");
	for (int i = 0; i < NR_FILES; i++)
		fprintf(f, "%s %llu %lu\n", files[i].session, (unsigned long long)files[i].token,
			files[i].size);
	fclose(f);
}

static int session_index(const char *name)
{
	for (int i = 0; i < NR_SESSIONS; i++)
		if (!strcmp(sessions[i], name))
			return i;
	return -1;
}

static void stage1(void)
{
	int luo, s[NR_SESSIONS], ok = 0, flb_s, flb_f, ret;
	pid_t rec;

	ksft_set_plan(16);
	luo_require(mount_disk(), "ext2 disk mounted");
	check_unprivileged();
	luo_check(!close(open("/tmp/foreign", O_WRONLY | O_CREAT, 0644)) &&
		  lu_write_file("/tmp/foreign", "not a recording") &&
		  run((char *[]){ LU_TRACE, "record", "-o", "/tmp/foreign", NULL }, NULL,
		      "/tmp/foreign.err") == 1 &&
		  file_contains("/tmp/foreign.err", "/tmp/foreign exists and is not a lu-trace recording"),
		  "record refuses to append to a file that is not a recording");
	unlink(REC);
	rec = record_start(REC);
	luo_require(rec > 0, "lu-trace record started");

	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	for (int i = 0; i < NR_SESSIONS; i++) {
		s[i] = luo_create_session(luo, sessions[i]);
		luo_require(s[i] >= 0, "create %s (%s)", sessions[i], luo_strerror(s[i]));
	}
	for (int i = 0; i < NR_FILES; i++) {
		int fd = memfd_create(files[i].session, 0);
		unsigned char *p;
		int ret;

		if (fd < 0 || ftruncate(fd, files[i].size))
			continue;
		p = mmap(NULL, files[i].size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			continue;
		for (unsigned long off = 0; off < files[i].size; off++)
			p[off] = pattern(i, off);
		munmap(p, files[i].size);
		ret = luo_preserve_fd(s[session_index(files[i].session)], fd, files[i].token);
		ok += !ret;
	}
	luo_require(ok == NR_FILES, "%d memfds preserved in %d sessions (%d)", NR_FILES,
		    NR_SESSIONS, ok);
	flb_s = luo_create_session(luo, "app-flb");
	flb_f = test_file_create(1);
	ret = flb_s < 0 ? flb_s : flb_f < 0 ? flb_f : test_file_cmd(flb_f, "flb");
	ret = ret ?: luo_preserve_fd(flb_s, flb_f, 1);
	luo_check(!ret, "a file of the test FLB preserved in app-flb, then closed (%s)",
		  luo_strerror(ret));
	close(flb_f);
	close(flb_s);
	write_workload();
	luo_check(record_stop(rec) == 0, "recorder stopped cleanly");
	luo_check(file_size(REC) > 0, "recording written (%ld bytes)", file_size(REC));
	luo_check(run((char *[]){ LU_TRACE, "kho", "--json", NULL }, MNT "/kho-out.json",
		      MNT "/kho.err") == 0, "lu-trace kho --json before the kexec");
	luo_check(run((char *[]){ LU_TRACE, "blackout", "--json", NULL }, MNT "/blackout-cold.json",
		      NULL) == 0, "lu-trace blackout on the cold boot");
	sync();
	umount(MNT);
	luo_check(daemonize_and_hold() > 0, "sessions held for the kexec");
	ksft_finished();
}

static void stage2(void)
{
	int luo, ok = 0, fin = 0;
	pid_t rec;

	ksft_set_plan(13);
	luo_require(mount_disk(), "ext2 disk mounted");
	rec = record_start(REC);
	luo_require(rec > 0, "lu-trace record started (appending)");
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	for (int j = 0; j < NR_SESSIONS; j++) {
		int s = luo_retrieve_session(luo, sessions[j]);

		if (s < 0)
			continue;
		for (int i = 0; i < NR_FILES; i++) {
			unsigned char *p;
			bool same = true;
			int fd;

			if (strcmp(files[i].session, sessions[j]))
				continue;
			fd = luo_retrieve_fd(s, files[i].token);
			if (fd < 0)
				continue;
			p = mmap(NULL, files[i].size, PROT_READ, MAP_SHARED, fd, 0);
			if (p == MAP_FAILED)
				continue;
			for (unsigned long off = 0; off < files[i].size && same; off++)
				same = p[off] == pattern(i, off);
			munmap(p, files[i].size);
			close(fd);
			ok += same;
		}
		fin += !luo_finish(s);
		close(s);
	}
	luo_check(ok == NR_FILES, "%d memfds retrieved with their data (%d)", NR_FILES, ok);
	luo_check(fin == NR_SESSIONS, "%d sessions finished (%d)", NR_SESSIONS, fin);
	luo_check(record_stop(rec) == 0, "recorder stopped cleanly");

	luo_check(run((char *[]){ LU_TRACE, "report", "--json", REC, NULL },
		      MNT "/report.json", MNT "/report.err") == 0, "lu-trace report --json");
	luo_check(run((char *[]){ LU_TRACE, "report", "-H", REC, NULL }, MNT "/report.txt",
		      MNT "/report.err") == 0, "lu-trace report -H");
	luo_check(run((char *[]){ LU_TRACE, "timeline", "-o", MNT "/timeline.json", REC, NULL },
		      NULL, MNT "/timeline.err") == 0, "lu-trace timeline");
	luo_check(run((char *[]){ LU_TRACE, "blackout", "--json", NULL }, MNT "/blackout.json",
		      NULL) == 0, "lu-trace blackout --json");
	luo_check(run((char *[]){ LU_TRACE, "blackout", NULL }, MNT "/blackout.txt", NULL) == 0,
		  "lu-trace blackout");
	luo_check(run((char *[]){ LU_TRACE, "kho", "--json", NULL }, MNT "/kho-in.json",
		      MNT "/kho.err") == 0, "lu-trace kho --json after the kexec");
	/* Print the human outputs into the log for whoever reads it. */
	print_file(MNT "/report.txt");
	print_file(MNT "/blackout.txt");
	sync();
	luo_check(!umount(MNT), "disk unmounted");
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2)
