// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * lu-trace report: recordings made on both sides of a kexec joined by
 * session: files, pages and bytes, latencies, errors and the blackout, as
 * text or JSON, with the histograms checked against the events.
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lu-trace.h"
#include "record.h"
#include "recording.h"

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
	if (rec_push((void **)&r->sess, &r->nr_sess, sizeof(z), &z))
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
