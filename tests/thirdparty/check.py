#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Match the clock changes the third-party tests made against tsmon's ring.

Input: the adjlog.so logs of each program (LOGDIR/<program>.log), their
exit statuses (--results: "name status seconds" lines), the ring's sequence
range of the run (--from, --to) read from /dev/tsmon, and the clock state
after the restore (--state, clockstate's key=value line).

Every logged successful call must have made exactly the records the kernel
change it caused calls for, within the call's CLOCK_MONOTONIC window:
  ADJ_SETOFFSET      a clock_step, reason setoffset, delta exactly the one
                     requested (timex.time, in ns with ADJ_NANO, else us)
  clock_settime,     a clock_step, reason settime, whose real_ns is the time
  settimeofday       set plus at most the time between the call's start and
                     the record, and whose delta fits what REALTIME was
  ADJ_TAI moved TAI  a tai_change with the old and the new offset (without
                     ADJ_TAI, TAI only moves when a leap second is applied
                     during the call: a leap_applied with the old and new)
  status bits moved  ntp_sync / ntp_unsync for STA_UNSYNC, ntp_mode for the
                     mode bits, with the bits before and after; a step first
                     sets STA_UNSYNC (ntp_clear()), so an ADJ_SETOFFSET
                     goes st0 -> st0|UNSYNC -> st1
  time zone alone    nothing, except that the first zone set after boot
                     warps the clock by tz_minuteswest minutes (the kernel's
                     "RTC keeps local time" fix-up, timekeeping_warp_clock):
                     for the run's first such call, if it was that first
                     one, a clock_step of exactly that, reason unknown
A rejected call makes no step, TAI or mode record; and no step, TAI or mode
record of the run may be left that no call explains. Calls that changed
nothing are not logged, so the records that follow state are checked as
chains too: ntp_sync/ntp_unsync alternate, each ntp_mode and ntp_state
starts where the previous one ended, and each tai_change or leap_applied
starts at the TAI offset the previous one left. Prints TAP; exit
status 0 when every test passed.
"""
import argparse
import glob
import mmap
import os
import struct
import sys

STA_UNSYNC = 0x0040
MODE_BITS = 0x0001 | 0x0002 | 0x0004 | 0x0008 | 0x0080 | 0x1000 | 0x2000 | 0x4000
ADJ_TAI = 0x0080
ADJ_SETOFFSET = 0x0100
ADJ_NANO = 0x2000
NSEC_PER_SEC = 10**9

# The adjtimex family, as adjlog.so names the calls it logs.
ADJ_FNS = ("adjtimex", "ntp_adjtime", "clock_adjtime", "sys_adjtimex", "sys_clock_adjtime")

EV = {1: "clock_step", 2: "leap_armed", 3: "leap_disarmed", 4: "leap_applied",
      5: "tai_change", 6: "clocksource_change", 7: "resume", 9: "ntp_sync",
      10: "ntp_unsync", 11: "ntp_mode", 12: "ntp_state"}
STEP, LEAP_APPLIED, TAI, SYNC, UNSYNC, MODE, STATE = 1, 4, 5, 9, 10, 11, 12
LEAP_INSERT, LEAP_DELETE = 1, 2
STEP_UNKNOWN, STEP_SETTIME, STEP_SETOFFSET = 0, 1, 2
# adjtimex() returns TIME_ERROR instead of time_state while STA_UNSYNC...
TIME_ERROR = 5
# Types only a clock-changing call can make (leaps and NTP state moves
# come from the tick; sync records also from maxerror growing).
CALL_ONLY = (STEP, TAI, MODE)


def s32(v):
    return v - (1 << 32) if v & 0x80000000 else v


def s64(v):
    return v - (1 << 64) if v & (1 << 63) else v


class Record:
    def __init__(self, raw):
        (self.seq, self.type, _flags, self.mono, self.real) = struct.unpack_from("<QIIQQ", raw, 0)
        self.u32 = struct.unpack_from("<8I", raw, 32)
        self.u64 = struct.unpack_from("<4Q", raw, 32)
        self.used = False

    def __str__(self):
        return (f"seq {self.seq} {EV.get(self.type, self.type)} mono {self.mono} "
                f"real {self.real} [{' '.join(hex(x) for x in self.u32[:4])}]")


def read_tsmon(first, last):
    """Records first..last and the health block, from the mapped device."""
    fd = os.open("/dev/tsmon", os.O_RDONLY)
    try:
        hdr = mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ)
        (magic, _abi, _hsize, region_size, health_off, health_size, ring_off,
         rec_size, entries) = struct.unpack_from("<QIIIIIIII", hdr, 0)
        hdr.close()
        if magic != 0x4942414E4F4D5354:
            raise RuntimeError("bad tsmon magic")
        m = mmap.mmap(fd, region_size, mmap.MAP_SHARED, mmap.PROT_READ)
    finally:
        os.close(fd)
    head = struct.unpack_from("<Q", m, 128)[0]
    recs = []
    for seq in range(first, last + 1):
        off = ring_off + (seq & (entries - 1)) * rec_size
        r = Record(m[off:off + 64])
        if r.seq != seq:
            raise RuntimeError(f"record {seq} is no longer in the ring (slot holds {r.seq})")
        recs.append(r)
    health = m[health_off:health_off + health_size]
    m.close()
    return recs, health, head, entries


def parse_kv(line):
    kv = {}
    for word in line.split()[1:]:
        k, _, v = word.partition("=")
        kv[k] = v
    return kv


class Call:
    def __init__(self, test, kv):
        self.test = test
        self.fn = kv["fn"]
        self.clk = int(kv["clk"])
        self.modes = int(kv["modes"], 0)
        self.ret = int(kv["ret"])
        self.errno = int(kv["errno"])
        self.mp, self.m0, self.m1 = int(kv["mp"]), int(kv["m0"]), int(kv["m1"])
        self.st0, self.st1 = int(kv["st0"]), int(kv["st1"])
        self.tai0, self.tai1 = int(kv["tai0"]), int(kv["tai1"])
        self.sec, self.usec = int(kv["sec"]), int(kv["usec"])
        self.set = int(kv["set"])
        self.off0, self.offerr = int(kv["off0"]), int(kv["offerr"])
        self.tzmin = int(kv["tzmin"])
        # clk: 0 (CLOCK_REALTIME) for a time set, -1 for a time zone alone.
        self.kind = ("adj" if self.fn in ADJ_FNS else
                     "set" if self.clk == 0 else "tz")

    def __str__(self):
        return (f"{self.test}: {self.fn} modes {self.modes:#x} ret {self.ret} "
                f"errno {self.errno} st {self.st0:#x}->{self.st1:#x} "
                f"tai {self.tai0}->{self.tai1} time {self.sec}.{self.usec} "
                f"set {self.set} [{self.m0}, {self.m1}]")


class Checker:
    def __init__(self, recs):
        self.recs = recs
        self.fail = {}
        self.count = {}
        self.tz_seen = False

    def bad(self, what, msg):
        self.fail.setdefault(what, []).append(msg)

    def good(self, what, n=1):
        self.count[what] = self.count.get(what, 0) + n

    def take(self, call, rtype, pred, lo=None):
        """The first unused record of @rtype in the call's window that fits."""
        lo = call.m0 if lo is None else lo
        for r in self.recs:
            if r.used or r.type != rtype or not lo <= r.mono <= call.m1:
                continue
            if pred(r):
                r.used = True
                return r
        return None

    def in_window(self, call, types):
        return [r for r in self.recs if r.type in types and call.m0 <= r.mono <= call.m1]

    def status_chain(self, call, chain):
        for a, b in zip(chain, chain[1:]):
            if (a ^ b) & STA_UNSYNC:
                t = UNSYNC if b & STA_UNSYNC else SYNC
                # The kernel sets STA_UNSYNC on its own too, at a tick
                # (maxerror past its limit): one between the NTP read and
                # the call takes the change the call would have made.
                if self.take(call, t, lambda r, b=b: r.u32[0] == b, lo=call.mp):
                    self.good("status")
                else:
                    self.bad("status", f"no {EV[t]} with status {b:#x} for {call}")
            if (a ^ b) & MODE_BITS:
                # Likewise a tick setting STA_UNSYNC between the NTP read and
                # the call: the call then starts from a | STA_UNSYNC, which
                # the kernel's own ntp_unsync record in that interval shows.
                def starts(r, a=a, call=call):
                    if r.u32[0] == a:
                        return True
                    u = a | STA_UNSYNC
                    return (not a & STA_UNSYNC and r.u32[0] == u and
                            any(x.type == UNSYNC and x.u32[0] == u and
                                call.mp <= x.mono <= r.mono for x in self.recs))
                if self.take(call, MODE, lambda r, b=b: starts(r) and r.u32[1] == b):
                    self.good("status")
                else:
                    self.bad("status", f"no ntp_mode {a:#x}->{b:#x} for {call}")

    def check(self, call):
        if call.ret < 0:
            found = self.in_window(call, CALL_ONLY)
            if found:
                self.bad("rejected", f"{call} made {', '.join(str(r) for r in found)}")
            else:
                self.good("rejected")
            return
        if call.kind == "adj":
            chain = [call.st0]
            if call.modes & ADJ_SETOFFSET:
                delta = call.sec * NSEC_PER_SEC + (
                    call.usec if call.modes & ADJ_NANO else call.usec * 1000)
                chain.append(call.st0 | STA_UNSYNC)
                if delta:
                    r = self.take(call, STEP, lambda r: s64(r.u64[0]) == delta and
                                  r.u32[2] == STEP_SETOFFSET)
                    if r:
                        self.good("setoffset")
                    else:
                        self.bad("setoffset", f"no clock_step of exactly {delta} ns "
                                 f"(setoffset) for {call}; in the window: "
                                 f"{[str(x) for x in self.in_window(call, (STEP,))]}")
            chain.append(call.st1)
            self.status_chain(call, chain)
            if call.tai1 != call.tai0 and call.modes & ADJ_TAI:
                if self.take(call, TAI, lambda r: s32(r.u32[0]) == call.tai0 and
                             s32(r.u32[1]) == call.tai1):
                    self.good("tai")
                else:
                    self.bad("tai", f"no tai_change {call.tai0}->{call.tai1} for {call}")
            elif call.tai1 != call.tai0:
                # A leap second. adjtimex() reports it (TIME_OOP or
                # TIME_WAIT, TAI moved, time corrected) from the first
                # instant of the leap second on, while the timekeeper
                # applies it at the next tick: the leap_applied record may
                # follow the call. It must be the next TAI move after the
                # NTP read that saw the old offset.
                nxt = next((r for r in self.recs if r.type in (TAI, LEAP_APPLIED) and
                            r.mono >= call.mp), None)
                if (nxt is not None and not nxt.used and nxt.type == LEAP_APPLIED and
                        s32(nxt.u32[1]) == call.tai0 and s32(nxt.u32[2]) == call.tai1):
                    nxt.used = True
                    self.good("tai_leap")
                    if nxt.mono > call.m1:
                        self.good("tai_leap_after")
                else:
                    self.bad("tai", f"TAI {call.tai0}->{call.tai1} without ADJ_TAI, and the "
                             f"next TAI move is not that leap second: {nxt}: {call}")
            elif call.modes & ADJ_TAI:
                self.good("tai_same")
        elif call.kind == "set":
            def fits(r):
                # The clock was set at some instant t in [m0, r.mono]:
                # real_ns = set + (r.mono - t), delta = set - t - off0.
                if r.u32[2] != STEP_SETTIME:
                    return False
                ahead = r.real - call.set
                delta = s64(r.u64[0])
                lo = call.set - r.mono - call.off0 - call.offerr
                hi = call.set - call.m0 - call.off0 + call.offerr
                return 0 <= ahead <= r.mono - call.m0 and lo <= delta <= hi
            r = self.take(call, STEP, fits)
            if r:
                self.good("settime")
                self.good("settime_ahead_ns_max", 0)
                self.count["settime_ahead_ns_max"] = max(
                    self.count["settime_ahead_ns_max"], r.real - call.set)
            else:
                self.bad("settime", f"no clock_step (settime) to {call.set} for {call}; "
                         f"in the window: {[str(x) for x in self.in_window(call, (STEP,))]}")
            self.status_chain(call, [call.st0, call.st0 | STA_UNSYNC])
        else:
            first, self.tz_seen = not self.tz_seen, True
            warp = call.tzmin * 60 * NSEC_PER_SEC
            if first and warp and self.take(call, STEP, lambda r: s64(r.u64[0]) == warp and
                                            r.u32[2] == STEP_UNKNOWN):
                self.good("tz_warp")
            found = self.in_window(call, CALL_ONLY)
            found = [r for r in found if not r.used]
            if found:
                self.bad("tz", f"{call} made {', '.join(str(r) for r in found)}")
            else:
                self.good("tz")


def chains(recs):
    """(ok, message, details): the state records of the run chain up."""
    errs = []
    n = {"sync": 0, "mode": 0, "state": 0, "tai": 0}
    prev = {}
    for r in recs:
        if r.type in (SYNC, UNSYNC):
            unsync = bool(r.u32[0] & STA_UNSYNC)
            if unsync != (r.type == UNSYNC):
                errs.append(f"{r}: status does not match the type")
            p = prev.get("sync")
            if p is not None and p.type == r.type:
                errs.append(f"{r}: follows {p}, no change")
            prev["sync"] = r
            n["sync"] += 1
        elif r.type in (MODE, STATE):
            key = "mode" if r.type == MODE else "state"
            mask = MODE_BITS if r.type == MODE else 0xFFFFFFFF
            p = prev.get(key)
            if not (r.u32[0] ^ r.u32[1]) & mask:
                errs.append(f"{r}: no change")
            if p is not None and (p.u32[1] ^ r.u32[0]) & mask:
                errs.append(f"{r}: starts where {p} did not end")
            prev[key] = r
            n[key] += 1
        elif r.type in (TAI, LEAP_APPLIED):
            before, after = ((s32(r.u32[0]), s32(r.u32[1])) if r.type == TAI else
                             (s32(r.u32[1]), s32(r.u32[2])))
            if r.type == LEAP_APPLIED and after - before != (
                    1 if r.u32[0] == LEAP_INSERT else -1):
                errs.append(f"{r}: TAI move does not fit the leap's direction")
            p = prev.get("tai")
            if p is not None and p != before:
                errs.append(f"{r}: starts at TAI {before}, the previous ended at {p}")
            prev["tai"] = after
            n["tai"] += 1
    return (not errs,
            f"state records chain up: {n['sync']} ntp_sync/ntp_unsync alternate, "
            f"{n['mode']} ntp_mode and {n['state']} ntp_state each start where the "
            f"previous ended, {n['tai']} tai_change/leap_applied continue the TAI offset",
            errs[:10])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--logs", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--from", dest="first", type=int, required=True)
    ap.add_argument("--to", dest="last", type=int, required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--restored", type=int, required=True)
    ap.add_argument("--restore-detail", default="")
    a = ap.parse_args()

    tap = []

    def result(ok, msg, detail=()):
        tap.append((ok, msg, list(detail)))

    # The programs' own verdicts.
    with open(a.results) as f:
        results = [line.split() for line in f if line.strip()]
    calls, quiet, per_test = [], {}, {}
    for path in sorted(glob.glob(os.path.join(a.logs, "*.log"))):
        test = os.path.basename(path)[:-4]
        with open(path) as f:
            for line in f:
                if line.startswith("call "):
                    calls.append(Call(test, parse_kv(line)))
                    per_test[test] = per_test.get(test, 0) + 1
                elif line.startswith("exit "):
                    quiet[test] = quiet.get(test, 0) + int(parse_kv(line)["quiet"])
    for name, rc, secs in results:
        rc = int(rc)
        msg = (f"{name}: exit status {rc} in {secs} s ({per_test.get(name, 0)} clock "
               f"changes logged, {quiet.get(name, 0)} calls without one)")
        if rc == 4:
            tap.append((True, msg + " # SKIP", []))
        else:
            result(rc == 0, msg)

    try:
        recs, health, head, entries = read_tsmon(a.first, a.last)
    except (OSError, RuntimeError) as e:
        result(False, f"the ring holds the whole run ({e})")
        recs, health = [], None
    else:
        result(True, f"the ring holds the whole run: records {a.first}..{a.last} "
               f"of a {entries}-record ring")

    ck = Checker(recs)
    calls.sort(key=lambda c: c.m0)
    for c in calls:
        ck.check(c)

    def line(what, text):
        n = ck.count.get(what, 0)
        fails = ck.fail.get(what, [])
        result(not fails, text.format(n=n, f=len(fails)), fails[:10])

    line("setoffset", "ADJ_SETOFFSET: {n} steps, each a clock_step record (setoffset) "
         "with exactly the delta requested; {f} missing")
    ahead = ck.count.get("settime_ahead_ns_max", 0)
    line("settime", "clock_settime/settimeofday: {n} steps, each a clock_step record "
         f"(settime) with the time set (real_ns at most {ahead} ns past it) "
         "and a delta that fits; {f} missing")
    line("tai", "ADJ_TAI: {n} changes, each a tai_change record with the old and new "
         f"offset ({ck.count.get('tai_leap', 0)} more calls saw a leap second's TAI "
         "change, each the next TAI move, a leap_applied record; "
         f"{ck.count.get('tai_leap_after', 0)} of them applied after the call "
         "returned it); {f} missing")
    line("status", "NTP status: {n} changes of STA_UNSYNC or mode bits, each an "
         "ntp_sync/ntp_unsync/ntp_mode record with the bits; {f} missing")
    line("rejected", "rejected calls: {n}, none made a step, TAI or mode record; {f} did")
    line("tz", "time zone only settimeofday: {n}, no record but the boot's first "
         f"zone warp ({ck.count.get('tz_warp', 0)}: a clock_step of exactly "
         "tz_minuteswest, reason unknown); {f} made another")

    left = [r for r in recs if not r.used and r.type in CALL_ONLY]
    result(not left, f"no step, TAI or mode record without the call that made it "
           f"({len(recs)} records in the run, {len(left)} unexplained)",
           [str(r) for r in left[:10]])

    result(*chains(recs))

    kinds = {}
    for r in recs:
        kinds[EV.get(r.type, str(r.type))] = kinds.get(EV.get(r.type, str(r.type)), 0) + 1
    syncs_left = [r for r in recs if not r.used and r.type in (SYNC, UNSYNC)]

    result(a.restored == 1, "clock state restored (REALTIME - MONOTONIC, TAI, status, "
           "time_state, frequency, tick)", a.restore_detail.splitlines())

    # tsmon's view after the restore must be the kernel's.
    with open(a.state) as f:
        st = parse_kv("state " + f.read())
    if health is not None:
        offs_real = s64(struct.unpack_from("<Q", health, 8)[0])
        ntp_status, _hooks, ntp_state = struct.unpack_from("<III", health, 52)
        tai_offset = s32(struct.unpack_from("<I", health, 76)[0])
        want = (int(st["tai"]), int(st["status"], 0), int(st["state"]))
        got = (tai_offset, ntp_status, ntp_state)
        if want[2] == TIME_ERROR:
            # The kernel hides time_state behind TIME_ERROR: nothing to compare.
            got = got[:2] + (TIME_ERROR,)
        off_ok = abs(offs_real - int(st["off"])) <= int(st["offerr"]) + 1000
        result(got == want and off_ok,
               f"tsmon health after the run agrees with the kernel: TAI {tai_offset}, "
               f"status {ntp_status:#x}, time_state {ntp_state}, REALTIME - MONOTONIC "
               f"{offs_real} (kernel: TAI {want[0]}, status {want[1]:#x}, "
               f"time_state {want[2]}, {st['off']} +- {st['offerr']})")

    print("TAP version 13")
    print(f"1..{len(tap)}")
    nfail = 0
    for i, (ok, msg, detail) in enumerate(tap, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - {msg}")
        for d in detail:
            print(f"#   {d}")
        nfail += not ok
    print("# records in the run: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    print(f"# sync/unsync records no call explains (the kernel's own, e.g. maxerror "
          f"growth): {len(syncs_left)}")
    if nfail:
        print(f"# {nfail} of {len(tap)} failed")
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
