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
dest=$build/prom
promtool=usr/bin/promtool

die() {
	echo "tests/prom/fetch-promtool.sh: $*" >&2
	exit 1
}

if [[ -x $dest/$promtool ]] && "$dest/$promtool" --version >/dev/null 2>&1; then
	exit 0
fi

command -v apt-get >/dev/null || die "no apt-get: cannot fetch prometheus"
command -v dpkg-deb >/dev/null || die "no dpkg-deb: cannot unpack prometheus"

mkdir -p "$build"
tmp=$(mktemp -d "$build/.prom.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# apt's download sandbox user cannot write into a private directory.
download() {
	(cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download prometheus)
}

if ! download; then
	echo "tests/prom/fetch-promtool.sh: download failed; updating the package lists" >&2
	apt-get -q update || die "apt-get update failed"
	download || die "cannot download the prometheus package"
fi

deb=$(find "$tmp" -maxdepth 1 -name 'prometheus_*.deb' -print -quit)
[[ -n $deb ]] || die "apt-get download left no prometheus .deb"
dpkg-deb -x "$deb" "$tmp/root" || die "cannot unpack $deb"
[[ -x $tmp/root/$promtool ]] || die "$deb has no $promtool"
"$tmp/root/$promtool" --version >/dev/null 2>&1 ||
	die "$tmp/root/$promtool does not run here"

# only promtool is wanted: not the server
rm -f "$tmp/root/usr/bin/prometheus"
rm -rf "$dest"
mv "$tmp/root" "$dest"
echo "promtool $(dpkg-deb -f "$deb" Version) unpacked into $dest"
