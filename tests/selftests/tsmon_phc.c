// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_phc - PTP hardware clock (PHC) events and the PHC table.
 *
 * Two kinds of PHC are driven. The guest's e1000e PHC, a real driver, is
 * stepped, set and tuned through clock_settime()/clock_adjtime() on its
 * file descriptor (values chosen so that each record can be predicted to
 * the nanosecond, and the frequency limiter's every decision) and then
 * through linuxptp's phc_ctl, to show that the real tool's calls are seen
 * the same way. (QEMU's model of the e1000e clock does not advance; that
 * does not matter here, the calls still go through the driver.)
 *
 * The test PHC module (tests/phc/tsmon_testphc.c) supplies what e1000e
 * lacks: phase adjustment, external timestamps, PPS, and PHCs that come
 * and go, including more than the table holds. The tsmon module is
 * reloaded once, to see PHCs that were present before it.
 *
 * Leaves tsmon loaded with its parameters as found, the test PHC module
 * unloaded and the e1000e PHC set to the system time at frequency 0.
 */
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <linux/magic.h>
#include <linux/ptp_clock.h>

#include "tsmon_selftest.h"

#ifndef PTP_EXT_OFFSET
#define PTP_EXT_OFFSET		(1 << 4)	/* uapi of 6.12 */
#endif

#define TESTPHC_SLOTS_USED	(TSMON_PHC_SLOTS + 1)	/* PHCs for overflow */
#define LINUXPTP_SBIN		"build/linuxptp/usr/sbin"
#define PARAM_THRESHOLD		"phc_freq_threshold_ppb"
#define PARAM_INTERVAL		"phc_freq_interval_ms"

/* Records are taken with the fast clock accessors: allow their skew. */
#define MONO_SLOP_NS		100000
#define OFFSET_SLOP_NS		10000
/*
 * A PHC record's mono_ns and real_ns are two clock reads, real after mono,
 * so real - mono exceeds REALTIME - MONOTONIC by the time between them:
 * milliseconds when an interrupt comes in between under emulation.
 */
#define REAL_AFTER_MONO_NS	(100 * NSEC_PER_MSEC)
#define RECORD_WAIT_MS		2000

/* The frequency limiter's interval in the interval cases. */
#define INTERVAL_MS		1000

static struct tsmon *t;
static struct rt_offset off0;

static int e_idx = -1;		/* a PHC of a real driver (e1000e) */
static int e_fd = -1;
static clockid_t e_clk;
static int e_max_adj;
static bool e_restored;		/* its frequency and time put back */

static unsigned long saved_threshold, saved_interval;
static bool params_saved;

/* ------------------------------------------------------------ helpers */

/* The PTP core's scaled_ppm_to_ppb(): (1 + scaled) * 125 >> 13, floored. */
static int64_t kernel_ppb(int64_t scaled)
{
	int64_t n = (1 + scaled) * 125;

	return n >= 0 ? n / 8192 : -((-n + 8191) / 8192);
}

/* scaled_ppm of @ppb; exact when @ppb is a multiple of 125. */
static int64_t ppb_scaled(int64_t ppb)
{
	return ppb * 8192 / 125;
}

static void phc_types_only(void)
{
	uint32_t type;

	/* Everything that is not a PHC record is someone else's test. */
	for (type = 0; type < 32; type++)
		if (type < TSMON_EVENT_PHC_STEP || type > TSMON_EVENT_PHC_REMOVE)
			selftest_skip_types |= 1U << type;
}

static bool next_rec(struct tsmon_cursor *c, struct tsmon_record *r)
{
	int err = wait_record(t, c, RECORD_WAIT_MS, r);

	if (err) {
		ksft_print_msg("no PHC record: %s\n", strerror(-err));
		return false;
	}
	return true;
}

/*
 * What every PHC record must hold: its type, the PHC's index (first in
 * every PHC payload), a CLOCK_MONOTONIC inside the call that caused it
 * (@m1 < 0: any time), and real - mono the REALTIME - MONOTONIC offset
 * (nothing steps REALTIME here).
 */
static bool check_rec(const struct tsmon_record *r, uint32_t type,
		      int index, int64_t m0, int64_t m1)
{
	int64_t off = (int64_t)(r->real_ns - r->mono_ns);
	bool ok = true;

	if (r->type != type) {
		ksft_print_msg("record type %u (%s), want %u (%s)\n", r->type,
			       type_name(r->type), type, type_name(type));
		print_record("record", r);
		return false;
	}
	if (r->phc.index != (uint32_t)index) {
		ksft_print_msg("%s: index %u, want %d\n", type_name(type),
			       r->phc.index, index);
		ok = false;
	}
	if (m1 >= 0 && ((int64_t)r->mono_ns < m0 - MONO_SLOP_NS ||
			(int64_t)r->mono_ns > m1 + MONO_SLOP_NS)) {
		ksft_print_msg("%s: mono_ns %llu outside the call [%lld, %lld]\n",
			       type_name(type), (unsigned long long)r->mono_ns,
			       (long long)m0, (long long)m1);
		ok = false;
	}
	if (off < off0.off_ns - off0.err_ns - OFFSET_SLOP_NS ||
	    off > off0.off_ns + off0.err_ns + REAL_AFTER_MONO_NS) {
		ksft_print_msg("%s: real-mono %lld, REALTIME-MONOTONIC %lld\n",
			       type_name(type), (long long)off,
			       (long long)off0.off_ns);
		ok = false;
	}
	if (!ok)
		print_record("record", r);
	return ok;
}

static bool read_h(struct tsmon_health *h)
{
	if (!read_health(t, h))
		return false;
	if (h->phc_count > TSMON_PHC_SLOTS) {
		ksft_print_msg("phc_count %u > %u slots\n", h->phc_count,
			       TSMON_PHC_SLOTS);
		return false;
	}
	return true;
}

static const struct tsmon_phc_slot *slot_of(const struct tsmon_health *h,
					    int index)
{
	uint32_t i;

	for (i = 0; i < h->phc_count; i++)
		if (h->phc[i].index == (uint32_t)index)
			return &h->phc[i];
	return NULL;
}

/* Compares a slot's or record's name with the driver's, as tsmon stores it. */
static bool name_is(const __u64 *words, const char *want)
{
	char got[TSMON_NAME_WORDS * 8 + 1];
	char trunc[TSMON_NAME_WORDS * 8];

	abi_name(got, sizeof(got), words, TSMON_NAME_WORDS);
	snprintf(trunc, sizeof(trunc), "%s", want);
	if (strcmp(got, trunc)) {
		ksft_print_msg("name '%s', want '%s'\n", got, trunc);
		return false;
	}
	return true;
}

static bool set_params(unsigned long threshold, unsigned long interval)
{
	int err = tsmon_param_set(PARAM_THRESHOLD, threshold);

	if (!err)
		err = tsmon_param_set(PARAM_INTERVAL, interval);
	if (err)
		ksft_print_msg("setting the PHC frequency parameters: %s\n",
			       strerror(-err));
	return !err;
}

/* ADJ_SETOFFSET of @delta_ns, in ns or (!@nano) in us; 0 or -errno. */
static int phc_setoffset(clockid_t clk, int64_t delta_ns, bool nano)
{
	struct timex tx = { .modes = ADJ_SETOFFSET };
	int64_t sec = delta_ns / NSEC_PER_SEC;
	int64_t frac = delta_ns % NSEC_PER_SEC;

	if (frac < 0) {
		frac += NSEC_PER_SEC;
		sec--;
	}
	tx.time.tv_sec = sec;
	if (nano) {
		tx.modes |= ADJ_NANO;
		tx.time.tv_usec = frac;
	} else {
		tx.time.tv_usec = frac / 1000;
	}
	return clock_adjtime(clk, &tx) < 0 ? -errno : 0;
}

static int phc_freq(clockid_t clk, int64_t scaled)
{
	struct timex tx = { .modes = ADJ_FREQUENCY, .freq = scaled };

	return clock_adjtime(clk, &tx) < 0 ? -errno : 0;
}

static int phc_settime(clockid_t clk, int64_t ns)
{
	struct timespec ts = {
		.tv_sec = ns / NSEC_PER_SEC,
		.tv_nsec = ns % NSEC_PER_SEC,
	};

	return clock_settime(clk, &ts) ? -errno : 0;
}

/* Runs a command, its output shown as diagnostics; its exit status. */
static int run_logged(const char *const argv[])
{
	char line[512];
	int pfd[2], status;
	FILE *out;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (!pid) {
		dup2(pfd[1], STDOUT_FILENO);
		dup2(pfd[1], STDERR_FILENO);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	out = fdopen(pfd[0], "r");
	while (out && fgets(line, sizeof(line), out))
		ksft_print_msg("  %s: %s", argv[0], line);
	if (out)
		fclose(out);
	else
		close(pfd[0]);
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ----------------------------------------------------- the test PHCs */

static char testphc_path[256];

/* Loads the test PHCs, or says why not; 0 or -errno. */
static int load_module(unsigned int count)
{
	int err = testphc_load(count);

	if (err)
		ksft_print_msg("loading %s count=%u: %s\n", testphc_path,
			       count, strerror(-err));
	return err;
}

static int unload_module(void)
{
	int err = testphc_unload();

	if (err)
		ksft_print_msg("unloading %s: %s\n", TESTPHC_MOD,
			       strerror(-err));
	return err;
}

/* Writes @s to the test PHC's debugfs @file; 0 or -errno. */
static int testphc_write(int index, const char *file, const char *s)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), DEBUGFS_DIR "/" TESTPHC_MOD "/ptp%d/%s",
		 index, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	n = n < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

static int extts_enable(int fd, unsigned int channel, bool on)
{
	struct ptp_extts_request req = {
		.index = channel,
		.flags = on ? PTP_ENABLE_FEATURE | PTP_RISING_EDGE : 0,
	};

	return ioctl(fd, PTP_EXTTS_REQUEST, &req) ? -errno : 0;
}

/* ------------------------------------------------- the e1000e cases */

static bool case_table_at_load(void)
{
	const struct tsmon_phc_slot *s;
	struct tsmon_health h;
	char name[64];

	if (!read_h(&h) || !phc_name(e_idx, name, sizeof(name)))
		return false;
	s = slot_of(&h, e_idx);
	if (!s) {
		ksft_print_msg("no slot for ptp%d among %u\n", e_idx,
			       h.phc_count);
		return false;
	}
	if (s->flags != TSMON_PHC_AT_LOAD) {
		ksft_print_msg("ptp%d slot flags %#x, want AT_LOAD\n", e_idx,
			       s->flags);
		return false;
	}
	return name_is(s->name, name);
}

static struct tsmon_phc_slot e_slot0;	/* the e1000e slot before the steps */
static unsigned int e_steps;
static int64_t e_last_delta;
static uint64_t e_last_mono;

/*
 * Books a phc_step record of the e1000e PHC (first, so that one failed
 * check does not spoil the count for the cases after it); the slot must
 * show it at once. Other records are left alone.
 */
static bool e_step_done(const struct tsmon_record *r)
{
	const struct tsmon_phc_slot *s;
	struct tsmon_health h;

	if (r->type != TSMON_EVENT_PHC_STEP || r->phc.index != (uint32_t)e_idx)
		return true;
	e_steps++;
	e_last_delta = r->phc_step.how == TSMON_PHC_SETOFFSET ?
		       (int64_t)r->phc_step.delta_ns : 0;
	e_last_mono = r->mono_ns;
	if (!read_h(&h))
		return false;
	s = slot_of(&h, e_idx);
	if (!s) {
		ksft_print_msg("the slot of ptp%d is gone\n", e_idx);
		return false;
	}
	if (s->steps - e_slot0.steps != e_steps ||
	    (int64_t)s->last_step_delta_ns != e_last_delta ||
	    s->last_step_mono_ns != e_last_mono) {
		ksft_print_msg("slot: steps +%llu (want %u) last delta %lld (want %lld) mono %llu (want %llu)\n",
			       (unsigned long long)(s->steps - e_slot0.steps),
			       e_steps, (long long)(int64_t)s->last_step_delta_ns,
			       (long long)e_last_delta,
			       (unsigned long long)s->last_step_mono_ns,
			       (unsigned long long)e_last_mono);
		return false;
	}
	return true;
}

static bool case_settime(void)
{
	const int64_t when = 1000000000LL * NSEC_PER_SEC + 123456789;
	struct tsmon_cursor c;
	struct tsmon_record r;
	int64_t m0, m1;
	int err;

	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	m0 = clk_ns(CLOCK_MONOTONIC);
	err = phc_settime(e_clk, when);
	m1 = clk_ns(CLOCK_MONOTONIC);
	if (err) {
		ksft_print_msg("clock_settime(ptp%d): %s\n", e_idx,
			       strerror(-err));
		return false;
	}
	if (!next_rec(&c, &r) || !e_step_done(&r) ||
	    !check_rec(&r, TSMON_EVENT_PHC_STEP, e_idx, m0, m1))
		return false;
	if (r.phc_step.how != TSMON_PHC_SETTIME ||
	    r.phc_step.time_ns != (uint64_t)when || r.phc_step.delta_ns) {
		ksft_print_msg("how %u time_ns %llu delta_ns %lld, want settime %lld 0\n",
			       r.phc_step.how,
			       (unsigned long long)r.phc_step.time_ns,
			       (long long)(int64_t)r.phc_step.delta_ns,
			       (long long)when);
		return false;
	}
	return expect_no_record(t, &c, 0);
}

static bool case_setoffset(int64_t delta, bool nano)
{
	struct tsmon_cursor c;
	struct tsmon_record r;
	int64_t m0, m1;
	int err;

	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	m0 = clk_ns(CLOCK_MONOTONIC);
	err = phc_setoffset(e_clk, delta, nano);
	m1 = clk_ns(CLOCK_MONOTONIC);
	if (err) {
		ksft_print_msg("ADJ_SETOFFSET %lld: %s\n", (long long)delta,
			       strerror(-err));
		return false;
	}
	if (!next_rec(&c, &r) || !e_step_done(&r) ||
	    !check_rec(&r, TSMON_EVENT_PHC_STEP, e_idx, m0, m1))
		return false;
	if (r.phc_step.how != TSMON_PHC_SETOFFSET ||
	    (int64_t)r.phc_step.delta_ns != delta || r.phc_step.time_ns) {
		ksft_print_msg("how %u delta_ns %lld time_ns %llu, want setoffset %lld 0\n",
			       r.phc_step.how,
			       (long long)(int64_t)r.phc_step.delta_ns,
			       (unsigned long long)r.phc_step.time_ns,
			       (long long)delta);
		return false;
	}
	return expect_no_record(t, &c, 0);
}

/* A settime after offsets: the slot's last delta is 0 again. */
static bool case_settime_after_offsets(void)
{
	if (e_last_delta == 0) {
		ksft_print_msg("no ADJ_SETOFFSET before the settime\n");
		return false;
	}
	return case_settime();
}

/*
 * Frequency: the test keeps its own model of the limiter (last recorded
 * ppb, changes since) and every call is checked against it. @want_record
 * is what the parameters in force make of the call; the model follows.
 */
#define SUPPRESSED_UNKNOWN	UINT64_MAX

static unsigned int e_freq_calls;
static int64_t e_last_ppb;
/* Changes since the last record; unknown before the test's first record. */
static uint64_t e_suppressed = SUPPRESSED_UNKNOWN;
static uint64_t e_rec_mono;	/* CLOCK_MONOTONIC of the last phc_freq */

static bool freq_call(int64_t scaled, bool want_record, const char *why)
{
	int64_t ppb = kernel_ppb(scaled);
	struct tsmon_cursor c;
	struct tsmon_record r;
	int64_t m0, m1;
	int err;

	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	m0 = clk_ns(CLOCK_MONOTONIC);
	err = phc_freq(e_clk, scaled);
	m1 = clk_ns(CLOCK_MONOTONIC);
	if (err) {
		ksft_print_msg("ADJ_FREQUENCY %lld: %s\n", (long long)scaled,
			       strerror(-err));
		return false;
	}
	e_freq_calls++;
	e_last_ppb = ppb;
	if (!want_record) {
		if (e_suppressed != SUPPRESSED_UNKNOWN)
			e_suppressed++;
		if (expect_no_record(t, &c, 0))
			return true;
		ksft_print_msg("%lld ppb: recorded, want suppressed (%s)\n",
			       (long long)ppb, why);
		return false;
	}
	if (!next_rec(&c, &r)) {
		ksft_print_msg("%lld ppb: not recorded (%s)\n", (long long)ppb,
			       why);
		return false;
	}
	if (!check_rec(&r, TSMON_EVENT_PHC_FREQ, e_idx, m0, m1))
		return false;
	if ((int64_t)r.phc_freq.freq_ppb != ppb ||
	    (int64_t)r.phc_freq.scaled_ppm != scaled ||
	    (e_suppressed != SUPPRESSED_UNKNOWN &&
	     r.phc_freq.suppressed != e_suppressed)) {
		ksft_print_msg("phc_freq %lld ppb scaled %lld suppressed %llu, want %lld %lld %llu (%s)\n",
			       (long long)(int64_t)r.phc_freq.freq_ppb,
			       (long long)(int64_t)r.phc_freq.scaled_ppm,
			       (unsigned long long)r.phc_freq.suppressed,
			       (long long)ppb, (long long)scaled,
			       (unsigned long long)e_suppressed, why);
		return false;
	}
	e_suppressed = 0;
	e_rec_mono = r.mono_ns;
	return expect_no_record(t, &c, 0);
}

/*
 * Every call recorded, the exact value, whatever the change. The first
 * record's suppressed count covers changes made before this test (by an
 * earlier run, say): from then on the test knows them all.
 */
static bool case_freq_exact(void)
{
	static const int64_t scaled[] = {
		809042,		/* 12345 ppb, the core rounding up */
		-3276800,	/* -50 ppm exactly */
		65536000,	/* +1000 ppm */
		1, -1,		/* both 0 ppb: a change of 0 is recorded */
		0,
	};
	bool ok = true;
	size_t i;

	if (!set_params(0, 0))
		return false;
	for (i = 0; i < ARRAY_SIZE(scaled); i++)
		ok &= freq_call(scaled[i], true, "threshold 0, interval 0");
	return ok;
}

/* Against the last recorded value, never against the last set one. */
static bool case_freq_threshold(void)
{
	static const struct {
		int64_t ppb;
		bool record;
	} seq[] = {
		{ 875, false },		/* 875 from the recorded 0 */
		{ -875, false },
		{ 1000, true },		/* exactly the threshold */
		{ 1875, false },	/* 875 from 1000 */
		{ 2750, true },		/* 875 from 1875, but 1750 from 1000 */
		{ 1875, false },
		{ 1750, true },		/* -1000 */
		{ 2625, false },
	};
	bool ok = true;
	size_t i;

	if (!set_params(1000, 0))
		return false;
	for (i = 0; i < ARRAY_SIZE(seq); i++)
		ok &= freq_call(ppb_scaled(seq[i].ppb), seq[i].record,
				"threshold 1000 ppb");
	return ok;
}

/* Sleeps until @ms after CLOCK_MONOTONIC @from_ns (and a margin). */
static void sleep_past(uint64_t from_ns, int64_t ms)
{
	int64_t wait = (int64_t)from_ns + ms * NSEC_PER_MSEC + 50 * NSEC_PER_MSEC -
		       clk_ns(CLOCK_MONOTONIC);

	if (wait > 0)
		sleep_ms(wait / NSEC_PER_MSEC + 1);
}

/* Within the interval of the last record: suppressed; after it: recorded. */
static bool case_freq_interval(void)
{
	bool ok = true;
	int64_t now;

	now = clk_ns(CLOCK_MONOTONIC);
	if (now - (int64_t)e_rec_mono > (INTERVAL_MS / 2) * NSEC_PER_MSEC) {
		/* Start a fresh interval: the last record is too old. */
		if (!set_params(0, 0) ||
		    !freq_call(ppb_scaled(e_last_ppb + 125), true, "restart"))
			return false;
	}
	if (!set_params(0, INTERVAL_MS))
		return false;
	ok &= freq_call(ppb_scaled(e_last_ppb + 5000), false,
			"within the interval");
	sleep_past(e_rec_mono, INTERVAL_MS);
	ok &= freq_call(ppb_scaled(e_last_ppb + 125), true,
			"after the interval");
	ok &= freq_call(ppb_scaled(e_last_ppb - 5000), false,
			"within the interval");
	ok &= freq_call(ppb_scaled(e_last_ppb), false, "within the interval");
	if (!set_params(0, 0))
		return false;
	ok &= freq_call(ppb_scaled(e_last_ppb), true, "interval 0");
	return ok;
}

/* A record needs both: a big enough change and the interval elapsed. */
static bool case_freq_both(void)
{
	int64_t base;
	bool ok = true;

	/* The last call of the interval case was recorded just now. */
	if (!set_params(1000, INTERVAL_MS))
		return false;
	base = e_last_ppb;
	ok &= freq_call(ppb_scaled(base + 2000), false,
			"big change within the interval");
	sleep_past(e_rec_mono, INTERVAL_MS);
	ok &= freq_call(ppb_scaled(base + 125), false,
			"small change after the interval");
	ok &= freq_call(ppb_scaled(base - 1125), true,
			"big change after the interval");
	return ok;
}

static bool case_freq_health(void)
{
	const struct tsmon_phc_slot *s;
	struct tsmon_health h;

	if (!read_h(&h))
		return false;
	s = slot_of(&h, e_idx);
	if (!s)
		return false;
	if ((int64_t)s->freq_ppb != e_last_ppb ||
	    s->freq_updates - e_slot0.freq_updates != e_freq_calls) {
		ksft_print_msg("slot freq_ppb %lld (want %lld), freq_updates +%llu (want %u)\n",
			       (long long)(int64_t)s->freq_ppb,
			       (long long)e_last_ppb,
			       (unsigned long long)(s->freq_updates -
						    e_slot0.freq_updates),
			       e_freq_calls);
		return false;
	}
	return true;
}

/*
 * Calls the PHC refuses leave no trace, reads are not changes, and
 * ADJ_SETOFFSET takes precedence over ADJ_FREQUENCY as in the PTP core.
 */
static bool case_rejected(void)
{
	struct tsmon_health h0, h;
	struct tsmon_cursor c;
	struct tsmon_record r;
	struct timex tx;
	int64_t m0, m1;
	bool ok = true;
	int err;

	if (!set_params(0, 0) || !read_h(&h0))
		return false;
	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);

	err = phc_freq(e_clk, ppb_scaled((int64_t)e_max_adj + 1000));
	if (err != -ERANGE) {
		ksft_print_msg("ADJ_FREQUENCY beyond max_adj %d: %s, want ERANGE\n",
			       e_max_adj, strerror(-err));
		ok = false;
	}
	memset(&tx, 0, sizeof(tx));
	tx.modes = ADJ_OFFSET | ADJ_NANO;
	tx.offset = 1000;
	if (!clock_adjtime(e_clk, &tx)) {
		ksft_print_msg("ADJ_OFFSET accepted by ptp%d without adjphase\n",
			       e_idx);
		ok = false;
	}
	memset(&tx, 0, sizeof(tx));
	tx.modes = ADJ_SETOFFSET | ADJ_NANO;
	tx.time.tv_usec = NSEC_PER_SEC;		/* not a fraction */
	if (!clock_adjtime(e_clk, &tx)) {
		ksft_print_msg("ADJ_SETOFFSET with tv_usec 1e9 accepted\n");
		ok = false;
	}
	memset(&tx, 0, sizeof(tx));
	if (clock_adjtime(e_clk, &tx) < 0) {
		ksft_print_msg("reading ptp%d: %s\n", e_idx, strerror(errno));
		ok = false;
	}
	if (!expect_no_record(t, &c, 0))
		ok = false;

	memset(&tx, 0, sizeof(tx));
	tx.modes = ADJ_SETOFFSET | ADJ_FREQUENCY | ADJ_NANO;
	tx.time.tv_usec = 1000;
	tx.freq = ppb_scaled(e_max_adj / 2);
	m0 = clk_ns(CLOCK_MONOTONIC);
	err = clock_adjtime(e_clk, &tx) < 0 ? -errno : 0;
	m1 = clk_ns(CLOCK_MONOTONIC);
	if (err) {
		ksft_print_msg("ADJ_SETOFFSET|ADJ_FREQUENCY: %s\n",
			       strerror(-err));
		return false;
	}
	if (!next_rec(&c, &r) || !e_step_done(&r) ||
	    !check_rec(&r, TSMON_EVENT_PHC_STEP, e_idx, m0, m1) ||
	    r.phc_step.how != TSMON_PHC_SETOFFSET ||
	    (int64_t)r.phc_step.delta_ns != 1000)
		ok = false;
	if (!expect_no_record(t, &c, 0))
		ok = false;

	if (!read_h(&h) || !slot_of(&h, e_idx) || !slot_of(&h0, e_idx))
		return false;
	if (slot_of(&h, e_idx)->freq_updates != slot_of(&h0, e_idx)->freq_updates ||
	    slot_of(&h, e_idx)->freq_ppb != slot_of(&h0, e_idx)->freq_ppb) {
		ksft_print_msg("a refused or overridden frequency reached the table\n");
		ok = false;
	}
	return ok;
}

/* linuxptp's phc_ctl, as an administrator would run it. */
static bool case_phc_ctl(void)
{
	const char *ctl = LINUXPTP_SBIN "/phc_ctl";
	char dev[32];
	/* phc_ctl parses negative numbers as options unless after "--". */
	const struct {
		const char *argv[7];	/* NULL-terminated */
		uint32_t type;		/* 0: nothing to record */
		uint32_t how;		/* phc_step: enum tsmon_phc_step_how */
		int64_t value;		/* time_ns, delta_ns or ppb */
	} runs[] = {
		{ { ctl, "-q", dev, "set", "1000000000.5" }, TSMON_EVENT_PHC_STEP,
		  TSMON_PHC_SETTIME, 1000000000LL * NSEC_PER_SEC + 500000000 },
		{ { ctl, "-q", dev, "--", "adj", "-0.25" }, TSMON_EVENT_PHC_STEP,
		  TSMON_PHC_SETOFFSET, -250000000 },
		{ { ctl, "-q", dev, "freq", "12345" }, TSMON_EVENT_PHC_FREQ,
		  0, 12345 },
		{ { ctl, "-q", dev, "--", "freq", "-500000" },
		  TSMON_EVENT_PHC_FREQ, 0, -500000 },
		{ { ctl, "-q", dev, "freq" }, 0, 0, 0 },	/* a read */
		{ { ctl, "-q", dev, "get" }, 0, 0, 0 },
	};
	bool ok = true;
	size_t i;

	snprintf(dev, sizeof(dev), "/dev/ptp%d", e_idx);
	if (!set_params(0, 0))
		return false;
	for (i = 0; i < ARRAY_SIZE(runs); i++) {
		struct tsmon_cursor c;
		struct tsmon_record r;
		int64_t m0, m1, got, scaled;
		int status;

		tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
		m0 = clk_ns(CLOCK_MONOTONIC);
		status = run_logged(runs[i].argv);
		m1 = clk_ns(CLOCK_MONOTONIC);
		if (status) {
			ksft_print_msg("phc_ctl run %zu: exit status %d\n", i,
				       status);
			ok = false;
			continue;
		}
		if (!runs[i].type) {
			ok &= expect_no_record(t, &c, 0);
			continue;
		}
		if (!next_rec(&c, &r)) {
			ok = false;
			continue;
		}
		ok &= e_step_done(&r);
		if (!check_rec(&r, runs[i].type, e_idx, m0, m1)) {
			ok = false;
			continue;
		}
		if (r.type == TSMON_EVENT_PHC_STEP) {
			got = r.phc_step.how == TSMON_PHC_SETTIME ?
			      (int64_t)r.phc_step.time_ns :
			      (int64_t)r.phc_step.delta_ns;
			if (r.phc_step.how != runs[i].how ||
			    got != runs[i].value) {
				ksft_print_msg("phc_ctl run %zu: how %u value %lld, want %u %lld\n",
					       i, r.phc_step.how, (long long)got,
					       runs[i].how,
					       (long long)runs[i].value);
				ok = false;
			}
		} else {
			/* phc_ctl converts ppb to scaled ppm itself. */
			scaled = (int64_t)r.phc_freq.scaled_ppm;
			got = (int64_t)r.phc_freq.freq_ppb;
			if (llabs(scaled * 1000 - runs[i].value * 65536) > 1000 ||
			    got != kernel_ppb(scaled) ||
			    llabs(got - runs[i].value) > 1) {
				ksft_print_msg("phc_ctl freq %lld: scaled %lld ppb %lld\n",
					       (long long)runs[i].value,
					       (long long)scaled, (long long)got);
				ok = false;
			}
		}
		ok &= expect_no_record(t, &c, 0);
	}
	return ok;
}

/* --------------------------------------------------- test PHC cases */

static int tp_idx = -1;		/* the test PHC */
static struct tsmon_record tp_add;	/* its phc_add */
static int tp_fd = -1;
static clockid_t tp_clk;
static uint32_t phc_count0;	/* slots in use without the test PHC */

static bool tp_open(void)
{
	tp_fd = phc_open(tp_idx, &tp_clk);
	if (tp_fd < 0) {
		ksft_print_msg("opening /dev/ptp%d: %s\n", tp_idx,
			       strerror(-tp_fd));
		return false;
	}
	return true;
}

static void tp_close(void)
{
	if (tp_fd >= 0)
		close(tp_fd);
	tp_fd = -1;
}

/* Loads @count test PHCs; each one's phc_add record, in order. */
static bool load_testphcs(unsigned int count, struct tsmon_record *adds)
{
	struct tsmon_cursor c;
	int64_t m0, m1;
	unsigned int i;
	bool ok = true;

	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	m0 = clk_ns(CLOCK_MONOTONIC);
	if (load_module(count))
		return false;
	m1 = clk_ns(CLOCK_MONOTONIC);
	for (i = 0; i < count; i++) {
		char name[32];
		int idx = testphc_index(i);

		testphc_name(i, name, sizeof(name));
		if (idx < 0) {
			ksft_print_msg("no PHC named %s after loading\n", name);
			return false;
		}
		if (!next_rec(&c, &adds[i]) ||
		    !check_rec(&adds[i], TSMON_EVENT_PHC_ADD, idx, m0, m1) ||
		    !name_is(adds[i].phc.name, name)) {
			ok = false;
			continue;
		}
		if (adds[i].phc.flags) {
			ksft_print_msg("phc_add of a new PHC with flags %#x\n",
				       adds[i].phc.flags);
			ok = false;
		}
	}
	return ok && expect_no_record(t, &c, 0);
}

static bool case_testphc_add(void)
{
	const struct tsmon_phc_slot *s;
	struct tsmon_health h0, h;

	if (!read_h(&h0))
		return false;
	phc_count0 = h0.phc_count;
	if (!load_testphcs(1, &tp_add))
		return false;
	tp_idx = testphc_index(0);
	if (!read_h(&h))
		return false;
	s = slot_of(&h, tp_idx);
	if (h.phc_count != phc_count0 + 1 || !s) {
		ksft_print_msg("phc_count %u (was %u), slot for ptp%d %s\n",
			       h.phc_count, phc_count0, tp_idx,
			       s ? "present" : "missing");
		return false;
	}
	if (s->flags || s->steps || s->freq_updates || s->freq_ppb ||
	    s->last_step_mono_ns) {
		ksft_print_msg("a new slot is not clean\n");
		return false;
	}
	return name_is(s->name, TESTPHC_NAME) && tp_open();
}

static bool phase_call(int64_t offset, bool nano, int64_t want_ns)
{
	struct timex tx = { .modes = ADJ_OFFSET, .offset = offset };
	struct tsmon_cursor c;
	struct tsmon_record r;
	int64_t m0, m1;
	int err;

	if (nano)
		tx.modes |= ADJ_NANO;
	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	m0 = clk_ns(CLOCK_MONOTONIC);
	err = clock_adjtime(tp_clk, &tx) < 0 ? -errno : 0;
	m1 = clk_ns(CLOCK_MONOTONIC);
	if (err) {
		ksft_print_msg("ADJ_OFFSET %lld: %s\n", (long long)offset,
			       strerror(-err));
		return false;
	}
	if (!next_rec(&c, &r) ||
	    !check_rec(&r, TSMON_EVENT_PHC_PHASE, tp_idx, m0, m1))
		return false;
	if ((int64_t)r.phc_phase.offset_ns != want_ns) {
		ksft_print_msg("phc_phase offset_ns %lld, want %lld\n",
			       (long long)(int64_t)r.phc_phase.offset_ns,
			       (long long)want_ns);
		return false;
	}
	return expect_no_record(t, &c, 0);
}

static bool case_phase(void)
{
	struct tsmon_health h;
	bool ok = true;

	ok &= phase_call(123456, true, 123456);
	ok &= phase_call(-7, false, -7000);
	if (!read_h(&h) || !slot_of(&h, tp_idx))
		return false;
	if (slot_of(&h, tp_idx)->steps) {
		ksft_print_msg("a phase adjustment counted as a step\n");
		ok = false;
	}
	return ok;
}

static bool extts_event(unsigned int channel, uint64_t ts)
{
	struct tsmon_cursor c;
	struct tsmon_record r;
	char buf[48];
	int64_t m0, m1;
	int err;

	snprintf(buf, sizeof(buf), "%u %llu", channel, (unsigned long long)ts);
	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	m0 = clk_ns(CLOCK_MONOTONIC);
	err = testphc_write(tp_idx, "extts", buf);
	m1 = clk_ns(CLOCK_MONOTONIC);
	if (err) {
		ksft_print_msg("extts '%s': %s\n", buf, strerror(-err));
		return false;
	}
	if (!next_rec(&c, &r) ||
	    !check_rec(&r, TSMON_EVENT_PHC_EXTTS, tp_idx, m0, m1))
		return false;
	if (r.phc_extts.channel != channel || r.phc_extts.timestamp_ns != ts ||
	    r.phc_extts.flags) {
		ksft_print_msg("phc_extts channel %u timestamp %llu flags %#x, want %u %llu 0\n",
			       r.phc_extts.channel,
			       (unsigned long long)r.phc_extts.timestamp_ns,
			       r.phc_extts.flags, channel,
			       (unsigned long long)ts);
		return false;
	}
	return expect_no_record(t, &c, 0);
}

/* Reads what the PTP core queued for this open file: events, or -1. */
static int core_events(struct ptp_extts_event *ev, unsigned int max)
{
	struct pollfd pfd = { .fd = tp_fd, .events = POLLIN };
	ssize_t len;

	if (poll(&pfd, 1, RECORD_WAIT_MS) != 1) {
		ksft_print_msg("/dev/ptp%d has no event to read\n", tp_idx);
		return -1;
	}
	len = read(tp_fd, ev, max * sizeof(*ev));
	if (len < 0 || len % sizeof(*ev)) {
		ksft_print_msg("read /dev/ptp%d: %zd\n", tp_idx, len);
		return -1;
	}
	return (int)(len / sizeof(*ev));
}

/* The PTP core's own queue got the same events: the records are its view. */
static bool extts_queue_matches(const unsigned int *channel,
				const uint64_t *ts, unsigned int n)
{
	struct ptp_extts_event ev[4];
	unsigned int i;

	if (core_events(ev, ARRAY_SIZE(ev)) != (int)n) {
		ksft_print_msg("the PTP core did not queue %u events\n", n);
		return false;
	}
	for (i = 0; i < n; i++) {
		if (ev[i].index != channel[i] ||
		    (uint64_t)ev[i].t.sec * NSEC_PER_SEC + ev[i].t.nsec != ts[i]) {
			ksft_print_msg("PTP core event %u: channel %u %lld.%09u\n",
				       i, ev[i].index, (long long)ev[i].t.sec,
				       ev[i].t.nsec);
			return false;
		}
	}
	return true;
}

static bool case_extts(void)
{
	static const unsigned int channel[] = { 0, 1, 0 };
	static const uint64_t ts[] = {
		1700000000123456789ULL, 42, 18446744073000000001ULL,
	};
	bool ok = true;
	unsigned int i;
	int err;

	for (i = 0; i < 2; i++) {
		err = extts_enable(tp_fd, i, true);
		if (err) {
			ksft_print_msg("PTP_EXTTS_REQUEST %u: %s\n", i,
				       strerror(-err));
			return false;
		}
	}
	for (i = 0; i < ARRAY_SIZE(ts); i++)
		ok &= extts_event(channel[i], ts[i]);
	return ok && extts_queue_matches(channel, ts, ARRAY_SIZE(ts));
}

static bool testphc_has(const char *file)
{
	char path[128];

	snprintf(path, sizeof(path), DEBUGFS_DIR "/" TESTPHC_MOD "/ptp%d/%s",
		 tp_idx, file);
	return access(path, F_OK) == 0;
}

/*
 * PTP_CLOCK_EXTOFF (6.12): an external timestamp that is a signed offset,
 * recorded as phc_extts with TSMON_EXTTS_OFFSET.
 */
static bool case_extoff(void)
{
	const int64_t offset = -1234567890LL;
	struct ptp_extts_event ev;
	struct tsmon_cursor c;
	struct tsmon_record r;
	char buf[48];
	int64_t m0, m1;
	int err;

	snprintf(buf, sizeof(buf), "1 %lld", (long long)offset);
	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	m0 = clk_ns(CLOCK_MONOTONIC);
	err = testphc_write(tp_idx, "extoff", buf);
	m1 = clk_ns(CLOCK_MONOTONIC);
	if (err) {
		ksft_print_msg("extoff '%s': %s\n", buf, strerror(-err));
		return false;
	}
	if (!next_rec(&c, &r) ||
	    !check_rec(&r, TSMON_EVENT_PHC_EXTTS, tp_idx, m0, m1))
		return false;
	if (r.phc_extts.channel != 1 ||
	    (int64_t)r.phc_extts.timestamp_ns != offset ||
	    r.phc_extts.flags != TSMON_EXTTS_OFFSET) {
		print_record("want phc_extts 1, -1234567890, OFFSET", &r);
		return false;
	}
	if (core_events(&ev, 1) != 1 || ev.index != 1 ||
	    !(ev.flags & PTP_EXT_OFFSET) ||
	    (int64_t)ev.t.sec * NSEC_PER_SEC + ev.t.nsec != offset) {
		ksft_print_msg("the PTP core did not queue the same offset\n");
		return false;
	}
	return expect_no_record(t, &c, 0);
}

/* What the hardware would not deliver must not be recorded. */
static bool case_extts_refused(void)
{
	static const struct {
		const char *file, *text;
		int err;
	} writes[] = {
		{ "extts", "1 5", -ENXIO },	/* channel disabled */
		{ "extts", "2 5", -EINVAL },	/* no such channel */
		{ "extts", "zero", -EINVAL },
		{ "pps", "1", -ENXIO },		/* PPS not enabled */
	};
	struct tsmon_cursor c;
	bool ok = true;
	size_t i;
	int err;

	err = extts_enable(tp_fd, 1, false);
	if (err) {
		ksft_print_msg("disabling extts 1: %s\n", strerror(-err));
		return false;
	}
	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	for (i = 0; i < ARRAY_SIZE(writes); i++) {
		err = testphc_write(tp_idx, writes[i].file, writes[i].text);
		if (err != writes[i].err) {
			ksft_print_msg("%s '%s': %s, want %s\n", writes[i].file,
				       writes[i].text, strerror(-err),
				       strerror(-writes[i].err));
			ok = false;
		}
	}
	return expect_no_record(t, &c, 0) && ok;
}

static bool case_pps(void)
{
	struct tsmon_cursor c;
	struct tsmon_record r;
	int64_t m0, m1;
	bool ok;
	int err;

	if (ioctl(tp_fd, PTP_ENABLE_PPS, 1)) {
		ksft_print_msg("PTP_ENABLE_PPS: %s\n", strerror(errno));
		return false;
	}
	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	m0 = clk_ns(CLOCK_MONOTONIC);
	err = testphc_write(tp_idx, "pps", "1");
	m1 = clk_ns(CLOCK_MONOTONIC);
	ioctl(tp_fd, PTP_ENABLE_PPS, 0);
	if (err) {
		ksft_print_msg("pps: %s\n", strerror(-err));
		return false;
	}
	if (!next_rec(&c, &r) ||
	    !check_rec(&r, TSMON_EVENT_PHC_PPS, tp_idx, m0, m1))
		return false;
	ok = !r.phc_extts.channel && !r.phc_extts.timestamp_ns &&
	     !r.phc_extts.flags;
	if (!ok)
		print_record("phc_pps with a payload", &r);
	return expect_no_record(t, &c, 0) && ok;
}

/* Unloads the test PHCs; checks each phc_remove against its phc_add. */
static bool unload_testphcs(unsigned int count,
			    const struct tsmon_record *adds,
			    unsigned int tracked)
{
	struct tsmon_cursor c;
	struct tsmon_record r;
	unsigned int i, seen = 0;
	int64_t m0, m1;
	bool ok = true;

	tp_close();
	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	m0 = clk_ns(CLOCK_MONOTONIC);
	if (unload_module())
		return false;
	m1 = clk_ns(CLOCK_MONOTONIC);
	for (i = 0; i < count; i++) {
		unsigned int j;

		if (!next_rec(&c, &r))
			return false;
		for (j = 0; j < count; j++)
			if (adds[j].phc.index == r.phc.index)
				break;
		if (j == count || (seen & 1U << j)) {
			print_record("phc_remove of no loaded PHC", &r);
			ok = false;
			continue;
		}
		seen |= 1U << j;
		if (!check_rec(&r, TSMON_EVENT_PHC_REMOVE, adds[j].phc.index,
			       m0, m1)) {
			ok = false;
			continue;
		}
		/* A PHC that found no slot is removed by index alone. */
		if (j >= tracked)
			continue;
		if (r.phc.flags != adds[j].phc.flags ||
		    memcmp(r.phc.name, adds[j].phc.name, sizeof(r.phc.name))) {
			print_record("phc_remove", &r);
			print_record("its phc_add", &adds[j]);
			ok = false;
		}
	}
	return expect_no_record(t, &c, 0) && ok;
}

static bool case_testphc_remove(void)
{
	const struct tsmon_phc_slot *s;
	struct tsmon_health h0, h;

	if (!read_h(&h0))
		return false;
	if (!unload_testphcs(1, &tp_add, 1) || !read_h(&h))
		return false;
	if (h.phc_count != phc_count0 || slot_of(&h, tp_idx)) {
		ksft_print_msg("after the removal: phc_count %u (want %u), slot %s\n",
			       h.phc_count, phc_count0,
			       slot_of(&h, tp_idx) ? "still there" : "freed");
		return false;
	}
	s = slot_of(&h, e_idx);
	if (e_idx >= 0 &&
	    (!s || memcmp(s, slot_of(&h0, e_idx), sizeof(*s)))) {
		ksft_print_msg("the removal changed the slot of ptp%d\n", e_idx);
		return false;
	}
	return true;
}

/* Probes and table still work once a PHC has gone. */
static bool case_after_remove(void)
{
	struct tsmon_record adds[1];
	bool ok;

	if (!load_testphcs(1, adds))
		return false;
	tp_idx = testphc_index(0);
	ok = tp_open() && extts_enable(tp_fd, 0, true) == 0 &&
	     extts_event(0, 777);
	if (e_idx >= 0)
		ok &= case_setoffset(1, true);
	return unload_testphcs(1, adds, 1) && ok;
}

/*
 * tsmon loaded after the PHCs: one phc_add with AT_LOAD for each, in the
 * table with AT_LOAD, and the probes work on them as on any other.
 */
static bool case_at_load(void)
{
	struct tsmon_record adds[1], r;
	const struct tsmon_phc_slot *s;
	struct tsmon_cursor c;
	struct tsmon_health h;
	unsigned int n = 0;
	bool ok = true;
	char name[64];
	int err, idx;

	if (!load_testphcs(1, adds))
		return false;
	tp_idx = testphc_index(0);
	tsmon_close(t);
	t = NULL;
	err = module_unload();
	if (!err)
		err = module_load("");
	if (err || !dev_node_present(true)) {
		ksft_print_msg("reloading tsmon: %s\n", strerror(-err));
		module_reload_default();
		t = open_or_bail();
		return false;
	}
	t = open_or_bail();
	off0 = rt_mono_offset();

	/* A PHC per /sys/class/ptp entry, in index order. */
	tsmon_cursor_init(t, &c, TSMON_FROM_OLDEST, 0);
	for (idx = 0; idx < PHC_MAX_INDEX; idx++) {
		if (!phc_name(idx, name, sizeof(name)))
			continue;
		if (!next_rec(&c, &r) ||
		    !check_rec(&r, TSMON_EVENT_PHC_ADD, idx, 0, -1) ||
		    !name_is(r.phc.name, name)) {
			ok = false;
			break;
		}
		if (r.phc.flags != TSMON_PHC_AT_LOAD) {
			ksft_print_msg("phc_add at load with flags %#x\n",
				       r.phc.flags);
			ok = false;
		}
		if (idx == tp_idx)
			adds[0] = r;
		n++;
	}
	ok &= expect_no_record(t, &c, 0);
	if (!read_h(&h))
		return false;
	if (h.phc_count != n) {
		ksft_print_msg("phc_count %u, %u PHCs present\n", h.phc_count, n);
		ok = false;
	}
	s = slot_of(&h, tp_idx);
	if (!s || s->flags != TSMON_PHC_AT_LOAD ||
	    !name_is(s->name, TESTPHC_NAME)) {
		ksft_print_msg("test PHC slot missing or without AT_LOAD\n");
		ok = false;
	}

	ok &= tp_open() && extts_enable(tp_fd, 1, true) == 0 &&
	      extts_event(1, 31337);
	return unload_testphcs(1, adds, 1) && ok;
}

/*
 * More PHCs than slots: the first ones fill the table, the rest count in
 * phc_overflow, and every one still has its add, events and remove
 * recorded.
 */
static struct tsmon_record ov_adds[TESTPHC_SLOTS_USED];
static unsigned int ov_tracked;
static uint32_t ov_count0;	/* slots in use before */
static bool ov_loaded;

static bool case_overflow(void)
{
	struct tsmon_health h0, h;
	unsigned int i, over;
	bool ok = true;

	if (!read_h(&h0))
		return false;
	ov_count0 = h0.phc_count;
	ov_tracked = TSMON_PHC_SLOTS - h0.phc_count;
	over = TESTPHC_SLOTS_USED - ov_tracked;
	ov_loaded = load_testphcs(TESTPHC_SLOTS_USED, ov_adds);
	if (!ov_loaded || !read_h(&h))
		return false;
	if (h.phc_count != TSMON_PHC_SLOTS ||
	    h.phc_overflow - h0.phc_overflow != over) {
		ksft_print_msg("phc_count %u (want %u), phc_overflow +%u (want %u)\n",
			       h.phc_count, TSMON_PHC_SLOTS,
			       h.phc_overflow - h0.phc_overflow, over);
		ok = false;
	}
	for (i = 0; i < TESTPHC_SLOTS_USED; i++) {
		bool has = slot_of(&h, ov_adds[i].phc.index) != NULL;

		if (has != (i < ov_tracked)) {
			ksft_print_msg("test PHC %u (ptp%u): slot %s\n", i,
				       ov_adds[i].phc.index,
				       has ? "taken" : "missing");
			ok = false;
		}
	}

	/* The last one has no slot; its events are still recorded. */
	tp_idx = ov_adds[TESTPHC_SLOTS_USED - 1].phc.index;
	ok &= tp_open() && extts_enable(tp_fd, 0, true) == 0 &&
	      extts_event(0, 5);
	tp_close();
	return ok;
}

static bool case_overflow_freed(void)
{
	struct tsmon_health h;

	if (!ov_loaded)
		return false;
	if (!unload_testphcs(TESTPHC_SLOTS_USED, ov_adds, ov_tracked) ||
	    !read_h(&h))
		return false;
	if (h.phc_count != ov_count0 || (e_idx >= 0 && !slot_of(&h, e_idx))) {
		ksft_print_msg("phc_count %u after the test PHCs went, want %u\n",
			       h.phc_count, ov_count0);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------ setup */

static bool restore_e1000e(void)
{
	struct tsmon_health h;
	bool ok;

	if (e_idx < 0)
		return true;
	ok = phc_freq(e_clk, 0) == 0 &&
	     phc_settime(e_clk, clk_ns(CLOCK_REALTIME)) == 0;
	e_restored = ok;
	if (ok && read_h(&h) && slot_of(&h, e_idx))
		ok = slot_of(&h, e_idx)->freq_ppb == 0;
	return ok;
}

static void cleanup(void)
{
	tp_close();
	if (testphc_loaded())
		testphc_unload();
	if (e_idx >= 0 && !e_restored)
		phc_freq(e_clk, 0);
	if (params_saved) {
		if (!module_loaded())
			module_reload_default();
		tsmon_param_set(PARAM_THRESHOLD, saved_threshold);
		tsmon_param_set(PARAM_INTERVAL, saved_interval);
	}
}

static bool find_e1000e(void)
{
	struct ptp_clock_caps caps;

	e_idx = phc_find(TESTPHC_NAME, false);
	if (e_idx < 0) {
		ksft_print_msg("no PHC other than the test PHC (no e1000e NIC?)\n");
		return false;
	}
	e_fd = phc_open(e_idx, &e_clk);
	if (e_fd < 0) {
		ksft_print_msg("opening /dev/ptp%d: %s\n", e_idx,
			       strerror(-e_fd));
		e_idx = -1;
		return false;
	}
	memset(&caps, 0, sizeof(caps));
	if (ioctl(e_fd, PTP_CLOCK_GETCAPS, &caps)) {
		ksft_print_msg("PTP_CLOCK_GETCAPS: %s\n", strerror(errno));
		return false;
	}
	e_max_adj = caps.max_adj;
	return true;
}

#define E_CASE(cond, ...) do {						\
		if (e_idx < 0)						\
			ksft_test_result_skip(__VA_ARGS__);		\
		else							\
			ksft_test_result(cond, __VA_ARGS__);		\
	} while (0)

#define T_CASE(cond, ...) do {						\
		if (!have_testphc)					\
			ksft_test_result_skip(__VA_ARGS__);		\
		else							\
			ksft_test_result(cond, __VA_ARGS__);		\
	} while (0)

int main(void)
{
	const uint32_t need = TSMON_HOOK_PHC_ADJ | TSMON_HOOK_PHC_EVENT |
			      TSMON_HOOK_PHC_LIFE;
	bool have_testphc, have_ctl;
	struct tsmon_health h;

	selftest_start(26);
	phc_types_only();
	t = open_or_bail();
	if (!read_h(&h))
		ksft_exit_fail_msg("no health block\n");
	if ((h.hooks & need) != need)
		ksft_exit_skip("PHC hooks not attached (hooks %#x)\n", h.hooks);
	if (testphc_loaded())
		ksft_exit_fail_msg("%s is already loaded\n", TESTPHC_MOD);
	if (tsmon_param_get(PARAM_THRESHOLD, &saved_threshold) ||
	    tsmon_param_get(PARAM_INTERVAL, &saved_interval))
		ksft_exit_fail_msg("no PHC frequency parameters in /sys/module/tsmon\n");
	params_saved = true;
	atexit(cleanup);
	off0 = rt_mono_offset();

	find_e1000e();
	have_testphc = testphc_ko(testphc_path, sizeof(testphc_path));
	if (!have_testphc)
		ksft_print_msg("%s missing: build it first (make testphc)\n",
			       testphc_path);
	have_testphc = have_testphc && debugfs_ready();
	have_ctl = access(LINUXPTP_SBIN "/phc_ctl", X_OK) == 0;
	if (!have_ctl)
		ksft_print_msg("no phc_ctl: run tests/phc/fetch-linuxptp.sh\n");
	if (e_idx >= 0 && read_h(&h) && slot_of(&h, e_idx))
		e_slot0 = *slot_of(&h, e_idx);

	E_CASE(case_table_at_load(),
	       "PHC present at load: slot with AT_LOAD and its name\n");
	E_CASE(case_settime(),
	       "clock_settime: phc_step with the new time, slot follows\n");
	E_CASE(case_setoffset(1500000000LL, true),
	       "ADJ_SETOFFSET +1.5 s: exact delta in record and slot\n");
	E_CASE(case_setoffset(-250000000LL, true),
	       "ADJ_SETOFFSET -0.25 s: exact delta in record and slot\n");
	E_CASE(case_setoffset(1, true),
	       "ADJ_SETOFFSET +1 ns: exact delta in record and slot\n");
	E_CASE(case_setoffset(-2000001000LL, false),
	       "ADJ_SETOFFSET -2.000001 s in microseconds: exact delta\n");
	E_CASE(case_settime_after_offsets(),
	       "settime after them: slot last_step_delta_ns back to 0\n");
	E_CASE(case_freq_exact(),
	       "ADJ_FREQUENCY: exact ppb and scaled_ppm, every change at 0/0\n");
	E_CASE(case_freq_threshold(),
	       "threshold: change from the last recorded >= it, suppressed counted\n");
	E_CASE(case_freq_interval(),
	       "interval: one record per interval, suppressed counted\n");
	E_CASE(case_freq_both(),
	       "threshold and interval must both allow a record\n");
	E_CASE(case_freq_health(),
	       "slot freq_ppb and freq_updates count every change\n");
	E_CASE(case_rejected(),
	       "refused calls and reads unrecorded; SETOFFSET beats FREQUENCY\n");
	if (e_idx < 0 || !have_ctl)
		ksft_test_result_skip("phc_ctl set/adj/freq (no PHC or no phc_ctl)\n");
	else
		ksft_test_result(case_phc_ctl(),
				 "phc_ctl set/adj/freq recorded as the calls they make\n");

	T_CASE(case_testphc_add(),
	       "test PHC loaded: phc_add with its name and index, new slot\n");
	T_CASE(case_phase(), "ADJ_OFFSET: phc_phase with the exact offset\n");
	T_CASE(case_extts(),
	       "extts on channels 0 and 1: exact timestamps, as the core saw\n");
	if (have_testphc && tp_idx >= 0 && !testphc_has("extoff"))
		ksft_test_result_skip("extoff: no PTP_CLOCK_EXTOFF before 6.12\n");
	else
		T_CASE(case_extoff(),
		       "extoff: phc_extts with OFFSET and the signed offset\n");
	T_CASE(case_extts_refused(),
	       "events the clock refuses are not recorded\n");
	T_CASE(case_pps(), "PPS: phc_pps\n");
	T_CASE(case_testphc_remove(),
	       "test PHC unloaded: phc_remove, slot freed, others intact\n");
	T_CASE(case_after_remove(),
	       "a PHC gone, a new one and the others still recorded\n");
	T_CASE(case_at_load(),
	       "tsmon loaded after the PHCs: phc_add AT_LOAD, probes work\n");
	T_CASE(case_overflow(),
	       "9 test PHCs: table full, overflow counted, events recorded\n");
	T_CASE(case_overflow_freed(),
	       "their removal frees every slot\n");
	E_CASE(restore_e1000e(), "e1000e PHC back at frequency 0\n");

	tsmon_close(t);
	t = NULL;
	ksft_finished();
}
