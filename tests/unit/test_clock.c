// SPDX-License-Identifier: GPL-2.0-only
/*
 * The bounded clock: tsmon_now(), tsmon_now_at(), tsmon_one_way_valid(),
 * tsmon_forward_now() and the tsmon_set_*() settings, against health blocks
 * written the way the module writes them. Model results are checked with
 * tsmon_now_at() at chosen CLOCK_MONOTONIC instants; the live calls are
 * checked against the host's own clocks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <tsmon/tsmon.h>
#include "region.h"

#define NSEC		1000000000ULL
#define MSEC		1000000ULL
/* A synchronised clock: REALTIME - MONOTONIC, last sync update, its error. */
#define OFFS		1700000000000000000ULL
#define SYNC		(1000 * NSEC)
#define MAXERR		(1 * MSEC)
#define INTERVAL	(64 * NSEC)

struct fixture {
	struct region r;
	struct tsmon *t;
	struct tsmon_health h;		/* what publish() writes */
};

static void publish(struct fixture *f)
{
	region_health_write(&f->r, &f->h);
}

/* The block a module attached to a daemon that just synchronised writes. */
static void synced(struct tsmon_health *h)
{
	memset(h, 0, sizeof(*h));
	h->offs_real_ns = OFFS;
	h->sync_mono_ns = SYNC;
	h->sync_maxerror_ns = MAXERR;
	h->sync_interval_ns = INTERVAL;
	h->ntp_status = STA_PLL | STA_NANO;
	h->hooks = TSMON_HOOK_TIMEKEEPER | TSMON_HOOK_ADJTIMEX |
		   TSMON_HOOK_SETTIME;
	h->ntp_state = 0;	/* TIME_OK */
	h->ntp_captures = 10;
	h->ntp_syncs = 10;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || region_init(&f->r, 64, TSMON_RECORD_SIZE_V1)) {
		free(f);
		return -1;
	}
	synced(&f->h);
	publish(f);
	if (tsmon_attach(f->r.base, f->r.size, &f->t)) {
		region_fini(&f->r);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tsmon_close(f->t);
	region_fini(&f->r);
	free(f);
	return 0;
}

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

static struct tsmon_time at(struct fixture *f, uint64_t mono)
{
	struct tsmon_time out;

	memset(&out, 0xee, sizeof(out));
	assert_int_equal(tsmon_now_at(f->t, mono, &out), 0);
	assert_int_equal(out.mono_ns, mono);
	assert_int_equal(out.held_ns, 0);
	return out;
}

/*
 * The bound by its definition, with the straightforward 128-bit division
 * the library avoids: maxerror + floor(age * ppb / 1e9), UINT64_MAX when it
 * does not fit.
 */
static uint64_t ref_bound(uint64_t maxerror, uint64_t age, uint64_t ppb)
{
	unsigned __int128 b;

	b = (unsigned __int128)maxerror +
	    (unsigned __int128)age * ppb / NSEC;
	return b >= UINT64_MAX ? UINT64_MAX : (uint64_t)b;
}

/* A bounded, synchronised read at @mono with the given bound. */
static void expect_bound(struct fixture *f, uint64_t mono, uint64_t bound)
{
	struct tsmon_time t = at(f, mono);

	assert_int_equal(t.status, TSMON_CLOCK_SYNCHRONIZED);
	assert_int_equal(t.flags, 0);
	assert_int_equal(t.real_ns, mono + OFFS);
	assert_int_equal(t.sync_age_ns, mono - SYNC);
	assert_int_equal(t.bound_ns, bound);
	assert_int_equal(t.earliest_ns, t.real_ns - bound);
	assert_int_equal(t.latest_ns, t.real_ns + bound);
}

/* Worked examples, then the definition at many ages and drifts. */
static void test_bound_exact(void **state)
{
	static const uint64_t ages[] = {
		0, 1, 999, 999999999, NSEC, NSEC + 1, 3 * NSEC / 2,
		10 * NSEC, 64 * NSEC + 7, 255 * NSEC + 999999999,
	};
	static const uint64_t drifts[] = {
		0, 1, 999, 50000, 500000, 1234567, 999999999, 1000000000,
	};
	struct fixture *f = *state;
	size_t i, j;

	/* Default drift, 50 ppm: 50 us per second of age. */
	expect_bound(f, SYNC, MAXERR);
	expect_bound(f, SYNC + NSEC, MAXERR + 50000);
	expect_bound(f, SYNC + 3 * NSEC / 2, MAXERR + 75000);
	/* 49 999.99995 ns: rounded down. */
	expect_bound(f, SYNC + NSEC - 1, MAXERR + 49999);

	/*
	 * The kernel's own rule: maxerror grows 500 us a second, so from
	 * 1 ms it reaches its 16 s limit after 31 998 s (with sync updates
	 * not stale that long after).
	 */
	assert_int_equal(tsmon_set_drift(f->t, TSMON_DRIFT_KERNEL_PPB), 0);
	assert_int_equal(tsmon_set_stale_factor(f->t, 1000), 0);
	expect_bound(f, SYNC + NSEC, MAXERR + 500 * 1000);
	expect_bound(f, SYNC + 10 * NSEC, MAXERR + 5 * MSEC);
	expect_bound(f, SYNC + 31998 * NSEC, 16 * NSEC);
	expect_bound(f, SYNC + 31998 * NSEC + 2 * MSEC, 16 * NSEC + 1000);

	/* 1 ppb: one nanosecond per whole second. */
	assert_int_equal(tsmon_set_drift(f->t, 1), 0);
	expect_bound(f, SYNC + NSEC - 1, MAXERR);
	expect_bound(f, SYNC + NSEC, MAXERR + 1);
	/* 100%: the clock may have stood still since the sync update. */
	assert_int_equal(tsmon_set_drift(f->t, NSEC), 0);
	expect_bound(f, SYNC + 12345, MAXERR + 12345);

	for (i = 0; i < sizeof(drifts) / sizeof(drifts[0]); i++) {
		assert_int_equal(tsmon_set_drift(f->t, drifts[i]), 0);
		for (j = 0; j < sizeof(ages) / sizeof(ages[0]); j++)
			expect_bound(f, SYNC + ages[j],
				     ref_bound(MAXERR, ages[j], drifts[i]));
	}
}

/* The library's arithmetic against the definition over the whole range. */
static void test_bound_random(void **state)
{
	struct fixture *f = *state;
	uint64_t x = 0x2545f4914f6cdd1dULL, age, drift, want;
	struct tsmon_time t;
	int i;

	for (i = 0; i < 20000; i++) {
		/* xorshift64: reproducible, covers every magnitude. */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		age = x >> (x % 64);
		drift = (x >> 11) % (NSEC + 1);
		f->h.sync_maxerror_ns = i % 2 ? x >> (i % 61) : MAXERR;
		f->h.sync_mono_ns = 1;
		f->h.sync_interval_ns = UINT64_MAX / 4;
		publish(f);
		assert_int_equal(tsmon_set_drift(f->t, drift), 0);
		if (age == UINT64_MAX)
			age--;
		t = at(f, 1 + age);
		want = ref_bound(f->h.sync_maxerror_ns, age, drift);
		assert_int_equal(t.bound_ns, want);
		assert_int_equal(!!(t.flags & TSMON_TIME_UNBOUNDED),
				 want == UINT64_MAX);
	}
}

/*
 * The model as documented, written as plainly as possible: the status
 * rules in order, the bound with 128-bit arithmetic, every clamp spelled
 * out.
 */
static void ref_time(const struct tsmon_health *h, uint64_t mono,
		     uint64_t drift, uint64_t cooldown, uint32_t factor,
		     struct tsmon_time *e)
{
	__int128 real = (__int128)mono + (int64_t)h->offs_real_ns;
	bool bounded, unmeasured, before;

	memset(e, 0, sizeof(*e));
	e->mono_ns = mono;
	e->real_ns = real < 0 ? 0 : real > UINT64_MAX ? UINT64_MAX :
		     (uint64_t)real;
	if (!(h->hooks & TSMON_HOOK_ADJTIMEX))
		e->flags |= TSMON_TIME_NO_HOOK;
	if (h->ntp_state == TSMON_NTP_STATE_UNKNOWN)
		e->flags |= TSMON_TIME_NO_CAPTURE;
	if (h->disrupt_mono_ns &&
	    (__int128)mono - h->disrupt_mono_ns < (__int128)cooldown)
		e->flags |= TSMON_TIME_COOLDOWN;
	if (h->ntp_status & (STA_UNSYNC | STA_CLOCKERR))
		e->flags |= TSMON_TIME_UNSYNC;
	/* A leap due and its instant passed: the tick has not applied it. */
	if (h->ntp_state != TIME_OK) {
		bool edge;

		if (h->leap_state == TSMON_LEAP_INSERT_PENDING ||
		    h->leap_state == TSMON_LEAP_DELETE_PENDING)
			edge = h->leap_real_ns && e->real_ns >= h->leap_real_ns;
		else
			edge = h->ntp_state == TIME_DEL &&
			       e->real_ns % (86400 * NSEC) >= 86399 * NSEC;
		if (edge)
			e->flags |= TSMON_TIME_LEAP_EDGE;
	}
	if (!h->sync_mono_ns) {
		e->flags |= TSMON_TIME_NO_SYNC;
		e->sync_age_ns = UINT64_MAX;
	} else {
		e->sync_age_ns = mono > h->sync_mono_ns ?
				 mono - h->sync_mono_ns : h->sync_mono_ns - mono;
		if (h->sync_interval_ns ?
		    e->sync_age_ns > (unsigned __int128)factor *
				     h->sync_interval_ns :
		    e->sync_age_ns > TSMON_STALE_UNKNOWN_NS)
			e->flags |= TSMON_TIME_STALE;
	}
	unmeasured = h->sync_mono_ns &&
		     h->disrupt_mono_ns > h->sync_mono_ns &&
		     h->disrupt_type != TSMON_EVENT_LEAP_APPLIED;
	before = h->disrupt_mono_ns && mono < h->disrupt_mono_ns;
	if (h->sync_mono_ns && h->sync_maxerror_ns == TSMON_SYNC_ERROR_UNKNOWN)
		e->flags |= TSMON_TIME_NO_ERROR;
	bounded = h->sync_mono_ns && !unmeasured && !before &&
		  !(e->flags & (TSMON_TIME_NO_ERROR | TSMON_TIME_LEAP_EDGE));
	e->bound_ns = bounded ? ref_bound(h->sync_maxerror_ns,
					  e->sync_age_ns, drift) : UINT64_MAX;
	if (e->bound_ns == UINT64_MAX) {
		e->flags |= TSMON_TIME_UNBOUNDED;
		e->earliest_ns = 0;
		e->latest_ns = UINT64_MAX;
	} else {
		e->earliest_ns = e->real_ns > e->bound_ns ?
				 e->real_ns - e->bound_ns : 0;
		e->latest_ns = (unsigned __int128)e->real_ns + e->bound_ns >
			       UINT64_MAX ? UINT64_MAX :
			       e->real_ns + e->bound_ns;
	}
	if (e->flags & (TSMON_TIME_NO_HOOK | TSMON_TIME_NO_CAPTURE))
		e->status = TSMON_CLOCK_UNKNOWN;
	else if (e->flags & (TSMON_TIME_COOLDOWN | TSMON_TIME_LEAP_EDGE))
		e->status = TSMON_CLOCK_DISRUPTED;
	else if (e->flags & (TSMON_TIME_UNSYNC | TSMON_TIME_NO_SYNC |
			     TSMON_TIME_STALE))
		e->status = TSMON_CLOCK_FREE_RUNNING;
	else if (unmeasured)
		e->status = TSMON_CLOCK_DISRUPTED;
	else if (e->flags & TSMON_TIME_NO_ERROR)
		e->status = TSMON_CLOCK_UNKNOWN;
	else
		e->status = TSMON_CLOCK_SYNCHRONIZED;
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* One of @n choices, or any 64-bit value one time in n + 1. */
static uint64_t pick(uint64_t *x, const uint64_t *v, size_t n)
{
	uint64_t r = xorshift(x);

	return r % (n + 1) == n ? xorshift(x) : v[r % (n + 1)];
}

#define PICK(x, ...) pick(x, (const uint64_t[]){ __VA_ARGS__ }, \
			  sizeof((const uint64_t[]){ __VA_ARGS__ }) / 8)

/*
 * Random lines, settings and instants, biased towards the values where
 * the rules change their answer, against the reference: every field of
 * every result must agree.
 */
static void test_model_random(void **state)
{
	struct fixture *f = *state;
	struct tsmon_health *h = &f->h;
	uint64_t x = 0x853c49e6748fea9bULL, mono, drift, cooldown;
	struct tsmon_time got, want;
	uint32_t factor;
	int i, synced = 0;

	for (i = 0; i < 200000; i++) {
		h->hooks = (uint32_t)PICK(&x, TSMON_HOOK_TIMEKEEPER |
					  TSMON_HOOK_ADJTIMEX,
					  TSMON_HOOK_ADJTIMEX,
					  TSMON_HOOK_TIMEKEEPER);
		h->ntp_state = (uint32_t)PICK(&x, 0, 0, TIME_INS, TIME_DEL,
					      TIME_OOP, TSMON_NTP_STATE_UNKNOWN);
		h->leap_state = (uint32_t)PICK(&x, TSMON_LEAP_NONE,
					       TSMON_LEAP_INSERT_PENDING,
					       TSMON_LEAP_DELETE_PENDING);
		h->leap_real_ns = PICK(&x, 0, OFFS + SYNC, OFFS + SYNC + NSEC,
				       OFFS + SYNC + 5 * NSEC);
		h->ntp_status = (uint32_t)PICK(&x, STA_PLL, STA_PLL | STA_NANO,
					       STA_UNSYNC, STA_CLOCKERR);
		h->sync_mono_ns = PICK(&x, 0, SYNC, SYNC, 1, UINT64_MAX);
		h->sync_maxerror_ns = PICK(&x, MAXERR, MAXERR, 0,
					   UINT64_MAX - MAXERR, UINT64_MAX);
		h->sync_interval_ns = PICK(&x, INTERVAL, INTERVAL, 0, 1,
					   UINT64_MAX / 2);
		h->offs_real_ns = PICK(&x, OFFS, OFFS, 0,
				       (uint64_t)-(int64_t)SYNC,
				       (uint64_t)INT64_MIN,
				       (uint64_t)INT64_MAX);
		h->disrupt_mono_ns = PICK(&x, 0, 0, SYNC - NSEC, SYNC,
					  SYNC + 1, SYNC + 3 * NSEC);
		h->disrupt_type = (uint32_t)PICK(&x, TSMON_EVENT_CLOCK_STEP,
						 TSMON_EVENT_LEAP_APPLIED,
						 TSMON_EVENT_RESUME,
						 TSMON_EVENT_VM_DISRUPTION);
		mono = PICK(&x, SYNC, SYNC + NSEC, SYNC + 10 * NSEC,
			    SYNC + 4 * INTERVAL, SYNC + 4 * INTERVAL + 1,
			    SYNC - 1, UINT64_MAX, SYNC + 1 + (x >> 20));
		drift = PICK(&x, TSMON_DRIFT_DEFAULT_PPB,
			     TSMON_DRIFT_KERNEL_PPB, 0, NSEC) % (NSEC + 1);
		cooldown = PICK(&x, TSMON_COOLDOWN_DEFAULT_NS, 0, 1,
				UINT64_MAX);
		factor = (uint32_t)PICK(&x, 4, 1, 2, UINT32_MAX);
		if (!factor)
			factor = 1;

		publish(f);
		assert_int_equal(tsmon_set_drift(f->t, drift), 0);
		assert_int_equal(tsmon_set_cooldown(f->t, cooldown), 0);
		assert_int_equal(tsmon_set_stale_factor(f->t, factor), 0);
		memset(&got, 0xee, sizeof(got));
		assert_int_equal(tsmon_now_at(f->t, mono, &got), 0);
		ref_time(h, mono, drift, cooldown, factor, &want);
		if (memcmp(&got, &want, sizeof(got)))
			fail_msg("case %d: mono %llu: got status %u flags %#x "
				 "bound %llu real %llu, want %u %#x %llu %llu",
				 i, (unsigned long long)mono, got.status,
				 got.flags, (unsigned long long)got.bound_ns,
				 (unsigned long long)got.real_ns, want.status,
				 want.flags,
				 (unsigned long long)want.bound_ns,
				 (unsigned long long)want.real_ns);
		synced += want.status == TSMON_CLOCK_SYNCHRONIZED;
	}
	/* The common case was among them, many times. */
	assert_true(synced > 1000);
}

/*
 * Nothing updates the block, yet the bound keeps growing: a daemon that
 * stopped reporting makes the window wider, never stuck.
 */
static void test_bound_grows_without_updates(void **state)
{
	struct fixture *f = *state;
	uint64_t seq = f->r.health->seq, mono, prev = 0;
	struct tsmon_time t;
	struct timespec pause = { 0, 2 * MSEC };
	int i;

	for (mono = SYNC; mono < SYNC + 200 * NSEC; mono += 7 * NSEC) {
		t = at(f, mono);
		assert_int_equal(t.bound_ns,
				 ref_bound(MAXERR, mono - SYNC,
					   TSMON_DRIFT_DEFAULT_PPB));
		if (mono > SYNC)
			assert_true(t.bound_ns > prev);
		prev = t.bound_ns;
	}

	/* The same with the live clock: the sync update was 1 s ago. */
	f->h.sync_mono_ns = clock_ns(CLOCK_MONOTONIC) - NSEC;
	publish(f);
	seq = f->r.health->seq;
	prev = 0;
	for (i = 0; i < 5; i++) {
		assert_int_equal(tsmon_now(f->t, &t), 0);
		assert_int_equal(t.status, TSMON_CLOCK_SYNCHRONIZED);
		assert_int_equal(t.bound_ns,
				 ref_bound(MAXERR, t.sync_age_ns,
					   TSMON_DRIFT_DEFAULT_PPB));
		assert_true(t.sync_age_ns >= NSEC);
		assert_true(t.bound_ns > prev);
		prev = t.bound_ns;
		nanosleep(&pause, NULL);
	}
	assert_int_equal(f->r.health->seq, seq);
}

static void test_saturation(void **state)
{
	struct fixture *f = *state;
	struct tsmon_time t;

	/* The longest age there is, at 100% drift: no bound. */
	assert_int_equal(tsmon_set_drift(f->t, NSEC), 0);
	f->h.sync_mono_ns = 1;
	f->h.sync_interval_ns = 0;
	publish(f);
	t = at(f, UINT64_MAX);
	assert_int_equal(t.bound_ns, UINT64_MAX);
	assert_true(t.flags & TSMON_TIME_UNBOUNDED);
	assert_int_equal(t.earliest_ns, 0);
	assert_int_equal(t.latest_ns, UINT64_MAX);
	assert_int_equal(t.sync_age_ns, UINT64_MAX - 1);

	/* The same age at 50 ppm is a finite bound: 922 337 s. */
	assert_int_equal(tsmon_set_drift(f->t, TSMON_DRIFT_DEFAULT_PPB), 0);
	t = at(f, UINT64_MAX);
	assert_int_equal(t.bound_ns,
			 MAXERR + (UINT64_MAX - 1) / NSEC * 50000 +
			 (UINT64_MAX - 1) % NSEC * 50000 / NSEC);
	assert_false(t.flags & TSMON_TIME_UNBOUNDED);

	/* UINT64_MAX - 1 is the largest finite bound; one more saturates. */
	assert_int_equal(tsmon_set_drift(f->t, NSEC), 0);
	f->h.sync_mono_ns = SYNC;
	f->h.sync_maxerror_ns = UINT64_MAX - 1000;
	publish(f);
	t = at(f, SYNC + 999);
	assert_int_equal(t.bound_ns, UINT64_MAX - 1);
	assert_false(t.flags & TSMON_TIME_UNBOUNDED);
	assert_int_equal(t.earliest_ns, 0);
	assert_int_equal(t.latest_ns, UINT64_MAX);	/* clamped */
	t = at(f, SYNC + 1000);
	assert_int_equal(t.bound_ns, UINT64_MAX);
	assert_true(t.flags & TSMON_TIME_UNBOUNDED);

	/* A maxerror that is itself saturated. */
	f->h.sync_maxerror_ns = UINT64_MAX;
	publish(f);
	t = at(f, SYNC);
	assert_int_equal(t.bound_ns, UINT64_MAX);
	assert_true(t.flags & TSMON_TIME_UNBOUNDED);

	/* Wide but finite: earliest clamps at 0, latest is exact. */
	f->h.sync_maxerror_ns = OFFS + SYNC + 5;
	publish(f);
	t = at(f, SYNC);
	assert_int_equal(t.earliest_ns, 0);
	assert_int_equal(t.latest_ns, 2 * (OFFS + SYNC) + 5);

	/* REALTIME itself clamps instead of wrapping. */
	f->h.sync_maxerror_ns = MAXERR;
	publish(f);
	t = at(f, UINT64_MAX - OFFS + 1);
	assert_int_equal(t.real_ns, UINT64_MAX);
	t = at(f, UINT64_MAX - OFFS);
	assert_int_equal(t.real_ns, UINT64_MAX);
	t = at(f, UINT64_MAX - OFFS - 1);
	assert_int_equal(t.real_ns, UINT64_MAX - 1);
	f->h.offs_real_ns = (uint64_t)-(int64_t)(5 * NSEC);
	publish(f);
	t = at(f, SYNC);
	assert_int_equal(t.real_ns, SYNC - 5 * NSEC);
	t = at(f, 5 * NSEC + 1);
	assert_int_equal(t.real_ns, 1);
	t = at(f, 5 * NSEC - 1);
	assert_int_equal(t.real_ns, 0);
	f->h.offs_real_ns = (uint64_t)INT64_MIN;
	publish(f);
	t = at(f, (uint64_t)INT64_MAX + 2);
	assert_int_equal(t.real_ns, 1);
	t = at(f, SYNC);
	assert_int_equal(t.real_ns, 0);

	/* factor * interval beyond 64 bits must not wrap into "stale". */
	f->h.offs_real_ns = OFFS;
	f->h.sync_interval_ns = 1ULL << 62;
	publish(f);
	assert_int_equal(tsmon_set_stale_factor(f->t, 8), 0);
	t = at(f, UINT64_MAX);
	assert_false(t.flags & TSMON_TIME_STALE);
}

static void expect_status(struct fixture *f, uint64_t mono, uint32_t status,
			  uint32_t flags)
{
	struct tsmon_time t = at(f, mono);

	assert_int_equal(t.status, status);
	assert_int_equal(t.flags, flags);
}

static void test_status_synchronized(void **state)
{
	struct fixture *f = *state;

	expect_status(f, SYNC, TSMON_CLOCK_SYNCHRONIZED, 0);
	expect_status(f, SYNC + INTERVAL, TSMON_CLOCK_SYNCHRONIZED, 0);
	/*
	 * An instant before the update (a read racing it, or a past instant):
	 * as far from the measurement as one after, never wrapped.
	 */
	assert_int_equal(at(f, SYNC - 10).sync_age_ns, 10);
	assert_int_equal(at(f, SYNC - 10).bound_ns, MAXERR);
	assert_int_equal(at(f, SYNC - 100 * NSEC).sync_age_ns, 100 * NSEC);
	assert_int_equal(at(f, SYNC - 100 * NSEC).bound_ns,
			 ref_bound(MAXERR, 100 * NSEC, TSMON_DRIFT_DEFAULT_PPB));
}

static void test_status_unknown(void **state)
{
	struct fixture *f = *state;

	/* Probe not attached: nothing NTP-related is known. */
	f->h.hooks = TSMON_HOOK_TIMEKEEPER;
	publish(f);
	expect_status(f, SYNC, TSMON_CLOCK_UNKNOWN, TSMON_TIME_NO_HOOK);

	/* Attached, but no adjtimex call since the module loaded. */
	f->h.hooks = TSMON_HOOK_TIMEKEEPER | TSMON_HOOK_ADJTIMEX;
	f->h.ntp_state = TSMON_NTP_STATE_UNKNOWN;
	f->h.ntp_status = 0;
	f->h.sync_mono_ns = 0;
	f->h.sync_maxerror_ns = 0;
	f->h.sync_interval_ns = 0;
	publish(f);
	expect_status(f, SYNC, TSMON_CLOCK_UNKNOWN,
		      TSMON_TIME_NO_CAPTURE | TSMON_TIME_NO_SYNC |
		      TSMON_TIME_UNBOUNDED);

	/* Both, and UNKNOWN wins over a disruption in its cooldown. */
	f->h.hooks = TSMON_HOOK_TIMEKEEPER;
	f->h.disrupt_mono_ns = SYNC;
	f->h.disrupt_type = TSMON_EVENT_CLOCK_STEP;
	publish(f);
	expect_status(f, SYNC, TSMON_CLOCK_UNKNOWN,
		      TSMON_TIME_NO_HOOK | TSMON_TIME_NO_CAPTURE |
		      TSMON_TIME_NO_SYNC | TSMON_TIME_COOLDOWN |
		      TSMON_TIME_UNBOUNDED);
}

/* A block the module never wrote: no hook bits, so UNKNOWN. */
static void test_status_zero_block(void **state)
{
	struct fixture *f = *state;

	memset(&f->h, 0, sizeof(f->h));
	publish(f);
	expect_status(f, SYNC, TSMON_CLOCK_UNKNOWN,
		      TSMON_TIME_NO_HOOK | TSMON_TIME_NO_SYNC |
		      TSMON_TIME_UNBOUNDED);
}

static void test_status_cooldown(void **state)
{
	struct fixture *f = *state;
	uint64_t d = SYNC + 10 * NSEC;
	struct tsmon_time t;

	/* A leap second after the sync update: bounded all along. */
	f->h.disrupt_mono_ns = d;
	f->h.disrupt_type = TSMON_EVENT_LEAP_APPLIED;
	publish(f);
	expect_status(f, d, TSMON_CLOCK_DISRUPTED, TSMON_TIME_COOLDOWN);
	expect_status(f, d + TSMON_COOLDOWN_DEFAULT_NS - 1,
		      TSMON_CLOCK_DISRUPTED, TSMON_TIME_COOLDOWN);
	expect_status(f, d + TSMON_COOLDOWN_DEFAULT_NS,
		      TSMON_CLOCK_SYNCHRONIZED, 0);
	t = at(f, d + TSMON_COOLDOWN_DEFAULT_NS);
	assert_int_equal(t.bound_ns,
			 ref_bound(MAXERR, t.sync_age_ns,
				   TSMON_DRIFT_DEFAULT_PPB));
	/*
	 * A time before the disruption had another REALTIME offset, which the
	 * line no longer holds: disrupted, and no bound.
	 */
	expect_status(f, d - 1, TSMON_CLOCK_DISRUPTED,
		      TSMON_TIME_COOLDOWN | TSMON_TIME_UNBOUNDED);

	/* A step the daemon has measured since (a sync update after it). */
	f->h.disrupt_mono_ns = SYNC - NSEC;
	f->h.disrupt_type = TSMON_EVENT_CLOCK_STEP;
	publish(f);
	expect_status(f, SYNC, TSMON_CLOCK_DISRUPTED, TSMON_TIME_COOLDOWN);
	expect_status(f, SYNC - NSEC + TSMON_COOLDOWN_DEFAULT_NS,
		      TSMON_CLOCK_SYNCHRONIZED, 0);

	/* The cooldown is the caller's. */
	assert_int_equal(tsmon_set_cooldown(f->t, NSEC), 0);
	expect_status(f, SYNC - 1, TSMON_CLOCK_DISRUPTED, TSMON_TIME_COOLDOWN);
	expect_status(f, SYNC - NSEC - 1, TSMON_CLOCK_DISRUPTED,
		      TSMON_TIME_COOLDOWN | TSMON_TIME_UNBOUNDED);
	expect_status(f, SYNC, TSMON_CLOCK_SYNCHRONIZED, 0);
	assert_int_equal(tsmon_set_cooldown(f->t, 0), 0);
	expect_status(f, SYNC - NSEC, TSMON_CLOCK_SYNCHRONIZED, 0);
	assert_int_equal(tsmon_set_cooldown(f->t, UINT64_MAX), 0);
	expect_status(f, UINT64_MAX, TSMON_CLOCK_DISRUPTED,
		      TSMON_TIME_COOLDOWN | TSMON_TIME_STALE);

	/* DISRUPTED wins over FREE_RUNNING; both reasons are reported. */
	assert_int_equal(tsmon_set_cooldown(f->t, TSMON_COOLDOWN_DEFAULT_NS),
			 0);
	f->h.ntp_status |= STA_UNSYNC;
	publish(f);
	expect_status(f, SYNC, TSMON_CLOCK_DISRUPTED,
		      TSMON_TIME_COOLDOWN | TSMON_TIME_UNSYNC);
	expect_status(f, SYNC + 4 * NSEC, TSMON_CLOCK_FREE_RUNNING,
		      TSMON_TIME_UNSYNC);
}

static void test_status_free_running(void **state)
{
	struct fixture *f = *state;
	uint32_t base = f->h.ntp_status;

	f->h.ntp_status = base | STA_UNSYNC;
	publish(f);
	expect_status(f, SYNC, TSMON_CLOCK_FREE_RUNNING, TSMON_TIME_UNSYNC);

	f->h.ntp_status = base | STA_CLOCKERR;
	publish(f);
	expect_status(f, SYNC, TSMON_CLOCK_FREE_RUNNING, TSMON_TIME_UNSYNC);

	/* Other error-looking bits are not the daemon's verdict. */
	f->h.ntp_status = base | STA_PPSERROR | STA_PPSJITTER | STA_FREQHOLD;
	publish(f);
	expect_status(f, SYNC, TSMON_CLOCK_SYNCHRONIZED, 0);

	/* adjtimex calls, none of them a sync update. */
	f->h.ntp_status = base;
	f->h.sync_mono_ns = 0;
	f->h.sync_maxerror_ns = 0;
	f->h.sync_interval_ns = 0;
	publish(f);
	expect_status(f, SYNC, TSMON_CLOCK_FREE_RUNNING,
		      TSMON_TIME_NO_SYNC | TSMON_TIME_UNBOUNDED);
	assert_int_equal(at(f, SYNC).sync_age_ns, UINT64_MAX);
	assert_int_equal(at(f, SYNC).bound_ns, UINT64_MAX);
}

static void test_status_stale(void **state)
{
	struct fixture *f = *state;
	uint64_t limit = TSMON_STALE_FACTOR_DEFAULT * INTERVAL;

	/* Strictly more than factor x interval. */
	expect_status(f, SYNC + limit, TSMON_CLOCK_SYNCHRONIZED, 0);
	expect_status(f, SYNC + limit + 1, TSMON_CLOCK_FREE_RUNNING,
		      TSMON_TIME_STALE);

	assert_int_equal(tsmon_set_stale_factor(f->t, 2), 0);
	expect_status(f, SYNC + 2 * INTERVAL, TSMON_CLOCK_SYNCHRONIZED, 0);
	expect_status(f, SYNC + 2 * INTERVAL + 1, TSMON_CLOCK_FREE_RUNNING,
		      TSMON_TIME_STALE);

	/* One sync update only: no interval known, the fixed limit applies. */
	f->h.sync_interval_ns = 0;
	publish(f);
	expect_status(f, SYNC + 2 * INTERVAL + 1, TSMON_CLOCK_SYNCHRONIZED, 0);
	expect_status(f, SYNC + TSMON_STALE_UNKNOWN_NS,
		      TSMON_CLOCK_SYNCHRONIZED, 0);
	expect_status(f, SYNC + TSMON_STALE_UNKNOWN_NS + 1,
		      TSMON_CLOCK_FREE_RUNNING, TSMON_TIME_STALE);

	/* Stale and unsynchronised: both reasons. */
	f->h.ntp_status |= STA_UNSYNC;
	publish(f);
	expect_status(f, SYNC + TSMON_STALE_UNKNOWN_NS + 1,
		      TSMON_CLOCK_FREE_RUNNING,
		      TSMON_TIME_STALE | TSMON_TIME_UNSYNC);
}

/*
 * A source that asserted no error (maxerror 0: phc2sys, ptp4l, timesyncd)
 * with no budget declared: disciplined, error unknown. Never a bound, never
 * SYNCHRONIZED, never valid for one-way latencies.
 */
static void test_no_error(void **state)
{
	struct fixture *f = *state;
	struct tsmon_time t;

	f->h.sync_maxerror_ns = TSMON_SYNC_ERROR_UNKNOWN;
	publish(f);
	t = at(f, SYNC + 1);
	assert_int_equal(t.status, TSMON_CLOCK_UNKNOWN);
	assert_int_equal(t.flags, TSMON_TIME_NO_ERROR | TSMON_TIME_UNBOUNDED);
	assert_int_equal(t.bound_ns, UINT64_MAX);
	assert_int_equal(t.earliest_ns, 0);
	assert_int_equal(t.latest_ns, UINT64_MAX);
	/* The live read and the latency test agree. */
	f->h.sync_mono_ns = clock_ns(CLOCK_MONOTONIC);
	publish(f);
	assert_int_equal(tsmon_one_way_valid(f->t, UINT64_MAX, &t), 0);
	assert_int_equal(t.status, TSMON_CLOCK_UNKNOWN);

	/* Other reasons keep their own status; the flag still says it. */
	f->h.sync_mono_ns = SYNC;
	f->h.ntp_status |= STA_UNSYNC;
	publish(f);
	expect_status(f, SYNC + 1, TSMON_CLOCK_FREE_RUNNING,
		      TSMON_TIME_UNSYNC | TSMON_TIME_NO_ERROR |
		      TSMON_TIME_UNBOUNDED);

	/* With a budget the module stores a finite error: bounded again. */
	f->h.ntp_status &= ~STA_UNSYNC;
	f->h.sync_maxerror_ns = 1000;
	publish(f);
	expect_status(f, SYNC + 1, TSMON_CLOCK_SYNCHRONIZED, 0);
}

/*
 * A leap second due: REALTIME is a second off from the leap's instant until
 * the tick that applies it, however late that tick is. The first instant
 * before it is still bounded.
 */
static void test_leap_edge(void **state)
{
	const uint64_t edge = TSMON_TIME_LEAP_EDGE | TSMON_TIME_UNBOUNDED;
	struct fixture *f = *state;
	/* A midnight UTC 3 s after the sync update, in MONOTONIC. */
	uint64_t day = 86400 * NSEC, real_sync = OFFS + SYNC;
	uint64_t midnight = (real_sync / day + 1) * day;
	uint64_t m_mono = midnight - OFFS;
	struct tsmon_time t;

	f->h.sync_mono_ns = m_mono - 3 * NSEC;
	f->h.sync_interval_ns = 4 * NSEC;

	/* An insertion: the timekeeper's instant is the midnight. */
	f->h.ntp_state = TIME_INS;
	f->h.ntp_status |= STA_INS;
	f->h.leap_state = TSMON_LEAP_INSERT_PENDING;
	f->h.leap_real_ns = midnight;
	publish(f);
	expect_status(f, m_mono - 1, TSMON_CLOCK_SYNCHRONIZED, 0);
	expect_status(f, m_mono, TSMON_CLOCK_DISRUPTED, edge);
	/* A late tick: 10 s later the leap has still not happened. */
	t = at(f, m_mono + 10 * NSEC);
	assert_int_equal(t.status, TSMON_CLOCK_DISRUPTED);
	assert_int_equal(t.flags & edge, edge);
	assert_int_equal(t.bound_ns, UINT64_MAX);

	/* A deletion: the deleted second is the last one of the day. */
	f->h.ntp_state = TIME_DEL;
	f->h.ntp_status = (f->h.ntp_status & ~STA_INS) | STA_DEL;
	f->h.leap_state = TSMON_LEAP_DELETE_PENDING;
	f->h.leap_real_ns = midnight - NSEC;
	publish(f);
	expect_status(f, m_mono - NSEC - 1, TSMON_CLOCK_SYNCHRONIZED, 0);
	expect_status(f, m_mono - NSEC, TSMON_CLOCK_DISRUPTED, edge);
	expect_status(f, m_mono + NSEC / 2, TSMON_CLOCK_DISRUPTED, edge);

	/* TIME_DEL with no deletion announced: its would-be second is. */
	f->h.leap_state = TSMON_LEAP_NONE;
	f->h.leap_real_ns = 0;
	publish(f);
	expect_status(f, m_mono - NSEC - 1, TSMON_CLOCK_SYNCHRONIZED, 0);
	expect_status(f, m_mono - NSEC, TSMON_CLOCK_DISRUPTED, edge);
	expect_status(f, m_mono + 1, TSMON_CLOCK_SYNCHRONIZED, 0);

	/* TIME_INS whose schedule ntp_clear() dropped: nothing will happen. */
	f->h.ntp_state = TIME_INS;
	publish(f);
	expect_status(f, m_mono + 1, TSMON_CLOCK_SYNCHRONIZED, 0);

	/*
	 * The tick's second_overflow() entered TIME_OOP, the timekeeper has
	 * not moved REALTIME yet: still the edge.
	 */
	f->h.ntp_state = TIME_OOP;
	f->h.leap_state = TSMON_LEAP_INSERT_PENDING;
	f->h.leap_real_ns = midnight;
	publish(f);
	expect_status(f, m_mono + 1, TSMON_CLOCK_DISRUPTED, edge);

	/* Applied: the repeated second, nothing pending, no edge. */
	f->h.leap_state = TSMON_LEAP_NONE;
	f->h.leap_real_ns = 0;
	publish(f);
	expect_status(f, m_mono + 1, TSMON_CLOCK_SYNCHRONIZED, 0);
}

static void test_unbounded_after_disruption(void **state)
{
	static const uint32_t unmeasured[] = {
		TSMON_EVENT_CLOCK_STEP, TSMON_EVENT_RESUME,
		TSMON_EVENT_CLOCKSOURCE_CHANGE, TSMON_EVENT_VM_DISRUPTION,
	};
	struct fixture *f = *state;
	uint64_t later = SYNC + 20 * NSEC;
	struct tsmon_time t;
	size_t i;

	for (i = 0; i < sizeof(unmeasured) / sizeof(unmeasured[0]); i++) {
		f->h.disrupt_mono_ns = SYNC + 1;
		f->h.disrupt_type = unmeasured[i];
		publish(f);
		t = at(f, later);
		assert_int_equal(t.bound_ns, UINT64_MAX);
		assert_int_equal(t.earliest_ns, 0);
		assert_int_equal(t.latest_ns, UINT64_MAX);
		assert_int_equal(t.real_ns, later + OFFS);
		assert_int_equal(t.sync_age_ns, later - SYNC);
		/* Past the cooldown, still disrupted: nothing measured it. */
		assert_int_equal(t.status, TSMON_CLOCK_DISRUPTED);
		assert_int_equal(t.flags, TSMON_TIME_UNBOUNDED);

		/* The next sync update measures the clock again. */
		f->h.sync_mono_ns = SYNC + 2;
		publish(f);
		t = at(f, later);
		assert_int_equal(t.bound_ns,
				 ref_bound(MAXERR, later - SYNC - 2,
					   TSMON_DRIFT_DEFAULT_PPB));
		assert_int_equal(t.flags, 0);
		assert_int_equal(t.status, TSMON_CLOCK_SYNCHRONIZED);
		f->h.sync_mono_ns = SYNC;

		/* Same instant as the sync update: that update covers it. */
		f->h.disrupt_mono_ns = SYNC;
		publish(f);
		assert_int_equal(at(f, later).bound_ns,
				 ref_bound(MAXERR, later - SYNC,
					   TSMON_DRIFT_DEFAULT_PPB));
	}

	/* A leap second moves the clock by exactly one second: bounded. */
	f->h.disrupt_mono_ns = SYNC + 1;
	f->h.disrupt_type = TSMON_EVENT_LEAP_APPLIED;
	publish(f);
	t = at(f, later);
	assert_int_equal(t.bound_ns,
			 ref_bound(MAXERR, later - SYNC,
				   TSMON_DRIFT_DEFAULT_PPB));
	assert_int_equal(t.flags, 0);
}

static void test_setters(void **state)
{
	struct fixture *f = *state;
	uint64_t mono = SYNC + 10 * NSEC;
	struct tsmon *other;

	/* The defaults. */
	assert_int_equal(at(f, mono).bound_ns, MAXERR + 10 * 50000);
	expect_status(f, SYNC + 4 * INTERVAL + 1, TSMON_CLOCK_FREE_RUNNING,
		      TSMON_TIME_STALE);
	f->h.disrupt_mono_ns = SYNC - TSMON_COOLDOWN_DEFAULT_NS;
	f->h.disrupt_type = TSMON_EVENT_CLOCK_STEP;
	publish(f);
	expect_status(f, SYNC - 1, TSMON_CLOCK_DISRUPTED, TSMON_TIME_COOLDOWN);
	expect_status(f, SYNC, TSMON_CLOCK_SYNCHRONIZED, 0);

	/* Rejected values leave the setting as it was. */
	assert_int_equal(tsmon_set_drift(f->t, 1000000001), -EINVAL);
	assert_int_equal(tsmon_set_drift(f->t, UINT64_MAX), -EINVAL);
	assert_int_equal(at(f, mono).bound_ns, MAXERR + 10 * 50000);
	assert_int_equal(tsmon_set_drift(f->t, 0), 0);
	assert_int_equal(at(f, mono).bound_ns, MAXERR);

	assert_int_equal(tsmon_set_stale_factor(f->t, 0), -EINVAL);
	expect_status(f, SYNC + 4 * INTERVAL, TSMON_CLOCK_SYNCHRONIZED, 0);
	assert_int_equal(tsmon_set_stale_factor(f->t, 1), 0);
	expect_status(f, SYNC + INTERVAL, TSMON_CLOCK_SYNCHRONIZED, 0);
	expect_status(f, SYNC + INTERVAL + 1, TSMON_CLOCK_FREE_RUNNING,
		      TSMON_TIME_STALE);
	assert_int_equal(tsmon_set_stale_factor(f->t, UINT32_MAX), 0);
	expect_status(f, SYNC + 1000 * INTERVAL, TSMON_CLOCK_SYNCHRONIZED, 0);

	assert_int_equal(tsmon_set_drift(NULL, 1), -EINVAL);
	assert_int_equal(tsmon_set_cooldown(NULL, 1), -EINVAL);
	assert_int_equal(tsmon_set_stale_factor(NULL, 1), -EINVAL);

	/* Settings belong to the handle, not the region. */
	assert_int_equal(tsmon_attach(f->r.base, f->r.size, &other), 0);
	assert_int_equal(tsmon_set_drift(other, TSMON_DRIFT_KERNEL_PPB), 0);
	assert_int_equal(at(f, mono).bound_ns, MAXERR);
	{
		struct tsmon_time t;

		assert_int_equal(tsmon_now_at(other, mono, &t), 0);
		assert_int_equal(t.bound_ns, MAXERR + 10 * 500000);
		assert_int_equal(t.status, TSMON_CLOCK_SYNCHRONIZED);
	}
	tsmon_close(other);
}

/* Live reads: the sync update is put relative to the host's clock. */
static void live(struct fixture *f, uint64_t ago)
{
	f->h.sync_mono_ns = clock_ns(CLOCK_MONOTONIC) - ago;
	publish(f);
}

static void test_one_way_valid(void **state)
{
	struct fixture *f = *state;
	struct tsmon_time t;

	/* Drift 0 makes the bound exactly MAXERR whenever it is read. */
	assert_int_equal(tsmon_set_drift(f->t, 0), 0);
	live(f, NSEC);
	memset(&t, 0, sizeof(t));
	assert_int_equal(tsmon_one_way_valid(f->t, MAXERR, &t), 1);
	assert_int_equal(t.status, TSMON_CLOCK_SYNCHRONIZED);
	assert_int_equal(t.bound_ns, MAXERR);
	assert_int_equal(t.real_ns, t.mono_ns + OFFS);
	assert_int_equal(tsmon_one_way_valid(f->t, MAXERR + 1, NULL), 1);
	assert_int_equal(tsmon_one_way_valid(f->t, MAXERR - 1, &t), 0);
	assert_int_equal(t.bound_ns, MAXERR);	/* filled on 0 too */
	assert_int_equal(tsmon_one_way_valid(f->t, 0, NULL), 0);

	/* Growth counts: 1 s at 50 ppm adds 50 us. */
	assert_int_equal(tsmon_set_drift(f->t, TSMON_DRIFT_DEFAULT_PPB), 0);
	assert_int_equal(tsmon_one_way_valid(f->t, MAXERR + 49999, &t), 0);
	assert_true(t.bound_ns >= MAXERR + 50000);
	assert_int_equal(tsmon_one_way_valid(f->t, MAXERR + 60 * 50000, &t),
			 1);
	assert_int_equal(tsmon_set_drift(f->t, 0), 0);

	/* Disrupted: a leap second half a second ago. */
	f->h.disrupt_mono_ns = clock_ns(CLOCK_MONOTONIC) - NSEC / 2;
	f->h.disrupt_type = TSMON_EVENT_LEAP_APPLIED;
	publish(f);
	assert_int_equal(tsmon_one_way_valid(f->t, UINT64_MAX, &t), 0);
	assert_int_equal(t.status, TSMON_CLOCK_DISRUPTED);

	/* Synchronised and past the cooldown, but the step was unmeasured. */
	assert_int_equal(tsmon_set_cooldown(f->t, 0), 0);
	f->h.disrupt_type = TSMON_EVENT_RESUME;
	publish(f);
	assert_int_equal(tsmon_one_way_valid(f->t, UINT64_MAX, &t), 0);
	assert_int_equal(t.status, TSMON_CLOCK_DISRUPTED);
	assert_int_equal(t.flags, TSMON_TIME_UNBOUNDED);
	f->h.disrupt_mono_ns = 0;
	f->h.disrupt_type = 0;

	/* Free running and unknown. */
	f->h.ntp_status |= STA_UNSYNC;
	publish(f);
	assert_int_equal(tsmon_one_way_valid(f->t, UINT64_MAX, &t), 0);
	assert_int_equal(t.status, TSMON_CLOCK_FREE_RUNNING);
	f->h.ntp_status &= ~STA_UNSYNC;
	f->h.hooks &= ~TSMON_HOOK_ADJTIMEX;
	publish(f);
	assert_int_equal(tsmon_one_way_valid(f->t, UINT64_MAX, &t), 0);
	assert_int_equal(t.status, TSMON_CLOCK_UNKNOWN);
	f->h.hooks |= TSMON_HOOK_ADJTIMEX;
	publish(f);
	assert_int_equal(tsmon_one_way_valid(f->t, UINT64_MAX, &t), 1);

	assert_int_equal(tsmon_one_way_valid(NULL, 1, &t), -EINVAL);
	f->r.health->seq++;	/* a writer stopped in an update */
	assert_int_equal(tsmon_one_way_valid(f->t, UINT64_MAX, &t), -EAGAIN);
}

/*
 * The offset between the host's REALTIME and MONOTONIC, which is constant
 * unless the host clock is stepped: each (mono, real, mono) triple bounds
 * it from both sides, and the intersection of many is narrow.
 */
static void host_offset(uint64_t *offs, uint64_t *tol)
{
	int64_t lo = INT64_MIN, hi = INT64_MAX, r, m1, m2;
	int i;

	for (i = 0; i < 2000; i++) {
		m1 = (int64_t)clock_ns(CLOCK_MONOTONIC);
		r = (int64_t)clock_ns(CLOCK_REALTIME);
		m2 = (int64_t)clock_ns(CLOCK_MONOTONIC);
		if (r - m2 > lo)
			lo = r - m2;
		if (r - m1 < hi)
			hi = r - m1;
	}
	assert_true(lo <= hi);
	*offs = (uint64_t)(lo + (hi - lo) / 2);
	*tol = (uint64_t)(hi - lo + 1) / 2;
}

/* tsmon_now() gives what clock_gettime(CLOCK_REALTIME) gives. */
static void test_now_is_realtime(void **state)
{
	struct fixture *f = *state;
	uint64_t offs, tol, r1, r2, m1, m2;
	struct tsmon_time t;
	int i;

	host_offset(&offs, &tol);
	print_message("host REALTIME - MONOTONIC known within +-%llu ns\n",
		      (unsigned long long)tol);
	f->h.offs_real_ns = offs;
	live(f, NSEC);

	for (i = 0; i < 10000; i++) {
		m1 = clock_ns(CLOCK_MONOTONIC);
		r1 = clock_ns(CLOCK_REALTIME);
		assert_int_equal(tsmon_now(f->t, &t), 0);
		r2 = clock_ns(CLOCK_REALTIME);
		m2 = clock_ns(CLOCK_MONOTONIC);
		assert_true(t.mono_ns >= m1 && t.mono_ns <= m2);
		assert_int_equal(t.real_ns, t.mono_ns + offs);
		assert_true(t.real_ns + tol >= r1);
		assert_true(t.real_ns <= r2 + tol);
		assert_int_equal(t.status, TSMON_CLOCK_SYNCHRONIZED);
		assert_int_equal(t.sync_age_ns, t.mono_ns - f->h.sync_mono_ns);
	}
}

/* tsmon_now() and tsmon_now_at() are one model. */
static void test_now_matches_now_at(void **state)
{
	struct fixture *f = *state;
	struct tsmon_time a, b;

	f->h.disrupt_mono_ns = clock_ns(CLOCK_MONOTONIC) - 2 * NSEC;
	f->h.disrupt_type = TSMON_EVENT_LEAP_APPLIED;
	live(f, 3 * NSEC);
	assert_int_equal(tsmon_now(f->t, &a), 0);
	memset(&b, 0x5a, sizeof(b));
	assert_int_equal(tsmon_now_at(f->t, a.mono_ns, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(a.status, TSMON_CLOCK_DISRUPTED);
}

static void test_errors(void **state)
{
	struct fixture *f = *state;
	struct tsmon_forward fw = { 0 };
	struct tsmon_time t;

	assert_int_equal(tsmon_now(NULL, &t), -EINVAL);
	assert_int_equal(tsmon_now(f->t, NULL), -EINVAL);
	assert_int_equal(tsmon_now_at(NULL, SYNC, &t), -EINVAL);
	assert_int_equal(tsmon_now_at(f->t, SYNC, NULL), -EINVAL);
	assert_int_equal(tsmon_forward_now(NULL, &fw, &t), -EINVAL);
	assert_int_equal(tsmon_forward_now(f->t, NULL, &t), -EINVAL);
	assert_int_equal(tsmon_forward_now(f->t, &fw, NULL), -EINVAL);
	assert_int_equal(fw.last_ns, 0);

	/* A writer that stopped in the middle of an update. */
	f->r.health->seq = 7;
	assert_int_equal(tsmon_now(f->t, &t), -EAGAIN);
	assert_int_equal(tsmon_now_at(f->t, SYNC, &t), -EAGAIN);
	assert_int_equal(tsmon_forward_now(f->t, &fw, &t), -EAGAIN);
	assert_int_equal(fw.last_ns, 0);
	f->r.health->seq = 8;
	assert_int_equal(tsmon_now_at(f->t, SYNC, &t), 0);
	assert_int_equal(t.real_ns, SYNC + OFFS);
}

/*
 * A module whose health block does not reach the end of line 0 has no
 * REALTIME offset to give: refused, never read past health_size.
 */
static void test_short_health_block(void **state)
{
	struct fixture *f = *state;
	struct tsmon_time t;
	struct tsmon *t2;

	f->r.hdr->health_size = 56;
	assert_int_equal(tsmon_attach(f->r.base, f->r.size, &t2), 0);
	assert_int_equal(tsmon_now(t2, &t), -EOPNOTSUPP);
	assert_int_equal(tsmon_now_at(t2, SYNC, &t), -EOPNOTSUPP);
	assert_int_equal(tsmon_one_way_valid(t2, UINT64_MAX, &t),
			 -EOPNOTSUPP);
	tsmon_close(t2);

	f->r.hdr->health_size = 64;
	assert_int_equal(tsmon_attach(f->r.base, f->r.size, &t2), 0);
	assert_int_equal(tsmon_now_at(t2, SYNC, &t), 0);
	assert_int_equal(t.real_ns, SYNC + OFFS);
	assert_int_equal(t.status, TSMON_CLOCK_SYNCHRONIZED);
	tsmon_close(t2);
}

/*
 * A clock read touches health line 0 and nothing else: here line 0 is the
 * last 64 bytes of a readable page and the rest of the block lies on a
 * page that faults when touched.
 */
static void test_reads_line0_only(void **state)
{
	struct fixture *f = *state;
	const size_t page = 4096, len = 4 * page;
	struct tsmon_header *hdr;
	struct tsmon_health *h;
	struct tsmon_time t;
	unsigned char *base;
	struct tsmon *t2;

	base = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(base != MAP_FAILED);
	hdr = (struct tsmon_header *)base;
	memcpy(hdr, f->r.hdr, sizeof(*hdr));
	hdr->region_size = len;
	hdr->health_offset = page - 64;
	hdr->health_size = sizeof(struct tsmon_health);
	hdr->ring_offset = 2 * page;
	hdr->ring_entries = 64;
	hdr->ring_mask = 63;
	h = (struct tsmon_health *)(base + hdr->health_offset);
	memcpy(h, &f->h, 64);
	h->seq = 2;
	assert_int_equal(mprotect(base + page, page, PROT_NONE), 0);

	assert_int_equal(tsmon_attach(base, len, &t2), 0);
	assert_int_equal(tsmon_now_at(t2, SYNC + NSEC, &t), 0);
	assert_int_equal(t.real_ns, SYNC + NSEC + OFFS);
	assert_int_equal(t.bound_ns, MAXERR + 50000);
	assert_int_equal(t.status, TSMON_CLOCK_SYNCHRONIZED);
	assert_int_equal(tsmon_now(t2, &t), 0);
	tsmon_close(t2);
	munmap(base, len);
}

/* ------------------------------------------------------------ forward */

static void test_forward_first_call(void **state)
{
	struct fixture *f = *state;
	struct tsmon_forward fw = { 0 };
	struct tsmon_time t;

	live(f, NSEC);
	assert_int_equal(tsmon_forward_now(f->t, &fw, &t), 0);
	assert_int_equal(t.flags & TSMON_TIME_HELD, 0);
	assert_int_equal(t.held_ns, 0);
	assert_int_equal(t.real_ns, t.mono_ns + OFFS);
	assert_int_equal(fw.last_ns, t.real_ns);
}

static void test_forward_holds_across_step(void **state)
{
	struct fixture *f = *state;
	/* Long enough that a busy machine does not outrun it between calls. */
	const uint64_t step = 100 * MSEC;
	struct tsmon_forward fw = { 0 };
	struct tsmon_time t;
	uint64_t before, fresh, prev, start, held = 0;

	assert_int_equal(tsmon_set_drift(f->t, 0), 0);
	live(f, NSEC);
	assert_int_equal(tsmon_forward_now(f->t, &fw, &t), 0);
	before = t.real_ns;

	/* REALTIME is stepped back. */
	f->h.offs_real_ns = OFFS - step;
	publish(f);
	assert_int_equal(tsmon_forward_now(f->t, &fw, &t), 0);
	fresh = t.mono_ns + OFFS - step;
	assert_true(fresh < before);
	assert_int_equal(t.flags, TSMON_TIME_HELD);
	assert_int_equal(t.real_ns, before);
	assert_int_equal(t.held_ns, before - fresh);
	/* The window describes the clock as read, not the held time. */
	assert_int_equal(t.earliest_ns, fresh - MAXERR);
	assert_int_equal(t.latest_ns, fresh + MAXERR);
	assert_int_equal(t.status, TSMON_CLOCK_SYNCHRONIZED);
	assert_int_equal(fw.last_ns, before);

	/* Held until REALTIME passes the held value, then it moves again. */
	prev = before;
	start = clock_ns(CLOCK_MONOTONIC);
	for (;;) {
		assert_int_equal(tsmon_forward_now(f->t, &fw, &t), 0);
		fresh = t.mono_ns + OFFS - step;
		assert_true(t.real_ns >= prev);
		prev = t.real_ns;
		if (!(t.flags & TSMON_TIME_HELD))
			break;
		held++;
		assert_int_equal(t.real_ns, before);
		assert_int_equal(t.held_ns, before - fresh);
		assert_true(clock_ns(CLOCK_MONOTONIC) - start < 10 * step);
	}
	assert_true(held > 0);
	assert_int_equal(t.held_ns, 0);
	assert_int_equal(t.real_ns, fresh);
	assert_true(t.real_ns >= before);
	assert_int_equal(fw.last_ns, t.real_ns);

	/* A step forward is followed at once. */
	f->h.offs_real_ns = OFFS + step;
	publish(f);
	prev = t.real_ns;
	assert_int_equal(tsmon_forward_now(f->t, &fw, &t), 0);
	assert_int_equal(t.flags, 0);
	assert_int_equal(t.real_ns, t.mono_ns + OFFS + step);
	assert_true(t.real_ns >= prev + step);
	assert_int_equal(fw.last_ns, t.real_ns);
}

/* A state ahead of the clock: held by exactly the difference. */
static void test_forward_held_exact(void **state)
{
	struct fixture *f = *state;
	struct tsmon_forward fw;
	struct tsmon_time t, plain;

	live(f, NSEC);
	assert_int_equal(tsmon_now(f->t, &plain), 0);
	fw.last_ns = plain.real_ns + 3600 * NSEC;
	assert_int_equal(tsmon_forward_now(f->t, &fw, &t), 0);
	assert_true(t.flags & TSMON_TIME_HELD);
	assert_int_equal(t.real_ns, plain.real_ns + 3600 * NSEC);
	assert_int_equal(t.held_ns, t.real_ns - (t.mono_ns + OFFS));
	assert_int_equal(t.bound_ns,
			 ref_bound(MAXERR, t.sync_age_ns,
				   TSMON_DRIFT_DEFAULT_PPB));
	assert_int_equal(t.earliest_ns, t.mono_ns + OFFS - t.bound_ns);
	assert_int_equal(t.latest_ns, t.mono_ns + OFFS + t.bound_ns);
	assert_int_equal(fw.last_ns, plain.real_ns + 3600 * NSEC);

	/* Flags of the read itself survive next to HELD. */
	f->h.ntp_status |= STA_UNSYNC;
	publish(f);
	assert_int_equal(tsmon_forward_now(f->t, &fw, &t), 0);
	assert_int_equal(t.flags, TSMON_TIME_HELD | TSMON_TIME_UNSYNC);
	assert_int_equal(t.status, TSMON_CLOCK_FREE_RUNNING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_bound_exact),
		T(test_bound_random),
		T(test_model_random),
		T(test_bound_grows_without_updates),
		T(test_saturation),
		T(test_status_synchronized),
		T(test_status_unknown),
		T(test_status_zero_block),
		T(test_status_cooldown),
		T(test_status_free_running),
		T(test_status_stale),
		T(test_no_error),
		T(test_leap_edge),
		T(test_unbounded_after_disruption),
		T(test_setters),
		T(test_one_way_valid),
		T(test_now_is_realtime),
		T(test_now_matches_now_at),
		T(test_errors),
		T(test_short_health_block),
		T(test_reads_line0_only),
		T(test_forward_first_call),
		T(test_forward_holds_across_step),
		T(test_forward_held_exact),
#undef T
	};

	return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
