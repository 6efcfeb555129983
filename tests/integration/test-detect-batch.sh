#!/bin/sh
# `aiops detect` and `aiops anomalies` on a synthetic store: a day at 1 minute ending now,
# with a 30-minute memory fault on mysql (memory 93 % vs 61 %, RSS doubled, 37 'out of
# memory' lines a minute), written by the batch unit test's generator
# (unit-detect-test-batch --make-store DIR fault|quiet, next to the binary under test). The
# fault must come out as exactly one anomaly over its time range, stored once however often
# detection runs, listed by `aiops anomalies`; a quiet day gives none (exit 0); an empty data
# directory is an error (exit 3).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

GEN="$(dirname "$AIOPS")/tests/unit-detect-test-batch"
[ -x "$GEN" ] || skip "no store generator at $GEN (build the unit-detect-test-batch target)"

expect_rc 0 "$AIOPS" detect --help
expect_grep '^Usage: aiops detect \[OPTIONS\]' "$WORK/out"
expect_grep 'anomalies found' "$WORK/out"
expect_rc 0 "$AIOPS" anomalies --help
pass "help"

# No store yet: exit 3 with the hint.
expect_rc 3 "$AIOPS" --data-dir "$WORK/none" detect
expect_grep 'nothing was collected there yet' "$WORK/err"
pass "no store"

mkdir "$WORK/fault" "$WORK/quiet"
"$GEN" --make-store "$WORK/fault" fault >"$WORK/range" || fail "the generator failed"
"$GEN" --make-store "$WORK/quiet" quiet >/dev/null || fail "the generator failed"
read -r FAULT_START FAULT_END <"$WORK/range"

expect_rc 1 "$AIOPS" --data-dir "$WORK/fault" detect --json --seed 1
cp "$WORK/out" "$WORK/first.json"
python3 - "$WORK/first.json" "$FAULT_START" "$FAULT_END" <<'PY' || fail "detect --json"
import json, sys, datetime
d = json.load(open(sys.argv[1]))
start, end = int(sys.argv[2]), int(sys.argv[3])
def ms(s):
    return int(datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() * 1000)
assert d["windows"] >= 1430 and d["features"] == 5, (d["windows"], d["features"])
assert d["methods"] == ["iforest", "lof", "knn"], d["methods"]
assert len(d["anomalies"]) == 1, d["anomalies"]
a = d["anomalies"][0]
assert abs(ms(a["start"]) - start) <= 60000 and abs(ms(a["end"]) - end) <= 60000, a
assert a["kind"] == "batch" and a["subject"] == "service:mysql", a
assert 0.9 < a["score"] <= 1, a["score"]
names = [f["name"] for f in a["details"]["features"]]
assert "host_memory_used_percent" in names, names
mem = [f for f in a["details"]["features"] if f["name"] == "host_memory_used_percent"][0]
assert mem["z"] > 4 and 90 < mem["value"] < 96, mem
assert "out of memory" in a["summary"], a["summary"]
assert d["model_stored"] is True and d["new_anomalies"] == 1
PY
pass "detect finds the fault, explained"

expect_rc 1 "$AIOPS" --data-dir "$WORK/fault" detect
expect_grep '^1 anomaly \(0 new\)' "$WORK/out"
expect_grep 'host_memory_used_percent 9[0-9.]*% vs 6[0-9.]*% ± ' "$WORK/out"
expect_grep 'Host model: stored' "$WORK/out"
pass "detect again: the same anomaly, human report"

expect_rc 0 "$AIOPS" --data-dir "$WORK/fault" anomalies --json
python3 - "$WORK/out" <<'PY' || fail "anomalies --json"
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 1, rows
assert rows[0]["id"] == 1 and rows[0]["subject"] == "service:mysql", rows[0]
assert isinstance(rows[0]["details"], dict) and rows[0]["details"]["windows"] >= 29
PY
expect_rc 0 "$AIOPS" --data-dir "$WORK/fault" anomalies
expect_grep 'service:mysql' "$WORK/out"
expect_rc 0 "$AIOPS" --data-dir "$WORK/fault" anomalies show 1
expect_grep 'method scores' "$WORK/out"
expect_grep '\(z \+[0-9]' "$WORK/out"
expect_rc 3 "$AIOPS" --data-dir "$WORK/fault" anomalies show 99
expect_grep 'no anomaly #99' "$WORK/err"
expect_rc 0 "$AIOPS" --data-dir "$WORK/fault" anomalies --kind drift --json
[ "$(cat "$WORK/out")" = "[]" ] || fail "--kind drift listed batch anomalies"
pass "anomalies lists and shows it"

expect_rc 0 "$AIOPS" --data-dir "$WORK/quiet" detect --dry-run
expect_grep '^No anomaly' "$WORK/out"
expect_grep 'not trained \(--dry-run\)' "$WORK/out"
expect_rc 0 "$AIOPS" --data-dir "$WORK/quiet" anomalies
expect_grep '^No anomaly' "$WORK/out"
pass "a quiet day: no anomaly, exit 0"

# Too little data for the period: 2 windows of 1 day need 2 days.
expect_rc 3 "$AIOPS" --data-dir "$WORK/quiet" detect --hours-back 48 --window 1d
expect_grep 'the store has 24.0 hours of data between' "$WORK/err"
expect_grep 'at least 2 windows' "$WORK/err"
expect_rc 3 "$AIOPS" --data-dir "$WORK/quiet" detect --methods iforest,bogus
expect_grep "unknown method 'bogus'" "$WORK/err"
expect_rc 3 "$AIOPS" --data-dir "$WORK/quiet" detect --contamination 0.9
pass "errors exit 3"

# aiops run = collect + detect: on the fault day the report carries the stored anomaly (more
# may come from this host's own samples, which the synthetic day lacks), exit 0.
expect_rc 0 "$AIOPS" --data-dir "$WORK/fault" run --count 1 --no-logs --json
python3 - "$WORK/out" <<'PY' || fail "run --json detect"
import json, sys
d = json.load(open(sys.argv[1]))["detect"]
assert d["windows"] >= 1400 and d["model_stored"], d
ids = {a["id"]: a for a in d["anomalies"]}
assert 1 in ids and ids[1]["subject"] == "service:mysql", d["anomalies"]
PY
expect_rc 0 "$AIOPS" --data-dir "$WORK/fault" run --count 1 --no-logs
expect_grep 'service:mysql: service_resident_memory_bytes\{service="mysql"\} 4\.[0-9]G vs' "$WORK/out"
pass "aiops run detects too"
