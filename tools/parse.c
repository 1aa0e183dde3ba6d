// SPDX-License-Identifier: GPL-2.0-only
/*
 * Option argument parsers. strtoull() alone would accept "-1" (as a huge
 * value), leading blanks and "0x1", none of which the options document.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
