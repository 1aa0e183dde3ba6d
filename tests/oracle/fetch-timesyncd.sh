#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# fetch-timesyncd.sh - unpack systemd-timesyncd for the containment oracle,
# without installing it
#
# usage: tests/oracle/fetch-timesyncd.sh [BUILD_DIR]      (default: build)
#
# The oracle (tests/oracle/oracle.c) runs systemd-timesyncd inside the test
# guest, which mounts this machine's root read-only. Installing the package
# here would start a daemon that disciplines this machine's clock, so it is
# downloaded and unpacked into BUILD_DIR/timesyncd instead, like chronyd
# (tests/ntp/fetch.sh). The binary links against libsystemd-shared of the
# systemd package of this root, which the guest shares.
#
# Idempotent. Exit status 0 when systemd-timesyncd is ready, 1 otherwise
# (the oracle then skips its timesyncd source).

set -euo pipefail

build=${1:-build}
exec "$(dirname "$0")/../lib/unpack-deb.sh" systemd-timesyncd "$build/timesyncd" \
	lib/systemd/systemd-timesyncd
