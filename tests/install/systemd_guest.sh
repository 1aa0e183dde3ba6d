#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/install/systemd_guest.sh - tsmon's udev rule, modules-load.d entry
# and systemd units, run by a real systemd
#
# usage: tests/vm/run --kernel <kernel> --systemd -- \
#            tests/install/systemd_guest.sh ROOT
#
# ROOT is a `make install PREFIX=/usr DESTDIR=ROOT` tree with the module
# and its depmod index added (tests/install/stage-root.sh; make unitcheck
# builds it). Runs as a service of the guest's systemd (PID 1), on the
# writable root of a --systemd guest: it copies ROOT over / and checks
# what an operator gets from the installed files alone:
#   - systemd-modules-load loads tsmon through modules-load.d/tsmon.conf;
#   - systemd-udevd applies 60-tsmon.rules (mode 0444);
#   - tsmon-journal.service, as a dynamic user under its sandbox, logs
#     each step to the real journald, field for field as `tsmon ring`
#     shows the record;
#   - tsmon-textfile.service keeps node_exporter's textfile up to date,
#     with no capability but CAP_DAC_OVERRIDE, and removes it when stopped.
# It steps CLOCK_REALTIME (build/tests/helpers/clockctl) and steps it
# back. TAP output; exit status 0 when every check passed, 1 otherwise.

cd "$(dirname "$(realpath "$0")")/../.." || exit 1

ROOT=${1:-}
CLOCKCTL=$PWD/build/tests/helpers/clockctl
PROMTOOL=$PWD/build/prom/usr/bin/promtool
TSMON=/usr/bin/tsmon
TEXTDIR=/var/lib/prometheus/node-exporter
export SYSTEMD_PAGER=cat SYSTEMD_COLORS=0

. tests/cli/guest.sh

[[ -n $ROOT && -x $ROOT/usr/bin/tsmon ]] ||
	bail "usage: $0 ROOT, ROOT holding a make install PREFIX=/usr tree"
[[ -r $ROOT/lib/modules/$(uname -r)/updates/tsmon.ko ]] ||
	bail "$ROOT has no tsmon.ko for $(uname -r) (tests/install/stage-root.sh)"
[[ $(id -u) == 0 ]] || bail "must run as root in the test guest"
[[ $(cat /proc/1/comm) == systemd ]] ||
	bail "PID 1 is not systemd: run this under tests/vm/run --systemd"
[[ -x $CLOCKCTL ]] || bail "build clockctl first (make selftests)"
[[ ! -d /sys/module/tsmon ]] || bail "tsmon is loaded already"

echo "# tsmon under systemd $(systemctl --version | sed -n '1s/^systemd //p') on $(uname -r)"

# judge STATUS DESC [DETAIL...]: one check passed when STATUS is 0. Called
# as `judge $? ...`: $? expands before the details, whose command
# substitutions would change it.
judge()
{
	local st=$1

	shift
	if ((st == 0)); then
		ok "$1"
	else
		not_ok "$@"
	fi
}

# unit_is UNIT STATE: until systemctl is-active says STATE (20 s at most)
unit_is()
{
	local _

	for _ in $(seq 200); do
		[[ $(systemctl is-active "$1") == "$2" ]] && return 0
		sleep 0.1
	done
	return 1
}

# unit_stop UNIT: running, never restarted, until stopped by request, then
# inactive with no failure (a stop resets NRestarts: look before it)
unit_stop()
{
	local before after

	before=$(systemctl show -p SubState,NRestarts "$1" | sort)
	systemctl stop "$1"
	after=$(systemctl show -p ActiveState,Result "$1" | sort)
	[[ $before == $'NRestarts=0\nSubState=running' &&
	   $after == $'ActiveState=inactive\nResult=success' ]] ||
		{ echo "before the stop: ${before//$'\n'/ }, after: ${after//$'\n'/ }"; return 1; }
}

# main_pid UNIT
main_pid()
{
	systemctl show -p MainPID --value "$1"
}

# ---------------------------------------------------------------- install

# As dpkg would: through the /lib -> usr/lib symlink of a merged /usr, and
# the module index replaced by renaming new files over it, never rewritten
# in place - udev's workers, loading drivers for the boot's coldplug, may
# have it mapped (libkmod faults when it changes under it).
tar -C "$ROOT" -cf - --exclude=./lib/modules . |
	tar -C / -xf - --keep-directory-symlink --no-overwrite-dir ||
	bail "cannot copy $ROOT over /"
mods=lib/modules/$(uname -r)
mkdir -p "/$mods/updates" || bail "mkdir /$mods/updates"
for f in "$ROOT/$mods"/updates/tsmon.ko "$ROOT/$mods"/modules.*; do
	dest=/$mods/${f#"$ROOT/$mods/"}
	{ cp "$f" "$dest.new" && mv -f "$dest.new" "$dest"; } ||
		bail "cannot install $dest"
done
systemctl daemon-reload || bail "systemctl daemon-reload"
offs0=

# The entry loads the module: what happens at every boot.
systemctl restart systemd-modules-load.service
rc=$?
log=$(journalctl -b -u systemd-modules-load --no-pager | tail -5)
[[ $rc == 0 && -d /sys/module/tsmon ]]
judge $? "modules-load.d/tsmon.conf: systemd-modules-load loads tsmon" \
	"status $rc" "$log"
[[ -d /sys/module/tsmon ]] || bail "no module: nothing else can be checked"
offs0=$("$TSMON" status --json | python3 -c \
	'import json, sys; print(json.load(sys.stdin)["offs_real_ns"])') ||
	bail "tsmon status --json"

# The module creates the node 0444 itself: make it 0600 and have udev
# process the device again.
udevadm settle
chmod 0600 /dev/tsmon
udevadm trigger --action=change --settle /sys/class/misc/tsmon
mode=$(stat -c %a /dev/tsmon)
[[ $mode == 444 ]]
judge $? "60-tsmon.rules: udev gives /dev/tsmon mode 0444" "mode $mode"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$TSMON" status --json 2>&1 |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["offs_real_ns"])' 2>&1)
[[ $out == "$offs0" ]]
judge $? "nobody reads the health block through it" "$out"

# ---------------------------------------------------------------- journal

unit=tsmon-journal.service
[[ $(systemctl is-enabled "$unit") == disabled ]]
judge $? "$unit: installed, not enabled" "$(systemctl is-enabled "$unit" 2>&1)"
systemctl start "$unit"
unit_is "$unit" active
judge $? "$unit: started" "$(systemctl status "$unit" --no-pager 2>&1)"
pid=$(main_pid "$unit")
wait_listening "$pid"
judge $? "$unit: its listener waits in poll" "pid $pid"
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
((uid >= 61184 && uid <= 65519))
judge $? "$unit: runs as a dynamic user" "uid $uid"

"$CLOCKCTL" step-ns 1500000000 >/dev/null || bail "clockctl step-ns 1500000000"
"$CLOCKCTL" step-ns -1500000000 >/dev/null || bail "clockctl step-ns -1500000000"

# until journald has both entries (20 s at most)
for _ in $(seq 200); do
	# The unit logs from its start on (no --all): only these steps.
	ENTRIES=$(journalctl -b -o json --no-pager \
		_SYSTEMD_UNIT=tsmon-journal.service SYSLOG_IDENTIFIER=tsmon)
	(($(grep -c . <<<"$ENTRIES") >= 2)) && break
	sleep 0.1
done
RING=$("$TSMON" ring --json --last 2)
TEXT=$("$TSMON" ring --last 2)
export ENTRIES RING TEXT UID_=$uid
expect_py "$unit: both steps in the journal, every field as the ring shows it" '
ents = [json.loads(l) for l in lines("ENTRIES")]
ring = [json.loads(l) for l in lines("RING")]
text = lines("TEXT")
assert len(ents) == 2 and len(ring) == 2, (ents, ring)
for e, r, t in zip(ents, ring, text):
	assert e["_SYSTEMD_UNIT"] == "tsmon-journal.service", e
	assert e["_UID"] == env["UID_"], e
	assert e["SYSLOG_IDENTIFIER"] == "tsmon" and e["PRIORITY"] == "4", e
	assert e["MESSAGE"] == t.lstrip(" "), (e["MESSAGE"], t)
	for k, v in r.items():
		if v is None:
			continue
		if isinstance(v, bool):
			v = "true" if v else "false"
		assert e["TSMON_" + k.upper()] == str(v), (k, e, r)
assert [e["TSMON_DELTA_NS"] for e in ents] == ["1500000000", "-1500000000"], ents'
msg=$(unit_stop "$unit")
judge $? "$unit: never restarted, stops cleanly" "$msg" \
	"$(systemctl status "$unit" --no-pager 2>&1)"
echo "# --- the first step as the journal holds it (journalctl -o verbose)"
journalctl -b -o verbose --no-pager -n 2 _SYSTEMD_UNIT=tsmon-journal.service \
	SYSLOG_IDENTIFIER=tsmon | awk 'NR > 1 && /^[^ ]/ { exit } { print "# " $0 }'

# ---------------------------------------------------------------- textfile

# As Debian's prometheus-node-exporter leaves it.
if ! id prometheus >/dev/null 2>&1; then
	useradd --system --no-create-home --shell /usr/sbin/nologin prometheus ||
		bail "useradd prometheus"
fi
install -d -o prometheus -g prometheus -m 0755 "$TEXTDIR" || bail "mkdir $TEXTDIR"

unit=tsmon-textfile.service
[[ $(systemctl is-enabled "$unit") == disabled ]]
judge $? "$unit: installed, not enabled" "$(systemctl is-enabled "$unit" 2>&1)"
steps()
{
	sed -n 's/^tsmon_steps_total //p' "$TEXTDIR/tsmon.prom" 2>/dev/null
}
systemctl start "$unit"
unit_is "$unit" active
judge $? "$unit: started" "$(systemctl status "$unit" --no-pager 2>&1)"
for _ in $(seq 200); do
	[[ -n $(steps) ]] && break
	sleep 0.1
done
s0=$(steps)
[[ -n $s0 ]] && grep -qx 'tsmon_up 1' "$TEXTDIR/tsmon.prom"
judge $? "$unit: writes $TEXTDIR/tsmon.prom, tsmon_up 1" \
	"$(ls -l "$TEXTDIR" 2>&1)"
pid=$(main_pid "$unit")
caps=$(awk '/^Cap(Eff|Bnd):/ { printf "%s %s ", $1, $2 }' "/proc/$pid/status")
[[ $caps == "CapEff: 0000000000000002 CapBnd: 0000000000000002 " ]]
judge $? "$unit: no capability but CAP_DAC_OVERRIDE" "$caps"

"$CLOCKCTL" step-ns 1500000000 >/dev/null || bail "clockctl step-ns 1500000000"
for _ in $(seq 200); do
	[[ $(steps) == $((s0 + 1)) ]] && break
	sleep 0.1
done
[[ $(steps) == $((s0 + 1)) ]]
judge $? "$unit: rewritten on a step" "tsmon_steps_total $(steps), was $s0"
"$CLOCKCTL" step-ns -1500000000 >/dev/null || bail "clockctl step-ns -1500000000"
for _ in $(seq 200); do
	[[ $(steps) == $((s0 + 2)) ]] && break
	sleep 0.1
done
[[ $(steps) == $((s0 + 2)) ]]
judge $? "$unit: and on the step back" "tsmon_steps_total $(steps), was $s0"
PROM=$(cat "$TEXTDIR/tsmon.prom")
msg=$(python3 tests/prom/parse.py <<<"$PROM" 2>&1)
judge $? "$unit: the file passes the strict parser" "$msg"
if [[ -x $PROMTOOL ]]; then
	msg=$("$PROMTOOL" check metrics <<<"$PROM" 2>&1) && [[ -z $msg ]]
	judge $? "$unit: the file passes promtool check metrics" "$msg"
else
	ok "$unit: promtool check metrics # SKIP promtool not available"
fi
[[ -z $(find "$TEXTDIR" -name '.*' -print -quit) ]]
judge $? "$unit: no temporary file left beside it" "$(ls -A "$TEXTDIR")"
msg=$(unit_stop "$unit")
judge $? "$unit: never restarted, stops cleanly" "$msg" \
	"$(systemctl status "$unit" --no-pager 2>&1)"
[[ ! -e $TEXTDIR/tsmon.prom ]]
judge $? "$unit: stopping removes tsmon.prom" "$(ls -A "$TEXTDIR")"

# ---------------------------------------------------------------- exposure

for unit in tsmon-journal.service tsmon-textfile.service; do
	systemd-analyze security --no-pager "$unit" 2>/dev/null | tail -n 1 |
		sed 's/^/# /'
done

offs1=$("$TSMON" status --json | python3 -c \
	'import json, sys; print(json.load(sys.stdin)["offs_real_ns"])')
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
