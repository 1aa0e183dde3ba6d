/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One output path for text and JSON: a struct out says which one is wanted,
 * and every printer takes it, so the two formats cannot drift apart.
 */
#ifndef TSMON_TOOLS_PRINT_H
#define TSMON_TOOLS_PRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <tsmon/tsmon.h>

#include "json.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

struct out {
	FILE *f;
	struct json *j;		/* NULL for text output */
};

/* Room for any name in the ABI plus its terminating NUL. */
#define NAME_LEN	(TSMON_CS_NAME_WORDS * 8 + 1)

const char *step_reason_name(uint32_t reason);
const char *leap_direction_name(uint32_t direction);
/* The kernel's time_state: "ok", "ins", "del", "oop", "wait", "unknown". */
const char *ntp_state_name(uint32_t state);
/* What that state means, for text output. */
const char *ntp_state_desc(uint32_t state);

/* Names of the bits of a flag word, listed in bit order. */
struct bit_name {
	uint32_t bit;
	const char *name;	/* JSON, and text unless .text is set */
	const char *text;	/* text, when it reads better than .name */
};

struct bit_names {
	const struct bit_name *v;
	size_t n;
};

#define BIT_NAMES(a)	{ (a), ARRAY_SIZE(a) }

/* STA_* bits, named without the prefix: for status and ring records. */
extern const struct bit_names sta_bits;
/* ADJ_* modes of an adjtimex(2) call, named without the prefix. */
extern const struct bit_names adj_bits;
/* The VMClock page's flags (TSMON_VMCLOCK_* and the bits beside them). */
extern const struct bit_names vmclock_bits;
/*
 * A VMClock flag the tsmon ABI does not name, by its bit number in the
 * page (<linux/vmclock-abi.h>): the page's time_esterror is valid.
 */
#define VMCLOCK_TIME_ESTERROR_VALID	(1U << 5)

/* Names of the values of a small number, indexed by value. */
struct enum_names {
	const char *const *v;
	size_t n;
};

#define ENUM_NAMES(a)	{ (a), ARRAY_SIZE(a) }

/*
 * The one-byte fields of a VMClock page (TSMON_VM_CLOCK_STATUS() ...):
 * clock status "synchronized", counter "tsc", time type "utc", leap
 * indicator "pre_pos" and so on.
 */
extern const struct enum_names vm_clock_statuses;
extern const struct enum_names vm_counters;
extern const struct enum_names vm_time_types;
extern const struct enum_names vm_leap_indicators;

/* The name of v, or NULL when names has none for it. */
const char *enum_name_of(const struct enum_names *names, uint32_t v);

/*
 * v by its name: a JSON string under key, or its text; a value without a
 * name is written as the number (in JSON too), so nothing is lost.
 */
void print_enum(const struct out *o, const char *key, uint32_t v,
		const struct enum_names *names);

/*
 * The set bits of v: in JSON an array under key, in text their names
 * joined by sep, or "none". A bit without a name is "bitN".
 */
void print_bits(const struct out *o, const char *key, uint64_t v,
		const struct bit_names *names, const char *sep);

/*
 * Copy a NUL-padded name of size bytes (at most NAME_LEN - 1) from the ABI
 * into a C string. For text output, bytes a terminal could interpret are
 * replaced by '?'; JSON keeps them and escapes them instead.
 */
void name_copy(char *dst, const void *src, size_t size, bool printable);

/*
 * One ring record (or lost marker): a text line or an NDJSON object. Every
 * command that prints records goes through here, so `tsmon ring` and
 * `tsmon events` share one schema.
 */
void print_record(const struct out *o, const struct tsmon_record *rec);

/*
 * Whether a --type filter (a bit per type, 0 for all) lets rec through;
 * lost markers always pass, so a gap is never hidden.
 */
bool record_wanted(uint64_t types, const struct tsmon_record *rec);

#endif /* TSMON_TOOLS_PRINT_H */
