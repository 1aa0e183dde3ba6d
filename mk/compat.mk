# SPDX-License-Identifier: GPL-2.0
#
# Kernel compatibility guard: building tsmon against a kernel outside
# 6.1..6.12 stops in Kbuild with one message, before anything compiles, and
# the compat header's #error backs it up. Host only, a few seconds.

HOSTCHECK	+= compatcheck

.PHONY: compatcheck

compatcheck:
	tests/compat/guard.sh
