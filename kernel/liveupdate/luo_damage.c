// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: Damaging the handover on purpose (tests only)
 *
 * ``LIVEUPDATE_TEST`` only. A kernel that reads a handover must survive
 * anything in it; this file lets tests put anything in it. The serializers
 * tell it what they wrote (liveupdate_test_region() for a descriptor,
 * liveupdate_test_chain() for a kho_block set), KHO's root tree, scratch
 * array and tracker nodes are added at the jump, and right before the jump
 * (after every hash was taken, so that the damage is what the next kernel
 * sees) it applies seeded mutations.
 *
 * debugfs ``liveupdate/damage`` takes ``seed=S count=N`` and optionally
 * ``only=FORMAT`` (``kho-fdt``, ``kho-scratch``, ``kho-tracker``,
 * ``luo-state``, ``luo-sessions``, ``luo-files``, ``memfd-desc``,
 * ``memfd-records``, ``blackout``). Each of the N mutations picks a target
 * and one of: flip a bit, zero or randomize up to 16 bytes at a seeded
 * offset; and for a chain also: truncate it (a block's link cleared), point
 * a link at another block (of any chain, or at itself), copy an entry over
 * another, change a block's count. Every mutation is logged
 * (``liveupdate: test damage I/N: ...``) so that a test can match it with
 * what the next kernel rejected. The same seed with the same registered
 * state gives the same mutations.
 *
 * debugfs ``liveupdate/handover`` (read) dumps what is registered, for
 * fuzz corpora: readable while the reboot path waits after serialization
 * (``liveupdate/serialized_delay_ms``). A stream of records, each a
 * &struct luo_dump_hdr followed by @len bytes: a region's bytes, or for a
 * chain its blocks, each its physical address (u64) then the block; then
 * KHO's root tree, scratch array and tracker nodes (likewise address and
 * page).
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/kho_block.h>
#include <linux/libfdt.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "kexec_handover_internal.h"
#include "luo_internal.h"

/* Tracker nodes considered, at most (they are found at the jump). */
#define DAMAGE_MAX_NODES	64

struct damage_target {
	struct list_head list;
	const char *format;
	phys_addr_t owner;		/* what it belongs to, or 0 */
	char what[48];			/* format and owner, for the log */
	void *addr;			/* a region, or */
	size_t len;
	struct kho_block_set *set;	/* a chain */
};

static struct {
	struct mutex lock;		/* targets, settings */
	struct list_head targets;
	u64 seed;
	unsigned int count;
	char only[24];
	bool armed;
	void *nodes[DAMAGE_MAX_NODES];
	unsigned int nr_nodes;
} damage = {
	.lock = __MUTEX_INITIALIZER(damage.lock),
	.targets = LIST_HEAD_INIT(damage.targets),
};

static void damage_add(const char *format, void *addr, size_t len, struct kho_block_set *set,
		       const void *owner)
{
	struct damage_target *t;

	/* Small, tests only, and on a path that must not fail for them. */
	t = kzalloc(sizeof(*t), GFP_KERNEL | __GFP_NOFAIL);
	t->format = format;
	t->owner = owner ? __pa(owner) : 0;
	if (owner)
		snprintf(t->what, sizeof(t->what), "%s of %#llx", format, (u64)t->owner);
	else
		strscpy(t->what, format, sizeof(t->what));
	t->addr = addr;
	t->len = len;
	t->set = set;
	guard(mutex)(&damage.lock);
	list_add_tail(&t->list, &damage.targets);
}

/**
 * liveupdate_test_region - a descriptor was serialized (tests only)
 * @format: what it is ("memfd-desc", "luo-state", "blackout")
 * @addr: where
 * @len: its size
 * @owner: the descriptor of the object it belongs to, or NULL; its
 *	physical address is logged with every mutation of the region, so
 *	that a test can match it with the rejection the next kernel logs
 */
void liveupdate_test_region(const char *format, void *addr, size_t len, const void *owner)
{
	damage_add(format, addr, len, NULL, owner);
}

/**
 * liveupdate_test_chain - a kho_block set was serialized (tests only)
 * @format: what it is ("memfd-records", "luo-sessions", "luo-files")
 * @set: the set
 * @owner: as for liveupdate_test_region()
 */
void liveupdate_test_chain(const char *format, struct kho_block_set *set, const void *owner)
{
	if (set->nr_blocks)
		damage_add(format, NULL, 0, set, owner);
}

/**
 * luo_damage_reset - forget what earlier serializations registered
 *
 * Called at the start of every reboot(KEXEC): a cancelled attempt's
 * targets may be gone.
 */
void luo_damage_reset(void)
{
	struct damage_target *t, *tmp;

	guard(mutex)(&damage.lock);
	list_for_each_entry_safe(t, tmp, &damage.targets, list) {
		list_del(&t->list);
		kfree(t);
	}
}

static u64 damage_rand(void)
{
	/* xorshift64*: deterministic for a seed. */
	damage.seed ^= damage.seed >> 12;
	damage.seed ^= damage.seed << 25;
	damage.seed ^= damage.seed >> 27;
	return damage.seed * 0x2545f4914f6cdd1dULL;
}

static u64 damage_below(u64 n)
{
	return n ? damage_rand() % n : 0;
}

static int damage_tracker_node(phys_addr_t phys, int level, void *arg)
{
	if (damage.nr_nodes < DAMAGE_MAX_NODES)
		damage.nodes[damage.nr_nodes++] = phys_to_virt(phys);
	return 0;
}

/* KHO's parts, found now: nothing changes them after the seal. */
static unsigned int damage_kho_targets(struct damage_target *fixed)
{
	static const struct kho_tracker_walk_ops ops = { .node = damage_tracker_node };
	unsigned int n = 0;

	if (!kho_out.ready)
		return 0;
	fixed[n++] = (struct damage_target){ .format = "kho-fdt", .addr = kho_out.fdt,
					     .len = fdt_totalsize(kho_out.fdt) };
	fixed[n++] = (struct damage_target){ .format = "kho-scratch", .addr = kho_out.scratch,
					     .len = kho_nr_scratch * sizeof(*kho_out.scratch) };
	damage.nr_nodes = 0;
	kho_tracker_walk(&kho_out.tracker, &ops, NULL);
	if (damage.nr_nodes)
		fixed[n++] = (struct damage_target){ .format = "kho-tracker" };
	return n;
}

/*
 * Damage a few bytes of @addr. A mutation that would change nothing (bytes
 * zeroed that were zero, the same random value) becomes a bit flip, so that
 * every mutation logged is a real one.
 */
static void damage_bytes(void *addr, size_t len, unsigned int i, const char *what)
{
	size_t off = damage_below(len), n = 1 + damage_below(16);
	unsigned int kind = damage_below(3), bit = damage_below(8);
	u8 *p = addr, old[16];
	size_t k;

	n = min(n, len - off);
	memcpy(old, p + off, n);
	if (kind == 1 && !memchr_inv(old, 0, n))
		kind = 0;
	switch (kind) {
	case 0:
		p[off] ^= 1 << bit;
		pr_warn("test damage %u/%u: %s: bit %u flipped at +%#zx\n", i, damage.count, what,
			bit, off);
		break;
	case 1:
		memset(p + off, 0, n);
		pr_warn("test damage %u/%u: %s: %zu bytes zeroed at +%#zx\n", i, damage.count,
			what, n, off);
		break;
	default:
		for (k = 0; k < n; k++)
			p[off + k] = damage_rand();
		if (!memcmp(old, p + off, n))
			p[off] ^= 1 << bit;
		pr_warn("test damage %u/%u: %s: %zu bytes randomized at +%#zx\n", i, damage.count,
			what, n, off);
	}
}

/* How a mutation of @t is logged: its format, and its owner if it has one. */
static const char *damage_what(const struct damage_target *t)
{
	return t->what[0] ? t->what : t->format;
}

/* Any block of any chain, or NULL. */
static struct page *damage_any_block(void)
{
	struct damage_target *t;
	unsigned long nr = 0, k;
	struct page *page;

	list_for_each_entry(t, &damage.targets, list)
		if (t->set)
			nr += t->set->nr_blocks;
	k = damage_below(nr);
	list_for_each_entry(t, &damage.targets, list) {
		if (!t->set)
			continue;
		list_for_each_entry(page, &t->set->blocks, lru)
			if (!k--)
				return page;
	}
	return NULL;
}

static void damage_chain(struct damage_target *t, unsigned int i)
{
	struct kho_block_set *set = t->set;
	unsigned long b = damage_below(set->nr_blocks), per = kho_block_per_block(set);
	struct kho_block_header_ser *hdr = NULL, *other;
	struct page *page, *to;
	unsigned long e, f;
	unsigned int kind;

	list_for_each_entry(page, &set->blocks, lru)
		if (!b--) {
			hdr = page_address(page);
			break;
		}
	if (!hdr || !hdr->count)
		return;
	kind = damage_below(6);
	/* Cutting the chain after its last block would be no damage. */
	if (kind == 0 && !hdr->next)
		kind = 3;
	switch (kind) {
	case 0:
		hdr->next = 0;
		pr_warn("test damage %u/%u: %s: chain cut after a block\n", i, damage.count,
			damage_what(t));
		break;
	case 1:
		/* Never where it already points; its own block always qualifies. */
		do
			to = damage_any_block();
		while (to && page_to_phys(to) == hdr->next);
		hdr->next = to ? page_to_phys(to) : 0;
		pr_warn("test damage %u/%u: %s: link pointed at %s block\n", i, damage.count,
			damage_what(t), to == page ? "its own" : "another");
		break;
	case 2:
		if (hdr->count < 2) {
			damage_bytes(hdr, sizeof(*hdr) + set->entry_size, i, damage_what(t));
			break;
		}
		e = damage_below(hdr->count);
		f = (e + 1 + damage_below(hdr->count - 1)) % hdr->count;
		other = hdr;
		memcpy((void *)(hdr + 1) + e * set->entry_size,
		       (void *)(other + 1) + f * set->entry_size, set->entry_size);
		pr_warn("test damage %u/%u: %s: entry %lu copied over entry %lu\n", i,
			damage.count, damage_what(t), f, e);
		break;
	case 3:
		hdr->count = damage_below(2) ? hdr->count + 1 : hdr->count - 1;
		hdr->count = min_t(u64, hdr->count, per + 1);
		pr_warn("test damage %u/%u: %s: block count changed to %llu\n", i, damage.count,
			damage_what(t), hdr->count);
		break;
	default:
		damage_bytes(hdr, sizeof(*hdr) + hdr->count * set->entry_size, i, damage_what(t));
	}
}

/**
 * liveupdate_test_damage - apply the armed mutations (tests only)
 *
 * Called by kho_kexec_jump() right before the jump, after every hash was
 * taken. Allocates nothing.
 */
void liveupdate_test_damage(void)
{
	struct damage_target fixed[3], *t;
	unsigned int nfixed, nr = 0, i, k;
	const char *only = damage.only;

	if (!damage.armed || !damage.count)
		return;
	nfixed = damage_kho_targets(fixed);
	list_for_each_entry(t, &damage.targets, list)
		nr += !only[0] || !strcmp(only, t->format);
	for (k = 0; k < nfixed; k++)
		nr += !only[0] || !strcmp(only, fixed[k].format);
	if (!nr) {
		pr_warn("test damage: nothing to damage%s%s\n", only[0] ? " of format " : "", only);
		return;
	}
	for (i = 1; i <= damage.count; i++) {
		unsigned long pick = damage_below(nr);

		t = NULL;
		for (k = 0; k < nfixed && !t; k++)
			if ((!only[0] || !strcmp(only, fixed[k].format)) && !pick--)
				t = &fixed[k];
		if (!t)
			list_for_each_entry(t, &damage.targets, list)
				if ((!only[0] || !strcmp(only, t->format)) && !pick--)
					break;
		if (t->set)
			damage_chain(t, i);
		else if (!strcmp(t->format, "kho-tracker"))
			damage_bytes(damage.nodes[damage_below(damage.nr_nodes)], PAGE_SIZE, i,
				     t->format);
		else if (t->len)
			damage_bytes(t->addr, t->len, i, damage_what(t));
	}
}

static ssize_t damage_write(struct file *file, const char __user *ubuf, size_t len,
			    loff_t *ppos)
{
	char *buf, *opt, *p;
	u64 seed = 1;
	u32 count = 0;
	int err = 0;

	if (len >= 128)
		return -EINVAL;
	buf = memdup_user_nul(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	guard(mutex)(&damage.lock);
	damage.only[0] = '\0';
	p = strim(buf);
	while ((opt = strsep(&p, " \t\n")) && !err) {
		if (!*opt)
			continue;
		if (!strncmp(opt, "seed=", 5))
			err = kstrtou64(opt + 5, 0, &seed);
		else if (!strncmp(opt, "count=", 6))
			err = kstrtou32(opt + 6, 0, &count);
		else if (!strncmp(opt, "only=", 5))
			strscpy(damage.only, opt + 5, sizeof(damage.only));
		else
			err = -EINVAL;
	}
	kfree(buf);
	if (err)
		return err;
	damage.seed = seed ?: 1;
	damage.count = count;
	damage.armed = count > 0;
	pr_info("test damage armed: seed %llu, %u mutations%s%s\n", seed, count,
		damage.only[0] ? ", only " : "", damage.only);
	return len;
}

static const struct file_operations damage_fops = {
	.owner = THIS_MODULE,
	.write = damage_write,
};

/**
 * struct luo_dump_hdr - one record of liveupdate/handover
 * @magic: "LUDM"
 * @kind: 0 a region, 1 a chain, 2 a list of pages (KHO tracker nodes)
 * @format: the format name, NUL-padded
 * @len: bytes that follow
 */
struct luo_dump_hdr {
	char magic[4];
	u32 kind;
	char format[24];
	u64 len;
} __packed;

struct luo_dump {
	char *buf;
	size_t len, cap;
};

static void dump_put(struct luo_dump *d, const void *p, size_t n)
{
	if (d->len + n <= d->cap)
		memcpy(d->buf + d->len, p, n);
	d->len += n;
}

static void dump_hdr(struct luo_dump *d, u32 kind, const char *format, u64 len)
{
	struct luo_dump_hdr h = { .magic = "LUDM", .kind = kind, .len = len };

	strscpy(h.format, format, sizeof(h.format));
	dump_put(d, &h, sizeof(h));
}

static void dump_block(struct luo_dump *d, phys_addr_t phys)
{
	u64 p = phys;

	dump_put(d, &p, sizeof(p));
	dump_put(d, phys_to_virt(phys), PAGE_SIZE);
}

static int dump_node(phys_addr_t phys, int level, void *arg)
{
	dump_block(arg, phys);
	return 0;
}

static int count_node(phys_addr_t phys, int level, void *arg)
{
	(*(unsigned long *)arg)++;
	return 0;
}

/* Everything registered, then KHO's parts; returns the size it needs. */
static size_t dump_all(struct luo_dump *d)
{
	static const struct kho_tracker_walk_ops ops = { .node = dump_node };
	static const struct kho_tracker_walk_ops count = { .node = count_node };
	struct damage_target *t;
	unsigned long nodes = 0;
	struct page *page;

	list_for_each_entry(t, &damage.targets, list) {
		if (t->set) {
			dump_hdr(d, 1, t->format, t->set->nr_blocks * (8 + PAGE_SIZE));
			list_for_each_entry(page, &t->set->blocks, lru)
				dump_block(d, page_to_phys(page));
		} else {
			dump_hdr(d, 0, t->format, t->len);
			dump_put(d, t->addr, t->len);
		}
	}
	if (kho_out.ready) {
		dump_hdr(d, 0, "kho-fdt", fdt_totalsize(kho_out.fdt));
		dump_put(d, kho_out.fdt, fdt_totalsize(kho_out.fdt));
		dump_hdr(d, 0, "kho-scratch", kho_nr_scratch * sizeof(*kho_out.scratch));
		dump_put(d, kho_out.scratch, kho_nr_scratch * sizeof(*kho_out.scratch));
		kho_tracker_walk(&kho_out.tracker, &count, &nodes);
		dump_hdr(d, 2, "kho-tracker", nodes * (8 + PAGE_SIZE));
		kho_tracker_walk(&kho_out.tracker, &ops, d);
	}
	return d->len;
}

static int handover_open(struct inode *inode, struct file *file)
{
	struct luo_dump d = {};

	guard(mutex)(&damage.lock);
	d.cap = dump_all(&d);
	d.buf = kvmalloc(d.cap, GFP_KERNEL);
	if (!d.buf)
		return -ENOMEM;
	d.len = 0;
	dump_all(&d);
	file->private_data = kmemdup(&d, sizeof(d), GFP_KERNEL);
	if (!file->private_data) {
		kvfree(d.buf);
		return -ENOMEM;
	}
	return 0;
}

static ssize_t handover_read(struct file *file, char __user *ubuf, size_t len, loff_t *ppos)
{
	struct luo_dump *d = file->private_data;

	return simple_read_from_buffer(ubuf, len, ppos, d->buf, min(d->len, d->cap));
}

static int handover_release(struct inode *inode, struct file *file)
{
	struct luo_dump *d = file->private_data;

	kvfree(d->buf);
	kfree(d);
	return 0;
}

static const struct file_operations handover_fops = {
	.owner = THIS_MODULE,
	.open = handover_open,
	.read = handover_read,
	.release = handover_release,
};

/**
 * luo_damage_debugfs - create liveupdate/damage
 * @dir: the liveupdate debugfs directory
 */
void luo_damage_debugfs(struct dentry *dir)
{
	debugfs_create_file("damage", 0200, dir, NULL, &damage_fops);
	debugfs_create_file("handover", 0400, dir, NULL, &handover_fops);
}
