// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * flip: damage every byte of an image in turn and read its catalog each
 * time, in one process (built with ASan and UBSan by compat_test.sh).
 *
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * flip FILE FROM TO: each byte at FROM..TO-1 set to 0x00, to 0xff and with
 * its top bit flipped, one at a time. What must hold: lu_catalog_parse_image()
 * either accepts the image with a catalog that keeps every rule (names
 * valid, unique and sorted; versions 1 to 63; write a subset of read; the
 * default in write) or refuses it with LU_CATALOG_DAMAGED and one line.
 * Prints the counts; exits 1 at the first image that breaks a rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

#define NAME_CHARS	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"

static struct lu_catalog cat;

static const char *broken(const struct lu_catalog *c)
{
	for (size_t i = 0; i < c->nr; i++) {
		const struct lu_format *f = &c->formats[i];

		if (!f->name[0] || strspn(f->name, NAME_CHARS) != strlen(f->name))
			return "a bad name";
		if (i && strcmp(c->formats[i - 1].name, f->name) >= 0)
			return "names not sorted or not unique";
		if ((f->read | f->write) & 1 || f->write & ~f->read)
			return "bad version sets";
		if (!f->default_version || f->default_version > LU_VERSION_MAX ||
		    !(f->write & (1ULL << f->default_version)))
			return "a bad default version";
		if (lu_catalog_pick(f, f) != (unsigned int)(63 - __builtin_clzll(f->write)))
			return "pick of a format with itself is not its newest version";
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const int how[] = { 0x00, 0xff, -1 };
	unsigned long from, to, accepted = 0, refused = 0;
	unsigned char *img, *orig;
	char why[512];
	const char *bug;
	size_t len;
	long size;
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: flip FILE FROM TO\n");
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (!f || fseek(f, 0, SEEK_END))
		return 2;
	size = ftell(f);
	if (size < 0 || fseek(f, 0, SEEK_SET))
		return 2;
	len = size;
	orig = malloc(len + 1);
	img = malloc(len + 1);
	if (!orig || !img || fread(orig, 1, len, f) != len)
		return 2;
	fclose(f);
	from = strtoul(argv[2], NULL, 0);
	to = strtoul(argv[3], NULL, 0);
	if (to > len)
		to = len;
	for (unsigned long off = from; off < to; off++) {
		for (int h = 0; h < 3; h++) {
			int err;

			memcpy(img, orig, len);
			img[off] = how[h] < 0 ? orig[off] ^ 0x80 : how[h];
			why[0] = '\0';
			err = lu_catalog_parse_image(img, len, &cat, why, sizeof(why));
			bug = err ? NULL : broken(&cat);
			if (bug) {
				printf("offset %lu, byte 0x%02x: accepted with %s\n", off, img[off], bug);
				goto fail;
			}
			if (err && (err != LU_CATALOG_DAMAGED || !why[0] || strchr(why, '\n'))) {
				printf("offset %lu, byte 0x%02x: refused with %d \"%s\"\n", off,
				       img[off], err, why);
				goto fail;
			}
			if (err)
				refused++;
			else
				accepted++;
		}
	}
	printf("%lu accepted, %lu refused\n", accepted, refused);
	free(img);
	free(orig);
	return 0;
fail:
	free(img);
	free(orig);
	return 1;
}
