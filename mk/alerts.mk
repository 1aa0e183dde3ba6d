# SPDX-License-Identifier: GPL-2.0
#
# Prometheus alerting rules and the Grafana dashboard (contrib/).
#
#   make alerttest      promtool check rules and test rules (every alert
#                       firing and not firing, tests/prom/lint_alerts.py
#                       says so), the rules with their windows shortened
#                       for the guest, and the dashboard: structure,
#                       metric names, every query parsed by promtool (host)
#   make alertcheck KV=<kernel>
#                       Debian's Prometheus and node_exporter in the test
#                       guest against the live module: series, alerts
#                       firing and resolving, every dashboard query has
#                       data, the timings (tests/prom/e2e_guest.sh)
#   make promserver     prometheus and node_exporter unpacked into
#                       build/promserver and build/node-exporter (not
#                       installed: the packages would start both servers)

ALERT_RULES	:= contrib/prometheus/tsmon.rules.yml
ALERT_TESTS	:= $(wildcard contrib/prometheus/tests/*.yml)
DASHBOARD	:= contrib/grafana/tsmon-dashboard.json

.PHONY: alerttest alertcheck promserver

HOSTCHECK	+= alerttest
VMBOTH		+= alertcheck

promserver:
	tests/prom/fetch-prometheus.sh $(B)

# promtool comes from fetch-promtool.sh (make promtool); without it the
# rules cannot be checked, which fails here rather than skipping.
alerttest: promtool
	@test -x $(PROMTOOL) || { echo "alerttest: no $(PROMTOOL)"; exit 1; }
	$(PROMTOOL) check rules $(ALERT_RULES)
	$(PROMTOOL) test rules $(ALERT_TESTS)
	tests/prom/lint_alerts.py $(ALERT_RULES) $(ALERT_TESTS)
	@mkdir -p $(B)/alerts
	tests/prom/scale_rules.py 60 $(ALERT_RULES) $(B)/alerts/rules-scaled.yml
	$(PROMTOOL) check rules $(B)/alerts/rules-scaled.yml
	tests/prom/dashboard_queries.py --lint $(DASHBOARD)
	tests/prom/dashboard_queries.py --rules $(B)/alerts/dashboard-queries.yml \
		$(DASHBOARD) > /dev/null
	$(PROMTOOL) check rules $(B)/alerts/dashboard-queries.yml

alertcheck: lib cli $(B)/tests/helpers/clockctl promserver
	tests/vm/run --kernel $(KV) --mem 2048 -- tests/prom/e2e_guest.sh
