# SPDX-License-Identifier: GPL-2.0
#
# The 1.0 ABI, held in place.
#   make abilayout        rewrite lib/abi_layout.c (after appending a field)
#   make abicheck         the layout asserts are current, the header's version
#                         is VERSION's, and old/new programs, libraries and
#                         regions work in every pairing (tests/abi/run)

HOSTCHECK	+= abicheck

.PHONY: abilayout abicheck

abilayout:
	tests/abi/gen-layout.py

abicheck:
	tests/abi/gen-layout.py --check
	@v=$$(awk '/#define TSMON_VERSION_(MAJOR|MINOR|PATCH)/ { printf "%s%s", s, $$3; s = "." }' \
		include/tsmon/tsmon.h); \
	if [ "$$v" != "$(VERSION)" ]; then \
		echo "include/tsmon/tsmon.h says version $$v, VERSION says $(VERSION)" >&2; exit 1; \
	fi; echo "ok - <tsmon/tsmon.h> version $$v is VERSION's"
	tests/abi/run $(B)/abi
