// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test driver for lu-trace compat: "compat-test compat [OPTIONS]" runs
 * cmd_compat() the way "lu-trace compat [OPTIONS]" does, without BPF.
 *
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */
#include <stdio.h>
#include <string.h>

#include "catalog.h"

int main(int argc, char **argv)
{
	static char name[] = "lu-trace compat";

	if (argc < 2 || strcmp(argv[1], "compat")) {
		fprintf(stderr, "usage: %s compat [OPTIONS]\n", argv[0]);
		return 2;
	}
	argv[1] = name;	/* argp names the program after it, as lu-trace does */
	return cmd_compat(argc - 1, argv + 1);
}
