// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: memfd preservation across live update
 *
 * The LUO file handler for anonymous shmem memfds ("memfd-v1", layout in
 * ``include/linux/kho/abi/memfd.h``). A workload keeps its state in a memfd
 * and finds it in the next kernel without a copy.
 *
 * - **Preserve** (LIVEUPDATE_SESSION_PRESERVE_FD, while the workload runs):
 *   the size is frozen (shmem_freeze_size(): size changes and hole punching
 *   fail with -EBUSY); every folio *present* in the page cache is pinned
 *   (memfd_pin_folios(), which also moves it out of movable-only memory)
 *   and preserved with its order. Holes stay holes and large folios stay
 *   large. Their records go into a kho_block set, so a large file needs no
 *   contiguous memory.
 * - **Freeze** (reboot path): folios that appeared since preserve (writes
 *   into holes) are pinned and preserved too; the file position, size and
 *   seals are recorded and the records written.
 * - **Unpreserve** (session closed before the kexec): everything is
 *   unpreserved and unpinned and the size thawed.
 * - **Retrieve** (next kernel): a new memfd of the same size, position and
 *   seals; each record is checked (order, index inside the size and
 *   increasing, preserved memory) before its folio is inserted, charged to
 *   the retrieving task's memory cgroup. A bad record fails the retrieve;
 *   the folios not inserted are freed, so nothing leaks.
 * - **Finish**: a memfd never retrieved is discarded: its folios freed.
 */

#define pr_fmt(fmt) "memfd_luo: " fmt

#include <linux/cleanup.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho_block.h>
#include <linux/ktime.h>
#include <linux/liveupdate.h>
#include <linux/memfd.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/pagevec.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <linux/kho/abi/memfd.h>

#include <trace/events/liveupdate.h>

#define MEMFD_KNOWN_SEALS	(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | \
				 F_SEAL_FUTURE_WRITE | F_SEAL_EXEC)

/**
 * struct memfd_luo - a preserved memfd in the outgoing kernel
 * @ser: its description, a preserved page
 * @records: its folio records, grown as folios are preserved
 * @folios: page index -> pinned, preserved folio
 * @nr_folios: entries in @folios
 * @nr_pages: pages in them
 */
struct memfd_luo {
	struct memfd_luo_ser *ser;
	struct kho_block_set records;
	struct xarray folios;
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

/* Pin and preserve every present folio not yet preserved. */
static int memfd_luo_scan(struct memfd_luo *ml, struct file *file)
{
	struct address_space *mapping = file->f_mapping;
	pgoff_t found[PAGEVEC_SIZE], next = 0;
	size_t lens[PAGEVEC_SIZE];
	struct folio_batch fbatch;
	unsigned int i, n;
	int err;

	folio_batch_init(&fbatch);
	while (filemap_get_folios(mapping, &next, ULONG_MAX, &fbatch)) {
		for (i = 0, n = 0; i < folio_batch_count(&fbatch); i++) {
			struct folio *folio = fbatch.folios[i];

			if (xa_load(&ml->folios, folio->index))
				continue;
			found[n] = folio->index;
			lens[n++] = folio_size(folio);
		}
		folio_batch_release(&fbatch);
		for (i = 0; i < n; i++) {
			loff_t start = (loff_t)found[i] << PAGE_SHIFT;
			struct folio *folio;
			pgoff_t offset;
			long got;

			err = kho_block_set_grow(&ml->records, ml->nr_folios + 1);
			if (err)
				return err;
			got = memfd_pin_folios(file, start, start + lens[i] - 1, &folio, 1,
					       &offset);
			if (got < 0)
				return got;
			if (got != 1 || offset || folio->index != found[i]) {
				if (got == 1)
					unpin_folio(folio);
				continue;	/* truncated or changed meanwhile */
			}
			err = kho_preserve_folio(folio);
			if (!err)
				err = xa_insert(&ml->folios, folio->index, folio, GFP_KERNEL);
			if (err) {
				if (err != -EEXIST)
					kho_unpreserve_folio(folio);
				unpin_folio(folio);
				return err == -EEXIST ? -EBUSY : err;
			}
			ml->nr_folios++;
			ml->nr_pages += folio_nr_pages(folio);
		}
		cond_resched();
	}
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
	shmem_freeze_size(inode, true);
	err = memfd_luo_scan(ml, args->file);
	if (trace_memfd_preserve_enabled()) {
		u64 size = i_size_read(inode);

		trace_memfd_preserve(size, ml->nr_folios, ml->nr_pages,
				     DIV_ROUND_UP(size, PAGE_SIZE) - ml->nr_pages, err,
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

#ifdef CONFIG_LIVEUPDATE_TEST
/*
 * Tests only: debugfs memfd_luo/corrupt damages the first folio record of
 * the next memfd frozen: "index" (beyond the size), "order" (not the
 * folio's) or "pfn" (memory that is not preserved).
 */
static char memfd_luo_corrupt[8];
static DEFINE_MUTEX(memfd_luo_corrupt_lock);

static void memfd_luo_test_corrupt(struct memfd_luo *ml)
{
	struct memfd_luo_folio_ser *rec;
	struct kho_block_reader r;

	guard(mutex)(&memfd_luo_corrupt_lock);
	if (!memfd_luo_corrupt[0] || !ml->nr_folios)
		return;
	kho_block_reader_init(&r, &ml->records);
	rec = kho_block_reader_next(&r);
	pr_warn("corrupting a folio record (%s) for a test\n", memfd_luo_corrupt);
	if (!strcmp(memfd_luo_corrupt, "index"))
		rec->index = (ml->ser->size >> PAGE_SHIFT) + 16;
	else if (!strcmp(memfd_luo_corrupt, "order"))
		rec->order++;
	else
		rec->pfn = 1ULL << 38;
	memfd_luo_corrupt[0] = '\0';
}

static ssize_t memfd_luo_corrupt_write(struct file *file, const char __user *buf, size_t len,
				       loff_t *ppos)
{
	char what[sizeof(memfd_luo_corrupt)];

	if (len >= sizeof(what) || copy_from_user(what, buf, len))
		return -EINVAL;
	what[len] = '\0';
	strim(what);
	if (strcmp(what, "index") && strcmp(what, "order") && strcmp(what, "pfn"))
		return -EINVAL;
	guard(mutex)(&memfd_luo_corrupt_lock);
	strscpy(memfd_luo_corrupt, what, sizeof(memfd_luo_corrupt));
	return len;
}

static const struct file_operations memfd_luo_corrupt_fops = {
	.owner = THIS_MODULE,
	.write = memfd_luo_corrupt_write,
};

static void memfd_luo_test_debugfs(void)
{
	debugfs_create_file("corrupt", 0200, debugfs_create_dir("memfd_luo", NULL), NULL,
			    &memfd_luo_corrupt_fops);
}
#else
static void memfd_luo_test_corrupt(struct memfd_luo *ml) { }
static void memfd_luo_test_debugfs(void) { }
#endif

static int memfd_luo_freeze(struct liveupdate_file_op_args *args)
{
	struct memfd_luo *ml = args->private_data;
	struct inode *inode = file_inode(args->file);
	struct kho_block_writer w;
	struct folio *folio;
	unsigned long index;
	int err;

	/* Written into holes since preserve: keep those folios too. */
	err = memfd_luo_scan(ml, args->file);
	if (err)
		return err;
	kho_block_writer_init(&w, &ml->records, &ml->ser->folios);
	xa_for_each(&ml->folios, index, folio) {
		struct memfd_luo_folio_ser *rec = kho_block_writer_next(&w);

		if (WARN_ON_ONCE(!rec))
			return -ENOSPC;
		rec->pfn = folio_pfn(folio);
		rec->index = index;
		rec->order = folio_order(folio);
		rec->flags = MEMFD_LUO_FOLIO_DIRTY | MEMFD_LUO_FOLIO_UPTODATE;
	}
	ml->ser->pos = args->file->f_pos;
	ml->ser->size = i_size_read(inode);
	ml->ser->seals = SHMEM_I(inode)->seals;
	ml->ser->nr_folios = ml->nr_folios;
	memfd_luo_test_corrupt(ml);
	return 0;
}

/* The description of a preserved memfd, from the previous kernel. */
static struct memfd_luo_ser *memfd_luo_restore_ser(u64 data)
{
	struct page *page = kho_restore_pages(data, 1);

	return page ? page_address(page) : NULL;
}

/*
 * Insert (into @inode, if not NULL) or free every recorded folio. Returns
 * 0, or the first error; after an error the remaining folios are freed so
 * that nothing stays reserved.
 */
static int memfd_luo_restore_folios(const struct kho_block_set *records,
				    const struct memfd_luo_ser *ser, struct inode *inode,
				    unsigned long *pages)
{
	const struct memfd_luo_folio_ser *rec;
	struct kho_block_reader r;
	pgoff_t end = 0;
	u64 n = 0;
	int err = 0;

	kho_block_reader_init(&r, records);
	while ((rec = kho_block_reader_next(&r))) {
		struct folio *folio = kho_restore_folio(PFN_PHYS(rec->pfn));
		pgoff_t size = 1UL << rec->order;

		n++;
		if (!folio) {
			err = err ?: -EINVAL;
			continue;
		}
		if (!err && (folio_order(folio) != rec->order || !IS_ALIGNED(rec->index, size) ||
			     rec->index < end ||
			     (rec->index << PAGE_SHIFT) >= ser->size))
			err = -EINVAL;
		if (!err && inode)
			err = shmem_insert_folio(inode, folio, rec->index);
		if (!err)
			*pages += size;
		end = rec->index + size;
		folio_put(folio);
	}
	if (!err && n != ser->nr_folios)
		err = -EINVAL;
	return err;
}

static int memfd_luo_retrieve(struct liveupdate_file_op_args *args)
{
	u64 t0 = ktime_get_ns(), size = 0, folios = 0;
	struct kho_block_set records;
	unsigned long pages = 0;
	struct memfd_luo_ser *ser;
	struct file *file;
	int err;

	ser = memfd_luo_restore_ser(args->serialized_data);
	if (!ser) {
		pr_err("token: preserved memfd description missing\n");
		return -EINVAL;
	}
	kho_block_set_init(&records, sizeof(struct memfd_luo_folio_ser));
	err = kho_block_set_restore(&records, &ser->folios);
	if (err)
		goto out_ser;
	err = -EINVAL;
	if (ser->size > MAX_LFS_FILESIZE || ser->pos > ser->size || ser->flags ||
	    (ser->seals & ~MEMFD_KNOWN_SEALS) ||
	    ser->nr_folios > DIV_ROUND_UP(ser->size, PAGE_SIZE)) {
		memfd_luo_restore_folios(&records, ser, NULL, &pages);
		goto out_records;
	}
	file = shmem_file_setup("memfd:", ser->size, VM_NORESERVE);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		memfd_luo_restore_folios(&records, ser, NULL, &pages);
		goto out_records;
	}
	/* What memfd_create() sets up. */
	file->f_mode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
	file->f_flags |= O_LARGEFILE;
	err = memfd_luo_restore_folios(&records, ser, file_inode(file), &pages);
	if (err) {
		pr_err("preserved memfd of %llu bytes: malformed folio records\n", ser->size);
		fput(file);
		goto out_records;
	}
	SHMEM_I(file_inode(file))->seals = ser->seals;
	file->f_pos = ser->pos;
	args->file = file;
out_records:
	kho_block_set_destroy(&records);
	size = ser->size;
	folios = ser->nr_folios;
out_ser:
	folio_put(virt_to_folio(ser));
	trace_memfd_retrieve(size, folios, err ? 0 : pages,
			     err ? 0 : DIV_ROUND_UP(size, PAGE_SIZE) - pages, err,
			     ktime_get_ns() - t0);
	return err;
}

static void memfd_luo_finish(struct liveupdate_file_op_args *args)
{
	struct kho_block_set records;
	struct memfd_luo_ser *ser;
	unsigned long pages = 0;

	/* Retrieved (or tried): the memory went with the file, or is freed. */
	if (args->retrieve_status)
		return;
	ser = memfd_luo_restore_ser(args->serialized_data);
	if (!ser)
		return;
	kho_block_set_init(&records, sizeof(struct memfd_luo_folio_ser));
	if (!kho_block_set_restore(&records, &ser->folios))
		memfd_luo_restore_folios(&records, ser, NULL, &pages);
	kho_block_set_destroy(&records);
	folio_put(virt_to_folio(ser));
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
	.retrieve = memfd_luo_retrieve,
	.finish = memfd_luo_finish,
	.get_id = memfd_luo_get_id,
	.owner = THIS_MODULE,
};

static struct liveupdate_file_handler memfd_luo_handler = {
	.ops = &memfd_luo_ops,
	.compatible = MEMFD_LUO_COMPATIBLE,
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
