// SPDX-License-Identifier: LGPL-2.1-or-later

package tsmon

import "syscall"

// The one spelling of the event types (include/tsmon/names.h), and "lost".
var typeNames = [EventTypeCount]string{
	EventClockStep:         "clock_step",
	EventLeapArmed:         "leap_armed",
	EventLeapDisarmed:      "leap_disarmed",
	EventLeapApplied:       "leap_applied",
	EventTAIChange:         "tai_change",
	EventClocksourceChange: "clocksource_change",
	EventResume:            "resume",
	EventLost:              "lost",
	EventNTPSync:           "ntp_sync",
	EventNTPUnsync:         "ntp_unsync",
	EventNTPMode:           "ntp_mode",
	EventNTPState:          "ntp_state",
	EventPHCStep:           "phc_step",
	EventPHCFreq:           "phc_freq",
	EventPHCPhase:          "phc_phase",
	EventPHCExtts:          "phc_extts",
	EventPHCPPS:            "phc_pps",
	EventPHCAdd:            "phc_add",
	EventPHCRemove:         "phc_remove",
	EventVMDisruption:      "vm_disruption",
}

// EventTypeName is the name of an event type (tsmon_event_type_name()):
// EINVAL for a type this version does not know (and for EventNone).
func EventTypeName(typ uint32) (string, error) {
	if typ >= EventTypeCount || typeNames[typ] == "" {
		return "", syscall.EINVAL
	}
	return typeNames[typ], nil
}

// EventTypeFromName is the reverse (tsmon_event_type_from_name()).
func EventTypeFromName(name string) (uint32, error) {
	for i, n := range typeNames {
		if n != "" && n == name {
			return uint32(i), nil
		}
	}
	return 0, syscall.EINVAL
}
