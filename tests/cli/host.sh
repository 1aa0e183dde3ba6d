# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# host.sh - setup shared by the host CLI tests (sourced, not run, from the
# repository's top directory, with the test's arguments).
#
# Sets TSMON (first argument, default build/tsmon) and MKREGION, skips the
# test (exit 77) when tsmon is not built or python3 is missing, builds
# mkregion (make), sources tap.sh and defines:
#   mkregion ARGS...   writes a region file; bails out of the test if it fails

TSMON=${1:-build/tsmon}
MKREGION=build/tests/cli/mkregion

if [ ! -x "$TSMON" ]; then
	echo "1..0 # SKIP $TSMON not built (make lib cli)"
	exit 77
fi
if ! command -v python3 >/dev/null; then
	echo "1..0 # SKIP python3 is needed to check the output"
	exit 77
fi

# One rule builds it, for these tests and the fixtures (mk/fixtures.mk).
make -s --no-print-directory "$MKREGION" || exit 1

# shellcheck source=tap.sh
. tests/cli/tap.sh

mkregion()
{
	"$MKREGION" "$@" || { echo "Bail out! mkregion $*"; exit 1; }
}
