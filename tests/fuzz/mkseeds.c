// SPDX-License-Identifier: GPL-2.0-only
/*
 * Writes the seed corpus of the fuzz harnesses:
 *
 *   mkseeds DIR    DIR/region/seed-*, DIR/records/seed-*, DIR/netlink/seed-*
 *
 * Regions come from the test writer (tests/unit/region.c), laid out and
 * filled as the module does it; netlink messages are built with libmnl as
 * the module's replies and multicasts look (kmod/tsmon_netlink.c). Each
 * seed is one meaningful case, small, so that fuzzing starts from deep
 * inside the valid input space instead of having to find the magic number.
 * Run through `make fuzz-seeds`; the output is deterministic.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <tsmon/netlink.h>

#include <tsmon/tsmon.h>
#include "fuzz.h"
#include "region.h"

#define NSEC		1000000000ULL

static const char *outdir;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void write_seed(const char *harness, const char *name,
		       const void *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, harness);
	if (mkdir(path, 0755) && errno != EEXIST)
		die(path);
	snprintf(path, sizeof(path), "%s/%s/seed-%s", outdir, harness, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f))
		die(path);
}

/* ------------------------------------------------------------ regions */

/* A fixed region: no time or pid in it, so the seeds do not change. */
static void region_new(struct region *r, uint32_t entries, uint32_t rsize)
{
	if (region_init(r, entries, rsize))
		die("region_init");
	r->hdr->instance_id = 0x1234567890abcdefULL;
	r->hdr->load_real_ns = 1700000000 * NSEC;
	r->hdr->load_mono_ns = 1000 * NSEC;
}

static void set_knobs(struct region *r, uint64_t mono, uint64_t seq,
		      uint32_t whence)
{
	uint64_t *k = (uint64_t *)r->hdr->__pad1;

	k[KNOB_MONO] = mono;
	k[KNOB_SEQ] = seq;
	k[KNOB_DRIFT] = TSMON_DRIFT_DEFAULT_PPB;
	k[KNOB_COOLDOWN] = TSMON_COOLDOWN_DEFAULT_NS;
	k[KNOB_FACTOR] = TSMON_STALE_FACTOR_DEFAULT;
	k[KNOB_MAX_BOUND] = 1000000;
	k[KNOB_WHENCE] = whence;
}

/* A synchronised clock, updated every 16 s, the last time at 2000 s. */
static void synced_health(struct region *r)
{
	struct tsmon_health h;

	memset(&h, 0, sizeof(h));
	h.offs_real_ns = 1699999000 * NSEC;
	h.sync_mono_ns = 2000 * NSEC;
	h.sync_maxerror_ns = 5000000;
	h.sync_interval_ns = 16 * NSEC;
	h.disrupt_mono_ns = 1500 * NSEC;
	h.disrupt_type = TSMON_EVENT_CLOCK_STEP;
	h.ntp_status = STA_PLL | STA_NANO;
	h.hooks = TSMON_HOOK_TIMEKEEPER | TSMON_HOOK_ADJTIMEX |
		  TSMON_HOOK_SETTIME;
	h.ntp_state = 0;
	h.update_mono_ns = 2000 * NSEC;
	h.tai_offset = 37;
	h.last_step_seq = 1;
	memcpy(h.clocksource, "tsc", 4);
	h.event_count[TSMON_EVENT_CLOCK_STEP] = 1;
	region_health_write(r, &h);
}

/* One record of each type in turn, as the module fills them. */
static void append_events(struct region *r, unsigned int n)
{
	struct tsmon_record rec;
	unsigned int i;

	for (i = 0; i < n; i++) {
		memset(&rec, 0, sizeof(rec));
		rec.type = i % (TSMON_EVENT_TYPE_COUNT - 1) + 1;
		if (rec.type == TSMON_EVENT_LOST)
			rec.type = TSMON_EVENT_CLOCK_STEP;
		rec.mono_ns = (1000 + i) * NSEC;
		rec.real_ns = rec.mono_ns + 1699999000 * NSEC;
		switch (rec.type) {
		case TSMON_EVENT_CLOCK_STEP:
			rec.step.delta_ns = (uint64_t)-(int64_t)(i * NSEC);
			rec.step.reason = TSMON_STEP_SETTIME;
			break;
		case TSMON_EVENT_CLOCKSOURCE_CHANGE:
			memcpy(rec.cs.from, "tsc", 4);
			memcpy(rec.cs.to, "hpet", 5);
			break;
		case TSMON_EVENT_PHC_ADD:
			rec.phc.index = 0;
			memcpy(rec.phc.name, "ptp_testphc", 12);
			break;
		default:
			rec.raw[0] = i;
			break;
		}
		region_append(r, &rec);
	}
}

static void region_seed(const char *name, uint32_t entries, uint32_t rsize,
			unsigned int events, uint64_t mono, uint32_t whence)
{
	struct region r;

	region_new(&r, entries, rsize);
	synced_health(&r);
	append_events(&r, events);
	set_knobs(&r, mono, events / 2 + 1, whence);
	write_seed("region", name, r.base, r.size);
	region_fini(&r);
}

/*
 * The smallest layout the ABI allows, not the module's: health block right
 * after the header, ring right after the health block, no page rounding.
 * Fuzzing small inputs is fast, and offsets other than the module's must
 * work as well.
 */
static void region_seed_compact(void)
{
	uint32_t hsize = sizeof(struct tsmon_health);
	uint32_t ring = (TSMON_HEADER_SIZE_V1 + hsize + 63) & ~63U;
	unsigned char buf[ring + 4 * 64];
	struct region r;

	region_new(&r, 4, 64);
	synced_health(&r);
	append_events(&r, 6);
	set_knobs(&r, 2004 * NSEC, 3, TSMON_FROM_OLDEST);
	memset(buf, 0, sizeof(buf));
	memcpy(buf, r.base, TSMON_HEADER_SIZE_V1);
	memcpy(buf + TSMON_HEADER_SIZE_V1, r.health, hsize);
	memcpy(buf + ring, r.ring, 4 * 64);
	((struct tsmon_header *)buf)->health_offset = TSMON_HEADER_SIZE_V1;
	((struct tsmon_header *)buf)->ring_offset = ring;
	((struct tsmon_header *)buf)->region_size = sizeof(buf);
	write_seed("region", "compact", buf, sizeof(buf));
	region_fini(&r);
}

static void region_seeds(void)
{
	struct region r;

	region_seed("ring1", 1, 64, 1, 2001 * NSEC, TSMON_FROM_OLDEST);
	region_seed("ring16", 16, 64, 9, 2010 * NSEC, TSMON_FROM_SEQ);
	region_seed("ring64", 64, 64, 64, 2100 * NSEC, TSMON_FROM_OLDEST);
	region_seed("ring32x128", 32, 128, 20, 1600 * NSEC, TSMON_FROM_NOW);
	region_seed("ring128", 128, 64, 100, 2003 * NSEC, TSMON_FROM_SEQ);
	/* Three times round the ring: the oldest records are gone. */
	region_seed("overrun", 16, 64, 50, 2005 * NSEC, TSMON_FROM_SEQ);
	region_seed_compact();

	/* A writer stopped mid-update: the health block stays odd. */
	region_new(&r, 8, 64);
	synced_health(&r);
	append_events(&r, 3);
	set_knobs(&r, 2001 * NSEC, 1, TSMON_FROM_OLDEST);
	r.health->seq |= 1;
	write_seed("region", "health-odd", r.base, r.size);
	region_fini(&r);

	/* An older module: health block too short for the clock line. */
	region_new(&r, 8, 64);
	synced_health(&r);
	append_events(&r, 3);
	set_knobs(&r, 2001 * NSEC, 2, TSMON_FROM_SEQ);
	r.hdr->health_size = 40;
	write_seed("region", "health-short", r.base, r.size);
	region_fini(&r);

	/* A slot the writer is filling: seq 0 under a published head. */
	region_new(&r, 8, 64);
	synced_health(&r);
	append_events(&r, 5);
	set_knobs(&r, 2001 * NSEC, 1, TSMON_FROM_OLDEST);
	region_slot(&r, 4)->seq = 0;
	write_seed("region", "slot-busy", r.base, r.size);
	region_fini(&r);
}

/* ------------------------------------------------------------ records */

struct bytes {
	uint8_t b[512];
	size_t n;
};

static void put8(struct bytes *s, uint8_t v)
{
	if (s->n >= sizeof(s->b))
		die("seed too long");
	s->b[s->n++] = v;
}

static void put64(struct bytes *s, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		put8(s, v >> (8 * i));
}

static void op(struct bytes *s, enum rec_op o, int n, ...)
{
	va_list ap;

	put8(s, o);
	va_start(ap, n);
	while (n--) {
		int width = va_arg(ap, int);
		uint64_t v = va_arg(ap, uint64_t);

		if (width == 1)
			put8(s, v);
		else
			put64(s, v);
	}
	va_end(ap);
}

#define A8(v)	1, (uint64_t)(v)
#define A64(v)	8, (uint64_t)(v)

static void records_seeds(void)
{
	struct bytes s;

	/* 8 x 64: fill, read, lap the reader, read what is left. */
	memset(&s, 0, sizeof(s));
	put8(&s, 3);
	put8(&s, 0);
	op(&s, OP_APPEND, 1, A8(5));
	op(&s, OP_CURSOR, 2, A8(TSMON_FROM_OLDEST), A64(0));
	op(&s, OP_READ, 1, A8(3));
	op(&s, OP_APPEND, 1, A8(20));
	op(&s, OP_READ, 1, A8(16));
	write_seed("records", "lapped", s.b, s.n);

	/* 32 x 128: a reader from a sequence, one from now. */
	memset(&s, 0, sizeof(s));
	put8(&s, 5);
	put8(&s, 1);
	op(&s, OP_APPEND, 1, A8(40));
	op(&s, OP_CURSOR, 2, A8(TSMON_FROM_SEQ), A64(12));
	op(&s, OP_READ, 1, A8(10));
	op(&s, OP_CURSOR, 2, A8(TSMON_FROM_NOW), A64(0));
	op(&s, OP_APPEND, 1, A8(3));
	op(&s, OP_READ, 1, A8(5));
	write_seed("records", "from-seq", s.b, s.n);

	/* A slot caught mid-write, a torn body, then a head far ahead. */
	memset(&s, 0, sizeof(s));
	put8(&s, 2);
	put8(&s, 0);
	op(&s, OP_APPEND, 1, A8(6));
	op(&s, OP_CURSOR, 2, A8(TSMON_FROM_OLDEST), A64(0));
	op(&s, OP_SLOT_SEQ, 2, A8(4), A64(0));
	op(&s, OP_SLOT_WORD, 3, A8(5), A8(2), A64(0xdeadbeef));
	op(&s, OP_READ, 1, A8(4));
	op(&s, OP_HEAD_ADD, 1, A8(100));
	op(&s, OP_READ, 1, A8(8));
	op(&s, OP_HEAD, 1, A64(UINT64_MAX - 2));
	op(&s, OP_CURSOR, 2, A8(TSMON_FROM_OLDEST), A64(0));
	op(&s, OP_READ, 1, A8(8));
	write_seed("records", "corrupt", s.b, s.n);

	/* Health updates of the clock line and of the whole block. */
	memset(&s, 0, sizeof(s));
	put8(&s, 0);
	put8(&s, 2);
	op(&s, OP_HEALTH, 3, A8(4), A64(1), A64(2), A64(3));
	op(&s, OP_APPEND, 1, A8(1));
	op(&s, OP_HEALTH, 2, A8(2), A64(42));
	op(&s, OP_CURSOR, 2, A8(TSMON_FROM_OLDEST), A64(0));
	op(&s, OP_READ, 1, A8(2));
	write_seed("records", "health", s.b, s.n);
}

/* ------------------------------------------------------------ netlink */

struct dgram {
	unsigned char buf[8192];
	size_t len;
};

static struct nlmsghdr *msg_put(struct dgram *d, uint16_t type,
				uint16_t flags, uint32_t seq, uint32_t portid,
				uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(d->buf + d->len);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = portid;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = TSMON_GENL_VERSION;
	return nlh;
}

static void msg_end(struct dgram *d, struct nlmsghdr *nlh)
{
	d->len += nlh->nlmsg_len;
}

/* A record as the module multicasts it (portid 0) or dumps it. */
static void put_record(struct dgram *d, uint64_t seq, bool dump)
{
	struct nlmsghdr *nlh;
	struct tsmon_record rec;

	memset(&rec, 0, sizeof(rec));
	rec.seq = seq;
	rec.type = seq % 2 ? TSMON_EVENT_CLOCK_STEP : TSMON_EVENT_NTP_SYNC;
	rec.mono_ns = (1000 + seq) * NSEC;
	rec.real_ns = rec.mono_ns + 1699999000 * NSEC;
	rec.raw[0] = seq * 1000;
	nlh = msg_put(d, NL_FUZZ_FAMILY, dump ? NLM_F_MULTI : 0,
		      dump ? NL_FUZZ_SEQ : 0, dump ? NL_FUZZ_PORTID : 0,
		      TSMON_CMD_EVENT);
	mnl_attr_put_u64(nlh, TSMON_A_SEQ, rec.seq);
	mnl_attr_put_u32(nlh, TSMON_A_TYPE, rec.type);
	mnl_attr_put_u64(nlh, TSMON_A_MONO_NS, rec.mono_ns);
	mnl_attr_put_u64(nlh, TSMON_A_REAL_NS, rec.real_ns);
	mnl_attr_put(nlh, TSMON_A_RECORD, sizeof(rec), &rec);
	msg_end(d, nlh);
}

static void put_lost(struct dgram *d, uint64_t seq, uint64_t count, bool dump)
{
	struct nlmsghdr *nlh;

	nlh = msg_put(d, NL_FUZZ_FAMILY, dump ? NLM_F_MULTI : 0,
		      dump ? NL_FUZZ_SEQ : 0, dump ? NL_FUZZ_PORTID : 0,
		      TSMON_CMD_EVENT);
	mnl_attr_put_u64(nlh, TSMON_A_SEQ, seq);
	mnl_attr_put_u32(nlh, TSMON_A_TYPE, TSMON_EVENT_LOST);
	mnl_attr_put_u64(nlh, TSMON_A_LOST, count);
	msg_end(d, nlh);
}

static void put_done(struct dgram *d)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(d->buf + d->len);
	int *err;

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = NL_FUZZ_SEQ;
	nlh->nlmsg_pid = NL_FUZZ_PORTID;
	err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));
	*err = 0;
	msg_end(d, nlh);
}

/*
 * An NLMSG_ERROR: 0 is the ACK. With @extack, the kernel's explanation,
 * the request's header alone (NLM_F_CAPPED) and the attribute offending.
 */
static void put_error(struct dgram *d, int error, uint16_t req_type,
		      const char *extack)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(d->buf + d->len);
	struct nlmsgerr *e;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_CAPPED | (extack ? NLM_F_ACK_TLVS : 0);
	nlh->nlmsg_seq = NL_FUZZ_SEQ;
	nlh->nlmsg_pid = NL_FUZZ_PORTID;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	e->msg.nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN;
	e->msg.nlmsg_type = req_type;
	e->msg.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	e->msg.nlmsg_seq = NL_FUZZ_SEQ;
	e->msg.nlmsg_pid = NL_FUZZ_PORTID;
	if (extack) {
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, extack);
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, NLMSG_HDRLEN +
				 GENL_HDRLEN);
	}
	msg_end(d, nlh);
}

/* @extra: bytes a newer module's health block has past ours. */
static void put_status(struct dgram *d, size_t extra)
{
	struct nlmsghdr *nlh;
	struct {
		struct tsmon_health h;
		uint8_t newer[64];
	} hx;
	struct tsmon_health *h = &hx.h;

	memset(&hx, 0, sizeof(hx));
	h->seq = 42;
	h->hooks = TSMON_HOOK_TIMEKEEPER | TSMON_HOOK_ADJTIMEX;
	h->tai_offset = 37;
	memset(hx.newer, 0x5a, sizeof(hx.newer));
	nlh = msg_put(d, NL_FUZZ_FAMILY, 0, NL_FUZZ_SEQ, NL_FUZZ_PORTID,
		      TSMON_CMD_GET_STATUS);
	mnl_attr_put_u32(nlh, TSMON_A_ABI_VERSION, TSMON_ABI_VERSION);
	mnl_attr_put_u64(nlh, TSMON_A_INSTANCE_ID, 0x1234567890abcdefULL);
	mnl_attr_put_u64(nlh, TSMON_A_HEAD, 77);
	mnl_attr_put_u32(nlh, TSMON_A_RING_ENTRIES, 4096);
	mnl_attr_put_u32(nlh, TSMON_A_RECORD_SIZE, 64);
	mnl_attr_put_u32(nlh, TSMON_A_HOOKS, h->hooks);
	mnl_attr_put_u32(nlh, TSMON_A_CFG_PHC_FREQ_THRESHOLD_PPB, 1000);
	mnl_attr_put_u32(nlh, TSMON_A_CFG_PHC_FREQ_INTERVAL_MS, 1000);
	mnl_attr_put(nlh, TSMON_A_HEALTH, sizeof(*h) + extra, &hx);
	msg_end(d, nlh);
}

/* The controller's reply: the family, its id and its groups. */
static void put_family(struct dgram *d, uint8_t cmd, bool live)
{
	struct nlattr *grps, *grp;
	struct nlmsghdr *nlh;

	nlh = msg_put(d, GENL_ID_CTRL, 0, live ? 0 : NL_FUZZ_SEQ,
		      live ? 0 : NL_FUZZ_PORTID, cmd);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, TSMON_GENL_NAME);
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, NL_FUZZ_FAMILY);
	mnl_attr_put_u32(nlh, CTRL_ATTR_VERSION, TSMON_GENL_VERSION);
	grps = mnl_attr_nest_start(nlh, CTRL_ATTR_MCAST_GROUPS);
	grp = mnl_attr_nest_start(nlh, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME,
			  TSMON_GENL_MCGRP_EVENTS);
	mnl_attr_put_u32(nlh, CTRL_ATTR_MCAST_GRP_ID, NL_FUZZ_GROUP);
	mnl_attr_nest_end(nlh, grp);
	mnl_attr_nest_end(nlh, grps);
	msg_end(d, nlh);
}

/* A harness input: its start, then frames. */
struct nl_seed {
	uint8_t b[8192];
	size_t n;
};

static void nl_start(struct nl_seed *s, enum tsmon_whence whence,
		     uint64_t seq)
{
	int i;

	s->n = 0;
	s->b[s->n++] = whence;
	for (i = 0; i < 8; i++)
		s->b[s->n++] = seq >> (8 * i);
}

static void nl_frame(struct nl_seed *s, enum nl_frame kind,
		     struct dgram *d)
{
	if (s->n + 3 + d->len > sizeof(s->b))
		die("netlink seed too long");
	s->b[s->n++] = kind;
	s->b[s->n++] = d->len & 0xff;
	s->b[s->n++] = d->len >> 8;
	memcpy(s->b + s->n, d->buf, d->len);
	s->n += d->len;
	memset(d, 0, sizeof(*d));
}

static void netlink_seeds(void)
{
	static struct dgram d;
	static struct nl_seed s;
	uint64_t i;

	/* Live from 5: three records, then a loss notice and more. */
	nl_start(&s, TSMON_FROM_NOW, 5);
	put_record(&d, 5, false);
	put_record(&d, 6, false);
	put_record(&d, 7, false);
	nl_frame(&s, NL_FRAME_SUB, &d);
	put_lost(&d, 8, 3, false);
	put_record(&d, 11, false);
	nl_frame(&s, NL_FRAME_SUB, &d);
	write_seed("netlink", "live", s.b, s.n);

	/* A gap in the live feed, then the replay that fills it. */
	nl_start(&s, TSMON_FROM_NOW, 5);
	put_record(&d, 5, false);
	put_record(&d, 7, false);
	nl_frame(&s, NL_FRAME_SUB, &d);
	for (i = 5; i < 8; i++)
		put_record(&d, i, true);
	nl_frame(&s, NL_FRAME_SUB, &d);
	put_done(&d);
	nl_frame(&s, NL_FRAME_SUB, &d);
	put_record(&d, 7, false);
	put_record(&d, 8, false);
	nl_frame(&s, NL_FRAME_SUB, &d);
	write_seed("netlink", "live-gap", s.b, s.n);

	/* From the oldest: the dump starts with what the ring lost. */
	nl_start(&s, TSMON_FROM_OLDEST, 0);
	put_lost(&d, 1, 10, true);
	for (i = 11; i < 15; i++)
		put_record(&d, i, true);
	put_done(&d);
	nl_frame(&s, NL_FRAME_SUB, &d);
	put_record(&d, 14, false);
	put_record(&d, 15, false);
	nl_frame(&s, NL_FRAME_SUB, &d);
	write_seed("netlink", "replay-oldest", s.b, s.n);

	/* From a sequence, a dump in two batches. */
	nl_start(&s, TSMON_FROM_SEQ, 3);
	for (i = 3; i < 20; i++)
		put_record(&d, i, true);
	nl_frame(&s, NL_FRAME_SUB, &d);
	for (i = 20; i < 24; i++)
		put_record(&d, i, true);
	put_done(&d);
	nl_frame(&s, NL_FRAME_SUB, &d);
	write_seed("netlink", "replay-seq", s.b, s.n);

	/* The module unloaded mid-replay: the dump ends in -ENOENT. */
	nl_start(&s, TSMON_FROM_SEQ, 1);
	put_record(&d, 1, true);
	put_error(&d, -ENOENT, NL_FUZZ_FAMILY, NULL);
	nl_frame(&s, NL_FRAME_SUB, &d);
	write_seed("netlink", "replay-unload", s.b, s.n);

	/* The module unloaded: the controller's notice in the live feed. */
	nl_start(&s, TSMON_FROM_NOW, 1);
	put_record(&d, 1, false);
	put_family(&d, CTRL_CMD_DELFAMILY, true);
	nl_frame(&s, NL_FRAME_SUB, &d);
	write_seed("netlink", "live-unload", s.b, s.n);

	/* GET_STATUS: the reply and its ACK, together and apart. */
	nl_start(&s, TSMON_FROM_NOW, 78);
	put_status(&d, 0);
	put_error(&d, 0, NL_FUZZ_FAMILY, NULL);
	nl_frame(&s, NL_FRAME_STATUS, &d);
	put_status(&d, 0);
	nl_frame(&s, NL_FRAME_STATUS, &d);
	put_error(&d, 0, NL_FUZZ_FAMILY, NULL);
	nl_frame(&s, NL_FRAME_STATUS, &d);
	write_seed("netlink", "status", s.b, s.n);

	/* A newer module: a longer health block, cut to what we know. */
	nl_start(&s, TSMON_FROM_NOW, 78);
	put_status(&d, 64);
	put_error(&d, 0, NL_FUZZ_FAMILY, NULL);
	nl_frame(&s, NL_FRAME_STATUS, &d);
	write_seed("netlink", "status-newer", s.b, s.n);

	/* SET_CONFIG refused, with the module's explanation. */
	nl_start(&s, TSMON_FROM_NOW, 1);
	put_error(&d, -EPERM, NL_FUZZ_FAMILY, "changing tsmon configuration "
		  "needs CAP_NET_ADMIN or CAP_SYS_TIME");
	nl_frame(&s, NL_FRAME_STATUS, &d);
	write_seed("netlink", "extack", s.b, s.n);

	/* CTRL_CMD_GETFAMILY: found, then not found (module not loaded). */
	nl_start(&s, TSMON_FROM_NOW, 1);
	put_family(&d, CTRL_CMD_NEWFAMILY, false);
	put_error(&d, 0, GENL_ID_CTRL, NULL);
	nl_frame(&s, NL_FRAME_FAMILY, &d);
	put_error(&d, -ENOENT, GENL_ID_CTRL,
		  "Generic Netlink family not found");
	nl_frame(&s, NL_FRAME_FAMILY, &d);
	write_seed("netlink", "family", s.b, s.n);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	outdir = argv[1];
	if (mkdir(outdir, 0755) && errno != EEXIST)
		die(outdir);
	region_seeds();
	records_seeds();
	netlink_seeds();
	return 0;
}
