#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# fetch-linuxptp.sh - unpack linuxptp for the guest PHC tests, without
# installing it
#
# usage: tests/phc/fetch-linuxptp.sh [BUILD_DIR]      (default: build)
#
# tsmon_phc and tsmon_phc2sys run the real phc_ctl and phc2sys inside the
# test guest, which mounts this machine's root read-only. Installing the
# linuxptp package here would also bring its services (timemaster, ptp4l,
# phc2sys) onto this machine, whose clock nothing may discipline, so the
# package is downloaded and unpacked into BUILD_DIR/linuxptp instead: the
# guest runs BUILD_DIR/linuxptp/usr/sbin/* with the libraries of this root.
#
# Idempotent: does nothing when the tools are already there and their
# libraries resolve. Runs `apt-get update` only if the download fails
# without it. Exit status 0 when the tools are ready, 1 otherwise (the
# tests that need them then skip).

set -euo pipefail

build=${1:-build}
exec "$(dirname "$0")/../lib/unpack-deb.sh" linuxptp "$build/linuxptp" \
	usr/sbin/phc_ctl usr/sbin/phc2sys
