#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check-tree.sh DESTDIR PREFIX LIBDIR - what `make install DESTDIR=...` put
# there: every file in its place, the shared library's soname and symbol
# versions, a man page per public function, headers that compile alone,
# the udev rule and the modules-load.d entry. TAP; exit 1 on any failure.

set -u
cd "$(dirname "$(realpath "$0")")/../.." || exit 1
# shellcheck source=../cli/tap.sh
. tests/cli/tap.sh

dest=$1
prefix=$2
libdir=$3
root=$dest$prefix
lib=$dest$libdir
version=$(cat VERSION)
major=${version%%.*}

check_file() {
	local path=$1 mode=$2 got

	if [[ ! -f $path ]]; then
		not_ok "installed: ${path#"$dest"}" "missing"
		return
	fi
	got=$(stat -c %a "$path")
	if [[ $got == "$mode" ]]; then
		ok "installed: ${path#"$dest"} ($mode)"
	else
		not_ok "installed: ${path#"$dest"}" "mode $got, want $mode"
	fi
}

check_file "$root/bin/tsmon" 755
check_file "$lib/libtsmon.so.$version" 644
check_file "$lib/libtsmon.a" 644
check_file "$lib/pkgconfig/libtsmon.pc" 644
check_file "$root/include/tsmon/tsmon.h" 644
check_file "$root/include/tsmon/abi.h" 644
check_file "$root/include/tsmon/netlink.h" 644
check_file "$root/share/man/man7/tsmon.7" 644
check_file "$root/share/man/man8/tsmon.8" 644
check_file "$root/share/tsmon/prometheus/tsmon.rules.yml" 644
check_file "$root/share/tsmon/grafana/tsmon-dashboard.json" 644
check_file "$dest/lib/udev/rules.d/60-tsmon.rules" 644
check_file "$dest/usr/lib/modules-load.d/tsmon.conf" 644

for link in "libtsmon.so.$major:libtsmon.so.$version" "libtsmon.so:libtsmon.so.$major"; do
	name=${link%%:*}
	want=${link#*:}
	got=$(readlink "$lib/$name" 2>/dev/null)
	if [[ $got == "$want" ]]; then
		ok "symlink $name -> $want"
	else
		not_ok "symlink $name -> $want" "got '$got'"
	fi
done

soname=$(readelf -d "$lib/libtsmon.so.$version" 2>&1 | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
if [[ $soname == "libtsmon.so.$major" ]]; then
	ok "soname libtsmon.so.$major"
else
	not_ok "soname libtsmon.so.$major" "got '$soname'"
fi

# Every symbol of the version map is exported with its version and
# documented; nothing else is exported.
mapped=$(sed -n 's/^[[:space:]]*\(tsmon_[a-z_]*\);/\1/p' lib/libtsmon.map | sort)
exported=$(readelf --dyn-syms -W "$lib/libtsmon.so.$version" |
	awk '$5 == "GLOBAL" && $7 != "UND" { print $8 }' | grep -v '^TSMON_' | sort)
unversioned=$(grep -v '@@TSMON_' <<<"$exported")
if [[ -z $unversioned && $(sed 's/@@.*//' <<<"$exported" | sort) == "$mapped" ]]; then
	ok "exports exactly the $(wc -l <<<"$mapped") versioned symbols of libtsmon.map"
else
	not_ok "exports exactly the symbols of libtsmon.map" \
		"$(diff <(echo "$mapped") <(sed 's/@@.*//' <<<"$exported"))" "$unversioned"
fi
missing=
for fn in $mapped; do
	[[ -f $root/share/man/man3/$fn.3 ]] || missing+=" $fn"
done
if [[ -z $missing ]]; then
	ok "a man3 page for every public function"
else
	not_ok "a man3 page for every public function" "missing:$missing"
fi
for page in "$root"/share/man/man*/*; do
	# From the hierarchy, as man(1) reads a page: .so links resolve there.
	if ! msg=$(cd "$root/share/man" && LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null); then
		not_ok "man page ${page##*/} renders" "$msg"
	elif [[ -n $msg ]]; then
		not_ok "man page ${page##*/} renders without warnings" "$msg"
	fi
done
ok "man pages render ($(ls "$root"/share/man/man*/* | wc -l) pages)"

# Each installed header on its own, as a C and as a C++ program sees it.
for h in tsmon/tsmon.h tsmon/abi.h tsmon/netlink.h; do
	if msg=$(echo "#include <$h>" | ${CC:-gcc} -std=c99 -Wall -Wextra -Werror \
		-fsyntax-only -I"$root/include" -x c - 2>&1); then
		ok "<$h> compiles alone (C99)"
	else
		not_ok "<$h> compiles alone (C99)" "$msg"
	fi
done

rule=$(grep -v '^#' "$dest/lib/udev/rules.d/60-tsmon.rules" 2>/dev/null)
if [[ $rule == *'KERNEL=="tsmon"'* && $rule == *'MODE="0444"'* ]]; then
	ok "udev rule gives /dev/tsmon mode 0444"
else
	not_ok "udev rule gives /dev/tsmon mode 0444" "$rule"
fi
if [[ $(grep -v '^#' "$dest/usr/lib/modules-load.d/tsmon.conf" 2>/dev/null) == tsmon ]]; then
	ok "modules-load.d loads tsmon"
else
	not_ok "modules-load.d loads tsmon"
fi

units=$(ls systemd/*.service 2>/dev/null)
for u in $units; do
	f=$dest/lib/systemd/system/${u##*/}
	check_file "$f" 644
	if grep -q "^ExecStart=$prefix/bin/tsmon " "$f" 2>/dev/null; then
		ok "${u##*/} runs $prefix/bin/tsmon"
	else
		not_ok "${u##*/} runs $prefix/bin/tsmon" "$(grep ExecStart "$f" 2>&1)"
	fi
done
[[ -n $units ]] || not_ok "systemd units in the tree"

echo "1..$n"
((failed == 0))
