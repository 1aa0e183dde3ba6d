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
int tsmon_health(const struct tsmon *t, struct tsmon_health *out)
{
	const __u64 *seq;
	uint64_t begin;
	size_t n;
	int i;

	if (!t || !out)
		return -EINVAL;
	seq = &t->health->seq;
	n = t->health_copy;

	for (i = 0; i < TSMON_HEALTH_RETRIES; i++) {
		/*
		 * Pairs with the smp_wmb() the writer issues between the body
		 * and the store that makes seq even again: an even value seen
		 * here means the body stored before it is visible.
		 */
		begin = tsmon_load_acquire(seq);
		if (begin & 1) {
			tsmon_cpu_relax();
			continue;
		}
		copy_body((unsigned char *)out + sizeof(out->seq),
			  (const unsigned char *)t->health + sizeof(out->seq),
			  n - sizeof(out->seq));
		/*
		 * Pairs with the smp_wmb() between the writer's odd seq store
		 * and the body: if the copy saw any word of a newer update,
		 * the reload below sees that update's odd (or a later) seq.
		 */
		tsmon_read_barrier();
		if (tsmon_load_relaxed(seq) == begin) {
			out->seq = begin;
			/* An older module fills less: its missing fields read 0. */
			memset((unsigned char *)out + n, 0, sizeof(*out) - n);
			return 0;
		}
		tsmon_cpu_relax();
	}
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
		c->next = oldest_seq(t, tsmon_load_head(t));
		return 0;
	case TSMON_FROM_NOW:
		c->next = tsmon_load_head(t) + 1;
		return 0;
	case TSMON_FROM_SEQ:
		if (!seq)
			return -EINVAL;
		c->next = seq;
		return 0;
	}
	return -EINVAL;
}

/*
 * Fills @rec with the marker for records c->next .. @resume - 1, which the
 * writer overwrote before this reader got to them, and moves past them.
 */
static int report_lost(struct tsmon_cursor *c, struct tsmon_record *rec,
		       uint64_t resume)
{
	memset(rec, 0, sizeof(*rec));
	rec->seq = c->next;
	rec->type = TSMON_EVENT_LOST;
	rec->lost.count = resume - c->next;
	c->next = resume;
	return 0;
}

TSMON_EXPORT
int tsmon_next(const struct tsmon *t, struct tsmon_cursor *c,
	       struct tsmon_record *rec)
{
	uint64_t want, head, oldest;
	const __u64 *slot;

	if (!t || !c || !rec || !c->next)
		return -EINVAL;
	want = c->next;

	head = tsmon_load_head(t);
	if (want > head)
		return -EAGAIN;
	oldest = oldest_seq(t, head);
	if (want < oldest)
		return report_lost(c, rec, oldest);

	slot = (const __u64 *)(t->ring + (want & t->ring_mask) *
				  (uint64_t)t->record_size);
	/*
	 * Pairs with the writer's smp_store_release(&rec->seq, seq): seeing
	 * our sequence number here makes the body stored before it visible.
	 */
	if (tsmon_load_acquire(&slot[0]) == want) {
		/* record_size >= sizeof(*rec) was checked when mapping. */
		copy_body((unsigned char *)rec + sizeof(rec->seq), slot + 1,
			  sizeof(*rec) - sizeof(rec->seq));
		/*
		 * Pairs with the writer's smp_wmb() between storing 0 into
		 * rec->seq and the new body: if the copy read any word of a
		 * later record in this slot, the reload sees 0 or that
		 * record's sequence, never ours.
		 */
		tsmon_read_barrier();
		if (tsmon_load_relaxed(&slot[0]) == want) {
			rec->seq = want;
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
	return report_lost(c, rec, oldest > want ? oldest : want + 1);
}
