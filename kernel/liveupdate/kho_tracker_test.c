// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * KUnit tests for the KHO tracker: key encoding at every order and at the
 * address limits, set/test/clear semantics, ordered and complete walks,
 * metadata accounting, and rejection of keys no kernel would write.
 */

#include <kunit/test.h>
#include <linux/random.h>
#include <linux/sort.h>

#include "kexec_handover_internal.h"

#define PFN_LIMIT	BIT(KHO_PFN_BITS)

static void kho_key_roundtrip_every_order(struct kunit *test)
{
	unsigned int order, got_order;
	unsigned long got_pfn;

	for (order = 0; order <= KHO_ORDER_MAX; order++) {
		unsigned long pfns[] = { 0, 1UL << order, PFN_LIMIT - (1UL << order),
					 (PFN_LIMIT / 3) & ~((1UL << order) - 1) };

		for (int i = 0; i < ARRAY_SIZE(pfns); i++) {
			u64 key = kho_key_encode(pfns[i], order);

			KUNIT_ASSERT_TRUE(test, kho_key_decode(key, &got_pfn, &got_order));
			KUNIT_EXPECT_EQ(test, got_pfn, pfns[i]);
			KUNIT_EXPECT_EQ(test, got_order, order);
			KUNIT_EXPECT_LT(test, key, BIT_ULL(KHO_KEY_BITS));
		}
	}
}

static void kho_key_orders_never_collide(struct kunit *test)
{
	unsigned int a, b;

	/* The same pfn at two orders, and neighbours, give distinct keys. */
	for (a = 0; a <= KHO_ORDER_MAX; a++)
		for (b = a + 1; b <= KHO_ORDER_MAX; b++) {
			KUNIT_EXPECT_NE(test, kho_key_encode(0, a), kho_key_encode(0, b));
			KUNIT_EXPECT_NE(test, kho_key_encode(1UL << b, a),
					kho_key_encode(1UL << b, b));
		}
}

static void kho_key_rejects_malformed(struct kunit *test)
{
	unsigned long pfn;
	unsigned int order;

	KUNIT_EXPECT_FALSE(test, kho_key_decode(0, &pfn, &order));
	KUNIT_EXPECT_FALSE(test, kho_key_decode(BIT_ULL(KHO_KEY_BITS), &pfn, &order));
	KUNIT_EXPECT_FALSE(test, kho_key_decode(U64_MAX, &pfn, &order));
	/* Highest bit below the KHO_ORDER_MAX marker: order too large. */
	KUNIT_EXPECT_FALSE(test, kho_key_decode(BIT_ULL(KHO_PFN_BITS - KHO_ORDER_MAX - 1),
						&pfn, &order));
	KUNIT_EXPECT_TRUE(test, kho_key_decode(BIT_ULL(KHO_PFN_BITS - KHO_ORDER_MAX),
					       &pfn, &order));
	KUNIT_EXPECT_EQ(test, order, KHO_ORDER_MAX);
}

static void kho_tracker_set_test_clear(struct kunit *test)
{
	struct kho_tracker t = { };
	u64 key = kho_key_encode(12345 << 3, 3);

	KUNIT_EXPECT_FALSE(test, kho_tracker_test(&t, key));
	KUNIT_ASSERT_EQ(test, kho_tracker_set(&t, key, GFP_KERNEL), 0);
	KUNIT_EXPECT_TRUE(test, kho_tracker_test(&t, key));
	KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, key, GFP_KERNEL), -EEXIST);
	/* A neighbour or the same pfn at another order is not recorded. */
	KUNIT_EXPECT_FALSE(test, kho_tracker_test(&t, key + 1));
	KUNIT_EXPECT_FALSE(test, kho_tracker_test(&t, kho_key_encode(12345 << 3, 0)));
	KUNIT_EXPECT_EQ(test, t.nr_nodes, (unsigned long)KHO_TREE_LEVELS + 1);
	KUNIT_EXPECT_EQ(test, kho_tracker_clear(&t, key), 0);
	KUNIT_EXPECT_EQ(test, kho_tracker_clear(&t, key), -ENOENT);
	KUNIT_EXPECT_FALSE(test, kho_tracker_test(&t, key));
	/* Clearing the last key frees every node. */
	KUNIT_EXPECT_EQ(test, t.nr_nodes, 0UL);
	KUNIT_EXPECT_EQ(test, t.root, 0);
}

/*
 * A leaf is freed when its last bit is cleared, and not before, whichever
 * word that bit is in relative to the others still set: before them,
 * after them, between them, in the same word, at the leaf's two ends.
 */
static void kho_tracker_leaf_freed_with_last_bit(struct kunit *test)
{
	const unsigned long base = 1UL << 21;	/* the start of a leaf */
	const unsigned long last = (1UL << KHO_LEAF_BITS) - 1;
	static const unsigned long set[] = { 0, 1, 64, 2000, 2001, 20000 };
	/* Every order of clearing below keeps a bit set until the last one. */
	static const unsigned long order[][6] = {
		{ 2000, 0, 20000, 64, 1, 2001 },	/* middle, first, last, ... */
		{ 20000, 2001, 2000, 64, 1, 0 },	/* descending */
		{ 0, 1, 64, 2000, 2001, 20000 },	/* ascending */
	};
	struct kho_tracker t = { };
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(order); i++) {
		for (j = 0; j < ARRAY_SIZE(set); j++)
			KUNIT_ASSERT_EQ(test, kho_tracker_set(&t, kho_key_encode(base + set[j], 0),
							      GFP_KERNEL), 0);
		KUNIT_ASSERT_EQ(test, kho_tracker_set(&t, kho_key_encode(base + last, 0),
						      GFP_KERNEL), 0);
		KUNIT_ASSERT_EQ(test, kho_tracker_clear(&t, kho_key_encode(base + last, 0)), 0);
		for (j = 0; j < ARRAY_SIZE(set); j++) {
			u64 key = kho_key_encode(base + order[i][j], 0);

			KUNIT_EXPECT_EQ(test, t.nr_nodes, (unsigned long)KHO_TREE_LEVELS + 1);
			KUNIT_EXPECT_EQ(test, kho_tracker_clear(&t, key), 0);
		}
		KUNIT_EXPECT_EQ(test, t.nr_nodes, 0UL);
		KUNIT_EXPECT_EQ(test, t.root, 0);
	}
}

static void kho_tracker_address_limits(struct kunit *test)
{
	struct kho_tracker t = { };
	u64 low = kho_key_encode(0, 0);
	u64 high = kho_key_encode(PFN_LIMIT - 1, 0);
	u64 top = kho_key_encode(PFN_LIMIT - (1UL << KHO_ORDER_MAX), KHO_ORDER_MAX);

	KUNIT_ASSERT_EQ(test, kho_tracker_set(&t, low, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, kho_tracker_set(&t, high, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, kho_tracker_set(&t, top, GFP_KERNEL), 0);
	KUNIT_EXPECT_TRUE(test, kho_tracker_test(&t, low));
	KUNIT_EXPECT_TRUE(test, kho_tracker_test(&t, high));
	KUNIT_EXPECT_TRUE(test, kho_tracker_test(&t, top));
	kho_tracker_destroy(&t);
	KUNIT_EXPECT_EQ(test, t.nr_nodes, 0UL);
	KUNIT_EXPECT_EQ(test, t.root, 0);
}

/* A full leaf of order-0 pages: 128 MiB tracked by 4 pages of metadata. */
static void kho_tracker_dense_is_compact(struct kunit *test)
{
	const unsigned long n = 1UL << KHO_LEAF_BITS, base = 1UL << 20;
	struct kho_tracker t = { };
	unsigned long i;

	for (i = 0; i < n; i++) {
		u64 key = kho_key_encode(base + i, 0);

		KUNIT_ASSERT_EQ(test, kho_tracker_set(&t, key, GFP_KERNEL), 0);
	}
	KUNIT_EXPECT_EQ(test, t.nr_nodes, (unsigned long)KHO_TREE_LEVELS + 1);
	/* Metadata well under 0.1 % of the preserved bytes. */
	KUNIT_EXPECT_LT(test, t.nr_nodes * 1000, n);
	kho_tracker_destroy(&t);
	KUNIT_EXPECT_EQ(test, t.nr_nodes, 0UL);
}

struct walk_ctx {
	u64 *keys;
	unsigned long n, max, nodes;
	int stop_at;
};

static int collect_key(u64 key, void *arg)
{
	struct walk_ctx *c = arg;

	if (c->n >= c->max)
		return -E2BIG;
	c->keys[c->n++] = key;
	return 0;
}

static int count_node(phys_addr_t phys, int level, void *arg)
{
	struct walk_ctx *c = arg;

	c->nodes++;
	return c->stop_at && c->nodes == c->stop_at ? -EIO : 0;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static void kho_tracker_walk_is_ordered_and_complete(struct kunit *test)
{
	const unsigned long n = 2000;
	const struct kho_tracker_walk_ops ops = { .node = count_node, .key = collect_key };
	struct kho_tracker t = { };
	struct walk_ctx c = { .max = n };
	u64 *want;
	unsigned long i, added = 0;

	want = kunit_kcalloc(test, n, sizeof(*want), GFP_KERNEL);
	c.keys = kunit_kcalloc(test, n, sizeof(*c.keys), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, want);
	KUNIT_ASSERT_NOT_NULL(test, c.keys);
	for (i = 0; i < n; i++) {
		unsigned int order = get_random_u32_below(KHO_ORDER_MAX + 1);
		unsigned long pfn = get_random_u64() & (PFN_LIMIT - 1) & ~((1UL << order) - 1);
		u64 key = kho_key_encode(pfn, order);

		if (kho_tracker_set(&t, key, GFP_KERNEL) == 0)
			want[added++] = key;
	}
	sort(want, added, sizeof(*want), cmp_u64, NULL);
	KUNIT_ASSERT_EQ(test, kho_tracker_walk(&t, &ops, &c), 0);
	KUNIT_ASSERT_EQ(test, c.n, added);
	for (i = 0; i < added; i++)
		KUNIT_EXPECT_EQ(test, c.keys[i], want[i]);
	KUNIT_EXPECT_EQ(test, c.nodes, t.nr_nodes);

	/* An error from a callback stops the walk and is returned. */
	c.n = 0;
	c.nodes = 0;
	c.stop_at = 2;
	KUNIT_EXPECT_EQ(test, kho_tracker_walk(&t, &ops, &c), -EIO);
	KUNIT_EXPECT_EQ(test, c.nodes, 2UL);

	for (i = 0; i < added; i++)
		KUNIT_EXPECT_EQ(test, kho_tracker_clear(&t, want[i]), 0);
	KUNIT_EXPECT_EQ(test, t.nr_nodes, 0UL);
}

static void kho_tracker_empty_walk(struct kunit *test)
{
	const struct kho_tracker_walk_ops ops = { .node = count_node, .key = collect_key };
	struct kho_tracker t = { };
	struct walk_ctx c = { };

	KUNIT_EXPECT_EQ(test, kho_tracker_walk(&t, &ops, &c), 0);
	KUNIT_EXPECT_EQ(test, c.nodes, 0UL);
	KUNIT_EXPECT_EQ(test, kho_tracker_clear(&t, kho_key_encode(0, 0)), -ENOENT);
}

static struct kunit_case kho_tracker_cases[] = {
	KUNIT_CASE(kho_key_roundtrip_every_order),
	KUNIT_CASE(kho_key_orders_never_collide),
	KUNIT_CASE(kho_key_rejects_malformed),
	KUNIT_CASE(kho_tracker_set_test_clear),
	KUNIT_CASE(kho_tracker_leaf_freed_with_last_bit),
	KUNIT_CASE(kho_tracker_address_limits),
	KUNIT_CASE(kho_tracker_dense_is_compact),
	KUNIT_CASE(kho_tracker_walk_is_ordered_and_complete),
	KUNIT_CASE(kho_tracker_empty_walk),
	{}
};

static struct kunit_suite kho_tracker_suite = {
	.name = "kho-tracker",
	.test_cases = kho_tracker_cases,
};

kunit_test_suite(kho_tracker_suite);

MODULE_DESCRIPTION("KUnit tests for the KHO tracker");
MODULE_LICENSE("GPL");
