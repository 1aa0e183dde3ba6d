// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_mmap - the device hands out the region read-only and shared, and
 * nothing else.
 *
 * Every reader trusts what it maps, so no process may obtain a writable
 * view, a private copy, a view at another offset or a view larger than the
 * region; the file itself cannot be opened for writing, even by root.
 */
#include <sys/mman.h>

#include "tsmon_selftest.h"

static int fd = -1;
static uint32_t region_size;
static long page;

static bool expect_mmap_error(size_t len, int prot, int flags, off_t off,
			      int want)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p != MAP_FAILED) {
		ksft_print_msg("mmap succeeded, want %s\n", strerror(want));
		munmap(p, len);
		return false;
	}
	if (errno != want) {
		ksft_print_msg("mmap: %s, want %s\n", strerror(errno),
			       strerror(want));
		return false;
	}
	return true;
}

/* An atomic load cannot be optimised away: the page is really touched. */
static uint64_t load_u64(const void *base, size_t off)
{
	return __atomic_load_n((const uint64_t *)((const char *)base + off),
			       __ATOMIC_ACQUIRE);
}

static bool case_shared_ro(void)
{
	const struct tsmon_header *h;
	void *p;

	p = mmap(NULL, region_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		ksft_print_msg("mmap: %s\n", strerror(errno));
		return false;
	}
	h = p;
	/* Every page must be backed: no SIGBUS anywhere in the ring. */
	for (size_t off = 0; off < region_size; off += page)
		load_u64(p, off + page - sizeof(uint64_t));
	if (h->magic != TSMON_MAGIC || h->region_size != region_size) {
		ksft_print_msg("mapped header: magic %llx region %u\n",
			       (unsigned long long)h->magic, h->region_size);
		munmap(p, region_size);
		return false;
	}
	munmap(p, region_size);
	return true;
}

/*
 * PROT_WRITE on a MAP_SHARED view of a read-only file: the VFS refuses it
 * with EACCES before the driver is asked.
 */
static bool case_shared_rw(void)
{
	return expect_mmap_error(page, PROT_READ | PROT_WRITE, MAP_SHARED, 0,
				 EACCES);
}

/*
 * A private writable view of a read-only file passes the VFS (it would be
 * copy-on-write); the driver refuses VM_WRITE itself, with EACCES.
 */
static bool case_private_rw(void)
{
	return expect_mmap_error(page, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0,
				 EACCES);
}

/* Not shared means a reader that would not see the writer: EINVAL. */
static bool case_private_ro(void)
{
	return expect_mmap_error(page, PROT_READ, MAP_PRIVATE, 0, EINVAL);
}

static bool case_offset(void)
{
	return expect_mmap_error(page, PROT_READ, MAP_SHARED, page, EINVAL);
}

static bool case_oversize(void)
{
	return expect_mmap_error((size_t)region_size + page, PROT_READ,
				 MAP_SHARED, 0, EINVAL);
}

/* The driver drops VM_MAYWRITE, so a good mapping cannot be made writable. */
static bool case_mprotect(void)
{
	void *p = mmap(NULL, region_size, PROT_READ, MAP_SHARED, fd, 0);
	bool ok = true;

	if (p == MAP_FAILED)
		return false;
	if (!mprotect(p, page, PROT_READ | PROT_WRITE)) {
		ksft_print_msg("mprotect(PROT_WRITE) succeeded\n");
		ok = false;
	} else if (errno != EACCES) {
		ksft_print_msg("mprotect: %s, want EACCES\n", strerror(errno));
		ok = false;
	}
	munmap(p, region_size);
	return ok;
}

/* VM_DONTEXPAND: mremap() cannot grow the view past the region. */
static bool case_mremap(void)
{
	void *p = mmap(NULL, region_size, PROT_READ, MAP_SHARED, fd, 0);
	void *q;
	bool ok = true;

	if (p == MAP_FAILED)
		return false;
	q = mremap(p, region_size, (size_t)region_size + page, MREMAP_MAYMOVE);
	if (q != MAP_FAILED) {
		ksft_print_msg("mremap grew the mapping\n");
		munmap(q, (size_t)region_size + page);
		return false;
	}
	if (errno != EFAULT) {
		ksft_print_msg("mremap: %s, want EFAULT\n", strerror(errno));
		ok = false;
	}
	munmap(p, region_size);
	return ok;
}

/*
 * Root passes the node's 0444 mode (CAP_DAC_OVERRIDE): the driver itself
 * refuses any open for writing, with EPERM.
 */
static bool case_open_write(void)
{
	static const int modes[] = { O_RDWR, O_WRONLY };
	bool ok = true;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		int wfd = open(TSMON_DEVICE_PATH, modes[i] | O_CLOEXEC);

		if (wfd >= 0) {
			ksft_print_msg("open mode %d succeeded\n", modes[i]);
			close(wfd);
			ok = false;
		} else if (errno != EPERM) {
			ksft_print_msg("open mode %d: %s, want EPERM\n",
				       modes[i], strerror(errno));
			ok = false;
		}
	}
	return ok;
}

static bool case_write(void)
{
	uint64_t v = 0;

	if (write(fd, &v, sizeof(v)) >= 0) {
		ksft_print_msg("write succeeded\n");
		return false;
	}
	if (errno != EBADF) {
		ksft_print_msg("write: %s, want EBADF\n", strerror(errno));
		return false;
	}
	return true;
}

/*
 * Two mappings and the library see one live region: a published record
 * moves head in all of them. The two steps cancel out exactly.
 */
static bool case_live(void)
{
	const size_t head = offsetof(struct tsmon_header, head);
	uint64_t h0, lib_head;
	void *a, *b;
	struct tsmon *t;
	bool ok = false;

	a = mmap(NULL, region_size, PROT_READ, MAP_SHARED, fd, 0);
	b = mmap(NULL, region_size, PROT_READ, MAP_SHARED, fd, 0);
	if (a == MAP_FAILED || b == MAP_FAILED || tsmon_open(NULL, &t))
		goto out;
	h0 = load_u64(a, head);
	if (clock_step_ns(1) || clock_step_ns(-1)) {
		ksft_print_msg("ADJ_SETOFFSET failed\n");
		goto out_close;
	}
	if (tsmon_head(t, &lib_head) || load_u64(a, head) != h0 + 2 ||
	    load_u64(b, head) != h0 + 2 || lib_head != h0 + 2) {
		ksft_print_msg("head %llu -> a %llu b %llu lib %llu\n",
			       (unsigned long long)h0,
			       (unsigned long long)load_u64(a, head),
			       (unsigned long long)load_u64(b, head),
			       (unsigned long long)lib_head);
		goto out_close;
	}
	ok = true;
out_close:
	tsmon_close(t);
out:
	if (a != MAP_FAILED)
		munmap(a, region_size);
	if (b != MAP_FAILED)
		munmap(b, region_size);
	return ok;
}

int main(void)
{
	struct tsmon_info info;
	struct tsmon *t;

	selftest_start(11);
	page = sysconf(_SC_PAGESIZE);
	t = open_or_bail();
	if (tsmon_get_info(t, &info))
		ksft_exit_fail_msg("tsmon_get_info\n");
	region_size = info.region_size;
	tsmon_close(t);

	fd = open(TSMON_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		ksft_exit_fail_msg("open: %s\n", strerror(errno));

	ksft_test_result(case_shared_ro(),
			 "whole region maps read-only shared\n");
	ksft_test_result(case_shared_rw(),
			 "PROT_WRITE MAP_SHARED refused with EACCES\n");
	ksft_test_result(case_private_rw(),
			 "PROT_WRITE MAP_PRIVATE refused with EACCES\n");
	ksft_test_result(case_private_ro(),
			 "read-only MAP_PRIVATE refused with EINVAL\n");
	ksft_test_result(case_offset(), "nonzero offset refused with EINVAL\n");
	ksft_test_result(case_oversize(),
			 "length beyond region_size refused with EINVAL\n");
	ksft_test_result(case_mprotect(),
			 "mprotect(PROT_WRITE) refused with EACCES\n");
	ksft_test_result(case_mremap(),
			 "mremap cannot grow the mapping (EFAULT)\n");
	ksft_test_result(case_open_write(),
			 "O_RDWR and O_WRONLY opens refused with EPERM for root\n");
	ksft_test_result(case_write(), "write(2) fails with EBADF\n");
	ksft_test_result(case_live(),
			 "mappings and library see the same live head\n");
	close(fd);
	ksft_finished();
}
