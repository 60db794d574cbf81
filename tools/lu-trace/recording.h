/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * Recordings read back (recording.c), for report.c and timeline.c.
 */
#ifndef __LU_TRACE_RECORDING_H
#define __LU_TRACE_RECORDING_H

#include <argp.h>
#include <stdbool.h>
#include <stddef.h>

#include "lu-trace.h"
#include "record.h"

struct segment {
	const char *file;
	struct lu_rec_hdr hdr;
	struct lu_event *events;
	size_t nr_events;
	struct lu_session *sessions;
	size_t nr_sessions;
	struct lu_rec_error *errs;
	size_t nr_errs;
	struct lu_rec_global global;
	bool has_global;
	struct lu_rec_end end;
	bool has_end;
	struct lu_blackout blackout;	/* at the end, or at the start */
	__s64 offset_ns;		/* to the reference clock (timeline) */
};

struct recordings {
	struct segment *seg;
	size_t nr;
};

/* report and timeline: options, then the recordings. */
struct files_args {
	char **files;
	int nr_files;
	const char *output;
	bool need_output, json, hists;
};

int read_all(const char *cmd, int nr, char **files, struct recordings *rs);
void recordings_free(struct recordings *rs);
int rec_push(void **arr, size_t *nr, size_t size, const void *item);
error_t files_parse(int key, char *arg, struct argp_state *state);

#endif /* __LU_TRACE_RECORDING_H */
