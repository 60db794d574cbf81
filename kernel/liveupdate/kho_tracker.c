// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: KHO tracker of preserved memory
 *
 * The tracker records which blocks of memory (2^order pages at a pfn
 * aligned to 2^order) are preserved. It is a radix tree of one-page nodes
 * whose layout is the handover ABI itself (see
 * ``include/linux/kho/abi/kexec_handover.h``): table nodes hold physical
 * addresses of the next level, leaves are bitmaps. Because the in-memory
 * form is the serialized form, nothing is flattened at reboot: the next
 * kernel receives the physical address of the root and walks the same
 * pages.
 *
 * Cost: one bit per block plus the pages on its path. A GiB of order-0
 * pages needs 8 leaves and a few tables (about 0.003 % of the memory);
 * sparse preservation costs at most one leaf per preserved block.
 *
 * Callers serialize modifications (kexec_handover.c holds kho_out.lock);
 * the walker only reads. When a bit is cleared, nodes that became empty
 * are freed, so an emptied tracker holds no memory.
 */

#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/xxhash.h>

#include "kexec_handover_internal.h"

#define KHO_TABLE_ENTRIES	BIT(KHO_TABLE_BITS)
#define KHO_LEAF_ENTRIES	BIT(KHO_LEAF_BITS)

static_assert(sizeof(u64) * KHO_TABLE_ENTRIES == PAGE_SIZE);
/* A leaf has as many bits as a table page has bytes times eight. */
static_assert(sizeof(u64) * KHO_TABLE_ENTRIES * BITS_PER_BYTE == KHO_LEAF_ENTRIES);
static_assert(KHO_LEAF_BITS + KHO_TREE_LEVELS * KHO_TABLE_BITS >= KHO_KEY_BITS);

static unsigned int table_index(u64 key, unsigned int level)
{
	return (key >> (KHO_LEAF_BITS + level * KHO_TABLE_BITS)) & (KHO_TABLE_ENTRIES - 1);
}

static void *node_virt(phys_addr_t phys)
{
	return phys_to_virt(phys);
}

static phys_addr_t node_alloc(struct kho_tracker *t, gfp_t gfp)
{
	unsigned long addr = get_zeroed_page(gfp);

	if (!addr)
		return 0;
	t->nr_nodes++;
	return virt_to_phys((void *)addr);
}

static void node_free(struct kho_tracker *t, phys_addr_t phys)
{
	struct page *page = pfn_to_page(PHYS_PFN(phys));

	/* Nodes of an incoming tree were reserved by memblock. */
	if (t->reserved_nodes)
		free_reserved_page(page);
	else
		__free_page(page);
	t->nr_nodes--;
}

static bool node_empty(phys_addr_t node)
{
	return !memchr_inv(node_virt(node), 0, PAGE_SIZE);
}

/*
 * node_empty() for a node whose 64-bit word @word was just cleared in part:
 * that word first, then the words after it, then those before. Blocks are
 * mostly restored in ascending or descending order, so the scan stops at
 * the next word, where node_empty() would scan all the zeros before it
 * (on average half a page per restored block).
 */
static bool node_empty_at(phys_addr_t node, unsigned int word)
{
	u64 *w = node_virt(node);
	unsigned int n = PAGE_SIZE / sizeof(*w);

	return !w[word] && !memchr_inv(w + word, 0, (n - word) * sizeof(*w)) &&
	       !memchr_inv(w, 0, word * sizeof(*w));
}

/**
 * kho_key_encode - tracker key of a block
 * @pfn: first pfn of the block, aligned to 2^@order
 * @order: order of the block, at most KHO_ORDER_MAX
 *
 * Return: the key; the position of its highest bit encodes @order.
 */
u64 kho_key_encode(unsigned long pfn, unsigned int order)
{
	return ((u64)pfn >> order) | BIT_ULL(KHO_PFN_BITS - order);
}

/**
 * kho_key_decode - block of a tracker key
 * @key: the key
 * @pfn: first pfn of the block
 * @order: order of the block
 *
 * Return: false if @key is not a valid key (incoming data is untrusted).
 */
bool kho_key_decode(u64 key, unsigned long *pfn, unsigned int *order)
{
	int high;

	if (!key || key >= BIT_ULL(KHO_KEY_BITS))
		return false;
	high = fls64(key) - 1;
	if (KHO_PFN_BITS - high > KHO_ORDER_MAX)
		return false;
	*order = KHO_PFN_BITS - high;
	*pfn = (unsigned long)((key & ~BIT_ULL(high)) << *order);
	return true;
}

/**
 * kho_tracker_set - record a key
 * @t: the tracker
 * @key: key from kho_key_encode()
 * @gfp: allocation flags for new nodes
 *
 * Return: 0, -EEXIST if the key is already recorded, or -ENOMEM.
 */
int kho_tracker_set(struct kho_tracker *t, u64 key, gfp_t gfp)
{
	phys_addr_t *path[KHO_TREE_LEVELS + 1];
	phys_addr_t *slot = &t->root;
	int level;

	for (level = KHO_TREE_LEVELS; level >= 0; level--) {
		path[level] = slot;
		if (!*slot) {
			*slot = node_alloc(t, gfp);
			if (!*slot)
				goto err_prune;
		}
		if (level == 0)
			break;
		slot = (phys_addr_t *)node_virt(*slot) + table_index(key, level - 1);
	}
	if (__test_and_set_bit(key & (KHO_LEAF_ENTRIES - 1), node_virt(*slot)))
		return -EEXIST;
	return 0;

err_prune:
	/* Free the nodes this call added, which are still empty. */
	for (level++; level <= KHO_TREE_LEVELS; level++) {
		if (!node_empty(*path[level]))
			break;
		node_free(t, *path[level]);
		*path[level] = 0;
	}
	return -ENOMEM;
}

/**
 * kho_tracker_test - is a key recorded
 * @t: the tracker
 * @key: the key
 *
 * Return: true if @key is recorded.
 */
bool kho_tracker_test(const struct kho_tracker *t, u64 key)
{
	phys_addr_t node = t->root;
	int level;

	for (level = KHO_TREE_LEVELS; level > 0 && node; level--)
		node = ((phys_addr_t *)node_virt(node))[table_index(key, level - 1)];
	return node && test_bit(key & (KHO_LEAF_ENTRIES - 1), node_virt(node));
}

/**
 * kho_tracker_clear - forget a key, freeing nodes that become empty
 * @t: the tracker
 * @key: the key
 *
 * Return: 0, or -ENOENT if the key was not recorded.
 */
int kho_tracker_clear(struct kho_tracker *t, u64 key)
{
	phys_addr_t *path[KHO_TREE_LEVELS + 1];
	phys_addr_t *slot = &t->root;
	int level;

	for (level = KHO_TREE_LEVELS; level >= 0; level--) {
		if (!*slot)
			return -ENOENT;
		path[level] = slot;
		if (level == 0)
			break;
		slot = (phys_addr_t *)node_virt(*slot) + table_index(key, level - 1);
	}
	if (!__test_and_clear_bit(key & (KHO_LEAF_ENTRIES - 1), node_virt(*slot)))
		return -ENOENT;
	/* Free the leaf, then every table on the path that became empty. */
	for (level = 0; level <= KHO_TREE_LEVELS; level++) {
		unsigned int word = level ? table_index(key, level - 1) :
				    (key & (KHO_LEAF_ENTRIES - 1)) / 64;

		if (!node_empty_at(*path[level], word))
			break;
		node_free(t, *path[level]);
		*path[level] = 0;
	}
	return 0;
}

static int walk_node(const struct kho_tracker *t, phys_addr_t node, int level,
		     u64 prefix, const struct kho_tracker_walk_ops *ops, void *arg)
{
	unsigned int i;
	int ret;

	if (ops->node) {
		ret = ops->node(node, level, arg);
		if (ret)
			return ret;
	}
	if (level == 0) {
		unsigned long *leaf = node_virt(node);

		if (!ops->key)
			return 0;
		for_each_set_bit(i, leaf, KHO_LEAF_ENTRIES) {
			ret = ops->key((prefix << KHO_LEAF_BITS) | i, arg);
			if (ret)
				return ret;
		}
		return 0;
	}
	for (i = 0; i < KHO_TABLE_ENTRIES; i++) {
		phys_addr_t child = ((phys_addr_t *)node_virt(node))[i];

		if (!child)
			continue;
		ret = walk_node(t, child, level - 1, (prefix << KHO_TABLE_BITS) | i, ops, arg);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * kho_tracker_walk - visit every recorded key in ascending order
 * @t: the tracker
 * @ops: @ops->node (optional) is called with every node's physical address
 *	 and level before the node is read, so an incoming tree can be
 *	 validated as it is walked; @ops->key is called for every key
 * @arg: passed to the callbacks
 *
 * Return: 0, or the first non-zero value a callback returned.
 */
int kho_tracker_walk(const struct kho_tracker *t, const struct kho_tracker_walk_ops *ops,
		     void *arg)
{
	if (!t->root)
		return 0;
	return walk_node(t, t->root, KHO_TREE_LEVELS, 0, ops, arg);
}

static void destroy_node(struct kho_tracker *t, phys_addr_t node, int level)
{
	unsigned int i;

	for (i = 0; level > 0 && i < KHO_TABLE_ENTRIES; i++) {
		phys_addr_t child = ((phys_addr_t *)node_virt(node))[i];

		if (child)
			destroy_node(t, child, level - 1);
	}
	node_free(t, node);
}

static int hash_node(phys_addr_t phys, int level, void *arg)
{
	u64 *hash = arg;

	/* Only a tracker damaged on purpose (KHO debug) points outside RAM. */
	if (!pfn_valid(PHYS_PFN(phys)))
		return -EFAULT;
	*hash = xxh64(node_virt(phys), PAGE_SIZE, *hash);
	return 0;
}

/**
 * kho_tracker_hash - the hash of a tracker's nodes (abi/kexec_handover.h)
 * @t: the tracker
 *
 * Return: xxh64 chained over every node, in the order kho_tracker_walk()
 * visits them; 0 for an empty tracker.
 */
u64 kho_tracker_hash(const struct kho_tracker *t)
{
	static const struct kho_tracker_walk_ops ops = { .node = hash_node };
	u64 hash = 0;

	kho_tracker_walk(t, &ops, &hash);
	return hash;
}

/**
 * kho_tracker_destroy - free every node and forget every key
 * @t: the tracker
 */
void kho_tracker_destroy(struct kho_tracker *t)
{
	if (t->root)
		destroy_node(t, t->root, KHO_TREE_LEVELS);
	t->root = 0;
}
