// SPDX-License-Identifier: GPL-2.0-only
/*
 * clockstate - save, restore and compare the guest's clock state around a
 * third-party test suite that changes it.
 *
 *   clockstate show             print the state as key=value pairs:
 *                               off (REALTIME - MONOTONIC, ns), offerr,
 *                               tai, status, state (time_state), freq,
 *                               tick, constant
 *   clockstate save FILE        the same, into FILE
 *   clockstate restore FILE     step REALTIME back to the saved offset,
 *                               put back the NTP status, frequency, tick,
 *                               time constant, unit (STA_NANO) and TAI
 *   clockstate check FILE       exit 1 unless the state is the saved one:
 *                               offset within 1 ms, all else equal (a
 *                               time_state left in TIME_WAIT is given two
 *                               seconds to return to TIME_OK)
 *
 * It changes the system clock: run it only inside the test guest.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <unistd.h>

#include "clockops.h"

#define OFFSET_SLACK_NS	1000000
/* The kernel's NTP_PHASE_LIMIT: what ntp_clear() sets the errors to, in us. */
#define MAXERROR_UNKNOWN_US	16000000L

struct state {
	int64_t off, offerr;
	long tai, status, state, freq, tick, constant;
	long maxerror, esterror;
};

static int read_state(struct state *s)
{
	struct rt_offset o;
	struct timex tx;
	int ret = ntp_read(&tx);

	if (ret < 0)
		return ret;
	o = rt_mono_offset();
	s->off = o.off_ns;
	s->offerr = o.err_ns;
	s->tai = tx.tai;
	s->status = tx.status;
	s->state = ret;
	s->freq = tx.freq;
	s->tick = tx.tick;
	s->constant = tx.constant;
	s->maxerror = tx.maxerror;
	s->esterror = tx.esterror;
	return 0;
}

static void print_state(FILE *f, const struct state *s)
{
	fprintf(f, "off=%" PRId64 " offerr=%" PRId64 " tai=%ld status=%#lx state=%ld freq=%ld tick=%ld constant=%ld\n",
		s->off, s->offerr, s->tai, s->status, s->state, s->freq,
		s->tick, s->constant);
}

static int load_state(const char *path, struct state *s)
{
	FILE *f = fopen(path, "r");
	int n;

	if (!f)
		return -errno;
	n = fscanf(f, "off=%" SCNd64 " offerr=%" SCNd64 " tai=%ld status=%lx state=%ld freq=%ld tick=%ld constant=%ld",
		   &s->off, &s->offerr, &s->tai, &s->status, &s->state,
		   &s->freq, &s->tick, &s->constant);
	fclose(f);
	return n == 8 ? 0 : -EINVAL;
}

static int restore(const struct state *want)
{
	struct timex tx = {
		.status = (int)want->status,
		.freq = want->freq,
		.tick = want->tick,
		.constant = want->constant,
		/* The errors grow on their own: the kernel's "unknown". */
		.maxerror = MAXERROR_UNKNOWN_US,
		.esterror = MAXERROR_UNKNOWN_US,
	};
	struct state now;
	int err;

	err = read_state(&now);
	if (err)
		return err;
	err = clock_step_ns(want->off - now.off);
	if (err)
		return err;
	/* After the step: its ADJ_NANO set STA_NANO, which this puts back. */
	err = ntp_restore(&tx);
	if (err)
		return err;
	return ntp_set_tai((int)want->tai);
}

static int differs(const struct state *a, const struct state *b)
{
	int64_t d = a->off - b->off;

	return (d > OFFSET_SLACK_NS || d < -OFFSET_SLACK_NS) ||
	       a->tai != b->tai || a->status != b->status ||
	       a->state != b->state || a->freq != b->freq ||
	       a->tick != b->tick || a->constant != b->constant;
}

int main(int argc, char **argv)
{
	struct state s, saved;
	FILE *f;
	int err, i;

	if (argc == 2 && !strcmp(argv[1], "show")) {
		err = read_state(&s);
		if (!err)
			print_state(stdout, &s);
	} else if (argc == 3 && !strcmp(argv[1], "save")) {
		err = read_state(&s);
		if (!err) {
			f = fopen(argv[2], "w");
			if (!f)
				err = -errno;
			else {
				print_state(f, &s);
				err = fclose(f) ? -errno : 0;
			}
		}
	} else if (argc == 3 && !strcmp(argv[1], "restore")) {
		err = load_state(argv[2], &saved);
		if (!err)
			err = restore(&saved);
	} else if (argc == 3 && !strcmp(argv[1], "check")) {
		err = load_state(argv[2], &saved);
		for (i = 0; !err && i < 5; i++) {
			err = read_state(&s);
			if (err || !differs(&s, &saved))
				break;
			/* TIME_WAIT leaves for TIME_OK at the next second. */
			usleep(500000);
		}
		if (!err && differs(&s, &saved)) {
			printf("saved: ");
			print_state(stdout, &saved);
			printf("now:   ");
			print_state(stdout, &s);
			return 1;
		}
	} else {
		fputs("usage: clockstate show | save FILE | restore FILE | check FILE\n",
		      stderr);
		return 2;
	}
	if (err) {
		fprintf(stderr, "clockstate %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	return 0;
}
