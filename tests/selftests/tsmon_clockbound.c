// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_clockbound - tsmon_now() on the live module: the status, the error
 * bound and the time it reports as the kernel's NTP state, sync updates and
 * clock steps change under it.
 *
 * Sync updates are adjtimex(2) calls with ADJ_MAXERROR made by the test,
 * standing in for an NTP daemon. Every bounded read is checked exactly
 * against the health block it was computed from (real_ns = the MONOTONIC
 * read + offs_real_ns, bound = sync maxerror + age x drift rounded down,
 * the interval around it); exact instants - the end of a cooldown, the
 * staleness limit - are checked with tsmon_now_at(), and each state is
 * also observed live with tsmon_now().
 *
 * The module is reloaded first, so that the first read happens before any
 * adjtimex call. The clock is stepped back by the exact sum of the test's
 * steps and the NTP state is put back.
 */
#include <sys/wait.h>

#include "tsmon_selftest.h"

#define MAXERROR_US		20000
#define ESTERROR_US		1000
#define COOLDOWN_NS		NSEC_PER_SEC
#define OFFSET_SLOP_NS		10000
#define MAX_SYNCS		64

static struct tsmon *t;
static struct timex saved;
static struct rt_offset off0;
static int64_t stepped_ns;
static uint64_t drift = TSMON_DRIFT_DEFAULT_PPB;	/* as set in t */
static uint64_t sync_mono[MAX_SYNCS];	/* sync updates, oldest first */
static unsigned int nsync;

/* A sync update as a daemon makes it: synchronised, with new error figures. */
static bool sync_update(long maxerror_us)
{
	struct tsmon_health h;
	struct timex tx;
	int64_t m0, m1;
	int status = ntp_status();

	if (status < 0)
		return false;
	tx = (struct timex) {
		.modes = ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR,
		.status = status & ~STA_UNSYNC,
		.maxerror = maxerror_us,
		.esterror = ESTERROR_US,
	};
	m0 = clk_ns(CLOCK_MONOTONIC);
	if (adjtimex(&tx) < 0) {
		ksft_print_msg("adjtimex: %s\n", strerror(errno));
		return false;
	}
	m1 = clk_ns(CLOCK_MONOTONIC);
	if (!read_health(t, &h))
		return false;
	if ((int64_t)h.sync_mono_ns < m0 || (int64_t)h.sync_mono_ns > m1 ||
	    h.sync_maxerror_ns != (uint64_t)maxerror_us * USEC_NS +
	    TSMON_SYNC_MAXERROR_ROUNDING_NS) {
		ksft_print_msg("sync update not captured: sync_mono_ns %llu (call [%lld, %lld]) maxerror %llu\n",
			       (unsigned long long)h.sync_mono_ns,
			       (long long)m0, (long long)m1,
			       (unsigned long long)h.sync_maxerror_ns);
		return false;
	}
	if (nsync < MAX_SYNCS)
		sync_mono[nsync++] = h.sync_mono_ns;
	return true;
}

static bool step(int64_t delta_ns)
{
	int err = clock_step_ns(delta_ns);

	if (err) {
		ksft_print_msg("step of %lld ns: %s\n", (long long)delta_ns,
			       strerror(-err));
		return false;
	}
	stepped_ns += delta_ns;
	return true;
}

static bool status_is(const struct tsmon_time *tm, uint32_t status,
		      uint32_t flags)
{
	if (tm->status == status && tm->flags == flags)
		return true;
	print_time("read", tm);
	ksft_print_msg("want status %u flags 0x%x\n", status, flags);
	return false;
}

/* tsmon_now_at(@mono) has @status and @flags. */
static bool at_is(uint64_t mono, uint32_t status, uint32_t flags)
{
	struct tsmon_time tm;
	int err = tsmon_now_at(t, mono, &tm);

	if (err) {
		ksft_print_msg("tsmon_now_at: %s\n", strerror(-err));
		return false;
	}
	return status_is(&tm, status, flags);
}

/* A live read, checked against the health block, bounded or not. */
static bool now_is(uint32_t status, uint32_t flags, struct tsmon_time *tm,
		   struct tsmon_health *h)
{
	bool ok;

	if (!now_with_health(t, tm, h))
		return false;
	ok = status_is(tm, status, flags);
	if (flags & TSMON_TIME_UNBOUNDED)
		return time_is_unbounded(tm) && ok;
	return time_is_bounded(tm, h, drift) && ok;
}

static void sleep_until_mono(uint64_t mono)
{
	int64_t left = (int64_t)mono - clk_ns(CLOCK_MONOTONIC);

	if (left > 0)
		sleep_ms((left + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);
}

/* ------------------------------------------------------------ cases */

static bool case_unknown(void)
{
	struct tsmon_time tm;
	int64_t r0, r1;
	bool ok;
	int err;

	r0 = clk_ns(CLOCK_REALTIME);
	err = tsmon_now(t, &tm);
	r1 = clk_ns(CLOCK_REALTIME);
	if (err) {
		ksft_print_msg("tsmon_now: %s\n", strerror(-err));
		return false;
	}
	ok = status_is(&tm, TSMON_CLOCK_UNKNOWN, TSMON_TIME_NO_CAPTURE |
		       TSMON_TIME_NO_SYNC | TSMON_TIME_UNBOUNDED);
	ok &= time_is_unbounded(&tm);
	if ((int64_t)tm.real_ns < r0 || (int64_t)tm.real_ns > r1) {
		ksft_print_msg("real_ns %llu outside CLOCK_REALTIME [%lld, %lld]\n",
			       (unsigned long long)tm.real_ns, (long long)r0,
			       (long long)r1);
		ok = false;
	}
	ok &= field_eq("sync_age_ns", (int64_t)tm.sync_age_ns,
		       (int64_t)UINT64_MAX);
	return ok && tsmon_one_way_valid(t, UINT64_MAX, NULL) == 0;
}

/*
 * Synchronised: every read's real_ns is what CLOCK_REALTIME reads around
 * it, and the bound is exact. Until two sync updates give an interval,
 * staleness uses TSMON_STALE_UNKNOWN_NS.
 */
static bool case_synchronized(void)
{
	struct tsmon_health h;
	struct tsmon_time tm;
	int64_t r0, r1;
	bool ok;
	int i, err;

	if (!sync_update(MAXERROR_US))
		return false;
	ok = now_is(TSMON_CLOCK_SYNCHRONIZED, 0, &tm, &h);
	for (i = 0; i < 200; i++) {
		r0 = clk_ns(CLOCK_REALTIME);
		err = tsmon_now(t, &tm);
		r1 = clk_ns(CLOCK_REALTIME);
		if (err || (int64_t)tm.real_ns < r0 ||
		    (int64_t)tm.real_ns > r1) {
			ksft_print_msg("read %d: real_ns %llu, CLOCK_REALTIME [%lld, %lld] (%d)\n",
				       i, (unsigned long long)tm.real_ns,
				       (long long)r0, (long long)r1, err);
			ok = false;
			break;
		}
	}
	ok &= field_eq("sync_interval_ns", h.sync_interval_ns, 0);
	ok &= at_is(h.sync_mono_ns + TSMON_STALE_UNKNOWN_NS,
		    TSMON_CLOCK_SYNCHRONIZED, 0);
	ok &= at_is(h.sync_mono_ns + TSMON_STALE_UNKNOWN_NS + 1,
		    TSMON_CLOCK_FREE_RUNNING, TSMON_TIME_STALE);
	return ok;
}

static bool case_growth(void)
{
	struct tsmon_health ha, hb;
	struct tsmon_time a, b;
	uint64_t elapsed, grown, want;
	bool ok;

	ok = now_is(TSMON_CLOCK_SYNCHRONIZED, 0, &a, &ha);
	sleep_ms(200);
	ok &= now_is(TSMON_CLOCK_SYNCHRONIZED, 0, &b, &hb);
	if (!ok)
		return false;
	elapsed = b.mono_ns - a.mono_ns;
	grown = b.bound_ns - a.bound_ns;
	want = elapsed * drift / NSEC_PER_SEC;
	ksft_print_msg("bound grew %llu ns in %llu ns\n",
		       (unsigned long long)grown, (unsigned long long)elapsed);
	/* Two values rounded down: their difference is off by one at most. */
	return elapsed >= 200 * NSEC_PER_MSEC && grown + 1 >= want &&
	       grown <= want + 1;
}

/*
 * At 500 ppm the bound is the kernel's own maxerror, which grows by 500 us
 * at each second boundary: the two differ by less than one step (and a
 * tick's lag in processing the boundary).
 */
static bool case_kernel_drift(void)
{
	struct tsmon_health h;
	struct tsmon_time tm;
	struct timex tx;
	int64_t diff;
	bool ok = true;

	ok &= tsmon_set_drift(t, NSEC_PER_SEC + 1) == -EINVAL;
	ok &= tsmon_set_stale_factor(t, 0) == -EINVAL;
	ok &= tsmon_set_drift(t, NSEC_PER_SEC) == 0;
	if (!ok)
		ksft_print_msg("setters: invalid values accepted or valid ones refused\n");
	if (tsmon_set_drift(t, TSMON_DRIFT_KERNEL_PPB))
		return false;
	drift = TSMON_DRIFT_KERNEL_PPB;
	if (!read_health(t, &h))
		return false;
	sleep_until_mono(h.sync_mono_ns + 2500 * NSEC_PER_MSEC);

	if (ntp_read(&tx) < 0)
		return false;
	ok &= now_is(TSMON_CLOCK_SYNCHRONIZED, 0, &tm, &h);
	diff = (int64_t)tx.maxerror * USEC_NS - (int64_t)tm.bound_ns;
	ksft_print_msg("age %llu ms: bound %llu ns, kernel maxerror %ld us\n",
		       (unsigned long long)(tm.sync_age_ns / NSEC_PER_MSEC),
		       (unsigned long long)tm.bound_ns, tx.maxerror);
	if (llabs(diff) > 1000 * USEC_NS)
		ok = false;

	drift = TSMON_DRIFT_DEFAULT_PPB;
	return !tsmon_set_drift(t, drift) && ok;
}

static bool case_one_way(void)
{
	struct tsmon_time tm;
	bool ok = true;
	int ret;

	if (tsmon_now(t, &tm))
		return false;
	ret = tsmon_one_way_valid(t, tm.bound_ns + NSEC_PER_SEC, &tm);
	if (ret != 1 || tm.status != TSMON_CLOCK_SYNCHRONIZED) {
		ksft_print_msg("limit above the bound: %d\n", ret);
		print_time("read", &tm);
		ok = false;
	}
	/* The bound is at least the sync update's maxerror. */
	ret = tsmon_one_way_valid(t, MAXERROR_US * USEC_NS - 1, &tm);
	if (ret != 0 || tm.status != TSMON_CLOCK_SYNCHRONIZED) {
		ksft_print_msg("limit below the bound: %d\n", ret);
		print_time("read", &tm);
		ok = false;
	}
	return ok && tsmon_one_way_valid(t, UINT64_MAX, NULL) == 1;
}

static bool case_unsync(void)
{
	struct tsmon_health h;
	struct tsmon_time tm;
	bool ok;

	if (ntp_set_status(ntp_status() | STA_UNSYNC))
		return false;
	ok = now_is(TSMON_CLOCK_FREE_RUNNING, TSMON_TIME_UNSYNC, &tm, &h);
	return ok && tsmon_one_way_valid(t, UINT64_MAX, NULL) == 0;
}

static uint64_t disrupt_mono;

/*
 * A step: no sync update has measured the clock since, so no bound, and
 * DISRUPTED until the cooldown has passed (exactly: mono - disruption <
 * cooldown). The step also left the kernel unsynchronised (ntp_clear()).
 */
static bool case_step(void)
{
	struct tsmon_health h;
	struct tsmon_time tm;
	int64_t m0, m1;
	bool ok;

	if (!sync_update(MAXERROR_US) || tsmon_set_cooldown(t, COOLDOWN_NS))
		return false;
	m0 = clk_ns(CLOCK_MONOTONIC);
	if (!step(2 * NSEC_PER_SEC))
		return false;
	m1 = clk_ns(CLOCK_MONOTONIC);
	ok = now_is(TSMON_CLOCK_DISRUPTED, TSMON_TIME_COOLDOWN |
		    TSMON_TIME_UNSYNC | TSMON_TIME_UNBOUNDED, &tm, &h);
	if ((int64_t)h.disrupt_mono_ns < m0 ||
	    (int64_t)h.disrupt_mono_ns > m1 ||
	    h.disrupt_type != TSMON_EVENT_CLOCK_STEP) {
		ksft_print_msg("disrupt_mono_ns %llu (step [%lld, %lld]) type %u\n",
			       (unsigned long long)h.disrupt_mono_ns,
			       (long long)m0, (long long)m1, h.disrupt_type);
		ok = false;
	}
	if (tm.real_ns != tm.mono_ns + h.offs_real_ns) {
		ksft_print_msg("real_ns is not MONOTONIC + offs_real_ns\n");
		ok = false;
	}
	disrupt_mono = h.disrupt_mono_ns;
	ok &= at_is(disrupt_mono + COOLDOWN_NS - 1, TSMON_CLOCK_DISRUPTED,
		    TSMON_TIME_COOLDOWN | TSMON_TIME_UNSYNC |
		    TSMON_TIME_UNBOUNDED);
	ok &= at_is(disrupt_mono + COOLDOWN_NS, TSMON_CLOCK_FREE_RUNNING,
		    TSMON_TIME_UNSYNC | TSMON_TIME_UNBOUNDED);
	return ok && tsmon_one_way_valid(t, UINT64_MAX, NULL) == 0;
}

static bool case_after_cooldown(void)
{
	struct tsmon_health h;
	struct tsmon_time tm;

	sleep_until_mono(disrupt_mono + COOLDOWN_NS + 20 * NSEC_PER_MSEC);
	return now_is(TSMON_CLOCK_FREE_RUNNING, TSMON_TIME_UNSYNC |
		      TSMON_TIME_UNBOUNDED, &tm, &h);
}

static bool case_resync(void)
{
	struct tsmon_health h;
	struct tsmon_time tm;

	return sync_update(MAXERROR_US) &&
	       now_is(TSMON_CLOCK_SYNCHRONIZED, 0, &tm, &h);
}

/* A sync update right after a step bounds the clock again at once. */
static bool case_sync_in_cooldown(void)
{
	struct tsmon_health h;
	struct tsmon_time tm;
	bool ok;

	if (!step(-2 * NSEC_PER_SEC) || !sync_update(MAXERROR_US))
		return false;
	ok = now_is(TSMON_CLOCK_DISRUPTED, TSMON_TIME_COOLDOWN, &tm, &h);
	sleep_until_mono(h.disrupt_mono_ns + COOLDOWN_NS + 20 * NSEC_PER_MSEC);
	return now_is(TSMON_CLOCK_SYNCHRONIZED, 0, &tm, &h) && ok;
}

/* The longest of the last eight intervals between the test's sync updates. */
static uint64_t longest_interval(void)
{
	uint64_t longest = 0;
	unsigned int i;

	for (i = nsync > 9 ? nsync - 8 : 1; i < nsync; i++)
		if (sync_mono[i] - sync_mono[i - 1] > longest)
			longest = sync_mono[i] - sync_mono[i - 1];
	return longest;
}

/*
 * sync_interval_ns is the longest of the last eight intervals: one of
 * 400 ms followed by seven of 200 ms keeps it at the 400 ms one, the
 * eighth 200 ms interval drops it.
 */
static bool case_interval_window(void)
{
	struct tsmon_health h;
	uint64_t longest;
	bool ok = true;
	int i;

	for (i = 0; i < 8; i++) {
		sleep_ms(i ? 200 : 400);
		if (!sync_update(MAXERROR_US))
			return false;
	}
	if (!read_health(t, &h))
		return false;
	longest = longest_interval();
	ok &= field_eq("sync_interval_ns", h.sync_interval_ns, longest);
	if (longest != sync_mono[nsync - 8] - sync_mono[nsync - 9]) {
		ksft_print_msg("the 400 ms interval is not the longest\n");
		ok = false;
	}
	sleep_ms(200);
	if (!sync_update(MAXERROR_US) || !read_health(t, &h))
		return false;
	ok &= field_eq("sync_interval_ns", h.sync_interval_ns,
		       longest_interval());
	if (h.sync_interval_ns >= longest) {
		ksft_print_msg("the 400 ms interval did not leave the window\n");
		ok = false;
	}
	return ok;
}

/*
 * Stale once the last sync update is older than stale_factor x the sync
 * interval (strictly), whatever else holds; the bound keeps growing.
 */
static bool case_stale(void)
{
	struct tsmon_health h;
	struct tsmon_time tm;
	uint64_t s, iv;
	bool ok = true;

	if (!read_health(t, &h))
		return false;
	s = h.sync_mono_ns;
	iv = h.sync_interval_ns;
	ok &= at_is(s + 4 * iv, TSMON_CLOCK_SYNCHRONIZED, 0);
	ok &= at_is(s + 4 * iv + 1, TSMON_CLOCK_FREE_RUNNING, TSMON_TIME_STALE);
	if (tsmon_set_stale_factor(t, 2))
		return false;
	ok &= at_is(s + 2 * iv, TSMON_CLOCK_SYNCHRONIZED, 0);
	ok &= at_is(s + 2 * iv + 1, TSMON_CLOCK_FREE_RUNNING, TSMON_TIME_STALE);
	if (tsmon_set_stale_factor(t, TSMON_STALE_FACTOR_DEFAULT))
		return false;

	sleep_until_mono(s + 4 * iv + 50 * NSEC_PER_MSEC);
	ok &= now_is(TSMON_CLOCK_FREE_RUNNING, TSMON_TIME_STALE, &tm, &h);
	return ok && tsmon_one_way_valid(t, UINT64_MAX, NULL) == 0;
}

/*
 * One forward read with health @h after the clock went back below @last:
 * held at @last, by how far the clock is behind it, with the interval of
 * the clock as read; released, and fresh again, once the clock is back.
 */
static bool forward_read_ok(const struct tsmon_time *r,
			    const struct tsmon_health *h, uint64_t last)
{
	uint64_t fresh = r->mono_ns + h->offs_real_ns;
	uint64_t bound = expected_bound(h, r->mono_ns, drift);

	if (fresh >= last)
		return !(r->flags & TSMON_TIME_HELD) && r->real_ns == fresh &&
		       !r->held_ns;
	return (r->flags & TSMON_TIME_HELD) && r->real_ns == last &&
	       r->held_ns == last - fresh && r->bound_ns == bound &&
	       r->earliest_ns == fresh - bound &&
	       r->latest_ns == fresh + bound;
}

/*
 * A forward-only read across a step back of 0.5 s: held at the last time
 * it returned - by exactly the step less the time elapsed since - until
 * the clock catches up, and never going backwards.
 */
#define BUDGET_PARAM	"/sys/module/tsmon/parameters/sync_budget_ns"
#define PLL_OFFSET_US	20000
#define RESID_STEP_NS	(3 * NSEC_PER_MSEC)

static bool set_budget(uint64_t ns)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)ns);
	int fd = open(BUDGET_PARAM, O_WRONLY);
	bool ok = fd >= 0 && write(fd, buf, len) == len;

	if (!ok)
		ksft_print_msg("%s: %s\n", BUDGET_PARAM, strerror(errno));
	if (fd >= 0)
		close(fd);
	return ok;
}

/*
 * A sync update with these error figures, without sync_update()'s exact
 * check; @h is the health block after it.
 */
static bool sync_health(long maxerror_us, long esterror_us,
			struct tsmon_health *h)
{
	int status = ntp_status();
	struct timex tx = {
		.modes = ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR,
		.maxerror = maxerror_us,
		.esterror = esterror_us,
	};

	if (status < 0)
		return false;
	tx.status = status & ~STA_UNSYNC;
	if (adjtimex(&tx) < 0) {
		ksft_print_msg("adjtimex: %s\n", strerror(errno));
		return false;
	}
	return read_health(t, h);
}

/* A sync update that asserts no error, as phc2sys, ptp4l and timesyncd make it. */
static bool sync_zero(struct tsmon_health *h)
{
	return sync_health(0, 0, h);
}

/* maxerror 0 and no budget: disciplined, error unknown - never a bound. */
static bool case_zero_maxerror(void)
{
	struct tsmon_health h;
	struct tsmon_time tm;
	bool ok;

	if (!set_budget(0) || !sync_zero(&h))
		return false;
	ok = h.sync_maxerror_ns == TSMON_SYNC_ERROR_UNKNOWN &&
	     h.sync_flags == TSMON_SYNC_ZERO_MAXERROR;
	if (!ok)
		ksft_print_msg("sync_maxerror_ns %llu flags 0x%x after maxerror 0\n",
			       (unsigned long long)h.sync_maxerror_ns,
			       h.sync_flags);
	ok &= now_is(TSMON_CLOCK_UNKNOWN, TSMON_TIME_NO_ERROR |
		     TSMON_TIME_UNBOUNDED, &tm, &h);
	return ok && tsmon_one_way_valid(t, UINT64_MAX, NULL) == 0;
}

/*
 * With an operator's budget the same update bounds the clock by it - once
 * the settling time after the last step is over: the steps above are
 * seconds old, and a servo may still be slewing one away.
 */
static bool case_budget(void)
{
	struct tsmon_health h;
	struct tsmon_time tm;
	bool ok, settling;

	if (!set_budget(NSEC_PER_MSEC) || !sync_zero(&h))
		return false;
	settling = h.sync_maxerror_ns == TSMON_SYNC_ERROR_UNKNOWN &&
		   (h.sync_flags & ~TSMON_SYNC_PLL_OFFSET) ==
		   (TSMON_SYNC_ZERO_MAXERROR | TSMON_SYNC_BUDGET |
		    TSMON_SYNC_SETTLING);
	if (!settling)
		ksft_print_msg("budget right after a step: sync_maxerror_ns %llu flags 0x%x\n",
			       (unsigned long long)h.sync_maxerror_ns,
			       h.sync_flags);
	settling &= now_is(TSMON_CLOCK_UNKNOWN, TSMON_TIME_NO_ERROR |
			   TSMON_TIME_UNBOUNDED, &tm, &h);

	if (tsmon_param_set("sync_budget_settle_ms", 0) || !sync_zero(&h))
		return false;
	ok = h.sync_budget_ns == NSEC_PER_MSEC &&
	     h.sync_maxerror_ns == NSEC_PER_MSEC + h.sync_offset_ns &&
	     (h.sync_flags & ~TSMON_SYNC_PLL_OFFSET) ==
	     (TSMON_SYNC_ZERO_MAXERROR | TSMON_SYNC_BUDGET);
	if (!ok)
		ksft_print_msg("budget %llu: sync_maxerror_ns %llu offset %llu flags 0x%x\n",
			       (unsigned long long)h.sync_budget_ns,
			       (unsigned long long)h.sync_maxerror_ns,
			       (unsigned long long)h.sync_offset_ns,
			       h.sync_flags);
	ok &= now_is(TSMON_CLOCK_SYNCHRONIZED, 0, &tm, &h);
	return !tsmon_param_set("sync_budget_settle_ms", 60000) &&
	       set_budget(0) && settling && ok;
}

/*
 * A daemon that steers through the kernel PLL (timesyncd, ntpd): the clock
 * is off by what is left of the offset, which the bound must include.
 */
static bool case_pll_offset(void)
{
	struct tsmon_health h;
	struct tsmon_time tm;
	int status = ntp_status();
	struct timex tx = {
		.modes = ADJ_STATUS | ADJ_OFFSET | ADJ_MAXERROR | ADJ_ESTERROR |
			 ADJ_MICRO,
		.offset = PLL_OFFSET_US,
		.maxerror = MAXERROR_US,
		.esterror = ESTERROR_US,
	};
	bool ok;

	if (status < 0)
		return false;
	tx.status = (status | STA_PLL) & ~STA_UNSYNC;
	if (adjtimex(&tx) < 0 || !read_health(t, &h)) {
		ksft_print_msg("adjtimex: %s\n", strerror(errno));
		return false;
	}
	/* The remaining offset: what was handed in, less a tick's slew at most. */
	ok = h.sync_offset_ns > (PLL_OFFSET_US - 1000) * USEC_NS &&
	     h.sync_offset_ns <= PLL_OFFSET_US * USEC_NS &&
	     h.sync_maxerror_ns == MAXERROR_US * USEC_NS +
	     TSMON_SYNC_MAXERROR_ROUNDING_NS + h.sync_offset_ns &&
	     h.sync_flags == TSMON_SYNC_PLL_OFFSET;
	if (!ok)
		ksft_print_msg("PLL offset %d us: sync_offset_ns %llu maxerror %llu flags 0x%x\n",
			       PLL_OFFSET_US,
			       (unsigned long long)h.sync_offset_ns,
			       (unsigned long long)h.sync_maxerror_ns,
			       h.sync_flags);
	ok &= now_is(TSMON_CLOCK_SYNCHRONIZED, 0, &tm, &h);
	if (tm.bound_ns < (uint64_t)(MAXERROR_US + PLL_OFFSET_US - 1000) * USEC_NS) {
		print_time("bound without the PLL offset", &tm);
		ok = false;
	}
	/* Nothing left to slew, and out of PLL mode as before. */
	tx = (struct timex){ .modes = ADJ_OFFSET, .offset = 0 };
	if (adjtimex(&tx) < 0)
		ok = false;
	tx = (struct timex){ .modes = ADJ_STATUS, .status = status };
	if (adjtimex(&tx) < 0)
		ok = false;
	return ok && sync_update(MAXERROR_US);
}

static bool case_forward(void)
{
	const int64_t back = 500 * NSEC_PER_MSEC;
	struct tsmon_forward f = { 0 };
	struct tsmon_time r1, r, plain;
	struct tsmon_health h;
	uint64_t prev;
	int64_t end;
	bool ok = true;
	int held = 0;

	if (!sync_update(MAXERROR_US) || tsmon_forward_now(t, &f, &r1))
		return false;
	if (r1.flags & TSMON_TIME_HELD || f.last_ns != r1.real_ns) {
		print_time("first forward read", &r1);
		return false;
	}
	if (!step(-back) || !sync_update(MAXERROR_US) || !read_health(t, &h))
		return false;
	if (tsmon_now(t, &plain) || plain.real_ns >= r1.real_ns) {
		print_time("the clock did not go back", &plain);
		return false;
	}

	prev = r1.real_ns;
	end = clk_ns(CLOCK_MONOTONIC) + 2 * NSEC_PER_SEC;
	for (;;) {
		if (tsmon_forward_now(t, &f, &r))
			return false;
		if (!forward_read_ok(&r, &h, r1.real_ns) || r.real_ns < prev) {
			print_time("forward read", &r);
			ok = false;
		}
		prev = r.real_ns;
		if (!(r.flags & TSMON_TIME_HELD))
			break;
		if (!held++)
			ksft_print_msg("held %llu ns, %llu ns after the first read\n",
				       (unsigned long long)r.held_ns,
				       (unsigned long long)(r.mono_ns -
							    r1.mono_ns));
		if (r.held_ns != back - (r.mono_ns - r1.mono_ns))
			ok = false;
		if (clk_ns(CLOCK_MONOTONIC) > end)
			break;
		sleep_ms(20);
	}
	if (!held || r.flags & TSMON_TIME_HELD) {
		ksft_print_msg("%d held reads, %s\n", held,
			       r.flags & TSMON_TIME_HELD ? "never released" :
			       "released at once");
		ok = false;
	}
	return step(back) && ok;
}

static bool residual_is(const char *what, uint64_t resid_ns)
{
	uint64_t want = (uint64_t)MAXERROR_US * USEC_NS +
			TSMON_SYNC_MAXERROR_ROUNDING_NS + resid_ns;
	struct tsmon_health h;

	if (!sync_health(MAXERROR_US, ESTERROR_US, &h))
		return false;
	if (h.sync_maxerror_ns == want &&
	    !!(h.sync_flags & TSMON_SYNC_STEP_RESIDUAL) == !!resid_ns)
		return true;
	ksft_print_msg("%s: sync_maxerror_ns %llu flags 0x%x, want %llu%s\n",
		       what, (unsigned long long)h.sync_maxerror_ns, h.sync_flags,
		       (unsigned long long)want,
		       resid_ns ? " with STEP_RESIDUAL" : "");
	return false;
}

/* A step of @ns made by another process than this one (a child). */
static bool other_step(int64_t ns)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return false;
	if (!pid)
		_exit(clock_step_ns(ns) ? 1 : 0);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
		ksft_print_msg("another process could not step the clock\n");
		return false;
	}
	stepped_ns += ns;
	return true;
}

/*
 * chronyd slews by itself and reports an error without what it is still
 * slewing: after a step another process made behind its back, that is up to
 * the step. Such steps within the settle window are in the error of the
 * updates after them; the daemon's own steps are not. A 1 s window keeps the
 * earlier cases' steps out of it.
 */
static bool case_step_residual(void)
{
	const struct timespec window = { 1, 200 * 1000 * 1000 };
	bool ok;

	if (tsmon_param_set("sync_budget_settle_ms", 1000))
		return false;
	nanosleep(&window, NULL);
	ok = other_step(RESID_STEP_NS) &&
	     residual_is("after another process's step", RESID_STEP_NS);
	/* Ours, back, in the same window: both count. */
	ok &= step(-RESID_STEP_NS) &&
	      residual_is("after its step and ours", 2 * RESID_STEP_NS);

	/* Our own steps alone: the source made them, and knows. */
	nanosleep(&window, NULL);
	ok &= step(RESID_STEP_NS) && step(-RESID_STEP_NS) &&
	      residual_is("after our own steps", 0);

	/* Out of the window, the other process's steps no longer count. */
	nanosleep(&window, NULL);
	if (other_step(RESID_STEP_NS)) {
		nanosleep(&window, NULL);
		ok &= residual_is("a window after another process's step", 0);
		ok &= step(-RESID_STEP_NS);
	} else {
		ok = false;
	}
	return !tsmon_param_set("sync_budget_settle_ms", 60000) && ok;
}

static bool case_restore(void)
{
	struct rt_offset now;
	bool ok = true;
	int err;

	if (stepped_ns && !step(-stepped_ns))
		ok = false;
	if (!set_budget(0))
		ok = false;
	err = ntp_restore(&saved);
	if (err) {
		ksft_print_msg("restoring the NTP state: %s\n", strerror(-err));
		ok = false;
	}
	now = rt_mono_offset();
	if (llabs(now.off_ns - off0.off_ns) >
	    now.err_ns + off0.err_ns + OFFSET_SLOP_NS) {
		ksft_print_msg("REALTIME-MONOTONIC differs by %lld ns from the start\n",
			       (long long)(now.off_ns - off0.off_ns));
		ok = false;
	}
	return ok;
}

int main(void)
{
	struct tsmon_health h;
	int err;

	selftest_start(18);
	if (ntp_read(&saved) < 0)
		ksft_exit_fail_msg("adjtimex: %s\n", strerror(errno));
	off0 = rt_mono_offset();
	err = module_reload_default();
	if (err)
		ksft_exit_fail_msg("reloading the module: %s\n",
				   strerror(-err));
	t = open_or_bail();
	if (!read_health(t, &h))
		ksft_exit_fail_msg("no health block\n");
	if (!(h.hooks & TSMON_HOOK_ADJTIMEX))
		ksft_exit_fail_msg("NTP hook not attached (hooks 0x%x)\n",
				   h.hooks);

	ksft_test_result(case_unknown(),
			 "before any adjtimex call: UNKNOWN (NO_CAPTURE), unbounded\n");
	ksft_test_result(case_synchronized(),
			 "after a sync update: SYNCHRONIZED, exact bound, real_ns = CLOCK_REALTIME\n");
	ksft_test_result(case_growth(),
			 "the bound grows 50 ppm between reads 200 ms apart\n");
	ksft_test_result(case_kernel_drift(),
			 "at TSMON_DRIFT_KERNEL_PPB the bound is the kernel's maxerror\n");
	ksft_test_result(case_one_way(),
			 "tsmon_one_way_valid: 1 under a limit above the bound, 0 below\n");
	ksft_test_result(case_unsync(),
			 "STA_UNSYNC: FREE_RUNNING (UNSYNC)\n");
	ksft_test_result(case_step(),
			 "step: DISRUPTED (COOLDOWN) and unbounded for the cooldown\n");
	ksft_test_result(case_after_cooldown(),
			 "after the cooldown, no sync update yet: FREE_RUNNING, unbounded\n");
	ksft_test_result(case_resync(),
			 "sync update after the step: SYNCHRONIZED, bounded\n");
	ksft_test_result(case_sync_in_cooldown(),
			 "sync update within the cooldown: bounded, DISRUPTED until it ends\n");
	ksft_test_result(case_interval_window(),
			 "sync_interval_ns: the longest of the last 8 intervals\n");
	ksft_test_result(case_stale(),
			 "stale after stale_factor x interval: FREE_RUNNING (STALE)\n");
	ksft_test_result(case_zero_maxerror(),
			 "maxerror 0, no budget: UNKNOWN (NO_ERROR), unbounded, not one-way valid\n");
	ksft_test_result(case_budget(),
			 "maxerror 0 with sync_budget_ns 1 ms: unknown within the settling time after a step, then the budget bounds it\n");
	ksft_test_result(case_pll_offset(),
			 "PLL offset 20 ms still to slew: in the bound\n");
	ksft_test_result(case_forward(),
			 "tsmon_forward_now holds time across a -0.5 s step, then resumes\n");
	ksft_test_result(case_step_residual(),
			 "steps by another process within the settle window are in the sync error; our own are not\n");
	ksft_test_result(case_restore(),
			 "clock and NTP state restored\n");
	tsmon_close(t);
	ksft_finished();
}
