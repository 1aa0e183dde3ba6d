/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Minimal streaming JSON writer for tsmon's machine-readable output.
 *
 * Values are written as they come, on one line: a top-level value ends with
 * a newline so that a sequence of them is NDJSON. Inside an object every
 * value takes a key; inside an array and at the top level the key is NULL.
 */
#ifndef TSMON_TOOLS_JSON_H
#define TSMON_TOOLS_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH	8

struct json {
	FILE *f;
	unsigned int depth;
	/* a value was already written at this nesting level: comma needed */
	bool sep[JSON_MAX_DEPTH + 1];
};

void json_init(struct json *j, FILE *f);

void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);

void json_u64(struct json *j, const char *key, uint64_t v);
void json_s64(struct json *j, const char *key, int64_t v);
void json_string(struct json *j, const char *key, const char *s);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);

#endif /* TSMON_TOOLS_JSON_H */
