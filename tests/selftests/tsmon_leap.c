// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_leap - leap seconds: armed, disarmed, applied, in both directions.
 *
 * The kernel does not care which day it is: it applies a requested leap at
 * the next UTC midnight. So the test steps the clock to a few seconds
 * before the coming midnight M of the current day and sets STA_INS or
 * STA_DEL through adjtimex(2):
 *
 *  - the kernel schedules an insertion at the first second boundary after
 *    STA_INS is set; tsmon sees the schedule in the timekeeper and records
 *    leap_armed (insert, M). At M, REALTIME repeats 23:59:59 and TAI - UTC
 *    grows by one: leap_applied, and no leap_disarmed for that leap.
 *  - a deletion exists only in the NTP state: tsmon's shadow of it records
 *    leap_armed (delete, M - 1 s: the deleted 23:59:59) when the kernel
 *    schedules it, at the first second boundary after STA_DEL is set. At
 *    M - 1 s REALTIME jumps to M: leap_applied.
 *  - clearing the request, or a clock step (the kernel's ntp_clear() drops
 *    the schedule), before the leap disarms it: leap_disarmed, and nothing
 *    happens at midnight.
 *
 * Waits are sliced (see wait_record()) so that the tickless guest keeps
 * updating the timekeeper, where second boundaries are processed.
 *
 * At the end the leap flags, TAI and the clock are restored. A leap moves
 * REALTIME by -1 s (insertion) or +1 s (deletion) relative to MONOTONIC,
 * so the clock is restored from the accounted total of our own steps and
 * the leaps observed, cross-checked against the measured change of
 * REALTIME - MONOTONIC since the start (they agree within the measurement
 * window, microseconds; a mismatch beyond RESTORE_TOLERANCE_NS means a leap
 * did not happen as expected, and the measurement is used instead).
 */
#include "tsmon_selftest.h"

#define OFFSET_SLOP_NS		10000
#define LEAP_TAI		37

static struct tsmon *t;
static uint32_t hooks;
static int64_t midnight_ns;	/* M: the next UTC midnight at the start */
static int64_t accounted_ns;	/* our steps plus applied leaps */
static struct rt_offset off0;

static const char *const state_names[] = {
	[TIME_OK] = "TIME_OK", [TIME_INS] = "TIME_INS",
	[TIME_DEL] = "TIME_DEL", [TIME_OOP] = "TIME_OOP",
	[TIME_WAIT] = "TIME_WAIT", [TIME_ERROR] = "TIME_ERROR",
};

static const char *state_name(int state)
{
	if (state < 0 || state >= (int)ARRAY_SIZE(state_names))
		return "?";
	return state_names[state];
}

/*
 * The kernel's leap second state machine is visible only as adjtimex()'s
 * return value, and only while STA_UNSYNC is clear (TIME_ERROR otherwise).
 * A request is taken up only in TIME_OK, and after a leap the kernel stays
 * in TIME_WAIT until a second boundary after the request is withdrawn; so
 * each part waits for TIME_OK before it makes a request. STA_UNSYNC plays
 * no part in leap handling: it is cleared (with maxerror 0, so the kernel
 * does not set it again within the test) only to make the state readable.
 * Every step sets it again (ntp_clear()).
 */
static bool ntp_wait_state(int want, int timeout_ms)
{
	int64_t end = clk_ns(CLOCK_MONOTONIC) + timeout_ms * NSEC_PER_MSEC;
	struct timex tx;
	int state;

	state = ntp_read(&tx);
	if (state < 0)
		return false;
	tx.modes = ADJ_STATUS | ADJ_MAXERROR;
	tx.status &= ~STA_UNSYNC;
	tx.maxerror = 0;
	if (adjtimex(&tx) < 0)
		return false;
	for (;;) {
		state = ntp_read(&tx);
		if (state == want)
			return true;
		if (clk_ns(CLOCK_MONOTONIC) >= end)
			break;
		sleep_ms(50);
	}
	ksft_print_msg("kernel leap state %s, want %s\n", state_name(state),
		       state_name(want));
	return false;
}

/* Steps to @target_ns (CLOCK_REALTIME) and consumes the step's record. */
static bool step_to(struct tsmon_cursor *c, int64_t target_ns)
{
	int64_t delta = target_ns - clk_ns(CLOCK_REALTIME);
	struct tsmon_record r;
	int err;

	err = clock_step_ns(delta);
	if (err) {
		ksft_print_msg("ADJ_SETOFFSET: %s\n", strerror(-err));
		return false;
	}
	accounted_ns += delta;
	err = wait_record(t, c, 2000, &r);
	if (err || r.type != TSMON_EVENT_CLOCK_STEP ||
	    (int64_t)r.step.delta_ns != delta) {
		ksft_print_msg("step of %lld ns: no matching clock_step\n",
			       (long long)delta);
		if (!err)
			print_record("got", &r);
		return false;
	}
	return true;
}

static bool set_tai(struct tsmon_cursor *c, int tai)
{
	struct tsmon_record r;
	int before = ntp_tai();

	if (before == tai)
		return true;
	if (ntp_set_tai(tai)) {
		ksft_print_msg("ADJ_TAI %d failed\n", tai);
		return false;
	}
	if (wait_record(t, c, 2000, &r) || r.type != TSMON_EVENT_TAI_CHANGE ||
	    (int32_t)r.tai.tai_after != tai) {
		ksft_print_msg("no tai_change record for %d -> %d\n",
			       before, tai);
		return false;
	}
	return true;
}

static bool expect_leap(struct tsmon_cursor *c, uint32_t type, uint32_t dir,
			int64_t leap_real_ns, int timeout_ms)
{
	struct tsmon_record r;
	int err;

	err = wait_record(t, c, timeout_ms, &r);
	if (err) {
		ksft_print_msg("waiting for %s: %s\n", type_name(type),
			       strerror(-err));
		return false;
	}
	if (r.type != type || r.leap.direction != dir ||
	    (int64_t)r.leap.leap_real_ns != leap_real_ns) {
		print_record("got", &r);
		ksft_print_msg("want %s direction %u leap_real_ns %lld\n",
			       type_name(type), dir, (long long)leap_real_ns);
		return false;
	}
	return true;
}

static bool expect_applied(struct tsmon_cursor *c, uint32_t dir,
			   int tai_before, int tai_after)
{
	struct tsmon_record r;
	int err;

	err = wait_record(t, c, 10000, &r);
	if (err) {
		ksft_print_msg("waiting for leap_applied: %s\n",
			       strerror(-err));
		return false;
	}
	if (r.type != TSMON_EVENT_LEAP_APPLIED ||
	    r.leap_applied.direction != dir ||
	    (int32_t)r.leap_applied.tai_before != tai_before ||
	    (int32_t)r.leap_applied.tai_after != tai_after) {
		print_record("got", &r);
		ksft_print_msg("want leap_applied direction %u tai %d -> %d\n",
			       dir, tai_before, tai_after);
		return false;
	}
	/*
	 * Applied on the first timekeeper update after the leap's second
	 * boundary: within a second of midnight, however late the tick.
	 */
	if ((int64_t)r.real_ns < midnight_ns - NSEC_PER_SEC ||
	    (int64_t)r.real_ns > midnight_ns + NSEC_PER_SEC) {
		print_record("applied far from midnight", &r);
		return false;
	}
	return true;
}

static bool health_leap(uint32_t state, int64_t leap_real_ns)
{
	struct tsmon_health h;

	if (!read_health(t, &h))
		return false;
	if (h.leap_state != state || (int64_t)h.leap_real_ns != leap_real_ns) {
		ksft_print_msg("health leap_state %u leap_real_ns %lld, want %u %lld\n",
			       h.leap_state, (long long)h.leap_real_ns, state,
			       (long long)leap_real_ns);
		return false;
	}
	return true;
}

static bool health_ntp_has(int bits)
{
	struct tsmon_health h;

	/* Without the adjtimex hook ntp_status is not tracked. */
	if (!(hooks & TSMON_HOOK_ADJTIMEX))
		return true;
	if (!read_health(t, &h))
		return false;
	if ((h.ntp_status & (STA_INS | STA_DEL)) != (uint32_t)bits) {
		ksft_print_msg("health ntp_status 0x%x, want leap bits 0x%x\n",
			       h.ntp_status, bits);
		return false;
	}
	return true;
}

/* A leap moves REALTIME - MONOTONIC by exactly @want_ns. */
static bool offset_moved(struct rt_offset before, int64_t want_ns)
{
	struct rt_offset now = rt_mono_offset();
	int64_t moved = now.off_ns - before.off_ns;

	if (llabs(moved - want_ns) >
	    now.err_ns + before.err_ns + OFFSET_SLOP_NS) {
		ksft_print_msg("REALTIME-MONOTONIC moved %lld ns, want %lld\n",
			       (long long)moved, (long long)want_ns);
		return false;
	}
	return true;
}

/*
 * Insertion requested then withdrawn, twice: by clearing STA_INS, and by a
 * clock step while it is scheduled. Midnight then passes with no leap.
 */
static void part_disarm(bool res[4])
{
	int64_t m = midnight_ns;
	struct tsmon_cursor c;
	struct tsmon_record r[2];
	struct rt_offset before;
	bool seen_step = false, seen_disarm = false;
	int i;

	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	if (!step_to(&c, m - 10 * NSEC_PER_SEC) ||
	    !ntp_wait_state(TIME_OK, 3000))
		return;

	/* 1: armed, then disarmed by clearing STA_INS. */
	if (ntp_set_leap_bits(STA_INS))
		return;
	res[0] = expect_leap(&c, TSMON_EVENT_LEAP_ARMED, TSMON_LEAP_INSERT,
			     m, 3000) &&
		 health_leap(TSMON_LEAP_INSERT_PENDING, m) &&
		 health_ntp_has(STA_INS);
	if (ntp_set_leap_bits(0))
		return;
	res[1] = expect_leap(&c, TSMON_EVENT_LEAP_DISARMED, TSMON_LEAP_INSERT,
			     m, 3000) &&
		 health_leap(TSMON_LEAP_NONE, 0) && health_ntp_has(0);

	/*
	 * 2: armed again, then a step (+1 ns) makes the kernel drop the
	 * schedule: one clock_step and one leap_disarmed, in either order.
	 */
	if (ntp_set_leap_bits(STA_INS))
		return;
	if (expect_leap(&c, TSMON_EVENT_LEAP_ARMED, TSMON_LEAP_INSERT, m,
			3000)) {
		if (clock_step_ns(1))
			return;
		accounted_ns += 1;
		for (i = 0; i < 2; i++) {
			if (wait_record(t, &c, 2000, &r[i]))
				break;
			if (r[i].type == TSMON_EVENT_CLOCK_STEP &&
			    (int64_t)r[i].step.delta_ns == 1)
				seen_step = true;
			else if (r[i].type == TSMON_EVENT_LEAP_DISARMED &&
				 r[i].leap.direction == TSMON_LEAP_INSERT &&
				 (int64_t)r[i].leap.leap_real_ns == m)
				seen_disarm = true;
			else
				print_record("unexpected", &r[i]);
		}
		res[2] = seen_step && seen_disarm &&
			 health_leap(TSMON_LEAP_NONE, 0);
		if (!res[2])
			ksft_print_msg("step record %d, disarm record %d\n",
				       seen_step, seen_disarm);
	}
	if (ntp_set_leap_bits(0))
		return;

	/* 3: midnight passes: no leap, no record. */
	before = rt_mono_offset();
	sleep_until_real(m + 1500 * NSEC_PER_MSEC, 15000);
	res[3] = clk_ns(CLOCK_REALTIME) > m && expect_no_record(t, &c, 0) &&
		 offset_moved(before, 0);
}

static void part_insert(bool res[4])
{
	int64_t m = midnight_ns;
	struct tsmon_health h0, h;
	struct tsmon_cursor c;
	struct rt_offset before;

	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	if (!set_tai(&c, LEAP_TAI) || !step_to(&c, m - 3 * NSEC_PER_SEC) ||
	    !ntp_wait_state(TIME_OK, 1000))
		return;
	if (!read_health(t, &h0) || ntp_set_leap_bits(STA_INS))
		return;
	res[0] = expect_leap(&c, TSMON_EVENT_LEAP_ARMED, TSMON_LEAP_INSERT,
			     m, 2500) &&
		 health_leap(TSMON_LEAP_INSERT_PENDING, m);

	before = rt_mono_offset();
	res[1] = expect_applied(&c, TSMON_LEAP_INSERT, LEAP_TAI, LEAP_TAI + 1);
	if (res[1])
		ksft_print_msg("insertion applied, CLOCK_REALTIME repeated 23:59:59\n");

	/* After the leap, with STA_INS still set: nothing is pending. */
	res[2] = read_health(t, &h) && health_leap(TSMON_LEAP_NONE, 0) &&
		 offset_moved(before, -NSEC_PER_SEC);
	if (res[2] && ((int32_t)h.tai_offset != LEAP_TAI + 1 ||
		       ntp_tai() != LEAP_TAI + 1 ||
		       h.event_count[TSMON_EVENT_LEAP_APPLIED] !=
		       h0.event_count[TSMON_EVENT_LEAP_APPLIED] + 1 ||
		       h.event_count[TSMON_EVENT_CLOCK_STEP] !=
		       h0.event_count[TSMON_EVENT_CLOCK_STEP])) {
		ksft_print_msg("health after insertion: tai %d, applied +%llu, steps +%llu\n",
			       (int32_t)h.tai_offset,
			       (unsigned long long)
			       (h.event_count[TSMON_EVENT_LEAP_APPLIED] -
				h0.event_count[TSMON_EVENT_LEAP_APPLIED]),
			       (unsigned long long)
			       (h.event_count[TSMON_EVENT_CLOCK_STEP] -
				h0.event_count[TSMON_EVENT_CLOCK_STEP]));
		res[2] = false;
	}
	if (ntp_tai() == LEAP_TAI + 1)
		accounted_ns -= NSEC_PER_SEC;

	/*
	 * Withdrawing the request of an applied leap disarms nothing, neither
	 * at once nor when the kernel leaves TIME_WAIT.
	 */
	if (ntp_set_leap_bits(0))
		return;
	res[3] = ntp_wait_state(TIME_OK, 3000) && expect_no_record(t, &c, 0) &&
		 health_ntp_has(0);
}

static void part_delete(bool res[4])
{
	int64_t m = midnight_ns;
	struct tsmon_health h0, h;
	struct tsmon_cursor c;
	struct rt_offset before;
	int tai;

	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	if (!step_to(&c, m - 3 * NSEC_PER_SEC) ||
	    !ntp_wait_state(TIME_OK, 1000))
		return;
	tai = ntp_tai();
	if (!read_health(t, &h0) || ntp_set_leap_bits(STA_DEL))
		return;
	res[0] = expect_leap(&c, TSMON_EVENT_LEAP_ARMED, TSMON_LEAP_DELETE,
			     m - NSEC_PER_SEC, 1000) &&
		 health_leap(TSMON_LEAP_DELETE_PENDING, m - NSEC_PER_SEC) &&
		 health_ntp_has(STA_DEL);

	before = rt_mono_offset();
	res[1] = expect_applied(&c, TSMON_LEAP_DELETE, tai, tai - 1);

	res[2] = read_health(t, &h) && health_leap(TSMON_LEAP_NONE, 0) &&
		 offset_moved(before, NSEC_PER_SEC);
	if (res[2] && ((int32_t)h.tai_offset != tai - 1 ||
		       ntp_tai() != tai - 1 ||
		       h.event_count[TSMON_EVENT_LEAP_APPLIED] !=
		       h0.event_count[TSMON_EVENT_LEAP_APPLIED] + 1 ||
		       h.event_count[TSMON_EVENT_CLOCK_STEP] !=
		       h0.event_count[TSMON_EVENT_CLOCK_STEP])) {
		ksft_print_msg("health after deletion: tai %d\n",
			       (int32_t)h.tai_offset);
		res[2] = false;
	}
	if (ntp_tai() == tai - 1)
		accounted_ns += NSEC_PER_SEC;

	if (ntp_set_leap_bits(0))
		return;
	res[3] = ntp_wait_state(TIME_OK, 3000) && expect_no_record(t, &c, 0) &&
		 health_ntp_has(0);
}

/*
 * A deletion the kernel has scheduled (TIME_DEL, one second boundary after
 * STA_DEL) is dropped by a clock step: ntp_clear() forgets the leap second
 * and TIME_DEL never fires while STA_DEL stays set. tsmon must report the
 * deletion disarmed rather than pending.
 */
static void part_delete_cancelled(bool res[2])
{
	int64_t m = midnight_ns;
	struct tsmon_cursor c;
	struct tsmon_record r[2];
	struct rt_offset before;
	bool seen_step = false, seen_disarm = false;
	int i;

	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	if (!step_to(&c, m - 6 * NSEC_PER_SEC) ||
	    !ntp_wait_state(TIME_OK, 1000) || ntp_set_leap_bits(STA_DEL))
		goto out;
	if (!expect_leap(&c, TSMON_EVENT_LEAP_ARMED, TSMON_LEAP_DELETE,
			 m - NSEC_PER_SEC, 1000))
		goto out;
	/* The deletion is scheduled at the next second boundary. */
	if (!ntp_wait_state(TIME_DEL, 2000))
		goto out;
	if (clock_step_ns(1))
		goto out;
	accounted_ns += 1;
	for (i = 0; i < 2; i++) {
		if (wait_record(t, &c, 1000, &r[i]))
			break;
		if (r[i].type == TSMON_EVENT_CLOCK_STEP &&
		    (int64_t)r[i].step.delta_ns == 1)
			seen_step = true;
		else if (r[i].type == TSMON_EVENT_LEAP_DISARMED &&
			 r[i].leap.direction == TSMON_LEAP_DELETE &&
			 (int64_t)r[i].leap.leap_real_ns == m - NSEC_PER_SEC)
			seen_disarm = true;
		else
			print_record("unexpected", &r[i]);
	}
	res[0] = seen_step && seen_disarm;
	if (!res[0])
		ksft_print_msg("step record %d, disarm record %d\n",
			       seen_step, seen_disarm);
	res[0] = health_leap(TSMON_LEAP_NONE, 0) && res[0];

	/* The kernel indeed deletes nothing at midnight. */
	before = rt_mono_offset();
	sleep_until_real(m + 1500 * NSEC_PER_MSEC, 10000);
	res[1] = offset_moved(before, 0);
out:
	ntp_set_leap_bits(0);
	/* Clearing STA_DEL now must not report a disarm a second time. */
	if (res[1])
		res[1] = expect_no_record(t, &c, 1500);
}


int main(void)
{
	bool dis[4] = { 0 }, ins[4] = { 0 }, del[4] = { 0 }, can[2] = { 0 };
	struct tsmon_health h;
	int64_t now;
	int tai0, status0;
	bool have_del;
	int i;

	selftest_start(15);
	selftest_skip_ntp();
	t = open_or_bail();
	if (!read_health(t, &h))
		ksft_exit_fail_msg("no health block\n");
	hooks = h.hooks;
	have_del = hooks & TSMON_HOOK_ADJTIMEX;
	leap_save(&tai0, &status0);
	off0 = rt_mono_offset();
	now = clk_ns(CLOCK_REALTIME);
	midnight_ns = (now / NSEC_PER_SEC / SECS_PER_DAY + 1) * SECS_PER_DAY *
		      NSEC_PER_SEC;
	ksft_print_msg("leap seconds at %lld (next UTC midnight), TAI %d\n",
		       (long long)(midnight_ns / NSEC_PER_SEC), tai0);

	part_disarm(dis);
	ksft_test_result(dis[0], "STA_INS: leap_armed insert at midnight, INSERT_PENDING\n");
	ksft_test_result(dis[1], "clearing STA_INS: leap_disarmed insert, state NONE\n");
	ksft_test_result(dis[2], "step while armed: clock_step and leap_disarmed\n");
	ksft_test_result(dis[3], "disarmed insertion: nothing happens at midnight\n");

	part_insert(ins);
	ksft_test_result(ins[0], "insertion armed at 23:59:57\n");
	ksft_test_result(ins[1], "leap_applied insert, TAI %d -> %d\n",
			 LEAP_TAI, LEAP_TAI + 1);
	ksft_test_result(ins[2], "after insertion: state NONE, TAI, REALTIME -1 s, counts\n");
	ksft_test_result(ins[3], "clearing STA_INS after the leap records nothing\n");

	if (have_del) {
		part_delete(del);
		ksft_test_result(del[0], "STA_DEL: leap_armed delete at 23:59:59, DELETE_PENDING\n");
		ksft_test_result(del[1], "leap_applied delete, TAI down by one\n");
		ksft_test_result(del[2], "after deletion: state NONE, TAI, REALTIME +1 s, counts\n");
		ksft_test_result(del[3], "clearing STA_DEL after the leap records nothing\n");
		part_delete_cancelled(can);
		ksft_test_result(can[0], "step while a deletion is scheduled: leap_disarmed delete\n");
		ksft_test_result(can[1], "cancelled deletion: nothing happens at midnight\n");
	} else {
		for (i = 0; i < 6; i++)
			ksft_test_result_skip("leap deletion: adjtimex hook not attached\n");
	}

	ksft_test_result(leap_restore(&off0, accounted_ns, tai0, status0),
			 "leap flags, TAI and clock restored\n");
	tsmon_close(t);
	ksft_finished();
}
