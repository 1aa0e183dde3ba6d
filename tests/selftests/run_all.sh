#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run_all.sh - the tsmon guest suite (run by `make vmcheck` through
# tests/vm/run, as root, inside the test guest: the tests step the clock).
#
# Loads $TSMON_KO, runs every build/tests/selftests/tsmon_* program in a
# fixed order (programs not in the list run afterwards, by name), smoke
# tests the CLI, unloads the module and checks that the clock state the
# tests touched - REALTIME - MONOTONIC, the TAI offset, the leap second
# flags - is as it was found. Exit status 0 when every program passed or
# skipped (exit 4) and the state was restored, 1 otherwise.

set -u

cd "$(dirname "$(realpath "$0")")/../.." || exit 1

B=build
CLOCKCTL=$B/tests/helpers/clockctl
ORDER="load mmap step tai clocksource overrun leap leapedge probemiss wait waiter ntp clockbound chrony phc phc2sys netlink badinput noprobes"
PER_TEST_TIMEOUT=180
STA_LEAP_BITS=$((0x0010 | 0x0020))	# STA_INS | STA_DEL

declare -a names results times
failed=0

die() {
	echo "run_all: $*" >&2
	exit 1
}

# Wall time must not come from CLOCK_REALTIME: the tests step it.
uptime_ms() {
	local up
	read -r up _ </proc/uptime
	echo $((${up%.*} * 1000 + 10#${up#*.} * 10))
}

# state -> "offset_ns tai status" as three words
clock_state() {
	local line
	line=$("$CLOCKCTL" state) || return 1
	line=${line//offset_ns=/}
	line=${line//tai=/}
	line=${line//status=/}
	echo "$line"
}

# The module as the next program expects it: loaded, default ring.
module_default() {
	local entries=/sys/class/misc/tsmon/stats/ring_entries
	[[ -d /sys/module/tsmon && -c /dev/tsmon ]] || return 1
	[[ ! -r $entries || $(<"$entries") == 4096 ]]
}

record() {
	names+=("$1")
	results+=("$2")
	times+=("$3")
	case $2 in
	PASS | SKIP) ;;
	*) failed=1 ;;
	esac
}

[[ -n ${TSMON_KO:-} ]] || die "TSMON_KO is not set (path of tsmon.ko for this kernel)"
[[ -r $TSMON_KO ]] || die "TSMON_KO=$TSMON_KO: not readable"
[[ $(id -u) == 0 ]] || die "must run as root in the test guest"
[[ -x $CLOCKCTL ]] || die "$CLOCKCTL missing: build it first (make selftests)"

echo "== tsmon selftests on $(uname -r)"
echo "module: $TSMON_KO"

if [[ -d /sys/module/tsmon ]]; then
	rmmod tsmon || die "cannot unload the tsmon module already loaded"
fi
insmod "$TSMON_KO" || die "insmod $TSMON_KO failed"

read -r off0 tai0 status0 <<<"$(clock_state)" || die "cannot read the clock state"
echo "clock state: offset ${off0} ns, TAI ${tai0}, status ${status0}"

progs=()
for n in $ORDER; do
	[[ -x $B/tests/selftests/tsmon_$n ]] && progs+=("tsmon_$n")
done
for p in "$B"/tests/selftests/tsmon_*; do
	n=${p##*/}
	[[ -x $p && " ${progs[*]} " != *" $n "* ]] && progs+=("$n")
done
for n in $ORDER; do
	[[ -x $B/tests/selftests/tsmon_$n ]] ||
		record "tsmon_$n" "MISSING" 0
done

# TSMON_ONLY="ntp chrony": run only those (a developer's shortcut).
if [[ -n ${TSMON_ONLY:-} ]]; then
	only=()
	for n in $TSMON_ONLY; do
		[[ " ${progs[*]} " == *" tsmon_$n "* ]] || die "TSMON_ONLY: no tsmon_$n"
		only+=("tsmon_$n")
	done
	progs=("${only[@]}")
fi

suite_start=$(uptime_ms)
for n in "${progs[@]}"; do
	echo
	echo "== $n"
	start=$(uptime_ms)
	timeout "$PER_TEST_TIMEOUT" "$B/tests/selftests/$n"
	rc=$?
	ms=$(($(uptime_ms) - start))
	case $rc in
	0) res=PASS ;;
	4) res=SKIP ;;
	124) res="FAIL (timeout)" ;;
	*) res="FAIL (exit $rc)" ;;
	esac
	if ! module_default; then
		echo "run_all: $n left the module unloaded or not at its defaults"
		[[ $res == FAIL* ]] || res="FAIL (module state)"
		rmmod tsmon 2>/dev/null
		insmod "$TSMON_KO" || die "cannot reload the module"
	fi
	printf '== %s: %s (%d.%03d s)\n' "$n" "$res" $((ms / 1000)) $((ms % 1000))
	record "$n" "$res" "$ms"
done

if [[ -x $B/tsmon ]]; then
	echo
	echo "== tsmon CLI"
	start=$(uptime_ms)
	res=PASS
	"$B/tsmon" status || res="FAIL (status)"
	if json=$("$B/tsmon" ring --json); then
		echo "$json" | tail -n 5
		lines=$(printf '%s\n' "$json" | grep -c .)
		bad=$(printf '%s\n' "$json" | grep -v '^{.*}$' | grep -c .)
		echo "ring --json: $lines records"
		((lines > 0 && bad == 0)) || res="FAIL (ring --json output)"
	else
		res="FAIL (ring --json)"
	fi
	ms=$(($(uptime_ms) - start))
	record "tsmon CLI" "$res" "$ms"
fi
suite_ms=$(($(uptime_ms) - suite_start))

rmmod tsmon || record "unload" "FAIL (rmmod)" 0
[[ -e /dev/tsmon ]] && record "unload" "FAIL (/dev/tsmon remains)" 0

# Every test that changes the clock restores it; a leftover is a failure,
# and is undone here so that the guest's state is sane for what follows.
read -r off1 tai1 status1 <<<"$(clock_state)"
drift=$((off1 - off0))
res=PASS
if ((drift > 1000000000 || drift < -1000000000)); then
	res="FAIL (REALTIME-MONOTONIC off by ${drift} ns)"
	"$CLOCKCTL" step-ns $((-drift))
fi
if ((tai1 != tai0)); then
	res="FAIL (TAI ${tai1}, was ${tai0})"
	"$CLOCKCTL" tai "$tai0"
fi
if (((status1 & STA_LEAP_BITS) != (status0 & STA_LEAP_BITS))); then
	res="FAIL (leap flags in status ${status1}, was ${status0})"
	"$CLOCKCTL" leap none
fi
record "clock state restored" "$res" 0
echo
echo "clock state: offset drift ${drift} ns, TAI ${tai1}, status ${status1}"

echo
echo "== summary ($(uname -r), suite ${suite_ms} ms)"
skipped=()
for i in "${!names[@]}"; do
	printf '%-24s %-40s %6d.%03d s\n' "${names[$i]}" "${results[$i]}" \
		$((times[i] / 1000)) $((times[i] % 1000))
	[[ ${results[$i]} == SKIP ]] && skipped+=("${names[$i]}")
done
((${#skipped[@]})) && echo "skipped: ${skipped[*]}"
if ((failed)); then
	echo "tsmon selftests: FAILED"
	exit 1
fi
echo "tsmon selftests: passed"
exit 0
