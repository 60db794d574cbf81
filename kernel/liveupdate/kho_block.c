// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: kho_block: arrays of unknown length across kexec
 *
 * A kho_block set keeps fixed-size entries in one-page blocks of preserved
 * memory, chained by physical address (layout and compatible string in
 * ``include/linux/kho/abi/block.h``). It removes fixed limits from
 * serialized state: a set grows by a block when it runs out of room.
 *
 * Outgoing, the owner grows the set as objects register
 * (kho_block_set_grow()) and shrinks it as they go (kho_block_set_shrink()),
 * so that serializing at reboot allocates nothing: a writer
 * (kho_block_writer_add()) copies entries in and keeps the chain and its
 * description (count and hash) valid after every entry; there is no
 * finalize step to forget. A reader walks the entries forwards and backwards, honouring each
 * block's count.
 *
 * Incoming, kho_block_set_restore() claims the chain block by block. Each
 * block must be preserved memory (so a cycle, which would claim a block
 * twice, fails), hold 1..capacity entries, and the chain must be no longer
 * than the entry count and add up to it, and the chain's hash must match
 * its description's, so that no damage goes unnoticed. There is no other
 * limit: what an outgoing set could hold, an incoming one can. On any
 * failure every block claimed so far is given back.
 */

#define pr_fmt(fmt) "kho_block: " fmt

#include <linux/err.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho_block.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <linux/xxhash.h>

#include <trace/events/liveupdate.h>

static void *default_alloc(void)
{
	void *block = kho_alloc_preserve(PAGE_SIZE);

	return IS_ERR(block) ? NULL : block;
}

static void *default_restore(phys_addr_t phys)
{
	struct page *page = kho_restore_pages(phys, 1);

	return page ? page_address(page) : NULL;
}

static void default_put(void *block)
{
	folio_put(virt_to_folio(block));
}

static const struct kho_block_mem_ops default_ops = {
	.alloc = default_alloc,
	.free = kho_unpreserve_free,
	.restore = default_restore,
	.put = default_put,
};

static const struct kho_block_mem_ops *ops(const struct kho_block_set *set)
{
	return set->ops ?: &default_ops;
}

static struct kho_block_header_ser *block_of(struct page *page)
{
	return page_address(page);
}

static struct page *page_of(const void *block)
{
	return virt_to_page(block);
}

/**
 * kho_block_set_init - initialize an empty set
 * @set: the set
 * @entry_size: bytes per entry, at most a block minus its header
 */
void kho_block_set_init(struct kho_block_set *set, size_t entry_size)
{
	*set = (struct kho_block_set)KHO_BLOCK_SET_INIT(*set, entry_size);
}

/**
 * kho_block_per_block - entries one block holds
 * @set: the set
 *
 * Return: the capacity of a block.
 */
unsigned long kho_block_per_block(const struct kho_block_set *set)
{
	return (PAGE_SIZE - sizeof(struct kho_block_header_ser)) / set->entry_size;
}

/**
 * kho_block_capacity - entries the set can hold without growing
 * @set: the set
 *
 * Return: the capacity of all its blocks.
 */
unsigned long kho_block_capacity(const struct kho_block_set *set)
{
	return set->nr_blocks * kho_block_per_block(set);
}

/**
 * kho_block_set_grow - make room for @nr_entries entries
 * @set: an outgoing set
 * @nr_entries: entries the set must be able to hold
 *
 * Return: 0, or -ENOMEM (the set keeps the blocks it had).
 */
int kho_block_set_grow(struct kho_block_set *set, unsigned long nr_entries)
{
	if (WARN_ON_ONCE(set->incoming || !set->entry_size ||
			 set->entry_size > PAGE_SIZE - sizeof(struct kho_block_header_ser)))
		return -EINVAL;
	while (kho_block_capacity(set) < nr_entries) {
		void *block = ops(set)->alloc();

		if (!block) {
			trace_kho_block_grow(set->entry_size, set->nr_blocks, nr_entries, -ENOMEM);
			return -ENOMEM;
		}
		memset(block, 0, sizeof(struct kho_block_header_ser));
		list_add_tail(&page_of(block)->lru, &set->blocks);
		set->nr_blocks++;
		trace_kho_block_grow(set->entry_size, set->nr_blocks, nr_entries, 0);
	}
	return 0;
}

/**
 * kho_block_set_shrink - free the blocks not needed for @nr_entries entries
 * @set: an outgoing set
 * @nr_entries: entries the set must still be able to hold
 */
void kho_block_set_shrink(struct kho_block_set *set, unsigned long nr_entries)
{
	unsigned long per = kho_block_per_block(set);

	while (set->nr_blocks && (set->nr_blocks - 1) * per >= nr_entries) {
		struct page *page = list_last_entry(&set->blocks, struct page, lru);

		list_del(&page->lru);
		set->nr_blocks--;
		ops(set)->free(page_address(page));
		trace_kho_block_shrink(set->entry_size, set->nr_blocks, nr_entries, 0);
	}
}

/**
 * kho_block_set_destroy - free every block of a set
 * @set: the set; empty afterwards
 *
 * Outgoing blocks are unpreserved and freed, incoming ones freed.
 */
void kho_block_set_destroy(struct kho_block_set *set)
{
	struct page *page, *tmp;

	list_for_each_entry_safe(page, tmp, &set->blocks, lru) {
		list_del(&page->lru);
		if (set->incoming)
			ops(set)->put(page_address(page));
		else
			ops(set)->free(page_address(page));
	}
	set->nr_blocks = 0;
	set->incoming = false;
}

/**
 * kho_block_writer_init - start writing a set from its first entry
 * @w: the writer
 * @set: an outgoing set, grown for everything that will be written
 * @ser: the set's description; it describes an empty set until an entry
 *	 is written, and the entries written so far after that
 */
void kho_block_writer_init(struct kho_block_writer *w, struct kho_block_set *set,
			   struct kho_block_set_ser *ser)
{
	w->set = set;
	w->ser = ser;
	w->cur = NULL;
	memset(ser, 0, sizeof(*ser));
	strscpy(ser->compatible, KHO_BLOCK_COMPATIBLE, sizeof(ser->compatible));
	ser->entry_size = set->entry_size;
	ser->block_size = PAGE_SIZE;
	if (set->nr_blocks)
		memset(block_of(list_first_entry(&set->blocks, struct page, lru)), 0,
		       sizeof(struct kho_block_header_ser));
}

/* The chained hash of a chain: a block's address, then its entries (abi/block.h). */
static u64 hash_link(u64 hash, phys_addr_t phys)
{
	__le64 le = cpu_to_le64(phys);

	return xxh64(&le, sizeof(le), hash);
}

/**
 * kho_block_writer_add - append an entry
 * @w: the writer
 * @entry: the entry, the set's entry size
 *
 * The entry is counted and hashed: the chain and @w->ser describe it as
 * soon as this returns.
 *
 * Return: 0, or -ENOSPC when the set is full (it was not grown enough).
 */
int kho_block_writer_add(struct kho_block_writer *w, const void *entry)
{
	unsigned long per = kho_block_per_block(w->set);
	struct kho_block_header_ser *next;
	void *slot;

	if (!w->cur || w->cur->count == per) {
		struct page *page;

		if (!w->cur) {
			if (list_empty(&w->set->blocks))
				return -ENOSPC;
			page = list_first_entry(&w->set->blocks, struct page, lru);
		} else {
			page = page_of(w->cur);
			if (list_is_last(&page->lru, &w->set->blocks))
				return -ENOSPC;
			page = list_next_entry(page, lru);
		}
		next = block_of(page);
		next->next = 0;
		next->count = 0;
		if (w->cur)
			w->cur->next = page_to_phys(page);
		else
			w->ser->head = page_to_phys(page);
		w->ser->hash = hash_link(w->ser->hash, page_to_phys(page));
		w->cur = next;
	}
	slot = (void *)(w->cur + 1) + w->cur->count * w->set->entry_size;
	memcpy(slot, entry, w->set->entry_size);
	w->ser->hash = xxh64(slot, w->set->entry_size, w->ser->hash);
	w->cur->count++;
	w->ser->count++;
	return 0;
}

/**
 * kho_block_set_hash - the hash of a set's chain, computed from its blocks
 * @set: a set that was written or restored
 *
 * What kho_block_writer_add() keeps in the description's @hash, recomputed
 * (for tests that change entries in place and mean it).
 *
 * Return: the chained hash of the blocks with entries, in chain order.
 */
u64 kho_block_set_hash(const struct kho_block_set *set)
{
	struct page *page;
	u64 hash = 0, i;

	list_for_each_entry(page, &set->blocks, lru) {
		struct kho_block_header_ser *hdr = block_of(page);

		if (!hdr->count)
			break;
		hash = hash_link(hash, page_to_phys(page));
		for (i = 0; i < hdr->count; i++)
			hash = xxh64((void *)(hdr + 1) + i * set->entry_size,
				     set->entry_size, hash);
		if (!hdr->next)
			break;
	}
	return hash;
}

/**
 * kho_block_reader_init - start reading a set before its first entry
 * @r: the reader
 * @set: a set that was written or restored
 */
void kho_block_reader_init(struct kho_block_reader *r, const struct kho_block_set *set)
{
	r->set = set;
	r->cur = NULL;
	r->idx = 0;
}

static void *entry(const struct kho_block_reader *r)
{
	return (void *)(r->cur + 1) + r->idx * r->set->entry_size;
}

/* The block after @hdr in the chain, or NULL. */
static struct kho_block_header_ser *next_block(const struct kho_block_set *set,
					       struct kho_block_header_ser *hdr)
{
	struct page *page;

	if (!hdr) {
		if (list_empty(&set->blocks))
			return NULL;
		hdr = block_of(list_first_entry(&set->blocks, struct page, lru));
		return hdr->count ? hdr : NULL;
	}
	page = page_of(hdr);
	if (!hdr->next || list_is_last(&page->lru, &set->blocks))
		return NULL;
	return block_of(list_next_entry(page, lru));
}

/**
 * kho_block_reader_next - step to the next entry
 * @r: the reader
 *
 * Return: the entry, or NULL after the last one.
 */
void *kho_block_reader_next(struct kho_block_reader *r)
{
	struct kho_block_header_ser *blk;

	if (r->cur && r->idx + 1 < r->cur->count) {
		r->idx++;
		return entry(r);
	}
	blk = next_block(r->set, r->cur);
	if (!blk || !blk->count) {
		/* Past the end: stay on the last entry for stepping back. */
		if (r->cur)
			r->idx = r->cur->count;
		return NULL;
	}
	r->cur = blk;
	r->idx = 0;
	return entry(r);
}

/**
 * kho_block_reader_prev - step back to the previous entry
 * @r: the reader
 *
 * Return: the entry, or NULL before the first one.
 */
void *kho_block_reader_prev(struct kho_block_reader *r)
{
	struct page *page;

	if (!r->cur)
		return NULL;
	if (r->idx > 0) {
		r->idx--;
		return entry(r);
	}
	page = page_of(r->cur);
	if (list_is_first(&page->lru, &r->set->blocks)) {
		r->cur = NULL;
		r->idx = 0;
		return NULL;
	}
	r->cur = block_of(list_prev_entry(page, lru));
	r->idx = r->cur->count - 1;
	return entry(r);
}

/**
 * kho_block_set_restore - claim a set the previous kernel preserved
 * @set: an empty set initialized with the expected entry size
 * @ser: the set's description from the previous kernel (untrusted)
 *
 * Return: 0; -EINVAL for an incompatible or malformed set (logged), after
 * which every block claimed on the way has been given back.
 */
int kho_block_set_restore(struct kho_block_set *set, const struct kho_block_set_ser *ser)
{
	unsigned long per = kho_block_per_block(set), max_blocks, total = 0, i;
	phys_addr_t phys = ser->head;
	const char *why;
	u64 hash = 0;

	if (WARN_ON_ONCE(set->nr_blocks))
		return -EINVAL;
	why = "incompatible set";
	if (strncmp(ser->compatible, KHO_BLOCK_COMPATIBLE, sizeof(ser->compatible)) ||
	    ser->entry_size != set->entry_size || ser->block_size != PAGE_SIZE)
		goto err;
	why = "empty chain with entries";
	if (!phys && ser->count)
		goto err;
	/* Every block holds at least one entry: no chain is longer than that. */
	max_blocks = ser->count;
	set->incoming = true;
	while (phys) {
		struct kho_block_header_ser *hdr;

		why = "chain longer than its entries (a cycle?)";
		if (set->nr_blocks == max_blocks)
			goto err;
		why = "block is not preserved memory (or seen twice)";
		hdr = ops(set)->restore(phys);
		if (!hdr)
			goto err;
		list_add_tail(&page_of(hdr)->lru, &set->blocks);
		set->nr_blocks++;
		why = "block count out of range";
		if (hdr->count < 1 || hdr->count > per)
			goto err;
		total += hdr->count;
		why = "more entries than the set has";
		if (total > ser->count)
			goto err;
		hash = hash_link(hash, phys);
		for (i = 0; i < hdr->count; i++)
			hash = xxh64((void *)(hdr + 1) + i * set->entry_size,
				     set->entry_size, hash);
		phys = hdr->next;
	}
	why = "fewer entries than the set has";
	if (total != ser->count)
		goto err;
	why = "hash does not match: the chain or its entries were damaged";
	if (hash != ser->hash)
		goto err;
	trace_kho_block_restore(set->entry_size, set->nr_blocks, total, 0);
	return 0;

err:
	trace_kho_block_restore(set->entry_size, set->nr_blocks, ser->count, -EINVAL);
	pr_err("restore of a %s set at %#llx failed: %s\n", KHO_BLOCK_COMPATIBLE,
	       (u64)ser->head, why);
	kho_block_set_destroy(set);
	return -EINVAL;
}
