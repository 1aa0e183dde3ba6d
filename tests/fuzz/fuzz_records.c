// SPDX-License-Identifier: GPL-2.0-only
/*
 * The event ring under a fuzzed writer: a valid region from the test
 * writer (tests/unit/region.c, which lays out and publishes records as the
 * module does), then operations from the input that publish records,
 * corrupt slots, move the head anywhere and read. Every tsmon_next() is
 * checked against the ring's memory (fuzz.h): a record exactly as stored,
 * -EAGAIN at the head, or a TSMON_EVENT_LOST record whose count is exactly
 * what was skipped. While nothing but the writer touched the region, the
 * records must moreover be the ones it published, and a cursor that keeps
 * up must lose nothing.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <tsmon/tsmon.h>
#include "fuzz.h"
#include "region.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MIX	0x9e3779b97f4a7c15ULL

/* Every word the writer publishes for @seq derives from it. */
static void make_record(struct tsmon_record *rec, uint64_t seq)
{
	uint64_t *w = (uint64_t *)rec;
	size_t i;

	for (i = 1; i < sizeof(*rec) / 8; i++)
		w[i] = (seq + i) * MIX;
	rec->type = seq % (TSMON_EVENT_TYPE_COUNT + 2);
}

struct run {
	struct region r;
	struct tsmon *t;
	struct ring_view v;
	struct tsmon_cursor c;
	bool tampered;		/* not only the writer stored to it */
	bool cursor_ok;		/* c came from tsmon_cursor_init() */
	uint64_t health_updates;
};

static const uint8_t *take(const uint8_t **p, const uint8_t *end, size_t n,
			   size_t *got)
{
	const uint8_t *q = *p;

	*got = (size_t)(end - q) < n ? (size_t)(end - q) : n;
	*p += *got;
	return q;
}

static uint8_t arg_u8(const uint8_t **p, const uint8_t *end)
{
	size_t got;
	const uint8_t *q = take(p, end, 1, &got);

	return got ? *q : 0;
}

static uint64_t arg_u64(const uint8_t **p, const uint8_t *end)
{
	size_t got;
	const uint8_t *q = take(p, end, 8, &got);

	return fuzz_u64(q, got);
}

/* Up to @n reads; true when the reader stopped with nothing more. */
static bool op_read(struct run *run, unsigned int n)
{
	uint64_t delivered, lost, want, head;
	struct tsmon_record expect;
	const struct tsmon_record *slot;
	unsigned int i;
	int ret;

	if (!run->cursor_ok)
		return true;
	for (i = 0; i < n; i++) {
		want = run->c.next;
		head = run->r.hdr->head;
		delivered = lost = 0;
		ret = check_next(run->t, &run->v, &run->c, &delivered, &lost);
		if (ret)
			return true;
		if (run->tampered)
			continue;
		/*
		 * Only the writer wrote: a record is the one it published
		 * for that sequence, and a loss is only ever of what the
		 * ring no longer holds.
		 */
		if (delivered) {
			slot = ring_slot(&run->v, want);
			make_record(&expect, want);
			FUZZ_CHECK(!memcmp((const char *)slot + 8,
					   (const char *)&expect + 8,
					   sizeof(expect) - 8));
		} else {
			FUZZ_CHECK(want < ring_oldest(&run->v, head));
			FUZZ_CHECK(run->c.next == ring_oldest(&run->v, head));
		}
	}
	return false;
}

static void op_cursor(struct run *run, unsigned int whence, uint64_t seq)
{
	uint64_t head = run->r.hdr->head;
	int ret;

	ret = tsmon_cursor_init(run->t, &run->c, (enum tsmon_whence)whence,
				seq);
	if (whence > TSMON_FROM_SEQ || (whence == TSMON_FROM_SEQ && !seq)) {
		FUZZ_CHECK(ret == -EINVAL);
		return;
	}
	FUZZ_CHECK(ret == 0);
	run->cursor_ok = true;
	if (whence == TSMON_FROM_OLDEST)
		FUZZ_CHECK(run->c.next == ring_oldest(&run->v, head));
	else if (whence == TSMON_FROM_NOW)
		FUZZ_CHECK(run->c.next == head + 1);
	else
		FUZZ_CHECK(run->c.next == seq);
}

static uint64_t *slot_word(struct run *run, uint8_t slot, unsigned int word)
{
	size_t index = slot & run->r.hdr->ring_mask;
	unsigned char *s = run->r.ring + index * run->r.hdr->record_size;

	return (uint64_t *)s + word % (run->r.hdr->record_size / 8);
}

/*
 * A health update of the first @words words, read back at once: the new
 * words, the old ones after them, and the sequence count of that many
 * updates.
 */
static void op_health(struct run *run, const uint8_t **p, const uint8_t *end)
{
	unsigned int words = arg_u8(p, end) % (sizeof(struct tsmon_health) / 8);
	struct tsmon_health h, expect, out;
	unsigned int i;

	memset(&h, 0, sizeof(h));
	memcpy(&expect, run->r.health, sizeof(expect));
	for (i = 1; i < words; i++)
		((uint64_t *)&h)[i] = ((uint64_t *)&expect)[i] =
			arg_u64(p, end);
	region_health_write_prefix(&run->r, &h, (size_t)words * 8);
	run->health_updates++;
	FUZZ_CHECK(tsmon_health(run->t, &out) == 0);
	FUZZ_CHECK(out.seq == 2 * run->health_updates);
	FUZZ_CHECK(!memcmp((uint64_t *)&out + 1, (uint64_t *)&expect + 1,
			   sizeof(out) - 8));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct tsmon_record rec;
	struct run run;
	unsigned int n, i;
	uint8_t slot;
	uint64_t v;

	if (size < 2)
		return -1;
	memset(&run, 0, sizeof(run));
	FUZZ_CHECK(!region_init(&run.r, 1U << (p[0] % 8), 64U << (p[1] % 3)));
	p += 2;
	FUZZ_CHECK(!tsmon_attach(run.r.base, run.r.size, &run.t));
	run.v.hdr = run.r.hdr;
	run.v.ring = run.r.ring;
	run.v.record_size = run.r.hdr->record_size;
	run.v.entries = run.r.hdr->ring_entries;

	while (p < end) {
		switch (*p++ % OP_COUNT) {
		case OP_APPEND:
			n = arg_u8(&p, end) % 64 + 1;
			for (i = 0; i < n; i++) {
				make_record(&rec, run.r.head + 1);
				FUZZ_CHECK(region_append(&run.r, &rec) ==
					   run.r.hdr->head);
			}
			break;
		case OP_READ:
			op_read(&run, arg_u8(&p, end) % 64 + 1);
			break;
		case OP_CURSOR:
			n = arg_u8(&p, end) % 4;
			op_cursor(&run, n, arg_u64(&p, end));
			break;
		case OP_SLOT_SEQ:
			slot = arg_u8(&p, end);
			*slot_word(&run, slot, 0) = arg_u64(&p, end);
			run.tampered = true;
			break;
		case OP_SLOT_WORD:
			slot = arg_u8(&p, end);
			/* A body word: any but the seq. */
			n = arg_u8(&p, end) % (run.v.record_size / 8 - 1) + 1;
			*slot_word(&run, slot, n) = arg_u64(&p, end);
			run.tampered = true;
			break;
		case OP_HEAD:
			v = arg_u64(&p, end);
			run.r.hdr->head = v;
			run.tampered = true;
			break;
		case OP_HEAD_ADD:
			run.r.hdr->head += (int8_t)arg_u8(&p, end);
			run.tampered = true;
			break;
		case OP_HEALTH:
			op_health(&run, &p, end);
			break;
		}
	}
	/*
	 * Whatever the ring holds now, reading to the end takes at most a
	 * jump to the oldest record, the ring, and the call at the head.
	 */
	FUZZ_CHECK(op_read(&run, (unsigned int)run.v.entries + 2));

	tsmon_close(run.t);
	region_fini(&run.r);
	return 0;
}
