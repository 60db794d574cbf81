// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: KHO debugfs interface
 *
 * ``/sys/kernel/debug/kho/out/`` (what will be handed to the next kernel):
 *
 * - ``fdt``: the root tree, live (it changes as subtrees come and go)
 * - ``scratch``: one line per scratch area: ``<index> <start> <size>`` in hex
 * - ``subtrees``: one line per subtree: ``<name> <blob address> <size>``
 * - ``preserved``: ``order <n> blocks <count>`` lines, then ``pages``,
 *   ``bytes`` and ``tracker_bytes`` (the metadata cost) lines
 * - ``corrupt`` (KEXEC_HANDOVER_DEBUG only, write-only): damage the
 *   handover on purpose, for tests: ``compatible``, ``fdt``, ``tracker``,
 *   ``node``, ``overlap``, ``scratch``, ``small-scratch``
 *
 * ``/sys/kernel/debug/kho/in/`` (present only after a KHO boot):
 *
 * - ``fdt``: the root tree received
 * - ``scratch``, ``subtrees``: what was received, as above
 * - ``status``: ``order <n> blocks <count>`` lines for what arrived, then
 *   ``pages``, ``restored_pages``, ``released_pages`` and
 *   ``unrestored_pages``
 * - ``release`` (write-only): write ``1`` to give every page nobody restored
 *   to the page allocator; nothing can be restored afterwards
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/debugfs.h>
#include <linux/libfdt.h>
#include <linux/lu_debugfs.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include "kexec_handover_internal.h"

static struct dentry *kho_dir;
static struct kho_debugfs_view kho_view_out, kho_view_in;
static struct debugfs_blob_wrapper kho_fdt_out, kho_fdt_in;

static int scratch_show(struct seq_file *m, void *v)
{
	const struct kho_debugfs_view *view = m->private;
	unsigned int i;

	for (i = 0; i < view->nr_scratch; i++)
		seq_printf(m, "%u %#llx %#llx\n", i, (u64)view->scratch[i].addr,
			   (u64)view->scratch[i].size);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(scratch);

static int subtrees_show(struct seq_file *m, void *v)
{
	const struct kho_debugfs_view *view = m->private;
	int off;

	fdt_for_each_subnode(off, view->fdt, 0) {
		const fdt64_t *data = fdt_getprop(view->fdt, off, KHO_FDT_SUB_DATA_PROP, NULL);
		const fdt64_t *size = fdt_getprop(view->fdt, off, KHO_FDT_SUB_SIZE_PROP, NULL);

		seq_printf(m, "%s %#llx %llu\n", fdt_get_name(view->fdt, off, NULL),
			   data ? fdt64_to_cpu(*data) : 0, size ? fdt64_to_cpu(*size) : 0);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(subtrees);

static int preserved_show(struct seq_file *m, void *v)
{
	unsigned long blocks[KHO_ORDER_MAX + 1], nodes, pages = 0;
	unsigned int o;

	kho_out_stats(blocks, &nodes);
	for (o = 0; o <= KHO_ORDER_MAX; o++) {
		if (blocks[o])
			seq_printf(m, "order %u blocks %lu\n", o, blocks[o]);
		pages += blocks[o] << o;
	}
	seq_printf(m, "pages %lu\nbytes %llu\ntracker_bytes %llu\n", pages,
		   (u64)pages << PAGE_SHIFT, (u64)nodes << PAGE_SHIFT);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(preserved);

static int status_show(struct seq_file *m, void *v)
{
	struct kho_in_stats st;
	unsigned int o;

	kho_in_stats_get(&st);
	for (o = 0; o <= KHO_ORDER_MAX; o++)
		if (st.blocks[o])
			seq_printf(m, "order %u blocks %lu\n", o, st.blocks[o]);
	seq_printf(m, "pages %lu\nrestored_pages %lu\nreleased_pages %lu\nunrestored_pages %lu\n",
		   st.pages, st.restored_pages, st.released_pages,
		   st.pages - st.restored_pages - st.released_pages);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(status);

static ssize_t release_write(struct file *file, const char __user *buf, size_t len,
			     loff_t *ppos)
{
	bool yes;
	int err = kstrtobool_from_user(buf, len, &yes);

	if (err)
		return err;
	if (yes)
		kho_release_unrestored();
	return len;
}

static const struct file_operations release_fops = {
	.owner = THIS_MODULE,
	.write = release_write,
};

#ifdef CONFIG_KEXEC_HANDOVER_DEBUG
static ssize_t corrupt_write(struct file *file, const char __user *buf, size_t len,
			     loff_t *ppos)
{
	int what = lu_debugfs_keyword(buf, len, kho_corrupt_names, KHO_CORRUPT_NR);
	int err;

	if (what < 0)
		return what;
	err = kho_debug_corrupt(what);
	return err ? err : len;
}

static const struct file_operations corrupt_fops = {
	.owner = THIS_MODULE,
	.write = corrupt_write,
};
#endif

/**
 * kho_debugfs_init - create the kho directory
 *
 * Return: 0 (debugfs errors are not fatal to KHO).
 */
int kho_debugfs_init(void)
{
	kho_dir = debugfs_create_dir("kho", NULL);
	return 0;
}

static void kho_debugfs_common(struct dentry *dir, struct kho_debugfs_view *view,
			       struct debugfs_blob_wrapper *blob, const void *fdt,
			       const struct kho_scratch *scratch, unsigned int nr_scratch)
{
	view->fdt = fdt;
	view->scratch = scratch;
	view->nr_scratch = nr_scratch;
	blob->data = (void *)fdt;
	blob->size = fdt_totalsize(fdt);
	debugfs_create_blob("fdt", 0400, dir, blob);
	debugfs_create_file("scratch", 0400, dir, view, &scratch_fops);
	debugfs_create_file("subtrees", 0400, dir, view, &subtrees_fops);
}

/**
 * kho_debugfs_out - publish the outgoing handover
 * @fdt: root tree
 * @scratch: scratch areas
 * @nr_scratch: their number
 */
void kho_debugfs_out(const void *fdt, const struct kho_scratch *scratch,
		     unsigned int nr_scratch)
{
	struct dentry *dir = debugfs_create_dir("out", kho_dir);

	kho_debugfs_common(dir, &kho_view_out, &kho_fdt_out, fdt, scratch, nr_scratch);
	/* The tree grows and shrinks: show the whole page. */
	kho_fdt_out.size = PAGE_SIZE;
	debugfs_create_file("preserved", 0400, dir, NULL, &preserved_fops);
#ifdef CONFIG_KEXEC_HANDOVER_DEBUG
	debugfs_create_file("corrupt", 0200, dir, NULL, &corrupt_fops);
#endif
}

/**
 * kho_debugfs_in - publish the incoming handover
 * @fdt: root tree received
 * @scratch: scratch areas received
 * @nr_scratch: their number
 */
void kho_debugfs_in(const void *fdt, const struct kho_scratch *scratch,
		    unsigned int nr_scratch)
{
	struct dentry *dir = debugfs_create_dir("in", kho_dir);

	kho_debugfs_common(dir, &kho_view_in, &kho_fdt_in, fdt, scratch, nr_scratch);
	debugfs_create_file("status", 0400, dir, NULL, &status_fops);
	debugfs_create_file("release", 0200, dir, NULL, &release_fops);
}
