/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * kho_block: arrays of unknown length, serialized as chains of preserved
 * one-page blocks (layout: include/linux/kho/abi/block.h).
 */
#ifndef _LINUX_KHO_BLOCK_H
#define _LINUX_KHO_BLOCK_H

#include <linux/list.h>
#include <linux/types.h>
#include <linux/kho/abi/block.h>

/**
 * struct kho_block_mem_ops - where blocks come from and go to
 * @alloc: a zeroed, preserved page (default: kho_alloc_preserve())
 * @free: give back an outgoing block (default: kho_unpreserve_free())
 * @restore: claim an incoming block by physical address, NULL if it is not
 *	     preserved memory (default: kho_restore_folio())
 * @put: give back an incoming block (default: folio_put())
 *
 * Only tests replace them.
 */
struct kho_block_mem_ops {
	void *(*alloc)(void);
	void (*free)(void *block);
	void *(*restore)(phys_addr_t phys);
	void (*put)(void *block);
};

/**
 * struct kho_block_set - a set of fixed-size entries in preserved blocks
 * @entry_size: bytes per entry
 * @blocks: the blocks, in chain order (linked through their page's lru)
 * @nr_blocks: number of blocks
 * @incoming: the blocks were restored from the previous kernel
 * @ops: memory operations, NULL for the defaults
 *
 * Outgoing sets grow and shrink ahead of serialization (as the objects they
 * describe come and go), so that writing them at reboot never allocates.
 * The owner serializes access.
 */
struct kho_block_set {
	size_t entry_size;
	struct list_head blocks;
	unsigned long nr_blocks;
	bool incoming;
	const struct kho_block_mem_ops *ops;
};

#define KHO_BLOCK_SET_INIT(name, esize) {			\
	.entry_size = (esize),					\
	.blocks = LIST_HEAD_INIT((name).blocks),		\
}

/**
 * struct kho_block_writer - writes a set's entries, committing as it goes
 * @set: the set
 * @ser: the set's description, kept current (count, hash) after every entry
 * @cur: block being filled, NULL before the first entry
 */
struct kho_block_writer {
	struct kho_block_set *set;
	struct kho_block_set_ser *ser;
	struct kho_block_header_ser *cur;
};

/**
 * struct kho_block_reader - walks a set's entries forwards and backwards
 * @set: the set
 * @cur: current block, NULL before the first entry
 * @idx: index of the current entry in @cur
 */
struct kho_block_reader {
	const struct kho_block_set *set;
	struct kho_block_header_ser *cur;
	unsigned long idx;
};

void kho_block_set_init(struct kho_block_set *set, size_t entry_size);
unsigned long kho_block_per_block(const struct kho_block_set *set);
unsigned long kho_block_capacity(const struct kho_block_set *set);
int kho_block_set_grow(struct kho_block_set *set, unsigned long nr_entries);
void kho_block_set_shrink(struct kho_block_set *set, unsigned long nr_entries);
void kho_block_set_destroy(struct kho_block_set *set);
int kho_block_set_restore(struct kho_block_set *set, const struct kho_block_set_ser *ser);
u64 kho_block_set_hash(const struct kho_block_set *set);

void kho_block_writer_init(struct kho_block_writer *w, struct kho_block_set *set,
			   struct kho_block_set_ser *ser);
int kho_block_writer_add(struct kho_block_writer *w, const void *entry);

void kho_block_reader_init(struct kho_block_reader *r, const struct kho_block_set *set);
void *kho_block_reader_next(struct kho_block_reader *r);
void *kho_block_reader_prev(struct kho_block_reader *r);

#endif /* _LINUX_KHO_BLOCK_H */
