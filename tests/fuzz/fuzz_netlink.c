// SPDX-License-Identifier: GPL-2.0-only
/*
 * Any bytes as the datagrams a netlink subscription receives: event
 * multicasts, GET_EVENTS dump replies, GET_STATUS and GETFAMILY replies,
 * NLMSG_ERROR with or without extack. The library's receive side
 * (tsmon__sub_rx_*() in lib/netlink.c, what tsmon_sub_next(),
 * tsmon_sub_status() and tsmon_sub_open() run on each datagram) is driven
 * as tsmon_sub_next() drives it: records are delivered until none is
 * pending, then the next datagram is a replay batch while a dump is in
 * flight and a live batch otherwise.
 *
 * Each datagram is copied to the end of a buffer that a guard page
 * follows, and the bytes before and after it are poisoned, so that any
 * read past what the socket would have returned is reported: by ASan in
 * the library, by a fault in libmnl, which is not instrumented. What is
 * delivered must be a gapless sequence: each record starts where the last
 * ended, a loss notice counts at least one record, and the position never
 * goes back. Errors are negative error numbers.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <libmnl/libmnl.h>
#include <sanitizer/asan_interface.h>
#include <tsmon/netlink.h>

#include <tsmon/tsmon.h>
#include "fuzz.h"
#include "tsmon_private.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAGE		4096
#define ARENA_SIZE	(64 * 1024)

static struct tsmon_sub *sub;
static unsigned char *arena;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	sub = calloc(1, sizeof(*sub));
	FUZZ_CHECK(sub);
	arena = mmap(NULL, ARENA_SIZE + PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	FUZZ_CHECK(arena != MAP_FAILED);
	FUZZ_CHECK(!mprotect(arena + ARENA_SIZE, PAGE, PROT_NONE));
	return 0;
}

/*
 * The datagram at the end of the arena, 4-byte aligned as a receive
 * buffer is: at most 3 bytes between its end and the guard page, which
 * are poisoned like everything before it.
 */
static void *place(const uint8_t *p, size_t len)
{
	unsigned char *buf = arena + ARENA_SIZE - ((len + 3) & ~(size_t)3);

	ASAN_UNPOISON_MEMORY_REGION(arena, ARENA_SIZE);
	memcpy(buf, p, len);
	ASAN_POISON_MEMORY_REGION(arena, buf - arena);
	ASAN_POISON_MEMORY_REGION(buf + len, arena + ARENA_SIZE - (buf + len));
	return buf;
}

static void check_error(int ret)
{
	if (ret < 0)
		FUZZ_CHECK(ret >= -4095);
}

/* Deliver everything pending, as tsmon_sub_next() would. */
static void drain(struct tsmon_sub *s)
{
	struct tsmon_record rec;
	uint64_t before, end;

	for (;;) {
		before = s->next;
		memset(&rec, 0xa5, sizeof(rec));
		if (tsmon__sub_pop(s, &rec))
			break;
		FUZZ_CHECK(rec.seq != 0);
		FUZZ_CHECK(!before || rec.seq == before);
		if (rec.type == TSMON_EVENT_LOST) {
			FUZZ_CHECK(rec.lost.count > 0);
			end = rec.seq + rec.lost.count;
		} else {
			end = rec.seq + 1;
		}
		FUZZ_CHECK(end > rec.seq);
		FUZZ_CHECK(s->next == end);
	}
	FUZZ_CHECK(s->pos >= s->npend && s->npend <= SUB_PEND_MAX);
}

static void rx_sub(struct tsmon_sub *s, const void *buf, size_t len)
{
	int ret;

	drain(s);
	if (s->replaying) {
		ret = tsmon__sub_rx_replay(s, buf, len);
		FUZZ_CHECK(ret <= 0);
	} else {
		ret = tsmon__sub_rx_live(s, buf, len);
		FUZZ_CHECK(ret <= 0 || ret == TSMON__SUB_GAP);
		/* What sub_replay() does after sending the dump request. */
		if (ret == TSMON__SUB_GAP) {
			FUZZ_CHECK(s->npend == 0);
			s->replaying = true;
			ret = 0;
		}
	}
	check_error(ret);
}

static void rx_status(struct tsmon_sub *s, const void *buf, size_t len)
{
	struct tsmon__status st;
	int ret;

	/* tsmon_sub_status() refuses while a replay uses the socket. */
	if (s->replaying)
		return;
	ret = tsmon__sub_rx_status(s, buf, len, &st);
	FUZZ_CHECK(ret == MNL_CB_OK || ret == MNL_CB_STOP || ret < 0);
	check_error(ret);
}

static void rx_family(struct tsmon_sub *s, const void *buf, size_t len)
{
	struct sub_family fam = { .group_name = TSMON_GENL_MCGRP_EVENTS };
	int ret;

	if (s->replaying)
		return;
	ret = tsmon__sub_rx_family(s, buf, len, &fam);
	FUZZ_CHECK(ret == MNL_CB_OK || ret == MNL_CB_STOP || ret < 0);
	check_error(ret);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data + NL_FUZZ_HEADER, *end = data + size;
	struct tsmon_sub *s = sub;
	uint64_t seq;

	if (size < NL_FUZZ_HEADER || size > ARENA_SIZE)
		return -1;

	memset(s, 0, offsetof(struct tsmon_sub, pend));
	s->npend = s->pos = 0;
	s->family = NL_FUZZ_FAMILY;
	s->req_portid = NL_FUZZ_PORTID;
	s->req_seq = NL_FUZZ_SEQ;
	s->started = true;
	seq = fuzz_u64(data + 1, 8);
	switch (data[0] % 3) {
	case TSMON_FROM_OLDEST:		/* a dump from the oldest */
		s->next = 0;
		s->replaying = true;
		break;
	case TSMON_FROM_SEQ:		/* a dump from seq */
		s->next = seq ? seq : 1;
		s->replaying = true;
		break;
	case TSMON_FROM_NOW:		/* live only, from head + 1 */
		s->next = seq ? seq : 1;
		break;
	}

	while (end - p >= 3) {
		unsigned int kind = p[0] % NL_FRAME_KINDS;
		size_t len = p[1] | (size_t)p[2] << 8;
		void *buf;

		p += 3;
		if (len > (size_t)(end - p))
			len = end - p;
		buf = place(p, len);
		p += len;

		switch (kind) {
		case NL_FRAME_SUB:
			rx_sub(s, buf, len);
			break;
		case NL_FRAME_STATUS:
			rx_status(s, buf, len);
			break;
		case NL_FRAME_FAMILY:
			rx_family(s, buf, len);
			break;
		}
	}
	drain(s);
	return 0;
}
