#!/bin/sh
# kill -9 of the agent at arbitrary moments: after each kill the database must pass SQLite's
# integrity check and still hold every sample that a reader had seen committed before the
# kill; the restarted agent goes on appending to the same series.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

D="$WORK/data"
mkdir -p "$D"
series=host_uptime_seconds
prev=0

for round in 1 2 3 4 5; do
        "$AIOPS" monitor --interval 100ms --data-dir "$D" 2>>"$WORK/monitor.log" &
        mon=$!
        CLEANUP=$mon
        # Random moment 0.5 .. 1.5 s in, so kills land in every phase of a cycle.
        sleep "$(awk -v r="$round" 'BEGIN { srand(r * 7919 + '"$$"'); printf "%.2f", 0.5 + rand() }')"
        "$AIOPS" query "$series" --since 1h --json --data-dir "$D" >"$WORK/seen" ||
                fail "round $round: a reader could not query while the agent runs"
        kill -9 "$mon"
        wait "$mon" 2>/dev/null || true
        CLEANUP=""

        [ "$(sqlite3 "$D/aiops.db" 'PRAGMA integrity_check;')" = ok ] ||
                fail "round $round: integrity check failed after kill -9"
        "$AIOPS" query "$series" --since 1h --json --data-dir "$D" >"$WORK/after" ||
                fail "round $round: cannot query after kill -9"
        prev=$(python3 - "$WORK/seen" "$WORK/after" "$prev" "$round" <<'PY'
import json, sys
seen = json.load(open(sys.argv[1]))[0]["samples"]
after = json.load(open(sys.argv[2]))[0]["samples"]
prev, rnd = int(sys.argv[3]), sys.argv[4]
have = {ts: v for ts, v in after}
lost = [ts for ts, v in seen if have.get(ts) != v]
assert not lost, f"round {rnd}: {len(lost)} committed samples lost, first at {lost[0]}"
assert len(after) > prev, f"round {rnd}: no progress ({len(after)} <= {prev})"
ts = [t for t, _ in after]
assert ts == sorted(set(ts)), f"round {rnd}: timestamps not strictly increasing"
print(len(after))
PY
) || fail "round $round"
done
pass "5 kill -9 rounds: database intact, $prev samples, none of the committed ones lost"
