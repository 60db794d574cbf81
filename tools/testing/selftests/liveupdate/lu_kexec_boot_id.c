// SPDX-License-Identifier: GPL-2.0
/*
 * lu_kexec_boot_id: prove that each stage is a new kernel instance reached
 * by kexec inside the same virtual machine.
 *
 * Stage 1 (cold boot) records its boot id, the QEMU process id that the
 * host runner passed through fw_cfg, and the TSC at the end of the stage.
 * Every later stage checks, against what the previous stage recorded:
 *
 *   - the kernel command line carries the stage marker lu.stage=N, which
 *     only lu-init's kexec_file_load() puts there;
 *   - the boot id is new (a new kernel instance);
 *   - the QEMU id is the same (the same virtual machine: with -no-reboot a
 *     reset would have ended QEMU, and a new QEMU has a new id);
 *   - the TSC kept counting (no machine reset) and this kernel's uptime is
 *     shorter than the time since the previous stage handed over (the
 *     uptime restarted: this kernel started after the previous one ended).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "kselftest.h"
#include "lu_stage.h"

#define FW_CFG_QEMU_ID "/sys/firmware/qemu_fw_cfg/by_name/opt/lu/qemu/raw"

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	if (!fgets(buf, len, f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* TSC ticks per second, measured against CLOCK_MONOTONIC over 200 ms. */
static double tsc_hz(void)
{
	struct timespec d = { 0, 200 * 1000 * 1000 };
	double t0 = clock_s(CLOCK_MONOTONIC), t1;
	uint64_t c0 = __rdtsc(), c1;

	nanosleep(&d, NULL);
	c1 = __rdtsc();
	t1 = clock_s(CLOCK_MONOTONIC);
	return (c1 - c0) / (t1 - t0);
}

int main(int argc, char **argv)
{
	char boot_id[64], qemu_id[64], buf[256], prev_boot[64] = "", prev_qemu[64] = "";
	int stage = lu_stage(argc, argv), prev_stage = 0;
	unsigned long long prev_tsc = 0;
	double uptime, hz, elapsed = 0;
	uint64_t tsc;
	bool have_id, have_qemu;

	ksft_print_header();
	ksft_set_plan(stage == 1 ? 4 : 6);

	uptime = clock_s(CLOCK_BOOTTIME);
	tsc = __rdtsc();
	have_id = !read_line("/proc/sys/kernel/random/boot_id", boot_id, sizeof(boot_id));
	have_qemu = !read_line(FW_CFG_QEMU_ID, qemu_id, sizeof(qemu_id));
	hz = tsc_hz();

	if (stage == 1) {
		ksft_test_result(!lu_cmdline_param("lu.stage", buf, sizeof(buf)),
				 "cold_boot_has_no_stage_marker\n");
		ksft_test_result(have_id, "boot_id_readable\n");
		ksft_test_result(have_qemu, "qemu_id_readable_from_fw_cfg\n");
		ksft_test_result(hz > 1e6, "tsc_counts (%.0f MHz)\n", hz / 1e6);
		ksft_print_msg("[account] stage 1: cold boot, boot id %s, QEMU %s, up %.2f s\n",
			       boot_id, qemu_id, uptime);
	} else {
		const char *marker = lu_cmdline_param("lu.stage", buf, sizeof(buf));

		ksft_test_result(marker && atoi(marker) == stage,
				 "stage_marker_on_cmdline (lu.stage=%s)\n", marker ? marker : "absent");
		if (lu_carry_get("bootid.stage", buf, sizeof(buf)))
			prev_stage = atoi(buf);
		lu_carry_get("bootid.id", prev_boot, sizeof(prev_boot));
		lu_carry_get("bootid.qemu", prev_qemu, sizeof(prev_qemu));
		if (lu_carry_get("bootid.tsc", buf, sizeof(buf)))
			prev_tsc = strtoull(buf, NULL, 10);
		ksft_test_result(prev_stage == stage - 1 && prev_boot[0] && prev_tsc,
				 "previous_stage_carried (stage %d)\n", prev_stage);
		ksft_test_result(have_id && prev_boot[0] && strcmp(boot_id, prev_boot),
				 "new_boot_id (%s, was %s)\n", boot_id, prev_boot);
		ksft_test_result(have_qemu && !strcmp(qemu_id, prev_qemu),
				 "same_qemu_process (%s, was %s)\n", qemu_id, prev_qemu);
		ksft_test_result(tsc > prev_tsc, "tsc_not_reset_no_machine_reset\n");
		if (tsc > prev_tsc && hz > 0)
			elapsed = (tsc - prev_tsc) / hz;
		/* Same kernel would mean uptime >= previous uptime + elapsed. */
		ksft_test_result(elapsed > 0 && uptime < elapsed * 1.05 + 0.02,
				 "uptime_restarted (up %.3f s, %.3f s since stage %d handed over)\n",
				 uptime, elapsed, prev_stage);
		ksft_print_msg("[account] stage %d: kexec from stage %d; new boot id %s (was %s), "
			       "same QEMU %s, up %.2f s of %.2f s since the handover\n",
			       stage, prev_stage, boot_id, prev_boot, qemu_id, uptime, elapsed);
	}

	if (stage < lu_stages()) {
		if (!lu_carry_set("bootid.stage", "%d", stage) ||
		    !lu_carry_set("bootid.id", "%s", boot_id) ||
		    !lu_carry_set("bootid.qemu", "%s", have_qemu ? qemu_id : "none") ||
		    !lu_carry_set("bootid.tsc", "%llu", (unsigned long long)__rdtsc()))
			ksft_exit_fail_msg("cannot record values for the next stage: %s\n",
					   strerror(errno));
	}
	ksft_finished();
}
