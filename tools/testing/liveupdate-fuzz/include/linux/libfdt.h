/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's libfdt (KSRC/scripts/dtc/libfdt), in its userspace setting. */
#include "../kshim.h"
#include <libfdt.h>
