// SPDX-License-Identifier: GPL-2.0
/*
 * lu_keep_demo: what `make demo` shows. Debian's memcached, unmodified,
 * runs under lu-keep; a client fills it with 100,000 keys and keeps
 * reading while lu-keep stops memcached and preserves its memory file
 * (lu-trace top watching, lu-trace record recording); the kernel kexecs
 * into itself; lu-keep brings memcached back with its memory, and the
 * client finds every key. The client-seen downtime is printed next to the
 * kernel's blackout phases, and then, for comparison, memcached is
 * restarted cold (no lu-keep, no kernel update) and the same client sees
 * an empty cache. Lines for people are "# " lines; make demo prints them.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/utsname.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"
#include "lu_trace_util.h"
#include "lu_keep_util.h"

#define REC		MNT "/demo.lut"
#define CARRY_LAST_OK	"lu_keep_demo.last_ok_ns"
#define CARRY_ITEMS	"lu_keep_demo.items"
#define CARRY_STOP	"lu_keep_demo.stop_ms"

static void banner(const char *what)
{
	struct utsname u;

	uname(&u);
	ksft_print_msg("\n");
	ksft_print_msg("==== %s (Linux %s) ====\n", what, u.release);
}

static void say_cmd(const char *cmd)
{
	ksft_print_msg("\n");
	ksft_print_msg("$ %s\n", cmd);
}

/* 1234567 -> "1,234,567" */
static const char *commas(long long v, char *buf)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%lld", v), o = 0;

	for (int i = 0; i < n; i++) {
		buf[o++] = tmp[i];
		if (tmp[i] != '-' && (n - i - 1) % 3 == 0 && i < n - 1)
			buf[o++] = ',';
	}
	buf[o] = '\0';
	return buf;
}

static long long stats_value(const char *key)
{
	char *argv[] = { LU_MC, "stats", NULL };

	return run_to("/tmp/stats.txt", argv) ? -1 : kv_get("/tmp/stats.txt", key);
}

static void print_indented(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");

	while (f && fgets(line, sizeof(line), f))
		ksft_print_msg("  %s", line);
	if (f)
		fclose(f);
}

static long long now_ns_demo(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The last "lu-trace top - " frame of a --no-clear recording. */
static void print_last_frame(const char *path)
{
	char *s = slurp_file(path), *p = s, *q, *save = NULL, *line;

	while ((q = strstr(p + 1, "lu-trace top - ")))
		p = q;
	for (line = strtok_r(p, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		ksft_print_msg("  %s\n", line);
	free(s);
}

/* The lines of @path from the one starting with @from up to one starting with @to. */
static void print_from(const char *path, const char *from, const char *to)
{
	char line[512];
	bool on = false;
	FILE *f = fopen(path, "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (!on && !strncmp(line, from, strlen(from)))
			on = true;
		else if (on && to && !strncmp(line, to, strlen(to)))
			break;
		if (on)
			ksft_print_msg("  %s", line);
	}
	if (f)
		fclose(f);
}

static void stage1(void)
{
	char n1[32], n2[32];
	long long items;
	pid_t keep, rec, top, watch;
	double stop_s;

	ksft_set_plan(9);
	banner("Stage 1, cold boot: memcached runs under lu-keep");
	luo_require(mount_disk(), "disk for the recording mounted");
	unlink(REC);
	rec = record_start(REC);
	luo_require(rec > 0, "lu-trace record -o " REC " started");
	ksft_print_msg("lu-trace record -o %s is recording.\n", REC);

	luo_require(loopback_up(), "loopback up");
	say_cmd(KEEP_RUN_EXAMPLE " &");
	keep = keep_start(keep_argv(KEEP_RUN_EXAMPLE));
	luo_require(keep > 0 && keep_wait_up(keep, 0, 300), "memcached up under lu-keep");
	keep_print_log(0);

	say_cmd("lu_mc fill -n " MC_KEYS "      # a client stores keys of mixed sizes");
	luo_require(!run_to("/tmp/fill.txt", (char *[]){ LU_MC, "fill", "-n", MC_KEYS, NULL }),
		    "lu_mc fill");
	items = stats_value("curr_items");
	ksft_print_msg("  %s keys, %.1f MiB of values (%lld within 1000 bytes of memcached's item size limit, %lld bytes) in %.1f s; curr_items %s\n",
		       commas(kv_get("/tmp/fill.txt", "filled"), n1),
		       kv_get("/tmp/fill.txt", "bytes") / 1048576.0,
		       kv_get("/tmp/fill.txt", "near_limit"), kv_get("/tmp/fill.txt", "max_value"),
		       atof(strstr(slurp_file("/tmp/fill.txt"), "seconds=") + 8), commas(items, n2));

	ksft_print_msg("\n");
	ksft_print_msg("A client keeps reading (a get of a random key every 5 ms) while lu-keep\n");
	ksft_print_msg("stops memcached and preserves its memory; lu-trace top watches.\n");
	watch = watch_start("/tmp/watch1.txt");
	top = fork();
	if (!top)
		_exit(run((char *[]){ LU_TRACE, "top", "-i", "0.5", "-n", "60", "--no-clear", NULL },
			  "/tmp/top.txt", NULL));
	usleep(1000000);
	say_cmd(KEEP_STOP_EXAMPLE);
	stop_s = now_ns_demo();
	luo_require(!keep_cmd(KEEP_STOP_EXAMPLE, "/tmp/stop.txt"), "lu-keep stop: preserved");
	stop_s = (now_ns_demo() - stop_s) / 1e9;
	print_indented("/tmp/stop.txt");
	/* one refresh after the preserve, then top has shown it */
	usleep(700000);
	kill(top, SIGINT);
	luo_check(waitpid(top, NULL, 0) == top, "lu-trace top ran");
	ksft_print_msg("\n");
	ksft_print_msg("$ lu-trace top -i 0.5 --no-clear   # (its last refresh)\n");
	print_last_frame("/tmp/top.txt");
	luo_check(watch_stop(watch), "the client stopped");
	ksft_print_msg("\n");
	ksft_print_msg("The client: %s gets, %s hits before memcached stopped.\n",
		       commas(kv_get("/tmp/watch1.txt", "gets"), n1),
		       commas(kv_get("/tmp/watch1.txt", "hits"), n2));
	lu_carry_set(CARRY_LAST_OK, "%lld", kv_get("/tmp/watch1.txt", "last_ok_ns"));
	lu_carry_set(CARRY_ITEMS, "%lld", items);
	lu_carry_set(CARRY_STOP, "%.0f", stop_s * 1000);
	luo_check(record_stop(rec) == 0, "recorder stopped");
	sync();
	umount(MNT);
	ksft_print_msg("\n");
	ksft_print_msg("kexec into the new kernel now; lu-keep holds the session until then...\n");
	ksft_finished();
}

/* Start plain memcached (no lu-keep, no memory file): a cold restart. */
static pid_t cold_memcached(void)
{
	pid_t pid = fork();

	if (!pid) {
		int null = open("/dev/null", O_RDWR);

		setsid();
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		execl("/usr/bin/memcached", "memcached", "-u", "root", "-m", "256", "-l", "127.0.0.1",
		      "-p", "11211", "-U", "0", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void stage2(void)
{
	char carry[64], n1[32], n2[32], n3[32];
	long long last_ok_old = 0, items_before = -1, prev_mono, mono, total, first_ok;
	long long stop_ms = 0, items, last_ok, down_ns, refill_ms, cold_items;
	pid_t keep, rec, watch, mc;
	double t0;
	bool all;

	ksft_set_plan(13);
	banner("Stage 2, after the kexec: lu-keep brings memcached back");
	luo_require(mount_disk(), "disk for the recording mounted");
	rec = record_start(REC);
	luo_require(rec > 0, "lu-trace record -o " REC " started (appends)");
	if (lu_carry_get(CARRY_LAST_OK, carry, sizeof(carry)))
		last_ok_old = atoll(carry);
	if (lu_carry_get(CARRY_ITEMS, carry, sizeof(carry)))
		items_before = atoll(carry);
	if (lu_carry_get(CARRY_STOP, carry, sizeof(carry)))
		stop_ms = atoll(carry);

	ksft_print_msg("The client is back and retrying its gets every 5 ms.\n");
	watch = watch_start("/tmp/watch2.txt");
	luo_require(loopback_up(), "loopback up");
	say_cmd(KEEP_RUN_EXAMPLE " &");
	keep = keep_start(keep_argv(KEEP_RUN_EXAMPLE));
	luo_require(keep > 0 && keep_wait_up(keep, 0, 300), "memcached up under lu-keep");
	keep_print_log(0);
	/* let the client see memcached answer */
	usleep(500000);
	luo_check(watch_stop(watch), "the client saw memcached come back");

	say_cmd("lu_mc check -n " MC_KEYS "     # every key, every byte of every value");
	all = !run_to("/tmp/check.txt", (char *[]){ LU_MC, "check", "-n", MC_KEYS, NULL });
	items = stats_value("curr_items");
	ksft_print_msg("  %s of %s keys back, values and flags identical (%lld missing, %lld wrong) in %.1f s\n",
		       commas(kv_get("/tmp/check.txt", "ok"), n1), commas(atoll(MC_KEYS), n2),
		       kv_get("/tmp/check.txt", "missing"), kv_get("/tmp/check.txt", "wrong"),
		       atof(strstr(slurp_file("/tmp/check.txt"), "seconds=") + 8));
	ksft_print_msg("  curr_items %s before the kexec, %s after\n", commas(items_before, n1),
		       commas(items, n2));
	luo_check(all && items == items_before, "every key restored, curr_items equal");

	/* Both kernels' clocks meet at the reboot instant. */
	prev_mono = blackout_value("prev_mono_ns", 0);
	mono = blackout_value("mono_ns", 0);
	total = blackout_value("total_ns", -1);
	first_ok = kv_get("/tmp/watch2.txt", "first_ok_ns");
	last_ok = last_ok_old - prev_mono;	/* < 0: before the reboot */
	first_ok -= mono;			/* > 0: after it */
	down_ns = first_ok - last_ok;
	luo_check(last_ok_old > 0 && first_ok > 0 && total > 0, "downtime measured");
	ksft_print_msg("\n");
	ksft_print_msg("Downtime as the client saw it, next to the kernel's blackout\n");
	ksft_print_msg("(seconds from reboot(2) in the old kernel; both kernels' clocks meet there):\n");
	{
		struct { long long t; const char *what; } ev[] = {
			{ last_ok, "the client's last successful get" },
			{ last_ok + stop_ms * 1000000, "lu-keep stop returns: memcached stopped, its memory preserved" },
			{ 0, "reboot(2): the kernel's blackout begins" },
			{ first_ok, "the client's first successful get" },
			{ total, "lu-keep finishes the session: the kernel's blackout ends" },
		};
		int n = sizeof(ev) / sizeof(ev[0]);

		for (int i = 0; i < n; i++)	/* in time order */
			for (int j = i + 1; j < n; j++)
				if (ev[j].t < ev[i].t) {
					typeof(ev[0]) x = ev[i];

					ev[i] = ev[j];
					ev[j] = x;
				}
		for (int i = 0; i < n; i++)
			ksft_print_msg("  %8.3f  %s\n", ev[i].t / 1e9, ev[i].what);
	}
	ksft_print_msg("  client-seen downtime %.3f s = lu-keep stop %.3f s (memcached's own stop, then the preserve)\n",
		       down_ns / 1e9, stop_ms / 1e3);
	ksft_print_msg("    + %.3f s of this demo's harness before reboot(2) (stopping lu-trace record, the\n",
		       (-last_ok - stop_ms * 1000000) / 1e9);
	ksft_print_msg("      test runner loading the next kernel again; a real update loads it first)\n");
	ksft_print_msg("    + %.3f s from reboot(2) to the first get: the kernel's blackout phases below\n",
		       first_ok / 1e9);
	ksft_print_msg("      (userspace includes starting lu-trace record; restore is lu-keep's retrieve and\n");
	ksft_print_msg("      memcached's restart until it answers)\n");
	ksft_print_msg("$ lu-trace blackout\n");
	luo_check(!run((char *[]){ LU_TRACE, "blackout", NULL }, "/tmp/b.txt", NULL),
		  "lu-trace blackout");
	print_indented("/tmp/b.txt");

	/* For comparison: memcached restarted cold, as without lu-keep. */
	ksft_print_msg("\n");
	ksft_print_msg("For comparison, a cold restart of memcached (no lu-keep, no kernel update):\n");
	watch = watch_start("/tmp/watch3.txt");
	usleep(500000);
	say_cmd("lu-keep release --session memcached; memcached -u root -m 256 -l 127.0.0.1 -p 11211 -U 0 &");
	luo_check(!keep_cmd("lu-keep release --session memcached", "/tmp/release.txt"),
		  "lu-keep release");
	print_indented("/tmp/release.txt");
	mc = cold_memcached();
	usleep(1500000);
	luo_check(mc > 0 && watch_stop(watch), "the client saw the cold restart");
	cold_items = stats_value("curr_items");
	t0 = now_ns_demo();
	luo_check(!run_to("/tmp/refill.txt", (char *[]){ LU_MC, "fill", "-n", MC_KEYS, NULL }),
		  "refilled");
	refill_ms = (now_ns_demo() - t0) / 1000000;
	ksft_print_msg("\n");
	ksft_print_msg("%-32s %20s %20s\n", "", "live update", "cold restart");
	ksft_print_msg("%-32s %20s %20s\n", "", "(lu-keep, kexec)", "(memcached only)");
	{
		char a[48], b[48];
		long long h2 = kv_get("/tmp/watch2.txt", "after_hits"),
			  m2 = kv_get("/tmp/watch2.txt", "after_misses"),
			  h3 = kv_get("/tmp/watch3.txt", "after_hits"),
			  m3 = kv_get("/tmp/watch3.txt", "after_misses");

		snprintf(a, sizeof(a), "%.3f s", down_ns / 1e9);
		snprintf(b, sizeof(b), "%.3f s", kv_get("/tmp/watch3.txt", "gap_ms") / 1e3);
		ksft_print_msg("%-32s %20s %20s\n", "client-seen downtime", a, b);
		snprintf(a, sizeof(a), "%.1f %% (%lld/%lld)", h2 + m2 ? 100.0 * h2 / (h2 + m2) : 0,
			 h2, h2 + m2);
		snprintf(b, sizeof(b), "%.1f %% (%lld/%lld)", h3 + m3 ? 100.0 * h3 / (h3 + m3) : 0,
			 h3, h3 + m3);
		ksft_print_msg("%-32s %20s %20s\n", "hit rate right after", a, b);
		ksft_print_msg("%-32s %20s %20s\n", "curr_items right after", commas(items, n1),
			       commas(cold_items, n3));
		snprintf(b, sizeof(b), "%.1f s", refill_ms / 1e3);
		ksft_print_msg("%-32s %20s %20s\n", "time to a full cache again", "0 (it stayed full)", b);
		ksft_print_msg("%-32s %20s %20s\n", "kernel", "updated", "unchanged");
		(void)n2;
	}
	ksft_print_msg("(The cold cache was refilled by this client; a real one refills from its backend.)\n");

	luo_check(record_stop(rec) == 0, "recorder stopped");
	ksft_print_msg("\n");
	ksft_print_msg("Both sides of the update (lu-trace report " REC "):\n");
	luo_check(!run((char *[]){ LU_TRACE, "report", REC, NULL }, "/tmp/r.txt", NULL),
		  "lu-trace report");
	print_from("/tmp/r.txt", "lu-trace report:", "Live update ");
	print_from("/tmp/r.txt", "SESSION ", NULL);
	run((char *[]){ LU_TRACE, "timeline", "-o", MNT "/demo-timeline.json", REC, NULL }, NULL,
	    "/tmp/t.err");
	kill(mc, SIGTERM);
	sync();
	umount(MNT);
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2)
