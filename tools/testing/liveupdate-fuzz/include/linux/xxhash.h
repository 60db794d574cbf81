/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's own header (KSRC/include/linux/xxhash.h, through kinc/). */
#include "../kshim.h"
#include_next <linux/xxhash.h>
