/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the fuzz harnesses and the seed generator: the input formats
 * of the harnesses that do not take a plain region, and the reference
 * model of tsmon_next() on a region nobody writes to.
 */
#ifndef TSMON_FUZZ_H
#define TSMON_FUZZ_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tsmon/tsmon.h>

/*
 * A broken invariant is a crash: libFuzzer keeps the input and the run
 * fails, exactly as for a sanitizer report.
 */
#define FUZZ_CHECK(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: check failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

/*
 * fuzz_region: the input is the region itself. The harness takes its own
 * parameters (a time, a cursor position, clock settings) from the header's
 * __pad1[] words, which the library never reads, so that every input is a
 * plain region image that tsmon_attach() may accept.
 */
enum {
	KNOB_MONO,		/* tsmon_now_at() time */
	KNOB_SEQ,		/* TSMON_FROM_SEQ position */
	KNOB_DRIFT,		/* tsmon_set_drift() */
	KNOB_COOLDOWN,		/* tsmon_set_cooldown() */
	KNOB_FACTOR,		/* tsmon_set_stale_factor(), low 32 bits */
	KNOB_MAX_BOUND,		/* tsmon_one_way_valid() */
	KNOB_WHENCE,		/* cursor whence (low 32 bits) */
	KNOB_COUNT		/* == 7 words of __pad1 */
};

/*
 * fuzz_records: two bytes of layout, then operations of a writer, a
 * corrupter and a reader on one region, each an opcode byte and its
 * arguments (missing argument bytes read as 0).
 *
 *   byte 0   log2(ring_entries) % 8
 *   byte 1   record_size = 64 << (byte % 3)
 */
enum rec_op {
	OP_APPEND,		/* u8 n: publish n % 64 + 1 records */
	OP_READ,		/* u8 n: tsmon_next() n % 64 + 1 times */
	OP_CURSOR,		/* u8 whence, u64 seq: a new cursor */
	OP_SLOT_SEQ,		/* u8 slot, u64 v: v into a slot's seq */
	OP_SLOT_WORD,		/* u8 slot, u8 word, u64 v: a body word */
	OP_HEAD,		/* u64 v: store v into the header's head */
	OP_HEAD_ADD,		/* u8 d: head += (int8_t)d */
	OP_HEALTH,		/* u8 words, words * u64: a health update */
	OP_COUNT
};

/*
 * fuzz_netlink: a subscription's start, then the datagrams it receives.
 *
 *   byte 0      start: % 3 = 0 TSMON_FROM_OLDEST, 1 TSMON_FROM_SEQ,
 *               2 TSMON_FROM_NOW
 *   bytes 1-8   the starting sequence (FROM_SEQ, FROM_NOW: head + 1)
 *   then frames: u8 kind, u16 length (little-endian), length bytes
 *
 * Frame kinds (% 3): NL_FRAME_SUB is what tsmon_sub_next() reads next:
 * a replay batch while a dump is in flight, a live batch otherwise;
 * NL_FRAME_STATUS a reply to TSMON_CMD_GET_STATUS; NL_FRAME_FAMILY a
 * reply to CTRL_CMD_GETFAMILY. Replies are addressed to port
 * NL_FUZZ_PORTID, requests are numbered NL_FUZZ_SEQ, the family is
 * NL_FUZZ_FAMILY: seeds use them so that replies are taken as such.
 */
enum nl_frame {
	NL_FRAME_SUB,
	NL_FRAME_STATUS,
	NL_FRAME_FAMILY,
	NL_FRAME_KINDS
};

#define NL_FUZZ_FAMILY	0x1d
#define NL_FUZZ_PORTID	0x4242
#define NL_FUZZ_SEQ	7
#define NL_FUZZ_GROUP	5
#define NL_FUZZ_HEADER	9

/* A little-endian u64 at @p from the @n bytes left, zero-padded. */
static inline uint64_t fuzz_u64(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 8 && i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/*
 * What the ring reader must return when nothing writes the region during
 * the call. The result is then a function of the memory alone, computed
 * here from the ABI's rules without the library: records are delivered
 * exactly as the ring holds them, in sequence order, and everything
 * skipped is reported in a TSMON_EVENT_LOST record with the exact count.
 */
struct ring_view {
	const struct tsmon_header *hdr;
	const unsigned char *ring;
	uint32_t record_size;
	uint64_t entries;
};

static inline uint64_t ring_oldest(const struct ring_view *v, uint64_t head)
{
	return head >= v->entries ? head - v->entries + 1 : 1;
}

static inline const struct tsmon_record *ring_slot(const struct ring_view *v,
						  uint64_t seq)
{
	return (const struct tsmon_record *)(v->ring +
		(seq & (v->entries - 1)) * (uint64_t)v->record_size);
}

/*
 * One tsmon_next() call checked against the model. Returns its result;
 * *delivered and *lost count what it reported.
 */
static inline int check_next(const struct tsmon *t, const struct ring_view *v,
			     struct tsmon_cursor *c, uint64_t *delivered,
			     uint64_t *lost)
{
	uint64_t want = c->next, head = v->hdr->head, oldest, resume = 0;
	const struct tsmon_record *slot;
	struct tsmon_record rec;
	const char *name;
	uint32_t type;
	int ret;

	memset(&rec, 0xa5, sizeof(rec));
	ret = tsmon_next(t, c, &rec);
	if (!want) {
		/* A cursor that ran past 2^64 - 1 is refused, not reused. */
		FUZZ_CHECK(ret == -EINVAL && c->next == 0);
		return ret;
	}
	if (want > head) {
		FUZZ_CHECK(ret == -EAGAIN && c->next == want);
		return ret;
	}
	FUZZ_CHECK(ret == 0);
	FUZZ_CHECK(rec.seq == want);

	oldest = ring_oldest(v, head);
	slot = ring_slot(v, want);
	if (want < oldest) {
		resume = oldest;
	} else if (slot->seq != want) {
		/* Overwritten under us: skip past it, counted. */
		resume = want + 1;
	} else {
		FUZZ_CHECK(!memcmp((const char *)&rec + 8,
				   (const char *)slot + 8, sizeof(rec) - 8));
		FUZZ_CHECK(c->next == want + 1);
		(*delivered)++;
		/* Names: exactly the known types have one, both ways. */
		if (!tsmon_event_type_name(rec.type, &name)) {
			FUZZ_CHECK(rec.type > TSMON_EVENT_NONE &&
				   rec.type < TSMON_EVENT_TYPE_COUNT);
			FUZZ_CHECK(!tsmon_event_type_from_name(name, &type));
			FUZZ_CHECK(type == rec.type);
		} else {
			FUZZ_CHECK(rec.type == TSMON_EVENT_NONE ||
				   rec.type >= TSMON_EVENT_TYPE_COUNT);
		}
		return ret;
	}
	FUZZ_CHECK(rec.type == TSMON_EVENT_LOST);
	FUZZ_CHECK(rec.lost.count == resume - want);
	FUZZ_CHECK(rec.lost.count > 0 || resume == 0);
	FUZZ_CHECK(c->next == resume);
	*lost += rec.lost.count;
	return ret;
}

#endif /* TSMON_FUZZ_H */
