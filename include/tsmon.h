/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libtsmon - read the tsmon timekeeping event ring and health block.
 *
 * A handle maps /dev/tsmon (or attaches to a caller-provided region of the
 * same format) once; after that tsmon_health() and tsmon_next() make no
 * system call, take no lock and allocate nothing. A handle is immutable after
 * tsmon_open()/tsmon_attach(): any number of threads may read through one
 * handle at once. Cursors are caller-owned: one per consumer thread.
 *
 * Every function returns 0 (or a non-negative value where documented) on
 * success and a negative errno on failure.
 */
#ifndef TSMON_H
#define TSMON_H

#include <stddef.h>
#include <stdint.h>
#include <linux/tsmon.h>

#ifdef __cplusplus
extern "C" {
#endif

struct tsmon;

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
	uint64_t load_mono_ns;
};

/* Where a new cursor starts. */
enum tsmon_whence {
	TSMON_FROM_OLDEST	= 0,	/* oldest record still in the ring */
	TSMON_FROM_NOW		= 1,	/* the next record to be published */
	TSMON_FROM_SEQ		= 2,	/* a given sequence number */
};

/* A reader's position in the ring; owned and stored by the caller. */
struct tsmon_cursor {
	uint64_t next;		/* sequence number of the next record wanted */
};

int tsmon_open(const char *path, struct tsmon **out);
int tsmon_attach(const void *base, size_t len, struct tsmon **out);
void tsmon_close(struct tsmon *t);

int tsmon_get_info(const struct tsmon *t, struct tsmon_info *info);
int tsmon_fd(const struct tsmon *t);

int tsmon_health(const struct tsmon *t, struct tsmon_health *out);
int tsmon_head(const struct tsmon *t, uint64_t *head);

int tsmon_cursor_init(const struct tsmon *t, struct tsmon_cursor *c,
		      enum tsmon_whence whence, uint64_t seq);
int tsmon_next(const struct tsmon *t, struct tsmon_cursor *c,
	       struct tsmon_record *rec);
int tsmon_wait(const struct tsmon *t, const struct tsmon_cursor *c,
	       int timeout_ms);

int tsmon_event_type_name(uint32_t type, const char **name);
int tsmon_event_type_from_name(const char *name, uint32_t *type);

#ifdef __cplusplus
}
#endif

#endif /* TSMON_H */
