#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# plant_guest.sh KO - in the test guest (make plantcheck): KO is tsmon built
# with the naive port's mistake planted (TSMON_TEST_NAIVE_PORT: the NTP
# probes read their arguments at the pre-6.17 positions on a 6.17+
# kernel). Proves that the mistake cannot go unnoticed:
#   - the run-time checks refuse the NTP group: stats/hooks says
#     "adjtimex refused", health.hooks lacks it, tsmon status says the NTP
#     state is unknown, and the kernel log names the refusal once;
#   - the NTP selftest fails;
#   - the module unloads.
# TAP; exit 0 when every check passed.

set -u
cd "$(dirname "$(realpath "$0")")/../.." || exit 1
ko=$1
TSMON=build/tsmon
# shellcheck source=../cli/guest.sh
. tests/cli/guest.sh
hooks=/sys/class/misc/tsmon/stats/hooks

[[ $(id -u) == 0 && -r $ko ]] || { echo "plant_guest: run as root in the guest with a module"; exit 1; }
[[ -d /sys/module/tsmon ]] && rmmod tsmon
modprobe ptp 2> /dev/null
dmesg -C
if insmod "$ko"; then
	ok "the planted module loads"
else
	not_ok "the planted module loads"
	exit 1
fi

# A few ticks and an adjtimex call reach all three NTP probes.
sleep 2.5
build/tests/helpers/clockctl state > /dev/null

grep -q 'adjtimex refused' "$hooks"
verdict "stats/hooks: adjtimex refused" "@$hooks"

dmesg > "$TMP/dmesg"
refusals=$(grep -c 'NTP probes refused' "$TMP/dmesg")
[[ $refusals == 1 ]]
verdict "the kernel log names the refusal once ($refusals)" "@$TMP/dmesg"

"$TSMON" status > "$TMP/status" 2>&1
grep -q '^hooks .*not attached: .*adjtimex' "$TMP/status" &&
	grep -q '^ntp status .*unknown' "$TMP/status"
verdict "tsmon status: adjtimex not attached, NTP state unknown" "@$TMP/status"

# The bounded clock does not trust what it no longer sees.
"$TSMON" status --json > "$TMP/status.json" 2>&1
python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["clock"]
sys.exit(0 if c["status"].lower() == "unknown" and c["bound_ns"] is None else 1)
' "$TMP/status.json"
verdict "the bounded clock: UNKNOWN, no bound" "@$TMP/status.json"

# The NTP selftest loads the module it is given, as make vmcheck does.
TSMON_KO=$ko build/tests/selftests/tsmon_ntp > "$TMP/ntp.log" 2>&1
rc=$?
[[ $rc != 0 && $rc != 4 ]]
verdict "tsmon_ntp fails on the planted module (exit $rc)" "@$TMP/ntp.log"

[[ -d /sys/module/tsmon ]] || insmod "$ko"
if rmmod tsmon; then
	ok "the planted module unloads"
else
	not_ok "the planted module unloads"
fi
echo "1..$n"
((failed == 0))
