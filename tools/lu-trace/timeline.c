// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * lu-trace timeline: recordings made on both sides of a kexec on one clock,
 * as Chrome trace event JSON for Perfetto: a track per session, one for
 * LUO and KHO, one for the blackout phases.
 */
#include <argp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lu-trace.h"
#include "record.h"
#include "recording.h"

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
	if (rec_push((void **)t, nr, sizeof(n), &n))
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
