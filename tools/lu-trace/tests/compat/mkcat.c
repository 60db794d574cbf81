// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * mkcat: write format catalogs for the tests of lu-trace compat, as raw
 * notes, as a minimal ELF64 vmlinux or as a fake bzImage, correct or damaged
 * on request.
 *
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * mkcat notes [-x DAMAGE] FILE [SPEC...]
 * mkcat elf [-S] [-x DAMAGE] FILE [SPEC...]
 * mkcat bzimage [-r RELEASE] [-v VERSION] [-o OFFSET] [-l LENGTH] FILE PAYLOAD
 *
 *   SPEC      NAME:READ:WRITE:DEFAULT[:FLAGS], one "Liveupdate" note: READ
 *             and WRITE are version lists ("3,4", "" for none; 0 sets bit
 *             0), FLAGS "optional", "file", both ("optional,file") or a
 *             number. Every file also has a GNU build-id note before them,
 *             and a "Liveupdate" note of another type and a "Linux" note
 *             after them, which a reader skips.
 *   -S        elf: no program headers, the notes in an SHT_NOTE section
 *   -x desc55 the first format's description is 55 bytes
 *   -x unterminated  its name fills all 32 bytes, without a NUL
 *   -x namesz the first note's name size is 0xffffffff
 *   -x truncate  the file ends in the middle of the last format
 *   -x class32   elf: EI_CLASS is ELFCLASS32
 *   -x phoff  elf: the program headers are past the end of the file
 *   -x noteoff   elf: the PT_NOTE segment is past the end of the file
 *   bzimage: a 0x1000-byte setup (setup_sects 7) with the boot protocol
 *             header (VERSION, default 0x020f), RELEASE as kernel_version,
 *             then 64 bytes of code and PAYLOAD (an already compressed
 *             ELF); -o and -l replace payload_offset (default 64) and
 *             payload_length (default PAYLOAD's size).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUF_MAX		(1 << 20)

static unsigned char buf[BUF_MAX];
static size_t len;
static const char *damage = "";

static void die(const char *what, const char *why)
{
	fprintf(stderr, "mkcat: %s: %s\n", what, why);
	exit(2);
}

static void put(const void *p, size_t n)
{
	if (n > BUF_MAX - len)
		die("output", "too large");
	memcpy(buf + len, p, n);
	len += n;
}

static void put_le(uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++) {
		unsigned char b = v >> (8 * i);

		put(&b, 1);
	}
}

static void set_le(size_t at, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		buf[at + i] = v >> (8 * i);
}

static void pad4(void)
{
	while (len % 4)
		put("", 1);
}

static void note(const char *name, uint32_t namesz, uint32_t type, const void *desc,
		 uint32_t descsz)
{
	put_le(namesz, 4);
	put_le(descsz, 4);
	put_le(type, 4);
	put(name, strlen(name) + 1);
	pad4();
	put(desc, descsz);
	pad4();
}

static uint64_t versions(const char *s, const char *spec)
{
	uint64_t set = 0;
	char *end;

	while (*s) {
		unsigned long v = strtoul(s, &end, 10);

		if (end == s || v > 63 || (*end && *end != ','))
			die(spec, "bad version list");
		set |= 1ULL << v;
		s = *end ? end + 1 : end;
	}
	return set;
}

/* One SPEC as a "Liveupdate" note; @first for the damage that hits the first. */
static void format_note(const char *spec, int first)
{
	char copy[256], *field[5] = {}, *p;
	unsigned char desc[56] = {};
	unsigned long flags = 0;
	int n = 0;

	if (strlen(spec) >= sizeof(copy))
		die(spec, "too long");
	strcpy(copy, spec);
	for (p = copy; n < 5; n++) {
		field[n] = p;
		p = strchr(p, ':');
		if (!p)
			break;
		*p++ = '\0';
	}
	if (n < 3)
		die(spec, "expected NAME:READ:WRITE:DEFAULT[:FLAGS]");
	if (strlen(field[0]) > 32)
		die(spec, "name longer than 32 bytes");
	memcpy(desc, field[0], strlen(field[0]));
	if (first && !strcmp(damage, "unterminated"))
		memset(desc, 'x', 32);
	if (field[4]) {
		if (!strcmp(field[4], "optional"))
			flags = 1;
		else if (!strcmp(field[4], "file"))
			flags = 2;
		else if (!strcmp(field[4], "optional,file"))
			flags = 3;
		else
			flags = strtoul(field[4], NULL, 0);
	}
	uint64_t r = versions(field[1], spec), w = versions(field[2], spec);
	unsigned long d = strtoul(field[3], NULL, 10);

	for (int i = 0; i < 8; i++) {
		desc[32 + i] = r >> (8 * i);
		desc[40 + i] = w >> (8 * i);
	}
	for (int i = 0; i < 4; i++) {
		desc[48 + i] = d >> (8 * i);
		desc[52 + i] = flags >> (8 * i);
	}
	note("Liveupdate", first && !strcmp(damage, "namesz") ? 0xffffffff : 11, 1, desc,
	     first && !strcmp(damage, "desc55") ? 55 : 56);
}

/* The notes: build-id, the formats, a "Liveupdate" note of type 2, a "Linux" note. */
static void notes(int nspecs, char **specs)
{
	static const unsigned char id[20] = { 0xc7, 0x05, 0xfe, 0xff, 0x10, 0xa1 };
	size_t last = len;

	note("GNU", 4, 3, id, sizeof(id));
	for (int i = 0; i < nspecs; i++) {
		last = len;
		format_note(specs[i], !i);
	}
	note("Liveupdate", 11, 2, "future", 7);
	note("Linux", 6, 0x101, "\0\0\0\0", 4);
	if (!strcmp(damage, "truncate"))
		len = last + 40;	/* into the last format's description */
}

static void elf(int sections, int nspecs, char **specs)
{
	size_t notes_at, notes_len, sh_at;
	int class32 = !strcmp(damage, "class32");

	/* e_ident, e_type EXEC, e_machine x86-64, e_version */
	put("\x7f" "ELF", 4);
	put(class32 ? "\x01" : "\x02", 1);
	put("\x01\x01", 2);
	put("\0\0\0\0\0\0\0\0\0", 9);
	put_le(2, 2);
	put_le(62, 2);
	put_le(1, 4);
	put_le(0x1000000, 8);			/* e_entry */
	put_le(sections ? 0 : 64, 8);		/* e_phoff */
	put_le(0, 8);				/* e_shoff, set below */
	put_le(0, 4);				/* e_flags */
	put_le(64, 2);				/* e_ehsize */
	put_le(56, 2);				/* e_phentsize */
	put_le(sections ? 0 : 1, 2);		/* e_phnum */
	put_le(64, 2);				/* e_shentsize */
	put_le(sections ? 2 : 0, 2);		/* e_shnum */
	put_le(0, 2);				/* e_shstrndx */
	if (!sections) {
		put_le(4, 4);			/* PT_NOTE */
		put_le(4, 4);			/* PF_R */
		put_le(0, 8);			/* p_offset, set below */
		put_le(0xffffffff81bd9ae8ULL, 8);
		put_le(0x1bd9ae8, 8);
		put_le(0, 8);			/* p_filesz */
		put_le(0, 8);			/* p_memsz */
		put_le(4, 8);			/* p_align */
	}
	notes_at = len;
	notes(nspecs, specs);
	notes_len = len - notes_at;
	if (!sections) {
		set_le(64 + 8, !strcmp(damage, "noteoff") ? 0x10000000 : notes_at, 8);
		set_le(64 + 32, notes_len, 8);
		set_le(64 + 40, notes_len, 8);
	} else {
		while (len % 8)
			put("", 1);
		sh_at = len;
		set_le(0x28, sh_at, 8);
		for (int i = 0; i < 64; i++)
			put("", 1);		/* section 0 */
		put_le(0, 4);			/* sh_name */
		put_le(7, 4);			/* SHT_NOTE */
		put_le(2, 8);			/* SHF_ALLOC */
		put_le(0xffffffff81bd9ae8ULL, 8);
		put_le(notes_at, 8);
		put_le(notes_len, 8);
		put_le(0, 4);
		put_le(0, 4);
		put_le(4, 8);			/* sh_addralign */
		put_le(0, 8);
	}
	if (!strcmp(damage, "phoff"))
		set_le(0x20, 0x7fffffff, 8);
}

static size_t read_file(const char *path, unsigned char *to, size_t max)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		die(path, strerror(errno));
	n = fread(to, 1, max, f);
	if (ferror(f) || !feof(f))
		die(path, "cannot read it whole (or larger than 1 MiB)");
	fclose(f);
	return n;
}

static const char *bzimage(int argc, char **argv)
{
	static unsigned char payload[BUF_MAX / 2];
	const char *release = "6.12.9-lu";
	unsigned long version = 0x020f, off = 64;
	long plen = -1;
	char kver[128];
	size_t n;
	int opt;

	while ((opt = getopt(argc, argv, "r:v:o:l:")) != -1) {
		switch (opt) {
		case 'r':
			release = optarg;
			break;
		case 'v':
			version = strtoul(optarg, NULL, 0);
			break;
		case 'o':
			off = strtoul(optarg, NULL, 0);
			break;
		case 'l':
			plen = strtol(optarg, NULL, 0);
			break;
		default:
			exit(2);
		}
	}
	if (argc - optind != 2)
		die("bzimage", "expected FILE PAYLOAD");
	n = read_file(argv[optind + 1], payload, sizeof(payload));
	memset(buf, 0, 0x1000);
	len = 0x1000;
	buf[0] = 'M';
	buf[1] = 'Z';
	buf[0x1f1] = 7;				/* setup_sects: 8 * 512 = 0x1000 */
	set_le(0x1fe, 0xaa55, 2);
	memcpy(buf + 0x202, "HdrS", 4);
	set_le(0x206, version, 2);
	set_le(0x20e, 0x300 - 0x200, 2);	/* kernel_version */
	snprintf(kver, sizeof(kver), "%s (builder@build) #1 SMP PREEMPT_DYNAMIC", release);
	memcpy(buf + 0x300, kver, strlen(kver) + 1);
	set_le(0x248, off, 4);
	set_le(0x24c, plen < 0 ? (unsigned long)n : (unsigned long)plen, 4);
	for (int i = 0; i < 64; i++)
		put("\xcc", 1);			/* the decompressor's code */
	put(payload, n);
	return argv[optind];
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "", *out;
	int sections = 0, opt;
	FILE *f;

	if (!strcmp(mode, "bzimage")) {
		out = bzimage(argc - 1, argv + 1);
	} else if (!strcmp(mode, "notes") || !strcmp(mode, "elf")) {
		argc--;
		argv++;
		while ((opt = getopt(argc, argv, "Sx:")) != -1) {
			if (opt == 'S')
				sections = 1;
			else if (opt == 'x')
				damage = optarg;
			else
				exit(2);
		}
		if (optind >= argc)
			die(mode, "no FILE");
		out = argv[optind];
		if (!strcmp(mode, "notes"))
			notes(argc - optind - 1, argv + optind + 1);
		else
			elf(sections, argc - optind - 1, argv + optind + 1);
	} else {
		fprintf(stderr, "usage: mkcat notes|elf [-S] [-x DAMAGE] FILE [SPEC...]\n"
			"       mkcat bzimage [-r REL] [-v VER] [-o OFF] [-l LEN] FILE PAYLOAD\n");
		return 2;
	}
	f = fopen(out, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f))
		die(out, strerror(errno));
	return 0;
}
