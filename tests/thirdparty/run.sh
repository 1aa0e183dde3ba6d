#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run.sh - the kernel's own timers selftests, which change the clock, run
# with tsmon loaded; then every clock change they made is looked for in
# tsmon's ring (`make thirdparty KV=<kernel>` runs this in the test guest).
#
# The programs are the kernel's tools/testing/selftests/timers tests, built
# on the host from /usr/src/linux-source-6.1.tar.xz into build/thirdparty/
# (never part of this tree). Each runs under the adjlog.so shim, which logs
# every clock change it makes: adjtimex, clock_adjtime, clock_settime,
# settimeofday, however called. tests/thirdparty/check.py then matches the
# log against the records in the ring and prints the TAP result, including
# each program's own exit status.
#
# tsmon is loaded with a ring large enough for the whole run, so that the
# check sees every record. The clock state found at the start - REALTIME -
# MONOTONIC, TAI offset, NTP status, frequency, tick - is restored at the
# end and checked.
#
# Environment: TP_TESTS, the programs to run (default below; a name may
# carry its arguments after a colon, e.g. "leap-a-day:-i 4"); TP_TIMEOUT,
# seconds per program (300).

set -u

cd "$(dirname "$(realpath "$0")")/../.." || exit 1

TP=build/thirdparty
SHIM=$TP/adjlog.so
STATE=$TP/clockstate
# Short enough for CI: each finishes in seconds, leap-a-day in about 12 s
# per leap second and leapcrash in about a minute. adjtick (about 2 min),
# change_skew, skew_consistency, freq-step, clocksource-switch and
# set-2038 take many minutes under TCG; set-2038 also moves the clock
# past what other programs expect. set-tz goes first: the boot's first
# time zone set warps the clock, a step tsmon must report with reason
# "unknown" (tsmon_stepreason tests that a rejected ADJ_SETOFFSET before it
# does not lend it its reason).
DEFAULT_TESTS="set-tz valid-adjtimex set-tai leap-a-day:-i_2 leapcrash"
TESTS=${TP_TESTS:-$DEFAULT_TESTS}
TIMEOUT=${TP_TIMEOUT:-300}
RING=65536

die() {
	echo "Bail out! thirdparty: $*"
	exit 1
}

[[ ${TSMON_KVER:-} == "$(uname -r)" ]] ||
	die "these tests change the system clock: run them in the test guest (make thirdparty)"
[[ -n ${TSMON_KO:-} && -r $TSMON_KO ]] || die "TSMON_KO does not name a readable tsmon.ko"
[[ $(id -u) == 0 ]] || die "must run as root"
[[ -r $SHIM && -x $STATE ]] || die "build the third-party suite first (make thirdparty)"

shim=$(realpath "$SHIM")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Wall time from the uptime clock: the tests step REALTIME.
uptime_s() {
	local up
	read -r up _ < /proc/uptime
	echo "$up"
}

if [[ -d /sys/module/tsmon ]]; then
	rmmod tsmon || die "cannot unload tsmon"
fi
"$STATE" save "$out/state0" || die "cannot read the clock state"
insmod "$TSMON_KO" ring_entries=$RING || die "insmod $TSMON_KO failed"
head0=$(< /sys/class/misc/tsmon/stats/records)

echo "# kernel $(uname -r), tsmon ring $RING, clock state at start: $(< "$out/state0")"
: > "$out/results"
for t in $TESTS; do
	name=${t%%:*}
	args=
	[[ $t == *:* ]] && args=${t#*:}
	args=${args//_/ }
	prog=$TP/timers/$name
	if [[ ! -x $prog ]]; then
		echo "$name 127 0" >> "$out/results"
		echo "# $name: not built ($prog)"
		continue
	fi
	echo "# running $name $args"
	t0=$(uptime_s)
	# shellcheck disable=SC2086 # args are split on purpose
	(cd "$TP/timers" &&
	 ADJLOG=$out/$name.log LD_PRELOAD=$shim \
		timeout -k 5 "$TIMEOUT" ./"$name" $args) > "$out/$name.out" 2>&1
	rc=$?
	t1=$(uptime_s)
	echo "$name $rc $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')" >> "$out/results"
	sed 's/^/#   /' "$out/$name.out" | tail -n 8
done
head1=$(< /sys/class/misc/tsmon/stats/records)

# The records of the run are in; put the clock back (outside the checked range).
restored=0
"$STATE" restore "$out/state0" > "$out/restore" 2>&1 && restored=1
check=$("$STATE" check "$out/state0" 2>&1) || restored=0
"$STATE" show > "$out/state1" || die "cannot read the clock state"

python3 tests/thirdparty/check.py --logs "$out" --results "$out/results" \
	--from $((head0 + 1)) --to "$head1" --state "$out/state1" \
	--restored "$restored" --restore-detail "$check"
rc=$?

rmmod tsmon || rc=1
exit $rc
