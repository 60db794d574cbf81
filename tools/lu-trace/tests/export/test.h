/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * export_test: what the stand-ins of lu-trace.c and blackout.c (stubs.c)
 * hand to export.c, filled by the test main (main.c).
 */
#ifndef __LU_EXPORT_TEST_H
#define __LU_EXPORT_TEST_H

#include "lu-trace.h"

/**
 * struct lu_export_test - the made-up kernel
 * @snap: what lu_snapshot_read() returns (a copy)
 * @blackout: what lu_blackout_read() returns
 * @blackout_err: and its return value
 * @reads: lu_snapshot_read() calls so far
 */
struct lu_export_test {
	struct lu_snapshot snap;
	struct lu_blackout blackout;
	int blackout_err;
	unsigned int reads;
};

extern struct lu_export_test lu_test;

#endif /* __LU_EXPORT_TEST_H */
