/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * SIGINT and SIGTERM for the commands that run until stopped (ring
 * --follow, events, prometheus --textfile): the signals are blocked and
 * read from a signalfd that every wait polls along with what it waits for,
 * so a signal arriving at any moment ends the wait, with no window between
 * a flag check and a sleep in which it would be missed.
 */
#ifndef TSMON_TOOLS_STOP_H
#define TSMON_TOOLS_STOP_H

#include <stdbool.h>
#include <stdint.h>

struct stop {
	int fd;		/* signalfd of SIGINT and SIGTERM */
	bool stopped;	/* one of them came: end the command, status as usual */
};

/* Blocks SIGINT and SIGTERM and opens the signalfd: 0 or a negative errno. */
int stop_init(struct stop *s);
/*
 * Closes the signalfd. The signals stay blocked: the command is ending,
 * and one coming now must not change its exit status.
 */
void stop_fini(struct stop *s);

/* CLOCK_MONOTONIC ns from now, as a deadline for stop_wait(). */
uint64_t stop_deadline(uint64_t ns);

/*
 * Sleeps until @fd (-1: none) is readable, a stop signal comes or the
 * CLOCK_MONOTONIC @deadline (0: none) passes. Returns 1 when @fd is
 * readable, 0 when the deadline passed or s->stopped was set, or a
 * negative errno.
 */
int stop_wait(struct stop *s, int fd, uint64_t deadline);

#endif /* TSMON_TOOLS_STOP_H */
