#!/usr/bin/env python3
"""Writes the journal export-format fixtures of tests/integration/test-logs-journal.sh.

The test turns them into a real .journal with systemd-journal-remote at run time (a .journal
is 8 MiB, preallocated): first.export makes the file, second.export is appended to it later
(journal-remote appends to an existing file). Fields as systemd 252 writes them.

  first.export   30 entries: sshd logins (info), nginx upstream errors (err), PID 1 unit
                 messages about myapp.service (UNIT= with _PID=1; notice and warning), the
                 service's own crit lines, a multi-line MESSAGE (binary-safe form; one line
                 for aiops), an entry without PRIORITY, and one without MESSAGE (not a line)
  second.export  7 entries: more of the same kinds, and one kind never seen before
                 ("upstream timed out"), which must be the only new pattern

Run from this directory: python3 gen-export.py
"""
BOOT = "2f3c8a4e5b6d47c1a9e0f1d2c3b4a596"
# Long ago on purpose: aiops counts lines stamped more than 400 days back at their arrival
# time, so the test finds the counts in the last hours whatever the date.
BASE = 1_433_131_200_000_000  # usec since the epoch (2015-06-01T04:00:00Z)


def entry(t, **fields):
    out = [b"__REALTIME_TIMESTAMP=%d" % (BASE + t * 1_000_000),
           b"__MONOTONIC_TIMESTAMP=%d" % (t * 1_000_000 + 9_000_000),
           b"_BOOT_ID=" + BOOT.encode()]
    for k, v in fields.items():
        v = v if isinstance(v, bytes) else str(v).encode()
        if any(c < 0x20 or c >= 0x7f for c in v):  # the binary-safe form
            out.append(k.encode() + b"\n" + len(v).to_bytes(8, "little") + v)
        else:
            out.append(k.encode() + b"=" + v)
    return b"\n".join(out) + b"\n\n"


def sshd(t, n):
    return entry(t, MESSAGE=f"Accepted publickey for deploy from 10.0.{n % 3}.{n + 10} port "
                 f"{40000 + 37 * n} ssh2: ED25519 SHA256:q9Xo{n}kd2+Yl0mZ7PbA", PRIORITY=6,
                 _SYSTEMD_UNIT="ssh.service", SYSLOG_IDENTIFIER="sshd", _COMM="sshd",
                 _PID=2000 + n, _HOSTNAME="web1", _TRANSPORT="syslog")


def refused(t, n):
    return entry(t, MESSAGE=f"2015/06/01 04:00:{t:02d} [error] 812#812: *{100 + n} connect() "
                 f"failed (111: Connection refused) while connecting to upstream, client: "
                 f"10.0.0.{n}, server: web1, request: \"GET /api/items/{n} HTTP/1.1\", upstream: "
                 f"\"http://127.0.0.1:8080/api/items/{n}\", host: \"web1\"", PRIORITY=3,
                 _SYSTEMD_UNIT="nginx.service", SYSLOG_IDENTIFIER="nginx", _COMM="nginx",
                 _PID=812, _HOSTNAME="web1", _TRANSPORT="stderr")


def pid1(t, msg, prio):
    return entry(t, MESSAGE=msg, UNIT="myapp.service", _SYSTEMD_UNIT="init.scope",
                 SYSLOG_IDENTIFIER="systemd", _COMM="systemd", _PID=1, PRIORITY=prio,
                 _HOSTNAME="web1", _TRANSPORT="journal")


def myapp(t, msg, prio, pid):
    f = dict(MESSAGE=msg, _SYSTEMD_UNIT="myapp.service", SYSLOG_IDENTIFIER="myapp",
             _COMM="myapp", _PID=pid, _HOSTNAME="web1", _TRANSPORT="stdout")
    if prio is not None:
        f["PRIORITY"] = prio
    return entry(t, **f)


def crash_cycle(t, pid):
    return [myapp(t, f"worker {pid % 7} crashed: cannot allocate 268435456 bytes", 2, pid),
            pid1(t + 1, "myapp.service: Main process exited, code=exited, status=1/FAILURE", 5),
            pid1(t + 1, "myapp.service: Failed with result 'exit-code'.", 4)]


FIRST = []
for i in range(12):
    FIRST.append(sshd(i, i))
for i in range(6):
    FIRST.append(refused(12 + i, i))
for k, pid in enumerate((3001, 3002, 3003)):
    FIRST += crash_cycle(20 + 2 * k, pid)
FIRST.append(myapp(27, "Traceback (most recent call last):\n  File \"/srv/myapp/main.py\", "
                   "line 12, in <module>\nMemoryError\n", 3, 3003))
FIRST.append(myapp(28, "listening on 0.0.0.0:8080", None, 3004))
FIRST.append(entry(29, CODE_FILE="src/foo.c", CODE_LINE=42, SYSLOG_IDENTIFIER="foo", _PID=900,
                   _HOSTNAME="web1", _TRANSPORT="journal"))

SECOND = [sshd(40, 12), sshd(41, 13)]
SECOND += [refused(42 + i, 6 + i) for i in range(4)]
SECOND.append(entry(47, MESSAGE="2015/06/01 04:00:47 [error] 812#812: *200 upstream timed out "
                    "(110: Connection timed out) while reading response header from upstream, "
                    "client: 10.0.0.9, server: web1, request: \"GET /api/slow HTTP/1.1\", "
                    "upstream: \"http://127.0.0.1:8080/api/slow\", host: \"web1\"", PRIORITY=3,
                    _SYSTEMD_UNIT="nginx.service", SYSLOG_IDENTIFIER="nginx", _COMM="nginx",
                    _PID=812, _HOSTNAME="web1", _TRANSPORT="stderr"))

for name, entries in (("first", FIRST), ("second", SECOND)):
    with open(name + ".export", "wb") as f:
        f.write(b"".join(entries))
