/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * lu-trace export: the live update metrics for Prometheus. metrics.c
 * renders them (a pure function of its input, so that tests can feed it
 * made-up data), http.c serves them, export.c is the command that reads
 * the kernel and runs the two.
 */
#ifndef __LU_TRACE_EXPORT_H
#define __LU_TRACE_EXPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#include "lu-trace.h"
#include "kho.h"

#define LU_EXPORT_FORMATS_DIR	"/sys/kernel/liveupdate/formats"
#define LU_EXPORT_FORMATS_MAX	32

/**
 * struct lu_export_format - a handover format of the running kernel (sysfs)
 * @name: its name (formats/<name>/)
 * @version: the version the next kexec would write it at, 0 for none
 * @incoming: the version the previous kernel wrote it at, 0 for none
 */
struct lu_export_format {
	char name[32];
	unsigned int version;
	unsigned int incoming;
};

/**
 * struct lu_export_input - everything the metrics are made of
 * @snap: the BPF maps; NULL leaves out the session, latency and error metrics
 * @blackout: the blackout file; NULL or !present leaves out its metrics
 * @kho: KHO memory
 * @formats: the handover formats, @nr_formats of them (none: left out)
 * @nr_formats: how many
 * @release: the running kernel's release (uname -r), or NULL
 * @max_sessions: per-session series for at most this many sessions per
 *	direction; the others are summed under session="_other"
 * @realtime_ns: CLOCK_REALTIME when the input was read
 * @monotonic_ns: CLOCK_MONOTONIC at the same moment
 */
struct lu_export_input {
	const struct lu_snapshot *snap;
	const struct lu_blackout *blackout;
	struct lu_kho_out kho;
	const struct lu_export_format *formats;
	unsigned int nr_formats;
	const char *release;
	unsigned int max_sessions;
	__s64 realtime_ns;
	__s64 monotonic_ns;
};

/**
 * lu_export_render - write the metrics
 * @f: where
 * @in: what
 * @openmetrics: OpenMetrics 1.0 (HTTP); otherwise the Prometheus text
 *	format 0.0.4 (node_exporter textfile)
 *
 * Uses only @in and the name tables (lu_op_names, lu_step_names,
 * lu_phase_names, lu_errno_name()).
 *
 * Return: 0, -ENOMEM, or -EIO if writing to @f failed.
 */
int lu_export_render(FILE *f, const struct lu_export_input *in, bool openmetrics);

/**
 * lu_export_formats_read - read the handover formats from sysfs
 * @dir: LU_EXPORT_FORMATS_DIR
 * @formats: where, room for LU_EXPORT_FORMATS_MAX
 *
 * Return: how many were read (0 when @dir is missing: an older kernel).
 */
unsigned int lu_export_formats_read(const char *dir, struct lu_export_format *formats);

/**
 * struct lu_http_handler - what lu_http_serve() answers GET /metrics with
 * @render: writes the metrics to @f, OpenMetrics if @om, else the 0.0.4
 *	    text format; returns 0 or a negative errno (answered with a 500)
 * @ctx: passed to @render
 */
struct lu_http_handler {
	int (*render)(void *ctx, FILE *f, bool om);
	void *ctx;
};

/**
 * lu_http_listen - open the listening socket
 * @addr: a numeric IPv4 or IPv6 address (brackets allowed), or "localhost";
 *	  no name service in a static binary
 * @port: the port, decimal
 * @where: "host:port" or "[host]:port" for messages
 * @wlen: room in @where
 *
 * Return: the non-blocking socket, or -1 (reported on stderr).
 */
int lu_http_listen(const char *addr, const char *port, char *where, size_t wlen);

/**
 * lu_http_serve - answer HTTP requests until SIGINT or SIGTERM
 * @lfd: from lu_http_listen()
 * @h: the metrics
 *
 * One thread, up to 16 clients reading their request at once (so a slow
 * one does not hold the scrapes up); each answer is written in one go and
 * the connection closed.
 *
 * Return: 0, or a negative errno if poll() failed.
 */
int lu_http_serve(int lfd, const struct lu_http_handler *h);

/* "lu-trace export [OPTIONS]": argv[0] is "lu-trace export". */
int cmd_export(int argc, char **argv);

#endif /* __LU_TRACE_EXPORT_H */
