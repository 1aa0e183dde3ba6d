/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Strict parsers for option arguments: the whole string must be a number
 * in the documented form, or the option is a usage error.
 */
#ifndef TSMON_TOOLS_PARSE_H
#define TSMON_TOOLS_PARSE_H

#include <stdint.h>

/* Decimal digits only. 0 or -EINVAL (also on overflow). */
int parse_u64(const char *s, uint64_t *v);

/*
 * Seconds as decimal digits with an optional fraction of at most nine
 * digits ("5", "0.25", "1.000000001"), converted exactly to nanoseconds.
 * 0 or -EINVAL (also on overflow).
 */
int parse_secs(const char *s, uint64_t *ns);

/*
 * A --type list, "clock_step,resume", to a bit per type. An unknown name
 * is reported on stderr as an error of `tsmon CMD`, with the valid names.
 * 0 or -EINVAL.
 */
int parse_types(const char *cmd, const char *list, uint64_t *mask);

#endif /* TSMON_TOOLS_PARSE_H */
