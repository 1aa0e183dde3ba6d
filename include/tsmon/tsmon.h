/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libtsmon - read the tsmon timekeeping event ring and health block.
 *
 * A handle maps /dev/tsmon (or attaches to a caller-provided region of the
 * same format) once; after that tsmon_health(), tsmon_next() and
 * tsmon_now() make no system call (tsmon_now() reads the clock through the
 * vDSO), take no lock and allocate nothing. Any number of threads may read
 * through one handle at once; the tsmon_set_*() settings are single atomic
 * words, safe to change while others read. Cursors and forward-clock states
 * are caller-owned.
 *
 * Every function returns 0 (or a non-negative value where documented) on
 * success and a negative errno on failure.
 *
 * Growing by appending: every structure the caller allocates for the
 * library to fill crosses the boundary with its size. The exported
 * functions take it explicitly (tsmon_*_sz()); the inline functions of the
 * same name without _sz pass sizeof() as compiled into the caller. The
 * library fills min(caller's size, its own, what the module provides) and
 * zeroes the rest of the caller's structure, so a program built against an
 * older header runs on a newer library and the reverse. Cursors and
 * forward-clock states have a fixed size, with reserved words.
 */
#ifndef TSMON_TSMON_H
#define TSMON_TSMON_H

#include <stddef.h>
#include <stdint.h>
#include <tsmon/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header; tsmon_version() gives the library's. */
#define TSMON_VERSION_MAJOR	0
#define TSMON_VERSION_MINOR	1
#define TSMON_VERSION_PATCH	0
#define TSMON_VERSION_CODE	(TSMON_VERSION_MAJOR << 16 | \
				 TSMON_VERSION_MINOR << 8 | TSMON_VERSION_PATCH)

uint32_t tsmon_version(void);

struct tsmon;

/* struct tsmon_info.flags */
#define TSMON_INFO_TIMENS_UNKNOWN (1U << 0)	/* time namespace offsets unreadable
						 * (no /proc): assumed 0 */

/* Layout facts of an open region (copied from its header). */
struct tsmon_info {
	uint32_t abi_version;
	uint32_t header_size;
	uint32_t health_size;
	uint32_t record_size;
	uint32_t ring_entries;
	uint32_t region_size;
	uint64_t instance_id;
	uint64_t load_real_ns;
	uint64_t load_mono_ns;		/* the module's CLOCK_MONOTONIC */
	/*
	 * The caller's time namespace: its CLOCK_MONOTONIC minus the one the
	 * module (and every mono_ns in the region) uses. Signed.
	 */
	uint64_t timens_mono_offset_ns;
	uint32_t flags;			/* TSMON_INFO_* */
	uint32_t __reserved;
	/* new fields are appended here */
};

/* Where a new cursor starts. */
enum tsmon_whence {
	TSMON_FROM_OLDEST	= 0,	/* oldest record still in the ring */
	TSMON_FROM_NOW		= 1,	/* the next record to be published */
	TSMON_FROM_SEQ		= 2,	/* a given sequence number */
};

/*
 * A reader's position in the ring; owned and stored by the caller, set up
 * by tsmon_cursor_init(). Used with another module instance (the module was
 * reloaded) it gives -ESTALE.
 */
struct tsmon_cursor {
	uint64_t next;		/* sequence number of the next record wanted */
	uint64_t instance_id;	/* the region's, at tsmon_cursor_init() */
	uint64_t __reserved[2];	/* zero */
};

int tsmon_open(const char *path, struct tsmon **out);
int tsmon_attach(const void *base, size_t len, struct tsmon **out);
void tsmon_close(struct tsmon *t);

int tsmon_get_info_sz(const struct tsmon *t, struct tsmon_info *info,
		      size_t size);
static inline int tsmon_get_info(const struct tsmon *t, struct tsmon_info *info)
{
	return tsmon_get_info_sz(t, info, sizeof(*info));
}

int tsmon_fd(const struct tsmon *t);

int tsmon_health_sz(const struct tsmon *t, struct tsmon_health *out,
		    size_t size);
static inline int tsmon_health(const struct tsmon *t, struct tsmon_health *out)
{
	return tsmon_health_sz(t, out, sizeof(*out));
}

int tsmon_head(const struct tsmon *t, uint64_t *head);

int tsmon_cursor_init(const struct tsmon *t, struct tsmon_cursor *c,
		      enum tsmon_whence whence, uint64_t seq);
int tsmon_next_sz(const struct tsmon *t, struct tsmon_cursor *c,
		  struct tsmon_record *rec, size_t size);
static inline int tsmon_next(const struct tsmon *t, struct tsmon_cursor *c,
			     struct tsmon_record *rec)
{
	return tsmon_next_sz(t, c, rec, sizeof(*rec));
}
int tsmon_wait(const struct tsmon *t, const struct tsmon_cursor *c,
	       int timeout_ms);
/* A descriptor, for poll(2) or epoll(7), readable while head > after_seq. */
int tsmon_waiter_open(const struct tsmon *t, uint64_t after_seq);
int tsmon_waiter_arm(int fd, uint64_t after_seq);

/* Status of a bounded clock read (the states AWS ClockBound defines). */
enum tsmon_clock_status {
	TSMON_CLOCK_UNKNOWN		= 0,	/* no NTP state seen, or hook missing */
	TSMON_CLOCK_SYNCHRONIZED	= 1,
	TSMON_CLOCK_FREE_RUNNING	= 2,	/* unsynchronised or sync updates stale */
	TSMON_CLOCK_DISRUPTED		= 3,	/* within the cooldown after a disruption,
						 * or no sync update since it */
};

/* struct tsmon_time.flags: why the status is what it is. */
#define TSMON_TIME_NO_HOOK	(1U << 0)	/* NTP hook not attached */
#define TSMON_TIME_NO_CAPTURE	(1U << 1)	/* no adjtimex call seen yet */
#define TSMON_TIME_NO_SYNC	(1U << 2)	/* no sync update seen yet */
#define TSMON_TIME_UNSYNC	(1U << 3)	/* STA_UNSYNC or STA_CLOCKERR set */
#define TSMON_TIME_STALE	(1U << 4)	/* last sync update too old */
#define TSMON_TIME_COOLDOWN	(1U << 5)	/* disruption within the cooldown */
#define TSMON_TIME_UNBOUNDED	(1U << 6)	/* no bound known: bound_ns = UINT64_MAX */
#define TSMON_TIME_HELD		(1U << 7)	/* tsmon_forward_now() held time still */
#define TSMON_TIME_NO_ERROR	(1U << 8)	/* the sync source asserted no error
						 * (maxerror 0), no budget declared */
#define TSMON_TIME_LEAP_EDGE	(1U << 9)	/* past a pending leap second's
						 * instant, before the tick that
						 * applies it: a second off */

/* A bounded read of CLOCK_REALTIME. */
struct tsmon_time {
	uint64_t real_ns;	/* CLOCK_REALTIME */
	uint64_t mono_ns;	/* the CLOCK_MONOTONIC it was derived from */
	uint64_t earliest_ns;	/* real_ns - bound_ns, 0 if that underflows */
	uint64_t latest_ns;	/* real_ns + bound_ns, UINT64_MAX if unbounded */
	uint64_t bound_ns;	/* UINT64_MAX when no bound is known */
	uint64_t sync_age_ns;	/* since the last sync update, UINT64_MAX if none */
	uint64_t held_ns;	/* tsmon_forward_now(): how far real_ns is ahead */
	uint32_t status;	/* enum tsmon_clock_status */
	uint32_t flags;		/* TSMON_TIME_* */
	/* new fields are appended here */
};

/* State of a forward-only clock; owned by the caller, zero-initialised. */
struct tsmon_forward {
	uint64_t last_ns;
	uint64_t __reserved[3];	/* zero */
};

#define TSMON_DRIFT_DEFAULT_PPB		50000ULL	/* 50 ppm */
#define TSMON_DRIFT_KERNEL_PPB		500000ULL	/* the kernel's maxerror rule */
#define TSMON_COOLDOWN_DEFAULT_NS	5000000000ULL	/* 5 s */
#define TSMON_STALE_FACTOR_DEFAULT	4U
#define TSMON_STALE_UNKNOWN_NS		2048000000000ULL /* no interval known yet */
#define TSMON_DRIFT_MAX_PPB		1000000000ULL	/* 100 %: the clock could stand still */
/* How long a read waits for a writer stopped inside an update: -EAGAIN then. */
#define TSMON_SPIN_LIMIT_DEFAULT_NS	200000ULL	/* 200 us */

int tsmon_set_drift(struct tsmon *t, uint64_t ppb);
int tsmon_set_cooldown(struct tsmon *t, uint64_t ns);
int tsmon_set_stale_factor(struct tsmon *t, uint32_t factor);
int tsmon_set_spin_limit(struct tsmon *t, uint64_t ns);

int tsmon_now_sz(const struct tsmon *t, struct tsmon_time *out, size_t size);
int tsmon_now_at_sz(const struct tsmon *t, uint64_t mono_ns,
		    struct tsmon_time *out, size_t size);
int tsmon_one_way_valid_sz(const struct tsmon *t, uint64_t max_bound_ns,
			   struct tsmon_time *out, size_t size);
int tsmon_forward_now_sz(const struct tsmon *t, struct tsmon_forward *f,
			 struct tsmon_time *out, size_t size);

static inline int tsmon_now(const struct tsmon *t, struct tsmon_time *out)
{
	return tsmon_now_sz(t, out, sizeof(*out));
}

static inline int tsmon_now_at(const struct tsmon *t, uint64_t mono_ns,
			       struct tsmon_time *out)
{
	return tsmon_now_at_sz(t, mono_ns, out, sizeof(*out));
}

static inline int tsmon_one_way_valid(const struct tsmon *t,
				      uint64_t max_bound_ns,
				      struct tsmon_time *out)
{
	return tsmon_one_way_valid_sz(t, max_bound_ns, out, sizeof(*out));
}

static inline int tsmon_forward_now(const struct tsmon *t,
				    struct tsmon_forward *f,
				    struct tsmon_time *out)
{
	return tsmon_forward_now_sz(t, f, out, sizeof(*out));
}

/*
 * Netlink subscription: the module pushes every record; a subscription
 * delivers them in sequence order as the same struct tsmon_record the ring
 * reader yields, replaying from the ring whatever the live feed missed, and
 * reporting what is gone as TSMON_EVENT_LOST records. Needs no device node.
 * A subscription is used by one thread at a time.
 */
struct tsmon_sub;

/* What the module reports over netlink; its health block comes apart. */
struct tsmon_nl_status {
	uint64_t head;
	uint64_t instance_id;
	uint32_t abi_version;
	uint32_t ring_entries;
	uint32_t record_size;
	uint32_t health_size;	/* bytes of the health block the module sent */
	uint32_t hooks;
	uint32_t phc_freq_threshold_ppb;
	uint32_t phc_freq_interval_ms;
	uint32_t __reserved;
	/* new fields are appended here */
};

int tsmon_sub_open(struct tsmon_sub **out);
int tsmon_sub_start(struct tsmon_sub *s, enum tsmon_whence whence,
		    uint64_t seq);
int tsmon_sub_next_sz(struct tsmon_sub *s, struct tsmon_record *rec,
		      size_t size, int timeout_ms);
int tsmon_sub_fd(const struct tsmon_sub *s);
int tsmon_sub_status_sz(struct tsmon_sub *s, struct tsmon_nl_status *st,
			size_t st_size, struct tsmon_health *health,
			size_t health_size);

static inline int tsmon_sub_next(struct tsmon_sub *s, struct tsmon_record *rec,
				 int timeout_ms)
{
	return tsmon_sub_next_sz(s, rec, sizeof(*rec), timeout_ms);
}

/* @health may be NULL. */
static inline int tsmon_sub_status(struct tsmon_sub *s,
				   struct tsmon_nl_status *st,
				   struct tsmon_health *health)
{
	return tsmon_sub_status_sz(s, st, sizeof(*st), health,
				   health ? sizeof(*health) : 0);
}
int tsmon_sub_set_config(struct tsmon_sub *s, int64_t phc_freq_threshold_ppb,
			 int64_t phc_freq_interval_ms);
void tsmon_sub_close(struct tsmon_sub *s);

int tsmon_event_type_name(uint32_t type, const char **name);
int tsmon_event_type_from_name(const char *name, uint32_t *type);

#ifdef __cplusplus
}
#endif

#endif /* TSMON_TSMON_H */
