// SPDX-License-Identifier: GPL-2.0-only
/*
 * Option argument parsers. strtoull() alone would accept "-1" (as a huge
 * value), leading blanks and "0x1", none of which the options document.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tsmon.h>

#include "fmt.h"
#include "parse.h"

int parse_u64(const char *s, uint64_t *v)
{
	unsigned long long n;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*v = n;
	return 0;
}

int parse_secs(const char *s, uint64_t *ns)
{
	char whole[32];
	const char *dot = strchr(s, '.');
	uint64_t secs, frac = 0, scale = NSEC_PER_SEC;
	size_t len = dot ? (size_t)(dot - s) : strlen(s);

	if (len == 0 || len >= sizeof(whole))
		return -EINVAL;
	memcpy(whole, s, len);
	whole[len] = '\0';
	if (parse_u64(whole, &secs) || secs > UINT64_MAX / NSEC_PER_SEC)
		return -EINVAL;
	if (dot) {
		/* "5." and ".5" are not in the documented form */
		if (!dot[1] || strlen(dot + 1) > 9)
			return -EINVAL;
		for (s = dot + 1; *s; s++) {
			if (*s < '0' || *s > '9')
				return -EINVAL;
			scale /= 10;
			frac += (uint64_t)(*s - '0') * scale;
		}
	}
	if (secs * NSEC_PER_SEC > UINT64_MAX - frac)
		return -EINVAL;
	*ns = secs * NSEC_PER_SEC + frac;
	return 0;
}

static void list_types(FILE *f)
{
	const char *name;
	uint32_t type;

	for (type = 0; type < TSMON_EVENT_TYPE_COUNT; type++)
		if (!tsmon_event_type_name(type, &name))
			fprintf(f, " %s", name);
	fputc('\n', f);
}

int parse_types(const char *cmd, const char *list, uint64_t *mask)
{
	const char *p = list, *comma;
	char name[32];
	uint32_t type;
	size_t len;

	*mask = 0;
	for (;;) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (len >= sizeof(name))
			len = sizeof(name) - 1;
		memcpy(name, p, len);
		name[len] = '\0';
		if (tsmon_event_type_from_name(name, &type) || type >= 64) {
			fprintf(stderr,
				"tsmon %s: unknown event type '%s'; valid:",
				cmd, name);
			list_types(stderr);
			return -EINVAL;
		}
		*mask |= 1ULL << type;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}
