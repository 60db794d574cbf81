/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * lu-trace kho: decode the Kexec HandOver (KHO) state from debugfs
 *
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */
#ifndef __LU_TRACE_KHO_H
#define __LU_TRACE_KHO_H

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
