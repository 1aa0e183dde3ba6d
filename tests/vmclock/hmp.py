#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""hmp.py SOCKET COMMAND... - run QEMU human monitor commands over a unix
socket (-monitor unix:SOCKET,server=on,wait=off), one after the other, and
print what each printed. Waits up to --wait seconds for the socket to
appear and for each command to finish (a blocking "migrate" included)."""

import argparse
import re
import socket
import sys
import time

PROMPT = b"(qemu) "
# The monitor echoes the command line with terminal escapes.
ESCAPES = re.compile(rb"\x1b\[[0-9;]*[A-Za-z]|\r")


def read_prompt(sock, deadline):
    buf = b""
    while not buf.endswith(PROMPT):
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            raise SystemExit("hmp.py: no monitor prompt in time")
        if not chunk:
            raise SystemExit("hmp.py: the monitor closed the connection")
        buf += chunk
    return buf[: -len(PROMPT)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wait", type=float, default=120.0)
    ap.add_argument("socket")
    ap.add_argument("commands", nargs="+")
    args = ap.parse_args()

    deadline = time.monotonic() + args.wait
    while True:
        try:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(args.socket)
            break
        except OSError:
            sock.close()
            if time.monotonic() > deadline:
                raise SystemExit(f"hmp.py: cannot connect to {args.socket}")
            time.sleep(0.1)
    read_prompt(sock, deadline)
    for cmd in args.commands:
        sock.sendall(cmd.encode() + b"\n")
        if cmd == "quit":
            break
        out = ESCAPES.sub(b"", read_prompt(sock, time.monotonic() + args.wait))
        lines = out.decode(errors="replace").split("\n")
        # The first line is the echoed command.
        sys.stdout.write("\n".join(l for l in lines[1:] if l.strip()) + "\n")
    sock.close()


if __name__ == "__main__":
    main()
