// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: LUO files and file handlers
 *
 * A file type becomes preservable by registering a
 * &struct liveupdate_file_handler. LIVEUPDATE_SESSION_PRESERVE_FD finds the
 * first handler whose can_preserve() accepts the file (none: -ENOENT),
 * checks that the file is in no session yet (its identity, get_id() or the
 * file itself, is unique system-wide: -EBUSY) and that the token is new in
 * the session (-EEXIST), makes room for its entry, and calls preserve().
 * Each step is undone in reverse if a later one fails.
 *
 * Handlers whose files depend on other preserved files use the in-kernel
 * file API: liveupdate_get_token_outgoing() names such a file in the old
 * kernel, liveupdate_get_file_incoming() gets it in the new one.
 *
 * In the next kernel a file is retrieved once by token (retrieve()), by
 * user space or first by a kernel user; user space gets one fd for it. A
 * retrieve that fails with -ENOMEM changed nothing and can be tried again
 * (the handler may keep partial work in its private data meanwhile); any
 * other failure is final. At finish every file is asked can_finish() first
 * (any "no": -EBUSY, nothing changes), then finish() is called on all of
 * them, which discards the ones never retrieved.
 *
 * Everything here runs under luo_state.lock.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/cleanup.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/liveupdate_format.h>
#include <linux/module.h>
#include <linux/slab.h>

#include <linux/ktime.h>

#include "luo_internal.h"

#include <trace/events/liveupdate.h>

/**
 * luo_handler_find - the handler with a compatible string
 * @compatible: the string
 *
 * Context: under luo_state.lock.
 * Return: the handler or NULL.
 */
struct liveupdate_file_handler *luo_handler_find(const char *compatible)
{
	struct liveupdate_file_handler *fh;

	lockdep_assert_held(&luo_state.lock);
	list_for_each_entry(fh, &luo_state.handlers, list)
		if (!strncmp(fh->compatible, compatible, LIVEUPDATE_HNDL_COMPAT_LENGTH))
			return fh;
	return NULL;
}

static struct liveupdate_file_handler *luo_handler_of(const struct liveupdate_format *fmt)
{
	struct liveupdate_file_handler *fh;

	lockdep_assert_held(&luo_state.lock);
	list_for_each_entry(fh, &luo_state.handlers, list)
		if (fh->format == fmt)
			return fh;
	return NULL;
}

/**
 * liveupdate_register_file_handler - make a file type preservable
 * @fh: the handler; its compatible string must be unique
 *
 * Return: 0, -EINVAL for a malformed handler (or a format that is not a
 * file type's), -EEXIST for a compatible string or a format in use,
 * -EOPNOTSUPP when LUO is off.
 */
int liveupdate_register_file_handler(struct liveupdate_file_handler *fh)
{
	const struct liveupdate_file_ops *ops = fh->ops;

	if (!liveupdate_enabled())
		return -EOPNOTSUPP;
	if (!ops || !ops->can_preserve || !ops->preserve || !ops->unpreserve ||
	    !ops->retrieve || !ops->finish || !fh->compatible[0] ||
	    strnlen(fh->compatible, LIVEUPDATE_HNDL_COMPAT_LENGTH) ==
	    LIVEUPDATE_HNDL_COMPAT_LENGTH ||
	    (fh->format && !(fh->format->desc.flags & LIVEUPDATE_FORMAT_FILE)))
		return -EINVAL;
	guard(mutex)(&luo_state.lock);
	if (luo_handler_find(fh->compatible) || (fh->format && luo_handler_of(fh->format)))
		return -EEXIST;
	INIT_LIST_HEAD(&fh->flb_list);
	list_add_tail(&fh->list, &luo_state.handlers);
	return 0;
}
EXPORT_SYMBOL_GPL(liveupdate_register_file_handler);

static bool luo_handler_in_use(struct liveupdate_file_handler *fh)
{
	struct liveupdate_session *s;
	struct luo_file *f;
	int bkt;

	lockdep_assert_held(&luo_state.lock);
	hash_for_each(luo_state.out, bkt, s, hnode)
		list_for_each_entry(f, &s->files, list)
			if (f->fh == fh)
				return true;
	hash_for_each(luo_state.in, bkt, s, hnode)
		list_for_each_entry(f, &s->files, list)
			if (f->fh == fh)
				return true;
	return false;
}

/**
 * liveupdate_unregister_file_handler - undo liveupdate_register_file_handler()
 * @fh: the handler
 *
 * Return: 0, or -EBUSY while a preserved or incoming file uses it.
 */
int liveupdate_unregister_file_handler(struct liveupdate_file_handler *fh)
{
	guard(mutex)(&luo_state.lock);
	if (luo_handler_in_use(fh))
		return -EBUSY;
	luo_flb_handler_gone(fh);
	list_del_init(&fh->list);
	return 0;
}
EXPORT_SYMBOL_GPL(liveupdate_unregister_file_handler);

static void luo_args(struct liveupdate_file_op_args *args, struct luo_file *f,
		     struct liveupdate_session *s)
{
	*args = (struct liveupdate_file_op_args) {
		.handler = f->fh,
		.session = s,
		.retrieve_status = f->retrieve_status,
		.file = f->file,
		.serialized_data = f->data,
		.private_data = f->private_data,
		.version = f->version,
	};
}

/* The first handler that takes @file, or NULL. */
static struct liveupdate_file_handler *luo_handler_for(struct file *file)
{
	struct liveupdate_file_handler *fh;

	lockdep_assert_held(&luo_state.lock);
	list_for_each_entry(fh, &luo_state.handlers, list)
		if (fh->ops->can_preserve(fh, file))
			return fh;
	return NULL;
}

/* A file's identity: unique among preserved files (luo_state.files). */
static unsigned long luo_file_id(struct liveupdate_file_handler *fh, struct file *file)
{
	return fh->ops->get_id ? fh->ops->get_id(file) : (unsigned long)file;
}

/**
 * luo_file_preserve - LIVEUPDATE_SESSION_PRESERVE_FD
 * @s: an outgoing session
 * @fd: the file descriptor
 * @token: userspace's token
 *
 * Context: under luo_state.lock.
 * Return: 0; -EBADF, -ENOENT (no handler), -EEXIST (token in use), -EBUSY
 * (the file is in a session), -ENOMEM, or the handler's error.
 */
int luo_file_preserve(struct liveupdate_session *s, int fd, u64 token)
{
	struct liveupdate_file_op_args args;
	struct liveupdate_file_handler *fh;
	struct luo_file *f;
	struct file *file;
	u64 t0;
	int err;

	lockdep_assert_held(&luo_state.lock);
	if (xa_load(&s->tokens, token))
		return -EEXIST;
	file = fget(fd);
	if (!file)
		return -EBADF;
	err = -ENOENT;
	fh = luo_handler_for(file);
	if (!fh)
		goto err_fput;
	err = -ENODEV;
	if (!try_module_get(fh->ops->owner))
		goto err_fput;
	err = -ENOMEM;
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		goto err_module;
	f->fh = fh;
	f->file = file;
	f->token = token;
	f->id = luo_file_id(fh, file);
	err = xa_insert(&luo_state.files, f->id, f, GFP_KERNEL);	/* -EBUSY if taken */
	if (err)
		goto err_free;
	err = xa_insert(&s->tokens, token, f, GFP_KERNEL);
	if (err)
		goto err_erase_id;
	err = kho_block_set_grow(&s->files_set, s->nr_files + 1);
	if (err)
		goto err_erase_token;
	/* The FLBs its handler depends on: the first file preserves them. */
	err = luo_flb_file_preserve(fh);
	if (err)
		goto err_shrink;
	luo_args(&args, f, s);
	t0 = ktime_get_ns();
	err = fh->ops->preserve(&args);
	trace_luo_file_preserve(s->id, s->name, token, fh->compatible, err, ktime_get_ns() - t0);
	if (err)
		goto err_flb;
	f->data = args.serialized_data;
	f->private_data = args.private_data;
	list_add_tail(&f->list, &s->files);
	s->nr_files++;
	return 0;

err_flb:
	luo_flb_file_unpreserve(fh);
err_shrink:
	kho_block_set_shrink(&s->files_set, s->nr_files);
err_erase_token:
	xa_erase(&s->tokens, token);
err_erase_id:
	xa_erase(&luo_state.files, f->id);
err_free:
	kfree(f);
err_module:
	module_put(fh->ops->owner);
err_fput:
	fput(file);
	return err;
}

/**
 * luo_file_unpreserve_all - unpreserve every file of an outgoing session
 * @s: the session
 *
 * Context: under luo_state.lock.
 */
void luo_file_unpreserve_all(struct liveupdate_session *s)
{
	struct liveupdate_file_op_args args;
	struct luo_file *f, *tmp;

	lockdep_assert_held(&luo_state.lock);
	list_for_each_entry_safe_reverse(f, tmp, &s->files, list) {
		u64 t0 = ktime_get_ns();

		luo_args(&args, f, s);
		f->fh->ops->unpreserve(&args);
		trace_luo_file_unpreserve(s->id, s->name, f->token, f->fh->compatible, 0,
					  ktime_get_ns() - t0);
		luo_flb_file_unpreserve(f->fh);
		list_del(&f->list);
		xa_erase(&s->tokens, f->token);
		xa_erase(&luo_state.files, f->id);
		module_put(f->fh->ops->owner);
		fput(f->file);
		kfree(f);
	}
	s->nr_files = 0;
	kho_block_set_shrink(&s->files_set, 0);
}

/**
 * luo_file_freeze - freeze one file for the kexec
 * @f: the file
 * @s: its session
 *
 * Context: under luo_state.lock.
 * Return: 0 or the handler's error.
 */
int luo_file_freeze(struct luo_file *f, struct liveupdate_session *s)
{
	struct liveupdate_file_op_args args;
	u64 t0 = ktime_get_ns(), ns;
	int err;

	lockdep_assert_held(&luo_state.lock);
	f->version = f->fh->format ? liveupdate_format_out(f->fh->format) : 0;
	if (!f->fh->ops->freeze)
		return 0;
	luo_args(&args, f, s);
	err = f->fh->ops->freeze(&args);
	ns = ktime_get_ns() - t0;
	trace_luo_file_freeze(s->id, s->name, f->token, f->fh->compatible, err, ns);
	if (err)
		return err;
	luo_blackout_freeze_file(ns);
	f->data = args.serialized_data;
	f->private_data = args.private_data;
	f->frozen = true;
	return 0;
}

/**
 * luo_file_unfreeze - undo luo_file_freeze() when the kexec is cancelled
 * @f: a frozen file
 * @s: its session
 *
 * Context: under luo_state.lock.
 */
void luo_file_unfreeze(struct luo_file *f, struct liveupdate_session *s)
{
	struct liveupdate_file_op_args args;
	u64 t0 = ktime_get_ns();

	lockdep_assert_held(&luo_state.lock);
	if (f->fh->ops->unfreeze) {
		luo_args(&args, f, s);
		f->fh->ops->unfreeze(&args);
		f->data = args.serialized_data;
		f->private_data = args.private_data;
	}
	f->frozen = false;
	trace_luo_file_unfreeze(s->id, s->name, f->token, f->fh->compatible, 0,
				ktime_get_ns() - t0);
}

/**
 * luo_file_add_incoming - record a file the previous kernel preserved
 * @s: its incoming session
 * @ser: its entry (validated by the caller)
 *
 * Context: under luo_state.lock.
 * Return: the file or ERR_PTR(-ENOMEM).
 */
struct luo_file *luo_file_add_incoming(struct liveupdate_session *s,
				       const struct luo_file_ser *ser)
{
	const struct liveupdate_format *fmt;
	char why[160];
	struct luo_file *f;

	lockdep_assert_held(&luo_state.lock);
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return ERR_PTR(-ENOMEM);
	strscpy(f->compatible, ser->compatible, sizeof(f->compatible));
	f->data = ser->data;
	f->token = ser->token;
	/* A catalogued format: any version it reads; else the exact string. */
	fmt = liveupdate_format_find(f->compatible, &f->version);
	if (fmt && f->version)
		f->fh = luo_handler_of(fmt);
	else if (fmt)
		pr_err("session %s: file %#llx: %s; it cannot be retrieved and its memory stays reserved\n",
		       s->name, f->token,
		       liveupdate_format_refusal(fmt, f->compatible, why, sizeof(why)));
	else
		f->fh = luo_handler_find(f->compatible);
	if (xa_insert(&s->tokens, f->token, f, GFP_KERNEL)) {
		kfree(f);
		return ERR_PTR(-ENOMEM);
	}
	if (f->fh)
		luo_flb_file_incoming(f->fh);
	list_add_tail(&f->list, &s->files);
	s->nr_files++;
	return f;
}

/*
 * Rebuild an incoming file by its handler, once: the first caller, user
 * space or a kernel user, retrieves it; later ones find it retrieved (or
 * its final error). LUO keeps a reference to the file until finish.
 */
static int luo_file_get(struct luo_file *f, struct liveupdate_session *s)
{
	struct liveupdate_file_op_args args;
	u64 t0;
	int err;

	lockdep_assert_held(&luo_state.lock);
	if (f->retrieve_status)
		return f->retrieve_status < 0 ? f->retrieve_status : 0;
	if (!f->fh) {
		pr_warn("session %s token %#llx: no handler for %s\n", s->name, f->token,
			f->compatible);
		return -ENOENT;
	}
	/* A retrieve that needs its own file, directly or in a cycle. */
	if (f->retrieving)
		return -EDEADLK;
	luo_args(&args, f, s);
	f->retrieving = true;
	t0 = ktime_get_ns();
	err = f->fh->ops->retrieve(&args);
	trace_luo_file_retrieve(s->id, s->name, f->token, f->fh->compatible, err,
				ktime_get_ns() - t0);
	f->retrieving = false;
	f->private_data = args.private_data;
	if (err) {
		if (err != -ENOMEM)
			f->retrieve_status = err;
		return err;
	}
	f->file = args.file;
	f->retrieve_status = 1;
	return 0;
}

/**
 * luo_file_retrieve - LIVEUPDATE_SESSION_RETRIEVE_FD
 * @s: the session
 * @token: the token
 * @filep: the retrieved file, with a reference for the caller's new fd
 *
 * Single-shot per token for user space, also when a kernel user
 * (liveupdate_get_file_incoming()) retrieved the file first: then user
 * space gets that same file.
 *
 * Context: under luo_state.lock.
 * Return: 0; -ENOENT for an unknown token, one already retrieved, or a
 * file type this kernel cannot restore; -ENOMEM (nothing changed: it can
 * be tried again); the handler's error, which is final (the same error
 * again on every later try).
 */
int luo_file_retrieve(struct liveupdate_session *s, u64 token, struct file **filep)
{
	struct luo_file *f;
	int err;

	lockdep_assert_held(&luo_state.lock);
	if (!s->incoming || s->finished)
		return -ENOENT;
	f = xa_load(&s->tokens, token);
	if (!f || f->fd_given)
		return -ENOENT;
	err = luo_file_get(f, s);
	if (err)
		return err;
	f->fd_given = true;
	*filep = get_file(f->file);
	return 0;
}

/**
 * liveupdate_get_file_incoming - a preserved file, for a kernel user
 * @s: an incoming session, from &liveupdate_file_op_args.session
 * @token: the file's token in @s
 * @filep: set to the file, with a reference the caller drops with fput()
 *
 * For a file handler whose file depends on another preserved file of the
 * same session (a device file and the memfd behind it): the other file is
 * retrieved now if nobody did yet, by its own handler, exactly as
 * LIVEUPDATE_SESSION_RETRIEVE_FD would. User space can still retrieve it
 * once by its token, and gets the same file.
 *
 * Context: from a file handler's operation on a file of @s (LUO calls
 * them under its lock, which this asserts).
 * Return: 0; -EINVAL if @s is not an incoming session or is finished;
 * -ENOENT for an unknown token or a file type without a handler here;
 * -EDEADLK when the file is the one being retrieved (a retrieve that needs
 * itself); -ENOMEM (nothing changed, try again); or the file's handler's
 * retrieve error, which is final.
 */
int liveupdate_get_file_incoming(struct liveupdate_session *s, u64 token, struct file **filep)
{
	struct luo_file *f;
	int err;

	lockdep_assert_held(&luo_state.lock);
	if (!s || !s->incoming || s->finished)
		return -EINVAL;
	f = xa_load(&s->tokens, token);
	if (!f)
		return -ENOENT;
	err = luo_file_get(f, s);
	if (err)
		return err;
	*filep = get_file(f->file);
	return 0;
}
EXPORT_SYMBOL_GPL(liveupdate_get_file_incoming);

/**
 * liveupdate_get_token_outgoing - the token a file is preserved under
 * @s: an outgoing session, from &liveupdate_file_op_args.session
 * @file: a file; it is recognized as LIVEUPDATE_SESSION_PRESERVE_FD
 *	  recognizes a file already preserved (its handler's get_id(), or
 *	  the file itself)
 * @tokenp: set to its token in @s
 *
 * For a file handler that records, in its own serialized state, which
 * other preserved file it depends on: the next kernel finds that file with
 * liveupdate_get_file_incoming() and the token.
 *
 * Context: from a file handler's operation on a file of @s (LUO calls
 * them under its lock, which this asserts).
 * Return: 0; -EINVAL if @s is not an outgoing session or @file is NULL;
 * -ENOENT if @file is not preserved in @s (in no session, or in another).
 */
int liveupdate_get_token_outgoing(struct liveupdate_session *s, struct file *file, u64 *tokenp)
{
	struct liveupdate_file_handler *fh;
	struct luo_file *f;

	lockdep_assert_held(&luo_state.lock);
	if (!s || s->incoming || !file)
		return -EINVAL;
	fh = luo_handler_for(file);
	f = fh ? xa_load(&luo_state.files, luo_file_id(fh, file)) : NULL;
	if (!f || xa_load(&s->tokens, f->token) != f)
		return -ENOENT;
	*tokenp = f->token;
	return 0;
}
EXPORT_SYMBOL_GPL(liveupdate_get_token_outgoing);

/**
 * luo_file_finish_force - finish every file of an incoming session
 * @s: the session; its files are gone afterwards
 *
 * Files never retrieved are discarded by their handler.
 *
 * Context: under luo_state.lock.
 */
void luo_file_finish_force(struct liveupdate_session *s)
{
	struct liveupdate_file_op_args args;
	struct luo_file *f, *tmp;

	lockdep_assert_held(&luo_state.lock);
	list_for_each_entry_safe(f, tmp, &s->files, list) {
		if (f->fh) {
			u64 t0 = ktime_get_ns();

			luo_args(&args, f, s);
			f->fh->ops->finish(&args);
			trace_luo_file_finish(s->id, s->name, f->token, f->fh->compatible,
					      f->retrieve_status < 0 ? f->retrieve_status : 0,
					      ktime_get_ns() - t0);
			luo_flb_file_done(f->fh, true);
		} else {
			pr_warn("session %s token %#llx: no handler for %s, its memory stays reserved\n",
				s->name, f->token, f->compatible);
		}
		if (f->file)
			fput(f->file);
		list_del(&f->list);
		xa_erase(&s->tokens, f->token);
		kfree(f);
	}
	s->nr_files = 0;
}

/**
 * luo_file_finish_all - LIVEUPDATE_SESSION_FINISH for the files
 * @s: an incoming session
 *
 * Context: under luo_state.lock.
 * Return: 0, or -EBUSY if a file cannot finish yet (nothing changed then).
 */
int luo_file_finish_all(struct liveupdate_session *s)
{
	struct liveupdate_file_op_args args;
	struct luo_file *f;

	lockdep_assert_held(&luo_state.lock);
	list_for_each_entry(f, &s->files, list) {
		if (!f->fh || !f->fh->ops->can_finish)
			continue;
		luo_args(&args, f, s);
		if (!f->fh->ops->can_finish(&args))
			return -EBUSY;
	}
	luo_file_finish_force(s);
	return 0;
}
