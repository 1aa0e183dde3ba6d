/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A tsmon region built in ordinary memory, laid out and written the way the
 * module does it, so that libtsmon can be tested without the module.
 */
#ifndef TSMON_TEST_REGION_H
#define TSMON_TEST_REGION_H

#include <stddef.h>
#include <stdint.h>
#include <tsmon/abi.h>

struct region {
	unsigned char *base;
	size_t size;			/* == hdr->region_size */
	struct tsmon_header *hdr;
	struct tsmon_health *health;
	unsigned char *ring;
	uint64_t head;			/* the writer's own copy of hdr->head */
};

/*
 * Lays out a region like the module: header at 0, health block at 256,
 * ring at 4096 with @ring_entries records of @record_size bytes, the whole
 * rounded up to a page. Returns 0 or -ENOMEM.
 */
int region_init(struct region *r, uint32_t ring_entries, uint32_t record_size);
void region_fini(struct region *r);

/* The ring slot that record @seq occupies. */
struct tsmon_record *region_slot(const struct region *r, uint64_t seq);

/*
 * Publishes a record with the body of @rec (its seq is ignored) under the
 * next sequence number, which it returns. Single writer only.
 */
uint64_t region_append(struct region *r, const struct tsmon_record *rec);

/* Replaces the health block body with @h's (its seq is ignored). */
void region_health_write(struct region *r, const struct tsmon_health *h);

/*
 * The same for the first @bytes (a multiple of 8) of the body only, under
 * one sequence count update: the shortest update a writer can make, for
 * tests that want readers to run into as many updates as possible.
 */
void region_health_write_prefix(struct region *r, const struct tsmon_health *h,
				size_t bytes);

/*
 * An update that changes nothing on the clock line (an adjtimex read's
 * counters, say): the body after cache line 0 under body_seq alone, as the
 * module publishes it.
 */
void region_health_write_body(struct region *r, const struct tsmon_health *h);

/*
 * Writes the first @len bytes of the region to a new file made from
 * @tmpl (a mkstemp() template, modified in place). Returns 0 or -errno.
 */
int region_save(const struct region *r, size_t len, char *tmpl);

#endif /* TSMON_TEST_REGION_H */
