// SPDX-License-Identifier: GPL-2.0
/*
 * lu_export: `lu-trace export` serves /metrics through a live update while
 * a real Prometheus on the host scrapes it (QEMU user networking forwards
 * a host loopback port to the guest's 9464). The host checks the series
 * through Prometheus's HTTP API afterwards (tools/lu-trace/tests/prom_test.sh).
 *
 * Stage 1 brings eth0 up, starts the exporter, preserves 3 memfds in 2
 * sessions, lets Prometheus scrape for a while, writes one exposition to
 * the disk for promtool, and kexecs with the exporter still running.
 * Stage 2 starts the exporter before the sessions are retrieved, retrieves
 * and finishes them, and keeps serving until Prometheus has seen the
 * completed update.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"
#include "lu_trace_util.h"

#define SCRAPE_WAIT_S	6	/* Prometheus scrapes every second */

static const struct {
	const char *session;
	__u64 token;
	unsigned long size;
} files[] = {
	{ "web", 1, 2UL << 20 },
	{ "web", 2, 1UL << 20 },
	{ "db", 1, 4UL << 20 },
};

static const char * const sessions[] = { "web", "db" };

#define NR_FILES	(int)(sizeof(files) / sizeof(files[0]))
#define NR_SESSIONS	(int)(sizeof(sessions) / sizeof(sessions[0]))

static bool net_up(void)
{
	return !run((char *[]){ "/bin/busybox", "ip", "link", "set", "lo", "up", NULL }, NULL, NULL) &&
	       !run((char *[]){ "/bin/busybox", "ip", "link", "set", "eth0", "up", NULL }, NULL, NULL) &&
	       !run((char *[]){ "/bin/busybox", "ip", "addr", "add", "10.0.2.15/24", "dev", "eth0",
				NULL }, NULL, NULL);
}

/* The exporter in the background, listening on all addresses. */
static pid_t export_start(void)
{
	pid_t pid = fork();

	if (!pid) {
		int fd = open(MNT "/export.log", O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0)
			dup2(fd, 2);
		execl(LU_TRACE, LU_TRACE, "export", "-a", "0.0.0.0", "-p", "9464", (char *)NULL);
		_exit(127);
	}
	return pid;
}

/*
 * The exporter listens before it loads its BPF programs (a port in use
 * fails early) and answers only once they are attached: one request,
 * waited for, is the sign that it sees every event from now on. A fixed
 * sleep was not: a slow start missed stage 2's retrieves.
 */
static bool export_ready(int timeout_s)
{
	static const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(9464),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct timeval tv = { .tv_sec = timeout_s };
	char buf[16] = "";
	bool ok = false;
	int fd = -1;

	for (int i = 0; i < timeout_s * 10 && fd < 0; i++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			close(fd);
			fd = -1;
			usleep(100000);
		}
	}
	if (fd < 0)
		return false;
	if (!setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) &&
	    write(fd, req, sizeof(req) - 1) == sizeof(req) - 1 &&
	    read(fd, buf, sizeof(buf) - 1) >= 12)
		ok = !strncmp(buf, "HTTP/1.", 7) && !strncmp(buf + 8, " 200", 4);
	close(fd);
	return ok;
}

/* Both stages: the disk, the network, the exporter, then /dev/liveupdate. */
static int setup(pid_t *exp)
{
	int luo;

	luo_require(mount_disk(), "disk mounted");
	luo_require(net_up(), "eth0 up at 10.0.2.15");
	*exp = export_start();
	luo_require(*exp > 0, "lu-trace export started");
	luo_require(export_ready(120), "lu-trace export answers /metrics (its BPF programs attached)");
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	return luo;
}

static void stage1(void)
{
	int luo, s[NR_SESSIONS], ok = 0;
	pid_t exp;

	ksft_set_plan(8);
	luo = setup(&exp);
	for (int i = 0; i < NR_SESSIONS; i++)
		s[i] = luo_create_session(luo, sessions[i]);
	for (int i = 0; i < NR_FILES; i++) {
		int fd = memfd_create(files[i].session, 0), j = strcmp(files[i].session, "web") ? 1 : 0;
		char *p;

		if (fd < 0 || ftruncate(fd, files[i].size))
			continue;
		p = mmap(NULL, files[i].size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			continue;
		memset(p, 0x5a + i, files[i].size);
		munmap(p, files[i].size);
		ok += !luo_preserve_fd(s[j], fd, files[i].token);
	}
	luo_require(ok == NR_FILES, "%d memfds preserved in %d sessions", NR_FILES, NR_SESSIONS);
	sleep(SCRAPE_WAIT_S);
	luo_check(!run((char *[]){ LU_TRACE, "export", "--once", "-t", MNT "/before.prom", NULL },
		       NULL, MNT "/once.err"), "one exposition written for promtool");
	sync();
	umount(MNT);
	luo_check(daemonize_and_hold() > 0, "sessions held; the exporter serves until the kexec");
	ksft_finished();
}

static void stage2(void)
{
	int luo, ok = 0;
	pid_t exp;

	ksft_set_plan(7);
	luo = setup(&exp);
	for (int i = 0; i < NR_SESSIONS; i++) {
		int s = luo_retrieve_session(luo, sessions[i]), n = 0;

		for (int f = 0; s >= 0 && f < NR_FILES; f++)
			if (!strcmp(files[f].session, sessions[i]))
				n += luo_retrieve_fd(s, files[f].token) >= 0;
		ok += s >= 0 && !luo_finish(s) ? n : 0;
	}
	luo_check(ok == NR_FILES, "%d files retrieved and sessions finished", NR_FILES);
	sleep(SCRAPE_WAIT_S);
	luo_check(!run((char *[]){ LU_TRACE, "export", "--once", "-t", MNT "/after.prom", NULL },
		       NULL, MNT "/once.err"), "one exposition written for promtool");
	kill(exp, SIGTERM);
	waitpid(exp, NULL, 0);
	sync();
	umount(MNT);
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2)
