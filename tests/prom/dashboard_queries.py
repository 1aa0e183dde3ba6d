#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""
dashboard_queries.py - the PromQL of a Grafana dashboard, ready to run

usage: dashboard_queries.py [OPTIONS] DASHBOARD.json

Prints every PromQL expression of the dashboard as one JSON object a line:
  {"where": "panel 7 \"Error bound\" A", "kind": "panel", "expr": "..."}
kind is "panel" (a target of a panel, rows' nested panels included),
"annotation" (an annotation query) or "variable" (a template variable's
label_values(METRIC, LABEL), evaluated as METRIC). Grafana's variables are
substituted so that Prometheus itself can evaluate the result:
  $job, ${job}, [[job]], ${job:regex}   the variable's allValue, else .+
                                        (every variable is used in =~)
  $__rate_interval, $__interval         --interval (default 1m)
  $__range                              --range (default 1h)
  $datasource                           not in PromQL: left alone

  --rules FILE   also write FILE, a Prometheus rules file with each
                 expression as a recording rule, for `promtool check rules`
                 to parse every one of them
  --lint         check the dashboard's structure instead (JSON, schema
                 version, unique panel ids, grid layout, data sources,
                 refIds, variables used and defined, metric names that
                 tools/prom.c writes); print the problems, exit 1 if any
  --interval DUR, --range DUR

Exit status 0, 1 on a lint problem, 2 on a usage error or a dashboard that
cannot be read.
"""
import argparse
import json
import os
import re
import sys

BUILTIN = {"__rate_interval", "__interval", "__interval_ms", "__range",
           "__range_s", "__range_ms", "__all"}
# node_exporter's metrics the dashboard may use besides tsmon's
NODE_METRICS = {"node_textfile_mtime_seconds", "node_textfile_scrape_error",
                "up"}
VAR_RE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)")


def variables(dash):
    return {v["name"]: v for v in dash.get("templating", {}).get("list", [])}


def substitute(expr, dvars, interval, rng):
    def one(m):
        name = m.group(1) or m.group(2) or m.group(3)
        if name in ("__rate_interval", "__interval"):
            return interval
        if name == "__range":
            return rng
        v = dvars.get(name)
        if v is None or v.get("type") == "datasource":
            return m.group(0)
        return v.get("allValue") or ".+"
    return VAR_RE.sub(one, expr)


def all_panels(panels):
    for p in panels:
        yield p
        yield from all_panels(p.get("panels", []))


def var_query(v):
    q = v.get("query")
    if isinstance(q, dict):
        q = q.get("query")
    return q or v.get("definition") or ""


def queries(dash):
    """(where, kind, raw expression) of every PromQL expression"""
    for p in all_panels(dash.get("panels", [])):
        for t in p.get("targets", []):
            if t.get("expr"):
                yield ('panel %s "%s" %s' % (p.get("id"), p.get("title"),
                                             t.get("refId")),
                       "panel", t["expr"])
    for a in dash.get("annotations", {}).get("list", []):
        # newer Grafanas keep the query in target
        expr = a.get("expr") or a.get("target", {}).get("expr")
        if expr:
            yield 'annotation "%s"' % a.get("name"), "annotation", expr
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        m = re.fullmatch(r"\s*label_values\(\s*(.+?)\s*,\s*\w+\s*\)\s*",
                         var_query(v))
        if m:
            yield 'variable "%s"' % v["name"], "variable", m.group(1)


def known_metrics(root):
    """the metric names tools/prom.c writes"""
    with open(os.path.join(root, "tools", "prom.c")) as f:
        src = f.read()
    return set(re.findall(r'"(tsmon_[a-z0-9_]+)"', src))


def metric_names(expr):
    # identifiers that are not functions, keywords or label names
    names = set()
    for m in re.finditer(r"(?<![\w\"'.])([a-zA-Z_:][\w:]*)\s*(\{|\[|\)|$|\s)",
                         expr):
        names.add(m.group(1))
    return {n for n in names if n.startswith(("tsmon_", "node_"))
            or n == "up"}


def lint(dash, root):
    problems = []

    def bad(msg):
        problems.append(msg)

    for key in ("title", "uid", "panels", "schemaVersion", "templating",
                "annotations", "time"):
        if key not in dash:
            bad("no top-level %r" % key)
    if not isinstance(dash.get("schemaVersion"), int) or \
            dash["schemaVersion"] < 36:
        bad("schemaVersion %r: want 36 or later" % dash.get("schemaVersion"))
    if not 0 < len(dash.get("uid", "")) <= 40:
        bad("uid must have 1 to 40 characters")
    if dash.get("id") is not None:
        bad("a dashboard to import has no numeric id")

    dvars = variables(dash)
    ds = dvars.get("datasource")
    if not ds or ds.get("type") != "datasource" or \
            ds.get("query") != "prometheus":
        bad("no datasource variable of type prometheus")
    ds_ref = {"type": "prometheus", "uid": "${datasource}"}

    ids = set()
    boxes = []
    for p in all_panels(dash.get("panels", [])):
        where = 'panel %s "%s"' % (p.get("id"), p.get("title"))
        if not isinstance(p.get("id"), int) or p["id"] in ids:
            bad("%s: missing or duplicate id" % where)
        ids.add(p.get("id"))
        if not p.get("type") or not p.get("title"):
            bad("%s: no type or title" % where)
        g = p.get("gridPos", {})
        if not all(isinstance(g.get(k), int) for k in "hwxy") or \
                g["x"] < 0 or g["w"] < 1 or g["h"] < 1 or \
                g["x"] + g["w"] > 24:
            bad("%s: bad gridPos %r" % (where, g))
        else:
            for other, og in boxes:
                if g["x"] < og["x"] + og["w"] and og["x"] < g["x"] + g["w"] \
                        and g["y"] < og["y"] + og["h"] and \
                        og["y"] < g["y"] + g["h"]:
                    bad("%s overlaps %s" % (where, other))
            boxes.append((where, g))
        if p.get("type") == "row":
            continue
        if p.get("datasource") != ds_ref:
            bad("%s: datasource is not ${datasource}" % where)
        refs = set()
        if not p.get("targets"):
            bad("%s: no query" % where)
        for t in p.get("targets", []):
            if not t.get("refId") or t["refId"] in refs:
                bad("%s: missing or duplicate refId" % where)
            refs.add(t.get("refId"))
            if t.get("datasource") != ds_ref:
                bad("%s %s: datasource is not ${datasource}" %
                    (where, t.get("refId")))
            if not t.get("expr"):
                bad("%s %s: no expr" % (where, t.get("refId")))
    for a in dash.get("annotations", {}).get("list", []):
        if a.get("builtIn"):
            continue
        if a.get("datasource") != ds_ref or \
                not (a.get("expr") or a.get("target", {}).get("expr")):
            bad('annotation "%s": no ${datasource} or no expr' %
                a.get("name"))

    known = known_metrics(root) | NODE_METRICS
    for where, kind, expr in queries(dash):
        for m in VAR_RE.finditer(expr):
            name = m.group(1) or m.group(2) or m.group(3)
            if name not in BUILTIN and name not in dvars:
                bad("%s: undefined variable $%s" % (where, name))
        for name in metric_names(expr):
            if name not in known:
                bad("%s: %s is no metric tsmon or node_exporter writes" %
                    (where, name))
        if expr.count("(") != expr.count(")") or \
                expr.count("{") != expr.count("}"):
            bad("%s: unbalanced brackets" % where)
    return problems


def main():
    ap = argparse.ArgumentParser(description="PromQL of a Grafana dashboard")
    ap.add_argument("dashboard")
    ap.add_argument("--rules")
    ap.add_argument("--lint", action="store_true")
    ap.add_argument("--interval", default="1m")
    ap.add_argument("--range", default="1h")
    args = ap.parse_args()
    try:
        with open(args.dashboard) as f:
            dash = json.load(f)
    except (OSError, ValueError) as e:
        print("dashboard_queries.py: %s: %s" % (args.dashboard, e),
              file=sys.stderr)
        sys.exit(2)
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "..")
    if args.lint:
        problems = lint(dash, root)
        for p in problems:
            print("%s: %s" % (args.dashboard, p))
        sys.exit(1 if problems else 0)

    dvars = variables(dash)
    out = []
    for where, kind, expr in queries(dash):
        out.append({"where": where, "kind": kind,
                    "expr": substitute(expr, dvars, args.interval,
                                       args.range)})
    for q in out:
        print(json.dumps(q))
    if args.rules:
        with open(args.rules, "w") as f:
            f.write("# every PromQL expression of %s\ngroups:\n"
                    "  - name: dashboard\n    rules:\n" % args.dashboard)
            for i, q in enumerate(out):
                f.write("      # %s\n      - record: dashboard:q%d\n"
                        "        expr: %s\n" % (q["where"], i,
                                               json.dumps(q["expr"])))


if __name__ == "__main__":
    main()
