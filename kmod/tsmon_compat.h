/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tsmon: every difference between the kernels tsmon is built for (the
 * tested matrix is Linux 5.10 to 7.3, see kernels.conf) is absorbed here,
 * keyed on LINUX_VERSION_CODE, so the rest of the module is written against
 * one API. Each item names the release that changed it.
 *
 * Probe arguments are a contract with unexported kernel internals that no
 * compiler checks: the rest of the module reads them only through the
 * TSMON_ARG_* positions and accessors below, and tsmon_ntp.c checks at run
 * time that what it read is plausible (see "Never misread" there).
 */
#ifndef _TSMON_COMPAT_H
#define _TSMON_COMPAT_H

#include <linux/version.h>

/* Kbuild says the same; TSMON_UNTESTED_KERNEL=1 lifts both. */
#if !defined(TSMON_UNTESTED_KERNEL) && \
	(LINUX_VERSION_CODE < KERNEL_VERSION(5, 10, 0) || \
	 LINUX_VERSION_CODE >= KERNEL_VERSION(7, 4, 0))
#error "tsmon is tested on Linux 5.10 to 7.3; set TSMON_UNTESTED_KERNEL=1 to build for another kernel"
#endif

#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/ptrace.h>
#include <linux/timex.h>

/* vm_flags became read-only behind accessors in 6.3. */
static inline void tsmon_vm_flags_mod(struct vm_area_struct *vma,
				      unsigned long set, unsigned long clear)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_mod(vma, set, clear);
#else
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
#endif
}

/* 5.11 moved the owning kretprobe behind get_kretprobe() (ri->rph). */
static inline struct kretprobe *tsmon_get_kretprobe(struct kretprobe_instance *ri)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 11, 0)
	return get_kretprobe(ri);
#else
	return ri->rp;
#endif
}

/*
 * param_set_uint_minmax() is 5.15 (later backported to some 5.10 stable
 * releases, not to 5.11..5.14): the same parsing and bounds before it.
 */
static inline int tsmon_param_set_uint_minmax(const char *val,
					      const struct kernel_param *kp,
					      unsigned int min, unsigned int max)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 15, 0)
	return param_set_uint_minmax(val, kp, min, max);
#else
	unsigned int num;
	int ret;

	if (!val)
		return -EINVAL;
	ret = kstrtouint(val, 0, &num);
	if (ret)
		return ret;
	if (num < min || num > max)
		return -EINVAL;
	*(unsigned int *)kp->arg = num;
	return 0;
#endif
}

/*
 * ptp_clock_event() types: 6.12 inserts PTP_CLOCK_EXTOFF before
 * PTP_CLOCK_PPS (so PPS is 2 before and 3 from 6.12). tsmon uses the names,
 * which each kernel's header resolves; only EXTOFF's existence differs.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#define TSMON_HAVE_PTP_EXTOFF	1
#else
#define TSMON_HAVE_PTP_EXTOFF	0
#endif

/*
 * The NTP functions tsmon probes (kernel/time/ntp.c, not exported).
 *
 * Up to 6.16:
 *	int __do_adjtimex(struct __kernel_timex *txc, const struct timespec64 *ts,
 *			  s32 *time_tai, struct audit_ntp_data *ad);
 *	int second_overflow(time64_t secs);
 *	void ntp_clear(void);
 * From 6.17 (auxiliary clocks), one NTP state per timekeeper, the id first:
 *	int ntp_adjtimex(unsigned int tkid, struct __kernel_timex *txc, ...);
 *	int second_overflow(unsigned int tkid, time64_t secs);
 *	void ntp_clear(unsigned int tkid, ...);	(7.3: s64 cs_tick_adj follows)
 * Calls for an auxiliary clock (tkid != TIMEKEEPER_CORE) go through the same
 * functions and are not the system clock's. Before 6.17 there is only the
 * core timekeeper, id 0.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 17, 0) && defined(TSMON_TEST_NAIVE_PORT)
/*
 * make plantcheck only: the pre-6.17 positions under the 6.17 name, the
 * naive port's mistake. The run-time checks must refuse this group.
 */
#define TSMON_NTP_ADJTIMEX_SYM	"ntp_adjtimex"
#define TSMON_NTP_HAS_TKID	0
#define TSMON_ARG_ADJ_TXC	0
#define TSMON_ARG_SO_SECS	0
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 17, 0)
#define TSMON_NTP_ADJTIMEX_SYM	"ntp_adjtimex"
#define TSMON_NTP_HAS_TKID	1
#define TSMON_ARG_TKID		0	/* of all three */
#define TSMON_ARG_ADJ_TXC	1
#define TSMON_ARG_SO_SECS	1
#else
#define TSMON_NTP_ADJTIMEX_SYM	"__do_adjtimex"
#define TSMON_NTP_HAS_TKID	0
#define TSMON_ARG_ADJ_TXC	0
#define TSMON_ARG_SO_SECS	0
#endif
/* TIMEKEEPER_CORE (include/linux/timekeeper_internal.h, 6.17 on) is 0. */
#define TSMON_TKID_CORE		0
/* Any real id is far below this (7.3: TIMEKEEPERS_MAX is 9). */
#define TSMON_TKID_LIMIT	64

/* do_adjtimex(struct __kernel_timex *txc): the same in every release. */
#define TSMON_ARG_DOADJ_TXC	0

/* The timekeeper an NTP call (any of the three) is for. */
static inline unsigned long tsmon_ntp_tkid(struct pt_regs *regs)
{
#if TSMON_NTP_HAS_TKID
	return regs_get_kernel_argument(regs, TSMON_ARG_TKID);
#else
	return TSMON_TKID_CORE;
#endif
}

/* The struct an NTP adjtimex call fills; not yet known to be readable. */
static inline struct __kernel_timex *tsmon_ntp_adj_txc(struct pt_regs *regs)
{
	return (struct __kernel_timex *)regs_get_kernel_argument(regs,
								  TSMON_ARG_ADJ_TXC);
}

/* second_overflow()'s second: the timekeeper's new xtime_sec. */
static inline s64 tsmon_ntp_so_secs(struct pt_regs *regs)
{
	return (s64)regs_get_kernel_argument(regs, TSMON_ARG_SO_SECS);
}

#endif /* _TSMON_COMPAT_H */
