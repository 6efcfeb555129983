# Shared by the log integration tests, sourced after lib.sh: reading back what aiops stored
# about logs through its CLI. The caller sets $D (the data directory) and $CFG (the
# configuration file). Results go to stdout; a helper that cannot find what it is asked for
# fails the test.
# shellcheck shell=sh

# The interpreter itself, not a wrapper such as a pyenv shim (which costs 0.4 s a call).
PYTHON=$(python3 -c 'import sys; print(sys.executable)') || skip "python3 is not installed"


# aiops_do ARGS...: runs aiops with the test's data directory and configuration and fails
# unless it exits 0; output in $WORK/out and $WORK/err.
aiops_do() {
        expect_rc 0 "$AIOPS" "$@" --data-dir "$D" --config "$CFG"
}

# collect_once: one collect cycle, which reads every log line there is now.
collect_once() {
        aiops_do collect --count 1 --interval 100ms
}

# source_field NAME FIELD: a field of `aiops logs sources --json` for the source NAME
# (lines, bytes, cursor, status, kind, target...); fails when the source is not listed.
source_field() {
        aiops_do logs sources --json
        "$PYTHON" - "$WORK/out" "$1" "$2" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
mine = [r for r in rows if r["source"] == sys.argv[2]]
if not mine:
    sys.exit(f"FAIL: no source {sys.argv[2]!r} in 'aiops logs sources': {rows}")
v = mine[0][sys.argv[3]]
print("" if v is None else v)
PY
}

# metric_sum METRIC MULT [QUERY ARGS...]: the sum of every sample of every series of METRIC
# matching the query arguments (--label K=V ...), times MULT (the bucket width in seconds for
# a _per_second rate, 1 for a count), from 2 hours ago to 1 hour ahead: lines read after
# their bucket was stored (two collects within one bucket) count in the next bucket, which
# can start after now. 0 when there is no such series.
metric_sum() {
        _metric=$1
        _mult=$2
        shift 2
        set +e
        "$AIOPS" query "$_metric" "$@" --since 2h --until $(($(date +%s) + 3600)) --json \
                --data-dir "$D" --config "$CFG" >"$WORK/out" 2>"$WORK/err"
        _rc=$?
        set -e
        if [ $_rc -ne 0 ]; then
                grep -q "no series" "$WORK/err" || fail "aiops query $_metric $*: $(cat "$WORK/err")"
                echo 0
                return 0
        fi
        "$PYTHON" - "$WORK/out" "$_mult" <<'PY'
import json, sys
total = sum(v for s in json.load(open(sys.argv[1])) for _, v in s["samples"] if v is not None)
total *= float(sys.argv[2])
print(int(round(total)) if abs(total - round(total)) < 1e-6 else total)
PY
}

# template_for SOURCE MESSAGE: "COUNT SEVERITY ID" of the stored template of SOURCE that
# covers MESSAGE (as mined: the message part of the line), the most specific one when
# several do. A template token with "<*>" matches any message token of that shape.
template_for() {
        aiops_do logs templates --source "$1" --top 0 --json
        "$PYTHON" - "$WORK/out" "$2" <<'PY'
import json, re, sys
rows = json.load(open(sys.argv[1]))
msg = sys.argv[2].split()
def covers(t, m):
    return re.fullmatch(".*".join(re.escape(p) for p in t.split("<*>")), m, re.S) is not None
best = None
for r in rows:
    toks = r["template"].split()
    if len(toks) == len(msg) and all(covers(t, m) for t, m in zip(toks, msg)):
        k = r["template"].count("<*>")
        if best is None or k < best[0]:
            best = (k, r)
if best is None:
    sys.exit("FAIL: no template covers %r; the templates are:\n%s"
             % (sys.argv[2], "\n".join("  %s  (%s)" % (r["template"], r["count"]) for r in rows)))
r = best[1]
print(r["count"], r["severity"], r["id"])
PY
}

# template_total SOURCE: the sum of the counts of every template of SOURCE.
template_total() {
        aiops_do logs templates --source "$1" --top 0 --json
        "$PYTHON" -c 'import json, sys; print(sum(r["count"] for r in json.load(open(sys.argv[1]))))' \
                "$WORK/out"
}

# new_patterns FILE: saves `aiops logs patterns --new --json` to FILE and prints how many
# new-template events it lists.
new_patterns() {
        aiops_do logs patterns --new --json
        cp "$WORK/out" "$1"
        "$PYTHON" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$1"
}

# expect_eq WHAT WANT GOT
expect_eq() {
        [ "$2" = "$3" ] || fail "$1: expected $2, got $3"
}

# source_lines_now NAME: the lines read from source NAME so far, -1 while it is not listed;
# never fails (for polling a running monitor).
source_lines_now() {
        "$AIOPS" logs sources --json --data-dir "$D" --config "$CFG" >"$WORK/poll" 2>&1 || {
                echo -1
                return 0
        }
        "$PYTHON" -c '
import json, sys
try:
    rows = json.load(open(sys.argv[1]))
except ValueError:
    rows = []
print(next((r["lines"] for r in rows if r["source"] == sys.argv[2]), -1))
' "$WORK/poll" "$1"
}

# wait_lines NAME N SECONDS: waits until source NAME has read N lines; fails on timeout or
# when it read more.
wait_lines() {
        _deadline=$(($(date +%s) + $3))
        while :; do
                _n=$(source_lines_now "$1")
                [ "$_n" -eq "$2" ] && return 0
                [ "$_n" -lt "$2" ] || fail "source $1 read $_n lines, more than the $2 written"
                [ "$(date +%s)" -lt $_deadline ] ||
                        fail "source $1 read $_n lines after $3 s, expected $2"
                sleep 0.2
        done
}
