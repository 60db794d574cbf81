// SPDX-License-Identifier: GPL-2.0
/*
 * lu_kho_bench: KHO cost, measured side by side in one guest run (make
 * bench). Four stages, the kernel's own test (test_kho) doing the work:
 *
 *   stage 1  preserves 1 GiB as 4 KiB folios   (test_kho.mb=1024 order=0)
 *   stage 2  restores it; preserves nothing     -> next kexec is bare
 *   stage 3  bare kexec boot; preserves 1 GiB as 2 MiB folios (order=9)
 *   stage 4  restores it
 *
 * It reads the kernel's numbers (time of the KHO calls alone, and KHO's own
 * work in the next kernel's boot, from populate to the end of the reserve
 * walks) and debugfs (tracker bytes), carries them on the command line, and
 * in the last stage prints a table and one "BENCH-JSON {...}" line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>

#include "kselftest.h"
#include "lu_stage.h"

static char *klog;

/* The number after @key in the kernel log line containing @needle, or -1. */
static long long klog_num(const char *needle, const char *key)
{
	const char *p = strstr(klog, needle);
	const char *end, *k;

	if (!p)
		return -1;
	end = strchr(p, '\n');
	k = strstr(p, key);
	if (!k || (end && k > end))
		return -1;
	return strtoll(k + strlen(key), NULL, 10);
}

static long long carried(const char *key)
{
	char buf[64];

	return lu_carry_get(key, buf, sizeof(buf)) ? atoll(buf) : -1;
}

/* Carry every bench.* value of the previous stage forward. */
static void carry_all(void)
{
	static const char * const keys[] = {
		"pre4k", "trk4k", "res4k", "kho4k", "khobare", "pre2m", "trk2m", "res2m", "kho2m",
	};
	char name[32];

	for (unsigned int i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(name, sizeof(name), "bench.%s", keys[i]);
		if (carried(name) >= 0)
			lu_carry_set(name, "%lld", carried(name));
	}
}

static void record(const char *key, long long v, const char *what)
{
	char name[32];

	snprintf(name, sizeof(name), "bench.%s", key);
	ksft_test_result(v >= 0, "%s (%lld)\n", what, v);
	lu_carry_set(name, "%lld", v);
}

static double ms(long long us)
{
	return us / 1000.0;
}

int main(int argc, char **argv)
{
	int stage = lu_stage(argc, argv);
	const char *out = "/sys/kernel/debug/kho/out/preserved";

	ksft_print_header();
	klog = lu_klog();
	if (!klog)
		ksft_exit_fail_msg("reading the kernel log: %s\n", strerror(errno));
	carry_all();

	switch (stage) {
	case 1:
		ksft_set_plan(2);
		record("pre4k", klog_num("KHO-TEST: preserved generation", "preserve took "),
		       "preserve_1GiB_4KiB_us");
		record("trk4k", lu_stat_value(out, "tracker_bytes"), "tracker_bytes_1GiB_4KiB");
		lu_next_cmdline_add("test_kho.mb=0");
		break;
	case 2:
		ksft_set_plan(2);
		record("res4k", klog_num("KHO-TEST: restore succeeded", "restore took "),
		       "restore_1GiB_4KiB_us");
		record("kho4k", klog_num("reserved for restore; boot work", "boot work "),
		       "kho_boot_work_4KiB_us");
		lu_next_cmdline_add("test_kho.mb=1024");
		lu_next_cmdline_add("test_kho.order=9");
		break;
	case 3:
		ksft_set_plan(3);
		record("khobare", klog_num("reserved for restore; boot work", "boot work "),
		       "kho_boot_work_bare_us");
		record("pre2m", klog_num("KHO-TEST: preserved generation", "preserve took "),
		       "preserve_1GiB_2MiB_us");
		record("trk2m", lu_stat_value(out, "tracker_bytes"), "tracker_bytes_1GiB_2MiB");
		lu_next_cmdline_add("test_kho.mb=0");
		break;
	default: {
		long long pre4k = carried("bench.pre4k"), res4k = carried("bench.res4k");
		long long trk4k = carried("bench.trk4k"), kho4k = carried("bench.kho4k");
		long long khobare = carried("bench.khobare"), pre2m = carried("bench.pre2m");
		long long trk2m = carried("bench.trk2m");
		long long res2m = klog_num("KHO-TEST: restore succeeded", "restore took ");
		long long kho2m = klog_num("reserved for restore; boot work", "boot work ");

		ksft_set_plan(2);
		record("res2m", res2m, "restore_1GiB_2MiB_us");
		record("kho2m", kho2m, "kho_boot_work_2MiB_us");
		printf("BENCH-TABLE KHO, 1 GiB preserved, measured in one guest run (times in ms)\n");
		printf("BENCH-TABLE %-30s %12s %12s %12s\n", "", "4 KiB folios", "2 MiB folios",
		       "bare kexec");
		printf("BENCH-TABLE %-30s %12.1f %12.1f %12s\n", "preserve (KHO calls)", ms(pre4k),
		       ms(pre2m), "-");
		printf("BENCH-TABLE %-30s %12.1f %12.1f %12s\n", "restore (KHO calls)", ms(res4k),
		       ms(res2m), "-");
		printf("BENCH-TABLE %-30s %12lld %12lld %12s\n", "tracker metadata bytes/GiB", trk4k,
		       trk2m, "-");
		printf("BENCH-TABLE %-30s %12.1f %12.1f %12.1f\n", "KHO work in next boot", ms(kho4k),
		       ms(kho2m), ms(khobare));
		printf("BENCH-TABLE %-30s %12.1f %12.1f %12d\n", "extra boot work vs bare kexec",
		       ms(kho4k - khobare), ms(kho2m - khobare), 0);
		printf("BENCH-JSON {\"preserved_bytes\":%d,"
		       "\"folio_4k\":{\"preserve_ms\":%.3f,\"restore_ms\":%.3f,\"tracker_bytes_per_gib\":%lld,"
		       "\"kho_boot_work_ms\":%.3f,\"extra_boot_vs_bare_ms\":%.3f},"
		       "\"folio_2m\":{\"preserve_ms\":%.3f,\"restore_ms\":%.3f,\"tracker_bytes_per_gib\":%lld,"
		       "\"kho_boot_work_ms\":%.3f,\"extra_boot_vs_bare_ms\":%.3f},"
		       "\"bare_kexec\":{\"kho_boot_work_ms\":%.3f}}\n",
		       1 << 30, ms(pre4k), ms(res4k), trk4k, ms(kho4k), ms(kho4k - khobare),
		       ms(pre2m), ms(res2m), trk2m, ms(kho2m), ms(kho2m - khobare), ms(khobare));
		break;
	}
	}
	ksft_finished();
}
