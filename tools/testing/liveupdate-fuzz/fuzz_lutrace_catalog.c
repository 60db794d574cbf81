// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * Fuzz target: lu-trace's format catalog reader (tools/lu-trace/catalog.c):
 * lu_catalog_parse_image() and lu_catalog_parse_notes() on the bytes as
 * they are, then "lu-trace compat" on them as a file: the catalog (text
 * and JSON) and the pair of the image with itself.
 *
 * Input: the image itself: raw notes, an ELF vmlinux or a bzImage (told
 * apart by their magic, as the tool does). The seeds: the .notes of a real
 * vmlinux (objcopy -O binary --only-section=.notes) and the raw notes, ELF
 * and gzip bzImage that tools/lu-trace/tests/compat/mkcat.c writes for
 * kernel A of compat_test.sh. What must hold: no crash and no sanitizer
 * report; an image accepted has a catalog that keeps every rule of
 * include/linux/kho/abi/format.h, and one refused says why in one line.
 */

#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "catalog.h"
#include "fz_input.h"

static struct lu_catalog cat;
static int fd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_init_quiet();
	/* A bomb is refused at the cap: a lower one keeps each input fast. */
	lu_catalog_image_max = 64ULL << 20;
	fd = memfd_create("image", 0);
	if (fd < 0)
		fz_bug("memfd_create failed");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return 0;
}

static void check(int err, const char *why, const char *what)
{
	if (err) {
		if (err != LU_CATALOG_DAMAGED || !why[0] || strchr(why, '\n'))
			fz_bug("%s: refused with %d and \"%s\"", what, err, why);
		fz_note("%s: refused: %s", what, why);
		return;
	}
	for (size_t i = 0; i < cat.nr; i++) {
		const struct lu_format *f = &cat.formats[i];

		if (!f->name[0] || strspn(f->name, "abcdefghijklmnopqrstuvwxyz"
					  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(f->name))
			fz_bug("%s: format %zu has a bad name", what, i);
		if (i && strcmp(cat.formats[i - 1].name, f->name) >= 0)
			fz_bug("%s: format %s not sorted or not unique", what, f->name);
		if ((f->read | f->write) & 1 || f->write & ~f->read)
			fz_bug("%s: format %s has bad version sets", what, f->name);
		if (!f->default_version || f->default_version > LU_VERSION_MAX ||
		    !(f->write & (1ULL << f->default_version)))
			fz_bug("%s: format %s has a bad default", what, f->name);
	}
	fz_note("%s: %zu formats", what, cat.nr);
}

/* One lu-trace command; argp permutes argv, so a fresh one each time. */
static void run(const char *const *args)
{
	char *argv[8];
	int argc = 0;

	for (; args[argc]; argc++)
		argv[argc] = (char *)args[argc];
	argv[argc] = NULL;
	cmd_compat(argc, argv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[512] = "";
	int err;

	err = lu_catalog_parse_image(data, size, &cat, why, sizeof(why));
	check(err, why, "image");
	why[0] = '\0';
	err = lu_catalog_parse_notes(data, size, &cat, why, sizeof(why));
	check(err, why, "notes");
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		fz_bug("cannot write the image");
	run((const char *const[]){ "compat", "-c", path, NULL });
	run((const char *const[]){ "compat", "-j", "-c", path, NULL });
	run((const char *const[]){ "compat", "-j", path, path, NULL });
	fflush(stdout);
	return 0;
}
