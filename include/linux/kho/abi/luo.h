/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */
#ifndef _LINUX_KHO_ABI_LUO_H
#define _LINUX_KHO_ABI_LUO_H

#include <linux/types.h>
#include <linux/kho/abi/block.h>

/**
 * DOC: LUO state ABI, "luo-v2"
 *
 * LUO hands its state to the next kernel as the KHO subtree "LUO": one
 * preserved page holding &struct luo_ser. **Any change to this layout (or
 * to the kho_block layout it uses) bumps LUO_COMPATIBLE**; a kernel that
 * cannot read the version logs it and starts with no sessions.
 *
 * The sessions are a kho_block set of &struct luo_session_ser; each
 * session's files are a kho_block set of &struct luo_file_ser. There is no
 * fixed limit on either. Every part is covered by a hash: @hash covers the
 * state page, the sets' own hashes their chains and entries. What a
 * receiving kernel drops when something does not match: all sessions for
 * damage to the state page or the chain of sessions; one session for
 * damage to its chain of files or one of its file entries.
 *
 * Versions: "luo-v1" had no @hash (and kho-block-v1 sets).
 */

#define LUO_COMPATIBLE		"luo-v2"
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
 * @hash: xxh64 (seed 0) of the bytes before it
 */
struct luo_ser {
	char compatible[16];
	struct kho_block_set_ser sessions;
	__u64 hash;
} __packed;

/**
 * DOC: Blackout record ABI, "luo-blackout-v3"
 *
 * Next to its state, LUO hands over the KHO subtree "LUO-blackout": one
 * preserved page holding &struct luo_blackout_ser, so that the next kernel
 * can tell how long the update kept the workload dark. The old kernel
 * stamps its reboot path with a clock that keeps counting across the kexec
 * (the TSC on x86): reboot entered, every file frozen, state serialized, and
 * the jump into the new kernel; and how long each file took to freeze, which
 * no tracer in userspace can see (it happens inside reboot()). **Any
 * layout change bumps LUO_BLACKOUT_COMPATIBLE**; a record the new kernel
 * cannot read, whose hash does not match or whose stamps are out of order,
 * is logged and ignored.
 *
 * Versions: "luo-blackout-v2" had no @hash and a 65-byte @release before
 * the u64 fields that followed it; v3 puts @release last, 8-byte aligned,
 * and adds @hash.
 */

/**
 * DOC: FLB state ("luo-flb-v1")
 *
 * The KHO subtree "LUO-FLB" is one preserved page, &struct
 * luo_flb_head_ser, naming a kho_block set of &struct luo_flb_ser: one
 * entry per File-Lifecycle-Bound state (FLB) that files preserved for this
 * kexec depend on. @compatible is empty when no FLB is handed over.
 */
#define LUO_FLB_COMPATIBLE		"luo-flb-v1"
#define LUO_FLB_KHO_SUBTREE		"LUO-FLB"

/**
 * struct luo_flb_ser - one FLB handed over
 * @compatible: the FLB's compatible string, NUL-terminated
 * @data: its owner's handle on its serialized state (&liveupdate_flb_op_args.data)
 * @files: how many preserved files depend on it (at least 1)
 */
struct luo_flb_ser {
	char compatible[48];
	__u64 data;
	__u64 files;
} __packed;

/**
 * struct luo_flb_head_ser - the "LUO-FLB" subtree
 * @compatible: LUO_FLB_COMPATIBLE, or empty (no FLB handed over)
 * @flbs: the set of &struct luo_flb_ser
 * @hash: xxh64 of everything before it, seed 0
 */
struct luo_flb_head_ser {
	char compatible[16];
	struct kho_block_set_ser flbs;
	__u64 hash;
} __packed;

#define LUO_BLACKOUT_COMPATIBLE		"luo-blackout-v3"
#define LUO_BLACKOUT_KHO_SUBTREE	"LUO-blackout"

/* Clocks a blackout record may be stamped with. */
#define LUO_BLACKOUT_CLOCK_TSC		1

/* The old kernel's stamps, in the order they are taken. */
#define LUO_BLACKOUT_REBOOT		0
#define LUO_BLACKOUT_FROZEN		1
#define LUO_BLACKOUT_SERIALIZED		2
#define LUO_BLACKOUT_JUMP		3
#define LUO_BLACKOUT_NR_STAMPS		4

/* Freeze histogram: slot i counts durations d with 2^(i-1) < d <= 2^i ns. */
#define LUO_BLACKOUT_FREEZE_SLOTS	40

/**
 * struct luo_blackout_ser - the old kernel's half of a blackout
 * @compatible: LUO_BLACKOUT_COMPATIBLE, NUL-padded
 * @clock: the clock of @stamp, LUO_BLACKOUT_CLOCK_TSC
 * @clock_khz: its frequency in kHz, as the old kernel calibrated it
 * @updates: live updates completed before this one, along the chain of
 *	     kernels that handed over to each other
 * @failed: live updates that failed (reboot() cancelled) along the chain,
 *	    including in the old kernel
 * @mono_ns: the old kernel's CLOCK_MONOTONIC when reboot was entered
 * @sessions: sessions serialized
 * @files: files serialized
 * @stamp: clock readings, indexed by LUO_BLACKOUT_REBOOT..JUMP
 * @freeze_files: files frozen (with a freeze operation)
 * @freeze_sum_ns: the time they took, in total
 * @freeze_max_ns: the longest
 * @freeze_slots: log2 histogram of their durations (the last slot also
 *		  counts anything longer)
 * @release: the old kernel's release (utsname), NUL-terminated
 * @hash: xxh64 (seed 0) of the bytes before it, taken at the jump
 */
struct luo_blackout_ser {
	char compatible[24];
	__u32 clock;
	__u32 clock_khz;
	__u64 updates;
	__u64 failed;
	__u64 mono_ns;
	__u64 sessions;
	__u64 files;
	__u64 stamp[LUO_BLACKOUT_NR_STAMPS];
	__u64 freeze_files;
	__u64 freeze_sum_ns;
	__u64 freeze_max_ns;
	__u32 freeze_slots[LUO_BLACKOUT_FREEZE_SLOTS];
	char release[72];
	__u64 hash;
} __packed;

#endif /* _LINUX_KHO_ABI_LUO_H */
