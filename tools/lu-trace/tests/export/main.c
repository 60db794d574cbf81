// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * export_test: made-up kernels for export.c.
 *
 *   export-test render SCENARIO om|text MAX_SESSIONS
 *	lu_export_render() of the scenario, with fixed clocks, KHO numbers
 *	and release, on stdout
 *   export-test run SCENARIO [lu-trace export options]
 *	cmd_export() itself, the stand-ins of stubs.c serving the scenario
 *   export-test kho DIR
 *	lu_kho_out_read(DIR): "preserved=HAS:BYTES scratch=HAS:BYTES rc=RC"
 *
 * Scenarios: full, hist, sessions20, cold, restoring, dropped, noblackout,
 * badblackout. check.py knows what each one must give.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lu-trace.h"
#include "export.h"
#include "test.h"

#define MAX_SESSIONS	64
#define MAX_ERRS	16

/* The clocks of "render": CLOCK_REALTIME and CLOCK_MONOTONIC, same instant. */
#define RENDER_REALTIME_NS	1700000000123456789LL
#define RENDER_MONOTONIC_NS	5000000000LL

static struct lu_session sessions[MAX_SESSIONS];
static struct lu_err_key errs[MAX_ERRS];
static __u64 err_counts[MAX_ERRS];

/* The phases of the complete update (ns); check.py has the same numbers. */
static const long long phases[LU_NR_PHASES] = {
	12345678, 23456789, 345678901, 4567890, 56789012, 678901234, 78901234, 890123456,
};

/* The slot of @ns, as the BPF side computes it (bpf/lu_trace.bpf.c). */
static unsigned int log2_slot(__u64 ns)
{
	unsigned int slot;

	if (ns <= 1)
		return 0;
	slot = 64 - __builtin_clzll(ns - 1);
	return slot < LU_MAX_SLOTS ? slot : LU_MAX_SLOTS - 1;
}

static void hist_add(struct lu_hist *h, __u64 ns)
{
	h->slots[log2_slot(ns)]++;
	h->count++;
	h->sum_ns += ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

static struct lu_session *add_session(const char *name, __u64 id, __u32 flags)
{
	struct lu_snapshot *snap = &lu_test.snap;
	struct lu_session *s;

	if (snap->nr_sessions == MAX_SESSIONS) {
		fprintf(stderr, "export-test: too many sessions\n");
		exit(2);
	}
	s = &snap->sessions[snap->nr_sessions++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->id = id;
	s->flags = flags;
	return s;
}

static void add_err(unsigned int step, int err, __u64 count)
{
	struct lu_snapshot *snap = &lu_test.snap;

	errs[snap->nr_errs] = (struct lu_err_key){ .step = step, .err = err };
	err_counts[snap->nr_errs++] = count;
}

static void blackout_init(const char *state, int updates, int failed)
{
	struct lu_blackout *b = &lu_test.blackout;

	memset(b, 0, sizeof(*b));
	b->present = true;
	snprintf(b->state, sizeof(b->state), "%s", state);
	b->updates = updates;
	b->failed = failed;
	b->total_ns = b->clock_khz = -1;
	for (int i = 0; i < LU_NR_STAMPS; i++)
		b->stamp[i] = -1;
	for (int i = 0; i < LU_NR_PHASES; i++)
		b->phase[i] = -1;
}

/* An update that went through: stamps up to @nr_stamps, the phases between. */
static void blackout_update(const char *state, int nr_stamps)
{
	struct lu_blackout *b = &lu_test.blackout;

	blackout_init(state, 3, 1);
	snprintf(b->from, sizeof(b->from), "6.12.57");
	b->clock_khz = 2400000;
	b->sessions = 2;
	b->files = 5;
	b->prev_mono_ns = 81234567000LL;
	b->mono_ns = -3456789;
	b->stamp[0] = 0;
	for (int i = 1; i < nr_stamps; i++) {
		b->stamp[i] = b->stamp[i - 1] + phases[i - 1];
		b->phase[i - 1] = phases[i - 1];
	}
	if (nr_stamps == LU_NR_STAMPS)
		b->total_ns = b->stamp[LU_NR_STAMPS - 1];
}

/* Durations (ns) of the "hist" scenario; check.py has the same list. */
static void hist_scenario(void)
{
	static const int powers[] = { 5, 10, 20, 30, 38 };
	struct lu_session *a = add_session("h1", 0x4801, LU_S_CREATED);
	struct lu_session *b = add_session("h2", 0x4802, LU_S_CREATED);
	__u64 d[64];
	size_t n = 0;

	for (__u64 v = 1; v <= 4; v++)
		d[n++] = v;
	for (size_t i = 0; i < sizeof(powers) / sizeof(powers[0]); i++) {
		d[n++] = (1ULL << powers[i]) - 1;
		d[n++] = 1ULL << powers[i];
		d[n++] = (1ULL << powers[i]) + 1;
	}
	d[n++] = 1ULL << 39;
	d[n++] = (1ULL << 39) + 1;
	d[n++] = 1ULL << 45;
	/* Spread over two sessions: the histogram is over all of them. */
	for (size_t i = 0; i < n; i++)
		hist_add(&(i % 2 ? b : a)->hist[LU_OP_PRESERVE], d[i]);
	hist_add(&a->hist[LU_OP_FREEZE], 1);
	hist_add(&b->hist[LU_OP_FINISH], 1ULL << 40);
	a->files[LU_OP_PRESERVE] = b->files[LU_OP_PRESERVE] = n / 2;
}

/*
 * 20 outgoing sessions, session i with (i + 1) * 1000003 bytes, (i + 1) * 7
 * pages and i + 1 files; id 0x5e55000000000000 + i. Session 10 has no name,
 * 11 one that is not UTF-8, 18 and 19 ones to escape. One more closed
 * outgoing session, and three incoming ones.
 */
static void sessions20_scenario(void)
{
	char name[LU_NAME_LEN];

	for (int i = 0; i < 20; i++) {
		struct lu_session *s;

		if (i == 10)
			snprintf(name, sizeof(name), "%s", "");
		else if (i == 11)
			snprintf(name, sizeof(name), "%s", "\xff\xfe");
		else if (i == 18)
			snprintf(name, sizeof(name), "%s", "nl\nx");
		else if (i == 19)
			snprintf(name, sizeof(name), "%s", "a\"b\\c");
		else
			snprintf(name, sizeof(name), "s%02d", i);
		s = add_session(name, 0x5e55000000000000ULL + i, LU_S_CREATED);
		s->preserved_bytes = (i + 1) * 1000003ULL;
		s->preserved_pages = (i + 1) * 7ULL;
		s->files[LU_OP_PRESERVE] = i + 2;
		s->unpreserved = 1;
	}
	add_session("closed", 0xc1, LU_S_CREATED | LU_S_RELEASED)->preserved_bytes = 1 << 30;
	for (int i = 0; i < 3; i++) {
		struct lu_session *s;

		snprintf(name, sizeof(name), "in%d", i);
		s = add_session(name, 0x1000 + i, LU_S_RETRIEVED);
		s->restored_bytes = (i + 1) * 4096ULL;
		s->restored_pages = i + 1;
		s->files[LU_OP_RETRIEVE] = 1;
	}
	blackout_update("restoring", 8);
}

static void full_scenario(void)
{
	struct lu_session *s;

	blackout_update("complete", LU_NR_STAMPS);
	/* Incoming: one finished, one still restoring; one retrieved before export. */
	s = add_session("db", 0xdb, LU_S_RETRIEVED | LU_S_FINISHED | LU_S_RELEASED);
	s->files[LU_OP_RETRIEVE] = s->files[LU_OP_FINISH] = 3;
	s->restored_bytes = 1ULL << 30;
	s->restored_pages = 262144;
	hist_add(&s->hist[LU_OP_RETRIEVE], 1500);
	hist_add(&s->hist[LU_OP_RETRIEVE], 2500);
	hist_add(&s->hist[LU_OP_RETRIEVE], 900000);
	hist_add(&s->hist[LU_OP_FINISH], 300);
	s = add_session("cache", 0xcace, LU_S_RETRIEVED);
	s->files[LU_OP_RETRIEVE] = 1;
	s->restored_bytes = 1 << 20;
	s->restored_pages = 256;
	hist_add(&s->hist[LU_OP_RETRIEVE], 70000);
	s = add_session("", 0xe4, 0);
	s->files[LU_OP_RETRIEVE] = 2;
	s->restored_bytes = 8192;
	s->restored_pages = 2;
	/* Outgoing: one preserving for the next update, one closed, one "_other". */
	s = add_session("next", 0x4e, LU_S_CREATED);
	s->files[LU_OP_PRESERVE] = 2;
	s->preserved_bytes = 40960;
	s->preserved_pages = 10;
	hist_add(&s->hist[LU_OP_PRESERVE], 123456);
	hist_add(&s->hist[LU_OP_PRESERVE], 4096);
	hist_add(&s->hist[LU_OP_FREEZE], 64);
	s = add_session("gone", 0x90, LU_S_CREATED | LU_S_RELEASED);
	s->files[LU_OP_PRESERVE] = 1;
	s->unpreserved = 1;
	s->preserved_bytes = 4096;
	s = add_session("_other", 0x07, LU_S_CREATED);
	s->preserved_bytes = 100;
	s->preserved_pages = 1;
	s->files[LU_OP_PRESERVE] = 1;

	add_err(LU_STEP_PRESERVE, -EBUSY, 1);
	add_err(LU_STEP_PRESERVE, EBUSY, 1);	/* the same, once named */
	add_err(LU_STEP_PRESERVE, 0, 5);	/* not an error */
	add_err(LU_STEP_RETRIEVE, -ENOMEM, 1);
	add_err(LU_STEP_SESSION_CREATE, -999, 1);
	add_err(LU_STEP_NR + 3, -EINVAL, 1);
	add_err(LU_STEP_FINISH, -EIO, 0);	/* no count, no series */
	lu_test.snap.global.drops = 7;
}

static int scenario(const char *name)
{
	memset(&lu_test, 0, sizeof(lu_test));
	lu_test.snap.sessions = sessions;
	lu_test.snap.errs = errs;
	lu_test.snap.err_counts = err_counts;
	if (!strcmp(name, "full")) {
		full_scenario();
	} else if (!strcmp(name, "hist")) {
		blackout_init("none", 0, 0);
		hist_scenario();
	} else if (!strcmp(name, "sessions20")) {
		sessions20_scenario();
	} else if (!strcmp(name, "cold")) {
		blackout_init("none", 0, 2);
	} else if (!strcmp(name, "restoring")) {
		blackout_update("restoring", 8);
		add_session("db", 0xdb, LU_S_RETRIEVED)->files[LU_OP_RETRIEVE] = 1;
	} else if (!strcmp(name, "freezecarry")) {
		/* The previous kernel's freeze histogram, nothing frozen here. */
		blackout_update("complete", LU_NR_STAMPS);
		hist_add(&lu_test.blackout.freeze, 100);
		hist_add(&lu_test.blackout.freeze, 5000);
		hist_add(&lu_test.blackout.freeze, 70000);
	} else if (!strcmp(name, "dropped")) {
		blackout_update("dropped", 7);
	} else if (!strcmp(name, "noblackout")) {
		memset(&lu_test.blackout, 0, sizeof(lu_test.blackout));
	} else if (!strcmp(name, "badblackout")) {
		memset(&lu_test.blackout, 0, sizeof(lu_test.blackout));
		lu_test.blackout_err = -EINVAL;
	} else {
		fprintf(stderr, "export-test: unknown scenario '%s'\n", name);
		return -1;
	}
	return 0;
}

static const struct lu_export_format test_formats[] = {
	{ .name = "kho", .version = 2, .incoming = 2 },
	{ .name = "luo-blackout", .version = 0, .incoming = 0 },
	{ .name = "memfd", .version = 4, .incoming = 3 },
};

static int do_render(const char *name, const char *format, const char *max)
{
	struct lu_export_input in = {
		.formats = test_formats,
		.nr_formats = sizeof(test_formats) / sizeof(test_formats[0]),
		.snap = &lu_test.snap,
		.blackout = &lu_test.blackout,
		.kho = {
			.has_preserved = true, .preserved_bytes = 6332416,
			.has_scratch = true, .scratch_bytes = 0x8000000 + 0x4000000,
		},
		.release = "6.12.58-lu",
		.max_sessions = atoi(max),
		.realtime_ns = RENDER_REALTIME_NS,
		.monotonic_ns = RENDER_MONOTONIC_NS,
	};
	int err;

	if (scenario(name))
		return 2;
	if (lu_test.blackout_err)
		in.blackout = NULL;
	err = lu_export_render(stdout, &in, !strcmp(format, "om"));
	if (err) {
		fprintf(stderr, "export-test: render: %s\n", strerror(-err));
		return 1;
	}
	return fflush(stdout) ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "render"))
		return do_render(argv[2], argv[3], argv[4]);
	if (argc >= 3 && !strcmp(argv[1], "run")) {
		char name[] = "lu-trace export";

		if (scenario(argv[2]))
			return 2;
		argv[2] = name;
		return cmd_export(argc - 2, argv + 2);
	}
	if (argc == 3 && !strcmp(argv[1], "kho")) {
		struct lu_kho_out k;
		int rc = lu_kho_out_read(argv[2], &k);

		printf("preserved=%d:%llu scratch=%d:%llu rc=%d\n", k.has_preserved,
		       (unsigned long long)k.preserved_bytes, k.has_scratch,
		       (unsigned long long)k.scratch_bytes, rc);
		return 0;
	}
	fprintf(stderr, "usage: export-test render SCENARIO om|text MAX\n"
		"       export-test run SCENARIO [ARGS]\n       export-test kho DIR\n");
	return 2;
}
