#!/bin/sh
# `aiops logs ingest`: a file read once and resumed from its cursor, standard input, and a
# command's output, each through the whole pipeline into the store; errors name what failed.
set -eu
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/lib-logs.sh
. "$(dirname "$0")/lib-logs.sh"

# json_field KEY: a field of the JSON object in $WORK/out (the last command's output).
json_field() {
        "$PYTHON" -c 'import json, sys
v = json.load(open(sys.argv[1]))[sys.argv[2]]
print("" if v is None else v)' "$WORK/out" "$1"
}

D=$WORK/data
CFG=$WORK/aiops.yaml
printf 'logs:\n  learning_period: 0s\n' >"$CFG"

echo "a file: read from its start, then only what was appended"
# stamped now, so that the counts fall inside what metric_sum queries
now=$(date '+%b %e %H:%M:%S')
i=0
while [ $i -lt 50 ]; do
        echo "$now web1 app[42]: request $i failed: timeout after ${i}ms"
        i=$((i + 1))
done >"$WORK/app.log"
aiops_do logs ingest --name app "$WORK/app.log" --json
expect_eq "first ingest: lines" 50 "$(json_field lines)"
echo "$now web1 app[42]: disk /dev/sda1 is full" >>"$WORK/app.log"
aiops_do logs ingest --name app "$WORK/app.log" --json
expect_eq "second ingest: only the appended line" 1 "$(json_field lines)"
expect_eq "stored lines" 51 "$(source_field app lines)"
expect_eq "format detected and kept" syslog "$(source_field app format)"
tc=$(template_for app "request 7 failed: timeout after 7ms")
expect_eq "template count" 50 "${tc%% *}"
expect_eq "keyword timeout" 50 "$(metric_sum log_keyword_lines 1 --label source=app --label keyword=timeout)"
pass "a file is read once, then only what was appended"

echo "standard input"
printf "$(date '+%Y-%m-%d %H:%M:%S') 5 [ERROR] mariadbd: The table %s is full\n" a b c |
        expect_rc 0 "$AIOPS" --data-dir "$D" --config "$CFG" logs ingest --name db - --json
expect_eq "stdin: lines" 3 "$(json_field lines)"
expect_eq "stdin: err lines" 3 "$(metric_sum log_lines 1 --label source=db --label severity=err)"
pass "standard input"

echo "a command, exit status 3: lines kept, the failure reported (exit 1)"
# shellcheck disable=SC2016 # the command's own $i, expanded by its shell
expect_rc 1 "$AIOPS" --data-dir "$D" --config "$CFG" logs ingest --name cmd \
        --command 'for i in 1 2 3 4; do echo "job $i done"; done; exit 3'
expect_grep "cmd: 4 lines read" "$WORK/out"
expect_grep "exited with status 3" "$WORK/err"
pass "a failing command: its lines are kept, the failure reported"

echo "errors"
expect_rc 3 "$AIOPS" --data-dir "$D" --config "$CFG" logs ingest "$WORK/missing.log"
expect_grep "cannot read '$WORK/missing.log': No such file or directory" "$WORK/err"
expect_rc 3 "$AIOPS" --data-dir "$D" --config "$CFG" logs ingest --format bogus "$WORK/app.log"
expect_grep "unknown --format 'bogus'" "$WORK/err"
expect_rc 3 "$AIOPS" --data-dir "$D" --config "$CFG" logs ingest --command true
expect_grep "needs --name" "$WORK/err"
pass "errors name what failed"
