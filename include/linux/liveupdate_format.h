/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * The registry of handover formats and their versions (the catalog's
 * layout is in kho/abi/format.h).
 */
#ifndef _LINUX_LIVEUPDATE_FORMAT_H
#define _LINUX_LIVEUPDATE_FORMAT_H

#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/elf.h>
#include <linux/types.h>
#include <linux/kho/abi/format.h>

/* The note's name, NUL included, padded to 4 bytes as ELF notes are. */
#define LIVEUPDATE_NOTE_NAME_SIZE	12
static_assert(sizeof(LIVEUPDATE_NOTE_NAME) <= LIVEUPDATE_NOTE_NAME_SIZE);

/**
 * struct liveupdate_format - a format's entry in the catalog: one ELF note
 * @nhdr: the note header (name and description sizes, type)
 * @nname: LIVEUPDATE_NOTE_NAME, padded to 4 bytes
 * @desc: what the format is and which versions this kernel handles
 *
 * Declared with LIVEUPDATE_FORMAT(), never by hand.
 */
struct liveupdate_format {
	struct elf32_note nhdr;
	char nname[LIVEUPDATE_NOTE_NAME_SIZE];
	struct liveupdate_format_note desc;
} __aligned(4);

/* A version set: LIVEUPDATE_V(3) | LIVEUPDATE_V(4). */
#define LIVEUPDATE_V(v)		BIT_ULL(v)

/**
 * LIVEUPDATE_FORMAT - declare a handover format, once, in the file that owns it
 * @_sym: the C name of its entry, to pass to the liveupdate_format_*() calls
 * @_name: its name (a string literal), the base of its compatible strings
 * @_read: the versions this kernel reads, a LIVEUPDATE_V() set
 * @_write: the versions it can write, a subset of @_read
 * @_default: the version it writes unless negotiated or told otherwise
 * @_flags: LIVEUPDATE_FORMAT_*
 *
 * The entry is an ELF note in vmlinux's .notes: the build's catalog, which
 * tools read from the image and /sys/kernel/notes shows. An entry whose
 * name does not fit, or whose sets are not consistent (version 0, a
 * written version not read, a default not written), is logged and ignored
 * at boot: the format is then unknown to this kernel.
 */
#define LIVEUPDATE_FORMAT(_sym, _name, _read, _write, _default, _flags)			\
	static const struct liveupdate_format _sym					\
	__used __section(".note.Liveupdate") __aligned(4) = {				\
		.nhdr = {								\
			.n_namesz = sizeof(LIVEUPDATE_NOTE_NAME),			\
			.n_descsz = sizeof(struct liveupdate_format_note),		\
			.n_type = LIVEUPDATE_NOTE_FORMAT,				\
		},									\
		.nname = LIVEUPDATE_NOTE_NAME,						\
		.desc = {								\
			.name = _name,							\
			.read = (_read),						\
			.write = (_write),						\
			.default_version = (_default),					\
			.flags = (_flags),						\
		},									\
	}

#ifdef CONFIG_LIVEUPDATE
unsigned int liveupdate_format_parse(const struct liveupdate_format *fmt, const char *compatible);
unsigned int liveupdate_format_out(const struct liveupdate_format *fmt);
int liveupdate_format_compat(const struct liveupdate_format *fmt, unsigned int version,
			     char *buf, size_t len);
const char *liveupdate_format_refusal(const struct liveupdate_format *fmt,
				      const char *compatible, char *buf, size_t len);
const struct liveupdate_format *liveupdate_format_find(const char *compatible,
						       unsigned int *version);
#endif

#endif /* _LINUX_LIVEUPDATE_FORMAT_H */
