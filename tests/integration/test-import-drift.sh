#!/bin/sh
# `aiops import` and `aiops detect drift`: a week and an hour of three series at 30 s steps
# (tests/data/detect/drift/gen.awk, fixed seed) are imported in the CSV format of `aiops
# query --csv`; the export of the imported store must equal the input, a second import must
# skip every sample, bad rows must fail naming their line and store nothing. Then drift over
# the last hour against the week before: memory moving from 60 % to 80 % drifts (KS, PSI, JS),
# mysql RSS whose spread tripled drifts, the stationary load does not; exit 1 with drift,
# 0 without.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

D="--data-dir $WORK/data"
now=$(($(date +%s) * 1000))
awk -v now_ms="$now" -f "$AIOPS_TEST_DATA/detect/drift/gen.awk" >"$WORK/in.csv"

# shellcheck disable=SC2086 # $D is two words
expect_rc 0 "$AIOPS" import "$WORK/in.csv" $D
expect_grep '^Imported 60840 samples of 3 series into ' "$WORK/out"
# shellcheck disable=SC2086
expect_rc 0 "$AIOPS" query host_memory_used_percent --since 8d --csv $D
awk -F, 'NR > 1 { print $2 "," $5 }' "$WORK/out" >"$WORK/mem.out"
awk -F, '$3 == "host_memory_used_percent" { print $2 "," ($5 + 0) }' "$WORK/in.csv" >"$WORK/mem.in"
cmp -s "$WORK/mem.in" "$WORK/mem.out" || fail "the export differs from what was imported"
# shellcheck disable=SC2086
expect_rc 0 "$AIOPS" import - $D <"$WORK/in.csv"
expect_grep '^Imported 0 samples of 3 series .*; 60840 skipped' "$WORK/out"
pass "import, export round trip, re-import skips"

printf 'metric,labels,timestamp_ms,value\nm1,,1000,1\nm1,{a="1"},2000,x\n' >"$WORK/bad.csv"
# shellcheck disable=SC2086
expect_rc 3 "$AIOPS" import "$WORK/bad.csv" $D
expect_grep "bad.csv:3: invalid value 'x'" "$WORK/err"
printf 'metric,labels,timestamp_ms,value\nm1,{a=1},1000,1\n' >"$WORK/bad.csv"
# shellcheck disable=SC2086
expect_rc 3 "$AIOPS" import "$WORK/bad.csv" $D
expect_grep 'bad.csv:2: invalid labels' "$WORK/err"
printf 'name,value\nm1,1\n' >"$WORK/bad.csv"
# shellcheck disable=SC2086
expect_rc 3 "$AIOPS" import "$WORK/bad.csv" $D
expect_grep 'the header needs the columns metric, value and timestamp_ms or time' "$WORK/err"
# shellcheck disable=SC2086
expect_rc 3 "$AIOPS" query m1 $D
pass "bad rows are refused with their line, nothing stored"

# shellcheck disable=SC2086
expect_rc 1 "$AIOPS" detect drift --all --json $D
python3 - "$WORK/out" <<'PY' || fail "drift JSON"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["tested"] == 3 and d["skipped"] == 0, d
by = {s["series"]: s for s in d["series"]}
mem = by["host_memory_used_percent"]
assert mem["drift"] and mem["ks_drift"] and mem["psi_drift"] and mem["js_drift"], mem
assert mem["ks_statistic"] > 0.99 and mem["ks_pvalue"] < 1e-10, mem
assert abs(mem["reference_median"] - 60) < 0.5 and abs(mem["current_median"] - 80) < 1, mem
assert 115 <= mem["current_samples"] <= 120 and mem["reference_samples"] == 20160, mem
rss = by['service_resident_memory_bytes{service="mysql"}']
assert rss["drift"] and rss["psi_drift"], rss
load = by["host_load1"]
assert not load["drift"] and load["ks_pvalue"] > 0.05 and load["psi"] < 0.2, load
# drifting first
assert not d["series"][-1]["drift"] and d["series"][-1]["series"] == "host_load1", d
PY
pass "drift: the moved series drift, the stationary one does not"

# shellcheck disable=SC2086
expect_rc 0 "$AIOPS" detect drift --metric host_load1 $D
expect_grep '1 series tested, 0 drifting, 0 skipped' "$WORK/out"
# shellcheck disable=SC2086
expect_rc 1 "$AIOPS" detect drift --metric service_resident_memory_bytes --label service=mysql $D
expect_grep '^service_resident_memory_bytes\{service="mysql"\} ' "$WORK/out"
# Other windows: six hours against the day before.
# shellcheck disable=SC2086
expect_rc 0 "$AIOPS" detect drift --metric host_load1 --reference 1d --current 6h $D
# shellcheck disable=SC2086
expect_rc 3 "$AIOPS" detect drift --metric no_such_metric $D
expect_grep "no series of 'no_such_metric'" "$WORK/err"
# shellcheck disable=SC2086
expect_rc 3 "$AIOPS" detect drift --current fast $D
expect_grep "invalid duration 'fast' for [-]-current" "$WORK/err"
pass "drift: one metric, labels, windows, errors"
