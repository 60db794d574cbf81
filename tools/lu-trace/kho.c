// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lu-trace kho: decode the Kexec HandOver (KHO) state from debugfs
 *
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * Reads DIR/out (what the next kernel will get at kexec) and DIR/in (what
 * this kernel received, present only after a KHO boot). The files and their
 * formats are described in kernel/liveupdate/kexec_handover_debugfs.c, the
 * root tree in include/linux/kho/abi/kexec_handover.h. Everything read is
 * untrusted input: anything malformed is reported, nothing is assumed.
 */
#define _GNU_SOURCE
#include <argp.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libfdt.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kho.h"

/*
 * From include/linux/kho/abi/kexec_handover.h: "kho-v2" (root hashes added)
 * and "kho-v1" lay out everything this tool reads the same way.
 */
#define KHO_FDT_COMPATIBLE	"kho-v2"
#define KHO_FDT_COMPATIBLE_V1	"kho-v1"
#define KHO_FDT_MEMORY_MAP_PROP	"preserved-memory-map"
#define KHO_FDT_SUB_DATA_PROP	"preserved-data"
#define KHO_FDT_SUB_SIZE_PROP	"blob-size"
#define KHO_ORDER_MAX		20
#define KHO_SCRATCH_MAX		64
#define KHO_FDT_MAX_SIZE	4096

#define KHO_DEFAULT_DIR		"/sys/kernel/debug/kho"
#define KHO_FILE_MAX		(1024 * 1024)	/* far more than any KHO file holds */
#define KHO_MAX_TOKENS		4
#define KHO_SHOW_MAX		80		/* display length of untrusted strings */

struct kho_subtree {
	char *name;
	unsigned long long addr;
	unsigned long long size;
};

struct kho_area {
	unsigned long long start;
	unsigned long long size;
};

/* One side of the handover, DIR/out or DIR/in. */
struct kho_view {
	bool in;
	char path[PATH_MAX];
	unsigned long long fdt_size;
	const char *compatible;		/* KHO_FDT_COMPATIBLE or _V1 */
	unsigned long long tracker_root;
	struct kho_subtree *subtrees;
	size_t nr_subtrees;
	struct kho_area *scratch;
	size_t nr_scratch;
	unsigned long long scratch_bytes;
	unsigned long long blocks[KHO_ORDER_MAX + 1];
	unsigned long long pages;
	unsigned long long bytes;
	unsigned long long tracker_bytes;	/* out only */
	unsigned long long restored;		/* in only */
	unsigned long long released;
	unsigned long long unrestored;
	char **mismatches;			/* subtrees file vs fdt */
	size_t nr_mismatches;
};

struct kho_env {
	const char *dir;
	bool json;
	bool want_in;
	bool want_out;
	bool help;
	bool usage;
};

static unsigned long long kho_page_size;

/* For lu_kho_out_read(): no messages, and the first error as an errno. */
static bool kho_quiet;
static int kho_first_err;

__attribute__((format(printf, 1, 2)))
static int kho_err(const char *fmt, ...)
{
	va_list ap;

	if (!kho_first_err)
		kho_first_err = EINVAL;
	if (kho_quiet)
		return -1;
	fputs("lu-trace kho: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* Report errno for @path. */
static int kho_errno(const char *path)
{
	int err = errno;

	if (!kho_first_err)
		kho_first_err = err ? err : EIO;
	if (err == EACCES || err == EPERM)
		return kho_err("%s: %s: must be run as root", path, strerror(err));
	return kho_err("%s: %s", path, strerror(err));
}

/* Copy @s into @buf for display: other bytes than printable ASCII as \xNN, cut if long. */
static const char *kho_show(const char *s, char *buf, size_t size)
{
	size_t o = 0;

	for (; *s && o + 8 < size; s++) {
		unsigned char c = *s;

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[o++] = c;
		else
			o += snprintf(buf + o, size - o, "\\x%02x", c);
	}
	if (*s)
		o += snprintf(buf + o, size - o, "...");
	buf[o] = '\0';
	return buf;
}

/* "1.5 MiB", "4 KiB", "512 bytes" */
static const char *kho_human(unsigned long long n, char *buf, size_t size)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned int u = 0;
	double d;

	if (n < 1024) {
		snprintf(buf, size, "%llu bytes", n);
		return buf;
	}
	while (u + 1 < sizeof(units) / sizeof(units[0]) && n >> (10 * (u + 2)))
		u++;
	if (!(n & ((1ULL << (10 * (u + 1))) - 1))) {
		snprintf(buf, size, "%llu %s", n >> (10 * (u + 1)), units[u]);
		return buf;
	}
	d = (double)n / (double)(1ULL << (10 * (u + 1)));
	if (d >= 1023.95 && u + 1 < sizeof(units) / sizeof(units[0])) {
		d /= 1024;
		u++;
	}
	snprintf(buf, size, "%.1f %s", d, units[u]);
	return buf;
}

static int kho_path(char *buf, const char *dir, const char *name)
{
	int n = snprintf(buf, PATH_MAX, "%s/%s", dir, name);

	if (n < 0 || n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return kho_errno(dir);
	}
	return 0;
}

/* Read all of @path into a NUL-terminated buffer. */
static int kho_read(const char *path, char **bufp, size_t *lenp)
{
	size_t len = 0, cap = 4096;
	char *buf, *tmp;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kho_errno(path);
	buf = malloc(cap + 1);
	if (!buf)
		goto err;
	for (;;) {
		if (len == cap) {
			if (cap > KHO_FILE_MAX) {
				close(fd);
				free(buf);
				return kho_err("%s: larger than %d bytes, not a KHO file",
					       path, KHO_FILE_MAX);
			}
			cap *= 2;
			tmp = realloc(buf, cap + 1);
			if (!tmp)
				goto err;
			buf = tmp;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto err;
		if (!n)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
err:
	kho_errno(path);
	close(fd);
	free(buf);
	return -1;
}

static int kho_read_text(const char *path, char **bufp)
{
	size_t len;

	if (kho_read(path, bufp, &len))
		return -1;
	if (memchr(*bufp, '\0', len)) {
		free(*bufp);
		return kho_err("%s: contains a NUL byte, not a KHO text file", path);
	}
	return 0;
}

/* Cut the next line off *@pos; NULL at the end. */
static char *kho_next_line(char **pos)
{
	char *line = *pos, *nl;

	if (!*line)
		return NULL;
	nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		*pos = nl + 1;
	} else {
		*pos = line + strlen(line);
	}
	return line;
}

/* Split @line at spaces; returns the number of tokens, KHO_MAX_TOKENS + 1 if more. */
static int kho_split(char *line, char *tok[KHO_MAX_TOKENS])
{
	char *save, *t;
	int n = 0;

	for (t = strtok_r(line, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (n == KHO_MAX_TOKENS)
			return n + 1;
		tok[n++] = t;
	}
	return n;
}

/* Decimal, or hexadecimal with 0x; nothing else. */
static bool kho_parse_ull(const char *s, unsigned long long *val)
{
	int base = 10;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		base = 16;
	}
	if (base == 16 ? !isxdigit((unsigned char)*s) : !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	*val = strtoull(s, &end, base);
	return !errno && !*end;
}

__attribute__((format(printf, 2, 3)))
static int kho_mismatch(struct kho_view *v, const char *fmt, ...)
{
	char **tmp, *msg;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return kho_err("%s: %s", v->path, strerror(ENOMEM));
	tmp = realloc(v->mismatches, (v->nr_mismatches + 1) * sizeof(*tmp));
	if (!tmp) {
		free(msg);
		return kho_err("%s: %s", v->path, strerror(ENOMEM));
	}
	v->mismatches = tmp;
	v->mismatches[v->nr_mismatches++] = msg;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Root tree                                                               */
/* ---------------------------------------------------------------------- */

static int kho_prop_u64(const char *path, const void *fdt, int off, const char *node,
			const char *name, unsigned long long *val)
{
	const void *p;
	fdt64_t raw;
	int len;

	p = fdt_getprop(fdt, off, name, &len);
	if (!p && len == -FDT_ERR_NOTFOUND)
		return kho_err("%s: node %s has no \"%s\" property", path, node, name);
	if (!p)
		return kho_err("%s: corrupt FDT: node %s, property \"%s\": %s", path, node,
			       name, fdt_strerror(len));
	if (len != sizeof(raw))
		return kho_err("%s: node %s: property \"%s\" is %d bytes, expected %zu (a u64)",
			       path, node, name, len, sizeof(raw));
	memcpy(&raw, p, sizeof(raw));
	*val = fdt64_to_cpu(raw);
	return 0;
}

#define KHO_FDT_VERSION		17	/* fdt_create()'s, in the kernel's libfdt */

static int kho_check_fdt(const char *path, const char *fdt, size_t len, const char **version)
{
	char show[KHO_SHOW_MAX];
	const char *compat;
	int err, plen;

	if (len < sizeof(struct fdt_header))
		return kho_err("%s: corrupt FDT: %zu bytes, less than an FDT header", path, len);
	err = fdt_check_header(fdt);
	if (err)
		return kho_err("%s: corrupt FDT: bad header: %s", path, fdt_strerror(err));
	/*
	 * The kernel writes version 17. Older ones lay out the structure block
	 * differently, and Debian's libfdt 1.6.1 dereferences NULL checking one
	 * (fdt_check_full() of a version 7 tree: found by fuzz_lutrace_kho).
	 */
	if (fdt_version(fdt) < KHO_FDT_VERSION)
		return kho_err("%s: corrupt FDT: version %u, older than the %d the kernel writes",
			       path, fdt_version(fdt), KHO_FDT_VERSION);
	if (fdt_totalsize(fdt) > len)
		return kho_err("%s: corrupt FDT: totalsize %u is larger than the file (%zu bytes)",
			       path, fdt_totalsize(fdt), len);
	if (fdt_totalsize(fdt) > KHO_FDT_MAX_SIZE)
		return kho_err("%s: corrupt FDT: totalsize %u is larger than the %d bytes "
			       "%s allows",
			       path, fdt_totalsize(fdt), KHO_FDT_MAX_SIZE, KHO_FDT_COMPATIBLE);
	err = fdt_check_full(fdt, fdt_totalsize(fdt));
	if (err)
		return kho_err("%s: corrupt FDT: %s", path, fdt_strerror(err));

	compat = fdt_getprop(fdt, 0, "compatible", &plen);
	if (!compat)
		return kho_err("%s: root node has no \"compatible\" property (expected \"%s\")",
			       path, KHO_FDT_COMPATIBLE);
	if (plen <= 0 || compat[plen - 1] != '\0')
		return kho_err("%s: root \"compatible\" is not a NUL-terminated string", path);
	if (fdt_stringlist_contains(compat, plen, KHO_FDT_COMPATIBLE) == 1)
		*version = KHO_FDT_COMPATIBLE;
	else if (fdt_stringlist_contains(compat, plen, KHO_FDT_COMPATIBLE_V1) == 1)
		*version = KHO_FDT_COMPATIBLE_V1;
	else
		return kho_err("%s: unknown compatible \"%s\" (expected \"%s\" or \"%s\")",
			       path, kho_show(compat, show, sizeof(show)), KHO_FDT_COMPATIBLE,
			       KHO_FDT_COMPATIBLE_V1);
	return 0;
}

static int kho_load_fdt(struct kho_view *v)
{
	char path[PATH_MAX], show[KHO_SHOW_MAX], node[KHO_SHOW_MAX + 1];
	struct kho_subtree *sub, *tmp;
	const char *name;
	int off, ret = -1;
	size_t len;
	char *fdt;

	if (kho_path(path, v->path, "fdt") || kho_read(path, &fdt, &len))
		return -1;
	if (kho_check_fdt(path, fdt, len, &v->compatible))
		goto out;
	v->fdt_size = fdt_totalsize(fdt);
	if (kho_prop_u64(path, fdt, 0, "/", KHO_FDT_MEMORY_MAP_PROP, &v->tracker_root))
		goto out;

	fdt_for_each_subnode(off, fdt, 0) {
		name = fdt_get_name(fdt, off, NULL);
		if (!name) {
			kho_err("%s: corrupt FDT: node at offset %d has no name", path, off);
			goto out;
		}
		snprintf(node, sizeof(node), "/%s", kho_show(name, show, sizeof(show)));
		tmp = realloc(v->subtrees, (v->nr_subtrees + 1) * sizeof(*tmp));
		if (!tmp) {
			kho_err("%s: %s", path, strerror(ENOMEM));
			goto out;
		}
		v->subtrees = tmp;
		sub = &v->subtrees[v->nr_subtrees];
		sub->name = strdup(name);
		if (!sub->name) {
			kho_err("%s: %s", path, strerror(ENOMEM));
			goto out;
		}
		v->nr_subtrees++;
		if (kho_prop_u64(path, fdt, off, node, KHO_FDT_SUB_DATA_PROP, &sub->addr) ||
		    kho_prop_u64(path, fdt, off, node, KHO_FDT_SUB_SIZE_PROP, &sub->size))
			goto out;
	}
	if (off != -FDT_ERR_NOTFOUND) {
		kho_err("%s: corrupt FDT: walking the subtrees: %s", path, fdt_strerror(off));
		goto out;
	}
	ret = 0;
out:
	free(fdt);
	return ret;
}

/* ---------------------------------------------------------------------- */
/* Text files                                                              */
/* ---------------------------------------------------------------------- */

static int kho_load_scratch(struct kho_view *v)
{
	char path[PATH_MAX], show[KHO_SHOW_MAX], *buf, *pos, *line;
	char *tok[KHO_MAX_TOKENS];
	unsigned long long idx;
	struct kho_area *a;
	int nr = 0, ret = -1;

	if (kho_path(path, v->path, "scratch") || kho_read_text(path, &buf))
		return -1;
	pos = buf;
	while ((line = kho_next_line(&pos))) {
		nr++;
		kho_show(line, show, sizeof(show));
		if (kho_split(line, tok) != 3) {
			kho_err("%s: line %d: \"%s\": expected \"<index> <start> <size>\"",
				path, nr, show);
			goto out;
		}
		if (v->nr_scratch == KHO_SCRATCH_MAX) {
			kho_err("%s: more than %d scratch areas", path, KHO_SCRATCH_MAX);
			goto out;
		}
		a = &v->scratch[v->nr_scratch];
		if (!kho_parse_ull(tok[0], &idx) || !kho_parse_ull(tok[1], &a->start) ||
		    !kho_parse_ull(tok[2], &a->size)) {
			kho_err("%s: line %d: \"%s\": bad number", path, nr, show);
			goto out;
		}
		if (idx != v->nr_scratch) {
			kho_err("%s: line %d: index %llu, expected %zu", path, nr, idx,
				v->nr_scratch);
			goto out;
		}
		if (__builtin_add_overflow(v->scratch_bytes, a->size, &v->scratch_bytes)) {
			kho_err("%s: line %d: total size overflows", path, nr);
			goto out;
		}
		v->nr_scratch++;
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

static int kho_load_subtrees(struct kho_view *v)
{
	char path[PATH_MAX], show[KHO_SHOW_MAX], *buf, *pos, *line;
	struct kho_subtree *txt = NULL, *tmp;
	char *tok[KHO_MAX_TOKENS];
	size_t i, j, nr = 0;
	bool *seen = NULL;
	int lineno = 0, ret = -1;

	if (kho_path(path, v->path, "subtrees") || kho_read_text(path, &buf))
		return -1;
	pos = buf;
	while ((line = kho_next_line(&pos))) {
		lineno++;
		kho_show(line, show, sizeof(show));
		tmp = realloc(txt, (nr + 1) * sizeof(*txt));
		if (!tmp) {
			kho_err("%s: %s", path, strerror(ENOMEM));
			goto out;
		}
		txt = tmp;
		if (kho_split(line, tok) != 3 || !kho_parse_ull(tok[1], &txt[nr].addr) ||
		    !kho_parse_ull(tok[2], &txt[nr].size)) {
			kho_err("%s: line %d: \"%s\": expected \"<name> <address> <size>\"",
				path, lineno, show);
			goto out;
		}
		txt[nr++].name = tok[0];
	}

	seen = calloc(nr + 1, sizeof(*seen));
	if (!seen) {
		kho_err("%s: %s", path, strerror(ENOMEM));
		goto out;
	}
	for (i = 0; i < v->nr_subtrees; i++) {
		const struct kho_subtree *s = &v->subtrees[i];

		for (j = 0; j < nr; j++)
			if (!seen[j] && !strcmp(txt[j].name, s->name))
				break;
		kho_show(s->name, show, sizeof(show));
		if (j == nr) {
			if (kho_mismatch(v, "subtree \"%s\" is in fdt but not in subtrees", show))
				goto out;
			continue;
		}
		seen[j] = true;
		if ((txt[j].addr != s->addr || txt[j].size != s->size) &&
		    kho_mismatch(v, "subtree \"%s\": fdt has %#llx, %llu bytes; "
				 "subtrees has %#llx, %llu bytes", show, s->addr, s->size,
				 txt[j].addr, txt[j].size))
			goto out;
	}
	for (j = 0; j < nr; j++)
		if (!seen[j] &&
		    kho_mismatch(v, "subtree \"%s\" is in subtrees but not in fdt",
				 kho_show(txt[j].name, show, sizeof(show))))
			goto out;
	ret = 0;
out:
	free(seen);
	free(txt);
	free(buf);
	return ret;
}

struct kho_key {
	const char *name;
	unsigned long long *val;
	bool seen;
};

/* DIR/out/preserved or DIR/in/status */
static int kho_load_counts(struct kho_view *v)
{
	struct kho_key out_keys[] = {
		{ .name = "pages", .val = &v->pages },
		{ .name = "bytes", .val = &v->bytes },
		{ .name = "tracker_bytes", .val = &v->tracker_bytes },
		{},
	};
	struct kho_key in_keys[] = {
		{ .name = "pages", .val = &v->pages },
		{ .name = "restored_pages", .val = &v->restored },
		{ .name = "released_pages", .val = &v->released },
		{ .name = "unrestored_pages", .val = &v->unrestored },
		{},
	};
	char path[PATH_MAX], show[KHO_SHOW_MAX], *buf, *pos, *line;
	struct kho_key *keys = v->in ? in_keys : out_keys, *k;
	unsigned long long order, val, sum = 0;
	unsigned long orders_seen = 0;
	char *tok[KHO_MAX_TOKENS];
	int n, lineno = 0, ret = -1;

	if (kho_path(path, v->path, v->in ? "status" : "preserved") ||
	    kho_read_text(path, &buf))
		return -1;
	pos = buf;
	while ((line = kho_next_line(&pos))) {
		lineno++;
		kho_show(line, show, sizeof(show));
		n = kho_split(line, tok);
		if (n == 4 && !strcmp(tok[0], "order") && !strcmp(tok[2], "blocks") &&
		    kho_parse_ull(tok[1], &order) && kho_parse_ull(tok[3], &val)) {
			if (order > KHO_ORDER_MAX) {
				kho_err("%s: line %d: order %llu, the largest is %d", path,
					lineno, order, KHO_ORDER_MAX);
				goto out;
			}
			if (orders_seen & (1UL << order)) {
				kho_err("%s: line %d: order %llu twice", path, lineno, order);
				goto out;
			}
			if (val > ULLONG_MAX >> order ||
			    __builtin_add_overflow(sum, val << order, &sum)) {
				kho_err("%s: line %d: page count overflows", path, lineno);
				goto out;
			}
			orders_seen |= 1UL << order;
			v->blocks[order] = val;
			continue;
		}
		if (n != 2 || !kho_parse_ull(tok[1], &val)) {
			kho_err("%s: line %d: \"%s\": expected \"order <n> blocks <count>\" "
				"or \"<key> <value>\"",
				path, lineno, show);
			goto out;
		}
		/* Unknown keys are for newer kernels: skip them. */
		for (k = keys; k->name; k++) {
			if (strcmp(k->name, tok[0]))
				continue;
			if (k->seen) {
				kho_err("%s: line %d: \"%s\" twice", path, lineno, k->name);
				goto out;
			}
			*k->val = val;
			k->seen = true;
		}
	}
	for (k = keys; k->name; k++) {
		if (!k->seen) {
			kho_err("%s: no \"%s\" line", path, k->name);
			goto out;
		}
	}
	if (sum != v->pages) {
		kho_err("%s: pages %llu, but the order lines add up to %llu", path, v->pages, sum);
		goto out;
	}
	if (v->in) {
		if (__builtin_mul_overflow(v->pages, kho_page_size, &v->bytes)) {
			kho_err("%s: pages %llu overflows", path, v->pages);
			goto out;
		}
		if (v->restored > v->pages || v->released > v->pages - v->restored ||
		    v->unrestored != v->pages - v->restored - v->released) {
			kho_err("%s: pages %llu, restored %llu, released %llu and unrestored "
				"%llu do not add up",
				path, v->pages, v->restored, v->released, v->unrestored);
			goto out;
		}
	} else if (v->bytes / kho_page_size != v->pages || v->bytes % kho_page_size) {
		kho_err("%s: bytes %llu is not pages %llu times the page size %llu", path,
			v->bytes, v->pages, kho_page_size);
		goto out;
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

int lu_kho_out_read(const char *dir, struct lu_kho_out *out)
{
	struct kho_view v = { .in = false };
	long ps = sysconf(_SC_PAGESIZE);
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (strlen(dir) >= sizeof(v.path))
		return -ENAMETOOLONG;
	if (!kho_page_size)
		kho_page_size = ps > 0 ? ps : 4096;
	strcpy(v.path, dir);
	v.scratch = calloc(KHO_SCRATCH_MAX, sizeof(*v.scratch));
	if (!v.scratch)
		return -ENOMEM;
	kho_quiet = true;
	kho_first_err = 0;
	if (!kho_load_counts(&v)) {
		out->has_preserved = true;
		out->preserved_bytes = v.bytes;
	} else {
		err = -kho_first_err;
	}
	kho_first_err = 0;
	if (!kho_load_scratch(&v)) {
		out->has_scratch = true;
		out->scratch_bytes = v.scratch_bytes;
	} else if (!err) {
		err = -kho_first_err;
	}
	kho_first_err = 0;
	kho_quiet = false;
	free(v.scratch);
	return err;
}

/* ---------------------------------------------------------------------- */
/* Loading                                                                 */
/* ---------------------------------------------------------------------- */

static void kho_free(struct kho_view *v)
{
	size_t i;

	for (i = 0; i < v->nr_subtrees; i++)
		free(v->subtrees[i].name);
	free(v->subtrees);
	free(v->scratch);
	for (i = 0; i < v->nr_mismatches; i++)
		free(v->mismatches[i]);
	free(v->mismatches);
	memset(v, 0, sizeof(*v));
}

static int kho_load_once(struct kho_view *v, const char *path, bool in)
{
	memset(v, 0, sizeof(*v));
	v->in = in;
	strcpy(v->path, path);
	v->scratch = calloc(KHO_SCRATCH_MAX, sizeof(*v->scratch));
	if (!v->scratch)
		return kho_err("%s: %s", path, strerror(ENOMEM));
	if (kho_load_fdt(v) || kho_load_scratch(v) || kho_load_subtrees(v) ||
	    kho_load_counts(v))
		return -1;
	return 0;
}

static int kho_load(struct kho_view *v, const char *path, bool in)
{
	if (kho_load_once(v, path, in))
		return -1;
	/* The outgoing tree is live: a subtree may come or go between two reads. */
	if (!in && v->nr_mismatches) {
		kho_free(v);
		return kho_load_once(v, path, in);
	}
	return 0;
}

/* Has @dir anything in it (is something mounted there)? */
static bool kho_dir_populated(const char *dir)
{
	struct dirent *de;
	bool ret = false;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return false;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			ret = true;
			break;
		}
	}
	closedir(d);
	return ret;
}

static int kho_check_dir(const char *dir)
{
	char *copy, *parent;
	struct stat st;
	int ret;

	if (!stat(dir, &st)) {
		if (S_ISDIR(st.st_mode))
			return 0;
		errno = ENOTDIR;
		return kho_errno(dir);
	}
	if (errno != ENOENT)
		return kho_errno(dir);
	copy = strdup(dir);
	if (!copy)
		return kho_err("%s: %s", dir, strerror(ENOMEM));
	parent = dirname(copy);
	if (kho_dir_populated(parent))
		ret = kho_err("%s: %s: KHO is disabled (boot with kho=on), or the kernel "
			      "is built without CONFIG_KEXEC_HANDOVER_DEBUGFS=y",
			      dir, strerror(ENOENT));
	else
		ret = kho_err("%s: %s: is debugfs mounted? (mount -t debugfs none %s) and "
			      "is the kernel built with CONFIG_KEXEC_HANDOVER_DEBUGFS=y?",
			      dir, strerror(ENOENT), parent);
	free(copy);
	return ret;
}

/* 1 if DIR/@name is there, 0 if not, -1 on error. */
static int kho_side_present(char *path, const char *dir, const char *name)
{
	struct stat st;

	if (kho_path(path, dir, name))
		return -1;
	if (!stat(path, &st))
		return 1;
	if (errno == ENOENT)
		return 0;
	return kho_errno(path);
}

/* ---------------------------------------------------------------------- */
/* Human output                                                            */
/* ---------------------------------------------------------------------- */

#define KHO_LABEL	"  %-12s  "

static void kho_print_bytes(FILE *f, unsigned long long n)
{
	char h[32];

	fprintf(f, "%llu bytes", n);
	if (n >= 1024)
		fprintf(f, " (%s)", kho_human(n, h, sizeof(h)));
}

static void kho_print(FILE *f, const struct kho_view *v)
{
	char show[KHO_SHOW_MAX], h[32];
	unsigned int o;
	bool any = false;
	size_t i;

	fprintf(f, "KHO %s: %s (%s)\n", v->in ? "in" : "out", v->path,
		v->in ? "from the previous kernel" : "for the next kernel");
	fprintf(f, KHO_LABEL "%s, %llu bytes\n", "root tree", v->compatible, v->fdt_size);
	fprintf(f, KHO_LABEL "0x%llx\n", "tracker root", v->tracker_root);
	fprintf(f, KHO_LABEL "%zu\n", "subtrees", v->nr_subtrees);
	if (v->nr_subtrees)
		fprintf(f, KHO_LABEL "%-24s  %12s  %s\n", "", "name", "blob size", "address");
	for (i = 0; i < v->nr_subtrees; i++)
		fprintf(f, KHO_LABEL "%-24s  %12llu  0x%llx\n", "",
			kho_show(v->subtrees[i].name, show, sizeof(show)),
			v->subtrees[i].size, v->subtrees[i].addr);
	fprintf(f, KHO_LABEL "%zu area%s, %s\n", "scratch", v->nr_scratch,
		v->nr_scratch == 1 ? "" : "s", kho_human(v->scratch_bytes, h, sizeof(h)));
	for (o = 0; o <= KHO_ORDER_MAX; o++) {
		if (!v->blocks[o])
			continue;
		if (!any)
			fprintf(f, KHO_LABEL "%5s  %10s  %12s  %18s\n", "preserved", "order",
				"block size", "blocks", "bytes");
		any = true;
		fprintf(f, KHO_LABEL "%5u  %10s  %12llu  %18llu\n", "", o,
			kho_human(kho_page_size << o, h, sizeof(h)), v->blocks[o],
			(v->blocks[o] << o) * kho_page_size);
	}
	if (!any)
		fprintf(f, KHO_LABEL "none\n", "preserved");
	fprintf(f, KHO_LABEL "%llu pages, ", "total", v->pages);
	kho_print_bytes(f, v->bytes);
	fputc('\n', f);
	if (v->in) {
		fprintf(f, KHO_LABEL "%llu pages\n", "restored", v->restored);
		fprintf(f, KHO_LABEL "%llu pages\n", "released", v->released);
		fprintf(f, KHO_LABEL "%llu pages\n", "unrestored", v->unrestored);
	} else {
		fprintf(f, KHO_LABEL, "tracker");
		kho_print_bytes(f, v->tracker_bytes);
		fputs(" of metadata\n", f);
	}
}

/* ---------------------------------------------------------------------- */
/* JSON output                                                             */
/* ---------------------------------------------------------------------- */

struct kho_json {
	FILE *f;
	int depth;
	bool first;
};

static void kho_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20 || c >= 0x7f)	/* bytes, not UTF-8: keep the JSON valid */
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void kho_json_key(struct kho_json *j, const char *key)
{
	if (j->depth)
		fprintf(j->f, "%s\n%*s", j->first ? "" : ",", 2 * j->depth, "");
	if (key) {
		kho_json_string(j->f, key);
		fputs(": ", j->f);
	}
	j->first = false;
}

static void kho_json_open(struct kho_json *j, const char *key, char c)
{
	kho_json_key(j, key);
	fputc(c, j->f);
	j->depth++;
	j->first = true;
}

static void kho_json_close(struct kho_json *j, char c)
{
	j->depth--;
	if (!j->first)
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	fputc(c, j->f);
	j->first = false;
}

static void kho_json_u64(struct kho_json *j, const char *key, unsigned long long val)
{
	kho_json_key(j, key);
	fprintf(j->f, "%llu", val);
}

static void kho_json_str(struct kho_json *j, const char *key, const char *s)
{
	kho_json_key(j, key);
	kho_json_string(j->f, s);
}

static void kho_json_view(struct kho_json *j, const char *key, const struct kho_view *v)
{
	unsigned int o;
	size_t i;

	if (!v) {
		kho_json_key(j, key);
		fputs("null", j->f);
		return;
	}
	kho_json_open(j, key, '{');
	kho_json_str(j, "dir", v->path);
	kho_json_open(j, "fdt", '{');
	kho_json_str(j, "compatible", v->compatible);
	kho_json_u64(j, "size", v->fdt_size);
	kho_json_close(j, '}');
	kho_json_u64(j, "tracker_root", v->tracker_root);
	kho_json_open(j, "subtrees", '[');
	for (i = 0; i < v->nr_subtrees; i++) {
		kho_json_open(j, NULL, '{');
		kho_json_str(j, "name", v->subtrees[i].name);
		kho_json_u64(j, "size", v->subtrees[i].size);
		kho_json_u64(j, "address", v->subtrees[i].addr);
		kho_json_close(j, '}');
	}
	kho_json_close(j, ']');
	kho_json_open(j, "scratch", '{');
	kho_json_u64(j, "count", v->nr_scratch);
	kho_json_u64(j, "bytes", v->scratch_bytes);
	kho_json_open(j, "areas", '[');
	for (i = 0; i < v->nr_scratch; i++) {
		kho_json_open(j, NULL, '{');
		kho_json_u64(j, "start", v->scratch[i].start);
		kho_json_u64(j, "size", v->scratch[i].size);
		kho_json_close(j, '}');
	}
	kho_json_close(j, ']');
	kho_json_close(j, '}');
	kho_json_open(j, "preserved", '[');
	for (o = 0; o <= KHO_ORDER_MAX; o++) {
		if (!v->blocks[o])
			continue;
		kho_json_open(j, NULL, '{');
		kho_json_u64(j, "order", o);
		kho_json_u64(j, "block_size", kho_page_size << o);
		kho_json_u64(j, "blocks", v->blocks[o]);
		kho_json_u64(j, "bytes", (v->blocks[o] << o) * kho_page_size);
		kho_json_close(j, '}');
	}
	kho_json_close(j, ']');
	kho_json_u64(j, "pages", v->pages);
	kho_json_u64(j, "bytes", v->bytes);
	if (v->in) {
		kho_json_u64(j, "restored_pages", v->restored);
		kho_json_u64(j, "released_pages", v->released);
		kho_json_u64(j, "unrestored_pages", v->unrestored);
	} else {
		kho_json_u64(j, "tracker_bytes", v->tracker_bytes);
	}
	kho_json_open(j, "mismatches", '[');
	for (i = 0; i < v->nr_mismatches; i++)
		kho_json_str(j, NULL, v->mismatches[i]);
	kho_json_close(j, ']');
	kho_json_close(j, '}');
}

/* ---------------------------------------------------------------------- */
/* Command line                                                            */
/* ---------------------------------------------------------------------- */

enum {
	KHO_OPT_IN = 0x100,
	KHO_OPT_OUT,
	KHO_OPT_USAGE,
};

static char kho_prog[] = "lu-trace kho";

static const char kho_doc[] =
"Show the Kexec HandOver (KHO) state from debugfs: what the running kernel\n"
"will hand to the next one at kexec (out), and what it received from the\n"
"previous one (in, only after a KHO boot): the root tree, its subtrees, the\n"
"scratch areas and the preserved memory by order. Must be run as root.\n"
"\n"
"USAGE: lu-trace kho [-d DIR] [-j] [--in|--out]\n"
"\n"
"EXAMPLES:\n"
"    lu-trace kho             # outgoing, and incoming after a KHO boot\n"
"    lu-trace kho --out       # only what the next kernel will get\n"
"    lu-trace kho --in -j     # what arrived, as JSON\n"
"    lu-trace kho -d /tmp/kho # read a copy of the debugfs directory\n";

static const struct argp_option kho_opts[] = {
	{ "dir", 'd', "DIR", 0, "KHO debugfs directory (default " KHO_DEFAULT_DIR ")", 0 },
	{ "json", 'j', NULL, 0, "Print one JSON object: {\"out\": {...}, \"in\": {...} or null}",
	  0 },
	{ "in", KHO_OPT_IN, NULL, 0, "Only what this kernel received (an error if nothing)", 0 },
	{ "out", KHO_OPT_OUT, NULL, 0, "Only what the next kernel will get", 0 },
	{ "help", 'h', NULL, 0, "Show this help", -1 },
	{ "usage", KHO_OPT_USAGE, NULL, 0, "Show a short usage message", -1 },
	{},
};

static error_t kho_parse_arg(int key, char *arg, struct argp_state *state)
{
	struct kho_env *env = state->input;

	switch (key) {
	case 'd':
		env->dir = arg;
		break;
	case 'j':
		env->json = true;
		break;
	case KHO_OPT_IN:
		env->want_in = true;
		break;
	case KHO_OPT_OUT:
		env->want_out = true;
		break;
	case 'h':
		env->help = true;
		break;
	case KHO_OPT_USAGE:
		env->usage = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		return EINVAL;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp kho_argp = {
	.options = kho_opts,
	.parser = kho_parse_arg,
	.doc = kho_doc,
};

int cmd_kho(int argc, char **argv)
{
	struct kho_env env = { .dir = KHO_DEFAULT_DIR };
	struct kho_view out = {}, in = {};
	bool do_out, do_in, has_in = false;
	struct kho_json j = { .f = stdout };
	char path[PATH_MAX];
	int i, err, ret = 1;
	char **av;
	long ps;

	if (argc < 1)
		argc = 1;
	av = calloc(argc + 1, sizeof(*av));
	if (!av) {
		kho_err("%s", strerror(ENOMEM));
		return 1;
	}
	av[0] = kho_prog;	/* for the messages of argp */
	for (i = 1; i < argc; i++)
		av[i] = argv[i];
	err = argp_parse(&kho_argp, argc, av, ARGP_NO_EXIT | ARGP_NO_HELP, NULL, &env);
	free(av);
	if (err)
		return 1;
	if (env.help) {
		argp_help(&kho_argp, stdout, ARGP_HELP_STD_HELP, kho_prog);
		return 0;
	}
	if (env.usage) {
		argp_help(&kho_argp, stdout, ARGP_HELP_USAGE, kho_prog);
		return 0;
	}

	ps = sysconf(_SC_PAGESIZE);
	kho_page_size = ps > 0 ? ps : 4096;
	do_out = env.want_out || !env.want_in;
	do_in = env.want_in || !env.want_out;

	if (kho_check_dir(env.dir))
		return 1;
	if (do_out) {
		err = kho_side_present(path, env.dir, "out");
		if (err < 0)
			goto out;
		if (!err) {
			kho_err("%s: %s: KHO is disabled (boot with kho=on)", path,
				strerror(ENOENT));
			goto out;
		}
		if (kho_load(&out, path, false))
			goto out;
	}
	if (do_in) {
		err = kho_side_present(path, env.dir, "in");
		if (err < 0)
			goto out;
		if (!err && env.want_in) {
			kho_err("%s: %s: not a KHO boot, nothing was handed over", path,
				strerror(ENOENT));
			goto out;
		}
		has_in = err;
		if (has_in && kho_load(&in, path, true))
			goto out;
	}

	if (env.json) {
		kho_json_open(&j, NULL, '{');
		if (do_out)
			kho_json_view(&j, "out", &out);
		if (do_in)
			kho_json_view(&j, "in", has_in ? &in : NULL);
		kho_json_close(&j, '}');
		fputc('\n', stdout);
	} else {
		if (do_out)
			kho_print(stdout, &out);
		if (has_in)
			kho_print(stdout, &in);
		else if (do_in)
			printf("KHO in: none (not a KHO boot)\n");
	}
	fflush(stdout);

	/* The report is out; the disagreements between fdt and subtrees fail it. */
	for (i = 0; i < (int)out.nr_mismatches; i++)
		kho_err("%s: %s", out.path, out.mismatches[i]);
	for (i = 0; i < (int)in.nr_mismatches; i++)
		kho_err("%s: %s", in.path, in.mismatches[i]);
	ret = out.nr_mismatches || in.nr_mismatches;
out:
	kho_free(&out);
	kho_free(&in);
	return ret;
}
