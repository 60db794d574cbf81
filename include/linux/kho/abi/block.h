/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */
#ifndef _LINUX_KHO_ABI_BLOCK_H
#define _LINUX_KHO_ABI_BLOCK_H

#include <linux/types.h>

/**
 * DOC: kho_block ABI, "kho-block-v2"
 *
 * A kho_block set is an array of fixed-size entries of unknown length kept
 * in a chain of one-page blocks of preserved memory. **Any change to this
 * layout bumps the version in KHO_BLOCK_COMPATIBLE**; a receiving kernel
 * refuses a set whose compatible, entry size or block size it does not
 * expect.
 *
 * Each block starts with &struct kho_block_header_ser followed by @count
 * entries of the set's entry size. @next is the physical address of the
 * next block (0 ends the chain). In a non-empty chain every block holds
 * 1..capacity entries, capacity = (block_size - 16) / entry_size.
 *
 * The owner keeps the set's description, &struct kho_block_set_ser, in its
 * own serialized state. An empty set has @head 0 and @count 0.
 *
 * @hash makes any damage to the chain visible: it is a chained xxh64
 * (seed 0): for every block in chain order, h = xxh64(physical address of
 * the block as a little-endian u64, 8, h), then for every entry of that
 * block, h = xxh64(entry, entry_size, h). It covers the head, every link,
 * every count (through what is hashed) and every entry.
 *
 * Versions: "kho-block-v1" had no @hash.
 *
 * There is no limit on the length of a chain, on either side: whatever a
 * kernel can write, the next one can read. A receiving kernel bounds the
 * walk by @count (every block holds at least one entry) and by the blocks
 * being preserved memory, each of which can be claimed only once.
 */

#define KHO_BLOCK_COMPATIBLE	"kho-block-v2"

/**
 * struct kho_block_header_ser - start of every block
 * @next: physical address of the next block, 0 for the last
 * @count: entries used in this block
 */
struct kho_block_header_ser {
	__u64 next;
	__u64 count;
} __packed;

/**
 * struct kho_block_set_ser - description of a set
 * @compatible: KHO_BLOCK_COMPATIBLE, NUL-padded
 * @head: physical address of the first block, 0 if the set is empty
 * @count: entries in the whole chain
 * @entry_size: bytes per entry
 * @block_size: bytes per block (PAGE_SIZE of the writer)
 * @hash: chained xxh64 of the chain (see above)
 */
struct kho_block_set_ser {
	char compatible[16];
	__u64 head;
	__u64 count;
	__u32 entry_size;
	__u32 block_size;
	__u64 hash;
} __packed;

#endif /* _LINUX_KHO_ABI_BLOCK_H */
