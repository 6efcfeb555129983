#!/bin/sh
# A file followed through rotation: a writer appends numbered lines at a steady rate while
# `aiops monitor` runs; the log is rotated by rename (the writer reopens on SIGHUP, as a daemon
# does after logrotate's postrotate) and later by copytruncate while the monitor is stopped
# (SIGSTOP: a reader that lags). Every line written must be read exactly once. Then the same
# across restarts: lines appended, renamed away or copied and truncated while aiops is not
# running are read by the next collect, once.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/lib-logs.sh
. "$(dirname "$0")/lib-logs.sh"

LOG="$WORK/app.log"
CTL="$WORK/ctl"
D="$WORK/data"
CFG="$WORK/aiops.yaml"
mkdir -p "$CTL"
cat >"$CFG" <<EOF
logs:
  discover: false
  journal: false
  kmsg: false
  backfill: false
  count_interval: 1s
  files:
    - {path: "$LOG", name: app}
EOF

mon=""
writer=""
on_exit() {
        st=$?
        set +e # in a trap too, set -e would end the shell before cleanup
        for p in $writer $mon; do
                kill -CONT "$p" 2>/dev/null || true
                kill "$p" 2>/dev/null || true
                wait "$p" 2>/dev/null || true
        done
        (exit $st)
        cleanup
}
trap on_exit EXIT INT TERM

# Lines there before aiops first looks are not read (a file source starts at the end).
i=1
while [ $i -le 10 ]; do
        echo "old line $i" >>"$LOG"
        i=$((i + 1))
done

echo "starting aiops monitor --interval 1s"
"$AIOPS" monitor --interval 1s --data-dir "$D" --config "$CFG" 2>"$WORK/monitor.log" &
mon=$!
listed() { [ "$(source_lines_now app)" -ge 0 ]; }
wait_for 10 listed

# The writer: "line N" at about 200 a second through an O_APPEND fd, reopened by name on
# SIGHUP; it pauses while $CTL/pause exists (saying so in $CTL/paused) and, when $CTL/stop
# appears, writes the number of lines it wrote to $CTL/written and exits.
echo "starting the writer"
"$PYTHON" - "$LOG" "$CTL" <<'PY' &
import os, signal, sys, time
path, ctl = sys.argv[1], sys.argv[2]
reopen = False
def on_hup(*_):
    global reopen
    reopen = True
signal.signal(signal.SIGHUP, on_hup)
def put(name, text):
    with open(f"{ctl}/{name}.tmp", "w") as f:
        f.write(text)
    os.rename(f"{ctl}/{name}.tmp", f"{ctl}/{name}")
def open_log():
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
fd = open_log()
i = 0
while not os.path.exists(f"{ctl}/stop"):
    if os.path.exists(f"{ctl}/pause"):
        if not os.path.exists(f"{ctl}/paused"):
            put("paused", str(i))
        time.sleep(0.005)
        continue
    if os.path.exists(f"{ctl}/paused"):
        os.unlink(f"{ctl}/paused")
    if reopen:
        os.close(fd)
        fd = open_log()
        reopen = False
    i += 1
    os.write(fd, b"line %d\n" % i)
    time.sleep(0.005)
put("written", str(i))
PY
writer=$!
sleep 1.5

echo "rotation by rename: app.log -> app.log.1, the writer reopens 0.3 s later"
mv "$LOG" "$LOG.1"
sleep 0.3
kill -HUP $writer
sleep 1.5

echo "copytruncate while the monitor is stopped: app.log -> app.log.1 (copy), app.log emptied"
kill -STOP $mon
sleep 0.5
touch "$CTL/pause"
wait_for 5 test -f "$CTL/paused"
mv "$LOG.1" "$LOG.2"
cp "$LOG" "$LOG.1"
: >"$LOG"
rm "$CTL/pause"
sleep 0.3
kill -CONT $mon
sleep 1.5

touch "$CTL/stop"
wait_for 5 test -f "$CTL/written"
wait $writer
writer=""
written=$(cat "$CTL/written")
# Nothing lost by the rotations themselves: app.log.2 (renamed), app.log.1 (the copy) and
# app.log hold every line once.
echo "the writer wrote $written lines"
expect_eq "lines in app.log.2, app.log.1 and app.log" "$written" \
        "$(cat "$LOG.2" "$LOG.1" "$LOG" | grep '^line ' | sort -u | wc -l)"
expect_eq "line numbers on disk" "$written" "$(cat "$LOG.2" "$LOG.1" "$LOG" | grep -c '^line ')"

echo "waiting for the monitor to read them all"
wait_lines app "$written" 20
kill -TERM $mon
set +e
wait $mon
rc=$?
set -e
mon=""
[ $rc -eq 0 ] || fail "monitor exited $rc: $(cat "$WORK/monitor.log")"
expect_eq "lines read" "$written" "$(source_lines_now app)"
expect_eq "log_lines (all severities)" "$written" "$(metric_sum log_lines 1 --label source=app)"
expect_eq "the 'line N' template's count" "$written" "$(template_for app 'line 1' | cut -d' ' -f1)"
pass "rename and copytruncate under a running monitor: $written lines, each read once"

# append N: N more "line K" lines, numbered on.
next=$((written + 1))
append() {
        k=0
        while [ $k -lt "$1" ]; do
                echo "line $next" >>"$LOG"
                next=$((next + 1))
                k=$((k + 1))
        done
}
total=$written

echo "restart: 100 lines appended while aiops is not running; collect"
append 100
total=$((total + 100))
collect_once
expect_eq "lines read after the restart" $total "$(source_lines_now app)"
expect_eq "log_lines after the restart" $total "$(metric_sum log_lines 1 --label source=app)"
pass "the cursor carries across a restart: exactly 100 more"

echo "rename rotation while aiops is not running: 30 lines, rotate, 20 in the new file; collect"
append 30
mv "$LOG.1" "$LOG.2"
mv "$LOG" "$LOG.1"
append 20
total=$((total + 50))
collect_once
expect_eq "lines read after a rename while stopped" $total "$(source_lines_now app)"
expect_eq "log_lines" $total "$(metric_sum log_lines 1 --label source=app)"

echo "copytruncate while aiops is not running: 25 lines, copy and truncate, 15 more; collect"
append 25
mv "$LOG.1" "$LOG.2"
cp "$LOG" "$LOG.1"
: >"$LOG"
append 15
total=$((total + 40))
collect_once
expect_eq "lines read after a copytruncate while stopped" $total "$(source_lines_now app)"
expect_eq "log_lines" $total "$(metric_sum log_lines 1 --label source=app)"
expect_eq "the 'line N' template's count" $total "$(template_for app 'line 1' | cut -d' ' -f1)"
pass "rotation while stopped (rename, copytruncate): every line once"
