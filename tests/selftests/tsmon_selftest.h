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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "clockops.h"
#include <tsmon.h>

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

#endif /* TSMON_SELFTEST_H */
