// SPDX-License-Identifier: GPL-2.0-only
/*
 * nl_latency - how fast the tsmon netlink feed reports a clock step, and
 * how many steps per second it carries without losing count.
 *
 * Wakeup latency: one thread steps CLOCK_REALTIME by +-1 ns (ADJ_SETOFFSET)
 * while another sleeps until it learns of the step; the time is taken on
 * CLOCK_MONOTONIC_RAW just before the step call and just after the
 * sleeper wakes. The netlink subscription (tsmon_sub_next) is compared
 * with the kernel's own step notice, a CLOCK_REALTIME timerfd armed with
 * TFD_TIMER_CANCEL_ON_SET (read() fails with ECANCELED), and with a
 * blocking read() of /dev/tsmon for reference.
 *
 * Throughput: one thread makes steps at a given rate for a second; a
 * listener checks that every sequence number arrives once and in order or
 * is counted lost (delivered + lost == produced). A raw socket with a huge
 * buffer measures the kernel's pump alone; a libtsmon subscription with the
 * default buffer measures what an application gets, replays included.
 *
 * It steps the system clock: it runs only in the test guest
 * (tests/bench/guest.sh through tests/vm/run, `make bench-guest`).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <tsmon/netlink.h>

#include "clockops.h"
#include "nltest.h"
#include <tsmon/tsmon.h>

#define ITERATIONS	1000
#define RATE_RUN_NS	NSEC_PER_SEC
#define TARGET_RATIO	2.0
#define RAW_RCVBUF	(64 << 20)
#define STEPPER_CPU	0
#define LISTENER_CPU	1

static int ncpus;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
						    noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("nl_latency: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	exit(2);
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (ncpus < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void step(int i)
{
	int err = clock_step_ns(i & 1 ? -1 : 1);

	if (err)
		die("ADJ_SETOFFSET: %s\n", strerror(-err));
}

static uint64_t status_head(struct tsmon_sub *s)
{
	struct tsmon_nl_status st;
	int err = tsmon_sub_status(s, &st, NULL);

	if (err)
		die("tsmon_sub_status: %s\n", strerror(-err));
	return st.head;
}

static void sleep_ns(int64_t ns)
{
	struct timespec ts = { ns / NSEC_PER_SEC, ns % NSEC_PER_SEC };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ----------------------------------------------------------- latency */

enum waker { W_NETLINK, W_TIMERFD, W_DEVICE };

static const char *const waker_name[] = {
	[W_NETLINK] = "netlink: tsmon_sub_next()",
	[W_TIMERFD] = "timerfd: TFD_TIMER_CANCEL_ON_SET",
	[W_DEVICE]  = "/dev/tsmon read() (reference)",
};

struct latency_run {
	enum waker kind;
	struct tsmon_sub *sub;
	int fd;
	sem_t woke;
	int64_t woke_ns[ITERATIONS];
	int err;
};

/* Sleeps until the next step is known, the way each kind of user does. */
static int wait_step(struct latency_run *run)
{
	struct tsmon_record rec;
	uint64_t head;
	ssize_t n;
	int err;

	switch (run->kind) {
	case W_NETLINK:
		do {
			err = tsmon_sub_next(run->sub, &rec, -1);
		} while (!err && rec.type != TSMON_EVENT_CLOCK_STEP);
		return err;
	case W_TIMERFD:
		n = read(run->fd, &head, sizeof(head));
		return n < 0 && errno == ECANCELED ? 0 : -EPROTO;
	case W_DEVICE:
		n = read(run->fd, &head, sizeof(head));
		return n == sizeof(head) ? 0 : -errno;
	}
	return -EINVAL;
}

static void *latency_listener(void *arg)
{
	struct latency_run *run = arg;
	int i;

	pin(LISTENER_CPU);
	for (i = 0; i < ITERATIONS; i++) {
		run->err = wait_step(run);
		run->woke_ns[i] = clk_ns(CLOCK_MONOTONIC_RAW);
		sem_post(&run->woke);
		if (run->err)
			break;
	}
	return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

struct stats {
	double min, med, p99, max;	/* microseconds */
};

static struct stats stats_of(int64_t *v, int n)
{
	struct stats s;

	qsort(v, n, sizeof(*v), cmp_i64);
	s.min = v[0] / 1e3;
	s.med = (n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) / 1e3;
	s.p99 = v[(n * 99 + 99) / 100 - 1] / 1e3;
	s.max = v[n - 1] / 1e3;
	return s;
}

static struct stats latency(enum waker kind)
{
	static struct latency_run run;
	static int64_t lat[ITERATIONS];
	struct itimerspec far = { .it_value = { .tv_sec = INT32_MAX } };
	struct timespec deadline;
	pthread_t thread;
	int64_t t0;
	int i, err;

	memset(&run, 0, sizeof(run));
	run.kind = kind;
	run.fd = -1;
	switch (kind) {
	case W_NETLINK:
		err = tsmon_sub_open(&run.sub);
		if (!err)
			err = tsmon_sub_start(run.sub, TSMON_FROM_NOW, 0);
		if (err)
			die("subscription: %s\n", strerror(-err));
		break;
	case W_TIMERFD:
		run.fd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC);
		if (run.fd < 0 ||
		    timerfd_settime(run.fd, TFD_TIMER_ABSTIME |
				    TFD_TIMER_CANCEL_ON_SET, &far, NULL))
			die("timerfd: %s\n", strerror(errno));
		break;
	case W_DEVICE:
		run.fd = open(TSMON_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
		if (run.fd < 0)
			die("%s: %s\n", TSMON_DEVICE_PATH, strerror(errno));
		break;
	}
	sem_init(&run.woke, 0, 0);
	if (pthread_create(&thread, NULL, latency_listener, &run))
		die("pthread_create failed\n");

	for (i = 0; i < ITERATIONS; i++) {
		/* Long enough for the listener to be asleep again. */
		sleep_ns(2 * 1000 * 1000);
		t0 = clk_ns(CLOCK_MONOTONIC_RAW);
		step(i);
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += 5;
		while (sem_timedwait(&run.woke, &deadline))
			if (errno != EINTR)
				die("%s: no wakeup within 5 s\n",
				    waker_name[kind]);
		if (run.err)
			die("%s: %s\n", waker_name[kind], strerror(-run.err));
		lat[i] = run.woke_ns[i] - t0;
	}
	pthread_join(thread, NULL);
	sem_destroy(&run.woke);
	tsmon_sub_close(run.sub);
	if (run.fd >= 0)
		close(run.fd);
	return stats_of(lat, ITERATIONS);
}

/* ----------------------------------------------------------- throughput */

/*
 * The pump's own output on a socket too large to overflow: records and its
 * loss notices, in sequence order.
 */
struct raw_listener {
	struct mnl_socket *nl;
	uint16_t family;
	uint32_t group;
};

struct feed_count {
	uint64_t next;		/* next sequence owed */
	uint64_t target;	/* stop after this one (0: not known yet) */
	uint64_t delivered;
	uint64_t lost;
	uint64_t violations;	/* duplicate, reordered or skipped */
	int64_t last_ns;	/* CLOCK_MONOTONIC_RAW of the last record */
	int err;
};

static void count_record(struct feed_count *c, uint64_t seq, bool lost,
			 uint64_t span)
{
	if (seq != c->next)
		c->violations++;
	if (lost)
		c->lost += span;
	else
		c->delivered++;
	c->next = seq + span;
	c->last_ns = clk_ns(CLOCK_MONOTONIC_RAW);
}

static int raw_family_cb(const struct nlattr *attr, void *data)
{
	struct raw_listener *r = data;

	nltest_family_attr(attr, &r->family, &r->group);
	return MNL_CB_OK;
}

static int raw_reply_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), raw_family_cb,
			      data);
}

static void raw_open(struct raw_listener *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	int size = RAW_RCVBUF, n, ret;

	memset(r, 0, sizeof(*r));
	r->nl = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	if (!r->nl || mnl_socket_bind(r->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		die("netlink socket: %s\n", strerror(errno));
	/* Root may exceed rmem_max: the pump is measured, not the socket. */
	if (setsockopt(mnl_socket_get_fd(r->nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &size, sizeof(size)))
		die("SO_RCVBUFFORCE: %s\n", strerror(errno));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, TSMON_GENL_NAME);
	if (mnl_socket_sendto(r->nl, nlh, nlh->nlmsg_len) < 0)
		die("GETFAMILY: %s\n", strerror(errno));
	do {
		n = (int)mnl_socket_recvfrom(r->nl, buf, sizeof(buf));
		ret = n < 0 ? -1 : mnl_cb_run(buf, n, 1,
					      mnl_socket_get_portid(r->nl),
					      raw_reply_cb, r);
	} while (ret > MNL_CB_STOP);
	if (ret < 0 || !r->family || !r->group)
		die("family %s not found: %s\n", TSMON_GENL_NAME,
		    strerror(errno));
	if (mnl_socket_setsockopt(r->nl, NETLINK_ADD_MEMBERSHIP, &r->group,
				  sizeof(r->group)) < 0)
		die("joining the events group: %s\n", strerror(errno));
}

struct event_attrs {
	const struct nlattr *tb[TSMON_A_MAX + 1];
};

static int event_attr_cb(const struct nlattr *attr, void *data)
{
	struct event_attrs *ev = data;
	int type = mnl_attr_get_type(attr);

	if (type > 0 && type <= TSMON_A_MAX)
		ev->tb[type] = attr;
	return MNL_CB_OK;
}

struct feed_run {
	bool raw;
	struct raw_listener r;
	struct tsmon_sub *sub;
	struct feed_count c;
	atomic_uint_fast64_t target;
};

static void raw_feed(struct feed_run *f)
{
	static unsigned char buf[64 * 1024];
	struct feed_count *c = &f->c;
	int fd = mnl_socket_get_fd(f->r.nl);
	struct timeval tv = { 0, 100 * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		uint64_t target = atomic_load(&f->target);
		const struct nlmsghdr *nlh = (const void *)buf;
		struct event_attrs ev = { { 0 } };
		ssize_t n;

		if (target && c->next > target)
			return;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n < 0) {
			c->err = -errno;
			return;
		}
		if (!mnl_nlmsg_ok(nlh, (int)n) || nlh->nlmsg_type != f->r.family ||
		    mnl_attr_parse(nlh, sizeof(struct genlmsghdr),
				   event_attr_cb, &ev) < 0 ||
		    !ev.tb[TSMON_A_SEQ] || !ev.tb[TSMON_A_TYPE])
			continue;
		if (mnl_attr_get_u32(ev.tb[TSMON_A_TYPE]) == TSMON_EVENT_LOST)
			count_record(c, mnl_attr_get_u64(ev.tb[TSMON_A_SEQ]),
				     true,
				     mnl_attr_get_u64(ev.tb[TSMON_A_LOST]));
		else
			count_record(c, mnl_attr_get_u64(ev.tb[TSMON_A_SEQ]),
				     false, 1);
	}
}

static void sub_feed(struct feed_run *f)
{
	struct feed_count *c = &f->c;
	struct tsmon_record rec;
	int err;

	for (;;) {
		uint64_t target = atomic_load(&f->target);

		if (target && c->next > target)
			return;
		err = tsmon_sub_next(f->sub, &rec, 100);
		if (err == -ETIMEDOUT)
			continue;
		if (err) {
			c->err = err;
			return;
		}
		count_record(c, rec.seq, rec.type == TSMON_EVENT_LOST,
			     rec.type == TSMON_EVENT_LOST ? rec.lost.count : 1);
	}
}

static void *feed_listener(void *arg)
{
	struct feed_run *f = arg;

	pin(LISTENER_CPU);
	if (f->raw)
		raw_feed(f);
	else
		sub_feed(f);
	return NULL;
}

struct rate_result {
	uint64_t offered;	/* steps per second asked, 0: unpaced */
	double made_per_s;	/* steps per second achieved */
	uint64_t produced;
	uint64_t delivered;
	uint64_t lost;
	int64_t unaccounted;
	uint64_t violations;
	long long drops;
	double delivered_per_s;
	int err;
};

/*
 * Steps at @rate per second (0: as fast as possible) for RATE_RUN_NS, in
 * bursts each millisecond so that the pump's worker gets the CPU between
 * them, then waits until the listener has accounted for the head.
 */
static struct rate_result rate_run(struct tsmon_sub *ctl, bool raw,
				   uint64_t rate)
{
	static struct feed_run f;
	struct rate_result res = { .offered = rate };
	int64_t t0, t_end, now, end_wait;
	uint64_t head0, head1, made = 0;
	pthread_t thread;
	int err;

	memset(&f, 0, sizeof(f));
	f.raw = raw;
	if (raw) {
		raw_open(&f.r);
	} else {
		err = tsmon_sub_open(&f.sub);
		if (!err)
			err = tsmon_sub_start(f.sub, TSMON_FROM_NOW, 0);
		if (err)
			die("subscription: %s\n", strerror(-err));
	}
	head0 = status_head(ctl);
	f.c.next = head0 + 1;
	if (pthread_create(&thread, NULL, feed_listener, &f))
		die("pthread_create failed\n");

	t0 = clk_ns(CLOCK_MONOTONIC_RAW);
	t_end = t0 + RATE_RUN_NS;
	for (now = t0; now < t_end; now = clk_ns(CLOCK_MONOTONIC_RAW)) {
		uint64_t due = rate ? (uint64_t)((now - t0) / 1000000 + 1) *
				      rate / 1000 : made + 64;

		while (made < due)
			step((int)made++);
		if (rate)
			sleep_ns(1000 * 1000 - (clk_ns(CLOCK_MONOTONIC_RAW) -
						t0) % (1000 * 1000));
	}
	/* An even count leaves the clock where it was. */
	if (made & 1)
		step((int)made++);
	now = clk_ns(CLOCK_MONOTONIC_RAW);
	head1 = status_head(ctl);
	atomic_store(&f.target, head1);

	end_wait = now + 30 * NSEC_PER_SEC;
	while (f.c.next <= head1 && !f.c.err &&
	       clk_ns(CLOCK_MONOTONIC_RAW) < end_wait)
		sleep_ns(10 * 1000 * 1000);
	if (f.c.next <= head1 && !f.c.err)
		f.c.err = -ETIMEDOUT;
	atomic_store(&f.target, 1);
	pthread_join(thread, NULL);

	res.made_per_s = made * 1e9 / (now - t0);
	res.produced = head1 - head0;
	res.delivered = f.c.delivered;
	res.lost = f.c.lost;
	res.unaccounted = (int64_t)res.produced - (int64_t)(res.delivered +
							     res.lost);
	res.violations = f.c.violations;
	res.err = f.c.err;
	res.delivered_per_s = f.c.last_ns > t0 ?
			      res.delivered * 1e9 / (f.c.last_ns - t0) : 0;
	res.drops = socket_drops(raw ? mnl_socket_get_fd(f.r.nl) :
				 tsmon_sub_fd(f.sub));
	if (raw)
		mnl_socket_close(f.r.nl);
	tsmon_sub_close(f.sub);
	return res;
}

/* ----------------------------------------------------------- main */

static void print_latency(enum waker kind, const struct stats *s)
{
	printf("  %-34s %9.1f %9.1f %9.1f %9.1f\n", waker_name[kind], s->min,
	       s->med, s->p99, s->max);
}

static bool print_rate(const char *who, const struct rate_result *r)
{
	char offered[24];

	if (r->offered)
		snprintf(offered, sizeof(offered), "%llu",
			 (unsigned long long)r->offered);
	else
		snprintf(offered, sizeof(offered), "max");
	printf("  %-14s %8s %9.0f %9llu %9llu %7llu %6lld %6lld %11.0f%s%s\n",
	       who, offered, r->made_per_s, (unsigned long long)r->produced,
	       (unsigned long long)r->delivered, (unsigned long long)r->lost,
	       (long long)r->unaccounted, r->drops, r->delivered_per_s,
	       r->err ? "  error: " : "", r->err ? strerror(-r->err) : "");
	if (r->violations)
		printf("  %-14s %llu sequence violations\n", who,
		       (unsigned long long)r->violations);
	return !r->err && !r->unaccounted && !r->violations;
}

int main(void)
{
	static const uint64_t rates[] = { 1000, 5000, 10000, 20000, 0 };
	const char *kver = getenv("TSMON_KVER");
	struct stats nl, tfd, dev;
	struct rate_result res;
	struct tsmon_sub *ctl;
	struct utsname uts;
	struct rt_offset off0, off1;
	double best[2] = { 0, 0 };
	bool ok = true;
	size_t i;
	int err, raw;

	setvbuf(stdout, NULL, _IOLBF, 0);
	uname(&uts);
	if (!kver || strcmp(kver, uts.release))
		die("this benchmark steps the system clock: run it in the test guest (make bench-guest)\n");
	if (geteuid() != 0)
		die("must run as root\n");
	err = tsmon_sub_open(&ctl);
	if (err)
		die("tsmon_sub_open: %s (is the module loaded?)\n",
		    strerror(-err));
	ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	off0 = rt_mono_offset();
	pin(STEPPER_CPU);

	printf("tsmon netlink feed, kernel %s, %d CPUs%s\n\n", uts.release,
	       ncpus, ncpus >= 2 ? " (stepper on CPU 0, listener on CPU 1)" :
	       "");
	printf("wakeup after a clock step (ADJ_SETOFFSET +-1 ns), %d iterations, us\n",
	       ITERATIONS);
	printf("  %-34s %9s %9s %9s %9s\n", "path", "min", "median", "p99",
	       "max");
	nl = latency(W_NETLINK);
	print_latency(W_NETLINK, &nl);
	tfd = latency(W_TIMERFD);
	print_latency(W_TIMERFD, &tfd);
	dev = latency(W_DEVICE);
	print_latency(W_DEVICE, &dev);
	printf("  %-34s %9s %8.2fx %8.2fx %9s  target <= %.0fx: %s\n",
	       "netlink / timerfd", "", nl.med / tfd.med, nl.p99 / tfd.p99, "",
	       TARGET_RATIO,
	       nl.med / tfd.med <= TARGET_RATIO &&
	       nl.p99 / tfd.p99 <= TARGET_RATIO ? "met" : "missed");

	printf("\nsustained feed: steps from one thread for 1 s per rate; delivered + lost must equal produced\n");
	printf("  %-14s %8s %9s %9s %9s %7s %6s %6s %11s\n", "listener",
	       "offered", "made/s", "produced", "delivered", "lost",
	       "unacc", "drops", "delivered/s");
	for (raw = 1; raw >= 0; raw--) {
		for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
			res = rate_run(ctl, raw, rates[i]);
			ok &= print_rate(raw ? "kernel pump" : "libtsmon sub",
					 &res);
			if (!res.err && !res.lost && !res.unaccounted &&
			    res.delivered_per_s > best[raw])
				best[raw] = res.delivered_per_s;
		}
	}
	printf("  kernel pump: raw socket with a %d MiB buffer (the pump's own loss notices count as lost)\n",
	       RAW_RCVBUF >> 20);
	printf("  libtsmon sub: default socket buffer; drops are overflows it replayed from the ring\n");
	printf("  highest loss-free delivery: kernel pump %.0f records/s, libtsmon %.0f records/s\n",
	       best[1], best[0]);
	tsmon_sub_close(ctl);

	off1 = rt_mono_offset();
	if (llabs(off1.off_ns - off0.off_ns) > off0.err_ns + off1.err_ns +
	    10000) {
		printf("REALTIME-MONOTONIC moved %lld ns\n",
		       (long long)(off1.off_ns - off0.off_ns));
		ok = false;
	}
	return ok ? 0 : 1;
}
