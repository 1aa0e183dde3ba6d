// SPDX-License-Identifier: GPL-2.0
/*
 * tsmon: timekeeping event monitor.
 *
 * Records clock steps, leap seconds, TAI changes, clocksource changes and
 * resumes at the instant the timekeeper applies them, in a ring and a health
 * block that any process maps read-only from /dev/tsmon.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "tsmon_compat.h"
#include "tsmon_private.h"

struct tsmon_dev tsmon = {
	.lock = __RAW_SPIN_LOCK_UNLOCKED(tsmon.lock),
};

static unsigned int ring_entries = TSMON_RING_DEFAULT;
module_param(ring_entries, uint, 0444);
MODULE_PARM_DESC(ring_entries,
		 "event ring size in records, a power of two from 64 to 1048576 (default 4096)");

static bool probes = true;
module_param(probes, bool, 0444);
MODULE_PARM_DESC(probes,
		 "attach the kprobe-based hooks: NTP state, step reasons, PHC events (default 1; 0 keeps tsmon to the timekeeping notifier)");

static void tsmon_publish_hooks(struct tsmon_dev *d)
{
	unsigned long flags = tsmon_write_begin(d);

	d->health->hooks = tsmon_hooks_visible(d);
	tsmon_write_end(d, flags);
}

static int __init tsmon_init(void)
{
	struct tsmon_dev *d = &tsmon;
	int ret;

	if (!is_power_of_2(ring_entries) || ring_entries < TSMON_RING_MIN ||
	    ring_entries > TSMON_RING_MAX) {
		pr_err("ring_entries=%u: must be a power of two from %u to %u\n",
		       ring_entries, TSMON_RING_MIN, TSMON_RING_MAX);
		return -EINVAL;
	}

	ret = tsmon_region_alloc(d, ring_entries);
	if (ret)
		return ret;
	tsmon_wake_init(d);
	tsmon_ntp_init(d);

	/* Before the timekeeping hook, whose ticks check the page. */
	tsmon_vmclock_attach(d);
	/* Probes first: the timekeeper baseline then sees their marks. */
	if (probes) {
		tsmon_ntp_attach(d);
		tsmon_step_attach(d);
	}
	ret = tsmon_tk_attach(d);
	if (ret) {
		pr_err("cannot register the timekeeping hook: %d\n", ret);
		goto err_detach_probes;
	}
	if (probes)
		tsmon_phc_attach(d);
	tsmon_publish_hooks(d);

	ret = tsmon_netlink_register(d);
	if (ret) {
		pr_err("cannot register the tsmon netlink family: %d\n", ret);
		goto err_detach_hooks;
	}

	/* Last: once a process can open or map it, init must not fail. */
	ret = tsmon_chardev_register(d);
	if (ret) {
		pr_err("cannot register /dev/tsmon: %d\n", ret);
		goto err_unregister_netlink;
	}

	pr_info("ring %u records, hooks: timekeeper%s%s%s%s%s\n", ring_entries,
		tsmon_hooks_visible(d) & TSMON_HOOK_ADJTIMEX ? " ntp" : "",
		d->hooks & TSMON_HOOK_SETTIME ? " settime" : "",
		d->hooks & TSMON_HOOK_PHC_ADJ ? " phc-adj" : "",
		d->hooks & TSMON_HOOK_PHC_EVENT ? " phc-event" : "",
		d->hooks & TSMON_HOOK_PHC_LIFE ? " phc-life" : "");
	return 0;

err_unregister_netlink:
	tsmon_netlink_unregister(d);
err_detach_hooks:
	tsmon_phc_detach(d);
	tsmon_tk_detach(d);
err_detach_probes:
	tsmon_step_detach(d);
	tsmon_ntp_detach(d);
	tsmon_vmclock_detach(d);
	irq_work_sync(&d->wake_work);
	tsmon_ntp_report_flush(d);
	tsmon_region_free(d);
	return ret;
}

static void __exit tsmon_exit(void)
{
	struct tsmon_dev *d = &tsmon;

	/*
	 * Hooks first: nothing may write the region or queue a wakeup once the
	 * device is gone. Open files and mappings pin the module: none is left.
	 */
	tsmon_phc_detach(d);
	tsmon_tk_detach(d);
	tsmon_step_detach(d);
	tsmon_ntp_detach(d);
	tsmon_vmclock_detach(d);
	irq_work_sync(&d->wake_work);
	tsmon_ntp_report_flush(d);
	tsmon_netlink_unregister(d);
	tsmon_chardev_unregister(d);
	tsmon_region_free(d);
}

module_init(tsmon_init);
module_exit(tsmon_exit);

MODULE_DESCRIPTION("Timekeeping event monitor: clock steps, leap seconds, TAI and clocksource changes in a read-only mapped ring");
MODULE_AUTHOR("The tsmon authors");
MODULE_LICENSE("GPL");
MODULE_VERSION(TSMON_MODULE_VERSION);
