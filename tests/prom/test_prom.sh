#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/prom/test_prom.sh - tsmon status --prometheus and tsmon prometheus
# against generated region files
#
# usage: tests/prom/test_prom.sh [TSMON]
#
# Every exposition is read by tests/prom/parse.py (strict grammar and lint,
# always) and by `promtool check metrics` when build/prom/usr/bin/promtool
# is there (tests/prom/fetch-promtool.sh puts it there); any complaint of
# either fails the check. Values are compared exactly with `tsmon status
# --json` of the same region. TAP output; exit status 0 when every check
# passed, 1 otherwise, 77 when a prerequisite is missing.

cd "$(dirname "$0")/../.." || exit 1

PROMTOOL=${PROMTOOL:-build/prom/usr/bin/promtool}

. tests/cli/host.sh "$@"

if [ -x "$PROMTOOL" ] && "$PROMTOOL" --version >/dev/null 2>&1; then
	echo "# promtool: $("$PROMTOOL" --version 2>&1 | head -n 1)"
else
	PROMTOOL=
	echo "# promtool not available: the strict parser alone checks"
fi

# valid DESC TEXT: TEXT passes the strict parser and promtool
valid()
{
	local msg

	if msg=$(python3 tests/prom/parse.py <<<"$2" 2>&1); then
		ok "$1: strict parser"
	else
		not_ok "$1: strict parser" "$msg" "$2"
	fi
	if [ -z "$PROMTOOL" ]; then
		ok "$1: promtool # SKIP promtool not available"
		return
	fi
	# promtool exits 0 and prints nothing only when it has no complaint
	if msg=$("$PROMTOOL" check metrics <<<"$2" 2>&1) && [ -z "$msg" ]; then
		ok "$1: promtool check metrics"
	else
		not_ok "$1: promtool check metrics" "$msg" "$2"
	fi
}

# metrics NAME: the parsed exposition in $out, as JSON, into env NAME
metrics()
{
	local m

	m=$(python3 tests/prom/parse.py --json <<<"$out" 2>/dev/null)
	export "$1=$m"
}

now_mono()
{
	python3 -c 'import time; print(time.clock_gettime_ns(time.CLOCK_MONOTONIC))'
}

# Shared by the value checks: P (parsed exposition) and S (status --json).
PY_COMMON='
from decimal import Decimal
fam = json.loads(env["P"])["families"]
s = json.loads(env["S"]) if env.get("S") else None
def one(name):
	(labels, v), = fam[name]["samples"]
	assert labels == {}, labels
	return v
def ns(v):
	d = Decimal(v) * 10**9
	assert d == int(d), v
	return int(d)
'

# ---------------------------------------------------------------- usage

usage_case()
{
	local desc=$1

	shift
	run "$@"
	if [ "$rc" -eq 2 ] && [ -z "$out" ]; then
		ok "usage error: $desc"
	else
		not_ok "usage error: $desc" "status $rc" "$out" "$err"
	fi
}

R0=$TMP/empty.bin
mkregion "$R0"
usage_case "status --json with --prometheus" -d "$R0" status --json --prometheus
expect_py "status: --json and --prometheus named" "
assert 'exclude each other' in '''$err'''"
usage_case "prometheus --interval 0" -d "$R0" prometheus --textfile "$TMP" \
	--interval 0
usage_case "prometheus --interval with a bad unit" -d "$R0" prometheus \
	--textfile "$TMP" --interval 5x
usage_case "prometheus --interval without --textfile" -d "$R0" prometheus \
	--interval 5s
usage_case "prometheus --once without --textfile" -d "$R0" prometheus --once
usage_case "prometheus with an argument" -d "$R0" prometheus extra
usage_case "prometheus --textfile ''" -d "$R0" prometheus --textfile ''
run prometheus --help
[ "$rc" -eq 0 ] && [[ $out == *"--textfile DIR"* ]]
expect_py "prometheus --help" "assert $rc == 0"
run status --help
[[ $out == *"--prometheus"* ]] && ok "status --help documents --prometheus" ||
	not_ok "status --help documents --prometheus" "$out"

# ---------------------------------------------------------------- empty

run -d "$R0" status --prometheus
[ "$rc" -eq 0 ] && ok "empty region: exit 0" || not_ok "empty region: exit 0" "$err"
valid "empty region" "$out"
P_EMPTY=$out
metrics P
expect_py "empty region: nothing unknown is made up" "$PY_COMMON
assert one('tsmon_up') == '1'
assert one('tsmon_bound_seconds') == '+Inf', one('tsmon_bound_seconds')
assert one('tsmon_sync_state') == '0'
(l, v), = fam['tsmon_sync_state_info']['samples']
assert l == {'state': 'unknown', 'flags': 'no_hook,no_capture,no_sync,unbounded'}, l
for gone in ('tsmon_seconds_since_last_step', 'tsmon_sync_age_seconds',
	     'tsmon_timex_offset_seconds', 'tsmon_timex_sync_status',
	     'tsmon_ntp_capture_age_seconds', 'tsmon_phc_steps_total',
	     'tsmon_phc_frequency_adjustment_ratio',
	     'tsmon_phc_frequency_updates_total',
	     'tsmon_lost_events_total'):
	assert gone not in fam, gone
assert one('tsmon_timex_tai_offset_seconds') == '0'
assert one('tsmon_steps_total') == '0' and one('tsmon_leap_pending') == '0'
assert not any(n.startswith('node_') for n in fam)
assert one('tsmon_probe_misses_total') == '0'
assert one('tsmon_ntp_state_lost_total') == '0'"

# ---------------------------------------------------------------- probe misses

mkregion -H 7 -n probes_missed=5 -n probes_missed_ntp=2 -n ntp_lost=1 \
	"$TMP/missed.bin"
run -d "$TMP/missed.bin" status --prometheus
valid "probe misses" "$out"
metrics P
expect_py "probe misses: three counters" "$PY_COMMON
assert fam['tsmon_probe_misses_total']['type'] == 'counter'
assert one('tsmon_probe_misses_total') == '5'
assert one('tsmon_probe_misses_ntp_total') == '2'
assert one('tsmon_ntp_state_lost_total') == '1'"
mkregion -H 7 -z sync_flags "$TMP/oldmiss.bin"
run -d "$TMP/oldmiss.bin" status --prometheus
metrics P
expect_py "probe misses: absent from an older module's block" "$PY_COMMON
assert 'tsmon_probe_misses_total' not in fam"

# ---------------------------------------------------------------- NTP

# Synchronized: an adjtimex call 1.25 s ago, a sync update 1 s ago, a step
# 20 s ago, two PHCs, one leap second applied, a pending deletion.
NTP_ARGS=(-H 63 -S 0x2001 -T 37 -n state=ok -n captures=57
	-n capture_ago=1250000000 -n modes=0x201f -n maxerror=2500000
	-n esterror=12000 -n offset=-25500 -n freq=-12345 -n constant=7
	-n tick=10000 -n syncs=42 -n sync_ago=1000000000
	-n sync_maxerror=1500000 -n sync_esterror=11000
	-n sync_interval=64000000000
	-p index=0,name=e1000e,steps=3,step_ago=5000000000,freq=-2500,freq_updates=7
	-p index=2,name=ptp_kvm,steps=1)
R1=$TMP/ntp.bin
mkregion "${NTP_ARGS[@]}" "$R1" \
	clock_step,delta=-250000000,ago=20000000000 \
	leap_applied,dir=insert,before=36,after=37,ago=19000000000 \
	ntp_unsync,status=0x2041,ago=18000000000 \
	ntp_sync,status=0x2001,ago=17000000000 \
	tai_change,before=37,after=37,ago=16000000000 \
	'phc_pps,index=0*3'
run -d "$R1" status --json --drift 0
S=$out
export T0=$(now_mono)
run -d "$R1" status --prometheus --drift 0
export T1=$(now_mono)
[ "$rc" -eq 0 ] && ok "synchronized: exit 0" || not_ok "synchronized: exit 0" "$err"
valid "synchronized" "$out"
metrics P
export S
expect_py "synchronized: the timex gauges, exact, node_exporter units" "$PY_COMMON
n = s['ntp']
assert one('tsmon_timex_offset_seconds') == '-0.0000255'
assert ns(one('tsmon_timex_offset_seconds')) == n['offset_ns']
assert ns(one('tsmon_timex_maxerror_seconds')) == n['maxerror_ns']
assert ns(one('tsmon_timex_estimated_error_seconds')) == n['esterror_ns']
assert one('tsmon_timex_status') == str(n['status'])
assert one('tsmon_timex_sync_status') == '1'
assert one('tsmon_timex_loop_time_constant') == str(n['constant'])
assert ns(one('tsmon_timex_tick_seconds')) == n['tick_us'] * 1000
# 1 + freq: the ratio a clock running 12.345 ppm slow is corrected by
assert ns(one('tsmon_timex_frequency_adjustment_ratio')) == 10**9 + n['freq_ppb']
assert one('tsmon_timex_frequency_adjustment_ratio') == '0.999987655'
assert one('tsmon_timex_tai_offset_seconds') == str(s['tai_offset']) == '37'"
expect_py "synchronized: bound, state and ages" "$PY_COMMON
c = s['clock']
assert ns(one('tsmon_bound_seconds')) == c['bound_ns'] == 1500000
assert one('tsmon_sync_state') == '1'
(l, v), = fam['tsmon_sync_state_info']['samples']
assert l == {'state': 'synchronized', 'flags': ''} and v == '1', l
t0, t1 = int(env['T0']), int(env['T1'])
age = ns(one('tsmon_seconds_since_last_step'))
assert t0 - s['last_step']['mono_ns'] <= age <= t1 - s['last_step']['mono_ns'], age
sync = ns(one('tsmon_sync_age_seconds'))
assert t0 - s['ntp']['sync_mono_ns'] <= sync <= t1 - s['ntp']['sync_mono_ns'], sync
cap = ns(one('tsmon_ntp_capture_age_seconds'))
assert cap - sync == s['ntp']['sync_mono_ns'] - s['ntp']['capture_mono_ns'], (cap, sync)"
expect_py "synchronized: counters follow the event counts" "$PY_COMMON
ev = {l['type']: int(v) for l, v in fam['tsmon_events_total']['samples']}
assert ev == s['event_counts'], (ev, s['event_counts'])
assert one('tsmon_steps_total') == '1'
assert one('tsmon_leap_seconds_total') == '1'
assert one('tsmon_ntp_sync_losses_total') == '1'
assert ev['phc_pps'] == 3 and ev['ntp_sync'] == 1
phc = {l['phc']: v for l, v in fam['tsmon_phc_steps_total']['samples']}
assert phc == {'ptp0': '3', 'ptp2': '1'}, phc
assert [p['steps'] for p in s['phcs']] == [3, 1]
freq = {l['phc']: v for l, v in fam['tsmon_phc_frequency_adjustment_ratio']['samples']}
assert freq == {'ptp0': '0.9999975', 'ptp2': '1'}, freq
upd = {l['phc']: v for l, v in fam['tsmon_phc_frequency_updates_total']['samples']}
assert upd == {'ptp0': '7', 'ptp2': '0'}, upd
assert 'tsmon_lost_events_total' not in fam"
expect_py "synchronized: tsmon_info and tsmon_up" "$PY_COMMON
import platform
(l, v), = fam['tsmon_info']['samples']
assert l == {'version': open('VERSION').read().strip(),
	     'kernel': platform.release()} and v == '1', l
assert one('tsmon_up') == '1'"

# A bounded clock with drift: the bound grows at 50 ppm from the sync update.
run -d "$R1" status --prometheus
metrics P
expect_py "default drift: bound = maxerror + 50 ppm of the sync age" "$PY_COMMON
b, a = ns(one('tsmon_bound_seconds')), ns(one('tsmon_sync_age_seconds'))
assert b == 1500000 + a * 50000 // 10**9, (b, a)"

# ---------------------------------------------------------------- states

# Unsynchronised, a pending insertion, a step in another boot (later
# CLOCK_MONOTONIC than now), a type newer than this tool.
mkregion -H 7 -S 0x2041 -n state=ins -n captures=3 -n capture_ago=1000 \
	-L insert@4102444800000000000 "$TMP/unsync.bin" 21
run -d "$TMP/unsync.bin" status --prometheus
valid "unsynchronised" "$out"
metrics P
expect_py "unsynchronised: sync status 0, free running, insertion" "$PY_COMMON
assert one('tsmon_timex_sync_status') == '0'
assert one('tsmon_sync_state') == '2'
(l, v), = fam['tsmon_sync_state_info']['samples']
assert l['state'] == 'free_running' and 'unsync' in l['flags'].split(','), l
assert one('tsmon_leap_pending') == '1'
ev = {l['type']: v for l, v in fam['tsmon_events_total']['samples']}
assert ev['type_21'] == '1', ev"
mkregion "$TMP/future.bin" clock_step,delta=7,mono=999999999999999999,real=1
run -d "$TMP/future.bin" status --prometheus
valid "a step of another boot" "$out"
metrics P
expect_py "a step of another boot: counted, no age" "$PY_COMMON
assert one('tsmon_steps_total') == '1'
assert 'tsmon_seconds_since_last_step' not in fam"
mkregion -L delete@4102444800000000000 "$TMP/del.bin"
run -d "$TMP/del.bin" status --prometheus
valid "pending deletion" "$out"
metrics P
expect_py "pending deletion: -1" "$PY_COMMON
assert one('tsmon_leap_pending') == '-1'"

# ---------------------------------------------------------------- down

run -d "$TMP/missing" status --prometheus
[ "$rc" -eq 1 ] && ok "missing device: exit 1" || not_ok "missing device: exit 1" "status $rc"
[[ $err == "tsmon: cannot open $TMP/missing: No such file or directory" ]] &&
	ok "missing device: explained on stderr" ||
	not_ok "missing device: explained on stderr" "$err"
valid "missing device" "$out"
metrics P
expect_py "missing device: tsmon_up 0 and tsmon_info only" "$PY_COMMON
assert sorted(fam) == ['tsmon_info', 'tsmon_up'], sorted(fam)
assert one('tsmon_up') == '0'"
mkregion -V 2 "$TMP/abi.bin"
run -d "$TMP/abi.bin" status --prometheus
[ "$rc" -eq 1 ] && [[ $out == *"tsmon_up 0"* ]] &&
	ok "ABI mismatch: tsmon_up 0, exit 1" ||
	not_ok "ABI mismatch: tsmon_up 0, exit 1" "status $rc" "$out"

# ---------------------------------------------------------------- textfile

D=$TMP/textfile
mkdir "$D"
run -d "$R1" prometheus --textfile "$D" --once --drift 0
[ "$rc" -eq 0 ] && [ -z "$out" ] && [ -z "$err" ] &&
	ok "--once: exit 0, silent" || not_ok "--once: exit 0, silent" "status $rc" "$out" "$err"
[ "$(stat -c %a "$D/tsmon.prom")" = 644 ] &&
	ok "--once: tsmon.prom is 0644 (node_exporter reads it as another user)" ||
	not_ok "--once: tsmon.prom is 0644" "$(stat -c %a "$D/tsmon.prom")"
[ "$(ls -A "$D")" = tsmon.prom ] && ok "--once: no temporary file left" ||
	not_ok "--once: no temporary file left" "$(ls -A "$D")"
out=$(cat "$D/tsmon.prom")
valid "textfile" "$out"
metrics P
PF=$P
run -d "$R1" status --prometheus --drift 0
metrics P
export PF
expect_py "textfile: the same metrics as status --prometheus" '
a = json.loads(env["P"])["families"]
b = json.loads(env["PF"])["families"]
assert list(a) == list(b), (list(a), list(b))
moving = {"tsmon_seconds_since_last_step", "tsmon_sync_age_seconds",
	  "tsmon_ntp_capture_age_seconds"}
for k in set(a) - moving:
	assert a[k] == b[k], (k, a[k], b[k])'

run -d "$TMP/missing" prometheus --textfile "$D" --once
[ "$rc" -eq 1 ] && grep -qx 'tsmon_up 0' "$D/tsmon.prom" &&
	ok "--once, no device: tsmon_up 0 written, exit 1" ||
	not_ok "--once, no device: tsmon_up 0 written, exit 1" "status $rc" \
		"$(cat "$D/tsmon.prom")"

run -d "$R1" prometheus --textfile "$TMP/nodir" --once
[ "$rc" -eq 1 ] && [ "$err" = "tsmon prometheus: $TMP/nodir: No such file or directory" ] &&
	ok "missing DIR: exit 1, explained" ||
	not_ok "missing DIR: exit 1, explained" "status $rc" "$err"
run -d "$R1" prometheus --textfile "$R1" --once
[ "$rc" -eq 1 ] && [ "$err" = "tsmon prometheus: $R1: Not a directory" ] &&
	ok "DIR a file: exit 1, explained" ||
	not_ok "DIR a file: exit 1, explained" "status $rc" "$err"
# root may write anywhere on a writable filesystem: /proc takes no files
run -d "$R1" prometheus --textfile /proc --once
[ "$rc" -eq 1 ] && [[ $err == "tsmon prometheus: cannot create a file in /proc: "* ]] &&
	ok "unwritable DIR: exit 1, explained" ||
	not_ok "unwritable DIR: exit 1, explained" "status $rc" "$err"
run -d "$R1" prometheus --textfile /proc
[ "$rc" -eq 1 ] && ok "unwritable DIR: the feed does not start" ||
	not_ok "unwritable DIR: the feed does not start" "status $rc"

# wait_file PATTERN: until tsmon.prom has a line matching PATTERN (20 s)
wait_file()
{
	local _

	for _ in $(seq 200); do
		grep -qE "$1" "$D/tsmon.prom" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# The feed: a record appended to the region is in the file long before
# the hour-long interval would have rewritten it.
R2=$TMP/feed.bin
mkregion "$R2" clock_step,delta=1
rm -f "$D/tsmon.prom"
"$TSMON" -d "$R2" prometheus --textfile "$D" --interval 1h \
	>"$TMP/feed.out" 2>"$TMP/feed.err" &
pid=$!
wait_file '^tsmon_steps_total 1$'
expect_py "feed: first file written at start" "assert $? == 0"
mkregion -a "$R2" clock_step,delta=2 clock_step,delta=3
wait_file '^tsmon_steps_total 3$'
expect_py "feed: rewritten on new records, not on the interval" "assert $? == 0"
out=$(cat "$D/tsmon.prom")
valid "feed" "$out"
kill -TERM "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 0 ] && [ ! -s "$TMP/feed.out" ] && [ ! -s "$TMP/feed.err" ] &&
	ok "feed: SIGTERM ends it with status 0, silently" ||
	not_ok "feed: SIGTERM ends it with status 0, silently" "status $rc" \
		"$(cat "$TMP/feed.out" "$TMP/feed.err")"
[ -z "$(ls -A "$D")" ] && ok "feed: tsmon.prom removed at exit, no temporary left" ||
	not_ok "feed: tsmon.prom removed at exit, no temporary left" "$(ls -A "$D")"

# The interval alone rewrites it: the sync age moves with no record.
mkregion "${NTP_ARGS[@]}" "$R2"
"$TSMON" -d "$R2" prometheus --textfile "$D" --interval 200ms \
	2>"$TMP/feed.err" &
pid=$!
wait_file '^tsmon_sync_age_seconds '
first=$(grep '^tsmon_sync_age_seconds ' "$D/tsmon.prom")
for _ in $(seq 200); do
	now=$(grep '^tsmon_sync_age_seconds ' "$D/tsmon.prom")
	[ -n "$now" ] && [ "$now" != "$first" ] && break
	sleep 0.1
done
[ -n "$now" ] && [ "$now" != "$first" ] &&
	ok "interval: rewritten with no record ($first -> $now)" ||
	not_ok "interval: rewritten with no record" "$first" "$now"
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 0 ] && ok "interval: SIGINT ends it with status 0" ||
	not_ok "interval: SIGINT ends it with status 0" "status $rc" "$(cat "$TMP/feed.err")"

# A device that comes later: tsmon_up 0 until then, said once.
"$TSMON" -d "$TMP/later.bin" prometheus --textfile "$D" --interval 100ms \
	2>"$TMP/feed.err" &
pid=$!
wait_file '^tsmon_up 0$'
expect_py "no device yet: tsmon_up 0" "assert $? == 0"
cp "$R1" "$TMP/later.bin"
wait_file '^tsmon_up 1$'
expect_py "device appears: tsmon_up 1" "assert $? == 0"
kill -TERM "$pid"
wait "$pid"
err=$(cat "$TMP/feed.err")
[ "$err" = "tsmon: cannot open $TMP/later.bin: No such file or directory
tsmon prometheus: $TMP/later.bin is back" ] &&
	ok "no device yet: reported once, and its return" ||
	not_ok "no device yet: reported once, and its return" "$err"

# ---------------------------------------------------------------- valgrind

if command -v valgrind >/dev/null; then
	for args in "$R1 status --prometheus" "$R0 status --prometheus" \
		    "$TMP/missing status --prometheus" \
		    "$R1 prometheus --textfile $D --once" "$R1 prometheus"; do
		# shellcheck disable=SC2086
		valgrind -q --leak-check=full --show-leak-kinds=all \
			--errors-for-leak-kinds=all --error-exitcode=99 \
			"$TSMON" -d $args >/dev/null 2>"$TMP/vg"
		st=$?
		[ "$st" -ne 99 ] && ! grep -q '^==' "$TMP/vg" &&
			ok "valgrind: $args clean" ||
			not_ok "valgrind: $args clean" "$(cat "$TMP/vg")"
	done
else
	ok "# SKIP valgrind not installed"
fi

echo "1..$n"
if [ "$failed" -ne 0 ]; then
	echo "# $failed of $n checks failed"
	exit 1
fi
exit 0
