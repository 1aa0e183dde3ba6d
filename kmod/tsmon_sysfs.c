// SPDX-License-Identifier: GPL-2.0
/*
 * tsmon: operator statistics under /sys/class/misc/tsmon/stats/.
 *
 * Counters that change on every tick live here rather than in the mapped
 * health block, which is written only when its contents change.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/sysfs.h>

#include <tsmon/names.h>

#include "tsmon_private.h"

static ssize_t tk_calls_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(tsmon.tk_calls));
}
static DEVICE_ATTR_RO(tk_calls);

static ssize_t tk_was_set_calls_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(tsmon.tk_was_set));
}
static DEVICE_ATTR_RO(tk_was_set_calls);

static ssize_t adjtimex_calls_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n", atomic64_read(&tsmon.adjtimex_calls));
}
static DEVICE_ATTR_RO(adjtimex_calls);

static ssize_t adjtimex_missed_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	/* Calls the kretprobe could not follow (maxactive exhausted). */
	return sysfs_emit(buf, "%d\n", tsmon.adjtimex_krp.nmissed);
}
static DEVICE_ATTR_RO(adjtimex_missed);

static ssize_t records_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%llu\n", smp_load_acquire(&tsmon.hdr->head));
}
static DEVICE_ATTR_RO(records);

static ssize_t ring_entries_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", tsmon.hdr->ring_entries);
}
static DEVICE_ATTR_RO(ring_entries);

static const char *const tsmon_event_names[TSMON_EVENT_TYPE_COUNT] = {
	TSMON_EVENT_NAMES
};

/* Records written per type, "name count" per line like /proc/vmstat. */
static ssize_t events_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	ssize_t len = 0;
	int i;

	for (i = 0; i < TSMON_EVENT_TYPE_COUNT; i++) {
		if (!tsmon_event_names[i])
			continue;
		len += sysfs_emit_at(buf, len, "%s %llu\n", tsmon_event_names[i],
				     READ_ONCE(tsmon.health->event_count[i]));
	}
	return len;
}
static DEVICE_ATTR_RO(events);

static ssize_t hooks_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	u32 hooks = READ_ONCE(tsmon.hooks);
	u32 visible = tsmon_hooks_visible(&tsmon);

	/* "refused": attached, but reading what the compat layer did not expect. */
	return sysfs_emit(buf,
			  "timekeeper %s\nadjtimex %s\nsettime %s\nphc_adj %s\nphc_event %s\nphc_life %s\n",
			  hooks & TSMON_HOOK_TIMEKEEPER ? "active" : "inactive",
			  visible & TSMON_HOOK_ADJTIMEX ? "active" :
			  hooks & TSMON_HOOK_ADJTIMEX ? "refused" : "inactive",
			  hooks & TSMON_HOOK_SETTIME ? "active" : "inactive",
			  hooks & TSMON_HOOK_PHC_ADJ ? "active" : "inactive",
			  hooks & TSMON_HOOK_PHC_EVENT ? "active" : "inactive",
			  hooks & TSMON_HOOK_PHC_LIFE ? "active" : "inactive");
}
static DEVICE_ATTR_RO(hooks);

/* Where the VMClock page is: for the operator and for tests that read it. */
static ssize_t vmclock_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	if (!tsmon.vm_page)
		return sysfs_emit(buf, "none\n");
	return sysfs_emit(buf, "%pa\n", &tsmon.vm_phys);
}
static DEVICE_ATTR_RO(vmclock);

static struct attribute *tsmon_stats_attrs[] = {
	&dev_attr_tk_calls.attr,
	&dev_attr_tk_was_set_calls.attr,
	&dev_attr_adjtimex_calls.attr,
	&dev_attr_adjtimex_missed.attr,
	&dev_attr_records.attr,
	&dev_attr_ring_entries.attr,
	&dev_attr_hooks.attr,
	&dev_attr_events.attr,
	&dev_attr_vmclock.attr,
	NULL,
};

static const struct attribute_group tsmon_stats_group = {
	.name	= "stats",
	.attrs	= tsmon_stats_attrs,
};

const struct attribute_group *tsmon_attr_groups[] = {
	&tsmon_stats_group,
	NULL,
};
