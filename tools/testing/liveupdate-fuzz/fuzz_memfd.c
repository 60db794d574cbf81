// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * Fuzz target: a preserved memfd, read the way memfd_luo_in_load()
 * (mm/memfd_luo.c) reads it, with the kernel's own checks and chain
 * restore: memfd_luo_check_desc() on the description; if it is wrong and
 * its hash too, nothing else; the array of folio pointers sized by
 * @nr_folios (kvmalloc_array(), which warns above INT_MAX bytes, like the
 * kernel); kho_block_set_restore() of the records; then
 * memfd_luo_check_records() with the claim (or, for a description that
 * is wrong but intact, the discard) callback. Descriptions are read at
 * both versions: even ones as "memfd-v3" (a record a folio), odd ones as
 * "memfd-v4" (a record a run of folios).
 *
 * Input: "memfd-desc" regions (each a description, at the start of its
 * page) and the pages of the records' chains. The claim callback models
 * kho_restore_folio(): the folio's pages must be RAM of this machine, not
 * its kernel, and not claimed before. What must hold: every record given
 * to the callback is valid (order, index in the file and after the
 * previous folio, alignment, page frame, flags), no more of them than the
 * description's @nr_folios (the array they are stored in), not more
 * memory than the machine has pages (a wrong description's runs could
 * name 2^32 folios each: the walk must not spin), and every block is given
 * back.
 */

#include <linux/kho_block.h>
#include <linux/xxhash.h>

#include "../../../mm/memfd_luo_check.h"
#include "fuzz.h"

static struct fz_input in;

/* Pages of RAM a folio claimed, in this input. */
static unsigned long claimed[0x40000000 / PAGE_SIZE / BITS_PER_LONG];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_init_quiet();
	return 0;
}

struct memfd_in {
	const struct memfd_luo_ser *ser;
	void **folios;		/* the kernel's in->folios, @nr_folios of them */
	u64 nr;			/* claimed so far */
	u64 end;		/* page after the last folio claimed */
	u64 walked;		/* pages of every folio given to the claim */
	bool discard;
};

/* mm/util.c: kvmalloc_node() refuses (and warns about) more than INT_MAX bytes. */
static void *kvmalloc_array(u64 n, size_t size)
{
	u64 bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	if (WARN_ON_ONCE(bytes > INT_MAX))
		return NULL;
	return malloc(bytes);
}

/* kho_restore_folio() of the folio a record names, and the handler's use of it. */
static int claim(const struct memfd_luo_folio_ser *rec, void *arg)
{
	struct memfd_in *m = arg;
	u64 pages = DIV_ROUND_UP(m->ser->size, PAGE_SIZE), n;

	if (rec->order > MAX_PAGE_ORDER || rec->index >= pages || rec->index < m->end ||
	    rec->index & ((1ULL << rec->order) - 1) || rec->pfn & ((1ULL << rec->order) - 1) ||
	    rec->pfn >= 1ULL << (52 - PAGE_SHIFT) ||
	    rec->flags & ~(u32)(MEMFD_LUO_FOLIO_DIRTY | MEMFD_LUO_FOLIO_UPTODATE))
		fz_bug("invalid record given to the claim: pfn %#llx index %llu order %u flags %#x",
		       (u64)rec->pfn, (u64)rec->index, rec->order, rec->flags);
	if (!m->discard && m->nr >= m->ser->nr_folios)
		fz_bug("record %llu claimed, but the description has %llu folios", m->nr,
		       (u64)m->ser->nr_folios);
	n = 1ULL << rec->order;
	/* The walk stops at this machine's memory: a wrong description cannot spin it. */
	m->walked += n;
	if (m->walked > fm_ram_pages() + (1ULL << MAX_PAGE_ORDER))
		fz_bug("%llu pages of folios walked, on a machine of %lu pages", m->walked,
		       fm_ram_pages());
	if (!pfn_valid(rec->pfn) || !fm_ram(PFN_PHYS(rec->pfn), n << PAGE_SHIFT, NULL) ||
	    (PFN_PHYS(rec->pfn) < fm_kernel_start + fm_kernel_size &&
	     fm_kernel_start < PFN_PHYS(rec->pfn + n)))
		return -EINVAL;
	for (u64 p = rec->pfn; p < rec->pfn + n; p++)
		if (test_bit(p, claimed))
			return -EINVAL;
	for (u64 p = rec->pfn; p < rec->pfn + n; p++)
		__set_bit(p, claimed);
	if (!m->discard)
		m->folios[m->nr] = (void *)(uintptr_t)PFN_PHYS(rec->pfn);
	m->nr++;
	/* Like the walk, the next folio must follow the last one claimed. */
	m->end = rec->index + n;
	return 0;
}

static void fix_desc(struct memfd_luo_ser *ser, u64 flags)
{
	fz_fix_set(&ser->folios, sizeof(struct memfd_luo_folio_ser), flags, NULL, NULL);
	if (flags & FZ_FIX_COUNT)
		ser->nr_folios = ser->folios.count;
	ser->hash = memfd_luo_ser_hash(ser);
}

static void load_one(const struct memfd_luo_ser *ser, unsigned int version)
{
	struct memfd_in m = { .ser = ser };
	struct kho_block_set records;
	const char *why;
	int err;

	why = memfd_luo_check_desc(ser, version);
	if (why && ser->hash != memfd_luo_ser_hash(ser)) {
		fz_note("description rejected: %s", why);
		return;
	}
	if (!why) {
		m.folios = kvmalloc_array(max_t(u64, ser->nr_folios, 1), sizeof(*m.folios));
		if (!m.folios) {
			fz_note("no memory for %llu folios", (u64)ser->nr_folios);
			return;
		}
	}
	kho_block_set_init(&records, sizeof(struct memfd_luo_folio_ser));
	records.ops = &fz_block_ops;
	err = kho_block_set_restore(&records, &ser->folios);
	if (err) {
		fz_note("records rejected");
		goto out;
	}
	/* A wrong but intact description: its folios are freed, it fails anyway. */
	m.discard = why;
	err = memfd_luo_check_records(ser, version, &records, claim, &m);
	if (!err && !why && m.nr != ser->nr_folios)
		fz_bug("records accepted: %llu claimed of %llu", m.nr, (u64)ser->nr_folios);
	kho_block_set_destroy(&records);
	fz_note("%s: %llu folios %s", why ?: "valid", m.nr, err ? "(records rejected)" : "claimed");
out:
	if (fm_out)
		fz_bug("%lu record blocks not given back", fm_out);
	free(m.folios);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	const struct fz_rec *r = NULL;
	struct memfd_luo_ser *descs[8];
	unsigned int nr = 0;

	fz_input_parse(&in, data, size);
	fm_load(&in);
	memset(claimed, 0, sizeof(claimed));
	/* Each description at the start of its (restored) page. */
	while (nr < ARRAY_SIZE(descs) && (r = fz_next(&in, "memfd-desc", r))) {
		descs[nr] = fz_dup(r, PAGE_SIZE);
		if (!(in.ctl.flags & FZ_RAW))
			fix_desc(descs[nr], in.ctl.flags);
		nr++;
	}
	fm_protect(true);
	for (unsigned int i = 0; i < nr; i++)
		load_one(descs[i], i % 2 ? MEMFD_LUO_V_EXTENTS : MEMFD_LUO_V_FOLIOS);
	fm_protect(false);
	for (unsigned int i = 0; i < nr; i++)
		free(descs[i]);
	return 0;
}
