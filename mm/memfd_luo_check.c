// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: memfd handover validation
 *
 * What the memfd handler reads from the previous kernel, checked before it
 * is used: the description of a preserved memfd (its hash, a size the
 * kernel can have, a position inside it, known seals and mode bits, no
 * reserved bit, no more folios than the file has pages, than there are
 * records or than the machine has pages) and each folio record (the
 * order first, since every shift depends on it; an index inside the file,
 * aligned to the order and after the previous folio; known flags; a page
 * frame number the tracker can name). The chain of records is checked by
 * kho_block. In "memfd-v4" a record is a run of folios (an extent): the
 * checks of a record for its first folio, and a run of at least one
 * folio that stays inside the file and below the page frame limit.
 *
 * No side effects: memfd_luo.c claims the folios the valid records name,
 * through the callback given to memfd_luo_check_records(). The file builds
 * on the host too, where fuzz targets feed it arbitrary records.
 */

#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/kho_block.h>
#include <linux/math.h>
#include <linux/mm.h>
#include <linux/stat.h>
#include <linux/xxhash.h>

#include "memfd_luo_check.h"

#define MEMFD_KNOWN_SEALS	(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | \
				 F_SEAL_FUTURE_WRITE | F_SEAL_EXEC)
/* Page frames the KHO tracker can name (52-bit physical addresses). */
#define MEMFD_LUO_PFN_LIMIT	(1ULL << (52 - PAGE_SHIFT))

/**
 * memfd_luo_ser_hash - the hash of a memfd's description (abi/memfd.h)
 * @ser: the description
 *
 * Return: xxh64 of the bytes before its hash.
 */
u64 memfd_luo_ser_hash(const struct memfd_luo_ser *ser)
{
	return xxh64(ser, offsetof(struct memfd_luo_ser, hash), 0);
}

/**
 * memfd_luo_check_desc - check the description of a preserved memfd
 * @ser: the description, from the previous kernel
 * @version: the version it was written at (MEMFD_LUO_V_*)
 *
 * Return: NULL, or what is wrong.
 */
const char *memfd_luo_check_desc(const struct memfd_luo_ser *ser, unsigned int version)
{
	u64 records = version == MEMFD_LUO_V_EXTENTS ? min(ser->folios.count, ser->nr_folios) :
			ser->nr_folios;

	if (ser->hash != memfd_luo_ser_hash(ser))
		return "damaged description (hash does not match)";
	if (ser->size > MAX_LFS_FILESIZE || ser->pos > ser->size || ser->flags ||
	    ser->reserved || (ser->seals & ~MEMFD_KNOWN_SEALS) || (ser->mode & ~S_IALLUGO) ||
	    ser->nr_folios > DIV_ROUND_UP(ser->size, PAGE_SIZE))
		return "malformed description";
	/*
	 * One record a folio (v4: a record per run, a run at least a folio),
	 * and no more folios than this machine has pages: the handler sizes
	 * an array by @nr_folios before the records are read.
	 */
	if (records != ser->folios.count || ser->nr_folios > get_num_physpages())
		return "more folios than records, or than pages of RAM";
	return NULL;
}

/* Is @rec a folio that may follow one ending at page @end in a file of @pages? */
static bool memfd_luo_record_ok(const struct memfd_luo_folio_ser *rec, u64 end, u64 pages)
{
	/* The order first: every shift below depends on it. */
	return rec->order <= MAX_PAGE_ORDER && rec->index < pages && rec->index >= end &&
	       IS_ALIGNED(rec->index, 1UL << rec->order) && rec->pfn < MEMFD_LUO_PFN_LIMIT &&
	       IS_ALIGNED(rec->pfn, 1UL << rec->order) &&
	       !(rec->flags & ~(MEMFD_LUO_FOLIO_DIRTY | MEMFD_LUO_FOLIO_UPTODATE));
}

/*
 * A "memfd-v4" run: its first folio as a record, and whether the run is
 * one (at least a folio; every folio starting inside the file, as in v3,
 * where the last one may reach past the end; below the page frame limit).
 */
static bool memfd_luo_extent_ok(const struct memfd_luo_extent_ser *ext, u64 end, u64 pages,
				struct memfd_luo_folio_ser *first)
{
	u64 span;

	*first = (struct memfd_luo_folio_ser){
		.pfn = ext->pfn, .index = ext->index, .order = ext->order, .flags = ext->flags,
	};
	if (!ext->nr || ext->reserved || !memfd_luo_record_ok(first, end, pages))
		return false;
	/* @order <= MAX_PAGE_ORDER and @nr < 2^32: no overflow. */
	span = (u64)ext->nr << ext->order;
	return span - (1ULL << ext->order) < pages - ext->index &&
	       span <= MEMFD_LUO_PFN_LIMIT - ext->pfn;
}

static int memfd_luo_check_folios(const struct memfd_luo_ser *ser,
				  const struct kho_block_set *records,
				  memfd_luo_claim_fn claim, void *arg)
{
	u64 pages = DIV_ROUND_UP(ser->size, PAGE_SIZE), seen = 0, end = 0;
	const struct memfd_luo_folio_ser *rec;
	struct kho_block_reader r;
	int err = 0;

	kho_block_reader_init(&r, records);
	while ((rec = kho_block_reader_next(&r))) {
		if (++seen > ser->nr_folios || !memfd_luo_record_ok(rec, end, pages) ||
		    claim(rec, arg)) {
			err = -EINVAL;
			continue;
		}
		end = rec->index + (1ULL << rec->order);
	}
	if (seen != ser->nr_folios)
		err = -EINVAL;
	return err;
}

static int memfd_luo_check_extents(const struct memfd_luo_ser *ser,
				   const struct kho_block_set *records,
				   memfd_luo_claim_fn claim, void *arg)
{
	u64 pages = DIV_ROUND_UP(ser->size, PAGE_SIZE), seen = 0, end = 0, k;
	u64 ram = get_num_physpages(), walked = 0;
	const struct memfd_luo_extent_ser *ext;
	struct memfd_luo_folio_ser rec;
	struct kho_block_reader r;
	int err = 0;

	kho_block_reader_init(&r, records);
	while ((ext = kho_block_reader_next(&r))) {
		if (!memfd_luo_extent_ok(ext, end, pages, &rec) ||
		    ext->nr > ser->nr_folios - min(seen, ser->nr_folios)) {
			err = -EINVAL;
			continue;
		}
		for (k = 0; k < ext->nr; k++) {
			/*
			 * Runs of a description that is wrong (its folio
			 * count unchecked) can name 2^32 folios each: no
			 * more than this machine's memory is real, and the
			 * walk must not spin through the rest.
			 */
			if (walked >= ram) {
				err = -EINVAL;
				break;
			}
			walked += 1ULL << rec.order;
			if (claim(&rec, arg))
				err = -EINVAL;
			rec.pfn += 1ULL << rec.order;
			rec.index += 1ULL << rec.order;
		}
		seen += ext->nr;
		end = rec.index;
	}
	if (seen != ser->nr_folios)
		err = -EINVAL;
	return err;
}

/**
 * memfd_luo_check_records - walk a preserved memfd's folio records
 * @ser: its description, checked with memfd_luo_check_desc()
 * @version: the version it was written at (MEMFD_LUO_V_*)
 * @records: its records, restored from @ser->folios
 * @claim: called for every valid record, in order; returns 0 if it took
 *	   the folio, an error if the folio is not there as described
 * @arg: passed to @claim
 *
 * A bad record, or a folio @claim could not take, fails the walk, but the
 * walk goes on so that @claim takes every folio a valid record names
 * (the caller frees them). A bad record names nothing: it is not given to
 * @claim.
 *
 * For "memfd-v4" every folio of a valid run is given to @claim as a record
 * of its own.
 *
 * Return: 0, or -EINVAL if any record was bad or their number is wrong.
 */
int memfd_luo_check_records(const struct memfd_luo_ser *ser, unsigned int version,
			    const struct kho_block_set *records, memfd_luo_claim_fn claim,
			    void *arg)
{
	if (version == MEMFD_LUO_V_EXTENTS)
		return memfd_luo_check_extents(ser, records, claim, arg);
	return memfd_luo_check_folios(ser, records, claim, arg);
}
