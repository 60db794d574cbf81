// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: LUO in the next kernel: deserialize
 *
 * The first open of ``/dev/liveupdate`` reads what the previous kernel
 * serialized: the KHO subtree "LUO" (restored before it is read, so that
 * nothing can free it meanwhile), its chain of session entries and each
 * session's chain of file entries. The state is untrusted: an unknown
 * version, a corrupt chain or a malformed or duplicated entry is logged
 * and LUO starts with no incoming sessions, freeing what it read.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/err.h>
#include <linux/kexec_handover.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/stringhash.h>

#include "luo_internal.h"

#include <trace/events/liveupdate.h>

/* Forget an incoming session; its handlers discard what its files hold. */
static void luo_drop_session(struct liveupdate_session *s)
{
	hash_del(&s->hnode);
	luo_file_finish_force(s);
	luo_session_free(s);
}

/* Free a session being read whose files reached no handler yet. */
static void luo_discard_session(struct liveupdate_session *s)
{
	struct luo_file *f, *tmp;

	list_for_each_entry_safe(f, tmp, &s->files, list) {
		if (f->fh)
			luo_flb_file_done(f->fh, false);
		list_del(&f->list);
		xa_erase(&s->tokens, f->token);
		kfree(f);
	}
	s->nr_files = 0;
	luo_session_free(s);
}

/*
 * One session entry. A damaged session (its chain of files, or a file
 * entry) is dropped alone, with a line saying so: the other sessions are
 * not affected. Returns 0 when the session was added or dropped; -ENOMEM
 * when it ran out of memory, having changed nothing but keeping its chain
 * of files claimed in luo_state.rd.files for the next try.
 */
static int luo_deserialize_session(const struct luo_session_ser *ss)
{
	struct kho_block_set *files = &luo_state.rd.files;
	struct liveupdate_session *s;
	struct kho_block_reader r;
	struct luo_file_ser *fs;
	int err = 0;

	lockdep_assert_held(&luo_state.lock);
	if (!luo_check_name(ss->name, sizeof(ss->name)) ||
	    luo_session_find(luo_state.in, ss->name)) {
		pr_err("incoming session name malformed or duplicated; dropping that session\n");
		luo_state.rd.dropped++;
		return 0;
	}
	if (!files->nr_blocks && ss->files.count) {
		kho_block_set_init(files, sizeof(struct luo_file_ser));
		if (kho_block_set_restore(files, &ss->files)) {
			pr_err("session %s: damaged list of files; dropping this session\n",
			       ss->name);
			luo_state.rd.dropped++;
			return 0;
		}
	}
	s = luo_session_alloc(ss->name, true);
	if (!s)
		return -ENOMEM;
	kho_block_reader_init(&r, files);
	while ((fs = kho_block_reader_next(&r))) {
		if (!luo_check_name(fs->compatible, sizeof(fs->compatible)) ||
		    xa_load(&s->tokens, fs->token)) {
			pr_err("session %s: malformed or duplicate file entry; dropping this session\n",
			       s->name);
			err = -EINVAL;
			break;
		}
		if (IS_ERR(luo_file_add_incoming(s, fs))) {
			err = -ENOMEM;
			break;
		}
	}
	if (err == -ENOMEM) {
		luo_discard_session(s);
		return err;
	}
	/*
	 * A bad entry drops the session, and its handlers discard what the
	 * good entries hold.
	 */
	if (err) {
		hash_add(luo_state.in, &s->hnode, full_name_hash(NULL, s->name, strlen(s->name)));
		luo_drop_session(s);
		luo_state.rd.dropped++;
	} else {
		hash_add(luo_state.in, &s->hnode, full_name_hash(NULL, s->name, strlen(s->name)));
	}
	kho_block_set_destroy(files);
	return 0;
}

/**
 * luo_incoming_check_done - end the update once no incoming session is left
 *
 * Called after the incoming state was read and whenever an incoming
 * session leaves luo_state.in.
 *
 * Context: under luo_state.lock.
 */
void luo_incoming_check_done(void)
{
	lockdep_assert_held(&luo_state.lock);
	if (luo_state.deserialized && hash_empty(luo_state.in))
		luo_blackout_finished();
}

/* Give back what reading the incoming state holds. */
static void luo_deserialize_end(void)
{
	kho_block_set_destroy(&luo_state.rd.files);
	kho_block_set_destroy(&luo_state.rd.sessions);
	if (luo_state.rd.ser)
		folio_put(virt_to_folio(luo_state.rd.ser));
	luo_state.rd.ser = NULL;
	luo_state.deserialized = true;
	luo_flb_orphans();
}

/* Start reading: the state page and its chain of sessions. */
static int luo_deserialize_begin(void)
{
	struct luo_ser *ser;
	const char *why;
	size_t size = 0;

	luo_state.rd.t0 = ktime_get_ns();
	kho_block_set_init(&luo_state.rd.sessions, sizeof(struct luo_session_ser));
	kho_block_set_init(&luo_state.rd.files, sizeof(struct luo_file_ser));
	/* Restored before it is read: nothing can free it meanwhile. */
	ser = kho_restore_subtree(LUO_KHO_SUBTREE, &size);
	if (IS_ERR(ser)) {
		if (PTR_ERR(ser) != -ENOENT) {
			pr_err("live update state is not in preserved memory; starting without it\n");
			luo_blackout_dropped();
		}
		return -ENOENT;
	}
	luo_state.rd.ser = ser;
	luo_state.rd.size = size;
	why = luo_check_state(ser, size);
	if (why && !strcmp(why, "incompatible")) {
		pr_err("incompatible live update state (%.16s, expected %s); starting without it\n",
		       size >= sizeof(*ser) ? ser->compatible : "?", LUO_COMPATIBLE);
		luo_blackout_dropped();
		return -EINVAL;
	}
	if (why || kho_block_set_restore(&luo_state.rd.sessions, &ser->sessions)) {
		trace_luo_deserialize(0, 0, size, -EBADMSG, ktime_get_ns() - luo_state.rd.t0);
		pr_err("corrupt live update state (%s); starting without it\n",
		       why ?: "its chain of sessions");
		luo_blackout_dropped();
		return -EINVAL;
	}
	/* Checked by luo_check_state(); recorded as the version that came in. */
	luo_format_incoming(ser->compatible);
	kho_block_reader_init(&luo_state.rd.cursor, &luo_state.rd.sessions);
	return 0;
}

/**
 * luo_deserialize - read the previous kernel's sessions, once
 *
 * Called on every open of /dev/liveupdate until it completes. The state is
 * read session by session; a damaged session is dropped alone, damaged
 * state as a whole (its page or its chain of sessions) drops everything,
 * with a line saying so.
 *
 * Context: under luo_state.lock.
 * Return: 0 once the state is read (or there was none, or it was
 * dropped); -ENOMEM if memory ran out: nothing was lost, the next open
 * goes on from there.
 */
int luo_deserialize(void)
{
	struct liveupdate_session *s;
	struct luo_session_ser *ss;
	unsigned long files = 0;
	int err, bkt;

	lockdep_assert_held(&luo_state.lock);
	if (luo_state.deserialized)
		return 0;
	/* The FLBs first: the incoming files count on them. */
	luo_flb_deserialize();
	if (!luo_state.rd.ser && luo_deserialize_begin()) {
		luo_deserialize_end();
		return 0;
	}
	while ((ss = kho_block_reader_next(&luo_state.rd.cursor))) {
		err = luo_deserialize_session(ss);
		if (err) {
			/* Read this entry again next time. */
			kho_block_reader_prev(&luo_state.rd.cursor);
			return err;
		}
	}
	luo_state.nr_in = 0;
	hash_for_each(luo_state.in, bkt, s, hnode) {
		luo_state.nr_in++;
		files += s->nr_files;
	}
	pr_info("retrieved live update data: %lu sessions, %lu files in %llu us%s\n",
		luo_state.nr_in, files, div_u64(ktime_get_ns() - luo_state.rd.t0, NSEC_PER_USEC),
		luo_state.rd.dropped ? " (damaged sessions dropped)" : "");
	trace_luo_deserialize(luo_state.nr_in, files, luo_state.rd.size, 0,
			      ktime_get_ns() - luo_state.rd.t0);
	luo_deserialize_end();
	luo_incoming_check_done();
	return 0;
}
