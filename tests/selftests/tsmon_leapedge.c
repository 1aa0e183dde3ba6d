// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_leapedge - the bounded clock across a leap second, and the NTP
 * shadow at the leap's edge.
 *
 * The kernel applies a leap second on the first tick at or after its
 * instant (midnight for an insertion, 23:59:59 for a deletion): until that
 * tick CLOCK_REALTIME reads a whole second off UTC. adjtimex(2) meanwhile
 * already reports the state the tick will enter (TIME_OOP, TIME_WAIT), from
 * the wall clock it read. Three runs, each across a midnight, with sync
 * updates (maxerror 1 ms) every 100 ms, a thread calling adjtimex(modes=0)
 * in a loop around the leap, and tsmon_now() sampled in a loop from a
 * second before to a second and a half after it:
 *
 *  - an insertion, with the module reloaded while it is pending (the first
 *    adjtimex call after the load sees TIME_INS: the shadow must take the
 *    leap's instant from the timekeeper);
 *  - a deletion;
 *  - a deletion the kernel drops while the module has seen no adjtimex call
 *    yet (a step's ntp_clear()): the kernel stays in TIME_DEL and deletes
 *    nothing, so tsmon must not announce a deletion.
 *
 * Truth is REALTIME - MONOTONIC as measured before the leap, plus the leap
 * at its exact instant. Every SYNCHRONIZED sample must contain it; samples
 * in the edge (between the instant and the tick) are counted, and must all
 * be DISRUPTED with TSMON_TIME_LEAP_EDGE. A tick that comes late is probed
 * with tsmon_now_at() for instants up to 2 s past the leap, read before it.
 * The shadow's records must follow the kernel: INS -> OOP at the tick and
 * OOP -> WAIT one second later (a shadow that believed adjtimex's early
 * answer would record both a second early), DEL -> WAIT once.
 *
 * The clock (REALTIME - MONOTONIC, accounted steps plus leaps), the TAI
 * offset and the leap flags are restored at the end.
 */
#include <pthread.h>

#include "tsmon_selftest.h"

#define LEAP_TAI		37
#define SYNC_PERIOD_MS		100
#define SYNC_MAXERROR_US	1000
#define COOLDOWN_NS		(200 * NSEC_PER_MSEC)
#define LATE_TICK_PROBES	20	/* tsmon_now_at() every 100 ms past it */
#define ATTEMPTS		3

static struct tsmon *t;
static int64_t accounted_ns;	/* our steps plus the leaps applied */
static struct rt_offset off0;
static volatile int leap_bits;	/* what the sync thread requests */
static volatile bool syncing, hammering;
static volatile unsigned long hammer_calls, hammer_early;
static int early_ret;		/* the state adjtimex reports a tick early */

/* A chronyd-like sync update: status with the leap request, maxerror 1 ms. */
static void sync_update(void)
{
	struct timex tx = { 0 };

	if (ntp_read(&tx) < 0)
		return;
	tx.modes = ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR;
	tx.status = (tx.status & ~(STA_INS | STA_DEL | STA_UNSYNC)) | leap_bits;
	tx.maxerror = SYNC_MAXERROR_US;
	tx.esterror = SYNC_MAXERROR_US / 10;
	adjtimex(&tx);
}

static void *sync_thread(void *arg)
{
	(void)arg;
	while (syncing) {
		sync_update();
		sleep_ms(SYNC_PERIOD_MS);
	}
	return NULL;
}

/* A reader of the NTP state in a loop, as monitoring agents are. */
static void *hammer_thread(void *arg)
{
	(void)arg;
	while (hammering) {
		struct timex tx = { 0 };

		if (adjtimex(&tx) == early_ret)
			hammer_early++;
		hammer_calls++;
	}
	return NULL;
}

struct edge_run {
	const char *name;
	int64_t leap_real;	/* REALTIME instant of the leap */
	int64_t leap_mono;	/* the same in MONOTONIC */
	int64_t off;		/* REALTIME - MONOTONIC before it */
	int64_t jump;		/* what the leap adds to REALTIME */
	unsigned long samples, synced, edge, edge_ok, bad;
	struct tsmon_time first_bad;
	int64_t first_bad_err;
};

static int64_t truth_of(const struct edge_run *e, int64_t mono)
{
	return mono + e->off + (mono >= e->leap_mono ? e->jump : 0);
}

static void sample(struct edge_run *e, int64_t until_mono)
{
	struct tsmon_time tm;

	while (clk_ns(CLOCK_MONOTONIC) < until_mono) {
		int64_t err;

		if (tsmon_now(t, &tm))
			continue;
		e->samples++;
		err = (int64_t)tm.real_ns - truth_of(e, (int64_t)tm.mono_ns);
		if (llabs(err) >= NSEC_PER_SEC / 2) {
			e->edge++;
			if (tm.status == TSMON_CLOCK_DISRUPTED &&
			    (tm.flags & TSMON_TIME_LEAP_EDGE))
				e->edge_ok++;
		}
		if (tm.status != TSMON_CLOCK_SYNCHRONIZED)
			continue;
		e->synced++;
		/* rt_mono_offset()'s own uncertainty is microseconds. */
		if ((uint64_t)llabs(err) > tm.bound_ns + 50 * 1000) {
			if (!e->bad++) {
				e->first_bad = tm;
				e->first_bad_err = err;
			}
		}
	}
}

/* Instants past the leap read before it: what a late tick leaves. */
static bool late_tick(const struct edge_run *e)
{
	struct tsmon_time tm;
	int k;

	for (k = 0; k < LATE_TICK_PROBES; k++) {
		/* 10 us past: more than rt_mono_offset()'s uncertainty. */
		uint64_t mono = e->leap_mono + 10000 + k * 100 * NSEC_PER_MSEC;

		if (tsmon_now_at(t, mono, &tm) ||
		    tm.status != TSMON_CLOCK_DISRUPTED ||
		    !(tm.flags & TSMON_TIME_LEAP_EDGE) ||
		    tm.bound_ns != UINT64_MAX) {
			print_time("an instant past the leap, before its tick", &tm);
			return false;
		}
	}
	if (tsmon_now_at(t, e->leap_mono - NSEC_PER_MSEC, &tm) ||
	    (tm.flags & TSMON_TIME_LEAP_EDGE)) {
		print_time("1 ms before the leap", &tm);
		return false;
	}
	return true;
}

static bool step_by(int64_t delta)
{
	int err = clock_step_ns(delta);

	if (err) {
		ksft_print_msg("ADJ_SETOFFSET: %s\n", strerror(-err));
		return false;
	}
	accounted_ns += delta;
	return true;
}

/* The next UTC midnight at least @lead_s seconds away. */
static int64_t next_midnight(int lead_s)
{
	int64_t now = clk_ns(CLOCK_REALTIME) + lead_s * NSEC_PER_SEC;

	return (now / NSEC_PER_SEC / SECS_PER_DAY + 1) * SECS_PER_DAY *
	       NSEC_PER_SEC;
}

static bool wait_kernel_state(int want, int timeout_ms)
{
	int64_t end = clk_ns(CLOCK_MONOTONIC) + timeout_ms * NSEC_PER_MSEC;
	struct timex tx;
	int st;

	do {
		st = ntp_read(&tx);
		if (st == want)
			return true;
		sleep_ms(20);
	} while (clk_ns(CLOCK_MONOTONIC) < end);
	ksft_print_msg("kernel time_state %d, want %d\n", st, want);
	return false;
}

static bool start_threads(pthread_t *s, pthread_t *h)
{
	syncing = true;
	if (pthread_create(s, NULL, sync_thread, NULL)) {
		syncing = false;
		return false;
	}
	hammering = true;
	if (pthread_create(h, NULL, hammer_thread, NULL)) {
		hammering = false;
		syncing = false;
		pthread_join(*s, NULL);
		return false;
	}
	return true;
}

static void stop_threads(pthread_t s, pthread_t h)
{
	hammering = false;
	pthread_join(h, NULL);
	syncing = false;
	pthread_join(s, NULL);
}

static bool report(struct edge_run *e)
{
	ksft_print_msg("%s: %lu samples, %lu synchronized, %lu in the edge (%lu disrupted, leap_edge), %lu outside their bound; adjtimex loop: %lu calls, %lu answered early\n",
		       e->name, e->samples, e->synced, e->edge, e->edge_ok,
		       e->bad, hammer_calls, hammer_early);
	if (e->bad) {
		print_time("first sample outside its bound", &e->first_bad);
		ksft_print_msg("its error against truth: %lld ns\n",
			       (long long)e->first_bad_err);
	}
	return e->samples && !e->bad && e->edge == e->edge_ok;
}

/*
 * Sync updates, the adjtimex loop and the sampler from a second before the
 * leap to 1.5 s after it. Result: [0] the edge, [1] a late tick. The leap,
 * if the kernel applied it (TAI moved), is accounted for the restore.
 */
static bool across_leap(struct edge_run *e, bool res[2])
{
	int tai_before = ntp_tai();
	pthread_t st, ht;

	e->off = rt_mono_offset().off_ns;
	e->leap_mono = e->leap_real - e->off;
	if (!start_threads(&st, &ht))
		return false;
	sleep_until_real(e->leap_real - NSEC_PER_SEC, 4000);
	res[1] = late_tick(e);
	sample(e, e->leap_mono + 3 * NSEC_PER_SEC / 2);
	stop_threads(st, ht);
	res[0] = report(e);
	if (ntp_tai() == tai_before - e->jump / NSEC_PER_SEC)
		accounted_ns += e->jump;
	return true;
}

/* The shadow's time_state records since @c, and the leap_applied. */
struct shadow_log {
	int n;
	uint32_t from[8], to[8];
	uint64_t mono[8];
	uint64_t applied_mono;
	int applied, armed;
	bool disturbed;		/* the kernel dropped the leap on its own */
};

static void read_log(struct tsmon_cursor *c, struct shadow_log *s)
{
	struct tsmon_record r;

	memset(s, 0, sizeof(*s));
	while (tsmon_next(t, c, &r) == 0) {
		if (r.type == TSMON_EVENT_NTP_STATE && s->n < 8) {
			s->from[s->n] = r.ntp_state.state_before;
			s->to[s->n] = r.ntp_state.state_after;
			s->mono[s->n++] = r.mono_ns;
		} else if (r.type == TSMON_EVENT_LEAP_APPLIED) {
			s->applied++;
			s->applied_mono = r.mono_ns;
		} else if (r.type == TSMON_EVENT_LEAP_ARMED) {
			s->armed++;
		} else if (r.type == TSMON_EVENT_CLOCKSOURCE_CHANGE ||
			   r.type == TSMON_EVENT_LEAP_DISARMED) {
			/*
			 * The clocksource watchdog gave up on the TSC under
			 * emulation: the kernel's ntp_clear() dropped the leap.
			 */
			print_record("the kernel dropped the leap", &r);
			s->disturbed = true;
		}
	}
}

static int find(const struct shadow_log *s, uint32_t from, uint32_t to)
{
	int i, at = -1;

	for (i = 0; i < s->n; i++)
		if (s->from[i] == from && s->to[i] == to) {
			if (at >= 0)
				return -2;	/* twice */
			at = i;
		}
	return at;
}

/*
 * The transition from -> to, or, when a probe missed a call in between
 * (the tick's second_overflow on a CPU running one of tsmon's own adjtimex
 * handlers, which the adjtimex loop makes likely), from -> unknown and the
 * relearning unknown -> to.
 */
static int step_seen(const struct shadow_log *s, uint32_t from, uint32_t to)
{
	int at = find(s, from, to);

	if (at != -1 || find(s, from, TSMON_NTP_STATE_UNKNOWN) < 0)
		return at;
	return find(s, TSMON_NTP_STATE_UNKNOWN, to);
}

static void print_log(const struct shadow_log *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		ksft_print_msg("  ntp_state %u -> %u at %+lld ms from leap_applied\n",
			       s->from[i], s->to[i],
			       (long long)((int64_t)(s->mono[i] - s->applied_mono) /
					   NSEC_PER_MSEC));
}

static bool reopen(void)
{
	tsmon_close(t);
	t = NULL;
	if (module_reload_default())
		return false;
	t = open_or_bail();
	tsmon_set_cooldown(t, COOLDOWN_NS);
	sleep_ms(100);	/* the timekeeping hook's baseline: a tick */
	return true;
}

/*
 * An insertion, the module reloaded while it is pending. Result: [0] the
 * edge, [1] a late tick, [2] the shadow's records.
 */
static bool run_insert(bool res[3])
{
	struct edge_run e = { .name = "insertion", .jump = -NSEC_PER_SEC };
	struct tsmon_cursor c;
	struct shadow_log s;
	int oop, wait;

	e.leap_real = next_midnight(2);
	if (!step_by(e.leap_real - 4 * NSEC_PER_SEC - clk_ns(CLOCK_REALTIME)))
		return false;
	leap_bits = STA_INS;
	early_ret = TIME_OOP;
	hammer_calls = hammer_early = 0;
	sync_update();
	if (!wait_kernel_state(TIME_INS, 1500))
		return false;
	if (!reopen())
		return false;
	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	if (!across_leap(&e, res))
		return false;

	read_log(&c, &s);
	oop = step_seen(&s, TIME_INS, TIME_OOP);
	wait = step_seen(&s, TIME_OOP, TIME_WAIT);
	res[2] = s.applied == 1 && oop >= 0 && wait >= 0 &&
		 (int64_t)(s.mono[wait] - s.applied_mono) >= 900 * NSEC_PER_MSEC;
	if (!res[2]) {
		ksft_print_msg("insertion: %d leap_applied, shadow records:\n",
			       s.applied);
		print_log(&s);
	}
	return s.disturbed;
}

/* A deletion. Result: [0] the edge, [1] a late tick, [2] the records. */
static bool run_delete(bool res[3])
{
	struct edge_run e = { .name = "deletion", .jump = NSEC_PER_SEC };
	struct tsmon_cursor c;
	struct shadow_log s;
	int64_t midnight;

	midnight = next_midnight(2);
	e.leap_real = midnight - NSEC_PER_SEC;	/* 23:59:59 is deleted */
	if (!step_by(midnight - 4 * NSEC_PER_SEC - clk_ns(CLOCK_REALTIME)))
		return false;
	sleep_ms(300);		/* the step's cooldown */
	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	leap_bits = STA_DEL;
	early_ret = TIME_WAIT;
	hammer_calls = hammer_early = 0;
	if (!across_leap(&e, res))
		return false;

	read_log(&c, &s);
	res[2] = s.applied == 1 && s.armed == 1 &&
		 step_seen(&s, TIME_OK, TIME_DEL) >= 0 &&
		 step_seen(&s, TIME_DEL, TIME_WAIT) >= 0;
	if (!res[2]) {
		ksft_print_msg("deletion: %d leap_armed, %d leap_applied, shadow records:\n",
			       s.armed, s.applied);
		print_log(&s);
	}
	return s.disturbed;
}

/*
 * A deletion the kernel dropped while tsmon had seen no adjtimex call: no
 * leap_armed, nothing pending, and indeed nothing happens at 23:59:59.
 */
static bool run_dropped(void)
{
	struct tsmon_cursor c;
	struct tsmon_health h;
	struct shadow_log s;
	int64_t midnight;
	bool ok;

	midnight = next_midnight(4);
	leap_bits = STA_DEL;
	sync_update();
	if (!wait_kernel_state(TIME_DEL, 1500))
		return false;
	if (!reopen())
		return false;
	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	/* The step clears the schedule; it is also tsmon's first adjtimex call. */
	if (!step_by(midnight - 3 * NSEC_PER_SEC - clk_ns(CLOCK_REALTIME)))
		return false;
	/* STA_UNSYNC hid the state: clear it, the call shows TIME_DEL. */
	sync_update();
	if (!wait_kernel_state(TIME_DEL, 500))
		return false;
	sleep_until_real(midnight + NSEC_PER_SEC / 2, 5000);
	read_log(&c, &s);
	ok = read_health(t, &h) && h.leap_state == TSMON_LEAP_NONE &&
	     !s.armed && !s.applied;
	if (!ok)
		ksft_print_msg("dropped deletion: %d leap_armed, %d leap_applied, leap_state %u\n",
			       s.armed, s.applied, h.leap_state);
	return ok;
}

/* Withdraw the request and wait for the kernel to leave TIME_WAIT. */
static bool clear_leap(void)
{
	leap_bits = 0;
	sync_update();
	return wait_kernel_state(TIME_OK, 3000);
}


int main(void)
{
	bool ins[3] = { 0 }, del[3] = { 0 }, dropped = false;
	struct tsmon_health h;
	int tai0, status0, i;

	selftest_start(8);
	t = open_or_bail();
	if (!read_health(t, &h))
		ksft_exit_fail_msg("no health block\n");
	if (!(h.hooks & TSMON_HOOK_ADJTIMEX))
		ksft_exit_skip("the NTP hook is not attached\n");
	leap_save(&tai0, &status0);
	off0 = rt_mono_offset();
	tsmon_set_cooldown(t, COOLDOWN_NS);

	/*
	 * A part the kernel disturbed (its leap dropped by a clocksource
	 * change) says nothing about tsmon: it is run again, at the next
	 * midnight, up to ATTEMPTS times.
	 */
	if (!ntp_set_tai(LEAP_TAI)) {
		for (i = 0; i < ATTEMPTS; i++) {
			memset(ins, 0, sizeof(ins));
			if (!run_insert(ins))
				break;
			if (!clear_leap() || ntp_set_tai(LEAP_TAI))
				break;
		}
		if (clear_leap()) {
			for (i = 0; i < ATTEMPTS; i++) {
				memset(del, 0, sizeof(del));
				if (!run_delete(del))
					break;
				if (!clear_leap())
					break;
			}
			if (clear_leap())
				dropped = run_dropped();
		}
	}
	ksft_test_result(ins[0], "insertion: every synchronized sample contains UTC; the edge is DISRUPTED\n");
	ksft_test_result(ins[1], "insertion: instants past it, read before its tick, are unbounded\n");
	ksft_test_result(ins[2], "insertion after a reload: shadow INS -> OOP at the tick, OOP -> WAIT 1 s later\n");
	ksft_test_result(del[0], "deletion: every synchronized sample contains UTC; the edge is DISRUPTED\n");
	ksft_test_result(del[1], "deletion: instants past it, read before its tick, are unbounded\n");
	ksft_test_result(del[2], "deletion: armed once, shadow DEL -> WAIT once, applied\n");
	ksft_test_result(dropped, "a deletion dropped before tsmon's first adjtimex call is not announced\n");
	leap_bits = 0;
	ksft_test_result(leap_restore(&off0, accounted_ns, tai0, status0), "clock, TAI and leap flags restored\n");
	tsmon_close(t);
	ksft_finished();
}
