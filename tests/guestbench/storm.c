// SPDX-License-Identifier: GPL-2.0-only
/*
 * storm - an adjtimex event storm against tsmon's two read paths: nothing
 * may go missing without being counted.
 *
 * One thread makes N adjtimex(ADJ_STATUS) calls as fast as it can, each
 * flipping STA_FREQHOLD, one of the bits tsmon reports: every call produces
 * exactly one ntp_mode record (STA_UNSYNC is held set, so no sync record
 * comes in between, and time_state does not move). Meanwhile a mapped ring
 * reader (tsmon_next, sleeping in tsmon_wait when it caught up) and a
 * netlink subscriber (tsmon_sub_next) read the storm's sequence range.
 *
 * Each reader must account for every sequence number exactly once, in
 * order: either a record - which must be the ntp_mode record of that very
 * call, FREQHOLD set or cleared as that call did - or a share of a LOST
 * record's count. So read + lost = N for each, and the module must have
 * published exactly N records for N calls (its head moved by N, and the
 * __do_adjtimex kretprobe missed none: a missed probe would lose an event
 * that no reader could see).
 *
 * One kind of record may come in between: a tick whose second_overflow
 * probe is skipped because it interrupted tsmon's adjtimex handler on the
 * writer's CPU makes the module forget the NTP state (an ntp_state record to
 * unknown) until the next call relearns it (one from unknown). Such records
 * are counted apart and must be explained by the health block's ntp_lost:
 * at most two per lost episode, none without one.
 *
 * usage: storm [-n CALLS] [RING_ENTRIES...]
 *   -n CALLS      calls per run (default 100000)
 *   RING_ENTRIES  one run per value, with tsmon (re)loaded from $TSMON_KO
 *                 with ring_entries=RING_ENTRIES, and unloaded afterwards
 *                 unless it was loaded before. With a ring at least CALLS
 *                 records long nothing can be overwritten, so a run then
 *                 also requires that nothing was lost.
 *                 Without any, one run against the module as it is loaded.
 *
 * Output is TAP. Exit status 0 when every run passed, 1 when one failed,
 * 2 on errors, 4 (skip) when tsmon is not loaded and no ring size is given.
 * The NTP status and the other NTP state are restored after each run.
 *
 * It changes the system's NTP state: it runs only in the test guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "clockops.h"
#include <tsmon/tsmon.h>

#define STATS_DIR	"/sys/class/misc/tsmon/stats/"
#define WRITER_CPU	0
/* How long the readers may take to catch up once the storm is over. */
#define DRAIN_NS	(60 * NSEC_PER_SEC)
#define KSFT_SKIP	4

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
						    noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("storm: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	exit(2);
}

static int ntest, nfail;

static void tap(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", ok ? "ok" : "not ok", ++ntest);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!ok)
		nfail++;
}

static int64_t mono_ns(void)
{
	return clk_ns(CLOCK_MONOTONIC);
}

static bool module_loaded(void)
{
	return access("/sys/module/tsmon", F_OK) == 0;
}

static uint64_t stat_u64(const char *name)
{
	char path[128], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), STATS_DIR "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("%s: %s\n", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		die("%s: cannot read\n", path);
	buf[n] = '\0';
	return strtoull(buf, NULL, 10);
}

static void module_unload(void)
{
	/* Retried: the netlink family may still be held for a moment. */
	for (int i = 0; i < 100; i++) {
		if (!syscall(SYS_delete_module, "tsmon", O_NONBLOCK))
			return;
		if (errno != EAGAIN && errno != EBUSY)
			break;
		usleep(20000);
	}
	die("unloading tsmon: %s\n", strerror(errno));
}

static void module_load(unsigned int entries)
{
	const char *ko = getenv("TSMON_KO");
	char params[64];
	int fd;

	if (!ko)
		die("TSMON_KO is not set (run through tests/vm/run)\n");
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("%s: %s\n", ko, strerror(errno));
	snprintf(params, sizeof(params), "ring_entries=%u", entries);
	if (syscall(SYS_finit_module, fd, params, 0))
		die("loading %s %s: %s\n", ko, params, strerror(errno));
	close(fd);
}

/* ------------------------------------------------------------ the storm */

struct run {
	uint64_t calls;
	uint64_t first;		/* sequence of the first call's record */
	uint64_t lost_episodes;	/* health ntp_lost's growth over the storm */
	int base_status;	/* STA_* with FREQHOLD clear, UNSYNC set */
	_Atomic uint64_t last;	/* sequence of the last one, once known */
	_Atomic bool stop;	/* a reader failed: give up */
	_Atomic int64_t end_ns;	/* CLOCK_MONOTONIC when the storm ended */
};

/* Call i sets FREQHOLD when i is even and clears it when i is odd. */
static int call_status(const struct run *r, uint64_t i)
{
	return r->base_status | (i & 1 ? 0 : STA_FREQHOLD);
}

struct tally {
	const char *name;
	struct run *run;
	uint64_t expect;	/* next sequence to account for */
	uint64_t read;
	uint64_t lost;
	uint64_t lost_records;
	uint64_t bad;		/* records that are not the call's own */
	uint64_t unknown;	/* ntp_state records to or from unknown */
	uint64_t shift;		/* such records before this point, read or lost */
	bool resync;		/* a LOST range may have hidden some of them */
	uint64_t order;		/* sequence numbers out of order */
	int64_t done_ns;
	int err;
	char first_bad[160];
};

static bool is_unknown_record(const struct tsmon_record *rec)
{
	return rec->type == TSMON_EVENT_NTP_STATE &&
	       (rec->ntp_state.state_before == TSMON_NTP_STATE_UNKNOWN) !=
	       (rec->ntp_state.state_after == TSMON_NTP_STATE_UNKNOWN);
}

static bool is_call_record(const struct run *r, const struct tsmon_record *rec,
			   uint64_t shift)
{
	uint64_t i;

	if (rec->type != TSMON_EVENT_NTP_MODE || rec->seq < r->first + shift)
		return false;
	i = rec->seq - r->first - shift;
	return rec->ntp_mode.status_after == (uint32_t)call_status(r, i) &&
	       rec->ntp_mode.status_before ==
	       (uint32_t)(i ? call_status(r, i - 1) : r->base_status);
}

static void account(struct tally *t, const struct tsmon_record *rec)
{
	struct run *r = t->run;

	if (rec->seq != t->expect) {
		if (!t->order++)
			snprintf(t->first_bad, sizeof(t->first_bad),
				 "sequence %" PRIu64 " where %" PRIu64 " was due",
				 (uint64_t)rec->seq, t->expect);
	}
	t->expect = rec->seq + 1;
	if (rec->type == TSMON_EVENT_LOST) {
		t->lost += rec->lost.count;
		t->lost_records++;
		t->expect = rec->seq + rec->lost.count;
		t->resync = true;
		return;
	}
	if (is_unknown_record(rec)) {
		t->unknown++;
		t->shift++;
		return;
	}
	t->read++;
	if (is_call_record(r, rec, t->shift)) {
		t->resync = false;
		return;
	}
	/*
	 * Call i's record is told by i's parity alone: after a LOST range
	 * that hid an odd number of unknown records, the shift is one off.
	 */
	if (t->resync && is_call_record(r, rec, t->shift + 1)) {
		t->shift++;
		t->resync = false;
		return;
	}
	if (!t->bad++)
		snprintf(t->first_bad, sizeof(t->first_bad),
			 "sequence %" PRIu64 ": type %u, raw %#" PRIx64 " %#" PRIx64,
			 (uint64_t)rec->seq, rec->type, (uint64_t)rec->raw[0],
			 (uint64_t)rec->raw[1]);
}

/*
 * The reader is done once it accounted for the last call's record, or
 * gives up DRAIN_NS after the storm: what it then misses is unaccounted.
 */
static bool finished(struct tally *t)
{
	uint64_t last = atomic_load(&t->run->last);

	return last && (t->expect > last ||
			mono_ns() > atomic_load(&t->run->end_ns) + DRAIN_NS);
}

static void *ring_reader(void *arg)
{
	struct tally *t = arg;
	struct tsmon_cursor c;
	struct tsmon_record rec;
	struct tsmon *h;
	int err;

	err = tsmon_open(NULL, &h);
	if (err) {
		t->err = err;
		atomic_store(&t->run->stop, true);
		return NULL;
	}
	tsmon_cursor_init(h, &c, TSMON_FROM_SEQ, t->run->first);
	while (!finished(t) && !atomic_load(&t->run->stop)) {
		err = tsmon_next(h, &c, &rec);
		if (!err) {
			account(t, &rec);
			continue;
		}
		if (err != -EAGAIN) {
			t->err = err;
			break;
		}
		/* Caught up: sleep until the next record (or re-check the end). */
		err = tsmon_wait(h, &c, 50);
		if (err && err != -ETIMEDOUT) {
			t->err = err;
			break;
		}
	}
	t->done_ns = mono_ns();
	tsmon_close(h);
	return NULL;
}

struct listener {
	struct tally t;
	struct tsmon_sub *sub;
};

static void *nl_listener(void *arg)
{
	struct listener *l = arg;
	struct tally *t = &l->t;
	struct tsmon_record rec;
	int err;

	while (!finished(t) && !atomic_load(&t->run->stop)) {
		err = tsmon_sub_next(l->sub, &rec, 50);
		if (!err) {
			account(t, &rec);
			continue;
		}
		if (err != -ETIMEDOUT && err != -EAGAIN) {
			t->err = err;
			break;
		}
	}
	t->done_ns = mono_ns();
	return NULL;
}

static int set_status(int status)
{
	struct timex tx = { .modes = ADJ_STATUS, .status = status };

	return adjtimex(&tx) < 0 ? -errno : 0;
}

static void report(const struct tally *t, const struct run *r, bool zero_loss)
{
	uint64_t total = atomic_load(&r->last) - r->first + 1;
	bool counted = !t->err && !t->bad && !t->order &&
		       t->read + t->lost + t->unknown == total &&
		       t->expect == r->first + total &&
		       t->unknown <= 2 * r->lost_episodes;

	printf("#   %-12s read %" PRIu64 ", lost %" PRIu64 " (in %" PRIu64
	       " lost records), to/from unknown %" PRIu64 ", wrong %" PRIu64
	       ", out of order %" PRIu64 ", done %.0f ms after the storm%s%s\n",
	       t->name, t->read, t->lost, t->lost_records, t->unknown, t->bad,
	       t->order, (t->done_ns - r->end_ns) / 1e6,
	       *t->first_bad ? "; first: " : "", t->first_bad);
	if (t->err)
		printf("#   %s failed: %s\n", t->name, strerror(-t->err));
	tap(counted, "%s: every one of %" PRIu64 " records read or counted lost (read %" PRIu64
	    " + to/from unknown %" PRIu64 " + lost %" PRIu64 ", unaccounted %" PRId64 ")",
	    t->name, total, t->read, t->unknown, t->lost,
	    (int64_t)(total - t->read - t->unknown - t->lost));
	if (zero_loss)
		tap(counted && !t->lost && t->read == r->calls,
		    "%s: nothing lost with a ring of at least %" PRIu64 " records, all %" PRIu64
		    " calls' records read", t->name, r->calls, r->calls);
}

/* The health block's count of lost NTP states (probe misses), see tsmon.h. */
static uint64_t ntp_lost(struct tsmon *h)
{
	struct tsmon_health hb;
	int err = tsmon_health(h, &hb);

	if (err)
		die("tsmon_health: %s\n", strerror(-err));
	return hb.ntp_lost;
}

static void storm(uint64_t calls, unsigned int entries)
{
	struct listener nl = { .t = { .name = "netlink sub" } };
	struct tally ring = { .name = "ring reader" };
	static struct run r;
	uint64_t head0, head1, missed0, missed1, lost0, extra, i;
	struct tsmon *h;
	pthread_t rt, lt;
	struct timex saved;
	bool loaded_here = false, was_loaded = module_loaded();
	unsigned int was_entries = 0;
	cpu_set_t cpus;
	int64_t start;
	int err;

	if (entries) {
		if (was_loaded) {
			was_entries = (unsigned int)stat_u64("ring_entries");
			module_unload();
		}
		module_load(entries);
		loaded_here = true;
	} else if (!was_loaded) {
		printf("1..0 # SKIP tsmon is not loaded\n");
		exit(KSFT_SKIP);
	}
	entries = (unsigned int)stat_u64("ring_entries");
	printf("# storm: %" PRIu64 " adjtimex(ADJ_STATUS) calls flipping STA_FREQHOLD, ring_entries=%u\n",
	       calls, entries);

	memset(&r, 0, sizeof(r));
	r.calls = calls;
	if (ntp_read(&saved) < 0)
		die("adjtimex: %s\n", strerror(errno));
	/*
	 * The starting point: FREQHOLD clear, UNSYNC set (so no sync record
	 * can come from maxerror growing). Also tsmon's baseline, as the
	 * first call it sees after loading makes no record.
	 */
	r.base_status = (saved.status | STA_UNSYNC) & ~STA_FREQHOLD;
	err = set_status(r.base_status);
	if (err)
		die("adjtimex(ADJ_STATUS): %s\n", strerror(-err));

	/* The main thread's own view of the head; each reader has its own. */
	err = tsmon_open(NULL, &h);
	if (err)
		die("tsmon_open: %s\n", strerror(-err));
	tsmon_head(h, &head0);
	r.first = head0 + 1;
	err = tsmon_sub_open(&nl.sub);
	if (err)
		die("tsmon_sub_open: %s\n", strerror(-err));
	/* Joins the live feed, then replays from r.first: no gap either way. */
	err = tsmon_sub_start(nl.sub, TSMON_FROM_SEQ, r.first);
	if (err)
		die("tsmon_sub_start: %s\n", strerror(-err));
	missed0 = stat_u64("adjtimex_missed");
	lost0 = ntp_lost(h);

	ring.run = nl.t.run = &r;
	ring.expect = nl.t.expect = r.first;
	if (pthread_create(&rt, NULL, ring_reader, &ring) ||
	    pthread_create(&lt, NULL, nl_listener, &nl))
		die("pthread_create failed\n");

	CPU_ZERO(&cpus);
	CPU_SET(WRITER_CPU, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);

	start = mono_ns();
	for (i = 0; i < calls && !atomic_load(&r.stop); i++) {
		err = set_status(call_status(&r, i));
		if (err)
			die("adjtimex(ADJ_STATUS) call %" PRIu64 ": %s\n", i,
			    strerror(-err));
	}
	atomic_store(&r.end_ns, mono_ns());
	tsmon_head(h, &head1);
	missed1 = stat_u64("adjtimex_missed");
	/* Read after head1: every episode whose record is in the range counts. */
	r.lost_episodes = ntp_lost(h) - lost0;
	/* The readers stop at head1: the calls' records and those in between. */
	atomic_store(&r.last, head1);

	pthread_join(rt, NULL);
	pthread_join(lt, NULL);
	tsmon_sub_close(nl.sub);
	tsmon_close(h);

	CPU_ZERO(&cpus);
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		CPU_SET(cpu, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);

	err = ntp_restore(&saved);
	if (err)
		die("restoring the NTP state: %s\n", strerror(-err));

	printf("#   writer       %" PRIu64 " calls in %.2f s: %.0f calls/s; records %" PRIu64
	       "..%" PRIu64 "; kretprobe misses %" PRIu64 "\n",
	       calls, (r.end_ns - start) / 1e9, calls * 1e9 / (r.end_ns - start),
	       head0 + 1, head1, missed1 - missed0);
	extra = head1 - head0 - calls;
	printf("#   NTP state lost %" PRIu64 " times (ticks whose probe was missed)\n",
	       r.lost_episodes);
	tap(i == calls && head1 - head0 >= calls && extra <= 2 * r.lost_episodes &&
	    missed1 == missed0,
	    "ring %u: %" PRIu64 " calls made %" PRIu64 " records (%" PRIu64
	    " to/from unknown, at most 2 per lost state), %" PRIu64 " adjtimex probe misses",
	    entries, i, head1 - head0, extra, missed1 - missed0);
	report(&ring, &r, entries >= calls);
	report(&nl.t, &r, entries >= calls);

	if (loaded_here) {
		module_unload();
		if (was_loaded)
			module_load(was_entries);
	}
}

int main(int argc, char **argv)
{
	const char *kver = getenv("TSMON_KVER");
	unsigned long long calls = 100000;
	struct utsname uts;
	int opt, nruns, i;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		switch (opt) {
		case 'n':
			calls = strtoull(optarg, NULL, 10);
			if (!calls || calls > 100000000)
				die("-n: 1 to 100000000 calls\n");
			break;
		default:
			fprintf(stderr, "usage: storm [-n CALLS] [RING_ENTRIES...]\n");
			return 2;
		}
	}

	setvbuf(stdout, NULL, _IOLBF, 0);
	uname(&uts);
	if (!kver || strcmp(kver, uts.release))
		die("this program changes the NTP state: run it in the test guest\n");
	if (geteuid() != 0)
		die("must run as root\n");

	nruns = argc - optind;
	printf("TAP version 13\n");
	if (!nruns)
		storm(calls, 0);
	for (i = optind; i < argc; i++) {
		unsigned long entries = strtoul(argv[i], NULL, 10);

		if (entries < 64 || entries > (1UL << 20) || (entries & (entries - 1)))
			die("%s: ring_entries must be a power of two from 64 to 1048576\n",
			    argv[i]);
		storm(calls, (unsigned int)entries);
	}
	printf("1..%d\n", ntest);
	if (nfail)
		printf("# %d of %d failed\n", nfail, ntest);
	return nfail ? 1 : 0;
}
