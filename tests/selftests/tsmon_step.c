// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_step - every step of CLOCK_REALTIME is one clock_step record with
 * the size the kernel applied.
 *
 * ADJ_SETOFFSET carries its delta in the call, so the record must match it
 * to the nanosecond. clock_settime()/settimeofday() carry an absolute time:
 * the kernel's "before" is read inside the call, so the test brackets it
 * between clock reads around the call. Time is compared as offsets
 * (CLOCK_REALTIME - CLOCK_MONOTONIC), never as absolute instants. The clock
 * is put back by the exact sum of the recorded steps.
 */
#include <sys/time.h>

#include "tsmon_selftest.h"

/*
 * A record's real_ns - mono_ns is the timekeeper's offs_real at the update,
 * to the nanosecond; the same offset read through the vDSO is known to
 * rt_offset.err_ns. The slop covers the vDSO's own conversion rounding.
 */
#define OFFSET_SLOP_NS		10000

static const struct {
	int64_t delta_ns;
	const char *name;
} steps[] = {
	{ 1500000000LL, "+1.5 s" },
	{ -250000000LL, "-0.25 s" },
	{ 1LL, "+1 ns" },
	{ -3000000000LL, "-3 s" },
	{ 86400LL * NSEC_PER_SEC, "+86400 s" },
};

static struct tsmon *t;
static struct tsmon_cursor all;	/* every record since the start */
static struct tsmon_health h0;
static struct rt_offset off0;
static uint32_t hooks;
static unsigned int nsteps;
static int64_t recorded_sum;
static struct tsmon_record last;

static uint32_t want_reason(uint32_t reason)
{
	uint32_t hook = reason == TSMON_STEP_SETOFFSET ? TSMON_HOOK_ADJTIMEX :
			TSMON_HOOK_SETTIME;

	/* Without the probe that names the caller the step is "unknown". */
	return hooks & hook ? reason : TSMON_STEP_UNKNOWN;
}

/*
 * Reads the record a step produced and checks what every step record must
 * hold: type, reason, CLOCK_MONOTONIC within the call, and real - mono
 * equal to the offset measured after the call.
 */
static bool read_step(struct tsmon_cursor *c, uint32_t reason,
		      int64_t mono_lo, int64_t mono_hi,
		      struct tsmon_record *r)
{
	struct rt_offset after = rt_mono_offset();
	int64_t rec_off;
	bool ok = true;
	int err;

	err = wait_record(t, c, 2000, r);
	if (err) {
		ksft_print_msg("no record after the step: %s\n",
			       strerror(-err));
		return false;
	}
	if (r->type != TSMON_EVENT_CLOCK_STEP) {
		print_record("want clock_step", r);
		return false;
	}
	nsteps++;
	recorded_sum += (int64_t)r->step.delta_ns;
	last = *r;

	if (r->step.reason != want_reason(reason)) {
		ksft_print_msg("reason %u, want %u\n", r->step.reason,
			       want_reason(reason));
		ok = false;
	}
	if ((int64_t)r->mono_ns < mono_lo || (int64_t)r->mono_ns > mono_hi) {
		ksft_print_msg("mono_ns %llu outside the call [%lld, %lld]\n",
			       (unsigned long long)r->mono_ns,
			       (long long)mono_lo, (long long)mono_hi);
		ok = false;
	}
	rec_off = (int64_t)(r->real_ns - r->mono_ns);
	if (llabs(rec_off - after.off_ns) > after.err_ns + OFFSET_SLOP_NS) {
		ksft_print_msg("record real-mono %lld, measured %lld +- %lld\n",
			       (long long)rec_off, (long long)after.off_ns,
			       (long long)after.err_ns);
		ok = false;
	}
	if (!expect_no_record(t, c, 0))
		ok = false;
	return ok;
}

static bool case_setoffset(int64_t delta)
{
	struct tsmon_cursor c;
	struct tsmon_record r;
	int64_t m0, m1;
	int err;

	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	m0 = clk_ns(CLOCK_MONOTONIC);
	err = clock_step_ns(delta);
	m1 = clk_ns(CLOCK_MONOTONIC);
	if (err) {
		ksft_print_msg("ADJ_SETOFFSET %lld: %s\n", (long long)delta,
			       strerror(-err));
		return false;
	}
	if (!read_step(&c, TSMON_STEP_SETOFFSET, m0, m1, &r))
		return false;
	if ((int64_t)r.step.delta_ns != delta) {
		ksft_print_msg("delta_ns %lld, want exactly %lld\n",
			       (long long)(int64_t)r.step.delta_ns,
			       (long long)delta);
		return false;
	}
	return true;
}

/*
 * An absolute set: the kernel computes new - old with "old" read inside the
 * call, somewhere in [r0, r0 + (m1 - m0)] since REALTIME runs at the rate of
 * MONOTONIC in the guest (no NTP). The delta is bracketed accordingly; how
 * long the call takes (milliseconds under TCG) is the only uncertainty.
 */
static bool case_settime(bool use_settimeofday, int64_t ahead_ns)
{
	struct tsmon_cursor c;
	struct tsmon_record r;
	int64_t r0, m0, m1, target, lo, hi, delta;
	int ret;

	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	m0 = clk_ns(CLOCK_MONOTONIC);
	r0 = clk_ns(CLOCK_REALTIME);
	if (use_settimeofday) {
		struct timeval tv;

		/* settimeofday() takes microseconds: round the target. */
		target = (r0 + ahead_ns) / 1000 * 1000;
		tv.tv_sec = target / NSEC_PER_SEC;
		tv.tv_usec = target % NSEC_PER_SEC / 1000;
		ret = settimeofday(&tv, NULL);
	} else {
		struct timespec ts;

		target = r0 + ahead_ns;
		ts.tv_sec = target / NSEC_PER_SEC;
		ts.tv_nsec = target % NSEC_PER_SEC;
		ret = clock_settime(CLOCK_REALTIME, &ts);
	}
	m1 = clk_ns(CLOCK_MONOTONIC);
	if (ret) {
		ksft_print_msg("set time: %s\n", strerror(errno));
		return false;
	}
	if (!read_step(&c, TSMON_STEP_SETTIME, m0, m1, &r))
		return false;

	delta = (int64_t)r.step.delta_ns;
	hi = target - r0 + OFFSET_SLOP_NS;
	lo = target - r0 - (m1 - m0) - OFFSET_SLOP_NS;
	ksft_print_msg("delta_ns %lld, bracket [%lld, %lld] (call took %lld ns)\n",
		       (long long)delta, (long long)lo, (long long)hi,
		       (long long)(m1 - m0));
	return delta >= lo && delta <= hi;
}

/* The offset moved by exactly what the records say. */
static bool case_sum(void)
{
	struct rt_offset now = rt_mono_offset();
	int64_t moved = now.off_ns - off0.off_ns;

	if (llabs(moved - recorded_sum) >
	    now.err_ns + off0.err_ns + OFFSET_SLOP_NS) {
		ksft_print_msg("offset moved %lld ns, records sum to %lld ns\n",
			       (long long)moved, (long long)recorded_sum);
		return false;
	}
	return true;
}

/*
 * Steps back by the recorded sum when it matches the measured change (an
 * exact restore); by the measured change otherwise, so that a wrong
 * record never leaves the guest's clock wrong.
 */
static bool case_restore(void)
{
	struct rt_offset now = rt_mono_offset();
	int64_t moved = now.off_ns - off0.off_ns;
	int64_t back = -recorded_sum;
	struct tsmon_cursor c;
	struct tsmon_record r;
	int64_t m0, m1;
	bool ok = true;
	int err;

	if (llabs(moved - recorded_sum) >
	    now.err_ns + off0.err_ns + OFFSET_SLOP_NS)
		back = -moved;

	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	m0 = clk_ns(CLOCK_MONOTONIC);
	err = clock_step_ns(back);
	m1 = clk_ns(CLOCK_MONOTONIC);
	if (err) {
		ksft_print_msg("restoring step failed: %s\n", strerror(-err));
		return false;
	}
	if (!read_step(&c, TSMON_STEP_SETOFFSET, m0, m1, &r))
		ok = false;
	else if ((int64_t)r.step.delta_ns != back)
		ok = false;

	now = rt_mono_offset();
	if (llabs(now.off_ns - off0.off_ns) >
	    now.err_ns + off0.err_ns + OFFSET_SLOP_NS) {
		ksft_print_msg("offset after restore differs by %lld ns\n",
			       (long long)(now.off_ns - off0.off_ns));
		ok = false;
	}
	return ok;
}

static bool case_health(void)
{
	struct tsmon_health h;
	bool ok = true;

	if (!read_health(t, &h))
		return false;
	if (h.last_step_seq != last.seq ||
	    h.last_step_mono_ns != last.mono_ns ||
	    h.last_step_real_ns != last.real_ns ||
	    h.last_step_delta_ns != last.step.delta_ns ||
	    h.last_step_reason != last.step.reason) {
		ksft_print_msg("health last step: seq %llu delta %lld reason %u mono %llu real %llu\n",
			       (unsigned long long)h.last_step_seq,
			       (long long)(int64_t)h.last_step_delta_ns,
			       h.last_step_reason,
			       (unsigned long long)h.last_step_mono_ns,
			       (unsigned long long)h.last_step_real_ns);
		print_record("last step record", &last);
		ok = false;
	}
	if (h.event_count[TSMON_EVENT_CLOCK_STEP] -
	    h0.event_count[TSMON_EVENT_CLOCK_STEP] != nsteps) {
		ksft_print_msg("event_count[clock_step] grew by %llu, want %u\n",
			       (unsigned long long)
			       (h.event_count[TSMON_EVENT_CLOCK_STEP] -
				h0.event_count[TSMON_EVENT_CLOCK_STEP]),
			       nsteps);
		ok = false;
	}
	return ok;
}

/* Steps are clock_step records and nothing else: no leap, TAI or other. */
static bool case_nothing_else(void)
{
	struct tsmon_health h;
	struct tsmon_record r;
	unsigned int n = 0;
	uint64_t seq = all.next;
	bool ok = true;
	uint32_t type;

	while (!tsmon_next(t, &all, &r)) {
		if (r.type != TSMON_EVENT_CLOCK_STEP || r.seq != seq) {
			print_record("unexpected", &r);
			ok = false;
		}
		seq++;
		n++;
	}
	if (n != nsteps) {
		ksft_print_msg("%u records for %u steps\n", n, nsteps);
		ok = false;
	}
	if (!read_health(t, &h))
		return false;
	for (type = 0; type < TSMON_EVENT_SLOTS; type++) {
		if (type == TSMON_EVENT_CLOCK_STEP ||
		    h.event_count[type] == h0.event_count[type])
			continue;
		ksft_print_msg("event_count[%s] changed\n", type_name(type));
		ok = false;
	}
	return ok;
}

int main(void)
{
	size_t i;

	selftest_start(ARRAY_SIZE(steps) + 6);
	t = open_or_bail();
	if (!read_health(t, &h0))
		ksft_exit_fail_msg("no health block\n");
	hooks = h0.hooks;
	if (!(hooks & TSMON_HOOK_ADJTIMEX))
		ksft_print_msg("adjtimex hook missing: steps expected with reason unknown\n");
	if (!(hooks & TSMON_HOOK_SETTIME))
		ksft_print_msg("settime hook missing: sets expected with reason unknown\n");
	tsmon_cursor_init(t, &all, TSMON_FROM_NOW, 0);
	off0 = rt_mono_offset();

	for (i = 0; i < ARRAY_SIZE(steps); i++)
		ksft_test_result(case_setoffset(steps[i].delta_ns),
				 "ADJ_SETOFFSET %s recorded exactly\n",
				 steps[i].name);
	ksft_test_result(case_settime(false, 1000 * NSEC_PER_SEC + 123456789),
			 "clock_settime recorded as settime with its delta\n");
	ksft_test_result(case_settime(true, -500 * NSEC_PER_SEC - 654321000),
			 "settimeofday recorded as settime with its delta\n");
	ksft_test_result(case_sum(),
			 "REALTIME-MONOTONIC moved by the sum of the records\n");
	ksft_test_result(case_restore(),
			 "clock restored by one exact step\n");
	ksft_test_result(case_health(),
			 "health last_step_* and event_count follow the ring\n");
	ksft_test_result(case_nothing_else(),
			 "steps produced clock_step records only\n");
	tsmon_close(t);
	ksft_finished();
}
