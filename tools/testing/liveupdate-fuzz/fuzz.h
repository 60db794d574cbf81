/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * What the targets of the kernel's readers share: the fake physical memory
 * and the memory operations that restore incoming blocks from it, and the
 * fixups of descriptions (input format: fz_input.h).
 */
#ifndef _FUZZ_H
#define _FUZZ_H

#include "kshim.h"
#include "fz_input.h"

struct kho_block_set_ser;

/*
 * fake_mem.c: the machine the targets run on. RAM is the guest the seeds
 * were captured on (fm_ram); pages whose content the input gives are
 * "backed" and, outside this kernel's image, preserved: restorable once.
 * Other RAM reads as zeros (read-only); anything else is not there, and
 * reading it is a bug.
 */
#define FM_SLOTS	1024	/* pages an input can place */

extern const u64 fm_kernel_start, fm_kernel_size;
bool fm_ram(u64 addr, u64 size, void *arg);
unsigned long fm_ram_pages(void);
void fm_reset(void);
unsigned int fm_load(const struct fz_input *in);
struct page *fm_page(phys_addr_t phys);
unsigned int fm_slot(const struct page *pg);
extern unsigned int fz_fix_budget;		/* blocks the fixups may still follow */
void fm_protect(bool readonly);
extern bool (*fm_read_ok)(phys_addr_t phys);	/* checked on every read */
extern unsigned long fm_out;			/* blocks restored, not put back */

/* Memory operations of incoming kho_block sets: restore-once, from fake memory. */
extern const struct kho_block_mem_ops fz_block_ops;

/*
 * Recompute a set's description from its chain as a writer would: the
 * chained hash (and the count with FZ_FIX_COUNT). @entry is called on each
 * entry first, for descriptions nested in entries.
 */
void fz_fix_set(struct kho_block_set_ser *ser, size_t entry_size, u64 flags,
		void (*entry)(void *e, void *arg), void *arg);


#endif /* _FUZZ_H */
