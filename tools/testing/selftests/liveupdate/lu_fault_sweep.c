// SPDX-License-Identifier: GPL-2.0
/*
 * lu_fault_sweep: every allocation a live update step makes can fail, and
 * the step then returns an errno and leaves everything as it was.
 *
 * For each operation, "fail the Nth allocation" for N = 1, 2, ... until the
 * operation succeeds: /proc/thread-self/fail-nth makes the Nth fault
 * injection point this thread reaches fail (slab and page allocations,
 * also the ones that may sleep: the debugfs knobs of failslab and
 * fail_page_alloc are set so). After every injected failure the operation
 * must have failed with an errno, and the state must be back: the same
 * preserved pages (kho/out/preserved), no pin left (nr_foll_pin_* in
 * /proc/vmstat), free memory within SWEEP_SLACK_KB, and the operation must
 * still work (the sweep ends with its success, which is checked).
 *
 * Stage 1: CREATE_SESSION; PRESERVE_FD of a test file and of a 4 MiB memfd
 * (half of it holes); PRESERVE_FD of the first file of the test FLB, in a
 * session of its own (the FLB is preserved with it: its kho_block entry
 * and its state page, then the file; the session is closed after); then reboot(LINUX_REBOOT_CMD_KEXEC)'s freeze:
 * FREEZE_NEW pages are written into holes first (so that freezing the
 * memfd preserves new folios, more than its record blocks have room for:
 * the freeze must allocate, and its failures must lose none of them), and
 * a test file preserved after it fails its freeze, so that
 * no attempt reaches the jump; every attempt must cancel the kexec
 * with everything still preserved (a duplicate token still refused, the
 * memfd's size still frozen, holes writable again), and a freeze that
 * the failing file cancels must give back the folios it preserved.
 * The test file then freezes again, and lu-init's kexec carries it all.
 * Stage 2: the first open of /dev/liveupdate (reading the incoming state),
 * RETRIEVE_SESSION, RETRIEVE_FD of the memfd (contents checked at the
 * end) and FINISH.
 * One line per operation: "# sweep OP: N allocations, F failures, U
 * unwound cleanly, A absorbed" (a pass: F == U and the last attempt a
 * success), then one per KHO call an injected failure was reached in.
 * The injection's stack trace (verbose=2) names the call: the outermost
 * kho_* frame of the trace read back from /dev/kmsg. Every injection must
 * print its trace: the knobs' rate limit (10 in 5 s by default) is off, or
 * which failures get named would depend on how fast the guest runs. The memfd preserve
 * must reach failures inside KHO calls (kho_block_set_grow() for its folio
 * records always; kho_alloc_preserve() for its header and
 * kho_preserve_folio() when a folio needs a new tracker node, when the
 * unwinder shows them) and each of them must unwind. The restore calls
 * (kho_restore_folio()) allocate nothing: no KHO line under the retrieves. An injected failure a fallback absorbs (the operation
 * succeeds anyway) is taken back where the operation can be undone
 * (closing the session unpreserves, closing /dev/liveupdate) and the sweep
 * goes on; where it cannot (a retrieve), the sweep ends at that success.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"

#define SESSION		"sweep"
#define MEMFD_SZ	(4L << 20)
#define SWEEP_MAX	4096
#define SWEEP_SLACK_KB	(4 * 1024)
#define CARRY_READY	"lu_fault_sweep.ready"
#define FREEZE_NEW	200	/* more than one block of memfd records */

struct snapshot {
	long long pages, pins, free_kb;
};

static void snap(struct snapshot *s)
{
	/* Fold the per-CPU counters first: the pin counts are read before. */
	lu_write_file("/proc/sys/vm/stat_refresh", "1");
	s->pages = lu_stat_value("/sys/kernel/debug/kho/out/preserved", "pages");
	s->pins = lu_stat_value("/proc/vmstat", "nr_foll_pin_acquired") -
		  lu_stat_value("/proc/vmstat", "nr_foll_pin_released");
	s->free_kb = lu_mem_free_kb();
}

static bool same(const struct snapshot *a, const struct snapshot *b)
{
	return a->pages == b->pages && a->pins == b->pins &&
	       llabs(a->free_kb - b->free_kb) < SWEEP_SLACK_KB;
}

/*
 * The thread's fail-nth, opened once: opening it while armed would itself
 * reach the injected failure. Reading and writing it allocate nothing.
 */
static int nth_fd = -1, kmsg_fd = -1;

static void fail_nth(int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", n);

	if (pwrite(nth_fd, buf, len, 0) != len)
		ksft_exit_fail_msg("fail-nth: %s\n", strerror(errno));
}

/* Was the injected failure reached (the counter ran down to 0)? Disarm it. */
static bool fault_hit(void)
{
	char buf[16] = "";
	ssize_t n = pread(nth_fd, buf, sizeof(buf) - 1, 0);

	fail_nth(0);
	return n > 0 && atoi(buf) == 0;
}

static void setup_injection(void)
{
	static const char *const knobs[][2] = {
		{ "/sys/kernel/debug/failslab/ignore-gfp-wait", "N" },
		{ "/sys/kernel/debug/failslab/verbose", "2" },
		{ "/sys/kernel/debug/failslab/verbose_ratelimit_interval_ms", "0" },
		{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N" },
		{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", "N" },
		{ "/sys/kernel/debug/fail_page_alloc/min-order", "0" },
		{ "/sys/kernel/debug/fail_page_alloc/verbose", "2" },
		{ "/sys/kernel/debug/fail_page_alloc/verbose_ratelimit_interval_ms", "0" },
	};

	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++)
		if (!lu_write_file(knobs[i][0], knobs[i][1]))
			ksft_exit_fail_msg("%s: %s\n", knobs[i][0], strerror(errno));
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (nth_fd < 0)
		ksft_exit_fail_msg("/proc/thread-self/fail-nth: %s\n", strerror(errno));
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd < 0)
		ksft_exit_fail_msg("/dev/kmsg: %s\n", strerror(errno));
}

/* Skip what the kernel logged so far: the next kho_site() reads only newer. */
static void kmsg_mark(void)
{
	if (lseek(kmsg_fd, 0, SEEK_END) < 0)
		ksft_exit_fail_msg("/dev/kmsg: %s\n", strerror(errno));
}

/*
 * The KHO call the injected failure was reached in: the outermost kho_*
 * frame of the injection's stack trace ("" when none), from the records
 * logged since kmsg_mark(). A record is "prio,seq,usec,flags;text". The
 * test kernel unwinds by guessing (UNWINDER_GUESS: every frame "? "), so a
 * stale return address could name a call that already returned; the debug
 * kernel's ORC unwinder gives the exact chain, and both runs must agree.
 */
static void kho_site(char *site, size_t len)
{
	static char rec[2048];
	bool in_trace = false;
	ssize_t n;

	site[0] = '\0';
	while ((n = read(kmsg_fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		char *text, *end;

		if (n < 0)	/* overwritten before it was read: go on */
			continue;
		rec[n] = '\0';
		text = strchr(rec, ';');
		if (!text)
			continue;
		text++;
		text[strcspn(text, "\n")] = '\0';
		if (strstr(text, "FAULT_INJECTION: forcing a failure")) {
			in_trace = true;
		} else if (in_trace && strstr(text, "</TASK>")) {
			in_trace = false;
		} else if (in_trace && text[0] == ' ') {
			/* "? " marks a frame the guess unwinder found, not proved */
			text += strspn(text, " ");
			if (!strncmp(text, "? ", 2))
				text += 2;
			end = strchr(text, '+');
			if (end && (!strncmp(text, "kho_", 4) || !strncmp(text, "__kho_", 6)) &&
			    (size_t)(end - text) < len)
				snprintf(site, len, "%.*s", (int)(end - text), text);
		}
	}
}

/*
 * One operation to sweep. @op runs it (0 or -errno); @undone checks the
 * state after an injected failure (NULL: the snapshot says it all); @undo
 * takes back a success that absorbed an injected failure (a fallback), so
 * that the sweep can go on to the next allocation; without one the sweep
 * ends there.
 */
#define MAX_SITES	8

struct kho_site {
	char name[48];
	int failures, unwound, absorbed;
};

struct sweep {
	const char *name;
	int (*op)(void);
	bool (*undone)(void);
	void (*undo)(void);
	int allocations, failures, unwound, absorbed, last;
	bool ended;
	struct kho_site sites[MAX_SITES];
	int nr_sites;
};

/* The KHO call named @name in @w's table (added on first use), or NULL. */
static struct kho_site *site_of(struct sweep *w, const char *name)
{
	int i;

	if (!name[0])
		return NULL;
	for (i = 0; i < w->nr_sites; i++)
		if (!strcmp(w->sites[i].name, name))
			return &w->sites[i];
	if (i == MAX_SITES)
		return NULL;
	snprintf(w->sites[i].name, sizeof(w->sites[i].name), "%s", name);
	return &w->sites[w->nr_sites++];
}

/* Failures reached inside KHO calls during @w if all unwound, else 0. */
static int kho_unwound(const struct sweep *w)
{
	int failures = 0;

	for (int i = 0; i < w->nr_sites; i++) {
		if (w->sites[i].failures != w->sites[i].unwound)
			return 0;
		failures += w->sites[i].failures;
	}
	return failures;
}

static void report(const struct sweep *w)
{
	ksft_print_msg("sweep %s: %d allocations, %d failures, %d unwound cleanly, %d absorbed%s\n",
		       w->name, w->allocations, w->failures, w->unwound, w->absorbed,
		       w->ended ? "" : "; the last attempt failed");
	for (int i = 0; i < w->nr_sites; i++)
		ksft_print_msg("  in %s(): %d failures, %d unwound cleanly, %d absorbed\n",
			       w->sites[i].name, w->sites[i].failures, w->sites[i].unwound,
			       w->sites[i].absorbed);
	luo_check(w->ended && w->failures == w->unwound,
		  "%s: every one of %d injected failures unwound, then it succeeded (%s)", w->name,
		  w->failures, luo_strerror(w->last));
}

/*
 * Run the operation with the Nth allocation failing, for N = 1.. until it
 * runs without reaching the injected failure, which must be a success.
 */
static void sweep(struct sweep *w)
{
	struct snapshot before, after;
	struct kho_site *at;
	char name[48];

	for (int n = 1; n <= SWEEP_MAX; n++) {
		bool hit;

		snap(&before);
		kmsg_mark();
		fail_nth(n);
		w->last = w->op();
		hit = fault_hit();
		kho_site(name, sizeof(name));
		at = hit ? site_of(w, name) : NULL;
		if (!hit || (!w->last && !w->undo)) {
			w->allocations = n - !hit;
			w->absorbed += hit;
			if (at)
				at->absorbed++;
			w->ended = !w->last;
			return;
		}
		if (!w->last) {
			w->absorbed++;
			if (at)
				at->absorbed++;
			w->undo();
			continue;
		}
		w->failures++;
		if (at)
			at->failures++;
		snap(&after);
		if (same(&before, &after) && (!w->undone || w->undone())) {
			w->unwound++;
			if (at)
				at->unwound++;
		} else {
			ksft_print_msg("%s: allocation %d: %s; pages %lld->%lld pins %lld->%lld free %lld->%lld kB\n",
				       w->name, n, luo_strerror(w->last), before.pages, after.pages,
				       before.pins, after.pins, before.free_kb, after.free_kb);
		}
	}
}

static int luo_fd, session_fd, test_fd, memfd_fd;

static int op_create(void)
{
	int fd = luo_create_session(luo_fd, "sweep-create");

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

static void no_undo(void)
{
}

static int op_preserve_test(void)
{
	return luo_preserve_fd(session_fd, test_fd, 1);
}

static int op_preserve_memfd(void)
{
	return luo_preserve_fd(session_fd, memfd_fd, 2);
}

/* Closing the session unpreserves its files; the new one holds @nr again. */
static void new_session(int nr)
{
	close(session_fd);
	session_fd = luo_create_session(luo_fd, SESSION);
	if (session_fd < 0 || (nr > 0 && luo_preserve_fd(session_fd, test_fd, 1)))
		ksft_exit_fail_msg("the session could not be made again\n");
}

static void undo_preserve_test(void)
{
	new_session(0);
}

static void undo_preserve_memfd(void)
{
	new_session(1);
}

static int flb_session_fd = -1, flb_file_fd = -1;

/* The first file of the test FLB: the FLB is preserved with it. */
static int op_preserve_flb(void)
{
	return luo_preserve_fd(flb_session_fd, flb_file_fd, 1);
}

static void undo_preserve_flb(void)
{
	close(flb_session_fd);
	flb_session_fd = luo_create_session(luo_fd, "sweep-flb");
	if (flb_session_fd < 0)
		ksft_exit_fail_msg("the FLB session could not be made again\n");
}

static long hole_page = 1;	/* the next hole to write before an attempt */

static int op_reboot(void)
{
	int ret = reboot(LINUX_REBOOT_CMD_KEXEC) ? -errno : 0;

	/* The freeze of the failing test file cancels it: like success here. */
	return ret == -EAGAIN ? 0 : ret;
}

/* Unfrozen: a hole takes a page again (the next attempt's new folio). */
static bool next_hole(void)
{
	static char page[4096];

	memset(page, 0x5a, sizeof(page));
	hole_page += 2;
	return pwrite(memfd_fd, page, sizeof(page), hole_page * sizeof(page)) == sizeof(page);
}

static void undo_reboot(void)
{
	next_hole();
}

/* After a cancelled kexec everything is still preserved and live. */
static bool reboot_undone(void)
{
	int t = test_file_create(7);
	bool ok = t >= 0 && luo_preserve_fd(session_fd, t, 1) == -EEXIST &&
		  ftruncate(memfd_fd, MEMFD_SZ * 2) && errno == EBUSY;

	if (t >= 0)
		close(t);
	return next_hole() && ok;
}

static unsigned char pattern(long off)
{
	return (unsigned char)((off >> 12) * 31 + off);
}

static void stage1(void)
{
	struct sweep create = { .name = "create_session", .op = op_create, .undo = no_undo };
	struct sweep ptest = { .name = "preserve_fd(test file)", .op = op_preserve_test,
			       .undo = undo_preserve_test };
	struct sweep pmemfd = { .name = "preserve_fd(memfd)", .op = op_preserve_memfd,
				.undo = undo_preserve_memfd };
	struct sweep pflb = { .name = "preserve_fd(FLB file)", .op = op_preserve_flb,
			      .undo = undo_preserve_flb };
	struct sweep rb = { .name = "reboot(KEXEC) freeze", .op = op_reboot,
			    .undone = reboot_undone, .undo = undo_reboot };
	struct snapshot before, after;
	int fail_file, ret;
	static char page[4096];
	bool ok;

	ksft_set_plan(16);
	setup_injection();
	luo_fd = luo_open_device();
	luo_require(luo_fd >= 0, "open_device (%s)", luo_strerror(luo_fd));
	sweep(&create);
	report(&create);
	session_fd = luo_create_session(luo_fd, SESSION);
	test_fd = test_file_create(42);
	memfd_fd = memfd_create("sweep", 0);
	luo_require(session_fd >= 0 && test_fd >= 0 && memfd_fd >= 0 &&
		    !ftruncate(memfd_fd, MEMFD_SZ), "a session, a test file and a memfd");
	for (long off = 0; off < MEMFD_SZ; off += 2 * sizeof(page)) {
		for (long k = 0; k < (long)sizeof(page); k++)
			page[k] = pattern(off + k);
		if (pwrite(memfd_fd, page, sizeof(page), off) != sizeof(page))
			ksft_exit_fail_msg("pwrite: %s\n", strerror(errno));
	}
	sweep(&ptest);
	report(&ptest);
	sweep(&pmemfd);
	report(&pmemfd);
	luo_check(kho_unwound(&pmemfd) > 0,
		  "failures inside the KHO preserve calls reached and unwound (%d)",
		  kho_unwound(&pmemfd));
	flb_session_fd = luo_create_session(luo_fd, "sweep-flb");
	flb_file_fd = test_file_create(5);
	luo_require(flb_session_fd >= 0 && flb_file_fd >= 0 && !test_file_cmd(flb_file_fd, "flb"),
		    "a session and a file of the test FLB");
	sweep(&pflb);
	report(&pflb);
	close(flb_session_fd);
	close(flb_file_fd);
	/* Files freeze in preserve order: this one last, after the memfd. */
	fail_file = test_file_create(9);
	luo_require(fail_file >= 0 && !test_file_cmd(fail_file, "fail-freeze") &&
		    !luo_preserve_fd(session_fd, fail_file, 3), "a test file whose freeze fails");
	memset(page, 0x5a, sizeof(page));
	ok = pwrite(memfd_fd, page, sizeof(page), hole_page * sizeof(page)) == sizeof(page);
	for (int k = 1; ok && k < FREEZE_NEW; k++)
		ok = next_hole();
	luo_require(ok, "%d pages written into holes after the preserve", FREEZE_NEW);
	if (lu_kexec_load_next())
		ksft_exit_fail_msg("loading the next kernel (lu-kexec --load) failed\n");
	sweep(&rb);
	report(&rb);
	/*
	 * A freeze cancelled by a later file gives back what it preserved:
	 * a page written into a hole is preserved by the memfd's freeze,
	 * and unpreserved and unpinned again when the test file's fails.
	 */
	luo_require(next_hole(), "a page written into a hole");
	snap(&before);
	ret = reboot(LINUX_REBOOT_CMD_KEXEC) ? -errno : 0;
	snap(&after);
	luo_check(ret == -EAGAIN && same(&before, &after),
		  "a cancelled freeze gave back what it preserved (%s; pages %lld->%lld pins %lld->%lld)",
		  luo_strerror(ret), before.pages, after.pages, before.pins, after.pins);
	luo_require(next_hole(), "the hole page written again after the cancel");
	/* Now the real kexec (lu-init's): everything crosses it. */
	test_file_cmd(fail_file, "ok");
	close(fail_file);
	close(test_fd);
	close(luo_fd);
	luo_require(lu_carry_set(CARRY_READY, "%ld", hole_page), "carry to stage 2");
	luo_require(daemonize_and_hold() > 0, "daemon holds the session");
	ksft_finished();
}

static int op_open(void)
{
	int fd = luo_open_device();

	if (fd < 0)
		return fd;
	luo_fd = fd;
	return 0;
}

/* /dev/liveupdate is opened by one at a time: close it to open it again. */
static void undo_open(void)
{
	close(luo_fd);
	luo_fd = -1;
}

static int op_retrieve_session(void)
{
	int fd = luo_retrieve_session(luo_fd, SESSION);

	if (fd < 0)
		return fd;
	session_fd = fd;
	return 0;
}

static int op_retrieve_memfd(void)
{
	int fd = luo_retrieve_fd(session_fd, 2);

	if (fd < 0)
		return fd;
	memfd_fd = fd;
	return 0;
}

static int op_finish(void)
{
	return luo_finish(session_fd);
}

static void stage2(void)
{
	struct sweep open_ = { .name = "open (read the incoming state)", .op = op_open,
			       .undo = undo_open };
	struct sweep rs = { .name = "retrieve_session", .op = op_retrieve_session };
	struct sweep rf = { .name = "retrieve_fd(memfd)", .op = op_retrieve_memfd };
	struct sweep fin = { .name = "finish", .op = op_finish };
	static char page[4096];
	long bad = 0, last_hole;
	__u64 v = 0;
	char carry[8];
	int t;

	ksft_set_plan(7);
	luo_require(lu_carry_get(CARRY_READY, carry, sizeof(carry)), "stage 1 completed");
	last_hole = atol(carry);
	setup_injection();
	sweep(&open_);
	report(&open_);
	sweep(&rs);
	report(&rs);
	sweep(&rf);
	report(&rf);
	for (long off = 0; memfd_fd >= 0 && off < MEMFD_SZ; off += sizeof(page)) {
		long p = off / sizeof(page);
		bool data = !(p % 2), extra = p % 2 && p <= last_hole;

		if (pread(memfd_fd, page, sizeof(page), off) != sizeof(page))
			bad++;
		for (long k = 0; k < (long)sizeof(page); k++)
			bad += (unsigned char)page[k] != (data ? pattern(off + k) : extra ? 0x5a : 0);
	}
	luo_check(memfd_fd >= 0 && !bad, "the memfd came back intact (%ld bad bytes)", bad);
	t = luo_retrieve_fd(session_fd, 1);
	luo_check(t >= 0 && !test_file_value(t, &v) && v == 42, "the test file came back (%llu)",
		  (unsigned long long)v);
	sweep(&fin);
	report(&fin);
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2)
