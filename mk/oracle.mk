# SPDX-License-Identifier: GPL-2.0
#
# Containment oracle: real sync daemons (chronyd, phc2sys,
# systemd-timesyncd) discipline the guest's clock to references whose true
# time the test knows, faults are injected, and every SYNCHRONIZED
# tsmon_now() sample (1 kHz) must contain the truth (tests/oracle/oracle.c).
#   make oraclecheck [ORACLE_KERNELS="6.1 6.12"]
#   make oracle KV=6.1 [ORACLE_PHASES="chrony leap-ins"] [ORACLE_ASSUME_ZERO=1]

ORACLE_KERNELS	?= 6.1 6.12
ORACLE_BIN	:= $(B)/tests/oracle/oracle
TIMESYNCD	:= $(B)/timesyncd/lib/systemd/systemd-timesyncd
# What the guest passes on to the oracle, when set here.
ORACLE_ENV	:= $(foreach v,ORACLE_PHASES ORACLE_BUDGET_NS ORACLE_TIMESYNCD_BUDGET_NS ORACLE_ASSUME_ZERO ORACLE_VERBOSE,$(if $($(v)),'$(v)=$($(v))'))

.PHONY: oracle oraclecheck

$(ORACLE_BIN): tests/oracle/oracle.c $(wildcard tests/selftests/*.h tests/helpers/*.h) $(KSFT_DIR)/kselftest.h $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -I$(KSFT_DIR) -Itests/selftests -Itests/helpers -o $@ $< $(LIB_A) $(LIBS) -lpthread -lm

# systemd-timesyncd: unpacked from Debian's package, never installed.
$(TIMESYNCD):
	tests/oracle/fetch-timesyncd.sh $(B) || echo "note: no systemd-timesyncd; the oracle skips it"

# One kernel: its modules, the daemons, the oracle, then the guest; the
# output is kept in $(B)/tests/oracle/oracle-<KV>.log.
oracle: $(ORACLE_BIN) linuxptp | $(CHRONYD) $(TIMESYNCD)
	@[ -n "$(KV_KVER)" ] || { echo "oracle: KV=$(KV) is not a kernel of kernels.conf ($(KNAMES))"; exit 2; }
	@# A daemon that could not be unpacked would only be skipped: not here.
	@for f in $(CHRONYD) $(TIMESYNCD) $(B)/linuxptp/usr/sbin/phc2sys; do \
		[ -x $$f ] || { echo "oracle: $$f is missing"; exit 1; }; done
	@$(MAKE) --no-print-directory $(KV_MODULES)
	@mkdir -p $(B)/tests/oracle; s=$$(date +%s); \
	{ tests/vm/run --kernel $(KV) --timeout 1500 --silence 300 -- \
		env $(ORACLE_ENV) tests/oracle/guest.sh 2>&1; \
	  echo $$? > $(B)/tests/oracle/oracle-$(KV).rc; } | tee $(B)/tests/oracle/oracle-$(KV).log; \
	rc=$$(cat $(B)/tests/oracle/oracle-$(KV).rc); \
	echo "   oracle $(KV): $$(( $$(date +%s) - s )) s" >> $(B)/check-times.txt; \
	echo "oracle $(KV): exit status $$rc, $$(( $$(date +%s) - s )) s (output: $(B)/tests/oracle/oracle-$(KV).log)"; \
	exit $$rc

oraclecheck:
	@set -e; for k in $(ORACLE_KERNELS); do \
		$(MAKE) --no-print-directory oracle KV=$$k; \
	done
