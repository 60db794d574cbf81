/* SPDX-License-Identifier: GPL-2.0 */
/*
 * main() of the kselftest harness programs lu-init runs. Include after
 * kselftest_harness.h.
 */
#ifndef LU_HARNESS_H
#define LU_HARNESS_H

#include <stdlib.h>
#include <string.h>

/*
 * lu-init runs every test with "--stage N", which the harness's option
 * parser would refuse: drop it, and pass everything else on.
 */
static inline int lu_harness_run(int argc, char **argv)
{
	char **args = calloc(argc + 1, sizeof(*args));
	int i, n = 0;

	if (!args)
		return KSFT_FAIL;
	for (i = 0; i < argc; i++) {
		if (i > 0 && i + 1 < argc &&
		    (!strcmp(argv[i], "--stage") || !strcmp(argv[i], "-s"))) {
			i++;
			continue;
		}
		args[n++] = argv[i];
	}
	return test_harness_run(n, args);
}

#endif /* LU_HARNESS_H */
