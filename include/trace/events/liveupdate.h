/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * Trace events of live update: KHO, kho_block, LUO and memfd preservation.
 * No event carries a kernel pointer. A session is named by its id, a hash
 * of its (unique) name that is the same before and after the kexec.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM liveupdate

#if !defined(_TRACE_LIVEUPDATE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_LIVEUPDATE_H

#include <linux/tracepoint.h>

/* CONFIG_LIVEUPDATE_TRACE=n builds every event out (empty inline stubs). */
#ifdef CONFIG_LIVEUPDATE_TRACE
#define LU_EVENT_CLASS	DECLARE_EVENT_CLASS
#define LU_EVENT	DEFINE_EVENT
#define LU_TRACE_EVENT	TRACE_EVENT
#else
#define LU_EVENT_CLASS	DECLARE_EVENT_CLASS_NOP
#define LU_EVENT	DEFINE_EVENT_NOP
#define LU_TRACE_EVENT	TRACE_EVENT_NOP
#endif

/**
 * DOC: KHO block events
 *
 * kho_preserve, kho_unpreserve, kho_restore: one block of memory (a folio
 * or part of a page range) preserved, unpreserved or restored. @pfn and
 * @order name the block, @ret is 0 or the errno returned. Cheap enough to
 * stay enabled while an update runs: three integers.
 */
LU_EVENT_CLASS(liveupdate_kho_block,
	TP_PROTO(unsigned long pfn, unsigned int order, int ret),
	TP_ARGS(pfn, order, ret),
	TP_STRUCT__entry(
		__field(unsigned long, pfn)
		__field(unsigned int, order)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->pfn = pfn;
		__entry->order = order;
		__entry->ret = ret;
	),
	TP_printk("pfn=%#lx order=%u ret=%d", __entry->pfn, __entry->order, __entry->ret)
);

LU_EVENT(liveupdate_kho_block, kho_preserve,
	TP_PROTO(unsigned long pfn, unsigned int order, int ret),
	TP_ARGS(pfn, order, ret));

LU_EVENT(liveupdate_kho_block, kho_unpreserve,
	TP_PROTO(unsigned long pfn, unsigned int order, int ret),
	TP_ARGS(pfn, order, ret));

LU_EVENT(liveupdate_kho_block, kho_restore,
	TP_PROTO(unsigned long pfn, unsigned int order, int ret),
	TP_ARGS(pfn, order, ret));

/**
 * DOC: KHO vmalloc and subtree events
 *
 * kho_vmalloc_preserve, kho_vmalloc_restore: a vmalloc area of @pages
 * pages; @ret is 0 or the errno. kho_subtree_add, kho_subtree_remove: a
 * named blob of @size bytes in the root tree.
 */
LU_EVENT_CLASS(liveupdate_kho_vmalloc,
	TP_PROTO(unsigned long pages, int ret),
	TP_ARGS(pages, ret),
	TP_STRUCT__entry(
		__field(unsigned long, pages)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->pages = pages;
		__entry->ret = ret;
	),
	TP_printk("pages=%lu ret=%d", __entry->pages, __entry->ret)
);

LU_EVENT(liveupdate_kho_vmalloc, kho_vmalloc_preserve,
	TP_PROTO(unsigned long pages, int ret),
	TP_ARGS(pages, ret));

LU_EVENT(liveupdate_kho_vmalloc, kho_vmalloc_restore,
	TP_PROTO(unsigned long pages, int ret),
	TP_ARGS(pages, ret));

LU_EVENT_CLASS(liveupdate_kho_subtree,
	TP_PROTO(const char *name, u64 size, int ret),
	TP_ARGS(name, size, ret),
	TP_STRUCT__entry(
		__string(name, name)
		__field(u64, size)
		__field(int, ret)
	),
	TP_fast_assign(
		__assign_str(name);
		__entry->size = size;
		__entry->ret = ret;
	),
	TP_printk("name=%s size=%llu ret=%d", __get_str(name), __entry->size, __entry->ret)
);

LU_EVENT(liveupdate_kho_subtree, kho_subtree_add,
	TP_PROTO(const char *name, u64 size, int ret),
	TP_ARGS(name, size, ret));

LU_EVENT(liveupdate_kho_subtree, kho_subtree_remove,
	TP_PROTO(const char *name, u64 size, int ret),
	TP_ARGS(name, size, ret));

/**
 * DOC: kho_block events
 *
 * kho_block_grow, kho_block_shrink: a set of @entry_size-byte entries now
 * has @blocks blocks; @ret is 0 or the errno. kho_block_restore: an
 * incoming set of @entries entries in @blocks blocks was claimed (@ret 0)
 * or rejected.
 */
LU_EVENT_CLASS(liveupdate_kho_block_set,
	TP_PROTO(unsigned int entry_size, unsigned long blocks, u64 entries, int ret),
	TP_ARGS(entry_size, blocks, entries, ret),
	TP_STRUCT__entry(
		__field(unsigned int, entry_size)
		__field(unsigned long, blocks)
		__field(u64, entries)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->entry_size = entry_size;
		__entry->blocks = blocks;
		__entry->entries = entries;
		__entry->ret = ret;
	),
	TP_printk("entry_size=%u blocks=%lu entries=%llu ret=%d", __entry->entry_size,
		  __entry->blocks, __entry->entries, __entry->ret)
);

LU_EVENT(liveupdate_kho_block_set, kho_block_grow,
	TP_PROTO(unsigned int entry_size, unsigned long blocks, u64 entries, int ret),
	TP_ARGS(entry_size, blocks, entries, ret));

LU_EVENT(liveupdate_kho_block_set, kho_block_shrink,
	TP_PROTO(unsigned int entry_size, unsigned long blocks, u64 entries, int ret),
	TP_ARGS(entry_size, blocks, entries, ret));

LU_EVENT(liveupdate_kho_block_set, kho_block_restore,
	TP_PROTO(unsigned int entry_size, unsigned long blocks, u64 entries, int ret),
	TP_ARGS(entry_size, blocks, entries, ret));

/**
 * DOC: LUO session events
 *
 * luo_session_create, luo_session_retrieve, luo_session_finish,
 * luo_session_release: a session (@session_id, @name) with @files files;
 * @ret is 0 or the errno returned to userspace.
 */
LU_EVENT_CLASS(liveupdate_luo_session,
	TP_PROTO(u64 session_id, const char *name, unsigned long files, int ret),
	TP_ARGS(session_id, name, files, ret),
	TP_STRUCT__entry(
		__field(u64, session_id)
		__string(name, name)
		__field(unsigned long, files)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->session_id = session_id;
		__assign_str(name);
		__entry->files = files;
		__entry->ret = ret;
	),
	TP_printk("session_id=%#llx name=%s files=%lu ret=%d", __entry->session_id,
		  __get_str(name), __entry->files, __entry->ret)
);

LU_EVENT(liveupdate_luo_session, luo_session_create,
	TP_PROTO(u64 session_id, const char *name, unsigned long files, int ret),
	TP_ARGS(session_id, name, files, ret));

LU_EVENT(liveupdate_luo_session, luo_session_retrieve,
	TP_PROTO(u64 session_id, const char *name, unsigned long files, int ret),
	TP_ARGS(session_id, name, files, ret));

LU_EVENT(liveupdate_luo_session, luo_session_finish,
	TP_PROTO(u64 session_id, const char *name, unsigned long files, int ret),
	TP_ARGS(session_id, name, files, ret));

LU_EVENT(liveupdate_luo_session, luo_session_release,
	TP_PROTO(u64 session_id, const char *name, unsigned long files, int ret),
	TP_ARGS(session_id, name, files, ret));

/**
 * DOC: LUO file events
 *
 * luo_file_preserve, luo_file_unpreserve, luo_file_freeze,
 * luo_file_unfreeze, luo_file_retrieve, luo_file_finish: a file of session
 * @session_id (named @session) with @token, of the type @compatible; @ret
 * is 0 or the errno; @duration_ns is the time the handler took. The name
 * lets a tool that attaches after a session was created still name it.
 */
LU_EVENT_CLASS(liveupdate_luo_file,
	TP_PROTO(u64 session_id, const char *session, u64 token, const char *compatible, int ret,
		 u64 duration_ns),
	TP_ARGS(session_id, session, token, compatible, ret, duration_ns),
	TP_STRUCT__entry(
		__field(u64, session_id)
		__string(session, session)
		__field(u64, token)
		__string(compatible, compatible)
		__field(int, ret)
		__field(u64, duration_ns)
	),
	TP_fast_assign(
		__entry->session_id = session_id;
		__assign_str(session);
		__entry->token = token;
		__assign_str(compatible);
		__entry->ret = ret;
		__entry->duration_ns = duration_ns;
	),
	TP_printk("session_id=%#llx session=%s token=%#llx compatible=%s ret=%d duration_ns=%llu",
		  __entry->session_id, __get_str(session), __entry->token, __get_str(compatible),
		  __entry->ret, __entry->duration_ns)
);

LU_EVENT(liveupdate_luo_file, luo_file_preserve,
	TP_PROTO(u64 session_id, const char *session, u64 token, const char *compatible, int ret,
		 u64 duration_ns),
	TP_ARGS(session_id, session, token, compatible, ret, duration_ns));

LU_EVENT(liveupdate_luo_file, luo_file_unpreserve,
	TP_PROTO(u64 session_id, const char *session, u64 token, const char *compatible, int ret,
		 u64 duration_ns),
	TP_ARGS(session_id, session, token, compatible, ret, duration_ns));

LU_EVENT(liveupdate_luo_file, luo_file_freeze,
	TP_PROTO(u64 session_id, const char *session, u64 token, const char *compatible, int ret,
		 u64 duration_ns),
	TP_ARGS(session_id, session, token, compatible, ret, duration_ns));

LU_EVENT(liveupdate_luo_file, luo_file_unfreeze,
	TP_PROTO(u64 session_id, const char *session, u64 token, const char *compatible, int ret,
		 u64 duration_ns),
	TP_ARGS(session_id, session, token, compatible, ret, duration_ns));

LU_EVENT(liveupdate_luo_file, luo_file_retrieve,
	TP_PROTO(u64 session_id, const char *session, u64 token, const char *compatible, int ret,
		 u64 duration_ns),
	TP_ARGS(session_id, session, token, compatible, ret, duration_ns));

LU_EVENT(liveupdate_luo_file, luo_file_finish,
	TP_PROTO(u64 session_id, const char *session, u64 token, const char *compatible, int ret,
		 u64 duration_ns),
	TP_ARGS(session_id, session, token, compatible, ret, duration_ns));

/**
 * DOC: FLB events
 *
 * luo_flb_preserve, luo_flb_unpreserve, luo_flb_retrieve, luo_flb_finish:
 * the File-Lifecycle-Bound state @compatible; @files is how many files
 * depend on it (the one being preserved included; 0 when the last one has
 * gone); @ret is 0 or the errno; @duration_ns is the time its operation
 * took.
 */
LU_EVENT_CLASS(liveupdate_luo_flb,
	TP_PROTO(const char *compatible, unsigned long files, int ret, u64 duration_ns),
	TP_ARGS(compatible, files, ret, duration_ns),
	TP_STRUCT__entry(
		__string(compatible, compatible)
		__field(unsigned long, files)
		__field(int, ret)
		__field(u64, duration_ns)
	),
	TP_fast_assign(
		__assign_str(compatible);
		__entry->files = files;
		__entry->ret = ret;
		__entry->duration_ns = duration_ns;
	),
	TP_printk("compatible=%s files=%lu ret=%d duration_ns=%llu", __get_str(compatible),
		  __entry->files, __entry->ret, __entry->duration_ns)
);

LU_EVENT(liveupdate_luo_flb, luo_flb_preserve,
	TP_PROTO(const char *compatible, unsigned long files, int ret, u64 duration_ns),
	TP_ARGS(compatible, files, ret, duration_ns));

LU_EVENT(liveupdate_luo_flb, luo_flb_unpreserve,
	TP_PROTO(const char *compatible, unsigned long files, int ret, u64 duration_ns),
	TP_ARGS(compatible, files, ret, duration_ns));

LU_EVENT(liveupdate_luo_flb, luo_flb_retrieve,
	TP_PROTO(const char *compatible, unsigned long files, int ret, u64 duration_ns),
	TP_ARGS(compatible, files, ret, duration_ns));

LU_EVENT(liveupdate_luo_flb, luo_flb_finish,
	TP_PROTO(const char *compatible, unsigned long files, int ret, u64 duration_ns),
	TP_ARGS(compatible, files, ret, duration_ns));

/**
 * DOC: format events
 *
 * luo_format: at reboot(KEXEC), before anything is frozen, one event per
 * handover format: the @version it will be written at (0: none; a format
 * with @live data and no version refuses the kexec), and whether it has
 * data to hand over.
 */
LU_TRACE_EVENT(luo_format,
	TP_PROTO(const char *name, unsigned int version, bool live),
	TP_ARGS(name, version, live),
	TP_STRUCT__entry(
		__string(name, name)
		__field(unsigned int, version)
		__field(bool, live)
	),
	TP_fast_assign(
		__assign_str(name);
		__entry->version = version;
		__entry->live = live;
	),
	TP_printk("format=%s version=%u live=%d", __get_str(name), __entry->version,
		  __entry->live)
);

/**
 * DOC: LUO serialization events
 *
 * luo_serialize_begin: the reboot path starts freezing @sessions sessions
 * with @files files. luo_serialize_end: done (@ret 0) or cancelled (the
 * errno reboot() returns), after @duration_ns, with @bytes of metadata.
 * luo_deserialize: the next kernel read @sessions sessions holding
 * @files files in @duration_ns (@ret 0), or rejected the state.
 */
LU_TRACE_EVENT(luo_serialize_begin,
	TP_PROTO(unsigned long sessions, unsigned long files),
	TP_ARGS(sessions, files),
	TP_STRUCT__entry(
		__field(unsigned long, sessions)
		__field(unsigned long, files)
	),
	TP_fast_assign(
		__entry->sessions = sessions;
		__entry->files = files;
	),
	TP_printk("sessions=%lu files=%lu", __entry->sessions, __entry->files)
);

LU_EVENT_CLASS(liveupdate_luo_state,
	TP_PROTO(unsigned long sessions, unsigned long files, u64 bytes, int ret, u64 duration_ns),
	TP_ARGS(sessions, files, bytes, ret, duration_ns),
	TP_STRUCT__entry(
		__field(unsigned long, sessions)
		__field(unsigned long, files)
		__field(u64, bytes)
		__field(int, ret)
		__field(u64, duration_ns)
	),
	TP_fast_assign(
		__entry->sessions = sessions;
		__entry->files = files;
		__entry->bytes = bytes;
		__entry->ret = ret;
		__entry->duration_ns = duration_ns;
	),
	TP_printk("sessions=%lu files=%lu bytes=%llu ret=%d duration_ns=%llu",
		  __entry->sessions, __entry->files, __entry->bytes, __entry->ret,
		  __entry->duration_ns)
);

LU_EVENT(liveupdate_luo_state, luo_serialize_end,
	TP_PROTO(unsigned long sessions, unsigned long files, u64 bytes, int ret, u64 duration_ns),
	TP_ARGS(sessions, files, bytes, ret, duration_ns));

LU_EVENT(liveupdate_luo_state, luo_deserialize,
	TP_PROTO(unsigned long sessions, unsigned long files, u64 bytes, int ret, u64 duration_ns),
	TP_ARGS(sessions, files, bytes, ret, duration_ns));

/**
 * DOC: memfd events
 *
 * memfd_preserve, memfd_retrieve: a memfd of @size bytes; @folios is the
 * number of its folios, @pages the pages in them, @holes the pages of its
 * size not present (not preserved); @ret is 0 or the errno; @duration_ns
 * the time taken.
 */
LU_EVENT_CLASS(liveupdate_memfd,
	TP_PROTO(u64 size, unsigned long folios, unsigned long pages, unsigned long holes,
		 int ret, u64 duration_ns),
	TP_ARGS(size, folios, pages, holes, ret, duration_ns),
	TP_STRUCT__entry(
		__field(u64, size)
		__field(unsigned long, folios)
		__field(unsigned long, pages)
		__field(unsigned long, holes)
		__field(int, ret)
		__field(u64, duration_ns)
	),
	TP_fast_assign(
		__entry->size = size;
		__entry->folios = folios;
		__entry->pages = pages;
		__entry->holes = holes;
		__entry->ret = ret;
		__entry->duration_ns = duration_ns;
	),
	TP_printk("size=%llu folios=%lu pages=%lu holes=%lu ret=%d duration_ns=%llu",
		  __entry->size, __entry->folios, __entry->pages, __entry->holes, __entry->ret,
		  __entry->duration_ns)
);

LU_EVENT(liveupdate_memfd, memfd_preserve,
	TP_PROTO(u64 size, unsigned long folios, unsigned long pages, unsigned long holes,
		 int ret, u64 duration_ns),
	TP_ARGS(size, folios, pages, holes, ret, duration_ns));

LU_EVENT(liveupdate_memfd, memfd_retrieve,
	TP_PROTO(u64 size, unsigned long folios, unsigned long pages, unsigned long holes,
		 int ret, u64 duration_ns),
	TP_ARGS(size, folios, pages, holes, ret, duration_ns));

/**
 * DOC: Blackout event
 *
 * luo_blackout: fires in the new kernel when the live update that started
 * it is complete (every incoming session finished). @update is its number
 * along the chain of kernels, @sessions and @files what the previous kernel
 * handed over. The phases (freeze, serialize, shutdown, jump, kho, boot,
 * userspace, restore) are measured with the TSC across the kexec and add
 * up to @total_ns; see /sys/kernel/liveupdate/blackout.
 */
LU_TRACE_EVENT(luo_blackout,
	TP_PROTO(u64 update, u64 sessions, u64 files, const u64 *ns),
	TP_ARGS(update, sessions, files, ns),
	TP_STRUCT__entry(
		__field(u64, update)
		__field(u64, sessions)
		__field(u64, files)
		__field(u64, freeze_ns)
		__field(u64, serialize_ns)
		__field(u64, shutdown_ns)
		__field(u64, jump_ns)
		__field(u64, kho_ns)
		__field(u64, boot_ns)
		__field(u64, userspace_ns)
		__field(u64, restore_ns)
		__field(u64, total_ns)
	),
	TP_fast_assign(
		__entry->update = update;
		__entry->sessions = sessions;
		__entry->files = files;
		__entry->freeze_ns = ns[0];
		__entry->serialize_ns = ns[1];
		__entry->shutdown_ns = ns[2];
		__entry->jump_ns = ns[3];
		__entry->kho_ns = ns[4];
		__entry->boot_ns = ns[5];
		__entry->userspace_ns = ns[6];
		__entry->restore_ns = ns[7];
		__entry->total_ns = ns[8];
	),
	TP_printk("update=%llu sessions=%llu files=%llu freeze_ns=%llu serialize_ns=%llu shutdown_ns=%llu jump_ns=%llu kho_ns=%llu boot_ns=%llu userspace_ns=%llu restore_ns=%llu total_ns=%llu",
		  __entry->update, __entry->sessions, __entry->files, __entry->freeze_ns,
		  __entry->serialize_ns, __entry->shutdown_ns, __entry->jump_ns, __entry->kho_ns,
		  __entry->boot_ns, __entry->userspace_ns, __entry->restore_ns, __entry->total_ns)
);

#endif /* _TRACE_LIVEUPDATE_H */

/* This part must be outside protection */
#include <trace/define_trace.h>
