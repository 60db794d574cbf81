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
 * ``reboot(LINUX_REBOOT_CMD_KEXEC)`` LUO freezes and serializes every session
 * (luo_serialize.c); the next kernel reads them on the first open of
 * ``/dev/liveupdate`` (luo_deserialize.c): the sessions can be retrieved by
 * name, their files by token (once each), and finished; files never
 * retrieved are discarded by their handler when the session finishes
 * (closing a retrieved session finishes it).
 *
 * ``liveupdate=on|off`` turns LUO on or off; it is on by default when KHO
 * is (``KEXEC_HANDOVER_ENABLE_DEFAULT``). LUO needs KHO.
 *
 * Locking: one mutex, luo_state.lock, protects all LUO state, including every
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

struct luo_state luo_state = {
	.lock = __MUTEX_INITIALIZER(luo_state.lock),
	.sessions_set = KHO_BLOCK_SET_INIT(luo_state.sessions_set, sizeof(struct luo_session_ser)),
	.files = XARRAY_INIT(luo_state.files, 0),
	.handlers = LIST_HEAD_INIT(luo_state.handlers),
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
/* /dev/liveupdate                                                         */
/* ---------------------------------------------------------------------- */

static int luo_open(struct inode *inode, struct file *file)
{
	int err;

	guard(mutex)(&luo_state.lock);
	if (luo_state.opened)
		return -EBUSY;
	/* Out of memory while reading the incoming state: the next open goes on. */
	err = luo_deserialize();
	if (err)
		return err;
	luo_state.opened = true;
	return 0;
}

static int luo_release(struct inode *inode, struct file *file)
{
	guard(mutex)(&luo_state.lock);
	luo_state.opened = false;
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
	if (!luo_check_name(arg.name, sizeof(arg.name)))
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
	luo_state.ser = kho_alloc_preserve(sizeof(*luo_state.ser));
	if (IS_ERR(luo_state.ser)) {
		err = PTR_ERR(luo_state.ser);
		goto err;
	}
	err = kho_add_subtree(LUO_KHO_SUBTREE, luo_state.ser, sizeof(*luo_state.ser));
	if (err)
		goto err_free;
	err = misc_register(&luo_miscdev);
	if (err)
		goto err_remove;
	luo_test_debugfs();
	err = luo_flb_init();
	if (err)
		pr_warn("no FLB state can be handed over: %pe\n", ERR_PTR(err));
	err = luo_blackout_init();
	if (err)
		pr_warn("no blackout accounting: %pe\n", ERR_PTR(err));
	return 0;

err_remove:
	kho_remove_subtree(luo_state.ser);
err_free:
	kho_unpreserve_free(luo_state.ser);
err:
	luo_state.ser = NULL;
	luo_enable = false;
	pr_err("disabled: %pe\n", ERR_PTR(err));
	return err;
}
late_initcall(luo_init);
