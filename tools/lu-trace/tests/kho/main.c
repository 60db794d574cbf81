// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test driver for lu-trace kho: "kho-test kho [OPTIONS]" runs cmd_kho() the
 * way "lu-trace kho [OPTIONS]" does.
 *
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */
#include <stdio.h>
#include <string.h>

#include "kho.h"

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "kho")) {
		fprintf(stderr, "usage: %s kho [OPTIONS]\n", argv[0]);
		return 2;
	}
	return cmd_kho(argc - 1, argv + 1);
}
