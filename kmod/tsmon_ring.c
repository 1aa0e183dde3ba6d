// SPDX-License-Identifier: GPL-2.0
/*
 * tsmon: the shared region - header, health block and event ring - and the
 * single writer protocol every hook goes through.
 *
 * All writers (the timekeeping hook in hard-IRQ context, the adjtimex and
 * settime probes in process context) serialise on tsmon_dev.lock, a raw
 * spinlock taken with interrupts off. Nothing under that lock reads a clock
 * through ktime_get*(): the timekeeping hook holds the timekeeper seqcount
 * for writing while it waits for the lock, so a ktime_get*() under the lock
 * on another CPU would spin forever.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/random.h>
#include <linux/string.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>

#include "tsmon_private.h"

/**
 * tsmon_region_alloc() - allocate and initialise the shared region
 * @d:       device state
 * @entries: ring entries, a power of two within TSMON_RING_MIN..MAX
 *
 * Return: 0 or -ENOMEM.
 */
int tsmon_region_alloc(struct tsmon_dev *d, u32 entries)
{
	size_t size = TSMON_RING_OFFSET_V1 +
		      (size_t)entries * sizeof(struct tsmon_record);
	struct tsmon_header *hdr;

	BUILD_BUG_ON(sizeof(struct tsmon_header) != TSMON_HEADER_SIZE_V1);
	BUILD_BUG_ON(sizeof(struct tsmon_record) != TSMON_RECORD_SIZE_V1);
	BUILD_BUG_ON(offsetof(struct tsmon_header, head) % 64);
	BUILD_BUG_ON(TSMON_HEALTH_OFFSET_V1 + sizeof(struct tsmon_health) >
		     TSMON_RING_OFFSET_V1);
	BUILD_BUG_ON(TSMON_EVENT_TYPE_COUNT > TSMON_EVENT_SLOTS);
	BUILD_BUG_ON(offsetof(struct tsmon_health, ntp_state) + sizeof(__u32) !=
		     TSMON_HEALTH_CLOCK_LINE);
	BUILD_BUG_ON(offsetof(struct tsmon_health, update_mono_ns) !=
		     TSMON_HEALTH_CLOCK_LINE);
	BUILD_BUG_ON(offsetof(struct tsmon_health, body_seq) % 8);

	size = PAGE_ALIGN(size);
	/* vmalloc_user() zeroes the pages and marks them mappable. */
	d->region = vmalloc_user(size);
	if (!d->region)
		return -ENOMEM;
	d->region_size = size;

	hdr = d->region;
	hdr->magic = TSMON_MAGIC;
	hdr->abi_version = TSMON_ABI_VERSION;
	hdr->header_size = sizeof(*hdr);
	hdr->region_size = size;
	hdr->health_offset = TSMON_HEALTH_OFFSET_V1;
	hdr->health_size = sizeof(struct tsmon_health);
	hdr->ring_offset = TSMON_RING_OFFSET_V1;
	hdr->record_size = sizeof(struct tsmon_record);
	hdr->ring_entries = entries;
	hdr->ring_mask = entries - 1;
	hdr->instance_id = get_random_u64();
	hdr->load_real_ns = ktime_get_real_ns();
	hdr->load_mono_ns = ktime_get_ns();

	d->hdr = hdr;
	d->health = &d->health_copy;
	memset(d->health, 0, sizeof(*d->health));
	/* No adjtimex call seen yet: the kernel's time_state is not known. */
	d->health->ntp_state = TSMON_NTP_STATE_UNKNOWN;
	/* Nobody can map the region yet: no sequence counts needed. */
	d->health_pub = d->region + TSMON_HEALTH_OFFSET_V1;
	memcpy(d->health_pub, d->health, sizeof(*d->health));
	d->ring = d->region + TSMON_RING_OFFSET_V1;
	d->mask = entries - 1;
	d->seq = 0;
	return 0;
}

/**
 * tsmon_region_free() - free the shared region
 * @d: device state; no mapping may exist (the module is pinned while one does)
 */
void tsmon_region_free(struct tsmon_dev *d)
{
	unsigned long flags;
	void *region;

	/* A parameter write may still look for the health block until teardown. */
	flags = tsmon_lock(d);
	region = d->region;
	d->region = NULL;
	d->hdr = NULL;
	d->health = NULL;
	d->health_pub = NULL;
	d->ring = NULL;
	tsmon_unlock(d, flags);
	vfree(region);
}

/**
 * tsmon_lock() - take the writer lock
 * @d: device state
 *
 * Return: saved interrupt flags for tsmon_unlock().
 */
unsigned long tsmon_lock(struct tsmon_dev *d)
	__acquires(&d->lock)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&d->lock, flags);
	return flags;
}

/**
 * tsmon_unlock() - release the writer lock and wake readers of new records
 * @d:     device state
 * @flags: value returned by tsmon_lock()
 */
void tsmon_unlock(struct tsmon_dev *d, unsigned long flags)
	__releases(&d->lock)
{
	bool wake = d->pending_wake;

	d->pending_wake = false;
	/*
	 * The wakeup costs an interrupt and a work item per record: skip it
	 * when nobody sleeps on the device and nobody listens on netlink.
	 * wq_has_sleeper()'s smp_mb() pairs with the barrier a sleeper
	 * issues between queueing itself and reading head (set_current_state()
	 * in wait_event_interruptible(), smp_mb() after poll_wait() in
	 * tsmon_fop_poll() and tsmon_waiter_poll()): either it sees the new head
	 * or we see it queued.
	 * Records nobody was told about are also not sent to a listener that
	 * joins later: they predate it, and its replay has them.
	 */
	if (wake && !wq_has_sleeper(&d->wq) && !tsmon_netlink_listening(d)) {
		d->pump_floor = d->hdr->head + 1;
		wake = false;
	}
	raw_spin_unlock_irqrestore(&d->lock, flags);

	/* Wakeups cannot be issued from the timekeeping hook's context. */
	if (wake)
		irq_work_queue(&d->wake_work);
}

/**
 * tsmon_health_begin() - open an update of the health block
 * @d: device state, lock held
 *
 * Writers change the private copy (d->health) between this and
 * tsmon_health_end(), which publishes what changed. Records are emitted only
 * inside an update, so the event counters tsmon_emit() bumps go out with it.
 */
void tsmon_health_begin(struct tsmon_dev *d)
{
	lockdep_assert_held(&d->lock);
}

/* Whether anything @seq covers changed: cache line 0 and the leap fields. */
static bool tsmon_clock_changed(const struct tsmon_health *w,
				const struct tsmon_health *p)
{
	return memcmp((const char *)w + sizeof(w->seq), (const char *)p + sizeof(p->seq),
		      TSMON_HEALTH_CLOCK_LINE - sizeof(w->seq)) ||
	       w->leap_state != p->leap_state || w->leap_real_ns != p->leap_real_ns;
}

/*
 * Copies the body (all but cache line 0 and @body_seq) line by line, storing
 * only the lines that changed: a store dirties the line for every reader.
 */
static void tsmon_body_copy(struct tsmon_health *p, const struct tsmon_health *w)
{
	const size_t skip = offsetof(struct tsmon_health, body_seq);
	size_t off, len;

	for (off = TSMON_HEALTH_CLOCK_LINE; off < sizeof(*w); off += len) {
		len = min_t(size_t, 64, sizeof(*w) - off);
		if (off <= skip && skip < off + len) {
			/* The line holding body_seq: copy around it. */
			memcpy((char *)p + off, (const char *)w + off, skip - off);
			memcpy((char *)p + skip + 8, (const char *)w + skip + 8,
			       off + len - skip - 8);
		} else if (memcmp((char *)p + off, (const char *)w + off, len)) {
			memcpy((char *)p + off, (const char *)w + off, len);
		}
	}
}

/*
 * Records and their counters go out together: the first record of an
 * update makes body_seq odd before the ring moves, so a copy of the block
 * never holds counters behind a head it was read with.
 */
static void tsmon_body_open(struct tsmon_dev *d)
{
	if (d->body_open)
		return;
	WRITE_ONCE(d->health_pub->body_seq, d->health_pub->body_seq + 1);
	/* Odd before the record; pairs with the reader's acquire fence. */
	smp_wmb();
	d->body_open = true;
}

/**
 * tsmon_health_end() - close an update: publish what changed
 * @d: device state, lock held
 *
 * Nothing is stored when nothing changed (an adjtimex read that changes no
 * published field, a plain tick). @seq, on the line tsmon_now() reads, moves
 * only when that line or the leap fields change; @body_seq moves for every
 * change. Readers of the clock line therefore never retry for a counter.
 */
void tsmon_health_end(struct tsmon_dev *d)
{
	struct tsmon_health *w = d->health, *p = d->health_pub;
	const size_t bs = offsetof(struct tsmon_health, body_seq);
	bool clock;

	lockdep_assert_held(&d->lock);
	clock = tsmon_clock_changed(w, p);
	if (!clock && !d->body_open &&
	    !memcmp((char *)w + TSMON_HEALTH_CLOCK_LINE + 8,
		    (char *)p + TSMON_HEALTH_CLOCK_LINE + 8,
		    bs - TSMON_HEALTH_CLOCK_LINE - 8) &&
	    !memcmp((char *)w + bs + 8, (char *)p + bs + 8, sizeof(*w) - bs - 8))
		return;

	w->update_mono_ns = ktime_get_mono_fast_ns();
	if (clock)
		WRITE_ONCE(p->seq, p->seq + 1);
	if (!d->body_open)
		WRITE_ONCE(p->body_seq, p->body_seq + 1);
	d->body_open = false;
	/*
	 * Odd counts before any field changes; pairs with the reader's acquire
	 * fence between its copy and its second load of the count.
	 */
	smp_wmb();
	if (clock)
		memcpy((char *)p + sizeof(p->seq), (char *)w + sizeof(w->seq),
		       TSMON_HEALTH_CLOCK_LINE - sizeof(p->seq));
	tsmon_body_copy(p, w);
	/* Fields before the even counts; pairs with the reader's acquire load. */
	smp_wmb();
	WRITE_ONCE(p->body_seq, p->body_seq + 1);
	if (clock)
		WRITE_ONCE(p->seq, p->seq + 1);
}

/**
 * tsmon_write_begin() - take the writer lock and open a health update
 * @d: device state
 *
 * Return: saved interrupt flags for tsmon_write_end().
 */
unsigned long tsmon_write_begin(struct tsmon_dev *d)
	__acquires(&d->lock)
{
	unsigned long flags = tsmon_lock(d);

	tsmon_health_begin(d);
	return flags;
}

/**
 * tsmon_write_end() - close the health update and release the lock
 * @d:     device state
 * @flags: value returned by tsmon_write_begin()
 */
void tsmon_write_end(struct tsmon_dev *d, unsigned long flags)
	__releases(&d->lock)
{
	tsmon_health_end(d);
	tsmon_unlock(d, flags);
}

/**
 * tsmon_rec_init() - start a record
 * @rec:  record to clear and fill
 * @type: enum tsmon_event_type
 * @mono: CLOCK_MONOTONIC of the event
 * @real: CLOCK_REALTIME of the event
 */
void tsmon_rec_init(struct tsmon_record *rec, u32 type, u64 mono, u64 real)
{
	memset(rec, 0, sizeof(*rec));
	rec->type = type;
	rec->mono_ns = mono;
	rec->real_ns = real;
}

/**
 * tsmon_emit() - append one record to the ring
 * @d:   device state, inside tsmon_write_begin()/tsmon_write_end()
 * @rec: record to copy; its seq field is assigned here
 *
 * The oldest record is overwritten when the ring is full: the ring never
 * blocks the hook, and readers learn what they lost from the sequence
 * numbers.
 */
void tsmon_emit(struct tsmon_dev *d, struct tsmon_record *rec)
{
	struct tsmon_record *slot;
	u64 seq;

	lockdep_assert_held(&d->lock);
	tsmon_body_open(d);

	seq = ++d->seq;
	slot = &d->ring[seq & d->mask];

	/*
	 * Invalidate the slot before touching its body, so a reader copying the
	 * previous occupant sees seq change; pairs with the reader's acquire
	 * fence before its second load of the record's seq.
	 */
	WRITE_ONCE(slot->seq, 0);
	smp_wmb();
	memcpy((char *)slot + sizeof(slot->seq), (char *)rec + sizeof(rec->seq),
	       sizeof(*slot) - sizeof(slot->seq));
	/* Body before seq; pairs with the reader's acquire load of record seq. */
	smp_store_release(&slot->seq, seq);
	/* Record before head; pairs with the reader's acquire load of head. */
	smp_store_release(&d->hdr->head, seq);

	rec->seq = seq;
	if (rec->type < TSMON_EVENT_SLOTS)
		d->health->event_count[rec->type]++;
	d->pending_wake = true;
}

/**
 * tsmon_set_name() - store a NUL-terminated, NUL-padded name in ABI words
 * @dst:   destination words
 * @words: number of __u64 words at @dst
 * @src:   name, truncated to fit with its terminator
 */
void tsmon_set_name(__u64 *dst, size_t words, const char *src)
{
	char buf[TSMON_CS_NAME_WORDS * 8] = { 0 };
	size_t len = words * 8;

	if (len > sizeof(buf))
		len = sizeof(buf);
	if (src)
		strscpy(buf, src, len);
	memcpy(dst, buf, len);
}

/**
 * tsmon_real_of() - CLOCK_REALTIME at a CLOCK_MONOTONIC instant
 * @d:    device state, lock held
 * @mono: CLOCK_MONOTONIC ns
 *
 * REALTIME is MONOTONIC plus the offset the timekeeping hook publishes, so
 * a record's two times agree exactly instead of coming from two clock reads.
 *
 * Return: @mono + the current REALTIME - MONOTONIC offset.
 */
u64 tsmon_real_of(struct tsmon_dev *d, u64 mono)
{
	lockdep_assert_held(&d->lock);
	return mono + (s64)d->health->offs_real_ns;
}

/**
 * tsmon_update_leap_state() - derive health.leap_state from what the hooks saw
 * @d: device state, inside tsmon_write_begin()/tsmon_write_end()
 *
 * An insertion is visible in the timekeeper; a deletion only through the
 * shadow of the NTP state machine. The kernel never has both pending.
 */
void tsmon_update_leap_state(struct tsmon_dev *d)
{
	struct tsmon_health *h = d->health;

	lockdep_assert_held(&d->lock);

	if (d->ins_armed) {
		h->leap_state = TSMON_LEAP_INSERT_PENDING;
		h->leap_real_ns = d->ins_leap_real_ns;
	} else if (d->del_armed) {
		h->leap_state = TSMON_LEAP_DELETE_PENDING;
		h->leap_real_ns = d->del_leap_real_ns;
	} else {
		h->leap_state = TSMON_LEAP_NONE;
		h->leap_real_ns = 0;
	}
}

/**
 * tsmon_rec_mono() - CLOCK_MONOTONIC for a record about to be emitted
 * @d: device state, lock held
 *
 * Read under the writer lock, so that records' mono_ns follow their
 * sequence numbers (the PHC frequency limit subtracts them). The fast
 * accessor never waits on tk_core.seq, which the timekeeping hook holds;
 * it can lag a few ns across a timekeeper update, hence the clamp.
 *
 * Return: now, never before the previous call's value.
 */
u64 tsmon_rec_mono(struct tsmon_dev *d)
{
	u64 mono = ktime_get_mono_fast_ns();

	lockdep_assert_held(&d->lock);
	if (mono < d->rec_mono)
		mono = d->rec_mono;
	d->rec_mono = mono;
	return mono;
}

/**
 * tsmon_ring_copy() - copy one record out of the ring, without the lock
 * @d:   device state
 * @seq: sequence number wanted
 * @rec: where to copy it
 *
 * The readers' protocol of the mapped ring: acquire the slot's seq, copy,
 * read barrier, check seq again. A writer zeroes seq before it touches the
 * body, so a copy torn by an overwrite fails the check.
 *
 * Return: false if the record is not (or no longer) in the ring.
 */
bool tsmon_ring_copy(struct tsmon_dev *d, u64 seq, struct tsmon_record *rec)
{
	const struct tsmon_record *slot = &d->ring[seq & d->mask];

	/* Pairs with smp_store_release() of the slot's seq in tsmon_emit(). */
	if (!seq || smp_load_acquire(&slot->seq) != seq)
		return false;
	memcpy(rec, slot, sizeof(*rec));
	/* Pairs with smp_wmb() after zeroing seq in tsmon_emit(). */
	smp_rmb();
	return READ_ONCE(slot->seq) == seq;
}
