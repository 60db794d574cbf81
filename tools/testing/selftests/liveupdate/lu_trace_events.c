// SPDX-License-Identifier: GPL-2.0
/*
 * lu_trace_events: the liveupdate trace events fire at every step, with the
 * fields the tools rely on, on both sides of a kexec.
 *
 * Stage 1 enables every liveupdate event, preserves a 4 MiB memfd and a
 * test file in session "trace-s", closes a second session (unpreserve:
 * its test file and a file of the test FLB, which is preserved and
 * unpreserved with it),
 * and tries a kexec whose freeze fails (so the freeze, unfreeze and
 * serialize events are in this kernel's buffer); then it lets the real
 * kexec happen. Stage 2 enables the events, retrieves and finishes the
 * session, and checks the deserialize, retrieve, restore and finish events,
 * including that the session id is the one stage 1 saw.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"

#define TRACING		"/sys/kernel/tracing"
#define MEMFD_SIZE	(4UL << 20)

static const char * const events[] = {
	"kho_preserve", "kho_unpreserve", "kho_restore", "kho_vmalloc_preserve",
	"kho_vmalloc_restore", "kho_subtree_add", "kho_subtree_remove", "kho_block_grow",
	"kho_block_shrink", "kho_block_restore", "luo_session_create", "luo_session_retrieve",
	"luo_session_finish", "luo_session_release", "luo_file_preserve", "luo_file_unpreserve",
	"luo_file_freeze", "luo_file_unfreeze", "luo_file_retrieve", "luo_file_finish",
	"luo_serialize_begin", "luo_serialize_end", "luo_deserialize", "memfd_preserve",
	"memfd_retrieve", "luo_format", "luo_flb_preserve", "luo_flb_unpreserve",
	"luo_flb_retrieve", "luo_flb_finish",
};

#define NR_EVENTS	(int)(sizeof(events) / sizeof(events[0]))

static void tracing_on(void)
{
	char path[256];
	int missing = 0;

	for (int i = 0; i < NR_EVENTS; i++) {
		snprintf(path, sizeof(path), TRACING "/events/liveupdate/%s/format", events[i]);
		if (access(path, R_OK))
			missing++;
	}
	luo_check(!missing, "all %d liveupdate events exist (%d missing)", NR_EVENTS, missing);
	luo_require(lu_write_file(TRACING "/buffer_size_kb", "8192") &&
		    lu_write_file(TRACING "/trace", "") &&
		    lu_write_file(TRACING "/events/liveupdate/enable", "1"),
		    "liveupdate events enabled");
}

/* The whole trace buffer as one string (free it). */
static char *trace_read(void)
{
	size_t len = 0, cap = 1 << 20;
	char *buf = malloc(cap);
	int fd = open(TRACING "/trace", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (!buf || fd < 0)
		ksft_exit_fail_msg("reading the trace: %s\n", strerror(errno));
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len < 4096 && !(buf = realloc(buf, cap *= 2)))
			ksft_exit_fail_msg("out of memory\n");
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* Lines of @trace with event @ev (": ev: ") that contain @with (or any). */
static int count(const char *trace, const char *ev, const char *with)
{
	char needle[64];
	const char *p = trace;
	int n = 0;

	snprintf(needle, sizeof(needle), " %s: ", ev);
	while ((p = strstr(p, needle))) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (!with || memmem(p, len, with, strlen(with)))
			n++;
		p += len;
	}
	return n;
}

/* The value of "field=" in the first @ev line containing @with. */
static unsigned long long field(const char *trace, const char *ev, const char *with,
				const char *name)
{
	char needle[64], key[64];
	const char *p = trace;

	snprintf(needle, sizeof(needle), " %s: ", ev);
	snprintf(key, sizeof(key), " %s=", name);
	while ((p = strstr(p, needle))) {
		const char *end = strchr(p, '\n'), *k;
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if ((!with || memmem(p, len, with, strlen(with))) &&
		    (k = memmem(p, len, key, strlen(key))))
			return strtoull(k + strlen(key), NULL, 0);
		p += len;
	}
	return ~0ULL;
}

static void stage1(void)
{
	int luo, s, tmp, mfd, tf, tf2, tf3, ret;
	unsigned long long id;
	char *trace, *map;

	ksft_set_plan(20);
	if (lu_kexec_load_next())
		ksft_exit_fail_msg("loading the next kernel (lu-kexec --load) failed\n");
	tracing_on();
	luo = luo_open_device();
	luo_require(luo >= 0, "open /dev/liveupdate");
	s = luo_create_session(luo, "trace-s");
	tmp = luo_create_session(luo, "trace-closed");
	mfd = memfd_create("trace", 0);
	luo_require(s >= 0 && tmp >= 0 && mfd >= 0 && !ftruncate(mfd, MEMFD_SIZE),
		    "sessions and a 4 MiB memfd");
	map = mmap(NULL, MEMFD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	luo_require(map != MAP_FAILED, "mmap");
	memset(map, 0x5a, MEMFD_SIZE);
	munmap(map, MEMFD_SIZE);
	tf = test_file_create(7);
	tf2 = test_file_create(8);
	tf3 = test_file_create(9);
	ret = tf3 < 0 ? tf3 : test_file_cmd(tf3, "flb");
	ret = ret ?: luo_preserve_fd(s, mfd, 1) ?: luo_preserve_fd(s, tf, 2) ?:
	      luo_preserve_fd(tmp, tf2, 3) ?: luo_preserve_fd(tmp, tf3, 4);
	luo_require(!ret, "memfd and test files preserved (%s)", strerror(-ret));
	close(tmp);			/* unpreserve */
	/* A kexec whose freeze fails: cancelled, everything unfrozen. */
	luo_require(!test_file_cmd(tf, "fail-freeze"), "test file set to fail its freeze");
	ret = syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
		      LINUX_REBOOT_CMD_KEXEC, NULL);
	luo_require(ret == -1 && errno == EAGAIN, "kexec cancelled by the failed freeze (%s)",
		    strerror(errno));
	luo_require(!test_file_cmd(tf, "ok"), "test file freezes again");

	trace = trace_read();
	id = field(trace, "luo_session_create", "name=trace-s ", "session_id");
	luo_check(id != ~0ULL, "luo_session_create for trace-s, session_id %#llx", id);
	luo_check(count(trace, "luo_file_preserve", "compatible=memfd-v3 ret=0") == 1 &&
		  count(trace, "luo_file_preserve", "compatible=luo-test-v1 ret=0") == 2,
		  "luo_file_preserve: 1 memfd, 2 test files");
	luo_check(field(trace, "memfd_preserve", NULL, "pages") == MEMFD_SIZE / 4096 &&
		  field(trace, "memfd_preserve", NULL, "holes") == 0,
		  "memfd_preserve: %llu pages, %llu holes",
		  field(trace, "memfd_preserve", NULL, "pages"),
		  field(trace, "memfd_preserve", NULL, "holes"));
	luo_check(count(trace, "kho_preserve", "ret=0") >= 1,
		  "kho_preserve: %d blocks", count(trace, "kho_preserve", "ret=0"));
	luo_check(count(trace, "luo_session_release", "name=trace-closed ") == 1 &&
		  count(trace, "luo_file_unpreserve", "token=0x3 ") == 1,
		  "closing a session: luo_session_release and luo_file_unpreserve");
	luo_check(count(trace, "luo_flb_preserve", "compatible=luo-test-flb-v1 files=1 ret=0") == 1 &&
		  count(trace, "luo_flb_unpreserve", "compatible=luo-test-flb-v1 files=0 ret=0") == 1,
		  "the FLB file's session: luo_flb_preserve and luo_flb_unpreserve");
	luo_check(count(trace, "luo_serialize_begin", "sessions=1 files=2") == 1 &&
		  count(trace, "luo_serialize_end", "ret=-11") == 1,
		  "luo_serialize_begin/end of the cancelled kexec (ret=-EAGAIN)");
	luo_check(count(trace, "luo_format", "format=memfd version=4 live=1") == 1 &&
		  count(trace, "luo_format", "format=luo-test version=1 live=1") == 1 &&
		  count(trace, "luo_format", "format=luo version=2 live=1") == 1,
		  "luo_format: the version of each format with data, before the freeze");
	luo_check(count(trace, "luo_file_freeze", "ret=-11") == 1 &&
		  count(trace, "luo_file_unfreeze", NULL) >= 1,
		  "luo_file_freeze failed once, frozen files unfrozen");
	luo_check(count(trace, "kho_block_grow", "ret=0") >= 1, "kho_block_grow");
	free(trace);
	lu_carry_set("trace.id", "%llu", id);
	close(mfd);
	close(tf);
	close(tf2);
	close(luo);
	luo_require(daemonize_and_hold() >= 0, "daemon holds the session");
	ksft_finished();
}

static void stage2(void)
{
	unsigned long long want = ~0ULL, got;
	int luo, s, mfd, tf;
	char buf[32], *trace;

	ksft_set_plan(9);
	if (lu_carry_get("trace.id", buf, sizeof(buf)))
		want = strtoull(buf, NULL, 10);
	tracing_on();
	luo = luo_open_device();	/* deserializes */
	s = luo < 0 ? luo : luo_retrieve_session(luo, "trace-s");
	mfd = s < 0 ? s : luo_retrieve_fd(s, 1);
	tf = s < 0 ? s : luo_retrieve_fd(s, 2);
	luo_require(mfd >= 0 && tf >= 0 && !luo_finish(s), "retrieved and finished trace-s");

	trace = trace_read();
	luo_check(count(trace, "luo_deserialize", "sessions=1 files=2") == 1,
		  "luo_deserialize: 1 session, 2 files");
	got = field(trace, "luo_session_retrieve", "name=trace-s ", "session_id");
	luo_check(got == want && want != ~0ULL,
		  "luo_session_retrieve: session_id %#llx, the same as before the kexec (%#llx)",
		  got, want);
	luo_check(count(trace, "luo_file_retrieve", "ret=0") == 2, "luo_file_retrieve: 2 files");
	luo_check(field(trace, "memfd_retrieve", NULL, "pages") == MEMFD_SIZE / 4096,
		  "memfd_retrieve: %llu pages", field(trace, "memfd_retrieve", NULL, "pages"));
	luo_check(count(trace, "kho_restore", "ret=0") >= 1 &&
		  count(trace, "kho_block_restore", "ret=0") >= 1,
		  "kho_restore (%d) and kho_block_restore (%d)",
		  count(trace, "kho_restore", "ret=0"), count(trace, "kho_block_restore", "ret=0"));
	luo_check(count(trace, "luo_session_finish", "name=trace-s ") == 1 &&
		  count(trace, "luo_file_finish", NULL) == 2,
		  "luo_session_finish and 2 luo_file_finish");
	free(trace);
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2);
