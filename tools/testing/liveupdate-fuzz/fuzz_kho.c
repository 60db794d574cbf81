// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * Fuzz target: the KHO handover checks of kernel/liveupdate/kho_check.c,
 * in the order the boot path (kho_boot.c) runs them: kho_check_root() on
 * the root tree, kho_check_scratch() on the scratch array, the tracker
 * root, then kho_check_tracker() on the tracker of preserved memory
 * (kho_tracker.c's walk), against this machine's RAM, kernel image and the
 * scratch just accepted.
 *
 * Input: "kho-fdt" and "kho-scratch" regions, "kho-tracker" pages. What
 * must hold:
 * - no tracker node is read before it was checked: every read is of a
 *   page of RAM, not over the kernel, not in scratch (fm_read_ok);
 * - accepted scratch: as many areas as the array holds, each page aligned,
 *   not empty, in RAM, none overlapping another;
 * - accepted tracker: a walk of it (the harness's own checks) finds every
 *   node and every block valid, with the counts the check returned.
 */

#include <linux/libfdt.h>
#include <linux/xxhash.h>

#include "../../../kernel/liveupdate/kexec_handover_internal.h"
#include "fuzz.h"

static struct fz_input in;
static struct kho_check_env env;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_init_quiet();
	return 0;
}

static bool overlaps(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

/* The harness's own idea of memory a handover may keep data in. */
static bool preservable(u64 addr, u64 size)
{
	if (!PAGE_ALIGNED(addr) || !size || addr + size < addr || !fm_ram(addr, size, NULL) ||
	    overlaps(addr, size, fm_kernel_start, fm_kernel_size))
		return false;
	for (unsigned int i = 0; i < env.nr_scratch; i++)
		if (overlaps(addr, size, env.scratch[i].addr, env.scratch[i].size))
			return false;
	return true;
}

static bool node_readable(phys_addr_t phys)
{
	return preservable(phys, PAGE_SIZE);
}

/* Hash of the tracker as a writer takes it, for the fixup: a tree, not a DAG. */
struct fix_walk {
	unsigned long nodes;
	unsigned long seen[FM_SLOTS / BITS_PER_LONG];
	u64 hash;
};

static int fix_node(phys_addr_t phys, int level, void *arg)
{
	struct fix_walk *w = arg;
	struct page *pg;

	if (!PAGE_ALIGNED(phys) || !fm_ram(phys, PAGE_SIZE, NULL) || ++w->nodes > env.limit)
		return -EINVAL;
	pg = fm_page(phys);
	if (pg && __test_and_set_bit(fm_slot(pg), w->seen))
		return -EINVAL;
	w->hash = xxh64(phys_to_virt(phys), PAGE_SIZE, w->hash);
	return 0;
}

static void fdt_set_u64(void *fdt, const char *name, u64 val)
{
	int len;
	void *p = fdt_getprop_w(fdt, 0, name, &len);
	fdt64_t v = cpu_to_fdt64(val);

	if (p && len == sizeof(v))
		memcpy(p, &v, sizeof(v));
}

/* Make the hashes of the root tree what the writer of the rest took. */
static void fix_root(void *fdt, size_t len, const void *scratch, size_t slen)
{
	static const struct kho_tracker_walk_ops ops = { .node = fix_node };
	static struct fix_walk w;
	struct kho_tracker t = {};
	const void *p;
	fdt64_t v;
	int plen;

	if (len < sizeof(struct fdt_header) || fdt_check_header(fdt) || fdt_totalsize(fdt) > len)
		return;
	memset(&w, 0, sizeof(w));
	fdt_set_u64(fdt, KHO_FDT_SCRATCH_HASH_PROP, xxh64(scratch, slen, 0));
	p = fdt_getprop(fdt, 0, KHO_FDT_MEMORY_MAP_PROP, &plen);
	if (p && plen == sizeof(v)) {
		memcpy(&v, p, sizeof(v));
		t.root = fdt64_to_cpu(v);
		kho_tracker_walk(&t, &ops, &w);
		fdt_set_u64(fdt, KHO_FDT_TRACKER_HASH_PROP, w.hash);
	}
	p = fdt_getprop(fdt, 0, KHO_FDT_HASH_PROP, &plen);
	if (p && plen == sizeof(v))
		fdt_set_u64(fdt, KHO_FDT_HASH_PROP, kho_fdt_hash(fdt, p));
}

static void check_scratch(const struct kho_scratch *s, unsigned int nr, size_t len)
{
	if (nr != len / sizeof(struct kho_scratch_ser))
		fz_bug("scratch accepted with %u areas from %zu bytes", nr, len);
	for (unsigned int i = 0; i < nr; i++) {
		if (!PAGE_ALIGNED(s[i].addr) || !PAGE_ALIGNED(s[i].size) || !s[i].size ||
		    !fm_ram(s[i].addr, s[i].size, NULL))
			fz_bug("scratch area %u (%#llx, %#llx) accepted", i, s[i].addr, s[i].size);
		for (unsigned int j = 0; j < i; j++)
			if (overlaps(s[i].addr, s[i].size, s[j].addr, s[j].size))
				fz_bug("scratch areas %u and %u overlap", j, i);
	}
}

/*
 * kho_populate() also rejects a kernel outside scratch; the harness only
 * checks that answer (gating on it would leave the tracker unreached).
 */
static void check_within(const struct kho_check_env *e)
{
	unsigned __int128 end = (unsigned __int128)e->kernel_start + e->kernel_size;
	bool want = false;

	for (unsigned int i = 0; i < e->nr_scratch; i++)
		if (e->kernel_start >= e->scratch[i].addr &&
		    end <= (unsigned __int128)e->scratch[i].addr + e->scratch[i].size)
			want = true;
	if (kho_check_within_scratch(e, e->kernel_start, e->kernel_size) != want)
		fz_bug("kernel %#llx+%#llx: within scratch says %d", e->kernel_start,
		       e->kernel_size, !want);
}

/* The harness's walk of an accepted tracker. */
struct own_walk {
	unsigned long nodes, keys, pages;
};

static int own_node(phys_addr_t phys, int level, void *arg)
{
	struct own_walk *w = arg;

	if (!node_readable(phys))
		fz_bug("accepted tracker has node %#llx at level %d", phys, level);
	w->nodes++;
	return 0;
}

static int own_key(u64 key, void *arg)
{
	struct own_walk *w = arg;
	int high = 63 - __builtin_clzll(key | 1);
	int order = KHO_PFN_BITS - high;
	u64 pfn;

	if (!key || key >> KHO_KEY_BITS || order < 0 || order > KHO_ORDER_MAX)
		fz_bug("accepted tracker has key %#llx", key);
	pfn = (key & ~(1ULL << high)) << order;
	if (!preservable(PFN_PHYS(pfn), PAGE_SIZE << order))
		fz_bug("accepted tracker preserves pfn %#llx order %d", pfn, order);
	w->keys++;
	w->pages += 1UL << order;
	return 0;
}

static void check_tracker(u64 root, const struct kho_check_result *res)
{
	static const struct kho_tracker_walk_ops ops = { .node = own_node, .key = own_key };
	struct kho_tracker t = { .root = root };
	struct own_walk w = {};
	unsigned long pages = 0;

	kho_tracker_walk(&t, &ops, &w);
	for (unsigned int o = 0; o <= KHO_ORDER_MAX; o++)
		pages += res->blocks[o] << o;
	if (w.nodes != res->nodes || w.keys != res->keys || w.pages != res->pages ||
	    pages != res->pages || res->why)
		fz_bug("tracker check counted %lu nodes, %lu keys, %lu pages (%lu by order); walk: %lu, %lu, %lu",
		       res->nodes, res->keys, res->pages, pages, w.nodes, w.keys, w.pages);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct kho_scratch scratch[KHO_SCRATCH_MAX];
	const struct fz_rec *rf, *rs;
	struct kho_check_result res;
	struct kho_check_root root;
	void *fdt, *ser;
	unsigned int nr;
	const char *why;

	fz_input_parse(&in, data, size);
	rf = fz_next(&in, "kho-fdt", NULL);
	rs = fz_next(&in, "kho-scratch", NULL);
	if (!rf || !rs)
		return 0;
	fm_load(&in);
	env = (struct kho_check_env){
		.ram = fm_ram,
		.kernel_start = fm_kernel_start,
		.kernel_size = fm_kernel_size,
		.limit = fm_ram_pages(),
	};
	fdt = fz_dup(rf, 0);
	ser = fz_dup(rs, 0);
	if (!(in.ctl.flags & FZ_RAW))
		fix_root(fdt, rf->len, ser, rs->len);

	fm_protect(true);
	why = kho_check_root(fdt, rf->len, &root);
	if (why)
		goto out;
	why = kho_check_scratch(ser, rs->len, root.scratch_hash, &env, scratch, &nr);
	if (why)
		goto out;
	fz_note("root tree and %u scratch areas accepted", nr);
	check_scratch(scratch, nr, rs->len);
	env.scratch = scratch;
	env.nr_scratch = nr;
	check_within(&env);
	/* kho_populate(): the tracker root must be preserved RAM. */
	why = "tracker root not in preserved RAM";
	if (root.tracker_root && kho_check_range(&env, root.tracker_root, PAGE_SIZE))
		goto out;
	why = NULL;
	if (root.tracker_root && !preservable(root.tracker_root, PAGE_SIZE))
		fz_bug("tracker root %#llx accepted", root.tracker_root);
	env.tracker_hash = root.tracker_hash;
	fm_read_ok = node_readable;
	if (!kho_check_tracker(root.tracker_root, &env, &res)) {
		check_tracker(root.tracker_root, &res);
		fz_note("tracker accepted: %lu nodes, %lu blocks, %lu pages", res.nodes, res.keys,
			res.pages);
	} else if (!res.why || !res.what) {
		fz_bug("tracker rejected without a reason");
	} else {
		why = res.why;
	}
	fm_read_ok = NULL;
out:
	if (why)
		fz_note("rejected: %s", why);
	fm_protect(false);
	free(fdt);
	free(ser);
	return 0;
}
