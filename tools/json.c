// SPDX-License-Identifier: GPL-2.0-only
/*
 * Streaming JSON writer. Nesting is tracked only to place commas and the
 * final newline; the callers' structure is fixed, so misuse is a bug and
 * is caught by assert().
 */
#include <assert.h>
#include <inttypes.h>
#include <string.h>

#include "json.h"

void json_init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

void json_init_fields(struct json *j, json_field_fn fn, void *ctx)
{
	memset(j, 0, sizeof(*j));
	j->field = fn;
	j->ctx = ctx;
}

/*
 * Field mode: a scalar's text. Inside an array it joins the others, which
 * are handed over when the array ends; an element that does not fit is
 * dropped whole rather than cut.
 */
static void json_field(struct json *j, const char *key, const char *text)
{
	size_t len = strlen(text), room = JSON_ARRAY_LEN - j->array_len;

	if (!j->array_key) {
		j->field(j->ctx, key, text);
		return;
	}
	if (len + (j->array_len ? 1 : 0) >= room)
		return;
	if (j->array_len)
		j->array[j->array_len++] = ' ';
	memcpy(j->array + j->array_len, text, len + 1);
	j->array_len += len;
}

/*
 * Escape everything outside printable ASCII. Names come from the kernel and
 * are meant to be ASCII, but a byte >= 0x80 must not produce invalid UTF-8,
 * so it is written as the code point of the same value (Latin-1 reading).
 */
static void json_put_string(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20 || *p >= 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* Separator and key before a value at the current level. */
static void json_prefix(struct json *j, const char *key)
{
	if (j->sep[j->depth])
		fputc(',', j->f);
	j->sep[j->depth] = true;
	if (key) {
		json_put_string(j->f, key);
		fputc(':', j->f);
	}
}

/* A value just completed at the top level ends its line. */
static void json_value_done(struct json *j)
{
	if (j->depth == 0) {
		fputc('\n', j->f);
		j->sep[0] = false;
	}
}

static void json_open(struct json *j, const char *key, char c)
{
	assert(j->depth < JSON_MAX_DEPTH);
	if (j->field) {
		/* arrays hold scalars only in the output this mode serves */
		assert(!j->array_key);
		if (c == '[') {
			j->array_key = key;
			j->array_len = 0;
			j->array[0] = '\0';
		}
		j->depth++;
		return;
	}
	json_prefix(j, key);
	fputc(c, j->f);
	j->sep[++j->depth] = false;
}

static void json_close(struct json *j, char c)
{
	assert(j->depth > 0);
	j->depth--;
	if (j->field) {
		if (c == ']') {
			j->field(j->ctx, j->array_key, j->array);
			j->array_key = NULL;
		}
		return;
	}
	fputc(c, j->f);
	json_value_done(j);
}

void json_object_begin(struct json *j, const char *key)
{
	json_open(j, key, '{');
}

void json_object_end(struct json *j)
{
	json_close(j, '}');
}

void json_array_begin(struct json *j, const char *key)
{
	json_open(j, key, '[');
}

void json_array_end(struct json *j)
{
	json_close(j, ']');
}

void json_u64(struct json *j, const char *key, uint64_t v)
{
	char buf[24];

	if (j->field) {
		snprintf(buf, sizeof(buf), "%" PRIu64, v);
		json_field(j, key, buf);
		return;
	}
	json_prefix(j, key);
	fprintf(j->f, "%" PRIu64, v);
	json_value_done(j);
}

void json_s64(struct json *j, const char *key, int64_t v)
{
	char buf[24];

	if (j->field) {
		snprintf(buf, sizeof(buf), "%" PRId64, v);
		json_field(j, key, buf);
		return;
	}
	json_prefix(j, key);
	fprintf(j->f, "%" PRId64, v);
	json_value_done(j);
}

void json_string(struct json *j, const char *key, const char *s)
{
	if (j->field) {
		json_field(j, key, s);
		return;
	}
	json_prefix(j, key);
	json_put_string(j->f, s);
	json_value_done(j);
}

void json_bool(struct json *j, const char *key, bool v)
{
	if (j->field) {
		json_field(j, key, v ? "true" : "false");
		return;
	}
	json_prefix(j, key);
	fputs(v ? "true" : "false", j->f);
	json_value_done(j);
}

void json_null(struct json *j, const char *key)
{
	if (j->field)
		return;
	json_prefix(j, key);
	fputs("null", j->f);
	json_value_done(j);
}

void json_u64_or_null(struct json *j, const char *key, bool known, uint64_t v)
{
	if (known)
		json_u64(j, key, v);
	else
		json_null(j, key);
}
