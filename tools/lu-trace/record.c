// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * lu-trace record: write the event stream and the final map contents to a
 * file (the format is record.h); recording.c reads them back for report.c
 * and timeline.c.
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
