# SPDX-License-Identifier: GPL-2.0
#
# Fixtures shared by every reader of the ABI (tests/fixtures/FORMAT.md).
#
#   make fixtures      synthetic regions in build/fixtures, with what
#                      libtsmon reads in each (REGION.c.txt); the Rust and
#                      Go tests compare their readers with it
#                      (tests/fixtures/run.sh)
# make fixtures fails when libtsmon's view of the regions no longer covers
# every clock status and rule the comparison is for (coverage.py).

.PHONY: fixtures

MKREGION	:= $(B)/tests/cli/mkregion
FIXTURE_DUMP	:= $(B)/tests/fixtures/dump

$(MKREGION): tests/cli/mkregion.c tests/unit/region.c tests/unit/region.h \
		include/uapi/tsmon/abi.h include/tsmon/names.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -D_GNU_SOURCE -Iinclude -Iinclude/uapi \
		-Itests/unit -o $@ tests/cli/mkregion.c tests/unit/region.c

$(FIXTURE_DUMP): tests/fixtures/dump.c $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_A) $(LIBS)

fixtures: $(MKREGION) $(FIXTURE_DUMP)
	@tests/fixtures/regions.sh $(MKREGION) $(B)/fixtures > /dev/null
	@for r in $(B)/fixtures/*.region; do $(FIXTURE_DUMP) $$r > $$r.c.txt || exit 1; done
	@echo "fixtures: $$(ls $(B)/fixtures/*.region | wc -l) regions in $(B)/fixtures"
	@tests/fixtures/coverage.py $(B)/fixtures

# The region the bindings' benchmarks read: a synchronised clock (a sync
# update 1 s ago, 1 ms maxerror, every 64 s), so that now() takes its
# common path. Written afresh for each run: the sync age is part of it.
BENCH_REGION	:= $(B)/fixtures-bench.region
BENCH_SYNC	:= -H 7 -S 0x2001 -n state=ok -n captures=5 \
		   -n capture_ago=1000000000 -n syncs=5 -n sync_ago=1000000000 \
		   -n sync_maxerror=1000000 -n sync_interval=64000000000
