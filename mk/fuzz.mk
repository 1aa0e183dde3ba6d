# SPDX-License-Identifier: GPL-2.0
#
# libFuzzer harnesses for libtsmon (tests/fuzz/README.md):
#
#   make fuzz                    each harness for FUZZ_SECONDS (25) seconds
#   FUZZ_SECONDS=600 make fuzz   a longer local run (or: make fuzz-long)
#   make fuzz-build              only build them, into build/fuzz/
#   make fuzz-coverage           lib/ source coverage of the corpus
#
# The library, the test region writer and the harnesses are built with
# clang, libFuzzer, ASan and UBSan, any report being fatal. Each run starts
# from the checked-in seeds (tests/fuzz/corpus/<name>/), copied into a
# scratch corpus under build/fuzz/corpus/ that keeps what earlier runs
# found; the checked-in corpus is never written. A crash, leak, sanitizer
# report or hang fails the target and leaves the input in
# build/fuzz/artifacts/<name>/.

FUZZ_DIR	:= $(B)/fuzz
FUZZ_CC		:= clang
FUZZ_SECONDS	?= 25
FUZZ_NAMES	:= region records netlink
FUZZ_BINS	:= $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%)
FUZZ_SAN	:= -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer
FUZZ_CFLAGS	:= -std=gnu11 $(WARN) -D_GNU_SOURCE -Iinclude -Iinclude/uapi \
		   -DTSMON_VERSION=\"$(VERSION)\" -g -O1 $(FUZZ_SAN)
FUZZ_LIB_OBJS	:= $(LIB_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_REGION_OBJ	:= $(FUZZ_DIR)/obj/tests/unit/region.o
# Kept between builds (make deletes intermediate pattern-rule outputs).
.SECONDARY: $(FUZZ_LIB_OBJS)
# Largest input per harness: a few pages of region, a few KiB of the rest.
FUZZ_MAXLEN_region	:= 16384
FUZZ_MAXLEN_records	:= 4096
FUZZ_MAXLEN_netlink	:= 8192

.PHONY: fuzz fuzz-build fuzz-long fuzz-seeds fuzz-coverage $(FUZZ_NAMES:%=fuzz-run-%)

fuzz-build: $(FUZZ_BINS) $(FUZZ_DIR)/mkseeds

$(FUZZ_DIR)/obj/lib/%.o: lib/%.c include/tsmon/tsmon.h include/uapi/tsmon/abi.h \
		include/uapi/tsmon/netlink.h $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

# The test writer is not fuzzed: sanitizers, but no coverage feedback.
$(FUZZ_REGION_OBJ): tests/unit/region.c tests/unit/region.h include/uapi/tsmon/abi.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

# The harness's own comparisons are not traced: they check results, and
# tracing them costs more than it guides.
$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_LIB_OBJS) $(FUZZ_REGION_OBJ)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Ilib -Itests/unit -fsanitize=fuzzer \
		-fno-sanitize-coverage=trace-cmp -o $@ $< \
		$(FUZZ_LIB_OBJS) $(FUZZ_REGION_OBJ) $(LIBS)

# The seed generator: an ordinary program (no libFuzzer), ASan all the same.
$(FUZZ_DIR)/mkseeds: tests/fuzz/mkseeds.c tests/fuzz/fuzz.h $(FUZZ_REGION_OBJ)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Itests/unit -o $@ $< $(FUZZ_REGION_OBJ) $(LIBS)

# Rewrites tests/fuzz/corpus/*/seed-*; the regression inputs (regress-*) stay.
fuzz-seeds: $(FUZZ_DIR)/mkseeds
	$(FUZZ_DIR)/mkseeds tests/fuzz/corpus

fuzz: $(FUZZ_NAMES:%=fuzz-run-%)

# One harness: its seeds into the scratch corpus, then FUZZ_SECONDS of
# fuzzing; the summary lines come from the log.
$(FUZZ_NAMES:%=fuzz-run-%): fuzz-run-%: $(FUZZ_DIR)/fuzz_%
	@mkdir -p $(FUZZ_DIR)/corpus/$* $(FUZZ_DIR)/artifacts/$*
	@cp tests/fuzz/corpus/$*/* $(FUZZ_DIR)/corpus/$*/
	@echo "== fuzz_$*: $(FUZZ_SECONDS) s"
	@$(FUZZ_DIR)/fuzz_$* -max_total_time=$(FUZZ_SECONDS) \
		-max_len=$(FUZZ_MAXLEN_$*) -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/artifacts/$*/ \
		$(FUZZ_DIR)/corpus/$* > $(FUZZ_DIR)/$*.log 2>&1 || { \
		tail -n 60 $(FUZZ_DIR)/$*.log; \
		echo "fuzz_$* FAILED: input in $(FUZZ_DIR)/artifacts/$*/," \
		     "log in $(FUZZ_DIR)/$*.log"; exit 1; }
	@grep -E '^#[0-9]+.*(INITED|DONE)|stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' \
		$(FUZZ_DIR)/$*.log

fuzz-long:
	$(MAKE) fuzz FUZZ_SECONDS=600

# Source coverage of lib/ reached by the scratch corpus (seeds plus what
# fuzzing added): the harnesses rebuilt with clang's coverage mapping, each
# run once over its corpus, then llvm-cov's report.
FUZZ_COV	:= $(FUZZ_DIR)/cov
FUZZ_COV_FLAGS	:= -std=gnu11 -D_GNU_SOURCE -Iinclude -Iinclude/uapi -Ilib \
		   -Itests/unit -DTSMON_VERSION=\"$(VERSION)\" -g -O1 \
		   -fprofile-instr-generate -fcoverage-mapping

$(FUZZ_COV)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(LIB_SRCS) tests/unit/region.c $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_COV_FLAGS) -fsanitize=fuzzer -o $@ $< $(LIB_SRCS) \
		tests/unit/region.c $(LIBS)

fuzz-coverage: $(FUZZ_NAMES:%=$(FUZZ_COV)/fuzz_%)
	@set -e; for n in $(FUZZ_NAMES); do \
		mkdir -p $(FUZZ_DIR)/corpus/$$n; \
		cp tests/fuzz/corpus/$$n/* $(FUZZ_DIR)/corpus/$$n/; \
		LLVM_PROFILE_FILE=$(FUZZ_COV)/$$n.profraw \
			$(FUZZ_COV)/fuzz_$$n -runs=0 $(FUZZ_DIR)/corpus/$$n \
			> $(FUZZ_COV)/$$n.log 2>&1; \
		llvm-profdata merge -o $(FUZZ_COV)/$$n.profdata $(FUZZ_COV)/$$n.profraw; \
	done
	@for n in $(FUZZ_NAMES); do echo "== fuzz_$$n: coverage of lib/"; \
		llvm-cov report $(FUZZ_COV)/fuzz_$$n \
			-instr-profile=$(FUZZ_COV)/$$n.profdata $(LIB_SRCS) | \
			sed '/^---/d'; done

HOSTCHECK += fuzz
