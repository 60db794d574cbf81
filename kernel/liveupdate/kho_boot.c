// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: KHO boot: scratch at cold boot, a handover received
 *
 * What KHO does while the kernel boots, before the page allocator runs.
 *
 * - **Cold boot** (kho_memory_init(), from mm_core_init()): set aside the
 *   scratch areas the next kernel will boot in. They stay free memory in
 *   movable-only pageblocks (``MIGRATE_CMA``), so this kernel keeps using
 *   them for page cache and anonymous memory, and no preserved memory can
 *   ever sit there.
 * - **A handover received** (kho_populate(), from setup_arch(), once
 *   memblock knows the RAM and before its first allocation): the root tree
 *   and scratch array are checked (kho_check.c), and the scratch must be
 *   enough for this machine's early boot; then memblock is confined to the
 *   scratch areas and the first MiB.
 * - **Reserve** (kho_memory_init()): the tracker is checked node by node
 *   and block by block without side effects (kho_check.c), then walked
 *   again into a sorted list of runs (touching blocks joined), which
 *   memblock reserves in one pass (memblock_reserve_sorted()): linear in
 *   the runs, however scattered. An overlap, with other preserved memory
 *   or with what this kernel reserved, reserves nothing. Should there be
 *   no memory for the list, the walk reserves block by block instead
 *   (``kho_reserve=blocks`` forces that, to compare), and an overlap undoes
 *   exactly what was reserved. Then memblock may use all memory.
 *
 * Anything wrong logs ``KHO: invalid handover: <reason>; booting without
 * it`` and the kernel boots cold: nothing stays reserved, no memory is lost.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/io.h>
#include <linux/kasan.h>
#include <linux/kexec_handover.h>
#include <linux/libfdt.h>
#include <linux/math64.h>
#include <linux/liveupdate.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/page-isolation.h>
#include <linux/range.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include <asm/sections.h>
#include "kexec_handover_internal.h"
#include "lu_clock.h"

/*
 * Scratch sizes. The next kernel allocates everything its early boot needs
 * inside scratch: its memory map (struct pages for all of RAM, which grows
 * with the machine, and in a KASAN kernel the shadow of RAM too), and the
 * rest (kernel image and initrd placed there by kexec, page tables, per-CPU
 * areas, firmware tables...), which does not.
 * So the memory map is sized exactly (KHO_SCRATCH_MEMMAP), in the area
 * anywhere, and kho_scratch=N% (default 200 %) scales only the rest, as
 * memblock has it reserved in this kernel, into both areas.
 * kho_scratch=LOW,GLOBAL gives explicit sizes (K/M/G suffixes) for the area
 * below 4 GiB and the one anywhere. Each area is at least KHO_SCRATCH_MIN.
 * The next kernel checks that what it receives is enough for its own RAM
 * (KHO_SCRATCH_EARLY on top of its memory map) and boots cold otherwise.
 */
#define KHO_SCRATCH_MIN		SZ_64M
#define KHO_SCRATCH_EARLY	SZ_32M
#define KHO_SCRATCH_LOW_MIN	SZ_16M
#define KHO_SCRATCH_ALIGN	(PAGE_SIZE << pageblock_order)

static unsigned int kho_scratch_scale __initdata = 200;
static phys_addr_t kho_scratch_low __initdata, kho_scratch_global __initdata;

static int __init kho_parse_scratch(char *p)
{
	char *end;

	if (!p)
		return -EINVAL;
	end = strchr(p, '%');
	if (end) {
		char num[8];
		unsigned int pct;

		if (end - p >= sizeof(num) || end[1])
			return -EINVAL;
		strscpy(num, p, end - p + 1);
		if (kstrtouint(num, 10, &pct) || !pct || pct > 10000)
			return -EINVAL;
		kho_scratch_scale = pct;
		return 0;
	}
	kho_scratch_low = memparse(p, &end);
	if (*end != ',')
		return -EINVAL;
	kho_scratch_global = memparse(end + 1, &end);
	if (*end || !kho_scratch_low || !kho_scratch_global)
		return -EINVAL;
	return 0;
}
early_param("kho_scratch", kho_parse_scratch);

/*
 * kho_reserve=blocks: reserve preserved memory block by block (to compare);
 * kho_reserve=batch, the default: in one batch. Anything else is reported
 * and the default kept.
 */
static bool kho_batch_off __initdata;

static int __init kho_parse_reserve(char *p)
{
	if (p && !strcmp(p, "blocks")) {
		kho_batch_off = true;
	} else if (p && !strcmp(p, "batch")) {
		kho_batch_off = false;
	} else {
		pr_warn("kho_reserve=%s: not batch or blocks; reserving in one batch\n",
			p ?: "");
		kho_batch_off = false;
	}
	return 0;
}
early_param("kho_reserve", kho_parse_reserve);

/*
 * Time this boot spent receiving, in lu_clock() cycles, reported at
 * late_initcall, once the clock's rate is known (a TCG guest whose TSC is
 * calibrated late read "0 us" from sched_clock() this early).
 */
static u64 kho_boot_clock __initdata;
static u64 kho_boot_check __initdata, kho_boot_sort __initdata;	/* parts of it */
static unsigned long kho_boot_pages __initdata, kho_boot_nodes __initdata;
static unsigned long kho_boot_runs __initdata;
static bool kho_boot_reserved __initdata;

static u64 __init kho_clock_us(u64 t)
{
	u32 khz = lu_clock_khz();

	return khz ? mul_u64_u32_div(t, USEC_PER_MSEC, khz) : 0;
}

static bool __init kho_memblock_ram(u64 addr, u64 size, void *arg)
{
	return memblock_is_region_memory(addr, size);
}

/* What the handover is checked against: memblock's RAM, this kernel, scratch. */
static struct kho_check_env __init kho_boot_env(void)
{
	return (struct kho_check_env) {
		.ram = kho_memblock_ram,
		.kernel_start = __pa_symbol(_text),
		.kernel_size = __pa_symbol(_end) - __pa_symbol(_text),
		.scratch = kho_scratch,
		.nr_scratch = kho_nr_scratch,
		.limit = memblock_phys_mem_size() >> PAGE_SHIFT,
	};
}

/*
 * Bytes of early boot's own maps of RAM, which grow with the machine: the
 * memory map (struct page; with SPARSEMEM every section that holds RAM gets
 * a whole one) and, with generic KASAN, its shadow (an eighth of RAM).
 * Both are allocated in scratch by the next kernel.
 */
static phys_addr_t __init kho_memmap_size(void)
{
	phys_addr_t size;
#ifdef CONFIG_SPARSEMEM
	unsigned long start, end, first, last, prev = ULONG_MAX, sections = 0;
	int i;

	for_each_mem_pfn_range(i, MAX_NUMNODES, &start, &end, NULL) {
		first = pfn_to_section_nr(start);
		last = pfn_to_section_nr(end - 1);
		if (first == prev)
			first++;
		if (first <= last)
			sections += last - first + 1;
		prev = last;
	}
	size = (phys_addr_t)sections * PAGES_PER_SECTION * sizeof(struct page);
#else
	size = (memblock_phys_mem_size() >> PAGE_SHIFT) * sizeof(struct page);
#endif
#ifdef CONFIG_KASAN_GENERIC
	size += memblock_phys_mem_size() >> KASAN_SHADOW_SCALE_SHIFT;
#endif
	return size;
}

/* Bytes of [@addr, @addr + @size) that memblock has not reserved. */
static phys_addr_t __init kho_unreserved(phys_addr_t addr, phys_addr_t size)
{
	phys_addr_t free = size, rs, re;
	u64 i;

	for_each_reserved_mem_range(i, &rs, &re) {
		rs = max(rs, addr);
		re = min(re, addr + size);
		if (rs < re)
			free -= re - rs;
	}
	return free;
}

/*
 * Is the scratch received enough for this kernel's early boot: its memory
 * map and KHO_SCRATCH_EARLY more, in what kexec did not already fill, with
 * KHO_SCRATCH_LOW_MIN of it below 4 GiB? A kernel confined to too little
 * scratch cannot boot at all, so a handover that fails this is refused.
 */
static const char *__init kho_scratch_enough(void)
{
	phys_addr_t need = kho_memmap_size() + KHO_SCRATCH_EARLY, free = 0, low = 0, f;
	unsigned int i;

	for (i = 0; i < kho_nr_scratch; i++) {
		f = kho_unreserved(kho_scratch[i].addr, kho_scratch[i].size);
		free += f;
		if (kho_scratch[i].addr + kho_scratch[i].size <= SZ_4G)
			low += f;
	}
	if (free < need || low < KHO_SCRATCH_LOW_MIN) {
		pr_err("scratch areas have %llu MiB free, %llu MiB below 4 GiB; this machine needs %llu MiB, %lu MiB below 4 GiB\n",
		       (u64)free >> 20, (u64)low >> 20, (u64)need >> 20,
		       (unsigned long)KHO_SCRATCH_LOW_MIN >> 20);
		return "scratch areas too small for this machine's early boot";
	}
	return NULL;
}

/* Confine memblock to the scratch areas (and the first MiB), or change nothing. */
static const char *__init kho_confine_to_scratch(void)
{
	unsigned int i;

	/*
	 * The first MiB is always reserved by x86 and never preserved, and
	 * the real-mode trampoline must be allocated there.
	 */
	if (memblock_mark_kho_scratch(0, SZ_1M))
		goto err;
	for (i = 0; i < kho_nr_scratch; i++)
		if (memblock_mark_kho_scratch(kho_scratch[i].addr, kho_scratch[i].size))
			goto err_clear;
	memblock_set_kho_scratch_only();
	return NULL;

err_clear:
	while (i--)
		memblock_clear_kho_scratch(kho_scratch[i].addr, kho_scratch[i].size);
	memblock_clear_kho_scratch(0, SZ_1M);
err:
	return "cannot mark the scratch areas in memblock";
}

/**
 * kho_populate - accept the handover described by the boot protocol
 * @fdt_phys: physical address of the root tree
 * @fdt_len: size of its buffer
 * @scratch_phys: physical address of the scratch array
 * @scratch_len: size of the scratch array in bytes
 *
 * Called by the architecture once memblock knows the RAM and before the
 * first memblock allocation. Everything is validated; on success memblock
 * is confined to the scratch areas (and the first MiB) until
 * kho_memory_init(). On failure the kernel boots cold.
 */
void __init kho_populate(phys_addr_t fdt_phys, u64 fdt_len, phys_addr_t scratch_phys,
			 u64 scratch_len)
{
	struct kho_check_env env = kho_boot_env();
	struct kho_scratch_ser *ser = NULL;
	struct kho_check_root root;
	u64 t0 = lu_clock();
	void *fdt = NULL;
	const char *why;

	if (!kho_enable) {
		pr_info("handover from the previous kernel ignored (kho=off)\n");
		return;
	}
	liveupdate_stamp_entry();

	why = "bad root tree address or size";
	if (!PAGE_ALIGNED(fdt_phys) || fdt_len < sizeof(struct fdt_header) ||
	    fdt_len > KHO_FDT_MAX_SIZE || !memblock_is_region_memory(fdt_phys, fdt_len) ||
	    kho_ranges_overlap(fdt_phys, fdt_len, env.kernel_start, env.kernel_size))
		goto err;
	why = "bad scratch array address or size";
	if (!scratch_len || scratch_len > KHO_SCRATCH_MAX * sizeof(*ser) ||
	    !IS_ALIGNED(scratch_phys, 8) || !memblock_is_region_memory(scratch_phys, scratch_len))
		goto err;

	fdt = early_memremap(fdt_phys, fdt_len);
	why = "cannot map the root tree";
	if (!fdt)
		goto err;
	why = kho_check_root(fdt, fdt_len, &root);
	if (why)
		goto err;
	ser = early_memremap(scratch_phys, scratch_len);
	why = "cannot map the scratch array";
	if (!ser)
		goto err;
	why = kho_check_scratch(ser, scratch_len, root.scratch_hash, &env, kho_scratch,
				&kho_nr_scratch);
	if (why)
		goto err;
	env.nr_scratch = kho_nr_scratch;
	why = "root tree in scratch";
	if (kho_in_scratch(fdt_phys, fdt_len))
		goto err;
	why = "tracker root not in preserved RAM";
	if (root.tracker_root && kho_check_range(&env, root.tracker_root, PAGE_SIZE))
		goto err;
	kho_in.tracker.root = root.tracker_root;
	kho_in.tracker_hash = root.tracker_hash;
	why = kho_scratch_enough();
	if (why)
		goto err;
	/* Moved after kexec placed it: it may sit over preserved memory. */
	why = "this kernel lies outside the scratch areas";
	if (!kho_check_within_scratch(&env, env.kernel_start, env.kernel_size))
		goto err;

	early_memunmap(ser, scratch_len);
	ser = NULL;
	early_memunmap(fdt, fdt_len);
	fdt = NULL;
	why = kho_confine_to_scratch();
	if (why)
		goto err;

	kho_in.fdt_phys = fdt_phys;
	kho_in.active = true;
	kho_boot_clock = lu_clock() - t0;
	pr_info("found kexec handover data: %u scratch areas, root tree at %pa, this kernel at %#llx+%#llx\n",
		kho_nr_scratch, &fdt_phys, env.kernel_start, env.kernel_size);
	return;

err:
	if (ser)
		early_memunmap(ser, scratch_len);
	if (fdt)
		early_memunmap(fdt, fdt_len);
	kho_nr_scratch = 0;
	kho_in.tracker.root = 0;
	pr_err("invalid handover: %s; booting without it\n", why);
}

/* State of the reserving walk of the incoming tracker (kho_memory_init). */
struct kho_walk {
	unsigned long nodes;
	unsigned long done;	/* items reserved so far */
	unsigned long undo;	/* items to release again (undo walk) */
	const char *what;
	const char *why;
	phys_addr_t bad;
};

static int __init kho_reserve_one(phys_addr_t addr, phys_addr_t size, struct kho_walk *w)
{
	if (w->undo) {
		memblock_phys_free(addr, size);
		return --w->undo ? 0 : 1;
	}
	/* Overlaps with anything reserved (other blocks, nodes) are corrupt. */
	if (memblock_is_region_reserved(addr, size) || memblock_reserve(addr, size)) {
		w->what = "preserved memory";
		w->why = "overlaps other preserved or reserved memory";
		w->bad = addr;
		return -EINVAL;
	}
	w->done++;
	return 0;
}

static int __init kho_reserve_node(phys_addr_t phys, int level, void *arg)
{
	struct kho_walk *w = arg;

	if (!w->undo)
		w->nodes++;
	return kho_reserve_one(phys, PAGE_SIZE, w);
}

static int __init kho_reserve_key(u64 key, void *arg)
{
	unsigned long pfn;
	unsigned int order;

	kho_key_decode(key, &pfn, &order);
	return kho_reserve_one(PFN_PHYS(pfn), PAGE_SIZE << order, arg);
}

static const struct kho_tracker_walk_ops kho_reserve_ops __initconst = {
	.node = kho_reserve_node,
	.key = kho_reserve_key,
};

/* Reserve block by block: the fallback when there is no memory for a batch. */
static int __init kho_reserve_blocks(struct kho_walk *w)
{
	int ret;

	if (memblock_is_region_reserved(kho_in.fdt_phys, PAGE_SIZE)) {
		w->what = "root tree";
		w->why = "overlaps reserved memory";
		return -EINVAL;
	}
	memblock_reserve(kho_in.fdt_phys, PAGE_SIZE);
	ret = kho_tracker_walk(&kho_in.tracker, &kho_reserve_ops, w);
	if (ret) {
		/* Release exactly the items the failed walk reserved. */
		w->undo = w->done;
		if (w->undo)
			kho_tracker_walk(&kho_in.tracker, &kho_reserve_ops, w);
		memblock_phys_free(kho_in.fdt_phys, PAGE_SIZE);
		return -EINVAL;
	}
	return 0;
}

/*
 * Preserved memory as ranges, in two lists in one array: runs of touching
 * blocks of one order, in walk order (each order's keys ascending), and
 * after room for them the tree's own pages (the root tree, then the
 * tracker's nodes, wherever they were allocated). With @r NULL the walk
 * only counts the runs.
 */
struct kho_runs {
	struct range *r;
	unsigned long nr;
	unsigned long max;
	phys_addr_t next;	/* where the last run ends */
	struct range *nodes;
	unsigned long nr_nodes;
	unsigned long max_nodes;
};

static int __init kho_run_add(struct kho_runs *runs, phys_addr_t addr, phys_addr_t size)
{
	if (runs->nr && addr == runs->next) {
		if (runs->r)
			runs->r[runs->nr - 1].end += size;
	} else {
		if (runs->r) {
			if (runs->nr == runs->max)
				return -E2BIG;
			runs->r[runs->nr].start = addr;
			runs->r[runs->nr].end = addr + size - 1;
		}
		runs->nr++;
	}
	runs->next = addr + size;
	return 0;
}

static int __init kho_node_add(struct kho_runs *runs, phys_addr_t addr)
{
	if (!runs->nodes)
		return 0;
	if (runs->nr_nodes == runs->max_nodes)
		return -E2BIG;
	runs->nodes[runs->nr_nodes].start = addr;
	runs->nodes[runs->nr_nodes].end = addr + PAGE_SIZE - 1;
	runs->nr_nodes++;
	return 0;
}

static int __init kho_run_node(phys_addr_t phys, int level, void *arg)
{
	return kho_node_add(arg, phys);
}

static int __init kho_run_key(u64 key, void *arg)
{
	unsigned long pfn;
	unsigned int order;

	kho_key_decode(key, &pfn, &order);
	return kho_run_add(arg, PFN_PHYS(pfn), PAGE_SIZE << order);
}

static const struct kho_tracker_walk_ops kho_run_ops __initconst = {
	.node = kho_run_node,
	.key = kho_run_key,
};

static bool __init kho_ranges_sorted(const struct range *r, unsigned long n)
{
	unsigned long i;

	for (i = 1; i < n; i++)
		if (r[i].start < r[i - 1].start)
			return false;
	return true;
}

/*
 * Sort the runs and the nodes (which follow the runs' room in the array).
 * The runs are ascending within each order, so one ascending stretch holds
 * nearly all of them when one order dominates: that stretch stays where it
 * is and the rest (other orders, the nodes) is sorted aside and merged in
 * from the end. A heap sort of a quarter of a million scattered runs took
 * half a second in a TCG guest. Without memory for the aside list, all of
 * it is sorted in place.
 */
static void __init kho_runs_sort(struct kho_runs *runs)
{
	unsigned long nr = runs->nr, s = 0, e, from = 0, to = 0, nb, i, j, k;
	struct range *r = runs->r, *b;
	size_t bytes;

	for (e = 1; e <= nr; e++) {
		if (e < nr && r[e].start >= r[e - 1].start)
			continue;
		if (e - s > to - from) {
			from = s;
			to = e;
		}
		s = e;
	}
	nb = nr - (to - from) + runs->nr_nodes;
	bytes = array_size(nb, sizeof(*b));
	b = nb ? memblock_alloc_raw(bytes, SMP_CACHE_BYTES) : NULL;
	if (nb && !b) {
		memmove(r + nr, runs->nodes, runs->nr_nodes * sizeof(*r));
		sort_range(r, nr + runs->nr_nodes);
		goto done;
	}
	memcpy(b, r, from * sizeof(*r));
	memcpy(b + from, r + to, (nr - to) * sizeof(*r));
	memcpy(b + from + nr - to, runs->nodes, runs->nr_nodes * sizeof(*r));
	if (!kho_ranges_sorted(b, nb))
		sort_range(b, nb);
	memmove(r, r + from, (to - from) * sizeof(*r));
	/* Slot k is written only after the stretch's slot k was read. */
	for (i = to - from, j = nb, k = i + j; j;) {
		if (i && r[i - 1].start > b[j - 1].start)
			r[--k] = r[--i];
		else
			r[--k] = b[--j];
	}
	if (b)
		memblock_free(b, bytes);
done:
	runs->nr += runs->nr_nodes;
	runs->nr_nodes = 0;
}

/*
 * Reserve the root tree, the tracker's nodes and every preserved block in
 * one memblock pass (memblock_reserve_sorted()), which stays linear in the
 * number of runs however scattered the blocks are. Reserving them one at a
 * time costs a scan of the region array each: quadratic, minutes for a
 * million scattered pages. -ENOMEM: no memory for the lists.
 */
static int __init kho_reserve_batch(struct kho_walk *w, unsigned long nr_nodes)
{
	struct kho_runs runs = {};
	unsigned long i, n;
	size_t bytes;
	int ret;

	kho_tracker_walk(&kho_in.tracker, &kho_run_ops, &runs);
	runs.max = runs.nr;
	runs.max_nodes = nr_nodes + 1;
	bytes = array_size(runs.max + runs.max_nodes, sizeof(*runs.r));
	runs.r = memblock_alloc_raw(bytes, SMP_CACHE_BYTES);
	if (!runs.r)
		return -ENOMEM;
	runs.nodes = runs.r + runs.max;
	runs.nr = 0;
	kho_node_add(&runs, kho_in.fdt_phys);
	ret = kho_tracker_walk(&kho_in.tracker, &kho_run_ops, &runs);
	if (ret)
		goto out;

	kho_boot_sort = lu_clock();
	kho_runs_sort(&runs);
	kho_boot_sort = lu_clock() - kho_boot_sort;
	for (i = 1, n = runs.nr ? 1 : 0; i < runs.nr; i++) {
		struct range *last = &runs.r[n - 1];

		if (runs.r[i].start <= last->end) {
			w->what = "preserved memory";
			w->why = "overlaps other preserved memory";
			w->bad = runs.r[i].start;
			ret = -EINVAL;
			goto out;
		}
		if (runs.r[i].start == last->end + 1)
			last->end = runs.r[i].end;
		else
			runs.r[n++] = runs.r[i];
	}
	kho_boot_runs = n;
	ret = memblock_reserve_sorted(runs.r, n);
	if (ret == -EBUSY) {
		w->what = "preserved memory";
		w->why = "overlaps reserved memory";
		for (i = 0; i < n; i++)
			if (memblock_is_region_reserved(runs.r[i].start, range_len(&runs.r[i]))) {
				w->bad = runs.r[i].start;
				break;
			}
	} else if (ret) {
		w->what = "preserved memory";
		w->why = "cannot be reserved (no room in memblock)";
	}
out:
	memblock_free(runs.r, bytes);
	if (ret == -E2BIG) {
		w->what = "tracker";
		w->why = "changed between two walks";
	}
	return ret ? -EINVAL : 0;
}

/* Validate, then reserve, the incoming tree and everything it tracks. */
static int __init kho_in_reserve(void)
{
	struct kho_check_env env = kho_boot_env();
	struct kho_check_result res;
	struct kho_walk w = {};
	int ret;

	env.tracker_hash = kho_in.tracker_hash;
	kho_boot_check = lu_clock();
	ret = kho_check_tracker(kho_in.tracker.root, &env, &res);
	kho_boot_check = lu_clock() - kho_boot_check;
	if (ret) {
		w.what = res.what;
		w.why = res.why;
		w.bad = res.bad;
		goto err;
	}
	memcpy(kho_in.stats.blocks, res.blocks, sizeof(res.blocks));
	kho_in.stats.pages = res.pages;
	ret = kho_batch_off ? -ENOMEM : kho_reserve_batch(&w, res.nodes);
	if (ret == -ENOMEM) {
		if (!kho_batch_off)
			pr_warn("no memory for the list of preserved ranges: reserving them one by one\n");
		ret = kho_reserve_blocks(&w);
	}
	if (ret)
		goto err;
	kho_in.tracker.reserved_nodes = true;
	kho_in.tracker.nr_nodes = res.nodes;
	return 0;
err:
	pr_err("invalid handover: %s %s (%#llx); booting without it\n", w.what, w.why, (u64)w.bad);
	memset(&kho_in.stats, 0, sizeof(kho_in.stats));
	kho_in.tracker.root = 0;
	return -EINVAL;
}

/*
 * Cold boot: find scratch areas. They stay free memory, movable-only. The
 * memory map of all RAM goes to the area anywhere, whole; what else early
 * boot reserved, scaled, to both (see KHO_SCRATCH_MIN and kho_scratch=).
 */
static void __init kho_reserve_scratch(void)
{
	phys_addr_t memmap = kho_memmap_size(), rest, size[2], addr;
	phys_addr_t limit[2] = { SZ_4G, MEMBLOCK_ALLOC_ACCESSIBLE };
	unsigned int i;

	rest = memblock_reserved_size();
	rest = rest > memmap ? rest - memmap : 0;
	rest = div_u64((u64)rest * kho_scratch_scale, 100);
	size[0] = kho_scratch_low ?: rest;
	size[1] = kho_scratch_global ?: memmap + KHO_SCRATCH_EARLY + rest;
	for (i = 0; i < 2; i++) {
		size[i] = ALIGN(max_t(phys_addr_t, size[i], KHO_SCRATCH_MIN), KHO_SCRATCH_ALIGN);
		addr = memblock_phys_alloc_range(size[i], KHO_SCRATCH_ALIGN, 0, limit[i]);
		if (!addr) {
			pr_err("cannot reserve %pa bytes of scratch; KHO disabled\n", &size[i]);
			while (i--)
				memblock_phys_free(kho_scratch[i].addr, kho_scratch[i].size);
			kho_nr_scratch = 0;
			kho_enable = false;
			return;
		}
		kho_scratch[i].addr = addr;
		kho_scratch[i].size = size[i];
		kho_nr_scratch = i + 1;
	}
	/* Give them back as free memory; kho_mark_scratch() keeps them movable. */
	for (i = 0; i < kho_nr_scratch; i++)
		memblock_phys_free(kho_scratch[i].addr, kho_scratch[i].size);
}

/* Scratch pageblocks only take movable allocations (so never preserved ones). */
static void __init kho_mark_scratch(void)
{
	unsigned long pfn, end;
	unsigned int i;

	for (i = 0; i < kho_nr_scratch; i++) {
		pfn = PHYS_PFN(ALIGN_DOWN(kho_scratch[i].addr, KHO_SCRATCH_ALIGN));
		end = PHYS_PFN(kho_scratch[i].addr + kho_scratch[i].size);
		for (; pfn < end; pfn += pageblock_nr_pages)
			if (pfn_valid(pfn))
				set_pageblock_migratetype(pfn_to_page(pfn), MIGRATE_CMA);
	}
}

/**
 * kho_memory_init - reserve preserved memory before the page allocator starts
 *
 * Called from mm_core_init() before memblock releases memory. On a KHO boot
 * it validates and reserves everything preserved and lifts the scratch-only
 * restriction; on a cold boot it sets up the scratch areas.
 */
void __init kho_memory_init(void)
{
	u64 t0 = lu_clock();

	if (kho_in.active) {
		if (kho_in_reserve())
			kho_in.active = false;
		else
			liveupdate_stamp_kho_ready();
		memblock_clear_kho_scratch_only();
		kho_boot_clock += lu_clock() - t0;
		kho_boot_reserved = kho_in.active;
		kho_boot_pages = kho_in.stats.pages;
		kho_boot_nodes = kho_in.tracker.nr_nodes;
	} else if (kho_enable) {
		kho_reserve_scratch();
	}
	if (kho_enable)
		kho_mark_scratch();
}

/* What the boot reserved and how long KHO's part of it took (see lu_clock()). */
static int __init kho_boot_report(void)
{
	if (kho_boot_reserved)
		pr_info("%lu preserved pages in %lu tracker pages reserved for restore; boot work %llu us (checking the tracker %llu us, sorting %lu runs %llu us)\n",
			kho_boot_pages, kho_boot_nodes, kho_clock_us(kho_boot_clock),
			kho_clock_us(kho_boot_check), kho_boot_runs, kho_clock_us(kho_boot_sort));
	return 0;
}
late_initcall(kho_boot_report);
