// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: LUO test file type
 *
 * A controllable file type for the LUO tests (``LIVEUPDATE_TEST``). Every
 * open of ``/dev/liveupdate_test`` (mode 0600) is a new file holding one
 * 64-bit value. write(2) takes one command: ``value N`` sets the value,
 * ``fail-freeze`` makes its freeze fail with -EAGAIN, ``busy`` makes it
 * refuse to finish, ``ok`` clears both. read(2) returns ``value N\n``.
 * Only the value crosses the kexec (handler "luo-test-v1"): it is the
 * serialized data itself, so no memory is preserved.
 *
 * A file given a dependency is preserved by a second handler
 * ("luo-test-dep-v1"), which exercises the in-kernel file API: ``depend
 * FD`` makes it depend on the file open as FD (another preserved file of
 * the same session: its preserve looks up that file's token with
 * liveupdate_get_token_outgoing(), -ENOENT if it is not there), and
 * ``depend-token T`` names the token directly, unchecked (for the tests of
 * bad dependencies). The token is what crosses the kexec; its retrieve
 * gets the dependency with liveupdate_get_file_incoming() and fails with
 * that error. A dependent file's read(2) shows its dependency, live:
 * ``value N\n`` with the dependency's value if it is a test file, else its
 * size.
 *
 * A file given the command ``flb`` is preserved by a third handler
 * ("luo-test-flb-file-v1"), whose files depend on the test FLB
 * "luo-test-flb-v1": one preserved page holding a value, set with
 * ``flb-value N`` before the FLB is preserved (by its first file). After
 * ``flb-fail`` the next FLB preserve fails with -EIO. A retrieve of such a
 * file gets the FLB (liveupdate_flb_get_incoming()) and fails with its
 * error. ``/sys/kernel/debug/liveupdate_test_flb`` counts the FLB's
 * operations in this boot and shows the value the last retrieve found:
 * ``preserve P unpreserve U retrieve R finish F value V``.
 */

#define pr_fmt(fmt) "liveupdate_test: " fmt

#include <linux/anon_inodes.h>
#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/liveupdate.h>
#include <linux/liveupdate_format.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

struct luo_test_file {
	u64 value;
	bool fail_freeze;
	bool busy;
	bool has_dep;
	struct file *dep;
	u64 dep_token;
	bool flb;
};

/* The test FLB's serialized state: one preserved page. */
struct luo_test_flb_ser {
	u64 magic;
	u64 value;
};

#define LUO_TEST_FLB_MAGIC	0x4c55544553544642ULL

/* The test FLB's object, on either side. */
struct luo_test_flb_obj {
	struct luo_test_flb_ser *ser;
	u64 value;
};

enum {
	LUO_TEST_FLB_PRESERVE,
	LUO_TEST_FLB_UNPRESERVE,
	LUO_TEST_FLB_RETRIEVE,
	LUO_TEST_FLB_FINISH,
	LUO_TEST_FLB_NR,
};

static atomic_long_t luo_test_flb_calls[LUO_TEST_FLB_NR];
static u64 luo_test_flb_value;
static u64 luo_test_flb_seen;
static bool luo_test_flb_fail;

static const struct file_operations luo_test_fops;

static int luo_test_open(struct inode *inode, struct file *file)
{
	struct luo_test_file *t = kzalloc(sizeof(*t), GFP_KERNEL);

	file->private_data = t;
	return t ? 0 : -ENOMEM;
}

static int luo_test_release(struct inode *inode, struct file *file)
{
	struct luo_test_file *t = file->private_data;

	if (t->dep)
		fput(t->dep);
	kfree(t);
	return 0;
}

static u64 luo_test_shown(struct luo_test_file *t)
{
	struct luo_test_file *d;

	if (!t->dep)
		return READ_ONCE(t->value);
	if (t->dep->f_op != &luo_test_fops)
		return i_size_read(file_inode(t->dep));
	d = t->dep->private_data;
	return READ_ONCE(d->value);
}

/* Depend on @dep (holding its reference), or on @token when @dep is NULL. */
static void luo_test_set_dep(struct luo_test_file *t, struct file *dep, u64 token)
{
	if (t->dep)
		fput(t->dep);
	t->dep = dep;
	t->dep_token = token;
	t->has_dep = true;
}

/* "depend FD": a dependency on another file, not on itself or a dependent. */
static int luo_test_depend(struct file *file, struct luo_test_file *t, const char *arg)
{
	struct file *dep;
	int fd;

	if (kstrtoint(arg, 10, &fd))
		return -EINVAL;
	dep = fget(fd);
	if (!dep)
		return -EBADF;
	if (dep == file || (dep->f_op == &luo_test_fops &&
			    ((struct luo_test_file *)dep->private_data)->has_dep)) {
		fput(dep);
		return -ELOOP;
	}
	luo_test_set_dep(t, dep, 0);
	return 0;
}

static ssize_t luo_test_read(struct file *file, char __user *buf, size_t len, loff_t *ppos)
{
	struct luo_test_file *t = file->private_data;
	char out[32];
	int n = scnprintf(out, sizeof(out), "value %llu\n", luo_test_shown(t));

	return simple_read_from_buffer(buf, len, ppos, out, n);
}

static ssize_t luo_test_write(struct file *file, const char __user *buf, size_t len,
			      loff_t *ppos)
{
	struct luo_test_file *t = file->private_data;
	char cmd[48];
	u64 value;
	int err;

	if (len >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, buf, len))
		return -EFAULT;
	cmd[len] = '\0';
	strim(cmd);
	if (!strncmp(cmd, "value ", 6)) {
		if (kstrtou64(cmd + 6, 10, &value))
			return -EINVAL;
		WRITE_ONCE(t->value, value);
	} else if (!strncmp(cmd, "depend ", 7)) {
		err = luo_test_depend(file, t, cmd + 7);
		if (err)
			return err;
	} else if (!strncmp(cmd, "depend-token ", 13)) {
		if (kstrtou64(cmd + 13, 10, &value))
			return -EINVAL;
		luo_test_set_dep(t, NULL, value);
	} else if (!strcmp(cmd, "flb")) {
		t->flb = true;
	} else if (!strncmp(cmd, "flb-value ", 10)) {
		if (kstrtou64(cmd + 10, 10, &value))
			return -EINVAL;
		WRITE_ONCE(luo_test_flb_value, value);
	} else if (!strcmp(cmd, "flb-fail")) {
		WRITE_ONCE(luo_test_flb_fail, true);
	} else if (!strcmp(cmd, "fail-freeze")) {
		t->fail_freeze = true;
	} else if (!strcmp(cmd, "busy")) {
		t->busy = true;
	} else if (!strcmp(cmd, "ok")) {
		t->fail_freeze = false;
		t->busy = false;
	} else {
		return -EINVAL;
	}
	return len;
}

static const struct file_operations luo_test_fops = {
	.owner = THIS_MODULE,
	.open = luo_test_open,
	.release = luo_test_release,
	.read = luo_test_read,
	.write = luo_test_write,
	.llseek = default_llseek,
};

static bool luo_test_can_preserve(struct liveupdate_file_handler *fh, struct file *file)
{
	struct luo_test_file *t = file->private_data;

	return file->f_op == &luo_test_fops && !t->has_dep && !t->flb;
}

static int luo_test_preserve(struct liveupdate_file_op_args *args)
{
	struct luo_test_file *t = args->file->private_data;

	args->serialized_data = READ_ONCE(t->value);
	return 0;
}

static void luo_test_unpreserve(struct liveupdate_file_op_args *args)
{
}

/* The value written after preserve is the one that crosses the kexec. */
static int luo_test_freeze(struct liveupdate_file_op_args *args)
{
	struct luo_test_file *t = args->file->private_data;

	if (t->fail_freeze)
		return -EAGAIN;
	args->serialized_data = READ_ONCE(t->value);
	return 0;
}

static int luo_test_new_file(struct liveupdate_file_op_args *args, struct luo_test_file *t)
{
	struct file *file = anon_inode_getfile("[luo_test]", &luo_test_fops, t, O_RDWR);

	if (IS_ERR(file))
		return PTR_ERR(file);
	/* Like the misc device's files: positioned reads and lseek work. */
	file->f_mode |= FMODE_PREAD | FMODE_LSEEK;
	args->file = file;
	return 0;
}

static int luo_test_retrieve(struct liveupdate_file_op_args *args)
{
	struct luo_test_file *t = kzalloc(sizeof(*t), GFP_KERNEL);
	int err;

	if (!t)
		return -ENOMEM;
	t->value = args->serialized_data;
	err = luo_test_new_file(args, t);
	if (err)
		kfree(t);
	return err;
}

static bool luo_test_can_finish(struct liveupdate_file_op_args *args)
{
	struct luo_test_file *t;

	if (args->retrieve_status <= 0)
		return true;
	t = args->file->private_data;
	return !t->busy;
}

static void luo_test_finish(struct liveupdate_file_op_args *args)
{
}

LIVEUPDATE_FORMAT(luo_test_format, "luo-test", LIVEUPDATE_V(1), LIVEUPDATE_V(1), 1,
		  LIVEUPDATE_FORMAT_FILE);

static const struct liveupdate_file_ops luo_test_ops = {
	.can_preserve = luo_test_can_preserve,
	.preserve = luo_test_preserve,
	.unpreserve = luo_test_unpreserve,
	.freeze = luo_test_freeze,
	.retrieve = luo_test_retrieve,
	.can_finish = luo_test_can_finish,
	.finish = luo_test_finish,
	.owner = THIS_MODULE,
};

static struct liveupdate_file_handler luo_test_handler = {
	.ops = &luo_test_ops,
	.compatible = "luo-test-v1",
	.format = &luo_test_format,
};

static bool luo_test_dep_can_preserve(struct liveupdate_file_handler *fh, struct file *file)
{
	return file->f_op == &luo_test_fops &&
	       ((struct luo_test_file *)file->private_data)->has_dep;
}

/* The dependency's token is the serialized data. */
static int luo_test_dep_preserve(struct liveupdate_file_op_args *args)
{
	struct luo_test_file *t = args->file->private_data;
	u64 token = t->dep_token;
	int err;

	if (t->dep) {
		err = liveupdate_get_token_outgoing(args->session, t->dep, &token);
		if (err)
			return err;
	}
	args->serialized_data = token;
	return 0;
}

static int luo_test_dep_retrieve(struct liveupdate_file_op_args *args)
{
	struct luo_test_file *t = kzalloc(sizeof(*t), GFP_KERNEL);
	int err;

	if (!t)
		return -ENOMEM;
	err = liveupdate_get_file_incoming(args->session, args->serialized_data, &t->dep);
	if (err)
		goto err_free;
	t->dep_token = args->serialized_data;
	t->has_dep = true;
	err = luo_test_new_file(args, t);
	if (err)
		goto err_put;
	return 0;

err_put:
	fput(t->dep);
err_free:
	kfree(t);
	return err;
}

LIVEUPDATE_FORMAT(luo_test_dep_format, "luo-test-dep", LIVEUPDATE_V(1), LIVEUPDATE_V(1), 1,
		  LIVEUPDATE_FORMAT_FILE);

static const struct liveupdate_file_ops luo_test_dep_ops = {
	.can_preserve = luo_test_dep_can_preserve,
	.preserve = luo_test_dep_preserve,
	.unpreserve = luo_test_unpreserve,
	.retrieve = luo_test_dep_retrieve,
	.finish = luo_test_finish,
	.owner = THIS_MODULE,
};

static struct liveupdate_file_handler luo_test_dep_handler = {
	.ops = &luo_test_dep_ops,
	.compatible = "luo-test-dep-v1",
	.format = &luo_test_dep_format,
};

static struct miscdevice luo_test_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "liveupdate_test",
	.fops = &luo_test_fops,
	.mode = 0600,
};

static int luo_test_flb_preserve(struct liveupdate_flb_op_args *args)
{
	struct luo_test_flb_obj *obj;

	if (xchg(&luo_test_flb_fail, false))
		return -EIO;
	obj = kzalloc(sizeof(*obj), GFP_KERNEL);
	if (!obj)
		return -ENOMEM;
	obj->ser = kho_alloc_preserve(sizeof(*obj->ser));
	if (IS_ERR(obj->ser)) {
		int err = PTR_ERR(obj->ser);

		kfree(obj);
		return err;
	}
	obj->value = READ_ONCE(luo_test_flb_value);
	obj->ser->magic = LUO_TEST_FLB_MAGIC;
	obj->ser->value = obj->value;
	args->obj = obj;
	args->data = virt_to_phys(obj->ser);
	atomic_long_inc(&luo_test_flb_calls[LUO_TEST_FLB_PRESERVE]);
	return 0;
}

static void luo_test_flb_unpreserve(struct liveupdate_flb_op_args *args)
{
	struct luo_test_flb_obj *obj = args->obj;

	kho_unpreserve_free(obj->ser);
	kfree(obj);
	atomic_long_inc(&luo_test_flb_calls[LUO_TEST_FLB_UNPRESERVE]);
}

static int luo_test_flb_retrieve(struct liveupdate_flb_op_args *args)
{
	struct luo_test_flb_obj *obj;
	struct page *page;

	atomic_long_inc(&luo_test_flb_calls[LUO_TEST_FLB_RETRIEVE]);
	page = PAGE_ALIGNED(args->data) && pfn_valid(PHYS_PFN(args->data)) ?
	       kho_restore_pages(args->data, 1) : NULL;
	if (!page)
		return -EINVAL;
	obj = kzalloc(sizeof(*obj), GFP_KERNEL);
	if (!obj) {
		__free_page(page);
		return -ENOMEM;
	}
	obj->ser = page_address(page);
	if (obj->ser->magic != LUO_TEST_FLB_MAGIC) {
		kfree(obj);
		__free_page(page);
		return -EINVAL;
	}
	obj->value = obj->ser->value;
	WRITE_ONCE(luo_test_flb_seen, obj->value);
	args->obj = obj;
	return 0;
}

static void luo_test_flb_finish(struct liveupdate_flb_op_args *args)
{
	struct luo_test_flb_obj *obj = args->obj;

	kho_restore_free(obj->ser);
	kfree(obj);
	atomic_long_inc(&luo_test_flb_calls[LUO_TEST_FLB_FINISH]);
}

static const struct liveupdate_flb_ops luo_test_flb_ops = {
	.preserve = luo_test_flb_preserve,
	.unpreserve = luo_test_flb_unpreserve,
	.retrieve = luo_test_flb_retrieve,
	.finish = luo_test_flb_finish,
	.owner = THIS_MODULE,
};

static struct liveupdate_flb luo_test_flb = {
	.ops = &luo_test_flb_ops,
	.compatible = "luo-test-flb-v1",
};

static bool luo_test_flb_can_preserve(struct liveupdate_file_handler *fh, struct file *file)
{
	struct luo_test_file *t = file->private_data;

	return file->f_op == &luo_test_fops && t->flb && !t->has_dep;
}

/* The FLB is preserved before its files: a file sees it, or LUO is broken. */
static int luo_test_flb_file_preserve(struct liveupdate_file_op_args *args)
{
	void *obj;
	int err = liveupdate_flb_get_outgoing(&luo_test_flb, &obj);

	if (WARN_ON_ONCE(err))
		return err;
	return luo_test_preserve(args);
}

static int luo_test_flb_file_retrieve(struct liveupdate_file_op_args *args)
{
	void *obj;
	int err = liveupdate_flb_get_incoming(&luo_test_flb, &obj);

	if (err)
		return err;
	err = luo_test_retrieve(args);
	if (!err)
		((struct luo_test_file *)args->file->private_data)->flb = true;
	return err;
}

static const struct liveupdate_file_ops luo_test_flb_file_ops = {
	.can_preserve = luo_test_flb_can_preserve,
	.preserve = luo_test_flb_file_preserve,
	.unpreserve = luo_test_unpreserve,
	.freeze = luo_test_freeze,
	.retrieve = luo_test_flb_file_retrieve,
	.finish = luo_test_finish,
	.owner = THIS_MODULE,
};

static struct liveupdate_file_handler luo_test_flb_handler = {
	.ops = &luo_test_flb_file_ops,
	.compatible = "luo-test-flb-file-v1",
};

static int luo_test_flb_show(struct seq_file *m, void *v)
{
	seq_printf(m, "preserve %ld unpreserve %ld retrieve %ld finish %ld value %llu\n",
		   atomic_long_read(&luo_test_flb_calls[LUO_TEST_FLB_PRESERVE]),
		   atomic_long_read(&luo_test_flb_calls[LUO_TEST_FLB_UNPRESERVE]),
		   atomic_long_read(&luo_test_flb_calls[LUO_TEST_FLB_RETRIEVE]),
		   atomic_long_read(&luo_test_flb_calls[LUO_TEST_FLB_FINISH]),
		   READ_ONCE(luo_test_flb_seen));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(luo_test_flb);

/* The FLB-dependent file type; LUO works on without it. */
static void __init luo_test_flb_init(void)
{
	int err = liveupdate_register_file_handler(&luo_test_flb_handler);

	if (!err) {
		err = liveupdate_register_flb(&luo_test_flb_handler, &luo_test_flb);
		if (err)
			liveupdate_unregister_file_handler(&luo_test_flb_handler);
	}
	if (err) {
		pr_warn("FLB test handler not registered: %pe\n", ERR_PTR(err));
		return;
	}
	debugfs_create_file("liveupdate_test_flb", 0400, NULL, NULL, &luo_test_flb_fops);
}

static int __init luo_test_init(void)
{
	int err = liveupdate_register_file_handler(&luo_test_handler);

	if (err) {
		pr_info("not registered: %pe\n", ERR_PTR(err));
		return 0;
	}
	err = liveupdate_register_file_handler(&luo_test_dep_handler);
	if (err)
		goto err_handler;
	err = misc_register(&luo_test_miscdev);
	if (err)
		goto err_dep;
	luo_test_flb_init();
	return 0;

err_dep:
	liveupdate_unregister_file_handler(&luo_test_dep_handler);
err_handler:
	liveupdate_unregister_file_handler(&luo_test_handler);
	return err;
}
late_initcall(luo_test_init);
