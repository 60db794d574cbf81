// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: KHO test across kexec
 *
 * At late_initcall this test first looks for the "kho-test" subtree of the
 * previous kernel. If there is one, it restores the folio table (a
 * preserved vmalloc area) and every folio it lists, checks each folio's
 * order and checksum, checks that a second restore and the restore of
 * memory that was never preserved both fail, races two threads restoring
 * overlapping page ranges (one must get its whole range, the other
 * nothing, and no page may be claimed by neither), and frees it all. Then it
 * preserves a new generation for the next kernel: folios of random orders
 * filled with random data, test_kho.mb MiB in total (default 64), their
 * table, and the blob that names them.
 *
 * Console lines (the VM tests look for them): "KHO-TEST: restore
 * succeeded: ...", "KHO-TEST: restore FAILED: ...", "KHO-TEST: no
 * handover ...", "KHO-TEST: preserved generation N: ...". Both success
 * lines end with the time the KHO calls alone took ("restore took N us",
 * "preserve took N us"), which ``make bench`` reads. test_kho.order=N
 * preserves folios of one order only; test_kho.mb=0 preserves nothing;
 * test_kho.scatter=1 preserves order-0 folios of which none touches another
 * (every other page allocated is given back), the worst case for the next
 * kernel's reservation.
 */

#define pr_fmt(fmt) "KHO-TEST: " fmt

#include <linux/completion.h>
#include <linux/io.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/kexec_handover.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/vmalloc.h>

#include "kexec_handover_internal.h"

#define KHO_TEST_NAME		"kho-test"
#define KHO_TEST_COMPATIBLE	"kho-test-v3"
#define KHO_TEST_REMOVED	"kho-test-removed"
#define KHO_TEST_RANGE_PAGES	5	/* preserved as blocks of 4 and 1 pages */
#define KHO_TEST_MAGIC		0x4b484f54	/* "KHOT" */
#define KHO_TEST_RACES		64	/* ranges restored by two threads at once */

static unsigned int kho_test_mb = 64;
module_param_named(mb, kho_test_mb, uint, 0444);
MODULE_PARM_DESC(mb, "MiB of random data to preserve for the next kernel");

static int kho_test_order = -1;
module_param_named(order, kho_test_order, int, 0444);
MODULE_PARM_DESC(order, "order of every preserved folio (default: random orders)");

static bool kho_test_scatter;
module_param_named(scatter, kho_test_scatter, bool, 0444);
MODULE_PARM_DESC(scatter, "preserve order-0 folios with a page given back between them");

/**
 * struct kho_test_folio - one preserved folio
 * @phys: its physical address
 * @order: its order
 * @pad: zero
 * @csum: checksum of its contents
 */
struct kho_test_folio {
	u64 phys;
	u32 order;
	u32 pad;
	u64 csum;
} __packed;

/**
 * struct kho_test_blob - the "kho-test" subtree ("kho-test-v2")
 * @compatible: KHO_TEST_COMPATIBLE
 * @magic: KHO_TEST_MAGIC
 * @generation: 1 in the cold-booted kernel, +1 per kexec
 * @nr_folios: entries in the folio table
 * @total_bytes: bytes in all folios
 * @table_csum: checksum of the folio table
 * @table: the folio table, a preserved vmalloc area
 * @range_phys: a range of KHO_TEST_RANGE_PAGES pages kept with
 *		kho_preserve_pages()
 * @range_csum: checksum of the range
 * @unpreserved_phys: a folio that was preserved, then unpreserved before
 *		      the kexec: the next kernel must not restore it
 * @race_phys: ranges of KHO_TEST_RANGE_PAGES pages kept with
 *	       kho_preserve_pages(), restored by two threads at once
 */
struct kho_test_blob {
	char compatible[16];
	u32 magic;
	u32 generation;
	u64 nr_folios;
	u64 total_bytes;
	u64 table_csum;
	struct kho_vmalloc table;
	u64 range_phys;
	u64 range_csum;
	u64 unpreserved_phys;
	u64 race_phys[KHO_TEST_RACES];
} __packed;

static u64 kho_test_csum(const void *buf, size_t len)
{
	const u64 *w = buf;
	u64 h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len / sizeof(u64); i++)
		h = (h ^ w[i]) * 0x100000001b3ULL;
	return h;
}

static void kho_test_fill(void *buf, size_t len, u64 *state)
{
	u64 *w = buf, x = *state;
	size_t i;

	for (i = 0; i < len / sizeof(u64); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		w[i] = x;
	}
	*state = x;
}

/* A page fresh from the allocator was never preserved: restores must fail. */
static bool kho_test_restore_unpreserved(void)
{
	struct page *page = alloc_page(GFP_KERNEL);
	bool restored;

	if (!page)
		return false;
	restored = kho_restore_folio(page_to_phys(page)) ||
		   kho_restore_pages(page_to_phys(page), 1);
	__free_page(page);
	return restored;
}

/* The kho_preserve_pages() range: restore it as order-0 pages and check it. */
static bool kho_test_restore_range(const struct kho_test_blob *blob)
{
	struct page *page = kho_restore_pages(blob->range_phys, KHO_TEST_RANGE_PAGES);
	void *addr;
	bool ok;
	int i;

	if (!page)
		return false;
	addr = page_address(page);	/* contiguous in the direct map */
	ok = kho_test_csum(addr, KHO_TEST_RANGE_PAGES * PAGE_SIZE) == blob->range_csum;
	for (i = 0; i < KHO_TEST_RANGE_PAGES; i++)
		__free_page(page + i);
	return ok;
}

struct kho_test_race {
	phys_addr_t phys;
	atomic_t go;
	struct page *won;
	struct completion done;
};

/* The other thread: the last page of the range alone. */
static int kho_test_race_thread(void *arg)
{
	struct kho_test_race *r = arg;

	atomic_inc(&r->go);
	while (atomic_read(&r->go) < 2)
		cond_resched();
	r->won = kho_restore_pages(r->phys + (KHO_TEST_RANGE_PAGES - 1) * PAGE_SIZE, 1);
	complete(&r->done);
	return 0;
}

/*
 * Each range was preserved as a block of 4 pages and a block of 1. This
 * thread restores the whole range while another restores its last page:
 * either may win, but a restore that loses must claim nothing. Every page
 * restored is counted against the incoming statistics and freed.
 */
static bool kho_test_restore_races(const struct kho_test_blob *blob)
{
	unsigned long claimed_before, claimed_after, got = 0;
	struct kho_in_stats st;
	struct kho_test_race r;
	struct page *whole;
	int i, j;

	kho_in_stats_get(&st);
	claimed_before = st.restored_pages;
	for (i = 0; i < KHO_TEST_RACES; i++) {
		struct task_struct *t;

		r.phys = blob->race_phys[i];
		r.won = NULL;
		atomic_set(&r.go, 0);
		init_completion(&r.done);
		t = kthread_run(kho_test_race_thread, &r, "kho-test-race");
		if (IS_ERR(t))
			return false;
		atomic_inc(&r.go);
		while (atomic_read(&r.go) < 2)
			cond_resched();
		whole = kho_restore_pages(r.phys, KHO_TEST_RANGE_PAGES);
		wait_for_completion(&r.done);
		if (whole && r.won)
			return false;	/* the last page handed out twice */
		if (whole) {
			for (j = 0; j < KHO_TEST_RANGE_PAGES; j++)
				__free_page(whole + j);
			got += KHO_TEST_RANGE_PAGES;
		} else if (r.won) {
			/* The first four pages are still preserved, as one block. */
			__free_page(r.won);
			whole = kho_restore_pages(r.phys, KHO_TEST_RANGE_PAGES - 1);
			if (!whole)
				return false;
			for (j = 0; j < KHO_TEST_RANGE_PAGES - 1; j++)
				__free_page(whole + j);
			got += KHO_TEST_RANGE_PAGES;
		} else {
			return false;
		}
	}
	kho_in_stats_get(&st);
	claimed_after = st.restored_pages;
	if (claimed_after - claimed_before != got) {
		pr_err("range races: %lu pages claimed, %lu handed out\n",
		       claimed_after - claimed_before, got);
		return false;
	}
	return true;
}

static int kho_test_restore(u32 *generation)
{
	struct kho_test_folio *table = NULL;
	struct folio **folios = NULL;
	struct kho_test_blob *blob;
	u64 i, bytes = 0, done = 0, t0, restore_ns;
	const char *why;
	phys_addr_t phys;
	size_t size;
	int err;

	blob = kho_restore_subtree(KHO_TEST_NAME, &size);
	err = PTR_ERR_OR_ZERO(blob);
	if (err == -ENOENT) {
		pr_info("no handover from a previous test (%s)\n",
			is_kho_boot() ? "KHO boot without a test subtree" :
			kho_is_enabled() ? "cold boot" : "KHO is off");
		return 0;
	}
	if (err) {
		pr_err("restore FAILED: subtree lookup: %pe\n", ERR_PTR(err));
		return err;
	}
	why = "malformed blob";
	if (size < sizeof(*blob) || strncmp(blob->compatible, KHO_TEST_COMPATIBLE,
					    sizeof(blob->compatible)) ||
	    blob->magic != KHO_TEST_MAGIC)
		goto fail;
	why = "folio table not restored";
	table = kho_restore_vmalloc(&blob->table);
	if (!table)
		goto fail;
	why = "folio table corrupt";
	if (blob->nr_folios * sizeof(*table) > (u64)blob->table.total_pages * PAGE_SIZE ||
	    kho_test_csum(table, blob->nr_folios * sizeof(*table)) != blob->table_csum)
		goto fail;
	why = "out of memory";
	folios = kvcalloc(max_t(u64, blob->nr_folios, 1), sizeof(*folios), GFP_KERNEL);
	if (!folios)
		goto fail;

	/* Timed: the restores alone. */
	why = "folio not restored";
	t0 = ktime_get_ns();
	for (done = 0; done < blob->nr_folios; done++) {
		folios[done] = kho_restore_folio(table[done].phys);
		if (!folios[done])
			break;
	}
	restore_ns = ktime_get_ns() - t0;
	if (done != blob->nr_folios)
		goto fail;

	for (i = 0; i < done; i++) {
		why = "folio order differs";
		if (folio_order(folios[i]) != table[i].order)
			goto fail;
		why = "folio checksum differs";
		if (kho_test_csum(folio_address(folios[i]), folio_size(folios[i])) != table[i].csum)
			goto fail;
		bytes += folio_size(folios[i]);
	}
	why = "byte count differs";
	if (bytes != blob->total_bytes)
		goto fail;
	/* Restoring twice, or what was never preserved, must fail cleanly. */
	why = "second restore of a folio succeeded";
	if (done && kho_restore_folio(table[0].phys))
		goto fail;
	why = "restore of memory that was not preserved succeeded";
	if (kho_test_restore_unpreserved())
		goto fail;
	why = "a folio unpreserved before the kexec was restored";
	if (kho_restore_folio(blob->unpreserved_phys)) {
		pr_err("the folio at %#llx was unpreserved before the kexec\n",
		       blob->unpreserved_phys);
		goto fail;
	}
	why = "a subtree removed before the kexec was found";
	if (kho_retrieve_subtree(KHO_TEST_REMOVED, &phys, NULL) != -ENOENT)
		goto fail;
	why = "page range not restored or corrupt";
	if (!kho_test_restore_range(blob))
		goto fail;
	why = "racing restores of overlapping ranges claimed pages nobody got";
	if (!kho_test_restore_races(blob))
		goto fail;

	pr_info("restore succeeded: generation %u, %llu folios, %llu MiB, checksums match, table of %u vmalloc pages, page range intact, second restore and unpreserved memory refused, range races clean; restore took %llu us\n",
		blob->generation, blob->nr_folios, bytes >> 20, blob->table.total_pages,
		div_u64(restore_ns, NSEC_PER_USEC));
	*generation = blob->generation;
	err = 0;
	goto out;

fail:
	pr_err("restore FAILED: %s (after %llu of %llu folios)\n", why, done,
	       size >= sizeof(*blob) ? blob->nr_folios : 0);
	err = -EINVAL;
out:
	for (i = 0; folios && i < done; i++)
		folio_put(folios[i]);
	kvfree(folios);
	vfree(table);
	folio_put(virt_to_folio(blob));
	return err;
}

static void kho_test_unpreserve_ranges(u64 *phys, int n)
{
	while (n--) {
		struct page *page = pfn_to_page(PHYS_PFN(phys[n]));

		kho_unpreserve_pages(page, KHO_TEST_RANGE_PAGES);
		__free_pages(page, get_order(KHO_TEST_RANGE_PAGES * PAGE_SIZE));
	}
}

/* Page ranges preserved with kho_preserve_pages(), filled from @state. */
static int kho_test_preserve_ranges(u64 *phys, int n, u64 *state)
{
	unsigned int order = get_order(KHO_TEST_RANGE_PAGES * PAGE_SIZE);
	int i, err;

	for (i = 0; i < n; i++) {
		struct page *range = alloc_pages(GFP_KERNEL, order);

		if (!range) {
			err = -ENOMEM;
			goto err_unpreserve;
		}
		kho_test_fill(page_address(range), KHO_TEST_RANGE_PAGES * PAGE_SIZE, state);
		err = kho_preserve_pages(range, KHO_TEST_RANGE_PAGES);
		if (err) {
			__free_pages(range, order);
			goto err_unpreserve;
		}
		phys[i] = page_to_phys(range);
	}
	return 0;

err_unpreserve:
	kho_test_unpreserve_ranges(phys, i);
	return err;
}

static void kho_test_unpreserve_extras(struct kho_test_blob *blob)
{
	kho_test_unpreserve_ranges(blob->race_phys, KHO_TEST_RACES);
	kho_test_unpreserve_ranges(&blob->range_phys, 1);
}

/*
 * A page range preserved with kho_preserve_pages(); a folio preserved and
 * unpreserved again (the next kernel must not find it, and it stays ours
 * to free); a subtree added and removed again (likewise).
 */
static int kho_test_preserve_extras(struct kho_test_blob *blob, u64 *state)
{
	struct folio *gone;
	int err;

	err = kho_test_preserve_ranges(&blob->range_phys, 1, state);
	if (err)
		return err;
	blob->range_csum = kho_test_csum(phys_to_virt(blob->range_phys),
					 KHO_TEST_RANGE_PAGES * PAGE_SIZE);
	err = kho_test_preserve_ranges(blob->race_phys, KHO_TEST_RACES, state);
	if (err)
		goto err_range;

	gone = folio_alloc(GFP_KERNEL, 0);
	if (!gone) {
		err = -ENOMEM;
		goto err_races;
	}
	err = kho_preserve_folio(gone);
	if (!err) {
		kho_unpreserve_folio(gone);
		/* After unpreserve, preserving again must work. */
		err = kho_preserve_folio(gone);
		if (!err)
			kho_unpreserve_folio(gone);
	}
	blob->unpreserved_phys = PFN_PHYS(folio_pfn(gone));
	/*
	 * Keep it allocated for good: freed, the page could be preserved by
	 * another owner, and the next kernel's check would then restore
	 * memory that was rightly preserved.
	 */
	if (err) {
		folio_put(gone);
		goto err_races;
	}

	err = kho_add_subtree(KHO_TEST_REMOVED, blob, sizeof(*blob));
	if (!err && kho_add_subtree(KHO_TEST_REMOVED, blob, sizeof(*blob)) != -EEXIST)
		err = -EINVAL;	/* a name can be used once */
	kho_remove_subtree(blob);
	if (err)
		goto err_races;
	return 0;

err_races:
	kho_test_unpreserve_ranges(blob->race_phys, KHO_TEST_RACES);
err_range:
	kho_test_unpreserve_ranges(&blob->range_phys, 1);
	return err;
}

static int kho_test_preserve(u32 generation)
{
	unsigned long max = ((unsigned long)kho_test_mb << 20) >> PAGE_SHIFT, n = 0, done = 0;
	u64 total = 0, target = (u64)kho_test_mb << 20, state, t0, preserve_ns;
	unsigned int max_order = 0;
	struct kho_test_folio *table;
	struct kho_test_blob *blob;
	struct folio *gap, *tmp;
	unsigned long touching = 0;
	LIST_HEAD(gaps);
	int err = -ENOMEM;

	if (!kho_is_enabled()) {
		pr_info("KHO is off: nothing preserved\n");
		return 0;
	}
	if (!kho_test_mb) {
		pr_info("nothing to preserve (test_kho.mb=0)\n");
		return 0;
	}
	table = vzalloc(max_t(unsigned long, max, 1) * sizeof(*table));
	if (!table)
		return -ENOMEM;
	state = get_random_u64() | 1;
	while (total < target && n < max) {
		unsigned int order = kho_test_order >= 0 ? min(kho_test_order, MAX_PAGE_ORDER) :
				     get_random_u32_below(MAX_PAGE_ORDER + 1);
		struct folio *folio;

		if (kho_test_scatter) {
			/* A page between every two preserved ones, freed below. */
			order = 0;
			gap = folio_alloc(GFP_KERNEL | __GFP_NOWARN, 0);
			if (!gap)
				goto err_free;
			list_add(&gap->lru, &gaps);
		}

		while (order && (PAGE_SIZE << order) > target - total)
			order--;
		folio = folio_alloc(GFP_KERNEL | __GFP_NOWARN, order);
		while (!folio && order--)
			folio = folio_alloc(GFP_KERNEL | __GFP_NOWARN, order);
		if (!folio)
			goto err_free;
		kho_test_fill(folio_address(folio), folio_size(folio), &state);
		table[n].phys = PFN_PHYS(folio_pfn(folio));
		table[n].order = folio_order(folio);
		table[n].csum = kho_test_csum(folio_address(folio), folio_size(folio));
		total += folio_size(folio);
		max_order = max(max_order, folio_order(folio));
		if (n && table[n].phys == table[n - 1].phys + PAGE_SIZE)
			touching++;
		n++;
	}
	list_for_each_entry_safe(gap, tmp, &gaps, lru)
		folio_put(gap);
	INIT_LIST_HEAD(&gaps);
	if (kho_test_scatter)
		pr_info("scattered: %lu of %lu folios follow the one allocated before\n",
			touching, n);

	/* Timed: the preserves alone. */
	t0 = ktime_get_ns();
	for (done = 0; done < n; done++) {
		err = kho_preserve_folio(pfn_folio(PHYS_PFN(table[done].phys)));
		if (err)
			goto err_unpreserve;
	}
	preserve_ns = ktime_get_ns() - t0;
	/* Preserving twice must be refused. */
	if (n && kho_preserve_folio(pfn_folio(PHYS_PFN(table[0].phys))) != -EEXIST) {
		err = -EINVAL;
		goto err_unpreserve;
	}

	blob = kho_alloc_preserve(sizeof(*blob));
	if (IS_ERR(blob)) {
		err = PTR_ERR(blob);
		goto err_unpreserve;
	}
	err = kho_preserve_vmalloc(table, &blob->table);
	if (err)
		goto err_free_blob;
	err = kho_test_preserve_extras(blob, &state);
	if (err)
		goto err_unpreserve_vmalloc;
	strscpy(blob->compatible, KHO_TEST_COMPATIBLE, sizeof(blob->compatible));
	blob->magic = KHO_TEST_MAGIC;
	blob->generation = generation;
	blob->nr_folios = n;
	blob->total_bytes = total;
	blob->table_csum = kho_test_csum(table, n * sizeof(*table));
	err = kho_add_subtree(KHO_TEST_NAME, blob, sizeof(*blob));
	if (err)
		goto err_unpreserve_table;
	pr_info("preserved generation %u: %lu folios of orders 0-%u, %llu MiB, table of %u vmalloc pages; preserve took %llu us\n",
		generation, n, max_order, total >> 20, blob->table.total_pages,
		div_u64(preserve_ns, NSEC_PER_USEC));
	return 0;

err_unpreserve_table:
	kho_test_unpreserve_extras(blob);
err_unpreserve_vmalloc:
	kho_unpreserve_vmalloc(&blob->table);
err_free_blob:
	kho_unpreserve_free(blob);
err_unpreserve:
	while (done--)
		kho_unpreserve_folio(pfn_folio(PHYS_PFN(table[done].phys)));
err_free:
	list_for_each_entry_safe(gap, tmp, &gaps, lru)
		folio_put(gap);
	while (n--)
		folio_put(pfn_folio(PHYS_PFN(table[n].phys)));
	vfree(table);
	pr_err("preserve FAILED: %pe\n", ERR_PTR(err));
	return err;
}

static int __init kho_test_init(void)
{
	u32 generation = 0;

	if (kho_test_restore(&generation))
		return 0;
	kho_test_preserve(generation + 1);
	return 0;
}
late_initcall(kho_test_init);
