/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * The cycle clock live update times itself with, in KHO's early boot work
 * and in the blackout record: the TSC on x86, which counts from the first
 * instruction (this early, sched_clock() may still count jiffies, which do
 * not advance). lu_clock() reads 0 where there is none; lu_clock_khz() is
 * its rate, known once the TSC is calibrated, which may be late in boot.
 */
#ifndef _KERNEL_LIVEUPDATE_LU_CLOCK_H
#define _KERNEL_LIVEUPDATE_LU_CLOCK_H

#include <linux/types.h>

#ifdef CONFIG_X86
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/tsc.h>
#endif

static inline u64 lu_clock(void)
{
#ifdef CONFIG_X86
	if (boot_cpu_has(X86_FEATURE_TSC))
		return rdtsc_ordered();
#endif
	return 0;
}

static inline u32 lu_clock_khz(void)
{
#ifdef CONFIG_X86
	return tsc_khz;
#else
	return 0;
#endif
}

#endif /* _KERNEL_LIVEUPDATE_LU_CLOCK_H */
