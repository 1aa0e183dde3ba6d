#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# demo.sh - a short tour of tsmon, run inside the 6.1 test guest by
# `make demo` (it steps the clock: never run it on a real machine).
#
# Loads $TSMON_KO, then makes the kernel's timekeeping do what tsmon
# watches for - a clock step, a TAI change, a leap second armed and
# withdrawn, a clocksource switch - and shows what tsmon recorded. The
# clock, TAI offset, leap flags and clocksource are put back at the end.

set -eu

cd "$(dirname "$(realpath "$0")")/.."

B=build
TSMON=$B/tsmon
CLOCKCTL=$B/tests/helpers/clockctl
CS=/sys/devices/system/clocksource/clocksource0

stepped=0
tai0=
cs0=

heading() {
	printf '\n=== %s\n\n' "$*"
}

run() {
	printf '$ %s\n' "$*"
	"$@"
}

state_field() {
	local f
	for f in $("$CLOCKCTL" state); do
		if [[ $f == "$1="* ]]; then
			echo "${f#*=}"
		fi
	done
}

# Undo whatever the demo changed, also when a command failed half way.
restore() {
	"$CLOCKCTL" leap none
	if [[ -n $tai0 ]]; then
		"$CLOCKCTL" tai "$tai0"
	fi
	if ((stepped)); then
		"$CLOCKCTL" step +0.25
	fi
	if [[ -n $cs0 && $(<"$CS/current_clocksource") != "$cs0" ]]; then
		echo "$cs0" >"$CS/current_clocksource"
	fi
	if [[ -d /sys/module/tsmon ]]; then
		rmmod tsmon
	fi
}

for f in "$TSMON" "$CLOCKCTL"; do
	if [[ ! -x $f ]]; then
		echo "demo: $f missing: run make demo" >&2
		exit 1
	fi
done
if [[ -z ${TSMON_KO:-} || ! -r ${TSMON_KO:-} ]]; then
	echo "demo: TSMON_KO must name the module built for this kernel" >&2
	exit 1
fi

trap restore EXIT

heading "Load tsmon ($(uname -r))"
if [[ -d /sys/module/tsmon ]]; then
	rmmod tsmon
fi
run insmod "$TSMON_KO"
run ls -l /dev/tsmon
run "$TSMON" status

heading "Step CLOCK_REALTIME back by 0.25 s (ADJ_SETOFFSET)"
run "$CLOCKCTL" step -0.25
stepped=1

heading "Change the TAI offset by +1 s, then back"
tai0=$(state_field tai)
run "$CLOCKCTL" tai $((tai0 + 1))
run "$CLOCKCTL" tai "$tai0"

heading "Arm a leap second insertion (STA_INS)"
run "$CLOCKCTL" leap insert
# The kernel schedules the leap at its next second boundary.
sleep 1.5
run "$TSMON" status

heading "Withdraw it"
run "$CLOCKCTL" leap none
sleep 1.5

cs0=$(<"$CS/current_clocksource")
other=
for c in $(<"$CS/available_clocksource"); do
	if [[ $c != "$cs0" ]]; then
		other=$c
		break
	fi
done
if [[ -n $other ]]; then
	heading "Switch the clocksource $cs0 -> $other -> $cs0"
	run sh -c "echo $other > $CS/current_clocksource"
	run sh -c "echo $cs0 > $CS/current_clocksource"
else
	heading "Only one clocksource ($cs0): no switch"
fi

heading "Put the clock back (+0.25 s)"
run "$CLOCKCTL" step +0.25
stepped=0

heading "What tsmon saw"
run "$TSMON" status
echo
run "$TSMON" ring
