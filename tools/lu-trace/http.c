// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * lu-trace export's HTTP server: GET /metrics answered with what the
 * handler renders (OpenMetrics, or the 0.0.4 text format for a client that
 * accepts only text/plain), GET / with a page linking to it, everything
 * else with a precise status: 400, 405, 404, 408 for a client too slow to
 * send its request, 431 for one too long. One thread, poll(), no name
 * service (the binary is static).
 *
 * Hand-written because libmicrohttpd, the library C exporters build on,
 * cannot be linked statically on Debian 12: its libmicrohttpd.a needs
 * GnuTLS, and GnuTLS needs p11-kit, of which Debian ships no static
 * library (tried: "cannot find -lp11-kit"), while lu-trace must be static
 * to run in the test guest's initramfs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "lu-trace.h"
#include "export.h"

#define HTTP_MAX_CONNS		16
#define HTTP_REQ_MAX		8192	/* request line and headers */
#define HTTP_TIMEOUT_MS		5000	/* to send a request, and to read the answer */
#define HTTP_OPENMETRICS	"application/openmetrics-text; version=1.0.0; charset=utf-8"
#define HTTP_TEXT_004		"text/plain; version=0.0.4; charset=utf-8"

static __s64 now_ms(void)
{
	return (__s64)(lu_now_ns(CLOCK_MONOTONIC) / 1000000);
}

struct http_conn {
	int fd;
	size_t len;
	__s64 deadline_ms;
	char buf[HTTP_REQ_MAX + 1];
};

enum http_end { HTTP_DONE, HTTP_EOF, HTTP_FULL, HTTP_TIMEOUT };

static const char http_index[] =
"<!DOCTYPE html>\n"
"<html><head><title>lu-trace export</title></head>\n"
"<body><h1>lu-trace export</h1>\n"
"<p>Live update metrics: <a href=\"/metrics\">/metrics</a></p></body></html>\n";

static void fmt_hostport(char *buf, size_t len, const char *addr, const char *port)
{
	snprintf(buf, len, strchr(addr, ':') ? "[%s]:%s" : "%s:%s", addr, port);
}

int lu_http_listen(const char *addr, const char *port, char *where, size_t wlen)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	size_t n = strlen(addr);
	char host[INET6_ADDRSTRLEN + 8];
	socklen_t len;
	int fd, one = 1;

	if (!strcmp(addr, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	else if (n > 2 && addr[0] == '[' && addr[n - 1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)(n - 2), addr + 1);
	else
		snprintf(host, sizeof(host), "%s", addr);
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(atoi(port));
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(atoi(port));
		len = sizeof(*sin6);
	} else {
		fprintf(stderr, "lu-trace export: invalid address '%s': %s\n", addr,
			"not an IPv4 or IPv6 address");
		return -1;
	}
	fmt_hostport(where, wlen, host, port);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (!bind(fd, (struct sockaddr *)&ss, len) && !listen(fd, 64))
			return fd;
		one = errno;
		close(fd);
		errno = one;
	}
	fprintf(stderr, "lu-trace export: cannot listen on %s: %s\n", where, strerror(errno));
	return -1;
}

static int send_all(int fd, const char *p, size_t len, int flags)
{
	while (len) {
		ssize_t n = send(fd, p, len, flags | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= n;
	}
	return 0;
}

static void http_reply(int fd, int code, const char *reason, const char *type,
		       const char *extra, const char *body, size_t len)
{
	char hdr[512];
	int n;

	n = snprintf(hdr, sizeof(hdr),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
		     "Connection: close\r\n\r\n", code, reason, type, len, extra ? extra : "");
	if (!send_all(fd, hdr, n, len ? MSG_MORE : 0) && len)
		send_all(fd, body, len, 0);
}

static void http_error(int fd, int code, const char *reason, const char *extra)
{
	char body[64];
	int n = snprintf(body, sizeof(body), "%d %s\n", code, reason);

	http_reply(fd, code, reason, "text/plain; charset=utf-8", extra, body, n);
}

/* "METHOD /target HTTP/1.x", split in place. Return: 0 or -1 if malformed. */
static int http_parse_line(char *line, char **method, char **target)
{
	size_t n = strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
	char *p;

	if (!n || n > 16 || line[n] != ' ')
		return -1;
	line[n] = '\0';
	*method = line;
	p = line + n + 1;
	if (*p != '/')
		return -1;
	*target = p;
	while ((unsigned char)*p > ' ' && (unsigned char)*p < 0x7f)
		p++;
	if (*p != ' ')
		return -1;
	*p++ = '\0';
	return strcmp(p, "HTTP/1.1") && strcmp(p, "HTTP/1.0") ? -1 : 0;
}

/*
 * The 0.0.4 text format only for a client that asks for text/plain and
 * accepts neither OpenMetrics nor anything: OpenMetrics otherwise.
 */
static bool http_wants_text(const char *headers)
{
	bool text = false;

	for (const char *p = headers, *e; *p; p = e + !!*e) {
		char v[1024];

		e = strchrnul(p, '\n');
		if (strncasecmp(p, "accept:", 7))
			continue;
		snprintf(v, sizeof(v), "%.*s", (int)(e - p - 7), p + 7);
		text = strcasestr(v, "text/plain") && !strcasestr(v, "*/*") &&
		       !strcasestr(v, "application/openmetrics-text");
	}
	return text;
}

static void http_metrics(const struct lu_http_handler *h, int fd, bool om)
{
	char *body = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	f = open_memstream(&body, &len);
	if (!f) {
		http_error(fd, 500, "Internal Server Error", NULL);
		return;
	}
	err = h->render(h->ctx, f, om);
	if (fclose(f) && !err)
		err = -ENOMEM;
	if (err)
		http_error(fd, 500, "Internal Server Error", NULL);
	else
		http_reply(fd, 200, "OK", om ? HTTP_OPENMETRICS : HTTP_TEXT_004, NULL, body, len);
	free(body);
}

static void http_handle(const struct lu_http_handler *h, struct http_conn *c,
			enum http_end how)
{
	char *nl = memchr(c->buf, '\n', c->len), *method, *target, *q;
	struct timeval tv = { .tv_sec = HTTP_TIMEOUT_MS / 1000 };
	int fl = fcntl(c->fd, F_GETFL);
	size_t len;

	/* Answer with blocking writes, but not forever. */
	if (fl >= 0)
		fcntl(c->fd, F_SETFL, fl & ~O_NONBLOCK);
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (how == HTTP_TIMEOUT) {
		http_error(c->fd, 408, "Request Timeout", NULL);
		return;
	}
	if (!nl) {
		http_error(c->fd, 400, "Bad Request", NULL);
		return;
	}
	len = nl - c->buf;
	*nl = '\0';
	if (len && c->buf[len - 1] == '\r')
		c->buf[--len] = '\0';
	/* No NUL in the line, and a well-formed one */
	if (strlen(c->buf) != len || http_parse_line(c->buf, &method, &target)) {
		http_error(c->fd, 400, "Bad Request", NULL);
		return;
	}
	if (how == HTTP_FULL) {
		http_error(c->fd, 431, "Request Header Fields Too Large", NULL);
		return;
	}
	if (strcmp(method, "GET")) {
		http_error(c->fd, 405, "Method Not Allowed", "Allow: GET\r\n");
		return;
	}
	q = strchr(target, '?');
	if (q)
		*q = '\0';
	if (!strcmp(target, "/metrics"))
		http_metrics(h, c->fd, !http_wants_text(nl + 1));
	else if (!strcmp(target, "/"))
		http_reply(c->fd, 200, "OK", "text/html; charset=utf-8", NULL, http_index,
			   sizeof(http_index) - 1);
	else
		http_error(c->fd, 404, "Not Found", NULL);
}

/* Close, after reading what the client sent (a reset could lose the answer). */
static void http_close(struct http_conn *c)
{
	char junk[4096];

	shutdown(c->fd, SHUT_WR);
	for (int i = 0; i < 16 && recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT) > 0; i++)
		;
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

static void http_read(const struct lu_http_handler *h, struct http_conn *c)
{
	ssize_t n = recv(c->fd, c->buf + c->len, HTTP_REQ_MAX - c->len, 0);
	enum http_end how;

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n < 0 || (!n && !c->len)) {
		http_close(c);		/* reset, or gone without a word */
		return;
	}
	c->len += n;
	c->buf[c->len] = '\0';
	if (memmem(c->buf, c->len, "\r\n\r\n", 4) || memmem(c->buf, c->len, "\n\n", 2))
		how = HTTP_DONE;
	else if (!n)
		how = HTTP_EOF;
	else if (c->len == HTTP_REQ_MAX)
		how = HTTP_FULL;
	else
		return;
	http_handle(h, c, how);
	http_close(c);
}

static void http_accept(int lfd, struct http_conn *conns)
{
	for (int i = 0; i < HTTP_MAX_CONNS; i++) {
		int fd;

		if (conns[i].fd >= 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				fprintf(stderr, "lu-trace export: accept: %s\n", strerror(errno));
				poll(NULL, 0, 100);
			}
			return;
		}
		conns[i].fd = fd;
		conns[i].len = 0;
		conns[i].deadline_ms = now_ms() + HTTP_TIMEOUT_MS;
	}
}

int lu_http_serve(int lfd, const struct lu_http_handler *h)
{
	struct pollfd pfd[HTTP_MAX_CONNS + 1];
	int idx[HTTP_MAX_CONNS + 1], i, n, err = 0;
	struct http_conn *conns;

	conns = calloc(HTTP_MAX_CONNS, sizeof(*conns));
	if (!conns)
		return -ENOMEM;
	for (i = 0; i < HTTP_MAX_CONNS; i++)
		conns[i].fd = -1;
	while (!lu_exiting) {
		__s64 now = now_ms(), timeout = 500, left;

		for (i = 0, n = 1; i < HTTP_MAX_CONNS; i++) {
			if (conns[i].fd < 0)
				continue;
			pfd[n] = (struct pollfd){ .fd = conns[i].fd, .events = POLLIN };
			idx[n++] = i;
			left = conns[i].deadline_ms - now;
			if (left < timeout)
				timeout = left > 0 ? left : 0;
		}
		pfd[0] = (struct pollfd){ .fd = lfd, .events = n <= HTTP_MAX_CONNS ? POLLIN : 0 };
		if (poll(pfd, n, (int)timeout) < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			fprintf(stderr, "lu-trace export: poll: %s\n", strerror(errno));
			break;
		}
		now = now_ms();
		for (i = 1; i < n; i++) {
			struct http_conn *c = &conns[idx[i]];

			if (pfd[i].revents) {
				http_read(h, c);
			} else if (now >= c->deadline_ms) {
				http_handle(h, c, HTTP_TIMEOUT);
				http_close(c);
			}
		}
		if (pfd[0].revents & POLLIN)
			http_accept(lfd, conns);
	}
	for (i = 0; i < HTTP_MAX_CONNS; i++)
		if (conns[i].fd >= 0)
			close(conns[i].fd);
	free(conns);
	return err;
}
