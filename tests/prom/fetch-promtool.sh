#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# fetch-promtool.sh - unpack promtool for the metrics test, without
# installing Prometheus
#
# usage: tests/prom/fetch-promtool.sh [BUILD_DIR]      (default: build)
#
# `promtool check metrics` validates what `tsmon status --prometheus`
# prints. Debian ships promtool only in the prometheus package, and
# installing that starts a Prometheus server on this machine, so the
# package is downloaded and unpacked into BUILD_DIR/prom instead (promtool
# is a static Go binary: it runs from there).
#
# Idempotent: does nothing when promtool is already there and runs. Runs
# `apt-get update` only if the download fails without it. Exit status 0
# when BUILD_DIR/prom/usr/bin/promtool is ready, 1 otherwise (the metrics
# test then relies on its strict parser alone and says so).

set -euo pipefail

build=${1:-build}
"$(dirname "$0")/../lib/unpack-deb.sh" prometheus "$build/prom" usr/bin/promtool
# Only promtool is wanted, not the server.
rm -f "$build/prom/usr/bin/prometheus"
"$build/prom/usr/bin/promtool" --version > /dev/null 2>&1 ||
	{ echo "tests/prom/fetch-promtool.sh: promtool does not run here" >&2; exit 1; }
