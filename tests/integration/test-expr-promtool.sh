#!/bin/sh
# The canonical PromQL that expr_to_promql() writes (what the Prometheus rule generator will
# put in rule files) is accepted by Prometheus' own parser: `promtool check rules` on a rules
# file holding every canonical text of the unit test's round-trip table
# (tests/unit/scanners/test-expr.c writes them when AIOPS_EXPR_PROMQL_OUT is set).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null 2>&1 || skip "promtool not installed (Debian package prometheus)"
unit="$(dirname "$AIOPS")/tests/unit-scanners-test-expr"
[ -x "$unit" ] || skip "'$unit' not built"

AIOPS_EXPR_PROMQL_OUT="$WORK/exprs.txt" expect_rc 0 "$unit"
[ -s "$WORK/exprs.txt" ] || fail "the unit test wrote no expressions"

# One alerting rule per expression; YAML single quotes take the text as is ('' for ').
rules() {
        printf 'groups:\n  - name: aiops-expr-test\n    rules:\n'
        i=0
        while IFS= read -r e; do
                i=$((i + 1))
                q=$(printf '%s' "$e" | sed "s/'/''/g")
                printf "      - alert: Expr%d\n        expr: '%s'\n" "$i" "$q"
        done <"$1"
}
rules "$WORK/exprs.txt" >"$WORK/rules.yml"
n=$(wc -l <"$WORK/exprs.txt")

expect_rc 0 promtool check rules "$WORK/rules.yml"
expect_grep "SUCCESS: $n rules found" "$WORK/out"
pass "promtool accepts the $n canonical expressions"

# The check can fail: a PromQL error in the same file shape is reported.
printf '%s\n' 'avg_over_time(m[5m) > 1' >"$WORK/bad.txt"
rules "$WORK/bad.txt" >"$WORK/bad.yml"
expect_rc 1 promtool check rules "$WORK/bad.yml"
expect_grep "parse error" "$WORK/err"
pass "promtool rejects a broken expression"
