// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * lu-trace: watch live updates (KHO, LUO, memfd preservation) through the
 * liveupdate trace events. This file: the command dispatcher and what the
 * subcommands share (BPF setup, map snapshots, formatting).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "lu-trace.h"
#include "export.h"
#include "kho.h"
#include "lu_trace.skel.h"

bool lu_verbose;
volatile bool lu_exiting;

const char *const lu_op_names[LU_OP_NR] = { "preserve", "freeze", "retrieve", "finish" };

const char *const lu_step_names[LU_STEP_NR] = {
	"preserve", "unpreserve", "freeze", "unfreeze", "retrieve", "finish", "serialize",
	"deserialize", "session_create", "session_retrieve", "session_finish", "memfd_preserve",
	"memfd_retrieve", "kho_block", "kho",
};

const char *const lu_ev_names[LU_EV_NR] = {
	"session_create", "session_retrieve", "session_finish", "session_release",
	"file_preserve", "file_unpreserve", "file_freeze", "file_unfreeze", "file_retrieve",
	"file_finish", "serialize_begin", "serialize_end", "deserialize", "memfd_preserve",
	"memfd_retrieve", "block_grow", "block_shrink", "block_restore", "subtree_add",
	"subtree_remove", "vmalloc_preserve", "vmalloc_restore", "kho_preserve",
	"kho_unpreserve", "kho_restore", "blackout",
};

/* ---------------------------------------------------------------------- */
/* Small helpers                                                           */
/* ---------------------------------------------------------------------- */

__u64 lu_now_ns(int clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void sig_handler(int sig)
{
	lu_exiting = true;
}

void lu_install_signals(void)
{
	struct sigaction sa = { .sa_handler = sig_handler };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

const char *lu_fmt_ns(char *buf, size_t len, __u64 ns)
{
	if (ns < 10000)
		snprintf(buf, len, "%llu ns", (unsigned long long)ns);
	else if (ns < 10000000)
		snprintf(buf, len, "%.1f us", ns / 1e3);
	else if (ns < 10000000000ULL)
		snprintf(buf, len, "%.1f ms", ns / 1e6);
	else
		snprintf(buf, len, "%.2f s", ns / 1e9);
	return buf;
}

const char *lu_fmt_bytes(char *buf, size_t len, __u64 bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = bytes;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}

void lu_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

const char *lu_errno_name(int err)
{
	static const struct { int err; const char *name; } names[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EIO, "EIO" }, { E2BIG, "E2BIG" },
		{ EBADF, "EBADF" }, { EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" },
		{ EFAULT, "EFAULT" }, { EBUSY, "EBUSY" }, { EEXIST, "EEXIST" },
		{ ENODEV, "ENODEV" }, { EINVAL, "EINVAL" }, { ENOSPC, "ENOSPC" },
		{ ERANGE, "ERANGE" }, { ENOSYS, "ENOSYS" }, { EOPNOTSUPP, "EOPNOTSUPP" },
		{ ETIMEDOUT, "ETIMEDOUT" }, { EOVERFLOW, "EOVERFLOW" }, { ENOTTY, "ENOTTY" },
	};
	static char buf[16];

	err = err < 0 ? -err : err;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].err == err)
			return names[i].name;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

/* ---------------------------------------------------------------------- */
/* Session ids: SipHash-2-4 of the name, with LUO's fixed key              */
/* ---------------------------------------------------------------------- */

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND do {							\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

/**
 * lu_session_id - the id the kernel gives a session of this name
 * @name: the session name
 *
 * Return: SipHash-2-4 of the name (without the NUL) under the key LUO uses
 * (kernel/liveupdate/luo_session.c), the same in every kernel.
 */
__u64 lu_session_id(const char *name)
{
	const __u64 k0 = 0x6c6976657570646aULL, k1 = 0x617465732d696473ULL;
	__u64 v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
	__u64 v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
	const unsigned char *p = (const unsigned char *)name;
	size_t len = strlen(name), i;
	__u64 m, b = (__u64)len << 56;

	for (i = 0; i + 8 <= len; i += 8) {
		m = 0;
		for (int j = 0; j < 8; j++)
			m |= (__u64)p[i + j] << (8 * j);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (int j = 0; i + j < len; j++)
		b |= (__u64)p[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* ---------------------------------------------------------------------- */
/* Histograms                                                              */
/* ---------------------------------------------------------------------- */

/* Upper bound of slot i in ns (see struct lu_hist). */
static __u64 slot_high(int i)
{
	return 1ULL << i;
}

/**
 * lu_hist_percentile - a percentile of a log2 histogram
 * @h: the histogram
 * @p: 0..100
 *
 * Return: the upper bound (ns) of the slot holding it, capped at the
 * largest value seen; 0 if the histogram is empty.
 */
__u64 lu_hist_percentile(const struct lu_hist *h, double p)
{
	__u64 want, seen = 0;

	if (!h->count)
		return 0;
	want = (__u64)(p / 100.0 * h->count + 0.999999);
	if (!want)
		want = 1;
	for (int i = 0; i < LU_MAX_SLOTS; i++) {
		seen += h->slots[i];
		if (seen >= want)
			return slot_high(i) < h->max_ns ? slot_high(i) : h->max_ns;
	}
	return h->max_ns;
}

void lu_hist_merge(struct lu_hist *dst, const struct lu_hist *src)
{
	for (int i = 0; i < LU_MAX_SLOTS; i++)
		dst->slots[i] += src->slots[i];
	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
}

/* A histogram as JSON: count, sum, max, p50, p99 and the slots up to the last used. */
void lu_hist_json(FILE *f, const struct lu_hist *h)
{
	int last = -1;

	fprintf(f, "{\"count\": %llu, \"sum_ns\": %llu, \"max_ns\": %llu, \"p50_ns\": %llu, \"p99_ns\": %llu, \"slots\": [",
		(unsigned long long)h->count, (unsigned long long)h->sum_ns,
		(unsigned long long)h->max_ns, (unsigned long long)lu_hist_percentile(h, 50),
		(unsigned long long)lu_hist_percentile(h, 99));
	for (int i = 0; i < LU_MAX_SLOTS; i++)
		if (h->slots[i])
			last = i;
	for (int i = 0; i <= last; i++)
		fprintf(f, "%s%llu", i ? ", " : "", (unsigned long long)h->slots[i]);
	fprintf(f, "]}");
}

/* The log2 histogram, libbpf-tools style: "low -> high : count |***|". */
void lu_hist_print(FILE *f, const struct lu_hist *h, const char *indent)
{
	int first = -1, last = -1, width = 40;
	__u64 max = 0;
	char lo[32], hi[32];

	for (int i = 0; i < LU_MAX_SLOTS; i++) {
		if (!h->slots[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (h->slots[i] > max)
			max = h->slots[i];
	}
	if (first < 0) {
		fprintf(f, "%s(no samples)\n", indent);
		return;
	}
	fprintf(f, "%s%21s : %-8s distribution\n", indent, "ns", "count");
	for (int i = first; i <= last; i++) {
		int stars = (int)(h->slots[i] * width / max);

		snprintf(lo, sizeof(lo), "%llu", i ? (unsigned long long)slot_high(i - 1) + 1 : 0);
		snprintf(hi, sizeof(hi), "%llu", (unsigned long long)slot_high(i));
		fprintf(f, "%s%10s -> %-8s : %-8llu |%.*s%*s|\n", indent, lo, hi,
			(unsigned long long)h->slots[i], stars,
			"****************************************", width - stars, "");
	}
}

/* ---------------------------------------------------------------------- */
/* BPF                                                                     */
/* ---------------------------------------------------------------------- */

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !lu_verbose)
		return 0;
	if (!lu_verbose && level == LIBBPF_WARN)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* CAP_PERFMON and CAP_BPF, or CAP_SYS_ADMIN, in the effective set. */
static bool have_caps(void)
{
	unsigned long long eff = 0;
	char line[256];
	FILE *f;

	if (geteuid() == 0)
		return true;
	f = fopen("/proc/self/status", "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return (eff & (1ULL << 21)) || ((eff & (1ULL << 38)) && (eff & (1ULL << 39)));
}

static bool btf_has(const struct btf *btf, const char *name)
{
	return btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT) > 0;
}

/**
 * lu_bpf_check - can lu-trace load its programs here?
 * @cmd: the subcommand, for messages
 * @blackout: set to whether the kernel has the luo_blackout event (may be NULL)
 *
 * Checks the privileges, the kernel's BTF and the liveupdate events, and
 * explains on stderr what is missing.
 *
 * Return: true if everything is there.
 */
bool lu_bpf_check(const char *cmd, bool *blackout)
{
	struct btf *btf;

	libbpf_set_print(libbpf_print);
	if (!have_caps()) {
		fprintf(stderr, "lu-trace %s: %s: loading BPF programs needs root (or CAP_BPF and CAP_PERFMON)\n",
			cmd, strerror(EPERM));
		return false;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr, "lu-trace %s: /sys/kernel/btf/vmlinux: %s: this kernel has no BTF (CONFIG_DEBUG_INFO_BTF=y is needed)\n",
			cmd, strerror(errno));
		return false;
	}
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		fprintf(stderr, "lu-trace %s: cannot read the kernel's BTF: %s\n", cmd,
			strerror(errno));
		return false;
	}
	if (!btf_has(btf, "trace_event_raw_liveupdate_luo_file")) {
		fprintf(stderr, "lu-trace %s: this kernel has no liveupdate trace events (it needs CONFIG_LIVEUPDATE=y from the live update tree)\n",
			cmd);
		btf__free(btf);
		return false;
	}
	if (blackout)
		*blackout = btf_has(btf, "trace_event_raw_luo_blackout");
	btf__free(btf);
	return true;
}

/**
 * lu_bpf_start - check the kernel, then load and attach the BPF programs
 * @cmd: the subcommand, for messages
 * @o: options
 *
 * Every failure is explained on stderr.
 *
 * Return: the skeleton, or NULL.
 */
struct lu_trace_bpf *lu_bpf_start(const char *cmd, const struct lu_bpf_opts *o)
{
	struct lu_trace_bpf *skel;
	bool blackout;
	int err;

	if (!lu_bpf_check(cmd, &blackout))
		return NULL;
	skel = lu_trace_bpf__open();
	if (!skel) {
		fprintf(stderr, "lu-trace %s: cannot open the BPF object: %s\n", cmd,
			strerror(errno));
		return NULL;
	}
	if (o->session)
		skel->rodata->targ_session_id = lu_session_id(o->session);
	skel->rodata->targ_stream = o->stream;
	skel->rodata->targ_kho_blocks = o->kho_blocks;
	if (o->max_sessions)
		bpf_map__set_max_entries(skel->maps.sessions, o->max_sessions);
	if (o->buffer_kb)
		bpf_map__set_max_entries(skel->maps.events, o->buffer_kb * 1024);
	if (!o->stream)
		bpf_map__set_max_entries(skel->maps.events, 4096);
	/* Per-folio programs only on request: see OVERHEAD in lu-trace(8). */
	bpf_program__set_autoload(skel->progs.handle_kho_preserve, o->kho_blocks);
	bpf_program__set_autoload(skel->progs.handle_kho_unpreserve, o->kho_blocks);
	bpf_program__set_autoload(skel->progs.handle_kho_restore, o->kho_blocks);
	bpf_program__set_autoload(skel->progs.handle_blackout, blackout);

	err = lu_trace_bpf__load(skel);
	if (err) {
		fprintf(stderr, "lu-trace %s: cannot load the BPF programs: %s%s\n", cmd,
			strerror(-err), lu_verbose ? "" : " (run with -v for the verifier log)");
		goto err;
	}
	err = lu_trace_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "lu-trace %s: cannot attach to the liveupdate trace events: %s (is tracefs available?)\n",
			cmd, strerror(-err));
		goto err;
	}
	return skel;
err:
	lu_trace_bpf__destroy(skel);
	return NULL;
}

void lu_bpf_stop(struct lu_trace_bpf *skel)
{
	lu_trace_bpf__destroy(skel);
}

void lu_snapshot_free(struct lu_snapshot *snap)
{
	free(snap->sessions);
	free(snap->errs);
	free(snap->err_counts);
	memset(snap, 0, sizeof(*snap));
}

/**
 * lu_snapshot_read - read the maps
 * @skel: the loaded programs
 * @snap: the result (free with lu_snapshot_free())
 *
 * Return: 0 or a negative errno.
 */
int lu_snapshot_read(struct lu_trace_bpf *skel, struct lu_snapshot *snap)
{
	int sfd = bpf_map__fd(skel->maps.sessions), efd = bpf_map__fd(skel->maps.errors);
	size_t cap = bpf_map__max_entries(skel->maps.sessions);
	size_t ecap = bpf_map__max_entries(skel->maps.errors);
	struct lu_err_key ekey, enext, *eprev = NULL;
	__u64 key, next, *prev = NULL;

	memset(snap, 0, sizeof(*snap));
	if (sfd < 0 || efd < 0)
		return -EBADF;
	snap->sessions = calloc(cap, sizeof(*snap->sessions));
	snap->errs = calloc(ecap, sizeof(*snap->errs));
	snap->err_counts = calloc(ecap, sizeof(*snap->err_counts));
	if (!snap->sessions || !snap->errs || !snap->err_counts) {
		lu_snapshot_free(snap);
		return -ENOMEM;
	}
	while (snap->nr_sessions < cap && !bpf_map_get_next_key(sfd, prev, &next)) {
		if (!bpf_map_lookup_elem(sfd, &next, &snap->sessions[snap->nr_sessions]))
			snap->nr_sessions++;
		key = next;
		prev = &key;
	}
	while (snap->nr_errs < ecap && !bpf_map_get_next_key(efd, eprev, &enext)) {
		if (!bpf_map_lookup_elem(efd, &enext, &snap->err_counts[snap->nr_errs]))
			snap->errs[snap->nr_errs++] = enext;
		ekey = enext;
		eprev = &ekey;
	}
	snap->global = skel->bss->global;
	snap->blackout = skel->bss->blackout;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Dispatch                                                                */
/* ---------------------------------------------------------------------- */

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{ "top", cmd_top, "live view of sessions being preserved or restored" },
	{ "record", cmd_record, "record the events to a file (join one from each side)" },
	{ "report", cmd_report, "summarize recordings: sessions, latency, blackout" },
	{ "timeline", cmd_timeline, "Chrome trace-event JSON of recordings (Perfetto)" },
	{ "blackout", cmd_blackout, "the last update's blackout and its phases" },
	{ "kho", cmd_kho, "decode the KHO handover tree (debugfs)" },
	{ "export", cmd_export, "serve OpenMetrics on /metrics, or write a textfile" },
};

#define NR_CMDS	(sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	fprintf(f, "Usage: lu-trace [-v] COMMAND [OPTIONS]\n\n"
		"Watch live updates (KHO, LUO, memfd preservation) through the liveupdate\n"
		"trace events.\n\nCommands:\n");
	for (size_t i = 0; i < NR_CMDS; i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\nOptions:\n  -v, --verbose  libbpf debug output\n"
		"  -V, --version  print the version\n  -h, --help     this help\n\n"
		"'lu-trace COMMAND --help' describes a command; see lu-trace(8).\n");
}

int main(int argc, char **argv)
{
	while (argc > 1 && argv[1][0] == '-') {
		if (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--verbose")) {
			lu_verbose = true;
		} else if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
			printf("lu-trace %s\n", LU_TRACE_VERSION);
			return 0;
		} else if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "lu-trace: unknown option '%s'\n", argv[1]);
			usage(stderr);
			return 1;
		}
		argc--;
		argv++;
	}
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	for (size_t i = 0; i < NR_CMDS; i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		/* argp names the program after argv[0]: "lu-trace CMD". */
		char name[64];

		snprintf(name, sizeof(name), "lu-trace %s", cmds[i].name);
		argv[1] = name;
		return cmds[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "lu-trace: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 1;
}
