// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * KUnit tests for kho_block: the empty set, an exactly full block, entries
 * crossing block boundaries read forwards and backwards, shrinking after
 * removals, and every kind of corrupt incoming chain rejected without
 * leaking a block. Blocks come from a pool of ordinary pages through test
 * memory operations, so a "previous kernel's" chain can be built and
 * damaged at will; the pool counts what is allocated and claimed.
 */

#include <kunit/test.h>
#include <linux/io.h>
#include <linux/kho_block.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/xxhash.h>

#define POOL_PAGES	8

static struct {
	struct page *pages[POOL_PAGES];
	bool used[POOL_PAGES];		/* handed out by alloc */
	bool claimed[POOL_PAGES];	/* handed out by restore */
	int nr_used, nr_claimed;
} pool;

static int pool_index(const void *addr)
{
	for (int i = 0; i < POOL_PAGES; i++)
		if (pool.pages[i] && page_address(pool.pages[i]) == addr)
			return i;
	return -1;
}

static void *pool_alloc(void)
{
	for (int i = 0; i < POOL_PAGES; i++)
		if (!pool.used[i]) {
			pool.used[i] = true;
			pool.nr_used++;
			memset(page_address(pool.pages[i]), 0, PAGE_SIZE);
			return page_address(pool.pages[i]);
		}
	return NULL;
}

static void pool_free(void *block)
{
	int i = pool_index(block);

	if (i >= 0 && pool.used[i]) {
		pool.used[i] = false;
		pool.nr_used--;
	}
}

/* Like kho_restore_folio(): only pool pages, and each only once. */
static void *pool_restore(phys_addr_t phys)
{
	for (int i = 0; i < POOL_PAGES; i++)
		if (page_to_phys(pool.pages[i]) == phys) {
			if (pool.claimed[i])
				return NULL;
			pool.claimed[i] = true;
			pool.nr_claimed++;
			return page_address(pool.pages[i]);
		}
	return NULL;
}

static void pool_put(void *block)
{
	int i = pool_index(block);

	if (i >= 0 && pool.claimed[i]) {
		pool.claimed[i] = false;
		pool.nr_claimed--;
	}
}

static const struct kho_block_mem_ops pool_ops = {
	.alloc = pool_alloc,
	.free = pool_free,
	.restore = pool_restore,
	.put = pool_put,
};

static int kho_block_test_init(struct kunit *test)
{
	memset(&pool, 0, sizeof(pool));
	for (int i = 0; i < POOL_PAGES; i++) {
		pool.pages[i] = alloc_page(GFP_KERNEL);
		if (!pool.pages[i])
			return -ENOMEM;
	}
	return 0;
}

static void kho_block_test_exit(struct kunit *test)
{
	for (int i = 0; i < POOL_PAGES; i++)
		if (pool.pages[i])
			__free_page(pool.pages[i]);
}

/* A set of u64 entries written with 0..n-1, its chain "handed over". */
static void write_set(struct kunit *test, struct kho_block_set *set,
		      struct kho_block_set_ser *ser, unsigned long n)
{
	struct kho_block_writer w;
	unsigned long i;

	kho_block_set_init(set, sizeof(u64));
	set->ops = &pool_ops;
	KUNIT_ASSERT_EQ(test, kho_block_set_grow(set, n), 0);
	kho_block_writer_init(&w, set, ser);
	for (i = 0; i < n; i++) {
		u64 v = i;

		KUNIT_ASSERT_EQ(test, kho_block_writer_add(&w, &v), 0);
		KUNIT_EXPECT_EQ(test, ser->count, i + 1);
	}
}

/* What kexec does to the outgoing set: the blocks live on, the set does not. */
static void hand_over(struct kho_block_set *set)
{
	INIT_LIST_HEAD(&set->blocks);
	set->nr_blocks = 0;
}

static void expect_entries(struct kunit *test, struct kho_block_set *set, unsigned long n)
{
	struct kho_block_reader r;
	unsigned long i;
	u64 *e;

	kho_block_reader_init(&r, set);
	for (i = 0; i < n; i++) {
		e = kho_block_reader_next(&r);
		KUNIT_ASSERT_NOT_NULL(test, e);
		KUNIT_EXPECT_EQ(test, *e, i);
	}
	KUNIT_EXPECT_NULL(test, kho_block_reader_next(&r));
	/* Stepping back visits them all again, in reverse. */
	for (i = n; i > 0; i--) {
		e = kho_block_reader_prev(&r);
		KUNIT_ASSERT_NOT_NULL(test, e);
		KUNIT_EXPECT_EQ(test, *e, i - 1);
	}
	KUNIT_EXPECT_NULL(test, kho_block_reader_prev(&r));
}

static void restore_ok(struct kunit *test, struct kho_block_set_ser *ser, unsigned long n)
{
	struct kho_block_set in;

	kho_block_set_init(&in, sizeof(u64));
	in.ops = &pool_ops;
	KUNIT_ASSERT_EQ(test, kho_block_set_restore(&in, ser), 0);
	expect_entries(test, &in, n);
	kho_block_set_destroy(&in);
	KUNIT_EXPECT_EQ(test, pool.nr_claimed, 0);
}

static void kho_block_empty_set(struct kunit *test)
{
	struct kho_block_set_ser ser;
	struct kho_block_set set;
	struct kho_block_writer w;

	write_set(test, &set, &ser, 0);
	KUNIT_EXPECT_EQ(test, set.nr_blocks, 0UL);
	kho_block_writer_init(&w, &set, &ser);
	KUNIT_EXPECT_EQ(test, kho_block_writer_add(&w, &ser), -ENOSPC);
	KUNIT_EXPECT_EQ(test, ser.head, 0);
	KUNIT_EXPECT_EQ(test, ser.count, 0);
	KUNIT_EXPECT_STREQ(test, ser.compatible, KHO_BLOCK_COMPATIBLE);
	expect_entries(test, &set, 0);
	restore_ok(test, &ser, 0);
}

static void kho_block_exactly_full_block(struct kunit *test)
{
	struct kho_block_set_ser ser;
	struct kho_block_set set;
	struct kho_block_writer w;
	struct kho_block_header_ser *hdr;
	unsigned long per;

	kho_block_set_init(&set, sizeof(u64));
	per = kho_block_per_block(&set);
	write_set(test, &set, &ser, per);
	KUNIT_EXPECT_EQ(test, set.nr_blocks, 1UL);
	hdr = phys_to_virt(ser.head);
	KUNIT_EXPECT_EQ(test, hdr->count, per);
	KUNIT_EXPECT_EQ(test, hdr->next, 0);
	/* Full: one more entry needs a grow. */
	w = (struct kho_block_writer){ .set = &set, .ser = &ser, .cur = hdr };
	KUNIT_EXPECT_EQ(test, kho_block_writer_add(&w, &per), -ENOSPC);
	expect_entries(test, &set, per);
	hand_over(&set);
	restore_ok(test, &ser, per);
}

static void kho_block_crosses_blocks_both_ways(struct kunit *test)
{
	struct kho_block_set_ser ser;
	struct kho_block_set set;
	struct kho_block_writer w;
	unsigned long n, i;

	kho_block_set_init(&set, sizeof(u64));
	n = 2 * kho_block_per_block(&set) + 3;
	write_set(test, &set, &ser, n);
	KUNIT_EXPECT_EQ(test, set.nr_blocks, 3UL);
	expect_entries(test, &set, n);
	/* Writing again from the start rewrites, it does not append. */
	kho_block_writer_init(&w, &set, &ser);
	for (i = 0; i < 5; i++)
		KUNIT_EXPECT_EQ(test, kho_block_writer_add(&w, &i), 0);
	KUNIT_EXPECT_EQ(test, ser.count, 5);
	expect_entries(test, &set, 5);
	kho_block_set_shrink(&set, 5);
	KUNIT_EXPECT_EQ(test, set.nr_blocks, 1UL);
	hand_over(&set);
	restore_ok(test, &ser, 5);
}

static void kho_block_shrink_after_removals(struct kunit *test)
{
	struct kho_block_set_ser ser;
	struct kho_block_set set;
	unsigned long per;

	kho_block_set_init(&set, sizeof(u64));
	per = kho_block_per_block(&set);
	write_set(test, &set, &ser, 3 * per);
	KUNIT_EXPECT_EQ(test, pool.nr_used, 3);
	kho_block_set_shrink(&set, per + 1);
	KUNIT_EXPECT_EQ(test, set.nr_blocks, 2UL);
	kho_block_set_shrink(&set, per);
	KUNIT_EXPECT_EQ(test, set.nr_blocks, 1UL);
	KUNIT_EXPECT_EQ(test, kho_block_capacity(&set), per);
	kho_block_set_shrink(&set, 0);
	KUNIT_EXPECT_EQ(test, set.nr_blocks, 0UL);
	KUNIT_EXPECT_EQ(test, pool.nr_used, 0);
	/* Growing again works, and destroy frees everything. */
	KUNIT_EXPECT_EQ(test, kho_block_set_grow(&set, per + 1), 0);
	KUNIT_EXPECT_EQ(test, pool.nr_used, 2);
	kho_block_set_destroy(&set);
	KUNIT_EXPECT_EQ(test, pool.nr_used, 0);
}

enum corruption {
	CORRUPT_CYCLE, CORRUPT_COUNT_ZERO, CORRUPT_COUNT_OVER, CORRUPT_CHAIN_LONGER,
	CORRUPT_CHAIN_SHORTER, CORRUPT_FOREIGN_BLOCK, CORRUPT_ENTRY_SIZE,
	CORRUPT_BLOCK_SIZE, CORRUPT_COMPATIBLE, CORRUPT_NO_HEAD, CORRUPT_ENTRY_BIT,
	CORRUPT_HASH, CORRUPT_SHORTER_COUNTED,
};

static void corrupt_and_restore(struct kunit *test, enum corruption how)
{
	struct kho_block_header_ser *b[3];
	struct kho_block_set_ser ser;
	struct kho_block_set set, in;
	unsigned long per, n;
	struct page *foreign;

	kho_block_set_init(&set, sizeof(u64));
	per = kho_block_per_block(&set);
	n = 2 * per + 3;
	write_set(test, &set, &ser, n);
	b[0] = phys_to_virt(ser.head);
	b[1] = phys_to_virt(b[0]->next);
	b[2] = phys_to_virt(b[1]->next);
	hand_over(&set);
	foreign = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, foreign);

	kho_block_set_init(&in, sizeof(u64));
	switch (how) {
	case CORRUPT_CYCLE:
		b[2]->next = ser.head;
		break;
	case CORRUPT_COUNT_ZERO:
		b[1]->count = 0;
		break;
	case CORRUPT_COUNT_OVER:
		b[1]->count = per + 1;
		break;
	case CORRUPT_CHAIN_LONGER:
		/* Two entries, but a third block follows: the bound stops it. */
		b[0]->count = 1;
		b[1]->count = 1;
		ser.count = 2;
		break;
	case CORRUPT_CHAIN_SHORTER:
		ser.count = n + 1;
		break;
	case CORRUPT_FOREIGN_BLOCK:
		b[1]->next = page_to_phys(foreign);
		break;
	case CORRUPT_ENTRY_SIZE:
		kho_block_set_init(&in, sizeof(u32));
		break;
	case CORRUPT_BLOCK_SIZE:
		ser.block_size = PAGE_SIZE * 2;
		break;
	case CORRUPT_COMPATIBLE:
		ser.compatible[strlen(ser.compatible) - 1] = '9';
		break;
	case CORRUPT_NO_HEAD:
		ser.head = 0;
		break;
	case CORRUPT_ENTRY_BIT:
		/* Structurally sound: only the hash sees it. */
		((u64 *)(b[1] + 1))[5] ^= 1ULL << 17;
		break;
	case CORRUPT_HASH:
		ser.hash ^= 1;
		break;
	case CORRUPT_SHORTER_COUNTED:
		/* A block dropped and the count fixed up: the hash sees it. */
		b[0]->next = b[1]->next;
		ser.count -= b[1]->count;
		break;
	}
	in.ops = &pool_ops;
	KUNIT_EXPECT_EQ(test, kho_block_set_restore(&in, &ser), -EINVAL);
	/* Rejected without a leak: nothing kept, every claimed block back. */
	KUNIT_EXPECT_EQ(test, in.nr_blocks, 0UL);
	KUNIT_EXPECT_TRUE(test, list_empty(&in.blocks));
	KUNIT_EXPECT_EQ(test, pool.nr_claimed, 0);
	__free_page(foreign);
}

static const char * const corruption_names[] = {
	"cycle", "count_zero", "count_over_capacity", "chain_longer_than_count",
	"chain_shorter_than_count", "foreign_block", "entry_size_mismatch",
	"block_size_mismatch", "compatible_mismatch", "no_head_with_entries",
	"entry_bit_flipped", "hash_flipped", "block_dropped_count_fixed",
};

static void corruption_desc(const enum corruption *how, char *desc)
{
	strscpy(desc, corruption_names[*how], KUNIT_PARAM_DESC_SIZE);
}

static const enum corruption corruptions[] = {
	CORRUPT_CYCLE, CORRUPT_COUNT_ZERO, CORRUPT_COUNT_OVER, CORRUPT_CHAIN_LONGER,
	CORRUPT_CHAIN_SHORTER, CORRUPT_FOREIGN_BLOCK, CORRUPT_ENTRY_SIZE,
	CORRUPT_BLOCK_SIZE, CORRUPT_COMPATIBLE, CORRUPT_NO_HEAD, CORRUPT_ENTRY_BIT,
	CORRUPT_HASH, CORRUPT_SHORTER_COUNTED,
};

KUNIT_ARRAY_PARAM(corruption, corruptions, corruption_desc);

static void kho_block_corrupt_chain_rejected(struct kunit *test)
{
	corrupt_and_restore(test, *(const enum corruption *)test->param_value);
}

/*
 * A chain longer than any old fixed cap (65,536 blocks) restores: a set
 * holds what its writer could write. One entry per block, so the chain has
 * as many blocks as entries; its own pages, and restore trusts them.
 */
#define LONG_CHAIN_BLOCKS	(65536 + 64)

static void *long_chain_restore(phys_addr_t phys)
{
	return phys_to_virt(phys);
}

static void long_chain_put(void *block)
{
	__free_page(virt_to_page(block));
}

static const struct kho_block_mem_ops long_chain_ops = {
	.restore = long_chain_restore,
	.put = long_chain_put,
};

static void kho_block_long_chain_restores(struct kunit *test)
{
	size_t esize = PAGE_SIZE - sizeof(struct kho_block_header_ser);
	struct kho_block_set_ser ser = { .compatible = KHO_BLOCK_COMPATIBLE };
	struct kho_block_header_ser *hdr;
	struct kho_block_set set;
	phys_addr_t next = 0;
	unsigned long i;
	__le64 le;
	u64 *links;

	/* The hash runs head to tail; the chain is built tail to head. */
	links = kvmalloc_array(LONG_CHAIN_BLOCKS, sizeof(*links), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, links);
	ser.entry_size = esize;
	ser.block_size = PAGE_SIZE;
	for (i = 0; i < LONG_CHAIN_BLOCKS; i++) {
		struct page *page = alloc_page(GFP_KERNEL | __GFP_NOWARN);

		if (!page)
			break;
		hdr = page_address(page);
		hdr->next = next;
		hdr->count = 1;
		memset(hdr + 1, 0, esize);
		next = page_to_phys(page);
		links[i] = next;
	}
	ser.head = next;
	ser.count = i;
	for (ser.hash = 0; i--;) {
		le = cpu_to_le64(links[i]);
		ser.hash = xxh64(&le, sizeof(le), ser.hash);
		ser.hash = xxh64(phys_to_virt(links[i]) + sizeof(*hdr), esize, ser.hash);
	}
	kvfree(links);
	if (ser.count < LONG_CHAIN_BLOCKS) {
		/* Give back what was allocated, then say why. */
		while (next) {
			hdr = phys_to_virt(next);
			next = hdr->next;
			__free_page(virt_to_page(hdr));
		}
		KUNIT_FAIL(test, "not enough memory for %u blocks", LONG_CHAIN_BLOCKS);
		return;
	}
	kho_block_set_init(&set, esize);
	set.ops = &long_chain_ops;
	KUNIT_EXPECT_EQ(test, kho_block_set_restore(&set, &ser), 0);
	KUNIT_EXPECT_EQ(test, set.nr_blocks, (unsigned long)LONG_CHAIN_BLOCKS);
	kho_block_set_destroy(&set);
}

static struct kunit_case kho_block_cases[] = {
	KUNIT_CASE(kho_block_long_chain_restores),
	KUNIT_CASE(kho_block_empty_set),
	KUNIT_CASE(kho_block_exactly_full_block),
	KUNIT_CASE(kho_block_crosses_blocks_both_ways),
	KUNIT_CASE(kho_block_shrink_after_removals),
	KUNIT_CASE_PARAM(kho_block_corrupt_chain_rejected, corruption_gen_params),
	{}
};

static struct kunit_suite kho_block_suite = {
	.name = "kho-block",
	.init = kho_block_test_init,
	.exit = kho_block_test_exit,
	.test_cases = kho_block_cases,
};

kunit_test_suite(kho_block_suite);

MODULE_DESCRIPTION("KUnit tests for kho_block");
MODULE_LICENSE("GPL");
