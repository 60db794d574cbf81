// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * lu-trace top: a refreshing view of the sessions being preserved (old
 * kernel) or restored (new kernel), aggregated in BPF maps.
 */
#include <argp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lu-trace.h"
#include "lu_trace.skel.h"

struct top_args {
	double interval;
	long count;
	const char *session;
	unsigned int max_sessions;
	bool no_clear;
};

static int cmp_session(const void *a, const void *b)
{
	const struct lu_session *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static void session_state(const struct lu_session *s, char *buf, size_t len)
{
	if (s->flags & LU_S_FINISHED)
		snprintf(buf, len, "finished");
	else if (s->flags & LU_S_RETRIEVED)
		snprintf(buf, len, "restoring");
	else if (s->flags & LU_S_RELEASED)
		snprintf(buf, len, "closed");
	else if (s->files[LU_OP_FREEZE])
		snprintf(buf, len, "frozen");
	else
		snprintf(buf, len, "preserving");
}

static void print_progress(const struct lu_snapshot *snap, const struct lu_blackout *b)
{
	__u64 pres_files = 0, retr_files = 0, fin = 0, pres_pages = 0, retr_pages = 0;
	__u64 pres_bytes = 0, retr_bytes = 0, errors = 0;
	char t1[32], t2[32];

	for (size_t i = 0; i < snap->nr_sessions; i++) {
		const struct lu_session *s = &snap->sessions[i];

		pres_files += s->files[LU_OP_PRESERVE] - s->unpreserved;
		retr_files += s->files[LU_OP_RETRIEVE];
		fin += !!(s->flags & LU_S_FINISHED);
		pres_pages += s->preserved_pages;
		retr_pages += s->restored_pages;
		pres_bytes += s->preserved_bytes;
		retr_bytes += s->restored_bytes;
		errors += s->errors;
	}
	if (b->present && !strcmp(b->state, "restoring")) {
		printf("Update %lld restoring: %llu/%lld sessions finished, %llu/%lld files retrieved, %s in %llu pages\n",
			b->updates, (unsigned long long)fin, b->sessions,
			(unsigned long long)retr_files, b->files,
			lu_fmt_bytes(t1, sizeof(t1), retr_bytes), (unsigned long long)retr_pages);
	} else if (b->present && b->total_ns >= 0) {
		printf("Update %lld complete: blackout %s; restored %s in %llu pages\n",
		       b->updates, lu_fmt_ns(t1, sizeof(t1), b->total_ns),
		       lu_fmt_bytes(t2, sizeof(t2), retr_bytes), (unsigned long long)retr_pages);
	} else {
		printf("Preserving: %zu sessions, %llu files, %s in %llu pages\n",
		       snap->nr_sessions, (unsigned long long)pres_files,
		       lu_fmt_bytes(t1, sizeof(t1), pres_bytes), (unsigned long long)pres_pages);
	}
	printf("Events %llu, errors %llu, ring buffer drops %llu\n\n",
	       (unsigned long long)(snap->global.events[LU_EV_FILE_PRESERVE] +
				    snap->global.events[LU_EV_FILE_RETRIEVE] +
				    snap->global.events[LU_EV_FILE_FINISH] +
				    snap->global.events[LU_EV_FILE_FREEZE]),
	       (unsigned long long)errors, (unsigned long long)snap->global.drops);
}

static void print_top(struct lu_snapshot *snap, const struct top_args *a)
{
	char now[32], state[16], bytes[16], p[2][16];
	struct lu_blackout b;
	time_t t = time(NULL);

	if (!a->no_clear)
		printf("\033[H\033[2J");
	strftime(now, sizeof(now), "%H:%M:%S", localtime(&t));
	lu_blackout_read(&b, NULL, 0);
	printf("lu-trace top - %s\n", now);
	print_progress(snap, &b);
	qsort(snap->sessions, snap->nr_sessions, sizeof(*snap->sessions), cmp_session);
	/* Latency of what this kernel does: retrieve in the new one, else preserve. */
	printf("%-14s %-10s %5s %5s %7s %9s %9s %9s %3s\n", "SESSION", "STATE", "FILES", "RETR",
	       "PAGES", "BYTES", "p50", "p99", "ERR");
	for (size_t i = 0; i < snap->nr_sessions; i++) {
		const struct lu_session *s = &snap->sessions[i];
		bool in = s->flags & LU_S_RETRIEVED;
		const struct lu_hist *h = &s->hist[in ? LU_OP_RETRIEVE : LU_OP_PRESERVE];
		__u64 pages = in ? s->restored_pages : s->preserved_pages;
		__u64 nbytes = in ? s->restored_bytes : s->preserved_bytes;
		char name[24];

		if (s->name[0])
			snprintf(name, sizeof(name), "%.14s", s->name);
		else
			snprintf(name, sizeof(name), "%014llx", (unsigned long long)s->id);
		session_state(s, state, sizeof(state));
		lu_fmt_ns(p[0], sizeof(p[0]), lu_hist_percentile(h, 50));
		lu_fmt_ns(p[1], sizeof(p[1]), lu_hist_percentile(h, 99));
		printf("%-14s %-10s %5llu %5llu %7llu %9s %9s %9s %3llu\n", name, state,
		       (unsigned long long)(s->files[LU_OP_PRESERVE] - s->unpreserved),
		       (unsigned long long)s->files[LU_OP_RETRIEVE], (unsigned long long)pages,
		       lu_fmt_bytes(bytes, sizeof(bytes), nbytes), h->count ? p[0] : "-",
		       h->count ? p[1] : "-", (unsigned long long)s->errors);
	}
	if (!snap->nr_sessions)
		printf("(no session activity yet)\n");
	for (size_t i = 0; i < snap->nr_errs; i++)
		printf("error: %s %s x%llu\n", snap->errs[i].step < LU_STEP_NR ?
		       lu_step_names[snap->errs[i].step] : "?", lu_errno_name(snap->errs[i].err),
		       (unsigned long long)snap->err_counts[i]);
	fflush(stdout);
}

static const char top_doc[] =
"Live view of the sessions being preserved or restored.\n"
"\n"
"USAGE: lu-trace top [-i SEC] [-n COUNT] [-s NAME] [--no-clear]\n"
"\n"
"Per session: state, files preserved and retrieved, pages and bytes,\n"
"p50/p99 latency of preserve (or of retrieve, once the session was\n"
"retrieved in this kernel), errors; above them the\n"
"progress of the update (from /sys/kernel/liveupdate/blackout).\n"
"\n"
"EXAMPLES:\n"
"    lu-trace top               # refresh every second until Ctrl-C\n"
"    lu-trace top -i 5 -s db    # every 5 s, only session 'db'\n"
"    lu-trace top -n 3 --no-clear  # three refreshes, for logs\n";

static const struct argp_option top_opts[] = {
	{ "interval", 'i', "SEC", 0, "Refresh interval in seconds (default 1)", 0 },
	{ "count", 'n', "COUNT", 0, "Stop after COUNT refreshes", 0 },
	{ "session", 's', "NAME", 0, "Only the session NAME (filtered in BPF)", 0 },
	{ "max-sessions", 'm', "N", 0, "Sessions tracked (default 1024)", 0 },
	{ "no-clear", 'C', NULL, 0, "Do not clear the screen between refreshes", 0 },
	{},
};

static error_t top_parse(int key, char *arg, struct argp_state *state)
{
	struct top_args *a = state->input;

	switch (key) {
	case 'i':
		a->interval = lu_arg_seconds(state, arg, "interval", 0, 0);
		break;
	case 'n':
		a->count = lu_arg_count(state, arg, "count", 1000000);
		break;
	case 's':
		a->session = lu_arg_session(state, arg);
		break;
	case 'm':
		a->max_sessions = lu_arg_count(state, arg, "session count", LU_MAX_SESSIONS);
		break;
	case 'C':
		a->no_clear = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int cmd_top(int argc, char **argv)
{
	static const struct argp argp = {
		.options = top_opts, .parser = top_parse, .doc = top_doc,
	};
	struct top_args a = { .interval = 1, .count = -1 };
	struct lu_bpf_opts o = { 0 };
	struct lu_trace_bpf *skel;
	struct lu_snapshot snap;
	int err = 0;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return 1;
	if (!isatty(STDOUT_FILENO))
		a.no_clear = true;
	o.session = a.session;
	o.max_sessions = a.max_sessions;
	skel = lu_bpf_start("top", &o);
	if (!skel)
		return 1;
	lu_install_signals();
	while (!lu_exiting && a.count) {
		struct timespec ts = {
			.tv_sec = (time_t)a.interval,
			.tv_nsec = (long)((a.interval - (time_t)a.interval) * 1e9),
		};

		nanosleep(&ts, NULL);
		err = lu_snapshot_read(skel, &snap);
		if (err) {
			fprintf(stderr, "lu-trace top: reading the maps: %s\n", strerror(-err));
			break;
		}
		print_top(&snap, &a);
		lu_snapshot_free(&snap);
		if (a.count > 0)
			a.count--;
	}
	lu_bpf_stop(skel);
	return err ? 1 : 0;
}
