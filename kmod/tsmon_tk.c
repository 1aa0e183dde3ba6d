// SPDX-License-Identifier: GPL-2.0
/*
 * tsmon: the timekeeping hook.
 *
 * The pvclock gtod notifier runs from timekeeping_update() on every
 * timekeeper update - each tick and each clock_was_set - with interrupts off,
 * the timekeeper raw lock held and tk_core.seq held for writing. Events are
 * classified from differences between successive callbacks (the registration
 * call is the baseline):
 *
 *                        d(offs_real)  d(offs_boot)  d(tai_offset)
 *   step                 = step        0             0
 *   resume / sleep       = sleep       = sleep       0
 *   ADJ_TAI              0             0             = change
 *   leap insertion       -1 s          0             +1
 *   leap deletion        +1 s          0             -1
 *   clocksource change   0             0             0  (tkr_mono.clock)
 *
 * Only fields of the timekeeper passed in are read: ktime_get*() would spin
 * forever on the seqcount this CPU holds. The callback allocates nothing,
 * prints nothing and never sleeps; wakeups go through irq_work.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/clocksource.h>
#include <linux/ktime.h>
#include <linux/pvclock_gtod.h>
#include <linux/timekeeper_internal.h>

#include "tsmon_private.h"

static void tsmon_tk_read(const struct timekeeper *tk, struct tsmon_tk_snap *s)
{
	s->offs_real = ktime_to_ns(tk->offs_real);
	s->offs_boot = ktime_to_ns(tk->offs_boot);
	s->next_leap = ktime_to_ns(tk->next_leap_ktime);
	s->tai_offset = tk->tai_offset;
	/*
	 * timekeeping_adjust() adds ntp_err_mult (0 or 1) on top of the
	 * multiplier that encodes the NTP frequency, to steer accumulated
	 * error; leave it out so the published frequency does not flicker.
	 */
	s->mult = tk->tkr_mono.mult - tk->ntp_err_mult;
	s->clock = tk->tkr_mono.clock;
}

/*
 * The time of the event: now, with the new offsets applied. Not xtime:
 * do_adjtimex() updates the timekeeper without forwarding it, so it can lag
 * by a tick or a whole idle period. tsmon_rec_mono() uses the fast accessor,
 * which never waits on the seqcount this CPU holds for writing. Lock held.
 */
static void tsmon_tk_now(struct tsmon_dev *d, const struct tsmon_tk_snap *s,
			 u64 *mono, u64 *real)
{
	*mono = tsmon_rec_mono(d);
	*real = *mono + s->offs_real;
}

static void tsmon_tk_health(struct tsmon_dev *d, const struct timekeeper *tk,
			    const struct tsmon_tk_snap *s)
{
	struct tsmon_health *h = d->health;
	u32 cs_mult = tk->tkr_mono.clock->mult;

	h->offs_real_ns = (u64)s->offs_real;
	h->tai_offset = (u32)s->tai_offset;
	tsmon_set_name(h->clocksource, TSMON_CS_NAME_WORDS,
		       tk->tkr_mono.clock->name);
	h->tk_mult = s->mult;
	h->cs_mult = cs_mult;
	h->cs_shift = tk->tkr_mono.shift;
	h->freq_ppb = cs_mult ?
		(u64)div_s64(((s64)s->mult - (s64)cs_mult) * NSEC_PER_SEC,
			     cs_mult) : 0;
	tsmon_update_leap_state(d);
}

/* Leap arming as the timekeeper sees it: only insertions are visible here. */
static void tsmon_tk_leap_arming(struct tsmon_dev *d,
				 const struct tsmon_tk_snap *prev,
				 const struct tsmon_tk_snap *now,
				 bool inserted, u64 mono, u64 real)
{
	struct tsmon_record rec;
	bool was = prev->next_leap != KTIME_MAX;
	bool is = now->next_leap != KTIME_MAX;
	u64 prev_at = prev->next_leap + prev->offs_real;
	u64 now_at = now->next_leap + now->offs_real;

	/* A step moves next_leap (MONOTONIC) but not the instant it names. */
	if (was && is && prev_at == now_at)
		return;

	/* The applied leap clears the schedule: that is not a disarm. */
	if (was && !inserted) {
		tsmon_rec_init(&rec, TSMON_EVENT_LEAP_DISARMED, mono, real);
		rec.leap.leap_real_ns = prev_at;
		rec.leap.direction = TSMON_LEAP_INSERT;
		tsmon_emit(d, &rec);
	}
	if (is) {
		tsmon_rec_init(&rec, TSMON_EVENT_LEAP_ARMED, mono, real);
		rec.leap.leap_real_ns = now_at;
		rec.leap.direction = TSMON_LEAP_INSERT;
		tsmon_emit(d, &rec);
	}
	d->ins_armed = is;
	d->ins_leap_real_ns = is ? now_at : 0;
}

/*
 * Remember the last event that moved the clock under a reader's feet. A
 * leap second moves UTC by design and leaves an NTP bound valid; a step,
 * resume or clocksource change does not, until a sync update measures the
 * clock again. So a leap does not replace the type of an earlier such
 * disruption that no sync update has followed yet (it still restarts the
 * cooldown).
 */
static void tsmon_tk_disrupted(struct tsmon_dev *d, u32 type, u64 mono)
{
	struct tsmon_health *h = d->health;

	if (type == TSMON_EVENT_LEAP_APPLIED && h->disrupt_mono_ns &&
	    h->disrupt_type != TSMON_EVENT_LEAP_APPLIED &&
	    h->disrupt_mono_ns > h->sync_mono_ns)
		type = h->disrupt_type;
	h->disrupt_mono_ns = mono;
	h->disrupt_type = type;
}

static void tsmon_tk_classify(struct tsmon_dev *d,
			      const struct tsmon_tk_snap *prev,
			      const struct tsmon_tk_snap *now, bool vm_moved)
{
	s64 d_real = now->offs_real - prev->offs_real;
	s64 d_boot = now->offs_boot - prev->offs_boot;
	s32 d_tai = now->tai_offset - prev->tai_offset;
	u32 leap_dir = 0;
	struct tsmon_record rec;
	u64 mono, real;

	tsmon_tk_now(d, now, &mono, &real);
	if (d_real)
		d->tk_shift_mono = mono;

	if (d_boot) {
		tsmon_rec_init(&rec, TSMON_EVENT_RESUME, mono, real);
		rec.resume.sleep_ns = d_boot;
		tsmon_emit(d, &rec);
		tsmon_tk_disrupted(d, TSMON_EVENT_RESUME, mono);
		/* Sleep time moves REALTIME too; only the rest is a step. */
		d_real -= d_boot;
	}

	if (d_tai == 1 && d_real == -NSEC_PER_SEC)
		leap_dir = TSMON_LEAP_INSERT;
	else if (d_tai == -1 && d_real == NSEC_PER_SEC)
		leap_dir = TSMON_LEAP_DELETE;

	if (leap_dir) {
		/* Announced until now: readers know REALTIME is a second off. */
		if (leap_dir == TSMON_LEAP_DELETE)
			d->del_armed = false;
		tsmon_rec_init(&rec, TSMON_EVENT_LEAP_APPLIED, mono, real);
		rec.leap_applied.direction = leap_dir;
		rec.leap_applied.tai_before = (u32)prev->tai_offset;
		rec.leap_applied.tai_after = (u32)now->tai_offset;
		tsmon_emit(d, &rec);
		tsmon_tk_disrupted(d, TSMON_EVENT_LEAP_APPLIED, mono);
	} else {
		if (d_real) {
			struct tsmon_health *h = d->health;

			/* Before last_step_mono_ns moves: it needs the previous. */
			tsmon_ntp_stepped(d, d_real, mono);
			tsmon_rec_init(&rec, TSMON_EVENT_CLOCK_STEP, mono, real);
			rec.step.delta_ns = (u64)d_real;
			rec.step.reason = tsmon_take_step_reason(d);
			tsmon_emit(d, &rec);
			h->last_step_seq = rec.seq;
			h->last_step_mono_ns = mono;
			h->last_step_real_ns = real;
			h->last_step_delta_ns = (u64)d_real;
			h->last_step_reason = rec.step.reason;
			tsmon_tk_disrupted(d, TSMON_EVENT_CLOCK_STEP, mono);
		}
		if (d_tai) {
			tsmon_rec_init(&rec, TSMON_EVENT_TAI_CHANGE, mono, real);
			rec.tai.tai_before = (u32)prev->tai_offset;
			rec.tai.tai_after = (u32)now->tai_offset;
			tsmon_emit(d, &rec);
		}
	}

	if (now->clock != prev->clock) {
		tsmon_rec_init(&rec, TSMON_EVENT_CLOCKSOURCE_CHANGE, mono, real);
		tsmon_set_name(rec.cs.from, TSMON_NAME_WORDS, prev->cs_name);
		tsmon_set_name(rec.cs.to, TSMON_NAME_WORDS, now->cs_name);
		tsmon_emit(d, &rec);
		tsmon_tk_disrupted(d, TSMON_EVENT_CLOCKSOURCE_CHANGE, mono);
	}

	if (now->next_leap != prev->next_leap)
		tsmon_tk_leap_arming(d, prev, now,
				     leap_dir == TSMON_LEAP_INSERT, mono, real);

	/*
	 * The hypervisor moved the VM (migration, snapshot restore): the
	 * counter behind every clock may have jumped, unseen by the offsets.
	 */
	if (vm_moved && tsmon_vmclock_tick(d, mono, real))
		tsmon_tk_disrupted(d, TSMON_EVENT_VM_DISRUPTION, mono);

	/* After the step that caused it, as the kernel did it. */
	if (d->ntp_cleared)
		tsmon_ntp_cleared(d, mono, real);
}

static int tsmon_tk_notify(struct notifier_block *nb, unsigned long was_set,
			   void *priv)
{
	struct tsmon_dev *d = container_of(nb, struct tsmon_dev, tk_nb);
	const struct timekeeper *tk = priv;
	struct tsmon_tk_snap *prev = &d->tk_prev;
	struct tsmon_tk_snap now;
	unsigned long flags;
	u64 missed, missed_ntp;
	bool vm_moved;

	/* Serialised by the timekeeper lock: plain increments suffice. */
	WRITE_ONCE(d->tk_calls, d->tk_calls + 1);
	if (was_set)
		WRITE_ONCE(d->tk_was_set, d->tk_was_set + 1);
	/* What second_overflow() must continue from (tsmon_ntp.c checks it). */
	WRITE_ONCE(d->tk_xtime_sec, tk->xtime_sec);

	tsmon_tk_read(tk, &now);
	vm_moved = tsmon_vmclock_moved(d);
	missed = tsmon_probes_missed(d, &missed_ntp);

	/* The common case, a tick that changed nothing we publish. */
	if (d->tk_have_prev &&
	    now.offs_real == prev->offs_real &&
	    now.offs_boot == prev->offs_boot &&
	    now.next_leap == prev->next_leap &&
	    now.tai_offset == prev->tai_offset &&
	    now.mult == prev->mult &&
	    now.clock == prev->clock &&
	    !d->ntp_cleared && !vm_moved && missed == d->missed_seen)
		return NOTIFY_DONE;

	/*
	 * Copy the name only when the clocksource changes: the previous
	 * clocksource may be unregistered later, so its name is kept by value.
	 */
	if (d->tk_have_prev && now.clock == prev->clock)
		memcpy(now.cs_name, prev->cs_name, sizeof(now.cs_name));
	else
		strscpy(now.cs_name, tk->tkr_mono.clock->name,
			sizeof(now.cs_name));

	flags = tsmon_write_begin(d);
	if (!d->tk_have_prev) {
		/* Registration's own call: the state we start from. */
		d->ins_armed = now.next_leap != KTIME_MAX;
		d->ins_leap_real_ns = d->ins_armed ?
			now.next_leap + now.offs_real : 0;
		d->tk_have_prev = true;
		d->ntp_cleared = false;
	} else {
		tsmon_tk_classify(d, prev, &now, vm_moved);
	}
	if (missed != d->missed_seen) {
		u64 mono, real;

		tsmon_tk_now(d, &now, &mono, &real);
		tsmon_probes_missed_publish(d, missed, missed_ntp, mono, real);
	}
	tsmon_tk_health(d, tk, &now);
	*prev = now;
	tsmon_write_end(d, flags);

	return NOTIFY_DONE;
}

/**
 * tsmon_tk_attach() - register the timekeeping hook
 * @d: device state with its region allocated
 *
 * Registration calls the hook once with the current timekeeper, which
 * becomes the baseline.
 *
 * Return: 0 or a negative errno from the notifier chain.
 */
int tsmon_tk_attach(struct tsmon_dev *d)
{
	int ret;

	d->tk_nb.notifier_call = tsmon_tk_notify;
	d->tk_have_prev = false;
	ret = pvclock_gtod_register_notifier(&d->tk_nb);
	if (ret)
		return ret;
	d->hooks |= TSMON_HOOK_TIMEKEEPER;
	return 0;
}

/**
 * tsmon_tk_detach() - unregister the timekeeping hook
 * @d: device state
 *
 * Unregistration takes the timekeeper lock the hook runs under, so no
 * callback is running or can start once it returns.
 */
void tsmon_tk_detach(struct tsmon_dev *d)
{
	if (!(d->hooks & TSMON_HOOK_TIMEKEEPER))
		return;
	pvclock_gtod_unregister_notifier(&d->tk_nb);
	d->hooks &= ~TSMON_HOOK_TIMEKEEPER;
}
