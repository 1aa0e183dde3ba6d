# SPDX-License-Identifier: GPL-2.0
#
# Timekeeping overhead: clock_settime / adjtimex throughput and the tick's
# cost to the rest of the system (a CPU-bound loop, timer wakeups), with
# tsmon loaded against not loaded, interleaved in one guest run.
#   make tkbench [KV=6.1|6.12] [TK_ROUNDS=15] [TK_MS=400] [TK_APPEND=ARGS]
# TK_APPEND adds guest kernel arguments. The 6.1 guest's clocksource is
# the emulated HPET (it finds its vCPUs' TSCs unsynchronised), so every
# clock read in the hooks is an emulated MMIO access there;
# TK_APPEND=tsc=reliable measures with the TSC, closer to real hardware.
# The 6.12 guest keeps the TSC. About 6 s per round with the defaults.

BENCH		+= tkbench

TK_ROUNDS	?= 15
TK_MS		?= 400
TK_APPEND	?=

.PHONY: tkbench

tkbench: $(B)/tests/guestbench/tkbench $(B)/tests/helpers/clockctl
	tests/vm/run --kernel $(or $(KV),6.1) --timeout 3600 \
		$(if $(TK_APPEND),--append '$(TK_APPEND)') -- \
		env TK_ROUNDS=$(TK_ROUNDS) TK_MS=$(TK_MS) tests/bench/tk_overhead.sh
