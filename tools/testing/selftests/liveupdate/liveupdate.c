// SPDX-License-Identifier: GPL-2.0
/*
 * liveupdate: the /dev/liveupdate userspace API within one boot.
 *
 * One test per rule of the uAPI contract, each named for the rule:
 *
 *   - the device: mode 0600, root only, one opener at a time, usable
 *     again once the opener closes it;
 *   - every ioctl (CREATE_SESSION and RETRIEVE_SESSION on the device,
 *     PRESERVE_FD, RETRIEVE_FD, FINISH and GET_NAME on a session) follows
 *     the extensible-struct rule: any size short of the last field is
 *     -EINVAL, bytes past the struct must be zero (else -E2BIG), and an
 *     oversized struct with a zero tail works like the exact size; an
 *     unknown command is -ENOTTY;
 *   - sessions: valid names only, unique among outgoing sessions, no
 *     fixed limit, O_CLOEXEC anon-inode fds named "[luo_session] <name>";
 *     retrieving is -ENOENT for a name the previous kernel did not hand
 *     over;
 *   - preserving: -EBADF, -ENOENT for a file type with no handler,
 *     -EEXIST for a reused token, -EBUSY for a file already preserved
 *     anywhere (also through a dup()ed fd), and closing an outgoing
 *     session lets go of its files.
 *
 * What needs a kexec (retrieving, finishing, freezing) is covered by the
 * luo_* stage tests. Sessions here are named "lu-api-*" so they never
 * meet those tests' sessions, which their daemons hold meanwhile.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * kselftest_harness.h's TEST_F() sets a local after setjmp(), which GCC
 * warns about under -Wextra at -O2 (-Wclobbered). The code is the
 * harness's own, built the same way by every kselftest; only the warning
 * is silenced here, as -Werror would otherwise stop the build.
 */
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wclobbered"
#endif
#include "kselftest_harness.h"
#include "lu_harness.h"
#include "luo_test_utils.h"

#define NOBODY		65534
#define MANY_SESSIONS	1000

/* Command numbers no version of the uAPI uses. */
#define LUO_IOCTL_UNKNOWN		_IO(LIVEUPDATE_IOCTL_TYPE, 0x3f)
#define LUO_SESSION_IOCTL_UNKNOWN	_IO(LIVEUPDATE_IOCTL_TYPE, 0x4f)

FIXTURE(liveupdate_device) {
	int fd;		/* /dev/liveupdate */
};

FIXTURE_SETUP(liveupdate_device)
{
	self->fd = luo_open_device();
	ASSERT_LE(0, self->fd)
		TH_LOG("open %s: %s (the kernel under test must have it)", LUO_DEVICE,
		       luo_strerror(self->fd));
}

FIXTURE_TEARDOWN(liveupdate_device)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* An outgoing session; the test cannot go on without it. */
#define NEW_SESSION(name) ({							\
	int __s = luo_create_session(self->fd, name);				\
										\
	ASSERT_LE(0, __s)							\
		TH_LOG("create session '%s': %s", name, luo_strerror(__s));	\
	__s;									\
})

/* A test file holding @value; the test cannot go on without it. */
#define NEW_TEST_FILE(value) ({							\
	int __f = test_file_create(value);					\
										\
	ASSERT_LE(0, __f)							\
		TH_LOG("test file from %s: %s (the kernel under test must have it)", \
		       LUO_TEST_DEVICE, luo_strerror(__f));			\
	__f;									\
})

/* ---- The device ---------------------------------------------------- */

TEST_F(liveupdate_device, device_mode_is_0600)
{
	struct stat st;

	ASSERT_EQ(0, stat(LUO_DEVICE, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600U, st.st_mode & 07777);
	ASSERT_EQ(0, stat(LUO_TEST_DEVICE, &st))
		TH_LOG("%s: %s", LUO_TEST_DEVICE, strerror(errno));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600U, st.st_mode & 07777);
}

TEST_F(liveupdate_device, second_open_is_ebusy)
{
	int fd = luo_open_device();

	EXPECT_EQ(-EBUSY, fd);
	if (fd >= 0)
		close(fd);
}

TEST_F(liveupdate_device, reopen_after_close_works)
{
	ASSERT_EQ(0, close(self->fd));
	self->fd = luo_open_device();
	ASSERT_LE(0, self->fd) TH_LOG("reopen: %s", luo_strerror(self->fd));
	/* And the reopened device is fully usable. */
	close(NEW_SESSION("lu-api-reopen"));
}

TEST_F(liveupdate_device, non_root_open_is_refused)
{
	int status;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to drop to an unprivileged user");

	/* Not held by us: the only possible refusal is the permission check. */
	close(self->fd);
	self->fd = -1;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd;

		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(255);
		fd = open(LUO_DEVICE, O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			_exit(0);
		}
		_exit(errno > 0 && errno < 255 ? errno : 254);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_NE(255, WEXITSTATUS(status)) TH_LOG("could not become uid/gid %d", NOBODY);
	EXPECT_NE(0, WEXITSTATUS(status)) TH_LOG("uid %d opened %s", NOBODY, LUO_DEVICE);
	EXPECT_TRUE(WEXITSTATUS(status) == EACCES || WEXITSTATUS(status) == EPERM)
		TH_LOG("open as uid %d: %s, want EACCES or EPERM", NOBODY,
		       strerror(WEXITSTATUS(status)));
}

TEST_F(liveupdate_device, unknown_device_ioctl_is_enotty)
{
	LUO_OVERSIZED(struct liveupdate_ioctl_create_session) arg = {};

	arg.s.size = sizeof(arg.s);
	EXPECT_EQ(-ENOTTY, luo_ioctl(self->fd, LUO_IOCTL_UNKNOWN, &arg));
	/* A session command is not a device command. */
	EXPECT_EQ(-ENOTTY, luo_ioctl(self->fd, LUO_SESSION_IOCTL_UNKNOWN, &arg));
}

TEST_F(liveupdate_device, unknown_session_ioctl_is_enotty)
{
	LUO_OVERSIZED(struct liveupdate_session_get_name) arg = {};
	int s = NEW_SESSION("lu-api-enotty");

	arg.s.size = sizeof(arg.s);
	EXPECT_EQ(-ENOTTY, luo_ioctl(s, LUO_SESSION_IOCTL_UNKNOWN, &arg));
	EXPECT_EQ(-ENOTTY, luo_ioctl(s, LUO_IOCTL_UNKNOWN, &arg));
	close(s);
}

/* ---- CREATE_SESSION ------------------------------------------------- */

TEST_F(liveupdate_device, create_session_returns_cloexec_fd)
{
	int s = NEW_SESSION("lu-api-cloexec");

	EXPECT_TRUE(fd_is_cloexec(s));
	close(s);
}

TEST_F(liveupdate_device, session_fd_is_named_anon_inode)
{
	const char *name = "lu-api-anon-name";
	char path[64], link[256], want[256];
	int s = NEW_SESSION(name);
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", s);
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT_LT(0, n) TH_LOG("readlink %s: %s", path, strerror(errno));
	link[n] = '\0';
	snprintf(want, sizeof(want), LUO_SESSION_LINK_PREFIX "%s", name);
	EXPECT_STREQ(want, link);
	close(s);
}

TEST_F(liveupdate_device, create_empty_name_is_einval)
{
	EXPECT_EQ(-EINVAL, luo_create_session(self->fd, ""));
}

TEST_F(liveupdate_device, create_unterminated_name_is_einval)
{
	char name[LUO_NAME_LEN + 1];

	/* 64 characters: no room for the NUL in the 64-byte field. */
	memset(name, 'x', LUO_NAME_LEN);
	name[LUO_NAME_LEN] = '\0';
	EXPECT_EQ(-EINVAL, luo_create_session(self->fd, name));
}

TEST_F(liveupdate_device, create_longest_name_works)
{
	char name[LUO_NAME_LEN], got[LUO_NAME_LEN];
	int s;

	memset(name, 'y', LUO_NAME_LEN - 1);
	name[LUO_NAME_LEN - 1] = '\0';
	s = NEW_SESSION(name);
	ASSERT_EQ(0, luo_get_name(s, got));
	EXPECT_STREQ(name, got);
	close(s);
}

TEST_F(liveupdate_device, create_duplicate_session_is_eexist)
{
	int s = NEW_SESSION("lu-api-dup");

	EXPECT_EQ(-EEXIST, luo_create_session(self->fd, "lu-api-dup"));
	close(s);
}

TEST_F(liveupdate_device, closed_session_name_is_free_again)
{
	close(NEW_SESSION("lu-api-reuse"));
	close(NEW_SESSION("lu-api-reuse"));
}

TEST_F(liveupdate_device, many_sessions_can_be_created)
{
	int fds[MANY_SESSIONS], ret, i, created = 0;
	char name[LUO_NAME_LEN];

	ret = luo_raise_nofile(MANY_SESSIONS + 64);
	ASSERT_EQ(0, ret) TH_LOG("RLIMIT_NOFILE: %s", luo_strerror(ret));
	for (i = 0; i < MANY_SESSIONS; i++) {
		snprintf(name, sizeof(name), "lu-api-many-%04d", i);
		fds[i] = luo_create_session(self->fd, name);
		if (fds[i] < 0)
			break;
		created++;
	}
	EXPECT_EQ(MANY_SESSIONS, created)
		TH_LOG("session %d: %s", created, luo_strerror(fds[created]));
	for (i = 0; i < created; i += MANY_SESSIONS / 10) {
		snprintf(name, sizeof(name), "lu-api-many-%04d", i);
		EXPECT_TRUE(luo_name_is(fds[i], name)) TH_LOG("session %d misnamed", i);
	}
	for (i = 0; i < created; i++)
		close(fds[i]);
}

TEST_F(liveupdate_device, create_oversized_zero_tail_is_accepted)
{
	LUO_OVERSIZED(struct liveupdate_ioctl_create_session) arg = {};
	__u8 zero[LUO_TAIL_LEN] = {};
	int ret;

	arg.s.size = sizeof(arg);
	arg.s.fd = -1;
	luo_set_name(arg.s.name, "lu-api-big");
	ret = luo_ioctl(self->fd, LIVEUPDATE_IOCTL_CREATE_SESSION, &arg);
	ASSERT_EQ(0, ret) TH_LOG("%s", luo_strerror(ret));
	ASSERT_LE(0, arg.s.fd);
	EXPECT_TRUE(luo_name_is(arg.s.fd, "lu-api-big"));
	EXPECT_EQ(0, memcmp(arg.tail, zero, sizeof(zero)))
		TH_LOG("the kernel wrote past the struct");
	close(arg.s.fd);
}

/* ---- RETRIEVE_SESSION ----------------------------------------------- */

TEST_F(liveupdate_device, retrieve_unknown_session_is_enoent)
{
	int s = NEW_SESSION("lu-api-outgoing");

	/* No kernel before this one had such a session, live update or not. */
	EXPECT_EQ(-ENOENT, luo_retrieve_session(self->fd, "lu-api-never-preserved"));
	/* An outgoing session is not an incoming one. */
	EXPECT_EQ(-ENOENT, luo_retrieve_session(self->fd, "lu-api-outgoing"));
	close(s);
}

TEST_F(liveupdate_device, retrieve_oversized_zero_tail_is_accepted)
{
	LUO_OVERSIZED(struct liveupdate_ioctl_retrieve_session) arg = {};

	arg.s.size = sizeof(arg);
	arg.s.fd = -1;
	luo_set_name(arg.s.name, "lu-api-never-preserved");
	/* Past the size check, the lookup answers as for the exact size. */
	EXPECT_EQ(-ENOENT, luo_ioctl(self->fd, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &arg));
}

/* ---- PRESERVE_FD ---------------------------------------------------- */

TEST_F(liveupdate_device, test_file_holds_its_value)
{
	int f = NEW_TEST_FILE(42);
	__u64 value = 0;

	ASSERT_EQ(0, test_file_value(f, &value));
	EXPECT_EQ(42ULL, value);
	ASSERT_EQ(0, test_file_set_value(f, 0xfedcba9876543210ULL));
	ASSERT_EQ(0, test_file_value(f, &value));
	EXPECT_EQ(0xfedcba9876543210ULL, value);
	close(f);
}

TEST_F(liveupdate_device, preserve_test_file_works)
{
	int s = NEW_SESSION("lu-api-preserve");
	int f = NEW_TEST_FILE(1);
	__u64 value = 0;

	EXPECT_EQ(0, luo_preserve_fd(s, f, 1));
	/* Preserving does not take the file away from its user. */
	ASSERT_EQ(0, test_file_value(f, &value));
	EXPECT_EQ(1ULL, value);
	close(f);
	close(s);
}

TEST_F(liveupdate_device, preserve_bad_fd_is_ebadf)
{
	int s = NEW_SESSION("lu-api-ebadf");
	int closed = NEW_TEST_FILE(0);

	close(closed);
	EXPECT_EQ(-EBADF, luo_preserve_fd(s, -1, 1));
	EXPECT_EQ(-EBADF, luo_preserve_fd(s, closed, 2));
	EXPECT_EQ(-EBADF, luo_preserve_fd(s, INT_MAX, 3));
	close(s);
}

TEST_F(liveupdate_device, preserve_unsupported_file_is_enoent)
{
	int s = NEW_SESSION("lu-api-devnull");
	int f = open("/dev/null", O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, f);
	EXPECT_EQ(-ENOENT, luo_preserve_fd(s, f, 1));
	close(f);
	close(s);
}

TEST_F(liveupdate_device, preserve_duplicate_token_is_eexist)
{
	int s = NEW_SESSION("lu-api-token");
	int s2 = NEW_SESSION("lu-api-token-2");
	int a = NEW_TEST_FILE(1), b = NEW_TEST_FILE(2);

	ASSERT_EQ(0, luo_preserve_fd(s, a, 0x77));
	EXPECT_EQ(-EEXIST, luo_preserve_fd(s, b, 0x77));
	/* Tokens are per session: another session may use the same one. */
	EXPECT_EQ(0, luo_preserve_fd(s2, b, 0x77));
	close(a);
	close(b);
	close(s2);
	close(s);
}

TEST_F(liveupdate_device, preserve_same_file_twice_is_ebusy)
{
	int s = NEW_SESSION("lu-api-twice");
	int f = NEW_TEST_FILE(1);

	ASSERT_EQ(0, luo_preserve_fd(s, f, 1));
	EXPECT_EQ(-EBUSY, luo_preserve_fd(s, f, 2));
	close(f);
	close(s);
}

TEST_F(liveupdate_device, preserve_same_file_in_two_sessions_is_ebusy)
{
	int s1 = NEW_SESSION("lu-api-two-1");
	int s2 = NEW_SESSION("lu-api-two-2");
	int f = NEW_TEST_FILE(1);

	ASSERT_EQ(0, luo_preserve_fd(s1, f, 1));
	EXPECT_EQ(-EBUSY, luo_preserve_fd(s2, f, 1));
	EXPECT_EQ(-EBUSY, luo_preserve_fd(s2, f, 2));
	close(f);
	close(s2);
	close(s1);
}

TEST_F(liveupdate_device, preserve_dup_fd_is_ebusy)
{
	int s1 = NEW_SESSION("lu-api-dupfd-1");
	int s2 = NEW_SESSION("lu-api-dupfd-2");
	int f = NEW_TEST_FILE(1);
	int d = dup(f);

	ASSERT_LE(0, d);
	ASSERT_EQ(0, luo_preserve_fd(s1, f, 1));
	/* Two fds of one open file are the same file. */
	EXPECT_EQ(-EBUSY, luo_preserve_fd(s1, d, 2));
	EXPECT_EQ(-EBUSY, luo_preserve_fd(s2, d, 1));
	close(d);
	close(f);
	close(s2);
	close(s1);
}

TEST_F(liveupdate_device, separate_opens_are_separate_files)
{
	int s = NEW_SESSION("lu-api-separate");
	int a = NEW_TEST_FILE(1), b = NEW_TEST_FILE(2);

	EXPECT_EQ(0, luo_preserve_fd(s, a, 1));
	EXPECT_EQ(0, luo_preserve_fd(s, b, 2));
	close(a);
	close(b);
	close(s);
}

TEST_F(liveupdate_device, closing_session_unpreserves_files)
{
	int s = NEW_SESSION("lu-api-unpreserve");
	int other = NEW_SESSION("lu-api-unpreserve-other");
	int f = NEW_TEST_FILE(5);
	__u64 value = 0;

	ASSERT_EQ(0, luo_preserve_fd(s, f, 1));
	ASSERT_EQ(-EBUSY, luo_preserve_fd(other, f, 1));
	close(s);
	/* The file is free again: another session can take it. */
	EXPECT_EQ(0, luo_preserve_fd(other, f, 1));
	/* And the file itself is untouched. */
	ASSERT_EQ(0, test_file_value(f, &value));
	EXPECT_EQ(5ULL, value);
	close(other);
	close(f);
}

TEST_F(liveupdate_device, preserve_oversized_zero_tail_is_accepted)
{
	LUO_OVERSIZED(struct liveupdate_session_preserve_fd) arg = {};
	int s = NEW_SESSION("lu-api-preserve-big");
	int f = NEW_TEST_FILE(1);

	arg.s.size = sizeof(arg);
	arg.s.fd = f;
	arg.s.token = 1;
	EXPECT_EQ(0, luo_ioctl(s, LIVEUPDATE_SESSION_PRESERVE_FD, &arg));
	/* It really was preserved. */
	EXPECT_EQ(-EBUSY, luo_preserve_fd(s, f, 2));
	close(f);
	close(s);
}

/* ---- RETRIEVE_FD ---------------------------------------------------- */

TEST_F(liveupdate_device, retrieve_fd_unknown_token_is_enoent)
{
	int s = NEW_SESSION("lu-api-retrieve-fd");
	int f = NEW_TEST_FILE(1);

	/* An outgoing session has nothing to retrieve under any token. */
	EXPECT_EQ(-ENOENT, luo_retrieve_fd(s, 1));
	ASSERT_EQ(0, luo_preserve_fd(s, f, 1));
	EXPECT_EQ(-ENOENT, luo_retrieve_fd(s, 2));
	close(f);
	close(s);
}

TEST_F(liveupdate_device, retrieve_fd_oversized_zero_tail_is_accepted)
{
	LUO_OVERSIZED(struct liveupdate_session_retrieve_fd) arg = {};
	int s = NEW_SESSION("lu-api-retrieve-fd-big");
	int exact = luo_retrieve_fd(s, 1);
	int ret;

	arg.s.size = sizeof(arg);
	arg.s.fd = -1;
	arg.s.token = 1;
	ret = luo_ioctl(s, LIVEUPDATE_SESSION_RETRIEVE_FD, &arg);
	/* Past the size check, the same answer as with the exact size. */
	EXPECT_NE(-E2BIG, ret);
	EXPECT_EQ(exact, ret) TH_LOG("oversized: %s, exact size: %s", luo_strerror(ret),
				     luo_strerror(exact));
	close(s);
}

/* ---- FINISH --------------------------------------------------------- */

TEST_F(liveupdate_device, finish_reserved_nonzero_is_einval)
{
	struct liveupdate_session_finish arg = { .size = sizeof(arg), .reserved = 1 };
	int s = NEW_SESSION("lu-api-finish-reserved");

	EXPECT_EQ(-EINVAL, luo_ioctl(s, LIVEUPDATE_SESSION_FINISH, &arg));
	arg.reserved = 0x80000000;
	EXPECT_EQ(-EINVAL, luo_ioctl(s, LIVEUPDATE_SESSION_FINISH, &arg));
	close(s);
}

TEST_F(liveupdate_device, finish_oversized_zero_tail_is_accepted)
{
	LUO_OVERSIZED(struct liveupdate_session_finish) arg = {};
	int s1 = NEW_SESSION("lu-api-finish-big-1");
	int s2 = NEW_SESSION("lu-api-finish-big-2");
	int exact, ret;

	/* Two like sessions: whatever FINISH does to the first, not twice. */
	exact = luo_finish(s1);
	arg.s.size = sizeof(arg);
	ret = luo_ioctl(s2, LIVEUPDATE_SESSION_FINISH, &arg);
	EXPECT_NE(-E2BIG, ret);
	EXPECT_EQ(exact, ret) TH_LOG("oversized: %s, exact size: %s", luo_strerror(ret),
				     luo_strerror(exact));
	close(s2);
	close(s1);
}

/* ---- GET_NAME ------------------------------------------------------- */

TEST_F(liveupdate_device, get_name_returns_name)
{
	char name[LUO_NAME_LEN];
	int s = NEW_SESSION("lu-api-get-name");

	ASSERT_EQ(0, luo_get_name(s, name));
	EXPECT_STREQ("lu-api-get-name", name);
	close(s);
}

TEST_F(liveupdate_device, get_name_reserved_nonzero_is_einval)
{
	struct liveupdate_session_get_name arg = { .size = sizeof(arg), .reserved = 1 };
	int s = NEW_SESSION("lu-api-get-name-reserved");

	EXPECT_EQ(-EINVAL, luo_ioctl(s, LIVEUPDATE_SESSION_GET_NAME, &arg));
	close(s);
}

TEST_F(liveupdate_device, get_name_oversized_zero_tail_is_accepted)
{
	LUO_OVERSIZED(struct liveupdate_session_get_name) arg = {};
	__u8 zero[LUO_TAIL_LEN] = {};
	int s = NEW_SESSION("lu-api-get-name-big");

	arg.s.size = sizeof(arg);
	ASSERT_EQ(0, luo_ioctl(s, LIVEUPDATE_SESSION_GET_NAME, &arg));
	EXPECT_STREQ("lu-api-get-name-big", (char *)arg.s.name);
	EXPECT_EQ(0, memcmp(arg.tail, zero, sizeof(zero)))
		TH_LOG("the kernel wrote past the struct");
	close(s);
}

/* ---- The size rule, for every ioctl ------------------------------- */

/*
 * Every ioctl's struct starts with its size. Any size short of the whole
 * struct is -EINVAL; a bigger one whose bytes past the struct are not all
 * zero is -E2BIG; neither does anything. @fill sets the other fields (a
 * call that passed the size check would then succeed or fail on its own
 * terms); @nothing_done checks that the refused calls left no trace.
 */
struct size_rule_ctx {
	int dev, session, file;
};

FIXTURE(size_rule) {
	struct size_rule_ctx c;
};

FIXTURE_VARIANT(size_rule) {
	unsigned long cmd;
	size_t size;
	bool on_session;
	void (*fill)(void *arg, const struct size_rule_ctx *c);
	bool (*nothing_done)(const struct size_rule_ctx *c);
};

#define SIZE_RULE_NAME	"lu-api-size-rule"

static void fill_create(void *arg, const struct size_rule_ctx *c)
{
	struct liveupdate_ioctl_create_session *a = arg;

	a->fd = -1;
	luo_set_name(a->name, SIZE_RULE_NAME);
}

/* The name is still free: no session was created. */
static bool created_nothing(const struct size_rule_ctx *c)
{
	int s = luo_create_session(c->dev, SIZE_RULE_NAME);

	if (s < 0)
		return false;
	close(s);
	return true;
}

static void fill_retrieve(void *arg, const struct size_rule_ctx *c)
{
	struct liveupdate_ioctl_retrieve_session *a = arg;

	a->fd = -1;
	luo_set_name(a->name, "lu-api-never-preserved");
}

static void fill_preserve(void *arg, const struct size_rule_ctx *c)
{
	struct liveupdate_session_preserve_fd *a = arg;

	a->fd = c->file;
	a->token = 1;
}

/* The file and its token are still free: nothing was preserved. */
static bool preserved_nothing(const struct size_rule_ctx *c)
{
	return !luo_preserve_fd(c->session, c->file, 1);
}

static void fill_retrieve_fd(void *arg, const struct size_rule_ctx *c)
{
	struct liveupdate_session_retrieve_fd *a = arg;

	a->fd = -1;
	a->token = 1;
}

FIXTURE_VARIANT_ADD(size_rule, create_session) {
	.cmd = LIVEUPDATE_IOCTL_CREATE_SESSION,
	.size = sizeof(struct liveupdate_ioctl_create_session),
	.fill = fill_create, .nothing_done = created_nothing,
};

FIXTURE_VARIANT_ADD(size_rule, retrieve_session) {
	.cmd = LIVEUPDATE_IOCTL_RETRIEVE_SESSION,
	.size = sizeof(struct liveupdate_ioctl_retrieve_session),
	.fill = fill_retrieve,
};

FIXTURE_VARIANT_ADD(size_rule, preserve_fd) {
	.cmd = LIVEUPDATE_SESSION_PRESERVE_FD,
	.size = sizeof(struct liveupdate_session_preserve_fd), .on_session = true,
	.fill = fill_preserve, .nothing_done = preserved_nothing,
};

FIXTURE_VARIANT_ADD(size_rule, retrieve_fd) {
	.cmd = LIVEUPDATE_SESSION_RETRIEVE_FD,
	.size = sizeof(struct liveupdate_session_retrieve_fd), .on_session = true,
	.fill = fill_retrieve_fd,
};

FIXTURE_VARIANT_ADD(size_rule, finish) {
	.cmd = LIVEUPDATE_SESSION_FINISH,
	.size = sizeof(struct liveupdate_session_finish), .on_session = true,
};

FIXTURE_VARIANT_ADD(size_rule, get_name) {
	.cmd = LIVEUPDATE_SESSION_GET_NAME,
	.size = sizeof(struct liveupdate_session_get_name), .on_session = true,
};

FIXTURE_SETUP(size_rule)
{
	self->c.session = -1;
	self->c.file = -1;
	self->c.dev = luo_open_device();
	ASSERT_LE(0, self->c.dev) TH_LOG("open %s: %s", LUO_DEVICE, luo_strerror(self->c.dev));
	if (variant->on_session) {
		self->c.session = luo_create_session(self->c.dev, "lu-api-size-rule-session");
		ASSERT_LE(0, self->c.session) TH_LOG("%s", luo_strerror(self->c.session));
	}
	self->c.file = test_file_create(1);
	ASSERT_LE(0, self->c.file) TH_LOG("test file: %s", luo_strerror(self->c.file));
}

FIXTURE_TEARDOWN(size_rule)
{
	if (self->c.file >= 0)
		close(self->c.file);
	if (self->c.session >= 0)
		close(self->c.session);
	if (self->c.dev >= 0)
		close(self->c.dev);
}

/* The struct, its size field first, and room for a tail past it. */
static union {
	__u32 size;
	__u8 bytes[256 + LUO_TAIL_LEN];
} size_rule_arg;

static int size_rule_call(const FIXTURE_VARIANT(size_rule) *v, const struct size_rule_ctx *c,
			  __u32 size, bool dirty_tail)
{
	memset(&size_rule_arg, 0, sizeof(size_rule_arg));
	if (v->fill)
		v->fill(&size_rule_arg, c);
	size_rule_arg.size = size;
	if (dirty_tail)
		size_rule_arg.bytes[size - 1] = 1;
	return luo_ioctl(v->on_session ? c->session : c->dev, v->cmd, &size_rule_arg);
}

TEST_F(size_rule, too_small_is_einval)
{
	__u32 size;

	ASSERT_GE(sizeof(size_rule_arg.bytes) - LUO_TAIL_LEN, variant->size);
	for (size = 0; size < variant->size; size++)
		EXPECT_EQ(-EINVAL, size_rule_call(variant, &self->c, size, false))
			TH_LOG("size %u of %zu", size, variant->size);
	if (variant->nothing_done)
		EXPECT_TRUE(variant->nothing_done(&self->c));
}

TEST_F(size_rule, oversized_nonzero_tail_is_e2big)
{
	ASSERT_GE(sizeof(size_rule_arg.bytes) - LUO_TAIL_LEN, variant->size);
	EXPECT_EQ(-E2BIG, size_rule_call(variant, &self->c, variant->size + LUO_TAIL_LEN, true));
	if (variant->nothing_done)
		EXPECT_TRUE(variant->nothing_done(&self->c));
}

int main(int argc, char **argv)
{
	return lu_harness_run(argc, argv);
}
