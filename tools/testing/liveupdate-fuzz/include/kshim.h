/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * The kernel API the handover readers use, for building them on the host.
 * Every <linux/...> header they include is a one-line file that includes
 * this one, so that the kernel files compile unmodified; what touches
 * memory (phys_to_virt(), struct page, page_address()) goes to the fake
 * physical memory of fake_mem.c. A kernel call that a reader of incoming
 * data must never make (page allocation, freeing) stops the fuzzer with
 * fz_bug(): it would be a bug in the reader, or a gap in this shim.
 */
#ifndef _FUZZ_KSHIM_H
#define _FUZZ_KSHIM_H

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Types: the __u64 family from the uapi <linux/types.h>, then the kernel's. */
#include <linux/types.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef unsigned long long u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef long long s64;
typedef u64 phys_addr_t;
typedef unsigned int gfp_t;
#include <sys/types.h>	/* loff_t, ssize_t */

#ifndef __LITTLE_ENDIAN
#define __LITTLE_ENDIAN 1234
#endif

/* Compiler */
#define __packed		__attribute__((packed))
#ifndef __always_inline
#define __always_inline		inline __attribute__((always_inline))
#endif
#define __init
#define __initdata
#define __initconst
#define __maybe_unused		__attribute__((unused))
#define __printf(a, b)		__attribute__((format(printf, a, b)))
#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#define READ_ONCE(x)		(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v)	(*(volatile __typeof__(x) *)&(x) = (v))
#define static_assert(e, ...)	_Static_assert(e, #e)
#define BUILD_BUG_ON(e)		_Static_assert(!(e), #e)
#define EXPORT_SYMBOL(s)
#define EXPORT_SYMBOL_GPL(s)
#define MODULE_LICENSE(s)
#define MODULE_DESCRIPTION(s)
#define THIS_MODULE		NULL
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#ifndef offsetof
#define offsetof(t, m)		__builtin_offsetof(t, m)
#endif
#define container_of(p, t, m)	((t *)((char *)(p) - offsetof(t, m)))

/* Arithmetic */
#define BITS_PER_BYTE		8
#define BITS_PER_LONG		64
#define BIT(n)			(1UL << (n))
#define BIT_ULL(n)		(1ULL << (n))
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
#define IS_ALIGNED(x, a)	(((x) & ((__typeof__(x))(a) - 1)) == 0)
#define ALIGN(x, a)		(((x) + ((__typeof__(x))(a) - 1)) & ~((__typeof__(x))(a) - 1))
#define min(a, b)		((a) < (b) ? (a) : (b))
#define max(a, b)		((a) > (b) ? (a) : (b))
#define min_t(t, a, b)		((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define max_t(t, a, b)		((t)(a) > (t)(b) ? (t)(a) : (t)(b))
#define U64_MAX			UINT64_MAX
#define USEC_PER_SEC		1000000L
#define NSEC_PER_USEC		1000L

static inline int fls64(u64 x)
{
	return x ? 64 - __builtin_clzll(x) : 0;
}

static inline u64 div_u64(u64 dividend, u32 divisor)
{
	return dividend / divisor;
}

static inline u64 cpu_to_le64(u64 x) { return x; }
static inline u64 le64_to_cpu(u64 x) { return x; }
static inline u32 get_unaligned_le32(const void *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}
static inline u64 get_unaligned_le64(const void *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Pages */
#define PAGE_SHIFT		12
#define PAGE_SIZE		(1UL << PAGE_SHIFT)
#define PAGE_MASK		(~(PAGE_SIZE - 1))
#define PAGE_ALIGNED(x)		IS_ALIGNED((u64)(x), PAGE_SIZE)
#define PFN_PHYS(pfn)		((phys_addr_t)(pfn) << PAGE_SHIFT)
#define PHYS_PFN(x)		((unsigned long)((x) >> PAGE_SHIFT))
#define MAX_PAGE_ORDER		10
#define MAX_LFS_FILESIZE	((loff_t)LLONG_MAX)
#define GFP_KERNEL		0x1u
#define __GFP_NOWARN		0x2u
#define S_IRWXUGO		(S_IRWXU | S_IRWXG | S_IRWXO)
#define S_IALLUGO		(S_ISUID | S_ISGID | S_ISVTX | S_IRWXUGO)

/* Memfd seals (include/uapi/linux/fcntl.h). */
#define F_SEAL_SEAL		0x0001
#define F_SEAL_SHRINK		0x0002
#define F_SEAL_GROW		0x0004
#define F_SEAL_WRITE		0x0008
#define F_SEAL_FUTURE_WRITE	0x0010
#define F_SEAL_EXEC		0x0020

/* Errors and reports */
#define MAX_ERRNO		4095
#define IS_ERR_VALUE(x)		unlikely((unsigned long)(void *)(x) >= (unsigned long)-MAX_ERRNO)
static inline void *ERR_PTR(long err) { return (void *)err; }
static inline long PTR_ERR(const void *p) { return (long)p; }
static inline bool IS_ERR(const void *p) { return IS_ERR_VALUE(p); }

void fz_bug(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void fz_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define pr_err(fmt, ...)	fz_log(fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...)	fz_log(fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...)	fz_log(fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...)	fz_log(fmt, ##__VA_ARGS__)
/* A WARN is a failed test in the VM runs: here too. */
#define WARN_ON(c)		({ bool __c = !!(c); if (__c) fz_bug("WARN_ON(%s) at %s:%d", #c, __FILE__, __LINE__); __c; })
#define WARN_ON_ONCE(c)		WARN_ON(c)
#define BUG_ON(c)		do { if (c) fz_bug("BUG_ON(%s) at %s:%d", #c, __FILE__, __LINE__); } while (0)

/* Strings */
static inline void *memchr_inv(const void *s, int c, size_t n)
{
	const u8 *p = s;

	for (size_t i = 0; i < n; i++)
		if (p[i] != (u8)c)
			return (void *)(p + i);
	return NULL;
}

static inline ssize_t strscpy(char *dst, const char *src, size_t size)
{
	size_t n = strnlen(src, size);

	if (!size)
		return -E2BIG;
	if (n == size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -E2BIG;
	}
	memcpy(dst, src, n + 1);
	return n;
}

/* Bit operations on unsigned long arrays */
static inline bool test_bit(unsigned long nr, const volatile void *addr)
{
	const unsigned long *p = (const unsigned long *)addr;

	return (p[nr / BITS_PER_LONG] >> (nr % BITS_PER_LONG)) & 1;
}

static inline bool __test_and_set_bit(unsigned long nr, volatile void *addr)
{
	unsigned long *p = (unsigned long *)addr, m = 1UL << (nr % BITS_PER_LONG);
	bool old = p[nr / BITS_PER_LONG] & m;

	p[nr / BITS_PER_LONG] |= m;
	return old;
}

static inline bool __test_and_clear_bit(unsigned long nr, volatile void *addr)
{
	unsigned long *p = (unsigned long *)addr, m = 1UL << (nr % BITS_PER_LONG);
	bool old = p[nr / BITS_PER_LONG] & m;

	p[nr / BITS_PER_LONG] &= ~m;
	return old;
}

static inline void __set_bit(unsigned long nr, volatile void *addr)
{
	__test_and_set_bit(nr, addr);
}

unsigned long find_next_bit(const unsigned long *addr, unsigned long size, unsigned long off);
#define for_each_set_bit(bit, addr, size)					\
	for ((bit) = find_next_bit((addr), (size), 0); (bit) < (size);		\
	     (bit) = find_next_bit((addr), (size), (bit) + 1))

/* Lists */
struct list_head {
	struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name)	{ &(name), &(name) }

static inline void INIT_LIST_HEAD(struct list_head *l)
{
	l->next = l;
	l->prev = l;
}

static inline void list_add_tail(struct list_head *n, struct list_head *head)
{
	n->prev = head->prev;
	n->next = head;
	head->prev->next = n;
	head->prev = n;
}

static inline void list_del(struct list_head *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	e->next = (void *)0x100;	/* LIST_POISON1 */
	e->prev = (void *)0x122;	/* LIST_POISON2 */
}

static inline bool list_empty(const struct list_head *h)
{
	return h->next == h;
}

static inline bool list_is_first(const struct list_head *e, const struct list_head *h)
{
	return e->prev == h;
}

static inline bool list_is_last(const struct list_head *e, const struct list_head *h)
{
	return e->next == h;
}

#define list_entry(p, t, m)		container_of(p, t, m)
#define list_first_entry(h, t, m)	list_entry((h)->next, t, m)
#define list_last_entry(h, t, m)	list_entry((h)->prev, t, m)
#define list_next_entry(p, m)		list_entry((p)->m.next, __typeof__(*(p)), m)
#define list_prev_entry(p, m)		list_entry((p)->m.prev, __typeof__(*(p)), m)
#define list_for_each_entry(p, h, m)						\
	for (p = list_first_entry(h, __typeof__(*p), m); &p->m != (h);		\
	     p = list_next_entry(p, m))
#define list_for_each_entry_safe(p, n, h, m)					\
	for (p = list_first_entry(h, __typeof__(*p), m), n = list_next_entry(p, m); \
	     &p->m != (h); p = n, n = list_next_entry(n, m))

/* Locks: the readers run single-threaded here. */
struct mutex {
	int unused;
};

/* Memory: the fake physical memory (fake_mem.c) */
struct page {
	struct list_head lru;
	phys_addr_t phys;
	void *virt;
	bool backed;		/* its content came from the input */
	bool preserved;		/* a reader may restore it */
	bool restored;		/* restored once: never again */
	bool out;		/* restored and not yet given back */
};

struct folio {
	struct page page;
};

void *fm_phys_to_virt(phys_addr_t phys);
struct page *fm_virt_to_page(const void *virt);
bool fm_pfn_valid(unsigned long pfn);
unsigned long fm_ram_pages(void);
#define get_num_physpages()	fm_ram_pages()

#define phys_to_virt(p)		fm_phys_to_virt(p)
#define virt_to_page(v)		fm_virt_to_page(v)
#define virt_to_folio(v)	((struct folio *)fm_virt_to_page(v))
#define page_address(pg)	((pg)->virt)
#define page_to_phys(pg)	((pg)->phys)
#define pfn_valid(pfn)		fm_pfn_valid(pfn)
#define pfn_to_page(pfn)	fm_virt_to_page(fm_phys_to_virt(PFN_PHYS(pfn)))

/* What a reader of incoming data never does. */
#define FZ_NEVER(what)		fz_bug("%s called by a reader of incoming data", what)
static inline unsigned long get_zeroed_page(gfp_t gfp) { FZ_NEVER("get_zeroed_page"); }
static inline phys_addr_t virt_to_phys(const void *v) { FZ_NEVER("virt_to_phys"); }
static inline void __free_page(struct page *p) { FZ_NEVER("__free_page"); }
static inline void free_reserved_page(struct page *p) { FZ_NEVER("free_reserved_page"); }
static inline void folio_put(struct folio *f) { FZ_NEVER("folio_put"); }
/* kho_alloc_preserve(), kho_restore_pages()...: glue.c; fz_bug(): input.c. */

#endif /* _FUZZ_KSHIM_H */
