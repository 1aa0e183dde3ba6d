#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# guest.sh - the containment oracle inside the test guest (tests/vm/run,
# as root, from the repository's directory: make oracle KV=<kernel>).
#
# Loads $TSMON_KO and the test PHC module, runs build/tests/oracle/oracle
# (which runs chronyd, phc2sys and systemd-timesyncd against references it
# knows the truth of, and restores the clock after each), unloads both
# modules and checks the kernel log against tests/vm/problems.txt. The
# environment passes through: ORACLE_PHASES, ORACLE_BUDGET_NS,
# ORACLE_ASSUME_ZERO (see tests/oracle/oracle.c).
#
# Exit status: the oracle's (non-zero on any containment violation), or 1
# when loading, unloading or the kernel log fails.

set -u

cd "$(dirname "$(realpath "$0")")/../.." || exit 1

B=build
ORACLE=$B/tests/oracle/oracle
TESTPHC=$B/testphc/${TSMON_KVER:-$(uname -r)}/tsmon_testphc.ko
rc=0

echo "oracle guest: kernel $(uname -r), clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
[[ -x $ORACLE ]] || { echo "no $ORACLE: make oracle builds it"; exit 1; }
[[ -n ${TSMON_KO:-} && -r $TSMON_KO ]] || { echo "no module at TSMON_KO=${TSMON_KO:-}"; exit 1; }
insmod "$TSMON_KO" || { echo "insmod $TSMON_KO failed"; exit 1; }
if [[ -r $TESTPHC ]]; then
	insmod "$TESTPHC" count=1 || { echo "insmod $TESTPHC failed"; rc=1; }
else
	echo "no $TESTPHC (make testphc): the phc2sys phases will fail"
fi
# The oracle serves NTP to timesyncd on loopback.
ip link set lo up 2>/dev/null

dmesg_before=$(dmesg | wc -l)
start=$(cut -d' ' -f1 /proc/uptime)
"$ORACLE"
orc=$?
end=$(cut -d' ' -f1 /proc/uptime)
echo "# oracle: exit status $orc, $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", b - a }') s"
((orc == 0)) || rc=$orc

[[ ! -d /sys/module/tsmon_testphc ]] || rmmod tsmon_testphc || { echo "rmmod tsmon_testphc failed"; rc=1; }
rmmod tsmon || { echo "rmmod tsmon failed"; rc=1; }

# The kernel log of the run (tests/vm/run checks the whole log again).
mapfile -t problems < <(grep -v '^#' tests/vm/problems.txt)
pargs=()
for p in "${problems[@]}"; do pargs+=(-e "$p"); done
if dmesg | tail -n +"$((dmesg_before + 1))" | grep -E "${pargs[@]}"; then
	echo "not ok - the kernel log shows problems"
	rc=1
else
	echo "ok - the kernel log is clean"
fi
exit "$rc"
