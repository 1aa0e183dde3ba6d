// SPDX-License-Identifier: GPL-2.0-only
/*
 * adjlog.so - LD_PRELOAD shim that logs every clock change a program makes,
 * so that tsmon's records can be checked against what really happened.
 *
 * Interposed: adjtimex, ntp_adjtime, clock_adjtime, clock_settime,
 * settimeofday, and syscall() for the same four system calls - a program
 * may make them through syscall() itself (the kernel's valid-adjtimex
 * defines its own clock_adjtime that way), and glibc's own functions call
 * one another without going through the PLT, where no shim can see them.
 * Each is forwarded to the kernel by number, with glibc's argument rules
 * where they differ from the kernel's (settimeofday refuses a time and a
 * zone together), so the shim never calls a function it interposes.
 *
 * Around each call the shim reads the NTP state (an adjtimex() read: the
 * status and TAI offset before and after) and CLOCK_MONOTONIC (the window
 * tsmon's records of the call must fall in); for clock_settime and
 * settimeofday also REALTIME - MONOTONIC before the call. Calls that change
 * nothing visible - no step, no TAI change, the same status after as
 * before, success - are only counted (a program may make them by the
 * million); all others get one line in the file named by $ADJLOG, as
 * key=value pairs:
 *
 *   call pid= comm= fn= nr= clk= modes= ret= errno= mp= m0= m1= st0= st1=
 *        tai0= tai1= sec= usec= const= set= off0= offerr= tzmin=
 *
 *   fn      the function the program called (syscall: "sys_<name>")
 *   mp      CLOCK_MONOTONIC before the NTP state was read for st0, tai0
 *   m0, m1  CLOCK_MONOTONIC just before and just after the call
 *   st0/1   time_status before and after (-1: unknown)
 *   tai0/1  TAI offset before and after
 *   sec,usec  timex.time as passed (ADJ_SETOFFSET), or the time set
 *   const   timex.constant as passed (ADJ_TAI)
 *   set     clock_settime / settimeofday: the time set, ns
 *   off0, offerr  REALTIME - MONOTONIC before a settime, and its uncertainty
 *   tzmin   settimeofday: the time zone's tz_minuteswest (the kernel warps
 *           the clock by it on the first zone set after boot)
 *
 * and, when the process exits, "exit pid= comm= quiet=N" with the number of
 * calls only counted. One write() per line, O_APPEND: lines from parallel
 * processes never mix.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#define NSEC_PER_SEC	1000000000LL

static int log_fd = -1;
static char comm[32] = "?";
static atomic_ulong quiet;

static long (*real_syscall)(long nr, ...);

/*
 * The kernel's own answer, as a negative errno: through libc's syscall(),
 * which this shim interposes, so found with RTLD_NEXT.
 */
static long raw6(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;

	if (!real_syscall)
		real_syscall = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	ret = real_syscall(nr, a, b, c, d, e, f);
	return ret == -1 ? -errno : ret;
}

static long raw(long nr, long a, long b, long c)
{
	return raw6(nr, a, b, c, 0, 0, 0);
}

/* libc convention: -1 and errno. */
static long sys_ret(long ret)
{
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

static int64_t now_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static void ntp_peek(int *status, int *tai)
{
	struct timex tx;

	memset(&tx, 0, sizeof(tx));
	if (raw(SYS_adjtimex, (long)&tx, 0, 0) < 0) {
		*status = -1;
		*tai = -1;
		return;
	}
	*status = tx.status;
	*tai = tx.tai;
}

/* REALTIME - MONOTONIC from the narrowest of a few read triples. */
static void rt_offset(int64_t *off, int64_t *err)
{
	int64_t best = INT64_MAX;
	int i;

	for (i = 0; i < 8; i++) {
		int64_t r1 = now_ns(CLOCK_REALTIME);
		int64_t m = now_ns(CLOCK_MONOTONIC);
		int64_t r2 = now_ns(CLOCK_REALTIME);

		if ((r2 - r1 + 1) / 2 < best) {
			best = (r2 - r1 + 1) / 2;
			*off = r1 + (r2 - r1) / 2 - m;
		}
	}
	*err = best;
}

__attribute__((constructor)) static void adjlog_init(void)
{
	const char *path = getenv("ADJLOG");
	int fd;

	fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, comm, sizeof(comm) - 1);

		comm[n > 0 ? n : 0] = '\0';
		comm[strcspn(comm, "\n ")] = '\0';
		close(fd);
	}
	if (path && *path)
		log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

__attribute__((destructor)) static void adjlog_fini(void)
{
	char line[128];
	int n;

	if (log_fd < 0)
		return;
	n = snprintf(line, sizeof(line), "exit pid=%d comm=%s quiet=%lu\n",
		     (int)getpid(), comm, atomic_load(&quiet));
	if (write(log_fd, line, n) < 0)
		return;
}

struct rec {
	const char *fn;
	long nr;
	long clk;
	unsigned int modes;
	long ret;
	int err;
	int64_t mp, m0, m1;
	int st0, st1, tai0, tai1;
	long long sec, usec;
	long constant;
	int64_t set;
	int64_t off0, offerr;
	int tzmin;
};

static void emit(const struct rec *r)
{
	char line[512];
	int n;

	if (log_fd < 0)
		return;
	n = snprintf(line, sizeof(line),
		     "call pid=%d comm=%s fn=%s nr=%ld clk=%ld modes=%#x ret=%ld errno=%d "
		     "mp=%lld m0=%lld m1=%lld st0=%d st1=%d tai0=%d tai1=%d sec=%lld usec=%lld "
		     "const=%ld set=%lld off0=%lld offerr=%lld tzmin=%d\n",
		     (int)getpid(), comm, r->fn, r->nr, r->clk, r->modes, r->ret,
		     r->err, (long long)r->mp, (long long)r->m0, (long long)r->m1, r->st0, r->st1,
		     r->tai0, r->tai1, r->sec, r->usec, r->constant,
		     (long long)r->set, (long long)r->off0, (long long)r->offerr,
		     r->tzmin);
	if (n > 0 && write(log_fd, line, n) < 0)
		return;
}

/* adjtimex() and clock_adjtime(): @clk is -1 for adjtimex's own number. */
static long do_adj(const char *fn, long nr, long clk, struct timex *tx)
{
	struct rec r = { .fn = fn, .nr = nr, .clk = clk, .set = 0 };
	int saved_errno;
	long ret;

	/* Only CLOCK_REALTIME is the system clock; PHCs are not logged. */
	if (nr == SYS_clock_adjtime && clk != CLOCK_REALTIME)
		return sys_ret(raw(nr, clk, (long)tx, 0));

	r.mp = now_ns(CLOCK_MONOTONIC);
	ntp_peek(&r.st0, &r.tai0);
	/* What was passed: the kernel overwrites time and constant. */
	r.modes = tx ? tx->modes : 0;
	r.sec = tx ? (long long)tx->time.tv_sec : 0;
	r.usec = tx ? (long long)tx->time.tv_usec : 0;
	r.constant = tx ? tx->constant : 0;
	r.m0 = now_ns(CLOCK_MONOTONIC);
	if (nr == SYS_adjtimex)
		ret = raw(nr, (long)tx, 0, 0);
	else
		ret = raw(nr, clk, (long)tx, 0);
	r.m1 = now_ns(CLOCK_MONOTONIC);
	r.ret = ret < 0 ? -1 : ret;
	r.err = ret < 0 ? (int)-ret : 0;
	if (ret >= 0) {
		r.st1 = tx->status;
		r.tai1 = tx->tai;
	} else {
		ntp_peek(&r.st1, &r.tai1);
	}
	saved_errno = errno;
	if (ret >= 0 && !(r.modes & ADJ_SETOFFSET) && r.st0 == r.st1 &&
	    r.tai0 == r.tai1)
		atomic_fetch_add(&quiet, 1);
	else
		emit(&r);
	errno = saved_errno;
	return sys_ret(ret);
}

/* clock_settime() and settimeofday() with a time: @set_ns is the new time. */
static long do_set(const char *fn, long nr, long a, long b, long clk,
		   int64_t set_ns, long long sec, long long usec)
{
	struct rec r = { .fn = fn, .nr = nr, .clk = clk, .set = set_ns,
			 .sec = sec, .usec = usec };
	int saved_errno;
	long ret;

	r.mp = now_ns(CLOCK_MONOTONIC);
	ntp_peek(&r.st0, &r.tai0);
	rt_offset(&r.off0, &r.offerr);
	r.m0 = now_ns(CLOCK_MONOTONIC);
	ret = raw(nr, a, b, 0);
	r.m1 = now_ns(CLOCK_MONOTONIC);
	ntp_peek(&r.st1, &r.tai1);
	r.ret = ret < 0 ? -1 : ret;
	r.err = ret < 0 ? (int)-ret : 0;
	saved_errno = errno;
	emit(&r);
	errno = saved_errno;
	return sys_ret(ret);
}

int adjtimex(struct timex *tx)
{
	return (int)do_adj("adjtimex", SYS_adjtimex, -1, tx);
}

int ntp_adjtime(struct timex *tx)
{
	return (int)do_adj("ntp_adjtime", SYS_adjtimex, -1, tx);
}

int clock_adjtime(clockid_t clk, struct timex *tx)
{
	return (int)do_adj("clock_adjtime", SYS_clock_adjtime, clk, tx);
}

static long settime(const char *fn, clockid_t clk, const struct timespec *ts)
{
	if (clk != CLOCK_REALTIME || !ts)
		return sys_ret(raw(SYS_clock_settime, clk, (long)ts, 0));
	return do_set(fn, SYS_clock_settime, clk, (long)ts, clk,
		      (int64_t)ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec,
		      ts->tv_sec, ts->tv_nsec);
}

int clock_settime(clockid_t clk, const struct timespec *ts)
{
	return (int)settime("clock_settime", clk, ts);
}

/* The kernel's settimeofday: a time, a zone, or both (glibc refuses both). */
static long settod(const char *fn, const struct timeval *tv,
		   const struct timezone *tz)
{
	if (!tv) {
		struct rec r = { .fn = fn, .nr = SYS_settimeofday, .clk = -1,
				 .tzmin = tz ? tz->tz_minuteswest : 0 };
		long ret;
		int saved_errno;

		/* A zone alone: no clock change expected, logged to prove it. */
		r.mp = now_ns(CLOCK_MONOTONIC);
	ntp_peek(&r.st0, &r.tai0);
		r.m0 = now_ns(CLOCK_MONOTONIC);
		ret = raw(SYS_settimeofday, 0, (long)tz, 0);
		r.m1 = now_ns(CLOCK_MONOTONIC);
		ntp_peek(&r.st1, &r.tai1);
		r.ret = ret < 0 ? -1 : ret;
		r.err = ret < 0 ? (int)-ret : 0;
		saved_errno = errno;
		emit(&r);
		errno = saved_errno;
		return sys_ret(ret);
	}
	return do_set(fn, SYS_settimeofday, (long)tv, (long)tz, CLOCK_REALTIME,
		      (int64_t)tv->tv_sec * NSEC_PER_SEC +
		      (int64_t)tv->tv_usec * 1000, tv->tv_sec, tv->tv_usec);
}

int settimeofday(const struct timeval *tv, const struct timezone *tz)
{
	if (tv && tz) {
		struct rec r = { .fn = "settimeofday", .nr = SYS_settimeofday,
				 .clk = -1, .ret = -1, .err = EINVAL,
				 .tzmin = tz->tz_minuteswest };

		/* glibc refuses this without a system call. */
		r.mp = now_ns(CLOCK_MONOTONIC);
	ntp_peek(&r.st0, &r.tai0);
		r.m0 = r.m1 = r.mp;
		r.st1 = r.st0;
		r.tai1 = r.tai0;
		emit(&r);
		errno = EINVAL;
		return -1;
	}
	return (int)settod("settimeofday", tv, tz);
}

long syscall(long nr, ...)
{
	long a[6];
	va_list ap;
	int i;

	/*
	 * Six arguments are read whatever the call takes, as glibc's own
	 * syscall() passes them: surplus ones are never used.
	 */
	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);

	switch (nr) {
	case SYS_adjtimex:
		return do_adj("sys_adjtimex", nr, -1, (struct timex *)a[0]);
	case SYS_clock_adjtime:
		return do_adj("sys_clock_adjtime", nr, a[0], (struct timex *)a[1]);
	case SYS_clock_settime:
		return settime("sys_clock_settime", (clockid_t)a[0],
			       (const struct timespec *)a[1]);
	case SYS_settimeofday:
		return settod("sys_settimeofday", (const struct timeval *)a[0],
			      (const struct timezone *)a[1]);
	}

	return sys_ret(raw6(nr, a[0], a[1], a[2], a[3], a[4], a[5]));
}
