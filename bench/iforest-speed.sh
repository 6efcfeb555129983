#!/bin/sh
# Isolation Forest speed: aiops against scikit-learn's IsolationForest (n_jobs=1), fit+score of
# N x 16 standard normal points (100,000 and 1,000,000), 100 trees of 256 samples, both
# measured in the same run on the same data (numpy RandomState(0), written to a CSV for
# aiops). aiops's fit+score is the figure `aiops detect outliers -v` prints (the CSV parsing
# is timed apart, and the whole command too); scikit-learn's is outlier_eval.py
# --bench-iforest. The issue's target: fit+score >= 5x faster. Writes
# bench/results/iforest-speed.md (or OUT.md).
#
# Usage: bench/iforest-speed.sh [AIOPS [OUT.md [SIZES]]]
#   SIZES  space-separated row counts (default "100000 1000000")
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
AIOPS=${1:-$ROOT/build/release/aiops}
OUT=${2:-$ROOT/bench/results/iforest-speed.md}
SIZES=${3:-100000 1000000}
SHARED=${AIOPS_SHARED:-$ROOT/../shared}
PY=${PYTHON:-/usr/bin/python3}
D=16

if [ ! -x "$AIOPS" ]; then
        echo "no binary at '$AIOPS' (cmake --preset release && cmake --build --preset release)" >&2
        exit 2
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/iforest-speed-XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM

rows=""
for n in $SIZES; do
        echo "== $n x $D" >&2
        "$PY" -c "import numpy as np, sys
X = np.random.RandomState(0).standard_normal(($n, $D))
np.savetxt(sys.argv[1], X, delimiter=',', fmt='%.17g')" "$TMP/x.csv"
        sk=$("$PY" "$SHARED/eval/outlier_eval.py" --bench-iforest "$n" "$D" --seed 0 --threads 1)
        sk_s=$(echo "$sk" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["fit_plus_score_s"])')
        /usr/bin/time -f '%e %M' -o "$TMP/time" "$AIOPS" detect outliers -v --method iforest \
                --seed 0 --input "$TMP/x.csv" >"$TMP/scores" 2>"$TMP/err"
        line=$(grep 'fit+score' "$TMP/err")
        read_s=$(echo "$line" | sed 's/.* in \([0-9.]*\) s,.*/\1/')
        ours_s=$(echo "$line" | sed 's/.*fit+score \([0-9.]*\) s/\1/')
        read -r wall_s rss_kb <"$TMP/time"
        ratio=$("$PY" -c "print('%.1f' % ($sk_s / $ours_s))")
        rows="$rows
| $n x $D | $sk_s | $ours_s | **${ratio}x** | $read_s | $wall_s | $((rss_kb / 1024)) |"
        rm -f "$TMP/x.csv"
done

{
        echo "# Isolation Forest speed: aiops against scikit-learn"
        echo
        echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
        echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')," \
                "$(nproc) CPUs, $(uname -sr)"
        echo "- aiops: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
                "(plus uncommitted changes if any), release build, one thread"
        echo "- command: \`bench/iforest-speed.sh\`; peer: \`outlier_eval.py --bench-iforest N 16" \
                "--threads 1\` (IsolationForest(n_estimators=100, max_samples=256," \
                "random_state=0, n_jobs=1), fit + score_samples), same data, same run"
        echo "- $("$PY" -c 'import sklearn, numpy; print("scikit-learn", sklearn.__version__, "numpy", numpy.__version__)')"
        echo
        echo "| data | scikit-learn fit+score s | aiops fit+score s | ratio | aiops CSV read s | aiops whole command s | aiops peak RSS MiB |"
        echo "|---|---:|---:|---:|---:|---:|---:|$rows"
        echo
        echo "ROC-AUC equality on labelled data: see bench/results/outlier-accuracy.md (iforest"
        echo "section: aiops against scikit-learn, seeds 0..4, every ODDS dataset)."
} >"$OUT"
cat "$OUT"
