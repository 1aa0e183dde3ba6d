#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/prom/prom_guest.sh - tsmon status --prometheus, tsmon prometheus
# and tsmon check against the module
#
# usage: tests/vm/run --kernel <kernel> -- tests/prom/prom_guest.sh [TSMON]
#
# Runs as root in the test guest only: it loads and unloads $TSMON_KO and
# steps CLOCK_REALTIME by a microsecond, which it takes back. The metrics
# of the live module pass tests/prom/parse.py and, when
# build/prom/usr/bin/promtool is there, `promtool check metrics`; the
# textfile feed runs as nobody and must rewrite its file when a step
# happens, woken by the device, long before its interval. Needs build/tsmon
# (or TSMON) and build/tests/helpers/clockctl. TAP output; exit status 0
# when every check passed, 1 otherwise.

cd "$(dirname "$(realpath "$0")")/../.." || exit 1

TSMON=$(realpath "${1:-build/tsmon}")
CLOCKCTL=$PWD/build/tests/helpers/clockctl
PROMTOOL=$PWD/build/prom/usr/bin/promtool
STATS=/sys/class/misc/tsmon/stats

. tests/cli/guest.sh

# valid DESC TEXT: the strict parser and promtool accept TEXT, silently
valid()
{
	local msg

	msg=$(python3 tests/prom/parse.py <<<"$2" 2>&1)
	verdict "$1: strict parser" "$msg"
	if [[ ! -x $PROMTOOL ]]; then
		ok "$1: promtool # SKIP promtool not available"
		return
	fi
	msg=$("$PROMTOOL" check metrics <<<"$2" 2>&1) && [[ -z $msg ]]
	verdict "$1: promtool check metrics" "$msg"
}

# wait_file DIR PATTERN: until DIR/tsmon.prom has a line matching PATTERN
wait_file()
{
	local _

	for _ in $(seq 300); do
		grep -qE "$2" "$1/tsmon.prom" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

[[ -n ${TSMON_KO:-} && -r $TSMON_KO ]] || bail "TSMON_KO not set or not readable"
[[ $(id -u) == 0 ]] || bail "must run as root in the test guest"
[[ -x $TSMON && -x $CLOCKCTL ]] || bail "build tsmon and clockctl first (make cli selftests)"
if [[ -d /sys/module/tsmon ]]; then
	rmmod tsmon || bail "cannot unload the module already loaded"
fi

echo "# tsmon metrics and checks on $(uname -r)"

# ---------------------------------------------------------------- no module

run status --prometheus
[[ $rc == 1 && $out == *$'\ntsmon_up 0\n'* ]]
verdict "no module: tsmon_up 0, exit 1" "status $rc" "$out"
run check
[[ $rc == 3 && $out == "TSMON UNKNOWN - cannot open /dev/tsmon: No such file or directory (is the tsmon module loaded? try: modprobe tsmon)" ]]
verdict "no module: check is UNKNOWN (3)" "status $rc" "$out"

insmod "$TSMON_KO" || bail "insmod $TSMON_KO"
offs0=$(health offs_real_ns) || bail "tsmon status --json"

# ---------------------------------------------------------------- status

"$CLOCKCTL" step-ns 1000 >/dev/null || bail "clockctl step-ns 1000"
"$CLOCKCTL" step-ns -1000 >/dev/null || bail "clockctl step-ns -1000"
run status --prometheus
[[ $rc == 0 ]]
verdict "status --prometheus: exit 0" "status $rc" "$err"
valid "live module" "$out"
PROM=$out
export P=$(python3 tests/prom/parse.py --json <<<"$out")
run status --json
export S=$out
export MISSED=$(cat "$STATS/adjtimex_missed")
expect_py "live module: the values of status --json and sysfs" '
fam = json.loads(env["P"])["families"]
s = json.loads(env["S"])
def one(name):
	(labels, v), = fam[name]["samples"]
	return v
assert one("tsmon_up") == "1"
ev = {l["type"]: int(v) for l, v in fam["tsmon_events_total"]["samples"]}
assert ev == s["event_counts"], (ev, s["event_counts"])
assert one("tsmon_steps_total") == "2" == str(ev["clock_step"])
assert one("tsmon_lost_events_total") == env["MISSED"]
phc = {l["phc"]: int(v) for l, v in fam.get("tsmon_phc_steps_total",
					      {"samples": []})["samples"]}
assert phc == {"ptp%d" % p["index"]: p["steps"] for p in s["phcs"]}, phc
assert float(one("tsmon_seconds_since_last_step")) >= 0
assert one("tsmon_timex_tai_offset_seconds") == str(s["tai_offset"])'
echo "# --- status --prometheus on $(uname -r)"
sed 's/^/# /' <<<"$PROM"

# ---------------------------------------------------------------- check

# --cooldown 0: whether the step is still within 5 s depends on the speed
# of the guest
run check --require-hooks --cooldown 0
# clockctl's ADJ_SETOFFSET is an adjtimex call: the state is captured, and
# with no daemon STA_UNSYNC is set
[[ $rc == 0 && $out == "TSMON OK - no bound, free running (no sync update, unsynchronised, unbounded), last step "*" ago (-1 us), hooks attached | bound=U;;;0 step_age="*"s;;;0 sync_age=U;;;0" ]]
verdict "check: OK, no NTP daemon in the guest" "status $rc" "$out"
echo "# $out"
run check --max-step-age 1h --require-sync --cooldown 0
[[ $rc == 2 && $out == "TSMON CRITICAL - no bound, free running ("*"), last step "*" ago (-1 us) < 1h | "* ]]
verdict "check: CRITICAL, stepped within the hour, no sync" "status $rc" "$out"
echo "# $out"
run check --json --max-step-age 1h
python3 -c '
import json, sys
o = json.load(sys.stdin)
assert o["code"] == 2 and o["checks"][2]["delta_ns"] == -1000, o' <<<"$out"
verdict "check --json: the step" "$out"

# ---------------------------------------------------------------- textfile

# As nobody, into a directory nobody owns: the device needs no privilege.
# (Not under $TMP, which only root may enter.)
D=$(mktemp -d /tmp/textfile.XXXXXX) || bail "mktemp"
chown 65534:65534 "$D"
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	"$TSMON" prometheus --textfile "$D" --interval 1h \
	>"$TMP/feed.out" 2>"$TMP/feed.err" &
pid=$!
wait_file "$D" '^tsmon_steps_total 2$'
verdict "feed: first file, as nobody" "@$TMP/feed.err"
valid "feed" "$(cat "$D/tsmon.prom")"
"$CLOCKCTL" step-ns 1000 >/dev/null || bail "clockctl step-ns 1000"
wait_file "$D" '^tsmon_steps_total 3$'
verdict "feed: rewritten on a step, not on the hour" "@$D/tsmon.prom"
"$CLOCKCTL" step-ns -1000 >/dev/null || bail "clockctl step-ns -1000"
wait_file "$D" '^tsmon_steps_total 4$'
verdict "feed: and on the next one"
mode=$(stat -c '%U %a' "$D/tsmon.prom")
[[ $mode == "nobody 644" ]]
verdict "feed: the file is nobody's, mode 644" "$mode"
kill -TERM "$pid"
wait "$pid"
rc=$?
left=$(ls -A "$D")
[[ $rc == 0 && ! -s $TMP/feed.out && ! -s $TMP/feed.err && -z $left ]]
verdict "feed: SIGTERM: exit 0, silent, file removed" "status $rc" \
	"@$TMP/feed.out" "@$TMP/feed.err" "$left"
rm -rf "$D"

# ---------------------------------------------------------------- restore

offs1=$(health offs_real_ns)
rmmod tsmon
if [[ $offs1 == "$offs0" ]]; then
	ok "clock restored"
else
	not_ok "clock restored" "REALTIME - MONOTONIC off by $((offs1 - offs0)) ns"
	"$CLOCKCTL" step-ns $((offs0 - offs1)) >/dev/null
fi

echo "1..$n"
if ((failed)); then
	echo "# $failed of $n checks failed"
	exit 1
fi
exit 0
