// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_probemiss - probe misses are counted, and a missed NTP probe makes
 * the NTP state unknown until the next adjtimex call.
 *
 * The kprobe core skips a kprobe that fires while another kprobe handler
 * runs on the same CPU, and only counts it in nmissed. A slow handler next
 * to tsmon - a BPF or perf program on a kprobe - is made here by the test
 * PHC module's slow_kprobe file: a kprobe handler spinning 1.5 s with
 * interrupts on, on both CPUs at once, so that the tick that runs
 * second_overflow() interrupts one of them at a second boundary and
 * tsmon's probe there is missed. Then:
 *
 *  - the health block counts the misses (all probes, the NTP shadow's, and
 *    one forgotten NTP state), and the ring says ntp_state -> unknown;
 *  - the NTP state is published as unknown and tsmon_now() says UNKNOWN
 *    with TSMON_TIME_NO_CAPTURE: a missed second boundary or leap
 *    transition would make anything else a guess;
 *  - the next adjtimex call brings the kernel's state back (ntp_state
 *    unknown -> its state), with nothing else to do.
 */
#include <pthread.h>
#include <sched.h>

#include "tsmon_selftest.h"

#define SLOW_FILE	"/sys/kernel/debug/tsmon_testphc/slow_kprobe"
#define SLOW_MS		"1500"

static struct tsmon *t;
static bool testphc_ours;

static void *spin_on(void *arg)
{
	long cpu = (long)arg;
	cpu_set_t set;
	int fd;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return (void *)1;
	fd = open(SLOW_FILE, O_WRONLY);
	if (fd < 0)
		return (void *)1;
	if (write(fd, SLOW_MS, strlen(SLOW_MS)) < 0) {
		close(fd);
		return (void *)1;
	}
	close(fd);
	return NULL;
}

static long slow_irqs_on(void)
{
	char buf[32];

	return read_sysfs_line(SLOW_FILE, buf, sizeof(buf)) ? atol(buf) : -1;
}

/* Slow handlers on every CPU at once. */
static bool spin_everywhere(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN), i;
	pthread_t th[64];
	bool ok = true;
	void *r;

	if (n < 1 || n > 64)
		n = n < 1 ? 1 : 64;
	for (i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, spin_on, (void *)i))
			return false;
	for (i = 0; i < n; i++) {
		pthread_join(th[i], &r);
		ok &= !r;
	}
	return ok;
}

static bool find_lost_record(struct tsmon_cursor *c, uint32_t before,
			     uint32_t after)
{
	struct tsmon_record r;

	while (tsmon_next(t, c, &r) == 0)
		if (r.type == TSMON_EVENT_NTP_STATE &&
		    r.ntp_state.state_before == before &&
		    r.ntp_state.state_after == after)
			return true;
	return false;
}

int main(void)
{
	struct tsmon_health h0, h1, h2;
	bool counted, unknown, back, rec;
	struct tsmon_cursor c;
	struct tsmon_time tm;
	struct timex tx = { 0 };
	long irqs;

	selftest_start(4);
	t = open_or_bail();
	if (!read_health(t, &h0))
		ksft_exit_fail_msg("no health block\n");
	if (!(h0.hooks & TSMON_HOOK_ADJTIMEX))
		ksft_exit_skip("the NTP hook is not attached\n");
	if (!testphc_loaded()) {
		if (testphc_load(1))
			ksft_exit_fail_msg("cannot load %s\n", TESTPHC_MOD);
		testphc_ours = true;
	}
	if (!debugfs_ready() || access(SLOW_FILE, W_OK))
		ksft_exit_fail_msg("%s: %s\n", SLOW_FILE, strerror(errno));

	/*
	 * A known, settled NTP state to lose: a second boundary completes
	 * whatever the kernel was doing (a previous test's leap flags).
	 */
	adjtimex(&tx);
	sleep_ms(1100);
	memset(&tx, 0, sizeof(tx));
	adjtimex(&tx);
	if (!read_health(t, &h0) || h0.ntp_state == TSMON_NTP_STATE_UNKNOWN)
		ksft_exit_fail_msg("NTP state not known after an adjtimex call\n");
	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);

	irqs = slow_irqs_on();
	if (!spin_everywhere())
		ksft_exit_fail_msg("writing %s failed\n", SLOW_FILE);
	if (slow_irqs_on() <= irqs)
		ksft_exit_skip("the slow kprobe ran with interrupts off: no tick could interrupt it\n");
	sleep_ms(100);		/* a tick publishes the counts */

	if (!read_health(t, &h1))
		ksft_exit_fail_msg("no health block\n");
	ksft_print_msg("misses %llu -> %llu, NTP %llu -> %llu, NTP state lost %llu -> %llu\n",
		       (unsigned long long)h0.probes_missed,
		       (unsigned long long)h1.probes_missed,
		       (unsigned long long)h0.probes_missed_ntp,
		       (unsigned long long)h1.probes_missed_ntp,
		       (unsigned long long)h0.ntp_lost,
		       (unsigned long long)h1.ntp_lost);
	counted = h1.probes_missed_ntp > h0.probes_missed_ntp &&
		  h1.probes_missed >= h1.probes_missed_ntp &&
		  h1.probes_missed - h0.probes_missed >=
		  h1.probes_missed_ntp - h0.probes_missed_ntp &&
		  h1.ntp_lost == h0.ntp_lost + 1;
	ksft_test_result(counted, "the NTP probes' misses counted, the state forgotten once\n");

	unknown = h1.ntp_state == TSMON_NTP_STATE_UNKNOWN &&
		  tsmon_now(t, &tm) == 0 && tm.status == TSMON_CLOCK_UNKNOWN &&
		  (tm.flags & TSMON_TIME_NO_CAPTURE);
	if (!unknown)
		print_time("after the misses", &tm);
	ksft_test_result(unknown, "NTP state unknown, tsmon_now() UNKNOWN (no capture)\n");

	/* The next adjtimex call shows the kernel's state again. */
	memset(&tx, 0, sizeof(tx));
	adjtimex(&tx);
	back = read_health(t, &h2) && h2.ntp_state == h0.ntp_state &&
	       h2.ntp_lost == h1.ntp_lost && tsmon_now(t, &tm) == 0 &&
	       !(tm.flags & TSMON_TIME_NO_CAPTURE);
	if (!back)
		ksft_print_msg("after adjtimex: ntp_state %u (was %u), flags 0x%x\n",
			       h2.ntp_state, h0.ntp_state, tm.flags);
	ksft_test_result(back, "the next adjtimex call brings the NTP state back\n");

	rec = find_lost_record(&c, h0.ntp_state, TSMON_NTP_STATE_UNKNOWN) &&
	      find_lost_record(&c, TSMON_NTP_STATE_UNKNOWN, h0.ntp_state);
	ksft_test_result(rec, "ntp_state records: %u -> unknown -> %u\n",
			 h0.ntp_state, h0.ntp_state);

	tsmon_close(t);
	if (testphc_ours)
		testphc_unload();
	ksft_finished();
}
