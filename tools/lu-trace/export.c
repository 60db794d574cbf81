// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * lu-trace export: the live update metrics for Prometheus, served as
 * OpenMetrics on http://ADDR:PORT/metrics or written as a node_exporter
 * textfile. The metric names are those dashboards/ and its alert rules use.
 *
 * The blackout and the update counters come from
 * /sys/kernel/liveupdate/blackout, the format versions from
 * /sys/kernel/liveupdate/formats, the KHO memory from debugfs, sessions,
 * latencies and errors from the BPF maps (what happened since export
 * started). lu_export_render() turns them into text; the rest of this file
 * reads them and serves or writes that text.
 */
#define _GNU_SOURCE
#include <argp.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "lu-trace.h"
#include "export.h"

#define STAMP_FINISHED		(LU_NR_STAMPS - 1)	/* lu_stamp_names[]: "finished" */
#define OTHER_SESSIONS		"_other"

#define HTTP_MAX_CONNS		16
#define HTTP_REQ_MAX		8192	/* request line and headers */
#define HTTP_TIMEOUT_MS		5000	/* to send a request, and to read the answer */
#define HTTP_OPENMETRICS	"application/openmetrics-text; version=1.0.0; charset=utf-8"
#define HTTP_TEXT_004		"text/plain; version=0.0.4; charset=utf-8"

/* ---------------------------------------------------------------------- */
/* Rendering                                                               */
/* ---------------------------------------------------------------------- */

enum fam_type { FAM_COUNTER, FAM_GAUGE, FAM_HISTOGRAM, FAM_INFO };

static const char *const fam_type_names[] = { "counter", "gauge", "histogram", "info" };

/*
 * A metric family. @name is the OpenMetrics family name: counters without
 * "_total", info metrics without "_info" (the samples carry the suffix; the
 * 0.0.4 format names the family after its samples).
 */
struct fam {
	const char *name;
	enum fam_type type;
	const char *unit;
	const char *help;
};

static const struct fam fam_completed = {
	.name = "liveupdate_updates_completed", .type = FAM_COUNTER,
	.help = "Live updates completed along the chain of kernels that handed over to each other.",
};
static const struct fam fam_failed = {
	.name = "liveupdate_updates_failed", .type = FAM_COUNTER,
	.help = "Live updates that failed (reboot cancelled) along the chain of kernels.",
};
static const struct fam fam_blackout = {
	.name = "liveupdate_last_blackout_seconds", .type = FAM_GAUGE, .unit = "seconds",
	.help = "Blackout of the live update that started this kernel, from reboot to the last "
		"session finished; absent after a cold boot and until the update is complete.",
};
static const struct fam fam_phase = {
	.name = "liveupdate_last_blackout_phase_seconds", .type = FAM_GAUGE, .unit = "seconds",
	.help = "Phases of the last blackout; they add up to liveupdate_last_blackout_seconds.",
};
static const struct fam fam_timestamp = {
	.name = "liveupdate_last_update_timestamp_seconds", .type = FAM_GAUGE, .unit = "seconds",
	.help = "When the live update that started this kernel was complete, in seconds since "
		"the Epoch.",
};
static const struct fam fam_in_progress = {
	.name = "liveupdate_update_in_progress", .type = FAM_GAUGE,
	.help = "1 while sessions are being restored, or outgoing sessions hold preserved files.",
};
static const struct fam fam_sessions = {
	.name = "liveupdate_sessions", .type = FAM_GAUGE,
	.help = "Sessions seen since export started: outgoing (created here, still open) and "
		"incoming (retrieved).",
};
static const struct fam fam_session[2][3] = {
	{
		{ .name = "liveupdate_preserved_bytes", .type = FAM_GAUGE, .unit = "bytes",
		  .help = "Size of the memfd files an outgoing session preserved." },
		{ .name = "liveupdate_preserved_pages", .type = FAM_GAUGE,
		  .help = "Memory pages an outgoing session preserved." },
		{ .name = "liveupdate_preserved_files", .type = FAM_GAUGE,
		  .help = "Files an outgoing session holds preserved (preserved minus "
			  "unpreserved)." },
	}, {
		{ .name = "liveupdate_restored_bytes", .type = FAM_GAUGE, .unit = "bytes",
		  .help = "Size of the memfd files an incoming session restored." },
		{ .name = "liveupdate_restored_pages", .type = FAM_GAUGE,
		  .help = "Memory pages an incoming session restored." },
		{ .name = "liveupdate_restored_files", .type = FAM_GAUGE,
		  .help = "Files retrieved from an incoming session." },
	},
};
static const struct fam fam_duration = {
	.name = "liveupdate_operation_duration_seconds", .type = FAM_HISTOGRAM, .unit = "seconds",
	.help = "Duration of the per-file operations, as measured by the kernel.",
};
static const struct fam fam_errors = {
	.name = "liveupdate_errors", .type = FAM_COUNTER,
	.help = "Live update steps that failed, by step and error.",
};
static const struct fam fam_kho_preserved = {
	.name = "liveupdate_kho_preserved_bytes", .type = FAM_GAUGE, .unit = "bytes",
	.help = "Memory KHO preserves for the next kernel.",
};
static const struct fam fam_kho_scratch = {
	.name = "liveupdate_kho_scratch_bytes", .type = FAM_GAUGE, .unit = "bytes",
	.help = "Size of the KHO scratch areas.",
};
static const struct fam fam_format = {
	.name = "liveupdate_format", .type = FAM_INFO,
	.help = "The version of each handover format: the one the next kexec writes "
		"(direction write) and the one the previous kernel wrote (direction incoming).",
};
static const struct fam fam_kernel = {
	.name = "liveupdate_kernel", .type = FAM_INFO,
	.help = "The running kernel.",
};
static const struct fam fam_build = {
	.name = "lu_trace_build", .type = FAM_INFO,
	.help = "The lu-trace exporter.",
};
static const struct fam fam_lost = {
	.name = "lu_trace_lost_events", .type = FAM_COUNTER,
	.help = "Trace events lost because the BPF ring buffer was full.",
};

static const char *fam_suffix(const struct fam *m)
{
	if (m->type == FAM_COUNTER)
		return "_total";
	return m->type == FAM_INFO ? "_info" : "";
}

static void put_meta(FILE *f, const struct fam *m, bool om)
{
	if (om) {
		fprintf(f, "# TYPE %s %s\n", m->name, fam_type_names[m->type]);
		if (m->unit)
			fprintf(f, "# UNIT %s %s\n", m->name, m->unit);
		fprintf(f, "# HELP %s %s\n", m->name, m->help);
		return;
	}
	fprintf(f, "# HELP %s%s %s\n", m->name, fam_suffix(m), m->help);
	fprintf(f, "# TYPE %s%s %s\n", m->name, fam_suffix(m),
		m->type == FAM_INFO ? "gauge" : fam_type_names[m->type]);
}

/* A label value: backslash, double quote and line feed are escaped. */
static void put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/*
 * One sample: the family's name, @suffix (NULL: the family's own), labels
 * (NULL or name, value pairs ending with NULL) and the value.
 */
static void put_sample(FILE *f, const struct fam *m, const char *suffix,
		       const char *const *labels, const char *value)
{
	fprintf(f, "%s%s", m->name, suffix ? suffix : fam_suffix(m));
	if (labels && labels[0]) {
		fputc('{', f);
		for (int i = 0; labels[i]; i += 2) {
			fprintf(f, "%s%s=\"", i ? "," : "", labels[i]);
			put_escaped(f, labels[i + 1]);
			fputc('"', f);
		}
		fputc('}', f);
	}
	fprintf(f, " %s\n", value);
}

static const char *fmt_u64(char *buf, size_t len, __u64 v)
{
	snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

/* Nanoseconds as seconds, exactly: "2.345678901", "0.000012345", "3". */
static const char *fmt_sec(char *buf, size_t len, __u64 ns)
{
	unsigned long long sec = ns / 1000000000ULL, frac = ns % 1000000000ULL;
	int digits = 9;

	if (!frac) {
		snprintf(buf, len, "%llu", sec);
		return buf;
	}
	while (!(frac % 10)) {
		frac /= 10;
		digits--;
	}
	snprintf(buf, len, "%llu.%0*llu", sec, digits, frac);
	return buf;
}

/*
 * The upper bound of log2 slot @slot, 2^slot ns, in seconds: the shortest
 * text that parses back to the same double ("1e-09", "2.048e-06"), as
 * Prometheus' own clients write it.
 */
static const char *fmt_le(char *buf, size_t len, unsigned int slot)
{
	double v = (double)(1ULL << slot) / 1e9;

	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	return buf;
}

static bool utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned int c = s[i], cp, len, k;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		i += len;
	}
	return true;
}

/* Its name, or its id in hex when it has none (or one that is not UTF-8). */
static void session_label(const struct lu_session *s, char *buf, size_t len)
{
	size_t n = strnlen(s->name, LU_NAME_LEN);

	if (n && n < LU_NAME_LEN && utf8_valid((const unsigned char *)s->name, n))
		snprintf(buf, len, "%s", s->name);
	else
		snprintf(buf, len, "%016llx", (unsigned long long)s->id);
}

/*
 * Retrieved from the previous kernel. A session retrieved before export
 * started has no flag, but only incoming sessions retrieve files.
 */
static bool session_incoming(const struct lu_session *s)
{
	if (s->flags & LU_S_RETRIEVED)
		return true;
	return !(s->flags & LU_S_CREATED) &&
	       (s->files[LU_OP_RETRIEVE] || s->restored_pages || s->restored_bytes);
}

static __u64 session_preserved_files(const struct lu_session *s)
{
	__u64 n = s->files[LU_OP_PRESERVE];

	/* Files preserved before export started can be unpreserved since. */
	return n > s->unpreserved ? n - s->unpreserved : 0;
}

/* An outgoing session still open: what it preserved goes to the next kernel. */
static bool session_outgoing(const struct lu_session *s)
{
	return !session_incoming(s) && !(s->flags & LU_S_RELEASED);
}

static void put_blackout(FILE *f, const struct lu_export_input *in, const struct lu_blackout *b,
			 bool om)
{
	bool complete = !strcmp(b->state, "complete") && b->total_ns >= 0;
	long long fin = b->stamp[STAMP_FINISHED];
	char v[32];

	put_meta(f, &fam_completed, om);
	fmt_u64(v, sizeof(v), b->updates > 0 ? b->updates : 0);
	put_sample(f, &fam_completed, NULL, NULL, v);
	put_meta(f, &fam_failed, om);
	fmt_u64(v, sizeof(v), b->failed > 0 ? b->failed : 0);
	put_sample(f, &fam_failed, NULL, NULL, v);
	if (!complete)
		return;

	put_meta(f, &fam_blackout, om);
	put_sample(f, &fam_blackout, NULL, NULL, fmt_sec(v, sizeof(v), b->total_ns));
	put_meta(f, &fam_phase, om);
	for (int i = 0; i < LU_NR_PHASES; i++) {
		if (b->phase[i] < 0)
			continue;
		put_sample(f, &fam_phase, NULL,
			   (const char *const[]){ "phase", lu_phase_names[i], NULL },
			   fmt_sec(v, sizeof(v), b->phase[i]));
	}
	if (fin >= 0) {
		/* This kernel's CLOCK_MONOTONIC at "finished", moved to CLOCK_REALTIME. */
		__s64 ts = in->realtime_ns - (in->monotonic_ns - (b->mono_ns + fin));

		if (ts > 0) {
			put_meta(f, &fam_timestamp, om);
			put_sample(f, &fam_timestamp, NULL, NULL,
				   fmt_sec(v, sizeof(v), ts - ts % 1000000));
		}
	}
}

static void put_in_progress(FILE *f, const struct lu_export_input *in,
			    const struct lu_blackout *b, bool om)
{
	bool busy = b && !strcmp(b->state, "restoring");

	for (size_t i = 0; in->snap && i < in->snap->nr_sessions; i++) {
		const struct lu_session *s = &in->snap->sessions[i];

		if (session_outgoing(s) && session_preserved_files(s))
			busy = true;
	}
	put_meta(f, &fam_in_progress, om);
	put_sample(f, &fam_in_progress, NULL, NULL, busy ? "1" : "0");
}

static void put_session_counts(FILE *f, const struct lu_snapshot *snap, bool om)
{
	__u64 out = 0, inc = 0;
	char v[32];

	for (size_t i = 0; i < snap->nr_sessions; i++) {
		const struct lu_session *s = &snap->sessions[i];

		if (session_incoming(s))
			inc++;
		else if (session_outgoing(s))
			out++;
	}
	put_meta(f, &fam_sessions, om);
	put_sample(f, &fam_sessions, NULL, (const char *const[]){ "direction", "outgoing", NULL },
		   fmt_u64(v, sizeof(v), out));
	put_sample(f, &fam_sessions, NULL, (const char *const[]){ "direction", "incoming", NULL },
		   fmt_u64(v, sizeof(v), inc));
}

/* A session's series: bytes, pages, files. */
struct sess_row {
	char label[LU_NAME_LEN];
	__u64 v[3];
};

static int row_by_label(const void *a, const void *b)
{
	return strcmp(((const struct sess_row *)a)->label, ((const struct sess_row *)b)->label);
}

/* Most bytes first; by name among equals, so that the choice is stable. */
static int row_by_bytes(const void *a, const void *b)
{
	const struct sess_row *x = a, *y = b;

	if (x->v[0] != y->v[0])
		return x->v[0] > y->v[0] ? -1 : 1;
	return strcmp(x->label, y->label);
}

/*
 * liveupdate_{preserved,restored}_{bytes,pages,files}{session}: the
 * @in->max_sessions sessions with the most bytes by name, the others
 * summed under session="_other" (a session of that name too).
 */
static int put_sessions(FILE *f, const struct lu_export_input *in, bool incoming, bool om)
{
	const struct lu_snapshot *snap = in->snap;
	struct sess_row *rows, other = { .label = OTHER_SESSIONS };
	size_t n = 0, i, j, shown;
	bool has_other = false;
	char v[32];

	rows = calloc(snap->nr_sessions ? snap->nr_sessions : 1, sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	for (i = 0; i < snap->nr_sessions; i++) {
		const struct lu_session *s = &snap->sessions[i];
		struct sess_row *r = &rows[n];

		if (incoming ? !session_incoming(s) : !session_outgoing(s))
			continue;
		session_label(s, r->label, sizeof(r->label));
		r->v[0] = incoming ? s->restored_bytes : s->preserved_bytes;
		r->v[1] = incoming ? s->restored_pages : s->preserved_pages;
		r->v[2] = incoming ? s->files[LU_OP_RETRIEVE] : session_preserved_files(s);
		if (!strcmp(r->label, OTHER_SESSIONS)) {
			for (j = 0; j < 3; j++)
				other.v[j] += r->v[j];
			has_other = true;
			continue;
		}
		n++;
	}
	/* One series per label, even if two sessions end up with the same. */
	qsort(rows, n, sizeof(*rows), row_by_label);
	for (i = 0, j = 0; i < n; i++) {
		if (j && !strcmp(rows[j - 1].label, rows[i].label)) {
			for (int k = 0; k < 3; k++)
				rows[j - 1].v[k] += rows[i].v[k];
			continue;
		}
		rows[j++] = rows[i];
	}
	n = j;
	qsort(rows, n, sizeof(*rows), row_by_bytes);
	shown = n < in->max_sessions ? n : in->max_sessions;
	for (i = shown; i < n; i++) {
		for (j = 0; j < 3; j++)
			other.v[j] += rows[i].v[j];
		has_other = true;
	}

	for (j = 0; (shown || has_other) && j < 3; j++) {
		const struct fam *m = &fam_session[incoming][j];

		put_meta(f, m, om);
		for (i = 0; i < shown; i++)
			put_sample(f, m, NULL,
				   (const char *const[]){ "session", rows[i].label, NULL },
				   fmt_u64(v, sizeof(v), rows[i].v[j]));
		if (has_other)
			put_sample(f, m, NULL,
				   (const char *const[]){ "session", other.label, NULL },
				   fmt_u64(v, sizeof(v), other.v[j]));
	}
	free(rows);
	return 0;
}

/*
 * liveupdate_operation_duration_seconds{op}: the log2 slots of all
 * sessions. Slot i holds 2^(i-1) < d <= 2^i ns, i.e. le="2^i ns"; the last
 * slot also holds everything longer, so it only counts in le="+Inf".
 * Freezing runs inside reboot(), where BPF output cannot be read: with no
 * freeze seen here, op="freeze" is the previous kernel's freeze histogram
 * from the blackout record (@b, may be NULL).
 */
static void put_durations(FILE *f, const struct lu_snapshot *snap, const struct lu_blackout *b,
			  bool om)
{
	char v[32], le[32];

	put_meta(f, &fam_duration, om);
	for (int op = 0; op < LU_OP_NR; op++) {
		struct lu_hist h = { 0 };
		int high = -1, last;
		__u64 cum = 0, seen = 0;

		for (size_t i = 0; i < snap->nr_sessions; i++) {
			const struct lu_hist *src = &snap->sessions[i].hist[op];

			for (int k = 0; k < LU_MAX_SLOTS; k++)
				h.slots[k] += src->slots[k];
			h.sum_ns += src->sum_ns;
		}
		for (int k = 0; k < LU_MAX_SLOTS; k++)
			seen += h.slots[k];
		if (op == LU_OP_FREEZE && !seen && b && b->freeze.count) {
			memcpy(h.slots, b->freeze.slots, sizeof(h.slots));
			h.sum_ns = b->freeze.sum_ns;
		}
		for (int k = 0; k < LU_MAX_SLOTS; k++)
			if (h.slots[k])
				high = k;
		last = high < LU_MAX_SLOTS - 2 ? high : LU_MAX_SLOTS - 2;
		for (int k = 0; k <= last; k++) {
			cum += h.slots[k];
			put_sample(f, &fam_duration, "_bucket",
				   (const char *const[]){ "op", lu_op_names[op], "le",
							  fmt_le(le, sizeof(le), k), NULL },
				   fmt_u64(v, sizeof(v), cum));
		}
		/* count: the sum of the slots, so that it is the +Inf bucket */
		for (int k = 0; k < LU_MAX_SLOTS; k++)
			h.count += h.slots[k];
		put_sample(f, &fam_duration, "_bucket",
			   (const char *const[]){ "op", lu_op_names[op], "le", "+Inf", NULL },
			   fmt_u64(v, sizeof(v), h.count));
		put_sample(f, &fam_duration, "_sum",
			   (const char *const[]){ "op", lu_op_names[op], NULL },
			   fmt_sec(v, sizeof(v), h.sum_ns));
		put_sample(f, &fam_duration, "_count",
			   (const char *const[]){ "op", lu_op_names[op], NULL },
			   fmt_u64(v, sizeof(v), h.count));
	}
}

struct err_row {
	const char *step;
	char err[24];
	__u64 count;
};

static int err_row_cmp(const void *a, const void *b)
{
	const struct err_row *x = a, *y = b;
	int c = strcmp(x->step, y->step);

	return c ? c : strcmp(x->err, y->err);
}

static int put_errors(FILE *f, const struct lu_snapshot *snap, bool om)
{
	struct err_row *rows;
	size_t n = 0, i, j;
	char v[32];

	rows = calloc(snap->nr_errs ? snap->nr_errs : 1, sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	for (i = 0; i < snap->nr_errs; i++) {
		const struct lu_err_key *k = &snap->errs[i];

		if (!k->err || !snap->err_counts[i])
			continue;
		rows[n].step = k->step < LU_STEP_NR ? lu_step_names[k->step] : "unknown";
		snprintf(rows[n].err, sizeof(rows[n].err), "%s", lu_errno_name(k->err));
		rows[n++].count = snap->err_counts[i];
	}
	qsort(rows, n, sizeof(*rows), err_row_cmp);
	for (i = 0, j = 0; i < n; i++) {
		if (j && !err_row_cmp(&rows[j - 1], &rows[i]))
			rows[j - 1].count += rows[i].count;
		else
			rows[j++] = rows[i];
	}
	if (j)
		put_meta(f, &fam_errors, om);
	for (i = 0; i < j; i++) {
		const char *const labels[] = { "step", rows[i].step, "errno", rows[i].err, NULL };

		put_sample(f, &fam_errors, NULL, labels, fmt_u64(v, sizeof(v), rows[i].count));
	}
	free(rows);
	return 0;
}

int lu_export_render(FILE *f, const struct lu_export_input *in, bool om)
{
	const struct lu_blackout *b = in->blackout && in->blackout->present ? in->blackout : NULL;
	char v[32];
	int err = 0;

	if (b)
		put_blackout(f, in, b, om);
	put_in_progress(f, in, b, om);
	if (in->snap) {
		put_session_counts(f, in->snap, om);
		err = put_sessions(f, in, false, om);
		if (!err)
			err = put_sessions(f, in, true, om);
		if (err)
			return err;
		put_durations(f, in->snap, b, om);
		err = put_errors(f, in->snap, om);
		if (err)
			return err;
	}
	if (in->kho.has_preserved) {
		put_meta(f, &fam_kho_preserved, om);
		put_sample(f, &fam_kho_preserved, NULL, NULL,
			   fmt_u64(v, sizeof(v), in->kho.preserved_bytes));
	}
	if (in->kho.has_scratch) {
		put_meta(f, &fam_kho_scratch, om);
		put_sample(f, &fam_kho_scratch, NULL, NULL,
			   fmt_u64(v, sizeof(v), in->kho.scratch_bytes));
	}
	if (in->nr_formats)
		put_meta(f, &fam_format, om);
	for (unsigned int i = 0; i < in->nr_formats; i++) {
		const struct lu_export_format *fm = &in->formats[i];
		char ver[16];

		if (fm->version) {
			snprintf(ver, sizeof(ver), "%u", fm->version);
			put_sample(f, &fam_format, NULL, (const char *const[]){ "format", fm->name,
				   "version", ver, "direction", "write", NULL }, "1");
		}
		if (fm->incoming) {
			snprintf(ver, sizeof(ver), "%u", fm->incoming);
			put_sample(f, &fam_format, NULL, (const char *const[]){ "format", fm->name,
				   "version", ver, "direction", "incoming", NULL }, "1");
		}
	}
	if (in->release) {
		put_meta(f, &fam_kernel, om);
		put_sample(f, &fam_kernel, NULL,
			   (const char *const[]){ "release", in->release, NULL }, "1");
	}
	put_meta(f, &fam_build, om);
	put_sample(f, &fam_build, NULL, (const char *const[]){ "version", LU_TRACE_VERSION, NULL },
		   "1");
	if (in->snap) {
		put_meta(f, &fam_lost, om);
		put_sample(f, &fam_lost, NULL, NULL, fmt_u64(v, sizeof(v), in->snap->global.drops));
	}
	if (om)
		fputs("# EOF\n", f);
	return ferror(f) ? -EIO : 0;
}

/* ---------------------------------------------------------------------- */
/* KHO (debugfs)                                                           */
/* ---------------------------------------------------------------------- */

/* A small file, NUL-terminated. Return: its length or a negative errno. */
static ssize_t read_small(const char *dir, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];
	size_t n = 0;
	int fd, err;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (n < len - 1) {
		ssize_t r = read(fd, buf + n, len - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			close(fd);
			return err;
		}
		if (!r)
			break;
		n += r;
	}
	close(fd);
	buf[n] = '\0';
	return n == len - 1 ? -EFBIG : (ssize_t)n;
}

/* The next number of a line, in @base; no sign. */
static bool next_u64(const char **p, int base, __u64 *v)
{
	const char *s = *p;
	unsigned long long x;
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	x = strtoull(s, &end, base);
	if (errno || end == s)
		return false;
	*v = x;
	*p = end;
	return true;
}

static bool line_end(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '\n' || !*p;
}

/* "bytes N" among the lines of kho/out/preserved */
static int kho_parse_preserved(const char *text, __u64 *bytes)
{
	for (const char *p = text; *p; p = strchrnul(p, '\n'), p += !!*p) {
		const char *q = p + 6;

		if (strncmp(p, "bytes ", 6))
			continue;
		return next_u64(&q, 10, bytes) && line_end(q) ? 0 : -EINVAL;
	}
	return -EINVAL;
}

/* "<index> <start> <size>" (hex) lines of kho/out/scratch, sizes summed */
static int kho_parse_scratch(const char *text, __u64 *bytes)
{
	*bytes = 0;
	for (const char *p = text; *p; p = strchrnul(p, '\n'), p += !!*p) {
		__u64 idx, start, size;
		const char *q = p;

		if (line_end(q))
			continue;
		if (!next_u64(&q, 10, &idx) || !next_u64(&q, 16, &start) ||
		    !next_u64(&q, 16, &size) || !line_end(q))
			return -EINVAL;
		if (__builtin_add_overflow(*bytes, size, bytes))
			return -EOVERFLOW;
	}
	return 0;
}

int lu_export_kho_read(const char *dir, struct lu_export_kho *kho)
{
	char buf[16384];
	ssize_t n;
	int err, ret = 0;

	memset(kho, 0, sizeof(*kho));
	n = read_small(dir, "preserved", buf, sizeof(buf));
	err = n < 0 ? (int)n : kho_parse_preserved(buf, &kho->preserved_bytes);
	if (err)
		ret = err;
	else
		kho->has_preserved = true;
	n = read_small(dir, "scratch", buf, sizeof(buf));
	err = n < 0 ? (int)n : kho_parse_scratch(buf, &kho->scratch_bytes);
	if (err)
		ret = ret ? ret : err;
	else
		kho->has_scratch = true;
	if (!kho->has_preserved)
		kho->preserved_bytes = 0;
	if (!kho->has_scratch)
		kho->scratch_bytes = 0;
	return ret;
}

/* A version file: "N" or "none"; 0 for none or anything unreadable. */
static unsigned int read_version(const char *dir, const char *name)
{
	char buf[32];
	unsigned long v;
	char *end;

	if (read_small(dir, name, buf, sizeof(buf)) <= 0)
		return 0;
	v = strtoul(buf, &end, 10);
	return (end != buf && (*end == '\n' || !*end) && v <= 63) ? v : 0;
}

static int format_cmp(const void *a, const void *b)
{
	return strcmp(((const struct lu_export_format *)a)->name,
		      ((const struct lu_export_format *)b)->name);
}

unsigned int lu_export_formats_read(const char *dir, struct lu_export_format *formats)
{
	char sub[PATH_MAX];
	struct dirent *de;
	unsigned int n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while (n < LU_EXPORT_FORMATS_MAX && (de = readdir(d))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(formats[n].name))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		snprintf(formats[n].name, sizeof(formats[n].name), "%s", de->d_name);
		formats[n].version = read_version(sub, "version");
		formats[n].incoming = read_version(sub, "incoming");
		n++;
	}
	closedir(d);
	/* Stable output: by name. */
	qsort(formats, n, sizeof(*formats), format_cmp);
	return n;
}

/* ---------------------------------------------------------------------- */
/* Collecting                                                              */
/* ---------------------------------------------------------------------- */

struct exporter {
	struct lu_trace_bpf *skel;
	unsigned int max_sessions;
	struct utsname uts;
	int blackout_err;	/* reported already */
	struct lu_export_format formats[LU_EXPORT_FORMATS_MAX];
};

static __s64 clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (__s64)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Read everything now and write the metrics to @f. Errors are reported. */
static int collect(struct exporter *x, FILE *f, bool om)
{
	struct lu_export_input in = {
		.release = x->uts.release[0] ? x->uts.release : NULL,
		.max_sessions = x->max_sessions,
	};
	struct lu_snapshot snap;
	struct lu_blackout b;
	int err;

	err = lu_snapshot_read(x->skel, &snap);
	if (err) {
		fprintf(stderr, "lu-trace export: reading the BPF maps: %s\n", strerror(-err));
		return err;
	}
	in.snap = &snap;
	err = lu_blackout_read(&b, NULL, 0);
	if (err && err != x->blackout_err)
		fprintf(stderr, "lu-trace export: %s: %s; its metrics are left out\n",
			LU_BLACKOUT_PATH, err == -EINVAL ? "unexpected format" : strerror(-err));
	x->blackout_err = err;
	in.blackout = err ? NULL : &b;
	lu_export_kho_read(LU_EXPORT_KHO_DIR, &in.kho);
	in.nr_formats = lu_export_formats_read(LU_EXPORT_FORMATS_DIR, x->formats);
	in.formats = x->formats;
	in.realtime_ns = clock_ns(CLOCK_REALTIME);
	in.monotonic_ns = clock_ns(CLOCK_MONOTONIC);
	err = lu_export_render(f, &in, om);
	if (err)
		fprintf(stderr, "lu-trace export: writing the metrics: %s\n", strerror(-err));
	lu_snapshot_free(&snap);
	return err;
}

/* ---------------------------------------------------------------------- */
/* Textfile                                                                */
/* ---------------------------------------------------------------------- */

/* @path's directory in @dir, and its last component. */
static int split_path(const char *path, char *dir, size_t len, const char **base)
{
	const char *slash = strrchr(path, '/');
	int n;

	if (!slash)
		n = snprintf(dir, len, ".");
	else if (slash == path)
		n = snprintf(dir, len, "/");
	else
		n = snprintf(dir, len, "%.*s", (int)(slash - path), path);
	*base = slash ? slash + 1 : path;
	if (n >= (int)len)
		return -ENAMETOOLONG;
	return **base && strcmp(*base, ".") && strcmp(*base, "..") ? 0 : -EISDIR;
}

/* A temporary file next to @path, named so that node_exporter skips it. */
static int temp_file(const char *path, char *tmp, size_t len, char *dir, size_t dlen)
{
	const char *base;
	int err, fd;

	err = split_path(path, dir, dlen, &base);
	if (err)
		return err;
	if (snprintf(tmp, len, "%s/.%s.XXXXXX", dir, base) >= (int)len)
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* At startup: can we write there at all? */
static int textfile_check(const char *path)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const char *base;
	struct stat st;
	int fd;

	if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
		fprintf(stderr, "lu-trace export: %s: %s\n", path, strerror(EISDIR));
		return -EISDIR;
	}
	fd = temp_file(path, tmp, sizeof(tmp), dir, sizeof(dir));
	if (fd == -EISDIR) {
		fprintf(stderr, "lu-trace export: %s: not a file name\n", path);
		return fd;
	}
	if (fd < 0) {
		fprintf(stderr, "lu-trace export: cannot write the textfile in %s: %s\n",
			fd == -ENAMETOOLONG ? path : dir, strerror(-fd));
		return fd;
	}
	close(fd);
	unlink(tmp);
	split_path(path, dir, sizeof(dir), &base);
	if (strlen(base) < 6 || strcmp(base + strlen(base) - 5, ".prom"))
		fprintf(stderr,
			"lu-trace export: note: node_exporter only reads files named *.prom\n");
	return 0;
}

/* Write the textfile atomically: a temporary file, fsync, rename. */
static int textfile_write(struct exporter *x, const char *path)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	int fd, dfd, err = 0;
	FILE *f;

	fd = temp_file(path, tmp, sizeof(tmp), dir, sizeof(dir));
	if (fd < 0) {
		fprintf(stderr, "lu-trace export: cannot write the textfile in %s: %s\n", dir,
			strerror(-fd));
		return fd;
	}
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto out;
	}
	err = collect(x, f, false);
	if (err) {
		fclose(f);
		goto out_unlink;
	}
	if (fflush(f) || fsync(fd) || fchmod(fd, 0644))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
out:
	if (err)
		fprintf(stderr, "lu-trace export: writing %s: %s\n", path, strerror(-err));
out_unlink:
	if (err) {
		unlink(tmp);
		return err;
	}
	/* The rename itself, on disk. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

static __s64 now_ms(void)
{
	return clock_ns(CLOCK_MONOTONIC) / 1000000;
}

static void sleep_until(__s64 end_ms)
{
	for (__s64 left; !lu_exiting && (left = end_ms - now_ms()) > 0;)
		poll(NULL, 0, left < 500 ? (int)left : 500);
}

static int textfile_run(struct exporter *x, const char *path, double interval, bool once)
{
	int err;

	for (;;) {
		__s64 next = now_ms() + (__s64)(interval * 1000);

		err = textfile_write(x, path);
		if (once || lu_exiting)
			return err;
		sleep_until(next);
		if (lu_exiting)
			return 0;
	}
}

/* ---------------------------------------------------------------------- */
/* HTTP                                                                    */
/* ---------------------------------------------------------------------- */

struct http_conn {
	int fd;
	size_t len;
	__s64 deadline_ms;
	char buf[HTTP_REQ_MAX + 1];
};

enum http_end { HTTP_DONE, HTTP_EOF, HTTP_FULL, HTTP_TIMEOUT };

static const char http_index[] =
"<!DOCTYPE html>\n"
"<html><head><title>lu-trace export</title></head>\n"
"<body><h1>lu-trace export</h1>\n"
"<p>Live update metrics: <a href=\"/metrics\">/metrics</a></p></body></html>\n";

static void fmt_hostport(char *buf, size_t len, const char *addr, const char *port)
{
	snprintf(buf, len, strchr(addr, ':') ? "[%s]:%s" : "%s:%s", addr, port);
}

/*
 * Return: the listening socket, or -1 (reported). Numeric addresses only
 * (and "localhost"): no name service in a static binary.
 */
static int http_listen(const char *addr, const char *port, char *where, size_t wlen)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	size_t n = strlen(addr);
	char host[INET6_ADDRSTRLEN + 8];
	socklen_t len;
	int fd, one = 1;

	if (!strcmp(addr, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	else if (n > 2 && addr[0] == '[' && addr[n - 1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)(n - 2), addr + 1);
	else
		snprintf(host, sizeof(host), "%s", addr);
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(atoi(port));
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(atoi(port));
		len = sizeof(*sin6);
	} else {
		fprintf(stderr, "lu-trace export: invalid address '%s': %s\n", addr,
			"not an IPv4 or IPv6 address");
		return -1;
	}
	fmt_hostport(where, wlen, host, port);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (!bind(fd, (struct sockaddr *)&ss, len) && !listen(fd, 64))
			return fd;
		one = errno;
		close(fd);
		errno = one;
	}
	fprintf(stderr, "lu-trace export: cannot listen on %s: %s\n", where, strerror(errno));
	return -1;
}

static int send_all(int fd, const char *p, size_t len, int flags)
{
	while (len) {
		ssize_t n = send(fd, p, len, flags | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= n;
	}
	return 0;
}

static void http_reply(int fd, int code, const char *reason, const char *type,
		       const char *extra, const char *body, size_t len)
{
	char hdr[512];
	int n;

	n = snprintf(hdr, sizeof(hdr),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
		     "Connection: close\r\n\r\n", code, reason, type, len, extra ? extra : "");
	if (!send_all(fd, hdr, n, len ? MSG_MORE : 0) && len)
		send_all(fd, body, len, 0);
}

static void http_error(int fd, int code, const char *reason, const char *extra)
{
	char body[64];
	int n = snprintf(body, sizeof(body), "%d %s\n", code, reason);

	http_reply(fd, code, reason, "text/plain; charset=utf-8", extra, body, n);
}

/* "METHOD /target HTTP/1.x", split in place. Return: 0 or -1 if malformed. */
static int http_parse_line(char *line, char **method, char **target)
{
	size_t n = strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
	char *p;

	if (!n || n > 16 || line[n] != ' ')
		return -1;
	line[n] = '\0';
	*method = line;
	p = line + n + 1;
	if (*p != '/')
		return -1;
	*target = p;
	while ((unsigned char)*p > ' ' && (unsigned char)*p < 0x7f)
		p++;
	if (*p != ' ')
		return -1;
	*p++ = '\0';
	return strcmp(p, "HTTP/1.1") && strcmp(p, "HTTP/1.0") ? -1 : 0;
}

/*
 * The 0.0.4 text format only for a client that asks for text/plain and
 * accepts neither OpenMetrics nor anything: OpenMetrics otherwise.
 */
static bool http_wants_text(const char *headers)
{
	bool text = false;

	for (const char *p = headers, *e; *p; p = e + !!*e) {
		char v[1024];

		e = strchrnul(p, '\n');
		if (strncasecmp(p, "accept:", 7))
			continue;
		snprintf(v, sizeof(v), "%.*s", (int)(e - p - 7), p + 7);
		text = strcasestr(v, "text/plain") && !strcasestr(v, "*/*") &&
		       !strcasestr(v, "application/openmetrics-text");
	}
	return text;
}

static void http_metrics(struct exporter *x, int fd, bool om)
{
	char *body = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	f = open_memstream(&body, &len);
	if (!f) {
		http_error(fd, 500, "Internal Server Error", NULL);
		return;
	}
	err = collect(x, f, om);
	if (fclose(f) && !err)
		err = -ENOMEM;
	if (err)
		http_error(fd, 500, "Internal Server Error", NULL);
	else
		http_reply(fd, 200, "OK", om ? HTTP_OPENMETRICS : HTTP_TEXT_004, NULL, body, len);
	free(body);
}

static void http_handle(struct exporter *x, struct http_conn *c, enum http_end how)
{
	char *nl = memchr(c->buf, '\n', c->len), *method, *target, *q;
	struct timeval tv = { .tv_sec = HTTP_TIMEOUT_MS / 1000 };
	int fl = fcntl(c->fd, F_GETFL);
	size_t len;

	/* Answer with blocking writes, but not forever. */
	if (fl >= 0)
		fcntl(c->fd, F_SETFL, fl & ~O_NONBLOCK);
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (how == HTTP_TIMEOUT) {
		http_error(c->fd, 408, "Request Timeout", NULL);
		return;
	}
	if (!nl) {
		http_error(c->fd, 400, "Bad Request", NULL);
		return;
	}
	len = nl - c->buf;
	*nl = '\0';
	if (len && c->buf[len - 1] == '\r')
		c->buf[--len] = '\0';
	/* No NUL in the line, and a well-formed one */
	if (strlen(c->buf) != len || http_parse_line(c->buf, &method, &target)) {
		http_error(c->fd, 400, "Bad Request", NULL);
		return;
	}
	if (how == HTTP_FULL) {
		http_error(c->fd, 431, "Request Header Fields Too Large", NULL);
		return;
	}
	if (strcmp(method, "GET")) {
		http_error(c->fd, 405, "Method Not Allowed", "Allow: GET\r\n");
		return;
	}
	q = strchr(target, '?');
	if (q)
		*q = '\0';
	if (!strcmp(target, "/metrics"))
		http_metrics(x, c->fd, !http_wants_text(nl + 1));
	else if (!strcmp(target, "/"))
		http_reply(c->fd, 200, "OK", "text/html; charset=utf-8", NULL, http_index,
			   sizeof(http_index) - 1);
	else
		http_error(c->fd, 404, "Not Found", NULL);
}

/* Close, after reading what the client sent (a reset could lose the answer). */
static void http_close(struct http_conn *c)
{
	char junk[4096];

	shutdown(c->fd, SHUT_WR);
	for (int i = 0; i < 16 && recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT) > 0; i++)
		;
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

static void http_read(struct exporter *x, struct http_conn *c)
{
	ssize_t n = recv(c->fd, c->buf + c->len, HTTP_REQ_MAX - c->len, 0);
	enum http_end how;

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n < 0 || (!n && !c->len)) {
		http_close(c);		/* reset, or gone without a word */
		return;
	}
	c->len += n;
	c->buf[c->len] = '\0';
	if (memmem(c->buf, c->len, "\r\n\r\n", 4) || memmem(c->buf, c->len, "\n\n", 2))
		how = HTTP_DONE;
	else if (!n)
		how = HTTP_EOF;
	else if (c->len == HTTP_REQ_MAX)
		how = HTTP_FULL;
	else
		return;
	http_handle(x, c, how);
	http_close(c);
}

static void http_accept(int lfd, struct http_conn *conns)
{
	for (int i = 0; i < HTTP_MAX_CONNS; i++) {
		int fd;

		if (conns[i].fd >= 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				fprintf(stderr, "lu-trace export: accept: %s\n", strerror(errno));
				poll(NULL, 0, 100);
			}
			return;
		}
		conns[i].fd = fd;
		conns[i].len = 0;
		conns[i].deadline_ms = now_ms() + HTTP_TIMEOUT_MS;
	}
}

/*
 * One thread, up to HTTP_MAX_CONNS clients reading their request at once
 * (so a slow one does not hold the scrapes up); each answer is written in
 * one go and the connection closed. Stops on SIGINT or SIGTERM.
 */
static int http_serve(struct exporter *x, int lfd)
{
	struct pollfd pfd[HTTP_MAX_CONNS + 1];
	int idx[HTTP_MAX_CONNS + 1], i, n, err = 0;
	struct http_conn *conns;

	conns = calloc(HTTP_MAX_CONNS, sizeof(*conns));
	if (!conns)
		return -ENOMEM;
	for (i = 0; i < HTTP_MAX_CONNS; i++)
		conns[i].fd = -1;
	while (!lu_exiting) {
		__s64 now = now_ms(), timeout = 500, left;

		for (i = 0, n = 1; i < HTTP_MAX_CONNS; i++) {
			if (conns[i].fd < 0)
				continue;
			pfd[n] = (struct pollfd){ .fd = conns[i].fd, .events = POLLIN };
			idx[n++] = i;
			left = conns[i].deadline_ms - now;
			if (left < timeout)
				timeout = left > 0 ? left : 0;
		}
		pfd[0] = (struct pollfd){ .fd = lfd, .events = n <= HTTP_MAX_CONNS ? POLLIN : 0 };
		if (poll(pfd, n, (int)timeout) < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			fprintf(stderr, "lu-trace export: poll: %s\n", strerror(errno));
			break;
		}
		now = now_ms();
		for (i = 1; i < n; i++) {
			struct http_conn *c = &conns[idx[i]];

			if (pfd[i].revents) {
				http_read(x, c);
			} else if (now >= c->deadline_ms) {
				http_handle(x, c, HTTP_TIMEOUT);
				http_close(c);
			}
		}
		if (pfd[0].revents & POLLIN)
			http_accept(lfd, conns);
	}
	for (i = 0; i < HTTP_MAX_CONNS; i++)
		if (conns[i].fd >= 0)
			close(conns[i].fd);
	free(conns);
	return err;
}

/* ---------------------------------------------------------------------- */
/* The command                                                             */
/* ---------------------------------------------------------------------- */

struct export_args {
	const char *address;
	char port[8];
	const char *textfile;
	double interval;
	unsigned int max_sessions;
	bool once;
	bool http_set;		/* -a or -p given */
	bool interval_set;
};

enum { OPT_MAX_SESSIONS = 0x100, OPT_ONCE };

static const char export_doc[] =
"Export the live update metrics for Prometheus.\n"
"\n"
"USAGE: lu-trace export [-a ADDR] [-p PORT] [--max-sessions N]\n"
"       lu-trace export -t PATH [-i SEC] [--once] [--max-sessions N]\n"
"       lu-trace export --once\n"
"\n"
"Serves OpenMetrics on http://ADDR:PORT/metrics (the 0.0.4 text format to a\n"
"client that only accepts text/plain), or writes the metrics in the text\n"
"format to PATH for node_exporter's textfile collector, atomically, every SEC\n"
"seconds. --once without -t prints the OpenMetrics text and exits. The names\n"
"are those of the dashboards and alert rules in dashboards/.\n"
"\n"
"The update counters and the last blackout with its phases come from\n"
"/sys/kernel/liveupdate/blackout, the KHO memory from debugfs (left out\n"
"when it is not mounted). Sessions, operation latencies and errors come\n"
"from BPF programs on the liveupdate trace events: they only see what\n"
"happens after export started, so start it at boot, before the workload\n"
"retrieves or creates its sessions (with --once, only the blackout and KHO\n"
"numbers mean much). Needs root.\n"
"\n"
"EXAMPLES:\n"
"    lu-trace export                      # http://127.0.0.1:9464/metrics\n"
"    lu-trace export -a 0.0.0.0 -p 9464   # for a Prometheus on another host\n"
"    lu-trace export -t /var/lib/prometheus/node-exporter/liveupdate.prom\n"
"    lu-trace export --once -t liveupdate.prom   # write it once (cron)\n"
"    lu-trace export --once | grep blackout      # print the metrics once\n";

static const struct argp_option export_opts[] = {
	{ "address", 'a', "ADDR", 0, "Listen on ADDR, IPv4 or IPv6 (default 127.0.0.1)", 0 },
	{ "port", 'p', "PORT", 0, "Listen on PORT (default 9464)", 0 },
	{ "textfile", 't', "PATH", 0, "Write the metrics to PATH (node_exporter textfile)", 0 },
	{ "interval", 'i', "SEC", 0, "Rewrite the textfile every SEC seconds (default 15)", 0 },
	{ "max-sessions", OPT_MAX_SESSIONS, "N", 0,
	  "Series for the N sessions with the most bytes, the rest summed as session=\"_other\" "
	  "(default 16)", 0 },
	{ "once", OPT_ONCE, NULL, 0, "Write the textfile (without -t: print the metrics) and exit",
	  0 },
	{},
};

static error_t export_parse(int key, char *arg, struct argp_state *state)
{
	struct export_args *a = state->input;
	unsigned long v;
	char *end;

	errno = 0;
	switch (key) {
	case 'a':
		if (!*arg)
			argp_error(state, "invalid address ''");
		a->address = arg;
		a->http_set = true;
		break;
	case 'p':
		v = strtoul(arg, &end, 10);
		if (errno || *end || *arg < '0' || *arg > '9' || !v || v > 65535)
			argp_error(state, "invalid port '%s'", arg);
		snprintf(a->port, sizeof(a->port), "%lu", v);
		a->http_set = true;
		break;
	case 't':
		if (!*arg)
			argp_error(state, "invalid textfile ''");
		a->textfile = arg;
		break;
	case 'i':
		a->interval = lu_arg_seconds(state, arg, "interval", 0.1, 86400);
		a->interval_set = true;
		break;
	case OPT_MAX_SESSIONS:
		a->max_sessions = lu_arg_count(state, arg, "session count", 100000);
		break;
	case OPT_ONCE:
		a->once = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (a->textfile && a->http_set)
			argp_error(state, "--address and --port are for HTTP, not --textfile");
		if (!a->textfile && a->once && a->http_set)
			argp_error(state, "--once without --textfile takes no --address or --port");
		if (!a->textfile && a->interval_set)
			argp_error(state, "--interval is for --textfile");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int cmd_export(int argc, char **argv)
{
	static const struct argp argp = {
		.options = export_opts, .parser = export_parse, .doc = export_doc,
	};
	struct export_args a = {
		.address = "127.0.0.1", .port = "9464", .interval = 15, .max_sessions = 16,
	};
	struct lu_bpf_opts o = { 0 };
	struct exporter x = { 0 };
	struct lu_blackout b;
	int lfd = -1, err, ret = 1;
	char where[128];

	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return 1;
	/* What the user asked for can fail: check it before loading anything. */
	if (a.textfile) {
		if (textfile_check(a.textfile))
			return 1;
	} else if (!a.once) {
		lfd = http_listen(a.address, a.port, where, sizeof(where));
		if (lfd < 0)
			return 1;
	}
	x.skel = lu_bpf_start("export", &o);
	if (!x.skel)
		goto out;
	err = lu_blackout_read(&b, NULL, 0);
	if (err) {
		fprintf(stderr, "lu-trace export: %s: %s\n", LU_BLACKOUT_PATH,
			err == -EINVAL ? "unexpected format" : strerror(-err));
		goto stop;
	}
	if (!b.present) {
		fprintf(stderr, "lu-trace export: %s (no %s)\n",
			"this kernel has no live update blackout accounting", LU_BLACKOUT_PATH);
		goto stop;
	}
	x.max_sessions = a.max_sessions;
	if (uname(&x.uts))
		x.uts.release[0] = '\0';
	lu_install_signals();

	if (a.textfile) {
		err = textfile_run(&x, a.textfile, a.interval, a.once);
	} else if (a.once) {
		err = collect(&x, stdout, true);
		if (!err && fflush(stdout)) {
			err = -errno;
			fprintf(stderr, "lu-trace export: stdout: %s\n", strerror(errno));
		}
	} else {
		printf("lu-trace export: serving http://%s/metrics\n", where);
		fflush(stdout);
		err = http_serve(&x, lfd);
	}
	ret = err ? 1 : 0;
stop:
	lu_bpf_stop(x.skel);
out:
	if (lfd >= 0)
		close(lfd);
	return ret;
}
