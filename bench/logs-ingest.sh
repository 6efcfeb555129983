#!/bin/sh
# End-to-end log ingestion: `aiops collect` reading a LINES-line file from its start (tail +
# format parser + Drain + counts + store, one final flush), for two formats: syslog lines
# whose messages are Loghub's Linux sample, and a synthetic nginx access log. Prints, per
# format, lines/s (wall) and CPU per 1,000 lines, with the metric-collection cycle measured
# alone (--no-logs) subtracted, and the peers measured in the same run on the same file:
# `grep -c error` (reading the file and nothing else) and `aiops logs mine` (mining alone,
# no store).
#
#   bench/logs-ingest.sh [AIOPS_BINARY] [LINES]      (default build/release/aiops, 1000000)
set -eu

aiops=${1:-build/release/aiops}
lines=${2:-1000000}
root=$(cd "$(dirname "$0")/.." && pwd)
linux=${AIOPS_SHARED_DATA:-$root/../shared/data}/loghub-2k/Linux/Linux_2k.log
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

[ -r "$linux" ] || { echo "cannot read $linux (set AIOPS_SHARED_DATA)" >&2; exit 3; }

# syslog: Linux messages behind increasing timestamps, one second apart
python3 - "$linux" "$lines" "$work/syslog.log" <<'PY'
import sys, time
src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
msgs = []
for line in open(src, encoding="utf-8", errors="replace"):
    f = line.rstrip("\n").split(" ", 4)   # Month Day Time Host rest
    if len(f) == 5:
        msgs.append(f[4])
t0 = int(time.time()) - n
with open(out, "w") as o:
    for i in range(n):
        o.write(time.strftime("%b %e %H:%M:%S", time.localtime(t0 + i)) + " web1 " + msgs[i % len(msgs)] + "\n")
PY
# access: 20 routes, 5 % 5xx, request and upstream times
python3 - "$lines" "$work/access.log" <<'PY'
import sys, time, random
n, out = int(sys.argv[1]), sys.argv[2]
random.seed(1)
t0 = int(time.time()) - n // 100
routes = ["/api/v1/users/%d" % i for i in range(10)] + ["/static/app.%d.js" % i for i in range(10)]
with open(out, "w") as o:
    for i in range(n):
        st = random.choice([200] * 17 + [304, 404, 502])
        ts = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(t0 + i // 100))
        o.write('10.0.%d.%d - - [%s] "GET %s?id=%d HTTP/1.1" %d %d "-" "curl/7.88.1" rt=%.3f urt="%.3f"\n'
                % (i % 200, i % 250, ts, random.choice(routes), i, st, 100 + i % 900, random.random(), random.random()))
PY

measure() { # label file format -> "wall user sys" of aiops collect
        cfg=$work/$1.yaml
        cat >"$cfg" <<YAML
logs:
  discover: false
  journal: false
  kmsg: false
  backfill: true
  files:
    - {path: $2, name: $1, format: $3}
YAML
        rm -rf "$work/data-$1"
        /usr/bin/time -f "%e %U %S %M" -o "$work/time" \
                "$aiops" --config "$cfg" --data-dir "$work/data-$1" collect --count 1 \
                --interval 100ms >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 3; }
        cat "$work/time"
}

base=$(/usr/bin/time -f "%e %U %S %M" "$aiops" --data-dir "$work/data-base" collect --no-logs \
        --count 1 --interval 100ms 2>&1 >/dev/null | tail -1)

printf '| format | lines | wall s | lines/s | CPU ms per 1,000 lines | peak RSS MiB | grep -c: lines/s | logs mine: lines/s |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|\n'
for spec in syslog:syslog access:access; do
        name=${spec%%:*}
        fmt=${spec#*:}
        file=$work/$name.log
        t=$(measure "$name" "$file" "$fmt")
        g0=$(date +%s.%N); grep -c error "$file" >/dev/null || true; g1=$(date +%s.%N)
        m0=$(date +%s.%N); "$aiops" logs mine "$file" >/dev/null; m1=$(date +%s.%N)
        echo "$t $base $g0 $g1 $m0 $m1" | awk -v n="$lines" -v fmt="$fmt" '{
                wall = $1 - $5; cpu = ($2 + $3) - ($6 + $7);
                printf "| %s | %d | %.2f | %.0f | %.3f | %.1f | %.0f | %.0f |\n", fmt, n, wall,
                        n / wall, cpu * 1000 / (n / 1000), $4 / 1024, n / ($10 - $9), n / ($12 - $11) }'
done
echo
echo "metrics-only collect (subtracted): wall, user, sys s, peak KiB: $base"
