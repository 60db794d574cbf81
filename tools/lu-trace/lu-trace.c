// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * lu-trace: watch live updates (KHO, LUO, memfd preservation) through the
 * liveupdate trace events. This file: the command dispatcher. What the
 * commands share is in util.c (no BPF) and bpf.c (loading the programs).
 */
#include <stdio.h>
#include <string.h>

#include "lu-trace.h"
#include "catalog.h"
#include "export.h"
#include "kho.h"

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
	{ "compat", cmd_compat, "can this kernel hand over to that one (format catalogs)" },
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
