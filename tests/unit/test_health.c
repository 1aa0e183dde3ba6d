// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_health(): the copy, the prefix rules for older and newer modules,
 * and the bounded retry when the writer never finishes an update.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <tsmon/tsmon.h>
#include "region.h"

struct fixture {
	struct region r;
	struct tsmon *t;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || region_init(&f->r, 64, TSMON_RECORD_SIZE_V1)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tsmon_close(f->t);
	region_fini(&f->r);
	free(f);
	return 0;
}

/* Attached after the test has adjusted the header. */
static struct tsmon *handle(struct fixture *f)
{
	assert_int_equal(tsmon_attach(f->r.base, f->r.size, &f->t), 0);
	return f->t;
}

/* A health block in which every byte differs from every other one. */
static void pattern(struct tsmon_health *h, unsigned char salt)
{
	unsigned char *p = (unsigned char *)h;
	size_t i;

	for (i = 0; i < sizeof(*h); i++)
		p[i] = (unsigned char)(i * 7 + salt) | 1;
}

static void test_copy(void **state)
{
	struct fixture *f = *state;
	struct tsmon_health in, out;

	pattern(&in, 3);
	region_health_write(&f->r, &in);
	handle(f);

	memset(&out, 0, sizeof(out));
	assert_int_equal(tsmon_health(f->t, &out), 0);
	assert_int_equal(out.seq, 2);
	/* body_seq is the region's own count, not a copied field. */
	out.body_seq = in.body_seq;
	assert_memory_equal((char *)&out + 8, (char *)&in + 8,
			    sizeof(out) - 8);

	/* The next update is seen, with the next even sequence. */
	pattern(&in, 5);
	in.clocksource[0] = 0x636f6c6674737400ULL;
	region_health_write(&f->r, &in);
	assert_int_equal(tsmon_health(f->t, &out), 0);
	assert_int_equal(out.seq, 4);
	/* body_seq is the region's own count, not a copied field. */
	out.body_seq = in.body_seq;
	assert_memory_equal((char *)&out + 8, (char *)&in + 8,
			    sizeof(out) - 8);
}

static void test_never_written(void **state)
{
	struct fixture *f = *state;
	struct tsmon_health out, zero;

	handle(f);
	memset(&out, 0xa5, sizeof(out));
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(tsmon_health(f->t, &out), 0);
	assert_memory_equal(&out, &zero, sizeof(out));
}

/* An older module fills less of the block: the rest reads as zero. */
static void check_older(struct fixture *f, uint32_t health_size)
{
	struct tsmon_health in, out;
	unsigned char *o = (unsigned char *)&out;
	size_t i;

	pattern(&in, 9);
	region_health_write(&f->r, &in);	/* writes past health_size too */
	f->r.hdr->health_size = health_size;
	handle(f);

	memset(&out, 0xff, sizeof(out));
	assert_int_equal(tsmon_health(f->t, &out), 0);
	assert_int_equal(out.seq, f->r.health->seq);
	assert_memory_equal(o + 8, (char *)&in + 8, health_size - 8);
	for (i = health_size; i < sizeof(out); i++)
		assert_int_equal(o[i], 0);
	tsmon_close(f->t);
	f->t = NULL;
}

static void test_older_module(void **state)
{
	struct fixture *f = *state;

	check_older(f, offsetof(struct tsmon_health, event_count));
	check_older(f, offsetof(struct tsmon_health, cs_shift) + 4);
	check_older(f, sizeof(__u64));
}

/* A newer module fills more: only the fields this build knows are copied. */
static void test_newer_module(void **state)
{
	struct fixture *f = *state;
	struct {
		struct tsmon_health h;
		unsigned char canary[64];
	} out;
	struct tsmon_health in;
	unsigned char *tail;
	size_t i;

	pattern(&in, 11);
	region_health_write(&f->r, &in);
	tail = (unsigned char *)f->r.health + sizeof(struct tsmon_health);
	memset(tail, 0xaa, 64);
	f->r.hdr->health_size = sizeof(struct tsmon_health) + 64;
	handle(f);

	memset(out.canary, 0x55, sizeof(out.canary));
	assert_int_equal(tsmon_health(f->t, &out.h), 0);
	out.h.body_seq = in.body_seq;
	assert_memory_equal((char *)&out.h + 8, (char *)&in + 8,
			    sizeof(in) - 8);
	for (i = 0; i < sizeof(out.canary); i++)
		assert_int_equal(out.canary[i], 0x55);
}

static double elapsed_s(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) + (b.tv_nsec - a->tv_nsec) / 1e9;
}

/*
 * A writer that died between its two seq increments leaves seq odd for
 * good: the reader must give up with -EAGAIN instead of spinning forever.
 */
static void test_stuck_odd(void **state)
{
	struct fixture *f = *state;
	struct tsmon_health in, out;
	struct timespec start;

	pattern(&in, 13);
	region_health_write(&f->r, &in);
	handle(f);
	f->r.health->seq = 3;

	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_int_equal(tsmon_health(f->t, &out), -EAGAIN);
	assert_true(elapsed_s(&start) < 1.0);

	/* The writer comes back and completes the update. */
	f->r.health->seq = 4;
	assert_int_equal(tsmon_health(f->t, &out), 0);
	assert_int_equal(out.seq, 4);
	/* body_seq is the region's own count, not a copied field. */
	out.body_seq = in.body_seq;
	assert_memory_equal((char *)&out + 8, (char *)&in + 8,
			    sizeof(out) - 8);
}

/*
 * The wait for a writer stopped inside an update is bounded by time: the
 * handle's spin limit, not a count of retries.
 */
static void test_spin_limit(void **state)
{
	struct fixture *f = *state;
	struct tsmon_health in, out;
	struct tsmon_time tm;
	struct timespec start;
	double took;

	pattern(&in, 17);
	region_health_write(&f->r, &in);
	handle(f);
	f->r.health->seq = 5;

	assert_int_equal(tsmon_set_spin_limit(f->t, 50000000), 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_int_equal(tsmon_health(f->t, &out), -EAGAIN);
	took = elapsed_s(&start);
	assert_true(took >= 0.050);
	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_int_equal(tsmon_now(f->t, &tm), -EAGAIN);
	assert_true(elapsed_s(&start) >= 0.050);

	/* A body update in progress stops a whole copy, not a clock read. */
	f->r.health->seq = 6;
	f->r.health->body_seq++;
	assert_int_equal(tsmon_set_spin_limit(f->t, 0), 0);
	assert_int_equal(tsmon_health(f->t, &out), -EAGAIN);
	assert_int_equal(tsmon_now_at(f->t, 1, &tm), 0);
	f->r.health->body_seq++;
	assert_int_equal(tsmon_health(f->t, &out), 0);
	assert_int_equal(tsmon_set_spin_limit(NULL, 0), -EINVAL);
}

/* A module whose block ends before body_seq covers it all with seq. */
static void test_no_body_seq(void **state)
{
	struct fixture *f = *state;
	struct tsmon_health in, out;

	pattern(&in, 19);
	region_health_write(&f->r, &in);
	f->r.hdr->health_size = offsetof(struct tsmon_health, body_seq);
	/* Whatever lies past the block is not a count to wait on. */
	f->r.health->body_seq = 1;
	handle(f);
	assert_int_equal(tsmon_health(f->t, &out), 0);
	assert_int_equal(out.body_seq, 0);
}

static void test_null_args(void **state)
{
	struct fixture *f = *state;
	struct tsmon_health out;

	handle(f);
	assert_int_equal(tsmon_health(NULL, &out), -EINVAL);
	assert_int_equal(tsmon_health(f->t, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_copy),
		T(test_never_written),
		T(test_older_module),
		T(test_newer_module),
		T(test_stuck_odd),
		T(test_spin_limit),
		T(test_no_body_seq),
		T(test_null_args),
#undef T
	};

	return cmocka_run_group_tests_name("health", tests, NULL, NULL);
}
