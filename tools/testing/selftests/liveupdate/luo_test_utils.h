/* SPDX-License-Identifier: GPL-2.0 */
/*
 * luo_test_utils.h: helpers shared by the Live Update Orchestrator tests.
 *
 * Thin wrappers around the /dev/liveupdate ioctls and the controllable
 * test file type (/dev/liveupdate_test). Every helper returns a file
 * descriptor or 0 on success and -errno on failure, so a test can assert
 * the exact errno the kernel gave.
 *
 * A test file is created by opening /dev/liveupdate_test (every open is a
 * new, independent file) and driven by text commands, one per write(2):
 * "value N" sets its 64-bit value, "fail-freeze" makes its freeze fail
 * with -EAGAIN, "busy" makes it refuse to finish, "ok" clears both flags.
 * Reading at offset 0 gives "value N\n". Only the value crosses a kexec.
 * "depend FD" and "depend-token T" make it a dependent file (the in-kernel
 * file API's test, luo_kernel_api.c): it carries the token of another
 * file of its session instead, and reads show that file's value.
 */
#ifndef LUO_TEST_UTILS_H
#define LUO_TEST_UTILS_H

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <unistd.h>
#include <linux/liveupdate.h>

#include "kselftest.h"

#define LUO_DEVICE		"/dev/liveupdate"
#define LUO_TEST_DEVICE		"/dev/liveupdate_test"
#define LUO_NAME_LEN		LIVEUPDATE_SESSION_NAME_LENGTH
/* What /proc/self/fd/N of a session fd links to, before the name. */
#define LUO_SESSION_LINK_PREFIX	"anon_inode:[luo_session] "

/*
 * An argument struct followed by bytes the kernel does not know about:
 * set .s.size = sizeof(the whole thing) to test the extensible-struct
 * rule (a zero tail is accepted, a nonzero byte in it is -E2BIG).
 */
#define LUO_TAIL_LEN		16
#define LUO_OVERSIZED(type)	struct { type s; __u8 tail[LUO_TAIL_LEN]; }

static inline const char *luo_strerror(int ret)
{
	return ret < 0 ? strerror(-ret) : "success";
}

/* ioctl(2) returning -errno instead of -1. */
static inline int luo_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

/*
 * Copy @name into a session name field exactly as given: a name of 64
 * characters or more fills the field with no NUL, which the kernel must
 * refuse, so tests can use the helpers for invalid names too.
 */
static inline void luo_set_name(__u8 dst[LUO_NAME_LEN], const char *name)
{
	memset(dst, 0, LUO_NAME_LEN);
	memcpy(dst, name, strnlen(name, LUO_NAME_LEN));
}

static inline int luo_open_device(void)
{
	int fd = open(LUO_DEVICE, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* A new outgoing session: its fd, or -errno. */
static inline int luo_create_session(int luo_fd, const char *name)
{
	struct liveupdate_ioctl_create_session arg = { .size = sizeof(arg), .fd = -1 };
	int ret;

	luo_set_name(arg.name, name);
	ret = luo_ioctl(luo_fd, LIVEUPDATE_IOCTL_CREATE_SESSION, &arg);
	if (ret < 0)
		return ret;
	/* Success without a usable fd is a kernel bug, not an errno. */
	return arg.fd < 0 ? -EPROTO : arg.fd;
}

/* A session the previous kernel preserved: its fd, or -errno. */
static inline int luo_retrieve_session(int luo_fd, const char *name)
{
	struct liveupdate_ioctl_retrieve_session arg = { .size = sizeof(arg), .fd = -1 };
	int ret;

	luo_set_name(arg.name, name);
	ret = luo_ioctl(luo_fd, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &arg);
	if (ret < 0)
		return ret;
	return arg.fd < 0 ? -EPROTO : arg.fd;
}

static inline int luo_preserve_fd(int session_fd, int fd, __u64 token)
{
	struct liveupdate_session_preserve_fd arg = {
		.size = sizeof(arg),
		.fd = fd,
		.token = token,
	};

	return luo_ioctl(session_fd, LIVEUPDATE_SESSION_PRESERVE_FD, &arg);
}

/* The file preserved under @token: a new fd, or -errno. */
static inline int luo_retrieve_fd(int session_fd, __u64 token)
{
	struct liveupdate_session_retrieve_fd arg = {
		.size = sizeof(arg),
		.fd = -1,
		.token = token,
	};
	int ret;

	ret = luo_ioctl(session_fd, LIVEUPDATE_SESSION_RETRIEVE_FD, &arg);
	if (ret < 0)
		return ret;
	return arg.fd < 0 ? -EPROTO : arg.fd;
}

static inline int luo_finish(int session_fd)
{
	struct liveupdate_session_finish arg = { .size = sizeof(arg) };

	return luo_ioctl(session_fd, LIVEUPDATE_SESSION_FINISH, &arg);
}

/*
 * The session's name into @buf (LUO_NAME_LEN bytes). A name the kernel
 * did not NUL-terminate is reported as -EPROTO.
 */
static inline int luo_get_name(int session_fd, char buf[LUO_NAME_LEN])
{
	struct liveupdate_session_get_name arg = { .size = sizeof(arg) };
	int ret;

	ret = luo_ioctl(session_fd, LIVEUPDATE_SESSION_GET_NAME, &arg);
	if (ret < 0)
		return ret;
	if (!memchr(arg.name, '\0', sizeof(arg.name)))
		return -EPROTO;
	memcpy(buf, arg.name, sizeof(arg.name));
	return 0;
}

/* Is @name the name of @session_fd? */
static inline bool luo_name_is(int session_fd, const char *name)
{
	char buf[LUO_NAME_LEN];

	return !luo_get_name(session_fd, buf) && !strcmp(buf, name);
}

/* Send one command ("value N", "fail-freeze", "busy", "ok") to a test file. */
static inline int test_file_cmd(int fd, const char *cmd)
{
	size_t len = strlen(cmd);
	ssize_t n = write(fd, cmd, len);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static inline int test_file_set_value(int fd, __u64 value)
{
	char cmd[32];

	snprintf(cmd, sizeof(cmd), "value %llu", (unsigned long long)value);
	return test_file_cmd(fd, cmd);
}

/* A new test file holding @value: its fd, or -errno. */
static inline int test_file_create(__u64 value)
{
	int fd = open(LUO_TEST_DEVICE, O_RDWR | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = test_file_set_value(fd, value);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/*
 * Read a test file's value ("value N\n" at offset 0) into @value. Text
 * in any other shape is -EPROTO.
 */
static inline int test_file_value(int fd, __u64 *value)
{
	char buf[64], *end;
	unsigned long long val;
	ssize_t n;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	/* A device that cannot pread is still read from offset 0 here. */
	if (n < 0 && errno == ESPIPE)
		n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (strncmp(buf, "value ", 6) || !isdigit((unsigned char)buf[6]))
		return -EPROTO;
	errno = 0;
	val = strtoull(buf + 6, &end, 10);
	if (errno || (*end && strcmp(end, "\n")))
		return -EPROTO;
	*value = val;
	return 0;
}

static inline bool fd_is_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	return flags >= 0 && (flags & FD_CLOEXEC);
}

/* Make room for at least @want open files; 0 or -errno. */
static inline int luo_raise_nofile(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_cur >= want)
		return 0;
	rl.rlim_cur = want;
	if (rl.rlim_max < want)
		rl.rlim_max = want;
	return setrlimit(RLIMIT_NOFILE, &rl) ? -errno : 0;
}

/*
 * Keep every open file of this process alive across the kexec: fork a
 * daemon that holds them (daemonize() returns 0 in it, its pid in the
 * parent; daemonize_and_hold() never returns in it). The daemon leaves the session
 * (so the runner's process group kill cannot reach it) and lets go of
 * stdio (so the runner sees the test's output end). Close the
 * /dev/liveupdate fd first: the device has one opener at a time and the
 * next test must be able to open it. Returns the daemon's pid in the
 * parent, or -errno; never returns in the daemon.
 */
static inline pid_t daemonize(void)
{
	pid_t pid;
	int null;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		return pid;

	setsid();
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	} else {
		close(STDIN_FILENO);
		close(STDOUT_FILENO);
		close(STDERR_FILENO);
	}
	return 0;
}

/* daemonize(), and the daemon only holds what it has open, forever. */
static inline pid_t daemonize_and_hold(void)
{
	pid_t pid = daemonize();

	if (pid)
		return pid;
	for (;;)
		pause();
}

/*
 * Stage tests: report one step as a TAP line. luo_require() also ends
 * the run when the step failed and the rest of the stage depends on it;
 * the short count against the plan shows how far it got.
 */
#define __luo_step(fatal, cond, fmt, ...) do {					\
	bool __ok = (cond);							\
										\
	ksft_test_result(__ok, fmt "\n", ##__VA_ARGS__);			\
	if (!__ok && (fatal))							\
		ksft_exit_fail_msg("cannot go on after: " fmt "\n", ##__VA_ARGS__); \
} while (0)

#define luo_check(cond, fmt, ...)	__luo_step(false, cond, fmt, ##__VA_ARGS__)
#define luo_require(cond, fmt, ...)	__luo_step(true, cond, fmt, ##__VA_ARGS__)

/*
 * Stage tests span stage 1 (set up, hold) and stage 2 (verify, finish).
 * In a later stage there is nothing left to check: report that as a skip
 * (a passing run, since lu-init counts any nonzero exit as a failure).
 */
static inline void luo_no_more_stages(int stage)
{
	ksft_set_plan(1);
	ksft_test_result_skip("stage %d: this test covers stages 1 and 2 only\n", stage);
	ksft_finished();
}

/* main() of a two-stage test: @stage1 in the cold boot, @stage2 after the kexec. */
#define LUO_TWO_STAGE_MAIN(stage1, stage2)		\
int main(int argc, char **argv)				\
{							\
	int stage = lu_stage(argc, argv);		\
							\
	ksft_print_header();				\
	if (stage == 1)					\
		stage1();				\
	else if (stage == 2)				\
		stage2();				\
	luo_no_more_stages(stage);			\
	return 0;					\
}

#endif /* LUO_TEST_UTILS_H */
