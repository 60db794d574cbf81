/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * lu-trace: the format catalog of a kernel ("liveupdate-catalog-v1")
 *
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * Every handover format a kernel reads or writes is declared in its image as
 * an ELF note (include/linux/kho/abi/format.h). catalog.c finds those notes
 * in a bzImage (decompressing its payload), a vmlinux, a raw notes file or
 * the running kernel's /sys/kernel/notes, and checks them. No BPF: the tests
 * and the fuzz target link it as it is.
 */
#ifndef __LU_TRACE_CATALOG_H
#define __LU_TRACE_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/*
 * From include/linux/kho/abi/format.h (the tests check that they agree):
 * a note named LU_NOTE_NAME of type LU_NOTE_FORMAT whose description is
 * name[32], u64 read, u64 write, u32 default_version, u32 flags, packed and
 * little-endian. Bit V of a version set is version V, 1 to 63.
 */
#define LU_CATALOG_ID		"liveupdate-catalog-v1"
#define LU_NOTE_NAME		"Liveupdate"
#define LU_NOTE_FORMAT		1
#define LU_FORMAT_NAME_LEN	32
#define LU_FORMAT_DESC_SIZE	56
#define LU_VERSION_MAX		63
#define LU_FORMAT_OPTIONAL	(1U << 0)	/* no preserved memory: skipped if unread */
#define LU_FORMAT_FILE		(1U << 1)	/* a file type of LUO */

#define LU_CATALOG_MAX		256		/* formats in one catalog (a kernel has 32) */
#define LU_CATALOG_SYSFS	"/sys"		/* default root of "running" */
#define LU_CATALOG_RUNNING	"running"

/* The write switch of /sys/kernel/liveupdate/formats/NAME/write, as the kernel keeps it. */
#define LU_WRITE_AUTO		(-1)
#define LU_WRITE_OFF		0		/* > 0: that version */

/* What lu_catalog_load() returns: the exit statuses of sysexits.h. */
#define LU_CATALOG_DAMAGED	65		/* EX_DATAERR: damaged or not an image */
#define LU_CATALOG_NOINPUT	66		/* EX_NOINPUT: cannot be opened or read */

/**
 * struct lu_format - one format of a catalog
 * @name: NUL-terminated, letters, digits, '.', '_' and '-' only
 * @read: the versions the kernel reads (bit V: version V)
 * @write: the versions it can write, a subset of @read
 * @default_version: the one it writes unless told otherwise, in @write
 * @flags: LU_FORMAT_*; unknown bits are kept, not interpreted
 * @write_switch: LU_WRITE_AUTO, LU_WRITE_OFF or a version of @write (from
 *		  sysfs for the running kernel; LU_WRITE_AUTO for an image)
 * @live: 1 if the format has data to hand over now, 0 if not, -1 if unknown
 *	  (an image, or no live file): assumed to have some
 * @note_off: where its note starts, for messages
 */
struct lu_format {
	char name[LU_FORMAT_NAME_LEN];
	__u64 read;
	__u64 write;
	unsigned int default_version;
	unsigned int flags;
	int write_switch;
	int live;
	size_t note_off;
};

enum lu_catalog_kind {
	LU_KIND_NOTES,		/* a raw notes file */
	LU_KIND_RUNNING,	/* /sys/kernel/notes and the switches */
	LU_KIND_ELF,		/* a vmlinux */
	LU_KIND_BZIMAGE,	/* the ELF in a bzImage's payload */
};

/**
 * struct lu_catalog - the formats of one kernel
 * @kind: where they were read from
 * @compression: of a bzImage's payload ("gzip", "xz", "zstd", "none")
 * @release: the kernel release if known (a bzImage's header, uname), or ""
 * @nr: formats in @formats
 * @formats: sorted by name once loaded; names are unique
 */
struct lu_catalog {
	enum lu_catalog_kind kind;
	const char *compression;
	char release[65];
	size_t nr;
	struct lu_format formats[LU_CATALOG_MAX];
};

/*
 * The largest decompressed payload accepted (default 1 GiB; a vmlinux
 * stripped of symbols is tens of MiB). The fuzz target lowers it.
 */
extern unsigned long long lu_catalog_image_max;

int lu_catalog_parse_notes(const void *buf, size_t len, struct lu_catalog *out, char *why,
			   size_t whylen);
int lu_catalog_parse_image(const void *buf, size_t len, struct lu_catalog *out, char *why,
			   size_t whylen);
int lu_catalog_load(const char *path, const char *sysfs, struct lu_catalog *out, char *why,
		    size_t whylen);
const struct lu_format *lu_catalog_find(const struct lu_catalog *c, const char *name);
unsigned int lu_catalog_pick(const struct lu_format *from, const struct lu_format *to);
const char *lu_versions(char *buf, size_t len, __u64 set, const char *none);

/* compat.c */
int cmd_compat(int argc, char **argv);

#endif /* __LU_TRACE_CATALOG_H */
