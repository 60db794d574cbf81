/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * Test-only damage of outgoing memfd state (memfd_luo_test.c), with
 * LIVEUPDATE_TEST; nothing without it.
 */
#ifndef _MM_MEMFD_LUO_TEST_H
#define _MM_MEMFD_LUO_TEST_H

#include <linux/kho_block.h>
#include <linux/kho/abi/memfd.h>

#ifdef CONFIG_LIVEUPDATE_TEST
void memfd_luo_test_corrupt(struct memfd_luo_ser *ser, unsigned int version,
			    struct kho_block_set *records, unsigned long nr_folios);
void memfd_luo_test_debugfs(void);
#else
static inline void memfd_luo_test_corrupt(struct memfd_luo_ser *ser, unsigned int version,
					  struct kho_block_set *records,
					  unsigned long nr_folios) { }
static inline void memfd_luo_test_debugfs(void) { }
#endif

#endif /* _MM_MEMFD_LUO_TEST_H */
