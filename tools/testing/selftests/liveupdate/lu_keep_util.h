/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lu_keep_util.h: what the lu-keep guest programs (lu_keep_memcached, the
 * demo lu_keep_demo) share: memcached under lu-keep with the command line
 * of lu-keep(8)'s EXAMPLES, the lu_mc client, and reading their
 * "key=value" output.
 */
#ifndef LU_KEEP_UTIL_H
#define LU_KEEP_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "lu_trace_util.h"

#define LU_KEEP		"/lu/bin/lu-keep"
#define LU_MC		"/lu/tests/lu_mc"
#define KEEP_LOG	"/tmp/lu-keep.log"	/* lu-keep run's stderr, this boot */
#define MC_KEYS		"100000"

/*
 * lu-keep(8), EXAMPLES: the same words, so that the examples are what is
 * tested (tools/lu-keep/tests/host_test.sh checks the man page against
 * these lines).
 */
#define KEEP_RUN_EXAMPLE \
	"lu-keep run --session memcached --file /run/memcached/cache:256M " \
	"--file /run/memcached/cache.meta --stop-signal USR1 --ready-tcp 11211 " \
	"-- memcached -u root -m 256 -e /run/memcached/cache -l 127.0.0.1 -p 11211 -U 0"
#define KEEP_STOP_EXAMPLE	"lu-keep stop --session memcached"

/* Split a command line on blanks (no quoting) into a NULL-terminated argv. */
static inline char **keep_argv(const char *line)
{
	char *copy = strdup(line), *save = NULL, *w;
	char **argv = calloc(64, sizeof(*argv));
	int n = 0;

	for (w = strtok_r(copy, " ", &save); w && n < 63; w = strtok_r(NULL, " ", &save))
		argv[n++] = w;
	/* lu-keep and memcached by their paths in the guest */
	if (n && !strcmp(argv[0], "lu-keep"))
		argv[0] = LU_KEEP;
	return argv;
}

/*
 * Run the lu-keep command @line (keep_argv()) and wait for it, its stdout
 * and stderr into the file @out: its exit status, 128 + the signal that
 * killed it, or -1 if it could not be waited for.
 */
static inline int keep_cmd(const char *line, const char *out)
{
	char **argv = keep_argv(line);
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (!pid) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * Start `lu-keep run` in the background, in its own session (so that the
 * test runner's process group kill cannot reach it and it lives on to hold
 * the files until the kexec), its output appended to KEEP_LOG.
 */
static inline pid_t keep_start(char **argv)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (!pid) {
		int log = open(KEEP_LOG, O_WRONLY | O_CREAT | O_APPEND, 0644);
		int null = open("/dev/null", O_RDONLY);

		setsid();
		if (log < 0 || null < 0 || dup2(null, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static inline char *slurp_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return strdup("");
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	return buf;
}

static inline bool file_has(const char *path, const char *what)
{
	char *s = slurp_file(path);
	bool ok = strstr(s, what) != NULL;

	free(s);
	return ok;
}

/*
 * Wait until lu-keep's log (from @from on) says the service is up, or
 * lu-keep exited: true when up. Up to @timeout seconds.
 */
static inline bool keep_wait_up(pid_t pid, long from, int timeout)
{
	for (int i = 0; i < timeout * 20; i++) {
		char *s = slurp_file(KEEP_LOG);
		bool up = (long)strlen(s) > from && strstr(s + from, "service up ");

		free(s);
		if (up)
			return true;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return false;
		usleep(50000);
	}
	return false;
}

/* Print lu-keep's log from byte @from on, as "# " lines. */
static inline void keep_print_log(long from)
{
	char *s = slurp_file(KEEP_LOG), *save = NULL, *line;

	if ((long)strlen(s) > from)
		for (line = strtok_r(s + from, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			ksft_print_msg("  %s\n", line);
	free(s);
}

/* Run a program; its stdout into @out (a file), stderr into out.err: its status. */
static inline int run_to(const char *out, char *const argv[])
{
	char err[256];

	snprintf(err, sizeof(err), "%s.err", out);
	return run(argv, out, err);
}

/* Value of "key=N" in a file of key=value words, or -1. */
static inline long long kv_get(const char *path, const char *key)
{
	char *s = slurp_file(path), want[64], *p;
	long long v = -1;

	snprintf(want, sizeof(want), "%s=", key);
	for (p = strstr(s, want); p; p = strstr(p + 1, want))
		if (p == s || p[-1] == ' ' || p[-1] == '\n') {
			v = strtoll(p + strlen(want), NULL, 10);
			break;
		}
	free(s);
	return v;
}

/* A background `lu_mc watch`: its pid; stop it with watch_stop(). */
static inline pid_t watch_start(const char *out)
{
	pid_t pid = fork();

	if (!pid) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(126);
		execl(LU_MC, LU_MC, "watch", "-n", MC_KEYS, "-i", "5", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static inline bool watch_stop(pid_t pid)
{
	int status;

	return !kill(pid, SIGTERM) && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       !WEXITSTATUS(status);
}

/* "key value" line of /sys/kernel/liveupdate/blackout, or @def. */
static inline long long blackout_value(const char *key, long long def)
{
	char line[256], name[64];
	long long v;
	FILE *f = fopen("/sys/kernel/liveupdate/blackout", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lld", name, &v) == 2 && !strcmp(name, key)) {
			fclose(f);
			return v;
		}
	if (f)
		fclose(f);
	return def;
}

/* The guest's init configures no network: memcached listens on loopback. */
static inline bool loopback_up(void)
{
	return !run((char *[]){ "/bin/busybox", "ip", "link", "set", "lo", "up", NULL }, NULL, NULL);
}

static inline long file_len(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : st.st_size;
}

#endif /* LU_KEEP_UTIL_H */
