// SPDX-License-Identifier: GPL-2.0-only
/*
 * Formatting helpers. All arithmetic is integer so that nanosecond values
 * print exactly; no floating point touches a timestamp.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <tsmon/abi.h>

#include "fmt.h"

#define SECS_PER_DAY	((uint64_t)86400)

static uint64_t abs64(int64_t v)
{
	/* via unsigned negation, so INT64_MIN is fine too */
	return v < 0 ? -(uint64_t)v : (uint64_t)v;
}

/*
 * Write sign, v / unit and `digits` decimals of the remainder (truncated).
 * With trim, trailing zeros of the fraction and a bare point are dropped.
 */
static void fmt_fixed(char *buf, size_t len, const char *sign, uint64_t v,
		      uint64_t unit, int digits, bool trim)
{
	uint64_t scale = unit;
	char *end;
	int i;

	for (i = 0; i < digits; i++)
		scale /= 10;
	if (digits == 0) {
		snprintf(buf, len, "%s%" PRIu64, sign, v / unit);
		return;
	}
	snprintf(buf, len, "%s%" PRIu64 ".%0*" PRIu64, sign, v / unit,
		 digits, (v % unit) / scale);
	if (!trim)
		return;
	end = buf + strlen(buf);
	while (end[-1] == '0')
		*--end = '\0';
	if (end[-1] == '.')
		end[-1] = '\0';
}

/*
 * Calendar fields of whole seconds since the epoch, UTC. The largest __u64
 * nanosecond value is in the year 2554, so this cannot fail for our input;
 * should the C library disagree, the epoch is shown rather than garbage.
 */
static void utc_tm(uint64_t secs, struct tm *tm)
{
	time_t t = (time_t)secs;

	if (!gmtime_r(&t, tm)) {
		t = 0;
		gmtime_r(&t, tm);
	}
}

const char *fmt_utc(char *buf, size_t len, uint64_t real_ns)
{
	char date[FMT_LEN];
	struct tm tm;

	utc_tm(real_ns / NSEC_PER_SEC, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09" PRIu64 "Z", date, real_ns % NSEC_PER_SEC);
	return buf;
}

/*
 * An inserted second is the one REALTIME repeats when it jumps back at
 * midnight: by convention it is named 23:59:60 of the day that ends there,
 * a label time_t cannot express, so it is built from the second before
 * midnight. A deleted second is 23:59:59 itself, the REALTIME at which the
 * clock jumps forward, so it prints as is. A value that is not the expected
 * whole second prints as a plain timestamp rather than a misleading label.
 */
const char *fmt_leap(char *buf, size_t len, uint64_t leap_real_ns,
		     uint32_t direction)
{
	uint64_t secs = leap_real_ns / NSEC_PER_SEC;
	struct tm tm;

	if (leap_real_ns % NSEC_PER_SEC)
		return fmt_utc(buf, len, leap_real_ns);
	if (direction == TSMON_LEAP_INSERT && secs &&
	    secs % SECS_PER_DAY == 0) {
		utc_tm(secs - 1, &tm);
		strftime(buf, len, "%Y-%m-%dT%H:%M:60Z", &tm);
		return buf;
	}
	utc_tm(secs, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

const char *fmt_mono(char *buf, size_t len, uint64_t ns)
{
	fmt_fixed(buf, len, "", ns, NSEC_PER_SEC, 9, false);
	return buf;
}

const char *fmt_step(char *buf, size_t len, int64_t ns)
{
	fmt_fixed(buf, len, ns < 0 ? "-" : "+", abs64(ns), NSEC_PER_SEC, 9,
		  false);
	strncat(buf, "s", len - strlen(buf) - 1);
	return buf;
}

const char *fmt_seconds(char *buf, size_t len, uint64_t ns)
{
	fmt_fixed(buf, len, "", ns, NSEC_PER_SEC, 9, true);
	return buf;
}

const char *fmt_secs(char *buf, size_t len, uint64_t ns)
{
	fmt_seconds(buf, len, ns);
	strncat(buf, "s", len - strlen(buf) - 1);
	return buf;
}

const char *fmt_span(char *buf, size_t len, uint64_t ns)
{
	uint64_t s = ns / NSEC_PER_SEC;

	if (s >= SECS_PER_DAY)
		snprintf(buf, len, "%" PRIu64 "d %" PRIu64 "h",
			 s / SECS_PER_DAY, s % SECS_PER_DAY / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "%" PRIu64 "h %" PRIu64 "m",
			 s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%" PRIu64 "m %" PRIu64 "s",
			 s / 60, s % 60);
	else {
		fmt_fixed(buf, len, "", ns, NSEC_PER_SEC, 3, true);
		strncat(buf, "s", len - strlen(buf) - 1);
	}
	return buf;
}

/* An amount in the largest unit it reaches, after the given sign. */
static const char *fmt_unit(char *buf, size_t len, const char *sign,
			    uint64_t a)
{
	static const struct {
		uint64_t unit;
		int digits;
		const char *name;
	} units[] = {
		{ NSEC_PER_SEC,	3, " s" },
		{ 1000000,	3, " ms" },
		{ 1000,		3, " us" },
		{ 1,		0, " ns" },
	};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]) - 1; i++)
		if (a >= units[i].unit)
			break;
	fmt_fixed(buf, len, sign, a, units[i].unit, units[i].digits, true);
	strncat(buf, units[i].name, len - strlen(buf) - 1);
	return buf;
}

const char *fmt_delta(char *buf, size_t len, int64_t ns)
{
	return fmt_unit(buf, len, ns < 0 ? "-" : ns > 0 ? "+" : "", abs64(ns));
}

const char *fmt_amount(char *buf, size_t len, uint64_t ns)
{
	return fmt_unit(buf, len, "", ns);
}

const char *fmt_error(char *buf, size_t len, uint64_t ns)
{
	fmt_fixed(buf, len, "", ns, NSEC_PER_SEC, ns % 1000 ? 9 : 6, false);
	strncat(buf, "s", len - strlen(buf) - 1);
	return buf;
}

const char *fmt_ppm(char *buf, size_t len, int64_t ppb)
{
	fmt_fixed(buf, len, ppb < 0 ? "-" : "", abs64(ppb), 1000, 3, false);
	return buf;
}

const char *fmt_ppm_delta(char *buf, size_t len, int64_t ppb)
{
	fmt_fixed(buf, len, ppb < 0 ? "-" : ppb > 0 ? "+" : "", abs64(ppb),
		  1000, 3, false);
	return buf;
}

const char *fmt_dur(char *buf, size_t len, uint64_t ns)
{
	static const struct {
		uint64_t unit;
		const char *name;
	} units[] = {
		{ SECS_PER_DAY * NSEC_PER_SEC,	"d" },
		{ 3600 * NSEC_PER_SEC,		"h" },
		{ 60 * NSEC_PER_SEC,		"m" },
		{ NSEC_PER_SEC,			"s" },
		{ 1000000,			"ms" },
		{ 1000,				"us" },
		{ 1,				"ns" },
	};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]) - 1; i++)
		if (ns && ns % units[i].unit == 0)
			break;
	snprintf(buf, len, "%" PRIu64 "%s", ns / units[i].unit, units[i].name);
	return buf;
}
