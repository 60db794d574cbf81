/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */
#ifndef _LINUX_KHO_ABI_FORMAT_H
#define _LINUX_KHO_ABI_FORMAT_H

#include <linux/types.h>

/**
 * DOC: the format catalog, "liveupdate-catalog-v1"
 *
 * Every format a kernel hands over (KHO's root tree, kho_block sets, LUO's
 * state, the blackout record, each file type) declares, once, the versions
 * this kernel reads and writes. The declarations are ELF notes of vmlinux,
 * collected by the linker into its ``.notes`` section and its PT_NOTE
 * segment: a tool reads them from a vmlinux, from the ELF payload inside a
 * bzImage (after decompressing it) or, on a running kernel, from
 * ``/sys/kernel/notes``, without booting anything.
 *
 * Each note has the name LIVEUPDATE_NOTE_NAME ("Liveupdate"), the type
 * LIVEUPDATE_NOTE_FORMAT and a &struct liveupdate_format_note as its
 * description (notes are 4-byte aligned, as ELF requires; the description
 * is 56 bytes, little-endian like the kernel it describes). Notes of other
 * names or types are not part of the catalog; a tool skips them, and a
 * note of this name and type whose size differs is a damaged catalog.
 *
 * Version V of format NAME is written and read under the compatible string
 * "NAME-vV" (for example "memfd-v4"): the string that the format's own
 * header carries, or, for a file type, LUO's file entry.
 *
 * **Any change to this layout gets a new note type.**
 */

#define LIVEUPDATE_NOTE_NAME		"Liveupdate"
#define LIVEUPDATE_NOTE_FORMAT		1

/* Versions are 1 to 63; bit V of a version set is version V. */
#define LIVEUPDATE_VERSION_MAX		63
#define LIVEUPDATE_FORMAT_NAME_LEN	32

/*
 * The format carries no preserved memory (the blackout record): when the
 * next kernel reads none of its versions it is not written, and the kexec
 * goes ahead.
 */
#define LIVEUPDATE_FORMAT_OPTIONAL	0x1
/* The format of a file type: its compatible string is in LUO's file entry. */
#define LIVEUPDATE_FORMAT_FILE		0x2

/**
 * struct liveupdate_format_note - one format of a kernel's catalog
 * @name: the format's name, NUL-terminated and padded with NULs; also
 *	  the base of its compatible strings and its directory in
 *	  /sys/kernel/liveupdate/formats/
 * @read: the versions this kernel reads (bit V: version V)
 * @write: the versions this kernel can write, a subset of @read
 * @default_version: the version it writes unless told otherwise, in @write
 * @flags: LIVEUPDATE_FORMAT_*
 */
struct liveupdate_format_note {
	char name[LIVEUPDATE_FORMAT_NAME_LEN];
	__u64 read;
	__u64 write;
	__u32 default_version;
	__u32 flags;
} __packed;

#endif /* _LINUX_KHO_ABI_FORMAT_H */
