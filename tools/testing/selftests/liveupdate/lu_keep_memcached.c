// SPDX-License-Identifier: GPL-2.0
/*
 * lu_keep_memcached: Debian's memcached, unmodified, keeps its cache across
 * kexecs under lu-keep (the command lines of lu-keep(8)'s EXAMPLES).
 *
 * lu.keep=ok (default), any number of stages: the cold boot fills 100,000
 * keys of mixed sizes (50 of them within 1000 bytes of memcached's item
 * size limit) and checks them; every stage then `lu-keep stop`s memcached
 * (SIGUSR1: it writes cache.meta) so that lu-keep preserves the cache and
 * its metadata and holds them through the kexec; every later stage's
 * `lu-keep run` restores them, and every value is checked byte for byte
 * and curr_items must equal the previous stage's. With a disk (/dev/vda)
 * lu-trace records every stage and the last one writes its report and what
 * lu-keep said it preserved, for tools/lu-keep/tests/check_report.py.
 *
 * Negative runs, two stages, 2,000 keys; the second stage must start
 * memcached cold (curr_items 0, every key missing) after lu-keep's error:
 *   lu.keep=size     the second stage asks for a 128M cache (and -m 128):
 *                    "size mismatch", the session discarded, each file named
 *   lu.keep=nometa   stopped with SIGTERM, memcached writes no cache.meta:
 *                    `lu-keep stop` fails "... cache.meta: No such file or
 *                    directory after the service stopped ...: nothing
 *                    preserved"; the next kernel has no session
 *   lu.keep=nostop   a service that ignores the stop signal (a shell that
 *                    traps SIGUSR1, memcached its child): after 3 s
 *                    "did not stop within 3 s of SIGUSR1: killed it;
 *                    nothing preserved"
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"
#include "lu_trace_util.h"
#include "lu_keep_util.h"

#define REC		MNT "/keep.lut"
#define CARRY_ITEMS	"lu_keep.items"
#define FEW_KEYS	"2000"

static char mode[32] = "ok";
static bool disk;

/* The example's command line, changed for the negative runs. */
static char **run_argv(int stage)
{
	char line[1024];

	snprintf(line, sizeof(line), "%s", KEEP_RUN_EXAMPLE);
	if (!strcmp(mode, "size") && stage == 2) {
		snprintf(line, sizeof(line), "%s",
			 "lu-keep run --session memcached --file /run/memcached/cache:128M "
			 "--file /run/memcached/cache.meta --stop-signal USR1 --ready-tcp 11211 "
			 "-- memcached -u root -m 128 -e /run/memcached/cache -l 127.0.0.1 -p 11211 -U 0");
	} else if (!strcmp(mode, "nometa") && stage == 1) {
		snprintf(line, sizeof(line), "%s",
			 "lu-keep run --session memcached --file /run/memcached/cache:256M "
			 "--file /run/memcached/cache.meta --stop-signal TERM --ready-tcp 11211 "
			 "-- memcached -u root -m 256 -e /run/memcached/cache -l 127.0.0.1 -p 11211 -U 0");
	} else if (!strcmp(mode, "nostop") && stage == 1) {
		/* A shell that ignores SIGUSR1 with memcached as its child. */
		char **argv = keep_argv("lu-keep run --session memcached "
					"--file /run/memcached/cache:256M --file /run/memcached/cache.meta "
					"--stop-signal USR1 --stop-timeout 3 --ready-tcp 11211 -- sh -c X");
		int n = 0;

		while (argv[n])
			n++;
		argv[n - 1] = "trap '' USR1; memcached -u root -m 256 -e /run/memcached/cache "
			      "-l 127.0.0.1 -p 11211 -U 0; echo memcached ended";
		return argv;
	}
	return keep_argv(line);
}

static const char *nkeys(void)
{
	return strcmp(mode, "ok") ? FEW_KEYS : MC_KEYS;
}

/* lu_mc check: every key there with its value, or (cold) every key missing. */
static bool check_keys(bool cold)
{
	char *argv[] = { LU_MC, "check", "-n", (char *)nkeys(), cold ? "--empty" : NULL, NULL };
	bool ok = run_to("/tmp/check.txt", argv) == 0;

	print_file("/tmp/check.txt");
	print_file("/tmp/check.txt.err");
	if (cold)
		return ok && kv_get("/tmp/check.txt", "missing") == atol(nkeys());
	return ok && kv_get("/tmp/check.txt", "ok") == atol(nkeys()) &&
	       kv_get("/tmp/check.txt", "wrong") == 0 && kv_get("/tmp/check.txt", "missing") == 0 &&
	       (strcmp(nkeys(), MC_KEYS) || kv_get("/tmp/check.txt", "near_limit") == 50);
}

static long long stats(const char *key)
{
	char *argv[] = { LU_MC, "stats", NULL };

	if (run_to("/tmp/stats.txt", argv))
		return -1;
	print_file("/tmp/stats.txt");
	return kv_get("/tmp/stats.txt", key);
}

/* `lu-keep stop`: its exit status; its output (stdout and stderr) in @out. */
static int keep_stop(const char *out)
{
	int ret = keep_cmd(KEEP_STOP_EXAMPLE, out);

	print_file(out);
	return ret;
}

static void run_stage(int stage, int stages)
{
	bool first = stage == 1, last = stage == stages, cold, up;
	char carry[64], path[128];
	long long items, before = -1;
	pid_t keep, rec = -1;
	long log0 = file_len(KEEP_LOG) < 0 ? 0 : file_len(KEEP_LOG);

	bool ok_mode = !strcmp(mode, "ok");

	disk = !access("/dev/vda", F_OK);
	/* mount+record, up, (cold start+fill | restore), check, items, stop, recorder, report */
	ksft_set_plan((disk ? 2 : 0) + 2 + (first ? 3 : ok_mode ? 1 : 2) + 1 + 1 +
		      (last ? 1 : ok_mode || !strcmp(mode, "size") ? 2 : 1) + 1 + last);
	if (disk) {
		luo_require(mount_disk(), "disk for the lu-trace recording mounted");
		if (first)
			unlink(REC);
		rec = record_start(REC);
		luo_require(rec > 0, "lu-trace record -o %s", REC);
	}
	if (!first && lu_carry_get(CARRY_ITEMS, carry, sizeof(carry)))
		before = atoll(carry);
	/* A negative run's second stage must start cold. */
	cold = first || strcmp(mode, "ok");

	luo_require(loopback_up(), "loopback up");
	keep = keep_start(run_argv(stage));
	up = keep > 0 && keep_wait_up(keep, log0, 300);
	keep_print_log(log0);
	luo_require(up, "lu-keep run: memcached up");
	if (first) {
		char *argv[] = { LU_MC, "fill", "-n", (char *)nkeys(), NULL };

		luo_require(file_has(KEEP_LOG, "no preserved session (cold boot): starting cold"),
			    "cold boot: lu-keep starts memcached cold");
		luo_require(run_to("/tmp/fill.txt", argv) == 0, "lu_mc fill -n %s", nkeys());
		print_file("/tmp/fill.txt");
		luo_check(run((char *[]){ LU_KEEP, "status", "-s", "memcached", NULL }, "/tmp/status.txt",
			      "/tmp/status.err") == 0 &&
			  file_has("/tmp/status.txt", "lu-keep: memcached: service running (pid ") &&
			  file_has("/tmp/status.txt", "/run/memcached/cache -> /proc/"),
			  "lu-keep status: memcached running, its cache a symlink to lu-keep's memfd");
		print_file("/tmp/status.txt");
	} else if (!strcmp(mode, "ok")) {
		luo_check(file_has(KEEP_LOG, "retrieved session memcached: 2 files and the manifest") &&
			  file_has(KEEP_LOG, "session memcached finished"),
			  "lu-keep retrieved cache, cache.meta and its manifest, and finished the session");
	} else {
		static const char * const want[] = {
			[0] = "error: /run/memcached/cache: size mismatch: preserved 268435456 bytes, --file asks for 134217728",
			[1] = "error: the previous kernel handed over no session memcached: No such file or directory: starting cold",
		};
		const char *w = want[strcmp(mode, "size") ? 1 : 0];

		luo_check(file_has(KEEP_LOG, w), "lu-keep says: %s", w);
		if (!strcmp(mode, "size"))
			luo_check(file_has(KEEP_LOG, "discarding preserved /run/memcached/cache (256.0 MiB)") &&
				  file_has(KEEP_LOG, "discarding preserved /run/memcached/cache.meta (") &&
				  file_has(KEEP_LOG, "error: session memcached discarded (1 problem): starting cold"),
				  "every discarded file named, the session discarded whole");
		else
			luo_check(!file_has(KEEP_LOG, "retrieved session"), "nothing was restored");
	}
	luo_check(check_keys(cold && !first), "%s",
		  cold && !first ? "memcached started cold: every key missing" :
		  "every key's value and flags checked byte for byte");
	items = stats("curr_items");
	if (!cold)
		luo_check(items == before && stats("evictions") == 0,
			  "curr_items %lld equal to before the kexec (%lld), no evictions", items, before);
	else if (!first)
		luo_check(items == 0, "curr_items %lld: a cold cache", items);
	else
		luo_check(items > atol(nkeys()), "curr_items %lld after the fill", items);

	if (!last) {
		int ret = keep_stop("/tmp/stop.txt");
		long long bytes = -1;
		char *s;

		if (!strcmp(mode, "ok") || !strcmp(mode, "size")) {
			luo_require(ret == 0 && file_has("/tmp/stop.txt", "preserved 2 files"),
				    "lu-keep stop: memcached stopped, cache and cache.meta preserved");
			s = slurp_file("/tmp/stop.txt");
			if (strstr(s, "in session memcached: "))
				bytes = atoll(strstr(s, "in session memcached: ") + 22);
			free(s);
			luo_check(bytes > (256LL << 20) && bytes < (256LL << 20) + 8192,
				  "preserved %lld bytes: the 256 MiB cache, cache.meta and the manifest",
				  bytes);
		} else if (!strcmp(mode, "nometa")) {
			const char *w = "error: /run/memcached/cache.meta: No such file or directory after the service stopped (the service did not write it): nothing preserved";

			luo_check(ret == 1 && file_has("/tmp/stop.txt", w), "lu-keep stop fails: %s", w);
		} else {
			const char *w = "error: the service did not stop within 3 s of SIGUSR1: killed it; nothing preserved";

			luo_check(ret == 1 && file_has("/tmp/stop.txt", w), "lu-keep stop fails: %s", w);
		}
		lu_carry_set(CARRY_ITEMS, "%lld", items);
		if (disk) {
			FILE *f;

			snprintf(path, sizeof(path), MNT "/keep-expected.txt");
			f = fopen(path, "a");
			if (f) {
				fprintf(f, "stage %d preserved_files 3 preserved_bytes %lld\n", stage, bytes);
				fclose(f);
			}
		}
	} else {
		luo_check(true, "last stage: memcached keeps running until power off");
	}
	if (disk) {
		luo_check(record_stop(rec) == 0, "lu-trace recorder stopped");
		if (last) {
			luo_check(!run((char *[]){ LU_TRACE, "report", "--json", REC, NULL },
				       MNT "/keep-report.json", MNT "/keep-report.err") &&
				  !run((char *[]){ LU_TRACE, "report", REC, NULL }, "/tmp/report.txt", NULL),
				  "lu-trace report");
			print_file("/tmp/report.txt");
		}
		sync();
		umount(MNT);
	} else {
		luo_check(true, "no disk: no recording");
		if (last)
			luo_check(true, "no disk: no report");
	}
	ksft_finished();
}

int main(int argc, char **argv)
{
	int stage = lu_stage(argc, argv), stages = lu_stages();

	ksft_print_header();
	lu_cmdline_param("lu.keep", mode, sizeof(mode));
	if (strcmp(mode, "ok") && stage > 2)
		luo_no_more_stages(stage);
	run_stage(stage, stages);
	return 0;
}
