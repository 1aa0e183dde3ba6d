// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libtsmon handles: mapping /dev/tsmon (or attaching to a region the caller
 * mapped) and validating the layout its header announces.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tsmon_private.h"

/* The header fields a reader depends on, checked before anything is used. */
struct tsmon_layout {
	uint32_t abi_version;
	uint32_t header_size;
	uint32_t region_size;
	uint32_t health_offset;
	uint32_t health_size;
	uint32_t ring_offset;
	uint32_t record_size;
	uint32_t ring_entries;
	uint32_t ring_mask;
	uint64_t instance_id;
	uint64_t load_real_ns;
	uint64_t load_mono_ns;
};

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/*
 * Everything in the header before @head is constant for the lifetime of a
 * mapping, so plain loads are enough here. Only fields of the version 1
 * header are read, which every valid region holds (header_size >= 192).
 * The region's own size is checked against what is mapped by the callers.
 */
static int parse_header(const struct tsmon_header *h, struct tsmon_layout *l)
{
	uint64_t ring_bytes;

	if (h->magic != TSMON_MAGIC)
		return -EBADMSG;
	/* A new ABI version may move anything: check it before the layout. */
	if (h->abi_version != TSMON_ABI_VERSION)
		return -EPROTONOSUPPORT;

	l->abi_version = h->abi_version;
	l->header_size = h->header_size;
	l->region_size = h->region_size;
	l->health_offset = h->health_offset;
	l->health_size = h->health_size;
	l->ring_offset = h->ring_offset;
	l->record_size = h->record_size;
	l->ring_entries = h->ring_entries;
	l->ring_mask = h->ring_mask;
	l->instance_id = h->instance_id;
	l->load_real_ns = h->load_real_ns;
	l->load_mono_ns = h->load_mono_ns;

	/* That the header fits the region follows from the overlap checks. */
	if (l->header_size < TSMON_HEADER_SIZE_V1)
		return -EBADMSG;

	/* 8-byte alignment: health.seq and the copy are 64-bit atomic loads. */
	if (l->health_size < sizeof(__u64) || l->health_offset % 8 ||
	    (uint64_t)l->health_offset + l->health_size > l->region_size)
		return -EBADMSG;

	if (l->record_size < TSMON_RECORD_SIZE_V1 || !is_pow2(l->record_size))
		return -EBADMSG;
	if (!is_pow2(l->ring_entries) || l->ring_mask != l->ring_entries - 1)
		return -EBADMSG;
	ring_bytes = (uint64_t)l->ring_entries * l->record_size;
	if (l->ring_offset % 8 ||
	    (uint64_t)l->ring_offset + ring_bytes > l->region_size)
		return -EBADMSG;

	if (overlaps(0, l->header_size, l->health_offset, l->health_size) ||
	    overlaps(0, l->header_size, l->ring_offset, ring_bytes) ||
	    overlaps(l->health_offset, l->health_size,
		     l->ring_offset, ring_bytes))
		return -EBADMSG;

	return 0;
}

/*
 * The calling process's time namespace offset of CLOCK_MONOTONIC, in ns
 * (two's complement), from /proc/self/timens_offsets. The region's times
 * are the module's, i.e. the initial namespace's. A kernel without time
 * namespaces has no such file (and no offset); without /proc the offset
 * is not known: 0 is assumed and -ENOENT returned.
 */
static int timens_offset(uint64_t *off)
{
	char line[128];
	long long sec, nsec;
	FILE *f;

	*off = 0;
	f = fopen("/proc/self/timens_offsets", "re");
	if (!f)
		return access("/proc/self", F_OK) ? -ENOENT : 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "monotonic %lld %lld", &sec, &nsec) == 2) {
			*off = (uint64_t)sec * NSEC_PER_SEC + (uint64_t)nsec;
			break;
		}
	}
	fclose(f);
	return 0;
}

static struct tsmon *handle_new(const unsigned char *base,
				const struct tsmon_layout *l)
{
	struct tsmon *t;

	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;

	t->base = base;
	t->fd = -1;
	t->hdr = (const struct tsmon_header *)base;
	t->health = (const struct tsmon_health *)(base + l->health_offset);
	t->ring = base + l->ring_offset;
	t->health_copy = l->health_size < sizeof(struct tsmon_health) ?
			 l->health_size : sizeof(struct tsmon_health);
	t->clock_line = l->health_size >= TSMON_CLOCK_LINE;
	/* A module without body_seq covers the whole block with seq. */
	if (l->health_size >= offsetof(struct tsmon_health, body_seq) +
			      sizeof(__u64))
		t->body_seq = &t->health->body_seq;
	t->record_size = l->record_size;
	t->ring_entries = l->ring_entries;
	t->ring_mask = l->ring_mask;

	t->info.abi_version = l->abi_version;
	t->info.header_size = l->header_size;
	t->info.health_size = l->health_size;
	t->info.record_size = l->record_size;
	t->info.ring_entries = l->ring_entries;
	t->info.region_size = l->region_size;
	t->info.instance_id = l->instance_id;
	t->info.load_real_ns = l->load_real_ns;
	t->info.load_mono_ns = l->load_mono_ns;

	if (timens_offset(&t->timens_offset))
		t->info.flags |= TSMON_INFO_TIMENS_UNKNOWN;
	t->info.timens_mono_offset_ns = t->timens_offset;

	t->drift_ppb = TSMON_DRIFT_DEFAULT_PPB;
	t->cooldown_ns = TSMON_COOLDOWN_DEFAULT_NS;
	t->spin_limit_ns = TSMON_SPIN_LIMIT_DEFAULT_NS;
	t->stale_factor = TSMON_STALE_FACTOR_DEFAULT;
	return t;
}

TSMON_EXPORT
int tsmon_attach(const void *base, size_t len, struct tsmon **out)
{
	struct tsmon_layout l;
	struct tsmon *t;
	int err;

	if (!base || !out || (uintptr_t)base % 8 ||
	    len < TSMON_HEADER_SIZE_V1)
		return -EINVAL;

	err = parse_header(base, &l);
	if (err)
		return err;
	/* The caller mapped less than the region: the ring would be cut. */
	if (l.region_size > len)
		return -EINVAL;

	t = handle_new(base, &l);
	if (!t)
		return -ENOMEM;
	*out = t;
	return 0;
}

TSMON_EXPORT
int tsmon_open(const char *path, struct tsmon **out)
{
	struct tsmon_layout l, full;
	void *hdr, *base;
	struct tsmon *t;
	struct stat st;
	bool regular;
	int fd, err;

	if (!out)
		return -EINVAL;
	if (!path)
		path = TSMON_DEVICE_PATH;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto err_close;
	}

	/*
	 * A region saved to a file maps like the device, but touching a page
	 * past the end of a file raises SIGBUS: make sure the file holds
	 * what the header claims before reading it. A device reports size 0
	 * and sizes its own mapping, so this only applies to regular files.
	 */
	regular = S_ISREG(st.st_mode);
	if (regular && st.st_size < TSMON_HEADER_SIZE_V1) {
		err = -EBADMSG;
		goto err_close;
	}

	hdr = mmap(NULL, TSMON_HEADER_SIZE_V1, PROT_READ, MAP_SHARED, fd, 0);
	if (hdr == MAP_FAILED) {
		err = -errno;
		goto err_close;
	}
	err = parse_header(hdr, &l);
	munmap(hdr, TSMON_HEADER_SIZE_V1);
	if (err)
		goto err_close;
	if (regular && (uint64_t)st.st_size < l.region_size) {
		err = -EBADMSG;
		goto err_close;
	}

	base = mmap(NULL, l.region_size, PROT_READ, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		err = -errno;
		goto err_close;
	}
	/* A file may have been rewritten between the two mappings. */
	err = parse_header(base, &full);
	if (!err && full.region_size != l.region_size)
		err = -EBADMSG;
	if (err)
		goto err_unmap;

	t = handle_new(base, &full);
	if (!t) {
		err = -ENOMEM;
		goto err_unmap;
	}
	t->map_len = full.region_size;
	t->fd = fd;
	t->chardev = S_ISCHR(st.st_mode);
	*out = t;
	return 0;

err_unmap:
	munmap(base, l.region_size);
err_close:
	close(fd);
	return err;
}

TSMON_EXPORT
void tsmon_close(struct tsmon *t)
{
	if (!t)
		return;
	if (t->map_len)
		munmap((void *)t->base, t->map_len);
	if (t->fd >= 0)
		close(t->fd);
	free(t);
}

TSMON_EXPORT
int tsmon_get_info_sz(const struct tsmon *t, struct tsmon_info *info,
		      size_t size)
{
	if (!t || !info || !size)
		return -EINVAL;
	tsmon_fill(info, size, &t->info, sizeof(t->info));
	return 0;
}

TSMON_EXPORT
uint32_t tsmon_version(void)
{
	return TSMON_VERSION_CODE;
}

TSMON_EXPORT
int tsmon_fd(const struct tsmon *t)
{
	if (!t)
		return -EINVAL;
	if (t->fd < 0)
		return -ENOTTY;
	return t->fd;
}
