// SPDX-License-Identifier: GPL-2.0-only
/*
 * Cursors and tsmon_next(): where a cursor starts, that records arrive in
 * order with every field, and that a reader overtaken by the writer gets a
 * lost marker with the exact number of records it missed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <tsmon/tsmon.h>
#include "region.h"

#define ENTRIES		64

struct fixture {
	struct region r;
	struct tsmon *t;
};

static int setup_size(void **state, uint32_t record_size)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || region_init(&f->r, ENTRIES, record_size)) {
		free(f);
		return -1;
	}
	if (tsmon_attach(f->r.base, f->r.size, &f->t)) {
		region_fini(&f->r);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_size(state, TSMON_RECORD_SIZE_V1);
}

/* A module with larger records: the reader must step by record_size. */
static int setup_wide(void **state)
{
	return setup_size(state, 2 * TSMON_RECORD_SIZE_V1);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tsmon_close(f->t);
	region_fini(&f->r);
	free(f);
	return 0;
}

/* A record whose every field is a function of @n, cycling through types. */
static struct tsmon_record make(uint64_t n)
{
	struct tsmon_record rec;

	memset(&rec, 0, sizeof(rec));
	rec.type = TSMON_EVENT_CLOCK_STEP + n % 7;
	rec.flags = (uint32_t)n ^ 0x5a5a;
	rec.mono_ns = 1000000000ULL * n + 1;
	rec.real_ns = 1700000000000000000ULL + n;
	switch (rec.type) {
	case TSMON_EVENT_CLOCK_STEP:
		rec.step.delta_ns = (uint64_t)(-(int64_t)n * 1000);
		rec.step.reason = TSMON_STEP_SETOFFSET;
		break;
	case TSMON_EVENT_LEAP_ARMED:
	case TSMON_EVENT_LEAP_DISARMED:
		rec.leap.leap_real_ns = 1700000000000000000ULL + n * 7;
		rec.leap.direction = TSMON_LEAP_INSERT;
		break;
	case TSMON_EVENT_LEAP_APPLIED:
		rec.leap_applied.direction = TSMON_LEAP_DELETE;
		rec.leap_applied.tai_before = 37;
		rec.leap_applied.tai_after = 36;
		break;
	case TSMON_EVENT_TAI_CHANGE:
		rec.tai.tai_before = (uint32_t)n;
		rec.tai.tai_after = (uint32_t)-(int32_t)n;
		break;
	case TSMON_EVENT_CLOCKSOURCE_CHANGE:
		memcpy(rec.cs.from, "tsc", 4);
		memcpy(rec.cs.to, "hpet-0123456789", 16);
		break;
	default:
		rec.resume.sleep_ns = n * 3;
		break;
	}
	return rec;
}

static void append(struct fixture *f, uint64_t count)
{
	struct tsmon_record rec;

	while (count--) {
		rec = make(f->r.head + 1);
		region_append(&f->r, &rec);
	}
}

static void expect_record(struct fixture *f, struct tsmon_cursor *c,
			  uint64_t seq)
{
	struct tsmon_record got, want = make(seq);

	want.seq = seq;
	memset(&got, 0xee, sizeof(got));
	assert_int_equal(tsmon_next(f->t, c, &got), 0);
	assert_memory_equal(&got, &want, sizeof(got));
	assert_int_equal(c->next, seq + 1);
}

static void expect_lost(struct fixture *f, struct tsmon_cursor *c,
			uint64_t seq, uint64_t count)
{
	struct tsmon_record got, want;

	memset(&want, 0, sizeof(want));
	want.seq = seq;
	want.type = TSMON_EVENT_LOST;
	want.lost.count = count;
	memset(&got, 0xee, sizeof(got));
	assert_int_equal(tsmon_next(f->t, c, &got), 0);
	assert_memory_equal(&got, &want, sizeof(got));
	assert_int_equal(c->next, seq + count);
}

static void expect_empty(struct fixture *f, struct tsmon_cursor *c)
{
	uint64_t before = c->next;
	struct tsmon_record got;

	assert_int_equal(tsmon_next(f->t, c, &got), -EAGAIN);
	assert_int_equal(c->next, before);
}

static void test_empty(void **state)
{
	struct fixture *f = *state;
	struct tsmon_cursor c;
	uint64_t head = 99;

	assert_int_equal(tsmon_head(f->t, &head), 0);
	assert_int_equal(head, 0);
	assert_int_equal(tsmon_cursor_init(f->t, &c, TSMON_FROM_OLDEST, 0), 0);
	assert_int_equal(c.next, 1);
	expect_empty(f, &c);
	assert_int_equal(tsmon_cursor_init(f->t, &c, TSMON_FROM_NOW, 0), 0);
	assert_int_equal(c.next, 1);
	expect_empty(f, &c);
}

static void test_in_order(void **state)
{
	struct fixture *f = *state;
	struct tsmon_cursor c;
	uint64_t seq, head;

	append(f, 20);
	assert_int_equal(tsmon_head(f->t, &head), 0);
	assert_int_equal(head, 20);
	assert_int_equal(tsmon_cursor_init(f->t, &c, TSMON_FROM_OLDEST, 0), 0);
	for (seq = 1; seq <= 20; seq++)
		expect_record(f, &c, seq);
	expect_empty(f, &c);
	/* The cursor picks up what is published later. */
	append(f, 2);
	expect_record(f, &c, 21);
	expect_record(f, &c, 22);
	expect_empty(f, &c);
}

static void test_from_now(void **state)
{
	struct fixture *f = *state;
	struct tsmon_cursor c;

	append(f, 3);
	assert_int_equal(tsmon_cursor_init(f->t, &c, TSMON_FROM_NOW, 0), 0);
	assert_int_equal(c.next, 4);
	expect_empty(f, &c);
	append(f, 2);
	expect_record(f, &c, 4);
	expect_record(f, &c, 5);
	expect_empty(f, &c);
}

static void test_from_seq(void **state)
{
	struct fixture *f = *state;
	struct tsmon_cursor c;

	append(f, 10);
	assert_int_equal(tsmon_cursor_init(f->t, &c, TSMON_FROM_SEQ, 7), 0);
	expect_record(f, &c, 7);
	expect_record(f, &c, 8);
	expect_record(f, &c, 9);
	expect_record(f, &c, 10);
	expect_empty(f, &c);

	/* A position not yet reached waits for it, skipping nothing. */
	assert_int_equal(tsmon_cursor_init(f->t, &c, TSMON_FROM_SEQ, 13), 0);
	expect_empty(f, &c);
	append(f, 2);
	expect_empty(f, &c);
	append(f, 1);
	expect_record(f, &c, 13);
}

static void test_from_oldest_after_wrap(void **state)
{
	struct fixture *f = *state;
	struct tsmon_cursor c;
	uint64_t seq;

	append(f, 100);
	assert_int_equal(tsmon_cursor_init(f->t, &c, TSMON_FROM_OLDEST, 0), 0);
	assert_int_equal(c.next, 100 - ENTRIES + 1);
	for (seq = 100 - ENTRIES + 1; seq <= 100; seq++)
		expect_record(f, &c, seq);
	expect_empty(f, &c);
}

/* A cursor at @seq of @t's region. */
static struct tsmon_cursor cursor_at(const struct tsmon *t, uint64_t seq)
{
	struct tsmon_cursor c;

	assert_int_equal(tsmon_cursor_init(t, &c, TSMON_FROM_SEQ, seq), 0);
	return c;
}

/* A full ring that has not wrapped loses nothing. */
static void test_full_ring(void **state)
{
	struct fixture *f = *state;
	struct tsmon_cursor c = cursor_at(f->t, 1);
	uint64_t seq;

	append(f, ENTRIES);
	for (seq = 1; seq <= ENTRIES; seq++)
		expect_record(f, &c, seq);
	expect_empty(f, &c);
}

static void test_overrun(void **state)
{
	struct fixture *f = *state;
	struct tsmon_cursor c;
	uint64_t seq;

	assert_int_equal(tsmon_cursor_init(f->t, &c, TSMON_FROM_OLDEST, 0), 0);
	append(f, ENTRIES + 5);
	expect_lost(f, &c, 1, 5);
	for (seq = 6; seq <= ENTRIES + 5; seq++)
		expect_record(f, &c, seq);
	expect_empty(f, &c);
}

/* Many laps behind: still one marker, with the exact count. */
static void test_overrun_many_laps(void **state)
{
	struct fixture *f = *state;
	struct tsmon_cursor c;
	uint64_t seq;

	append(f, 10);
	assert_int_equal(tsmon_cursor_init(f->t, &c, TSMON_FROM_SEQ, 4), 0);
	append(f, 990);
	expect_lost(f, &c, 4, 1000 - ENTRIES + 1 - 4);
	for (seq = 1000 - ENTRIES + 1; seq <= 1000; seq++)
		expect_record(f, &c, seq);
	expect_empty(f, &c);
}

/*
 * The writer reuses the slot of the record being read after the reader
 * loaded the head: the slot's seq no longer matches (the next occupant's
 * sequence, or 0 while it is being written). The reader must report the
 * record lost, never return the mixed slot.
 */
static void check_overwritten(struct fixture *f, uint64_t slot_seq)
{
	struct tsmon_cursor c = cursor_at(f->t, 1);

	append(f, ENTRIES);
	region_slot(&f->r, 1)->seq = slot_seq;
	region_slot(&f->r, 1)->mono_ns = 0xdead;
	expect_lost(f, &c, 1, 1);
	expect_record(f, &c, 2);
}

static void test_overwritten_by_next_lap(void **state)
{
	check_overwritten(*state, ENTRIES + 1);
}

static void test_overwritten_in_progress(void **state)
{
	check_overwritten(*state, 0);
}

/*
 * A cursor belongs to one module instance: after a reload the sequence
 * numbers restart, and the old position means nothing.
 */
static void test_stale_cursor(void **state)
{
	struct fixture *f = *state;
	struct tsmon_cursor c = cursor_at(f->t, 1);
	struct tsmon_record rec;
	struct region other;
	struct tsmon *t2;

	append(f, 3);
	assert_int_equal(region_init(&other, ENTRIES, TSMON_RECORD_SIZE_V1), 0);
	other.hdr->instance_id = f->r.hdr->instance_id + 1;
	memset(&rec, 0, sizeof(rec));
	rec.type = TSMON_EVENT_RESUME;
	region_append(&other, &rec);
	assert_int_equal(tsmon_attach(other.base, other.size, &t2), 0);
	assert_int_equal(tsmon_next(t2, &c, &rec), -ESTALE);
	assert_int_equal(c.next, 1);
	/* The right instance still reads it. */
	expect_record(f, &c, 1);
	tsmon_close(t2);
	region_fini(&other);
}

static void test_wide_records(void **state)
{
	struct fixture *f = *state;
	struct tsmon_info info;
	struct tsmon_cursor c = cursor_at(f->t, 1);
	uint64_t seq;

	assert_int_equal(tsmon_get_info(f->t, &info), 0);
	assert_int_equal(info.record_size, 2 * TSMON_RECORD_SIZE_V1);
	append(f, ENTRIES + 3);
	expect_lost(f, &c, 1, 3);
	for (seq = 4; seq <= ENTRIES + 3; seq++)
		expect_record(f, &c, seq);
	expect_empty(f, &c);
}

static void test_bad_args(void **state)
{
	struct fixture *f = *state;
	struct tsmon_cursor c = cursor_at(f->t, 1);
	struct tsmon_record rec;
	uint64_t head;

	append(f, 1);
	assert_int_equal(tsmon_cursor_init(f->t, &c, TSMON_FROM_SEQ, 0),
			 -EINVAL);
	assert_int_equal(tsmon_cursor_init(f->t, &c, (enum tsmon_whence)3, 1),
			 -EINVAL);
	assert_int_equal(tsmon_cursor_init(NULL, &c, TSMON_FROM_NOW, 0),
			 -EINVAL);
	assert_int_equal(tsmon_cursor_init(f->t, NULL, TSMON_FROM_NOW, 0),
			 -EINVAL);
	assert_int_equal(tsmon_head(NULL, &head), -EINVAL);
	assert_int_equal(tsmon_head(f->t, NULL), -EINVAL);
	assert_int_equal(tsmon_next(NULL, &c, &rec), -EINVAL);
	assert_int_equal(tsmon_next(f->t, NULL, &rec), -EINVAL);
	assert_int_equal(tsmon_next(f->t, &c, NULL), -EINVAL);
	c.next = 0;
	assert_int_equal(tsmon_next(f->t, &c, &rec), -EINVAL);
	assert_int_equal(c.next, 0);
}

/* Cursors are independent: one reader's progress does not move another's. */
static void test_two_cursors(void **state)
{
	struct fixture *f = *state;
	struct tsmon_cursor a, b;

	append(f, 3);
	assert_int_equal(tsmon_cursor_init(f->t, &a, TSMON_FROM_OLDEST, 0), 0);
	assert_int_equal(tsmon_cursor_init(f->t, &b, TSMON_FROM_OLDEST, 0), 0);
	expect_record(f, &a, 1);
	expect_record(f, &a, 2);
	expect_record(f, &b, 1);
	expect_record(f, &a, 3);
	expect_record(f, &b, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_empty),
		T(test_in_order),
		T(test_from_now),
		T(test_from_seq),
		T(test_from_oldest_after_wrap),
		T(test_full_ring),
		T(test_overrun),
		T(test_overrun_many_laps),
		T(test_overwritten_by_next_lap),
		T(test_overwritten_in_progress),
		cmocka_unit_test_setup_teardown(test_wide_records, setup_wide,
						teardown),
		T(test_stale_cursor),
		T(test_bad_args),
		T(test_two_cursors),
#undef T
	};

	return cmocka_run_group_tests_name("ring", tests, NULL, NULL);
}
