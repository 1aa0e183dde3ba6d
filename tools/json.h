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
#define JSON_ARRAY_LEN	256

/* Field mode: one call per key with its value as text. */
typedef void (*json_field_fn)(void *ctx, const char *key, const char *value);

struct json {
	FILE *f;
	unsigned int depth;
	/* a value was already written at this nesting level: comma needed */
	bool sep[JSON_MAX_DEPTH + 1];
	/* field mode (f is NULL) */
	json_field_fn field;
	void *ctx;
	const char *array_key;	/* the array being collected, if any */
	char array[JSON_ARRAY_LEN];
	size_t array_len;
};

void json_init(struct json *j, FILE *f);
/*
 * Field mode: instead of JSON text, every scalar value goes to fn as
 * (key, text), the way the JSON output would show it (strings unquoted
 * and unescaped). Objects only group; an array of scalars becomes one
 * value of its elements joined by a space; null values are left out.
 * For writers of flat KEY=VALUE formats from the same printers as JSON.
 */
void json_init_fields(struct json *j, json_field_fn fn, void *ctx);

void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);

void json_u64(struct json *j, const char *key, uint64_t v);
void json_s64(struct json *j, const char *key, int64_t v);
void json_string(struct json *j, const char *key, const char *s);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
/* v, or null when it is not known. */
void json_u64_or_null(struct json *j, const char *key, bool known, uint64_t v);

#endif /* TSMON_TOOLS_JSON_H */
