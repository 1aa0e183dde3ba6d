// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_stepreason - a clock-stepping call that fails leaves no reason
 * behind for the next step.
 *
 * tsmon learns why CLOCK_REALTIME moved from probes on do_adjtimex() and
 * do_settimeofday64(), which mark the calling task just before the kernel
 * steps. A call the kernel rejects (an ADJ_SETOFFSET with an invalid
 * offset, a settimeofday() to an invalid time) never steps: its mark must
 * not survive it, or the next step the same task makes by another way -
 * here the one-time clock warp of the first settimeofday() with a time
 * zone - is reported with the failed call's reason instead of "unknown".
 *
 * The warp happens once per boot; when it already happened this test
 * skips. Clock-changing: it runs in the test guest and puts the clock and
 * the time zone back.
 */
#include <errno.h>
#include <string.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>

#include <tsmon/tsmon.h>

#include "kselftest.h"
#include "clockops.h"
#include "tsmon_selftest.h"

int main(void)
{
	struct timezone tz = { .tz_minuteswest = 60 }, tz0 = { 0 };
	struct timeval bad_tv = { .tv_sec = 0, .tv_usec = 2000000 };
	struct timex tx = { 0 };
	struct tsmon_cursor c;
	struct tsmon_record r;
	struct tsmon *t;
	int ret, status;

	selftest_start(4);
	selftest_skip_ntp();
	t = open_or_bail();
	status = ntp_status();
	if (tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0))
		ksft_exit_fail_msg("tsmon_cursor_init failed\n");

	/* A rejected ADJ_SETOFFSET: tv_usec out of range with ADJ_NANO. */
	tx.modes = ADJ_SETOFFSET | ADJ_NANO;
	tx.time.tv_sec = 1;
	tx.time.tv_usec = -1;
	ret = clock_adjtime(CLOCK_REALTIME, &tx);
	ksft_test_result(ret < 0 && errno == EINVAL,
			 "invalid ADJ_SETOFFSET rejected (%d, %s)\n", ret,
			 ret < 0 ? strerror(errno) : "no error");

	/* A rejected settimeofday: microseconds out of range. */
	ret = settimeofday(&bad_tv, NULL);
	ksft_test_result(ret < 0 && errno == EINVAL,
			 "invalid settimeofday rejected (%d, %s)\n", ret,
			 ret < 0 ? strerror(errno) : "no error");

	if (expect_no_record(t, &c, 300))
		ksft_test_result_pass("rejected calls recorded nothing\n");
	else
		ksft_test_result_fail("rejected calls recorded something\n");

	/* The first time zone set of the boot warps the clock by it. */
	if (settimeofday(NULL, &tz))
		ksft_exit_fail_msg("settimeofday(tz): %s\n", strerror(errno));
	ret = wait_record(t, &c, 2000, &r);
	settimeofday(NULL, &tz0);
	if (ret == -ETIMEDOUT) {
		ksft_test_result_skip("no warp: the time zone was set before in this boot\n");
		tsmon_close(t);
		ksft_finished();
	}
	if (ret)
		ksft_exit_fail_msg("reading the ring: %s\n", strerror(-ret));
	if (r.type != TSMON_EVENT_CLOCK_STEP)
		ksft_exit_fail_msg("expected clock_step, got type %u\n", r.type);
	/* clock_step_ns() sets STA_NANO: put the status bits back too. */
	if (clock_step_ns(-(int64_t)r.step.delta_ns) || ntp_set_status(status))
		ksft_exit_fail_msg("cannot undo the warp: %s\n", strerror(errno));
	ksft_print_msg("warp of %lld ns, reason %u\n", (long long)r.step.delta_ns,
		       r.step.reason);
	ksft_test_result(r.step.reason == TSMON_STEP_UNKNOWN &&
			 (int64_t)r.step.delta_ns == 3600 * NSEC_PER_SEC,
			 "the warp is reported as +3600 s, reason unknown\n");
	tsmon_close(t);
	ksft_finished();
}
