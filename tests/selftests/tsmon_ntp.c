// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_ntp - the NTP state tsmon captures from adjtimex(2), and the
 * ntp_sync, ntp_unsync, ntp_mode and ntp_state records it derives.
 *
 * Every adjtimex call the test makes goes through adj(), which checks the
 * module's capture of that very call against what the kernel returned:
 * ntp_captures counted once, the capture's CLOCK_MONOTONIC inside the call,
 * its modes, every NTP field to the unit, the sync update bookkeeping
 * (ntp_syncs, sync_mono_ns, sync_maxerror_ns, the interval history), and
 * the records the status change implies - ntp_sync / ntp_unsync when
 * STA_UNSYNC clears / sets, ntp_mode when a TSMON_NTP_MODE_BITS bit
 * changes - with their payloads, and no other record. The expected status
 * before a call is the one the kernel returned from the previous call, or
 * what the kernel is known to have done since (a step, maxerror overflow),
 * so a module that misses a kernel-side change fails the next call.
 *
 * The cases drive the kernel through everything the module follows: sync
 * updates, reads, STA_UNSYNC, the mode bits (PLL, FLL, NANO), leap second
 * requests (time_state moves at the next second boundary), frequency, PLL
 * offset and time constant, a clock step while synchronised (the kernel's
 * ntp_clear()), and the kernel setting STA_UNSYNC on its own once maxerror,
 * which it grows by 500 us every second, passes 16 s.
 *
 * The module is reloaded first: the first call after a load establishes
 * tsmon's baseline and must not produce records. The clock is stepped back
 * by the exact sum of the test's steps and the NTP state is put back.
 */
#include "tsmon_selftest.h"

#define SETTLE_MS		50
#define OFFSET_SLOP_NS		10000
#define LEAP_WAIT_MS		2500
#define MAX_SYNC_HISTORY	9	/* eight intervals */
#define STEP_NS			(1500 * NSEC_PER_MSEC)

/* Records a call may produce besides those its status change implies. */
#define ALLOW(type)		(1U << (type))

static struct tsmon *t;
static struct tsmon_cursor cur;		/* every record since the load */
static struct timex saved;		/* NTP state at the start */
static struct rt_offset off0;
static int64_t stepped_ns;		/* sum of the test's steps */
static bool have_known;
static uint32_t known_status;		/* STA_* bits the kernel holds */
static uint64_t sync_mono[MAX_SYNC_HISTORY];	/* oldest first */
static unsigned int nsync;

struct call {
	struct timex tx;		/* request in, kernel's answer out */
	int ret;
	int64_t m0, m1;			/* CLOCK_MONOTONIC around it */
	struct tsmon_health h;		/* health after the call */
	struct tsmon_record rec[8];	/* records that followed it */
	unsigned int nrec;
};

static const struct tsmon_record *find_rec(const struct call *c, uint32_t type)
{
	unsigned int i;

	for (i = 0; i < c->nrec; i++)
		if (c->rec[i].type == type)
			return &c->rec[i];
	return NULL;
}

/* The interval history tsmon must hold after a sync update at @mono. */
static void sync_push(uint64_t mono, uint64_t *last, uint64_t *longest)
{
	unsigned int i;

	if (nsync == MAX_SYNC_HISTORY) {
		memmove(sync_mono, sync_mono + 1,
			(MAX_SYNC_HISTORY - 1) * sizeof(sync_mono[0]));
		nsync--;
	}
	sync_mono[nsync++] = mono;
	*last = *longest = 0;
	if (nsync < 2)
		return;
	*last = sync_mono[nsync - 1] - sync_mono[nsync - 2];
	for (i = 1; i < nsync; i++)
		if (sync_mono[i] - sync_mono[i - 1] > *longest)
			*longest = sync_mono[i] - sync_mono[i - 1];
}

static bool check_capture(const struct tsmon_health *hb, const struct call *c,
			  bool check_state)
{
	const struct tsmon_health *h = &c->h;
	unsigned int modes = c->tx.modes;
	bool ok = true;

	ok &= field_eq("ntp_captures", h->ntp_captures, hb->ntp_captures + 1);
	if ((int64_t)h->ntp_capture_mono_ns < c->m0 ||
	    (int64_t)h->ntp_capture_mono_ns > c->m1) {
		ksft_print_msg("ntp_capture_mono_ns %llu outside the call [%lld, %lld]\n",
			       (unsigned long long)h->ntp_capture_mono_ns,
			       (long long)c->m0, (long long)c->m1);
		ok = false;
	}
	ok &= field_eq("ntp_capture_modes", h->ntp_capture_modes, modes);
	ok &= health_matches_timex(h, &c->tx,
				   check_state ? c->ret : TIME_ERROR);

	if (modes & ADJ_MAXERROR) {
		uint64_t last, longest;

		sync_push(h->ntp_capture_mono_ns, &last, &longest);
		ok &= field_eq("ntp_syncs", h->ntp_syncs, hb->ntp_syncs + 1);
		ok &= field_eq("sync_mono_ns", h->sync_mono_ns,
			       h->ntp_capture_mono_ns);
		/*
		 * The error at the update: maxerror plus the PLL offset left
		 * to slew; maxerror 0 asserts none (no budget is set here).
		 */
		int64_t off = (int64_t)h->ntp_offset_ns;
		uint64_t want = c->tx.maxerror ?
			c->tx.maxerror * USEC_NS + TSMON_SYNC_MAXERROR_ROUNDING_NS +
			(uint64_t)llabs(off) :
			TSMON_SYNC_ERROR_UNKNOWN;

		ok &= field_eq("sync_maxerror_ns", h->sync_maxerror_ns, want);
		ok &= field_eq("sync_offset_ns", h->sync_offset_ns,
			       (uint64_t)llabs(off));
		ok &= field_eq("sync_esterror_ns", h->sync_esterror_ns,
			       c->tx.esterror * USEC_NS);
		ok &= field_eq("sync_last_interval_ns",
			       h->sync_last_interval_ns, last);
		ok &= field_eq("sync_interval_ns", h->sync_interval_ns,
			       longest);
	} else {
		ok &= field_eq("ntp_syncs", h->ntp_syncs, hb->ntp_syncs);
		ok &= field_eq("sync_mono_ns", h->sync_mono_ns,
			       hb->sync_mono_ns);
		ok &= field_eq("sync_maxerror_ns", h->sync_maxerror_ns,
			       hb->sync_maxerror_ns);
		ok &= field_eq("sync_esterror_ns", h->sync_esterror_ns,
			       hb->sync_esterror_ns);
		ok &= field_eq("sync_last_interval_ns",
			       h->sync_last_interval_ns,
			       hb->sync_last_interval_ns);
		ok &= field_eq("sync_interval_ns", h->sync_interval_ns,
			       hb->sync_interval_ns);
	}
	return ok;
}

static bool check_ntp_payload(const struct tsmon_record *r,
			      const struct timex *tx)
{
	if (r->ntp.status == (uint32_t)tx->status &&
	    r->ntp.maxerror_ns == (uint64_t)tx->maxerror * USEC_NS &&
	    r->ntp.esterror_ns == (uint64_t)tx->esterror * USEC_NS)
		return true;
	print_record("payload", r);
	ksft_print_msg("want status 0x%x maxerror %lld ns esterror %lld ns\n",
		       tx->status, (long long)tx->maxerror * USEC_NS,
		       (long long)tx->esterror * USEC_NS);
	return false;
}

/*
 * The records after a call: one ntp_sync or ntp_unsync if STA_UNSYNC
 * changed, one ntp_mode if a mode bit changed (in any order, stamped
 * within the call), and otherwise only types in @allowed.
 */
static bool check_records(const struct call *c, uint32_t prev,
			  uint32_t allowed)
{
	uint32_t now = c->tx.status;
	uint32_t want = 0, seen = 0;
	bool ok = true;
	unsigned int i;

	if ((prev & STA_UNSYNC) && !(now & STA_UNSYNC))
		want |= ALLOW(TSMON_EVENT_NTP_SYNC);
	if (!(prev & STA_UNSYNC) && (now & STA_UNSYNC))
		want |= ALLOW(TSMON_EVENT_NTP_UNSYNC);
	if ((prev ^ now) & TSMON_NTP_MODE_BITS)
		want |= ALLOW(TSMON_EVENT_NTP_MODE);

	for (i = 0; i < c->nrec; i++) {
		const struct tsmon_record *r = &c->rec[i];
		uint32_t bit = r->type < 32 ? ALLOW(r->type) : 0;

		if (!(want & bit) || (seen & bit)) {
			if (!(allowed & bit)) {
				print_record("unexpected record", r);
				ok = false;
			}
			continue;
		}
		seen |= bit;
		if ((int64_t)r->mono_ns < c->m0 ||
		    (int64_t)r->mono_ns > c->m1) {
			print_record("stamped outside the call", r);
			ok = false;
		}
		if (r->type == TSMON_EVENT_NTP_MODE) {
			if (r->ntp_mode.status_before != prev ||
			    r->ntp_mode.status_after != now) {
				print_record("ntp_mode", r);
				ksft_print_msg("want status 0x%x -> 0x%x\n",
					       prev, now);
				ok = false;
			}
		} else if (!check_ntp_payload(r, &c->tx)) {
			ok = false;
		}
	}
	for (i = 0; i < 32; i++) {
		if ((want & ~seen) & ALLOW(i)) {
			ksft_print_msg("status 0x%x -> 0x%x: no %s record\n",
				       prev, now, type_name(i));
			ok = false;
		}
	}
	return ok;
}

/*
 * Makes the adjtimex call in c->tx and checks tsmon's capture of it and
 * the records it produced. @check_state: the kernel's time_state cannot
 * move between the call and the health read (no leap request pending).
 */
static bool adj(struct call *c, uint32_t allowed, bool check_state)
{
	struct tsmon_health hb;
	unsigned int modes = c->tx.modes;
	bool ok = true;
	uint32_t prev;
	int err;

	if (!read_health(t, &hb))
		return false;
	if (have_known && hb.ntp_status != known_status) {
		ksft_print_msg("health ntp_status 0x%x before the call, the kernel holds 0x%x\n",
			       hb.ntp_status, known_status);
		ok = false;
	}
	c->m0 = clk_ns(CLOCK_MONOTONIC);
	c->ret = adjtimex(&c->tx);
	c->m1 = clk_ns(CLOCK_MONOTONIC);
	if (c->ret < 0) {
		ksft_print_msg("adjtimex(modes 0x%x): %s\n", modes,
			       strerror(errno));
		return false;
	}
	/* The kernel reports the modes it was given; keep them for checks. */
	c->tx.modes = modes;

	/* Records of a call are published before it returns; allow a margin. */
	for (c->nrec = 0; c->nrec < ARRAY_SIZE(c->rec); c->nrec++) {
		err = wait_record(t, &cur, SETTLE_MS, &c->rec[c->nrec]);
		if (err == -ETIMEDOUT)
			break;
		if (err) {
			ksft_print_msg("reading the ring: %s\n", strerror(-err));
			return false;
		}
	}
	if (!read_health(t, &c->h))
		return false;

	ok &= check_capture(&hb, c, check_state);
	/* The first call after the load is the baseline: no changes. */
	prev = have_known ? known_status : (uint32_t)c->tx.status;
	ok &= check_records(c, prev, allowed);
	known_status = c->tx.status;
	have_known = true;
	return ok;
}

static bool adj_status(uint32_t status)
{
	struct call c = { .tx = { .modes = ADJ_STATUS, .status = status } };

	return adj(&c, 0, true);
}

/* ------------------------------------------------------------ cases */

static bool case_fresh(void)
{
	struct tsmon_health h;
	bool ok = true;

	if (!read_health(t, &h))
		return false;
	ok &= field_eq("ntp_captures", h.ntp_captures, 0);
	ok &= field_eq("ntp_state", h.ntp_state, TSMON_NTP_STATE_UNKNOWN);
	ok &= field_eq("ntp_status", h.ntp_status, 0);
	ok &= field_eq("ntp_syncs", h.ntp_syncs, 0);
	ok &= field_eq("sync_mono_ns", h.sync_mono_ns, 0);
	ok &= field_eq("sync_interval_ns", h.sync_interval_ns, 0);
	return ok;
}

/*
 * The kernel holds STA_UNSYNC and STA_NANO (set before the reload), which
 * a module comparing against its initial zeroes would report as changes.
 */
static bool case_baseline(void)
{
	struct call c = { .tx = { .modes = 0 } };
	bool ok = adj(&c, 0, true);

	ok &= expect_no_record(t, &cur, 200);
	if (c.h.ntp_state == TSMON_NTP_STATE_UNKNOWN ||
	    c.h.ntp_state > TIME_WAIT) {
		ksft_print_msg("ntp_state %u after the first call\n",
			       c.h.ntp_state);
		ok = false;
	}
	return ok;
}

static struct call sync1;

static bool case_sync_update(void)
{
	struct call *c = &sync1;
	bool ok;

	c->tx.modes = ADJ_MAXERROR | ADJ_ESTERROR;
	c->tx.maxerror = 123456;
	c->tx.esterror = 7890;
	ok = adj(c, 0, true);
	ok &= field_eq("ntp_maxerror_ns", c->h.ntp_maxerror_ns, 123456000);
	ok &= field_eq("ntp_esterror_ns", c->h.ntp_esterror_ns, 7890000);
	ok &= field_eq("sync_maxerror_ns", c->h.sync_maxerror_ns, 123457000);
	ok &= field_eq("ntp_syncs", c->h.ntp_syncs, 1);
	ok &= field_eq("sync_interval_ns", c->h.sync_interval_ns, 0);
	return ok;
}

static bool case_sync_interval(void)
{
	struct call c = {
		.tx = {
			.modes = ADJ_MAXERROR | ADJ_ESTERROR,
			.maxerror = 234567,
			.esterror = 8901,
		},
	};
	int64_t lo, hi, got;
	bool ok;

	sleep_ms(500);
	ok = adj(&c, 0, true);
	lo = c.m0 - sync1.m1;
	hi = c.m1 - sync1.m0;
	got = (int64_t)c.h.sync_last_interval_ns;
	ksft_print_msg("sync_last_interval_ns %lld, calls bracket [%lld, %lld]\n",
		       (long long)got, (long long)lo, (long long)hi);
	if (got < lo || got > hi || got < 500 * NSEC_PER_MSEC)
		ok = false;
	ok &= field_eq("sync_interval_ns", c.h.sync_interval_ns, got);
	ok &= field_eq("ntp_syncs", c.h.ntp_syncs, 2);
	return ok;
}

static bool case_read_only(void)
{
	struct call c = { .tx = { .modes = 0 } };

	return adj(&c, 0, true);
}

static bool case_sync_record(void)
{
	struct call c = {
		.tx = {
			.modes = ADJ_STATUS,
			.status = known_status & ~STA_UNSYNC,
		},
	};
	bool ok = adj(&c, 0, true);

	if (!find_rec(&c, TSMON_EVENT_NTP_SYNC))
		ok = false;
	if (c.ret == TIME_ERROR) {
		ksft_print_msg("time_state still hidden (status 0x%x)\n",
			       c.tx.status);
		ok = false;
	}
	return ok;
}

static bool case_unsync_record(void)
{
	struct call c = {
		.tx = {
			.modes = ADJ_STATUS,
			.status = known_status | STA_UNSYNC,
		},
	};
	bool ok = adj(&c, 0, true);

	return ok && find_rec(&c, TSMON_EVENT_NTP_UNSYNC);
}

/* Sets and clears one ADJ_STATUS mode bit: one ntp_mode record each. */
static bool case_mode_bit(uint32_t bit)
{
	bool ok = adj_status(known_status | bit);

	if (!(known_status & bit)) {
		ksft_print_msg("the kernel did not take status bit 0x%x\n", bit);
		return false;
	}
	return adj_status(known_status & ~bit) && ok;
}

/* STA_NANO is selected by ADJ_NANO / ADJ_MICRO; it ends up set. */
static bool case_nano(void)
{
	static const unsigned int seq[] = { ADJ_MICRO, ADJ_NANO, ADJ_MICRO,
					    ADJ_NANO };
	unsigned int i = known_status & STA_NANO ? 0 : 1;
	bool ok = true;

	for (; i < ARRAY_SIZE(seq); i++) {
		struct call c = { .tx = { .modes = seq[i] } };

		ok &= adj(&c, 0, true);
		ok &= find_rec(&c, TSMON_EVENT_NTP_MODE) != NULL;
	}
	return ok && (known_status & STA_NANO);
}

/* The next UTC midnight after REALTIME @real_ns. */
static int64_t next_midnight(int64_t real_ns)
{
	return (real_ns / NSEC_PER_SEC / SECS_PER_DAY + 1) * SECS_PER_DAY *
	       NSEC_PER_SEC;
}

/*
 * Waits for one record of each type in @types (bit set) after call @c,
 * taking those @c already collected, and fails on any other.
 */
static bool collect(const struct call *c, uint32_t types,
		    struct tsmon_record *out)
{
	uint32_t seen = 0;
	struct tsmon_record r;
	unsigned int i = 0;
	bool ok = true;
	int err;

	while (seen != types) {
		if (i < c->nrec) {
			r = c->rec[i++];
		} else {
			err = wait_record(t, &cur, LEAP_WAIT_MS, &r);
			if (err) {
				ksft_print_msg("waiting for records 0x%x (have 0x%x): %s\n",
					       types, seen, strerror(-err));
				return false;
			}
		}
		if (r.type >= 32 || !(types & ALLOW(r.type)) ||
		    (seen & ALLOW(r.type))) {
			print_record("unexpected record", &r);
			ok = false;
			continue;
		}
		seen |= ALLOW(r.type);
		out[r.type] = r;
	}
	return ok;
}

/* The kernel's time_state, read through a checked call. */
static bool state_is(int want)
{
	struct call c = { .tx = { .modes = 0 } };
	bool ok = adj(&c, 0, true);

	if (c.ret != want) {
		ksft_print_msg("adjtimex returned %d, want time_state %d\n",
			       c.ret, want);
		return false;
	}
	return ok;
}

/*
 * A leap second request: the kernel schedules it at the next second
 * boundary (ntp_state OK -> INS / DEL, leap_armed) and drops it at the
 * first boundary after the request is withdrawn (ntp_state back to OK,
 * leap_disarmed). STA_UNSYNC is clear, so adjtimex shows time_state.
 */
static bool case_leap(uint32_t bit, uint32_t dir, int state, bool arm)
{
	uint32_t leap_type = arm ? TSMON_EVENT_LEAP_ARMED :
			     TSMON_EVENT_LEAP_DISARMED;
	uint32_t types = ALLOW(TSMON_EVENT_NTP_STATE) | ALLOW(leap_type);
	struct tsmon_record got[32];
	static int64_t leap_real_ns;
	struct call c = {
		.tx = {
			.modes = ADJ_STATUS,
			.status = arm ? known_status | bit :
				  known_status & ~bit,
		},
	};
	const struct tsmon_record *st, *lp;
	bool ok;

	ok = adj(&c, types, false);
	if (!collect(&c, types, got))
		return false;
	st = &got[TSMON_EVENT_NTP_STATE];
	lp = &got[leap_type];
	if (st->ntp_state.state_before != (uint32_t)(arm ? TIME_OK : state) ||
	    st->ntp_state.state_after != (uint32_t)(arm ? state : TIME_OK)) {
		print_record("ntp_state", st);
		ok = false;
	}
	if (arm) {
		leap_real_ns = next_midnight((int64_t)lp->real_ns);
		if (dir == TSMON_LEAP_DELETE)
			leap_real_ns -= NSEC_PER_SEC;
	}
	if (lp->leap.direction != dir ||
	    (int64_t)lp->leap.leap_real_ns != leap_real_ns) {
		print_record(type_name(leap_type), lp);
		ksft_print_msg("want direction %u leap_real_ns %lld\n", dir,
			       (long long)leap_real_ns);
		ok = false;
	}
	return state_is(arm ? state : TIME_OK) && ok;
}

/* Frequency is state, not an event: captured exactly, no record. */
static bool case_frequency(void)
{
	static const long freqs[] = { -1234567, 3289145 };
	bool ok = true;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(freqs); i++) {
		struct call c = {
			.tx = { .modes = ADJ_FREQUENCY, .freq = freqs[i] },
		};

		ok &= adj(&c, 0, true);
		if (labs(c.tx.freq - freqs[i]) > 1) {
			ksft_print_msg("kernel took freq %ld as %ld\n",
				       freqs[i], c.tx.freq);
			ok = false;
		}
		ksft_print_msg("freq %ld -> ntp_freq_ppb %lld\n", c.tx.freq,
			       (long long)(int64_t)c.h.ntp_freq_ppb);
	}
	return ok && expect_no_record(t, &cur, 100);
}

/*
 * The PLL offset is kept only in PLL mode. It is withdrawn at once
 * (offset 0) so the kernel does not slew the clock for the rest of the
 * suite, and leaving PLL mode resets the kernel's read-only bits, STA_NANO
 * among them: ADJ_NANO puts it back.
 */
static bool case_offset_constant(void)
{
	struct call c = {
		.tx = {
			.modes = ADJ_OFFSET | ADJ_TIMECONST,
			.offset = 250000,	/* ns: STA_NANO is set */
			.constant = 3,
		},
	};
	struct call z = { .tx = { .modes = ADJ_OFFSET, .offset = 0 } };
	struct call n = { .tx = { .modes = ADJ_NANO } };
	bool ok;

	ok = adj_status(known_status | STA_PLL);
	ok &= adj(&c, 0, true);
	ksft_print_msg("offset 250000 ns -> kernel %ld, ntp_offset_ns %lld; constant %ld\n",
		       c.tx.offset, (long long)(int64_t)c.h.ntp_offset_ns,
		       c.tx.constant);
	ok &= field_eq("ntp_constant", (int32_t)c.h.ntp_constant, 3);
	if ((int64_t)c.h.ntp_offset_ns <= 0)
		ok = false;
	ok &= adj(&z, 0, true);
	ok &= field_eq("ntp_offset_ns", (int64_t)z.h.ntp_offset_ns, 0);
	ok &= adj_status(known_status & ~STA_PLL);
	if (!(known_status & STA_NANO))
		ok &= adj(&n, 0, true);
	return ok;
}

/*
 * A step while synchronised: the kernel's ntp_clear() sets STA_UNSYNC and
 * both error estimates to 16 s. tsmon reports the step first, then what it
 * did to the NTP state.
 */
static bool case_step_unsync(void)
{
	struct call c = {
		.tx = {
			.modes = ADJ_SETOFFSET | ADJ_NANO,
			.time = { .tv_sec = STEP_NS / NSEC_PER_SEC,
				  .tv_usec = STEP_NS % NSEC_PER_SEC },
		},
	};
	const struct tsmon_record *step, *unsync;
	bool ok;

	if (known_status & (STA_UNSYNC | STA_INS | STA_DEL)) {
		ksft_print_msg("status 0x%x: not synchronised before the step\n",
			       known_status);
		return false;
	}
	ok = adj(&c, ALLOW(TSMON_EVENT_CLOCK_STEP), true);
	if (c.ret >= 0)
		stepped_ns += STEP_NS;
	step = find_rec(&c, TSMON_EVENT_CLOCK_STEP);
	unsync = find_rec(&c, TSMON_EVENT_NTP_UNSYNC);
	if (!step || !unsync) {
		ksft_print_msg("want clock_step and ntp_unsync\n");
		return false;
	}
	if (unsync < step) {
		ksft_print_msg("ntp_unsync came before the clock_step\n");
		ok = false;
	}
	if ((int64_t)step->step.delta_ns != STEP_NS) {
		print_record("clock_step", step);
		ok = false;
	}
	if (unsync->ntp.maxerror_ns != NTP_PHASE_LIMIT_US * USEC_NS ||
	    unsync->ntp.esterror_ns != NTP_PHASE_LIMIT_US * USEC_NS) {
		print_record("ntp_unsync after ntp_clear()", unsync);
		ok = false;
	}
	ok &= field_eq("disrupt_mono_ns", c.h.disrupt_mono_ns, step->mono_ns);
	ok &= field_eq("disrupt_type", c.h.disrupt_type,
		       TSMON_EVENT_CLOCK_STEP);
	ok &= field_eq("offs_real_ns", (int64_t)c.h.offs_real_ns,
		       (int64_t)(step->real_ns - step->mono_ns));
	return ok;
}

/*
 * maxerror 15.999 s with STA_UNSYNC clear: the kernel adds 500 us at each
 * second boundary and sets STA_UNSYNC (maxerror clamped to 16 s) at the
 * third, 2 to 3 s later, with no adjtimex call. tsmon must report it when
 * it happens.
 */
static bool case_maxerror_overflow(void)
{
	struct call c = {
		.tx = {
			.modes = ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR,
			.status = known_status & ~STA_UNSYNC,
			.maxerror = NTP_PHASE_LIMIT_US - 1000,
			.esterror = 4321,
		},
	};
	struct call v = { .tx = { .modes = 0 } };
	struct tsmon_health h;
	struct tsmon_record r;
	uint32_t want_status;
	bool ok;
	int err;

	ok = adj(&c, 0, true);
	if (!find_rec(&c, TSMON_EVENT_NTP_SYNC))
		return false;
	want_status = known_status | STA_UNSYNC;

	err = wait_record(t, &cur, 5000, &r);
	if (err) {
		ksft_print_msg("no record within 5 s: %s\n", strerror(-err));
		return false;
	}
	print_record("after maxerror overflow", &r);
	if (r.type != TSMON_EVENT_NTP_UNSYNC || r.ntp.status != want_status ||
	    r.ntp.maxerror_ns != NTP_PHASE_LIMIT_US * USEC_NS ||
	    r.ntp.esterror_ns != 4321 * USEC_NS) {
		ksft_print_msg("want ntp_unsync status 0x%x maxerror 16 s esterror 4321 us\n",
			       want_status);
		ok = false;
	}
	if ((int64_t)r.mono_ns < c.m0 + 1900 * NSEC_PER_MSEC ||
	    (int64_t)r.mono_ns > c.m1 + 3500 * NSEC_PER_MSEC) {
		ksft_print_msg("stamped %lld ms after the call, want 2 to 3 s\n",
			       (long long)(((int64_t)r.mono_ns - c.m0) /
					   NSEC_PER_MSEC));
		ok = false;
	}
	if (!read_health(t, &h))
		return false;
	ok &= field_eq("ntp_status", h.ntp_status, want_status);
	known_status = want_status;

	/* The kernel agrees: STA_UNSYNC set, maxerror at its limit. */
	ok &= adj(&v, 0, true);
	if (!(v.tx.status & STA_UNSYNC) ||
	    v.tx.maxerror != NTP_PHASE_LIMIT_US) {
		ksft_print_msg("kernel status 0x%x maxerror %ld\n",
			       v.tx.status, v.tx.maxerror);
		ok = false;
	}
	return ok;
}

static bool case_restore(void)
{
	struct call c = { .tx = { .modes = ADJ_SETOFFSET | ADJ_NANO } };
	int64_t back = -stepped_ns;
	const struct tsmon_record *step;
	struct rt_offset now;
	struct tsmon_record r;
	struct timex tx;
	bool ok = true;
	int err;

	c.tx.time.tv_sec = back / NSEC_PER_SEC;
	c.tx.time.tv_usec = back % NSEC_PER_SEC;
	if (c.tx.time.tv_usec < 0) {
		c.tx.time.tv_usec += NSEC_PER_SEC;
		c.tx.time.tv_sec--;
	}
	if (back) {
		ok &= adj(&c, ALLOW(TSMON_EVENT_CLOCK_STEP), true);
		step = find_rec(&c, TSMON_EVENT_CLOCK_STEP);
		if (!step || (int64_t)step->step.delta_ns != back)
			ok = false;
	}
	err = ntp_restore(&saved);
	if (err) {
		ksft_print_msg("restoring the NTP state: %s\n", strerror(-err));
		ok = false;
	}
	while (!wait_record(t, &cur, SETTLE_MS, &r))
		;

	now = rt_mono_offset();
	if (llabs(now.off_ns - off0.off_ns) >
	    now.err_ns + off0.err_ns + OFFSET_SLOP_NS) {
		ksft_print_msg("REALTIME-MONOTONIC differs by %lld ns from the start\n",
			       (long long)(now.off_ns - off0.off_ns));
		ok = false;
	}
	if (ntp_read(&tx) < 0)
		return false;
	if (tx.status != saved.status || tx.freq != saved.freq ||
	    tx.tick != saved.tick || tx.constant != saved.constant) {
		ksft_print_msg("NTP state: status 0x%x freq %ld tick %ld constant %ld, was 0x%x %ld %ld %ld\n",
			       tx.status, tx.freq, tx.tick, tx.constant,
			       saved.status, saved.freq, saved.tick,
			       saved.constant);
		ok = false;
	}
	return ok;
}

/*
 * Leap requests take effect at the next UTC midnight; keep the few
 * seconds they are pending clear of one.
 */
static void avoid_midnight(void)
{
	int64_t now = clk_ns(CLOCK_REALTIME);
	int64_t m = next_midnight(now);

	if (m - now < 60 * NSEC_PER_SEC) {
		ksft_print_msg("waiting for UTC midnight to pass\n");
		sleep_until_real(m + 2 * NSEC_PER_SEC, 70000);
	}
}

int main(void)
{
	struct tsmon_health h;
	struct timex tx = { .modes = ADJ_NANO };
	int err;

	selftest_start(21);
	if (ntp_read(&saved) < 0)
		ksft_exit_fail_msg("adjtimex: %s\n", strerror(errno));
	off0 = rt_mono_offset();
	avoid_midnight();

	/* A baseline with bits set (see case_baseline()). */
	if (adjtimex(&tx) < 0 || ntp_set_status(saved.status | STA_UNSYNC))
		ksft_exit_fail_msg("adjtimex: %s\n", strerror(errno));
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
	tsmon_cursor_init(t, &cur, TSMON_FROM_NOW, 0);

	ksft_test_result(case_fresh(),
			 "fresh load: no NTP state before the first adjtimex call\n");
	ksft_test_result(case_baseline(),
			 "first call is the baseline: captured, no records\n");
	ksft_test_result(case_sync_update(),
			 "sync update: errors exact, sync_mono_ns within the call\n");
	ksft_test_result(case_sync_interval(),
			 "second sync update: interval bracketed by the calls\n");
	ksft_test_result(case_read_only(),
			 "read-only call: captured, not a sync update\n");
	ksft_test_result(case_sync_record(),
			 "STA_UNSYNC cleared: ntp_sync with status and errors\n");
	ksft_test_result(case_unsync_record(),
			 "STA_UNSYNC set: ntp_unsync with status and errors\n");
	ksft_test_result(adj_status(known_status & ~STA_UNSYNC),
			 "STA_UNSYNC cleared again: time_state visible\n");
	ksft_test_result(case_mode_bit(STA_PLL),
			 "STA_PLL set and cleared: ntp_mode each, status exact\n");
	ksft_test_result(case_mode_bit(STA_FLL),
			 "STA_FLL set and cleared: ntp_mode each, status exact\n");
	ksft_test_result(case_mode_bit(STA_FREQHOLD),
			 "STA_FREQHOLD set and cleared: ntp_mode each\n");
	ksft_test_result(case_nano(),
			 "STA_NANO toggled (ADJ_MICRO/ADJ_NANO): ntp_mode each\n");
	ksft_test_result(case_leap(STA_INS, TSMON_LEAP_INSERT, TIME_INS, true),
			 "STA_INS: ntp_state ok->ins and leap_armed insert\n");
	ksft_test_result(case_leap(STA_INS, TSMON_LEAP_INSERT, TIME_INS, false),
			 "STA_INS cleared: ntp_state ins->ok and leap_disarmed\n");
	ksft_test_result(case_leap(STA_DEL, TSMON_LEAP_DELETE, TIME_DEL, true),
			 "STA_DEL: ntp_state ok->del and leap_armed delete\n");
	ksft_test_result(case_leap(STA_DEL, TSMON_LEAP_DELETE, TIME_DEL, false),
			 "STA_DEL cleared: ntp_state del->ok and leap_disarmed\n");
	ksft_test_result(case_frequency(),
			 "ADJ_FREQUENCY: ntp_freq_ppb exact, no record\n");
	ksft_test_result(case_offset_constant(),
			 "ADJ_OFFSET/ADJ_TIMECONST: ntp_offset_ns, ntp_constant exact\n");
	ksft_test_result(case_step_unsync(),
			 "step while synchronised: clock_step, then ntp_unsync (16 s)\n");
	ksft_test_result(case_maxerror_overflow(),
			 "kernel maxerror overflow: ntp_unsync without a call\n");
	ksft_test_result(case_restore(),
			 "clock and NTP state restored\n");
	tsmon_close(t);
	ksft_finished();
}
