#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# guest.sh - the Rust and Go readers against the live module, in the guest
#
# usage (in the test guest, as root, from the repository):
#   tests/bindings/guest.sh
#
# Loads the module, makes a clock step, a leap second (armed, applied at
# midnight, withdrawn), a TAI change and a PHC step (clock_settime on the
# NIC's /dev/ptp0), then checks that `tsmon ring --json`, the Rust crate's
# `ring` example and the Go package's `tsmon-ring` print the same records,
# object for object, and that the three readers' fixture dumps of the live
# device (tests/fixtures/FORMAT.md) agree while the module is quiet.
# Restores REALTIME - MONOTONIC and the TAI offset it found. TAP on stdout;
# the runner scans the kernel log afterwards.

set -uo pipefail

B=${B:-build}
TSMON=${TSMON:-$PWD/$B/tsmon}
CLOCKCTL=$PWD/$B/tests/helpers/clockctl
declare -A READER=(
	[rust]=$PWD/$B/rust/release/examples/ring
	[go]=$PWD/$B/go/bin/tsmon-ring
)
declare -A DUMP=(
	[c]=$PWD/$B/tests/fixtures/dump
	[rust]=$PWD/$B/rust/release/examples/fixture_dump
	[go]=$PWD/$B/go/bin/fixture-dump
)
export TSMON

# shellcheck source=../cli/guest.sh
. tests/cli/guest.sh

[[ -n ${TSMON_KO:-} && -r $TSMON_KO ]] || bail "TSMON_KO not set or not readable"
for b in "$TSMON" "$CLOCKCTL" "${READER[@]}" "${DUMP[@]}"; do
	[[ -x $b ]] || bail "$b not built (make cli selftests rust go fixtures)"
done
if [[ -d /sys/module/tsmon ]]; then
	rmmod tsmon || bail "cannot unload the module already loaded"
fi
insmod "$TSMON_KO" || bail "insmod $TSMON_KO"
echo "# Rust and Go readers against tsmon on $(uname -r)"

offs0=$(health offs_real_ns) || bail "tsmon status --json"
tai0=$("$CLOCKCTL" state | sed -n 's/.*tai=\([-0-9]*\).*/\1/p')
[[ -n $tai0 ]] || bail "clockctl state shows no tai"

# What the steps and the leap second moved, taken back from the offset the
# module last recorded (exact; the leap may or may not have happened).
restore()
{
	local offs

	"$CLOCKCTL" leap none >/dev/null
	"$CLOCKCTL" tai "$tai0" >/dev/null
	offs=$(health offs_real_ns) && "$CLOCKCTL" step-ns $((offs0 - offs)) >/dev/null
}
trap 'restore; rm -rf "$TMP"' EXIT

# ---------------------------------------------------------------- events

step()
{
	"$CLOCKCTL" step-ns "$1" >/dev/null || bail "clockctl step-ns $1"
}

step 250000000
"$CLOCKCTL" tai $((tai0 + 1)) >/dev/null || bail "clockctl tai"
# A leap second inserted at the next midnight: the clock is first stepped
# to 2.5 s before it (a step disarms a pending leap), then the insertion
# requested, which the tick arms at the next second boundary.
now=$(date +%s%N)
step $(( (now / 86400000000000 + 1) * 86400000000000 - 2500000000 - now ))
"$CLOCKCTL" leap insert >/dev/null || bail "clockctl leap insert"
sleep 3.5
"$CLOCKCTL" leap none >/dev/null || bail "clockctl leap none"

# A PHC step through the POSIX clock of /dev/ptp0 (clockid from its fd).
phc=ok
python3 -c '
import os, time
fd = os.open("/dev/ptp0", os.O_RDWR)
clk = ((~fd) << 3) | 3
time.clock_settime_ns(clk, time.clock_gettime_ns(clk) + 2000000000)
' 2>"$TMP/phc.err" || phc="no PHC step: $(cat "$TMP/phc.err")"
sleep 0.5

# ---------------------------------------------------------------- ring

"$TSMON" ring --json >"$TMP/c.json" 2>"$TMP/c.err"
verdict "tsmon ring --json" "@$TMP/c.err"
for r in rust go; do
	"${READER[$r]}" >"$TMP/$r.json" 2>"$TMP/$r.err"
	verdict "$r: the ring read" "@$TMP/$r.err"
done

export PHC_RESULT=$phc TMPD=$TMP
expect_py "the ring holds a step, a leap armed and applied, a TAI change, a PHC step" '
recs = [json.loads(l) for l in open(env["TMPD"] + "/c.json")]
types = [r["type"] for r in recs]
for t in ("clock_step", "leap_armed", "leap_applied", "tai_change", "phc_step"):
	assert t in types, (t, types, env["PHC_RESULT"])'

for r in rust go; do
	export READER_NAME=$r
	expect_py "$r: every record as tsmon ring --json prints it" '
def objs(name):
	return [json.loads(l, object_pairs_hook=list)
		for l in open(env["TMPD"] + "/" + name + ".json")]
c, b = objs("c"), objs(env["READER_NAME"])
assert len(c) == len(b), (len(c), len(b))
for x, y in zip(c, b):
	assert x == y, (x, y)
print("# %d records, %s" % (len(c), " ".join(sorted(set(dict(x)["type"] for x in c)))))'
done

# ---------------------------------------------------------------- dumps

# The health block moves with every adjtimex call and PHC scan: compare
# while two libtsmon dumps in a row agree.
same=""
for _ in 1 2 3 4 5; do
	for d in c rust go c2; do
		"${DUMP[${d%2}]}" /dev/tsmon >"$TMP/$d.dump" 2>&1
	done
	cmp -s "$TMP/c.dump" "$TMP/c2.dump" || continue
	same=yes
	break
done
[[ -n $same ]]
verdict "libtsmon read the live device twice alike"
for r in rust go; do
	cmp -s "$TMP/c.dump" "$TMP/$r.dump"
	verdict "$r: the live device read as libtsmon does ($(wc -l <"$TMP/c.dump") lines)" \
		"$(diff "$TMP/c.dump" "$TMP/$r.dump" | cut -c1-200 | head -n 8)"
done

# ---------------------------------------------------------------- restore

restore
trap 'rm -rf "$TMP"' EXIT
offs1=$(health offs_real_ns)
tai1=$("$CLOCKCTL" state | sed -n 's/.*tai=\([-0-9]*\).*/\1/p')
[[ $offs1 == "$offs0" && $tai1 == "$tai0" ]]
verdict "clock restored" "REALTIME - MONOTONIC off by $((offs1 - offs0)) ns, tai $tai1 (was $tai0)"
rmmod tsmon || not_ok "rmmod tsmon"

echo "1..$n"
[[ $failed == 0 ]]
