// SPDX-License-Identifier: GPL-2.0
/*
 * memblock_reserve_sorted() (patches/0008) on the host: the patched tree's
 * own mm/memblock.c in the kernel's memblock simulator.
 *
 * Fixed cases: an empty batch, a batch into an empty array, one that joins
 * existing regions on both sides, each -EINVAL (unsorted, overlapping
 * itself, inverted), -EBUSY (overlapping a reserved region at its start,
 * its end, inside it, all of it), -ENOMEM (the array must grow and there is
 * no memory for a bigger one), and a batch that makes the array grow when
 * there is. Each failure must leave the reserved regions and their total as
 * they were. Growing is allowed first, as on x86 from e820 setup on, long
 * before KHO reserves (memblock panics on a resize before it).
 * Then ROUNDS seeded rounds: random reserved regions and a random batch on a
 * grid of pages, some rounds with a range moved onto a reserved page; the
 * result is compared, region by region, with the maximal runs of reserved
 * pages the model says there must be.
 *
 * Usage: reserve_sorted [-v] [SEED [ROUNDS]]. TAP output; exit 1 on a failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/range.h>

#include "tests/common.h"

/*
 * The simulator's lib/slab.c says slab is never up, so memblock.c never
 * calls these; they only have to link (tools/lib/slab.c needs liburcu).
 */
void *kmalloc(size_t size, gfp_t gfp)
{
	return malloc(size);
}

void kfree(const void *p)
{
	free((void *)p);
}

#define PG		0x1000ULL
#define BASE		0x100000ULL	/* below the simulator's heap memory */
#define GRID		1024		/* pages the random rounds use */
#define MAX_RANGES	GRID

static int nr_tests, nr_failed, nr_clashes, verbose;

static void result(bool ok, const char *name, const char *detail)
{
	nr_tests++;
	nr_failed += !ok;
	printf("%sok %d %s%s%s\n", ok ? "" : "not ", nr_tests, name, detail[0] ? ": " : "",
	       detail);
}

/* The reserved regions, for comparing before and after a refused batch. */
struct snap {
	unsigned long cnt;
	phys_addr_t total;
	struct memblock_region r[MAX_RANGES];
};

static void snap_take(struct snap *s)
{
	s->cnt = memblock.reserved.cnt;
	s->total = memblock.reserved.total_size;
	memcpy(s->r, memblock.reserved.regions, s->cnt * sizeof(s->r[0]));
}

static bool snap_same(const struct snap *s)
{
	return s->cnt == memblock.reserved.cnt && s->total == memblock.reserved.total_size &&
	       !memcmp(s->r, memblock.reserved.regions, s->cnt * sizeof(s->r[0]));
}

/* Are the reserved regions exactly @want (inclusive ends), with the right total? */
static bool regions_are(const struct range *want, unsigned long n, char *why, size_t len)
{
	struct memblock_type *t = &memblock.reserved;
	phys_addr_t total = 0;
	unsigned long i;

	for (i = 0; i < n; i++)
		total += range_len(&want[i]);
	/* An empty array: no region, or one empty placeholder. */
	if (n ? t->cnt != n : t->cnt > 1 || (t->cnt == 1 && t->regions[0].size)) {
		snprintf(why, len, "%lu regions, want %lu", t->cnt, n);
		return false;
	}
	for (i = 0; i < n; i++)
		if (t->regions[i].base != want[i].start ||
		    t->regions[i].size != range_len(&want[i])) {
			snprintf(why, len, "region %lu is %#llx+%#llx, want %#llx+%#llx", i,
				 (unsigned long long)t->regions[i].base,
				 (unsigned long long)t->regions[i].size,
				 (unsigned long long)want[i].start,
				 (unsigned long long)range_len(&want[i]));
			return false;
		}
	if (t->total_size != total) {
		snprintf(why, len, "total %#llx, want %#llx", (unsigned long long)t->total_size,
			 (unsigned long long)total);
		return false;
	}
	why[0] = '\0';
	return true;
}

#define R(a, b)		{ BASE + (a) * PG, BASE + (b) * PG - 1 }	/* pages [a, b) */
#define N(x)		(sizeof(x) / sizeof((x)[0]))

static void fresh(void)
{
	reset_memblock_regions();
	reset_memblock_attributes();
}

static void t_empty_batch(void)
{
	struct range want[] = { R(0, 1) };
	char why[160];
	int ret;

	fresh();
	memblock_reserve(want[0].start, range_len(&want[0]));
	ret = memblock_reserve_sorted(want, 0);
	result(!ret && regions_are(want, 1, why, sizeof(why)), "empty_batch_changes_nothing", why);
}

static void t_into_empty(void)
{
	struct range batch[] = { R(1, 2), R(2, 3), R(5, 6), R(8, 10) };
	struct range want[] = { R(1, 3), R(5, 6), R(8, 10) };
	char why[160];
	int ret;

	fresh();
	ret = memblock_reserve_sorted(batch, N(batch));
	result(!ret && regions_are(want, N(want), why, sizeof(why)),
	       "into_an_empty_array_touching_ranges_join", why);
}

static void t_joins_existing(void)
{
	struct range batch[] = { R(0, 1), R(1, 3), R(6, 7), R(9, 10), R(12, 13), R(14, 15) };
	struct range want[] = { R(0, 4), R(6, 7), R(8, 11), R(12, 13), R(14, 16) };
	char why[160];
	int ret;

	fresh();
	memblock_reserve(BASE + 3 * PG, PG);	/* joined from below */
	memblock_reserve(BASE + 8 * PG, PG);	/* from above */
	memblock_reserve(BASE + 10 * PG, PG);	/* both sides: 8-11 one region */
	memblock_reserve(BASE + 15 * PG, PG);
	ret = memblock_reserve_sorted(batch, N(batch));
	result(!ret && regions_are(want, N(want), why, sizeof(why)),
	       "joins_reserved_regions_on_both_sides", why);
}

static void refused(const char *name, const struct range *batch, unsigned long n, int err)
{
	struct snap *s = malloc(sizeof(*s));
	char why[160] = "";
	int ret;

	snap_take(s);
	ret = memblock_reserve_sorted(batch, n);
	if (ret != err)
		snprintf(why, sizeof(why), "returned %d, want %d", ret, err);
	else if (!snap_same(s))
		snprintf(why, sizeof(why), "the reserved regions changed");
	result(!why[0], name, why);
	free(s);
}

static void t_einval(void)
{
	struct range unsorted[] = { R(4, 5), R(1, 2) };
	struct range overlapping[] = { R(1, 3), R(2, 4) };
	struct range inverted[] = { R(1, 2), { BASE + 5 * PG, BASE + 4 * PG } };

	fresh();
	memblock_reserve(BASE + 20 * PG, PG);
	refused("unsorted_batch_is_EINVAL", unsorted, N(unsorted), -EINVAL);
	refused("batch_overlapping_itself_is_EINVAL", overlapping, N(overlapping), -EINVAL);
	refused("inverted_range_is_EINVAL", inverted, N(inverted), -EINVAL);
}

static void t_ebusy(void)
{
	struct range at_start[] = { R(0, 1), R(3, 5) };
	struct range at_end[] = { R(5, 7) };
	struct range inside[] = { R(0, 1), R(4, 5), R(30, 31) };
	struct range over[] = { R(2, 8) };

	fresh();
	memblock_reserve(BASE + 4 * PG, 2 * PG);	/* pages 4-5 */
	refused("overlapping_a_region_start_is_EBUSY", at_start, N(at_start), -EBUSY);
	refused("overlapping_a_region_end_is_EBUSY", at_end, N(at_end), -EBUSY);
	refused("inside_a_region_is_EBUSY", inside, N(inside), -EBUSY);
	refused("covering_a_region_is_EBUSY", over, N(over), -EBUSY);
}

/* More ranges than the array holds: it must grow, into memory memblock has. */
static void t_enomem_then_grows(void)
{
	struct range *batch = calloc(INIT_MEMBLOCK_RESERVED_REGIONS, sizeof(*batch));
	unsigned long n = INIT_MEMBLOCK_RESERVED_REGIONS;
	struct memblock_region *init_regions = memblock.reserved.regions;
	char why[160] = "";
	unsigned long i;
	int ret;

	memblock_allow_resize();
	fresh();	/* no memory at all: no room for a bigger array */
	memblock_reserve(BASE + 4 * n * PG, PG);
	for (i = 0; i < n; i++)
		batch[i] = (struct range)R(2 * i, 2 * i + 1);
	refused("array_that_cannot_grow_is_ENOMEM", batch, n, -ENOMEM);

	/* With memory (the simulator's), the array grows. */
	setup_memblock();
	memblock_reserve(BASE + 4 * n * PG, PG);
	ret = memblock_reserve_sorted(batch, n);
	if (ret)
		snprintf(why, sizeof(why), "returned %d", ret);
	else if (memblock.reserved.max <= INIT_MEMBLOCK_RESERVED_REGIONS)
		snprintf(why, sizeof(why), "array still of %lu", memblock.reserved.max);
	/* n batch ranges, the page above them and the grown array itself */
	else if (memblock.reserved.cnt != n + 2)
		snprintf(why, sizeof(why), "%lu regions, want %lu", memblock.reserved.cnt, n + 2);
	for (i = 0; !why[0] && i < n; i++)
		if (memblock.reserved.regions[i].base != batch[i].start ||
		    memblock.reserved.regions[i].size != PG)
			snprintf(why, sizeof(why), "region %lu wrong", i);
	result(!why[0], "grows_the_array_when_it_may", why);
	/* Later tests reset the static array, not the grown one. */
	memblock.reserved.regions = init_regions;
	memblock.reserved.cnt = 0;
	memblock.reserved.max = INIT_MEMBLOCK_RESERVED_REGIONS;
	free(batch);
}

/* xorshift64*: seeded, replayable. */
static unsigned long long rng_state;

static unsigned long long rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

enum { FREE, OLD, NEW };

/*
 * One round: pages of GRID are free, reserved before (OLD, as up to 20
 * runs) or in the batch (NEW, cut into ranges at random points, so that
 * many touch). With @clash, one batch range is moved onto an OLD page.
 */
static bool round_ok(int nr, bool clash, char *why, size_t len)
{
	static unsigned char state[GRID];
	static struct range batch[MAX_RANGES], want[MAX_RANGES];
	unsigned long nb = 0, nw = 0, p, q, old_runs = 0;
	int ret, expect;

	fresh();
	memset(state, FREE, sizeof(state));
	for (p = 0; p < GRID; p = q) {
		unsigned long run = 1 + rng() % 8;
		unsigned int kind = rng() % 4;	/* free twice as often */

		q = p + run < GRID ? p + run : GRID;
		if (kind == 1 && old_runs < 20) {
			memset(state + p, OLD, q - p);
			memblock_reserve(BASE + p * PG, (q - p) * PG);
			old_runs++;
		} else if (kind == 2 && nb + (q - p) < INIT_MEMBLOCK_RESERVED_REGIONS - 22) {
			/* NEW pages, as ranges of one to three pages */
			unsigned long a = p, b;

			memset(state + p, NEW, q - p);
			while (a < q) {
				b = a + 1 + rng() % 3;
				b = b < q ? b : q;
				batch[nb++] = (struct range){ BASE + a * PG, BASE + b * PG - 1 };
				a = b;
			}
		}
	}
	expect = 0;
	if (clash && nb && old_runs) {
		/* an OLD page: the batch must then be refused whole */
		for (p = rng() % GRID; state[p] != OLD; p = (p + 1) % GRID)
			;
		/* the last batch range before p, or the first, becomes that page */
		for (q = 0; q + 1 < nb && batch[q + 1].start <= BASE + p * PG; q++)
			;
		if ((q == 0 || batch[q - 1].end < BASE + p * PG) &&
		    (q + 1 >= nb || batch[q + 1].start > BASE + p * PG + PG - 1)) {
			batch[q] = (struct range){ BASE + p * PG, BASE + p * PG + PG - 1 };
			expect = -EBUSY;
			nr_clashes++;
		}
	}
	if (expect) {
		struct snap *s = malloc(sizeof(*s));
		bool same;

		snap_take(s);
		ret = memblock_reserve_sorted(batch, nb);
		same = snap_same(s);
		free(s);
		if (ret != expect || !same)
			snprintf(why, len, "round %d: returned %d (want %d), regions %s", nr, ret,
				 expect, same ? "unchanged" : "changed");
		return ret == expect && same;
	}
	ret = memblock_reserve_sorted(batch, nb);
	if (ret) {
		snprintf(why, len, "round %d: returned %d for %lu ranges", nr, ret, nb);
		return false;
	}
	/* The model: every maximal run of OLD or NEW pages is one region. */
	for (p = 0; p < GRID; p = q) {
		for (q = p; q < GRID && (state[q] != FREE) == (state[p] != FREE); q++)
			;
		if (state[p] != FREE)
			want[nw++] = (struct range){ BASE + p * PG, BASE + q * PG - 1 };
	}
	if (!regions_are(want, nw, why, len)) {
		printf("# round %d: %lu old runs, %lu new ranges\n", nr, old_runs, nb);
		return false;
	}
	if (verbose)
		printf("# round %d: %lu old runs, %lu new ranges, %lu regions\n", nr, old_runs, nb,
		       nw);
	return true;
}

int main(int argc, char **argv)
{
	unsigned long long seed = 1;
	int rounds = 2000, i, arg = 1;
	char why[200] = "";
	bool ok = true;

	if (arg < argc && !strcmp(argv[arg], "-v")) {
		verbose = 1;
		arg++;
	}
	if (arg < argc)
		seed = strtoull(argv[arg++], NULL, 0);
	if (arg < argc)
		rounds = atoi(argv[arg++]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..13\n");
	dummy_physical_memory_init();
	t_empty_batch();
	t_into_empty();
	t_joins_existing();
	t_einval();
	t_ebusy();
	t_enomem_then_grows();

	rng_state = seed * 0x9e3779b97f4a7c15ULL | 1;
	for (i = 0; ok && i < rounds; i++) {
		bool clash = rng() % 4 == 0;

		ok = round_ok(i, clash, why, sizeof(why));
	}
	snprintf(why + strlen(why), sizeof(why) - strlen(why),
		 "%sseed %llu, %d rounds, %d refused for a clash", why[0] ? "; " : "", seed, i,
		 nr_clashes);
	result(ok, "random_batches_match_the_model", why);
	dummy_physical_memory_cleanup();
	printf("# %d of %d passed\n", nr_tests - nr_failed, nr_tests);
	return nr_failed || nr_tests != 13;
}
