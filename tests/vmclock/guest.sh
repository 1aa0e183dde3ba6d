#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-only
#
# guest.sh MODE - the VMClock test inside the guest (tests/vmclock/run).
#
#   migrate  tsmon watches the VMClock page; vmclock_check prints READY and
#            waits while the host migrates the guest to a file and back,
#            then checks the vm_disruption record; "tsmon events" (the
#            netlink feed) must have delivered the same record.
#   none     no VMClock device: tsmon loads and reports none.
#
# Ends with "RESULT <status>" and the kernel log between DMESG markers,
# which the host checks.

mode=$1
export LD_LIBRARY_PATH=/tsmon/lib
rc=0

fail() {
	echo "FAIL: $*"
	rc=1
}

echo "guest: kernel $(uname -r), mode $mode"
insmod /tsmon/tsmon.ko || fail "insmod tsmon.ko"
phys=$(cat /sys/class/misc/tsmon/stats/vmclock 2>/dev/null)
echo "vmclock $phys"

case $mode in
none)
	vmclock_check none || rc=1
	tsmon status | sed -n '/^Virtual machine/,/^$/p'
	tsmon status --json > /run/status.json || fail "tsmon status --json"
	echo "STATUS $(tr -d '\n' < /run/status.json)"
	;;
migrate)
	vmclock_check ready || fail "vmclock_check ready"
	tsmon events --json > /run/events.json 2> /run/events.err &
	evpid=$!
	# The listener joins the group before it prints anything; give it
	# the time to start under emulation.
	sleep 2
	vmclock_check wait 600 || rc=1
	# The pump sends from a work item: allow it a moment.
	for i in 1 2 3 4 5 6 7 8 9 10; do
		grep -q '"vm_disruption"' /run/events.json && break
		sleep 0.5
	done
	kill $evpid 2>/dev/null
	wait $evpid 2>/dev/null
	ev=$(grep '"vm_disruption"' /run/events.json)
	if [ -n "$ev" ]; then
		echo "EVENT $ev"
	else
		fail "tsmon events delivered no vm_disruption: $(cat /run/events.json /run/events.err)"
	fi
	echo "--- tsmon status (Virtual machine)"
	tsmon status | sed -n '/^Virtual machine/,/^$/p'
	echo "--- tsmon ring"
	tsmon ring | tail -n 3
	tsmon status --json > /run/status.json || fail "tsmon status --json"
	echo "STATUS $(tr -d '\n' < /run/status.json)"
	;;
*)
	fail "unknown mode $mode"
	;;
esac

rmmod tsmon || fail "rmmod tsmon"
echo "DMESG-BEGIN"
dmesg
echo "DMESG-END"
echo "RESULT $rc"
