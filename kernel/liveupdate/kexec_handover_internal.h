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
 * @key: optional; sees every recorded key
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

/**
 * struct kho_out_state - the handover this kernel prepares for the next one
 * @lock: protects everything below
 * @tracker: what is preserved
 * @fdt: the root tree, one page
 * @scratch: the scratch array passed on, one page
 * @blocks: preserved blocks per order
 * @synced_root: the tracker root as written in the root tree
 * @ready: set up (KHO is on)
 */
struct kho_out_state {
	struct mutex lock;	/* serializes every field below */
	struct kho_tracker tracker;
	void *fdt;
	struct kho_scratch_ser *scratch;
	unsigned long blocks[KHO_ORDER_MAX + 1];
	phys_addr_t synced_root;
	bool ready;
};

/**
 * struct kho_in_state - the handover this kernel received
 * @lock: protects @tracker and @stats
 * @active: a handover was accepted (and not released)
 * @fdt_phys: physical address of its root tree
 * @fdt: the root tree in the direct map, once mapped
 * @tracker: what is still preserved (restoring clears it)
 * @tracker_hash: the tracker's hash, as the root tree says
 * @stats: what arrived and what became of it
 */
struct kho_in_state {
	struct mutex lock;	/* serializes every field below */
	bool active;
	phys_addr_t fdt_phys;
	void *fdt;
	struct kho_tracker tracker;
	u64 tracker_hash;
	struct kho_in_stats stats;
};

/* kexec_handover.c: KHO's state, shared with the boot path and debugfs. */
extern bool kho_enable;
extern struct kho_scratch kho_scratch[KHO_SCRATCH_MAX];
extern unsigned int kho_nr_scratch;
extern struct kho_out_state kho_out;
extern struct kho_in_state kho_in;
bool kho_in_scratch(phys_addr_t addr, phys_addr_t size);

static inline bool kho_ranges_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

/**
 * struct kho_check_env - what a handover is checked against (kho_check.c)
 * @ram: is [addr, addr + size) RAM of this machine
 * @arg: passed to @ram
 * @kernel_start: physical start of this kernel's image
 * @kernel_size: its size
 * @scratch: the scratch areas received (already checked)
 * @nr_scratch: how many
 * @limit: most tracker nodes, and most blocks, a valid tracker can have
 * @tracker_hash: the tracker's hash, as the root tree says
 */
struct kho_check_env {
	bool (*ram)(u64 addr, u64 size, void *arg);
	void *arg;
	u64 kernel_start;
	u64 kernel_size;
	const struct kho_scratch *scratch;
	unsigned int nr_scratch;
	unsigned long limit;
	u64 tracker_hash;
};

/**
 * struct kho_check_root - what the root tree of a handover says
 * @tracker_root: physical address of the tracker's root, 0 for none
 * @tracker_hash: hash of the tracker's nodes
 * @scratch_hash: hash of the scratch array
 */
struct kho_check_root {
	u64 tracker_root;
	u64 tracker_hash;
	u64 scratch_hash;
};

/**
 * struct kho_check_result - what a tracker check found
 * @nodes: tracker nodes
 * @keys: preserved blocks
 * @pages: pages in them
 * @blocks: blocks per order
 * @what: which part is wrong ("tracker node", "preserved block", ...)
 * @why: what is wrong with it, NULL if nothing
 * @bad: the node address or key that is wrong
 */
struct kho_check_result {
	unsigned long nodes;
	unsigned long keys;
	unsigned long pages;
	unsigned long blocks[KHO_ORDER_MAX + 1];
	const char *what;
	const char *why;
	u64 bad;
};

const char *kho_check_root(const void *fdt, u64 len, struct kho_check_root *root);
const char *kho_check_scratch(const struct kho_scratch_ser *ser, u64 len, u64 hash,
			      const struct kho_check_env *env, struct kho_scratch *out,
			      unsigned int *nr);
u64 kho_tracker_hash(const struct kho_tracker *t);
u64 kho_fdt_hash(const void *fdt, const void *value);
const char *kho_check_range(const struct kho_check_env *env, u64 addr, u64 size);
bool kho_check_within_scratch(const struct kho_check_env *env, u64 addr, u64 size);
int kho_check_tracker(u64 root, const struct kho_check_env *env, struct kho_check_result *res);

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
/* The damages kho/out/corrupt applies (kho_debug.c). */
enum kho_corrupt {
	KHO_CORRUPT_COMPATIBLE,
	KHO_CORRUPT_FDT,
	KHO_CORRUPT_TRACKER,
	KHO_CORRUPT_NODE,
	KHO_CORRUPT_OVERLAP,
	KHO_CORRUPT_SCRATCH,
	KHO_CORRUPT_SMALL_SCRATCH,
	KHO_CORRUPT_NR
};

extern const char *const kho_corrupt_names[KHO_CORRUPT_NR];
int kho_debug_corrupt(enum kho_corrupt what);
#endif

#endif /* _KERNEL_LIVEUPDATE_KEXEC_HANDOVER_INTERNAL_H */
