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
dest=$build/chrony
chronyd=usr/sbin/chronyd

die() {
	echo "tests/ntp/fetch.sh: $*" >&2
	exit 1
}

# Every shared library chronyd needs must resolve on this root.
libs_ok() {
	local out
	out=$(ldd "$1" 2>&1) || return 1
	! grep -q 'not found' <<<"$out"
}

if [[ -x $dest/$chronyd ]] && libs_ok "$dest/$chronyd"; then
	exit 0
fi

command -v apt-get >/dev/null || die "no apt-get: cannot fetch chrony"
command -v dpkg-deb >/dev/null || die "no dpkg-deb: cannot unpack chrony"

mkdir -p "$build"
tmp=$(mktemp -d "$build/.chrony.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# apt's download sandbox user cannot write into a private directory.
download() {
	(cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download chrony)
}

if ! download; then
	echo "tests/ntp/fetch.sh: download failed; updating the package lists" >&2
	apt-get -q update || die "apt-get update failed"
	download || die "cannot download the chrony package"
fi

deb=$(find "$tmp" -maxdepth 1 -name 'chrony_*.deb' -print -quit)
[[ -n $deb ]] || die "apt-get download left no chrony .deb"
dpkg-deb -x "$deb" "$tmp/root" || die "cannot unpack $deb"
[[ -x $tmp/root/$chronyd ]] || die "$deb has no $chronyd"
if ! libs_ok "$tmp/root/$chronyd"; then
	ldd "$tmp/root/$chronyd" >&2 || true
	die "chronyd's libraries do not resolve on this system"
fi

rm -rf "$dest"
mv "$tmp/root" "$dest"
echo "chronyd $(dpkg-deb -f "$deb" Version) unpacked into $dest"
