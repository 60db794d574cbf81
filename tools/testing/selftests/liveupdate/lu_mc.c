// SPDX-License-Identifier: GPL-2.0
/*
 * lu_mc: a small memcached client (text protocol) for the lu-keep tests
 * and `make demo`. Every value is a function of (seed, key number), so a
 * check needs nothing but the count and the seed:
 *
 *   lu_mc fill  [-p PORT] [-n N] [-s SEED]   set keys k0..k<N-1>
 *   lu_mc check [-p PORT] [-n N] [-s SEED] [--empty]
 *                                            get every key and compare every
 *                                            byte and the flags (--empty: every
 *                                            key must be missing)
 *   lu_mc stats [-p PORT]                    curr_items, bytes, evictions ...
 *   lu_mc watch [-p PORT] [-n N] [-s SEED] [-i MS] [-x]
 *                                            get a random key every MS (default
 *                                            5) until SIGTERM or SIGINT, or
 *                                            with -x until the first success;
 *                                            then print what it saw on one line
 *   lu_mc maxsize [-p PORT]                  the largest value memcached takes
 *
 * Sizes are mixed: 89 % of the keys are 1..200 bytes, 10 % 200..2000,
 * 1 % 1..32 KiB, and one in 2000 is within 1000 bytes of the largest value
 * memcached accepts (found by bisection at fill time and stored under
 * "lu_mc:maxsize", so check uses the same sizes). Output lines are
 * "key=value" words, for the tests to parse.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH_KEYS	64
#define BATCH_BYTES	(2 << 20)

static int port = 11211;
static long nkeys = 100000;
static uint64_t seed = 1;
static long max_value;		/* largest value memcached accepted */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static long value_size(long i)
{
	uint64_t r = mix(seed * 7919 + i);

	if (i % 2000 == 7 && max_value)
		return max_value - (long)(r % 1000);
	if (i % 100 == 3)
		return 1024 + r % (31 * 1024);
	if (i % 10 == 1)
		return 200 + r % 1800;
	return 1 + r % 200;
}

static unsigned int value_flags(long i)
{
	return (unsigned int)(mix(seed ^ (i << 20)) & 0xffff);
}

static void value_fill(long i, char *buf, long len)
{
	uint64_t s = mix(seed << 32 ^ i);

	for (long off = 0; off < len; off += 8) {
		uint64_t w = mix(s + off);

		memcpy(buf + off, &w, len - off < 8 ? len - off : 8);
	}
}

/* ---- connection with a read buffer ------------------------------------ */

struct conn {
	int fd;
	char *buf;
	size_t len, off, cap;
};

static int mc_connect(struct conn *c, bool quiet)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (!quiet)
			fprintf(stderr, "lu_mc: connect 127.0.0.1:%d: %s\n", port, strerror(errno));
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		return -1;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!c->buf) {
		c->cap = 4 << 20;
		c->buf = malloc(c->cap);
	}
	c->len = c->off = 0;
	return c->buf ? 0 : -1;
}

static int send_all(struct conn *c, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		p += w;
		n -= w;
	}
	return 0;
}

/* Make at least @want bytes readable at c->buf + c->off. */
static int fill_buf(struct conn *c, size_t want)
{
	if (c->off && c->len - c->off < want) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	while (c->len - c->off < want) {
		ssize_t r;

		if (c->len == c->cap) {
			char *nb = realloc(c->buf, c->cap * 2);

			if (!nb)
				return -1;
			c->buf = nb;
			c->cap *= 2;
		}
		r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (r <= 0)
			return -1;
		c->len += r;
	}
	return 0;
}

/* The next "\r\n"-terminated line, NUL-terminated in place. */
static char *read_line(struct conn *c)
{
	for (size_t scanned = 0; ; ) {
		char *p = memmem(c->buf + c->off + scanned, c->len - c->off - scanned, "\r\n", 2);

		if (p) {
			char *line = c->buf + c->off;

			*p = '\0';
			c->off = p + 2 - c->buf;
			return line;
		}
		scanned = c->len - c->off > 0 ? c->len - c->off - 1 : 0;
		if (fill_buf(c, c->len - c->off + 1))
			return NULL;
	}
}

/* ---- commands ------------------------------------------------------------ */

static char *out;	/* command buffer */
static size_t outlen, outcap;

static void out_add(const void *p, size_t n)
{
	if (outlen + n > outcap) {
		outcap = (outlen + n) * 2;
		out = realloc(out, outcap);
		if (!out) {
			fprintf(stderr, "lu_mc: %s\n", strerror(ENOMEM));
			exit(1);
		}
	}
	memcpy(out + outlen, p, n);
	outlen += n;
}

/* set one key and wait for its answer: 1 stored, 0 refused, -1 I/O error. */
static int set_one(struct conn *c, const char *key, const char *val, long len, unsigned int flags)
{
	char hdr[128];
	char *line;

	outlen = 0;
	out_add(hdr, snprintf(hdr, sizeof(hdr), "set %s %u 0 %ld\r\n", key, flags, len));
	out_add(val, len);
	out_add("\r\n", 2);
	if (send_all(c, out, outlen) || !(line = read_line(c)))
		return -1;
	return !strcmp(line, "STORED");
}

/* Bisect the largest value this memcached stores (its item size limit). */
static long find_max_value(struct conn *c)
{
	long lo = 1, hi = 8L << 20;
	char *val = calloc(1, hi);

	if (!val)
		return -1;
	while (lo < hi) {
		long mid = lo + (hi - lo + 1) / 2;
		int r = set_one(c, "lu_mc:probe", val, mid, 0);

		if (r < 0) {
			free(val);
			return -1;
		}
		if (r)
			lo = mid;
		else
			hi = mid - 1;
	}
	free(val);
	/* the probe must not count as an item */
	if (send_all(c, "delete lu_mc:probe\r\n", 20) || !read_line(c))
		return -1;
	return lo;
}

static int get_max_value(struct conn *c)
{
	char *line;
	long v = 0;

	if (send_all(c, "get lu_mc:maxsize\r\n", 19))
		return -1;
	while ((line = read_line(c)) && strcmp(line, "END"))
		if (strncmp(line, "VALUE ", 6))
			v = strtol(line, NULL, 10);
	max_value = v;
	return line ? 0 : -1;
}

static int cmd_fill(void)
{
	struct conn c = { .fd = -1 };
	char key[32], num[32];
	long long bytes = 0;
	long pending = 0, stored = 0, near = 0;
	double t0 = now();
	char *val = NULL;

	if (mc_connect(&c, false))
		return 1;
	max_value = find_max_value(&c);
	if (max_value <= 0) {
		fprintf(stderr, "lu_mc: probing the item size limit failed\n");
		return 1;
	}
	snprintf(num, sizeof(num), "%ld", max_value);
	if (set_one(&c, "lu_mc:maxsize", num, strlen(num), 0) != 1) {
		fprintf(stderr, "lu_mc: cannot store lu_mc:maxsize\n");
		return 1;
	}
	val = malloc(max_value + 8);
	outlen = 0;
	for (long i = 0; i <= nkeys; i++) {
		if (i < nkeys) {
			long len = value_size(i);
			char hdr[96];

			value_fill(i, val, len);
			snprintf(key, sizeof(key), "k%ld", i);
			out_add(hdr, snprintf(hdr, sizeof(hdr), "set %s %u 0 %ld\r\n", key,
					      value_flags(i), len));
			out_add(val, len);
			out_add("\r\n", 2);
			bytes += len;
			near += len > max_value - 1000;
			pending++;
		}
		if (pending && (i == nkeys || pending == BATCH_KEYS || outlen > BATCH_BYTES)) {
			if (send_all(&c, out, outlen)) {
				fprintf(stderr, "lu_mc: send: %s\n", strerror(errno));
				return 1;
			}
			outlen = 0;
			for (; pending; pending--) {
				char *line = read_line(&c);

				if (!line) {
					fprintf(stderr, "lu_mc: connection lost after %ld keys\n", stored);
					return 1;
				}
				if (strcmp(line, "STORED")) {
					fprintf(stderr, "lu_mc: set refused: %s\n", line);
					return 1;
				}
				stored++;
			}
		}
	}
	printf("filled=%ld bytes=%lld near_limit=%ld max_value=%ld seconds=%.2f\n", stored, bytes,
	       near, max_value, now() - t0);
	return 0;
}

static int cmd_check(bool empty)
{
	struct conn c = { .fd = -1 };
	long ok = 0, missing = 0, wrong = 0, near = 0;
	long long bytes = 0;
	double t0 = now();
	char *want;

	if (mc_connect(&c, false) || get_max_value(&c))
		return 1;
	if (!max_value && !empty) {
		fprintf(stderr, "lu_mc: lu_mc:maxsize is missing: was the cache filled by lu_mc fill?\n");
		return 1;
	}
	want = malloc((max_value ? max_value : 32 << 10) + 8);
	for (long base = 0; base < nkeys; base += BATCH_KEYS) {
		long end = base + BATCH_KEYS < nkeys ? base + BATCH_KEYS : nkeys, next = base;
		char key[32];
		char *line;

		outlen = 0;
		out_add("get", 3);
		for (long i = base; i < end; i++)
			out_add(key, snprintf(key, sizeof(key), " k%ld", i));
		out_add("\r\n", 2);
		if (send_all(&c, out, outlen)) {
			fprintf(stderr, "lu_mc: send: %s\n", strerror(errno));
			return 1;
		}
		while ((line = read_line(&c)) && strcmp(line, "END")) {
			unsigned int flags;
			long i, len;

			if (sscanf(line, "VALUE k%ld %u %ld", &i, &flags, &len) != 3 || i < next ||
			    i >= end) {
				fprintf(stderr, "lu_mc: unexpected answer: %.100s\n", line);
				return 1;
			}
			missing += i - next;
			next = i + 1;
			if (fill_buf(&c, len + 2)) {
				fprintf(stderr, "lu_mc: connection lost\n");
				return 1;
			}
			if (empty || len != value_size(i) || flags != value_flags(i)) {
				wrong++;
				if (wrong <= 3)
					fprintf(stderr, "lu_mc: k%ld: %ld bytes flags %u, want %ld flags %u\n",
						i, len, flags, value_size(i), value_flags(i));
			} else {
				value_fill(i, want, len);
				if (memcmp(c.buf + c.off, want, len)) {
					wrong++;
					if (wrong <= 3)
						fprintf(stderr, "lu_mc: k%ld: value differs\n", i);
				} else {
					ok++;
					bytes += len;
					near += len > max_value - 1000;
				}
			}
			c.off += len + 2;
		}
		if (!line) {
			fprintf(stderr, "lu_mc: connection lost\n");
			return 1;
		}
		missing += end - next;
	}
	printf("checked=%ld ok=%ld missing=%ld wrong=%ld bytes=%lld near_limit=%ld seconds=%.2f\n",
	       nkeys, ok, missing, wrong, bytes, near, now() - t0);
	if (empty)
		return ok || wrong ? 1 : 0;
	return ok == nkeys ? 0 : 1;
}

static int cmd_stats(void)
{
	static const char * const want[] = {
		"curr_items", "total_items", "bytes", "evictions", "limit_maxbytes", "uptime",
	};
	struct conn c = { .fd = -1 };
	char *line;

	if (mc_connect(&c, false) || send_all(&c, "stats\r\n", 7))
		return 1;
	while ((line = read_line(&c)) && strcmp(line, "END")) {
		char name[64], val[64];

		if (sscanf(line, "STAT %63s %63s", name, val) != 2)
			continue;
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
			if (!strcmp(name, want[i]))
				printf("%s=%s ", name, val);
	}
	printf("\n");
	return line ? 0 : 1;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

/*
 * One get of a random key every @interval_ms. Reports the first and last
 * success, the longest gap between two successes, and hits and misses
 * after that gap (a cold cache misses everything).
 */
static int cmd_watch(long interval_ms, bool until_up)
{
	struct conn c = { .fd = -1 };
	long long first_ok = 0, last_ok = 0, gap_from = 0, gap_to = 0;
	long gets = 0, hits = 0, misses = 0, errors = 0, after_hits = 0, after_misses = 0;
	uint64_t r = seed;

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	while (!stop) {
		char cmd[48], *line;
		long i = (long)((r = mix(r)) % (uint64_t)nkeys);
		bool hit = false, ok = false;

		if (c.fd < 0)
			mc_connect(&c, true);
		if (c.fd >= 0) {
			snprintf(cmd, sizeof(cmd), "get k%ld\r\n", i);
			gets++;
			if (!send_all(&c, cmd, strlen(cmd))) {
				while ((line = read_line(&c)) && strcmp(line, "END")) {
					long len;

					if (sscanf(line, "VALUE %*s %*u %ld", &len) != 1 ||
					    fill_buf(&c, len + 2)) {
						line = NULL;
						break;
					}
					c.off += len + 2;
					hit = true;
				}
				ok = line != NULL;
			}
			if (!ok) {
				close(c.fd);
				c.fd = -1;
				errors++;
			}
		}
		if (ok) {
			long long t = now_ns();

			if (!first_ok)
				first_ok = t;
			if (last_ok && t - last_ok > gap_to - gap_from) {
				gap_from = last_ok;
				gap_to = t;
				after_hits = after_misses = 0;
			}
			last_ok = t;
			hits += hit;
			misses += !hit;
			after_hits += hit;
			after_misses += !hit;
			if (until_up)
				break;
		}
		usleep(interval_ms * 1000);
	}
	printf("gets=%ld hits=%ld misses=%ld errors=%ld first_ok_ns=%lld last_ok_ns=%lld gap_from_ns=%lld gap_to_ns=%lld gap_ms=%.1f after_hits=%ld after_misses=%ld\n",
	       gets, hits, misses, errors, first_ok, last_ok, gap_from, gap_to,
	       (gap_to - gap_from) / 1e6, after_hits, after_misses);
	return 0;
}

static int cmd_maxsize(void)
{
	struct conn c = { .fd = -1 };

	if (mc_connect(&c, false))
		return 1;
	printf("max_value=%ld\n", find_max_value(&c));
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	long interval = 5;
	bool empty = false, until_up = false;

	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--empty")) {
			empty = true;
		} else if (!strcmp(a, "-x")) {
			until_up = true;
		} else if (v && (!strcmp(a, "-p") || !strcmp(a, "-n") || !strcmp(a, "-s") ||
				 !strcmp(a, "-i"))) {
			long long n = strtoll(v, NULL, 0);

			if (a[1] == 'p')
				port = n;
			else if (a[1] == 'n')
				nkeys = n;
			else if (a[1] == 's')
				seed = n;
			else
				interval = n;
			i++;
		} else {
			fprintf(stderr, "lu_mc: bad argument '%s'\n", a);
			return 2;
		}
	}
	if (nkeys <= 0) {
		fprintf(stderr, "lu_mc: -n must be positive\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "fill"))
		return cmd_fill();
	if (!strcmp(cmd, "check"))
		return cmd_check(empty);
	if (!strcmp(cmd, "stats"))
		return cmd_stats();
	if (!strcmp(cmd, "watch"))
		return cmd_watch(interval, until_up);
	if (!strcmp(cmd, "maxsize"))
		return cmd_maxsize();
	fprintf(stderr, "usage: lu_mc fill|check|stats|watch|maxsize [-p PORT] [-n N] [-s SEED] [-i MS] [-x] [--empty]\n");
	return 2;
}
