#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run.sh - the tsmon stress run (make stress KV=<kernel>, through
# tests/vm/run, as root inside the test guest: it steps the clocks and
# unloads modules).
#
# Loads $TSMON_KO and the test PHC module, runs build/tests/stress/
# tsmon_stress for $STRESS_SECONDS of load (default 60), then unloads both
# modules: an unload that fails means a reference was left behind. The
# kernel log is checked by tests/vm/run afterwards. Exit status 0 when the
# program passed and both modules unloaded, 1 otherwise.

set -u

cd "$(dirname "$(realpath "$0")")/../.." || exit 1

B=build
PROG=$B/tests/stress/tsmon_stress
export STRESS_SECONDS=${STRESS_SECONDS:-60}

die() {
	echo "stress: $*" >&2
	exit 1
}

[[ -n ${TSMON_KO:-} && -r $TSMON_KO ]] || die "TSMON_KO is not set or not readable"
[[ $(id -u) == 0 ]] || die "must run as root in the test guest"
[[ -x $PROG ]] || die "$PROG missing: build it first (make stress-bins)"
testphc=$B/testphc/${TSMON_KVER:-$(uname -r)}/tsmon_testphc.ko
[[ -r $testphc ]] || die "$testphc missing: build it first (make testphc)"

# Wall time from /proc/uptime: the run steps CLOCK_REALTIME.
uptime_s() {
	local up
	read -r up _ </proc/uptime
	echo "${up%.*}"
}

echo "== tsmon stress on $(uname -r), $(nproc) CPUs, ${STRESS_SECONDS} s of load"
[[ -d /sys/module/tsmon ]] && { rmmod tsmon || die "cannot unload the tsmon already loaded"; }
[[ -d /sys/module/tsmon_testphc ]] || insmod "$testphc" || die "insmod $testphc failed"
insmod "$TSMON_KO" || die "insmod $TSMON_KO failed"

start=$(uptime_s)
timeout $((STRESS_SECONDS + 400)) "$PROG"
rc=$?
case $rc in
0) ;;
124) echo "stress: $PROG did not finish in time"; rc=1 ;;
*) rc=1 ;;
esac

# Nothing may still hold either module.
rmmod tsmon || { echo "stress: tsmon does not unload"; rc=1; }
[[ -d /sys/module/tsmon_testphc ]] && { rmmod tsmon_testphc || { echo "stress: tsmon_testphc does not unload"; rc=1; }; }

echo "== tsmon stress: $( ((rc)) && echo FAILED || echo passed) ($(($(uptime_s) - start)) s)"
exit $rc
