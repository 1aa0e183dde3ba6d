#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
#
# parse.py - a strict reader of the Prometheus text exposition format
# (version 0.0.4) with the lint rules tsmon's metrics follow
#
# usage: parse.py [--json] [FILE]          (default: standard input)
#
# Exit status 0 when the input is valid and lint-clean; otherwise 1, with
# one line per problem on stderr ("line N: what"). With --json, prints
# {"families": {NAME: {"type": T, "help": H,
#                      "samples": [[{LABEL: VALUE}, "VALUE"], ...]}}}
# so that tests can compare values exactly (values stay strings).
#
# Grammar, as the format defines it: lines end with \n (the last one
# too); "# HELP name text" and "# TYPE name type" at most once per
# metric, TYPE before its first sample; a sample is
#   name[{label="value",...}] value [timestamp]
# with names [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*
# (not __*), escapes \\ \" \n in label values and \\ \n in help text,
# values as Go's ParseFloat takes them (NaN, +Inf, -Inf included) and an
# optional integer timestamp. The samples of a family are contiguous and
# no series appears twice.
#
# Lint (what promtool's checks ask, and tsmon's own conventions): every
# family has HELP and TYPE; counters end in _total and non-counters do
# not; base units only (no _milliseconds, _ms, _bytes_kb...); snake_case;
# tsmon_ prefix; counters are finite and not negative; an _info metric is
# a gauge whose samples are 1; no node_ prefix (node_exporter rejects a
# textfile metric that one of its collectors also exports).

import json
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
FLOAT = re.compile(
    r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|Inf|inf)\Z|NaN\Z")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}
BAD_UNITS = re.compile(
    r"_(milli|micro|nano|kilo|mega|giga)[a-z]*_|_(ms|us|ns|sec|secs|msec|"
    r"usec|nsec|kb|mb|gb|percent|minutes|hours|days)(_|$)")


class Reader:
    def __init__(self):
        self.errors = []
        self.families = {}
        self.order = []
        self.current = None
        self.series = set()

    def err(self, n, what):
        self.errors.append("line %d: %s" % (n, what))

    def family(self, name):
        if name not in self.families:
            self.families[name] = {"type": None, "help": None,
                                   "samples": [], "closed": False}
            self.order.append(name)
        return self.families[name]

    def unescape(self, n, s, quote):
        out, i = [], 0
        while i < len(s):
            c = s[i]
            if c == "\\":
                nxt = s[i + 1:i + 2]
                if nxt == "\\":
                    out.append("\\")
                elif nxt == "n":
                    out.append("\n")
                elif nxt == '"' and quote:
                    out.append('"')
                else:
                    self.err(n, "invalid escape \\%s" % nxt)
                i += 2
                continue
            if c == '"' and quote:
                self.err(n, "unescaped quote")
            out.append(c)
            i += 1
        return "".join(out)

    def comment(self, n, line):
        m = re.match(r"# (HELP|TYPE) (\S*)(?: (.*))?\Z", line)
        if not m:
            return      # any other comment is allowed
        kind, name, rest = m.group(1), m.group(2), m.group(3)
        if not re.fullmatch(NAME, name):
            self.err(n, "invalid metric name %r" % name)
            return
        f = self.family(name)
        if kind == "HELP":
            if f["help"] is not None:
                self.err(n, "second HELP for %s" % name)
            f["help"] = self.unescape(n, rest or "", False)
        else:
            if f["type"] is not None:
                self.err(n, "second TYPE for %s" % name)
            if f["samples"]:
                self.err(n, "TYPE for %s after its samples" % name)
            if rest not in TYPES:
                self.err(n, "invalid type %r" % rest)
            f["type"] = rest

    def labels(self, n, s):
        labels, i = {}, 0
        while i < len(s):
            m = re.match(r"(%s)=\"((?:[^\"\\]|\\.)*)\"(,?)" % LABEL, s[i:])
            if not m:
                self.err(n, "invalid labels at %r" % s[i:])
                return None
            name = m.group(1)
            if name.startswith("__"):
                self.err(n, "reserved label name %s" % name)
            if name in labels:
                self.err(n, "label %s twice" % name)
            labels[name] = self.unescape(n, m.group(2), True)
            i += m.end()
            if not m.group(3) and i < len(s):
                self.err(n, "no comma before %r" % s[i:])
                return None
        return labels

    def sample(self, n, line):
        m = re.match(r"(%s)(?:\{(.*)\})? (\S+)(?: (-?[0-9]+))?\Z" % NAME, line)
        if not m:
            self.err(n, "not a sample: %r" % line)
            return
        name, lab, value = m.group(1), m.group(2), m.group(3)
        labels = self.labels(n, lab) if lab else {}
        if labels is None:
            return
        if not FLOAT.match(value):
            self.err(n, "invalid value %r" % value)
        f = self.family(name)
        if self.current != name:
            if f["closed"] or f["samples"]:
                self.err(n, "samples of %s are not contiguous" % name)
            if self.current:
                self.families[self.current]["closed"] = True
            self.current = name
        key = (name, tuple(sorted(labels.items())))
        if key in self.series:
            self.err(n, "series %s%s twice" % (name, labels))
        self.series.add(key)
        f["samples"].append([labels, value])

    def read(self, text):
        if text and not text.endswith("\n"):
            self.err(text.count("\n") + 1, "last line has no newline")
        for n, line in enumerate(text.split("\n")[:-1], 1):
            if line == "":
                continue
            if line.startswith("#"):
                self.comment(n, line)
            else:
                self.sample(n, line)

    def lint(self):
        for name in self.order:
            f = self.families[name]
            where = "metric %s: " % name
            if f["help"] is None or not f["help"].strip():
                self.errors.append(where + "no help text")
            if f["type"] is None:
                self.errors.append(where + "no TYPE")
            if not f["samples"]:
                self.errors.append(where + "no samples")
            if not name.startswith("tsmon_"):
                self.errors.append(where + "not under the tsmon_ prefix")
            if name != name.lower():
                self.errors.append(where + "not snake_case")
            if BAD_UNITS.search(name):
                self.errors.append(where + "not in base units")
            if f["type"] == "counter":
                if not name.endswith("_total"):
                    self.errors.append(where + "counter without _total")
                for _, v in f["samples"]:
                    if v in ("NaN", "+Inf", "-Inf", "Inf", "inf") or \
                       float(v) < 0:
                        self.errors.append(where + "counter value %s" % v)
            elif name.endswith("_total"):
                self.errors.append(where + "_total on a %s" % f["type"])
            if name.endswith("_info"):
                if f["type"] != "gauge" or \
                   any(v != "1" for _, v in f["samples"]):
                    self.errors.append(where + "an _info must be gauge 1")
            for labels, _ in f["samples"]:
                for k in labels:
                    if k != k.lower():
                        self.errors.append(where + "label %s not "
                                           "snake_case" % k)


def main():
    args = sys.argv[1:]
    dump = "--json" in args
    args = [a for a in args if a != "--json"]
    text = open(args[0]).read() if args else sys.stdin.read()
    r = Reader()
    r.read(text)
    r.lint()
    for e in r.errors:
        print(e, file=sys.stderr)
    if dump:
        print(json.dumps({"families": {
            k: {"type": f["type"], "help": f["help"],
                "samples": f["samples"]}
            for k, f in r.families.items()}}))
    return 1 if r.errors else 0


if __name__ == "__main__":
    sys.exit(main())
