// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: Live Update Orchestrator (LUO)
 *
 * LUO lets userspace keep files across a kexec. Through ``/dev/liveupdate``
 * (one opener at a time, mode 0600) it creates named *sessions* and
 * preserves file descriptors into them with tokens of its choosing. The
 * heavy work happens then, while the workload runs. At
 * ``reboot(LINUX_REBOOT_CMD_KEXEC)`` LUO *freezes* every file (a failure
 * unfreezes the frozen ones in reverse and returns the error from reboot():
 * no kexec, everything still preserved) and *serializes* the sessions into
 * kho_block sets under the KHO subtree "LUO" (``luo-v1``). Nothing is
 * allocated then: the sets grew as sessions and files were added.
 *
 * The next kernel reads that state on the first open of /dev/liveupdate:
 * the sessions can be retrieved by name, their files by token (once each),
 * and finished; files never retrieved are discarded by their handler when
 * the session finishes (closing a retrieved session finishes it). Incoming
 * state is untrusted: an unknown version or a corrupt chain is logged and
 * LUO starts with no incoming sessions.
 *
 * ``liveupdate=on|off`` turns LUO on or off; it is on by default when KHO
 * is (``KEXEC_HANDOVER_ENABLE_DEFAULT``). LUO needs KHO.
 *
 * Locking: one mutex, luo.lock, protects all LUO state, including every
 * session and file; file handler operations run under it (they may sleep).
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/cleanup.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/kexec.h>
#include <linux/kexec_handover.h>
#include <linux/miscdevice.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "luo_internal.h"

#include <trace/events/liveupdate.h>

struct luo_state luo = {
	.lock = __MUTEX_INITIALIZER(luo.lock),
	.sessions_set = KHO_BLOCK_SET_INIT(luo.sessions_set, sizeof(struct luo_session_ser)),
	.files = XARRAY_INIT(luo.files, 0),
	.handlers = LIST_HEAD_INIT(luo.handlers),
};

static bool luo_enable __ro_after_init = IS_ENABLED(CONFIG_KEXEC_HANDOVER_ENABLE_DEFAULT);

static int __init luo_parse_enable(char *p)
{
	return kstrtobool(p, &luo_enable);
}
early_param("liveupdate", luo_parse_enable);

/**
 * liveupdate_enabled - is LUO on
 *
 * Return: true if sessions can be created and preserved across kexec.
 */
bool liveupdate_enabled(void)
{
	return luo_enable;
}
EXPORT_SYMBOL_GPL(liveupdate_enabled);

/**
 * luo_copy_arg - copy an extensible ioctl argument from userspace
 * @karg: kernel copy, @ksize bytes
 * @ksize: the size of the kernel's struct
 * @minsz: the end of the last field the kernel requires
 * @uarg: user pointer; the struct starts with its __u32 size
 * @usize: the size userspace gave
 *
 * Return: 0; -EFAULT; -EINVAL if @usize < @minsz; -E2BIG if bytes beyond
 * @ksize are not zero.
 */
int luo_copy_arg(void *karg, size_t ksize, size_t minsz, unsigned long uarg, u32 *usize)
{
	if (get_user(*usize, (u32 __user *)uarg))
		return -EFAULT;
	if (*usize < minsz)
		return -EINVAL;
	return copy_struct_from_user(karg, ksize, (void __user *)uarg, *usize);
}

/**
 * luo_copy_back - copy an ioctl argument back to userspace
 * @uarg: user pointer
 * @karg: kernel copy
 * @ksize: the size of the kernel's struct
 * @usize: the size userspace gave
 *
 * Return: 0 or -EFAULT.
 */
int luo_copy_back(unsigned long uarg, const void *karg, size_t ksize, u32 usize)
{
	return copy_to_user((void __user *)uarg, karg, min_t(size_t, ksize, usize)) ? -EFAULT : 0;
}

/* ---------------------------------------------------------------------- */
/* Reboot: freeze and serialize                                           */
/* ---------------------------------------------------------------------- */

static void luo_unfreeze_all(void)
{
	struct liveupdate_session *s;
	struct luo_file *f;
	int bkt;

	lockdep_assert_held(&luo.lock);
	hash_for_each(luo.out, bkt, s, hnode)
		list_for_each_entry_reverse(f, &s->files, list)
			if (f->frozen)
				luo_file_unfreeze(f, s);
}

static int luo_freeze_all(void)
{
	struct liveupdate_session *s;
	struct luo_file *f;
	int bkt, err;

	lockdep_assert_held(&luo.lock);
	hash_for_each(luo.out, bkt, s, hnode) {
		list_for_each_entry(f, &s->files, list) {
			err = luo_file_freeze(f, s);
			if (err) {
				pr_err("session %s: file %#llx (%s) cannot freeze: %pe; kexec cancelled\n",
				       s->name, f->token, f->fh->compatible, ERR_PTR(err));
				luo_unfreeze_all();
				return err;
			}
		}
	}
	return 0;
}

#ifdef CONFIG_LIVEUPDATE_TEST
/*
 * Tests only: debugfs liveupdate/corrupt names a damage to apply to the
 * serialized state: "compatible" (a version nobody reads), "chain" (one
 * more session counted than chained) or "session" (an empty session name).
 * liveupdate/serialized_delay_ms holds the reboot path that long after a
 * successful serialization (outside luo.lock), so that tests can act in
 * the window between serialization and the jump, as a slow shutdown would.
 */
static char luo_corrupt[16];
static u32 luo_serialized_delay_ms;

static void luo_test_serialized(void)
{
	u32 ms = READ_ONCE(luo_serialized_delay_ms);

	if (ms) {
		pr_warn("holding the kexec for %u ms after serialization for a test\n", ms);
		msleep(ms);
	}
}

static void luo_test_corrupt(void)
{
	struct kho_block_reader r;
	struct luo_session_ser *ss;

	if (!luo_corrupt[0])
		return;
	pr_warn("corrupting the serialized state (%s) for a test\n", luo_corrupt);
	if (!strcmp(luo_corrupt, "compatible")) {
		strscpy(luo.ser->compatible, "luo-v0", sizeof(luo.ser->compatible));
	} else if (!strcmp(luo_corrupt, "chain")) {
		luo.ser->sessions.count++;
	} else if (!strcmp(luo_corrupt, "session")) {
		kho_block_reader_init(&r, &luo.sessions_set);
		ss = kho_block_reader_next(&r);
		if (ss)
			ss->name[0] = '\0';
	}
}

static ssize_t luo_corrupt_write(struct file *file, const char __user *buf, size_t len,
				 loff_t *ppos)
{
	char what[sizeof(luo_corrupt)];

	if (len >= sizeof(what) || copy_from_user(what, buf, len))
		return -EINVAL;
	what[len] = '\0';
	strim(what);
	if (strcmp(what, "compatible") && strcmp(what, "chain") && strcmp(what, "session"))
		return -EINVAL;
	guard(mutex)(&luo.lock);
	strscpy(luo_corrupt, what, sizeof(luo_corrupt));
	return len;
}

static const struct file_operations luo_corrupt_fops = {
	.owner = THIS_MODULE,
	.write = luo_corrupt_write,
};

static void luo_test_debugfs(void)
{
	struct dentry *dir = debugfs_create_dir("liveupdate", NULL);

	debugfs_create_file("corrupt", 0200, dir, NULL, &luo_corrupt_fops);
	debugfs_create_u32("serialized_delay_ms", 0600, dir, &luo_serialized_delay_ms);
}
#else
static void luo_test_corrupt(void) { }
static void luo_test_serialized(void) { }
static void luo_test_debugfs(void) { }
#endif

/* Write every session and file; the sets were grown ahead, nothing allocates. */
static int luo_serialize(void)
{
	struct kho_block_writer sw;
	struct liveupdate_session *s;
	int bkt;

	lockdep_assert_held(&luo.lock);
	kho_block_writer_init(&sw, &luo.sessions_set, &luo.ser->sessions);
	hash_for_each(luo.out, bkt, s, hnode) {
		struct luo_session_ser *ss = kho_block_writer_next(&sw);
		struct kho_block_writer fw;
		struct luo_file *f;

		if (WARN_ON_ONCE(!ss))
			return -ENOSPC;
		memcpy(ss->name, s->name, sizeof(ss->name));
		kho_block_writer_init(&fw, &s->files_set, &ss->files);
		list_for_each_entry(f, &s->files, list) {
			struct luo_file_ser *fs = kho_block_writer_next(&fw);

			if (WARN_ON_ONCE(!fs))
				return -ENOSPC;
			strscpy(fs->compatible, f->fh->compatible, sizeof(fs->compatible));
			fs->data = f->data;
			fs->token = f->token;
		}
	}
	strscpy(luo.ser->compatible, LUO_COMPATIBLE, sizeof(luo.ser->compatible));
	luo_test_corrupt();
	return 0;
}

/* liveupdate_reboot() under luo.lock. */
static int luo_reboot(struct kimage *image)
{
	unsigned long files = 0, blocks;
	struct liveupdate_session *s;
	u64 t0 = ktime_get_ns();
	int err, bkt;

	lockdep_assert_held(&luo.lock);
	if (luo.nr_out && !kho_image_carries_handover(image)) {
		pr_err("%lu preserved sessions, but the loaded kernel cannot receive them (load it with kexec_file_load, kexec -s); kexec cancelled\n",
		       luo.nr_out);
		luo_blackout_failed();
		return -ENOEXEC;
	}
	/* Metadata: the state page, the session blocks and every file block. */
	blocks = 1 + luo.sessions_set.nr_blocks;
	hash_for_each(luo.out, bkt, s, hnode) {
		files += s->nr_files;
		blocks += s->files_set.nr_blocks;
	}
	trace_luo_serialize_begin(luo.nr_out, files);
	luo_blackout_reboot(LUO_BLACKOUT_REBOOT, luo.nr_out, files);
	err = luo_freeze_all();
	if (!err) {
		luo_blackout_reboot(LUO_BLACKOUT_FROZEN, luo.nr_out, files);
		err = luo_serialize();
		if (err)
			luo_unfreeze_all();
	}
	trace_luo_serialize_end(luo.nr_out, files, (u64)blocks * PAGE_SIZE, err,
				ktime_get_ns() - t0);
	if (err) {
		luo_blackout_failed();
		return err;
	}
	luo_blackout_reboot(LUO_BLACKOUT_SERIALIZED, luo.nr_out, files);
	luo.frozen = true;
	pr_info("serialized %lu sessions, %lu files in %llu us; metadata %lu bytes\n",
		luo.nr_out, files, div_u64(ktime_get_ns() - t0, NSEC_PER_USEC),
		blocks * PAGE_SIZE);
	return 0;
}

/**
 * liveupdate_reboot - freeze and serialize every session for a kexec
 * @image: the kexec image about to be started
 *
 * Called from the kexec reboot path before anything is shut down. On
 * success LUO is frozen: no session or file changes until the kexec (a
 * session closed meanwhile still crosses it). On failure everything is
 * unfrozen and still preserved, and the kexec is cancelled: reboot()
 * returns the error.
 *
 * Return: 0; -ENOEXEC if sessions are preserved but @image cannot carry
 * them (loaded with kexec_load(), not kexec_file_load()); or the first
 * freeze error.
 */
int liveupdate_reboot(struct kimage *image)
{
	int err;

	if (!luo_enable || !luo.ser)
		return 0;
	scoped_guard(mutex, &luo.lock)
		err = luo_reboot(image);
	if (!err)
		luo_test_serialized();
	return err;
}

/* ---------------------------------------------------------------------- */
/* The next kernel: deserialize                                           */
/* ---------------------------------------------------------------------- */

static bool luo_name_ok(const char *name, size_t len)
{
	return name[0] && strnlen(name, len) < len;
}

static void luo_drop_incoming(void)
{
	struct liveupdate_session *s;
	struct hlist_node *tmp;
	int bkt;

	lockdep_assert_held(&luo.lock);
	hash_for_each_safe(luo.in, bkt, tmp, s, hnode) {
		hash_del(&s->hnode);
		luo_file_finish_force(s);
		luo_session_free(s);
	}
}

static int luo_deserialize_session(const struct luo_session_ser *ss)
{
	struct kho_block_set files = KHO_BLOCK_SET_INIT(files, sizeof(struct luo_file_ser));
	struct liveupdate_session *s;
	struct kho_block_reader r;
	struct luo_file_ser *fs;
	int err;

	lockdep_assert_held(&luo.lock);
	if (!luo_name_ok(ss->name, sizeof(ss->name)) || luo_session_find(luo.in, ss->name)) {
		pr_err("incoming session name malformed or duplicated\n");
		return -EINVAL;
	}
	err = kho_block_set_restore(&files, &ss->files);
	if (err)
		return err;
	s = luo_session_alloc(ss->name, true);
	if (!s) {
		err = -ENOMEM;
		goto out;
	}
	hash_add(luo.in, &s->hnode, full_name_hash(NULL, s->name, strlen(s->name)));
	kho_block_reader_init(&r, &files);
	while ((fs = kho_block_reader_next(&r))) {
		if (!luo_name_ok(fs->compatible, sizeof(fs->compatible)) ||
		    xa_load(&s->tokens, fs->token)) {
			pr_err("session %s: malformed or duplicate file entry\n", s->name);
			err = -EINVAL;
			goto out;
		}
		if (IS_ERR(luo_file_add_incoming(s, fs))) {
			err = -ENOMEM;
			goto out;
		}
	}
out:
	kho_block_set_destroy(&files);
	return err;
}

/**
 * luo_incoming_check_done - end the update once no incoming session is left
 *
 * Called after the incoming state was read and whenever an incoming
 * session leaves luo.in.
 *
 * Context: under luo.lock.
 */
void luo_incoming_check_done(void)
{
	lockdep_assert_held(&luo.lock);
	if (luo.deserialized && hash_empty(luo.in))
		luo_blackout_finished();
}

/* Read the previous kernel's sessions, once. Under luo.lock. */
static void luo_deserialize(void)
{
	struct kho_block_set sessions =
		KHO_BLOCK_SET_INIT(sessions, sizeof(struct luo_session_ser));
	struct luo_session_ser *ss;
	struct liveupdate_session *s;
	unsigned long files = 0;
	struct kho_block_reader r;
	u64 t0 = ktime_get_ns();
	struct luo_ser *ser;
	size_t size = 0;
	int err, bkt;

	lockdep_assert_held(&luo.lock);
	if (luo.deserialized)
		return;
	luo.deserialized = true;
	/* Restored before it is read: nothing can free it meanwhile. */
	ser = kho_restore_subtree(LUO_KHO_SUBTREE, &size);
	if (IS_ERR(ser)) {
		if (PTR_ERR(ser) != -ENOENT) {
			pr_err("live update state is not in preserved memory; starting without it\n");
			luo_blackout_dropped();
		}
		return;
	}
	if (size < sizeof(*ser) ||
	    strncmp(ser->compatible, LUO_COMPATIBLE, sizeof(ser->compatible))) {
		pr_err("incompatible live update state (%.16s, expected %s); starting without it\n",
		       size >= sizeof(*ser) ? ser->compatible : "?", LUO_COMPATIBLE);
		luo_blackout_dropped();
		goto out;
	}
	err = kho_block_set_restore(&sessions, &ser->sessions);
	if (err)
		goto err;
	kho_block_reader_init(&r, &sessions);
	while ((ss = kho_block_reader_next(&r))) {
		err = luo_deserialize_session(ss);
		if (err)
			goto err;
		luo.nr_in++;
	}
	kho_block_set_destroy(&sessions);
	hash_for_each(luo.in, bkt, s, hnode)
		files += s->nr_files;
	pr_info("retrieved live update data: %lu sessions, %lu files in %llu us\n",
		luo.nr_in, files, div_u64(ktime_get_ns() - t0, NSEC_PER_USEC));
	trace_luo_deserialize(luo.nr_in, files, size, 0, ktime_get_ns() - t0);
	luo_incoming_check_done();
	goto out;
err:
	trace_luo_deserialize(0, 0, size, err, ktime_get_ns() - t0);
	pr_err("corrupt live update state (%pe); starting without it\n", ERR_PTR(err));
	kho_block_set_destroy(&sessions);
	luo_drop_incoming();
	luo_blackout_dropped();
out:
	folio_put(virt_to_folio(ser));
}

/* ---------------------------------------------------------------------- */
/* /dev/liveupdate                                                         */
/* ---------------------------------------------------------------------- */

static int luo_open(struct inode *inode, struct file *file)
{
	guard(mutex)(&luo.lock);
	if (luo.opened)
		return -EBUSY;
	luo.opened = true;
	luo_deserialize();
	return 0;
}

static int luo_release(struct inode *inode, struct file *file)
{
	guard(mutex)(&luo.lock);
	luo.opened = false;
	return 0;
}

static long luo_ioctl_session(unsigned int cmd, unsigned long uarg)
{
	struct liveupdate_ioctl_create_session arg;
	struct file *file;
	u32 usize;
	int ret, fd;

	/* Both commands have the same layout. */
	static_assert(sizeof(struct liveupdate_ioctl_create_session) ==
		      sizeof(struct liveupdate_ioctl_retrieve_session));
	ret = luo_copy_arg(&arg, sizeof(arg), offsetofend(typeof(arg), name), uarg, &usize);
	if (ret)
		return ret;
	if (!luo_name_ok(arg.name, sizeof(arg.name)))
		return -EINVAL;
	/*
	 * Reserve the fd and tell userspace its number before the session is
	 * created or handed out: after that nothing can fail, so a failure
	 * (no fd left, a read-only argument) creates and consumes nothing.
	 */
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	arg.fd = fd;
	ret = luo_copy_back(uarg, &arg, sizeof(arg), usize);
	if (ret)
		goto err_put_fd;
	file = cmd == LIVEUPDATE_IOCTL_CREATE_SESSION ? luo_session_create(arg.name) :
							luo_session_retrieve(arg.name);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_put_fd;
	}
	fd_install(fd, file);
	return 0;

err_put_fd:
	put_unused_fd(fd);
	return ret;
}

static long luo_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case LIVEUPDATE_IOCTL_CREATE_SESSION:
	case LIVEUPDATE_IOCTL_RETRIEVE_SESSION:
		return luo_ioctl_session(cmd, arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations luo_fops = {
	.owner = THIS_MODULE,
	.open = luo_open,
	.release = luo_release,
	.unlocked_ioctl = luo_ioctl,
};

static struct miscdevice luo_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "liveupdate",
	.fops = &luo_fops,
	.mode = 0600,
};

/*
 * After KHO (core_initcall) so that the state blob can be preserved and
 * added as a subtree, and before userspace.
 */
static int __init luo_init(void)
{
	int err;

	if (!luo_enable)
		return 0;
	if (!kho_is_enabled()) {
		pr_info("disabled: kexec handover is off\n");
		luo_enable = false;
		return 0;
	}
	luo.ser = kho_alloc_preserve(sizeof(*luo.ser));
	if (IS_ERR(luo.ser)) {
		err = PTR_ERR(luo.ser);
		goto err;
	}
	err = kho_add_subtree(LUO_KHO_SUBTREE, luo.ser, sizeof(*luo.ser));
	if (err)
		goto err_free;
	err = misc_register(&luo_miscdev);
	if (err)
		goto err_remove;
	luo_test_debugfs();
	err = luo_blackout_init();
	if (err)
		pr_warn("no blackout accounting: %pe\n", ERR_PTR(err));
	return 0;

err_remove:
	kho_remove_subtree(luo.ser);
err_free:
	kho_unpreserve_free(luo.ser);
err:
	luo.ser = NULL;
	luo_enable = false;
	pr_err("disabled: %pe\n", ERR_PTR(err));
	return err;
}
late_initcall(luo_init);
