// SPDX-License-Identifier: GPL-2.0
/*
 * lu_trace_bench: what lu-trace costs a live update. Every stage retrieves
 * the 1 GiB memfd (4 KiB folios) the previous kernel preserved (timed),
 * then preserves a new one (timed) for the next kexec; the freeze of each
 * kernel is the freeze phase the next kernel's blackout shows. Stages 2-3,
 * 6-7, ... run with `lu-trace record` attached through their kexec, the
 * others without, so both modes are measured side by side in one guest run.
 *
 * With lu.bench_trace=0 no stage attaches (make bench then compares kernels
 * with the liveupdate events built in and built out).
 *
 * Output: "TRACE-BENCH stage=N traced=0|1 op=preserve|retrieve|freeze ns=N"
 * (freeze lines carry the mode of the kernel that froze).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"
#include "lu_trace_util.h"

#define SIZE		(1UL << 30)
#define SESSION		"trace-bench"
#define CARRY_TRACED	"lu_trace_bench.traced"

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * Stages 2-3, 6-7, 10-11... attach lu-trace, unless lu.bench_trace=0
 * (never). Not simply every other stage: a retrieve in an even stage is
 * 10-15 % slower than in an odd one even with no tracing at all (the
 * memory layout alternates between kexecs), so each mode gets both.
 */
static bool traced(int stage)
{
	char buf[8];

	if (lu_cmdline_param("lu.bench_trace", buf, sizeof(buf)) && !strcmp(buf, "0"))
		return false;
	return (stage / 2) % 2 == 1;
}

static void result(int stage, int tr, const char *op, unsigned long long ns)
{
	printf("TRACE-BENCH stage=%d traced=%d op=%s ns=%llu\n", stage, tr, op, ns);
	fflush(stdout);
}

static void retrieve_previous(int stage, int luo)
{
	char buf[4096], prev[8];
	unsigned long long t0, t;
	int s, fd;
	FILE *f;

	/* The freeze phase of the kernel that handed over. */
	f = fopen("/sys/kernel/liveupdate/blackout", "re");
	luo_require(f, "blackout file");
	while (fgets(buf, sizeof(buf), f)) {
		unsigned long long ns;

		if (sscanf(buf, "phase freeze %llu", &ns) == 1 &&
		    lu_carry_get(CARRY_TRACED, prev, sizeof(prev)))
			result(stage - 1, atoi(prev), "freeze", ns);
	}
	fclose(f);
	t0 = now_ns();
	s = luo_retrieve_session(luo, SESSION);
	fd = s < 0 ? s : luo_retrieve_fd(s, 1);
	t = now_ns() - t0;
	luo_require(fd >= 0, "retrieve the previous kernel's 1 GiB (%s)", luo_strerror(fd));
	result(stage, traced(stage), "retrieve", t);
	luo_check(!luo_finish(s), "finish");
	close(fd);
	close(s);
}

static void preserve_next(int stage, int luo)
{
	unsigned long long t0, t;
	int s, fd, ret;
	char *p;

	s = luo_create_session(luo, SESSION);
	fd = memfd_create("bench", 0);
	luo_require(s >= 0 && fd >= 0 && !ftruncate(fd, SIZE), "1 GiB memfd");
	p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	luo_require(p != MAP_FAILED, "mapped");
	for (unsigned long off = 0; off < SIZE; off += 4096)
		p[off] = (char)(off >> 12);
	munmap(p, SIZE);
	t0 = now_ns();
	ret = luo_preserve_fd(s, fd, 1);
	t = now_ns() - t0;
	luo_require(!ret, "preserve 1 GiB (%s)", luo_strerror(ret));
	result(stage, traced(stage), "preserve", t);
	luo_check(lu_carry_set(CARRY_TRACED, "%d", traced(stage)), "mode carried");
	luo_check(daemonize_and_hold() > 0, "held for the kexec");
}

int main(int argc, char **argv)
{
	int stage = lu_stage(argc, argv), luo;
	pid_t rec = 0;

	ksft_print_header();
	ksft_set_plan(stage == lu_stages() ? 4 : stage == 1 ? 6 : 9);
	if (traced(stage)) {
		/* Stays attached through the kexec: it is never stopped. */
		rec = fork();
		if (!rec) {
			execl(LU_TRACE, LU_TRACE, "record", "-o", "/tmp/bench.lut", (char *)NULL);
			_exit(127);
		}
		for (int i = 0; i < 3000 && file_size("/tmp/bench.lut") <= 0; i++)
			usleep(10000);
	}
	luo_require(!traced(stage) || file_size("/tmp/bench.lut") > 0,
		    "lu-trace record attached: %s", traced(stage) ? "yes" : "no");
	luo = luo_open_device();
	if (stage > 1)
		retrieve_previous(stage, luo);
	if (stage < lu_stages())
		preserve_next(stage, luo);
	else if (rec > 0)
		record_stop(rec);
	ksft_finished();
}
