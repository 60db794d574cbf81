// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lu-trace: read a kernel's format catalog ("liveupdate-catalog-v1")
 *
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * The catalog is the "Liveupdate" notes of vmlinux (layout in
 * include/linux/kho/abi/format.h). They are found in
 *
 * - a bzImage: the boot protocol header (Documentation/arch/x86/boot.rst)
 *   gives the payload, a compressed ELF (vmlinux without its symbols),
 *   decompressed here with zlib, liblzma or libzstd, then read as below;
 * - an ELF vmlinux (64-bit little-endian): its PT_NOTE segments or, if it
 *   has none, its SHT_NOTE sections;
 * - a raw notes file, as /sys/kernel/notes shows the running kernel's
 *   (with the write switches and live flags of /sys/kernel/liveupdate/).
 *
 * Every byte is untrusted: each offset and size is checked against what
 * was read before it is used, sizes are added in 64 bits, decompression is
 * capped, and anything wrong is one line in @why and LU_CATALOG_DAMAGED.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "catalog.h"

unsigned long long lu_catalog_image_max = 1ULL << 30;

#define NOTE_HDR	12		/* namesz, descsz, type: three u32 in either class */
#define XZ_MEMLIMIT	(256ULL << 20)	/* the kernel's xz uses a dictionary of 32 MiB at most */
#define ZSTD_WLOG_MAX	27		/* libzstd's default window limit, 128 MiB */
#define DEFLATE_RATIO	1032		/* deflate's largest expansion */
#define WHY_MAX		512
#define SWITCH_MAX	32		/* "auto\n", "off\n", "63\n" */

/* The x86 boot protocol header (offsets from the start of the image). */
#define BZ_SETUP_SECTS	0x1f1
#define BZ_MAGIC	0x202		/* "HdrS" */
#define BZ_VERSION	0x206
#define BZ_KERNEL_VER	0x20e		/* u16, + 0x200: the version string */
#define BZ_PAYLOAD_OFF	0x248		/* u32, from the protected-mode code */
#define BZ_PAYLOAD_LEN	0x24c
#define BZ_HDR_END	0x250
#define BZ_PROTO_PAYLOAD 0x0208		/* the first protocol with the payload fields */

/* ELF64 (elf.h's Elf64_Ehdr, Elf64_Phdr and Elf64_Shdr, by offset). */
#define EHDR_SIZE	64
#define PHDR_SIZE	56
#define SHDR_SIZE	64
#define PT_NOTE_TYPE	4
#define SHT_NOTE_TYPE	7
#define PN_XNUM_VAL	0xffff

__attribute__((format(printf, 3, 4)))
static int fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return LU_CATALOG_DAMAGED;
}

/* Put @fmt before the message in @why. */
__attribute__((format(printf, 4, 5)))
static int prefix(int err, char *why, size_t whylen, const char *fmt, ...)
{
	char pre[WHY_MAX], tmp[WHY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	snprintf(tmp, sizeof(tmp), "%s%s", pre, why);
	snprintf(why, whylen, "%s", tmp);
	return err;
}

static unsigned int le16(const unsigned char *p)
{
	return p[0] | p[1] << 8;
}

static __u32 le32(const unsigned char *p)
{
	return (__u32)p[0] | (__u32)p[1] << 8 | (__u32)p[2] << 16 | (__u32)p[3] << 24;
}

static __u64 le64(const unsigned char *p)
{
	return (__u64)le32(p) | (__u64)le32(p + 4) << 32;
}

static __u64 align_up(__u64 v, __u64 align)
{
	return (v + align - 1) & ~(align - 1);
}

/* Bytes of untrusted text for a message: printable ASCII, the rest as \xNN. */
static const char *show(const unsigned char *s, size_t len, char *buf, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < len && s[i] && o + 5 < size; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\' && s[i] != '"')
			buf[o++] = s[i];
		else
			o += snprintf(buf + o, size - o, "\\x%02x", s[i]);
	}
	buf[o] = '\0';
	return buf;
}

/**
 * lu_versions - a version set as text
 * @buf: where to write it
 * @len: its size
 * @set: bit V is version V
 * @none: what an empty set is ("-", "none")
 *
 * Return: @buf, "3,4" for versions 3 and 4.
 */
const char *lu_versions(char *buf, size_t len, __u64 set, const char *none)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned int v = 1; v <= LU_VERSION_MAX; v++) {
		if (!(set & (1ULL << v)))
			continue;
		int n = snprintf(buf + o, len - o, "%s%u", o ? "," : "", v);

		if (n < 0 || (size_t)n >= len - o)
			break;
		o += n;
	}
	if (!o)
		snprintf(buf, len, "%s", none);
	return buf;
}

/* ---------------------------------------------------------------------- */
/* Notes                                                                   */
/* ---------------------------------------------------------------------- */

static bool name_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

/* One "Liveupdate" description (LU_FORMAT_DESC_SIZE bytes at @d), checked and added. */
static int add_format(struct lu_catalog *c, const unsigned char *d, __u64 at, char *why,
		      size_t whylen)
{
	char s[4 * LU_FORMAT_NAME_LEN + 1], v1[3 * LU_VERSION_MAX], v2[3 * LU_VERSION_MAX];
	const unsigned char *nul = memchr(d, '\0', LU_FORMAT_NAME_LEN);
	struct lu_format *f;

	if (!nul)
		return fail(why, whylen, "note at 0x%llx: format name \"%s\" is not NUL-terminated",
			    (unsigned long long)at, show(d, LU_FORMAT_NAME_LEN, s, sizeof(s)));
	if (nul == d)
		return fail(why, whylen, "note at 0x%llx: empty format name", (unsigned long long)at);
	for (const unsigned char *q = d; q < nul; q++)
		if (!name_char_ok(*q))
			return fail(why, whylen, "note at 0x%llx: format name \"%s\": only letters, "
				    "digits, '.', '_' and '-' are allowed",
				    (unsigned long long)at, show(d, nul - d, s, sizeof(s)));
	if (c->nr == LU_CATALOG_MAX)
		return fail(why, whylen, "note at 0x%llx: more than %d formats",
			    (unsigned long long)at, LU_CATALOG_MAX);
	f = &c->formats[c->nr];
	memset(f, 0, sizeof(*f));
	memcpy(f->name, d, nul - d);
	f->read = le64(d + 32);
	f->write = le64(d + 40);
	f->default_version = le32(d + 48);
	f->flags = le32(d + 52);
	f->write_switch = LU_WRITE_AUTO;
	f->live = -1;
	f->note_off = at;
	if ((f->read | f->write) & 1)
		return fail(why, whylen, "format %s: its %s versions have bit 0 set "
			    "(versions are 1 to %d)", f->name, f->read & 1 ? "read" : "write",
			    LU_VERSION_MAX);
	if (f->write & ~f->read)
		return fail(why, whylen, "format %s: writes %s, which it does not read (reads %s)",
			    f->name, lu_versions(v1, sizeof(v1), f->write & ~f->read, "none"),
			    lu_versions(v2, sizeof(v2), f->read, "none"));
	if (!f->default_version || f->default_version > LU_VERSION_MAX ||
	    !(f->write & (1ULL << f->default_version)))
		return fail(why, whylen, "format %s: default version %u is not one it writes (%s)",
			    f->name, f->default_version,
			    lu_versions(v1, sizeof(v1), f->write, "none"));
	for (size_t i = 0; i < c->nr; i++)
		if (!strcmp(c->formats[i].name, f->name))
			return fail(why, whylen, "format %s: declared twice (notes at 0x%llx and "
				    "0x%llx)", f->name, (unsigned long long)c->formats[i].note_off,
				    (unsigned long long)at);
	c->nr++;
	return 0;
}

/*
 * The notes of @len bytes at @p (at @base in the file, for messages), each
 * padded to @align (4; 8 in a segment aligned so), added to @c.
 */
static int add_notes(struct lu_catalog *c, const unsigned char *p, size_t len, __u64 base,
		     __u64 align, char *why, size_t whylen)
{
	size_t at = 0;
	int err;

	while (at < len) {
		size_t left = len - at;
		__u32 namesz, descsz, type;
		__u64 desc_at, desc_end;

		if (left < NOTE_HDR) {
			while (at < len && !p[at])
				at++;
			if (at == len)
				break;	/* zero padding */
			return fail(why, whylen, "note at 0x%llx: %zu bytes left, less than a note "
				    "header", (unsigned long long)(base + len - left), left);
		}
		namesz = le32(p + at);
		descsz = le32(p + at + 4);
		type = le32(p + at + 8);
		desc_at = align_up(NOTE_HDR + (__u64)namesz, align);
		if (desc_at > left)
			return fail(why, whylen, "note at 0x%llx: name of %u bytes runs past the end "
				    "(0x%llx)", (unsigned long long)(base + at), namesz,
				    (unsigned long long)(base + len));
		desc_end = desc_at + descsz;
		if (desc_end > left)
			return fail(why, whylen, "note at 0x%llx: description of %u bytes runs past "
				    "the end (0x%llx)", (unsigned long long)(base + at), descsz,
				    (unsigned long long)(base + len));
		if (namesz == sizeof(LU_NOTE_NAME) && type == LU_NOTE_FORMAT &&
		    !memcmp(p + at + NOTE_HDR, LU_NOTE_NAME, sizeof(LU_NOTE_NAME))) {
			if (descsz != LU_FORMAT_DESC_SIZE)
				return fail(why, whylen, "note at 0x%llx: \"%s\" note of %u bytes, "
					    "expected %d", (unsigned long long)(base + at),
					    LU_NOTE_NAME, descsz, LU_FORMAT_DESC_SIZE);
			err = add_format(c, p + at + desc_at, base + at, why, whylen);
			if (err)
				return err;
		}
		/* The last note's padding may be cut off by its segment. */
		desc_end = align_up(desc_end, align);
		at += desc_end < left ? desc_end : left;
	}
	return 0;
}

static int cmp_format(const void *a, const void *b)
{
	return strcmp(((const struct lu_format *)a)->name, ((const struct lu_format *)b)->name);
}

static void sort_catalog(struct lu_catalog *c)
{
	qsort(c->formats, c->nr, sizeof(c->formats[0]), cmp_format);
}

/**
 * lu_catalog_parse_notes - the catalog in raw notes (/sys/kernel/notes)
 * @buf: the notes, 4-byte aligned ELF notes one after the other
 * @len: their size
 * @out: the catalog (kind LU_KIND_NOTES), sorted
 * @why: the reason if they are damaged, one line
 * @whylen: its size
 *
 * Notes of other names or types are skipped.
 *
 * Return: 0, or LU_CATALOG_DAMAGED.
 */
int lu_catalog_parse_notes(const void *buf, size_t len, struct lu_catalog *out, char *why,
			   size_t whylen)
{
	int err;

	memset(out, 0, sizeof(*out));
	out->kind = LU_KIND_NOTES;
	err = add_notes(out, buf, len, 0, 4, why, whylen);
	if (!err)
		sort_catalog(out);
	return err;
}

/* ---------------------------------------------------------------------- */
/* ELF                                                                     */
/* ---------------------------------------------------------------------- */

/* Is the table of @n entries of @entsize bytes at @off inside @len? */
static bool table_fits(__u64 off, __u64 n, __u64 entsize, size_t len)
{
	return off <= len && (!n || n <= (len - off) / entsize);
}

static int parse_elf(struct lu_catalog *c, const unsigned char *p, size_t len, char *why,
		     size_t whylen)
{
	__u64 phoff, shoff, phnum, shnum, found = 0;
	unsigned int phentsize, shentsize;
	int err;

	if (len < EHDR_SIZE)
		return fail(why, whylen, "ELF: %zu bytes, shorter than an ELF header", len);
	if (p[4] == 1)
		return fail(why, whylen, "ELF: 32-bit (ELFCLASS32): not supported");
	if (p[4] != 2)
		return fail(why, whylen, "ELF: unknown class %u", p[4]);
	if (p[5] == 2)
		return fail(why, whylen, "ELF: big-endian (ELFDATA2MSB): not supported");
	if (p[5] != 1)
		return fail(why, whylen, "ELF: unknown data encoding %u", p[5]);
	phoff = le64(p + 0x20);
	shoff = le64(p + 0x28);
	phentsize = le16(p + 0x36);
	phnum = le16(p + 0x38);
	shentsize = le16(p + 0x3a);
	shnum = le16(p + 0x3c);
	/* Counts too large for the header are in section 0 (PN_XNUM, shnum 0). */
	if (phnum == PN_XNUM_VAL || (!shnum && shoff)) {
		if (shentsize < SHDR_SIZE || !table_fits(shoff, 1, shentsize, len))
			return fail(why, whylen, "ELF: section 0 at 0x%llx (entries of %u bytes) is "
				    "not inside the file (%zu bytes)", (unsigned long long)shoff,
				    shentsize, len);
		if (phnum == PN_XNUM_VAL)
			phnum = le32(p + shoff + 0x2c);
		if (!shnum)
			shnum = le64(p + shoff + 0x20);
	}
	if (phnum && phentsize < PHDR_SIZE)
		return fail(why, whylen, "ELF: program headers of %u bytes, less than %d",
			    phentsize, PHDR_SIZE);
	if (phnum && !table_fits(phoff, phnum, phentsize, len))
		return fail(why, whylen, "ELF: %llu program headers at 0x%llx run past the end of "
			    "the file (%zu bytes)", (unsigned long long)phnum,
			    (unsigned long long)phoff, len);
	for (__u64 i = 0; i < phnum; i++) {
		const unsigned char *h = p + phoff + i * phentsize;
		__u64 off = le64(h + 0x08), size = le64(h + 0x20), align = le64(h + 0x30);

		if (le32(h) != PT_NOTE_TYPE)
			continue;
		found++;
		if (off > len || size > len - off)
			return fail(why, whylen, "ELF: PT_NOTE at 0x%llx, %llu bytes, runs past the "
				    "end of the file (%zu bytes)", (unsigned long long)off,
				    (unsigned long long)size, len);
		err = add_notes(c, p + off, size, off, align == 8 ? 8 : 4, why, whylen);
		if (err)
			return err;
	}
	if (found)
		return 0;
	if (shnum && shentsize < SHDR_SIZE)
		return fail(why, whylen, "ELF: section headers of %u bytes, less than %d",
			    shentsize, SHDR_SIZE);
	if (shnum && !table_fits(shoff, shnum, shentsize, len))
		return fail(why, whylen, "ELF: %llu section headers at 0x%llx run past the end of "
			    "the file (%zu bytes)", (unsigned long long)shnum,
			    (unsigned long long)shoff, len);
	for (__u64 i = 0; i < shnum; i++) {
		const unsigned char *h = p + shoff + i * shentsize;
		__u64 off = le64(h + 0x18), size = le64(h + 0x20), align = le64(h + 0x30);

		if (le32(h + 4) != SHT_NOTE_TYPE)
			continue;
		if (off > len || size > len - off)
			return fail(why, whylen, "ELF: SHT_NOTE section at 0x%llx, %llu bytes, runs "
				    "past the end of the file (%zu bytes)", (unsigned long long)off,
				    (unsigned long long)size, len);
		err = add_notes(c, p + off, size, off, align == 8 ? 8 : 4, why, whylen);
		if (err)
			return err;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Decompression                                                           */
/* ---------------------------------------------------------------------- */

/* The output buffer of a decompressor, grown up to lu_catalog_image_max. */
struct outbuf {
	unsigned char *p;
	size_t len, cap;
};

static int out_grow(struct outbuf *o, const char *what, char *why, size_t whylen)
{
	size_t max = lu_catalog_image_max < SIZE_MAX ? lu_catalog_image_max : SIZE_MAX;
	size_t cap = o->cap > max / 2 ? max : o->cap * 2;
	unsigned char *p;

	if (o->cap >= max)
		return fail(why, whylen, "%s payload: decompresses to more than %llu MiB", what,
			    lu_catalog_image_max >> 20);
	p = realloc(o->p, cap);
	if (!p)
		return fail(why, whylen, "%s payload: %s", what, strerror(ENOMEM));
	o->p = p;
	o->cap = cap;
	return 0;
}

/* A first size for @inlen compressed bytes: @hint if plausible, else 4 times the input. */
static int out_init(struct outbuf *o, size_t inlen, __u64 hint, const char *what, char *why,
		    size_t whylen)
{
	__u64 cap = (__u64)inlen * 4;

	if (hint > cap && hint <= (__u64)inlen * DEFLATE_RATIO)
		cap = hint + 1;	/* room to see the end of the stream */
	if (cap < 65536)
		cap = 65536;
	if (cap > lu_catalog_image_max)
		cap = lu_catalog_image_max;
	o->len = 0;
	o->cap = cap;
	o->p = malloc(cap ? cap : 1);
	if (!o->p)
		return fail(why, whylen, "%s payload: %s", what, strerror(ENOMEM));
	return 0;
}

static int gunzip(const unsigned char *in, size_t inlen, struct outbuf *o, char *why,
		  size_t whylen)
{
	z_stream s = {};
	int ret, err;

	if (inlen > UINT_MAX)
		return fail(why, whylen, "gzip payload: larger than 4 GiB");
	/* gzip keeps the size (mod 2^32) in its last 4 bytes: a hint, nothing more. */
	err = out_init(o, inlen, inlen >= 4 ? le32(in + inlen - 4) : 0, "gzip", why, whylen);
	if (err)
		return err;
	if (inflateInit2(&s, 16 + MAX_WBITS) != Z_OK)
		return fail(why, whylen, "gzip payload: zlib: %s", s.msg ? s.msg : "cannot start");
	s.next_in = (unsigned char *)in;
	s.avail_in = inlen;
	for (;;) {
		if (o->len == o->cap) {
			err = out_grow(o, "gzip", why, whylen);
			if (err)
				break;
		}
		s.next_out = o->p + o->len;
		s.avail_out = o->cap - o->len < UINT_MAX ? o->cap - o->len : UINT_MAX;
		ret = inflate(&s, Z_NO_FLUSH);
		o->len = s.next_out - o->p;
		if (ret == Z_STREAM_END)
			break;
		if (ret != Z_OK && ret != Z_BUF_ERROR) {
			err = fail(why, whylen, "gzip payload: corrupt (%s)",
				   s.msg ? s.msg : zError(ret));
			break;
		}
		if (s.avail_out) {
			err = fail(why, whylen, "gzip payload: truncated (ends after %zu bytes of "
				   "output)", o->len);
			break;
		}
	}
	inflateEnd(&s);
	return err;
}

static const char *xz_error(lzma_ret ret)
{
	switch (ret) {
	case LZMA_FORMAT_ERROR:
		return "not the xz format";
	case LZMA_OPTIONS_ERROR:
		return "unsupported options";
	case LZMA_DATA_ERROR:
		return "corrupt data";
	case LZMA_MEM_ERROR:
		return strerror(ENOMEM);
	default:
		return "liblzma error";
	}
}

static int unxz(const unsigned char *in, size_t inlen, struct outbuf *o, char *why,
		size_t whylen)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret ret;
	int err;

	err = out_init(o, inlen, 0, "xz", why, whylen);
	if (err)
		return err;
	/* One stream: the size the kernel's build appends after it is not xz padding. */
	ret = lzma_stream_decoder(&s, XZ_MEMLIMIT, 0);
	if (ret != LZMA_OK)
		return fail(why, whylen, "xz payload: liblzma: %s", xz_error(ret));
	s.next_in = in;
	s.avail_in = inlen;
	for (;;) {
		if (o->len == o->cap) {
			err = out_grow(o, "xz", why, whylen);
			if (err)
				break;
		}
		s.next_out = o->p + o->len;
		s.avail_out = o->cap - o->len;
		ret = lzma_code(&s, LZMA_FINISH);
		o->len = s.next_out - o->p;
		if (ret == LZMA_STREAM_END)
			break;
		if (ret == LZMA_OK)
			continue;
		if (ret == LZMA_BUF_ERROR)
			err = fail(why, whylen, "xz payload: truncated (ends after %zu bytes of "
				   "output)", o->len);
		else if (ret == LZMA_MEMLIMIT_ERROR)
			err = fail(why, whylen, "xz payload: needs more than %llu MiB to decompress",
				   XZ_MEMLIMIT >> 20);
		else
			err = fail(why, whylen, "xz payload: %s", xz_error(ret));
		break;
	}
	lzma_end(&s);
	return err;
}

static int unzstd(const unsigned char *in, size_t inlen, struct outbuf *o, char *why,
		  size_t whylen)
{
	ZSTD_inBuffer ib = { .src = in, .size = inlen };
	ZSTD_DCtx *d;
	size_t ret;
	int err;

	err = out_init(o, inlen, 0, "zstd", why, whylen);
	if (err)
		return err;
	d = ZSTD_createDCtx();
	if (!d)
		return fail(why, whylen, "zstd payload: %s", strerror(ENOMEM));
	ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, ZSTD_WLOG_MAX);
	for (;;) {
		ZSTD_outBuffer ob = { .dst = o->p, .size = o->cap, .pos = o->len };
		size_t in_before = ib.pos, out_before = o->len;

		ret = ZSTD_decompressStream(d, &ob, &ib);
		o->len = ob.pos;
		if (ZSTD_isError(ret)) {
			err = fail(why, whylen, "zstd payload: corrupt (%s)", ZSTD_getErrorName(ret));
			break;
		}
		if (!ret)
			break;	/* the frame is complete; the appended size follows it */
		if (o->len == o->cap) {
			err = out_grow(o, "zstd", why, whylen);
			if (err)
				break;
			continue;
		}
		if (ib.pos == ib.size || (ib.pos == in_before && o->len == out_before)) {
			err = fail(why, whylen, "zstd payload: truncated (ends after %zu bytes of "
				   "output)", o->len);
			break;
		}
	}
	ZSTD_freeDCtx(d);
	return err;
}

/* ---------------------------------------------------------------------- */
/* bzImage                                                                 */
/* ---------------------------------------------------------------------- */

static const struct {
	const char *name;
	const char *magic;
	size_t len;
	int (*decompress)(const unsigned char *in, size_t inlen, struct outbuf *o, char *why,
			  size_t whylen);
} compressions[] = {
	{ "gzip", "\x1f\x8b", 2, gunzip },
	{ "xz", "\xfd" "7zXZ\0", 6, unxz },
	{ "zstd", "\x28\xb5\x2f\xfd", 4, unzstd },
	{ "lz4", "\x02\x21\x4c\x18", 4, NULL },	/* lz4 -l, the kernel's */
	{ "lz4", "\x04\x22\x4d\x18", 4, NULL },
	{ "bzip2", "BZh", 3, NULL },
	{ "lzo", "\x89LZO", 4, NULL },
	{ "lzma", "\x5d\x00\x00", 3, NULL },
	{ "none", "\x7f" "ELF", 4, NULL },
};

#define NR_COMPRESSIONS	(sizeof(compressions) / sizeof(compressions[0]))

/* The release in the setup header's kernel_version string, for display. */
static void bz_release(struct lu_catalog *c, const unsigned char *p, size_t len, size_t setup)
{
	size_t at = le16(p + BZ_KERNEL_VER), n = 0;

	if (!at)
		return;
	at += 0x200;
	while (at + n < setup && at + n < len && n + 1 < sizeof(c->release) &&
	       p[at + n] > 0x20 && p[at + n] < 0x7f)
		n++;
	/* Whole: the string ends there (NUL or the space before "(user@host)"). */
	if (at + n < len && n + 1 < sizeof(c->release) && (p[at + n] == ' ' || !p[at + n])) {
		memcpy(c->release, p + at, n);
		c->release[n] = '\0';
	}
}

static int parse_bzimage(struct lu_catalog *c, const unsigned char *p, size_t len, char *why,
			 size_t whylen)
{
	unsigned int version, sects;
	struct outbuf o = {};
	__u64 setup, poff, plen;
	const unsigned char *q;
	size_t i;
	int err;

	if (len < BZ_HDR_END)
		return fail(why, whylen, "bzImage: %zu bytes, shorter than the boot protocol header",
			    len);
	version = le16(p + BZ_VERSION);
	if (version < BZ_PROTO_PAYLOAD)
		return fail(why, whylen, "bzImage: boot protocol %u.%02u has no payload fields "
			    "(2.08 or later needed)", version >> 8, version & 0xff);
	sects = p[BZ_SETUP_SECTS] ? p[BZ_SETUP_SECTS] : 4;
	setup = (sects + 1) * 512ULL;
	poff = le32(p + BZ_PAYLOAD_OFF);
	plen = le32(p + BZ_PAYLOAD_LEN);
	bz_release(c, p, len, setup);
	if (setup > len)
		return fail(why, whylen, "bzImage: setup of %llu bytes is longer than the file "
			    "(%zu bytes)", (unsigned long long)setup, len);
	if (poff > len - setup || plen > len - setup - poff)
		return fail(why, whylen, "bzImage: payload at 0x%llx, %llu bytes, runs past the end "
			    "of the file (%zu bytes)", (unsigned long long)(setup + poff),
			    (unsigned long long)plen, len);
	if (!plen)
		return fail(why, whylen, "bzImage: empty payload");
	q = p + setup + poff;
	for (i = 0; i < NR_COMPRESSIONS; i++)
		if (plen >= compressions[i].len &&
		    !memcmp(q, compressions[i].magic, compressions[i].len))
			break;
	if (i == NR_COMPRESSIONS)
		return fail(why, whylen, "bzImage: payload of unknown compression (begins %02x %02x "
			    "%02x %02x)", q[0], plen > 1 ? q[1] : 0, plen > 2 ? q[2] : 0,
			    plen > 3 ? q[3] : 0);
	c->compression = compressions[i].name;
	if (!strcmp(c->compression, "none")) {
		err = parse_elf(c, q, plen, why, whylen);
		return err ? prefix(err, why, whylen, "bzImage: uncompressed payload: ") : 0;
	}
	if (!compressions[i].decompress)
		return fail(why, whylen, "bzImage: %s payload: not supported", c->compression);
	err = compressions[i].decompress(q, plen, &o, why, whylen);
	if (err) {
		free(o.p);
		return prefix(err, why, whylen, "bzImage: ");
	}
	if (o.len < 4 || memcmp(o.p, "\x7f" "ELF", 4))
		err = fail(why, whylen, "not an ELF file");
	else
		err = parse_elf(c, o.p, o.len, why, whylen);
	free(o.p);
	return err ? prefix(err, why, whylen, "bzImage: %s payload: ", c->compression) : 0;
}

/**
 * lu_catalog_parse_image - the catalog of an image in memory
 * @buf: a bzImage, an ELF vmlinux or raw notes (told apart by their magic)
 * @len: its size
 * @out: the catalog, sorted by name
 * @why: the reason if it is damaged, one line
 * @whylen: its size
 *
 * An image without "Liveupdate" notes has an empty catalog: it reads no
 * format. That is not an error.
 *
 * Return: 0, or LU_CATALOG_DAMAGED.
 */
int lu_catalog_parse_image(const void *buf, size_t len, struct lu_catalog *out, char *why,
			   size_t whylen)
{
	const unsigned char *p = buf;
	int err;

	memset(out, 0, sizeof(*out));
	if (!len)
		return fail(why, whylen, "empty file");
	if (len >= 4 && !memcmp(p, "\x7f" "ELF", 4)) {
		out->kind = LU_KIND_ELF;
		err = parse_elf(out, p, len, why, whylen);
	} else if (len > BZ_MAGIC + 4 && !memcmp(p + BZ_MAGIC, "HdrS", 4)) {
		out->kind = LU_KIND_BZIMAGE;
		err = parse_bzimage(out, p, len, why, whylen);
	} else {
		/* Raw notes, if the first one at least fits. */
		if (len < NOTE_HDR ||
		    align_up(NOTE_HDR + (__u64)le32(p), 4) + le32(p + 4) > len)
			return fail(why, whylen, "not a bzImage, an ELF file or a notes file");
		out->kind = LU_KIND_NOTES;
		err = add_notes(out, p, len, 0, 4, why, whylen);
	}
	if (!err)
		sort_catalog(out);
	return err;
}

/* ---------------------------------------------------------------------- */
/* Files                                                                   */
/* ---------------------------------------------------------------------- */

struct blob {
	unsigned char *p;
	size_t len;
	bool mapped;
};

static void blob_close(struct blob *b)
{
	if (b->mapped)
		munmap(b->p, b->len);
	else
		free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Map (or, for sysfs and pipes, read) all of @path. */
static int blob_open(const char *path, struct blob *b, char *why, size_t whylen)
{
	size_t cap = 65536;
	struct stat st;
	unsigned char *tmp;
	ssize_t n;
	int fd;

	memset(b, 0, sizeof(*b));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		snprintf(why, whylen, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return LU_CATALOG_NOINPUT;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		snprintf(why, whylen, "%s", strerror(EISDIR));
		return LU_CATALOG_NOINPUT;
	}
	if (S_ISREG(st.st_mode) && st.st_size > 0 && (unsigned long long)st.st_size < SIZE_MAX) {
		void *m = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);

		if (m != MAP_FAILED) {
			close(fd);
			b->p = m;
			b->len = st.st_size;
			b->mapped = true;
			return 0;
		}
	}
	b->p = malloc(cap);
	if (!b->p)
		goto err_nomem;
	for (;;) {
		if (b->len == cap) {
			if (cap >= lu_catalog_image_max) {
				blob_close(b);
				close(fd);
				return fail(why, whylen, "larger than %llu MiB",
					    lu_catalog_image_max >> 20);
			}
			cap *= 2;
			tmp = realloc(b->p, cap);
			if (!tmp)
				goto err_nomem;
			b->p = tmp;
		}
		n = read(fd, b->p + b->len, cap - b->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, whylen, "%s", strerror(errno));
			blob_close(b);
			close(fd);
			return LU_CATALOG_NOINPUT;
		}
		if (!n)
			break;
		b->len += n;
	}
	close(fd);
	return 0;
err_nomem:
	blob_close(b);
	close(fd);
	snprintf(why, whylen, "%s", strerror(ENOMEM));
	return LU_CATALOG_NOINPUT;
}

/* A small sysfs file, its trailing newline cut: 0, or -errno. */
static int read_small(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

/* formats/NAME/write and live of the running kernel, when it has them. */
static int load_switches(struct lu_format *f, const char *sysfs, char *why, size_t whylen)
{
	char path[4096], buf[SWITCH_MAX], s[4 * SWITCH_MAX], v[3 * LU_VERSION_MAX];
	char *end;
	unsigned long n;
	int err;

	snprintf(path, sizeof(path), "%s/kernel/liveupdate/formats/%s/write", sysfs, f->name);
	err = read_small(path, buf, sizeof(buf));
	if (err && err != -ENOENT) {
		snprintf(why, whylen, "%s: %s", path, strerror(-err));
		return LU_CATALOG_NOINPUT;
	}
	if (!err) {
		errno = 0;
		n = strtoul(buf, &end, 10);
		if (!strcmp(buf, "auto"))
			f->write_switch = LU_WRITE_AUTO;
		else if (!strcmp(buf, "off"))
			f->write_switch = LU_WRITE_OFF;
		else if (buf[0] >= '1' && buf[0] <= '9' && !*end && !errno &&
			 n <= LU_VERSION_MAX && (f->write & (1ULL << n)))
			f->write_switch = n;
		else
			return fail(why, whylen, "%s: \"%s\": expected auto, off or a version it "
				    "writes (%s)", path,
				    show((const unsigned char *)buf, strlen(buf), s, sizeof(s)),
				    lu_versions(v, sizeof(v), f->write, "none"));
	}
	snprintf(path, sizeof(path), "%s/kernel/liveupdate/formats/%s/live", sysfs, f->name);
	err = read_small(path, buf, sizeof(buf));
	if (err && err != -ENOENT) {
		snprintf(why, whylen, "%s: %s", path, strerror(-err));
		return LU_CATALOG_NOINPUT;
	}
	if (!err) {
		if (strcmp(buf, "0") && strcmp(buf, "1"))
			return fail(why, whylen, "%s: \"%s\": expected 0 or 1", path,
				    show((const unsigned char *)buf, strlen(buf), s, sizeof(s)));
		f->live = buf[0] == '1';
	}
	return 0;
}

static int load_running(const char *sysfs, struct lu_catalog *out, char *why, size_t whylen)
{
	char path[4096];
	struct utsname u;
	struct blob b;
	int err;

	memset(out, 0, sizeof(*out));
	out->kind = LU_KIND_RUNNING;
	/* uname describes this machine, not a copy of another one's /sys. */
	if (!strcmp(sysfs, LU_CATALOG_SYSFS) && !uname(&u))
		snprintf(out->release, sizeof(out->release), "%s", u.release);
	snprintf(path, sizeof(path), "%s/kernel/notes", sysfs);
	err = blob_open(path, &b, why, whylen);
	if (err)
		return prefix(err, why, whylen, "%s: ", path);
	err = add_notes(out, b.p, b.len, 0, 4, why, whylen);
	blob_close(&b);
	if (err)
		return prefix(err, why, whylen, "%s: ", path);
	sort_catalog(out);
	for (size_t i = 0; i < out->nr; i++) {
		err = load_switches(&out->formats[i], sysfs, why, whylen);
		if (err)
			return err;
	}
	return 0;
}

/**
 * lu_catalog_load - the catalog of an image file or of the running kernel
 * @path: a bzImage, a vmlinux, a raw notes file, or "running" (or NULL)
 * @sysfs: for "running": where sysfs is (NULL: /sys)
 * @out: the catalog, sorted by name
 * @why: the reason it could not be read, one line
 * @whylen: its size
 *
 * "running" reads /sys/kernel/notes and, for each format, the switches in
 * /sys/kernel/liveupdate/formats/NAME/ (write and live) when they exist.
 *
 * Return: 0; LU_CATALOG_NOINPUT if a file cannot be opened or read (@why:
 * strerror, and the path for "running"); LU_CATALOG_DAMAGED if it is not
 * an image or is damaged.
 */
int lu_catalog_load(const char *path, const char *sysfs, struct lu_catalog *out, char *why,
		    size_t whylen)
{
	struct blob b;
	int err;

	if (!path || !strcmp(path, LU_CATALOG_RUNNING))
		return load_running(sysfs ? sysfs : LU_CATALOG_SYSFS, out, why, whylen);
	err = blob_open(path, &b, why, whylen);
	if (err)
		return err;
	err = lu_catalog_parse_image(b.p, b.len, out, why, whylen);
	blob_close(&b);
	return err;
}

/* The format @name of @c, or NULL. */
const struct lu_format *lu_catalog_find(const struct lu_catalog *c, const char *name)
{
	for (size_t i = 0; i < c->nr; i++)
		if (!strcmp(c->formats[i].name, name))
			return &c->formats[i];
	return NULL;
}

/**
 * lu_catalog_pick - the version a kernel writes a format at for the next one
 * @from: the format in the kernel that writes (NULL: it has none)
 * @to: the format in the next kernel (NULL: it reads none)
 *
 * As the kernel chooses once it knows what the next kernel reads: "auto",
 * the newest version both know; a forced version if the next one reads it;
 * "off", none.
 *
 * Return: the version, 0 for none.
 */
unsigned int lu_catalog_pick(const struct lu_format *from, const struct lu_format *to)
{
	__u64 set;

	if (!from || !to || from->write_switch == LU_WRITE_OFF)
		return 0;
	set = from->write & to->read;
	if (from->write_switch > 0)
		set &= 1ULL << from->write_switch;
	return set ? 63 - __builtin_clzll(set) : 0;
}
