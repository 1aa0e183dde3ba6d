// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libtsmon read paths: the health block and the event ring. Nothing here
 * makes a system call, takes a lock or allocates: these run in the hot
 * loops of the programs that map tsmon.
 */
#include <errno.h>
#include <string.h>

#include "tsmon_private.h"

/*
 * Copies @bytes from the region with atomic loads: the writer may be
 * storing to the same words, and the caller's sequence check decides
 * whether the result is kept.
 */
static void copy_body(void *dst, const void *src, size_t bytes)
{
	const __u64 *s = src;
	uint64_t *d = dst;
	size_t i, words = bytes / 8;

	for (i = 0; i < words; i++)
		d[i] = __atomic_load_n(&s[i], TSMON_BODY_ORDER);
	for (i = words * 8; i < bytes; i++)
		((unsigned char *)dst)[i] = __atomic_load_n(
			(const unsigned char *)src + i, TSMON_BODY_ORDER);
}

TSMON_EXPORT
int tsmon_health_sz(const struct tsmon *t, struct tsmon_health *out,
		    size_t size)
{
	const __u64 *seq, *body_seq;
	struct tsmon_spin spin = { 0 };
	uint64_t begin, body_begin = 0;
	size_t n;

	if (!t || !out || size < sizeof(out->seq))
		return -EINVAL;
	seq = &t->health->seq;
	body_seq = t->body_seq;
	/* min(caller, library, region): the library's own copy is the bound. */
	n = size < t->health_copy ? size : t->health_copy;

	do {
		/*
		 * Pairs with the smp_wmb() the writer issues before it makes
		 * the counts even: even values seen here mean the fields
		 * stored before them are visible.
		 */
		begin = tsmon_load_acquire(seq);
		if (body_seq)
			body_begin = tsmon_load_acquire(body_seq);
		if ((begin | body_begin) & 1)
			continue;
		copy_body((unsigned char *)out + sizeof(out->seq),
			  (const unsigned char *)t->health + sizeof(out->seq),
			  n - sizeof(out->seq));
		/*
		 * Pairs with the smp_wmb() between the writer's odd counts and
		 * the fields: if the copy saw any word of a newer update, the
		 * reloads below see that update's odd (or a later) count.
		 */
		tsmon_read_barrier();
		if (tsmon_load_relaxed(seq) == begin &&
		    (!body_seq || tsmon_load_relaxed(body_seq) == body_begin)) {
			out->seq = begin;
			/* An older module or library fills less: the rest reads 0. */
			if (size > n)
				memset((unsigned char *)out + n, 0, size - n);
			return 0;
		}
	} while (tsmon_spin_again(t, &spin));
	return -EAGAIN;
}

TSMON_EXPORT
int tsmon_head(const struct tsmon *t, uint64_t *head)
{
	if (!t || !head)
		return -EINVAL;
	*head = tsmon_load_head(t);
	return 0;
}

/* Sequence of the oldest record a ring whose newest is @head still holds. */
static uint64_t oldest_seq(const struct tsmon *t, uint64_t head)
{
	return head >= t->ring_entries ? head - t->ring_entries + 1 : 1;
}

TSMON_EXPORT
int tsmon_cursor_init(const struct tsmon *t, struct tsmon_cursor *c,
		      enum tsmon_whence whence, uint64_t seq)
{
	if (!t || !c)
		return -EINVAL;

	switch (whence) {
	case TSMON_FROM_OLDEST:
		seq = oldest_seq(t, tsmon_load_head(t));
		break;
	case TSMON_FROM_NOW:
		seq = tsmon_load_head(t) + 1;
		break;
	case TSMON_FROM_SEQ:
		if (!seq)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	memset(c, 0, sizeof(*c));
	c->next = seq;
	c->instance_id = t->info.instance_id;
	return 0;
}

/*
 * Fills @rec with the marker for records c->next .. @resume - 1, which the
 * writer overwrote before this reader got to them, and moves past them.
 */
static int report_lost(struct tsmon_cursor *c, struct tsmon_record *rec,
		       size_t size, uint64_t resume)
{
	memset(rec, 0, size);
	rec->seq = c->next;
	rec->type = TSMON_EVENT_LOST;
	rec->lost.count = resume - c->next;
	c->next = resume;
	return 0;
}

TSMON_EXPORT
int tsmon_next_sz(const struct tsmon *t, struct tsmon_cursor *c,
		  struct tsmon_record *rec, size_t size)
{
	uint64_t want, head, oldest;
	const __u64 *slot;
	size_t n;

	if (!t || !c || !rec || !c->next || size < TSMON_RECORD_SIZE_V1)
		return -EINVAL;
	/* Sequence numbers of another module instance mean nothing here. */
	if (c->instance_id != t->info.instance_id)
		return -ESTALE;
	/* min(caller, library, region): record_size >= 64 was checked. */
	n = size < sizeof(*rec) ? size : sizeof(*rec);
	if (n > t->record_size)
		n = t->record_size;
	want = c->next;

	head = tsmon_load_head(t);
	if (want > head)
		return -EAGAIN;
	oldest = oldest_seq(t, head);
	if (want < oldest)
		return report_lost(c, rec, size, oldest);

	slot = (const __u64 *)(t->ring + (want & t->ring_mask) *
				  (uint64_t)t->record_size);
	/*
	 * Pairs with the writer's smp_store_release(&rec->seq, seq): seeing
	 * our sequence number here makes the body stored before it visible.
	 */
	if (tsmon_load_acquire(&slot[0]) == want) {
		copy_body((unsigned char *)rec + sizeof(rec->seq), slot + 1,
			  n - sizeof(rec->seq));
		/*
		 * Pairs with the writer's smp_wmb() between storing 0 into
		 * rec->seq and the new body: if the copy read any word of a
		 * later record in this slot, the reload sees 0 or that
		 * record's sequence, never ours.
		 */
		tsmon_read_barrier();
		if (tsmon_load_relaxed(&slot[0]) == want) {
			rec->seq = want;
			if (size > n)
				memset((unsigned char *)rec + n, 0, size - n);
			c->next = want + 1;
			return 0;
		}
	}

	/*
	 * The writer lapped us between the head load and the copy: the slot
	 * is being (or has been) reused. Resume at the oldest record a fresh
	 * head leaves in the ring, and at least one past the one we missed:
	 * the head lags the slot by one record while the writer fills it.
	 */
	oldest = oldest_seq(t, tsmon_load_head(t));
	return report_lost(c, rec, size, oldest > want ? oldest : want + 1);
}
