// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * Fuzz target: lu-trace's KHO debugfs decoder (tools/lu-trace/kho.c), run
 * as "lu-trace kho -d DIR" (text and JSON) on a directory laid out like
 * debugfs kho/.
 *
 * Input: regions named after the files: "out/fdt", "out/scratch",
 * "out/subtrees", "out/preserved", "in/fdt", "in/scratch", "in/subtrees",
 * "in/status" (a side's directory exists when one of its files is given).
 * The seeds are copies of a real guest's debugfs, before and after a
 * kexec. What must hold: no crash and no sanitizer report.
 */

#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kho.h"
#include "fz_input.h"

static const char *const files[] = {
	"out/fdt", "out/scratch", "out/subtrees", "out/preserved",
	"in/fdt", "in/scratch", "in/subtrees", "in/status",
};

#define NR_FILES	(sizeof(files) / sizeof(files[0]))

static struct fz_input in;
static char dir[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	fz_init_quiet();
	snprintf(dir, sizeof(dir), "%s/lu-fuzz-kho.XXXXXX", tmp && strlen(tmp) < 32 ? tmp : "/tmp");
	if (!mkdtemp(dir))
		fz_bug("mkdtemp %s failed", dir);
	return 0;
}

static void clear_dir(void)
{
	char p[128];

	for (size_t i = 0; i < NR_FILES; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/out", dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/in", dir);
	rmdir(p);
}

static void put_file(const char *name, const uint8_t *data, size_t len)
{
	char p[128];
	int fd;

	snprintf(p, sizeof(p), "%s/%.*s", dir, (int)(strchr(name, '/') - name), name);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		fz_bug("cannot write %s", p);
	close(fd);
}

static void run(const char *const *args)
{
	char *argv[8];
	int argc = 0;

	for (; args[argc]; argc++)
		argv[argc] = (char *)args[argc];
	argv[argc] = NULL;
	cmd_kho(argc, argv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_input_parse(&in, data, size);
	clear_dir();
	for (size_t i = 0; i < NR_FILES; i++) {
		const struct fz_rec *r = fz_next(&in, files[i], NULL);

		if (r)
			put_file(files[i], r->data, r->len);
	}
	run((const char *const[]){ "kho", "-d", dir, NULL });
	run((const char *const[]){ "kho", "-d", dir, "-j", NULL });
	run((const char *const[]){ "kho", "-d", dir, "--in", "-j", NULL });
	fflush(stdout);
	return 0;
}
