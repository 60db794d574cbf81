// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: KHO handover validation
 *
 * A kernel that receives a handover reads memory another kernel left
 * behind: every part of it is checked here before anything is done with
 * it. The root tree (a valid FDT of the expected version with a tracker
 * root), the scratch array (page aligned areas of RAM that do not overlap)
 * and, node by node and block by block, the tracker of preserved memory
 * (RAM, page aligned, not over this kernel's image, not in scratch, keys of
 * valid orders, a bounded number of both). A node is checked before it is
 * read, so a tracker that points anywhere else is caught before it is
 * followed.
 *
 * These checks only read and say what is wrong; the boot path
 * (kho_boot.c) acts on them. What counts as RAM and where this kernel lies
 * come from the caller (&struct kho_check_env): memblock at boot, a fake
 * physical memory when the same file is built on the host and fed
 * arbitrary handovers by the fuzz targets.
 */

#include <linux/errno.h>
#include <linux/io.h>
#include <linux/libfdt.h>
#include <linux/mm.h>
#include <linux/pfn.h>
#include <linux/string.h>
#include <linux/xxhash.h>

#include "kexec_handover_internal.h"

/**
 * kho_fdt_hash - the hash of a root tree (abi/kexec_handover.h)
 * @fdt: the tree
 * @value: where the value of its hash property lies in it (read as 0)
 *
 * Return: xxh64 of the fdt_totalsize() bytes of the tree.
 */
u64 kho_fdt_hash(const void *fdt, const void *value)
{
	size_t total = fdt_totalsize(fdt), off = value - fdt;
	static const u64 zero;
	struct xxh64_state st;

	xxh64_reset(&st, 0);
	xxh64_update(&st, fdt, off);
	xxh64_update(&st, &zero, sizeof(zero));
	xxh64_update(&st, value + sizeof(zero), total - off - sizeof(zero));
	return xxh64_digest(&st);
}

/* A u64 property of the root node; false if it is missing or malformed. */
static bool kho_root_u64(const void *fdt, const char *name, u64 *val, const void **where)
{
	const void *p;
	fdt64_t v;
	int len;

	p = fdt_getprop(fdt, 0, name, &len);
	if (!p || len != sizeof(v))
		return false;
	/* Properties are only 4-byte aligned. */
	memcpy(&v, p, sizeof(v));
	*val = fdt64_to_cpu(v);
	if (where)
		*where = p;
	return true;
}

/**
 * kho_check_root - check the root tree of a handover
 * @fdt: the tree, mapped
 * @len: the size of its buffer
 * @root: what it says about the tracker and the scratch array
 *
 * Return: NULL, or what is wrong.
 */
const char *kho_check_root(const void *fdt, u64 len, struct kho_check_root *root)
{
	const void *where;
	u64 hash;

	if (len < sizeof(struct fdt_header) || len > KHO_FDT_MAX_SIZE)
		return "bad root tree size";
	if (fdt_check_header(fdt) || fdt_totalsize(fdt) > len)
		return "root tree is not a valid FDT";
	if (fdt_node_check_compatible(fdt, 0, KHO_FDT_COMPATIBLE))
		return "incompatible root tree (expected " KHO_FDT_COMPATIBLE ")";
	if (!kho_root_u64(fdt, KHO_FDT_HASH_PROP, &hash, &where) ||
	    hash != kho_fdt_hash(fdt, where))
		return "damaged root tree (hash does not match)";
	if (!kho_root_u64(fdt, KHO_FDT_MEMORY_MAP_PROP, &root->tracker_root, NULL) ||
	    !kho_root_u64(fdt, KHO_FDT_TRACKER_HASH_PROP, &root->tracker_hash, NULL) ||
	    !kho_root_u64(fdt, KHO_FDT_SCRATCH_HASH_PROP, &root->scratch_hash, NULL))
		return "root tree lacks the tracker or its hashes";
	return NULL;
}

/**
 * kho_check_scratch - check the scratch array of a handover
 * @ser: the array, mapped
 * @len: its size in bytes
 * @hash: its hash, as the root tree says
 * @env: what it is checked against (@env->scratch is not used)
 * @out: the areas, KHO_SCRATCH_MAX entries
 * @nr: how many there are
 *
 * Return: NULL, or what is wrong (then @out and @nr mean nothing).
 */
const char *kho_check_scratch(const struct kho_scratch_ser *ser, u64 len, u64 hash,
			      const struct kho_check_env *env, struct kho_scratch *out,
			      unsigned int *nr)
{
	unsigned int i, j, n;

	if (!len || len % sizeof(*ser) || len > KHO_SCRATCH_MAX * sizeof(*ser))
		return "bad scratch array size";
	if (xxh64(ser, len, 0) != hash)
		return "damaged scratch array (hash does not match)";
	n = len / sizeof(*ser);
	for (i = 0; i < n; i++) {
		u64 a = ser[i].addr, s = ser[i].size;

		if (!PAGE_ALIGNED(a) || !PAGE_ALIGNED(s) || !s || a + s < a ||
		    !env->ram(a, s, env->arg))
			return "scratch area outside RAM, unaligned or overlapping";
		for (j = 0; j < i; j++)
			if (kho_ranges_overlap(a, s, out[j].addr, out[j].size))
				return "scratch area outside RAM, unaligned or overlapping";
		out[i].addr = a;
		out[i].size = s;
	}
	*nr = n;
	return NULL;
}

/**
 * kho_check_range - can a range hold preserved data
 * @env: what it is checked against
 * @addr: physical start
 * @size: size in bytes
 *
 * Return: NULL for page aligned RAM that is not over this kernel and not
 * in scratch, or which of those the range is not.
 */
const char *kho_check_range(const struct kho_check_env *env, u64 addr, u64 size)
{
	unsigned int i;

	if (!PAGE_ALIGNED(addr) || !size || addr + size <= addr)
		return "unaligned or empty";
	if (!env->ram(addr, size, env->arg))
		return "outside RAM";
	if (kho_ranges_overlap(addr, size, env->kernel_start, env->kernel_size))
		return "over this kernel";
	for (i = 0; i < env->nr_scratch; i++)
		if (kho_ranges_overlap(addr, size, env->scratch[i].addr, env->scratch[i].size))
			return "in scratch";
	return NULL;
}

/**
 * kho_check_within_scratch - does a range lie inside one scratch area
 * @env: what it is checked against
 * @addr: physical start
 * @size: size in bytes
 *
 * Kexec places the next kernel inside scratch; a kernel found elsewhere was
 * moved after that (by physical KASLR, say) and may have been decompressed
 * over preserved memory, beyond what any check of its image can see.
 *
 * Return: true if [@addr, @addr + @size) is inside one scratch area.
 */
bool kho_check_within_scratch(const struct kho_check_env *env, u64 addr, u64 size)
{
	unsigned int i;

	for (i = 0; i < env->nr_scratch; i++) {
		const struct kho_scratch *s = &env->scratch[i];

		if (addr >= s->addr && size <= s->size && addr - s->addr <= s->size - size)
			return true;
	}
	return false;
}

/*
 * @leaf, @leaf_ok: the leaf the last key was in, and whether all the memory
 * its keys can name passed kho_check_range(): then every block in it does,
 * and its keys need no check of their own (a leaf of order-0 keys covers
 * 128 MiB: most leaves pass whole).
 */
struct kho_check_walk {
	const struct kho_check_env *env;
	struct kho_check_result *res;
	u64 hash;
	u64 leaf;
	bool leaf_ok;
};

/* Can every block a leaf of keys names, whatever its bits, hold preserved data? */
static bool kho_check_leaf(const struct kho_check_env *env, u64 leaf)
{
	unsigned long pfn;
	unsigned int order;

	if (!kho_key_decode(leaf << KHO_LEAF_BITS, &pfn, &order))
		return false;
	return !kho_check_range(env, PFN_PHYS((u64)pfn),
				(u64)PAGE_SIZE << (order + KHO_LEAF_BITS));
}

static int kho_check_fail(struct kho_check_result *res, const char *what, const char *why,
			  u64 bad)
{
	res->what = what;
	res->why = why;
	res->bad = bad;
	return -EINVAL;
}

static int kho_check_node(phys_addr_t phys, int level, void *arg)
{
	struct kho_check_walk *w = arg;
	struct kho_check_result *res = w->res;
	const char *why;

	if (++res->nodes > w->env->limit)
		return kho_check_fail(res, "tracker node", "one too many", phys);
	why = kho_check_range(w->env, phys, PAGE_SIZE);
	if (why)
		return kho_check_fail(res, "tracker node", why, phys);
	w->hash = xxh64(phys_to_virt(phys), PAGE_SIZE, w->hash);
	return 0;
}

static int kho_check_key(u64 key, void *arg)
{
	struct kho_check_walk *w = arg;
	struct kho_check_result *res = w->res;
	unsigned long pfn;
	unsigned int order;
	const char *why;

	if (++res->keys > w->env->limit)
		return kho_check_fail(res, "preserved block", "one too many", key);
	if (!kho_key_decode(key, &pfn, &order))
		return kho_check_fail(res, "preserved block", "key not valid", key);
	if (key >> KHO_LEAF_BITS != w->leaf) {
		w->leaf = key >> KHO_LEAF_BITS;
		w->leaf_ok = kho_check_leaf(w->env, w->leaf);
	}
	why = w->leaf_ok ? NULL : kho_check_range(w->env, PFN_PHYS(pfn), PAGE_SIZE << order);
	if (why)
		return kho_check_fail(res, "preserved block", why, key);
	res->blocks[order]++;
	res->pages += 1UL << order;
	return 0;
}

static const struct kho_tracker_walk_ops kho_check_ops = {
	.node = kho_check_node,
	.key = kho_check_key,
};

/**
 * kho_check_tracker - check every node and block of an incoming tracker
 * @root: physical address of its root table, 0 for an empty tracker
 * @env: what it is checked against
 * @res: what was found; @res->why says what is wrong
 *
 * Every node is checked before it is read, and the nodes' hash must match
 * the root tree's. Overlaps between blocks are not seen here (they need
 * memory to find): the boot path finds them when it reserves the blocks.
 *
 * Return: 0 or -EINVAL.
 */
int kho_check_tracker(u64 root, const struct kho_check_env *env, struct kho_check_result *res)
{
	struct kho_tracker t = { .root = root };
	struct kho_check_walk w = { .env = env, .res = res, .leaf = U64_MAX };
	const char *why;

	memset(res, 0, sizeof(*res));
	why = root ? kho_check_range(env, root, PAGE_SIZE) : NULL;
	if (why)
		return kho_check_fail(res, "tracker root", why, root);
	if (kho_tracker_walk(&t, &kho_check_ops, &w))
		return -EINVAL;
	if (w.hash != env->tracker_hash)
		return kho_check_fail(res, "tracker", "damaged (hash does not match)", root);
	return 0;
}
