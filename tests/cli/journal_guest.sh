#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/cli/journal_guest.sh - tsmon events --journal against the module and
# a stand-in journald
#
# usage: tests/vm/run --kernel <kernel> -- tests/cli/journal_guest.sh [TSMON]
#
# Runs as root in the test guest only: it loads and unloads $TSMON_KO, binds
# tests/cli/fakejournal.py at journald's socket /run/systemd/journal/socket
# (the guest's /run is a tmpfs and runs no journald), and steps
# CLOCK_REALTIME and the TAI offset, which it takes back. Every entry is
# compared field by field with the record `tsmon ring` shows. Needs
# build/tsmon (or TSMON) and build/tests/helpers/clockctl (make cli
# selftests). TAP output; exit status 0 when every check passed, 1
# otherwise.

cd "$(dirname "$(realpath "$0")")/../.." || exit 1

TSMON=$(realpath "${1:-build/tsmon}")
CLOCKCTL=$PWD/build/tests/helpers/clockctl
FAKEJOURNAL=$PWD/tests/cli/fakejournal.py
SOCKET=/run/systemd/journal/socket

. tests/cli/guest.sh

JOURNAL=$TMP/journal.ndjson
export JOURNAL


# entries: how many the stand-in journald logged
entries()
{
	if [[ -f $JOURNAL ]]; then
		wc -l <"$JOURNAL"
	else
		echo 0
	fi
}

start_journald()
{
	: >"$JOURNAL"
	mkdir -p "${SOCKET%/*}"
	python3 "$FAKEJOURNAL" "$SOCKET" "$JOURNAL" &
	journald=$!
	for _ in $(seq 100); do
		[[ -S $SOCKET ]] && return 0
		sleep 0.1
	done
	bail "the stand-in journald did not bind $SOCKET"
}

stop_journald()
{
	kill -TERM "$journald" 2>/dev/null
	wait "$journald"
}

# The checks shared by every comparison: ENTRIES (NDJSON from the stand-in)
# against RING (tsmon ring --json) and TEXT (tsmon ring), record by record.
COMPARE='
import json
ents = [json.loads(l) for l in lines("ENTRIES")]
ring = [json.loads(l) for l in lines("RING")]
text = lines("TEXT")
errors = [e for e in ents if "error" in e]
assert not errors, errors
def render(v):
	if isinstance(v, bool):
		return "true" if v else "false"
	if isinstance(v, list):
		return " ".join(v)
	return str(v)
PRIO = {"clock_step": 4, "leap_armed": 5, "leap_disarmed": 5,
	"leap_applied": 4, "tai_change": 5, "clocksource_change": 4,
	"resume": 5, "lost": 3, "ntp_sync": 5, "ntp_unsync": 4,
	"ntp_mode": 6, "ntp_state": 6, "phc_step": 5, "phc_freq": 6,
	"phc_phase": 6, "phc_extts": 7, "phc_pps": 7, "phc_add": 5,
	"phc_remove": 5, "vm_disruption": 4}
assert len(ents) <= len(ring) == len(text), (len(ents), len(ring), len(text))
for e, r, t in zip(ents, ring, text):
	f = e["fields"]
	assert all(len(v) == 1 for v in f.values()), f
	f = {k: v[0] for k, v in f.items()}
	want = {"MESSAGE": t.lstrip(" "), "SYSLOG_IDENTIFIER": "tsmon",
		"PRIORITY": str(PRIO[r["type"]])}
	for k, v in r.items():
		if r["type"] == "lost" and k in ("mono_ns", "real_ns"):
			continue
		if v is None:
			continue
		if r["type"] == "lost" and k == "count":
			want["TSMON_LOST"] = render(v)
		else:
			want["TSMON_" + k.upper()] = render(v)
	assert f == want, (f, want)
'

[[ -n ${TSMON_KO:-} && -r $TSMON_KO ]] || bail "TSMON_KO not set or not readable"
[[ $(id -u) == 0 ]] || bail "must run as root in the test guest"
[[ -x $TSMON && -x $CLOCKCTL ]] || bail "build tsmon and clockctl first (make cli selftests)"
[[ ! -e $SOCKET ]] || bail "$SOCKET exists: a journald runs here"
if [[ -d /sys/module/tsmon ]]; then
	rmmod tsmon || bail "cannot unload the module already loaded"
fi

echo "# tsmon events --journal on $(uname -r)"

insmod "$TSMON_KO" || bail "insmod $TSMON_KO"
offs0=$(health offs_real_ns) || bail "tsmon status --json"
tai0=$("$CLOCKCTL" state | sed -n 's/.*tai=\([-0-9]*\).*/\1/p')
[[ -n $tai0 ]] || bail "clockctl state shows no tai"

start_journald

# ---------------------------------------------------------------- harness

# The stand-in decodes what libsystemd sends: a value with a newline goes in
# the binary form, an entry too large for a datagram in a memfd.
python3 -c '
import ctypes
sd = ctypes.CDLL("libsystemd.so.0")
c = ctypes.c_char_p
assert sd.sd_journal_send(c(b"MESSAGE=two\nlines"), c(b"PRIORITY=6"), None) == 0
assert sd.sd_journal_send(c(b"MESSAGE=big"), c(b"BIG=" + b"x" * 12000000),
			  None) == 0
' || bail "sd_journal_send to the stand-in failed"
for _ in $(seq 100); do
	(($(entries) >= 2)) && break
	sleep 0.1
done
expect_py "harness: binary and memfd entries decoded" '
ents = [json.loads(l) for l in open(env["JOURNAL"])]
assert len(ents) == 2 and all("fields" in e for e in ents), ents
assert ents[0]["fields"]["MESSAGE"] == ["two\nlines"], ents[0]
assert ents[1]["fields"]["BIG"] == ["x" * 12000000]'
stop_journald

# ---------------------------------------------------------------- live

# From the oldest record (the PHCs present at load) through live steps, TAI
# changes and a leap second requested and withdrawn, as nobody: neither
# joining the group nor the replay needs a privilege.
start_journald
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	"$TSMON" events --journal --all >"$TMP/live.out" 2>"$TMP/live.err" &
pid=$!
wait_listening "$pid"
verdict "live: the unprivileged listener waits in poll" \
	"@$TMP/live.err"
for d in 1000 -3000 2000; do
	"$CLOCKCTL" step-ns "$d" >/dev/null || bail "clockctl step-ns $d"
done
"$CLOCKCTL" tai $((tai0 + 1)) >/dev/null || bail "clockctl tai"
"$CLOCKCTL" tai "$tai0" >/dev/null || bail "clockctl tai"
"$CLOCKCTL" leap insert >/dev/null || bail "clockctl leap insert"
"$CLOCKCTL" leap none >/dev/null || bail "clockctl leap none"
# The kernel leaves TIME_INS at its next second boundary, with one more
# ntp_state record: wait for it (3 s at most), or it may come after the
# listener was stopped and before the ring is read.
for _ in $(seq 30); do
	[[ $("$TSMON" status --json |
	     python3 -c 'import json, sys; print(json.load(sys.stdin)["ntp"]["state"])') == ok ]] &&
		break
	sleep 0.1
done
# until the listener has logged every record the ring holds (20 s at most)
for _ in $(seq 200); do
	head=$("$TSMON" ring --json --last 1 |
	       python3 -c 'import json, sys; print(json.load(sys.stdin)["seq"])')
	(($(entries) >= head)) && break
	sleep 0.1
done
kill -TERM "$pid"
wait_exit "$pid" 10
[[ $rc == 0 && ! -s $TMP/live.out && ! -s $TMP/live.err ]]
verdict "live: SIGTERM ends it with status 0, nothing printed" "status $rc" \
	"@$TMP/live.out" "@$TMP/live.err"
stop_journald

ENTRIES=$(cat "$JOURNAL")
RING=$("$TSMON" ring --json)
TEXT=$("$TSMON" ring)
export ENTRIES RING TEXT
expect_py "live: one entry per record, every field as the ring shows it" "
$COMPARE
assert len(ents) == len(ring), (len(ents), len(ring))"
expect_py "live: sent by nobody (uid 65534)" '
ents = [json.loads(l) for l in lines("ENTRIES")]
assert ents and {e["uid"] for e in ents} == {65534}, {e["uid"] for e in ents}'
expect_py "live: the steps, exact" '
ents = [json.loads(l)["fields"] for l in lines("ENTRIES")]
steps = [e for e in ents if e["TSMON_TYPE"] == ["clock_step"]]
assert [s["TSMON_DELTA_NS"] for s in steps] == [["1000"], ["-3000"], ["2000"]], steps
assert all(s["TSMON_REASON"] == ["setoffset"] for s in steps), steps
assert all(s["PRIORITY"] == ["4"] for s in steps), steps'
expect_py "live: the TAI changes, there and back" "
ents = [json.loads(l)['fields'] for l in lines('ENTRIES')]
tai = [(e['TSMON_TAI_BEFORE'][0], e['TSMON_TAI_AFTER'][0]) for e in ents
       if e['TSMON_TYPE'] == ['tai_change']]
assert tai == [('$tai0', '$((tai0 + 1))'), ('$((tai0 + 1))', '$tai0')], tai"
# one entry of each type, as the stand-in received it, for the record
python3 -c '
import json, os
seen = set()
for l in os.environ["ENTRIES"].splitlines():
	f = json.loads(l)["fields"]
	if f["TSMON_TYPE"][0] in seen:
		continue
	seen.add(f["TSMON_TYPE"][0])
	print("# ---")
	for k, v in f.items():
		print("# %s=%s" % (k, v[0]))
'
expect_py "live: PHC records from the replay, with their flag" '
ents = [json.loads(l)["fields"] for l in lines("ENTRIES")]
phc = [e for e in ents if e["TSMON_TYPE"] == ["phc_add"]]
assert phc and all(e["TSMON_AT_LOAD"] == ["true"] for e in phc), phc
assert all(e["TSMON_INDEX"][0].isdigit() for e in phc), phc'

# ---------------------------------------------------------------- lost

# A 64-record ring that overflowed: the replay starts with a lost marker.
rmmod tsmon || bail "rmmod"
insmod "$TSMON_KO" ring_entries=64 || bail "insmod ring_entries=64"
for _ in $(seq 40); do
	"$CLOCKCTL" step-ns 1 >/dev/null || bail "clockctl step-ns 1"
	"$CLOCKCTL" step-ns -1 >/dev/null || bail "clockctl step-ns -1"
done
start_journald
run events --journal --since 1 --count 3 --timeout 0
[[ $rc == 0 && -z $out && -z $err ]]
verdict "lost: replay of 3 exits 0" "status $rc" "$out" "$err"
stop_journald
ENTRIES=$(cat "$JOURNAL")
RING=$("$TSMON" ring --json --since 1 | head -n 3)
TEXT=$("$TSMON" ring --since 1 | head -n 3)
expect_py "lost: the marker and the records after it, as the ring shows" "
$COMPARE
assert len(ents) == 3, ents"
expect_py "lost: TSMON_LOST, PRIORITY 3 (err), no time fields" '
(e, _, _) = [json.loads(l)["fields"] for l in lines("ENTRIES")]
(r, _, _) = [json.loads(l) for l in lines("RING")]
assert r["type"] == "lost" and r["count"] >= 80 - 64, r
assert e["TSMON_TYPE"] == ["lost"] and e["TSMON_SEQ"] == ["1"], e
assert e["TSMON_LOST"] == [str(r["count"])] and e["PRIORITY"] == ["3"], e
assert "TSMON_MONO_NS" not in e and "TSMON_REAL_NS" not in e, e'

if command -v valgrind >/dev/null; then
	start_journald
	valgrind -q --leak-check=full --show-leak-kinds=all \
		--errors-for-leak-kinds=all --error-exitcode=99 \
		"$TSMON" events --journal --since 1 --timeout 0 \
		>/dev/null 2>"$TMP/vg"
	rc=$?
	stop_journald
	[[ $rc == 0 ]]
	verdict "valgrind: events --journal clean" "status $rc" \
		"@$TMP/vg"
else
	ok "# SKIP valgrind not installed"
fi

# ---------------------------------------------------------------- failures

# No journald at all: the one entry is lost, said once, and the exit
# status says so.
run events --journal --since 1 --count 1 --timeout 0
[[ $rc == 1 ]]
verdict "no journal: exit 1" "status $rc" "$err"
[[ $err == "tsmon events: cannot log to the journal: No such file or directory
tsmon events: 1 of 1 entries could not be logged to the journal" ]]
verdict "no journal: reported once, with the count" "$err"

# A journald that goes away under a listener: three entries in a row fail,
# then the listener gives up with status 1 (for Restart=on-failure).
start_journald
"$TSMON" events --journal >"$TMP/gone.out" 2>"$TMP/gone.err" &
pid=$!
wait_listening "$pid"
verdict "journald gone: the listener waits in poll"
"$CLOCKCTL" step-ns 1 >/dev/null || bail "clockctl step-ns 1"
for _ in $(seq 100); do
	(($(entries) >= 1)) && break
	sleep 0.1
done
kill -KILL "$journald"
wait "$journald" 2>/dev/null
for d in -1 1 -1; do
	"$CLOCKCTL" step-ns "$d" >/dev/null || bail "clockctl step-ns $d"
done
wait_exit "$pid" 20
[[ $rc == 1 ]]
verdict "journald gone: exit 1" "status $rc" "@$TMP/gone.err"
logged=$(entries)
[[ $logged == 1 && $(cat "$TMP/gone.err") == \
   "tsmon events: cannot log to the journal: Connection refused
tsmon events: giving up after 3 entries in a row could not be logged
tsmon events: 3 of 4 entries could not be logged to the journal" ]]
verdict "journald gone: one entry logged, the failure reported once" \
	"entries: $logged" "@$TMP/gone.err"
rm -f "$SOCKET"

# ---------------------------------------------------------------- restore

rmmod tsmon || bail "rmmod"
insmod "$TSMON_KO" || bail "insmod"
offs1=$(health offs_real_ns)
rmmod tsmon
if [[ $offs1 == "$offs0" ]]; then
	ok "clock restored"
else
	not_ok "clock restored" "REALTIME - MONOTONIC off by $((offs1 - offs0)) ns"
	"$CLOCKCTL" step-ns $((offs0 - offs1)) >/dev/null
fi
"$CLOCKCTL" tai "$tai0" >/dev/null

echo "1..$n"
if ((failed)); then
	echo "# $failed of $n checks failed"
	exit 1
fi
exit 0
