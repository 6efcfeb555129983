#!/bin/sh
# Throughput and peak memory of `aiops logs mine` on 1,000,000 lines: the Loghub-2k HDFS and
# BGL messages repeated (shared/eval/loghub_eval.py make-big), mined single-threaded with
# Drain3's throughput settings (depth 4, similarity 0.5) and the built-in maskers, then with
# the benchmark's HDFS and BGL regexes added (the masks of Drain3's published figure). Each
# run: JSONL for every line to /dev/null, and the default clusters table. Best wall time of
# RUNS runs; peak RSS from /usr/bin/time -v. Results in results/drain-throughput.md.
#
# Usage: bench/drain-throughput.sh [AIOPS [SCRATCH [RUNS]]]
#   AIOPS    the binary (default: build/release/aiops)
#   SCRATCH  a directory for big.log, 74 MB (default: $TMPDIR or /tmp)
#   RUNS     runs per case (default 5)
# Needs python3 and the shared directory beside the repository (or AIOPS_SHARED).
set -eu

PY=${PYTHON:-python3}
if ! "$PY" -c 'import pandas' 2>/dev/null; then
        PY=/usr/bin/python3 # Debian's, where python3-pandas installs
fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
AIOPS=${1:-$ROOT/build/release/aiops}
SCRATCH=${2:-${TMPDIR:-/tmp}}
RUNS=${3:-5}
SHARED=${AIOPS_SHARED:-$ROOT/../shared}
BIG=$SCRATCH/big.log
LINES=1000000

if [ ! -x "$AIOPS" ]; then
        echo "no binary at '$AIOPS' (cmake --preset release && cmake --build --preset release)" >&2
        exit 2
fi
if [ ! -s "$BIG" ] || [ "$(wc -l <"$BIG")" -ne "$LINES" ]; then
        "$PY" "$SHARED/eval/loghub_eval.py" make-big --datasets HDFS,BGL --lines "$LINES" \
                --feed content --out "$BIG" >&2
fi

CONF=$(mktemp "${TMPDIR:-/tmp}/drain-throughput-XXXXXX")
MASKS=$CONF.masks
TIMES=$CONF.time
trap 'rm -f "$CONF" "$MASKS" "$TIMES"' EXIT INT TERM
: >"$CONF" # the built-in defaults, whatever /etc/aiops/aiops.yaml says
# The benchmark's HDFS and BGL regexes (shared/data/loghub-2k/README.md).
printf '%s\n' 'blk_-?\d+' '(\d+\.){3}\d+(:\d+)?' 'core\.\d+' >"$MASKS"

# run NAME ARGS...: best wall seconds and the largest peak RSS over RUNS runs.
run() {
        name=$1
        shift
        best=
        rss=0
        i=0
        while [ "$i" -lt "$RUNS" ]; do
                /usr/bin/time -v -o "$TIMES" "$AIOPS" --config "$CONF" logs mine --depth 4 --sim 0.5 "$@" "$BIG" \
                        >/dev/null
                # "Elapsed (wall clock) time (h:mm:ss or m:ss): 0:00.95"
                wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {
                        n = split($2, t, ":"); s = 0
                        for (k = 1; k <= n; k++) s = s * 60 + t[k]
                        print s }' "$TIMES")
                kib=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$TIMES")
                best=$(awk -v a="$wall" -v b="$best" 'BEGIN { print (b == "" || a < b) ? a : b }')
                rss=$(awk -v a="$kib" -v b="$rss" 'BEGIN { print (a > b) ? a : b }')
                i=$((i + 1))
        done
        awk -v n="$name" -v s="$best" -v r="$rss" -v l="$LINES" 'BEGIN {
                printf "| %s | %.2f | %.0f | %.1f |\n", n, s, l / s, r / 1024 }'
}

echo "| case | best wall s | lines/s | peak RSS MiB |"
echo "|---|---:|---:|---:|"
run "built-in masks, --format jsonl" --format jsonl
run "built-in masks, text table" --format text
run "built-in + HDFS/BGL regexes, --format jsonl" --format jsonl --masks-file "$MASKS"
run "built-in + HDFS/BGL regexes, text table" --format text --masks-file "$MASKS"
