/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * What the files of kernel/liveupdate/ share about KHO.
 */
#ifndef _KERNEL_LIVEUPDATE_KEXEC_HANDOVER_INTERNAL_H
#define _KERNEL_LIVEUPDATE_KEXEC_HANDOVER_INTERNAL_H

#include <linux/kexec_handover.h>
#include <linux/mutex.h>
#include <linux/types.h>

/**
 * struct kho_tracker - radix tree of preserved blocks (see kho_tracker.c)
 * @root: physical address of the root table, 0 when empty
 * @nr_nodes: table and leaf pages in use (the metadata cost)
 * @reserved_nodes: nodes came from memblock (an incoming tree)
 */
struct kho_tracker {
	phys_addr_t root;
	unsigned long nr_nodes;
	bool reserved_nodes;
};

/**
 * struct kho_tracker_walk_ops - callbacks of kho_tracker_walk()
 * @node: optional; sees every node (physical address, level; 0 is a leaf)
 *	  before it is read
 * @key: sees every recorded key
 */
struct kho_tracker_walk_ops {
	int (*node)(phys_addr_t phys, int level, void *arg);
	int (*key)(u64 key, void *arg);
};

u64 kho_key_encode(unsigned long pfn, unsigned int order);
bool kho_key_decode(u64 key, unsigned long *pfn, unsigned int *order);
int kho_tracker_set(struct kho_tracker *t, u64 key, gfp_t gfp);
int kho_tracker_clear(struct kho_tracker *t, u64 key);
bool kho_tracker_test(const struct kho_tracker *t, u64 key);
int kho_tracker_walk(const struct kho_tracker *t, const struct kho_tracker_walk_ops *ops,
		     void *arg);
void kho_tracker_destroy(struct kho_tracker *t);

/**
 * struct kho_scratch - a scratch area
 * @addr: physical start
 * @size: size in bytes
 */
struct kho_scratch {
	phys_addr_t addr;
	phys_addr_t size;
};

/**
 * struct kho_in_stats - what arrived, and what is still waiting for its owner
 * @blocks: preserved blocks in the incoming tracker, per order
 * @pages: preserved pages in the incoming tracker
 * @restored_pages: pages restored by their owners so far
 * @released_pages: pages given back without an owner (kho/in/release)
 */
struct kho_in_stats {
	unsigned long blocks[KHO_ORDER_MAX + 1];
	unsigned long pages;
	unsigned long restored_pages;
	unsigned long released_pages;
};

/* Shared with the debugfs part. */
struct kho_debugfs_view {
	const void *fdt;
	const struct kho_scratch *scratch;
	unsigned int nr_scratch;
};

#ifdef CONFIG_KEXEC_HANDOVER_DEBUGFS
int kho_debugfs_init(void);
void kho_debugfs_out(const void *fdt, const struct kho_scratch *scratch,
		     unsigned int nr_scratch);
void kho_debugfs_in(const void *fdt, const struct kho_scratch *scratch,
		    unsigned int nr_scratch);
#else
static inline int kho_debugfs_init(void) { return 0; }
static inline void kho_debugfs_out(const void *fdt, const struct kho_scratch *scratch,
				   unsigned int nr_scratch) { }
static inline void kho_debugfs_in(const void *fdt, const struct kho_scratch *scratch,
				  unsigned int nr_scratch) { }
#endif

/* Statistics for debugfs and the tests (kexec_handover.c). */
void kho_out_stats(unsigned long *blocks, unsigned long *nr_nodes);
void kho_in_stats_get(struct kho_in_stats *stats);
unsigned long kho_release_unrestored(void);
#ifdef CONFIG_KEXEC_HANDOVER_DEBUG
int kho_debug_corrupt(const char *what);
#endif

#endif /* _KERNEL_LIVEUPDATE_KEXEC_HANDOVER_INTERNAL_H */
