# SPDX-License-Identifier: GPL-2.0
#
# tsmon_now() next to clock_gettime(CLOCK_REALTIME), quiet and with an
# unprivileged neighbour looping on adjtimex(modes=0) on the other CPU.
# Target: the clock line tsmon_now() reads never moves under the neighbour
# (the ratios are printed; TCG models no caches, see tests/bench/health_read.c).
#   make nowbench [KV=6.1] [NOW_ROUNDS=15] [NOW_KO=<another tsmon.ko>] [NOW_APPEND=ARGS]
# NOW_KO (a path inside the repository) measures another build of the
# module, an older one say, with this library. NOW_APPEND adds guest kernel
# arguments: tsc=reliable gives the 6.1 guest a TSC clocksource instead of
# the emulated HPET, whose every read is an emulated device access.

BENCH		+= nowbench

NOW_ROUNDS	?= 15

.PHONY: nowbench

nowbench: $(B)/tests/guestbench/nowbench modules
	tests/vm/run --kernel $(or $(KV),6.1) --timeout 1800 \
		$(if $(NOW_APPEND),--append '$(NOW_APPEND)') -- \
		$(if $(NOW_KO),env TSMON_KO=$(NOW_KO)) $(B)/tests/guestbench/nowbench -r $(NOW_ROUNDS)
