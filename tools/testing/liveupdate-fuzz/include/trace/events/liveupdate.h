/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The liveupdate trace events the host-built readers emit: nothing (the
 * arguments are still evaluated, as they would be for a live tracepoint).
 */
#ifndef _FUZZ_TRACE_LIVEUPDATE_H
#define _FUZZ_TRACE_LIVEUPDATE_H

#include "../../kshim.h"

static inline void trace_kho_block_grow(size_t entry_size, unsigned long nr_blocks,
					unsigned long nr_entries, int ret) { }
static inline void trace_kho_block_shrink(size_t entry_size, unsigned long nr_blocks,
					  unsigned long nr_entries, int ret) { }
static inline void trace_kho_block_restore(size_t entry_size, unsigned long nr_blocks,
					   unsigned long nr_entries, int ret) { }

#endif
