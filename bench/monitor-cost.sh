#!/bin/sh
# Cost of the agent against its peer, in the same run: `aiops monitor --interval 10s` and
# Debian's prometheus-node-exporter scraped every 10 s (as a Prometheus server would), both for
# DURATION seconds. Prints CPU % of one core (from utime+stime in /proc/<pid>/stat over the
# run) and peak RSS (VmHWM) for each, as a Markdown table row pair.
#
#   bench/monitor-cost.sh [AIOPS_BINARY] [DURATION_SECONDS] [CONFIG...]
#                                                   (default build/release/aiops, 600, none)
#
# With config files (aiops --config FILE), one round per file, back to back, each with its own
# fresh data directory and its own node_exporter, so that settings (e.g. detect.online.enabled
# on and off) are compared in one run of the script; each round also prints the load average
# before and after it (the machine may be shared) and, when online scoring ran, the agent's
# own account of it (cpu_ns / samples scored, from the SIGHUP status line).
set -eu

aiops=${1:-build/release/aiops}
duration=${2:-600}
if [ $# -ge 2 ]; then shift 2; else shift $#; fi
port=19100
apid='' npid='' spid=''
work=$(mktemp -d)
trap 'kill $apid $npid $spid 2>/dev/null || true; rm -rf "$work"' EXIT

round() { # $1: config file or ""
config=$1
data="$work/data$(date +%s%N)"
cfgopt=
[ -n "$config" ] && cfgopt="--config $config"
echo "### ${config:-default configuration}"
echo
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

command -v prometheus-node-exporter >/dev/null ||
        { echo "apt-get install prometheus-node-exporter first" >&2; exit 3; }

ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{ s = $0; sub(/.*\) /, "", s); split(s, f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

# shellcheck disable=SC2086
"$aiops" $cfgopt monitor --interval 10s --data-dir "$data" >"$work/aiops.log" 2>&1 &
apid=$!
prometheus-node-exporter --web.listen-address=127.0.0.1:$port >"$work/ne.log" 2>&1 &
npid=$!
sleep 2 # let both start before the first reading
# The peer must be the one answering: a port already taken would leave ours idle.
if ! kill -0 $npid 2>/dev/null || ! curl -sf -o /dev/null "http://127.0.0.1:$port/metrics" ||
        [ "$(ss -ltnpH "sport = :$port" | grep -c "pid=$npid,")" -ne 1 ]; then
        echo "node_exporter did not come up on 127.0.0.1:$port (port taken?)" >&2
        exit 3
fi
( while :; do curl -sf -o /dev/null "http://127.0.0.1:$port/metrics"; sleep 10; done ) &
spid=$!

a0=$(cpu_ticks $apid); n0=$(cpu_ticks $npid); t0=$(date +%s.%N)
sleep "$duration"
a1=$(cpu_ticks $apid); n1=$(cpu_ticks $npid); t1=$(date +%s.%N)
ahwm=$(hwm_kb $apid); nhwm=$(hwm_kb $npid)
kill -HUP $apid; sleep 1 # the status line: online scoring's own account
kill -TERM $apid; wait $apid 2>/dev/null || true
kill $spid $npid 2>/dev/null || true; wait $npid 2>/dev/null || true
online=$(grep -o 'online scoring: .*' "$work/aiops.log" | tail -1 || true)
# The agent's own account of each cycle's CPU (stored as aiops_cycle_cpu_seconds).
# shellcheck disable=SC2086
cycle_ms=$("$aiops" $cfgopt query aiops_cycle_cpu_seconds --since 1d --csv --data-dir "$data" |
        awk -F, 'NR > 1 { s += $5; n++ } END { if (n) printf "%.2f ms over %d cycles", 1000 * s / n, n }')

awk -v a0="$a0" -v a1="$a1" -v n0="$n0" -v n1="$n1" -v t0="$t0" -v t1="$t1" -v hz="$ticks" \
    -v ah="$ahwm" -v nh="$nhwm" 'BEGIN {
        el = t1 - t0
        printf "| process | wall s | CPU s | CPU %% of one core | peak RSS MiB |\n|---|---|---|---|---|\n"
        printf "| aiops monitor --interval 10s | %.0f | %.2f | %.3f | %.1f |\n", el, (a1-a0)/hz, 100*(a1-a0)/hz/el, ah/1024
        printf "| prometheus-node-exporter, scraped every 10 s | %.0f | %.2f | %.3f | %.1f |\n", el, (n1-n0)/hz, 100*(n1-n0)/hz/el, nh/1024
}'
echo
echo "aiops cycle CPU as the agent measured it (mean): $cycle_ms"
[ -n "$online" ] && echo "agent's account: $online"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
}

if [ $# -eq 0 ]; then
        round ""
else
        for c in "$@"; do round "$c"; done
fi
