/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The names of tsmon's event types, the one spelling used by the module's
 * sysfs statistics, libtsmon (the CLI, its JSON and journal output) and the
 * tests. Internal to the source tree: not installed.
 *
 * TSMON_EVENT_NAMES is the body of an array initializer indexed by enum
 * tsmon_event_type. TSMON_EVENT_LOST is not in it: the module never stores
 * such a record, readers make it up (libtsmon names it "lost").
 */
#ifndef TSMON_NAMES_H
#define TSMON_NAMES_H

#define TSMON_EVENT_NAMES						\
	[TSMON_EVENT_CLOCK_STEP]		= "clock_step",		\
	[TSMON_EVENT_LEAP_ARMED]		= "leap_armed",		\
	[TSMON_EVENT_LEAP_DISARMED]		= "leap_disarmed",	\
	[TSMON_EVENT_LEAP_APPLIED]		= "leap_applied",	\
	[TSMON_EVENT_TAI_CHANGE]		= "tai_change",		\
	[TSMON_EVENT_CLOCKSOURCE_CHANGE]	= "clocksource_change",	\
	[TSMON_EVENT_RESUME]			= "resume",		\
	[TSMON_EVENT_NTP_SYNC]			= "ntp_sync",		\
	[TSMON_EVENT_NTP_UNSYNC]		= "ntp_unsync",		\
	[TSMON_EVENT_NTP_MODE]			= "ntp_mode",		\
	[TSMON_EVENT_NTP_STATE]			= "ntp_state",		\
	[TSMON_EVENT_PHC_STEP]			= "phc_step",		\
	[TSMON_EVENT_PHC_FREQ]			= "phc_freq",		\
	[TSMON_EVENT_PHC_PHASE]			= "phc_phase",		\
	[TSMON_EVENT_PHC_EXTTS]			= "phc_extts",		\
	[TSMON_EVENT_PHC_PPS]			= "phc_pps",		\
	[TSMON_EVENT_PHC_ADD]			= "phc_add",		\
	[TSMON_EVENT_PHC_REMOVE]		= "phc_remove",		\
	[TSMON_EVENT_VM_DISRUPTION]		= "vm_disruption"

#endif /* TSMON_NAMES_H */
