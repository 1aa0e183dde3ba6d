// SPDX-License-Identifier: GPL-2.0-only
/*
 * One writer, several readers, one handle, running at the same time on a
 * small ring so that readers are overtaken constantly. Every word the
 * writer stores is derived from one number (the record's sequence, the
 * health update count), so a copy that mixes two writes cannot pass the
 * consistency checks: this is what catches a missing or misplaced retry in
 * the library.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <tsmon/tsmon.h>
#include "region.h"

#define ENTRIES		64
#define RECORDS		2000000
#define RING_READERS	2
#define TIME_LIMIT_NS	3000000000ULL	/* the writer stops here if slower */
#define MIX		0x9e3779b97f4a7c15ULL

#define RECORD_WORDS	(sizeof(struct tsmon_record) / sizeof(__u64))
#define HEALTH_WORDS	(sizeof(struct tsmon_health) / sizeof(__u64))
#define BODY_SEQ_WORD	(offsetof(struct tsmon_health, body_seq) / sizeof(__u64))

struct shared {
	struct region r;
	struct tsmon *t;
	bool done;		/* writer finished: atomic */
	uint64_t written;	/* valid once done */
	uint64_t updates;	/* health updates, valid once done */
};

struct ring_reader {
	pthread_t thread;
	struct shared *s;
	uint64_t delivered;
	uint64_t lost;
	uint64_t markers;
	struct tsmon_cursor c;	/* set up before the writer starts */
	uint64_t bad_seq;	/* first record out of order, 0 if none */
	uint64_t torn_seq;	/* first inconsistent record, 0 if none */
	int err;		/* unexpected tsmon_next() result */
};

struct health_reader {
	pthread_t thread;
	struct shared *s;
	uint64_t reads;
	uint64_t busy;		/* -EAGAIN: writer kept it odd too long */
	uint64_t torn;
	uint64_t backwards;
	int err;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Type is never TSMON_EVENT_LOST: readers must not confuse the two. */
static void fill_record(struct tsmon_record *rec, uint64_t seq)
{
	__u64 *w = (__u64 *)rec;
	size_t i;

	rec->type = TSMON_EVENT_CLOCK_STEP + seq % 7;
	rec->flags = (uint32_t)(seq * MIX);
	for (i = 2; i < RECORD_WORDS; i++)
		w[i] = seq * MIX + i;
}

static bool record_ok(const struct tsmon_record *rec)
{
	struct tsmon_record want;

	memset(&want, 0, sizeof(want));
	want.seq = rec->seq;
	fill_record(&want, rec->seq);
	return !memcmp(&want, rec, sizeof(want));
}

/* Word 1 (update_mono_ns) holds the update count; the rest follow it. */
static void fill_health(struct tsmon_health *h, uint64_t count)
{
	__u64 *w = (__u64 *)h;
	size_t i;

	w[1] = count;
	for (i = 2; i < HEALTH_WORDS; i++)
		w[i] = count * MIX + i;
}

static bool health_ok(const struct tsmon_health *h)
{
	const __u64 *w = (const __u64 *)h;
	size_t i;

	/*
	 * The writer makes each count even twice per update: body_seq is the
	 * region's own count, like seq, not a field the pattern fills.
	 */
	if (h->seq != 2 * w[1] || h->body_seq != 2 * w[1])
		return false;
	for (i = 2; i < HEALTH_WORDS; i++)
		if (i != BODY_SEQ_WORD && w[i] != w[1] * MIX + i)
			return false;
	return true;
}

static bool writer_done(struct shared *s)
{
	return __atomic_load_n(&s->done, __ATOMIC_ACQUIRE);
}

static void *writer(void *arg)
{
	struct shared *s = arg;
	uint64_t deadline = now_ns() + TIME_LIMIT_NS;
	struct tsmon_health h;
	struct tsmon_record rec;
	uint64_t n;

	memset(&rec, 0, sizeof(rec));
	memset(&h, 0, sizeof(h));
	for (n = 1; n <= RECORDS; n++) {
		fill_record(&rec, n);
		region_append(&s->r, &rec);
		s->updates++;
		fill_health(&h, s->updates);
		region_health_write(&s->r, &h);
		if (!(n % 4096) && now_ns() > deadline)
			break;
	}
	s->written = s->r.head;
	__atomic_store_n(&s->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static void *ring_reader(void *arg)
{
	struct ring_reader *rr = arg;
	struct tsmon *t = rr->s->t;
	struct tsmon_cursor *c = &rr->c;
	uint64_t expect = c->next;
	struct tsmon_record rec;
	bool last = false;
	int err;

	for (;;) {
		err = tsmon_next(t, c, &rec);
		if (err == -EAGAIN) {
			/* One more pass after the writer stopped drains all. */
			if (last)
				break;
			last = writer_done(rr->s);
			sched_yield();
			continue;
		}
		if (err) {
			rr->err = err;
			break;
		}
		if (rec.seq != expect && !rr->bad_seq)
			rr->bad_seq = rec.seq ? rec.seq : UINT64_MAX;
		if (rec.type == TSMON_EVENT_LOST) {
			if ((rec.lost.count == 0 || rec.mono_ns || rec.real_ns)
			    && !rr->torn_seq)
				rr->torn_seq = rec.seq;
			rr->lost += rec.lost.count;
			rr->markers++;
			expect = rec.seq + rec.lost.count;
		} else {
			if (!record_ok(&rec) && !rr->torn_seq)
				rr->torn_seq = rec.seq;
			rr->delivered++;
			expect = rec.seq + 1;
		}
		if (c->next != expect && !rr->bad_seq)
			rr->bad_seq = c->next;
	}
	return NULL;
}

static void *health_reader(void *arg)
{
	struct health_reader *hr = arg;
	struct tsmon_health h;
	uint64_t prev = 0;
	bool last = false;
	int err;

	while (!last) {
		last = writer_done(hr->s);
		err = tsmon_health(hr->s->t, &h);
		if (err == -EAGAIN) {
			hr->busy++;
			continue;
		}
		if (err) {
			hr->err = err;
			break;
		}
		hr->reads++;
		if (!health_ok(&h))
			hr->torn++;
		if (h.seq < prev)
			hr->backwards++;
		prev = h.seq;
	}
	return NULL;
}

static void test_writer_and_readers(void **state)
{
	struct ring_reader rr[RING_READERS];
	struct health_reader hr;
	struct tsmon_health h;
	pthread_t wthread;
	struct shared *s;
	int i;

	s = calloc(1, sizeof(*s));
	assert_non_null(s);
	assert_int_equal(region_init(&s->r, ENTRIES, TSMON_RECORD_SIZE_V1), 0);
	/* Start from a consistent block, as a loaded module does. */
	memset(&h, 0, sizeof(h));
	fill_health(&h, ++s->updates);
	region_health_write(&s->r, &h);
	assert_int_equal(tsmon_attach(s->r.base, s->r.size, &s->t), 0);

	memset(rr, 0, sizeof(rr));
	memset(&hr, 0, sizeof(hr));
	for (i = 0; i < RING_READERS; i++) {
		rr[i].s = s;
		/* Before the writer: every record is either read or lost. */
		assert_int_equal(tsmon_cursor_init(s->t, &rr[i].c,
						   TSMON_FROM_OLDEST, 0), 0);
		assert_int_equal(rr[i].c.next, 1);
		assert_int_equal(pthread_create(&rr[i].thread, NULL,
						ring_reader, &rr[i]), 0);
	}
	hr.s = s;
	assert_int_equal(pthread_create(&hr.thread, NULL, health_reader, &hr),
			 0);
	assert_int_equal(pthread_create(&wthread, NULL, writer, s), 0);

	assert_int_equal(pthread_join(wthread, NULL), 0);
	assert_int_equal(pthread_join(hr.thread, NULL), 0);
	for (i = 0; i < RING_READERS; i++)
		assert_int_equal(pthread_join(rr[i].thread, NULL), 0);

	print_message("written %llu records, %llu health updates\n",
		      (unsigned long long)s->written,
		      (unsigned long long)s->updates);
	print_message("health: %llu reads, %llu gave up (-EAGAIN)\n",
		      (unsigned long long)hr.reads,
		      (unsigned long long)hr.busy);
	assert_int_equal(hr.err, 0);
	assert_int_equal(hr.torn, 0);
	assert_int_equal(hr.backwards, 0);
	assert_true(hr.reads > 0);

	for (i = 0; i < RING_READERS; i++) {
		print_message("reader %d: %llu delivered, %llu lost in %llu markers\n",
			      i, (unsigned long long)rr[i].delivered,
			      (unsigned long long)rr[i].lost,
			      (unsigned long long)rr[i].markers);
		assert_int_equal(rr[i].err, 0);
		assert_int_equal(rr[i].bad_seq, 0);
		assert_int_equal(rr[i].torn_seq, 0);
		assert_int_equal(rr[i].delivered + rr[i].lost, s->written);
		assert_int_equal(rr[i].c.next, s->written + 1);
		/* The final lap is still in the ring after the writer stops. */
		assert_true(rr[i].delivered >= ENTRIES);
	}

	tsmon_close(s->t);
	region_fini(&s->r);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writer_and_readers),
	};

	return cmocka_run_group_tests_name("concurrency", tests, NULL, NULL);
}
