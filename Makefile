# SPDX-License-Identifier: GPL-2.0
#
# tsmon top-level build.
#
#   make              library, CLI (build/tsmon) and, when the headers of
#                     KVER (default: running kernel) are installed, the module
#   make demo         install what is missing, boot the 6.1 guest, show events
#   make check        everything CI runs: unit tests, every matrix kernel's
#                     build (W=1, sparse, DKMS) and the guest suites on
#                     every kernel of kernels.conf
#   make bench        read-path benchmarks on the host, feed benchmarks in
#                     the guest

include kernels.conf

VERSION		:= $(shell cat VERSION)
# The soname's number is VERSION's major number.
SOVERSION	:= $(firstword $(subst ., ,$(VERSION)))
KVER		?= $(shell uname -r)
B		:= build

# The kernel matrix (kernels.conf): short names, and each one's release,
# suite and test level. tests/matrix/kernels knows where each lives and
# builds against it, on the host or in the root of its Debian release.
MATRIX		:= tests/matrix/kernels
KNAMES		:= $(TSMON_KERNELS)
kkey		= $(subst -,_,$(subst .,_,$(1)))
kver_of		= $(TSMON_KVER_$(call kkey,$(1)))
ktests_of	= $(TSMON_TESTS_$(call kkey,$(1)))
ksuite_of	= $(TSMON_SUITE_$(call kkey,$(1)))
kname_of	= $(strip $(foreach n,$(KNAMES),$(if $(filter $(1),$(call kver_of,$(n))),$(n))))
KVERS		:= $(foreach n,$(KNAMES),$(call kver_of,$(n)))
# Kernels of the host's release, installed on the host by make deps.
HOST_KNAMES	:= $(foreach n,$(KNAMES),$(if $(filter bookworm,$(call ksuite_of,$(n))),$(n)))
# make -C <kernel build tree> for kernel release $(1): a matrix kernel's
# through tests/matrix/kernels, any other through its installed headers.
kbuild		= $(if $(call kname_of,$(1)),$(MATRIX) make $(call kname_of,$(1)),$(MAKE) -C /lib/modules/$(1)/build)

CC		?= gcc
CFLAGS		?= -O2 -g
WARN		:= -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
		   -Wformat=2 -Wno-unused-parameter
ALL_CFLAGS	:= -std=gnu11 $(WARN) -D_GNU_SOURCE -Iinclude -Iinclude/uapi \
		   -DTSMON_VERSION=\"$(VERSION)\" $(CPPFLAGS) $(CFLAGS)

LIBS		:= -lmnl
# The CLI alone logs to the journal (tsmon events --journal).
CLI_LIBS	:= -lsystemd
LIB_SRCS	:= $(wildcard lib/*.c)
LIB_PIC_OBJS	:= $(LIB_SRCS:%.c=$(B)/pic/%.o)
LIB_OBJS	:= $(LIB_SRCS:%.c=$(B)/%.o)
LIB_SO		:= $(B)/libtsmon.so.$(VERSION)
LIB_A		:= $(B)/libtsmon.a
TOOL_SRCS	:= $(wildcard tools/*.c)
UNIT_SRCS	:= $(wildcard tests/unit/test_*.c)
UNIT_BINS	:= $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/unit/%)
UNIT_HELPERS	:= $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))
SELF_SRCS	:= $(wildcard tests/selftests/tsmon_*.c)
SELF_BINS	:= $(SELF_SRCS:tests/selftests/%.c=$(B)/tests/selftests/%)
HELPER_SRCS	:= $(wildcard tests/helpers/*.c)
HELPER_BINS	:= $(HELPER_SRCS:tests/helpers/%.c=$(B)/tests/helpers/%)
BENCH_SRCS	:= $(wildcard tests/bench/*.c)
BENCH_BINS	:= $(BENCH_SRCS:tests/bench/%.c=$(B)/tests/bench/%)
KSFT_DIR	:= $(B)/kselftest
KMOD_SRCS	:= Kbuild VERSION $(wildcard kmod/*.c kmod/*.h) include/uapi/tsmon/abi.h include/uapi/tsmon/netlink.h include/tsmon/names.h

# Debian packages the build and the guest tests need.
DEB_PKGS	:= gcc make libc6-dev pkg-config libcmocka-dev libmnl-dev sparse \
		   valgrind python3 \
		   qemu-system-x86 busybox-static kmod cpio xz-utils \
		   linux-source-6.1 mmdebstrap util-linux \
		   $(foreach n,$(HOST_KNAMES),linux-image-$(call kver_of,$(n))-unsigned \
			linux-headers-$(call kver_of,$(n))) \
		   clang llvm libclang-rt-14-dev libsystemd-dev \
		   dkms dh-dkms debhelper dpkg-dev fakeroot lintian \
		   systemd udev passwd \
		   rustc cargo golang-go

# Test and benchmark suites live in mk/*.mk fragments.  Each adds its
# targets to these lists: HOSTCHECK runs on the host after the CLI test;
# VMCHECK with KV=<kernel> after the guest suite of every kernel tested
# "full", VMCHECK_HOOKS after that of every kernel tested "hooks" (see
# kernels.conf), VMONCE once, VMPLANT once on the newest kernel; BENCH
# after the host benchmarks; VMBOTH with KV=<kernel> after the guest suite
# of each of Debian 12's two kernels ($(BOTH_KV)).
HOSTCHECK	:=
VMCHECK		:=
VMBOTH		:=
BOTH_KV		:= 6.1 6.12
VMCHECK_HOOKS	:=
VMONCE		:=
VMPLANT		:=
BENCH		:=

.PHONY: all lib cli module modules testphc linuxptp deps deps-host unit clitest selftests bench-guest bench demo check \
	kcheck vmcheck vm-selftests vm-events vmonce vmplant vmmatrix clean

all: lib cli module

lib: $(LIB_SO) $(LIB_A)
cli: $(B)/tsmon

# ---------------------------------------------------------------- deps
# Host packages, then the build roots and unpacked images of the kernels
# of other Debian releases (cached in /var/cache/tsmon, see
# tests/matrix/kernels). INITRD=No: the guests boot their own initramfs,
# so the kernels installed here need none of their own.
deps: deps-host
	$(MATRIX) prepare $(KNAMES)

deps-host:
	@missing=$$(for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		export DEBIAN_FRONTEND=noninteractive INITRD=No; \
		apt-get update -q && \
		apt-get install -y -q --no-install-recommends $$missing; \
	fi

# ---------------------------------------------------------------- library
$(B)/pic/lib/%.o: lib/%.c include/tsmon/tsmon.h include/uapi/tsmon/abi.h $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

$(B)/lib/%.o: lib/%.c include/tsmon/tsmon.h include/uapi/tsmon/abi.h $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB_SO): $(LIB_PIC_OBJS) lib/libtsmon.map
	$(CC) -shared -Wl,-soname,libtsmon.so.$(SOVERSION) \
		-Wl,--version-script=lib/libtsmon.map $(LDFLAGS) -o $@ $(LIB_PIC_OBJS) $(LIBS)
	ln -sf libtsmon.so.$(VERSION) $(B)/libtsmon.so.$(SOVERSION)
	ln -sf libtsmon.so.$(SOVERSION) $(B)/libtsmon.so

$(LIB_A): $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

# ---------------------------------------------------------------- CLI
# CLI_LINK=shared links the CLI against libtsmon.so (packages: the tsmon
# package then depends on libtsmon0); the default, static, gives a build/tsmon
# that runs from the tree.
CLI_LINK	?= static
ifeq ($(CLI_LINK),shared)
CLI_LIB		:= $(LIB_SO)
CLI_LIB_FLAGS	:= -L$(B) -ltsmon
else
CLI_LIB		:= $(LIB_A)
CLI_LIB_FLAGS	:= $(LIB_A)
endif

$(B)/tsmon: $(TOOL_SRCS) $(wildcard tools/*.h) $(CLI_LIB)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(TOOL_SRCS) $(CLI_LIB_FLAGS) $(LIBS) $(CLI_LIBS)

# ---------------------------------------------------------------- module
# Each kernel gets its own tree of symlinks so that builds for different
# kernels never share object files.
define kmod_tree
	@mkdir -p $(B)/kmod/$(1)/kmod
	@ln -sfn $(CURDIR)/include $(B)/kmod/$(1)/include
	@ln -sf $(CURDIR)/Kbuild $(B)/kmod/$(1)/Kbuild
	@ln -sf $(CURDIR)/VERSION $(B)/kmod/$(1)/VERSION
	@for f in kmod/*.c kmod/*.h; do ln -sf $(CURDIR)/$$f $(B)/kmod/$(1)/$$f; done
endef

$(B)/kmod/%/tsmon.ko: $(KMOD_SRCS)
	$(call kmod_tree,$*)
	$(call kbuild,$*) M=$(CURDIR)/$(B)/kmod/$* W=1 modules \
		2>&1 | tee $(B)/kmod/$*/build.log
	@if grep -E 'warning:|error:' $(B)/kmod/$*/build.log; then \
		echo "module build for $* is not warning-free"; rm -f $@; exit 1; fi
	@test -f $@

module:
	@if [ -n "$(call kname_of,$(KVER))" ] || [ -d /lib/modules/$(KVER)/build ]; then \
		$(MAKE) --no-print-directory $(B)/kmod/$(KVER)/tsmon.ko; \
	else \
		echo "note: no headers for kernel $(KVER) (/lib/modules/$(KVER)/build);" \
		     "skipping the module. Build one with: make module KVER=<version>"; \
	fi

modules: $(foreach k,$(KVERS),$(B)/kmod/$(k)/tsmon.ko)

TESTPHC_SRCS	:= tests/phc/Kbuild tests/phc/tsmon_testphc.c

# The test PHC module (guest tests only), a symlink tree per kernel as for tsmon.ko.
$(B)/testphc/%/tsmon_testphc.ko: $(TESTPHC_SRCS)
	@mkdir -p $(B)/testphc/$*
	@for f in $(TESTPHC_SRCS); do ln -sf $(CURDIR)/$$f $(B)/testphc/$*/; done
	$(call kbuild,$*) M=$(CURDIR)/$(B)/testphc/$* W=1 modules \
		2>&1 | tee $(B)/testphc/$*/build.log
	@if grep -E 'warning:|error:' $(B)/testphc/$*/build.log; then \
		echo "test PHC build for $* is not warning-free"; rm -f $@; exit 1; fi
	@test -f $@

testphc: $(foreach k,$(KVERS),$(B)/testphc/$(k)/tsmon_testphc.ko)

# linuxptp (phc_ctl, phc2sys) for the PHC tests: unpacked, not installed.
linuxptp:
	tests/phc/fetch-linuxptp.sh $(B)

# W=1 and sparse over every file of both modules, for every kernel of the
# matrix, each with its own release's compiler and sparse; any diagnostic
# fails.
kcheck: modules testphc
	@set -e; for n in $(KNAMES); do for d in kmod testphc; do \
		k=$$($(MATRIX) get $$n kver); \
		echo "== sparse + W=1: $$d $$n ($$k)"; \
		tests/matrix/kcheck.sh $$n $(CURDIR)/$(B)/$$d/$$k; \
	done; done

# ---------------------------------------------------------------- tests
$(B)/tests/unit/%: tests/unit/%.c $(UNIT_HELPERS) $(wildcard tests/unit/*.h) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(UNIT_HELPERS) $(LIB_A) $(LIBS) -lcmocka -lpthread

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

# The CLI against generated regions: text and JSON output, errors, --follow.
clitest: lib cli
	tests/cli/test_cli.sh

$(KSFT_DIR)/kselftest.h:
	@mkdir -p $(KSFT_DIR)
	tar -xJf /usr/src/linux-source-6.1.tar.xz -C $(KSFT_DIR) \
		--strip-components=4 --wildcards \
		'*/tools/testing/selftests/kselftest.h' \
		'*/tools/testing/selftests/kselftest_harness.h'

$(B)/tests/selftests/%: tests/selftests/%.c $(wildcard tests/selftests/*.h tests/helpers/*.h) $(KSFT_DIR)/kselftest.h $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -I$(KSFT_DIR) -Itests/selftests -Itests/helpers -o $@ $< $(LIB_A) $(LIBS) -lpthread

$(B)/tests/helpers/%: tests/helpers/%.c $(wildcard tests/helpers/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/helpers -o $@ $<

# chronyd for tsmon_chrony: unpacked from Debian's package, never installed
# (installing it would start chronyd on this machine).
CHRONYD		:= $(B)/chrony/usr/sbin/chronyd

$(CHRONYD):
	tests/ntp/fetch.sh $(B) || echo "note: no chronyd; tsmon_chrony will skip"

selftests: $(SELF_BINS) $(HELPER_BINS) cli | $(CHRONYD)

$(B)/tests/bench/%: tests/bench/%.c tests/unit/region.c tests/unit/region.h $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< tests/unit/region.c $(LIB_A) $(LIBS) -lpthread

# Host read-path figures, then the guest figures (netlink latency against
# timerfd, feed throughput) on the 6.1 guest.
bench: $(BENCH_BINS)
	@set -e; for b in $(BENCH_BINS); do $$b; done
	$(MAKE) bench-guest
	@set -e; for t in $(BENCH); do $(MAKE) $$t; done

GBENCH_SRCS	:= $(wildcard tests/guestbench/*.c)
GBENCH_BINS	:= $(GBENCH_SRCS:tests/guestbench/%.c=$(B)/tests/guestbench/%)

$(B)/tests/guestbench/%: tests/guestbench/%.c $(wildcard tests/helpers/*.h) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/helpers -o $@ $< $(LIB_A) $(LIBS) -lpthread

# The benchmarks that step the clock, in the guest (KV=6.1 or 6.12):
# netlink wakeup latency against timerfd, and the push feed's throughput.
bench-guest: $(GBENCH_BINS) modules
	tests/vm/run --kernel $(or $(KV),6.1) -- tests/bench/guest.sh

# The guest suites of one kernel of the matrix (KV=5.10|6.1|6.1-rt|6.12|7.3):
# the selftests and the netlink listener on every kernel, then
# $(VMCHECK) on a kernel kernels.conf tests "full", $(VMCHECK_HOOKS) on
# one it tests "hooks". The suites that do not depend on the kernel
# ($(VMONCE): packages, systemd units, journald) run once, on ONCE_KV.
ONCE_KV		:= 6.12
KV_KVER		= $(call kver_of,$(KV))
KV_MODULES	= $(B)/kmod/$(KV_KVER)/tsmon.ko $(B)/testphc/$(KV_KVER)/tsmon_testphc.ko

# timed TARGET...: make each TARGET, and note how long it took.
timed		= set -e; mkdir -p $(B); for t in $(1); do s=$$(date +%s); \
		  $(MAKE) $$t $(if $(KV),KV=$(KV)); \
		  echo "   $$t $(KV): $$(( $$(date +%s) - s )) s" >> $(B)/check-times.txt; done

vmcheck: selftests linuxptp
	@[ -n "$(KV_KVER)" ] || { echo "vmcheck: KV=$(KV) is not a kernel of kernels.conf ($(KNAMES))"; exit 2; }
	$(MAKE) --no-print-directory $(KV_MODULES)
	@$(call timed,vm-selftests vm-events $(if $(filter hooks,$(call ktests_of,$(KV))),$(VMCHECK_HOOKS),$(VMCHECK)) $(if $(filter $(KV),$(BOTH_KV)),$(VMBOTH)))

vm-selftests:
	tests/vm/run --kernel $(KV) -- tests/selftests/run_all.sh

# The CLI under valgrind: once, on ONCE_KV.
vm-events:
	tests/vm/run --kernel $(KV) -- env EVENTS_VALGRIND=$(if $(filter $(ONCE_KV),$(KV)),1,0) \
		tests/cli/events_guest.sh

vmonce: KV := $(ONCE_KV)
vmonce: selftests
	@$(call timed,$(VMONCE))

# The checks that need the newest kernel of the matrix ($(VMPLANT)).
vmplant: KV := $(lastword $(KNAMES))
vmplant: selftests
	@$(call timed,$(VMPLANT))

# Every kernel of the matrix, each guest suite timed.
vmmatrix:
	@set -e; for k in $(KNAMES); do \
		start=$$(date +%s); \
		$(MAKE) vmcheck KV=$$k; \
		echo "== vmcheck $$k: $$(( $$(date +%s) - start )) s" | tee -a $(B)/check-times.txt; \
	done
	@start=$$(date +%s); $(MAKE) vmonce && \
		echo "== vmonce ($(ONCE_KV)): $$(( $$(date +%s) - start )) s" | tee -a $(B)/check-times.txt
	@$(MAKE) --no-print-directory vmplant
	@start=$$(date +%s); $(MAKE) --no-print-directory vmclockcheck && \
		echo "== vmclockcheck: $$(( $$(date +%s) - start )) s" | tee -a $(B)/check-times.txt
	@start=$$(date +%s); $(MAKE) --no-print-directory oraclecheck && \
		echo "== oraclecheck: $$(( $$(date +%s) - start )) s" | tee -a $(B)/check-times.txt

# Each step of make check is timed into build/check-times.txt.
check:
	@mkdir -p $(B); rm -f $(B)/check-times.txt
	@echo "make check: started $$(date -u +%FT%TZ)"
	@$(call timed,deps lib cli unit clitest $(HOSTCHECK) kcheck selftests)
	$(MAKE) vmmatrix
	@cat $(B)/check-times.txt
	@echo "make check: all suites passed"

demo: deps-host
	$(MAKE) lib cli $(B)/kmod/$(call kver_of,6.1)/tsmon.ko $(HELPER_BINS)
	tests/vm/run --kernel 6.1 -- tests/demo.sh

include $(sort $(wildcard mk/*.mk))

clean:
	rm -rf $(B)
