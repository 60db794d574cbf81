// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * catalog.h mirrors include/linux/kho/abi/format.h: this file builds only
 * if the two agree (compat_test.sh compiles it against the kernel header).
 *
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */
#include <stddef.h>
#include <string.h>

#define __packed __attribute__((packed))
#include <linux/kho/abi/format.h>

#include "catalog.h"

_Static_assert(sizeof(struct liveupdate_format_note) == LU_FORMAT_DESC_SIZE, "size");
_Static_assert(offsetof(struct liveupdate_format_note, read) == 32, "read");
_Static_assert(offsetof(struct liveupdate_format_note, write) == 40, "write");
_Static_assert(offsetof(struct liveupdate_format_note, default_version) == 48, "default");
_Static_assert(offsetof(struct liveupdate_format_note, flags) == 52, "flags");
_Static_assert(LIVEUPDATE_FORMAT_NAME_LEN == LU_FORMAT_NAME_LEN, "name length");
_Static_assert(LIVEUPDATE_NOTE_FORMAT == LU_NOTE_FORMAT, "note type");
_Static_assert(sizeof(LIVEUPDATE_NOTE_NAME) == sizeof(LU_NOTE_NAME), "note name");
_Static_assert(LIVEUPDATE_VERSION_MAX == LU_VERSION_MAX, "versions");
_Static_assert(LIVEUPDATE_FORMAT_OPTIONAL == LU_FORMAT_OPTIONAL, "optional");
_Static_assert(LIVEUPDATE_FORMAT_FILE == LU_FORMAT_FILE, "file");

int main(void)
{
	return strcmp(LIVEUPDATE_NOTE_NAME, LU_NOTE_NAME) != 0;
}
