// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * lu-trace: what the commands share and that needs no BPF: the name
 * tables, option parsing, signals, formatting, session ids and the log2
 * histograms. The export test links it as it is.
 */
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lu-trace.h"

bool lu_verbose;
volatile sig_atomic_t lu_exiting;

const char *const lu_op_names[LU_OP_NR] = { "preserve", "freeze", "retrieve", "finish" };

const char *const lu_step_names[LU_STEP_NR] = {
	"preserve", "unpreserve", "freeze", "unfreeze", "retrieve", "finish", "serialize",
	"deserialize", "session_create", "session_retrieve", "session_finish", "memfd_preserve",
	"memfd_retrieve", "kho_block", "kho", "flb",
};

const char *const lu_phase_names[LU_NR_PHASES] = {
	"freeze", "serialize", "shutdown", "jump", "kho", "boot", "userspace", "restore",
};

const char *const lu_ev_names[LU_EV_NR] = {
	"session_create", "session_retrieve", "session_finish", "session_release",
	"file_preserve", "file_unpreserve", "file_freeze", "file_unfreeze", "file_retrieve",
	"file_finish", "serialize_begin", "serialize_end", "deserialize", "memfd_preserve",
	"memfd_retrieve", "block_grow", "block_shrink", "block_restore", "subtree_add",
	"subtree_remove", "vmalloc_preserve", "vmalloc_restore", "kho_preserve",
	"kho_unpreserve", "kho_restore", "blackout", "flb_preserve", "flb_unpreserve",
	"flb_retrieve", "flb_finish",
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
	lu_exiting = 1;
}

const char *lu_arg_session(struct argp_state *state, const char *arg)
{
	if (!*arg || strlen(arg) >= LU_NAME_LEN)
		argp_error(state, "invalid session name '%s'", arg);
	return arg;
}

double lu_arg_seconds(struct argp_state *state, const char *arg, const char *what, double min,
		      double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || *end || end == arg || !(v > 0) || v < min || (max > 0 && v > max)) {
		if (max > 0)
			argp_error(state, "invalid %s '%s' (%g to %g seconds)", what, arg, min, max);
		else
			argp_error(state, "invalid %s '%s'", what, arg);
	}
	return v;
}

unsigned long lu_arg_count(struct argp_state *state, const char *arg, const char *what,
			   unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || *end || *arg < '0' || *arg > '9' || !v || (max && v > max)) {
		if (max)
			argp_error(state, "invalid %s '%s' (1 to %lu)", what, arg, max);
		else
			argp_error(state, "invalid %s '%s'", what, arg);
	}
	return v;
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

