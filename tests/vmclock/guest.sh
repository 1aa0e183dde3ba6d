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
#   bench    the tick-path cost of the check: the timekeeping hook's
#            duration (function_graph tracer) with tsmon loaded with the
#            page watched (vmclock=1) and not (vmclock=0), alternating.
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

# bench_round WATCH: "WATCH <hook durations in ns, one per tick>" for 2 s
# of a busy guest with tsmon loaded as vmclock=WATCH.
bench_round() {
	local tr=/sys/kernel/tracing
	insmod /tsmon/tsmon.ko vmclock=$1 || { fail "insmod vmclock=$1"; return; }
	echo 0 > $tr/tracing_on
	echo > $tr/trace
	# Only the hook itself is traced: a leaf line with its duration.
	echo tsmon_tk_notify > $tr/set_ftrace_filter
	echo function_graph > $tr/current_tracer
	echo 1 > $tr/tracing_on
	# Keep a CPU busy so that the tick runs; the trace fills meanwhile.
	timeout 2 sh -c 'while :; do :; done' 2>/dev/null
	echo 0 > $tr/tracing_on
	# "  1.234 us    |  tsmon_tk_notify();"
	grep 'tsmon_tk_notify' $tr/trace | tee -a /run/trace.txt |
		sed -n 's/.* \([0-9][0-9.]*\) us *|.*/\1/p' |
		awk -v w="$1" '{ printf "%s %d\n", w, $1 * 1000 }' > /run/round.txt
	cat /run/round.txt
	echo "ROUND vmclock=$1 median_ns $(cut -d' ' -f2 /run/round.txt | sort -n |
		awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')" >> /run/rounds.txt
	echo nop > $tr/current_tracer
	rmmod tsmon
}

echo "guest: kernel $(uname -r), mode $mode"
if [ "$mode" = bench ]; then
	mount -t tracefs tracefs /sys/kernel/tracing || fail "no tracefs"
	for r in 1 2 3 4 5 6; do
		bench_round 1
		bench_round 0
	done > /run/bench.txt
	for w in 1 0; do
		n=$(grep -c "^$w " /run/bench.txt)
		med=$(grep "^$w " /run/bench.txt | cut -d' ' -f2 | sort -n |
			awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
		echo "BENCH vmclock=$w ticks $n median_ns $med"
	done
	cat /run/rounds.txt
	head -n 3 /run/trace.txt
	echo "DMESG-BEGIN"
	dmesg
	echo "DMESG-END"
	echo "RESULT $rc"
	exit 0
fi
# The kernel's own driver, where it has one, takes the device first.
if [ -f /tsmon/ptp_vmclock.ko ] && [ "$mode" = migrate ]; then
	insmod /tsmon/ptp_vmclock.ko || fail "insmod ptp_vmclock.ko"
	[ -c /dev/vmclock0 ] && echo "ptp_vmclock: /dev/vmclock0" ||
		fail "ptp_vmclock made no /dev/vmclock0"
fi
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
	if [ -c /dev/vmclock0 ]; then
		# disruption_marker: 8 bytes at offset 16, little endian.
		echo "DRIVER-MARKER $(dd if=/dev/vmclock0 bs=8 skip=2 count=1 2>/dev/null |
			od -An -tu8 | tr -d ' ')"
	fi
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
