/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * lu-trace export: the live update metrics for Prometheus. The rendering
 * is a pure function of its input, so that tests can feed it made-up data.
 */
#ifndef __LU_TRACE_EXPORT_H
#define __LU_TRACE_EXPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#include "lu-trace.h"

#define LU_EXPORT_KHO_DIR	"/sys/kernel/debug/kho/out"

/**
 * struct lu_export_kho - what KHO will hand to the next kernel (debugfs)
 * @has_preserved: @preserved_bytes was read
 * @has_scratch: @scratch_bytes was read
 * @preserved_bytes: memory preserved ("bytes" of kho/out/preserved)
 * @scratch_bytes: the sizes of the kho/out/scratch areas, summed
 */
struct lu_export_kho {
	bool has_preserved;
	bool has_scratch;
	__u64 preserved_bytes;
	__u64 scratch_bytes;
};

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
	struct lu_export_kho kho;
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
 * lu_export_kho_read - read the KHO memory from debugfs
 * @dir: the kho/out directory (LU_EXPORT_KHO_DIR)
 * @kho: the result; what cannot be read is left out (has_* false)
 *
 * Return: 0 if both files were read, else -ENOENT, -EACCES, -EINVAL...
 */
int lu_export_kho_read(const char *dir, struct lu_export_kho *kho);

/* "lu-trace export [OPTIONS]": argv[0] is "lu-trace export". */
int cmd_export(int argc, char **argv);

#endif /* __LU_TRACE_EXPORT_H */
