#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# fetch-prometheus.sh - unpack the Prometheus server and node_exporter for
# the alerting end-to-end test, without installing either
#
# usage: tests/prom/fetch-prometheus.sh [BUILD_DIR]      (default: build)
#
# tests/prom/e2e_guest.sh runs Debian's own prometheus and
# prometheus-node-exporter inside the test guest. Installing the packages
# would start both servers on this machine, so they are downloaded and
# unpacked (tests/lib/unpack-deb.sh) into BUILD_DIR/promserver and
# BUILD_DIR/node-exporter; both are Go binaries that run from there, and
# the guest sees them through its read-only view of this root.
# (BUILD_DIR/prom is fetch-promtool.sh's, which drops the server.)
#
# Idempotent. Exit status 0 when both binaries are ready, 1 otherwise.

set -euo pipefail

build=${1:-build}
lib=$(dirname "$0")/../lib
"$lib/unpack-deb.sh" prometheus "$build/promserver" \
	usr/bin/prometheus usr/bin/promtool
"$lib/unpack-deb.sh" prometheus-node-exporter "$build/node-exporter" \
	usr/bin/prometheus-node-exporter
"$build/promserver/usr/bin/prometheus" --version >/dev/null 2>&1 ||
	{ echo "${0##*/}: prometheus does not run here" >&2; exit 1; }
"$build/node-exporter/usr/bin/prometheus-node-exporter" --version \
	>/dev/null 2>&1 ||
	{ echo "${0##*/}: node_exporter does not run here" >&2; exit 1; }
