// SPDX-License-Identifier: GPL-2.0
/*
 * luo_close_after_serialize: once reboot(LINUX_REBOOT_CMD_KEXEC) has
 * serialized the sessions, nothing changes them, not even closing one.
 *
 * A holder may exit while the machine shuts down for the kexec, after LUO
 * serialized its session. Closing used to unpreserve the session's files
 * and free the blocks the serialized chain points at, so the next kernel
 * found a corrupt chain and dropped every session. Now the session crosses
 * the kexec as it was serialized.
 *
 * Stage 1 preserves two sessions, "kept-open" (a test file) and
 * "closed-late" (a test file and a memfd of known contents), holds the
 * kexec 400 ms after serialization (debugfs liveupdate/serialized_delay_ms)
 * and leaves a daemon that polls CREATE_SESSION("kept-open"): EEXIST while
 * LUO is live, EBUSY once it is serialized; then it closes "closed-late",
 * and tries to change the formats the kexec under way writes
 * (formats/memfd/write, next_formats), which must be EBUSY: it writes what
 * they returned into a page of a memfd preserved in "kept-open" (writes
 * into pages a preserved memfd has are carried over until the jump).
 * Stage 2 retrieves both sessions with every file intact, reads the two
 * results, and both sessions finish.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"

#define KEPT		"kept-open"
#define CLOSED		"closed-late"
#define CARRY_READY	"luo_close_after_serialize.ready"
#define DELAY_FILE	"/sys/kernel/debug/liveupdate/serialized_delay_ms"
#define MEMFD_SZ	(256 * 1024)
#define FORMAT_WRITE	"/sys/kernel/liveupdate/formats/memfd/write"
#define NEXT_FORMATS	"/sys/kernel/liveupdate/next_formats"
#define REPORT_MAGIC	0x5e71a1ed	/* the daemon ran after serialization */

static unsigned char pattern(long off)
{
	return (unsigned char)(off * 13 + (off >> 12));
}

static void stage1(void)
{
	char buf[4096];
	int luo, kept, closed, t1, t2, m, report, ret, res[3];
	pid_t pid;

	ksft_set_plan(7);
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	kept = luo_create_session(luo, KEPT);
	closed = luo_create_session(luo, CLOSED);
	luo_require(kept >= 0 && closed >= 0, "create two sessions (%s, %s)",
		    luo_strerror(kept), luo_strerror(closed));
	t1 = test_file_create(0x1111);
	t2 = test_file_create(0x2222);
	m = memfd_create("late", 0);
	report = memfd_create("report", 0);
	/* A page: the size is frozen once preserved, the daemon writes inside it. */
	luo_require(t1 >= 0 && t2 >= 0 && m >= 0 && report >= 0 && !ftruncate(report, 4096) &&
		    pwrite(report, "----", 4, 0) == 4, "two test files and two memfds");
	for (long off = 0; off < MEMFD_SZ; off += sizeof(buf)) {
		for (long k = 0; k < (long)sizeof(buf); k++)
			buf[k] = pattern(off + k);
		if (pwrite(m, buf, sizeof(buf), off) != sizeof(buf))
			ksft_exit_fail_msg("pwrite: %s\n", strerror(errno));
	}
	ret = luo_preserve_fd(kept, t1, 1);
	ret = ret ?: luo_preserve_fd(closed, t2, 1);
	ret = ret ?: luo_preserve_fd(closed, m, 2);
	ret = ret ?: luo_preserve_fd(kept, report, 2);
	luo_require(!ret, "preserve four files (%s)", luo_strerror(ret));
	close(t1);
	close(t2);
	close(m);
	luo_require(lu_write_file(DELAY_FILE, "400"), "hold the kexec 400 ms after serialization");
	luo_require(lu_carry_set(CARRY_READY, "1"), "carry to stage 2");
	pid = daemonize();
	if (pid == 0) {
		/* EEXIST while LUO is live; EBUSY once reboot() serialized it. */
		while ((ret = luo_create_session(luo, KEPT)) != -EBUSY)
			usleep(200);
		close(closed);
		res[0] = REPORT_MAGIC;
		res[1] = lu_write_attr(FORMAT_WRITE, "3");
		res[2] = lu_write_attr(NEXT_FORMATS, "memfd 3\n");
		if (pwrite(report, res, sizeof(res), 0) != sizeof(res))
			_exit(1);
		for (;;)
			pause();
	}
	luo_check(pid > 0, "daemon closes %s once serialized (%s)", CLOSED, luo_strerror(pid));
	ksft_finished();
}

static void stage2(void)
{
	int luo, kept, closed, t1, t2, m, report, ret, bad = 0, res[3] = {};
	__u64 v1 = 0, v2 = 0;
	char carry[8], buf[4096];

	ksft_set_plan(9);
	luo_require(lu_carry_get(CARRY_READY, carry, sizeof(carry)), "stage 1 completed");
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	kept = luo_retrieve_session(luo, KEPT);
	luo_check(kept >= 0, "%s crossed (%s)", KEPT, luo_strerror(kept));
	closed = luo_retrieve_session(luo, CLOSED);
	luo_require(closed >= 0, "%s, closed after serialization, crossed too (%s)", CLOSED,
		    luo_strerror(closed));
	t1 = kept >= 0 ? luo_retrieve_fd(kept, 1) : -EBADF;
	t2 = luo_retrieve_fd(closed, 1);
	luo_check(t1 >= 0 && t2 >= 0 && !test_file_value(t1, &v1) && !test_file_value(t2, &v2) &&
		  v1 == 0x1111 && v2 == 0x2222, "test file values %#llx %#llx",
		  (unsigned long long)v1, (unsigned long long)v2);
	m = luo_retrieve_fd(closed, 2);
	luo_require(m >= 0, "memfd retrieved (%s)", luo_strerror(m));
	for (long off = 0; off < MEMFD_SZ; off += sizeof(buf)) {
		if (pread(m, buf, sizeof(buf), off) != sizeof(buf))
			bad++;
		for (long k = 0; k < (long)sizeof(buf); k++)
			bad += (unsigned char)buf[k] != pattern(off + k);
	}
	luo_check(!bad, "memfd contents intact (%d bad bytes)", bad);
	report = kept >= 0 ? luo_retrieve_fd(kept, 2) : -EBADF;
	luo_check(report >= 0 && pread(report, res, sizeof(res), 0) == sizeof(res) &&
		  res[0] == REPORT_MAGIC && res[1] == -EBUSY && res[2] == -EBUSY,
		  "formats/memfd/write and next_formats refused once serialized (%s: %d, %d)",
		  res[0] == REPORT_MAGIC ? "reported" : "no report", res[1], res[2]);
	ret = kept >= 0 ? luo_finish(kept) : -EBADF;
	ret = ret ?: luo_finish(closed);
	luo_check(!ret, "both sessions finish (%s)", luo_strerror(ret));
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2)
