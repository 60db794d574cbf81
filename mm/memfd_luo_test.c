// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: memfd preservation test hooks
 *
 * ``LIVEUPDATE_TEST`` only. debugfs ``memfd_luo/corrupt`` names a damage to
 * the first folio record of the next memfd frozen, with its hashes made to
 * match: ``index`` (beyond the size), ``index-wrap`` (so large that it wraps
 * to 0 in bytes), ``order`` (not the folio's), ``order-huge`` (beyond any
 * shift) or ``pfn`` (memory that is not preserved). The next kernel's
 * record checks must catch each one (memfd_luo_check.c).
 */

#define pr_fmt(fmt) "memfd_luo: " fmt

#include <linux/cleanup.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/lu_debugfs.h>
#include <linux/mm.h>
#include <linux/mutex.h>

#include "memfd_luo_check.h"
#include "memfd_luo_test.h"

enum memfd_luo_corrupt {
	MEMFD_CORRUPT_NONE = -1,
	MEMFD_CORRUPT_INDEX,
	MEMFD_CORRUPT_INDEX_WRAP,
	MEMFD_CORRUPT_ORDER,
	MEMFD_CORRUPT_ORDER_HUGE,
	MEMFD_CORRUPT_PFN,
	MEMFD_CORRUPT_NR
};

static const char *const memfd_luo_corrupt_names[MEMFD_CORRUPT_NR] = {
	[MEMFD_CORRUPT_INDEX] = "index",
	[MEMFD_CORRUPT_INDEX_WRAP] = "index-wrap",
	[MEMFD_CORRUPT_ORDER] = "order",
	[MEMFD_CORRUPT_ORDER_HUGE] = "order-huge",
	[MEMFD_CORRUPT_PFN] = "pfn",
};

/* The damage for the next memfd frozen, under memfd_luo_corrupt_lock. */
static enum memfd_luo_corrupt memfd_luo_corrupt = MEMFD_CORRUPT_NONE;
static DEFINE_MUTEX(memfd_luo_corrupt_lock);

/**
 * memfd_luo_test_corrupt - damage a frozen memfd's first folio record
 * @ser: its description, hashed
 * @version: the version its records were written at (MEMFD_LUO_V_*)
 * @records: its folio records (v4: the first run's fields are damaged)
 * @nr_folios: how many records there are
 *
 * Applies, once, the damage debugfs memfd_luo/corrupt names, and rehashes
 * the records and the description: a consistent lie.
 *
 * Context: process context (the freeze); takes memfd_luo_corrupt_lock.
 */
void memfd_luo_test_corrupt(struct memfd_luo_ser *ser, unsigned int version,
			    struct kho_block_set *records, unsigned long nr_folios)
{
	struct memfd_luo_extent_ser *ext;
	struct memfd_luo_folio_ser *rec;
	struct kho_block_reader r;

	guard(mutex)(&memfd_luo_corrupt_lock);
	if (memfd_luo_corrupt == MEMFD_CORRUPT_NONE || !nr_folios)
		return;
	kho_block_reader_init(&r, records);
	rec = kho_block_reader_next(&r);
	pr_warn("corrupting a folio record (%s) for a test\n",
		memfd_luo_corrupt_names[memfd_luo_corrupt]);
	if (version == MEMFD_LUO_V_EXTENTS) {
		ext = (void *)rec;
		switch (memfd_luo_corrupt) {
		case MEMFD_CORRUPT_INDEX:
			ext->index = (ser->size >> PAGE_SHIFT) + 16;
			break;
		case MEMFD_CORRUPT_INDEX_WRAP:
			ext->index = 1ULL << (64 - PAGE_SHIFT);
			break;
		case MEMFD_CORRUPT_ORDER:
			ext->order++;
			break;
		case MEMFD_CORRUPT_ORDER_HUGE:
			ext->order = 70;
			break;
		default:
			ext->pfn = 1ULL << 38;
			break;
		}
		goto rehash;
	}
	switch (memfd_luo_corrupt) {
	case MEMFD_CORRUPT_INDEX:
		rec->index = (ser->size >> PAGE_SHIFT) + 16;
		break;
	case MEMFD_CORRUPT_INDEX_WRAP:
		rec->index = 1ULL << (64 - PAGE_SHIFT);
		break;
	case MEMFD_CORRUPT_ORDER:
		rec->order++;
		break;
	case MEMFD_CORRUPT_ORDER_HUGE:
		rec->order = 70;
		break;
	default:
		rec->pfn = 1ULL << 38;
		break;
	}
rehash:
	ser->folios.hash = kho_block_set_hash(records);
	ser->hash = memfd_luo_ser_hash(ser);
	memfd_luo_corrupt = MEMFD_CORRUPT_NONE;
}

static ssize_t memfd_luo_corrupt_write(struct file *file, const char __user *buf, size_t len,
				       loff_t *ppos)
{
	int what = lu_debugfs_keyword(buf, len, memfd_luo_corrupt_names, MEMFD_CORRUPT_NR);

	if (what < 0)
		return what;
	guard(mutex)(&memfd_luo_corrupt_lock);
	memfd_luo_corrupt = what;
	return len;
}

static const struct file_operations memfd_luo_corrupt_fops = {
	.owner = THIS_MODULE,
	.write = memfd_luo_corrupt_write,
};

/**
 * memfd_luo_test_debugfs - create debugfs memfd_luo/corrupt
 *
 * Context: boot (memfd_luo_init()).
 */
void memfd_luo_test_debugfs(void)
{
	debugfs_create_file("corrupt", 0200, debugfs_create_dir("memfd_luo", NULL), NULL,
			    &memfd_luo_corrupt_fops);
}
