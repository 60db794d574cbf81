// SPDX-License-Identifier: GPL-2.0
/*
 * lu_memfd_many: 1,000 memfds of 4..64 KiB in 4 sessions ("memfd-many-0"
 * to "-3"), each closed once preserved, all come back with their size and
 * contents (O_CLOEXEC), and the sessions finish.
 */
#define _GNU_SOURCE
#include "lu_memfd.h"

#define CARRY_READY		"lu_memfd_many.ready"
#define S_MANY_FMT		"memfd-many-%d"
#define NR_MANY_SESSIONS	4
#define NR_MANY			1000
#define MANY_SIZE(i)		(PAGE_SZ * (1 + (i) % 16))
#define TOK_MANY(i)		(0x1000ULL + (i))
#define SEED_MANY(i)		(0x5eed1000ULL + (i))

static int sessions[NR_MANY_SESSIONS];

static const char *session_name(int i)
{
	static char name[LUO_NAME_LEN];

	snprintf(name, sizeof(name), S_MANY_FMT, i);
	return name;
}

static void stage1_many(void)
{
	size_t bytes = 0;
	int i, fd, ret = 0, preserved = 0;

	for (i = 0; i < NR_MANY; i++) {
		struct data_file df = {
			.name = "many", .token = TOK_MANY(i), .size = MANY_SIZE(i),
			.seed = SEED_MANY(i), .seed_of = NULL,
		};
		int s = sessions[i % NR_MANY_SESSIONS];

		fd = new_memfd("lu_memfd-many", 0);
		ret = fd < 0 ? fd : write_data(fd, &df);
		ret = ret ? ret : luo_preserve_fd(s, fd, df.token);
		/* LUO keeps the file: our fd goes. */
		if (fd >= 0)
			close(fd);
		if (ret) {
			ksft_print_msg("many: memfd %d (%zu bytes, token %#llx): %s\n", i, df.size,
				       df.token, luo_strerror(ret));
			break;
		}
		bytes += df.size;
		preserved++;
	}
	luo_require(preserved == NR_MANY,
		    "many: %d of %d memfds (4..64 KiB, %zu KiB in all) preserved across %d sessions",
		    preserved, NR_MANY, bytes / KiB, NR_MANY_SESSIONS);
}

static void stage1(void)
{
	int luo, i, created = 0;

	ksft_set_plan(4);
	lu_memfd_begin();
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	for (i = 0; i < NR_MANY_SESSIONS; i++) {
		sessions[i] = luo_create_session(luo, session_name(i));
		created += sessions[i] >= 0;
	}
	luo_require(created == NR_MANY_SESSIONS, "created %d of %d sessions", created,
		    NR_MANY_SESSIONS);
	stage1_many();
	lu_memfd_stage1_hold(luo, CARRY_READY);
	ksft_finished();
}

static void stage2_many(void)
{
	int i, fd, retrieved = 0, cloexec = 0, matched = 0, reported = 0;
	long t0 = lu_now_ms();
	char name[32];

	for (i = 0; i < NR_MANY; i++) {
		struct data_file df = {
			.name = name, .token = TOK_MANY(i), .size = MANY_SIZE(i),
			.seed = SEED_MANY(i), .seed_of = NULL,
		};
		long long size = -1;
		long bad = -1;

		snprintf(name, sizeof(name), "many %d", i);
		fd = luo_retrieve_fd(sessions[i % NR_MANY_SESSIONS], df.token);
		if (fd >= 0) {
			retrieved++;
			cloexec += fd_is_cloexec(fd);
			size = file_size(fd);
			if (size == (long long)df.size)
				bad = count_bad_pages(fd, &df);
			close(fd);
		}
		if (bad == 0)
			matched++;
		else if (reported++ < MAX_REPORTS)
			ksft_print_msg("%s: token %#llx: %s, size %lld (want %zu), %ld pages bad\n",
				       name, df.token, luo_strerror(fd), size, df.size, bad);
	}
	luo_check(retrieved == NR_MANY && cloexec == NR_MANY,
		  "many: retrieved %d of %d memfds from %d sessions, %d O_CLOEXEC", retrieved,
		  NR_MANY, NR_MANY_SESSIONS, cloexec);
	luo_check(matched == NR_MANY, "many: %d of %d memfds have their size and contents (%ld ms)",
		  matched, NR_MANY, lu_now_ms() - t0);
}

static void stage2(void)
{
	int luo, i, ok = 0;

	ksft_set_plan(6);
	lu_memfd_begin();
	luo = lu_memfd_stage2_open(CARRY_READY);
	for (i = 0; i < NR_MANY_SESSIONS; i++) {
		sessions[i] = luo_retrieve_session(luo, session_name(i));
		if (sessions[i] < 0)
			ksft_print_msg("retrieve_session '%s': %s\n", session_name(i),
				       luo_strerror(sessions[i]));
		else
			ok++;
	}
	luo_require(ok == NR_MANY_SESSIONS, "retrieved %d of %d sessions", ok, NR_MANY_SESSIONS);
	stage2_many();
	for (i = 0, ok = 0; i < NR_MANY_SESSIONS; i++)
		ok += !luo_finish(sessions[i]);
	luo_check(ok == NR_MANY_SESSIONS, "finished %d of %d sessions", ok, NR_MANY_SESSIONS);
	for (i = 0; i < NR_MANY_SESSIONS; i++)
		close(sessions[i]);
	close(luo);
	restore_shmem_thp();
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2);
