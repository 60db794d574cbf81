// SPDX-License-Identifier: GPL-2.0
/*
 * luo_corrupt: incoming LUO state is untrusted. Stage 1 preserves a session
 * with a file and asks the kernel (debugfs liveupdate/corrupt, a
 * LIVEUPDATE_TEST hook) to damage the state it serializes: lu.luo=WHAT is
 * "compatible" (a version nobody reads), "chain" (a session block chain
 * shorter than its count) or "session" (an empty session name). Stage 2:
 * the kernel logged a clear error, booted, and LUO started empty but works.
 *
 * lu.luo=released damages nothing: stage 2 gives every preserved page
 * back to the allocator (debugfs kho/in/release) before LUO reads its
 * state. LUO must then find its state gone and start empty, not read
 * memory that is no longer its own (owners restore their blob before they
 * read it, so a release can never pull it from under them).
 *
 * lu.luo=A+B+... chains them in one guest (lu.stages = 1 + the number of
 * kinds): stage N checks kind N-1, then damages its own state with kind N.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <unistd.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"

#define SESSION "corrupt-victim"

static bool klog_has(const char *needle)
{
	char *buf = lu_klog();
	bool found;

	if (!buf)
		ksft_exit_fail_msg("reading the kernel log: %s\n", strerror(errno));
	found = strstr(buf, needle);
	free(buf);
	return found;
}

/*
 * Stage N > 1: the previous kernel damaged its state with @what; this one
 * logged it and started empty. Returns the device and a new session in it.
 */
static int check_damaged(const char *what, int *session)
{
	int luo, ret;

	if (!strcmp(what, "released") &&
	    !lu_write_file("/sys/kernel/debug/kho/in/release", "1"))
		ksft_exit_fail_msg("kho/in/release: %s\n", strerror(errno));
	/* LUO reads the incoming state on the first open. */
	luo = luo_open_device();
	ksft_test_result(luo >= 0, "device_opens\n");
	ksft_test_result(klog_has(!strcmp(what, "compatible") ?
				  "liveupdate: incompatible live update state" :
				  !strcmp(what, "released") ? "KHO: released " :
				  "liveupdate: corrupt live update state"),
			 "kernel_logged_the_%s_damage\n", what);
	ret = luo < 0 ? luo : luo_retrieve_session(luo, SESSION);
	ksft_test_result(ret == -ENOENT, "started_empty (%s)\n", strerror(-ret));
	*session = luo < 0 ? luo : luo_create_session(luo, SESSION);
	ksft_test_result(*session >= 0, "new_sessions_work\n");
	return luo;
}

/* Preserve a file in @s and have this kernel's state damaged with @what. */
static void damage_outgoing(const char *what, int luo, int s)
{
	int f, fd, ret;

	f = test_file_create(42);
	ret = s < 0 || f < 0 ? -EINVAL : luo_preserve_fd(s, f, 7);
	ksft_test_result(!ret, "session_with_a_file_preserved\n");
	fd = strcmp(what, "released") ?
	     open("/sys/kernel/debug/liveupdate/corrupt", O_WRONLY | O_CLOEXEC) :
	     open("/dev/null", O_WRONLY | O_CLOEXEC);
	ret = fd < 0 ? -errno : (write(fd, what, strlen(what)) < 0 ? -errno : 0);
	ksft_test_result(!ret, "corruption_requested (%s: %s)\n", what, strerror(-ret));
	if (fd >= 0)
		close(fd);
	close(f);
	close(luo);
	ret = daemonize_and_hold();
	ksft_test_result(ret >= 0, "daemon_holds_the_session\n");
}

int main(int argc, char **argv)
{
	char kinds[128] = "", *kind[8];
	int stage = lu_stage(argc, argv), n, luo = -1, s = -1;

	ksft_print_header();
	lu_cmdline_param("lu.luo", kinds, sizeof(kinds));
	n = lu_chain_split(kinds, kind, 8);
	if (!n)
		ksft_exit_fail_msg("lu.luo=compatible|chain|session|released[+...] is required\n");
	if (stage > n + 1)
		luo_no_more_stages(stage);
	/* Stage N checks kind N-1, then damages its own state with kind N. */
	ksft_set_plan((stage > 1 ? 4 : 0) + (stage <= n ? 3 : 0));
	if (stage > 1)
		luo = check_damaged(kind[stage - 2], &s);
	if (stage <= n) {
		if (stage == 1) {
			luo = luo_open_device();
			s = luo < 0 ? luo : luo_create_session(luo, SESSION);
		}
		damage_outgoing(kind[stage - 1], luo, s);
	}
	ksft_finished();
}
