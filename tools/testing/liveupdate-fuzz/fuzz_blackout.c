// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * Fuzz target: luo_check_blackout() (kernel/liveupdate/luo_check.c), the
 * check of the blackout record the previous kernel left, before
 * luo_blackout.c turns its stamps into durations.
 *
 * Input: a "blackout" region (the record's blob); "fuzz-ctl" value: this
 * kernel's first reading of the clock (default: a millisecond after the
 * record's jump stamp). What must hold for an accepted record: its
 * compatible string and hash, the TSC clock at a frequency the kernel
 * converts without overflow, stamps in order and not after this kernel's
 * entry, a NUL-terminated release, and a freeze histogram that adds up;
 * and every duration luo_blackout.c computes from it (ns since reboot, up
 * to this kernel's entry) must fit 64 bits: on x86 mul_u64_u32_div() is a
 * divq that traps otherwise.
 */

#include <linux/xxhash.h>

#include "../../../kernel/liveupdate/luo_check.h"
#include "fuzz.h"

static struct fz_input in;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_init_quiet();
	return 0;
}

static void check_accepted(const struct luo_blackout_ser *r, u64 entry)
{
	u64 sum = 0;

	if (strncmp(r->compatible, LUO_BLACKOUT_COMPATIBLE, sizeof(r->compatible)) ||
	    r->hash != xxh64(r, offsetof(struct luo_blackout_ser, hash), 0))
		fz_bug("blackout record accepted with a wrong compatible or hash");
	if (r->clock != LUO_BLACKOUT_CLOCK_TSC || !r->clock_khz)
		fz_bug("blackout record accepted with clock %u at %u kHz", r->clock, r->clock_khz);
	for (int i = 1; i < LUO_BLACKOUT_NR_STAMPS; i++)
		if (r->stamp[i] < r->stamp[i - 1])
			fz_bug("blackout stamps out of order accepted");
	if (entry < r->stamp[LUO_BLACKOUT_JUMP] || !r->stamp[LUO_BLACKOUT_REBOOT])
		fz_bug("blackout record accepted with entry %llu before the jump %llu", entry,
		       (u64)r->stamp[LUO_BLACKOUT_JUMP]);
	if (strnlen(r->release, sizeof(r->release)) == sizeof(r->release))
		fz_bug("blackout release accepted without a NUL");
	for (int i = 0; i < LUO_BLACKOUT_FREEZE_SLOTS; i++)
		sum += r->freeze_slots[i];
	if (sum != r->freeze_files || r->freeze_files > r->files ||
	    r->freeze_max_ns > r->freeze_sum_ns)
		fz_bug("blackout freeze histogram accepted inconsistent");
	/*
	 * bo_accept() and bo_stamp(): every stamp, and this kernel's readings
	 * from its entry on, become ns since reboot with mul_u64_u32_div(),
	 * a mulq/divq on x86: a quotient that does not fit 64 bits is a
	 * divide error, in the kernel.
	 */
	for (int i = 0; i <= LUO_BLACKOUT_NR_STAMPS; i++) {
		u64 t = i < LUO_BLACKOUT_NR_STAMPS ? r->stamp[i] : entry;
		unsigned __int128 ns = (unsigned __int128)(t - r->stamp[LUO_BLACKOUT_REBOOT]) *
				       USEC_PER_SEC / r->clock_khz;

		if (ns >> 64)
			fz_bug("accepted record: mul_u64_u32_div(%llu, %ld, %u) overflows (divide error in bo_to_ns())",
			       t - r->stamp[LUO_BLACKOUT_REBOOT], USEC_PER_SEC, r->clock_khz);
		fz_log("stamp %d: %llu ns\n", i, (u64)ns);
	}
	fz_log("from %s: %llu sessions, %llu files\n", r->release, (u64)r->sessions,
	       (u64)r->files);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct luo_blackout_ser *r;
	const struct fz_rec *rec;
	const char *why;
	u64 entry;

	fz_input_parse(&in, data, size);
	rec = fz_next(&in, "blackout", NULL);
	if (!rec)
		return 0;
	r = fz_dup(rec, 0);
	entry = in.ctl.value;
	if (!in.has_ctl && rec->len >= sizeof(*r))
		entry = r->stamp[LUO_BLACKOUT_JUMP] + 2000000;
	if (!(in.ctl.flags & FZ_RAW) && rec->len >= sizeof(*r))
		r->hash = xxh64(r, offsetof(struct luo_blackout_ser, hash), 0);
	why = luo_check_blackout(r, rec->len, entry);
	if (!why)
		check_accepted(r, entry);
	fz_note("blackout record %s", why ?: "accepted");
	free(r);
	return 0;
}
