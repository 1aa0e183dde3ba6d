# SPDX-License-Identifier: GPL-2.0
#
# The unit tests under sanitizers:
#
#   make sanitize        both of the below
#   make sanitize-asan   the library and every unit test with ASan + UBSan
#                        (build/asan/), any report fatal
#   make sanitize-tsan   the library and the multi-threaded unit tests (those
#                        that call pthread_create()) with TSan (build/tsan/)
#
# The library reads the region racily by design (a seqlock: the copy is
# retried when the writer got in between), but every such read is an
# atomic load (relaxed, ordered by fences; acquire under TSan, which does
# not model fences), and the test writer stores the same way: TSan has no
# race to report and runs without suppressions. Any report fails.

SAN_CC		:= clang
SAN_CFLAGS	:= -std=gnu11 $(WARN) -D_GNU_SOURCE -Iinclude -Iinclude/uapi \
		   -DTSMON_VERSION=\"$(VERSION)\" -g -O1 -fno-omit-frame-pointer
ASAN_DIR	:= $(B)/asan
TSAN_DIR	:= $(B)/tsan
ASAN_FLAGS	:= -fsanitize=address,undefined -fno-sanitize-recover=all
TSAN_FLAGS	:= -fsanitize=thread
SAN_OBJ_SRCS	:= $(LIB_SRCS) $(UNIT_HELPERS)
TSAN_UNIT_SRCS	:= $(shell grep -l pthread_create $(UNIT_SRCS))
ASAN_BINS	:= $(UNIT_SRCS:tests/unit/%.c=$(ASAN_DIR)/%)
TSAN_BINS	:= $(TSAN_UNIT_SRCS:tests/unit/%.c=$(TSAN_DIR)/%)
SAN_HDRS	:= include/tsmon/tsmon.h include/uapi/tsmon/abi.h \
		   include/uapi/tsmon/netlink.h $(wildcard lib/*.h tests/unit/*.h)

ASAN_ENV	:= ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1 \
		   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
TSAN_ENV	:= TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"

.PHONY: sanitize sanitize-asan sanitize-tsan
.SECONDARY: $(SAN_OBJ_SRCS:%.c=$(ASAN_DIR)/obj/%.o) $(SAN_OBJ_SRCS:%.c=$(TSAN_DIR)/obj/%.o)

$(ASAN_DIR)/obj/%.o: %.c $(SAN_HDRS)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_CFLAGS) $(ASAN_FLAGS) -c -o $@ $<

$(TSAN_DIR)/obj/%.o: %.c $(SAN_HDRS)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_CFLAGS) $(TSAN_FLAGS) -c -o $@ $<

$(ASAN_DIR)/test_%: tests/unit/test_%.c $(SAN_HDRS) $(SAN_OBJ_SRCS:%.c=$(ASAN_DIR)/obj/%.o)
	$(SAN_CC) $(SAN_CFLAGS) $(ASAN_FLAGS) -Itests/unit -o $@ $< \
		$(SAN_OBJ_SRCS:%.c=$(ASAN_DIR)/obj/%.o) $(LIBS) -lcmocka -lpthread

$(TSAN_DIR)/test_%: tests/unit/test_%.c $(SAN_HDRS) $(SAN_OBJ_SRCS:%.c=$(TSAN_DIR)/obj/%.o)
	$(SAN_CC) $(SAN_CFLAGS) $(TSAN_FLAGS) -Itests/unit -o $@ $< \
		$(SAN_OBJ_SRCS:%.c=$(TSAN_DIR)/obj/%.o) $(LIBS) -lcmocka -lpthread

sanitize-asan: $(ASAN_BINS)
	@set -e; for t in $(ASAN_BINS); do echo "== asan+ubsan: $$t"; \
		$(ASAN_ENV) $$t; done

sanitize-tsan: $(TSAN_BINS)
	@set -e; for t in $(TSAN_BINS); do echo "== tsan: $$t"; \
		$(TSAN_ENV) $$t; done

sanitize: sanitize-asan sanitize-tsan

HOSTCHECK += sanitize
