#!/bin/sh
# Accuracy of `aiops logs mine` on the 12 shared Loghub-2k datasets: GA, PA, FGA and FTA as
# scored by shared/eval/loghub_eval.py, each dataset mined with its settings in
# bench/loghub/<Dataset>.yaml (started from the Drain benchmark settings). Drain3's figures to
# compare with are in shared/data/loghub-2k/README.md; results in results/loghub-accuracy.md.
#
# Usage: bench/loghub-accuracy.sh [AIOPS [OUT.md]]
#   AIOPS   the binary to score (default: build/release/aiops)
#   OUT.md  also write the harness's table there
# Needs python3 with pandas (Debian python3-pandas) and the shared directory beside the
# repository (or AIOPS_SHARED=/path/to/shared).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
AIOPS=${1:-$ROOT/build/release/aiops}
OUT=${2:-}
SHARED=${AIOPS_SHARED:-$ROOT/../shared}
DATASETS=HDFS,Hadoop,Spark,Zookeeper,BGL,HPC,Linux,Android,HealthApp,Apache,OpenSSH,OpenStack

PY=${PYTHON:-python3}
if ! "$PY" -c 'import pandas' 2>/dev/null; then
        PY=/usr/bin/python3 # Debian's, where python3-pandas installs
fi
if [ ! -x "$AIOPS" ]; then
        echo "no binary at '$AIOPS' (cmake --preset release && cmake --build --preset release)" >&2
        exit 2
fi
if [ ! -f "$SHARED/eval/loghub_eval.py" ]; then
        echo "no '$SHARED/eval/loghub_eval.py': set AIOPS_SHARED" >&2
        exit 2
fi

# The harness shell-quotes {dataset} and {input}; the paths here are quoted by hand.
set -- "$SHARED/eval/loghub_eval.py" cmd --feed content --datasets "$DATASETS" --repeat 1 \
        --cmd "'$AIOPS' --config '$ROOT/bench/loghub/'{dataset}.yaml logs mine --format jsonl {input}"
if [ -n "$OUT" ]; then
        set -- "$@" --md "$OUT"
fi
exec "$PY" "$@"
