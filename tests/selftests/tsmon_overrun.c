// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_overrun - a reader that falls a ring behind learns exactly how many
 * records it lost and then reads the survivors in order.
 *
 * Reloads the module with the smallest ring (64), publishes a few records,
 * places cursors, then publishes far more than the ring holds: STORM steps
 * of +1 ns and one step of -STORM ns that undoes them (so the clock ends
 * where it started, exactly). Every cursor must then yield one lost marker
 * whose count is the number of overwritten records it had not read, then
 * the 64 newest records with consecutive sequence numbers. Reloads the
 * module with its default parameters at the end.
 */
#include "tsmon_selftest.h"

#define RING		64
#define PRELUDE		10	/* records made before the cursors */
#define STORM		101

#define OFFSET_SLOP_NS	10000

static struct tsmon *t;
static uint64_t h_start, h_end;	/* head before and after the storm */
static struct tsmon_cursor oldest, now;
static uint64_t oldest_first, now_first;
static struct rt_offset off0;

static bool case_reload_small(void)
{
	struct tsmon_info info;
	int err;

	err = module_loaded() ? module_unload() : 0;
	if (err) {
		ksft_print_msg("delete_module: %s\n", strerror(-err));
		return false;
	}
	err = module_load("ring_entries=64");
	if (err || !dev_node_present(true)) {
		ksft_print_msg("finit_module(ring_entries=64): %s\n",
			       err ? strerror(-err) : "no node");
		return false;
	}
	err = tsmon_open(NULL, &t);
	if (err) {
		ksft_print_msg("tsmon_open: %s\n", strerror(-err));
		t = NULL;
		return false;
	}
	if (tsmon_get_info(t, &info) || info.ring_entries != RING)
		return false;
	return true;
}

static bool steps(int n, int64_t each)
{
	int i, err;

	for (i = 0; i < n; i++) {
		err = clock_step_ns(each);
		if (err) {
			ksft_print_msg("ADJ_SETOFFSET: %s\n", strerror(-err));
			return false;
		}
	}
	return true;
}

static bool case_storm(void)
{
	struct tsmon_health h0, h;
	int i;

	/* Records the oldest-cursor must lose, and a baseline for it. */
	for (i = 0; i < PRELUDE / 2; i++)
		if (!steps(1, 1) || !steps(1, -1))
			return false;
	if (tsmon_head(t, &h_start) || !read_health(t, &h0))
		return false;
	tsmon_cursor_init(t, &oldest, TSMON_FROM_OLDEST, 0);
	tsmon_cursor_init(t, &now, TSMON_FROM_NOW, 0);
	oldest_first = oldest.next;
	now_first = now.next;

	if (!steps(STORM, 1) || !steps(1, -STORM))
		return false;
	if (tsmon_head(t, &h_end) || !read_health(t, &h))
		return false;
	if (h_end != h_start + STORM + 1) {
		ksft_print_msg("head %llu -> %llu for %d steps\n",
			       (unsigned long long)h_start,
			       (unsigned long long)h_end, STORM + 1);
		return false;
	}
	if (h.event_count[TSMON_EVENT_CLOCK_STEP] -
	    h0.event_count[TSMON_EVENT_CLOCK_STEP] != STORM + 1 ||
	    h.last_step_seq != h_end ||
	    (int64_t)h.last_step_delta_ns != -STORM) {
		ksft_print_msg("health: steps +%llu, last seq %llu delta %lld\n",
			       (unsigned long long)
			       (h.event_count[TSMON_EVENT_CLOCK_STEP] -
				h0.event_count[TSMON_EVENT_CLOCK_STEP]),
			       (unsigned long long)h.last_step_seq,
			       (long long)(int64_t)h.last_step_delta_ns);
		return false;
	}
	return true;
}

/* The survivors: seqs h_end - RING + 1 .. h_end, from @first on. */
static bool read_survivors(struct tsmon_cursor *c, uint64_t first)
{
	struct tsmon_record r;
	uint64_t seq;
	int err;

	for (seq = first; seq <= h_end; seq++) {
		int64_t want = seq == h_end ? -STORM : 1;

		err = tsmon_next(t, c, &r);
		if (err) {
			ksft_print_msg("record %llu: %s\n",
				       (unsigned long long)seq, strerror(-err));
			return false;
		}
		if (r.seq != seq || r.type != TSMON_EVENT_CLOCK_STEP ||
		    (int64_t)r.step.delta_ns != want) {
			print_record("want consecutive clock_step", &r);
			ksft_print_msg("want seq %llu delta %lld\n",
				       (unsigned long long)seq,
				       (long long)want);
			return false;
		}
	}
	err = tsmon_next(t, c, &r);
	if (err != -EAGAIN) {
		ksft_print_msg("after the newest record: %d, want -EAGAIN\n",
			       err);
		return false;
	}
	return true;
}

static bool expect_lost(struct tsmon_cursor *c, uint64_t first)
{
	uint64_t oldest_left = h_end - RING + 1;
	struct tsmon_record r;
	int err;

	err = tsmon_next(t, c, &r);
	if (err) {
		ksft_print_msg("tsmon_next: %s\n", strerror(-err));
		return false;
	}
	if (r.type != TSMON_EVENT_LOST || r.seq != first ||
	    r.lost.count != oldest_left - first || r.mono_ns || r.real_ns) {
		print_record("got", &r);
		ksft_print_msg("want lost seq %llu count %llu\n",
			       (unsigned long long)first,
			       (unsigned long long)(oldest_left - first));
		return false;
	}
	return read_survivors(c, oldest_left);
}

static bool case_behind(struct tsmon_cursor *c, uint64_t first)
{
	ksft_print_msg("cursor at %llu, head %llu: %llu lost\n",
		       (unsigned long long)first, (unsigned long long)h_end,
		       (unsigned long long)(h_end - RING + 1 - first));
	return expect_lost(c, first);
}

/* A cursor placed after the storm starts at the oldest survivor. */
static bool case_fresh(void)
{
	struct tsmon_cursor c;

	tsmon_cursor_init(t, &c, TSMON_FROM_OLDEST, 0);
	if (c.next != h_end - RING + 1) {
		ksft_print_msg("FROM_OLDEST next %llu, want %llu\n",
			       (unsigned long long)c.next,
			       (unsigned long long)(h_end - RING + 1));
		return false;
	}
	return read_survivors(&c, c.next);
}

static bool case_from_seq(void)
{
	struct tsmon_cursor c;
	struct tsmon_record r;
	bool ok = true;

	if (tsmon_cursor_init(t, &c, TSMON_FROM_SEQ, 0) != -EINVAL) {
		ksft_print_msg("FROM_SEQ 0 accepted\n");
		ok = false;
	}
	/* Inside the ring: no loss. */
	if (tsmon_cursor_init(t, &c, TSMON_FROM_SEQ, h_end - 5) ||
	    !read_survivors(&c, h_end - 5))
		ok = false;
	/* Overwritten: the same marker a slow reader gets. */
	if (tsmon_cursor_init(t, &c, TSMON_FROM_SEQ, now_first) ||
	    !expect_lost(&c, now_first))
		ok = false;
	/* Not yet published. */
	if (tsmon_cursor_init(t, &c, TSMON_FROM_SEQ, h_end + 1) ||
	    tsmon_next(t, &c, &r) != -EAGAIN)
		ok = false;
	return ok;
}

static bool case_clock(void)
{
	struct rt_offset off = rt_mono_offset();

	if (llabs(off.off_ns - off0.off_ns) >
	    off.err_ns + off0.err_ns + OFFSET_SLOP_NS) {
		ksft_print_msg("REALTIME-MONOTONIC moved %lld ns\n",
			       (long long)(off.off_ns - off0.off_ns));
		/* An interrupted storm: put the clock back anyway. */
		clock_step_ns(off0.off_ns - off.off_ns);
		return false;
	}
	return true;
}

static bool case_default(void)
{
	struct tsmon_info info;
	int err;

	tsmon_close(t);
	t = NULL;
	err = module_reload_default();
	if (err) {
		ksft_print_msg("reloading the default module: %s\n",
			       strerror(-err));
		return false;
	}
	if (tsmon_open(NULL, &t))
		return false;
	err = tsmon_get_info(t, &info);
	tsmon_close(t);
	t = NULL;
	return !err && info.ring_entries == 4096;
}

int main(void)
{
	bool ready;

	selftest_start(8);
	if (!module_ko())
		ksft_exit_fail_msg("TSMON_KO is not set\n");
	off0 = rt_mono_offset();

	ready = case_reload_small();
	ksft_test_result(ready, "module reloaded with ring_entries=%d\n", RING);
	ready = ready && case_storm();
	ksft_test_result(ready, "%d steps published, counted, head exact\n",
			 STORM + 1);
	ksft_test_result(ready && case_behind(&oldest, oldest_first),
			 "FROM_OLDEST cursor: one lost marker, 64 in order\n");
	ksft_test_result(ready && case_behind(&now, now_first),
			 "FROM_NOW cursor: one lost marker, 64 in order\n");
	ksft_test_result(ready && case_fresh(),
			 "FROM_OLDEST after the storm: 64 in order, no loss\n");
	ksft_test_result(ready && case_from_seq(),
			 "FROM_SEQ inside, behind and ahead of the ring\n");
	ksft_test_result(case_clock(), "clock back where it started\n");
	ksft_test_result(case_default(), "default module reloaded\n");
	ksft_finished();
}
