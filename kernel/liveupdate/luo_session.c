// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: LUO sessions
 *
 * A session is a named group of preserved files, handed to userspace as an
 * anonymous-inode file ``[luo_session] <name>``. Outgoing sessions are
 * created with LIVEUPDATE_IOCTL_CREATE_SESSION; closing one before the
 * kexec unpreserves every file in it (a crashed agent cleans up by
 * itself), so preserved state survives only while the session fd is open
 * at kexec time. Once reboot(LINUX_REBOOT_CMD_KEXEC) has serialized the
 * sessions, nothing changes them any more: a session closed after that
 * (its holder exiting while the machine shuts down) still crosses the
 * kexec, as it was serialized. Incoming sessions are retrieved once by
 * name; closing a retrieved session finishes it.
 *
 * Every session's file entries live in a kho_block set grown at preserve
 * time; the session entries in luo_state.sessions_set, grown at create time.
 * All of it is protected by luo_state.lock.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/anon_inodes.h>
#include <linux/cleanup.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/stringhash.h>

#include "luo_internal.h"

#include <trace/events/liveupdate.h>

/* A fixed key: a session's id must be the same in every kernel. */
static const siphash_key_t luo_id_key = {{ 0x6c6976657570646aULL, 0x617465732d696473ULL }};

static u32 luo_hash(const char *name)
{
	return full_name_hash(NULL, name, strlen(name));
}

/**
 * luo_session_find - a session by name
 * @table: luo_state.out or luo_state.in
 * @name: the name
 *
 * Context: under luo_state.lock.
 * Return: the session or NULL.
 */
struct liveupdate_session *luo_session_find(struct hlist_head *table, const char *name)
{
	struct liveupdate_session *s;

	lockdep_assert_held(&luo_state.lock);
	hlist_for_each_entry(s, &table[hash_min(luo_hash(name), LUO_HASH_BITS)], hnode)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

/**
 * luo_session_alloc - a new, empty session
 * @name: its name (checked by the caller)
 * @incoming: from the previous kernel
 *
 * Return: the session or NULL.
 */
struct liveupdate_session *luo_session_alloc(const char *name, bool incoming)
{
	struct liveupdate_session *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (!s)
		return NULL;
	strscpy(s->name, name, sizeof(s->name));
	s->id = siphash(s->name, strlen(s->name), &luo_id_key);
	INIT_LIST_HEAD(&s->files);
	xa_init(&s->tokens);
	kho_block_set_init(&s->files_set, sizeof(struct luo_file_ser));
	s->incoming = incoming;
	return s;
}

/**
 * luo_session_free - free a session whose files are gone
 * @s: the session, out of every table
 */
void luo_session_free(struct liveupdate_session *s)
{
	WARN_ON_ONCE(!list_empty(&s->files));
	kho_block_set_destroy(&s->files_set);
	xa_destroy(&s->tokens);
	kfree(s);
}

static int luo_session_release(struct inode *inode, struct file *file)
{
	struct liveupdate_session *s = file->private_data;

	guard(mutex)(&luo_state.lock);
	trace_luo_session_release(s->id, s->name, s->nr_files, 0);
	if (!s->incoming) {
		/*
		 * Serialized for the kexec: the next kernel gets the session
		 * as it was written, so nothing of it may change or be freed.
		 */
		if (luo_state.frozen)
			return 0;
		/* Closed before the kexec: nothing of it survives. */
		hash_del(&s->hnode);
		luo_file_unpreserve_all(s);
		luo_state.nr_out--;
		kho_block_set_shrink(&luo_state.sessions_set, luo_state.nr_out);
		luo_session_free(s);
		return 0;
	}
	if (!s->finished) {
		hash_del(&s->hnode);
		luo_file_finish_force(s);
		luo_incoming_check_done();
	}
	luo_session_free(s);
	return 0;
}

static long luo_session_preserve_fd(struct liveupdate_session *s, unsigned long uarg)
{
	struct liveupdate_session_preserve_fd arg;
	u32 usize;
	int ret;

	ret = luo_copy_arg(&arg, sizeof(arg), offsetofend(typeof(arg), token), uarg, &usize);
	if (ret)
		return ret;
	guard(mutex)(&luo_state.lock);
	if (luo_state.frozen)
		return -EBUSY;
	if (s->incoming)
		return -EINVAL;
	return luo_file_preserve(s, arg.fd, arg.token);
}

static long luo_session_retrieve_fd(struct liveupdate_session *s, unsigned long uarg)
{
	struct liveupdate_session_retrieve_fd arg;
	struct file *file;
	u32 usize;
	int ret, fd;

	ret = luo_copy_arg(&arg, sizeof(arg), offsetofend(typeof(arg), token), uarg, &usize);
	if (ret)
		return ret;
	/*
	 * Reserve the fd and tell userspace its number first: once the file
	 * is retrieved nothing can fail, so a failure consumes nothing.
	 */
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	arg.fd = fd;
	ret = luo_copy_back(uarg, &arg, sizeof(arg), usize);
	if (!ret) {
		scoped_guard(mutex, &luo_state.lock)
			ret = luo_file_retrieve(s, arg.token, &file);
	}
	if (ret) {
		put_unused_fd(fd);
		return ret;
	}
	fd_install(fd, file);
	return 0;
}

static long luo_session_finish(struct liveupdate_session *s, unsigned long uarg)
{
	struct liveupdate_session_finish arg;
	u32 usize;
	int ret;

	ret = luo_copy_arg(&arg, sizeof(arg), offsetofend(typeof(arg), reserved), uarg, &usize);
	if (ret)
		return ret;
	if (arg.reserved)
		return -EINVAL;
	guard(mutex)(&luo_state.lock);
	if (!s->incoming)
		return -EINVAL;
	if (s->finished)
		return 0;
	ret = luo_file_finish_all(s);
	trace_luo_session_finish(s->id, s->name, s->nr_files, ret);
	if (ret)
		return ret;
	hash_del(&s->hnode);
	s->finished = true;
	luo_incoming_check_done();
	return 0;
}

static long luo_session_get_name(struct liveupdate_session *s, unsigned long uarg)
{
	struct liveupdate_session_get_name arg;
	u32 usize;
	int ret;

	ret = luo_copy_arg(&arg, sizeof(arg), offsetofend(typeof(arg), name), uarg, &usize);
	if (ret)
		return ret;
	if (arg.reserved)
		return -EINVAL;
	memcpy(arg.name, s->name, sizeof(arg.name));
	return luo_copy_back(uarg, &arg, sizeof(arg), usize);
}

static long luo_session_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct liveupdate_session *s = file->private_data;

	switch (cmd) {
	case LIVEUPDATE_SESSION_PRESERVE_FD:
		return luo_session_preserve_fd(s, arg);
	case LIVEUPDATE_SESSION_RETRIEVE_FD:
		return luo_session_retrieve_fd(s, arg);
	case LIVEUPDATE_SESSION_FINISH:
		return luo_session_finish(s, arg);
	case LIVEUPDATE_SESSION_GET_NAME:
		return luo_session_get_name(s, arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations luo_session_fops = {
	.owner = THIS_MODULE,
	.release = luo_session_release,
	.unlocked_ioctl = luo_session_ioctl,
};

static struct file *luo_session_file(struct liveupdate_session *s)
{
	char *name = kasprintf(GFP_KERNEL, "[luo_session] %s", s->name);
	struct file *file;

	if (!name)
		return ERR_PTR(-ENOMEM);
	file = anon_inode_getfile(name, &luo_session_fops, s, O_RDWR);
	kfree(name);
	return file;
}

/**
 * luo_session_create - a new outgoing session
 * @name: its name, valid (checked by the caller)
 *
 * Return: the session's file, or ERR_PTR: -EEXIST for a name in use,
 * -EBUSY after serialization, -ENOMEM.
 */
struct file *luo_session_create(const char *name)
{
	struct liveupdate_session *s;
	struct file *file;
	int err;

	guard(mutex)(&luo_state.lock);
	if (luo_state.frozen)
		return ERR_PTR(-EBUSY);
	if (luo_session_find(luo_state.out, name))
		return ERR_PTR(-EEXIST);
	err = kho_block_set_grow(&luo_state.sessions_set, luo_state.nr_out + 1);
	if (err)
		return ERR_PTR(err);
	s = luo_session_alloc(name, false);
	if (!s) {
		file = ERR_PTR(-ENOMEM);
		goto err_shrink;
	}
	file = luo_session_file(s);
	if (IS_ERR(file))
		goto err_free;
	hash_add(luo_state.out, &s->hnode, luo_hash(s->name));
	luo_state.nr_out++;
	trace_luo_session_create(s->id, s->name, 0, 0);
	return file;

err_free:
	luo_session_free(s);
err_shrink:
	kho_block_set_shrink(&luo_state.sessions_set, luo_state.nr_out);
	return file;
}

/**
 * luo_session_retrieve - hand out an incoming session
 * @name: its name
 *
 * Return: the session's file, or ERR_PTR: -ENOENT if there is no such
 * session, -EINVAL if it was already retrieved, -ENOMEM.
 */
struct file *luo_session_retrieve(const char *name)
{
	struct liveupdate_session *s;
	struct file *file;

	guard(mutex)(&luo_state.lock);
	s = luo_session_find(luo_state.in, name);
	if (!s)
		return ERR_PTR(-ENOENT);
	if (s->retrieved)
		return ERR_PTR(-EINVAL);
	file = luo_session_file(s);
	if (!IS_ERR(file)) {
		s->retrieved = true;
		luo_blackout_retrieved();
	}
	trace_luo_session_retrieve(s->id, s->name, s->nr_files, PTR_ERR_OR_ZERO(file));
	return file;
}
