// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: LUO test hooks
 *
 * ``LIVEUPDATE_TEST`` only. debugfs ``liveupdate/corrupt`` names a damage
 * to apply to the serialized state: ``compatible`` (a version nobody
 * reads), ``chain`` (one more session counted than chained) or
 * ``session`` (an empty session name). ``liveupdate/serialized_delay_ms``
 * holds the reboot path that long after a successful serialization
 * (outside luo_state.lock), so that tests can act in the window between
 * serialization and the jump, as a slow shutdown would.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/cleanup.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/lu_debugfs.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "luo_internal.h"

enum luo_corrupt { LUO_CORRUPT_NONE = -1, LUO_CORRUPT_COMPATIBLE, LUO_CORRUPT_CHAIN,
		  LUO_CORRUPT_SESSION, LUO_CORRUPT_FILE_VERSION, LUO_CORRUPT_FLB, LUO_CORRUPT_NR };
static const char *const luo_corrupt_names[LUO_CORRUPT_NR] = {
	[LUO_CORRUPT_COMPATIBLE] = "compatible",
	[LUO_CORRUPT_CHAIN] = "chain",
	[LUO_CORRUPT_SESSION] = "session",
	[LUO_CORRUPT_FILE_VERSION] = "file-version",
	[LUO_CORRUPT_FLB] = "flb",
};

/*
 * The first file of the first session that has one is said to be of a
 * version nobody reads ("memfd-v63"), consistently: every hash redone.
 */
static void luo_test_file_version(void)
{
	struct kho_block_reader r, fr;
	struct liveupdate_session *s;
	struct luo_session_ser *ss;
	struct luo_file_ser *fs;
	char *dash;

	kho_block_reader_init(&r, &luo_state.sessions_set);
	while ((ss = kho_block_reader_next(&r))) {
		s = ss->files.count ? luo_session_find(luo_state.out, ss->name) : NULL;
		if (!s)
			continue;
		kho_block_reader_init(&fr, &s->files_set);
		fs = kho_block_reader_next(&fr);
		dash = fs ? strrchr(fs->compatible, '-') : NULL;
		if (!dash || dash - fs->compatible > sizeof(fs->compatible) - 5)
			continue;
		strscpy(dash, "-v63", sizeof(fs->compatible) - (dash - fs->compatible));
		ss->files.hash = kho_block_set_hash(&s->files_set);
		luo_state.ser->sessions.hash = kho_block_set_hash(&luo_state.sessions_set);
		luo_state.ser->hash = luo_ser_hash(luo_state.ser);
		pr_warn("session %s: file %#llx now claims to be %s\n", s->name, fs->token,
			fs->compatible);
		return;
	}
}

/* Under luo_state.lock. */
static enum luo_corrupt luo_corrupt = LUO_CORRUPT_NONE;
static u32 luo_serialized_delay_ms;

void luo_test_serialized(void)
{
	u32 ms = READ_ONCE(luo_serialized_delay_ms);

	if (ms) {
		pr_warn("holding the kexec for %u ms after serialization for a test\n", ms);
		msleep(ms);
	}
}

void luo_test_corrupt(void)
{
	struct kho_block_reader r;
	struct luo_session_ser *ss;

	lockdep_assert_held(&luo_state.lock);
	if (luo_corrupt == LUO_CORRUPT_NONE)
		return;
	pr_warn("corrupting the serialized state (%s) for a test\n",
		luo_corrupt_names[luo_corrupt]);
	switch (luo_corrupt) {
	case LUO_CORRUPT_COMPATIBLE:
		strscpy(luo_state.ser->compatible, "luo-v0", sizeof(luo_state.ser->compatible));
		break;
	case LUO_CORRUPT_CHAIN:
		luo_state.ser->sessions.count++;
		break;
	case LUO_CORRUPT_SESSION:
		kho_block_reader_init(&r, &luo_state.sessions_set);
		ss = kho_block_reader_next(&r);
		if (ss)
			ss->name[0] = '\0';
		break;
	case LUO_CORRUPT_FILE_VERSION:
		luo_test_file_version();
		break;
	case LUO_CORRUPT_FLB:
		luo_flb_test_corrupt();
		break;
	default:
		break;
	}
}

static ssize_t luo_corrupt_write(struct file *file, const char __user *buf, size_t len,
				 loff_t *ppos)
{
	int what = lu_debugfs_keyword(buf, len, luo_corrupt_names, LUO_CORRUPT_NR);

	if (what < 0)
		return what;
	guard(mutex)(&luo_state.lock);
	luo_corrupt = what;
	return len;
}

static const struct file_operations luo_corrupt_fops = {
	.owner = THIS_MODULE,
	.write = luo_corrupt_write,
};

void luo_test_debugfs(void)
{
	struct dentry *dir = debugfs_create_dir("liveupdate", NULL);

	debugfs_create_file("corrupt", 0200, dir, NULL, &luo_corrupt_fops);
	debugfs_create_u32("serialized_delay_ms", 0600, dir, &luo_serialized_delay_ms);
	luo_damage_debugfs(dir);
}
