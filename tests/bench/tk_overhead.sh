#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tk_overhead.sh - what loading tsmon costs the timekeeping paths it hooks,
# inside the test guest (`make tkbench KV=6.1|6.12` runs it through
# tests/vm/run).
#
# Runs build/tests/guestbench/tkbench with the module unloaded and loaded
# in turn, ROUNDS times (unloaded, loaded, unloaded, loaded, ...), so that
# slow changes of the emulator's speed hit both states alike. For every
# test it prints the median of each state and the cost ratio loaded /
# unloaded (time per call, or wakeup lateness: above 1 is slower), with
# the spread of the per-round ratios (each loaded run against the unloaded
# run just before it) and of the unloaded runs alone, which is the noise
# floor. The target is a ratio <= 1.05; the verdict is printed, not
# enforced: under TCG on a shared machine the noise can exceed it.
#
# Environment: TK_ROUNDS (default 15), TK_MS (ms per test and run, 400).
# Exit status 0 when every run succeeded and the clock state (REALTIME -
# MONOTONIC to within 1 ms, TAI offset, NTP status) is as found.

set -u

cd "$(dirname "$(realpath "$0")")/../.." || exit 1

B=build
TKBENCH=$B/tests/guestbench/tkbench
CLOCKCTL=$B/tests/helpers/clockctl
ROUNDS=${TK_ROUNDS:-15}
MS=${TK_MS:-400}

die() {
	echo "tk_overhead: $*" >&2
	exit 1
}

[[ ${TSMON_KVER:-} == "$(uname -r)" ]] ||
	die "this benchmark steps the system clock and loads tsmon: run it in the test guest (make tkbench)"
[[ -n ${TSMON_KO:-} && -r $TSMON_KO ]] || die "TSMON_KO does not name a readable tsmon.ko"
[[ $(id -u) == 0 ]] || die "must run as root"
[[ -x $TKBENCH && -x $CLOCKCTL ]] || die "build $TKBENCH and $CLOCKCTL first (make tkbench)"
[[ $ROUNDS =~ ^[1-9][0-9]*$ && $MS =~ ^[1-9][0-9]*$ ]] || die "TK_ROUNDS and TK_MS must be positive integers"

if [[ -d /sys/module/tsmon ]]; then
	rmmod tsmon || die "cannot unload tsmon"
fi

state0=$("$CLOCKCTL" state) || die "clockctl state failed"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "tsmon timekeeping overhead: kernel $(uname -r), $(nproc) CPUs," \
	"clocksource $(< /sys/devices/system/clocksource/clocksource0/current_clocksource)," \
	"$ROUNDS rounds x $MS ms per test, tkbench on CPU 0"
start=$SECONDS
for ((r = 1; r <= ROUNDS; r++)); do
	for st in unloaded loaded; do
		if [[ $st == loaded ]]; then
			insmod "$TSMON_KO" || die "insmod $TSMON_KO failed"
		fi
		"$TKBENCH" -m -t "$MS" > "$out/$st.$r" || die "tkbench failed ($st, round $r)"
		if [[ $st == loaded ]]; then
			# What the module saw: proof that its hooks were live.
			s=/sys/class/misc/tsmon/stats
			echo "$r $(< $s/tk_calls) $(< $s/adjtimex_calls) $(< $s/records)" >> "$out/hooks"
			rmmod tsmon || die "cannot unload tsmon"
		fi
	done
	echo "  round $r/$ROUNDS done ($((SECONDS - start)) s)"
done

state1=$("$CLOCKCTL" state) || die "clockctl state failed"

python3 - "$out" "$ROUNDS" << 'PY'
import statistics, sys

out, rounds = sys.argv[1], int(sys.argv[2])
# name, unit, whether the value is a rate (larger is better) or a latency;
# the cost compared is time per call / per work unit, or the lateness.
tests = [("settime", "calls/s", True), ("adjstatus", "calls/s", True),
         ("adjfreq", "calls/s", True), ("adjread", "calls/s", True),
         ("spin", "units/ms", True), ("sleep", "us late", False)]

def load(path):
    vals = {}
    with open(path) as f:
        for line in f:
            k, v, floor = line.split()
            vals[k] = (float(v), float(floor))
    return vals

runs = {st: [load(f"{out}/{st}.{r}") for r in range(1, rounds + 1)]
        for st in ("unloaded", "loaded")}

def quartiles(v):
    if len(v) < 4:
        return min(v), max(v)
    q = statistics.quantiles(v, n=4)
    return q[0], q[2]

def row(name, unit, u, l, cost, extra_fmt):
    mu, ml = statistics.median(u), statistics.median(l)
    ratio = cost(ml) / cost(mu)
    pairs = [cost(b) / cost(a) for a, b in zip(u, l)]
    p25, p75 = quartiles(pairs)
    q25, q75 = quartiles(u)
    noise = (q75 - q25) / mu if mu else 0.0
    extra = extra_fmt(mu, ml)
    print(f"  {name:<10} {unit:<9} {mu:10.1f} {ml:10.1f} {ratio:6.3f} "
          f"{p25:7.3f}..{p75:<6.3f} {min(pairs):6.3f}..{max(pairs):<6.3f} "
          f"{noise:6.1%} {extra:>10}  {'met' if ratio <= 1.05 else 'missed'}")

head = (f"  {'test':<10} {'unit':<9} {'unloaded':>10} {'loaded':>10} {'ratio':>6} "
        f"{'rounds p25..p75':>15} {'min..max':>13} {'noise':>6} {'extra':>10}  <= 1.05")

print()
print("  throughput (calls, work units) and median wakeup lateness, per run:")
print(head)
for name, unit, rate in tests:
    u = [run[name][0] for run in runs["unloaded"]]
    l = [run[name][0] for run in runs["loaded"]]
    if unit == "calls/s":
        fmt = lambda mu, ml: f"{(1 / ml - 1 / mu) * 1e6:+.2f} us"
    elif unit == "us late":
        fmt = lambda mu, ml: f"{ml - mu:+.1f} us"
    else:
        fmt = lambda mu, ml: ""
    row(name, unit, u, l, (lambda v: 1.0 / v) if rate else (lambda v: v), fmt)

print()
print("  floor: 10th percentile of the time per call / work unit / wakeup lateness, per run:")
print(head)
for name, unit, rate in tests:
    u = [run[name][1] for run in runs["unloaded"]]
    l = [run[name][1] for run in runs["loaded"]]
    row(name, "ns", u, l, lambda v: v,
        lambda mu, ml: f"{(ml - mu) / 1e3:+.2f} us")

print()
print("  ratio: median loaded cost / median unloaded cost (above 1: slower with tsmon);")
print("         rounds: that ratio per round (the loaded run against the unloaded run")
print("         before it), quartiles and range")
print("  noise: interquartile range / median of the unloaded runs")
print("  extra: time added per call (or to the lateness) with tsmon loaded, from the medians")
print("  floor: steadier than throughput when the host's load varies, which only adds time")
PY
rc=$?

echo
echo "  tsmon hooks per loaded run (round, timekeeper notifier calls, adjtimex calls seen, records):"
sed 's/^/    /' "$out/hooks"

read -r off0 tai0 st0 <<< "$state0"
read -r off1 tai1 st1 <<< "$state1"
off0=${off0#offset_ns=}
off1=${off1#offset_ns=}
drift=$((off1 - off0))
((drift < 0)) && drift=$((-drift))
if [[ $tai0 != "$tai1" || $st0 != "$st1" ]] || ((drift > 1000000)); then
	echo "tk_overhead: clock state not restored: before '$state0', after '$state1'" >&2
	rc=1
else
	echo "  clock state restored (REALTIME - MONOTONIC within $drift ns, $tai1, $st1)"
fi
echo "  $((SECONDS - start)) s"
exit $rc
