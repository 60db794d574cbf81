// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: KHO fault injection (tests only)
 *
 * ``KEXEC_HANDOVER_DEBUG`` adds debugfs ``kho/out/corrupt``, which damages
 * the outgoing handover on purpose so that tests can check that the next
 * kernel rejects it and boots cold. Never in a production kernel.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/cleanup.h>
#include <linux/io.h>
#include <linux/libfdt.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include "kexec_handover_internal.h"

/* Point the first table entry that leads to a leaf outside RAM. */
static int kho_corrupt_node(phys_addr_t phys, int level, void *arg)
{
	phys_addr_t *table = phys_to_virt(phys);
	unsigned int i;

	if (level != 1)
		return 0;
	for (i = 0; i < PAGE_SIZE / sizeof(*table); i++)
		if (table[i]) {
			table[i] = 1ULL << 50;
			return 1;
		}
	return 0;
}

/* Record block 0 of the first block of order > 0 too: an overlap. */
static int kho_corrupt_overlap(u64 key, void *arg)
{
	unsigned long pfn;
	unsigned int order;

	if (!kho_key_decode(key, &pfn, &order) || !order)
		return 0;
	*(u64 *)arg = kho_key_encode(pfn, 0);
	return 1;
}

const char *const kho_corrupt_names[KHO_CORRUPT_NR] = {
	[KHO_CORRUPT_COMPATIBLE] = "compatible",
	[KHO_CORRUPT_FDT] = "fdt",
	[KHO_CORRUPT_TRACKER] = "tracker",
	[KHO_CORRUPT_NODE] = "node",
	[KHO_CORRUPT_OVERLAP] = "overlap",
	[KHO_CORRUPT_SCRATCH] = "scratch",
	[KHO_CORRUPT_SMALL_SCRATCH] = "small-scratch",
};

/**
 * kho_debug_corrupt - damage the outgoing handover on purpose (tests only)
 * @what: %KHO_CORRUPT_COMPATIBLE (wrong version), %KHO_CORRUPT_FDT (bad
 *	  header), %KHO_CORRUPT_TRACKER (root outside RAM), %KHO_CORRUPT_NODE
 *	  (a table entry outside RAM), %KHO_CORRUPT_OVERLAP (two preserved
 *	  blocks overlap), %KHO_CORRUPT_SCRATCH (an area beyond RAM) or
 *	  %KHO_CORRUPT_SMALL_SCRATCH (every area cut to 2 MiB, too little to
 *	  boot in)
 *
 * The handover is unusable in this kernel afterwards: only kexec.
 *
 * Return: 0, -EOPNOTSUPP without KHO, -ENOENT if the tracker has nothing
 * to damage, -EINVAL if the tree cannot take the change.
 */
int kho_debug_corrupt(enum kho_corrupt what)
{
	static const struct kho_tracker_walk_ops node_ops = { .node = kho_corrupt_node };
	static const struct kho_tracker_walk_ops overlap_ops = { .key = kho_corrupt_overlap };
	fdt64_t bad = cpu_to_fdt64(1ULL << 50);
	unsigned int i;
	u64 key = 0;

	guard(mutex)(&kho_out.lock);
	if (!kho_out.ready)
		return -EOPNOTSUPP;
	pr_warn("corrupting the outgoing handover (%s) for a test\n", kho_corrupt_names[what]);
	switch (what) {
	case KHO_CORRUPT_COMPATIBLE:
		return fdt_setprop_string(kho_out.fdt, 0, "compatible", "kho-v0") ? -EINVAL : 0;
	case KHO_CORRUPT_FDT:
		((struct fdt_header *)kho_out.fdt)->magic = cpu_to_fdt32(0xdeadbeef);
		return 0;
	case KHO_CORRUPT_TRACKER:
		return fdt_setprop_inplace(kho_out.fdt, 0, KHO_FDT_MEMORY_MAP_PROP,
					   &bad, sizeof(bad)) ? -EINVAL : 0;
	case KHO_CORRUPT_NODE:
		return kho_tracker_walk(&kho_out.tracker, &node_ops, NULL) == 1 ? 0 : -ENOENT;
	case KHO_CORRUPT_OVERLAP:
		if (kho_tracker_walk(&kho_out.tracker, &overlap_ops, &key) != 1)
			return -ENOENT;
		return kho_tracker_set(&kho_out.tracker, key, GFP_KERNEL);
	case KHO_CORRUPT_SCRATCH:
		kho_out.scratch[0].size = 1ULL << 50;
		return 0;
	case KHO_CORRUPT_SMALL_SCRATCH:
		for (i = 0; i < kho_nr_scratch; i++)
			kho_out.scratch[i].size = min_t(u64, kho_out.scratch[i].size, SZ_2M);
		return 0;
	default:
		return -EINVAL;
	}
}
