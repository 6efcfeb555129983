#!/bin/sh
# Host figures against independent readings: memory against `free -b` taken just before and
# after, CPU busy % against /proc/stat deltas computed here over the same window.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

D="$WORK/data"
# A steady load on one core, so the CPU figure is not just idle noise.
sh -c 'while :; do :; done' &
busy=$!
CLEANUP=$busy

free -b >"$WORK/free-before"
head -1 /proc/stat >"$WORK/stat-before"
"$AIOPS" collect --count 1 --interval 2s --data-dir "$D" --json >"$WORK/ours"
head -1 /proc/stat >"$WORK/stat-after"
free -b >"$WORK/free-after"

python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
def free(path):
    for line in open(path):
        f = line.split()
        if f[0] == "Mem:":
            return dict(total=int(f[1]), used=int(f[2]), available=int(f[6]))
fb, fa = free(w + "/free-before"), free(w + "/free-after")
mem = json.load(open(w + "/ours"))["host"]["memory"]
assert mem["total_bytes"] == fb["total"], (mem, fb)
slack = 16 << 20
for key, ours in (("used", mem["used_bytes"]), ("available", mem["available_bytes"])):
    lo, hi = min(fb[key], fa[key]) - slack, max(fb[key], fa[key]) + slack
    assert lo <= ours <= hi, f"memory {key}: aiops {ours} outside free -b {fb[key]}..{fa[key]}"
print(f"ok: memory used {mem['used_bytes']} / available {mem['available_bytes']} agree with free -b")

def stat(path):
    f = [int(x) for x in open(path).read().split()[1:]]
    idle = f[3] + f[4]
    return sum(f[:8]), idle
t0, i0 = stat(w + "/stat-before")
t1, i1 = stat(w + "/stat-after")
ref = 100.0 * (1 - (i1 - i0) / (t1 - t0))
ours = json.load(open(w + "/ours"))["host"]["cpu_percent"]["busy"]
assert abs(ours - ref) <= 5, f"cpu busy: aiops {ours:.1f}% vs /proc/stat {ref:.1f}%"
print(f"ok: cpu busy aiops {ours:.1f}% vs /proc/stat delta {ref:.1f}%")
PY
