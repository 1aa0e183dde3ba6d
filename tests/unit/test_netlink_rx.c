// SPDX-License-Identifier: GPL-2.0-only
/*
 * The receive side of a netlink subscription (lib/netlink.c), fed
 * datagrams built in memory through its internal entry points: what
 * tsmon_sub_next(), tsmon_sub_status() and tsmon_sub_open() run on each
 * datagram they receive. No module and no socket are needed.
 *
 * Besides the ordinary cases, these are the regressions for what fuzzing
 * found (tests/fuzz/fuzz_netlink.c): malformed datagrams must be refused
 * without a read outside them, error codes must be error numbers, and
 * nothing may be skipped without a loss record saying so. Each datagram
 * sits in a buffer of exactly its size, so that the ASan build (make
 * sanitize) reports any read past it.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <tsmon/netlink.h>

#include <tsmon/tsmon.h>
#include "../../lib/tsmon_private.h"

#define FAMILY		0x1d
#define PORTID		0x4242
#define REQ_SEQ		7

struct dgram {
	unsigned char buf[65536] __attribute__((aligned(8)));
	size_t len;
};

static struct nlmsghdr *put_msg(struct dgram *d, uint16_t type,
				uint16_t flags, bool reply, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(d->buf + d->len);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = reply ? REQ_SEQ : 0;
	nlh->nlmsg_pid = reply ? PORTID : 0;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = TSMON_GENL_VERSION;
	return nlh;
}

static void end_msg(struct dgram *d, struct nlmsghdr *nlh)
{
	d->len += nlh->nlmsg_len;
}

static void put_record(struct dgram *d, uint64_t seq, bool dump)
{
	struct tsmon_record rec;
	struct nlmsghdr *nlh;

	memset(&rec, 0, sizeof(rec));
	rec.seq = seq;
	rec.type = TSMON_EVENT_CLOCK_STEP;
	rec.step.delta_ns = seq * 10;
	nlh = put_msg(d, FAMILY, dump ? NLM_F_MULTI : 0, dump,
		      TSMON_CMD_EVENT);
	mnl_attr_put_u64(nlh, TSMON_A_SEQ, seq);
	mnl_attr_put_u32(nlh, TSMON_A_TYPE, rec.type);
	mnl_attr_put(nlh, TSMON_A_RECORD, sizeof(rec), &rec);
	end_msg(d, nlh);
}

static void put_lost(struct dgram *d, uint64_t seq, uint64_t count, bool dump)
{
	struct nlmsghdr *nlh;

	nlh = put_msg(d, FAMILY, dump ? NLM_F_MULTI : 0, dump,
		      TSMON_CMD_EVENT);
	mnl_attr_put_u64(nlh, TSMON_A_SEQ, seq);
	mnl_attr_put_u32(nlh, TSMON_A_TYPE, TSMON_EVENT_LOST);
	mnl_attr_put_u64(nlh, TSMON_A_LOST, count);
	end_msg(d, nlh);
}

/* An NLMSG_ERROR (0: the ACK) or NLMSG_DONE for request REQ_SEQ. */
static void put_control(struct dgram *d, uint16_t type, int error)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(d->buf + d->len);
	struct nlmsgerr *e;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = type == NLMSG_DONE ? NLM_F_MULTI : NLM_F_CAPPED;
	nlh->nlmsg_seq = REQ_SEQ;
	nlh->nlmsg_pid = PORTID;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	end_msg(d, nlh);
}

/* The datagram in a heap buffer of exactly its length. */
static void *exact(const struct dgram *d)
{
	void *p = malloc(d->len ? d->len : 1);

	assert_non_null(p);
	memcpy(p, d->buf, d->len);
	return p;
}

static int rx_live(struct tsmon_sub *s, const struct dgram *d)
{
	void *p = exact(d);
	int ret = tsmon__sub_rx_live(s, p, d->len);

	free(p);
	return ret;
}

static int rx_replay(struct tsmon_sub *s, const struct dgram *d)
{
	void *p = exact(d);
	int ret = tsmon__sub_rx_replay(s, p, d->len);

	free(p);
	return ret;
}

static int rx_status(struct tsmon_sub *s, const struct dgram *d,
		     struct tsmon__status *st)
{
	void *p = exact(d);
	int ret = tsmon__sub_rx_status(s, p, d->len, st);

	free(p);
	return ret;
}

static int setup(void **state)
{
	struct tsmon_sub *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	s->family = FAMILY;
	s->req_portid = PORTID;
	s->req_seq = REQ_SEQ;
	s->started = true;
	state[0] = s;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static struct dgram dg;

static void reset(void)
{
	memset(&dg, 0, sizeof(dg));
}

static void expect_record(struct tsmon_sub *s, uint64_t seq)
{
	struct tsmon_record rec;

	assert_int_equal(tsmon__sub_pop(s, &rec), 0);
	assert_int_equal(rec.seq, seq);
	assert_int_equal(rec.type, TSMON_EVENT_CLOCK_STEP);
	assert_int_equal(rec.step.delta_ns, seq * 10);
}

static void expect_lost(struct tsmon_sub *s, uint64_t seq, uint64_t count)
{
	struct tsmon_record rec;

	assert_int_equal(tsmon__sub_pop(s, &rec), 0);
	assert_int_equal(rec.type, TSMON_EVENT_LOST);
	assert_int_equal(rec.seq, seq);
	assert_int_equal(rec.lost.count, count);
}

static void expect_none(struct tsmon_sub *s)
{
	struct tsmon_record rec;

	assert_int_equal(tsmon__sub_pop(s, &rec), -EAGAIN);
}

/* The live feed in order, a loss notice, and records already delivered. */
static void test_live(void **state)
{
	struct tsmon_sub *s = *state;

	s->next = 5;
	reset();
	put_record(&dg, 4, false);	/* before the start: dropped */
	put_record(&dg, 5, false);
	put_record(&dg, 6, false);
	put_lost(&dg, 7, 3, false);
	put_record(&dg, 10, false);
	assert_int_equal(rx_live(s, &dg), 0);
	expect_record(s, 5);
	expect_record(s, 6);
	expect_lost(s, 7, 3);
	expect_record(s, 10);
	expect_none(s);
	assert_int_equal(s->next, 11);
}

/* A gap in the live feed asks for a replay and delivers nothing. */
static void test_live_gap(void **state)
{
	struct tsmon_sub *s = *state;

	s->next = 5;
	reset();
	put_record(&dg, 5, false);
	put_record(&dg, 7, false);
	assert_int_equal(rx_live(s, &dg), TSMON__SUB_GAP);
	expect_none(s);
	assert_int_equal(s->next, 5);
}

/* A replay until NLMSG_DONE, after which the dump is over. */
static void test_replay(void **state)
{
	struct tsmon_sub *s = *state;

	s->next = 0;
	s->replaying = true;
	reset();
	put_lost(&dg, 1, 10, true);
	put_record(&dg, 11, true);
	assert_int_equal(rx_replay(s, &dg), 0);
	assert_true(s->replaying);
	expect_lost(s, 1, 10);
	expect_record(s, 11);
	reset();
	put_record(&dg, 12, true);
	put_control(&dg, NLMSG_DONE, 0);
	assert_int_equal(rx_replay(s, &dg), 0);
	assert_false(s->replaying);
	expect_record(s, 12);
	expect_none(s);
}

static void test_status(void **state)
{
	struct tsmon_sub *s = *state;
	struct tsmon__status st;
	struct tsmon_health h;
	struct nlmsghdr *nlh;

	memset(&h, 0, sizeof(h));
	h.seq = 8;
	h.tai_offset = 37;
	reset();
	nlh = put_msg(&dg, FAMILY, 0, true, TSMON_CMD_GET_STATUS);
	mnl_attr_put_u32(nlh, TSMON_A_ABI_VERSION, TSMON_ABI_VERSION);
	mnl_attr_put_u64(nlh, TSMON_A_HEAD, 99);
	mnl_attr_put_u32(nlh, TSMON_A_RING_ENTRIES, 4096);
	mnl_attr_put_u32(nlh, TSMON_A_HOOKS, 3);
	/* A wrong length reads as absent. */
	mnl_attr_put_u64(nlh, TSMON_A_RECORD_SIZE, 64);
	mnl_attr_put(nlh, TSMON_A_HEALTH, 64, &h);
	end_msg(&dg, nlh);
	put_control(&dg, NLMSG_ERROR, 0);
	assert_int_equal(rx_status(s, &dg, &st), MNL_CB_STOP);
	assert_int_equal(st.st.abi_version, TSMON_ABI_VERSION);
	assert_int_equal(st.st.head, 99);
	assert_int_equal(st.st.ring_entries, 4096);
	assert_int_equal(st.st.record_size, 0);
	assert_int_equal(st.st.hooks, 3);
	assert_int_equal(st.st.health_size, 64);
	assert_int_equal(st.health.seq, 8);
	/* Past the 64 bytes sent: zero. */
	assert_int_equal(st.health.tai_offset, 0);
}

/*
 * A message longer than 2 GiB passed libmnl's length check (a signed
 * compare) and its walk left the buffer: refused before libmnl sees it,
 * on every path.
 */
static void test_msg_len_2g(void **state)
{
	struct tsmon_sub *s = *state;
	struct tsmon__status st;
	struct nlmsghdr *nlh;

	reset();
	put_record(&dg, 1, true);
	nlh = put_msg(&dg, FAMILY, NLM_F_MULTI, true, TSMON_CMD_EVENT);
	end_msg(&dg, nlh);
	nlh->nlmsg_len = 0xffff0000;
	assert_int_equal(rx_status(s, &dg, &st), -EBADMSG);
	s->next = 1;
	assert_int_equal(rx_live(s, &dg), -EBADMSG);
	expect_none(s);
	s->replaying = true;
	assert_int_equal(rx_replay(s, &dg), -EBADMSG);
	expect_none(s);
}

/*
 * Attributes are parsed up to the message length rounded up to 4 bytes:
 * a last message of unaligned length whose padding is not in the
 * datagram is refused instead of read past.
 */
static void test_unaligned_tail(void **state)
{
	struct tsmon_sub *s = *state;
	struct tsmon__status st;
	struct nlmsghdr *nlh;
	struct nlattr *attr;
	char name[] = "abcde";		/* 6 bytes: 2 of padding */

	reset();
	nlh = put_msg(&dg, FAMILY, 0, true, TSMON_CMD_GET_STATUS);
	mnl_attr_put(nlh, TSMON_A_HEALTH, sizeof(name), name);
	nlh->nlmsg_len -= 2;
	/* The attribute claims the padding that is not there. */
	attr = (struct nlattr *)((char *)nlh + NLMSG_HDRLEN + GENL_HDRLEN);
	attr->nla_len += 2;
	end_msg(&dg, nlh);
	assert_int_equal(rx_status(s, &dg, &st), -EBADMSG);
	/* Bytes after the last message, too few for one, are ignored. */
	dg.len = nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len);
	dg.len += 3;
	assert_int_equal(rx_status(s, &dg, &st), MNL_CB_OK);
}

/* A header without the generic netlink header: no command to read. */
static void test_header_only(void **state)
{
	struct tsmon_sub *s = *state;
	struct nlmsghdr *nlh;

	s->next = 1;
	reset();
	nlh = mnl_nlmsg_put_header(dg.buf);
	nlh->nlmsg_type = FAMILY;
	dg.len = nlh->nlmsg_len;
	assert_int_equal(rx_live(s, &dg), 0);
	expect_none(s);
	/* Nor is it a controller notice. */
	nlh->nlmsg_type = GENL_ID_CTRL;
	assert_int_equal(rx_live(s, &dg), 0);
	s->replaying = true;
	nlh->nlmsg_type = FAMILY;
	nlh->nlmsg_seq = REQ_SEQ;
	assert_int_equal(rx_replay(s, &dg), 0);
	expect_none(s);
}

/*
 * libmnl passes an error message's int on as errno, whatever it is: only
 * error numbers come back as such, the rest as -EPROTO.
 */
static void test_error_codes(void **state)
{
	static const struct {
		int error;
		int ret;
	} cases[] = {
		{ -ENOENT, -ENOENT },
		{ EIO, -EIO },		/* either sign is accepted */
		{ -4095, -4095 },
		{ -4096, -EPROTO },
		{ -65280, -EPROTO },
		{ INT_MIN + 1, -EPROTO },
		{ INT_MAX, -EPROTO },
	};
	struct tsmon_sub *s = *state;
	struct tsmon__status st;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reset();
		put_control(&dg, NLMSG_ERROR, cases[i].error);
		assert_int_equal(rx_status(s, &dg, &st), cases[i].ret);
		s->replaying = true;
		assert_int_equal(rx_replay(s, &dg), cases[i].ret == -ENOENT ?
				 -ENODEV : cases[i].ret);
	}
}

/*
 * A loss of nothing, or a sequence range past 2^64 - 1, is malformed: it
 * would move the position back or nowhere. Such messages are dropped, and
 * what they claimed to cover is then reported lost.
 */
static void test_bad_ranges(void **state)
{
	struct tsmon_sub *s = *state;

	s->next = 0;
	s->replaying = true;
	reset();
	put_lost(&dg, 5, 0, true);
	put_lost(&dg, 5, UINT64_MAX - 3, true);
	put_record(&dg, UINT64_MAX, true);
	put_record(&dg, 5, true);
	put_lost(&dg, 6, 0, true);
	put_record(&dg, 7, true);
	assert_int_equal(rx_replay(s, &dg), 0);
	expect_record(s, 5);
	expect_lost(s, 6, 1);
	expect_record(s, 7);
	expect_none(s);
	assert_int_equal(s->next, 8);
}

/*
 * A replay batch that fails leaves a hole the next batch does not fill:
 * the records in it are reported lost, not skipped.
 */
static void test_replay_hole(void **state)
{
	struct tsmon_sub *s = *state;
	struct nlmsghdr *nlh;

	s->next = 3;
	s->replaying = true;
	reset();
	put_record(&dg, 3, true);
	nlh = put_msg(&dg, FAMILY, NLM_F_MULTI, true, TSMON_CMD_EVENT);
	nlh->nlmsg_seq = REQ_SEQ + 1;	/* not our request: libmnl stops */
	end_msg(&dg, nlh);
	put_record(&dg, 5, true);
	assert_int_equal(rx_replay(s, &dg), -EPROTO);
	expect_record(s, 3);
	expect_none(s);
	reset();
	put_record(&dg, 20, true);
	put_record(&dg, 21, true);
	put_control(&dg, NLMSG_DONE, 0);
	assert_int_equal(rx_replay(s, &dg), 0);
	expect_lost(s, 4, 16);
	expect_record(s, 20);
	expect_record(s, 21);
	expect_none(s);
}

/*
 * More records in one batch than pend[] holds: an error code, not a stale
 * errno (which could be 0 and read as success), and the rest is reported
 * lost when the replay goes on.
 */
static void test_batch_overflow(void **state)
{
	struct tsmon_sub *s = *state;
	uint64_t i;

	s->next = 1;
	s->replaying = true;
	reset();
	for (i = 1; i <= SUB_PEND_MAX + 1; i++)
		put_lost(&dg, 2 * i - 1, 1, true);
	errno = 0;
	assert_int_equal(rx_replay(s, &dg), -EMSGSIZE);
	assert_int_equal(s->npend, SUB_PEND_MAX);
	for (i = 1; i <= SUB_PEND_MAX; i++) {
		expect_lost(s, 2 * i - 1, 1);
		if (i < SUB_PEND_MAX)
			expect_lost(s, 2 * i, 1);	/* the holes between */
	}
	expect_none(s);
}

/* Another process's socket, as an intruder or a source of wakeups. */
static struct mnl_socket *user_socket(void)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_GENERIC);

	assert_non_null(nl);
	assert_int_equal(mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID), 0);
	return nl;
}

static ssize_t send_to_port(struct mnl_socket *from, uint32_t portid,
			    const struct dgram *d)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK, .nl_pid = portid };

	return sendto(mnl_socket_get_fd(from), d->buf, d->len, 0,
		      (struct sockaddr *)&to, sizeof(to));
}

/*
 * The subscription's sockets hear only the kernel: a record another
 * process addresses to one is refused, where an ordinary socket takes it,
 * and the kernel's replies still arrive.
 */
static void test_socket_kernel_only(void **state)
{
	struct mnl_socket *sub = tsmon__sub_socket(), *plain, *intruder;
	unsigned char buf[8192];
	struct nlmsghdr *nlh;
	ssize_t n;

	(void)state;
	assert_non_null(sub);
	plain = user_socket();
	intruder = user_socket();
	reset();
	put_record(&dg, 1, false);

	assert_int_equal(send_to_port(intruder, mnl_socket_get_portid(plain),
				      &dg), (ssize_t)dg.len);
	assert_int_equal(recv(mnl_socket_get_fd(plain), buf, sizeof(buf),
			      MSG_DONTWAIT), (ssize_t)dg.len);

	assert_int_equal(send_to_port(intruder, mnl_socket_get_portid(sub),
				      &dg), -1);
	assert_int_equal(errno, ECONNREFUSED);
	assert_int_equal(recv(mnl_socket_get_fd(sub), buf, sizeof(buf),
			      MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);

	/* The controller answers a request made on it. */
	reset();
	nlh = put_msg(&dg, GENL_ID_CTRL, NLM_F_REQUEST, true,
		      CTRL_CMD_GETFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "nlctrl");
	end_msg(&dg, nlh);
	assert_true(mnl_socket_sendto(sub, dg.buf, dg.len) > 0);
	n = mnl_socket_recvfrom(sub, buf, sizeof(buf));
	assert_true(n > (ssize_t)sizeof(*nlh));
	nlh = (struct nlmsghdr *)buf;
	assert_int_equal(nlh->nlmsg_type, GENL_ID_CTRL);
	assert_int_equal(nlh->nlmsg_seq, REQ_SEQ);

	mnl_socket_close(intruder);
	mnl_socket_close(plain);
	mnl_socket_close(sub);
}

struct waker {
	struct mnl_socket *from;
	uint32_t to;
	atomic_bool stop;
};

/* A datagram every 300 us: the subscription wakes and finds no record. */
static void *waker_run(void *arg)
{
	struct waker *w = arg;
	struct timespec gap = { 0, 300000 };
	struct dgram *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	put_record(d, 1, false);	/* before the start: dropped */
	while (!atomic_load(&w->stop)) {
		send_to_port(w->from, w->to, d);
		nanosleep(&gap, NULL);
	}
	free(d);
	return NULL;
}

/*
 * An idle subscription gives up no earlier than its timeout, judged on the
 * nanosecond clock, however often it wakes for nothing: a deadline kept in
 * whole milliseconds returned up to 1 ms early. An ordinary socket stands
 * in for the feed, so that another one can wake it; 0 is a check, never a
 * wait.
 */
static void test_timeout_not_early(void **state)
{
	static const int timeouts[] = { 1, 2, 3, 7, 15 };
	struct tsmon_sub *s = *state;
	struct tsmon_record rec;
	struct waker w = { 0 };
	unsigned int i, rep;
	pthread_t th;

	s->next = 5;
	s->live = user_socket();
	w.from = user_socket();
	w.to = mnl_socket_get_portid(s->live);
	atomic_init(&w.stop, false);
	assert_int_equal(tsmon_sub_next(s, &rec, 0), -EAGAIN);
	assert_int_equal(pthread_create(&th, NULL, waker_run, &w), 0);
	for (i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
		for (rep = 0; rep < 12; rep++) {
			int64_t t0 = (int64_t)tsmon_mono_now(), el;
			int err = tsmon_sub_next(s, &rec, timeouts[i]);

			el = (int64_t)tsmon_mono_now() - t0;
			if (err != -ETIMEDOUT ||
			    el < (int64_t)timeouts[i] * 1000000)
				fail_msg("timeout %d ms: %d after %lld ns",
					 timeouts[i], err, (long long)el);
		}
	}
	atomic_store(&w.stop, true);
	pthread_join(th, NULL);
	mnl_socket_close(w.from);
	mnl_socket_close(s->live);
	s->live = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_live),
		T(test_live_gap),
		T(test_replay),
		T(test_status),
		T(test_msg_len_2g),
		T(test_unaligned_tail),
		T(test_header_only),
		T(test_error_codes),
		T(test_bad_ranges),
		T(test_replay_hole),
		T(test_batch_overflow),
		T(test_socket_kernel_only),
		T(test_timeout_not_early),
#undef T
	};

	return cmocka_run_group_tests_name("netlink_rx", tests, NULL, NULL);
}
