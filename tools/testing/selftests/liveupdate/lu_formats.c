// SPDX-License-Identifier: GPL-2.0
/*
 * lu_formats: format versions negotiated between kernels that read
 * different ones, across real kexecs.
 *
 * Run with lu.kernels=a,a,a,b,a: kernel A reads and writes memfd v3 and v4
 * (v4 by default), kernel B (CONFIG_LIVEUPDATE_MEMFD_EXTENTS=n) only v3.
 * Every stage preserves session "fmt": an 8 MiB memfd of seeded pages and a
 * 4 MiB one with every other page a hole; the next stage checks every byte
 * and the version its files came in at (formats/memfd/incoming).
 *
 *   1 (A)  the sysfs files and their errors (ENOMEM: every allocation
 *          of a next_formats write failed in turn); a kexec refused with
 *          EPROTONOSUPPORT while memfd writing is off, everything still
 *          preserved; then A->A with nothing said: v4
 *   2 (A)  v4 came in; formats/memfd/write forced to 3
 *   3 (A)  v3 came in; `lu-trace compat -a /kernel-b` tells the kernel what
 *          B reads: v3 is chosen
 *   4 (B)  v3 came in, read by B; a next kernel that reads only v4 is
 *          refused; the first file is made to claim "memfd-v63"
 *   5 (A)  B's v3 read by A; the v63 file is rejected alone at the first
 *          open, with a line naming it, the other one comes back intact
 */
#define _GNU_SOURCE
#include <sys/reboot.h>
#include <linux/reboot.h>

#include "lu_memfd.h"

#define FMT		"/sys/kernel/liveupdate/formats/"
#define MEMFD_FMT	FMT "memfd/"
#define NEXT_FORMATS	"/sys/kernel/liveupdate/next_formats"
#define CORRUPT		"/sys/kernel/debug/liveupdate/corrupt"
#define SESSION		"fmt"
#define TOK_FULL	1ULL
#define TOK_SPARSE	2ULL
#define FULL_SIZE	(8 * MiB)
#define SPARSE_SIZE	(4 * MiB)
#define CARRY_SEED	"lu_formats.seed"

/* What kernel B reads: every format at its only version, memfd at v3. */
#define B_FORMATS	"kho 2\nkho-block 2\nluo 2\nluo-blackout 3\nluo-flb 1\nmemfd 3\nluo-test 1\nluo-test-dep 1\n"
/* A next kernel that reads memfd v4 only. */
#define V4_FORMATS	"kho 2\nkho-block 2\nluo 2\nluo-blackout 3\nluo-flb 1\nmemfd 4\nluo-test 1\nluo-test-dep 1\n"

static void read_attr(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "re");

	out[0] = '\0';
	if (f) {
		if (!fgets(out, len, f))
			out[0] = '\0';
		fclose(f);
	}
	out[strcspn(out, "\n")] = '\0';
}

static bool attr_is(const char *path, const char *want)
{
	char got[256];

	read_attr(path, got, sizeof(got));
	if (strcmp(got, want))
		ksft_print_msg("%s: '%s', expected '%s'\n", path, got, want);
	return !strcmp(got, want);
}

static void fill_sparse_page(char *dst, __u64 seed, __u64 blk)
{
	if (blk % 2)
		memset(dst, 0, PAGE_SZ);
	else
		fill_page(dst, seed, blk);
}

static int make_memfds(int session, __u64 seed)
{
	struct data_file df = { .name = "full", .size = FULL_SIZE, .seed = seed };
	int full = new_memfd("full", 0), sparse = new_memfd("sparse", 0), ret;
	__u64 blk;

	if (full < 0 || sparse < 0)
		return full < 0 ? full : sparse;
	ret = write_data(full, &df);
	if (!ret)
		ret = sys_ret(ftruncate(sparse, SPARSE_SIZE));
	for (blk = 0; !ret && blk < SPARSE_SIZE / PAGE_SZ; blk += 2) {
		fill_page(buf, seed + 1, blk);
		ret = lu_pwrite_full(sparse, buf, PAGE_SZ, blk * PAGE_SZ);
	}
	if (!ret)
		ret = luo_preserve_fd(session, full, TOK_FULL);
	if (!ret)
		ret = luo_preserve_fd(session, sparse, TOK_SPARSE);
	close(full);
	close(sparse);
	return ret;
}

static long bad_sparse_pages(int fd, __u64 seed)
{
	long bad = 0;
	__u64 blk;

	for (blk = 0; blk < SPARSE_SIZE / PAGE_SZ; blk++) {
		if (lu_pread_full(fd, buf, PAGE_SZ, blk * PAGE_SZ))
			return -EIO;
		fill_sparse_page(want, seed + 1, blk);
		bad += !!memcmp(buf, want, PAGE_SZ);
	}
	return bad;
}

/* Set up session "fmt" with new seeds; the daemon holds it. */
static void setup(int luo, int stage)
{
	__u64 seed = 0xf0f0 + stage;
	int s = lu_memfd_new_session(luo, SESSION), ret;

	ret = make_memfds(s, seed);
	luo_require(!ret, "stage %d: two memfds preserved in '%s' (%s)", stage, SESSION,
		    luo_strerror(ret));
	luo_check(attr_is(MEMFD_FMT "live", "1"), "memfd has live data now");
	if (!lu_carry_set(CARRY_SEED, "%llu", (unsigned long long)seed))
		ksft_exit_fail_msg("cannot carry the seed: %s\n", strerror(errno));
	lu_memfd_stage1_hold(luo, "lu_formats.ready");
}

/* The previous stage's session: @version came in; every byte checked. */
static void verify(int luo, const char *version, bool full_rejected)
{
	char seedbuf[32], *klog;
	struct data_file df = { .name = "full", .size = FULL_SIZE };
	int s, full, sparse, ret;

	luo_require(lu_carry_get(CARRY_SEED, seedbuf, sizeof(seedbuf)), "a seed was carried");
	df.seed = strtoull(seedbuf, NULL, 0);
	s = lu_memfd_get_session(luo, SESSION);
	luo_check(attr_is(MEMFD_FMT "incoming", version), "memfd came in at v%s", version);
	full = luo_retrieve_fd(s, TOK_FULL);
	if (full_rejected) {
		klog = lu_klog();
		luo_check(full == -ENOENT, "the memfd-v63 file cannot be retrieved: ENOENT (%s)",
			  luo_strerror(full));
		luo_check(klog && strstr(klog, "memfd-v63 is not a version this kernel reads"),
			  "the kernel names the version it does not read");
		free(klog);
	} else {
		luo_check(full >= 0 && count_bad_pages(full, &df) == 0,
			  "the 8 MiB memfd: every byte (%s)", luo_strerror(full < 0 ? full : 0));
	}
	sparse = luo_retrieve_fd(s, TOK_SPARSE);
	luo_check(sparse >= 0 && bad_sparse_pages(sparse, df.seed) == 0,
		  "the sparse memfd: every byte, holes zero (%s)",
		  luo_strerror(sparse < 0 ? sparse : 0));
	ret = luo_finish(s);
	luo_check(!ret, "finish (%s)", luo_strerror(ret));
	if (full >= 0)
		close(full);
	if (sparse >= 0)
		close(sparse);
	close(s);
}

/* reboot(KEXEC) with memfd data that cannot be written: refused, nothing lost. */
static void refused(int luo, int stage)
{
	__u64 seed = 0xdead0 + stage;
	int s = lu_memfd_new_session(luo, "fmt-refused"), full, ret;
	char *klog;

	ret = make_memfds(s, seed);
	luo_require(!ret, "memfds preserved for the refused kexec (%s)", luo_strerror(ret));
	luo_require(!lu_kexec_load_next(), "next kernel loaded");
	errno = 0;
	ret = reboot(LINUX_REBOOT_CMD_KEXEC);
	luo_check(ret == -1 && errno == EPROTONOSUPPORT, "reboot(KEXEC) refused: EPROTONOSUPPORT (%s)",
		  strerror(errno));
	klog = lu_klog();
	luo_check(klog && strstr(klog, "format memfd: ") && strstr(klog, "kexec refused"),
		  "the kernel says which format and why");
	free(klog);
	/* Still preserved, still usable: preserving the same file again is EBUSY. */
	full = new_memfd("again", 0);
	ret = full < 0 ? full : luo_preserve_fd(s, full, TOK_FULL);
	luo_check(ret == -EEXIST, "the session still holds its files (%s)", luo_strerror(ret));
	if (full >= 0)
		close(full);
	close(s);
}

/*
 * next_formats with its Nth allocation failing (/proc/thread-self/fail-nth),
 * N = 1, 2, ... until the write succeeds: every failure must be ENOMEM and
 * leave the next kernel unknown (memfd would still be written at v4). The
 * first allocation is kernfs's buffer, the next the parser's copy. Returns
 * the failures seen, or -1 if one was wrong or the write never succeeded.
 */
static int next_formats_enomem(void)
{
	int nth = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC), failures = 0;
	size_t len = strlen(B_FORMATS);
	char buf[16];

	if (nth < 0 || !lu_write_file("/sys/kernel/debug/failslab/ignore-gfp-wait", "N")) {
		ksft_print_msg("fault injection: %s\n", strerror(errno));
		return -1;
	}
	for (int n = 1; n < 32; n++) {
		int fd = open(NEXT_FORMATS, O_WRONLY | O_CLOEXEC), ret, k;
		bool hit;

		if (fd < 0)
			return -1;
		k = snprintf(buf, sizeof(buf), "%d", n);
		if (pwrite(nth, buf, k, 0) != k)
			return -1;
		ret = write(fd, B_FORMATS, len) == (ssize_t)len ? 0 : -errno;
		k = pread(nth, buf, sizeof(buf) - 1, 0);
		hit = k > 0 && (buf[k] = '\0', atoi(buf) == 0);
		if (pwrite(nth, "0", 1, 0) != 1)
			return -1;
		close(fd);
		if (!hit) {
			lu_write_file("/sys/kernel/debug/failslab/ignore-gfp-wait", "Y");
			close(nth);
			return !ret && attr_is(MEMFD_FMT "version", "3") ? failures : -1;
		}
		if (ret != -ENOMEM || !attr_is(MEMFD_FMT "version", "4")) {
			ksft_print_msg("allocation %d failed: %s\n", n, luo_strerror(ret));
			return -1;
		}
		failures++;
	}
	return -1;
}

static void stage1(int luo)
{
	static const char *const names[] = { "kho", "kho-block", "luo", "luo-blackout", "luo-flb",
					     "memfd", "luo-test", "luo-test-dep" };
	char path[128];
	unsigned int i;
	bool all = true;
	int ret;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), FMT "%s/read_versions", names[i]);
		all &= !access(path, R_OK);
	}
	luo_check(all, "formats/ has kho, kho-block, luo, luo-blackout, luo-flb, memfd, luo-test, luo-test-dep");
	luo_check(attr_is(MEMFD_FMT "read_versions", "3 4") &&
		  attr_is(MEMFD_FMT "write_versions", "3 4") &&
		  attr_is(MEMFD_FMT "default_version", "4"), "A reads and writes memfd 3 4, default 4");
	luo_check(attr_is(MEMFD_FMT "version", "4") && attr_is(MEMFD_FMT "write", "auto") &&
		  attr_is(MEMFD_FMT "incoming", "none") && attr_is(MEMFD_FMT "live", "0"),
		  "cold boot: auto, v4 would be written, nothing came in, no live data");
	luo_check(lu_write_attr(MEMFD_FMT "write", "9") == -ERANGE &&
		  lu_write_attr(MEMFD_FMT "write", "0") == -ERANGE,
		  "write: a version this kernel cannot write is ERANGE");
	luo_check(lu_write_attr(MEMFD_FMT "write", "v4") == -EINVAL &&
		  lu_write_attr(MEMFD_FMT "write", "auto4") == -EINVAL, "write: garbage is EINVAL");
	luo_check(lu_write_attr(NEXT_FORMATS, "memfd 0\n") == -EINVAL &&
		  lu_write_attr(NEXT_FORMATS, "memfd 64\n") == -EINVAL &&
		  lu_write_attr(NEXT_FORMATS, "memfd x\n") == -EINVAL,
		  "next_formats: versions outside 1..63 are EINVAL");
	luo_check(!lu_write_attr(NEXT_FORMATS, B_FORMATS) && attr_is(MEMFD_FMT "version", "3") &&
		  !lu_write_attr(NEXT_FORMATS, "\n") && attr_is(MEMFD_FMT "version", "4"),
		  "next_formats: a v3-only next kernel gets v3; forgetting it gives v4 again");
	ret = next_formats_enomem();
	luo_check(ret > 0 && !lu_write_attr(NEXT_FORMATS, "\n"),
		  "next_formats: each of %d failed allocations is ENOMEM and changes nothing", ret);
	luo_check(!lu_write_attr(MEMFD_FMT "write", "off") && attr_is(MEMFD_FMT "version", "none"),
		  "write off: nothing would be written");
	refused(luo, 1);
	luo_check(!lu_write_attr(MEMFD_FMT "write", "auto"), "write back to auto");
	setup(luo, 1);
}

int main(int argc, char **argv)
{
	int stage = lu_stage(argc, argv), luo, ret;


	/* Steps per stage: open, then what the stage does (see above). */
	static const int plan[] = { 0, 21, 12, 12, 21, 10 };

	ksft_print_header();
	if (stage < 1 || stage > 5) {
		luo_no_more_stages(stage);
		return 0;
	}
	ksft_set_plan(plan[stage]);
	lu_memfd_begin();
	luo = luo_open_device();
	luo_require(luo >= 0, "open /dev/liveupdate (%s)", luo_strerror(luo));
	switch (stage) {
	case 1:
		stage1(luo);
		break;
	case 2:
		verify(luo, "4", false);
		luo_check(!lu_write_attr(MEMFD_FMT "write", "3") && attr_is(MEMFD_FMT "version", "3"),
			  "write forced to 3");
		setup(luo, stage);
		break;
	case 3:
		verify(luo, "3", false);
		/* What an SRE runs after loading the next kernel. */
		ret = system("/lu/bin/lu-trace compat -a /kernel-b");
		luo_check(!lu_write_attr(MEMFD_FMT "write", "auto") && ret == 0 &&
			  attr_is(MEMFD_FMT "version", "3"),
			  "lu-trace compat -a /kernel-b: B reads memfd 3 only, v3 chosen (exit %d)",
			  WIFEXITED(ret) ? WEXITSTATUS(ret) : -1);
		setup(luo, stage);
		break;
	case 4:
		luo_check(attr_is(MEMFD_FMT "read_versions", "3") &&
			  attr_is(MEMFD_FMT "default_version", "3"), "B reads memfd 3 only");
		verify(luo, "3", false);
		ret = lu_write_attr(NEXT_FORMATS, V4_FORMATS);
		luo_check(!ret && attr_is(MEMFD_FMT "version", "none"),
			  "B with a next kernel that reads memfd 4 only: no version (%s)",
			  luo_strerror(ret));
		refused(luo, stage);
		luo_check(!lu_write_attr(NEXT_FORMATS, "\n"), "next_formats forgotten");
		luo_check(!lu_write_attr(CORRUPT, "file-version"), "the first file will claim memfd-v63");
		setup(luo, stage);
		break;
	case 5:
		luo_check(attr_is(MEMFD_FMT "read_versions", "3 4"), "back on A");
		verify(luo, "3", true);
		ret = system("/lu/bin/lu-trace blackout | grep -q 'Formats that came in: .*memfd v3'");
		luo_check(ret == 0, "lu-trace blackout names the versions that came in (%d)", ret);
		restore_shmem_thp();
		break;
	}
	ksft_finished();
	return 0;
}
