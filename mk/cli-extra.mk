# SPDX-License-Identifier: GPL-2.0
#
# The CLI's monitoring integrations: tsmon check, the Prometheus metrics
# and textfile feed, journal logging, and their systemd units.
#
#   make checktest      tsmon check over generated regions (host)
#   make promtest       status --prometheus and the textfile feed over
#                       generated regions, read by a strict parser and by
#                       promtool (host)
#   make unitfiletest   systemd-analyze verify of systemd/*.service (host)
#   make journalcheck KV=<kernel>
#                       tsmon events --journal in the guest, against a
#                       stand-in journald (once per make check)
#   make promguestcheck KV=<kernel>
#                       metrics, textfile feed and check against the module
#                       (every kernel tested "full")
#   make unitcheck KV=<kernel>
#                       the installed udev rule, modules-load.d entry and
#                       both units run by a real systemd in the guest (once)
#   make promtool       promtool unpacked into build/prom (not installed:
#                       the prometheus package would start a server)

PROMTOOL	:= $(B)/prom/usr/bin/promtool

.PHONY: checktest promtest unitfiletest journalcheck promguestcheck promtool \
	unitcheck

HOSTCHECK	+= checktest promtest unitfiletest
VMCHECK		+= promguestcheck
VMONCE		+= journalcheck unitcheck

promtool:
	@tests/prom/fetch-promtool.sh $(B) || \
		echo "note: no promtool; the metrics are checked by tests/prom/parse.py alone"

checktest: lib cli
	tests/cli/test_check.sh

promtest: lib cli promtool
	tests/prom/test_prom.sh

unitfiletest: cli
	tests/cli/test_units.sh

journalcheck: lib cli $(B)/tests/helpers/clockctl
	tests/vm/run --kernel $(KV) -- tests/cli/journal_guest.sh

promguestcheck: lib cli $(B)/tests/helpers/clockctl promtool
	tests/vm/run --kernel $(KV) -- tests/prom/prom_guest.sh

# What `make install PREFIX=/usr` puts on a node, plus the module where
# DKMS would put it, copied over the root of a guest booted with systemd.
UNITCHECK_KVER	= $(call kver_of,$(KV))
UNITCHECK_ROOT	= $(CURDIR)/$(B)/unitcheck/root-$(UNITCHECK_KVER)

unitcheck: lib cli $(B)/tests/helpers/clockctl promtool
	$(MAKE) --no-print-directory $(B)/kmod/$(UNITCHECK_KVER)/tsmon.ko
	rm -rf $(UNITCHECK_ROOT)
	$(MAKE) --no-print-directory install PREFIX=/usr DESTDIR=$(UNITCHECK_ROOT) \
		> $(B)/unitcheck-install.log || { cat $(B)/unitcheck-install.log; exit 1; }
	@rm -f $(B)/libtsmon.pc
	tests/install/stage-root.sh $(UNITCHECK_ROOT) $(UNITCHECK_KVER) \
		$(B)/kmod/$(UNITCHECK_KVER)/tsmon.ko
	tests/vm/run --kernel $(KV) --systemd -- \
		tests/install/systemd_guest.sh $(UNITCHECK_ROOT)
