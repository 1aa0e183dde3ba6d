// SPDX-License-Identifier: GPL-2.0
/*
 * tsmon: why CLOCK_REALTIME was stepped.
 *
 * Kretprobes on do_settimeofday64() and do_adjtimex() (ADJ_SETOFFSET) mark
 * the calling task with a reason; the timekeeping hook, which runs in that
 * task when the step lands, consumes the mark. A mark is one word, the task
 * pointer with the reason in its low bits, claimed and dropped with
 * cmpxchg: concurrent steps can neither swap reasons nor erase each other's
 * mark. A few words serve concurrent steppers; a step that finds none free
 * is reported as TSMON_STEP_UNKNOWN, never with another's reason.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cache.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/sched.h>
#include <linux/timex.h>
#include <linux/uaccess.h>

#include "tsmon_private.h"

/* task_structs are L1_CACHE_BYTES aligned (kernel/fork.c): the low bits are free. */
#define TSMON_STEP_REASON_MASK	3UL

static unsigned long tsmon_step_word(u32 reason)
{
	BUILD_BUG_ON(TSMON_STEP_SETTIME > TSMON_STEP_REASON_MASK ||
		     TSMON_STEP_SETOFFSET > TSMON_STEP_REASON_MASK);
	BUILD_BUG_ON(TSMON_STEP_REASON_MASK >= L1_CACHE_BYTES);
	return (unsigned long)current | reason;
}

static bool tsmon_step_mine(unsigned long word)
{
	return word && (word & ~TSMON_STEP_REASON_MASK) == (unsigned long)current;
}

/*
 * Only the owning task changes a claimed word, so finding it and swapping it
 * cannot race; claiming a free one can, hence cmpxchg.
 */
static void tsmon_step_mark(struct tsmon_dev *d, u32 reason)
{
	unsigned long want = tsmon_step_word(reason), w;
	int i;

	for (i = 0; i < TSMON_STEP_SLOTS; i++) {
		w = atomic_long_read(&d->step_mark[i]);
		if (tsmon_step_mine(w)) {
			atomic_long_cmpxchg(&d->step_mark[i], w, want);
			return;
		}
	}
	for (i = 0; i < TSMON_STEP_SLOTS; i++)
		if (!atomic_long_cmpxchg(&d->step_mark[i], 0, want))
			return;
}

/* Drop the current task's mark; return its reason. */
static u32 tsmon_step_unmark(struct tsmon_dev *d)
{
	unsigned long w;
	int i;

	for (i = 0; i < TSMON_STEP_SLOTS; i++) {
		w = atomic_long_read(&d->step_mark[i]);
		if (tsmon_step_mine(w) &&
		    atomic_long_cmpxchg(&d->step_mark[i], w, 0) == w)
			return w & TSMON_STEP_REASON_MASK;
	}
	return TSMON_STEP_UNKNOWN;
}

/**
 * tsmon_take_step_reason() - consume the current task's step mark
 * @d: device state
 *
 * Called by the timekeeping hook for a step: it runs in the stepping task.
 *
 * Return: the reason the current task was marked with, or TSMON_STEP_UNKNOWN.
 */
u32 tsmon_take_step_reason(struct tsmon_dev *d)
{
	return tsmon_step_unmark(d);
}

/*
 * A mark the step did not consume: the call failed before stepping. Left
 * behind, it would lend its reason to this task's next step by another
 * way, or to a task that reuses the task_struct.
 */
static int tsmon_step_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	tsmon_step_unmark(&tsmon);
	return 0;
}

/* do_adjtimex() applies ADJ_SETOFFSET before the NTP function runs. */
static int tsmon_setoffset_entry(struct kretprobe_instance *ri,
				 struct pt_regs *regs)
{
	const struct __kernel_timex *txc = (const struct __kernel_timex *)
		regs_get_kernel_argument(regs, TSMON_ARG_DOADJ_TXC);
	struct tsmon_dev *d = &tsmon;
	unsigned int modes;

	/* Part of the NTP group: refused with it. */
	if (!(tsmon_hooks_visible(d) & TSMON_HOOK_ADJTIMEX))
		return 1;
	if (copy_from_kernel_nofault(&modes, &txc->modes, sizeof(modes))) {
		tsmon_ntp_refuse(d, "do_adjtimex",
				 "struct __kernel_timex pointer not readable",
				 (s64)(unsigned long)txc);
		return 1;
	}
	if (!(modes & ADJ_SETOFFSET))
		return 1;
	tsmon_step_mark(d, TSMON_STEP_SETOFFSET);
	return 0;
}

static int tsmon_settime_entry(struct kretprobe_instance *ri,
			       struct pt_regs *regs)
{
	tsmon_step_mark(&tsmon, TSMON_STEP_SETTIME);
	return 0;
}

/**
 * tsmon_step_setoffset_init() - prepare the ADJ_SETOFFSET step probe
 * @krp: the kretprobe, registered by the NTP group it belongs to
 */
void tsmon_step_setoffset_init(struct kretprobe *krp)
{
	krp->kp.symbol_name = "do_adjtimex";
	krp->entry_handler = tsmon_setoffset_entry;
	krp->handler = tsmon_step_ret;
}

/**
 * tsmon_step_attach() - attach the settime step probe
 * @d: device state
 *
 * Not fatal: without it settime steps are reported as TSMON_STEP_UNKNOWN.
 */
void tsmon_step_attach(struct tsmon_dev *d)
{
	struct kretprobe *krp = &d->settime_krp;

	krp->kp.symbol_name = "do_settimeofday64";
	krp->entry_handler = tsmon_settime_entry;
	krp->handler = tsmon_step_ret;
	if (!tsmon_probe_group_add("do_settimeofday64", NULL, 0, &krp, 1))
		d->hooks |= TSMON_HOOK_SETTIME;
}

/**
 * tsmon_step_detach() - remove the settime step probe
 * @d: device state
 */
void tsmon_step_detach(struct tsmon_dev *d)
{
	struct kretprobe *krp = &d->settime_krp;

	if (!(d->hooks & TSMON_HOOK_SETTIME))
		return;
	tsmon_probe_group_remove(NULL, 0, &krp, 1);
	d->hooks &= ~TSMON_HOOK_SETTIME;
}
