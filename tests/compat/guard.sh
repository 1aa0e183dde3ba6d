#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# guard.sh - tsmon refuses a kernel outside its tested range (5.10..7.3)
# early, with one message, unless TSMON_UNTESTED_KERNEL=1 asks for it.
#
# Run by `make compatcheck` on the host (no guest, no root); takes seconds.
#
#  1. Kernel version tests live in kmod/tsmon_compat.h alone: no other file
#     of the module names LINUX_VERSION_CODE, KERNEL_VERSION or
#     <linux/version.h>.
#  2. The header's own #error: kmod/tsmon_compat.h is preprocessed against
#     a <linux/version.h> for kernels on both sides of each bound (its other
#     includes are empty stand-ins); outside the range it stops with its
#     one message, inside it passes, and -DTSMON_UNTESTED_KERNEL lets an
#     outside version through.
#  3. The Kbuild guard: fake kernel build trees that are the installed 6.12
#     headers with only the version changed (the top Makefile's VERSION and
#     PATCHLEVEL, include/generated/uapi/linux/version.h) - the rest is a
#     symlink farm - for 5.4, 5.9 and 7.4. Building the module against
#     each must fail, print the guard's message once (naming the tested
#     range and TSMON_UNTESTED_KERNEL=1), and compile nothing: no compiler
#     diagnostic, no object file. Control trees built the same way but at
#     5.10, 6.12 and 7.3 preprocess a module source cleanly, so the failures
#     come from the version and not from the fake trees; so does the 7.4
#     tree with TSMON_UNTESTED_KERNEL=1, on the command line and from the
#     environment (the way DKMS passes it).
#
# Output is TAP; exit status 0 when every test passed, 1 otherwise.

set -u

cd "$(dirname "$(realpath "$0")")/../.." || exit 1
repo=$PWD

# kernels.conf is KEY=VALUE lines, some with spaces: read, not sourced.
kver=$(sed -n 's/^TSMON_KVER_6_12=//p' kernels.conf)
hdrs=/usr/src/linux-headers-$kver
work=$repo/build/compat
msg='tsmon is tested on Linux 5.10 to 7.3'
escape='set TSMON_UNTESTED_KERNEL=1'
# A compiler diagnostic: file:line:col: [fatal] error|warning:
cc_diag='^[^ :]+:[0-9]+:[0-9]+: (fatal )?(error|warning):'

ntest=0
failed=0

ok() {
	ntest=$((ntest + 1))
	echo "ok $ntest - $*"
}

not_ok() {
	ntest=$((ntest + 1))
	failed=$((failed + 1))
	echo "not ok $ntest - $*"
}

# check COND_STATUS DESCRIPTION [DETAIL FILE]
check() {
	local status=$1 desc=$2 detail=${3:-}

	if ((status == 0)); then
		ok "$desc"
	else
		not_ok "$desc"
		if [[ -n $detail && -s $detail ]]; then
			sed 's/^/# /' "$detail" | head -n 40
		fi
	fi
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# version_h MAJOR MINOR SUB: the kernel's generated uapi <linux/version.h>
# for that version (the installed one, its numbers replaced). As the
# kernel's Makefile does, the code saturates the sublevel at 255.
version_h() {
	local code=$((($1 << 16) + ($2 << 8) + ($3 > 255 ? 255 : $3)))

	sed -e "s/^#define LINUX_VERSION_CODE .*/#define LINUX_VERSION_CODE $code/" \
	    -e "s/^#define LINUX_VERSION_MAJOR .*/#define LINUX_VERSION_MAJOR $1/" \
	    -e "s/^#define LINUX_VERSION_PATCHLEVEL .*/#define LINUX_VERSION_PATCHLEVEL $2/" \
	    -e "s/^#define LINUX_VERSION_SUBLEVEL .*/#define LINUX_VERSION_SUBLEVEL $3/" \
	    "$hdrs/include/generated/uapi/linux/version.h"
}

# link_all SRC DST [EXCEPT...]: DST/x -> SRC/x for every entry of SRC
# (dot files included) but the EXCEPT names.
link_all() {
	local src=$1 dst=$2 e name skip

	shift 2
	mkdir -p "$dst"
	for e in "$src"/* "$src"/.[!.]*; do
		[[ -e $e || -L $e ]] || continue
		name=${e##*/}
		skip=0
		for x in "$@"; do
			[[ $name == "$x" ]] && skip=1
		done
		((skip)) || ln -sfn "$e" "$dst/$name"
	done
}

# fake_tree MAJOR MINOR: a build tree at $work/linux-MAJOR.MINOR that is
# the installed 6.12 one but for its version. Prints its path.
fake_tree() {
	local major=$1 minor=$2 sub top common tree
	local real_common

	tree=$work/linux-$major.$minor
	top=$tree/build
	common=$tree/common
	real_common=$(sed -n 's/^include \(.*\)\/Makefile$/\1/p' "$hdrs/Makefile")
	[[ -d $real_common ]] || return 1
	sub=$(sed -n 's/^SUBLEVEL = //p' "$real_common/Makefile")

	rm -rf "$tree"
	# The common half: its Makefile carries the version.
	link_all "$real_common" "$common" Makefile || return 1
	sed -e "s/^VERSION = .*/VERSION = $major/" \
	    -e "s/^PATCHLEVEL = .*/PATCHLEVEL = $minor/" \
	    "$real_common/Makefile" > "$common/Makefile" || return 1
	# The flavour half: include/generated/uapi/linux/version.h differs.
	link_all "$hdrs" "$top" Makefile include || return 1
	echo "include $common/Makefile" > "$top/Makefile"
	link_all "$hdrs/include" "$top/include" generated || return 1
	link_all "$hdrs/include/generated" "$top/include/generated" uapi || return 1
	link_all "$hdrs/include/generated/uapi" "$top/include/generated/uapi" linux || return 1
	link_all "$hdrs/include/generated/uapi/linux" "$top/include/generated/uapi/linux" \
		version.h || return 1
	version_h "$major" "$minor" "$sub" > "$top/include/generated/uapi/linux/version.h" ||
		return 1
	echo "$top"
}

# module_tree DIR: the module's sources as symlinks, as the top Makefile
# lays them out for each kernel.
module_tree() {
	local dir=$1 f

	rm -rf "$dir"
	mkdir -p "$dir/kmod" || return 1
	ln -s "$repo/include" "$dir/include"
	ln -s "$repo/Kbuild" "$dir/Kbuild"
	ln -s "$repo/VERSION" "$dir/VERSION"
	for f in "$repo"/kmod/*.[ch]; do
		ln -s "$f" "$dir/kmod/${f##*/}"
	done
}

[[ -r $hdrs/Makefile && -r $hdrs/include/generated/uapi/linux/version.h ]] ||
	skip_all "no kernel headers for $kver (make deps)"
command -v "${CC:-gcc}" > /dev/null || skip_all "no C compiler"

mkdir -p "$work" || exit 1
log=$work/log
echo "1..13"

# 1. Version tests only in the compat header.
others=$(grep -rlE 'LINUX_VERSION_CODE|KERNEL_VERSION|linux/version\.h' kmod/ Kbuild |
	 grep -vx 'kmod/tsmon_compat.h')
[[ -z $others ]]
check $? "version tests only in kmod/tsmon_compat.h${others:+ (also in: ${others//$'\n'/ })}"
grep -q 'LINUX_VERSION_CODE' kmod/tsmon_compat.h
check $? "kmod/tsmon_compat.h tests LINUX_VERSION_CODE"

# 2. The header's #error on both sides of both bounds. Only the version
#    test matters here, so every other header it includes is an empty
#    stand-in.
stub=$work/stub
rm -rf "$stub"
mkdir -p "$stub/linux"
for h in $(sed -n 's/^#include <\(linux\/[a-z_]*\.h\)>$/\1/p' kmod/tsmon_compat.h); do
	: > "$stub/$h"
done
hdr_fail=""
hdr_pass=""
for v in 5.4.0:fail 5.9.255:fail 5.10.0:pass 6.12.300:pass 7.3.0:pass 7.3.300:pass \
	 7.4.0:fail 8.0.0:fail 7.4.0:pass:untested 5.4.0:pass:untested; do
	IFS=.: read -r a b c want untested <<< "$v"
	version_h "$a" "$b" "$c" > "$stub/linux/version.h"
	status=0
	"${CC:-gcc}" -E -P -nostdinc -I"$stub" ${untested:+-DTSMON_UNTESTED_KERNEL} \
		-o /dev/null kmod/tsmon_compat.h > "$log" 2>&1 || status=$?
	errors=$(grep -cE "$cc_diag" "$log")
	if [[ $want == fail ]]; then
		# One diagnostic, the #error itself.
		if ((status != 0 && errors == 1)) && grep -q "#error \"$msg.*$escape" "$log"; then
			hdr_fail+=" $a.$b"
		else
			hdr_fail+=" $a.$b(MISSED:status=$status,errors=$errors)"
			cp "$log" "$work/header-$a.$b.log"
		fi
	else
		if ((status == 0 && errors == 0)); then
			hdr_pass+=" $a.$b${untested:+(untested)}"
		else
			hdr_pass+=" $a.$b${untested:+(untested)}(REFUSED)"
			cp "$log" "$work/header-$a.$b.log"
		fi
	fi
done
[[ $hdr_fail != *MISSED* ]]
check $? "compat header #error refuses:$hdr_fail"
[[ $hdr_pass != *REFUSED* ]]
check $? "compat header accepts:$hdr_pass"

# 3. The Kbuild guard against fake trees.
mod=$work/module
module_tree "$mod" || exit 1

# control VERSION DESCRIPTION [MAKE ARGS...]: the fake tree for VERSION
# preprocesses a module source without the guard's message.
control() {
	local v=$1 desc=$2 tree status=0

	shift 2
	tree=$(fake_tree "${v%.*}" "${v#*.}") ||
		{ echo "Bail out! cannot build a fake kernel tree"; exit 1; }
	make -C "$tree" M="$mod" "$@" kmod/tsmon_main.i > "$log" 2>&1 || status=$?
	((status == 0)) && [[ -s $mod/kmod/tsmon_main.i ]] && ! grep -q "$msg" "$log"
	check $? "control: $desc preprocesses kmod/tsmon_main.c" "$log"
	rm -f "$mod/kmod/tsmon_main.i" "$mod"/kmod/.tsmon_main.i.cmd
}

control 5.10 "a fake tree at 5.10 (oldest tested)"
control 6.12 "a fake tree left at 6.12"
control 7.3 "a fake tree at 7.3 (newest tested)"
control 7.4 "a fake 7.4 tree with TSMON_UNTESTED_KERNEL=1 on make's command line" \
	TSMON_UNTESTED_KERNEL=1
export TSMON_UNTESTED_KERNEL=1
control 7.4 "a fake 7.4 tree with TSMON_UNTESTED_KERNEL=1 in the environment"
unset TSMON_UNTESTED_KERNEL

for v in 5.4 5.9 7.4; do
	tree=$(fake_tree "${v%.*}" "${v#*.}") ||
		{ echo "Bail out! cannot build a fake kernel tree"; exit 1; }
	start=$EPOCHREALTIME
	status=0
	make -C "$tree" M="$mod" modules > "$log" 2>&1 || status=$?
	ms=$(( (${EPOCHREALTIME/./} - ${start/./}) / 1000 ))
	nmsg=$(grep -c "$msg, not $v.*$escape" "$log")
	ndiag=$(grep -cE "$cc_diag" "$log")
	nobj=$(find "$mod" -name '*.o' -o -name '*.ko' | wc -l)
	((status != 0 && nmsg == 1 && ndiag == 0 && nobj == 0))
	check $? "Linux $v: build stops in ${ms} ms (exit $status), guard message x$nmsg, compiler diagnostics $ndiag, objects $nobj" "$log"
	echo "#   $(grep -m1 "$msg" "$log")"
done

# A clean against an untested kernel still works (DKMS cleans first).
status=0
make -C "$work/linux-7.4/build" M="$mod" clean > "$log" 2>&1 || status=$?
((status == 0))
check $? "Linux 7.4: make clean is not refused" "$log"

rm -rf "$work"/linux-* "$stub"
if ((failed)); then
	echo "# $failed of $ntest failed"
	exit 1
fi
exit 0
