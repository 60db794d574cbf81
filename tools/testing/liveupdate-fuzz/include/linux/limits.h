/* SPDX-License-Identifier: GPL-2.0 */
/* The uapi header of the same name (glibc includes it), then the kernel shim. */
#include_next <linux/limits.h>
#include "../kshim.h"
