#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/cli/test_cli.sh - the tsmon command against generated region files
#
# usage: tests/cli/test_cli.sh [TSMON]
#
# Runs build/tsmon (or TSMON) on the host: no module is needed, the regions
# are written by tests/cli/mkregion.c, which this script builds into
# build/tests/cli/. Output is TAP; the exit status is 0 when every check
# passed, 1 otherwise, 77 when a prerequisite is missing.

cd "$(dirname "$0")/../.." || exit 1

. tests/cli/host.sh "$@"

# expect_rc DESC CODE
expect_rc()
{
	if [ "$rc" -eq "$2" ]; then
		ok "$1"
	else
		not_ok "$1" "exit status $rc, expected $2" "stderr: $err"
	fi
}

# expect_in DESC TEXT NEEDLE: TEXT contains NEEDLE (fixed string)
expect_in()
{
	if grep -qF -- "$3" <<<"$2"; then
		ok "$1"
	else
		not_ok "$1" "missing: $3" "in: $2"
	fi
}

# expect_line DESC TEXT REGEX: some line of TEXT matches REGEX (ERE)
expect_line()
{
	if grep -qE -- "$3" <<<"$2"; then
		ok "$1"
	else
		not_ok "$1" "no line matches: $3" "in: $2"
	fi
}

# expect_json DESC PYTHON: runs PYTHON with `recs` bound to the list of
# objects in $out (one per line) and `env` to os.environ; any exception,
# including a failed assert or invalid JSON, fails the check.
expect_json()
{
	local msg

	if msg=$(python3 -c "
import json, os, sys
recs = [json.loads(l) for l in sys.stdin]
env = os.environ
$2
" <<<"$out" 2>&1); then
		ok "$1"
	else
		not_ok "$1" "$(tail -n 1 <<<"$msg")" "output: $out"
	fi
}

now_ns()
{
	python3 -c 'import time; print(time.time_ns())'
}

# ---------------------------------------------------------------- basics

version=$(cat VERSION)
run --version
expect_rc "--version exits 0" 0
[ "$out" = "tsmon $version" ] && ok "--version prints 'tsmon $version'" ||
	not_ok "--version prints 'tsmon $version'" "got: $out"

run --help
expect_rc "--help exits 0" 0
expect_line "--help lists status" "$out" '^  status '
expect_line "--help lists ring" "$out" '^  ring '
expect_line "--help lists events" "$out" '^  events '
expect_line "--help lists config" "$out" '^  config '
run ring --help
expect_rc "ring --help exits 0" 0
expect_in "ring --help documents --follow" "$out" "--follow"
# No subcommand takes operands; check's usage errors are UNKNOWN (3).
for sub in status:2 ring:2 events:2 config:2 prometheus:2 check:3; do
	run "${sub%%:*}" extra
	expect_rc "${sub%%:*} with an operand: usage error" "${sub#*:}"
	expect_in "${sub%%:*} with an operand: says which" "$err" \
		"tsmon ${sub%%:*}: unexpected argument 'extra'"
done
run status --help
expect_rc "status --help exits 0" 0
expect_in "status --help documents --drift" "$out" "--drift PPB|kernel"
expect_in "status --help documents --cooldown" "$out" "--cooldown SECONDS"
expect_in "status --help documents --netlink" "$out" "--netlink"
run events --help
expect_rc "events --help exits 0" 0
for opt in --json "--since SEQ" --all "--type T" "--count N" \
	   "--timeout SECONDS"; do
	expect_in "events --help documents $opt" "$out" "$opt"
done
run config --help
expect_rc "config --help exits 0" 0
expect_in "config --help documents --phc-freq-threshold" "$out" \
	"--phc-freq-threshold PPB"
expect_in "config --help documents --phc-freq-interval" "$out" \
	"--phc-freq-interval MS"

# ---------------------------------------------------------------- usage

usage_case()
{
	local desc=$1

	shift
	run "$@"
	expect_rc "usage error: $desc" 2
	if [ -n "$out" ]; then
		not_ok "usage error prints nothing on stdout: $desc" "$out"
	fi
}

R0=$TMP/empty.bin
mkregion "$R0"
usage_case "no command"
usage_case "unknown command" -d "$R0" frobnicate
usage_case "unknown global option" --frobnicate status
usage_case "--device without a path" --device
usage_case "status with an argument" -d "$R0" status extra
usage_case "status unknown option" -d "$R0" status --frobnicate
expect_in "unknown option is named" "$err" \
	"tsmon status: unrecognized option '--frobnicate'"
usage_case "status --drift not a number" -d "$R0" status --drift fast
expect_in "bad --drift is named" "$err" "'fast'"
usage_case "status --drift over 100%" -d "$R0" status --drift 1000000001
usage_case "status --drift negative" -d "$R0" status --drift -1
usage_case "status --cooldown negative" -d "$R0" status --cooldown -1
usage_case "status --cooldown with an unknown unit" -d "$R0" \
	status --cooldown 5x
expect_in "bad --cooldown is named" "$err" \
	"tsmon status: --cooldown needs a duration (such as 500us, 2ms, 1.5s, 10m or 1h), not '5x'"
usage_case "status --cooldown without digits after ." -d "$R0" \
	status --cooldown 5.
usage_case "status --cooldown below 1 ns" -d "$R0" \
	status --cooldown 0.0000000001
usage_case "status --cooldown overflowing" -d "$R0" \
	status --cooldown 18446744074
usage_case "ring --json with a value" -d "$R0" ring --json=1
expect_in "option that takes no value is named" "$err" \
	"tsmon ring: option '--json'"
usage_case "ring --since 0" -d "$R0" ring --since 0
usage_case "ring --since not a number" -d "$R0" ring --since 1x
usage_case "ring --last negative" -d "$R0" ring --last -1
usage_case "ring --since with --last" -d "$R0" ring --since 1 --last 2
usage_case "ring --type with an empty name" -d "$R0" ring --type clock_step,
usage_case "ring --type unknown" -d "$R0" ring --type clock_step,bogus
expect_in "unknown type is named" "$err" "'bogus'"
ALL_TYPES="clock_step leap_armed leap_disarmed leap_applied tai_change
	   clocksource_change resume lost ntp_sync ntp_unsync ntp_mode
	   ntp_state phc_step phc_freq phc_phase phc_extts phc_pps phc_add
	   phc_remove vm_disruption"
for t in $ALL_TYPES; do
	expect_in "unknown type error lists $t" "$err" " $t"
done
# events and config parse their options before they look for the module
usage_case "events with an argument" events extra
usage_case "events --since 0" events --since 0
usage_case "events --since not a number" events --since x
usage_case "events --since with --all" events --since 3 --all
expect_in "events: --since and --all named" "$err" \
	"--since and --all exclude each other"
usage_case "events --count 0" events --count 0
usage_case "events --count negative" events --count -2
usage_case "events --timeout with an unknown unit" events --timeout 10x
usage_case "events --timeout negative" events --timeout -1
usage_case "events --type unknown" events --type phc_step,bogus
expect_in "events: unknown type is named" "$err" \
	"tsmon events: unknown event type 'bogus'; valid:"
usage_case "status --netlink with a value" status --netlink=1
usage_case "config with an argument" config extra
usage_case "config --phc-freq-threshold not a number" config \
	--phc-freq-threshold 1k
usage_case "config --phc-freq-threshold negative" config \
	--phc-freq-threshold -1
usage_case "config --phc-freq-interval over 32 bits" config \
	--phc-freq-interval 4294967296
expect_in "config: bad value named" "$err" \
	"tsmon config: --phc-freq-interval needs a number from 0 to 4294967295, not '4294967296'"

# ---------------------------------------------------------------- open errors

run -d "$TMP/missing" status
expect_rc "missing region: exit 1" 1
expect_in "missing region: errno text" "$err" \
	"tsmon: cannot open $TMP/missing: No such file or directory"
if grep -q modprobe <<<"$err"; then
	not_ok "a path given with --device gets no module hint" "$err"
else
	ok "a path given with --device gets no module hint"
fi

if [ ! -e /dev/tsmon ]; then
	run status
	expect_rc "no module: exit 1" 1
	expect_in "no module: hint" "$err" \
		"tsmon: cannot open /dev/tsmon: No such file or directory (is the tsmon module loaded? try: modprobe tsmon)"
else
	ok "# SKIP /dev/tsmon exists: module-not-loaded message not tested"
fi

# The netlink commands need the module's family, never the device: a
# --device path that does not exist changes nothing.
NO_FAMILY="tsmon: tsmon netlink family not found (is the tsmon module loaded? try: modprobe tsmon)"
if [ ! -e /sys/module/tsmon ]; then
	for cmd in "events" "events --json --all" "status --netlink" "config" \
		   "config --phc-freq-threshold 5"; do
		# shellcheck disable=SC2086 # split into arguments on purpose
		run -d "$TMP/missing" $cmd
		expect_rc "no module: $cmd exits 1" 1
		[ "$err" = "$NO_FAMILY" ] && ok "no module: $cmd explained" ||
			not_ok "no module: $cmd explained" "stderr: $err"
		[ -z "$out" ] && ok "no module: $cmd prints nothing" ||
			not_ok "no module: $cmd prints nothing" "$out"
	done
else
	ok "# SKIP the tsmon module is loaded: family-not-found not tested"
fi

mkregion -X 0x1234 "$TMP/magic.bin"
run -d "$TMP/magic.bin" status
expect_rc "bad magic: exit 1" 1
expect_in "bad magic: explained" "$err" \
	"not a tsmon region (bad magic or layout)"

mkregion -t 2048 "$TMP/short.bin"
run -d "$TMP/short.bin" ring
expect_rc "truncated region: exit 1" 1
expect_in "truncated region: explained" "$err" "not a tsmon region"

mkregion -V 2 "$TMP/abi.bin"
run -d "$TMP/abi.bin" status
expect_rc "other ABI version: exit 1" 1
expect_in "other ABI version: explained" "$err" "ABI version mismatch"

# ---------------------------------------------------------------- empty region

run -d "$R0" status
expect_rc "empty region: status exits 0" 0
expect_line "empty region: no last step" "$out" '^last step +none$'
expect_line "empty region: no leap" "$out" '^leap second +none$'
expect_line "empty region: head 0" "$out" \
	'^ring +64 entries of 64 bytes, head 0$'
run -d "$R0" status --json
expect_json "empty region: status JSON" '
(s,) = recs
assert s["last_step"] is None, s["last_step"]
assert s["head"] == 0 and s["ring_entries"] == 64
assert s["leap_state"] == "none" and s["leap_real_ns"] == 0
assert s["clocksource"] is None
assert s["hooks"] == ["timekeeper"]
assert s["ntp_status"] is None and s["ntp_status_flags"] is None
assert all(v == 0 for v in s["event_counts"].values())
# no adjtimex hook: nothing about NTP is known, not even a count
assert set(s["ntp"].values()) == {None}, s["ntp"]
assert s["disruption"] is None
c = s["clock"]
assert c["status"] == "unknown", c
assert c["flags"] == ["no_hook", "no_capture", "no_sync", "unbounded"], c
assert c["bound_ns"] is None and c["sync_age_ns"] is None, c
assert c["earliest_ns"] is None and c["latest_ns"] is None, c
assert c["real_ns"] - c["mono_ns"] == s["offs_real_ns"], c
assert c["drift_ppb"] == 50000 and c["cooldown_ns"] == 5000000000, c
assert s["phcs"] == [] and s["phc_overflow"] == 0, s
# the record limits are only known over netlink
assert s["phc_freq_threshold_ppb"] is None, s
assert s["phc_freq_interval_ms"] is None, s'
# --cooldown takes a duration like the other options; a plain number is
# seconds, as it always was
for arg in 5s 5 5000ms 5000000us; do
	run -d "$R0" status --json --cooldown "$arg"
	expect_json "--cooldown $arg is 5 s" '
assert recs[0]["clock"]["cooldown_ns"] == 5000000000, recs[0]["clock"]'
done
run -d "$R0" status --cooldown 250ms
expect_line "--cooldown 250ms shown in seconds" "$out" \
	'^ +drift 50\.000 ppm, cooldown 0\.25s$'
run -d "$R0" status
expect_line "empty region: no PHC" "$out" '^phcs +none$'
expect_line "empty region: clock status and why" "$out" \
	'^clock +UNKNOWN \(no hook, no capture, no sync update, unbounded\)$'
expect_line "empty region: unbounded" "$out" '^bound +unbounded$'
if grep -qE '^(earliest|latest) ' <<<"$out"; then
	not_ok "empty region: no earliest/latest without a bound" "$out"
else
	ok "empty region: no earliest/latest without a bound"
fi
expect_line "empty region: no disruption" "$out" '^last disruption +none$'
run -d "$R0" ring
expect_rc "empty region: ring exits 0" 0
[ -z "$out" ] && ok "empty region: ring prints nothing" ||
	not_ok "empty region: ring prints nothing" "$out"

# ---------------------------------------------------------------- status

# A region in which every event type appears once, and the health block
# both follows them (clocksource, TAI, last step, pending leap, NTP status
# and state, last disruption, REALTIME - MONOTONIC) and carries values
# given directly (hooks, frequency, multipliers).
export INSTANCE=18364758544493064720	# > 2^63: must survive exactly
export LEAP_INS=1798761600000000000	# 2027-01-01T00:00:00Z
export LEAP_DEL=1798761599000000000	# 2026-12-31T23:59:59Z
export STEP_REAL=1798761600123456789
export STA=$((0x0001 | 0x0040 | 0x2000))	# PLL UNSYNC NANO
export OFFS=1000000000000000000
R1=$TMP/all.bin
mkregion -i "$INSTANCE" -H 63 -c tsc -T 36 -S 0x41 -F -12345 \
	-m 4194253:4194304:22 -n state=ok -n offs_real=$OFFS "$R1" \
	clocksource_change,from=tsc,to=hpet \
	tai_change,before=36,after=37 \
	leap_armed,at=$LEAP_INS,dir=insert \
	clock_step,delta=-250000000,reason=setoffset,real=$STEP_REAL \
	resume,sleep=12500000000 \
	leap_disarmed,at=$LEAP_INS,dir=insert \
	leap_applied,dir=insert,before=37,after=38 \
	leap_armed,at=$LEAP_DEL,dir=delete \
	42,mono=5,real=6 \
	ntp_mode,before=0x41,after=0x2041 \
	ntp_sync,status=0x2001,maxerror=1500000,esterror=12000 \
	ntp_state,before=ok,after=ins \
	ntp_unsync,status=$STA,maxerror=16000000000,esterror=16000000000

run -d "$R1" status
expect_rc "status exits 0" 0
expect_line "status: instance in hex" "$out" \
	'^instance +0xfedcba9876543210 \(abi 1\)$'
expect_line "status: load time in UTC with ns" "$out" \
	'^loaded at +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z'
expect_line "status: ring and head" "$out" \
	'^ring +64 entries of 64 bytes, head 13$'
expect_line "status: hooks" "$out" \
	'^hooks +timekeeper adjtimex settime phc_adj phc_event phc_life$'
expect_line "status: clocksource follows the last change" "$out" \
	'^clocksource +hpet$'
expect_line "status: TAI follows the leap" "$out" '^tai offset +38 s$'
expect_line "status: pending deletion labelled 23:59:59" "$out" \
	'^leap second +deletion pending at 2026-12-31T23:59:59Z \((in|.* ago)'
expect_line "status: NTP bits decoded" "$out" \
	'^ntp status +0x2041 PLL UNSYNC NANO$'
expect_line "status: NTP state follows ntp_state records" "$out" \
	'^ntp state +ins \(leap second insertion at midnight UTC\)$'
expect_line "status: no adjtimex call counted" "$out" '^ntp captures +0$'
expect_line "status: no sync update" "$out" '^sync updates +none$'
expect_line "status: last disruption is the leap" "$out" \
	'^last disruption +leap_applied, [0-9.]+s ago$'
expect_line "status: REALTIME - MONOTONIC after a step and a leap" "$out" \
	'^real - mono +\+999999998\.750000000s$'
expect_line "status: last step time, seq" "$out" \
	'^last step +2027-01-01T00:00:00\.123456789Z.*, seq 4$'
expect_line "status: last step delta" "$out" \
	'^ +delta -250 ms \(-250000000 ns\), reason setoffset$'
expect_line "status: frequency" "$out" \
	'^frequency +-12\.345 ppm \(-12345 ppb\)$'
expect_line "status: multipliers" "$out" \
	'^ +tk_mult 4194253, cs_mult 4194304, cs_shift 22$'
expect_line "status: count of leap_armed" "$out" '^ +leap_armed +2$'
expect_line "status: count of resume" "$out" '^ +resume +1$'

run -d "$R1" status --json
expect_rc "status --json exits 0" 0
expect_json "status --json: one object with the region's values" '
(s,) = recs
assert s["abi_version"] == 1
assert s["instance_id"] == int(env["INSTANCE"]), s["instance_id"]
assert s["ring_entries"] == 64 and s["record_size"] == 64
assert s["head"] == 13
assert s["hooks"] == ["timekeeper", "adjtimex", "settime", "phc_adj",
	"phc_event", "phc_life"]
assert s["clocksource"] == "hpet"
assert s["tai_offset"] == 38
assert s["leap_state"] == "delete_pending"
assert s["leap_real_ns"] == int(env["LEAP_DEL"])
assert s["ntp_status"] == int(env["STA"])
assert s["ntp_status_flags"] == ["PLL", "UNSYNC", "NANO"]
ls = s["last_step"]
assert ls["seq"] == 4 and ls["delta_ns"] == -250000000
assert ls["real_ns"] == int(env["STEP_REAL"]) and ls["reason"] == "setoffset"
assert s["freq_ppb"] == -12345
assert (s["tk_mult"], s["cs_mult"], s["cs_shift"]) == (4194253, 4194304, 22)
assert s["event_counts"] == {"clock_step": 1, "leap_armed": 2,
	"leap_disarmed": 1, "leap_applied": 1, "tai_change": 1,
	"clocksource_change": 1, "resume": 1, "ntp_sync": 1, "ntp_unsync": 1,
	"ntp_mode": 1, "ntp_state": 1, "phc_step": 0, "phc_freq": 0,
	"phc_phase": 0, "phc_extts": 0, "phc_pps": 0, "phc_add": 0,
	"phc_remove": 0, "vm_disruption": 0}, s["event_counts"]
n = s["ntp"]
assert n["state"] == "ins" and n["captures"] == 0 and n["syncs"] == 0, n
assert {k for k, v in n.items() if v is not None} == \
	{"state", "captures", "syncs"}, n
assert s["disruption"]["type"] == "leap_applied", s["disruption"]
# -250 ms step, then an inserted second
assert s["offs_real_ns"] == int(env["OFFS"]) - 1250000000, s["offs_real_ns"]
c = s["clock"]
assert c["real_ns"] - c["mono_ns"] == s["offs_real_ns"], c
assert s["load_real_ns"] > 0 and s["load_mono_ns"] > 0
for k, v in s.items():
	assert not isinstance(v, float), k'

# The time left until a pending leap comes from CLOCK_REALTIME now.
soon=$(( $(now_ns) + (3 * 3600 + 2 * 60 + 30) * 1000000000 ))
mkregion -L insert@$soon "$TMP/soon.bin"
run -d "$TMP/soon.bin" status
expect_line "status: time left until the leap" "$out" \
	'^leap second +insertion pending at .* \(in 3h 2m\)$'
mkregion -L insert@$LEAP_INS "$TMP/ins.bin"
run -d "$TMP/ins.bin" status
expect_line "status: pending insertion labelled 23:59:60" "$out" \
	'^leap second +insertion pending at 2026-12-31T23:59:60Z \('
run -d "$TMP/ins.bin" status --json
expect_json "status --json: insert_pending" '
(s,) = recs
assert s["leap_state"] == "insert_pending"
assert s["leap_real_ns"] == int(env["LEAP_INS"])'

mkregion -H 1 -S 0x2001 "$TMP/noadj.bin"
run -d "$TMP/noadj.bin" status
expect_line "status: NTP bits unknown without the adjtimex hook" "$out" \
	'^ntp status +unknown \(adjtimex hook not attached\)$'
if grep -qE '^(ntp state|ntp captures|sync updates) ' <<<"$out"; then
	not_ok "status: no NTP details without the adjtimex hook" "$out"
else
	ok "status: no NTP details without the adjtimex hook"
fi
expect_line "status: missing hooks named" "$out" \
	'^hooks +timekeeper \(not attached: adjtimex settime phc_adj phc_event phc_life\)$'
expect_line "status: no probe misses" "$out" '^probe misses +none$'

# Probe misses: counted, and the NTP state forgotten once.
mkregion -H 7 -n probes_missed=5 -n probes_missed_ntp=2 -n ntp_lost=1 \
	"$TMP/missed.bin"
run -d "$TMP/missed.bin" status
expect_line "status: probe misses" "$out" \
	'^probe misses +5 \(NTP shadow 2, NTP state forgotten 1 times\): events may be missing$'
run -d "$TMP/missed.bin" status --json
expect_json "status --json: probe misses" '
(s,) = recs
assert (s["probes_missed"], s["probes_missed_ntp"], s["ntp_lost"]) == (5, 2, 1), s'
mkregion -H 7 -z sync_flags -n probes_missed=5 "$TMP/oldmiss.bin"
run -d "$TMP/oldmiss.bin" status
expect_line "status: a module that does not count misses" "$out" \
	'^probe misses +not counted by this module$'
run -d "$TMP/oldmiss.bin" status --json
expect_json "status --json: misses null from an older module" '
(s,) = recs
assert s["probes_missed"] is None and s["ntp_lost"] is None, s'

# The keys of status --json are a stable interface: all of them, in order.
run -d "$R1" status --json
expect_json "status --json: top-level keys" '
(s,) = recs
assert list(s) == ["abi_version", "instance_id", "load_real_ns",
	"load_mono_ns", "ring_entries", "record_size", "head", "hooks",
	"probes_missed", "probes_missed_ntp", "ntp_lost", "clocksource", "tai_offset", "leap_state", "leap_real_ns",
	"ntp_status", "ntp_status_flags", "ntp", "last_step", "disruption",
	"freq_ppb", "tk_mult", "cs_mult", "cs_shift", "event_counts",
	"update_mono_ns", "offs_real_ns", "clock", "phcs", "phc_overflow",
	"phc_freq_threshold_ppb", "phc_freq_interval_ms", "vm"], list(s)
assert list(s["ntp"]) == ["state", "captures", "capture_mono_ns",
	"capture_modes", "capture_mode_flags", "status", "status_flags",
	"maxerror_ns", "esterror_ns", "offset_ns", "freq_ppb", "constant",
	"tick_us", "syncs", "sync_mono_ns", "sync_maxerror_ns",
	"sync_error_unknown", "sync_offset_ns", "sync_flags", "sync_budget_ns",
	"sync_esterror_ns", "sync_interval_ns", "sync_last_interval_ns"]
assert list(s["clock"]) == ["status", "flags", "real_ns", "mono_ns",
	"bound_ns", "earliest_ns", "latest_ns", "sync_age_ns", "drift_ppb",
	"cooldown_ns"]
assert list(s["vm"]) == ["state", "marker", "disruptions",
	"disruption_mono_ns", "seq_count", "clock_status", "counter",
	"time_type", "leap_indicator", "flags", "flag_names", "disruption_soon",
	"disruption_imminent", "tai_offset_valid", "tai_offset", "gen_counter",
	"time"], list(s["vm"])'

# ---------------------------------------------------------------- ring

run -d "$R1" ring
expect_rc "ring exits 0" 0
[ "$(wc -l <<<"$out")" -eq 13 ] && ok "ring: one line per record" ||
	not_ok "ring: one line per record" "$out"
expect_line "ring: clock_step" "$out" \
	'^ +4  2027-01-01T00:00:00\.123456789Z +[0-9]+\.[0-9]{9}  clock_step +delta=-0\.250000000s \(-250000000 ns\) reason=setoffset$'
expect_line "ring: leap insertion labelled 23:59:60" "$out" \
	' leap_armed +leap at 2026-12-31T23:59:60Z direction=insert$'
expect_line "ring: leap deletion labelled 23:59:59" "$out" \
	' leap_armed +leap at 2026-12-31T23:59:59Z direction=delete$'
expect_line "ring: leap_disarmed" "$out" \
	' leap_disarmed +leap at 2026-12-31T23:59:60Z direction=insert$'
expect_line "ring: leap_applied" "$out" \
	' leap_applied +direction=insert tai 37 -> 38$'
expect_line "ring: tai_change" "$out" ' tai_change +tai 36 -> 37$'
expect_line "ring: clocksource_change" "$out" \
	' clocksource_change clocksource tsc -> hpet$'
expect_line "ring: resume" "$out" ' resume +slept 12\.5s$'
expect_line "ring: unknown type" "$out" \
	'^ +9  1970-01-01T00:00:00\.000000006Z +0\.000000005  unknown +type_id=42$'
expect_line "ring: ntp_mode with the bits that changed" "$out" \
	'^ +10  [0-9T:.Z-]+ +[0-9.]+  ntp_mode +PLL,UNSYNC -> PLL,UNSYNC,NANO \(\+NANO\)$'
expect_line "ring: ntp_sync" "$out" \
	' ntp_sync +status=0x2001 \[PLL NANO\] maxerror=0\.001500s esterror=0\.000012s$'
expect_line "ring: ntp_state" "$out" ' ntp_state +ok -> ins$'
expect_line "ring: ntp_unsync" "$out" \
	' ntp_unsync +status=0x2041 \[PLL UNSYNC NANO\] maxerror=16\.000000s esterror=16\.000000s$'

run -d "$R1" ring --json
expect_rc "ring --json exits 0" 0
expect_json "ring --json: every type with its fields" '
want = [
	{"type": "clocksource_change", "from": "tsc", "to": "hpet"},
	{"type": "tai_change", "tai_before": 36, "tai_after": 37},
	{"type": "leap_armed", "leap_real_ns": int(env["LEAP_INS"]),
	 "direction": "insert"},
	{"type": "clock_step", "delta_ns": -250000000, "reason": "setoffset",
	 "real_ns": int(env["STEP_REAL"])},
	{"type": "resume", "sleep_ns": 12500000000},
	{"type": "leap_disarmed", "leap_real_ns": int(env["LEAP_INS"]),
	 "direction": "insert"},
	{"type": "leap_applied", "direction": "insert", "tai_before": 37,
	 "tai_after": 38},
	{"type": "leap_armed", "leap_real_ns": int(env["LEAP_DEL"]),
	 "direction": "delete"},
	{"type": "unknown", "type_id": 42, "mono_ns": 5, "real_ns": 6},
	{"type": "ntp_mode", "status_before": 0x41, "status_after": 0x2041,
	 "flags_before": ["PLL", "UNSYNC"],
	 "flags_after": ["PLL", "UNSYNC", "NANO"]},
	{"type": "ntp_sync", "status": 0x2001, "status_flags": ["PLL", "NANO"],
	 "maxerror_ns": 1500000, "esterror_ns": 12000},
	{"type": "ntp_state", "state_before": "ok", "state_after": "ins"},
	{"type": "ntp_unsync", "status": int(env["STA"]),
	 "status_flags": ["PLL", "UNSYNC", "NANO"],
	 "maxerror_ns": 16000000000, "esterror_ns": 16000000000},
]
assert len(recs) == len(want), len(recs)
for i, (r, w) in enumerate(zip(recs, want)):
	assert list(r)[:2] == ["seq", "type"], r
	assert r["seq"] == i + 1, r
	for k, v in w.items():
		assert r[k] == v, (k, r)
	common = {"seq", "type", "mono_ns", "real_ns", "type_id"}
	assert set(r) - common == set(w) - common, r'

# status and ring describe the same region: cross-check them
run -d "$R1" ring --json
ring_json=$out
run -d "$R1" status --json
export RING_JSON=$ring_json
expect_json "status agrees with the ring" '
(s,) = recs
ring = [json.loads(l) for l in env["RING_JSON"].splitlines()]
steps = [r for r in ring if r["type"] == "clock_step"]
assert s["last_step"]["seq"] == steps[-1]["seq"]
assert s["last_step"]["mono_ns"] == steps[-1]["mono_ns"]
for name, n in s["event_counts"].items():
	assert n == sum(r["type"] == name for r in ring), name
assert s["head"] == ring[-1]["seq"]
kinds = {"clock_step", "leap_applied", "resume", "clocksource_change"}
last = [r for r in ring if r["type"] in kinds][-1]
assert s["disruption"] == {"type": last["type"], "mono_ns": last["mono_ns"]}
ntp = [r for r in ring if r["type"] in ("ntp_sync", "ntp_unsync")]
assert s["ntp_status"] == ntp[-1]["status"]
assert s["ntp_status_flags"] == ntp[-1]["status_flags"]
states = [r for r in ring if r["type"] == "ntp_state"]
assert s["ntp"]["state"] == states[-1]["state_after"]'

# Values without a name: time_state beyond TIME_WAIT or never seen, STA_*
# bits above STA_CLK.
mkregion "$TMP/odd.bin" ntp_state,before=unknown,after=7 \
	ntp_mode,before=0x1,after=0x10001 ntp_mode,before=0,after=0
run -d "$TMP/odd.bin" ring --json
expect_json "ring --json: unnamed states and bits" '
a, b, c = recs
assert (a["state_before"], a["state_after"]) == ("unknown", "unknown"), a
assert b["flags_before"] == ["PLL"], b
assert b["flags_after"] == ["PLL", "bit16"], b
assert c["flags_before"] == [] and c["flags_after"] == [], c'
run -d "$TMP/odd.bin" ring
expect_line "ring: unnamed states" "$out" ' ntp_state +unknown -> unknown$'
expect_line "ring: unnamed STA bit" "$out" \
	' ntp_mode +PLL -> PLL,bit16 \(\+bit16\)$'
expect_line "ring: ntp_mode without a change" "$out" \
	' ntp_mode +none -> none$'
run -d "$R1" ring --json --type ntp_sync,ntp_unsync
expect_json "ring --type with NTP types" '
assert [r["seq"] for r in recs] == [11, 13], recs'

# ---------------------------------------------------------------- NTP and clock

# now_mono: CLOCK_MONOTONIC, which python reads with the same clock_gettime
# tsmon and mkregion use.
now_mono()
{
	python3 -c 'import time; print(time.clock_gettime_ns(time.CLOCK_MONOTONIC))'
}

# An adjtimex call 1.25 s ago that was a sync update 1 s ago (the daemon
# reports a measurement every 64 s); the last step 20 s ago, before it.
export MAXERR=1500000
NTP_ARGS=(-H 7 -S 0x2001 -n state=ok -n captures=57
	-n capture_ago=1250000000 -n modes=0x201f -n maxerror=2500000
	-n esterror=12000 -n offset=-25500 -n freq=-12345 -n constant=7
	-n tick=10000 -n syncs=42 -n sync_ago=1000000000
	-n sync_maxerror=$MAXERR -n sync_esterror=11000
	-n sync_interval=64000000000 -n sync_last_interval=63000000000)
R6=$TMP/ntp.bin
export T0=$(now_mono)
mkregion "${NTP_ARGS[@]}" "$R6" clock_step,delta=5,ago=20000000000
run -d "$R6" status --json
export T1=$(now_mono)
expect_rc "synchronized: status --json exits 0" 0
expect_json "synchronized: the NTP state as captured" '
(s,) = recs
n = s["ntp"]
want = {"state": "ok", "captures": 57, "capture_modes": 0x201f,
	"capture_mode_flags": ["OFFSET", "FREQUENCY", "MAXERROR", "ESTERROR",
			       "STATUS", "NANO"],
	"status": 0x2001, "status_flags": ["PLL", "NANO"],
	"maxerror_ns": 2500000, "esterror_ns": 12000, "offset_ns": -25500,
	"freq_ppb": -12345, "constant": 7, "tick_us": 10000, "syncs": 42,
	"sync_maxerror_ns": int(env["MAXERR"]), "sync_esterror_ns": 11000,
	"sync_interval_ns": 64000000000, "sync_last_interval_ns": 63000000000}
for k, v in want.items():
	assert n[k] == v, (k, n[k])
t0, t1 = int(env["T0"]), int(env["T1"])
assert t0 - 1250000000 <= n["capture_mono_ns"] <= t1 - 1250000000, n
assert t0 - 1000000000 <= n["sync_mono_ns"] <= t1 - 1000000000, n
assert n["capture_mono_ns"] + 250000000 == n["sync_mono_ns"], n'

# The bound grows from the reported maxerror at 50 ppm over the time since
# the sync update. That age is 1 s plus however long passed between
# mkregion reading CLOCK_MONOTONIC and tsmon reading it, and both reads lie
# between T0 and T1: so the age is known to within T1 - T0 with no guessed
# tolerance, and the bound must follow from it exactly (rounded down).
CLOCK_CHECK='
(s,) = recs
c = s["clock"]
t0, t1 = int(env["T0"]), int(env["T1"])
drift = int(env["DRIFT"])
assert c["status"] == "synchronized" and c["flags"] == [], c
assert t0 <= c["mono_ns"] <= t1, c
assert 1000000000 <= c["sync_age_ns"] <= 1000000000 + t1 - t0, c
assert c["mono_ns"] - c["sync_age_ns"] == s["ntp"]["sync_mono_ns"], c
assert c["drift_ppb"] == drift, c
assert c["bound_ns"] == int(env["MAXERR"]) + c["sync_age_ns"] * drift // 10**9, c
assert c["earliest_ns"] == c["real_ns"] - c["bound_ns"], c
assert c["latest_ns"] == c["real_ns"] + c["bound_ns"], c
assert c["real_ns"] - c["mono_ns"] == s["offs_real_ns"], c'
DRIFT=50000 expect_json "synchronized: bound at the default 50 ppm" \
	"$CLOCK_CHECK"
export T0=$(now_mono)
mkregion "${NTP_ARGS[@]}" "$R6"
run -d "$R6" status --json --drift kernel
export T1=$(now_mono)
DRIFT=500000 expect_json "synchronized: --drift kernel is 500 ppm" \
	"$CLOCK_CHECK"
run -d "$R6" status --json --drift 0
expect_json "synchronized: --drift 0" '
(s,) = recs
c = s["clock"]
assert c["bound_ns"] == int(env["MAXERR"]) and c["drift_ppb"] == 0, c'
run -d "$R6" status --json --drift 1000000000
expect_json "synchronized: --drift 1000000000 (100%) accepted" '
(s,) = recs
c = s["clock"]
assert c["bound_ns"] == int(env["MAXERR"]) + c["sync_age_ns"], c'

run -d "$R6" status --drift 0
expect_line "text: NTP state" "$out" \
	'^ntp state +ok \(no leap second pending\)$'
expect_line "text: captures and the age of the last" "$out" \
	'^ntp captures +57, last [0-9.]+s ago$'
expect_line "text: modes of the last call" "$out" \
	'^ +modes 0x201f: OFFSET FREQUENCY MAXERROR ESTERROR STATUS NANO$'
expect_line "text: maxerror" "$out" '^ntp maxerror +2\.5 ms \(2500000 ns\)$'
expect_line "text: esterror" "$out" '^ntp esterror +12 us \(12000 ns\)$'
expect_line "text: offset" "$out" '^ntp offset +-25\.5 us \(-25500 ns\)$'
expect_line "text: frequency" "$out" \
	'^ntp frequency +-12\.345 ppm \(-12345 ppb\)$'
expect_line "text: time constant" "$out" '^ntp constant +7$'
expect_line "text: tick" "$out" '^ntp tick +10000 us$'
expect_line "text: sync updates" "$out" '^sync updates +42, last [0-9.]+s ago$'
expect_line "text: sync update errors" "$out" \
	'^ +maxerror 1\.5 ms \(1500000 ns\), esterror 11 us \(11000 ns\)$'
expect_line "text: sync intervals" "$out" \
	'^ +interval 1m 4s \(longest of the last 8\), last 1m 3s$'
expect_line "text: clock synchronized" "$out" '^clock +SYNCHRONIZED$'
expect_line "text: clock model" "$out" \
	'^ +drift 0\.000 ppm, cooldown 5s$'
expect_line "text: bound" "$out" '^bound +\+/-1\.5 ms \(1500000 ns\)$'
expect_line "text: real time" "$out" \
	'^real time +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z$'
export STATUS_TEXT=$out
expect_py "text: earliest and latest are real time -/+ the bound" '
import datetime, re
def ns(label):
	m = re.search("^" + label + r" +(\S+)\.(\d{9})Z$", env["STATUS_TEXT"], re.M)
	t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
	t = t.replace(tzinfo=datetime.timezone.utc)
	return int(t.timestamp()) * 10**9 + int(m.group(2))
assert ns("earliest") == ns("real time") - 1500000, ns("earliest")
assert ns("latest") == ns("real time") + 1500000, ns("latest")'
run -d "$R6" status --drift kernel
expect_line "text: --drift kernel" "$out" \
	'^ +drift 500\.000 ppm, cooldown 5s$'
expect_line "text: bound in ms and exact ns" "$out" \
	'^bound +\+/-[0-9.]+ ms \([0-9]+ ns\)$'

# A read (modes 0), one sync update only: no interval known yet.
mkregion -H 7 -n state=ok -n captures=1 -n capture_ago=1000000000 \
	-n syncs=1 -n sync_ago=2000000000 -n sync_maxerror=1000 \
	"$TMP/read.bin"
run -d "$TMP/read.bin" status
expect_line "text: a read" "$out" '^ +modes 0 \(a read\)$'
expect_line "text: one sync update: no interval" "$out" \
	'^ +interval unknown \(one update so far\)$'
run -d "$TMP/read.bin" status --json
expect_json "one sync update: intervals null, not stale" '
(s,) = recs
n = s["ntp"]
assert n["capture_modes"] == 0 and n["capture_mode_flags"] == [], n
assert n["sync_interval_ns"] is None, n
assert n["sync_last_interval_ns"] is None, n
assert s["clock"]["status"] == "synchronized", s["clock"]'

# A source that asserted no error (maxerror 0), no budget: error unknown.
mkregion "${NTP_ARGS[@]}" -n sync_maxerror=18446744073709551615 \
	-n sync_flags=1 "$TMP/noerr.bin"
run -d "$TMP/noerr.bin" status --json
expect_json "maxerror 0, no budget: error unknown, no bound, not synchronized" '
(s,) = recs
n, c = s["ntp"], s["clock"]
assert n["sync_maxerror_ns"] is None and n["sync_error_unknown"] is True, n
assert n["sync_flags"] == ["zero_maxerror"] and n["sync_budget_ns"] == 0, n
assert c["status"] == "unknown" and c["bound_ns"] is None, c
assert c["flags"] == ["unbounded", "no_error"], c'
run -d "$TMP/noerr.bin" status
expect_line "text: error unknown" "$out" \
	'error unknown: the source set maxerror 0 and no budget is declared'
expect_line "text: no_error flag" "$out" 'source asserted no error'

# With a budget and a PLL offset folded in by the module.
mkregion "${NTP_ARGS[@]}" -n sync_maxerror=1500000 -n sync_budget=1000000 \
	-n sync_offset=500000 -n sync_flags=7 "$TMP/budget.bin"
run -d "$TMP/budget.bin" status --json
expect_json "budget and PLL offset: bounded, parts shown" '
(s,) = recs
n, c = s["ntp"], s["clock"]
assert n["sync_maxerror_ns"] == 1500000 and n["sync_error_unknown"] is False, n
assert n["sync_flags"] == ["zero_maxerror", "budget", "pll_offset"], n
assert n["sync_budget_ns"] == 1000000 and n["sync_offset_ns"] == 500000, n
assert c["status"] == "synchronized" and c["bound_ns"] >= 1500000, c'
run -d "$TMP/budget.bin" status
expect_line "text: budget stands in" "$out" 'budget 1 ms \(1000000 ns\) stands in'
expect_line "text: PLL offset included" "$out" 'includes the PLL offset still to slew'

# The adjtimex hook, but no call seen yet.
mkregion -H 7 "$TMP/nocall.bin"
run -d "$TMP/nocall.bin" status --json
expect_json "no adjtimex call: counts 0, values null, status unknown" '
(s,) = recs
n = s["ntp"]
assert n["captures"] == 0 and n["syncs"] == 0, n
assert {k for k, v in n.items() if v is not None} == {"captures", "syncs"}, n
c = s["clock"]
assert c["status"] == "unknown", c
assert c["flags"] == ["no_capture", "no_sync", "unbounded"], c'
run -d "$TMP/nocall.bin" status
expect_line "text: no adjtimex call" "$out" \
	'^ntp state +unknown \(no adjtimex call seen yet\)$'

# STA_UNSYNC / STA_CLOCKERR: free running, the bound still known.
for sta in 0x2041 0x3001; do
	mkregion "${NTP_ARGS[@]}" -S $sta "$TMP/unsync.bin"
	run -d "$TMP/unsync.bin" status --json
	expect_json "status $sta: free running, bounded" '
(s,) = recs
c = s["clock"]
assert c["status"] == "free_running" and c["flags"] == ["unsync"], c
assert c["bound_ns"] is not None, c'
done
run -d "$TMP/unsync.bin" status
expect_line "text: free running and why" "$out" \
	'^clock +FREE_RUNNING \(unsynchronised\)$'

# Stale: the last update is more than 4 intervals old (5 s > 4 x 1 s);
# 2 s is not (tsmon has 2 s to start for this to hold).
mkregion "${NTP_ARGS[@]}" -n sync_ago=5000000000 -n sync_interval=1000000000 \
	"$TMP/stale.bin"
run -d "$TMP/stale.bin" status --json
expect_json "stale sync update: free running" '
(s,) = recs
c = s["clock"]
assert c["status"] == "free_running" and c["flags"] == ["stale"], c'
run -d "$TMP/stale.bin" status
expect_line "text: stale" "$out" '^clock +FREE_RUNNING \(stale\)$'
mkregion "${NTP_ARGS[@]}" -n sync_ago=2000000000 -n sync_interval=1000000000 \
	"$TMP/fresh.bin"
run -d "$TMP/fresh.bin" status --json
expect_json "sync update within 4 intervals: synchronized" '
(s,) = recs
assert s["clock"]["status"] == "synchronized", s["clock"]'

# A step 1 s ago, after the sync update 2 s ago: disrupted for the 5 s
# cooldown (tsmon has 4 s to start for this to hold), and unbounded until
# the next sync update whatever the cooldown.
mkregion "${NTP_ARGS[@]}" -n sync_ago=2000000000 "$TMP/step.bin" \
	clock_step,delta=1000000,reason=settime,ago=1000000000
run -d "$TMP/step.bin" status --json
expect_json "step after the sync update: disrupted, unbounded" '
(s,) = recs
c = s["clock"]
assert c["status"] == "disrupted", c
assert c["flags"] == ["cooldown", "unbounded"], c
assert c["bound_ns"] is None and c["earliest_ns"] is None, c
assert c["latest_ns"] is None, c
d = s["disruption"]
assert d["type"] == "clock_step" and d["mono_ns"] == s["last_step"]["mono_ns"]'
run -d "$TMP/step.bin" status
expect_line "text: disrupted" "$out" '^clock +DISRUPTED \(cooldown, unbounded\)$'
expect_line "text: last disruption" "$out" \
	'^last disruption +clock_step, [0-9.]+s ago$'
# Past the cooldown the clock stays disrupted until a sync update measures
# it again: a caller that reads only the status must not trust it.
run -d "$TMP/step.bin" status --json --cooldown 0.5
expect_json "--cooldown 0.5: over, still disrupted and unbounded" '
(s,) = recs
c = s["clock"]
assert c["status"] == "disrupted" and c["flags"] == ["unbounded"], c
assert c["cooldown_ns"] == 500000000, c'
run -d "$TMP/step.bin" status --cooldown 0.5
expect_line "text: cooldown shown" "$out" \
	'^ +drift 50\.000 ppm, cooldown 0\.5s$'

# A leap second moves REALTIME by exactly one second: the bound stays.
mkregion "${NTP_ARGS[@]}" -n sync_ago=2000000000 "$TMP/leap.bin" \
	leap_applied,dir=insert,before=37,after=38,ago=1000000000
run -d "$TMP/leap.bin" status --json
expect_json "leap second after the sync update: disrupted, bounded" '
(s,) = recs
c = s["clock"]
assert c["status"] == "disrupted" and c["flags"] == ["cooldown"], c
assert c["bound_ns"] is not None, c
assert s["disruption"]["type"] == "leap_applied", s["disruption"]'
run -d "$TMP/leap.bin" status --json --cooldown 0
expect_json "--cooldown 0: never disrupted" '
(s,) = recs
assert s["clock"]["status"] == "synchronized", s["clock"]'

# A disruption of a type this version does not know.
mkregion -n disrupt_type=42 -n disrupt_ago=3000000000 "$TMP/dtype.bin"
run -d "$TMP/dtype.bin" status --json
expect_json "disruption of an unknown type" '
(s,) = recs
d = s["disruption"]
assert d["type"] == "unknown" and d["type_id"] == 42, d'
run -d "$TMP/dtype.bin" status
expect_line "text: disruption of an unknown type" "$out" \
	'^last disruption +type 42, [0-9.]+s ago$'

# ---------------------------------------------------------------- positions

# 100 records in a 64-entry ring: 1..36 are overwritten.
R2=$TMP/wrap.bin
mkregion -e 64 "$R2" "clock_step,delta=1000,reason=settime*50" \
	"resume,sleep=1*50"

run -d "$R2" ring --json
expect_json "ring: starts at the oldest record held, no loss" '
assert [r["seq"] for r in recs] == list(range(37, 101))'
run -d "$R2" ring --json --since 1
expect_json "ring --since: overwritten records reported as lost" '
assert recs[0] == {"seq": 1, "type": "lost", "mono_ns": 0, "real_ns": 0,
	"count": 36}, recs[0]
assert [r["seq"] for r in recs[1:]] == list(range(37, 101))'
run -d "$R2" ring --since 1
expect_line "ring --since: lost line in text" "$out" \
	'^ +1  - +-  lost +count=36$'
run -d "$R2" ring --json --since 90
expect_json "ring --since inside the ring" '
assert [r["seq"] for r in recs] == list(range(90, 101))'
run -d "$R2" ring --json --since 500
expect_rc "ring --since past the head exits 0" 0
[ -z "$out" ] && ok "ring --since past the head prints nothing" ||
	not_ok "ring --since past the head prints nothing" "$out"
run -d "$R2" ring --json --last 5
expect_json "ring --last 5" '
assert [r["seq"] for r in recs] == list(range(96, 101))'
run -d "$R2" ring --json --last 1000
expect_json "ring --last more than held: no lost marker" '
assert [r["seq"] for r in recs] == list(range(37, 101))'
run -d "$R2" ring --last 0
[ -z "$out" ] && ok "ring --last 0 prints nothing" ||
	not_ok "ring --last 0 prints nothing" "$out"

run -d "$R2" ring --json --type resume
expect_json "ring --type filters" '
assert [r["seq"] for r in recs] == list(range(51, 101))
assert {r["type"] for r in recs} == {"resume"}'
run -d "$R2" ring --json --since 1 --type resume
expect_json "ring --type keeps lost markers" '
assert recs[0]["type"] == "lost" and recs[0]["count"] == 36
assert {r["type"] for r in recs[1:]} == {"resume"}'
run -d "$R2" ring --json --type tai_change,clock_step --last 60
expect_json "ring --type with a list" '
assert [r["seq"] for r in recs] == list(range(41, 51))'

# ---------------------------------------------------------------- names

# Names are NUL-padded bytes: quote, backslash and control characters must
# come out as valid JSON and as harmless text; a name that fills its field
# has no NUL at all.
R3=$TMP/names.bin
mkregion -c 'q"b\s' "$R3" \
	"clocksource_change,from=$(printf 'a\001b'),to=abcdefghijklmnop"
run -d "$R3" ring --json
expect_json "names: escaped in JSON, unterminated name complete" '
(r,) = recs
assert r["from"] == "a\x01b", r["from"]
assert r["to"] == "abcdefghijklmnop", r["to"]'
run -d "$R3" ring
expect_line "names: control characters shown as ? in text" "$out" \
	'clocksource a\?b -> abcdefghijklmnop$'
run -d "$R3" status --json
expect_json "names: clocksource escaped in status JSON" '
(s,) = recs
assert s["clocksource"] == "abcdefghijklmnop", s["clocksource"]'
mkregion -c 'q"b\s' "$TMP/names2.bin"
run -d "$TMP/names2.bin" status --json
expect_json "names: quote and backslash escaped" '
(s,) = recs
assert s["clocksource"] == "q\"b\\s", s["clocksource"]'

# ---------------------------------------------------------------- PHC

# Every PHC record type; the health block's PHC table follows them as the
# module keeps it: ptp0 present at load, ptp1 registered later, ptp2
# registered and unregistered again.
export PHC_TIME=1798761637000000000
RP=$TMP/phc.bin
mkregion -H 63 "$RP" \
	phc_add,index=0,name=e1000e,flags=1 \
	phc_add,index=1,name=tsmon-testphc \
	phc_step,index=0,how=setoffset,delta=-250000000 \
	phc_step,index=1,how=settime,time=$PHC_TIME \
	phc_freq,index=0,freq=12345,scaled=809042,suppressed=2 \
	phc_phase,index=0,offset=-1500 \
	phc_extts,index=1,channel=2,ts=$((PHC_TIME + 123)) \
	phc_extts,index=1,channel=0,ts=-123,flags=1 \
	phc_pps,index=0 \
	phc_add,index=2,name=gone \
	phc_remove,index=2,name=gone \
	phc_freq,index=1,freq=-7,scaled=-459

run -d "$RP" ring
expect_rc "PHC: ring exits 0" 0
[ "$(wc -l <<<"$out")" -eq 12 ] && ok "PHC: one line per record" ||
	not_ok "PHC: one line per record" "$out"
expect_line "PHC: phc_add at load" "$out" \
	'^ +1  [0-9T:.Z-]+ +[0-9.]+  phc_add +ptp0 "e1000e" \(present at load\)$'
expect_line "PHC: phc_add" "$out" ' phc_add +ptp1 "tsmon-testphc"$'
expect_line "PHC: phc_step setoffset" "$out" \
	' phc_step +ptp0 setoffset -0\.250000000s \(-250000000 ns\)$'
expect_line "PHC: phc_step settime" "$out" \
	' phc_step +ptp1 settime to 1798761637\.000000000$'
expect_line "PHC: phc_freq" "$out" \
	' phc_freq +ptp0 \+12\.345 ppm \(12345 ppb\) suppressed=2$'
expect_line "PHC: phc_freq negative" "$out" \
	' phc_freq +ptp1 -0\.007 ppm \(-7 ppb\) suppressed=0$'
expect_line "PHC: phc_phase" "$out" \
	' phc_phase +ptp0 offset=-0\.000001500s \(-1500 ns\)$'
expect_line "PHC: phc_extts time" "$out" \
	' phc_extts +ptp1 channel=2 at 1798761637\.000000123$'
expect_line "PHC: phc_extts offset" "$out" \
	' phc_extts +ptp1 channel=0 offset -0\.000000123s \(-123 ns\)$'
expect_line "PHC: phc_pps" "$out" ' phc_pps +ptp0$'
expect_line "PHC: phc_remove" "$out" ' phc_remove +ptp2 "gone"$'

run -d "$RP" ring --json
expect_json "PHC: ring --json, every type with exactly its keys" '
T = int(env["PHC_TIME"])
want = [
	{"type": "phc_add", "index": 0, "name": "e1000e", "at_load": True},
	{"type": "phc_add", "index": 1, "name": "tsmon-testphc",
	 "at_load": False},
	{"type": "phc_step", "index": 0, "how": "setoffset",
	 "delta_ns": -250000000, "time_ns": None},
	{"type": "phc_step", "index": 1, "how": "settime", "delta_ns": None,
	 "time_ns": T},
	{"type": "phc_freq", "index": 0, "freq_ppb": 12345,
	 "scaled_ppm": 809042, "suppressed": 2},
	{"type": "phc_phase", "index": 0, "offset_ns": -1500},
	{"type": "phc_extts", "index": 1, "channel": 2,
	 "timestamp_ns": T + 123, "offset": False},
	{"type": "phc_extts", "index": 1, "channel": 0, "timestamp_ns": -123,
	 "offset": True},
	{"type": "phc_pps", "index": 0},
	{"type": "phc_add", "index": 2, "name": "gone", "at_load": False},
	{"type": "phc_remove", "index": 2, "name": "gone", "at_load": False},
	{"type": "phc_freq", "index": 1, "freq_ppb": -7, "scaled_ppm": -459,
	 "suppressed": 0},
]
assert len(recs) == len(want), len(recs)
for i, (r, w) in enumerate(zip(recs, want)):
	assert r["seq"] == i + 1, r
	assert list(r)[:4] == ["seq", "type", "mono_ns", "real_ns"], r
	assert {k: r[k] for k in list(r)[4:]} == \
		{k: v for k, v in w.items() if k != "type"}, (r, w)
	assert r["type"] == w["type"], r'

run -d "$RP" ring --json --type phc_step,phc_pps
expect_json "PHC: ring --type with PHC types" '
assert [r["seq"] for r in recs] == [3, 4, 9], recs'

run -d "$RP" status
expect_rc "PHC: status exits 0" 0
expect_line "PHC: hooks" "$out" \
	'^hooks +timekeeper adjtimex settime phc_adj phc_event phc_life$'
expect_line "PHC: count" "$out" '^phcs +2$'
expect_line "PHC: ptp0 at load" "$out" '^ptp0 +"e1000e" \(present at load\)$'
expect_line "PHC: ptp0 last step" "$out" \
	'^ +steps 1, last [0-9.]+s ago, delta -250 ms \(-250000000 ns\)$'
expect_line "PHC: ptp0 frequency, the record and what it suppressed" \
	"$out" '^ +frequency 12\.345 ppm \(12345 ppb\), 3 updates$'
expect_line "PHC: ptp1" "$out" '^ptp1 +"tsmon-testphc"$'
expect_line "PHC: ptp1 settime step has no delta" "$out" \
	'^ +steps 1, last [0-9.]+s ago, delta 0 ns$'
expect_line "PHC: ptp1 frequency" "$out" \
	'^ +frequency -0\.007 ppm \(-7 ppb\), 1 updates$'
if grep -qE '^(ptp2|phc overflow|phc freq filter) ' <<<"$out"; then
	not_ok "PHC: no removed PHC, no overflow, no limits from a region" \
		"$out"
else
	ok "PHC: no removed PHC, no overflow, no limits from a region"
fi
run -d "$RP" ring --json
export RING_JSON=$out
run -d "$RP" status --json
expect_json "PHC: status --json PHC table agrees with the ring" '
(s,) = recs
ring = [json.loads(l) for l in env["RING_JSON"].splitlines()]
assert s["phc_overflow"] == 0, s
assert [p["index"] for p in s["phcs"]] == [0, 1], s["phcs"]
for p in s["phcs"]:
	assert list(p) == ["index", "name", "at_load", "steps",
		"last_step_mono_ns", "last_step_delta_ns", "freq_ppb",
		"freq_updates"], list(p)
	add = [r for r in ring if r["type"] == "phc_add"
	       and r["index"] == p["index"]][-1]
	assert (p["name"], p["at_load"]) == (add["name"], add["at_load"]), p
	steps = [r for r in ring if r["type"] == "phc_step"
		 and r["index"] == p["index"]]
	assert p["steps"] == len(steps), p
	assert p["last_step_mono_ns"] == steps[-1]["mono_ns"], p
	assert p["last_step_delta_ns"] == (steps[-1]["delta_ns"] or 0), p
	freqs = [r for r in ring if r["type"] == "phc_freq"
		 and r["index"] == p["index"]]
	assert p["freq_ppb"] == freqs[-1]["freq_ppb"], p
	assert p["freq_updates"] == sum(1 + r["suppressed"] for r in freqs), p
assert s["event_counts"]["phc_extts"] == 2, s["event_counts"]
assert s["event_counts"]["phc_add"] == 3, s["event_counts"]'

# A PHC that never stepped nor changed frequency; more PHCs than slots.
mkregion -H 63 -p index=3,name=idle "$TMP/phcfull.bin" \
	phc_add,index=10 phc_add,index=11 phc_add,index=12 phc_add,index=13 \
	phc_add,index=14 phc_add,index=15 phc_add,index=16 phc_add,index=17 \
	phc_add,index=18
run -d "$TMP/phcfull.bin" status
expect_line "PHC: all slots shown" "$out" '^phcs +8$'
expect_line "PHC: never stepped" "$out" '^ +steps 0$'
expect_line "PHC: overflow" "$out" \
	'^phc overflow +2 \(PHCs that found no free slot\)$'
run -d "$TMP/phcfull.bin" status --json
expect_json "PHC: a full table, null step values" '
(s,) = recs
assert [p["index"] for p in s["phcs"]] == [3] + list(range(10, 17)), s
assert s["phc_overflow"] == 2, s
p = s["phcs"][0]
assert p == {"index": 3, "name": "idle", "at_load": False, "steps": 0,
	"last_step_mono_ns": None, "last_step_delta_ns": None, "freq_ppb": 0,
	"freq_updates": 0}, p'

# A count beyond the table (a corrupt block) shows the slots there are.
mkregion -n phc_count=4000000000 "$TMP/phcbad.bin"
run -d "$TMP/phcbad.bin" status --json
expect_json "PHC: count beyond the table clamped" '
(s,) = recs
assert len(s["phcs"]) == 8, s["phcs"]'

# Names from drivers are bytes: escaped in JSON, harmless in text.
mkregion -H 63 "$TMP/phcname.bin" \
	"phc_add,index=0,name=$(printf 'a\033b"c')" phc_step,index=0,how=9
run -d "$TMP/phcname.bin" ring --json
expect_json "PHC: name escaped, unknown how" '
a, b = recs
assert a["name"] == "a\x1bb\"c", a
assert b["how"] == "unknown", b
assert b["delta_ns"] is None and b["time_ns"] is None, b'
run -d "$TMP/phcname.bin" ring
expect_line "PHC: control character in a name shown as ?" "$out" \
	' phc_add +ptp0 "a\?b"c"$'
expect_line "PHC: unknown how" "$out" ' phc_step +ptp0 unknown$'
run -d "$TMP/phcname.bin" status
expect_line "PHC: control character in the status name" "$out" \
	'^ptp0 +"a\?b"c"$'

# ---------------------------------------------------------------- VMClock

# A VM with a VMClock device that was migrated twice: the health block
# follows the records (state, marker, count, time of the last, the page's
# bytes and the low half of its flags) and carries the rest of what the
# page says. A marker of 2^64 - 1 must come out exactly; bit 36 of the
# flags has no name, and the record carries only bits 0-31.
export VM_MAX=18446744073709551615
export VM_FRAC=$((0x4000000000000000))	# 0.25 s
export VM_PERIOD=98382635063		# 2^-68 s units: 1/3 ns
RV=$TMP/vm.bin
mkregion -H 7 -n vm_state=active -n vm_marker=5 -n vm_seq=6 \
	-n vm_flags=0x1000000000 -n vm_tai=37 -n vm_gen=3 \
	-n vm_time_sec=1798761600 -n vm_time_frac=$VM_FRAC -n vm_esterror=1500 \
	-n vm_maxerror=10000 -n vm_counter_value=123456789012 \
	-n vm_period=$VM_PERIOD -n vm_period_shift=4 "$RV" \
	vm_disruption,before=5,after=6,flags=0x3,clock_status=free_running,counter=tsc,time_type=utc,leap=none \
	resume,sleep=1 \
	vm_disruption,before=6,after=$VM_MAX,flags=0x167,clock_status=synchronized,counter=tsc,time_type=tai,leap=pre_pos

run -d "$RV" ring
expect_rc "VM: ring exits 0" 0
expect_line "VM: vm_disruption" "$out" \
	'^ +1  [0-9T:.Z-]+ +[0-9.]+  vm_disruption +marker 5 -> 6 clock_status=free_running counter=tsc time_type=utc leap_indicator=none flags=0x3 \(disruption soon\)$'
expect_line "VM: vm_disruption with every flag and a 64-bit marker" "$out" \
	'^ +3  [0-9T:.Z-]+ +[0-9.]+  vm_disruption +marker 6 -> 18446744073709551615 clock_status=synchronized counter=tsc time_type=tai leap_indicator=pre_pos flags=0x167 \(disruption soon\) \(disruption imminent\)$'
run -d "$RV" ring --json --type vm_disruption
expect_json "VM: ring --json, exactly the keys of vm_disruption" '
M = int(env["VM_MAX"])
want = [
	{"marker_before": 5, "marker_after": 6, "clock_status": "free_running",
	 "counter": "tsc", "time_type": "utc", "leap_indicator": "none",
	 "flags": 3, "disruption_soon": True, "disruption_imminent": False},
	{"marker_before": 6, "marker_after": M, "clock_status": "synchronized",
	 "counter": "tsc", "time_type": "tai", "leap_indicator": "pre_pos",
	 "flags": 0x167, "disruption_soon": True, "disruption_imminent": True},
]
assert [r["seq"] for r in recs] == [1, 3], recs
for r, w in zip(recs, want):
	assert list(r)[:4] == ["seq", "type", "mono_ns", "real_ns"], r
	assert r["type"] == "vm_disruption", r
	assert {k: r[k] for k in list(r)[4:]} == w, (r, w)
	assert list(r)[4:] == list(w), list(r)'

run -d "$RV" status
expect_rc "VM: status exits 0" 0
export STATUS_TEXT=$out
expect_py "VM: a section of its own, last, after an empty line" '
text = lines("STATUS_TEXT")
i = text.index("Virtual machine")
assert text[i - 1] == "" and text[i + 1].startswith("vm clock "), text
assert all(l.startswith(("vm ", " ")) for l in text[i + 1:]), text'
expect_line "VM: state" "$out" '^vm clock +active$'
expect_line "VM: marker and page sequence" "$out" \
	'^vm marker +18446744073709551615 \(page seq count 6\)$'
expect_line "VM: disruptions, the last by mono time and age" "$out" \
	'^vm disruptions +2, last at mono [0-9]+\.[0-9]{9} \([0-9.]+s ago\)$'
expect_line "VM: clock status" "$out" '^vm clock status synchronized$'
expect_line "VM: counter" "$out" '^vm counter +tsc$'
expect_line "VM: time type" "$out" '^vm time type +tai$'
expect_line "VM: leap indicator" "$out" '^vm leap +pre_pos$'
expect_line "VM: flags, named" "$out" \
	'^vm flags +0x1000000167 \(tai offset valid, disruption soon, disruption imminent, time esterror valid, time maxerror valid, vm gen counter present, bit36\)$'
expect_line "VM: TAI offset" "$out" '^vm tai offset +37 s$'
expect_line "VM: generation counter" "$out" '^vm generation +3$'
expect_line "VM: time" "$out" '^vm time +1798761600\.250000000 \(tai\)$'
expect_line "VM: time errors" "$out" \
	'^ +esterror 1\.5 us \(1500 ns\), maxerror 10 us \(10000 ns\)$'
expect_line "VM: counter and period" "$out" \
	'^ +counter 123456789012, period 0\.333333333 ns \(frac 98382635063, shift 4\)$'
expect_line "VM: last disruption is the VM's" "$out" \
	'^last disruption +vm_disruption, [0-9.]+s ago$'
expect_line "VM: counted" "$out" '^ +vm_disruption +2$'

run -d "$RV" ring --json
export RING_JSON=$out
run -d "$RV" status --json
expect_json "VM: status --json agrees with the ring and the page" '
(s,) = recs
ring = [json.loads(l) for l in env["RING_JSON"].splitlines()]
vms = [r for r in ring if r["type"] == "vm_disruption"]
v = s["vm"]
assert v["state"] == "active", v
assert v["marker"] == vms[-1]["marker_after"] == int(env["VM_MAX"]), v
assert v["disruptions"] == len(vms) == s["event_counts"]["vm_disruption"], v
assert v["disruption_mono_ns"] == vms[-1]["mono_ns"], v
assert s["disruption"] == {"type": "vm_disruption",
	"mono_ns": vms[-1]["mono_ns"]}, s["disruption"]
for k in ("clock_status", "counter", "time_type", "leap_indicator"):
	assert v[k] == vms[-1][k], k
assert v["flags"] == 0x1000000167, v
assert v["flags"] & 0xffffffff == vms[-1]["flags"], v
assert v["flag_names"] == ["tai_offset_valid", "disruption_soon",
	"disruption_imminent", "time_esterror_valid", "time_maxerror_valid",
	"vm_gen_counter_present", "bit36"], v
assert (v["disruption_soon"], v["disruption_imminent"],
	v["tai_offset_valid"]) == (True, True, True), v
assert v["tai_offset"] == 37 and v["gen_counter"] == 3, v
assert v["seq_count"] == 6, v
assert v["time"] == {"time_sec": 1798761600,
	"time_frac_sec": int(env["VM_FRAC"]), "esterror_ns": 1500,
	"maxerror_ns": 10000, "counter_value": 123456789012,
	"counter_period_frac_sec": int(env["VM_PERIOD"]),
	"counter_period_shift": 4}, v["time"]'

run -d "$RV" status --prometheus
expect_rc "VM: status --prometheus exits 0" 0
for l in 'tsmon_vm_clock_present 1' 'tsmon_vm_clock_state 1' \
	 'tsmon_vm_disruptions_total 2' \
	 'tsmon_vm_disruption_marker 18446744073709551615' \
	 'tsmon_vm_disruption_soon 1' 'tsmon_vm_disruption_imminent 1' \
	 'tsmon_vm_clock_status 2' \
	 'tsmon_vm_clock_info{clock_status="synchronized",counter="tsc",time_type="tai",leap_indicator="pre_pos"} 1' \
	 'tsmon_vm_time_esterror_seconds 0.0000015' \
	 'tsmon_vm_time_maxerror_seconds 0.00001' \
	 'tsmon_events_total{type="vm_disruption"} 2'; do
	if grep -qxF -- "$l" <<<"$out"; then
		ok "VM: prometheus: $l"
	else
		not_ok "VM: prometheus: $l" "$out"
	fi
done
expect_line "VM: prometheus: time since the last disruption" "$out" \
	'^tsmon_vm_seconds_since_last_disruption [0-9]+(\.[0-9]+)?$'
if msg=$(python3 tests/prom/parse.py <<<"$out" 2>&1); then
	ok "VM: prometheus: valid exposition"
else
	not_ok "VM: prometheus: valid exposition" "$msg"
fi

# The migration leaves the clock unmeasured: disrupted through the
# cooldown and after it, until the next sync update.
mkregion "${NTP_ARGS[@]}" -n sync_ago=2000000000 "$TMP/vmstep.bin" \
	vm_disruption,before=1,after=2,counter=none,ago=1000000000
run -d "$TMP/vmstep.bin" status --json
expect_json "VM: a disruption after the sync update: disrupted, unbounded" '
(s,) = recs
c = s["clock"]
assert c["status"] == "disrupted", c
assert c["flags"] == ["cooldown", "unbounded"], c
assert s["disruption"]["type"] == "vm_disruption", s["disruption"]'
run -d "$TMP/vmstep.bin" status --json --cooldown 0.5
expect_json "VM: past the cooldown, still disrupted" '
(s,) = recs
c = s["clock"]
assert c["status"] == "disrupted" and c["flags"] == ["unbounded"], c'

# No counter: the page gives no time. Values beyond the names this tool
# knows are shown as numbers, in text and JSON alike.
RVN=$TMP/vmnocounter.bin
mkregion -n vm_state=active -n vm_marker=1 -n vm_time_sec=99 "$RVN" \
	vm_disruption,before=1,after=2,clock_status=9,counter=none,time_type=3,leap=6
run -d "$RVN" ring
expect_line "VM: unnamed values in text" "$out" \
	' vm_disruption +marker 1 -> 2 clock_status=9 counter=none time_type=3 leap_indicator=6 flags=0x0$'
run -d "$RVN" ring --json
expect_json "VM: unnamed values in JSON are numbers" '
(r,) = recs
assert (r["clock_status"], r["counter"], r["time_type"],
	r["leap_indicator"]) == (9, "none", 3, 6), r
assert r["flags"] == 0 and not r["disruption_soon"], r
assert not r["disruption_imminent"], r'
run -d "$RVN" status
expect_line "VM: no counter, no time" "$out" \
	'^vm time +no time data from the hypervisor \(counter none\)$'
expect_line "VM: unnamed clock status" "$out" '^vm clock status 9$'
expect_line "VM: no flags" "$out" '^vm flags +none$'
expect_line "VM: TAI offset not valid" "$out" \
	'^vm tai offset +unknown \(not valid in the page\)$'
if grep -q '^vm generation' <<<"$out"; then
	not_ok "VM: no generation counter unless the page has one" "$out"
else
	ok "VM: no generation counter unless the page has one"
fi
run -d "$RVN" status --json
expect_json "VM: no counter: time null" '
(s,) = recs
v = s["vm"]
assert v["state"] == "active" and v["counter"] == "none", v
assert v["time"] is None, v
assert v["clock_status"] == 9 and v["time_type"] == 3, v
assert v["leap_indicator"] == 6, v
assert v["flags"] == 0 and v["flag_names"] == [], v
assert v["tai_offset_valid"] is False and v["tai_offset"] is None, v
assert v["gen_counter"] is None, v'
run -d "$RVN" status --prometheus
expect_in "VM: prometheus: unnamed values as numbers" "$out" \
	'tsmon_vm_clock_info{clock_status="9",counter="none",time_type="3",leap_indicator="6"} 1'
if grep -q '^tsmon_vm_time_' <<<"$out"; then
	not_ok "VM: prometheus: no time errors without a counter" "$out"
else
	ok "VM: prometheus: no time errors without a counter"
fi

# No device: the state says so, and nothing the page would say is made up.
run -d "$R0" status
expect_line "VM: no device" "$out" '^vm clock +no VMClock device$'
if grep -qE '^vm (marker|disruptions|time|flags) ' <<<"$out"; then
	not_ok "VM: nothing else without a device" "$out"
else
	ok "VM: nothing else without a device"
fi
run -d "$R0" status --json
expect_json "VM: no device: state none, counts 0, the rest null" '
(s,) = recs
v = s["vm"]
assert v["state"] == "none" and v["disruptions"] == 0, v
assert {k for k, x in v.items() if x is not None} == \
	{"state", "disruptions"}, v'
run -d "$R0" status --prometheus
expect_in "VM: prometheus: no device" "$out" 'tsmon_vm_clock_present 0'
expect_in "VM: prometheus: no device, state 0" "$out" 'tsmon_vm_clock_state 0'
expect_in "VM: prometheus: no device, no disruption" "$out" \
	'tsmon_vm_disruptions_total 0'
if grep -qE '^tsmon_vm_(disruption_marker|seconds_since|clock_info|clock_status)' \
	<<<"$out"; then
	not_ok "VM: prometheus: nothing about a page without a device" "$out"
else
	ok "VM: prometheus: nothing about a page without a device"
fi

# A device found but not used, and a state this version does not know.
for st in invalid:2:'invalid \(a device without a usable VMClock v1 page\)' \
	  disabled:3:'disabled \(module parameter vmclock=0\)' \
	  7:7:'unknown state 7'; do
	name=${st%%:*}
	rest=${st#*:}
	mkregion -n vm_state="$name" -n vm_marker=4 "$TMP/vmstate.bin"
	run -d "$TMP/vmstate.bin" status
	expect_line "VM: state $name in text" "$out" "^vm clock +${rest#*:}\$"
	run -d "$TMP/vmstate.bin" status --json
	VM_STATE=$name expect_json "VM: state $name in JSON, no page values" '
(s,) = recs
v = s["vm"]
want = env["VM_STATE"]
assert v["state"] == (int(want) if want.isdigit() else want), v
assert v["marker"] is None and v["time"] is None, v'
	run -d "$TMP/vmstate.bin" status --prometheus
	expect_in "VM: state $name in prometheus" "$out" \
		"tsmon_vm_clock_state ${rest%%:*}"
	expect_in "VM: state $name: not present" "$out" \
		'tsmon_vm_clock_present 0'
done

# A module older than VMClock support has a shorter block: whatever lies
# past it, the VM state is unknown, not "none".
RVO=$TMP/vmold.bin
mkregion -z vm_state -n vm_state=active -n vm_marker=9 -n vm_disruptions=4 \
	"$RVO"
run -d "$RVO" status
expect_rc "VM: older module: status exits 0" 0
expect_line "VM: older module: unknown" "$out" \
	'^vm clock +unknown \(the module predates VMClock support\)$'
run -d "$RVO" status --json
expect_json "VM: older module: every key null" '
(s,) = recs
v = s["vm"]
assert set(v.values()) == {None}, v
assert len(v) == 17, v'
run -d "$RVO" status --prometheus
if grep -q '^tsmon_vm_' <<<"$out"; then
	not_ok "VM: older module: no tsmon_vm_ metrics" "$out"
else
	ok "VM: older module: no tsmon_vm_ metrics"
fi

# ---------------------------------------------------------------- pipes

# More output than a pipe holds, into a reader that leaves after one line.
R4=$TMP/big.bin
mkregion -e 4096 "$R4" "resume,sleep=1*5000"
for fmt in "" --json; do
	"$TSMON" -d "$R4" ring $fmt 2>"$TMP/err" | head -n 1 >/dev/null
	st=${PIPESTATUS[0]}
	if [ "$st" -eq 0 ] && [ ! -s "$TMP/err" ]; then
		ok "ring $fmt | head: quiet exit 0"
	else
		not_ok "ring $fmt | head: quiet exit 0" "status $st" \
			"stderr: $(cat "$TMP/err")"
	fi
done

# ---------------------------------------------------------------- follow

# wait_for FILE N: until FILE has N lines, for at most 5 s
wait_for()
{
	local i

	for i in $(seq 50); do
		[ "$(wc -l <"$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

for sig in INT TERM; do
	R5=$TMP/follow-$sig.bin
	mkregion "$R5" "resume,sleep=5"
	"$TSMON" -d "$R5" ring --follow --json --type clock_step,resume \
		>"$TMP/follow.out" 2>"$TMP/follow.err" &
	pid=$!
	wait_for "$TMP/follow.out" 1
	mkregion -a "$R5" "tai_change,before=1,after=2" \
		"clock_step,delta=-7,reason=settime"
	if wait_for "$TMP/follow.out" 2; then
		ok "ring --follow ($sig): new record printed"
	else
		not_ok "ring --follow ($sig): new record printed" \
			"$(cat "$TMP/follow.out")"
	fi
	kill -"$sig" "$pid"
	wait "$pid"
	st=$?
	[ "$st" -eq 0 ] && ok "ring --follow: SIG$sig ends it with status 0" ||
		not_ok "ring --follow: SIG$sig ends it with status 0" \
			"status $st" "$(cat "$TMP/follow.err")"
	out=$(cat "$TMP/follow.out")
	expect_json "ring --follow ($sig): filtered records in order" '
assert [r["seq"] for r in recs] == [1, 3], recs
assert recs[1]["type"] == "clock_step" and recs[1]["delta_ns"] == -7'
done

# ---------------------------------------------------------------- valgrind

if command -v valgrind >/dev/null; then
	for args in "$R2 status" "$R2 status --json" "$R2 ring" \
		    "$R2 ring --json --since 1" "$R1 ring" "$R1 ring --json" \
		    "$R6 status --drift kernel" "$R6 status --json" \
		    "$TMP/step.bin status --json" "$RP ring" \
		    "$RP ring --json" "$RP status" "$RP status --json" \
		    "$RV ring" "$RV ring --json" "$RV status" \
		    "$RV status --json" "$RV status --prometheus" \
		    "$RVO status --json"; do
		valgrind -q --leak-check=full --show-leak-kinds=all \
			--errors-for-leak-kinds=all --error-exitcode=99 \
			"$TSMON" -d $args >/dev/null 2>"$TMP/vg"
		st=$?
		[ "$st" -eq 0 ] && ok "valgrind: $args clean" ||
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
