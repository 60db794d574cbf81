/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * The input of every fuzz target (input.c), plain C so that the lu-trace
 * targets use it too.
 *
 * An input is a stream of records in the format of the guest's debugfs
 * liveupdate/handover dump (kernel/liveupdate/luo_damage.c): a header
 * (struct fz_rec_hdr, "LUDM") and @len bytes. A region (kind 0) is a
 * descriptor's bytes; a chain (1) or a list of pages (2) is a run of
 * [physical address (u64)][4096 bytes], placed in the fake physical memory
 * at that address. Seeds are real dumps split per target, so a crash input
 * reads like what a kernel would have received. The lu-trace targets use
 * regions named after the files they stand for. One more record,
 * "fuzz-ctl" (struct fz_ctl), steers the harness.
 */
#ifndef _FZ_INPUT_H
#define _FZ_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One record of a dump (luo_damage.c's struct luo_dump_hdr). */
struct fz_rec_hdr {
	char magic[4];
	uint32_t kind;
	char format[24];
	uint64_t len;
} __attribute__((packed));

#define FZ_REGION	0
#define FZ_CHAIN	1
#define FZ_PAGES	2
#define FZ_PAGE_SIZE	4096
#define FZ_PAGE_REC	(8 + FZ_PAGE_SIZE)	/* [phys][page] */

struct fz_rec {
	uint32_t kind;
	char format[25];
	const uint8_t *data;
	size_t len;
};

/*
 * "fuzz-ctl": by default the harness recomputes every hash (and nothing
 * else) the way a writer would, so that mutations reach the checks behind
 * the hashes; FZ_RAW leaves the input exactly as it is.
 */
#define FZ_RAW		(1ULL << 0)	/* keep the hashes as they are */
#define FZ_FIX_COUNT	(1ULL << 1)	/* also make a set's count what its chain holds */

struct fz_ctl {
	uint64_t flags;
	uint64_t value;	/* per target: entry size, entry stamp */
} __attribute__((packed));

#define FZ_MAX_RECS	256

struct fz_input {
	struct fz_rec rec[FZ_MAX_RECS];
	unsigned int nr;
	struct fz_ctl ctl;
	bool has_ctl;
};

void fz_input_parse(struct fz_input *in, const uint8_t *data, size_t size);
const struct fz_rec *fz_next(const struct fz_input *in, const char *format,
			     const struct fz_rec *prev);
void *fz_dup(const struct fz_rec *r, size_t at_least);
void fz_init_quiet(void);
extern bool fz_verbose;
extern FILE *fz_err;	/* stderr, before lu-trace's output went to /dev/null */
/* What the target concluded, with FUZZ_VERBOSE=1. */
#define fz_note(fmt, ...) do { if (fz_verbose) fprintf(fz_err, "fuzz: " fmt "\n", ##__VA_ARGS__); } while (0)

void fz_bug(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif /* _FZ_INPUT_H */
