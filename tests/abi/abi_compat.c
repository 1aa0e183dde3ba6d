// SPDX-License-Identifier: GPL-2.0-only
/*
 * abi_compat - a program built against one set of tsmon headers, run
 * against a libtsmon built against another, on a region laid out by a
 * module of the program's headers.
 *
 * tests/abi/run builds it twice: against the 1.0 headers and against
 * "future" headers, which append fields at every "new fields are appended
 * here" mark (the health block, the record - then 80 bytes, in 128-byte
 * slots where the 1.0 region has 64 - and the library's tsmon_info, tsmon_time and tsmon_nl_status).
 * It builds libtsmon both ways too, has each program write its region to a
 * file, and runs every program with every library on every region. Each run:
 *
 *   - checks what the size rules promise: no byte past the caller's
 *     structure is written (a canary follows every one), the fields the
 *     library or the region does not have read 0, the fields both have
 *     read what the region holds;
 *   - prints every 1.0 field it read (health, info, records with a lost
 *     range, bounded clock reads at fixed instants), which the runner
 *     requires to be the same for all four pairs.
 *
 * usage: abi_compat --write FILE        write this build's region to FILE
 *        abi_compat [--lib-future] [--region-future] FILE
 * The flags say which headers the library and the region's writer were
 * built with. Exit 0 when every check passed, 1 otherwise.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tsmon/tsmon.h>
#include "region.h"

#define ENTRIES		16
#define RECORDS		20	/* more than ENTRIES: the oldest are lost */
#define CANARY		0xa5
#define NS		1000000000ULL

static int failures;
static bool lib_future, region_future;

#ifdef TSMON_ABI_FUTURE
static const bool prog_future = true;
#else
static const bool prog_future = false;
#endif

static void check(bool ok, const char *what)
{
	if (!ok) {
		printf("FAIL %s\n", what);
		failures++;
	}
}

static bool canary_intact(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != CANARY)
			return false;
	return true;
}

#ifdef TSMON_ABI_FUTURE
/* The future fields are filled only when the library and the region have them. */
static bool future_visible(void)
{
	return lib_future && region_future;
}
#endif

static void fill_health(struct tsmon_health *h)
{
	unsigned char *p = (unsigned char *)h;

	for (size_t i = 0; i < sizeof(*h); i++)
		p[i] = (unsigned char)(i * 13 + 1);
	/* A synchronised clock, so that the bounded reads below mean something. */
	h->offs_real_ns = 1700000000ULL * NS;
	h->sync_mono_ns = 1000 * NS;
	h->sync_maxerror_ns = 25000;
	h->sync_interval_ns = 16 * NS;
	h->disrupt_mono_ns = 0;
	h->disrupt_type = 0;
	h->ntp_status = 0x2001;		/* STA_PLL | STA_NANO */
	h->hooks = TSMON_HOOK_ADJTIMEX;
	h->ntp_state = 0;		/* TIME_OK */
	h->leap_state = TSMON_LEAP_NONE;
	h->leap_real_ns = 0;
#ifdef TSMON_ABI_FUTURE
	h->future_a = 0x1111111111111111ULL;
	h->future_b = 0x2222222222222222ULL;
#endif
}

static void print_words(const char *name, const void *p, size_t n)
{
	const uint64_t *w = p;

	printf("%s", name);
	for (size_t i = 0; i < n / 8; i++)
		printf(" %" PRIx64, w[i]);
	putchar('\n');
}

static void test_health(struct tsmon *t)
{
	struct tsmon_health want;

	struct {
		struct tsmon_health h;
		unsigned char canary[64];
	} out;

	memset(&out, CANARY, sizeof(out));
	check(tsmon_health(t, &out.h) == 0, "tsmon_health");
	check(canary_intact(out.canary, sizeof(out.canary)),
	      "tsmon_health: nothing written past the caller's struct");
	/* The 1.0 block, up to body_seq (the region's own count): as written. */
	fill_health(&want);
	check(!memcmp((char *)&out.h + 8, (char *)&want + 8,
		      offsetof(struct tsmon_health, body_seq) - 8),
	      "tsmon_health: the 1.0 fields are the region's");
#ifdef TSMON_ABI_FUTURE
	if (future_visible())
		check(out.h.future_a == 0x1111111111111111ULL &&
		      out.h.future_b == 0x2222222222222222ULL,
		      "tsmon_health: future fields read by a future library");
	else
		check(!out.h.future_a && !out.h.future_b,
		      "tsmon_health: future fields an old library lacks read 0");
#endif
	print_words("health", (char *)&out.h + 8,
		    offsetof(struct tsmon_health, body_seq) - 8);
}

static void test_info(struct tsmon *t)
{
	struct {
		struct tsmon_info i;
		unsigned char canary[64];
	} out;

	memset(&out, CANARY, sizeof(out));
	check(tsmon_get_info(t, &out.i) == 0, "tsmon_get_info");
	check(canary_intact(out.canary, sizeof(out.canary)),
	      "tsmon_get_info: nothing written past the caller's struct");
#ifdef TSMON_ABI_FUTURE
	check(!out.i.future_a && !out.i.future_b,
	      "tsmon_get_info: fields no library fills read 0");
#endif
	/* Sizes differ between the builds by design; the rest must not. */
	printf("info abi %u ring %u region %u\n", out.i.abi_version,
	       out.i.ring_entries, out.i.region_size);
	check(out.i.record_size == (region_future ? 128 : 64),
	      "tsmon_get_info: the region's record size");
}

static void fill_record(struct tsmon_record *rec, uint64_t seq)
{
	unsigned char *p = (unsigned char *)rec;

	for (size_t b = 0; b < sizeof(*rec); b++)
		p[b] = (unsigned char)(seq * 31 + b);
	rec->seq = seq;
	rec->type = TSMON_EVENT_CLOCK_STEP;
	rec->flags = 0;
}

static void write_records(struct region *r)
{
	struct tsmon_record rec;

	for (uint64_t i = 1; i <= RECORDS; i++) {
		fill_record(&rec, i);
		region_append(r, &rec);
	}
}

static void test_records(struct tsmon *t)
{
	struct {
		struct tsmon_record rec;
		unsigned char canary[64];
	} out;
	struct tsmon_cursor c;
	uint64_t seq;
	int n = 0;

	check(tsmon_cursor_init(t, &c, TSMON_FROM_SEQ, 1) == 0, "tsmon_cursor_init");
	for (;;) {
		memset(&out, CANARY, sizeof(out));
		if (tsmon_next(t, &c, &out.rec))
			break;
		n++;
		check(canary_intact(out.canary, sizeof(out.canary)),
		      "tsmon_next: nothing written past the caller's struct");
		seq = out.rec.seq;
		if (out.rec.type != TSMON_EVENT_LOST) {
			struct tsmon_record want;

			fill_record(&want, seq);
			check(!memcmp((char *)&out.rec + 8, (char *)&want + 8,
				      offsetof(struct tsmon_record, raw) +
				      sizeof(out.rec.raw) - 8),
			      "tsmon_next: the 1.0 fields are the slot's");
#ifdef TSMON_ABI_FUTURE
			if (future_visible())
				check(out.rec.future_a == want.future_a &&
				      out.rec.future_b == want.future_b,
				      "tsmon_next: future fields read by a future library");
			else
				check(!out.rec.future_a && !out.rec.future_b,
				      "tsmon_next: future fields an old library lacks read 0");
#endif
		}
		print_words("record", &out.rec,
			    offsetof(struct tsmon_record, raw) + sizeof(out.rec.raw));
	}
	check(n == ENTRIES + 1, "tsmon_next: one lost marker, then the ring");
}

static void test_clock(struct tsmon *t)
{
	static const uint64_t at[] = { 999 * NS, 1000 * NS, 1005 * NS,
				       1063 * NS, 1065 * NS, 5000 * NS };
	struct {
		struct tsmon_time tm;
		unsigned char canary[64];
	} out;
	struct tsmon_forward f = { 0 };

	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		memset(&out, CANARY, sizeof(out));
		check(tsmon_now_at(t, at[i], &out.tm) == 0, "tsmon_now_at");
		check(canary_intact(out.canary, sizeof(out.canary)),
		      "tsmon_now_at: nothing written past the caller's struct");
#ifdef TSMON_ABI_FUTURE
		check(!out.tm.future_a && !out.tm.future_b,
		      "tsmon_now_at: fields no library fills read 0");
#endif
		printf("now_at %" PRIu64 ": real %" PRIu64 " bound %" PRIu64
		       " age %" PRIu64 " status %u flags %#x\n", at[i],
		       out.tm.real_ns, out.tm.bound_ns, out.tm.sync_age_ns,
		       out.tm.status, out.tm.flags);
	}
	memset(&out, CANARY, sizeof(out));
	check(tsmon_now(t, &out.tm) == 0 &&
	      canary_intact(out.canary, sizeof(out.canary)),
	      "tsmon_now: nothing written past the caller's struct");
	memset(&out, CANARY, sizeof(out));
	check(tsmon_forward_now(t, &f, &out.tm) == 0 &&
	      canary_intact(out.canary, sizeof(out.canary)),
	      "tsmon_forward_now: nothing written past the caller's struct");
	memset(&out, CANARY, sizeof(out));
	check(tsmon_one_way_valid(t, UINT64_MAX, &out.tm) >= 0 &&
	      canary_intact(out.canary, sizeof(out.canary)),
	      "tsmon_one_way_valid: nothing written past the caller's struct");
}

int main(int argc, char **argv)
{
	struct tsmon_health h;
	struct region r;
	struct tsmon *t;
	int i;

	if (argc == 3 && !strcmp(argv[1], "--write")) {
		char path[4096];
		int err;

		/* A future record needs the next power of two. */
		if (region_init(&r, ENTRIES, prog_future ? 128 : 64))
			return 2;
		/* Fixed, so that every build prints the same. */
		r.hdr->instance_id = 0x1234;
		fill_health(&h);
		region_health_write(&r, &h);
		write_records(&r);
		snprintf(path, sizeof(path), "%s.XXXXXX", argv[2]);
		err = region_save(&r, r.size, path);
		region_fini(&r);
		if (err || rename(path, argv[2])) {
			fprintf(stderr, "abi_compat: cannot write %s\n", argv[2]);
			return 2;
		}
		return 0;
	}
	for (i = 1; i < argc - 1; i++) {
		if (!strcmp(argv[i], "--lib-future"))
			lib_future = true;
		else if (!strcmp(argv[i], "--region-future"))
			region_future = true;
		else
			break;
	}
	if (i != argc - 1) {
		fprintf(stderr, "usage: abi_compat [--lib-future] [--region-future] FILE\n");
		return 2;
	}
	printf("# program %s headers, library %s headers, region %s, library version %#x\n",
	       prog_future ? "future" : "1.0", lib_future ? "future" : "1.0",
	       region_future ? "future" : "1.0", tsmon_version());
	if (tsmon_open(argv[i], &t)) {
		printf("FAIL tsmon_open\n");
		return 1;
	}
	test_info(t);
	test_health(t);
	test_records(t);
	test_clock(t);
	tsmon_close(t);
	printf("# %d failures\n", failures);
	return failures ? 1 : 0;
}
