/* SPDX-License-Identifier: GPL-2.0 */
/* The part of the kernel's linux/range.h that memblock.c uses. */
#ifndef _LU_MEMBLOCK_RANGE_H
#define _LU_MEMBLOCK_RANGE_H

#include <linux/types.h>

struct range {
	u64 start;
	u64 end;
};

static inline u64 range_len(const struct range *range)
{
	return range->end - range->start + 1;
}

#endif
