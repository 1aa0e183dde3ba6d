// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_chrony - tsmon under a real NTP client.
 *
 * chronyd (unpacked by tests/ntp/fetch.sh, configured by
 * tests/ntp/chrony.conf) disciplines the guest's clock to a reference the
 * test serves over chrony's SOCK refclock protocol: CLOCK_MONOTONIC_RAW,
 * which no NTP adjustment touches, started a few milliseconds away from
 * CLOCK_REALTIME. Once chronyd has synchronised the clock:
 *
 *  - a read-only adjtimex call and the health block read right after it
 *    agree on every NTP field (the call is itself captured, so the block
 *    must describe exactly what it returned);
 *  - the sync updates chronyd makes every second are counted, their
 *    interval is about a second, and the kernel's maxerror is the one
 *    chronyd last set plus 500 us per second boundary since;
 *  - tsmon_now() reports SYNCHRONIZED with the exact bound, and chronyd
 *    really moved the clock onto the reference.
 *
 * Then chronyd is stopped: the bound keeps growing at the drift rate with
 * nothing updating the block, and the status turns FREE_RUNNING (STALE)
 * exactly when the last sync update becomes older than four intervals.
 *
 * chronyd changes the frequency, the tick and the status bits and may step
 * the clock: it is stopped (and dies with the test in any case), every step
 * recorded in the ring is undone, and the NTP state is put back
 * unsynchronised.
 */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "tsmon_selftest.h"

#define RUN_DIR			"/tmp/tsmon-chrony"
#define SOCK_PATH		RUN_DIR "/refclock.sock"
#define LOG_PATH		RUN_DIR "/chronyd.log"
#define CHRONYD_FROM_EXE	"../../chrony/usr/sbin/chronyd"
#define CONF_FROM_EXE		"../../../tests/ntp/chrony.conf"
/* chronyd exits by itself after this long, whatever becomes of the test. */
#define CHRONYD_LIFETIME_S	"100"

#define REF_START_NS		(4 * NSEC_PER_MSEC)	/* reference - REALTIME */
#define REF_AFTER_SYNC_NS	NSEC_PER_MSEC		/* once disciplined */
#define SAMPLE_MS		250
#define SYNC_TIMEOUT_MS		30000
#define STEADY_INTERVAL_NS	(2 * NSEC_PER_SEC)
#define STALE_TIMEOUT_MS	20000
#define OFFSET_SLOP_NS		10000

/* A sample of chrony's SOCK refclock protocol (see its refclock_sock.c). */
#define SOCK_MAGIC		0x534f434b
struct sock_sample {
	struct timeval tv;	/* system time of the measurement */
	double offset;		/* reference - system time, seconds */
	int pulse;
	int leap;
	int _pad;
	int magic;
};

static struct tsmon *t;
static struct tsmon_cursor all;		/* every record since the start */
static struct timex saved;
static struct rt_offset off0;
static int64_t ref_base;		/* reference = MONOTONIC_RAW + this */
static pid_t chronyd = -1;
static pthread_t feeder;
static bool feeding;
static bool restored;

/* Reference minus CLOCK_REALTIME, and the REALTIME it was taken at. */
static int64_t ref_offset(int64_t *real)
{
	int64_t r1 = clk_ns(CLOCK_REALTIME);
	int64_t raw = clk_ns(CLOCK_MONOTONIC_RAW);
	int64_t r2 = clk_ns(CLOCK_REALTIME);

	*real = r1 + (r2 - r1) / 2;
	return raw + ref_base - *real;
}

static void *feed(void *arg)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct sock_sample s = { .magic = SOCK_MAGIC };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int64_t real, off;

	if (fd < 0)
		return NULL;
	strcpy(addr.sun_path, SOCK_PATH);
	while (__atomic_load_n(&feeding, __ATOMIC_RELAXED)) {
		/*
		 * Microseconds are all the sample carries: the reference and
		 * the clock advance together, so the offset holds for the
		 * truncated time as well.
		 */
		off = ref_offset(&real);
		s.tv.tv_sec = real / NSEC_PER_SEC;
		s.tv.tv_usec = real % NSEC_PER_SEC / 1000;
		s.offset = (double)off / NSEC_PER_SEC;
		/* Until chronyd has created the socket, samples go nowhere. */
		sendto(fd, &s, sizeof(s), 0, (struct sockaddr *)&addr,
		       sizeof(addr));
		sleep_ms(SAMPLE_MS);
	}
	close(fd);
	return NULL;
}

static void dump_log(void)
{
	char line[256];
	FILE *f = fopen(LOG_PATH, "re");

	if (!f) {
		ksft_print_msg("no chronyd log at %s\n", LOG_PATH);
		return;
	}
	while (fgets(line, sizeof(line), f))
		ksft_print_msg("chronyd: %s", line);
	fclose(f);
}

/* Stops chronyd; true if it was running and exited cleanly. */
static bool chronyd_stop(void)
{
	int64_t end = clk_ns(CLOCK_MONOTONIC) + 5 * NSEC_PER_SEC;
	int status = 0;
	pid_t ret;

	if (chronyd < 0)
		return false;
	kill(chronyd, SIGTERM);
	while ((ret = waitpid(chronyd, &status, WNOHANG)) == 0 &&
	       clk_ns(CLOCK_MONOTONIC) < end)
		sleep_ms(20);
	if (ret == 0) {
		ksft_print_msg("chronyd ignored SIGTERM\n");
		kill(chronyd, SIGKILL);
		waitpid(chronyd, &status, 0);
	}
	chronyd = -1;
	return ret > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void feeder_stop(void)
{
	if (!__atomic_load_n(&feeding, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&feeding, false, __ATOMIC_RELAXED);
	pthread_join(feeder, NULL);
}

/* Undoes every recorded step and leaves the kernel unsynchronised. */
static bool restore(void)
{
	struct tsmon_record r;
	struct timex tx = saved;
	int64_t sum = 0;
	bool ok = true;
	int err;

	restored = true;
	chronyd_stop();
	feeder_stop();
	while (!tsmon_next(t, &all, &r)) {
		if (r.type == TSMON_EVENT_LOST) {
			ksft_print_msg("records lost: steps unknown\n");
			ok = false;
		}
		if (r.type == TSMON_EVENT_CLOCK_STEP)
			sum += (int64_t)r.step.delta_ns;
	}
	if (sum) {
		ksft_print_msg("chronyd stepped the clock by %lld ns in all\n",
			       (long long)sum);
		err = clock_step_ns(-sum);
		if (err) {
			ksft_print_msg("stepping back: %s\n", strerror(-err));
			ok = false;
		}
	}
	tx.status = (saved.status | STA_UNSYNC) & ~STA_PLL;
	tx.maxerror = NTP_PHASE_LIMIT_US;
	tx.esterror = NTP_PHASE_LIMIT_US;
	err = ntp_restore(&tx);
	if (err) {
		ksft_print_msg("restoring the NTP state: %s\n", strerror(-err));
		ok = false;
	}
	return ok;
}

static void cleanup(void)
{
	if (!restored && t)
		restore();
}

static pid_t chronyd_start(const char *bin, const char *conf)
{
	pid_t pid = fork();
	int fd;

	if (pid)
		return pid;
	/* If the test dies, chronyd goes with it. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
	}
	execl(bin, "chronyd", "-n", "-u", "root", "-f", conf, "-l", LOG_PATH,
	      "-t", CHRONYD_LIFETIME_S, (char *)NULL);
	/* chronyd_alive() reports the exit status. */
	_exit(127);
}

static bool chronyd_alive(void)
{
	int status;

	if (chronyd < 0)
		return false;
	if (waitpid(chronyd, &status, WNOHANG) == 0)
		return true;
	ksft_print_msg("chronyd exited (status 0x%x)\n", status);
	chronyd = -1;
	return false;
}

/* ------------------------------------------------------------ cases */

static uint64_t syncs_at_sync;

static bool case_synchronised(void)
{
	int64_t end = clk_ns(CLOCK_MONOTONIC) + SYNC_TIMEOUT_MS * NSEC_PER_MSEC;
	int64_t start = clk_ns(CLOCK_MONOTONIC);
	struct tsmon_health h;
	struct timex tx;

	for (;;) {
		if (ntp_read(&tx) < 0 || !chronyd_alive())
			return false;
		if (!(tx.status & STA_UNSYNC))
			break;
		if (clk_ns(CLOCK_MONOTONIC) > end) {
			ksft_print_msg("still unsynchronised after %d s\n",
				       SYNC_TIMEOUT_MS / 1000);
			return false;
		}
		sleep_ms(200);
	}
	if (!read_health(t, &h))
		return false;
	syncs_at_sync = h.ntp_syncs;
	ksft_print_msg("synchronised after %lld ms, %llu sync updates seen\n",
		       (long long)((clk_ns(CLOCK_MONOTONIC) - start) /
				   NSEC_PER_MSEC),
		       (unsigned long long)h.ntp_syncs);
	return h.ntp_syncs > 0;
}

/*
 * A few more sync updates, until chronyd's start-up (an update when it
 * starts, the next once it has selected the reference, seconds later) has
 * left the eight intervals tsmon keeps: staleness then follows the
 * steady one-second updates.
 */
static bool wait_syncs(uint64_t n)
{
	int64_t end = clk_ns(CLOCK_MONOTONIC) + 20 * NSEC_PER_SEC;
	struct tsmon_health h;

	do {
		sleep_ms(100);
		if (!read_health(t, &h) || !chronyd_alive())
			return false;
		if (h.ntp_syncs >= n && h.sync_interval_ns &&
		    h.sync_interval_ns <= STEADY_INTERVAL_NS)
			return true;
	} while (clk_ns(CLOCK_MONOTONIC) < end);
	ksft_print_msg("%llu sync updates (want %llu), interval %llu ns\n",
		       (unsigned long long)h.ntp_syncs,
		       (unsigned long long)n,
		       (unsigned long long)h.sync_interval_ns);
	return false;
}

static bool case_sync_record(void)
{
	struct tsmon_record r;
	bool ok = false;

	while (!tsmon_next(t, &all, &r)) {
		if (r.type != TSMON_EVENT_NTP_SYNC)
			continue;
		print_record("ntp_sync", &r);
		ok = !(r.ntp.status & STA_UNSYNC) &&
		     r.ntp.maxerror_ns < NSEC_PER_SEC;
	}
	return ok;
}

static struct tsmon_health same;	/* health right after a read call */
static struct timex same_tx;

/*
 * chronyd calls adjtimex too: the pair is retried until the health block
 * counted exactly the test's own call between the two health reads.
 */
static bool case_same_instant(void)
{
	struct tsmon_health hb;
	int64_t m0, m1;
	int i, ret;

	for (i = 0; i < 100; i++) {
		if (!read_health(t, &hb))
			return false;
		m0 = clk_ns(CLOCK_MONOTONIC);
		ret = ntp_read(&same_tx);
		m1 = clk_ns(CLOCK_MONOTONIC);
		if (ret < 0 || !read_health(t, &same))
			return false;
		if (same.ntp_captures == hb.ntp_captures + 1 &&
		    same.ntp_capture_modes == 0)
			break;
	}
	if (i == 100) {
		ksft_print_msg("never caught a read alone\n");
		return false;
	}
	ksft_print_msg("adjtimex: status 0x%x maxerror %ld us esterror %ld us freq %ld tick %ld (%d tries)\n",
		       same_tx.status, same_tx.maxerror, same_tx.esterror,
		       same_tx.freq, same_tx.tick, i + 1);
	if ((int64_t)same.ntp_capture_mono_ns < m0 ||
	    (int64_t)same.ntp_capture_mono_ns > m1) {
		ksft_print_msg("capture at %llu, outside the call\n",
			       (unsigned long long)same.ntp_capture_mono_ns);
		return false;
	}
	return ret != TIME_ERROR && health_matches_timex(&same, &same_tx, ret);
}

/*
 * chronyd's sync updates, about one a second. Since the last one the kernel
 * has only added 500 us per second boundary to the maxerror it set, and
 * left esterror alone.
 */
static bool case_sync_updates(void)
{
	uint64_t age = same.ntp_capture_mono_ns - same.sync_mono_ns;
	int64_t grown = same_tx.maxerror * USEC_NS + TSMON_SYNC_MAXERROR_ROUNDING_NS -
			(int64_t)same.sync_maxerror_ns;
	bool ok = true;

	ksft_print_msg("%llu sync updates, interval %llu ns (last %llu ns), maxerror %llu ns %llu ms ago\n",
		       (unsigned long long)same.ntp_syncs,
		       (unsigned long long)same.sync_interval_ns,
		       (unsigned long long)same.sync_last_interval_ns,
		       (unsigned long long)same.sync_maxerror_ns,
		       (unsigned long long)(age / NSEC_PER_MSEC));
	if (same.ntp_syncs < syncs_at_sync + 3 ||
	    same.sync_interval_ns < 500 * NSEC_PER_MSEC ||
	    same.sync_interval_ns > STEADY_INTERVAL_NS ||
	    same.sync_last_interval_ns > same.sync_interval_ns ||
	    same.sync_last_interval_ns == 0)
		ok = false;
	if (grown < 0 || grown % (500 * USEC_NS) ||
	    grown > (int64_t)(age / NSEC_PER_SEC + 1) * 500 * USEC_NS) {
		ksft_print_msg("kernel maxerror %ld us is not the sync update's plus 500 us steps\n",
			       same_tx.maxerror);
		ok = false;
	}
	ok &= field_eq("sync_esterror_ns", same.sync_esterror_ns,
		       same_tx.esterror * USEC_NS);
	return ok;
}

static bool case_now_synchronized(void)
{
	struct tsmon_health h;
	struct tsmon_time tm;

	if (!now_with_health(t, &tm, &h))
		return false;
	if (tm.status != TSMON_CLOCK_SYNCHRONIZED || tm.flags) {
		print_time("want SYNCHRONIZED", &tm);
		return false;
	}
	return time_is_bounded(&tm, &h, TSMON_DRIFT_DEFAULT_PPB);
}

static bool case_disciplined(void)
{
	int64_t real, off = ref_offset(&real);

	ksft_print_msg("reference - REALTIME: %lld ns, %lld ns at the start\n",
		       (long long)off, (long long)REF_START_NS);
	return llabs(off) < REF_AFTER_SYNC_NS;
}

static bool case_stopped(void)
{
	bool ok = chronyd_stop();

	feeder_stop();
	if (!ok) {
		ksft_print_msg("chronyd did not exit cleanly\n");
		dump_log();
	}
	return ok;
}

/* Nothing updates the block any more, and the bound grows all the same. */
static bool case_growth(void)
{
	struct tsmon_health ha, hb;
	struct tsmon_time a, b;
	uint64_t elapsed, grown, want;
	bool ok;

	if (!now_with_health(t, &a, &ha))
		return false;
	sleep_ms(2000);
	if (!now_with_health(t, &b, &hb))
		return false;
	ok = time_is_bounded(&a, &ha, TSMON_DRIFT_DEFAULT_PPB) &&
	     time_is_bounded(&b, &hb, TSMON_DRIFT_DEFAULT_PPB);
	if (ha.sync_mono_ns != hb.sync_mono_ns) {
		ksft_print_msg("a sync update after chronyd stopped\n");
		return false;
	}
	elapsed = b.mono_ns - a.mono_ns;
	grown = b.bound_ns - a.bound_ns;
	want = elapsed * TSMON_DRIFT_DEFAULT_PPB / NSEC_PER_SEC;
	ksft_print_msg("bound %llu -> %llu ns over %llu ms\n",
		       (unsigned long long)a.bound_ns,
		       (unsigned long long)b.bound_ns,
		       (unsigned long long)(elapsed / NSEC_PER_MSEC));
	return ok && grown + 1 >= want && grown <= want + 1;
}

/* SYNCHRONIZED up to stale_factor x interval after the last update, then stale. */
static bool case_stale(void)
{
	int64_t end = clk_ns(CLOCK_MONOTONIC) +
		      STALE_TIMEOUT_MS * NSEC_PER_MSEC;
	struct tsmon_health h;
	struct tsmon_time tm;
	bool stale;

	for (;;) {
		if (!now_with_health(t, &tm, &h))
			return false;
		stale = tm.mono_ns - h.sync_mono_ns >
			TSMON_STALE_FACTOR_DEFAULT * h.sync_interval_ns;
		if (tm.status != (stale ? TSMON_CLOCK_FREE_RUNNING :
				  TSMON_CLOCK_SYNCHRONIZED) ||
		    tm.flags != (stale ? TSMON_TIME_STALE : 0)) {
			print_time(stale ? "want stale" : "want synchronised",
				   &tm);
			return false;
		}
		if (stale) {
			ksft_print_msg("stale %llu ms after the last sync update (interval %llu ms)\n",
				       (unsigned long long)(tm.sync_age_ns /
							    NSEC_PER_MSEC),
				       (unsigned long long)(h.sync_interval_ns /
							    NSEC_PER_MSEC));
			return time_is_bounded(&tm, &h,
					       TSMON_DRIFT_DEFAULT_PPB);
		}
		if (clk_ns(CLOCK_MONOTONIC) > end)
			break;
		sleep_ms(100);
	}
	ksft_print_msg("not stale after %d s\n", STALE_TIMEOUT_MS / 1000);
	return false;
}

static bool case_restore(void)
{
	struct rt_offset now;
	bool ok = restore();

	now = rt_mono_offset();
	if (llabs(now.off_ns - off0.off_ns) >
	    now.err_ns + off0.err_ns + OFFSET_SLOP_NS) {
		ksft_print_msg("REALTIME-MONOTONIC differs by %lld ns from the start\n",
			       (long long)(now.off_ns - off0.off_ns));
		ok = false;
	}
	return ok;
}

/* The files next to this program: <build>/tests/selftests/<prog>. */
static void exe_relative(char *out, size_t size, const char *rel)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	exe[n > 0 ? n : 0] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(out, size, "%s/%s", exe, rel);
}

int main(void)
{
	char bin[PATH_MAX + 64], conf[PATH_MAX + 64];
	int64_t real;
	int err;

	selftest_init();
	exe_relative(bin, sizeof(bin), CHRONYD_FROM_EXE);
	exe_relative(conf, sizeof(conf), CONF_FROM_EXE);
	if (access(bin, X_OK))
		ksft_exit_skip("no chronyd at %s (tests/ntp/fetch.sh unpacks it)\n",
			       bin);
	if (access(conf, R_OK))
		ksft_exit_fail_msg("%s: %s\n", conf, strerror(errno));
	ksft_set_plan(10);

	if (ntp_read(&saved) < 0)
		ksft_exit_fail_msg("adjtimex: %s\n", strerror(errno));
	off0 = rt_mono_offset();
	/* A fresh load: the sync interval is chronyd's alone. */
	err = module_reload_default();
	if (err)
		ksft_exit_fail_msg("reloading the module: %s\n", strerror(-err));
	t = open_or_bail();
	tsmon_cursor_init(t, &all, TSMON_FROM_NOW, 0);
	atexit(cleanup);

	if (mkdir(RUN_DIR, 0700) && errno != EEXIST)
		ksft_exit_fail_msg("mkdir %s: %s\n", RUN_DIR, strerror(errno));
	unlink(SOCK_PATH);
	unlink(LOG_PATH);
	ref_base = clk_ns(CLOCK_REALTIME) - clk_ns(CLOCK_MONOTONIC_RAW) +
		   REF_START_NS;
	__atomic_store_n(&feeding, true, __ATOMIC_RELAXED);
	err = pthread_create(&feeder, NULL, feed, NULL);
	if (err) {
		feeding = false;
		ksft_exit_fail_msg("pthread_create: %s\n", strerror(err));
	}
	chronyd = chronyd_start(bin, conf);
	if (chronyd < 0)
		ksft_exit_fail_msg("fork: %s\n", strerror(errno));
	ksft_print_msg("chronyd %d, reference %lld ns ahead\n", chronyd,
		       (long long)ref_offset(&real));

	if (!case_synchronised()) {
		dump_log();
		ksft_exit_fail_msg("chronyd did not synchronise the clock\n");
	}
	ksft_test_result_pass("chronyd synchronised the clock (STA_UNSYNC cleared)\n");
	ksft_test_result(wait_syncs(syncs_at_sync + 3) && case_sync_record(),
			 "ntp_sync recorded when chronyd cleared STA_UNSYNC\n");
	ksft_test_result(case_same_instant(),
			 "health equals a read-only adjtimex at the same instant\n");
	ksft_test_result(case_sync_updates(),
			 "chronyd's sync updates: counted, interval, maxerror\n");
	ksft_test_result(case_now_synchronized(),
			 "tsmon_now: SYNCHRONIZED, exact bound\n");
	ksft_test_result(case_disciplined(),
			 "chronyd slewed the clock onto the reference\n");
	ksft_test_result(case_stopped(), "chronyd stopped\n");
	ksft_test_result(case_growth(),
			 "the bound grows at the drift rate with no update\n");
	ksft_test_result(case_stale(),
			 "FREE_RUNNING (STALE) once the last sync update is stale\n");
	ksft_test_result(case_restore(),
			 "chronyd's steps undone, NTP state restored\n");
	if (ksft_get_fail_cnt())
		dump_log();
	tsmon_close(t);
	t = NULL;
	ksft_finished();
}
