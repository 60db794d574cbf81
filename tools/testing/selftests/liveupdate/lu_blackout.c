// SPDX-License-Identifier: GPL-2.0
/*
 * lu_blackout: the blackout of a live update is measured across the kexec
 * and shown in /sys/kernel/liveupdate/blackout and the luo_blackout event.
 *
 * Stage 1 (cold boot) sees "state none" with no update, makes one kexec
 * fail (a test file refuses to freeze) and sees "failed 1", then leaves
 * two sessions of one test file each for the real kexec.
 *
 * Stage 2 sees the update restoring: every stamp up to luo_ready, in order,
 * the previous kernel's release, the counts, no total yet. Retrieving the
 * first session adds first_retrieve; finishing the last one completes the
 * update: nine stamps, eight phases that add up to total_ns, and the
 * luo_blackout event with the same numbers. It then kexecs with no session.
 *
 * Stage 3 sees update 2, complete at once (nothing to restore), with the
 * failed attempt of stage 1 still counted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"

#define BLACKOUT	"/sys/kernel/liveupdate/blackout"
#define TRACING		"/sys/kernel/tracing"

static const char * const stamp_names[] = {
	"reboot", "frozen", "serialized", "jump", "entry", "kho_ready", "luo_ready",
	"first_retrieve", "finished",
};

static const char * const phase_names[] = {
	"freeze", "serialize", "shutdown", "jump", "kho", "boot", "userspace", "restore",
};

#define NR_STAMPS	9
#define NR_PHASES	8

struct blackout {
	char state[16];
	char from[80];
	long long updates, failed, sessions, files, khz, total, prev_mono, mono;
	long long freeze_files, freeze_sum, freeze_max, freeze_hist_sum;
	int freeze_slots;		/* counts on the freeze_hist line */
	long long stamp[NR_STAMPS];	/* -1: absent */
	long long phase[NR_PHASES];	/* -1: absent */
	int unknown;			/* lines not understood */
};

static int name_index(const char * const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

/* Parse the sysfs file; false if it cannot be read. */
static bool blackout_read(struct blackout *b)
{
	char line[256], name[64];
	long long v;
	FILE *f;
	int i;

	memset(b, 0, sizeof(*b));
	b->total = b->khz = b->prev_mono = -1;
	for (i = 0; i < NR_STAMPS; i++)
		b->stamp[i] = -1;
	for (i = 0; i < NR_PHASES; i++)
		b->phase[i] = -1;
	f = fopen(BLACKOUT, "re");
	if (!f) {
		ksft_print_msg(BLACKOUT ": %s\n", strerror(errno));
		return false;
	}
	while (fgets(line, sizeof(line), f)) {
		ksft_print_msg("  %s", line);
		if (sscanf(line, "state %15s", b->state) == 1 ||
		    sscanf(line, "from %79s", b->from) == 1 ||
		    sscanf(line, "updates %lld", &b->updates) == 1 ||
		    sscanf(line, "failed %lld", &b->failed) == 1 ||
		    sscanf(line, "sessions %lld", &b->sessions) == 1 ||
		    sscanf(line, "files %lld", &b->files) == 1 ||
		    sscanf(line, "clock tsc %lld", &b->khz) == 1 ||
		    sscanf(line, "prev_mono_ns %lld", &b->prev_mono) == 1 ||
		    sscanf(line, "mono_ns %lld", &b->mono) == 1 ||
		    sscanf(line, "total_ns %lld", &b->total) == 1 ||
		    sscanf(line, "freeze_files %lld", &b->freeze_files) == 1 ||
		    sscanf(line, "freeze_sum_ns %lld", &b->freeze_sum) == 1 ||
		    sscanf(line, "freeze_max_ns %lld", &b->freeze_max) == 1)
			continue;
		if (!strncmp(line, "freeze_hist ", 12)) {
			char *p = line + 11, *end;

			for (v = strtoll(p, &end, 10); end != p; v = strtoll(p, &end, 10)) {
				b->freeze_hist_sum += v;
				b->freeze_slots++;
				p = end;
			}
			continue;
		}
		if (sscanf(line, "stamp %63s %lld", name, &v) == 2 &&
		    (i = name_index(stamp_names, NR_STAMPS, name)) >= 0) {
			b->stamp[i] = v;
			continue;
		}
		if (sscanf(line, "phase %63s %lld", name, &v) == 2 &&
		    (i = name_index(phase_names, NR_PHASES, name)) >= 0) {
			b->phase[i] = v;
			continue;
		}
		b->unknown++;
	}
	fclose(f);
	return true;
}

/* Stamps 0..n-1 present and non-decreasing, the rest absent. */
static bool stamps_upto(const struct blackout *b, int n)
{
	for (int i = 0; i < NR_STAMPS; i++) {
		if ((i < n) != (b->stamp[i] >= 0))
			return false;
		if (i && i < n && b->stamp[i] < b->stamp[i - 1])
			return false;
	}
	return b->stamp[0] == 0;
}

/* Phases present exactly between present stamps, each the difference. */
static bool phases_match(const struct blackout *b)
{
	for (int i = 0; i < NR_PHASES; i++) {
		bool both = b->stamp[i] >= 0 && b->stamp[i + 1] >= 0;

		if (both != (b->phase[i] >= 0))
			return false;
		if (both && b->phase[i] != b->stamp[i + 1] - b->stamp[i])
			return false;
	}
	return true;
}

static long long phase_sum(const struct blackout *b)
{
	long long sum = 0;

	for (int i = 0; i < NR_PHASES; i++)
		sum += b->phase[i];
	return sum;
}

static void check_complete(const struct blackout *b, long long updates)
{
	struct utsname u;

	uname(&u);
	luo_check(!strcmp(b->state, "complete"), "state complete (%s)", b->state);
	luo_check(b->updates == updates, "updates %lld (%lld)", updates, b->updates);
	luo_check(stamps_upto(b, NR_STAMPS), "all 9 stamps present and ordered");
	luo_check(phases_match(b), "8 phases, each the span between its stamps");
	luo_check(b->total > 0 && b->total == b->stamp[NR_STAMPS - 1] &&
		  phase_sum(b) == b->total, "phases add up to total_ns %lld (sum %lld)",
		  b->total, phase_sum(b));
	luo_check(!strcmp(b->from, u.release), "from the previous release %s (%s)", u.release,
		  b->from);
	luo_check(b->khz > 0 && b->prev_mono > 0 && b->mono < 0 && !b->unknown,
		  "clock tsc %lld kHz, prev_mono_ns %lld, mono_ns %lld, all lines known",
		  b->khz, b->prev_mono, b->mono);
}

static void stage1(void)
{
	struct blackout b;
	int luo, s1, s2, f1, f2, ret;
	long rb;

	ksft_set_plan(10);
	luo_require(blackout_read(&b), BLACKOUT " readable");
	luo_check(!strcmp(b.state, "none") && b.updates == 0 && b.failed == 0 &&
		  b.stamp[0] < 0 && b.total < 0 && !b.unknown,
		  "cold boot: state none, updates 0, failed 0, no stamps");

	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	s1 = luo_create_session(luo, "blackout-1");
	s2 = luo_create_session(luo, "blackout-2");
	f1 = test_file_create(1);
	f2 = test_file_create(2);
	luo_require(s1 >= 0 && s2 >= 0 && f1 >= 0 && f2 >= 0 && !luo_preserve_fd(s1, f1, 1) &&
		    !luo_preserve_fd(s2, f2, 2), "two sessions of one file each");

	ret = test_file_cmd(f2, "fail-freeze");
	luo_require(!ret, "file 2 told to fail its freeze (%s)", luo_strerror(ret));
	if (lu_kexec_load_next())
		ksft_exit_fail_msg("loading the next kernel (lu-kexec --load) failed\n");
	fflush(stdout);
	rb = syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
		     LINUX_REBOOT_CMD_KEXEC, NULL);
	ret = rb < 0 ? -errno : 0;
	luo_require(ret == -EAGAIN, "failed freeze cancels the kexec (%s)", luo_strerror(ret));
	luo_require(blackout_read(&b), BLACKOUT " readable");
	luo_check(!strcmp(b.state, "none") && b.updates == 0 && b.failed == 1,
		  "failed attempt counted: failed 1 (%lld)", b.failed);
	luo_require(!test_file_cmd(f2, "ok"), "file 2 freezes again");
	luo_check(daemonize_and_hold() > 0, "sessions held for the kexec");
	ksft_finished();
}

/* The luo_blackout line of the trace, or NULL. */
static char *trace_blackout_line(char *buf, size_t len)
{
	FILE *f = fopen(TRACING "/trace", "re");
	char *found = NULL;

	if (!f)
		return NULL;
	while (fgets(buf, len, f))
		if ((found = strstr(buf, "luo_blackout: ")))
			break;
	fclose(f);
	return found;
}

static void stage2(void)
{
	char line[1024], *ev, want[256];
	struct blackout b;
	int luo, s1, s2, fd;

	ksft_set_plan(26);
	luo_require(blackout_read(&b), BLACKOUT " readable");
	luo_check(!strcmp(b.state, "restoring"), "state restoring (%s)", b.state);
	luo_check(b.updates == 1 && b.failed == 1 && b.sessions == 2 && b.files == 2,
		  "update 1, failed 1, 2 sessions, 2 files (%lld %lld %lld %lld)", b.updates,
		  b.failed, b.sessions, b.files);
	luo_check(stamps_upto(&b, 7), "stamps reboot..luo_ready present and ordered");
	luo_check(b.freeze_slots == 40 && b.freeze_files == 2 && b.freeze_hist_sum == 2 &&
		  b.freeze_max > 0 && b.freeze_max <= b.freeze_sum,
		  "freeze of the 2 files carried over: 40 slots holding 2, max %lld <= sum %lld",
		  b.freeze_max, b.freeze_sum);
	luo_check(phases_match(&b) && b.phase[6] < 0 && b.total < 0,
		  "phases freeze..boot, no userspace phase or total yet");

	luo_require(lu_write_file(TRACING "/trace", "") &&
		    lu_write_file(TRACING "/events/liveupdate/luo_blackout/enable", "1"),
		    "luo_blackout event enabled");
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	s1 = luo_retrieve_session(luo, "blackout-1");
	luo_require(s1 >= 0, "retrieve blackout-1 (%s)", luo_strerror(s1));
	luo_require(blackout_read(&b), BLACKOUT " readable");
	luo_check(!strcmp(b.state, "restoring") && stamps_upto(&b, 8) && phases_match(&b),
		  "first retrieve stamped, still restoring");
	fd = luo_retrieve_fd(s1, 1);
	luo_check(fd >= 0 && !luo_finish(s1), "blackout-1 retrieved and finished");
	luo_require(blackout_read(&b), BLACKOUT " readable");
	luo_check(!strcmp(b.state, "restoring") && stamps_upto(&b, 8),
		  "one session left: still restoring");

	s2 = luo_retrieve_session(luo, "blackout-2");
	luo_require(s2 >= 0 && luo_retrieve_fd(s2, 2) >= 0 && !luo_finish(s2),
		    "blackout-2 retrieved and finished");
	luo_require(blackout_read(&b), BLACKOUT " readable");
	check_complete(&b, 1);

	ev = trace_blackout_line(line, sizeof(line));
	luo_require(ev, "luo_blackout event fired");
	ksft_print_msg("%s", ev);
	snprintf(want, sizeof(want), "update=1 sessions=2 files=2 freeze_ns=%lld serialize_ns=%lld",
		 b.phase[0], b.phase[1]);
	luo_check(strstr(ev, want) != NULL, "event: %s", want);
	snprintf(want, sizeof(want), "userspace_ns=%lld restore_ns=%lld total_ns=%lld\n",
		 b.phase[6], b.phase[7], b.total);
	luo_check(strstr(ev, want) != NULL, "event: %s", want);
	ksft_finished();
}

static void stage3(void)
{
	struct blackout b;

	ksft_set_plan(9);
	luo_require(blackout_read(&b), BLACKOUT " readable");
	check_complete(&b, 2);
	luo_check(b.sessions == 0 && b.files == 0 && b.failed == 1,
		  "nothing handed over, stage 1's failure still counted");
	ksft_finished();
}

int main(int argc, char **argv)
{
	int stage = lu_stage(argc, argv);

	ksft_print_header();
	if (stage == 1)
		stage1();
	else if (stage == 2)
		stage2();
	else if (stage == 3)
		stage3();
	ksft_exit_fail_msg("no stage %d\n", stage);
}
