// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * lu-trace blackout: the last live update's blackout and its phases, from
 * /sys/kernel/liveupdate/blackout (format: Documentation/ABI/testing/
 * sysfs-kernel-liveupdate).
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export.h"
#include "lu-trace.h"

const char *const lu_stamp_names[LU_NR_STAMPS] = {
	"reboot", "frozen", "serialized", "jump", "entry", "kho_ready", "luo_ready",
	"first_retrieve", "finished",
};


static const char *const phase_help[LU_NR_PHASES] = {
	"freeze every preserved file",
	"write the sessions for the next kernel",
	"shut devices and CPUs down",
	"purgatory, decompress the new kernel",
	"reserve preserved memory",
	"boot up to /dev/liveupdate",
	"until the first session is retrieved",
	"until the last session finished",
};

static int name_index(const char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

/**
 * lu_blackout_parse - parse the text of the blackout file
 * @text: its contents
 * @b: the result
 *
 * Lines this version does not know are skipped (a newer kernel may add some).
 *
 * Return: 0, or -EINVAL if a line is too long or the state is missing.
 */
int lu_blackout_parse(const char *text, struct lu_blackout *b)
{
	char line[256], name[64];
	const char *p = text;
	long long v;
	int i;

	memset(b, 0, sizeof(*b));
	b->present = true;
	b->total_ns = b->clock_khz = -1;
	for (i = 0; i < LU_NR_STAMPS; i++)
		b->stamp[i] = -1;
	for (i = 0; i < LU_NR_PHASES; i++)
		b->phase[i] = -1;
	while (*p) {
		size_t n = strcspn(p, "\n");

		if (n >= sizeof(line))
			return -EINVAL;
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + (p[n] == '\n');
		if (!line[0])
			continue;
		if (sscanf(line, "state %15s", b->state) == 1 ||
		    sscanf(line, "updates %lld", &b->updates) == 1 ||
		    sscanf(line, "failed %lld", &b->failed) == 1 ||
		    sscanf(line, "from %79s", b->from) == 1 ||
		    sscanf(line, "clock tsc %lld", &b->clock_khz) == 1 ||
		    sscanf(line, "sessions %lld", &b->sessions) == 1 ||
		    sscanf(line, "files %lld", &b->files) == 1 ||
		    sscanf(line, "prev_mono_ns %lld", &b->prev_mono_ns) == 1 ||
		    sscanf(line, "mono_ns %lld", &b->mono_ns) == 1 ||
		    sscanf(line, "total_ns %lld", &b->total_ns) == 1)
			continue;
		if (sscanf(line, "stamp %63s %lld", name, &v) == 2 &&
		    (i = name_index(lu_stamp_names, LU_NR_STAMPS, name)) >= 0) {
			b->stamp[i] = v;
			continue;
		}
		if (sscanf(line, "phase %63s %lld", name, &v) == 2 &&
		    (i = name_index(lu_phase_names, LU_NR_PHASES, name)) >= 0) {
			b->phase[i] = v;
			continue;
		}
		if (sscanf(line, "freeze_files %llu", &b->freeze.count) == 1 ||
		    sscanf(line, "freeze_sum_ns %llu", &b->freeze.sum_ns) == 1 ||
		    sscanf(line, "freeze_max_ns %llu", &b->freeze.max_ns) == 1)
			continue;
		if (!strncmp(line, "freeze_hist ", 12)) {
			char *q = line + 11, *end;

			for (i = 0; i < LU_MAX_SLOTS; i++, q = end) {
				b->freeze.slots[i] = strtoull(q, &end, 10);
				if (end == q)
					break;
			}
			continue;
		}
		/* Lines a newer kernel added are skipped. */
	}
	return b->state[0] ? 0 : -EINVAL;
}

/**
 * lu_blackout_read - read and parse /sys/kernel/liveupdate/blackout
 * @b: the result; b->present is false when the kernel has no such file
 * @text: if not NULL, receives the raw text
 * @len: size of @text
 *
 * Return: 0 (also when the file does not exist), or a negative errno.
 */
int lu_blackout_read(struct lu_blackout *b, char *text, size_t len)
{
	char buf[4096];
	ssize_t n;
	int fd;

	memset(b, 0, sizeof(*b));
	if (text && len)
		text[0] = '\0';
	fd = open(LU_BLACKOUT_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (text && len)
		snprintf(text, len, "%s", buf);
	return lu_blackout_parse(buf, b);
}

/**
 * lu_blackout_print - the blackout for a person
 * @f: where
 * @b: what
 */
void lu_blackout_print(FILE *f, const struct lu_blackout *b)
{
	char t[32], t2[32], t3[32];
	long long total;
	int i;

	if (!strcmp(b->state, "none")) {
		fprintf(f, "No live update: this kernel was cold-booted (%lld failed attempts).\n",
			b->failed);
		return;
	}
	total = b->total_ns >= 0 ? b->total_ns : 0;
	fprintf(f, "Live update %lld from %s: %s", b->updates, b->from, b->state);
	if (b->total_ns >= 0)
		fprintf(f, ", blackout %s", lu_fmt_ns(t, sizeof(t), b->total_ns));
	fprintf(f, "\n%lld sessions, %lld files handed over; %lld failed attempts\n\n",
		b->sessions, b->files, b->failed);
	fprintf(f, "%-10s %12s %12s  %-6s %s\n", "PHASE", "DURATION", "AT", "SHARE", "WHAT");
	for (i = 0; i < LU_NR_PHASES; i++) {
		double share = 0;
		int bar;

		if (b->phase[i] < 0) {
			fprintf(f, "%-10s %12s %12s  %-6s %s\n", lu_phase_names[i], "-", "-", "",
				phase_help[i]);
			continue;
		}
		/* A phase longer than the total (a damaged file) shows as 999 %. */
		if (total)
			share = (100.0 * b->phase[i]) / total + 0.5;
		bar = share < 999 ? (int)share : 999;
		fprintf(f, "%-10s %12s %12s  %5d%% %s\n", lu_phase_names[i],
			lu_fmt_ns(t, sizeof(t), b->phase[i]),
			lu_fmt_ns(t2, sizeof(t2), b->stamp[i + 1]), bar, phase_help[i]);
	}
	if (b->total_ns >= 0)
		fprintf(f, "%-10s %12s\n", "total", lu_fmt_ns(t, sizeof(t), b->total_ns));
	if (b->freeze.count)
		fprintf(f, "\n%llu files froze in %s: p50 %s, max %s (per file)\n",
			(unsigned long long)b->freeze.count,
			lu_fmt_ns(t, sizeof(t), b->freeze.sum_ns),
			lu_fmt_ns(t2, sizeof(t2), lu_hist_percentile(&b->freeze, 50)),
			lu_fmt_ns(t3, sizeof(t3), b->freeze.max_ns));
}

/**
 * lu_blackout_json - the blackout as a JSON object
 * @f: where
 * @b: what
 */
void lu_blackout_json(FILE *f, const struct lu_blackout *b)
{
	int i, n = 0;

	fprintf(f, "{\"state\": ");
	lu_json_str(f, b->state);
	fprintf(f, ", \"updates\": %lld, \"failed\": %lld", b->updates, b->failed);
	if (!strcmp(b->state, "none")) {
		fprintf(f, "}");
		return;
	}
	fprintf(f, ", \"from\": ");
	lu_json_str(f, b->from);
	fprintf(f, ", \"clock_khz\": %lld, \"sessions\": %lld, \"files\": %lld",
		b->clock_khz, b->sessions, b->files);
	fprintf(f, ", \"prev_mono_ns\": %lld, \"mono_ns\": %lld", b->prev_mono_ns, b->mono_ns);
	fprintf(f, ", \"stamps_ns\": {");
	for (i = 0; i < LU_NR_STAMPS; i++)
		if (b->stamp[i] >= 0)
			fprintf(f, "%s\"%s\": %lld", n++ ? ", " : "", lu_stamp_names[i], b->stamp[i]);
	fprintf(f, "}, \"phases\": [");
	for (i = 0, n = 0; i < LU_NR_PHASES; i++)
		if (b->phase[i] >= 0)
			fprintf(f, "%s{\"name\": \"%s\", \"start_ns\": %lld, \"duration_ns\": %lld}",
				n++ ? ", " : "", lu_phase_names[i], b->stamp[i], b->phase[i]);
	fprintf(f, "], \"freeze\": ");
	lu_hist_json(f, &b->freeze);
	fprintf(f, ", \"total_ns\": ");
	if (b->total_ns >= 0)
		fprintf(f, "%lld}", b->total_ns);
	else
		fprintf(f, "null}");
}

static const char blackout_doc[] =
"Show the blackout of the live update that started this kernel.\n"
"\n"
"USAGE: lu-trace blackout [--json]\n"
"\n"
"The blackout runs from reboot(2) entering the kexec path in the previous\n"
"kernel until the last restored session finished in this one, measured by\n"
"the kernel with the TSC across the kexec. No BPF and no privilege needed.\n"
"\n"
"EXAMPLES:\n"
"    lu-trace blackout          # phases, durations and shares\n"
"    lu-trace blackout --json   # the same as one JSON object\n";

static const struct argp_option blackout_opts[] = {
	{ "json", 'j', NULL, 0, "Print JSON", 0 },
	{},
};

static error_t blackout_parse(int key, char *arg, struct argp_state *state)
{
	bool *json = state->input;

	switch (key) {
	case 'j':
		*json = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* The versions the handover came in at (/sys/kernel/liveupdate/formats). */
static void print_formats(FILE *f)
{
	struct lu_export_format fm[LU_EXPORT_FORMATS_MAX];
	unsigned int n = lu_export_formats_read(LU_EXPORT_FORMATS_DIR, fm), i, shown = 0;

	for (i = 0; i < n; i++) {
		if (!fm[i].incoming)
			continue;
		fprintf(f, "%s%s v%u", shown++ ? ", " : "\nFormats that came in: ", fm[i].name,
			fm[i].incoming);
	}
	if (shown)
		fputc('\n', f);
}

int cmd_blackout(int argc, char **argv)
{
	static const struct argp argp = {
		.options = blackout_opts, .parser = blackout_parse, .doc = blackout_doc,
	};
	struct lu_blackout b;
	bool json = false;
	int err;

	if (argp_parse(&argp, argc, argv, 0, NULL, &json))
		return 1;
	err = lu_blackout_read(&b, NULL, 0);
	if (err) {
		fprintf(stderr, "lu-trace blackout: %s: %s\n", LU_BLACKOUT_PATH,
			err == -EINVAL ? "unexpected format" : strerror(-err));
		return 1;
	}
	if (!b.present) {
		fprintf(stderr, "lu-trace blackout: %s: %s (this kernel has no live update blackout accounting: CONFIG_LIVEUPDATE=y with the live update patches is needed)\n",
			LU_BLACKOUT_PATH, strerror(ENOENT));
		return 1;
	}
	if (json) {
		lu_blackout_json(stdout, &b);
		fputc('\n', stdout);
	} else {
		lu_blackout_print(stdout, &b);
		print_formats(stdout);
	}
	return 0;
}
