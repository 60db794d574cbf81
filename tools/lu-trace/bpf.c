// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * lu-trace: loading the BPF programs (after checking the kernel has what
 * they need and the caller may load them), and snapshots of their maps.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "lu-trace.h"
#include "lu_trace.skel.h"

/* ---------------------------------------------------------------------- */
/* BPF                                                                     */
/* ---------------------------------------------------------------------- */

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	/* libbpf's warnings always show; its debug output only with -v. */
	if (level == LIBBPF_DEBUG && !lu_verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* CAP_PERFMON and CAP_BPF, or CAP_SYS_ADMIN, in the effective set. */
static bool have_caps(void)
{
	unsigned long long eff = 0;
	char line[256];
	FILE *f;

	if (geteuid() == 0)
		return true;
	f = fopen("/proc/self/status", "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return (eff & (1ULL << 21)) || ((eff & (1ULL << 38)) && (eff & (1ULL << 39)));
}

static bool btf_has(const struct btf *btf, const char *name)
{
	return btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT) > 0;
}

/**
 * lu_bpf_check - can lu-trace load its programs here?
 * @cmd: the subcommand, for messages
 * @blackout: set to whether the kernel has the luo_blackout event (may be NULL)
 * @flb: set to whether it has the FLB events (may be NULL)
 *
 * Checks the privileges, the kernel's BTF and the liveupdate events, and
 * explains on stderr what is missing.
 *
 * Return: true if everything is there.
 */
bool lu_bpf_check(const char *cmd, bool *blackout, bool *flb)
{
	struct btf *btf;

	libbpf_set_print(libbpf_print);
	if (!have_caps()) {
		fprintf(stderr, "lu-trace %s: %s: loading BPF programs needs root (or CAP_BPF and CAP_PERFMON)\n",
			cmd, strerror(EPERM));
		return false;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr, "lu-trace %s: /sys/kernel/btf/vmlinux: %s: this kernel has no BTF (CONFIG_DEBUG_INFO_BTF=y is needed)\n",
			cmd, strerror(errno));
		return false;
	}
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		fprintf(stderr, "lu-trace %s: cannot read the kernel's BTF: %s\n", cmd,
			strerror(errno));
		return false;
	}
	if (!btf_has(btf, "trace_event_raw_liveupdate_luo_file")) {
		fprintf(stderr, "lu-trace %s: this kernel has no liveupdate trace events (it needs CONFIG_LIVEUPDATE=y from the live update tree)\n",
			cmd);
		btf__free(btf);
		return false;
	}
	if (blackout)
		*blackout = btf_has(btf, "trace_event_raw_luo_blackout");
	/* A kernel from before FLBs: their events are not attached. */
	if (flb)
		*flb = btf_has(btf, "trace_event_raw_liveupdate_luo_flb");
	btf__free(btf);
	return true;
}

/**
 * lu_bpf_start - check the kernel, then load and attach the BPF programs
 * @cmd: the subcommand, for messages
 * @o: options
 *
 * Every failure is explained on stderr.
 *
 * Return: the skeleton, or NULL.
 */
struct lu_trace_bpf *lu_bpf_start(const char *cmd, const struct lu_bpf_opts *o)
{
	struct lu_trace_bpf *skel;
	bool blackout, flb;
	int err;

	if (!lu_bpf_check(cmd, &blackout, &flb))
		return NULL;
	skel = lu_trace_bpf__open();
	if (!skel) {
		fprintf(stderr, "lu-trace %s: cannot open the BPF object: %s\n", cmd,
			strerror(errno));
		return NULL;
	}
	if (o->session)
		skel->rodata->targ_session_id = lu_session_id(o->session);
	skel->rodata->targ_stream = o->stream;
	skel->rodata->targ_kho_blocks = o->kho_blocks;
	if (o->max_sessions)
		bpf_map__set_max_entries(skel->maps.sessions, o->max_sessions);
	if (o->buffer_kb)
		bpf_map__set_max_entries(skel->maps.events, o->buffer_kb * 1024);
	if (!o->stream)
		bpf_map__set_max_entries(skel->maps.events, 4096);
	/* Per-folio programs only on request: see OVERHEAD in lu-trace(8). */
	bpf_program__set_autoload(skel->progs.handle_kho_preserve, o->kho_blocks);
	bpf_program__set_autoload(skel->progs.handle_kho_unpreserve, o->kho_blocks);
	bpf_program__set_autoload(skel->progs.handle_kho_restore, o->kho_blocks);
	bpf_program__set_autoload(skel->progs.handle_blackout, blackout);
	bpf_program__set_autoload(skel->progs.handle_flb_preserve, flb);
	bpf_program__set_autoload(skel->progs.handle_flb_unpreserve, flb);
	bpf_program__set_autoload(skel->progs.handle_flb_retrieve, flb);
	bpf_program__set_autoload(skel->progs.handle_flb_finish, flb);

	err = lu_trace_bpf__load(skel);
	if (err) {
		fprintf(stderr, "lu-trace %s: cannot load the BPF programs: %s%s\n", cmd,
			strerror(-err), lu_verbose ? "" : " (run with -v for the verifier log)");
		goto err;
	}
	err = lu_trace_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "lu-trace %s: cannot attach to the liveupdate trace events: %s (is tracefs available?)\n",
			cmd, strerror(-err));
		goto err;
	}
	return skel;
err:
	lu_trace_bpf__destroy(skel);
	return NULL;
}

void lu_bpf_stop(struct lu_trace_bpf *skel)
{
	lu_trace_bpf__destroy(skel);
}

void lu_snapshot_free(struct lu_snapshot *snap)
{
	free(snap->sessions);
	free(snap->errs);
	free(snap->err_counts);
	memset(snap, 0, sizeof(*snap));
}

/**
 * lu_snapshot_read - read the maps
 * @skel: the loaded programs
 * @snap: the result (free with lu_snapshot_free())
 *
 * Return: 0 or a negative errno.
 */
int lu_snapshot_read(struct lu_trace_bpf *skel, struct lu_snapshot *snap)
{
	int sfd = bpf_map__fd(skel->maps.sessions), efd = bpf_map__fd(skel->maps.errors);
	size_t cap = bpf_map__max_entries(skel->maps.sessions);
	size_t ecap = bpf_map__max_entries(skel->maps.errors);
	struct lu_err_key ekey, enext, *eprev = NULL;
	__u64 key, next, *prev = NULL;

	memset(snap, 0, sizeof(*snap));
	if (sfd < 0 || efd < 0)
		return -EBADF;
	snap->sessions = calloc(cap, sizeof(*snap->sessions));
	snap->errs = calloc(ecap, sizeof(*snap->errs));
	snap->err_counts = calloc(ecap, sizeof(*snap->err_counts));
	if (!snap->sessions || !snap->errs || !snap->err_counts) {
		lu_snapshot_free(snap);
		return -ENOMEM;
	}
	while (snap->nr_sessions < cap && !bpf_map_get_next_key(sfd, prev, &next)) {
		if (!bpf_map_lookup_elem(sfd, &next, &snap->sessions[snap->nr_sessions]))
			snap->nr_sessions++;
		key = next;
		prev = &key;
	}
	while (snap->nr_errs < ecap && !bpf_map_get_next_key(efd, eprev, &enext)) {
		if (!bpf_map_lookup_elem(efd, &enext, &snap->err_counts[snap->nr_errs]))
			snap->errs[snap->nr_errs++] = enext;
		ekey = enext;
		eprev = &ekey;
	}
	snap->global = skel->bss->global;
	snap->blackout = skel->bss->blackout;
	return 0;
}
