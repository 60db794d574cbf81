// SPDX-License-Identifier: GPL-2.0
/*
 * lu_luo_bench: LUO's cost against the number of sessions and files, one
 * configuration per stage in one guest run (make bench). Stage N opens
 * /dev/liveupdate (the kernel deserializes what stage N-1 preserved and
 * logs the time), then preserves configuration N and leaves a daemon
 * holding it; the kexec's reboot path logs freeze+serialize time and
 * metadata bytes. The host pairs the kernel's lines with the
 * configurations (mk/bench.sh).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"

static const struct {
	unsigned int sessions, files;
} configs[] = {
	{ 1, 100 }, { 100, 1000 }, { 10000, 10000 }, { 100, 100000 },
};

int main(int argc, char **argv)
{
	int stage = lu_stage(argc, argv), luo, ret = 0;
	struct rlimit rl = { 20000, 20000 };
	unsigned int i, sessions, files;

	ksft_print_header();
	ksft_set_plan(1);
	setrlimit(RLIMIT_NOFILE, &rl);
	luo = luo_open_device();	/* deserializes the previous stage's state */
	if (luo < 0)
		ksft_exit_fail_msg("open /dev/liveupdate: %s\n", strerror(-luo));
	if (stage > (int)(sizeof(configs) / sizeof(configs[0]))) {
		ksft_test_result_pass("last stage: deserialized only\n");
		ksft_finished();
	}
	sessions = configs[stage - 1].sessions;
	files = configs[stage - 1].files;
	for (i = 0; i < sessions && !ret; i++) {
		char name[LIVEUPDATE_SESSION_NAME_LENGTH];
		unsigned int j, n = files / sessions + (i < files % sessions);
		int s;

		snprintf(name, sizeof(name), "bench-%u-%u", stage, i);
		s = luo_create_session(luo, name);
		if (s < 0) {
			ret = s;
			break;
		}
		for (j = 0; j < n && !ret; j++) {
			int f = test_file_create(j);

			ret = f < 0 ? f : luo_preserve_fd(s, f, j);
			if (f >= 0)
				close(f);
		}
		/* The daemon holds the session fds: keep them open. */
	}
	close(luo);
	printf("LUO-BENCH config stage=%d sessions=%u files=%u\n", stage, sessions, files);
	ksft_test_result(!ret, "preserved %u sessions, %u files (%s)\n", sessions, files,
			 strerror(-ret));
	if (!ret && daemonize_and_hold() < 0)
		ksft_exit_fail_msg("daemonize: %s\n", strerror(errno));
	ksft_finished();
}
