// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_wait - sleeping until the next record: tsmon_wait(), read(2) and
 * poll(2) on the device.
 *
 * Sleepers of every kind block while nothing happens, all wake when a
 * record is published, time out when asked to, and can be interrupted by a
 * signal. The device's read() returns each new head once, refuses short
 * buffers and honours O_NONBLOCK.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "tsmon_selftest.h"

enum waiter_kind { W_LIB, W_READ, W_POLL };

struct waiter {
	enum waiter_kind kind;
	pthread_t thread;
	int fd;				/* W_READ, W_POLL */
	int timeout_ms;
	struct tsmon_cursor cursor;	/* W_LIB */
	int ret;			/* 0, bytes, poll count or -errno */
	uint64_t head;			/* W_READ: value read */
	short revents;			/* W_POLL */
	int64_t woke_ns;
	atomic_bool done;
};

static struct tsmon *t;

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	struct pollfd pfd;
	ssize_t n;

	switch (w->kind) {
	case W_LIB:
		w->ret = tsmon_wait(t, &w->cursor, w->timeout_ms);
		break;
	case W_READ:
		n = read(w->fd, &w->head, sizeof(w->head));
		w->ret = n < 0 ? -errno : (int)n;
		break;
	case W_POLL:
		pfd.fd = w->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		w->ret = poll(&pfd, 1, w->timeout_ms);
		if (w->ret < 0)
			w->ret = -errno;
		w->revents = pfd.revents;
		break;
	}
	w->woke_ns = clk_ns(CLOCK_MONOTONIC);
	atomic_store(&w->done, true);
	return NULL;
}

static bool start(struct waiter *w)
{
	atomic_store(&w->done, false);
	if (pthread_create(&w->thread, NULL, waiter_main, w)) {
		ksft_print_msg("pthread_create failed\n");
		return false;
	}
	return true;
}

/* Joins @w if it finishes within @ms; the deadline is CLOCK_MONOTONIC. */
static bool join_within(struct waiter *w, int ms)
{
	int64_t end = clk_ns(CLOCK_MONOTONIC) + ms * NSEC_PER_MSEC;

	while (!atomic_load(&w->done)) {
		if (clk_ns(CLOCK_MONOTONIC) > end)
			return false;
		sleep_ms(5);
	}
	pthread_join(w->thread, NULL);
	return true;
}

static int open_dev(int flags)
{
	return open(TSMON_DEVICE_PATH, O_RDONLY | O_CLOEXEC | flags);
}

/* A record, so that "something is available" has something to point at. */
static bool publish(void)
{
	return !clock_step_ns(1) && !clock_step_ns(-1);
}

static bool case_timeout(void)
{
	struct tsmon_cursor c;
	int64_t t0, ms;
	int err;

	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	t0 = clk_ns(CLOCK_MONOTONIC);
	err = tsmon_wait(t, &c, 300);
	ms = (clk_ns(CLOCK_MONOTONIC) - t0) / NSEC_PER_MSEC;
	ksft_print_msg("tsmon_wait(300 ms): %d after %lld ms\n", err,
		       (long long)ms);
	return err == -ETIMEDOUT && ms >= 300 && ms < 2000;
}

static bool case_available(void)
{
	struct tsmon_cursor c;
	uint64_t head;
	int64_t t0, ms;
	int err;

	if (tsmon_head(t, &head))
		return false;
	if (!head && !publish())
		return false;
	tsmon_cursor_init(t, &c, TSMON_FROM_OLDEST, 0);
	t0 = clk_ns(CLOCK_MONOTONIC);
	err = tsmon_wait(t, &c, 5000);
	ms = (clk_ns(CLOCK_MONOTONIC) - t0) / NSEC_PER_MSEC;
	/* Not waited for: far from the timeout, whatever the guest's hiccups. */
	if (err || ms >= 2500) {
		ksft_print_msg("tsmon_wait with a record ready: %d after %lld ms\n",
			       err, (long long)ms);
		return false;
	}
	return true;
}

static bool case_nonblock(void)
{
	int fd = open_dev(O_NONBLOCK);
	uint64_t v;
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, &v, sizeof(v));
	close(fd);
	if (n >= 0 || errno != EAGAIN) {
		ksft_print_msg("read: %zd (%s), want EAGAIN\n", n,
			       n < 0 ? strerror(errno) : "data");
		return false;
	}
	return true;
}

/* Short buffers are refused whether or not a new head is pending. */
static bool case_short_read(void)
{
	int idle = open_dev(O_NONBLOCK), pending = open_dev(0);
	bool ok = false;
	uint32_t v;
	ssize_t a, b;
	int ea, eb;

	if (idle < 0 || pending < 0 || !publish())
		goto out;
	a = read(idle, &v, sizeof(v));
	ea = errno;
	b = read(pending, &v, sizeof(v));
	eb = errno;
	ok = a < 0 && ea == EINVAL && b < 0 && eb == EINVAL;
	if (!ok)
		ksft_print_msg("4-byte read: idle %zd (%s), pending %zd (%s)\n",
			       a, a < 0 ? strerror(ea) : "data", b,
			       b < 0 ? strerror(eb) : "data");
out:
	if (idle >= 0)
		close(idle);
	if (pending >= 0)
		close(pending);
	return ok;
}

static bool case_poll_idle(void)
{
	struct pollfd pfd = { .events = POLLIN };
	int n;

	pfd.fd = open_dev(0);
	if (pfd.fd < 0)
		return false;
	n = poll(&pfd, 1, 0);
	close(pfd.fd);
	if (n != 0) {
		ksft_print_msg("poll: %d revents 0x%x, want 0\n", n,
			       pfd.revents);
		return false;
	}
	return true;
}

/*
 * Two tsmon_wait() threads on one handle, one blocking read() and one
 * poll(): all asleep 200 ms later, all awake once a step is published.
 */
static void case_wakeup(bool res[5])
{
	struct waiter w[4] = {
		{ .kind = W_LIB, .timeout_ms = 10000 },
		{ .kind = W_LIB, .timeout_ms = 10000 },
		{ .kind = W_READ, .fd = -1 },
		{ .kind = W_POLL, .fd = -1, .timeout_ms = 10000 },
	};
	struct tsmon_record r;
	int64_t stepped;
	uint64_t h0, v;
	bool early = false;
	int i, started = 0;
	ssize_t n;

	if (tsmon_head(t, &h0))
		return;
	tsmon_cursor_init(t, &w[0].cursor, TSMON_FROM_NOW, 0);
	w[1].cursor = w[0].cursor;
	w[2].fd = open_dev(0);
	w[3].fd = open_dev(0);
	if (w[2].fd < 0 || w[3].fd < 0)
		goto out;
	for (i = 0; i < 4; i++, started++)
		if (!start(&w[i]))
			goto out;
	sleep_ms(200);
	for (i = 0; i < 4; i++)
		early |= atomic_load(&w[i].done);
	res[0] = !early;
	if (early)
		ksft_print_msg("a waiter returned before anything happened\n");

	stepped = clk_ns(CLOCK_MONOTONIC);
	if (!publish())
		goto out;

	for (i = 0; i < 4; i++) {
		if (!join_within(&w[i], 5000)) {
			ksft_print_msg("waiter %d still asleep 5 s after the step\n",
				       i);
			goto out;
		}
		started--;
		ksft_print_msg("waiter %d: ret %d after %lld us\n", i, w[i].ret,
			       (long long)(w[i].woke_ns - stepped) / 1000);
	}

	res[1] = true;
	for (i = 0; i < 2; i++) {
		if (w[i].ret || w[i].woke_ns < stepped ||
		    tsmon_next(t, &w[i].cursor, &r) ||
		    r.seq != h0 + 1 || r.type != TSMON_EVENT_CLOCK_STEP ||
		    (int64_t)r.step.delta_ns != 1) {
			ksft_print_msg("tsmon_wait thread %d: ret %d\n", i,
				       w[i].ret);
			res[1] = false;
		}
	}
	res[2] = w[2].ret == sizeof(uint64_t) && w[2].woke_ns >= stepped &&
		 (w[2].head == h0 + 1 || w[2].head == h0 + 2);
	res[3] = w[3].ret == 1 && (w[3].revents & POLLIN) &&
		 w[3].woke_ns >= stepped;

	/*
	 * The reader saw head h0 + 1 or h0 + 2: read() now returns the rest
	 * once, then nothing.
	 */
	if (fcntl(w[2].fd, F_SETFL, O_NONBLOCK))
		goto out;
	n = read(w[2].fd, &v, sizeof(v));
	if (w[2].head == h0 + 1)
		res[4] = n == sizeof(v) && v == h0 + 2;
	else
		res[4] = n < 0 && errno == EAGAIN;
	n = read(w[2].fd, &v, sizeof(v));
	res[4] = res[4] && n < 0 && errno == EAGAIN;
out:
	/* Threads that never woke are left to the process exit. */
	if (started)
		ksft_print_msg("%d waiter(s) did not finish\n", started);
	if (w[2].fd >= 0 && !started)
		close(w[2].fd);
	if (w[3].fd >= 0 && !started)
		close(w[3].fd);
}

static void on_signal(int sig)
{
	(void)sig;
}

/*
 * A sleeper is interrupted by a signal. The signal is repeated until the
 * thread returns, since one sent before it is asleep would only run the
 * handler.
 */
static bool case_interrupted(enum waiter_kind kind)
{
	struct waiter w = { .kind = kind, .fd = -1, .timeout_ms = 10000 };
	int64_t end;
	bool ok;

	if (kind == W_READ) {
		w.fd = open_dev(0);
		if (w.fd < 0)
			return false;
	} else {
		tsmon_cursor_init(t, &w.cursor, TSMON_FROM_NOW, 0);
	}
	if (!start(&w))
		return false;
	end = clk_ns(CLOCK_MONOTONIC) + 3 * NSEC_PER_SEC;
	while (!atomic_load(&w.done) && clk_ns(CLOCK_MONOTONIC) < end) {
		sleep_ms(100);
		pthread_kill(w.thread, SIGUSR1);
	}
	if (!join_within(&w, 1000)) {
		ksft_print_msg("sleeper not interrupted\n");
		return false;
	}
	ok = w.ret == -EINTR;
	if (!ok)
		ksft_print_msg("interrupted sleeper returned %d, want %d\n",
			       w.ret, -EINTR);
	if (w.fd >= 0)
		close(w.fd);
	return ok;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	bool wake[5] = { 0 };

	selftest_start(12);
	t = open_or_bail();
	/* No SA_RESTART: an interrupted sleep must come back as EINTR. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);

	ksft_test_result(case_timeout(),
			 "tsmon_wait times out with -ETIMEDOUT after 300 ms\n");
	ksft_test_result(case_available(),
			 "tsmon_wait returns at once when a record is ready\n");
	ksft_test_result(case_nonblock(),
			 "O_NONBLOCK read with nothing new fails with EAGAIN\n");
	ksft_test_result(case_short_read(),
			 "4-byte read fails with EINVAL\n");
	ksft_test_result(case_poll_idle(),
			 "poll reports nothing while idle\n");
	case_wakeup(wake);
	ksft_test_result(wake[0], "all sleepers still asleep after 200 ms\n");
	ksft_test_result(wake[1],
			 "two tsmon_wait threads on one handle woke with the record\n");
	ksft_test_result(wake[2], "blocking read woke with the new head\n");
	ksft_test_result(wake[3], "poll woke with POLLIN\n");
	ksft_test_result(wake[4], "read returns each new head once\n");
	ksft_test_result(case_interrupted(W_READ),
			 "blocking read interrupted by a signal: EINTR\n");
	ksft_test_result(case_interrupted(W_LIB),
			 "tsmon_wait interrupted by a signal: -EINTR\n");
	tsmon_close(t);
	ksft_finished();
}
