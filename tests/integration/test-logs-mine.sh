#!/bin/sh
# `aiops logs mine`: the JSONL contract of the Loghub harness (one object per input line, in
# order), the clusters table, stdin, and the errors for a bad regex and an unreadable file.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

F="$AIOPS_TEST_DATA/logs/drain/mine.log"
: >"$WORK/empty.yaml" # no system configuration: the built-in defaults
MINE="$AIOPS --config $WORK/empty.yaml logs mine"

expect_rc 0 "$AIOPS" logs mine --help
expect_grep '^Usage: aiops logs mine' "$WORK/out"
expect_rc 0 "$AIOPS" logs --help
expect_grep '^  mine ' "$WORK/out"
pass "help"

# shellcheck disable=SC2086 # $MINE is a command line
expect_rc 0 $MINE --format jsonl "$F"
cp "$WORK/out" "$WORK/jsonl"
lines=$(awk 'END { print NR }' "$F")
[ "$(wc -l <"$WORK/jsonl")" -eq "$lines" ] || fail "expected $lines JSONL lines"
python3 - "$WORK/jsonl" <<'PY' || fail "JSONL templates"
import json, sys
got = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
want = [
    (1, "Receive from node <*>", ["4"]),
    (1, "Receive from node <*>", ["5"]),
    (2, "Send file file_<*>", ["01"]),
    (2, "Send file file_<*>", ["02"]),
    (3, "connection from <*> closed", ["10.0.0.1:22"]),
    (3, "connection from <*> closed", ["10.0.0.2:22"]),
    (4, 'say "hi" there \ufffd', []),
    (5, "", []),
    (6, "GET <*> HTTP/<*> <*>", ["/v2/x", "1.1", "200"]),
    (6, "GET <*> HTTP/<*> <*>", ["/v2/yy", "1.1", "404"]),
]
assert len(got) == len(want), len(got)
for g, (cid, tpl, params) in zip(got, want):
    assert (g["cluster_id"], g["template"], g["params"]) == (cid, tpl, params), g
PY
pass "jsonl: one object per line, templates and params"

# The same from standard input, with '-' and with no FILE.
# shellcheck disable=SC2086
$MINE --format jsonl - <"$F" >"$WORK/stdin1" || fail "stdin '-'"
# shellcheck disable=SC2086
$MINE --format jsonl <"$F" >"$WORK/stdin2" || fail "stdin"
cmp -s "$WORK/jsonl" "$WORK/stdin1" || fail "stdin '-' gives other output"
cmp -s "$WORK/jsonl" "$WORK/stdin2" || fail "stdin gives other output"
# Two files are one stream: ids go on.
# shellcheck disable=SC2086
expect_rc 0 $MINE --format jsonl "$F" "$F"
[ "$(wc -l <"$WORK/out")" -eq $((2 * lines)) ] || fail "two files"
pass "stdin and several files"

# The table: clusters by count.
# shellcheck disable=SC2086
expect_rc 0 $MINE "$F"
expect_grep '^CLUSTER ID +COUNT +TEMPLATE$' "$WORK/out"
expect_grep '^ +1 +2 +Receive from node <\*>$' "$WORK/out"
# shellcheck disable=SC2086
expect_rc 0 $MINE --json "$F"
python3 -c '
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 6, rows
assert rows[0] == {"cluster_id": 1, "count": 2, "template": "Receive from node <*>"}, rows[0]
assert [r["count"] for r in rows] == sorted((r["count"] for r in rows), reverse=True)
' "$WORK/out" || fail "--json table"
pass "clusters table"

# Options: masks and settings override the configuration.
# shellcheck disable=SC2086
expect_rc 0 $MINE --format jsonl --no-builtin-masks --mask 'node \d' --sim 0.9 "$F"
expect_grep '"template":"Receive from <\*>","params":\["node 4"\]' "$WORK/out"
expect_grep '"template":"connection from 10.0.0.1:22 closed"' "$WORK/out"
printf 'node \\d\n\nfile_\\d+\n' >"$WORK/masks"
# shellcheck disable=SC2086
expect_rc 0 $MINE --format jsonl --masks-file "$WORK/masks" "$F"
expect_grep '"template":"Send file <\*>","params":\["file_01"\]' "$WORK/out"
printf 'logs:\n  drain:\n    builtin_masks: false\n    masks: ["\\\\d+"]\n' >"$WORK/conf.yaml"
expect_rc 0 "$AIOPS" --config "$WORK/conf.yaml" logs mine --format jsonl "$F"
expect_grep '"template":"connection from <\*>.<\*>.<\*>.<\*>:<\*> closed"' "$WORK/out"
pass "options and configuration"

# Errors: exit 3 and say what is wrong.
# shellcheck disable=SC2086
expect_rc 3 $MINE --mask 'a(b' "$F"
expect_grep "invalid mask regex 'a\(b': .* at offset 3" "$WORK/err"
# shellcheck disable=SC2086
expect_rc 3 $MINE "$WORK/nonexistent.log"
expect_grep "^aiops: cannot read '$WORK/nonexistent.log': No such file or directory" "$WORK/err"
# shellcheck disable=SC2086
expect_rc 3 $MINE "$WORK"
expect_grep "cannot read '$WORK'" "$WORK/err"
# shellcheck disable=SC2086
expect_rc 3 $MINE --format xml "$F"
expect_grep "invalid --format 'xml'" "$WORK/err"
# shellcheck disable=SC2086
expect_rc 3 $MINE --depth 2 "$F"
# shellcheck disable=SC2086
expect_rc 3 $MINE --sim 1.5 "$F"
# shellcheck disable=SC2086
expect_rc 3 $MINE --masks-file "$WORK/nonexistent" "$F"
expect_grep "cannot read '$WORK/nonexistent'" "$WORK/err"
pass "errors exit 3"
