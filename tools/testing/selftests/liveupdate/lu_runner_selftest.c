// SPDX-License-Identifier: GPL-2.0
/*
 * lu_runner_selftest: a two-stage test that breaks on purpose, so that the
 * host runner's verdicts can be tested (see selftest-runner.sh). The kernel
 * parameter lu.selftest=MODE picks what goes wrong:
 *
 *   ok        nothing: both stages pass (the control case)
 *   fail      stage 2 exits 1: the runner must report "not ok"
 *   silent    stage 2 powers the VM off before lu-init can print the
 *             stage's result: the runner must report the marker missing
 *   nokexec   stage 1 truncates /kernel, so the kexec cannot happen and
 *             stage 2 never runs: stage 2's markers must be missing
 *   hang      stage 2 never returns: the runner's overall timeout must
 *             kill the guest and fail
 *   splat     stage 2 passes but puts the first line of a lockdep report
 *             in the kernel log (/dev/kmsg): the runner must fail the run
 *             as a kernel splat
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "lu_stage.h"

int main(int argc, char **argv)
{
	int stage = lu_stage(argc, argv);
	char mode[32] = "ok";

	lu_cmdline_param("lu.selftest", mode, sizeof(mode));
	printf("# lu_runner_selftest: stage %d, mode %s\n", stage, mode);
	fflush(stdout);

	if (stage == 1 && !strcmp(mode, "nokexec"))
		return truncate("/kernel", 0) ? 1 : 0;
	if (stage < 2)
		return 0;
	if (!strcmp(mode, "fail"))
		return 1;
	if (!strcmp(mode, "silent")) {
		sync();
		reboot(RB_POWER_OFF);
		return 1;
	}
	if (!strcmp(mode, "hang"))
		for (;;)
			pause();
	if (!strcmp(mode, "splat")) {
		static const char line[] =
			"<4>WARNING: possible circular locking dependency detected (lu_runner_selftest)\n";
		int fd = open("/dev/kmsg", O_WRONLY);

		if (fd < 0 || write(fd, line, sizeof(line) - 1) != sizeof(line) - 1)
			return 1;
		close(fd);
	}
	return 0;
}
