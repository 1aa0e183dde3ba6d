#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kcheck.sh NAME DIR - W=1 and sparse (C=2) over every file of the module
# whose kbuild tree is DIR, for kernel NAME of the matrix; prints the
# diagnostics and exits 1 on any.
#
# Kbuild runs sparse only when its scripts/checker-valid.sh accepts it.
# Debian's 7.3 headers do not ship that script and Debian's newest sparse
# (0.6.4) predates 7.3's headers: it stops on __typeof_unqual__, and, with
# that mapped to __typeof__, reports "bad constant expression" on every
# MODULE_*() and module_param*() line, a limit of its parser on the
# kernel's own macros. For such a kernel sparse is forced with that mapping
# and exactly those reports are set aside (and counted); anything else,
# on any kernel, fails. A kernel where sparse would not run at all fails
# too: a check that silently did nothing must not pass.

set -u

name=$1
dir=$2
here=$(dirname "$(realpath "${BASH_SOURCE[0]}")")
matrix=$here/kernels
log=$dir/sparse.log

"$matrix" make "$name" -s M="$dir" W=1 C=2 modules > "$log" 2>&1 || {
	cat "$log"
	exit 1
}
forced=0
if grep -q 'sparse is not available or not up to date' "$log"; then
	forced=1
	"$matrix" make "$name" -s M="$dir" W=1 C=2 KBUILD_CHECKSRC=2 \
		CF=-D__typeof_unqual__=__typeof__ modules > "$log" 2>&1 || {
		cat "$log"
		exit 1
	}
fi

# file:line: of a diagnostic whose source line is a MODULE_*()/module_param*()
# macro, when sparse was forced.
set_aside=0
problems=()
while IFS= read -r line; do
	if ((forced)) && [[ $line =~ ^([^:]+):([0-9]+):[0-9]+:\ error:\ bad\ constant\ expression$ ]]; then
		src=$(sed -n "${BASH_REMATCH[2]}p" "$dir/${BASH_REMATCH[1]}" 2> /dev/null)
		if [[ $src =~ ^(MODULE_[A-Z_]+|module_param[a-z_]*)\( ]]; then
			set_aside=$((set_aside + 1))
			continue
		fi
	fi
	# Kbuild says so again when sparse is forced past its check.
	if ((forced)) && [[ $line == *'sparse is not available or not up to date'* ||
			    $line == *'checker-valid.sh: No such file or directory'* ]]; then
		continue
	fi
	problems+=("$line")
done < <(grep -E 'warning|error|not available|No such file' "$log")
# Forced, sparse must have been heard from: it reports those lines.
if ((forced && set_aside == 0)); then
	problems+=("sparse did not run (nothing reported when forced)")
fi

if ((${#problems[@]})); then
	printf '%s\n' "${problems[@]}"
	echo "kcheck: W=1/sparse diagnostics for $dir ($name)"
	exit 1
fi
if ((forced)); then
	echo "   sparse forced (too old for these headers): $set_aside MODULE_*/module_param line(s) set aside"
fi
exit 0
