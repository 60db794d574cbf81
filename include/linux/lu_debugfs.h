/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * The test knobs of KHO, LUO and memfd preservation in debugfs take one
 * keyword each ("echo fdt > kho/out/corrupt"); they read it the same way.
 */
#ifndef _LINUX_LU_DEBUGFS_H
#define _LINUX_LU_DEBUGFS_H

#include <linux/err.h>
#include <linux/slab.h>
#include <linux/string.h>

/* Longest write a keyword knob takes. */
#define LU_DEBUGFS_KEYWORD_MAX	64

/**
 * lu_debugfs_keyword - read one keyword written to a debugfs file
 * @ubuf: what user space wrote
 * @len: its length
 * @words: the keywords the file takes
 * @n: how many there are
 *
 * Leading and trailing white space (echo's newline) is ignored.
 *
 * Context: process context; may sleep.
 * Return: the index of the keyword in @words; -EINVAL for an empty, too
 * long or unknown word; -EFAULT if @ubuf cannot be read; -ENOMEM.
 */
static inline int lu_debugfs_keyword(const char __user *ubuf, size_t len,
				     const char *const *words, size_t n)
{
	char *buf;
	int i;

	if (!len || len > LU_DEBUGFS_KEYWORD_MAX)
		return -EINVAL;
	buf = memdup_user_nul(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	i = match_string(words, n, strim(buf));
	kfree(buf);
	return i;
}

#endif /* _LINUX_LU_DEBUGFS_H */
