// SPDX-License-Identifier: GPL-2.0
/*
 * lu_damage: handovers damaged at random are rejected cleanly, and what was
 * not damaged comes back intact.
 *
 * Every stage (but the last) preserves a seeded workload: DMG_SESSIONS
 * sessions of two memfds (random sizes, seeded contents, a mode) and a
 * test file each, and arms the kernel's test hook (debugfs
 * liveupdate/damage, LIVEUPDATE_TEST) to apply lu.dmg.count seeded
 * mutations (default 2) to the serialized state right before the jump:
 * KHO's root tree, scratch array or tracker, LUO's state, chains of
 * sessions or files, memfd descriptions or records, the blackout record.
 * Every stage after the first checks what the previous one left:
 *
 * - every session and file that can be retrieved is exactly what was
 *   preserved (contents, size, mode, value): damage must never be taken
 *   for good data;
 * - if anything is missing or fails to retrieve, the kernel logged a line
 *   saying what it rejected (KHO, LUO, kho_block, memfd or blackout);
 * - once everything is finished and what nobody could restore released
 *   (kho/in/release), free memory is back to the cold boot's, within
 *   DMG_SLACK_KB, and MemTotal equals it: nothing leaked.
 *
 * The seed is lu.seed=N (default 1); stage k uses seed N * 1000 + k, so a
 * run replays exactly. The host side (mk/damage.sh) matches the mutations
 * the old kernel logged with what the new one rejected.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"

#define DMG_SESSIONS	4
#define DMG_MEMFDS	2
#define DMG_SLACK_KB	(24 * 1024)
/* Same kernel, same RAM: MemTotal differs by a few pages only (lu_kho). */
#define DMG_TOTAL_SLACK_KB	(4 * 1024)
#define DAMAGE_FILE	"/sys/kernel/debug/liveupdate/damage"
#define KHO_RELEASE	"/sys/kernel/debug/kho/in/release"

static unsigned long long seed = 1;

static unsigned long long mix(unsigned long long x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Everything about file @f of session @s of stage @stage follows from the seed. */
static unsigned long long key(int stage, int s, int f)
{
	return mix(seed * 1000 + stage) ^ mix(s * 64 + f + 1);
}

static long memfd_size(int stage, int s, int f)
{
	return 4096 + mix(key(stage, s, f)) % (768 * 1024);
}

static mode_t memfd_mode(int stage, int s, int f)
{
	static const mode_t modes[] = { 0600, 0640, 0644, 0700, 0750, 0777 };

	return modes[mix(key(stage, s, f) + 7) % 6];
}

static void fill(char *buf, long off, long len, unsigned long long k)
{
	for (long i = 0; i < len; i++)
		buf[i] = mix(k + (off + i) / 8) >> (((off + i) % 8) * 8);
}

static void session_name(char *buf, size_t len, int stage, int s)
{
	snprintf(buf, len, "dmg-%d-%d", stage, s);
}

static long long meminfo(const char *key)
{
	return lu_stat_value("/proc/meminfo", key);
}

/* Preserve stage @stage's workload; 0 or -errno. */
static int preserve(int luo, int stage)
{
	static char buf[64 * 1024];
	char name[LUO_NAME_LEN];
	int ret = 0;

	for (int s = 0; s < DMG_SESSIONS && !ret; s++) {
		int sfd, t;

		session_name(name, sizeof(name), stage, s);
		sfd = luo_create_session(luo, name);
		if (sfd < 0)
			return sfd;
		for (int f = 0; f < DMG_MEMFDS && !ret; f++) {
			long size = memfd_size(stage, s, f);
			int m = memfd_create("dmg", 0);

			if (m < 0 || ftruncate(m, size) || fchmod(m, memfd_mode(stage, s, f)))
				return -errno;
			for (long off = 0; off < size && !ret; off += sizeof(buf)) {
				long n = size - off < (long)sizeof(buf) ? size - off : (long)sizeof(buf);

				fill(buf, off, n, key(stage, s, f));
				if (pwrite(m, buf, n, off) != n)
					ret = -EIO;
			}
			ret = ret ?: luo_preserve_fd(sfd, m, f + 1);
			close(m);
		}
		t = test_file_create(key(stage, s, DMG_MEMFDS) >> 1);
		ret = ret ?: (t < 0 ? t : luo_preserve_fd(sfd, t, DMG_MEMFDS + 1));
		if (t >= 0)
			close(t);
	}
	return ret;
}

/* A retrieved memfd against what was preserved: true if exactly that. */
static bool memfd_intact(int fd, int stage, int s, int f)
{
	static char got[64 * 1024], want[64 * 1024];
	long size = memfd_size(stage, s, f);
	struct stat st;

	if (fstat(fd, &st) || st.st_size != size || (st.st_mode & 07777) != memfd_mode(stage, s, f))
		return false;
	for (long off = 0; off < size; off += sizeof(got)) {
		long n = size - off < (long)sizeof(got) ? size - off : (long)sizeof(got);

		fill(want, off, n, key(stage, s, f));
		if (pread(fd, got, n, off) != n || memcmp(got, want, n))
			return false;
	}
	return true;
}

struct outcome {
	int sessions_missing, files_failed, intact, wrong;
};

/* Check what stage @prev preserved; finish and close it all. */
static void check_previous(int luo, int prev, struct outcome *o)
{
	char name[LUO_NAME_LEN];

	for (int s = 0; s < DMG_SESSIONS; s++) {
		int sfd;

		session_name(name, sizeof(name), prev, s);
		sfd = luo_retrieve_session(luo, name);
		if (sfd < 0) {
			o->sessions_missing++;
			ksft_print_msg("session %s: not there (%s)\n", name, luo_strerror(sfd));
			continue;
		}
		for (int f = 0; f <= DMG_MEMFDS; f++) {
			int fd = luo_retrieve_fd(sfd, f + 1);
			__u64 v = 0;
			bool ok;

			if (fd < 0) {
				o->files_failed++;
				ksft_print_msg("session %s file %d: %s\n", name, f + 1, luo_strerror(fd));
				continue;
			}
			ok = f < DMG_MEMFDS ? memfd_intact(fd, prev, s, f) :
			     !test_file_value(fd, &v) && v == key(prev, s, DMG_MEMFDS) >> 1;
			if (ok) {
				o->intact++;
			} else {
				o->wrong++;
				ksft_print_msg("session %s file %d: retrieved but WRONG\n", name, f + 1);
			}
			close(fd);
		}
		luo_finish(sfd);
		close(sfd);
	}
}

#define MARK "lu_damage: checks begin"

/*
 * The kernel's own account of what it rejected, printed; how many lines.
 * Lines from before this program wrote its mark to the log (but KHO's and
 * the blackout record's, from boot) come from the KUnit suites, which
 * damage chains on purpose. A mark in the log, not a time: printk's clock
 * and /proc/uptime's are not the same clock.
 */
static int rejections(void)
{
	static const char *const what[] = {
		"KHO: invalid handover", "liveupdate: corrupt live update state",
		"liveupdate: incompatible live update state", "dropping this session",
		"dropping that session", "kho_block: restore of", "memfd_luo: preserved memfd",
		"invalid blackout record", "live update state is not in preserved memory",
	};
	char *log = lu_klog(), *line, *save = NULL;
	bool marked = false;
	int n = 0;

	for (line = log ? strtok_r(log, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, MARK)) {
			marked = true;
			continue;
		}
		if (!marked && !strstr(line, "KHO: invalid") &&
		    !strstr(line, "invalid blackout record"))
			continue;
		for (size_t i = 0; i < sizeof(what) / sizeof(what[0]); i++)
			if (strstr(line, what[i])) {
				ksft_print_msg("rejected: %s\n", strchr(line, '>') ? strchr(line, '>') + 1 : line);
				n++;
				break;
			}
	}
	free(log);
	return n;
}

int main(int argc, char **argv)
{
	int stage = lu_stage(argc, argv), stages = lu_stages(), luo, ret;
	long long base_free = -1, base_total = -1, free_kb, total_kb;
	unsigned int count = 2;
	char val[64];

	ksft_print_header();
	if (!lu_write_file("/dev/kmsg", MARK "\n"))
		ksft_exit_fail_msg("/dev/kmsg: %s\n", strerror(errno));
	if (lu_cmdline_param("lu.seed", val, sizeof(val)))
		seed = strtoull(val, NULL, 0);
	if (lu_cmdline_param("lu.dmg.count", val, sizeof(val)))
		count = strtoul(val, NULL, 0);
	if (lu_carry_get("dmg.free", val, sizeof(val)))
		base_free = atoll(val);
	if (lu_carry_get("dmg.total", val, sizeof(val)))
		base_total = atoll(val);
	ksft_set_plan(stage > 1 ? (stage < stages ? 9 : 5) : 5);

	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	if (stage > 1) {
		struct outcome o = {};
		int lines;

		check_previous(luo, stage - 1, &o);
		lines = rejections();
		ksft_print_msg("seed %llu stage %d: %d intact, %d sessions missing, %d files failed, %d wrong; %d rejection lines\n",
			       seed, stage - 1, o.intact, o.sessions_missing, o.files_failed, o.wrong,
			       lines);
		luo_check(!o.wrong, "nothing damaged was taken for good data (%d wrong)", o.wrong);
		luo_check((!o.sessions_missing && !o.files_failed) || lines,
			  "what is missing was rejected with a message (%d lines)", lines);
		/* What nobody could restore is still reserved: give it back. */
		if (!access(KHO_RELEASE, F_OK))
			lu_write_file(KHO_RELEASE, "1");
		free_kb = lu_mem_free_kb();
		total_kb = meminfo("MemTotal");
		luo_check(llabs(total_kb - base_total) <= DMG_TOTAL_SLACK_KB,
			  "MemTotal %lld kB, cold boot %lld kB", total_kb, base_total);
		luo_check(base_free - free_kb < DMG_SLACK_KB,
			  "no memory leaked: free %lld kB, cold boot %lld kB", free_kb, base_free);
	} else {
		base_free = lu_mem_free_kb();
		base_total = meminfo("MemTotal");
	}
	if (stage >= stages) {
		close(luo);
		ksft_finished();
	}
	ret = preserve(luo, stage);
	luo_require(!ret, "stage %d: %d sessions preserved (%s)", stage, DMG_SESSIONS,
		    luo_strerror(ret));
	snprintf(val, sizeof(val), "seed=%llu count=%u", seed * 1000 + stage, count);
	luo_require(lu_write_file(DAMAGE_FILE, val), "damage armed: %s", val);
	luo_require(lu_carry_set("dmg.free", "%lld", base_free) &&
		    lu_carry_set("dmg.total", "%lld", base_total), "carry to the next stage");
	close(luo);
	ret = daemonize_and_hold();
	luo_require(ret > 0, "daemon holds the sessions (%s)", luo_strerror(ret));
	ksft_finished();
}
