#!/bin/sh
# LOF and KNN fit+score on N x D data against scikit-learn in the same run: N x D standard
# normal points (numpy RandomState(0)) of which 1% are replaced by points drawn with standard
# deviation 3, labelled outliers, so both sides' ROC-AUC can be compared. Our side is
# bench/nn-speed.c (built from the release preset), run with 1 thread and with the online
# CPUs; scikit-learn runs with n_jobs=1 and, through OMP_NUM_THREADS / threadpoolctl, one
# OpenMP and one BLAS thread (its brute-force kneighbors is OpenMP-parallel whatever n_jobs
# says). The speed-ups are scikit-learn's time over ours, 1 thread against 1 thread, and
# ours with all CPUs against the same scikit-learn time.
#   cmake --preset release -B build/release && cmake --build build/release --target bench-nn-speed
#   bench/nn-speed.sh build/release/bench/bench-nn-speed [N] [D] [methods]
# Needs /usr/bin/python3 with scikit-learn. Prints one line per method.
set -eu
BIN=$1
N=${2:-100000}
D=${3:-16}
METHODS=${4:-knn,lof}
PY=${PYTHON:-/usr/bin/python3}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
"$PY" - "$BIN" "$N" "$D" "$METHODS" "$TMP" <<'PYEOF'
import os, subprocess, sys, time
import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import LocalOutlierFactor, NearestNeighbors
from threadpoolctl import threadpool_limits, threadpool_info
threadpool_limits(1)  # after the imports, so that it reaches the libraries they loaded

binp, n, d, methods, tmp = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
rng = np.random.RandomState(0)
X = rng.standard_normal((n, d))
y = np.zeros(n, dtype=int)
out = rng.choice(n, n // 100, replace=False)
X[out] = 3.0 * rng.standard_normal((len(out), d))
y[out] = 1
path = tmp + "/x.bin"
X.astype(np.float64).tofile(path)
print("load average %s; scikit-learn thread pools: %s" % (
    " ".join("%.2f" % v for v in os.getloadavg()),
    ", ".join("%s %d" % (p["internal_api"], p["num_threads"]) for p in threadpool_info())),
    flush=True)

env = dict(os.environ)
for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    env.pop(v, None)

def ours(m, threads):
    p = subprocess.run([binp, path, str(n), str(d), m, "auto", str(threads)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True, env=env)
    engine, secs = p.stderr.decode().split()[-2:]
    return float(secs), engine, np.array(p.stdout.split(), dtype=float)

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
    t1, eng, s1 = ours(m, 1)
    tn, _, sn = ours(m, 0)
    ts, s_s, alg = sk(m)
    assert np.array_equal(s1, sn), "scores depend on the thread count"
    print("%s n=%d d=%d  ours (%s) 1 thread %.3f s, %d threads %.3f s, AUC %.4f | "
          "scikit-learn (%s, 1 thread) %.3f s AUC %.4f | speed-up %.1fx (1 thread), "
          "%.1fx (%d threads) | max |score diff| %.3g | load %.2f" % (
              m, n, d, eng, t1, os.cpu_count(), tn, roc_auc_score(y, s1), alg, ts,
              roc_auc_score(y, s_s), ts / t1, ts / tn, os.cpu_count(),
              np.max(np.abs(s1 - s_s)), os.getloadavg()[0]), flush=True)
PYEOF
