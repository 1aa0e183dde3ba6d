# SPDX-License-Identifier: GPL-2.0
#
# Kernel compatibility.
#
#   make compatcheck    building tsmon against a kernel outside the tested
#                       range (5.10..7.3) stops in Kbuild with one message,
#                       before anything compiles, and the compat header's
#                       #error backs it up (host only, a few seconds)
#   make plantcheck     the newest kernel of the matrix (7.3, 6.17+ NTP
#                       internals) with the naive port's mistake planted
#                       (the NTP probes' arguments read at their pre-6.17
#                       positions, TSMON_TEST_NAIVE_PORT): the run-time
#                       checks must refuse the NTP group and the NTP
#                       selftest must fail (one guest, about 30 s)

HOSTCHECK	+= compatcheck
VMPLANT		+= plantcheck

PLANT_KV	:= $(lastword $(KNAMES))
PLANT_KVER	:= $(call kver_of,$(PLANT_KV))
PLANT_DIR	:= $(B)/plant/$(PLANT_KVER)

.PHONY: compatcheck plantcheck

compatcheck:
	tests/compat/guard.sh

$(PLANT_DIR)/tsmon.ko: $(KMOD_SRCS)
	@mkdir -p $(PLANT_DIR)/kmod
	@ln -sfn $(CURDIR)/include $(PLANT_DIR)/include
	@ln -sf $(CURDIR)/Kbuild $(PLANT_DIR)/Kbuild
	@ln -sf $(CURDIR)/VERSION $(PLANT_DIR)/VERSION
	@for f in kmod/*.c kmod/*.h; do ln -sf $(CURDIR)/$$f $(PLANT_DIR)/$$f; done
	$(call kbuild,$(PLANT_KVER)) M=$(CURDIR)/$(PLANT_DIR) \
		KCFLAGS=-DTSMON_TEST_NAIVE_PORT modules > $(PLANT_DIR)/build.log 2>&1 || \
		{ cat $(PLANT_DIR)/build.log; exit 1; }

plantcheck: $(PLANT_DIR)/tsmon.ko $(B)/tests/selftests/tsmon_ntp cli
	tests/vm/run --kernel $(PLANT_KV) -- tests/compat/plant_guest.sh $(PLANT_DIR)/tsmon.ko
