#!/bin/sh
# A real .journal file, made at test time by systemd-journal-remote from the export-format
# fixtures of tests/data/logs/it-journal and read through logs.journal_files: every entry with
# a MESSAGE is one line, with the severity of its PRIORITY; the counts agree with journalctl
# reading the same file; the cursor carries a second collect past what the first read (also
# after entries are appended to the file); logs.journal_units filters as `journalctl -u` does.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/lib-logs.sh
. "$(dirname "$0")/lib-logs.sh"

need_cmd journalctl python3
JR=""
for p in /lib/systemd/systemd-journal-remote /usr/lib/systemd/systemd-journal-remote; do
        [ -x "$p" ] && JR=$p && break
done
[ -n "$JR" ] || skip "systemd-journal-remote is not installed (package systemd-journal-remote)"
FIX="${AIOPS_TEST_DATA:-$(dirname "$0")/../data}/logs/it-journal"
[ -f "$FIX/first.export" ] || fail "no fixture $FIX/first.export"

J="$WORK/it.journal"
# journal_export FILE: appends an export-format file to the journal file (creating it).
journal_export() {
        "$JR" --output="$J" "$1" >"$WORK/jr.log" 2>&1 || { cat "$WORK/jr.log" >&2; fail "$JR $1"; }
}
echo "systemd-journal-remote: first.export -> $J"
journal_export "$FIX/first.export"

# expected [UNIT]: "LINES ERR CRIT WARNING NOTICE INFO UNKNOWN" of the entries with a MESSAGE,
# as journalctl reads the file (of one unit, with -u).
expected() {
        if [ $# -gt 0 ]; then
                journalctl --file="$J" -u "$1" -o json --no-pager >"$WORK/jctl.json"
        else
                journalctl --file="$J" -o json --no-pager >"$WORK/jctl.json"
        fi
        "$PYTHON" - "$WORK/jctl.json" <<'PY'
import json, sys
prio = {}
n = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    if "MESSAGE" not in e:
        continue
    n += 1
    p = e.get("PRIORITY", "unknown")
    prio[p] = prio.get(p, 0) + 1
print(n, *(prio.get(k, 0) for k in ("3", "2", "4", "5", "6", "unknown")))
PY
}

# config FILE [UNITS]: the journal file only, with a unit filter if given.
config() {
        cat >"$1" <<EOF
logs:
  discover: false
  journal: true
  journal_files: ["$J"]
  journal_units: [${2:-}]
  kmsg: false
  backfill: false
  learning_period: 0s
  count_interval: 1s
EOF
}
D="$WORK/data"
CFG="$WORK/aiops.yaml"
config "$CFG"
set +e
"$AIOPS" collect --count 1 --interval 100ms --data-dir "$D" --config "$CFG" >"$WORK/out" 2>"$WORK/err"
rc=$?
set -e
if [ $rc -eq 3 ] && grep -q "unknown key 'logs.journal_files'" "$WORK/err"; then
        skip "no logs.journal_files key yet"
fi
[ $rc -eq 0 ] || fail "collect exited $rc: $(cat "$WORK/err")"
echo "collect #1 read the journal file from its start"

# check_severities "LINES ERR CRIT WARNING NOTICE INFO UNKNOWN"
check_severities() {
        # shellcheck disable=SC2086
        set -- $1
        expect_eq "journal lines read" "$1" "$(source_field journal lines)"
        expect_eq "log_lines" "$1" "$(metric_sum log_lines 1 --label source=journal)"
        expect_eq "log_lines{err}" "$2" "$(metric_sum log_lines 1 --label severity=err)"
        expect_eq "log_lines{crit}" "$3" "$(metric_sum log_lines 1 --label severity=crit)"
        expect_eq "log_lines{warning}" "$4" "$(metric_sum log_lines 1 --label severity=warning)"
        expect_eq "log_lines{notice}" "$5" "$(metric_sum log_lines 1 --label severity=notice)"
        expect_eq "log_lines{info}" "$6" "$(metric_sum log_lines 1 --label severity=info)"
        expect_eq "log_lines{unknown}" "$7" "$(metric_sum log_lines 1 --label severity=unknown)"
}
jc=$(expected)
echo "journalctl counts (lines err crit warning notice info unknown): $jc"
check_severities "$jc"
expect_eq "source kind" journal "$(source_field journal kind)"
cursor1=$(source_field journal cursor)
case "$cursor1" in
s=*";i="*) ;;
*) fail "the journal source's cursor is not sd-journal's: '$cursor1'" ;;
esac
pass "every entry with a MESSAGE is one line, with its PRIORITY's severity"

# template_is MESSAGE COUNT SEVERITY
template_is() {
        t=$(template_for journal "$1")
        # shellcheck disable=SC2086
        set -- "$1" "$2" "$3" $t
        [ "$4 $5" = "$2 $3" ] ||
                fail "the template of '$1': count $4 severity $5, expected count $2 severity $3"
}
refused_msg='2015/06/01 04:00:12 [error] 812#812: *100 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.0, server: web1, request: "GET /api/items/0 HTTP/1.1", upstream: "http://127.0.0.1:8080/api/items/0", host: "web1"'
ssh_msg='Accepted publickey for deploy from 10.0.0.10 port 40000 ssh2: ED25519 SHA256:q9Xo0kd2+Yl0mZ7PbA'
template_is "$ssh_msg" 12 info
template_is "$refused_msg" 6 err
template_is 'myapp.service: Main process exited, code=exited, status=1/FAILURE' 3 notice
template_is "myapp.service: Failed with result 'exit-code'." 3 warning
template_is 'worker 5 crashed: cannot allocate 268435456 bytes' 3 crit
# The multi-line MESSAGE is one line, its lines joined.
template_is 'Traceback (most recent call last): File "/srv/myapp/main.py", line 12, in <module> MemoryError' 1 err
expect_eq "keyword 'refused'" 6 "$(metric_sum log_keyword_lines 1 --label keyword=refused)"
n_tpl=$(template_total journal)
expect_eq "templates' total count" "${jc%% *}" "$n_tpl"
pass "templates: counts and severities of each kind"

n_new1=$(new_patterns "$WORK/patterns.1")
aiops_do logs templates --source journal --top 0 --json
expect_eq "new patterns after the first run (learning_period 0s: every template)" \
        "$("$PYTHON" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$WORK/out")" \
        "$n_new1"

echo "collect #2 with nothing new"
collect_once
check_severities "$jc"
expect_eq "cursor after a run without new entries" "$cursor1" "$(source_field journal cursor)"
pass "a second run reads nothing again"

echo "systemd-journal-remote: second.export appended; collect #3"
journal_export "$FIX/second.export"
collect_once
jc=$(expected)
echo "journalctl counts now: $jc"
check_severities "$jc"
template_is "$ssh_msg" 14 info
template_is "$refused_msg" 10 err
expect_eq "upstream timeouts" 1 "$(metric_sum http_upstream_timeouts 1 --label source=journal)"
n_new3=$(new_patterns "$WORK/patterns.3")
expect_eq "new patterns after the append" $((n_new1 + 1)) "$n_new3"
"$PYTHON" - "$WORK/patterns.3" <<'PY' || fail "the one new pattern is not the 'upstream timed out' line"
import json, sys
ev = json.load(open(sys.argv[1]))
ids = [e["id"] for e in ev]
assert len(ids) == len(set(ids)), f"a template reported new twice: {ev}"
new = [e for e in ev if "upstream timed out" in e["sample"]]
assert len(new) == 1 and new[0]["severity"] == "err", ev
PY
pass "appended entries: read once from the cursor; only the new kind is a new pattern"

# journal_units: only the unit's entries, as journalctl -u picks them.
D="$WORK/data-unit"
CFG="$WORK/aiops-unit.yaml"
config "$CFG" myapp.service
collect_once
jc=$(expected myapp.service)
echo "journalctl -u myapp.service counts: $jc"
check_severities "$jc"
pass "journal_units: the unit's own entries and PID 1's about it"
