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
 * memory that was never preserved both fail, and frees it all. Then it
 * preserves a new generation for the next kernel: folios of random orders
 * filled with random data, kho_test.mb MiB in total (default 64), their
 * table, and the blob that names them.
 *
 * Console lines (the VM tests look for them): "KHO-TEST: restore
 * succeeded: ...", "KHO-TEST: restore FAILED: ...", "KHO-TEST: no
 * handover ...", "KHO-TEST: preserved generation N: ...".
 */

#define pr_fmt(fmt) "KHO-TEST: " fmt

#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/vmalloc.h>

#define KHO_TEST_NAME		"kho-test"
#define KHO_TEST_COMPATIBLE	"kho-test-v1"
#define KHO_TEST_MAGIC		0x4b484f54	/* "KHOT" */

static unsigned int kho_test_mb = 64;
module_param_named(mb, kho_test_mb, uint, 0444);
MODULE_PARM_DESC(mb, "MiB of random data to preserve for the next kernel");

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
 * struct kho_test_blob - the "kho-test" subtree ("kho-test-v1")
 * @compatible: KHO_TEST_COMPATIBLE
 * @magic: KHO_TEST_MAGIC
 * @generation: 1 in the cold-booted kernel, +1 per kexec
 * @nr_folios: entries in the folio table
 * @total_bytes: bytes in all folios
 * @table_csum: checksum of the folio table
 * @table: the folio table, a preserved vmalloc area
 */
struct kho_test_blob {
	char compatible[16];
	u32 magic;
	u32 generation;
	u64 nr_folios;
	u64 total_bytes;
	u64 table_csum;
	struct kho_vmalloc table;
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

static int kho_test_restore(u32 *generation)
{
	struct kho_test_blob *blob;
	struct kho_test_folio *table;
	u64 i, bytes = 0, done = 0;
	phys_addr_t phys, first = 0;
	const char *why;
	size_t size;
	int err;

	err = kho_retrieve_subtree(KHO_TEST_NAME, &phys, &size);
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
	blob = phys_to_virt(phys);
	why = "malformed blob";
	if (size < sizeof(*blob) || strncmp(blob->compatible, KHO_TEST_COMPATIBLE,
					    sizeof(blob->compatible)) ||
	    blob->magic != KHO_TEST_MAGIC)
		goto fail_blob;
	why = "folio table not restored";
	table = kho_restore_vmalloc(&blob->table);
	if (!table)
		goto fail_blob;
	why = "folio table corrupt";
	if (blob->nr_folios * sizeof(*table) > (u64)blob->table.total_pages * PAGE_SIZE ||
	    kho_test_csum(table, blob->nr_folios * sizeof(*table)) != blob->table_csum)
		goto fail_table;
	for (i = 0; i < blob->nr_folios; i++) {
		struct folio *folio = kho_restore_folio(table[i].phys);

		why = "folio not restored";
		if (!folio)
			goto fail_table;
		done++;
		why = "folio order differs";
		if (folio_order(folio) != table[i].order) {
			folio_put(folio);
			goto fail_table;
		}
		why = "folio checksum differs";
		if (kho_test_csum(folio_address(folio), folio_size(folio)) != table[i].csum) {
			folio_put(folio);
			goto fail_table;
		}
		bytes += folio_size(folio);
		if (!first)
			first = table[i].phys;
		folio_put(folio);
	}
	why = "byte count differs";
	if (bytes != blob->total_bytes)
		goto fail_table;
	/* Restoring twice, or what was never preserved, must fail cleanly. */
	why = "second restore of a folio succeeded";
	if (first && kho_restore_folio(first))
		goto fail_table;
	why = "restore of memory that was not preserved succeeded";
	if (kho_test_restore_unpreserved())
		goto fail_table;

	pr_info("restore succeeded: generation %u, %llu folios, %llu MiB, checksums match, table of %u vmalloc pages, second restore refused\n",
		blob->generation, blob->nr_folios, bytes >> 20, blob->table.total_pages);
	*generation = blob->generation;
	vfree(table);
	kho_restore_free(blob);
	return 0;

fail_table:
	vfree(table);
fail_blob:
	pr_err("restore FAILED: %s (after %llu of %llu folios)\n", why, done,
	       size >= sizeof(*blob) ? blob->nr_folios : 0);
	return -EINVAL;
}

static int kho_test_preserve(u32 generation)
{
	unsigned long max = ((unsigned long)kho_test_mb << 20) >> PAGE_SHIFT, n = 0;
	u64 total = 0, target = (u64)kho_test_mb << 20, state;
	unsigned int max_order = 0;
	struct kho_test_folio *table;
	struct kho_test_blob *blob;
	int err = -ENOMEM;

	if (!kho_is_enabled()) {
		pr_info("KHO is off: nothing preserved\n");
		return 0;
	}
	table = vzalloc(max_t(unsigned long, max, 1) * sizeof(*table));
	if (!table)
		return -ENOMEM;
	state = get_random_u64() | 1;
	while (total < target && n < max) {
		unsigned int order = get_random_u32_below(MAX_PAGE_ORDER + 1);
		struct folio *folio;

		while ((PAGE_SIZE << order) > target - total)
			order--;
		folio = folio_alloc(GFP_KERNEL | __GFP_NOWARN, order);
		while (!folio && order--)
			folio = folio_alloc(GFP_KERNEL | __GFP_NOWARN, order);
		if (!folio)
			goto err_unpreserve;
		kho_test_fill(folio_address(folio), folio_size(folio), &state);
		err = kho_preserve_folio(folio);
		if (err) {
			folio_put(folio);
			goto err_unpreserve;
		}
		if (kho_preserve_folio(folio) != -EEXIST) {
			/* Preserving twice must be refused. */
			err = -EINVAL;
			kho_unpreserve_folio(folio);
			folio_put(folio);
			goto err_unpreserve;
		}
		table[n].phys = PFN_PHYS(folio_pfn(folio));
		table[n].order = order;
		table[n].csum = kho_test_csum(folio_address(folio), folio_size(folio));
		total += folio_size(folio);
		max_order = max(max_order, order);
		n++;
	}
	blob = kho_alloc_preserve(sizeof(*blob));
	if (IS_ERR(blob)) {
		err = PTR_ERR(blob);
		goto err_unpreserve;
	}
	err = kho_preserve_vmalloc(table, &blob->table);
	if (err)
		goto err_free_blob;
	strscpy(blob->compatible, KHO_TEST_COMPATIBLE, sizeof(blob->compatible));
	blob->magic = KHO_TEST_MAGIC;
	blob->generation = generation;
	blob->nr_folios = n;
	blob->total_bytes = total;
	blob->table_csum = kho_test_csum(table, n * sizeof(*table));
	err = kho_add_subtree(KHO_TEST_NAME, blob, sizeof(*blob));
	if (err)
		goto err_unpreserve_table;
	pr_info("preserved generation %u: %lu folios of orders 0-%u, %llu MiB, table of %u vmalloc pages\n",
		generation, n, max_order, total >> 20, blob->table.total_pages);
	return 0;

err_unpreserve_table:
	kho_unpreserve_vmalloc(&blob->table);
err_free_blob:
	kho_unpreserve_free(blob);
err_unpreserve:
	while (n--) {
		struct folio *folio = pfn_folio(PHYS_PFN(table[n].phys));

		kho_unpreserve_folio(folio);
		folio_put(folio);
	}
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
