#!/bin/sh
# The agent loop: a drift-free schedule aligned to the wall clock, a clean stop on SIGINT and
# SIGTERM (exit 0, last cycle committed), and SIGHUP answered with a status line.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

D="$WORK/data"
for sig in INT TERM; do
        "$AIOPS" monitor --interval 200ms --data-dir "$D" 2>"$WORK/log-$sig" &
        mon=$!
        CLEANUP=$mon
        sleep 1.1
        [ "$sig" = TERM ] && kill -HUP $mon && sleep 0.5
        kill -"$sig" $mon
        set +e
        wait $mon
        rc=$?
        set -e
        CLEANUP=""
        [ $rc -eq 0 ] || fail "monitor exited $rc on SIG$sig, expected 0: $(cat "$WORK/log-$sig")"
done
expect_grep 'cycles, [0-9]+ samples stored, store ok' "$WORK/log-TERM"
pass "SIGINT and SIGTERM stop the monitor with status 0; SIGHUP reports"

expect_rc 0 "$AIOPS" query host_uptime_seconds --since 1h --json --data-dir "$D"
python3 - "$WORK/out" <<'PY' || fail "schedule"
import json, sys
ts = [t for t, _ in json.load(open(sys.argv[1]))[0]["samples"]]
assert len(ts) >= 10, f"only {len(ts)} cycles in about 3 s at 200 ms"
# Aligned to the wall clock: every cycle starts just after a multiple of 200 ms.
late = [t % 200 for t in ts if t % 200 > 100]
assert not late, f"cycles off the 200 ms grid by {late} ms"
gaps = sorted(b - a for a, b in zip(ts, ts[1:]))
assert abs(gaps[len(gaps) // 2] - 200) <= 10, f"median period {gaps[len(gaps) // 2]} ms"
print(f"ok: {len(ts)} cycles on the 200 ms grid, median period 200 ms")
PY
