#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/cli/test_units.sh - the systemd units under systemd/
#
# usage: tests/cli/test_units.sh [TSMON]
#
# Each unit passes `systemd-analyze verify` without a single diagnostic
# (it warns without failing, so any output fails here), with its
# /usr/bin/tsmon pointed at the built TSMON; and the command line of its
# ExecStart= is one the built tsmon accepts. TAP output; exit status 0
# when every check passed, 1 otherwise, 77 without systemd-analyze.

cd "$(dirname "$0")/../.." || exit 1

TSMON=$(realpath "${1:-build/tsmon}")

if ! command -v systemd-analyze >/dev/null; then
	echo "1..0 # SKIP systemd-analyze not installed"
	exit 77
fi

. tests/cli/tap.sh

for unit in systemd/*.service; do
	name=${unit##*/}
	sed "s|/usr/bin/tsmon|$TSMON|" "$unit" >"$TMP/$name"
	msg=$(cd "$TMP" && systemd-analyze verify --man=no "$TMP/$name" 2>&1)
	st=$?
	if [ "$st" -eq 0 ] && [ -z "$msg" ]; then
		ok "$name: systemd-analyze verify"
	else
		not_ok "$name: systemd-analyze verify" "status $st" "$msg"
	fi
	# the options of ExecStart=, then --help: accepted only if all are
	args=$(sed -n 's|^ExecStart=/usr/bin/tsmon ||p' "$unit")
	# shellcheck disable=SC2086 # split into arguments on purpose
	if "$TSMON" $args --help >/dev/null 2>"$TMP/err"; then
		ok "$name: tsmon takes '$args'"
	else
		not_ok "$name: tsmon takes '$args'" "$(cat "$TMP/err")"
	fi
done

echo "1..$n"
if [ "$failed" -ne 0 ]; then
	echo "# $failed of $n checks failed"
	exit 1
fi
exit 0
