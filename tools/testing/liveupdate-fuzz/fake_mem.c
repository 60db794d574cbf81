// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * The fake physical memory of the fuzz targets.
 *
 * The machine is the guest the seed corpus was captured on (1 GiB, QEMU's
 * layout): physical addresses in an input mean what they meant there. Up to
 * FM_SLOTS pages get their content from the input ("backed"); each lives in
 * its own page of an arena, between guard pages that AddressSanitizer
 * poisons, so a reader that runs past the end of a page is caught. While
 * the readers run, the arena is read-only: they must not write to what they
 * read (the checks are side-effect free). RAM the input says nothing about
 * reads as zeros, from one read-only page; reading anything that is not RAM
 * is a bug in the reader, reported with fz_bug().
 *
 * Every backed page outside this kernel's image is preserved memory: the
 * memory operations (fz_block_ops) restore it once, as kho_restore_pages()
 * does, and never again, even after it was given back.
 */

#include <sanitizer/asan_interface.h>
#include <sys/mman.h>

#include <linux/kho_block.h>

#include "fuzz.h"

struct fm_range {
	u64 start, end;
};

/*
 * memblock.memory of the capture guest (-m 1G): its e820 "usable" ranges,
 * page-trimmed, without page 0 (which x86 reserves).
 */
static const struct fm_range fm_ram_map[] = {
	{ 0x1000, 0x9f000 },
	{ 0x100000, 0x3ffdd000 },
};

/*
 * The receiving kernel's image: where the capture guest's kexec'd kernel
 * ran ("Kernel code" to the end of "Kernel bss" in its /proc/iomem, inside
 * a scratch area, as on every KHO boot).
 */
const u64 fm_kernel_start = 0x2da00000;
const u64 fm_kernel_size = 0x1400000;

bool (*fm_read_ok)(phys_addr_t phys);
unsigned long fm_out;
unsigned int fz_fix_budget;

#define FM_HASH		4096	/* buckets, a power of two above FM_SLOTS */

static struct {
	u8 *arena;		/* guard, slot 0, guard, slot 1, ..., guard */
	u8 *zero;		/* what unbacked RAM reads as */
	struct page pages[FM_SLOTS];
	unsigned int nr;
	u32 bucket[FM_HASH];	/* slot + 1, by pfn */
	bool readonly;
} fm;

/* The page read last, and the hook it passed: walks read a table 512 times. */
static struct {
	phys_addr_t phys;
	u8 *virt;
	bool (*hook)(phys_addr_t phys);
} fm_last = { .phys = 1 };

static void *slot_virt(unsigned int i)
{
	return fm.arena + (2 * (size_t)i + 1) * PAGE_SIZE;
}

static size_t arena_size(void)
{
	return (2 * (size_t)FM_SLOTS + 1) * PAGE_SIZE;
}

static void fm_init(void)
{
	fm.arena = mmap(NULL, arena_size(), PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	fm.zero = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fm.arena == MAP_FAILED || fm.zero == MAP_FAILED)
		fz_bug("cannot map the fake physical memory");
	ASAN_POISON_MEMORY_REGION(fm.arena, arena_size());
}

bool fm_ram(u64 addr, u64 size, void *arg)
{
	for (size_t i = 0; i < ARRAY_SIZE(fm_ram_map); i++)
		if (addr >= fm_ram_map[i].start && addr < fm_ram_map[i].end)
			return size <= fm_ram_map[i].end - addr;
	return false;
}

unsigned long fm_ram_pages(void)
{
	unsigned long n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(fm_ram_map); i++)
		n += (fm_ram_map[i].end - fm_ram_map[i].start) >> PAGE_SHIFT;
	return n;
}

bool fm_pfn_valid(unsigned long pfn)
{
	return pfn < (1UL << (64 - PAGE_SHIFT)) && fm_ram(PFN_PHYS(pfn), PAGE_SIZE, NULL);
}

static u32 *bucket_of(unsigned long pfn)
{
	unsigned int h = (unsigned int)((pfn * 0x9e3779b97f4a7c15ULL) >> 52) & (FM_HASH - 1);

	while (fm.bucket[h] && fm.pages[fm.bucket[h] - 1].phys != PFN_PHYS(pfn))
		h = (h + 1) & (FM_HASH - 1);
	return &fm.bucket[h];
}

struct page *fm_page(phys_addr_t phys)
{
	u32 *b;

	if (!fm.arena)
		return NULL;
	b = bucket_of(PHYS_PFN(phys));
	return *b ? &fm.pages[*b - 1] : NULL;
}

unsigned int fm_slot(const struct page *pg)
{
	return pg - fm.pages;
}

void fm_protect(bool readonly)
{
	if (fm.nr && mprotect(fm.arena, 2 * (size_t)fm.nr * PAGE_SIZE,
			      readonly ? PROT_READ : PROT_READ | PROT_WRITE))
		fz_bug("mprotect of the fake physical memory failed");
	fm.readonly = readonly;
}

void fm_reset(void)
{
	if (!fm.arena)
		fm_init();
	if (fm.readonly)
		fm_protect(false);
	for (unsigned int i = 0; i < fm.nr; i++)
		ASAN_POISON_MEMORY_REGION(slot_virt(i), PAGE_SIZE);
	memset(fm.bucket, 0, sizeof(fm.bucket));
	memset(fm.pages, 0, fm.nr * sizeof(fm.pages[0]));
	fm.nr = 0;
	fm_out = 0;
	fm_read_ok = NULL;
	fm_last.phys = 1;
	fz_fix_budget = 4 * FM_SLOTS;
}

/* Place one page of the input; false if it cannot be there. */
static bool fm_place(u64 phys, const u8 *data, size_t len)
{
	struct page *pg;
	u32 *b;

	if (fm.nr == FM_SLOTS || !PAGE_ALIGNED(phys) || !fm_ram(phys, PAGE_SIZE, NULL))
		return false;
	b = bucket_of(PHYS_PFN(phys));
	if (*b)
		return false;	/* the first copy of a page wins */
	pg = &fm.pages[fm.nr];
	pg->virt = slot_virt(fm.nr);
	pg->phys = phys;
	pg->backed = true;
	pg->preserved = !(phys < fm_kernel_start + fm_kernel_size &&
			  fm_kernel_start < phys + PAGE_SIZE);
	INIT_LIST_HEAD(&pg->lru);
	ASAN_UNPOISON_MEMORY_REGION(pg->virt, PAGE_SIZE);
	memcpy(pg->virt, data, min(len, PAGE_SIZE));
	if (len < PAGE_SIZE)
		memset((u8 *)pg->virt + len, 0, PAGE_SIZE - len);
	*b = ++fm.nr;
	return true;
}

/**
 * fm_load - reset the fake memory and place every page of an input
 * @in: the input
 *
 * Return: the number of pages placed.
 */
unsigned int fm_load(const struct fz_input *in)
{
	fm_reset();
	for (unsigned int i = 0; i < in->nr; i++) {
		const struct fz_rec *r = &in->rec[i];

		if (r->kind != FZ_CHAIN && r->kind != FZ_PAGES)
			continue;
		for (size_t off = 0; off + 8 < r->len; off += FZ_PAGE_REC) {
			u64 phys;

			memcpy(&phys, r->data + off, sizeof(phys));
			fm_place(phys, r->data + off + 8, min(r->len - off - 8, PAGE_SIZE));
		}
	}
	return fm.nr;
}

void *fm_phys_to_virt(phys_addr_t phys)
{
	phys_addr_t base = phys & PAGE_MASK;
	struct page *pg;

	if (base == fm_last.phys && fm_read_ok == fm_last.hook)
		return fm_last.virt + (phys & ~PAGE_MASK);
	if (fm_read_ok && !fm_read_ok(base))
		fz_bug("physical page %#llx read before it was checked", base);
	pg = fm_page(base);
	if (pg)
		fm_last.virt = pg->virt;
	else if (fm_ram(phys, 1, NULL))
		fm_last.virt = fm.zero;
	else
		fz_bug("read of physical address %#llx, which is not RAM", phys);
	fm_last.phys = base;
	fm_last.hook = fm_read_ok;
	return fm_last.virt + (phys & ~PAGE_MASK);
}

struct page *fm_virt_to_page(const void *virt)
{
	const u8 *v = virt;
	size_t off;

	if (fm.arena && v >= fm.arena && v < fm.arena + arena_size()) {
		off = (size_t)(v - fm.arena) / PAGE_SIZE;
		if (off % 2 && off / 2 < fm.nr)
			return &fm.pages[off / 2];
	}
	fz_bug("virt_to_page(%p): not a page of the fake memory the input placed", virt);
}

/* Restore an incoming block: preserved, whole, and only once. */
static void *fz_restore(phys_addr_t phys)
{
	struct page *pg = PAGE_ALIGNED(phys) ? fm_page(phys) : NULL;

	if (!pg || !pg->preserved || pg->restored)
		return NULL;
	pg->restored = true;
	pg->out = true;
	fm_out++;
	return pg->virt;
}

static void fz_put(void *block)
{
	struct page *pg = fm_virt_to_page(block);

	if (block != pg->virt || !pg->out)
		fz_bug("block %#llx given back but not restored (or given back twice)", pg->phys);
	pg->out = false;
	fm_out--;
}

static void *fz_alloc(void)
{
	FZ_NEVER("kho_block alloc");
}

static void fz_free(void *block)
{
	FZ_NEVER("kho_block free (of an outgoing block)");
}

const struct kho_block_mem_ops fz_block_ops = {
	.alloc = fz_alloc,
	.free = fz_free,
	.restore = fz_restore,
	.put = fz_put,
};
