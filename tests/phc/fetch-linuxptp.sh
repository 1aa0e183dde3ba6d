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
dest=$build/linuxptp
tools=(usr/sbin/phc_ctl usr/sbin/phc2sys)

die() {
	echo "tests/phc/fetch-linuxptp.sh: $*" >&2
	exit 1
}

# Every tool exists and every shared library it needs resolves on this root.
tools_ok() {
	local root=$1 tool out

	for tool in "${tools[@]}"; do
		[[ -x $root/$tool ]] || return 1
		out=$(ldd "$root/$tool" 2>&1) || return 1
		! grep -q 'not found' <<<"$out" || return 1
	done
}

if tools_ok "$dest"; then
	exit 0
fi

command -v apt-get >/dev/null || die "no apt-get: cannot fetch linuxptp"
command -v dpkg-deb >/dev/null || die "no dpkg-deb: cannot unpack linuxptp"

mkdir -p "$build"
tmp=$(mktemp -d "$build/.linuxptp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# apt's download sandbox user cannot write into a private directory.
download() {
	(cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download linuxptp)
}

if ! download; then
	echo "tests/phc/fetch-linuxptp.sh: download failed; updating the package lists" >&2
	apt-get -q update || die "apt-get update failed"
	download || die "cannot download the linuxptp package"
fi

deb=$(find "$tmp" -maxdepth 1 -name 'linuxptp_*.deb' -print -quit)
[[ -n $deb ]] || die "apt-get download left no linuxptp .deb"
dpkg-deb -x "$deb" "$tmp/root" || die "cannot unpack $deb"
if ! tools_ok "$tmp/root"; then
	for tool in "${tools[@]}"; do
		ldd "$tmp/root/$tool" >&2 || true
	done
	die "$deb lacks ${tools[*]} or their libraries do not resolve here"
fi

rm -rf "$dest"
mv "$tmp/root" "$dest"
echo "linuxptp $(dpkg-deb -f "$deb" Version) unpacked into $dest"
