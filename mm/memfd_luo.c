// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: memfd preservation across live update
 *
 * The LUO file handler for anonymous shmem memfds ("memfd-v3", layout in
 * ``include/linux/kho/abi/memfd.h``). A workload keeps its state in a memfd
 * and finds it in the next kernel without a copy.
 *
 * - **Preserve** (LIVEUPDATE_SESSION_PRESERVE_FD, while the workload runs):
 *   the size is frozen (shmem_freeze_size(): size changes and hole punching
 *   fail with -EBUSY); every page *populated* in the file (in the page
 *   cache, or swapped out: it is read back in) is pinned (memfd_pin_folios(),
 *   which also moves it out of movable-only memory) and preserved with its
 *   folio's order. Holes stay holes and large folios stay large; a folio
 *   that extends past the end of the file (a size that is not a multiple of
 *   its size) is kept whole. A folio allocated but never written
 *   (fallocate()) is zeroed first, so that it reads as zeros after the
 *   kexec, as it did before. The scan follows the page cache folio by folio,
 *   so a large folio split or migrated meanwhile loses nothing. Records go
 *   into a kho_block set, so a large file needs no contiguous memory.
 *   Until unpreserve, the file allocates its folios outside movable-only
 *   memory, so those written into holes later can be pinned at the freeze
 *   without a migration (one the workload's writers can make fail).
 * - **Freeze** (reboot path): from now on the file refuses new folios
 *   (shmem_freeze_folios(): a write into a hole fails with -EBUSY, a page
 *   fault into one gets SIGBUS), so nothing written after this point can be
 *   missed; folios that appeared since preserve (writes into holes) are
 *   pinned and preserved, found without a scan when none appeared. The
 *   file position, size, seals and mode are recorded and the records
 *   written at the version negotiated for this kexec: "memfd-v3", a record
 *   a folio, or "memfd-v4", a record a run of folios contiguous in the file
 *   and in memory.
 *   Writes into pages already present keep working until the jump and are
 *   carried over.
 * - **Unfreeze** (the kexec was cancelled): the folios the freeze preserved
 *   are unpreserved and unpinned again, with the record blocks grown for
 *   them, and the file takes new folios again: KHO holds what it held
 *   before the reboot call, and the next freeze preserves them again. A
 *   freeze that fails gives them back the same way.
 * - **Unpreserve** (session closed before the kexec): everything is
 *   unpreserved and unpinned and the size thawed.
 * - **Retrieve** (next kernel): the description and every record are
 *   validated (their hash, order, alignment, index inside the size and
 *   increasing, page frame in RAM, preserved memory of that order) and the
 *   folios claimed
 *   before anything is built; then a new memfd of the same size, position,
 *   seals and mode gets all of them at once, charged to the retrieving
 *   task's memory cgroup. A damaged description or list of records (the
 *   hashes do not match) fails the retrieve for good with -EINVAL and
 *   claims nothing: records that cannot be trusted could name another
 *   file's memory, so the memory stays reserved, counted in
 *   ``kho/in/status``, until ``kho/in/release`` gives it back. A record
 *   that is intact but invalid fails the retrieve too, and every folio the
 *   valid records name is freed. Running out of
 *   memory (the memory cgroup's limit) fails it with -ENOMEM and changes
 *   nothing: the claimed folios are kept and the same retrieve can be tried
 *   again.
 * - **Finish**: a memfd never retrieved is discarded: its folios freed.
 */

#define pr_fmt(fmt) "memfd_luo: " fmt

#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho_block.h>
#include <linux/ktime.h>
#include <linux/liveupdate.h>
#include <linux/liveupdate_format.h>
#include <linux/memfd.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <linux/xxhash.h>
#include <linux/kho/abi/memfd.h>

#include <trace/events/liveupdate.h>

#include "memfd_luo_check.h"
#include "memfd_luo_test.h"

/*
 * The format's versions: "memfd-v4" (extents) is read and written unless
 * built out, which leaves a kernel that knows only "memfd-v3".
 */
#ifdef CONFIG_LIVEUPDATE_MEMFD_EXTENTS
#define MEMFD_LUO_VERSIONS	(LIVEUPDATE_V(MEMFD_LUO_V_FOLIOS) | \
				 LIVEUPDATE_V(MEMFD_LUO_V_EXTENTS))
#define MEMFD_LUO_DEFAULT	MEMFD_LUO_V_EXTENTS
#else
#define MEMFD_LUO_VERSIONS	LIVEUPDATE_V(MEMFD_LUO_V_FOLIOS)
#define MEMFD_LUO_DEFAULT	MEMFD_LUO_V_FOLIOS
#endif
LIVEUPDATE_FORMAT(memfd_luo_format, "memfd", MEMFD_LUO_VERSIONS, MEMFD_LUO_VERSIONS,
		  MEMFD_LUO_DEFAULT, LIVEUPDATE_FORMAT_FILE);

/* Both versions' records fit the set grown at preserve, one per folio. */
static_assert(sizeof(struct memfd_luo_extent_ser) == sizeof(struct memfd_luo_folio_ser));

/* Folios pinned by one memfd_pin_folios() call. */
#define MEMFD_LUO_PIN_BATCH	64

/*
 * Marks, in struct memfd_luo's @folios, the folios the running scan added,
 * and those the freeze added until the kexec or its cancel.
 */
#define MEMFD_LUO_NEW	XA_MARK_1

/**
 * struct memfd_luo - a preserved memfd in the outgoing kernel
 * @ser: its description, a preserved page
 * @records: its folio records, grown as folios are preserved
 * @folios: page index -> pinned, preserved folio; MEMFD_LUO_NEW marks the
 *	    ones the running scan or the freeze added
 * @nr_folios: entries in @folios
 * @nr_pages: pages in them
 * @added: shmem's count of folios added to the file, read before the last
 *	   complete scan began (shmem_folios_added())
 * @gfp: the file's allocation mask before the preserve, given back at
 *	 unpreserve
 */
struct memfd_luo {
	struct memfd_luo_ser *ser;
	struct kho_block_set records;
	struct xarray folios;
	unsigned long nr_folios;
	unsigned long nr_pages;
	unsigned long added;
	gfp_t gfp;
};

/**
 * struct memfd_luo_in - a preserved memfd in the next kernel, being retrieved
 * @ser: its description, claimed from KHO
 * @folios: its folios, claimed from KHO, each with ->index set to its page
 *	    index; NULL until every record was validated
 * @nr_folios: entries in @folios
 * @nr_pages: pages in them
 *
 * Kept in the file's private_data between retrieve attempts: a retrieve
 * that ran out of memory resumes from here.
 */
struct memfd_luo_in {
	struct memfd_luo_ser *ser;
	struct folio **folios;
	unsigned long nr_folios;
	unsigned long nr_pages;
};

static bool memfd_luo_can_preserve(struct liveupdate_file_handler *fh, struct file *file)
{
	struct inode *inode = file_inode(file);

	/* An anonymous shmem memfd: unlinked, on the internal mount, "memfd:". */
	return shmem_file(file) && !inode->i_nlink &&
	       !strncmp(file_dentry(file)->d_name.name, "memfd:", 6);
}

static unsigned long memfd_luo_holes(u64 size, unsigned long pages)
{
	unsigned long span = DIV_ROUND_UP(size, PAGE_SIZE);

	return span > pages ? span - pages : 0;
}

/*
 * The first populated page at or after *@start and before @end (a folio or
 * a swap entry), and the end of the populated run that begins there,
 * capped so that one pin call covers it. Returns false when there is none.
 */
static bool memfd_luo_next_run(struct address_space *mapping, pgoff_t *start, pgoff_t end,
			       pgoff_t *run_end)
{
	XA_STATE(xas, &mapping->i_pages, *start);
	pgoff_t first = 0, next = 0;
	bool found = false;
	void *entry;

	rcu_read_lock();
	xas_for_each(&xas, entry, end - 1) {
		unsigned long n;
		pgoff_t base;

		if (xas_retry(&xas, entry))
			continue;
		n = 1UL << xas_get_order(&xas);
		base = round_down(xas.xa_index, n);
		if (!found) {
			first = max(base, *start);
			found = true;
		} else if (base != next) {
			break;
		}
		next = base + n;
		if (next - first >= MEMFD_LUO_PIN_BATCH)
			break;
	}
	rcu_read_unlock();
	if (!found)
		return false;
	*start = first;
	*run_end = min(next, end);
	return true;
}

/* Contents a folio allocated but never written (fallocate) reads as. */
static void memfd_luo_zero_new(struct folio *folio)
{
	if (folio_test_uptodate(folio))
		return;
	folio_lock(folio);
	if (!folio_test_uptodate(folio)) {
		folio_zero_range(folio, 0, folio_size(folio));
		flush_dcache_folio(folio);
		folio_mark_uptodate(folio);
	}
	folio_unlock(folio);
}

/* Preserve a pinned folio, or drop the extra pin if it is preserved already. */
static int memfd_luo_keep(struct memfd_luo *ml, struct folio *folio)
{
	int err;

	if (xa_load(&ml->folios, folio->index) == folio) {
		unpin_folio(folio);
		return 0;
	}
	err = kho_block_set_grow(&ml->records, ml->nr_folios + 1);
	if (err)
		goto err_unpin;
	memfd_luo_zero_new(folio);
	err = kho_preserve_folio(folio);
	if (err)
		goto err_unpin;
	err = xa_insert(&ml->folios, folio->index, folio, GFP_KERNEL);
	if (err)
		goto err_unpreserve;
	xa_set_mark(&ml->folios, folio->index, MEMFD_LUO_NEW);
	ml->nr_folios++;
	ml->nr_pages += folio_nr_pages(folio);
	return 0;

err_unpreserve:
	kho_unpreserve_folio(folio);
err_unpin:
	unpin_folio(folio);
	/* Preserved by someone else, or a folio at this index twice. */
	return err == -EEXIST ? -EBUSY : err;
}

/*
 * The end of a scan: a complete one keeps what it added; a failed one
 * gives it all back, with the record blocks grown for it, so that a failed
 * or cancelled freeze leaves the file and KHO as they were (and the next
 * freeze scans again).
 */
static void memfd_luo_scan_end(struct memfd_luo *ml, bool keep)
{
	struct folio *folio;
	unsigned long index;

	xa_for_each_marked(&ml->folios, index, folio, MEMFD_LUO_NEW) {
		if (keep) {
			xa_clear_mark(&ml->folios, index, MEMFD_LUO_NEW);
			continue;
		}
		xa_erase(&ml->folios, index);
		ml->nr_folios--;
		ml->nr_pages -= folio_nr_pages(folio);
		kho_unpreserve_folio(folio);
		unpin_folio(folio);
	}
	if (!keep)
		kho_block_set_shrink(&ml->records, ml->nr_folios);
}

/*
 * Pin and preserve every populated page of the file not preserved yet.
 * Pinning reads swapped-out pages back in; the runs it is given hold no
 * hole, so it allocates nothing. The scan resumes after each folio it
 * pinned, whatever became of the folio it saw (split, migrated). A failed
 * scan preserves nothing more. A scan that does not @commit (the freeze's)
 * leaves what it added marked, for memfd_luo_thaw() to give back if the
 * kexec is cancelled.
 */
static int memfd_luo_scan(struct memfd_luo *ml, struct file *file, bool commit)
{
	struct folio *batch[MEMFD_LUO_PIN_BATCH];
	struct inode *inode = file_inode(file);
	loff_t size = i_size_read(inode);
	pgoff_t end = DIV_ROUND_UP(size, PAGE_SIZE), index = 0, run_end;
	unsigned long added = shmem_folios_added(inode);
	pgoff_t offset;
	long got, i;
	int err;

	while (index < end && memfd_luo_next_run(file->f_mapping, &index, end, &run_end)) {
		loff_t last = min_t(loff_t, (loff_t)run_end << PAGE_SHIFT, size) - 1;

		got = memfd_pin_folios(file, (loff_t)index << PAGE_SHIFT, last, batch,
				       ARRAY_SIZE(batch), &offset);
		if (got <= 0) {
			memfd_luo_scan_end(ml, false);
			return got ?: -EAGAIN;
		}
		for (i = 0; i < got; i++) {
			index = folio_next_index(batch[i]);
			err = memfd_luo_keep(ml, batch[i]);
			if (err) {
				unpin_folios(batch + i + 1, got - i - 1);
				memfd_luo_scan_end(ml, false);
				return err;
			}
		}
		cond_resched();
	}
	if (!commit)
		return 0;
	memfd_luo_scan_end(ml, true);
	/*
	 * Only a complete scan counts: after a failed one the next freeze
	 * scans again, or the folios it did not reach would be lost.
	 */
	ml->added = added;
	return 0;
}

static void memfd_luo_release(struct memfd_luo *ml, struct inode *inode)
{
	struct folio *folio;
	unsigned long index;

	xa_for_each(&ml->folios, index, folio) {
		kho_unpreserve_folio(folio);
		unpin_folio(folio);
	}
	xa_destroy(&ml->folios);
	kho_block_set_destroy(&ml->records);
	kho_unpreserve_free(ml->ser);
	shmem_freeze_size(inode, false);
	mapping_set_gfp_mask(inode->i_mapping, ml->gfp);
	kfree(ml);
}

static int memfd_luo_preserve(struct liveupdate_file_op_args *args)
{
	struct inode *inode = file_inode(args->file);
	u64 t0 = ktime_get_ns();
	struct memfd_luo *ml;
	int err;

	ml = kzalloc(sizeof(*ml), GFP_KERNEL);
	if (!ml)
		return -ENOMEM;
	xa_init(&ml->folios);
	kho_block_set_init(&ml->records, sizeof(struct memfd_luo_folio_ser));
	ml->ser = kho_alloc_preserve(sizeof(*ml->ser));
	if (IS_ERR(ml->ser)) {
		err = PTR_ERR(ml->ser);
		kfree(ml);
		return err;
	}
	/*
	 * Folios that enter the file from now on (writes into holes, pages
	 * read back from swap) will be pinned where they are allocated, so
	 * they are allocated outside movable-only memory (KHO scratch, CMA,
	 * ZONE_MOVABLE). Pinning a movable one means migrating it first,
	 * which fails with -ENOMEM while the workload's writers hold it: at
	 * the freeze, that cancels the kexec.
	 */
	ml->gfp = mapping_gfp_mask(inode->i_mapping);
	mapping_set_gfp_mask(inode->i_mapping, ml->gfp & ~__GFP_MOVABLE);
	shmem_freeze_size(inode, true);
	err = memfd_luo_scan(ml, args->file, true);
	if (trace_memfd_preserve_enabled()) {
		u64 size = i_size_read(inode);

		trace_memfd_preserve(size, ml->nr_folios, ml->nr_pages,
				     memfd_luo_holes(size, ml->nr_pages), err,
				     ktime_get_ns() - t0);
	}
	if (err) {
		memfd_luo_release(ml, inode);
		return err;
	}
	args->private_data = ml;
	args->serialized_data = virt_to_phys(ml->ser);
	return 0;
}

static void memfd_luo_unpreserve(struct liveupdate_file_op_args *args)
{
	memfd_luo_release(args->private_data, file_inode(args->file));
}

/* "memfd-v3": a record a folio. */
static int memfd_luo_write_folios(struct memfd_luo *ml, struct kho_block_writer *w)
{
	struct folio *folio;
	unsigned long index;

	xa_for_each(&ml->folios, index, folio) {
		struct memfd_luo_folio_ser rec = {
			.pfn = folio_pfn(folio),
			.index = index,
			.order = folio_order(folio),
			.flags = MEMFD_LUO_FOLIO_DIRTY | MEMFD_LUO_FOLIO_UPTODATE,
		};

		if (kho_block_writer_add(w, &rec))
			return -ENOSPC;
	}
	return 0;
}

/*
 * "memfd-v4": a record a run of folios of one order, contiguous in the file
 * and in memory. The set was grown for a record a folio: it has room, and
 * the freeze frees the blocks it did not fill.
 */
static int memfd_luo_write_extents(struct memfd_luo *ml, struct kho_block_writer *w)
{
	struct memfd_luo_extent_ser ext = {};
	struct folio *folio;
	unsigned long index;
	u64 step;

	xa_for_each(&ml->folios, index, folio) {
		step = (u64)ext.nr << ext.order;
		if (ext.nr && ext.nr < U32_MAX && folio_order(folio) == ext.order &&
		    index == ext.index + step && folio_pfn(folio) == ext.pfn + step) {
			ext.nr++;
			continue;
		}
		if (ext.nr && kho_block_writer_add(w, &ext))
			return -ENOSPC;
		ext = (struct memfd_luo_extent_ser){
			.pfn = folio_pfn(folio),
			.index = index,
			.nr = 1,
			.order = folio_order(folio),
			.flags = MEMFD_LUO_FOLIO_DIRTY | MEMFD_LUO_FOLIO_UPTODATE,
		};
	}
	if (ext.nr && kho_block_writer_add(w, &ext))
		return -ENOSPC;
	return 0;
}

/*
 * A failed or cancelled freeze: the folios it preserved (written into holes
 * since the last scan) are given back, and the file takes new folios
 * again. The next freeze scans for them again. The record set is grown
 * back to a record a folio, which the freeze may have trimmed; if that
 * fails now, the next freeze grows it or fails.
 */
static void memfd_luo_thaw(struct memfd_luo *ml, struct inode *inode)
{
	memfd_luo_scan_end(ml, false);
	kho_block_set_grow(&ml->records, ml->nr_folios);
	shmem_freeze_folios(inode, false);
}

static int memfd_luo_freeze(struct liveupdate_file_op_args *args)
{
	struct memfd_luo *ml = args->private_data;
	struct inode *inode = file_inode(args->file);
	struct kho_block_writer w;
	int err;

	/*
	 * No folio enters the file from now on. Folios that did since the
	 * last scan began (writes into holes) are preserved too.
	 */
	if (shmem_freeze_folios(inode, true) != ml->added) {
		err = memfd_luo_scan(ml, args->file, false);
		if (err)
			goto err_thaw;
	}
	/* Room for a record a folio: allocates only after a trimmed, cancelled freeze. */
	err = kho_block_set_grow(&ml->records, ml->nr_folios);
	if (err)
		goto err_thaw;
	kho_block_writer_init(&w, &ml->records, &ml->ser->folios);
	err = args->version == MEMFD_LUO_V_EXTENTS ? memfd_luo_write_extents(ml, &w) :
	      memfd_luo_write_folios(ml, &w);
	if (WARN_ON_ONCE(err))
		goto err_thaw;
	/*
	 * Blocks past the last record would stay preserved outside the chain,
	 * and the next kernel would keep them reserved for good.
	 */
	kho_block_set_shrink(&ml->records, ml->ser->folios.count);
	ml->ser->pos = args->file->f_pos;
	ml->ser->size = i_size_read(inode);
	ml->ser->seals = SHMEM_I(inode)->seals;
	ml->ser->mode = inode->i_mode & S_IALLUGO;
	ml->ser->nr_folios = ml->nr_folios;
	ml->ser->hash = memfd_luo_ser_hash(ml->ser);
	memfd_luo_test_corrupt(ml->ser, args->version, &ml->records, ml->nr_folios);
	liveupdate_test_region("memfd-desc", ml->ser, sizeof(*ml->ser), ml->ser);
	liveupdate_test_chain("memfd-records", &ml->records, ml->ser);
	return 0;

err_thaw:
	memfd_luo_thaw(ml, inode);
	return err;
}

static void memfd_luo_unfreeze(struct liveupdate_file_op_args *args)
{
	memfd_luo_thaw(args->private_data, file_inode(args->file));
}

static void memfd_luo_in_put_folios(struct memfd_luo_in *in)
{
	while (in->nr_folios)
		folio_put(in->folios[--in->nr_folios]);
	kvfree(in->folios);
	in->folios = NULL;
	in->nr_pages = 0;
}

static void memfd_luo_in_free(struct memfd_luo_in *in)
{
	memfd_luo_in_put_folios(in);
	if (in->ser)
		folio_put(virt_to_folio(in->ser));
	kfree(in);
}

/* A valid record of a memfd that cannot be rebuilt: free its folio. */
static int memfd_luo_discard(const struct memfd_luo_folio_ser *rec, void *arg)
{
	struct folio *folio = pfn_valid(rec->pfn) ? kho_restore_folio(PFN_PHYS(rec->pfn)) : NULL;

	if (!folio)
		return -EINVAL;
	folio_put(folio);
	return 0;
}

/* memfd_luo_check_records() found a valid record: take its folio. */
static int memfd_luo_claim(const struct memfd_luo_folio_ser *rec, void *arg)
{
	struct memfd_luo_in *in = arg;
	struct folio *folio;

	folio = pfn_valid(rec->pfn) ? kho_restore_folio(PFN_PHYS(rec->pfn)) : NULL;
	if (!folio || folio_order(folio) != rec->order) {
		if (folio)
			folio_put(folio);
		return -EINVAL;
	}
	folio->index = rec->index;
	in->folios[in->nr_folios++] = folio;
	in->nr_pages += folio_nr_pages(folio);
	return 0;
}

/*
 * Validate the description and claim every folio, once. -ENOMEM leaves
 * @in as it was (resumable); any other error is final, and every folio
 * that could be found is freed.
 */
static int memfd_luo_in_load(struct memfd_luo_in *in, u64 data, unsigned int version)
{
	struct kho_block_set records;
	struct memfd_luo_ser *ser;
	struct page *page;
	const char *why;
	int err;

	if (in->folios)
		return 0;
	if (!in->ser) {
		page = PAGE_ALIGNED(data) && pfn_valid(PHYS_PFN(data)) ?
		       kho_restore_pages(data, 1) : NULL;
		if (!page) {
			pr_err("preserved memfd at %#llx: description missing\n", data);
			return -EINVAL;
		}
		in->ser = page_address(page);
	}
	ser = in->ser;
	why = memfd_luo_check_desc(ser, version);
	if (why && ser->hash != memfd_luo_ser_hash(ser)) {
		pr_err("preserved memfd at %#llx: %s\n", data, why);
		return -EINVAL;
	}
	/* Before the records are claimed: running out of memory is retried. */
	if (!why) {
		in->folios = kvmalloc_array(max_t(u64, ser->nr_folios, 1), sizeof(*in->folios),
					    GFP_KERNEL);
		if (!in->folios)
			return -ENOMEM;
	}
	kho_block_set_init(&records, sizeof(struct memfd_luo_folio_ser));
	err = kho_block_set_restore(&records, &ser->folios);
	if (err) {
		/* Nothing in them can be trusted to name this file's memory. */
		pr_err("preserved memfd at %#llx (%llu bytes): damaged folio records; its memory stays reserved (kho/in/release gives it back)\n",
		       data, ser->size);
		goto err_free;
	}
	if (why) {
		pr_err("preserved memfd at %#llx (%llu bytes): %s\n", data, ser->size, why);
		/* The records are intact: free the folios they name. */
		memfd_luo_check_records(ser, version, &records, memfd_luo_discard, NULL);
		err = -EINVAL;
	} else {
		err = memfd_luo_check_records(ser, version, &records, memfd_luo_claim, in);
		if (err)
			pr_err("preserved memfd at %#llx (%llu bytes): malformed folio records\n",
			       data, ser->size);
	}
	kho_block_set_destroy(&records);
	if (!err)
		return 0;
err_free:
	memfd_luo_in_put_folios(in);
	return err;
}

/* A new memfd with the preserved size, mode and position, and no folio yet. */
static struct file *memfd_luo_new_file(const struct memfd_luo_ser *ser)
{
	struct file *file = shmem_file_setup("memfd:", ser->size, VM_NORESERVE);
	struct inode *inode;

	if (IS_ERR(file))
		return file;
	inode = file_inode(file);
	/* What memfd_create() sets up. */
	file->f_mode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
	file->f_flags |= O_LARGEFILE;
	inode->i_mode = (inode->i_mode & S_IFMT) | ser->mode;
	file->f_pos = ser->pos;
	return file;
}

static int memfd_luo_retrieve(struct liveupdate_file_op_args *args)
{
	struct memfd_luo_in *in = args->private_data;
	u64 t0 = ktime_get_ns(), size = 0;
	unsigned long folios = 0, pages = 0, i;
	struct file *file;
	int err;

	if (!in) {
		in = kzalloc(sizeof(*in), GFP_KERNEL);
		if (!in)
			return -ENOMEM;
		args->private_data = in;
	}
	err = memfd_luo_in_load(in, args->serialized_data, args->version);
	if (err)
		goto out;
	size = in->ser->size;
	folios = in->nr_folios;
	file = memfd_luo_new_file(in->ser);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto out;
	}
	err = shmem_insert_folios(file_inode(file), in->folios, in->nr_folios);
	if (err) {
		fput(file);
		goto out;
	}
	SHMEM_I(file_inode(file))->seals = in->ser->seals;
	pages = in->nr_pages;
	/* The page cache holds the folios now. */
	for (i = 0; i < in->nr_folios; i++)
		folio_put(in->folios[i]);
	in->nr_folios = 0;
	memfd_luo_in_free(in);
	args->private_data = NULL;
	args->file = file;
out:
	if (err && err != -ENOMEM) {
		memfd_luo_in_free(in);
		args->private_data = NULL;
	}
	trace_memfd_retrieve(size, folios, pages, err ? 0 : memfd_luo_holes(size, pages), err,
			     ktime_get_ns() - t0);
	return err;
}

static void memfd_luo_finish(struct liveupdate_file_op_args *args)
{
	struct memfd_luo_in *in = args->private_data;
	int err;

	/* Retrieved: the memory went with the file; failed for good: freed. */
	if (args->retrieve_status)
		return;
	/* Never retrieved, or its retrieve ran out of memory: discard it. */
	if (!in)
		in = kzalloc(sizeof(*in), GFP_KERNEL);
	err = in ? memfd_luo_in_load(in, args->serialized_data, args->version) : -ENOMEM;
	if (err == -ENOMEM)
		pr_err("cannot discard a preserved memfd: %pe; its memory stays reserved\n",
		       ERR_PTR(err));
	if (in)
		memfd_luo_in_free(in);
	args->private_data = NULL;
}

static unsigned long memfd_luo_get_id(struct file *file)
{
	return (unsigned long)file_inode(file);
}

static const struct liveupdate_file_ops memfd_luo_ops = {
	.can_preserve = memfd_luo_can_preserve,
	.preserve = memfd_luo_preserve,
	.unpreserve = memfd_luo_unpreserve,
	.freeze = memfd_luo_freeze,
	.unfreeze = memfd_luo_unfreeze,
	.retrieve = memfd_luo_retrieve,
	.finish = memfd_luo_finish,
	.get_id = memfd_luo_get_id,
	.owner = THIS_MODULE,
};

static struct liveupdate_file_handler memfd_luo_handler = {
	.ops = &memfd_luo_ops,
	.compatible = MEMFD_LUO_COMPATIBLE,
	.format = &memfd_luo_format,
};

static int __init memfd_luo_init(void)
{
	int err = liveupdate_register_file_handler(&memfd_luo_handler);

	if (err && err != -EOPNOTSUPP)
		pr_err("cannot register: %pe\n", ERR_PTR(err));
	if (!err)
		memfd_luo_test_debugfs();
	return 0;
}
late_initcall(memfd_luo_init);
