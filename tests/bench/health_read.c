// SPDX-License-Identifier: GPL-2.0-only
/*
 * Read-path cost of libtsmon on a region built in memory, next to
 * clock_gettime(CLOCK_REALTIME), the call a timestamping program already
 * makes. Each figure is the best and the median of several runs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tsmon.h>
#include "region.h"

#define ENTRIES		4096
#define CALLS		5000000
#define RUNS		7
#define PACE_NS		100000		/* paced writer: one update per 100 us */

struct bench {
	struct region r;
	struct tsmon *t;
	bool stop;			/* atomic */
	uint64_t pace_ns;		/* 0: update as fast as possible */
	uint64_t updates;
	uint64_t eagain;		/* tsmon_health() gave up */
	uint64_t sink;			/* keeps results observable */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void run_realtime(struct bench *b)
{
	struct timespec ts;
	int i;

	for (i = 0; i < CALLS; i++) {
		clock_gettime(CLOCK_REALTIME, &ts);
		b->sink += ts.tv_nsec;
	}
}

static void run_head(struct bench *b)
{
	uint64_t head;
	int i;

	for (i = 0; i < CALLS; i++) {
		tsmon_head(b->t, &head);
		b->sink += head;
	}
}

static void run_health(struct bench *b)
{
	struct tsmon_health h;
	int i;

	for (i = 0; i < CALLS; i++) {
		if (tsmon_health(b->t, &h) == -EAGAIN)
			b->eagain++;
		b->sink += h.seq;
	}
}

/* Reads the full ring over and over: every call copies one record. */
static void run_next(struct bench *b)
{
	struct tsmon_cursor c = { .next = 1 };
	struct tsmon_record rec;
	int i;

	for (i = 0; i < CALLS; i++) {
		if (tsmon_next(b->t, &c, &rec)) {
			c.next = 1;
			tsmon_next(b->t, &c, &rec);
		}
		b->sink += rec.seq;
	}
}

static void *writer(void *arg)
{
	struct bench *b = arg;
	struct tsmon_health h;
	uint64_t next = now_ns();

	memset(&h, 0, sizeof(h));
	while (!__atomic_load_n(&b->stop, __ATOMIC_RELAXED)) {
		if (b->pace_ns) {
			struct timespec ts;

			next += b->pace_ns;
			ts.tv_sec = next / 1000000000;
			ts.tv_nsec = next % 1000000000;
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
					NULL);
		}
		h.update_mono_ns = now_ns();
		h.event_count[TSMON_EVENT_CLOCK_STEP]++;
		region_health_write(&b->r, &h);
		b->updates++;
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void measure(struct bench *b, const char *name,
		    void (*fn)(struct bench *), uint64_t pace_ns, bool writing)
{
	double ns[RUNS];
	pthread_t thread;
	uint64_t start;
	int i;

	b->eagain = 0;
	b->updates = 0;
	b->pace_ns = pace_ns;
	__atomic_store_n(&b->stop, false, __ATOMIC_RELAXED);
	if (writing && pthread_create(&thread, NULL, writer, b)) {
		fprintf(stderr, "health_read: pthread_create failed\n");
		exit(1);
	}

	fn(b);	/* warm caches and branch predictors */
	for (i = 0; i < RUNS; i++) {
		start = now_ns();
		fn(b);
		ns[i] = (double)(now_ns() - start) / CALLS;
	}

	if (writing) {
		__atomic_store_n(&b->stop, true, __ATOMIC_RELAXED);
		pthread_join(thread, NULL);
	}
	qsort(ns, RUNS, sizeof(ns[0]), cmp_double);
	printf("%-44s %8.1f %8.1f", name, ns[0], ns[RUNS / 2]);
	if (writing)
		printf("   %llu updates, %llu -EAGAIN",
		       (unsigned long long)b->updates,
		       (unsigned long long)b->eagain);
	printf("\n");
}

int main(void)
{
	struct tsmon_record rec;
	struct bench *b;
	int i, err;

	b = calloc(1, sizeof(*b));
	if (!b || region_init(&b->r, ENTRIES, TSMON_RECORD_SIZE_V1)) {
		fprintf(stderr, "health_read: out of memory\n");
		return 1;
	}
	memset(&rec, 0, sizeof(rec));
	rec.type = TSMON_EVENT_CLOCK_STEP;
	for (i = 0; i < ENTRIES; i++) {
		rec.mono_ns = i;
		region_append(&b->r, &rec);
	}
	err = tsmon_attach(b->r.base, b->r.size, &b->t);
	if (err) {
		fprintf(stderr, "health_read: tsmon_attach: %s\n",
			strerror(-err));
		return 1;
	}

	printf("libtsmon read path: %d calls per run, %d runs, ring %d x %u B\n\n",
	       CALLS, RUNS, ENTRIES, b->r.hdr->record_size);
	printf("%-44s %8s %8s\n", "operation", "best ns", "median");
	measure(b, "clock_gettime(CLOCK_REALTIME)", run_realtime, 0, false);
	measure(b, "tsmon_head()", run_head, 0, false);
	measure(b, "tsmon_health()", run_health, 0, false);
	measure(b, "tsmon_next() over a full ring", run_next, 0, false);
	measure(b, "tsmon_health(), writer every 100 us", run_health,
		PACE_NS, true);
	measure(b, "tsmon_health(), writer updating nonstop", run_health,
		0, true);

	tsmon_close(b->t);
	region_fini(&b->r);
	free(b);
	return 0;
}
