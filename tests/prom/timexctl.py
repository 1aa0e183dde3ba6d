#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""
timexctl.py - stand in for an NTP daemon in the test guest: adjtimex(2)
calls that set or clear STA_UNSYNC and report a maximum error

  timexctl.py state              print "status=0x... maxerror_us=N
                                 esterror_us=N" (one line)
  timexctl.py sync US [EVERY]    clear STA_UNSYNC and report maxerror US
                                 microseconds (esterror a tenth of it), as
                                 a daemon's clock update does (tsmon: a
                                 sync update); with EVERY (seconds), again
                                 and again until SIGTERM or SIGINT
  timexctl.py unsync             set STA_UNSYNC, nothing else
  timexctl.py restore STATUS MAXERR_US ESTERR_US
                                 put back what state printed (STATUS in
                                 hex): the STA_ bits a caller can set, and
                                 STA_NANO

It changes the system clock's NTP state: run it only inside the test
guest, as root. Exit status 0, 1 when adjtimex fails, 2 on a usage error.
"""
import ctypes
import os
import signal
import sys
import time

ADJ_MAXERROR = 0x0004
ADJ_ESTERROR = 0x0008
ADJ_STATUS = 0x0010
ADJ_MICRO = 0x1000
ADJ_NANO = 0x2000
STA_UNSYNC = 0x0040
STA_NANO = 0x2000
# the bits adjtimex(ADJ_STATUS) does not change (STA_RONLY)
STA_RONLY = 0x0100 | 0x0200 | 0x0400 | 0x0800 | 0x1000 | 0x2000 | 0x4000 | \
    0x8000


class Timeval(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long)]


class Timex(ctypes.Structure):
    """struct timex of <sys/timex.h> (glibc, 64-bit)"""
    _fields_ = [
        ("modes", ctypes.c_uint), ("offset", ctypes.c_long),
        ("freq", ctypes.c_long), ("maxerror", ctypes.c_long),
        ("esterror", ctypes.c_long), ("status", ctypes.c_int),
        ("constant", ctypes.c_long), ("precision", ctypes.c_long),
        ("tolerance", ctypes.c_long), ("time", Timeval),
        ("tick", ctypes.c_long), ("ppsfreq", ctypes.c_long),
        ("jitter", ctypes.c_long), ("shift", ctypes.c_int),
        ("stabil", ctypes.c_long), ("jitcnt", ctypes.c_long),
        ("calcnt", ctypes.c_long), ("errcnt", ctypes.c_long),
        ("stbcnt", ctypes.c_long), ("tai", ctypes.c_int),
        ("_pad", ctypes.c_int * 11),
    ]


libc = ctypes.CDLL(None, use_errno=True)
assert ctypes.sizeof(Timex) == 208


def adjtimex(modes=0, **fields):
    tx = Timex()
    tx.modes = modes
    for k, v in fields.items():
        setattr(tx, k, v)
    if libc.adjtimex(ctypes.byref(tx)) < 0:
        e = ctypes.get_errno()
        raise OSError(e, "adjtimex: %s" % os.strerror(e))
    return tx


def status():
    return adjtimex().status


def sync(us):
    adjtimex(ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR,
             status=status() & ~STA_UNSYNC & ~STA_RONLY, maxerror=us,
             esterror=us // 10)


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "state" and len(argv) == 2:
        tx = adjtimex()
        print("status=0x%x maxerror_us=%d esterror_us=%d" %
              (tx.status, tx.maxerror, tx.esterror))
    elif cmd == "sync" and len(argv) in (3, 4):
        us = int(argv[2])
        if len(argv) == 3:
            sync(us)
            return 0
        every = float(argv[3])
        stop = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.append(1))
        while not stop:
            sync(us)
            time.sleep(every)
    elif cmd == "unsync" and len(argv) == 2:
        adjtimex(ADJ_STATUS, status=(status() | STA_UNSYNC) & ~STA_RONLY)
    elif cmd == "restore" and len(argv) == 5:
        st = int(argv[2], 16)
        # STA_NANO is read-only to ADJ_STATUS: ADJ_NANO and ADJ_MICRO set
        # it (clockctl's steps turn it on)
        adjtimex(ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR |
                 (ADJ_NANO if st & STA_NANO else ADJ_MICRO),
                 status=st & ~STA_RONLY, maxerror=int(argv[3]),
                 esterror=int(argv[4]))
    else:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except OSError as e:
        print("timexctl.py: %s" % e, file=sys.stderr)
        sys.exit(1)
