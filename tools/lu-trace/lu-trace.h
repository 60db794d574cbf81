/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * What the lu-trace subcommands share.
 */
#ifndef __LU_TRACE_TOOL_H
#define __LU_TRACE_TOOL_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#include "lu_trace.h"

#define LU_TRACE_VERSION	"1.0"

#define LU_BLACKOUT_PATH	"/sys/kernel/liveupdate/blackout"
#define LU_NR_STAMPS		9
#define LU_NR_PHASES		8

extern const char *const lu_stamp_names[LU_NR_STAMPS];
extern const char *const lu_phase_names[LU_NR_PHASES];
extern const char *const lu_op_names[LU_OP_NR];
extern const char *const lu_step_names[LU_STEP_NR];
extern const char *const lu_ev_names[LU_EV_NR];
extern bool lu_verbose;

/**
 * struct lu_blackout - /sys/kernel/liveupdate/blackout, parsed
 * @present: the file exists (the kernel has blackout accounting)
 * @state: none, restoring, complete or dropped
 * @updates: live updates completed along the kernel chain
 * @failed: failed ones
 * @from: previous kernel's release
 * @clock_khz: TSC frequency
 * @sessions: sessions handed over
 * @files: files handed over
 * @prev_mono_ns: previous kernel's CLOCK_MONOTONIC at reboot
 * @mono_ns: this kernel's CLOCK_MONOTONIC at reboot
 * @stamp: ns since reboot, -1 if absent
 * @phase: ns, -1 if absent
 * @total_ns: -1 unless complete
 * @freeze: the previous kernel's per-file freeze durations (a log2
 *	    histogram like the BPF ones; count 0 if the kernel has none)
 */
struct lu_blackout {
	bool present;
	char state[16];
	long long updates, failed;
	char from[80];
	long long clock_khz, sessions, files;
	long long prev_mono_ns, mono_ns;
	long long stamp[LU_NR_STAMPS];
	long long phase[LU_NR_PHASES];
	long long total_ns;
	struct lu_hist freeze;
};

/* blackout.c */
int lu_blackout_parse(const char *text, struct lu_blackout *b);
int lu_blackout_read(struct lu_blackout *b, char *text, size_t len);
void lu_blackout_print(FILE *f, const struct lu_blackout *b);
void lu_blackout_json(FILE *f, const struct lu_blackout *b);
int cmd_blackout(int argc, char **argv);

/**
 * struct lu_snapshot - the BPF maps, read at one moment
 * @sessions: every session seen
 * @nr_sessions: how many
 * @errs: error counts
 * @err_counts: the count of each
 * @nr_errs: how many
 * @global: counts that belong to no session
 * @blackout: the luo_blackout event, if it fired
 */
struct lu_snapshot {
	struct lu_session *sessions;
	size_t nr_sessions;
	struct lu_err_key *errs;
	__u64 *err_counts;
	size_t nr_errs;
	struct lu_global global;
	struct lu_blackout_ev blackout;
};

/* Options of lu_bpf_start(). */
struct lu_bpf_opts {
	const char *session;	/* only this session (by name), or NULL */
	bool stream;		/* stream records through the ring buffer */
	bool kho_blocks;	/* attach the per-block KHO programs */
	unsigned int max_sessions;
	unsigned int buffer_kb;
};

struct lu_trace_bpf;
struct ring_buffer;

/* lu-trace.c */
bool lu_bpf_check(const char *cmd, bool *blackout, bool *flb);
struct lu_trace_bpf *lu_bpf_start(const char *cmd, const struct lu_bpf_opts *o);
void lu_bpf_stop(struct lu_trace_bpf *skel);
int lu_snapshot_read(struct lu_trace_bpf *skel, struct lu_snapshot *snap);
void lu_snapshot_free(struct lu_snapshot *snap);
__u64 lu_session_id(const char *name);
__u64 lu_hist_percentile(const struct lu_hist *h, double p);
void lu_hist_print(FILE *f, const struct lu_hist *h, const char *indent);
void lu_hist_merge(struct lu_hist *dst, const struct lu_hist *src);
void lu_hist_json(FILE *f, const struct lu_hist *h);
const char *lu_fmt_ns(char *buf, size_t len, __u64 ns);
const char *lu_fmt_bytes(char *buf, size_t len, __u64 bytes);
void lu_json_str(FILE *f, const char *s);
__u64 lu_now_ns(int clock);
const char *lu_errno_name(int err);
void lu_install_signals(void);

/*
 * The options several commands share, parsed one way: a session name (-s),
 * a positive number of seconds (no more than @max if @max > 0, at least
 * @min) and a count of at least 1 (no more than @max if @max > 0). A bad
 * one is an argp_error() naming @what, which exits with status 64.
 */
#define LU_MAX_SESSIONS	(1U << 20)	/* -m: at most this many sessions tracked */

struct argp_state;
const char *lu_arg_session(struct argp_state *state, const char *arg);
double lu_arg_seconds(struct argp_state *state, const char *arg, const char *what, double min,
		      double max);
unsigned long lu_arg_count(struct argp_state *state, const char *arg, const char *what,
			   unsigned long max);
extern volatile sig_atomic_t lu_exiting;

/* Subcommands. */
int cmd_top(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_timeline(int argc, char **argv);

#endif /* __LU_TRACE_TOOL_H */
