// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_stress - the module under load, while it is unloaded and loaded
 * again, in the test guest (tests/stress/run.sh, through tests/vm/run).
 *
 * For STRESS_SECONDS (default 60), all at once:
 *
 *  - a clock stepper: ADJ_SETOFFSET pairs +x, -(x - STEP_BIAS_NS), so the
 *    net offset it applied is known exactly;
 *  - an adjtimex writer toggling STA_PLL, STA_FREQHOLD and STA_UNSYNC,
 *    setting maxerror and esterror, and moving the TAI offset by one and
 *    back;
 *  - a PHC stepper: ADJ_SETOFFSET pairs on the test PHC (tsmon_testphc),
 *    and steps and clock_settime() on the NIC's PHC when there is one;
 *  - mapped readers (libtsmon tsmon_open/tsmon_next) in sessions of random
 *    length, each reopening the device;
 *  - two netlink listeners (tsmon_sub_*), one with a socket buffer that
 *    overflows; every other session of that one, and every third of the
 *    other, stays subscribed while the module is unloaded under it and
 *    must see it go (ENODEV);
 *  - a racer opening, mapping and subscribing in a tight loop, unloads or
 *    not;
 *  - a reloader: every epoch it has the cooperative sessions close, checks
 *    that a mapping makes the unload fail, unloads the module and loads it
 *    again with another ring size (64, 1024, 4096 records). The steppers
 *    keep going between the unload and the load (steps nobody records).
 *
 * The three steppers are held out of the kernel while the module arms or
 * disarms its kprobes (during the unload and the load, a second or two
 * each): QEMU's multi-threaded TCG, which tests/vm/run uses, executes
 * stale code while the kernel live-patches a function another vCPU is
 * running, and the guest crashes (6.12: an int3 nobody owns, a jump to 0)
 * or livelocks (6.1) - with no tsmon loaded at all, from a kprobe event
 * on do_adjtimex armed while clock_adjtime() runs in a loop; with
 * single-threaded TCG the same guest is fine. Everything else, readers,
 * listeners and racer included, runs through the reloads.
 *
 * Every record any reader or listener gets is checked: its sequence number
 * is the next one owed (a loss notice covers exactly the sequence numbers
 * it names), its type is one the load makes, its fields are consistent with
 * the type and with what the load did (step sizes, PHC indices, status
 * bits), bytes the type does not use are zero, REALTIME - MONOTONIC of
 * every record moves only by the recorded steps, and every view of the same
 * record (mapping or netlink, any reader) is byte for byte the same. Every
 * session that ends while its module is loaded accounts exactly: records
 * read + sequence numbers reported lost == its last sequence number - the
 * one it started after, and that last one is at least the head it saw when
 * it decided to stop.
 *
 * Afterwards the clock is where the steps put it: REALTIME - MONOTONIC is
 * the initial offset plus the net of the steps, exactly in the module's
 * health block and within the measurement's own uncertainty through
 * clock_gettime(); the test PHC likewise. Then both are put back, and the
 * NTP status, the TAI offset and the error estimates are restored.
 *
 * Runs only as root inside the test guest: it steps the clock and unloads
 * modules.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "tsmon_selftest.h"

#define DEFAULT_SECONDS		60
#define DEFAULT_EPOCH_MS	4000
#define N_READERS		3
#define N_LISTENERS		2
#define STEP_BIAS_NS		1000	/* what each REALTIME pair leaves */
#define PHC_BIAS_NS		1000	/* what each test PHC pair leaves */
#define NIC_STEP_NS		1000	/* the NIC PHC's steps, +- */
#define DRAIN_MS		30000	/* a session catching up on its end */
#define QUIESCE_MS		60000	/* sessions closing for a reload */
#define UNLOAD_TRIES		400
#define CROSS_BITS		16	/* cross-view table: 64 Ki entries */
#define MAX_ERRORS		40

/* REALTIME steps: +x then -(x - STEP_BIAS_NS), x cycling through these. */
static const int64_t clock_steps[] = {
	1001, 999999, 37000000, 250000000, 1000000007, 1500000001,
};

/* Test PHC steps, the same way with PHC_BIAS_NS. */
static const int64_t phc_steps[] = {
	1, 1000, 123457, 50000000, 999999999,
};

static const uint32_t ring_sizes[] = { 64, 1024, 4096 };

/* ----------------------------------------------------------- errors */

static pthread_mutex_t err_mu = PTHREAD_MUTEX_INITIALIZER;
static char errors[MAX_ERRORS][400];
static atomic_uint n_errors;

static void __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	unsigned int n = atomic_fetch_add(&n_errors, 1);
	va_list ap;

	if (n >= MAX_ERRORS)
		return;
	pthread_mutex_lock(&err_mu);
	va_start(ap, fmt);
	vsnprintf(errors[n], sizeof(errors[n]), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&err_mu);
}

static int64_t now_ms(void)
{
	return clk_ns(CLOCK_MONOTONIC) / NSEC_PER_MSEC;
}

static const char *ename(int e)
{
	const char *n = e ? strerrorname_np(e) : "0";

	return n ? n : "?";
}

/* ----------------------------------------------------------- coordination */

/*
 * The reloader and the sessions: a session starts only while the module is
 * up and no reload is pending; cooperative sessions count themselves in
 * @active, and a reload waits until they have all closed.
 */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool up;
	bool closing;
	bool stop;
	int active;
	unsigned int gen;	/* module instances loaded so far */
} co = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
};

#define MAX_GENS		4096
static uint64_t inst_of_gen[MAX_GENS];	/* instance_id of each load */

static atomic_bool a_closing;	/* co.closing || co.stop, lock-free */

/* Steppers held out of the probed functions (see the top of the file). */
static atomic_bool hold;
static atomic_int parked;
static atomic_int steppers_running;
static int64_t held_ms;

/* Called by a stepper between its system calls. */
static void stepper_gate(void)
{
	if (!atomic_load(&hold))
		return;
	atomic_fetch_add(&parked, 1);
	while (atomic_load(&hold))
		sleep_ms(1);
	atomic_fetch_sub(&parked, 1);
}

static void stepper_exit(void)
{
	atomic_fetch_sub(&steppers_running, 1);
}
static atomic_uint a_gen;
static atomic_bool load_stop;	/* the steppers stop */
static atomic_bool racer_pause;

static bool session_begin(bool cooperative, unsigned int *gen)
{
	pthread_mutex_lock(&co.mu);
	while (!co.stop && (!co.up || co.closing))
		pthread_cond_wait(&co.cv, &co.mu);
	if (co.stop) {
		pthread_mutex_unlock(&co.mu);
		return false;
	}
	if (cooperative)
		co.active++;
	*gen = co.gen;
	pthread_mutex_unlock(&co.mu);
	return true;
}

static void session_end(bool cooperative)
{
	pthread_mutex_lock(&co.mu);
	if (cooperative)
		co.active--;
	pthread_cond_broadcast(&co.cv);
	pthread_mutex_unlock(&co.mu);
}

static bool stopping(void)
{
	bool s;

	pthread_mutex_lock(&co.mu);
	s = co.stop;
	pthread_mutex_unlock(&co.mu);
	return s;
}

/* ----------------------------------------------------------- cross-view */

/*
 * Every record seen, by (module instance, sequence number): the first view
 * stores its hash, later views of the same record must match it. A slot
 * holds one record; a newer one replaces it.
 */
struct cross_slot {
	uint64_t key;
	uint64_t hash;
};

static struct cross_slot cross[1 << CROSS_BITS];
static pthread_mutex_t cross_mu[256];
static atomic_ulong cross_compared;

static uint64_t rec_hash(const struct tsmon_record *r)
{
	const unsigned char *p = (const unsigned char *)r;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < sizeof(*r); i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static void cross_check(const char *who, unsigned int gen,
			const struct tsmon_record *r)
{
	uint64_t key = (uint64_t)gen << 40 | r->seq;
	size_t i = r->seq & ((1 << CROSS_BITS) - 1);
	pthread_mutex_t *mu = &cross_mu[i & 255];
	uint64_t h = rec_hash(r);

	pthread_mutex_lock(mu);
	if (cross[i].key == key) {
		if (cross[i].hash != h)
			fail("%s: record %llu of instance %u differs from another view's",
			     who, (unsigned long long)r->seq, gen);
		atomic_fetch_add(&cross_compared, 1);
	} else {
		cross[i].key = key;
		cross[i].hash = h;
	}
	pthread_mutex_unlock(mu);
}

/* ----------------------------------------------------------- records */

static int testphc_idx = -1;	/* /dev/ptp<N> of the test PHC */
static int nic_idx = -1;	/* the NIC's PHC, -1 if none */

static bool zero_from(const struct tsmon_record *r, size_t used)
{
	const unsigned char *u = (const unsigned char *)r->raw;
	size_t i;

	for (i = used; i < sizeof(r->raw); i++)
		if (u[i])
			return false;
	return true;
}

static bool name_ok(const __u64 *words, size_t nwords)
{
	const char *c = (const char *)words;
	size_t i;

	for (i = 0; i < nwords * 8; i++)
		if (!c[i])
			return true;
	return false;
}

static bool in_pairs(int64_t d, const int64_t *sizes, size_t n, int64_t bias)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (d == sizes[i] || d == -(sizes[i] - bias))
			return true;
	return false;
}

/*
 * What a record of each type the load makes must hold; NULL if it does,
 * else why not. Unused union bytes must be zero (tsmon_rec_init() clears
 * the record), so a torn copy shows.
 */
static const char *record_bad(const struct tsmon_record *r)
{
	if (r->flags)
		return "flags not zero";
	switch (r->type) {
	case TSMON_EVENT_CLOCK_STEP:
		if (!zero_from(r, 12))
			return "clock_step: unused bytes";
		if (!in_pairs((int64_t)r->step.delta_ns, clock_steps,
			      ARRAY_SIZE(clock_steps), STEP_BIAS_NS))
			return "clock_step: a delta the stepper never made";
		/* UNKNOWN only if a reload lost the mark between probe and hook. */
		if (r->step.reason != TSMON_STEP_SETOFFSET &&
		    r->step.reason != TSMON_STEP_UNKNOWN)
			return "clock_step: reason";
		return NULL;
	case TSMON_EVENT_TAI_CHANGE:
		if (!zero_from(r, 8))
			return "tai_change: unused bytes";
		if ((int32_t)r->tai.tai_after - (int32_t)r->tai.tai_before != 1 &&
		    (int32_t)r->tai.tai_after - (int32_t)r->tai.tai_before != -1)
			return "tai_change: not by one second";
		return NULL;
	case TSMON_EVENT_NTP_SYNC:
	case TSMON_EVENT_NTP_UNSYNC:
		if (!zero_from(r, 24) || r->ntp.__pad)
			return "ntp_(un)sync: unused bytes";
		if (!!(r->ntp.status & STA_UNSYNC) !=
		    (r->type == TSMON_EVENT_NTP_UNSYNC))
			return "ntp_(un)sync: STA_UNSYNC disagrees with the type";
		if (r->ntp.maxerror_ns % 1000 || r->ntp.esterror_ns % 1000 ||
		    r->ntp.maxerror_ns > 16000000000ULL ||
		    r->ntp.esterror_ns > 16000000000ULL)
			return "ntp_(un)sync: error estimates";
		if (r->ntp.status & (STA_INS | STA_DEL))
			return "ntp_(un)sync: leap bits nobody set";
		return NULL;
	case TSMON_EVENT_NTP_MODE:
		if (!zero_from(r, 8))
			return "ntp_mode: unused bytes";
		if (!((r->ntp_mode.status_before ^ r->ntp_mode.status_after) &
		      TSMON_NTP_MODE_BITS))
			return "ntp_mode: no mode bit changed";
		return NULL;
	case TSMON_EVENT_NTP_STATE:
		if (!zero_from(r, 8))
			return "ntp_state: unused bytes";
		/* unknown: a probe missed under load, then relearned. */
		if (r->ntp_state.state_before == r->ntp_state.state_after ||
		    (r->ntp_state.state_before > TIME_WAIT &&
		     r->ntp_state.state_before != TSMON_NTP_STATE_UNKNOWN) ||
		    (r->ntp_state.state_after > TIME_WAIT &&
		     r->ntp_state.state_after != TSMON_NTP_STATE_UNKNOWN))
			return "ntp_state: states";
		return NULL;
	case TSMON_EVENT_PHC_STEP:
		if (!zero_from(r, 24))
			return "phc_step: unused bytes";
		if ((int)r->phc_step.index == testphc_idx) {
			if (r->phc_step.how != TSMON_PHC_SETOFFSET ||
			    r->phc_step.time_ns ||
			    !in_pairs((int64_t)r->phc_step.delta_ns, phc_steps,
				      ARRAY_SIZE(phc_steps), PHC_BIAS_NS))
				return "phc_step: not a step the stepper made";
		} else if ((int)r->phc_step.index == nic_idx) {
			if (r->phc_step.how == TSMON_PHC_SETOFFSET ?
			    r->phc_step.time_ns ||
			    ((int64_t)r->phc_step.delta_ns != NIC_STEP_NS &&
			     (int64_t)r->phc_step.delta_ns != -NIC_STEP_NS) :
			    r->phc_step.how != TSMON_PHC_SETTIME ||
			    r->phc_step.delta_ns || !r->phc_step.time_ns)
				return "phc_step: NIC step fields";
		} else {
			return "phc_step: a PHC nobody stepped";
		}
		return NULL;
	case TSMON_EVENT_PHC_ADD:
		if (!zero_from(r, 24))
			return "phc_add: unused bytes";
		if (r->phc.flags != TSMON_PHC_AT_LOAD ||
		    !name_ok(r->phc.name, TSMON_NAME_WORDS) ||
		    r->phc.index >= PHC_MAX_INDEX)
			return "phc_add: fields";
		return NULL;
	case TSMON_EVENT_CLOCKSOURCE_CHANGE:
		if (!name_ok(r->cs.from, TSMON_NAME_WORDS) ||
		    !name_ok(r->cs.to, TSMON_NAME_WORDS))
			return "clocksource_change: names";
		return NULL;
	}
	return "a type the load does not make";
}

/* A reader's or listener's running view of one session. */
struct view {
	const char *who;
	unsigned int gen;
	uint64_t start;		/* the sequence number the session starts after */
	uint64_t next;		/* next sequence number owed, 0 until known */
	uint64_t read;
	uint64_t lost;
	uint64_t notices;
	bool off_known;
	int64_t off;		/* REALTIME - MONOTONIC of the records */
	bool tai_known;
	int32_t tai;
	bool bad;
	struct tsmon_record prev;	/* the record before, for diagnostics */
};

static void view_init(struct view *v, const char *who, unsigned int gen,
		      uint64_t next)
{
	memset(v, 0, sizeof(*v));
	v->who = who;
	v->gen = gen;
	v->next = next;
	v->start = next ? next - 1 : 0;
}

static void view_fail(struct view *v, const struct tsmon_record *r,
		      const char *why)
{
	if (v->bad)
		return;
	v->bad = true;
	fail("%s: seq %llu type %u (want seq %llu): %s [%llx %llx %llx %llx] real-mono %lld; before: seq %llu type %u real-mono %lld",
	     v->who, (unsigned long long)r->seq, r->type,
	     (unsigned long long)v->next, why,
	     (unsigned long long)r->raw[0], (unsigned long long)r->raw[1],
	     (unsigned long long)r->raw[2], (unsigned long long)r->raw[3],
	     (long long)(r->real_ns - r->mono_ns),
	     (unsigned long long)v->prev.seq, v->prev.type,
	     (long long)(v->prev.real_ns - v->prev.mono_ns));
}

static void view_take(struct view *v, const struct tsmon_record *r)
{
	int64_t off = (int64_t)(r->real_ns - r->mono_ns);
	const char *why;

	if (!v->next) {
		v->next = r->seq;
		v->start = r->seq - 1;
	}
	if (r->seq != v->next) {
		view_fail(v, r, r->seq < v->next ? "duplicate or reordered" :
			  "gap");
		v->next = r->seq;
	}
	if (r->type == TSMON_EVENT_LOST) {
		if (!r->lost.count || r->mono_ns || r->real_ns || r->flags ||
		    !zero_from(r, 8))
			view_fail(v, r, "malformed loss notice");
		v->lost += r->lost.count;
		v->notices++;
		v->next += r->lost.count;
		v->off_known = v->tai_known = false;
		return;
	}
	why = record_bad(r);
	if (why)
		view_fail(v, r, why);
	if (r->type == TSMON_EVENT_CLOCK_STEP) {
		if (v->off_known && off - v->off != (int64_t)r->step.delta_ns)
			view_fail(v, r, "the offset moved by other than the step");
		v->off = off;
		v->off_known = true;
	} else {
		if (v->off_known && off != v->off)
			view_fail(v, r, "real - mono moved without a step");
		v->off = off;
		v->off_known = true;
	}
	if (r->type == TSMON_EVENT_TAI_CHANGE) {
		if (v->tai_known && (int32_t)r->tai.tai_before != v->tai)
			view_fail(v, r, "tai_before is not the last tai_after");
		v->tai = (int32_t)r->tai.tai_after;
		v->tai_known = true;
	}
	cross_check(v->who, v->gen, r);
	v->prev = *r;
	v->read++;
	v->next++;
}

/*
 * The session's exact accounting: every sequence number after its start up
 * to its last one was read or reported lost, and it got at least as far as
 * @head_end, the head when it decided to stop.
 */
static bool view_accounts(struct view *v, uint64_t head_end)
{
	uint64_t last = v->next ? v->next - 1 : v->start;

	if (v->read + v->lost != last - v->start || last < head_end) {
		fail("%s: read %llu + lost %llu != last %llu - start %llu (head at the end %llu)",
		     v->who, (unsigned long long)v->read,
		     (unsigned long long)v->lost, (unsigned long long)last,
		     (unsigned long long)v->start,
		     (unsigned long long)head_end);
		return false;
	}
	return !v->bad;
}

/* ----------------------------------------------------------- totals */

struct client_stats {
	const char *name;
	uint64_t sessions;
	uint64_t accounted;	/* sessions whose accounting held */
	uint64_t read;
	uint64_t lost;
	uint64_t notices;
	uint64_t gone;		/* sessions ended by the module going away */
	uint64_t health_checks;
	uint64_t open_refused;	/* opens during a reload, refused */
};

/* Records read + lost of @v into @st. */
static void stats_add(struct client_stats *st, const struct view *v)
{
	st->read += v->read;
	st->lost += v->lost;
	st->notices += v->notices;
}

/* ----------------------------------------------------------- readers */

struct reader {
	struct client_stats st;
	int id;
	bool slow;		/* pauses now and then: falls behind */
	unsigned int seed;
	pthread_t th;
};

/*
 * tsmon_health() gives -EAGAIN when the writer kept the health block busy
 * through all its retries: under TCG on a busy host the vCPU inside the
 * timekeeping callback can be descheduled with the sequence odd for
 * milliseconds, which never happens on hardware (IRQs are off there).
 * That is the documented answer and the caller's cue to try again, so it
 * is counted and retried; a block still busy after a second is a failure.
 */
static _Atomic unsigned long health_busy;

static int health_read(const struct tsmon *t, struct tsmon_health *h)
{
	int err, i;

	for (i = 0; i < 1000; i++) {
		err = tsmon_health(t, h);
		if (err != -EAGAIN)
			return err;
		atomic_fetch_add(&health_busy, 1);
		sleep_ms(1);
	}
	return err;
}

/*
 * The health block is one consistent snapshot: the records it counts are
 * at least the head before the read and at most the head after it.
 */
static void health_check(const char *who, const struct tsmon *t,
			 struct client_stats *st)
{
	struct tsmon_health h;
	uint64_t h0, h1, sum = 0;
	int i, err;

	tsmon_head(t, &h0);
	err = health_read(t, &h);
	tsmon_head(t, &h1);
	if (err) {
		fail("%s: tsmon_health: %s", who, ename(-err));
		return;
	}
	for (i = 0; i < TSMON_EVENT_SLOTS; i++)
		sum += h.event_count[i];
	if (sum < h0 || sum > h1)
		fail("%s: health counts %llu records, head %llu..%llu", who,
		     (unsigned long long)sum, (unsigned long long)h0,
		     (unsigned long long)h1);
	st->health_checks++;
}

static void reader_session(struct reader *rd, unsigned int gen)
{
	struct tsmon_cursor c;
	struct tsmon_record r;
	struct view v;
	struct tsmon *t;
	uint64_t head_end;
	int64_t end;
	int err, n = 0;

	err = tsmon_open(NULL, &t);
	if (err) {
		/* Only while the module is going away. */
		if (atomic_load(&a_closing) && (err == -ENOENT || err == -ENODEV))
			rd->st.open_refused++;
		else
			fail("%s: tsmon_open: %s", rd->st.name, ename(-err));
		return;
	}
	rd->st.sessions++;
	tsmon_cursor_init(t, &c, rd->st.sessions & 1 ? TSMON_FROM_OLDEST :
			  TSMON_FROM_NOW, 0);
	view_init(&v, rd->st.name, gen, c.next);
	end = now_ms() + 300 + rand_r(&rd->seed) % 1700;

	for (;;) {
		if (atomic_load(&a_closing) || now_ms() > end)
			break;
		err = tsmon_next(t, &c, &r);
		if (!err) {
			view_take(&v, &r);
			if (rd->slow && ++n % 32 == 0)
				sleep_ms(1);
			continue;
		}
		if (err != -EAGAIN) {
			fail("%s: tsmon_next: %s", rd->st.name, ename(-err));
			break;
		}
		err = tsmon_wait(t, &c, 50);
		if (err && err != -ETIMEDOUT) {
			fail("%s: tsmon_wait: %s", rd->st.name, ename(-err));
			break;
		}
	}
	tsmon_head(t, &head_end);
	while (c.next <= head_end) {
		err = tsmon_next(t, &c, &r);
		if (err) {
			fail("%s: draining: %s", rd->st.name, ename(-err));
			break;
		}
		view_take(&v, &r);
	}
	if (v.next != c.next)
		fail("%s: view at %llu, cursor at %llu", rd->st.name,
		     (unsigned long long)v.next, (unsigned long long)c.next);
	if (view_accounts(&v, head_end))
		rd->st.accounted++;
	stats_add(&rd->st, &v);
	health_check(rd->st.name, t, &rd->st);
	tsmon_close(t);
}

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	unsigned int gen;

	while (session_begin(true, &gen)) {
		reader_session(rd, gen);
		session_end(true);
	}
	return NULL;
}

/* ----------------------------------------------------------- listeners */

struct listener {
	struct client_stats st;
	int id;
	bool starved;		/* a socket buffer that overflows */
	unsigned int seed;
	pthread_t th;
};

/* The head, reading on while a replay keeps the request socket busy. */
static int sub_head(struct tsmon_sub *s, struct view *v, uint64_t *head,
		    uint64_t *instance)
{
	struct tsmon_nl_status st;
	struct tsmon_record r;
	int64_t end = now_ms() + DRAIN_MS;
	int err;

	for (;;) {
		err = tsmon_sub_status(s, &st, NULL);
		if (err != -EBUSY)
			break;
		if (now_ms() > end)
			return -ETIMEDOUT;
		err = tsmon_sub_next(s, &r, 100);
		if (!err)
			view_take(v, &r);
		else if (err != -ETIMEDOUT)
			return err;
	}
	if (!err) {
		*head = st.head;
		*instance = st.instance_id;
	}
	return err;
}

/*
 * One subscription. A cooperative session ends when a reload is pending
 * and accounts exactly; a staying one (every other session of the starved
 * listener) ignores that and must see the module go: -ENODEV.
 */
static void listener_session(struct listener *l, unsigned int gen, bool stay)
{
	struct tsmon_nl_status st;
	struct tsmon_record r;
	struct tsmon_sub *s;
	struct view v;
	uint64_t head_end, inst_end;
	int64_t end, gone_by = 0;
	int one = 1, err;

	err = tsmon_sub_open(&s);
	if (err) {
		if ((stay || atomic_load(&a_closing)) &&
		    (err == -ENOENT || err == -ENODEV))
			l->st.open_refused++;
		else
			fail("%s: tsmon_sub_open: %s", l->st.name, ename(-err));
		return;
	}
	if (l->starved)
		setsockopt(tsmon_sub_fd(s), SOL_SOCKET, SO_RCVBUF, &one,
			   sizeof(one));
	err = tsmon_sub_status(s, &st, NULL);
	if (!err && stay) {
		/*
		 * Not counted in co.active, so a whole reload may have passed
		 * since session_begin(): follow the instance subscribed to.
		 */
		pthread_mutex_lock(&co.mu);
		if (inst_of_gen[co.gen % MAX_GENS] == st.instance_id)
			gen = co.gen;
		else
			err = -ENODEV;
		pthread_mutex_unlock(&co.mu);
	}
	if (!err) {
		l->st.sessions++;
		if (l->st.sessions % 3 == 0) {
			/* The replay starts at the oldest record it finds. */
			view_init(&v, l->st.name, gen, 0);
			err = tsmon_sub_start(s, TSMON_FROM_OLDEST, 0);
		} else {
			view_init(&v, l->st.name, gen, st.head + 1);
			err = tsmon_sub_start(s, TSMON_FROM_SEQ, st.head + 1);
		}
	}
	if (err) {
		if (err == -ENODEV && (stay || atomic_load(&a_closing)))
			l->st.open_refused++;
		else
			fail("%s: starting: %s", l->st.name, ename(-err));
		tsmon_sub_close(s);
		return;
	}
	end = now_ms() + 500 + rand_r(&l->seed) % 2500;

	for (;;) {
		if (!stay && (atomic_load(&a_closing) || now_ms() > end))
			break;
		if (stay) {
			if (stopping())
				break;
			/* A reload happened: the unload must have been seen. */
			if (atomic_load(&a_gen) != gen && !gone_by)
				gone_by = now_ms() + 15000;
			if (gone_by && now_ms() > gone_by) {
				fail("%s: the module was reloaded, no ENODEV",
				     l->st.name);
				tsmon_sub_close(s);
				return;
			}
		}
		err = tsmon_sub_next(s, &r, 100);
		if (!err) {
			view_take(&v, &r);
			continue;
		}
		if (err == -ENODEV && stay) {
			/* The module went while subscribed: a clean end. */
			l->st.gone++;
			stats_add(&l->st, &v);
			if (v.bad)
				fail("%s: inconsistent before the unload",
				     l->st.name);
			tsmon_sub_close(s);
			return;
		}
		if (err != -ETIMEDOUT) {
			fail("%s: tsmon_sub_next: %s", l->st.name, ename(-err));
			tsmon_sub_close(s);
			return;
		}
	}

	err = sub_head(s, &v, &head_end, &inst_end);
	if (err) {
		fail("%s: status at the end: %s", l->st.name, ename(-err));
		tsmon_sub_close(s);
		return;
	}
	if (inst_end != st.instance_id)
		fail("%s: the instance changed under a cooperative session",
		     l->st.name);
	end = now_ms() + DRAIN_MS;
	while (!v.next || v.next <= head_end) {
		err = tsmon_sub_next(s, &r, 200);
		if (!err) {
			view_take(&v, &r);
			continue;
		}
		if (err != -ETIMEDOUT || now_ms() > end) {
			fail("%s: draining to %llu at %llu: %s", l->st.name,
			     (unsigned long long)head_end,
			     (unsigned long long)v.next, ename(-err));
			break;
		}
	}
	if (view_accounts(&v, head_end))
		l->st.accounted++;
	stats_add(&l->st, &v);
	tsmon_sub_close(s);
}

static void *listener_main(void *arg)
{
	struct listener *l = arg;
	unsigned int gen;
	uint64_t n = 0;

	for (;;) {
		/* The starved one stays every other session, the other every third. */
		bool stay = l->starved ? (++n & 1) == 0 : ++n % 3 == 0;

		if (!session_begin(!stay, &gen))
			break;
		listener_session(l, gen, stay);
		session_end(!stay);
	}
	return NULL;
}

/* ----------------------------------------------------------- racer */

struct racer {
	uint64_t opens, maps, subs, refused;
	pthread_t th;
} racer;

/*
 * Opens, maps and subscribes in a loop whatever the reloader is doing:
 * while the module is being unloaded or loaded these may be refused
 * (ENOENT, ENODEV), and must otherwise give a valid region and status.
 */
static void *racer_main(void *arg)
{
	struct tsmon_nl_status st;
	struct tsmon_sub *s;
	struct tsmon *t;
	unsigned int seed = 77;
	int err;

	while (!stopping()) {
		if (atomic_load(&racer_pause)) {
			sleep_ms(20);
			continue;
		}
		err = tsmon_open(NULL, &t);
		if (!err) {
			struct tsmon_info info;
			struct tsmon_health h;

			racer.opens++;
			if (tsmon_get_info(t, &info) || health_read(t, &h) ||
			    info.abi_version != TSMON_ABI_VERSION)
				fail("racer: a mapped region that does not read");
			else
				racer.maps++;
			tsmon_close(t);
		} else if (err == -ENOENT || err == -ENODEV) {
			racer.refused++;
		} else {
			fail("racer: tsmon_open: %s", ename(-err));
		}
		err = tsmon_sub_open(&s);
		if (!err) {
			err = tsmon_sub_status(s, &st, NULL);
			if (!err && st.abi_version != TSMON_ABI_VERSION)
				fail("racer: status of another ABI");
			if (!err)
				racer.subs++;
			else if (err == -ENODEV)
				racer.refused++;
			else
				fail("racer: tsmon_sub_status: %s", ename(-err));
			tsmon_sub_close(s);
		} else if (err == -ENOENT) {
			racer.refused++;
		} else {
			fail("racer: tsmon_sub_open: %s", ename(-err));
		}
		sleep_ms(5 + rand_r(&seed) % 40);
	}
	return NULL;
}

/* ----------------------------------------------------------- steppers */

static struct {
	uint64_t steps;
	int64_t net_ns;
	pthread_t th;
} clk;

static void *clock_main(void *arg)
{
	size_t i = 0;
	int err;

	while (!atomic_load(&load_stop)) {
		int64_t x = clock_steps[i++ % ARRAY_SIZE(clock_steps)];

		stepper_gate();
		err = clock_step_ns(x);
		if (!err) {
			clk.net_ns += x;
			clk.steps++;
			err = clock_step_ns(-(x - STEP_BIAS_NS));
		}
		if (err) {
			fail("clock stepper: ADJ_SETOFFSET: %s", ename(-err));
			break;
		}
		clk.net_ns -= x - STEP_BIAS_NS;
		clk.steps++;
		if (i % 8 == 0)
			sleep_ms(1);
	}
	stepper_exit();
	return NULL;
}

static struct {
	uint64_t calls;
	struct timex saved;
	int tai0;
	pthread_t th;
} ntp;

static void *ntp_main(void *arg)
{
	static const int toggles[] = { STA_PLL, STA_FREQHOLD, STA_UNSYNC,
				       STA_PLL | STA_UNSYNC, 0 };
	int base = ntp.saved.status & ~(STA_INS | STA_DEL);
	uint64_t k = 0;

	while (!atomic_load(&load_stop)) {
		struct timex tx = { 0 };

		stepper_gate();
		switch (k % 4) {
		case 0:
		case 2:
			tx.modes = ADJ_STATUS;
			tx.status = base ^ toggles[(k / 4) %
						   ARRAY_SIZE(toggles)];
			break;
		case 1:
			tx.modes = ADJ_MAXERROR | ADJ_ESTERROR;
			tx.maxerror = 1000 + (long)(k * 7919 % 500000);
			tx.esterror = tx.maxerror / 2;
			break;
		case 3:
			tx.modes = ADJ_TAI;
			tx.constant = ntp.tai0 + (int)((k / 4) & 1);
			break;
		}
		if (adjtimex(&tx) < 0) {
			fail("adjtimex modes %#x: %s", tx.modes, ename(errno));
			break;
		}
		ntp.calls++;
		k++;
		sleep_ms(2);
	}
	stepper_exit();
	return NULL;
}

static struct {
	uint64_t steps, nic_steps, nic_settimes;
	int64_t net_ns;
	clockid_t clk, nic_clk;
	int fd, nic_fd;
	pthread_t th;
} phc = { .fd = -1, .nic_fd = -1 };

static int phc_step(clockid_t c, int64_t ns)
{
	struct timex tx = { .modes = ADJ_SETOFFSET | ADJ_NANO };
	int64_t sec = ns / NSEC_PER_SEC, nsec = ns % NSEC_PER_SEC;

	if (nsec < 0) {
		nsec += NSEC_PER_SEC;
		sec--;
	}
	tx.time.tv_sec = sec;
	tx.time.tv_usec = nsec;
	return clock_adjtime(c, &tx) < 0 ? -errno : 0;
}

static void *phc_main(void *arg)
{
	size_t i = 0;
	int err;

	while (!atomic_load(&load_stop)) {
		int64_t y = phc_steps[i++ % ARRAY_SIZE(phc_steps)];

		stepper_gate();
		err = phc_step(phc.clk, y);
		if (!err) {
			phc.net_ns += y;
			phc.steps++;
			err = phc_step(phc.clk, -(y - PHC_BIAS_NS));
		}
		if (err) {
			fail("PHC stepper: ADJ_SETOFFSET: %s", ename(-err));
			break;
		}
		phc.net_ns -= y - PHC_BIAS_NS;
		phc.steps++;
		if (phc.nic_fd >= 0 && i % 4 == 0) {
			struct timespec ts;

			err = phc_step(phc.nic_clk, NIC_STEP_NS);
			if (!err)
				err = phc_step(phc.nic_clk, -NIC_STEP_NS);
			if (!err)
				phc.nic_steps += 2;
			/* The NIC's clock set to what it reads: a settime. */
			if (!err && i % 16 == 0) {
				err = clock_gettime(phc.nic_clk, &ts) ? -errno :
				      clock_settime(phc.nic_clk, &ts) ? -errno : 0;
				if (!err)
					phc.nic_settimes++;
			}
			if (err) {
				fail("NIC PHC: %s", ename(-err));
				break;
			}
		}
		if (i % 4 == 0)
			sleep_ms(1);
	}
	stepper_exit();
	return NULL;
}

/*
 * PHC - CLOCK_MONOTONIC_RAW of the test PHC, which runs at the raw rate
 * with no frequency offset: constant except for steps. Measured as for
 * rt_mono_offset(): the PHC read between two raw reads, the narrowest of
 * a few tries, err_ns half that window.
 */
static struct rt_offset phc_raw_offset(void)
{
	struct rt_offset best = { 0, INT64_MAX };
	int i;

	for (i = 0; i < 32; i++) {
		int64_t r1 = clk_ns(CLOCK_MONOTONIC_RAW);
		int64_t p = clk_ns(phc.clk);
		int64_t r2 = clk_ns(CLOCK_MONOTONIC_RAW);
		int64_t half = (r2 - r1 + 1) / 2;

		if (half < best.err_ns) {
			best.off_ns = p - (r1 + (r2 - r1) / 2);
			best.err_ns = half;
		}
	}
	return best;
}

/* The narrowest of several rt_mono_offset() rounds. */
static struct rt_offset rt_offset_best(void)
{
	struct rt_offset best = { 0, INT64_MAX }, o;
	int i;

	for (i = 0; i < 20; i++) {
		o = rt_mono_offset();
		if (o.err_ns < best.err_ns)
			best = o;
		if (best.err_ns < 20000)
			break;
		sleep_ms(10);
	}
	return best;
}

/* health.offs_real_ns of the module loaded now: the exact offset. */
static bool health_offset(int64_t *off)
{
	struct tsmon_health h;
	struct tsmon *t;
	int err = tsmon_open(NULL, &t);

	if (!err) {
		err = health_read(t, &h);
		tsmon_close(t);
	}
	if (err) {
		ksft_print_msg("reading the health block: %s\n", ename(-err));
		return false;
	}
	*off = (int64_t)h.offs_real_ns;
	return true;
}

/* ----------------------------------------------------------- reloader */

static struct {
	uint64_t reloads;
	uint64_t busy;		/* unloads refused while something held it */
	uint64_t holder_tries;
	uint64_t holder_refused;
	int64_t max_reload_ms;
	pthread_t th;
} rl;

static int64_t stop_at_ms;
static int64_t epoch_ms;

/* Every running stepper waits in stepper_gate(): none is in the kernel. */
static bool steppers_park(void)
{
	int64_t end = now_ms() + QUIESCE_MS;

	atomic_store(&hold, true);
	while (atomic_load(&parked) < atomic_load(&steppers_running)) {
		if (now_ms() > end) {
			fail("reloader: the steppers did not stop");
			return false;
		}
		sleep_ms(1);
	}
	held_ms -= now_ms();
	return true;
}

static void steppers_release(void)
{
	held_ms += now_ms();
	atomic_store(&hold, false);
}

/* Every cooperative session closed; false if they did not in time. */
static bool quiesce(bool stop)
{
	int64_t end = now_ms() + QUIESCE_MS;
	struct timespec ts;
	bool ok = true;

	pthread_mutex_lock(&co.mu);
	co.closing = true;
	if (stop)
		co.stop = true;
	atomic_store(&a_closing, true);
	pthread_cond_broadcast(&co.cv);
	while (co.active) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 50 * NSEC_PER_MSEC;
		if (ts.tv_nsec >= NSEC_PER_SEC) {
			ts.tv_nsec -= NSEC_PER_SEC;
			ts.tv_sec++;
		}
		pthread_cond_timedwait(&co.cv, &co.mu, &ts);
		if (now_ms() > end) {
			ok = false;
			break;
		}
	}
	pthread_mutex_unlock(&co.mu);
	if (!ok)
		fail("reloader: %d sessions did not close in %d s", co.active,
		     QUIESCE_MS / 1000);
	return ok;
}

static bool reload_once(void)
{
	struct tsmon_info info;
	struct tsmon *t;
	uint64_t old_id = 0;
	int64_t t0 = now_ms();
	char params[48];
	int err, i;

	if (!quiesce(false))
		return false;
	if (!tsmon_open(NULL, &t)) {
		tsmon_get_info(t, &info);
		old_id = info.instance_id;
		/* Every other reload: a mapping must keep the module in. */
		if (!(rl.reloads & 1) && steppers_park()) {
			rl.holder_tries++;
			err = module_unload();
			steppers_release();
			if (err == -EAGAIN || err == -EBUSY)
				rl.holder_refused++;
			else
				fail("reloader: unload with a mapping: %s",
				     ename(-err));
		}
		tsmon_close(t);
	}

	pthread_mutex_lock(&co.mu);
	co.up = false;
	pthread_mutex_unlock(&co.mu);

	if (!steppers_park())
		return false;
	for (i = 0; i < UNLOAD_TRIES; i++) {
		err = module_unload();
		if (!err)
			break;
		if (err != -EAGAIN && err != -EBUSY) {
			steppers_release();
			fail("reloader: unload: %s", ename(-err));
			return false;
		}
		rl.busy++;
		/* The racer's short-lived holds: let it pause after a few. */
		if (i == 5)
			atomic_store(&racer_pause, true);
		sleep_ms(20);
	}
	steppers_release();
	if (err) {
		fail("reloader: the module stayed busy");
		return false;
	}
	if (!dev_node_present(false))
		fail("reloader: /dev/tsmon outlived the module");

	snprintf(params, sizeof(params), "ring_entries=%u",
		 ring_sizes[rl.reloads % ARRAY_SIZE(ring_sizes)]);
	if (!steppers_park())
		return false;
	err = module_load(params);
	steppers_release();
	if (err) {
		fail("reloader: load %s: %s", params, ename(-err));
		return false;
	}
	if (!dev_node_present(true)) {
		fail("reloader: no /dev/tsmon after the load");
		return false;
	}
	err = tsmon_open(NULL, &t);
	if (err) {
		fail("reloader: tsmon_open after the load: %s", ename(-err));
		return false;
	}
	tsmon_get_info(t, &info);
	tsmon_close(t);
	if (info.instance_id == old_id)
		fail("reloader: the new instance has the old instance id");
	if (info.ring_entries != ring_sizes[rl.reloads % ARRAY_SIZE(ring_sizes)])
		fail("reloader: ring of %u records, loaded with %s",
		     info.ring_entries, params);
	rl.reloads++;
	if (now_ms() - t0 > rl.max_reload_ms)
		rl.max_reload_ms = now_ms() - t0;

	pthread_mutex_lock(&co.mu);
	co.gen++;
	inst_of_gen[co.gen % MAX_GENS] = info.instance_id;
	atomic_store(&a_gen, co.gen);
	co.up = true;
	co.closing = false;
	atomic_store(&a_closing, false);
	pthread_cond_broadcast(&co.cv);
	pthread_mutex_unlock(&co.mu);
	atomic_store(&racer_pause, false);
	return true;
}

static void *reloader_main(void *arg)
{
	for (;;) {
		int64_t next = now_ms() + epoch_ms;

		while (now_ms() < next && now_ms() < stop_at_ms)
			sleep_ms(50);
		/* The last epoch runs to the end without a reload. */
		if (now_ms() + epoch_ms / 2 >= stop_at_ms)
			break;
		if (!reload_once())
			break;
	}
	while (now_ms() < stop_at_ms)
		sleep_ms(50);
	quiesce(true);
	return NULL;
}

/* ----------------------------------------------------------- main */

static void print_stats(const struct client_stats *st)
{
	ksft_print_msg("%-10s sessions %5llu (exact %5llu, ended by unload %3llu), read %9llu, lost %8llu in %6llu notices, refused opens %llu\n",
		       st->name, (unsigned long long)st->sessions,
		       (unsigned long long)st->accounted,
		       (unsigned long long)st->gone,
		       (unsigned long long)st->read,
		       (unsigned long long)st->lost,
		       (unsigned long long)st->notices,
		       (unsigned long long)st->open_refused);
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v || !*v)
		return def;
	n = strtol(v, &end, 10);
	return *end || n <= 0 ? def : n;
}

int main(void)
{
	static struct reader readers[N_READERS];
	static struct listener listeners[N_LISTENERS];
	static char names[N_READERS + N_LISTENERS][16];
	struct rt_offset off0, off1, off2, p0 = { 0 }, p1 = { 0 }, p2 = { 0 };
	int64_t h0, h1 = 0, h2 = 0, seconds, t0;
	uint64_t total_read = 0, total_lost = 0, sessions = 0, exact = 0;
	uint64_t gone = 0;
	bool loaded_testphc = false, ok;
	struct timex now_tx;
	int i, err, status1, tai1;
	unsigned int nerr;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ksft_print_header();
	if (geteuid() != 0)
		ksft_exit_skip("must run as root (in the test guest)\n");
	if (!module_loaded() || !module_ko())
		ksft_exit_fail_msg("load $TSMON_KO first (tests/stress/run.sh)\n");
	seconds = env_long("STRESS_SECONDS", DEFAULT_SECONDS);
	epoch_ms = env_long("STRESS_EPOCH_MS", DEFAULT_EPOCH_MS);
	alarm((unsigned int)(seconds + 300));
	ksft_set_plan(14);
	for (i = 0; i < 256; i++)
		pthread_mutex_init(&cross_mu[i], NULL);
	{
		/* REALTIME is what is being stepped: time waits on MONOTONIC. */
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&co.cv, &ca);
		pthread_condattr_destroy(&ca);
	}

	/* The PHCs. */
	if (!testphc_loaded()) {
		err = testphc_load(1);
		if (err)
			ksft_exit_fail_msg("loading the test PHC: %s (make testphc)\n",
					   ename(-err));
		loaded_testphc = true;
	}
	testphc_idx = testphc_index(0);
	if (testphc_idx < 0)
		ksft_exit_fail_msg("no test PHC in %s\n", PHC_CLASS_DIR);
	phc.fd = phc_open(testphc_idx, &phc.clk);
	if (phc.fd < 0)
		ksft_exit_fail_msg("/dev/ptp%d: %s\n", testphc_idx,
				   ename(-phc.fd));
	nic_idx = phc_find(TESTPHC_NAME, false);
	if (nic_idx >= 0) {
		phc.nic_fd = phc_open(nic_idx, &phc.nic_clk);
		if (phc.nic_fd < 0)
			nic_idx = -1;
	}
	/* The module was loaded before the test PHC: start from one that saw it. */
	err = module_unload();
	if (!err)
		err = module_load("");
	if (err || !dev_node_present(true))
		ksft_exit_fail_msg("reloading tsmon: %s\n", ename(-err));

	/* Where everything starts. */
	if (ntp_read(&ntp.saved) < 0)
		ksft_exit_fail_msg("adjtimex: %s\n", ename(errno));
	ntp.tai0 = ntp.saved.tai;
	off0 = rt_offset_best();
	p0 = phc_raw_offset();
	if (!health_offset(&h0))
		ksft_exit_fail_msg("no health block\n");
	{
		struct tsmon_info info;
		struct tsmon *t;

		if (tsmon_open(NULL, &t) || tsmon_get_info(t, &info))
			ksft_exit_fail_msg("tsmon_open failed\n");
		inst_of_gen[1] = info.instance_id;
		tsmon_close(t);
	}
	ksft_print_msg("%lld s of load, reload every %lld ms, %ld CPUs; test PHC /dev/ptp%d, NIC PHC %d\n",
		       (long long)seconds, (long long)epoch_ms,
		       sysconf(_SC_NPROCESSORS_ONLN), testphc_idx, nic_idx);
	ksft_print_msg("start: REALTIME - MONOTONIC %lld ns (+- %lld, module %lld), PHC - RAW %lld ns (+- %lld), TAI %d, status %#x\n",
		       (long long)off0.off_ns, (long long)off0.err_ns,
		       (long long)h0, (long long)p0.off_ns,
		       (long long)p0.err_ns, ntp.tai0, ntp.saved.status);

	pthread_mutex_lock(&co.mu);
	co.up = true;
	co.gen = 1;
	atomic_store(&a_gen, 1);
	pthread_mutex_unlock(&co.mu);
	t0 = now_ms();
	stop_at_ms = t0 + seconds * 1000;

	atomic_store(&steppers_running, 3);
	pthread_create(&clk.th, NULL, clock_main, NULL);
	pthread_create(&ntp.th, NULL, ntp_main, NULL);
	pthread_create(&phc.th, NULL, phc_main, NULL);
	for (i = 0; i < N_READERS; i++) {
		snprintf(names[i], sizeof(names[i]), "reader%d%s", i,
			 i == N_READERS - 1 ? "s" : "");
		readers[i].st.name = names[i];
		readers[i].id = i;
		readers[i].slow = i == N_READERS - 1;
		readers[i].seed = 1000 + i;
		pthread_create(&readers[i].th, NULL, reader_main, &readers[i]);
	}
	for (i = 0; i < N_LISTENERS; i++) {
		char *name = names[N_READERS + i];

		snprintf(name, sizeof(names[0]), "listener%d%s", i,
			 i ? "s" : "");
		listeners[i].st.name = name;
		listeners[i].id = i;
		listeners[i].starved = i == 1;
		listeners[i].seed = 2000 + i;
		pthread_create(&listeners[i].th, NULL, listener_main,
			       &listeners[i]);
	}
	pthread_create(&racer.th, NULL, racer_main, NULL);
	pthread_create(&rl.th, NULL, reloader_main, NULL);

	/* The reloader ends the sessions at the end of the load. */
	pthread_join(rl.th, NULL);
	for (i = 0; i < N_READERS; i++)
		pthread_join(readers[i].th, NULL);
	for (i = 0; i < N_LISTENERS; i++)
		pthread_join(listeners[i].th, NULL);
	pthread_join(racer.th, NULL);
	atomic_store(&load_stop, true);
	pthread_join(clk.th, NULL);
	pthread_join(ntp.th, NULL);
	pthread_join(phc.th, NULL);
	ksft_print_msg("load ran %lld ms\n", (long long)(now_ms() - t0));

	/* Where the steps put the clocks. */
	off1 = rt_offset_best();
	p1 = phc_raw_offset();
	ok = health_offset(&h1);

	/* Back where they were. */
	err = clock_step_ns(-clk.net_ns);
	if (!err)
		err = phc_step(phc.clk, -phc.net_ns);
	if (err)
		ksft_print_msg("undoing the steps: %s\n", ename(-err));
	if (ntp_restore(&ntp.saved) || ntp_set_tai(ntp.tai0))
		ksft_print_msg("restoring the NTP state: %s\n", ename(errno));
	off2 = rt_offset_best();
	p2 = phc_raw_offset();
	ok &= health_offset(&h2);
	status1 = ntp_read(&now_tx) < 0 ? -1 : now_tx.status;
	tai1 = now_tx.tai;

	for (i = 0; i < N_READERS; i++) {
		print_stats(&readers[i].st);
		total_read += readers[i].st.read;
		total_lost += readers[i].st.lost;
		sessions += readers[i].st.sessions;
		exact += readers[i].st.accounted;
	}
	for (i = 0; i < N_LISTENERS; i++) {
		print_stats(&listeners[i].st);
		total_read += listeners[i].st.read;
		total_lost += listeners[i].st.lost;
		sessions += listeners[i].st.sessions;
		exact += listeners[i].st.accounted;
		gone += listeners[i].st.gone;
	}
	ksft_print_msg("clock: %llu steps, net %+lld ns; adjtimex: %llu calls; test PHC: %llu steps, net %+lld ns; NIC PHC: %llu steps, %llu settimes\n",
		       (unsigned long long)clk.steps, (long long)clk.net_ns,
		       (unsigned long long)ntp.calls,
		       (unsigned long long)phc.steps, (long long)phc.net_ns,
		       (unsigned long long)phc.nic_steps,
		       (unsigned long long)phc.nic_settimes);
	ksft_print_msg("reloads %llu (longest %lld ms, steppers held %lld ms in all), unloads refused while held %llu, by a mapping %llu of %llu\n",
		       (unsigned long long)rl.reloads,
		       (long long)rl.max_reload_ms, (long long)held_ms,
		       (unsigned long long)rl.busy,
		       (unsigned long long)rl.holder_refused,
		       (unsigned long long)rl.holder_tries);
	ksft_print_msg("racer: %llu opens, %llu mapped, %llu subscriptions, %llu refused during reloads\n",
		       (unsigned long long)racer.opens,
		       (unsigned long long)racer.maps,
		       (unsigned long long)racer.subs,
		       (unsigned long long)racer.refused);
	ksft_print_msg("health reads that found the writer busy and tried again: %lu\n",
		       (unsigned long)atomic_load(&health_busy));
	ksft_print_msg("records: %llu read, %llu lost, %llu sessions (%llu exact, %llu ended by unload), %lu cross-view comparisons\n",
		       (unsigned long long)total_read,
		       (unsigned long long)total_lost,
		       (unsigned long long)sessions, (unsigned long long)exact,
		       (unsigned long long)gone,
		       (unsigned long)atomic_load(&cross_compared));
	ksft_print_msg("after: REALTIME - MONOTONIC %lld ns (+- %lld, module %lld), PHC - RAW %lld ns (+- %lld)\n",
		       (long long)off1.off_ns, (long long)off1.err_ns,
		       (long long)h1, (long long)p1.off_ns,
		       (long long)p1.err_ns);
	ksft_print_msg("restored: REALTIME - MONOTONIC %lld ns (+- %lld, module %lld), PHC - RAW %lld ns (+- %lld), TAI %d, status %#x\n",
		       (long long)off2.off_ns, (long long)off2.err_ns,
		       (long long)h2, (long long)p2.off_ns,
		       (long long)p2.err_ns, tai1, status1);

	nerr = atomic_load(&n_errors);
	for (i = 0; i < (int)nerr && i < MAX_ERRORS; i++)
		ksft_print_msg("error: %s\n", errors[i]);
	if (nerr > MAX_ERRORS)
		ksft_print_msg("... %u errors in all\n", nerr);

	ksft_test_result(clk.steps > 100 && !atomic_load(&n_errors),
			 "no error anywhere (%u)\n", nerr);
	ksft_test_result(clk.steps > 100,
			 "clock stepper: %llu ADJ_SETOFFSET steps applied\n",
			 (unsigned long long)clk.steps);
	ksft_test_result(ntp.calls > 100, "adjtimex writer: %llu calls\n",
			 (unsigned long long)ntp.calls);
	ksft_test_result(phc.steps > 100, "PHC stepper: %llu test PHC steps\n",
			 (unsigned long long)phc.steps);
	/* A few at least; each costs seconds on a busy machine. */
	ksft_test_result(rl.reloads >= (seconds >= 30 ? 3U : 1U),
			 "%llu reloads under load\n",
			 (unsigned long long)rl.reloads);
	ksft_test_result(rl.holder_tries && rl.holder_refused == rl.holder_tries,
			 "a mapping kept the module in %llu of %llu tries\n",
			 (unsigned long long)rl.holder_refused,
			 (unsigned long long)rl.holder_tries);
	ksft_test_result(exact && exact + gone == sessions,
			 "%llu of %llu sessions accounted exactly, %llu ended by the unload\n",
			 (unsigned long long)exact, (unsigned long long)sessions,
			 (unsigned long long)gone);
	ksft_test_result(total_read > 1000 && atomic_load(&cross_compared) > 1000,
			 "%llu records read, %lu compared across views\n",
			 (unsigned long long)total_read,
			 (unsigned long)atomic_load(&cross_compared));
	{
		uint64_t g0 = listeners[0].st.gone, g1 = listeners[1].st.gone;

		/*
		 * A replay started while the module goes away fails in the
		 * netlink core with EPROTONOSUPPORT: libtsmon must say ENODEV
		 * for it like for any other sign of the module leaving, so
		 * anything else fails the listener above.
		 */
		ksft_test_result(g0 + g1 > 0,
				 "listeners stayed through %llu + %llu unloads and saw each (ENODEV)\n",
				 (unsigned long long)g0,
				 (unsigned long long)g1);
	}
	ksft_test_result(racer.opens && racer.subs,
			 "racer: %llu opens, %llu subscriptions across reloads\n",
			 (unsigned long long)racer.opens,
			 (unsigned long long)racer.subs);
	/*
	 * The module's offset is exact. Through clock_gettime() the offset is
	 * known to err_ns each time (REALTIME read on both sides of a
	 * MONOTONIC read), so two measurements agree within the sum.
	 */
	ksft_test_result(ok && h1 - h0 == clk.net_ns &&
			 llabs(off1.off_ns - off0.off_ns - clk.net_ns) <=
			 off0.err_ns + off1.err_ns,
			 "REALTIME - MONOTONIC moved by the net %+lld ns: module %+lld, measured %+lld (+- %lld)\n",
			 (long long)clk.net_ns, (long long)(h1 - h0),
			 (long long)(off1.off_ns - off0.off_ns),
			 (long long)(off0.err_ns + off1.err_ns));
	ksft_test_result(llabs(p1.off_ns - p0.off_ns - phc.net_ns) <=
			 p0.err_ns + p1.err_ns,
			 "test PHC moved by the net %+lld ns: measured %+lld (+- %lld)\n",
			 (long long)phc.net_ns,
			 (long long)(p1.off_ns - p0.off_ns),
			 (long long)(p0.err_ns + p1.err_ns));
	ksft_test_result(ok && h2 == h0 &&
			 llabs(off2.off_ns - off0.off_ns) <=
			 off0.err_ns + off2.err_ns &&
			 llabs(p2.off_ns - p0.off_ns) <= p0.err_ns + p2.err_ns,
			 "clocks restored: offset %+lld ns (module %+lld), PHC %+lld ns\n",
			 (long long)(off2.off_ns - off0.off_ns),
			 (long long)(h2 - h0), (long long)(p2.off_ns - p0.off_ns));
	ksft_test_result(status1 == ntp.saved.status && tai1 == ntp.tai0,
			 "NTP status %#x and TAI %d restored\n", status1, tai1);

	close(phc.fd);
	if (phc.nic_fd >= 0)
		close(phc.nic_fd);
	if (loaded_testphc)
		testphc_unload();
	ksft_finished();
}
