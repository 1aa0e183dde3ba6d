#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/cli/test_check.sh - tsmon check against generated region files
#
# usage: tests/cli/test_check.sh [TSMON]
#
# Every exit status of the monitoring-plugin convention (0 OK, 1 WARNING,
# 2 CRITICAL, 3 UNKNOWN) is reached and asserted, with the verdict line,
# its perfdata and the --json object. TAP output; exit status 0 when every
# check passed, 1 otherwise, 77 when a prerequisite is missing.

cd "$(dirname "$0")/../.." || exit 1

. tests/cli/host.sh "$@"

# The line: TSMON STATE - summary | perfdata, each perfdata item
# label=value[s];warn;crit;min with U for an unknown value.
NUM='[0-9]+(\.[0-9]+)?'
PERF="bound=(U|${NUM}s);($NUM)?;($NUM)?;0 step_age=(U|${NUM}s);($NUM:)?;($NUM:)?;0 sync_age=(U|${NUM}s);;;0"
LINE_RE="^TSMON (OK|WARNING|CRITICAL|UNKNOWN) - [^|]+ \| $PERF\$"

# verdict DESC CODE REGEX ARGS...: `tsmon check ARGS` exits CODE with one
# line of the plugin format matching REGEX (ERE) and nothing on stderr
verdict()
{
	local desc=$1 code=$2 re=$3

	shift 3
	run "$@"
	if [ "$rc" -ne "$code" ]; then
		not_ok "$desc: exit $code" "status $rc" "$out" "$err"
	elif [ "$(wc -l <<<"$out")" -ne 1 ] || ! grep -qE -- "$LINE_RE" <<<"$out"; then
		not_ok "$desc: exit $code" "not one plugin line: $out"
	elif ! grep -qE -- "$re" <<<"$out"; then
		not_ok "$desc: exit $code" "no match for: $re" "in: $out"
	elif [ -n "$err" ]; then
		not_ok "$desc: exit $code" "stderr: $err"
	else
		ok "$desc: exit $code"
	fi
}

# json DESC CODE PYTHON ARGS...: `tsmon check --json ARGS` exits CODE with
# one object (o) for which PYTHON holds
json()
{
	local desc=$1 code=$2 py=$3 msg

	shift 3
	run "$@" --json
	if [ "$rc" -ne "$code" ]; then
		not_ok "$desc: exit $code" "status $rc" "$out" "$err"
		return
	fi
	if msg=$(python3 -c "
import json, sys
o = json.load(sys.stdin)
assert o['code'] == $code, o
assert o['status'] == ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'][$code], o
$py
" <<<"$out" 2>&1); then
		ok "$desc: exit $code"
	else
		not_ok "$desc: exit $code" "$(tail -n 1 <<<"$msg")" "$out"
	fi
}

# ---------------------------------------------------------------- regions

# Synchronized: a sync update 1 s ago with maxerror 1.5 ms, a -250 ms step
# 20 s ago, the timekeeper, adjtimex and settime hooks.
SYNC_ARGS=(-H 7 -S 0x2001 -n state=ok -n captures=5 -n capture_ago=1000000000
	-n syncs=5 -n sync_ago=1000000000 -n sync_maxerror=1500000
	-n sync_interval=16000000000)
RS=$TMP/sync.bin
mkregion "${SYNC_ARGS[@]}" "$RS" clock_step,delta=-250000000,ago=20000000000
# The same, stepped 1 s ago: within the 5 s cooldown, DISRUPTED.
RD=$TMP/disrupted.bin
mkregion "${SYNC_ARGS[@]}" "$RD" clock_step,delta=3000,ago=1000000000
# Unsynchronised (STA_UNSYNC): FREE_RUNNING, and no bound.
RF=$TMP/free.bin
mkregion -H 7 -S 0x2041 -n state=ok -n captures=5 -n capture_ago=1000000000 \
	"$RF"
# No adjtimex hook: the clock state cannot be known.
RN=$TMP/nohook.bin
mkregion -H 1 "$RN"
# No adjtimex call since load: no daemon disciplines the clock.
RC=$TMP/nocapture.bin
mkregion -H 7 "$RC"
# Probe misses: hooks attached, calls missed; then the NTP state forgotten.
RM=$TMP/missed.bin
mkregion "${SYNC_ARGS[@]}" -n probes_missed=3 -n probes_missed_ntp=1 \
	-n ntp_lost=1 "$RM"
RL=$TMP/lost.bin
mkregion "${SYNC_ARGS[@]}" -n state=unknown -n probes_missed=3 \
	-n probes_missed_ntp=1 -n ntp_lost=1 "$RL"
# A step whose CLOCK_MONOTONIC lies ahead of now: from another boot.
RA=$TMP/another.bin
mkregion "${SYNC_ARGS[@]}" "$RA" clock_step,delta=1,mono=999999999999999999,real=1

# ---------------------------------------------------------------- OK

verdict "synchronized, no thresholds" 0 \
	'^TSMON OK - bound 1\.5[0-9]* ms, synchronized, last step [0-9.]+s ago \(-250 ms\) \| ' \
	-d "$RS" check
verdict "exact perfdata with --drift 0" 0 \
	'\| bound=0\.0015s;0\.0016;0\.002;0 step_age=2[0-9]\.[0-9]+s;15:;10:;0 sync_age=1\.[0-9]+s;;;0$' \
	-d "$RS" check --drift 0 --warn-bound 1.6ms --max-bound 2ms \
	--warn-step-age 15s --max-step-age 10s --require-sync
verdict "thresholds met" 0 '^TSMON OK - bound 1\.5 ms, synchronized, last step [0-9.]+s ago \(-250 ms\), hooks attached \|' \
	-d "$RS" check --drift 0 --max-bound 10ms --warn-bound 2ms \
	--max-step-age 5s --warn-step-age 10s --require-sync --require-hooks
verdict "no step since load" 0 ', no step since load \| .* step_age=U;' \
	-d "$RC" check --max-step-age 1h
verdict "the clock state alone is not a check" 0 '^TSMON OK - no bound, free running \(' \
	-d "$RF" check

# ---------------------------------------------------------------- WARNING

verdict "probe misses with --require-hooks" 1 \
	', hooks attached, 3 probe misses: events may be missing \|' \
	-d "$RM" check --require-hooks

verdict "bound above --warn-bound" 1 \
	'^TSMON WARNING - bound 1\.5 ms > 1ms, ' \
	-d "$RS" check --drift 0 --warn-bound 1ms --max-bound 10ms
verdict "step more recent than --warn-step-age" 1 \
	'last step [0-9.]+s ago \(-250 ms\) < 1h \|' \
	-d "$RS" check --warn-step-age 1h --max-step-age 10s
verdict "DISRUPTED with --require-sync" 1 \
	'^TSMON WARNING - bound [0-9.]+ [mu]?s, disrupted \(cooldown\), ' \
	-d "$RD" check --require-sync
verdict "no bound and only --warn-bound" 1 '^TSMON WARNING - no bound, ' \
	-d "$RF" check --warn-bound 1s
# --cooldown is a duration; a plain number is seconds
verdict "--cooldown 5s as --cooldown 5" 1 \
	'^TSMON WARNING - bound [0-9.]+ [mu]?s, disrupted \(cooldown\), ' \
	-d "$RD" check --require-sync --cooldown 5s
verdict "--cooldown 500ms: the step is past it" 0 \
	'^TSMON OK - bound [0-9.]+ [mu]?s, synchronized, ' \
	-d "$RD" check --require-sync --cooldown 500ms

# ---------------------------------------------------------------- CRITICAL

verdict "bound above --max-bound" 2 '^TSMON CRITICAL - bound 1\.5 ms > 1ms, ' \
	-d "$RS" check --drift 0 --max-bound 1ms --warn-bound 500us
verdict "no bound with --max-bound" 2 '^TSMON CRITICAL - no bound, .*bound=U;;1;0 ' \
	-d "$RF" check --max-bound 1s
verdict "step more recent than --max-step-age" 2 \
	'last step [0-9.]+s ago \(\+3 us\) < 1m \|' \
	-d "$RD" check --max-step-age 1m
verdict "FREE_RUNNING with --require-sync" 2 \
	'^TSMON CRITICAL - no bound, free running \(no sync update, unsynchronised, unbounded\), no step since load \|' \
	-d "$RF" check --require-sync
verdict "no adjtimex call with --require-sync" 2 \
	'^TSMON CRITICAL - no bound, unknown \(no capture, ' \
	-d "$RC" check --require-sync
verdict "hooks missing" 2 ', hooks missing: adjtimex settime \|' \
	-d "$RN" check --require-hooks
verdict "--require-hooks=all" 2 'hooks missing: phc_adj phc_event phc_life \|' \
	-d "$RS" check --require-hooks=all
verdict "--require-hooks=phc_adj" 2 'hooks missing: phc_adj \|' \
	-d "$RS" check --require-hooks=phc_adj,timekeeper
verdict "NTP state forgotten after a probe miss" 2 \
	', NTP state unknown after 1 probe misses, until the next adjtimex call \|' \
	-d "$RL" check --require-hooks
verdict "probe misses without --require-hooks" 0 '^TSMON OK - ' -d "$RM" check
verdict "CRITICAL outranks WARNING" 2 '^TSMON CRITICAL - bound 1\.5 ms > 1ms, .*< 1h \|' \
	-d "$RS" check --drift 0 --max-bound 1ms --warn-step-age 1h
verdict "CRITICAL outranks UNKNOWN" 2 '^TSMON CRITICAL - .*unknown \(no hook' \
	-d "$RN" check --require-sync --max-bound 1ms

# ---------------------------------------------------------------- UNKNOWN

verdict "no adjtimex hook with --require-sync" 3 \
	'^TSMON UNKNOWN - no bound, unknown \(no hook, ' \
	-d "$RN" check --require-sync
verdict "step of another boot with --max-step-age" 3 \
	'last step at an unknown time \(\+1 ns\) \| .*step_age=U;;60:;0' \
	-d "$RA" check --max-step-age 1m
verdict "WARNING outranks UNKNOWN" 1 '^TSMON WARNING - ' \
	-d "$RN" check --require-sync --warn-bound 1ms

# Nothing to check: the line alone, on stdout, the reason in it.
nodata()
{
	local desc=$1 want=$2

	shift 2
	run "$@"
	[ "$rc" -eq 3 ] && [ "$out" = "$want" ] &&
		ok "$desc: exit 3" || not_ok "$desc: exit 3" "status $rc" "$out" "$err"
}
nodata "missing device" "TSMON UNKNOWN - cannot open $TMP/none: No such file or directory" \
	-d "$TMP/none" check
mkregion -V 2 "$TMP/abi.bin"
nodata "ABI mismatch" "TSMON UNKNOWN - cannot open $TMP/abi.bin: Protocol not supported: ABI version mismatch (module is newer/older than this tool)" \
	-d "$TMP/abi.bin" check
mkregion -X 0x1234 "$TMP/magic.bin"
nodata "not a region" "TSMON UNKNOWN - cannot open $TMP/magic.bin: Bad message: not a tsmon region (bad magic or layout)" \
	-d "$TMP/magic.bin" check

BAD="TSMON UNKNOWN - invalid arguments, see 'tsmon check --help'"
for args in "--max-bound" "--max-bound 1x" "--max-bound 1.5ns" \
	    "--max-bound -1s" "--max-bound 1e3s" "--max-bound 1.s" \
	    "--max-bound .5s" "--max-bound ms" "--max-bound 99999999999999d" \
	    "--warn-bound 2ms --max-bound 1ms" \
	    "--warn-step-age 1m --max-step-age 1h" \
	    "--require-hooks=bogus" "--require-sync=1" "--frobnicate" "extra" \
	    "--drift fast" "--cooldown 5x" "--cooldown 5."; do
	# shellcheck disable=SC2086 # split into arguments on purpose
	nodata "usage: $args" "$BAD" -d "$RS" check $args
done
run -d "$RS" check --require-hooks=bogus
[[ $err == "tsmon check: unknown hook 'bogus'; valid: all timekeeper adjtimex settime phc_adj phc_event phc_life"* ]] &&
	ok "unknown hook named, the valid ones listed" ||
	not_ok "unknown hook named, the valid ones listed" "$err"
run check --help
[ "$rc" -eq 0 ] && [[ $out == *"--max-step-age DUR"* ]] &&
	ok "--help: exit 0" || not_ok "--help: exit 0" "status $rc"

# ---------------------------------------------------------------- durations

# DUR forms, exactly: the critical threshold comes back in ns, and in the
# verdict in the same syntax.
for pair in 500us:500000:500us 2ms:2000000:2ms 1.5s:1500000000:1500ms \
	    10m:600000000000:10m 1h:3600000000000:1h 1d:86400000000000:1d \
	    5:5000000000:5s 1.5ms:1500000:1500us 0.000000001s:1:1ns \
	    2min:120000000000:2m 90s:90000000000:90s 1.25us:1250:1250ns \
	    7ns:7:7ns; do
	IFS=: read -r dur ns text <<<"$pair"
	run -d "$RF" check --json --max-bound "$dur"
	if python3 -c "
import json, sys
o = json.load(sys.stdin)
b = o['checks'][0]
assert b['crit_ns'] == $ns, b
assert b['message'] == 'no bound', b" <<<"$out" 2>/dev/null; then
		ok "--max-bound $dur is $ns ns"
	else
		not_ok "--max-bound $dur is $ns ns" "$out" "$err"
	fi
	run -d "$RS" check --max-step-age "$dur" --drift 0 --max-bound 1ns
	[[ $out == *"bound 1.5 ms > 1ns, "* && ( $out == *" < $text |"* ||
	   $out == *"ago (-250 ms) |"* ) ]] &&
		ok "--max-step-age $dur shown as $text" ||
		not_ok "--max-step-age $dur shown as $text" "$out"
done

# ---------------------------------------------------------------- JSON

json "JSON: OK, every check with its values" 0 "
assert [c['name'] for c in o['checks']] == ['bound', 'sync', 'step', 'hooks'], o
b, s, st, h = o['checks']
assert b == {'name': 'bound', 'status': 'OK', 'code': 0,
	     'message': 'bound 1.5 ms', 'value_ns': 1500000,
	     'warn_ns': 1000000000, 'crit_ns': 2000000000}, b
assert s['clock'] == 'synchronized' and s['flags'] == [] and s['required'], s
assert 1000000000 <= s['sync_age_ns'] < 60 * 10**9, s
assert st['delta_ns'] == -250000000 and st['crit_ns'] == 5 * 10**9, st
assert 20 * 10**9 <= st['value_ns'] < 80 * 10**9 and st['warn_ns'] is None, st
assert h['required'] == ['timekeeper', 'adjtimex', 'settime'], h
assert h['missing'] == [] and h['message'] == 'hooks attached', h
assert o['summary'].startswith('bound 1.5 ms, synchronized, last step '), o" \
	-d "$RS" check --drift 0 --max-bound 2s --warn-bound 1s \
	--max-step-age 5s --require-sync --require-hooks
json "JSON: CRITICAL, the failing check and the others" 2 "
b, s, st, h = o['checks']
assert (b['code'], s['code'], st['code'], h['code']) == (2, 2, 0, 2), o
assert b['value_ns'] is None and b['crit_ns'] == 1000, b
assert s['clock'] == 'free_running' and 'unsync' in s['flags'], s
assert s['sync_age_ns'] is None, s
assert st['value_ns'] is None and st['delta_ns'] is None, st
assert h['missing'] == ['phc_adj', 'phc_event', 'phc_life'], h" \
	-d "$RF" check --max-bound 1us --require-sync --require-hooks=all
json "JSON: UNKNOWN when the device is missing" 3 "
assert o['checks'] == [], o
assert o['summary'].startswith('cannot open '), o" \
	-d "$TMP/none" check

# ---------------------------------------------------------------- valgrind

if command -v valgrind >/dev/null; then
	for args in "$RS check --json --require-hooks=all --max-bound 1ms" \
		    "$RF check --require-sync" "$TMP/none check"; do
		# shellcheck disable=SC2086
		valgrind -q --leak-check=full --show-leak-kinds=all \
			--errors-for-leak-kinds=all --error-exitcode=99 \
			"$TSMON" -d $args >/dev/null 2>"$TMP/vg"
		st=$?
		[ "$st" -ne 99 ] && [ ! -s "$TMP/vg" ] &&
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
