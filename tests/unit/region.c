// SPDX-License-Identifier: GPL-2.0-only
/*
 * The writer side of the tsmon ABI, as the module implements it. The
 * kernel's WRITE_ONCE() is a relaxed atomic store here, smp_wmb() a release
 * fence and smp_store_release() a release store: the same orderings, in C11
 * terms, so that the library is tested against the real protocol and
 * ThreadSanitizer can follow it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "region.h"

#define REGION_PAGE	4096

static void store_release(__u64 *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

#if defined(__SANITIZE_THREAD__)
#define REGION_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define REGION_TSAN 1
#endif
#endif

#ifndef REGION_TSAN
static void store_relaxed(__u64 *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static void wmb(void)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
}
#else
/*
 * ThreadSanitizer does not model fences: release stores order every store
 * before them the way smp_wmb() does, in a form it follows.
 */
static void store_relaxed(__u64 *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static void wmb(void)
{
}
#endif

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int region_init(struct region *r, uint32_t ring_entries, uint32_t record_size)
{
	size_t ring_bytes = (size_t)ring_entries * record_size;
	size_t size;

	size = TSMON_RING_OFFSET_V1 + ring_bytes;
	size = (size + REGION_PAGE - 1) & ~(size_t)(REGION_PAGE - 1);

	memset(r, 0, sizeof(*r));
	r->base = aligned_alloc(REGION_PAGE, size);
	if (!r->base)
		return -ENOMEM;
	memset(r->base, 0, size);
	r->size = size;
	r->hdr = (struct tsmon_header *)r->base;
	r->health = (struct tsmon_health *)(r->base + TSMON_HEALTH_OFFSET_V1);
	r->ring = r->base + TSMON_RING_OFFSET_V1;

	r->hdr->magic = TSMON_MAGIC;
	r->hdr->abi_version = TSMON_ABI_VERSION;
	r->hdr->header_size = sizeof(struct tsmon_header);
	r->hdr->region_size = size;
	r->hdr->health_offset = TSMON_HEALTH_OFFSET_V1;
	r->hdr->health_size = sizeof(struct tsmon_health);
	r->hdr->ring_offset = TSMON_RING_OFFSET_V1;
	r->hdr->record_size = record_size;
	r->hdr->ring_entries = ring_entries;
	r->hdr->ring_mask = ring_entries - 1;
	r->hdr->instance_id = now_ns(CLOCK_MONOTONIC) ^ ((uint64_t)getpid() << 32);
	r->hdr->load_real_ns = now_ns(CLOCK_REALTIME);
	r->hdr->load_mono_ns = now_ns(CLOCK_MONOTONIC);
	return 0;
}

void region_fini(struct region *r)
{
	free(r->base);
	memset(r, 0, sizeof(*r));
}

struct tsmon_record *region_slot(const struct region *r, uint64_t seq)
{
	return (struct tsmon_record *)(r->ring +
		(seq & r->hdr->ring_mask) * r->hdr->record_size);
}

uint64_t region_append(struct region *r, const struct tsmon_record *rec)
{
	struct tsmon_record *slot;
	const __u64 *src = (const __u64 *)rec;
	__u64 *dst;
	uint64_t seq = ++r->head;
	size_t i;

	slot = region_slot(r, seq);
	dst = (__u64 *)slot;

	/* Readers still copying the old record in this slot see 0 and drop it. */
	store_relaxed(&slot->seq, 0);
	wmb();
	for (i = 1; i < sizeof(*rec) / sizeof(__u64); i++)
		store_relaxed(&dst[i], src[i]);
	store_release(&slot->seq, seq);
	store_release(&r->hdr->head, seq);
	return seq;
}

void region_health_write_prefix(struct region *r, const struct tsmon_health *h,
				size_t bytes)
{
	const __u64 *src = (const __u64 *)h;
	__u64 *dst = (__u64 *)r->health;
	uint64_t seq = __atomic_load_n(&r->health->seq, __ATOMIC_RELAXED);
	size_t bi = offsetof(struct tsmon_health, body_seq) / sizeof(__u64);
	bool body = bytes / sizeof(__u64) > bi;
	uint64_t bseq = body ? __atomic_load_n(&dst[bi], __ATOMIC_RELAXED) : 0;
	size_t i;

	/* The module's protocol: both counts odd around every field store. */
	store_relaxed(&r->health->seq, seq + 1);
	if (body)
		store_relaxed(&dst[bi], bseq + 1);
	wmb();
	for (i = 1; i < bytes / sizeof(__u64); i++)
		if (i != bi)
			store_relaxed(&dst[i], src[i]);
	wmb();
	if (body)
		store_relaxed(&dst[bi], bseq + 2);
	store_relaxed(&r->health->seq, seq + 2);
}

void region_health_write_body(struct region *r, const struct tsmon_health *h)
{
	const __u64 *src = (const __u64 *)h;
	__u64 *dst = (__u64 *)r->health;
	size_t bi = offsetof(struct tsmon_health, body_seq) / sizeof(__u64);
	uint64_t bseq = __atomic_load_n(&dst[bi], __ATOMIC_RELAXED);
	size_t i;

	store_relaxed(&dst[bi], bseq + 1);
	wmb();
	for (i = TSMON_HEALTH_CLOCK_LINE / sizeof(__u64);
	     i < sizeof(*h) / sizeof(__u64); i++)
		if (i != bi)
			store_relaxed(&dst[i], src[i]);
	wmb();
	store_relaxed(&dst[bi], bseq + 2);
}

void region_health_write(struct region *r, const struct tsmon_health *h)
{
	region_health_write_prefix(r, h, sizeof(*h));
}

int region_save(const struct region *r, size_t len, char *tmpl)
{
	size_t done = 0;
	ssize_t n;
	int fd;

	fd = mkstemp(tmpl);
	if (fd < 0)
		return -errno;
	while (done < len) {
		n = write(fd, r->base + done, len - done);
		if (n < 0) {
			n = -errno;
			close(fd);
			unlink(tmpl);
			return n;
		}
		done += n;
	}
	if (close(fd) < 0) {
		unlink(tmpl);
		return -errno;
	}
	return 0;
}
