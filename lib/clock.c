// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libtsmon bounded clock: CLOCK_REALTIME together with how far it may be
 * from true time and whether that figure can be trusted, from the first
 * cache line of the health block and one CLOCK_MONOTONIC read.
 *
 * The module keeps REALTIME - MONOTONIC in that line, so REALTIME is a
 * MONOTONIC read plus a constant that changes only when the clock is
 * stepped: reading MONOTONIC inside the sequence count window ties the time,
 * the bound and the status to one instant. The bound is the maxerror the
 * synchronisation daemon last reported through adjtimex(2), grown by the
 * worst drift the caller assumes for the time since: it keeps growing when
 * the daemon stops reporting, which a figure the daemon writes cannot do.
 */
#include <errno.h>
#include <stddef.h>
#include <sys/timex.h>
#include <time.h>

#include "tsmon_private.h"

/* Health cache line 0 after seq: what a clock read uses. */
struct clock_line {
	uint64_t offs_real_ns;
	uint64_t sync_mono_ns;
	uint64_t sync_maxerror_ns;
	uint64_t sync_interval_ns;
	uint64_t disrupt_mono_ns;
	uint32_t disrupt_type;
	uint32_t ntp_status;
	uint32_t hooks;
	uint32_t ntp_state;
	/* Read only while ntp_state is not TIME_OK: a leap may be due. */
	uint32_t leap_state;
	uint64_t leap_real_ns;
};

_Static_assert(offsetof(struct tsmon_health, ntp_state) + sizeof(__u32) ==
	       TSMON_CLOCK_LINE, "the clock read must stay on one cache line");

#define LOAD_BODY(p)	__atomic_load_n(p, TSMON_BODY_ORDER)

/*
 * Copies line 0 under the sequence count, field by field so that the
 * values stay in registers. With @read_clock, *mono is read after the copy
 * and before the sequence is checked again: the copy was current when the
 * clock was read, or an update in between makes the check fail and the
 * whole read is redone.
 */
static inline __attribute__((always_inline))
int read_line(const struct tsmon *t, struct clock_line *l, uint64_t *mono,
	      bool read_clock)
{
	const struct tsmon_health *h = t->health;
	struct tsmon_spin spin = { 0 };
	uint64_t begin;

	do {
		/* Pairs with the writer's smp_wmb() before seq turns even. */
		begin = tsmon_load_acquire(&h->seq);
		if (begin & 1)
			continue;
		l->offs_real_ns = LOAD_BODY(&h->offs_real_ns);
		l->sync_mono_ns = LOAD_BODY(&h->sync_mono_ns);
		l->sync_maxerror_ns = LOAD_BODY(&h->sync_maxerror_ns);
		l->sync_interval_ns = LOAD_BODY(&h->sync_interval_ns);
		l->disrupt_mono_ns = LOAD_BODY(&h->disrupt_mono_ns);
		l->disrupt_type = LOAD_BODY(&h->disrupt_type);
		l->ntp_status = LOAD_BODY(&h->ntp_status);
		l->hooks = LOAD_BODY(&h->hooks);
		l->ntp_state = LOAD_BODY(&h->ntp_state);
		/*
		 * Another cache line, on the days a leap second is due only;
		 * seq covers these two as well.
		 */
		if (__builtin_expect(l->ntp_state != TIME_OK, 0)) {
			l->leap_state = LOAD_BODY(&h->leap_state);
			l->leap_real_ns = LOAD_BODY(&h->leap_real_ns);
		} else {
			l->leap_state = TSMON_LEAP_NONE;
			l->leap_real_ns = 0;
		}
		/* The module's MONOTONIC: the caller may be in a time namespace. */
		if (read_clock)
			*mono = tsmon_mono_now() - t->timens_offset;
		/*
		 * Pairs with the writer's smp_wmb() after seq turns odd: a
		 * field of a newer update seen above means the reload sees
		 * that update's seq.
		 */
		tsmon_read_barrier();
		if (tsmon_load_relaxed(&h->seq) == begin)
			return 0;
	} while (tsmon_spin_again(t, &spin));
	return -EAGAIN;
}

/* @a plus the two's complement @offs, clamped to [0, UINT64_MAX]. */
static inline uint64_t add_offset(uint64_t a, uint64_t offs)
{
	uint64_t r;

	if ((int64_t)offs >= 0)
		return __builtin_add_overflow(a, offs, &r) ? UINT64_MAX : r;
	/* -offs is the magnitude, also for INT64_MIN. */
	return a > -offs ? a + offs : 0;
}

/*
 * maxerror + age * ppb / 1e9, rounded down, or UINT64_MAX when that does
 * not fit. age * ppb fits in 64 bits for the first 4 days at 50 ppm; past
 * that, a 128-bit division would be a libgcc call on the clock read path,
 * while splitting the age into whole seconds and the rest needs none and
 * is exact: the whole seconds contribute exactly secs * ppb, and ppb <= 1e9
 * keeps the rest's product under 1e18.
 */
static inline uint64_t grow_bound(uint64_t maxerror, uint64_t age,
				  uint64_t ppb)
{
	unsigned __int128 b;
	uint64_t p, r;

	if (!__builtin_mul_overflow(age, ppb, &p))
		return __builtin_add_overflow(maxerror, p / NSEC_PER_SEC, &r) ||
		       r == UINT64_MAX ? UINT64_MAX : r;

	b = (unsigned __int128)(age / NSEC_PER_SEC) * ppb;
	b += (age % NSEC_PER_SEC) * ppb / NSEC_PER_SEC;
	b += maxerror;
	return b >= UINT64_MAX ? UINT64_MAX : (uint64_t)b;
}

/*
 * The common case on a straight path: NTP state known and synchronised,
 * sync updates fresh, no disruption since the last one or within the
 * cooldown, and no arithmetic near its limits. Returns false, having
 * written nothing, for anything else; evaluate() then takes every rule
 * one by one. A clock read is a few tens of nanoseconds, so every
 * instruction counts here.
 */
static inline __attribute__((always_inline))
bool evaluate_common(const struct clock_line *l, uint64_t mono,
		     uint64_t drift, uint64_t cooldown, uint32_t factor,
		     struct tsmon_time *out)
{
	uint64_t sync = l->sync_mono_ns, d = l->disrupt_mono_ns;
	uint64_t age, p, limit, bound, real, latest;

	if (!(l->hooks & TSMON_HOOK_ADJTIMEX) ||
	    l->ntp_state != TIME_OK ||
	    (l->ntp_status & (STA_UNSYNC | STA_CLOCKERR)) ||
	    !sync || mono < sync || d > sync ||
	    (d && mono - d < cooldown))
		return false;
	age = mono - sync;
	/*
	 * No interval known yet gives limit 0: the fixed limit applies then,
	 * which the full rules handle (and at age 0 both agree).
	 */
	if (__builtin_mul_overflow(factor, l->sync_interval_ns, &limit) ||
	    age > limit)
		return false;
	if (__builtin_mul_overflow(age, drift, &p) ||
	    __builtin_add_overflow(l->sync_maxerror_ns, p / NSEC_PER_SEC,
				   &bound) ||
	    (int64_t)l->offs_real_ns < 0 ||
	    __builtin_add_overflow(mono, l->offs_real_ns, &real) ||
	    real < bound || __builtin_add_overflow(real, bound, &latest) ||
	    latest == UINT64_MAX)
		return false;

	out->real_ns = real;
	out->mono_ns = mono;
	out->earliest_ns = real - bound;
	out->latest_ns = latest;
	out->bound_ns = bound;
	out->sync_age_ns = age;
	out->held_ns = 0;
	out->status = TSMON_CLOCK_SYNCHRONIZED;
	out->flags = 0;
	return true;
}

/*
 * A leap second is applied by the first tick at or after its instant, and
 * until then REALTIME reads a whole second off true UTC: ahead after the
 * midnight of an insertion, behind in the deleted 23:59:59. The tick can
 * be late (interrupts off, a stopped tick), so the edge lasts until the
 * health block says the leap happened, however long that takes. The module
 * keeps the leap pending until the update that moves REALTIME, also while
 * the NTP state already moved on in the same tick.
 */
static inline bool leap_edge(const struct clock_line *l, uint64_t real)
{
	uint64_t day = 86400 * NSEC_PER_SEC;

	if (l->leap_state == TSMON_LEAP_INSERT_PENDING ||
	    l->leap_state == TSMON_LEAP_DELETE_PENDING)
		return l->leap_real_ns && real >= l->leap_real_ns;
	/*
	 * TIME_DEL with no deletion announced: the kernel's schedule may have
	 * been dropped before tsmon could see it, or not. It would be the last
	 * second of the day.
	 */
	if (l->ntp_state == TIME_DEL)
		return real % day >= day - NSEC_PER_SEC;
	/* TIME_INS and nothing in the timekeeper: ntp_clear() dropped it. */
	return false;
}

static inline __attribute__((always_inline))
void evaluate(const struct tsmon *t, const struct clock_line *l,
	      uint64_t mono, struct tsmon_time *out)
{
	uint64_t drift = __atomic_load_n(&t->drift_ppb, __ATOMIC_RELAXED);
	uint64_t cooldown = __atomic_load_n(&t->cooldown_ns, __ATOMIC_RELAXED);
	uint32_t factor = __atomic_load_n(&t->stale_factor, __ATOMIC_RELAXED);
	uint64_t real, age, bound, limit;
	uint32_t flags = 0, status;
	bool unmeasured, before;

	real = add_offset(mono, l->offs_real_ns);

	if (__builtin_expect(evaluate_common(l, mono, drift, cooldown, factor,
					     out), 1))
		return;

	if (!(l->hooks & TSMON_HOOK_ADJTIMEX))
		flags |= TSMON_TIME_NO_HOOK;
	if (l->ntp_state == TSMON_NTP_STATE_UNKNOWN)
		flags |= TSMON_TIME_NO_CAPTURE;
	/*
	 * Before the last disruption REALTIME had another offset, which the
	 * line no longer holds: such an instant counts as within the
	 * cooldown, and has no bound (below).
	 */
	before = l->disrupt_mono_ns && mono < l->disrupt_mono_ns;
	if (before || (l->disrupt_mono_ns &&
		       mono - l->disrupt_mono_ns < cooldown))
		flags |= TSMON_TIME_COOLDOWN;
	if (l->ntp_status & (STA_UNSYNC | STA_CLOCKERR))
		flags |= TSMON_TIME_UNSYNC;
	if (l->ntp_state != TIME_OK && leap_edge(l, real))
		flags |= TSMON_TIME_LEAP_EDGE;

	if (!l->sync_mono_ns) {
		flags |= TSMON_TIME_NO_SYNC;
		age = UINT64_MAX;
	} else {
		/* An instant before the update is as far from it as one after. */
		age = mono > l->sync_mono_ns ? mono - l->sync_mono_ns :
					       l->sync_mono_ns - mono;
		/* A limit past 64 bits is never reached. */
		if (l->sync_interval_ns ?
		    !__builtin_mul_overflow(factor, l->sync_interval_ns,
					    &limit) && age > limit :
		    age > TSMON_STALE_UNKNOWN_NS)
			flags |= TSMON_TIME_STALE;
	}

	/*
	 * A step, resume or clocksource change after the last sync update
	 * moved the clock by an amount no measurement has covered. A leap
	 * second moves REALTIME by exactly what UTC prescribes and leaves
	 * the measured error as it was.
	 */
	unmeasured = l->sync_mono_ns &&
		     l->disrupt_mono_ns > l->sync_mono_ns &&
		     l->disrupt_type != TSMON_EVENT_LEAP_APPLIED;
	/* The source asserted no error, and no budget stands in for it. */
	if (l->sync_mono_ns &&
	    l->sync_maxerror_ns == TSMON_SYNC_ERROR_UNKNOWN)
		flags |= TSMON_TIME_NO_ERROR;
	if (!l->sync_mono_ns || unmeasured || before ||
	    (flags & (TSMON_TIME_NO_ERROR | TSMON_TIME_LEAP_EDGE)))
		bound = UINT64_MAX;
	else
		bound = grow_bound(l->sync_maxerror_ns, age, drift);
	if (bound == UINT64_MAX)
		flags |= TSMON_TIME_UNBOUNDED;

	if (flags & (TSMON_TIME_NO_HOOK | TSMON_TIME_NO_CAPTURE))
		status = TSMON_CLOCK_UNKNOWN;
	else if (flags & (TSMON_TIME_COOLDOWN | TSMON_TIME_LEAP_EDGE))
		status = TSMON_CLOCK_DISRUPTED;
	else if (flags & (TSMON_TIME_UNSYNC | TSMON_TIME_NO_SYNC |
			  TSMON_TIME_STALE))
		status = TSMON_CLOCK_FREE_RUNNING;
	/*
	 * Past the cooldown, a clock nothing has measured since it moved is
	 * still the disrupted one: a caller that checks only the status must
	 * not take an unbounded window for a synchronised clock.
	 */
	else if (unmeasured)
		status = TSMON_CLOCK_DISRUPTED;
	/* Disciplined, error unknown: nothing a caller may take for a bound. */
	else if (flags & TSMON_TIME_NO_ERROR)
		status = TSMON_CLOCK_UNKNOWN;
	else
		status = TSMON_CLOCK_SYNCHRONIZED;

	out->real_ns = real;
	out->mono_ns = mono;
	if (bound == UINT64_MAX) {
		out->earliest_ns = 0;
		out->latest_ns = UINT64_MAX;
	} else {
		out->earliest_ns = real > bound ? real - bound : 0;
		if (__builtin_add_overflow(real, bound, &out->latest_ns))
			out->latest_ns = UINT64_MAX;
	}
	out->bound_ns = bound;
	out->sync_age_ns = age;
	out->held_ns = 0;
	out->status = status;
	out->flags = flags;
}

/*
 * tsmon_now() for the library's own callers: inlined rather than called
 * through the exported, interposable symbol. @out holds at least a 1.0
 * struct tsmon_time (the callers check); mono_ns goes back to the caller's
 * time namespace.
 */
static inline __attribute__((always_inline))
int clock_read(const struct tsmon *t, struct tsmon_time *out)
{
	struct clock_line l;
	uint64_t mono = 0;
	int err;

	if (!t->clock_line)
		return -EOPNOTSUPP;
	err = read_line(t, &l, &mono, true);
	if (err)
		return err;
	evaluate(t, &l, mono, out);
	out->mono_ns += t->timens_offset;
	return 0;
}

/*
 * A caller's struct tsmon_time of @size bytes: the library's own when it is
 * at least that large (the tail zeroed), a local copy cut to @size when the
 * caller's is older and smaller.
 */
#define TIME_MIN_SIZE	(offsetof(struct tsmon_time, flags) + sizeof(uint32_t))

static inline void time_tail(struct tsmon_time *out, size_t size)
{
	if (__builtin_expect(size > sizeof(*out), 0))
		memset((unsigned char *)out + sizeof(*out), 0,
		       size - sizeof(*out));
}

TSMON_EXPORT
int tsmon_now_sz(const struct tsmon *t, struct tsmon_time *out, size_t size)
{
	struct tsmon_time local = { 0 };
	int err;

	if (!t || !out || size < TIME_MIN_SIZE)
		return -EINVAL;
	if (__builtin_expect(size >= sizeof(*out), 1)) {
		err = clock_read(t, out);
		if (!err)
			time_tail(out, size);
		return err;
	}
	err = clock_read(t, &local);
	if (!err)
		memcpy(out, &local, size);
	return err;
}

TSMON_EXPORT
int tsmon_now_at_sz(const struct tsmon *t, uint64_t mono_ns,
		    struct tsmon_time *out, size_t size)
{
	struct tsmon_time local = { 0 };
	struct clock_line l;
	int err;

	if (!t || !out || size < TIME_MIN_SIZE)
		return -EINVAL;
	if (!t->clock_line)
		return -EOPNOTSUPP;
	err = read_line(t, &l, NULL, false);
	if (err)
		return err;
	/* @mono_ns is the caller's; the line holds the module's. */
	evaluate(t, &l, mono_ns - t->timens_offset, &local);
	local.mono_ns = mono_ns;
	tsmon_fill(out, size, &local, sizeof(local));
	return 0;
}

TSMON_EXPORT
int tsmon_one_way_valid_sz(const struct tsmon *t, uint64_t max_bound_ns,
			   struct tsmon_time *out, size_t size)
{
	struct tsmon_time local = { 0 };
	int err;

	if (!t || (out && size < TIME_MIN_SIZE))
		return -EINVAL;
	err = clock_read(t, &local);
	if (err)
		return err;
	if (out)
		tsmon_fill(out, size, &local, sizeof(local));
	/*
	 * SYNCHRONIZED always comes with a bound today; the check on the
	 * flag keeps a limit of UINT64_MAX from ever accepting "unknown".
	 */
	return local.status == TSMON_CLOCK_SYNCHRONIZED &&
	       !(local.flags & TSMON_TIME_UNBOUNDED) &&
	       local.bound_ns <= max_bound_ns;
}

TSMON_EXPORT
int tsmon_forward_now_sz(const struct tsmon *t, struct tsmon_forward *f,
			 struct tsmon_time *out, size_t size)
{
	struct tsmon_time local = { 0 };
	uint64_t last;
	int err;

	if (!t || !f || !out || size < TIME_MIN_SIZE)
		return -EINVAL;
	err = clock_read(t, &local);
	if (err)
		return err;

	/*
	 * f->last_ns only ever grows, and no other memory is published
	 * through it, so relaxed order is enough: coherence of one atomic
	 * object already keeps a call from loading a value older than one
	 * that an earlier call (in this thread, or one that happens before
	 * it) loaded or stored.
	 */
	last = __atomic_load_n(&f->last_ns, __ATOMIC_RELAXED);
	while (local.real_ns > last) {
		if (__atomic_compare_exchange_n(&f->last_ns, &last,
						local.real_ns, true,
						__ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			goto out;
	}
	if (local.real_ns < last) {
		/* Earliest and latest still describe the clock as read. */
		local.held_ns = last - local.real_ns;
		local.real_ns = last;
		local.flags |= TSMON_TIME_HELD;
	}
out:
	tsmon_fill(out, size, &local, sizeof(local));
	return 0;
}

TSMON_EXPORT
int tsmon_set_drift(struct tsmon *t, uint64_t ppb)
{
	if (!t || ppb > TSMON_DRIFT_MAX_PPB)
		return -EINVAL;
	__atomic_store_n(&t->drift_ppb, ppb, __ATOMIC_RELAXED);
	return 0;
}

TSMON_EXPORT
int tsmon_set_cooldown(struct tsmon *t, uint64_t ns)
{
	if (!t)
		return -EINVAL;
	__atomic_store_n(&t->cooldown_ns, ns, __ATOMIC_RELAXED);
	return 0;
}

TSMON_EXPORT
int tsmon_set_stale_factor(struct tsmon *t, uint32_t factor)
{
	if (!t || !factor)
		return -EINVAL;
	__atomic_store_n(&t->stale_factor, factor, __ATOMIC_RELAXED);
	return 0;
}

TSMON_EXPORT
int tsmon_set_spin_limit(struct tsmon *t, uint64_t ns)
{
	if (!t)
		return -EINVAL;
	__atomic_store_n(&t->spin_limit_ns, ns, __ATOMIC_RELAXED);
	return 0;
}
