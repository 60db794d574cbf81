// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: LUO handover validation
 *
 * What LUO reads from the previous kernel, checked before it is used: the
 * state page (version and hash), each session entry (a name), each file
 * entry (a handler's compatible string) and the blackout record (version,
 * hash, clock, stamps in order and in range, the release string, a
 * consistent freeze histogram). The chains themselves are checked by
 * kho_block.
 *
 * These checks have no side effects; luo_deserialize.c and luo_blackout.c
 * act on them. The file builds on the host too, where fuzz targets feed it
 * arbitrary state.
 */

#include <linux/limits.h>
#include <linux/math64.h>
#include <linux/string.h>
#include <linux/time64.h>
#include <linux/types.h>
#include <linux/xxhash.h>
#include <linux/kho/abi/luo.h>

#include "luo_check.h"

/**
 * luo_check_state - check LUO's state page from the previous kernel
 * @ser: the page
 * @size: the size of its blob
 *
 * Return: NULL, or what is wrong (then nothing in it may be used).
 */
const char *luo_check_state(const struct luo_ser *ser, size_t size)
{
	if (size < sizeof(*ser) ||
	    strncmp(ser->compatible, LUO_COMPATIBLE, sizeof(ser->compatible)))
		return "incompatible";
	if (ser->hash != xxh64(ser, offsetof(struct luo_ser, hash), 0))
		return "damaged (hash does not match)";
	return NULL;
}

/**
 * luo_check_name - is a name a valid session name or compatible string
 * @name: the name
 * @len: the size of its field
 *
 * Return: true if it is not empty and is NUL-terminated within @len.
 */
bool luo_check_name(const char *name, size_t len)
{
	return name[0] && strnlen(name, len) < len;
}

/**
 * luo_check_blackout - check a blackout record from the previous kernel
 * @r: the record
 * @size: the size of its blob
 * @entry_stamp: this kernel's first reading of the same clock (0: it has
 *		 none, the record cannot be used)
 *
 * Return: NULL, or what is wrong.
 */
const char *luo_check_blackout(const struct luo_blackout_ser *r, size_t size, u64 entry_stamp)
{
	u64 frozen = 0;
	unsigned int i;

	if (size < sizeof(*r) ||
	    strncmp(r->compatible, LUO_BLACKOUT_COMPATIBLE, sizeof(r->compatible)))
		return "incompatible version (expected " LUO_BLACKOUT_COMPATIBLE ")";
	if (r->hash != xxh64(r, offsetof(struct luo_blackout_ser, hash), 0))
		return "damaged (hash does not match)";
	if (r->clock != LUO_BLACKOUT_CLOCK_TSC || !entry_stamp || r->clock_khz < 1000 ||
	    r->clock_khz > 100 * 1000 * 1000)
		return "unknown clock";
	for (i = 1; i < LUO_BLACKOUT_NR_STAMPS; i++)
		if (r->stamp[i] < r->stamp[i - 1])
			return "stamps out of order";
	if (!r->stamp[LUO_BLACKOUT_REBOOT] || !r->stamp[LUO_BLACKOUT_JUMP])
		return "reboot path not stamped";
	if (entry_stamp < r->stamp[LUO_BLACKOUT_JUMP])
		return "clock reset across the kexec";
	/*
	 * Cycles since reboot become ns with mul_u64_u32_div(), a divide that
	 * traps on x86 when the quotient does not fit 64 bits.
	 */
	if (div_u64(entry_stamp - r->stamp[LUO_BLACKOUT_REBOOT], r->clock_khz) >=
	    U64_MAX / USEC_PER_SEC)
		return "stamps out of range of the clock";
	if (strnlen(r->release, sizeof(r->release)) == sizeof(r->release))
		return "bad release string";
	for (i = 0; i < LUO_BLACKOUT_FREEZE_SLOTS; i++)
		frozen += r->freeze_slots[i];
	if (frozen != r->freeze_files || r->freeze_files > r->files ||
	    r->freeze_max_ns > r->freeze_sum_ns)
		return "inconsistent freeze histogram";
	return NULL;
}
