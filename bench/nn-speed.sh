#!/bin/sh
# LOF and KNN fit+score on N x D data against scikit-learn (n_jobs=1, one BLAS thread) in the
# same run: N x D standard normal points (numpy RandomState(0)) of which 1% are replaced by
# points drawn with standard deviation 3, labelled outliers, so both sides' ROC-AUC can be
# compared. Our side is bench/nn-speed.c (built from the release preset):
#   cmake --preset release -B build/release && cmake --build build/release --target bench-nn-speed
#   bench/nn-speed.sh build/release/bench/bench-nn-speed [N] [D] [methods]
# Needs /usr/bin/python3 with scikit-learn. Prints one line per method and side.
set -eu
BIN=$1
N=${2:-100000}
D=${3:-16}
METHODS=${4:-knn,lof}
PY=${PYTHON:-/usr/bin/python3}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
exec "$PY" - "$BIN" "$N" "$D" "$METHODS" "$TMP" <<'PYEOF'
import subprocess, sys, time
import numpy as np
try:
    from threadpoolctl import threadpool_limits
    threadpool_limits(1)
except Exception:
    pass
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import LocalOutlierFactor, NearestNeighbors

binp, n, d, methods, tmp = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
rng = np.random.RandomState(0)
X = rng.standard_normal((n, d))
y = np.zeros(n, dtype=int)
out = rng.choice(n, n // 100, replace=False)
X[out] = 3.0 * rng.standard_normal((len(out), d))
y[out] = 1
path = tmp + "/x.bin"
X.astype(np.float64).tofile(path)

def ours(m):
    p = subprocess.run([binp, path, str(n), str(d), m], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, check=True)
    return float(p.stderr.decode().split()[-1]), np.array(p.stdout.split(), dtype=float)

def sk(m):
    t = time.perf_counter()
    if m == "lof":
        mod = LocalOutlierFactor(n_neighbors=20, n_jobs=1).fit(X)
        s, alg = -mod.negative_outlier_factor_, mod._fit_method
    else:
        nn = NearestNeighbors(n_neighbors=5, n_jobs=1).fit(X)
        s, alg = nn.kneighbors()[0][:, -1], nn._fit_method
    return time.perf_counter() - t, s, alg

for m in methods.split(","):
    t_o, s_o = ours(m)
    t_s, s_s, alg = sk(m)
    print("%s n=%d d=%d  ours %.3f s AUC %.4f | scikit-learn (%s) %.3f s AUC %.4f | "
          "speed-up %.1fx | max |score diff| %.3g" % (
              m, n, d, t_o, roc_auc_score(y, s_o), alg, t_s, roc_auc_score(y, s_s), t_s / t_o,
              np.max(np.abs(s_o - s_s))), flush=True)
PYEOF
