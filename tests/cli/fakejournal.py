#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
#
# fakejournal.py - a stand-in for journald's native socket, for the guest
# test of `tsmon events --journal` (the test guest runs no systemd)
#
# usage: fakejournal.py SOCKET OUT
#
# Binds an AF_UNIX datagram socket at SOCKET (journald's is
# /run/systemd/journal/socket), world-writable as journald's is, and
# appends one JSON object per datagram to OUT:
#   {"uid": SENDER_UID, "fields": {"NAME": ["value", ...], ...}}
# or {"uid": ..., "error": "what is wrong with it"} when the datagram is
# not a valid entry of the native protocol, so that the test fails on it.
#
# The native protocol (systemd's JOURNAL_NATIVE_PROTOCOL): an entry is a
# sequence of fields, each either
#   NAME=VALUE\n                     (VALUE without a newline), or
#   NAME\n<le64 length><VALUE>\n     (any bytes),
# and NAME is uppercase letters, digits and underscores, not starting with a
# digit or (for a client) an underscore. An entry too large for a datagram
# arrives as an empty datagram carrying a sealed memfd (SCM_RIGHTS) that
# holds it. The sender's credentials come with SO_PASSCRED.
#
# Runs until SIGTERM or SIGINT, then removes SOCKET.

import array
import json
import os
import re
import signal
import socket
import struct
import sys

NAME = re.compile(rb"[A-Z_][A-Z0-9_]*\Z")
MAX_DATAGRAM = 1 << 20


class Bad(Exception):
    pass


class Stop(Exception):
    pass


def on_signal(*_):
    # raised out of the blocking receive, which would otherwise resume
    raise Stop()


def parse(data):
    fields = {}
    i = 0
    while i < len(data):
        nl = data.find(b"\n", i)
        if nl < 0:
            raise Bad("field at %d does not end with a newline" % i)
        eq = data.find(b"=", i, nl)
        if eq >= 0:
            name, value, i = data[i:eq], data[eq + 1:nl], nl + 1
        else:
            name = data[i:nl]
            if nl + 9 > len(data):
                raise Bad("binary field %r has no length" % name)
            (size,) = struct.unpack("<Q", data[nl + 1:nl + 9])
            start = nl + 9
            if start + size + 1 > len(data) or data[start + size] != 0x0a:
                raise Bad("binary field %r: bad length %d" % (name, size))
            value, i = data[start:start + size], start + size + 1
        if not NAME.match(name) or name.startswith(b"_"):
            raise Bad("invalid field name %r" % name)
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            raise Bad("field %r is not UTF-8" % name)
        fields.setdefault(name.decode(), []).append(text)
    if not fields:
        raise Bad("empty entry")
    return fields


def receive(sock):
    fds = array.array("i")
    data, anc, flags, _ = sock.recvmsg(
        MAX_DATAGRAM, socket.CMSG_SPACE(4 * fds.itemsize) +
        socket.CMSG_SPACE(struct.calcsize("iII")))
    uid = None
    for level, kind, payload in anc:
        if level != socket.SOL_SOCKET:
            continue
        if kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[:len(payload) - len(payload) % fds.itemsize])
        elif kind == socket.SCM_CREDENTIALS:
            _, uid, _ = struct.unpack("iII", payload)
    if flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC):
        return uid, Bad("truncated datagram")
    if fds:
        # the entry lives in the memfd; the datagram itself is empty
        blobs = []
        for fd in fds:
            # the sender wrote it: its offset is at the end
            os.lseek(fd, 0, os.SEEK_SET)
            with os.fdopen(fd, "rb") as f:
                blobs.append(f.read())
        if len(blobs) != 1 or data:
            return uid, Bad("a memfd entry must be one fd, alone")
        data = blobs[0]
    return uid, data


def main():
    path, out = sys.argv[1], sys.argv[2]
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    sock.bind(path)
    os.chmod(path, 0o666)
    try:
        with open(out, "a") as log:
            while True:
                uid, data = receive(sock)
                if isinstance(data, Exception):
                    entry = {"uid": uid, "error": str(data)}
                else:
                    try:
                        entry = {"uid": uid, "fields": parse(data)}
                    except Bad as e:
                        entry = {"uid": uid, "error": str(e)}
                log.write(json.dumps(entry) + "\n")
                log.flush()
    except Stop:
        pass
    os.unlink(path)


if __name__ == "__main__":
    main()
