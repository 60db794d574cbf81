// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * Fuzz target: what lu-trace's exporter reads: the KHO debugfs files
 * (lu_kho_out_read(), tools/lu-trace/kho.c), the blackout file
 * (lu_blackout_parse(), tools/lu-trace/blackout.c) and HTTP requests (the
 * request line and the Accept header, through http_read() on a socket,
 * tools/lu-trace/http.c); and the rendering of what they gave, in both
 * formats (metrics.c), also as the answers to those requests.
 *
 * http.c is included here, unchanged, because its request reader is
 * static. The BPF snapshot (lu_snapshot_read(), linked with --wrap) comes
 * from the input too: struct lu_session records, names NUL-terminated as
 * the BPF programs write them.
 *
 * Input: regions "preserved" and "scratch" (kho/out files), "blackout"
 * (the sysfs file's text), "sessions" (struct lu_session, back to back),
 * "http" (a request). What must hold: no crash and no sanitizer report.
 */

#include "../../lu-trace/http.c"

#include <signal.h>
#include <sys/socket.h>

#include "fz_input.h"

static struct fz_input in;
static char dir[64];
static struct lu_session *fz_sessions;
static size_t fz_nr_sessions;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	fz_init_quiet();
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "%s/lu-fuzz-export.XXXXXX",
		 tmp && strlen(tmp) < 32 ? tmp : "/tmp");
	if (!mkdtemp(dir))
		fz_bug("mkdtemp %s failed", dir);
	return 0;
}

int __wrap_lu_snapshot_read(struct lu_trace_bpf *skel, struct lu_snapshot *snap);

int __wrap_lu_snapshot_read(struct lu_trace_bpf *skel, struct lu_snapshot *snap)
{
	memset(snap, 0, sizeof(*snap));
	snap->sessions = calloc(fz_nr_sessions + 1, sizeof(*snap->sessions));
	snap->errs = calloc(1, sizeof(*snap->errs));
	snap->err_counts = calloc(1, sizeof(*snap->err_counts));
	if (!snap->sessions || !snap->errs || !snap->err_counts)
		fz_bug("out of memory");
	if (fz_nr_sessions)
		memcpy(snap->sessions, fz_sessions, fz_nr_sessions * sizeof(*fz_sessions));
	snap->nr_sessions = fz_nr_sessions;
	return 0;
}

static void put_file(const char *name, const struct fz_rec *r)
{
	char p[128];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	unlink(p);
	if (!r)
		return;
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, r->data, r->len) != (ssize_t)r->len)
		fz_bug("cannot write %s", p);
	close(fd);
}

static int fz_render(void *ctx, FILE *f, bool om)
{
	return lu_export_render(f, ctx, om);
}

/* A client sends @r and closes; the exporter reads, answers, closes. */
static void http(const struct fz_rec *r, struct lu_export_input *ei)
{
	const struct lu_http_handler h = { .render = fz_render, .ctx = ei };
	static struct http_conn c;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		fz_bug("socketpair failed");
	if (write(sv[1], r->data, r->len < HTTP_REQ_MAX + 100 ? r->len : HTTP_REQ_MAX + 100) < 0)
		fz_bug("cannot send the request");
	close(sv[1]);
	c.fd = sv[0];
	c.len = 0;
	for (int i = 0; i < 8 && c.fd >= 0; i++)
		http_read(&h, &c);
	if (c.fd >= 0)
		close(c.fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lu_export_input ei = { .release = "6.12.117", .max_sessions = 3 };
	const struct fz_rec *r;
	struct lu_snapshot snap;
	struct lu_blackout b;
	FILE *null = stdout;
	char *text;

	fz_input_parse(&in, data, size);
	put_file("preserved", fz_next(&in, "preserved", NULL));
	put_file("scratch", fz_next(&in, "scratch", NULL));
	lu_kho_out_read(dir, &ei.kho);

	r = fz_next(&in, "blackout", NULL);
	if (r) {
		text = calloc(1, r->len + 1);
		memcpy(text, r->data, r->len);
		if (!lu_blackout_parse(text, &b)) {
			ei.blackout = &b;
			lu_blackout_print(null, &b);
			lu_blackout_json(null, &b);
		}
		free(text);
	}

	r = fz_next(&in, "sessions", NULL);
	fz_nr_sessions = r ? r->len / sizeof(struct lu_session) : 0;
	fz_sessions = fz_nr_sessions ? malloc(fz_nr_sessions * sizeof(*fz_sessions)) : NULL;
	for (size_t i = 0; i < fz_nr_sessions; i++) {
		memcpy(&fz_sessions[i], r->data + i * sizeof(*fz_sessions), sizeof(*fz_sessions));
		fz_sessions[i].name[LU_NAME_LEN - 1] = '\0';
	}
	lu_snapshot_read(NULL, &snap);
	ei.snap = &snap;
	lu_export_render(null, &ei, false);
	lu_export_render(null, &ei, true);
	for (r = NULL; (r = fz_next(&in, "http", r));)
		http(r, &ei);
	lu_snapshot_free(&snap);
	free(fz_sessions);
	fflush(null);
	return 0;
}
