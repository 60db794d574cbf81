// SPDX-License-Identifier: GPL-2.0
/*
 * lu-keep: keep an unmodified service's files across a kernel live update.
 *
 * The service is given files by path (--file PATH[:SIZE]). Each is a memfd
 * that lu-keep holds; PATH is a symlink to /proc/<lu-keep>/fd/<n>, so the
 * service opens, mmaps and writes it like any file. On `lu-keep stop` (or
 * SIGTERM/SIGINT) lu-keep stops the service with its stop signal, takes
 * what the service left at each PATH (its memfd, or a regular file the
 * service wrote there, copied into a new memfd), and preserves all of them
 * in one LUO session (/dev/liveupdate) together with a manifest (token 0)
 * that maps tokens to paths and sizes. It then holds the session fd until
 * the kexec: that is what makes the kernel hand the files over.
 *
 * After the kexec, `lu-keep run` with the same arguments retrieves the
 * session, checks every file against the manifest and the --file sizes,
 * puts each back at its path, starts the service, and finishes the session
 * once the service is up (--ready-tcp). A session whose files do not match
 * is discarded whole, every file named, and the service starts cold:
 * nothing is lost without a message, and a service is never handed half of
 * its state.
 *
 * Control: `lu-keep stop|release|status -s NAME` talk to the supervisor
 * through the unix socket RUNDIR/NAME.sock; the supervisor's messages for
 * that command are relayed, the last line is "ok" or "error".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/liveupdate.h>

#define LUO_DEVICE		"/dev/liveupdate"
#define BLACKOUT_FILE		"/sys/kernel/liveupdate/blackout"
#define DEFAULT_RUNDIR		"/run/lu-keep"
#define MANIFEST_TOKEN		0
#define MANIFEST_MAGIC		"lu-keep-manifest 1"
#define MAX_FILES		64
#define RETRIEVE_RETRIES	100	/* ENOMEM: 100 x 100 ms */

struct kfile {
	char *path;
	unsigned long long size;	/* --file PATH:SIZE */
	bool sized;
	int fd;				/* the memfd lu-keep holds, or -1 */
	char target[64];		/* /proc/<pid>/fd/<n> */
};

static struct {
	const char *session;
	const char *rundir;
	struct kfile files[MAX_FILES];
	int nfiles;
	int stop_sig;
	double stop_timeout;
	char ready_host[256];
	int ready_port;
	double ready_timeout;
	bool require_restore;
	char **cmd;

	pid_t child;
	int sigfd, lsock, ctl;		/* ctl: the client of the command being run */
	int sess;			/* outgoing session fd while holding */
	bool holding;
	char sockpath[PATH_MAX];
} k = {
	.stop_sig = SIGTERM, .stop_timeout = 30, .ready_timeout = 60,
	.child = -1, .sigfd = -1, .lsock = -1, .ctl = -1, .sess = -1,
};

/* ---- messages ---------------------------------------------------------- */

/* One line to stderr and to the client of the current command, if any. */
static void say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere else to say it */
	}
	if (k.ctl >= 0 && send(k.ctl, line, n, MSG_NOSIGNAL) < 0) {
		close(k.ctl);
		k.ctl = -1;
	}
}

#define note(fmt, ...)	say("lu-keep: %s: " fmt, k.session, ##__VA_ARGS__)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *human(unsigned long long b, char *buf, size_t len)
{
	if (b >= 1ULL << 30)
		snprintf(buf, len, "%.1f GiB", b / (double)(1ULL << 30));
	else if (b >= 1ULL << 20)
		snprintf(buf, len, "%.1f MiB", b / (double)(1ULL << 20));
	else if (b >= 1ULL << 10)
		snprintf(buf, len, "%.1f KiB", b / 1024.0);
	else
		snprintf(buf, len, "%llu B", b);
	return buf;
}

/* ---- parsing ----------------------------------------------------------- */

static bool parse_size(const char *s, unsigned long long *out)
{
	unsigned long long v, mul = 1;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return false;
	switch (*end) {
	case 'k': case 'K': mul = 1ULL << 10; end++; break;
	case 'm': case 'M': mul = 1ULL << 20; end++; break;
	case 'g': case 'G': mul = 1ULL << 30; end++; break;
	case 't': case 'T': mul = 1ULL << 40; end++; break;
	}
	if (*end || (v && mul > ULLONG_MAX / v))
		return false;
	*out = v * mul;
	return true;
}

static const struct { const char *name; int sig; } signals[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
	{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "TERM", SIGTERM }, { "CONT", SIGCONT },
	{ "STOP", SIGSTOP }, { "WINCH", SIGWINCH },
};

static int parse_signal(const char *s)
{
	char *end;
	long v;

	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (!strcasecmp(s, signals[i].name))
			return signals[i].sig;
	v = strtol(s, &end, 10);
	return *s && !*end && v > 0 && v < NSIG ? (int)v : -1;
}

static const char *signame(int sig)
{
	static char buf[16];

	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (signals[i].sig == sig) {
			snprintf(buf, sizeof(buf), "SIG%s", signals[i].name);
			return buf;
		}
	snprintf(buf, sizeof(buf), "signal %d", sig);
	return buf;
}

static bool parse_seconds(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return !errno && end != s && !*end && *out >= 0;
}

/* --ready-tcp [HOST:]PORT */
static bool parse_ready(const char *s)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	snprintf(k.ready_host, sizeof(k.ready_host), "127.0.0.1");
	if (colon) {
		if (colon == s || (size_t)(colon - s) >= sizeof(k.ready_host))
			return false;
		snprintf(k.ready_host, sizeof(k.ready_host), "%.*s", (int)(colon - s), s);
		s = colon + 1;
	}
	port = strtol(s, &end, 10);
	if (!*s || *end || port < 1 || port > 65535)
		return false;
	if (!strcmp(k.ready_host, "localhost"))
		snprintf(k.ready_host, sizeof(k.ready_host), "127.0.0.1");
	{
		unsigned char a[16];

		if (inet_pton(AF_INET, k.ready_host, a) != 1 &&
		    inet_pton(AF_INET6, k.ready_host, a) != 1)
			return false;
	}
	k.ready_port = port;
	return true;
}

static bool valid_session(const char *name)
{
	size_t n = strlen(name);

	return n >= 1 && n < LIVEUPDATE_SESSION_NAME_LENGTH && !strchr(name, '/') &&
	       !strchr(name, '\n');
}

/* ---- /dev/liveupdate ----------------------------------------------------- */

/* The device has one opener at a time: wait up to 10 s for it. */
static int luo_open(void)
{
	for (int i = 0; ; i++) {
		int fd = open(LUO_DEVICE, O_RDWR | O_CLOEXEC);

		if (fd >= 0)
			return fd;
		if (errno != EBUSY || i == 200)
			return -errno;
		usleep(50000);
	}
}

static int session_ioctl(int luo, unsigned long cmd, const char *name)
{
	/* create and retrieve share their layout */
	struct liveupdate_ioctl_create_session arg = { .size = sizeof(arg), .fd = -1 };

	strncpy((char *)arg.name, name, sizeof(arg.name) - 1);
	if (ioctl(luo, cmd, &arg) < 0)
		return -errno;
	return arg.fd >= 0 ? arg.fd : -EPROTO;
}

static int preserve_fd(int sess, int fd, __u64 token)
{
	struct liveupdate_session_preserve_fd arg = {
		.size = sizeof(arg), .fd = fd, .token = token,
	};

	return ioctl(sess, LIVEUPDATE_SESSION_PRESERVE_FD, &arg) < 0 ? -errno : 0;
}

/* Retrieve one file; ENOMEM changes nothing in the kernel and is retried. */
static int retrieve_fd(int sess, __u64 token)
{
	for (int i = 0; ; i++) {
		struct liveupdate_session_retrieve_fd arg = {
			.size = sizeof(arg), .fd = -1, .token = token,
		};

		if (!ioctl(sess, LIVEUPDATE_SESSION_RETRIEVE_FD, &arg))
			return arg.fd >= 0 ? arg.fd : -EPROTO;
		if (errno != ENOMEM || i == RETRIEVE_RETRIES)
			return -errno;
		if (!i)
			note("retrieving token %llu: %s; retrying for up to %d s",
			     (unsigned long long)token, strerror(ENOMEM), RETRIEVE_RETRIES / 10);
		usleep(100000);
	}
}

static int finish_session(int sess)
{
	struct liveupdate_session_finish arg = { .size = sizeof(arg) };

	return ioctl(sess, LIVEUPDATE_SESSION_FINISH, &arg) < 0 ? -errno : 0;
}

/* "none" on a cold boot, else restoring/complete/dropped; "" if unknown. */
static const char *boot_state(char *buf, size_t len)
{
	FILE *f = fopen(BLACKOUT_FILE, "re");
	char line[256];

	buf[0] = '\0';
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "state %31s", buf) == 1 || sscanf(line, "state: %31s", buf) == 1)
			break;
	if (f)
		fclose(f);
	return buf;
}

/* ---- files --------------------------------------------------------------- */

static int mkdir_p(const char *dir)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", dir);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(buf, 0755) && errno != EEXIST ? -errno : 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Make f->path a symlink to the memfd f->fd (atomically replacing it). */
static int place(struct kfile *f)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 16];
	int ret;

	snprintf(dir, sizeof(dir), "%s", f->path);
	*strrchr(dir, '/') = '\0';
	ret = dir[0] ? mkdir_p(dir) : 0;
	if (ret) {
		note("mkdir %s: %s", dir, strerror(-ret));
		return ret;
	}
	snprintf(f->target, sizeof(f->target), "/proc/%d/fd/%d", getpid(), f->fd);
	snprintf(tmp, sizeof(tmp), "%s.lu-keep-tmp", f->path);
	unlink(tmp);
	if (symlink(f->target, tmp) || rename(tmp, f->path)) {
		ret = -errno;
		note("symlink %s -> %s: %s", f->path, f->target, strerror(errno));
		unlink(tmp);
		return ret;
	}
	return 0;
}

static int new_memfd(const char *path, unsigned long long size)
{
	int fd = memfd_create(base_name(path), MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -errno;
	if (size && ftruncate(fd, size)) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return fd;
}

/* A regular file the service wrote at its path: copy it into a memfd. */
static int copy_to_memfd(const char *path, unsigned long long *size)
{
	char buf[65536];
	ssize_t n;
	int in, out, ret = 0;

	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	out = new_memfd(path, 0);
	if (out < 0) {
		close(in);
		return out;
	}
	*size = 0;
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		for (ssize_t done = 0; done < n; ) {
			ssize_t w = write(out, buf + done, n - done);

			if (w < 0) {
				ret = -errno;
				goto out;
			}
			done += w;
		}
		*size += n;
	}
	if (n < 0)
		ret = -errno;
out:
	close(in);
	if (ret) {
		close(out);
		return ret;
	}
	return out;
}

static unsigned long long fd_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (unsigned long long)st.st_size;
}

static void close_files(void)
{
	for (int i = 0; i < k.nfiles; i++) {
		if (k.files[i].fd >= 0)
			close(k.files[i].fd);
		k.files[i].fd = -1;
	}
}

/* ---- restore ------------------------------------------------------------- */

struct entry {
	__u64 token;
	unsigned long long size;
	char path[PATH_MAX];
	int fd;
	int file;	/* index in k.files, or -1 */
};

/* Parse the manifest memfd into @e; returns the count or -1. */
static int read_manifest(int fd, struct entry *e, int max)
{
	char line[PATH_MAX + 64];
	FILE *f;
	int n = 0;

	lseek(fd, 0, SEEK_SET);
	f = fdopen(dup(fd), "r");
	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f) || strcmp(line, MANIFEST_MAGIC "\n")) {
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long token, size;
		int off = 0;

		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "session ", 8))
			continue;
		if (n == max || sscanf(line, "file %llu %llu %n", &token, &size, &off) != 2 ||
		    !off || line[off] != '/') {
			fclose(f);
			return -1;
		}
		e[n].token = token;
		e[n].size = size;
		e[n].fd = -1;
		e[n].file = -1;
		snprintf(e[n].path, sizeof(e[n].path), "%s", line + off);
		n++;
	}
	fclose(f);
	return n;
}

/*
 * Retrieve the session the previous kernel handed over and check it.
 * Returns 1 when every file was restored into k.files[], 0 for a cold
 * start (nothing to restore, or discarded with a message), -1 when the
 * start must be refused (--require-restore).
 */
static int restore(int luo, int *sess_out)
{
	struct entry *e = calloc(MAX_FILES, sizeof(*e));
	char state[32], sz[32];
	int sess, mfd, n, bad = 0, ret;
	unsigned long long total = 0;
	double t0 = now();

	*sess_out = -1;
	if (!e)
		return -1;
	sess = session_ioctl(luo, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, k.session);
	if (sess == -ENOENT) {
		boot_state(state, sizeof(state));
		if (!strcmp(state, "none") || !state[0])
			note("no preserved session (cold boot): starting cold");
		else
			note("error: the previous kernel handed over no session %s: %s: starting cold",
			     k.session, strerror(ENOENT));
		free(e);
		return k.require_restore ? -1 : 0;
	}
	if (sess < 0) {
		note("error: retrieving session %s: %s: starting cold", k.session, strerror(-sess));
		free(e);
		return k.require_restore ? -1 : 0;
	}
	mfd = retrieve_fd(sess, MANIFEST_TOKEN);
	n = mfd < 0 ? -1 : read_manifest(mfd, e, MAX_FILES);
	if (mfd >= 0) {
		total = fd_size(mfd);
		close(mfd);
	}
	if (n < 0) {
		if (mfd < 0)
			note("error: session %s has no lu-keep manifest (token 0): %s",
			     k.session, strerror(-mfd));
		else
			note("error: session %s: its manifest is damaged", k.session);
		bad++;
		n = 0;
	}
	/* Retrieve every file the manifest names, so none is left unaccounted. */
	for (int i = 0; i < n; i++) {
		e[i].fd = retrieve_fd(sess, e[i].token);
		for (int j = 0; j < k.nfiles; j++)
			if (!strcmp(k.files[j].path, e[i].path))
				e[i].file = j;
		if (e[i].fd < 0) {
			note("error: %s (token %llu): retrieve failed: %s", e[i].path,
			     (unsigned long long)e[i].token, strerror(-e[i].fd));
			bad++;
		} else if (fd_size(e[i].fd) != e[i].size) {
			note("error: %s: preserved %llu bytes but the manifest says %llu", e[i].path,
			     fd_size(e[i].fd), e[i].size);
			bad++;
		} else if (e[i].file < 0) {
			note("error: %s (%s) was preserved but is not given with --file",
			     e[i].path, human(e[i].size, sz, sizeof(sz)));
			bad++;
		} else if (k.files[e[i].file].sized && k.files[e[i].file].size != e[i].size) {
			note("error: %s: size mismatch: preserved %llu bytes, --file asks for %llu",
			     e[i].path, e[i].size, k.files[e[i].file].size);
			bad++;
		}
	}
	for (int j = 0; j < k.nfiles; j++) {
		bool found = false;

		for (int i = 0; i < n; i++)
			found |= e[i].file == j;
		if (!found && n) {
			note("error: %s: not in the preserved session (missing file)", k.files[j].path);
			bad++;
		}
	}
	if (bad) {
		for (int i = 0; i < n; i++) {
			note("discarding preserved %s (%s)", e[i].path, human(e[i].size, sz, sizeof(sz)));
			if (e[i].fd >= 0)
				close(e[i].fd);
		}
		ret = finish_session(sess);
		if (ret)
			note("finishing session %s: %s", k.session, strerror(-ret));
		close(sess);
		note("error: session %s discarded (%d problem%s): %s", k.session, bad,
		     bad == 1 ? "" : "s",
		     k.require_restore ? "not starting the service (--require-restore)"
				       : "starting cold");
		free(e);
		return k.require_restore ? -1 : 0;
	}
	for (int i = 0; i < n; i++) {
		k.files[e[i].file].fd = e[i].fd;
		total += e[i].size;
	}
	note("retrieved session %s: %d files and the manifest, %llu bytes (%s) in %.3f s", k.session, n, total,
	     human(total, sz, sizeof(sz)), now() - t0);
	*sess_out = sess;
	free(e);
	return 1;
}

/* ---- the service --------------------------------------------------------- */

static sigset_t handled;

static int start_service(void)
{
	int pfd[2], err = 0;
	ssize_t r;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	k.child = fork();
	if (k.child < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (!k.child) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		setpgid(0, 0);
		execvp(k.cmd[0], k.cmd);
		err = errno;
		if (write(pfd[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	setpgid(k.child, k.child);
	close(pfd[1]);
	r = read(pfd[0], &err, sizeof(err));
	close(pfd[0]);
	if (r == sizeof(err)) {
		waitpid(k.child, NULL, 0);
		k.child = -1;
		return -err;
	}
	return 0;
}

/* Does HOST:PORT accept a TCP connection? HOST is a numeric address. */
static bool tcp_ready(void)
{
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons(k.ready_port) };
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(k.ready_port) };
	struct sockaddr *sa = (struct sockaddr *)&in;
	socklen_t len = sizeof(in);
	bool ok;
	int s;

	if (inet_pton(AF_INET6, k.ready_host, &in6.sin6_addr) == 1) {
		sa = (struct sockaddr *)&in6;
		len = sizeof(in6);
	} else if (inet_pton(AF_INET, k.ready_host, &in.sin_addr) != 1) {
		return false;
	}
	s = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ok = s >= 0 && !connect(s, sa, len);
	if (s >= 0)
		close(s);
	return ok;
}

static const char *status_str(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
	else
		snprintf(buf, len, "killed by %s", signame(WTERMSIG(status)));
	return buf;
}

/* Wait for the service to exit, at most @timeout seconds: its status or -1. */
static int wait_child(double timeout)
{
	double deadline = now() + timeout;
	int status;

	for (;;) {
		struct signalfd_siginfo si;
		struct pollfd p = { .fd = k.sigfd, .events = POLLIN };
		double left;

		if (waitpid(k.child, &status, WNOHANG) == k.child) {
			k.child = -1;
			return status;
		}
		left = deadline - now();
		if (left <= 0)
			return -1;
		if (poll(&p, 1, left > 0.1 ? 100 : (int)(left * 1000) + 1) > 0 &&
		    read(k.sigfd, &si, sizeof(si)) < 0) {
			/* drained */
		}
	}
}

/* ---- stop and preserve ----------------------------------------------------- */

/* Create the manifest memfd for the files about to be preserved. */
static int make_manifest(void)
{
	char line[PATH_MAX + 64];
	int fd = new_memfd("lu-keep-manifest", 0), n;

	if (fd < 0)
		return fd;
	n = snprintf(line, sizeof(line), MANIFEST_MAGIC "\nsession %s\n", k.session);
	if (write(fd, line, n) != n)
		goto err;
	for (int i = 0; i < k.nfiles; i++) {
		n = snprintf(line, sizeof(line), "file %d %llu %s\n", i + 1,
			     fd_size(k.files[i].fd), k.files[i].path);
		if (write(fd, line, n) != n)
			goto err;
	}
	fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
	return fd;
err:
	n = -errno;
	close(fd);
	return n ? n : -EIO;
}

/*
 * After the service stopped: take every file from its path and preserve
 * them all in a new outgoing session. All or nothing.
 */
static int preserve_all(void)
{
	unsigned long long total = 0;
	char sz[32], buf[PATH_MAX];
	int luo, sess, mfd, ret, copied = 0;
	double t0 = now();

	for (int i = 0; i < k.nfiles; i++) {
		struct kfile *f = &k.files[i];
		struct stat st;
		ssize_t n;

		if (lstat(f->path, &st)) {
			note("error: %s: %s after the service stopped (the service did not write it): nothing preserved",
			     f->path, strerror(errno));
			return -1;
		}
		n = S_ISLNK(st.st_mode) ? readlink(f->path, buf, sizeof(buf) - 1) : -1;
		if (n > 0 && f->fd >= 0 && (buf[n] = '\0', !strcmp(buf, f->target)))
			continue;	/* still lu-keep's memfd */
		if (!S_ISREG(st.st_mode)) {
			note("error: %s: neither lu-keep's memfd nor a regular file: nothing preserved",
			     f->path);
			return -1;
		}
		if (f->fd >= 0)
			close(f->fd);
		f->fd = copy_to_memfd(f->path, &total);
		if (f->fd < 0) {
			note("error: copying %s into a memfd: %s: nothing preserved", f->path,
			     strerror(-f->fd));
			return -1;
		}
		copied++;
	}
	total = 0;
	luo = luo_open();
	if (luo < 0) {
		note("error: %s: %s: nothing preserved", LUO_DEVICE, strerror(-luo));
		return -1;
	}
	sess = session_ioctl(luo, LIVEUPDATE_IOCTL_CREATE_SESSION, k.session);
	close(luo);
	if (sess < 0) {
		note("error: creating session %s: %s%s: nothing preserved", k.session, strerror(-sess),
		     sess == -EEXIST ? " (another outgoing session has this name)" : "");
		return -1;
	}
	for (int i = 0; i < k.nfiles; i++) {
		ret = preserve_fd(sess, k.files[i].fd, i + 1);
		if (ret) {
			note("error: preserving %s: %s: nothing preserved", k.files[i].path,
			     strerror(-ret));
			close(sess);	/* unpreserves what was preserved */
			return -1;
		}
		total += fd_size(k.files[i].fd);
	}
	mfd = make_manifest();
	ret = mfd < 0 ? mfd : preserve_fd(sess, mfd, MANIFEST_TOKEN);
	if (ret) {
		note("error: preserving the manifest: %s: nothing preserved", strerror(-ret));
		if (mfd >= 0)
			close(mfd);
		close(sess);
		return -1;
	}
	total += fd_size(mfd);
	close(mfd);
	k.sess = sess;
	k.holding = true;
	note("preserved %d files (%d copied from the service's own files) and the manifest in session %s: %llu bytes (%s) in %.3f s; holding them until the kexec",
	     k.nfiles, copied, k.session, total, human(total, sz, sizeof(sz)), now() - t0);
	return 0;
}

/* Stop the service with its stop signal; preserve its files unless @discard. */
static int stop(bool discard)
{
	char st[64];
	double t0 = now();
	int status;

	if (k.holding) {
		if (discard) {
			close(k.sess);
			k.sess = -1;
			k.holding = false;
			close_files();
			note("released session %s: its files are no longer preserved", k.session);
			return 0;
		}
		note("already stopped; holding session %s until the kexec", k.session);
		return 0;
	}
	if (k.child < 0) {
		note("error: the service is not running");
		return -1;
	}
	note("stopping the service (pid %d) with %s, waiting up to %g s", k.child,
	     signame(k.stop_sig), k.stop_timeout);
	kill(k.child, k.stop_sig);
	status = wait_child(k.stop_timeout);
	if (status < 0) {
		kill(-k.child, SIGKILL);
		kill(k.child, SIGKILL);
		waitpid(k.child, NULL, 0);
		k.child = -1;
		note("error: the service did not stop within %g s of %s: killed it; nothing preserved (its files may be incomplete)",
		     k.stop_timeout, signame(k.stop_sig));
		return -1;
	}
	note("the service stopped in %.3f s (%s)", now() - t0, status_str(status, st, sizeof(st)));
	if (discard) {
		close_files();
		note("released: nothing preserved");
		return 0;
	}
	return preserve_all();
}

/* ---- control socket ------------------------------------------------------- */

static int ctl_path(const char *rundir, const char *session, char *buf, size_t len)
{
	struct sockaddr_un sun;

	if ((size_t)snprintf(buf, len, "%s/%s.sock", rundir, session) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	return 0;
}

static int ctl_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return -errno;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		close(s);
		return -ENAMETOOLONG;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun))) {
		int ret = -errno;

		close(s);
		return ret;
	}
	return s;
}

static int ctl_listen(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int s, ret;

	ret = mkdir_p(k.rundir);
	if (ret) {
		note("error: %s: %s", k.rundir, strerror(-ret));
		return ret;
	}
	ret = ctl_path(k.rundir, k.session, k.sockpath, sizeof(k.sockpath));
	if (ret) {
		note("error: %s/%s.sock: %s", k.rundir, k.session, strerror(-ret));
		return ret;
	}
	s = ctl_connect(k.sockpath);
	if (s >= 0) {
		close(s);
		note("error: another lu-keep runs session %s (%s answers)", k.session, k.sockpath);
		return -EEXIST;
	}
	unlink(k.sockpath);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memcpy(sun.sun_path, k.sockpath, strlen(k.sockpath) + 1);	/* length checked */
	if (s < 0 || bind(s, (struct sockaddr *)&sun, sizeof(sun)) || listen(s, 8)) {
		ret = -errno;
		note("error: %s: %s", k.sockpath, strerror(errno));
		if (s >= 0)
			close(s);
		return ret;
	}
	return s;
}

static void status_report(void)
{
	char sz[32];
	unsigned long long total = 0;

	for (int i = 0; i < k.nfiles; i++)
		total += k.files[i].fd >= 0 ? fd_size(k.files[i].fd) : 0;
	if (k.holding)
		note("holding session %s: %d files and the manifest until the kexec", k.session,
		     k.nfiles);
	else if (k.child > 0)
		note("service running (pid %d); %d files, %llu bytes (%s) held", k.child, k.nfiles,
		     total, human(total, sz, sizeof(sz)));
	else
		note("service not running");
	for (int i = 0; i < k.nfiles; i++)
		note("  %s%s%s", k.files[i].path, k.files[i].fd >= 0 ? " -> " : " (not created yet)",
		     k.files[i].fd >= 0 ? k.files[i].target : "");
}

/* One command from a client; returns true when lu-keep should exit. */
static bool ctl_command(int s, int *exit_code)
{
	char cmd[64] = "";
	ssize_t n = recv(s, cmd, sizeof(cmd) - 1, 0);
	bool quit = false;
	int ret = 0;

	k.ctl = s;
	cmd[n > 0 ? n : 0] = '\0';
	cmd[strcspn(cmd, "\n")] = '\0';
	if (!strcmp(cmd, "stop")) {
		ret = stop(false);
		quit = ret < 0;
	} else if (!strcmp(cmd, "release")) {
		ret = stop(true);
		quit = true;
	} else if (!strcmp(cmd, "status")) {
		status_report();
	} else {
		note("error: unknown command '%s'", cmd);
		ret = -1;
	}
	if (k.ctl >= 0) {
		send(k.ctl, ret ? "error\n" : "ok\n", ret ? 6 : 3, MSG_NOSIGNAL);
		close(k.ctl);
	}
	k.ctl = -1;
	if (quit)
		*exit_code = ret ? 1 : 0;
	return quit;
}

/* ---- lu-keep run ---------------------------------------------------------- */

static void cleanup(void)
{
	if (k.sockpath[0])
		unlink(k.sockpath);
}

static int run(void)
{
	int luo, sess = -1, ret, exit_code = 0;
	char sz[32];
	double t0;

	sigemptyset(&handled);
	sigaddset(&handled, SIGCHLD);
	sigaddset(&handled, SIGTERM);
	sigaddset(&handled, SIGINT);
	sigaddset(&handled, SIGHUP);
	sigprocmask(SIG_BLOCK, &handled, NULL);
	signal(SIGPIPE, SIG_IGN);
	k.sigfd = signalfd(-1, &handled, SFD_CLOEXEC);
	if (k.sigfd < 0) {
		note("error: signalfd: %s", strerror(errno));
		return 1;
	}
	k.lsock = ctl_listen();
	if (k.lsock < 0)
		return 1;
	atexit(cleanup);

	luo = luo_open();
	if (luo < 0) {
		note("error: %s: %s%s", LUO_DEVICE, strerror(-luo),
		     luo == -ENOENT ? " (this kernel has no live update support: CONFIG_LIVEUPDATE, liveupdate=on)" :
		     luo == -EBUSY ? " (another process keeps it open)" : "");
		return 1;
	}
	ret = restore(luo, &sess);
	close(luo);
	if (ret < 0)
		return 1;
	for (int i = 0; i < k.nfiles; i++) {
		struct kfile *f = &k.files[i];
		struct stat st;

		if (ret == 0 && !f->sized) {
			/* The service writes this one itself; a stale copy must not confuse it. */
			if (!lstat(f->path, &st)) {
				note("removing stale %s (not handed over by a live update)", f->path);
				if (unlink(f->path)) {
					note("error: unlink %s: %s", f->path, strerror(errno));
					return 1;
				}
			}
			continue;
		}
		if (ret == 0) {
			f->fd = new_memfd(f->path, f->size);
			if (f->fd < 0) {
				note("error: memfd for %s (%s): %s", f->path,
				     human(f->size, sz, sizeof(sz)), strerror(-f->fd));
				return 1;
			}
		}
		if (place(f))
			return 1;
	}
	t0 = now();
	ret = start_service();
	if (ret) {
		note("error: cannot run %s: %s", k.cmd[0], strerror(-ret));
		return 1;
	}
	note("started %s (pid %d) with %s files", k.cmd[0], k.child,
	     sess >= 0 ? "its restored" : "new");

	/* Up: the port answers (or, without --ready-tcp, the exec worked). */
	if (k.ready_port) {
		int status;

		while (!tcp_ready()) {
			if (waitpid(k.child, &status, WNOHANG) == k.child) {
				k.child = -1;
				note("error: the service exited before it was up (%s)",
				     status_str(status, sz, sizeof(sz)));
				return 1;
			}
			if (now() - t0 > k.ready_timeout) {
				note("warning: %s:%d does not answer after %g s; finishing anyway",
				     k.ready_host, k.ready_port, k.ready_timeout);
				break;
			}
			usleep(10000);
		}
	}
	if (sess >= 0) {
		ret = finish_session(sess);
		if (ret)
			note("error: finishing session %s: %s", k.session, strerror(-ret));
		close(sess);
		note("service up %.3f s after start; session %s finished", now() - t0, k.session);
	} else {
		note("service up %.3f s after start", now() - t0);
	}

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = k.sigfd, .events = POLLIN },
			{ .fd = k.lsock, .events = POLLIN },
		};
		struct signalfd_siginfo si;
		int status;

		if (poll(p, 2, -1) < 0 && errno != EINTR) {
			note("error: poll: %s", strerror(errno));
			return 1;
		}
		if (p[1].revents & POLLIN) {
			int s = accept4(k.lsock, NULL, NULL, SOCK_CLOEXEC);

			if (s >= 0 && ctl_command(s, &exit_code))
				return exit_code;
		}
		if (!(p[0].revents & POLLIN) || read(k.sigfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGCHLD) {
			if (k.child > 0 && waitpid(k.child, &status, WNOHANG) == k.child) {
				k.child = -1;
				note("error: the service exited by itself (%s): nothing preserved",
				     status_str(status, sz, sizeof(sz)));
				return 1;
			}
			continue;
		}
		if (k.holding) {
			/* A shutdown signals everyone: the session must survive it. */
			note("%s ignored: holding session %s until the kexec (lu-keep release drops it)",
			     signame(si.ssi_signo), k.session);
			continue;
		}
		note("%s: stopping", signame(si.ssi_signo));
		if (stop(false))
			return 1;
	}
}

/* ---- lu-keep stop|release|status ---------------------------------------- */

static int client(const char *cmd, const char *session, const char *rundir)
{
	char path[PATH_MAX], *reply = NULL, *last;
	size_t len = 0, cap = 0;
	ssize_t n;
	int s;

	if (ctl_path(rundir, session, path, sizeof(path))) {
		fprintf(stderr, "lu-keep %s: %s/%s.sock: %s\n", cmd, rundir, session,
			strerror(ENAMETOOLONG));
		return 1;
	}
	s = ctl_connect(path);
	if (s < 0) {
		fprintf(stderr, "lu-keep %s: %s: %s (is lu-keep run -s %s running?)\n", cmd, path,
			strerror(-s), session);
		return 1;
	}
	if (send(s, cmd, strlen(cmd), MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "lu-keep %s: %s: %s\n", cmd, path, strerror(errno));
		close(s);
		return 1;
	}
	shutdown(s, SHUT_WR);
	/* The supervisor's lines, then "ok" or "error": the exit status. */
	for (;;) {
		if (len + 4096 > cap) {
			char *r = realloc(reply, cap + 65536);

			if (!r) {
				fprintf(stderr, "lu-keep %s: %s\n", cmd, strerror(ENOMEM));
				close(s);
				return 1;
			}
			reply = r;
			cap += 65536;
		}
		n = read(s, reply + len, cap - len - 1);
		if (n <= 0)
			break;
		len += n;
	}
	close(s);
	if (!reply || !len) {
		fprintf(stderr, "lu-keep %s: the supervisor of session %s closed without an answer\n",
			cmd, session);
		free(reply);
		return 1;
	}
	reply[len] = '\0';
	if (len && reply[len - 1] == '\n')
		reply[--len] = '\0';
	last = strrchr(reply, '\n');
	last = last ? last + 1 : reply;
	fwrite(reply, 1, last - reply, stdout);
	fflush(stdout);
	n = strcmp(last, "ok") ? 1 : 0;
	free(reply);
	return n;
}

/* ---- main ------------------------------------------------------------------ */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: lu-keep run -s NAME -f PATH[:SIZE]... [-S SIG] [-t SEC] [-r [HOST:]PORT]\n"
		"                   [-T SEC] [-R] [-d DIR] -- COMMAND [ARG]...\n"
		"       lu-keep stop|release|status -s NAME [-d DIR]\n"
		"  -s, --session NAME       LUO session name (1..63 bytes)\n"
		"  -f, --file PATH[:SIZE]   a file to keep; with SIZE lu-keep creates it (K/M/G)\n"
		"  -S, --stop-signal SIG    how the service wants to be stopped (default TERM)\n"
		"  -t, --stop-timeout SEC   how long it may take (default 30)\n"
		"  -r, --ready-tcp [HOST:]PORT  the service is up when this port accepts\n"
		"  -T, --ready-timeout SEC  how long to wait for that (default 60)\n"
		"  -R, --require-restore    refuse to start cold after a failed restore\n"
		"  -d, --runtime-dir DIR    control sockets (default " DEFAULT_RUNDIR ")\n"
		"See lu-keep(8).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "session", required_argument, NULL, 's' },
		{ "file", required_argument, NULL, 'f' },
		{ "stop-signal", required_argument, NULL, 'S' },
		{ "stop-timeout", required_argument, NULL, 't' },
		{ "ready-tcp", required_argument, NULL, 'r' },
		{ "ready-timeout", required_argument, NULL, 'T' },
		{ "require-restore", no_argument, NULL, 'R' },
		{ "runtime-dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const char *cmd = argc > 1 ? argv[1] : "";
	bool is_run = !strcmp(cmd, "run");
	int c;

	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!is_run && strcmp(cmd, "stop") && strcmp(cmd, "release") && strcmp(cmd, "status")) {
		fprintf(stderr, "lu-keep: %s%s\n", *cmd ? "unknown command: " : "no command given",
			cmd);
		usage(stderr);
		return 2;
	}
	k.rundir = DEFAULT_RUNDIR;
	optind = 2;
	while ((c = getopt_long(argc, argv, "+s:f:S:t:r:T:Rd:h", opts, NULL)) != -1) {
		struct kfile *f;
		char *colon;

		if (!is_run && !strchr("sdh", c))
			c = '?';
		switch (c) {
		case 's':
			k.session = optarg;
			break;
		case 'd':
			k.rundir = optarg;
			break;
		case 'f':
			if (k.nfiles == MAX_FILES) {
				fprintf(stderr, "lu-keep: at most %d files\n", MAX_FILES);
				return 2;
			}
			f = &k.files[k.nfiles++];
			f->fd = -1;
			f->path = strdup(optarg);
			colon = strrchr(f->path, ':');
			if (colon && !strchr(colon, '/')) {
				*colon = '\0';
				f->sized = true;
				if (!parse_size(colon + 1, &f->size) || !f->size) {
					fprintf(stderr, "lu-keep: --file %s: bad size '%s'\n", optarg,
						colon + 1);
					return 2;
				}
			}
			if (f->path[0] != '/' || strchr(f->path, '\n') || f->path[1] == '\0') {
				fprintf(stderr, "lu-keep: --file %s: the path must be absolute\n", optarg);
				return 2;
			}
			for (int i = 0; i < k.nfiles - 1; i++)
				if (!strcmp(k.files[i].path, f->path)) {
					fprintf(stderr, "lu-keep: --file %s given twice\n", f->path);
					return 2;
				}
			break;
		case 'S':
			k.stop_sig = parse_signal(optarg);
			if (k.stop_sig < 0) {
				fprintf(stderr, "lu-keep: --stop-signal %s: unknown signal\n", optarg);
				return 2;
			}
			break;
		case 't':
		case 'T':
			if (!parse_seconds(optarg, c == 't' ? &k.stop_timeout : &k.ready_timeout)) {
				fprintf(stderr, "lu-keep: -%c %s: not a number of seconds\n", c, optarg);
				return 2;
			}
			break;
		case 'r':
			if (!parse_ready(optarg)) {
				fprintf(stderr, "lu-keep: --ready-tcp %s: want [ADDRESS:]PORT (a numeric address)\n", optarg);
				return 2;
			}
			break;
		case 'R':
			k.require_restore = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!k.session) {
		fprintf(stderr, "lu-keep %s: no session given (-s NAME)\n", cmd);
		return 2;
	}
	if (!valid_session(k.session)) {
		fprintf(stderr, "lu-keep %s: session name '%s': 1 to %d bytes, no '/'\n", cmd,
			k.session, LIVEUPDATE_SESSION_NAME_LENGTH - 1);
		return 2;
	}
	if (!is_run) {
		if (optind < argc) {
			fprintf(stderr, "lu-keep %s: unexpected argument '%s'\n", cmd, argv[optind]);
			return 2;
		}
		return client(cmd, k.session, k.rundir);
	}
	if (!k.nfiles) {
		fprintf(stderr, "lu-keep run: no file given (-f PATH[:SIZE])\n");
		return 2;
	}
	if (optind >= argc) {
		fprintf(stderr, "lu-keep run: no command given (-- COMMAND ...)\n");
		return 2;
	}
	k.cmd = argv + optind;
	return run();
}
