#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/prom/e2e_guest.sh - tsmon's alerting rules and dashboard against
# Debian's own Prometheus and node_exporter, end to end
#
# usage: tests/vm/run --kernel <kernel> --mem 2048 -- tests/prom/e2e_guest.sh
#        (make alertcheck KV=<kernel>)
#
# Runs as root in the test guest only: it loads $TSMON_KO, steps
# CLOCK_REALTIME by 1 ms and changes the kernel's NTP status, and puts all
# of it back. On 127.0.0.1 only:
#   - the textfile writer, run as tsmon-textfile.service's ExecStart says
#     (parsed from systemd/tsmon-textfile.service; only the binary becomes
#     build/tsmon and the directory one under /tmp);
#   - node_exporter (build/node-exporter, unpacked from Debian's package by
#     tests/prom/fetch-prometheus.sh) with the textfile collector on that
#     directory and the cheap timex and time collectors, nothing else;
#   - Prometheus (build/promserver) scraping it and evaluating the rules
#     every second: contrib/prometheus/tsmon.rules.yml with every window
#     divided by SCALE, 60 (tests/prom/scale_rules.py: for: 10m becomes
#     10s, the step alert's [10m] 10s; nothing else changes).
# tests/prom/e2e_driver.py then makes every check that talks to Prometheus
# or changes the clock, in one process (Python takes seconds to start
# under TCG): the series are there; a step (clockctl) fires
# TsmonClockStepped and an NTP unsync (STA_UNSYNC) TsmonNtpUnsynchronised
# with their labels, and both resolve; removing tsmon.prom (stopping the
# writer) fires TsmonMetricsAbsent, which its return resolves; every query
# of contrib/grafana/tsmon-dashboard.json has data. It prints how long each
# change took to reach the textfile, the scrape, the alert pending and
# firing. The clock state found is restored and the kernel log must stay
# clean. TAP output; exit status 0 when every check passed, 1 otherwise.

cd "$(dirname "$(realpath "$0")")/../.." || exit 1

TSMON=$PWD/build/tsmon
CLOCKCTL=$PWD/build/tests/helpers/clockctl
PROM=$PWD/build/promserver/usr/bin/prometheus
PROMTOOL=$PWD/build/promserver/usr/bin/promtool
NODE_EXPORTER=$PWD/build/node-exporter/usr/bin/prometheus-node-exporter
UNIT=systemd/tsmon-textfile.service
RULES=contrib/prometheus/tsmon.rules.yml
DASHBOARD=contrib/grafana/tsmon-dashboard.json
SCALE=60
NODE_ADDR=127.0.0.1:19100
PROM_ADDR=127.0.0.1:19090
export PROM_URL=http://$PROM_ADDR

# shellcheck source=tests/cli/guest.sh
. tests/cli/guest.sh

uptime_s() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(uptime_s)" 'BEGIN { printf "%.1f", b - a }'; }
T_START=$(uptime_s)

# ---------------------------------------------------------------- cleanup

declare -A PIDS
OFF0=
RESTORED=

stop()
{
	local pid=${PIDS[$1]:-}

	[[ -n $pid ]] || return 0
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "PIDS[$1]"
}

# REALTIME - MONOTONIC as the module's timekeeper hook saw it last: exact,
# where two clock reads would have some nanoseconds of jitter
offs_real()
{
	"$TSMON" status --json | grep -o '"offs_real_ns":-*[0-9]*' | cut -d: -f2
}

# The clock as found: the steps taken back, the NTP status and errors.
restore_clock()
{
	local off1

	[[ -n $OFF0 && -z $RESTORED ]] || return 0
	RESTORED=1
	off1=$(offs_real)
	if [[ -n $off1 ]] && ((off1 != OFF0)); then
		"$CLOCKCTL" step-ns $((OFF0 - off1)) >/dev/null
	fi
	python3 tests/prom/timexctl.py restore "$TX_STATUS" "$TX_MAXERR" "$TX_ESTERR"
}

# shellcheck disable=SC2317  # run by the trap
cleanup()
{
	local k

	# the writer, if the driver died and left it
	[[ -s $TMP/writer.pid ]] && kill -TERM "$(cat "$TMP/writer.pid")" 2>/dev/null
	for k in "${!PIDS[@]}"; do
		stop "$k"
	done
	restore_clock
	[[ -d /sys/module/tsmon ]] && rmmod tsmon 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# ---------------------------------------------------------------- set up

[[ -n ${TSMON_KO:-} && -r $TSMON_KO ]] || bail "TSMON_KO not set or not readable"
[[ $(id -u) == 0 ]] || bail "must run as root in the test guest"
[[ -x $TSMON && -x $CLOCKCTL ]] || bail "build tsmon and clockctl first (make cli selftests)"
[[ -x $PROM && -x $PROMTOOL && -x $NODE_EXPORTER ]] ||
	bail "no Prometheus or node_exporter: tests/prom/fetch-prometheus.sh"
if [[ -d /sys/module/tsmon ]]; then
	rmmod tsmon || bail "cannot unload the module already loaded"
fi
# the guest's init brings lo up; a bare guest may not have
ip link set lo up 2>/dev/null

dmesg_before=$(dmesg | wc -l)
echo "# tsmon alerts and dashboard end to end, on $(uname -r)"

# What takes seconds under TCG (Python's start, promtool's and the
# servers' first load over 9p) runs side by side.
#  - the rules, every window divided by $SCALE, and promtool's check;
( python3 tests/prom/scale_rules.py "$SCALE" "$RULES" "$TMP/rules.yml" &&
	"$PROMTOOL" check rules "$TMP/rules.yml" ) >"$TMP/promtool.out" 2>&1 &
PIDS[promtool]=$!
#  - the writer: ExecStart of the unit, with build/tsmon and a directory of
#    our own; every other argument as the unit has it;
TEXTDIR=$TMP/node-exporter
mkdir -p "$TEXTDIR"
python3 - "$UNIT" "$TSMON" "$TEXTDIR" >"$TMP/writer.argv" <<'EOF' &
import shlex, sys
unit, tsmon, textdir = sys.argv[1:]
lines = [l.split("=", 1)[1].strip() for l in open(unit)
         if l.startswith("ExecStart=")]
if len(lines) != 1:
    sys.exit("%s: want one ExecStart=, found %d" % (unit, len(lines)))
argv = shlex.split(lines[0].lstrip("-@:+!"))
if argv[0] != "/usr/bin/tsmon" or any("%" in a or "$" in a for a in argv):
    sys.exit("%s: ExecStart=%s: not /usr/bin/tsmon with plain arguments"
             % (unit, lines[0]))
argv[0] = tsmon
dirs = 0
for i, a in enumerate(argv):
    if a in ("--textfile", "-t") and i + 1 < len(argv):
        argv[i + 1] = textdir
        dirs += 1
    elif a.startswith("--textfile="):
        argv[i] = "--textfile=" + textdir
        dirs += 1
if dirs != 1:
    sys.exit("%s: ExecStart= names no single --textfile directory" % unit)
print("\n".join(argv))
EOF
PIDS[execstart]=$!
#  - the versions, which also brings the servers' binaries in.
{ "$PROM" --version 2>&1 | head -n 1; "$NODE_EXPORTER" --version 2>&1 |
	head -n 1; } >"$TMP/versions" &
PIDS[versions]=$!

read -r TX_STATUS TX_MAXERR TX_ESTERR < <(python3 tests/prom/timexctl.py state |
	sed -E 's/status=(0x[0-9a-f]+) maxerror_us=([0-9]+) esterror_us=([0-9]+)/\1 \2 \3/')
[[ -n $TX_ESTERR ]] || bail "tests/prom/timexctl.py state"
read -r _ TAI0 _ <<<"$("$CLOCKCTL" state)"
TAI0=${TAI0#tai=}

insmod "$TSMON_KO" || bail "insmod $TSMON_KO"
OFF0=$(offs_real)
[[ -n $OFF0 ]] || bail "tsmon status --json: no offs_real_ns"
echo "# clock state found: REALTIME - MONOTONIC $OFF0 ns, TAI $TAI0, NTP status $TX_STATUS, maxerror $TX_MAXERR us"

wait "${PIDS[versions]}"
unset "PIDS[versions]"
sed 's/^/# /' "$TMP/versions"
wait "${PIDS[execstart]}"
unset "PIDS[execstart]"
mapfile -t WRITER <"$TMP/writer.argv"
((${#WRITER[@]} > 1)) || bail "cannot read ExecStart from $UNIT"
echo "# writer: ${WRITER[*]}"
wait "${PIDS[promtool]}"
verdict "the rules, windows divided by $SCALE, pass promtool check rules" \
	"@$TMP/promtool.out"
unset "PIDS[promtool]"
echo "# windows in the test: $(grep -oE 'for: [0-9]+s|\[[0-9]+s\]' "$TMP/rules.yml" |
	sort | uniq -c | awk '{ printf "%s%s x%s", (NR > 1 ? ", " : ""), $2 ($3 ? " " $3 : ""), $1 }')"

echo "# set-up: $(since "$T_START") s"
t=$(uptime_s)
"$NODE_EXPORTER" --web.listen-address="$NODE_ADDR" \
	--collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$TEXTDIR" \
	--collector.timex --collector.time \
	>"$TMP/node_exporter.log" 2>&1 &
PIDS[node_exporter]=$!

cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $TMP/rules.yml
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['$NODE_ADDR']
EOF
"$PROM" --config.file="$TMP/prometheus.yml" \
	--storage.tsdb.path="$TMP/prom-data" \
	--web.listen-address="$PROM_ADDR" \
	>"$TMP/prometheus.log" 2>&1 &
PIDS[prometheus]=$!

# ---------------------------------------------------------------- checks

# The driver's lines, numbered here; its last is "ok - driver finished".
shopt -s lastpipe
last=
python3 tests/prom/e2e_driver.py --textdir "$TEXTDIR" --node "$NODE_ADDR" \
	--scale "$SCALE" --clockctl "$CLOCKCTL" --dashboard "$DASHBOARD" \
	--pidfile "$TMP/writer.pid" --since "$t" -- "${WRITER[@]}" 2>&1 |
while IFS= read -r line; do
	case $line in
	"ok - "*) ok "${line#ok - }" ;;
	"not ok - "*) not_ok "${line#not ok - }" ;;
	*) echo "$line" ;;
	esac
	last=$line
done
drc=${PIPESTATUS[0]}
[[ $last == "ok - driver finished" ]]
verdict "driver: ran to its end (exit status $drc)" \
	"@$TMP/prometheus.log" "@$TMP/node_exporter.log"

# ---------------------------------------------------------------- tear down

for k in prometheus node_exporter; do
	stop "$k"
done

restore_clock
off1=$(offs_real)
read -r _ tai1 status1 <<<"$("$CLOCKCTL" state)"
tai1=${tai1#tai=}
rmmod tsmon
verdict "module unloaded"
[[ $off1 == "$OFF0" && $tai1 == "$TAI0" && $status1 == "status=$TX_STATUS" ]]
verdict "clock state restored (REALTIME - MONOTONIC, TAI, NTP status)" \
	"off by $((off1 - OFF0)) ns, TAI $tai1, $status1 (was TAI $TAI0, status=$TX_STATUS)"

mapfile -t problems < <(grep -v '^#' tests/vm/problems.txt)
pargs=()
for p in "${problems[@]}"; do pargs+=(-e "$p"); done
dmesg | tail -n +"$((dmesg_before + 1))" >"$TMP/dmesg"
! grep -E "${pargs[@]}" "$TMP/dmesg" >"$TMP/problems"
verdict "the kernel log is clean" "@$TMP/problems"

echo "# whole run in the guest: $(since "$T_START") s"
echo "1..$n"
if ((failed)); then
	echo "# $failed of $n checks failed"
	exit 1
fi
exit 0
