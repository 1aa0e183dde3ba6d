// SPDX-License-Identifier: GPL-2.0-only
/*
 * tkbench - what the timekeeping paths tsmon hooks cost, in one state of
 * the system (tsmon loaded or not: tests/bench/tk_overhead.sh loads and
 * unloads the module between runs and compares).
 *
 * Calls that go through tsmon's hooks, each in a loop for a fixed time on
 * CLOCK_MONOTONIC, as calls per second:
 *   settime    clock_settime(REALTIME) to the value just read + 1 us:
 *              do_settimeofday64 kprobe, the timekeeping notifier, and a
 *              clock_step record per call
 *   adjstatus  adjtimex(ADJ_STATUS) toggling STA_FREQHOLD: do_adjtimex
 *              kprobe, __do_adjtimex kretprobe, an ntp_mode record per call
 *   adjfreq    adjtimex(ADJ_FREQUENCY) alternating by 1 ppm: the probes,
 *              and a timekeeper update with a new multiplier per call (a
 *              health block update in the notifier, no record)
 *   adjread    adjtimex() with no mode: the probes alone
 * What the tick costs everything else (the notifier runs on every
 * timekeeper update, i.e. every tick):
 *   spin       a CPU-bound loop's throughput, work units per ms, the median
 *              of ten equal slices of the interval
 *   sleep      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME) 1 ms
 *              periods, median lateness of the wakeup in us (timer slack 1 ns)
 *
 * Each test also gives a "floor": the 10th percentile of the time one call
 * (one work unit, one wakeup's lateness) took, in ns, from batches timed
 * one by one. Under an emulator sharing its host, time the host takes away
 * lengthens some batches and lowers the average; the fast batches show
 * what the work itself costs, so the floor is the steadier comparison.
 *
 * Everything it changes it restores: the REALTIME - MONOTONIC offset
 * (to within the error of reading it, a few us), the NTP status,
 * frequency and errors.
 *
 * usage: tkbench [-m] [-t MS] [TEST...]   (default: every test, 1000 ms)
 *   -m  one "name value floor" line per test, for the driver script
 *
 * It steps the system clock: it runs only in the test guest.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/timex.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "clockops.h"

#define SLICES		10
#define BATCH		16	/* calls per timed batch */
#define MAX_SAMPLES	(1 << 20)
#define SPIN_UNIT	4096	/* LCG steps per work unit */
#define SLEEP_PERIOD_NS	1000000
#define FREQ_STEP	65536	/* 1 ppm in timex.freq units */
#define BENCH_CPU	0

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
						    noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("tkbench: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	exit(2);
}

static int64_t mono_ns(void)
{
	return clk_ns(CLOCK_MONOTONIC);
}

struct result {
	double value;	/* calls/s, units/ms or us of lateness */
	double floor;	/* 10th percentile cost of one, ns */
};

static int64_t samples[MAX_SAMPLES];

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts @v; returns its @pct percentile. */
static int64_t pct_i64(int64_t *v, size_t n, int pct)
{
	qsort(v, n, sizeof(*v), cmp_i64);
	return v[(n - 1) * pct / 100];
}

static double median_dbl(double *v, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++)
		for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * Runs @call in batches of BATCH until @ms have passed on CLOCK_MONOTONIC,
 * timing each batch: one clock read per batch, so that reading the clock
 * (a system call with an emulated HPET) weighs little.
 */
static struct result rate_loop(int ms, void (*call)(uint64_t i))
{
	int64_t start = mono_ns(), end = start + (int64_t)ms * 1000000;
	int64_t prev = start, now;
	struct result res;
	uint64_t n = 0;
	size_t b = 0;
	int k;

	do {
		for (k = 0; k < BATCH; k++)
			call(n++);
		now = mono_ns();
		if (b < MAX_SAMPLES)
			samples[b++] = now - prev;
		prev = now;
	} while (now < end);
	res.value = n * 1e9 / (double)(now - start);
	res.floor = pct_i64(samples, b, 10) / (double)BATCH;
	return res;
}

static void call_settime(uint64_t i)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 1000;
	if (ts.tv_nsec >= NSEC_PER_SEC) {
		ts.tv_nsec -= NSEC_PER_SEC;
		ts.tv_sec++;
	}
	if (clock_settime(CLOCK_REALTIME, &ts))
		die("clock_settime: %s\n", strerror(errno));
}

static struct timex saved;

static void call_adjstatus(uint64_t i)
{
	struct timex tx = {
		.modes = ADJ_STATUS,
		.status = (saved.status & ~STA_FREQHOLD) |
			  (i & 1 ? 0 : STA_FREQHOLD),
	};

	if (adjtimex(&tx) < 0)
		die("adjtimex(ADJ_STATUS): %s\n", strerror(errno));
}

static void call_adjfreq(uint64_t i)
{
	struct timex tx = {
		.modes = ADJ_FREQUENCY,
		.freq = saved.freq + (i & 1 ? 0 : FREQ_STEP),
	};

	if (adjtimex(&tx) < 0)
		die("adjtimex(ADJ_FREQUENCY): %s\n", strerror(errno));
}

static void call_adjread(uint64_t i)
{
	struct timex tx = { .modes = 0 };

	if (adjtimex(&tx) < 0)
		die("adjtimex: %s\n", strerror(errno));
}

static struct result bench_settime(int ms)
{
	struct rt_offset before, after;
	struct timex ntp;
	struct result rate;
	int err;

	if (ntp_read(&ntp) < 0)
		die("adjtimex read: %s\n", strerror(errno));
	before = rt_mono_offset();
	rate = rate_loop(ms, call_settime);

	/* Each call moved the clock by 1 us less the time it took: undo it. */
	after = rt_mono_offset();
	err = clock_step_ns(before.off_ns - after.off_ns);
	if (err)
		die("restoring the clock: %s\n", strerror(-err));
	/* The step's ADJ_NANO leaves STA_NANO set: put the mode back too. */
	err = ntp_restore(&ntp);
	if (err)
		die("restoring the NTP state: %s\n", strerror(-err));
	return rate;
}

static struct result bench_ntp(int ms, void (*call)(uint64_t i))
{
	struct result rate;
	int err;

	if (ntp_read(&saved) < 0)
		die("adjtimex read: %s\n", strerror(errno));
	rate = rate_loop(ms, call);
	err = ntp_restore(&saved);
	if (err)
		die("restoring the NTP state: %s\n", strerror(-err));
	return rate;
}

static struct result bench_adjstatus(int ms)
{
	return bench_ntp(ms, call_adjstatus);
}

static struct result bench_adjfreq(int ms)
{
	return bench_ntp(ms, call_adjfreq);
}

static struct result bench_adjread(int ms)
{
	return bench_ntp(ms, call_adjread);
}

static volatile uint64_t spin_sink;

/*
 * Work units per ms in each of SLICES slices, the median slice; the floor
 * from the time of each unit.
 */
static struct result bench_spin(int ms)
{
	double rate[SLICES];
	int64_t slice = (int64_t)ms * 1000000 / SLICES;
	uint64_t x = 88172645463325252ULL;
	struct result res;
	size_t b = 0;
	int s, k;

	for (s = 0; s < SLICES; s++) {
		int64_t start = mono_ns(), end = start + slice, prev = start, now;
		uint64_t units = 0;

		do {
			for (k = 0; k < SPIN_UNIT; k++)
				x = x * 6364136223846793005ULL +
				    1442695040888963407ULL;
			units++;
			now = mono_ns();
			if (b < MAX_SAMPLES)
				samples[b++] = now - prev;
			prev = now;
		} while (now < end);
		rate[s] = units * 1e6 / (double)(now - start);
	}
	spin_sink = x;
	res.value = median_dbl(rate, SLICES);
	res.floor = (double)pct_i64(samples, b, 10);
	return res;
}

/* Lateness of 1 ms absolute MONOTONIC sleeps: the median in us. */
static struct result bench_sleep(int ms)
{
	int64_t end = mono_ns() + (int64_t)ms * 1000000, target = mono_ns();
	struct result res;
	size_t n = 0;

	if (prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL))
		die("PR_SET_TIMERSLACK: %s\n", strerror(errno));
	while (n < MAX_SAMPLES && target < end) {
		struct timespec ts;
		int err;

		target += SLEEP_PERIOD_NS;
		ts.tv_sec = target / NSEC_PER_SEC;
		ts.tv_nsec = target % NSEC_PER_SEC;
		do {
			err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
					      &ts, NULL);
		} while (err == EINTR);
		if (err)
			die("clock_nanosleep: %s\n", strerror(err));
		samples[n++] = mono_ns() - target;
		/* Fell behind by more than a period: do not queue up. */
		if (samples[n - 1] > SLEEP_PERIOD_NS)
			target = mono_ns();
	}
	res.floor = (double)pct_i64(samples, n, 10);
	res.value = pct_i64(samples, n, 50) / 1e3;
	return res;
}

struct test {
	const char *name;
	const char *unit;
	struct result (*run)(int ms);
};

static const struct test tests[] = {
	{ "settime",	"calls/s",	bench_settime },
	{ "adjstatus",	"calls/s",	bench_adjstatus },
	{ "adjfreq",	"calls/s",	bench_adjfreq },
	{ "adjread",	"calls/s",	bench_adjread },
	{ "spin",	"units/ms",	bench_spin },
	{ "sleep",	"us late",	bench_sleep },
};

#define NTESTS	(sizeof(tests) / sizeof(tests[0]))

static void usage(void)
{
	size_t i;

	fprintf(stderr, "usage: tkbench [-m] [-t MS] [TEST...]\ntests:");
	for (i = 0; i < NTESTS; i++)
		fprintf(stderr, " %s", tests[i].name);
	fputc('\n', stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *kver = getenv("TSMON_KVER");
	bool machine = false, want[NTESTS] = { false }, any = false;
	struct utsname uts;
	cpu_set_t cpus;
	int ms = 1000, opt;
	size_t i;

	while ((opt = getopt(argc, argv, "mt:")) != -1) {
		switch (opt) {
		case 'm':
			machine = true;
			break;
		case 't':
			ms = atoi(optarg);
			if (ms < 10 || ms > 600000)
				usage();
			break;
		default:
			usage();
		}
	}
	for (; optind < argc; optind++) {
		for (i = 0; i < NTESTS; i++)
			if (!strcmp(argv[optind], tests[i].name))
				break;
		if (i == NTESTS)
			usage();
		want[i] = any = true;
	}

	setvbuf(stdout, NULL, _IOLBF, 0);
	uname(&uts);
	if (!kver || strcmp(kver, uts.release))
		die("this benchmark steps the system clock: run it in the test guest\n");
	if (geteuid() != 0)
		die("must run as root\n");

	/* One CPU for every test: no migrations between the samples. */
	CPU_ZERO(&cpus);
	CPU_SET(BENCH_CPU, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);

	if (!machine)
		printf("timekeeping paths, %d ms per test, tsmon %s\n", ms,
		       access("/sys/module/tsmon", F_OK) ? "not loaded" :
		       "loaded");
	for (i = 0; i < NTESTS; i++) {
		struct result r;

		if (any && !want[i])
			continue;
		r = tests[i].run(ms);
		if (machine)
			printf("%s %.3f %.1f\n", tests[i].name, r.value, r.floor);
		else
			printf("  %-10s %12.1f %-9s floor %9.0f ns\n",
			       tests[i].name, r.value, tests[i].unit, r.floor);
	}
	return 0;
}
