// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: Kexec HandOver (KHO)
 *
 * KHO lets a kernel hand memory and small metadata blobs to the kernel it
 * kexecs into. The flow:
 *
 * 1. **Cold boot**: KHO sets aside *scratch* areas (``kho_scratch=``): RAM
 *    that will never hold preserved memory. Their pageblocks become
 *    movable-only (``MIGRATE_CMA``), so this kernel still uses them for
 *    page cache and anonymous memory.
 * 2. **Preserve** (any time before the kexec, no finalize step): owners call
 *    kho_preserve_folio(), kho_preserve_pages() or kho_preserve_vmalloc();
 *    each call sets a bit in the tracker (kho_tracker.c), which is already
 *    in its handover form. kho_add_subtree() names a blob in the root tree
 *    (an FDT). Everything can be unpreserved until the kexec.
 * 3. **kexec_file_load**: the kexec segments are placed inside scratch, and
 *    the boot parameters get a ``SETUP_KEXEC_KHO`` entry with the physical
 *    addresses of the root tree and the scratch array. The decompressor of
 *    the next kernel does not randomize its physical address on such a
 *    boot (the segments are already in scratch).
 * 4. **Next kernel, early** (kho_populate(), after memblock learned the
 *    RAM): the handover is validated and memblock is confined to the
 *    scratch areas and the first MiB.
 * 5. **Next kernel, mm init** (kho_memory_init(), before memblock hands
 *    memory to the page allocator): the tracker is walked twice, first only
 *    to validate every node and block (RAM, not the kernel, not scratch,
 *    bounded), then to reserve them. Then memblock may use all memory.
 *    If anything is wrong, nothing stays reserved and the kernel boots
 *    cold with a ``KHO:`` error.
 * 6. **Restore**: owners find their blobs with kho_retrieve_subtree() and
 *    turn preserved memory back into folios, pages or vmalloc areas; each
 *    block can be restored once, with the order it was preserved with.
 *    Memory nobody restores stays reserved and is counted in debugfs
 *    (``kho/in/status``) until it is restored or an administrator gives it
 *    back (``kho/in/release``): KHO cannot know that an owner which has not
 *    yet run never will.
 *
 * Locking: ``kho_out.lock`` serializes the outgoing tracker and root tree;
 * ``kho_in.lock`` the incoming tracker and statistics. Neither is taken
 * from atomic context.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/cleanup.h>
#include <linux/io.h>
#include <linux/kexec.h>
#include <linux/kexec_handover.h>
#include <linux/libfdt.h>
#include <linux/liveupdate.h>
#include <linux/log2.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/page-isolation.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sched/clock.h>
#include <linux/vmalloc.h>

#include <asm/sections.h>

#include "../../mm/internal.h"
#include "kexec_handover_internal.h"

/* All liveupdate trace events are created here (KHO is under all of them). */
#define CREATE_TRACE_POINTS
#include <trace/events/liveupdate.h>

static bool kho_enable __ro_after_init = IS_ENABLED(CONFIG_KEXEC_HANDOVER_ENABLE_DEFAULT);

/**
 * kho_is_enabled - is KHO on in this kernel (``kho=``)
 *
 * Return: true if preserving memory for the next kernel is possible.
 */
bool kho_is_enabled(void)
{
	return kho_enable;
}
EXPORT_SYMBOL_GPL(kho_is_enabled);

static int __init kho_parse_enable(char *p)
{
	return kstrtobool(p, &kho_enable);
}
early_param("kho", kho_parse_enable);

/*
 * Scratch sizes. The next kernel allocates everything its early boot needs
 * inside scratch: its memory map (struct pages for all of RAM, which grows
 * with the machine), and the rest (kernel image and initrd placed there by
 * kexec, page tables, per-CPU areas, firmware tables...), which does not.
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

/* The scratch areas of this kernel: reserved at cold boot, or received. */
static struct kho_scratch kho_scratch[KHO_SCRATCH_MAX];
static unsigned int kho_nr_scratch;

static struct {
	struct mutex lock;		/* protects everything below */
	struct kho_tracker tracker;
	void *fdt;			/* root tree, one page */
	struct kho_scratch_ser *scratch;	/* the array passed on, one page */
	unsigned long blocks[KHO_ORDER_MAX + 1];
	phys_addr_t synced_root;	/* root as written in the root tree */
	bool ready;
} kho_out = {
	.lock = __MUTEX_INITIALIZER(kho_out.lock),
};

static struct {
	struct mutex lock;		/* protects tracker and stats */
	bool active;			/* a handover was accepted */
	phys_addr_t fdt_phys;
	void *fdt;
	struct kho_tracker tracker;
	struct kho_in_stats stats;
} kho_in = {
	.lock = __MUTEX_INITIALIZER(kho_in.lock),
};

/**
 * is_kho_boot - did this kernel receive a valid handover
 *
 * Return: true if the previous kernel handed over memory and it was
 * accepted.
 */
bool is_kho_boot(void)
{
	return kho_in.active;
}
EXPORT_SYMBOL_GPL(is_kho_boot);

static bool range_overlaps(phys_addr_t a, phys_addr_t alen, phys_addr_t b, phys_addr_t blen)
{
	return a < b + blen && b < a + alen;
}

static bool kho_in_scratch(phys_addr_t addr, phys_addr_t size)
{
	unsigned int i;

	for (i = 0; i < kho_nr_scratch; i++)
		if (range_overlaps(addr, size, kho_scratch[i].addr, kho_scratch[i].size))
			return true;
	return false;
}

/*
 * Can [@pfn, @pfn + @nr) be a preserved block: RAM with a memory map, and
 * inside what tracker keys can name (untrusted addresses must not alias).
 */
static bool kho_pfn_ok(unsigned long pfn, unsigned long nr)
{
	return pfn + nr > pfn && pfn + nr <= BIT_ULL(KHO_PFN_BITS) && pfn_valid(pfn);
}

/* ---------------------------------------------------------------------- */
/* Preserving (outgoing)                                                   */
/* ---------------------------------------------------------------------- */

/* Keep the root tree's pointer to the tracker current. Context: under kho_out.lock. */
static void kho_out_sync_root(void)
{
	fdt64_t root = cpu_to_fdt64(kho_out.tracker.root);

	lockdep_assert_held(&kho_out.lock);
	if (kho_out.tracker.root == kho_out.synced_root)
		return;
	fdt_setprop_inplace(kho_out.fdt, 0, KHO_FDT_MEMORY_MAP_PROP, &root, sizeof(root));
	kho_out.synced_root = kho_out.tracker.root;
}

static int __kho_preserve_block(unsigned long pfn, unsigned int order)
{
	int ret;

	if (!kho_out.ready)
		return -EOPNOTSUPP;
	if (order > KHO_ORDER_MAX || !IS_ALIGNED(pfn, 1UL << order))
		return -EINVAL;
	if (kho_in_scratch(PFN_PHYS(pfn), PAGE_SIZE << order))
		return -EINVAL;

	guard(mutex)(&kho_out.lock);
	ret = kho_tracker_set(&kho_out.tracker, kho_key_encode(pfn, order), GFP_KERNEL);
	if (ret)
		return ret;
	kho_out.blocks[order]++;
	kho_out_sync_root();
	return 0;
}

static int kho_preserve_block(unsigned long pfn, unsigned int order)
{
	int ret = __kho_preserve_block(pfn, order);

	trace_kho_preserve(pfn, order, ret);
	return ret;
}

static int __kho_unpreserve_block(unsigned long pfn, unsigned int order)
{
	int ret;

	if (!kho_out.ready || order > KHO_ORDER_MAX)
		return -EINVAL;

	guard(mutex)(&kho_out.lock);
	ret = kho_tracker_clear(&kho_out.tracker, kho_key_encode(pfn, order));
	if (ret)
		return ret;
	kho_out.blocks[order]--;
	kho_out_sync_root();
	return 0;
}

static int kho_unpreserve_block(unsigned long pfn, unsigned int order)
{
	int ret = __kho_unpreserve_block(pfn, order);

	trace_kho_unpreserve(pfn, order, ret);
	return ret;
}

/**
 * kho_preserve_folio - preserve a folio for the next kernel
 * @folio: the folio; it must not be freed or split while preserved
 *
 * Records the folio's pfn and order. The next kernel restores it, with the
 * same order, with kho_restore_folio().
 *
 * Return: 0; -EOPNOTSUPP if KHO is off; -EINVAL if the folio lies in a
 * scratch area; -EEXIST if it is already preserved; -ENOMEM.
 */
int kho_preserve_folio(struct folio *folio)
{
	return kho_preserve_block(folio_pfn(folio), folio_order(folio));
}
EXPORT_SYMBOL_GPL(kho_preserve_folio);

/**
 * kho_unpreserve_folio - undo kho_preserve_folio()
 * @folio: a preserved folio
 */
void kho_unpreserve_folio(struct folio *folio)
{
	WARN_ON_ONCE(kho_unpreserve_block(folio_pfn(folio), folio_order(folio)));
}
EXPORT_SYMBOL_GPL(kho_unpreserve_folio);

/* Largest naturally aligned block at @pfn that fits before @end. */
static unsigned int block_order(unsigned long pfn, unsigned long end)
{
	unsigned int order = pfn ? __ffs(pfn) : KHO_ORDER_MAX;

	order = min3(order, (unsigned int)ilog2(end - pfn), (unsigned int)KHO_ORDER_MAX);
	return order;
}

/**
 * kho_preserve_pages - preserve a range of pages for the next kernel
 * @page: first page
 * @nr_pages: number of pages
 *
 * The range is recorded as naturally aligned power-of-two blocks; the next
 * kernel restores it with kho_restore_pages() as @nr_pages order-0 pages.
 * On failure nothing of the range stays preserved.
 *
 * Return: 0, or the error of kho_preserve_folio().
 */
int kho_preserve_pages(struct page *page, unsigned long nr_pages)
{
	unsigned long start = page_to_pfn(page), end = start + nr_pages, pfn;
	unsigned int order;
	int ret = 0;

	for (pfn = start; pfn < end; pfn += 1UL << order) {
		order = block_order(pfn, end);
		ret = kho_preserve_block(pfn, order);
		if (ret)
			break;
	}
	if (!ret)
		return 0;
	/* Unwind the blocks preserved before the failing one. */
	end = pfn;
	for (pfn = start; pfn < end; pfn += 1UL << order) {
		order = block_order(pfn, end);
		kho_unpreserve_block(pfn, order);
	}
	return ret;
}
EXPORT_SYMBOL_GPL(kho_preserve_pages);

/**
 * kho_unpreserve_pages - undo kho_preserve_pages()
 * @page: first page
 * @nr_pages: number of pages
 */
void kho_unpreserve_pages(struct page *page, unsigned long nr_pages)
{
	unsigned long pfn = page_to_pfn(page), end = pfn + nr_pages;
	unsigned int order;

	for (; pfn < end; pfn += 1UL << order) {
		order = block_order(pfn, end);
		WARN_ON_ONCE(kho_unpreserve_block(pfn, order));
	}
}
EXPORT_SYMBOL_GPL(kho_unpreserve_pages);

/**
 * kho_alloc_preserve - allocate zeroed memory that is preserved
 * @size: bytes; rounded up to a power-of-two number of pages
 *
 * Return: the memory, or ERR_PTR(-E2BIG) above MAX_PAGE_ORDER, -ENOMEM, or
 * the error of kho_preserve_folio().
 */
void *kho_alloc_preserve(size_t size)
{
	unsigned int order = get_order(size);
	struct folio *folio;
	int ret;

	if (order > MAX_PAGE_ORDER)
		return ERR_PTR(-E2BIG);
	folio = folio_alloc(GFP_KERNEL | __GFP_ZERO, order);
	if (!folio)
		return ERR_PTR(-ENOMEM);
	ret = kho_preserve_folio(folio);
	if (ret) {
		folio_put(folio);
		return ERR_PTR(ret);
	}
	return folio_address(folio);
}
EXPORT_SYMBOL_GPL(kho_alloc_preserve);

/**
 * kho_unpreserve_free - unpreserve and free memory from kho_alloc_preserve()
 * @mem: the memory, or NULL
 */
void kho_unpreserve_free(void *mem)
{
	struct folio *folio;

	if (!mem)
		return;
	folio = virt_to_folio(mem);
	kho_unpreserve_folio(folio);
	folio_put(folio);
}
EXPORT_SYMBOL_GPL(kho_unpreserve_free);

/**
 * kho_preserve_vmalloc - preserve a vmalloc area
 * @ptr: start of an area from vmalloc() (not a huge-page vmap)
 * @preservation: filled in; the owner stores it (e.g. in its blob) and
 *		  hands it to kho_restore_vmalloc() in the next kernel
 *
 * Return: 0, -EINVAL for something that is not a vmalloc area,
 * -EOPNOTSUPP for a huge-page area, or a preservation error (nothing stays
 * preserved then).
 */
int kho_preserve_vmalloc(void *ptr, struct kho_vmalloc *preservation)
{
	struct kho_vmalloc_chunk_ser *chunk = NULL, *prev = NULL;
	struct vm_struct *vm = find_vm_area(ptr);
	unsigned int i;
	int ret;

	memset(preservation, 0, sizeof(*preservation));
	if (!vm || !(vm->flags & VM_ALLOC) || vm->addr != ptr)
		return -EINVAL;
	if (vm->flags & VM_ALLOW_HUGE_VMAP)
		return -EOPNOTSUPP;

	for (i = 0; i < vm->nr_pages; i++) {
		if (!chunk || chunk->nr_phys == KHO_VMALLOC_CHUNK_ENTRIES) {
			chunk = kho_alloc_preserve(PAGE_SIZE);
			if (IS_ERR(chunk)) {
				ret = PTR_ERR(chunk);
				goto err_unpreserve;
			}
			if (prev)
				prev->next = virt_to_phys(chunk);
			else
				preservation->first = virt_to_phys(chunk);
			prev = chunk;
		}
		ret = kho_preserve_pages(vm->pages[i], 1);
		if (ret)
			goto err_unpreserve;
		chunk->phys[chunk->nr_phys++] = page_to_phys(vm->pages[i]);
		preservation->total_pages++;
	}
	trace_kho_vmalloc_preserve(vm->nr_pages, 0);
	return 0;

err_unpreserve:
	kho_unpreserve_vmalloc(preservation);
	trace_kho_vmalloc_preserve(vm->nr_pages, ret);
	return ret;
}
EXPORT_SYMBOL_GPL(kho_preserve_vmalloc);

/**
 * kho_unpreserve_vmalloc - undo kho_preserve_vmalloc()
 * @preservation: as filled in by kho_preserve_vmalloc(); cleared
 */
void kho_unpreserve_vmalloc(struct kho_vmalloc *preservation)
{
	phys_addr_t next = preservation->first;

	while (next) {
		struct kho_vmalloc_chunk_ser *chunk = phys_to_virt(next);
		u64 i;

		for (i = 0; i < chunk->nr_phys; i++)
			kho_unpreserve_pages(pfn_to_page(PHYS_PFN(chunk->phys[i])), 1);
		next = chunk->next;
		kho_unpreserve_free(chunk);
	}
	memset(preservation, 0, sizeof(*preservation));
}
EXPORT_SYMBOL_GPL(kho_unpreserve_vmalloc);

/* ---------------------------------------------------------------------- */
/* Subtrees                                                                */
/* ---------------------------------------------------------------------- */

static bool kho_subtree_name_ok(const char *name)
{
	size_t len = strnlen(name, 64);

	return len && len < 64 && !strpbrk(name, "/@:");
}

static int __kho_add_subtree(const char *name, void *blob, size_t size)
{
	int off, err;

	if (!kho_out.ready)
		return -EOPNOTSUPP;
	if (!kho_subtree_name_ok(name) || !blob)
		return -EINVAL;

	guard(mutex)(&kho_out.lock);
	off = fdt_add_subnode(kho_out.fdt, 0, name);
	if (off < 0)
		return off == -FDT_ERR_EXISTS ? -EEXIST :
		       off == -FDT_ERR_NOSPACE ? -ENOSPC : -EINVAL;
	err = fdt_setprop_u64(kho_out.fdt, off, KHO_FDT_SUB_DATA_PROP, virt_to_phys(blob));
	if (!err)
		err = fdt_setprop_u64(kho_out.fdt, off, KHO_FDT_SUB_SIZE_PROP, size);
	if (err) {
		fdt_del_node(kho_out.fdt, off);
		return err == -FDT_ERR_NOSPACE ? -ENOSPC : -EINVAL;
	}
	return 0;
}

/**
 * kho_add_subtree - name a blob in the root tree handed to the next kernel
 * @name: unique name, 1..63 characters, no '/', '@' or ':'
 * @blob: the blob; it must be preserved memory (e.g. kho_alloc_preserve())
 * @size: its size in bytes
 *
 * Only the address and size are recorded; the owner keeps the blob
 * preserved for as long as the subtree exists.
 *
 * Return: 0, -EOPNOTSUPP if KHO is off, -EINVAL for a bad name, -EEXIST
 * for a name in use, -ENOSPC when the root tree (one page) is full.
 */
int kho_add_subtree(const char *name, void *blob, size_t size)
{
	int ret = __kho_add_subtree(name, blob, size);

	trace_kho_subtree_add(name, size, ret);
	return ret;
}
EXPORT_SYMBOL_GPL(kho_add_subtree);

/**
 * kho_remove_subtree - remove the subtree whose blob is @blob
 * @blob: the blob given to kho_add_subtree()
 */
void kho_remove_subtree(void *blob)
{
	phys_addr_t phys = virt_to_phys(blob);
	int off;

	if (!kho_out.ready)
		return;
	guard(mutex)(&kho_out.lock);
	fdt_for_each_subnode(off, kho_out.fdt, 0) {
		const fdt64_t *p = fdt_getprop(kho_out.fdt, off, KHO_FDT_SUB_DATA_PROP, NULL);

		if (p && fdt64_to_cpu(*p) == phys) {
			const fdt64_t *sz;

			sz = fdt_getprop(kho_out.fdt, off, KHO_FDT_SUB_SIZE_PROP, NULL);
			trace_kho_subtree_remove(fdt_get_name(kho_out.fdt, off, NULL),
						 sz ? fdt64_to_cpu(*sz) : 0, 0);
			fdt_del_node(kho_out.fdt, off);
			return;
		}
	}
}
EXPORT_SYMBOL_GPL(kho_remove_subtree);

/* Does a preserved, not yet restored, block start at @addr and hold @size? */
static bool kho_in_block(phys_addr_t addr, u64 size)
{
	unsigned long pfn = PHYS_PFN(addr);
	unsigned int o;

	if (!PAGE_ALIGNED(addr) || !size || !kho_pfn_ok(pfn, 1))
		return false;
	guard(mutex)(&kho_in.lock);
	for (o = 0; o <= KHO_ORDER_MAX && IS_ALIGNED(pfn, 1UL << o); o++)
		if ((PAGE_SIZE << o) >= size &&
		    kho_tracker_test(&kho_in.tracker, kho_key_encode(pfn, o)))
			return true;
	return false;
}

/**
 * kho_retrieve_subtree - find a blob the previous kernel handed over
 * @name: its name
 * @phys: its physical address
 * @size: its size (may be NULL)
 *
 * The blob is still preserved memory, which the administrator may give
 * back to the allocator at any time (kho/in/release): restore it before
 * reading it, e.g. with kho_restore_subtree().
 *
 * Return: 0, -ENOENT if there was no handover or no such subtree, -EINVAL
 * if the subtree's description is malformed.
 */
int kho_retrieve_subtree(const char *name, phys_addr_t *phys, size_t *size)
{
	const fdt64_t *data, *len;
	int off, dlen, llen;
	u64 addr, bytes;

	if (!kho_in.active)
		return -ENOENT;
	off = fdt_subnode_offset(kho_in.fdt, 0, name);
	if (off < 0)
		return -ENOENT;
	data = fdt_getprop(kho_in.fdt, off, KHO_FDT_SUB_DATA_PROP, &dlen);
	len = fdt_getprop(kho_in.fdt, off, KHO_FDT_SUB_SIZE_PROP, &llen);
	if (!data || dlen != sizeof(*data) || !len || llen != sizeof(*len)) {
		pr_err("subtree %s: malformed description\n", name);
		return -EINVAL;
	}
	addr = fdt64_to_cpu(*data);
	bytes = fdt64_to_cpu(*len);
	if (!kho_in_block(addr, bytes)) {
		pr_err("subtree %s: blob %#llx+%#llx is not preserved memory\n", name, addr, bytes);
		return -EINVAL;
	}
	*phys = addr;
	if (size)
		*size = bytes;
	return 0;
}
EXPORT_SYMBOL_GPL(kho_retrieve_subtree);

/**
 * kho_restore_subtree - find and restore a blob the previous kernel handed over
 * @name: its name
 * @size: its size in bytes (may be NULL)
 *
 * The blob is restored (it is no longer preserved memory) before it is
 * returned, so nothing else can free it while its owner reads it.
 *
 * Return: the blob, a folio of this kernel now (give it back with
 * folio_put(virt_to_folio(blob))), or ERR_PTR:
 * -ENOENT if there was no handover or no such subtree, -EINVAL if the
 * subtree is malformed or its blob is not a preserved folio that holds it.
 */
void *kho_restore_subtree(const char *name, size_t *size)
{
	struct folio *folio;
	phys_addr_t phys;
	size_t bytes;
	int err;

	err = kho_retrieve_subtree(name, &phys, &bytes);
	if (err)
		return ERR_PTR(err);
	folio = kho_restore_folio(phys);
	if (!folio)
		return ERR_PTR(-EINVAL);
	if (folio_size(folio) < bytes) {
		pr_err("subtree %s: blob of %zu bytes in a folio of %zu\n", name, bytes,
		       folio_size(folio));
		folio_put(folio);
		return ERR_PTR(-EINVAL);
	}
	if (size)
		*size = bytes;
	return folio_address(folio);
}
EXPORT_SYMBOL_GPL(kho_restore_subtree);

/* ---------------------------------------------------------------------- */
/* Restoring (incoming)                                                    */
/* ---------------------------------------------------------------------- */

/*
 * Claim the preserved block that starts at @pfn: clear its bit so that it
 * can be restored only once. @order < 0 accepts any order up to
 * @max_order. Returns the order, or -ENOENT.
 */
static int __kho_claim_block(unsigned long pfn, int order, unsigned int max_order)
{
	unsigned int o;

	if (!kho_pfn_ok(pfn, 1))
		return -ENOENT;
	guard(mutex)(&kho_in.lock);
	if (!kho_in.active)
		return -ENOENT;
	for (o = 0; o <= max_order && IS_ALIGNED(pfn, 1UL << o); o++) {
		if (order >= 0 && o != order)
			continue;
		if (!kho_tracker_clear(&kho_in.tracker, kho_key_encode(pfn, o))) {
			kho_in.stats.restored_pages += 1UL << o;
			return o;
		}
	}
	return -ENOENT;
}

static int kho_claim_block(unsigned long pfn, int order, unsigned int max_order)
{
	int ret = __kho_claim_block(pfn, order, max_order);

	trace_kho_restore(pfn, ret < 0 ? max(order, 0) : ret, min(ret, 0));
	return ret;
}

/* Turn reserved pages back into pages the page allocator accounts for. */
static void kho_init_pages(struct page *page, unsigned long nr, bool compound)
{
	unsigned long i;

	for (i = 0; i < nr; i++) {
		ClearPageReserved(page + i);
		set_page_count(page + i, compound && i ? 0 : 1);
	}
	adjust_managed_page_count(page, nr);
}

/**
 * kho_restore_folio - restore a folio preserved by the previous kernel
 * @phys: physical address of the folio
 *
 * Return: the folio, with its preserved order and a reference, or NULL if
 * no folio was preserved at @phys or it was already restored.
 */
struct folio *kho_restore_folio(phys_addr_t phys)
{
	struct page *page;
	int order;

	if (!PAGE_ALIGNED(phys))
		return NULL;
	order = kho_claim_block(PHYS_PFN(phys), -1, MAX_PAGE_ORDER);
	if (order < 0)
		return NULL;
	page = pfn_to_page(PHYS_PFN(phys));
	kho_init_pages(page, 1UL << order, true);
	if (order)
		prep_compound_page(page, order);
	return page_folio(page);
}
EXPORT_SYMBOL_GPL(kho_restore_folio);

/**
 * kho_restore_pages - restore a page range preserved by the previous kernel
 * @phys: physical address of the first page
 * @nr_pages: number of pages, as given to kho_preserve_pages()
 *
 * Return: the first page; every page is an order-0 page with one
 * reference. NULL if the range was not preserved exactly like this (then
 * nothing is restored).
 */
struct page *kho_restore_pages(phys_addr_t phys, unsigned long nr_pages)
{
	unsigned long start = PHYS_PFN(phys), end = start + nr_pages, pfn;
	unsigned int order;

	if (!PAGE_ALIGNED(phys) || !nr_pages || !kho_pfn_ok(start, nr_pages))
		return NULL;
	/*
	 * All or nothing: check every block, then claim them all, under one
	 * hold of the lock, so that a concurrent restore of an overlapping
	 * range can take either all of them or none.
	 */
	scoped_guard(mutex, &kho_in.lock) {
		if (!kho_in.active)
			return NULL;
		for (pfn = start; pfn < end; pfn += 1UL << order) {
			order = block_order(pfn, end);
			if (!kho_tracker_test(&kho_in.tracker, kho_key_encode(pfn, order)))
				return NULL;
		}
		for (pfn = start; pfn < end; pfn += 1UL << order) {
			u64 key;

			order = block_order(pfn, end);
			key = kho_key_encode(pfn, order);
			WARN_ON_ONCE(kho_tracker_clear(&kho_in.tracker, key));
			kho_in.stats.restored_pages += 1UL << order;
		}
	}
	for (pfn = start; pfn < end; pfn += 1UL << order) {
		order = block_order(pfn, end);
		trace_kho_restore(pfn, order, 0);
		kho_init_pages(pfn_to_page(pfn), 1UL << order, false);
	}
	return pfn_to_page(start);
}
EXPORT_SYMBOL_GPL(kho_restore_pages);

/**
 * kho_restore_free - restore and free memory from kho_alloc_preserve()
 * @mem: the memory in this kernel (phys_to_virt() of the blob address)
 */
void kho_restore_free(void *mem)
{
	struct folio *folio = kho_restore_folio(virt_to_phys(mem));

	if (folio)
		folio_put(folio);
}
EXPORT_SYMBOL_GPL(kho_restore_free);

/**
 * kho_restore_vmalloc - restore a vmalloc area preserved by the previous kernel
 * @preservation: as filled in by kho_preserve_vmalloc() there
 *
 * Return: the area (free it with vfree()), or NULL if the description is
 * invalid or the memory was not preserved; then everything restored on
 * the way is freed again.
 */
void *kho_restore_vmalloc(const struct kho_vmalloc *preservation)
{
	unsigned long total = preservation->total_pages, n = 0;
	phys_addr_t next = preservation->first;
	unsigned long max_chunks = total / KHO_VMALLOC_CHUNK_ENTRIES + 1;
	struct page **pages;
	void *addr;

	if (!total || preservation->order || preservation->flags || !next ||
	    total > totalram_pages())
		return NULL;
	pages = kvmalloc_array(total, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return NULL;
	while (next && max_chunks--) {
		struct page *cpage = kho_restore_pages(next, 1);
		struct kho_vmalloc_chunk_ser *chunk;
		u64 i, nr;

		if (!cpage)
			goto err_free;
		chunk = page_address(cpage);
		nr = chunk->nr_phys;
		for (i = 0; i < nr && i < KHO_VMALLOC_CHUNK_ENTRIES && n < total; i++) {
			struct page *page = kho_restore_pages(chunk->phys[i], 1);

			if (!page)
				break;
			pages[n++] = page;
		}
		next = chunk->next;
		__free_page(cpage);
		if (i != nr)
			goto err_free;
	}
	if (n != total || next)
		goto err_free;
	addr = vmap(pages, total, VM_MAP | VM_MAP_PUT_PAGES, PAGE_KERNEL);
	if (addr) {
		trace_kho_vmalloc_restore(total, 0);
		return addr;
	}
err_free:
	pr_err("vmalloc area %#llx: malformed or not preserved (%lu of %lu pages)\n",
	       preservation->first, n, total);
	while (n)
		__free_page(pages[--n]);
	kvfree(pages);
	trace_kho_vmalloc_restore(total, -EINVAL);
	return NULL;
}
EXPORT_SYMBOL_GPL(kho_restore_vmalloc);

/* ---------------------------------------------------------------------- */
/* Boot: receiving a handover                                             */
/* ---------------------------------------------------------------------- */

static phys_addr_t kho_kernel_start __initdata, kho_kernel_size __initdata;
static u64 kho_boot_ns __initdata;	/* time this boot spent receiving */

static bool __init kho_overlaps_kernel(phys_addr_t addr, phys_addr_t size)
{
	return range_overlaps(addr, size, kho_kernel_start, kho_kernel_size);
}

/* RAM, page aligned, not the kernel and not scratch: where preserved data may live. */
static bool __init kho_preserved_range_ok(phys_addr_t addr, phys_addr_t size)
{
	return PAGE_ALIGNED(addr) && size && addr + size > addr &&
	       memblock_is_region_memory(addr, size) &&
	       !kho_overlaps_kernel(addr, size) && !kho_in_scratch(addr, size);
}

/*
 * Bytes of memory map (struct page) the RAM memblock knows needs; with
 * SPARSEMEM every section that holds RAM gets a whole one.
 */
static phys_addr_t __init kho_memmap_size(void)
{
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
	return (phys_addr_t)sections * PAGES_PER_SECTION * sizeof(struct page);
#else
	return (memblock_phys_mem_size() >> PAGE_SHIFT) * sizeof(struct page);
#endif
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
	struct kho_scratch_ser *ser = NULL;
	const fdt64_t *root = NULL;
	unsigned int i, j, nr;
	void *fdt = NULL;
	const char *why;
	int len;

	u64 t0 = sched_clock();

	if (!kho_enable) {
		pr_info("handover from the previous kernel ignored (kho=off)\n");
		return;
	}
	liveupdate_stamp_entry();
	kho_kernel_start = __pa_symbol(_text);
	kho_kernel_size = __pa_symbol(_end) - kho_kernel_start;

	why = "bad root tree address or size";
	if (!PAGE_ALIGNED(fdt_phys) || fdt_len < sizeof(struct fdt_header) ||
	    fdt_len > KHO_FDT_MAX_SIZE || !memblock_is_region_memory(fdt_phys, fdt_len) ||
	    kho_overlaps_kernel(fdt_phys, fdt_len))
		goto err;
	why = "bad scratch array address or size";
	if (!scratch_len || scratch_len % sizeof(*ser) ||
	    scratch_len > KHO_SCRATCH_MAX * sizeof(*ser) || !IS_ALIGNED(scratch_phys, 8) ||
	    !memblock_is_region_memory(scratch_phys, scratch_len))
		goto err;

	fdt = early_memremap(fdt_phys, fdt_len);
	why = "cannot map the root tree";
	if (!fdt)
		goto err;
	why = "root tree is not a valid FDT";
	if (fdt_check_header(fdt) || fdt_totalsize(fdt) > fdt_len)
		goto err;
	why = "incompatible root tree (expected " KHO_FDT_COMPATIBLE ")";
	if (fdt_node_check_compatible(fdt, 0, KHO_FDT_COMPATIBLE))
		goto err;
	why = "root tree has no valid " KHO_FDT_MEMORY_MAP_PROP;
	root = fdt_getprop(fdt, 0, KHO_FDT_MEMORY_MAP_PROP, &len);
	if (!root || len != sizeof(*root))
		goto err;
	kho_in.tracker.root = fdt64_to_cpu(*root);

	nr = scratch_len / sizeof(*ser);
	ser = early_memremap(scratch_phys, scratch_len);
	why = "cannot map the scratch array";
	if (!ser)
		goto err;
	why = "scratch area outside RAM, unaligned or overlapping";
	for (i = 0; i < nr; i++) {
		phys_addr_t a = ser[i].addr, s = ser[i].size;

		if (!PAGE_ALIGNED(a) || !PAGE_ALIGNED(s) || !s || a + s < a ||
		    !memblock_is_region_memory(a, s))
			goto err;
		for (j = 0; j < i; j++)
			if (range_overlaps(a, s, kho_scratch[j].addr, kho_scratch[j].size))
				goto err;
		kho_scratch[i].addr = a;
		kho_scratch[i].size = s;
	}
	kho_nr_scratch = nr;
	why = "root tree in scratch, or tracker root not in preserved RAM";
	if (kho_in_scratch(fdt_phys, fdt_len) ||
	    (kho_in.tracker.root && !kho_preserved_range_ok(kho_in.tracker.root, PAGE_SIZE)))
		goto err;
	why = kho_scratch_enough();
	if (why)
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
	kho_boot_ns = sched_clock() - t0;
	pr_info("found kexec handover data: %u scratch areas, root tree at %pa\n",
		nr, &fdt_phys);
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

/* State of the two walks of the incoming tracker (kho_memory_init). */
struct kho_walk {
	unsigned long nodes, keys, limit;
	unsigned long done;	/* items reserved so far (reserving walk) */
	unsigned long undo;	/* items to release again (undo walk) */
	const char *why;
	phys_addr_t bad;
};

static int __init kho_check_node(phys_addr_t phys, int level, void *arg)
{
	struct kho_walk *w = arg;

	if (++w->nodes > w->limit || !kho_preserved_range_ok(phys, PAGE_SIZE)) {
		w->why = w->nodes > w->limit ? "too many tracker nodes" : "tracker node not in RAM";
		w->bad = phys;
		return -EINVAL;
	}
	return 0;
}

static int __init kho_check_key(u64 key, void *arg)
{
	struct kho_walk *w = arg;
	unsigned long pfn;
	unsigned int order;

	if (++w->keys > w->limit || !kho_key_decode(key, &pfn, &order) ||
	    !kho_preserved_range_ok(PFN_PHYS(pfn), PAGE_SIZE << order)) {
		w->why = "preserved block outside RAM, in scratch or over the kernel";
		w->bad = key;
		return -EINVAL;
	}
	kho_in.stats.blocks[order]++;
	kho_in.stats.pages += 1UL << order;
	return 0;
}

static int __init kho_reserve_one(phys_addr_t addr, phys_addr_t size, struct kho_walk *w)
{
	if (w->undo) {
		memblock_phys_free(addr, size);
		return --w->undo ? 0 : 1;
	}
	/* Overlaps with anything reserved (other blocks, nodes) are corrupt. */
	if (memblock_is_region_reserved(addr, size) || memblock_reserve(addr, size)) {
		w->why = "preserved memory overlaps other preserved or reserved memory";
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

static const struct kho_tracker_walk_ops kho_check_ops __initconst = {
	.node = kho_check_node,
	.key = kho_check_key,
};

static const struct kho_tracker_walk_ops kho_reserve_ops __initconst = {
	.node = kho_reserve_node,
	.key = kho_reserve_key,
};

/* Validate, then reserve, the incoming tree and everything it tracks. */
static int __init kho_in_reserve(void)
{
	struct kho_walk w = { .limit = memblock_phys_mem_size() >> PAGE_SHIFT };
	int ret;

	ret = kho_tracker_walk(&kho_in.tracker, &kho_check_ops, &w);
	if (ret)
		goto err;
	if (memblock_is_region_reserved(kho_in.fdt_phys, PAGE_SIZE)) {
		w.why = "root tree overlaps reserved memory";
		goto err;
	}
	memblock_reserve(kho_in.fdt_phys, PAGE_SIZE);
	w.nodes = 0;
	w.keys = 0;
	ret = kho_tracker_walk(&kho_in.tracker, &kho_reserve_ops, &w);
	if (ret) {
		/* Release exactly the items the failed walk reserved. */
		w.undo = w.done;
		if (w.undo)
			kho_tracker_walk(&kho_in.tracker, &kho_reserve_ops, &w);
		memblock_phys_free(kho_in.fdt_phys, PAGE_SIZE);
		goto err;
	}
	kho_in.tracker.reserved_nodes = true;
	kho_in.tracker.nr_nodes = w.nodes;
	return 0;
err:
	pr_err("invalid handover: %s (%#llx); booting without it\n", w.why, (u64)w.bad);
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
	u64 t0 = sched_clock();

	if (kho_in.active) {
		if (kho_in_reserve())
			kho_in.active = false;
		else
			liveupdate_stamp_kho_ready();
		memblock_clear_kho_scratch_only();
		kho_boot_ns += sched_clock() - t0;
		if (kho_in.active)
			pr_info("%lu preserved pages in %lu tracker pages reserved for restore; boot work %llu us\n",
				kho_in.stats.pages, kho_in.tracker.nr_nodes,
				div_u64(kho_boot_ns, NSEC_PER_USEC));
	} else if (kho_enable) {
		kho_reserve_scratch();
	}
	if (kho_enable)
		kho_mark_scratch();
}

/* ---------------------------------------------------------------------- */
/* kexec_file                                                              */
/* ---------------------------------------------------------------------- */

/**
 * kho_fill_kimage - tell a kexec image where the handover is
 * @image: the image being loaded by kexec_file_load()
 *
 * Return: 0 (the image carries no handover when KHO is off).
 */
int kho_fill_kimage(struct kimage *image)
{
	if (!kho_out.ready || image->type == KEXEC_TYPE_CRASH)
		return 0;
	image->kho.fdt = virt_to_phys(kho_out.fdt);
	image->kho.scratch = virt_to_phys(kho_out.scratch);
	image->kho.scratch_size = kho_nr_scratch * sizeof(*kho_out.scratch);
	return 0;
}

/**
 * kho_image_carries_handover - will this kexec image hand memory over
 * @image: a loaded kexec image
 *
 * Only an image loaded with kexec_file_load() while KHO is on carries the
 * handover (kexec_load() images are built by userspace and know nothing of
 * it), and only if it does not return to this kernel (kexec jump).
 *
 * Return: true if the next kernel will receive what is preserved.
 */
bool kho_image_carries_handover(const struct kimage *image)
{
#ifdef CONFIG_KEXEC_JUMP
	if (image->preserve_context)
		return false;
#endif
	return image->type == KEXEC_TYPE_DEFAULT && image->kho.fdt;
}

/**
 * kho_locate_mem_hole - place a kexec segment inside scratch
 * @kbuf: the segment
 * @func: the generic placement callback, tried on every scratch area
 *
 * Return: 0 if placed, -EADDRNOTAVAIL if no scratch area fits, 1 if KHO
 * does not place this segment (the caller uses its default).
 */
int kho_locate_mem_hole(struct kexec_buf *kbuf, int (*func)(struct resource *, void *))
{
	unsigned int i, n = kho_nr_scratch;

	if (!kho_out.ready || kbuf->image->type == KEXEC_TYPE_CRASH)
		return 1;
	for (i = 0; i < n; i++) {
		const struct kho_scratch *s = &kho_scratch[kbuf->top_down ? n - 1 - i : i];
		struct resource res = DEFINE_RES_MEM(s->addr, s->size);

		if (func(&res, kbuf) == 1)
			return 0;
	}
	return -EADDRNOTAVAIL;
}

/* ---------------------------------------------------------------------- */
/* Statistics, release, debug                                              */
/* ---------------------------------------------------------------------- */

void kho_out_stats(unsigned long *blocks, unsigned long *nr_nodes)
{
	guard(mutex)(&kho_out.lock);
	memcpy(blocks, kho_out.blocks, sizeof(kho_out.blocks));
	*nr_nodes = kho_out.tracker.nr_nodes;
}

void kho_in_stats_get(struct kho_in_stats *stats)
{
	guard(mutex)(&kho_in.lock);
	*stats = kho_in.stats;
}

static int kho_release_key(u64 key, void *arg)
{
	unsigned long pfn, *released = arg;
	unsigned int order;

	if (!kho_key_decode(key, &pfn, &order))
		return 0;
	kho_init_pages(pfn_to_page(pfn), 1UL << order, false);
	for (unsigned long i = 0; i < (1UL << order); i++)
		__free_page(pfn_to_page(pfn + i));
	*released += 1UL << order;
	return 0;
}

/**
 * kho_release_unrestored - give memory nobody restored to the page allocator
 *
 * After this, nothing more can be restored from this handover.
 *
 * Return: the number of pages given back.
 */
unsigned long kho_release_unrestored(void)
{
	static const struct kho_tracker_walk_ops ops = { .key = kho_release_key };
	unsigned long released = 0;

	guard(mutex)(&kho_in.lock);
	if (!kho_in.active)
		return 0;
	kho_tracker_walk(&kho_in.tracker, &ops, &released);
	kho_tracker_destroy(&kho_in.tracker);
	kho_in.stats.released_pages += released;
	kho_in.active = false;
	pr_info("released %lu preserved pages nobody restored\n", released);
	return released;
}

#ifdef CONFIG_KEXEC_HANDOVER_DEBUG
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
#endif

/* ---------------------------------------------------------------------- */
/* Init                                                                    */
/* ---------------------------------------------------------------------- */

static int __init kho_out_init(void)
{
	unsigned int i;
	int err;

	kho_out.fdt = (void *)get_zeroed_page(GFP_KERNEL);
	kho_out.scratch = (void *)get_zeroed_page(GFP_KERNEL);
	if (!kho_out.fdt || !kho_out.scratch)
		goto err_free;
	err = fdt_create_empty_tree(kho_out.fdt, PAGE_SIZE);
	err = err ?: fdt_setprop_string(kho_out.fdt, 0, "compatible", KHO_FDT_COMPATIBLE);
	err = err ?: fdt_setprop_u64(kho_out.fdt, 0, KHO_FDT_MEMORY_MAP_PROP, 0);
	if (err)
		goto err_free;
	for (i = 0; i < kho_nr_scratch; i++) {
		kho_out.scratch[i].addr = kho_scratch[i].addr;
		kho_out.scratch[i].size = kho_scratch[i].size;
	}
	kho_out.ready = true;
	return 0;

err_free:
	free_page((unsigned long)kho_out.fdt);
	free_page((unsigned long)kho_out.scratch);
	kho_out.fdt = NULL;
	kho_out.scratch = NULL;
	return -ENOMEM;
}

static int __init kho_in_init(void)
{
	if (!kho_in.active)
		return 0;
	kho_in.fdt = phys_to_virt(kho_in.fdt_phys);
	return 0;
}

/*
 * Early enough for owners at later initcall levels (fs_initcall and after)
 * to restore and preserve; the incoming side needs nothing but the direct map.
 */
static int __init kho_init(void)
{
	unsigned int i;
	int err;

	kho_in_init();
	if (!kho_enable)
		return 0;
	err = kho_out_init();
	if (err) {
		pr_err("cannot set up the outgoing handover: %pe\n", ERR_PTR(err));
		kho_enable = false;
		return err;
	}
	for (i = 0; i < kho_nr_scratch; i++)
		pr_info("scratch area %u: %pa + %pa\n", i, &kho_scratch[i].addr,
			&kho_scratch[i].size);
	return 0;
}
core_initcall(kho_init);

/* debugfs itself is set up at core_initcall, after this directory's code. */
static int __init kho_debugfs_setup(void)
{
	if (!kho_out.ready)
		return 0;
	kho_debugfs_init();
	kho_debugfs_out(kho_out.fdt, kho_scratch, kho_nr_scratch);
	if (kho_in.active)
		kho_debugfs_in(kho_in.fdt, kho_scratch, kho_nr_scratch);
	return 0;
}
fs_initcall(kho_debugfs_setup);
