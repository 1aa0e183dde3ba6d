// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_noprobes - tsmon without its kprobe-based hooks.
 *
 * Loaded with probes=0 (as on a kernel where kprobes are unavailable, or a
 * fleet that forbids them) tsmon must still load, record what the
 * timekeeping notifier alone sees, say which hooks are missing (health
 * block and sysfs), and its bounded clock must answer UNKNOWN rather than
 * guess. The module is reloaded with its defaults at the end.
 */
#include "tsmon_selftest.h"

#define HOOKS_FILE	"/sys/class/misc/tsmon/stats/hooks"

static struct tsmon *t;

static bool case_hooks(void)
{
	struct tsmon_health h;
	char line[64];
	bool ok;

	if (!read_health(t, &h))
		return false;
	ok = h.hooks == TSMON_HOOK_TIMEKEEPER;
	if (!ok)
		ksft_print_msg("hooks 0x%x, want timekeeper only\n", h.hooks);
	/* The first lines of the stats file name each hook and its state. */
	if (!read_sysfs_line(HOOKS_FILE, line, sizeof(line)) ||
	    strcmp(line, "timekeeper active")) {
		ksft_print_msg("%s starts with '%s'\n", HOOKS_FILE, line);
		ok = false;
	}
	return ok && h.ntp_state == TSMON_NTP_STATE_UNKNOWN;
}

/* adjtimex calls are not captured: the NTP state stays unknown. */
static bool case_no_capture(void)
{
	struct tsmon_health h;
	struct timex tx;

	if (ntp_read(&tx) < 0 || !read_health(t, &h))
		return false;
	if (h.ntp_captures || h.ntp_state != TSMON_NTP_STATE_UNKNOWN) {
		ksft_print_msg("captures %" PRIu64 ", state 0x%x\n",
			       (uint64_t)h.ntp_captures, h.ntp_state);
		return false;
	}
	return true;
}

static bool case_unknown_clock(void)
{
	struct tsmon_time now;
	int err = tsmon_now(t, &now);

	if (err) {
		ksft_print_msg("tsmon_now: %s\n", strerror(-err));
		return false;
	}
	if (now.status != TSMON_CLOCK_UNKNOWN ||
	    !(now.flags & TSMON_TIME_NO_HOOK)) {
		ksft_print_msg("status %u flags 0x%x\n", now.status, now.flags);
		return false;
	}
	return tsmon_one_way_valid(t, UINT64_MAX, NULL) == 0;
}

/* The notifier alone still records a step exactly; why is unknown. */
static bool case_step(void)
{
	struct tsmon_cursor c;
	struct tsmon_record r;
	bool ok;

	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	if (clock_step_ns(-250000000))
		return false;
	if (wait_record(t, &c, 2000, &r)) {
		clock_step_ns(250000000);
		ksft_print_msg("no record for the step\n");
		return false;
	}
	ok = r.type == TSMON_EVENT_CLOCK_STEP &&
	     (int64_t)r.step.delta_ns == -250000000 &&
	     r.step.reason == TSMON_STEP_UNKNOWN;
	if (!ok)
		print_record("record", &r);
	if (clock_step_ns(250000000))
		return false;
	return ok;
}

int main(void)
{
	int err;

	selftest_start(5);
	if (module_loaded() && module_unload())
		ksft_exit_fail_msg("cannot unload tsmon\n");
	err = module_load("probes=0");
	if (err)
		ksft_exit_fail_msg("insmod probes=0: %s\n", strerror(-err));
	ksft_test_result(dev_node_present(true), "loads with probes=0\n");
	t = open_or_bail();

	ksft_test_result(case_hooks(), "only the timekeeper hook, said so\n");
	ksft_test_result(case_no_capture(), "adjtimex not captured\n");
	ksft_test_result(case_unknown_clock(),
			 "bounded clock UNKNOWN (no hook), not one-way valid\n");
	ksft_test_result(case_step(),
			 "a step is still recorded exactly, reason unknown\n");

	tsmon_close(t);
	if (module_reload_default())
		ksft_exit_fail_msg("cannot reload tsmon with its defaults\n");
	ksft_finished();
}
