#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# pkgconfig.sh PREFIX VERSION - against a tree installed with
# `make install PREFIX=PREFIX`: pkg-config finds libtsmon at VERSION, and a
# program built with nothing but its flags links (shared, and static with
# --static) and runs. TAP; exit 1 on any failure.

set -u
cd "$(dirname "$(realpath "$0")")/../.." || exit 1
# shellcheck source=../cli/tap.sh
. tests/cli/tap.sh

prefix=$1
version=$2
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
# Only the installed tree: no flags from the repository may leak in.
unset CFLAGS CPPFLAGS LDFLAGS C_INCLUDE_PATH LIBRARY_PATH

got=$(pkg-config --modversion libtsmon 2>&1)
if [[ $got == "$version" ]]; then
	ok "pkg-config --modversion libtsmon = $version"
else
	not_ok "pkg-config --modversion libtsmon = $version" "$got"
fi

flags=$(pkg-config --cflags --libs libtsmon)
if ${CC:-gcc} -Wall -Werror -o "$TMP/hello" tests/install/hello.c $flags 2>"$TMP/err"; then
	ok "hello.c builds with: $flags"
else
	not_ok "hello.c builds with: $flags" "$(cat "$TMP/err")"
fi
if out=$(LD_LIBRARY_PATH=$prefix/lib "$TMP/hello" 2>&1); then
	ok "hello runs against the installed libtsmon.so: $out"
else
	not_ok "hello runs against the installed libtsmon.so" "$out"
fi
if LD_LIBRARY_PATH=$prefix/lib ldd "$TMP/hello" | grep -q "$prefix/lib/libtsmon.so.${version%%.*}"; then
	ok "hello loads libtsmon.so.${version%%.*} from the installed tree"
else
	not_ok "hello loads the installed libtsmon.so" "$(LD_LIBRARY_PATH=$prefix/lib ldd "$TMP/hello")"
fi

flags=$(pkg-config --static --cflags --libs libtsmon)
libdir=$(pkg-config --variable=libdir libtsmon)
# -l: would pick the .so; the static archive is what --static users link.
flags=${flags/-ltsmon/$libdir/libtsmon.a}
if ${CC:-gcc} -Wall -Werror -o "$TMP/hello-static" tests/install/hello.c $flags 2>"$TMP/err" &&
   out=$("$TMP/hello-static" 2>&1); then
	ok "hello links libtsmon.a with --static flags ($flags) and runs"
else
	not_ok "hello links libtsmon.a with --static flags" "$(cat "$TMP/err")" "${out:-}"
fi

echo "1..$n"
((failed == 0))
