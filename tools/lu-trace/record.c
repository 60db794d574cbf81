// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * lu-trace record, report and timeline: write the event stream and the
 * final map contents to a file (record.h), then summarize recordings made
 * on both sides of a kexec, or lay them out for Perfetto.
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "lu-trace.h"
#include "record.h"
#include "lu_trace.skel.h"

/* ---------------------------------------------------------------------- */
/* record                                                                  */
/* ---------------------------------------------------------------------- */

struct record_args {
	const char *output;
	const char *session;
	double duration;
	unsigned int buffer_kb;
	unsigned int max_sessions;
	bool kho_blocks;
	bool truncate;
};

struct recorder {
	FILE *f;
	__u64 events;
	int err;
};

static int write_chunk(FILE *f, __u32 type, const void *data, __u32 len)
{
	struct lu_rec_chunk c = { .type = type, .len = len };

	if (fwrite(&c, sizeof(c), 1, f) != 1 || fwrite(data, len, 1, f) != 1)
		return -errno ?: -EIO;
	return 0;
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct recorder *r = ctx;

	if (len < sizeof(struct lu_event))
		return 0;
	r->err = write_chunk(r->f, LU_REC_EVENT, data, sizeof(struct lu_event));
	r->events++;
	return r->err;
}

static void read_boot_id(char *buf, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	buf[0] = '\0';
	if (f) {
		if (fgets(buf, len, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
}

/* Open @path for appending a segment; refuse files that are not recordings. */
static FILE *open_output(const char *path, bool truncate)
{
	char magic[8];
	FILE *f;

	if (!truncate) {
		f = fopen(path, "re");
		if (f) {
			size_t n = fread(magic, 1, sizeof(magic), f);

			fclose(f);
			if (n && (n < sizeof(magic) || memcmp(magic, LU_REC_MAGIC, sizeof(magic)))) {
				fprintf(stderr, "lu-trace record: %s exists and is not a lu-trace recording (use --truncate to replace it)\n",
					path);
				return NULL;
			}
		}
	}
	f = fopen(path, truncate ? "we" : "ae");
	if (!f)
		fprintf(stderr, "lu-trace record: %s: %s\n", path, strerror(errno));
	return f;
}

static const char record_doc[] =
"Record the live update events to a file.\n"
"\n"
"USAGE: lu-trace record -o FILE [-s NAME] [-d SEC] [--kho-blocks]\n"
"\n"
"Streams every liveupdate event through a BPF ring buffer into FILE, and\n"
"at the end (Ctrl-C, SIGTERM or -d) the per-session maps. An existing\n"
"recording is appended to: record once before the kexec (on storage that\n"
"survives it) and once after it, then 'lu-trace report FILE'.\n"
"\n"
"EXAMPLES:\n"
"    lu-trace record -o /var/lib/lu/update.lut        # until Ctrl-C\n"
"    lu-trace record -o u.lut -s db -d 30             # session db, 30 s\n";

static const struct argp_option record_opts[] = {
	{ "output", 'o', "FILE", 0, "Recording file (appended to)", 0 },
	{ "session", 's', "NAME", 0, "Only the session NAME (filtered in BPF)", 0 },
	{ "duration", 'd', "SEC", 0, "Stop after SEC seconds", 0 },
	{ "buffer", 'b', "KB", 0, "Ring buffer size in KiB (power of 2, default 4096)", 0 },
	{ "max-sessions", 'm', "N", 0, "Sessions tracked (default 1024)", 0 },
	{ "kho-blocks", 'k', NULL, 0, "Also record every KHO block (one per folio)", 0 },
	{ "truncate", 't', NULL, 0, "Replace FILE instead of appending", 0 },
	{},
};

static error_t record_parse(int key, char *arg, struct argp_state *state)
{
	struct record_args *a = state->input;

	switch (key) {
	case 'o':
		a->output = arg;
		break;
	case 's':
		a->session = lu_arg_session(state, arg);
		break;
	case 'd':
		a->duration = lu_arg_seconds(state, arg, "duration", 0, 0);
		break;
	case 'b':
		a->buffer_kb = lu_arg_count(state, arg, "buffer size", 1U << 20);
		if (a->buffer_kb & (a->buffer_kb - 1))
			argp_error(state, "invalid buffer size '%s' (a power of 2)", arg);
		break;
	case 'm':
		a->max_sessions = lu_arg_count(state, arg, "session count", LU_MAX_SESSIONS);
		break;
	case 'k':
		a->kho_blocks = true;
		break;
	case 't':
		a->truncate = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (!a->output)
			argp_error(state, "no output file (-o FILE)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* The maps at the end of the recording, and the END chunk. */
static int write_trailer(struct recorder *r, struct lu_trace_bpf *skel)
{
	struct lu_rec_global g = { 0 };
	struct lu_rec_end end = { 0 };
	struct lu_snapshot snap;
	struct lu_blackout b;
	int err;

	err = lu_snapshot_read(skel, &snap);
	if (err)
		return err;
	for (size_t i = 0; i < snap.nr_sessions && !err; i++)
		err = write_chunk(r->f, LU_REC_SESSION, &snap.sessions[i], sizeof(snap.sessions[i]));
	for (size_t i = 0; i < snap.nr_errs && !err; i++) {
		struct lu_rec_error e = { .key = snap.errs[i], .count = snap.err_counts[i] };

		err = write_chunk(r->f, LU_REC_ERROR, &e, sizeof(e));
	}
	g.global = snap.global;
	g.blackout = snap.blackout;
	if (!err)
		err = write_chunk(r->f, LU_REC_GLOBAL, &g, sizeof(g));
	end.stop_mono_ns = lu_now_ns(CLOCK_MONOTONIC);
	end.events = r->events;
	end.drops = snap.global.drops;
	end.sessions_full = snap.nr_sessions >= bpf_map__max_entries(skel->maps.sessions);
	lu_blackout_read(&b, end.blackout, sizeof(end.blackout));
	if (!err)
		err = write_chunk(r->f, LU_REC_END, &end, sizeof(end));
	if (end.drops)
		fprintf(stderr, "lu-trace record: the ring buffer lost %llu events (use a larger --buffer)\n",
			(unsigned long long)end.drops);
	lu_snapshot_free(&snap);
	return err;
}

int cmd_record(int argc, char **argv)
{
	static const struct argp argp = {
		.options = record_opts, .parser = record_parse, .doc = record_doc,
	};
	struct record_args a = { 0 };
	struct lu_rec_hdr hdr = { 0 };
	struct recorder r = { 0 };
	struct ring_buffer *rb = NULL;
	struct lu_trace_bpf *skel;
	struct lu_blackout b;
	struct utsname u;
	__u64 stop = 0;
	int err = 0;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return 1;
	/* What the kernel and the privileges allow first, then the file. */
	if (!lu_bpf_check("record", NULL, NULL))
		return 1;
	r.f = open_output(a.output, a.truncate);
	if (!r.f)
		return 1;
	skel = lu_bpf_start("record", &(struct lu_bpf_opts){
		.session = a.session, .stream = true, .kho_blocks = a.kho_blocks,
		.max_sessions = a.max_sessions, .buffer_kb = a.buffer_kb,
	});
	if (!skel) {
		fclose(r.f);
		return 1;
	}
	memcpy(hdr.magic, LU_REC_MAGIC, sizeof(hdr.magic));
	hdr.version = LU_REC_VERSION;
	hdr.hdr_size = sizeof(hdr);
	hdr.event_size = sizeof(struct lu_event);
	hdr.session_size = sizeof(struct lu_session);
	read_boot_id(hdr.boot_id, sizeof(hdr.boot_id));
	uname(&u);
	snprintf(hdr.release, sizeof(hdr.release), "%s", u.release);
	hdr.start_real_ns = lu_now_ns(CLOCK_REALTIME);
	hdr.start_mono_ns = lu_now_ns(CLOCK_MONOTONIC);
	hdr.session_id = a.session ? lu_session_id(a.session) : 0;
	lu_blackout_read(&b, hdr.blackout, sizeof(hdr.blackout));
	if (fwrite(&hdr, sizeof(hdr), 1, r.f) != 1 || fflush(r.f)) {
		err = -errno;
		fprintf(stderr, "lu-trace record: %s: %s\n", a.output, strerror(errno));
		goto out;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, &r, NULL);
	if (!rb) {
		err = -errno;
		fprintf(stderr, "lu-trace record: ring buffer: %s\n", strerror(errno));
		goto out;
	}
	lu_install_signals();
	if (a.duration)
		stop = lu_now_ns(CLOCK_MONOTONIC) + (__u64)(a.duration * 1e9);
	fprintf(stderr, "lu-trace record: recording to %s; Ctrl-C to end\n", a.output);
	while (!lu_exiting && !r.err && (!stop || lu_now_ns(CLOCK_MONOTONIC) < stop)) {
		/* The BPF side wakes us only when the buffer fills: drain anyway. */
		err = ring_buffer__poll(rb, 100);
		if (err >= 0)
			err = ring_buffer__consume(rb);
		if (err == -EINTR) {
			err = 0;
			continue;
		}
		if (err < 0) {
			fprintf(stderr, "lu-trace record: polling the ring buffer: %s\n",
				strerror(-err));
			goto out;
		}
		err = 0;
	}
	ring_buffer__consume(rb);
	err = r.err ?: write_trailer(&r, skel);
	if (!err && (fflush(r.f) || fsync(fileno(r.f))))
		err = -errno;
	if (err)
		fprintf(stderr, "lu-trace record: %s: %s\n", a.output, strerror(-err));
	else
		fprintf(stderr, "lu-trace record: %llu events written to %s\n",
			(unsigned long long)r.events, a.output);
out:
	ring_buffer__free(rb);
	if (r.f && fclose(r.f) && !err) {
		err = -errno;
		fprintf(stderr, "lu-trace record: %s: %s\n", a.output, strerror(errno));
	}
	lu_bpf_stop(skel);
	return err ? 1 : 0;
}

/* ---------------------------------------------------------------------- */
/* Reading recordings                                                      */
/* ---------------------------------------------------------------------- */

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

static int push(void **arr, size_t *nr, size_t size, const void *item)
{
	void *n = realloc(*arr, (*nr + 1) * size);

	if (!n)
		return -ENOMEM;
	memcpy((char *)n + *nr * size, item, size);
	*arr = n;
	(*nr)++;
	return 0;
}

static void recordings_free(struct recordings *rs)
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
			err = push((void **)&rs->seg, &rs->nr, sizeof(seg), &seg);
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
			err = push((void **)&s->events, &s->nr_events, c.len, buf);
			break;
		case LU_REC_SESSION:
			EXPECT(struct lu_session);
			((struct lu_session *)buf)->name[LU_NAME_LEN - 1] = '\0';
			err = push((void **)&s->sessions, &s->nr_sessions, c.len, buf);
			break;
		case LU_REC_ERROR:
			EXPECT(struct lu_rec_error);
			err = push((void **)&s->errs, &s->nr_errs, c.len, buf);
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

static int read_all(const char *cmd, int nr, char **files, struct recordings *rs)
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

/* ---------------------------------------------------------------------- */
/* report                                                                  */
/* ---------------------------------------------------------------------- */

/* File event type of each histogram. */
static const unsigned int op_event[LU_OP_NR] = {
	LU_EV_FILE_PRESERVE, LU_EV_FILE_FREEZE, LU_EV_FILE_RETRIEVE, LU_EV_FILE_FINISH,
};

struct agg_session {
	struct lu_session s;		/* merged over segments */
	__u64 events[LU_EV_NR];		/* successful events streamed */
};

struct report {
	struct agg_session *sess;
	size_t nr_sess;
	__u64 events[LU_EV_NR];
	__u64 nr_events, drops;
	unsigned int checked, mismatches;
	char mismatch[8][160];
	struct lu_hist all[LU_OP_NR];
	bool freeze_from_kernel;	/* all[LU_OP_FREEZE] is the blackout's */
	const struct lu_blackout *blackout;
};

static struct agg_session *agg_get(struct report *r, __u64 id)
{
	struct agg_session z = { 0 };

	for (size_t i = 0; i < r->nr_sess; i++)
		if (r->sess[i].s.id == id)
			return &r->sess[i];
	z.s.id = id;
	if (push((void **)&r->sess, &r->nr_sess, sizeof(z), &z))
		return NULL;
	return &r->sess[r->nr_sess - 1];
}

static void merge_session(struct lu_session *d, const struct lu_session *s)
{
	if (!d->name[0])
		memcpy(d->name, s->name, sizeof(d->name));
	d->flags |= s->flags;
	for (int i = 0; i < LU_OP_NR; i++) {
		d->files[i] += s->files[i];
		lu_hist_merge(&d->hist[i], &s->hist[i]);
	}
	d->unpreserved += s->unpreserved;
	d->unfrozen += s->unfrozen;
	d->preserved_pages += s->preserved_pages;
	d->preserved_bytes += s->preserved_bytes;
	d->restored_pages += s->restored_pages;
	d->restored_bytes += s->restored_bytes;
	d->errors += s->errors;
	if (!d->first_ns || s->first_ns < d->first_ns)
		d->first_ns = s->first_ns;
	if (s->last_ns > d->last_ns)
		d->last_ns = s->last_ns;
}

/* Each histogram count must equal the successful events streamed for it. */
static void check_segment(struct report *r, const struct segment *g)
{
	if (!g->has_end || g->end.drops || g->end.sessions_full)
		return;
	for (size_t i = 0; i < g->nr_sessions; i++) {
		const struct lu_session *s = &g->sessions[i];

		for (int op = 0; op < LU_OP_NR; op++) {
			__u64 n = 0;

			for (size_t j = 0; j < g->nr_events; j++)
				n += g->events[j].session_id == s->id &&
				     g->events[j].type == op_event[op] && !g->events[j].ret;
			r->checked++;
			if (n == s->hist[op].count)
				continue;
			if (r->mismatches < 8)
				snprintf(r->mismatch[r->mismatches], sizeof(r->mismatch[0]),
					 "%s: session %s %s histogram %llu, events %llu", g->file,
					 s->name, lu_op_names[op],
					 (unsigned long long)s->hist[op].count,
					 (unsigned long long)n);
			r->mismatches++;
		}
	}
}

static int build_report(struct report *r, const struct recordings *rs)
{
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < rs->nr; i++) {
		const struct segment *g = &rs->seg[i];

		for (size_t j = 0; j < g->nr_sessions; j++) {
			struct agg_session *a = agg_get(r, g->sessions[j].id);

			if (!a)
				return -ENOMEM;
			merge_session(&a->s, &g->sessions[j]);
		}
		for (size_t j = 0; j < g->nr_events; j++) {
			const struct lu_event *e = &g->events[j];

			if (e->type >= LU_EV_NR)
				continue;
			r->events[e->type]++;
			r->nr_events++;
			if (e->session_id && !e->ret) {
				struct agg_session *a = agg_get(r, e->session_id);

				if (!a)
					return -ENOMEM;
				a->events[e->type]++;
				if (!a->s.name[0] && e->type <= LU_EV_SESSION_RELEASE)
					memcpy(a->s.name, e->name, sizeof(a->s.name));
			}
		}
		if (g->has_end)
			r->drops += g->end.drops;
		check_segment(r, g);
		if (g->blackout.present && strcmp(g->blackout.state, "none"))
			r->blackout = &g->blackout;
	}
	for (size_t i = 0; i < r->nr_sess; i++)
		for (int op = 0; op < LU_OP_NR; op++)
			lu_hist_merge(&r->all[op], &r->sess[i].s.hist[op]);
	/*
	 * Freezing runs in reboot(), after the recorder stopped; the next
	 * kernel has the previous one's freeze histogram in its blackout.
	 */
	if (!r->all[LU_OP_FREEZE].count && r->blackout && r->blackout->freeze.count) {
		r->all[LU_OP_FREEZE] = r->blackout->freeze;
		r->freeze_from_kernel = true;
	}
	return 0;
}

static void events_json(FILE *f, const __u64 *ev)
{
	int n = 0;

	fputc('{', f);
	for (int i = 0; i < LU_EV_NR; i++)
		if (ev[i])
			fprintf(f, "%s\"%s\": %llu", n++ ? ", " : "", lu_ev_names[i],
				(unsigned long long)ev[i]);
	fputc('}', f);
}

static void report_json(FILE *f, const struct report *r, const struct recordings *rs)
{
	fprintf(f, "{\n  \"segments\": [");
	for (size_t i = 0; i < rs->nr; i++) {
		const struct segment *g = &rs->seg[i];

		fprintf(f, "%s\n    {\"file\": ", i ? "," : "");
		lu_json_str(f, g->file);
		fprintf(f, ", \"boot_id\": ");
		lu_json_str(f, g->hdr.boot_id);
		fprintf(f, ", \"release\": ");
		lu_json_str(f, g->hdr.release);
		fprintf(f, ", \"update\": %lld, \"events\": %zu, \"drops\": %llu, \"complete\": %s}",
			g->blackout.updates, g->nr_events,
			(unsigned long long)(g->has_end ? g->end.drops : 0),
			g->has_end ? "true" : "false");
	}
	fprintf(f, "\n  ],\n  \"events\": ");
	events_json(f, r->events);
	fprintf(f, ",\n  \"drops\": %llu,\n  \"sessions\": [", (unsigned long long)r->drops);
	for (size_t i = 0; i < r->nr_sess; i++) {
		const struct lu_session *s = &r->sess[i].s;

		fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
		lu_json_str(f, s->name);
		fprintf(f, ", \"id\": \"%016llx\", \"created\": %s, \"retrieved\": %s, \"finished\": %s,\n",
			(unsigned long long)s->id, s->flags & LU_S_CREATED ? "true" : "false",
			s->flags & LU_S_RETRIEVED ? "true" : "false",
			s->flags & LU_S_FINISHED ? "true" : "false");
		fprintf(f, "     \"preserved\": {\"files\": %llu, \"pages\": %llu, \"bytes\": %llu},\n",
			(unsigned long long)(s->files[LU_OP_PRESERVE] - s->unpreserved),
			(unsigned long long)s->preserved_pages,
			(unsigned long long)s->preserved_bytes);
		fprintf(f, "     \"restored\": {\"files\": %llu, \"pages\": %llu, \"bytes\": %llu},\n",
			(unsigned long long)s->files[LU_OP_RETRIEVE],
			(unsigned long long)s->restored_pages, (unsigned long long)s->restored_bytes);
		fprintf(f, "     \"frozen\": %llu, \"finished_files\": %llu, \"unpreserved\": %llu, \"unfrozen\": %llu, \"errors\": %llu,\n",
			(unsigned long long)s->files[LU_OP_FREEZE],
			(unsigned long long)s->files[LU_OP_FINISH],
			(unsigned long long)s->unpreserved, (unsigned long long)s->unfrozen,
			(unsigned long long)s->errors);
		fprintf(f, "     \"latency\": {");
		for (int op = 0; op < LU_OP_NR; op++) {
			fprintf(f, "%s\"%s\": ", op ? ", " : "", lu_op_names[op]);
			lu_hist_json(f, &s->hist[op]);
		}
		fprintf(f, "},\n     \"events\": ");
		events_json(f, r->sess[i].events);
		fputc('}', f);
	}
	fprintf(f, "\n  ],\n  \"latency\": {");
	for (int op = 0; op < LU_OP_NR; op++) {
		fprintf(f, "%s\n    \"%s\": ", op ? "," : "", lu_op_names[op]);
		lu_hist_json(f, &r->all[op]);
	}
	fprintf(f, "\n  },\n  \"freeze_source\": \"%s\",\n  \"errors\": [",
		r->freeze_from_kernel ? "kernel" : "bpf");
	for (size_t i = 0, n = 0; i < rs->nr; i++)
		for (size_t j = 0; j < rs->seg[i].nr_errs; j++) {
			const struct lu_rec_error *e = &rs->seg[i].errs[j];

			fprintf(f, "%s{\"step\": \"%s\", \"errno\": \"%s\", \"count\": %llu}",
				n++ ? ", " : "", e->key.step < LU_STEP_NR ?
				lu_step_names[e->key.step] : "?", lu_errno_name(e->key.err),
				(unsigned long long)e->count);
		}
	fprintf(f, "],\n  \"consistency\": {\"checked\": %u, \"mismatches\": %u},\n",
		r->checked, r->mismatches);
	fprintf(f, "  \"blackout\": ");
	if (r->blackout)
		lu_blackout_json(f, r->blackout);
	else
		fprintf(f, "null");
	fprintf(f, "\n}\n");
}

static void report_text(FILE *f, const struct report *r, const struct recordings *rs,
			bool hists)
{
	char b1[16], b2[16], t[4][16];

	fprintf(f, "lu-trace report: %zu segment(s), %llu events, %llu lost\n",
		rs->nr, (unsigned long long)r->nr_events, (unsigned long long)r->drops);
	for (size_t i = 0; i < rs->nr; i++) {
		const struct segment *g = &rs->seg[i];

		fprintf(f, "  %s: boot %.8s (%s, update %lld), %zu events%s\n", g->file,
			g->hdr.boot_id, g->hdr.release, g->blackout.updates, g->nr_events,
			g->has_end ? "" : ", incomplete (recorder killed)");
	}
	if (r->blackout) {
		fputc('\n', f);
		lu_blackout_print(f, r->blackout);
	}
	fprintf(f, "\n%-18s %5s %8s %9s  %5s %8s %9s %-3s %3s\n", "SESSION", "PRES", "PAGES",
		"BYTES", "RETR", "PAGES", "BYTES", "FIN", "ERR");
	for (size_t i = 0; i < r->nr_sess; i++) {
		const struct lu_session *s = &r->sess[i].s;

		fprintf(f, "%-18.18s %5llu %8llu %9s  %5llu %8llu %9s %-3s %3llu\n",
			s->name[0] ? s->name : "?",
			(unsigned long long)(s->files[LU_OP_PRESERVE] - s->unpreserved),
			(unsigned long long)s->preserved_pages,
			lu_fmt_bytes(b1, sizeof(b1), s->preserved_bytes),
			(unsigned long long)s->files[LU_OP_RETRIEVE],
			(unsigned long long)s->restored_pages,
			lu_fmt_bytes(b2, sizeof(b2), s->restored_bytes),
			s->flags & LU_S_FINISHED ? "yes" : "no", (unsigned long long)s->errors);
	}
	fprintf(f, "\n%-9s %7s %10s %10s %10s %10s\n", "OP", "FILES", "p50", "p99", "max",
		"mean");
	for (int op = 0; op < LU_OP_NR; op++) {
		const struct lu_hist *h = &r->all[op];

		fprintf(f, "%-9s %7llu %10s %10s %10s %10s\n", lu_op_names[op],
			(unsigned long long)h->count,
			h->count ? lu_fmt_ns(t[0], 16, lu_hist_percentile(h, 50)) : "-",
			h->count ? lu_fmt_ns(t[1], 16, lu_hist_percentile(h, 99)) : "-",
			h->count ? lu_fmt_ns(t[2], 16, h->max_ns) : "-",
			h->count ? lu_fmt_ns(t[3], 16, h->sum_ns / h->count) : "-");
	}
	if (r->freeze_from_kernel)
		fprintf(f, "(freeze: measured by the previous kernel inside reboot(2), from the blackout record)\n");
	if (hists)
		for (int op = 0; op < LU_OP_NR; op++) {
			if (!r->all[op].count)
				continue;
			fprintf(f, "\n%s latency:\n", lu_op_names[op]);
			lu_hist_print(f, &r->all[op], "  ");
		}
	for (size_t i = 0; i < rs->nr; i++)
		for (size_t j = 0; j < rs->seg[i].nr_errs; j++) {
			const struct lu_rec_error *e = &rs->seg[i].errs[j];

			fprintf(f, "error: %s %s x%llu\n", e->key.step < LU_STEP_NR ?
				lu_step_names[e->key.step] : "?", lu_errno_name(e->key.err),
				(unsigned long long)e->count);
		}
	if (r->mismatches) {
		fprintf(f, "\nWARNING: %u histogram(s) disagree with the event stream:\n",
			r->mismatches);
		for (unsigned int i = 0; i < r->mismatches && i < 8; i++)
			fprintf(f, "  %s\n", r->mismatch[i]);
	}
}

static const char report_doc[] =
"Summarize recordings: sessions, files, pages, bytes, latency, blackout.\n"
"\n"
"USAGE: lu-trace report [--json] [-H] FILE...\n"
"\n"
"Segments of all FILEs are joined by session (a session's id is the same\n"
"in both kernels): preserved in the old kernel, restored in the new one.\n"
"\n"
"EXAMPLES:\n"
"    lu-trace report update.lut            # the table\n"
"    lu-trace report -H update.lut         # with latency histograms\n"
"    lu-trace report --json pre.lut post.lut\n";

static const struct argp_option report_opts[] = {
	{ "json", 'j', NULL, 0, "Print JSON", 0 },
	{ "histograms", 'H', NULL, 0, "Print the latency histograms", 0 },
	{},
};

/* report and timeline: options, then the recordings. */
struct files_args {
	char **files;
	int nr_files;
	const char *output;
	bool need_output, json, hists;
};

static error_t files_parse(int key, char *arg, struct argp_state *state)
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

int cmd_report(int argc, char **argv)
{
	static const struct argp argp = {
		.options = report_opts, .parser = files_parse, .args_doc = "FILE...",
		.doc = report_doc,
	};
	struct files_args a = { 0 };
	struct recordings rs = { 0 };
	struct report r;
	int err;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return 1;
	if (read_all("report", a.nr_files, a.files, &rs))
		return 1;
	err = build_report(&r, &rs);
	if (err)
		fprintf(stderr, "lu-trace report: %s\n", strerror(-err));
	else if (a.json)
		report_json(stdout, &r, &rs);
	else
		report_text(stdout, &r, &rs, a.hists);
	free(r.sess);
	recordings_free(&rs);
	return err ? 1 : 0;
}

/* ---------------------------------------------------------------------- */
/* timeline                                                                */
/* ---------------------------------------------------------------------- */

/*
 * Clock arithmetic on what a recording says, which is untrusted: two's
 * complement, wrapping instead of overflowing (a damaged recording gives a
 * timeline with nonsense times, never undefined behaviour).
 */
static __s64 ns_add(__s64 a, __s64 b)
{
	return (__s64)((__u64)a + (__u64)b);
}

static __s64 ns_sub(__s64 a, __s64 b)
{
	return (__s64)((__u64)a - (__u64)b);
}

/*
 * Put every segment on the clock of the newest boot: each boot's blackout
 * says where the previous kernel's CLOCK_MONOTONIC (prev_mono_ns) and its
 * own (mono_ns) were at the same instant, reboot. Segments of a boot with
 * no link to the next are placed by CLOCK_REALTIME instead.
 */
static void align_segments(struct recordings *rs)
{
	struct segment *ref = &rs->seg[rs->nr - 1];

	for (size_t k = rs->nr; k-- > 0;) {
		struct segment *g = &rs->seg[k], *next = NULL;

		if (!strcmp(g->hdr.boot_id, ref->hdr.boot_id)) {
			g->offset_ns = 0;
			continue;
		}
		/* The oldest segment of the boot after g's. */
		for (size_t j = k + 1; j < rs->nr; j++)
			if (strcmp(rs->seg[j].hdr.boot_id, g->hdr.boot_id)) {
				next = &rs->seg[j];
				while (j > k + 1 && !strcmp(rs->seg[j - 1].hdr.boot_id,
							    next->hdr.boot_id))
					next = &rs->seg[--j];
				break;
			}
		if (next && next->blackout.present && strcmp(next->blackout.state, "none") &&
		    next->blackout.updates == g->blackout.updates + 1)
			g->offset_ns = ns_sub(ns_add(next->offset_ns, next->blackout.mono_ns),
					      next->blackout.prev_mono_ns);
		else
			g->offset_ns = ns_sub((__s64)(g->hdr.start_real_ns - g->hdr.start_mono_ns),
					      (__s64)(ref->hdr.start_real_ns - ref->hdr.start_mono_ns));
	}
}

struct track {
	__u64 id;
	char name[LU_NAME_LEN];
};

static int track_of(struct track **t, size_t *nr, const struct lu_event *e)
{
	struct track n = { .id = e->session_id };

	for (size_t i = 0; i < *nr; i++)
		if ((*t)[i].id == e->session_id) {
			if (!(*t)[i].name[0] && e->type <= LU_EV_SESSION_RELEASE)
				memcpy((*t)[i].name, e->name, sizeof(n.name));
			return 10 + (int)i;
		}
	if (e->type <= LU_EV_SESSION_RELEASE)
		memcpy(n.name, e->name, sizeof(n.name));
	if (push((void **)t, nr, sizeof(n), &n))
		return -1;
	return 10 + (int)(*nr - 1);
}

static double us(__s64 ns)
{
	return ns / 1000.0;
}

static int write_timeline(FILE *f, struct recordings *rs)
{
	const struct segment *last = &rs->seg[rs->nr - 1];
	struct track *tracks = NULL;
	size_t nr_tracks = 0;
	__s64 base = INT64_MAX;
	int n = 0;

	align_segments(rs);
	for (size_t i = 0; i < rs->nr; i++) {
		__s64 start = ns_add((__s64)rs->seg[i].hdr.start_mono_ns, rs->seg[i].offset_ns);

		if (start < base)
			base = start;
		for (size_t j = 0; j < rs->seg[i].nr_events; j++) {
			const struct lu_event *e = &rs->seg[i].events[j];
			__s64 t = ns_add((__s64)(e->ts_ns - e->duration_ns), rs->seg[i].offset_ns);

			if (t < base)
				base = t;
		}
	}
	if (last->blackout.present && last->blackout.stamp[0] >= 0 &&
	    last->blackout.mono_ns < base)
		base = last->blackout.mono_ns;
	if (base == INT64_MAX)
		base = 0;

	fprintf(f, "{\"displayTimeUnit\": \"ms\", \"traceEvents\": [\n");
	fprintf(f, "{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 1, \"tid\": 0, \"args\": {\"name\": \"live update\"}}");
	fprintf(f, ",\n{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 1, \"tid\": 1, \"args\": {\"name\": \"blackout\"}}");
	fprintf(f, ",\n{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 1, \"tid\": 2, \"args\": {\"name\": \"LUO / KHO\"}}");
	for (size_t i = 0; i < rs->nr; i++) {
		const struct segment *g = &rs->seg[i];

		fprintf(f, ",\n{\"name\": \"recording %s (boot %.8s)\", \"ph\": \"i\", \"s\": \"g\", \"pid\": 1, \"tid\": 2, \"ts\": %.3f}",
			g->hdr.release, g->hdr.boot_id,
			us(ns_sub(ns_add((__s64)g->hdr.start_mono_ns, g->offset_ns), base)));
		for (size_t j = 0; j < g->nr_events; j++) {
			const struct lu_event *e = &g->events[j];
			__s64 end = ns_sub(ns_add((__s64)e->ts_ns, g->offset_ns), base);
			int tid = e->session_id ? track_of(&tracks, &nr_tracks, e) : 2;
			const char *name = lu_ev_names[e->type < LU_EV_NR ? e->type : 0];

			if (tid < 0) {
				free(tracks);
				return -ENOMEM;
			}
			if (e->duration_ns)
				fprintf(f, ",\n{\"name\": \"%s\", \"cat\": \"liveupdate\", \"ph\": \"X\", \"pid\": 1, \"tid\": %d, \"ts\": %.3f, \"dur\": %.3f",
					name, tid, us(ns_sub(end, (__s64)e->duration_ns)), us(e->duration_ns));
			else
				fprintf(f, ",\n{\"name\": \"%s\", \"cat\": \"liveupdate\", \"ph\": \"i\", \"s\": \"t\", \"pid\": 1, \"tid\": %d, \"ts\": %.3f",
					name, tid, us(end));
			fprintf(f, ", \"args\": {\"token\": %llu, \"a\": %llu, \"b\": %llu, \"ret\": %d, \"name\": ",
				(unsigned long long)e->token, (unsigned long long)e->a,
				(unsigned long long)e->b, e->ret);
			lu_json_str(f, e->name);
			fprintf(f, "}}");
			n++;
		}
	}
	for (size_t i = 0; i < nr_tracks; i++) {
		fprintf(f, ",\n{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 1, \"tid\": %zu, \"args\": {\"name\": ",
			10 + i);
		if (tracks[i].name[0]) {
			char label[LU_NAME_LEN + 16];

			snprintf(label, sizeof(label), "session %s", tracks[i].name);
			lu_json_str(f, label);
		} else {
			fprintf(f, "\"session %016llx\"", (unsigned long long)tracks[i].id);
		}
		fprintf(f, "}}");
	}
	/* The blackout phases of the newest boot, on its clock. */
	if (last->blackout.present)
		for (int i = 0; i < LU_NR_PHASES; i++) {
			if (last->blackout.phase[i] < 0)
				continue;
			fprintf(f, ",\n{\"name\": \"%s\", \"cat\": \"blackout\", \"ph\": \"X\", \"pid\": 1, \"tid\": 1, \"ts\": %.3f, \"dur\": %.3f, \"args\": {\"update\": %lld}}",
				lu_phase_names[i],
				us(last->blackout.mono_ns + last->blackout.stamp[i] - base),
				us(last->blackout.phase[i]), last->blackout.updates);
		}
	fprintf(f, "\n]}\n");
	free(tracks);
	return n;
}

static const char timeline_doc[] =
"Write recordings as Chrome trace-event JSON (open it in Perfetto).\n"
"\n"
"USAGE: lu-trace timeline -o OUT.json FILE...\n"
"\n"
"One track per session, one for LUO and KHO, one for the blackout phases;\n"
"both kernels on one clock (the newest kernel's CLOCK_MONOTONIC).\n"
"\n"
"EXAMPLES:\n"
"    lu-trace timeline -o update.json update.lut\n";

static const struct argp_option timeline_opts[] = {
	{ "output", 'o', "FILE", 0, "JSON output file ('-' for stdout)", 0 },
	{},
};

int cmd_timeline(int argc, char **argv)
{
	static const struct argp argp = {
		.options = timeline_opts, .parser = files_parse, .args_doc = "FILE...",
		.doc = timeline_doc,
	};
	struct files_args a = { .need_output = true };
	struct recordings rs = { 0 };
	bool out = false;
	FILE *f;
	int n;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return 1;
	if (read_all("timeline", a.nr_files, a.files, &rs))
		return 1;
	if (!strcmp(a.output, "-")) {
		f = stdout;
	} else {
		f = fopen(a.output, "we");
		out = true;
	}
	if (!f) {
		fprintf(stderr, "lu-trace timeline: %s: %s\n", a.output, strerror(errno));
		recordings_free(&rs);
		return 1;
	}
	n = write_timeline(f, &rs);
	if ((out && fclose(f)) || (!out && fflush(f)))
		n = -errno;
	if (n < 0)
		fprintf(stderr, "lu-trace timeline: %s: %s\n", a.output, strerror(-n));
	else if (out)
		fprintf(stderr, "lu-trace timeline: %d events written to %s\n", n, a.output);
	recordings_free(&rs);
	return n < 0 ? 1 : 0;
}
