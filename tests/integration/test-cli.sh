#!/bin/sh
# The command line contract: --help everywhere, DESIGN's exit codes, errors that say what
# failed and what to do, machine output that parses.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

D="$WORK/data"

for cmd in run collect monitor ps query status; do
        expect_rc 0 "$AIOPS" "$cmd" --help
        expect_grep "^Usage: aiops $cmd" "$WORK/out"
done
expect_rc 0 "$AIOPS" collect processes --help
expect_rc 0 "$AIOPS" --help
for cmd in run collect monitor ps query status; do
        expect_grep "^  $cmd " "$WORK/out"
done
expect_rc 0 "$AIOPS" --version
expect_grep '^aiops [0-9]+\.[0-9]+' "$WORK/out"
pass "help and version"

expect_rc 3 "$AIOPS"
expect_rc 3 "$AIOPS" frobnicate
expect_grep "unknown command 'frobnicate'" "$WORK/err"
expect_rc 3 "$AIOPS" ps --bogus
expect_grep "Try 'aiops ps --help'" "$WORK/err"
expect_rc 3 "$AIOPS" collect --interval fast --data-dir "$D"
expect_grep "invalid duration 'fast' for --interval" "$WORK/err"
expect_rc 3 "$AIOPS" collect --interval 10ms --data-dir "$D"
expect_grep "too short" "$WORK/err"
expect_rc 3 "$AIOPS" ps --sort colour
expect_grep "invalid --sort 'colour'" "$WORK/err"
expect_rc 3 "$AIOPS" status --data-dir "$WORK/nothing-here"
expect_grep "no store at '$WORK/nothing-here/aiops.db'" "$WORK/err"
expect_rc 3 "$AIOPS" query host_load1 --data-dir "$WORK/nothing-here"
pass "usage errors exit 3 and say what is wrong"

# A configuration error names file, line and key.
printf 'collect:\n  interval: often\n' >"$WORK/bad.yaml"
expect_rc 3 "$AIOPS" --config "$WORK/bad.yaml" status --data-dir "$D"
expect_grep "bad.yaml:2.*collect.interval" "$WORK/err"
expect_rc 3 "$AIOPS" --config "$WORK/missing.yaml" status --data-dir "$D"
expect_grep "missing.yaml" "$WORK/err"
pass "configuration errors name file, line and key"

# Collect, then read back through every output format.
expect_rc 0 "$AIOPS" collect --count 2 --interval 200ms --data-dir "$D" --json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["store"]["ok"] is True, d["store"]
assert d["store"]["samples_appended"] > 50, d["store"]
assert 0 <= d["host"]["cpu_percent"]["busy"] <= 100
assert d["host"]["memory"]["total_bytes"] > 0
assert d["processes"]["count"] > 3
assert any(s["name"] == "sshd" for s in d["services"])
' "$WORK/out" || fail "collect --json"
expect_rc 0 "$AIOPS" query host_memory_used_percent --data-dir "$D" --csv
expect_grep '^TIME,TIMESTAMP_MS,METRIC,LABELS,VALUE$' "$WORK/out"
[ "$(grep -c host_memory_used_percent "$WORK/out")" -eq 2 ] || fail "expected 2 CSV rows"
expect_rc 0 "$AIOPS" query host_cpu_percent --label mode=idle --data-dir "$D" --json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d) == 1 and d[0]["labels"] == {"mode": "idle"}, d
assert len(d[0]["samples"]) == 2 and all(0 <= v <= 100 for _, v in d[0]["samples"])
' "$WORK/out" || fail "query --json"
expect_rc 3 "$AIOPS" query host_memory_usd --data-dir "$D"
expect_grep "known metrics like it" "$WORK/err"
expect_grep "host_memory_used_percent" "$WORK/err"
expect_rc 0 "$AIOPS" query --list --data-dir "$D"
expect_grep '^service_up$' "$WORK/out"
expect_rc 0 "$AIOPS" status --data-dir "$D" --json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["store"]["samples"] > 100 and d["store"]["series"] > 50, d
assert d["collection"]["last"] is not None
' "$WORK/out" || fail "status --json"
pass "collect, query and status agree across formats"

# No colour escapes unless on a terminal, whatever the flags.
expect_rc 0 "$AIOPS" ps --interval 0
if grep -q "$(printf '\033')" "$WORK/out"; then fail "escape sequences in piped output"; fi
expect_rc 0 "$AIOPS" ps --interval 0 --csv
expect_grep '^PID,PPID,USER,STAT,%CPU,%MEM,RSS,VSZ,THR,FDS,READ/S,WRITE/S,START,UNIT,COMMAND$' "$WORK/out"
expect_rc 0 "$AIOPS" ps --interval 0 --json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
me = [p for p in d if p["pid"] == int(sys.argv[2])]
assert me, "the test shell is missing"
assert me[0]["ppid"] == int(sys.argv[3]), me
assert isinstance(me[0]["rss"], int) and me[0]["rss"] > 0, me
' "$WORK/out" $$ "$PPID" || fail "ps --json lacks the test shell"
pass "ps formats"

# The main job and the process views.
expect_rc 0 "$AIOPS" run --count 2 --interval 100ms --data-dir "$D" --json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["cycles"] == 2 and d["store"]["ok"], d
assert set(d["stages"]) == {"patterns", "scanners"}, d["stages"]
# Two cycles 100 ms apart are not two windows of a minute: detection says so, no failure.
assert d["detect"]["skipped"].startswith("not enough data yet"), d["detect"]
assert d["logs"]["sources"] and d["logs"]["lines"] >= 0, d["logs"]
' "$WORK/out" || fail "run --json"
expect_rc 0 "$AIOPS" run --count 1 --interval 100ms --data-dir "$D"
expect_grep "next stages" "$WORK/out"
expect_grep "Stored 1 cycles in $D/aiops.db" "$WORK/out"

sh -c 'sleep 30 & sleep 30 & wait' &
tree_root=$!
CLEANUP="$tree_root"
sleep 0.3
expect_rc 0 "$AIOPS" ps --tree --pid "$tree_root" --interval 0
[ "$(wc -l <"$WORK/out")" -eq 4 ] || fail "ps --tree --pid: expected a header and 3 processes"
sed -n 2p "$WORK/out" | grep -q "^ *$tree_root .*sh -c sleep 30" || fail "tree root first: $(cat "$WORK/out")"
expect_grep '├─ sleep 30$' "$WORK/out"
expect_grep '└─ sleep 30$' "$WORK/out"
pkill -P "$tree_root" 2>/dev/null || true
kill "$tree_root" 2>/dev/null || true
CLEANUP=""

expect_rc 0 "$AIOPS" collect processes --duration 1s --interval 500ms --csv --top 5
expect_grep '^PID,PPID,USER,STATE,SAMPLES,CPU% AVG,CPU% PEAK,RSS AVG,RSS PEAK,MEM% AVG,READ/S AVG,WRITE/S AVG,THREADS,COMMAND$' "$WORK/out"
[ "$(wc -l <"$WORK/out")" -eq 6 ] || fail "collect processes --top 5: expected 5 rows"
pass "run, ps --tree and collect processes"

# A data directory whose name is not UTF-8 still gives valid JSON (the byte becomes U+FFFD).
bad="$WORK/$(printf 'bad\377dir')"
expect_rc 0 "$AIOPS" collect --data-dir "$bad" --json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["store"]["path"].endswith("bad\ufffddir/aiops.db"), d["store"]["path"]
' "$WORK/out" || fail "collect --json with a non-UTF-8 path"
expect_rc 0 "$AIOPS" status --data-dir "$bad" --json
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$WORK/out" || fail "status --json"
pass "non-UTF-8 paths in JSON"
