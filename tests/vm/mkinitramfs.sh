#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# mkinitramfs.sh KVER OUTPUT [MODDIR]
#
# Builds the tiny initramfs tests/vm/run boots: a static busybox, init.sh as
# /init, and, uncompressed, the modules of kernel KVER that mounting the host
# root over virtio-9p needs, plus virtio_console for COMMAND's output,
# e1000e for the PHC and overlay for --writable runs and for the modules of
# a kernel the host does not have.  MODDIR (default /lib/modules/KVER) is
# where the kernel's modules are.  Modules are stored
# decompressed because busybox insmod cannot read .ko.xz/.ko.zst, and in the
# order modules.dep implies, so init only has to insmod them one by one.
# The image is a plain newc cpio: decompressing it under TCG would cost more
# than loading the extra megabytes.

set -euo pipefail

die() {
	echo "mkinitramfs: $*" >&2
	exit 1
}

[[ $# -eq 2 || $# -eq 3 ]] || die "usage: mkinitramfs.sh KVER OUTPUT [MODDIR]"
kver=$1
output=$2
moddir=${3:-/lib/modules/$kver}
here=$(dirname "$(realpath "${BASH_SOURCE[0]}")")

# Wanted in this order; a module that is built in or absent is skipped.
# Dependencies come from modules.dep, so the list only names the leaves.
modules=(virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev
	 virtio_pci virtio_console netfs fscache 9pnet 9pnet_virtio 9p e1000e overlay)

[[ -r $moddir/modules.dep ]] || die "no $moddir/modules.dep (is linux-image-$kver installed?)"

busybox=$(command -v busybox) || die "busybox not found (install busybox-static)"
if [[ $(LC_ALL=C ldd "$busybox" 2>&1 || true) != *'not a dynamic executable'* ]]; then
	die "$busybox is dynamically linked; install busybox-static"
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/tsmon-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,newroot,modules}

cp "$busybox" "$stage/bin/busybox"
for applet in $("$busybox" --list); do
	[[ $applet == busybox ]] || ln -s busybox "$stage/bin/$applet"
done
install -m 0755 "$here/init.sh" "$stage/init"

# Module names use '_' where file names may use '-'.  Sets $name (no
# subshell: modules.dep has thousands of lines).
modname() {
	name=${1##*/}
	name=${name%%.ko*}
	name=${name//-/_}
}

declare -A dep_path=() dep_list=() builtin=() loaded=()
while IFS= read -r line; do
	path=${line%%:*}
	modname "$path"
	dep_path[$name]=$path
	dep_list[$name]=${line#*:}
done < "$moddir/modules.dep"
if [[ -r $moddir/modules.builtin ]]; then
	while IFS= read -r path; do
		modname "$path"
		builtin[$name]=1
	done < "$moddir/modules.builtin"
fi

add_module() {
	local mod=$1 path=$2 dst

	[[ -z ${loaded[$mod]:-} ]] || return 0
	dst=$stage/modules/$mod.ko
	case $path in
	*.ko)		cp "$moddir/$path" "$dst" ;;
	*.ko.xz)	xz -dc "$moddir/$path" > "$dst" ;;
	*.ko.zst)	zstd -q -dc "$moddir/$path" > "$dst" ;;
	*.ko.gz)	gzip -dc "$moddir/$path" > "$dst" ;;
	*)		die "unknown module format: $path" ;;
	esac
	loaded[$mod]=1
	echo "$mod" >> "$stage/modules/order"
}

# modules.dep lists the full dependency closure with the deepest last, so
# loading it back to front satisfies every module before its users.
want() {
	local leaf=$1 name deps i

	# Built in, or not part of this kernel at all (not every kernel
	# splits out virtio_pci_legacy_dev or fscache): nothing to load.
	[[ -n ${dep_path[$leaf]:-} ]] || return 0
	read -r -a deps <<< "${dep_list[$leaf]}"
	for ((i = ${#deps[@]} - 1; i >= 0; i--)); do
		modname "${deps[i]}"
		add_module "$name" "${deps[i]}"
	done
	add_module "$leaf" "${dep_path[$leaf]}"
}

: > "$stage/modules/order"
for m in "${modules[@]}"; do
	want "$m"
done
for m in 9pnet_virtio 9p virtio_console overlay; do
	[[ -n ${loaded[$m]:-} || -n ${builtin[$m]:-} ]] ||
		die "kernel $kver has no $m module: the guest cannot mount its root"
done

mkdir -p "$(dirname "$output")"
(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --quiet -R 0:0) > "$output.tmp.$$"
mv -f "$output.tmp.$$" "$output"
