// SPDX-License-Identifier: GPL-2.0
/*
 * tsmon: probes on the functions that change the clock from process context.
 *
 * - kretprobe on do_adjtimex(), reached by adjtimex(2) and
 *   clock_adjtime(CLOCK_REALTIME): its return shows the STA_* status the
 *   kernel now holds. A pending leap second deletion exists only there (the
 *   timekeeper schedules insertions alone), and its entry tells an
 *   ADJ_SETOFFSET step apart from other steps.
 * - kprobe on do_settimeofday64(): clock_settime(2), settimeofday(2), the
 *   RTC at boot and hypervisor time sync.
 *
 * Neither probe is required: if one cannot attach the module still works and
 * health.hooks says what is missing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/timex.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>

#include "tsmon_private.h"

#define TSMON_SECS_PER_DAY	86400

struct tsmon_adj_ctx {
	struct __kernel_timex *txc;
};

/**
 * tsmon_mark_step() - remember that the current task is about to step
 * @d:      device state
 * @reason: enum tsmon_step_reason
 *
 * The timekeeping hook runs later in the same task (the step is applied
 * synchronously) and consumes the mark. A concurrent step by another task
 * may overwrite it; that step is then reported with its own reason and this
 * one as TSMON_STEP_UNKNOWN, never with a wrong reason.
 */
void tsmon_mark_step(struct tsmon_dev *d, u32 reason)
{
	WRITE_ONCE(d->step_reason, reason);
	/* Reason before owner; pairs with the acquire in tsmon_take_step_reason(). */
	smp_store_release(&d->step_task, current);
}

/**
 * tsmon_take_step_reason() - consume the current task's step mark
 * @d: device state
 *
 * Return: the reason marked by the current task, or TSMON_STEP_UNKNOWN.
 */
u32 tsmon_take_step_reason(struct tsmon_dev *d)
{
	u32 reason = TSMON_STEP_UNKNOWN;

	if (smp_load_acquire(&d->step_task) == current) {
		reason = READ_ONCE(d->step_reason);
		WRITE_ONCE(d->step_task, NULL);
	}
	return reason;
}

/*
 * The kernel moves TIME_OK to TIME_DEL at the first second boundary after
 * STA_DEL is set, and schedules the deletion for the last second of that
 * UTC day (ntp.c second_overflow()). Return the REALTIME, in seconds, at
 * which that deleted second would begin.
 */
static s64 tsmon_next_deletion(s64 now_sec)
{
	s64 sec = now_sec + 1;
	s32 rem;

	div_s64_rem(sec + 1, TSMON_SECS_PER_DAY, &rem);
	if (rem < 0)
		rem += TSMON_SECS_PER_DAY;
	return sec + TSMON_SECS_PER_DAY - rem;
}

static void tsmon_adjtimex_status(struct tsmon_dev *d, u32 status, int state)
{
	bool del_now = (status & STA_DEL) && !(status & STA_INS);
	u64 mono = ktime_get_mono_fast_ns();
	u64 real = ktime_get_real_fast_ns();
	struct tsmon_record rec;
	unsigned long flags;
	bool del_before;

	flags = tsmon_write_begin(d);
	if (d->ntp_seen) {
		del_before = (d->ntp_status & STA_DEL) &&
			     !(d->ntp_status & STA_INS);
		if (d->ntp_status == status && del_before == del_now) {
			tsmon_write_end(d, flags);
			return;
		}
	} else {
		/*
		 * First sight, STA_DEL already set: pending unless the kernel
		 * says it already deleted a second and waits for STA_DEL to
		 * clear.
		 */
		del_before = !(del_now && state != TIME_WAIT);
	}

	memset(&rec, 0, sizeof(rec));
	rec.mono_ns = mono;
	rec.real_ns = real;
	if (del_now && !del_before) {
		d->del_armed = true;
		d->del_leap_real_ns = tsmon_next_deletion(div_u64(real,
						NSEC_PER_SEC)) * NSEC_PER_SEC;
		rec.type = TSMON_EVENT_LEAP_ARMED;
		rec.leap.leap_real_ns = d->del_leap_real_ns;
		rec.leap.direction = TSMON_LEAP_DELETE;
		tsmon_emit(d, &rec);
	} else if (!del_now && d->del_armed) {
		d->del_armed = false;
		rec.type = TSMON_EVENT_LEAP_DISARMED;
		rec.leap.leap_real_ns = d->del_leap_real_ns;
		rec.leap.direction = TSMON_LEAP_DELETE;
		tsmon_emit(d, &rec);
	}

	d->ntp_status = status;
	d->ntp_seen = true;
	d->health->ntp_status = status;
	tsmon_update_leap_state(d);
	tsmon_write_end(d, flags);
}

static int tsmon_adjtimex_entry(struct kretprobe_instance *ri,
				struct pt_regs *regs)
{
	struct tsmon_dev *d = container_of(get_kretprobe(ri), struct tsmon_dev,
					   adjtimex_krp);
	struct tsmon_adj_ctx *ctx = (struct tsmon_adj_ctx *)ri->data;

	ctx->txc = (struct __kernel_timex *)regs_get_kernel_argument(regs, 0);
	if (ctx->txc->modes & ADJ_SETOFFSET)
		tsmon_mark_step(d, TSMON_STEP_SETOFFSET);
	return 0;
}

static int tsmon_adjtimex_ret(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	struct tsmon_dev *d = container_of(get_kretprobe(ri), struct tsmon_dev,
					   adjtimex_krp);
	struct tsmon_adj_ctx *ctx = (struct tsmon_adj_ctx *)ri->data;
	int ret = (int)regs_return_value(regs);

	/* A failed call changed nothing; txc was filled only on success. */
	if (ret < 0)
		return 0;
	atomic64_inc(&d->adjtimex_calls);
	tsmon_adjtimex_status(d, (u32)ctx->txc->status, ret);
	return 0;
}

static int tsmon_settime_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct tsmon_dev *d = container_of(p, struct tsmon_dev, settime_kp);

	tsmon_mark_step(d, TSMON_STEP_SETTIME);
	return 0;
}

/**
 * tsmon_probes_attach() - attach the adjtimex and settime probes
 * @d: device state with its region allocated
 *
 * Failures are not fatal: the hook stays out of health.hooks and a message
 * says why.
 */
void tsmon_probes_attach(struct tsmon_dev *d)
{
	int ret;

	d->adjtimex_krp.kp.symbol_name = "do_adjtimex";
	d->adjtimex_krp.entry_handler = tsmon_adjtimex_entry;
	d->adjtimex_krp.handler = tsmon_adjtimex_ret;
	d->adjtimex_krp.data_size = sizeof(struct tsmon_adj_ctx);
	/*
	 * do_adjtimex() may sleep (clock_was_set() waits for other CPUs), so
	 * several callers can be inside it at once.
	 */
	d->adjtimex_krp.maxactive = 64;
	ret = register_kretprobe(&d->adjtimex_krp);
	if (ret)
		pr_warn("adjtimex hook unavailable (%d): no leap deletion or STA_* tracking\n",
			ret);
	else
		d->hooks |= TSMON_HOOK_ADJTIMEX;

	d->settime_kp.symbol_name = "do_settimeofday64";
	d->settime_kp.pre_handler = tsmon_settime_pre;
	ret = register_kprobe(&d->settime_kp);
	if (ret)
		pr_warn("settime hook unavailable (%d): steps by settimeofday are reported with reason unknown\n",
			ret);
	else
		d->hooks |= TSMON_HOOK_SETTIME;
}

/**
 * tsmon_probes_detach() - remove the probes
 * @d: device state
 *
 * unregister_k*probe() waits until no handler is running.
 */
void tsmon_probes_detach(struct tsmon_dev *d)
{
	if (d->hooks & TSMON_HOOK_SETTIME)
		unregister_kprobe(&d->settime_kp);
	if (d->hooks & TSMON_HOOK_ADJTIMEX)
		unregister_kretprobe(&d->adjtimex_krp);
	d->hooks &= ~(TSMON_HOOK_SETTIME | TSMON_HOOK_ADJTIMEX);
}
