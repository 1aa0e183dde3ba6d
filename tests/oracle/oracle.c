// SPDX-License-Identifier: GPL-2.0-only
/*
 * oracle - containment oracle for tsmon's bounded clock.
 *
 * Real synchronisation daemons discipline the guest's clock to a reference
 * whose true time this program knows, faults are injected, and a dedicated
 * thread samples tsmon_now() every millisecond the whole time. Every sample
 * whose status is SYNCHRONIZED must contain the truth: |real - truth| <=
 * bound, i.e. truth within [earliest, latest].
 *
 * Truth is CLOCK_MONOTONIC_RAW + a base (no NTP adjustment touches
 * MONOTONIC_RAW), with a leap second folded in for the leap phases. Each
 * sample reads MONOTONIC_RAW before and after tsmon_now(): it passes when
 * the truth at some instant of that window lies within the bound.
 *
 * Sources, one phase each, the clock restored between them:
 *   chrony      chronyd to a SOCK refclock served from truth
 *   phc2sys     phc2sys from a test PHC set to truth, without a budget
 *               (no sample may be SYNCHRONIZED: maxerror 0 asserts nothing)
 *   phc2sys+B   the same with sync_budget_ns declared
 *   timesyncd   systemd-timesyncd over NTP on loopback from a server in
 *               this program timestamping with truth, sync_budget_ns
 *               declared
 *   leap-ins    chronyd, a leap second inserted at midnight UTC
 *   leap-del    chronyd, a leap second deleted
 * Faults: the clock stepped +20 ms and -20 ms behind the daemon's back, the
 * reference stalled, the daemon killed and restarted.
 *
 * Report: one TAP line per source and fault phase: samples, SYNCHRONIZED,
 * containment (must be 100 %), tightness (median bound / median |error|)
 * and the largest |error|; the first violating samples are printed. Exit
 * status non-zero on any violation.
 *
 * Environment:
 *   ORACLE_PHASES       phases to run, by name (default: all)
 *   ORACLE_BUDGET_NS    the sync budget declared for phc2sys+B (default
 *                       1000000, 1 ms: its error under TCG is microseconds)
 *   ORACLE_TIMESYNCD_BUDGET_NS  ... for timesyncd (default 5000000, 5 ms:
 *                       one loopback NTP exchange under TCG measures up to
 *                       a few milliseconds off, the delays being asymmetric)
 *   ORACLE_ASSUME_ZERO  1: tsmon before its soundness rule. No budget is
 *                       declared, and a sample that is UNKNOWN only because
 *                       the source asserted maxerror 0 (flags NO_ERROR |
 *                       UNBOUNDED, health sync_maxerror_ns unknown) is
 *                       taken as SYNCHRONIZED with bound |PLL offset| +
 *                       drift x age. Expected to report violations.
 *
 * It changes the system clock, the NTP state and the TAI offset, runs
 * daemons that do the same, and loads modules: only inside the test guest
 * (tests/oracle/guest.sh), from the repository's directory.
 */
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "tsmon_selftest.h"

#define RUN_DIR			"/tmp/oracle"
#define CLIENT_SOCK		RUN_DIR "/client.sock"
#define CHRONYD			"build/chrony/usr/sbin/chronyd"
#define PHC2SYS			"build/linuxptp/usr/sbin/phc2sys"
#define TIMESYNCD		"build/timesyncd/lib/systemd/systemd-timesyncd"
#define CLIENT_CONF		"tests/oracle/chrony-client.conf"
#define TIMESYNCD_CONF		"tests/oracle/timesyncd.conf"
#define TIMESYNCD_CONF_DIR	"/run/systemd/timesyncd.conf.d"

#define USEC			1000LL
#define MSEC			NSEC_PER_MSEC
#define SEC			NSEC_PER_SEC

#define SAMPLE_PERIOD_NS	MSEC		/* 1 kHz */
#define MIN_RATE_HZ		500
#define MAX_SAMPLES		400000		/* per phase */
#define FEED_PERIOD_MS		250		/* SOCK refclock: 4 samples/s */
#define STEP_NS			(20 * MSEC)	/* fault (a) */
#define REF_OFFSET_NS		(3 * MSEC)	/* reference - REALTIME at start */
#define BUDGET_DEFAULT_NS	1000000ULL	/* phc2sys */
/* NTP over loopback under TCG: a single exchange measured up to 2.3 ms off. */
#define TS_BUDGET_DEFAULT_NS	5000000ULL	/* timesyncd */
#define SETTLE_DEFAULT_MS	60000		/* the module's default */
#define SHOW_VIOLATIONS		8
/* 2026-12-31T24:00:00Z: chronyd accepts leap seconds at the end of June and
 * December only. */
#define LEAP_MIDNIGHT_S		1798761600LL
#define LEAP_LEAD_S		25	/* the phase starts this long before */
#define LEAP_AFTER_S		6	/* and ends this long after */
#define LEAP_QUIET_NS		(3 * SEC) /* no reference samples this close */

/* ------------------------------------------------------------ truth */

/*
 * Truth at MONOTONIC_RAW @raw: c = raw + base, as POSIX time. A leap
 * second at continuous time leap_at: inserted (leap 1), POSIX time is c - 1 s
 * from then on (23:59:59 repeats, as the kernel shows it); deleted
 * (leap -1, leap_at = 23:59:59), c + 1 s (23:59:59 never shows).
 */
static struct {
	int64_t base;
	int64_t leap_at;
	int leap;
	int64_t unc_ns;		/* how well the base is known */
} truth;

static int64_t truth_at(int64_t raw)
{
	int64_t c = raw + truth.base;

	if (truth.leap && c >= truth.leap_at)
		return c - truth.leap * SEC;
	return c;
}

/* ------------------------------------------------------------ sampling */

struct sample {
	int64_t raw0, raw1;	/* MONOTONIC_RAW around tsmon_now() */
	uint64_t real, bound, age, mono;
	uint64_t sync_maxerror, sync_offset, sync_mono, disrupt_mono;
	int64_t ntp_offset;
	uint32_t status, flags, sync_flags, disrupt_type, ntp_status;
	uint16_t seg;
	uint8_t assumed;	/* ORACLE_ASSUME_ZERO made it SYNCHRONIZED */
	uint8_t torn;		/* health changed around every try */
};

static struct tsmon *t;
static struct sample *samples;
static size_t nsamples;
static size_t dropped;
static int cur_seg;
static bool sampling;
static pthread_t sampler_thread;
static bool assume_zero;
static uint64_t drift_ppb = TSMON_DRIFT_DEFAULT_PPB;

static void take_sample(void)
{
	struct tsmon_health h0, h1;
	struct tsmon_time tm;
	struct sample *s;
	int64_t raw0 = 0, raw1 = 0;
	int i;

	if (nsamples >= MAX_SAMPLES) {
		dropped++;
		return;
	}
	s = &samples[nsamples];
	for (i = 0; i < 10; i++) {
		if (tsmon_health(t, &h0))
			return;
		raw0 = clk_ns(CLOCK_MONOTONIC_RAW);
		if (tsmon_now(t, &tm))
			return;
		raw1 = clk_ns(CLOCK_MONOTONIC_RAW);
		if (tsmon_health(t, &h1))
			return;
		if (h0.seq == h1.seq)
			break;
	}
	memset(s, 0, sizeof(*s));
	s->torn = i == 10;
	s->raw0 = raw0;
	s->raw1 = raw1;
	s->real = tm.real_ns;
	s->bound = tm.bound_ns;
	s->age = tm.sync_age_ns;
	s->mono = tm.mono_ns;
	s->status = tm.status;
	s->flags = tm.flags;
	s->sync_maxerror = h1.sync_maxerror_ns;
	s->sync_offset = h1.sync_offset_ns;
	s->sync_mono = h1.sync_mono_ns;
	s->sync_flags = h1.sync_flags;
	s->disrupt_mono = h1.disrupt_mono_ns;
	s->disrupt_type = h1.disrupt_type;
	s->ntp_status = h1.ntp_status;
	s->ntp_offset = (int64_t)h1.ntp_offset_ns;
	s->seg = (uint16_t)__atomic_load_n(&cur_seg, __ATOMIC_RELAXED);
	/*
	 * tsmon before the soundness rule: a sync update with maxerror 0 was
	 * a bound of 0, grown by the drift (the PLL offset still counted).
	 */
	if (assume_zero && tm.status == TSMON_CLOCK_UNKNOWN &&
	    tm.flags == (TSMON_TIME_NO_ERROR | TSMON_TIME_UNBOUNDED) &&
	    h1.sync_maxerror_ns == TSMON_SYNC_ERROR_UNKNOWN) {
		s->assumed = 1;
		s->status = TSMON_CLOCK_SYNCHRONIZED;
		s->bound = h1.sync_offset_ns + tm.sync_age_ns * drift_ppb / SEC;
	}
	nsamples++;
}

static uint64_t late_wakeups;

static void *sampler(void *arg)
{
	struct timespec ts;
	int64_t next = clk_ns(CLOCK_MONOTONIC), now;

	while (__atomic_load_n(&sampling, __ATOMIC_RELAXED)) {
		next += SAMPLE_PERIOD_NS;
		now = clk_ns(CLOCK_MONOTONIC);
		if (next < now - 20 * MSEC) {
			late_wakeups++;
			next = now;
		}
		ts.tv_sec = next / SEC;
		ts.tv_nsec = next % SEC;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		take_sample();
	}
	return NULL;
}

static void sampler_start(void)
{
	nsamples = 0;
	dropped = 0;
	late_wakeups = 0;
	__atomic_store_n(&cur_seg, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&sampling, true, __ATOMIC_RELAXED);
	if (pthread_create(&sampler_thread, NULL, sampler, NULL))
		ksft_exit_fail_msg("pthread_create: sampler\n");
}

static void sampler_stop(void)
{
	if (!__atomic_load_n(&sampling, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&sampling, false, __ATOMIC_RELAXED);
	pthread_join(sampler_thread, NULL);
}

/* ------------------------------------------------------------ reference feeds */

/* A sample of chrony's SOCK refclock protocol (its refclock_sock.c). */
#define SOCK_MAGIC		0x534f434b
struct sock_sample {
	struct timeval tv;	/* system time of the measurement */
	double offset;		/* reference - system time, seconds */
	int pulse;
	int leap;		/* 0 none, 1 insert, 2 delete */
	int _pad;
	int magic;
};

static struct {
	pthread_t thread;
	bool running;
	bool stalled;
	const char *path;
	int leap;		/* announced until the leap happened */
	uint64_t sent;
} feed;

static void *feeder(void *arg)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct sock_sample s = { .magic = SOCK_MAGIC };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int64_t r1, raw, r2, real, ref;

	if (fd < 0)
		return NULL;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", feed.path);
	while (__atomic_load_n(&feed.running, __ATOMIC_RELAXED)) {
		sleep_ms(FEED_PERIOD_MS);
		if (__atomic_load_n(&feed.stalled, __ATOMIC_RELAXED))
			continue;
		r1 = clk_ns(CLOCK_REALTIME);
		raw = clk_ns(CLOCK_MONOTONIC_RAW);
		r2 = clk_ns(CLOCK_REALTIME);
		/* Never across a step: the two reads must agree. */
		if (r2 - r1 > MSEC || r2 < r1)
			continue;
		real = r1 + (r2 - r1) / 2;
		ref = truth_at(raw);
		/* No sample near the leap: its REALTIME is ambiguous there. */
		if (truth.leap && llabs(raw + truth.base - truth.leap_at) < LEAP_QUIET_NS)
			continue;
		s.leap = truth.leap && raw + truth.base < truth.leap_at ?
			 (truth.leap > 0 ? 1 : 2) : 0;
		if (!feed.leap)
			s.leap = 0;
		s.tv.tv_sec = real / SEC;
		s.tv.tv_usec = real % SEC / 1000;
		/* The offset holds for the truncated time as well. */
		s.offset = (double)(ref - real) / SEC;
		if (sendto(fd, &s, sizeof(s), 0, (struct sockaddr *)&addr,
			   sizeof(addr)) == sizeof(s))
			feed.sent++;
	}
	close(fd);
	return NULL;
}

static void feed_start(const char *path, int leap)
{
	feed.path = path;
	feed.leap = leap;
	feed.sent = 0;
	__atomic_store_n(&feed.stalled, false, __ATOMIC_RELAXED);
	__atomic_store_n(&feed.running, true, __ATOMIC_RELAXED);
	if (pthread_create(&feed.thread, NULL, feeder, NULL))
		ksft_exit_fail_msg("pthread_create: feeder\n");
}

static void feed_stop(void)
{
	if (!__atomic_load_n(&feed.running, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&feed.running, false, __ATOMIC_RELAXED);
	pthread_join(feed.thread, NULL);
}

/* ------------------------------------------------------------ daemons */

struct daemon {
	const char *name;
	pid_t pid;
	char log[128];
};

static struct daemon chronyd_client = { .name = "chronyd", .pid = -1 };
static struct daemon phc2sys = { .name = "phc2sys", .pid = -1 };
static struct daemon timesyncd = { .name = "timesyncd", .pid = -1 };

static bool daemon_start(struct daemon *d, char *const argv[], char *const envp[])
{
	pid_t pid;
	int fd;

	snprintf(d->log, sizeof(d->log), RUN_DIR "/%s.out", d->name);
	pid = fork();
	if (pid < 0) {
		ksft_print_msg("fork: %s\n", strerror(errno));
		return false;
	}
	if (!pid) {
		/* If the oracle dies, the daemon goes with it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			dup2(fd, STDIN_FILENO);
		fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		if (envp)
			execve(argv[0], argv, envp);
		else
			execv(argv[0], argv);
		_exit(127);
	}
	d->pid = pid;
	return true;
}

static bool daemon_alive(struct daemon *d)
{
	int status;

	if (d->pid < 0)
		return false;
	if (waitpid(d->pid, &status, WNOHANG) == 0)
		return true;
	ksft_print_msg("%s exited (status %#x)\n", d->name, status);
	d->pid = -1;
	return false;
}

static void daemon_stop(struct daemon *d, int sig)
{
	int64_t end = clk_ns(CLOCK_MONOTONIC) + 5 * SEC;
	int status;
	pid_t ret;

	if (d->pid < 0)
		return;
	kill(d->pid, SIGCONT);
	kill(d->pid, sig);
	while ((ret = waitpid(d->pid, &status, WNOHANG)) == 0 &&
	       clk_ns(CLOCK_MONOTONIC) < end)
		sleep_ms(20);
	if (ret == 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, &status, 0);
	}
	d->pid = -1;
}

static void show_log(const char *path, int max_lines)
{
	char line[512];
	FILE *f = fopen(path, "re");
	long n = 0, skip;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		n++;
	rewind(f);
	skip = n > max_lines ? n - max_lines : 0;
	while (fgets(line, sizeof(line), f))
		if (skip-- <= 0)
			ksft_print_msg("  %s: %s", path, line);
	fclose(f);
}

static bool chronyd_client_start(void)
{
	char *const argv[] = {
		CHRONYD, "-n", "-u", "root", "-f", CLIENT_CONF,
		"-l", RUN_DIR "/chronyd-client.log", NULL,
	};

	return daemon_start(&chronyd_client, argv, NULL);
}

static int phc_idx = -1;
static int phc_fd = -1;
static clockid_t phc_clk;

static bool phc2sys_start(void)
{
	char dev[32];
	char *const argv[] = {
		PHC2SYS, "-s", dev, "-c", "CLOCK_REALTIME", "-O", "0",
		"-R", "4", "-m", "-q", NULL,
	};

	snprintf(dev, sizeof(dev), "/dev/ptp%d", phc_idx);
	return daemon_start(&phc2sys, argv, NULL);
}

static bool timesyncd_start(void)
{
	char *const argv[] = { TIMESYNCD, NULL };
	char *const envp[] = {
		"SYSTEMD_LOG_LEVEL=debug", "SYSTEMD_LOG_TARGET=console",
		"SYSTEMD_LOG_COLOR=0", "SYSTEMD_LOG_TIME=1",
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL,
	};

	return daemon_start(&timesyncd, argv, envp);
}

/* ------------------------------------------------------------ NTP query */

#define NTP_UNIX_DELTA		2208988800LL

static int64_t ntp_ts_ns(const uint8_t *p)
{
	uint32_t sec = (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
	uint32_t frac = (uint32_t)p[4] << 24 | p[5] << 16 | p[6] << 8 | p[7];
	/* Era 0 (until 2036). */
	return ((int64_t)sec - NTP_UNIX_DELTA) * SEC +
	       (int64_t)(((uint64_t)frac * SEC) >> 32);
}

/*
 * Truth when the kernel timestamped a packet at REALTIME @ts (SO_TIMESTAMPNS):
 * REALTIME mapped onto truth through a pair of reads now, a few
 * microseconds to milliseconds later (no step in between).
 */
static int64_t truth_of_realtime(const struct timespec *ts)
{
	int64_t r1 = clk_ns(CLOCK_REALTIME);
	int64_t raw = clk_ns(CLOCK_MONOTONIC_RAW);
	int64_t r2 = clk_ns(CLOCK_REALTIME);
	int64_t at = (int64_t)ts->tv_sec * SEC + ts->tv_nsec;

	return truth_at(raw) - (r1 + (r2 - r1) / 2 - at);
}

/*
 * recv() with the kernel's receive timestamp as truth in *rx (truth now
 * when there is none): scheduling delays under TCG are milliseconds, and
 * would bias every exchange.
 */
static ssize_t recv_stamped(int fd, void *buf, size_t len,
			    struct sockaddr_in *from, socklen_t *fromlen,
			    int64_t *rx)
{
	char ctrl[CMSG_SPACE(sizeof(struct timespec))];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_name = from, .msg_namelen = from ? *fromlen : 0,
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctrl, .msg_controllen = sizeof(ctrl),
	};
	struct cmsghdr *c;
	ssize_t n = recvmsg(fd, &msg, 0);

	*rx = truth_at(clk_ns(CLOCK_MONOTONIC_RAW));
	if (n < 0)
		return n;
	if (fromlen)
		*fromlen = msg.msg_namelen;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			*rx = truth_of_realtime(&ts);
		}
	return n;
}

/*
 * One NTP request to the server on 127.0.0.1:123: its time minus truth, in
 * *err (receive and transmit timestamps against the truth when sent and
 * received), its leap indicator and stratum. false when no reply came.
 */
static bool ntp_query(int64_t *err, int *li, int *stratum)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(123),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	uint8_t pkt[48] = { 0x23 }, rep[128];	/* LI 0, VN 4, mode 3 */
	struct pollfd pfd;
	int64_t r0, t1, t4;
	ssize_t n;
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	/* A cookie in the transmit timestamp, echoed as the origin. */
	r0 = clk_ns(CLOCK_MONOTONIC_RAW);
	memcpy(pkt + 40, &r0, 8);
	t1 = truth_at(r0);
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&sa,
		   sizeof(sa)) != sizeof(pkt) || poll(&pfd, 1, 300) != 1) {
		close(fd);
		return false;
	}
	n = recv_stamped(fd, rep, sizeof(rep), NULL, NULL, &t4);
	close(fd);
	if (n < 48 || (rep[0] & 7) != 4 || memcmp(rep + 24, pkt + 40, 8))
		return false;
	*li = rep[0] >> 6;
	*stratum = rep[1];
	*err = (ntp_ts_ns(rep + 32) - t1 + ntp_ts_ns(rep + 40) - t4) / 2;
	return true;
}

/*
 * The NTP server timesyncd synchronises to: 127.0.0.1:123, stratum 1,
 * every timestamp taken from truth. (A chronyd -x was the first choice; it
 * tracks the very system clock timesyncd steers, through a driver that
 * slews its own correction at 500 ppm at most, and served time up to
 * 24 ms from truth after a 20 ms step: no reference.)
 */
static struct {
	pthread_t thread;
	int fd;
	bool running;
	bool stalled;
	uint64_t requests, replies;
} srv = { .fd = -1 };

static void ntp_put_ts(uint8_t *p, int64_t ns)
{
	uint64_t sec = (uint64_t)(ns / SEC + NTP_UNIX_DELTA);
	uint64_t frac = ((uint64_t)(ns % SEC) << 32) / SEC;
	int i;

	for (i = 0; i < 4; i++) {
		p[i] = (uint8_t)(sec >> (24 - 8 * i));
		p[4 + i] = (uint8_t)(frac >> (24 - 8 * i));
	}
}

static void *ntp_server(void *arg)
{
	struct sockaddr_in from;
	socklen_t len;
	uint8_t req[128], rep[48];
	struct pollfd pfd = { .fd = srv.fd, .events = POLLIN };
	int64_t rx;
	ssize_t n;

	while (__atomic_load_n(&srv.running, __ATOMIC_RELAXED)) {
		if (poll(&pfd, 1, 100) != 1)
			continue;
		len = sizeof(from);
		n = recv_stamped(srv.fd, req, sizeof(req), &from, &len, &rx);
		if (n < 48 || (req[0] & 7) != 3)
			continue;
		srv.requests++;
		if (__atomic_load_n(&srv.stalled, __ATOMIC_RELAXED))
			continue;
		memset(rep, 0, sizeof(rep));
		rep[0] = (uint8_t)((req[0] & 0x38) | 4);	/* LI 0, its VN, server */
		rep[1] = 1;					/* stratum */
		rep[2] = req[2];				/* poll */
		rep[3] = (uint8_t)-20;				/* precision */
		rep[9] = 0;					/* root dispersion */
		rep[10] = 1;					/* 1/65536 s: 15 us */
		memcpy(rep + 12, "ORCL", 4);
		ntp_put_ts(rep + 16, rx - SEC);			/* reference */
		memcpy(rep + 24, req + 40, 8);			/* origin */
		ntp_put_ts(rep + 32, rx);			/* receive */
		ntp_put_ts(rep + 40, truth_at(clk_ns(CLOCK_MONOTONIC_RAW)));
		if (sendto(srv.fd, rep, sizeof(rep), 0, (struct sockaddr *)&from,
			   len) == sizeof(rep))
			srv.replies++;
	}
	return NULL;
}

static bool ntp_server_start(void)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(123),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int one = 1;

	srv.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (srv.fd < 0)
		return false;
	setsockopt(srv.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(srv.fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	if (bind(srv.fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ksft_print_msg("binding 127.0.0.1:123: %s\n", strerror(errno));
		close(srv.fd);
		srv.fd = -1;
		return false;
	}
	srv.requests = srv.replies = 0;
	__atomic_store_n(&srv.stalled, false, __ATOMIC_RELAXED);
	__atomic_store_n(&srv.running, true, __ATOMIC_RELAXED);
	if (pthread_create(&srv.thread, NULL, ntp_server, NULL)) {
		close(srv.fd);
		srv.fd = -1;
		return false;
	}
	return true;
}

static void ntp_server_stop(void)
{
	if (srv.fd < 0)
		return;
	__atomic_store_n(&srv.running, false, __ATOMIC_RELAXED);
	pthread_join(srv.thread, NULL);
	close(srv.fd);
	srv.fd = -1;
}

/* ------------------------------------------------------------ clock state */

static struct timex tx0;
static struct rt_offset off0;
static int tai0;

/*
 * The clock as found: no PLL offset left to slew, status, frequency, tick,
 * constant and error estimates, TAI offset, REALTIME - MONOTONIC.
 */
static bool restore_clock(void)
{
	struct timex tx = { .modes = ADJ_STATUS, .status = STA_PLL };
	struct rt_offset now;
	bool ok = true;
	int err;

	if (adjtimex(&tx) < 0)
		ok = false;
	memset(&tx, 0, sizeof(tx));
	tx.modes = ADJ_OFFSET | ADJ_NANO;
	if (adjtimex(&tx) < 0)
		ok = false;
	err = ntp_restore(&tx0);
	if (err) {
		ksft_print_msg("restoring the NTP state: %s\n", strerror(-err));
		ok = false;
	}
	if (ntp_tai() != tai0 && ntp_set_tai(tai0)) {
		ksft_print_msg("restoring the TAI offset: %s\n", strerror(errno));
		ok = false;
	}
	now = rt_mono_offset();
	if (now.off_ns != off0.off_ns) {
		err = clock_step_ns(off0.off_ns - now.off_ns);
		if (err) {
			ksft_print_msg("stepping back: %s\n", strerror(-err));
			ok = false;
		}
	}
	/* The step set STA_UNSYNC again (it is in tx0 anyway). */
	err = ntp_restore(&tx0);
	if (err)
		ok = false;
	now = rt_mono_offset();
	if (llabs(now.off_ns - off0.off_ns) > now.err_ns + off0.err_ns + 10000) {
		ksft_print_msg("REALTIME-MONOTONIC off by %lld ns after restoring\n",
			       (long long)(now.off_ns - off0.off_ns));
		ok = false;
	}
	return ok;
}

static void set_budget(uint64_t ns)
{
	int err = tsmon_param_set("sync_budget_ns", ns);

	if (err)
		ksft_print_msg("sync_budget_ns=%llu: %s\n",
			       (unsigned long long)ns, strerror(-err));
}

/* Truth = REALTIME + @ahead_ns from now on (no leap). */
static void truth_from_realtime(int64_t ahead_ns)
{
	int64_t r1 = clk_ns(CLOCK_REALTIME);
	int64_t raw = clk_ns(CLOCK_MONOTONIC_RAW);
	int64_t r2 = clk_ns(CLOCK_REALTIME);

	truth.base = r1 + (r2 - r1) / 2 - raw + ahead_ns;
	truth.leap = 0;
	truth.leap_at = 0;
	truth.unc_ns = 0;
}

/* ------------------------------------------------------------ phases */

#define MAX_SEGS	8

struct phase {
	const char *name;
	const char *what;
	const char *segs[MAX_SEGS];
	int nsegs;
	bool (*run)(struct phase *p);
	bool needs_sync;	/* its "steady" segment must have SYNCHRONIZED */
	bool forbids_sync;	/* no sample may be SYNCHRONIZED (the rule) */
	const char *skip;	/* why it cannot run, when it cannot */
	bool selected;
};

/* Diagnostics the phase's loop collects per segment. */
static struct {
	int64_t srv_err_max;	/* |server time - truth|, NTP queries */
	int srv_replies, srv_queries;
} diag[MAX_SEGS];
static bool query_server;
static struct daemon *watched[4];

static void wait_seg(int seg, double seconds)
{
	int64_t end = clk_ns(CLOCK_MONOTONIC) + (int64_t)(seconds * SEC);
	int64_t err;
	int li, stratum, i;

	__atomic_store_n(&cur_seg, seg, __ATOMIC_RELAXED);
	while (clk_ns(CLOCK_MONOTONIC) < end) {
		sleep_ms(query_server ? 1000 : 200);
		if (query_server) {
			diag[seg].srv_queries++;
			if (ntp_query(&err, &li, &stratum) && li != 3) {
				diag[seg].srv_replies++;
				if (llabs(err) > diag[seg].srv_err_max)
					diag[seg].srv_err_max = llabs(err);
			}
		}
		for (i = 0; i < 4; i++)
			if (watched[i] && watched[i]->pid >= 0)
				daemon_alive(watched[i]);
	}
}

static void fault_step(int64_t ns)
{
	int err = clock_step_ns(ns);

	if (err)
		ksft_print_msg("stepping the clock by %lld ns: %s\n",
			       (long long)ns, strerror(-err));
}

/* Waits until the kernel is synchronised (STA_UNSYNC clear). */
static bool wait_synced(int seg, int max_s)
{
	int64_t end = clk_ns(CLOCK_MONOTONIC) + max_s * SEC;

	__atomic_store_n(&cur_seg, seg, __ATOMIC_RELAXED);
	while (clk_ns(CLOCK_MONOTONIC) < end) {
		if (!(ntp_status() & STA_UNSYNC))
			return true;
		sleep_ms(100);
	}
	return false;
}

static int seg_of(const struct phase *p, const char *name)
{
	int i;

	for (i = 0; i < p->nsegs; i++)
		if (!strcmp(p->segs[i], name))
			return i;
	ksft_exit_fail_msg("phase %s has no segment %s\n", p->name, name);
	return 0;
}

/* chronyd to the SOCK refclock: start, steady, steps, stall, kill. */
static bool run_chrony(struct phase *p)
{
	truth_from_realtime(REF_OFFSET_NS);
	set_budget(0);
	feed_start(CLIENT_SOCK, 0);
	sampler_start();
	if (!chronyd_client_start())
		return false;
	watched[0] = &chronyd_client;
	if (!wait_synced(seg_of(p, "start"), 30))
		ksft_print_msg("chronyd did not synchronise within 30 s\n");
	wait_seg(seg_of(p, "start"), 3);
	wait_seg(seg_of(p, "steady"), 6);
	fault_step(STEP_NS);
	wait_seg(seg_of(p, "step+20ms"), 8);
	fault_step(-STEP_NS);
	wait_seg(seg_of(p, "step-20ms"), 8);
	__atomic_store_n(&feed.stalled, true, __ATOMIC_RELAXED);
	wait_seg(seg_of(p, "stall"), 8);
	__atomic_store_n(&feed.stalled, false, __ATOMIC_RELAXED);
	wait_seg(seg_of(p, "stall"), 6);
	kill(chronyd_client.pid, SIGKILL);
	waitpid(chronyd_client.pid, NULL, 0);
	chronyd_client.pid = -1;
	wait_seg(seg_of(p, "kill"), 8);
	chronyd_client_start();
	wait_seg(seg_of(p, "kill"), 10);
	return true;
}

/* The test PHC at truth: truth is what the PHC reads (its base measured). */
static bool phc_prepare(void)
{
	struct timex tx = { .modes = ADJ_FREQUENCY, .freq = 0 };
	int64_t when, r0, r1, p, best = INT64_MAX, base = 0;
	struct timespec ts;
	int i;

	if (phc_fd < 0) {
		if (!testphc_loaded() && testphc_load(1)) {
			ksft_print_msg("cannot load the test PHC module\n");
			return false;
		}
		phc_idx = testphc_index(0);
		if (phc_idx < 0) {
			ksft_print_msg("no PHC named %s\n", TESTPHC_NAME);
			return false;
		}
		phc_fd = phc_open(phc_idx, &phc_clk);
		if (phc_fd < 0) {
			ksft_print_msg("opening /dev/ptp%d: %s\n", phc_idx,
				       strerror(-phc_fd));
			return false;
		}
	}
	if (clock_adjtime(phc_clk, &tx) < 0)
		return false;
	when = clk_ns(CLOCK_REALTIME) + REF_OFFSET_NS;
	ts.tv_sec = when / SEC;
	ts.tv_nsec = when % SEC;
	if (clock_settime(phc_clk, &ts))
		return false;
	for (i = 0; i < 200; i++) {
		r0 = clk_ns(CLOCK_MONOTONIC_RAW);
		p = clk_ns(phc_clk);
		r1 = clk_ns(CLOCK_MONOTONIC_RAW);
		if (r1 - r0 < best) {
			best = r1 - r0;
			base = p - (r0 + (r1 - r0) / 2);
		}
	}
	truth.base = base;
	truth.leap = 0;
	truth.unc_ns = (best + 1) / 2;
	ksft_print_msg("test PHC /dev/ptp%d: truth base known to +-%lld ns\n",
		       phc_idx, (long long)truth.unc_ns);
	return true;
}

static uint64_t budget_ns = BUDGET_DEFAULT_NS;

/* The module's sync_budget_settle_ms. */
static void settle_ms(unsigned long ms)
{
	int err = tsmon_param_set("sync_budget_settle_ms", ms);

	if (err)
		ksft_print_msg("sync_budget_settle_ms=%lu: %s\n", ms,
			       strerror(-err));
}
static uint64_t ts_budget_ns = TS_BUDGET_DEFAULT_NS;

static bool run_phc2sys_nobudget(struct phase *p)
{
	if (!phc_prepare())
		return false;
	set_budget(0);
	sampler_start();
	if (!phc2sys_start())
		return false;
	watched[0] = &phc2sys;
	wait_seg(seg_of(p, "start"), 5);
	wait_seg(seg_of(p, "steady"), 8);
	return true;
}

static bool run_phc2sys_budget(struct phase *p)
{
	if (!phc_prepare())
		return false;
	set_budget(assume_zero ? 0 : budget_ns);
	/*
	 * The budget is a steady-state figure: it applies at once here (after
	 * phc2sys's own first step, the cooldown and the start segment), and
	 * with the module's default settling time for the faults.
	 */
	settle_ms(0);
	sampler_start();
	if (!phc2sys_start())
		return false;
	watched[0] = &phc2sys;
	wait_seg(seg_of(p, "start"), 8);
	wait_seg(seg_of(p, "steady"), 8);
	settle_ms(SETTLE_DEFAULT_MS);
	fault_step(STEP_NS);
	wait_seg(seg_of(p, "step+20ms"), 6);
	fault_step(-STEP_NS);
	wait_seg(seg_of(p, "step-20ms"), 6);
	kill(phc2sys.pid, SIGKILL);
	waitpid(phc2sys.pid, NULL, 0);
	phc2sys.pid = -1;
	wait_seg(seg_of(p, "kill"), 8);
	phc2sys_start();
	wait_seg(seg_of(p, "kill"), 8);
	return true;
}

static bool copy_file(const char *from, const char *to)
{
	char buf[4096];
	FILE *in = fopen(from, "re"), *out;
	size_t n;

	if (!in)
		return false;
	out = fopen(to, "we");
	if (!out) {
		fclose(in);
		return false;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	return fclose(out) == 0;
}

static bool run_timesyncd(struct phase *p)
{
	int64_t err;
	int li = 3, stratum = 0;

	truth_from_realtime(REF_OFFSET_NS);
	set_budget(assume_zero ? 0 : ts_budget_ns);
	mkdir("/run/systemd", 0755);
	mkdir(TIMESYNCD_CONF_DIR, 0755);
	if (!copy_file(TIMESYNCD_CONF, TIMESYNCD_CONF_DIR "/oracle.conf")) {
		ksft_print_msg("cannot install %s\n", TIMESYNCD_CONF);
		return false;
	}
	if (!ntp_server_start())
		return false;
	if (!ntp_query(&err, &li, &stratum)) {
		ksft_print_msg("the NTP server does not answer\n");
		return false;
	}
	ksft_print_msg("NTP server: stratum %d, %lld ns from truth\n", stratum,
		       (long long)err);
	query_server = true;
	settle_ms(0);		/* as for phc2sys+B */
	sampler_start();
	if (!timesyncd_start())
		return false;
	watched[0] = &timesyncd;
	wait_synced(seg_of(p, "start"), 20);
	wait_seg(seg_of(p, "start"), 3);
	wait_seg(seg_of(p, "steady"), 20);
	/* Stall and kill first, with the budget standing in; steps last. */
	__atomic_store_n(&srv.stalled, true, __ATOMIC_RELAXED);
	wait_seg(seg_of(p, "stall"), 16);
	__atomic_store_n(&srv.stalled, false, __ATOMIC_RELAXED);
	wait_seg(seg_of(p, "stall"), 4);
	kill(timesyncd.pid, SIGKILL);
	waitpid(timesyncd.pid, NULL, 0);
	timesyncd.pid = -1;
	wait_seg(seg_of(p, "kill"), 8);
	timesyncd_start();
	wait_seg(seg_of(p, "kill"), 12);
	settle_ms(SETTLE_DEFAULT_MS);
	fault_step(STEP_NS);
	wait_seg(seg_of(p, "step+20ms"), 12);
	fault_step(-STEP_NS);
	wait_seg(seg_of(p, "step-20ms"), 12);
	return true;
}

/*
 * chronyd through a leap second at 2026-12-31T24:00:00Z, announced by the
 * reference and applied by the kernel (leapsecmode system).
 */
static bool run_leap(struct phase *p, int leap)
{
	int64_t raw = clk_ns(CLOCK_MONOTONIC_RAW), real, off;
	int64_t midnight = LEAP_MIDNIGHT_S * SEC;
	int64_t event = leap > 0 ? midnight : midnight - SEC;
	struct timex tx;
	int tai_before, tai_after;

	/* Truth starts LEAP_LEAD_S before midnight; the clock 3 ms behind. */
	truth.base = midnight - LEAP_LEAD_S * SEC - raw;
	truth.leap = leap;
	truth.leap_at = event;
	truth.unc_ns = 0;
	set_budget(0);
	ntp_set_tai(37);
	real = clk_ns(CLOCK_REALTIME);
	raw = clk_ns(CLOCK_MONOTONIC_RAW);
	off = truth_at(raw) - REF_OFFSET_NS - real;
	if (clock_step_ns(off)) {
		ksft_print_msg("stepping onto 2026-12-31: %s\n", strerror(errno));
		return false;
	}
	/* Nothing of the steps before: the kernel as if just booted. */
	ntp_restore(&tx0);
	/*
	 * Truth moved with that step, so it is no error chronyd must slew
	 * away: as on a node booted on the 31st, nothing of it counts.
	 */
	settle_ms(0);
	tai_before = ntp_tai();
	feed_start(CLIENT_SOCK, leap);
	sampler_start();
	if (!chronyd_client_start())
		return false;
	watched[0] = &chronyd_client;
	wait_synced(seg_of(p, "start"), 25);
	while (clk_ns(CLOCK_MONOTONIC_RAW) + truth.base < event - LEAP_QUIET_NS)
		wait_seg(seg_of(p, "start"), 0.2);
	ntp_read(&tx);
	ksft_print_msg("before the leap: status %#x (STA_INS %d, STA_DEL %d), tai %d\n",
		       tx.status, !!(tx.status & STA_INS), !!(tx.status & STA_DEL),
		       tx.tai);
	wait_seg(seg_of(p, "leap"),
		 (double)(event + LEAP_AFTER_S * SEC -
			  (clk_ns(CLOCK_MONOTONIC_RAW) + truth.base)) / SEC);
	tai_after = ntp_tai();
	ksft_print_msg("TAI offset %d -> %d (the kernel %s the leap)\n",
		       tai_before, tai_after,
		       tai_after == tai_before + leap ? "applied" : "did NOT apply");
	settle_ms(SETTLE_DEFAULT_MS);
	return true;
}

static bool run_leap_ins(struct phase *p)
{
	return run_leap(p, 1);
}

static bool run_leap_del(struct phase *p)
{
	return run_leap(p, -1);
}

static struct phase phases[] = {
	{ "chrony", "chronyd, SOCK refclock",
	  { "start", "steady", "step+20ms", "step-20ms", "stall", "kill" }, 6,
	  run_chrony, true, false, NULL, false },
	{ "phc2sys", "phc2sys from the test PHC, no budget",
	  { "start", "steady" }, 2,
	  run_phc2sys_nobudget, false, true, NULL, false },
	{ "phc2sys+B", "phc2sys from the test PHC, budget declared",
	  { "start", "steady", "step+20ms", "step-20ms", "kill" }, 5,
	  run_phc2sys_budget, true, false, NULL, false },
	{ "timesyncd", "systemd-timesyncd over NTP on loopback, budget declared",
	  { "start", "steady", "stall", "kill", "step+20ms", "step-20ms" }, 6,
	  run_timesyncd, true, false, NULL, false },
	{ "leap-ins", "chronyd, leap second inserted",
	  { "start", "leap" }, 2,
	  run_leap_ins, true, false, NULL, false },
	{ "leap-del", "chronyd, leap second deleted",
	  { "start", "leap" }, 2,
	  run_leap_del, true, false, NULL, false },
};
#define NPHASES		(sizeof(phases) / sizeof(phases[0]))

/* ------------------------------------------------------------ analysis */

/*
 * real - truth over the sample's window: [lo, hi] on each side of a leap
 * that falls inside it (at most two pieces). Returns the number of pieces.
 */
static int error_ranges(const struct sample *s, int64_t lo[2], int64_t hi[2])
{
	int64_t c0 = s->raw0 + truth.base, c1 = s->raw1 + truth.base;
	int64_t real = (int64_t)s->real;

	if (truth.leap && c0 < truth.leap_at && c1 >= truth.leap_at) {
		int64_t rb = truth.leap_at - truth.base;

		/* Before: truth runs from truth(raw0) up to leap_at. */
		lo[0] = real - truth.leap_at;
		hi[0] = real - truth_at(s->raw0);
		lo[1] = real - truth_at(s->raw1);
		hi[1] = real - truth_at(rb);
		return 2;
	}
	lo[0] = real - truth_at(s->raw1);
	hi[0] = real - truth_at(s->raw0);
	return 1;
}

/* Is the truth within the bound at some instant of the window? */
static bool contained(const struct sample *s, int64_t *closest)
{
	int64_t lo[2], hi[2], b = (int64_t)s->bound + truth.unc_ns, d, best = INT64_MAX;
	int n = error_ranges(s, lo, hi), i;
	bool ok = false;

	for (i = 0; i < n; i++) {
		if (lo[i] <= 0 && hi[i] >= 0)
			d = 0;
		else
			d = hi[i] < 0 ? hi[i] : lo[i];
		if (llabs(d) < llabs(best))
			best = d;
		if (s->bound != UINT64_MAX && lo[i] <= b && hi[i] >= -b)
			ok = true;
	}
	*closest = best;
	return ok || s->bound == UINT64_MAX;
}

static int64_t mid_error(const struct sample *s)
{
	return (int64_t)s->real - truth_at(s->raw0 + (s->raw1 - s->raw0) / 2);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const char *status_name(uint32_t st)
{
	static const char *const names[] = {
		"UNKNOWN", "SYNCHRONIZED", "FREE_RUNNING", "DISRUPTED",
	};

	return st < 4 ? names[st] : "?";
}

static void show_sample(const char *what, const struct sample *s, int64_t closest)
{
	ksft_print_msg("  %s: raw [%lld, %lld] (+%lld ns) status %s flags %#x%s real %llu truth %lld err %+lld ns (closest %+lld) bound %llu ns\n",
		       what, (long long)s->raw0, (long long)s->raw1,
		       (long long)(s->raw1 - s->raw0), status_name(s->status),
		       s->flags, s->assumed ? " (assumed)" : "",
		       (unsigned long long)s->real,
		       (long long)truth_at(s->raw0 + (s->raw1 - s->raw0) / 2),
		       (long long)mid_error(s), (long long)closest,
		       (unsigned long long)s->bound);
	ksft_print_msg("    age %llu ns mono %llu | health: sync_maxerror %llu sync_offset %llu sync_flags %#x sync_mono %llu disrupt_mono %llu type %u ntp_status %#x ntp_offset %lld%s\n",
		       (unsigned long long)s->age, (unsigned long long)s->mono,
		       (unsigned long long)s->sync_maxerror,
		       (unsigned long long)s->sync_offset, s->sync_flags,
		       (unsigned long long)s->sync_mono,
		       (unsigned long long)s->disrupt_mono, s->disrupt_type,
		       s->ntp_status, (long long)s->ntp_offset,
		       s->torn ? " (health torn)" : "");
}

static uint64_t *scratch_a, *scratch_b, *scratch_c, *scratch_d;

/* The @q quantile of @v (sorted here). */
static uint64_t quantile(uint64_t *v, size_t n, double q)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[(size_t)(q * (double)(n - 1))];
}

static void fmt_ns(char *buf, size_t size, double ns)
{
	if (fabs(ns) >= 1e6)
		snprintf(buf, size, "%.3f ms", ns / 1e6);
	else if (fabs(ns) >= 1e3)
		snprintf(buf, size, "%.1f us", ns / 1e3);
	else
		snprintf(buf, size, "%.0f ns", ns);
}

static int failures;

/* One TAP line per segment of the phase just run. */
static void analyse(const struct phase *p)
{
	int seg;

	for (seg = 0; seg < p->nsegs; seg++) {
		size_t n = 0, nsync = 0, nin = 0, nassumed = 0, nbd = 0, nbd_in = 0, nzero = 0;
		size_t shown = 0, i, worst = SIZE_MAX;
		int64_t margin, worst_margin = INT64_MAX, first = 0, last = 0, maxerr = 0, maxerr_all = 0, closest, e;
		uint64_t medb, mede, medw;
		char b1[32], b2[32], b3[32], b4[32];
		double rate, tight;
		bool ok = true, in;

		for (i = 0; i < nsamples; i++) {
			const struct sample *s = &samples[i];

			if (s->seg != seg)
				continue;
			if (!n)
				first = s->raw0;
			last = s->raw1;
			e = mid_error(s);
			in = contained(s, &closest);
			if (llabs(closest) > maxerr_all)
				maxerr_all = llabs(closest);
			scratch_c[n] = s->raw1 - s->raw0;
			scratch_d[n] = llabs(closest);
			n++;
			/*
			 * DISRUPTED with a bound: the cooldown after a step a
			 * sync update already followed. Not owed containment;
			 * counted to show what the daemon's maxerror covers.
			 */
			if (s->status == TSMON_CLOCK_DISRUPTED &&
			    s->bound != UINT64_MAX) {
				nbd++;
				nbd_in += contained(s, &closest);
			}
			if (s->status != TSMON_CLOCK_SYNCHRONIZED)
				continue;
			nassumed += s->assumed;
			/* The rule: maxerror 0 and no budget is no bound. */
			if ((s->sync_flags & TSMON_SYNC_ZERO_MAXERROR) &&
			    !(s->sync_flags & TSMON_SYNC_BUDGET))
				nzero++;
			scratch_a[nsync] = s->bound;
			scratch_b[nsync] = llabs(e);
			nsync++;
			in = contained(s, &closest);
			/* The window's best: a preempted read has a wide one. */
			if (llabs(closest) > maxerr)
				maxerr = llabs(closest);
			if (in) {
				nin++;
				margin = (int64_t)s->bound - llabs(closest);
				if (margin < worst_margin) {
					worst_margin = margin;
					worst = i;
				}
				continue;
			}
			if (shown++ < SHOW_VIOLATIONS)
				show_sample("VIOLATION", s, closest);
		}
		medb = median(scratch_a, nsync);
		mede = median(scratch_b, nsync);
		medw = median(scratch_c, n);
		rate = last > first ? n * 1e9 / (double)(last - first) : 0;
		tight = mede ? (double)medb / (double)mede : INFINITY;
		if (nin != nsync)
			ok = false;
		if (p->forbids_sync && nzero) {
			ksft_print_msg("%s/%s: %zu samples SYNCHRONIZED from a sync update that asserted maxerror 0, no budget\n",
				       p->name, p->segs[seg], nzero);
			ok = false;
		}
		if (p->needs_sync && !strcmp(p->segs[seg], "steady") && !nsync) {
			ksft_print_msg("%s/%s: no SYNCHRONIZED sample: containment proves nothing\n",
				       p->name, p->segs[seg]);
			ok = false;
		}
		if (n && rate < MIN_RATE_HZ) {
			ksft_print_msg("%s/%s: sampled at %.0f Hz only\n",
				       p->name, p->segs[seg], rate);
			ok = false;
		}
		fmt_ns(b1, sizeof(b1), (double)maxerr);
		fmt_ns(b2, sizeof(b2), (double)medb);
		fmt_ns(b3, sizeof(b3), (double)medw);
		fmt_ns(b4, sizeof(b4), (double)maxerr_all);
		if (worst != SIZE_MAX && getenv("ORACLE_VERBOSE")) {
			contained(&samples[worst], &closest);
			show_sample("closest call", &samples[worst], closest);
		}
		if (n) {
			char q1[32], q2[32], q3[32];

			fmt_ns(q1, sizeof(q1), (double)quantile(scratch_d, n, 0.5));
			fmt_ns(q2, sizeof(q2), (double)quantile(scratch_d, n, 0.99));
			fmt_ns(q3, sizeof(q3), (double)quantile(scratch_d, n, 0.999));
			ksft_print_msg("%s/%s: |REALTIME - truth| over all samples: median %s, p99 %s, p99.9 %s\n",
				       p->name, p->segs[seg], q1, q2, q3);
		}
		if (nbd)
			ksft_print_msg("%s/%s: DISRUPTED with a bound (cooldown): %zu samples, %zu contained\n",
				       p->name, p->segs[seg], nbd, nbd_in);
		if (query_server && diag[seg].srv_queries) {
			fmt_ns(b4, sizeof(b4), (double)diag[seg].srv_err_max);
			ksft_print_msg("%s/%s: an NTP exchange with the (exact) server measures up to %s off (asymmetric delays; %d of %d queries answered)\n",
				       p->name, p->segs[seg], b4,
				       diag[seg].srv_replies, diag[seg].srv_queries);
			fmt_ns(b4, sizeof(b4), (double)maxerr_all);
		}
		if (!ok)
			failures++;
		ksft_test_result(ok, "%s/%s: samples %zu (%.0f Hz) synchronized %zu%s contained %zu (%.3f%%) tightness %.1f max|err| %s median bound %s window %s max|err| all %s\n",
				 p->name, p->segs[seg], n, rate, nsync,
				 nassumed ? " (assumed)" : "", nin,
				 nsync ? 100.0 * nin / nsync : 100.0, tight,
				 b1, b2, b3, b4);
	}
	if (dropped || late_wakeups)
		ksft_print_msg("%s: %zu samples dropped, %llu late wakeups (> 20 ms)\n",
			       p->name, dropped, (unsigned long long)late_wakeups);
}

/* ------------------------------------------------------------ main */

static void stop_all(void)
{
	sampler_stop();
	daemon_stop(&chronyd_client, SIGTERM);
	daemon_stop(&phc2sys, SIGTERM);
	daemon_stop(&timesyncd, SIGTERM);
	feed_stop();
	ntp_server_stop();
	memset(watched, 0, sizeof(watched));
	query_server = false;
}

static bool restored;

static void cleanup(void)
{
	if (restored)
		return;
	restored = true;
	stop_all();
	set_budget(0);
	restore_clock();
}

static void on_signal(int sig)
{
	/* atexit() handlers restore the clock. */
	exit(128 + sig);
}

static bool selected(const char *list, const char *name)
{
	char buf[256], *tok, *save;

	if (!list || !*list)
		return true;
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save))
		if (!strcmp(tok, name))
			return true;
	return false;
}

int main(void)
{
	const char *env = getenv("ORACLE_PHASES");
	unsigned int plan = 0;
	size_t i;
	int seg;

	selftest_init();
	/* The whole run is minutes long, not selftest_init()'s two. */
	alarm(1200);
	assume_zero = getenv("ORACLE_ASSUME_ZERO") &&
		      !strcmp(getenv("ORACLE_ASSUME_ZERO"), "1");
	if (getenv("ORACLE_BUDGET_NS"))
		budget_ns = strtoull(getenv("ORACLE_BUDGET_NS"), NULL, 0);
	if (getenv("ORACLE_TIMESYNCD_BUDGET_NS"))
		ts_budget_ns = strtoull(getenv("ORACLE_TIMESYNCD_BUDGET_NS"), NULL, 0);
	for (i = 0; i < NPHASES; i++) {
		struct phase *p = &phases[i];

		p->selected = selected(env, p->name);
		if (!p->selected)
			continue;
		plan += p->nsegs;
		if ((p->run == run_chrony || p->run == run_leap_ins ||
		     p->run == run_leap_del) && access(CHRONYD, X_OK))
			p->skip = "no " CHRONYD " (tests/ntp/fetch.sh)";
		if ((p->run == run_phc2sys_nobudget || p->run == run_phc2sys_budget) &&
		    access(PHC2SYS, X_OK))
			p->skip = "no " PHC2SYS " (make linuxptp)";
		if (p->run == run_timesyncd && access(TIMESYNCD, X_OK))
			p->skip = "no " TIMESYNCD " (tests/oracle/fetch-timesyncd.sh)";
	}
	ksft_set_plan(plan);
	ksft_print_msg("oracle: drift %llu ppb, budget %llu ns (phc2sys), %llu ns (timesyncd)%s\n",
		       (unsigned long long)drift_ppb,
		       (unsigned long long)(assume_zero ? 0 : budget_ns),
		       (unsigned long long)(assume_zero ? 0 : ts_budget_ns),
		       assume_zero ? ", ASSUME_ZERO: maxerror 0 taken as a bound" : "");

	samples = calloc(MAX_SAMPLES, sizeof(*samples));
	scratch_a = calloc(MAX_SAMPLES, sizeof(uint64_t));
	scratch_b = calloc(MAX_SAMPLES, sizeof(uint64_t));
	scratch_c = calloc(MAX_SAMPLES, sizeof(uint64_t));
	scratch_d = calloc(MAX_SAMPLES, sizeof(uint64_t));
	if (!samples || !scratch_a || !scratch_b || !scratch_c || !scratch_d)
		ksft_exit_fail_msg("out of memory\n");
	if (mkdir(RUN_DIR, 0755) && errno != EEXIST)
		ksft_exit_fail_msg("mkdir %s: %s\n", RUN_DIR, strerror(errno));
	t = open_or_bail();
	tsmon_set_drift(t, drift_ppb);
	if (ntp_read(&tx0) < 0)
		ksft_exit_fail_msg("adjtimex: %s\n", strerror(errno));
	off0 = rt_mono_offset();
	tai0 = ntp_tai();
	ksft_print_msg("clock as found: status %#x maxerror %ld us freq %ld tick %ld tai %d\n",
		       tx0.status, tx0.maxerror, tx0.freq, tx0.tick, tai0);
	atexit(cleanup);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGALRM, on_signal);

	for (i = 0; i < NPHASES; i++) {
		struct phase *p = &phases[i];
		int64_t t0;
		bool ran;

		if (!p->selected)
			continue;
		if (p->skip) {
			for (seg = 0; seg < p->nsegs; seg++)
				ksft_test_result_skip("%s/%s: %s\n", p->name,
						      p->segs[seg], p->skip);
			continue;
		}
		ksft_print_msg("== %s: %s\n", p->name, p->what);
		memset(diag, 0, sizeof(diag));
		t0 = clk_ns(CLOCK_MONOTONIC);
		ran = p->run(p);
		/* The sampler stops first: restoring is no part of the run. */
		sampler_stop();
		if (!ran)
			ksft_print_msg("%s: the phase did not run as planned\n", p->name);
		analyse(p);
		ksft_print_msg("%s: %.0f s\n", p->name,
			       (clk_ns(CLOCK_MONOTONIC) - t0) / 1e9);
		if (!ran || ksft_get_fail_cnt()) {
			show_log(RUN_DIR "/chronyd-client.log", 15);
			show_log(RUN_DIR "/tracking.log", 25);
			show_log(RUN_DIR "/phc2sys.out", 15);
			show_log(RUN_DIR "/timesyncd.out", 25);
		}
		stop_all();
		set_budget(0);
		if (!restore_clock())
			ksft_print_msg("%s: restoring the clock failed\n", p->name);
		if (!ran)
			failures++;
		/* Each phase's logs start empty. */
		unlink(RUN_DIR "/chronyd-client.log");
		unlink(RUN_DIR "/tracking.log");
		unlink(RUN_DIR "/refclocks.log");
		unlink(RUN_DIR "/phc2sys.out");
		unlink(RUN_DIR "/timesyncd.out");
		unlink(RUN_DIR "/chronyd.out");
	}
	cleanup();
	if (phc_fd >= 0)
		close(phc_fd);
	tsmon_close(t);
	t = NULL;
	if (failures) {
		ksft_print_msg("containment oracle: FAILED (%d)\n", failures);
		ksft_exit_fail();
	}
	ksft_finished();
}
