// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_tai - ADJ_TAI changes are tai_change records with the exact before
 * and after offsets, tracked by health.tai_offset, and never mistaken for a
 * step of CLOCK_REALTIME. The original TAI offset is restored.
 */
#include "tsmon_selftest.h"

#define OFFSET_SLOP_NS		10000

static struct tsmon *t;
static struct tsmon_health h0;
static bool stamps_ok = true;

static bool case_set(int from, int to)
{
	struct tsmon_cursor c;
	struct tsmon_health h;
	struct tsmon_record r;
	int64_t m0, m1;
	bool ok = true;
	int err;

	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	m0 = clk_ns(CLOCK_MONOTONIC);
	err = ntp_set_tai(to);
	m1 = clk_ns(CLOCK_MONOTONIC);
	if (err) {
		ksft_print_msg("ADJ_TAI %d: %s\n", to, strerror(-err));
		return false;
	}
	err = wait_record(t, &c, 2000, &r);
	if (err) {
		ksft_print_msg("no record: %s\n", strerror(-err));
		return false;
	}
	if (r.type != TSMON_EVENT_TAI_CHANGE ||
	    (int32_t)r.tai.tai_before != from ||
	    (int32_t)r.tai.tai_after != to) {
		print_record("want tai_change", &r);
		ok = false;
	}
	/* Judged in case_stamps(), so that the values are judged alone. */
	if ((int64_t)r.mono_ns < m0 || (int64_t)r.mono_ns > m1) {
		ksft_print_msg("mono_ns %llu outside the call [%lld, %lld]: %lld us early\n",
			       (unsigned long long)r.mono_ns, (long long)m0,
			       (long long)m1,
			       (long long)(m0 - (int64_t)r.mono_ns) / 1000);
		stamps_ok = false;
	}
	if (!expect_no_record(t, &c, 200))
		ok = false;
	if (!read_health(t, &h))
		return false;
	if ((int32_t)h.tai_offset != to || ntp_tai() != to) {
		ksft_print_msg("health tai_offset %d, adjtimex %d, want %d\n",
			       (int32_t)h.tai_offset, ntp_tai(), to);
		ok = false;
	}
	return ok;
}

/* Writing the current value changes nothing in the kernel: no record. */
static bool case_same(int tai)
{
	struct tsmon_cursor c;
	int err;

	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	err = ntp_set_tai(tai);
	if (err) {
		ksft_print_msg("ADJ_TAI %d: %s\n", tai, strerror(-err));
		return false;
	}
	return expect_no_record(t, &c, 200);
}

static bool case_counts(struct rt_offset off0, unsigned int changes)
{
	struct rt_offset now = rt_mono_offset();
	struct tsmon_health h;
	bool ok = true;

	if (!read_health(t, &h))
		return false;
	if (h.event_count[TSMON_EVENT_TAI_CHANGE] -
	    h0.event_count[TSMON_EVENT_TAI_CHANGE] != changes) {
		ksft_print_msg("event_count[tai_change] +%llu, want +%u\n",
			       (unsigned long long)
			       (h.event_count[TSMON_EVENT_TAI_CHANGE] -
				h0.event_count[TSMON_EVENT_TAI_CHANGE]),
			       changes);
		ok = false;
	}
	if (h.event_count[TSMON_EVENT_CLOCK_STEP] !=
	    h0.event_count[TSMON_EVENT_CLOCK_STEP] ||
	    h.last_step_seq != h0.last_step_seq) {
		ksft_print_msg("a TAI change was counted as a clock step\n");
		ok = false;
	}
	/* UTC itself did not move. */
	if (llabs(now.off_ns - off0.off_ns) >
	    now.err_ns + off0.err_ns + OFFSET_SLOP_NS) {
		ksft_print_msg("REALTIME-MONOTONIC moved by %lld ns\n",
			       (long long)(now.off_ns - off0.off_ns));
		ok = false;
	}
	return ok;
}

/*
 * Records are in time order whichever hook wrote them: a leap deletion is
 * announced by the NTP shadow when the kernel schedules it (at the next
 * second boundary after STA_DEL is set) and withdrawn by the adjtimex hook,
 * a TAI change is recorded by the timekeeping hook. Armed, change,
 * withdrawn, change back: the four records' CLOCK_MONOTONIC times must not
 * go backwards.
 */
static bool case_order(int tai)
{
	struct tsmon_record r[4];
	struct tsmon_cursor c;
	bool ok = true;
	int i;

	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	if (ntp_set_leap_bits(STA_DEL)) {
		ksft_print_msg("adjtimex failed\n");
		return false;
	}
	if (wait_record(t, &c, 2000, &r[0])) {
		ntp_set_leap_bits(0);
		ksft_print_msg("no leap_armed within 2 s of STA_DEL\n");
		return false;
	}
	if (ntp_set_tai(tai + 1) || ntp_set_leap_bits(0) || ntp_set_tai(tai)) {
		ntp_set_leap_bits(0);
		ksft_print_msg("adjtimex failed\n");
		return false;
	}
	print_record("record", &r[0]);
	ok = r[0].type == TSMON_EVENT_LEAP_ARMED &&
	     r[0].leap.direction == TSMON_LEAP_DELETE;
	for (i = 1; i < 4; i++) {
		if (wait_record(t, &c, 2000, &r[i])) {
			ksft_print_msg("record %d missing\n", i);
			return false;
		}
		print_record("record", &r[i]);
		if (r[i].mono_ns < r[i - 1].mono_ns)
			ok = false;
	}
	ok = ok && r[1].type == TSMON_EVENT_TAI_CHANGE &&
	     r[2].type == TSMON_EVENT_LEAP_DISARMED &&
	     r[2].leap.direction == TSMON_LEAP_DELETE &&
	     r[3].type == TSMON_EVENT_TAI_CHANGE;
	if (!ok)
		ksft_print_msg("records out of order or of the wrong type\n");
	return ok && expect_no_record(t, &c, 200);
}

int main(void)
{
	struct rt_offset off0;
	int tai0;

	selftest_start(6);
	selftest_skip_ntp();
	t = open_or_bail();
	if (!read_health(t, &h0))
		ksft_exit_fail_msg("no health block\n");
	tai0 = ntp_tai();
	if (tai0 < 0)
		ksft_exit_fail_msg("cannot read the TAI offset\n");
	off0 = rt_mono_offset();

	ksft_test_result(case_set(tai0, tai0 + 5),
			 "ADJ_TAI %d -> %d recorded exactly\n", tai0, tai0 + 5);
	ksft_test_result(case_same(tai0 + 5),
			 "ADJ_TAI to the current value records nothing\n");
	ksft_test_result(case_set(tai0 + 5, tai0),
			 "ADJ_TAI %d -> %d recorded exactly\n", tai0 + 5, tai0);
	ksft_test_result(stamps_ok,
			 "tai_change mono_ns within the adjtimex call\n");
	ksft_test_result(case_counts(off0, 2),
			 "two tai_change counted, no clock step, UTC unmoved\n");
	if (h0.hooks & TSMON_HOOK_ADJTIMEX)
		ksft_test_result(case_order(tai0),
				 "leap request and TAI change: record times in order\n");
	else
		ksft_test_result_skip("record order: adjtimex hook not attached\n");

	if (ntp_tai() != tai0 && ntp_set_tai(tai0))
		ksft_print_msg("could not restore TAI %d\n", tai0);
	tsmon_close(t);
	ksft_finished();
}
