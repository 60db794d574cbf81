// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: File-Lifecycle-Bound state (FLB)
 *
 * Some state is shared by many preserved files rather than owned by one:
 * an IOMMU domain behind several device files, a HugeTLB pool behind its
 * memfds. Its owner registers a &struct liveupdate_flb with every file
 * handler whose files need it (liveupdate_register_flb()), and LUO ties
 * the state's life to those files:
 *
 * - **Old kernel.** Preserving the first file that depends on an FLB
 *   calls its preserve() first (its failure fails that file's preserve,
 *   and nothing is left behind); unpreserving the last one calls its
 *   unpreserve(). The count of dependent files is the FLB's outgoing
 *   refcount; liveupdate_flb_get_outgoing() gives its object while it is
 *   above zero. At reboot(KEXEC) every preserved FLB is written into the
 *   KHO subtree "LUO-FLB" ("luo-flb-v1", ``include/linux/kho/abi/luo.h``):
 *   a kho_block set, grown as FLBs are preserved so that the reboot path
 *   allocates nothing, and with no limit on their number.
 * - **New kernel.** When LUO reads the incoming state, each FLB handed
 *   over is matched by its compatible string to a registered one and gets
 *   an incoming refcount: the incoming files that depend on it. Its
 *   retrieve() runs on demand, from liveupdate_flb_get_incoming(), once:
 *   the result (the object, or the error) is remembered. When the last
 *   dependent file finishes (retrieved or discarded), the FLB is retrieved
 *   if nobody did yet and finish() is called; an FLB no incoming file
 *   depends on is finished as soon as the state is read, so its memory is
 *   not held for nothing.
 * - **Registration** needs LUO quiescent: -EBUSY while any session
 *   exists, in or out. A compatible string registered with another FLB
 *   object, or this FLB registered with this handler twice, is -EEXIST; an
 *   FLB missing any of its four operations or a malformed compatible
 *   string is -EINVAL.
 *
 * A damaged or incompatible "LUO-FLB" subtree is logged and ignored: the
 * FLBs are then not handed over (liveupdate_flb_get_incoming() is -ENOENT)
 * and what they preserved stays reserved; the rest of the handover is
 * unaffected. Everything here runs under luo_state.lock.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/cleanup.h>
#include <linux/kexec_handover.h>
#include <linux/ktime.h>
#include <linux/liveupdate_format.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xxhash.h>

#include "luo_internal.h"

#include <trace/events/liveupdate.h>

LIVEUPDATE_FORMAT(luo_flb_format, "luo-flb", LIVEUPDATE_V(1), LIVEUPDATE_V(1), 1, 0);

/* A handler's dependency on an FLB: on fh->flb_list. */
struct luo_flb_link {
	struct list_head list;
	struct liveupdate_flb *flb;
};

static LIST_HEAD(luo_flbs);
static unsigned long luo_flbs_out;	/* FLBs preserved now */
static struct kho_block_set luo_flb_set = KHO_BLOCK_SET_INIT(luo_flb_set,
							     sizeof(struct luo_flb_ser));
static struct luo_flb_head_ser *luo_flb_head;
static bool luo_flb_read;

static u64 luo_flb_head_hash(const struct luo_flb_head_ser *head)
{
	return xxh64(head, offsetof(struct luo_flb_head_ser, hash), 0);
}

static struct liveupdate_flb *luo_flb_find(const char *compatible)
{
	struct liveupdate_flb *flb;

	lockdep_assert_held(&luo_state.lock);
	list_for_each_entry(flb, &luo_flbs, private.list)
		if (!strncmp(flb->compatible, compatible, LIVEUPDATE_FLB_COMPAT_LENGTH))
			return flb;
	return NULL;
}

static struct luo_flb_link *luo_flb_link_of(struct liveupdate_file_handler *fh,
					    struct liveupdate_flb *flb)
{
	struct luo_flb_link *l;

	lockdep_assert_held(&luo_state.lock);
	list_for_each_entry(l, &fh->flb_list, list)
		if (l->flb == flb)
			return l;
	return NULL;
}

/* No session anywhere: registrations may change. */
static bool luo_quiescent(void)
{
	lockdep_assert_held(&luo_state.lock);
	return hash_empty(luo_state.out) && hash_empty(luo_state.in) && !luo_state.frozen;
}

/**
 * liveupdate_register_flb - make a file handler's files depend on an FLB
 * @fh: a registered file handler
 * @flb: the FLB; the same one may be registered with several handlers
 *
 * Return: 0; -EOPNOTSUPP when LUO is off; -EINVAL for an FLB without all
 * four operations, a malformed compatible string, or @fh not registered;
 * -EBUSY while any session exists; -EEXIST if @flb is registered with @fh
 * already, or another FLB has its compatible string; -ENOMEM.
 */
int liveupdate_register_flb(struct liveupdate_file_handler *fh, struct liveupdate_flb *flb)
{
	const struct liveupdate_flb_ops *ops = flb->ops;
	struct liveupdate_flb *other;
	struct luo_flb_link *l;

	if (!liveupdate_enabled())
		return -EOPNOTSUPP;
	if (!ops || !ops->preserve || !ops->unpreserve || !ops->retrieve || !ops->finish ||
	    !flb->compatible[0] ||
	    strnlen(flb->compatible, LIVEUPDATE_FLB_COMPAT_LENGTH) == LIVEUPDATE_FLB_COMPAT_LENGTH)
		return -EINVAL;
	guard(mutex)(&luo_state.lock);
	/* Compatible strings are unique among registered handlers. */
	if (luo_handler_find(fh->compatible) != fh)
		return -EINVAL;
	if (!luo_quiescent())
		return -EBUSY;
	other = luo_flb_find(flb->compatible);
	if ((other && other != flb) || luo_flb_link_of(fh, flb))
		return -EEXIST;
	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	l->flb = flb;
	if (!other) {
		memset(&flb->private, 0, sizeof(flb->private));
		list_add_tail(&flb->private.list, &luo_flbs);
	}
	flb->private.users++;
	list_add_tail(&l->list, &fh->flb_list);
	return 0;
}
EXPORT_SYMBOL_GPL(liveupdate_register_flb);

static void luo_flb_unlink(struct luo_flb_link *l)
{
	struct liveupdate_flb *flb = l->flb;

	lockdep_assert_held(&luo_state.lock);
	list_del(&l->list);
	kfree(l);
	if (!--flb->private.users)
		list_del_init(&flb->private.list);
}

/**
 * liveupdate_unregister_flb - undo liveupdate_register_flb()
 * @fh: the file handler
 * @flb: the FLB
 *
 * Return: 0; -EBUSY while any session exists; -ENOENT if @flb is not
 * registered with @fh.
 */
int liveupdate_unregister_flb(struct liveupdate_file_handler *fh, struct liveupdate_flb *flb)
{
	struct luo_flb_link *l;

	guard(mutex)(&luo_state.lock);
	if (!luo_quiescent())
		return -EBUSY;
	l = luo_flb_link_of(fh, flb);
	if (!l)
		return -ENOENT;
	luo_flb_unlink(l);
	return 0;
}
EXPORT_SYMBOL_GPL(liveupdate_unregister_flb);

/**
 * luo_flb_handler_gone - drop a file handler's FLB registrations
 * @fh: a handler being unregistered, with no file in any session
 *
 * Context: under luo_state.lock.
 */
void luo_flb_handler_gone(struct liveupdate_file_handler *fh)
{
	struct luo_flb_link *l, *tmp;

	lockdep_assert_held(&luo_state.lock);
	list_for_each_entry_safe(l, tmp, &fh->flb_list, list)
		luo_flb_unlink(l);
}

/**
 * liveupdate_flb_get_outgoing - the live object of a preserved FLB
 * @flb: the FLB
 * @objp: set to the object its preserve() made
 *
 * Context: from a file handler's operation (under LUO's lock, asserted).
 * Return: 0, or -ENOENT when no preserved file depends on @flb.
 */
int liveupdate_flb_get_outgoing(struct liveupdate_flb *flb, void **objp)
{
	lockdep_assert_held(&luo_state.lock);
	if (!flb->private.out_files)
		return -ENOENT;
	*objp = flb->private.out.obj;
	return 0;
}
EXPORT_SYMBOL_GPL(liveupdate_flb_get_outgoing);

static int luo_flb_retrieve(struct liveupdate_flb *flb)
{
	struct liveupdate_flb_private *p = &flb->private;
	u64 t0;
	int err;

	lockdep_assert_held(&luo_state.lock);
	if (p->in_status)
		return p->in_status < 0 ? p->in_status : 0;
	p->in.flb = flb;
	t0 = ktime_get_ns();
	err = flb->ops->retrieve(&p->in);
	trace_luo_flb_retrieve(flb->compatible, p->in_files, err, ktime_get_ns() - t0);
	p->in_status = err ?: 1;
	if (err)
		pr_err("FLB %s: retrieve failed: %pe\n", flb->compatible, ERR_PTR(err));
	return err;
}

/**
 * liveupdate_flb_get_incoming - the object of an FLB handed over
 * @flb: the FLB
 * @objp: set to the object its retrieve() made
 *
 * Retrieves the FLB the first time; later calls get the same object, or
 * the same error.
 *
 * Context: from a file handler's operation (under LUO's lock, asserted).
 * Return: 0; -ENOENT if the previous kernel handed no such FLB over (or
 * it was damaged, or is finished); the retrieve's error.
 */
int liveupdate_flb_get_incoming(struct liveupdate_flb *flb, void **objp)
{
	int err;

	lockdep_assert_held(&luo_state.lock);
	if (!flb->private.in_present)
		return -ENOENT;
	err = luo_flb_retrieve(flb);
	if (err)
		return err;
	*objp = flb->private.in.obj;
	return 0;
}
EXPORT_SYMBOL_GPL(liveupdate_flb_get_incoming);

static void luo_flb_put_out(struct liveupdate_flb *flb)
{
	struct liveupdate_flb_private *p = &flb->private;
	u64 t0;

	lockdep_assert_held(&luo_state.lock);
	if (--p->out_files)
		return;
	t0 = ktime_get_ns();
	flb->ops->unpreserve(&p->out);
	trace_luo_flb_unpreserve(flb->compatible, 0, 0, ktime_get_ns() - t0);
	p->out.data = 0;
	p->out.obj = NULL;
	luo_flbs_out--;
	kho_block_set_shrink(&luo_flb_set, luo_flbs_out);
	module_put(flb->ops->owner);
}

static int luo_flb_get_out(struct liveupdate_flb *flb)
{
	struct liveupdate_flb_private *p = &flb->private;
	u64 t0;
	int err;

	lockdep_assert_held(&luo_state.lock);
	if (p->out_files) {
		p->out_files++;
		return 0;
	}
	if (!luo_flb_head)
		return -EOPNOTSUPP;
	if (!try_module_get(flb->ops->owner))
		return -ENODEV;
	/* Room for its entry now: the reboot path allocates nothing. */
	err = kho_block_set_grow(&luo_flb_set, luo_flbs_out + 1);
	if (err)
		goto err_module;
	p->out = (struct liveupdate_flb_op_args){ .flb = flb };
	t0 = ktime_get_ns();
	err = flb->ops->preserve(&p->out);
	trace_luo_flb_preserve(flb->compatible, 1, err, ktime_get_ns() - t0);
	if (err)
		goto err_shrink;
	p->out_files = 1;
	luo_flbs_out++;
	return 0;

err_shrink:
	kho_block_set_shrink(&luo_flb_set, luo_flbs_out);
err_module:
	module_put(flb->ops->owner);
	return err;
}

/**
 * luo_flb_file_preserve - a file of @fh is being preserved
 * @fh: its handler
 *
 * Every FLB the handler depends on gains a file; the first one preserves
 * it. On failure the FLBs taken are given back, in reverse.
 *
 * Context: under luo_state.lock.
 * Return: 0, or the first error (an FLB's preserve, -ENOMEM, -ENODEV).
 */
int luo_flb_file_preserve(struct liveupdate_file_handler *fh)
{
	struct luo_flb_link *l;
	int err;

	lockdep_assert_held(&luo_state.lock);
	list_for_each_entry(l, &fh->flb_list, list) {
		err = luo_flb_get_out(l->flb);
		if (err)
			goto err_put;
	}
	return 0;

err_put:
	list_for_each_entry_continue_reverse(l, &fh->flb_list, list)
		luo_flb_put_out(l->flb);
	return err;
}

/**
 * luo_flb_file_unpreserve - a file of @fh was unpreserved (or failed to preserve)
 * @fh: its handler
 *
 * Context: under luo_state.lock.
 */
void luo_flb_file_unpreserve(struct liveupdate_file_handler *fh)
{
	struct luo_flb_link *l;

	lockdep_assert_held(&luo_state.lock);
	list_for_each_entry_reverse(l, &fh->flb_list, list)
		luo_flb_put_out(l->flb);
}

/**
 * luo_flb_live - is any FLB preserved for the kexec
 *
 * Context: under luo_state.lock.
 * Return: true if one is.
 */
bool luo_flb_live(void)
{
	lockdep_assert_held(&luo_state.lock);
	return luo_flbs_out > 0;
}

/**
 * luo_flb_is_format - is @fmt the FLB state's format
 * @fmt: a format
 *
 * Return: true if it is "luo-flb".
 */
bool luo_flb_is_format(const struct liveupdate_format *fmt)
{
	return fmt == &luo_flb_format;
}

/**
 * luo_flb_serialize - write the preserved FLBs for the kexec
 *
 * The set was grown as FLBs were preserved: nothing allocates.
 *
 * Context: under luo_state.lock, in the reboot path.
 * Return: 0, or -ENOSPC (a bug: the set is too small).
 */
int luo_flb_serialize(void)
{
	struct luo_flb_head_ser *head = luo_flb_head;
	unsigned int version = liveupdate_format_out(&luo_flb_format);
	struct kho_block_writer w;
	struct liveupdate_flb *flb;

	lockdep_assert_held(&luo_state.lock);
	if (!head)
		return luo_flbs_out ? -ENOSPC : 0;
	memset(head->compatible, 0, sizeof(head->compatible));
	kho_block_writer_init(&w, &luo_flb_set, &head->flbs);
	list_for_each_entry(flb, &luo_flbs, private.list) {
		struct luo_flb_ser e = {
			.data = flb->private.out.data,
			.files = flb->private.out_files,
		};

		if (!flb->private.out_files)
			continue;
		strscpy(e.compatible, flb->compatible, sizeof(e.compatible));
		if (WARN_ON_ONCE(kho_block_writer_add(&w, &e)))
			return -ENOSPC;
	}
	/* luo_formats_check() refused the kexec if live FLBs have no version. */
	if (luo_flbs_out && version)
		liveupdate_format_compat(&luo_flb_format, version, head->compatible,
					 sizeof(head->compatible));
	head->hash = luo_flb_head_hash(head);
	liveupdate_test_region("luo-flb", head, sizeof(*head), NULL);
	liveupdate_test_chain("luo-flb-entries", &luo_flb_set, NULL);
	return 0;
}

/**
 * luo_flb_test_corrupt - damage the FLB state (LIVEUPDATE_TEST)
 *
 * The chain's count is off by one: the next kernel's check of the chain
 * fails, and it must boot without the FLBs.
 *
 * Context: under luo_state.lock, after luo_flb_serialize().
 */
void luo_flb_test_corrupt(void)
{
	lockdep_assert_held(&luo_state.lock);
	if (!luo_flb_head)
		return;
	luo_flb_head->flbs.count++;
	luo_flb_head->hash = luo_flb_head_hash(luo_flb_head);
}

/**
 * luo_flb_in_entry - read one FLB entry of the incoming state
 * @e: the entry: validated, then matched to a registered FLB
 *
 * Context: under luo_state.lock.
 */
void luo_flb_in_entry(const struct luo_flb_ser *e)
{
	struct liveupdate_flb *flb;

	lockdep_assert_held(&luo_state.lock);
	if (!luo_check_name(e->compatible, sizeof(e->compatible)) || !e->files) {
		pr_err("FLB state: malformed entry; that FLB is not restored\n");
		return;
	}
	flb = luo_flb_find(e->compatible);
	if (!flb) {
		pr_warn("FLB %.48s: no such FLB here; its state stays reserved\n", e->compatible);
		return;
	}
	if (flb->private.in_present) {
		pr_err("FLB %s: handed over twice; the second entry is ignored\n", flb->compatible);
		return;
	}
	flb->private.in_present = true;
	flb->private.in_status = 0;
	flb->private.in = (struct liveupdate_flb_op_args){ .flb = flb, .data = e->data };
}

/**
 * luo_flb_deserialize - read the FLBs the previous kernel handed over
 *
 * Once, before the incoming files are read (they count on the FLBs). A
 * missing subtree is a kernel that handed none over; a damaged or
 * incompatible one is logged and ignored.
 *
 * Context: under luo_state.lock.
 */
void luo_flb_deserialize(void)
{
	struct luo_flb_head_ser *head;
	struct kho_block_set set;
	struct kho_block_reader r;
	struct luo_flb_ser *e;
	size_t size = 0;
	unsigned int n = 0;

	lockdep_assert_held(&luo_state.lock);
	if (luo_flb_read)
		return;
	luo_flb_read = true;
	head = kho_restore_subtree(LUO_FLB_KHO_SUBTREE, &size);
	if (IS_ERR(head))
		return;
	if (size < sizeof(*head) || head->hash != luo_flb_head_hash(head)) {
		pr_err("corrupt FLB state (its header); starting without it\n");
		goto out;
	}
	if (!head->compatible[0])
		goto out;
	if (!luo_check_name(head->compatible, sizeof(head->compatible)) ||
	    !liveupdate_format_parse(&luo_flb_format, head->compatible)) {
		pr_err("incompatible FLB state (%.16s, expected %s); starting without it\n",
		       head->compatible, LUO_FLB_COMPATIBLE);
		goto out;
	}
	kho_block_set_init(&set, sizeof(struct luo_flb_ser));
	if (kho_block_set_restore(&set, &head->flbs)) {
		kho_block_set_destroy(&set);
		pr_err("corrupt FLB state (its chain of entries); starting without it\n");
		goto out;
	}
	kho_block_reader_init(&r, &set);
	while ((e = kho_block_reader_next(&r))) {
		luo_flb_in_entry(e);
		n++;
	}
	kho_block_set_destroy(&set);
	pr_info("retrieved %u FLBs\n", n);
out:
	folio_put(virt_to_folio(head));
}

/**
 * luo_flb_file_incoming - an incoming file of @fh was read
 * @fh: its handler
 *
 * Every FLB it depends on that was handed over gains an incoming file.
 *
 * Context: under luo_state.lock.
 */
void luo_flb_file_incoming(struct liveupdate_file_handler *fh)
{
	struct luo_flb_link *l;

	lockdep_assert_held(&luo_state.lock);
	list_for_each_entry(l, &fh->flb_list, list)
		if (l->flb->private.in_present)
			l->flb->private.in_files++;
}

static void luo_flb_finish(struct liveupdate_flb *flb)
{
	struct liveupdate_flb_private *p = &flb->private;
	u64 t0;

	lockdep_assert_held(&luo_state.lock);
	/* finish() always gets the object: retrieve it first if need be. */
	if (!luo_flb_retrieve(flb)) {
		t0 = ktime_get_ns();
		flb->ops->finish(&p->in);
		trace_luo_flb_finish(flb->compatible, 0, 0, ktime_get_ns() - t0);
	} else {
		pr_warn("FLB %s: not retrieved, not finished; its state stays reserved\n",
			flb->compatible);
	}
	p->in_present = false;
	p->in = (struct liveupdate_flb_op_args){};
}

/**
 * luo_flb_file_done - an incoming file of @fh is gone
 * @fh: its handler
 * @finish: the file finished (else it is forgotten, to be read again)
 *
 * The last finished file finishes the FLB.
 *
 * Context: under luo_state.lock.
 */
void luo_flb_file_done(struct liveupdate_file_handler *fh, bool finish)
{
	struct luo_flb_link *l;

	lockdep_assert_held(&luo_state.lock);
	list_for_each_entry_reverse(l, &fh->flb_list, list) {
		struct liveupdate_flb *flb = l->flb;

		if (!flb->private.in_present || WARN_ON_ONCE(!flb->private.in_files))
			continue;
		if (!--flb->private.in_files && finish)
			luo_flb_finish(flb);
	}
}

/**
 * luo_flb_orphans - finish the FLBs handed over that no file depends on
 *
 * After every incoming session was read.
 *
 * Context: under luo_state.lock.
 */
void luo_flb_orphans(void)
{
	struct liveupdate_flb *flb;

	lockdep_assert_held(&luo_state.lock);
	list_for_each_entry(flb, &luo_flbs, private.list) {
		if (!flb->private.in_present || flb->private.in_files)
			continue;
		pr_info("FLB %s: no incoming file depends on it; finishing it\n", flb->compatible);
		luo_flb_finish(flb);
	}
}

/**
 * luo_flb_init - the "LUO-FLB" subtree, for the next kernel
 *
 * Return: 0 or the error (LUO then runs without FLBs: preserving a file
 * that depends on one fails with -EOPNOTSUPP).
 */
int __init luo_flb_init(void)
{
	struct luo_flb_head_ser *head = kho_alloc_preserve(sizeof(*head));
	int err;

	if (IS_ERR(head))
		return PTR_ERR(head);
	head->hash = luo_flb_head_hash(head);
	err = kho_add_subtree(LUO_FLB_KHO_SUBTREE, head, sizeof(*head));
	if (err) {
		kho_unpreserve_free(head);
		return err;
	}
	luo_flb_head = head;
	return 0;
}
