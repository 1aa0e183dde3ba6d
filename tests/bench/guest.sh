#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# guest.sh - the benchmarks that step the clock, inside the test guest.
#
# Run by `make bench-guest` through tests/vm/run (which sets TSMON_KO and
# TSMON_KVER); never on a host. Loads $TSMON_KO unless the module is
# already loaded, runs every build/tests/guestbench/* program, and unloads
# the module again if it loaded it. Exit status 0 when every program
# succeeded.

set -u

cd "$(dirname "$(realpath "$0")")/../.." || exit 1

die() {
	echo "bench-guest: $*" >&2
	exit 1
}

# tests/vm/run exports the version of the kernel it boots.
[[ ${TSMON_KVER:-} == "$(uname -r)" ]] ||
	die "these benchmarks step the system clock: run them in the test guest (make bench-guest)"
[[ -n ${TSMON_KO:-} && -r $TSMON_KO ]] || die "TSMON_KO does not name a readable tsmon.ko"
[[ $(id -u) == 0 ]] || die "must run as root"

progs=(build/tests/guestbench/*)
[[ -x ${progs[0]} ]] || die "no benchmark built in build/tests/guestbench"

loaded=0
if [[ ! -d /sys/module/tsmon ]]; then
	insmod "$TSMON_KO" || die "insmod $TSMON_KO failed"
	loaded=1
fi

rc=0
for p in "${progs[@]}"; do
	[[ -x $p ]] || continue
	echo "== ${p##*/}"
	"$p" || rc=1
done

if ((loaded)); then
	rmmod tsmon || rc=1
fi
exit $rc
