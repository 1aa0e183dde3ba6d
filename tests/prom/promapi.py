#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""
promapi.py - the Prometheus HTTP API, as tests/prom/e2e_driver.py uses it,
and from the command line for looking into a test guest's server

The server is $PROM_URL (default http://127.0.0.1:19090). Times are
CLOCK_MONOTONIC seconds (time.monotonic(), the same in every process of
the guest), so that one command can measure from an instant another took.

  promapi.py ready TIMEOUT
      wait until /-/ready answers 200; print the seconds it took
  promapi.py query EXPR
      print the instant query's result (JSON list), exit 1 when empty
  promapi.py wait EXPR TIMEOUT
      query until the result is not empty; print it; exit 1 on timeout
  promapi.py rules
      every rule's health: print "N rules, all ok" or the broken ones
      (exit 1)
  promapi.py alerts
      print the active (pending or firing) alerts, one JSON object a line
  promapi.py wait-alert NAME STATE TIMEOUT [--since T] [LABEL=VALUE...]
      wait until alert NAME with those labels is STATE (pending, firing,
      or gone: no longer active); print it as JSON with "elapsed", the
      seconds since T (default: since the call); exit 1 on timeout

Exit status 3 when the server cannot be asked (not 1, which says empty
or timed out), 2 on a usage error.
"""
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

URL = os.environ.get("PROM_URL", "http://127.0.0.1:19090")
POLL = 0.02


def get(path, **params):
    url = URL + path
    if params:
        url += "?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=10) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise RuntimeError("%s: %s" % (path, body))
    return body["data"]


def query(expr):
    data = get("/api/v1/query", query=expr)
    if data["resultType"] != "vector":
        return [data["result"]]
    return data["result"]


def active_alerts():
    return get("/api/v1/alerts")["alerts"]


def find_alert(name, labels):
    for a in active_alerts():
        al = a["labels"]
        if al.get("alertname") == name and \
                all(al.get(k) == v for k, v in labels.items()):
            return a
    return None


def parse_labels(items):
    labels = {}
    for item in items:
        k, sep, v = item.partition("=")
        if not sep:
            sys.exit("promapi.py: not LABEL=VALUE: %r" % item)
        labels[k] = v
    return labels


def cmd_ready(timeout):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            with urllib.request.urlopen(URL + "/-/ready", timeout=2) as r:
                if r.status == 200:
                    print("%.3f" % (time.monotonic() - t0))
                    return 0
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.1)
    return 1


def cmd_wait(expr, timeout):
    t0 = time.monotonic()
    while True:
        try:
            res = query(expr)
        except (urllib.error.URLError, OSError, RuntimeError):
            res = []
        if res:
            print(json.dumps(res))
            return 0
        if time.monotonic() - t0 > timeout:
            return 1
        time.sleep(0.1)


def cmd_rules():
    groups = get("/api/v1/rules")["groups"]
    n, bad = 0, []
    for g in groups:
        for r in g["rules"]:
            n += 1
            if r.get("health") != "ok":
                bad.append("%s: %s %s" % (r["name"], r.get("health"),
                                          r.get("lastError", "")))
    if bad or not n:
        print("\n".join(bad) or "no rules loaded")
        return 1
    print("%d rules in %d groups, all ok" % (n, len(groups)))
    return 0


def cmd_wait_alert(args):
    name, state, timeout = args[0], args[1], float(args[2])
    rest = args[3:]
    since = time.monotonic()
    if rest[:1] == ["--since"]:
        since = float(rest[1])
        rest = rest[2:]
    labels = parse_labels(rest)
    t0 = time.monotonic()
    while True:
        a = find_alert(name, labels)
        if (state == "gone" and a is None) or \
                (a is not None and a["state"] == state):
            out = dict(a or {}, elapsed=round(time.monotonic() - since, 3))
            print(json.dumps(out))
            return 0
        if time.monotonic() - t0 > timeout:
            print(json.dumps(a))
            return 1
        time.sleep(POLL)


def strip_filter(expr):
    """EXPR without a final comparison with a number (an annotation's
    "> 0"), to show that what it filters exists"""
    return re.sub(r"\s*(?:==|!=|>=|<=|>|<)\s*(?:bool\s+)?-?[0-9.e+]+\s*$",
                  "", expr)


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "ready" and len(args) == 1:
        return cmd_ready(float(args[0]))
    if cmd == "query" and len(args) == 1:
        res = query(args[0])
        print(json.dumps(res))
        return 0 if res else 1
    if cmd == "wait" and len(args) == 2:
        return cmd_wait(args[0], float(args[1]))
    if cmd == "rules" and not args:
        return cmd_rules()
    if cmd == "alerts" and not args:
        for a in active_alerts():
            print(json.dumps(a))
        return 0
    if cmd == "wait-alert" and len(args) >= 3:
        return cmd_wait_alert(args)
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (urllib.error.URLError, OSError, RuntimeError, ValueError) as e:
        # not 1, which says "empty" or "timed out"
        print("promapi.py: %s" % e, file=sys.stderr)
        sys.exit(3)
