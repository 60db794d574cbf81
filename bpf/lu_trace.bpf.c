// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * lu-trace's BPF side: aggregate the liveupdate trace events per session
 * (latency histograms, files, pages, bytes, errors) and stream them through
 * a ring buffer. CO-RE against the kernel's own trace records
 * (trace_event_raw_*), attached as tp/ programs.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "lu_trace.h"

/* Tunables, set by lu-trace before load. */
const volatile __u64 targ_session_id = 0;	/* 0: every session */
const volatile bool targ_stream = false;	/* send records to the ring buffer */
const volatile bool targ_kho_blocks = false;	/* stream per-block KHO records too */

struct lu_global global = {};
struct lu_blackout_ev blackout = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);	/* lu-trace sets --max-sessions */
	__type(key, __u64);
	__type(value, struct lu_session);
} sessions SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct lu_err_key);
	__type(value, __u64);
} errors SEC(".maps");

/* memfd summary of the handler call running in a thread, until the file event. */
struct memfd_pending {
	__u64 pages;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct memfd_pending);
} pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);	/* lu-trace sets --buffer */
} events SEC(".maps");

/* A zeroed session, to create map entries from (too big for the stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lu_session);
} zero_session SEC(".maps");

static __always_inline unsigned int log2_slot(__u64 v)
{
	unsigned int slot = 0;

	/* Smallest i with v <= 2^i: the Prometheus "le" convention. */
	if (v <= 1)
		return 0;
	v--;
#pragma unroll
	for (int shift = 32; shift; shift >>= 1) {
		if (v >> shift) {
			v >>= shift;
			slot += shift;
		}
	}
	slot++;
	return slot < LU_MAX_SLOTS ? slot : LU_MAX_SLOTS - 1;
}

static __always_inline void hist_add(struct lu_hist *h, __u64 ns)
{
	unsigned int slot = log2_slot(ns);

	if (slot >= LU_MAX_SLOTS)
		return;
	__sync_fetch_and_add(&h->slots[slot], 1);
	__sync_fetch_and_add(&h->count, 1);
	__sync_fetch_and_add(&h->sum_ns, ns);
	if (ns > h->max_ns)
		h->max_ns = ns;	/* racy, but only ever grows */
}

static __always_inline void count_event(unsigned int type)
{
	if (type < LU_EV_NR)
		__sync_fetch_and_add(&global.events[type], 1);
}

static __always_inline void count_error(unsigned int step, int ret)
{
	struct lu_err_key key = { .step = step, .err = ret };
	__u64 one = 1, *n;

	if (!ret)
		return;
	n = bpf_map_lookup_elem(&errors, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&errors, &key, &one, BPF_NOEXIST);
}

static __always_inline struct lu_session *session_get(__u64 id)
{
	struct lu_session *s;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&sessions, &id);
	if (s)
		return s;
	s = bpf_map_lookup_elem(&zero_session, &zero);
	if (!s)
		return NULL;
	s->id = id;
	s->first_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&sessions, &id, s, BPF_NOEXIST);
	s->id = 0;
	s->first_ns = 0;
	return bpf_map_lookup_elem(&sessions, &id);
}

static __always_inline bool session_filtered(__u64 id)
{
	return targ_session_id && id != targ_session_id;
}

/* Reserve a ring buffer record, counting a drop when it is full. */
static __always_inline struct lu_event *event_new(unsigned int type, __u64 session_id)
{
	struct lu_event *e;

	if (!targ_stream)
		return NULL;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&global.drops, 1);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->type = type;
	e->session_id = session_id;
	e->cpu = bpf_get_smp_processor_id();
	e->pid = bpf_get_current_pid_tgid();
	return e;
}

/*
 * Wake the consumer only once a quarter of the ring buffer is used: it also
 * drains every 100 ms, and a wakeup per record costs more than the record.
 */
static __always_inline __u64 wakeup_flags(void)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 size = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE);

	return avail >= size / 4 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/* Copy a __string() field of a trace record. */
static __always_inline void copy_str(char *dst, unsigned int size, void *ctx, __u32 loc)
{
	bpf_probe_read_kernel_str(dst, size, ctx + (loc & 0xffff));
}

/* Count an event of @type (a failure of @step if @ret) and reserve its record. */
static __always_inline struct lu_event *count_and_reserve(unsigned int type, unsigned int step,
							  int ret)
{
	struct lu_event *e;

	count_event(type);
	count_error(step, ret);
	e = event_new(type, 0);
	if (e)
		e->ret = ret;
	return e;
}

/* ---------------------------------------------------------------------- */
/* Sessions                                                                */
/* ---------------------------------------------------------------------- */

static __always_inline int on_session(struct trace_event_raw_liveupdate_luo_session *ctx,
				      unsigned int type, __u32 flag, unsigned int step)
{
	__u64 id = BPF_CORE_READ(ctx, session_id);
	__u32 loc = BPF_CORE_READ(ctx, __data_loc_name);
	int ret = BPF_CORE_READ(ctx, ret);
	struct lu_session *s;
	struct lu_event *e;

	if (session_filtered(id))
		return 0;
	count_event(type);
	if (step < LU_STEP_NR)
		count_error(step, ret);
	s = session_get(id);
	if (s) {
		if (!s->name[0])
			copy_str(s->name, sizeof(s->name), ctx, loc);
		if (!ret)
			__sync_fetch_and_or(&s->flags, flag);
		else
			__sync_fetch_and_add(&s->errors, 1);
		s->last_ns = bpf_ktime_get_ns();
	}
	e = event_new(type, id);
	if (!e)
		return 0;
	e->a = BPF_CORE_READ(ctx, files);
	e->ret = ret;
	copy_str(e->name, sizeof(e->name), ctx, loc);
	bpf_ringbuf_submit(e, wakeup_flags());
	return 0;
}

SEC("tp/liveupdate/luo_session_create")
int handle_session_create(struct trace_event_raw_liveupdate_luo_session *ctx)
{
	return on_session(ctx, LU_EV_SESSION_CREATE, LU_S_CREATED, LU_STEP_SESSION_CREATE);
}

SEC("tp/liveupdate/luo_session_retrieve")
int handle_session_retrieve(struct trace_event_raw_liveupdate_luo_session *ctx)
{
	return on_session(ctx, LU_EV_SESSION_RETRIEVE, LU_S_RETRIEVED, LU_STEP_SESSION_RETRIEVE);
}

SEC("tp/liveupdate/luo_session_finish")
int handle_session_finish(struct trace_event_raw_liveupdate_luo_session *ctx)
{
	return on_session(ctx, LU_EV_SESSION_FINISH, LU_S_FINISHED, LU_STEP_SESSION_FINISH);
}

SEC("tp/liveupdate/luo_session_release")
int handle_session_release(struct trace_event_raw_liveupdate_luo_session *ctx)
{
	return on_session(ctx, LU_EV_SESSION_RELEASE, LU_S_RELEASED, LU_STEP_NR);
}

/* ---------------------------------------------------------------------- */
/* Files                                                                   */
/* ---------------------------------------------------------------------- */

/*
 * @op: histogram (LU_OP_*) or LU_OP_NR for none; @memfd: take the memfd
 * summary the handler just reported in this thread (1 preserve, 2 restore).
 */
static __always_inline int on_file(struct trace_event_raw_liveupdate_luo_file *ctx,
				   unsigned int type, unsigned int op, unsigned int step, int memfd)
{
	__u64 id = BPF_CORE_READ(ctx, session_id);
	__u64 dur = BPF_CORE_READ(ctx, duration_ns);
	__u64 tid = bpf_get_current_pid_tgid();
	int ret = BPF_CORE_READ(ctx, ret);
	struct memfd_pending *p = NULL;
	struct lu_session *s;
	struct lu_event *e;

	if (memfd) {
		p = bpf_map_lookup_elem(&pending, &tid);
		if (p && session_filtered(id))
			bpf_map_delete_elem(&pending, &tid);
	}
	if (session_filtered(id))
		return 0;
	count_event(type);
	count_error(step, ret);
	s = session_get(id);
	if (s) {
		/* Named by a session event, else by the file event (newer kernels). */
		if (!s->name[0] && bpf_core_field_exists(ctx->__data_loc_session))
			copy_str(s->name, sizeof(s->name), ctx,
				 BPF_CORE_READ(ctx, __data_loc_session));
		if (ret) {
			__sync_fetch_and_add(&s->errors, 1);
		} else if (op < LU_OP_NR) {
			__sync_fetch_and_add(&s->files[op], 1);
			hist_add(&s->hist[op], dur);
		} else if (type == LU_EV_FILE_UNPRESERVE) {
			__sync_fetch_and_add(&s->unpreserved, 1);
		} else if (type == LU_EV_FILE_UNFREEZE) {
			__sync_fetch_and_add(&s->unfrozen, 1);
		}
		if (p && !ret && memfd == 1) {
			__sync_fetch_and_add(&s->preserved_pages, p->pages);
			__sync_fetch_and_add(&s->preserved_bytes, p->bytes);
		} else if (p && !ret && memfd == 2) {
			__sync_fetch_and_add(&s->restored_pages, p->pages);
			__sync_fetch_and_add(&s->restored_bytes, p->bytes);
		}
		s->last_ns = bpf_ktime_get_ns();
	}
	e = event_new(type, id);
	if (e) {
		e->token = BPF_CORE_READ(ctx, token);
		e->duration_ns = dur;
		e->ret = ret;
		if (p) {
			e->a = p->pages;
			e->b = p->bytes;
		}
		copy_str(e->name, LU_COMPAT_LEN, ctx, BPF_CORE_READ(ctx, __data_loc_compatible));
		bpf_ringbuf_submit(e, wakeup_flags());
	}
	if (p)
		bpf_map_delete_elem(&pending, &tid);
	return 0;
}

SEC("tp/liveupdate/luo_file_preserve")
int handle_file_preserve(struct trace_event_raw_liveupdate_luo_file *ctx)
{
	return on_file(ctx, LU_EV_FILE_PRESERVE, LU_OP_PRESERVE, LU_STEP_PRESERVE, 1);
}

SEC("tp/liveupdate/luo_file_unpreserve")
int handle_file_unpreserve(struct trace_event_raw_liveupdate_luo_file *ctx)
{
	return on_file(ctx, LU_EV_FILE_UNPRESERVE, LU_OP_NR, LU_STEP_UNPRESERVE, 0);
}

SEC("tp/liveupdate/luo_file_freeze")
int handle_file_freeze(struct trace_event_raw_liveupdate_luo_file *ctx)
{
	return on_file(ctx, LU_EV_FILE_FREEZE, LU_OP_FREEZE, LU_STEP_FREEZE, 0);
}

SEC("tp/liveupdate/luo_file_unfreeze")
int handle_file_unfreeze(struct trace_event_raw_liveupdate_luo_file *ctx)
{
	return on_file(ctx, LU_EV_FILE_UNFREEZE, LU_OP_NR, LU_STEP_UNFREEZE, 0);
}

SEC("tp/liveupdate/luo_file_retrieve")
int handle_file_retrieve(struct trace_event_raw_liveupdate_luo_file *ctx)
{
	return on_file(ctx, LU_EV_FILE_RETRIEVE, LU_OP_RETRIEVE, LU_STEP_RETRIEVE, 2);
}

SEC("tp/liveupdate/luo_file_finish")
int handle_file_finish(struct trace_event_raw_liveupdate_luo_file *ctx)
{
	return on_file(ctx, LU_EV_FILE_FINISH, LU_OP_FINISH, LU_STEP_FINISH, 0);
}

/* ---------------------------------------------------------------------- */
/* memfd summaries: held until the file event of the same thread           */
/* ---------------------------------------------------------------------- */

static __always_inline int on_memfd(struct trace_event_raw_liveupdate_memfd *ctx,
				    unsigned int type, unsigned int step)
{
	struct memfd_pending p = {
		.pages = BPF_CORE_READ(ctx, pages),
		.bytes = BPF_CORE_READ(ctx, size),
	};
	__u64 tid = bpf_get_current_pid_tgid();
	int ret = BPF_CORE_READ(ctx, ret);
	struct lu_event *e;

	if (!ret)
		bpf_map_update_elem(&pending, &tid, &p, BPF_ANY);
	e = count_and_reserve(type, step, ret);
	if (!e)
		return 0;
	e->duration_ns = BPF_CORE_READ(ctx, duration_ns);
	e->a = p.pages;
	e->b = p.bytes;
	e->c = BPF_CORE_READ(ctx, folios);
	e->d = BPF_CORE_READ(ctx, holes);
	bpf_ringbuf_submit(e, wakeup_flags());
	return 0;
}

SEC("tp/liveupdate/memfd_preserve")
int handle_memfd_preserve(struct trace_event_raw_liveupdate_memfd *ctx)
{
	return on_memfd(ctx, LU_EV_MEMFD_PRESERVE, LU_STEP_MEMFD_PRESERVE);
}

SEC("tp/liveupdate/memfd_retrieve")
int handle_memfd_retrieve(struct trace_event_raw_liveupdate_memfd *ctx)
{
	return on_memfd(ctx, LU_EV_MEMFD_RETRIEVE, LU_STEP_MEMFD_RETRIEVE);
}

/* ---------------------------------------------------------------------- */
/* Serialization                                                           */
/* ---------------------------------------------------------------------- */

SEC("tp/liveupdate/luo_serialize_begin")
int handle_serialize_begin(struct trace_event_raw_luo_serialize_begin *ctx)
{
	struct lu_event *e;

	count_event(LU_EV_SERIALIZE_BEGIN);
	e = event_new(LU_EV_SERIALIZE_BEGIN, 0);
	if (!e)
		return 0;
	e->a = BPF_CORE_READ(ctx, files);
	e->c = BPF_CORE_READ(ctx, sessions);
	bpf_ringbuf_submit(e, wakeup_flags());
	return 0;
}

static __always_inline int on_state(struct trace_event_raw_liveupdate_luo_state *ctx,
				    unsigned int type, unsigned int step)
{
	__u64 bytes = BPF_CORE_READ(ctx, bytes), dur = BPF_CORE_READ(ctx, duration_ns);
	int ret = BPF_CORE_READ(ctx, ret);
	struct lu_event *e;

	if (type == LU_EV_SERIALIZE_END) {
		global.serialize_bytes = bytes;
		global.serialize_ns = dur;
	} else {
		global.deserialize_bytes = bytes;
		global.deserialize_ns = dur;
	}
	e = count_and_reserve(type, step, ret);
	if (!e)
		return 0;
	e->duration_ns = dur;
	e->a = BPF_CORE_READ(ctx, files);
	e->b = bytes;
	e->c = BPF_CORE_READ(ctx, sessions);
	bpf_ringbuf_submit(e, wakeup_flags());
	return 0;
}

SEC("tp/liveupdate/luo_serialize_end")
int handle_serialize_end(struct trace_event_raw_liveupdate_luo_state *ctx)
{
	return on_state(ctx, LU_EV_SERIALIZE_END, LU_STEP_SERIALIZE);
}

SEC("tp/liveupdate/luo_deserialize")
int handle_deserialize(struct trace_event_raw_liveupdate_luo_state *ctx)
{
	return on_state(ctx, LU_EV_DESERIALIZE, LU_STEP_DESERIALIZE);
}

/* ---------------------------------------------------------------------- */
/* kho_block sets, subtrees, vmalloc                                       */
/* ---------------------------------------------------------------------- */

static __always_inline int on_block_set(struct trace_event_raw_liveupdate_kho_block_set *ctx,
					unsigned int type)
{
	__u64 blocks = BPF_CORE_READ(ctx, blocks);
	int ret = BPF_CORE_READ(ctx, ret);
	struct lu_event *e;

	e = count_and_reserve(type, LU_STEP_BLOCK, ret);
	if (!e)
		return 0;
	e->token = BPF_CORE_READ(ctx, entry_size);
	e->a = blocks;
	e->b = BPF_CORE_READ(ctx, entries);
	bpf_ringbuf_submit(e, wakeup_flags());
	return 0;
}

SEC("tp/liveupdate/kho_block_grow")
int handle_block_grow(struct trace_event_raw_liveupdate_kho_block_set *ctx)
{
	return on_block_set(ctx, LU_EV_BLOCK_GROW);
}

SEC("tp/liveupdate/kho_block_shrink")
int handle_block_shrink(struct trace_event_raw_liveupdate_kho_block_set *ctx)
{
	return on_block_set(ctx, LU_EV_BLOCK_SHRINK);
}

SEC("tp/liveupdate/kho_block_restore")
int handle_block_restore(struct trace_event_raw_liveupdate_kho_block_set *ctx)
{
	return on_block_set(ctx, LU_EV_BLOCK_RESTORE);
}

static __always_inline int on_subtree(struct trace_event_raw_liveupdate_kho_subtree *ctx,
				      unsigned int type)
{
	int ret = BPF_CORE_READ(ctx, ret);
	struct lu_event *e;

	e = count_and_reserve(type, LU_STEP_KHO, ret);
	if (!e)
		return 0;
	e->b = BPF_CORE_READ(ctx, size);
	copy_str(e->name, sizeof(e->name), ctx, BPF_CORE_READ(ctx, __data_loc_name));
	bpf_ringbuf_submit(e, wakeup_flags());
	return 0;
}

SEC("tp/liveupdate/kho_subtree_add")
int handle_subtree_add(struct trace_event_raw_liveupdate_kho_subtree *ctx)
{
	return on_subtree(ctx, LU_EV_SUBTREE_ADD);
}

SEC("tp/liveupdate/kho_subtree_remove")
int handle_subtree_remove(struct trace_event_raw_liveupdate_kho_subtree *ctx)
{
	return on_subtree(ctx, LU_EV_SUBTREE_REMOVE);
}

/* FLB events: the FLB's compatible string, its dependent files. */
static __always_inline int on_flb(struct trace_event_raw_liveupdate_luo_flb *ctx,
				  unsigned int type)
{
	int ret = BPF_CORE_READ(ctx, ret);
	struct lu_event *e;

	e = count_and_reserve(type, LU_STEP_FLB, ret);
	if (!e)
		return 0;
	e->a = BPF_CORE_READ(ctx, files);
	e->duration_ns = BPF_CORE_READ(ctx, duration_ns);
	copy_str(e->name, LU_COMPAT_LEN, ctx, BPF_CORE_READ(ctx, __data_loc_compatible));
	bpf_ringbuf_submit(e, wakeup_flags());
	return 0;
}

SEC("tp/liveupdate/luo_flb_preserve")
int handle_flb_preserve(struct trace_event_raw_liveupdate_luo_flb *ctx)
{
	return on_flb(ctx, LU_EV_FLB_PRESERVE);
}

SEC("tp/liveupdate/luo_flb_unpreserve")
int handle_flb_unpreserve(struct trace_event_raw_liveupdate_luo_flb *ctx)
{
	return on_flb(ctx, LU_EV_FLB_UNPRESERVE);
}

SEC("tp/liveupdate/luo_flb_retrieve")
int handle_flb_retrieve(struct trace_event_raw_liveupdate_luo_flb *ctx)
{
	return on_flb(ctx, LU_EV_FLB_RETRIEVE);
}

SEC("tp/liveupdate/luo_flb_finish")
int handle_flb_finish(struct trace_event_raw_liveupdate_luo_flb *ctx)
{
	return on_flb(ctx, LU_EV_FLB_FINISH);
}

static __always_inline int on_vmalloc(struct trace_event_raw_liveupdate_kho_vmalloc *ctx,
				      unsigned int type)
{
	int ret = BPF_CORE_READ(ctx, ret);
	struct lu_event *e;

	e = count_and_reserve(type, LU_STEP_KHO, ret);
	if (!e)
		return 0;
	e->a = BPF_CORE_READ(ctx, pages);
	bpf_ringbuf_submit(e, wakeup_flags());
	return 0;
}

SEC("tp/liveupdate/kho_vmalloc_preserve")
int handle_vmalloc_preserve(struct trace_event_raw_liveupdate_kho_vmalloc *ctx)
{
	return on_vmalloc(ctx, LU_EV_VMALLOC_PRESERVE);
}

SEC("tp/liveupdate/kho_vmalloc_restore")
int handle_vmalloc_restore(struct trace_event_raw_liveupdate_kho_vmalloc *ctx)
{
	return on_vmalloc(ctx, LU_EV_VMALLOC_RESTORE);
}

/* ---------------------------------------------------------------------- */
/* KHO blocks: one event per folio; loaded only with --kho-blocks          */
/* ---------------------------------------------------------------------- */

static __always_inline int on_kho_block(struct trace_event_raw_liveupdate_kho_block *ctx,
					unsigned int type)
{
	unsigned int order = BPF_CORE_READ(ctx, order);
	int ret = BPF_CORE_READ(ctx, ret);
	struct lu_event *e;

	count_event(type);
	count_error(LU_STEP_KHO, ret);
	if (!ret && order < LU_MAX_ORDER) {
		if (type == LU_EV_KHO_PRESERVE)
			__sync_fetch_and_add(&global.kho_blocks[order], 1);
		else if (type == LU_EV_KHO_UNPRESERVE)
			__sync_fetch_and_add(&global.kho_blocks[order], -1);
		else
			__sync_fetch_and_add(&global.kho_restored[order], 1);
	}
	if (!targ_kho_blocks)
		return 0;
	e = event_new(type, 0);
	if (!e)
		return 0;
	e->token = BPF_CORE_READ(ctx, pfn);
	e->a = order;
	e->ret = ret;
	bpf_ringbuf_submit(e, wakeup_flags());
	return 0;
}

SEC("tp/liveupdate/kho_preserve")
int handle_kho_preserve(struct trace_event_raw_liveupdate_kho_block *ctx)
{
	return on_kho_block(ctx, LU_EV_KHO_PRESERVE);
}

SEC("tp/liveupdate/kho_unpreserve")
int handle_kho_unpreserve(struct trace_event_raw_liveupdate_kho_block *ctx)
{
	return on_kho_block(ctx, LU_EV_KHO_UNPRESERVE);
}

SEC("tp/liveupdate/kho_restore")
int handle_kho_restore(struct trace_event_raw_liveupdate_kho_block *ctx)
{
	return on_kho_block(ctx, LU_EV_KHO_RESTORE);
}

/* ---------------------------------------------------------------------- */
/* Blackout                                                                */
/* ---------------------------------------------------------------------- */

SEC("tp/liveupdate/luo_blackout")
int handle_blackout(struct trace_event_raw_luo_blackout *ctx)
{
	struct lu_event *e;

	count_event(LU_EV_BLACKOUT);
	blackout.update = BPF_CORE_READ(ctx, update);
	blackout.sessions = BPF_CORE_READ(ctx, sessions);
	blackout.files = BPF_CORE_READ(ctx, files);
	blackout.phase_ns[0] = BPF_CORE_READ(ctx, freeze_ns);
	blackout.phase_ns[1] = BPF_CORE_READ(ctx, serialize_ns);
	blackout.phase_ns[2] = BPF_CORE_READ(ctx, shutdown_ns);
	blackout.phase_ns[3] = BPF_CORE_READ(ctx, jump_ns);
	blackout.phase_ns[4] = BPF_CORE_READ(ctx, kho_ns);
	blackout.phase_ns[5] = BPF_CORE_READ(ctx, boot_ns);
	blackout.phase_ns[6] = BPF_CORE_READ(ctx, userspace_ns);
	blackout.phase_ns[7] = BPF_CORE_READ(ctx, restore_ns);
	blackout.total_ns = BPF_CORE_READ(ctx, total_ns);
	e = event_new(LU_EV_BLACKOUT, 0);
	if (!e)
		return 0;
	e->token = blackout.update;
	e->duration_ns = blackout.total_ns;
	e->a = blackout.files;
	e->c = blackout.sessions;
	bpf_ringbuf_submit(e, wakeup_flags());
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
