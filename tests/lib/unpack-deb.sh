#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# unpack-deb.sh PACKAGE DEST TOOL... - a Debian package's files under DEST,
# without installing it
#
# Some tests need a program whose package must not be installed on the
# build machine (its postinst would start a daemon that disciplines this
# machine's clock, or a server). The package is downloaded with apt-get and
# unpacked with dpkg-deb into DEST; each TOOL (a path inside the package)
# must then exist and its shared libraries resolve on this root, which the
# test guest shares.
#
# Idempotent: does nothing when every TOOL is already in DEST and usable.
# Runs `apt-get update` only if the download fails without it. Exit status
# 0 when the tools are ready, 1 otherwise.

set -euo pipefail

prog=${0##*/}
die() {
	echo "$prog: $*" >&2
	exit 1
}

(($# >= 3)) || die "usage: $prog PACKAGE DEST TOOL..."
pkg=$1
dest=$2
shift 2
tools=("$@")

# A static binary (promtool) is usable as it is; a dynamic one when every
# library resolves.
usable() {
	local out

	[[ -x $1 ]] || return 1
	out=$(LC_ALL=C ldd "$1" 2>&1) && ! grep -q 'not found' <<<"$out" && return 0
	[[ $out == *'not a dynamic executable'* ]]
}

tools_ok() {
	local tool

	for tool in "${tools[@]}"; do
		usable "$1/$tool" || return 1
	done
}

if tools_ok "$dest"; then
	exit 0
fi

command -v apt-get >/dev/null || die "no apt-get: cannot fetch $pkg"
command -v dpkg-deb >/dev/null || die "no dpkg-deb: cannot unpack $pkg"

mkdir -p "$(dirname "$dest")"
tmp=$(mktemp -d "$(dirname "$dest")/.$pkg.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# apt's download sandbox user cannot write into a private directory.
download() {
	(cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download "$pkg")
}

if ! download; then
	echo "$prog: download failed; updating the package lists" >&2
	apt-get -q update || die "apt-get update failed"
	download || die "cannot download the $pkg package"
fi

deb=$(find "$tmp" -maxdepth 1 -name "${pkg}_*.deb" -print -quit)
[[ -n $deb ]] || die "apt-get download left no $pkg .deb"
dpkg-deb -x "$deb" "$tmp/root" || die "cannot unpack $deb"
if ! tools_ok "$tmp/root"; then
	for tool in "${tools[@]}"; do
		ldd "$tmp/root/$tool" >&2 || true
	done
	die "$deb lacks ${tools[*]} or their libraries do not resolve here"
fi

rm -rf "$dest"
mv "$tmp/root" "$dest"
echo "$pkg $(dpkg-deb -f "$deb" Version) unpacked into $dest"
