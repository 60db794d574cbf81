/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lu_stage.h: helpers for multi-stage (kexec) tests run by lu-init.
 *
 * A stage test is one program run once per stage with "--stage N"; it
 * keeps what it sets up in stage N side by side with what it checks in
 * stage N+1. Small values survive the kexec on the kernel command line:
 * lu_carry_set() records "key=value" for the next stage, lu_carry_get()
 * reads what the previous stage recorded. Keys are [A-Za-z0-9_.-], values
 * have no blanks or quotes. Large state is what KHO/LUO are for.
 */
#ifndef LU_STAGE_H
#define LU_STAGE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/klog.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LU_CARRY_FILE		"/run/lu/carry"
#define LU_NEXT_CMDLINE_FILE	"/run/lu/next-cmdline"

/* The stage this run belongs to: --stage N, else $LU_STAGE, else 1. */
static inline int lu_stage(int argc, char **argv)
{
	const char *env = getenv("LU_STAGE");

	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--stage") || !strcmp(argv[i], "-s"))
			return atoi(argv[i + 1]);
	return env ? atoi(env) : 1;
}

static inline int lu_stages(void)
{
	const char *env = getenv("LU_STAGES");

	return env ? atoi(env) : 1;
}

/* Value of kernel parameter @name ("name=value"), or NULL. */
static inline const char *lu_cmdline_param(const char *name, char *buf, size_t len)
{
	static char cmdline[4096];
	size_t n = strlen(name);
	FILE *f = fopen("/proc/cmdline", "re");
	char *p, *save = NULL;

	if (!f)
		return NULL;
	if (!fgets(cmdline, sizeof(cmdline), f)) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	for (p = strtok_r(cmdline, " \n", &save); p; p = strtok_r(NULL, " \n", &save)) {
		if (!strncmp(p, name, n) && (p[n] == '=' || !p[n])) {
			snprintf(buf, len, "%s", p[n] ? p + n + 1 : "");
			return buf;
		}
	}
	return NULL;
}

/* What the previous stage carried for @key, or NULL. */
static inline const char *lu_carry_get(const char *key, char *buf, size_t len)
{
	char name[128];

	snprintf(name, sizeof(name), "lu.carry.%s", key);
	return lu_cmdline_param(name, buf, len);
}

static inline bool lu_carry_set(const char *key, const char *fmt, ...)
{
	FILE *f = fopen(LU_CARRY_FILE, "ae");
	va_list ap;

	if (!f)
		return false;
	fprintf(f, "%s=", key);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	return fclose(f) == 0;
}

/*
 * Load the next stage's kernel now, as lu-init would after the tests
 * ("lu-kexec --load"), for a test that calls reboot(LINUX_REBOOT_CMD_KEXEC)
 * itself. What was carried so far goes on its command line; lu-init loads
 * it again after the tests, with everything carried. 0 or -1.
 */
static inline int lu_kexec_load_next(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		execl("/lu/bin/lu-kexec", "lu-kexec", "--load", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -1;
}

/*
 * Split a chain, "A+B+...", into @kinds (pointers into @buf, which is
 * modified): a test given several kinds on its command line runs them in
 * one guest, a kexec each (stage N checks kind N-1, then sets up kind N).
 * Returns how many, 0 for none or more than @max.
 */
static inline int lu_chain_split(char *buf, char **kinds, int max)
{
	char *save = NULL;
	int n = 0;

	for (char *k = strtok_r(buf, "+", &save); k; k = strtok_r(NULL, "+", &save)) {
		if (n == max)
			return 0;
		kinds[n++] = k;
	}
	return n;
}

/* Ask for an extra parameter on the next kernel's command line. */
static inline bool lu_next_cmdline_add(const char *param)
{
	FILE *f = fopen(LU_NEXT_CMDLINE_FILE, "ae");

	if (!f)
		return false;
	fprintf(f, "%s\n", param);
	return fclose(f) == 0;
}

/*
 * Write @val to @path (sysfs, debugfs, tracefs, cgroupfs), truncating it
 * (which clears a trace buffer); false on any error.
 */
static inline bool lu_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok;
}

/* Write @val to the attribute @path in one write(2): 0 or -errno. */
static inline int lu_write_attr(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		ret = -errno;
	close(fd);
	return ret;
}

/* The kernel log (klogctl READ_ALL), NUL-terminated; free() it. NULL on error. */
static inline char *lu_klog(void)
{
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf = len > 0 ? calloc(1, len + 1) : NULL;

	if (buf && klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len) < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

enum lu_io { LU_WRITE, LU_PWRITE, LU_PREAD };

/* All of @len through @op, retried on short counts (lu_write_full() and co). */
static inline int lu_io_full(enum lu_io op, int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;

	while (len) {
		ssize_t n = op == LU_WRITE ? write(fd, p, len) :
			    op == LU_PWRITE ? pwrite(fd, p, len, off) : pread(fd, p, len, off);

		if (n < 0)
			return -errno;
		if (!n)
			return op == LU_PREAD ? -ENODATA : -EIO;
		p += n;
		len -= n;
		off += n;
	}
	return 0;
}

/*
 * write(2) at the file position, pwrite(2) and pread(2) at @off (which
 * leave the position alone), each of all of @len: 0 or -errno; -EIO when
 * a write makes no progress, -ENODATA when a read meets EOF first.
 */
static inline int lu_write_full(int fd, const void *buf, size_t len)
{
	return lu_io_full(LU_WRITE, fd, (void *)buf, len, 0);
}

static inline int lu_pwrite_full(int fd, const void *buf, size_t len, off_t off)
{
	return lu_io_full(LU_PWRITE, fd, (void *)buf, len, off);
}

static inline int lu_pread_full(int fd, void *buf, size_t len, off_t off)
{
	return lu_io_full(LU_PREAD, fd, buf, len, off);
}

/* Value of a "key N" line in a stats file (debugfs, /proc), or -1. */
static inline long long lu_stat_value(const char *path, const char *key)
{
	size_t n = strlen(key);
	long long val = -1;
	char line[256];
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && (line[n] == ' ' || line[n] == ':'))
			val = strtoll(line + n + 1, NULL, 10);
	fclose(f);
	return val;
}

/* Milliseconds on CLOCK_MONOTONIC. */
static inline long lu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A /proc/meminfo value in kB (-1 if missing), with the per-CPU counter
 * deltas folded in first (vm/stat_refresh, which also trims the per-CPU
 * free page lists MemFree leaves out), so that small slacks hold.
 */
static inline long long lu_meminfo_kb(const char *key)
{
	lu_write_file("/proc/sys/vm/stat_refresh", "1");
	return lu_stat_value("/proc/meminfo", key);
}

/*
 * Free memory in kB: MemFree plus the pages in the per-CPU page lists,
 * which MemFree leaves out although they are free (freeing memory fills
 * them first, by several MiB), from /proc/zoneinfo's "count:" lines.
 * The per-CPU counter deltas are folded in first (vm/stat_refresh).
 */
static inline long long lu_mem_free_kb(void)
{
	long long pcp = 0, count;
	char line[256];
	FILE *f;

	lu_write_file("/proc/sys/vm/stat_refresh", "1");
	f = fopen("/proc/zoneinfo", "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %lld", &count) == 1)
			pcp += count;
	if (f)
		fclose(f);
	return lu_stat_value("/proc/meminfo", "MemFree") + pcp * (sysconf(_SC_PAGESIZE) / 1024);
}

#endif /* LU_STAGE_H */
