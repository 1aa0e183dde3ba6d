#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# mkvmlinux.sh BZIMAGE OUTPUT
#
# Writes the uncompressed kernel ELF that BZIMAGE carries.  QEMU boots such
# an ELF directly through its PVH entry point, which skips both the BIOS
# boot path and the in-guest decompression: under TCG, unpacking the xz
# payload of a distribution kernel alone takes about two seconds, here it
# is done once on the host.  Fails (status 1) when no payload unpacks to an
# ELF file; the caller then boots BZIMAGE itself.

set -euo pipefail

[[ $# -eq 2 ]] || { echo "usage: mkvmlinux.sh BZIMAGE OUTPUT" >&2; exit 2; }
in=$1
out=$2
tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT

# magic (PCRE bytes) and the command that unpacks a stream starting there;
# trailing bytes after the payload are expected, hence the lenient flags
# and the ELF check instead of exit statuses.
formats=(
	'\xfd7zXZ\x00'		'xz -dc --single-stream'
	'\x28\xb5\x2f\xfd'	'zstd -dcq'
	'\x1f\x8b\x08'		'gzip -dcq'
)

for ((f = 0; f < ${#formats[@]}; f += 2)); do
	read -r -a unpack <<< "${formats[f + 1]}"
	command -v "${unpack[0]}" > /dev/null || continue
	# The magic can also occur by chance in the setup code: try the
	# first few hits until one unpacks to an ELF image.
	offsets=$(LC_ALL=C grep -obUaP "${formats[f]}" "$in" 2> /dev/null |
		  head -n 8 | cut -d: -f1 || true)
	for off in $offsets; do
		tail -c "+$((off + 1))" "$in" | "${unpack[@]}" > "$tmp" 2> /dev/null || true
		if [[ $(head -c 4 "$tmp" | od -An -tx1 | tr -d ' \n') == 7f454c46 ]]; then
			mv -f "$tmp" "$out"
			exit 0
		fi
	done
done
exit 1
