/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */
#ifndef _LINUX_KHO_ABI_LUO_H
#define _LINUX_KHO_ABI_LUO_H

#include <linux/types.h>
#include <linux/kho/abi/block.h>

/**
 * DOC: LUO state ABI, "luo-v1"
 *
 * LUO hands its state to the next kernel as the KHO subtree "LUO": one
 * preserved page holding &struct luo_ser. **Any change to this layout (or
 * to the kho_block layout it uses) bumps LUO_COMPATIBLE**; a kernel that
 * cannot read the version logs it and starts with no sessions.
 *
 * The sessions are a kho_block set of &struct luo_session_ser; each
 * session's files are a kho_block set of &struct luo_file_ser. There is no
 * fixed limit on either.
 */

#define LUO_COMPATIBLE		"luo-v1"
#define LUO_KHO_SUBTREE		"LUO"

/**
 * struct luo_file_ser - one preserved file
 * @compatible: its handler's compatible string, NUL-padded
 * @data: the handler's serialized data
 * @token: the token userspace preserved it with
 */
struct luo_file_ser {
	char compatible[48];
	__u64 data;
	__u64 token;
} __packed;

/**
 * struct luo_session_ser - one preserved session
 * @name: its name, NUL-terminated, not empty
 * @files: its files
 */
struct luo_session_ser {
	char name[64];
	struct kho_block_set_ser files;
} __packed;

/**
 * struct luo_ser - LUO's state
 * @compatible: LUO_COMPATIBLE, NUL-padded
 * @sessions: the sessions
 */
struct luo_ser {
	char compatible[16];
	struct kho_block_set_ser sessions;
} __packed;

#endif /* _LINUX_KHO_ABI_LUO_H */
