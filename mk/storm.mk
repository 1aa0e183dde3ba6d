# SPDX-License-Identifier: GPL-2.0
#
# Event storm: adjtimex calls that each produce one tsmon record, read at
# once through the mapped ring and a netlink subscription; every record
# must be read or counted in a LOST record. Each run uses the default ring
# (4096: overruns possible, every loss must be counted) and a ring larger
# than the storm (nothing may be lost).
#   make storm [KV=<kernel>]    1 000 000 calls per run (bench, ~2 min)
#   make storm-check KV=...     100 000 calls per run (make check, ~20 s)

BENCH		+= storm
VMCHECK		+= storm-check

STORM		:= $(B)/tests/guestbench/storm

.PHONY: storm storm-check

storm: $(STORM)
	tests/vm/run --kernel $(or $(KV),6.1) --timeout 1800 -- \
		$(STORM) -n 1000000 4096 1048576

storm-check: $(STORM)
	tests/vm/run --kernel $(or $(KV),6.1) --timeout 600 -- \
		$(STORM) -n 100000 4096 131072
