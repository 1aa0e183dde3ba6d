// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_steprace - concurrent clock steps with different reasons are each
 * recorded with their own reason.
 *
 * Threads step CLOCK_REALTIME at the same time, some with ADJ_SETOFFSET by
 * an exact amount each, some with clock_settime() by some tens of seconds
 * each, while another holds the timekeeper lock in adjtimex() reads. tsmon marks a stepping task with its reason in a probe
 * and consumes the mark in the timekeeping hook: a mark another task can
 * overwrite or erase between the two turns a step's reason into "unknown"
 * or into the other thread's. Every step record must carry the reason of
 * the call that made it, told apart by the size of its delta.
 *
 * Clock-changing: runs in the test guest; puts back REALTIME - MONOTONIC
 * and the NTP state it found.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "tsmon_selftest.h"

#define ROUNDS		300		/* steps per thread, an even number */
#define PAIRS		2		/* setoffset and settime threads each */
#define STEP_A_NS	1000000007LL	/* ADJ_SETOFFSET by pair i: (i + 1) * this */
#define STEP_B_S	20		/* clock_settime by pair i: (i + 1) * this */

static atomic_int go, stop;
static atomic_int failed_calls;

static void *setoffset_main(void *arg)
{
	int64_t step = ((intptr_t)arg + 1) * STEP_A_NS;
	int i;

	while (!atomic_load(&go))
		;
	for (i = 0; i < ROUNDS; i++)
		if (clock_step_ns(i & 1 ? -step : step))
			atomic_fetch_add(&failed_calls, 1);
	return NULL;
}

static void *settime_main(void *arg)
{
	int step = ((intptr_t)arg + 1) * STEP_B_S;
	struct timespec ts;
	int i;

	while (!atomic_load(&go))
		;
	for (i = 0; i < ROUNDS; i++) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += i & 1 ? -step : step;
		if (clock_settime(CLOCK_REALTIME, &ts))
			atomic_fetch_add(&failed_calls, 1);
	}
	return NULL;
}

/* Reads through adjtimex(): holds the timekeeper lock steppers wait for. */
static void *reader_main(void *arg)
{
	struct timex tx;

	while (!atomic_load(&go))
		;
	while (!atomic_load(&stop)) {
		memset(&tx, 0, sizeof(tx));
		adjtimex(&tx);
	}
	return NULL;
}

/*
 * A setoffset step (*set) or a settime one; false if neither. Settime
 * deltas are not exact: another thread may step between its read and set.
 */
static bool step_kind(int64_t mag, bool *set)
{
	int i;

	for (i = 0; i < PAIRS; i++)
		if (mag == (i + 1) * STEP_A_NS) {
			*set = true;
			return true;
		}
	*set = false;
	return mag >= (STEP_B_S / 2) * NSEC_PER_SEC;
}

int main(void)
{
	unsigned int n_a = 0, n_b = 0, bad_a = 0, bad_b = 0, other = 0;
	struct tsmon_health h;
	struct tsmon_cursor c;
	struct tsmon_record r;
	struct rt_offset off0, off1;
	struct timex ntp0;
	pthread_t ta[PAIRS], tb[PAIRS], tr;
	intptr_t i;
	struct tsmon *t;
	uint64_t last;
	int err;

	selftest_start(4);
	selftest_skip_ntp();
	t = open_or_bail();
	if (!read_health(t, &h))
		ksft_exit_fail_msg("no health block\n");
	if ((h.hooks & (TSMON_HOOK_ADJTIMEX | TSMON_HOOK_SETTIME)) !=
	    (TSMON_HOOK_ADJTIMEX | TSMON_HOOK_SETTIME))
		ksft_exit_skip("hooks 0x%x: step reason probes missing\n", h.hooks);
	if (ntp_read(&ntp0) < 0)
		ksft_exit_fail_msg("adjtimex: %s\n", strerror(errno));
	if (tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0))
		ksft_exit_fail_msg("tsmon_cursor_init failed\n");
	off0 = rt_mono_offset();

	for (i = 0; i < PAIRS; i++)
		if (pthread_create(&ta[i], NULL, setoffset_main, (void *)i) ||
		    pthread_create(&tb[i], NULL, settime_main, (void *)i))
			ksft_exit_fail_msg("pthread_create failed\n");
	if (pthread_create(&tr, NULL, reader_main, NULL))
		ksft_exit_fail_msg("pthread_create failed\n");
	atomic_store(&go, 1);
	for (i = 0; i < PAIRS; i++) {
		pthread_join(ta[i], NULL);
		pthread_join(tb[i], NULL);
	}
	atomic_store(&stop, 1);
	pthread_join(tr, NULL);

	/*
	 * Put the clock back first: a failing check below must not skip it.
	 * The restoring step (any size: the settime steps do not cancel out)
	 * comes after @last and is not counted.
	 */
	tsmon_head(t, &last);
	off1 = rt_mono_offset();
	if (clock_step_ns(off0.off_ns - off1.off_ns) || ntp_restore(&ntp0))
		ksft_exit_fail_msg("cannot restore the clock: %s\n",
				   strerror(errno));

	while (n_a + n_b + other < 2 * PAIRS * ROUNDS + 1) {
		int64_t delta, mag;
		bool set;

		err = wait_record(t, &c, 2000, &r);
		if (err == -ETIMEDOUT)
			break;
		if (err)
			ksft_exit_fail_msg("reading the ring: %s\n", strerror(-err));
		if (r.seq > last)
			break;
		if (r.type != TSMON_EVENT_CLOCK_STEP)
			continue;
		delta = (int64_t)r.step.delta_ns;
		mag = delta < 0 ? -delta : delta;
		if (!step_kind(mag, &set)) {
			/* One this test cannot place. */
			other++;
		} else if (set) {
			n_a++;
			if (r.step.reason != TSMON_STEP_SETOFFSET && bad_a++ < 5)
				print_record("setoffset step", &r);
		} else {
			n_b++;
			if (r.step.reason != TSMON_STEP_SETTIME && bad_b++ < 5)
				print_record("settime step", &r);
		}
	}
	ksft_print_msg("setoffset steps %u (%u wrong), settime steps %u (%u wrong), other %u\n",
		       n_a, bad_a, n_b, bad_b, other);

	ksft_test_result(!atomic_load(&failed_calls) && n_a == PAIRS * ROUNDS &&
			 n_b == PAIRS * ROUNDS,
			 "every step recorded (%u calls failed)\n",
			 atomic_load(&failed_calls));
	ksft_test_result(!bad_a, "ADJ_SETOFFSET steps carry reason setoffset\n");
	ksft_test_result(!bad_b, "clock_settime steps carry reason settime\n");
	ksft_test_result(!other, "no step of unknown origin\n");
	tsmon_close(t);
	ksft_finished();
}
