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

#include <tsmon.h>

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

/*
 * Copy a NUL-padded name of size bytes (at most NAME_LEN - 1) from the ABI
 * into a C string. For text output, bytes a terminal could interpret are
 * replaced by '?'; JSON keeps them and escapes them instead.
 */
void name_copy(char *dst, const void *src, size_t size, bool printable);

/* One ring record (or lost marker): a text line or an NDJSON object. */
void print_record(const struct out *o, const struct tsmon_record *rec);

#endif /* TSMON_TOOLS_PRINT_H */
