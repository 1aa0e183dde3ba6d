// SPDX-License-Identifier: GPL-2.0-only
/*
 * clockctl - change and inspect the guest's clock state for the tsmon suite
 * driver and demo. It changes the system clock: run it only inside the
 * test guest.
 *
 *   clockctl state            print offset_ns=<REALTIME - MONOTONIC>
 *                             tai=<seconds> status=<STA_* bits, hex>
 *   clockctl step SECONDS     step CLOCK_REALTIME by SECONDS exactly
 *                             (ADJ_SETOFFSET; e.g. -0.25, +1, 0.000000001)
 *   clockctl step-ns NS       the same, in nanoseconds
 *   clockctl tai N            set the TAI offset
 *   clockctl leap insert|delete|none
 *                             request or withdraw a leap second (STA_INS,
 *                             STA_DEL) keeping the other status bits
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clockops.h"

/* "[+-]S[.F]" with up to nine fractional digits, to nanoseconds, exactly. */
static int parse_seconds(const char *s, int64_t *out)
{
	int64_t sec = 0, frac = 0;
	int neg = 0, digits = 0;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (*s < '0' || *s > '9')
		return -EINVAL;
	while (*s >= '0' && *s <= '9') {
		sec = sec * 10 + (*s++ - '0');
		if (sec > INT64_MAX / NSEC_PER_SEC / 10)
			return -ERANGE;
	}
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9' && digits < 9) {
			frac = frac * 10 + (*s++ - '0');
			digits++;
		}
		if (!digits)
			return -EINVAL;
		for (; digits < 9; digits++)
			frac *= 10;
	}
	if (*s)
		return -EINVAL;
	*out = sec * NSEC_PER_SEC + frac;
	if (neg)
		*out = -*out;
	return 0;
}

static int cmd_state(void)
{
	struct timex tx;
	int ret = ntp_read(&tx);

	if (ret < 0)
		return ret;
	printf("offset_ns=%" PRId64 " tai=%d status=0x%x\n",
	       rt_mono_offset().off_ns, tx.tai, tx.status);
	return 0;
}

static int cmd_tai(const char *arg)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || v < 0 || v > 100000)
		return -EINVAL;
	return ntp_set_tai((int)v);
}

static int cmd_leap(const char *arg)
{
	int bits;

	if (!strcmp(arg, "insert"))
		bits = STA_INS;
	else if (!strcmp(arg, "delete"))
		bits = STA_DEL;
	else if (!strcmp(arg, "none"))
		bits = 0;
	else
		return -EINVAL;
	return ntp_set_leap_bits(bits);
}

static void usage(void)
{
	fputs("usage: clockctl state | step SECONDS | step-ns NS | tai N |\n"
	      "                leap insert|delete|none\n", stderr);
}

int main(int argc, char **argv)
{
	int64_t ns;
	char *end;
	int err;

	if (argc == 2 && !strcmp(argv[1], "state")) {
		err = cmd_state();
	} else if (argc == 3 && !strcmp(argv[1], "step")) {
		err = parse_seconds(argv[2], &ns);
		if (!err)
			err = clock_step_ns(ns);
	} else if (argc == 3 && !strcmp(argv[1], "step-ns")) {
		errno = 0;
		ns = strtoll(argv[2], &end, 10);
		err = errno || *end || end == argv[2] ? -EINVAL : clock_step_ns(ns);
	} else if (argc == 3 && !strcmp(argv[1], "tai")) {
		err = cmd_tai(argv[2]);
	} else if (argc == 3 && !strcmp(argv[1], "leap")) {
		err = cmd_leap(argv[2]);
	} else {
		usage();
		return 2;
	}
	if (err) {
		fprintf(stderr, "clockctl %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	return 0;
}
