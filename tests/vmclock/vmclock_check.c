// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmclock_check - what a reader of tsmon sees when the VM it runs in is
 * migrated or restored from a snapshot (run by tests/vmclock/guest.sh in
 * a guest with a VMClock device, which tests/vmclock/run migrates).
 *
 *   vmclock_check ready
 *	tsmon watches a VMClock page; the clock is SYNCHRONIZED after a few
 *	sync updates made here (as a daemon's adjtimex calls would be).
 *	Prints "marker N".
 *   vmclock_check wait SECONDS
 *	Prints "READY" (the host migrates the guest on it), then samples
 *	tsmon_now() and the VMClock page in a tight loop until tsmon
 *	publishes a vm_disruption record, and checks it: markers (printed as
 *	"RECORD seq S before B after A" for the host to compare with what it
 *	read from the page itself), health counters, the status then and
 *	after the cooldown (DISRUPTED, unbounded), and that the next sync
 *	update brings the bound back. Prints the detection figures.
 *   vmclock_check none
 *	Without a VMClock device: the module reports none.
 *
 * Sync updates clear STA_UNSYNC; the state found (status, maxerror,
 * esterror) is put back before exiting.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include <tsmon/tsmon.h>

#define NSEC	1000000000ULL
#define SYSFS_VMCLOCK	"/sys/class/misc/tsmon/stats/vmclock"
#define VMCLOCK_SEQ_OFF	0x0c

static int failures;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		printf("FAIL: " __VA_ARGS__);				\
		printf("\n");						\
		failures++;						\
	}								\
} while (0)

static uint64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

static const char *status_name(uint32_t s)
{
	static const char *const names[] = {
		"unknown", "synchronized", "free_running", "disrupted",
	};

	return s < 4 ? names[s] : "?";
}

/* What a daemon's measurement looks like to the kernel (and to tsmon). */
static int sync_update(void)
{
	struct timex tx = {
		.modes = ADJ_MAXERROR | ADJ_ESTERROR | ADJ_STATUS,
		.maxerror = 200,	/* us */
		.esterror = 20,
		.status = STA_PLL,
	};

	return adjtimex(&tx) < 0 ? -errno : 0;
}

/* The NTP state found by "ready", put back by "wait" (across the migration). */
#define SAVED_NTP	"/run/vmclock-ntp"

static void save_ntp(void)
{
	struct timex tx = { 0 };
	FILE *f;

	if (adjtimex(&tx) < 0) {
		perror("adjtimex");
		return;
	}
	f = fopen(SAVED_NTP, "w");
	if (!f) {
		perror(SAVED_NTP);
		return;
	}
	fprintf(f, "%d %ld %ld\n", tx.status, tx.maxerror, tx.esterror);
	fclose(f);
}

static void restore_ntp(void)
{
	struct timex tx = { .modes = ADJ_MAXERROR | ADJ_ESTERROR | ADJ_STATUS };
	FILE *f = fopen(SAVED_NTP, "r");

	if (!f || fscanf(f, "%d %ld %ld", &tx.status, &tx.maxerror,
			 &tx.esterror) != 3) {
		printf("FAIL: no NTP state saved in %s\n", SAVED_NTP);
		failures++;
	} else if (adjtimex(&tx) < 0) {
		perror("adjtimex (restore)");
		failures++;
	}
	if (f)
		fclose(f);
}

static struct tsmon *open_tsmon(void)
{
	struct tsmon *t;
	int err = tsmon_open(TSMON_DEVICE_PATH, &t);

	if (err) {
		printf("FAIL: tsmon_open: %s\n", strerror(-err));
		exit(1);
	}
	return t;
}

/*
 * The VMClock page through /dev/mem, to see the restore from userspace:
 * its sequence count moves when the hypervisor bumps the marker. NULL when
 * the kernel does not allow it (the figure is then not measured).
 */
static const volatile uint32_t *map_page_seq(void)
{
	char buf[64];
	unsigned long long phys;
	void *p;
	FILE *f;
	int fd;

	f = fopen(SYSFS_VMCLOCK, "r");
	if (!f || !fgets(buf, sizeof(buf), f) ||
	    sscanf(buf, "%llx", &phys) != 1) {
		if (f)
			fclose(f);
		return NULL;
	}
	fclose(f);
	fd = open("/dev/mem", O_RDONLY | O_SYNC);
	if (fd < 0)
		return NULL;
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, (off_t)(phys & ~4095ULL));
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	return (const volatile uint32_t *)((char *)p + (phys & 4095) +
					   VMCLOCK_SEQ_OFF);
}

static int cmd_none(void)
{
	struct tsmon_health h;
	struct tsmon *t = open_tsmon();
	char buf[64] = "";
	FILE *f;

	CHECK(tsmon_health(t, &h) == 0, "tsmon_health");
	CHECK(h.vm_state == TSMON_VM_NONE, "vm_state %u, want none (0)",
	      h.vm_state);
	CHECK(h.vm_disruptions == 0 && h.vm_marker == 0,
	      "disruptions %" PRIu64 " marker %" PRIu64 " without a device",
	      (uint64_t)h.vm_disruptions, (uint64_t)h.vm_marker);
	f = fopen(SYSFS_VMCLOCK, "r");
	CHECK(f && fgets(buf, sizeof(buf), f) && !strcmp(buf, "none\n"),
	      "%s says '%s', want none", SYSFS_VMCLOCK, buf);
	if (f)
		fclose(f);
	tsmon_close(t);
	printf("%s: no VMClock device, module reports none\n",
	       failures ? "FAIL" : "ok");
	return failures ? 1 : 0;
}

static int cmd_ready(void)
{
	struct tsmon_health h;
	struct tsmon_time now;
	struct tsmon *t = open_tsmon();
	int i;

	CHECK(tsmon_health(t, &h) == 0, "tsmon_health");
	CHECK(h.vm_state == TSMON_VM_ACTIVE, "vm_state %u, want active (1)",
	      h.vm_state);
	CHECK(h.vm_disruptions == 0, "%" PRIu64 " disruptions before any",
	      (uint64_t)h.vm_disruptions);
	save_ntp();
	for (i = 0; i < 8; i++) {
		CHECK(sync_update() == 0, "adjtimex sync update");
		usleep(50000);
	}
	CHECK(tsmon_now(t, &now) == 0, "tsmon_now");
	CHECK(now.status == TSMON_CLOCK_SYNCHRONIZED,
	      "status %s before the migration, want synchronized",
	      status_name(now.status));
	printf("marker %" PRIu64 "\n", (uint64_t)h.vm_marker);
	printf("before: status %s, bound %" PRIu64 " ns\n",
	       status_name(now.status), now.bound_ns);
	tsmon_close(t);
	return failures ? 1 : 0;
}

static int cmd_wait(unsigned int seconds)
{
	const volatile uint32_t *page_seq = map_page_seq();
	struct tsmon_health h0, h;
	struct tsmon_record rec;
	struct tsmon_cursor cur;
	struct tsmon_time now, first;
	struct tsmon *t = open_tsmon();
	uint64_t start, prev = 0, gap = 0, samples = 0, seen_mono = 0;
	uint64_t restore_mono = 0, cooldown_end;
	uint32_t seq0 = 0;
	bool found = false;
	int err;

	CHECK(tsmon_health(t, &h0) == 0, "tsmon_health");
	CHECK(tsmon_cursor_init(t, &cur, TSMON_FROM_NOW, 0) == 0,
	      "tsmon_cursor_init");
	if (page_seq)
		seq0 = *page_seq;
	printf("READY\n");
	fflush(stdout);

	start = mono_now();
	while (!found) {
		if (tsmon_now(t, &now))
			continue;
		samples++;
		if (prev && now.mono_ns - prev > gap)
			gap = now.mono_ns - prev;
		/*
		 * Timed here, not by the sample: the vCPU may have been
		 * stopped for the migration anywhere in this loop.
		 */
		if (page_seq && !restore_mono && *page_seq != seq0)
			restore_mono = mono_now();
		while ((err = tsmon_next(t, &cur, &rec)) == 0) {
			if (rec.type == TSMON_EVENT_VM_DISRUPTION) {
				found = true;
				break;
			}
		}
		if (found) {
			seen_mono = mono_now();
			break;
		}
		prev = now.mono_ns;
		if (now.mono_ns - start > (uint64_t)seconds * NSEC)
			break;
	}
	CHECK(found, "no vm_disruption record within %u s", seconds);
	if (!found)
		goto out;

	/* The first read after the record: the clock is no longer trusted. */
	CHECK(tsmon_now(t, &first) == 0, "tsmon_now");
	CHECK(tsmon_health(t, &h) == 0, "tsmon_health");
	printf("RECORD seq %" PRIu64 " before %" PRIu64 " after %" PRIu64
	       " flags %#x state %#x\n", (uint64_t)rec.seq,
	       (uint64_t)rec.vm.marker_before, (uint64_t)rec.vm.marker_after,
	       rec.vm.flags, rec.vm.state);
	CHECK(rec.vm.marker_before == h0.vm_marker,
	      "record marker_before %" PRIu64 ", health had %" PRIu64,
	      (uint64_t)rec.vm.marker_before, (uint64_t)h0.vm_marker);
	CHECK(rec.vm.marker_after != rec.vm.marker_before,
	      "marker did not change");
	CHECK(h.vm_marker == rec.vm.marker_after,
	      "health marker %" PRIu64 ", record %" PRIu64,
	      (uint64_t)h.vm_marker, (uint64_t)rec.vm.marker_after);
	CHECK(h.vm_disruptions == h0.vm_disruptions + 1,
	      "health counts %" PRIu64 " disruptions, want %" PRIu64,
	      (uint64_t)h.vm_disruptions, (uint64_t)h0.vm_disruptions + 1);
	CHECK(h.event_count[TSMON_EVENT_VM_DISRUPTION] ==
	      h0.event_count[TSMON_EVENT_VM_DISRUPTION] + 1,
	      "event_count[vm_disruption] did not grow by one");
	CHECK(h.vm_disrupt_mono_ns == rec.mono_ns,
	      "health disruption time %" PRIu64 ", record %" PRIu64,
	      (uint64_t)h.vm_disrupt_mono_ns, (uint64_t)rec.mono_ns);
	CHECK(h.disrupt_mono_ns == rec.mono_ns &&
	      h.disrupt_type == TSMON_EVENT_VM_DISRUPTION,
	      "clock line disruption %" PRIu64 " type %u",
	      (uint64_t)h.disrupt_mono_ns, h.disrupt_type);
	CHECK(first.status == TSMON_CLOCK_DISRUPTED &&
	      first.bound_ns == UINT64_MAX && first.earliest_ns == 0 &&
	      first.latest_ns == UINT64_MAX,
	      "right after: status %s bound %" PRIu64 ", want disrupted, unbounded",
	      status_name(first.status), first.bound_ns);
	printf("after: status %s, bound %s\n", status_name(first.status),
	       first.bound_ns == UINT64_MAX ? "unbounded" : "finite");

	/* Figures, in the guest's CLOCK_MONOTONIC. */
	printf("figures: %" PRIu64 " samples, longest gap between samples %.3f ms,"
	       " record %+.3f ms after the last sample without it\n",
	       samples, gap / 1e6, ((double)rec.mono_ns - (double)prev) / 1e6);
	if (restore_mono)
		printf("figures: record time - the reader's first sight of the"
		       " restore (the page's sequence moved): %+.3f ms"
		       " (negative: tsmon was first); the reader had the"
		       " record %.3f ms after that sight\n",
		       ((double)rec.mono_ns - (double)restore_mono) / 1e6,
		       ((double)seen_mono - (double)restore_mono) / 1e6);
	else
		printf("figures: page not readable through /dev/mem: restore"
		       " instant not measured\n");

	/* Past the cooldown, still not trusted: nothing has measured it. */
	cooldown_end = rec.mono_ns + TSMON_COOLDOWN_DEFAULT_NS + NSEC / 10;
	while (mono_now() < cooldown_end)
		usleep(100000);
	CHECK(tsmon_now(t, &now) == 0, "tsmon_now");
	/*
	 * DISRUPTED, or FREE_RUNNING where the last sync update has also gone
	 * stale meanwhile; never SYNCHRONIZED, never bounded.
	 */
	CHECK((now.status == TSMON_CLOCK_DISRUPTED ||
	       now.status == TSMON_CLOCK_FREE_RUNNING) &&
	      now.bound_ns == UINT64_MAX,
	      "after the cooldown, no sync update: status %s bound %" PRIu64
	      ", want disrupted or free running, unbounded",
	      status_name(now.status), now.bound_ns);
	printf("after the cooldown: status %s\n", status_name(now.status));

	/* A daemon's next measurement brings the bound back. */
	CHECK(sync_update() == 0, "adjtimex sync update");
	CHECK(tsmon_now(t, &now) == 0, "tsmon_now");
	CHECK(now.status == TSMON_CLOCK_SYNCHRONIZED &&
	      now.bound_ns != UINT64_MAX,
	      "after a sync update: status %s bound %" PRIu64
	      ", want synchronized, bounded", status_name(now.status),
	      now.bound_ns);
	printf("after the next sync update: status %s, bound %" PRIu64 " ns\n",
	       status_name(now.status), now.bound_ns);
out:
	restore_ntp();
	tsmon_close(t);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "none"))
		return cmd_none();
	if (argc == 2 && !strcmp(argv[1], "ready"))
		return cmd_ready();
	if (argc == 3 && !strcmp(argv[1], "wait"))
		return cmd_wait((unsigned int)strtoul(argv[2], NULL, 10));
	fprintf(stderr, "usage: vmclock_check none | ready | wait SECONDS\n");
	return 2;
}
