#!/bin/sh
# The process collector against procps: `aiops ps --json` between two `ps` runs. Processes
# alive in both runs must be reported, with the same parent, state, threads, command name,
# and exactly the same RSS and VSZ when ps saw them unchanged. Then CPU % of a busy loop
# against top over the same interval.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

# Some processes of known shape: sleepers, a zombie, a busy loop.
sleep 300 &
s1=$!
sleep 300 &
s2=$!
python3 -c 'import os, time; os.fork() or os._exit(0); time.sleep(300)' &
zparent=$!
sh -c 'while :; do :; done' &
busy=$!
CLEANUP="$s1 $s2 $zparent $busy"
sleep 0.3
# python3 starts slowly on a loaded machine: wait (up to 10 s) until its zombie child exists
i=0
while [ $i -lt 100 ] && ! pgrep -r Z -P "$zparent" >/dev/null; do
        sleep 0.1
        i=$((i + 1))
done

PSCOLS=pid,ppid,stat,rss,vsz,nlwp,comm
ps -eo "$PSCOLS" --no-headers >"$WORK/before"
"$AIOPS" ps --interval 0 --json >"$WORK/ours"
ps -eo "$PSCOLS" --no-headers >"$WORK/after"

python3 - "$WORK/before" "$WORK/ours" "$WORK/after" "$s1 $s2 $zparent $busy" <<'PY'
import json, sys

def ps(path):
    rows = {}
    for line in open(path):
        f = line.split(None, 6)
        rows[int(f[0])] = dict(ppid=int(f[1]), stat=f[2][0], rss=int(f[3]), vsz=int(f[4]),
                               nlwp=int(f[5]), comm=f[6].rstrip("\n"))
    return rows

before, after = ps(sys.argv[1]), ps(sys.argv[3])
ours = {p["pid"]: p for p in json.load(open(sys.argv[2]))}
mine = [int(x) for x in sys.argv[4].split()]
stable = set(before) & set(after)
missing = sorted(p for p in stable if p not in ours)
assert not missing, f"alive before and after but not reported: {missing}"
extra = sorted(set(ours) - set(before) - set(after))
assert len(extra) <= 3, f"reported but in neither ps run (born and gone in between?): {extra}"
for pid in mine:
    assert pid in ours, f"test process {pid} missing"

checked = dict(state=0, mem=0)
flicker = []
for pid in sorted(stable):
    b, a, o = before[pid], after[pid], ours[pid]
    if b["ppid"] == a["ppid"]:
        assert o["ppid"] == b["ppid"], f"pid {pid}: ppid {o['ppid']} vs ps {b['ppid']}"
    if b["stat"] == a["stat"]:
        # A sleeper that woke for a moment (the tools relaying this test's output do) may be
        # caught running in between: R and S may differ, rarely; any other letter must agree.
        if {o["stat"], b["stat"]} == {"R", "S"}:
            flicker.append(pid)
        else:
            assert o["stat"] == b["stat"], f"pid {pid}: state {o['stat']} vs ps {b['stat']}"
        checked["state"] += 1
    if (b["rss"], b["vsz"], b["nlwp"]) == (a["rss"], a["vsz"], a["nlwp"]):
        assert o["rss"] == b["rss"] * 1024, f"pid {pid}: rss {o['rss']} vs ps {b['rss']} KiB"
        assert o["vsz"] == b["vsz"] * 1024, f"pid {pid}: vsz {o['vsz']} vs ps {b['vsz']} KiB"
        assert o["thr"] == b["nlwp"], f"pid {pid}: threads {o['thr']} vs ps {b['nlwp']}"
        checked["mem"] += 1
assert checked["state"] >= len(stable) * 0.8, checked
assert len(flicker) <= 3, f"running/sleeping disagree for {flicker}"
assert checked["mem"] >= len(stable) * 0.8, checked
zombies = [p for p, r in before.items() if r["stat"] == "Z" and r["ppid"] == int(sys.argv[4].split()[2])]
assert zombies and ours[zombies[0]]["stat"] == "Z", "the zombie child is not shown as Z"
print(f"ok: {len(stable)} processes agree with ps "
      f"({checked['state']} states, {checked['mem']} rss/vsz/threads compared exactly)")
PY

# CPU % over the same 4 s window: top's second frame against our average of 4 x 1 s.
top -b -d 4 -n 2 -p "$busy" >"$WORK/top" &
topjob=$!
"$AIOPS" collect processes --duration 4s --interval 1s --json >"$WORK/cpu"
wait $topjob
python3 - "$WORK/top" "$WORK/cpu" "$busy" <<'PY'
import json, sys
busy = int(sys.argv[3])
lines = [l.split() for l in open(sys.argv[1]) if l.split() and l.split()[0] == str(busy)]
top_cpu = float(lines[-1][8].replace(",", "."))
ours = [p for p in json.load(open(sys.argv[2])) if p["pid"] == busy][0]
diff = abs(ours["cpu_avg"] - top_cpu)
assert diff <= 5, f"busy loop: aiops {ours['cpu_avg']:.1f}% vs top {top_cpu:.1f}%"
assert ours["cpu_peak"] >= ours["cpu_avg"]
print(f"ok: busy loop cpu aiops {ours['cpu_avg']:.1f}% vs top {top_cpu:.1f}%")
PY
