/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */
#ifndef _LINUX_KHO_ABI_MEMFD_H
#define _LINUX_KHO_ABI_MEMFD_H

#include <linux/types.h>
#include <linux/kho/abi/block.h>

/**
 * DOC: memfd preservation ABI, "memfd-v3" and "memfd-v4"
 *
 * A preserved memfd is described by &struct memfd_luo_ser in one preserved
 * page; LUO's file entry holds its physical address. The folios present in
 * the page cache (holes are not recorded) are a kho_block set of
 * &struct memfd_luo_folio_ser, in increasing @index order, not overlapping;
 * each folio is preserved memory of its own order and starts before the
 * end of the file (a folio may extend past it when the size is not a
 * multiple of the folio size). @hash covers the description (and through
 * the set's own hash, every record): a memfd whose description or records
 * were damaged fails to retrieve, alone. **Any change to this layout bumps
 * MEMFD_LUO_COMPATIBLE**.
 *
 * In "memfd-v4" the set holds &struct memfd_luo_extent_ser instead, the
 * same size: runs of folios of one order that are contiguous both in the
 * file and in physical memory, one record a run. The description is the
 * same; @nr_folios still counts folios, and the set has at most that many
 * records. A file of large contiguous allocations (or of 4 KiB pages that
 * the allocator handed out in order) needs a fraction of the records.
 *
 * Versions: "memfd-v1" had no @mode (files came back mode 0777); v2 added
 * it in place of v1's reserved word after @flags; v3 adds @hash (and uses
 * kho-block-v2 sets); v4 has extents. The LUO file entry's compatible
 * string names the version.
 */

#define MEMFD_LUO_COMPATIBLE		"memfd-v3"
/* The versions of the format "memfd" (kho/abi/format.h). */
#define MEMFD_LUO_V_FOLIOS		3
#define MEMFD_LUO_V_EXTENTS		4

#define MEMFD_LUO_FOLIO_DIRTY		BIT(0)
#define MEMFD_LUO_FOLIO_UPTODATE	BIT(1)

/**
 * struct memfd_luo_folio_ser - one preserved folio
 * @pfn: its first page frame
 * @index: its page index in the file, aligned to 2^@order
 * @order: its order
 * @flags: MEMFD_LUO_FOLIO_*
 */
struct memfd_luo_folio_ser {
	__u64 pfn;
	__u64 index;
	__u32 order;
	__u32 flags;
} __packed;

/**
 * struct memfd_luo_extent_ser - a run of preserved folios ("memfd-v4")
 * @pfn: the first page frame of the first folio
 * @index: its page index in the file, aligned to 2^@order
 * @nr: folios in the run, at least 1: folio k starts at page index
 *	@index + k * 2^@order and page frame @pfn + k * 2^@order
 * @order: the order of every folio of the run
 * @flags: MEMFD_LUO_FOLIO_*, of every folio of the run
 * @reserved: zero
 */
struct memfd_luo_extent_ser {
	__u64 pfn;
	__u64 index;
	__u32 nr;
	__u8 order;
	__u8 flags;
	__u16 reserved;
} __packed;

/**
 * struct memfd_luo_ser - a preserved memfd
 * @pos: file position
 * @size: file size in bytes
 * @seals: F_SEAL_* seals
 * @flags: reserved, zero
 * @mode: permission bits of the inode (S_IRWXUGO, S_ISUID, S_ISGID and
 *	  S_ISVTX only)
 * @reserved: zero
 * @nr_folios: folios in @folios
 * @folios: the folios, a kho_block set of &struct memfd_luo_folio_ser
 *	    (v3) or &struct memfd_luo_extent_ser (v4)
 * @hash: xxh64 (seed 0) of the bytes before it
 */
struct memfd_luo_ser {
	__u64 pos;
	__u64 size;
	__u32 seals;
	__u32 flags;
	__u32 mode;
	__u32 reserved;
	__u64 nr_folios;
	struct kho_block_set_ser folios;
	__u64 hash;
} __packed;

#endif /* _LINUX_KHO_ABI_MEMFD_H */
