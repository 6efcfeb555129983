#!/bin/sh
# `aiops detect outliers`: a small hand-made CSV (27 points around cpu 0.5, mem 20 %, io 3 and
# three far points, data rows 7, 19 and 28) must put those three on top and --labels must mark
# exactly them; the JSON form, stdin, determinism per seed, and the CSV errors (exit 3 with
# the file, line and column in the message).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

F="$AIOPS_TEST_DATA/detect/outliers/points.csv"
OUT="$AIOPS detect outliers"

expect_rc 0 "$AIOPS" detect outliers --help
expect_grep '^Usage: aiops detect outliers' "$WORK/out"
pass "help"

# shellcheck disable=SC2086 # $OUT is a command line
expect_rc 0 $OUT --method iforest --seed 3 --input "$F"
cp "$WORK/out" "$WORK/scores"
[ "$(wc -l <"$WORK/scores")" -eq 30 ] || fail "expected 30 scores"
top=$(awk '{ print NR, $1 }' "$WORK/scores" | sort -k2,2 -gr | head -3 | cut -d' ' -f1 |
        sort -n | tr '\n' ' ')
[ "$top" = "7 19 28 " ] || fail "the three highest scores are rows '$top', expected 7 19 28"
pass "the outliers score highest"

# shellcheck disable=SC2086
expect_rc 0 $OUT --method iforest --seed 3 --input "$F"
cmp -s "$WORK/out" "$WORK/scores" || fail "same seed, different scores"
# shellcheck disable=SC2086
expect_rc 0 $OUT --method iforest --seed 3 --input - <"$F"
cmp -s "$WORK/out" "$WORK/scores" || fail "stdin gives other scores than the file"
pass "deterministic per seed, stdin"

# shellcheck disable=SC2086
expect_rc 0 $OUT --seed 3 --contamination 0.1 --labels --input "$F"
marked=$(awk '$1 == 1 { print NR }' "$WORK/out" | tr '\n' ' ')
[ "$marked" = "7 19 28 " ] || fail "--labels marked rows '$marked', expected 7 19 28"
[ "$(grep -c '^0$' "$WORK/out")" -eq 27 ] || fail "expected 27 zero labels"
pass "--labels"

# shellcheck disable=SC2086
expect_rc 0 $OUT --seed 3 --json --input "$F"
python3 - "$WORK/out" <<'PY' || fail "JSON output"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["method"] == "iforest", d["method"]
assert len(d["scores"]) == 30 and len(d["labels"]) == 30
assert [i + 1 for i, v in enumerate(d["labels"]) if v] == [7, 19, 28], d["labels"]
PY
pass "--json"

# The errors: exit 3, the message names the file, the line and the column.
printf 'a,b,c\n1,2,3\n4,5,6\n7,8\n' >"$WORK/ragged.csv"
# shellcheck disable=SC2086
expect_rc 3 $OUT --input "$WORK/ragged.csv"
expect_grep 'ragged\.csv:4: 2 columns, the header has 3' "$WORK/err"
printf 'a,b\n1,2\n3,abc\n' >"$WORK/nan.csv"
# shellcheck disable=SC2086
expect_rc 3 $OUT --input "$WORK/nan.csv"
expect_grep "nan\\.csv:3: column 2: 'abc' is not a number" "$WORK/err"
: >"$WORK/empty.csv"
# shellcheck disable=SC2086
expect_rc 3 $OUT --input "$WORK/empty.csv"
expect_grep 'empty\.csv: no data rows' "$WORK/err"
printf 'a,b\n1,2\n,3\n5,6\n' >"$WORK/gap.csv"
# shellcheck disable=SC2086
expect_rc 3 $OUT --input "$WORK/gap.csv"
expect_grep 'gap\.csv:3: column 1: an empty value' "$WORK/err"
# shellcheck disable=SC2086
expect_rc 0 $OUT --impute median --input "$WORK/gap.csv"
[ "$(wc -l <"$WORK/out")" -eq 3 ] || fail "--impute: expected 3 scores"
# shellcheck disable=SC2086
expect_rc 3 $OUT --input "$WORK/missing.csv"
expect_grep "cannot open '.*missing\\.csv'" "$WORK/err"
# shellcheck disable=SC2086
expect_rc 3 $OUT --method nosuch --input "$F"
expect_grep "unknown method 'nosuch'" "$WORK/err"
# shellcheck disable=SC2086
expect_rc 3 $OUT --contamination 0.9 --input "$F"
pass "errors"
