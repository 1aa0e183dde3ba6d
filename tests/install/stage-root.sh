#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/install/stage-root.sh - finish a `make install PREFIX=/usr
# DESTDIR=ROOT` tree for one kernel, as a package would leave the disk
#
# usage: tests/install/stage-root.sh ROOT KVER KO
#
# Adds ROOT/lib/modules/KVER/updates/tsmon.ko (from KO) and the module
# index that `depmod -a` would then write (modules.dep, modules.alias and
# their .bin forms), so that modprobe and systemd-modules-load find tsmon
# in a guest whose root gets ROOT copied over it.  depmod runs here on the
# host, over a tree of symbolic links to /lib/modules/KVER: in the guest it
# would take most of a minute under TCG.

set -euo pipefail

(($# == 3)) || { echo "usage: $0 ROOT KVER KO" >&2; exit 2; }
root=$1 kver=$2 ko=$3
[[ -d /lib/modules/$kver/kernel ]] || { echo "$0: no /lib/modules/$kver" >&2; exit 1; }
[[ -r $ko ]] || { echo "$0: cannot read $ko" >&2; exit 1; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/lib/modules"
cp -as "/lib/modules/$kver" "$scratch/lib/modules/"
mkdir -p "$scratch/lib/modules/$kver/updates"
cp "$ko" "$scratch/lib/modules/$kver/updates/tsmon.ko"
depmod -b "$scratch" "$kver"
grep -qx 'updates/tsmon.ko:' "$scratch/lib/modules/$kver/modules.dep" ||
	{ echo "$0: depmod did not index tsmon.ko" >&2; exit 1; }

dest=$root/lib/modules/$kver
mkdir -p "$dest/updates"
cp "$ko" "$dest/updates/tsmon.ko"
# the index files depmod wrote, not the links to the kernel's own files
find "$scratch/lib/modules/$kver" -maxdepth 1 -type f -name 'modules.*' \
	-exec cp -t "$dest" {} +
