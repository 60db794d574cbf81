// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: Blackout accounting
 *
 * A live update keeps the workload dark from the moment reboot() enters the
 * kexec path until the new kernel has handed every session back and
 * userspace has finished them. Both kernels stamp their part of that path
 * with the TSC, which keeps counting across a kexec:
 *
 * ==================  =====================================================
 * ``reboot``          reboot(LINUX_REBOOT_CMD_KEXEC) entered LUO
 * ``frozen``          every preserved file frozen
 * ``serialized``      the sessions written for the next kernel
 * ``jump``            the old kernel jumps to the new one
 * ``entry``           the new kernel found the handover (setup_arch)
 * ``kho_ready``       preserved memory reserved (mm init)
 * ``luo_ready``       /dev/liveupdate registered (late initcall)
 * ``first_retrieve``  the first session retrieved by userspace
 * ``finished``        the last incoming session finished
 * ==================  =====================================================
 *
 * The phases are the spans between consecutive stamps: ``freeze``,
 * ``serialize``, ``shutdown`` (device and CPU shutdown), ``jump``
 * (purgatory and decompression), ``kho``, ``boot`` (the rest of the boot up
 * to LUO), ``userspace`` (until the first retrieve) and ``restore``. They
 * add up to the total. When the old kernel serialized no session, the
 * update is complete as soon as LUO is ready.
 *
 * The breakdown of the update that started this kernel is in
 * ``/sys/kernel/liveupdate/blackout``, one ``key value`` pair per line::
 *
 *   state complete          none | restoring | complete | dropped
 *   updates 3               live updates completed along the kernel chain
 *   failed 0                live updates that failed (reboot() cancelled)
 *   from 6.12.57            the previous kernel's release
 *   clock tsc 2400000       clock and frequency (kHz) of the stamps
 *   sessions 4              sessions and files the previous kernel handed over
 *   files 12
 *   prev_mono_ns 81234567   previous kernel's CLOCK_MONOTONIC at ``reboot``
 *   mono_ns -3456789        this kernel's CLOCK_MONOTONIC at ``reboot``
 *   freeze_files 12         files the previous kernel froze, how long that
 *   freeze_sum_ns 345678    took in total and at most, and the log2
 *   freeze_max_ns 98765     histogram of the durations (40 counts; slot i:
 *   freeze_hist 0 0 ... 3   2^(i-1) < ns <= 2^i), which no tracer sees
 *   stamp reboot 0          ns since ``reboot``, one line per stamp reached
 *   ...
 *   phase freeze 12345      ns, one line per phase whose two ends exist
 *   ...
 *   total_ns 2345678        ``finished`` - ``reboot`` (state complete only)
 *
 * A cold boot shows ``state none`` with the counters (``failed`` then
 * counts this kernel's own failed attempts). ``dropped`` means the incoming
 * state was unreadable and the sessions were dropped; stamps are shown up to
 * LUO ready. The ``luo_blackout`` trace event fires when an update becomes
 * complete.
 *
 * Locking: bo_lock protects the incoming record and the new kernel's
 * stamps; the outgoing page is written only from the reboot path (under
 * luo_state.lock) and by liveupdate_jump(), when nothing else runs.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/bitops.h>
#include <linux/cleanup.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kobject.h>
#include <linux/liveupdate_format.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sysfs.h>
#include <linux/utsname.h>

#include "lu_clock.h"
#include "luo_check.h"
#include "luo_internal.h"

#include <trace/events/liveupdate.h>

/* "luo-blackout-v3" (kho/abi/luo.h): no preserved memory, never needed. */
LIVEUPDATE_FORMAT(luo_blackout_format, "luo-blackout", LIVEUPDATE_V(3), LIVEUPDATE_V(3), 3,
		  LIVEUPDATE_FORMAT_OPTIONAL);

enum {
	BO_ENTRY = LUO_BLACKOUT_NR_STAMPS,
	BO_KHO_READY,
	BO_LUO_READY,
	BO_FIRST_RETRIEVE,
	BO_FINISHED,
	BO_NR_STAMPS
};

static const char *const bo_stamp_names[BO_NR_STAMPS] = {
	"reboot", "frozen", "serialized", "jump", "entry", "kho_ready", "luo_ready",
	"first_retrieve", "finished",
};

/* Phase i spans stamp i to stamp i + 1. */
static const char *const bo_phase_names[BO_NR_STAMPS - 1] = {
	"freeze", "serialize", "shutdown", "jump", "kho", "boot", "userspace", "restore",
};

enum bo_state { BO_NONE, BO_RESTORING, BO_COMPLETE, BO_DROPPED };

static const char *const bo_state_names[] = {
	[BO_NONE] = "none", [BO_RESTORING] = "restoring", [BO_COMPLETE] = "complete",
	[BO_DROPPED] = "dropped",
};

static DEFINE_MUTEX(bo_lock);

/* Taken by KHO before anything else is up; read once in luo_blackout_init(). */
static u64 bo_entry, bo_kho_ready;

static struct {
	enum bo_state state;
	struct luo_blackout_ser prev;	/* the previous kernel's record */
	u64 stamp[BO_NR_STAMPS];	/* clock readings */
	u64 ns[BO_NR_STAMPS];		/* ns since reboot, valid when stamped */
	unsigned long stamped;		/* bitmap of stamps taken */
	s64 mono_ns;			/* our CLOCK_MONOTONIC at reboot */
	u64 failed;			/* this kernel's failed updates */
} bo;

static struct luo_blackout_ser *bo_out;

/**
 * liveupdate_stamp_entry - note the clock when a handover is found
 *
 * Called by KHO while it validates the incoming handover, early in
 * setup_arch(). Nothing else is available yet.
 */
void liveupdate_stamp_entry(void)
{
	bo_entry = lu_clock();
}

/**
 * liveupdate_stamp_kho_ready - note the clock when preserved memory is safe
 *
 * Called by KHO at the end of kho_memory_init() when the incoming
 * handover was accepted.
 */
void liveupdate_stamp_kho_ready(void)
{
	bo_kho_ready = lu_clock();
}

static u64 bo_to_ns(u64 cycles)
{
	return mul_u64_u32_div(cycles, USEC_PER_SEC, bo.prev.clock_khz);
}

/* Record stamp @i of the new kernel. Under bo_lock. */
static void bo_stamp(unsigned int i, u64 now)
{
	if (bo.state != BO_RESTORING || test_bit(i, &bo.stamped))
		return;
	/* A clock that went backwards is reported as no time passing. */
	bo.stamp[i] = max(now, bo.stamp[i - 1]);
	bo.ns[i] = bo_to_ns(bo.stamp[i] - bo.stamp[LUO_BLACKOUT_REBOOT]);
	__set_bit(i, &bo.stamped);
}

static void bo_complete(void)
{
	u64 ns[BO_NR_STAMPS];
	unsigned int i;

	bo.state = BO_COMPLETE;
	for (i = 0; i < BO_NR_STAMPS - 1; i++)
		ns[i] = bo.ns[i + 1] - bo.ns[i];
	ns[BO_NR_STAMPS - 1] = bo.ns[BO_FINISHED];
	trace_luo_blackout(bo.prev.updates + 1, bo.prev.sessions, bo.prev.files, ns);
	pr_info("live update %llu complete: blackout %llu us (freeze %llu, kexec %llu, boot %llu, restore %llu)\n",
		bo.prev.updates + 1, div_u64(bo.ns[BO_FINISHED], NSEC_PER_USEC),
		div_u64(bo.ns[LUO_BLACKOUT_FROZEN], NSEC_PER_USEC),
		div_u64(bo.ns[BO_ENTRY] - bo.ns[LUO_BLACKOUT_FROZEN], NSEC_PER_USEC),
		div_u64(bo.ns[BO_LUO_READY] - bo.ns[BO_ENTRY], NSEC_PER_USEC),
		div_u64(bo.ns[BO_FINISHED] - bo.ns[BO_LUO_READY], NSEC_PER_USEC));
}

/**
 * luo_blackout_retrieved - a session was retrieved in the new kernel
 */
void luo_blackout_retrieved(void)
{
	guard(mutex)(&bo_lock);
	bo_stamp(BO_FIRST_RETRIEVE, lu_clock());
}

/**
 * luo_blackout_finished - every incoming session has finished
 */
void luo_blackout_finished(void)
{
	u64 now = lu_clock();

	guard(mutex)(&bo_lock);
	if (bo.state != BO_RESTORING)
		return;
	/* Finishing without retrieving anything: no userspace phase. */
	bo_stamp(BO_FIRST_RETRIEVE, now);
	bo_stamp(BO_FINISHED, now);
	bo_complete();
}

/**
 * luo_blackout_dropped - the incoming state was unreadable and dropped
 */
void luo_blackout_dropped(void)
{
	guard(mutex)(&bo_lock);
	if (bo.state == BO_RESTORING)
		bo.state = BO_DROPPED;
}

/**
 * luo_blackout_reboot - stamp a step of the kexec reboot path
 * @stamp: LUO_BLACKOUT_REBOOT, _FROZEN or _SERIALIZED
 * @sessions: sessions being serialized
 * @files: files being serialized
 *
 * Called by liveupdate_reboot().
 *
 * Context: under luo_state.lock.
 */
void luo_blackout_reboot(unsigned int stamp, unsigned long sessions, unsigned long files)
{
	lockdep_assert_held(&luo_state.lock);
	if (!bo_out)
		return;
	bo_out->stamp[stamp] = lu_clock();
	if (stamp != LUO_BLACKOUT_REBOOT)
		return;
	liveupdate_test_region("blackout", bo_out, sizeof(*bo_out), NULL);
	memset(bo_out->stamp + 1, 0, sizeof(bo_out->stamp) - sizeof(bo_out->stamp[0]));
	bo_out->freeze_files = 0;
	bo_out->freeze_sum_ns = 0;
	bo_out->freeze_max_ns = 0;
	memset(bo_out->freeze_slots, 0, sizeof(bo_out->freeze_slots));
	bo_out->mono_ns = ktime_get_ns();
	bo_out->clock_khz = lu_clock_khz();
	bo_out->sessions = sessions;
	bo_out->files = files;
	scoped_guard(mutex, &bo_lock) {
		bo_out->updates = bo.state == BO_NONE ? 0 : bo.prev.updates + 1;
		bo_out->failed = bo.prev.failed + bo.failed;
	}
}

/**
 * luo_blackout_freeze_file - a file froze in @ns nanoseconds
 * @ns: how long its handler took
 *
 * Called by luo_file_freeze(), after luo_blackout_reboot() reset the
 * histogram for this attempt.
 *
 * Context: under luo_state.lock.
 */
void luo_blackout_freeze_file(u64 ns)
{
	unsigned int slot = ns <= 1 ? 0 : fls64(ns - 1);

	lockdep_assert_held(&luo_state.lock);
	if (!bo_out)
		return;
	bo_out->freeze_slots[min(slot, LUO_BLACKOUT_FREEZE_SLOTS - 1)]++;
	bo_out->freeze_files++;
	bo_out->freeze_sum_ns += ns;
	bo_out->freeze_max_ns = max(bo_out->freeze_max_ns, ns);
}

/**
 * luo_blackout_failed - a live update failed and reboot() returns an error
 */
void luo_blackout_failed(void)
{
	guard(mutex)(&bo_lock);
	bo.failed++;
}

/**
 * liveupdate_jump - stamp the jump to the new kernel
 *
 * Called by kernel_kexec() right before machine_kexec(), with one CPU left
 * and interrupts in whatever state the architecture put them: it only
 * reads the clock into the preserved page.
 */
void liveupdate_jump(void)
{
	if (bo_out && bo_out->stamp[LUO_BLACKOUT_SERIALIZED]) {
		bo_out->stamp[LUO_BLACKOUT_JUMP] = lu_clock();
		bo_out->hash = xxh64(bo_out, offsetof(struct luo_blackout_ser, hash), 0);
	}
}

/* Validate the previous kernel's record; the reason if it is unusable. */
/* Take the previous kernel's (valid) record as this kernel's update. */
static void bo_accept(const struct luo_blackout_ser *r, u64 now)
{
	unsigned int i;
	u64 since;

	guard(mutex)(&bo_lock);
	bo.prev = *r;
	bo.state = BO_RESTORING;
	for (i = 0; i < LUO_BLACKOUT_NR_STAMPS; i++) {
		bo.stamp[i] = r->stamp[i];
		bo.ns[i] = bo_to_ns(r->stamp[i] - r->stamp[LUO_BLACKOUT_REBOOT]);
		__set_bit(i, &bo.stamped);
	}
	bo_stamp(BO_ENTRY, bo_entry);
	bo_stamp(BO_KHO_READY, bo_kho_ready);
	bo_stamp(BO_LUO_READY, now);
	since = bo_to_ns(lu_clock() - r->stamp[LUO_BLACKOUT_REBOOT]);
	bo.mono_ns = (s64)ktime_get_ns() - (s64)since;
	if (!r->sessions) {
		bo_stamp(BO_FIRST_RETRIEVE, now);
		bo_stamp(BO_FINISHED, now);
		bo_complete();
	}
}

/* Read the previous kernel's record, if it left one. */
static void bo_restore(u64 now)
{
	struct luo_blackout_ser *r;
	const char *why;
	size_t size;

	r = kho_restore_subtree(LUO_BLACKOUT_KHO_SUBTREE, &size);
	if (IS_ERR(r)) {
		if (PTR_ERR(r) != -ENOENT)
			pr_err("blackout record not in preserved memory; not reporting this update\n");
		return;
	}
	why = luo_check_blackout(r, size, lu_clock() ? bo_entry : 0);
	if (why)
		pr_err("invalid blackout record: %s; not reporting this update\n", why);
	else
		bo_accept(r, now);
	folio_put(virt_to_folio(r));
}

static ssize_t blackout_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	unsigned int i;
	int n = 0;

	guard(mutex)(&bo_lock);
	n += sysfs_emit_at(buf, n, "state %s\n", bo_state_names[bo.state]);
	n += sysfs_emit_at(buf, n, "updates %llu\n",
			   bo.state == BO_NONE ? 0 : bo.prev.updates + 1);
	n += sysfs_emit_at(buf, n, "failed %llu\n", bo.prev.failed + bo.failed);
	if (bo.state == BO_NONE)
		return n;
	n += sysfs_emit_at(buf, n, "from %s\n", bo.prev.release);
	n += sysfs_emit_at(buf, n, "clock tsc %u\n", bo.prev.clock_khz);
	n += sysfs_emit_at(buf, n, "sessions %llu\nfiles %llu\n", bo.prev.sessions,
			   bo.prev.files);
	n += sysfs_emit_at(buf, n, "prev_mono_ns %llu\nmono_ns %lld\n", bo.prev.mono_ns,
			   bo.mono_ns);
	n += sysfs_emit_at(buf, n, "freeze_files %llu\nfreeze_sum_ns %llu\nfreeze_max_ns %llu\n",
			   bo.prev.freeze_files, bo.prev.freeze_sum_ns, bo.prev.freeze_max_ns);
	n += sysfs_emit_at(buf, n, "freeze_hist");
	for (i = 0; i < LUO_BLACKOUT_FREEZE_SLOTS; i++)
		n += sysfs_emit_at(buf, n, " %u", bo.prev.freeze_slots[i]);
	n += sysfs_emit_at(buf, n, "\n");
	for (i = 0; i < BO_NR_STAMPS; i++)
		if (test_bit(i, &bo.stamped))
			n += sysfs_emit_at(buf, n, "stamp %s %llu\n", bo_stamp_names[i], bo.ns[i]);
	for (i = 0; i < BO_NR_STAMPS - 1; i++)
		if (test_bit(i, &bo.stamped) && test_bit(i + 1, &bo.stamped))
			n += sysfs_emit_at(buf, n, "phase %s %llu\n", bo_phase_names[i],
					   bo.ns[i + 1] - bo.ns[i]);
	if (bo.state == BO_COMPLETE)
		n += sysfs_emit_at(buf, n, "total_ns %llu\n", bo.ns[BO_FINISHED]);
	return n;
}

static struct kobj_attribute blackout_attr = __ATTR_RO(blackout);

/**
 * luo_blackout_init - set up blackout accounting
 *
 * Reads the previous kernel's record (stamping "LUO ready"), creates
 * /sys/kernel/liveupdate/blackout and preserves the page this kernel will
 * stamp on its way out. Called from luo_init().
 *
 * Return: 0 or an errno; LUO works without blackout accounting.
 */
int __init luo_blackout_init(void)
{
	u64 now = lu_clock();
	struct kobject *kobj;
	int err;

	bo_restore(now);
	kobj = kobject_create_and_add("liveupdate", kernel_kobj);
	if (!kobj)
		return -ENOMEM;
	err = sysfs_create_file(kobj, &blackout_attr.attr);
	if (err)
		goto err_put;
	err = luo_formats_sysfs_init(kobj);
	if (err)
		pr_warn("no formats in sysfs: %pe\n", ERR_PTR(err));
	if (!lu_clock())
		return 0;	/* no clock to stamp the next update with */
	bo_out = kho_alloc_preserve(sizeof(*bo_out));
	if (IS_ERR(bo_out)) {
		err = PTR_ERR(bo_out);
		goto err_out;
	}
	strscpy(bo_out->compatible, LUO_BLACKOUT_COMPATIBLE, sizeof(bo_out->compatible));
	strscpy(bo_out->release, init_utsname()->release, sizeof(bo_out->release));
	bo_out->clock = LUO_BLACKOUT_CLOCK_TSC;
	err = kho_add_subtree(LUO_BLACKOUT_KHO_SUBTREE, bo_out, sizeof(*bo_out));
	if (err)
		goto err_free;
	return 0;

err_free:
	kho_unpreserve_free(bo_out);
err_out:
	bo_out = NULL;
	return err;
err_put:
	kobject_put(kobj);
	return err;
}
