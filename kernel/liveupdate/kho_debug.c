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

/**
 * kho_debug_corrupt - damage the outgoing handover on purpose (tests only)
 * @what: "compatible" (wrong version), "fdt" (bad header), "tracker" (root
 *	  outside RAM), "node" (a table entry outside RAM), "overlap" (two
 *	  preserved blocks overlap), "scratch" (an area beyond RAM) or
 *	  "small-scratch" (every area cut to 2 MiB, too little to boot in)
 *
 * The handover is unusable in this kernel afterwards: only kexec.
 *
 * Return: 0, -EINVAL for an unknown @what, -ENOENT if the tracker has
 * nothing to damage.
 */
int kho_debug_corrupt(const char *what)
{
	guard(mutex)(&kho_out.lock);
	if (!kho_out.ready)
		return -EOPNOTSUPP;
	pr_warn("corrupting the outgoing handover (%s) for a test\n", what);
	if (sysfs_streq(what, "compatible"))
		return fdt_setprop_string(kho_out.fdt, 0, "compatible", "kho-v0") ? -EINVAL : 0;
	if (sysfs_streq(what, "fdt")) {
		((struct fdt_header *)kho_out.fdt)->magic = cpu_to_fdt32(0xdeadbeef);
		return 0;
	}
	if (sysfs_streq(what, "tracker")) {
		fdt64_t bad = cpu_to_fdt64(1ULL << 50);

		return fdt_setprop_inplace(kho_out.fdt, 0, KHO_FDT_MEMORY_MAP_PROP,
					   &bad, sizeof(bad)) ? -EINVAL : 0;
	}
	if (sysfs_streq(what, "node")) {
		static const struct kho_tracker_walk_ops ops = { .node = kho_corrupt_node };

		return kho_tracker_walk(&kho_out.tracker, &ops, NULL) == 1 ? 0 : -ENOENT;
	}
	if (sysfs_streq(what, "overlap")) {
		static const struct kho_tracker_walk_ops ops = { .key = kho_corrupt_overlap };
		u64 key = 0;

		if (kho_tracker_walk(&kho_out.tracker, &ops, &key) != 1)
			return -ENOENT;
		return kho_tracker_set(&kho_out.tracker, key, GFP_KERNEL);
	}
	if (sysfs_streq(what, "scratch")) {
		kho_out.scratch[0].size = 1ULL << 50;
		return 0;
	}
	if (sysfs_streq(what, "small-scratch")) {
		unsigned int i;

		for (i = 0; i < kho_nr_scratch; i++)
			kho_out.scratch[i].size = min_t(u64, kho_out.scratch[i].size, SZ_2M);
		return 0;
	}
	return -EINVAL;
}
