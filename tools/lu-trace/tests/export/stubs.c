// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * export_test: stand-ins for what export.c uses from bpf.c and blackout.c,
 * serving the made-up data of lu_test. What it uses from util.c (the name
 * tables, lu_errno_name(), the signals) is linked as it is.
 *
 * Environment:
 *   LU_EXPORT_TEST_BPF_FAIL=MSG   lu_bpf_start() fails with "lu-trace CMD: MSG"
 *   LU_EXPORT_TEST_SNAP_FAIL=1    lu_snapshot_read() fails with -EIO
 *   LU_EXPORT_TEST_TICK=1         every read adds the read count to the drops
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lu-trace.h"
#include "test.h"

struct lu_export_test lu_test;

struct lu_trace_bpf {
	int unused;
};

static struct lu_trace_bpf fake_skel;

struct lu_trace_bpf *lu_bpf_start(const char *cmd, const struct lu_bpf_opts *o)
{
	const char *why = getenv("LU_EXPORT_TEST_BPF_FAIL");

	if (why) {
		fprintf(stderr, "lu-trace %s: %s\n", cmd, why);
		return NULL;
	}
	return &fake_skel;
}

void lu_bpf_stop(struct lu_trace_bpf *skel)
{
}

void lu_snapshot_free(struct lu_snapshot *snap)
{
	free(snap->sessions);
	free(snap->errs);
	free(snap->err_counts);
	memset(snap, 0, sizeof(*snap));
}

int lu_snapshot_read(struct lu_trace_bpf *skel, struct lu_snapshot *snap)
{
	const struct lu_snapshot *src = &lu_test.snap;

	memset(snap, 0, sizeof(*snap));
	if (skel != &fake_skel)
		return -EBADF;
	if (getenv("LU_EXPORT_TEST_SNAP_FAIL"))
		return -EIO;
	snap->sessions = calloc(src->nr_sessions + 1, sizeof(*snap->sessions));
	snap->errs = calloc(src->nr_errs + 1, sizeof(*snap->errs));
	snap->err_counts = calloc(src->nr_errs + 1, sizeof(*snap->err_counts));
	if (!snap->sessions || !snap->errs || !snap->err_counts) {
		lu_snapshot_free(snap);
		return -ENOMEM;
	}
	if (src->nr_sessions)
		memcpy(snap->sessions, src->sessions, src->nr_sessions * sizeof(*src->sessions));
	if (src->nr_errs) {
		memcpy(snap->errs, src->errs, src->nr_errs * sizeof(*src->errs));
		memcpy(snap->err_counts, src->err_counts, src->nr_errs * sizeof(*src->err_counts));
	}
	snap->nr_sessions = src->nr_sessions;
	snap->nr_errs = src->nr_errs;
	snap->global = src->global;
	snap->blackout = src->blackout;
	lu_test.reads++;
	if (getenv("LU_EXPORT_TEST_TICK"))
		snap->global.drops += lu_test.reads;
	return 0;
}

int lu_blackout_read(struct lu_blackout *b, char *text, size_t len)
{
	*b = lu_test.blackout;
	if (text && len)
		text[0] = '\0';
	return lu_test.blackout_err;
}
