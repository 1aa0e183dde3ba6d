// SPDX-License-Identifier: GPL-2.0-only
/*
 * mkregion - write a tsmon region file, for testing the tsmon command
 * without the module. Records are published with the module's protocol
 * (tests/unit/region.c) and the health block follows them the way the
 * module keeps it, so `tsmon status` and `tsmon ring` can be checked
 * against each other and against the values given here.
 *
 *   mkregion [OPTIONS] OUT [EVENT...]
 *
 *   -e N        ring entries (default 64)
 *   -a          append the EVENTs to the existing region OUT, in place,
 *               through a shared mapping (as the module does under a
 *               reader that has it mapped)
 *   -i ID       instance id
 *   -H MASK     hooks (TSMON_HOOK_* bits)
 *   -c NAME     clocksource
 *   -T N        TAI offset
 *   -S N        NTP status bits
 *   -F PPB      frequency correction
 *   -m T:C:S    tk_mult, cs_mult, cs_shift
 *   -L DIR@NS   leap second pending: insert or delete, at REALTIME NS
 *   -n KEY=VAL  set a health block field (repeatable), see health_keys[]:
 *               state (ok, ins, del, oop, wait, unknown or a number),
 *               captures, capture_mono, modes, maxerror, esterror, offset,
 *               freq, constant, tick, syncs, sync_mono, sync_maxerror,
 *               sync_esterror, sync_budget, sync_offset, sync_flags,
 *               sync_interval, sync_last_interval,
 *               disrupt_mono, disrupt_type (a type name or number),
 *               offs_real, phc_count, phc_overflow; the VMClock fields
 *               vm_state (none, active, invalid, disabled or a number),
 *               vm_bits (all of vm_state_bits) or its bytes one by one:
 *               vm_clock_status, vm_counter, vm_time_type, vm_leap (names
 *               as tsmon prints them, or numbers), vm_marker,
 *               vm_disruptions, vm_disrupt_mono, vm_flags, vm_seq, vm_tai,
 *               vm_period_shift, vm_gen, vm_counter_value, vm_period,
 *               vm_time_sec, vm_time_frac, vm_esterror, vm_maxerror;
 *               probes_missed, probes_missed_ntp, ntp_lost. A
 *               *_mono key also has an *_ago form: that many ns before
 *               CLOCK_MONOTONIC now.
 *   -p KEY=VAL[,KEY=VAL...]
 *               add a PHC slot to the health block (repeatable), see
 *               phc_keys[]: index, name, flags, steps, step_mono,
 *               step_ago, step_delta, freq, freq_updates
 *   -U MONO_NS  health block update time
 *   -z SIZE     health_size in the header, as an older module that fills
 *               less of the block would write it: a number of bytes, or a
 *               -n key, for the block up to that field (the bytes past it
 *               are still written: readers must ignore them)
 *   -X MAGIC    write this magic instead of TSMON_MAGIC
 *   -V N        write ABI version N
 *   -t BYTES    write only the first BYTES bytes of the region
 *
 * EVENT is TYPE[,KEY=VALUE...][*COUNT]. TYPE is an event type name or a
 * number (for types newer than this tool). KEYs: mono, real (ns; by default
 * 10 ms apart, the last one 10 ms before now), ago (mono and real that many
 * ns before now), delta, reason (name or number), at, dir (insert, delete
 * or a number), before, after (TAI offsets; STA_* bits for ntp_mode; states
 * as for -n state for ntp_state), from, to, sleep, status, maxerror,
 * esterror; for PHC records index, how (settime, setoffset or a number),
 * delta, time (phc_step), freq, scaled, suppressed (phc_freq), offset
 * (phc_phase), channel, ts, flags (phc_extts), name, flags (phc_add,
 * phc_remove); for vm_disruption before, after (the markers), flags, state
 * (all of it) or its bytes clock_status, counter, time_type, leap (as for
 * the vm_ keys of -n). Numbers are decimal or 0x hex; negative values are
 * allowed.
 *
 * Unless -n says otherwise, the health block starts as the module's does
 * before any adjtimex call (state unknown) with REALTIME - MONOTONIC of
 * this host now, and follows the events: NTP status and state, the last
 * disruption and, for steps and leaps, REALTIME - MONOTONIC, the PHC
 * table as PHCs come, go, step and change frequency, and the VMClock
 * fields a vm_disruption updates.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "region.h"
#include <tsmon/names.h>

#define NSEC		1000000000ULL
/* default spacing of events, small enough for long rings on a fresh boot */
#define STEP_NS		10000000ULL
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const type_names[] = {
	TSMON_EVENT_NAMES
};

static const char *const phc_hows[] = {
	[TSMON_PHC_SETTIME]	= "settime",
	[TSMON_PHC_SETOFFSET]	= "setoffset",
};

static const char *const reasons[] = {
	[TSMON_STEP_UNKNOWN]	= "unknown",
	[TSMON_STEP_SETTIME]	= "settime",
	[TSMON_STEP_SETOFFSET]	= "setoffset",
};

static const char *const dirs[] = {
	[TSMON_LEAP_INSERT]	= "insert",
	[TSMON_LEAP_DELETE]	= "delete",
};

/* The kernel's time_state values (TIME_OK ... TIME_WAIT). */
static const char *const states[] = { "ok", "ins", "del", "oop", "wait" };

static const char *const vm_states[] = {
	[TSMON_VM_NONE]		= "none",
	[TSMON_VM_ACTIVE]	= "active",
	[TSMON_VM_INVALID]	= "invalid",
	[TSMON_VM_DISABLED]	= "disabled",
};

/* The VMClock page's one-byte fields, values as in the VMClock ABI. */
static const char *const vm_clock_statuses[] = {
	"unknown", "initializing", "synchronized", "free_running", "unreliable",
};
static const char *const vm_counters[] = {
	[0] = "arm_vcnt", [1] = "tsc", [TSMON_VM_COUNTER_NONE] = "none",
};
static const char *const vm_time_types[] = { "utc", "tai", "monotonic" };
static const char *const vm_leaps[] = {
	"none", "pre_pos", "pre_neg", "pos", "post_pos", "post_neg",
};

enum health_kind {
	H_U32,
	H_U64,
	H_AGO,		/* a CLOCK_MONOTONIC field given as ns before now */
	H_STATE,	/* a time_state name or number */
	H_TYPE,		/* an event type name or number */
	/* by the names in vm_kinds[], or numbers */
	H_VM_STATE,		/* enum tsmon_vm_state */
	H_VM_CLOCK_STATUS,	/* the bytes of vm_state_bits ... */
	H_VM_COUNTER,
	H_VM_TIME_TYPE,
	H_VM_LEAP,
};

/*
 * The names of the values of the VMClock kinds and, for a byte of a
 * packed state word (TSMON_VM_CLOCK_STATUS() ...), the bit it starts at.
 */
static const struct {
	const char *const *names;
	size_t n;
	int shift;		/* -1: the whole u32 */
} vm_kinds[] = {
	[H_VM_STATE]		= { vm_states, ARRAY_SIZE(vm_states), -1 },
	[H_VM_CLOCK_STATUS]	= { vm_clock_statuses,
				    ARRAY_SIZE(vm_clock_statuses), 0 },
	[H_VM_COUNTER]		= { vm_counters, ARRAY_SIZE(vm_counters), 8 },
	[H_VM_TIME_TYPE]	= { vm_time_types, ARRAY_SIZE(vm_time_types),
				    16 },
	[H_VM_LEAP]		= { vm_leaps, ARRAY_SIZE(vm_leaps), 24 },
};

#define HOFF(f)		offsetof(struct tsmon_health, f)

static const struct {
	const char *key;
	enum health_kind kind;
	size_t off;
} health_keys[] = {
	{ "state",		H_STATE, HOFF(ntp_state) },
	{ "captures",		H_U64, HOFF(ntp_captures) },
	{ "capture_mono",	H_U64, HOFF(ntp_capture_mono_ns) },
	{ "capture_ago",	H_AGO, HOFF(ntp_capture_mono_ns) },
	{ "modes",		H_U32, HOFF(ntp_capture_modes) },
	{ "maxerror",		H_U64, HOFF(ntp_maxerror_ns) },
	{ "esterror",		H_U64, HOFF(ntp_esterror_ns) },
	{ "offset",		H_U64, HOFF(ntp_offset_ns) },
	{ "freq",		H_U64, HOFF(ntp_freq_ppb) },
	{ "constant",		H_U32, HOFF(ntp_constant) },
	{ "tick",		H_U32, HOFF(ntp_tick_us) },
	{ "syncs",		H_U64, HOFF(ntp_syncs) },
	{ "sync_mono",		H_U64, HOFF(sync_mono_ns) },
	{ "sync_ago",		H_AGO, HOFF(sync_mono_ns) },
	{ "sync_maxerror",	H_U64, HOFF(sync_maxerror_ns) },
	{ "sync_esterror",	H_U64, HOFF(sync_esterror_ns) },
	{ "sync_budget",	H_U64, HOFF(sync_budget_ns) },
	{ "sync_offset",	H_U64, HOFF(sync_offset_ns) },
	{ "sync_flags",		H_U32, HOFF(sync_flags) },
	{ "sync_interval",	H_U64, HOFF(sync_interval_ns) },
	{ "sync_last_interval",	H_U64, HOFF(sync_last_interval_ns) },
	{ "disrupt_mono",	H_U64, HOFF(disrupt_mono_ns) },
	{ "disrupt_ago",	H_AGO, HOFF(disrupt_mono_ns) },
	{ "disrupt_type",	H_TYPE, HOFF(disrupt_type) },
	{ "offs_real",		H_U64, HOFF(offs_real_ns) },
	{ "phc_count",		H_U32, HOFF(phc_count) },
	{ "phc_overflow",	H_U32, HOFF(phc_overflow) },
	{ "vm_state",		H_VM_STATE, HOFF(vm_state) },
	{ "vm_bits",		H_U32, HOFF(vm_state_bits) },
	{ "vm_clock_status",	H_VM_CLOCK_STATUS, HOFF(vm_state_bits) },
	{ "vm_counter",		H_VM_COUNTER, HOFF(vm_state_bits) },
	{ "vm_time_type",	H_VM_TIME_TYPE, HOFF(vm_state_bits) },
	{ "vm_leap",		H_VM_LEAP, HOFF(vm_state_bits) },
	{ "vm_marker",		H_U64, HOFF(vm_marker) },
	{ "vm_disruptions",	H_U64, HOFF(vm_disruptions) },
	{ "vm_disrupt_mono",	H_U64, HOFF(vm_disrupt_mono_ns) },
	{ "vm_disrupt_ago",	H_AGO, HOFF(vm_disrupt_mono_ns) },
	{ "vm_flags",		H_U64, HOFF(vm_flags) },
	{ "vm_seq",		H_U32, HOFF(vm_seq_count) },
	{ "vm_tai",		H_U32, HOFF(vm_tai_offset) },
	{ "vm_period_shift",	H_U32, HOFF(vm_counter_period_shift) },
	{ "vm_gen",		H_U64, HOFF(vm_gen_counter) },
	{ "vm_counter_value",	H_U64, HOFF(vm_counter_value) },
	{ "vm_period",		H_U64, HOFF(vm_counter_period_frac_sec) },
	{ "vm_time_sec",	H_U64, HOFF(vm_time_sec) },
	{ "vm_time_frac",	H_U64, HOFF(vm_time_frac_sec) },
	{ "vm_esterror",	H_U64, HOFF(vm_time_esterror_ns) },
	{ "vm_maxerror",	H_U64, HOFF(vm_time_maxerror_ns) },
	{ "probes_missed",	H_U64, HOFF(probes_missed) },
	{ "probes_missed_ntp",	H_U64, HOFF(probes_missed_ntp) },
	{ "ntp_lost",		H_U64, HOFF(ntp_lost) },
};

#define POFF(f)		offsetof(struct tsmon_phc_slot, f)

static const struct {
	const char *key;
	enum health_kind kind;
	size_t off;
} phc_keys[] = {
	{ "index",		H_U32, POFF(index) },
	{ "flags",		H_U32, POFF(flags) },
	{ "steps",		H_U64, POFF(steps) },
	{ "step_mono",		H_U64, POFF(last_step_mono_ns) },
	{ "step_ago",		H_AGO, POFF(last_step_mono_ns) },
	{ "step_delta",		H_U64, POFF(last_step_delta_ns) },
	{ "freq",		H_U64, POFF(freq_ppb) },
	{ "freq_updates",	H_U64, POFF(freq_updates) },
};

/* CLOCK_MONOTONIC and CLOCK_REALTIME when mkregion started. */
static uint64_t start_mono, start_real;

struct event {
	struct tsmon_record rec;
	uint64_t count;
	int has_mono, has_real;
};

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "mkregion: %s '%s'\n", what, arg);
	exit(2);
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

/* Signed or unsigned 64-bit: the bits are what the ABI stores. */
static uint64_t num(const char *s)
{
	char *end;
	uint64_t v;

	errno = 0;
	if (*s == '-')
		v = (uint64_t)strtoll(s, &end, 0);
	else
		v = strtoull(s, &end, 0);
	if (errno || !*s || *end)
		die("bad number", s);
	return v;
}

static uint32_t lookup(const char *s, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names[i] && !strcmp(s, names[i]))
			return i;
	return (uint32_t)num(s);
}

static uint32_t state_num(const char *s)
{
	if (!strcmp(s, "unknown"))
		return TSMON_NTP_STATE_UNKNOWN;
	return lookup(s, states, ARRAY_SIZE(states));
}

/*
 * A value of a VMClock kind into *word: the whole word, or its byte, the
 * rest of the word kept.
 */
static void set_vm(uint32_t *word, enum health_kind kind, const char *val)
{
	uint32_t v = lookup(val, vm_kinds[kind].names, vm_kinds[kind].n);
	int shift = vm_kinds[kind].shift;

	if (shift < 0)
		*word = v;
	else
		*word = (*word & ~(0xffU << shift)) | (v & 0xff) << shift;
}

/* Store the value val of a field of the given kind at field. */
static void set_field(unsigned char *field, enum health_kind kind,
		      const char *val)
{
	uint32_t v32;
	uint64_t v;

	switch (kind) {
	case H_VM_STATE:
	case H_VM_CLOCK_STATUS:
	case H_VM_COUNTER:
	case H_VM_TIME_TYPE:
	case H_VM_LEAP:
		memcpy(&v32, field, sizeof(v32));
		set_vm(&v32, kind, val);
		v = v32;
		break;
	case H_STATE:
		v = state_num(val);
		break;
	case H_TYPE:
		v = lookup(val, type_names, ARRAY_SIZE(type_names));
		break;
	case H_AGO:
		v = start_mono - num(val);
		break;
	default:
		v = num(val);
	}
	if (kind == H_U64 || kind == H_AGO) {
		memcpy(field, &v, sizeof(v));
	} else {
		v32 = (uint32_t)v;
		memcpy(field, &v32, sizeof(v32));
	}
}

static void set_health(struct tsmon_health *h, char *arg)
{
	char *val = strchr(arg, '=');
	size_t i;

	if (!val)
		die("expected KEY=VALUE, got", arg);
	*val++ = '\0';
	for (i = 0; i < ARRAY_SIZE(health_keys); i++)
		if (!strcmp(arg, health_keys[i].key))
			break;
	if (i == ARRAY_SIZE(health_keys))
		die("unknown health key", arg);
	set_field((unsigned char *)h + health_keys[i].off, health_keys[i].kind,
		  val);
}

/* -z: a size in bytes, or the offset of the field a health key sets. */
static uint64_t health_offset(const char *arg)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(health_keys); i++)
		if (!strcmp(arg, health_keys[i].key))
			return health_keys[i].off;
	return num(arg);
}

static void set_name(__u64 *words, size_t nwords, const char *s)
{
	size_t len = strlen(s);

	/* a name that fills the field has no NUL: readers must cope */
	if (len > nwords * 8)
		len = nwords * 8;
	memset(words, 0, nwords * 8);
	memcpy(words, s, len);
}

/* -p: the next free PHC slot, filled from KEY=VAL pairs. */
static void add_phc(struct tsmon_health *h, char *arg)
{
	struct tsmon_phc_slot *p;
	char *key, *val, *save = NULL;
	size_t i;

	if (h->phc_count >= TSMON_PHC_SLOTS)
		die("too many PHC slots at", arg);
	p = &h->phc[h->phc_count++];
	memset(p, 0, sizeof(*p));
	for (key = strtok_r(arg, ",", &save); key;
	     key = strtok_r(NULL, ",", &save)) {
		val = strchr(key, '=');
		if (!val)
			die("expected KEY=VALUE, got", key);
		*val++ = '\0';
		if (!strcmp(key, "name")) {
			set_name(p->name, TSMON_NAME_WORDS, val);
			continue;
		}
		for (i = 0; i < ARRAY_SIZE(phc_keys); i++)
			if (!strcmp(key, phc_keys[i].key))
				break;
		if (i == ARRAY_SIZE(phc_keys))
			die("unknown PHC key", key);
		set_field((unsigned char *)p + phc_keys[i].off,
			  phc_keys[i].kind, val);
	}
}

/*
 * Where a record keeps its PHC index and its flags word, by type: PHC
 * records and, for its flags, vm_disruption.
 */
static void phc_fields(struct tsmon_record *r, __u32 **index, __u32 **flags)
{
	*index = NULL;
	*flags = NULL;
	switch (r->type) {
	case TSMON_EVENT_PHC_STEP:
		*index = &r->phc_step.index;
		break;
	case TSMON_EVENT_PHC_FREQ:
		*index = &r->phc_freq.index;
		break;
	case TSMON_EVENT_PHC_PHASE:
		*index = &r->phc_phase.index;
		break;
	case TSMON_EVENT_PHC_EXTTS:
	case TSMON_EVENT_PHC_PPS:
		*index = &r->phc_extts.index;
		*flags = &r->phc_extts.flags;
		break;
	case TSMON_EVENT_PHC_ADD:
	case TSMON_EVENT_PHC_REMOVE:
		*index = &r->phc.index;
		*flags = &r->phc.flags;
		break;
	case TSMON_EVENT_VM_DISRUPTION:
		*flags = &r->vm.flags;
		break;
	}
}

static void parse_event(char *arg, struct event *ev)
{
	struct tsmon_record *r = &ev->rec;
	char *star, *key, *val, *save = NULL;
	uint32_t *before, *after, *phc_index, *rec_flags;
	uint64_t ago;

	memset(ev, 0, sizeof(*ev));
	ev->count = 1;
	star = strchr(arg, '*');
	if (star) {
		*star = '\0';
		ev->count = num(star + 1);
	}
	key = strtok_r(arg, ",", &save);
	if (!key)
		die("empty event", arg);
	r->type = lookup(key, type_names, ARRAY_SIZE(type_names));
	switch (r->type) {
	case TSMON_EVENT_LEAP_APPLIED:
		before = &r->leap_applied.tai_before;
		after = &r->leap_applied.tai_after;
		break;
	case TSMON_EVENT_NTP_MODE:
		before = &r->ntp_mode.status_before;
		after = &r->ntp_mode.status_after;
		break;
	case TSMON_EVENT_NTP_STATE:
		before = &r->ntp_state.state_before;
		after = &r->ntp_state.state_after;
		break;
	default:
		before = &r->tai.tai_before;
		after = &r->tai.tai_after;
	}
	phc_fields(r, &phc_index, &rec_flags);

	while ((key = strtok_r(NULL, ",", &save))) {
		val = strchr(key, '=');
		if (!val)
			die("expected KEY=VALUE, got", key);
		*val++ = '\0';
		if (!strcmp(key, "mono")) {
			r->mono_ns = num(val);
			ev->has_mono = 1;
		} else if (!strcmp(key, "real")) {
			r->real_ns = num(val);
			ev->has_real = 1;
		} else if (!strcmp(key, "ago")) {
			ago = num(val);
			r->mono_ns = start_mono - ago;
			r->real_ns = start_real - ago;
			ev->has_mono = ev->has_real = 1;
		} else if (!strcmp(key, "delta")) {
			*(r->type == TSMON_EVENT_PHC_STEP ?
			  &r->phc_step.delta_ns : &r->step.delta_ns) = num(val);
		} else if (phc_index && !strcmp(key, "index")) {
			*phc_index = num(val);
		} else if (rec_flags && !strcmp(key, "flags")) {
			*rec_flags = num(val);
		} else if (!strcmp(key, "how")) {
			r->phc_step.how = lookup(val, phc_hows,
						 ARRAY_SIZE(phc_hows));
		} else if (!strcmp(key, "time")) {
			r->phc_step.time_ns = num(val);
		} else if (!strcmp(key, "freq")) {
			r->phc_freq.freq_ppb = num(val);
		} else if (!strcmp(key, "scaled")) {
			r->phc_freq.scaled_ppm = num(val);
		} else if (!strcmp(key, "suppressed")) {
			r->phc_freq.suppressed = num(val);
		} else if (!strcmp(key, "offset")) {
			r->phc_phase.offset_ns = num(val);
		} else if (!strcmp(key, "channel")) {
			r->phc_extts.channel = num(val);
		} else if (!strcmp(key, "ts")) {
			r->phc_extts.timestamp_ns = num(val);
		} else if (!strcmp(key, "name")) {
			set_name(r->phc.name, TSMON_NAME_WORDS, val);
		} else if (!strcmp(key, "reason")) {
			r->step.reason = lookup(val, reasons,
						ARRAY_SIZE(reasons));
		} else if (!strcmp(key, "at")) {
			r->leap.leap_real_ns = num(val);
		} else if (!strcmp(key, "dir")) {
			*(r->type == TSMON_EVENT_LEAP_APPLIED ?
			  &r->leap_applied.direction : &r->leap.direction) =
				lookup(val, dirs, ARRAY_SIZE(dirs));
		} else if (r->type == TSMON_EVENT_VM_DISRUPTION &&
			   !strcmp(key, "before")) {
			r->vm.marker_before = num(val);
		} else if (r->type == TSMON_EVENT_VM_DISRUPTION &&
			   !strcmp(key, "after")) {
			r->vm.marker_after = num(val);
		} else if (!strcmp(key, "state")) {
			r->vm.state = num(val);
		} else if (!strcmp(key, "clock_status")) {
			set_vm(&r->vm.state, H_VM_CLOCK_STATUS, val);
		} else if (!strcmp(key, "counter")) {
			set_vm(&r->vm.state, H_VM_COUNTER, val);
		} else if (!strcmp(key, "time_type")) {
			set_vm(&r->vm.state, H_VM_TIME_TYPE, val);
		} else if (!strcmp(key, "leap")) {
			set_vm(&r->vm.state, H_VM_LEAP, val);
		} else if (!strcmp(key, "before")) {
			*before = r->type == TSMON_EVENT_NTP_STATE ?
				  state_num(val) : (uint32_t)num(val);
		} else if (!strcmp(key, "after")) {
			*after = r->type == TSMON_EVENT_NTP_STATE ?
				 state_num(val) : (uint32_t)num(val);
		} else if (!strcmp(key, "from")) {
			set_name(r->cs.from, TSMON_NAME_WORDS, val);
		} else if (!strcmp(key, "to")) {
			set_name(r->cs.to, TSMON_NAME_WORDS, val);
		} else if (!strcmp(key, "sleep")) {
			r->resume.sleep_ns = num(val);
		} else if (!strcmp(key, "status")) {
			r->ntp.status = num(val);
		} else if (!strcmp(key, "maxerror")) {
			r->ntp.maxerror_ns = num(val);
		} else if (!strcmp(key, "esterror")) {
			r->ntp.esterror_ns = num(val);
		} else {
			die("unknown key", key);
		}
	}
}

static struct tsmon_phc_slot *phc_find(struct tsmon_health *h,
				       uint32_t index)
{
	uint32_t i;

	for (i = 0; i < h->phc_count && i < TSMON_PHC_SLOTS; i++)
		if (h->phc[i].index == index)
			return &h->phc[i];
	return NULL;
}

/* The module's PHC table: used slots first, a gap refilled by the last. */
static void phc_follow(struct tsmon_health *h, const struct tsmon_record *r)
{
	struct tsmon_phc_slot *p;

	switch (r->type) {
	case TSMON_EVENT_PHC_ADD:
		if (phc_find(h, r->phc.index))
			break;
		if (h->phc_count >= TSMON_PHC_SLOTS) {
			h->phc_overflow++;
			break;
		}
		p = &h->phc[h->phc_count++];
		memset(p, 0, sizeof(*p));
		p->index = r->phc.index;
		p->flags = r->phc.flags;
		memcpy(p->name, r->phc.name, sizeof(p->name));
		break;
	case TSMON_EVENT_PHC_REMOVE:
		p = phc_find(h, r->phc.index);
		if (!p)
			break;
		*p = h->phc[h->phc_count - 1];
		memset(&h->phc[--h->phc_count], 0, sizeof(*p));
		break;
	case TSMON_EVENT_PHC_STEP:
		p = phc_find(h, r->phc_step.index);
		if (!p)
			break;
		p->steps++;
		p->last_step_mono_ns = r->mono_ns;
		p->last_step_delta_ns = r->phc_step.delta_ns;
		break;
	case TSMON_EVENT_PHC_FREQ:
		/* a record stands for itself and the changes it suppressed */
		p = phc_find(h, r->phc_freq.index);
		if (!p)
			break;
		p->freq_ppb = r->phc_freq.freq_ppb;
		p->freq_updates += 1 + r->phc_freq.suppressed;
		break;
	}
}

/* What the module does to the health block when it publishes @r. */
static void health_follow(struct tsmon_health *h, const struct tsmon_record *r)
{
	if (r->type < TSMON_EVENT_SLOTS)
		h->event_count[r->type]++;
	h->update_mono_ns = r->mono_ns;

	switch (r->type) {
	case TSMON_EVENT_CLOCK_STEP:
	case TSMON_EVENT_LEAP_APPLIED:
	case TSMON_EVENT_RESUME:
	case TSMON_EVENT_CLOCKSOURCE_CHANGE:
	case TSMON_EVENT_VM_DISRUPTION:
		h->disrupt_mono_ns = r->mono_ns;
		h->disrupt_type = r->type;
		break;
	}

	switch (r->type) {
	case TSMON_EVENT_CLOCK_STEP:
		h->offs_real_ns += r->step.delta_ns;
		h->last_step_seq = r->seq;
		h->last_step_mono_ns = r->mono_ns;
		h->last_step_real_ns = r->real_ns;
		h->last_step_delta_ns = r->step.delta_ns;
		h->last_step_reason = r->step.reason;
		break;
	case TSMON_EVENT_LEAP_ARMED:
		h->leap_state = r->leap.direction == TSMON_LEAP_DELETE ?
			TSMON_LEAP_DELETE_PENDING : TSMON_LEAP_INSERT_PENDING;
		h->leap_real_ns = r->leap.leap_real_ns;
		break;
	case TSMON_EVENT_LEAP_DISARMED:
		h->leap_state = TSMON_LEAP_NONE;
		h->leap_real_ns = 0;
		break;
	case TSMON_EVENT_LEAP_APPLIED:
		h->leap_state = TSMON_LEAP_NONE;
		h->leap_real_ns = 0;
		h->tai_offset = r->leap_applied.tai_after;
		if (r->leap_applied.direction == TSMON_LEAP_INSERT)
			h->offs_real_ns -= NSEC;
		else if (r->leap_applied.direction == TSMON_LEAP_DELETE)
			h->offs_real_ns += NSEC;
		break;
	case TSMON_EVENT_TAI_CHANGE:
		h->tai_offset = r->tai.tai_after;
		break;
	case TSMON_EVENT_CLOCKSOURCE_CHANGE:
		memset(h->clocksource, 0, sizeof(h->clocksource));
		memcpy(h->clocksource, r->cs.to, sizeof(r->cs.to));
		break;
	case TSMON_EVENT_NTP_SYNC:
	case TSMON_EVENT_NTP_UNSYNC:
		h->ntp_status = r->ntp.status;
		break;
	case TSMON_EVENT_NTP_MODE:
		h->ntp_status = r->ntp_mode.status_after;
		break;
	case TSMON_EVENT_NTP_STATE:
		h->ntp_state = r->ntp_state.state_after;
		break;
	case TSMON_EVENT_VM_DISRUPTION:
		/* only a device in use has a marker to see change */
		h->vm_state = TSMON_VM_ACTIVE;
		h->vm_marker = r->vm.marker_after;
		h->vm_disruptions++;
		h->vm_disrupt_mono_ns = r->mono_ns;
		h->vm_state_bits = r->vm.state;
		/* the record has the low half of the page's flags */
		h->vm_flags = (h->vm_flags & ~0xffffffffULL) | r->vm.flags;
		break;
	}
	phc_follow(h, r);
}

/*
 * Publishes the events in order. Times not given run STEP_NS apart and end
 * STEP_NS before now, so that they are in the past of this boot.
 */
static uint64_t total_count(const struct event *evs, int nev)
{
	uint64_t total = 0;
	int e;

	for (e = 0; e < nev; e++)
		total += evs[e].count;
	return total;
}

static void publish(struct region *r, struct tsmon_health *h,
		    const struct event *evs, int nev)
{
	uint64_t total = total_count(evs, nev), i, k = 0;
	uint64_t mono = start_mono, real = start_real;
	struct tsmon_record rec;
	int e;

	for (e = 0; e < nev; e++) {
		for (i = 0; i < evs[e].count; i++, k++) {
			rec = evs[e].rec;
			if (!evs[e].has_mono)
				rec.mono_ns = mono - (total - k) * STEP_NS;
			if (!evs[e].has_real)
				rec.real_ns = real - (total - k) * STEP_NS;
			rec.seq = region_append(r, &rec);
			health_follow(h, &rec);
		}
	}
}

/* A struct region over an existing region file, mapped shared. */
static void region_map_file(struct region *r, const char *path)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		die("cannot open", path);
	memset(r, 0, sizeof(*r));
	r->size = st.st_size;
	r->base = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       fd, 0);
	close(fd);
	if (r->base == MAP_FAILED)
		die("cannot map", path);
	r->hdr = (struct tsmon_header *)r->base;
	r->health = (struct tsmon_health *)(r->base + r->hdr->health_offset);
	r->ring = r->base + r->hdr->ring_offset;
	r->head = r->hdr->head;
}

static void usage(void)
{
	fputs("usage: mkregion [-a] [-e N] [-i ID] [-H MASK] [-c NAME] "
	      "[-T N] [-S N] [-F PPB]\n"
	      "                [-m T:C:S] [-L DIR@NS] [-n KEY=VAL]... "
	      "[-p KEY=VAL,...]...\n"
	      "                [-U MONO_NS] [-z SIZE]\n"
	      "                [-X MAGIC] [-V N] [-t BYTES]\n"
	      "                OUT [EVENT...]\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t magic = TSMON_MAGIC, abi = TSMON_ABI_VERSION, id = 0;
	uint64_t update = 0, truncate = 0, health_size = 0;
	unsigned long entries = 64;
	struct tsmon_health h;
	struct event *evs;
	struct region r;
	int append = 0, opt, nev, i, ret;
	char *at, *out, *tmpl;

	start_mono = now_ns(CLOCK_MONOTONIC);
	start_real = now_ns(CLOCK_REALTIME);
	memset(&h, 0, sizeof(h));
	h.hooks = TSMON_HOOK_TIMEKEEPER;
	h.ntp_state = TSMON_NTP_STATE_UNKNOWN;
	h.offs_real_ns = start_real - start_mono;
	while ((opt = getopt(argc, argv,
			     "ae:i:H:c:T:S:F:m:L:n:p:U:X:V:t:z:")) >= 0) {
		switch (opt) {
		case 'a':
			append = 1;
			break;
		case 'e':
			entries = num(optarg);
			break;
		case 'i':
			id = num(optarg);
			break;
		case 'H':
			h.hooks = num(optarg);
			break;
		case 'c':
			set_name(h.clocksource, TSMON_CS_NAME_WORDS, optarg);
			break;
		case 'T':
			h.tai_offset = num(optarg);
			break;
		case 'S':
			h.ntp_status = num(optarg);
			break;
		case 'F':
			h.freq_ppb = num(optarg);
			break;
		case 'm':
			if (sscanf(optarg, "%u:%u:%u", &h.tk_mult, &h.cs_mult,
				   &h.cs_shift) != 3)
				die("bad multipliers", optarg);
			break;
		case 'L':
			at = strchr(optarg, '@');
			if (!at)
				die("expected DIR@NS, got", optarg);
			*at++ = '\0';
			h.leap_state = lookup(optarg, dirs, ARRAY_SIZE(dirs)) ==
				TSMON_LEAP_DELETE ? TSMON_LEAP_DELETE_PENDING :
				TSMON_LEAP_INSERT_PENDING;
			h.leap_real_ns = num(at);
			break;
		case 'n':
			set_health(&h, optarg);
			break;
		case 'p':
			add_phc(&h, optarg);
			break;
		case 'U':
			update = num(optarg);
			break;
		case 'X':
			magic = num(optarg);
			break;
		case 'V':
			abi = num(optarg);
			break;
		case 't':
			truncate = num(optarg);
			break;
		case 'z':
			health_size = health_offset(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();
	out = argv[optind++];
	nev = argc - optind;
	evs = calloc(nev ? nev : 1, sizeof(*evs));
	if (!evs)
		die("out of memory", out);
	for (i = 0; i < nev; i++)
		parse_event(argv[optind + i], &evs[i]);

	if (append) {
		region_map_file(&r, out);
		memcpy(&h, r.health, sizeof(h));
		publish(&r, &h, evs, nev);
		region_health_write(&r, &h);
		munmap(r.base, r.size);
		free(evs);
		return 0;
	}

	if (region_init(&r, entries, TSMON_RECORD_SIZE_V1))
		die("cannot allocate a region for", out);
	if (id)
		r.hdr->instance_id = id;
	/* the module was loaded just before the first event */
	r.hdr->load_mono_ns -= (total_count(evs, nev) + 1) * STEP_NS;
	r.hdr->load_real_ns -= (total_count(evs, nev) + 1) * STEP_NS;
	publish(&r, &h, evs, nev);
	if (update)
		h.update_mono_ns = update;
	region_health_write(&r, &h);
	r.hdr->magic = magic;
	r.hdr->abi_version = abi;
	if (health_size)
		r.hdr->health_size = health_size;

	tmpl = malloc(strlen(out) + sizeof(".XXXXXX"));
	if (!tmpl)
		die("out of memory", out);
	sprintf(tmpl, "%s.XXXXXX", out);
	ret = region_save(&r, truncate ? truncate : r.size, tmpl);
	if (ret || rename(tmpl, out))
		die("cannot write", out);
	free(tmpl);
	region_fini(&r);
	free(evs);
	return 0;
}
