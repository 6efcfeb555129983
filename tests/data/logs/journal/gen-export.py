#!/usr/bin/env python3
"""Writes the journal export-format fixtures of tests/unit/logs/test-journal.c.

The tests turn each .export into a real .journal with systemd-journal-remote at run time
(a .journal is 8 MiB, preallocated). Fields as systemd 252 writes them; __REALTIME_TIMESTAMP,
__MONOTONIC_TIMESTAMP and _BOOT_ID are kept by journal-remote as given.

  sample.export     eleven entries: PID 1 unit messages (UNIT= with _PID=1), a service's own
                    lines, a multi-line MESSAGE, a MESSAGE with invalid UTF-8, a non-PID-1
                    entry carrying UNIT=nginx.service (must not match nginx), a kernel line,
                    an entry without MESSAGE
  more.export       two entries appended later (reading at the tail)
  tail-only.export  the last five entries of sample.export alone, as if the older ones had
                    been vacuumed (a cursor whose entry is gone)
  clock-old.export, clock-new.export
                    one boot in two files, the clock set back by 50 s between them (journald
                    rotates then): the later file's entries have the earlier times. (Cursors
                    into the second file before its 4th entry hit an sd-journal 252 quirk: it
                    seeks the other file by the cursor's seqnum too, though that file has
                    another seqnum ID, and lands too early.)

Run from this directory: python3 gen-export.py
"""
BOOT = "0123456789abcdef0123456789abcdef"
BASE = 1_700_000_000_000_000  # usec since the epoch (2023-11-14T22:13:20Z)


def entry(t, mono=None, **fields):
    mono = t if mono is None else mono
    out = [b"__REALTIME_TIMESTAMP=%d" % (BASE + t * 1_000_000),
           b"__MONOTONIC_TIMESTAMP=%d" % (mono * 1_000_000 + 5_000_000),
           b"_BOOT_ID=" + BOOT.encode()]
    for k, v in fields.items():
        v = v if isinstance(v, bytes) else str(v).encode()
        if any(c < 0x20 or c >= 0x7f for c in v):  # the binary-safe form
            out.append(k.encode() + b"\n" + len(v).to_bytes(8, "little") + v)
        else:
            out.append(k.encode() + b"=" + v)
    return b"\n".join(out) + b"\n\n"


def pid1(t, unit, msg, prio):
    return entry(t, MESSAGE=msg, UNIT=unit, _SYSTEMD_UNIT="init.scope", SYSLOG_IDENTIFIER="systemd",
                 _COMM="systemd", _PID=1, PRIORITY=prio, _HOSTNAME="web1", _TRANSPORT="journal")


SAMPLE = [
    pid1(0, "nginx.service", "Started nginx.service - A high performance web server.", 6),
    entry(1, MESSAGE="connect() failed (111: Connection refused) while connecting to upstream",
          _SYSTEMD_UNIT="nginx.service", SYSLOG_IDENTIFIER="nginx", _COMM="nginx", _PID=4242,
          PRIORITY=3, _HOSTNAME="web1", _TRANSPORT="stdout"),
    pid1(2, "myapp.service", "myapp.service: Main process exited, code=exited, status=1/FAILURE", 5),
    entry(3, MESSAGE="line one\nline two (multi-line, binary-safe field)\n",
          _SYSTEMD_UNIT="myapp.service", SYSLOG_IDENTIFIER="myapp", _COMM="myapp", _PID=777,
          PRIORITY=2, _HOSTNAME="web1", _TRANSPORT="stdout"),
    entry(4, MESSAGE=b"bad bytes \xff\xfe end\r\n", _SYSTEMD_UNIT="myapp.service",
          _COMM="myapp-worker", _PID=778, _HOSTNAME="web1", _TRANSPORT="stdout"),
    entry(5, MESSAGE="(root) CMD (systemctl reload nginx.service)", UNIT="nginx.service",
          _SYSTEMD_UNIT="cron.service", SYSLOG_IDENTIFIER="CRON", _COMM="cron", _PID=3131,
          PRIORITY=6, _HOSTNAME="web1", _TRANSPORT="syslog"),
    entry(6, MESSAGE="bind() to 0.0.0.0:80 failed (98: Address already in use)",
          _SYSTEMD_UNIT="nginx.service", SYSLOG_IDENTIFIER="nginx", _COMM="nginx", _PID=4300,
          PRIORITY=2, _HOSTNAME="web1", _TRANSPORT="stderr"),
    entry(7, MESSAGE="nginx[4242]: segfault at 0 ip 000055f861214155 sp 00007ffe82d10820 error 4 "
          "in nginx[55f861214000+1000] likely on CPU 0 (core 0, socket 0)",
          SYSLOG_IDENTIFIER="kernel", PRIORITY=6, _HOSTNAME="web1", _TRANSPORT="kernel"),
    pid1(8, "nginx.service", "nginx.service: Main process exited, code=killed, status=11/SEGV", 5),
    entry(9, CODE_FILE="src/foo.c", CODE_LINE=42, SYSLOG_IDENTIFIER="foo", _PID=900,
          _HOSTNAME="web1", _TRANSPORT="journal"),
    pid1(10, "nginx.service", "Stopped nginx.service - A high performance web server.", 6),
]

MORE = [
    entry(20, MESSAGE="signal process started", _SYSTEMD_UNIT="nginx.service",
          SYSLOG_IDENTIFIER="nginx", _COMM="nginx", _PID=4400, PRIORITY=5, _HOSTNAME="web1",
          _TRANSPORT="stderr"),
    entry(21, MESSAGE="myapp ready", _SYSTEMD_UNIT="myapp.service", SYSLOG_IDENTIFIER="myapp",
          _PID=779, PRIORITY=6, _HOSTNAME="web1", _TRANSPORT="stdout"),
]


def app(t, mono, msg):
    return entry(t, mono, MESSAGE=msg, _SYSTEMD_UNIT="app.service", SYSLOG_IDENTIFIER="app",
                 _PID=500, PRIORITY=6, _HOSTNAME="web1", _TRANSPORT="stdout")


CLOCK_OLD = [app(100, 1, "before the clock change 1"), app(101, 2, "before the clock change 2"),
             app(102, 3, "before the clock change 3")]
CLOCK_NEW = [app(50 + i, 4 + i, "after the clock change %d" % (i + 1)) for i in range(6)]

for name, entries in (("sample", SAMPLE), ("more", MORE), ("tail-only", SAMPLE[6:]),
                      ("clock-old", CLOCK_OLD), ("clock-new", CLOCK_NEW)):
    with open(name + ".export", "wb") as f:
        f.write(b"".join(entries))
