#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# deb_guest.sh DEBDIR - install tsmon's Debian packages on the running
# kernel as an operator would, and use them. Runs as root inside a
# `tests/vm/run --writable` guest (it installs packages and steps the clock):
#   - dpkg -i of tsmon-dkms, libtsmon0, libtsmon-dev and tsmon; tsmon-dkms'
#     postinst has DKMS build and install the module for this kernel;
#   - `modprobe tsmon` loads that DKMS-built file, not the tree build (the
#     build ID of the loaded module is the DKMS file's);
#   - /dev/tsmon is 0444, and an unprivileged user reads it with the
#     installed tsmon and with a program built against libtsmon-dev through
#     pkg-config alone;
#   - dpkg --purge removes the module and every file again.
# TAP; exit 1 on any failure.

set -u
cd "$(dirname "$(realpath "$0")")/../.." || exit 1
# shellcheck source=../cli/tap.sh
. tests/cli/tap.sh

debdir=$1
version=$(cat VERSION)
kver=$(uname -r)
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
CLOCKCTL=build/tests/helpers/clockctl

check() {
	local desc=$1

	shift
	if out=$("$@" 2>&1); then
		ok "$desc"
	else
		not_ok "$desc" "$out"
	fi
}

# The ELF build ID of a module file (compressed or not) or of the loaded
# module (its notes in sysfs).
build_id() {
	local f=$1

	case $f in
	*.xz)	xz -dc "$f" > "$TMP/id.ko"; f=$TMP/id.ko ;;
	*.zst)	zstd -qdc "$f" > "$TMP/id.ko"; f=$TMP/id.ko ;;
	esac
	if [[ $f == /sys/* ]]; then
		# An ELF note: namesz, descsz, type, "GNU\0", then the ID.
		od -An -tx1 -v -j 16 "$f" | tr -d ' \n'
	else
		readelf -n "$f" | sed -n 's/.*Build ID: \([0-9a-f]*\).*/\1/p'
	fi
}

# man-db's trigger re-indexes every man page: minutes under emulation, and
# nothing here reads the index.
rm -f /var/lib/man-db/auto-update
export DEBIAN_FRONTEND=noninteractive

debs=()
for p in tsmon-dkms libtsmon0 libtsmon-dev tsmon; do
	f=$(ls "$debdir"/"${p}"_"$version"_*.deb 2>/dev/null | head -n 1)
	[[ -n $f ]] || { not_ok "package $p $version in $debdir"; echo "1..$n"; exit 1; }
	debs+=("$f")
done

lsmod | grep -q '^tsmon ' && rmmod tsmon
start=$SECONDS
if dpkg -i "${debs[@]}" > "$TMP/dpkg.log" 2>&1; then
	ok "dpkg -i ${debs[*]##*/} ($((SECONDS - start)) s, DKMS build included)"
else
	not_ok "dpkg -i of the four packages"
	tail -n 40 "$TMP/dpkg.log" | sed 's/^/#   /'
	echo "1..$n"
	exit 1
fi
grep -E '^(Building|Installing|Running)|DKMS' "$TMP/dpkg.log" | sed 's/^/# /'

status=$(dkms status -m tsmon -v "$version" -k "$kver" 2>/dev/null)
if [[ $status == *": installed"* ]]; then
	ok "dkms status: $status"
else
	not_ok "dkms status: tsmon/$version installed for $kver" "$status"
fi

check "modprobe tsmon" modprobe tsmon
path=$(modinfo -n tsmon 2>&1)
if [[ $path == /lib/modules/$kver/updates/dkms/tsmon.ko* ]]; then
	ok "modprobe resolves tsmon to the DKMS module $path"
else
	not_ok "modprobe resolves tsmon to the DKMS module" "$path"
fi
loaded=$(build_id /sys/module/tsmon/notes/.note.gnu.build-id)
dkms_id=$(build_id "$path")
tree_id=$(build_id "$TSMON_KO" 2>/dev/null)
if [[ -n $loaded && $loaded == "$dkms_id" && $loaded != "$tree_id" ]]; then
	ok "the loaded module is the DKMS build (build ID $loaded)"
else
	not_ok "the loaded module is the DKMS build" "loaded $loaded" \
		"dkms file $dkms_id" "tree build $tree_id"
fi
got=$(cat /sys/module/tsmon/version 2>&1)
if [[ $got == "$version" ]]; then
	ok "loaded module version $got"
else
	not_ok "loaded module version $version" "$got"
fi

mode=$(stat -c '%a %U %F' /dev/tsmon 2>&1)
if [[ $mode == "444 root character special file" ]]; then
	ok "/dev/tsmon: $mode"
else
	not_ok "/dev/tsmon is a 0444 root character device" "$mode"
fi

got=$(/usr/bin/tsmon --version 2>&1)
if [[ $got == "tsmon $version" ]]; then
	ok "installed tsmon --version: $got"
else
	not_ok "installed tsmon --version" "$got"
fi
check "tsmon status as an unprivileged user" "${nobody[@]}" /usr/bin/tsmon status
head -n 6 <<<"$out" | sed 's/^/# /'

# A step must reach an unprivileged reader of the installed stack.
"$CLOCKCTL" step 1.5 > /dev/null
check "tsmon ring --json as an unprivileged user" "${nobody[@]}" /usr/bin/tsmon ring --json
"$CLOCKCTL" step -1.5 > /dev/null
if python3 -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin if l.strip()]
recs = recs if not (len(recs) == 1 and isinstance(recs[0], list)) else recs[0]
assert any(r.get("type") == "clock_step" and r.get("delta_ns") == 1500000000
	   for r in recs), recs
' <<<"$out" 2>"$TMP/err"; then
	ok "the +1.5 s step is in the ring as read by the installed tsmon"
else
	not_ok "the +1.5 s step is in the ring as read by the installed tsmon" \
		"$(cat "$TMP/err")" "$out"
fi

# libtsmon-dev: a program built with nothing but pkg-config, run unprivileged.
flags=$(pkg-config --cflags --libs libtsmon 2>&1)
if gcc -Wall -Werror -o "$TMP/hello" tests/install/hello.c $flags 2> "$TMP/err"; then
	ok "hello.c builds against the installed libtsmon-dev ($flags)"
	chmod 755 "$TMP" "$TMP/hello"
	check "hello reads /dev/tsmon as an unprivileged user" \
		"${nobody[@]}" "$TMP/hello" /dev/tsmon
	echo "# $out"
	if ldd "$TMP/hello" | grep -Eq "=> /(usr/)?lib/[^ ]*/libtsmon.so.${version%%.*} "; then
		ok "hello uses the packaged libtsmon.so.${version%%.*}"
	else
		not_ok "hello uses the packaged libtsmon.so" "$(ldd "$TMP/hello")"
	fi
else
	not_ok "hello.c builds against the installed libtsmon-dev" "$(cat "$TMP/err")"
fi

for f in /lib/udev/rules.d/60-tsmon.rules /usr/lib/modules-load.d/tsmon.conf \
	 /usr/share/man/man8/tsmon.8.gz /usr/share/man/man7/tsmon.7.gz \
	 /usr/share/man/man3/tsmon_now.3.gz /usr/include/tsmon/abi.h; do
	if [[ -f $f ]]; then ok "installed $f"; else not_ok "installed $f"; fi
done
units=$(dpkg -L tsmon | grep '^/lib/systemd/system/.*\.service$')
if [[ -n $units ]] && ! ls /etc/systemd/system/*.wants/tsmon* > /dev/null 2>&1; then
	ok "systemd units shipped, none enabled: $(echo $units)"
else
	not_ok "systemd units shipped, none enabled" "$units" \
		"$(ls /etc/systemd/system/*.wants/ 2>&1)"
fi

check "rmmod tsmon" rmmod tsmon
if dpkg --purge tsmon libtsmon-dev libtsmon0 tsmon-dkms > "$TMP/dpkg.log" 2>&1; then
	ok "dpkg --purge of the four packages"
else
	not_ok "dpkg --purge of the four packages" "$(tail -n 30 "$TMP/dpkg.log")"
fi
left=$(ls /lib/modules/"$kver"/updates/dkms/tsmon.ko* /usr/src/tsmon-"$version" \
	/usr/bin/tsmon /var/lib/dkms/tsmon 2>/dev/null)
if [[ -z $left ]]; then
	ok "purge leaves no module, source tree, DKMS state or CLI"
else
	not_ok "purge leaves nothing behind" "$left"
fi
if modprobe -n tsmon > /dev/null 2>&1; then
	not_ok "modprobe no longer finds tsmon"
else
	ok "modprobe no longer finds tsmon"
fi

echo "1..$n"
((failed == 0))
