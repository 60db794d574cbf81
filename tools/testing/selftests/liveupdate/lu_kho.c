// SPDX-License-Identifier: GPL-2.0
/*
 * lu_kho: Kexec HandOver across kexec, as seen from userspace, with the
 * in-kernel test (CONFIG_TEST_KEXEC_HANDOVER) doing the preserving and
 * restoring at boot. Every stage checks what the kernel said and what
 * debugfs shows; lu.kho=MODE on the command line picks a negative run:
 *
 *   (none)            stage N restores generation N-1 with matching
 *                     checksums and preserves generation N; nothing stays
 *                     unrestored; MemTotal equals the cold boot's (no leak)
 *   off               the next kernel boots with kho=off: the handover is
 *                     ignored, nothing is restored, and the preserved
 *                     memory is ordinary free memory again (MemTotal)
 *   corrupt=WHAT      stage 1 damages the outgoing handover (compatible,
 *                     fdt, tracker, node, overlap, scratch or
 *                     small-scratch) through kho/out/corrupt; the
 *                     next kernel logs a "KHO:" error, boots cold, and
 *                     loses no memory
 *   corrupt=A+B+...   a chain in one guest (lu.stages = 1 + the number of
 *                     kinds): stage N checks that kind N-1 was rejected,
 *                     then damages its own handover with kind N
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest.h"
#include "lu_stage.h"

#define KHO_DEBUGFS	"/sys/kernel/debug/kho"
/* Same kernel, same RAM: MemTotal may differ by a few pages only. */
#define MEMTOTAL_SLACK_KB	(4 * 1024)

static char *klog;

static void read_klog(void)
{
	klog = lu_klog();
	if (!klog)
		ksft_exit_fail_msg("reading the kernel log: %s\n", strerror(errno));
}

/* The kernel log line containing @needle, printed as a diagnostic. */
static const char *klog_find(const char *needle)
{
	const char *p = strstr(klog, needle);
	static char line[512];
	const char *start, *end;

	if (!p)
		return NULL;
	for (start = p; start > klog && start[-1] != '\n'; start--)
		;
	end = strchr(p, '\n');
	snprintf(line, sizeof(line), "%.*s", (int)(end ? end - start : (long)strlen(start)), start);
	ksft_print_msg("kernel: %s\n", line);
	return line;
}

static int count_lines(const char *path)
{
	char line[256];
	int n = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

/* Is there a line starting with "@name " in @path? */
/*
 * kho_reserve= with a value that is neither batch nor blocks (@buf gets it,
 * else ""): 1, for the one check it adds.
 */
static int unknown_reserve_mode(char *buf, size_t len)
{
	if (!lu_cmdline_param("kho_reserve", buf, len) || !strcmp(buf, "batch") ||
	    !strcmp(buf, "blocks"))
		buf[0] = '\0';
	return buf[0] != '\0';
}

/* The kernel said so, and reserved in one batch (sorted runs) anyway. */
static void check_unknown_reserve_mode(const char *mode)
{
	const char *report = klog_find("reserved for restore; boot work");
	const char *sorting = report ? strstr(report, "sorting ") : NULL;
	unsigned long runs = 0;
	char want[96];

	snprintf(want, sizeof(want), "KHO: kho_reserve=%s: not batch or blocks; reserving in one batch",
		 mode);
	if (sorting)
		sscanf(sorting, "sorting %lu runs", &runs);
	ksft_test_result(klog_find(want) && runs > 0,
			 "unknown_kho_reserve_%s_reported_and_batch_used (%lu runs)\n", mode, runs);
}

static bool has_subtree(const char *path, const char *name)
{
	char line[256];
	bool found = false;
	FILE *f = fopen(path, "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, strlen(name)) && line[strlen(name)] == ' ')
			found = true;
	fclose(f);
	return found;
}

static bool exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

/* What every stage preserves for the next one (the in-kernel test ran). */
static void check_outgoing(int stage)
{
	char want[64];
	long pages = lu_stat_value(KHO_DEBUGFS "/out/preserved", "pages");
	long tracker = lu_stat_value(KHO_DEBUGFS "/out/preserved", "tracker_bytes");

	snprintf(want, sizeof(want), "KHO-TEST: preserved generation %d:", stage);
	ksft_test_result(klog_find(want) != NULL, "stage%d_preserved_generation_%d\n", stage, stage);
	ksft_test_result(pages >= 64 * 256, "outgoing_preserved_pages_at_least_64MiB (%ld)\n", pages);
	/*
	 * The tracker costs a root, two tables and a leaf per order in use
	 * (11 orders here), plus a leaf per 32768 blocks: a fixed ~136 KiB
	 * here, 0.003 % for GiBs of order-0 pages (see the KUnit suite).
	 */
	ksft_test_result(tracker > 0 && tracker <= (1 + 3 * 11 + pages / 32768 + 11) * 4096L,
			 "tracker_metadata_within_bound (%ld bytes for %ld pages)\n",
			 tracker, pages);
	ksft_test_result(count_lines(KHO_DEBUGFS "/out/scratch") >= 1,
			 "scratch_areas_listed (%d)\n", count_lines(KHO_DEBUGFS "/out/scratch"));
	/* The test's subtree is listed; the one it removed again is not. */
	ksft_test_result(has_subtree(KHO_DEBUGFS "/out/subtrees", "kho-test") &&
			 !has_subtree(KHO_DEBUGFS "/out/subtrees", "kho-test-removed"),
			 "outgoing_subtrees_listed\n");
}

/* Damage the outgoing handover with @kind (kho/out/corrupt). */
static void corrupt_outgoing(const char *kind)
{
	if (!lu_write_file(KHO_DEBUGFS "/out/corrupt", kind))
		ksft_exit_fail_msg("cannot corrupt the handover (%s): %s\n", kind, strerror(errno));
}

int main(int argc, char **argv)
{
	int stage = lu_stage(argc, argv);
	char mode[256] = "", chain[256], buf[64], want[96], *kinds[8];
	long memtotal = lu_meminfo_kb("MemTotal"), first_memtotal = -1;
	/* Kind stage-1 damages this kernel's handover; kind stage-2 was the previous one. */
	const char *in = NULL, *out = NULL;
	int nr_kinds = 0;

	lu_cmdline_param("lu.kho", mode, sizeof(mode));
	ksft_print_header();
	if (!strncmp(mode, "corrupt=", 8)) {
		snprintf(chain, sizeof(chain), "%s", mode + 8);
		nr_kinds = lu_chain_split(chain, kinds, 8);
		if (!nr_kinds)
			ksft_exit_fail_msg("lu.kho=corrupt=KIND[+KIND...]: 1 to 8 kinds\n");
		if (stage >= 2 && stage - 2 < nr_kinds)
			in = kinds[stage - 2];
		if (stage - 1 < nr_kinds)
			out = kinds[stage - 1];
	}
	read_klog();
	if (lu_carry_get("kho.memtotal", buf, sizeof(buf)))
		first_memtotal = atol(buf);
	ksft_print_msg("stage %d, mode '%s', MemTotal %ld kB (cold boot %ld kB)\n", stage,
		       mode[0] ? mode : "normal", memtotal, first_memtotal);

	if (stage == 1) {
		ksft_set_plan(7);
		ksft_test_result(klog_find("KHO-TEST: no handover from a previous test (cold boot)") != NULL,
				 "cold_boot_finds_no_handover\n");
		ksft_test_result(!exists(KHO_DEBUGFS "/in"), "no_kho_in_on_cold_boot\n");
		check_outgoing(stage);
		lu_carry_set("kho.memtotal", "%ld", memtotal);
		if (!strcmp(mode, "off"))
			lu_next_cmdline_add("kho=off");
		if (out)
			corrupt_outgoing(out);
		ksft_finished();
	}

	/* Every later stage: memory the previous kernel preserved is back. */
	if (!strcmp(mode, "off")) {
		ksft_set_plan(6);
		ksft_test_result(klog_find("KHO: handover from the previous kernel ignored (kho=off)") != NULL,
				 "handover_ignored_with_kho_off\n");
		ksft_test_result(klog_find("KHO-TEST: no handover from a previous test (KHO is off)") != NULL,
				 "nothing_restored\n");
		ksft_test_result(klog_find("KHO-TEST: KHO is off: nothing preserved") != NULL,
				 "nothing_preserved\n");
		ksft_test_result(!exists(KHO_DEBUGFS), "no_kho_debugfs\n");
		/* LUO needs KHO: no device without it. */
		ksft_test_result(!exists("/dev/liveupdate"), "no_liveupdate_device\n");
	} else if (!strncmp(mode, "corrupt=", 8)) {
		if (!in)
			ksft_exit_fail_msg("stage %d: lu.kho names only %d kinds\n", stage, nr_kinds);
		ksft_set_plan(5);
		ksft_test_result(klog_find("KHO: invalid handover:") != NULL,
				 "corrupt_%s_logged\n", in);
		ksft_test_result(!exists(KHO_DEBUGFS "/in"), "corrupt_%s_booted_cold\n", in);
		ksft_test_result(klog_find("KHO-TEST: no handover from a previous test (cold boot)") != NULL,
				 "nothing_restored\n");
		ksft_test_result(klog_find("KHO-TEST: preserved generation 1:") != NULL,
				 "preserving_works_again\n");
		if (out)
			corrupt_outgoing(out);
	} else {
		long unrestored, arrived;
		char resv[32];
		int luo;

		/*
		 * Let every owner claim its memory first: LUO claims its state
		 * on the first open of /dev/liveupdate (if it is built in).
		 */
		luo = open("/dev/liveupdate", O_RDWR | O_CLOEXEC);
		if (luo >= 0)
			close(luo);
		unrestored = lu_stat_value(KHO_DEBUGFS "/in/status", "unrestored_pages");
		arrived = lu_stat_value(KHO_DEBUGFS "/in/status", "pages");

		ksft_set_plan(11 + unknown_reserve_mode(resv, sizeof(resv)));
		ksft_test_result(has_subtree(KHO_DEBUGFS "/in/subtrees", "kho-test"),
				 "incoming_subtrees_listed\n");
		if (resv[0])
			check_unknown_reserve_mode(resv);
		snprintf(want, sizeof(want), "KHO-TEST: restore succeeded: generation %d,", stage - 1);
		ksft_test_result(klog_find(want) != NULL, "stage%d_restored_generation_%d\n", stage,
				 stage - 1);
		ksft_test_result(!klog_find("KHO-TEST: restore FAILED") && !klog_find("KHO: invalid"),
				 "no_restore_errors\n");
		ksft_test_result(arrived >= 64 * 256, "incoming_pages_counted (%ld)\n", arrived);
		ksft_test_result(unrestored == 0, "nothing_left_unrestored (%ld)\n", unrestored);
		check_outgoing(stage);
	}
	ksft_test_result(first_memtotal > 0 && labs(memtotal - first_memtotal) <= MEMTOTAL_SLACK_KB,
			 "memory_returned (MemTotal %ld kB, cold boot %ld kB)\n", memtotal,
			 first_memtotal);
	lu_carry_set("kho.memtotal", "%ld", first_memtotal);
	ksft_finished();
}
