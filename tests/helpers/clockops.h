/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Clock primitives shared by the tsmon guest selftests and clockctl: read
 * the REALTIME - MONOTONIC offset, step the clock exactly, read and set the
 * TAI offset and the leap second flags. They change the system clock: use
 * them only inside the test guest.
 */
#ifndef TSMON_CLOCKOPS_H
#define TSMON_CLOCKOPS_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

#ifndef NSEC_PER_SEC
#define NSEC_PER_SEC		1000000000LL
#endif

static inline int64_t clk_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/*
 * CLOCK_REALTIME - CLOCK_MONOTONIC: what a step, a leap second or a
 * settimeofday changes, and what nothing else changes in the guest (no NTP
 * daemon slews it). Both clocks cannot be read at one instant, so the
 * offset is taken as the midpoint of two REALTIME reads around a MONOTONIC
 * read; @err_ns is half that window, the uncertainty of the value. The
 * narrowest of a few tries is kept, since under emulation a vCPU can be
 * descheduled between two reads.
 */
struct rt_offset {
	int64_t off_ns;
	int64_t err_ns;
};

static inline struct rt_offset rt_mono_offset(void)
{
	struct rt_offset best = { 0, INT64_MAX };
	int i;

	for (i = 0; i < 16; i++) {
		int64_t r1 = clk_ns(CLOCK_REALTIME);
		int64_t m = clk_ns(CLOCK_MONOTONIC);
		int64_t r2 = clk_ns(CLOCK_REALTIME);
		int64_t half = (r2 - r1 + 1) / 2;

		if (half < best.err_ns) {
			best.off_ns = r1 + (r2 - r1) / 2 - m;
			best.err_ns = half;
		}
	}
	return best;
}

/* Exact step of CLOCK_REALTIME by @delta_ns (ADJ_SETOFFSET). */
static inline int clock_step_ns(int64_t delta_ns)
{
	struct timex tx = { .modes = ADJ_SETOFFSET | ADJ_NANO };
	int64_t sec = delta_ns / NSEC_PER_SEC;
	int64_t nsec = delta_ns % NSEC_PER_SEC;

	/* The fraction must be in [0, 1 s): -0.25 s is -1 s + 0.75 s. */
	if (nsec < 0) {
		nsec += NSEC_PER_SEC;
		sec--;
	}
	tx.time.tv_sec = sec;
	tx.time.tv_usec = nsec;
	return clock_adjtime(CLOCK_REALTIME, &tx) < 0 ? -errno : 0;
}

/* Reads the NTP state; returns the clock state (TIME_*) or -errno. */
static inline int ntp_read(struct timex *tx)
{
	int ret;

	memset(tx, 0, sizeof(*tx));
	ret = adjtimex(tx);
	return ret < 0 ? -errno : ret;
}

static inline int ntp_tai(void)
{
	struct timex tx;

	if (ntp_read(&tx) < 0)
		return INT32_MIN;
	return tx.tai;
}

static inline int ntp_status(void)
{
	struct timex tx;

	if (ntp_read(&tx) < 0)
		return -1;
	return tx.status;
}

static inline int ntp_set_tai(int tai)
{
	struct timex tx = { .modes = ADJ_TAI, .constant = tai };

	return adjtimex(&tx) < 0 ? -errno : 0;
}

static inline int ntp_set_status(int status)
{
	struct timex tx = { .modes = ADJ_STATUS, .status = status };

	return adjtimex(&tx) < 0 ? -errno : 0;
}

/*
 * STA_NANO on or off. clock_step_ns() selects nanoseconds, so a test that
 * counts the module's records sets it first: the first such step on a
 * fresh boot would otherwise add an ntp_mode record.
 */
static inline int ntp_set_nano(bool on)
{
	struct timex tx = { .modes = on ? ADJ_NANO : ADJ_MICRO };

	return adjtimex(&tx) < 0 ? -errno : 0;
}

/* Replaces the leap second request bits, keeping every other STA_* bit. */
static inline int ntp_set_leap_bits(int bits)
{
	int status = ntp_status();

	if (status < 0)
		return -EIO;
	return ntp_set_status((status & ~(STA_INS | STA_DEL)) | bits);
}

/*
 * Puts back the NTP state read earlier with ntp_read(): status bits,
 * frequency, tick, time constant and error estimates. STA_NANO is not an
 * ADJ_STATUS bit (ADJ_NANO / ADJ_MICRO select it), and the kernel adds 4
 * to a time constant given in microsecond mode; so the values go in under
 * ADJ_NANO, which takes the constant as it was read, and ADJ_MICRO follows
 * when the saved state was in microsecond mode. Leaving PLL mode clears the
 * read-only bits, which is how the kernel itself would have them.
 */
static inline int ntp_restore(const struct timex *saved)
{
	struct timex tx = {
		.modes = ADJ_STATUS | ADJ_NANO | ADJ_FREQUENCY | ADJ_TICK |
			 ADJ_TIMECONST | ADJ_MAXERROR | ADJ_ESTERROR,
		.status = saved->status,
		.freq = saved->freq,
		.tick = saved->tick,
		.constant = saved->constant,
		.maxerror = saved->maxerror,
		.esterror = saved->esterror,
	};

	if (adjtimex(&tx) < 0)
		return -errno;
	return saved->status & STA_NANO ? 0 : ntp_set_nano(false);
}

#endif /* TSMON_CLOCKOPS_H */
