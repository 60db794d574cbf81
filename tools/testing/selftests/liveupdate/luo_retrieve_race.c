// SPDX-License-Identifier: GPL-2.0
/*
 * luo_retrieve_race: a retrieve whose result cannot reach userspace
 * consumes nothing, even while another thread retrieves the same thing.
 *
 * RETRIEVE_SESSION and RETRIEVE_FD used to hand the object out first and
 * take it back when copying the fd number to userspace failed; in that gap
 * a second thread could retrieve it too (double free, corrupted session
 * list, a hung kernel). Now the fd is reserved and its number copied back
 * before anything is handed out.
 *
 * Stage 1 creates NR_SESSIONS sessions of two files each (a test file and a
 * memfd of known contents); CREATE_SESSION with a read-only argument is
 * EFAULT and creates nothing (the name is free afterwards).
 * Stage 2, for every session, runs at once: a thread retrieving it with a
 * read-only argument (EFAULT) in a loop, a child process sharing the
 * /dev/liveupdate fd whose RLIMIT_NOFILE leaves no fd free (EMFILE) in a
 * loop, and the main thread retrieving it normally. Exactly one retrieve
 * may succeed, every other attempt must fail with EFAULT, EMFILE or
 * (once retrieved) EINVAL, and no fd may leak. Then the same race for
 * RETRIEVE_FD on the memfd's token (EFAULT, EMFILE, then ENOENT); the memfd
 * comes back with its contents. Every session finishes.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"

#define NR_SESSIONS	48
#define CARRY_READY	"luo_retrieve_race.ready"
#define TOKEN_TEST	1
#define TOKEN_MEMFD	2
#define MEMFD_SZ	(64 * 1024)
#define ATTEMPTS	40

static void session_name(int i, char *buf, size_t len)
{
	snprintf(buf, len, "race-%02d", i);
}

static unsigned char pattern(int i, long off)
{
	return (unsigned char)(i * 131 + off * 7 + (off >> 9));
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

/* A page holding @size bytes of argument, made read-only after @init. */
static void *ro_arg(const void *init, size_t size)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memcpy(p, init, size);
	if (mprotect(p, 4096, PROT_READ)) {
		munmap(p, 4096);
		return NULL;
	}
	return p;
}

struct racer {
	int fd;			/* /dev/liveupdate or a session */
	unsigned long cmd;
	void *arg;		/* read-only */
	int efault, other;
};

static void *fault_loop(void *p)
{
	struct racer *r = p;

	for (int k = 0; k < ATTEMPTS; k++) {
		int ret = luo_ioctl(r->fd, r->cmd, r->arg);

		if (ret == -EFAULT)
			r->efault++;
		else if (ret != -EINVAL && ret != -ENOENT)
			r->other++;	/* a success with a read-only argument is a bug */
		if (ret >= 0)
			close(ret);
	}
	return NULL;
}

/* A child with no fd to spare tries @cmd in a loop; its exit status says how it went. */
static pid_t emfile_loop(int fd, unsigned long cmd, const void *arg, size_t size)
{
	pid_t pid = fork();

	if (pid == 0) {
		char a[256];
		struct rlimit rl = { 0, 0 };
		int bad = 0, n = count_fds();

		memcpy(a, arg, size);
		rl.rlim_cur = rl.rlim_max = n;
		if (n < 0 || setrlimit(RLIMIT_NOFILE, &rl))
			_exit(2);
		/* Fill any gap below the limit: no fd may be free. */
		while (dup(0) >= 0)
			;
		if (errno != EMFILE)
			_exit(2);
		for (int k = 0; k < ATTEMPTS; k++) {
			int ret = luo_ioctl(fd, cmd, a);

			bad += ret != -EMFILE && ret != -EINVAL && ret != -ENOENT;
		}
		_exit(bad ? 1 : 0);
	}
	return pid;
}

/* Race @cmd three ways; the result of the normal attempt, and the count of bad ones. */
static int race(int fd, unsigned long cmd, const void *arg, size_t size, int *bad)
{
	struct racer r = { .fd = fd, .cmd = cmd };
	char good[256];
	pthread_t t;
	int status, ret;
	pid_t child;

	memcpy(good, arg, size);
	r.arg = ro_arg(arg, size);
	if (!r.arg)
		return -ENOMEM;
	child = emfile_loop(fd, cmd, arg, size);
	pthread_create(&t, NULL, fault_loop, &r);
	usleep(200);
	ret = luo_ioctl(fd, cmd, good);
	pthread_join(t, NULL);
	if (child < 0 || waitpid(child, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		(*bad)++;
	*bad += r.other + !r.efault;
	munmap(r.arg, 4096);
	if (ret < 0)
		return ret;
	/* The retrieve that won: the fd number the kernel copied back is the result. */
	return cmd == LIVEUPDATE_IOCTL_RETRIEVE_SESSION ?
	       ((struct liveupdate_ioctl_retrieve_session *)good)->fd :
	       ((struct liveupdate_session_retrieve_fd *)good)->fd;
}

static void stage1(void)
{
	struct liveupdate_ioctl_create_session cs = { .size = sizeof(cs) };
	char name[LUO_NAME_LEN], buf[4096];
	int luo, s, t, m, ret, i;
	void *ro;
	pid_t pid;

	ksft_set_plan(6);
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	luo_set_name(cs.name, "read-only-arg");
	ro = ro_arg(&cs, sizeof(cs));
	ret = ro ? luo_ioctl(luo, LIVEUPDATE_IOCTL_CREATE_SESSION, ro) : -ENOMEM;
	luo_check(ret == -EFAULT, "create_session with a read-only argument is EFAULT (%s)",
		  luo_strerror(ret));
	s = luo_create_session(luo, "read-only-arg");
	luo_check(s >= 0, "and created nothing: the name is free (%s)", luo_strerror(s));
	if (s >= 0)
		close(s);

	ret = 0;
	for (i = 0; i < NR_SESSIONS && !ret; i++) {
		session_name(i, name, sizeof(name));
		s = luo_create_session(luo, name);
		t = test_file_create(1000 + i);
		m = memfd_create("race", 0);
		for (long off = 0; off < MEMFD_SZ; off += sizeof(buf)) {
			for (long k = 0; k < (long)sizeof(buf); k++)
				buf[k] = pattern(i, off + k);
			if (m < 0 || pwrite(m, buf, sizeof(buf), off) != sizeof(buf))
				ret = -EIO;
		}
		if (s < 0 || t < 0)
			ret = s < 0 ? s : t;
		ret = ret ?: luo_preserve_fd(s, t, TOKEN_TEST);
		ret = ret ?: luo_preserve_fd(s, m, TOKEN_MEMFD);
		close(t);
		close(m);
	}
	luo_require(!ret, "%d sessions of a test file and a memfd preserved (%s)", i,
		    luo_strerror(ret));
	close(luo);
	luo_require(lu_carry_set(CARRY_READY, "1"), "carry to stage 2");
	pid = daemonize_and_hold();
	luo_require(pid > 0, "daemon holds the sessions (%s)", luo_strerror(pid));
	ksft_finished();
}

static void stage2(void)
{
	int sessions[NR_SESSIONS], bad_s = 0, bad_f = 0, won_s = 0, won_f = 0, intact = 0;
	int luo, fds0, ret, i;
	char carry[8], buf[4096];

	ksft_set_plan(9);
	luo_require(lu_carry_get(CARRY_READY, carry, sizeof(carry)), "stage 1 completed");
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	fds0 = count_fds();

	for (i = 0; i < NR_SESSIONS; i++) {
		struct liveupdate_ioctl_retrieve_session rs = { .size = sizeof(rs), .fd = -1 };

		session_name(i, (char *)rs.name, sizeof(rs.name));
		sessions[i] = race(luo, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &rs, sizeof(rs), &bad_s);
		won_s += sessions[i] >= 0;
	}
	luo_check(won_s == NR_SESSIONS, "every session retrieved exactly once (%d of %d)", won_s,
		  NR_SESSIONS);
	luo_check(!bad_s, "racing session retrieves failed with EFAULT, EMFILE or EINVAL (%d bad)",
		  bad_s);
	luo_check(count_fds() == fds0 + won_s, "no fd leaked (%d open, want %d)", count_fds(),
		  fds0 + won_s);

	for (i = 0; i < NR_SESSIONS; i++) {
		struct liveupdate_session_retrieve_fd rf = {
			.size = sizeof(rf), .fd = -1, .token = TOKEN_MEMFD,
		};
		int m;

		if (sessions[i] < 0)
			continue;
		m = race(sessions[i], LIVEUPDATE_SESSION_RETRIEVE_FD, &rf, sizeof(rf), &bad_f);
		if (m < 0)
			continue;
		won_f++;
		ret = 0;
		for (long off = 0; off < MEMFD_SZ && !ret; off += sizeof(buf)) {
			if (pread(m, buf, sizeof(buf), off) != sizeof(buf))
				ret = -EIO;
			for (long k = 0; k < (long)sizeof(buf) && !ret; k++)
				if ((unsigned char)buf[k] != pattern(i, off + k))
					ret = -EILSEQ;
		}
		intact += !ret;
		close(m);
	}
	luo_check(won_f == won_s && intact == won_f,
		  "every memfd retrieved exactly once (%d), contents intact (%d)", won_f, intact);
	luo_check(!bad_f, "racing file retrieves failed with EFAULT, EMFILE or ENOENT (%d bad)",
		  bad_f);
	luo_check(count_fds() == fds0 + won_s, "no fd leaked (%d open, want %d)", count_fds(),
		  fds0 + won_s);
	ret = 0;
	for (i = 0; i < NR_SESSIONS; i++) {
		if (sessions[i] < 0)
			continue;
		ret = ret ?: luo_finish(sessions[i]);
		close(sessions[i]);
	}
	luo_check(!ret, "every session finishes (%s)", luo_strerror(ret));
	close(luo);
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2)
