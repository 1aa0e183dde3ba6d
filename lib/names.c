// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libtsmon event type names: the spelling shared by the CLI, its JSON
 * output and the man pages.
 */
#include <errno.h>
#include <string.h>

#include "tsmon_private.h"

static const char *const type_names[TSMON_EVENT_TYPE_COUNT] = {
	[TSMON_EVENT_CLOCK_STEP]		= "clock_step",
	[TSMON_EVENT_LEAP_ARMED]		= "leap_armed",
	[TSMON_EVENT_LEAP_DISARMED]		= "leap_disarmed",
	[TSMON_EVENT_LEAP_APPLIED]		= "leap_applied",
	[TSMON_EVENT_TAI_CHANGE]		= "tai_change",
	[TSMON_EVENT_CLOCKSOURCE_CHANGE]	= "clocksource_change",
	[TSMON_EVENT_RESUME]			= "resume",
	[TSMON_EVENT_LOST]			= "lost",
	[TSMON_EVENT_NTP_SYNC]			= "ntp_sync",
	[TSMON_EVENT_NTP_UNSYNC]		= "ntp_unsync",
	[TSMON_EVENT_NTP_MODE]			= "ntp_mode",
	[TSMON_EVENT_NTP_STATE]			= "ntp_state",
	[TSMON_EVENT_PHC_STEP]			= "phc_step",
	[TSMON_EVENT_PHC_FREQ]			= "phc_freq",
	[TSMON_EVENT_PHC_PHASE]			= "phc_phase",
	[TSMON_EVENT_PHC_EXTTS]			= "phc_extts",
	[TSMON_EVENT_PHC_PPS]			= "phc_pps",
	[TSMON_EVENT_PHC_ADD]			= "phc_add",
	[TSMON_EVENT_PHC_REMOVE]		= "phc_remove",
	[TSMON_EVENT_VM_DISRUPTION]		= "vm_disruption",
};

TSMON_EXPORT
int tsmon_event_type_name(uint32_t type, const char **name)
{
	if (!name || type >= TSMON_EVENT_TYPE_COUNT || !type_names[type])
		return -EINVAL;
	*name = type_names[type];
	return 0;
}

TSMON_EXPORT
int tsmon_event_type_from_name(const char *name, uint32_t *type)
{
	uint32_t i;

	if (!name || !type)
		return -EINVAL;
	for (i = 0; i < TSMON_EVENT_TYPE_COUNT; i++) {
		if (type_names[i] && !strcmp(type_names[i], name)) {
			*type = i;
			return 0;
		}
	}
	return -EINVAL;
}
