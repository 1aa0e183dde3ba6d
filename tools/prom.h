/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The health block in the Prometheus text exposition format (version
 * 0.0.4), for `tsmon status --prometheus` and `tsmon prometheus`.
 */
#ifndef TSMON_TOOLS_PROM_H
#define TSMON_TOOLS_PROM_H

#include <stdio.h>

#include "status.h"

/*
 * Write every metric of s to f. s is NULL when the region could not be
 * read: then only tsmon_up (0) and tsmon_info are written. device is the
 * path s was read from (NULL over netlink): when it is the module's
 * character device, its sysfs statistics are read too.
 */
void prom_write(FILE *f, const struct status *s, const char *device);

#endif /* TSMON_TOOLS_PROM_H */
