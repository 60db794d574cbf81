// SPDX-License-Identifier: GPL-2.0
/*
 * lu_kho_bench: KHO cost, measured side by side in one guest run (make
 * bench). Eight stages, the kernel's own test (test_kho) doing the work:
 *
 *   stage 1  preserves 1 GiB as 4 KiB folios      (test_kho.mb=1024 order=0)
 *   stage 2  reserves it in one batch, restores it; preserves it again
 *   stage 3  reserves it block by block (kho_reserve=blocks); preserves
 *            128 MiB scattered (test_kho.scatter=1: no two pages touch)
 *   stage 4  one batch; preserves the same again
 *   stage 5  block by block; preserves 1 GiB scattered
 *   stage 6  one batch; preserves nothing -> next kexec is bare
 *   stage 7  bare kexec boot; preserves 1 GiB as 2 MiB folios (order=9)
 *   stage 8  restores it
 *
 * It reads the kernel's numbers (time of the KHO calls alone, and KHO's own
 * work in the next kernel's boot, from populate to the end of the reserve),
 * and debugfs (tracker bytes), carries them on the command line, and in the
 * last stage prints a table and one "BENCH-JSON {...}" line. Scattered 1 GiB
 * is not reserved block by block: that is quadratic, far too slow to wait
 * for; the 128 MiB pair shows the ratio.
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
		"pre4k", "trk4k", "res4k", "kho4k", "kho4kblk", "khos128", "khos128blk",
		"khos1g", "scat", "khobare", "pre2m", "trk2m",
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

static long long boot_work(void)
{
	return klog_num("reserved for restore; boot work", "boot work ");
}

static long long restore_time(void)
{
	return klog_num("KHO-TEST: restore succeeded", "restore took ");
}

static double ratio(long long a, long long b)
{
	return b > 0 ? (double)a / b : 0;
}

static void table(long long res2m, long long kho2m)
{
	long long pre4k = carried("bench.pre4k"), res4k = carried("bench.res4k");
	long long trk4k = carried("bench.trk4k"), kho4k = carried("bench.kho4k");
	long long kho4kblk = carried("bench.kho4kblk"), khos128 = carried("bench.khos128");
	long long khos128blk = carried("bench.khos128blk"), khos1g = carried("bench.khos1g");
	long long khobare = carried("bench.khobare"), pre2m = carried("bench.pre2m");
	long long trk2m = carried("bench.trk2m"), scat = carried("bench.scat");

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
	printf("BENCH-TABLE\n");
	printf("BENCH-TABLE KHO work in the next boot by reservation (ms; scattered: no two preserved pages touch, %lld touching)\n",
	       scat);
	printf("BENCH-TABLE %-30s %12s %12s %12s\n", "", "one batch", "block by block",
	       "batch/blocks");
	printf("BENCH-TABLE %-30s %12.1f %12.1f %12.3f\n", "1 GiB of 4 KiB folios", ms(kho4k),
	       ms(kho4kblk), ratio(kho4k, kho4kblk));
	printf("BENCH-TABLE %-30s %12.1f %12.1f %12.3f\n", "128 MiB scattered", ms(khos128),
	       ms(khos128blk), ratio(khos128, khos128blk));
	printf("BENCH-TABLE %-30s %12.1f %12s %12s\n", "1 GiB scattered", ms(khos1g), "-", "-");
	printf("BENCH-TABLE %-30s %12.2f %12s %12s\n", "1 GiB / 128 MiB scattered, batch",
	       ratio(khos1g, khos128), "(8 = linear)", "");
	printf("BENCH-JSON {\"preserved_bytes\":%d,"
	       "\"folio_4k\":{\"preserve_ms\":%.3f,\"restore_ms\":%.3f,\"tracker_bytes_per_gib\":%lld,"
	       "\"kho_boot_work_ms\":%.3f,\"extra_boot_vs_bare_ms\":%.3f,"
	       "\"kho_boot_work_blocks_ms\":%.3f},"
	       "\"folio_2m\":{\"preserve_ms\":%.3f,\"restore_ms\":%.3f,\"tracker_bytes_per_gib\":%lld,"
	       "\"kho_boot_work_ms\":%.3f,\"extra_boot_vs_bare_ms\":%.3f},"
	       "\"scattered\":{\"touching_folios\":%lld,\"kho_boot_work_128m_ms\":%.3f,"
	       "\"kho_boot_work_128m_blocks_ms\":%.3f,\"kho_boot_work_1g_ms\":%.3f},"
	       "\"bare_kexec\":{\"kho_boot_work_ms\":%.3f}}\n",
	       1 << 30, ms(pre4k), ms(res4k), trk4k, ms(kho4k), ms(kho4k - khobare), ms(kho4kblk),
	       ms(pre2m), ms(res2m), trk2m, ms(kho2m), ms(kho2m - khobare),
	       scat, ms(khos128), ms(khos128blk), ms(khos1g), ms(khobare));
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
		break;
	case 2:
		ksft_set_plan(2);
		record("res4k", restore_time(), "restore_1GiB_4KiB_us");
		record("kho4k", boot_work(), "kho_boot_work_4KiB_us");
		lu_next_cmdline_add("kho_reserve=blocks");
		lu_next_cmdline_add("test_kho.mb=128");
		lu_next_cmdline_add("test_kho.scatter=1");
		break;
	case 3:
		ksft_set_plan(2);
		record("kho4kblk", boot_work(), "kho_boot_work_4KiB_blocks_us");
		record("scat", klog_num("KHO-TEST: scattered:", "scattered: "),
		       "scattered_folios_touching");
		lu_next_cmdline_add("kho_reserve=batch");
		break;
	case 4:
		ksft_set_plan(1);
		record("khos128", boot_work(), "kho_boot_work_128MiB_scattered_us");
		lu_next_cmdline_add("kho_reserve=blocks");
		lu_next_cmdline_add("test_kho.mb=1024");
		break;
	case 5:
		ksft_set_plan(1);
		record("khos128blk", boot_work(), "kho_boot_work_128MiB_scattered_blocks_us");
		lu_next_cmdline_add("kho_reserve=batch");
		lu_next_cmdline_add("test_kho.scatter=0");
		lu_next_cmdline_add("test_kho.mb=0");
		break;
	case 6:
		ksft_set_plan(1);
		record("khos1g", boot_work(), "kho_boot_work_1GiB_scattered_us");
		lu_next_cmdline_add("test_kho.mb=1024");
		lu_next_cmdline_add("test_kho.order=9");
		break;
	case 7:
		ksft_set_plan(3);
		record("khobare", boot_work(), "kho_boot_work_bare_us");
		record("pre2m", klog_num("KHO-TEST: preserved generation", "preserve took "),
		       "preserve_1GiB_2MiB_us");
		record("trk2m", lu_stat_value(out, "tracker_bytes"), "tracker_bytes_1GiB_2MiB");
		lu_next_cmdline_add("test_kho.mb=0");
		break;
	default: {
		long long res2m = restore_time(), kho2m = boot_work();

		ksft_set_plan(2);
		record("res2m", res2m, "restore_1GiB_2MiB_us");
		record("kho2m", kho2m, "kho_boot_work_2MiB_us");
		table(res2m, kho2m);
		break;
	}
	}
	ksft_finished();
}
