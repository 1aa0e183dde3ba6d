// SPDX-License-Identifier: GPL-2.0-only
/*
 * Ring record printing, driven by one table that describes the fields of
 * each event type for both output formats. Supporting a new event type
 * takes one entry in event_fields[] (and its name in libtsmon).
 */
#include <inttypes.h>
#include <string.h>
#include <sys/timex.h>

#include "fmt.h"
#include "print.h"

static const char *const step_reasons[] = {
	[TSMON_STEP_UNKNOWN]	= "unknown",
	[TSMON_STEP_SETTIME]	= "settime",
	[TSMON_STEP_SETOFFSET]	= "setoffset",
};

static const char *const phc_step_hows[] = {
	[TSMON_PHC_SETTIME]	= "settime",
	[TSMON_PHC_SETOFFSET]	= "setoffset",
};

static const char *const leap_directions[] = {
	[TSMON_LEAP_INSERT]	= "insert",
	[TSMON_LEAP_DELETE]	= "delete",
};

static const struct {
	const char *name;
	const char *desc;
} ntp_states[] = {
	[TIME_OK]	= { "ok", "no leap second pending" },
	[TIME_INS]	= { "ins", "leap second insertion at midnight UTC" },
	[TIME_DEL]	= { "del", "leap second deletion at midnight UTC" },
	[TIME_OOP]	= { "oop", "leap second in progress" },
	[TIME_WAIT]	= { "wait", "leap second done, STA_INS/DEL still set" },
};

static const struct bit_name sta_names[] = {
	{ .bit = STA_PLL,		.name = "PLL" },
	{ .bit = STA_PPSFREQ,		.name = "PPSFREQ" },
	{ .bit = STA_PPSTIME,		.name = "PPSTIME" },
	{ .bit = STA_FLL,		.name = "FLL" },
	{ .bit = STA_INS,		.name = "INS" },
	{ .bit = STA_DEL,		.name = "DEL" },
	{ .bit = STA_UNSYNC,		.name = "UNSYNC" },
	{ .bit = STA_FREQHOLD,		.name = "FREQHOLD" },
	{ .bit = STA_PPSSIGNAL,		.name = "PPSSIGNAL" },
	{ .bit = STA_PPSJITTER,		.name = "PPSJITTER" },
	{ .bit = STA_PPSWANDER,		.name = "PPSWANDER" },
	{ .bit = STA_PPSERROR,		.name = "PPSERROR" },
	{ .bit = STA_CLOCKERR,		.name = "CLOCKERR" },
	{ .bit = STA_NANO,		.name = "NANO" },
	{ .bit = STA_MODE,		.name = "MODE" },
	{ .bit = STA_CLK,		.name = "CLK" },
};

const struct bit_names sta_bits = BIT_NAMES(sta_names);

/*
 * adjtimex(2) modes, without the ADJ_ prefix. ADJ_OFFSET_SINGLESHOT is
 * ADJ_OFFSET plus a bit of its own (adjtime(3) sets it), named here.
 */
static const struct bit_name adj_names[] = {
	{ .bit = ADJ_OFFSET,		.name = "OFFSET" },
	{ .bit = ADJ_FREQUENCY,		.name = "FREQUENCY" },
	{ .bit = ADJ_MAXERROR,		.name = "MAXERROR" },
	{ .bit = ADJ_ESTERROR,		.name = "ESTERROR" },
	{ .bit = ADJ_STATUS,		.name = "STATUS" },
	{ .bit = ADJ_TIMECONST,		.name = "TIMECONST" },
	{ .bit = ADJ_TAI,		.name = "TAI" },
	{ .bit = ADJ_SETOFFSET,		.name = "SETOFFSET" },
	{ .bit = ADJ_MICRO,		.name = "MICRO" },
	{ .bit = ADJ_NANO,		.name = "NANO" },
	{ .bit = ADJ_TICK,		.name = "TICK" },
	{ .bit = ADJ_OFFSET_SINGLESHOT & ~ADJ_OFFSET,
	  .name = "SINGLESHOT" },
};

const struct bit_names adj_bits = BIT_NAMES(adj_names);

/*
 * The VMClock page's flags. tsmon's ABI names the ones it acts on; the
 * others are named here by their bit numbers in the VMClock ABI, which
 * the page fixes, so that a status shows all of what the hypervisor says.
 */
static const struct bit_name vmclock_names[] = {
	{ .bit = TSMON_VMCLOCK_TAI_OFFSET_VALID, .name = "tai_offset_valid",
	  .text = "tai offset valid" },
	{ .bit = TSMON_VMCLOCK_DISRUPTION_SOON,	.name = "disruption_soon",
	  .text = "disruption soon" },
	{ .bit = TSMON_VMCLOCK_DISRUPTION_IMMINENT,
	  .name = "disruption_imminent", .text = "disruption imminent" },
	{ .bit = 1U << 3,	.name = "period_esterror_valid",
	  .text = "period esterror valid" },
	{ .bit = 1U << 4,	.name = "period_maxerror_valid",
	  .text = "period maxerror valid" },
	{ .bit = VMCLOCK_TIME_ESTERROR_VALID, .name = "time_esterror_valid",
	  .text = "time esterror valid" },
	{ .bit = TSMON_VMCLOCK_TIME_MAXERROR_VALID,
	  .name = "time_maxerror_valid", .text = "time maxerror valid" },
	{ .bit = 1U << 7,	.name = "time_monotonic",
	  .text = "time monotonic" },
	{ .bit = TSMON_VMCLOCK_VM_GEN_COUNTER_PRESENT,
	  .name = "vm_gen_counter_present", .text = "vm gen counter present" },
	{ .bit = 1U << 9,	.name = "notification_present",
	  .text = "notification present" },
};

const struct bit_names vmclock_bits = BIT_NAMES(vmclock_names);

/* Values as in the VMClock ABI (see TSMON_VM_CLOCK_STATUS() in the ABI). */
static const char *const vm_clock_status_names[] = {
	"unknown", "initializing", "synchronized", "free_running", "unreliable",
};

static const char *const vm_counter_names[] = {
	[0]			= "arm_vcnt",
	[1]			= "tsc",
	[TSMON_VM_COUNTER_NONE]	= "none",
};

static const char *const vm_time_type_names[] = {
	"utc", "tai", "monotonic",
};

static const char *const vm_leap_indicator_names[] = {
	"none", "pre_pos", "pre_neg", "pos", "post_pos", "post_neg",
};

const struct enum_names vm_clock_statuses = ENUM_NAMES(vm_clock_status_names);
const struct enum_names vm_counters = ENUM_NAMES(vm_counter_names);
const struct enum_names vm_time_types = ENUM_NAMES(vm_time_type_names);
const struct enum_names vm_leap_indicators =
	ENUM_NAMES(vm_leap_indicator_names);

static const char *enum_name(const char *const *names, size_t n, uint32_t v)
{
	return v < n && names[v] ? names[v] : "unknown";
}

const char *step_reason_name(uint32_t reason)
{
	return enum_name(step_reasons, ARRAY_SIZE(step_reasons), reason);
}

const char *leap_direction_name(uint32_t direction)
{
	return enum_name(leap_directions, ARRAY_SIZE(leap_directions),
			 direction);
}

static const char *phc_step_how_name(uint32_t how)
{
	return enum_name(phc_step_hows, ARRAY_SIZE(phc_step_hows), how);
}

const char *enum_name_of(const struct enum_names *names, uint32_t v)
{
	return v < names->n ? names->v[v] : NULL;
}

void print_enum(const struct out *o, const char *key, uint32_t v,
		const struct enum_names *names)
{
	const char *name = enum_name_of(names, v);

	if (o->j && name)
		json_string(o->j, key, name);
	else if (o->j)
		json_u64(o->j, key, v);
	else if (name)
		fputs(name, o->f);
	else
		fprintf(o->f, "%" PRIu32, v);
}

const char *ntp_state_name(uint32_t state)
{
	return state < ARRAY_SIZE(ntp_states) ? ntp_states[state].name :
	       "unknown";
}

const char *ntp_state_desc(uint32_t state)
{
	if (state == TSMON_NTP_STATE_UNKNOWN)
		return "no adjtimex call seen yet";
	return state < ARRAY_SIZE(ntp_states) ? ntp_states[state].desc :
	       "not a state this version knows";
}

/* The name of bit number bit of a word described by names. */
static const char *bit_label(const struct bit_names *names, unsigned int bit,
			     bool text, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < names->n; i++)
		if (names->v[i].bit == 1ULL << bit)
			return text && names->v[i].text ? names->v[i].text :
			       names->v[i].name;
	snprintf(buf, len, "bit%u", bit);
	return buf;
}

void print_bits(const struct out *o, const char *key, uint64_t v,
		const struct bit_names *names, const char *sep)
{
	const char *first = "";
	unsigned int bit;
	char buf[16];

	if (o->j)
		json_array_begin(o->j, key);
	for (bit = 0; bit < 64; bit++) {
		if (!(v & (1ULL << bit)))
			continue;
		if (o->j) {
			json_string(o->j, NULL, bit_label(names, bit, false,
							  buf, sizeof(buf)));
		} else {
			fprintf(o->f, "%s%s", first,
				bit_label(names, bit, true, buf, sizeof(buf)));
			first = sep;
		}
	}
	if (o->j)
		json_array_end(o->j);
	else if (!v)
		fputs("none", o->f);
}

/* " (+FLL -PLL)": the bits that changed from before to after, if any. */
static void print_bit_changes(FILE *f, uint32_t before, uint32_t after,
			      const struct bit_names *names)
{
	const char *sep = " (";
	unsigned int bit;
	char buf[16];

	for (bit = 0; bit < 32; bit++) {
		if (!((before ^ after) & (1U << bit)))
			continue;
		fprintf(f, "%s%c%s", sep, after & (1U << bit) ? '+' : '-',
			bit_label(names, bit, true, buf, sizeof(buf)));
		sep = " ";
	}
	if (before != after)
		fputc(')', f);
}

void name_copy(char *dst, const void *src, size_t size, bool printable)
{
	size_t len = size < NAME_LEN - 1 ? size : NAME_LEN - 1, i;

	memcpy(dst, src, len);
	dst[len] = '\0';
	if (!printable)
		return;
	for (i = 0; dst[i]; i++)
		if (dst[i] < 0x20 || dst[i] > 0x7e)
			dst[i] = '?';
}

/*
 * How a field is stored and shown. In text, a field prints as its label
 * immediately followed by the value, so the label carries the separator
 * ("delta=", "leap at ").
 */
enum field_kind {
	F_DELTA,	/* signed ns at off: "+0.5s (500000000 ns)" */
	F_REASON,	/* enum tsmon_step_reason at off */
	F_DIRECTION,	/* enum tsmon_leap_direction at off */
	F_LEAP_AT,	/* REALTIME ns at off, direction at off2 */
	F_TAI_PAIR,	/* signed seconds at off and off2: "37 -> 38" */
	F_NAME_PAIR,	/* char[16] at off and off2: "tsc -> hpet" */
	F_DURATION,	/* ns at off: "12.5s" */
	F_COUNT,	/* plain count at off */
	F_STA,		/* STA_* bits at off: "0x2041 [PLL UNSYNC NANO]" */
	F_STA_PAIR,	/* STA_* bits at off, off2: "PLL -> PLL,FLL (+FLL)" */
	F_ERROR,	/* NTP error estimate, ns at off: "16.000000s" */
	F_STATE_PAIR,	/* time_state at off and off2: "ok -> ins" */
	F_PHC,		/* PHC index at off: "ptp0" */
	F_PHC_HOW,	/* enum tsmon_phc_step_how at off */
	F_PHC_TIME,	/* PHC time in ns at off: "1798761637.000000000" */
	F_FREQ,		/* signed ppb at off, scaled ppm at off2 (JSON only) */
	F_U32,		/* plain 32-bit number at off */
	F_EXTTS,	/* extts time or signed offset at off, flags at off2 */
	F_NAME,		/* char[16] at off: "\"e1000e\"" */
	F_FLAG,		/* mask of the u32 at off: JSON bool, label if set */
	F_COUNT_PAIR,	/* plain 64-bit numbers at off and off2: "1 -> 2" */
	F_BYTE,		/* byte of the u32 at off (from bit shift), by enums */
	F_HEX,		/* 32-bit flag word at off: "0x107" */
};

struct field {
	enum field_kind kind;
	const char *key;	/* JSON key of the value at off */
	const char *key2;	/* JSON key of the value at off2, for pairs */
	const char *label;	/* text label, separator included */
	size_t off;
	size_t off2;
	/* F_STA, F_STA_PAIR: JSON keys of the bit names of off and off2 */
	const char *names_key;
	const char *names_key2;
	/* F_FLAG: the bit */
	uint32_t mask;
	/* F_BYTE: where the byte starts, and the names of its values */
	unsigned int shift;
	const struct enum_names *enums;
	/*
	 * When cond is set, the field means something only if the u32 at
	 * if_off is if_val: otherwise its key is null and no text is shown.
	 * The key stays, so every record of a type has the same keys.
	 */
	bool cond;
	size_t if_off;
	uint32_t if_val;
};

#define REC_OFF(member)	offsetof(struct tsmon_record, member)
#define FIELDS_MAX	8

/* ntp_sync and ntp_unsync carry the same payload (rec.ntp). */
#define NTP_SYNC_FIELDS \
	{ F_STA, "status", NULL, "status=", \
	  REC_OFF(ntp.status), 0, "status_flags" }, \
	{ F_ERROR, "maxerror_ns", NULL, "maxerror=", \
	  REC_OFF(ntp.maxerror_ns), 0 }, \
	{ F_ERROR, "esterror_ns", NULL, "esterror=", \
	  REC_OFF(ntp.esterror_ns), 0 }

static const struct field event_fields[][FIELDS_MAX] = {
	[TSMON_EVENT_CLOCK_STEP] = {
		{ F_DELTA, "delta_ns", NULL, "delta=",
		  REC_OFF(step.delta_ns), 0 },
		{ F_REASON, "reason", NULL, "reason=",
		  REC_OFF(step.reason), 0 },
	},
	[TSMON_EVENT_LEAP_ARMED] = {
		{ F_LEAP_AT, "leap_real_ns", NULL, "leap at ",
		  REC_OFF(leap.leap_real_ns), REC_OFF(leap.direction) },
		{ F_DIRECTION, "direction", NULL, "direction=",
		  REC_OFF(leap.direction), 0 },
	},
	[TSMON_EVENT_LEAP_DISARMED] = {
		{ F_LEAP_AT, "leap_real_ns", NULL, "leap at ",
		  REC_OFF(leap.leap_real_ns), REC_OFF(leap.direction) },
		{ F_DIRECTION, "direction", NULL, "direction=",
		  REC_OFF(leap.direction), 0 },
	},
	[TSMON_EVENT_LEAP_APPLIED] = {
		{ F_DIRECTION, "direction", NULL, "direction=",
		  REC_OFF(leap_applied.direction), 0 },
		{ F_TAI_PAIR, "tai_before", "tai_after", "tai ",
		  REC_OFF(leap_applied.tai_before),
		  REC_OFF(leap_applied.tai_after) },
	},
	[TSMON_EVENT_TAI_CHANGE] = {
		{ F_TAI_PAIR, "tai_before", "tai_after", "tai ",
		  REC_OFF(tai.tai_before), REC_OFF(tai.tai_after) },
	},
	[TSMON_EVENT_CLOCKSOURCE_CHANGE] = {
		{ F_NAME_PAIR, "from", "to", "clocksource ",
		  REC_OFF(cs.from), REC_OFF(cs.to) },
	},
	[TSMON_EVENT_RESUME] = {
		{ F_DURATION, "sleep_ns", NULL, "slept ",
		  REC_OFF(resume.sleep_ns), 0 },
	},
	[TSMON_EVENT_LOST] = {
		{ F_COUNT, "count", NULL, "count=",
		  REC_OFF(lost.count), 0 },
	},
	[TSMON_EVENT_NTP_SYNC] = { NTP_SYNC_FIELDS },
	[TSMON_EVENT_NTP_UNSYNC] = { NTP_SYNC_FIELDS },
	[TSMON_EVENT_NTP_MODE] = {
		{ F_STA_PAIR, "status_before", "status_after", "",
		  REC_OFF(ntp_mode.status_before),
		  REC_OFF(ntp_mode.status_after),
		  "flags_before", "flags_after" },
	},
	[TSMON_EVENT_NTP_STATE] = {
		{ F_STATE_PAIR, "state_before", "state_after", "",
		  REC_OFF(ntp_state.state_before),
		  REC_OFF(ntp_state.state_after) },
	},
	[TSMON_EVENT_PHC_STEP] = {
		{ F_PHC, "index", NULL, "", REC_OFF(phc_step.index), 0 },
		{ F_PHC_HOW, "how", NULL, "", REC_OFF(phc_step.how), 0 },
		{ F_DELTA, "delta_ns", NULL, "", REC_OFF(phc_step.delta_ns), 0,
		  .cond = true, .if_off = REC_OFF(phc_step.how),
		  .if_val = TSMON_PHC_SETOFFSET },
		{ F_PHC_TIME, "time_ns", NULL, "to ", REC_OFF(phc_step.time_ns),
		  0, .cond = true, .if_off = REC_OFF(phc_step.how),
		  .if_val = TSMON_PHC_SETTIME },
	},
	[TSMON_EVENT_PHC_FREQ] = {
		{ F_PHC, "index", NULL, "", REC_OFF(phc_freq.index), 0 },
		{ F_FREQ, "freq_ppb", "scaled_ppm", "",
		  REC_OFF(phc_freq.freq_ppb), REC_OFF(phc_freq.scaled_ppm) },
		{ F_COUNT, "suppressed", NULL, "suppressed=",
		  REC_OFF(phc_freq.suppressed), 0 },
	},
	[TSMON_EVENT_PHC_PHASE] = {
		{ F_PHC, "index", NULL, "", REC_OFF(phc_phase.index), 0 },
		{ F_DELTA, "offset_ns", NULL, "offset=",
		  REC_OFF(phc_phase.offset_ns), 0 },
	},
	[TSMON_EVENT_PHC_EXTTS] = {
		{ F_PHC, "index", NULL, "", REC_OFF(phc_extts.index), 0 },
		{ F_U32, "channel", NULL, "channel=",
		  REC_OFF(phc_extts.channel), 0 },
		{ F_EXTTS, "timestamp_ns", "offset", "",
		  REC_OFF(phc_extts.timestamp_ns), REC_OFF(phc_extts.flags) },
	},
	[TSMON_EVENT_PHC_PPS] = {
		{ F_PHC, "index", NULL, "", REC_OFF(phc_extts.index), 0 },
	},
	[TSMON_EVENT_PHC_ADD] = {
		{ F_PHC, "index", NULL, "", REC_OFF(phc.index), 0 },
		{ F_NAME, "name", NULL, "", REC_OFF(phc.name), 0 },
		{ F_FLAG, "at_load", NULL, "(present at load)",
		  REC_OFF(phc.flags), 0, .mask = TSMON_PHC_AT_LOAD },
	},
	[TSMON_EVENT_PHC_REMOVE] = {
		{ F_PHC, "index", NULL, "", REC_OFF(phc.index), 0 },
		{ F_NAME, "name", NULL, "", REC_OFF(phc.name), 0 },
		{ F_FLAG, "at_load", NULL, "(present at load)",
		  REC_OFF(phc.flags), 0, .mask = TSMON_PHC_AT_LOAD },
	},
	[TSMON_EVENT_VM_DISRUPTION] = {
		{ F_COUNT_PAIR, "marker_before", "marker_after", "marker ",
		  REC_OFF(vm.marker_before), REC_OFF(vm.marker_after) },
		{ F_BYTE, "clock_status", NULL, "clock_status=",
		  REC_OFF(vm.state), 0, .shift = 0,
		  .enums = &vm_clock_statuses },
		{ F_BYTE, "counter", NULL, "counter=",
		  REC_OFF(vm.state), 0, .shift = 8, .enums = &vm_counters },
		{ F_BYTE, "time_type", NULL, "time_type=",
		  REC_OFF(vm.state), 0, .shift = 16, .enums = &vm_time_types },
		{ F_BYTE, "leap_indicator", NULL, "leap_indicator=",
		  REC_OFF(vm.state), 0, .shift = 24,
		  .enums = &vm_leap_indicators },
		{ F_HEX, "flags", NULL, "flags=", REC_OFF(vm.flags), 0 },
		{ F_FLAG, "disruption_soon", NULL, "(disruption soon)",
		  REC_OFF(vm.flags), 0,
		  .mask = TSMON_VMCLOCK_DISRUPTION_SOON },
		{ F_FLAG, "disruption_imminent", NULL, "(disruption imminent)",
		  REC_OFF(vm.flags), 0,
		  .mask = TSMON_VMCLOCK_DISRUPTION_IMMINENT },
	},
};

static uint64_t rec_u64(const struct tsmon_record *rec, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)rec + off, sizeof(v));
	return v;
}

static uint32_t rec_u32(const struct tsmon_record *rec, size_t off)
{
	uint32_t v;

	memcpy(&v, (const char *)rec + off, sizeof(v));
	return v;
}

static void print_field(const struct out *o, const struct field *fd,
			const struct tsmon_record *rec)
{
	char a[FMT_LEN];
	struct json *j = o->j;
	int64_t s64;
	uint64_t u64;
	uint32_t u32;

	if (fd->cond && rec_u32(rec, fd->if_off) != fd->if_val) {
		if (j)
			json_null(j, fd->key);
		return;
	}
	if (fd->kind == F_FLAG) {
		u32 = rec_u32(rec, fd->off) & fd->mask;
		if (j)
			json_bool(j, fd->key, u32);
		else if (u32)
			fprintf(o->f, " %s", fd->label);
		return;
	}
	if (!j)
		fprintf(o->f, " %s", fd->label);

	switch (fd->kind) {
	case F_DELTA:
		s64 = (int64_t)rec_u64(rec, fd->off);
		if (j)
			json_s64(j, fd->key, s64);
		else
			fprintf(o->f, "%s (%" PRId64 " ns)",
				fmt_step(a, sizeof(a), s64), s64);
		break;
	case F_REASON:
	case F_DIRECTION:
		u32 = rec_u32(rec, fd->off);
		if (fd->kind == F_REASON)
			snprintf(a, sizeof(a), "%s", step_reason_name(u32));
		else
			snprintf(a, sizeof(a), "%s", leap_direction_name(u32));
		if (j)
			json_string(j, fd->key, a);
		else
			fputs(a, o->f);
		break;
	case F_LEAP_AT:
		u64 = rec_u64(rec, fd->off);
		if (j)
			json_u64(j, fd->key, u64);
		else
			fputs(fmt_leap(a, sizeof(a), u64,
				       rec_u32(rec, fd->off2)), o->f);
		break;
	case F_TAI_PAIR:
		if (j) {
			json_s64(j, fd->key, (int32_t)rec_u32(rec, fd->off));
			json_s64(j, fd->key2, (int32_t)rec_u32(rec, fd->off2));
		} else {
			fprintf(o->f, "%" PRId32 " -> %" PRId32,
				(int32_t)rec_u32(rec, fd->off),
				(int32_t)rec_u32(rec, fd->off2));
		}
		break;
	case F_NAME_PAIR: {
		char from[NAME_LEN], to[NAME_LEN];

		name_copy(from, (const char *)rec + fd->off,
			  TSMON_NAME_WORDS * 8, !j);
		name_copy(to, (const char *)rec + fd->off2,
			  TSMON_NAME_WORDS * 8, !j);
		if (j) {
			json_string(j, fd->key, from);
			json_string(j, fd->key2, to);
		} else {
			fprintf(o->f, "%s -> %s", from[0] ? from : "-",
				to[0] ? to : "-");
		}
		break;
	}
	case F_DURATION:
		u64 = rec_u64(rec, fd->off);
		if (j)
			json_u64(j, fd->key, u64);
		else
			fputs(fmt_secs(a, sizeof(a), u64), o->f);
		break;
	case F_COUNT:
		u64 = rec_u64(rec, fd->off);
		if (j)
			json_u64(j, fd->key, u64);
		else
			fprintf(o->f, "%" PRIu64, u64);
		break;
	case F_STA:
		u32 = rec_u32(rec, fd->off);
		if (j)
			json_u64(j, fd->key, u32);
		else
			fprintf(o->f, "0x%04" PRIx32 " [", u32);
		print_bits(o, fd->names_key, u32, &sta_bits, " ");
		if (!j)
			fputc(']', o->f);
		break;
	case F_STA_PAIR: {
		uint32_t before = rec_u32(rec, fd->off);
		uint32_t after = rec_u32(rec, fd->off2);

		if (j) {
			json_u64(j, fd->key, before);
			json_u64(j, fd->key2, after);
		}
		print_bits(o, fd->names_key, before, &sta_bits, ",");
		if (!j)
			fputs(" -> ", o->f);
		print_bits(o, fd->names_key2, after, &sta_bits, ",");
		if (!j)
			print_bit_changes(o->f, before, after, &sta_bits);
		break;
	}
	case F_ERROR:
		u64 = rec_u64(rec, fd->off);
		if (j)
			json_u64(j, fd->key, u64);
		else
			fputs(fmt_error(a, sizeof(a), u64), o->f);
		break;
	case F_STATE_PAIR:
		if (j) {
			json_string(j, fd->key,
				    ntp_state_name(rec_u32(rec, fd->off)));
			json_string(j, fd->key2,
				    ntp_state_name(rec_u32(rec, fd->off2)));
		} else {
			fprintf(o->f, "%s -> %s",
				ntp_state_name(rec_u32(rec, fd->off)),
				ntp_state_name(rec_u32(rec, fd->off2)));
		}
		break;
	case F_PHC:
		u32 = rec_u32(rec, fd->off);
		if (j)
			json_u64(j, fd->key, u32);
		else
			fprintf(o->f, "ptp%" PRIu32, u32);
		break;
	case F_PHC_HOW:
		u32 = rec_u32(rec, fd->off);
		if (j)
			json_string(j, fd->key, phc_step_how_name(u32));
		else
			fputs(phc_step_how_name(u32), o->f);
		break;
	case F_PHC_TIME:
		/* PHCs usually keep TAI: no UTC label would be right */
		u64 = rec_u64(rec, fd->off);
		if (j)
			json_u64(j, fd->key, u64);
		else
			fputs(fmt_mono(a, sizeof(a), u64), o->f);
		break;
	case F_FREQ:
		s64 = (int64_t)rec_u64(rec, fd->off);
		if (j) {
			json_s64(j, fd->key, s64);
			json_s64(j, fd->key2, (int64_t)rec_u64(rec, fd->off2));
		} else {
			fprintf(o->f, "%s ppm (%" PRId64 " ppb)",
				fmt_ppm_delta(a, sizeof(a), s64), s64);
		}
		break;
	case F_U32:
		u32 = rec_u32(rec, fd->off);
		if (j)
			json_u64(j, fd->key, u32);
		else
			fprintf(o->f, "%" PRIu32, u32);
		break;
	case F_EXTTS: {
		bool offset = rec_u32(rec, fd->off2) & TSMON_EXTTS_OFFSET;

		u64 = rec_u64(rec, fd->off);
		s64 = (int64_t)u64;
		if (j) {
			if (offset)
				json_s64(j, fd->key, s64);
			else
				json_u64(j, fd->key, u64);
			json_bool(j, fd->key2, offset);
		} else if (offset) {
			fprintf(o->f, "offset %s (%" PRId64 " ns)",
				fmt_step(a, sizeof(a), s64), s64);
		} else {
			fprintf(o->f, "at %s", fmt_mono(a, sizeof(a), u64));
		}
		break;
	}
	case F_NAME: {
		char name[NAME_LEN];

		name_copy(name, (const char *)rec + fd->off,
			  TSMON_NAME_WORDS * 8, !j);
		if (j)
			json_string(j, fd->key, name);
		else
			fprintf(o->f, "\"%s\"", name);
		break;
	}
	case F_COUNT_PAIR:
		if (j) {
			json_u64(j, fd->key, rec_u64(rec, fd->off));
			json_u64(j, fd->key2, rec_u64(rec, fd->off2));
		} else {
			fprintf(o->f, "%" PRIu64 " -> %" PRIu64,
				rec_u64(rec, fd->off), rec_u64(rec, fd->off2));
		}
		break;
	case F_BYTE:
		print_enum(o, fd->key, (rec_u32(rec, fd->off) >> fd->shift) &
			   0xff, fd->enums);
		break;
	case F_HEX:
		u32 = rec_u32(rec, fd->off);
		if (j)
			json_u64(j, fd->key, u32);
		else
			fprintf(o->f, "0x%" PRIx32, u32);
		break;
	case F_FLAG:
		/* printed above: its text has no label when the bit is clear */
		break;
	}
}

/*
 * Text columns: sequence, UTC time, monotonic seconds, type, fields. Lost
 * markers carry no time, so their time columns show "-".
 */
#define TYPE_WIDTH	18	/* strlen("clocksource_change") */

void print_record(const struct out *o, const struct tsmon_record *rec)
{
	const struct field *fields = NULL;
	char real[FMT_LEN], mono[FMT_LEN];
	const char *name;
	bool known;
	size_t i;

	known = tsmon_event_type_name(rec->type, &name) == 0;
	if (!known)
		name = "unknown";
	if (rec->type < ARRAY_SIZE(event_fields))
		fields = event_fields[rec->type];

	if (o->j) {
		json_object_begin(o->j, NULL);
		json_u64(o->j, "seq", rec->seq);
		json_string(o->j, "type", name);
		if (!known)
			json_u64(o->j, "type_id", rec->type);
		json_u64(o->j, "mono_ns", rec->mono_ns);
		json_u64(o->j, "real_ns", rec->real_ns);
	} else if (rec->type == TSMON_EVENT_LOST) {
		fprintf(o->f, "%8" PRIu64 "  %-30s  %18s  %-*s",
			(uint64_t)rec->seq, "-", "-", TYPE_WIDTH, name);
	} else {
		fprintf(o->f, "%8" PRIu64 "  %-30s  %18s  %-*s",
			(uint64_t)rec->seq,
			fmt_utc(real, sizeof(real), rec->real_ns),
			fmt_mono(mono, sizeof(mono), rec->mono_ns),
			TYPE_WIDTH, name);
	}

	/* unused slots of an entry are zero-filled: a NULL key ends it */
	for (i = 0; known && fields && i < FIELDS_MAX && fields[i].key; i++)
		print_field(o, &fields[i], rec);

	if (o->j) {
		json_object_end(o->j);
	} else {
		if (!known)
			fprintf(o->f, " type_id=%" PRIu32, rec->type);
		fputc('\n', o->f);
	}
}

bool record_wanted(uint64_t types, const struct tsmon_record *rec)
{
	if (!types || rec->type == TSMON_EVENT_LOST)
		return true;
	return rec->type < 64 && (types & (1ULL << rec->type));
}
