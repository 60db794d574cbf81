// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * lu-trace export: the live update metrics for Prometheus, served on
 * http://ADDR:PORT/metrics (http.c) or written as a node_exporter textfile.
 *
 * This file is the command: it reads the blackout and the update counters
 * (/sys/kernel/liveupdate/blackout), the format versions
 * (/sys/kernel/liveupdate/formats), the KHO memory (debugfs, through
 * kho.c's reader) and the sessions, latencies and errors the BPF programs
 * saw since export started, has metrics.c render them, and serves or
 * writes the text.
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
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "lu-trace.h"
#include "export.h"
#include "kho.h"

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
	lu_kho_out_read(LU_KHO_OUT_DIR, &in.kho);
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

/* lu_http_serve()'s renderer. */
static int collect_http(void *ctx, FILE *f, bool om)
{
	return collect(ctx, f, om);
}

/* ---------------------------------------------------------------------- */
/* Formats (sysfs)                                                         */
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
		lfd = lu_http_listen(a.address, a.port, where, sizeof(where));
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
		err = lu_http_serve(lfd, &(const struct lu_http_handler){
			.render = collect_http, .ctx = &x });
	}
	ret = err ? 1 : 0;
stop:
	lu_bpf_stop(x.skel);
out:
	if (lfd >= 0)
		close(lfd);
	return ret;
}
