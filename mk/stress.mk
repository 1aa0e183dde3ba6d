# SPDX-License-Identifier: GPL-2.0
#
# The stress run in the test guest (tests/stress/): steps of CLOCK_REALTIME
# and of a PHC, adjtimex writes, mapped readers and netlink listeners, all
# while the module is unloaded and loaded again. Once per kernel during
# `make check` (KV=<kernel>): `stress` on the kernels tested "full",
# `stress-short` (STRESS_SHORT_SECONDS, 20 s) on the others. STRESS_SECONDS
# sets the load's length (default 40 s; `make stress STRESS_SECONDS=600` for
# a long local run); with the guest's boot the run costs about a minute per
# kernel.

STRESS_SRCS	:= $(wildcard tests/stress/*.c)
STRESS_BINS	:= $(STRESS_SRCS:tests/stress/%.c=$(B)/tests/stress/%)
STRESS_SECONDS	?= 40
STRESS_SHORT_SECONDS ?= 20

$(B)/tests/stress/%: tests/stress/%.c $(wildcard tests/selftests/*.h tests/helpers/*.h) $(KSFT_DIR)/kselftest.h $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -I$(KSFT_DIR) -Itests/selftests -Itests/helpers -o $@ $< $(LIB_A) $(LIBS) -lpthread

.PHONY: stress stress-short stress-bins

stress-bins: $(STRESS_BINS)

# One guest per kernel (KV=<kernel>); two vCPUs so that readers, writers
# and the reloader really run at once.
STRESS_KVER	= $(call kver_of,$(or $(KV),6.1))

stress: $(STRESS_BINS)
	$(MAKE) --no-print-directory $(B)/kmod/$(STRESS_KVER)/tsmon.ko \
		$(B)/testphc/$(STRESS_KVER)/tsmon_testphc.ko
	tests/vm/run --kernel $(or $(KV),6.1) --smp 2 \
		--timeout $$(($(STRESS_SECONDS) + 600)) -- \
		env STRESS_SECONDS=$(STRESS_SECONDS) tests/stress/run.sh

stress-short:
	$(MAKE) stress STRESS_SECONDS=$(STRESS_SHORT_SECONDS)

VMCHECK += stress
VMCHECK_HOOKS += stress-short
