// SPDX-License-Identifier: GPL-2.0
/*
 * lu_memfd_writers: writes that succeed while reboot(LINUX_REBOOT_CMD_KEXEC)
 * runs are never lost.
 *
 * User space keeps running between the freeze of a preserved memfd and the
 * jump into the next kernel. A write into a page the memfd already has
 * lands in preserved memory and must survive; a write into a hole would
 * need a new folio nobody records, so a frozen memfd refuses it: write(2)
 * fails with EBUSY. (Before, such writes succeeded and were lost.)
 *
 * Stage 1 preserves a 64 MiB sparse memfd (data in one page of every three)
 * and a journal memfd, holds the kexec for 300 ms after serialization
 * (debugfs liveupdate/serialized_delay_ms), and leaves a daemon whose
 * WRITERS threads keep rewriting random pages of the sparse memfd, holes
 * and data pages alike, every 0.5 ms, through the kexec. Each thread owns
 * the pages p % WRITERS == thread and logs every write in its journal
 * (intent, then the outcome once pwrite() returned) in a MAP_SHARED
 * mapping of the journal memfd.
 * Stage 2 replays the journals: every page must hold the content of its
 * last write that returned success (or, for the very last write of a
 * thread, still in flight at the jump, either that or the one before); a
 * page never written successfully must be what stage 1 left (data or a
 * hole reading as zeros, not allocated). At least one write into a hole
 * must have been refused with EBUSY during the window, and more writes
 * into data pages must have succeeded after the first refusal.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "lu_stage.h"
#include "luo_test_utils.h"

#define SESSION		"writers"
#define CARRY_READY	"lu_memfd_writers.ready"
#define DELAY_FILE	"/sys/kernel/debug/liveupdate/serialized_delay_ms"
#define PAGE_SZ		4096L
#define DATA_SZ		(64L << 20)
#define NR_PAGES	(DATA_SZ / PAGE_SZ)
#define STRIDE		3		/* stage 1 writes one page in three */
#define WRITERS		4
#define JOURNAL_RECS	((1L << 20) / 16 - 1)	/* per writer: a 1 MiB journal */
#define TOKEN_DATA	1
#define TOKEN_JOURNAL	2

enum rec_state { REC_NONE, REC_INTENT, REC_DONE, REC_EBUSY, REC_ERROR };

/* One write: page, the version written, what came of it. */
struct rec {
	unsigned int page;
	unsigned int version;
	unsigned int state;
	int err;
};

/* A writer's journal: how many records, then the records. */
struct journal {
	unsigned long nr;
	unsigned long pad;
	struct rec recs[JOURNAL_RECS];
};

#define JOURNAL_SZ	((long)sizeof(struct journal) * WRITERS)

static unsigned long long splitmix64(unsigned long long x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Version 0 is what stage 1 wrote; a hole has no version (-1). */
static void fill_page(unsigned long long *w, unsigned int page, unsigned int version)
{
	for (int i = 0; i < (int)(PAGE_SZ / 8); i++)
		w[i] = splitmix64(((unsigned long long)page << 32 | version) * 4099 + i);
}

static int data_fd;
static struct journal *journals;

static void *writer(void *arg)
{
	long id = (long)arg;
	struct journal *j = &journals[id];
	unsigned long long page[PAGE_SZ / 8];
	unsigned long long rnd = splitmix64(id + 1);
	struct timespec gap = { 0, 500 * 1000 };
	unsigned int version = 1;

	while (j->nr < JOURNAL_RECS) {
		struct rec *r = &j->recs[j->nr];
		unsigned int p;
		ssize_t n;

		rnd = splitmix64(rnd);
		p = (rnd % (NR_PAGES / WRITERS)) * WRITERS + id;
		r->page = p;
		r->version = version++;
		fill_page(page, p, r->version);
		__atomic_store_n(&r->state, REC_INTENT, __ATOMIC_RELEASE);
		__atomic_store_n(&j->nr, j->nr + 1, __ATOMIC_RELEASE);
		n = pwrite(data_fd, page, PAGE_SZ, (off_t)p * PAGE_SZ);
		r->err = n < 0 ? errno : 0;
		__atomic_store_n(&r->state, n == PAGE_SZ ? REC_DONE :
				 r->err == EBUSY ? REC_EBUSY : REC_ERROR, __ATOMIC_RELEASE);
		nanosleep(&gap, NULL);
	}
	return NULL;
}

static void stage1(void)
{
	unsigned long long page[PAGE_SZ / 8];
	int luo, s, jfd, ret;
	pthread_t t[WRITERS];
	pid_t pid;

	ksft_set_plan(10);
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	s = luo_create_session(luo, SESSION);
	luo_require(s >= 0, "create_session (%s)", luo_strerror(s));
	data_fd = memfd_create("sparse", 0);
	luo_require(data_fd >= 0 && !ftruncate(data_fd, DATA_SZ), "sparse memfd of %ld MiB",
		    DATA_SZ >> 20);
	for (long p = 0; p < NR_PAGES; p += STRIDE) {
		fill_page(page, p, 0);
		if (pwrite(data_fd, page, PAGE_SZ, p * PAGE_SZ) != PAGE_SZ)
			ksft_exit_fail_msg("pwrite: %s\n", strerror(errno));
	}
	/* The journal is written through a mapping: all of it present now. */
	jfd = memfd_create("journal", 0);
	luo_require(jfd >= 0 && !ftruncate(jfd, JOURNAL_SZ) &&
		    !fallocate(jfd, 0, 0, JOURNAL_SZ), "journal memfd of %ld KiB",
		    JOURNAL_SZ >> 10);
	journals = mmap(NULL, JOURNAL_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, jfd, 0);
	luo_require(journals != MAP_FAILED, "journal mapped");
	memset(journals, 0, JOURNAL_SZ);
	ret = luo_preserve_fd(s, data_fd, TOKEN_DATA);
	luo_require(!ret, "preserve_fd sparse (%s)", luo_strerror(ret));
	ret = luo_preserve_fd(s, jfd, TOKEN_JOURNAL);
	luo_require(!ret, "preserve_fd journal (%s)", luo_strerror(ret));
	/* Without the test hook the window is as short as shutdown makes it. */
	luo_check(lu_write_file(DELAY_FILE, "300"), "hold the kexec 300 ms after serialization");
	close(jfd);
	close(luo);
	luo_require(lu_carry_set(CARRY_READY, "1"), "carry to stage 2");
	pid = daemonize();
	if (pid == 0) {
		/* The daemon: write until the machine is gone. */
		for (long i = 0; i < WRITERS; i++)
			pthread_create(&t[i], NULL, writer, (void *)i);
		for (;;)
			pause();
	}
	luo_check(pid > 0, "daemon writes through the kexec (%s)", luo_strerror(pid));
	ksft_finished();
}

static void stage2(void)
{
	unsigned long long got[PAGE_SZ / 8], want[PAGE_SZ / 8];
	long writes = 0, refused = 0, errors = 0, after_refusal = 0, bad = 0, first_bad = -1;
	/* Per page: last version known written, and a possible in-flight one. */
	static int last[NR_PAGES], maybe[NR_PAGES];
	struct journal *j;
	char carry[8];
	struct stat st;
	int luo, s, fd, jfd, ret;
	long allocated = 0;

	ksft_set_plan(11);
	luo_require(lu_carry_get(CARRY_READY, carry, sizeof(carry)), "stage 1 completed");
	luo = luo_open_device();
	luo_require(luo >= 0, "open_device (%s)", luo_strerror(luo));
	s = luo_retrieve_session(luo, SESSION);
	luo_require(s >= 0, "retrieve_session (%s)", luo_strerror(s));
	fd = luo_retrieve_fd(s, TOKEN_DATA);
	jfd = luo_retrieve_fd(s, TOKEN_JOURNAL);
	luo_require(fd >= 0 && jfd >= 0, "retrieve_fd sparse and journal (%s, %s)",
		    luo_strerror(fd), luo_strerror(jfd));
	j = mmap(NULL, JOURNAL_SZ, PROT_READ, MAP_SHARED, jfd, 0);
	luo_require(j != MAP_FAILED, "journal mapped");

	for (long p = 0; p < NR_PAGES; p++) {
		last[p] = p % STRIDE ? -1 : 0;
		maybe[p] = -2;
	}
	for (int w = 0; w < WRITERS; w++) {
		bool seen_refusal = false;

		for (unsigned long i = 0; i < j[w].nr && i < JOURNAL_RECS; i++) {
			const struct rec *r = &j[w].recs[i];

			switch (r->state) {
			case REC_DONE:
				writes++;
				last[r->page] = r->version;
				after_refusal += seen_refusal && !(r->page % STRIDE);
				break;
			case REC_INTENT:	/* in flight at the jump */
				maybe[r->page] = r->version;
				break;
			case REC_EBUSY:
				refused++;
				seen_refusal = true;
				break;
			default:
				errors++;
			}
		}
	}
	for (long p = 0; p < NR_PAGES; p++) {
		bool ok;

		if (pread(fd, got, PAGE_SZ, p * PAGE_SZ) != PAGE_SZ)
			ksft_exit_fail_msg("pread: %s\n", strerror(errno));
		if (last[p] >= 0) {
			fill_page(want, p, last[p]);
			ok = !memcmp(got, want, PAGE_SZ);
			allocated++;
		} else {
			memset(want, 0, PAGE_SZ);
			ok = !memcmp(got, want, PAGE_SZ);
		}
		if (!ok && maybe[p] >= 0) {
			fill_page(want, p, maybe[p]);
			ok = !memcmp(got, want, PAGE_SZ);
			allocated += last[p] < 0;
		}
		if (!ok && first_bad < 0)
			first_bad = p;
		bad += !ok;
	}
	ksft_print_msg("%ld writes succeeded, %ld refused with EBUSY, %ld failed otherwise\n",
		       writes, refused, errors);
	luo_check(writes > 0, "writes succeeded before the kexec (%ld)", writes);
	luo_check(!bad, "every successful write is there (%ld pages wrong, first %ld)", bad,
		  first_bad);
	luo_check(refused > 0, "writes into holes refused with EBUSY after the freeze (%ld)",
		  refused);
	luo_check(after_refusal > 0 && !errors,
		  "writes into data pages kept working after the freeze (%ld), no other errors (%ld)",
		  after_refusal, errors);
	luo_check(!fstat(fd, &st) && st.st_blocks * 512 <= allocated * PAGE_SZ,
		  "no folio beyond what was written (%lld bytes allocated, at most %ld)",
		  (long long)st.st_blocks * 512, allocated * PAGE_SZ);
	ret = luo_finish(s);
	luo_check(!ret, "finish (%s)", luo_strerror(ret));
	ksft_finished();
}

LUO_TWO_STAGE_MAIN(stage1, stage2)
