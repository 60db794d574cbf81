// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lu-trace compat: can this kernel hand over to that one?
 *
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * Compares the format catalogs (catalog.c) of two kernels, FROM (by default
 * the running one) and TO: per format, the versions each reads and writes
 * and the version FROM would write for TO, chosen the way the kernel
 * chooses it (kernel/liveupdate/luo_format.c). A format FROM has data of,
 * that is not optional and that TO reads no version of, refuses the kexec:
 * that is a conflict, and the pair is incompatible. Also prints one
 * catalog (--catalog), and tells the running kernel what the next one
 * reads (--apply).
 */
#define _GNU_SOURCE
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "lu-trace.h"

#define COMPAT_NEXT_FORMATS	"kernel/liveupdate/next_formats"
#define COMPAT_WHY		512
#define COMPAT_CELL		(3 * LU_VERSION_MAX + 32)	/* "1,2,...,63 (...)" */
#define COMPAT_STATUS_INCOMPAT	1

struct compat_args {
	bool json, catalog, apply;
	const char *sysfs;
	const char *img[2];
	int nr;
};

/* One format of a pair. */
struct compat_row {
	const char *name;
	const struct lu_format *from, *to;	/* NULL: that kernel lacks it */
	unsigned int used;			/* the version written, 0 for none */
	bool live, optional, conflict;
};

/* ---------------------------------------------------------------------- */
/* Text tables                                                             */
/* ---------------------------------------------------------------------- */

/* A table of cells, printed with each column as wide as its widest cell. */
struct compat_table {
	size_t cols, rows, cap;
	char (*cell)[COMPAT_CELL];
};

static int table_init(struct compat_table *t, size_t cols, size_t rows)
{
	t->cols = cols;
	t->rows = 0;
	t->cap = rows;
	t->cell = calloc(cols * rows, sizeof(*t->cell));
	return t->cell ? 0 : -ENOMEM;
}

/* Add a row of t->cols strings. */
static void table_row(struct compat_table *t, const char *const *cells)
{
	if (t->rows == t->cap)
		return;
	for (size_t c = 0; c < t->cols; c++)
		snprintf(t->cell[t->rows * t->cols + c], COMPAT_CELL, "%s", cells[c]);
	t->rows++;
}

static void table_print(FILE *f, struct compat_table *t)
{
	size_t width[8] = {};

	for (size_t r = 0; r < t->rows; r++)
		for (size_t c = 0; c < t->cols && c < 8; c++) {
			size_t n = strlen(t->cell[r * t->cols + c]);

			if (n > width[c])
				width[c] = n;
		}
	for (size_t r = 0; r < t->rows; r++) {
		for (size_t c = 0; c < t->cols; c++) {
			const char *s = t->cell[r * t->cols + c];

			if (c + 1 == t->cols)
				fprintf(f, "%s\n", s);
			else
				fprintf(f, "%-*s  ", (int)width[c], s);
		}
	}
	free(t->cell);
	t->cell = NULL;
}

/* ---------------------------------------------------------------------- */
/* Output                                                                  */
/* ---------------------------------------------------------------------- */

static const char *kind_name(const struct lu_catalog *c)
{
	switch (c->kind) {
	case LU_KIND_RUNNING:
		return "running kernel";
	case LU_KIND_ELF:
		return "vmlinux";
	case LU_KIND_BZIMAGE:
		return "bzImage";
	default:
		return "notes";
	}
}

/* "TO    new/bzImage (gzip bzImage, release 6.12.9): 5 formats" */
static void print_source(const char *label, const char *img, const struct lu_catalog *c)
{
	printf("%-5s %s (", label, img);
	if (c->kind == LU_KIND_BZIMAGE)
		printf("%s ", !strcmp(c->compression, "none") ? "uncompressed" : c->compression);
	printf("%s", kind_name(c));
	if (c->release[0])
		printf(", release %s", c->release);
	if (c->nr)
		printf("): %zu format%s\n", c->nr, c->nr == 1 ? "" : "s");
	else
		printf("): no liveupdate format catalog\n");
}

static void json_versions(FILE *f, __u64 set)
{
	bool first = true;

	fputc('[', f);
	for (unsigned int v = 1; v <= LU_VERSION_MAX; v++) {
		if (!(set & (1ULL << v)))
			continue;
		fprintf(f, "%s%u", first ? "" : ", ", v);
		first = false;
	}
	fputc(']', f);
}

static void json_str_or_null(FILE *f, const char *s)
{
	if (s && *s)
		lu_json_str(f, s);
	else
		fputs("null", f);
}

/* The write switch as sysfs shows it: "auto", "off" or the version. */
static const char *switch_str(char *buf, size_t len, const struct lu_format *f)
{
	if (f->write_switch == LU_WRITE_AUTO)
		return "auto";
	if (f->write_switch == LU_WRITE_OFF)
		return "off";
	snprintf(buf, len, "%d", f->write_switch);
	return buf;
}

/* What FROM would write of @f: its write set, narrowed by the switch. */
static const char *writes_str(char *buf, size_t len, const struct lu_format *f)
{
	if (f->write_switch == LU_WRITE_OFF)
		return "off";
	return lu_versions(buf, len, f->write_switch > 0 ? 1ULL << f->write_switch : f->write,
			   "none");
}

static const char *flags_str(char *buf, size_t len, unsigned int flags)
{
	unsigned int other = flags & ~(LU_FORMAT_OPTIONAL | LU_FORMAT_FILE);

	snprintf(buf, len, "%s%s%s%s", flags & LU_FORMAT_OPTIONAL ? "optional" : "",
		 (flags & LU_FORMAT_OPTIONAL) && (flags & LU_FORMAT_FILE) ? "," : "",
		 flags & LU_FORMAT_FILE ? "file" : "", flags ? "" : "-");
	if (other)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s0x%x",
			 flags & ~other ? "," : "", other);
	return buf;
}

/* ---------------------------------------------------------------------- */
/* --catalog                                                               */
/* ---------------------------------------------------------------------- */

static void catalog_json(const char *img, const struct lu_catalog *c)
{
	char buf[16];

	printf("{\"catalog\": \"%s\", \"image\": ", LU_CATALOG_ID);
	lu_json_str(stdout, img);
	printf(", \"kind\": \"%s\", \"compression\": ", c->kind == LU_KIND_RUNNING ? "running" :
	       c->kind == LU_KIND_ELF ? "vmlinux" : c->kind == LU_KIND_BZIMAGE ? "bzImage" :
	       "notes");
	json_str_or_null(stdout, c->compression);
	printf(", \"release\": ");
	json_str_or_null(stdout, c->release);
	printf(", \"formats\": [");
	for (size_t i = 0; i < c->nr; i++) {
		const struct lu_format *f = &c->formats[i];

		printf("%s\n  {\"name\": ", i ? "," : "");
		lu_json_str(stdout, f->name);
		printf(", \"read\": ");
		json_versions(stdout, f->read);
		printf(", \"write\": ");
		json_versions(stdout, f->write);
		printf(", \"default\": %u, \"optional\": %s, \"file\": %s, \"flags\": %u",
		       f->default_version, f->flags & LU_FORMAT_OPTIONAL ? "true" : "false",
		       f->flags & LU_FORMAT_FILE ? "true" : "false", f->flags);
		if (c->kind == LU_KIND_RUNNING)
			printf(", \"switch\": \"%s\", \"live\": %s", switch_str(buf, sizeof(buf), f),
			       f->live < 0 ? "null" : f->live ? "true" : "false");
		printf("}");
	}
	printf("%s]}\n", c->nr ? "\n" : "");
}

static int catalog_text(const char *img, const struct lu_catalog *c)
{
	char r[COMPAT_CELL], w[COMPAT_CELL], d[16], fl[32], sw[16];
	bool running = c->kind == LU_KIND_RUNNING;
	struct compat_table t;

	print_source("IMAGE", img, c);
	if (!c->nr)
		return 0;
	if (table_init(&t, running ? 7 : 5, c->nr + 1))
		return -ENOMEM;
	table_row(&t, (const char *const[]){ "FORMAT", "READS", "WRITES", "DEFAULT", "FLAGS",
					     "SWITCH", "LIVE" });
	for (size_t i = 0; i < c->nr; i++) {
		const struct lu_format *f = &c->formats[i];

		snprintf(d, sizeof(d), "%u", f->default_version);
		table_row(&t, (const char *const[]){
			f->name, lu_versions(r, sizeof(r), f->read, "-"),
			lu_versions(w, sizeof(w), f->write, "-"), d,
			flags_str(fl, sizeof(fl), f->flags), switch_str(sw, sizeof(sw), f),
			f->live < 0 ? "-" : f->live ? "yes" : "no" });
	}
	table_print(stdout, &t);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* A pair                                                                  */
/* ---------------------------------------------------------------------- */

static void row_decide(struct compat_row *r)
{
	r->used = lu_catalog_pick(r->from, r->to);
	if (!r->from)
		return;	/* FROM has nothing of it to write */
	/* An image says nothing of what is live now: assume the worst. */
	r->live = r->from->live != 0;
	r->optional = r->from->flags & LU_FORMAT_OPTIONAL;
	r->conflict = !r->used && r->live && !r->optional;
}

/* The union of both catalogs' formats, by name; returns how many. */
static size_t pair_rows(const struct lu_catalog *from, const struct lu_catalog *to,
			struct compat_row *rows)
{
	size_t i = 0, j = 0, n = 0;

	while (i < from->nr || j < to->nr) {
		struct compat_row *r = &rows[n++];
		int cmp = i == from->nr ? 1 : j == to->nr ? -1 :
			  strcmp(from->formats[i].name, to->formats[j].name);

		memset(r, 0, sizeof(*r));
		if (cmp <= 0)
			r->from = &from->formats[i++];
		if (cmp >= 0)
			r->to = &to->formats[j++];
		r->name = r->from ? r->from->name : r->to->name;
		row_decide(r);
	}
	return n;
}

static const char *used_str(char *buf, size_t len, const struct compat_row *r)
{
	if (r->used)
		snprintf(buf, len, "%u", r->used);
	else if (!r->from)
		snprintf(buf, len, "-");
	else if (r->optional)
		snprintf(buf, len, "- (optional, not written)");
	else if (!r->live)
		snprintf(buf, len, "- (no data, not written)");
	else if (r->from->write_switch == LU_WRITE_OFF)
		snprintf(buf, len, "- (write off)");
	else
		snprintf(buf, len, "-");
	return buf;
}

static int pair_text(const char *from_img, const struct lu_catalog *from, const char *to_img,
		     const struct lu_catalog *to, const struct compat_row *rows, size_t n)
{
	char fr[COMPAT_CELL], fw[COMPAT_CELL], tr[COMPAT_CELL], tw[COMPAT_CELL], u[COMPAT_CELL];
	struct compat_table t;
	bool any = false;

	print_source("FROM", from_img, from);
	print_source("TO", to_img, to);
	if (n) {
		if (table_init(&t, 6, n + 1))
			return -ENOMEM;
		table_row(&t, (const char *const[]){ "FORMAT", "FROM-READS", "FROM-WRITES",
						     "TO-READS", "TO-WRITES", "USED" });
		for (size_t i = 0; i < n; i++) {
			const struct compat_row *r = &rows[i];

			table_row(&t, (const char *const[]){
				r->name, lu_versions(fr, sizeof(fr), r->from ? r->from->read : 0, "-"),
				lu_versions(fw, sizeof(fw), r->from ? r->from->write : 0, "-"),
				lu_versions(tr, sizeof(tr), r->to ? r->to->read : 0, "-"),
				lu_versions(tw, sizeof(tw), r->to ? r->to->write : 0, "-"),
				used_str(u, sizeof(u), r) });
		}
		table_print(stdout, &t);
	}
	for (size_t i = 0; i < n; i++) {
		const struct compat_row *r = &rows[i];

		if (!r->conflict)
			continue;
		printf("%s %s (FROM writes %s, TO reads %s)", any ? "," : "incompatible:", r->name,
		       writes_str(fw, sizeof(fw), r->from),
		       lu_versions(tr, sizeof(tr), r->to ? r->to->read : 0, "none"));
		any = true;
	}
	printf("%s\n", any ? "" : "compatible");
	return 0;
}

static void pair_json(const char *from_img, const struct lu_catalog *from, const char *to_img,
		      const struct lu_catalog *to, const struct compat_row *rows, size_t n,
		      bool compatible)
{
	char buf[16];

	printf("{\"catalog\": \"%s\", \"from\": ", LU_CATALOG_ID);
	lu_json_str(stdout, from_img);
	printf(", \"from_release\": ");
	json_str_or_null(stdout, from->release);
	printf(", \"to\": ");
	lu_json_str(stdout, to_img);
	printf(", \"to_release\": ");
	json_str_or_null(stdout, to->release);
	printf(", \"compatible\": %s, \"formats\": [", compatible ? "true" : "false");
	for (size_t i = 0; i < n; i++) {
		const struct compat_row *r = &rows[i];

		printf("%s\n  {\"name\": ", i ? "," : "");
		lu_json_str(stdout, r->name);
		printf(", \"from_read\": ");
		json_versions(stdout, r->from ? r->from->read : 0);
		printf(", \"from_write\": ");
		json_versions(stdout, r->from ? r->from->write : 0);
		printf(", \"to_read\": ");
		json_versions(stdout, r->to ? r->to->read : 0);
		printf(", \"to_write\": ");
		json_versions(stdout, r->to ? r->to->write : 0);
		if (r->used)
			printf(", \"used\": %u", r->used);
		else
			printf(", \"used\": null");
		printf(", \"conflict\": %s, \"optional\": %s, ", r->conflict ? "true" : "false",
		       r->optional ? "true" : "false");
		if (r->from)
			printf("\"live\": %s, \"switch\": \"%s\"}", r->live ? "true" : "false",
			       switch_str(buf, sizeof(buf), r->from));
		else
			printf("\"live\": null, \"switch\": null}");
	}
	printf("%s]}\n", n ? "\n" : "");
}

/* ---------------------------------------------------------------------- */
/* --apply                                                                 */
/* ---------------------------------------------------------------------- */

/*
 * "NAME V,V,...\n" for every format IMAGE reads. An image without a catalog
 * reads nothing: then every format of the running kernel is named without
 * versions, since an empty text would tell it that the next kernel is
 * unknown instead.
 */
static int apply_text(const struct lu_catalog *img, const struct lu_catalog *running,
		      char *text, size_t size)
{
	const struct lu_catalog *c = img->nr ? img : running;
	char v[COMPAT_CELL];
	size_t len = 0;

	for (size_t i = 0; i < c->nr; i++) {
		int n = snprintf(text + len, size - len, "%s%s%s\n", c->formats[i].name,
				 img->nr ? " " : "",
				 img->nr ? lu_versions(v, sizeof(v), c->formats[i].read, "") : "");

		if (n < 0 || (size_t)n >= size - len)
			return -E2BIG;
		len += n;
	}
	return len;
}

static int compat_apply(const struct compat_args *a, struct lu_catalog *img,
			struct lu_catalog *running)
{
	size_t size = LU_CATALOG_MAX * (LU_FORMAT_NAME_LEN + 3 * LU_VERSION_MAX + 2);
	char path[4096], why[COMPAT_WHY], *text;
	int fd, len, err = 0;
	ssize_t n;

	if (!img->nr) {
		err = lu_catalog_load(LU_CATALOG_RUNNING, a->sysfs, running, why, sizeof(why));
		if (err) {
			fprintf(stderr, "lu-trace compat: %s: %s\n", LU_CATALOG_RUNNING, why);
			return err;
		}
	}
	text = malloc(size);
	if (!text) {
		fprintf(stderr, "lu-trace compat: %s\n", strerror(ENOMEM));
		return 1;
	}
	len = apply_text(img, running, text, size);
	snprintf(path, sizeof(path), "%s/%s", a->sysfs, COMPAT_NEXT_FORMATS);
	if (len < 0) {
		errno = -len;
		goto err;
	}
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		goto err;
	/* One write: the kernel takes the whole text or none of it. */
	n = write(fd, text, len);
	if (n < 0) {
		close(fd);
		goto err;
	}
	if (n != len) {
		close(fd);
		fprintf(stderr, "lu-trace compat: %s: short write (%zd of %d bytes)\n", path, n, len);
		free(text);
		return 1;
	}
	if (close(fd))
		goto err;
	free(text);
	return 0;
err:
	err = errno;
	if (err == EACCES || err == EPERM)
		fprintf(stderr, "lu-trace compat: %s: %s: must be run as root\n", path, strerror(err));
	else if (err == ENOENT)
		fprintf(stderr, "lu-trace compat: %s: %s: this kernel does not negotiate handover "
			"formats\n", path, strerror(err));
	else if (err == EBUSY)
		fprintf(stderr, "lu-trace compat: %s: %s: a kexec is being prepared\n", path,
			strerror(err));
	else
		fprintf(stderr, "lu-trace compat: %s: %s\n", path, strerror(err));
	free(text);
	return 1;
}

/* ---------------------------------------------------------------------- */
/* Command line                                                            */
/* ---------------------------------------------------------------------- */

static const char compat_doc[] =
"Can this kernel hand over to that one? Compares the handover format\n"
"catalogs of two kernels: the versions FROM reads and writes, those TO reads\n"
"and writes, and the version each format would be handed over at. A format\n"
"FROM has data of, that is not optional and of which TO reads no version\n"
"would refuse the kexec: a conflict. FROM and TO are \"running\" (this kernel:\n"
"/sys/kernel/notes and /sys/kernel/liveupdate/formats/) or a bzImage, a\n"
"vmlinux or a raw notes file; FROM is running by default. No BPF.\n"
"\n"
"USAGE: lu-trace compat [-j] [FROM] TO\n"
"       lu-trace compat [-j] -c [IMAGE]\n"
"       lu-trace compat -a IMAGE\n"
"\n"
"Exit status: 0 compatible, 1 incompatible (or --apply failed), 64 usage\n"
"error, 65 damaged image, 66 image that cannot be read.\n"
"\n"
"EXAMPLES:\n"
"    lu-trace compat /boot/vmlinuz-6.12.9       # this kernel to that one\n"
"    lu-trace compat -j old/bzImage new/bzImage # any two, as JSON\n"
"    lu-trace compat -c new/bzImage             # the catalog of one image\n"
"    lu-trace compat -a new/bzImage             # after kexec -s -l new/bzImage\n";

static const struct argp_option compat_opts[] = {
	{ "json", 'j', NULL, 0, "Print JSON", 0 },
	{ "catalog", 'c', NULL, 0, "Print the catalog of IMAGE (default running)", 0 },
	{ "apply", 'a', NULL, 0, "Tell the running kernel what IMAGE reads "
	  "(/sys/kernel/liveupdate/next_formats)", 0 },
	{ "sysfs", 's', "DIR", 0, "sysfs of running and --apply (default " LU_CATALOG_SYSFS ")",
	  0 },
	{},
};

static error_t compat_parse(int key, char *arg, struct argp_state *state)
{
	struct compat_args *a = state->input;

	switch (key) {
	case 'j':
		a->json = true;
		break;
	case 'c':
		a->catalog = true;
		break;
	case 'a':
		a->apply = true;
		break;
	case 's':
		if (!*arg)
			argp_error(state, "invalid sysfs directory ''");
		a->sysfs = arg;
		break;
	case ARGP_KEY_ARG:
		if (!*arg)
			argp_error(state, "invalid image ''");
		if (a->nr == 2)
			argp_error(state, "unexpected argument '%s'", arg);
		a->img[a->nr++] = arg;
		break;
	case ARGP_KEY_END:
		if (a->catalog && a->apply)
			argp_error(state, "--catalog and --apply exclude each other");
		if (a->apply && a->json)
			argp_error(state, "--apply prints nothing, --json is not for it");
		if (a->catalog && a->nr > 1)
			argp_error(state, "--catalog takes one IMAGE");
		if (a->apply && a->nr != 1)
			argp_error(state, "--apply takes one IMAGE");
		if (!a->catalog && !a->apply && !a->nr)
			argp_error(state, "no image given (lu-trace compat [FROM] TO)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* Load @img, or say why not: 0, LU_CATALOG_DAMAGED or LU_CATALOG_NOINPUT. */
static int compat_load(const char *img, const char *sysfs, struct lu_catalog *c)
{
	char why[COMPAT_WHY];
	int err;

	err = lu_catalog_load(img, sysfs, c, why, sizeof(why));
	if (err)
		fprintf(stderr, "lu-trace compat: %s: %s\n", img, why);
	return err;
}

int cmd_compat(int argc, char **argv)
{
	static const struct argp argp = {
		.options = compat_opts, .parser = compat_parse, .args_doc = "[FROM] TO",
		.doc = compat_doc,
	};
	struct compat_args a = { .sysfs = LU_CATALOG_SYSFS };
	struct lu_catalog *cat;
	struct compat_row *rows = NULL;
	const char *from, *to;
	int ret = 1;
	size_t n;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return 1;
	cat = calloc(2, sizeof(*cat));
	if (!cat) {
		fprintf(stderr, "lu-trace compat: %s\n", strerror(ENOMEM));
		return 1;
	}
	if (a.catalog || a.apply) {
		from = a.nr ? a.img[0] : LU_CATALOG_RUNNING;
		ret = compat_load(from, a.sysfs, &cat[0]);
		if (ret)
			goto out;
		if (a.apply)
			ret = compat_apply(&a, &cat[0], &cat[1]);
		else if (a.json)
			catalog_json(from, &cat[0]);
		else
			ret = catalog_text(from, &cat[0]) ? 1 : 0;
		goto out;
	}
	from = a.nr == 2 ? a.img[0] : LU_CATALOG_RUNNING;
	to = a.img[a.nr - 1];
	ret = compat_load(from, a.sysfs, &cat[0]);
	if (!ret)
		ret = compat_load(to, a.sysfs, &cat[1]);
	if (ret)
		goto out;
	rows = calloc(cat[0].nr + cat[1].nr + 1, sizeof(*rows));
	if (!rows) {
		fprintf(stderr, "lu-trace compat: %s\n", strerror(ENOMEM));
		ret = 1;
		goto out;
	}
	n = pair_rows(&cat[0], &cat[1], rows);
	ret = 0;
	for (size_t i = 0; i < n; i++)
		if (rows[i].conflict)
			ret = COMPAT_STATUS_INCOMPAT;
	if (a.json) {
		pair_json(from, &cat[0], to, &cat[1], rows, n, !ret);
	} else if (pair_text(from, &cat[0], to, &cat[1], rows, n)) {
		fprintf(stderr, "lu-trace compat: %s\n", strerror(ENOMEM));
		ret = 1;
	}
out:
	fflush(stdout);
	free(rows);
	free(cat);
	return ret;
}
