// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * The kernel side of the harness: the log, what a reader of incoming data
 * never calls, the bit search of the shim, and the fixups that let
 * mutations reach the checks behind the hashes.
 */

#include <linux/kexec_handover.h>
#include <linux/kho_block.h>
#include <linux/xxhash.h>

#include "fuzz.h"

/* The kernel's log: formatted (so that every argument is used), shown with FUZZ_VERBOSE=1. */
void fz_log(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (fz_verbose)
		fprintf(fz_err, "kernel: %s", buf);
}

/* What a reader of incoming data never calls (include/linux/kexec_handover.h). */
void *kho_alloc_preserve(size_t size)
{
	FZ_NEVER("kho_alloc_preserve");
}

void kho_unpreserve_free(void *mem)
{
	FZ_NEVER("kho_unpreserve_free");
}

struct page *kho_restore_pages(phys_addr_t phys, unsigned long nr_pages)
{
	FZ_NEVER("kho_restore_pages (a set without the fuzz memory operations)");
}

unsigned long find_next_bit(const unsigned long *addr, unsigned long size, unsigned long off)
{
	while (off < size) {
		unsigned long w = addr[off / BITS_PER_LONG] >> (off % BITS_PER_LONG);

		if (w)
			return min(off + __builtin_ctzl(w), size);
		off = (off / BITS_PER_LONG + 1) * BITS_PER_LONG;
	}
	return size;
}

static u64 hash_link(u64 hash, u64 phys)
{
	__le64 le = cpu_to_le64(phys);

	return xxh64(&le, sizeof(le), hash);
}

/**
 * fz_fix_set - make a set's description what a writer of its chain wrote
 * @ser: the description
 * @entry_size: the size of an entry the receiver expects
 * @flags: FZ_FIX_COUNT to set the count too
 * @entry: called for every entry before it is hashed (may be NULL)
 * @arg: passed to @entry
 *
 * The chain is followed through backed pages as long as it looks like one
 * a writer produced (1..capacity entries a block, no block twice); the
 * hash (abi/block.h) covers what was followed.
 */
void fz_fix_set(struct kho_block_set_ser *ser, size_t entry_size, u64 flags,
		void (*entry)(void *e, void *arg), void *arg)
{
	unsigned long seen[FM_SLOTS / BITS_PER_LONG] = {};
	u64 phys = ser->head, hash = 0, total = 0;
	unsigned long per;

	if (!entry_size || entry_size > PAGE_SIZE - sizeof(struct kho_block_header_ser))
		return;
	per = (PAGE_SIZE - sizeof(struct kho_block_header_ser)) / entry_size;
	while (phys && fz_fix_budget) {
		struct page *pg = PAGE_ALIGNED(phys) ? fm_page(phys) : NULL;
		struct kho_block_header_ser *hdr;

		if (!pg || __test_and_set_bit(fm_slot(pg), seen))
			break;
		fz_fix_budget--;
		hdr = pg->virt;
		if (hdr->count < 1 || hdr->count > per)
			break;
		hash = hash_link(hash, phys);
		for (u64 i = 0; i < hdr->count; i++) {
			void *e = (u8 *)(hdr + 1) + i * entry_size;

			if (entry)
				entry(e, arg);
			hash = xxh64(e, entry_size, hash);
		}
		total += hdr->count;
		phys = hdr->next;
	}
	ser->hash = hash;
	if (flags & FZ_FIX_COUNT)
		ser->count = total;
}
