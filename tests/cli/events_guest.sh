#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/cli/events_guest.sh - tsmon events, status --netlink and config
# against the module
#
# usage: tests/vm/run --kernel <kernel> -- tests/cli/events_guest.sh [TSMON]
#
# Runs as root in the test guest only: it loads and unloads $TSMON_KO and
# steps CLOCK_REALTIME (by a few nanoseconds, which it takes back). Needs
# build/tsmon (or TSMON) and build/tests/helpers/clockctl (make cli
# selftests). EVENTS_VALGRIND=0 leaves out the runs under valgrind. TAP
# output; exit status 0 when every check passed, 1 otherwise.

cd "$(dirname "$(realpath "$0")")/../.." || exit 1

TSMON=$(realpath "${1:-build/tsmon}")
CLOCKCTL=$PWD/build/tests/helpers/clockctl
NO_FAMILY="tsmon: tsmon netlink family not found (is the tsmon module loaded? try: modprobe tsmon)"
UNLOADED="tsmon: the tsmon module was unloaded"
# CAP_NET_ADMIN or CAP_SYS_TIME, which nobody has
NEEDS_CAP="(needs CAP_NET_ADMIN or CAP_SYS_TIME)"

. tests/cli/guest.sh

[[ -n ${TSMON_KO:-} && -r $TSMON_KO ]] || bail "TSMON_KO not set or not readable"
[[ $(id -u) == 0 ]] || bail "must run as root in the test guest"
[[ -x $TSMON && -x $CLOCKCTL ]] || bail "build tsmon and clockctl first (make cli selftests)"
if [[ -d /sys/module/tsmon ]]; then
	rmmod tsmon || bail "cannot unload the module already loaded"
fi

echo "# tsmon events on $(uname -r)"

# ---------------------------------------------------------------- no module

for cmd in "events --json" "status --netlink" "config"; do
	# shellcheck disable=SC2086 # split into arguments on purpose
	run $cmd
	[[ $rc == 1 ]]
	verdict "no module: $cmd exits 1" "status $rc"
	[[ $err == "$NO_FAMILY" ]]
	verdict "no module: $cmd explained" "stderr: $err"
done

insmod "$TSMON_KO" || bail "insmod $TSMON_KO"
offs0=$(health offs_real_ns) || bail "tsmon status --json"

# ---------------------------------------------------------------- live

# Three steps while a listener waits for records after its start.
"$TSMON" events --json --type clock_step --count 3 --timeout 10 \
	>"$TMP/live.out" 2>"$TMP/live.err" &
pid=$!
wait_listening "$pid"
verdict "live: the listener waits in poll" "@$TMP/live.err"
for d in 1 -2 1; do
	"$CLOCKCTL" step-ns "$d" >/dev/null || bail "clockctl step-ns $d"
done
wait_exit "$pid" 15
[[ $rc == 0 ]]
verdict "live: --count 3 exits 0" "status $rc" "@$TMP/live.err"
LIVE=$(cat "$TMP/live.out")
export LIVE
expect_py "live: the three steps, exact" '
recs = [json.loads(l) for l in lines("LIVE")]
assert [r["type"] for r in recs] == ["clock_step"] * 3, recs
assert [r["delta_ns"] for r in recs] == [1, -2, 1], recs
assert [r["reason"] for r in recs] == ["setoffset"] * 3, recs
assert recs[1]["seq"] > recs[0]["seq"] and recs[2]["seq"] > recs[1]["seq"]'

# The same records from the ring: the lines must be identical.
first=$(python3 -c 'import json, sys; print(json.loads(sys.stdin.readline())["seq"])' \
	<"$TMP/live.out")
run ring --json --type clock_step --since "${first:-1}"
ring=$(head -n 3 <<<"$out")
[[ -n $LIVE && $LIVE == "$ring" ]]
verdict "live: events lines == ring lines" "events: $LIVE" "ring: $ring"

offs1=$(health offs_real_ns)
[[ $offs1 == "$offs0" ]]
verdict "live: the steps added up to zero" \
	"REALTIME - MONOTONIC was $offs0, is $offs1"

# ---------------------------------------------------------------- replay

# From the start, everything that is there, then exit: the ring's records,
# text and JSON, with and without a filter.
for args in "--json" "" "--json --type clock_step,phc_add"; do
	# shellcheck disable=SC2086
	run events --since 1 --timeout 0 $args
	ev_rc=$rc ev=$out
	# shellcheck disable=SC2086
	run ring --since 1 $args
	[[ $ev_rc == 0 ]]
	verdict "replay --since 1 $args: exit 0" "status $ev_rc"
	[[ -n $ev && $ev == "$out" ]]
	verdict "replay --since 1 $args: == ring --since 1" "events: $ev" \
		"ring: $out"
done
run events --all --json --timeout 0
ev=$out
run ring --json
[[ -n $ev && $ev == "$out" ]]
verdict "replay --all == ring" "events: $ev" "ring: $out"

# --since in the middle, and --count ending a replay.
run events --json --since "$first" --count 2
ev=$out
[[ $rc == 0 ]]
verdict "replay --since SEQ --count 2: exit 0" "status $rc"
run ring --json --since "$first"
ring=$(head -n 2 <<<"$out")
[[ $(wc -l <<<"$ev") == 2 && $ev == "$ring" ]]
verdict "replay --since SEQ --count 2: the ring's first two" \
	"events: $ev" "ring: $ring"

# --timeout with nothing coming: exit 0 after that long.
start=$(cut -d' ' -f1 /proc/uptime)
run events --json --timeout 1
end=$(cut -d' ' -f1 /proc/uptime)
[[ $rc == 0 && -z $out ]]
verdict "--timeout 1 with no event: exit 0, no output" "status $rc" \
	"$out" "$err"
expect_py "--timeout 1 took about a second" "
assert 0.95 <= $end - $start < 5, $end - $start"

# SIGINT and SIGTERM end a listener with status 0.
for sig in INT TERM; do
	"$TSMON" events >/dev/null 2>"$TMP/sig.err" &
	pid=$!
	wait_listening "$pid"
	kill -"$sig" "$pid"
	wait_exit "$pid" 5
	[[ $rc == 0 ]]
	verdict "SIG$sig: exit 0" "status $rc" "@$TMP/sig.err"
done

# ---------------------------------------------------------------- no device

# Neither root nor the device node is needed to listen.
run events --all --json --timeout 0
all=$out
unshare -m sh -c "mount -t tmpfs none /dev &&
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	'$TSMON' events --all --json --timeout 0" >"$TMP/nodev.out" \
	2>"$TMP/nodev.err"
rc=$?
[[ $rc == 0 ]]
verdict "without /dev and root: events exits 0" "status $rc" \
	"@$TMP/nodev.err"
[[ -n $all && $(cat "$TMP/nodev.out") == "$all" ]]
verdict "without /dev and root: the same records" "@$TMP/nodev.out"

# ---------------------------------------------------------------- status

run status --json
export DEV=$out
run status --json --netlink
[[ $rc == 0 ]]
verdict "status --netlink: exit 0" "status $rc" "$err"
export NL=$out
expect_py "status --netlink agrees with the device" '
(d,) = [json.loads(l) for l in lines("DEV")]
(n,) = [json.loads(l) for l in lines("NL")]
assert list(d) == list(n), (list(d), list(n))
# the reply does not carry the load time; the limits come only over netlink
assert n["load_real_ns"] is None and n["load_mono_ns"] is None, n
assert d["phc_freq_threshold_ppb"] is None, d
assert n["phc_freq_threshold_ppb"] == 1000, n
assert n["phc_freq_interval_ms"] == 1000, n
same = set(d) - {"load_real_ns", "load_mono_ns", "clock",
	"phc_freq_threshold_ppb", "phc_freq_interval_ms"}
for k in same:
	assert d[k] == n[k], (k, d[k], n[k])
dc, nc = d["clock"], n["clock"]
assert list(dc) == list(nc), nc
for k in ("status", "flags", "drift_ppb", "cooldown_ns"):
	assert dc[k] == nc[k], (k, dc, nc)
assert nc["real_ns"] - nc["mono_ns"] == n["offs_real_ns"], nc'
run status --netlink
export TEXT=$out
expect_py "status --netlink text: no load time, the PHC limits" '
import re
out = env["TEXT"]
assert re.search(r"^loaded at +not available over netlink$", out, re.M)
assert re.search(r"^phc freq filter +changes of 1000 ppb or more, "
		 r"at most one per 1000 ms$", out, re.M)
assert re.search(r"^clock +[A-Z_]+", out, re.M)'

# ---------------------------------------------------------------- config

run config --json
[[ $out == '{"phc_freq_threshold_ppb":1000,"phc_freq_interval_ms":1000,"sync_budget_ns":0}' ]]
verdict "config: the defaults" "$out" "$err"
run config --phc-freq-threshold 5 --phc-freq-interval 7
[[ $rc == 0 ]]
verdict "config: set both" "status $rc" "$err"
[[ $out == $'phc freq threshold  5 ppb\nphc freq interval   7 ms\nsync budget         none (sources asserting maxerror 0 give no bound)' ]]
verdict "config: text shows the new values" "$out"
run config --phc-freq-interval 3600001
[[ $rc == 1 && $err == *"out of range"* ]]
verdict "config: out of range refused" "status $rc" "$err"
run status --json --netlink
export NL=$out
expect_py "config: status --netlink shows them, unchanged by the refusal" '
s = json.loads(env["NL"])
assert s["phc_freq_threshold_ppb"] == 5, s
assert s["phc_freq_interval_ms"] == 7, s'
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	"$TSMON" config --phc-freq-threshold 9 >"$TMP/out" 2>"$TMP/err"
rc=$?
err=$(cat "$TMP/err")
[[ $rc == 1 && $err == *"$NEEDS_CAP" ]]
verdict "config as nobody: exit 1, needs a capability" "status $rc" "$err"
run config --sync-budget 1.5us --json
[[ $rc == 0 && $out == *'"sync_budget_ns":1500'* ]]
verdict "config: --sync-budget 1.5us" "status $rc" "$out" "$err"
[[ $(< /sys/module/tsmon/parameters/sync_budget_ns) == 1500 ]]
verdict "config: the budget is the module parameter" \
	@/sys/module/tsmon/parameters/sync_budget_ns
run config --sync-budget 17s
[[ $rc == 1 && $err == *"at most 16s"* ]]
verdict "config: a budget above 16 s refused" "status $rc" "$err"
run config --sync-budget soon
[[ $rc == 2 ]]
verdict "config: a budget that is not a duration is a usage error" "status $rc" "$err"
run config --phc-freq-threshold 1000 --phc-freq-interval 1000 --sync-budget 0
[[ $rc == 0 && $(< /sys/module/tsmon/parameters/sync_budget_ns) == 0 ]]
verdict "config: defaults restored" "$err"

# ---------------------------------------------------------------- valgrind

# The CLI's own memory use does not depend on the kernel: make check runs
# this part on one kernel (EVENTS_VALGRIND=0 elsewhere); valgrind under
# TCG costs about a minute.
if [[ ${EVENTS_VALGRIND:-1} == 0 ]]; then
	ok "# SKIP valgrind: run on another kernel of the matrix"
elif command -v valgrind >/dev/null; then
	for args in "events --all --json --timeout 0" \
		    "events --json --timeout 0.2" "status --netlink" \
		    "status --json --netlink" "config --phc-freq-interval 1000"; do
		# shellcheck disable=SC2086
		valgrind -q --leak-check=full --show-leak-kinds=all \
			--errors-for-leak-kinds=all --error-exitcode=99 \
			"$TSMON" $args >/dev/null 2>"$TMP/vg"
		rc=$?
		[[ $rc == 0 ]]
		verdict "valgrind: $args clean" "status $rc" "@$TMP/vg"
	done
else
	ok "# SKIP valgrind not installed"
fi

# ---------------------------------------------------------------- lost

# A 64-record ring that overflowed: replay and ring report the same loss.
rmmod tsmon || bail "rmmod"
insmod "$TSMON_KO" ring_entries=64 || bail "insmod ring_entries=64"
for _ in $(seq 40); do
	"$CLOCKCTL" step-ns 1 >/dev/null || bail "clockctl step-ns 1"
	"$CLOCKCTL" step-ns -1 >/dev/null || bail "clockctl step-ns -1"
done
for args in "--json" ""; do
	# shellcheck disable=SC2086
	run events --since 1 --timeout 0 $args
	ev=$out
	# shellcheck disable=SC2086
	run ring --since 1 $args
	[[ -n $ev && $ev == "$out" ]]
	verdict "lost: events --since 1 $args == ring --since 1" \
		"events: $ev" "ring: $out"
done
run events --since 1 --timeout 0 --json --type resume
export EV=$out
expect_py "lost: a marker first, kept by --type" '
recs = [json.loads(l) for l in lines("EV")]
assert recs and recs[0]["type"] == "lost" and recs[0]["seq"] == 1, recs
assert recs[0]["count"] >= 80 - 64, recs[0]
assert recs[0]["mono_ns"] == 0 and recs[0]["real_ns"] == 0, recs[0]'
rmmod tsmon || bail "rmmod"
insmod "$TSMON_KO" || bail "insmod"

# ---------------------------------------------------------------- unload

"$TSMON" events --json >"$TMP/gone.out" 2>"$TMP/gone.err" &
pid=$!
wait_listening "$pid"
verdict "unload: the listener waits in poll"
rmmod tsmon
verdict "unload: rmmod while listening succeeds"
wait_exit "$pid" 10
[[ $rc == 1 ]]
verdict "unload: the listener exits 1" "status $rc"
[[ $(cat "$TMP/gone.err") == "$UNLOADED" && ! -s $TMP/gone.out ]]
verdict "unload: explained" "@$TMP/gone.err"
run events
[[ $rc == 1 && $err == "$NO_FAMILY" ]]
verdict "unloaded: events explains" "status $rc" "$err"

# ---------------------------------------------------------------- restore

# The steps above cancel out exactly; should one have failed half way,
# take it back. A reload keeps REALTIME - MONOTONIC, so offs0 still holds.
insmod "$TSMON_KO" || bail "insmod"
offs2=$(health offs_real_ns)
rmmod tsmon
if [[ $offs2 == "$offs0" ]]; then
	ok "clock restored"
else
	not_ok "clock restored" "REALTIME - MONOTONIC off by $((offs2 - offs0)) ns"
	"$CLOCKCTL" step-ns $((offs0 - offs2)) >/dev/null
fi

echo "1..$n"
if ((failed)); then
	echo "# $failed of $n checks failed"
	exit 1
fi
exit 0
