#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# dkms.sh DIR VERSION NAME... - after `make dkms-install` into the private
# DKMS tree under DIR (make dkmscheck): tsmon/VERSION is installed for every
# kernel NAME of the matrix (tests/matrix/kernels), and each installed
# module is VERSION's, built for that kernel,
# without a compiler warning. TAP; exit 1 on any failure.

set -u
cd "$(dirname "$(realpath "$0")")/../.." || exit 1
# shellcheck source=../cli/tap.sh
. tests/cli/tap.sh

dir=$1
version=$2
shift 2
trees=(--dkmstree "$dir/tree" --sourcetree "$dir/src" --installtree "$dir/install")

conf=$dir/src/tsmon-$version/dkms.conf
if grep -qx "PACKAGE_VERSION=\"$version\"" "$conf"; then
	ok "staged dkms.conf carries version $version"
else
	not_ok "staged dkms.conf carries version $version" "$(grep PACKAGE_VERSION "$conf")"
fi

for name in "$@"; do
	kver=$(tests/matrix/kernels get "$name" kver) || { not_ok "kernel $name"; continue; }
	# Asked of the DKMS that built it (the kernel's root, or the host).
	status=$(tests/matrix/kernels run "$name" \
		dkms status -m tsmon -v "$version" -k "$kver" "${trees[@]}" 2>/dev/null)
	if [[ $status == *": installed"* ]]; then
		ok "dkms status: $status"
	else
		not_ok "dkms status: tsmon/$version installed for $kver" "$status"
	fi
	ko=$(find "$dir/install/$kver" -name 'tsmon.ko*' 2>/dev/null | head -n 1)
	if [[ $ko != */updates/dkms/tsmon.ko* ]]; then
		not_ok "module installed for $kver under updates/dkms" \
			"$(find "$dir/install" 2>&1)"
		continue
	fi
	case $ko in
	*.xz)	xz -dc "$ko" > "$TMP/tsmon.ko"; ko=$TMP/tsmon.ko ;;
	*.zst)	zstd -qdc "$ko" > "$TMP/tsmon.ko"; ko=$TMP/tsmon.ko ;;
	esac
	got=$(modinfo -F version "$ko")
	magic=$(modinfo -F vermagic "$ko")
	if [[ $got == "$version" && $magic == "$kver "* ]]; then
		ok "installed module for $kver: version $got, vermagic '${magic% }'"
	else
		not_ok "installed module for $kver: version $version, vermagic $kver" \
			"version '$got', vermagic '$magic'"
	fi
	log=$dir/tree/tsmon/$version/$kver/$(uname -m)/log/make.log
	if [[ ! -s $log ]]; then
		not_ok "DKMS build log for $kver" "no $log"
	elif grep -E 'warning:|error:' "$log"; then
		not_ok "DKMS build for $kver is warning-free"
	else
		ok "DKMS build for $kver is warning-free"
	fi
done

echo "1..$n"
((failed == 0))
