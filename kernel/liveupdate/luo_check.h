/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * Validation of incoming LUO state (luo_check.c): no side effects, and no
 * kernel dependency beyond the ABI, so that it builds on the host too.
 */
#ifndef _KERNEL_LIVEUPDATE_LUO_CHECK_H
#define _KERNEL_LIVEUPDATE_LUO_CHECK_H

#include <linux/types.h>
#include <linux/kho/abi/luo.h>

const char *luo_check_state(const struct luo_ser *ser, size_t size);
bool luo_check_name(const char *name, size_t len);
const char *luo_check_blackout(const struct luo_blackout_ser *r, size_t size, u64 entry_stamp);

#endif /* _KERNEL_LIVEUPDATE_LUO_CHECK_H */
