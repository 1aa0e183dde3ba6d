/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libtsmon internals: the handle and the memory-ordering primitives shared
 * by the library's source files.
 */
#ifndef TSMON_PRIVATE_H
#define TSMON_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <tsmon/tsmon.h>

#define TSMON_EXPORT	__attribute__((visibility("default")))

#if __SIZEOF_POINTER__ < 8 || __GCC_ATOMIC_LLONG_LOCK_FREE != 2
#error "libtsmon needs lock-free 64-bit atomic loads (a 64-bit architecture): the region's sequence counts and fields are 64-bit words shared with the kernel"
#endif

#define NSEC_PER_SEC		1000000000ULL
#define NSEC_PER_MSEC		1000000ULL

/*
 * Retries a read makes before it looks at the clock: a live writer holds a
 * count odd for well under a microsecond, so these are enough unless the
 * writer was stopped in the middle of an update (its CPU preempted).
 */
#define TSMON_SPIN_FAST		64

/* Bytes at the start of the health block that a bounded clock read needs. */
#define TSMON_CLOCK_LINE	TSMON_HEALTH_CLOCK_LINE

/*
 * The handle. Everything here except the clock model settings is written
 * once by tsmon_open() or tsmon_attach() and only read afterwards, which is
 * what makes a handle shareable between threads without a lock. The
 * settings are single words that the tsmon_set_*() calls replace with
 * relaxed atomic stores and clock reads load the same way: each read uses
 * either the old or the new value of each setting, never a torn one.
 */
struct tsmon {
	const unsigned char *base;	/* start of the region */
	size_t map_len;			/* bytes we mmap()ed, 0 if attached */
	int fd;				/* -1 if attached */
	bool chardev;			/* fd is a device: read()/poll() work */

	const struct tsmon_header *hdr;
	const struct tsmon_health *health;
	const unsigned char *ring;
	uint32_t health_copy;		/* min(health_size, sizeof(health)) */
	bool clock_line;		/* the health block holds line 0 */
	const __u64 *body_seq;		/* NULL: health.seq covers the block */
	uint32_t record_size;
	uint64_t ring_entries;
	uint64_t ring_mask;

	struct tsmon_info info;

	/* The caller's CLOCK_MONOTONIC minus the module's (time namespace). */
	uint64_t timens_offset;

	/* The clock model (tsmon_set_*()): atomic, see above. */
	uint64_t drift_ppb;
	uint64_t cooldown_ns;
	uint64_t spin_limit_ns;
	uint32_t stale_factor;
};

/*
 * The region is written by the kernel concurrently with every read, so
 * all loads from it go through these: an atomic access is the only way C
 * allows reading memory another agent writes at the same time, and it keeps
 * the compiler from merging, tearing or re-reading a load.
 */
static inline uint64_t tsmon_load_acquire(const __u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline uint64_t tsmon_load_relaxed(const __u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

#if defined(__SANITIZE_THREAD__)
#define TSMON_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TSMON_TSAN 1
#endif
#endif

#ifndef TSMON_TSAN
/* Loads of the data a sequence number protects. */
#define TSMON_BODY_ORDER	__ATOMIC_RELAXED

/* Orders the loads before it against the loads after it (smp_rmb()). */
static inline void tsmon_read_barrier(void)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
}
#else
/*
 * ThreadSanitizer does not model fences. Acquire loads of the body give
 * the same guarantee it can follow: a body word from a newer write makes
 * that write's earlier sequence store visible to the reload after it.
 */
#define TSMON_BODY_ORDER	__ATOMIC_ACQUIRE

static inline void tsmon_read_barrier(void)
{
}
#endif

static inline void tsmon_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
#endif
}

/* CLOCK_MONOTONIC of the caller's time namespace, through the vDSO. */
static inline uint64_t tsmon_mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* Milliseconds for poll() from @now to @deadline, rounded up: never early. */
static inline int tsmon_poll_ms(uint64_t now, uint64_t deadline)
{
	return (int)((deadline - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);
}

/*
 * A reader waiting for a writer to finish an update: spins TSMON_SPIN_FAST
 * times, then until the handle's spin limit has passed on the clock.
 */
struct tsmon_spin {
	uint32_t n;
	uint64_t deadline;
};

/* False once the reader should give up with -EAGAIN. */
static inline bool tsmon_spin_again(const struct tsmon *t, struct tsmon_spin *s)
{
	uint64_t now;

	tsmon_cpu_relax();
	if (++s->n < TSMON_SPIN_FAST)
		return true;
	now = tsmon_mono_now();
	if (!s->deadline)
		s->deadline = now +
			__atomic_load_n(&t->spin_limit_ns, __ATOMIC_RELAXED);
	return now < s->deadline;
}

/*
 * Copies min(@want, @have) bytes from @src to @dst and zeroes the rest of
 * @want: the size-carrying structures' rule.
 */
static inline void tsmon_fill(void *dst, size_t want, const void *src,
			      size_t have)
{
	size_t n = want < have ? want : have;

	memcpy(dst, src, n);
	if (want > n)
		memset((unsigned char *)dst + n, 0, want - n);
}

static inline uint64_t tsmon_load_head(const struct tsmon *t)
{
	/*
	 * Pairs with the writer's smp_store_release(&hdr->head, seq), which
	 * follows smp_store_release(&rec->seq, seq): once a head value is
	 * seen, the seq and body of every record up to it are visible too.
	 */
	return tsmon_load_acquire(&t->hdr->head);
}

/*
 * The netlink subscription (lib/netlink.c). Its receive side is split from
 * the sockets, as the tsmon__sub_rx_*() functions, so that tests can feed
 * it messages built in memory. These are internal: hidden in the shared
 * library, not in lib/libtsmon.map.
 */
#define TSMON_INTERNAL	__attribute__((visibility("hidden")))

#define SUB_BUF_SIZE	(64 * 1024)
/* Records one replay batch can hold: a 64 KiB batch of ~130-byte messages. */
#define SUB_PEND_MAX	512

struct mnl_socket;

struct tsmon_sub {
	struct mnl_socket *live;
	struct mnl_socket *req;
	uint16_t family;
	uint32_t req_seq;
	uint32_t req_portid;

	bool started;
	bool replaying;		/* a dump is in flight on req */
	bool replayed;		/* one ended: check the head before going live */
	uint64_t instance_id;	/* the module's, once known; 0 before */
	uint64_t next;		/* next sequence to deliver; 0: first one seen */

	struct tsmon_record pend[SUB_PEND_MAX];
	size_t npend;
	size_t pos;

	unsigned char buf[SUB_BUF_SIZE];
};

/* A generic netlink family as the controller describes it. */
struct sub_family {
	uint16_t id;
	uint32_t group;
	const char *group_name;	/* the multicast group to look up */
};

TSMON_INTERNAL
struct mnl_socket *tsmon__sub_socket(void);

/* tsmon__sub_rx_live(): the live feed skipped records, replay from next. */
#define TSMON__SUB_GAP	1

TSMON_INTERNAL
int tsmon__sub_rx_live(struct tsmon_sub *s, const void *buf, size_t len);
TSMON_INTERNAL
int tsmon__sub_rx_replay(struct tsmon_sub *s, const void *buf, size_t len);
TSMON_INTERNAL
int tsmon__sub_pop(struct tsmon_sub *s, struct tsmon_record *rec);
/* A status reply as the library knows it. */
struct tsmon__status {
	struct tsmon_nl_status st;
	struct tsmon_health health;
};

TSMON_INTERNAL
int tsmon__sub_rx_status(const struct tsmon_sub *s, const void *buf,
			 size_t len, struct tsmon__status *out);
TSMON_INTERNAL
int tsmon__sub_rx_family(const struct tsmon_sub *s, const void *buf,
			 size_t len, struct sub_family *fam);

#endif /* TSMON_PRIVATE_H */
