/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * What lu_trace.bpf.c and lu-trace share: map keys and values, the ring
 * buffer record and the step and operation numbers. The recording file
 * stores these records as they are, so any change here bumps
 * LU_REC_VERSION in tools/lu-trace/record.h.
 */
#ifndef __LU_TRACE_H
#define __LU_TRACE_H

#define LU_MAX_SLOTS	40	/* log2(ns) buckets: the last one holds >= 2^39 ns */
#define LU_NAME_LEN	64	/* LIVEUPDATE_SESSION_NAME_LENGTH */
#define LU_COMPAT_LEN	48	/* LIVEUPDATE_HNDL_COMPAT_LENGTH */
#define LU_MAX_ORDER	21	/* KHO block orders 0..20 */

/* Per-file operations with a latency histogram per session. */
enum lu_op {
	LU_OP_PRESERVE,
	LU_OP_FREEZE,
	LU_OP_RETRIEVE,
	LU_OP_FINISH,
	LU_OP_NR,
};

/* Steps that can fail, for the error counts. */
enum lu_step {
	LU_STEP_PRESERVE,
	LU_STEP_UNPRESERVE,
	LU_STEP_FREEZE,
	LU_STEP_UNFREEZE,
	LU_STEP_RETRIEVE,
	LU_STEP_FINISH,
	LU_STEP_SERIALIZE,
	LU_STEP_DESERIALIZE,
	LU_STEP_SESSION_CREATE,
	LU_STEP_SESSION_RETRIEVE,
	LU_STEP_SESSION_FINISH,
	LU_STEP_MEMFD_PRESERVE,
	LU_STEP_MEMFD_RETRIEVE,
	LU_STEP_BLOCK,		/* kho_block grow, shrink or restore */
	LU_STEP_KHO,		/* KHO block, vmalloc or subtree */
	LU_STEP_FLB,		/* FLB preserve, retrieve */
	LU_STEP_NR,
};

/* Ring buffer record types: one per liveupdate trace event. */
enum lu_ev {
	LU_EV_SESSION_CREATE,
	LU_EV_SESSION_RETRIEVE,
	LU_EV_SESSION_FINISH,
	LU_EV_SESSION_RELEASE,
	LU_EV_FILE_PRESERVE,
	LU_EV_FILE_UNPRESERVE,
	LU_EV_FILE_FREEZE,
	LU_EV_FILE_UNFREEZE,
	LU_EV_FILE_RETRIEVE,
	LU_EV_FILE_FINISH,
	LU_EV_SERIALIZE_BEGIN,
	LU_EV_SERIALIZE_END,
	LU_EV_DESERIALIZE,
	LU_EV_MEMFD_PRESERVE,
	LU_EV_MEMFD_RETRIEVE,
	LU_EV_BLOCK_GROW,
	LU_EV_BLOCK_SHRINK,
	LU_EV_BLOCK_RESTORE,
	LU_EV_SUBTREE_ADD,
	LU_EV_SUBTREE_REMOVE,
	LU_EV_VMALLOC_PRESERVE,
	LU_EV_VMALLOC_RESTORE,
	LU_EV_KHO_PRESERVE,
	LU_EV_KHO_UNPRESERVE,
	LU_EV_KHO_RESTORE,
	LU_EV_BLACKOUT,
	LU_EV_FLB_PRESERVE,
	LU_EV_FLB_UNPRESERVE,
	LU_EV_FLB_RETRIEVE,
	LU_EV_FLB_FINISH,
	LU_EV_NR,
};

/**
 * struct lu_hist - a log2 latency histogram
 * @slots: slot i counts durations d with 2^(i-1) < d <= 2^i ns (slot 0: d <= 1)
 * @count: durations counted (the sum of @slots)
 * @sum_ns: their sum
 * @max_ns: the largest
 */
struct lu_hist {
	__u64 slots[LU_MAX_SLOTS];
	__u64 count;
	__u64 sum_ns;
	__u64 max_ns;
};

/* Session flags. */
#define LU_S_CREATED	(1U << 0)	/* created in this kernel */
#define LU_S_RETRIEVED	(1U << 1)	/* retrieved from the previous kernel */
#define LU_S_FINISHED	(1U << 2)
#define LU_S_RELEASED	(1U << 3)	/* its fd was closed */

/**
 * struct lu_session - what one session did (the sessions map, by id)
 * @name: its name, once a session event named it
 * @id: its id (the hash of the name the kernel reports)
 * @flags: LU_S_*
 * @files: counts of file operations that succeeded, by enum lu_op
 * @unpreserved: files unpreserved
 * @unfrozen: files unfrozen (a cancelled kexec)
 * @preserved_pages: memory pages preserved (memfd)
 * @preserved_bytes: size of the files preserved (memfd)
 * @restored_pages: memory pages restored (memfd)
 * @restored_bytes: size of the files restored (memfd)
 * @errors: operations of this session that failed
 * @first_ns: CLOCK_MONOTONIC of its first event
 * @last_ns: and of its last
 * @hist: latency of the file operations, by enum lu_op
 */
struct lu_session {
	char name[LU_NAME_LEN];
	__u64 id;
	__u32 flags;
	__u32 pad;
	__u64 files[LU_OP_NR];
	__u64 unpreserved;
	__u64 unfrozen;
	__u64 preserved_pages;
	__u64 preserved_bytes;
	__u64 restored_pages;
	__u64 restored_bytes;
	__u64 errors;
	__u64 first_ns;
	__u64 last_ns;
	struct lu_hist hist[LU_OP_NR];
};

/* Key of the errors map; the value is a count. */
struct lu_err_key {
	__u32 step;	/* enum lu_step */
	__s32 err;	/* negative errno */
};

/**
 * struct lu_event - one ring buffer record
 * @ts_ns: CLOCK_MONOTONIC when the event fired
 * @session_id: the session (0 if none)
 * @token: file token; KHO events: pfn; block events: entry size
 * @duration_ns: kernel-measured duration, 0 if none
 * @a: pages (memfd), files (session, serialize, FLB), order (KHO), blocks
 * @b: bytes (memfd size, serialized bytes, subtree size), entries
 * @c: folios (memfd), sessions (serialize)
 * @d: holes (memfd)
 * @ret: 0 or the negative errno
 * @type: enum lu_ev
 * @cpu: the CPU it fired on
 * @pid: the thread that caused it
 * @name: session name, handler or FLB compatible, or subtree name
 */
struct lu_event {
	__u64 ts_ns;
	__u64 session_id;
	__u64 token;
	__u64 duration_ns;
	__u64 a, b, c, d;
	__s32 ret;
	__u16 type;
	__u16 cpu;
	__u32 pid;
	__u32 pad;
	char name[LU_NAME_LEN];
};

/**
 * struct lu_blackout_ev - the luo_blackout event's numbers (in .bss)
 * @update: update number along the chain of kernels (0: none seen)
 * @sessions: sessions handed over
 * @files: files handed over
 * @phase_ns: freeze, serialize, shutdown, jump, kho, boot, userspace, restore
 * @total_ns: the blackout
 */
struct lu_blackout_ev {
	__u64 update;
	__u64 sessions;
	__u64 files;
	__u64 phase_ns[8];
	__u64 total_ns;
};

/**
 * struct lu_global - counts that belong to no session (in .bss)
 * @events: liveupdate events seen, by enum lu_ev (after the session filter)
 * @drops: ring buffer records lost (the buffer was full)
 * @kho_blocks: KHO blocks preserved, by order (minus unpreserved)
 * @kho_restored: KHO blocks restored, by order
 * @serialize_bytes: metadata bytes of the last serialization
 * @serialize_ns: its duration
 * @deserialize_bytes: size of the state read by the last deserialization
 * @deserialize_ns: its duration
 * @block_blocks: kho_block blocks now (grow, shrink)
 */
struct lu_global {
	__u64 events[LU_EV_NR];
	__u64 drops;
	__s64 kho_blocks[LU_MAX_ORDER];
	__u64 kho_restored[LU_MAX_ORDER];
	__u64 serialize_bytes;
	__u64 serialize_ns;
	__u64 deserialize_bytes;
	__u64 deserialize_ns;
	__s64 block_blocks;
};

#endif /* __LU_TRACE_H */
