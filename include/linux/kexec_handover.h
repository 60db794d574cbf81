/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */
#ifndef _LINUX_KEXEC_HANDOVER_H
#define _LINUX_KEXEC_HANDOVER_H

#include <linux/err.h>
#include <linux/errno.h>
#include <linux/types.h>
#include <linux/kho/abi/kexec_handover.h>

struct folio;
struct page;
struct kimage;
struct kexec_buf;
struct resource;

#ifdef CONFIG_KEXEC_HANDOVER

bool kho_is_enabled(void);
bool is_kho_boot(void);

int kho_preserve_folio(struct folio *folio);
void kho_unpreserve_folio(struct folio *folio);
struct folio *kho_restore_folio(phys_addr_t phys);

int kho_preserve_pages(struct page *page, unsigned long nr_pages);
void kho_unpreserve_pages(struct page *page, unsigned long nr_pages);
struct page *kho_restore_pages(phys_addr_t phys, unsigned long nr_pages);

int kho_preserve_vmalloc(void *ptr, struct kho_vmalloc *preservation);
void kho_unpreserve_vmalloc(struct kho_vmalloc *preservation);
void *kho_restore_vmalloc(const struct kho_vmalloc *preservation);

void *kho_alloc_preserve(size_t size);
void kho_unpreserve_free(void *mem);
void kho_restore_free(void *mem);

int kho_add_subtree(const char *name, void *blob, size_t size);
void kho_remove_subtree(void *blob);
int kho_retrieve_subtree(const char *name, phys_addr_t *phys, size_t *size);
void *kho_restore_subtree(const char *name, size_t *size);

bool kho_image_carries_handover(const struct kimage *image);
void kho_kexec_jump(void);

/* Architecture and core-mm hooks. */
void kho_populate(phys_addr_t fdt_phys, u64 fdt_len, phys_addr_t scratch_phys,
		  u64 scratch_len);
void kho_memory_init(void);
int kho_fill_kimage(struct kimage *image);
int kho_locate_mem_hole(struct kexec_buf *kbuf,
			int (*func)(struct resource *, void *));

#else /* CONFIG_KEXEC_HANDOVER */

static inline bool kho_is_enabled(void) { return false; }

static inline bool is_kho_boot(void) { return false; }

static inline int kho_preserve_folio(struct folio *folio) { return -EOPNOTSUPP; }

static inline void kho_unpreserve_folio(struct folio *folio) { }

static inline struct folio *kho_restore_folio(phys_addr_t phys) { return NULL; }

static inline int kho_preserve_pages(struct page *page, unsigned long nr_pages)
{
	return -EOPNOTSUPP;
}

static inline void kho_unpreserve_pages(struct page *page, unsigned long nr_pages) { }

static inline struct page *kho_restore_pages(phys_addr_t phys, unsigned long nr_pages)
{
	return NULL;
}

static inline int kho_preserve_vmalloc(void *ptr, struct kho_vmalloc *preservation)
{
	return -EOPNOTSUPP;
}

static inline void kho_unpreserve_vmalloc(struct kho_vmalloc *preservation) { }

static inline void *kho_restore_vmalloc(const struct kho_vmalloc *preservation)
{
	return NULL;
}

static inline void *kho_alloc_preserve(size_t size) { return ERR_PTR(-EOPNOTSUPP); }

static inline void kho_unpreserve_free(void *mem) { }

static inline void kho_restore_free(void *mem) { }

static inline int kho_add_subtree(const char *name, void *blob, size_t size)
{
	return -EOPNOTSUPP;
}

static inline void kho_remove_subtree(void *blob) { }

static inline int kho_retrieve_subtree(const char *name, phys_addr_t *phys, size_t *size)
{
	return -EOPNOTSUPP;
}

static inline void *kho_restore_subtree(const char *name, size_t *size)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline bool kho_image_carries_handover(const struct kimage *image)
{
	return false;
}

static inline void kho_kexec_jump(void) { }

static inline void kho_populate(phys_addr_t fdt_phys, u64 fdt_len,
				phys_addr_t scratch_phys, u64 scratch_len) { }
static inline void kho_memory_init(void) { }

static inline int kho_fill_kimage(struct kimage *image) { return 0; }

static inline int kho_locate_mem_hole(struct kexec_buf *kbuf,
				      int (*func)(struct resource *, void *))
{
	return 1;
}

#endif /* CONFIG_KEXEC_HANDOVER */
#endif /* _LINUX_KEXEC_HANDOVER_H */
