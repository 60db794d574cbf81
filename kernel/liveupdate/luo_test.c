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
#include <linux/string.h>
#include <linux/uaccess.h>

#include "luo_internal.h"

/*
 * Tests only: debugfs liveupdate/corrupt names a damage to apply to the
 * serialized state: "compatible" (a version nobody reads), "chain" (one
 * more session counted than chained) or "session" (an empty session name).
 * liveupdate/serialized_delay_ms holds the reboot path that long after a
 * successful serialization (outside luo_state.lock), so that tests can act in
 * the window between serialization and the jump, as a slow shutdown would.
 */
static char luo_corrupt[16];
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

	if (!luo_corrupt[0])
		return;
	pr_warn("corrupting the serialized state (%s) for a test\n", luo_corrupt);
	if (!strcmp(luo_corrupt, "compatible")) {
		strscpy(luo_state.ser->compatible, "luo-v0", sizeof(luo_state.ser->compatible));
	} else if (!strcmp(luo_corrupt, "chain")) {
		luo_state.ser->sessions.count++;
	} else if (!strcmp(luo_corrupt, "session")) {
		kho_block_reader_init(&r, &luo_state.sessions_set);
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
	guard(mutex)(&luo_state.lock);
	strscpy(luo_corrupt, what, sizeof(luo_corrupt));
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
