/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The health block as the commands that report on it read it: status,
 * check and the Prometheus exposition all start from one struct status,
 * filled the same way from the mapped region or from netlink.
 */
#ifndef TSMON_TOOLS_STATUS_H
#define TSMON_TOOLS_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include <tsmon/tsmon.h>

#include "cli.h"
#include "print.h"

struct status {
	bool netlink;		/* read through the netlink family */
	struct tsmon_info info;	/* over netlink: no load times, no sizes */
	struct tsmon_health h;
	uint64_t head;
	/* netlink only: the PHC frequency record limits */
	uint32_t phc_freq_threshold_ppb;
	uint32_t phc_freq_interval_ms;
	uint64_t now_real;	/* CLOCK_REALTIME when the block was read */
	uint64_t now_mono;	/* CLOCK_MONOTONIC of the bounded read */
	struct tsmon_time time;	/* the bounded read, tsmon_now() */
	uint64_t drift_ppb;	/* the clock model it used */
	uint64_t cooldown_ns;
};

/* The clock model's defaults, the same as libtsmon's. */
#define STATUS_INIT { \
	.drift_ppb = TSMON_DRIFT_DEFAULT_PPB, \
	.cooldown_ns = TSMON_COOLDOWN_DEFAULT_NS, \
}

/* TSMON_HOOK_* bits by name ("timekeeper", "adjtimex", ...). */
extern const struct bit_names hook_bits;
/* struct tsmon_time.flags by name ("no_hook", "stale", ...). */
extern const struct bit_names time_flag_bits;
/* TSMON_SYNC_* by name ("zero_maxerror", "budget", "pll_offset"). */
extern const struct bit_names sync_flag_bits;

/* enum tsmon_clock_status: "synchronized" (JSON) and "SYNCHRONIZED". */
const char *clock_status_name(uint32_t status);
const char *clock_status_text(uint32_t status);

/* enum tsmon_vm_state: "none", "active", "invalid", "disabled", or NULL. */
const char *vm_state_name(uint32_t state);

/*
 * Whether the module that filled s->h has the VMClock fields: an older one
 * has a shorter block, read as zeros, whose vm_state would claim "none".
 */
bool status_has_vm(const struct status *s);

/* Whether the module counts its probes' misses in the health block. */
bool status_has_probe_misses(const struct status *s);

/*
 * Fill s from an open region: header facts, health block, head and a
 * bounded clock read with s's drift and cooldown. Failures are reported on
 * stderr as errors of `tsmon CMD`; returns 0 or a negative errno.
 */
int status_read(struct tsmon *t, const char *cmd, struct status *s);
/* The same from cli->device, opened and closed here. */
int status_read_device(const struct cli *cli, const char *cmd,
		       struct status *s);
/* The same from the module's generic netlink family. */
int status_read_netlink(const char *cmd, struct status *s);

#endif /* TSMON_TOOLS_STATUS_H */
