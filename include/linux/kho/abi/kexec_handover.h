/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */
#ifndef _LINUX_KHO_ABI_KEXEC_HANDOVER_H
#define _LINUX_KHO_ABI_KEXEC_HANDOVER_H

#include <linux/types.h>

/**
 * DOC: KHO handover ABI, "kho-v2"
 *
 * This is the contract between a kernel that hands memory over at kexec
 * and the kernel that receives it. Compatibility is guaranteed only between
 * kernels that use the same compatible string: **any change to the layout
 * described here must bump the version** (``KHO_FDT_COMPATIBLE``). A kernel
 * that finds a version it cannot read logs it and boots cold.
 *
 * Entry point (x86): a ``setup_data`` entry of type ``SETUP_KEXEC_KHO``
 * (10) whose payload is ``struct kho_data`` (asm/setup_data.h):
 * ``{ u64 fdt_addr, fdt_size, scratch_addr, scratch_size; }``, the physical
 * addresses and sizes of the root tree and of the scratch array.
 *
 * Scratch array: &struct kho_scratch_ser entries, page aligned ranges of
 * RAM that hold no preserved memory. The next kernel does all of its early
 * allocations inside them (and inside the first MiB), until every
 * preserved range has been reserved.
 *
 * Root tree: a flattened device tree (FDT) of at most one page::
 *
 *   / {
 *       compatible = "kho-v2";
 *       preserved-memory-map = <u64>;   physical address of the tracker
 *                                        root node, 0 if nothing preserved
 *       tracker-hash = <u64>;           hash of the tracker's nodes
 *       scratch-hash = <u64>;           hash of the scratch array
 *       hash = <u64>;                   hash of this whole tree
 *       <name> {                        one node per subtree (blob)
 *           preserved-data = <u64>;     physical address of the blob
 *           blob-size = <u64>;          its size in bytes
 *       };
 *   };
 *
 * The blob of a subtree is owned by whoever added it; its pages must be
 * preserved memory, which the receiving kernel checks.
 *
 * Hashes (xxh64, seed 0, values big-endian like every FDT cell), taken in
 * the old kernel right before the jump: @tracker-hash chains xxh64 over the
 * tracker's nodes (4096 bytes each) in the order of a depth-first walk
 * from the root, tables before their children, children in index order
 * (h = xxh64(node, 4096, h)); @scratch-hash is xxh64 of the scratch array;
 * @hash is xxh64 of the whole tree (fdt_totalsize() bytes) with the value
 * of @hash itself read as zero. Any damage to the tree, the array or the
 * tracker is seen before anything is reserved.
 *
 * Versions: "kho-v1" had no hashes.
 *
 * Tracker of preserved memory: a radix tree of one-page nodes, handed over
 * in place (no flattening at reboot). A preserved block of 2^order pages
 * starting at pfn (aligned to 2^order) has the key::
 *
 *   key = (pfn >> order) | (1 << (KHO_PFN_BITS - order))
 *
 * so the position of the highest set bit encodes the order. Bits
 * [KHO_LEAF_BITS-1:0] of the key select a bit in a leaf (a bitmap of
 * PAGE_SIZE * 8 bits); each higher group of KHO_TABLE_BITS selects an entry
 * of a table node (PAGE_SIZE / 8 u64 physical addresses of the next level,
 * 0 for none). The root is the table at level KHO_TREE_LEVELS - 1; level 0
 * tables point to leaves. Nothing else is stored in the nodes.
 */

#define KHO_FDT_COMPATIBLE		"kho-v2"
#define KHO_FDT_MEMORY_MAP_PROP		"preserved-memory-map"
#define KHO_FDT_TRACKER_HASH_PROP	"tracker-hash"
#define KHO_FDT_SCRATCH_HASH_PROP	"scratch-hash"
#define KHO_FDT_HASH_PROP		"hash"
#define KHO_FDT_SUB_DATA_PROP		"preserved-data"
#define KHO_FDT_SUB_SIZE_PROP		"blob-size"

/* Key layout of the tracker, for 4 KiB pages (PAGE_SHIFT 12). */
#define KHO_PFN_BITS		40	/* 52-bit physical addresses */
#define KHO_ORDER_MAX		20	/* largest order a block may have */
#define KHO_LEAF_BITS		15	/* 4096 * 8 bits per leaf */
#define KHO_TABLE_BITS		9	/* 512 u64 entries per table */
#define KHO_TREE_LEVELS		3	/* table levels above the leaves */
#define KHO_KEY_BITS		(KHO_PFN_BITS + 1)

/* Upper bounds a receiving kernel enforces before it trusts anything. */
#define KHO_SCRATCH_MAX		64	/* scratch array entries */
#define KHO_FDT_MAX_SIZE	4096	/* the root tree fits one page */

/**
 * struct kho_scratch_ser - one scratch area
 * @addr: physical start, page aligned
 * @size: size in bytes, page aligned, not zero
 */
struct kho_scratch_ser {
	__u64 addr;
	__u64 size;
} __packed;

/**
 * DOC: preserved vmalloc areas
 *
 * A vmalloc area is described by &struct kho_vmalloc, which its owner
 * stores in its own blob. The pages are listed in a chain of one-page
 * chunks (&struct kho_vmalloc_chunk_ser): @next links to the next chunk
 * (0 ends the chain), @nr_phys counts the used entries of @phys, each the
 * physical address of one block of 2^order pages of the area, in order.
 * Chunks and blocks are all preserved memory.
 */

/**
 * struct kho_vmalloc - a preserved vmalloc area
 * @first: physical address of the first chunk, 0 if the area is empty
 * @total_pages: pages in the area
 * @flags: reserved, zero
 * @order: order of every block of the area
 */
struct kho_vmalloc {
	__u64 first;
	__u32 total_pages;
	__u16 flags;
	__u16 order;
} __packed;

/**
 * struct kho_vmalloc_chunk_ser - one page of a vmalloc area's block list
 * @next: physical address of the next chunk, 0 for the last
 * @nr_phys: number of valid entries in @phys
 * @phys: physical addresses of the area's blocks, in order
 */
struct kho_vmalloc_chunk_ser {
	__u64 next;
	__u64 nr_phys;
	__u64 phys[];
} __packed;

#define KHO_VMALLOC_CHUNK_ENTRIES \
	((4096 - sizeof(struct kho_vmalloc_chunk_ser)) / sizeof(__u64))

#endif /* _LINUX_KHO_ABI_KEXEC_HANDOVER_H */
