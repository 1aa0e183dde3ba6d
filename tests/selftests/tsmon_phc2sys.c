// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_phc2sys - linuxptp's phc2sys disciplining the system clock from a
 * PHC, as seen by tsmon.
 *
 * phc2sys reads the PHC and steers CLOCK_REALTIME through
 * clock_adjtime(CLOCK_REALTIME): it steps the clock on its first update
 * when the offset is large, then sets the frequency and, once locked,
 * clears STA_UNSYNC with a zero maxerror on every update. tsmon must show
 * each of these: the step as a clock_step record of the size phc2sys
 * measured, the frequency and status in the NTP capture, the sync updates
 * at phc2sys's rate - and, since maxerror 0 asserts no error, a
 * tsmon_now() that says "error unknown" (UNKNOWN, NO_ERROR, unbounded)
 * while it runs, where no sync budget is declared.
 *
 * The source is a test PHC (tests/phc/tsmon_testphc.c): the guest's
 * e1000e PHC does not advance under QEMU, so phc2sys could never lock to
 * it. The test PHC is set half a second ahead of the system time and runs
 * 30 ppm fast, so both the step and the frequency phc2sys must apply are
 * known. Afterwards the system clock is put back as found:
 * REALTIME - MONOTONIC, frequency, tick and status.
 */
#include <signal.h>
#include <sys/wait.h>

#include "tsmon_selftest.h"

#define PHC2SYS			"build/linuxptp/usr/sbin/phc2sys"
#define PHC_LEAD_NS		(500 * NSEC_PER_MSEC)
#define PHC_FREQ_PPB		30000	/* a multiple of 125: exact */
/* Setting the PHC and phc2sys's measurement each take some time. */
#define STEP_SLOP_NS		(50 * NSEC_PER_MSEC)
#define UPDATE_RATE_HZ		4
#define RUN_MIN_MS		3000	/* keep phc2sys running at least */
#define RUN_MAX_MS		20000	/* give up waiting for its lock */
#define OFFSET_SLOP_NS		10000

static struct tsmon *t;
static struct tsmon_health h0;
static struct timex tx0;
static struct rt_offset off0;
static bool clock_touched;

static int phc_idx = -1;
static int phc_fd = -1;
static clockid_t phc_clk;

/* What the run showed. */
static int phc2sys_status = -1;
static struct tsmon_record step_rec;
static unsigned int nsteps, nsyncs;
static int64_t run_m0, run_m1;
static bool now_checked, now_ok;

/* Output of phc2sys, shown line by line as diagnostics. */
static char outbuf[4096];
static size_t outlen;

static void drain_output(int fd)
{
	ssize_t n;
	char *nl;

	for (;;) {
		n = read(fd, outbuf + outlen, sizeof(outbuf) - 1 - outlen);
		if (n <= 0)
			break;
		outlen += n;
		outbuf[outlen] = '\0';
		while ((nl = strchr(outbuf, '\n'))) {
			*nl = '\0';
			ksft_print_msg("  phc2sys: %s\n", outbuf);
			outlen -= nl + 1 - outbuf;
			memmove(outbuf, nl + 1, outlen + 1);
		}
		if (outlen == sizeof(outbuf) - 1) {
			ksft_print_msg("  phc2sys: %s\n", outbuf);
			outlen = 0;
		}
	}
}

static pid_t spawn_phc2sys(int *outfd)
{
	char dev[32], rate[8];
	const char *argv[] = {
		PHC2SYS, "-s", dev, "-c", "CLOCK_REALTIME", "-O", "0",
		"-R", rate, "-m", "-q", NULL,
	};
	int pfd[2];
	pid_t pid;

	snprintf(dev, sizeof(dev), "/dev/ptp%d", phc_idx);
	snprintf(rate, sizeof(rate), "%d", UPDATE_RATE_HZ);
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
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	*outfd = pfd[0];
	return pid;
}

/* While phc2sys is locked and synchronizing: what a reader gets. */
static void check_now(void)
{
	struct tsmon_time tm;
	struct tsmon_health h;

	now_checked = true;
	/* The step phc2sys made is a disruption; the cooldown is not tested. */
	if (tsmon_set_cooldown(t, 0) || !now_with_health(t, &tm, &h))
		return;
	now_ok = tm.status == TSMON_CLOCK_UNKNOWN &&
		 tm.flags == (TSMON_TIME_NO_ERROR | TSMON_TIME_UNBOUNDED) &&
		 tm.bound_ns == UINT64_MAX &&
		 h.sync_maxerror_ns == TSMON_SYNC_ERROR_UNKNOWN &&
		 (h.sync_flags & TSMON_SYNC_ZERO_MAXERROR) &&
		 tsmon_one_way_valid(t, UINT64_MAX, NULL) == 0;
	if (!now_ok)
		print_time("tsmon_now with phc2sys locked", &tm);
}

/*
 * Runs phc2sys until it has stepped the clock and synchronized for a
 * while, reading the records as they come.
 */
static bool run_phc2sys(void)
{
	struct tsmon_cursor c;
	struct tsmon_record r;
	int64_t locked_at = 0;
	int outfd, status;
	pid_t pid;

	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	run_m0 = clk_ns(CLOCK_MONOTONIC);
	pid = spawn_phc2sys(&outfd);
	if (pid < 0) {
		ksft_print_msg("starting phc2sys: %s\n", strerror(errno));
		return false;
	}
	clock_touched = true;
	while (clk_ns(CLOCK_MONOTONIC) - run_m0 < RUN_MAX_MS * NSEC_PER_MSEC) {
		int err = wait_record(t, &c, 100, &r);

		drain_output(outfd);
		if (!err) {
			if (r.type == TSMON_EVENT_CLOCK_STEP && !nsteps++)
				step_rec = r;
			if (r.type == TSMON_EVENT_NTP_SYNC && !nsyncs++)
				locked_at = clk_ns(CLOCK_MONOTONIC);
			continue;
		}
		if (err != -ETIMEDOUT) {
			ksft_print_msg("reading the ring: %s\n", strerror(-err));
			break;
		}
		if (locked_at &&
		    clk_ns(CLOCK_MONOTONIC) - run_m0 >= RUN_MIN_MS * NSEC_PER_MSEC &&
		    clk_ns(CLOCK_MONOTONIC) - locked_at >= NSEC_PER_SEC) {
			check_now();
			break;
		}
	}
	kill(pid, SIGTERM);
	if (waitpid(pid, &status, 0) < 0)
		return false;
	run_m1 = clk_ns(CLOCK_MONOTONIC);
	drain_output(outfd);
	if (outlen)
		ksft_print_msg("  phc2sys: %s\n", outbuf);
	close(outfd);
	phc2sys_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (phc2sys_status)
		ksft_print_msg("phc2sys: exit status %d (raw %#x)\n",
			       phc2sys_status, status);
	if (!locked_at)
		ksft_print_msg("phc2sys never cleared STA_UNSYNC\n");
	return phc2sys_status == 0;
}

static bool case_step(void)
{
	int64_t delta = (int64_t)step_rec.step.delta_ns;
	uint32_t reason = h0.hooks & TSMON_HOOK_ADJTIMEX ? TSMON_STEP_SETOFFSET :
			  TSMON_STEP_UNKNOWN;

	if (nsteps != 1) {
		ksft_print_msg("%u clock_step records, want 1\n", nsteps);
		return false;
	}
	if (step_rec.step.reason != reason ||
	    llabs(delta - PHC_LEAD_NS) > STEP_SLOP_NS ||
	    (int64_t)step_rec.mono_ns < run_m0 ||
	    (int64_t)step_rec.mono_ns > run_m1) {
		print_record("clock_step by phc2sys", &step_rec);
		ksft_print_msg("want reason %u, delta %lld +- %lld ns\n", reason,
			       (long long)PHC_LEAD_NS, (long long)STEP_SLOP_NS);
		return false;
	}
	return true;
}

/* Read before anything else calls adjtimex: the capture is phc2sys's. */
static struct tsmon_health h_run;
static struct timex tx_run;

/*
 * phc2sys makes REALTIME follow the PHC: 30 ppm fast, give or take what
 * its servo has not settled yet. It moves whole tick units (100 ppm at
 * USER_HZ 100) through timex.tick and the rest through timex.freq, so the
 * rate is read from both as tsmon captured them.
 */
static bool case_frequency(void)
{
	int64_t eff = (int64_t)h_run.ntp_freq_ppb +
		      ((int64_t)h_run.ntp_tick_us - tx0.tick) * NSEC_PER_SEC /
		      tx0.tick;
	bool ok = true;

	if (h_run.ntp_captures - h0.ntp_captures < 3) {
		ksft_print_msg("ntp_captures grew by %llu\n",
			       (unsigned long long)(h_run.ntp_captures -
						    h0.ntp_captures));
		ok = false;
	}
	if (eff < PHC_FREQ_PPB / 2 || eff > PHC_FREQ_PPB * 3 / 2) {
		ksft_print_msg("REALTIME runs %lld ppb fast (freq %lld ppb, tick %u us), the PHC %d ppb\n",
			       (long long)eff,
			       (long long)(int64_t)h_run.ntp_freq_ppb,
			       h_run.ntp_tick_us, PHC_FREQ_PPB);
		ok = false;
	}
	ok &= field_eq("ntp_freq_ppb", (int64_t)h_run.ntp_freq_ppb,
		       timex_freq_ppb(&tx_run));
	ok &= field_eq("ntp_status", h_run.ntp_status, (uint32_t)tx_run.status);
	ok &= field_eq("ntp_tick_us", h_run.ntp_tick_us, tx_run.tick);
	return ok;
}

static bool case_sync(void)
{
	int64_t period = NSEC_PER_SEC / UPDATE_RATE_HZ;
	bool ok = true;

	if (!nsyncs) {
		ksft_print_msg("no ntp_sync record\n");
		ok = false;
	}
	if (h_run.ntp_status & STA_UNSYNC) {
		ksft_print_msg("STA_UNSYNC still set: status %#x\n",
			       h_run.ntp_status);
		ok = false;
	}
	/* Each locked update is one: several in the second after the lock. */
	if (h_run.ntp_syncs - h0.ntp_syncs < 2 ||
	    !(h_run.sync_flags & TSMON_SYNC_ZERO_MAXERROR) ||
	    h_run.sync_maxerror_ns != TSMON_SYNC_ERROR_UNKNOWN) {
		ksft_print_msg("ntp_syncs +%llu, sync_maxerror_ns %llu\n",
			       (unsigned long long)(h_run.ntp_syncs -
						    h0.ntp_syncs),
			       (unsigned long long)h_run.sync_maxerror_ns);
		ok = false;
	}
	/* The last interval may be short: SIGTERM wakes phc2sys early. */
	if ((int64_t)h_run.sync_interval_ns < period / 2 ||
	    (int64_t)h_run.sync_interval_ns > 4 * period ||
	    h_run.sync_interval_ns < h_run.sync_last_interval_ns) {
		ksft_print_msg("sync interval last %llu longest %llu, phc2sys updates every %lld ns\n",
			       (unsigned long long)h_run.sync_last_interval_ns,
			       (unsigned long long)h_run.sync_interval_ns,
			       (long long)period);
		ok = false;
	}
	return ok;
}

/*
 * Frequency, tick and status as found, then REALTIME - MONOTONIC back by
 * one exact step, which tsmon must record as such.
 */
static bool restore_clock(void)
{
	struct timex tx = {
		.modes = ADJ_STATUS | ADJ_FREQUENCY | ADJ_TICK,
		.status = tx0.status,
		.freq = tx0.freq,
		.tick = tx0.tick,
	};
	struct tsmon_cursor c;
	struct tsmon_record r;
	struct rt_offset now;
	int64_t back;
	bool ok = true;
	int err;

	if (!clock_touched)
		return true;
	clock_touched = false;
	if (adjtimex(&tx) < 0) {
		ksft_print_msg("restoring frequency, tick, status: %s\n",
			       strerror(errno));
		ok = false;
	}
	now = rt_mono_offset();
	back = off0.off_ns - now.off_ns;
	if (t)
		tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	err = clock_step_ns(back);
	if (err) {
		ksft_print_msg("stepping back %lld ns: %s\n", (long long)back,
			       strerror(-err));
		return false;
	}
	/*
	 * The step set STA_UNSYNC again and, like phc2sys's, STA_NANO: put the
	 * status exactly as found (STA_NANO moves only with ADJ_NANO/MICRO).
	 */
	memset(&tx, 0, sizeof(tx));
	tx.modes = ADJ_STATUS | (tx0.status & STA_NANO ? ADJ_NANO : ADJ_MICRO);
	tx.status = tx0.status;
	if (adjtimex(&tx) < 0) {
		ksft_print_msg("restoring the status: %s\n", strerror(errno));
		ok = false;
	}
	if (t) {
		if (wait_record(t, &c, 2000, &r) ||
		    r.type != TSMON_EVENT_CLOCK_STEP ||
		    (int64_t)r.step.delta_ns != back) {
			ksft_print_msg("restoring step %lld not recorded exactly\n",
				       (long long)back);
			ok = false;
		}
	}
	now = rt_mono_offset();
	if (llabs(now.off_ns - off0.off_ns) >
	    now.err_ns + off0.err_ns + OFFSET_SLOP_NS) {
		ksft_print_msg("REALTIME-MONOTONIC off by %lld ns after restoring\n",
			       (long long)(now.off_ns - off0.off_ns));
		ok = false;
	}
	if (ntp_read(&tx) < 0 || tx.freq != tx0.freq || tx.tick != tx0.tick ||
	    tx.status != tx0.status) {
		ksft_print_msg("timex after restoring: freq %ld tick %ld status %#x, was %ld %ld %#x\n",
			       tx.freq, tx.tick, tx.status, tx0.freq, tx0.tick,
			       tx0.status);
		ok = false;
	}
	return ok;
}

static void cleanup(void)
{
	restore_clock();
	if (phc_fd >= 0)
		close(phc_fd);
	if (testphc_loaded())
		testphc_unload();
}

/* The PHC half a second ahead of the system time and 30 ppm fast. */
static bool lead_phc(void)
{
	struct timex tx = {
		.modes = ADJ_FREQUENCY,
		.freq = PHC_FREQ_PPB * 8192 / 125,	/* ppm << 16 */
	};
	int64_t when;
	struct timespec ts;

	if (clock_adjtime(phc_clk, &tx) < 0) {
		ksft_print_msg("ADJ_FREQUENCY on /dev/ptp%d: %s\n", phc_idx,
			       strerror(errno));
		return false;
	}
	when = clk_ns(CLOCK_REALTIME) + PHC_LEAD_NS;
	ts.tv_sec = when / NSEC_PER_SEC;
	ts.tv_nsec = when % NSEC_PER_SEC;
	if (clock_settime(phc_clk, &ts)) {
		ksft_print_msg("setting /dev/ptp%d: %s\n", phc_idx,
			       strerror(errno));
		return false;
	}
	return true;
}

int main(void)
{
	char ko[256];
	bool ran;
	int err;

	selftest_start(6);
	t = open_or_bail();
	if (!read_health(t, &h0))
		ksft_exit_fail_msg("no health block\n");
	if (!(h0.hooks & TSMON_HOOK_ADJTIMEX) ||
	    !(h0.hooks & TSMON_HOOK_TIMEKEEPER))
		ksft_exit_skip("NTP or timekeeping hook missing (hooks %#x)\n",
			       h0.hooks);
	if (access(PHC2SYS, X_OK))
		ksft_exit_skip("no %s: run tests/phc/fetch-linuxptp.sh\n",
			       PHC2SYS);
	if (!testphc_ko(ko, sizeof(ko)))
		ksft_exit_skip("%s missing: build it first (make testphc)\n",
			       ko);
	if (testphc_loaded())
		ksft_exit_fail_msg("%s is already loaded\n", TESTPHC_MOD);
	err = testphc_load(1);
	if (err)
		ksft_exit_fail_msg("loading %s: %s\n", ko, strerror(-err));
	atexit(cleanup);
	phc_idx = testphc_index(0);
	if (phc_idx < 0)
		ksft_exit_fail_msg("no PHC named %s\n", TESTPHC_NAME);
	phc_fd = phc_open(phc_idx, &phc_clk);
	if (phc_fd < 0)
		ksft_exit_fail_msg("opening /dev/ptp%d: %s\n", phc_idx,
				   strerror(-phc_fd));
	if (ntp_read(&tx0) < 0)
		ksft_exit_fail_msg("adjtimex: %s\n", strerror(errno));
	off0 = rt_mono_offset();
	if (!read_health(t, &h0) || !lead_phc())
		ksft_exit_fail_msg("cannot prepare the PHC\n");

	ran = run_phc2sys();
	if (!read_health(t, &h_run) || ntp_read(&tx_run) < 0)
		ksft_exit_fail_msg("cannot read the state after phc2sys\n");

	ksft_test_result(ran, "phc2sys ran on /dev/ptp%d and stopped cleanly\n",
			 phc_idx);
	ksft_test_result(case_step(),
			 "its first update: clock_step setoffset of the PHC's lead\n");
	ksft_test_result(case_frequency(),
			 "its adjustments: ntp_captures, ntp_freq_ppb as the kernel's\n");
	ksft_test_result(case_sync(),
			 "its sync updates: ntp_sync, ntp_syncs, interval, maxerror 0\n");
	ksft_test_result(now_checked && now_ok,
			 "tsmon_now while it runs: error unknown (maxerror 0, no budget), no bound\n");
	ksft_test_result(restore_clock(),
			 "system clock restored as found, the step recorded\n");
	tsmon_close(t);
	t = NULL;
	ksft_finished();
}
