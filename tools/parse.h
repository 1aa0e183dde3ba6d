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
 * A --drift value: parts per billion from 0 to 1000000000 (100%), or
 * "kernel" for the kernel's 500 ppm. 0 or -EINVAL.
 */
int parse_drift(const char *s, uint64_t *ppb);
/* The same for the --drift option: a bad value is reported on stderr. */
int parse_drift_opt(const char *cmd, const char *arg, uint64_t *ppb);

/*
 * A duration: a decimal number with an optional fraction and a unit, ns,
 * us, ms, s, m (or min), h or d ("500us", "2ms", "1.5s", "10m", "1h");
 * a number without a unit is seconds. Converted exactly to nanoseconds:
 * a fraction finer than one nanosecond ("1.5ns") is refused. 0 or -EINVAL
 * (also on overflow).
 */
int parse_duration(const char *s, uint64_t *ns);
/*
 * The same for option opt of `tsmon CMD`: a bad value is reported on
 * stderr as an error of that command.
 */
int parse_duration_opt(const char *cmd, const char *opt, const char *arg,
		       uint64_t *ns);

/*
 * A --type list, "clock_step,resume", to a bit per type. An unknown name
 * is reported on stderr as an error of `tsmon CMD`, with the valid names.
 * 0 or -EINVAL.
 */
int parse_types(const char *cmd, const char *list, uint64_t *mask);

#endif /* TSMON_TOOLS_PARSE_H */
