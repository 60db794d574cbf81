/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * lu-trace kho: decode the Kexec HandOver (KHO) state from debugfs
 *
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */
#ifndef __LU_TRACE_KHO_H
#define __LU_TRACE_KHO_H

#include <stdbool.h>
#include <linux/types.h>

#define LU_KHO_OUT_DIR		"/sys/kernel/debug/kho/out"

/**
 * struct lu_kho_out - what KHO will hand to the next kernel, in short
 * @has_preserved: @preserved_bytes was read
 * @has_scratch: @scratch_bytes was read
 * @preserved_bytes: memory preserved ("bytes" of kho/out/preserved)
 * @scratch_bytes: the sizes of the kho/out/scratch areas, summed
 */
struct lu_kho_out {
	bool has_preserved;
	bool has_scratch;
	__u64 preserved_bytes;
	__u64 scratch_bytes;
};

/**
 * lu_kho_out_read - read kho/out/preserved and kho/out/scratch, quietly
 * @dir: the kho/out directory (LU_KHO_OUT_DIR)
 * @out: the result; a file that cannot be read or fails "lu-trace kho"'s
 *	 checks is left out (has_* false)
 *
 * The same parsers and checks as "lu-trace kho", without its messages
 * (lu-trace export calls this on every scrape).
 *
 * Return: 0 if both files were read, else the first error: -ENOENT,
 * -EACCES... from reading, -EINVAL for content that fails the checks.
 */
int lu_kho_out_read(const char *dir, struct lu_kho_out *out);

/*
 * cmd_kho - run "lu-trace kho [-d DIR] [-j] [--in|--out]"
 * @argc: number of arguments, argv[0] included
 * @argv: arguments, argv[0] is "kho"
 *
 * Return: the process exit code, 0 on success and 1 on any error (the error
 * has then been reported on stderr).
 */
int cmd_kho(int argc, char **argv);

#endif /* __LU_TRACE_KHO_H */
