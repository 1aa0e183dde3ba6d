# SPDX-License-Identifier: GPL-2.0
#
# The kernel's own timers selftests (tools/testing/selftests/timers from
# /usr/src/linux-source-6.1.tar.xz, extracted and built here, never kept in
# the tree) run in the guest with tsmon loaded; every clock change they
# make must show up in tsmon's ring with the right values, and they must
# still pass. About 2 minutes per kernel, boot included; on every kernel
# of the matrix.
#   make thirdparty KV=<kernel> [TP_TESTS="valid-adjtimex adjtick ..."]

VMCHECK		+= thirdparty
VMCHECK_HOOKS	+= thirdparty

TP_DIR		:= $(B)/thirdparty
TP_SRC		:= $(TP_DIR)/src/selftests/timers
# Built: what tests/thirdparty/run.sh runs by default, and adjtick (about
# two minutes under TCG, so only on request: TP_TESTS=adjtick).
TP_PROGS	:= valid-adjtimex set-tai set-tz leap-a-day leapcrash adjtick
TP_BINS		:= $(TP_PROGS:%=$(TP_DIR)/timers/%)
TP_TESTS	?=

.PHONY: thirdparty thirdparty-build

$(TP_DIR)/src/.extracted: /usr/src/linux-source-6.1.tar.xz
	@rm -rf $(TP_DIR)/src
	@mkdir -p $(TP_DIR)/src
	tar -xJf $< -C $(TP_DIR)/src --strip-components=3 --wildcards \
		'*/tools/testing/selftests/timers/*' \
		'*/tools/testing/selftests/kselftest.h'
	@touch $@

# Their own flags (tools/testing/selftests/timers/Makefile); warnings in
# code that is not ours are not ours to fix.
$(TP_DIR)/timers/%: $(TP_DIR)/src/.extracted
	@mkdir -p $(dir $@)
	$(CC) -O3 -w -o $@ $(TP_SRC)/$*.c -lrt -lpthread -lm

$(TP_DIR)/adjlog.so: tests/thirdparty/adjlog.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -shared -o $@ $< -ldl

$(TP_DIR)/clockstate: tests/thirdparty/clockstate.c tests/helpers/clockops.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/helpers -o $@ $<

thirdparty-build: $(TP_BINS) $(TP_DIR)/adjlog.so $(TP_DIR)/clockstate

# leapcrash (a minute of the kernel's own leap-second churn) on the two
# kernel lines the others share their leap code with; the rest of the
# matrix runs the quick programs and leap-a-day.
TP_LEAPCRASH_ON	:= 6.1 7.3
TP_QUICK	:= set-tz valid-adjtimex set-tai leap-a-day:-i_2

thirdparty: thirdparty-build
	tests/vm/run --kernel $(or $(KV),6.1) --timeout 900 -- \
		env TP_TESTS='$(or $(TP_TESTS),$(if $(filter $(or $(KV),6.1),$(TP_LEAPCRASH_ON)),,$(TP_QUICK)))' \
		tests/thirdparty/run.sh
