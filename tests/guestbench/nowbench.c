// SPDX-License-Identifier: GPL-2.0-only
/*
 * nowbench - what a neighbour costs tsmon_now(): the ratio of tsmon_now()
 * to clock_gettime(CLOCK_REALTIME), quiet and while an unprivileged
 * process on the other CPU loops on adjtimex(modes=0), which needs no
 * privilege and reaches tsmon's NTP probes on every call.
 *
 * Each round times, on one CPU, blocks of CALLS clock_gettime() calls and
 * CALLS tsmon_now() calls, alternating, and takes the ratio of the two
 * fastest blocks of each; the quiet and neighbour rounds alternate (the
 * neighbour is stopped with SIGSTOP between them). The medians of the
 * rounds are compared, and it counts how often the clock line's sequence
 * count (what makes a tsmon_now() retry) moved during the neighbour's
 * rounds. Target: never - the neighbour changes nothing a clock read uses.
 * The ratios are printed for the record: QEMU's TCG models no caches, so
 * what a neighbour's stores cost a reader's cache is measured on real
 * hardware by tests/bench/health_read.c (the module's protocol replayed),
 * whose target is the neighbour's ratio within 5 % of the quiet one.
 *
 * The clock is made SYNCHRONIZED first (one adjtimex() sync update, as a
 * daemon makes), so tsmon_now() takes the path a disciplined node takes;
 * the NTP state is restored at the end.
 *
 * usage: nowbench [-r ROUNDS]   (default 15). Loads $TSMON_KO if tsmon is
 * not loaded. Exit 0 when the target is met, 1 when not, 2 on errors.
 * It changes the NTP state: it runs only in the test guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clockops.h"
#include <tsmon/tsmon.h>

#define CALLS		20000	/* per block */
#define BLOCKS		8	/* per kind and round */
#define NOBODY		65534

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
						    noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("nowbench: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	exit(2);
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity(%d): %s\n", cpu, strerror(errno));
}

static void load_module(void)
{
	const char *ko = getenv("TSMON_KO");
	int fd;

	if (!access("/sys/module/tsmon", F_OK))
		return;
	if (!ko)
		die("tsmon is not loaded and TSMON_KO is not set\n");
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || syscall(SYS_finit_module, fd, "", 0))
		die("loading %s: %s\n", ko, strerror(errno));
	close(fd);
}

/* The neighbour: an unprivileged adjtimex(modes=0) loop on @cpu. */
static pid_t neighbour(int cpu)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s\n", strerror(errno));
	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	pin(cpu);
	if (setgid(NOBODY) || setuid(NOBODY))
		_exit(3);
	for (;;) {
		struct timex tx = { .modes = 0 };

		adjtimex(&tx);
	}
}

static volatile uint64_t sink;
/* tsmon_now() calls that gave up on a writer forever mid-update (-EAGAIN). */
static uint64_t eagain;

static int64_t block_realtime(void)
{
	struct timespec ts;
	int64_t t0 = clk_ns(CLOCK_MONOTONIC);

	for (int i = 0; i < CALLS; i++) {
		clock_gettime(CLOCK_REALTIME, &ts);
		sink += (uint64_t)ts.tv_nsec;
	}
	return clk_ns(CLOCK_MONOTONIC) - t0;
}

static int64_t block_now(struct tsmon *t)
{
	struct tsmon_time tm;
	int64_t t0 = clk_ns(CLOCK_MONOTONIC);

	for (int i = 0; i < CALLS; i++) {
		int err = tsmon_now(t, &tm);

		if (err == -EAGAIN)
			eagain++;
		else if (err)
			die("tsmon_now: %s\n", strerror(-err));
		sink += tm.real_ns;
	}
	return clk_ns(CLOCK_MONOTONIC) - t0;
}

/* One round: the fastest block of each kind, alternating; their ratio. */
static double round_ratio(struct tsmon *t, double *rt_ns, double *now_ns)
{
	int64_t rt = INT64_MAX, now = INT64_MAX, d;

	for (int b = 0; b < BLOCKS; b++) {
		d = block_realtime();
		if (d < rt)
			rt = d;
		d = block_now(t);
		if (d < now)
			now = d;
	}
	*rt_ns = (double)rt / CALLS;
	*now_ns = (double)now / CALLS;
	return (double)now / (double)rt;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The clock line's sequence count, as a reader sees it. */
static uint64_t clock_seq(struct tsmon *t)
{
	struct tsmon_health h;

	if (tsmon_health(t, &h))
		die("tsmon_health failed\n");
	return h.seq;
}

int main(int argc, char **argv)
{
	const char *kver = getenv("TSMON_KVER");
	double quiet[64], busy[64], q_rt[64], q_now[64], b_rt[64], b_now[64];
	uint64_t seq_moves = 0, quiet_moves = 0, captures0, captures1, s0;
	struct tsmon_health h;
	struct utsname uts;
	struct timex saved, tx;
	struct tsmon *t;
	int rounds = 15, opt, err;
	double q, b;
	bool met;
	pid_t pid;

	while ((opt = getopt(argc, argv, "r:")) != -1) {
		if (opt != 'r' || (rounds = atoi(optarg)) < 1 || rounds > 64)
			die("usage: nowbench [-r ROUNDS (1-64)]\n");
	}
	uname(&uts);
	if (!kver || strcmp(kver, uts.release))
		die("this program changes the NTP state: run it in the test guest\n");
	setvbuf(stdout, NULL, _IOLBF, 0);
	load_module();
	err = tsmon_open(NULL, &t);
	if (err)
		die("tsmon_open: %s\n", strerror(-err));

	/* One sync update, as a daemon makes: SYNCHRONIZED, a 10 ms bound. */
	if (ntp_read(&saved) < 0)
		die("adjtimex: %s\n", strerror(errno));
	memset(&tx, 0, sizeof(tx));
	tx.modes = ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR;
	tx.status = (saved.status & ~STA_UNSYNC) | STA_PLL;
	tx.maxerror = 10000;
	tx.esterror = 1000;
	if (adjtimex(&tx) < 0)
		die("adjtimex (sync update): %s\n", strerror(errno));
	{
		struct tsmon_time tm;

		if (tsmon_now(t, &tm))
			die("tsmon_now failed\n");
		printf("# tsmon_now(): status %u, bound %" PRIu64 " ns\n",
		       tm.status, tm.bound_ns);
	}

	pid = neighbour(1);
	pin(0);
	usleep(100000);
	tsmon_health(t, &h);
	captures0 = h.ntp_captures;
	for (int r = 0; r < rounds; r++) {
		kill(pid, SIGSTOP);
		usleep(2000);
		s0 = clock_seq(t);
		quiet[r] = round_ratio(t, &q_rt[r], &q_now[r]);
		quiet_moves += clock_seq(t) - s0;
		kill(pid, SIGCONT);
		usleep(2000);
		s0 = clock_seq(t);
		busy[r] = round_ratio(t, &b_rt[r], &b_now[r]);
		seq_moves += clock_seq(t) - s0;
	}
	tsmon_health(t, &h);
	captures1 = h.ntp_captures;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (ntp_restore(&saved))
		die("restoring the NTP state failed\n");
	tsmon_close(t);

	q = median(quiet, rounds);
	b = median(busy, rounds);
	printf("# %d rounds of %d x %d calls per kind, medians\n", rounds, BLOCKS, CALLS);
	printf("quiet      clock_gettime %6.1f ns  tsmon_now %6.1f ns  ratio %.3f\n",
	       median(q_rt, rounds), median(q_now, rounds), q);
	printf("neighbour  clock_gettime %6.1f ns  tsmon_now %6.1f ns  ratio %.3f\n",
	       median(b_rt, rounds), median(b_now, rounds), b);
	printf("neighbour: %" PRIu64 " adjtimex(modes=0) calls seen by tsmon; the clock line's "
	       "sequence moved %" PRIu64 " times in its rounds, %" PRIu64 " in the quiet ones "
	       "(each move makes readers retry)\n",
	       captures1 - captures0, seq_moves, quiet_moves);
	printf("neighbour ratio / quiet ratio = %.3f (TCG: for the record)\n", b / q);
	printf("tsmon_now() calls that gave up with -EAGAIN: %" PRIu64 "\n", eagain);
	/* Ticks and the clocksource watchdog move it now and then in both. */
	met = seq_moves <= quiet_moves + 2 && !eagain;
	printf("target: the neighbour does not move the clock line: %s\n",
	       met ? "met" : "NOT met");
	return met ? 0 : 1;
}
