// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * Fuzz target: lu-trace's recording reader (tools/lu-trace/recording.c), the
 * way its users run it: "lu-trace report" (text with histograms, JSON) and
 * "lu-trace timeline" on one recording file.
 *
 * Input: the recording itself (the seeds are real ones, both sides of a
 * kexec). What must hold: no crash and no sanitizer report, whatever the
 * file holds.
 */

#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lu-trace.h"
#include "fz_input.h"

static int fd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_init_quiet();
	fd = memfd_create("recording", 0);
	if (fd < 0)
		fz_bug("memfd_create failed");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return 0;
}

/* One lu-trace command; argp permutes argv, so a fresh one each time. */
static void run(int (*cmd)(int, char **), const char *const *args)
{
	char *argv[8];
	int argc = 0;

	for (; args[argc]; argc++)
		argv[argc] = (char *)args[argc];
	argv[argc] = NULL;
	cmd(argc, argv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		fz_bug("cannot write the recording");
	run(cmd_report, (const char *const[]){ "report", "-H", path, NULL });
	run(cmd_report, (const char *const[]){ "report", "--json", path, NULL });
	run(cmd_timeline, (const char *const[]){ "timeline", "-o", "-", path, NULL });
	fflush(stdout);
	return 0;
}
