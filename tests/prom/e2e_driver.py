#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""
e2e_driver.py - the checks of tests/prom/e2e_guest.sh, in one process

usage: e2e_driver.py --textdir DIR --node ADDR --scale N --clockctl PATH
                     --dashboard JSON --pidfile FILE --since T -- WRITER...

Run by e2e_guest.sh once Prometheus ($PROM_URL) and node_exporter (ADDR,
textfile collector on DIR) are up, T being CLOCK_MONOTONIC when they were
started. Python takes seconds to start under TCG, so every check that
talks to Prometheus or changes the clock is made here, in one process:
it runs the textfile writer (WRITER..., its pid in FILE), stands in for
an NTP daemon (a thread reporting maxerror 100 us every second), steps
the clock with clockctl, sets STA_UNSYNC, and watches the textfile, the
scrapes and the alerts through the HTTP API, timing each stage.

Prints "ok - DESC" and "not ok - DESC" lines, with "#" comment lines, for
e2e_guest.sh to number; the last line is "ok - driver finished". Exit
status 0 when every check passed.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dashboard_queries  # noqa: E402
import promapi  # noqa: E402
import timexctl  # noqa: E402

POLL = 0.05
failed = 0


def ok(desc):
    print("ok - %s" % desc, flush=True)


def not_ok(desc, *details):
    global failed
    failed += 1
    print("not ok - %s" % desc)
    for d in details:
        for line in str(d).splitlines()[:20]:
            print("#   %s" % line)
    sys.stdout.flush()


def check(cond, desc, *details):
    if cond:
        ok(desc)
    else:
        not_ok(desc, *details)
    return cond


def note(text):
    print("# %s" % text, flush=True)


def mono():
    return time.monotonic()


T_PHASE = [time.monotonic()]


def phase(name):
    """how long the phase just ended took: the test's time budget"""
    now = time.monotonic()
    note("phase %s: %.1f s" % (name, now - T_PHASE[0]))
    T_PHASE[0] = now


def q(expr):
    try:
        return promapi.query(expr)
    except (OSError, RuntimeError) as e:
        note("query %s: %s" % (expr, e))
        return []


def wait_for(fn, timeout):
    """fn() until it returns something true; (value, seconds waited)"""
    t0 = mono()
    while True:
        v = fn()
        if v or mono() - t0 > timeout:
            return v, mono() - t0
        time.sleep(POLL)


def find_alert(name, labels=None):
    try:
        return promapi.find_alert(name, labels or {})
    except (OSError, RuntimeError) as e:
        note("alerts: %s" % e)
        return None


def wait_alert(name, state, timeout, labels=None):
    """(alert or None, seconds waited) once NAME is STATE or gone"""
    def done():
        a = find_alert(name, labels)
        if state == "gone":
            return {"gone": True} if a is None else None
        return a if a is not None and a["state"] == state else None
    return wait_for(done, timeout)


class Daemon:
    """the NTP daemon stand-in: a sync update every second"""

    def __init__(self, maxerror_us):
        self.us = maxerror_us
        self.stop_ev = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while True:
            timexctl.sync(self.us)
            if self.stop_ev.wait(1.0):
                return

    def stop(self):
        self.stop_ev.set()
        self.thread.join()


class Writer:
    """the textfile writer, as the unit's ExecStart runs it"""

    def __init__(self, argv, textdir, pidfile):
        self.argv, self.pidfile = argv, pidfile
        self.file = os.path.join(textdir, "tsmon.prom")
        self.out = pidfile + ".out"
        self.err = pidfile + ".err"
        self.proc = None

    def start(self):
        with open(self.out, "a") as o, open(self.err, "a") as e:
            self.proc = subprocess.Popen(self.argv, stdout=o, stderr=e)
        with open(self.pidfile, "w") as f:
            f.write("%d\n" % self.proc.pid)
        return wait_for(lambda: os.path.exists(self.file), 10)[0]

    def stop(self):
        if not self.proc:
            return None
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=20)
        self.proc = None
        os.unlink(self.pidfile)
        return rc

    def output(self):
        text = ""
        for path in (self.out, self.err):
            with open(path) as f:
                text += f.read()
        return text

    def read(self):
        try:
            with open(self.file) as f:
                return f.read()
        except OSError:
            return ""


def timeline(t0, writer, line, expr, alert, labels, timeout, watch=None):
    """the instants (seconds after t0) at which the change was written,
    scraped, and ALERT pending and firing; and the alert. With watch, an
    alert name: also when that one was last seen active ("watch_gone",
    None while it still is)."""
    marks = dict.fromkeys(("written", "scraped", "pending", "firing"))
    line = re.compile(line, re.M)
    a = None
    while marks["firing"] is None and mono() - t0 < timeout:
        now = mono() - t0
        if marks["written"] is None and line.search(writer.read()):
            marks["written"] = now
        if marks["scraped"] is None and q(expr):
            marks["scraped"] = now
        if marks["scraped"] is not None or watch:
            found = find_alert(alert, labels)
            if marks["scraped"] is not None:
                a = found or a
            if found is not None and found["state"] == "pending" and \
                    marks["pending"] is None:
                marks["pending"] = now
            if found is not None and found["state"] == "firing":
                marks["firing"] = now
        if watch:
            if find_alert(watch) is None:
                marks.setdefault("watch_gone", now)
            else:
                marks.pop("watch_gone", None)
        time.sleep(POLL)
    return marks, a


def fmt(v):
    return "-" if v is None else "%.3f s" % v


def expect_labels(what, alert, name, severity, node):
    want = {"alertname": name, "instance": node, "job": "node",
            "severity": severity}
    got = (alert or {}).get("labels")
    check(got == want, "%s: labels alertname, instance, job, severity %s" %
          (what, severity), json.dumps(got, sort_keys=True))


def main():
    ap = argparse.ArgumentParser()
    for opt in ("--textdir", "--node", "--clockctl", "--dashboard",
                "--pidfile"):
        ap.add_argument(opt, required=True)
    ap.add_argument("--scale", type=float, required=True)
    ap.add_argument("--since", type=float, required=True)
    ap.add_argument("writer", nargs="+")
    args = ap.parse_args()
    node, scale = args.node, args.scale
    step_window = 600 / scale

    note("driver started %.1f s after the servers" % (mono() - args.since))
    daemon = Daemon(100)
    writer = Writer(args.writer, args.textdir, args.pidfile)
    try:
        check(writer.start(), "writer: tsmon.prom written", writer.output())

        # ------------------------------------------------------------ series
        v, _ = wait_for(lambda: q("tsmon_up == 1"), 30)
        check(v, "tsmon_up 1 scraped, %.1f s after the servers started" %
              (mono() - args.since))
        for expr in ('up{job="node"} == 1', "tsmon_info",
                     "tsmon_steps_total", "tsmon_bound_seconds",
                     "tsmon_sync_state", "tsmon_sync_state_info",
                     "tsmon_timex_sync_status", "tsmon_events_total",
                     "tsmon_lost_events_total", "tsmon_probe_misses_total",
                     "tsmon_ntp_state_lost_total", "tsmon_leap_pending",
                     "tsmon_phc_steps_total",
                     "node_textfile_scrape_error == 0",
                     'node_textfile_mtime_seconds{file=~".*/tsmon\\\\.prom"}'):
            check(q(expr), "series: %s" % expr)
        # node_exporter's own timex collector runs next to tsmon's gauges
        v, _ = wait_for(lambda: q("tsmon_timex_sync_status == on(instance)"
                                  " node_timex_sync_status"), 10)
        check(v, "tsmon_timex_sync_status equals node_timex_sync_status")
        v, _ = wait_for(lambda: q("tsmon_sync_state == 1"), 20)
        check(v, "the bounded clock is SYNCHRONIZED (the stand-in daemon's "
              "updates)")
        # an evaluation of every rule on synchronised data
        time.sleep(1.5)
        groups = promapi.get("/api/v1/rules")["groups"]
        rules = [r for g in groups for r in g["rules"]]
        bad = ["%s: %s" % (r["name"], r.get("lastError")) for r in rules
               if r.get("health") != "ok"]
        check(rules and not bad, "every rule evaluates: %d rules in %d "
              "groups" % (len(rules), len(groups)), *bad)
        firing = q('ALERTS{alertstate="firing"}')
        check(not firing, "no alert fires while all is well",
              json.dumps(firing))

        phase("series")

        # ------------------------------------------------------------ step
        m = re.search(r"^tsmon_steps_total (\d+)$", writer.read(), re.M)
        steps = int(m.group(1)) + 1 if m else 1
        t_before = mono()
        subprocess.run([args.clockctl, "step-ns", "1000000"], check=True,
                       stdout=subprocess.DEVNULL)
        t_step = mono()
        marks, a = timeline(t_step, writer,
                            r"^tsmon_steps_total %d$" % steps,
                            "tsmon_steps_total == %d" % steps,
                            "TsmonClockStepped", {}, 30)
        check(marks["firing"] is not None, "step: TsmonClockStepped fires",
              json.dumps(marks))
        expect_labels("step", a, "TsmonClockStepped", "warning", node)
        summary = (a or {}).get("annotations", {}).get("summary")
        check(summary == "Clock stepped on %s" % node,
              "step: summary names the instance", summary)
        check(marks["written"] is not None and marks["written"] < 1,
              "step: the writer rewrote tsmon.prom within 1 s, not at its "
              "15 s interval", json.dumps(marks))
        note("timings: step (clockctl %.3f s) -> textfile %s -> scraped %s "
             "-> firing %s (no for:, so no pending state)" %
             (t_step - t_before, fmt(marks["written"]),
              fmt(marks["scraped"]), fmt(marks["firing"])))
        step_marks = marks
        if a:
            note("alert: %s" % json.dumps({k: a[k] for k in
                                           ("labels", "annotations", "state",
                                            "value")}, sort_keys=True))

        phase("step")

        # ------------------------------------------------------------ unsync
        # The step itself set STA_UNSYNC (the kernel's ntp_clear()) until
        # the daemon's next update, which may have set the unsync alert
        # pending: start from synchronised, with the alert inactive.
        v, _ = wait_for(lambda: q("tsmon_timex_sync_status == 1") and
                        find_alert("TsmonNtpUnsynchronised") is None, 15)
        check(v, "before unsync: synchronised, TsmonNtpUnsynchronised "
              "inactive")
        daemon.stop()
        timexctl.main(["timexctl.py", "unsync"])
        t_unsync = mono()
        marks, a = timeline(t_unsync, writer,
                            r"^tsmon_timex_sync_status 0$",
                            "tsmon_timex_sync_status == 0",
                            "TsmonNtpUnsynchronised", {}, 40,
                            watch="TsmonClockStepped")
        step_gone = marks.pop("watch_gone", None)
        check(marks["firing"] is not None,
              "unsync: TsmonNtpUnsynchronised goes pending, then fires",
              json.dumps(marks))
        expect_labels("unsync", a, "TsmonNtpUnsynchronised", "critical",
                      node)
        check(marks["pending"] is not None and marks["firing"] is not None
              and marks["firing"] - marks["pending"] >= 600 / scale - 1,
              "unsync: pending for its for: (%g s) before firing" %
              (600 / scale), json.dumps(marks))
        note("timings: unsync -> textfile %s -> scraped %s -> pending %s "
             "-> firing %s (for: %g s)" %
             (fmt(marks["written"]), fmt(marks["scraped"]),
              fmt(marks["pending"]), fmt(marks["firing"]), 600 / scale))
        for act in promapi.active_alerts():
            note("active: %s %s" % (act["labels"]["alertname"],
                                    act["state"]))

        v, _ = wait_alert("TsmonClockStepped", "gone", 30)
        if step_gone is not None:
            t = step_gone + t_unsync - t_step
        else:
            t = mono() - t_step
        # the last sample before the step is up to a scrape older
        check(v and t >= step_window - 1,
              "step: TsmonClockStepped resolved once the step left its "
              "%g s window" % step_window, "after %s" % fmt(t))
        note("timings: step -> resolved %s (scraped at %s, window %g s)" %
             (fmt(t), fmt(step_marks["scraped"]), step_window))

        t_sync = mono()
        daemon = Daemon(100)
        v, t = wait_alert("TsmonNtpUnsynchronised", "gone", 30)
        check(v, "resync: TsmonNtpUnsynchronised resolved")
        note("timings: resync -> resolved %s" % fmt(mono() - t_sync))
        v, _ = wait_for(lambda: q("tsmon_sync_state == 1"), 20)
        check(v, "resync: the bounded clock is SYNCHRONIZED again")

        phase("unsync and resync")

        # ------------------------------------------------------------ dashboard
        with open(args.dashboard) as f:
            dash = json.load(f)
        dvars = dashboard_queries.variables(dash)
        queries = [(w, k, dashboard_queries.substitute(e, dvars, "1m", "1h"))
                   for w, k, e in dashboard_queries.queries(dash)]
        check(len(queries) > 20, "dashboard: %d queries" % len(queries))
        # a step and an NTP sync loss happened within the minute: their
        # annotations must show them; leap seconds and PHC steps did not
        strict = {'annotation "Clock steps"', 'annotation "NTP sync lost"'}
        for where, kind, expr in queries:
            res = q(expr)
            detail = "%d series" % len(res)
            if not res and kind == "annotation" and where not in strict:
                bare = promapi.strip_filter(expr)
                res = q(bare) if bare != expr else []
                detail = "no event; without its filter %d series" % len(res)
            check(res, "dashboard: %s: %s" % (where, detail), expr)

        phase("dashboard")

        # ------------------------------------------------------------ textfile
        t_gone = mono()
        rc = writer.stop()
        check(rc == 0 and not os.path.exists(writer.file),
              "writer stopped: exit status 0, tsmon.prom removed",
              "status %s" % rc)
        a, t = wait_alert("TsmonMetricsAbsent", "firing", 30,
                          {"instance": node})
        check(a, "no tsmon.prom: TsmonMetricsAbsent fires")
        expect_labels("no tsmon.prom", a, "TsmonMetricsAbsent", "warning",
                      node)
        note("timings: tsmon.prom removed -> TsmonMetricsAbsent firing %s "
             "(for: %g s)" % (fmt(mono() - t_gone), 300 / scale))
        t_back = mono()
        check(writer.start(), "writer restarted", writer.output())
        v, t = wait_alert("TsmonMetricsAbsent", "gone", 30)
        check(v, "tsmon.prom back: TsmonMetricsAbsent resolved")
        note("timings: tsmon.prom back -> resolved %s" %
             fmt(mono() - t_back))
        phase("textfile removed and back")
    finally:
        rc = writer.stop()
        daemon.stop()
    check(rc == 0 and not writer.output(),
          "writer: exit status 0, nothing on stdout or stderr",
          "status %s" % rc, writer.output())
    ok("driver finished")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
