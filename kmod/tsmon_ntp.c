// SPDX-License-Identifier: GPL-2.0
/*
 * tsmon: the kernel's NTP leap second state.
 *
 * kernel/time/ntp.c keeps time_state and the scheduled leap second private,
 * and only an insertion is ever visible in the timekeeper. tsmon keeps an
 * exact shadow of that state machine by probing the three places that
 * drive it:
 *
 *  - __do_adjtimex(), ntp_adjtimex() from 6.17 (kretprobe; every
 *    adjtimex(2) and clock_adjtime(CLOCK_REALTIME) that passed
 *    validation): the STA_* bits
 *    and errors the kernel now holds. It runs under the timekeeper lock, as
 *    second_overflow() does, so no second boundary can fall between the
 *    kernel's answer and tsmon's capture of it. Its return value is
 *    time_state unless an error status (STA_UNSYNC...) hides it behind
 *    TIME_ERROR; when it is not hidden the shadow is resynchronised from it.
 *  - second_overflow(secs) (kprobe): the only place time_state moves.
 *        TIME_OK   -> TIME_INS / TIME_DEL   STA_INS / STA_DEL set; the leap
 *                                           is scheduled for that UTC day
 *        TIME_INS  -> TIME_OK               STA_INS cleared
 *                  -> TIME_OOP              the scheduled second: inserted
 *        TIME_DEL  -> TIME_OK               STA_DEL cleared
 *                  -> TIME_WAIT             the scheduled second: deleted
 *        TIME_OOP  -> TIME_WAIT
 *        TIME_WAIT -> TIME_OK               STA_INS and STA_DEL clear
 *  - ntp_clear() (kprobe; every step, clocksource change and sleep
 *    injection): unschedules the leap without leaving TIME_INS/TIME_DEL, so
 *    the leap never happens until STA_INS/STA_DEL are cleared and set again.
 *
 * A deletion is therefore announced (leap_armed) exactly when the kernel
 * schedules it and withdrawn (leap_disarmed) exactly when the kernel drops
 * it. Insertions are announced by the timekeeping hook, which sees the
 * scheduled instant directly; the shadow tracks them for time_state only.
 *
 * The shadow also follows STA_UNSYNC and maxerror, which the kernel changes
 * on its own: ntp_clear() sets STA_UNSYNC and maxerror = esterror = 16 s,
 * and second_overflow() grows maxerror by 500 us a second and sets
 * STA_UNSYNC once it passes 16 s. Every adjtimex call is captured into the
 * health block (status, errors, offset, frequency, constant, tick); a call
 * that sets ADJ_MAXERROR is a sync update, a daemon reporting a measurement.
 * Only changes become records: ntp_sync / ntp_unsync, ntp_mode (PLL, FLL,
 * PPS, NANO, clock error bits), ntp_state (time_state). The first call seen
 * after load is the baseline.
 *
 * The group also carries the ADJ_SETOFFSET step-reason probe
 * (tsmon_stepreason.c). It is optional: if it cannot attach, health.hooks
 * says so and the module works without it.
 *
 * From 6.17 the three NTP functions serve auxiliary clocks too: calls whose
 * timekeeper id is not the core one are ignored (tsmon_compat.h says where
 * each argument is).
 *
 * Never misread. The probed functions are internals: an argument order or
 * a signature the compat layer does not know would feed the shadow garbage
 * (or a bad pointer). So every NTP handler checks what it read, for a few
 * compares, before using it:
 *  - timekeeper ids below TSMON_TKID_LIMIT;
 *  - the struct __kernel_timex readable (copy_from_kernel_nofault(), never
 *    a plain dereference), and on return holding what the kernel has just
 *    written there: precision 1, tolerance MAXFREQ_SCALED / PPM_SCALE, a
 *    time_state return value, and time.tv_sec no more than
 *    TSMON_NTP_SLACK_S ahead of tsmon's own REALTIME, nor TSMON_NTP_LAG_S
 *    behind (the call reads it before taking the lock);
 *  - second_overflow()'s second no earlier than the timekeeper's second at
 *    the last timekeeping hook call and no later than now (both with the
 *    same slack: a leap moves it by one).
 * On the first mismatch the whole group is refused: nothing read is
 * applied, TSMON_HOOK_ADJTIMEX leaves health.hooks (readers then treat the
 * NTP state as unknown), every NTP handler returns at once from then on,
 * and one pr_err from a work item names the probe and what did not match.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/time64.h>
#include <linux/timekeeping.h>
#include <linux/timex.h>
#include <linux/uaccess.h>

#include "tsmon_private.h"

#define TSMON_SECS_PER_DAY	86400
/* Seconds a checked time may differ from tsmon's own REALTIME. */
#define TSMON_NTP_SLACK_S	2
/* ...or lag it when it was read before the task could be preempted. */
#define TSMON_NTP_LAG_S		60
/* What second_overflow() adds to time_maxerror every second, in us. */
#define TSMON_MAXERROR_GROWTH_US	(MAXFREQ / NSEC_PER_USEC)

struct tsmon_adj_ctx {
	struct __kernel_timex *txc;
	unsigned int modes;
};

/* The NTP group was refused: every handler of it returns at once. */
static bool tsmon_ntp_off(struct tsmon_dev *d)
{
	return atomic_read(&d->ntp_refused);
}

/**
 * tsmon_ntp_refuse() - refuse the NTP group, once
 * @d:     device state; any context, never with tsmon's lock held
 * @probe: the probe that read something unexpected
 * @what:  what did not match
 * @got:   the value read
 */
void tsmon_ntp_refuse(struct tsmon_dev *d, const char *probe,
			     const char *what, s64 got)
{
	unsigned long flags;

	if (atomic_cmpxchg(&d->ntp_refused, 0, 1))
		return;
	d->ntp_refuse_probe = probe;
	d->ntp_refuse_what = what;
	d->ntp_refuse_got = got;
	/* The fields before the report; pairs with the cmpxchg in the kick. */
	atomic_set_release(&d->ntp_report, 1);

	flags = tsmon_write_begin(d);
	d->ntp_seen = false;
	d->ntp_cleared = false;
	d->del_armed = false;
	d->health->hooks &= ~TSMON_HOOK_ADJTIMEX;
	d->health->ntp_state = TSMON_NTP_STATE_UNKNOWN;
	tsmon_update_leap_state(d);
	tsmon_write_end(d, flags);
	/* No printk here: the wakeup irq_work schedules the report. */
	irq_work_queue(&d->wake_work);
}

static void tsmon_ntp_report(struct work_struct *work)
{
	struct tsmon_dev *d = container_of(work, struct tsmon_dev,
					   ntp_report_work);

	pr_err("NTP probes refused: %s: %s, read %lld (%#llx); NTP state and leap second deletions are not tracked\n",
	       d->ntp_refuse_probe, d->ntp_refuse_what, d->ntp_refuse_got,
	       (u64)d->ntp_refuse_got);
}

/**
 * tsmon_ntp_report_kick() - schedule the report of a refusal, once
 * @d: device state
 *
 * Called from the reader wakeup irq_work, never from a probe handler.
 */
void tsmon_ntp_report_kick(struct tsmon_dev *d)
{
	if (atomic_read(&d->ntp_report) == 1 &&
	    atomic_cmpxchg(&d->ntp_report, 1, 2) == 1)
		schedule_work(&d->ntp_report_work);
}

/**
 * tsmon_ntp_report_flush() - wait for a scheduled report
 * @d: device state; the probes and the wakeup irq_work are stopped
 */
void tsmon_ntp_report_flush(struct tsmon_dev *d)
{
	flush_work(&d->ntp_report_work);
}

/*
 * phc2sys, ptp4l and systemd-timesyncd write maxerror 0 only to keep
 * STA_UNSYNC clear: that asserts nothing. Such a sync update bounds the
 * clock only with an error budget the operator declares for the node, one
 * value every reader sees in the health block.
 */
static u64 tsmon_sync_budget_ns;

/* From parameter writes too, which can come before load or after unload. */
static void tsmon_publish_budget(struct tsmon_dev *d)
{
	unsigned long flags = tsmon_lock(d);

	if (d->health) {
		tsmon_health_begin(d);
		d->health->sync_budget_ns = READ_ONCE(tsmon_sync_budget_ns);
		tsmon_health_end(d);
	}
	tsmon_unlock(d, flags);
}

static int tsmon_budget_set(const char *val, const struct kernel_param *kp)
{
	u64 v;
	int ret = kstrtou64(val, 0, &v);

	if (ret)
		return ret;
	/* The kernel's own limit on maxerror: beyond it a clock is unsynced. */
	if (v > TSMON_SYNC_BUDGET_MAX)
		return -ERANGE;
	WRITE_ONCE(tsmon_sync_budget_ns, v);
	tsmon_publish_budget(&tsmon);
	return 0;
}

static const struct kernel_param_ops tsmon_budget_ops = {
	.set = tsmon_budget_set,
	.get = param_get_ullong,
};
module_param_cb(sync_budget_ns, &tsmon_budget_ops, &tsmon_sync_budget_ns, 0644);
MODULE_PARM_DESC(sync_budget_ns,
		 "error budget in ns for sync updates that assert maxerror 0 (phc2sys, ptp4l, timesyncd); 0: such updates give no bound (default 0)");

static unsigned int tsmon_budget_settle_ms = 60000;
module_param_named(sync_budget_settle_ms, tsmon_budget_settle_ms, uint, 0644);
MODULE_PARM_DESC(sync_budget_settle_ms,
		 "after a step, resume, clocksource change or VM disruption, the budget stands in only for sync updates this much later; a step another process made counts in the bound of sync updates this long (default 60000)");

static u64 tsmon_settle_ns(void)
{
	return (u64)READ_ONCE(tsmon_budget_settle_ms) * NSEC_PER_MSEC;
}

/**
 * tsmon_ntp_stepped() - account a step of REALTIME for the sync error
 * @d: device state, writer lock held
 * @delta: signed size of the step
 * @mono: CLOCK_MONOTONIC when it was seen
 *
 * Runs in the stepping task (the timekeeping hook of a step does), before
 * the health block's last step is replaced by this one. Steps less than
 * sync_budget_settle_ms apart add up: a daemon may be slewing away all of
 * them at once.
 */
void tsmon_ntp_stepped(struct tsmon_dev *d, s64 delta, u64 mono)
{
	u64 size = delta < 0 ? -(u64)delta : (u64)delta;
	u64 prev = d->health->last_step_mono_ns;
	pid_t tgid = in_task() ? current->tgid : 0;

	if (!d->step_resid_ns || mono - prev >= tsmon_settle_ns()) {
		d->step_resid_ns = 0;
		d->step_resid_tgid = tgid;
	} else if (d->step_resid_tgid != tgid) {
		d->step_resid_tgid = 0;
	}
	if (check_add_overflow(d->step_resid_ns, size, &d->step_resid_ns))
		d->step_resid_ns = U64_MAX;
}

/**
 * tsmon_ntp_init() - prepare the NTP group's state before any probe
 * @d: device state with its region allocated
 */
void tsmon_ntp_init(struct tsmon_dev *d)
{
	atomic_set(&d->ntp_refused, 0);
	atomic_set(&d->ntp_report, 0);
	INIT_WORK(&d->ntp_report_work, tsmon_ntp_report);
	tsmon_publish_budget(d);
}

/*
 * The clock's error at a sync update: what the daemon measured, and what
 * the kernel PLL still has to slew of the offset it was handed (the clock
 * is off by that until it is slewed away; it only shrinks meanwhile). A
 * daemon that slews by itself (chronyd) reports an error without the
 * offset it is still slewing: after a step made behind its back, that is
 * up to the step, so steps of another process in the settle window count.
 * Runs in the task that made the update.
 */
static void tsmon_sync_error(struct tsmon_dev *d, struct tsmon_health *h)
{
	s64 off = (s64)h->ntp_offset_ns;
	u64 err = h->ntp_maxerror_ns, abs_off = off < 0 ? -(u64)off : off;
	u64 settle = tsmon_settle_ns(), resid = 0;
	u32 flags = 0;

	if (!err) {
		flags |= TSMON_SYNC_ZERO_MAXERROR;
		err = READ_ONCE(tsmon_sync_budget_ns);
		if (err)
			flags |= TSMON_SYNC_BUDGET;
		/*
		 * A budget is a steady-state figure: a servo such as phc2sys's
		 * takes tens of seconds to slew away a step made behind its
		 * back, and says maxerror 0 all along. A leap moves the clock
		 * by exactly what UTC did, and is no such step.
		 */
		if (err && h->disrupt_mono_ns &&
		    h->disrupt_type != TSMON_EVENT_LEAP_APPLIED &&
		    h->sync_mono_ns - h->disrupt_mono_ns < settle) {
			flags |= TSMON_SYNC_SETTLING;
			err = 0;
		}
	} else {
		/* Whole microseconds, truncated by the daemon (chronyd does). */
		err += TSMON_SYNC_MAXERROR_ROUNDING_NS;
	}
	if (abs_off)
		flags |= TSMON_SYNC_PLL_OFFSET;
	if (err && d->step_resid_ns &&
	    h->sync_mono_ns - h->last_step_mono_ns < settle &&
	    d->step_resid_tgid != current->tgid) {
		flags |= TSMON_SYNC_STEP_RESIDUAL;
		resid = d->step_resid_ns;
	}
	h->sync_flags = flags;
	h->sync_offset_ns = abs_off;
	if (!err)
		h->sync_maxerror_ns = TSMON_SYNC_ERROR_UNKNOWN;
	else if (check_add_overflow(err, abs_off, &err) ||
		 check_add_overflow(err, resid, &h->sync_maxerror_ns) ||
		 h->sync_maxerror_ns == TSMON_SYNC_ERROR_UNKNOWN)
		h->sync_maxerror_ns = TSMON_SYNC_ERROR_UNKNOWN - 1;
}

/**
 * tsmon_hooks_visible() - the hooks readers may rely on
 * @d: device state
 *
 * Return: the attached hooks, without the NTP group once it was refused.
 */
u32 tsmon_hooks_visible(struct tsmon_dev *d)
{
	u32 hooks = READ_ONCE(d->hooks);

	return tsmon_ntp_off(d) ? hooks & ~TSMON_HOOK_ADJTIMEX : hooks;
}

/* Announce the deletion the kernel just scheduled for second @next. */
static void tsmon_del_arm(struct tsmon_dev *d, s64 next, u64 mono, u64 real)
{
	struct tsmon_record rec;

	d->del_armed = true;
	d->del_leap_real_ns = (u64)next * NSEC_PER_SEC;
	tsmon_rec_init(&rec, TSMON_EVENT_LEAP_ARMED, mono, real);
	rec.leap.leap_real_ns = d->del_leap_real_ns;
	rec.leap.direction = TSMON_LEAP_DELETE;
	tsmon_emit(d, &rec);
}

/* Withdraw an announced deletion the kernel will no longer perform. */
static void tsmon_del_disarm(struct tsmon_dev *d, u64 mono, u64 real)
{
	struct tsmon_record rec;

	if (!d->del_armed)
		return;
	d->del_armed = false;
	tsmon_rec_init(&rec, TSMON_EVENT_LEAP_DISARMED, mono, real);
	rec.leap.leap_real_ns = d->del_leap_real_ns;
	rec.leap.direction = TSMON_LEAP_DELETE;
	tsmon_emit(d, &rec);
}

/* Move the shadow's time_state, recording the change once NTP state is known. */
static void tsmon_ntp_state_to(struct tsmon_dev *d, int state, u64 mono,
			       u64 real)
{
	struct tsmon_record rec;

	if (state == d->ntp_state)
		return;
	/* While lost, readers see unknown; the relearning call records the rest. */
	if (d->ntp_seen && !d->ntp_lost) {
		tsmon_rec_init(&rec, TSMON_EVENT_NTP_STATE, mono, real);
		rec.ntp_state.state_before = d->ntp_state;
		rec.ntp_state.state_after = state;
		tsmon_emit(d, &rec);
		d->health->ntp_state = state;
	}
	d->ntp_state = state;
}

/* Move the shadow's STA_* bits, recording (un)sync and mode changes. */
static void tsmon_ntp_status_to(struct tsmon_dev *d, u32 status, u64 mono,
				u64 real)
{
	u32 old = d->ntp_status;
	struct tsmon_record rec;

	d->ntp_status = status;
	d->health->ntp_status = status;
	if (!d->ntp_seen)
		return;

	if ((old ^ status) & STA_UNSYNC) {
		tsmon_rec_init(&rec, status & STA_UNSYNC ?
			       TSMON_EVENT_NTP_UNSYNC : TSMON_EVENT_NTP_SYNC,
			       mono, real);
		rec.ntp.status = status;
		rec.ntp.maxerror_ns = (u64)d->ntp_maxerror_us * NSEC_PER_USEC;
		rec.ntp.esterror_ns = (u64)d->ntp_esterror_us * NSEC_PER_USEC;
		tsmon_emit(d, &rec);
	}
	if ((old ^ status) & TSMON_NTP_MODE_BITS) {
		tsmon_rec_init(&rec, TSMON_EVENT_NTP_MODE, mono, real);
		rec.ntp_mode.status_before = old;
		rec.ntp_mode.status_after = status;
		tsmon_emit(d, &rec);
	}
}

/* Would second_overflow() change the shadow? Lets idle seconds skip writes. */
static bool tsmon_ntp_second_moves(const struct tsmon_dev *d, s64 secs)
{
	u32 st = d->ntp_status;

	if (!(st & STA_UNSYNC) &&
	    d->ntp_maxerror_us + TSMON_MAXERROR_GROWTH_US > NTP_PHASE_LIMIT)
		return true;

	switch (d->ntp_state) {
	case TIME_OK:
		return st & (STA_INS | STA_DEL);
	case TIME_INS:
		return !(st & STA_INS) || secs == d->ntp_next_leap;
	case TIME_DEL:
		return !(st & STA_DEL) || secs == d->ntp_next_leap;
	case TIME_OOP:
		return true;
	case TIME_WAIT:
		return !(st & (STA_INS | STA_DEL));
	}
	return false;
}

/* One second of the kernel's state machine, as in ntp.c second_overflow(). */
static void tsmon_ntp_second(struct tsmon_dev *d, s64 secs, u64 mono, u64 real)
{
	u32 st = d->ntp_status;
	s32 rem;

	switch (d->ntp_state) {
	case TIME_OK:
		if (st & STA_INS) {
			div_s64_rem(secs, TSMON_SECS_PER_DAY, &rem);
			d->ntp_next_leap = secs + TSMON_SECS_PER_DAY - rem;
			tsmon_ntp_state_to(d, TIME_INS, mono, real);
		} else if (st & STA_DEL) {
			div_s64_rem(secs + 1, TSMON_SECS_PER_DAY, &rem);
			d->ntp_next_leap = secs + TSMON_SECS_PER_DAY - rem;
			tsmon_ntp_state_to(d, TIME_DEL, mono, real);
			tsmon_del_arm(d, d->ntp_next_leap, mono, real);
		}
		break;
	case TIME_INS:
		if (!(st & STA_INS)) {
			d->ntp_next_leap = TIME64_MAX;
			tsmon_ntp_state_to(d, TIME_OK, mono, real);
		} else if (secs == d->ntp_next_leap) {
			tsmon_ntp_state_to(d, TIME_OOP, mono, real);
		}
		break;
	case TIME_DEL:
		if (!(st & STA_DEL)) {
			d->ntp_next_leap = TIME64_MAX;
			tsmon_ntp_state_to(d, TIME_OK, mono, real);
			tsmon_del_disarm(d, mono, real);
		} else if (secs == d->ntp_next_leap) {
			/*
			 * The timekeeping hook records the leap_applied and
			 * ends the announcement when REALTIME has moved.
			 */
			d->ntp_next_leap = TIME64_MAX;
			tsmon_ntp_state_to(d, TIME_WAIT, mono, real);
		}
		break;
	case TIME_OOP:
		d->ntp_next_leap = TIME64_MAX;
		tsmon_ntp_state_to(d, TIME_WAIT, mono, real);
		break;
	case TIME_WAIT:
		if (!(st & (STA_INS | STA_DEL)))
			tsmon_ntp_state_to(d, TIME_OK, mono, real);
		d->del_armed = false;	/* the deletion happened */
		break;
	}

	d->ntp_maxerror_us += TSMON_MAXERROR_GROWTH_US;
	if (d->ntp_maxerror_us > NTP_PHASE_LIMIT) {
		d->ntp_maxerror_us = NTP_PHASE_LIMIT;
		tsmon_ntp_status_to(d, d->ntp_status | STA_UNSYNC, mono, real);
	}
}

/*
 * second_overflow() runs while the timekeeper accumulates: its second is
 * past the one the timekeeping hook saw last (by many after a long idle
 * with the tick stopped) and never ahead of now.
 */
static bool tsmon_ntp_second_ok(struct tsmon_dev *d, s64 secs)
{
	s64 last = (s64)READ_ONCE(d->tk_xtime_sec);
	s64 now = (s64)ktime_get_mono_fast_ns() +
		  (s64)READ_ONCE(d->health->offs_real_ns);

	return secs >= last - TSMON_NTP_SLACK_S &&
	       secs <= div_s64(now, NSEC_PER_SEC) + TSMON_NTP_SLACK_S;
}

static int tsmon_second_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct tsmon_dev *d = container_of(p, struct tsmon_dev, second_kp);
	unsigned long tkid = tsmon_ntp_tkid(regs);
	s64 secs = tsmon_ntp_so_secs(regs);
	unsigned long flags;

	if (tsmon_ntp_off(d))
		return 0;
	if (tkid != TSMON_TKID_CORE) {
		if (tkid >= TSMON_TKID_LIMIT)
			tsmon_ntp_refuse(d, "second_overflow",
					 "timekeeper id out of range", tkid);
		return 0;
	}
	/* Written by the timekeeping hook under the same timekeeper lock. */
	if (d->tk_have_prev && !tsmon_ntp_second_ok(d, secs)) {
		tsmon_ntp_refuse(d, "second_overflow",
				 "second not the timekeeper's", secs);
		return 0;
	}

	/* Tick context, under the timekeeper lock: fast accessors only. */
	flags = tsmon_lock(d);
	if (!d->ntp_seen) {
		/* Nothing to shadow until the STA_* bits are known. */
	} else if (tsmon_ntp_second_moves(d, secs)) {
		u64 mono = tsmon_rec_mono(d);

		tsmon_health_begin(d);
		/* Like every record: when tsmon saw it, on both clocks. */
		tsmon_ntp_second(d, secs, mono, tsmon_real_of(d, mono));
		tsmon_update_leap_state(d);
		tsmon_health_end(d);
	} else {
		/* An idle second: only maxerror grows, below its limit. */
		d->ntp_maxerror_us += TSMON_MAXERROR_GROWTH_US;
	}
	tsmon_unlock(d, flags);
	return 0;
}

static int tsmon_clear_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct tsmon_dev *d = container_of(p, struct tsmon_dev, clear_kp);
	unsigned long tkid = tsmon_ntp_tkid(regs);
	unsigned long flags;

	if (tsmon_ntp_off(d))
		return 0;
	if (tkid != TSMON_TKID_CORE) {
		if (tkid >= TSMON_TKID_LIMIT)
			tsmon_ntp_refuse(d, "ntp_clear",
					 "timekeeper id out of range", tkid);
		return 0;
	}

	/*
	 * Always inside timekeeping_update(), before the timekeeping hook
	 * runs for the same update: the hook reports the consequences after
	 * the step or clocksource change that caused them.
	 */
	flags = tsmon_lock(d);
	if (!tsmon_ntp_off(d)) {
		d->ntp_next_leap = TIME64_MAX;
		d->ntp_maxerror_us = NTP_PHASE_LIMIT;
		d->ntp_esterror_us = NTP_PHASE_LIMIT;
		d->ntp_cleared = true;
		if (!d->ntp_seen || d->ntp_lost)
			d->ntp_blind_clear = true;
	}
	tsmon_unlock(d, flags);
	return 0;
}

/**
 * tsmon_ntp_cleared() - report what an ntp_clear() did to a pending leap
 * @d:    device state, inside a health update
 * @mono: CLOCK_MONOTONIC of the update that cleared NTP state
 * @real: CLOCK_REALTIME of that update
 *
 * A deletion the kernel had already scheduled is gone; one requested but
 * not yet scheduled (STA_DEL set within the current second) is scheduled at
 * the next second as usual. Insertions are reported by the timekeeping hook.
 */
void tsmon_ntp_cleared(struct tsmon_dev *d, u64 mono, u64 real)
{
	lockdep_assert_held(&d->lock);

	d->ntp_cleared = false;
	if (!d->ntp_seen || tsmon_ntp_off(d))
		return;
	tsmon_ntp_status_to(d, d->ntp_status | STA_UNSYNC, mono, real);
	if (d->ntp_state == TIME_DEL)
		tsmon_del_disarm(d, mono, real);
	tsmon_update_leap_state(d);
}

/* The deletion instant the kernel computes when it enters TIME_DEL at @sec. */
static s64 tsmon_deletion_at(s64 sec)
{
	s32 rem;

	div_s64_rem(sec + 1, TSMON_SECS_PER_DAY, &rem);
	return sec + TSMON_SECS_PER_DAY - rem;
}

/* The insertion instant of a TIME_INS the kernel entered at or before @sec. */
static s64 tsmon_insertion_at(struct tsmon_dev *d, s64 sec)
{
	s32 rem;

	/* The timekeeper holds the scheduled instant itself. */
	if (d->ins_armed)
		return (s64)div_u64(d->ins_leap_real_ns, NSEC_PER_SEC);
	div_s64_rem(sec, TSMON_SECS_PER_DAY, &rem);
	return sec + TSMON_SECS_PER_DAY - rem;
}

/*
 * __do_adjtimex() reports the leap from the wall clock it read: once that
 * reaches the scheduled second it returns the state second_overflow() will
 * enter at the next tick (and moves txc->time and tai as the leap will),
 * up to a tick early, indistinguishable from the real state in the call.
 * The timekeeper tells them apart: it drops its insertion schedule in the
 * tick that inserts, and its second (@tk_xtime_sec, under the same lock)
 * has not reached the scheduled one yet. The shadow waits for that tick;
 * a shadow relearning after a missed probe then takes the real state.
 */
static bool tsmon_ntp_ret_early(const struct tsmon_dev *d, int ret)
{
	s64 next = d->ntp_next_leap;
	s64 xsec = (s64)READ_ONCE(d->tk_xtime_sec);

	switch (d->ntp_state) {
	case TIME_INS:
		return ret == TIME_OOP && d->ins_armed;
	case TIME_DEL:
	case TIME_OOP:
		return ret == TIME_WAIT && next != TIME64_MAX && xsec < next;
	}
	return false;
}

/*
 * TIME_DEL seen by an adjtimex call, not entered through second_overflow():
 * scheduled for the end of the day, unless an ntp_clear() the shadow did
 * not follow may have dropped the schedule (the kernel then stays in
 * TIME_DEL and deletes nothing). Such a deletion is not announced.
 */
static void tsmon_ntp_del_seen(struct tsmon_dev *d, s64 sec, u64 mono,
			       u64 real)
{
	if (d->ntp_blind_clear) {
		d->ntp_next_leap = TIME64_MAX;
		return;
	}
	d->ntp_next_leap = tsmon_deletion_at(sec);
	tsmon_del_arm(d, d->ntp_next_leap, mono, real);
}

/* Remember a sync update's interval; publish the longest of the recent ones. */
static void tsmon_sync_interval(struct tsmon_dev *d, u64 interval)
{
	struct tsmon_health *h = d->health;
	u64 longest = 0;
	u32 i;

	d->sync_hist[d->sync_hist_pos] = interval;
	d->sync_hist_pos = (d->sync_hist_pos + 1) % TSMON_SYNC_HISTORY;
	if (d->sync_hist_len < TSMON_SYNC_HISTORY)
		d->sync_hist_len++;
	for (i = 0; i < d->sync_hist_len; i++)
		longest = max(longest, d->sync_hist[i]);
	h->sync_last_interval_ns = interval;
	h->sync_interval_ns = longest;
}

/*
 * txc->time is the REALTIME the call read before it took the timekeeper
 * lock (a pending leap moves it by one): never ahead of now, behind by as
 * long as the task was preempted in between. From 6.17 an ADJ_SETOFFSET
 * steps the clock after that read, and a step by another task can fall
 * between the two: such calls are not held to it.
 */
static bool tsmon_ntp_time_ok(struct tsmon_dev *d, unsigned int modes,
			      const struct __kernel_timex *txc, u64 mono,
			      s64 sec)
{
	if (modes & ADJ_SETOFFSET)
		return true;
	if (d->tk_shift_mono &&
	    (s64)(mono - d->tk_shift_mono) < TSMON_NTP_SLACK_S * NSEC_PER_SEC)
		return true;
	return txc->time.tv_sec >= sec - TSMON_NTP_LAG_S &&
	       txc->time.tv_sec <= sec + TSMON_NTP_SLACK_S;
}

static void tsmon_adjtimex_seen(struct tsmon_dev *d,
				const struct tsmon_adj_ctx *ctx,
				const struct __kernel_timex *txc, int ret)
{
	u32 status = (u32)txc->status;
	struct tsmon_health *h = d->health;
	unsigned long flags;
	bool first, relearn;
	u64 mono, real;
	u32 prev;
	s64 sec;

	flags = tsmon_lock(d);
	/*
	 * The probes attach before the timekeeping hook: until it has its
	 * baseline, the REALTIME offset records are stamped with is unknown.
	 * Such a call is not seen, as if it came before the load; the next
	 * one is the baseline.
	 */
	if (!d->tk_have_prev || tsmon_ntp_off(d)) {
		tsmon_unlock(d, flags);
		return;
	}
	/* Under the lock: records' mono_ns follow their seq. */
	mono = tsmon_rec_mono(d);
	real = tsmon_real_of(d, mono);
	sec = div_u64(real, NSEC_PER_SEC);
	if (!tsmon_ntp_time_ok(d, ctx->modes, txc, mono, sec)) {
		tsmon_unlock(d, flags);
		tsmon_ntp_refuse(d, TSMON_NTP_ADJTIMEX_SYM,
				 "txc->time.tv_sec not tsmon's REALTIME second",
				 txc->time.tv_sec);
		return;
	}
	tsmon_health_begin(d);
	first = !d->ntp_seen;
	/* After a probe miss the shadow learns the kernel's state afresh. */
	relearn = first || d->ntp_lost;
	prev = d->ntp_status;

	h->ntp_captures++;
	h->ntp_capture_mono_ns = mono;
	h->ntp_capture_modes = ctx->modes;
	h->ntp_maxerror_ns = (u64)txc->maxerror * NSEC_PER_USEC;
	h->ntp_esterror_ns = (u64)txc->esterror * NSEC_PER_USEC;
	/* adjtime(3) calls return the remaining slew there, not the PLL's. */
	if (!(ctx->modes & ADJ_ADJTIME))
		h->ntp_offset_ns = (u64)(status & STA_NANO ? txc->offset :
					 txc->offset * NSEC_PER_USEC);
	/* timex.freq is ppm with 16 fractional bits. */
	h->ntp_freq_ppb = (u64)div_s64(txc->freq * 1000, 1 << 16);
	h->ntp_constant = (u32)txc->constant;
	h->ntp_tick_us = (u32)txc->tick;
	d->ntp_maxerror_us = txc->maxerror;
	d->ntp_esterror_us = txc->esterror;

	tsmon_ntp_status_to(d, status, mono, real);

	if ((ctx->modes & ADJ_STATUS) && !first && (prev & STA_PLL) &&
	    !(status & STA_PLL)) {
		/* Leaving PLL mode resets time_state and unschedules leaps. */
		d->ntp_next_leap = TIME64_MAX;
		tsmon_ntp_state_to(d, TIME_OK, mono, real);
		tsmon_del_disarm(d, mono, real);
	} else if (d->ntp_state == TIME_DEL && !(status & STA_DEL)) {
		/* The next second_overflow() drops it: nothing can happen first. */
		tsmon_del_disarm(d, mono, real);
	}

	if (ret != TIME_ERROR && ret != d->ntp_state &&
	    !tsmon_ntp_ret_early(d, ret)) {
		/* time_state is visible: the shadow follows the kernel. */
		tsmon_ntp_state_to(d, ret, mono, real);
		if (ret == TIME_INS)
			d->ntp_next_leap = tsmon_insertion_at(d, sec);
		if (ret == TIME_DEL && !d->del_armed)
			tsmon_ntp_del_seen(d, sec, mono, real);
		else if (ret != TIME_DEL)
			d->del_armed = false;
	} else if (relearn && ret == TIME_ERROR) {
		/*
		 * Hidden behind an error status at the first sight (or after
		 * a probe miss). The kernel enters TIME_INS / TIME_DEL within a
		 * second of STA_INS / STA_DEL and stays there while they are
		 * set (or until the leap happens), so that is the state to
		 * assume.
		 */
		if (d->ins_armed || (status & STA_INS)) {
			d->ntp_state = TIME_INS;
			d->ntp_next_leap = tsmon_insertion_at(d, sec);
		} else if (status & STA_DEL) {
			d->ntp_state = TIME_DEL;
			tsmon_ntp_del_seen(d, sec, mono, real);
		} else {
			/* Any other state turns TIME_OK at the next second. */
			d->ntp_state = TIME_OK;
			d->ntp_next_leap = TIME64_MAX;
			d->del_armed = false;
		}
	}
	if (relearn) {
		struct tsmon_record rec;

		if (d->ntp_lost) {
			/* Out of unknown: the state the kernel has shown. */
			tsmon_rec_init(&rec, TSMON_EVENT_NTP_STATE, mono, real);
			rec.ntp_state.state_before = TSMON_NTP_STATE_UNKNOWN;
			rec.ntp_state.state_after = d->ntp_state;
			tsmon_emit(d, &rec);
		}
		d->ntp_seen = true;
		d->ntp_lost = false;
		d->ntp_blind_clear = false;
		h->ntp_state = d->ntp_state;
	}

	if (ctx->modes & ADJ_MAXERROR) {
		if (d->sync_last_mono)
			tsmon_sync_interval(d, mono - d->sync_last_mono);
		d->sync_last_mono = mono;
		h->ntp_syncs++;
		h->sync_mono_ns = mono;
		tsmon_sync_error(d, h);
		h->sync_esterror_ns = h->ntp_esterror_ns;
	}

	tsmon_update_leap_state(d);
	tsmon_health_end(d);
	tsmon_unlock(d, flags);
}

/* A nonzero return skips the return handler of this call. */
static int tsmon_adjtimex_entry(struct kretprobe_instance *ri,
				struct pt_regs *regs)
{
	struct tsmon_dev *d = container_of(tsmon_get_kretprobe(ri),
					   struct tsmon_dev, adjtimex_krp);
	struct tsmon_adj_ctx *ctx = (struct tsmon_adj_ctx *)ri->data;
	unsigned long tkid = tsmon_ntp_tkid(regs);

	if (tsmon_ntp_off(d))
		return 1;
	if (tkid != TSMON_TKID_CORE) {
		if (tkid >= TSMON_TKID_LIMIT)
			tsmon_ntp_refuse(d, TSMON_NTP_ADJTIMEX_SYM,
					 "timekeeper id out of range", tkid);
		return 1;
	}
	ctx->txc = tsmon_ntp_adj_txc(regs);
	if (copy_from_kernel_nofault(&ctx->modes, &ctx->txc->modes,
				     sizeof(ctx->modes))) {
		tsmon_ntp_refuse(d, TSMON_NTP_ADJTIMEX_SYM,
				 "struct __kernel_timex pointer not readable",
				 (s64)(unsigned long)ctx->txc);
		return 1;
	}
	return 0;
}

static int tsmon_adjtimex_ret(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	struct tsmon_dev *d = container_of(tsmon_get_kretprobe(ri),
					   struct tsmon_dev, adjtimex_krp);
	struct tsmon_adj_ctx *ctx = (struct tsmon_adj_ctx *)ri->data;
	int ret = (int)regs_return_value(regs);
	struct __kernel_timex tx;

	if (tsmon_ntp_off(d))
		return 0;
	if (copy_from_kernel_nofault(&tx, ctx->txc, sizeof(tx))) {
		tsmon_ntp_refuse(d, TSMON_NTP_ADJTIMEX_SYM,
				 "struct __kernel_timex not readable on return",
				 (s64)(unsigned long)ctx->txc);
		return 0;
	}
	/* Constants the kernel has just written: a misplaced struct fails. */
	if (tx.precision != 1) {
		tsmon_ntp_refuse(d, TSMON_NTP_ADJTIMEX_SYM,
				 "txc->precision is not 1", tx.precision);
		return 0;
	}
	if (tx.tolerance != MAXFREQ_SCALED / PPM_SCALE) {
		tsmon_ntp_refuse(d, TSMON_NTP_ADJTIMEX_SYM,
				 "txc->tolerance is not MAXFREQ_SCALED / PPM_SCALE",
				 tx.tolerance);
		return 0;
	}
	if (ret < TIME_OK || ret > TIME_ERROR) {
		tsmon_ntp_refuse(d, TSMON_NTP_ADJTIMEX_SYM,
				 "return value is not a time_state", ret);
		return 0;
	}

	atomic64_inc(&d->adjtimex_calls);
	tsmon_adjtimex_seen(d, ctx, &tx, ret);
	return 0;
}

/**
 * tsmon_probes_missed_publish() - publish new probe misses
 * @d:    device state, inside a health update
 * @all:  tsmon_probes_missed()
 * @ntp:  its NTP part
 * @mono: CLOCK_MONOTONIC of the update
 * @real: CLOCK_REALTIME of the update
 *
 * A missed second_overflow(), ntp_clear() or adjtimex capture may have hidden
 * a second boundary, a cleared schedule or a leap transition: the shadow's
 * time_state is then published as unknown (readers give no bound) until the
 * next adjtimex call shows the kernel's.
 */
void tsmon_probes_missed_publish(struct tsmon_dev *d, u64 all, u64 ntp,
				 u64 mono, u64 real)
{
	struct tsmon_health *h = d->health;
	struct tsmon_record rec;

	lockdep_assert_held(&d->lock);

	d->missed_seen = all;
	h->probes_missed = all;
	h->probes_missed_ntp = ntp;
	if (ntp == d->missed_ntp_seen)
		return;
	d->missed_ntp_seen = ntp;
	if (!d->ntp_seen || d->ntp_lost || tsmon_ntp_off(d))
		return;
	d->ntp_lost = true;
	h->ntp_lost++;
	h->ntp_state = TSMON_NTP_STATE_UNKNOWN;
	tsmon_rec_init(&rec, TSMON_EVENT_NTP_STATE, mono, real);
	rec.ntp_state.state_before = d->ntp_state;
	rec.ntp_state.state_after = TSMON_NTP_STATE_UNKNOWN;
	tsmon_emit(d, &rec);
}

/**
 * tsmon_ntp_attach() - attach the NTP shadow's probes and the ADJ_SETOFFSET one
 * @d: device state with its region allocated
 *
 * The shadow would drift from the kernel without any one of its probes, so
 * the group attaches whole or not at all; TSMON_HOOK_ADJTIMEX says which.
 * Not fatal.
 */
void tsmon_ntp_attach(struct tsmon_dev *d)
{
	struct kprobe *kps[] = { &d->second_kp, &d->clear_kp };
	struct kretprobe *krps[] = { &d->adjtimex_krp, &d->setoffset_krp };

	d->ntp_state = TIME_OK;
	d->ntp_next_leap = TIME64_MAX;

	d->second_kp.symbol_name = "second_overflow";
	d->second_kp.pre_handler = tsmon_second_pre;
	d->clear_kp.symbol_name = "ntp_clear";
	d->clear_kp.pre_handler = tsmon_clear_pre;
	d->adjtimex_krp.kp.symbol_name = TSMON_NTP_ADJTIMEX_SYM;
	d->adjtimex_krp.entry_handler = tsmon_adjtimex_entry;
	d->adjtimex_krp.handler = tsmon_adjtimex_ret;
	d->adjtimex_krp.data_size = sizeof(struct tsmon_adj_ctx);
	tsmon_step_setoffset_init(&d->setoffset_krp);

	if (tsmon_probe_group_add("second_overflow, ntp_clear, "
				  TSMON_NTP_ADJTIMEX_SYM ", do_adjtimex",
				  kps, ARRAY_SIZE(kps), krps, ARRAY_SIZE(krps))) {
		pr_warn("NTP state not tracked: no leap second deletions, no STA_* bits\n");
		return;
	}
	d->hooks |= TSMON_HOOK_ADJTIMEX;
}

/**
 * tsmon_ntp_detach() - remove the NTP group
 * @d: device state
 *
 * Waits until no handler of the group is running.
 */
void tsmon_ntp_detach(struct tsmon_dev *d)
{
	struct kprobe *kps[] = { &d->second_kp, &d->clear_kp };
	struct kretprobe *krps[] = { &d->adjtimex_krp, &d->setoffset_krp };

	if (!(d->hooks & TSMON_HOOK_ADJTIMEX))
		return;
	tsmon_probe_group_remove(kps, ARRAY_SIZE(kps), krps, ARRAY_SIZE(krps));
	d->hooks &= ~TSMON_HOOK_ADJTIMEX;
}
