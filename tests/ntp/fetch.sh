#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# fetch.sh - unpack chronyd for the guest NTP test, without installing it
#
# usage: tests/ntp/fetch.sh [BUILD_DIR]      (default: build)
#
# tsmon_chrony runs a real chronyd inside the test guest, which mounts this
# machine's root read-only. Installing the chrony package here would start
# chronyd on this machine and let it discipline this machine's clock, so the
# package is downloaded and unpacked into BUILD_DIR/chrony instead: the guest
# runs BUILD_DIR/chrony/usr/sbin/chronyd with the libraries of this root.
#
# Idempotent: does nothing when chronyd is already there and its libraries
# resolve. Runs `apt-get update` only if the download fails without it.
# Exit status 0 when chronyd is ready, 1 otherwise (tsmon_chrony then skips).

set -euo pipefail

build=${1:-build}
exec "$(dirname "$0")/../lib/unpack-deb.sh" chrony "$build/chrony" usr/sbin/chronyd
