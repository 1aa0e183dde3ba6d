// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_dumpstorm - a GET_EVENTS dump under a record storm ends, at the
 * head the ring had when it started.
 *
 * A thread flips STA_FREQHOLD with adjtimex() as fast as it can (one
 * ntp_mode record per call) while a slow reader dumps the ring. The dump
 * must cover a contiguous range of sequence numbers - records and loss
 * notices - that ends no later than the head read right after the request
 * was sent (the dump's first part is built in that send), and must end
 * while the storm goes on. A dump that re-reads the head as it goes chases
 * the storm instead and overruns that bound.
 *
 * Changes the NTP status only, and puts it back.
 */
#include <pthread.h>
#include <stdatomic.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <tsmon/netlink.h>

#include "nltest.h"
#include "tsmon_selftest.h"

#define DUMP_DEADLINE_S	60
#define RECV_PAUSE_MS	3	/* a slow reader: the storm outruns it */

static atomic_int stop, started;
static atomic_ulong storm_calls;
static unsigned char buf[64 * 1024];

static void *storm_main(void *arg)
{
	int status = *(int *)arg;

	while (!atomic_load(&stop)) {
		status ^= STA_FREQHOLD;
		if (ntp_set_status(status))
			break;
		atomic_fetch_add(&storm_calls, 1);
		atomic_store(&started, 1);
	}
	return NULL;
}

struct dump {
	uint64_t first, next;		/* range covered so far: [first, next) */
	unsigned long records, lost_msgs;
	bool gap, done;
	int err;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (type >= 0 && type <= TSMON_A_MAX)
		tb[type] = a;
	return MNL_CB_OK;
}

static void dump_take(struct dump *d, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[TSMON_A_MAX + 1] = { 0 };
	uint64_t seq, n = 1;

	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), attr_cb, tb);
	if (!tb[TSMON_A_SEQ]) {
		d->gap = true;
		return;
	}
	seq = mnl_attr_get_u64(tb[TSMON_A_SEQ]);
	if (tb[TSMON_A_LOST]) {
		n = mnl_attr_get_u64(tb[TSMON_A_LOST]);
		d->lost_msgs++;
	} else {
		d->records++;
	}
	if (!d->first)
		d->first = d->next = seq;
	if (seq != d->next) {
		if (!d->gap)
			ksft_print_msg("seq %llu where %llu was due\n",
				       (unsigned long long)seq,
				       (unsigned long long)d->next);
		d->gap = true;
	}
	d->next = seq + n;
}

int main(void)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	struct mnl_socket *nl;
	struct tsmon_health h;
	struct dump d = { 0 };
	uint16_t family = 0;
	uint32_t group = 0;
	uint64_t head_sent, head_end;
	unsigned long calls_at_end;
	int64_t deadline;
	struct timex ntp0;
	struct tsmon *t;
	pthread_t storm;
	int status, fd, n;
	unsigned char req[256];

	selftest_start(3);
	t = open_or_bail();
	if (!read_health(t, &h))
		ksft_exit_fail_msg("no health block\n");
	if (!(h.hooks & TSMON_HOOK_ADJTIMEX))
		ksft_exit_skip("no NTP hook: adjtimex makes no records\n");
	if (ntp_read(&ntp0) < 0)
		ksft_exit_fail_msg("adjtimex: %s\n", strerror(errno));
	/* STA_UNSYNC held: no sync record between the mode ones. */
	status = ntp0.status | STA_UNSYNC;

	nl = mnl_socket_open(NETLINK_GENERIC);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		ksft_exit_fail_msg("netlink socket: %s\n", strerror(errno));
	fd = mnl_socket_get_fd(nl);
	{
		struct timeval tv = { .tv_sec = 5 };

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = 1;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, TSMON_GENL_NAME);
	if (send(fd, nlh, nlh->nlmsg_len, 0) < 0 ||
	    (n = (int)recv(fd, buf, sizeof(buf), 0)) <= 0)
		ksft_exit_fail_msg("resolving %s: %s\n", TSMON_GENL_NAME,
				   strerror(errno));
	nlh = (struct nlmsghdr *)buf;
	if (nlh->nlmsg_type == GENL_ID_CTRL) {
		const struct nlattr *a;

		mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
			nltest_family_attr(a, &family, &group);
	}
	if (!family)
		ksft_exit_fail_msg("family %s not found\n", TSMON_GENL_NAME);

	if (pthread_create(&storm, NULL, storm_main, &status))
		ksft_exit_fail_msg("pthread_create failed\n");
	while (!atomic_load(&started))
		sleep_ms(1);
	sleep_ms(200);

	/* The whole ring, from its oldest record. */
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = 2;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = TSMON_CMD_GET_EVENTS;
	g->version = TSMON_GENL_VERSION;
	if (send(fd, nlh, nlh->nlmsg_len, 0) < 0)
		ksft_exit_fail_msg("GET_EVENTS: %s\n", strerror(errno));
	/* The dump took its head during send(): it is at most this. */
	if (tsmon_head(t, &head_sent))
		ksft_exit_fail_msg("tsmon_head failed\n");

	deadline = clk_ns(CLOCK_MONOTONIC) + DUMP_DEADLINE_S * NSEC_PER_SEC;
	while (!d.done && !d.err) {
		if (clk_ns(CLOCK_MONOTONIC) > deadline) {
			d.err = -ETIMEDOUT;
			break;
		}
		n = (int)recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			d.err = -errno;
			break;
		}
		for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, n);
		     nlh = mnl_nlmsg_next(nlh, &n)) {
			if (nlh->nlmsg_seq != 2)
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE) {
				d.done = true;
			} else if (nlh->nlmsg_type == NLMSG_ERROR) {
				d.err = ((struct nlmsgerr *)mnl_nlmsg_get_payload(nlh))->error;
				d.err = d.err ? d.err : -EPROTO;
			} else if (nlh->nlmsg_type == family) {
				dump_take(&d, nlh);
			}
		}
		sleep_ms(RECV_PAUSE_MS);
	}
	calls_at_end = atomic_load(&storm_calls);
	if (tsmon_head(t, &head_end))
		head_end = 0;
	atomic_store(&stop, 1);
	pthread_join(storm, NULL);
	mnl_socket_close(nl);
	if (ntp_restore(&ntp0))
		ksft_exit_fail_msg("cannot restore the NTP state: %s\n",
				   strerror(errno));

	ksft_print_msg("dump: seq %llu..%llu, %lu records, %lu loss notices; head %llu at the request, %llu at the end; %lu storm calls\n",
		       (unsigned long long)d.first,
		       (unsigned long long)(d.next ? d.next - 1 : 0),
		       d.records, d.lost_msgs, (unsigned long long)head_sent,
		       (unsigned long long)head_end, calls_at_end);
	ksft_test_result(d.done, "the dump ended under the storm (%s)\n",
			 d.err ? strerror(-d.err) : "done");
	ksft_test_result(d.first && !d.gap,
			 "it covered a contiguous range of sequence numbers\n");
	ksft_test_result(d.next && d.next - 1 <= head_sent && head_end > head_sent,
			 "it ended at the head it started with, the storm went on\n");
	tsmon_close(t);
	ksft_finished();
}
