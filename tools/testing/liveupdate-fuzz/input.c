// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * The input of the fuzz targets (fz_input.h) and the harness's reports.
 */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fz_input.h"

bool fz_verbose;
FILE *fz_err;

/* A property the target checks does not hold: a crash, for libFuzzer. */
void fz_bug(const char *fmt, ...)
{
	FILE *f = fz_err ?: stderr;
	va_list ap;

	fputs("FUZZ BUG: ", f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fflush(f);
	abort();
}

/**
 * fz_input_parse - split an input into records
 * @in: the result
 * @data: the input
 * @size: its size
 *
 * Parsing stops at the first record that is not one (bad magic, or longer
 * than what is left); "fuzz-ctl" sets @in->ctl.
 */
void fz_input_parse(struct fz_input *in, const uint8_t *data, size_t size)
{
	size_t off = 0;

	in->nr = 0;
	in->has_ctl = false;
	memset(&in->ctl, 0, sizeof(in->ctl));
	while (in->nr < FZ_MAX_RECS && size - off >= sizeof(struct fz_rec_hdr)) {
		struct fz_rec_hdr h;
		struct fz_rec *r;

		memcpy(&h, data + off, sizeof(h));
		off += sizeof(h);
		if (memcmp(h.magic, "LUDM", 4) || h.len > size - off)
			break;
		if (!strncmp(h.format, "fuzz-ctl", sizeof(h.format))) {
			memcpy(&in->ctl, data + off, h.len < sizeof(in->ctl) ? h.len : sizeof(in->ctl));
			in->has_ctl = true;
		} else {
			r = &in->rec[in->nr++];
			r->kind = h.kind;
			memcpy(r->format, h.format, sizeof(h.format));
			r->format[sizeof(h.format)] = '\0';
			r->data = data + off;
			r->len = h.len;
		}
		off += h.len;
	}
}

/* The next record of @format after @prev (NULL: the first). */
const struct fz_rec *fz_next(const struct fz_input *in, const char *format,
			     const struct fz_rec *prev)
{
	for (unsigned int i = prev ? prev - in->rec + 1 : 0; i < in->nr; i++)
		if (!strcmp(in->rec[i].format, format))
			return &in->rec[i];
	return NULL;
}

/*
 * A record's bytes in a buffer of their own, exactly as long (or
 * @at_least, zero-filled), so that reading past them is caught.
 */
void *fz_dup(const struct fz_rec *r, size_t at_least)
{
	size_t n = r->len > at_least ? r->len : at_least;
	uint8_t *p = malloc(n ? n : 1);

	if (!p)
		fz_bug("out of memory");
	memcpy(p, r->data, r->len);
	memset(p + r->len, 0, n - r->len);
	return p;
}

/* Send the targets' own output (lu-trace's messages) to /dev/null, unless FUZZ_VERBOSE=1. */
void fz_init_quiet(void)
{
	const char *v = getenv("FUZZ_VERBOSE");

	fz_verbose = v && *v == '1';
	fz_err = stderr;
	if (!fz_verbose) {
		FILE *null = fopen("/dev/null", "w");

		if (null) {
			stdout = null;
			stderr = null;
		}
	}
}

