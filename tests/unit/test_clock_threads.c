// SPDX-License-Identifier: GPL-2.0-only
/*
 * The bounded clock under concurrency, on one shared handle:
 *
 *  - a writer rewrites health line 0 nonstop while readers call
 *    tsmon_now(); every word the writer stores is a function of one
 *    number, so a snapshot mixing two updates, or a clock read taken
 *    outside the snapshot's window, fails the checks;
 *  - threads share one tsmon_forward while REALTIME is stepped back and
 *    forth: each thread's times never go backwards and the shared state
 *    ends at the largest time any thread was given.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>
#include <cmocka.h>

#include <tsmon/tsmon.h>
#include "region.h"

#define NSEC		1000000000ULL
#define MSEC		1000000ULL
#define READERS		2
#define RUN_NS		(700 * MSEC)
#define COOLDOWN_NS	MSEC
#define LINE_BYTES	64

struct shared {
	struct region r;
	struct tsmon *t;
	bool done;			/* atomic */
	uint64_t updates;		/* valid once done */
	struct tsmon_forward fw;	/* the state the forward test shares */
};

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

static bool done(struct shared *s)
{
	return __atomic_load_n(&s->done, __ATOMIC_ACQUIRE);
}

static struct shared *shared_new(void)
{
	struct shared *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	assert_int_equal(region_init(&s->r, 64, TSMON_RECORD_SIZE_V1), 0);
	assert_int_equal(tsmon_attach(s->r.base, s->r.size, &s->t), 0);
	return s;
}

static void shared_free(struct shared *s)
{
	tsmon_close(s->t);
	region_fini(&s->r);
	free(s);
}

/* ------------------------------------------------- snapshot consistency */

/*
 * Line 0 as a function of @v, a CLOCK_MONOTONIC reading of the writer's:
 * every field, and through them every result field, can be predicted from
 * v, and v itself can be recovered from real_ns - mono_ns.
 */
static void line_of(struct tsmon_health *h, uint64_t v)
{
	h->offs_real_ns = 7 * v;
	h->sync_mono_ns = v;
	h->sync_maxerror_ns = 3 * v;
	h->sync_interval_ns = v & 4 ? 1 : v >> 3;
	/* Past the cooldown, or in it and before or after the sync update. */
	if (v & 32)
		h->disrupt_mono_ns = v - 2 * COOLDOWN_NS;
	else
		h->disrupt_mono_ns = v & 2 ? v + 1 : v - 1;
	h->disrupt_type = v & 8 ? TSMON_EVENT_LEAP_APPLIED :
				  TSMON_EVENT_CLOCK_STEP;
	h->ntp_status = v & 1 ? STA_UNSYNC | STA_PLL : STA_PLL;
	h->hooks = TSMON_HOOK_TIMEKEEPER | TSMON_HOOK_ADJTIMEX;
	h->ntp_state = v & 16 ? TSMON_NTP_STATE_UNKNOWN : 0;
}

/* What tsmon_now() must report for line_of(v) read at @mono. */
static void expected(uint64_t v, uint64_t mono, struct tsmon_time *e)
{
	struct tsmon_health h;
	uint64_t d;

	line_of(&h, v);
	d = h.disrupt_mono_ns;
	memset(e, 0, sizeof(*e));
	e->mono_ns = mono;
	e->real_ns = mono + 7 * v;
	e->sync_age_ns = mono - v;
	if (v & 16)
		e->flags |= TSMON_TIME_NO_CAPTURE;
	if (mono < d || mono - d < COOLDOWN_NS)
		e->flags |= TSMON_TIME_COOLDOWN;
	if (v & 1)
		e->flags |= TSMON_TIME_UNSYNC;
	if (e->sync_age_ns > 4 * h.sync_interval_ns)
		e->flags |= TSMON_TIME_STALE;
	if (d > v && h.disrupt_type != TSMON_EVENT_LEAP_APPLIED) {
		e->flags |= TSMON_TIME_UNBOUNDED;
		e->bound_ns = UINT64_MAX;
		e->latest_ns = UINT64_MAX;
	} else {
		e->bound_ns = 3 * v;	/* drift 0 */
		e->earliest_ns = e->real_ns - e->bound_ns;
		e->latest_ns = e->real_ns + e->bound_ns;
	}
	if (e->flags & TSMON_TIME_NO_CAPTURE)
		e->status = TSMON_CLOCK_UNKNOWN;
	else if (e->flags & TSMON_TIME_COOLDOWN)
		e->status = TSMON_CLOCK_DISRUPTED;
	else if (e->flags & (TSMON_TIME_UNSYNC | TSMON_TIME_STALE))
		e->status = TSMON_CLOCK_FREE_RUNNING;
	else if (d > v && h.disrupt_type != TSMON_EVENT_LEAP_APPLIED)
		e->status = TSMON_CLOCK_DISRUPTED;
	else
		e->status = TSMON_CLOCK_SYNCHRONIZED;
}

struct now_reader {
	pthread_t thread;
	struct shared *s;
	uint64_t reads;
	uint64_t busy;		/* -EAGAIN */
	uint64_t torn;		/* result not that of any one update */
	uint64_t early;		/* clock read before its update */
	uint64_t status[4];
	int err;
};

static void *line_writer(void *arg)
{
	struct shared *s = arg;
	uint64_t end = clock_ns(CLOCK_MONOTONIC) + RUN_NS, v;
	struct tsmon_health h;

	memset(&h, 0, sizeof(h));
	do {
		v = clock_ns(CLOCK_MONOTONIC);
		line_of(&h, v);
		region_health_write_prefix(&s->r, &h, LINE_BYTES);
		s->updates++;
	} while (v < end);
	__atomic_store_n(&s->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static void *now_reader(void *arg)
{
	struct now_reader *nr = arg;
	struct tsmon_time t, e;
	uint64_t d, v;
	bool last = false;
	int err;

	while (!last) {
		last = done(nr->s);
		err = tsmon_now(nr->s->t, &t);
		if (err == -EAGAIN) {
			nr->busy++;
			continue;
		}
		if (err) {
			nr->err = err;
			break;
		}
		nr->reads++;
		d = t.real_ns - t.mono_ns;
		v = d / 7;
		if (d % 7) {
			nr->torn++;
			continue;
		}
		/*
		 * The writer read v before publishing it and the library
		 * reads the clock after loading the sequence that made v
		 * visible: a smaller clock value means it read the clock
		 * first.
		 */
		if (t.mono_ns < v) {
			nr->early++;
			continue;
		}
		expected(v, t.mono_ns, &e);
		if (memcmp(&t, &e, sizeof(t)))
			nr->torn++;
		else
			nr->status[t.status]++;
	}
	return NULL;
}

static void test_now_while_writing(void **state)
{
	struct now_reader nr[READERS];
	struct tsmon_health h;
	pthread_t writer;
	struct shared *s;
	uint64_t statuses[4] = { 0 };
	int i, j;

	s = shared_new();
	assert_int_equal(tsmon_set_drift(s->t, 0), 0);
	assert_int_equal(tsmon_set_cooldown(s->t, COOLDOWN_NS), 0);
	memset(&h, 0, sizeof(h));
	line_of(&h, clock_ns(CLOCK_MONOTONIC));
	region_health_write(&s->r, &h);

	memset(nr, 0, sizeof(nr));
	for (i = 0; i < READERS; i++) {
		nr[i].s = s;
		assert_int_equal(pthread_create(&nr[i].thread, NULL,
						now_reader, &nr[i]), 0);
	}
	assert_int_equal(pthread_create(&writer, NULL, line_writer, s), 0);
	assert_int_equal(pthread_join(writer, NULL), 0);

	print_message("%llu line updates\n", (unsigned long long)s->updates);
	for (i = 0; i < READERS; i++) {
		assert_int_equal(pthread_join(nr[i].thread, NULL), 0);
		print_message("reader %d: %llu reads, %llu -EAGAIN, status "
			      "unknown %llu synchronized %llu free %llu "
			      "disrupted %llu\n", i,
			      (unsigned long long)nr[i].reads,
			      (unsigned long long)nr[i].busy,
			      (unsigned long long)nr[i].status[0],
			      (unsigned long long)nr[i].status[1],
			      (unsigned long long)nr[i].status[2],
			      (unsigned long long)nr[i].status[3]);
		assert_int_equal(nr[i].err, 0);
		assert_int_equal(nr[i].torn, 0);
		assert_int_equal(nr[i].early, 0);
		assert_true(nr[i].reads > 0);
		for (j = 0; j < 4; j++)
			statuses[j] += nr[i].status[j];
	}
	/* The writer's values reach every status, so every path was read. */
	for (j = 0; j < 4; j++)
		assert_true(statuses[j] > 0);
	shared_free(s);
}

/* ------------------------------------------------- shared forward clock */

#define OFFS		1700000000000000000ULL
/* REALTIME goes back STEP_NS, HOLD_NS later forward again, and so on. */
#define STEP_NS		(1 * MSEC)
#define HOLD_NS		(2 * MSEC)
#define FW_THREADS	3

struct fw_reader {
	pthread_t thread;
	struct shared *s;
	uint64_t calls;
	uint64_t held;
	uint64_t backwards;	/* a time smaller than this thread's last */
	uint64_t bad;		/* fields that do not add up */
	uint64_t max;		/* largest time this thread was given */
	int err;
};

static void step_line(struct tsmon_health *h, bool back)
{
	memset(h, 0, sizeof(*h));
	h->offs_real_ns = back ? OFFS - STEP_NS : OFFS;
	h->hooks = TSMON_HOOK_TIMEKEEPER | TSMON_HOOK_ADJTIMEX;
	h->ntp_status = STA_PLL;
	h->sync_mono_ns = clock_ns(CLOCK_MONOTONIC);
	h->sync_maxerror_ns = MSEC;
}

static void *step_writer(void *arg)
{
	struct shared *s = arg;
	uint64_t end = clock_ns(CLOCK_MONOTONIC) + RUN_NS;
	struct timespec pause = { 0, HOLD_NS };
	struct tsmon_health h;
	bool back = false;

	while (clock_ns(CLOCK_MONOTONIC) < end) {
		back = !back;
		step_line(&h, back);
		region_health_write_prefix(&s->r, &h, LINE_BYTES);
		s->updates++;
		nanosleep(&pause, NULL);
	}
	__atomic_store_n(&s->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static void *fw_reader(void *arg)
{
	struct fw_reader *fr = arg;
	struct tsmon_time t;
	uint64_t prev = 0, offs;
	bool last = false;
	int err;

	while (!last) {
		last = done(fr->s);
		err = tsmon_forward_now(fr->s->t, &fr->s->fw, &t);
		if (err == -EAGAIN)
			continue;
		if (err) {
			fr->err = err;
			break;
		}
		fr->calls++;
		if (t.real_ns < prev)
			fr->backwards++;
		prev = t.real_ns;
		if (t.real_ns > fr->max)
			fr->max = t.real_ns;
		/* The fresh time is the clock as read with one offset. */
		offs = t.real_ns - t.held_ns - t.mono_ns;
		if (offs != OFFS && offs != OFFS - STEP_NS)
			fr->bad++;
		if (!!(t.flags & TSMON_TIME_HELD) != (t.held_ns != 0))
			fr->bad++;
		if (t.held_ns)
			fr->held++;
	}
	return NULL;
}

static void test_forward_shared(void **state)
{
	struct fw_reader fr[FW_THREADS];
	uint64_t max = 0, calls = 0, held = 0, last;
	struct tsmon_health h;
	pthread_t writer;
	struct shared *s;
	int i;

	s = shared_new();
	step_line(&h, false);
	region_health_write(&s->r, &h);
	memset(fr, 0, sizeof(fr));
	for (i = 0; i < FW_THREADS; i++) {
		fr[i].s = s;
		assert_int_equal(pthread_create(&fr[i].thread, NULL,
						fw_reader, &fr[i]), 0);
	}
	assert_int_equal(pthread_create(&writer, NULL, step_writer, s), 0);
	assert_int_equal(pthread_join(writer, NULL), 0);
	for (i = 0; i < FW_THREADS; i++) {
		assert_int_equal(pthread_join(fr[i].thread, NULL), 0);
		print_message("thread %d: %llu calls, %llu held\n", i,
			      (unsigned long long)fr[i].calls,
			      (unsigned long long)fr[i].held);
		assert_int_equal(fr[i].err, 0);
		assert_int_equal(fr[i].backwards, 0);
		assert_int_equal(fr[i].bad, 0);
		if (fr[i].max > max)
			max = fr[i].max;
		calls += fr[i].calls;
		held += fr[i].held;
	}
	print_message("%llu steps\n", (unsigned long long)s->updates);

	/*
	 * Every time handed out went through the shared state, which only
	 * ever took values handed out: it ends at the largest of them.
	 */
	last = __atomic_load_n(&s->fw.last_ns, __ATOMIC_RELAXED);
	assert_int_equal(last, max);
	/* Steps back did make callers wait, and time did move on. */
	assert_true(held > 0);
	assert_true(held < calls);
	shared_free(s);
}

/*
 * The same state shared by threads whose clocks disagree: each reads its
 * own region, whose REALTIME jumps 1 ms back and forth at random, so the
 * times the threads offer to the shared state interleave out of order all
 * the time. An update of the state that is not a compare-and-swap lets a
 * smaller time overwrite a larger one another thread was already given,
 * and that thread is then handed a time before it.
 */
struct cas_run {
	struct region r[FW_THREADS];
	struct tsmon *t[FW_THREADS];
	struct tsmon_forward fw;
	bool done;			/* atomic */
	uint64_t updates;
};

struct cas_reader {
	pthread_t thread;
	struct cas_run *run;
	int idx;
	uint64_t calls;
	uint64_t held;
	uint64_t backwards;
	uint64_t bad;
	uint64_t max;
	int err;
};

static void jump_line(struct tsmon_health *h, uint64_t x)
{
	step_line(h, false);
	h->offs_real_ns = OFFS + (x % 3) * STEP_NS - STEP_NS;
}

static void *jump_writer(void *arg)
{
	struct cas_run *run = arg;
	uint64_t end = clock_ns(CLOCK_MONOTONIC) + RUN_NS;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	struct tsmon_health h;

	do {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		jump_line(&h, x >> 8);
		region_health_write_prefix(&run->r[x % FW_THREADS], &h,
					   LINE_BYTES);
		run->updates++;
	} while (clock_ns(CLOCK_MONOTONIC) < end);
	__atomic_store_n(&run->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static void *cas_reader(void *arg)
{
	struct cas_reader *cr = arg;
	struct tsmon *t = cr->run->t[cr->idx];
	struct tsmon_time tm;
	uint64_t prev = 0, offs;
	bool last = false;
	int err;

	while (!last) {
		last = __atomic_load_n(&cr->run->done, __ATOMIC_ACQUIRE);
		err = tsmon_forward_now(t, &cr->run->fw, &tm);
		if (err == -EAGAIN)
			continue;
		if (err) {
			cr->err = err;
			break;
		}
		cr->calls++;
		if (tm.real_ns < prev)
			cr->backwards++;
		prev = tm.real_ns;
		if (tm.real_ns > cr->max)
			cr->max = tm.real_ns;
		offs = tm.real_ns - tm.held_ns - tm.mono_ns;
		if (offs != OFFS - STEP_NS && offs != OFFS &&
		    offs != OFFS + STEP_NS)
			cr->bad++;
		if (tm.held_ns)
			cr->held++;
	}
	return NULL;
}

static void test_forward_cas(void **state)
{
	struct cas_reader cr[FW_THREADS];
	uint64_t max = 0, held = 0, calls = 0;
	struct tsmon_health h;
	struct cas_run *run;
	pthread_t writer;
	int i;

	run = calloc(1, sizeof(*run));
	assert_non_null(run);
	for (i = 0; i < FW_THREADS; i++) {
		assert_int_equal(region_init(&run->r[i], 64,
					     TSMON_RECORD_SIZE_V1), 0);
		jump_line(&h, (uint64_t)i);
		region_health_write(&run->r[i], &h);
		assert_int_equal(tsmon_attach(run->r[i].base, run->r[i].size,
					      &run->t[i]), 0);
	}
	memset(cr, 0, sizeof(cr));
	for (i = 0; i < FW_THREADS; i++) {
		cr[i].run = run;
		cr[i].idx = i;
		assert_int_equal(pthread_create(&cr[i].thread, NULL,
						cas_reader, &cr[i]), 0);
	}
	assert_int_equal(pthread_create(&writer, NULL, jump_writer, run), 0);
	assert_int_equal(pthread_join(writer, NULL), 0);
	for (i = 0; i < FW_THREADS; i++) {
		assert_int_equal(pthread_join(cr[i].thread, NULL), 0);
		print_message("thread %d: %llu calls, %llu held\n", i,
			      (unsigned long long)cr[i].calls,
			      (unsigned long long)cr[i].held);
		assert_int_equal(cr[i].err, 0);
		assert_int_equal(cr[i].backwards, 0);
		assert_int_equal(cr[i].bad, 0);
		if (cr[i].max > max)
			max = cr[i].max;
		held += cr[i].held;
		calls += cr[i].calls;
	}
	print_message("%llu jumps\n", (unsigned long long)run->updates);
	assert_int_equal(__atomic_load_n(&run->fw.last_ns, __ATOMIC_RELAXED),
			 max);
	assert_true(held > 0);
	assert_true(held < calls);

	for (i = 0; i < FW_THREADS; i++) {
		tsmon_close(run->t[i]);
		region_fini(&run->r[i]);
	}
	free(run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_now_while_writing),
		cmocka_unit_test(test_forward_shared),
		cmocka_unit_test(test_forward_cas),
	};

	return cmocka_run_group_tests_name("clock threads", tests, NULL, NULL);
}
