// SPDX-License-Identifier: GPL-2.0-only
/*
 * Any bytes as a region for tsmon_attach(), and every read path on what
 * it accepts.
 *
 * The input is placed at the start of a page-aligned arena, where a real
 * mapping starts, and every byte after it is poisoned: ASan then reports a
 * read even one byte past what the library was given, which a page-rounded
 * mapping would hide. Once a region is accepted, the bytes between its
 * region_size and the end of the input are poisoned too: nothing past the
 * region the header announces may be read. Nothing writes the region while
 * the library reads it, so what each call returns is checked against what
 * the memory holds.
 *
 * The same bytes are also written to a file for tsmon_open(), which must
 * reach the same verdict without touching a page past the end of the file
 * (a SIGBUS, not an error).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include <sanitizer/asan_interface.h>

#include <tsmon/tsmon.h>
#include "fuzz.h"

#define ARENA_SIZE	(64 * 1024)
#define PAGE		4096

static unsigned char *arena;
static int memfd = -1;
static char memfd_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* A guard page after the arena as well, for reads ASan cannot see. */
	arena = mmap(NULL, ARENA_SIZE + PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	FUZZ_CHECK(arena != MAP_FAILED);
	FUZZ_CHECK(!mprotect(arena + ARENA_SIZE, PAGE, PROT_NONE));
	memfd = memfd_create("fuzz_region", MFD_CLOEXEC);
	FUZZ_CHECK(memfd >= 0);
	snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);
	return 0;
}

/*
 * tsmon_open() on the input as a file: what tsmon_attach() refused for
 * its length (-EINVAL) is a short file (-EBADMSG), everything else the
 * same verdict, and an accepted file the same layout.
 */
static void check_open(const uint8_t *data, size_t size, int attach_ret)
{
	struct tsmon_info a, b;
	struct tsmon *t = NULL;
	int ret;

	FUZZ_CHECK(!ftruncate(memfd, 0));
	FUZZ_CHECK(pwrite(memfd, data, size, 0) == (ssize_t)size);
	ret = tsmon_open(memfd_path, &t);
	FUZZ_CHECK(ret == (attach_ret == -EINVAL ? -EBADMSG : attach_ret));
	if (ret)
		return;
	FUZZ_CHECK(tsmon_get_info(t, &b) == 0);
	memcpy(&a, &b, sizeof(a));
	a.region_size = ((const struct tsmon_header *)data)->region_size;
	FUZZ_CHECK(!memcmp(&a, &b, sizeof(a)));
	FUZZ_CHECK(tsmon_fd(t) >= 0);
	tsmon_close(t);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static void check_info(const struct tsmon *t, const struct tsmon_header *h)
{
	struct tsmon_info info;

	FUZZ_CHECK(tsmon_get_info(t, &info) == 0);
	FUZZ_CHECK(info.abi_version == h->abi_version);
	FUZZ_CHECK(info.header_size == h->header_size);
	FUZZ_CHECK(info.health_size == h->health_size);
	FUZZ_CHECK(info.record_size == h->record_size);
	FUZZ_CHECK(info.ring_entries == h->ring_entries);
	FUZZ_CHECK(info.region_size == h->region_size);
	FUZZ_CHECK(info.instance_id == h->instance_id);
	FUZZ_CHECK(info.load_real_ns == h->load_real_ns);
	FUZZ_CHECK(info.load_mono_ns == h->load_mono_ns);
	FUZZ_CHECK(tsmon_fd(t) == -ENOTTY);
}

/*
 * tsmon_health(): the block's bytes, the tail zeroed, or -EAGAIN if a count
 * is odd. Returns whether the clock line is stable.
 */
static bool check_health(const struct tsmon *t, const struct tsmon_header *h)
{
	const unsigned char *blk = (const unsigned char *)h + h->health_offset;
	size_t n = min_u64(h->health_size, sizeof(struct tsmon_health));
	static const unsigned char zero[sizeof(struct tsmon_health)];
	struct tsmon_health out;
	uint64_t seq, body_seq = 0;
	int ret;

	memcpy(&seq, blk, sizeof(seq));
	/* A block that reaches body_seq: the rest of it is under that count. */
	if (h->health_size >= offsetof(struct tsmon_health, body_seq) + 8)
		memcpy(&body_seq, blk + offsetof(struct tsmon_health, body_seq),
		       sizeof(body_seq));
	memset(&out, 0xa5, sizeof(out));
	ret = tsmon_health(t, &out);
	if ((seq | body_seq) & 1) {
		/* A writer stopped mid-update: a bounded wait, then this. */
		FUZZ_CHECK(ret == -EAGAIN);
		/* Clock reads check the clock line's count alone. */
		return !(seq & 1);
	}
	FUZZ_CHECK(ret == 0);
	FUZZ_CHECK(out.seq == seq);
	FUZZ_CHECK(!memcmp((unsigned char *)&out + 8, blk + 8, n - 8));
	FUZZ_CHECK(!memcmp((unsigned char *)&out + n, zero, sizeof(out) - n));
	return true;
}

static void check_time(const struct tsmon_time *tm)
{
	FUZZ_CHECK(tm->status <= TSMON_CLOCK_DISRUPTED);
	FUZZ_CHECK(tm->earliest_ns <= tm->real_ns);
	FUZZ_CHECK(tm->real_ns <= tm->latest_ns);
	FUZZ_CHECK((tm->bound_ns == UINT64_MAX) ==
		   !!(tm->flags & TSMON_TIME_UNBOUNDED));
	if (tm->bound_ns != UINT64_MAX) {
		FUZZ_CHECK(tm->real_ns - tm->earliest_ns <= tm->bound_ns);
		FUZZ_CHECK(tm->latest_ns - tm->real_ns <= tm->bound_ns);
	}
	if (tm->status == TSMON_CLOCK_SYNCHRONIZED)
		FUZZ_CHECK(!(tm->flags & (TSMON_TIME_NO_HOOK |
					  TSMON_TIME_NO_CAPTURE |
					  TSMON_TIME_COOLDOWN |
					  TSMON_TIME_UNSYNC |
					  TSMON_TIME_NO_SYNC |
					  TSMON_TIME_STALE)));
}

/* The bounded clock: every entry point, with settings from the knobs. */
static void check_clock(struct tsmon *t, const struct tsmon_header *h,
			bool stable)
{
	const __u64 *knob = h->__pad1;
	struct tsmon_forward fw = { 0 };
	struct tsmon_time tm, tm2;
	int expect, ret;

	FUZZ_CHECK(tsmon_set_drift(t, knob[KNOB_DRIFT]) ==
		   (knob[KNOB_DRIFT] > 1000000000ULL ? -EINVAL : 0));
	FUZZ_CHECK(tsmon_set_cooldown(t, knob[KNOB_COOLDOWN]) == 0);
	FUZZ_CHECK(tsmon_set_stale_factor(t, (uint32_t)knob[KNOB_FACTOR]) ==
		   ((uint32_t)knob[KNOB_FACTOR] ? 0 : -EINVAL));

	if (h->health_size < 64)
		expect = -EOPNOTSUPP;
	else
		expect = stable ? 0 : -EAGAIN;

	ret = tsmon_now_at(t, knob[KNOB_MONO], &tm);
	FUZZ_CHECK(ret == expect);
	if (ret)
		return;	/* the others read the same line: same answer */
	FUZZ_CHECK(tm.mono_ns == knob[KNOB_MONO]);
	FUZZ_CHECK(tm.held_ns == 0 && !(tm.flags & TSMON_TIME_HELD));
	check_time(&tm);

	FUZZ_CHECK(tsmon_now(t, &tm) == 0);
	check_time(&tm);

	ret = tsmon_one_way_valid(t, knob[KNOB_MAX_BOUND], &tm);
	FUZZ_CHECK(ret == 0 || ret == 1);
	check_time(&tm);
	if (ret)
		FUZZ_CHECK(tm.status == TSMON_CLOCK_SYNCHRONIZED &&
			   tm.bound_ns <= knob[KNOB_MAX_BOUND]);
	FUZZ_CHECK(tsmon_one_way_valid(t, knob[KNOB_MAX_BOUND], NULL) >= 0);

	/* A forward clock never goes back, whatever the offset says. */
	fw.last_ns = knob[KNOB_MONO];
	FUZZ_CHECK(tsmon_forward_now(t, &fw, &tm) == 0);
	FUZZ_CHECK(tm.real_ns >= knob[KNOB_MONO]);
	FUZZ_CHECK(fw.last_ns == tm.real_ns);
	FUZZ_CHECK(tsmon_forward_now(t, &fw, &tm2) == 0);
	FUZZ_CHECK(tm2.real_ns >= tm.real_ns);
	if (tm2.flags & TSMON_TIME_HELD)
		FUZZ_CHECK(tm2.held_ns > 0);
}

/*
 * Cursors from each starting point, then tsmon_next() until it has
 * nothing more: each call is checked against the ring's memory, and the
 * number of calls is bounded, since each must move the cursor forward
 * and at most one jumps over what the ring no longer holds.
 */
static void check_ring(const struct tsmon *t, const struct tsmon_header *h)
{
	const __u64 *knob = h->__pad1;
	struct ring_view v = {
		.hdr = h,
		.ring = (const unsigned char *)h + h->ring_offset,
		.record_size = h->record_size,
		.entries = h->ring_entries,
	};
	uint64_t head, delivered = 0, lost = 0, start, calls;
	struct tsmon_cursor c;
	unsigned int whence = (uint32_t)knob[KNOB_WHENCE];
	int ret;

	FUZZ_CHECK(tsmon_head(t, &head) == 0);
	FUZZ_CHECK(head == h->head);

	FUZZ_CHECK(tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0) == 0);
	FUZZ_CHECK(c.next == head + 1);
	check_next(t, &v, &c, &delivered, &lost);

	FUZZ_CHECK(tsmon_cursor_init(t, &c, TSMON_FROM_SEQ, 0) == -EINVAL);
	FUZZ_CHECK(tsmon_cursor_init(t, &c, (enum tsmon_whence)(whence | 3),
				     1) == -EINVAL);
	ret = tsmon_cursor_init(t, &c, (enum tsmon_whence)(whence % 3),
				knob[KNOB_SEQ]);
	if (whence % 3 == TSMON_FROM_SEQ && !knob[KNOB_SEQ]) {
		FUZZ_CHECK(ret == -EINVAL);
		FUZZ_CHECK(tsmon_cursor_init(t, &c, TSMON_FROM_OLDEST, 0) == 0);
	} else {
		FUZZ_CHECK(ret == 0);
	}
	if (whence % 3 == TSMON_FROM_OLDEST)
		FUZZ_CHECK(c.next == ring_oldest(&v, head));

	start = c.next;
	for (calls = 0; calls < v.entries + 2; calls++) {
		ret = check_next(t, &v, &c, &delivered, &lost);
		if (ret)
			break;
	}
	FUZZ_CHECK(ret == -EAGAIN || ret == -EINVAL);
	/* Everything from the start up to head, once: records or losses. */
	if (ret == -EAGAIN)
		FUZZ_CHECK(start > head ||
			   delivered + lost == head + 1 - start);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct tsmon_header *h = (const struct tsmon_header *)arena;
	struct tsmon *t = (struct tsmon *)&t;
	bool stable;
	int ret;

	if (size > ARENA_SIZE)
		return -1;
	ASAN_UNPOISON_MEMORY_REGION(arena, ARENA_SIZE);
	memcpy(arena, data, size);
	ASAN_POISON_MEMORY_REGION(arena + size, ARENA_SIZE - size);

	ret = tsmon_attach(arena, size, &t);
	check_open(data, size, ret);
	if (ret) {
		FUZZ_CHECK(ret == -EINVAL || ret == -EBADMSG ||
			   ret == -EPROTONOSUPPORT);
		FUZZ_CHECK(t == (struct tsmon *)&t);
		return 0;
	}
	FUZZ_CHECK(size >= sizeof(*h) && h->region_size <= size);
	ASAN_POISON_MEMORY_REGION(arena + h->region_size,
				  ARENA_SIZE - h->region_size);

	check_info(t, h);
	stable = check_health(t, h);
	check_clock(t, h, stable);
	check_ring(t, h);
	tsmon_close(t);
	return 0;
}
