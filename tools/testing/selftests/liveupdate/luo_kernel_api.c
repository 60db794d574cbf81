// SPDX-License-Identifier: GPL-2.0
/*
 * luo_kernel_api: the in-kernel file API, liveupdate_get_token_outgoing()
 * and liveupdate_get_file_incoming(), through the test handler's
 * dependent files (kernel/liveupdate/luo_test_handler.c: "depend FD",
 * "depend-token T"): a file whose handler needs another preserved file of
 * its session, as a device file needs the memfd behind it.
 *
 * Stage 1, in session "kapi":
 *   - a test file A (value 41) and a memfd M (3 pages, 12,345 bytes) are
 *     preserved; D1 depends on A and D2 on M: their preserves find the
 *     tokens; A's value changes to 42 after (the freeze carries it);
 *   - refused with -ENOENT: a file depending on A preserved in another
 *     session, and one depending on a file in no session; neither is left
 *     preserved (the same file preserves once the dependency is there);
 *   - "depend" on the file itself is -ELOOP, a bad fd -EBADF;
 *   - dependencies that only the next kernel can find bad (depend-token):
 *     S on its own token, C1 and C2 on each other, U on a token nobody
 *     has.
 * Stage 2:
 *   - D1 is retrieved first: its retrieve got A in the kernel; D1 shows
 *     A's value, 42. Then A is retrieved by user space, once (-ENOENT the
 *     second time), and is the same file: a value written through A is
 *     what D1 shows;
 *   - D2 retrieved shows M's size; M retrieved afterwards has its bytes;
 *   - S fails with -EDEADLK, so do C1 and C2 (the cycle), U with -ENOENT,
 *     and each fails the same way when tried again;
 *   - FINISH succeeds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"

#define SESSION		"kapi"
#define SESSION_OTHER	"kapi-other"
#define CARRY_READY	"luo_kernel_api.ready"
#define MEMFD_SIZE	12345L
#define T_A		1ULL
#define T_M		2ULL
#define T_D1		3ULL
#define T_D2		4ULL
#define T_SELF		5ULL
#define T_C1		6ULL
#define T_C2		7ULL
#define T_UNKNOWN	8ULL
#define T_NOWHERE	9ULL
#define T_ELSEWHERE	10ULL
#define NO_TOKEN	1000ULL

static unsigned char memfd_byte(long i)
{
	return (unsigned char)(i * 131 + 7);
}

/* A test file depending on the file open as @dep: its fd, or -errno. */
static int dependent_on(int dep)
{
	char cmd[32];
	int fd = test_file_create(0), ret;

	if (fd < 0)
		return fd;
	snprintf(cmd, sizeof(cmd), "depend %d", dep);
	ret = test_file_cmd(fd, cmd);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/* A test file depending on @token, unchecked. */
static int dependent_on_token(unsigned long long token)
{
	char cmd[48];
	int fd = test_file_create(0), ret;

	if (fd < 0)
		return fd;
	snprintf(cmd, sizeof(cmd), "depend-token %llu", token);
	ret = test_file_cmd(fd, cmd);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

static void stage1(void)
{
	unsigned char buf[MEMFD_SIZE];
	int luo, s, other, a, m, d1, d2, fd, stray, ret, ret2;
	char cmd[32];
	pid_t pid;

	ksft_set_plan(17);
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	s = luo_create_session(luo, SESSION);
	other = luo_create_session(luo, SESSION_OTHER);
	luo_require(s >= 0 && other >= 0, "create_session %s and %s (%s, %s)", SESSION,
		    SESSION_OTHER, luo_strerror(s), luo_strerror(other));

	a = test_file_create(41);
	m = memfd_create("kapi", 0);
	for (long i = 0; i < MEMFD_SIZE; i++)
		buf[i] = memfd_byte(i);
	luo_require(a >= 0 && m >= 0 && write(m, buf, MEMFD_SIZE) == MEMFD_SIZE,
		    "test file A and a memfd of %ld bytes", MEMFD_SIZE);

	/* A dependency that is in no session yet, then in another one. */
	fd = dependent_on(a);
	ret = fd < 0 ? fd : luo_preserve_fd(s, fd, T_NOWHERE);
	luo_check(ret == -ENOENT, "depending on a file in no session: -ENOENT (%s)",
		  luo_strerror(ret));
	stray = test_file_create(0);
	ret = stray < 0 ? stray : luo_preserve_fd(other, stray, 1);
	luo_require(!ret, "a file preserved in session %s (%s)", SESSION_OTHER, luo_strerror(ret));
	snprintf(cmd, sizeof(cmd), "depend %d", stray);
	ret = fd < 0 ? fd : test_file_cmd(fd, cmd);
	ret = ret ? ret : luo_preserve_fd(s, fd, T_ELSEWHERE);
	luo_check(ret == -ENOENT, "depending on a file of another session: -ENOENT (%s)",
		  luo_strerror(ret));

	ret = luo_preserve_fd(s, a, T_A);
	ret2 = luo_preserve_fd(s, m, T_M);
	luo_require(!ret && !ret2, "preserve A and the memfd (%s, %s)", luo_strerror(ret),
		    luo_strerror(ret2));
	/* The refused file was left unpreserved: it preserves now. */
	snprintf(cmd, sizeof(cmd), "depend %d", a);
	ret = test_file_cmd(fd, cmd);
	ret = ret ? ret : luo_preserve_fd(s, fd, T_NOWHERE);
	luo_check(!ret, "the refused file, depending on A now, preserves (%s)", luo_strerror(ret));

	d1 = dependent_on(a);
	ret = d1 < 0 ? d1 : luo_preserve_fd(s, d1, T_D1);
	luo_check(!ret, "D1 depends on A: preserve_fd (%s)", luo_strerror(ret));
	d2 = dependent_on(m);
	ret = d2 < 0 ? d2 : luo_preserve_fd(s, d2, T_D2);
	luo_check(!ret, "D2 depends on the memfd: preserve_fd (%s)", luo_strerror(ret));

	snprintf(cmd, sizeof(cmd), "depend %d", d1);
	ret = test_file_cmd(d1, cmd);
	luo_check(ret == -ELOOP, "depend on itself: -ELOOP (%s)", luo_strerror(ret));
	ret = test_file_cmd(a, "depend 9999");
	luo_check(ret == -EBADF, "depend on a bad fd: -EBADF (%s)", luo_strerror(ret));

	fd = dependent_on_token(T_SELF);
	ret = fd < 0 ? fd : luo_preserve_fd(s, fd, T_SELF);
	fd = ret ? ret : dependent_on_token(T_C2);
	ret = fd < 0 ? fd : luo_preserve_fd(s, fd, T_C1);
	fd = ret ? ret : dependent_on_token(T_C1);
	ret = fd < 0 ? fd : luo_preserve_fd(s, fd, T_C2);
	fd = ret ? ret : dependent_on_token(NO_TOKEN);
	ret = fd < 0 ? fd : luo_preserve_fd(s, fd, T_UNKNOWN);
	luo_check(!ret, "files depending on themselves, on each other, on no file (%s)",
		  luo_strerror(ret));

	ret = test_file_set_value(a, 42);
	luo_check(!ret, "A's value is 42 after its preserve (%s)", luo_strerror(ret));
	ret = luo_preserve_fd(other, dependent_on(a), 2);
	luo_check(ret == -ENOENT, "A is in %s, not in %s: -ENOENT (%s)", SESSION, SESSION_OTHER,
		  luo_strerror(ret));
	close(other);

	close(luo);
	luo_require(lu_carry_set(CARRY_READY, "1"), "carry to stage 2");
	pid = daemonize_and_hold();
	luo_check(pid > 0, "daemon holds the session (%s)", luo_strerror(pid));
	ksft_finished();
}

static void stage2(void)
{
	static const unsigned long long bad[] = { T_SELF, T_C1, T_C2, T_UNKNOWN };
	static const int want[] = { -EDEADLK, -EDEADLK, -EDEADLK, -ENOENT };
	unsigned char buf[MEMFD_SIZE + 1];
	unsigned long long v1 = 0, v2 = 0, size = 0;
	int luo, s, a, m, d1, d2, ret, again;
	char carry[8];
	long badbyte = -1, n;
	struct stat st;

	ksft_set_plan(14);
	luo_require(lu_carry_get(CARRY_READY, carry, sizeof(carry)), "stage 1 completed");
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	s = luo_retrieve_session(luo, SESSION);
	luo_require(s >= 0, "retrieve_session (%s)", luo_strerror(s));

	d1 = luo_retrieve_fd(s, T_D1);
	ret = d1 < 0 ? d1 : test_file_value(d1, &v1);
	luo_check(!ret && v1 == 42, "D1 retrieved first, its retrieve got A: A's value %llu (%s)",
		  v1, luo_strerror(ret));
	a = luo_retrieve_fd(s, T_A);
	ret = a < 0 ? a : test_file_set_value(a, 777);
	ret = ret ? ret : test_file_value(d1, &v2);
	luo_check(!ret && v2 == 777,
		  "A retrieved afterwards is the same file: 777 written through it, D1 shows %llu (%s)",
		  v2, luo_strerror(ret));
	ret = luo_retrieve_fd(s, T_A);
	luo_check(ret == -ENOENT, "A retrieved again: -ENOENT (%s)", luo_strerror(ret));
	ret = luo_retrieve_fd(s, T_D1);
	luo_check(ret == -ENOENT, "D1 retrieved again: -ENOENT (%s)", luo_strerror(ret));

	d2 = luo_retrieve_fd(s, T_D2);
	ret = d2 < 0 ? d2 : test_file_value(d2, &size);
	luo_check(!ret && size == MEMFD_SIZE, "D2 shows the memfd's size, %llu (%s)", size,
		  luo_strerror(ret));
	m = luo_retrieve_fd(s, T_M);
	n = m < 0 ? m : pread(m, buf, sizeof(buf), 0);
	for (long i = 0; i < n && badbyte < 0; i++)
		if (buf[i] != memfd_byte(i))
			badbyte = i;
	luo_check(n == MEMFD_SIZE && badbyte < 0 && !fstat(m, &st) && st.st_size == MEMFD_SIZE,
		  "the memfd retrieved after D2 has its %ld bytes (read %ld, first bad %ld)",
		  MEMFD_SIZE, n, badbyte);

	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		ret = luo_retrieve_fd(s, bad[i]);
		again = luo_retrieve_fd(s, bad[i]);
		luo_check(ret == want[i] && again == want[i],
			  "token %llu: %s, and again %s (want %s)", bad[i], luo_strerror(ret),
			  luo_strerror(again), luo_strerror(want[i]));
	}
	ret = luo_finish(s);
	luo_check(!ret, "finish (%s)", luo_strerror(ret));
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2)
