# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# tap.sh - TAP helpers shared by the CLI tests (sourced, not run).
#
# Sets TMP (removed on exit), the counters n and failed, and:
#   ok DESC                  one passing check
#   not_ok DESC [DETAIL...]  one failing check, each DETAIL as a TAP comment
#   run ARGS...              runs "$TSMON" ARGS..., leaving its stdout,
#                            stderr and status in $out, $err and $rc
#   expect_py DESC PYTHON    PYTHON runs with env bound to os.environ and
#                            lines(name) returning the lines of the
#                            environment variable name; an exception,
#                            including a failed assert, fails the check

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

n=0
failed=0

ok()
{
	n=$((n + 1))
	echo "ok $n - $1"
}

# At most 20 lines of each DETAIL, so one failure cannot flood the log.
not_ok()
{
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	for detail in "$@"; do
		head -n 20 <<<"$detail" | sed 's/^/#   /'
	done
}

# shellcheck disable=SC2034  # out, err and rc are for the sourcing test
run()
{
	"$TSMON" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	out=$(cat "$TMP/out")
	err=$(cat "$TMP/err")
}

expect_py()
{
	local msg

	if msg=$(python3 -c "
import json, os
env = os.environ
def lines(name):
	return env[name].splitlines()
$2
" 2>&1); then
		ok "$1"
	else
		not_ok "$1" "$(tail -n 1 <<<"$msg")"
	fi
}
