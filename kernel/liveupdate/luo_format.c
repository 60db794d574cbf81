// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: handover formats and their versions
 *
 * Every format this kernel hands over or takes over is declared once, with
 * LIVEUPDATE_FORMAT() in the file that owns it: its name, the versions this
 * kernel reads and writes, the version it writes by default. The
 * declarations are ELF notes (layout in ``include/linux/kho/abi/format.h``):
 * the catalog of this build, which the build also writes next to the
 * bzImage and tools read from any image without booting it.
 *
 * Readers ask liveupdate_format_parse() which version a compatible string
 * names, if it is one this kernel reads, and pick the code for it; writers
 * ask liveupdate_format_out() which version to write. The version written
 * is chosen here, per format, from
 *
 * - the switch in /sys/kernel/liveupdate/formats/<name>/write: "auto" (the
 *   default), a version, or "off";
 * - what the next kernel reads, when it is known: userspace writes it to
 *   /sys/kernel/liveupdate/next_formats (``lu-trace compat -a IMAGE``
 *   reads it from the image it loaded). Then "auto" is the newest version
 *   both kernels know; unknown, it is the default version.
 *
 * At reboot(KEXEC) LUO checks, before anything is frozen, that every format
 * with data to hand over has a version to write (luo_formats_check()); if
 * one has none the kexec is refused with -EPROTONOSUPPORT and nothing
 * changes. A format without preserved memory (LIVEUPDATE_FORMAT_OPTIONAL:
 * the blackout record) never refuses a kexec.
 *
 * The table of formats is found by walking the notes, which needs no
 * memory: readers in early boot use it before any allocator exists.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/bitops.h>
#include <linux/ctype.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/liveupdate_format.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "luo_internal.h"

#include <trace/events/liveupdate.h>

/* The linker's bounds of vmlinux's .notes (include/asm-generic/vmlinux.lds.h). */
extern const char __start_notes[], __stop_notes[];

/* More formats than this is a build error of the table, reported once. */
#define LU_FORMATS_MAX	32

#define LU_WRITE_AUTO	(-1)
#define LU_WRITE_OFF	0

/**
 * struct lu_format - what this kernel knows of a format at run time
 * @fmt: its catalog entry
 * @write: LU_WRITE_AUTO, LU_WRITE_OFF or the version forced
 * @next_read: the versions the next kernel reads (when lu_next_known)
 * @in: the version the previous kernel wrote, 0 if none came in
 */
struct lu_format {
	const struct liveupdate_format *fmt;
	int write;
	u64 next_read;
	unsigned int in;
};

static struct lu_format lu_formats[LU_FORMATS_MAX];
static unsigned int lu_nr_formats;
static bool lu_scanned;
static bool lu_next_known;
/* The switches and what the next kernel reads; taken after luo_state.lock. */
static DEFINE_MUTEX(lu_formats_lock);

/*
 * Collect the "Liveupdate" notes. Runs once, single-threaded: from the
 * first reader in early boot or from the early initcall below.
 */
static void lu_formats_scan(void)
{
	const char *p = __start_notes;

	if (lu_scanned)
		return;
	lu_scanned = true;
	while (p + sizeof(struct elf32_note) <= __stop_notes) {
		const struct elf32_note *n = (const void *)p;
		size_t size = sizeof(*n) + ALIGN(n->n_namesz, 4) + ALIGN(n->n_descsz, 4);

		if (n->n_namesz == sizeof(LIVEUPDATE_NOTE_NAME) &&
		    n->n_type == LIVEUPDATE_NOTE_FORMAT &&
		    !memcmp(p + sizeof(*n), LIVEUPDATE_NOTE_NAME, sizeof(LIVEUPDATE_NOTE_NAME))) {
			const struct liveupdate_format_note *d = (const void *)(p + sizeof(*n) +
						LIVEUPDATE_NOTE_NAME_SIZE);

			if (n->n_descsz != sizeof(*d) || !memchr(d->name, 0, sizeof(d->name)) ||
			    (d->read & 1) || (d->write & ~d->read) ||
			    d->default_version > LIVEUPDATE_VERSION_MAX ||
			    !(d->write & BIT_ULL(d->default_version))) {
				pr_err("catalog entry %.*s is malformed; that format is unknown here\n",
				       (int)sizeof(d->name), d->name);
				p += size;
				continue;
			}
			if (lu_nr_formats == LU_FORMATS_MAX) {
				pr_err("more than %d handover formats; the rest are unknown\n",
				       LU_FORMATS_MAX);
				return;
			}
			lu_formats[lu_nr_formats++] = (struct lu_format){
				.fmt = (const void *)p,
				.write = LU_WRITE_AUTO,
			};
		}
		p += size;
	}
}

static int __init lu_formats_init(void)
{
	lu_formats_scan();
	return 0;
}
early_initcall(lu_formats_init);

static struct lu_format *lu_format_of(const struct liveupdate_format *fmt)
{
	unsigned int i;

	lu_formats_scan();
	for (i = 0; i < lu_nr_formats; i++)
		if (lu_formats[i].fmt == fmt)
			return &lu_formats[i];
	return NULL;
}

static struct lu_format *lu_format_named(const char *name, size_t len)
{
	unsigned int i;

	lu_formats_scan();
	if (!len || len >= LIVEUPDATE_FORMAT_NAME_LEN)
		return NULL;
	for (i = 0; i < lu_nr_formats; i++)
		if (!strncmp(lu_formats[i].fmt->desc.name, name, len) &&
		    !lu_formats[i].fmt->desc.name[len])
			return &lu_formats[i];
	return NULL;
}

/*
 * Split "NAME-vV" (V: 1 to 63, no leading zero): return the length of NAME
 * and set @version to V; 0 and 0 if @compatible is not of that form.
 */
static size_t lu_split(const char *compatible, size_t max, unsigned int *version)
{
	size_t len = strnlen(compatible, max), i;
	unsigned int v = 0;

	*version = 0;
	if (len == max)
		return 0;
	for (i = len; i > 0 && isdigit(compatible[i - 1]); i--)
		;
	/* i: the first digit; "-v" before it, a name before that. */
	if (i == len || len - i > 2 || i < 3 || compatible[i - 1] != 'v' ||
	    compatible[i - 2] != '-' || compatible[i] == '0')
		return 0;
	for (; i < len; i++)
		v = v * 10 + compatible[i] - '0';
	if (v > LIVEUPDATE_VERSION_MAX)
		return 0;
	*version = v;
	return len - (v >= 10 ? 2 : 1) - 2;
}

/* The version this kernel writes @f at, now: 0 for none. */
static unsigned int lu_pick(const struct lu_format *f)
{
	u64 set = f->fmt->desc.write;

	if (f->write == LU_WRITE_OFF)
		return 0;
	if (f->write > 0)
		set &= BIT_ULL(f->write);
	if (lu_next_known)
		set &= f->next_read;
	else if (f->write == LU_WRITE_AUTO)
		return f->fmt->desc.default_version;
	return set ? fls64(set) - 1 : 0;
}

static int lu_print_set(char *buf, size_t len, u64 set)
{
	int n = 0, v;

	if (len)
		buf[0] = '\0';
	for (v = 1; v <= LIVEUPDATE_VERSION_MAX; v++)
		if (set & BIT_ULL(v))
			n += scnprintf(buf + n, len - n, "%s%d", n ? " " : "", v);
	if (!n)
		n = scnprintf(buf, len, "none");
	return n;
}

/**
 * liveupdate_format_parse - which version of a format a compatible string names
 * @fmt: the format the caller reads
 * @compatible: the string found in the incoming data ("memfd-v4")
 *
 * Records the version as the one that came in (shown in sysfs).
 *
 * Context: any; in early boot before the allocators too.
 * Return: the version, if it is one of @fmt's and this kernel reads it;
 * 0 otherwise.
 */
unsigned int liveupdate_format_parse(const struct liveupdate_format *fmt, const char *compatible)
{
	struct lu_format *f = lu_format_of(fmt);
	unsigned int v;
	size_t len = lu_split(compatible, LIVEUPDATE_HNDL_COMPAT_LENGTH, &v);

	if (!f || !v || len != strlen(fmt->desc.name) ||
	    strncmp(compatible, fmt->desc.name, len) || !(fmt->desc.read & BIT_ULL(v)))
		return 0;
	WRITE_ONCE(f->in, v);
	return v;
}
EXPORT_SYMBOL_GPL(liveupdate_format_parse);

/**
 * liveupdate_format_refusal - say why a compatible string is not read
 * @fmt: the format the caller expected
 * @compatible: the string found in the incoming data
 * @buf: where to write the reason
 * @len: its size
 *
 * For a log line, after liveupdate_format_parse() returned 0.
 *
 * Return: @buf: "memfd-v9 is not a version this kernel reads (memfd: 3 4)".
 */
const char *liveupdate_format_refusal(const struct liveupdate_format *fmt,
				      const char *compatible, char *buf, size_t len)
{
	int n;

	n = scnprintf(buf, len, "%.*s is not a version this kernel reads (%s: ",
		      LIVEUPDATE_HNDL_COMPAT_LENGTH, compatible, fmt->desc.name);
	n += lu_print_set(buf + n, len - n, fmt->desc.read);
	scnprintf(buf + n, len - n, ")");
	return buf;
}
EXPORT_SYMBOL_GPL(liveupdate_format_refusal);

/**
 * liveupdate_format_out - the version to write a format at
 * @fmt: the format
 *
 * Context: any; the answer changes only through sysfs, which a kexec in
 * progress excludes (luo_formats_check() ran under the same lock).
 * Return: the version, or 0 if this format must not be written.
 */
unsigned int liveupdate_format_out(const struct liveupdate_format *fmt)
{
	struct lu_format *f = lu_format_of(fmt);

	return f ? lu_pick(f) : fmt->desc.default_version;
}
EXPORT_SYMBOL_GPL(liveupdate_format_out);

/**
 * liveupdate_format_compat - the compatible string of a version of a format
 * @fmt: the format
 * @version: the version
 * @buf: where to write it
 * @len: its size
 *
 * Return: 0, or -EINVAL if @version is not one this kernel writes.
 */
int liveupdate_format_compat(const struct liveupdate_format *fmt, unsigned int version,
			     char *buf, size_t len)
{
	if (version > LIVEUPDATE_VERSION_MAX || !(fmt->desc.write & BIT_ULL(version)))
		return -EINVAL;
	scnprintf(buf, len, "%s-v%u", fmt->desc.name, version);
	return 0;
}
EXPORT_SYMBOL_GPL(liveupdate_format_compat);

/**
 * liveupdate_format_find - the format a compatible string belongs to
 * @compatible: the string ("memfd-v4")
 * @version: set to the version it names if this kernel reads it, else 0
 *
 * Return: the format of that name, or NULL if this kernel has none.
 */
const struct liveupdate_format *liveupdate_format_find(const char *compatible,
						       unsigned int *version)
{
	size_t len = lu_split(compatible, LIVEUPDATE_HNDL_COMPAT_LENGTH, version);
	struct lu_format *f = lu_format_named(compatible, len);

	if (!f)
		return NULL;
	*version = liveupdate_format_parse(f->fmt, compatible);
	return f->fmt;
}

/**
 * luo_formats_check - can every format with data be written for the next kernel
 * @live: does a format have data to hand over now
 *
 * Called by reboot(KEXEC) before anything is frozen; logs the version of
 * every format (and a trace event each).
 *
 * Context: under luo_state.lock.
 * Return: 0, or -EPROTONOSUPPORT if a format with data has no version the
 * next kernel reads (or its writing is switched off); each is logged.
 */
int luo_formats_check(bool (*live)(const struct liveupdate_format *fmt))
{
	char reads[3 * LIVEUPDATE_VERSION_MAX], writes[3 * LIVEUPDATE_VERSION_MAX];
	unsigned int i, v;
	int err = 0;

	lockdep_assert_held(&luo_state.lock);
	guard(mutex)(&lu_formats_lock);
	lu_formats_scan();
	for (i = 0; i < lu_nr_formats; i++) {
		struct lu_format *f = &lu_formats[i];
		const struct liveupdate_format_note *d = &f->fmt->desc;
		bool has_data = live(f->fmt);

		v = lu_pick(f);
		trace_luo_format(d->name, v, has_data);
		if (v || !has_data || (d->flags & LIVEUPDATE_FORMAT_OPTIONAL))
			continue;
		lu_print_set(writes, sizeof(writes), f->write == LU_WRITE_OFF ? 0 :
			     f->write > 0 ? BIT_ULL(f->write) : d->write);
		lu_print_set(reads, sizeof(reads), f->next_read);
		pr_err("format %s: this kernel writes %s, the next one reads %s: no version in common; kexec refused\n",
		       d->name, writes, lu_next_known ? reads : "(unknown)");
		err = -EPROTONOSUPPORT;
	}
	return err;
}

/* ---------------------------------------------------------------------- */
/* sysfs: /sys/kernel/liveupdate/formats/<name>/ and next_formats          */
/* ---------------------------------------------------------------------- */

static struct lu_format *lu_format_kobj(struct kobject *kobj)
{
	const char *name = kobject_name(kobj);

	return lu_format_named(name, strlen(name));
}

static ssize_t read_versions_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	int n = lu_print_set(buf, PAGE_SIZE, lu_format_kobj(kobj)->fmt->desc.read);

	return n + sysfs_emit_at(buf, n, "\n");
}

static ssize_t write_versions_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	int n = lu_print_set(buf, PAGE_SIZE, lu_format_kobj(kobj)->fmt->desc.write);

	return n + sysfs_emit_at(buf, n, "\n");
}

static ssize_t default_version_show(struct kobject *kobj, struct kobj_attribute *attr,
				    char *buf)
{
	return sysfs_emit(buf, "%u\n", lu_format_kobj(kobj)->fmt->desc.default_version);
}

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	unsigned int v;

	scoped_guard(mutex, &lu_formats_lock)
		v = lu_pick(lu_format_kobj(kobj));
	return v ? sysfs_emit(buf, "%u\n", v) : sysfs_emit(buf, "none\n");
}

static ssize_t incoming_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	unsigned int v = READ_ONCE(lu_format_kobj(kobj)->in);

	return v ? sysfs_emit(buf, "%u\n", v) : sysfs_emit(buf, "none\n");
}

static ssize_t live_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	bool live;

	scoped_guard(mutex, &luo_state.lock)
		live = luo_format_live(lu_format_kobj(kobj)->fmt);
	return sysfs_emit(buf, "%d\n", live);
}

static ssize_t write_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	int w;

	scoped_guard(mutex, &lu_formats_lock)
		w = lu_format_kobj(kobj)->write;
	if (w == LU_WRITE_AUTO)
		return sysfs_emit(buf, "auto\n");
	return w == LU_WRITE_OFF ? sysfs_emit(buf, "off\n") : sysfs_emit(buf, "%d\n", w);
}

static ssize_t write_store(struct kobject *kobj, struct kobj_attribute *attr, const char *buf,
			   size_t len)
{
	struct lu_format *f = lu_format_kobj(kobj);
	unsigned int v;
	int w;

	if (sysfs_streq(buf, "auto")) {
		w = LU_WRITE_AUTO;
	} else if (sysfs_streq(buf, "off")) {
		w = LU_WRITE_OFF;
	} else {
		if (kstrtouint(buf, 10, &v))
			return -EINVAL;
		/* Only a version this kernel can write. */
		if (!v || v > LIVEUPDATE_VERSION_MAX || !(f->fmt->desc.write & BIT_ULL(v)))
			return -ERANGE;
		w = v;
	}
	/* Not while a kexec is being prepared. */
	guard(mutex)(&luo_state.lock);
	if (luo_state.frozen)
		return -EBUSY;
	guard(mutex)(&lu_formats_lock);
	f->write = w;
	return len;
}

static struct kobj_attribute lu_format_attrs[] = {
	__ATTR_RO(read_versions),
	__ATTR_RO(write_versions),
	__ATTR_RO(default_version),
	__ATTR_RO(version),
	__ATTR_RO(incoming),
	__ATTR_RO(live),
	__ATTR(write, 0644, write_show, write_store),
};

static struct attribute *lu_format_attr_list[ARRAY_SIZE(lu_format_attrs) + 1];

static const struct attribute_group lu_format_group = {
	.attrs = lu_format_attr_list,
};

static ssize_t next_formats_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	unsigned int i;
	int n = 0;

	guard(mutex)(&lu_formats_lock);
	if (!lu_next_known)
		return 0;
	for (i = 0; i < lu_nr_formats; i++) {
		n += sysfs_emit_at(buf, n, "%s ", lu_formats[i].fmt->desc.name);
		n += lu_print_set(buf + n, PAGE_SIZE - n, lu_formats[i].next_read);
		n += sysfs_emit_at(buf, n, "\n");
	}
	return n;
}

/*
 * Parse next_formats text (modified in place): "NAME V,V,...\n" lines, one
 * per format the next kernel reads, versions separated by commas, spaces
 * or tabs; @reads gets, per format of this kernel, the versions named for
 * it (a name twice: the union), and @any whether any line was not blank.
 * Names this kernel does not have are ignored. A version that is not a
 * decimal number from 1 to LIVEUPDATE_VERSION_MAX is -EINVAL.
 */
static int lu_next_formats_parse(char *text, u64 reads[LU_FORMATS_MAX], bool *any)
{
	char *line, *p = text, *word;
	unsigned int v;

	*any = false;
	while ((line = strsep(&p, "\n"))) {
		struct lu_format *f;
		char *name;
		u64 set = 0;

		line = strim(line);
		if (!*line)
			continue;
		*any = true;
		name = strsep(&line, " \t");
		while (line && (word = strsep(&line, ", \t"))) {
			if (!*word)
				continue;
			if (kstrtouint(word, 10, &v) || !v || v > LIVEUPDATE_VERSION_MAX)
				return -EINVAL;
			set |= BIT_ULL(v);
		}
		f = lu_format_named(name, strlen(name));
		if (f)
			reads[f - lu_formats] |= set;
	}
	return 0;
}

/*
 * What the next kernel reads (lu_next_formats_parse()); a format this
 * kernel has and the text does not name is one it reads nothing of. An
 * empty text forgets the next kernel.
 */
static ssize_t next_formats_store(struct kobject *kobj, struct kobj_attribute *attr,
				  const char *buf, size_t len)
{
	u64 reads[LU_FORMATS_MAX] = {};
	bool any;
	unsigned int i;
	char *text;
	int err;

	text = kmemdup_nul(buf, len, GFP_KERNEL);
	if (!text)
		return -ENOMEM;
	err = lu_next_formats_parse(text, reads, &any);
	kfree(text);
	if (err)
		return err;
	guard(mutex)(&luo_state.lock);
	if (luo_state.frozen)
		return -EBUSY;
	guard(mutex)(&lu_formats_lock);
	lu_next_known = any;
	for (i = 0; i < lu_nr_formats; i++)
		lu_formats[i].next_read = reads[i];
	return len;
}

static struct kobj_attribute next_formats_attr = __ATTR(next_formats, 0644, next_formats_show,
							next_formats_store);

/**
 * luo_formats_sysfs_init - create formats/ and next_formats
 * @parent: /sys/kernel/liveupdate
 *
 * Return: 0 or an errno (what was created stays).
 */
int __init luo_formats_sysfs_init(struct kobject *parent)
{
	struct kobject *dir, *kobj;
	unsigned int i;
	int err;

	for (i = 0; i < ARRAY_SIZE(lu_format_attrs); i++)
		lu_format_attr_list[i] = &lu_format_attrs[i].attr;
	err = sysfs_create_file(parent, &next_formats_attr.attr);
	if (err)
		return err;
	dir = kobject_create_and_add("formats", parent);
	if (!dir)
		return -ENOMEM;
	lu_formats_scan();
	for (i = 0; i < lu_nr_formats; i++) {
		kobj = kobject_create_and_add(lu_formats[i].fmt->desc.name, dir);
		if (!kobj)
			return -ENOMEM;
		err = sysfs_create_group(kobj, &lu_format_group);
		if (err)
			return err;
	}
	return 0;
}

#ifdef CONFIG_LIVEUPDATE_KUNIT_TEST
#include "luo_format_test.c"
#endif
