/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Text renderings of times, durations and fixed-point quantities. Every
 * function writes into the caller's buffer (FMT_LEN bytes are always
 * enough) and returns it, so calls can sit in printf() argument lists.
 */
#ifndef TSMON_TOOLS_FMT_H
#define TSMON_TOOLS_FMT_H

#include <stddef.h>
#include <stdint.h>

#define FMT_LEN		64
#define NSEC_PER_SEC	((uint64_t)1000000000)

/* 2026-11-21T05:13:00.123456789Z */
const char *fmt_utc(char *buf, size_t len, uint64_t real_ns);
/* The UTC label of a leap second that happens at REALTIME leap_real_ns. */
const char *fmt_leap(char *buf, size_t len, uint64_t leap_real_ns,
		     uint32_t direction);
/* 1234.567890123 */
const char *fmt_mono(char *buf, size_t len, uint64_t ns);
/* -0.250000000s: always signed, always nine decimals */
const char *fmt_step(char *buf, size_t len, int64_t ns);
/* 12.5s: exact, trailing zeros dropped */
const char *fmt_secs(char *buf, size_t len, uint64_t ns);
/* 12.5: the same without the unit, for perfdata and Prometheus values */
const char *fmt_seconds(char *buf, size_t len, uint64_t ns);
/* 3h 2m: the two most significant units of an elapsed time */
const char *fmt_span(char *buf, size_t len, uint64_t ns);
/* -250 ms, +1.5 s: signed, in the largest fitting unit, 3 decimals at most */
const char *fmt_delta(char *buf, size_t len, int64_t ns);
/*
 * 1500us, 10m, 1h: a duration in the syntax the options take (exact: the
 * largest of d, h, m, s, ms, us, ns that divides it)
 */
const char *fmt_dur(char *buf, size_t len, uint64_t ns);
/* 1.5 ms: like fmt_delta, without a sign */
const char *fmt_amount(char *buf, size_t len, uint64_t ns);
/*
 * 16.000000s: an NTP error estimate in seconds, with the microseconds
 * adjtimex(2) works in, or nanoseconds if the value has them
 */
const char *fmt_error(char *buf, size_t len, uint64_t ns);
/* -12.345: parts per billion as parts per million */
const char *fmt_ppm(char *buf, size_t len, int64_t ppb);
/* +12.345: the same, with a sign unless it is zero, for a change */
const char *fmt_ppm_delta(char *buf, size_t len, int64_t ppb);

#endif /* TSMON_TOOLS_FMT_H */
