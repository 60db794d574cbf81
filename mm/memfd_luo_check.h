/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * Validation of incoming memfd state (memfd_luo_check.c): no side effects,
 * so that it builds on the host too.
 */
#ifndef _MM_MEMFD_LUO_CHECK_H
#define _MM_MEMFD_LUO_CHECK_H

#include <linux/types.h>
#include <linux/kho/abi/memfd.h>

struct kho_block_set;

u64 memfd_luo_ser_hash(const struct memfd_luo_ser *ser);
const char *memfd_luo_check_desc(const struct memfd_luo_ser *ser, unsigned int version);
/* Takes the folio a valid record names; 0 if it did. */
typedef int (*memfd_luo_claim_fn)(const struct memfd_luo_folio_ser *rec, void *arg);

int memfd_luo_check_records(const struct memfd_luo_ser *ser, unsigned int version,
			    const struct kho_block_set *records, memfd_luo_claim_fn claim,
			    void *arg);

#endif /* _MM_MEMFD_LUO_CHECK_H */
