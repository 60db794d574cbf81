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
 * 4. **Next kernel, boot**: the handover is checked (kho_check.c) and what
 *    it preserves reserved before the page allocator starts (kho_boot.c);
 *    anything wrong, and the kernel boots cold with a ``KHO:`` error.
 * 5. **Restore**: owners find their blobs with kho_retrieve_subtree() and
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
#include <linux/liveupdate_format.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/xxhash.h>

#include "../../mm/internal.h"
#include "kexec_handover_internal.h"

/* All liveupdate trace events are created here (KHO is under all of them). */
#define CREATE_TRACE_POINTS
#include <trace/events/liveupdate.h>

/* The root tree and the tracker: "kho-v2" (kho/abi/kexec_handover.h). */
LIVEUPDATE_FORMAT(kho_format, "kho", LIVEUPDATE_V(2), LIVEUPDATE_V(2), 2, 0);
/*
 * kho_block sets: "kho-block-v2" (kho/abi/block.h). Declared here because
 * kho_block.c also builds on the host, for the fuzzers.
 */
LIVEUPDATE_FORMAT(kho_block_format, "kho-block", LIVEUPDATE_V(2), LIVEUPDATE_V(2), 2, 0);

bool kho_enable __ro_after_init = IS_ENABLED(CONFIG_KEXEC_HANDOVER_ENABLE_DEFAULT);

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

/* The scratch areas of this kernel: reserved at cold boot, or received. */
struct kho_scratch kho_scratch[KHO_SCRATCH_MAX];
unsigned int kho_nr_scratch;

struct kho_out_state kho_out = {
	.lock = __MUTEX_INITIALIZER(kho_out.lock),
};

struct kho_in_state kho_in = {
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

/**
 * kho_in_scratch - does a range overlap one of this kernel's scratch areas
 * @addr: start
 * @size: size in bytes
 *
 * Return: true if it does.
 */
bool kho_in_scratch(phys_addr_t addr, phys_addr_t size)
{
	unsigned int i;

	for (i = 0; i < kho_nr_scratch; i++)
		if (kho_ranges_overlap(addr, size, kho_scratch[i].addr, kho_scratch[i].size))
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

/*
 * Set a u64 property of the root tree in place. It fails only on a tree
 * damaged on purpose (KHO debug), which the next kernel rejects anyway.
 */
static int kho_out_set_u64(const char *name, u64 val)
{
	fdt64_t v = cpu_to_fdt64(val);

	return fdt_setprop_inplace(kho_out.fdt, 0, name, &v, sizeof(v));
}

/* Seal the handover: the hashes the next kernel checks (abi/kexec_handover.h). */
static void kho_seal(void)
{
	const void *where;
	int len;

	if (kho_out_set_u64(KHO_FDT_TRACKER_HASH_PROP, kho_tracker_hash(&kho_out.tracker)) ||
	    kho_out_set_u64(KHO_FDT_SCRATCH_HASH_PROP,
			    xxh64(kho_out.scratch, kho_nr_scratch * sizeof(*kho_out.scratch), 0)) ||
	    kho_out_set_u64(KHO_FDT_HASH_PROP, 0))
		return;
	where = fdt_getprop(kho_out.fdt, 0, KHO_FDT_HASH_PROP, &len);
	kho_out_set_u64(KHO_FDT_HASH_PROP, kho_fdt_hash(kho_out.fdt, where));
}

/**
 * kho_kexec_jump - the last step before the jump into the next kernel
 *
 * Called by kernel_kexec() right before machine_kexec(), when no other CPU
 * runs: live update stamps its blackout record, then KHO seals the
 * handover with the hashes the next kernel checks, and a test kernel may
 * damage what was sealed (LIVEUPDATE_TEST). Nothing may change the
 * handover after this.
 */
void kho_kexec_jump(void)
{
	liveupdate_jump();
	if (kho_out.ready)
		kho_seal();
	liveupdate_test_damage();
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
	/* Filled in right before the jump (kho_kexec_jump()). */
	err = err ?: fdt_setprop_u64(kho_out.fdt, 0, KHO_FDT_TRACKER_HASH_PROP, 0);
	err = err ?: fdt_setprop_u64(kho_out.fdt, 0, KHO_FDT_SCRATCH_HASH_PROP, 0);
	err = err ?: fdt_setprop_u64(kho_out.fdt, 0, KHO_FDT_HASH_PROP, 0);
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
