/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * Stand-in for the BPF skeleton (bpftool gen skeleton) when lu-trace's
 * sources are built for the fuzz targets: the readers under test (record
 * reading, the kho decoder, the exporter's parsers) never load BPF, so the
 * tool builds without a kernel's BTF. Opening the programs fails, as on a
 * kernel without the liveupdate events. Only the members lu-trace uses.
 */
#ifndef __LU_TRACE_FUZZ_SKEL_H
#define __LU_TRACE_FUZZ_SKEL_H

#include <errno.h>
#include <stdbool.h>
#include <bpf/libbpf.h>

#include "lu_trace.h"

struct lu_trace_bpf {
	struct {
		struct bpf_map *sessions;
		struct bpf_map *errors;
		struct bpf_map *events;
	} maps;
	struct {
		struct bpf_program *handle_kho_preserve;
		struct bpf_program *handle_kho_unpreserve;
		struct bpf_program *handle_kho_restore;
		struct bpf_program *handle_blackout;
		struct bpf_program *handle_flb_preserve;
		struct bpf_program *handle_flb_unpreserve;
		struct bpf_program *handle_flb_retrieve;
		struct bpf_program *handle_flb_finish;
	} progs;
	struct {
		__u64 targ_session_id;
		bool targ_stream;
		bool targ_kho_blocks;
	} *rodata;
	struct {
		struct lu_global global;
		struct lu_blackout_ev blackout;
	} *bss;
};

static inline struct lu_trace_bpf *lu_trace_bpf__open(void)
{
	errno = EOPNOTSUPP;
	return NULL;
}

static inline int lu_trace_bpf__load(struct lu_trace_bpf *skel)
{
	return -EOPNOTSUPP;
}

static inline int lu_trace_bpf__attach(struct lu_trace_bpf *skel)
{
	return -EOPNOTSUPP;
}

static inline void lu_trace_bpf__destroy(struct lu_trace_bpf *skel)
{
}

#endif /* __LU_TRACE_FUZZ_SKEL_H */
