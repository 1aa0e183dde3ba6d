/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared helpers of the tsmon guest selftests.
 *
 * These programs change the system clock, the TAI offset and the NTP leap
 * second flags and load and unload the module: they run only as root inside
 * the test guest (tests/vm/run), never on a host.
 */
#ifndef TSMON_SELFTEST_H
#define TSMON_SELFTEST_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/timex.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>

#include "kselftest.h"
#include "clockops.h"
#include <tsmon/tsmon.h>

#define NSEC_PER_SEC		1000000000LL
#define NSEC_PER_MSEC		1000000LL
#define SECS_PER_DAY		86400LL
#define TSMON_MODNAME		"tsmon"
#define TSMON_SYSMOD		"/sys/module/tsmon"

/* Every program stops itself if a wait goes wrong instead of hanging. */
#define SELFTEST_DEADLINE_S	120

static inline void sleep_ms(int64_t ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * NSEC_PER_MSEC,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* First line of a sysfs file, without its newline. */
static inline bool read_sysfs_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, size, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

static inline const char *type_name(uint32_t type)
{
	const char *name;

	if (tsmon_event_type_name(type, &name))
		return "?";
	return name;
}

/* One record as text, for diagnostics. */
static inline void print_record(const char *what, const struct tsmon_record *r)
{
	ksft_print_msg("%s: seq=%llu type=%s mono=%llu real=%llu raw=%llx/%llx/%llx/%llx\n",
		       what, (unsigned long long)r->seq, type_name(r->type),
		       (unsigned long long)r->mono_ns,
		       (unsigned long long)r->real_ns,
		       (unsigned long long)r->raw[0],
		       (unsigned long long)r->raw[1],
		       (unsigned long long)r->raw[2],
		       (unsigned long long)r->raw[3]);
}

/*
 * Waits up to @timeout_ms for the record at @c and copies it. The wait is
 * sliced: each wakeup also lets a tickless guest CPU update the
 * timekeeper, which is where second boundaries (and leap seconds) happen.
 */
/*
 * Record types wait_record() passes over (bit = type). A program that tests
 * something else than NTP status sets it with selftest_skip_ntp(): the NTP
 * shadow legitimately records ntp_state, ntp_sync... around leaps, steps
 * and clocksource changes, and tsmon_ntp tests those records itself.
 */
static uint32_t selftest_skip_types;

static inline void selftest_skip_ntp(void)
{
	selftest_skip_types |= 1U << TSMON_EVENT_NTP_SYNC |
			       1U << TSMON_EVENT_NTP_UNSYNC |
			       1U << TSMON_EVENT_NTP_MODE |
			       1U << TSMON_EVENT_NTP_STATE;
}

static inline int wait_record(const struct tsmon *t, struct tsmon_cursor *c,
			      int timeout_ms, struct tsmon_record *r)
{
	int64_t end = clk_ns(CLOCK_MONOTONIC) + timeout_ms * NSEC_PER_MSEC;
	int err;

	for (;;) {
		err = tsmon_next(t, c, r);
		if (!err && r->type < 32 && (selftest_skip_types >> r->type & 1))
			continue;
		if (err != -EAGAIN)
			return err;
		if (clk_ns(CLOCK_MONOTONIC) >= end)
			return -ETIMEDOUT;
		err = tsmon_wait(t, c, 100);
		if (err && err != -ETIMEDOUT)
			return err;
	}
}

/* Sleeps in short slices (see wait_record()) until CLOCK_REALTIME >= @real. */
static inline void sleep_until_real(int64_t real_ns, int64_t max_ms)
{
	int64_t end = clk_ns(CLOCK_MONOTONIC) + max_ms * NSEC_PER_MSEC;

	while (clk_ns(CLOCK_REALTIME) < real_ns &&
	       clk_ns(CLOCK_MONOTONIC) < end)
		sleep_ms(50);
}

/* Fails the case if more records than expected were published. */
static inline bool expect_no_record(const struct tsmon *t,
				    struct tsmon_cursor *c, int settle_ms)
{
	struct tsmon_record r;
	int err = wait_record(t, c, settle_ms, &r);

	if (err == -ETIMEDOUT)
		return true;
	if (err)
		ksft_print_msg("reading the ring: %s\n", strerror(-err));
	else
		print_record("unexpected record", &r);
	return false;
}

static inline bool read_health(const struct tsmon *t, struct tsmon_health *h)
{
	int err = tsmon_health(t, h);

	if (err)
		ksft_print_msg("tsmon_health: %s\n", strerror(-err));
	return !err;
}

/* A name stored in ABI words, as a C string. */
static inline void abi_name(char *dst, size_t size, const __u64 *words,
			    size_t nwords)
{
	size_t len = nwords * 8 < size - 1 ? nwords * 8 : size - 1;

	memcpy(dst, words, len);
	dst[len] = '\0';
}

/* ----------------------------------------------------------- module */

static inline const char *module_ko(void)
{
	return getenv("TSMON_KO");
}

static inline bool module_loaded(void)
{
	return access(TSMON_SYSMOD, F_OK) == 0;
}

/* finit_module() of $TSMON_KO; 0 or -errno. */
static inline int module_load(const char *params)
{
	const char *ko = module_ko();
	int fd, ret;

	if (!ko)
		return -ENOENT;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret;
}

static inline int module_unload(void)
{
	return syscall(SYS_delete_module, TSMON_MODNAME, O_NONBLOCK) ?
		-errno : 0;
}

/*
 * devtmpfs creates and removes /dev/tsmon synchronously with
 * misc_register()/misc_deregister(); a /dev managed by a userspace daemon
 * would lag, so allow it a moment before calling the node missing.
 */
static inline bool dev_node_present(bool want)
{
	int i;

	for (i = 0; i < 100; i++) {
		if ((access(TSMON_DEVICE_PATH, F_OK) == 0) == want)
			return true;
		sleep_ms(20);
	}
	return false;
}

/* Leaves the module loaded with its default parameters. */
static inline int module_reload_default(void)
{
	int err;

	if (module_loaded()) {
		err = module_unload();
		if (err)
			return err;
	}
	err = module_load("");
	if (err)
		return err;
	return dev_node_present(true) ? 0 : -ENODEV;
}

/* Common prologue: line-buffered TAP output, root, a deadline. */
static inline void selftest_init(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	ksft_print_header();
	if (geteuid() != 0)
		ksft_exit_skip("must run as root (in the test guest)\n");
	alarm(SELFTEST_DEADLINE_S);
}

static inline void selftest_start(unsigned int plan)
{
	selftest_init();
	ksft_set_plan(plan);
}

static inline struct tsmon *open_or_bail(void)
{
	struct tsmon *t;
	int err = tsmon_open(NULL, &t);

	if (err)
		ksft_exit_fail_msg("tsmon_open: %s (is the module loaded?)\n",
				   strerror(-err));
	return t;
}

/* ----------------------------------------------------------- NTP capture */

#define USEC_NS			1000LL
/* The kernel's maxerror limit: beyond it the clock is unsynchronised. */
#define NTP_PHASE_LIMIT_US	16000000L

/* timex.offset in nanoseconds: its unit follows STA_NANO. */
static inline int64_t timex_offset_ns(const struct timex *tx)
{
	return tx->status & STA_NANO ? (int64_t)tx->offset :
	       (int64_t)tx->offset * USEC_NS;
}

/* timex.freq (ppm << 16) in ppb, truncated toward zero as tsmon keeps it. */
static inline int64_t timex_freq_ppb(const struct timex *tx)
{
	return (int64_t)tx->freq * 1000 / 65536;
}

static inline bool field_eq(const char *name, int64_t got, int64_t want)
{
	if (got == want)
		return true;
	ksft_print_msg("%s = %lld, want %lld\n", name, (long long)got,
		       (long long)want);
	return false;
}

/*
 * The health block holds what the adjtimex call @tx (returning @ret)
 * reported, field by field. The kernel's time_state is visible only when
 * the call did not return TIME_ERROR.
 */
static inline bool health_matches_timex(const struct tsmon_health *h,
					const struct timex *tx, int ret)
{
	bool ok = true;

	ok &= field_eq("ntp_status", h->ntp_status, (uint32_t)tx->status);
	ok &= field_eq("ntp_maxerror_ns", h->ntp_maxerror_ns,
		       tx->maxerror * USEC_NS);
	ok &= field_eq("ntp_esterror_ns", h->ntp_esterror_ns,
		       tx->esterror * USEC_NS);
	ok &= field_eq("ntp_offset_ns", (int64_t)h->ntp_offset_ns,
		       timex_offset_ns(tx));
	ok &= field_eq("ntp_freq_ppb", (int64_t)h->ntp_freq_ppb,
		       timex_freq_ppb(tx));
	ok &= field_eq("ntp_constant", (int32_t)h->ntp_constant, tx->constant);
	ok &= field_eq("ntp_tick_us", h->ntp_tick_us, tx->tick);
	ok &= field_eq("tai_offset", (int32_t)h->tai_offset, tx->tai);
	if (ret != TIME_ERROR)
		ok &= field_eq("ntp_state", h->ntp_state, ret);
	return ok;
}

/* ----------------------------------------------------------- bounded clock */

/*
 * The bound tsmon_now() owes for health @h at CLOCK_MONOTONIC @mono with
 * @drift_ppb: the last sync update's maxerror plus the drift over its age,
 * rounded down (UINT64_MAX, unbounded, if that does not fit).
 */
static inline uint64_t expected_bound(const struct tsmon_health *h,
				      uint64_t mono, uint64_t drift_ppb)
{
	uint64_t age = mono > h->sync_mono_ns ? mono - h->sync_mono_ns : 0;
	unsigned __int128 b = (unsigned __int128)age * drift_ppb /
			      NSEC_PER_SEC + h->sync_maxerror_ns;

	return b >= UINT64_MAX ? UINT64_MAX : (uint64_t)b;
}

static inline void print_time(const char *what, const struct tsmon_time *tm)
{
	ksft_print_msg("%s: status %u flags 0x%x real %llu mono %llu bound %llu [%llu, %llu] age %llu held %llu\n",
		       what, tm->status, tm->flags,
		       (unsigned long long)tm->real_ns,
		       (unsigned long long)tm->mono_ns,
		       (unsigned long long)tm->bound_ns,
		       (unsigned long long)tm->earliest_ns,
		       (unsigned long long)tm->latest_ns,
		       (unsigned long long)tm->sync_age_ns,
		       (unsigned long long)tm->held_ns);
}

/*
 * tsmon_now() together with the health block it was computed from: the
 * block is read before and after, and the read is retried when anything
 * (an adjtimex call by a daemon) changed it in between.
 */
static inline bool now_with_health(const struct tsmon *t, struct tsmon_time *tm,
				   struct tsmon_health *h)
{
	struct tsmon_health h0;
	int i, err;

	for (i = 0; i < 100; i++) {
		if (!read_health(t, &h0))
			return false;
		err = tsmon_now(t, tm);
		if (err) {
			ksft_print_msg("tsmon_now: %s\n", strerror(-err));
			return false;
		}
		if (!read_health(t, h))
			return false;
		if (h->seq == h0.seq)
			return true;
	}
	ksft_print_msg("the health block kept changing around tsmon_now()\n");
	return false;
}

/*
 * @tm is a bounded read of the model in @h: real_ns is CLOCK_MONOTONIC
 * plus offs_real_ns (what CLOCK_REALTIME reads at that instant), the bound
 * is expected_bound() and the interval is real_ns +- bound.
 */
static inline bool time_is_bounded(const struct tsmon_time *tm,
				   const struct tsmon_health *h,
				   uint64_t drift_ppb)
{
	uint64_t bound = expected_bound(h, tm->mono_ns, drift_ppb);
	bool ok = true;

	if (tm->flags & TSMON_TIME_UNBOUNDED) {
		ksft_print_msg("flag UNBOUNDED on a bounded read\n");
		ok = false;
	}
	if (tm->real_ns != tm->mono_ns + h->offs_real_ns) {
		ksft_print_msg("real_ns %llu != mono_ns + offs_real_ns %llu\n",
			       (unsigned long long)tm->real_ns,
			       (unsigned long long)(tm->mono_ns +
						    h->offs_real_ns));
		ok = false;
	}
	if (tm->bound_ns != bound) {
		ksft_print_msg("bound_ns %llu, want %llu (maxerror %llu, age %llu ns, drift %llu ppb)\n",
			       (unsigned long long)tm->bound_ns,
			       (unsigned long long)bound,
			       (unsigned long long)h->sync_maxerror_ns,
			       (unsigned long long)(tm->mono_ns -
						    h->sync_mono_ns),
			       (unsigned long long)drift_ppb);
		ok = false;
	}
	if (tm->sync_age_ns != tm->mono_ns - h->sync_mono_ns) {
		ksft_print_msg("sync_age_ns %llu, want %llu\n",
			       (unsigned long long)tm->sync_age_ns,
			       (unsigned long long)(tm->mono_ns -
						    h->sync_mono_ns));
		ok = false;
	}
	if (tm->earliest_ns != tm->real_ns - tm->bound_ns ||
	    tm->latest_ns != tm->real_ns + tm->bound_ns) {
		ksft_print_msg("interval [%llu, %llu] is not real_ns +- bound_ns\n",
			       (unsigned long long)tm->earliest_ns,
			       (unsigned long long)tm->latest_ns);
		ok = false;
	}
	if (!ok)
		print_time("read", tm);
	return ok;
}

/* No bound known: the interval is the whole time line. */
static inline bool time_is_unbounded(const struct tsmon_time *tm)
{
	if ((tm->flags & TSMON_TIME_UNBOUNDED) && tm->bound_ns == UINT64_MAX &&
	    tm->earliest_ns == 0 && tm->latest_ns == UINT64_MAX)
		return true;
	print_time("want an unbounded read", tm);
	return false;
}

/* ----------------------------------------------------------- PHCs */

#define PHC_CLASS_DIR		"/sys/class/ptp"
#define PHC_MAX_INDEX		64	/* /dev/ptp<N> indices searched */
#define TSMON_PARAM_DIR		TSMON_SYSMOD "/parameters"

#ifndef FD_TO_CLOCKID
#define FD_TO_CLOCKID(fd)	((~(clockid_t)(fd) << 3) | 3)
#endif

/* The driver's clock name of /dev/ptp<index>; false if there is none. */
static inline bool phc_name(int index, char *buf, size_t size)
{
	char path[64];

	snprintf(path, sizeof(path), PHC_CLASS_DIR "/ptp%d/clock_name", index);
	return read_sysfs_line(path, buf, size);
}

/*
 * The lowest PHC index whose clock name starts with @prefix (@match) or
 * does not (!@match), or -1.
 */
static inline int phc_find(const char *prefix, bool match)
{
	char name[64];
	int index;

	for (index = 0; index < PHC_MAX_INDEX; index++)
		if (phc_name(index, name, sizeof(name)) &&
		    (strncmp(name, prefix, strlen(prefix)) == 0) == match)
			return index;
	return -1;
}

/* Opens /dev/ptp<index> for adjusting; the fd (its clock in *clk) or -errno. */
static inline int phc_open(int index, clockid_t *clk)
{
	char path[32];
	int fd;

	snprintf(path, sizeof(path), "/dev/ptp%d", index);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*clk = FD_TO_CLOCKID(fd);
	return fd;
}

/* A numeric tsmon module parameter (/sys/module/tsmon/parameters). */
static inline int tsmon_param_get(const char *name, unsigned long *val)
{
	char path[128], buf[32], *end;

	snprintf(path, sizeof(path), TSMON_PARAM_DIR "/%s", name);
	if (!read_sysfs_line(path, buf, sizeof(buf)))
		return errno ? -errno : -EIO;
	errno = 0;
	*val = strtoul(buf, &end, 10);
	return errno || end == buf ? -EINVAL : 0;
}

static inline int tsmon_param_set(const char *name, unsigned long val)
{
	char path[128], buf[32];
	int fd, len, err = 0;

	snprintf(path, sizeof(path), TSMON_PARAM_DIR "/%s", name);
	len = snprintf(buf, sizeof(buf), "%lu", val);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != len)
		err = errno ? -errno : -EIO;
	close(fd);
	return err;
}

/*
 * The test PHC module (tests/phc/tsmon_testphc.c), built for each kernel
 * as build/testphc/<kernel>/tsmon_testphc.ko: its PHCs are named
 * "tsmon-testphc", "tsmon-testphc1", ... in the order registered.
 */
/* Before leap seconds: the TAI offset and status to restore; none pending. */
static inline void leap_save(int *tai0, int *status0)
{
	*tai0 = ntp_tai();
	*status0 = ntp_status();
	if (*tai0 < 0 || *status0 < 0)
		ksft_exit_fail_msg("adjtimex: cannot read the NTP state\n");
	if (*status0 & (STA_INS | STA_DEL))
		ksft_exit_fail_msg("a leap second is already requested (status 0x%x)\n",
				   *status0);
}

/* Within the measurement window of rt_mono_offset(), with margin. */
#define RESTORE_TOLERANCE_NS	(50 * NSEC_PER_MSEC)

/*
 * After leap seconds: puts back the leap flags (and STA_UNSYNC), the TAI
 * offset and REALTIME - MONOTONIC as @off0 had it. @accounted_ns is what
 * the test stepped plus the leaps it saw applied; it is checked against
 * the measured change, which is undone instead (and the restore fails)
 * when they differ: a leap did not happen as the test expected.
 */
static inline bool leap_restore(const struct rt_offset *off0,
				int64_t accounted_ns, int tai0, int status0)
{
	const int bits = STA_INS | STA_DEL | STA_UNSYNC;
	int leap_bits0 = status0 & (STA_INS | STA_DEL);
	struct rt_offset now;
	int64_t moved, back;
	bool ok = true;

	if (ntp_set_status((ntp_status() & ~bits) | (status0 & bits)) ||
	    ntp_set_tai(tai0))
		ok = false;
	now = rt_mono_offset();
	moved = now.off_ns - off0->off_ns;
	back = llabs(moved - accounted_ns) <= RESTORE_TOLERANCE_NS ?
		-accounted_ns : -moved;
	if (back != -accounted_ns) {
		ksft_print_msg("offset moved %lld ns, accounted %lld ns\n",
			       (long long)moved, (long long)accounted_ns);
		ok = false;
	}
	if (clock_step_ns(back))
		return false;
	now = rt_mono_offset();
	if (llabs(now.off_ns - off0->off_ns) > RESTORE_TOLERANCE_NS ||
	    ntp_tai() != tai0 ||
	    (ntp_status() & (STA_INS | STA_DEL)) != leap_bits0) {
		ksft_print_msg("after restore: offset %+lld ns, tai %d, status 0x%x\n",
			       (long long)(now.off_ns - off0->off_ns),
			       ntp_tai(), ntp_status());
		ok = false;
	}
	return ok;
}

#define DEBUGFS_DIR		"/sys/kernel/debug"

/* The test PHC's files need debugfs; the guest does not mount it by itself. */
static inline bool debugfs_ready(void)
{
	struct statfs sfs;

	if (!statfs(DEBUGFS_DIR, &sfs) && sfs.f_type == DEBUGFS_MAGIC)
		return true;
	if (mount("debugfs", DEBUGFS_DIR, "debugfs", 0, NULL)) {
		ksft_print_msg("mounting debugfs: %s\n", strerror(errno));
		return false;
	}
	return true;
}

#define TESTPHC_MOD		"tsmon_testphc"
#define TESTPHC_NAME		"tsmon-testphc"

/* Path of the module for the running kernel; false if it is not built. */
static inline bool testphc_ko(char *buf, size_t size)
{
	const char *kver = getenv("TSMON_KVER");
	struct utsname u;

	if (!kver) {
		if (uname(&u))
			return false;
		kver = u.release;
	}
	snprintf(buf, size, "build/testphc/%s/" TESTPHC_MOD ".ko", kver);
	return access(buf, R_OK) == 0;
}

static inline bool testphc_loaded(void)
{
	return access("/sys/module/" TESTPHC_MOD, F_OK) == 0;
}

/* Registers @count test PHCs; 0 or -errno. */
static inline int testphc_load(unsigned int count)
{
	char ko[256], params[32];
	int fd, ret;

	if (!testphc_ko(ko, sizeof(ko)))
		return -ENOENT;
	snprintf(params, sizeof(params), "count=%u", count);
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret;
}

static inline int testphc_unload(void)
{
	return syscall(SYS_delete_module, TESTPHC_MOD, O_NONBLOCK) ?
		-errno : 0;
}

/* Name of test PHC number @i. */
static inline void testphc_name(unsigned int i, char *buf, size_t size)
{
	if (i)
		snprintf(buf, size, TESTPHC_NAME "%u", i);
	else
		snprintf(buf, size, TESTPHC_NAME);
}

/* /dev/ptp<index> of test PHC number @i, or -1. */
static inline int testphc_index(unsigned int i)
{
	char name[64], want[32];
	int index;

	testphc_name(i, want, sizeof(want));
	for (index = 0; index < PHC_MAX_INDEX; index++)
		if (phc_name(index, name, sizeof(name)) && !strcmp(name, want))
			return index;
	return -1;
}

#endif /* TSMON_SELFTEST_H */
