/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * The lu-trace recording file. A file is one or more segments, appended by
 * successive `lu-trace record -o FILE` runs (typically one before the kexec
 * and one after it). A segment is a struct lu_rec_hdr followed by chunks
 * (struct lu_rec_chunk + payload), and ends with an LU_REC_END chunk unless
 * the recorder was killed. All integers are in host byte order; a reader
 * rejects a header whose magic, version or record sizes it does not know.
 */
#ifndef __LU_TRACE_RECORD_H
#define __LU_TRACE_RECORD_H

#include <linux/types.h>

#include "lu_trace.h"

#define LU_REC_MAGIC		"LUTRACE"	/* 8 bytes with the NUL */
#define LU_REC_VERSION		2
#define LU_REC_BLACKOUT_LEN	2048

/**
 * struct lu_rec_hdr - start of a segment
 * @magic: LU_REC_MAGIC
 * @version: LU_REC_VERSION
 * @hdr_size: sizeof(struct lu_rec_hdr)
 * @event_size: sizeof(struct lu_event)
 * @session_size: sizeof(struct lu_session)
 * @boot_id: /proc/sys/kernel/random/boot_id of the recording kernel
 * @release: its release
 * @start_real_ns: CLOCK_REALTIME when recording started
 * @start_mono_ns: CLOCK_MONOTONIC then
 * @session_id: the session filter, 0 for all
 * @blackout: /sys/kernel/liveupdate/blackout then ("" if absent)
 */
struct lu_rec_hdr {
	char magic[8];
	__u32 version;
	__u32 hdr_size;
	__u32 event_size;
	__u32 session_size;
	char boot_id[40];
	char release[72];
	__u64 start_real_ns;
	__u64 start_mono_ns;
	__u64 session_id;
	char blackout[LU_REC_BLACKOUT_LEN];
};

enum lu_rec_type {
	LU_REC_EVENT = 1,	/* struct lu_event */
	LU_REC_SESSION,		/* struct lu_session, the map at the end */
	LU_REC_ERROR,		/* struct lu_rec_error */
	LU_REC_GLOBAL,		/* struct lu_rec_global */
	LU_REC_END,		/* struct lu_rec_end */
};

struct lu_rec_chunk {
	__u32 type;
	__u32 len;	/* payload bytes that follow */
};

struct lu_rec_error {
	struct lu_err_key key;
	__u64 count;
};

struct lu_rec_global {
	struct lu_global global;
	struct lu_blackout_ev blackout;
};

/**
 * struct lu_rec_end - end of a segment
 * @stop_mono_ns: CLOCK_MONOTONIC when recording stopped
 * @events: records written
 * @drops: records the ring buffer lost
 * @sessions_full: the sessions map filled up (counts are incomplete)
 * @blackout: /sys/kernel/liveupdate/blackout then
 */
struct lu_rec_end {
	__u64 stop_mono_ns;
	__u64 events;
	__u64 drops;
	__u64 sessions_full;
	char blackout[LU_REC_BLACKOUT_LEN];
};

#endif /* __LU_TRACE_RECORD_H */
