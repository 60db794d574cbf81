// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * Fuzz target: LUO's incoming state, read the way luo_deserialize.c reads
 * it, with the kernel's own checks and chain restore: luo_check_state() on
 * the state page, kho_block_set_restore() of the sessions, and for each
 * session entry luo_check_name() and the duplicate check, the restore of
 * its files, and for each file entry luo_check_name() on its compatible
 * string and the duplicate token check. (luo_deserialize.c itself builds
 * sessions and files; this target keeps what it needs of them: names and
 * tokens.)
 *
 * Input: a "luo-state" region (the state page's blob) and the pages of
 * every chain. What must hold: an accepted state has the compatible string
 * and the hash of its bytes; a session or file kept has a name a C string
 * can be made of (not empty, NUL-terminated in its field), unique; every
 * chain restored is given back, whatever happens, and a session dropped
 * gives its blocks back.
 */

#include <linux/kho_block.h>
#include <linux/xxhash.h>

#include "../../../kernel/liveupdate/luo_check.h"
#include "fuzz.h"

static struct fz_input in;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_init_quiet();
	return 0;
}

/* Sets of names and tokens, cleared per input. */
#define SET_SIZE	(1 << 17)	/* above the entries FM_SLOTS blocks hold */

static struct {
	u64 key[SET_SIZE];
	u32 gen[SET_SIZE];
	u32 cur;
} names, tokens;

static u64 *set_slot(typeof(names) *s, u64 key)
{
	unsigned int h = (unsigned int)((key * 0x9e3779b97f4a7c15ULL) >> 47) & (SET_SIZE - 1);

	while (s->gen[h] == s->cur && s->key[h] != key)
		h = (h + 1) & (SET_SIZE - 1);
	return &s->key[h];
}

/* true if @key was there; adds it. */
static bool set_test_add(typeof(names) *s, u64 key)
{
	u64 *k = set_slot(s, key);
	unsigned int i = k - s->key;

	if (s->gen[i] == s->cur)
		return true;
	s->gen[i] = s->cur;
	*k = key;
	return false;
}

/* Names are compared by a hash of their bytes: collisions only make the harness stricter. */
static u64 name_key(const char *name)
{
	return xxh64(name, strlen(name), 1) | 1;
}

static void set_remove(typeof(names) *s, u64 key)
{
	u64 *k = set_slot(s, key);

	/* Leave a tombstone that cannot match a real key: name keys are odd. */
	if (s->gen[k - s->key] == s->cur)
		*k = 0;
}

static void fix_session(void *e, void *arg)
{
	struct luo_session_ser *ss = e;

	fz_fix_set(&ss->files, sizeof(struct luo_file_ser), *(u64 *)arg, NULL, NULL);
}

static void fix_state(struct luo_ser *ser, size_t size, u64 flags)
{
	if (size < sizeof(*ser))
		return;
	fz_fix_set(&ser->sessions, sizeof(struct luo_session_ser), flags, fix_session, &flags);
	ser->hash = xxh64(ser, offsetof(struct luo_ser, hash), 0);
}

static void check_name(const char *name, size_t len, const char *what)
{
	if (!name[0] || strnlen(name, len) == len)
		fz_bug("%s name accepted: not a C string in its %zu bytes", what, len);
}

/* luo_deserialize_session(): 0 if the session is kept. */
static int read_session(const struct luo_session_ser *ss, unsigned long *files)
{
	struct kho_block_set set;
	const struct luo_file_ser *fs;
	struct kho_block_reader r;
	unsigned long before = fm_out;
	int err = 0;

	if (!luo_check_name(ss->name, sizeof(ss->name)) ||
	    set_test_add(&names, name_key(ss->name)))
		return -EINVAL;
	check_name(ss->name, sizeof(ss->name), "session");
	kho_block_set_init(&set, sizeof(struct luo_file_ser));
	set.ops = &fz_block_ops;
	if (kho_block_set_restore(&set, &ss->files)) {
		if (fm_out != before)
			fz_bug("failed restore of session %s's files kept blocks", ss->name);
		set_remove(&names, name_key(ss->name));
		return -EINVAL;
	}
	tokens.cur++;
	kho_block_reader_init(&r, &set);
	while ((fs = kho_block_reader_next(&r))) {
		if (!luo_check_name(fs->compatible, sizeof(fs->compatible)) ||
		    set_test_add(&tokens, fs->token)) {
			err = -EINVAL;
			break;
		}
		check_name(fs->compatible, sizeof(fs->compatible), "file compatible");
		fz_log("session %s: file %llu of %s\n", ss->name, (u64)fs->token, fs->compatible);
		(*files)++;
	}
	if (err)
		set_remove(&names, name_key(ss->name));
	kho_block_set_destroy(&set);
	if (fm_out != before)
		fz_bug("session %s: its files' blocks not all given back", ss->name);
	return err;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	unsigned long kept = 0, dropped = 0, files = 0;
	const struct luo_session_ser *ss;
	struct kho_block_set sessions;
	struct kho_block_reader r;
	const struct fz_rec *rs;
	struct luo_ser *ser;
	const char *why;

	fz_input_parse(&in, data, size);
	rs = fz_next(&in, "luo-state", NULL);
	if (!rs)
		return 0;
	fm_load(&in);
	ser = fz_dup(rs, 0);
	if (!(in.ctl.flags & FZ_RAW))
		fix_state(ser, rs->len, in.ctl.flags);
	names.cur++;

	fm_protect(true);
	why = luo_check_state(ser, rs->len);
	if (why) {
		fz_note("state rejected: %s", why);
		goto out;
	}
	if (strncmp(ser->compatible, LUO_COMPATIBLE, sizeof(ser->compatible)) ||
	    ser->hash != xxh64(ser, offsetof(struct luo_ser, hash), 0))
		fz_bug("state accepted with a wrong compatible or hash");
	kho_block_set_init(&sessions, sizeof(struct luo_session_ser));
	sessions.ops = &fz_block_ops;
	if (kho_block_set_restore(&sessions, &ser->sessions)) {
		if (fm_out)
			fz_bug("failed restore of the sessions kept blocks");
		fz_note("sessions chain rejected");
		goto out;
	}
	kho_block_reader_init(&r, &sessions);
	while ((ss = kho_block_reader_next(&r))) {
		if (read_session(ss, &files))
			dropped++;
		else
			kept++;
	}
	kho_block_set_destroy(&sessions);
	if (fm_out)
		fz_bug("%lu blocks not given back", fm_out);
	fz_note("%lu sessions kept (%lu files), %lu dropped", kept, files, dropped);
out:
	fm_protect(false);
	free(ser);
	return 0;
}
