// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: LUO at the kexec: freeze and serialize
 *
 * ``reboot(LINUX_REBOOT_CMD_KEXEC)`` calls liveupdate_reboot() before
 * anything is shut down. It refuses an image that cannot carry the
 * sessions (loaded with kexec_load(): -ENOEXEC), then *freezes* every file
 * (a failure unfreezes the frozen ones in reverse and returns the error
 * from reboot(): no kexec, everything still preserved) and *serializes*
 * every session into the kho_block sets under the KHO subtree "LUO"
 * (``luo-v1``). Nothing is allocated then: the sets grew as sessions and
 * files were added. From then on LUO is frozen: nothing changes the
 * outgoing state, not even closing a session.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/cleanup.h>
#include <linux/kexec.h>
#include <linux/kexec_handover.h>
#include <linux/ktime.h>
#include <linux/liveupdate_format.h>
#include <linux/mutex.h>
#include <linux/string.h>

#include "luo_internal.h"

#include <trace/events/liveupdate.h>

/* LUO's state page, sessions and files: "luo-v2" (kho/abi/luo.h). */
LIVEUPDATE_FORMAT(luo_format, "luo", LIVEUPDATE_V(2), LIVEUPDATE_V(2), 2, 0);

/* What the ABI records hold is what the uAPI and the handlers name. */
static_assert(sizeof_field(struct luo_session_ser, name) == LIVEUPDATE_SESSION_NAME_LENGTH);
static_assert(sizeof_field(struct luo_file_ser, compatible) == LIVEUPDATE_HNDL_COMPAT_LENGTH);
static_assert(sizeof_field(struct luo_flb_ser, compatible) == LIVEUPDATE_FLB_COMPAT_LENGTH);

static void luo_unfreeze_all(void)
{
	struct liveupdate_session *s;
	struct luo_file *f;
	int bkt;

	lockdep_assert_held(&luo_state.lock);
	hash_for_each(luo_state.out, bkt, s, hnode)
		list_for_each_entry_reverse(f, &s->files, list)
			if (f->frozen)
				luo_file_unfreeze(f, s);
}

static int luo_freeze_all(void)
{
	struct liveupdate_session *s;
	struct luo_file *f;
	int bkt, err;

	lockdep_assert_held(&luo_state.lock);
	hash_for_each(luo_state.out, bkt, s, hnode) {
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

/* Write every session and file; the sets were grown ahead, nothing allocates. */
static int luo_serialize(void)
{
	struct kho_block_writer sw;
	struct liveupdate_session *s;
	int bkt;

	lockdep_assert_held(&luo_state.lock);
	kho_block_writer_init(&sw, &luo_state.sessions_set, &luo_state.ser->sessions);
	hash_for_each(luo_state.out, bkt, s, hnode) {
		struct luo_session_ser ss = {};
		struct kho_block_writer fw;
		struct luo_file *f;

		memcpy(ss.name, s->name, sizeof(ss.name));
		/* The files first: the session entry carries their description. */
		kho_block_writer_init(&fw, &s->files_set, &ss.files);
		list_for_each_entry(f, &s->files, list) {
			struct luo_file_ser fs = {
				.data = f->data,
				.token = f->token,
			};

			if (!f->fh->format)
				strscpy(fs.compatible, f->fh->compatible, sizeof(fs.compatible));
			else if (WARN_ON_ONCE(liveupdate_format_compat(f->fh->format, f->version,
								       fs.compatible,
								       sizeof(fs.compatible))))
				return -EPROTONOSUPPORT;
			if (WARN_ON_ONCE(kho_block_writer_add(&fw, &fs)))
				return -ENOSPC;
		}
		if (WARN_ON_ONCE(kho_block_writer_add(&sw, &ss)))
			return -ENOSPC;
	}
	if (luo_flb_serialize())
		return -ENOSPC;
	strscpy(luo_state.ser->compatible, LUO_COMPATIBLE, sizeof(luo_state.ser->compatible));
	luo_state.ser->hash = luo_ser_hash(luo_state.ser);
	liveupdate_test_region("luo-state", luo_state.ser, sizeof(*luo_state.ser), NULL);
	liveupdate_test_chain("luo-sessions", &luo_state.sessions_set, NULL);
	hash_for_each(luo_state.out, bkt, s, hnode)
		liveupdate_test_chain("luo-files", &s->files_set, NULL);
	luo_test_corrupt();
	return 0;
}

/**
 * luo_format_live - does a format have data to hand over now
 * @fmt: the format
 *
 * A file type's format when a preserved file is of that type; every other
 * format (KHO's, kho_block's, LUO's own) when a session is preserved.
 *
 * Context: under luo_state.lock.
 * Return: true if it has.
 */
bool luo_format_live(const struct liveupdate_format *fmt)
{
	struct liveupdate_session *s;
	struct luo_file *f;
	int bkt;

	lockdep_assert_held(&luo_state.lock);
	if (luo_flb_is_format(fmt))
		return luo_flb_live();
	if (!(fmt->desc.flags & LIVEUPDATE_FORMAT_FILE))
		return luo_state.nr_out > 0;
	hash_for_each(luo_state.out, bkt, s, hnode)
		list_for_each_entry(f, &s->files, list)
			if (f->fh->format == fmt)
				return true;
	return false;
}

/**
 * luo_format_incoming - record the version LUO's incoming state came in at
 * @compatible: its compatible string, checked by luo_check_state()
 */
void luo_format_incoming(const char *compatible)
{
	liveupdate_format_parse(&luo_format, compatible);
}

/* liveupdate_reboot() under luo_state.lock. */
static int luo_reboot(struct kimage *image)
{
	unsigned long files = 0, blocks;
	struct liveupdate_session *s;
	u64 t0 = ktime_get_ns();
	int err, bkt;

	lockdep_assert_held(&luo_state.lock);
	luo_damage_reset();
	if (luo_state.nr_out && !kho_image_carries_handover(image)) {
		pr_err("%lu preserved sessions, but the loaded kernel cannot receive them (load it with kexec_file_load, kexec -s); kexec cancelled\n",
		       luo_state.nr_out);
		luo_blackout_failed();
		return -ENOEXEC;
	}
	/* Every format with data must have a version the next kernel reads. */
	err = luo_formats_check(luo_format_live);
	if (err) {
		luo_blackout_failed();
		return err;
	}
	/* Metadata: the state page, the session blocks and every file block. */
	blocks = 1 + luo_state.sessions_set.nr_blocks;
	hash_for_each(luo_state.out, bkt, s, hnode) {
		files += s->nr_files;
		blocks += s->files_set.nr_blocks;
	}
	trace_luo_serialize_begin(luo_state.nr_out, files);
	luo_blackout_reboot(LUO_BLACKOUT_REBOOT, luo_state.nr_out, files);
	err = luo_freeze_all();
	if (!err) {
		luo_blackout_reboot(LUO_BLACKOUT_FROZEN, luo_state.nr_out, files);
		err = luo_serialize();
		if (err)
			luo_unfreeze_all();
	}
	trace_luo_serialize_end(luo_state.nr_out, files, (u64)blocks * PAGE_SIZE, err,
				ktime_get_ns() - t0);
	if (err) {
		luo_blackout_failed();
		return err;
	}
	luo_blackout_reboot(LUO_BLACKOUT_SERIALIZED, luo_state.nr_out, files);
	luo_state.frozen = true;
	pr_info("serialized %lu sessions, %lu files in %llu us; metadata %lu bytes\n",
		luo_state.nr_out, files, div_u64(ktime_get_ns() - t0, NSEC_PER_USEC),
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
 * them (loaded with kexec_load(), not kexec_file_load());
 * -EPROTONOSUPPORT if a format with data to hand over has no version the
 * next kernel reads (see luo_format.c); or the first freeze error.
 */
int liveupdate_reboot(struct kimage *image)
{
	int err;

	if (!liveupdate_enabled() || !luo_state.ser)
		return 0;
	scoped_guard(mutex, &luo_state.lock)
		err = luo_reboot(image);
	if (!err)
		luo_test_serialized();
	return err;
}
