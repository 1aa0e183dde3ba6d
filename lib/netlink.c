// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libtsmon netlink subscription.
 *
 * Two sockets: "live" joins the module's events group (and the generic
 * netlink controller's notify group, to learn when the module goes away);
 * "req" carries requests and ring replays. A subscription delivers records
 * strictly in sequence order: it joins the live feed first, then replays
 * the ring from the starting sequence, and drops live records it already
 * delivered. Whenever the live feed skips a sequence number (the socket
 * overflowed, ENOBUFS) it replays the gap from the ring; what the ring no
 * longer holds comes back as a TSMON_EVENT_LOST record with the exact
 * count. Nothing is skipped silently.
 *
 * Everything is allocated by tsmon_sub_open(); delivering records
 * allocates nothing.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <tsmon/netlink.h>

#include "tsmon_private.h"

static int sub_mcgrp_cb(const struct nlattr *attr, void *data)
{
	struct sub_family *fam = data;
	struct nlattr *a;
	const char *name = NULL;
	uint32_t id = 0;

	mnl_attr_for_each_nested(a, attr) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			name = mnl_attr_get_str(a);
		else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID &&
			 mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			id = mnl_attr_get_u32(a);
	}
	if (name && id && !strcmp(name, fam->group_name))
		fam->group = id;
	return MNL_CB_OK;
}

static int sub_family_attr_cb(const struct nlattr *attr, void *data)
{
	struct sub_family *fam = data;
	struct nlattr *grp;

	switch (mnl_attr_get_type(attr)) {
	case CTRL_ATTR_FAMILY_ID:
		if (mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
			fam->id = mnl_attr_get_u16(attr);
		break;
	case CTRL_ATTR_MCAST_GROUPS:
		mnl_attr_for_each_nested(grp, attr)
			sub_mcgrp_cb(grp, fam);
		break;
	}
	return MNL_CB_OK;
}

static int sub_family_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr),
			      sub_family_attr_cb, data);
}

static struct nlmsghdr *sub_put(struct tsmon_sub *s, uint16_t type,
				uint16_t flags, uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(s->buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++s->req_seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

/*
 * Whether the messages in @len bytes at @buf each fit it, checked before
 * libmnl walks them. mnl_nlmsg_ok() (libmnl 1.0.4) compares nlmsg_len as
 * a signed int, so a length of 2 GiB or more passes and the walk leaves
 * the buffer; and attributes are parsed up to the message's length
 * rounded up to 4 bytes, which must be in the buffer too. Bytes after the
 * last message, too few for a header, are ignored as libmnl ignores them.
 */
static bool sub_msgs_ok(const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)p;
		/* Not NLMSG_ALIGN(): its mask is 32 bits wide. */
		size_t step = ((size_t)nlh->nlmsg_len + 3) & ~(size_t)3;

		if (nlh->nlmsg_len < sizeof(*nlh) || step > len)
			return false;
		p += step;
		len -= step;
	}
	return true;
}

/*
 * errno after mnl_cb_run() failed, as a negative error code. libmnl
 * passes on the int of an error message as errno (negated if negative),
 * whatever it is: only a real error number is returned as such.
 */
static int sub_errno(void)
{
	return errno > 0 && errno < 4096 ? -errno : -EPROTO;
}

/*
 * Replies to request @seq, @len bytes at @buf, through @cb: MNL_CB_OK
 * while more are due, MNL_CB_STOP after the ACK or DONE, or a negative
 * error code.
 */
static int sub_rx_reply(const struct tsmon_sub *s, const void *buf,
			size_t len, uint32_t seq, mnl_cb_t cb, void *data)
{
	int ret;

	if (!sub_msgs_ok(buf, len))
		return -EBADMSG;
	ret = mnl_cb_run(buf, len, seq, s->req_portid, cb, data);
	return ret < 0 ? sub_errno() : ret;
}

/* Send on req and run @cb over the replies until the ACK or DONE. */
static int sub_request(struct tsmon_sub *s, struct nlmsghdr *nlh,
		       mnl_cb_t cb, void *data)
{
	uint32_t seq = nlh->nlmsg_seq;
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(s->req, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(s->req, s->buf, sizeof(s->buf));
		if (n < 0)
			return -errno;
		ret = sub_rx_reply(s, s->buf, n, seq, cb, data);
	} while (ret > MNL_CB_STOP);
	return ret < 0 ? ret : 0;
}

/* A reply to CTRL_CMD_GETFAMILY, @len bytes at @buf, into @fam. */
TSMON_INTERNAL
int tsmon__sub_rx_family(const struct tsmon_sub *s, const void *buf,
			 size_t len, struct sub_family *fam)
{
	return sub_rx_reply(s, buf, len, s->req_seq, sub_family_cb, fam);
}

static int sub_resolve(struct tsmon_sub *s, const char *name,
		       const char *group, struct sub_family *fam)
{
	struct nlmsghdr *nlh;
	int err;

	memset(fam, 0, sizeof(*fam));
	fam->group_name = group;
	nlh = sub_put(s, GENL_ID_CTRL, NLM_F_ACK, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	err = sub_request(s, nlh, sub_family_cb, fam);
	if (err)
		return err;
	return fam->id && fam->group ? 0 : -EPROTO;
}

static int sub_join(struct tsmon_sub *s, uint32_t group)
{
	if (mnl_socket_setsockopt(s->live, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group)) < 0)
		return -errno;
	return 0;
}

/*
 * A generic netlink socket that hears only the kernel: connected to port 0,
 * so the kernel refuses a datagram another process addresses to its port
 * (ECONNREFUSED to the sender), which could otherwise pose as an event or a
 * reply. Multicast from the module and replies from the kernel still arrive.
 */
TSMON_INTERNAL
struct mnl_socket *tsmon__sub_socket(void)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	int one = 1, err;

	if (!nl)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    connect(mnl_socket_get_fd(nl), (struct sockaddr *)&kernel,
		    sizeof(kernel)) < 0) {
		err = errno;
		mnl_socket_close(nl);
		errno = err;
		return NULL;
	}
	/* Error replies then carry the module's explanation. */
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	return nl;
}

TSMON_EXPORT
int tsmon_sub_open(struct tsmon_sub **out)
{
	struct sub_family fam, ctrl;
	struct tsmon_sub *s;
	int err;

	if (!out)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->live = tsmon__sub_socket();
	s->req = tsmon__sub_socket();
	if (!s->live || !s->req) {
		err = errno ? -errno : -ENOMEM;
		goto err_socket;
	}
	s->req_portid = mnl_socket_get_portid(s->req);

	/* Controller notifications first: an unload after this is seen. */
	err = sub_resolve(s, "nlctrl", "notify", &ctrl);
	if (!err)
		err = sub_join(s, ctrl.group);
	if (err)
		goto err_socket;
	err = sub_resolve(s, TSMON_GENL_NAME, TSMON_GENL_MCGRP_EVENTS, &fam);
	if (err)
		goto err_socket;	/* -ENOENT: the module is not loaded */
	s->family = fam.id;
	err = sub_join(s, fam.group);
	if (err)
		goto err_socket;
	*out = s;
	return 0;

err_socket:
	if (s->live)
		mnl_socket_close(s->live);
	if (s->req)
		mnl_socket_close(s->req);
	free(s);
	return err;
}

TSMON_EXPORT
void tsmon_sub_close(struct tsmon_sub *s)
{
	if (!s)
		return;
	mnl_socket_close(s->live);
	mnl_socket_close(s->req);
	free(s);
}

TSMON_EXPORT
int tsmon_sub_fd(const struct tsmon_sub *s)
{
	if (!s)
		return -EINVAL;
	return mnl_socket_get_fd(s->live);
}

struct sub_attrs {
	const struct nlattr *tb[TSMON_A_MAX + 1];
};

static int sub_attr_cb(const struct nlattr *attr, void *data)
{
	struct sub_attrs *a = data;
	int type = mnl_attr_get_type(attr);

	/* Attributes added by a newer module are skipped, not refused. */
	if (type > 0 && type <= TSMON_A_MAX)
		a->tb[type] = attr;
	return MNL_CB_OK;
}

static uint64_t sub_u64(const struct nlattr *a)
{
	return a && mnl_attr_get_payload_len(a) == 8 ? mnl_attr_get_u64(a) : 0;
}

static uint32_t sub_u32(const struct nlattr *a)
{
	return a && mnl_attr_get_payload_len(a) == 4 ? mnl_attr_get_u32(a) : 0;
}

/* One TSMON_CMD_EVENT message as a record: the ring's copy, or a loss. */
static int sub_record(const struct nlmsghdr *nlh, struct tsmon_record *rec)
{
	struct sub_attrs a = { { 0 } };
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	uint64_t count;

	/* A header alone has no command to read. */
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*g) ||
	    g->cmd != TSMON_CMD_EVENT ||
	    mnl_attr_parse(nlh, sizeof(*g), sub_attr_cb, &a) < 0)
		return -EPROTO;
	memset(rec, 0, sizeof(*rec));
	/* A module's larger record: the library keeps the part it knows. */
	if (a.tb[TSMON_A_RECORD]) {
		size_t len = mnl_attr_get_payload_len(a.tb[TSMON_A_RECORD]);

		memcpy(rec, mnl_attr_get_payload(a.tb[TSMON_A_RECORD]),
		       len < sizeof(*rec) ? len : sizeof(*rec));
	} else if (sub_u32(a.tb[TSMON_A_TYPE]) == TSMON_EVENT_LOST) {
		rec->type = TSMON_EVENT_LOST;
		rec->seq = sub_u64(a.tb[TSMON_A_SEQ]);
		rec->lost.count = sub_u64(a.tb[TSMON_A_LOST]);
	} else {
		return -EPROTO;
	}
	/*
	 * It covers seq .. seq + count - 1: a loss of nothing, or a range
	 * past 2^64 - 1 (which sequence numbers never reach), is malformed.
	 */
	count = rec->type == TSMON_EVENT_LOST ? rec->lost.count : 1;
	if (!rec->seq || !count || rec->seq + count < rec->seq)
		return -EPROTO;
	return 0;
}

static int sub_status(struct tsmon_sub *s, struct tsmon__status *out);

/*
 * Sequence numbers restart with a module reload, and the family can come
 * back with the same id: before replaying, make sure the module is still
 * the instance the subscription started with.
 */
static int sub_same_instance(struct tsmon_sub *s)
{
	struct tsmon__status cur;
	int err;

	err = sub_status(s, &cur);
	if (err)
		return err;
	if (!s->instance_id)
		s->instance_id = cur.st.instance_id;
	else if (cur.st.instance_id != s->instance_id)
		return -ESTALE;
	return 0;
}

static int sub_replay_from(struct tsmon_sub *s, uint64_t from)
{
	struct nlmsghdr *nlh;

	nlh = sub_put(s, s->family, NLM_F_DUMP, TSMON_CMD_GET_EVENTS,
		      TSMON_GENL_VERSION);
	if (from)
		mnl_attr_put_u64(nlh, TSMON_A_SEQ, from);
	if (mnl_socket_sendto(s->req, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	s->replaying = true;
	return 0;
}

static int sub_replay(struct tsmon_sub *s, uint64_t from)
{
	int err = sub_same_instance(s);

	return err ? err : sub_replay_from(s, from);
}

/*
 * A replay ends at the head the module saw when it started. Records
 * published after that reach the live socket, unless it was still full
 * and dropped them, which it reports once per overflow, not per message:
 * after a replay, ask for the head and replay again while behind.
 */
static int sub_catch_up(struct tsmon_sub *s)
{
	struct tsmon__status cur;
	int err;

	err = sub_status(s, &cur);
	if (err)
		return err;
	if (s->instance_id && cur.st.instance_id != s->instance_id)
		return -ESTALE;
	if (s->next ? cur.st.head >= s->next : cur.st.head > 0)
		return sub_replay_from(s, s->next);
	return 0;
}

static int sub_queue_cb(const struct nlmsghdr *nlh, void *data)
{
	struct tsmon_sub *s = data;

	/* More than a batch can hold: the rest is replayed as lost. */
	if (s->npend >= SUB_PEND_MAX) {
		errno = EMSGSIZE;
		return MNL_CB_ERROR;
	}
	if (sub_record(nlh, &s->pend[s->npend]) == 0)
		s->npend++;
	return MNL_CB_OK;
}

/*
 * A request to the family failed with -ENOENT (the family is gone) or
 * -EPROTONOSUPPORT (the kernel refuses a dump of a module being unloaded):
 * the module went away. Its controller notice can be lost with the rest of
 * an overflow.
 */
static int sub_gone(int err)
{
	return err == -ENOENT || err == -EPROTONOSUPPORT ? -ENODEV : err;
}

/* One batch of the replay in flight, @len bytes at @buf, into pend[]. */
TSMON_INTERNAL
int tsmon__sub_rx_replay(struct tsmon_sub *s, const void *buf, size_t len)
{
	int ret;

	s->npend = s->pos = 0;
	if (!sub_msgs_ok(buf, len))
		return -EBADMSG;
	ret = mnl_cb_run(buf, len, s->req_seq, s->req_portid, sub_queue_cb, s);
	if (ret < 0)
		return sub_gone(sub_errno());
	if (ret == MNL_CB_STOP) {
		s->replaying = false;
		s->replayed = true;
	}
	return 0;
}

/* Read one batch of the replay in flight into pend[]. */
static int sub_replay_batch(struct tsmon_sub *s)
{
	ssize_t n;

	n = mnl_socket_recvfrom(s->req, s->buf, sizeof(s->buf));
	if (n < 0)
		return -errno;
	return tsmon__sub_rx_replay(s, s->buf, n);
}

/*
 * Deliver @rec if it is the next one; false for one already delivered. A
 * loss notice can start inside what was delivered already (the pump's
 * notice arrives after a replay got further): only the rest is reported.
 */
static bool sub_take(struct tsmon_sub *s, struct tsmon_record *rec)
{
	uint64_t end = rec->seq + (rec->type == TSMON_EVENT_LOST ?
				   rec->lost.count : 1);

	if (s->next && end <= s->next)
		return false;
	if (s->next && rec->type == TSMON_EVENT_LOST && rec->seq < s->next) {
		rec->lost.count = end - s->next;
		rec->seq = s->next;
	}
	s->next = end;
	return true;
}

/* The next record of pend[] to deliver, or -EAGAIN when it has none. */
TSMON_INTERNAL
int tsmon__sub_pop(struct tsmon_sub *s, struct tsmon_record *rec)
{
	while (s->pos < s->npend) {
		struct tsmon_record *r = &s->pend[s->pos];

		/*
		 * Records missing before this one: a replay batch that failed
		 * (its error was returned) leaves a gap the next batch does
		 * not fill. Report them lost; this one comes next time.
		 */
		if (s->next && r->seq > s->next) {
			memset(rec, 0, sizeof(*rec));
			rec->seq = s->next;
			rec->type = TSMON_EVENT_LOST;
			rec->lost.count = r->seq - s->next;
			s->next = r->seq;
			return 0;
		}
		s->pos++;
		if (sub_take(s, r)) {
			*rec = *r;
			return 0;
		}
	}
	return -EAGAIN;
}

TSMON_EXPORT
int tsmon_sub_start(struct tsmon_sub *s, enum tsmon_whence whence,
		    uint64_t seq)
{
	struct tsmon__status cur;
	int err;

	if (!s || s->started)
		return -EINVAL;
	switch (whence) {
	case TSMON_FROM_NOW:
		err = sub_status(s, &cur);
		if (err)
			return err;
		s->instance_id = cur.st.instance_id;
		s->next = cur.st.head + 1;
		break;
	case TSMON_FROM_OLDEST:
		s->next = 0;
		err = sub_replay(s, 0);
		if (err)
			return err;
		break;
	case TSMON_FROM_SEQ:
		if (!seq)
			return -EINVAL;
		s->next = seq;
		err = sub_replay(s, seq);
		if (err)
			return err;
		break;
	default:
		return -EINVAL;
	}
	s->started = true;
	return 0;
}

/* Controller notice that the tsmon family went away. */
static bool sub_family_gone(const struct nlmsghdr *nlh, uint16_t family)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	struct sub_family fam = { 0 };

	if (nlh->nlmsg_type != GENL_ID_CTRL ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*g) ||
	    g->cmd != CTRL_CMD_DELFAMILY)
		return false;
	fam.group_name = "";
	mnl_attr_parse(nlh, sizeof(*g), sub_family_attr_cb, &fam);
	return fam.id == family;
}

/*
 * One batch from the live feed, @len bytes at @buf, into pend[]. A gap in
 * the sequence numbers returns TSMON__SUB_GAP: the caller replays from the
 * first missing record, and the batch is dropped, since the replay covers
 * it.
 */
TSMON_INTERNAL
int tsmon__sub_rx_live(struct tsmon_sub *s, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh;
	uint64_t expect = s->next;
	int n = len > INT_MAX ? INT_MAX : (int)len;

	s->npend = s->pos = 0;
	if (!sub_msgs_ok(buf, len))
		return -EBADMSG;
	for (nlh = buf; mnl_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
		struct tsmon_record *rec = &s->pend[s->npend];
		uint64_t end;

		if (sub_family_gone(nlh, s->family))
			return -ENODEV;
		if (nlh->nlmsg_type != s->family || sub_record(nlh, rec))
			continue;
		if (expect && rec->seq > expect) {
			/* pend[] is dropped: replay all it held too. */
			s->npend = 0;
			return TSMON__SUB_GAP;
		}
		end = rec->seq + (rec->type == TSMON_EVENT_LOST ?
				  rec->lost.count : 1);
		if (expect && end <= expect)
			continue;
		expect = end;
		if (++s->npend == SUB_PEND_MAX)
			break;
	}
	return 0;
}

/* Read one batch from the live feed into pend[]. */
static int sub_live_batch(struct tsmon_sub *s)
{
	ssize_t got;
	int ret;

	got = recv(mnl_socket_get_fd(s->live), s->buf, sizeof(s->buf),
		   MSG_DONTWAIT);
	if (got < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		if (errno == ENOBUFS)	/* the socket overflowed: replay */
			return sub_replay(s, s->next);
		return -errno;
	}
	ret = tsmon__sub_rx_live(s, s->buf, got);
	return ret == TSMON__SUB_GAP ? sub_replay(s, s->next) : ret;
}

TSMON_EXPORT
int tsmon_sub_next_sz(struct tsmon_sub *s, struct tsmon_record *rec,
		      size_t size, int timeout_ms)
{
	uint64_t end = timeout_ms > 0 ?
		       tsmon_mono_now() + (uint64_t)timeout_ms * NSEC_PER_MSEC : 0;
	struct tsmon_record r;
	int err;

	if (!s || !rec || !s->started || size < TSMON_RECORD_SIZE_V1)
		return -EINVAL;

	for (;;) {
		struct pollfd pfd;
		int wait;

		if (!tsmon__sub_pop(s, &r)) {
			tsmon_fill(rec, size, &r, sizeof(r));
			return 0;
		}
		if (s->replaying) {
			err = sub_replay_batch(s);
			if (err)
				return err;
			continue;
		}
		if (s->replayed) {
			s->replayed = false;
			err = sub_catch_up(s);
			if (err)
				return err;
			if (s->replaying)
				continue;
		}

		pfd.fd = mnl_socket_get_fd(s->live);
		pfd.events = POLLIN;
		wait = timeout_ms < 0 ? -1 : 0;
		if (timeout_ms > 0) {
			uint64_t now = tsmon_mono_now();

			if (now >= end)
				return -ETIMEDOUT;
			wait = tsmon_poll_ms(now, end);
		}
		err = poll(&pfd, 1, wait);
		if (err < 0)
			return -errno;
		if (err == 0) {
			if (timeout_ms == 0)
				return -EAGAIN;
			continue;	/* the deadline is judged on the clock above */
		}
		err = sub_live_batch(s);
		if (err)
			return err;
	}
}

static int sub_status_cb(const struct nlmsghdr *nlh, void *data)
{
	struct tsmon__status *out = data;
	struct tsmon_nl_status *st = &out->st;
	struct sub_attrs a = { { 0 } };
	const struct nlattr *h;

	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), sub_attr_cb, &a) < 0)
		return MNL_CB_ERROR;
	memset(out, 0, sizeof(*out));
	st->abi_version = sub_u32(a.tb[TSMON_A_ABI_VERSION]);
	st->instance_id = sub_u64(a.tb[TSMON_A_INSTANCE_ID]);
	st->ring_entries = sub_u32(a.tb[TSMON_A_RING_ENTRIES]);
	st->record_size = sub_u32(a.tb[TSMON_A_RECORD_SIZE]);
	st->head = sub_u64(a.tb[TSMON_A_HEAD]);
	st->hooks = sub_u32(a.tb[TSMON_A_HOOKS]);
	st->phc_freq_threshold_ppb =
		sub_u32(a.tb[TSMON_A_CFG_PHC_FREQ_THRESHOLD_PPB]);
	st->phc_freq_interval_ms =
		sub_u32(a.tb[TSMON_A_CFG_PHC_FREQ_INTERVAL_MS]);
	h = a.tb[TSMON_A_HEALTH];
	if (h) {
		size_t len = mnl_attr_get_payload_len(h);

		/* An older module's block is shorter: the rest reads 0. */
		if (len > sizeof(out->health))
			len = sizeof(out->health);
		memcpy(&out->health, mnl_attr_get_payload(h), len);
		st->health_size = mnl_attr_get_payload_len(h);
	}
	return MNL_CB_OK;
}

/* A reply to TSMON_CMD_GET_STATUS, @len bytes at @buf, into @out. */
TSMON_INTERNAL
int tsmon__sub_rx_status(const struct tsmon_sub *s, const void *buf,
			 size_t len, struct tsmon__status *out)
{
	return sub_rx_reply(s, buf, len, s->req_seq, sub_status_cb, out);
}

static int sub_status(struct tsmon_sub *s, struct tsmon__status *out)
{
	struct nlmsghdr *nlh;

	/* The request socket is busy with a replay's replies. */
	if (s->replaying)
		return -EBUSY;
	nlh = sub_put(s, s->family, NLM_F_ACK, TSMON_CMD_GET_STATUS,
		      TSMON_GENL_VERSION);
	return sub_gone(sub_request(s, nlh, sub_status_cb, out));
}

TSMON_EXPORT
int tsmon_sub_status_sz(struct tsmon_sub *s, struct tsmon_nl_status *st,
			size_t st_size, struct tsmon_health *health,
			size_t health_size)
{
	struct tsmon__status cur;
	int err;

	if (!s || !st || !st_size || (health && health_size < sizeof(__u64)))
		return -EINVAL;
	err = sub_status(s, &cur);
	if (err)
		return err;
	/* A started subscription belongs to one module instance. */
	if (s->instance_id && cur.st.instance_id != s->instance_id)
		return -ESTALE;
	tsmon_fill(st, st_size, &cur.st, sizeof(cur.st));
	if (health)
		tsmon_fill(health, health_size, &cur.health, sizeof(cur.health));
	return 0;
}

TSMON_EXPORT
int tsmon_sub_set_config(struct tsmon_sub *s, int64_t phc_freq_threshold_ppb,
			 int64_t phc_freq_interval_ms)
{
	struct tsmon__status cur;
	struct nlmsghdr *nlh;

	if (!s || phc_freq_threshold_ppb > UINT32_MAX ||
	    phc_freq_interval_ms > UINT32_MAX)
		return -EINVAL;
	if (s->replaying)
		return -EBUSY;
	nlh = sub_put(s, s->family, NLM_F_ACK, TSMON_CMD_SET_CONFIG,
		      TSMON_GENL_VERSION);
	if (phc_freq_threshold_ppb >= 0)
		mnl_attr_put_u32(nlh, TSMON_A_CFG_PHC_FREQ_THRESHOLD_PPB,
				 (uint32_t)phc_freq_threshold_ppb);
	if (phc_freq_interval_ms >= 0)
		mnl_attr_put_u32(nlh, TSMON_A_CFG_PHC_FREQ_INTERVAL_MS,
				 (uint32_t)phc_freq_interval_ms);
	return sub_gone(sub_request(s, nlh, sub_status_cb, &cur));
}
