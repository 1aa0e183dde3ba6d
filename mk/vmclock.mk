# SPDX-License-Identifier: GPL-2.0
#
# VM clock disruption: on every kernel of the matrix a guest with a VMClock
# device (QEMU 10 from the trixie root) is live-migrated to a file and
# restored; tsmon must record the exact marker change, push it over netlink
# and turn the bounded clock DISRUPTED (tests/vmclock/run). One more boot
# without the device checks that tsmon loads and reports none.
#   make vmclockcheck [VMCLOCK_KERNELS="6.1 7.3"]

VMCLOCK_KERNELS	?= $(KNAMES)
VMCLOCK_NONE_KV	?= 6.1

.PHONY: vmclockcheck

$(B)/tests/vmclock/vmclock_check: tests/vmclock/vmclock_check.c $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_A) $(LIBS)

vmclockcheck: cli $(B)/tests/vmclock/vmclock_check
	@set -e; for k in $(VMCLOCK_KERNELS); do \
		$(MAKE) --no-print-directory $(B)/kmod/$$($(MATRIX) get $$k kver)/tsmon.ko; \
		s=$$(date +%s); tests/vmclock/run --kernel $$k; \
		echo "   vmclock $$k: $$(( $$(date +%s) - s )) s" >> $(B)/check-times.txt; \
	done
	@$(MAKE) --no-print-directory $(B)/kmod/$(call kver_of,$(VMCLOCK_NONE_KV))/tsmon.ko
	@s=$$(date +%s); tests/vmclock/run --kernel $(VMCLOCK_NONE_KV) --no-vmclock; \
		echo "   vmclock $(VMCLOCK_NONE_KV) (no device): $$(( $$(date +%s) - s )) s" >> $(B)/check-times.txt

# The tick-path cost of the check: the timekeeping hook's duration per tick
# (function_graph), tsmon loaded with the page watched and not, alternating.
BENCH		+= vmclockbench
.PHONY: vmclockbench
vmclockbench: cli $(B)/tests/vmclock/vmclock_check
	@$(MAKE) --no-print-directory $(B)/kmod/$(call kver_of,$(or $(KV),7.3))/tsmon.ko
	tests/vmclock/run --kernel $(or $(KV),7.3) --bench
