// SPDX-License-Identifier: GPL-2.0
/*
 * lu-init: PID 1 of the live update test guest.
 *
 * The guest boots from an initramfs that holds this init, the test programs
 * under /lu/tests, a static busybox, and the same bzImage as /kernel. Each
 * boot is one *stage*. Stage 1 is the cold boot; every later stage is
 * reached by kexec_file_load() of /kernel with the same initramfs (the
 * kernel keeps it because of "retain_initrd" and exposes it as
 * /sys/firmware/initrd) and "lu.stage=N+1" added to the command line.
 *
 * Command line parameters read by this init:
 *
 *   lu.tests=a,b     run /lu/tests/a then /lu/tests/b in every stage
 *   lu.stage=N       this stage (absent: 1)
 *   lu.stages=N      number of stages (absent: 1); the last one powers off
 *   lu.timeout=SEC   per-test time limit (default 900)
 *   lu.carry.K=V     values a test of the previous stage carried forward
 *   lu.kernels=a,b   the kernel of each stage, by name: stage N+1 is
 *                    reached by a kexec of /kernel-<Nth+1 name> instead
 *                    of /kernel (stage 1 is whatever QEMU booted; kernels
 *                    that read different formats, see lu_formats)
 *   lu.shell         no tests: an interactive shell on the console
 *   lu.probe         print LU-PROBE-OK and power off (accelerator probe)
 *   lu.results=DEV   also write everything below to /dev/DEV (a second
 *                    UART that nothing else writes to, so kernel messages
 *                    cannot interleave with the results)
 *
 * Output on the console (parsed by vmtest.sh on the host):
 *
 *   LU-STAGE-BEGIN stage=N/M uptime_ms=U
 *       <test output, indented by four spaces: nested TAP>
 *   ok K lu:<test>:stage<N>          one line per test and stage
 *   not ok K lu:<test>:stage<N> # <why>
 *   LU-STAGE-END stage=N/M tests_ms=T
 *   LU-KEXEC stage=N next=N+1        right before reboot(LINUX_REBOOT_CMD_KEXEC)
 *   LU-DONE stages=M                 the last stage finished
 *
 * Tests get LU_STAGE, LU_STAGES, LU_TEST and LU_BOOT_MS (the uptime at
 * LU-STAGE-BEGIN: how long this kernel took to reach userspace) in their
 * environment.
 *
 * Tests talk back to the init through files under /run/lu:
 *
 *   /run/lu/carry          "key=value" lines, passed to the next stage as
 *                          lu.carry.key=value (see lu_test.h)
 *   /run/lu/next-cmdline   extra parameters for the next kernel
 *
 * The next stage's kernel is loaded after the tests, with what they carried
 * (kexec_file_load() reads and hashes the whole initramfs: seconds under
 * TCG, so it is done once a stage). A test that must itself run
 * reboot(LINUX_REBOOT_CMD_KEXEC) (to check what happens on that path) loads
 * it first with lu_kexec_load_next() (lu_stage.h), which runs
 * "lu-kexec --load".
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kexec.h>
#include <linux/reboot.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define CMDLINE_MAX	2048
#define MAX_TESTS	64

static char cmdline[CMDLINE_MAX];
static int stage = 1, stages = 1;
static FILE *results;	/* lu.results=ttySN: a UART only this init writes to */
static long test_timeout = 900;
static long stage_begin_ms;	/* uptime when the stage began: boot time */

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
	if (results) {
		va_start(ap, fmt);
		vfprintf(results, fmt, ap);
		va_end(ap);
		fflush(results);
	}
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void do_mount(const char *src, const char *dst, const char *type)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, 0, NULL) && errno != EBUSY)
		say("lu-init: mount %s on %s: %s\n", type, dst, strerror(errno));
}

/* Copy the value of "name=value" from the command line into buf. */
static bool param(const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);
	const char *p = cmdline;

	while (*p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, name, n) && (p[n] == '=' || p[n] == ' ' || !p[n])) {
			const char *v = p[n] == '=' ? p + n + 1 : p + n;
			size_t i = 0;

			while (v[i] && v[i] != ' ' && i + 1 < len) {
				buf[i] = v[i];
				i++;
			}
			buf[i] = '\0';
			return true;
		}
		while (*p && *p != ' ')
			p++;
	}
	return false;
}

static long param_long(const char *name, long def)
{
	char buf[32];

	return param(name, buf, sizeof(buf)) ? strtol(buf, NULL, 0) : def;
}

static void power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	/* -no-reboot turns a reset into a QEMU exit as well. */
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

/* Read all of a small file into buf; returns its length or -1. */
static ssize_t slurp(const char *path, char *buf, size_t len)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (total + 1 < (ssize_t)len &&
	       (n = read(fd, buf + total, len - 1 - total)) > 0)
		total += n;
	close(fd);
	buf[total] = '\0';
	return total;
}

static bool append(char *dst, size_t len, const char *word)
{
	size_t cur = strlen(dst), n = strlen(word);

	if (cur + 1 + n + 1 > len)
		return false;
	if (cur)
		dst[cur++] = ' ';
	memcpy(dst + cur, word, n + 1);
	return true;
}

static bool carry_ok(const char *line)
{
	const char *eq = strchr(line, '=');

	if (!eq || eq == line || eq - line > 64 || strlen(eq + 1) > 200)
		return false;
	for (const char *c = line; *c; c++)
		if (c < eq ? !(isalnum((unsigned char)*c) || strchr("_.-", *c))
			   : (*c <= ' ' || *c == '"' || *c > '~'))
			return false;
	return true;
}

/*
 * Build the next stage's command line: this one without lu.stage= and
 * lu.carry.*, plus the next stage number, the carried values and what the
 * tests asked for in /run/lu/next-cmdline.
 */
static int next_cmdline(char *out, size_t len)
{
	char word[CMDLINE_MAX], buf[8192], *line, *save = NULL;
	const char *p = cmdline;

	out[0] = '\0';
	while (*p) {
		size_t n = 0;

		while (*p == ' ')
			p++;
		while (p[n] && p[n] != ' ')
			n++;
		if (!n)
			break;
		snprintf(word, sizeof(word), "%.*s", (int)n, p);
		p += n;
		if (!strncmp(word, "lu.stage=", 9) || !strncmp(word, "lu.carry.", 9))
			continue;
		if (!append(out, len, word))
			return -E2BIG;
	}
	snprintf(word, sizeof(word), "lu.stage=%d", stage + 1);
	if (!append(out, len, word))
		return -E2BIG;
	if (slurp("/run/lu/carry", buf, sizeof(buf)) > 0) {
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (!carry_ok(line)) {
				say("lu-init: ignoring malformed carry line '%s'\n", line);
				continue;
			}
			snprintf(word, sizeof(word), "lu.carry.%s", line);
			if (!append(out, len, word))
				return -E2BIG;
		}
	}
	if (slurp("/run/lu/next-cmdline", buf, sizeof(buf)) > 0) {
		for (line = strtok_r(buf, " \n", &save); line; line = strtok_r(NULL, " \n", &save))
			if (!append(out, len, line))
				return -E2BIG;
	}
	return 0;
}

/* /kernel, or the next stage's entry of lu.kernels=. */
static const char *next_kernel(void)
{
	static char path[96];
	char list[256], *name, *save = NULL;
	int i = 0;

	if (!param("lu.kernels", list, sizeof(list)))
		return "/kernel";
	for (name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save))
		if (i++ == stage) {
			snprintf(path, sizeof(path), "/kernel-%s", name);
			return path;
		}
	return "/kernel";
}

static int load_next(const char *extra_cmdline)
{
	char next[CMDLINE_MAX];
	int kfd, ifd, ret;

	ret = next_cmdline(next, sizeof(next));
	if (ret)
		return ret;
	if (extra_cmdline && !append(next, sizeof(next), extra_cmdline))
		return -E2BIG;
	kfd = open(next_kernel(), O_RDONLY | O_CLOEXEC);
	ifd = open("/sys/firmware/initrd", O_RDONLY | O_CLOEXEC);
	if (kfd < 0 || ifd < 0) {
		ret = -errno;
		goto out;
	}
	ret = syscall(SYS_kexec_file_load, kfd, ifd, strlen(next) + 1, next, 0UL);
	ret = ret ? -errno : 0;
out:
	if (kfd >= 0)
		close(kfd);
	if (ifd >= 0)
		close(ifd);
	return ret;
}

/* Copy a child's output to the console, indented: nested TAP. */
static void relay(int fd, char *pend, size_t *plen, bool flush)
{
	char buf[4096];
	ssize_t n = flush ? 0 : read(fd, buf, sizeof(buf));

	for (ssize_t i = 0; i < n; i++) {
		if (*plen < 4000)
			pend[(*plen)++] = buf[i];
		if (buf[i] == '\n' || *plen >= 4000) {
			if (pend[*plen - 1] == '\n')
				(*plen)--;
			say("    %.*s\n", (int)*plen, pend);
			*plen = 0;
		}
	}
	if (flush && *plen) {
		say("    %.*s\n", (int)*plen, pend);
		*plen = 0;
	}
}

static void reap_orphans(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Run one test; returns 0 on success and fills why[] otherwise. */
static int run_test(const char *name, char *why, size_t whylen)
{
	char path[256], st[16], sts[16], boot[32], pend[4096];
	int pipefd[2], status = 0;
	size_t plen = 0;
	long deadline;
	bool exited = false;
	pid_t pid;

	snprintf(path, sizeof(path), "/lu/tests/%s", name);
	if (access(path, X_OK)) {
		snprintf(why, whylen, "%.200s: %s", path, strerror(errno));
		return -1;
	}
	if (pipe2(pipefd, O_CLOEXEC)) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		return -1;
	}
	snprintf(st, sizeof(st), "%d", stage);
	snprintf(sts, sizeof(sts), "%d", stages);
	snprintf(boot, sizeof(boot), "%ld", stage_begin_ms);
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		setenv("LU_STAGE", st, 1);
		setenv("LU_STAGES", sts, 1);
		setenv("LU_TEST", name, 1);
		setenv("LU_BOOT_MS", boot, 1);
		execl(path, name, "--stage", st, NULL);
		fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		snprintf(why, whylen, "fork: %s", strerror(errno));
		return -1;
	}
	deadline = now_ms() + test_timeout * 1000;
	for (;;) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		long left = deadline - now_ms();
		bool hup = false;
		int r;

		if (left <= 0) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(why, whylen, "TIMEOUT after %lds", test_timeout);
			break;
		}
		r = poll(&pfd, 1, left > 500 ? 500 : left);
		if (r > 0 && (pfd.revents & POLLIN)) {
			relay(pipefd[0], pend, &plen, false);
			continue;
		}
		hup = r > 0;	/* every writer closed its end */
		if (!exited && waitpid(pid, &status, WNOHANG) == pid)
			exited = true;
		/*
		 * Done when the test exited and its output is drained. A
		 * daemon the test left behind may keep the pipe open (LUO
		 * tests hold session fds that way), so quiet counts too.
		 */
		if (exited && (hup || r == 0))
			break;
		if (hup)
			usleep(20000);
	}
	relay(pipefd[0], pend, &plen, true);
	close(pipefd[0]);
	reap_orphans();
	if (why[0])
		return -1;
	if (WIFSIGNALED(status)) {
		snprintf(why, whylen, "killed by signal %d", WTERMSIG(status));
		return -1;
	}
	if (WEXITSTATUS(status)) {
		snprintf(why, whylen, "exit=%d", WEXITSTATUS(status));
		return -1;
	}
	return 0;
}

static void shell(void)
{
	say("lu-init: interactive shell; 'lu-kexec [params]' kexecs into /kernel, 'poweroff -f' ends the VM\n");
	setenv("PS1", "lu-guest# ", 1);
	if (fork() == 0) {
		setsid();
		ioctl(0, TIOCSCTTY, 1);
		execl("/bin/sh", "sh", NULL);
		_exit(127);
	}
	for (;;) {
		pid_t p = wait(NULL);

		if (p < 0 && errno == ECHILD)
			power_off();
	}
}

/*
 * "lu-kexec [params...]": kexec into /kernel from a guest shell.
 * "lu-kexec --load [params...]": only load it, as the next stage (a test
 * that calls reboot(LINUX_REBOOT_CMD_KEXEC) itself).
 */
static int lu_kexec(int argc, char **argv)
{
	char extra[CMDLINE_MAX] = "";
	bool load_only = argc > 1 && !strcmp(argv[1], "--load");
	int ret;

	slurp("/proc/cmdline", cmdline, sizeof(cmdline));
	cmdline[strcspn(cmdline, "\n")] = '\0';
	stage = param_long("lu.stage", 1);
	for (int i = 1 + load_only; i < argc; i++)
		append(extra, sizeof(extra), argv[i]);
	ret = load_next(extra);
	if (ret) {
		fprintf(stderr, "lu-kexec: kexec_file_load: %s\n", strerror(-ret));
		return 1;
	}
	if (load_only)
		return 0;
	sync();
	reboot(LINUX_REBOOT_CMD_KEXEC);
	fprintf(stderr, "lu-kexec: reboot(LINUX_REBOOT_CMD_KEXEC): %s\n", strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	char tests[1024] = "", *names[MAX_TESTS], *save = NULL, *t, why[512];
	int ntests = 0, failed = 0, ret;
	long t0;

	if (strstr(argv[0], "lu-kexec"))
		return lu_kexec(argc, argv);

	do_mount("proc", "/proc", "proc");
	do_mount("sysfs", "/sys", "sysfs");
	do_mount("devtmpfs", "/dev", "devtmpfs");
	do_mount("tmpfs", "/run", "tmpfs");
	do_mount("tmpfs", "/tmp", "tmpfs");
	do_mount("debugfs", "/sys/kernel/debug", "debugfs");
	do_mount("tracefs", "/sys/kernel/tracing", "tracefs");
	mkdir("/run/lu", 0755);

	/* Console on stdio; line buffered so output interleaves sanely. */
	ret = open("/dev/console", O_RDWR);
	if (ret >= 0) {
		dup2(ret, 0);
		dup2(ret, 1);
		dup2(ret, 2);
		if (ret > 2)
			close(ret);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	setenv("PATH", "/lu/bin:/bin:/sbin:/usr/bin", 1);
	if (fork() == 0) {
		execl("/bin/busybox", "busybox", "--install", "-s", "/bin", NULL);
		_exit(127);
	}
	wait(NULL);

	if (slurp("/proc/cmdline", cmdline, sizeof(cmdline)) < 0)
		say("lu-init: cannot read /proc/cmdline: %s\n", strerror(errno));
	cmdline[strcspn(cmdline, "\n")] = '\0';
	stage = param_long("lu.stage", 1);
	stages = param_long("lu.stages", 1);
	if (param("lu.results", why, sizeof(why)) && why[0]) {
		char dev[300];
		int fd;

		snprintf(dev, sizeof(dev), "/dev/%.200s", why);
		fd = open(dev, O_WRONLY | O_NOCTTY | O_CLOEXEC);
		if (fd >= 0) {
			struct termios tio;

			/* Raw output: no "\n" -> "\r\n" split in two writes. */
			if (!tcgetattr(fd, &tio)) {
				tio.c_oflag &= ~OPOST;
				tcsetattr(fd, TCSANOW, &tio);
			}
			results = fdopen(fd, "w");
		}
		if (!results)
			say("lu-init: cannot open results channel %s: %s\n", dev, strerror(errno));
	}
	test_timeout = param_long("lu.timeout", test_timeout);

	if (param("lu.probe", tests, sizeof(tests))) {
		say("LU-PROBE-OK\n");
		power_off();
	}
	if (param("lu.shell", tests, sizeof(tests)) || !param("lu.tests", tests, sizeof(tests)))
		shell();

	for (t = strtok_r(tests, ",", &save); t && ntests < MAX_TESTS; t = strtok_r(NULL, ",", &save))
		names[ntests++] = t;

	stage_begin_ms = now_ms();
	say("LU-STAGE-BEGIN stage=%d/%d uptime_ms=%ld\n", stage, stages, stage_begin_ms);
	t0 = now_ms();
	for (int i = 0; i < ntests; i++) {
		why[0] = '\0';
		if (run_test(names[i], why, sizeof(why))) {
			say("not ok %d lu:%s:stage%d # %s\n", i + 1, names[i], stage, why);
			failed++;
		} else {
			say("ok %d lu:%s:stage%d\n", i + 1, names[i], stage);
		}
	}
	say("LU-STAGE-END stage=%d/%d tests_ms=%ld failed=%d\n", stage, stages, now_ms() - t0, failed);

	if (stage >= stages) {
		say("LU-DONE stages=%d\n", stages);
		power_off();
	}
	ret = load_next(NULL);
	if (ret) {
		say("not ok %d lu:kexec:stage%d # kexec_file_load: %s\n", ntests + 1, stage, strerror(-ret));
		power_off();
	}
	say("LU-KEXEC stage=%d next=%d\n", stage, stage + 1);
	sync();
	reboot(LINUX_REBOOT_CMD_KEXEC);
	say("not ok %d lu:kexec:stage%d # reboot(LINUX_REBOOT_CMD_KEXEC): %s\n",
	    ntests + 1, stage, strerror(errno));
	power_off();
	return 0;
}
