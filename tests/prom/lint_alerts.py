#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""
lint_alerts.py RULES TEST... - what promtool does not check of tsmon's rules

  - every alert of RULES has a unit test in which it fires (an alert_rule_test
    with exp_alerts) and one in which it does not (exp_alerts: []);
  - every recording rule is evaluated by a promql_expr_test;
  - every metric the rules read is one tools/prom.c writes (or
    node_exporter's up and node_textfile_*, or a recording rule's);
  - every alert has a severity of critical, warning or info, and summary
    and description annotations that name $labels.instance.

The files are read as text in the layout of contrib/prometheus/ (no YAML
library needed): `- alert:` / `- record:` items, `alertname:` followed by
its `exp_alerts:`. Prints each problem; exit status 1 if there is any.
"""
import os
import re
import sys

NODE = {"up", "node_textfile_mtime_seconds", "node_textfile_scrape_error"}


def rules(path):
    """[(kind, name, body text)] of the rules file"""
    out = []
    cur = None
    for line in open(path):
        m = re.match(r"^\s*- (alert|record):\s*(\S+)", line)
        if m:
            cur = [m.group(1), m.group(2), ""]
            out.append(cur)
        elif cur is not None:
            cur[2] += line
    return out


def exprs(body):
    """the text of the expr: of a rule's body (inline or folded)"""
    text, indent = [], None
    for line in body.splitlines():
        ind = len(line) - len(line.lstrip())
        if indent is not None:
            if line.strip() and ind <= indent:
                indent = None
            else:
                text.append(line)
                continue
        m = re.match(r"^(\s*)expr:\s*(.*)$", line)
        if m:
            indent = len(m.group(1))
            if m.group(2) not in (">-", ">", "|", "|-"):
                text.append(m.group(2))
    return " ".join(text)


def metrics(expr):
    # drop strings and the label lists and ranges that follow a name
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}", " ", expr)
    expr = re.sub(r"\[[^\]]*\]", " ", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)"
                  r"\s*\([^)]*\)", " ", expr)
    names = set(re.findall(r"(?<![\w.:])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()",
                           expr))
    keywords = {"and", "or", "unless", "bool", "offset", "inf", "nan"}
    return {n for n in names if n.lower() not in keywords}


def main(argv):
    if len(argv) < 3:
        sys.exit("usage: lint_alerts.py RULES TEST...")
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "..")
    src = open(os.path.join(root, "tools", "prom.c")).read()
    known = set(re.findall(r'"(tsmon_[a-z0-9_]+)"', src)) | NODE
    problems = []
    rs = rules(argv[1])
    known |= {name for kind, name, _ in rs if kind == "record"}
    for kind, name, body in rs:
        for m in sorted(metrics(exprs(body)) - known):
            problems.append("%s: reads %s, which nothing writes" % (name, m))
        if kind != "alert":
            continue
        sev = re.search(r"^\s*severity:\s*(\S+)", body, re.M)
        if not sev or sev.group(1) not in ("critical", "warning", "info"):
            problems.append("%s: severity not critical, warning or info" %
                            name)
        for ann in ("summary", "description"):
            m = re.search(r"^(\s*)%s:(.*(?:\n\1\s+.*)*)" % ann, body, re.M)
            if not m or "$labels.instance" not in m.group(2):
                problems.append("%s: no %s naming $labels.instance" %
                                (name, ann))

    fires, quiet, evaluated = set(), set(), set()
    for path in argv[2:]:
        alert = None
        for line in open(path):
            m = re.match(r"^\s*(?:- )?alertname:\s*(\S+)", line)
            if m:
                alert = m.group(1)
                continue
            m = re.match(r"^\s*exp_alerts:\s*(.*?)\s*$", line)
            if m and alert:
                (quiet if m.group(1) == "[]" else fires).add(alert)
                alert = None
                continue
            m = re.match(r"^\s*- expr:\s*(\S+)\s*$", line)
            if m:
                evaluated.add(m.group(1))
    for kind, name, _ in rs:
        if kind == "alert":
            if name not in fires:
                problems.append("%s: no test in which it fires" % name)
            if name not in quiet:
                problems.append("%s: no test in which it does not fire" %
                                name)
        elif name not in evaluated:
            problems.append("%s: no promql_expr_test evaluates it" % name)
    for p in problems:
        print("%s: %s" % (argv[1], p))
    n_alerts = sum(1 for k, _, _ in rs if k == "alert")
    if not problems:
        print("%d alerts, each firing and not firing in a test; "
              "%d recording rules evaluated" %
              (n_alerts, len(rs) - n_alerts))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
