// SPDX-License-Identifier: GPL-2.0-only
/*
 * Option argument parsers. strtoull() alone would accept "-1" (as a huge
 * value), leading blanks and "0x1", none of which the options document.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tsmon/tsmon.h>

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

/* 100%: the largest drift tsmon_set_drift() takes */
#define DRIFT_MAX_PPB	1000000000ULL

int parse_drift(const char *s, uint64_t *ppb)
{
	if (!strcmp(s, "kernel")) {
		*ppb = TSMON_DRIFT_KERNEL_PPB;
		return 0;
	}
	if (parse_u64(s, ppb) || *ppb > DRIFT_MAX_PPB)
		return -EINVAL;
	return 0;
}

int parse_drift_opt(const char *cmd, const char *arg, uint64_t *ppb)
{
	if (!parse_drift(arg, ppb))
		return 0;
	fprintf(stderr, "tsmon %s: --drift needs parts per billion from 0 to "
		"1000000000 or 'kernel', not '%s'\n", cmd, arg);
	return -EINVAL;
}

static const struct {
	const char *name;
	uint64_t ns;
} duration_units[] = {
	{ "ns",		1 },
	{ "us",		1000 },
	{ "ms",		1000000 },
	{ "s",		NSEC_PER_SEC },
	{ "",		NSEC_PER_SEC },
	{ "m",		60 * NSEC_PER_SEC },
	{ "min",	60 * NSEC_PER_SEC },
	{ "h",		3600 * NSEC_PER_SEC },
	{ "d",		86400 * NSEC_PER_SEC },
};

int parse_duration(const char *s, uint64_t *ns)
{
	const char *p = s, *unit;
	uint64_t whole = 0, frac = 0, scale = 1, mult = 0, v;
	size_t i;

	/* digits, then at most one point followed by digits */
	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (whole > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -EINVAL;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return -EINVAL;
		for (p++; *p >= '0' && *p <= '9'; p++) {
			/* 19 digits: more than any unit can resolve */
			if (scale >= 1000000000000000000ULL)
				return -EINVAL;
			frac = frac * 10 + (uint64_t)(*p - '0');
			scale *= 10;
		}
	}
	unit = p;
	for (i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++)
		if (!strcmp(unit, duration_units[i].name))
			mult = duration_units[i].ns;
	if (!mult)
		return -EINVAL;
	if (whole > UINT64_MAX / mult)
		return -EINVAL;
	v = whole * mult;
	if (frac) {
		/* frac / scale of a unit must be whole nanoseconds */
		if ((unsigned __int128)frac * mult % scale)
			return -EINVAL;
		frac = (uint64_t)((unsigned __int128)frac * mult / scale);
		if (v > UINT64_MAX - frac)
			return -EINVAL;
		v += frac;
	}
	*ns = v;
	return 0;
}

int parse_duration_opt(const char *cmd, const char *opt, const char *arg,
		       uint64_t *ns)
{
	if (!parse_duration(arg, ns))
		return 0;
	fprintf(stderr, "tsmon %s: %s needs a duration (such as 500us, 2ms, "
		"1.5s, 10m or 1h), not '%s'\n", cmd, opt, arg);
	return -EINVAL;
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
