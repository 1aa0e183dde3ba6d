// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_attach() and tsmon_open(): which regions are accepted, and the
 * error each malformed layout gets. Every rejection test starts from a
 * region the library accepts and breaks exactly one thing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <tsmon/tsmon.h>
#include "region.h"

#define ENTRIES		64
#define TMPL		"/tmp/tsmon-unit-XXXXXX"

static int setup(void **state)
{
	struct region *r = calloc(1, sizeof(*r));

	if (!r || region_init(r, ENTRIES, TSMON_RECORD_SIZE_V1)) {
		free(r);
		return -1;
	}
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	region_fini(*state);
	free(*state);
	return 0;
}

static int attach(const struct region *r)
{
	struct tsmon *t = NULL;
	int err;

	err = tsmon_attach(r->base, r->size, &t);
	if (!err)
		assert_non_null(t);
	tsmon_close(t);
	return err;
}

static void test_good_region(void **state)
{
	struct region *r = *state;
	struct tsmon_info info;
	struct tsmon *t = NULL;

	assert_int_equal(tsmon_attach(r->base, r->size, &t), 0);
	assert_int_equal(tsmon_get_info(t, &info), 0);
	assert_int_equal(info.abi_version, TSMON_ABI_VERSION);
	assert_int_equal(info.header_size, sizeof(struct tsmon_header));
	assert_int_equal(info.health_size, sizeof(struct tsmon_health));
	assert_int_equal(info.record_size, TSMON_RECORD_SIZE_V1);
	assert_int_equal(info.ring_entries, ENTRIES);
	assert_int_equal(info.region_size, r->size);
	assert_int_equal(info.instance_id, r->hdr->instance_id);
	assert_int_equal(info.load_real_ns, r->hdr->load_real_ns);
	assert_int_equal(info.load_mono_ns, r->hdr->load_mono_ns);
	tsmon_close(t);
}

/* The caller may map more than the region; only region_size is used. */
static void test_len_larger_than_region(void **state)
{
	struct region *r = *state;
	struct tsmon *t = NULL;
	unsigned char *big;

	big = aligned_alloc(4096, r->size + 4096);
	assert_non_null(big);
	memcpy(big, r->base, r->size);
	memset(big + r->size, 0xff, 4096);
	assert_int_equal(tsmon_attach(big, r->size + 4096, &t), 0);
	tsmon_close(t);
	free(big);
}

static void test_null_args(void **state)
{
	struct region *r = *state;
	struct tsmon *t = (struct tsmon *)&t;
	struct tsmon_info info;

	assert_int_equal(tsmon_attach(NULL, r->size, &t), -EINVAL);
	assert_int_equal(tsmon_attach(r->base, r->size, NULL), -EINVAL);
	/* *out is written only on success. */
	assert_ptr_equal(t, (struct tsmon *)&t);
	assert_int_equal(tsmon_open(TSMON_DEVICE_PATH, NULL), -EINVAL);
	assert_int_equal(tsmon_get_info(NULL, &info), -EINVAL);
	assert_int_equal(tsmon_fd(NULL), -EINVAL);
	tsmon_close(NULL);
}

/* 64-bit atomic loads need an 8-byte aligned base. */
static void test_misaligned_base(void **state)
{
	struct region *r = *state;
	unsigned char *copy = aligned_alloc(4096, r->size + 4096);
	struct tsmon *t = NULL;

	assert_non_null(copy);
	memcpy(copy + 4, r->base, r->size);
	assert_int_equal(tsmon_attach(copy + 4, r->size, &t), -EINVAL);
	memcpy(copy + 8, r->base, r->size);
	assert_int_equal(tsmon_attach(copy + 8, r->size, &t), 0);
	tsmon_close(t);
	free(copy);
}

static void test_len_too_small(void **state)
{
	struct region *r = *state;
	struct tsmon *t = NULL;

	assert_int_equal(tsmon_attach(r->base, 0, &t), -EINVAL);
	assert_int_equal(tsmon_attach(r->base, TSMON_HEADER_SIZE_V1 - 1, &t),
			 -EINVAL);
	/* A header but not the whole region it announces. */
	assert_int_equal(tsmon_attach(r->base, TSMON_HEADER_SIZE_V1, &t),
			 -EINVAL);
	assert_int_equal(tsmon_attach(r->base, r->size - 1, &t), -EINVAL);
	assert_null(t);
}

static void test_bad_magic(void **state)
{
	struct region *r = *state;

	r->hdr->magic = TSMON_MAGIC ^ 1;
	assert_int_equal(attach(r), -EBADMSG);
	r->hdr->magic = 0;
	assert_int_equal(attach(r), -EBADMSG);
}

static void test_abi_version(void **state)
{
	struct region *r = *state;

	r->hdr->abi_version = TSMON_ABI_VERSION + 1;
	assert_int_equal(attach(r), -EPROTONOSUPPORT);
	r->hdr->abi_version = 0;
	assert_int_equal(attach(r), -EPROTONOSUPPORT);
}

/* A newer ABI version may lay the region out differently: say so first. */
static void test_abi_version_checked_before_layout(void **state)
{
	struct region *r = *state;

	r->hdr->abi_version = TSMON_ABI_VERSION + 1;
	r->hdr->ring_entries = 3;
	assert_int_equal(attach(r), -EPROTONOSUPPORT);
}

static void test_header_size(void **state)
{
	struct region *r = *state;

	r->hdr->header_size = TSMON_HEADER_SIZE_V1 - 8;
	assert_int_equal(attach(r), -EBADMSG);
	r->hdr->header_size = 0;
	assert_int_equal(attach(r), -EBADMSG);
	/* A larger header from a newer module is fine while it fits. */
	r->hdr->header_size = TSMON_HEALTH_OFFSET_V1;
	assert_int_equal(attach(r), 0);
	r->hdr->header_size = TSMON_HEALTH_OFFSET_V1 + 8;
	assert_int_equal(attach(r), -EBADMSG);	/* runs into the health block */
}

static void test_health_outside_region(void **state)
{
	struct region *r = *state;
	uint32_t hsize = sizeof(struct tsmon_health);

	/* Half the ring: the end of the region is free for the health block. */
	r->hdr->ring_entries = ENTRIES / 2;
	r->hdr->ring_mask = ENTRIES / 2 - 1;
	r->hdr->health_offset = r->size - hsize;
	assert_int_equal(attach(r), 0);
	r->hdr->health_offset = r->size - hsize + 8;
	assert_int_equal(attach(r), -EBADMSG);
	r->hdr->health_offset = r->size;
	assert_int_equal(attach(r), -EBADMSG);

	/*
	 * Ring first, health block last, so that nothing overlaps: only the
	 * end of the health block, which wraps to 0 in 32 bits, is wrong.
	 */
	r->hdr->ring_offset = TSMON_HEALTH_OFFSET_V1;
	r->hdr->health_offset = TSMON_RING_OFFSET_V1;
	assert_int_equal(attach(r), 0);
	r->hdr->health_size = (uint32_t)-TSMON_RING_OFFSET_V1;
	assert_int_equal(attach(r), -EBADMSG);
}

static void test_health_size_without_seq(void **state)
{
	struct region *r = *state;

	r->hdr->health_size = 0;
	assert_int_equal(attach(r), -EBADMSG);
	r->hdr->health_size = 4;
	assert_int_equal(attach(r), -EBADMSG);
	r->hdr->health_size = 8;
	assert_int_equal(attach(r), 0);
}

static void test_health_misaligned(void **state)
{
	struct region *r = *state;

	r->hdr->health_offset = TSMON_HEALTH_OFFSET_V1 + 4;
	assert_int_equal(attach(r), -EBADMSG);
	r->hdr->health_offset = TSMON_HEALTH_OFFSET_V1 + 8;
	assert_int_equal(attach(r), 0);
}

static void test_ring_outside_region(void **state)
{
	struct region *r = *state;

	/* Twice the entries the region has room for. */
	r->hdr->ring_entries = ENTRIES * 2;
	r->hdr->ring_mask = ENTRIES * 2 - 1;
	assert_int_equal(attach(r), -EBADMSG);
	r->hdr->ring_entries = ENTRIES;
	r->hdr->ring_mask = ENTRIES - 1;
	r->hdr->ring_offset = TSMON_RING_OFFSET_V1 + 64;
	assert_int_equal(attach(r), -EBADMSG);
	r->hdr->ring_offset = TSMON_RING_OFFSET_V1;
	r->hdr->region_size = r->size - 64;	/* cuts the last record */
	assert_int_equal(attach(r), -EBADMSG);
}

static void test_ring_misaligned(void **state)
{
	struct region *r = *state;

	/* Half the entries so that only the alignment is wrong. */
	r->hdr->ring_entries = ENTRIES / 2;
	r->hdr->ring_mask = ENTRIES / 2 - 1;
	r->hdr->ring_offset = TSMON_RING_OFFSET_V1 + 4;
	assert_int_equal(attach(r), -EBADMSG);
	r->hdr->ring_offset = TSMON_RING_OFFSET_V1 + 8;
	assert_int_equal(attach(r), 0);
}

static void test_overlaps(void **state)
{
	struct region *r = *state;

	r->hdr->health_offset = 128;		/* inside the header */
	assert_int_equal(attach(r), -EBADMSG);
	r->hdr->health_offset = TSMON_RING_OFFSET_V1;	/* inside the ring */
	assert_int_equal(attach(r), -EBADMSG);
	r->hdr->health_offset = TSMON_RING_OFFSET_V1 -
				sizeof(struct tsmon_health) + 8;
	assert_int_equal(attach(r), -EBADMSG);	/* tail reaches the ring */
	r->hdr->health_offset = TSMON_RING_OFFSET_V1 -
				sizeof(struct tsmon_health);
	assert_int_equal(attach(r), 0);		/* touching is fine */

	r->hdr->health_offset = TSMON_HEALTH_OFFSET_V1;
	r->hdr->ring_entries = ENTRIES / 2;
	r->hdr->ring_mask = ENTRIES / 2 - 1;
	r->hdr->ring_offset = 0;		/* over the header */
	assert_int_equal(attach(r), -EBADMSG);
	r->hdr->ring_offset = TSMON_HEALTH_OFFSET_V1;	/* over the health */
	assert_int_equal(attach(r), -EBADMSG);

	/* One record: over the header's tail only, then just after it. */
	r->hdr->ring_entries = 1;
	r->hdr->ring_mask = 0;
	r->hdr->ring_offset = TSMON_HEADER_SIZE_V1 - 64;
	assert_int_equal(attach(r), -EBADMSG);
	r->hdr->ring_offset = TSMON_HEADER_SIZE_V1;
	assert_int_equal(attach(r), 0);
}

static void test_record_size(void **state)
{
	struct region *r = *state;

	r->hdr->record_size = 32;
	assert_int_equal(attach(r), -EBADMSG);
	r->hdr->record_size = 0;
	assert_int_equal(attach(r), -EBADMSG);
	/* 96 * 32 entries fits the region: only "power of two" fails. */
	r->hdr->ring_entries = ENTRIES / 2;
	r->hdr->ring_mask = ENTRIES / 2 - 1;
	r->hdr->record_size = 96;
	assert_int_equal(attach(r), -EBADMSG);
	r->hdr->record_size = 128;
	assert_int_equal(attach(r), 0);
}

static void test_ring_entries(void **state)
{
	struct region *r = *state;

	r->hdr->ring_entries = 0;
	r->hdr->ring_mask = 0;
	assert_int_equal(attach(r), -EBADMSG);
	r->hdr->ring_mask = UINT32_MAX;
	assert_int_equal(attach(r), -EBADMSG);
	r->hdr->ring_entries = 48;
	r->hdr->ring_mask = 47;
	assert_int_equal(attach(r), -EBADMSG);
	r->hdr->ring_entries = 1;
	r->hdr->ring_mask = 0;
	assert_int_equal(attach(r), 0);
}

static void test_ring_mask(void **state)
{
	struct region *r = *state;

	r->hdr->ring_mask = ENTRIES / 2 - 1;
	assert_int_equal(attach(r), -EBADMSG);
	r->hdr->ring_mask = ENTRIES * 2 - 1;
	assert_int_equal(attach(r), -EBADMSG);
	r->hdr->ring_mask = ENTRIES;
	assert_int_equal(attach(r), -EBADMSG);
}

/* Attached handles have no device: no fd and nothing to wait on. */
static void test_attached_has_no_device(void **state)
{
	struct region *r = *state;
	struct tsmon_cursor c;
	struct tsmon *t;

	assert_int_equal(tsmon_attach(r->base, r->size, &t), 0);
	assert_int_equal(tsmon_cursor_init(t, &c, TSMON_FROM_SEQ, 1), 0);
	assert_int_equal(tsmon_fd(t), -ENOTTY);
	assert_int_equal(tsmon_wait(t, &c, 0), -ENOTTY);
	assert_int_equal(tsmon_wait(t, &c, 10), -ENOTTY);
	c.next = 0;
	assert_int_equal(tsmon_wait(t, &c, 10), -EINVAL);
	assert_int_equal(tsmon_wait(t, NULL, 10), -EINVAL);
	assert_int_equal(tsmon_wait(NULL, &c, 10), -EINVAL);
	tsmon_close(t);
}

/* A region saved to a file maps and reads like the device. */
static void test_open_regular_file(void **state)
{
	struct region *r = *state;
	struct tsmon_record rec = { .type = TSMON_EVENT_RESUME,
				    .mono_ns = 11, .real_ns = 22,
				    .resume.sleep_ns = 33 };
	struct tsmon_health h = { .tai_offset = 37 }, hout;
	struct tsmon_cursor c;
	struct tsmon_info info;
	struct tsmon_record out;
	char path[] = TMPL;
	struct tsmon *t;
	uint64_t head;
	int err;

	region_append(r, &rec);
	region_health_write(r, &h);
	assert_int_equal(region_save(r, r->size, path), 0);

	err = tsmon_open(path, &t);
	unlink(path);
	assert_int_equal(err, 0);
	assert_int_equal(tsmon_cursor_init(t, &c, TSMON_FROM_SEQ, 1), 0);
	assert_true(tsmon_fd(t) >= 0);
	assert_int_equal(tsmon_get_info(t, &info), 0);
	assert_int_equal(info.region_size, r->size);
	assert_int_equal(info.instance_id, r->hdr->instance_id);
	assert_int_equal(tsmon_head(t, &head), 0);
	assert_int_equal(head, 1);
	assert_int_equal(tsmon_health(t, &hout), 0);
	assert_int_equal(hout.tai_offset, 37);
	assert_int_equal(hout.seq, 2);
	assert_int_equal(tsmon_next(t, &c, &out), 0);
	assert_int_equal(out.seq, 1);
	assert_int_equal(out.type, TSMON_EVENT_RESUME);
	assert_int_equal(out.resume.sleep_ns, 33);
	/* A file has no read()/poll() protocol. */
	assert_int_equal(tsmon_wait(t, &c, 10), -ENOTTY);
	tsmon_close(t);
}

static void test_open_missing(void **state)
{
	struct tsmon *t = NULL;

	assert_int_equal(tsmon_open("/nonexistent/tsmon", &t), -ENOENT);
	assert_null(t);
}

/* With no module loaded the default path does not exist. */
static void test_open_default_path(void **state)
{
	struct tsmon *t = NULL;
	struct stat st;

	if (stat(TSMON_DEVICE_PATH, &st) == 0)
		skip();
	assert_int_equal(tsmon_open(NULL, &t), -ENOENT);
	assert_null(t);
}

static int open_saved(const struct region *r, size_t len)
{
	char path[] = TMPL;
	struct tsmon *t = NULL;
	int err;

	assert_int_equal(region_save(r, len, path), 0);
	err = tsmon_open(path, &t);
	unlink(path);
	if (!err)
		assert_non_null(t);
	tsmon_close(t);
	return err;
}

/*
 * A file shorter than the region it describes must be refused before any
 * page past its end is touched (that would raise SIGBUS, not an error).
 */
static void test_open_truncated(void **state)
{
	struct region *r = *state;

	assert_int_equal(open_saved(r, r->size), 0);
	assert_int_equal(open_saved(r, r->size - 4096), -EBADMSG);
	assert_int_equal(open_saved(r, r->size - 1), -EBADMSG);
	assert_int_equal(open_saved(r, TSMON_HEADER_SIZE_V1), -EBADMSG);
	assert_int_equal(open_saved(r, 100), -EBADMSG);
	assert_int_equal(open_saved(r, 0), -EBADMSG);
}

static void test_open_validates(void **state)
{
	struct region *r = *state;

	r->hdr->abi_version = TSMON_ABI_VERSION + 1;
	assert_int_equal(open_saved(r, r->size), -EPROTONOSUPPORT);
	r->hdr->abi_version = TSMON_ABI_VERSION;
	r->hdr->ring_mask = 0;
	assert_int_equal(open_saved(r, r->size), -EBADMSG);
}

/*
 * A character device reports st_size 0, so its size is not checked before
 * mapping; one that maps but is not tsmon still fails validation, one that
 * cannot be mapped returns mmap()'s error.
 */
static void test_open_other_files(void **state)
{
	struct tsmon *t = NULL;

	if (access("/dev/zero", R_OK) == 0)
		assert_int_equal(tsmon_open("/dev/zero", &t), -EBADMSG);
	if (access("/dev/null", R_OK) == 0)
		assert_int_equal(tsmon_open("/dev/null", &t), -ENODEV);
	assert_int_equal(tsmon_open("/", &t), -ENODEV);
	assert_null(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_good_region),
		T(test_len_larger_than_region),
		T(test_null_args),
		T(test_misaligned_base),
		T(test_len_too_small),
		T(test_bad_magic),
		T(test_abi_version),
		T(test_abi_version_checked_before_layout),
		T(test_header_size),
		T(test_health_outside_region),
		T(test_health_size_without_seq),
		T(test_health_misaligned),
		T(test_ring_outside_region),
		T(test_ring_misaligned),
		T(test_overlaps),
		T(test_record_size),
		T(test_ring_entries),
		T(test_ring_mask),
		T(test_attached_has_no_device),
		T(test_open_regular_file),
		T(test_open_missing),
		T(test_open_default_path),
		T(test_open_truncated),
		T(test_open_validates),
		T(test_open_other_files),
#undef T
	};

	return cmocka_run_group_tests_name("attach", tests, NULL, NULL);
}
