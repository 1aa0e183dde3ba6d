#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# version.sh VERSION - the one version source (the VERSION file) is what
# every built artifact says: tsmon --version, the shared library's file name
# and soname, libtsmon.pc, the modules' MODULE_VERSION, dkms.conf once
# staged, and the Debian changelog. TAP; exit 1 on any failure.

set -u
cd "$(dirname "$(realpath "$0")")/../.." || exit 1
# shellcheck source=../cli/tap.sh
. tests/cli/tap.sh

version=$1
major=${version%%.*}

same() {
	if [[ $2 == "$3" ]]; then
		ok "$1: $2"
	else
		not_ok "$1" "got '$2', want '$3'"
	fi
}

same "tsmon --version" "$(build/tsmon --version 2>&1)" "tsmon $version"
same "shared library file" "$(readlink build/libtsmon.so.$major)" "libtsmon.so.$version"
same "soname" "$(readelf -d build/libtsmon.so.$version 2>&1 |
	sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')" "libtsmon.so.$major"

make -s --no-print-directory build/libtsmon.pc > /dev/null
same "libtsmon.pc Version" "$(sed -n 's/^Version: //p' build/libtsmon.pc)" "$version"

found=0
for ko in build/kmod/*/tsmon.ko; do
	[[ -f $ko ]] || continue
	found=1
	same "MODULE_VERSION of $ko" "$(modinfo -F version "$ko")" "$version"
done
((found)) || ok "no module built yet: MODULE_VERSION checked by dkmscheck"

same "dkms.conf takes its version when staged" \
	"$(grep '^PACKAGE_VERSION=' dkms.conf)" 'PACKAGE_VERSION="#MODULE_VERSION#"'
same "debian/changelog" "$(dpkg-parsechangelog -S Version 2>&1)" "$version"

echo "1..$n"
((failed == 0))
