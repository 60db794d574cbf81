// SPDX-License-Identifier: GPL-2.0
/*
 * lu_memfd_bench: memfd preservation next to what users do today (write the
 * state to a disk, reboot, read it back), measured in one guest run with a
 * virtio disk (make bench). Stage k sets up configuration k: a memfd filled
 * with random data (4 KiB or 2 MiB folios, or sparse), preserved (timed),
 * and the same bytes written to /dev/vda with O_DIRECT and fdatasync
 * (timed). Stage k+1 retrieves it (timed), reads the disk copy back
 * (timed), checks both against the checksum carried over, and reads KHO's
 * boot work from the kernel log. Freeze time is the "serialized ... in N us"
 * line of the previous kernel's console, which the host joins (mk/bench.sh).
 * Stage k+1 finishes the session as soon as the memfd is retrieved, then
 * reads the kernel's blackout record (/sys/kernel/liveupdate/blackout):
 * the blackout of that kexec, reboot() to finish. The last stage follows
 * a kexec with nothing preserved and reads its record too: the bare
 * kexec every blackout is compared with (mk/bench.sh prints the ratios).
 * The "-v3" configurations repeat two of the others with memfd written at
 * "memfd-v3" (a record a folio) instead of the default "memfd-v4" (a record
 * a run), alternating with v4 runs of the same: the next kernel reports the
 * version that came in and the handover's metadata (its incoming KHO pages
 * beyond the data pages; make bench boots with test_kho.mb=0, so that
 * nothing else is handed over but LUO's own state), so that mk/bench.sh
 * can set the two versions side by side.
 *
 * Output: "MEMFD-BENCH cfg=N key=value ..." lines, and one
 * "MEMFD-BENCH bare=1 key=value ..." line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
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

#define PAGE		4096UL
#define CHUNK		(4UL << 20)
#define SPARSE_STEP	100	/* sparse: every 100th page */
#define THP_SYSFS	"/sys/kernel/mm/transparent_hugepage/shmem_enabled"

static const struct config {
	const char *name;
	unsigned long size;
	bool huge, sparse;
	int version;	/* memfd format version written, 0: the default */
} configs[] = {
	{ "256MiB-4KiB", 256UL << 20, false, false, 0 },
	{ "256MiB-2MiB", 256UL << 20, true, false, 0 },
	{ "1GiB-4KiB", 1UL << 30, false, false, 0 },
	{ "1GiB-2MiB", 1UL << 30, true, false, 0 },
	{ "1GiB-sparse-1pct", 1UL << 30, false, true, 0 },
	/* v3 next to v4, alternating, three of each (mk/bench.sh averages them). */
	{ "1GiB-4KiB-v3", 1UL << 30, false, false, 3 },
	{ "1GiB-4KiB", 1UL << 30, false, false, 0 },
	{ "1GiB-4KiB-v3", 1UL << 30, false, false, 3 },
	{ "1GiB-4KiB", 1UL << 30, false, false, 0 },
	{ "1GiB-4KiB-v3", 1UL << 30, false, false, 3 },
	{ "1GiB-2MiB-v3", 1UL << 30, true, false, 3 },
	{ "1GiB-2MiB", 1UL << 30, true, false, 0 },
	{ "1GiB-2MiB-v3", 1UL << 30, true, false, 3 },
	{ "1GiB-2MiB", 1UL << 30, true, false, 0 },
	{ "1GiB-2MiB-v3", 1UL << 30, true, false, 3 },
};

#define NR_CONFIGS	(int)(sizeof(configs) / sizeof(configs[0]))

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static bool present(const struct config *c, unsigned long page)
{
	return !c->sparse || page % SPARSE_STEP == 0;
}

/* Page contents: xorshift64 seeded by configuration and page index. */
static void fill_page(uint64_t *w, int cfg, unsigned long page)
{
	uint64_t x = ((uint64_t)cfg << 40 | page) * 0x9e3779b97f4a7c15ULL | 1;

	for (unsigned long i = 0; i < PAGE / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		w[i] = x;
	}
}

static uint64_t csum_page(uint64_t h, const uint64_t *w)
{
	for (unsigned long i = 0; i < PAGE / 8; i++)
		h = (h ^ w[i]) * 0x100000001b3ULL;
	return h;
}

static void set_thp(bool on)
{
	int fd = open(THP_SYSFS, O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, on ? "always" : "never", on ? 6 : 5) < 0)
			ksft_print_msg("%s: %s\n", THP_SYSFS, strerror(errno));
		close(fd);
	}
}

/* Checksum of the present pages of @c, read through @buf (aligned) from @fd. */
static int read_back(int fd, const struct config *c, uint64_t *sum, bool direct_io)
{
	static void *buf;
	unsigned long off, step = c->sparse ? PAGE : CHUNK;
	uint64_t h = 0xcbf29ce484222325ULL;

	if (!buf && posix_memalign(&buf, PAGE, CHUNK))
		return -ENOMEM;
	for (off = 0; off < c->size; off += c->sparse ? SPARSE_STEP * PAGE : CHUNK) {
		ssize_t n = pread(fd, buf, step, off);

		if (n != (ssize_t)step)
			return n < 0 ? -errno : -EIO;
		for (unsigned long p = 0; p < step; p += PAGE)
			h = csum_page(h, (uint64_t *)((char *)buf + p));
	}
	(void)direct_io;
	*sum = h;
	return 0;
}

static long long kho_preserved_pages(void)
{
	return lu_stat_value("/sys/kernel/debug/kho/out/preserved", "pages");
}

#define MEMFD_FMT	"/sys/kernel/liveupdate/formats/memfd/"

/* The first line of a sysfs attribute as a number, or -1 ("none", absent). */
static int attr_number(const char *path)
{
	char line[32] = "";
	FILE *f = fopen(path, "re");

	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	return line[0] >= '0' && line[0] <= '9' ? atoi(line) : -1;
}

static unsigned long data_pages_of(const struct config *c)
{
	unsigned long npages = c->size / PAGE;

	return c->sparse ? (npages + SPARSE_STEP - 1) / SPARSE_STEP : npages;
}

/* TAP lines each part reports (see setup(), measure() and blackout()). */
#define SETUP_STEPS	9
#define MEASURE_STEPS	9
#define BARE_STEPS	1

#define BLACKOUT	"/sys/kernel/liveupdate/blackout"

/*
 * Print the blackout record of the kexec that started this kernel after
 * @prefix, as "blackout_ns=N bo_<phase>=N ...", and check it is complete.
 */
static void blackout(const char *prefix)
{
	char line[256], key[64], out[1024], state[16] = "";
	long long v, total = -1;
	size_t len = snprintf(out, sizeof(out), "%s", prefix);
	FILE *f = fopen(BLACKOUT, "re");

	while (f && fgets(line, sizeof(line), f) && len < sizeof(out)) {
		if (sscanf(line, "state %15s", state) == 1)
			continue;
		if (sscanf(line, "total_ns %lld", &total) == 1)
			len += snprintf(out + len, sizeof(out) - len, " blackout_ns=%lld", total);
		else if (sscanf(line, "phase %63s %lld", key, &v) == 2)
			len += snprintf(out + len, sizeof(out) - len, " bo_%s=%lld", key, v);
	}
	if (f)
		fclose(f);
	printf("MEMFD-BENCH %s\n", out);
	luo_check(!strcmp(state, "complete") && total > 0 && len < sizeof(out),
		  "blackout record: state %s, %lld ns (%s)", state[0] ? state : "?", total,
		  f ? "read" : strerror(errno));
}

static void setup(int luo, int k)
{
	const struct config *c = &configs[k - 1];
	long long pages0, pages1, trk0, trk1, t0, preserve_us, write_us;
	unsigned long npages = c->size / PAGE, p, data_pages = 0;
	uint64_t sum = 0xcbf29ce484222325ULL;
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	int fd, s, disk, ret;
	char *map;

	set_thp(c->huge);
	fd = memfd_create(c->name, 0);
	luo_require(fd >= 0 && !ftruncate(fd, c->size), "cfg %d: memfd of %lu bytes", k, c->size);
	map = mmap(NULL, c->size + (2UL << 20), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	luo_require(map != MAP_FAILED, "cfg %d: mmap", k);
	/* A 2 MiB-aligned view, so that huge folios can be mapped whole. */
	munmap(map, c->size + (2UL << 20));
	map = mmap((void *)(((unsigned long)map + (2UL << 20) - 1) & ~((2UL << 20) - 1)),
		   c->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	luo_require(map != MAP_FAILED, "cfg %d: aligned mmap", k);
	for (p = 0; p < npages; p++) {
		if (!present(c, p))
			continue;
		fill_page((uint64_t *)(map + p * PAGE), k, p);
		sum = csum_page(sum, (uint64_t *)(map + p * PAGE));
		data_pages++;
	}
	set_thp(false);

	snprintf(name, sizeof(name), "bench-memfd-%d", k);
	s = luo_create_session(luo, name);
	luo_require(s >= 0, "cfg %d: session", k);
	pages0 = kho_preserved_pages();
	trk0 = lu_stat_value("/sys/kernel/debug/kho/out/preserved", "tracker_bytes");
	t0 = now_us();
	ret = luo_preserve_fd(s, fd, 1);
	preserve_us = now_us() - t0;
	luo_require(!ret, "cfg %d: preserve (%s)", k, strerror(-ret));
	pages1 = kho_preserved_pages();
	trk1 = lu_stat_value("/sys/kernel/debug/kho/out/preserved", "tracker_bytes");
	if (c->version) {
		char v[4];

		snprintf(v, sizeof(v), "%d", c->version);
		lu_write_attr(MEMFD_FMT "write", v);
	}
	ret = attr_number(MEMFD_FMT "version");
	luo_check(c->version ? ret == c->version : ret > 0,
		  "cfg %d: memfd will be written at v%d", k, ret);

	/* The alternative: the same bytes to the disk, durably. */
	disk = open("/dev/vda", O_WRONLY | O_DIRECT | O_CLOEXEC);
	luo_require(disk >= 0, "cfg %d: open /dev/vda (%s)", k, strerror(errno));
	t0 = now_us();
	for (ret = 0, p = 0; p < npages && !ret; p += c->sparse ? SPARSE_STEP : CHUNK / PAGE) {
		size_t len = c->sparse ? PAGE : CHUNK;

		if (pwrite(disk, map + p * PAGE, len, p * PAGE) != (ssize_t)len)
			ret = -errno ?: -EIO;
	}
	if (!ret && fdatasync(disk))
		ret = -errno;
	write_us = now_us() - t0;
	luo_require(!ret, "cfg %d: %lu bytes written to the disk and synced (%s)", k,
		    data_pages * PAGE, strerror(-ret));
	close(disk);
	munmap(map, c->size);
	close(fd);

	printf("MEMFD-BENCH cfg=%d name=%s bytes=%lu preserve_us=%lld disk_write_us=%lld metadata_bytes=%lld write_version=%d\n",
	       k, c->name, data_pages * PAGE, preserve_us, write_us,
	       (pages1 - pages0 - (long long)data_pages) * (long long)PAGE + (trk1 - trk0),
	       attr_number(MEMFD_FMT "version"));
	lu_carry_set("memfd_bench.sum", "%llu", (unsigned long long)sum);
	luo_check(true, "cfg %d (%s): preserved %lu data pages in %lld us; disk write %lld us",
		  k, c->name, data_pages, preserve_us, write_us);
}

static void measure(int luo, int k)
{
	const struct config *c = &configs[k - 1];
	char name[LIVEUPDATE_SESSION_NAME_LENGTH], buf[32];
	long long t0, retrieve_us, read_us, boot_us, in_pages;
	uint64_t want = 0, got_mem = 0, got_disk = 0;
	int s, fd, disk, ret, incoming;
	char *klog = lu_klog();
	const char *bw = klog ? strstr(klog, "boot work ") : NULL;

	boot_us = bw ? atoll(bw + strlen("boot work ")) : -1;
	free(klog);
	/* Everything the previous kernel handed over: this memfd and LUO's state. */
	in_pages = lu_stat_value("/sys/kernel/debug/kho/in/status", "pages");
	incoming = attr_number(MEMFD_FMT "incoming");
	luo_check(c->version ? incoming == c->version : incoming > 0,
		  "cfg %d: memfd came in at v%d", k, incoming);
	if (lu_carry_get("memfd_bench.sum", buf, sizeof(buf)))
		want = strtoull(buf, NULL, 10);
	snprintf(name, sizeof(name), "bench-memfd-%d", k);
	s = luo_retrieve_session(luo, name);
	luo_require(s >= 0, "cfg %d: retrieve session (%s)", k, strerror(-s));
	set_thp(c->huge);
	t0 = now_us();
	fd = luo_retrieve_fd(s, 1);
	retrieve_us = now_us() - t0;
	set_thp(false);
	luo_require(fd >= 0, "cfg %d: retrieve (%s)", k, strerror(-fd));
	/* The service has its state back: the blackout ends here. */
	luo_check(!luo_finish(s), "cfg %d: finish", k);
	close(s);
	snprintf(buf, sizeof(buf), "cfg=%d", k);
	blackout(buf);
	ret = read_back(fd, c, &got_mem, false);
	luo_require(!ret, "cfg %d: read the memfd (%s)", k, strerror(-ret));
	close(fd);

	disk = open("/dev/vda", O_RDONLY | O_DIRECT | O_CLOEXEC);
	luo_require(disk >= 0, "cfg %d: open /dev/vda", k);
	t0 = now_us();
	ret = read_back(disk, c, &got_disk, true);
	read_us = now_us() - t0;
	close(disk);
	luo_require(!ret, "cfg %d: disk read (%s)", k, strerror(-ret));
	luo_check(got_mem == want && got_disk == want,
		  "cfg %d (%s): memfd and disk copies match (retrieve %lld us, disk read %lld us, KHO boot work %lld us)",
		  k, c->name, retrieve_us, read_us, boot_us);
	printf("MEMFD-BENCH cfg=%d retrieve_us=%lld disk_read_us=%lld boot_work_us=%lld incoming_version=%d handover_metadata_bytes=%lld ok=%d\n",
	       k, retrieve_us, read_us, boot_us, incoming,
	       (in_pages - (long long)data_pages_of(c)) * (long long)PAGE,
	       got_mem == want && got_disk == want);
}

int main(int argc, char **argv)
{
	int k = lu_stage(argc, argv), luo;

	ksft_print_header();
	ksft_set_plan(1 + (k > 1 && k - 1 <= NR_CONFIGS ? MEASURE_STEPS : 0) +
		      (k <= NR_CONFIGS ? SETUP_STEPS + 1 : 0) +
		      (k == NR_CONFIGS + 2 ? BARE_STEPS : 0));
	luo = luo_open_device();
	luo_require(luo >= 0, "open /dev/liveupdate (%s)", strerror(-luo));
	if (k > 1 && k - 1 <= NR_CONFIGS)
		measure(luo, k - 1);
	if (k == NR_CONFIGS + 2)
		blackout("bare=1");
	if (k <= NR_CONFIGS) {
		setup(luo, k);
		close(luo);
		luo_require(daemonize_and_hold() >= 0, "daemon holds the session");
	}
	ksft_finished();
}
