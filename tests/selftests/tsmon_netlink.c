// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_netlink - the generic netlink feed and the tsmon_sub_* API.
 *
 * The ring is the reference: whatever a subscription delivers must be the
 * ring's records, each sequence number exactly once and in order, with
 * TSMON_EVENT_LOST records accounting for every sequence number it could
 * not deliver (delivered + lost == produced). Listeners are driven into the
 * situations that break naive feeds - a storm of steps, a socket buffer that
 * overflows, a replay racing the live feed, a ring smaller than the backlog,
 * an unprivileged process, malformed requests, the module going away - and
 * the ring is read back through /dev/tsmon to check what they got.
 *
 * Every run of steps alternates +1 ns and -1 ns, so the clock ends exactly
 * where it started. The module is left loaded with its default parameters.
 */
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <libmnl/libmnl.h>
#include <linux/capability.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <tsmon/netlink.h>

#include "tsmon_selftest.h"
#include "nltest.h"

#define STORM_STEPS	10000
#define SMALL_RING	64
#define SMALL_STEPS	200
#define SHARED_STEPS	20	/* per phase of the two-listener case */
#define NOBODY		65534
#define TSMON_DEFAULT_RING	4096

/* A listener that fell behind this far after the storm has hung. */
#define DRAIN_MS	60000
#define PARAM_DIR	TSMON_SYSMOD "/parameters/"

static uint32_t ring_entries;	/* of the module loaded now */
static struct rt_offset off0;

/* ----------------------------------------------------------- helpers */

static const char *err_name(int err)
{
	return err ? strerror(-err) : "success";
}

/* @n steps of +1 ns and -1 ns in turn: an even @n changes nothing. */
static bool steps_pm(int n)
{
	int i, err;

	for (i = 0; i < n; i++) {
		err = clock_step_ns(i & 1 ? -1 : 1);
		if (err) {
			ksft_print_msg("ADJ_SETOFFSET: %s\n", strerror(-err));
			return false;
		}
	}
	return true;
}

static bool read_param(const char *name, uint32_t *val)
{
	char path[128], line[32], *end;
	unsigned long v;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	if (!read_sysfs_line(path, line, sizeof(line))) {
		ksft_print_msg("cannot read %s\n", path);
		return false;
	}
	errno = 0;
	v = strtoul(line, &end, 10);
	if (errno || *end || v > UINT32_MAX) {
		ksft_print_msg("%s: '%s'\n", path, line);
		return false;
	}
	*val = v;
	return true;
}

static bool sub_open(struct tsmon_sub **s)
{
	int err = tsmon_sub_open(s);

	if (err) {
		ksft_print_msg("tsmon_sub_open: %s\n", strerror(-err));
		*s = NULL;
	}
	return !err;
}

static bool sub_head(struct tsmon_sub *s, uint64_t *head)
{
	struct tsmon_nl_status st;
	int err = tsmon_sub_status(s, &st, NULL);

	if (err) {
		ksft_print_msg("tsmon_sub_status: %s\n", strerror(-err));
		return false;
	}
	*head = st.head;
	return true;
}

/*
 * Shrinks the subscription's socket buffer to the kernel's minimum (a
 * message or two), so that the live feed overflows at once.
 */
static bool sub_starve(struct tsmon_sub *s)
{
	int one = 1;

	if (setsockopt(tsmon_sub_fd(s), SOL_SOCKET, SO_RCVBUF, &one,
		       sizeof(one))) {
		ksft_print_msg("SO_RCVBUF: %s\n", strerror(errno));
		return false;
	}
	return true;
}

/* ----------------------------------------------------------- listener */

enum listener_mode {
	L_FAST,		/* reads as fast as it can */
	L_SLOW,		/* tiny socket buffer, pauses now and then */
	L_STALLED,	/* tiny socket buffer, reads only after the storm */
};

/*
 * What one subscription delivered, checked record by record as it comes:
 * the next sequence number owed is @next, a record must carry exactly that
 * and a loss notice must cover a range starting there.
 */
struct listener {
	const char *name;
	enum listener_mode mode;
	struct tsmon_sub *sub;
	pthread_t thread;
	bool running;
	uint64_t first;		/* first sequence number owed */
	uint64_t next;		/* next sequence number owed */
	uint64_t target;	/* reading stops after this one */
	struct tsmon_record *recs;	/* [seq - first]; seq 0 if not delivered */
	size_t cap;
	uint64_t delivered;
	uint64_t lost;
	uint64_t notices;
	struct tsmon_record last;
	int err;
	char why[200];
};

static atomic_bool storm_done;
static _Atomic uint64_t storm_target;	/* head after the storm, 0 before */

static bool listener_init(struct listener *l, const char *name,
			  enum listener_mode mode, size_t cap)
{
	memset(l, 0, sizeof(*l));
	l->name = name;
	l->mode = mode;
	l->cap = cap;
	l->recs = calloc(cap, sizeof(*l->recs));
	if (!l->recs) {
		ksft_print_msg("out of memory\n");
		return false;
	}
	if (!sub_open(&l->sub))
		return false;
	return mode == L_FAST || sub_starve(l->sub);
}

static void listener_free(struct listener *l)
{
	tsmon_sub_close(l->sub);
	l->sub = NULL;
	free(l->recs);
	l->recs = NULL;
}

static bool listener_start(struct listener *l, enum tsmon_whence whence,
			   uint64_t seq, uint64_t first)
{
	int err = tsmon_sub_start(l->sub, whence, seq);

	if (err) {
		ksft_print_msg("%s: tsmon_sub_start: %s\n", l->name,
			       strerror(-err));
		return false;
	}
	l->first = l->next = first;
	return true;
}

static bool listener_take(struct listener *l, const struct tsmon_record *r)
{
	bool lost = r->type == TSMON_EVENT_LOST;
	uint64_t span = lost ? r->lost.count : 1;

	if (r->seq != l->next) {
		snprintf(l->why, sizeof(l->why),
			 "%s record seq %llu, want %llu (%s)",
			 lost ? "lost" : type_name(r->type),
			 (unsigned long long)r->seq,
			 (unsigned long long)l->next,
			 r->seq < l->next ? "duplicate or reordered" : "gap");
		return false;
	}
	if (lost && (!r->lost.count || r->mono_ns || r->real_ns)) {
		snprintf(l->why, sizeof(l->why),
			 "malformed loss notice at %llu: count %llu",
			 (unsigned long long)r->seq,
			 (unsigned long long)r->lost.count);
		return false;
	}
	if (r->seq - l->first + span > l->cap) {
		snprintf(l->why, sizeof(l->why),
			 "record %llu beyond the %zu expected",
			 (unsigned long long)r->seq, l->cap);
		return false;
	}
	if (lost) {
		l->lost += span;
		l->notices++;
	} else {
		l->recs[r->seq - l->first] = *r;
		l->delivered++;
	}
	l->last = *r;
	l->next += span;
	return true;
}

/* One tsmon_sub_next(): 0, -ETIMEDOUT, its error, or -EPROTO (l->why). */
static int listener_read(struct listener *l, int timeout_ms)
{
	struct tsmon_record r;
	int err = tsmon_sub_next(l->sub, &r, timeout_ms);

	if (err)
		return err;
	return listener_take(l, &r) ? 0 : -EPROTO;
}

/* Reads until everything up to @target arrived; false on any violation. */
static bool listener_drain(struct listener *l, uint64_t target, int ms)
{
	int64_t end = clk_ns(CLOCK_MONOTONIC) + ms * NSEC_PER_MSEC;
	int err;

	while (l->next <= target) {
		if (clk_ns(CLOCK_MONOTONIC) > end) {
			l->err = -ETIMEDOUT;
			break;
		}
		err = listener_read(l, 100);
		if (err && err != -ETIMEDOUT) {
			l->err = err;
			break;
		}
	}
	if (l->err) {
		ksft_print_msg("%s: at %llu of %llu: %s%s%s\n", l->name,
			       (unsigned long long)l->next,
			       (unsigned long long)target, err_name(l->err),
			       l->why[0] ? ": " : "", l->why);
		return false;
	}
	return true;
}

static void *listener_main(void *arg)
{
	struct listener *l = arg;
	int64_t end = 0;
	uint64_t target;
	int err;

	for (;;) {
		target = atomic_load(&storm_target);
		if (target && !end)
			end = clk_ns(CLOCK_MONOTONIC) + DRAIN_MS * NSEC_PER_MSEC;
		if (target && l->next > target)
			break;
		if (end && clk_ns(CLOCK_MONOTONIC) > end) {
			l->err = -ETIMEDOUT;
			break;
		}
		if (l->mode == L_STALLED && !atomic_load(&storm_done)) {
			sleep_ms(5);
			continue;
		}
		err = listener_read(l, 100);
		if (err == -ETIMEDOUT)
			continue;
		if (err) {
			l->err = err;
			break;
		}
		/* Falls behind often enough to overflow its socket. */
		if (l->mode == L_SLOW && !atomic_load(&storm_done) &&
		    l->delivered % 200 == 0)
			sleep_ms(20);
	}
	return NULL;
}

/*
 * The accounting every subscription owes once @target is the head: every
 * sequence number from @first to @target delivered or counted lost, the
 * last record the head itself, and nothing more after it.
 */
static bool listener_complete(struct listener *l, uint64_t target)
{
	struct tsmon_record r;
	uint64_t produced = target - l->first + 1;
	bool ok = true;
	int err;

	if (l->err || l->why[0]) {
		ksft_print_msg("%s: %s%s%s\n", l->name, err_name(l->err),
			       l->why[0] ? ": " : "", l->why);
		return false;
	}
	if (l->next != target + 1 ||
	    l->delivered + l->lost != produced) {
		ksft_print_msg("%s: delivered %llu + lost %llu != produced %llu (next %llu)\n",
			       l->name, (unsigned long long)l->delivered,
			       (unsigned long long)l->lost,
			       (unsigned long long)produced,
			       (unsigned long long)l->next);
		ok = false;
	}
	if (l->last.type == TSMON_EVENT_LOST || l->last.seq != target) {
		print_record("last record", &l->last);
		ksft_print_msg("%s: the last record is not the head %llu\n",
			       l->name, (unsigned long long)target);
		ok = false;
	}
	err = tsmon_sub_next(l->sub, &r, 0);
	if (err != -EAGAIN) {
		ksft_print_msg("%s: after the head: %s, want EAGAIN\n",
			       l->name, err_name(err));
		if (!err)
			print_record("extra", &r);
		ok = false;
	}
	return ok;
}

/*
 * Records the ring still holds once the listener read them can never have
 * been reported lost: everything from @from to @to was delivered.
 */
static bool listener_has(const struct listener *l, uint64_t from, uint64_t to)
{
	uint64_t seq;

	for (seq = from; seq <= to; seq++) {
		if (seq < l->first || seq - l->first >= l->cap ||
		    l->recs[seq - l->first].seq != seq) {
			ksft_print_msg("%s: record %llu, still in the ring, not delivered\n",
				       l->name, (unsigned long long)seq);
			return false;
		}
	}
	return true;
}

/*
 * Every record @l delivered that the ring still holds is byte for byte the
 * ring's record. Returns how many were compared, -1 on a mismatch.
 */
static long ring_compare(struct listener **ls, int n, uint64_t from,
			 uint64_t to)
{
	struct tsmon_cursor c;
	struct tsmon_record r;
	struct tsmon *t;
	long compared = 0;
	bool ok = true;
	int i, err;

	err = tsmon_open(NULL, &t);
	if (err) {
		ksft_print_msg("tsmon_open: %s\n", strerror(-err));
		return -1;
	}
	tsmon_cursor_init(t, &c, TSMON_FROM_SEQ, from);
	while (ok && c.next <= to) {
		err = tsmon_next(t, &c, &r);
		if (err) {
			ksft_print_msg("ring at %llu: %s\n",
				       (unsigned long long)c.next,
				       strerror(-err));
			ok = false;
			break;
		}
		if (r.type == TSMON_EVENT_LOST)
			continue;	/* overwritten since: nothing to compare */
		for (i = 0; i < n; i++) {
			const struct tsmon_record *got;

			if (r.seq < ls[i]->first ||
			    r.seq - ls[i]->first >= ls[i]->cap)
				continue;
			got = &ls[i]->recs[r.seq - ls[i]->first];
			if (!got->seq)
				continue;	/* counted lost */
			if (memcmp(got, &r, sizeof(r))) {
				ksft_print_msg("%s: record %llu differs from the ring\n",
					       ls[i]->name,
					       (unsigned long long)r.seq);
				print_record("delivered", got);
				print_record("ring", &r);
				ok = false;
			}
			compared++;
		}
	}
	tsmon_close(t);
	return ok ? compared : -1;
}

/* A fresh subscription gets two steps, as the records they made. */
static bool delivers_steps(const char *when)
{
	struct tsmon_record rec;
	struct tsmon_sub *s;
	uint64_t head = 0;
	int err, i;

	if (!sub_open(&s))
		return false;
	err = tsmon_sub_start(s, TSMON_FROM_NOW, 0);
	if (!err && !sub_head(s, &head))
		err = -EIO;
	if (!err && !steps_pm(2))
		err = -EIO;
	for (i = 0; !err && i < 2; i++) {
		err = tsmon_sub_next(s, &rec, 3000);
		if (!err && (rec.seq != head + 1 + i ||
			     rec.type != TSMON_EVENT_CLOCK_STEP ||
			     (int64_t)rec.step.delta_ns != (i ? -1 : 1)))
			err = -EPROTO;
	}
	tsmon_sub_close(s);
	if (err)
		ksft_print_msg("steps %s: %s\n", when, strerror(-err));
	return !err;
}

/* ----------------------------------------------------------- raw netlink */

/*
 * A bare generic netlink socket, to send what libtsmon never would and to
 * see the feed exactly as the kernel sends it.
 */
struct rawnl {
	struct mnl_socket *nl;
	uint32_t seq;
	uint16_t family;
	uint32_t group;
};

struct rawreply {
	int err;		/* NLMSG_ERROR / NLMSG_DONE status */
	int replies;		/* other messages answering the request */
	int stray;		/* messages answering something else */
	char msg[160];		/* extended ack message */
};

static unsigned char rawbuf[64 * 1024];

static int raw_family_cb(const struct nlattr *attr, void *data)
{
	struct rawnl *r = data;

	nltest_family_attr(attr, &r->family, &r->group);
	return MNL_CB_OK;
}

static int raw_ack_cb(const struct nlattr *attr, void *data)
{
	struct rawreply *out = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		snprintf(out->msg, sizeof(out->msg), "%s",
			 mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

static void raw_parse_error(const struct nlmsghdr *nlh, struct rawreply *out)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);

	out->err = e->error;
	/* The request is echoed after the header unless the ack is capped. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
		mnl_attr_parse(nlh, off, raw_ack_cb, out);
}

/*
 * Sends @len bytes at @msg, which carry sequence number @seq, and reads
 * until the request is answered by an error, an ack or the end of a dump.
 * -ETIMEDOUT if nothing answers it within the socket's receive timeout.
 */
static int raw_xfer(struct rawnl *r, const void *msg, size_t len, uint32_t seq,
		    struct rawreply *out)
{
	int fd = mnl_socket_get_fd(r->nl);

	memset(out, 0, sizeof(*out));
	if (send(fd, msg, len, 0) < 0)
		return -errno;
	for (;;) {
		const struct nlmsghdr *nlh;
		ssize_t got = recv(fd, rawbuf, sizeof(rawbuf), 0);
		int n;

		if (got < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		n = (int)got;
		for (nlh = (const struct nlmsghdr *)rawbuf; mnl_nlmsg_ok(nlh, n);
		     nlh = mnl_nlmsg_next(nlh, &n)) {
			if (nlh->nlmsg_seq != seq) {
				out->stray++;
				continue;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				raw_parse_error(nlh, out);
				return 0;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int))
					memcpy(&out->err,
					       mnl_nlmsg_get_payload(nlh),
					       sizeof(int));
				return 0;
			}
			out->replies++;
		}
	}
}

static void raw_timeout(struct rawnl *r, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (ms % 1000) * 1000 };

	setsockopt(mnl_socket_get_fd(r->nl), SOL_SOCKET, SO_RCVTIMEO, &tv,
		   sizeof(tv));
}

/* A request header: nlmsghdr + genlmsghdr in @buf. */
static struct nlmsghdr *raw_put(struct rawnl *r, void *buf, uint16_t type,
				uint16_t flags, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++r->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = TSMON_GENL_VERSION;
	return nlh;
}

static void raw_close(struct rawnl *r)
{
	if (r->nl)
		mnl_socket_close(r->nl);
	r->nl = NULL;
}

static bool raw_open(struct rawnl *r)
{
	unsigned char buf[256];
	struct nlmsghdr *nlh;
	int one = 1, n, err;

	memset(r, 0, sizeof(*r));
	r->nl = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	if (!r->nl || mnl_socket_bind(r->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ksft_print_msg("generic netlink socket: %s\n", strerror(errno));
		raw_close(r);
		return false;
	}
	mnl_socket_setsockopt(r->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	raw_timeout(r, 3000);

	nlh = raw_put(r, buf, GENL_ID_CTRL, NLM_F_ACK, CTRL_CMD_GETFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, TSMON_GENL_NAME);
	if (send(mnl_socket_get_fd(r->nl), nlh, nlh->nlmsg_len, 0) < 0)
		goto err;
	do {
		n = (int)recv(mnl_socket_get_fd(r->nl), rawbuf, sizeof(rawbuf),
			      0);
		if (n < 0)
			goto err;
		err = mnl_cb_run(rawbuf, n, r->seq,
				 mnl_socket_get_portid(r->nl), NULL, NULL);
		if (err < 0)
			goto err;
		nlh = (struct nlmsghdr *)rawbuf;
		if (nlh->nlmsg_type == GENL_ID_CTRL)
			mnl_attr_parse(nlh, sizeof(struct genlmsghdr),
				       raw_family_cb, r);
	} while (err > MNL_CB_STOP);
	if (!r->family || !r->group) {
		ksft_print_msg("family %s: id %u, group %u\n", TSMON_GENL_NAME,
			       r->family, r->group);
		raw_close(r);
		return false;
	}
	return true;
err:
	ksft_print_msg("resolving %s: %s\n", TSMON_GENL_NAME, strerror(errno));
	raw_close(r);
	return false;
}

/* ----------------------------------------------------------- cases */

/*
 * Arguments, idle timeouts, the fd, and a status equal to the device's.
 * *usable says whether a subscription could be opened and started at all:
 * only then do the cases after this one have something to test.
 */
static bool case_api(bool *usable)
{
	struct tsmon_nl_status st = { 0 };
	struct tsmon_health h = { 0 }, sth = { 0 };
	struct tsmon_info info = { 0 };
	struct tsmon_record r;
	struct tsmon_sub *s;
	struct tsmon *t;
	uint32_t thr, ivl;
	struct pollfd pfd;
	uint64_t head = 0;
	int64_t t0, ms;
	bool ok = true;
	int err, i;

	*usable = false;
	if (tsmon_sub_open(NULL) != -EINVAL || tsmon_sub_fd(NULL) != -EINVAL ||
	    tsmon_sub_status(NULL, &st, NULL) != -EINVAL ||
	    tsmon_sub_set_config(NULL, 1, 1) != -EINVAL) {
		ksft_print_msg("NULL subscription accepted\n");
		ok = false;
	}
	tsmon_sub_close(NULL);
	if (!sub_open(&s))
		return false;
	if (tsmon_sub_fd(s) < 0 || tsmon_sub_next(s, &r, 0) != -EINVAL ||
	    tsmon_sub_start(s, TSMON_FROM_SEQ, 0) != -EINVAL ||
	    tsmon_sub_start(s, (enum tsmon_whence)99, 0) != -EINVAL) {
		ksft_print_msg("fd, next before start, FROM_SEQ 0 or a bad whence\n");
		ok = false;
	}

	/* The status is the device's own view, taken while nothing moves. */
	err = tsmon_open(NULL, &t);
	if (err) {
		ksft_print_msg("tsmon_open: %s\n", strerror(-err));
		tsmon_sub_close(s);
		return false;
	}
	for (i = 0; i < 5; i++) {
		err = tsmon_sub_status(s, &st, &sth);
		if (err || tsmon_head(t, &head) || !read_health(t, &h))
			break;
		if (head == st.head && !memcmp(&h, &sth, sizeof(h)))
			break;
	}
	tsmon_get_info(t, &info);
	ring_entries = info.ring_entries;
	tsmon_close(t);
	if (err || i == 5) {
		ksft_print_msg("status: %s, head %llu vs %llu, health %s\n",
			       err_name(err), (unsigned long long)st.head,
			       (unsigned long long)head,
			       memcmp(&h, &sth, sizeof(h)) ?
			       "differs" : "equal");
		ok = false;
	}
	if (st.abi_version != info.abi_version ||
	    st.instance_id != info.instance_id ||
	    st.ring_entries != info.ring_entries ||
	    st.record_size != info.record_size ||
	    st.health_size != info.health_size || st.hooks != h.hooks) {
		ksft_print_msg("status abi %u id %llx entries %u record %u health %u hooks %x; device %u %llx %u %u %u %x\n",
			       st.abi_version,
			       (unsigned long long)st.instance_id,
			       st.ring_entries, st.record_size,
			       st.health_size, st.hooks, info.abi_version,
			       (unsigned long long)info.instance_id,
			       info.ring_entries, info.record_size,
			       info.health_size, h.hooks);
		ok = false;
	}
	if (!read_param("phc_freq_threshold_ppb", &thr) ||
	    !read_param("phc_freq_interval_ms", &ivl) ||
	    st.phc_freq_threshold_ppb != thr || st.phc_freq_interval_ms != ivl) {
		ksft_print_msg("status config %u ppb %u ms, parameters %u %u\n",
			       st.phc_freq_threshold_ppb,
			       st.phc_freq_interval_ms, thr, ivl);
		ok = false;
	}

	err = tsmon_sub_start(s, TSMON_FROM_NOW, 0);
	if (err || tsmon_sub_start(s, TSMON_FROM_NOW, 0) != -EINVAL) {
		ksft_print_msg("start: %s, or a second start accepted\n",
			       err_name(err));
		tsmon_sub_close(s);
		return false;
	}
	*usable = true;
	err = tsmon_sub_next(s, &r, 0);
	if (err != -EAGAIN) {
		ksft_print_msg("idle, timeout 0: %s, want EAGAIN\n",
			       err_name(err));
		ok = false;
	}
	t0 = clk_ns(CLOCK_MONOTONIC);
	err = tsmon_sub_next(s, &r, 150);
	ms = (clk_ns(CLOCK_MONOTONIC) - t0) / NSEC_PER_MSEC;
	if (err != -ETIMEDOUT || ms < 150 || ms > 2000) {
		ksft_print_msg("idle, timeout 150 ms: %s after %lld ms\n",
			       err_name(err), (long long)ms);
		ok = false;
	}

	/* The fd is what an event loop polls. */
	if (!steps_pm(2)) {
		tsmon_sub_close(s);
		return false;
	}
	pfd.fd = tsmon_sub_fd(s);
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 3000) != 1 || !(pfd.revents & POLLIN)) {
		ksft_print_msg("the fd did not poll readable after a step\n");
		ok = false;
	}
	for (i = 0; i < 2; i++) {
		err = tsmon_sub_next(s, &r, 3000);
		if (err || r.type != TSMON_EVENT_CLOCK_STEP ||
		    (int64_t)r.step.delta_ns != (i ? -1 : 1) ||
		    r.step.reason != TSMON_STEP_SETOFFSET ||
		    r.seq != st.head + 1 + i) {
			ksft_print_msg("step %d: %s\n", i, err_name(err));
			if (!err)
				print_record("got", &r);
			ok = false;
		}
	}
	tsmon_sub_close(s);
	return ok;
}

/* Case 1: three listeners through a storm of STORM_STEPS steps. */
static bool case_storm(void)
{
	struct listener fast, slow, stalled;
	struct listener *ls[] = { &fast, &slow, &stalled };
	const int n = 3;
	uint64_t head0, head1, target = 0, overwritten, oldest;
	int64_t t0, t1;
	struct tsmon_sub *ctl;
	bool ok = false;
	long compared;
	int i;

	memset(ls[0], 0, sizeof(fast));
	memset(ls[1], 0, sizeof(slow));
	memset(ls[2], 0, sizeof(stalled));
	if (!sub_open(&ctl))
		return false;
	if (!listener_init(&fast, "fast", L_FAST, STORM_STEPS + 1024) ||
	    !listener_init(&slow, "slow", L_SLOW, STORM_STEPS + 1024) ||
	    !listener_init(&stalled, "stalled", L_STALLED, STORM_STEPS + 1024))
		goto out;

	/* All start at the same place: nothing may happen meanwhile. */
	if (!sub_head(ctl, &head0))
		goto out;
	for (i = 0; i < n; i++)
		if (!listener_start(ls[i], TSMON_FROM_NOW, 0, head0 + 1))
			goto out;
	if (!sub_head(ctl, &head1))
		goto out;
	if (head1 != head0) {
		ksft_print_msg("records appeared while starting (%llu -> %llu)\n",
			       (unsigned long long)head0,
			       (unsigned long long)head1);
		goto out;
	}

	atomic_store(&storm_done, false);
	atomic_store(&storm_target, 0);
	for (i = 0; i < n; i++) {
		if (pthread_create(&ls[i]->thread, NULL, listener_main, ls[i])) {
			ksft_print_msg("pthread_create failed\n");
			goto stop;
		}
		ls[i]->running = true;
	}
	t0 = clk_ns(CLOCK_MONOTONIC);
	ok = steps_pm(STORM_STEPS);
	t1 = clk_ns(CLOCK_MONOTONIC);
	ok = sub_head(ctl, &target) && ok;
stop:
	/* Listeners stop at the head, or at once if the storm failed. */
	atomic_store(&storm_target, ok ? target : 1);
	atomic_store(&storm_done, true);
	for (i = 0; i < n; i++)
		if (ls[i]->running)
			pthread_join(ls[i]->thread, NULL);
	if (!ok)
		goto out;

	ksft_print_msg("%d steps in %lld ms, records %llu..%llu\n",
		       STORM_STEPS, (long long)((t1 - t0) / NSEC_PER_MSEC),
		       (unsigned long long)head0 + 1,
		       (unsigned long long)target);
	if (target - head0 < STORM_STEPS) {
		ksft_print_msg("only %llu records for %d steps\n",
			       (unsigned long long)(target - head0),
			       STORM_STEPS);
		ok = false;
	}
	for (i = 0; i < n; i++) {
		ok &= listener_complete(ls[i], target);
		ksft_print_msg("%-8s delivered %llu lost %llu in %llu notices, socket drops %lld\n",
			       ls[i]->name,
			       (unsigned long long)ls[i]->delivered,
			       (unsigned long long)ls[i]->lost,
			       (unsigned long long)ls[i]->notices,
			       socket_drops(tsmon_sub_fd(ls[i]->sub)));
	}
	/*
	 * The stalled listener read nothing during the storm, so it lost at
	 * least what the ring no longer holds (what the pump sent before
	 * its socket overflowed aside) and nothing the ring still holds.
	 */
	overwritten = target - head0 > ring_entries ?
		      target - ring_entries + 1 - (head0 + 1) : 0;
	oldest = target - head0 > ring_entries ?
		 target - ring_entries + 1 : head0 + 1;
	for (i = 0; i < n; i++)
		ok &= listener_has(ls[i], oldest, target);
	if (overwritten && !stalled.lost) {
		ksft_print_msg("stalled: nothing lost of %llu overwritten\n",
			       (unsigned long long)overwritten);
		ok = false;
	}
	/* Otherwise the gap replay was never exercised. */
	if (socket_drops(tsmon_sub_fd(slow.sub)) <= 0 ||
	    socket_drops(tsmon_sub_fd(stalled.sub)) <= 0) {
		ksft_print_msg("the starved sockets did not overflow\n");
		ok = false;
	}
	compared = ring_compare(ls, n, head0 + 1, target);
	ksft_print_msg("%ld delivered records compared with the ring\n",
		       compared);
	if (compared < (long)ring_entries)
		ok = false;
out:
	for (i = 0; i < n; i++)
		listener_free(ls[i]);
	tsmon_sub_close(ctl);
	return ok;
}

/* Case 2: replay joins the live feed without a gap or a duplicate. */
static bool case_replay(void)
{
	struct listener from_seq, oldest, now, ahead;
	struct listener *ls[] = { &from_seq, &oldest, &now, &ahead };
	const int n = 4;
	uint64_t h0, h1, h2, h3;
	struct tsmon_nl_status st;
	struct tsmon_sub *ctl;
	bool ok = false;
	int i, err;

	for (i = 0; i < n; i++)
		memset(ls[i], 0, sizeof(*ls[i]));
	if (!sub_open(&ctl))
		return false;
	if (!listener_init(&from_seq, "FROM_SEQ", L_FAST, ring_entries + 64) ||
	    !listener_init(&oldest, "FROM_OLDEST", L_FAST, ring_entries + 64) ||
	    !listener_init(&now, "FROM_NOW", L_FAST, 64) ||
	    !listener_init(&ahead, "FROM_SEQ ahead", L_FAST, 64))
		goto out;

	/* Six records before anyone listens. */
	if (!sub_head(ctl, &h0) || !steps_pm(6) || !sub_head(ctl, &h1))
		goto out;
	if (!listener_start(&from_seq, TSMON_FROM_SEQ, h0 + 1, h0 + 1) ||
	    !listener_start(&oldest, TSMON_FROM_OLDEST, 0,
			    h1 > ring_entries ? h1 - ring_entries + 1 : 1) ||
	    !listener_start(&now, TSMON_FROM_NOW, 0, h1 + 1) ||
	    !listener_start(&ahead, TSMON_FROM_SEQ, h1 + 3, h1 + 3))
		goto out;
	/* The request socket is the replay's until it is read. */
	err = tsmon_sub_status(from_seq.sub, &st, NULL);
	if (err != -EBUSY) {
		ksft_print_msg("status during a replay: %s, want EBUSY\n",
			       err_name(err));
		goto out;
	}
	/* Six more while the replays are pending: both paths carry them. */
	if (!steps_pm(6) || !sub_head(ctl, &h2))
		goto out;
	ok = true;
	for (i = 0; i < n; i++)
		ok &= listener_drain(ls[i], h2, 5000);
	/* And the live feed after the replay. */
	ok = ok && steps_pm(2) && sub_head(ctl, &h3);
	for (i = 0; ok && i < n; i++)
		ok &= listener_drain(ls[i], h3, 5000) &&
		      listener_complete(ls[i], h3);
	if (!ok)
		goto out;
	ksft_print_msg("before %llu..%llu, during %llu..%llu, after %llu..%llu\n",
		       (unsigned long long)h0 + 1, (unsigned long long)h1,
		       (unsigned long long)h1 + 1, (unsigned long long)h2,
		       (unsigned long long)h2 + 1, (unsigned long long)h3);
	for (i = 0; i < n; i++) {
		ksft_print_msg("%-14s from %llu: delivered %llu lost %llu\n",
			       ls[i]->name, (unsigned long long)ls[i]->first,
			       (unsigned long long)ls[i]->delivered,
			       (unsigned long long)ls[i]->lost);
		/* The first replay batch was copied before the ring moved. */
		if (ls[i]->lost) {
			ksft_print_msg("%s lost records the ring held\n",
				       ls[i]->name);
			ok = false;
		}
	}
	if (h1 - h0 < 6 || now.delivered != h3 - h1 ||
	    ahead.delivered != h3 - h1 - 2 || from_seq.delivered != h3 - h0) {
		ksft_print_msg("wrong record counts\n");
		ok = false;
	}
	if (ring_compare(ls, n, h3 > ring_entries ? h3 - ring_entries + 1 : 1,
			 h3) < (long)(h3 - h0))
		ok = false;
out:
	for (i = 0; i < n; i++)
		listener_free(ls[i]);
	tsmon_sub_close(ctl);
	return ok;
}

/*
 * Case 3: an unprivileged process. It opens its subscription only after
 * dropping to nobody, reads what root reads, and cannot change the
 * configuration.
 */
struct unpriv_hello {
	int uid;
	int open_err;
	int status_err;
	int config_err;
};

struct unpriv_result {
	int err;
	uint64_t delivered;
	uint64_t lost;
	uint64_t n;
};

static bool read_full(int fd, void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len) {
		ssize_t got = read(fd, p, len);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return false;
		p += got;
		len -= (size_t)got;
	}
	return true;
}

static bool write_full(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len) {
		ssize_t put = write(fd, p, len);

		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			return false;
		p += put;
		len -= (size_t)put;
	}
	return true;
}

static void __attribute__((noreturn)) unpriv_child(int in, int out)
{
	struct unpriv_hello hello = { 0 };
	struct unpriv_result res = { 0 };
	struct tsmon_nl_status st;
	struct listener l;
	uint64_t from, target;
	uint64_t i;

	alarm(60);
	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		_exit(2);
	hello.uid = (int)geteuid();
	memset(&l, 0, sizeof(l));
	l.name = "unprivileged";
	l.cap = 2 * SHARED_STEPS + 16;
	l.recs = calloc(l.cap, sizeof(*l.recs));
	if (!l.recs)
		_exit(2);
	hello.open_err = tsmon_sub_open(&l.sub);
	if (!hello.open_err) {
		hello.status_err = tsmon_sub_status(l.sub, &st, NULL);
		hello.config_err = tsmon_sub_set_config(l.sub, 4242, 4242);
	}
	if (!write_full(out, &hello, sizeof(hello)) || hello.open_err)
		_exit(1);

	/* Replay what root made before, then follow the live feed. */
	if (!read_full(in, &from, sizeof(from)))
		_exit(1);
	res.err = tsmon_sub_start(l.sub, TSMON_FROM_SEQ, from);
	l.first = l.next = from;
	if (!write_full(out, &res.err, sizeof(res.err)) || res.err)
		_exit(1);
	if (!read_full(in, &target, sizeof(target)))
		_exit(1);
	while (!res.err && l.next <= target)
		res.err = listener_read(&l, 10000);
	res.delivered = l.delivered;
	res.lost = l.lost;
	res.n = l.next - l.first;
	if (!write_full(out, &res, sizeof(res)))
		_exit(1);
	for (i = 0; i < res.n && i < l.cap; i++)
		if (!write_full(out, &l.recs[i], sizeof(l.recs[i])))
			_exit(1);
	_exit(0);
}

static bool config_is(uint32_t thr, uint32_t ivl)
{
	uint32_t t, i;

	if (!read_param("phc_freq_threshold_ppb", &t) ||
	    !read_param("phc_freq_interval_ms", &i))
		return false;
	if (t == thr && i == ivl)
		return true;
	ksft_print_msg("parameters %u ppb %u ms, want %u %u\n", t, i, thr, ivl);
	return false;
}

static bool case_unprivileged(void)
{
	int to_child[2] = { -1, -1 }, from_child[2] = { -1, -1 };
	struct unpriv_hello hello;
	struct unpriv_result res;
	struct tsmon_nl_status st;
	struct tsmon_record r;
	struct listener root;
	uint32_t thr, ivl;
	uint64_t h0, h1, h2, i;
	bool ok = false;
	pid_t pid;
	int status, err;

	memset(&root, 0, sizeof(root));
	if (!read_param("phc_freq_threshold_ppb", &thr) ||
	    !read_param("phc_freq_interval_ms", &ivl))
		return false;
	if (pipe2(to_child, O_CLOEXEC) || pipe2(from_child, O_CLOEXEC)) {
		ksft_print_msg("pipe: %s\n", strerror(errno));
		goto out_pipes;
	}
	/* Before this process opens anything the child could inherit. */
	pid = fork();
	if (pid < 0) {
		ksft_print_msg("fork: %s\n", strerror(errno));
		goto out_pipes;
	}
	if (pid == 0) {
		close(to_child[1]);
		close(from_child[0]);
		unpriv_child(to_child[0], from_child[1]);
	}
	close(to_child[0]);
	close(from_child[1]);
	to_child[0] = from_child[1] = -1;

	if (!read_full(from_child[0], &hello, sizeof(hello))) {
		ksft_print_msg("the unprivileged child died\n");
		goto out_child;
	}
	ksft_print_msg("uid %d: open %s, status %s, set_config %s\n",
		       hello.uid, err_name(hello.open_err),
		       err_name(hello.status_err), err_name(hello.config_err));
	if (hello.uid != NOBODY || hello.open_err || hello.status_err ||
	    hello.config_err != -EPERM || !config_is(thr, ivl))
		goto out_child;

	if (!listener_init(&root, "root", L_FAST, 2 * SHARED_STEPS + 16))
		goto out_child;
	if (!sub_head(root.sub, &h0) ||
	    !listener_start(&root, TSMON_FROM_NOW, 0, h0 + 1))
		goto out_child;
	if (!steps_pm(SHARED_STEPS))
		goto out_child;
	h1 = h0 + 1;
	if (!write_full(to_child[1], &h1, sizeof(h1)) ||
	    !read_full(from_child[0], &err, sizeof(err)) || err) {
		ksft_print_msg("unprivileged FROM_SEQ start: %s\n",
			       err_name(err));
		goto out_child;
	}
	if (!steps_pm(SHARED_STEPS) || !sub_head(root.sub, &h2))
		goto out_child;
	if (!write_full(to_child[1], &h2, sizeof(h2)) ||
	    !listener_drain(&root, h2, 10000) ||
	    !listener_complete(&root, h2))
		goto out_child;
	if (!read_full(from_child[0], &res, sizeof(res))) {
		ksft_print_msg("no result from the unprivileged child\n");
		goto out_child;
	}
	ksft_print_msg("root delivered %llu, unprivileged %llu (%s), lost %llu / %llu\n",
		       (unsigned long long)root.delivered,
		       (unsigned long long)res.delivered, err_name(res.err),
		       (unsigned long long)root.lost,
		       (unsigned long long)res.lost);
	if (res.err || res.n != h2 - h0 || res.delivered != h2 - h0 ||
	    root.delivered != h2 - h0 || root.lost || res.lost ||
	    h2 - h0 < 2 * SHARED_STEPS)
		goto out_child;
	ok = true;
	for (i = 0; i < res.n; i++) {
		if (!read_full(from_child[0], &r, sizeof(r))) {
			ok = false;
			break;
		}
		if (memcmp(&r, &root.recs[i], sizeof(r))) {
			print_record("unprivileged", &r);
			print_record("root", &root.recs[i]);
			ok = false;
		}
	}
out_child:
	close(to_child[1]);
	close(from_child[0]);
	to_child[1] = from_child[0] = -1;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		ksft_print_msg("unprivileged child: status %#x\n", status);
		ok = false;
	}
	if (!ok)
		goto out_pipes;

	/* Root may: both values at once, then back. */
	err = tsmon_sub_set_config(root.sub, thr + 777, ivl + 5);
	if (err || !config_is(thr + 777, ivl + 5) ||
	    tsmon_sub_status(root.sub, &st, NULL) ||
	    st.phc_freq_threshold_ppb != thr + 777 ||
	    st.phc_freq_interval_ms != ivl + 5) {
		ksft_print_msg("root set_config: %s\n", err_name(err));
		ok = false;
	}
	/* A negative value leaves that setting alone. */
	err = tsmon_sub_set_config(root.sub, thr, -1);
	if (err || !config_is(thr, ivl + 5))
		ok = false;
	err = tsmon_sub_set_config(root.sub, -1, ivl);
	if (err || !config_is(thr, ivl)) {
		ksft_print_msg("restoring the configuration: %s\n",
			       err_name(err));
		ok = false;
	}
out_pipes:
	listener_free(&root);
	if (to_child[0] >= 0)
		close(to_child[0]);
	if (to_child[1] >= 0)
		close(to_child[1]);
	if (from_child[0] >= 0)
		close(from_child[0]);
	if (from_child[1] >= 0)
		close(from_child[1]);
	return ok;
}

/*
 * SET_CONFIG needs CAP_NET_ADMIN or CAP_SYS_TIME, either one alone; uid 0
 * is not enough. Each child keeps only the capabilities given before it
 * opens its subscription, since the kernel checks the socket's opener too.
 */
static int caps_only(uint32_t caps)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { { 0 } };

	data[0].effective = data[0].permitted = caps;
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

static bool set_config_with(uint32_t caps, const char *what, uint32_t value,
			    int want)
{
	struct tsmon_sub *s;
	int status, err;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		alarm(30);
		err = caps_only(caps);
		if (!err)
			err = tsmon_sub_open(&s);
		if (!err) {
			err = tsmon_sub_set_config(s, value, -1);
			tsmon_sub_close(s);
		}
		ksft_print_msg("uid 0 with %s: set_config %s\n", what,
			       err_name(err));
		_exit(err == want ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		ksft_print_msg("with %s: want %s\n", what, err_name(want));
		return false;
	}
	return true;
}

static bool case_caps(void)
{
	struct tsmon_sub *root;
	uint32_t thr, ivl;
	bool ok = true;

	if (!read_param("phc_freq_threshold_ppb", &thr) ||
	    !read_param("phc_freq_interval_ms", &ivl) || !sub_open(&root))
		return false;
	ok &= set_config_with(1U << CAP_SYS_TIME, "CAP_SYS_TIME", thr + 11, 0);
	ok &= config_is(thr + 11, ivl);
	ok &= set_config_with(1U << CAP_NET_ADMIN, "CAP_NET_ADMIN", thr + 12,
			      0);
	ok &= config_is(thr + 12, ivl);
	ok &= set_config_with(1U << CAP_SYS_ADMIN | 1U << CAP_SYS_MODULE,
			      "CAP_SYS_ADMIN and CAP_SYS_MODULE", thr + 13,
			      -EPERM);
	ok &= config_is(thr + 12, ivl);
	ok &= set_config_with(0, "no capability", thr + 14, -EPERM);
	ok &= tsmon_sub_set_config(root, thr, -1) == 0 && config_is(thr, ivl);
	tsmon_sub_close(root);
	return ok;
}

/* Case 4: malformed requests. */
static bool expect_reply(struct rawnl *r, const char *what, const void *msg,
			 size_t len, uint32_t seq, int want, bool want_msg)
{
	struct rawreply rep;
	int err = raw_xfer(r, msg, len, seq, &rep);

	if (err) {
		ksft_print_msg("%s: no answer (%s)\n", what, strerror(-err));
		return false;
	}
	if (rep.err != want || rep.replies || rep.stray ||
	    (want_msg && !rep.msg[0])) {
		ksft_print_msg("%s: %s (\"%s\"), %d replies, %d stray; want %s%s\n",
			       what, err_name(rep.err), rep.msg, rep.replies,
			       rep.stray, err_name(want),
			       want_msg ? " with a message" : "");
		return false;
	}
	ksft_print_msg("%-40s %s%s%s%s\n", what, err_name(rep.err),
		       rep.msg[0] ? " (\"" : "", rep.msg,
		       rep.msg[0] ? "\")" : "");
	return true;
}

static bool expect_bad(struct rawnl *r, const char *what,
		       const struct nlmsghdr *nlh, int want, bool want_msg)
{
	return expect_reply(r, what, nlh, nlh->nlmsg_len, nlh->nlmsg_seq, want,
			    want_msg);
}

static bool case_malformed(void)
{
	unsigned char buf[512];
	struct nlmsghdr *nlh;
	struct tsmon_sub *s;
	struct genlmsghdr *g;
	struct rawnl r;
	uint32_t thr, ivl;
	uint16_t seq16 = 1;
	bool ok = true;
	int err;

	if (!read_param("phc_freq_threshold_ppb", &thr) ||
	    !read_param("phc_freq_interval_ms", &ivl) || !raw_open(&r))
		return false;

	nlh = raw_put(&r, buf, r.family, NLM_F_DUMP, TSMON_CMD_GET_EVENTS);
	mnl_attr_put(nlh, TSMON_A_SEQ, sizeof(seq16), &seq16);
	ok &= expect_bad(&r, "dump, TSMON_A_SEQ of 2 bytes", nlh, -EINVAL,
			 true);

	nlh = raw_put(&r, buf, r.family, NLM_F_DUMP, TSMON_CMD_GET_EVENTS);
	mnl_attr_put_u64(nlh, TSMON_A_SEQ, 0);
	ok &= expect_bad(&r, "dump, TSMON_A_SEQ 0", nlh, -ERANGE, true);

	nlh = raw_put(&r, buf, r.family, NLM_F_ACK, TSMON_CMD_GET_STATUS);
	mnl_attr_put_u32(nlh, TSMON_A_MAX + 20, 1);
	ok &= expect_bad(&r, "status, attribute type beyond the maximum", nlh,
			 -EINVAL, true);

	nlh = raw_put(&r, buf, r.family, NLM_F_ACK, TSMON_CMD_GET_STATUS);
	mnl_attr_put_u64(nlh, TSMON_A_HEAD, 1);
	ok &= expect_bad(&r, "status, attribute outside the policy", nlh,
			 -EINVAL, true);

	nlh = raw_put(&r, buf, r.family, NLM_F_ACK, TSMON_CMD_SET_CONFIG);
	mnl_attr_put_u32(nlh, TSMON_A_CFG_PHC_FREQ_THRESHOLD_PPB, 2000000000U);
	ok &= expect_bad(&r, "set_config, threshold 2e9 ppb", nlh, -ERANGE,
			 true);

	nlh = raw_put(&r, buf, r.family, NLM_F_ACK, TSMON_CMD_SET_CONFIG);
	mnl_attr_put_u32(nlh, TSMON_A_CFG_PHC_FREQ_THRESHOLD_PPB, thr + 1);
	mnl_attr_put_u32(nlh, TSMON_A_CFG_PHC_FREQ_INTERVAL_MS, 3600001U);
	ok &= expect_bad(&r, "set_config, good threshold, interval > 1 h",
			 nlh, -ERANGE, true);

	nlh = raw_put(&r, buf, r.family, NLM_F_ACK, TSMON_CMD_SET_CONFIG);
	mnl_attr_put_u64(nlh, TSMON_A_CFG_PHC_FREQ_THRESHOLD_PPB, 5);
	ok &= expect_bad(&r, "set_config, threshold as u64", nlh, -EINVAL,
			 true);

	nlh = raw_put(&r, buf, r.family, NLM_F_ACK, TSMON_CMD_SET_CONFIG);
	ok &= expect_bad(&r, "set_config, no attribute", nlh, -EINVAL, true);

	/* The same through the library. */
	err = tsmon_sub_open(&s);
	if (!err) {
		if (tsmon_sub_set_config(s, 2000000000LL, -1) != -ERANGE ||
		    tsmon_sub_set_config(s, -1, -1) != -EINVAL ||
		    tsmon_sub_set_config(s, 1LL << 32, -1) != -EINVAL) {
			ksft_print_msg("tsmon_sub_set_config accepted a bad value\n");
			ok = false;
		}
		tsmon_sub_close(s);
	}
	ok &= !err && config_is(thr, ivl);

	nlh = raw_put(&r, buf, r.family, NLM_F_ACK, 0x7f);
	ok &= expect_bad(&r, "unknown command", nlh, -EOPNOTSUPP, false);

	nlh = raw_put(&r, buf, r.family, NLM_F_ACK, TSMON_CMD_UNSPEC);
	ok &= expect_bad(&r, "command 0", nlh, -EOPNOTSUPP, false);

	nlh = raw_put(&r, buf, r.family, NLM_F_ACK, TSMON_CMD_EVENT);
	ok &= expect_bad(&r, "TSMON_CMD_EVENT as a request", nlh, -EOPNOTSUPP,
			 false);

	nlh = raw_put(&r, buf, r.family, NLM_F_ACK, TSMON_CMD_GET_EVENTS);
	ok &= expect_bad(&r, "GET_EVENTS without NLM_F_DUMP", nlh,
			 -EOPNOTSUPP, false);

	nlh = raw_put(&r, buf, r.family, NLM_F_DUMP, TSMON_CMD_GET_STATUS);
	ok &= expect_bad(&r, "GET_STATUS as a dump", nlh, -EOPNOTSUPP, false);

	nlh = raw_put(&r, buf, r.family, NLM_F_ACK, TSMON_CMD_GET_STATUS);
	g = mnl_nlmsg_get_payload(nlh);
	g->reserved = 1;
	ok &= expect_bad(&r, "nonzero reserved header bytes", nlh, -EINVAL,
			 true);

	nlh = raw_put(&r, buf, r.family, NLM_F_ACK | NLM_F_REPLACE,
		      TSMON_CMD_GET_STATUS);
	ok &= expect_bad(&r, "NLM_F_REPLACE on a request", nlh, -EINVAL, true);

	nlh = raw_put(&r, buf, r.family, NLM_F_ACK, TSMON_CMD_GET_STATUS);
	nlh->nlmsg_len = NLMSG_HDRLEN + 2;
	ok &= expect_bad(&r, "message shorter than the genl header", nlh,
			 -EINVAL, false);

	/* Two bytes after the last attribute: not a whole attribute. */
	nlh = raw_put(&r, buf, r.family, NLM_F_ACK, TSMON_CMD_GET_STATUS);
	memset((char *)nlh + nlh->nlmsg_len, 0, 4);
	nlh->nlmsg_len += 2;
	ok &= expect_bad(&r, "trailing bytes after the attributes", nlh,
			 -EINVAL, true);

	/* An attribute whose length runs past the message. */
	nlh = raw_put(&r, buf, r.family, NLM_F_DUMP, TSMON_CMD_GET_EVENTS);
	mnl_attr_put_u64(nlh, TSMON_A_SEQ, 1);
	((struct nlattr *)((char *)nlh + NLMSG_HDRLEN + GENL_HDRLEN))->nla_len =
		64;
	ok &= expect_bad(&r, "attribute longer than the message", nlh,
			 -EINVAL, true);

	/*
	 * A netlink header claiming less than itself is dropped by the
	 * netlink core without an answer; the socket stays in step.
	 */
	nlh = raw_put(&r, buf, r.family, NLM_F_ACK, TSMON_CMD_GET_STATUS);
	nlh->nlmsg_len = 8;
	{
		struct rawreply rep;

		raw_timeout(&r, 300);
		err = raw_xfer(&r, nlh, NLMSG_HDRLEN + GENL_HDRLEN,
			       nlh->nlmsg_seq, &rep);
		raw_timeout(&r, 3000);
		if (err != -ETIMEDOUT) {
			ksft_print_msg("nlmsg_len 8: %s (%s), want no answer\n",
				       err_name(err), err_name(rep.err));
			ok = false;
		}
	}

	/* Nothing changed, and a good request still gets its answer. */
	ok &= config_is(thr, ivl);
	nlh = raw_put(&r, buf, r.family, NLM_F_ACK, TSMON_CMD_GET_STATUS);
	{
		struct rawreply rep;

		err = raw_xfer(&r, nlh, nlh->nlmsg_len, nlh->nlmsg_seq, &rep);
		if (err || rep.err || rep.replies != 1 || rep.stray) {
			ksft_print_msg("good status request: %s / %s, %d replies, %d stray\n",
				       err_name(err), err_name(rep.err),
				       rep.replies, rep.stray);
			ok = false;
		}
	}
	raw_close(&r);

	return delivers_steps("after the malformed requests") && ok;
}

/* One multicast message, attribute by attribute. */
struct raw_event {
	const struct nlattr *tb[TSMON_A_MAX + 1];
};

static int raw_event_cb(const struct nlattr *attr, void *data)
{
	struct raw_event *ev = data;
	int type = mnl_attr_get_type(attr);

	if (type > 0 && type <= TSMON_A_MAX)
		ev->tb[type] = attr;
	return MNL_CB_OK;
}

/*
 * Receives the next event on the raw socket and checks its attributes
 * against the record it carries; @rec gets the record.
 */
static bool raw_recv_event(struct rawnl *r, uint32_t record_size,
			   struct tsmon_record *rec)
{
	const struct genlmsghdr *g;
	const struct nlmsghdr *nlh;
	struct raw_event ev = { { 0 } };
	ssize_t got;

	got = recv(mnl_socket_get_fd(r->nl), rawbuf, sizeof(rawbuf), 0);
	if (got < 0) {
		ksft_print_msg("no event: %s\n", strerror(errno));
		return false;
	}
	nlh = (const struct nlmsghdr *)rawbuf;
	if (!mnl_nlmsg_ok(nlh, (int)got) || nlh->nlmsg_type != r->family) {
		ksft_print_msg("unexpected message type %u\n",
			       nlh->nlmsg_type);
		return false;
	}
	g = mnl_nlmsg_get_payload(nlh);
	if (g->cmd != TSMON_CMD_EVENT || g->version != TSMON_GENL_VERSION ||
	    mnl_attr_parse(nlh, sizeof(*g), raw_event_cb, &ev) < 0) {
		ksft_print_msg("event: cmd %u version %u\n", g->cmd,
			       g->version);
		return false;
	}
	if (!ev.tb[TSMON_A_RECORD] ||
	    mnl_attr_get_payload_len(ev.tb[TSMON_A_RECORD]) != record_size ||
	    record_size < sizeof(*rec)) {
		ksft_print_msg("TSMON_A_RECORD missing or not %u bytes\n",
			       record_size);
		return false;
	}
	memcpy(rec, mnl_attr_get_payload(ev.tb[TSMON_A_RECORD]), sizeof(*rec));
	if (mnl_attr_validate(ev.tb[TSMON_A_SEQ], MNL_TYPE_U64) ||
	    mnl_attr_validate(ev.tb[TSMON_A_TYPE], MNL_TYPE_U32) ||
	    mnl_attr_validate(ev.tb[TSMON_A_MONO_NS], MNL_TYPE_U64) ||
	    mnl_attr_validate(ev.tb[TSMON_A_REAL_NS], MNL_TYPE_U64) ||
	    mnl_attr_get_u64(ev.tb[TSMON_A_SEQ]) != rec->seq ||
	    mnl_attr_get_u32(ev.tb[TSMON_A_TYPE]) != rec->type ||
	    mnl_attr_get_u64(ev.tb[TSMON_A_MONO_NS]) != rec->mono_ns ||
	    mnl_attr_get_u64(ev.tb[TSMON_A_REAL_NS]) != rec->real_ns) {
		ksft_print_msg("event attributes disagree with the record\n");
		print_record("record", rec);
		return false;
	}
	return true;
}

/* The next event on the raw socket, a record or a loss notice. */
static bool raw_recv_event_or_lost(struct rawnl *r, struct tsmon_record *rec)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)rawbuf;
	struct raw_event ev = { { 0 } };
	ssize_t got;

	got = recv(mnl_socket_get_fd(r->nl), rawbuf, sizeof(rawbuf), 0);
	if (got < 0 || !mnl_nlmsg_ok(nlh, (int)got) ||
	    nlh->nlmsg_type != r->family ||
	    mnl_attr_parse(nlh, sizeof(struct genlmsghdr), raw_event_cb,
			   &ev) < 0) {
		ksft_print_msg("no event: %s\n",
			       got < 0 ? strerror(errno) : "bad message");
		return false;
	}
	memset(rec, 0, sizeof(*rec));
	if (ev.tb[TSMON_A_RECORD]) {
		memcpy(rec, mnl_attr_get_payload(ev.tb[TSMON_A_RECORD]),
		       sizeof(*rec));
		return true;
	}
	if (!ev.tb[TSMON_A_SEQ] || !ev.tb[TSMON_A_TYPE] ||
	    !ev.tb[TSMON_A_LOST] ||
	    mnl_attr_get_u32(ev.tb[TSMON_A_TYPE]) != TSMON_EVENT_LOST) {
		ksft_print_msg("an event with neither a record nor a loss\n");
		return false;
	}
	rec->type = TSMON_EVENT_LOST;
	rec->seq = mnl_attr_get_u64(ev.tb[TSMON_A_SEQ]);
	rec->lost.count = mnl_attr_get_u64(ev.tb[TSMON_A_LOST]);
	return true;
}

/*
 * The feed as the kernel sends it: a socket that joins the group gets the
 * first record made after it joined, not records made while nobody
 * listened, each message carrying the ring's record and its fields.
 */
static int raw_feed_once(struct tsmon *t, uint32_t record_size, int settle_ms)
{
	struct tsmon_record ev, ring;
	struct tsmon_cursor c;
	struct rawnl r;
	uint64_t head;
	int ret = -EIO;
	int i, err;

	if (!raw_open(&r))
		return -EIO;
	/* Made with nobody listening; the pump catches up meanwhile. */
	if (!steps_pm(4))
		goto out;
	sleep_ms(settle_ms);
	if (mnl_socket_setsockopt(r.nl, NETLINK_ADD_MEMBERSHIP, &r.group,
				  sizeof(r.group)) < 0) {
		ksft_print_msg("joining the group: %s\n", strerror(errno));
		goto out;
	}
	tsmon_head(t, &head);
	if (!steps_pm(2))
		goto out;
	for (i = 0; i < 2; i++) {
		if (!raw_recv_event(&r, record_size, &ev))
			goto out;
		if (ev.seq < head + 1) {
			/* The pump had not caught up when the socket joined. */
			ksft_print_msg("record %llu from before the join after %d ms\n",
				       (unsigned long long)ev.seq, settle_ms);
			ret = -EAGAIN;
			goto out;
		}
		tsmon_cursor_init(t, &c, TSMON_FROM_SEQ, head + 1 + i);
		err = tsmon_next(t, &c, &ring);
		if (ev.seq != head + 1 + i || err ||
		    memcmp(&ev, &ring, sizeof(ev)) ||
		    ev.type != TSMON_EVENT_CLOCK_STEP ||
		    (int64_t)ev.step.delta_ns != (i ? -1 : 1)) {
			ksft_print_msg("event %d, want seq %llu as in the ring (%s)\n",
				       i, (unsigned long long)head + 1 + i,
				       err_name(err));
			print_record("event", &ev);
			print_record("ring", &ring);
			goto out;
		}
	}
	raw_timeout(&r, 300);
	if (recv(mnl_socket_get_fd(r.nl), rawbuf, sizeof(rawbuf), 0) >= 0) {
		ksft_print_msg("a message after the last event\n");
		goto out;
	}
	ret = 0;
out:
	raw_close(&r);
	return ret;
}

/*
 * The feed as the kernel sends it: a socket that joins the group gets the
 * first record made after it joined, not records made while nobody
 * listened, each message carrying the ring's record and its fields. Only
 * a pump still busy when the socket joined excuses an older record; then
 * the pump is given longer.
 */
static bool case_raw_feed(void)
{
	static const int settle_ms[] = { 300, 1000, 3000 };
	struct tsmon_info info;
	struct tsmon *t;
	size_t i;
	int err;

	err = tsmon_open(NULL, &t);
	if (err) {
		ksft_print_msg("tsmon_open: %s\n", strerror(-err));
		return false;
	}
	tsmon_get_info(t, &info);
	err = -EAGAIN;
	for (i = 0; err == -EAGAIN && i < sizeof(settle_ms) /
	     sizeof(settle_ms[0]); i++)
		err = raw_feed_once(t, info.record_size, settle_ms[i]);
	tsmon_close(t);
	return !err;
}

/* The clock is global; the feed lives in the initial network namespace. */
static bool case_netns(void)
{
	struct tsmon_sub *s;
	int status, err;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		alarm(30);
		if (unshare(CLONE_NEWNET))
			_exit(2);
		err = tsmon_sub_open(&s);
		if (!err)
			tsmon_sub_close(s);
		_exit(err == -ENOENT ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		ksft_print_msg("tsmon_sub_open in a new network namespace: status %#x, want ENOENT\n",
			       status);
		return false;
	}
	return true;
}

/*
 * Case 2, continued: a replay from before the oldest record the ring holds
 * starts with one loss notice counting exactly the overwritten records.
 */
static bool case_small_ring(void)
{
	struct listener from_seq, oldest, stalled;
	struct listener *ls[] = { &from_seq, &oldest, &stalled };
	const int n = 3;
	uint64_t h0, h, overwritten;
	struct tsmon_nl_status st;
	struct tsmon_sub *ctl = NULL;
	bool ok = false;
	int i, err;

	for (i = 0; i < n; i++)
		memset(ls[i], 0, sizeof(*ls[i]));
	err = module_loaded() ? module_unload() : 0;
	if (!err)
		err = module_load("ring_entries=64");
	if (err) {
		ksft_print_msg("reloading with ring_entries=%d: %s\n",
			       SMALL_RING, strerror(-err));
		return false;
	}
	if (!sub_open(&ctl) || tsmon_sub_status(ctl, &st, NULL) ||
	    st.ring_entries != SMALL_RING)
		goto out;
	ring_entries = SMALL_RING;
	h0 = st.head;
	if (!listener_init(&stalled, "stalled", L_STALLED, SMALL_STEPS + 64) ||
	    !listener_start(&stalled, TSMON_FROM_NOW, 0, h0 + 1))
		goto out;
	if (!steps_pm(SMALL_STEPS) || !sub_head(ctl, &h))
		goto out;
	overwritten = h - SMALL_RING + 1 - (h0 + 1);
	if (!listener_init(&from_seq, "FROM_SEQ", L_FAST, SMALL_STEPS + 64) ||
	    !listener_init(&oldest, "FROM_OLDEST", L_FAST, SMALL_STEPS + 64) ||
	    !listener_start(&from_seq, TSMON_FROM_SEQ, h0 + 1, h0 + 1) ||
	    !listener_start(&oldest, TSMON_FROM_OLDEST, 0, h - SMALL_RING + 1))
		goto out;
	ok = true;
	for (i = 0; i < n; i++)
		ok &= listener_drain(ls[i], h, 5000) &&
		      listener_complete(ls[i], h);
	if (!ok)
		goto out;
	ksft_print_msg("%llu records, ring %d: %llu overwritten\n",
		       (unsigned long long)(h - h0), SMALL_RING,
		       (unsigned long long)overwritten);
	for (i = 0; i < n; i++)
		ksft_print_msg("%-11s delivered %llu lost %llu in %llu notices\n",
			       ls[i]->name,
			       (unsigned long long)ls[i]->delivered,
			       (unsigned long long)ls[i]->lost,
			       (unsigned long long)ls[i]->notices);
	/*
	 * The replays ran after the ring turned over: exactly one notice,
	 * then the ring. The stalled listener's live feed may have carried
	 * a few records before its socket overflowed, but never lost what
	 * the ring holds.
	 */
	if (h - h0 < SMALL_STEPS ||
	    from_seq.recs[0].seq || from_seq.lost != overwritten ||
	    from_seq.notices != 1 || from_seq.delivered != SMALL_RING ||
	    oldest.lost || oldest.delivered != SMALL_RING || !stalled.lost) {
		ksft_print_msg("want FROM_SEQ: one notice of %llu, then %d\n",
			       (unsigned long long)overwritten, SMALL_RING);
		ok = false;
	}
	for (i = 0; i < n; i++)
		ok &= listener_has(ls[i], h - SMALL_RING + 1, h);
	if (ring_compare(ls, n, h - SMALL_RING + 1, h) != 3 * SMALL_RING)
		ok = false;
out:
	for (i = 0; i < n; i++)
		listener_free(ls[i]);
	tsmon_sub_close(ctl);
	return ok;
}

/*
 * The pump's loss notice arrives after a replay already went further: a
 * subscription replays the ring while the pump is held off its CPU, then
 * the ring turns over before the pump runs. The pump reports one notice
 * from where it stood; the subscription must pass on only the part of it
 * beyond what it delivered. A raw socket shows the pump's own notice.
 */
struct overlap {
	struct listener *l;
	struct tsmon_sub *ctl;
	uint64_t h0, h_mid, h_end;
	bool ok;
};

static void *overlap_main(void *arg)
{
	struct sched_param sp = { .sched_priority = 10 };
	struct overlap *o = arg;
	cpu_set_t cpu0;
	int err;

	/*
	 * The pump is a work item queued on the CPU that made the record; a
	 * real-time thread on that CPU keeps it from running until it sleeps.
	 */
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	err = pthread_setaffinity_np(pthread_self(), sizeof(cpu0), &cpu0);
	if (!err)
		err = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	if (err) {
		ksft_print_msg("real-time stepper on CPU 0: %s\n",
			       strerror(err));
		return NULL;
	}
	if (!steps_pm(SMALL_STEPS / 2) || !sub_head(o->ctl, &o->h_mid) ||
	    !listener_start(o->l, TSMON_FROM_OLDEST, 0,
			    o->h_mid - SMALL_RING + 1))
		return NULL;
	/* The whole replay; the live feed has nothing yet. */
	while (!(err = listener_read(o->l, 0)))
		;
	if (err != -EAGAIN || o->l->next != o->h_mid + 1) {
		ksft_print_msg("replay: %s at %llu, want EAGAIN at %llu\n",
			       err_name(err), (unsigned long long)o->l->next,
			       (unsigned long long)o->h_mid + 1);
		return NULL;
	}
	o->ok = steps_pm(SMALL_STEPS / 2) && sub_head(o->ctl, &o->h_end);
	return NULL;
}

static bool case_pump_overlap(void)
{
	struct overlap o = { 0 };
	struct tsmon_nl_status st;
	struct listener l;
	struct tsmon_record ev;
	struct rawnl r;
	uint64_t oldest, seq, pump_from;
	pthread_t thread;
	int size = 4 << 20;
	bool ok = false;

	memset(&l, 0, sizeof(l));
	if (!raw_open(&r))
		return false;
	if (!sub_open(&o.ctl) ||
	    !listener_init(&l, "overlap", L_FAST, SMALL_STEPS + 64))
		goto out;
	if (setsockopt(mnl_socket_get_fd(r.nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &size, sizeof(size)) ||
	    mnl_socket_setsockopt(r.nl, NETLINK_ADD_MEMBERSHIP, &r.group,
				  sizeof(r.group)) < 0) {
		ksft_print_msg("raw listener: %s\n", strerror(errno));
		goto out;
	}
	if (tsmon_sub_status(o.ctl, &st, NULL) || st.ring_entries != SMALL_RING) {
		ksft_print_msg("needs the module with ring_entries=%d\n",
			       SMALL_RING);
		goto out;
	}
	if (!sub_head(o.ctl, &o.h0))
		goto out;
	o.l = &l;
	if (pthread_create(&thread, NULL, overlap_main, &o)) {
		ksft_print_msg("pthread_create failed\n");
		goto out;
	}
	pthread_join(thread, NULL);
	if (!o.ok)
		goto out;
	oldest = o.h_end - SMALL_RING + 1;

	/*
	 * What the pump still owed the previous case may come first. Then,
	 * as it ran only now: one notice from where it stood - before what
	 * the subscription replayed - up to the oldest record, then the ring.
	 */
	do {
		ok = raw_recv_event_or_lost(&r, &ev);
	} while (ok && ev.seq + (ev.type == TSMON_EVENT_LOST ?
				 ev.lost.count : 1) <= o.h0 + 1);
	if (ok && (ev.type != TSMON_EVENT_LOST || ev.seq > o.h0 + 1 ||
		   ev.seq + ev.lost.count != oldest)) {
		print_record("pump sent", &ev);
		ksft_print_msg("want a loss notice from %llu or before to %llu: the pump was not held back\n",
			       (unsigned long long)o.h0 + 1,
			       (unsigned long long)oldest);
		ok = false;
	}
	pump_from = ev.seq;
	for (seq = oldest; ok && seq <= o.h_end; seq++) {
		ok = raw_recv_event_or_lost(&r, &ev);
		if (ok && (ev.type == TSMON_EVENT_LOST || ev.seq != seq)) {
			print_record("pump sent", &ev);
			ksft_print_msg("want record %llu\n",
				       (unsigned long long)seq);
			ok = false;
		}
	}
	if (!ok)
		goto out;
	ok = listener_drain(&l, o.h_end, 5000) &&
	     listener_complete(&l, o.h_end);
	ksft_print_msg("replayed %llu..%llu, pump notice %llu+%llu; delivered %llu lost %llu in %llu notices\n",
		       (unsigned long long)(o.h_mid - SMALL_RING + 1),
		       (unsigned long long)o.h_mid,
		       (unsigned long long)pump_from,
		       (unsigned long long)(oldest - pump_from),
		       (unsigned long long)l.delivered,
		       (unsigned long long)l.lost,
		       (unsigned long long)l.notices);
	if (ok && (l.lost != oldest - (o.h_mid + 1) || l.notices != 1)) {
		ksft_print_msg("want one notice of %llu from %llu\n",
			       (unsigned long long)(oldest - o.h_mid - 1),
			       (unsigned long long)o.h_mid + 1);
		ok = false;
	}
out:
	listener_free(&l);
	tsmon_sub_close(o.ctl);
	raw_close(&r);
	return ok;
}

struct waiter {
	struct tsmon_sub *sub;
	atomic_bool done;
	int ret;
	int64_t woke_ns;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	struct tsmon_record r;

	w->ret = tsmon_sub_next(w->sub, &r, -1);
	w->woke_ns = clk_ns(CLOCK_MONOTONIC);
	atomic_store(&w->done, true);
	return NULL;
}

/*
 * Case 5: the module goes away under a waiting subscription, which returns
 * -ENODEV; while it is gone, opening one is -ENOENT; once it is back, a new
 * subscription works.
 */
static bool unload_overflowed_ok;

static bool case_unload(void)
{
	struct waiter w = { 0 };
	struct tsmon_record rec;
	struct tsmon_sub *s, *full = NULL;
	pthread_t thread;
	int64_t t0, t1, end;
	bool ok = true;
	int err, i;

	/*
	 * A subscription whose socket overflowed may lose the controller's
	 * notice too; it still has to learn that the module is gone.
	 */
	if (!sub_open(&full) || tsmon_sub_start(full, TSMON_FROM_NOW, 0) ||
	    !sub_starve(full) || !steps_pm(SMALL_STEPS)) {
		tsmon_sub_close(full);
		return false;
	}
	if (!sub_open(&w.sub)) {
		tsmon_sub_close(full);
		return false;
	}
	err = tsmon_sub_start(w.sub, TSMON_FROM_NOW, 0);
	if (err || pthread_create(&thread, NULL, waiter_main, &w)) {
		ksft_print_msg("starting the waiter: %s\n", err_name(err));
		tsmon_sub_close(w.sub);
		return false;
	}
	sleep_ms(200);
	if (atomic_load(&w.done)) {
		ksft_print_msg("the waiter returned early: %s\n",
			       err_name(w.ret));
		ok = false;
	}
	t0 = clk_ns(CLOCK_MONOTONIC);
	err = module_unload();
	t1 = clk_ns(CLOCK_MONOTONIC);
	if (err) {
		ksft_print_msg("delete_module: %s\n", strerror(-err));
		ok = false;
	}
	end = t0 + 5 * NSEC_PER_SEC;
	while (!atomic_load(&w.done) && clk_ns(CLOCK_MONOTONIC) < end)
		sleep_ms(10);
	if (!atomic_load(&w.done)) {
		ksft_print_msg("tsmon_sub_next(-1) still waits 5 s after the unload\n");
		pthread_cancel(thread);
		ok = false;
	} else {
		ksft_print_msg("waiter: %s; delete_module took %lld ms, the waiter woke %lld ms after it began\n",
			       err_name(w.ret),
			       (long long)((t1 - t0) / NSEC_PER_MSEC),
			       (long long)((w.woke_ns - t0) / NSEC_PER_MSEC));
		if (w.ret != -ENODEV)
			ok = false;
	}
	pthread_join(thread, NULL);
	tsmon_sub_close(w.sub);

	for (i = 0; i <= SMALL_STEPS; i++) {
		err = tsmon_sub_next(full, &rec, 2000);
		if (err)
			break;
	}
	ksft_print_msg("overflowed subscription: %s after %d records\n",
		       err_name(err), i);
	unload_overflowed_ok = err == -ENODEV;
	tsmon_sub_close(full);

	/* A listener started before the module is loaded. */
	err = tsmon_sub_open(&s);
	if (err != -ENOENT) {
		ksft_print_msg("tsmon_sub_open without the module: %s, want ENOENT\n",
			       err_name(err));
		if (!err)
			tsmon_sub_close(s);
		ok = false;
	}
	err = module_reload_default();
	if (err) {
		ksft_print_msg("reloading the module: %s\n", strerror(-err));
		return false;
	}
	return delivers_steps("after the reload") && ok;
}

static bool case_clock(void)
{
	struct rt_offset off = rt_mono_offset();

	if (llabs(off.off_ns - off0.off_ns) >
	    off.err_ns + off0.err_ns + 10000) {
		ksft_print_msg("REALTIME-MONOTONIC moved %lld ns\n",
			       (long long)(off.off_ns - off0.off_ns));
		clock_step_ns(off0.off_ns - off.off_ns);
		return false;
	}
	return true;
}

/* What the next program expects: the module loaded with its defaults. */
static bool case_default(void)
{
	struct tsmon_nl_status st;
	struct tsmon_sub *s;
	int err;

	err = tsmon_sub_open(&s);
	if (!err) {
		err = tsmon_sub_status(s, &st, NULL);
		tsmon_sub_close(s);
	}
	if (!err && st.ring_entries == TSMON_DEFAULT_RING)
		return true;
	ksft_print_msg("module %s: reloading it\n",
		       err ? strerror(-err) : "not at its defaults");
	err = module_reload_default();
	if (err)
		ksft_print_msg("reloading: %s\n", strerror(-err));
	return false;
}

int main(void)
{
	bool ready, api_ok, nano0;

	selftest_start(14);
	if (!module_ko())
		ksft_exit_fail_msg("TSMON_KO is not set\n");
	if (!module_loaded() && module_reload_default())
		ksft_exit_fail_msg("cannot load %s\n", module_ko());
	off0 = rt_mono_offset();
	nano0 = ntp_status() & STA_NANO;
	if (ntp_set_nano(true))
		ksft_exit_fail_msg("ADJ_NANO: %s\n", strerror(errno));

	api_ok = case_api(&ready);
	ksft_test_result(api_ok, "arguments, timeouts, fd, status equals the device\n");
	ksft_test_result(ready && case_storm(),
			 "%d steps: three listeners, each seq once, delivered + lost == produced\n",
			 STORM_STEPS);
	ksft_test_result(ready && case_replay(),
			 "replay FROM_SEQ/FROM_OLDEST joins the live feed; FROM_NOW only new\n");
	ksft_test_result(ready && case_unprivileged(),
			 "unprivileged listener: same records, set_config EPERM; root's applies\n");
	ksft_test_result(ready && case_caps(),
			 "set_config: CAP_SYS_TIME or CAP_NET_ADMIN alone suffices, uid 0 does not\n");
	ksft_test_result(ready && case_malformed(),
			 "malformed requests refused cleanly; the module still delivers\n");
	ksft_test_result(ready && case_raw_feed(),
			 "the feed starts after joining; attributes match the ring\n");
	ksft_test_result(case_netns(),
			 "no tsmon family in another network namespace\n");
	ksft_test_result(case_small_ring(),
			 "ring of %d, %d records: one exact loss notice, then the ring\n",
			 SMALL_RING, SMALL_STEPS);
	ksft_test_result(module_loaded() && case_pump_overlap(),
			 "pump loss notice after a replay went further: counted once\n");
	ksft_test_result(case_unload(),
			 "unload wakes a waiter with ENODEV; ENOENT while unloaded\n");
	ksft_test_result(unload_overflowed_ok,
			 "unload under an overflowed subscription: ENODEV too\n");
	if (!nano0 && ntp_set_nano(false))
		ksft_print_msg("ADJ_MICRO: %s\n", strerror(errno));
	ksft_test_result(case_clock(), "clock back where it started\n");
	ksft_test_result(case_default(), "module loaded with its defaults\n");
	ksft_finished();
}
