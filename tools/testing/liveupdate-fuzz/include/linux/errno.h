/* SPDX-License-Identifier: GPL-2.0 */
/* The uapi header of the same name, then the kernel shim. */
#include_next <linux/errno.h>
#include "../kshim.h"
