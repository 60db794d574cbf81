/* SPDX-License-Identifier: GPL-2.0 */
/* The uapi header of the same name, then the kernel shim. */
#include_next <linux/types.h>
#include "../kshim.h"
