// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * Fuzz target: kho_block_set_restore() (kernel/liveupdate/kho_block.c), the
 * restore of a chain of preserved blocks, and the reader that walks it.
 *
 * Input: a "block-set" region (struct kho_block_set_ser, the description a
 * set's owner keeps) and the chain's pages. "fuzz-ctl" value: the entry
 * size the receiver expects (default: the description's, if it is one a
 * set can have). What must hold:
 * - restored: the reader yields exactly @count entries forwards and
 *   backwards, every block holds 1..capacity entries, each entry inside
 *   its block, and every block was restored once;
 * - failed: every block restored on the way was given back, the set is
 *   empty;
 * - destroyed: every block was given back, once.
 */

#include <linux/kho_block.h>

#include "fuzz.h"

static struct fz_input in;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_init_quiet();
	return 0;
}

static void check_restored(struct kho_block_set *set, const struct kho_block_set_ser *ser)
{
	unsigned long per = kho_block_per_block(set), blocks = 0, fwd = 0, back = 0;
	struct kho_block_reader r;
	struct page *pg;
	u8 *e, **seq;

	list_for_each_entry(pg, &set->blocks, lru) {
		const struct kho_block_header_ser *hdr = pg->virt;

		if (!pg->out || hdr->count < 1 || hdr->count > per)
			fz_bug("restored block %#llx: out %d, count %llu of %lu", pg->phys,
			       pg->out, (u64)hdr->count, per);
		blocks++;
	}
	if (blocks != set->nr_blocks || blocks != fm_out)
		fz_bug("restored set: %lu blocks listed, %lu counted, %lu restored", blocks,
		       set->nr_blocks, fm_out);
	seq = malloc((set->nr_blocks * per + 1) * sizeof(*seq));
	if (!seq)
		fz_bug("out of memory");
	kho_block_reader_init(&r, set);
	while ((e = kho_block_reader_next(&r))) {
		struct page *p = virt_to_page((void *)((unsigned long)e & PAGE_MASK));

		if ((unsigned long)e % PAGE_SIZE + set->entry_size > PAGE_SIZE || !p->out)
			fz_bug("entry %lu at %p is not inside a restored block", fwd, (void *)e);
		if (fwd == set->nr_blocks * per || fwd == ser->count)
			fz_bug("reader goes past the %llu entries of the set", (u64)ser->count);
		seq[fwd++] = e;
	}
	if (fwd != ser->count)
		fz_bug("reader saw %lu entries of %llu", fwd, (u64)ser->count);
	/* Past the end it stays after the last entry: back, they come in reverse. */
	while ((e = kho_block_reader_prev(&r))) {
		if (back == fwd || e != seq[fwd - 1 - back])
			fz_bug("reader_prev: entry %lu back is not the one read forwards", back);
		back++;
	}
	if (back != fwd)
		fz_bug("reader_prev saw %lu entries of %lu", back, fwd);
	free(seq);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct kho_block_set set;
	struct kho_block_set_ser ser;
	const struct fz_rec *r;
	size_t esize;
	int err;

	fz_input_parse(&in, data, size);
	r = fz_next(&in, "block-set", NULL);
	if (!r)
		return 0;
	memset(&ser, 0, sizeof(ser));
	memcpy(&ser, r->data, min(r->len, sizeof(ser)));
	esize = in.ctl.value ? (size_t)(in.ctl.value % (PAGE_SIZE - 16)) + 1 : ser.entry_size;
	if (!esize || esize > PAGE_SIZE - sizeof(struct kho_block_header_ser))
		esize = sizeof(u64);
	fm_load(&in);
	if (!(in.ctl.flags & FZ_RAW))
		fz_fix_set(&ser, esize, in.ctl.flags, NULL, NULL);

	kho_block_set_init(&set, esize);
	set.ops = &fz_block_ops;
	fm_protect(true);
	err = kho_block_set_restore(&set, &ser);
	if (err) {
		if (set.nr_blocks || !list_empty(&set.blocks) || fm_out)
			fz_bug("failed restore kept %lu blocks (%lu restored)", set.nr_blocks, fm_out);
		fz_note("restore failed");
	} else {
		fz_note("restored %lu blocks, %llu entries", set.nr_blocks, (u64)ser.count);
		if (!set.incoming)
			fz_bug("restored set not marked incoming");
		check_restored(&set, &ser);
	}
	kho_block_set_destroy(&set);
	if (fm_out || set.nr_blocks || !list_empty(&set.blocks))
		fz_bug("destroyed set kept %lu blocks (%lu not given back)", set.nr_blocks, fm_out);
	fm_protect(false);
	return 0;
}
