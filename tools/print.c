// SPDX-License-Identifier: GPL-2.0-only
/*
 * Ring record printing, driven by one table that describes the fields of
 * each event type for both output formats. Supporting a new event type
 * takes one entry in event_fields[] (and its name in libtsmon).
 */
#include <inttypes.h>
#include <string.h>

#include "fmt.h"
#include "print.h"

static const char *const step_reasons[] = {
	[TSMON_STEP_UNKNOWN]	= "unknown",
	[TSMON_STEP_SETTIME]	= "settime",
	[TSMON_STEP_SETOFFSET]	= "setoffset",
};

static const char *const leap_directions[] = {
	[TSMON_LEAP_INSERT]	= "insert",
	[TSMON_LEAP_DELETE]	= "delete",
};

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
};

struct field {
	enum field_kind kind;
	const char *key;	/* JSON key of the value at off */
	const char *key2;	/* JSON key of the value at off2, for pairs */
	const char *label;	/* text label, separator included */
	size_t off;
	size_t off2;
};

#define REC_OFF(member)	offsetof(struct tsmon_record, member)
#define FIELDS_MAX	3

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
