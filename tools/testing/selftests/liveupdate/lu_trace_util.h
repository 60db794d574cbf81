/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the guest programs that drive lu-trace share: running it, a
 * recorder in the background, and the ext2 disk (/dev/vda on /mnt) that
 * keeps recordings across a kexec.
 */
#ifndef LU_TRACE_UTIL_H
#define LU_TRACE_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"

#define MNT		"/mnt"
#define LU_TRACE	"/lu/bin/lu-trace"

/* Run argv with stdout to @out (or inherited) and stderr to @err: its status. */
static inline int run(char *const argv[], const char *out, const char *err)
{
	int status;
	pid_t pid = fork();

	if (!pid) {
		if (out) {
			int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);

			if (fd < 0 || dup2(fd, 1) < 0)
				_exit(126);
		}
		if (err) {
			int fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

			if (fd < 0 || dup2(fd, 2) < 0)
				_exit(126);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static inline long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : st.st_size;
}

/* Start the recorder and wait until it has written its segment header. */
static inline pid_t record_start(const char *rec)
{
	long before = file_size(rec);
	pid_t pid = fork();

	if (!pid) {
		int fd = open(MNT "/record.log", O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0)
			dup2(fd, 2);
		execl(LU_TRACE, LU_TRACE, "record", "-o", rec, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; pid > 0 && i < 6000; i++) {
		if (file_size(rec) > (before < 0 ? 0 : before))
			return pid;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		usleep(10000);
	}
	return -1;
}

static inline int record_stop(pid_t pid)
{
	int status;

	if (kill(pid, SIGINT) || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static inline bool mount_disk(void)
{
	mkdir(MNT, 0755);
	if (mount("/dev/vda", MNT, "ext2", 0, NULL)) {
		ksft_print_msg("mount /dev/vda: %s\n", strerror(errno));
		return false;
	}
	return true;
}

static inline bool file_contains(const char *path, const char *what)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	ksft_print_msg("%s: %s", path, buf);
	return strstr(buf, what) != NULL;
}

static inline void print_file(const char *path)
{
	char line[256];
	FILE *f = fopen(path, "r");

	while (f && fgets(line, sizeof(line), f))
		ksft_print_msg("%s", line);
	if (f)
		fclose(f);
}

#endif /* LU_TRACE_UTIL_H */
