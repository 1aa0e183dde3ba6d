// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reading the health block for the commands that report on it, from the
 * mapped region or over netlink, and the names of what it holds.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "status.h"

static const struct bit_name hook_names[] = {
	{ .bit = TSMON_HOOK_TIMEKEEPER,	.name = "timekeeper" },
	{ .bit = TSMON_HOOK_ADJTIMEX,	.name = "adjtimex" },
	{ .bit = TSMON_HOOK_SETTIME,	.name = "settime" },
	{ .bit = TSMON_HOOK_PHC_ADJ,	.name = "phc_adj" },
	{ .bit = TSMON_HOOK_PHC_EVENT,	.name = "phc_event" },
	{ .bit = TSMON_HOOK_PHC_LIFE,	.name = "phc_life" },
};

const struct bit_names hook_bits = BIT_NAMES(hook_names);

/* Why the bounded clock has its status (struct tsmon_time.flags). */
static const struct bit_name time_flag_names[] = {
	{ .bit = TSMON_TIME_NO_HOOK,	.name = "no_hook",
	  .text = "no hook" },
	{ .bit = TSMON_TIME_NO_CAPTURE,	.name = "no_capture",
	  .text = "no capture" },
	{ .bit = TSMON_TIME_NO_SYNC,	.name = "no_sync",
	  .text = "no sync update" },
	{ .bit = TSMON_TIME_UNSYNC,	.name = "unsync",
	  .text = "unsynchronised" },
	{ .bit = TSMON_TIME_STALE,	.name = "stale" },
	{ .bit = TSMON_TIME_COOLDOWN,	.name = "cooldown" },
	{ .bit = TSMON_TIME_UNBOUNDED,	.name = "unbounded" },
	{ .bit = TSMON_TIME_HELD,	.name = "held" },
	{ .bit = TSMON_TIME_NO_ERROR,	.name = "no_error",
	  .text = "source asserted no error" },
	{ .bit = TSMON_TIME_LEAP_EDGE,	.name = "leap_edge",
	  .text = "leap second due, not yet applied" },
};

const struct bit_names time_flag_bits = BIT_NAMES(time_flag_names);

/* What the last sync update's error is made of (health.sync_flags). */
static const struct bit_name sync_flag_names[] = {
	{ .bit = TSMON_SYNC_ZERO_MAXERROR,	.name = "zero_maxerror" },
	{ .bit = TSMON_SYNC_BUDGET,		.name = "budget" },
	{ .bit = TSMON_SYNC_PLL_OFFSET,		.name = "pll_offset" },
	{ .bit = TSMON_SYNC_SETTLING,		.name = "settling" },
	{ .bit = TSMON_SYNC_STEP_RESIDUAL,	.name = "step_residual" },
};

const struct bit_names sync_flag_bits = BIT_NAMES(sync_flag_names);

static const struct {
	const char *name;	/* JSON */
	const char *text;
} clock_statuses[] = {
	[TSMON_CLOCK_UNKNOWN]	   = { "unknown",	"UNKNOWN" },
	[TSMON_CLOCK_SYNCHRONIZED] = { "synchronized",	"SYNCHRONIZED" },
	[TSMON_CLOCK_FREE_RUNNING] = { "free_running",	"FREE_RUNNING" },
	[TSMON_CLOCK_DISRUPTED]	   = { "disrupted",	"DISRUPTED" },
};

const char *clock_status_name(uint32_t status)
{
	return status < ARRAY_SIZE(clock_statuses) ?
	       clock_statuses[status].name : NULL;
}

const char *clock_status_text(uint32_t status)
{
	return status < ARRAY_SIZE(clock_statuses) ?
	       clock_statuses[status].text : NULL;
}

static const char *const vm_states[] = {
	[TSMON_VM_NONE]		= "none",
	[TSMON_VM_ACTIVE]	= "active",
	[TSMON_VM_INVALID]	= "invalid",
	[TSMON_VM_DISABLED]	= "disabled",
};

const char *vm_state_name(uint32_t state)
{
	return state < ARRAY_SIZE(vm_states) ? vm_states[state] : NULL;
}

/*
 * The VMClock fields were appended together: a block that reaches past
 * the first holds them all. Over netlink, health_size is the length of the
 * block the module sent.
 */
bool status_has_vm(const struct status *s)
{
	return s->info.health_size > offsetof(struct tsmon_health, vm_state);
}

bool status_has_probe_misses(const struct status *s)
{
	return s->info.health_size > offsetof(struct tsmon_health, ntp_lost);
}

/*
 * The bounded clock, and the instant every elapsed time shown refers to:
 * that of the clock read.
 */
static int read_clock(struct tsmon *t, const char *cmd, struct status *s)
{
	int ret;

	ret = tsmon_set_drift(t, s->drift_ppb);
	if (!ret)
		ret = tsmon_set_cooldown(t, s->cooldown_ns);
	if (ret) {
		cli_error(cmd, "cannot set the clock model", ret);
		return ret;
	}
	ret = tsmon_now(t, &s->time);
	if (ret) {
		cli_error(cmd, "cannot read the bounded clock", ret);
		return ret;
	}
	s->now_mono = s->time.mono_ns;
	s->now_real = clock_ns(CLOCK_REALTIME);
	return 0;
}

int status_read(struct tsmon *t, const char *cmd, struct status *s)
{
	int ret;

	ret = tsmon_get_info(t, &s->info);
	if (ret) {
		cli_error(cmd, "cannot read the region header", ret);
		return ret;
	}
	/*
	 * -EAGAIN: clock events kept the block busy through the library's
	 * retries (an event storm). Each burst is short: back off and read
	 * again, for a second at most, rather than fail a status query.
	 */
	for (int i = 0; i < 1000; i++) {
		const struct timespec ms = { .tv_nsec = 1000000 };

		ret = tsmon_health(t, &s->h);
		if (ret != -EAGAIN)
			break;
		nanosleep(&ms, NULL);
	}
	if (ret) {
		cli_error(cmd, "cannot read the health block", ret);
		return ret;
	}
	ret = tsmon_head(t, &s->head);
	if (ret) {
		cli_error(cmd, "cannot read the ring head", ret);
		return ret;
	}
	return read_clock(t, cmd, s);
}

int status_read_device(const struct cli *cli, const char *cmd,
		       struct status *s)
{
	struct tsmon *t;
	int ret;

	ret = cli_open(cli, &t);
	if (ret)
		return ret;
	ret = status_read(t, cmd, s);
	tsmon_close(t);
	return ret;
}

/*
 * A region holding nothing but a copy of a health block: libtsmon works
 * out the bounded clock from a region, and this lets it do so for the
 * block a netlink reply carried, with the same code as for the device.
 */
struct snapshot {
	struct tsmon_header hdr;
	struct tsmon_health health;
	unsigned char ring[TSMON_RECORD_SIZE_V1];
};

static int read_snapshot_clock(const char *cmd, struct status *s)
{
	struct snapshot snap;
	struct tsmon *t;
	int ret;

	memset(&snap, 0, sizeof(snap));
	snap.hdr.magic = TSMON_MAGIC;
	snap.hdr.abi_version = TSMON_ABI_VERSION;
	snap.hdr.header_size = sizeof(snap.hdr);
	snap.hdr.region_size = sizeof(snap);
	snap.hdr.health_offset = offsetof(struct snapshot, health);
	snap.hdr.health_size = sizeof(snap.health);
	snap.hdr.ring_offset = offsetof(struct snapshot, ring);
	snap.hdr.record_size = sizeof(snap.ring);
	snap.hdr.ring_entries = 1;
	snap.hdr.instance_id = s->info.instance_id;
	snap.health = s->h;
	/* the module copied the block under its writer lock: it is stable */
	snap.health.seq = 0;

	ret = tsmon_attach(&snap, sizeof(snap), &t);
	if (ret) {
		cli_error(cmd, "cannot evaluate the health block", ret);
		return ret;
	}
	ret = read_clock(t, cmd, s);
	tsmon_close(t);
	return ret;
}

int status_read_netlink(const char *cmd, struct status *s)
{
	struct tsmon_nl_status st;
	struct tsmon_sub *sub;
	int ret;

	ret = cli_sub_open(&sub);
	if (ret)
		return ret;
	ret = tsmon_sub_status(sub, &st, &s->h);
	tsmon_sub_close(sub);
	if (ret) {
		cli_sub_error(cmd, "cannot get the status over netlink", ret);
		return ret;
	}
	s->netlink = true;
	memset(&s->info, 0, sizeof(s->info));
	s->info.abi_version = st.abi_version;
	s->info.instance_id = st.instance_id;
	s->info.ring_entries = st.ring_entries;
	s->info.record_size = st.record_size;
	s->info.health_size = st.health_size;
	s->head = st.head;
	s->phc_freq_threshold_ppb = st.phc_freq_threshold_ppb;
	s->phc_freq_interval_ms = st.phc_freq_interval_ms;
	return read_snapshot_clock(cmd, s);
}
