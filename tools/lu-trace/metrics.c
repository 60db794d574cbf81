// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * lu-trace export's metrics: lu_export_render() turns what export read
 * (struct lu_export_input) into OpenMetrics 1.0 or the Prometheus text
 * format 0.0.4. A pure function of its input and the name tables, so that
 * tests feed it made-up kernels. The metric names are those dashboards/
 * and its alert rules use.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lu-trace.h"
#include "export.h"

#define STAMP_FINISHED		(LU_NR_STAMPS - 1)	/* lu_stamp_names[]: "finished" */
#define OTHER_SESSIONS		"_other"

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
