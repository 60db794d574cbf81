// SPDX-License-Identifier: GPL-2.0
/*
 * lu_workload: random, seeded, replayable memfd workloads across chained
 * live updates, checked byte for byte against a model.
 *
 * Every stage (boot) of a run does two things:
 *
 *  1. Verify (every stage but the cold boot): rebuild, without touching any
 *     file, the previous stage's workload from (seed, stage - 1), which
 *     gives the model of every memfd it preserved: sessions, tokens, size,
 *     file position, seals, mode, and the version of every page (0 for a
 *     hole); fold in the journal the previous stage's writer threads kept
 *     in a preserved memfd; then retrieve every session and memfd and check
 *     every attribute and every byte, and finish the sessions.
 *
 *  2. Generate (every stage but the last): draw a new workload from the
 *     PRNG stream of (seed, stage): sessions with random names (some
 *     empty), memfds of random sizes (0, 1, odd, 4095/4096/4097, page and
 *     2 MiB multiples, up to hundreds of MiB, sparse or dense within a
 *     budget), written through write(2), pwrite(2) and MAP_SHARED mappings,
 *     fallocate()d and hole-punched ranges, pages swapped out with
 *     MADV_PAGEOUT, THP on and off (shmem_enabled, MADV_HUGEPAGE), mode,
 *     seals (F_SEAL_EXEC too; MFD_NOEXEC_SEAL, MFD_EXEC), writes after
 *     PRESERVE_FD, more seals, the file position. Then a daemon holds the
 *     sessions and runs writer threads until the machine kexecs: each
 *     writer rewrites existing pages and writes into holes, and records
 *     each write in the journal: intent before, commit (or the error)
 *     after. The next stage knows exactly which writes returned success:
 *     a committed write must be there, an intent without commit may be the
 *     old or the new contents, a refused write must have left the old.
 *
 * Page contents are generated from (seed, stage, file, page, version), so
 * nothing is stored to compare with: the checker regenerates it.
 *
 * Parameters (kernel command line): lu.seed=N (default 1), lu.wl.mib=N
 * (populated MiB budget per stage, default 64), lu.wl.writers=N (default
 * 2), lu.wl.swap=0 (no swap device: no MADV_PAGEOUT), lu.wl.soak=1 (soak:
 * at least lu.wl.mib MiB per stage, default 256, and the memory
 * accounting checks), lu.wl.leak=MiB (tests the soak checks: keep MiB
 * more in every stage on purpose). Swap is set up on /dev/vda (mkswap,
 * swapon) when it is there; without it the run fails unless lu.wl.swap=0.
 *
 * Output: a WL-SUMMARY line per stage, WL-BUG lines naming the known bug
 * a failure matches, WL-FOUND (the bugs hit) and WL-REPLAY (the command
 * that replays the run) on failure, WL-SOAK lines in soak mode.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"

#ifndef MFD_EXEC
#define MFD_EXEC		0x0010U
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL		0x0008U
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE	0x0010
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC		0x0020
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT		21
#endif

typedef uint64_t u64;
typedef int64_t s64;
typedef uint32_t u32;
typedef int32_t s32;
typedef uint8_t u8;

#define PG			4096ULL
#define KiB			1024ULL
#define MiB			(1024ULL * KiB)
#define HPAGE			(2 * MiB)
#define HPAGE_PAGES		(HPAGE / PG)
#define CHUNK			MiB

#define MAX_SESS		8
#define MAX_FILES		40
#define MAX_WRITERS		8
#define MAX_PRINT		6	/* messages per kind of failure */

#define SHMEM_ENABLED		"/sys/kernel/mm/transparent_hugepage/shmem_enabled"
#define BLACKOUT		"/sys/kernel/liveupdate/blackout"
#define KHO_IN_STATUS		"/sys/kernel/debug/kho/in/status"
#define KHO_OUT_PRESERVED	"/sys/kernel/debug/kho/out/preserved"
#define SWAP_DEV		"/dev/vda"
/* F_GETFL shows the kernel's O_LARGEFILE, which glibc defines as 0 on 64-bit. */
#define KERNEL_O_LARGEFILE	0100000

/* Page flags of the model. */
#define PF_FALLOC		0x01	/* fallocate()d, not written since: zeros */
#define PF_SWAPPED		0x02	/* paged out before PRESERVE_FD, not touched since */
#define PF_JOURNAL		0x04	/* a writer's target: checked from the journal */
#define PF_POST			0x08	/* written after PRESERVE_FD by the generator */
#define PF_HOLEPOST		0x10	/* ... into what was a hole at PRESERVE_FD */
#define PF_TOUCHED		0x20	/* ever allocated (for the st_blocks bounds) */
#define PF_PAGEOUT_POST		0x40	/* paged out after PRESERVE_FD (lu.wl.extra=3) */

/*
 * Extra hazards, beyond the list, off unless lu.wl.extra=N,M asks:
 * each is something users do whose outcome nobody has promised yet.
 */
enum extra {
	EXTRA_POS_PAST_EOF = 1,		/* lseek() past EOF before the kexec */
	EXTRA_FALLOC_POST,		/* fallocate() inside the size after PRESERVE_FD */
	EXTRA_PAGEOUT_POST,		/* MADV_PAGEOUT of preserved (pinned) pages */
	EXTRA_KEEP_SIZE,		/* fallocate(FALLOC_FL_KEEP_SIZE) past EOF before */
	NR_EXTRA
};

/* Soak tolerances, per measured stage against the first one measured (stage 2). */
#define SOAK_TOL_FREE_KB	(24 * 1024LL)	/* MemFree (+ per-CPU lists) may drop this much */
#define SOAK_TOL_SHMEM_KB	(4 * 1024LL)	/* Shmem may grow this much */
#define SOAK_TOL_KHO_PAGES	16LL		/* KHO counters may grow this many pages */

enum thp_mode { THP_NEVER, THP_ALWAYS, THP_WITHIN, THP_ADVISE, NR_THP };
static const char *const thp_names[NR_THP] = { "never", "always", "within_size", "advise" };

enum method { M_WRITE, M_PWRITE, M_MMAP, NR_METHODS };
static const char *const method_names[NR_METHODS] = { "write", "pwrite", "mmap" };

/* The bugs this generator knows, by number as in the issue; OTHER is anything else. */
enum bug { BUG_ODD_SIZE = 1, BUG_SWAP, BUG_FREEZE_HOLE, BUG_MODE, BUG_FALLOC, BUG_OTHER,
	   NR_BUGS };
static const char *const bug_names[NR_BUGS] = {
	[BUG_ODD_SIZE] = "(1) PRESERVE_FD fails for a size that is not a page multiple or a THP folio past EOF",
	[BUG_SWAP] = "(2) pages swapped out before PRESERVE_FD come back as zeros",
	[BUG_FREEZE_HOLE] = "(3) a write into a hole between reboot()'s freeze and the jump is lost",
	[BUG_MODE] = "(4) the mode does not survive (MFD_NOEXEC_SEAL, fchmod)",
	[BUG_FALLOC] = "(5) a fallocate()d range never written does not read as zeros",
	[BUG_OTHER] = "not one of the known bugs",
};

/* ---------------------------------------------------------------- PRNG -- */

static u64 mix64(u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

struct rng {
	u64 s;
};

static void rng_init(struct rng *r, u64 a, u64 b)
{
	r->s = mix64(a ^ 0x6c755f776f726b6cULL) ^ mix64(b + 0x7374616765ULL);
}

static u64 rnd(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return mix64(r->s);
}

static u64 rnd_below(struct rng *r, u64 n)
{
	return n ? rnd(r) % n : 0;
}

static u64 rnd_range(struct rng *r, u64 lo, u64 hi)
{
	return hi <= lo ? lo : lo + rnd_below(r, hi - lo + 1);
}

static int chance(struct rng *r, int pct)
{
	return (int)rnd_below(r, 100) < pct;
}

/* ------------------------------------------------------------ contents -- */

#define WL_PAGE_MAGIC		0x4c55574cULL	/* "LUWL" */

/*
 * Page @page of file @file of stage @stage, at version @ver: a header that
 * names it (so a wrong page can be identified), then xorshift64 words.
 */
static void gen_page(void *dst, u64 seed, u32 stage, u32 file, u64 page, u64 ver)
{
	u64 *w = dst, x = mix64(seed ^ mix64(((u64)stage << 32 | file) ^ mix64(page ^ mix64(ver))));
	unsigned int i;

	w[0] = WL_PAGE_MAGIC << 32 | (u64)(stage & 0xffff) << 16 | (file & 0xffff);
	w[1] = page;
	w[2] = ver;
	w[3] = seed;
	if (!x)
		x = 1;
	for (i = 4; i < PG / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		w[i] = x;
	}
}

static const u8 zero_page[PG];

static bool is_zero(const void *p, size_t len)
{
	return !memcmp(p, zero_page, len);
}

/* What a page that is not what it should be holds instead, in words. */
static void describe_page(const void *p, size_t len, char *out, size_t outlen)
{
	const u64 *w = p;

	if (is_zero(p, len))
		snprintf(out, outlen, "zeros");
	else if (len >= 32 && w[0] >> 32 == WL_PAGE_MAGIC)
		snprintf(out, outlen, "stage %llu file %llu page %llu version %#llx",
			 (unsigned long long)(w[0] >> 16 & 0xffff),
			 (unsigned long long)(w[0] & 0xffff), (unsigned long long)w[1],
			 (unsigned long long)w[2]);
	else
		snprintf(out, outlen, "other data (%016llx...)", (unsigned long long)w[0]);
}

/* --------------------------------------------------------------- model -- */

struct wsess {
	char name[LUO_NAME_LEN];
	int nfiles;
	int fd;
};

struct wfile {
	u32 id;
	int sess;
	u64 token;
	u64 size, npages;
	unsigned int mfd_flags;
	int thp;
	unsigned int seals0, seals_pre, seals_post;	/* at creation, before, after preserve */
	unsigned int mode;		/* st_mode & 07777 expected */
	u64 pos;
	u32 *ver;			/* per page: version, 0 = zeros */
	u8 *pf;				/* per page: PF_* */
	bool writable;			/* no write seal: writers may use it */
	bool thp_ever;			/* allocated with THP possible at some point */
	u64 swap_planned;		/* pages paged out */
	u64 beyond_pages;		/* fallocated past EOF (lu.wl.extra=4) */
	u64 falloc_pages;
	/* generating stage only */
	int fd;
	char *map;
	u64 map_len;
	bool broken;			/* setup failed: not preserved */
	bool preserved;
	bool tainted;			/* something failed after preserve */
	int preserve_err;
};

struct jtarget {
	u32 file, page;
};

struct plan {
	u64 seed;
	u32 stage;
	int nsess, nfiles;
	struct wsess sess[MAX_SESS];
	struct wfile f[MAX_FILES];
	int jsess;
	u64 jtoken;
	u32 nexist, nholes, nentries;
	struct jtarget *jt;
	int nwriters, wthp;
	u64 wseed[MAX_WRITERS];
	u64 budget, used;		/* pages */
	/* totals */
	u64 bytes, data_pages, hole_pages, falloc_pages, swap_pages, post_writes;
};

/* ------------------------------------------------------------- journal -- */

#define JOURNAL_MAGIC		0x4c55574c4a524e4cULL	/* "LUWLJRNL" */

struct jhdr {
	u64 magic;
	u64 seed;
	u32 stage, nentries, nexist, nwriters;
	u64 start_ns;
	u64 writes[MAX_WRITERS];	/* writes attempted */
	u64 hole_writes[MAX_WRITERS];	/* of them into hole targets */
	u64 refused[MAX_WRITERS];	/* failed */
	u32 next_hole[MAX_WRITERS];	/* hole targets used */
};

/*
 * One write target. For existing-page targets (the first nexist) the
 * writer keeps rewriting the page: @intent is the version being written,
 * @commit the last one that returned success, @failed the last refused
 * one (@err its error). Hole targets are written once.
 */
struct jent {
	u32 file, page;
	u32 method;
	s32 err;
	u64 intent, commit, failed;
	u64 t_intent, t_commit;
	u64 pad;
};

#define JERR_SIGBUS		10000	/* err of an mmap store that got SIGBUS */

static u64 journal_size(u32 nentries)
{
	return PG + ((u64)nentries * sizeof(struct jent) + PG - 1) / PG * PG;
}

/* -------------------------------------------------------------- params -- */

static struct {
	u64 seed;
	int mib, writers, leak_mib;
	bool soak, swap;
	unsigned int avoid;	/* bit N: steer around known bug N (lu.wl.avoid=N,M) */
	char avoid_str[32];
	unsigned int extra;	/* bit N: extra hazard N (lu.wl.extra=N,M) */
	char extra_str[32];
	int stage, stages;
} P;

#define AVOID(n)		(P.avoid & (1U << (n)))
#define EXTRA(n)		(P.extra & (1U << (n)))

static u64 param_u64(const char *name, u64 def)
{
	char buf[64];

	return lu_cmdline_param(name, buf, sizeof(buf)) && buf[0] ? strtoull(buf, NULL, 0) : def;
}

/* "N,M" into bits N and M (1 <= N < @lim), the text into @str. */
static unsigned int list_bits(const char *list, char *str, size_t len, int lim)
{
	char tmp[32], *t, *save = NULL;
	unsigned int bits = 0;

	snprintf(str, len, "%s", list);
	snprintf(tmp, sizeof(tmp), "%s", str);
	for (t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (atoi(t) > 0 && atoi(t) < lim)
			bits |= 1U << atoi(t);
	return bits;
}

static unsigned int param_list(const char *name, char *str, size_t len, int lim)
{
	char tmp[32];

	if (!lu_cmdline_param(name, tmp, sizeof(tmp)))
		return 0;
	return list_bits(tmp, str, len, lim);
}

static void read_params(int argc, char **argv)
{
	P.stage = lu_stage(argc, argv);
	P.stages = lu_stages();
	P.seed = param_u64("lu.seed", 1);
	P.soak = param_u64("lu.wl.soak", 0);
	P.mib = param_u64("lu.wl.mib", P.soak ? 256 : 64);
	P.writers = param_u64("lu.wl.writers", 2);
	if (P.writers > MAX_WRITERS)
		P.writers = MAX_WRITERS;
	P.swap = param_u64("lu.wl.swap", 1);
	P.leak_mib = param_u64("lu.wl.leak", 0);
	P.avoid = param_list("lu.wl.avoid", P.avoid_str, sizeof(P.avoid_str), BUG_OTHER);
	P.extra = param_list("lu.wl.extra", P.extra_str, sizeof(P.extra_str), NR_EXTRA);
}

/* The host command that replays this run. */
static void print_replay(void)
{
	char extra[128] = "", leak[32] = "";
	int n = 0;

	if (P.writers != 2)
		n += snprintf(extra + n, sizeof(extra) - n, "%slu.wl.writers=%d", n ? " " : "",
			      P.writers);
	if (!P.swap)
		n += snprintf(extra + n, sizeof(extra) - n, "%slu.wl.swap=0", n ? " " : "");
	if (P.avoid)
		n += snprintf(extra + n, sizeof(extra) - n, "%slu.wl.avoid=%s", n ? " " : "",
			      P.avoid_str);
	if (P.extra)
		n += snprintf(extra + n, sizeof(extra) - n, "%slu.wl.extra=%s", n ? " " : "",
			      P.extra_str);
	if (P.leak_mib)
		snprintf(leak, sizeof(leak), " LEAK=%d", P.leak_mib);
	ksft_print_msg("WL-REPLAY make %s SEED=%llu %s=%d WL_MIB=%d%s%s%s%s\n",
		       P.soak ? "soak" : "workload", (unsigned long long)P.seed,
		       P.soak ? "SOAK_CYCLES" : "CYCLES", P.stages - 1, P.mib, leak,
		       n ? " WL_APPEND=\"" : "", extra, n ? "\"" : "");
}

/* ------------------------------------------------------------ failures -- */

static int bug_count[NR_BUGS];
static int failures;		/* everything that fails this stage */

static __printf(3, 4) void report(enum bug b, int *printed, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	bug_count[b]++;
	failures++;
	if (printed && (*printed)++ >= MAX_PRINT)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (b == BUG_OTHER)
		ksft_print_msg("WL-FAIL seed=%llu stage=%d: %s\n", (unsigned long long)P.seed,
			       P.stage, msg);
	else
		ksft_print_msg("WL-BUG %d seed=%llu stage=%d: %s\n", b,
			       (unsigned long long)P.seed, P.stage, msg);
}

static const char *const bug_labels[NR_BUGS] = {
	"", "(1)", "(2)", "(3)", "(4)", "(5)", "other",
};

static void print_found(void)
{
	char line[512] = "";
	size_t n = 0;
	int b;

	for (b = 1; b < NR_BUGS; b++)
		if (bug_count[b] && n < sizeof(line))
			n += snprintf(line + n, sizeof(line) - n, "%s%s x%d", n ? ", " : "",
				      bug_labels[b], bug_count[b]);
	ksft_print_msg("WL-FOUND seed=%llu stage=%d: %s\n", (unsigned long long)P.seed, P.stage,
		       n ? line : "failed checks (see above)");
	for (b = 1; b < NR_BUGS; b++)
		if (bug_count[b])
			ksft_print_msg("  %s %s\n", bug_labels[b], bug_names[b]);
	print_replay();
}

/* A TAP result of this stage; a failed one counts as a failure. */
#define wl_check(cond, fmt, ...) do {						\
	bool __ok = (cond);							\
										\
	if (!__ok)								\
		failures++;							\
	ksft_test_result(__ok, fmt "\n", ##__VA_ARGS__);			\
} while (0)

/* --------------------------------------------------------------- utils -- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static bool set_thp(int mode)
{
	return lu_write_file(SHMEM_ENABLED, thp_names[mode]);
}

static u64 hex_bitmap(const char *key)
{
	char buf[64];

	return lu_carry_get(key, buf, sizeof(buf)) ? strtoull(buf, NULL, 16) : 0;
}

/* Bytes of page @p of @f that are inside the file. */
static size_t page_len(const struct wfile *f, u64 p)
{
	u64 off = p * PG;

	return f->size - off < PG ? f->size - off : PG;
}

/* ----------------------------------------------------------- generator -- */

/*
 * The workload of a stage is built by one function, build(), which draws
 * every choice from the stage's stream and applies it to the model; with
 * @exec it also performs it on real files. The verifying stage calls it
 * without @exec to get the model of what the previous stage preserved, so
 * the two can never disagree. No draw may depend on what a system call
 * returned: outcomes that matter (which preserves failed) are carried.
 */
struct gen {
	struct plan *pl;
	struct rng r;
	bool exec;
	int luo;
	char *buf;		/* CHUNK bytes */
	int printed_op, printed_pres;
	long long swap_drop;	/* kB SwapFree went down by in the pageouts */
	u64 swap_planned;
};

static void file_fail(struct gen *g, struct wfile *f, const char *what, int err)
{
	static int printed;

	if (!g->exec)
		return;
	report(BUG_OTHER, &printed, "file %u (%llu bytes, token %#llx): %s: %s", f->id,
	       (unsigned long long)f->size, (unsigned long long)f->token, what,
	       luo_strerror(err));
	if (f->preserved)
		f->tainted = true;
	else
		f->broken = true;
}

static bool file_live(const struct gen *g, const struct wfile *f)
{
	return g->exec && !f->broken && f->fd >= 0;
}

static void model_alloc(struct wfile *f)
{
	f->ver = calloc(f->npages ? f->npages : 1, sizeof(*f->ver));
	f->pf = calloc(f->npages ? f->npages : 1, 1);
	if (!f->ver || !f->pf)
		ksft_exit_fail_msg("out of memory for the model of %llu pages\n",
				   (unsigned long long)f->npages);
}

/* Pages an allocation of [p0, p0 + n) may cost, for the budget. */
static u64 charge(const struct wfile *f, u64 p0, u64 n)
{
	u64 p, c = 0;

	if (f->thp != THP_NEVER) {
		/* A THP file takes whole 2 MiB folios: count untouched ones. */
		for (p = p0 / HPAGE_PAGES * HPAGE_PAGES; p < p0 + n; p += HPAGE_PAGES) {
			u64 q, end = p + HPAGE_PAGES < f->npages ? p + HPAGE_PAGES : f->npages;
			bool touched = false;

			for (q = p; q < end && !touched; q++)
				touched = f->pf[q] & PF_TOUCHED;
			if (!touched)
				c += HPAGE_PAGES;
		}
		return c;
	}
	for (p = p0; p < p0 + n; p++)
		c += !(f->pf[p] & PF_TOUCHED);
	return c;
}

static bool budget_take(struct gen *g, struct wfile *f, u64 p0, u64 n)
{
	u64 c = charge(f, p0, n);

	if (g->pl->used + c > g->pl->budget)
		return false;
	g->pl->used += c;
	return true;
}

static bool ensure_map(struct gen *g, struct wfile *f)
{
	if (f->map || !f->size)
		return f->map != NULL;
	f->map_len = (f->size + PG - 1) / PG * PG;
	/* A write-sealed memfd can only be mapped read-only (enough to page out). */
	f->map = mmap(NULL, f->map_len, f->writable ? PROT_READ | PROT_WRITE : PROT_READ,
		      MAP_SHARED, f->fd, 0);
	if (f->map == MAP_FAILED) {
		f->map = NULL;
		file_fail(g, f, "mmap", -errno);
		return false;
	}
	if (f->thp == THP_ADVISE && madvise(f->map, f->map_len, MADV_HUGEPAGE))
		file_fail(g, f, "madvise(MADV_HUGEPAGE)", -errno);
	return true;
}

static void drop_map(struct wfile *f)
{
	if (f->map)
		munmap(f->map, f->map_len);
	f->map = NULL;
}

/* Write pages [p0, p0 + n) of @f at version @ver with @m; @post: after PRESERVE_FD. */
static void op_write(struct gen *g, struct wfile *f, int m, u64 p0, u64 n, u32 ver, bool post)
{
	struct rng sub;
	u64 p, off, end, done;
	int err = 0;

	rng_init(&sub, rnd(&g->r), 0);
	if (!n)
		return;
	for (p = p0; p < p0 + n; p++) {
		if (post) {
			f->pf[p] |= PF_POST;
			if (!f->ver[p] && !(f->pf[p] & PF_FALLOC))
				f->pf[p] |= PF_HOLEPOST;
		}
		f->ver[p] = ver;
		f->pf[p] = (f->pf[p] & ~(PF_FALLOC | PF_SWAPPED)) | PF_TOUCHED;
	}
	if (f->thp != THP_NEVER)
		f->thp_ever = true;
	if (!file_live(g, f) || (post && !f->preserved))
		return;
	if (m == M_MMAP && !ensure_map(g, f))
		return;
	off = p0 * PG;
	end = (p0 + n) * PG < f->size ? (p0 + n) * PG : f->size;
	if (m == M_WRITE && lseek(f->fd, off, SEEK_SET) < 0)
		err = -errno;
	for (done = off; !err && done < end; ) {
		/* Generate up to CHUNK bytes, then hand them over in odd pieces. */
		u64 len = end - done < CHUNK ? end - done : CHUNK, q, o;

		for (q = 0; q < len; q += PG)
			gen_page(g->buf + q, g->pl->seed, g->pl->stage, f->id, (done + q) / PG, ver);
		for (o = 0; !err && o < len; ) {
			u64 piece = rnd_range(&sub, 1, 3 * PG);

			if (chance(&sub, 30))
				piece = len - o;
			if (piece > len - o)
				piece = len - o;
			if (m == M_PWRITE)
				err = lu_pwrite_full(f->fd, g->buf + o, piece, done + o);
			else if (m == M_WRITE)
				err = lu_write_full(f->fd, g->buf + o, piece);
			else
				memcpy(f->map + done + o, g->buf + o, piece);
			o += piece;
		}
		done += len;
	}
	if (err)
		file_fail(g, f, post ? "write after PRESERVE_FD" : "write", err);
}

/* fallocate() [p0, p0 + n) inside the size: holes become PF_FALLOC; @post: after PRESERVE_FD. */
static void op_falloc(struct gen *g, struct wfile *f, u64 p0, u64 n, bool post)
{
	u64 p, off = p0 * PG, len;

	for (p = p0; p < p0 + n; p++) {
		if (!f->ver[p] && !(f->pf[p] & PF_FALLOC)) {
			f->pf[p] |= PF_FALLOC;
			f->falloc_pages++;
		}
		f->pf[p] |= PF_TOUCHED;
	}
	if (f->thp != THP_NEVER)
		f->thp_ever = true;
	if (!file_live(g, f) || !n || (post && !f->preserved))
		return;
	len = (p0 + n) * PG < f->size ? n * PG : f->size - off;
	/*
	 * Make it likely that the folios fallocate() gets hold old data, so
	 * that handing them over as written shows: dirty as much free memory
	 * first, through a memfd that goes away at once.
	 */
	{
		int t = memfd_create("wl-dirty", MFD_CLOEXEC);
		u64 i, dl = len < 64 * MiB ? len : 64 * MiB;

		if (t >= 0) {
			memset(g->buf, 0xa5, CHUNK);
			for (i = 0; i < dl; i += CHUNK)
				if (write(t, g->buf, CHUNK) < 0)
					break;
			close(t);
		}
	}
	if (fallocate(f->fd, 0, off, len))
		file_fail(g, f, "fallocate", -errno);
}

/* Punch [p0, p0 + n): zeros again. */
static void op_punch(struct gen *g, struct wfile *f, u64 p0, u64 n)
{
	u64 p, off = p0 * PG, len;

	for (p = p0; p < p0 + n; p++) {
		if (f->pf[p] & PF_FALLOC)
			f->falloc_pages--;
		f->ver[p] = 0;
		f->pf[p] &= ~(PF_FALLOC | PF_SWAPPED);
	}
	if (!file_live(g, f) || !n)
		return;
	len = (p0 + n) * PG < f->size ? n * PG : f->size - off;
	if (fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len))
		file_fail(g, f, "fallocate(PUNCH_HOLE)", -errno);
}

/* MADV_PAGEOUT the written pages of [p0, p0 + n); @post: after PRESERVE_FD. */
static void op_pageout(struct gen *g, struct wfile *f, u64 p0, u64 n, bool post)
{
	volatile char sink;
	long long before;
	u64 p, run;
	int try;

	for (p = p0; p < p0 + n; p++)
		if (f->ver[p]) {
			f->pf[p] |= post ? PF_PAGEOUT_POST : PF_SWAPPED;
			f->swap_planned++;
			/*
			 * What SwapFree must show: small folios paged out before
			 * PRESERVE_FD (pinned ones need not go; a huge folio
			 * that cannot be split stays).
			 */
			g->swap_planned += !post && !f->thp_ever;
		}
	if (!file_live(g, f) || (post && !f->preserved) || !ensure_map(g, f))
		return;
	before = post ? 0 : lu_meminfo_kb("SwapFree");
	for (try = 0; try < 2; try++) {
		for (p = p0; p < p0 + n; p = run) {
			if (!f->ver[p]) {
				run = p + 1;
				continue;
			}
			/* Map the run (reads of written pages allocate nothing), then page it out. */
			for (run = p; run < p0 + n && f->ver[run]; run++)
				sink = f->map[run * PG];
			(void)sink;
			if (madvise(f->map + p * PG, (run - p) * PG, MADV_PAGEOUT))
				file_fail(g, f, "madvise(MADV_PAGEOUT)", -errno);
		}
		/* Pages still in another CPU's LRU batch are skipped: once more, later. */
		if (post || before - lu_meminfo_kb("SwapFree") > 0)
			break;
		usleep(50000);
	}
	if (!post)
		g->swap_drop += before - lu_meminfo_kb("SwapFree");
}

static u64 pick_size(struct rng *r)
{
	static const u64 odd[] = { 4095, 4096, 4097, 8191, 8192, 8193, 12287, 5000 };

	switch (rnd_below(r, 16)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return rnd_range(r, 2, PG - 2);
	case 3:
	case 4:
		return odd[rnd_below(r, ARRAY_SIZE(odd))];
	case 5:
		return PG * rnd_range(r, 2, 64);
	case 6:
		return PG * rnd_range(r, 2, 64) + rnd_range(r, 1, PG - 1);
	case 7:
		return HPAGE * rnd_range(r, 1, 4);
	case 8: {
		static const s64 d[] = { 1, -1, (s64)PG, -(s64)PG, (s64)PG + 1 };

		return HPAGE * rnd_range(r, 1, 4) + d[rnd_below(r, ARRAY_SIZE(d))];
	}
	case 9:
	case 10:
		return rnd_range(r, 1, 8 * MiB);
	case 11:
	case 12:
		return PG * rnd_range(r, 65, 8192);
	case 13:
	case 14:
		return MiB * rnd_range(r, 16, 384) + (chance(r, 50) ? rnd_range(r, 1, PG - 1) : 0);
	default:
		return rnd_range(r, 1, 64 * MiB);
	}
}

static const unsigned int mfd_choices[] = {
	0, MFD_ALLOW_SEALING, MFD_EXEC, MFD_EXEC | MFD_ALLOW_SEALING, MFD_NOEXEC_SEAL,
	MFD_NOEXEC_SEAL | MFD_ALLOW_SEALING,
};

static const unsigned int mode_choices[] = {
	0600, 0644, 0666, 0700, 0755, 0777, 0400, 0, 0640, 01777, 0711,
};

static unsigned int pick_seals(struct rng *r, unsigned int allowed)
{
	static const unsigned int each[] = {
		F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE, F_SEAL_FUTURE_WRITE, F_SEAL_EXEC,
		F_SEAL_SEAL,
	};
	unsigned int s = 0, i;

	for (i = 0; i < ARRAY_SIZE(each); i++)
		if (chance(r, each[i] == F_SEAL_WRITE || each[i] == F_SEAL_FUTURE_WRITE ? 10 : 25))
			s |= each[i];
	return s & allowed;
}

static void add_seals(struct gen *g, struct wfile *f, unsigned int seals, const char *when)
{
	char what[64];

	if (!seals || !file_live(g, f))
		return;
	drop_map(f);	/* F_SEAL_WRITE (also implied by F_SEAL_EXEC) needs no writable mapping */
	if (fcntl(f->fd, F_ADD_SEALS, seals)) {
		snprintf(what, sizeof(what), "F_ADD_SEALS %#x %s", seals, when);
		file_fail(g, f, what, -errno);
	}
}

/* A random extent of @f: start page and length, lengths mostly short. */
static void pick_extent(struct rng *r, const struct wfile *f, u64 *p0, u64 *n)
{
	u64 max;

	*p0 = rnd_below(r, f->npages);
	max = f->npages - *p0;
	*n = 1 + rnd_below(r, 1ULL << rnd_below(r, 10));
	if (*n > max)
		*n = max;
}

static void gen_file(struct gen *g, struct wfile *f)
{
	struct plan *pl = g->pl;
	struct rng *r = &g->r;
	unsigned int sealable, pre, post;
	u64 p0, n, i, k;
	int m, ret;
	u32 ver = 1;
	char name[32];

	f->size = pick_size(r);
	f->mfd_flags = mfd_choices[rnd_below(r, ARRAY_SIZE(mfd_choices))];
	f->thp = rnd_below(r, NR_THP);
	f->writable = true;	/* until a write seal */
	if (AVOID(BUG_ODD_SIZE)) {
		/* Page multiples; no huge folio can reach past EOF. */
		f->size = (f->size + PG - 1) / PG * PG;
		if (f->size % HPAGE && (f->thp == THP_ALWAYS || f->thp == THP_ADVISE))
			f->thp = THP_WITHIN;
	}
	if (AVOID(BUG_MODE) && f->mfd_flags & MFD_NOEXEC_SEAL)
		f->mfd_flags = (f->mfd_flags & ~MFD_NOEXEC_SEAL) | MFD_EXEC;
	f->npages = (f->size + PG - 1) / PG;
	f->fd = -1;
	model_alloc(f);
	pl->bytes += f->size;

	if (g->exec) {
		set_thp(f->thp);
		snprintf(name, sizeof(name), "wl-%u-%u", pl->stage, f->id);
		f->fd = memfd_create(name, MFD_CLOEXEC | f->mfd_flags);
		if (f->fd < 0)
			file_fail(g, f, "memfd_create", -errno);
		else if (f->size && ftruncate(f->fd, f->size))
			file_fail(g, f, "ftruncate", -errno);
	}
	f->seals0 = f->mfd_flags & MFD_NOEXEC_SEAL ? F_SEAL_EXEC :
		    f->mfd_flags & MFD_ALLOW_SEALING ? 0 : F_SEAL_SEAL;
	sealable = f->mfd_flags & (MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
	f->mode = f->mfd_flags & MFD_NOEXEC_SEAL ? 0666 : 0777;

	/* Populate: empty, dense, sparse extents, or dense with holes punched. */
	switch (f->npages ? rnd_below(r, 4) : 0) {
	case 1:
	case 3:
		m = f->thp == THP_ADVISE ? M_MMAP : rnd_below(r, NR_METHODS);
		if (budget_take(g, f, 0, f->npages)) {
			op_write(g, f, m, 0, f->npages, ver, false);
			break;
		}
		/* Too big for the budget: make it sparse. */
		/* fall through */
	case 2:
		k = rnd_range(r, 1, 48);
		for (i = 0; i < k; i++) {
			pick_extent(r, f, &p0, &n);
			m = f->thp == THP_ADVISE && chance(r, 70) ? M_MMAP : rnd_below(r, NR_METHODS);
			if (budget_take(g, f, p0, n))
				op_write(g, f, m, p0, n, ver + (u32)rnd_below(r, 3), false);
		}
		break;
	}
	/* fallocate, punch, rewrite, page out: each maybe. */
	if (f->npages && chance(r, 30)) {
		k = rnd_range(r, 1, 4);
		for (i = 0; i < k; i++) {
			pick_extent(r, f, &p0, &n);
			if (!AVOID(BUG_FALLOC) && budget_take(g, f, p0, n))
				op_falloc(g, f, p0, n, false);
		}
	}
	/* Extra 4: fallocate(FALLOC_FL_KEEP_SIZE) past EOF: folios beyond the size. */
	if (EXTRA(EXTRA_KEEP_SIZE) && chance(r, 25)) {
		n = rnd_range(r, 1, 64);
		f->beyond_pages = n + HPAGE_PAGES;	/* a huge folio may hold them */
		if (file_live(g, f) && fallocate(f->fd, FALLOC_FL_KEEP_SIZE, f->size, n * PG))
			file_fail(g, f, "fallocate(KEEP_SIZE) past EOF", -errno);
	}
	if (f->npages && chance(r, 20)) {
		k = rnd_range(r, 1, 6);
		for (i = 0; i < k; i++) {
			pick_extent(r, f, &p0, &n);
			op_punch(g, f, p0, n);
		}
	}
	if (f->npages && chance(r, 30)) {
		k = rnd_range(r, 1, 8);
		for (i = 0; i < k; i++) {
			pick_extent(r, f, &p0, &n);
			m = rnd_below(r, NR_METHODS);
			if (budget_take(g, f, p0, n))
				op_write(g, f, m, p0, n, 10 + (u32)i, false);
		}
	}
	if (P.swap && f->npages && chance(r, 40)) {
		k = rnd_range(r, 1, 4);
		for (i = 0; i < k; i++) {
			pick_extent(r, f, &p0, &n);
			if (!AVOID(BUG_SWAP))
				op_pageout(g, f, p0, n, false);
		}
	}
	/* Mode, then seals (a seal on exec bits would refuse the chmod). */
	if (chance(r, 50)) {
		unsigned int mode = mode_choices[rnd_below(r, ARRAY_SIZE(mode_choices))];

		if (f->mfd_flags & MFD_NOEXEC_SEAL)
			mode &= ~0111;
		if (!AVOID(BUG_MODE)) {
			f->mode = mode;
			if (file_live(g, f) && fchmod(f->fd, mode))
				file_fail(g, f, "fchmod", -errno);
		}
	}
	pre = sealable ? pick_seals(r, ~0U) : 0;
	add_seals(g, f, pre, "before PRESERVE_FD");
	/* F_SEAL_EXEC on an executable memfd implies the write seals (W^X). */
	if (pre & F_SEAL_EXEC && f->mode & 0111)
		pre |= F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;
	f->seals_pre = pre;
	f->writable = !(pre & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE));

	/* Preserve. */
	if (file_live(g, f)) {
		ret = luo_preserve_fd(pl->sess[f->sess].fd, f->fd, f->token);
		f->preserve_err = ret;
		f->preserved = !ret;
		if (ret) {
			bool odd = f->size % PG ||
				   (f->thp_ever && f->size % HPAGE && f->thp != THP_WITHIN);

			report(ret == -EINVAL && odd ? BUG_ODD_SIZE : BUG_OTHER, &g->printed_pres,
			       "PRESERVE_FD of file %u (%llu bytes, THP %s%s) in session '%s': %s",
			       f->id, (unsigned long long)f->size, thp_names[f->thp],
			       f->thp_ever ? "" : ", no folio allocated with THP",
			       pl->sess[f->sess].name, luo_strerror(ret));
		}
	}

	/* After PRESERVE_FD: writes into pages and holes, more seals, the position. */
	if (f->npages && f->writable) {
		k = rnd_below(r, 9);
		for (i = 0; i < k; i++) {
			pick_extent(r, f, &p0, &n);
			m = rnd_below(r, NR_METHODS);
			if (budget_take(g, f, p0, n)) {
				if (g->exec)
					set_thp(f->thp);
				op_write(g, f, m, p0, n, 100 + (u32)i, true);
				pl->post_writes++;
			}
		}
	}
	if (f->npages && EXTRA(EXTRA_FALLOC_POST) && chance(r, 40)) {
		pick_extent(r, f, &p0, &n);
		if (budget_take(g, f, p0, n)) {
			if (g->exec)
				set_thp(f->thp);
			op_falloc(g, f, p0, n, true);
		}
	}
	if (f->npages && P.swap && EXTRA(EXTRA_PAGEOUT_POST) && chance(r, 40)) {
		pick_extent(r, f, &p0, &n);
		op_pageout(g, f, p0, n, true);
	}
	/*
	 * Not F_SEAL_WRITE after PRESERVE_FD, nor F_SEAL_EXEC on an executable
	 * memfd (which implies it): the pinned folios make it EBUSY.
	 */
	post = sealable && !(pre & F_SEAL_SEAL) ? pick_seals(r, ~(unsigned int)F_SEAL_WRITE) : 0;
	if (f->mode & 0111)
		post &= ~F_SEAL_EXEC;
	if (f->preserved)
		add_seals(g, f, post, "after PRESERVE_FD");
	f->seals_post = post;
	if (post & F_SEAL_FUTURE_WRITE)
		f->writable = false;
	switch (rnd_below(r, 5)) {
	case 0:
		f->pos = 0;
		break;
	case 1:
		f->pos = f->size;
		break;
	case 2:
		f->pos = f->size / 2;
		break;
	default:
		f->pos = rnd_below(r, f->size + 1);
	}
	if (EXTRA(EXTRA_POS_PAST_EOF) && chance(r, 30))
		f->pos = f->size + rnd_range(r, 1, MiB);
	if (f->preserved && lseek(f->fd, f->pos, SEEK_SET) != (off_t)f->pos)
		file_fail(g, f, "lseek", -errno);
	drop_map(f);
}

/* Writer targets: existing pages to rewrite, holes to write once. */
static void gen_targets(struct gen *g)
{
	struct plan *pl = g->pl;
	struct rng *r = &g->r;
	u32 want_exist, want_holes, cap, tries;
	int w[MAX_FILES], nw = 0, i;

	for (i = 0; i < pl->nfiles; i++)
		if (pl->f[i].writable && pl->f[i].npages)
			w[nw++] = i;
	pl->nwriters = P.writers;
	pl->wthp = chance(r, 60) ? THP_NEVER : (int)rnd_range(r, THP_ALWAYS, THP_ADVISE);
	if (AVOID(BUG_ODD_SIZE) && pl->wthp == THP_ALWAYS)
		pl->wthp = THP_WITHIN;
	for (i = 0; i < MAX_WRITERS; i++)
		pl->wseed[i] = rnd(r);
	want_exist = rnd_range(r, 64, 1024);
	want_holes = pl->wthp == THP_NEVER ? (u32)rnd_range(r, 256, 8192) : 512;
	cap = pl->budget / 4 > 256 ? pl->budget / 4 : 256;
	if (want_holes > cap)
		want_holes = cap;
	if (AVOID(BUG_FREEZE_HOLE))
		want_holes = 0;
	pl->jt = calloc(want_exist + want_holes, sizeof(*pl->jt));
	if (!pl->jt)
		ksft_exit_fail_msg("out of memory\n");
	pl->nexist = pl->nholes = 0;
	for (tries = 0; nw && pl->nexist < want_exist && tries < want_exist * 8; tries++) {
		struct wfile *f = &pl->f[w[rnd_below(r, nw)]];
		u64 p = rnd_below(r, f->npages);

		if (f->pf[p] & PF_JOURNAL || !(f->ver[p] || f->pf[p] & PF_FALLOC))
			continue;
		f->pf[p] |= PF_JOURNAL | PF_TOUCHED;
		pl->jt[pl->nexist++] = (struct jtarget){ f->id, (u32)p };
	}
	/*
	 * Holes: with THP on, a write into a hole may take a 2 MiB folio, so
	 * the hole targets are clustered in a few 2 MiB blocks.
	 */
	for (tries = 0; nw && pl->nholes < want_holes && tries < want_holes * 8; tries++) {
		struct wfile *f = &pl->f[w[rnd_below(r, nw)]];
		u64 p = rnd_below(r, f->npages), q, end;

		if (pl->wthp == THP_NEVER) {
			if (f->pf[p] & (PF_JOURNAL | PF_FALLOC | PF_TOUCHED) || f->ver[p])
				continue;
			f->pf[p] |= PF_JOURNAL | PF_TOUCHED;
			pl->jt[pl->nexist + pl->nholes++] = (struct jtarget){ f->id, (u32)p };
			continue;
		}
		p = p / HPAGE_PAGES * HPAGE_PAGES;
		end = p + HPAGE_PAGES < f->npages ? p + HPAGE_PAGES : f->npages;
		for (q = p; q < end && pl->nholes < want_holes; q++) {
			if (f->pf[q] & (PF_JOURNAL | PF_FALLOC) || f->ver[q])
				continue;
			f->pf[q] |= PF_JOURNAL | PF_TOUCHED;
			pl->jt[pl->nexist + pl->nholes++] = (struct jtarget){ f->id, (u32)q };
		}
		f->thp_ever = true;
		tries += 64;
	}
	pl->nentries = pl->nexist + pl->nholes;
}

static void gen_name(struct rng *r, char *name)
{
	static const char cs[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:+=@%,~";
	int len = chance(r, 10) ? LUO_NAME_LEN - 1 : (int)rnd_range(r, 1, 24), i;

	for (i = 0; i < len; i++)
		name[i] = cs[rnd_below(r, sizeof(cs) - 1)];
	name[len] = '\0';
}

static u64 gen_token(struct plan *pl, struct rng *r)
{
	u64 t;
	int i;
	bool dup;

	do {
		switch (rnd_below(r, 10)) {
		case 0:
			t = rnd_below(r, 4);
			break;
		case 1:
			t = ~0ULL - rnd_below(r, 4);
			break;
		default:
			t = rnd(r);
		}
		dup = t == pl->jtoken && pl->jsess >= 0;
		for (i = 0; i < pl->nfiles && !dup; i++)
			dup = pl->f[i].token == t;
	} while (dup);
	return t;
}

/*
 * The workload of @stage: the model in @pl and, with @exec, the real
 * thing (sessions created, memfds preserved). With @np (not NULL and not
 * @exec) the files the stage could not preserve are marked.
 */
static void build(struct gen *g, struct plan *pl, u32 stage)
{
	struct rng *r = &g->r;
	int i, j, nonempty = 0;
	bool empty[MAX_SESS];
	u64 written;

	memset(pl, 0, sizeof(*pl));
	pl->seed = P.seed;
	pl->stage = stage;
	pl->jsess = -1;
	pl->budget = (u64)P.mib * MiB / PG;
	g->pl = pl;
	rng_init(r, P.seed, stage);

	pl->nsess = rnd_range(r, 1, 6);
	for (i = 0; i < pl->nsess; i++) {
		bool dup;

		pl->sess[i].fd = -1;
		do {
			gen_name(r, pl->sess[i].name);
			dup = false;
			for (j = 0; j < i && !dup; j++)
				dup = !strcmp(pl->sess[j].name, pl->sess[i].name);
		} while (dup);
		empty[i] = chance(r, 25);
		nonempty += !empty[i];
	}
	if (!nonempty)
		empty[rnd_below(r, pl->nsess)] = false;
	pl->nfiles = rnd_range(r, 4, P.soak ? 16 : 24);
	pl->jsess = rnd_below(r, pl->nsess);
	pl->jtoken = rnd(r);

	if (g->exec) {
		for (i = 0; i < pl->nsess; i++) {
			pl->sess[i].fd = luo_create_session(g->luo, pl->sess[i].name);
			if (pl->sess[i].fd < 0)
				report(BUG_OTHER, NULL, "CREATE_SESSION '%s': %s", pl->sess[i].name,
				       luo_strerror(pl->sess[i].fd));
		}
	}
	for (i = 0; i < pl->nfiles; i++) {
		struct wfile *f = &pl->f[i];

		f->id = i;
		do {
			f->sess = rnd_below(r, pl->nsess);
		} while (empty[f->sess]);
		pl->sess[f->sess].nfiles++;
		f->token = gen_token(pl, r);
		gen_file(g, f);
	}
	/* Soak: at least the budget written, the rest in one more dense file. */
	for (i = 0, written = 0; i < pl->nfiles; i++) {
		u64 p;

		for (p = 0; p < pl->f[i].npages; p++)
			written += !!pl->f[i].ver[p];
	}
	if (P.soak && written < pl->budget && pl->nfiles < MAX_FILES) {
		struct wfile *f = &pl->f[pl->nfiles];
		u64 pages = pl->budget - written;

		f->id = pl->nfiles++;
		do {
			f->sess = rnd_below(r, pl->nsess);
		} while (empty[f->sess]);
		pl->sess[f->sess].nfiles++;
		f->token = gen_token(pl, r);
		f->size = pages * PG;
		f->npages = pages;
		f->mfd_flags = MFD_ALLOW_SEALING;
		f->thp = rnd_below(r, 2) ? THP_NEVER : THP_WITHIN;
		f->seals0 = 0;
		f->mode = 0777;
		f->fd = -1;
		f->writable = true;
		model_alloc(f);
		pl->bytes += f->size;
		if (g->exec) {
			set_thp(f->thp);
			f->fd = memfd_create("wl-soak", MFD_CLOEXEC | f->mfd_flags);
			if (f->fd < 0 || ftruncate(f->fd, f->size))
				file_fail(g, f, "memfd_create/ftruncate", -errno);
		}
		pl->used += pages;
		op_write(g, f, rnd_below(r, NR_METHODS), 0, pages, 1, false);
		if (file_live(g, f)) {
			int ret = luo_preserve_fd(pl->sess[f->sess].fd, f->fd, f->token);

			f->preserve_err = ret;
			f->preserved = !ret;
			if (ret)
				report(BUG_OTHER, NULL, "PRESERVE_FD of the %llu MiB soak file: %s",
				       (unsigned long long)(f->size / MiB), luo_strerror(ret));
		}
		f->pos = rnd_below(r, f->size + 1);
		if (f->preserved && lseek(f->fd, f->pos, SEEK_SET) != (off_t)f->pos)
			file_fail(g, f, "lseek", -errno);
	}
	gen_targets(g);

	for (i = 0; i < pl->nfiles; i++) {
		const struct wfile *f = &pl->f[i];
		u64 p;

		for (p = 0; p < f->npages; p++) {
			if (f->ver[p])
				pl->data_pages++;
			else if (f->pf[p] & PF_FALLOC)
				pl->falloc_pages++;
			else
				pl->hole_pages++;
			pl->swap_pages += !!(f->pf[p] & PF_SWAPPED);
		}
	}
}

static void free_plan(struct plan *pl)
{
	int i;

	for (i = 0; i < pl->nfiles; i++) {
		free(pl->f[i].ver);
		free(pl->f[i].pf);
	}
	free(pl->jt);
}

/*
 * The model a later stage rebuilds must be the one that was executed:
 * rebuild it here without executing and compare. Any difference means a
 * draw depended on what a system call returned (a generator bug).
 */
static bool same_plan(const struct plan *a, const struct plan *b)
{
	int i;

	if (a->nsess != b->nsess || a->nfiles != b->nfiles || a->jsess != b->jsess ||
	    a->jtoken != b->jtoken || a->nexist != b->nexist || a->nholes != b->nholes ||
	    a->wthp != b->wthp || a->used != b->used ||
	    memcmp(a->jt, b->jt, a->nentries * sizeof(*a->jt)))
		return false;
	for (i = 0; i < a->nsess; i++)
		if (strcmp(a->sess[i].name, b->sess[i].name) || a->sess[i].nfiles != b->sess[i].nfiles)
			return false;
	for (i = 0; i < a->nfiles; i++) {
		const struct wfile *x = &a->f[i], *y = &b->f[i];

		if (x->sess != y->sess || x->token != y->token || x->size != y->size ||
		    x->mfd_flags != y->mfd_flags || x->thp != y->thp || x->seals0 != y->seals0 ||
		    x->seals_pre != y->seals_pre || x->seals_post != y->seals_post ||
		    x->mode != y->mode || x->pos != y->pos || x->writable != y->writable ||
		    x->thp_ever != y->thp_ever ||
		    memcmp(x->ver, y->ver, x->npages * sizeof(*x->ver)) ||
		    memcmp(x->pf, y->pf, x->npages))
			return false;
	}
	return true;
}

/* --plan SEED STAGE [MIB]: print a stage's workload (host or guest, nothing executed). */
static int print_plan(u64 seed, u32 stage)
{
	static const char *const mfd[] = { "-", "S", "X", "XS", "N", "NS" };
	static struct plan pl;
	struct gen g = { .exec = false };
	int i, k;

	P.seed = seed;
	build(&g, &pl, stage);
	printf("seed %llu stage %u: %d sessions, %d files, %llu bytes, %llu pages written, %llu holes, %llu fallocated, %llu paged out, budget %llu/%llu pages, %u+%u writer targets, writers' THP %s\n",
	       (unsigned long long)seed, stage, pl.nsess, pl.nfiles, (unsigned long long)pl.bytes,
	       (unsigned long long)pl.data_pages, (unsigned long long)pl.hole_pages,
	       (unsigned long long)pl.falloc_pages, (unsigned long long)pl.swap_pages,
	       (unsigned long long)pl.used, (unsigned long long)pl.budget, pl.nexist, pl.nholes,
	       thp_names[pl.wthp]);
	for (i = 0; i < pl.nsess; i++)
		printf("  session %d '%s': %d files%s\n", i, pl.sess[i].name, pl.sess[i].nfiles,
		       i == pl.jsess ? " + journal" : "");
	for (i = 0; i < pl.nfiles; i++) {
		const struct wfile *f = &pl.f[i];
		u64 p, data = 0, fa = 0, po = 0, sw = 0;

		for (p = 0; p < f->npages; p++) {
			data += !!f->ver[p];
			fa += !!(f->pf[p] & PF_FALLOC);
			sw += !!(f->pf[p] & PF_SWAPPED);
			po += !!(f->pf[p] & PF_PAGEOUT_POST);
		}
		for (k = 0; k < (int)ARRAY_SIZE(mfd_choices) && mfd_choices[k] != f->mfd_flags; k++)
			;
		printf("  file %2d s%d token %#018llx size %10llu (%s) data %6llu/%llu pages mfd %-2s thp %-11s mode %04o seals %#x+%#x+%#x pos %llu%s%s\n",
		       i, f->sess, (unsigned long long)f->token, (unsigned long long)f->size,
		       f->size % PG ? "odd" : "pages", (unsigned long long)data,
		       (unsigned long long)f->npages, mfd[k], thp_names[f->thp], f->mode,
		       f->seals0, f->seals_pre, f->seals_post, (unsigned long long)f->pos,
		       f->writable ? "" : " read-only",
		       fa || sw || po ? "" : "");
		if (fa || sw || po)
			printf("          fallocated %llu, paged out %llu before and %llu after PRESERVE_FD\n",
			       (unsigned long long)fa, (unsigned long long)sw, (unsigned long long)po);
	}
	free_plan(&pl);
	return 0;
}

/* ---------------------------------------------------------- the writers -- */

struct writer {
	int id;
	struct plan *pl;
	struct jhdr *hdr;
	struct jent *ent;
	int fds[MAX_FILES];		/* own open file descriptions (write(2) moves them) */
	char *maps[MAX_FILES];
	u32 *exist, nexist;		/* entry indices */
	u32 *holes, nholes;
	u64 next_ver;
	struct rng r;
};

static __thread sigjmp_buf bus_jmp;
static __thread volatile int bus_armed;

static void on_sigbus(int sig)
{
	if (bus_armed)
		siglongjmp(bus_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A store through the mapping; -JERR_SIGBUS when the kernel refused the fault. */
static __attribute__((noinline)) int store_page(char *dst, const char *src, size_t len)
{
	if (sigsetjmp(bus_jmp, 1)) {
		bus_armed = 0;
		return -JERR_SIGBUS;
	}
	bus_armed = 1;
	memcpy(dst, src, len);
	bus_armed = 0;
	return 0;
}

/* One write of page @e->page at version @v; 0 or -errno (or -JERR_SIGBUS). */
static int writer_write(struct writer *w, struct jent *e, u64 v, char *buf)
{
	struct wfile *f = &w->pl->f[e->file];
	u64 off = (u64)e->page * PG;
	size_t len = page_len(f, e->page);
	int ret = 0;

	gen_page(buf, w->pl->seed, w->pl->stage, e->file, e->page, v);
	switch (e->method) {
	case M_PWRITE:
		ret = lu_pwrite_full(w->fds[e->file], buf, len, off);
		break;
	case M_WRITE:
		if (lseek(w->fds[e->file], off, SEEK_SET) < 0)
			return -errno;
		ret = lu_write_full(w->fds[e->file], buf, len);
		break;
	default:
		ret = store_page(w->maps[e->file] + off, buf, len);
	}
	return ret;
}

static void writer_one(struct writer *w, u32 idx, bool hole, char *buf)
{
	struct jent *e = &w->ent[idx];
	u64 v = w->next_ver++;
	int ret;

	e->method = rnd_below(&w->r, NR_METHODS);
	__atomic_store_n(&e->t_intent, mono_ns(), __ATOMIC_RELAXED);
	__atomic_store_n(&e->intent, v, __ATOMIC_RELEASE);
	ret = writer_write(w, e, v, buf);
	if (!ret) {
		__atomic_store_n(&e->t_commit, mono_ns(), __ATOMIC_RELAXED);
		__atomic_store_n(&e->commit, v, __ATOMIC_RELEASE);
	} else {
		e->err = -ret;
		__atomic_store_n(&e->failed, v, __ATOMIC_RELEASE);
		w->hdr->refused[w->id]++;
	}
	w->hdr->writes[w->id]++;
	if (hole)
		w->hdr->hole_writes[w->id]++;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	char *buf = aligned_alloc(PG, PG);
	u64 last_hole = 0;
	struct timespec nap;

	setpriority(PRIO_PROCESS, syscall(SYS_gettid), 5);
	for (;;) {
		u64 now;

		if (w->nexist)
			writer_one(w, w->exist[rnd_below(&w->r, w->nexist)], false, buf);
		now = mono_ns();
		/* A hole every 2 ms or so, so that holes last until the kexec. */
		if (w->hdr->next_hole[w->id] < w->nholes && now - last_hole > 2000000) {
			writer_one(w, w->holes[w->hdr->next_hole[w->id]], true, buf);
			w->hdr->next_hole[w->id]++;
			last_hole = now;
		}
		nap.tv_sec = 0;
		nap.tv_nsec = rnd_range(&w->r, 20000, 200000);
		nanosleep(&nap, NULL);
	}
	return NULL;
}

/*
 * The session holder: a daemon (its own session, no stdio) that keeps
 * every fd, and writer threads that write until the machine kexecs.
 */
static pid_t start_daemon(struct plan *pl, char *jmap)
{
	static struct writer ws[MAX_WRITERS];
	struct sigaction sa = { .sa_handler = on_sigbus };
	pthread_t t;
	pid_t pid;
	int i, j, null;

	fflush(NULL);
	pid = fork();
	if (pid)
		return pid < 0 ? -errno : pid;
	setsid();
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGBUS, &sa, NULL);
	null = open("/dev/null", O_RDWR);
	dup2(null, 0);
	dup2(null, 1);
	dup2(null, 2);
	((struct jhdr *)jmap)->start_ns = mono_ns();
	for (i = 0; i < pl->nwriters; i++) {
		struct writer *w = &ws[i];

		w->id = i;
		w->pl = pl;
		w->hdr = (struct jhdr *)jmap;
		w->ent = (struct jent *)(jmap + PG);
		w->next_ver = (u64)(i + 1) << 40 | 1;
		rng_init(&w->r, pl->wseed[i], i);
		w->exist = calloc(pl->nentries + 1, sizeof(u32));
		w->holes = calloc(pl->nentries + 1, sizeof(u32));
		for (j = 0; j < pl->nfiles; j++) {
			struct wfile *f = &pl->f[j];
			char path[64];

			w->fds[j] = -1;
			w->maps[j] = NULL;
			if (!f->preserved || f->tainted || !f->writable || !f->npages)
				continue;
			snprintf(path, sizeof(path), "/proc/self/fd/%d", f->fd);
			w->fds[j] = open(path, O_RDWR | O_CLOEXEC);
			w->maps[j] = mmap(NULL, f->npages * PG, PROT_READ | PROT_WRITE, MAP_SHARED,
					  f->fd, 0);
			if (w->maps[j] == MAP_FAILED)
				w->maps[j] = NULL;
		}
		for (j = 0; j < (int)pl->nentries; j++) {
			u32 fi = pl->jt[j].file;

			if (j % pl->nwriters != i || w->fds[fi] < 0 || !w->maps[fi])
				continue;
			if (j < (int)pl->nexist)
				w->exist[w->nexist++] = j;
			else
				w->holes[w->nholes++] = j;
		}
	}
	for (i = 0; i < pl->nwriters; i++)
		pthread_create(&t, NULL, writer_main, &ws[i]);
	for (;;)
		pause();
}

/* ------------------------------------------------------------ swap -- */

static int run_cmd(const char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Swap on /dev/vda (the runner's -D disk): 0, or why not. */
static const char *setup_swap(void)
{
	static const char *const mkswap[] = { "/bin/busybox", "mkswap", SWAP_DEV, NULL };
	static const char *const swapon[] = { "/bin/busybox", "swapon", SWAP_DEV, NULL };

	if (lu_meminfo_kb("SwapTotal") > 0)
		return NULL;
	if (access(SWAP_DEV, R_OK))
		return "no " SWAP_DEV " (run with a disk: make workload, vmtest.sh -D 1G)";
	if (run_cmd(mkswap))
		return "mkswap " SWAP_DEV " failed";
	if (run_cmd(swapon))
		return "swapon " SWAP_DEV " failed (CONFIG_SWAP?)";
	return lu_meminfo_kb("SwapTotal") > 0 ? NULL : "SwapTotal is 0 after swapon";
}

/* ------------------------------------------------------------ checker -- */

struct vstats {
	int sess_ok, files_ok, files, attrs_bad, content_bad_files;
	u64 bytes, pages, holes, swapped, falloc;
	u64 jwrites, jcommitted, jrefused, jpending, jtorn, jbad;
	int finished;
};

static struct {
	long long prev_mono;	/* old kernel's CLOCK_MONOTONIC at reboot */
	long long frozen, jump;	/* ns after reboot entered */
} bo = { -1, -1, -1 };

static void read_blackout(void)
{
	char line[256], name[64];
	long long v;
	FILE *f = fopen(BLACKOUT, "re");

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "prev_mono_ns %lld", &v) == 1)
			bo.prev_mono = v;
		else if (sscanf(line, "stamp %63s %lld", name, &v) == 2) {
			if (!strcmp(name, "frozen"))
				bo.frozen = v;
			else if (!strcmp(name, "jump"))
				bo.jump = v;
		}
	}
	if (f)
		fclose(f);
}

/*
 * When the old kernel's CLOCK_MONOTONIC @t was, relative to reboot()
 * entering the kexec path (the blackout record); -1 if unknown.
 */
static double since_reboot_ms(u64 t)
{
	return bo.prev_mono < 0 || !t ? -1e18 : ((double)(s64)t - (double)bo.prev_mono) / 1e6;
}

static void when(u64 t, char *out, size_t len)
{
	double ms = since_reboot_ms(t);

	if (ms < -1e17)
		snprintf(out, len, "time unknown");
	else if (bo.frozen >= 0)
		snprintf(out, len, "%+.3f ms after reboot() entered; every file frozen at %+.3f ms",
			 ms, bo.frozen / 1e6);
	else
		snprintf(out, len, "%+.3f ms after reboot() entered", ms);
}

/* The pages journal entries may have: old (model) and new versions. */
struct allowed {
	u64 a, b;	/* versions (0 = zeros), b only if two are allowed */
	bool two;
};

static bool page_matches(const struct plan *pl, const struct wfile *f, u64 p, const u8 *got,
			 u64 ver, u8 *tmp)
{
	size_t len = page_len(f, p);

	if (!ver)
		return is_zero(got, len);
	gen_page(tmp, pl->seed, pl->stage, f->id, p, ver);
	return !memcmp(got, tmp, len);
}

/*
 * A write in flight when the machine jumped to the next kernel may have
 * been cut short anywhere (the CPU is stopped in the middle of the copy):
 * every byte must be the old or the new one.
 */
static bool page_torn_ok(const struct plan *pl, const struct wfile *f, u64 p, const u8 *got,
			 u64 v_old, u64 v_new, u8 *tmp)
{
	u8 other[PG] __attribute__((aligned(8)));
	size_t i, len = page_len(f, p);

	if (v_old)
		gen_page(tmp, pl->seed, pl->stage, f->id, p, v_old);
	else
		memset(tmp, 0, PG);
	gen_page(other, pl->seed, pl->stage, f->id, p, v_new);
	for (i = 0; i < len; i++)
		if (got[i] != tmp[i] && got[i] != other[i])
			return false;
	return true;
}

static void check_contents(const struct plan *pl, const struct wfile *f, int fd, u8 *buf,
			   struct vstats *vs)
{
	static int printed[NR_BUGS];
	u8 tmp[PG] __attribute__((aligned(8)));
	u64 off, p, bad = 0;
	char what[96], want[32];
	int ret;

	for (off = 0; off < f->size; off += CHUNK) {
		u64 len = f->size - off < CHUNK ? f->size - off : CHUNK;

		ret = lu_pread_full(fd, buf, len, off);
		if (ret) {
			report(BUG_OTHER, &printed[BUG_OTHER], "file %u: pread %llu bytes at %llu: %s",
			       f->id, (unsigned long long)len, (unsigned long long)off,
			       luo_strerror(ret));
			bad++;
			break;
		}
		for (p = off / PG; p * PG < off + len; p++) {
			const u8 *got = buf + (p * PG - off);
			u32 ver = f->ver[p];
			enum bug b = BUG_OTHER;

			if (f->pf[p] & PF_JOURNAL)
				continue;	/* checked from the journal */
			if (page_matches(pl, f, p, got, ver, tmp))
				continue;
			bad++;
			describe_page(got, page_len(f, p), what, sizeof(what));
			if (ver)
				snprintf(want, sizeof(want), "version %u", ver);
			else
				snprintf(want, sizeof(want), "zeros");
			if (ver && is_zero(got, page_len(f, p)) && f->pf[p] & PF_SWAPPED)
				b = BUG_SWAP;
			else if (!ver && f->pf[p] & PF_FALLOC)
				b = BUG_FALLOC;
			report(b, &printed[b],
			       "file %u (%llu bytes, token %#llx) page %llu: want %s%s, got %s",
			       f->id, (unsigned long long)f->size, (unsigned long long)f->token,
			       (unsigned long long)p, want,
			       f->pf[p] & PF_SWAPPED ? " (paged out before PRESERVE_FD)" :
			       f->pf[p] & PF_PAGEOUT_POST ? " (paged out after PRESERVE_FD)" :
			       f->pf[p] & PF_FALLOC ? " (fallocated, never written)" :
			       f->pf[p] & PF_HOLEPOST ? " (written into a hole after PRESERVE_FD)" :
			       f->pf[p] & PF_POST ? " (written after PRESERVE_FD)" : "", what);
		}
	}
	vs->content_bad_files += !!bad;
}

static void check_journal_entries(const struct plan *pl, struct jent *ent, int *fds,
				  u64 np, u8 *buf, struct vstats *vs)
{
	static int printed[NR_BUGS];
	u8 tmp[PG] __attribute__((aligned(8)));
	char what[96], t[128];
	u32 i;

	for (i = 0; i < pl->nentries; i++) {
		struct jent *e = &ent[i];
		const struct wfile *f;
		u64 intent, commit, failed, oldv;
		bool hole = i >= pl->nexist, ok, zeros;
		int ret;

		if (e->file != pl->jt[i].file || e->page != pl->jt[i].page) {
			report(BUG_OTHER, &printed[BUG_OTHER],
			       "journal entry %u names file %u page %u, the model file %u page %u", i,
			       e->file, e->page, pl->jt[i].file, pl->jt[i].page);
			vs->jbad++;
			continue;
		}
		f = &pl->f[e->file];
		if (np & (1ULL << e->file) || fds[e->file] < 0)
			continue;
		intent = e->intent;
		commit = e->commit;
		failed = e->failed;
		oldv = f->ver[e->page];
		ret = lu_pread_full(fds[e->file], buf, page_len(f, e->page), (u64)e->page * PG);
		if (ret) {
			report(BUG_OTHER, &printed[BUG_OTHER], "file %u: pread page %u: %s", f->id,
			       e->page, luo_strerror(ret));
			continue;
		}
		if (!intent) {
			ok = page_matches(pl, f, e->page, buf, oldv, tmp);
		} else if (failed == intent) {
			/* Refused: the old contents, only in a hole, only EBUSY or SIGBUS. */
			vs->jrefused++;
			ok = page_matches(pl, f, e->page, buf, commit ? commit : oldv, tmp);
			if (!hole || oldv || f->pf[e->page] & PF_FALLOC || commit)
				report(BUG_OTHER, &printed[BUG_OTHER],
				       "file %u page %u: a %s into an existing page was refused (%s)",
				       f->id, e->page, method_names[e->method % NR_METHODS],
				       e->err == JERR_SIGBUS ? "SIGBUS" : strerror(e->err));
			else if (e->err != EBUSY && e->err != JERR_SIGBUS)
				report(BUG_OTHER, &printed[BUG_OTHER],
				       "file %u page %u: a %s into a hole failed with %s, not EBUSY/SIGBUS",
				       f->id, e->page, method_names[e->method % NR_METHODS],
				       strerror(e->err));
		} else if (commit == intent) {
			vs->jcommitted++;
			ok = page_matches(pl, f, e->page, buf, commit, tmp);
		} else {
			/* In flight at the kexec: old, new, or cut short (each byte old or new). */
			vs->jpending++;
			ok = page_matches(pl, f, e->page, buf, intent, tmp) ||
			     page_matches(pl, f, e->page, buf, commit ? commit : oldv, tmp);
			if (!ok && page_torn_ok(pl, f, e->page, buf, commit ? commit : oldv, intent,
						tmp)) {
				ok = true;
				vs->jtorn++;
			}
		}
		if (ok)
			continue;
		vs->jbad++;
		describe_page(buf, page_len(f, e->page), what, sizeof(what));
		when(commit == intent ? e->t_commit : e->t_intent, t, sizeof(t));
		zeros = is_zero(buf, page_len(f, e->page));
		if (zeros && f->pf[e->page] & PF_SWAPPED)
			report(BUG_SWAP, &printed[BUG_SWAP],
			       "file %u page %u (paged out before PRESERVE_FD, a writer's target, intent %#llx commit %#llx) reads as zeros",
			       f->id, e->page, (unsigned long long)intent, (unsigned long long)commit);
		else if (!zeros && !commit && !oldv && f->pf[e->page] & PF_FALLOC)
			report(BUG_FALLOC, &printed[BUG_FALLOC],
			       "file %u page %u (fallocated, a writer's target never committed) holds %s",
			       f->id, e->page, what);
		else if (hole && commit == intent && intent && zeros &&
			 since_reboot_ms(e->t_commit) >= 0)
			report(BUG_FREEZE_HOLE, &printed[BUG_FREEZE_HOLE],
			       "file %u page %u: committed %s into a hole (version %#llx, committed %s) reads as zeros",
			       f->id, e->page, method_names[e->method % NR_METHODS],
			       (unsigned long long)commit, t);
		else
			report(BUG_OTHER, &printed[BUG_OTHER],
			       "file %u page %u (%s target): journal intent %#llx commit %#llx failed %#llx (%s), page holds %s",
			       f->id, e->page, hole ? "hole" : "existing", (unsigned long long)intent,
			       (unsigned long long)commit, (unsigned long long)failed, t, what);
	}
}

/* Upper and lower bounds of st_blocks (512-byte units) of @f. */
static void blocks_bounds(const struct wfile *f, long long *lo, long long *hi)
{
	u64 p, lo_p = 0, hi_p = 0, q;

	for (p = 0; p < f->npages; p++)
		lo_p += f->ver[p] && !(f->pf[p] & (PF_JOURNAL | PF_SWAPPED));
	if (f->thp_ever) {
		for (p = 0; p < f->npages; p += HPAGE_PAGES) {
			bool t = false;

			for (q = p; q < p + HPAGE_PAGES && q < f->npages && !t; q++)
				t = f->pf[q] & PF_TOUCHED || f->ver[q];
			hi_p += t ? HPAGE_PAGES : 0;
		}
	} else {
		for (p = 0; p < f->npages; p++)
			hi_p += f->ver[p] || f->pf[p] & (PF_TOUCHED | PF_FALLOC | PF_JOURNAL);
	}
	hi_p += f->beyond_pages;
	*lo = lo_p * (PG / 512);
	*hi = hi_p * (PG / 512);
}

static void check_attrs(const struct wfile *f, int fd, struct vstats *vs)
{
	static int printed[NR_BUGS];
	unsigned int seals = f->seals0 | f->seals_pre | f->seals_post;
	long long pos, lo, hi;
	int got_seals, fl;
	struct stat st;
	bool bad = false;

	if (fstat(fd, &st)) {
		report(BUG_OTHER, &printed[BUG_OTHER], "file %u: fstat: %s", f->id, strerror(errno));
		vs->attrs_bad++;
		return;
	}
	pos = lseek(fd, 0, SEEK_CUR);
	got_seals = fcntl(fd, F_GET_SEALS);
	fl = fcntl(fd, F_GETFL);
	if ((u64)st.st_size != f->size) {
		report(BUG_OTHER, &printed[BUG_OTHER], "file %u: size %lld, want %llu", f->id,
		       (long long)st.st_size, (unsigned long long)f->size);
		bad = true;
	}
	if (pos != (long long)f->pos) {
		report(BUG_OTHER, &printed[BUG_OTHER], "file %u (%llu bytes): position %lld, want %llu",
		       f->id, (unsigned long long)f->size, pos, (unsigned long long)f->pos);
		bad = true;
	}
	if (got_seals != (int)seals) {
		report(BUG_OTHER, &printed[BUG_OTHER], "file %u: seals %#x, want %#x (%s)", f->id,
		       got_seals, seals, f->mfd_flags & MFD_NOEXEC_SEAL ? "MFD_NOEXEC_SEAL" : "");
		bad = true;
	}
	if ((st.st_mode & 07777) != f->mode || !S_ISREG(st.st_mode)) {
		report(BUG_MODE, &printed[BUG_MODE], "file %u: mode %#o, want %#o (%s%s)", f->id,
		       st.st_mode & 07777, f->mode,
		       f->mfd_flags & MFD_NOEXEC_SEAL ? "MFD_NOEXEC_SEAL" :
		       f->mfd_flags & MFD_EXEC ? "MFD_EXEC" : "no exec flag",
		       f->mode != (f->mfd_flags & MFD_NOEXEC_SEAL ? 0666U : 0777U) ? ", fchmod" : "");
		bad = true;
	}
	if (!fd_is_cloexec(fd) || (fl & O_ACCMODE) != O_RDWR || !(fl & KERNEL_O_LARGEFILE)) {
		report(BUG_OTHER, &printed[BUG_OTHER], "file %u: flags %#x, cloexec %d", f->id, fl,
		       fd_is_cloexec(fd));
		bad = true;
	}
	blocks_bounds(f, &lo, &hi);
	if (st.st_blocks < lo || st.st_blocks > hi) {
		report(BUG_OTHER, &printed[BUG_OTHER],
		       "file %u (%llu bytes, THP %s): st_blocks %lld outside [%lld, %lld]", f->id,
		       (unsigned long long)f->size, f->thp_ever ? "used" : "not used",
		       (long long)st.st_blocks, lo, hi);
		bad = true;
	}
	vs->attrs_bad += bad;
}

/* ------------------------------------------------------------- soak -- */

struct acct {
	long long free_kb, shmem_kb, kho_unrestored, kho_out_pages;
};

static void measure(struct acct *a)
{
	long long v;

	/* Let freed memory settle (RCU, per-CPU lists) before reading. */
	usleep(300000);
	a->free_kb = lu_mem_free_kb();
	a->shmem_kb = lu_meminfo_kb("Shmem");
	v = lu_stat_value(KHO_IN_STATUS, "unrestored_pages");
	a->kho_unrestored = v < 0 ? 0 : v;
	a->kho_out_pages = lu_stat_value(KHO_OUT_PRESERVED, "pages");
}

static bool soak_check(const struct acct *a)
{
	struct acct ref;
	char buf[160];
	bool ok = true;

	ksft_print_msg("WL-SOAK stage=%d free_kb=%lld shmem_kb=%lld kho_in_unrestored=%lld kho_out_pages=%lld\n",
		       P.stage, a->free_kb, a->shmem_kb, a->kho_unrestored, a->kho_out_pages);
	if (!lu_carry_get("wl.ref", buf, sizeof(buf)) ||
	    sscanf(buf, "%lld:%lld:%lld:%lld", &ref.free_kb, &ref.shmem_kb, &ref.kho_unrestored,
		   &ref.kho_out_pages) != 4) {
		lu_carry_set("wl.ref", "%lld:%lld:%lld:%lld", a->free_kb, a->shmem_kb,
			     a->kho_unrestored, a->kho_out_pages);
		ksft_print_msg("soak: stage %d is the reference for the next stages\n", P.stage);
		return true;
	}
	lu_carry_set("wl.ref", "%s", buf);
	if (a->free_kb < ref.free_kb - SOAK_TOL_FREE_KB) {
		report(BUG_OTHER, NULL, "soak: free memory %lld kB, %lld kB less than at the reference stage (tolerance %lld kB)",
		       a->free_kb, ref.free_kb - a->free_kb, SOAK_TOL_FREE_KB);
		ok = false;
	}
	if (a->shmem_kb > ref.shmem_kb + SOAK_TOL_SHMEM_KB) {
		report(BUG_OTHER, NULL, "soak: Shmem %lld kB, grew by %lld kB since the reference stage (tolerance %lld kB)",
		       a->shmem_kb, a->shmem_kb - ref.shmem_kb, SOAK_TOL_SHMEM_KB);
		ok = false;
	}
	if (a->kho_unrestored > ref.kho_unrestored + SOAK_TOL_KHO_PAGES) {
		report(BUG_OTHER, NULL, "soak: KHO in unrestored_pages %lld, reference %lld (tolerance %lld)",
		       a->kho_unrestored, ref.kho_unrestored, SOAK_TOL_KHO_PAGES);
		ok = false;
	}
	if (a->kho_out_pages > ref.kho_out_pages + SOAK_TOL_KHO_PAGES) {
		report(BUG_OTHER, NULL, "soak: KHO out preserved pages %lld with nothing of ours preserved, reference %lld (tolerance %lld)",
		       a->kho_out_pages, ref.kho_out_pages, SOAK_TOL_KHO_PAGES);
		ok = false;
	}
	return ok;
}

/* Test-only leak (lu.wl.leak=MiB): memfds kept from stage to stage, one more each time. */
#define LEAK_SESSION_FMT	"wl-leak-%d"

static int leak_fds[256], nleak;

static void leak_retrieve(int luo)
{
	char name[LUO_NAME_LEN];
	int s, i, fd;

	if (!P.leak_mib || P.stage < 2)
		return;
	snprintf(name, sizeof(name), LEAK_SESSION_FMT, P.stage - 1);
	s = luo_retrieve_session(luo, name);
	if (s < 0) {
		report(BUG_OTHER, NULL, "leak: retrieve session '%s': %s", name, luo_strerror(s));
		return;
	}
	for (i = 0; i < P.stage - 1 && nleak < (int)ARRAY_SIZE(leak_fds); i++) {
		fd = luo_retrieve_fd(s, i + 1);
		if (fd >= 0)
			leak_fds[nleak++] = fd;
	}
	luo_finish(s);
	close(s);
}

static void leak_preserve(int luo)
{
	char name[LUO_NAME_LEN];
	int s, i, fd;

	if (!P.leak_mib)
		return;
	fd = memfd_create("wl-leak", MFD_CLOEXEC);
	if (fd >= 0 && !ftruncate(fd, (u64)P.leak_mib * MiB) &&
	    !fallocate(fd, 0, 0, (u64)P.leak_mib * MiB))
		leak_fds[nleak++] = fd;
	snprintf(name, sizeof(name), LEAK_SESSION_FMT, P.stage);
	s = luo_create_session(luo, name);
	for (i = 0; s >= 0 && i < nleak; i++)
		luo_preserve_fd(s, leak_fds[i], i + 1);
	ksft_print_msg("leak (test knob): %d memfds of %d MiB kept on purpose\n", nleak,
		       P.leak_mib);
}

/* ------------------------------------------------------------ stages -- */

static void verify_stage(int luo, u8 *buf)
{
	static struct plan pl;
	struct gen g = { .exec = false };
	struct vstats vs = { 0 };
	u64 np, taint, ok_stage;
	int fds[MAX_FILES], i, j, jfd = -1, ret;
	char cbuf[32];
	struct jhdr *hdr = NULL;
	char *jmap = MAP_FAILED;
	double t0 = now_s();
	struct acct acct;

	ok_stage = lu_carry_get("wl.ok", cbuf, sizeof(cbuf)) ? strtoull(cbuf, NULL, 10) : 0;
	wl_check(ok_stage == (u64)P.stage - 1,
		  "stage %d generated a workload for this one (lu.carry.wl.ok=%llu)", P.stage - 1,
		  (unsigned long long)ok_stage);
	np = hex_bitmap("wl.np");
	taint = hex_bitmap("wl.taint");
	build(&g, &pl, P.stage - 1);
	read_blackout();
	leak_retrieve(luo);

	for (i = 0; i < pl.nsess; i++) {
		char name[LUO_NAME_LEN];

		pl.sess[i].fd = luo_retrieve_session(luo, pl.sess[i].name);
		if (pl.sess[i].fd < 0) {
			report(BUG_OTHER, NULL, "RETRIEVE_SESSION '%s' (%d files): %s", pl.sess[i].name,
			       pl.sess[i].nfiles, luo_strerror(pl.sess[i].fd));
			continue;
		}
		if (luo_get_name(pl.sess[i].fd, name) || strcmp(name, pl.sess[i].name))
			report(BUG_OTHER, NULL, "session '%s': GET_NAME gives '%s'", pl.sess[i].name,
			       name);
		else
			vs.sess_ok++;
	}
	wl_check(vs.sess_ok == pl.nsess, "sessions: %d of %d retrieved by name, names match",
		  vs.sess_ok, pl.nsess);

	/* The journal. */
	if (pl.sess[pl.jsess].fd >= 0)
		jfd = luo_retrieve_fd(pl.sess[pl.jsess].fd, pl.jtoken);
	if (jfd >= 0)
		jmap = mmap(NULL, journal_size(pl.nentries), PROT_READ | PROT_WRITE, MAP_SHARED, jfd,
			    0);
	if (jmap != MAP_FAILED) {
		hdr = (struct jhdr *)jmap;
		if (hdr->magic != JOURNAL_MAGIC || hdr->seed != pl.seed || hdr->stage != pl.stage ||
		    hdr->nentries != pl.nentries || hdr->nexist != pl.nexist) {
			report(BUG_OTHER, NULL, "journal header: magic %#llx seed %llu stage %u entries %u/%u",
			       (unsigned long long)hdr->magic, (unsigned long long)hdr->seed,
			       hdr->stage, hdr->nentries, pl.nentries);
			hdr = NULL;
		}
	} else {
		report(BUG_OTHER, NULL, "journal: retrieve token %#llx from '%s': %s",
		       (unsigned long long)pl.jtoken, pl.sess[pl.jsess].name, luo_strerror(jfd));
	}
	for (i = 0; hdr && i < (int)hdr->nwriters && i < MAX_WRITERS; i++)
		vs.jwrites += hdr->writes[i];
	wl_check(hdr != NULL, "journal: retrieved, header valid, %llu writes by %u writers",
		  (unsigned long long)vs.jwrites, hdr ? hdr->nwriters : 0);

	/* Every memfd: retrieve, attributes, every byte. */
	for (i = 0; i < pl.nfiles; i++) {
		struct wfile *f = &pl.f[i];
		int s = pl.sess[f->sess].fd;

		fds[i] = -1;
		if (s < 0)
			continue;
		ret = luo_retrieve_fd(s, f->token);
		if (np & (1ULL << i)) {
			if (ret != -ENOENT)
				report(BUG_OTHER, NULL, "file %u was not preserved, but its token %#llx gives %s",
				       f->id, (unsigned long long)f->token, luo_strerror(ret));
			if (ret >= 0)
				close(ret);
			continue;
		}
		vs.files++;
		if (ret < 0) {
			report(BUG_OTHER, NULL, "RETRIEVE_FD file %u (%llu bytes, position %llu%s, token %#llx, session '%s'): %s",
			       f->id, (unsigned long long)f->size, (unsigned long long)f->pos,
			       f->pos > f->size ? " past EOF" : "", (unsigned long long)f->token,
			       pl.sess[f->sess].name, luo_strerror(ret));
			continue;
		}
		fds[i] = ret;
		vs.files_ok++;
	}
	wl_check(vs.files_ok == vs.files,
		  "files: %d of %d memfds retrieved; %d not preserved have no token",
		  vs.files_ok, vs.files, __builtin_popcountll(np));

	for (i = 0; i < pl.nfiles; i++) {
		if (fds[i] < 0)
			continue;
		if (taint & (1ULL << i))
			ksft_print_msg("file %u: setup failed after PRESERVE_FD, contents not checked\n", i);
		check_attrs(&pl.f[i], fds[i], &vs);
	}
	wl_check(!vs.attrs_bad,
		  "attributes: size, position, seals, mode, flags, st_blocks of %d memfds (%d wrong)",
		  vs.files_ok, vs.attrs_bad);

	for (i = 0; i < pl.nfiles; i++) {
		const struct wfile *f = &pl.f[i];
		u64 p;

		if (fds[i] < 0 || taint & (1ULL << i))
			continue;
		check_contents(&pl, f, fds[i], buf, &vs);
		vs.bytes += f->size;
		for (p = 0; p < f->npages; p++) {
			vs.pages++;
			vs.holes += !f->ver[p] && !(f->pf[p] & PF_FALLOC);
			vs.swapped += !!(f->pf[p] & PF_SWAPPED);
			vs.falloc += !!(f->pf[p] & PF_FALLOC);
		}
	}
	wl_check(!vs.content_bad_files, "contents: every byte of %d memfds (%llu bytes) as modelled (%d differ)",
		  vs.files_ok, (unsigned long long)vs.bytes, vs.content_bad_files);

	if (hdr)
		check_journal_entries(&pl, (struct jent *)(jmap + PG), fds, np | taint, buf, &vs);
	wl_check(hdr && !vs.jbad,
		  "journal writes: %llu committed present, %llu refused left old contents, %llu in flight at the kexec (%llu wrong)",
		  (unsigned long long)vs.jcommitted, (unsigned long long)vs.jrefused,
		  (unsigned long long)vs.jpending, (unsigned long long)vs.jbad);

	for (i = 0, j = 0; i < pl.nsess; i++) {
		if (pl.sess[i].fd < 0)
			continue;
		ret = luo_finish(pl.sess[i].fd);
		if (ret)
			report(BUG_OTHER, NULL, "FINISH '%s': %s", pl.sess[i].name, luo_strerror(ret));
		else
			j++;
		close(pl.sess[i].fd);
	}
	vs.finished = j;
	wl_check(j == vs.sess_ok, "finish: %d of %d sessions finished", j, vs.sess_ok);

	if (jmap != MAP_FAILED)
		munmap(jmap, journal_size(pl.nentries));
	if (jfd >= 0)
		close(jfd);
	for (i = 0; i < pl.nfiles; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	ksft_print_msg("WL-SUMMARY stage=%d verified stage %d: %d sessions, %d memfds, %llu bytes, %llu pages (%llu holes, %llu fallocated, %llu paged out), journal %llu writes (%llu committed, %llu refused, %llu in flight, %llu of them cut short), %.1f s\n",
		       P.stage, P.stage - 1, vs.sess_ok, vs.files_ok, (unsigned long long)vs.bytes,
		       (unsigned long long)vs.pages, (unsigned long long)vs.holes,
		       (unsigned long long)vs.falloc, (unsigned long long)vs.swapped,
		       (unsigned long long)vs.jwrites, (unsigned long long)vs.jcommitted,
		       (unsigned long long)vs.jrefused, (unsigned long long)vs.jpending,
		       (unsigned long long)vs.jtorn, now_s() - t0);
	if (P.soak) {
		measure(&acct);
		wl_check(soak_check(&acct),
			  "accounting: free memory, Shmem and KHO counters within tolerance of the reference stage");
	}
	free_plan(&pl);
}

static void generate_stage(int luo, u8 *buf)
{
	static struct plan pl;
	struct gen g = { .exec = true, .luo = luo, .buf = (char *)buf };
	const char *why;
	long long drop;
	u64 np = 0, taint = 0;
	int i, nok = 0, jfd, ret;
	char *jmap = MAP_FAILED;
	struct jhdr *hdr;
	double t0 = now_s();
	pid_t pid;

	why = P.swap ? setup_swap() : NULL;
	wl_check(!why, "swap: %s", why ? why : P.swap ? "active on " SWAP_DEV : "off (lu.wl.swap=0)");
	if (why) {
		P.swap = false;	/* go on without paging out: the run fails anyway */
	}

	build(&g, &pl, P.stage);
	drop = g.swap_drop;
	{
		static struct plan again;
		struct gen g2 = { .exec = false };

		build(&g2, &again, P.stage);
		if (!same_plan(&pl, &again))
			report(BUG_OTHER, NULL, "generator: the plan rebuilt without executing differs from the one executed (a draw depends on a system call)");
		free_plan(&again);
	}
	for (i = 0; i < pl.nfiles; i++) {
		struct wfile *f = &pl.f[i];

		if (!f->preserved)
			np |= 1ULL << i;
		if (f->tainted)
			taint |= 1ULL << i;
		nok += f->preserved;
	}
	/*
	 * Swap slots are taken 64 at a time into a per-CPU cache, so SwapFree
	 * moves in steps: it must go down, and by at least a quarter of what
	 * was paged out, less one cache refill.
	 */
	wl_check(g.swap_planned < 16 ||
		 (drop > 0 && drop + 256 >= (long long)(g.swap_planned * PG / KiB / 4)),
		 "pageout: SwapFree went down by %lld kB for %llu small-folio pages paged out (checked from 16)",
		 drop, (unsigned long long)g.swap_planned);
	wl_check(nok == pl.nfiles, "preserve: %d of %d memfds preserved in %d sessions", nok,
		  pl.nfiles, pl.nsess);

	/* The journal: every page written before PRESERVE_FD, no huge folios. */
	set_thp(THP_NEVER);
	jfd = memfd_create("wl-journal", MFD_CLOEXEC);
	ret = jfd < 0 ? -errno : 0;
	if (!ret) {
		u64 len = journal_size(pl.nentries), off;

		memset(buf, 0, CHUNK);
		for (off = 0; !ret && off < len; off += CHUNK)
			ret = lu_pwrite_full(jfd, buf, len - off < CHUNK ? len - off : CHUNK, off);
		jmap = ret ? MAP_FAILED : mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, jfd, 0);
		if (jmap == MAP_FAILED)
			ret = ret ? ret : -errno;
	}
	if (!ret) {
		struct jent *e = (struct jent *)(jmap + PG);
		u32 k;

		hdr = (struct jhdr *)jmap;
		hdr->magic = JOURNAL_MAGIC;
		hdr->seed = pl.seed;
		hdr->stage = pl.stage;
		hdr->nentries = pl.nentries;
		hdr->nexist = pl.nexist;
		hdr->nwriters = pl.nwriters;
		for (k = 0; k < pl.nentries; k++) {
			e[k].file = pl.jt[k].file;
			e[k].page = pl.jt[k].page;
		}
		ret = pl.sess[pl.jsess].fd < 0 ? -EBADF :
		      luo_preserve_fd(pl.sess[pl.jsess].fd, jfd, pl.jtoken);
	}
	wl_check(!ret, "journal: %u targets (%u pages, %u holes) for %d writers, preserved in '%s' (%s)",
		  pl.nentries, pl.nexist, pl.nholes, pl.nwriters, pl.sess[pl.jsess].name,
		  luo_strerror(ret));
	leak_preserve(luo);
	set_thp(pl.wthp);

	close(luo);
	ksft_print_msg("WL-SUMMARY stage=%d generated: %d sessions, %d memfds, %llu bytes, %llu pages written, %llu holes, %llu fallocated, %llu paged out (SwapFree -%lld kB), %llu writes after PRESERVE_FD, writers' THP %s, %.1f s\n",
		       P.stage, pl.nsess, pl.nfiles, (unsigned long long)pl.bytes,
		       (unsigned long long)pl.data_pages, (unsigned long long)pl.hole_pages,
		       (unsigned long long)pl.falloc_pages, (unsigned long long)pl.swap_pages,
		       drop, (unsigned long long)pl.post_writes, thp_names[pl.wthp], now_s() - t0);
	if (!ret) {
		lu_carry_set("wl.ok", "%d", P.stage);
		lu_carry_set("wl.np", "%llx", (unsigned long long)np);
		lu_carry_set("wl.taint", "%llx", (unsigned long long)taint);
	}
	pid = ret ? -EINVAL : start_daemon(&pl, jmap);
	wl_check(pid > 0, "daemon: holds %d sessions, %d writers write until the kexec (%s)",
		  pl.nsess, pl.nwriters, luo_strerror(pid < 0 ? pid : 0));
}

int main(int argc, char **argv)
{
	bool verify, gen;
	u8 *buf;
	int luo;

	if (argc >= 4 && !strcmp(argv[1], "--plan")) {
		/* --plan SEED STAGE [MIB [AVOID [EXTRA]]], e.g. --plan 2 2 64 1,2,3,4,5 2,3 */
		P.mib = argc > 4 ? atoi(argv[4]) : 64;
		P.writers = 2;
		P.swap = true;
		if (argc > 5)
			P.avoid = list_bits(argv[5], P.avoid_str, sizeof(P.avoid_str), BUG_OTHER);
		if (argc > 6)
			P.extra = list_bits(argv[6], P.extra_str, sizeof(P.extra_str), NR_EXTRA);
		return print_plan(strtoull(argv[2], NULL, 0), atoi(argv[3]));
	}
	read_params(argc, argv);
	verify = P.stage > 1;
	gen = P.stage < P.stages;
	ksft_print_header();
	ksft_set_plan((verify ? 8 + P.soak : 0) + (gen ? 5 : 0));
	ksft_print_msg("lu_workload: seed %llu, stage %d of %d, budget %d MiB, %d writers%s%s%s%s\n",
		       (unsigned long long)P.seed, P.stage, P.stages, P.mib, P.writers,
		       P.soak ? ", soak" : "", P.swap ? "" : ", no swap",
		       P.avoid ? ", steering around known bugs " : "", P.avoid ? P.avoid_str : "");
	if (P.extra)
		ksft_print_msg("lu_workload: extra hazards %s\n", P.extra_str);
	buf = aligned_alloc(PG, CHUNK);
	if (!buf)
		ksft_exit_fail_msg("out of memory\n");
	luo_raise_nofile(4096);

	luo = luo_open_device();
	if (luo < 0) {
		print_replay();
		ksft_exit_fail_msg("open %s: %s\n", LUO_DEVICE, luo_strerror(luo));
	}
	if (verify)
		verify_stage(luo, buf);
	if (gen)
		generate_stage(luo, buf);
	else
		close(luo);
	if (failures)
		print_found();
	ksft_finished();
	return 0;
}
