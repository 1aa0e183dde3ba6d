/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tsmon: every difference between the supported kernels (6.1 and 6.12) is
 * absorbed here, keyed on LINUX_VERSION_CODE, so the rest of the module is
 * written against one API.
 */
#ifndef _TSMON_COMPAT_H
#define _TSMON_COMPAT_H

#include <linux/version.h>
#include <linux/mm.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0) || \
	LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#error "tsmon supports Linux 6.1 to 6.12 (Debian 12's 6.1 and 6.12 kernels)"
#endif

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

/*
 * ptp_clock_event() types: 6.12 inserts PTP_CLOCK_EXTOFF before
 * PTP_CLOCK_PPS (so PPS is 2 on 6.1 and 3 on 6.12). tsmon uses the names,
 * which each kernel's header resolves; only EXTOFF's existence differs.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#define TSMON_HAVE_PTP_EXTOFF	1
#else
#define TSMON_HAVE_PTP_EXTOFF	0
#endif

#endif /* _TSMON_COMPAT_H */
