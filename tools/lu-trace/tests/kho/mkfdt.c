// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * mkfdt: write a KHO root tree ("kho-v2") for the tests of lu-trace kho,
 * with libfdt's sequential-write API, correct or damaged on request.
 *
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * mkfdt [-c COMPAT] [-r ROOT] [-p SIZE] [-w PROP[:LEN]] [-x magic|truncate]
 *       FILE [NAME:ADDRESS:SIZE...]
 *
 *   -c COMPAT  root compatible (default kho-v2)
 *   -r ROOT    preserved-memory-map, the tracker root address (default 0)
 *   -p SIZE    pad the file with zeroes to SIZE bytes (debugfs shows the
 *              whole page of the outgoing tree)
 *   -w PROP[:LEN]  write every PROP property with LEN bytes (default 4)
 *              instead of 8: the big-endian value, cut or zero-extended
 *   -x magic   damage the FDT magic
 *   -x truncate write only half of the tree
 *   NAME:ADDRESS:SIZE  one subtree node (NAME may itself contain ':')
 */
#include <errno.h>
#include <fcntl.h>
#include <libfdt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUF_SIZE	65536

static const char *bad_prop;
static unsigned long long bad_len = 4;

static void die(const char *what, int err)
{
	fprintf(stderr, "mkfdt: %s: %s\n", what, err < 0 ? fdt_strerror(err) : strerror(err));
	exit(2);
}

static unsigned long long num(const char *s)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		die(s, EINVAL);
	return v;
}

static int prop_u64(void *fdt, const char *name, unsigned long long val)
{
	unsigned char raw[16] = {};
	unsigned int i;

	if (!bad_prop || strcmp(name, bad_prop))
		return fdt_property_u64(fdt, name, val);
	for (i = 0; i < 8 && i < bad_len; i++)
		raw[bad_len - 1 - i] = val >> (8 * i);
	return fdt_property(fdt, name, raw, bad_len);
}

static void subtree(void *fdt, char *spec)
{
	char *size, *addr;
	int err;

	size = strrchr(spec, ':');
	if (!size)
		die(spec, EINVAL);
	*size++ = '\0';
	addr = strrchr(spec, ':');
	if (!addr)
		die(spec, EINVAL);
	*addr++ = '\0';
	err = fdt_begin_node(fdt, spec);
	if (!err)
		err = prop_u64(fdt, "preserved-data", num(addr));
	if (!err)
		err = prop_u64(fdt, "blob-size", num(size));
	if (!err)
		err = fdt_end_node(fdt);
	if (err)
		die(spec, err);
}

int main(int argc, char **argv)
{
	const char *compat = "kho-v2", *damage = NULL;
	unsigned long long root = 0, pad = 0, size;
	static char buf[BUF_SIZE];
	char *len;
	int opt, err, fd, i;

	while ((opt = getopt(argc, argv, "c:r:p:w:x:")) != -1) {
		switch (opt) {
		case 'c':
			compat = optarg;
			break;
		case 'r':
			root = num(optarg);
			break;
		case 'p':
			pad = num(optarg);
			break;
		case 'w':
			bad_prop = optarg;
			len = strchr(optarg, ':');
			if (len) {
				*len++ = '\0';
				bad_len = num(len);
				if (bad_len > 16)
					die(len, EINVAL);
			}
			break;
		case 'x':
			damage = optarg;
			break;
		default:
			die("usage", EINVAL);
		}
	}
	if (optind >= argc || pad > BUF_SIZE)
		die("usage", EINVAL);

	err = fdt_create(buf, BUF_SIZE);
	if (!err)
		err = fdt_finish_reservemap(buf);
	if (!err)
		err = fdt_begin_node(buf, "");
	if (!err)
		err = fdt_property_string(buf, "compatible", compat);
	if (!err)
		err = prop_u64(buf, "preserved-memory-map", root);
	if (err)
		die("root", err);
	for (i = optind + 1; i < argc; i++)
		subtree(buf, argv[i]);
	err = fdt_end_node(buf);
	if (!err)
		err = fdt_finish(buf);
	if (err)
		die("finish", err);

	size = fdt_totalsize(buf);
	if (damage && !strcmp(damage, "magic"))
		memset(buf, 0, 4);
	else if (damage && !strcmp(damage, "truncate"))
		size /= 2;
	else if (damage)
		die(damage, EINVAL);
	if (pad > size)
		size = pad;

	fd = open(argv[optind], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(argv[optind], errno);
	if (write(fd, buf, size) != (ssize_t)size)
		die(argv[optind], errno ? errno : EIO);
	close(fd);
	return 0;
}
