// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * Reading lu-trace recordings (record.h) for report and timeline: every
 * segment of every file, checked before it is used, sorted by time; and
 * the options both commands share.
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lu-trace.h"
#include "record.h"
#include "recording.h"

/* Append @item to the array *@arr of *@nr items of @size bytes. */
int rec_push(void **arr, size_t *nr, size_t size, const void *item)
{
	void *n = realloc(*arr, (*nr + 1) * size);

	if (!n)
		return -ENOMEM;
	memcpy((char *)n + *nr * size, item, size);
	*arr = n;
	(*nr)++;
	return 0;
}

void recordings_free(struct recordings *rs)
{
	for (size_t i = 0; i < rs->nr; i++) {
		free(rs->seg[i].events);
		free(rs->seg[i].sessions);
		free(rs->seg[i].errs);
	}
	free(rs->seg);
	rs->seg = NULL;
	rs->nr = 0;
}

static int read_fail(const char *cmd, const char *file, const char *why)
{
	fprintf(stderr, "lu-trace %s: %s: %s\n", cmd, file, why);
	return -EINVAL;
}

/* Append every segment of @file to @rs. */
static int read_recording(const char *cmd, const char *file, struct recordings *rs)
{
	struct segment *s = NULL;
	struct lu_rec_chunk c;
	char buf[sizeof(struct lu_rec_hdr)];
	int err = 0;
	FILE *f;

	f = fopen(file, "re");
	if (!f) {
		fprintf(stderr, "lu-trace %s: %s: %s\n", cmd, file, strerror(errno));
		return -errno;
	}
	for (;;) {
		size_t n = fread(buf, 1, 8, f);

		if (!n)
			break;
		if (n == 8 && !memcmp(buf, LU_REC_MAGIC, 8)) {
			struct segment seg = { .file = file };

			if (fread(buf + 8, sizeof(seg.hdr) - 8, 1, f) != 1) {
				err = read_fail(cmd, file, "truncated segment header");
				break;
			}
			memcpy(&seg.hdr, buf, sizeof(seg.hdr));
			if (seg.hdr.version != LU_REC_VERSION || seg.hdr.hdr_size != sizeof(seg.hdr) ||
			    seg.hdr.event_size != sizeof(struct lu_event) ||
			    seg.hdr.session_size != sizeof(struct lu_session)) {
				err = read_fail(cmd, file, "recording format version not supported");
				break;
			}
			seg.hdr.boot_id[sizeof(seg.hdr.boot_id) - 1] = '\0';
			seg.hdr.release[sizeof(seg.hdr.release) - 1] = '\0';
			seg.hdr.blackout[sizeof(seg.hdr.blackout) - 1] = '\0';
			err = rec_push((void **)&rs->seg, &rs->nr, sizeof(seg), &seg);
			if (err)
				break;
			s = &rs->seg[rs->nr - 1];
			continue;
		}
		if (!s) {
			err = read_fail(cmd, file, "not a lu-trace recording");
			break;
		}
		if (n < sizeof(c)) {
			err = read_fail(cmd, file, "truncated record");
			break;
		}
		memcpy(&c, buf, sizeof(c));
		if (c.len > sizeof(struct lu_rec_end) || fread(buf, c.len, 1, f) != 1) {
			err = read_fail(cmd, file, "truncated or corrupt record");
			break;
		}
#define EXPECT(type) do { if (c.len != sizeof(type)) {					\
			err = read_fail(cmd, file, "record of the wrong size"); goto out; } } while (0)
		switch (c.type) {
		case LU_REC_EVENT:
			EXPECT(struct lu_event);
			err = rec_push((void **)&s->events, &s->nr_events, c.len, buf);
			break;
		case LU_REC_SESSION:
			EXPECT(struct lu_session);
			((struct lu_session *)buf)->name[LU_NAME_LEN - 1] = '\0';
			err = rec_push((void **)&s->sessions, &s->nr_sessions, c.len, buf);
			break;
		case LU_REC_ERROR:
			EXPECT(struct lu_rec_error);
			err = rec_push((void **)&s->errs, &s->nr_errs, c.len, buf);
			break;
		case LU_REC_GLOBAL:
			EXPECT(struct lu_rec_global);
			memcpy(&s->global, buf, c.len);
			s->has_global = true;
			break;
		case LU_REC_END:
			EXPECT(struct lu_rec_end);
			memcpy(&s->end, buf, c.len);
			s->end.blackout[LU_REC_BLACKOUT_LEN - 1] = '\0';
			s->has_end = true;
			break;
		default:
			err = read_fail(cmd, file, "unknown record type");
			break;
		}
#undef EXPECT
		if (err)
			break;
	}
out:
	fclose(f);
	for (size_t i = 0; i < rs->nr; i++) {
		struct segment *g = &rs->seg[i];
		const char *text = g->has_end && g->end.blackout[0] ? g->end.blackout :
				   g->hdr.blackout;

		if (!text[0] || lu_blackout_parse(text, &g->blackout))
			memset(&g->blackout, 0, sizeof(g->blackout));
		for (size_t j = 0; j < g->nr_events; j++)
			g->events[j].name[LU_NAME_LEN - 1] = '\0';
	}
	return err;
}

/* Boot order: by the update count of the boot, then by start time. */
static int cmp_segment(const void *a, const void *b)
{
	const struct segment *x = a, *y = b;

	if (x->blackout.updates != y->blackout.updates)
		return x->blackout.updates < y->blackout.updates ? -1 : 1;
	return x->hdr.start_mono_ns < y->hdr.start_mono_ns ? -1 :
	       x->hdr.start_mono_ns > y->hdr.start_mono_ns;
}

int read_all(const char *cmd, int nr, char **files, struct recordings *rs)
{
	for (int i = 0; i < nr; i++) {
		int err = read_recording(cmd, files[i], rs);

		if (err) {
			recordings_free(rs);
			return err;
		}
	}
	if (!rs->nr) {
		fprintf(stderr, "lu-trace %s: no recording in %s\n", cmd, nr ? files[0] : "?");
		return -ENOENT;
	}
	qsort(rs->seg, rs->nr, sizeof(*rs->seg), cmp_segment);
	return 0;
}

/* report and timeline: options, then the recordings. */
error_t files_parse(int key, char *arg, struct argp_state *state)
{
	struct files_args *a = state->input;

	switch (key) {
	case 'j':
		a->json = true;
		break;
	case 'H':
		a->hists = true;
		break;
	case 'o':
		a->output = arg;
		break;
	case ARGP_KEY_ARG:
		a->files = &state->argv[state->next - 1];
		a->nr_files = state->argc - state->next + 1;
		state->next = state->argc;
		break;
	case ARGP_KEY_END:
		if (a->need_output && !a->output)
			argp_error(state, "no output file (-o FILE)");
		if (!a->nr_files)
			argp_error(state, "no recording given");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}
